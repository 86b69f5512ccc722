/*
 * ref_reply.c - a second reader of controller replies, written from
 * PROTOCOL.md sections 2-8 for the fuzz targets only, and the check that
 * straw_parse_reply() agrees with it on every input.  It is deliberately
 * plain (a cursor that goes "bad" and stays bad) so that it is easy to
 * believe; where straw is stricter than Slurm (trailing bytes, bools other
 * than 0/1) it follows straw's documented choice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

const uint16_t fuzz_versions[FUZZ_NVERSIONS] = {
	0x2400, 0x2500, 0x2600, 0x2700, 0x2800, 0x2900, 0x2A00, 0x2B00, 0x2C00, 0x2D00,
};

/* What each of the eleven file strings of the 20.11 layout stands for. */
static const char *const _names_2011[] = {
	"slurm.conf", "acct_gather.conf", "cgroup.conf",
	"cgroup_allowed_devices_file.conf", "ext_sensors.conf", "gres.conf",
	"knl_cray.conf", "knl_generic.conf", "plugstack.conf", "topology.conf",
	"job_container.conf",
};

#define _NFILES_2011 (sizeof(_names_2011) / sizeof(_names_2011[0]))

typedef struct _cur {
	const uint8_t *p;
	size_t left;
	bool bad;
} _cur;

/* A packstr as read: s NULL for the NULL string, else n bytes with the NUL. */
typedef struct _str {
	const char *s;
	uint32_t n;
} _str;

typedef struct _rfile {
	uint8_t exists, execute;
	_str name, content;
} _rfile;

typedef struct _ref {
	bool ok;
	int kind;
	uint16_t version, flags, msg_type;
	uint32_t body_length;
	bool has_auth;
	uint32_t auth_id;
	uint32_t rc;
	_str rc_msg;
	_rfile *files;
	size_t nfiles;
	bool list_null;
	const char *const *fixed_names; /* 20.11: names by position */
	_str spooldir;
	char http[80];
} _ref;

static uint32_t _get(_cur *c, size_t n)
{
	uint32_t v = 0;

	if (c->bad || c->left < n) {
		c->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | c->p[i];
	c->p += n;
	c->left -= n;
	return v;
}

static void _skip(_cur *c, size_t n)
{
	if (c->bad || c->left < n) {
		c->bad = true;
		return;
	}
	c->p += n;
	c->left -= n;
}

static _str _getstr(_cur *c)
{
	_str r = { NULL, 0 };
	uint32_t n = _get(c, 4);

	if (c->bad || n == 0)
		return r;
	if (n > c->left || c->p[n - 1] != '\0') {
		c->bad = true;
		return r;
	}
	r.s = (const char *)c->p;
	r.n = n;
	_skip(c, n);
	return r;
}

static uint8_t _getbool(_cur *c)
{
	uint32_t v = _get(c, 1);

	if (v > 1)
		c->bad = true;
	return (uint8_t)v;
}

static bool _spoken(uint16_t v)
{
	return (v & 0xff) == 0 && v >= 0x2400 && v <= 0x2D00;
}

static void _add_file(_ref *r, const _rfile *f)
{
	_rfile *n = realloc(r->files, (r->nfiles + 1) * sizeof(*n));

	if (!n)
		abort();
	r->files = n;
	r->files[r->nfiles++] = *f;
}

static void _body_config(_cur *c, _ref *r)
{
	_rfile f;
	uint32_t count;

	if (r->version == 0x2400) {
		r->fixed_names = _names_2011;
		for (size_t i = 0; i < _NFILES_2011 && !c->bad; i++) {
			memset(&f, 0, sizeof(f));
			f.content = _getstr(c);
			f.exists = f.content.s != NULL;
			_add_file(r, &f);
		}
		r->spooldir = _getstr(c);
		return;
	}
	count = _get(c, 4);
	if (count == 0xFFFFFFFEu) {
		r->list_null = true;
		count = 0;
	}
	for (uint32_t i = 0; i < count && !c->bad; i++) {
		memset(&f, 0, sizeof(f));
		f.exists = _getbool(c);
		if (r->version >= 0x2800)
			f.execute = _getbool(c);
		f.name = _getstr(c);
		if (!f.name.s)
			c->bad = true;
		f.content = _getstr(c);
		_add_file(r, &f);
	}
	r->spooldir = _getstr(c);
}

static void _ref_parse(const uint8_t *buf, size_t len, _ref *r)
{
	_cur c = { buf, len, false };
	int nstr;

	memset(r, 0, sizeof(*r));
	if (len >= 4 && memcmp(buf, "HTTP", 4) == 0) {
		size_t n = 0;

		for (size_t i = 0; i < len && n < sizeof(r->http) - 1; i++) {
			if (buf[i] == '\r' || buf[i] == '\n')
				break;
			r->http[n++] = buf[i] >= 0x20 && buf[i] <= 0x7e ? (char)buf[i] : '?';
		}
		r->ok = true;
		r->kind = STRAW_REPLY_HTTP;
		return;
	}
	if (_get(&c, 4) != c.left || c.bad)
		return;
	r->version = (uint16_t)_get(&c, 2);
	if (c.bad || !_spoken(r->version))
		return;
	r->flags = (uint16_t)_get(&c, 2);
	if (r->version < 0x2600)
		_skip(&c, 2); /* msg_index */
	r->msg_type = (uint16_t)_get(&c, 2);
	r->body_length = _get(&c, 4);
	if (_get(&c, 2) != 0 || _get(&c, 2) != 0) /* forward, ret counts */
		return;
	switch (_get(&c, 2)) {
	case 0:
		break;
	case 2:
		_skip(&c, 6);
		break;
	case 10:
		if (_get(&c, 4) != 16)
			return;
		_skip(&c, 18);
		break;
	default:
		return;
	}
	if (!(r->flags & 0x0040)) {
		r->has_auth = true;
		r->auth_id = _get(&c, 4);
		if (r->auth_id == 101 || r->auth_id == 103)
			nstr = 1;
		else if (r->auth_id == 102)
			nstr = 2;
		else
			return;
		while (nstr--)
			_getstr(&c);
	}
	if (c.bad || r->body_length != c.left)
		return;
	switch (r->msg_type) {
	case 2016:
		r->kind = STRAW_REPLY_CONFIG;
		_body_config(&c, r);
		break;
	case 8001:
	case 8002:
		r->kind = STRAW_REPLY_RC;
		r->rc = _get(&c, 4);
		if (r->msg_type == 8002)
			r->rc_msg = _getstr(&c);
		break;
	default:
		return;
	}
	if (!c.bad && c.left == 0)
		r->ok = true;
}

/* The engine's copy says what the packstr said, up to its first NUL. */
static bool _same_str(const char *mine, _str ref)
{
	if (!ref.s)
		return mine == NULL;
	return mine && strcmp(mine, ref.s) == 0;
}

static void _compare_ok(const uint8_t *buf, size_t len, const straw_reply *o, const _ref *r)
{
	FUZZ_ASSERT(o->kind == (straw_reply_kind)r->kind);
	if (r->kind == STRAW_REPLY_HTTP) {
		FUZZ_ASSERT(strcmp(o->http_status, r->http) == 0);
		FUZZ_ASSERT(!o->files && !o->nfiles && !o->rc_msg && !o->spooldir);
		return;
	}
	FUZZ_ASSERT(o->hdr.version == r->version);
	FUZZ_ASSERT(o->hdr.flags == r->flags);
	FUZZ_ASSERT(o->hdr.msg_type == r->msg_type);
	FUZZ_ASSERT(o->hdr.body_length == r->body_length);
	FUZZ_ASSERT(o->hdr.body_length <= len);
	FUZZ_ASSERT(o->has_auth == r->has_auth);
	FUZZ_ASSERT(o->auth_plugin_id == r->auth_id);
	if (r->kind == STRAW_REPLY_RC) {
		FUZZ_ASSERT(o->rc == r->rc);
		FUZZ_ASSERT(_same_str(o->rc_msg, r->rc_msg));
		FUZZ_ASSERT(!o->files && !o->nfiles && !o->spooldir && !o->list_null);
		return;
	}
	FUZZ_ASSERT(o->rc == 0 && !o->rc_msg);
	FUZZ_ASSERT(o->nfiles == r->nfiles);
	FUZZ_ASSERT(o->list_null == r->list_null);
	FUZZ_ASSERT(!o->list_null || o->nfiles == 0);
	FUZZ_ASSERT(o->nfiles == 0 || o->files != NULL);
	/* Each entry takes at least 9 bytes on the wire; 20.11 has 11, always. */
	if (r->fixed_names)
		FUZZ_ASSERT(o->nfiles == _NFILES_2011);
	else
		FUZZ_ASSERT(o->nfiles * 9 <= len);
	FUZZ_ASSERT(_same_str(o->spooldir, r->spooldir));
	for (size_t i = 0; i < o->nfiles; i++) {
		const straw_file *f = &o->files[i];
		const _rfile *rf = &r->files[i];

		FUZZ_ASSERT(f->name != NULL);
		if (r->fixed_names)
			FUZZ_ASSERT(strcmp(f->name, r->fixed_names[i]) == 0);
		else
			FUZZ_ASSERT(_same_str(f->name, rf->name));
		FUZZ_ASSERT(f->exists == rf->exists);
		FUZZ_ASSERT(f->execute == rf->execute);
		FUZZ_ASSERT(f->content_null == (rf->content.s == NULL));
		FUZZ_ASSERT(_same_str(f->content, rf->content));
		FUZZ_ASSERT(f->content_len == (f->content ? strlen(f->content) : 0));
		FUZZ_ASSERT(!rf->content.s || f->content_len < rf->content.n);
		/* The name check the writer will apply; compared with its promise. */
		FUZZ_ASSERT(straw_name_ok(f->name) == fuzz_name_ref(f->name));
	}
	(void)buf;
}

static void _compare_fail(const uint8_t *buf, size_t len, int rc, const straw_error *err,
			  const straw_reply *o)
{
	FUZZ_ASSERT(rc == STRAW_ERR_PROTOCOL);
	FUZZ_ASSERT(err->code == rc);
	FUZZ_ASSERT(fuzz_msg_ok(err->msg, sizeof(err->msg)));
	/* Nothing is left allocated or half-filled, but the header is kept. */
	FUZZ_ASSERT(o->kind == 0 && !o->files && o->nfiles == 0 && !o->rc_msg && !o->spooldir);
	FUZZ_ASSERT(!o->list_null && o->rc == 0 && o->http_status[0] == '\0');
	/* Version negotiation reads the version of any frame long enough. */
	if (len >= 6)
		FUZZ_ASSERT(o->hdr.version == ((buf[4] << 8) | buf[5]));
}

int fuzz_check_reply(const uint8_t *buf, size_t len, straw_reply *out)
{
	straw_error err = { 0 };
	_ref r;
	int rc;

	rc = straw_parse_reply(buf, len, out, &err);
	_ref_parse(buf, len, &r);
	if (rc == STRAW_OK) {
		if (!r.ok)
			fprintf(stderr, "straw accepted a reply the reference refuses\n");
		FUZZ_ASSERT(r.ok);
		_compare_ok(buf, len, out, &r);
	} else {
		if (r.ok)
			fprintf(stderr, "straw refused a reply the reference accepts: %s\n", err.msg);
		FUZZ_ASSERT(!r.ok);
		_compare_fail(buf, len, rc, &err, out);
	}
	free(r.files);
	return rc;
}

uint16_t fuzz_reply_flags(uint16_t version)
{
	return version >= 0x2700 ? 0x0040 : 0;
}

const uint8_t *fuzz_reply_auth(uint16_t version, size_t *len)
{
	static const uint8_t jwt[12] = { 0, 0, 0, 102 };

	*len = version >= 0x2700 ? 0 : sizeof(jwt);
	return jwt;
}

static size_t _put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t _put32(uint8_t *p, uint32_t v)
{
	_put16(p, (uint16_t)(v >> 16));
	_put16(p + 2, (uint16_t)v);
	return 4;
}

uint8_t *fuzz_frame(uint16_t version, uint16_t flags, uint16_t msg_type, const uint8_t *auth,
		    size_t auth_len, const uint8_t *body, size_t body_len, size_t *len)
{
	size_t hdr = version < 0x2600 ? 18 : 16;
	size_t total = 4 + hdr + auth_len + body_len;
	uint8_t *p = malloc(total);
	size_t o = 0;

	if (!p)
		abort();
	o += _put32(p + o, (uint32_t)(total - 4));
	o += _put16(p + o, version);
	o += _put16(p + o, flags);
	if (version < 0x2600)
		o += _put16(p + o, 0);
	o += _put16(p + o, msg_type);
	o += _put32(p + o, (uint32_t)body_len);
	o += _put16(p + o, 0);
	o += _put16(p + o, 0);
	o += _put16(p + o, 0);
	if (auth_len)
		memcpy(p + o, auth, auth_len);
	o += auth_len;
	if (body_len)
		memcpy(p + o, body, body_len);
	*len = total;
	return p;
}

int fuzz_check_body(uint16_t version, uint16_t msg_type, const uint8_t *body, size_t n,
		    straw_reply *out)
{
	const uint8_t *auth;
	size_t auth_len, len;
	uint8_t *buf;
	int rc;

	auth = fuzz_reply_auth(version, &auth_len);
	buf = fuzz_frame(version, fuzz_reply_flags(version), msg_type, auth, auth_len, body, n,
			 &len);
	rc = fuzz_check_reply(buf, len, out);
	if (rc == STRAW_OK) {
		FUZZ_ASSERT(out->hdr.version == version && out->hdr.msg_type == msg_type);
		FUZZ_ASSERT(out->hdr.body_length == n);
	}
	free(buf);
	return rc;
}
