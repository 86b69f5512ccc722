/*
 * fetch.c - REQUEST_CONFIG against a list of controllers: version
 * negotiation (PROTOCOL.md section 10.2), failover, deadlines.
 *
 * For each controller in order: connect, send a request at a version, read
 * one reply.  A reply stating another version we speak makes us retry in
 * that version; a silent close or an HTTP answer means "not this version",
 * so we step down.  Refused or timed-out connects, silence, malformed
 * replies and standby answers move on to the next controller; an
 * authentication refusal or "configless disabled" ends the fetch, since
 * another controller of the same cluster would answer the same.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "net.h"

/* What one attempt at one version came to. */
typedef enum {
	_TRY_DONE,      /* a configuration: finished */
	_TRY_FINAL,     /* an error no other controller would change */
	_TRY_NEXT_HOST, /* this controller failed: try the next one */
	_TRY_STEP_DOWN, /* this version is not spoken: try an older one */
	_TRY_JUMP,      /* the controller named the version it speaks */
} _try_result;

typedef struct {
	const straw_options *opts;
	straw_auth *auth;
	int64_t deadline;
	char who[300];
	straw_fetch_outcome seen; /* what the controller said, for straw_fetch_at */
} _ctx;

STRAW_PRINTF(3, 4)
static void _log(const straw_options *o, int level, const char *fmt, ...)
{
	char msg[STRAW_ERRLEN];
	va_list ap;

	if (!o->log || level > o->verbosity)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->log(o->log_arg, level, msg);
}

static const char *_vname(uint16_t v)
{
	const char *n = straw_protocol_name(v);

	return n ? n : "unknown";
}

/* Connect again to the address that answered before (version step-downs). */
static int _reconnect(_ctx *c, const struct addrinfo *ai, int *fd, straw_error *err)
{
	int err_no = 0;

	if (straw_net_connect_addr(ai, c->opts->connect_timeout_ms, c->deadline, fd, &err_no) == 0)
		return STRAW_OK;
	if (err_no == ETIMEDOUT)
		return straw_seterr(err, STRAW_ERR_UNREACHABLE, "%s: connect timed out after %d ms",
				    c->who, c->opts->connect_timeout_ms);
	return straw_seterr(err, STRAW_ERR_UNREACHABLE, "%s: cannot connect: %s", c->who,
			    strerror(err_no));
}

static int _cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool _names_ok(const straw_reply *r, straw_error *err, const char *who)
{
	const char **sorted;

	if (r->nfiles > STRAW_MAX_FILES) {
		straw_seterr(err, STRAW_ERR_PROTOCOL,
			     "%s: refused the reply: %zu files, more than the %d a client "
			     "configuration can have (nothing was written)", who, r->nfiles,
			     STRAW_MAX_FILES);
		return false;
	}
	for (size_t i = 0; i < r->nfiles; i++) {
		const char *n = r->files[i].name;

		if (!straw_name_ok(n)) {
			char shown[80];
			size_t j = 0;

			/* Show the name without letting its bytes reach a terminal. */
			for (const char *p = n; p && *p && j < sizeof(shown) - 5; p++) {
				unsigned char ch = (unsigned char)*p;

				if (ch >= 0x20 && ch < 0x7f)
					shown[j++] = (char)ch;
				else
					j += (size_t)snprintf(shown + j, sizeof(shown) - j, "\\x%02x", ch);
			}
			shown[j < sizeof(shown) ? j : sizeof(shown) - 1] = '\0';
			straw_seterr(err, STRAW_ERR_PROTOCOL,
				     "%s: refused the reply: file name '%s' is not a plain file name "
				     "(nothing was written)", who, shown);
			return false;
		}
	}
	/* Sorted, a name listed twice sits next to its twin. */
	sorted = malloc((r->nfiles ? r->nfiles : 1) * sizeof(*sorted));
	if (!sorted) {
		straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory");
		return false;
	}
	for (size_t i = 0; i < r->nfiles; i++)
		sorted[i] = r->files[i].name;
	qsort(sorted, r->nfiles, sizeof(*sorted), _cmp_names);
	for (size_t i = 1; i < r->nfiles; i++)
		if (!strcmp(sorted[i - 1], sorted[i])) {
			straw_seterr(err, STRAW_ERR_PROTOCOL,
				     "%s: refused the reply: file '%s' is listed twice", who, sorted[i]);
			free(sorted);
			return false;
		}
	free(sorted);
	return true;
}

static _try_result _rc_result(_ctx *c, const straw_reply *r, straw_error *err)
{
	const char *name = straw_rc_name(r->rc);
	const char *text = straw_rc_text(r->rc);

	/* Only a reply in the version asked reaches here: that version is spoken. */
	c->seen.rc = r->rc;
	c->seen.answered = r->hdr.version;

	switch (r->rc) {
	case SLURM_RC_AUTH:
		straw_seterr(err, STRAW_ERR_AUTH,
			     "%s: the controller refused the credential (%s %u): %s", c->who,
			     name ? name : "error", r->rc, text ? text : "");
		return _TRY_FINAL;
	case SLURM_RC_STANDBY:
	case SLURM_RC_STANDBY_BACKUP:
	case SLURM_RC_BACKOFF:
	case SLURM_RC_HARD_DROP:
		/* Not serving now: for the caller, as good as unreachable. */
		straw_seterr(err, STRAW_ERR_UNREACHABLE, "%s: %s (%u): %s", c->who,
			     name ? name : "error", r->rc, text ? text : "");
		return _TRY_NEXT_HOST;
	}
	straw_seterr(err, STRAW_ERR_REFUSED, "%s: the controller answered %s (%u)%s%s%s%s", c->who,
		     name ? name : "error code", r->rc, text ? ": " : "", text ? text : "",
		     r->rc_msg ? ": " : "", r->rc_msg ? r->rc_msg : "");
	return _TRY_FINAL;
}

/*
 * The whole request frame for version v, with a fresh credential:
 * REQUEST_CONFIG (flags 0), or REQUEST_PING (no body) to probe a version.
 */
static int _build(_ctx *c, uint16_t v, uint16_t type, straw_wbuf *w, straw_error *err)
{
	uint8_t body[6] = { 0 };
	size_t body_len = type == STRAW_MSG_REQUEST_CONFIG ? straw_config_request_body(v, 0, body)
							   : 0;
	straw_auth_section sec = { 0 };
	int rc;

	memset(w, 0, sizeof(*w));
	rc = straw_auth_create(c->auth, v, type, body, body_len, &sec, err);
	if (rc)
		return rc;
	straw_pack_request(w, v, type, sec.data, sec.len, body, body_len);
	straw_auth_section_free(&sec);
	if (w->failed) {
		straw_wb_free(w);
		return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory building the request");
	}
	return STRAW_OK;
}

/* 25.11 and newer take a version they do not speak for HTTP and say 405. */
static void _http_answer(_ctx *c, uint16_t v, const straw_reply *r, uint16_t *stated,
			 straw_error *err)
{
	straw_seterr(err, STRAW_ERR_PROTOCOL,
		     "%s: answered protocol %s as HTTP ('%s'): it does not speak that version", c->who,
		     _vname(v), r->http_status);
	*stated = 0xffff; /* the mark of an HTTP answer, for the tally */
}

/*
 * What a reply to a request at version v means (buf is freed).  st is the
 * transport's verdict, sent and until the reply's time window.
 */
static _try_result _classify(_ctx *c, uint16_t v, uint8_t *buf, size_t len, straw_net_status st,
			     int64_t sent, int64_t until, straw_config **out, uint16_t *stated,
			     straw_error *err)
{
	straw_reply r;
	_try_result res;
	int rc;

	switch (st) {
	case STRAW_NET_OK:
		break;
	case STRAW_NET_CLOSED:
		free(buf);
		straw_seterr(err, STRAW_ERR_PROTOCOL,
			     "%s: closed the connection without a reply to protocol %s", c->who,
			     _vname(v));
		return _TRY_STEP_DOWN;
	case STRAW_NET_TIMEOUT:
		free(buf);
		straw_seterr(err, STRAW_ERR_UNREACHABLE, "%s: no reply within %lld ms", c->who,
			     (long long)(until - sent));
		return _TRY_NEXT_HOST;
	case STRAW_NET_TRUNCATED:
		free(buf);
		straw_seterr(err, STRAW_ERR_PROTOCOL,
			     "%s: reply cut short: the connection closed after %zu bytes", c->who, len);
		return _TRY_NEXT_HOST;
	case STRAW_NET_TRUNCATED_TIMEOUT:
		free(buf);
		straw_seterr(err, STRAW_ERR_UNREACHABLE,
			     "%s: reply stalled: %zu bytes in %lld ms, then nothing", c->who, len,
			     (long long)(until - sent));
		return _TRY_NEXT_HOST;
	case STRAW_NET_TOO_LONG: {
		uint32_t l = len >= 4 ? ((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
					 (uint32_t)buf[2] << 8 | buf[3]) : 0;

		free(buf);
		straw_seterr(err, STRAW_ERR_PROTOCOL,
			     "%s: refused the reply: it announces %u bytes, more than the %u MiB "
			     "straw accepts for a client configuration%s", c->who, l,
			     (unsigned)(STRAW_MAX_REPLY >> 20),
			     l > STRAW_MAX_MSG_SIZE ? " (and than Slurm's own 1 GiB maximum)" : "");
		return _TRY_NEXT_HOST;
	}
	case STRAW_NET_ERROR:
	case STRAW_NET_NOMEM:
		free(buf);
		straw_seterr(err, st == STRAW_NET_NOMEM ? STRAW_ERR_INTERNAL : STRAW_ERR_UNREACHABLE,
			     "%s: reading the reply failed: %s", c->who,
			     st == STRAW_NET_NOMEM ? "out of memory" : strerror(errno));
		return _TRY_NEXT_HOST;
	}
	memset(&r, 0, sizeof(r));
	rc = straw_parse_reply(buf, len, &r, err);
	free(buf);
	if (rc == STRAW_OK && r.kind == STRAW_REPLY_HTTP) {
		_http_answer(c, v, &r, stated, err);
		straw_reply_free(&r);
		return _TRY_STEP_DOWN;
	}
	/* A controller may answer in its own version (24.11+, PROTOCOL.md 10.1). */
	if (r.hdr.version && r.hdr.version != v) {
		*stated = r.hdr.version;
		if (rc == STRAW_OK || straw_protocol_known(r.hdr.version)) {
			straw_reply_free(&r);
			if (!straw_protocol_known(*stated)) {
				straw_seterr(err, STRAW_ERR_PROTOCOL,
					     "%s: the controller speaks protocol 0x%04x, which this straw "
					     "does not know: upgrade straw", c->who, *stated);
				return _TRY_FINAL;
			}
			straw_seterr(err, STRAW_ERR_PROTOCOL,
				     "%s: the controller speaks protocol %s, not %s", c->who,
				     _vname(*stated), _vname(v));
			return _TRY_JUMP;
		}
	}
	if (rc) {
		char inner[STRAW_ERRLEN];

		snprintf(inner, sizeof(inner), "%s", err->msg);
		straw_reply_free(&r);
		straw_seterr(err, STRAW_ERR_PROTOCOL, "%s: %s", c->who, inner);
		return _TRY_NEXT_HOST;
	}
	if (r.kind == STRAW_REPLY_RC) {
		res = _rc_result(c, &r, err);
		straw_reply_free(&r);
		return res;
	}
	if (!_names_ok(&r, err, c->who)) {
		straw_reply_free(&r);
		return _TRY_NEXT_HOST;
	}
	*out = calloc(1, sizeof(**out));
	if (!*out) {
		straw_reply_free(&r);
		straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory");
		return _TRY_FINAL;
	}
	(*out)->files = r.files;
	(*out)->nfiles = r.nfiles;
	r.files = NULL;
	r.nfiles = 0;
	(*out)->protocol = v;
	c->seen.answered = v;
	(*out)->reply_bytes = len;
	(*out)->fetched = time(NULL);
	snprintf((*out)->controller, sizeof((*out)->controller), "%s", c->who);
	straw_reply_free(&r);
	_log(c->opts, STRAW_LOG_INFO, "%s: RESPONSE_CONFIG at protocol %s: %zu bytes, %zu files",
	     c->who, _vname(v), len, (*out)->nfiles);
	return _TRY_DONE;
}

/*
 * One request at version v.  *fdp is a connected socket to use, or -1 to
 * connect to ai; it is always consumed.
 */
static _try_result _try(_ctx *c, const struct addrinfo *ai, int *fdp, uint16_t v,
			straw_config **out, uint16_t *stated, straw_error *err)
{
	straw_wbuf w;
	straw_net_status st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int64_t until, sent;
	int fd = *fdp;

	*fdp = -1;
	if (_build(c, v, STRAW_MSG_REQUEST_CONFIG, &w, err)) {
		if (fd >= 0)
			close(fd);
		return _TRY_FINAL;
	}
	if (fd < 0 && _reconnect(c, ai, &fd, err)) {
		straw_wb_free(&w);
		return _TRY_NEXT_HOST;
	}
	_log(c->opts, STRAW_LOG_INFO, "%s: connected; REQUEST_CONFIG at protocol %s (%zu bytes, auth/%s)",
	     c->who, _vname(v), w.len, c->auth->type);
	sent = straw_now_ms();
	until = sent + c->opts->reply_timeout_ms;
	if (until > c->deadline)
		until = c->deadline;
	if (straw_net_send(fd, w.p, w.len, until, c->who, err)) {
		straw_wb_free(&w);
		close(fd);
		return _TRY_NEXT_HOST;
	}
	c->seen.sent++;
	straw_wb_free(&w);
	straw_net_recv(fd, until, STRAW_MAX_REPLY, &buf, &len, &st);
	close(fd);
	return _classify(c, v, buf, len, st, sent, until, out, stated, err);
}

/* ---- the version probe ------------------------------------------------- */

/*
 * A controller only ever accepts its own release and the two or three
 * before it, and tells the rest nothing but a silent close (after a 10 ms
 * pause on 20.11-24.05).  Asking for the configuration version after
 * version costs one such pause each.  So the first contact asks REQUEST_PING
 * in every version from 21.08 up at once, on parallel connections: the
 * newest version answered in its own version is the controller's release,
 * known once every newer one has been turned down, and the configuration is
 * then asked once, in it.  (A ping, not the configuration itself: every
 * accepted REQUEST_CONFIG is served and counted, and one fetch must cost the
 * controller exactly one.)
 */
typedef struct {
	uint16_t v;
	int fd;
	int64_t sent, until;
	bool connecting, waiting;
	straw_wbuf w;
} _wave_slot;

typedef struct {
	size_t silent, http, jumps; /* how the versions that failed failed */
	uint16_t stated;            /* a version the controller named */
} _tally;

/*
 * What a ping reply at version v says: _TRY_DONE, the version is spoken;
 * _TRY_JUMP, the controller named its own (*stated); _TRY_STEP_DOWN, not
 * this version (*stated 0xffff for HTTP); _TRY_FINAL, the credential was
 * refused; _TRY_NEXT_HOST, the controller is broken or not serving.
 */
static _try_result _ping_result(_ctx *c, uint16_t v, uint8_t *buf, size_t len,
				straw_net_status st, uint16_t *stated, straw_error *err)
{
	straw_reply r;
	_try_result res;
	int rc;

	if (st == STRAW_NET_CLOSED) {
		free(buf);
		straw_seterr(err, STRAW_ERR_PROTOCOL,
			     "%s: closed the connection without a reply to protocol %s", c->who,
			     _vname(v));
		return _TRY_STEP_DOWN;
	}
	if (st != STRAW_NET_OK) {
		free(buf);
		straw_seterr(err, STRAW_ERR_UNREACHABLE, "%s: no usable answer to a ping at %s", c->who,
			     _vname(v));
		return _TRY_NEXT_HOST;
	}
	memset(&r, 0, sizeof(r));
	rc = straw_parse_reply(buf, len, &r, err);
	free(buf);
	if (rc == STRAW_OK && r.kind == STRAW_REPLY_HTTP) {
		_http_answer(c, v, &r, stated, err);
		res = _TRY_STEP_DOWN;
	} else if (r.hdr.version && r.hdr.version != v &&
		   (rc == STRAW_OK || straw_protocol_known(r.hdr.version))) {
		/* Believed only from a well-formed reply, or naming a version we know. */
		*stated = r.hdr.version;
		straw_seterr(err, STRAW_ERR_PROTOCOL, "%s: the controller speaks protocol %s, not %s",
			     c->who, _vname(*stated), _vname(v));
		res = _TRY_JUMP;
	} else if (rc) {
		char inner[STRAW_ERRLEN];

		snprintf(inner, sizeof(inner), "%s", err->msg);
		straw_seterr(err, STRAW_ERR_PROTOCOL, "%s: %s", c->who, inner);
		res = _TRY_NEXT_HOST;
	} else if (r.kind == STRAW_REPLY_RC && r.rc == SLURM_RC_AUTH) {
		res = _rc_result(c, &r, err);
	} else {
		/*
		 * Any well-formed answer in our version: the version is spoken.
		 * What the controller thinks of the request itself, the
		 * REQUEST_CONFIG that follows finds out.
		 */
		res = _TRY_DONE;
	}
	straw_reply_free(&r);
	return res;
}

static _try_result _wave(_ctx *c, const struct addrinfo *ai, int first_fd, const uint16_t *vs,
			 size_t n, uint16_t *spoken, _tally *t, straw_error *err)
{
	_wave_slot slot[16];
	straw_error one = { 0 }, host_err = { 0 };
	_try_result res = _TRY_STEP_DOWN;
	size_t active = 0;
	uint16_t best = 0;

	if (n > 16)
		n = 16;
	_log(c->opts, STRAW_LOG_INFO, "%s: pinging in protocols %s to %s at once", c->who,
	     _vname(vs[0]), _vname(vs[n - 1]));
	for (size_t i = 0; i < n; i++)
		slot[i] = (_wave_slot){ .v = vs[i], .fd = -1 };
	for (size_t i = 0; i < n; i++) {
		int err_no = 0, rc;

		if (_build(c, vs[i], STRAW_MSG_REQUEST_PING, &slot[i].w, err)) {
			res = _TRY_FINAL;
			goto out;
		}
		if (i == 0 && first_fd >= 0) {
			slot[i].fd = first_fd;
			first_fd = -1;
			rc = 0;
		} else {
			rc = straw_net_connect_start(ai, &slot[i].fd, &err_no);
		}
		if (rc < 0) {
			straw_seterr(&host_err, STRAW_ERR_UNREACHABLE, "%s: cannot connect: %s", c->who,
				     strerror(err_no));
			res = _TRY_NEXT_HOST;
			continue;
		}
		slot[i].connecting = rc == 1;
		slot[i].until = straw_now_ms() + c->opts->connect_timeout_ms;
		active++;
	}
	while (active) {
		struct pollfd pfd[16];
		size_t map[16], np = 0;
		int64_t now = straw_now_ms(), wake = c->deadline;
		int prc;

		for (size_t i = 0; i < n; i++) {
			_wave_slot *s = &slot[i];

			if (s->fd < 0)
				continue;
			if (!s->connecting && !s->waiting) {
				/* Connected: send the whole request (it fits the socket buffer). */
				s->sent = straw_now_ms();
				s->until = s->sent + c->opts->reply_timeout_ms;
				if (s->until > c->deadline)
					s->until = c->deadline;
				if (straw_net_send(s->fd, s->w.p, s->w.len, s->until, c->who, &one)) {
					host_err = one;
					res = _TRY_NEXT_HOST;
					close(s->fd);
					s->fd = -1;
					active--;
					continue;
				}
				s->waiting = true;
				c->seen.sent++;
			}
			if (now >= s->until) {
				if (s->connecting)
					straw_seterr(&host_err, STRAW_ERR_UNREACHABLE,
						     "%s: connect timed out after %d ms", c->who,
						     c->opts->connect_timeout_ms);
				else
					straw_seterr(&host_err, STRAW_ERR_UNREACHABLE,
						     "%s: no reply within %lld ms", c->who,
						     (long long)(s->until - s->sent));
				res = _TRY_NEXT_HOST;
				close(s->fd);
				s->fd = -1;
				active--;
				continue;
			}
			pfd[np] = (struct pollfd){ .fd = s->fd,
						   .events = s->connecting ? POLLOUT : POLLIN };
			map[np++] = i;
			if (s->until < wake)
				wake = s->until;
		}
		if (!np)
			break;
		if (now >= c->deadline) {
			straw_seterr(&host_err, STRAW_ERR_UNREACHABLE, "%s: gave up after the %d ms deadline",
				     c->who, c->opts->deadline_ms);
			res = _TRY_NEXT_HOST;
			break;
		}
		prc = poll(pfd, (nfds_t)np, (int)(wake > now ? wake - now : 0));
		if (prc < 0 && errno != EINTR)
			break;
		for (size_t p = 0; prc > 0 && p < np; p++) {
			_wave_slot *s = &slot[map[p]];
			straw_net_status st;
			uint8_t *buf = NULL;
			size_t len = 0;
			uint16_t stated = 0;
			_try_result r;
			int err_no = 0;

			if (!pfd[p].revents)
				continue;
			if (s->connecting) {
				if (straw_net_connect_finish(s->fd, &err_no) == 0) {
					s->connecting = false;
					continue;
				}
				straw_seterr(&host_err, STRAW_ERR_UNREACHABLE, "%s: cannot connect: %s",
					     c->who, strerror(err_no));
				res = _TRY_NEXT_HOST;
				close(s->fd);
				s->fd = -1;
				active--;
				continue;
			}
			/* The reply has begun (or the controller hung up): read it whole. */
			straw_net_recv(s->fd, s->until, STRAW_MAX_REPLY, &buf, &len, &st);
			close(s->fd);
			s->fd = -1;
			active--;
			r = _ping_result(c, s->v, buf, len, st, &stated, &one);
			if (r == _TRY_DONE) {
				if (s->v > best)
					best = s->v;
				continue;
			}
			if (r == _TRY_FINAL) {
				*err = one;
				res = r;
				goto out;
			}
			if (r == _TRY_NEXT_HOST) {
				host_err = one;
				res = _TRY_NEXT_HOST;
			} else if (r == _TRY_JUMP) {
				t->jumps++;
				t->stated = stated;
			} else if (stated == 0xffff) {
				t->http++;
			} else {
				t->silent++;
			}
			if (r != _TRY_NEXT_HOST && res != _TRY_NEXT_HOST)
				*err = one;
		}
		/*
		 * The newest version answered is the controller's own: done once
		 * every newer one has been turned down (10 ms on 20.11-24.05).
		 */
		if (best) {
			bool newer_pending = false;

			for (size_t i = 0; i < n; i++)
				newer_pending |= slot[i].fd >= 0 && slot[i].v > best;
			if (!newer_pending)
				break;
		}
	}
	if (best) {
		*spoken = best;
		c->seen.answered = best;
		res = _TRY_DONE;
		goto out;
	}
	if (res == _TRY_NEXT_HOST)
		*err = host_err;
out:
	if (first_fd >= 0)
		close(first_fd);
	for (size_t i = 0; i < n; i++) {
		if (slot[i].fd >= 0)
			close(slot[i].fd);
		straw_wb_free(&slot[i].w);
	}
	return res;
}

/* The position of v in the table of versions spoken, or n. */
static size_t _vindex(uint16_t v)
{
	size_t n, i;
	const uint16_t *known = straw_protocol_versions(&n);

	for (i = 0; i < n && known[i] != v; i++)
		;
	return i;
}

/*
 * Ask at version v, then at each version the controller names in return
 * (24.11 and newer answer an unknown version in their own).  *fdp is used
 * for the first request if it is open.  Returns DONE, FINAL, NEXT_HOST or
 * STEP_DOWN (this version, and any named, are not spoken).
 */
static _try_result _ask(_ctx *c, const struct addrinfo *ai, int *fdp, uint16_t v, bool *tried,
			straw_config **out, _tally *t, straw_error *err)
{
	for (int hops = 0; hops < 4; hops++) {
		uint16_t stated = 0;
		size_t k = _vindex(v);
		_try_result r;

		if (straw_now_ms() >= c->deadline) {
			straw_seterr(err, STRAW_ERR_UNREACHABLE, "%s: gave up after the %d ms deadline",
				     c->who, c->opts->deadline_ms);
			return _TRY_NEXT_HOST;
		}
		tried[k] = true;
		r = _try(c, ai, fdp, v, out, &stated, err);
		if (r != _TRY_STEP_DOWN && r != _TRY_JUMP)
			return r;
		if (r == _TRY_JUMP) {
			t->jumps++;
			if (tried[_vindex(stated)])
				return _TRY_STEP_DOWN;
			_log(c->opts, STRAW_LOG_INFO, "%s: controller speaks %s; asking in it", c->who,
			     _vname(stated));
			v = stated;
			continue;
		}
		if (stated == 0xffff)
			t->http++;
		else
			t->silent++;
		_log(c->opts, STRAW_LOG_INFO, "%s", err->msg);
		return _TRY_STEP_DOWN;
	}
	return _TRY_STEP_DOWN;
}

/* Negotiate with one controller over the connection fd already made to ai. */
static _try_result _fetch_one(_ctx *c, const struct addrinfo *ai, int fd, straw_config **out,
			      straw_error *err)
{
	size_t nknown, nwave = 0;
	const uint16_t *known = straw_protocol_versions(&nknown);
	uint16_t wave[16];
	bool tried[17] = { false };
	_tally t = { 0 };
	_try_result r;
	uint16_t hint = c->opts->protocol_hint;

	if (c->opts->protocol) {
		uint16_t v = c->opts->protocol, stated = 0;

		/*
		 * A fixed version: report, do not negotiate; another controller
		 * (mid-upgrade, say) may still speak it.
		 */
		r = _try(c, ai, &fd, v, out, &stated, err);
		if (r != _TRY_STEP_DOWN && r != _TRY_JUMP)
			return r;
		if (stated == 0xffff) {
			char said[STRAW_ERRLEN];

			snprintf(said, sizeof(said), "%s", err->msg);
			straw_seterr(err, STRAW_ERR_PROTOCOL,
				     "%.400s (Slurm 25.11 and newer answer so); try without a version "
				     "to negotiate", said);
		} else if (r == _TRY_STEP_DOWN) {
			straw_seterr(err, STRAW_ERR_PROTOCOL,
				     "%s: no reply to protocol %s: the controller does not speak it (or "
				     "rejected the credential); try without a version to negotiate",
				     c->who, _vname(v));
		} else {
			straw_seterr(err, STRAW_ERR_PROTOCOL,
				     "%s: the controller speaks protocol %s, not %s: run with %s or "
				     "without a version", c->who, _vname(stated), _vname(v),
				     _vname(stated));
		}
		return _TRY_NEXT_HOST;
	}
	/* 1. The version that worked last time: one round trip. */
	if (hint && straw_protocol_known(hint)) {
		r = _ask(c, ai, &fd, hint, tried, out, &t, err);
		if (r != _TRY_STEP_DOWN)
			return r;
	}
	/* 2. Which of the other versions from 21.08 up is spoken: all at once. */
	for (size_t k = 0; k < nknown && nwave < 16; k++)
		if (!tried[k] && known[k] >= STRAW_V21_08)
			wave[nwave++] = known[k];
	if (nwave) {
		uint16_t spoken = 0;

		r = _wave(c, ai, fd, wave, nwave, &spoken, &t, err);
		fd = -1;
		if (r == _TRY_DONE) {
			_log(c->opts, STRAW_LOG_INFO, "%s: speaks protocol %s", c->who, _vname(spoken));
			r = _ask(c, ai, &fd, spoken, tried, out, &t, err);
			if (r != _TRY_STEP_DOWN)
				return r;
		} else if (r != _TRY_STEP_DOWN) {
			return r;
		}
		for (size_t k = 0; k < nknown; k++)
			if (known[k] >= STRAW_V21_08)
				tried[k] = true;
		/* A controller newer than our table named its version: nothing to ask in. */
		if (t.jumps && !straw_protocol_known(t.stated)) {
			straw_seterr(err, STRAW_ERR_PROTOCOL,
				     "%s: the controller speaks protocol 0x%04x, which this straw does "
				     "not know: upgrade straw", c->who, t.stated);
			return _TRY_FINAL;
		}
	}
	/* 3. What is left (20.11, whose layout cannot tell empty from absent), in turn. */
	for (size_t k = 0; k < nknown; k++) {
		if (tried[k])
			continue;
		r = _ask(c, ai, &fd, known[k], tried, out, &t, err);
		if (r != _TRY_STEP_DOWN)
			return r;
	}
	if (fd >= 0)
		close(fd);
	if (t.http && !t.silent)
		straw_seterr(err, STRAW_ERR_PROTOCOL,
			     "%s: answered every protocol version (%s to %s) as HTTP or with another "
			     "version: this is not slurmctld's port (slurmrestd?), or a Slurm newer "
			     "than this straw knows (upgrade straw)", c->who, _vname(known[nknown - 1]),
			     _vname(known[0]));
	else if (t.silent)
		straw_seterr(err, STRAW_ERR_AUTH,
			     "%s: the controller closed the connection without a reply at every "
			     "protocol version (%s to %s): most likely it rejected the credential "
			     "(auth/%s: munge key or JWT key differs, token invalid or user unknown), "
			     "or it runs a Slurm older than %s", c->who, _vname(known[nknown - 1]),
			     _vname(known[0]), c->auth->type, _vname(known[nknown - 1]));
	return _TRY_NEXT_HOST;
}

/* ---- the connect race ------------------------------------------------- */

#define _STAGGER_MS 250
#define _MAX_ADDRS 4 /* addresses tried per controller */

typedef struct {
	straw_server srv;
	struct addrinfo *res; /* NULL: could not be resolved */
	char who[300];
	bool dead;            /* every address failed to connect */
	bool tried;           /* negotiated with */
	int pending;          /* addresses not yet failed */
	straw_error err;      /* why it failed */
} _host;

typedef struct {
	_host *host;
	const struct addrinfo *ai;
	int fd;
	int64_t until;
	bool started, over;
} _cand;

static void _cand_failed(_cand *k, int err_no, int connect_timeout_ms)
{
	_host *h = k->host;

	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	k->over = true;
	if (err_no == ETIMEDOUT)
		straw_seterr(&h->err, STRAW_ERR_UNREACHABLE, "%s: connect timed out after %d ms",
			     h->who, connect_timeout_ms);
	else
		straw_seterr(&h->err, STRAW_ERR_UNREACHABLE, "%s: cannot connect: %s", h->who,
			     strerror(err_no));
	if (--h->pending == 0)
		h->dead = true;
}

static void _cand_start(_ctx *c, _cand *k)
{
	int rc, err_no = 0;

	k->started = true;
	k->until = straw_now_ms() + c->opts->connect_timeout_ms;
	rc = straw_net_connect_start(k->ai, &k->fd, &err_no);
	if (rc < 0)
		_cand_failed(k, err_no, c->opts->connect_timeout_ms);
	else if (rc == 0)
		k->until = 0; /* connected at once (loopback) */
}

/*
 * Race the connects of every controller not yet tried, in order: the next
 * one starts when the current ones have not connected within _STAGGER_MS,
 * or at once when they fail, so an unreachable primary costs ~250 ms rather
 * than the connect timeout.  The first to connect wins; the rest are closed.
 */
static int _race(_ctx *c, _host *hosts, size_t nhosts, _host **winner,
		 const struct addrinfo **wai, int *wfd)
{
	_cand cand[STRAW_MAX_SERVERS * _MAX_ADDRS];
	size_t ncand = 0, next = 0;
	int64_t next_start = 0;
	int found = -1;

	for (size_t h = 0; h < nhosts; h++) {
		int naddr = 0;

		if (hosts[h].dead || hosts[h].tried || !hosts[h].res)
			continue;
		for (const struct addrinfo *ai = hosts[h].res; ai && naddr < _MAX_ADDRS;
		     ai = ai->ai_next, naddr++)
			cand[ncand++] = (_cand){ .host = &hosts[h], .ai = ai, .fd = -1 };
		hosts[h].pending = naddr;
	}
	while (found < 0) {
		struct pollfd pfd[STRAW_MAX_SERVERS * _MAX_ADDRS];
		size_t map[STRAW_MAX_SERVERS * _MAX_ADDRS];
		int64_t now = straw_now_ms(), wake = c->deadline;
		size_t np = 0;
		int rc;

		/* Start the next one when it is time, or when nothing is under way. */
		for (size_t k = 0; k < next; k++)
			if (!cand[k].over && cand[k].until == 0) {
				found = (int)k;
				break;
			}
		if (found >= 0)
			break;
		for (size_t k = 0; k < next; k++)
			if (!cand[k].over && now >= cand[k].until)
				_cand_failed(&cand[k], ETIMEDOUT, c->opts->connect_timeout_ms);
		{
			bool busy = false;

			for (size_t k = 0; k < next; k++)
				busy |= !cand[k].over;
			if (next < ncand && (!busy || now >= next_start)) {
				_log(c->opts, STRAW_LOG_DEBUG, "%s: connecting", cand[next].host->who);
				_cand_start(c, &cand[next++]);
				next_start = straw_now_ms() + _STAGGER_MS;
				continue;
			}
			if (!busy)
				return -1;
		}
		if (now >= c->deadline)
			break;
		for (size_t k = 0; k < next; k++) {
			if (cand[k].over)
				continue;
			pfd[np] = (struct pollfd){ .fd = cand[k].fd, .events = POLLOUT };
			map[np++] = k;
			if (cand[k].until < wake)
				wake = cand[k].until;
		}
		if (next < ncand && next_start < wake)
			wake = next_start;
		rc = poll(pfd, (nfds_t)np, (int)(wake > now ? wake - now : 0));
		if (rc < 0 && errno != EINTR)
			break;
		for (size_t p = 0; rc > 0 && p < np; p++) {
			_cand *k = &cand[map[p]];
			int err_no = 0;

			if (!pfd[p].revents)
				continue;
			if (straw_net_connect_finish(k->fd, &err_no) == 0) {
				if (found < 0)
					found = (int)map[p];
			} else {
				_cand_failed(k, err_no, c->opts->connect_timeout_ms);
			}
		}
	}
	for (size_t k = 0; k < next; k++)
		if ((int)k != found && !cand[k].over && cand[k].fd >= 0) {
			close(cand[k].fd);
			cand[k].over = true;
		}
	if (found < 0) {
		for (size_t k = 0; k < ncand; k++)
			if (!cand[k].host->dead && !cand[k].host->err.code)
				straw_seterr(&cand[k].host->err, STRAW_ERR_UNREACHABLE,
					     "%s: not connected before the %d ms deadline",
					     cand[k].host->who, c->opts->deadline_ms);
		return -1;
	}
	*winner = cand[found].host;
	*wai = cand[found].ai;
	*wfd = cand[found].fd;
	return 0;
}

/* "a: why; b: why" for the controllers that failed, most useful first. */
static int _summary(_host *hosts, size_t n, straw_error *err)
{
	char msg[STRAW_ERRLEN] = "";
	size_t used = 0;
	int code = STRAW_ERR_UNREACHABLE;

	if (n == 1) {
		if (err)
			*err = hosts[0].err;
		return hosts[0].err.code ? hosts[0].err.code : STRAW_ERR_UNREACHABLE;
	}
	for (size_t i = 0; i < n; i++) {
		if (!hosts[i].err.code)
			continue;
		/* Say what the best controller said: a protocol or auth answer beats silence. */
		if (hosts[i].err.code != STRAW_ERR_UNREACHABLE)
			code = hosts[i].err.code;
		used += (size_t)snprintf(msg + used, used < sizeof(msg) ? sizeof(msg) - used : 0, "%s%s",
					 used ? "; " : "", hosts[i].err.msg);
		if (used >= sizeof(msg))
			break;
	}
	return straw_seterr(err, code, "no controller of %zu answered: %s", n, msg);
}

STRAW_EXPORT int straw_fetch(const straw_options *opts, straw_config **out, straw_error *err)
{
	straw_server servers[STRAW_MAX_SERVERS];
	_host hosts[STRAW_MAX_SERVERS];
	straw_auth auth;
	size_t n = 0;
	_ctx c = { .opts = opts };
	int rc;

	*out = NULL;
	if (opts->servers) {
		rc = straw_servers_parse(opts->servers, servers, STRAW_MAX_SERVERS, &n, err);
	} else {
		char *list = malloc(STRAW_MAX_SERVERS * 270);

		if (!list)
			return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory");
		rc = straw_servers_resolve(opts, list, STRAW_MAX_SERVERS * 270, err);
		if (rc == STRAW_OK) {
			_log(opts, STRAW_LOG_INFO, "controllers from DNS SRV _slurmctld._tcp: %s", list);
			rc = straw_servers_parse(list, servers, STRAW_MAX_SERVERS, &n, err);
		}
		free(list);
	}
	if (rc)
		return rc;
	rc = straw_auth_select(opts, &auth, err);
	if (rc)
		return rc;
	c.auth = &auth;
	c.deadline = straw_now_ms() + opts->deadline_ms;
	memset(hosts, 0, sizeof(hosts));
	for (size_t i = 0; i < n; i++) {
		hosts[i].srv = servers[i];
		straw_server_format(&servers[i], hosts[i].who, sizeof(hosts[i].who));
		if (straw_net_resolve(&servers[i], &hosts[i].res, &hosts[i].err))
			hosts[i].dead = true;
	}
	rc = -1;
	for (;;) {
		_host *h = NULL;
		const struct addrinfo *ai = NULL;
		int fd = -1;
		_try_result r;

		if (_race(&c, hosts, n, &h, &ai, &fd) < 0)
			break;
		h->tried = true;
		snprintf(c.who, sizeof(c.who), "%s", h->who);
		r = _fetch_one(&c, ai, fd, out, &h->err);
		if (r == _TRY_DONE) {
			rc = STRAW_OK;
			break;
		}
		if (r == _TRY_FINAL) {
			if (err)
				*err = h->err;
			rc = h->err.code ? h->err.code : STRAW_ERR_INTERNAL;
			break;
		}
		_log(opts, STRAW_LOG_INFO, "%s", h->err.msg);
	}
	if (rc < 0)
		rc = _summary(hosts, n, err);
	for (size_t i = 0; i < n; i++)
		if (hosts[i].res)
			freeaddrinfo(hosts[i].res);
	straw_auth_unload(&auth);
	return rc;
}

int straw_fetch_at(const straw_options *opts, straw_auth *auth, const char *who,
		   const struct addrinfo *ai, int fd, straw_config **out, straw_fetch_outcome *seen,
		   straw_error *err)
{
	_ctx c = { .opts = opts, .auth = auth };
	_try_result r;

	*out = NULL;
	c.deadline = straw_now_ms() + opts->deadline_ms;
	snprintf(c.who, sizeof(c.who), "%s", who);
	memset(err, 0, sizeof(*err));
	r = _fetch_one(&c, ai, fd, out, err);
	*seen = c.seen;
	if (r == _TRY_DONE) {
		/* The versions turned down on the way are no error. */
		memset(err, 0, sizeof(*err));
		return STRAW_OK;
	}
	return err->code ? err->code : straw_seterr(err, STRAW_ERR_INTERNAL, "%s: no answer", who);
}

STRAW_EXPORT void straw_config_free(straw_config *cfg)
{
	if (!cfg)
		return;
	straw_files_free(cfg->files, cfg->nfiles);
	free(cfg);
}
