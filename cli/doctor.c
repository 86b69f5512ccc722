/*
 * doctor.c - `straw doctor [--json] [-v]`: walk what libslurm would do in
 * this environment and say, one line per check, what works and how to fix
 * what does not: which configuration source wins and why, a local config
 * that shadows the controllers', each controller step by step (name,
 * TCP, protocol version, credential, configless), the token, the munge
 * socket and the cache.  The exit status is 0 only when a Slurm command
 * would work, else the code of the first failing check.  --json prints
 * one document instead (schema: JSON OUTPUT in straw(1)).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define _PRINTF(a, b) __attribute__((format(printf, a, b)))
#define _WARN_EXPIRY_S 300 /* a token closer than this to its end is a warning */
#define _MAX_CHECKS 96
#define _MAX_CTLD 64 /* controllers probed, as many as a list may name */
#define _CONF_MAX (1024 * 1024)

typedef enum { _OK, _INFO, _WARN, _FAIL } _sev;

static const char *const _sev_name[] = { "ok", "info", "warn", "fail" };
static const char *const _sev_shown[] = { "OK", "INFO", "WARN", "FAIL" };

typedef struct {
	const char *id;
	char server[300];
	_sev sev;
	int code;
	char msg[STRAW_ERRLEN + 512];
	char fix[512];
} _check;

typedef struct {
	straw_probe_result probe;
	char cluster[128]; /* ClusterName of what it served */
} _ctld;

typedef struct {
	straw_options opts;
	bool verbose;
	_check checks[_MAX_CHECKS];
	size_t nchecks;
	/* the source */
	const char *winner;      /* "SLURM_CONF", "local", "controllers", "none" */
	char winner_path[4096];
	char servers[64 * 270];
	const char *servers_from; /* "STRAW_SERVERS", "SLURM_CONF_SERVER", "straw.conf", ... */
	bool straw_servers;      /* the list is straw's, not read from a slurm.conf */
	bool loader;
	const char *loader_how;
	char local[4096];        /* a local slurm.conf libslurm would read, "" none */
	/* the controllers */
	_ctld *ctld;
	size_t nctld;
	int answered;            /* index of the first that served a configuration, -1 */
	/* token, munge, cache */
	bool token_configured;
	straw_auth_status token;
	long long token_left;
	const char *auth_used;   /* "jwt" or "munge" */
	straw_auth_status munge;
	char munge_socket[256];
	bool munge_present, munge_connects;
	bool cache_checked;
	int cache_rc;
	straw_cache_status cache;
	straw_error cache_err;
} _doc;

_PRINTF(6, 7)
static void _add(_doc *d, const char *id, const char *server, _sev sev, int code,
		 const char *fmt, ...)
{
	_check *c;
	va_list ap;

	if (d->nchecks >= _MAX_CHECKS)
		return;
	c = &d->checks[d->nchecks++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	snprintf(c->server, sizeof(c->server), "%s", server ? server : "");
	c->sev = sev;
	c->code = sev == _FAIL ? (code ? code : STRAW_ERR_INTERNAL) : 0;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
}

/* The fix for the check just added. */
_PRINTF(2, 3)
static void _fix(_doc *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->nchecks)
		return;
	va_start(ap, fmt);
	vsnprintf(d->checks[d->nchecks - 1].fix, sizeof(d->checks[0].fix), fmt, ap);
	va_end(ap);
}

/* ---- slurm.conf --------------------------------------------------------- */

static void _copy_word(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* SlurmctldHost=name(addr) or name; ControlMachine=a,b with ControlAddr. */
static void _add_ctld(cli_slurm_conf *c, const char *v, size_t n)
{
	const char *paren = memchr(v, '(', n);

	if (c->nctld >= CLI_MAX_CTLD || !n)
		return;
	if (paren) {
		const char *close = memchr(paren, ')', n - (size_t)(paren - v));

		_copy_word(c->ctld_name[c->nctld], sizeof(c->ctld_name[0]), v, (size_t)(paren - v));
		_copy_word(c->ctld_addr[c->nctld], sizeof(c->ctld_addr[0]), paren + 1,
			   close ? (size_t)(close - paren - 1) : n - (size_t)(paren - v) - 1);
	} else {
		_copy_word(c->ctld_name[c->nctld], sizeof(c->ctld_name[0]), v, n);
		_copy_word(c->ctld_addr[c->nctld], sizeof(c->ctld_addr[0]), v, n);
	}
	c->nctld++;
}

void cli_slurm_conf_parse(const char *text, size_t len, cli_slurm_conf *out)
{
	const char *p = text, *end = text + len;
	char ctl_addr[256] = "";
	bool legacy = false;

	memset(out, 0, sizeof(*out));
	out->port = 6817;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q, *lend = eol ? eol : end, *hash;

		hash = memchr(p, '#', (size_t)(lend - p));
		if (hash)
			lend = hash;
		for (q = p; q < lend;) {
			const char *k, *eq, *v;
			size_t kn, vn;

			while (q < lend && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			k = q;
			while (q < lend && *q != ' ' && *q != '\t' && *q != '\r')
				q++;
			eq = memchr(k, '=', (size_t)(q - k));
			if (!eq)
				continue;
			kn = (size_t)(eq - k);
			v = eq + 1;
			vn = (size_t)(q - v);
			if (kn == 11 && !strncasecmp(k, "ClusterName", kn)) {
				_copy_word(out->cluster, sizeof(out->cluster), v, vn);
			} else if (kn == 13 && !strncasecmp(k, "SlurmctldHost", kn)) {
				_add_ctld(out, v, vn);
			} else if ((kn == 14 && !strncasecmp(k, "ControlMachine", kn)) ||
				   (kn == 16 && !strncasecmp(k, "BackupController", kn))) {
				legacy = true;
				_add_ctld(out, v, vn);
			} else if (kn == 11 && !strncasecmp(k, "ControlAddr", kn)) {
				_copy_word(ctl_addr, sizeof(ctl_addr), v, vn);
			} else if (kn == 13 && !strncasecmp(k, "SlurmctldPort", kn)) {
				unsigned long port = strtoul(v, NULL, 10);

				if (port > 0 && port < 65536)
					out->port = (unsigned)port;
			}
		}
		p = eol ? eol + 1 : end;
	}
	/* ControlAddr is the address of the first ControlMachine. */
	if (legacy && ctl_addr[0] && out->nctld)
		snprintf(out->ctld_addr[0], sizeof(out->ctld_addr[0]), "%s", ctl_addr);
}

/* Read a whole (small) file; NULL when it cannot be read. */
static char *_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(_CONF_MAX + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, _CONF_MAX, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static const straw_file *_find_file(const straw_config *cfg, const char *name)
{
	for (size_t i = 0; cfg && i < cfg->nfiles; i++)
		if (cfg->files[i].exists && cfg->files[i].name && !strcmp(cfg->files[i].name, name))
			return &cfg->files[i];
	return NULL;
}

/* "a:6817,b:6817" from a parsed slurm.conf, names or addresses. */
static void _ctld_list(const cli_slurm_conf *c, bool addr, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->nctld && used < outlen; i++) {
		const char *h = addr ? c->ctld_addr[i] : c->ctld_name[i];
		bool v6 = strchr(h, ':') != NULL;

		used += (size_t)snprintf(out + used, outlen - used, "%s%s%s%s:%u", i ? "," : "",
					 v6 ? "[" : "", h, v6 ? "]" : "", c->port);
	}
}

/* Same controllers, in any order, names compared without case. */
static bool _same_ctlds(const cli_slurm_conf *a, const cli_slurm_conf *b)
{
	if (a->nctld != b->nctld || a->port != b->port)
		return false;
	for (size_t i = 0; i < a->nctld; i++) {
		bool found = false;

		for (size_t j = 0; j < b->nctld && !found; j++)
			found = !strcasecmp(a->ctld_name[i], b->ctld_name[j]);
		if (!found)
			return false;
	}
	return true;
}

/* ---- the source ----------------------------------------------------------- */

static bool _file_names_loader(const char *path)
{
	size_t len = 0;
	char *text = _slurp(path, &len);
	bool found = false;

	if (!text)
		return false;
	/* /etc/ld.so.preload: names separated by white space or ':' */
	for (char *p = text; *p; p++)
		if (*p == '#') {
			while (*p && *p != '\n')
				*p++ = ' ';
			if (!*p)
				break;
		}
	found = cli_preload_has_loader(text);
	free(text);
	return found;
}

static void _source(_doc *d)
{
	const char *slurm_conf = cli_env_get("SLURM_CONF");
	const char *straw_servers = getenv("STRAW_SERVERS");
	const char *conf_server = getenv("SLURM_CONF_SERVER");
	straw_error err = { 0 };
	struct stat sb;

	if (cli_preload_has_loader(cli_env_get("LD_PRELOAD"))) {
		d->loader = true;
		d->loader_how = "LD_PRELOAD";
	} else if (_file_names_loader("/etc/ld.so.preload")) {
		d->loader = true;
		d->loader_how = "/etc/ld.so.preload";
	}
	if (!straw_local_config_present(&d->opts, d->local, sizeof(d->local)))
		d->local[0] = '\0';

	/* The controllers straw knows, and from where. */
	if (d->opts.servers) {
		snprintf(d->servers, sizeof(d->servers), "%s", d->opts.servers);
		d->servers_from = straw_servers && *straw_servers ? "STRAW_SERVERS" :
				  conf_server && *conf_server ? "SLURM_CONF_SERVER" : "straw.conf";
		d->straw_servers = true;
	} else if (d->opts.dns_srv &&
		   straw_servers_resolve(&d->opts, d->servers, sizeof(d->servers), &err) == STRAW_OK) {
		d->servers_from = "DNS SRV _slurmctld._tcp";
		d->straw_servers = true;
	}

	if (slurm_conf && *slurm_conf) {
		d->winner = "SLURM_CONF";
		snprintf(d->winner_path, sizeof(d->winner_path), "%s", slurm_conf);
		if (stat(slurm_conf, &sb) == 0 && S_ISREG(sb.st_mode)) {
			_add(d, "source", NULL, _OK, 0,
			     "SLURM_CONF=%s is set, and libslurm reads it before any other source", slurm_conf);
		} else {
			_add(d, "source", NULL, _FAIL, STRAW_ERR_USAGE,
			     "SLURM_CONF=%s is set but is not a readable file: libslurm retries it for 60 s, "
			     "then every command fails", slurm_conf);
			_fix(d, "unset SLURM_CONF (straw's loader then sets it), or point it at a slurm.conf");
		}
		return;
	}
	if (d->local[0] && !(d->opts.override && d->loader)) {
		d->winner = "local";
		snprintf(d->winner_path, sizeof(d->winner_path), "%s", d->local);
		_add(d, "source", NULL, _OK, 0,
		     "%s exists: libslurm reads it before any configless source%s", d->local,
		     d->straw_servers ? " (straw's controllers are not used; see shadow)" : "");
		return;
	}
	if (!d->straw_servers) {
		d->winner = "none";
		_add(d, "source", NULL, _FAIL, STRAW_ERR_USAGE,
		     "no configuration source: no SLURM_CONF, no local slurm.conf, no controller named "
		     "(STRAW_SERVERS, SLURM_CONF_SERVER, servers= in straw.conf)%s%s",
		     d->opts.dns_srv ? ", and DNS SRV _slurmctld._tcp: " : "",
		     d->opts.dns_srv ? err.msg : "");
		_fix(d, "set STRAW_SERVERS=host[:port] (or servers= in %s/straw.conf) to the "
		     "controller(s)", STRAW_SYSCONFDIR);
		return;
	}
	d->winner = "controllers";
	if (d->local[0])
		_add(d, "source", NULL, _OK, 0,
		     "controllers %s (%s): %s exists but override is on, so straw's loader sets "
		     "SLURM_CONF first", d->servers, d->servers_from, d->local);
	else
		_add(d, "source", NULL, _OK, 0,
		     "controllers %s (%s): no SLURM_CONF and no local slurm.conf (/etc/slurm, "
		     "/run/slurm/conf), so the configuration comes from the controllers",
		     d->servers, d->servers_from);
	if (d->loader) {
		_add(d, "loader", NULL, _OK, 0, "straw's loader is preloaded (%s): the first Slurm "
		     "call sets SLURM_CONF to the cached copy", d->loader_how);
	} else if (!strcmp(d->servers_from, "SLURM_CONF_SERVER") ||
		   !strcmp(d->servers_from, "DNS SRV _slurmctld._tcp")) {
		_add(d, "loader", NULL, _INFO, 0,
		     "straw's loader is not preloaded: Slurm fetches the configuration itself (%s), "
		     "one extra request per command, and only its first server's port is used",
		     d->servers_from);
		_fix(d, "run commands with `%s exec CMD`, or eval \"$(%s env)\", or put %s in LD_PRELOAD",
		     cli_prog, cli_prog, CLI_LOADER_NAME);
	} else {
		_add(d, "loader", NULL, _WARN, 0,
		     "straw's loader is not preloaded and Slurm itself does not read %s: a plain "
		     "Slurm command here finds no configuration", d->servers_from);
		_fix(d, "run commands with `%s exec CMD`, or eval \"$(%s env)\", or put %s in LD_PRELOAD",
		     cli_prog, cli_prog, CLI_LOADER_NAME);
	}
}

/* ---- the controllers ------------------------------------------------------ */

static const char *_check_word(int c)
{
	switch (c) {
	case STRAW_CHECK_OK:
		return "ok";
	case STRAW_CHECK_FAILED:
		return "failed";
	case STRAW_CHECK_UNKNOWN:
		return "unknown";
	default:
		return "skipped";
	}
}

/* Which controllers to probe: straw's, else those the winning slurm.conf names. */
static void _controller_list(_doc *d)
{
	cli_slurm_conf c;
	char *text;
	size_t len = 0;

	if (d->straw_servers || (strcmp(d->winner, "SLURM_CONF") && strcmp(d->winner, "local")))
		return;
	text = _slurp(d->winner_path, &len);
	if (!text)
		return;
	cli_slurm_conf_parse(text, len, &c);
	free(text);
	if (!c.nctld)
		return;
	_ctld_list(&c, true, d->servers, sizeof(d->servers));
	d->servers_from = "slurm.conf";
}

static void _step_line(_doc *d, const _ctld *c, const char *id, int state, _sev bad,
		       const char *ok_fmt, const char *fix)
{
	const straw_probe_result *r = &c->probe;

	const char *msg = r->error.msg;
	size_t sl = strlen(r->server);

	/* The line names the controller already. */
	if (!strncmp(msg, r->server, sl) && msg[sl] == ':' && msg[sl + 1] == ' ')
		msg += sl + 2;
	/* A standby answer says nothing about the credential: the configless line tells. */
	if (state == STRAW_CHECK_UNKNOWN && !strcmp(id, "auth") && r->configless == STRAW_CHECK_UNKNOWN)
		state = STRAW_CHECK_SKIPPED;
	if (state == STRAW_CHECK_OK) {
		_add(d, id, r->server, _OK, 0, "%s", ok_fmt);
	} else if (state == STRAW_CHECK_FAILED || state == STRAW_CHECK_UNKNOWN) {
		_add(d, id, r->server, state == STRAW_CHECK_UNKNOWN && bad == _FAIL ? _WARN : bad,
		     r->error.code, "%s", state == STRAW_CHECK_UNKNOWN && strcmp(id, "protocol") == 0 ?
		     "no version could be told: the controller closed every connection without a reply" :
		     msg);
		if (fix)
			_fix(d, "%s", fix);
	} else if (d->verbose) {
		_add(d, id, r->server, _INFO, 0, "not checked: an earlier step failed");
	}
}

static void _controllers(_doc *d)
{
	straw_options o = d->opts;
	straw_error err = { 0 };
	bool matters;
	size_t n = 1;

	d->answered = -1;
	_controller_list(d);
	if (!d->servers[0])
		return;
	o.servers = d->servers;
	o.dns_srv = false;
	o.log = NULL;
	d->ctld = calloc(_MAX_CTLD, sizeof(*d->ctld));
	if (!d->ctld) {
		_add(d, "controllers", NULL, _FAIL, STRAW_ERR_INTERNAL, "out of memory");
		return;
	}
	for (size_t i = 0; i < n && i < _MAX_CTLD; i++) {
		_ctld *c = &d->ctld[i];
		const straw_file *sc;

		straw_probe(&o, i, &c->probe, &err);
		if (c->probe.count == 0) {
			/* The list itself is bad: the error says why. */
			_add(d, "controllers", NULL, _FAIL, c->probe.error.code, "%s",
			     c->probe.error.msg);
			_fix(d, "correct the list: host[:port],... (IPv6 as [addr]:port)");
			straw_config_free(c->probe.config);
			return;
		}
		n = c->probe.count;
		d->nctld = i + 1;
		sc = _find_file(c->probe.config, "slurm.conf");
		if (sc && sc->content) {
			cli_slurm_conf p;

			cli_slurm_conf_parse(sc->content, sc->content_len, &p);
			snprintf(c->cluster, sizeof(c->cluster), "%s", p.cluster);
		}
		if (c->probe.config && d->answered < 0)
			d->answered = (int)i;
	}
	/*
	 * A failed controller breaks commands only when none answered and the
	 * list is the one commands use.
	 */
	matters = d->answered < 0 && (!strcmp(d->winner, "controllers") ||
				      !strcmp(d->servers_from, "slurm.conf"));
	for (size_t i = 0; i < d->nctld; i++) {
		const _ctld *c = &d->ctld[i];
		const straw_probe_result *r = &c->probe;
		_sev bad = matters ? _FAIL : _WARN;
		char ok[512];
		const char *auth_fix = !strcmp(r->auth_type, "jwt") ?
			"use a token signed with the controller's jwt_key (scontrol token, or straw token "
			"--key) for a user the controller knows, not expired" :
			"munged must run with the controller's munge key and a clock within 5 minutes; "
			"or use a JWT (SLURM_JWT)";

		snprintf(ok, sizeof(ok), "resolves to %s", r->address);
		_step_line(d, c, "resolve", r->resolve, bad, ok,
			   "check the name (getent hosts NAME) or give the controller's address");
		snprintf(ok, sizeof(ok), "TCP connect to %s in %d ms", r->address, r->connect_ms);
		_step_line(d, c, "connect", r->connect, bad, ok,
			   r->error.msg[0] && strstr(r->error.msg, "timed out") ?
			   "check that the host is up and that no firewall drops TCP to that port" :
			   "start slurmctld there, or name its port (SlurmctldPort, default 6817)");
		snprintf(ok, sizeof(ok), "speaks protocol %s (0x%04x)",
			 straw_protocol_name(r->protocol) ? straw_protocol_name(r->protocol) : "?",
			 r->protocol);
		_step_line(d, c, "protocol", r->version, bad, ok,
			   "use a straw that knows the controller's Slurm release, or run without a fixed "
			   "version (STRAW_PROTOCOL)");
		snprintf(ok, sizeof(ok), "accepts the auth/%s credential", r->auth_type);
		_step_line(d, c, "auth", r->auth, bad, ok, auth_fix);
		snprintf(ok, sizeof(ok), "configless is on: served %zu file(s)%s%s",
			 r->config ? r->config->nfiles : 0, c->cluster[0] ? ", ClusterName=" : "",
			 c->cluster);
		_step_line(d, c, "configless", r->configless, bad, ok,
			   r->slurm_rc == 2126 ?
			   "add enable_configless to SlurmctldParameters in the controller's slurm.conf "
			   "and run scontrol reconfigure" :
			   r->slurm_rc == 2027 || r->slurm_rc == 2131 ?
			   "a backup controller in standby answers nothing: the primary must be up" : NULL);
		/* A step that failed without reaching its own line (e.g. deadline). */
		if (r->error.code && r->resolve == STRAW_CHECK_OK && r->connect == STRAW_CHECK_OK &&
		    r->version == STRAW_CHECK_SKIPPED && r->auth == STRAW_CHECK_SKIPPED)
			_add(d, "protocol", r->server, bad, r->error.code, "%s", r->error.msg);
	}
	/* Only "unknown" steps (standby, say) still leave commands without a configuration. */
	if (matters && d->nctld) {
		bool failed = false;

		for (size_t i = 0; i < d->nchecks; i++)
			failed |= d->checks[i].server[0] && d->checks[i].sev == _FAIL;
		if (!failed) {
			_add(d, "controllers", NULL, _FAIL, d->ctld[0].probe.error.code,
			     "no controller of %s served a configuration", d->servers);
			_fix(d, "see the warnings above for each controller");
		}
	}
}

/* ---- shadowing ------------------------------------------------------------ */

/* Show the check just added next to the source lines it qualifies. */
static void _move_after_source(_doc *d)
{
	size_t at = 0;
	_check c;

	if (!d->nchecks)
		return;
	while (at < d->nchecks - 1 && (!strcmp(d->checks[at].id, "source") ||
				       !strcmp(d->checks[at].id, "loader")))
		at++;
	c = d->checks[d->nchecks - 1];
	memmove(&d->checks[at + 1], &d->checks[at], (d->nchecks - 1 - at) * sizeof(c));
	d->checks[at] = c;
}

static void _shadow(_doc *d)
{
	cli_slurm_conf mine, theirs;
	const straw_file *sc;
	const char *path = NULL;
	char *text;
	size_t len = 0;
	char a[1024], b[1024];

	if (!d->straw_servers)
		return;
	if (!strcmp(d->winner, "SLURM_CONF")) {
		/* straw's own cache is no shadow. */
		if (d->cache_checked && d->cache.folder[0] &&
		    !strncmp(d->winner_path, d->cache.folder, strlen(d->cache.folder)))
			return;
		path = d->winner_path;
	} else if (d->local[0]) {
		path = d->local;
	}
	if (!path)
		return;
	text = _slurp(path, &len);
	if (!text) {
		_add(d, "shadow", NULL, _WARN, 0, "%s cannot be read (%s) to compare with the "
		     "controllers' configuration", path, strerror(errno));
		_move_after_source(d);
		return;
	}
	cli_slurm_conf_parse(text, len, &mine);
	free(text);
	if (d->answered < 0) {
		_add(d, "shadow", NULL, _WARN, 0, "%s wins over the controllers %s, and no controller "
		     "answered to compare it with", path, d->servers);
		_move_after_source(d);
		return;
	}
	sc = _find_file(d->ctld[d->answered].probe.config, "slurm.conf");
	cli_slurm_conf_parse(sc && sc->content ? sc->content : "", sc ? sc->content_len : 0, &theirs);
	_ctld_list(&mine, false, a, sizeof(a));
	_ctld_list(&theirs, false, b, sizeof(b));
	if (strcasecmp(mine.cluster, theirs.cluster) || !_same_ctlds(&mine, &theirs)) {
		bool overridden = strcmp(d->winner, "controllers") == 0;

		_add(d, "shadow", NULL, overridden ? _INFO : _FAIL, STRAW_ERR_USAGE,
		     "%s (ClusterName=%s, controllers %s) differs from the configuration of %s "
		     "(ClusterName=%s, controllers %s)%s", path, mine.cluster[0] ? mine.cluster : "?",
		     a[0] ? a : "none", d->servers, theirs.cluster[0] ? theirs.cluster : "?",
		     b[0] ? b : "none",
		     overridden ? ": override is on, so straw's copy wins" :
		     ": Slurm commands use the local file and silently ignore the controllers "
		     "(SLURM_CONF_SERVER too)");
		if (!overridden)
			_fix(d, "%s", !strcmp(d->winner, "SLURM_CONF") ?
			     "unset SLURM_CONF, or point it at the right cluster's slurm.conf" :
			     "remove the stale local slurm.conf, or set STRAW_OVERRIDE=1 (override=yes "
			     "in straw.conf) and preload straw's loader so straw's copy wins");
	} else {
		_add(d, "shadow", NULL, _OK, 0, "%s names the same cluster (%s) and controllers as "
		     "the controllers' own configuration", path, mine.cluster[0] ? mine.cluster : "?");
	}
	_move_after_source(d);
}

/* ---- credentials ------------------------------------------------------------ */

static void _fmt_left(long long s, char *out, size_t outlen)
{
	if (s < 0)
		s = -s;
	if (s >= 86400)
		snprintf(out, outlen, "%lld d %lld h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, outlen, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, outlen, "%lld min %lld s", s / 60, s % 60);
	else
		snprintf(out, outlen, "%lld s", s);
}

static void _utc(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, outlen, "@%lld", (long long)t);
}

/* Can a client connect to this unix socket (is munged listening)? */
static bool _socket_connects(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

static void _credentials(_doc *d)
{
	const char *jwt_env = getenv("SLURM_JWT");
	const char *want = d->opts.auth ? d->opts.auth : "auto";
	straw_error err = { 0 };
	char left[64], when[64];
	struct stat sb;

	d->token_configured = (jwt_env && *jwt_env) || d->opts.jwt_file || !strcmp(want, "jwt");
	d->auth_used = !strcmp(want, "auto") ? ((jwt_env && *jwt_env) || d->opts.jwt_file ? "jwt" :
						"munge") : want;

	/* The token */
	if (!d->token_configured) {
		_add(d, "token", NULL, _INFO, 0, "no JWT (SLURM_JWT and STRAW_JWT_FILE unset): munge "
		     "is used");
	} else {
		bool used = !strcmp(d->auth_used, "jwt");
		_sev bad = used ? _FAIL : _WARN;

		straw_auth_describe(&d->opts, "jwt", &d->token, &err);
		if (!d->token.loaded || d->token.error.code) {
			_add(d, "token", NULL, bad, STRAW_ERR_AUTH, "%s", d->token.error.msg);
			_fix(d, "%s", d->token.loaded ?
			     "set SLURM_JWT (or STRAW_JWT_FILE) to a token from `scontrol token` or "
			     "`straw token`" : "reinstall straw (auth_jwt.so)");
		} else if (!d->token.expires) {
			_add(d, "token", NULL, _WARN, 0, "the JWT from %s (user %s) has no expiry straw "
			     "can read", d->token.source, d->token.user[0] ? d->token.user : "?");
		} else {
			d->token_left = (long long)d->token.expires - (long long)time(NULL);
			_fmt_left(d->token_left, left, sizeof(left));
			_utc(d->token.expires, when, sizeof(when));
			if (d->token_left <= 0) {
				_add(d, "token", NULL, bad, STRAW_ERR_AUTH,
				     "the JWT from %s (user %s) expired at %s, %s ago: controllers "
				     "refuse it", d->token.source, d->token.user[0] ? d->token.user : "?",
				     when, left);
				_fix(d, "get a new token (scontrol token, or straw token --key) and set "
				     "SLURM_JWT or the file to it");
			} else if (d->token_left < _WARN_EXPIRY_S) {
				_add(d, "token", NULL, _WARN, 0,
				     "the JWT from %s (user %s) expires in %s (at %s)", d->token.source,
				     d->token.user[0] ? d->token.user : "?", left, when);
				_fix(d, "get a new token soon (scontrol token, or straw token --key)");
			} else {
				_add(d, "token", NULL, _OK, 0,
				     "JWT from %s for user %s, expires in %s (at %s)%s", d->token.source,
				     d->token.user[0] ? d->token.user : "?", left, when,
				     used ? "" : "; not used: auth is munge");
			}
		}
	}

	/* The munge socket */
	straw_auth_describe(&d->opts, "munge", &d->munge, &err);
	if (!strncmp(d->munge.source, "munge socket ", 13))
		snprintf(d->munge_socket, sizeof(d->munge_socket), "%s", d->munge.source + 13);
	d->munge_present = d->munge_socket[0] && stat(d->munge_socket, &sb) == 0 &&
			   S_ISSOCK(sb.st_mode);
	d->munge_connects = d->munge_present && _socket_connects(d->munge_socket);
	if (!strcmp(d->auth_used, "munge")) {
		if (!d->munge.loaded) {
			_add(d, "munge", NULL, _FAIL, STRAW_ERR_AUTH, "%s", d->munge.error.msg);
			_fix(d, "install the straw-munge package, or use a JWT (SLURM_JWT)");
		} else if (!d->munge_present) {
			_add(d, "munge", NULL, _FAIL, STRAW_ERR_AUTH, "no munge socket at %s",
			     d->munge_socket[0] ? d->munge_socket : "(unknown)");
			_fix(d, "start munged (with the cluster's key) or mount its socket there; set "
			     "STRAW_MUNGE_SOCKET to another path; or use a JWT (SLURM_JWT)");
		} else if (!d->munge_connects) {
			_add(d, "munge", NULL, _FAIL, STRAW_ERR_AUTH,
			     "munge socket %s exists but nothing answers on it", d->munge_socket);
			_fix(d, "start munged");
		} else {
			_add(d, "munge", NULL, _OK, 0, "munged answers on %s", d->munge_socket);
		}
	} else {
		_add(d, "munge", NULL, _INFO, 0, "%s%s (not needed: JWT is used)",
		     d->munge_connects ? "munged answers on " :
		     d->munge_present ? "a munge socket (nothing answering) at " : "no munge socket at ",
		     d->munge_socket[0] ? d->munge_socket : "(unknown)");
		/* Slurm commands take their JWT from SLURM_JWT only. */
		if (d->token.loaded && !strncmp(d->token.source, "file ", 5) &&
		    !(jwt_env && *jwt_env) && !d->munge_connects) {
			_add(d, "token", NULL, _WARN, 0,
			     "the token comes from a %s, but Slurm commands read only SLURM_JWT and "
			     "there is no munge here: straw fetches, sinfo then cannot authenticate",
			     d->token.source);
			_fix(d, "export SLURM_JWT=\"$(cat %s)\"", d->token.source + 5);
		}
	}
}

/* ---- the cache ------------------------------------------------------------ */

static void _cache(_doc *d)
{
	straw_options o = d->opts;
	char age[64];
	bool used = !strcmp(d->winner, "controllers");

	if (!d->straw_servers || !strcmp(d->servers_from, "slurm.conf"))
		return;
	o.servers = d->servers;
	o.log = NULL;
	d->cache_checked = true;
	d->cache_rc = straw_cache_inspect(&o, &d->cache, &d->cache_err);
	if (d->cache_rc) {
		_add(d, "cache", NULL, used ? _FAIL : _WARN, d->cache_rc, "%s", d->cache_err.msg);
		_fix(d, "set STRAW_CACHE_DIR to a folder of yours (mode 0700), or repair the one named");
		return;
	}
	if (!d->cache.present) {
		_add(d, "cache", NULL, used ? _OK : _INFO, 0,
		     "%s (owner uid %u, mode %04o) holds no copy yet: the first Slurm command "
		     "fetches one", d->cache.folder, d->cache.owner, d->cache.mode);
	} else {
		_fmt_left(d->cache.age_s, age, sizeof(age));
		_add(d, "cache", NULL, used ? _OK : _INFO, 0,
		     "%s (owner uid %u, mode %04o): %s, fetched %s ago from %s (protocol %s), %s",
		     d->cache.folder, d->cache.owner, d->cache.mode, d->cache.generation, age,
		     d->cache.controller[0] ? d->cache.controller : "?",
		     straw_protocol_name(d->cache.protocol) ? straw_protocol_name(d->cache.protocol) :
		     "?", d->cache.fresh ? "fresh" : "stale: the next Slurm command refreshes it");
	}
	if (d->cache.failed && d->cache.last_error[0]) {
		_utc(d->cache.failed, age, sizeof(age));
		_add(d, "cache", NULL, _WARN, 0, "the last refresh failed (%s): %s", age,
		     d->cache.last_error);
	}
}

/* ---- output ----------------------------------------------------------------- */

void cli_json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static const char *_nz(const char *s)
{
	return s && *s ? s : NULL;
}

static void _json(const _doc *d, int code, FILE *f)
{
	fprintf(f, "{\n  \"straw_version\": ");
	cli_json_str(f, STRAW_VERSION_STRING);
	fprintf(f, ",\n  \"ok\": %s,\n  \"exit_code\": %d,\n", code ? "false" : "true", code);

	fprintf(f, "  \"source\": {\"winner\": ");
	cli_json_str(f, d->winner);
	fprintf(f, ", \"path\": ");
	cli_json_str(f, _nz(d->winner_path));
	fprintf(f, ", \"local_config\": ");
	cli_json_str(f, _nz(d->local));
	fprintf(f, ", \"servers\": ");
	cli_json_str(f, _nz(d->servers));
	fprintf(f, ", \"servers_from\": ");
	cli_json_str(f, d->servers_from);
	fprintf(f, ", \"loader\": %s, \"loader_from\": ", d->loader ? "true" : "false");
	cli_json_str(f, d->loader_how);
	fprintf(f, ", \"override\": %s, \"straw_conf\": ", d->opts.override ? "true" : "false");
	cli_json_str(f, d->opts.config_file);
	fprintf(f, "},\n");

	fprintf(f, "  \"checks\": [");
	for (size_t i = 0; i < d->nchecks; i++) {
		const _check *c = &d->checks[i];

		fprintf(f, "%s\n    {\"id\": ", i ? "," : "");
		cli_json_str(f, c->id);
		fprintf(f, ", \"server\": ");
		cli_json_str(f, _nz(c->server));
		fprintf(f, ", \"status\": \"%s\", \"code\": %d, \"message\": ", _sev_name[c->sev],
			c->code);
		cli_json_str(f, c->msg);
		fprintf(f, ", \"fix\": ");
		cli_json_str(f, _nz(c->fix));
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n");

	fprintf(f, "  \"controllers\": [");
	for (size_t i = 0; i < d->nctld; i++) {
		const straw_probe_result *r = &d->ctld[i].probe;

		fprintf(f, "%s\n    {\"server\": ", i ? "," : "");
		cli_json_str(f, r->server);
		fprintf(f, ", \"address\": ");
		cli_json_str(f, _nz(r->address));
		fprintf(f, ", \"resolve\": \"%s\", \"connect\": \"%s\", \"connect_ms\": %d, "
			"\"version\": \"%s\", \"protocol\": ", _check_word(r->resolve),
			_check_word(r->connect), r->connect_ms, _check_word(r->version));
		cli_json_str(f, r->protocol ? straw_protocol_name(r->protocol) : NULL);
		fprintf(f, ", \"protocol_wire\": %u, \"auth\": \"%s\", \"auth_type\": ", r->protocol,
			_check_word(r->auth));
		cli_json_str(f, _nz(r->auth_type));
		fprintf(f, ", \"configless\": \"%s\", \"slurm_rc\": %u, \"files\": %zu, "
			"\"cluster_name\": ", _check_word(r->configless), r->slurm_rc,
			r->config ? r->config->nfiles : 0);
		cli_json_str(f, _nz(d->ctld[i].cluster));
		fprintf(f, ", \"code\": %d, \"error\": ", r->error.code);
		cli_json_str(f, r->error.code ? r->error.msg : NULL);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n");

	fprintf(f, "  \"token\": {\"configured\": %s, \"used\": %s, \"present\": %s, \"source\": ",
		d->token_configured ? "true" : "false",
		d->auth_used && !strcmp(d->auth_used, "jwt") ? "true" : "false",
		d->token.loaded && !d->token.error.code ? "true" : "false");
	cli_json_str(f, _nz(d->token.source));
	fprintf(f, ", \"user\": ");
	cli_json_str(f, _nz(d->token.user));
	if (d->token.expires)
		fprintf(f, ", \"expires\": %lld, \"expires_in\": %lld", (long long)d->token.expires,
			d->token_left);
	else
		fprintf(f, ", \"expires\": null, \"expires_in\": null");
	fprintf(f, ", \"error\": ");
	cli_json_str(f, d->token.error.code ? d->token.error.msg : NULL);
	fprintf(f, "},\n");

	fprintf(f, "  \"munge\": {\"used\": %s, \"plugin\": %s, \"socket\": ",
		d->auth_used && !strcmp(d->auth_used, "munge") ? "true" : "false",
		d->munge.loaded ? "true" : "false");
	cli_json_str(f, _nz(d->munge_socket));
	fprintf(f, ", \"present\": %s, \"answers\": %s},\n", d->munge_present ? "true" : "false",
		d->munge_connects ? "true" : "false");

	if (!d->cache_checked) {
		fprintf(f, "  \"cache\": null\n}\n");
		return;
	}
	fprintf(f, "  \"cache\": {\"error\": ");
	cli_json_str(f, d->cache_rc ? d->cache_err.msg : NULL);
	fprintf(f, ", \"root\": ");
	cli_json_str(f, _nz(d->cache.root));
	fprintf(f, ", \"folder\": ");
	cli_json_str(f, _nz(d->cache.folder));
	fprintf(f, ", \"conf\": ");
	cli_json_str(f, _nz(d->cache.conf));
	fprintf(f, ", \"owner\": %u, \"mode\": \"%04o\", \"present\": %s, \"fresh\": %s",
		d->cache.owner, d->cache.mode, d->cache.present ? "true" : "false",
		d->cache.fresh ? "true" : "false");
	if (d->cache.fetched)
		fprintf(f, ", \"fetched\": %lld, \"age_s\": %lld", (long long)d->cache.fetched,
			d->cache.age_s);
	else
		fprintf(f, ", \"fetched\": null, \"age_s\": null");
	fprintf(f, ", \"generation\": ");
	cli_json_str(f, _nz(d->cache.generation));
	fprintf(f, ", \"controller\": ");
	cli_json_str(f, _nz(d->cache.controller));
	fprintf(f, ", \"protocol\": ");
	cli_json_str(f, d->cache.protocol ? straw_protocol_name(d->cache.protocol) : NULL);
	fprintf(f, ", \"last_error\": ");
	cli_json_str(f, d->cache.failed ? _nz(d->cache.last_error) : NULL);
	fprintf(f, "}\n}\n");
}

static void _human(const _doc *d, int code, FILE *f)
{
	size_t nfail = 0, nwarn = 0;

	for (size_t i = 0; i < d->nchecks; i++) {
		const _check *c = &d->checks[i];

		nfail += c->sev == _FAIL;
		nwarn += c->sev == _WARN;
		fprintf(f, "%-4s  %s%s%s: %s", _sev_shown[c->sev], c->id, c->server[0] ? " " : "",
			c->server, c->msg);
		/* Engine messages often end with their fix already. */
		if (c->fix[0] && c->sev != _OK && !strstr(c->msg, c->fix))
			fprintf(f, "; fix: %s", c->fix);
		fputc('\n', f);
	}
	if (code)
		fprintf(f, "result: a Slurm command would fail here: %zu problem(s), %zu warning(s) "
			"(exit %d: %s)\n", nfail, nwarn, code, straw_code_name(code));
	else
		fprintf(f, "result: a Slurm command would work here%s\n",
			nwarn ? " (see the warnings)" : "");
}

static void _doctor_usage(FILE *f)
{
	fprintf(f,
		"usage: %s doctor [--json] [-v]\n"
		"\n"
		"Check, step by step, what a Slurm command run here would do: which configuration\n"
		"source wins and why, a local slurm.conf shadowing the controllers', each controller\n"
		"(name, TCP, protocol version, credential, configless), the token, the munge socket\n"
		"and straw's cache; with a fix for each failure.  Exit 0 only when a Slurm command\n"
		"would work, else the code of the first failure (as for %s).\n"
		"\n"
		"  -j, --json     one JSON document on stdout (schema in straw(1))\n"
		"  -v, --verbose  also list the steps not reached\n",
		cli_prog, cli_prog);
}

int cli_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	straw_error err = { 0 };
	bool json = false;
	_doc *d;
	int c, code = 0;

	optind = 1;
	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "%s doctor: out of memory\n", cli_prog);
		return STRAW_ERR_INTERNAL;
	}
	while ((c = getopt_long(argc, argv, "jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			d->verbose = true;
			break;
		case 'h':
			_doctor_usage(stdout);
			free(d);
			return 0;
		default:
			_doctor_usage(stderr);
			free(d);
			return STRAW_ERR_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s doctor: unexpected argument '%s'\n", cli_prog, argv[optind]);
		free(d);
		return STRAW_ERR_USAGE;
	}
	if (straw_options_init(&d->opts, &err) != STRAW_OK) {
		/* A bad straw.conf or variable is itself the finding. */
		d->winner = "none";
		_add(d, "options", NULL, _FAIL, err.code, "%s", err.msg);
		_fix(d, "correct the setting named");
	} else {
		_source(d);
		_controllers(d);
		_credentials(d);
		_cache(d);
		_shadow(d);
	}
	for (size_t i = 0; i < d->nchecks && !code; i++)
		if (d->checks[i].sev == _FAIL)
			code = d->checks[i].code;
	if (json)
		_json(d, code, stdout);
	else
		_human(d, code, stdout);
	fflush(stdout);
	for (size_t i = 0; d->ctld && i < d->nctld; i++)
		straw_config_free(d->ctld[i].probe.config);
	free(d->ctld);
	straw_options_free(&d->opts);
	free(d);
	return code;
}
