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

#define _RC_AUTH 1007
#define _RC_BACKOFF 1804
#define _RC_HARD_DROP 1805
#define _RC_USER_ID_MISSING 2010
#define _RC_STANDBY 2027
#define _RC_CONFIGLESS_DISABLED 2126
#define _RC_STANDBY_BACKUP 2131

#define _MAX_ADDRS 4

typedef struct {
	const straw_options *opts;
	straw_probe_result *res;
	straw_auth auth;
	const struct addrinfo *ai; /* the address that connected */
	int64_t deadline;
} _probe;

static const char *_vname(uint16_t v)
{
	const char *n = straw_protocol_name(v);

	return n ? n : "unknown";
}

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

/* What one request at version v came to. */
typedef enum { _P_DONE, _P_STEP_DOWN, _P_HTTP, _P_JUMP } _p_next;

/* A reply that is a Slurm return code: which step it speaks about. */
static int _rc(_probe *p, uint32_t rc, const char *rc_msg)
{
	straw_probe_result *r = p->res;
	const char *name = straw_rc_name(rc), *text = straw_rc_text(rc);

	r->slurm_rc = rc;
	switch (rc) {
	case _RC_AUTH:
		r->auth = STRAW_CHECK_FAILED;
		return _fail(p, STRAW_ERR_AUTH,
			     "the controller refused the auth/%s credential (%s %u)%s%s", r->auth_type,
			     name ? name : "error", rc, text ? ": " : "", text ? text : "");
	case _RC_CONFIGLESS_DISABLED:
		r->auth = STRAW_CHECK_OK;
		r->configless = STRAW_CHECK_FAILED;
		return _fail(p, STRAW_ERR_REFUSED,
			     "configless is off (%s %u): add enable_configless to SlurmctldParameters "
			     "in the controller's slurm.conf and run scontrol reconfigure",
			     name ? name : "error", rc);
	case _RC_USER_ID_MISSING:
		r->auth = STRAW_CHECK_OK;
		r->configless = STRAW_CHECK_FAILED;
		break;
	case _RC_STANDBY:
	case _RC_STANDBY_BACKUP:
	case _RC_BACKOFF:
	case _RC_HARD_DROP:
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
 * One REQUEST_CONFIG at version v over *fd (or a new connection); sets
 * *stated when the controller names another version.  Returns _P_DONE with
 * the outcome recorded in res, or what to try next.
 */
static _p_next _one(_probe *p, int *fdp, uint16_t v, uint16_t *stated, int *code)
{
	straw_probe_result *r = p->res;
	uint8_t body[6];
	size_t body_len = straw_config_request_body(v, 0, body);
	straw_auth_section sec = { 0 };
	straw_wbuf w = { 0 };
	straw_net_status st;
	straw_error e = { 0 };
	straw_reply rep;
	uint8_t *buf = NULL;
	size_t len = 0;
	int64_t until;
	int fd = *fdp, rc, err_no = 0;

	*fdp = -1;
	rc = straw_auth_create(&p->auth, v, STRAW_MSG_REQUEST_CONFIG, body, body_len, &sec, &e);
	if (rc) {
		if (fd >= 0)
			close(fd);
		r->auth = STRAW_CHECK_FAILED;
		*code = _fail(p, rc, "no credential: %s", e.msg);
		return _P_DONE;
	}
	straw_pack_request(&w, v, STRAW_MSG_REQUEST_CONFIG, sec.data, sec.len, body, body_len);
	straw_auth_section_free(&sec);
	if (w.failed) {
		straw_wb_free(&w);
		if (fd >= 0)
			close(fd);
		*code = _fail(p, STRAW_ERR_INTERNAL, "out of memory");
		return _P_DONE;
	}
	if (fd < 0 && straw_net_connect_addr(p->ai, p->opts->connect_timeout_ms, p->deadline, &fd,
					     &err_no) < 0) {
		straw_wb_free(&w);
		*code = _fail(p, STRAW_ERR_UNREACHABLE, "connecting again (for protocol %s) failed: %s",
			      _vname(v), strerror(err_no));
		return _P_DONE;
	}
	until = straw_now_ms() + p->opts->reply_timeout_ms;
	if (until > p->deadline)
		until = p->deadline;
	rc = straw_net_send(fd, w.p, w.len, until, r->server, &e);
	straw_wb_free(&w);
	if (rc) {
		close(fd);
		*code = straw_seterr(&r->error, STRAW_ERR_UNREACHABLE, "%s", e.msg);
		return _P_DONE;
	}
	straw_net_recv(fd, until, STRAW_MAX_REPLY, &buf, &len, &st);
	close(fd);
	switch (st) {
	case STRAW_NET_OK:
		break;
	case STRAW_NET_CLOSED:
		free(buf);
		return _P_STEP_DOWN;
	case STRAW_NET_TIMEOUT:
		free(buf);
		*code = _fail(p, STRAW_ERR_UNREACHABLE,
			      "connected, but no reply to protocol %s within %d ms: the controller is "
			      "overloaded or hung, or this port is not slurmctld", _vname(v),
			      p->opts->reply_timeout_ms);
		return _P_DONE;
	default:
		free(buf);
		r->version = STRAW_CHECK_FAILED;
		*code = _fail(p, STRAW_ERR_PROTOCOL,
			      "a broken reply to protocol %s (%zu bytes, %s): is this port slurmctld?",
			      _vname(v), len,
			      st == STRAW_NET_TOO_LONG ? "longer than a client configuration can be" :
			      st == STRAW_NET_ERROR ? "socket error" : "cut short");
		return _P_DONE;
	}
	memset(&rep, 0, sizeof(rep));
	rc = straw_parse_reply(buf, len, &rep, &e);
	free(buf);
	if (rc == STRAW_OK && rep.kind == STRAW_REPLY_HTTP) {
		straw_reply_free(&rep);
		return _P_HTTP;
	}
	if (rep.hdr.version && rep.hdr.version != v) {
		*stated = rep.hdr.version;
		straw_reply_free(&rep);
		if (straw_protocol_known(*stated))
			return _P_JUMP;
		r->version = STRAW_CHECK_FAILED;
		*code = _fail(p, STRAW_ERR_PROTOCOL,
			      "the controller speaks protocol 0x%04x, which this straw does not know: "
			      "upgrade straw", *stated);
		return _P_DONE;
	}
	if (rc) {
		straw_reply_free(&rep);
		r->version = STRAW_CHECK_FAILED;
		*code = _fail(p, STRAW_ERR_PROTOCOL, "malformed reply to protocol %s: %s", _vname(v),
			      e.msg);
		return _P_DONE;
	}
	/* The controller answered in v: that version is spoken. */
	r->version = STRAW_CHECK_OK;
	r->protocol = v;
	if (rep.kind == STRAW_REPLY_RC) {
		*code = _rc(p, rep.rc, rep.rc_msg);
		straw_reply_free(&rep);
		return _P_DONE;
	}
	r->auth = STRAW_CHECK_OK;
	if (rep.nfiles > STRAW_MAX_FILES) {
		straw_reply_free(&rep);
		r->configless = STRAW_CHECK_FAILED;
		*code = _fail(p, STRAW_ERR_PROTOCOL, "the configuration has more than %d files",
			      STRAW_MAX_FILES);
		return _P_DONE;
	}
	for (size_t i = 0; i < rep.nfiles; i++)
		if (!straw_name_ok(rep.files[i].name)) {
			straw_reply_free(&rep);
			r->configless = STRAW_CHECK_FAILED;
			*code = _fail(p, STRAW_ERR_PROTOCOL,
				      "the configuration names a file that is not a plain file name");
			return _P_DONE;
		}
	r->config = calloc(1, sizeof(*r->config));
	if (!r->config) {
		straw_reply_free(&rep);
		*code = _fail(p, STRAW_ERR_INTERNAL, "out of memory");
		return _P_DONE;
	}
	r->configless = STRAW_CHECK_OK;
	r->config->files = rep.files;
	r->config->nfiles = rep.nfiles;
	rep.files = NULL;
	rep.nfiles = 0;
	r->config->protocol = v;
	r->config->reply_bytes = len;
	r->config->fetched = time(NULL);
	snprintf(r->config->controller, sizeof(r->config->controller), "%s", r->server);
	straw_reply_free(&rep);
	*code = STRAW_OK;
	return _P_DONE;
}

/* Walk the versions over the connection fd already made. */
static int _negotiate(_probe *p, int fd)
{
	size_t nknown, n = 0, i = 0;
	const uint16_t *known = straw_protocol_versions(&nknown);
	const straw_options *o = p->opts;
	uint16_t order[32];
	bool tried[32] = { false };
	size_t attempts = 0, http = 0;

	if (o->protocol) {
		order[n++] = o->protocol;
	} else {
		if (o->protocol_hint && straw_protocol_known(o->protocol_hint))
			order[n++] = o->protocol_hint;
		for (size_t k = 0; k < nknown && n < 32; k++)
			if (known[k] != o->protocol_hint)
				order[n++] = known[k];
	}
	while (i < n) {
		uint16_t stated = 0;
		int code = STRAW_OK;
		_p_next next;

		if (straw_now_ms() >= p->deadline) {
			if (fd >= 0)
				close(fd);
			return _fail(p, STRAW_ERR_UNREACHABLE, "gave up after the %d ms deadline",
				     o->deadline_ms);
		}
		tried[i] = true;
		attempts++;
		next = _one(p, &fd, order[i], &stated, &code);
		http += next == _P_HTTP;
		if (next == _P_DONE)
			return code;
		if (next == _P_JUMP) {
			size_t j = 0;

			while (j < n && order[j] != stated)
				j++;
			if (j < n && !tried[j]) {
				i = j;
				continue;
			}
			p->res->version = STRAW_CHECK_FAILED;
			return _fail(p, STRAW_ERR_PROTOCOL,
				     "the controller speaks protocol %s%s", _vname(stated),
				     o->protocol ? ": run without a fixed version (STRAW_PROTOCOL) to "
						   "negotiate" : ", which was tried already");
		}
		while (i < n && tried[i])
			i++;
	}
	if (http == attempts) {
		p->res->version = STRAW_CHECK_FAILED;
		return _fail(p, STRAW_ERR_PROTOCOL,
			     "answered all %zu protocol versions tried as HTTP: this is not "
			     "slurmctld's port (slurmrestd?), or a Slurm newer than this straw knows "
			     "(upgrade straw)", attempts);
	}
	/*
	 * Silence (or HTTP) at every version.  Up to 24.05 a controller closes without a
	 * word on a bad credential as on a version it does not speak; 20.11 is
	 * old enough that the credential is the likelier cause.
	 */
	p->res->version = STRAW_CHECK_UNKNOWN;
	p->res->auth = STRAW_CHECK_FAILED;
	if (o->protocol)
		return _fail(p, STRAW_ERR_PROTOCOL,
			     "no reply to protocol %s: the controller does not speak it, or it "
			     "rejected the credential; run without a fixed version to negotiate",
			     _vname(o->protocol));
	return _fail(p, STRAW_ERR_AUTH,
		     "closed the connection without a reply at every protocol version (%s to %s): "
		     "most likely it rejected the auth/%s credential (%s), or it runs a Slurm older "
		     "than %s", _vname(known[nknown - 1]), _vname(known[0]), p->res->auth_type,
		     !strcmp(p->res->auth_type, "jwt") ?
		     "token not signed with the controller's jwt_key, or expired" :
		     "munge key differs from the controller's, or clocks are apart",
		     _vname(known[nknown - 1]));
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
