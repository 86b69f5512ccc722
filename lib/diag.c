/*
 * diag.c - read-only views for `straw doctor`: what an authentication
 * plugin would present, and what the cache holds for a cluster.
 *
 * The cache view goes through the cache's own entry point with a fetch
 * that only notes it was asked for, so the folder choice, its checks and
 * the cluster key are exactly those of a real run (and their refusals
 * carry the same messages and fixes), and nothing is fetched or written
 * beyond the folders and lock file any first run creates.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"

STRAW_EXPORT int straw_auth_describe(const straw_options *opts, const char *type,
				     straw_auth_status *st, straw_error *err)
{
	straw_auth a;
	straw_auth_info info;
	char msg[STRAW_ERRLEN] = "";
	const char *want;
	int rc;

	if (!st)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "straw_auth_describe: no result");
	memset(st, 0, sizeof(*st));
	if (!opts)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "straw_auth_describe: no options");
	want = type ? type : opts->auth ? opts->auth : "auto";
	if (!strcmp(want, "auto"))
		want = straw_auth_jwt_configured(opts) ? "jwt" : "munge";
	snprintf(st->type, sizeof(st->type), "%.7s", want);
	rc = straw_auth_load(opts, want, &a, &st->error);
	if (rc) {
		if (err)
			*err = st->error;
		return rc;
	}
	st->loaded = true;
	st->available = a.ops->available(a.state);
	memset(&info, 0, sizeof(info));
	rc = a.ops->info(a.state, &info, msg, sizeof(msg));
	/* A plugin fills what it knows even when it then fails (the source). */
	snprintf(st->source, sizeof(st->source), "%s", info.source);
	if (rc == STRAW_OK) {
		snprintf(st->user, sizeof(st->user), "%s", info.user);
		st->expires = info.expires;
	} else {
		straw_seterr(&st->error, rc, "%s", msg[0] ? msg : "the plugin cannot describe its credential");
	}
	if (rc == STRAW_OK && !st->available)
		rc = straw_seterr(&st->error, STRAW_ERR_AUTH, "auth/%s: no credential can be made (%s)",
				  st->type, st->source[0] ? st->source : "nothing configured");
	straw_auth_unload(&a);
	if (rc && err)
		*err = st->error;
	return rc;
}

/* ---- the cache ------------------------------------------------------- */

/* The fetch handed to the cache: never fetches, notes that it was asked. */
static int _note_fetch(const straw_options *opts, straw_config **out, straw_error *err)
{
	*out = NULL;
	*(bool *)opts->log_arg = true;
	/* Not "unreachable": the cache would then fall back on a stale copy and log. */
	return straw_seterr(err, STRAW_ERR_INTERNAL, "inspection only");
}

static bool _time_of(const char *v, time_t *out)
{
	char *end;
	long long l;

	errno = 0;
	l = strtoll(v, &end, 10);
	if (errno || end == v || (*end && *end != '\n') || l < 0)
		return false;
	*out = (time_t)l;
	return true;
}

/* The meta file's key=value lines (cache.c writes them). */
static void _meta(int dfd, straw_cache_status *st)
{
	char buf[4096];
	ssize_t n = 0, r;
	char *line, *save = NULL;
	int fd = openat(dfd, "meta", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	while ((size_t)n < sizeof(buf) - 1 &&
	       ((r = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			n += r;
	close(fd);
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		if (!strcmp(line, "fetched")) {
			if (!_time_of(v, &st->fetched))
				st->fetched = 0;
		} else if (!strcmp(line, "failed")) {
			if (!_time_of(v, &st->failed))
				st->failed = 0;
		} else if (!strcmp(line, "controller")) {
			snprintf(st->controller, sizeof(st->controller), "%s", v);
		} else if (!strcmp(line, "protocol")) {
			unsigned long p = strtoul(v, NULL, 16);

			st->protocol = p <= 0xffff && straw_protocol_name((uint16_t)p) ? (uint16_t)p : 0;
		} else if (!strcmp(line, "error")) {
			snprintf(st->last_error, sizeof(st->last_error), "%s", v);
		}
	}
}

STRAW_EXPORT int straw_cache_inspect(const straw_options *opts, straw_cache_status *st,
				     straw_error *err)
{
	const size_t listlen = STRAW_MAX_SERVERS * 270;
	straw_options o;
	straw_error e = { 0 };
	struct stat sb;
	bool asked = false;
	char *list, *cut;
	ssize_t n;
	int rc, dfd;

	if (!st)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "straw_cache_inspect: no result");
	memset(st, 0, sizeof(*st));
	if (!opts)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "straw_cache_inspect: no options");
	list = malloc(listlen);
	if (!list)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory");
	rc = straw_servers_resolve(opts, list, listlen, err);
	if (rc) {
		free(list);
		return rc;
	}
	o = *opts;
	o.servers = list;
	o.log = NULL;
	o.log_arg = &asked;
	rc = straw_cache_ensure_fn(&o, _note_fetch, st->conf, sizeof(st->conf), NULL, &e);
	free(list);
	if (rc != STRAW_OK && !asked) {
		/* The folder itself is refused (owner, mode, symlink) or cannot be made. */
		if (err)
			*err = e;
		return rc;
	}
	st->fresh = rc == STRAW_OK && !asked;
	/* conf is <root>/<cluster>/conf/slurm.conf */
	snprintf(st->folder, sizeof(st->folder), "%s", st->conf);
	for (int i = 0; i < 2; i++) {
		cut = strrchr(st->folder, '/');
		if (cut)
			*cut = '\0';
	}
	snprintf(st->root, sizeof(st->root), "%s", st->folder);
	cut = strrchr(st->root, '/');
	if (cut && cut != st->root)
		*cut = '\0';
	if (lstat(st->root, &sb) == 0) {
		st->owner = (unsigned)sb.st_uid;
		st->mode = (unsigned)(sb.st_mode & 07777);
	}
	dfd = open(st->folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0) {
		_meta(dfd, st);
		n = readlinkat(dfd, "conf", st->generation, sizeof(st->generation) - 1);
		st->generation[n > 0 ? n : 0] = '\0';
		st->present = fstatat(dfd, "conf/slurm.conf", &sb, 0) == 0 && S_ISREG(sb.st_mode);
		close(dfd);
	}
	if (st->fetched) {
		st->age_s = (long long)time(NULL) - (long long)st->fetched;
		if (st->age_s < 0)
			st->age_s = 0;
	}
	return STRAW_OK;
}
