/*
 * auth_jwt.c - the auth/jwt plugin (auth_jwt.so): Slurm's JWT credential,
 * u32 102, packstr(token), packstr(NULL).
 *
 * The token comes from SLURM_JWT, as libslurm takes it, or from a file
 * (STRAW_JWT_FILE or the configuration) that is read again for every
 * credential so that a rotated Kubernetes secret is picked up without a
 * restart.  The claims are read locally so that an expired or malformed
 * token is a clear error here, and never reaches the controller, which
 * would only close the connection.  No message ever quotes the token.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* secure_getenv */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "straw/plugin.h"
#include "claims.h"

#define _EXPORT __attribute__((visibility("default")))

typedef struct _jwt_state {
	char *jwt_file; /* NULL: none configured */
	bool secure;
} _jwt_state;

/* The clock, replaceable by the unit tests. */
static time_t (*_jwt_time)(time_t *) = time;

static void _free_token(char *tok, size_t len)
{
	if (!tok)
		return;
	straw_jwt_wipe(tok, len);
	free(tok);
}

static bool _space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Trim buf[0..*len) in place and check what is left; source names where
 * the bytes came from, for messages.
 */
static int _token_check(char *buf, size_t *len, const char *source, char *err, size_t errlen)
{
	size_t a = 0, b = *len;

	while (a < b && _space(buf[a]))
		a++;
	while (b > a && _space(buf[b - 1]))
		b--;
	if (a == b)
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH, "%s holds no token", source);
	for (size_t i = a; i < b; i++) {
		unsigned char c = (unsigned char)buf[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.')
			continue;
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "%s holds a byte that cannot be in a JWT (offset %zu)",
				     source, i - a);
	}
	memmove(buf, buf + a, b - a);
	straw_jwt_wipe(buf + (b - a), *len - (b - a));
	*len = b - a;
	buf[*len] = '\0';
	return STRAW_OK;
}

static int _token_from_env(const char *val, char **tok, size_t *len, char *err, size_t errlen)
{
	size_t n = strlen(val);
	char *buf;
	int rc;

	if (n > STRAW_JWT_MAX_TOKEN)
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "SLURM_JWT is longer than %d bytes", STRAW_JWT_MAX_TOKEN);
	buf = malloc(n + 1);
	if (!buf)
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "out of memory");
	memcpy(buf, val, n + 1);
	rc = _token_check(buf, &n, "SLURM_JWT", err, errlen);
	if (rc) {
		_free_token(buf, n);
		return rc;
	}
	*tok = buf;
	*len = n;
	return STRAW_OK;
}

static int _token_from_file(const char *path, const char *source, char **tok, size_t *len,
			    char *err, size_t errlen)
{
	struct stat st;
	size_t cap = STRAW_JWT_MAX_TOKEN + 1, n = 0;
	char *buf;
	int fd, rc;

	/* O_NONBLOCK: a FIFO put there must not hang the caller. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH, "cannot open JWT %s: %s",
				     source, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "JWT %s is not a regular file", source);
	}
	if (st.st_size > STRAW_JWT_MAX_TOKEN) {
		close(fd);
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "JWT %s is larger than %d bytes", source, STRAW_JWT_MAX_TOKEN);
	}
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "out of memory");
	}
	/* Read to EOF, not st_size: the file may be growing or be in /proc. */
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = straw_jwt_err(err, errlen, STRAW_ERR_AUTH, "cannot read JWT %s: %s",
					   source, strerror(errno));
			close(fd);
			_free_token(buf, cap + 1);
			return rc;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > STRAW_JWT_MAX_TOKEN) {
		_free_token(buf, cap + 1);
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "JWT %s is larger than %d bytes", source, STRAW_JWT_MAX_TOKEN);
	}
	buf[n] = '\0';
	rc = _token_check(buf, &n, source, err, errlen);
	if (rc) {
		_free_token(buf, cap + 1);
		return rc;
	}
	*tok = buf;
	*len = n;
	return STRAW_OK;
}

/*
 * Find the token: SLURM_JWT when set and not empty, else the file.
 * *tok is malloc'ed and NUL-terminated; release it with _free_token().
 * source receives "SLURM_JWT" or "file <path>" even on failure.
 */
static int _token_get(const _jwt_state *st, char **tok, size_t *len, char *source,
		      size_t srclen, char *err, size_t errlen)
{
	const char *env = st->secure ? secure_getenv("SLURM_JWT") : getenv("SLURM_JWT");

	*tok = NULL;
	*len = 0;
	if (env && *env) {
		snprintf(source, srclen, "SLURM_JWT");
		return _token_from_env(env, tok, len, err, errlen);
	}
	if (st->jwt_file && *st->jwt_file) {
		snprintf(source, srclen, "file %s", st->jwt_file);
		return _token_from_file(st->jwt_file, source, tok, len, err, errlen);
	}
	snprintf(source, srclen, "none");
	return straw_jwt_err(err, errlen, STRAW_ERR_AUTH, "no JWT: set SLURM_JWT or STRAW_JWT_FILE");
}

/* The auth section: u32 102, packstr(token), packstr(NULL). */
static int _jwt_pack_section(const char *tok, size_t len, straw_auth_section *out,
			     char *err, size_t errlen)
{
	uint8_t *p;
	size_t n;

	out->data = NULL;
	out->len = 0;
	if (len > STRAW_JWT_MAX_TOKEN)
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "token is longer than %d bytes", STRAW_JWT_MAX_TOKEN);
	n = 4 + 4 + len + 1 + 4;
	p = malloc(n);
	if (!p)
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "out of memory");
	straw_put32(p, STRAW_AUTH_ID_JWT);
	straw_put32(p + 4, (uint32_t)(len + 1));
	memcpy(p + 8, tok, len);
	p[8 + len] = '\0';
	straw_put32(p + 9 + len, 0);
	out->data = p;
	out->len = n;
	return STRAW_OK;
}

/* "2026-11-26 05:00:00", or the raw number when it is no calendar date. */
static void _fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "@%lld", (long long)t);
}

static int _jwt_init(void **state, const straw_auth_config *cfg, char *err, size_t errlen)
{
	_jwt_state *st = calloc(1, sizeof(*st));

	*state = NULL;
	if (!st)
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "out of memory");
	if (cfg) {
		st->secure = cfg->secure;
		if (cfg->jwt_file && *cfg->jwt_file) {
			st->jwt_file = strdup(cfg->jwt_file);
			if (!st->jwt_file) {
				free(st);
				return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL,
						     "out of memory");
			}
		}
	}
	*state = st;
	return STRAW_OK;
}

static void _jwt_fini(void *state)
{
	_jwt_state *st = state;

	if (!st)
		return;
	free(st->jwt_file);
	free(st);
}

static bool _jwt_available(void *state)
{
	char source[sizeof(((straw_auth_info *)0)->source)], err[256];
	char *tok;
	size_t len;

	if (!state)
		return false;
	if (_token_get(state, &tok, &len, source, sizeof(source), err, sizeof(err)))
		return false;
	_free_token(tok, len);
	return true;
}

static int _jwt_info(void *state, straw_auth_info *info, char *err, size_t errlen)
{
	struct straw_jwt_claims c;
	char *tok, msg[256];
	size_t len;
	int rc;

	memset(info, 0, sizeof(*info));
	if (!state)
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "auth/jwt not initialised");
	rc = _token_get(state, &tok, &len, info->source, sizeof(info->source), err, errlen);
	if (rc)
		return rc;
	rc = straw_jwt_claims(tok, len, &c, msg, sizeof(msg));
	_free_token(tok, len);
	if (rc)
		return straw_jwt_err(err, errlen, rc, "JWT from %s: %s", info->source, msg);
	snprintf(info->user, sizeof(info->user), "%s", c.user);
	info->expires = (time_t)c.exp;
	return STRAW_OK;
}

static int _jwt_create(void *state, const straw_auth_request *req, straw_auth_section *out,
		       char *err, size_t errlen)
{
	struct straw_jwt_claims c;
	char source[sizeof(((straw_auth_info *)0)->source)], msg[256], when[64];
	char *tok;
	size_t len;
	int64_t now;
	int rc;

	(void)req; /* auth/jwt carries no message hash */
	if (!out)
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "no place for the credential");
	out->data = NULL;
	out->len = 0;
	if (!state)
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "auth/jwt not initialised");
	rc = _token_get(state, &tok, &len, source, sizeof(source), err, errlen);
	if (rc)
		return rc;
	rc = straw_jwt_claims(tok, len, &c, msg, sizeof(msg));
	if (rc) {
		_free_token(tok, len);
		return straw_jwt_err(err, errlen, rc, "JWT from %s: %s", source, msg);
	}
	now = (int64_t)_jwt_time(NULL);
	if (c.exp <= now) {
		_free_token(tok, len);
		_fmt_time(c.exp, when, sizeof(when));
		/* Unsigned: exp may be as small as INT64_MIN. */
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "token expired at %s UTC (%llu s ago): get a new one (scontrol token); it came from %s",
				     when, (unsigned long long)((uint64_t)now - (uint64_t)c.exp),
				     source);
	}
	rc = _jwt_pack_section(tok, len, out, err, errlen);
	_free_token(tok, len);
	return rc;
}

_EXPORT const char plugin_name[] = "straw auth/jwt";
_EXPORT const char plugin_type[] = "auth/jwt";
_EXPORT const uint32_t plugin_version = STRAW_PLUGIN_VERSION;

_EXPORT const straw_auth_ops_t straw_auth_ops = {
	.init = _jwt_init,
	.fini = _jwt_fini,
	.available = _jwt_available,
	.info = _jwt_info,
	.create = _jwt_create,
};
