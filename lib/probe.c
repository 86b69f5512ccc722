/*
 * probe.c - one controller, step by step, for `straw doctor`: name
 * resolution, TCP connect, a protocol version both sides speak, the
 * credential, configless.  A fetch (fetch.c) only needs to know whether
 * it got a configuration; a diagnosis needs to know which step failed,
 * so the negotiation of PROTOCOL.md section 10.2 is walked here with each
 * outcome recorded instead of folded into one error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "net.h"

#define _MAX_ADDRS 4

typedef struct {
	const straw_options *opts;
	straw_probe_result *res;
	straw_auth auth;
	const struct addrinfo *ai; /* the address that connected */
	int64_t deadline;
} _probe;

static int _fail(_probe *p, int code, const char *fmt, ...) STRAW_PRINTF(3, 4);

/* Record the failing step's message, prefixed with the controller. */
static int _fail(_probe *p, int code, const char *fmt, ...)
{
	char msg[STRAW_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return straw_seterr(&p->res->error, code, "%s: %s", p->res->server, msg);
}

/* A reply that is a Slurm return code: which step it speaks about. */
static int _rc(_probe *p, uint32_t rc, const char *rc_msg)
{
	straw_probe_result *r = p->res;
	const char *name = straw_rc_name(rc), *text = straw_rc_text(rc);

	r->slurm_rc = rc;
	switch (rc) {
	case SLURM_RC_AUTH:
		r->auth = STRAW_CHECK_FAILED;
		return _fail(p, STRAW_ERR_AUTH,
			     "the controller refused the auth/%s credential (%s %u)%s%s", r->auth_type,
			     name ? name : "error", rc, text ? ": " : "", text ? text : "");
	case SLURM_RC_CONFIGLESS_DISABLED:
		r->auth = STRAW_CHECK_OK;
		r->configless = STRAW_CHECK_FAILED;
		return _fail(p, STRAW_ERR_REFUSED,
			     "configless is off (%s %u): add enable_configless to SlurmctldParameters "
			     "in the controller's slurm.conf and run scontrol reconfigure",
			     name ? name : "error", rc);
	case SLURM_RC_USER_ID_MISSING:
		r->auth = STRAW_CHECK_OK;
		r->configless = STRAW_CHECK_FAILED;
		break;
	case SLURM_RC_STANDBY:
	case SLURM_RC_STANDBY_BACKUP:
	case SLURM_RC_BACKOFF:
	case SLURM_RC_HARD_DROP:
		/* Not serving now, as fetch.c counts it: another controller may. */
		r->auth = STRAW_CHECK_UNKNOWN;
		r->configless = STRAW_CHECK_UNKNOWN;
		return _fail(p, STRAW_ERR_UNREACHABLE, "the controller answered %s (%u)%s%s",
			     name ? name : "error code", rc, text ? ": " : "", text ? text : "");
	default:
		r->auth = STRAW_CHECK_OK;
		r->configless = STRAW_CHECK_FAILED;
		break;
	}
	return _fail(p, STRAW_ERR_REFUSED, "the controller answered %s (%u)%s%s%s%s",
		     name ? name : "error code", rc, text ? ": " : "", text ? text : "",
		     rc_msg ? ": " : "", rc_msg ? rc_msg : "");
}

/*
 * Negotiate and fetch over the connection fd, as a fetch does (fetch.c),
 * then say which step the outcome speaks about.
 */
static int _negotiate(_probe *p, int fd)
{
	straw_probe_result *r = p->res;
	straw_fetch_outcome seen = { 0 };
	int rc;

	rc = straw_fetch_at(p->opts, &p->auth, r->server, p->ai, fd, &r->config, &seen, &r->error);
	if (seen.answered) {
		r->version = STRAW_CHECK_OK;
		r->protocol = seen.answered;
	}
	if (rc == STRAW_OK) {
		r->auth = STRAW_CHECK_OK;
		r->configless = STRAW_CHECK_OK;
		return STRAW_OK;
	}
	if (seen.rc)
		return _rc(p, seen.rc, NULL);
	switch (rc) {
	case STRAW_ERR_AUTH:
		/*
		 * No credential, or silence at every version: up to 24.05 a
		 * controller closes without a word on a bad credential as on a
		 * version it does not speak.
		 */
		if (!seen.answered && seen.sent)
			r->version = STRAW_CHECK_UNKNOWN;
		r->auth = STRAW_CHECK_FAILED;
		break;
	case STRAW_ERR_PROTOCOL:
		if (seen.answered) {
			/* A version was spoken: the configuration itself was refused. */
			r->auth = STRAW_CHECK_OK;
			r->configless = STRAW_CHECK_FAILED;
		} else {
			r->version = STRAW_CHECK_FAILED;
		}
		break;
	}
	return rc;
}

STRAW_EXPORT int straw_probe(const straw_options *opts, size_t index, straw_probe_result *res,
			     straw_error *err)
{
	const size_t listlen = STRAW_MAX_SERVERS * 270;
	straw_server *servers = NULL;
	struct addrinfo *ai_list = NULL;
	_probe p = { .opts = opts, .res = res };
	char *list = NULL;
	size_t n = 0;
	int rc, fd = -1, err_no = 0, naddr = 0;
	int64_t t0;

	if (!res)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "straw_probe: no result");
	memset(res, 0, sizeof(*res));
	if (!opts)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "straw_probe: no options");
	list = malloc(listlen);
	servers = calloc(STRAW_MAX_SERVERS, sizeof(*servers));
	if (!list || !servers) {
		rc = straw_seterr(&res->error, STRAW_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = straw_servers_resolve(opts, list, listlen, &res->error);
	if (rc == STRAW_OK)
		rc = straw_servers_parse(list, servers, STRAW_MAX_SERVERS, &n, &res->error);
	if (rc)
		goto out;
	res->count = n;
	if (index >= n) {
		rc = straw_seterr(&res->error, STRAW_ERR_USAGE,
				  "controller %zu asked for, the list has %zu", index + 1, n);
		goto out;
	}
	straw_server_format(&servers[index], res->server, sizeof(res->server));
	p.deadline = straw_now_ms() + opts->deadline_ms;

	if (straw_net_resolve(&servers[index], &ai_list, &res->error)) {
		res->resolve = STRAW_CHECK_FAILED;
		rc = res->error.code;
		goto out;
	}
	res->resolve = STRAW_CHECK_OK;
	t0 = straw_now_ms();
	for (const struct addrinfo *ai = ai_list; ai && naddr < _MAX_ADDRS; ai = ai->ai_next) {
		naddr++;
		getnameinfo(ai->ai_addr, ai->ai_addrlen, res->address, sizeof(res->address), NULL,
			    0, NI_NUMERICHOST);
		if (straw_net_connect_addr(ai, opts->connect_timeout_ms, p.deadline, &fd,
					   &err_no) == 0) {
			p.ai = ai;
			break;
		}
	}
	res->connect_ms = (int)(straw_now_ms() - t0);
	if (!p.ai) {
		res->connect = STRAW_CHECK_FAILED;
		if (err_no == ETIMEDOUT)
			rc = _fail(&p, STRAW_ERR_UNREACHABLE,
				   "TCP connect to %s timed out after %d ms: a firewall, a wrong "
				   "address, or the host is down", res->address,
				   opts->connect_timeout_ms);
		else
			rc = _fail(&p, STRAW_ERR_UNREACHABLE,
				   "TCP connect to %s failed: %s%s", res->address, strerror(err_no),
				   err_no == ECONNREFUSED ? ": is slurmctld running, and is this its "
							    "SlurmctldPort?" : "");
		goto out;
	}
	res->connect = STRAW_CHECK_OK;

	rc = straw_auth_select(opts, &p.auth, &res->error);
	snprintf(res->auth_type, sizeof(res->auth_type), "%s",
		 p.auth.type ? p.auth.type :
		 (opts->auth && strcmp(opts->auth, "auto") ? opts->auth :
		  straw_auth_jwt_configured(opts) ? "jwt" : "munge"));
	if (rc) {
		close(fd);
		res->auth = STRAW_CHECK_FAILED;
		goto out;
	}
	rc = _negotiate(&p, fd);
	straw_auth_unload(&p.auth);
out:
	if (ai_list)
		freeaddrinfo(ai_list);
	free(servers);
	free(list);
	if (rc && err)
		*err = res->error;
	return rc;
}
