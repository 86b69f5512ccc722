/*
 * auth.c - find, check and load the authentication plugins.
 *
 * Plugins live in one folder: the one named by opts->plugin_dir, else
 * "straw/" next to libstraw itself (so a build tree runs uninstalled),
 * else the compiled-in STRAW_PLUGINDIR.  Under AT_SECURE only the
 * compiled-in folder is used.  Every symbol of the contract is checked
 * before init() is called; a plugin that fails any check is unloaded.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"

#ifndef STRAW_PLUGINDIR
#define STRAW_PLUGINDIR "/usr/local/lib/straw"
#endif

static void _plugin_dir(const straw_options *o, char *out, size_t outlen)
{
	Dl_info info;

	if (!o->secure && o->plugin_dir) {
		snprintf(out, outlen, "%s", o->plugin_dir);
		return;
	}
	if (!o->secure && dladdr((void *)_plugin_dir, &info) && info.dli_fname &&
	    strchr(info.dli_fname, '/')) {
		char dir[PATH_MAX];
		char *slash;
		struct stat st;

		snprintf(dir, sizeof(dir), "%s", info.dli_fname);
		slash = strrchr(dir, '/');
		*slash = '\0';
		snprintf(out, outlen, "%s/straw", dir);
		if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
			return;
	}
	snprintf(out, outlen, "%s", STRAW_PLUGINDIR);
}

int straw_auth_load(const straw_options *o, const char *type, straw_auth *a, straw_error *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], msg[STRAW_ERRLEN] = "";
	const char *want_type, *name, *ptype;
	const uint32_t *pversion;
	const straw_auth_ops_t *ops;
	straw_auth_config cfg = { 0 };
	void *dl;
	int rc;

	memset(a, 0, sizeof(*a));
	if (!strcmp(type, "munge"))
		want_type = "auth/munge";
	else if (!strcmp(type, "jwt"))
		want_type = "auth/jwt";
	else
		return straw_seterr(err, STRAW_ERR_USAGE, "unknown authentication '%s': use munge or jwt",
				    type);
	_plugin_dir(o, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/auth_%s.so", dir, type);
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		const char *why = dlerror();

		return straw_seterr(err, STRAW_ERR_AUTH, "cannot load %s plugin %s: %s%s", want_type,
				    path, why ? why : "unknown error",
				    !strcmp(type, "munge") ? " (install the straw-munge package, or use JWT)"
							   : "");
	}
	name = dlsym(dl, "plugin_name");
	ptype = dlsym(dl, "plugin_type");
	pversion = dlsym(dl, "plugin_version");
	ops = dlsym(dl, "straw_auth_ops");
	if (!name || !ptype || !pversion || !ops) {
		dlclose(dl);
		return straw_seterr(err, STRAW_ERR_AUTH,
				    "%s is not a straw auth plugin (missing plugin_name, plugin_type, "
				    "plugin_version or straw_auth_ops)", path);
	}
	if (strcmp(ptype, want_type) != 0 || *pversion != STRAW_PLUGIN_VERSION) {
		dlclose(dl);
		return straw_seterr(err, STRAW_ERR_AUTH,
				    "%s is %.40s version %u, expected %s version %u: reinstall straw",
				    path, ptype, *pversion, want_type, STRAW_PLUGIN_VERSION);
	}
	if (!ops->init || !ops->fini || !ops->available || !ops->info || !ops->create) {
		dlclose(dl);
		return straw_seterr(err, STRAW_ERR_AUTH, "%s: incomplete operations table", path);
	}
	cfg.munge_socket = o->munge_socket;
	cfg.jwt_file = o->jwt_file;
	cfg.secure = o->secure;
	rc = ops->init(&a->state, &cfg, msg, sizeof(msg));
	if (rc) {
		dlclose(dl);
		return straw_seterr(err, rc, "%s", msg[0] ? msg : "authentication plugin init failed");
	}
	a->dl = dl;
	a->ops = ops;
	a->type = !strcmp(type, "munge") ? "munge" : "jwt";
	a->carries_hash = !strcmp(type, "munge");
	return STRAW_OK;
}

bool straw_auth_jwt_configured(const straw_options *o)
{
	const char *tok = o->secure ? NULL : getenv("SLURM_JWT");

	return (tok && *tok) || o->jwt_file;
}

int straw_auth_select(const straw_options *o, straw_auth *a, straw_error *err)
{
	const char *want = o->auth ? o->auth : "auto";

	if (!strcmp(want, "auto"))
		want = straw_auth_jwt_configured(o) ? "jwt" : "munge";
	return straw_auth_load(o, want, a, err);
}

void straw_auth_unload(straw_auth *a)
{
	if (a->ops)
		a->ops->fini(a->state);
	if (a->dl)
		dlclose(a->dl);
	memset(a, 0, sizeof(*a));
}

int straw_auth_create(straw_auth *a, uint16_t version, uint16_t msg_type, const uint8_t *body,
		      size_t body_len, straw_auth_section *out, straw_error *err)
{
	uint8_t payload[33];
	straw_auth_request req = { .protocol_version = version, .msg_type = msg_type };
	char msg[STRAW_ERRLEN] = "";
	int rc;

	if (a->carries_hash) {
		req.payload_len = straw_payload_hash(version, msg_type, body, body_len, payload);
		req.payload = payload;
	}
	out->data = NULL;
	out->len = 0;
	rc = a->ops->create(a->state, &req, out, msg, sizeof(msg));
	if (rc)
		return straw_seterr(err, rc, "%s", msg[0] ? msg : "could not create a credential");
	if (!out->data || out->len < 4)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "auth/%s produced an empty credential",
				    a->type);
	return STRAW_OK;
}

void straw_auth_section_free(straw_auth_section *s)
{
	if (s->data) {
		straw_wipe(s->data, s->len);
		free(s->data);
	}
	s->data = NULL;
	s->len = 0;
}
