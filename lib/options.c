/*
 * options.c - straw_options from straw.conf and the environment.
 *
 * Order: built-in defaults, then /etc/straw.conf (or $STRAW_CONF), then the
 * environment, which wins.  Every value is checked: a bad one is an error
 * naming where it came from (variable, or file and line) and the fix,
 * never a silent default.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#ifndef STRAW_SYSCONFDIR
#define STRAW_SYSCONFDIR "/etc"
#endif

#define _CONF_MAX (64 * 1024)

/* Strings read from straw.conf live here, owned by the options. */
typedef struct {
	char *buf;
	size_t used, cap;
} _store;

static const char *_env(const straw_options *o, const char *name)
{
	const char *v = o->secure ? NULL : getenv(name);

	return (v && *v) ? v : NULL;
}

/* Seconds, possibly fractional ("0.25"), into milliseconds. */
static int _parse_ms(const char *v, int min_ms, int max_ms, int *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d * 1000 < min_ms || d * 1000 > max_ms)
		return -1;
	*out = (int)(d * 1000 + 0.5);
	return 0;
}

static int _parse_s(const char *v, int max_s, int *out)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(v, &end, 10);
	if (errno || end == v || *end || l < 0 || l > max_s)
		return -1;
	*out = (int)l;
	return 0;
}

static int _parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "false") ||
		 !strcasecmp(v, "off"))
		*out = false;
	else
		return -1;
	return 0;
}

static bool _auth_ok(const char *a)
{
	return !strcmp(a, "auto") || !strcmp(a, "munge") || !strcmp(a, "jwt");
}

/*
 * One setting, from the file (where != NULL: "file:line") or the
 * environment (where == NULL, name is the variable).
 */
typedef enum { _K_STR, _K_AUTH, _K_PROTO, _K_MS, _K_S, _K_BOOL } _kind;

typedef struct {
	const char *key; /* in straw.conf */
	const char *env; /* its variable */
	_kind kind;
	size_t off;      /* in straw_options */
	int min, max;
	const char *help;
} _setting;

#define _OFF(f) offsetof(straw_options, f)

static const _setting _settings[] = {
	{ "servers", NULL, _K_STR, _OFF(servers), 0, 0, "host[:port],..." },
	{ "auth", "STRAW_AUTH", _K_AUTH, _OFF(auth), 0, 0, "auto, munge or jwt" },
	{ "protocol", "STRAW_PROTOCOL", _K_PROTO, _OFF(protocol), 0, 0, "auto or NN.NN (see straw -l)" },
	{ "cache_dir", "STRAW_CACHE_DIR", _K_STR, _OFF(cache_dir), 0, 0, "a folder" },
	{ "ttl", "STRAW_TTL", _K_S, _OFF(ttl_s), 0, 31536000, "whole seconds" },
	{ "max_stale", "STRAW_MAX_STALE", _K_S, _OFF(max_stale_s), 0, 315360000, "whole seconds" },
	{ "connect_timeout", "STRAW_CONNECT_TIMEOUT", _K_MS, _OFF(connect_timeout_ms), 10, 600000,
	  "seconds" },
	{ "timeout", "STRAW_TIMEOUT", _K_MS, _OFF(reply_timeout_ms), 10, 600000, "seconds" },
	{ "deadline", "STRAW_DEADLINE", _K_MS, _OFF(deadline_ms), 10, 3600000, "seconds" },
	{ "jwt_file", "STRAW_JWT_FILE", _K_STR, _OFF(jwt_file), 0, 0, "a file path" },
	{ "munge_socket", "STRAW_MUNGE_SOCKET", _K_STR, _OFF(munge_socket), 0, 0, "a socket path" },
	{ "local_configs", NULL, _K_STR, _OFF(local_configs), 0, 0, "paths separated by ':'" },
	{ "override", "STRAW_OVERRIDE", _K_BOOL, _OFF(override), 0, 0, "yes or no" },
	{ "dns_srv", "STRAW_DNS_SRV", _K_BOOL, _OFF(dns_srv), 0, 0, "yes or no" },
};

static int _apply(straw_options *o, const _setting *s, const char *v, const char *where,
		  straw_error *err)
{
	void *field = (char *)o + s->off;
	const char *name = where ? s->key : s->env;
	int bad = 0;

	switch (s->kind) {
	case _K_STR:
		*(const char **)field = v;
		break;
	case _K_AUTH:
		if (!_auth_ok(v))
			bad = 1;
		else
			*(const char **)field = v;
		break;
	case _K_PROTO:
		if (!strcmp(v, "auto"))
			*(uint16_t *)field = STRAW_PROTOCOL_AUTO;
		else if (!(*(uint16_t *)field = straw_protocol_parse(v)))
			bad = 1;
		break;
	case _K_MS:
		bad = _parse_ms(v, s->min, s->max, (int *)field);
		break;
	case _K_S:
		bad = _parse_s(v, s->max, (int *)field);
		break;
	case _K_BOOL:
		bad = _parse_bool(v, (bool *)field);
		break;
	}
	if (!bad)
		return STRAW_OK;
	if (s->kind == _K_MS)
		return straw_seterr(err, STRAW_ERR_USAGE, "%s%s%s='%.60s' is not valid: give %s from %g to %g",
				    where ? where : "", where ? ": " : "", name, v, s->help,
				    s->min / 1000.0, s->max / 1000.0);
	return straw_seterr(err, STRAW_ERR_USAGE, "%s%s%s='%.60s' is not valid: give %s",
			    where ? where : "", where ? ": " : "", name, v, s->help);
}

static char *_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Parse straw.conf text (key = value lines, '#' comments).  Values are
 * kept in st (one copy of the text, edited in place).  path names the file
 * in messages.
 */


int straw_conf_parse(straw_options *o, char *text, const char *path, straw_error *err)
{
	char *line = text, *next;
	unsigned lineno = 0;

	for (; line; line = next) {
		char where[300], *eq, *key, *val;
		const _setting *s = NULL;
		int rc;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		snprintf(where, sizeof(where), "%.250s:%u", path, lineno);
		for (char *p = line; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\r')
				return straw_seterr(err, STRAW_ERR_USAGE,
						    "%s: control character in the line", where);
		if (line[0] != '\0' && strchr(line, '#') && line[strspn(line, " \t")] == '#')
			continue;
		key = _trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq)
			return straw_seterr(err, STRAW_ERR_USAGE,
					    "%s: expected 'key = value', got '%.60s'", where, key);
		*eq = '\0';
		key = _trim(key);
		val = _trim(eq + 1);
		/* A trailing comment needs a space before '#'; '#' may be inside paths. */
		for (char *h = val; (h = strchr(h, '#')); h++)
			if (h > val && isspace((unsigned char)h[-1])) {
				*h = '\0';
				val = _trim(val);
				break;
			}
		for (size_t i = 0; i < sizeof(_settings) / sizeof(_settings[0]); i++)
			if (!strcmp(_settings[i].key, key))
				s = &_settings[i];
		if (!s)
			return straw_seterr(err, STRAW_ERR_USAGE,
					    "%s: unknown setting '%.60s' (see straw.conf(5))", where, key);
		if (!*val)
			return straw_seterr(err, STRAW_ERR_USAGE, "%s: %s has no value: give %s", where,
					    key, s->help);
		rc = _apply(o, s, val, where, err);
		if (rc)
			return rc;
	}
	return STRAW_OK;
}

/* Read the file: missing is fine unless it was asked for by name. */
static int _read_conf(straw_options *o, _store *st, straw_error *err)
{
	const char *path = _env(o, "STRAW_CONF");
	bool named = path != NULL;
	struct stat sb;
	FILE *f;
	size_t n;

	if (!path)
		path = STRAW_SYSCONFDIR "/straw.conf";
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !named)
			return STRAW_OK;
		return straw_seterr(err, STRAW_ERR_USAGE, "cannot read %s: %s%s", path, strerror(errno),
				    named ? " (named by STRAW_CONF)" : "");
	}
	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > _CONF_MAX) {
		fclose(f);
		return straw_seterr(err, STRAW_ERR_USAGE, "%s: not a regular file of at most %d bytes",
				    path, _CONF_MAX);
	}
	st->cap = (size_t)sb.st_size + strlen(path) + 2;
	st->buf = malloc(st->cap);
	if (!st->buf) {
		fclose(f);
		return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory");
	}
	/* The path first, so config_file can point at it; then the text. */
	strcpy(st->buf, path);
	st->used = strlen(path) + 1;
	n = fread(st->buf + st->used, 1, (size_t)sb.st_size, f);
	fclose(f);
	st->buf[st->used + n] = '\0';
	if (memchr(st->buf + st->used, '\0', n))
		return straw_seterr(err, STRAW_ERR_USAGE, "%s: contains a NUL byte: not a text file", path);
	o->config_file = st->buf;
	return straw_conf_parse(o, st->buf + st->used, path, err);
}

static void _defaults(straw_options *o)
{
	memset(o, 0, sizeof(*o));
	o->auth = "auto";
	o->connect_timeout_ms = 1000;
	o->reply_timeout_ms = 3000;
	o->deadline_ms = 10000;
	o->ttl_s = 60;
	o->max_stale_s = 86400;
	o->dns_srv = true;
	o->secure = getauxval(AT_SECURE) != 0;
}

STRAW_EXPORT int straw_options_init_flags(straw_options *o, unsigned flags, straw_error *err)
{
	_store *st;
	const char *v;
	int rc;

	_defaults(o);
	st = calloc(1, sizeof(*st));
	if (!st)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory");
	o->priv = st;
	rc = _read_conf(o, st, err);
	if (rc) {
		if (!(flags & STRAW_INIT_LENIENT))
			return rc;
		/* Start again from the defaults, keeping only the warning. */
		{
			char warning[STRAW_ERRLEN];

			snprintf(warning, sizeof(warning), "ignoring straw.conf: %.480s", err ? err->msg : "");
			straw_options_free(o);
			_defaults(o);
			snprintf(o->warning, sizeof(o->warning), "%s", warning);
		}
	}
	for (size_t i = 0; i < sizeof(_settings) / sizeof(_settings[0]); i++) {
		if (!_settings[i].env || !(v = _env(o, _settings[i].env)))
			continue;
		rc = _apply(o, &_settings[i], v, NULL, err);
		if (rc)
			return rc;
	}
	if ((v = _env(o, "STRAW_SERVERS")) || (v = _env(o, "SLURM_CONF_SERVER")))
		o->servers = v;
	o->plugin_dir = _env(o, "STRAW_PLUGIN_DIR");
	return STRAW_OK;
}

STRAW_EXPORT int straw_options_init(straw_options *o, straw_error *err)
{
	return straw_options_init_flags(o, 0, err);
}

STRAW_EXPORT void straw_options_free(straw_options *o)
{
	_store *st = o->priv;

	if (st) {
		free(st->buf);
		free(st);
	}
	o->priv = NULL;
	o->config_file = NULL;
}

STRAW_EXPORT bool straw_local_config_present(const straw_options *o, char *which, size_t len)
{
	static const char *const defaults[] = { "/etc/slurm/slurm.conf", "/run/slurm/conf/slurm.conf" };
	struct stat sb;

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (stat(defaults[i], &sb) == 0) {
			if (which)
				snprintf(which, len, "%s", defaults[i]);
			return true;
		}
	for (const char *p = o->local_configs; p && *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char path[4096];

		if (n && n < sizeof(path)) {
			memcpy(path, p, n);
			path[n] = '\0';
			if (stat(path, &sb) == 0) {
				if (which)
					snprintf(which, len, "%s", path);
				return true;
			}
		}
		p = end ? end + 1 : p + n;
	}
	return false;
}

STRAW_EXPORT int straw_servers_resolve(const straw_options *o, char *out, size_t outlen,
				       straw_error *err)
{
	if (o->servers) {
		if (strlen(o->servers) >= outlen)
			return straw_seterr(err, STRAW_ERR_USAGE, "controller list too long");
		snprintf(out, outlen, "%s", o->servers);
		return STRAW_OK;
	}
	if (!o->dns_srv)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "no controller known: name one (straw HOST[:PORT]) or set "
				    "STRAW_SERVERS or SLURM_CONF_SERVER, or servers= in straw.conf");
	return straw_srv_lookup(out, outlen, err);
}
