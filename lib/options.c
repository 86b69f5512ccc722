/*
 * options.c - straw_options from the environment, with every value checked:
 * a bad variable is an error naming the variable and the fix, never a
 * silent default.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "internal.h"

static const char *_env(const straw_options *o, const char *name)
{
	const char *v = o->secure ? NULL : getenv(name);

	return (v && *v) ? v : NULL;
}

/* Seconds, possibly fractional ("0.25"), into milliseconds. */
static int _env_ms(const straw_options *o, const char *name, int min_ms, int max_ms, int *out,
		   straw_error *err)
{
	const char *v = _env(o, name);
	char *end;
	double d;

	if (!v)
		return STRAW_OK;
	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d * 1000 < min_ms || d * 1000 > max_ms)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "%s='%.40s' is not valid: give seconds from %g to %g", name, v,
				    min_ms / 1000.0, max_ms / 1000.0);
	*out = (int)(d * 1000 + 0.5);
	return STRAW_OK;
}

static int _env_s(const straw_options *o, const char *name, int max_s, int *out, straw_error *err)
{
	const char *v = _env(o, name);
	char *end;
	long l;

	if (!v)
		return STRAW_OK;
	errno = 0;
	l = strtol(v, &end, 10);
	if (errno || end == v || *end || l < 0 || l > max_s)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "%s='%.40s' is not valid: give whole seconds from 0 to %d", name, v,
				    max_s);
	*out = (int)l;
	return STRAW_OK;
}

/* Also used by the CLI for --auth: "auto", "munge" or "jwt". */
static bool _auth_ok(const char *a)
{
	return !strcmp(a, "auto") || !strcmp(a, "munge") || !strcmp(a, "jwt");
}

STRAW_EXPORT int straw_options_init(straw_options *o, straw_error *err)
{
	const char *v;
	int rc;

	memset(o, 0, sizeof(*o));
	o->auth = "auto";
	o->connect_timeout_ms = 1000;
	o->reply_timeout_ms = 3000;
	o->deadline_ms = 10000;
	o->ttl_s = 60;
	o->max_stale_s = 86400;
	o->secure = getauxval(AT_SECURE) != 0;

	o->servers = _env(o, "STRAW_SERVERS");
	if (!o->servers)
		o->servers = _env(o, "SLURM_CONF_SERVER");

	if ((v = _env(o, "STRAW_AUTH"))) {
		if (!_auth_ok(v))
			return straw_seterr(err, STRAW_ERR_USAGE,
					    "STRAW_AUTH='%.40s' is not valid: use auto, munge or jwt", v);
		o->auth = v;
	}
	if ((v = _env(o, "STRAW_PROTOCOL")) && strcmp(v, "auto") != 0) {
		o->protocol = straw_protocol_parse(v);
		if (!o->protocol)
			return straw_seterr(err, STRAW_ERR_USAGE,
					    "STRAW_PROTOCOL='%.40s' is not a version straw speaks: "
					    "use auto or one of `straw -l`", v);
	}
	if ((rc = _env_ms(o, "STRAW_CONNECT_TIMEOUT", 10, 600000, &o->connect_timeout_ms, err)) ||
	    (rc = _env_ms(o, "STRAW_TIMEOUT", 10, 600000, &o->reply_timeout_ms, err)) ||
	    (rc = _env_ms(o, "STRAW_DEADLINE", 10, 3600000, &o->deadline_ms, err)) ||
	    (rc = _env_s(o, "STRAW_TTL", 31536000, &o->ttl_s, err)) ||
	    (rc = _env_s(o, "STRAW_MAX_STALE", 315360000, &o->max_stale_s, err)))
		return rc;
	o->cache_dir = _env(o, "STRAW_CACHE_DIR");
	o->jwt_file = _env(o, "STRAW_JWT_FILE");
	o->munge_socket = _env(o, "STRAW_MUNGE_SOCKET");
	o->plugin_dir = _env(o, "STRAW_PLUGIN_DIR");
	return STRAW_OK;
}
