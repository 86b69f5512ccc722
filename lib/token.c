/*
 * token.c - JWT chores around the fetch: minting a token from the
 * controller's key (`straw token`), and the warning given when a token
 * will expire before the copy it fetches goes stale.
 *
 * Minting lives in auth_jwt.so (it needs libcrypto, which the engine does
 * not link); the engine only reads and checks the key file and hands the
 * bytes over.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>

#include "auth.h"

#define _KEY_MAX (64 * 1024)

typedef int (*_mint_fn)(const uint8_t *key, size_t keylen, const char *user, long lifetime_s,
			time_t now, char **out, char *err, size_t errlen);

/* Read the key, refusing one that others could read: it signs as anyone. */
static int _read_key(const char *path, uint8_t **key, size_t *len, straw_error *err)
{
	struct stat sb;
	uint8_t *buf;
	size_t n = 0;
	int fd;

	*key = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return straw_seterr(err, errno == ENOENT ? STRAW_ERR_USAGE : STRAW_ERR_AUTH,
				    "cannot open the JWT key %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return straw_seterr(err, STRAW_ERR_USAGE, "the JWT key %s is not a regular file", path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "the JWT key %s is mode %04o: readable or writable by group or "
				    "others, and anyone who reads it can act as any user; run "
				    "chmod 600 %s", path, (unsigned)(sb.st_mode & 07777), path);
	}
	if (sb.st_size > _KEY_MAX) {
		close(fd);
		return straw_seterr(err, STRAW_ERR_USAGE, "the JWT key %s is larger than %d bytes",
				    path, _KEY_MAX);
	}
	buf = malloc(_KEY_MAX + 1);
	if (!buf) {
		close(fd);
		return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory");
	}
	while (n <= _KEY_MAX) {
		ssize_t r = read(fd, buf + n, _KEY_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			straw_wipe(buf, n);
			free(buf);
			return straw_seterr(err, STRAW_ERR_AUTH, "cannot read the JWT key %s: %s", path,
					    strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n == 0 || n > _KEY_MAX) {
		straw_wipe(buf, n > _KEY_MAX ? _KEY_MAX + 1 : n);
		free(buf);
		return straw_seterr(err, STRAW_ERR_USAGE, "the JWT key %s is %s", path,
				    n ? "too large" : "empty");
	}
	*key = buf;
	*len = n;
	return STRAW_OK;
}

STRAW_EXPORT int straw_token_mint(const straw_options *opts, const char *keyfile, const char *user,
				  long lifetime_s, char **token, straw_error *err)
{
	char msg[STRAW_ERRLEN] = "";
	straw_auth a;
	uint8_t *key;
	size_t keylen;
	_mint_fn mint;
	int rc;

	if (token)
		*token = NULL;
	if (!opts || !keyfile || !token)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "straw_token_mint: bad arguments");
	if (!user || !*user)
		return straw_seterr(err, STRAW_ERR_USAGE, "no user name for the token");
	if (lifetime_s <= 0)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "the token lifetime must be a positive number of seconds");
	rc = _read_key(keyfile, &key, &keylen, err);
	if (rc)
		return rc;
	rc = straw_auth_load(opts, "jwt", &a, err);
	if (rc) {
		straw_wipe(key, keylen);
		free(key);
		return rc;
	}
	*(void **)&mint = dlsym(a.dl, "straw_jwt_mint");
	if (!mint) {
		rc = straw_seterr(err, STRAW_ERR_INTERNAL,
				  "the auth/jwt plugin cannot mint tokens (no straw_jwt_mint): "
				  "reinstall straw");
	} else {
		rc = mint(key, keylen, user, lifetime_s, time(NULL), token, msg, sizeof(msg));
		if (rc)
			straw_seterr(err, rc, "%s", msg[0] ? msg : "minting the token failed");
	}
	straw_wipe(key, keylen);
	free(key);
	straw_auth_unload(&a);
	return rc;
}

STRAW_EXPORT void straw_token_free(char *token)
{
	if (!token)
		return;
	straw_wipe(token, strlen(token));
	free(token);
}

void straw_token_warn(const straw_options *opts)
{
	straw_auth_status st;
	long long left;

	if (!opts || !opts->log || !straw_auth_jwt_configured(opts))
		return;
	if (opts->auth && !strcmp(opts->auth, "munge"))
		return;
	if (straw_auth_describe(opts, "jwt", &st, NULL) != STRAW_OK || !st.expires)
		return;
	left = (long long)st.expires - (long long)time(NULL);
	/* An expired token is the fetch's own clear error; this is the warning before it. */
	if (left <= 0 || left >= opts->ttl_s)
		return;
	{
		char msg[STRAW_ERRLEN];

		snprintf(msg, sizeof(msg),
			 "the JWT from %.150s%s%.100s expires in %lld s, before this copy of the "
			 "configuration goes stale (TTL %d s): Slurm commands and the next refresh "
			 "will then fail; get a new token (scontrol token)", st.source,
			 st.user[0] ? " for user " : "", st.user, left, opts->ttl_s);
		opts->log(opts->log_arg, STRAW_LOG_WARN, msg);
	}
}
