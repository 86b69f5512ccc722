/*
 * auth_munge.c - the auth/munge plugin (auth_munge.so): Slurm's munge
 * credential, u32 101 then packstr(credential), with the message hash the
 * engine computed as the credential's payload.
 *
 * Every create() asks munged for a new credential: munged refuses one it
 * has already decoded, and the payload differs per request anyway.  The
 * state is read-only after init and each create() has its own munge
 * context, so concurrent fetches need no lock.
 */
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <munge.h>

#include "straw/straw.h"
#include "straw/plugin.h"

#define _EXPORT __attribute__((visibility("default")))

typedef struct _munge_state {
	char *socket; /* configured; NULL: libmunge's default */
	char *path;   /* the socket actually used, for checks and messages; may be NULL */
} _munge_state;

static int _err(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int _err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* A credential is a secret until it is used: clear it before free. */
static void _wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

/* libmunge's compiled-in socket, learned from a fresh context. */
static char *_default_socket(void)
{
	munge_ctx_t ctx = munge_ctx_create();
	char *path = NULL, *copy = NULL;

	if (!ctx)
		return NULL;
	if (munge_ctx_get(ctx, MUNGE_OPT_SOCKET, &path) == EMUNGE_SUCCESS && path && *path)
		copy = strdup(path);
	munge_ctx_destroy(ctx);
	return copy;
}

static const char *_path_name(const _munge_state *st)
{
	return st->path ? st->path : "(libmunge default)";
}

static void _state_free(_munge_state *st)
{
	if (!st)
		return;
	free(st->socket);
	free(st->path);
	free(st);
}

static int _init(void **state, const straw_auth_config *cfg, char *err, size_t errlen)
{
	const char *sock = cfg ? cfg->munge_socket : NULL;
	_munge_state *st;

	*state = NULL;
	if (sock && !*sock)
		sock = NULL;
	/* connect() would fail later with a less helpful message. */
	if (sock && strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return _err(err, errlen, STRAW_ERR_USAGE,
			    "munge socket path is too long (%zu bytes, at most %zu): %.80s...",
			    strlen(sock), sizeof(((struct sockaddr_un *)0)->sun_path) - 1, sock);
	st = calloc(1, sizeof(*st));
	if (!st)
		return _err(err, errlen, STRAW_ERR_INTERNAL, "auth/munge: out of memory");
	if (sock) {
		st->socket = strdup(sock);
		st->path = strdup(sock);
		if (!st->socket || !st->path) {
			_state_free(st);
			return _err(err, errlen, STRAW_ERR_INTERNAL, "auth/munge: out of memory");
		}
	} else {
		/* Without it messages name no path; not worth failing over. */
		st->path = _default_socket();
	}
	*state = st;
	return STRAW_OK;
}

static void _fini(void *state)
{
	_state_free(state);
}

static bool _available(void *state)
{
	const _munge_state *st = state;
	struct stat sb;

	if (!st || !st->path)
		return false;
	return stat(st->path, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

static int _info(void *state, straw_auth_info *info, char *err, size_t errlen)
{
	const _munge_state *st = state;
	struct passwd pw, *res = NULL;
	char buf[4096];

	(void)err;
	(void)errlen;
	memset(info, 0, sizeof(*info));
	snprintf(info->source, sizeof(info->source), "munge socket %s", _path_name(st));
	/* The credential names whoever runs us: the effective uid. */
	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_name &&
	    strlen(res->pw_name) < sizeof(info->user))
		snprintf(info->user, sizeof(info->user), "%s", res->pw_name);
	info->expires = 0;
	return STRAW_OK;
}

static int _create(void *state, const straw_auth_request *req, straw_auth_section *out,
		   char *err, size_t errlen)
{
	const _munge_state *st = state;
	munge_ctx_t ctx;
	munge_err_t e;
	char *cred = NULL;
	const char *why;
	size_t n;
	uint8_t *p;

	out->data = NULL;
	out->len = 0;
	if (!st || !req || (req->payload_len && !req->payload))
		return _err(err, errlen, STRAW_ERR_INTERNAL, "auth/munge: bad create() arguments");
	if (req->payload_len > INT_MAX)
		return _err(err, errlen, STRAW_ERR_INTERNAL, "auth/munge: payload too large (%zu bytes)",
			    req->payload_len);
	ctx = munge_ctx_create();
	if (!ctx)
		return _err(err, errlen, STRAW_ERR_INTERNAL, "auth/munge: cannot create a munge context");
	if (st->socket) {
		e = munge_ctx_set(ctx, MUNGE_OPT_SOCKET, st->socket);
		if (e != EMUNGE_SUCCESS) {
			why = munge_ctx_strerror(ctx);
			_err(err, errlen, STRAW_ERR_AUTH, "munge: cannot use socket %s: %s",
			     st->socket, why ? why : munge_strerror(e));
			munge_ctx_destroy(ctx);
			return STRAW_ERR_AUTH;
		}
	}
	e = munge_encode(&cred, ctx, req->payload, (int)req->payload_len);
	if (e != EMUNGE_SUCCESS || !cred) {
		why = munge_ctx_strerror(ctx);
		_err(err, errlen, STRAW_ERR_AUTH,
		     "munge: cannot create a credential: %s (socket %s); is munged running? "
		     "set STRAW_MUNGE_SOCKET to its socket", why ? why : munge_strerror(e),
		     _path_name(st));
		munge_ctx_destroy(ctx);
		if (cred) {
			_wipe(cred, strlen(cred));
			free(cred);
		}
		return STRAW_ERR_AUTH;
	}
	munge_ctx_destroy(ctx);

	n = strlen(cred);
	/* u32 plugin id, u32 length with the NUL, the string, the NUL. */
	p = n < UINT32_MAX - 8 ? malloc(n + 9) : NULL;
	if (!p) {
		_wipe(cred, n);
		free(cred);
		return _err(err, errlen, STRAW_ERR_INTERNAL, "auth/munge: out of memory");
	}
	straw_put32(p, STRAW_AUTH_ID_MUNGE);
	straw_put32(p + 4, (uint32_t)(n + 1));
	memcpy(p + 8, cred, n + 1);
	_wipe(cred, n);
	free(cred);
	out->data = p;
	out->len = n + 9;
	return STRAW_OK;
}

_EXPORT const char plugin_name[] = "straw auth/munge";
_EXPORT const char plugin_type[] = "auth/munge";
_EXPORT const uint32_t plugin_version = STRAW_PLUGIN_VERSION;

_EXPORT const straw_auth_ops_t straw_auth_ops = {
	.init = _init,
	.fini = _fini,
	.available = _available,
	.info = _info,
	.create = _create,
};
