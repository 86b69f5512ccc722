/*
 * test_codec.c - unit tests for lib/codec.c.  Every captured reply must
 * parse to what its expected.json says; captured requests must come out of
 * the packer byte for byte; every truncation, extension and corruption of a
 * captured reply must be refused or parsed consistently, never crash; and
 * hand-built frames cover the cases the captures do not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "internal.h"
#include "support_json.h"
#include "support_vectors.h"

/* The captures every test run must see (tests/vectors/README.md). */
static const char *const required_releases[] = {
	"20.11", "22.05", "23.02", "23.11", "24.11", "26.05",
};
static const char *const modes[] = { "jwt", "munge" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Which vector a failing check was looking at. */
static char where[256];

#define WHERE(...) snprintf(where, sizeof(where), __VA_ARGS__)

#define check(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			print_error("%s: check failed: %s\n", where, #c);    \
			fail();                                               \
		}                                                             \
	} while (0)

#define check_int(a, b)                                                       \
	do {                                                                  \
		long long a_ = (long long)(a), b_ = (long long)(b);           \
		if (a_ != b_) {                                               \
			print_error("%s: %s is %lld, expected %lld\n", where, #a, \
				    a_, b_);                                  \
			fail();                                               \
		}                                                             \
	} while (0)

#define check_str(a, b)                                                       \
	do {                                                                  \
		const char *a_ = (a), *b_ = (b);                              \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                      \
			print_error("%s: %s is \"%s\", expected \"%s\"\n", where, \
				    #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
			fail();                                               \
		}                                                             \
	} while (0)

/* ---- helpers -------------------------------------------------------------- */

static uint8_t *load(const char *rel, size_t *len)
{
	uint8_t *p = tvec_read(rel, len);

	if (!p) {
		print_error("cannot read %s/%s (is STRAW_VECTORS set?)\n",
			    tvec_dir() ? tvec_dir() : "$STRAW_VECTORS", rel);
		fail();
	}
	return p;
}

static tjson *load_json(const char *rel)
{
	size_t len;
	uint8_t *p = load(rel, &len);
	tjson *j = tjson_parse((const char *)p, len);

	free(p);
	if (!j) {
		print_error("%s is not valid JSON\n", rel);
		fail();
	}
	return j;
}

/* A number member of an expected.json object; missing is a test failure. */
static long long num(const tjson *obj, const char *key)
{
	const tjson *v = tjson_get(obj, key);

	if (!v || v->type != TJSON_NUMBER) {
		print_error("%s: expected.json has no number \"%s\"\n", where, key);
		fail();
	}
	return (long long)v->num;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	assert_int_equal(EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL), 1);
	assert_int_equal(mdlen, 32);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (hex[0] && hex[1]) {
		unsigned v;

		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		assert_true(n < max);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

/* Exactly len bytes on the heap, so ASan sees any read past the end. */
static uint8_t *dup_exact(const uint8_t *p, size_t len, size_t alloc)
{
	uint8_t *q = malloc(alloc ? alloc : 1);

	assert_non_null(q);
	memcpy(q, p, len < alloc ? len : alloc);
	return q;
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A failed parse must leave nothing allocated and say something. */
static void check_failed(int rc, const straw_reply *r, const straw_error *err)
{
	check(rc != STRAW_OK);
	check_int(rc, STRAW_ERR_PROTOCOL);
	check_int(err->code, STRAW_ERR_PROTOCOL);
	check(err->msg[0] != '\0');
	check(strchr(err->msg, '\n') == NULL);
	check(r->files == NULL && r->nfiles == 0);
	check(r->rc_msg == NULL && r->spooldir == NULL);
}

static int parse(const uint8_t *buf, size_t len, straw_reply *r, straw_error *err)
{
	memset(err, 0, sizeof(*err));
	return straw_parse_reply(buf, len, r, err);
}

/* Where header.body_length sits in a frame (after the u32 length). */
static size_t body_length_offset(uint16_t version)
{
	return version < STRAW_V22_05 ? 4 + 8 : 4 + 6;
}

/* ---- a parser for captured requests ---------------------------------------- */

typedef struct request {
	uint16_t version, flags, msg_type;
	uint32_t body_length;
	const uint8_t *auth;
	size_t auth_len;
	uint32_t plugin_id;
	const char *cred;    /* munge credential, or the JWT */
	const char *jwt_user; /* jwt: the second string */
	const uint8_t *body;
	size_t body_len;
} request;

static bool parse_request(const uint8_t *buf, size_t len, request *q)
{
	straw_rbuf b = { .p = buf, .len = len };
	uint16_t u16, fwd, ret, family;
	uint32_t frame, slen;
	size_t auth_start;

	memset(q, 0, sizeof(*q));
	if (!straw_rb_u32(&b, &frame) || frame != len - 4)
		return false;
	if (!straw_rb_u16(&b, &q->version) || !straw_rb_u16(&b, &q->flags))
		return false;
	if (q->version < STRAW_V22_05 && (!straw_rb_u16(&b, &u16) || u16 != 0))
		return false;
	if (!straw_rb_u16(&b, &q->msg_type) || !straw_rb_u32(&b, &q->body_length) ||
	    !straw_rb_u16(&b, &fwd) || !straw_rb_u16(&b, &ret) || !straw_rb_u16(&b, &family))
		return false;
	if (fwd || ret || family)
		return false;
	auth_start = b.off;
	if (!straw_rb_u32(&b, &q->plugin_id) || !straw_rb_str(&b, &q->cred, &slen))
		return false;
	if (q->plugin_id == STRAW_AUTH_ID_JWT && !straw_rb_str(&b, &q->jwt_user, &slen))
		return false;
	q->auth = buf + auth_start;
	q->auth_len = b.off - auth_start;
	q->body = buf + b.off;
	q->body_len = straw_rb_left(&b);
	return q->body_length == q->body_len;
}

/*
 * Rebuild a captured JWT or munge request with the codec and compare it
 * byte for byte.  JWT auth is rebuilt from the token alone; munge auth is
 * passed through, since the credential cannot be made again.
 */
static void check_request_rebuild(const uint8_t *buf, size_t len)
{
	straw_wbuf auth = { 0 }, w = { 0 };
	uint8_t body[6];
	size_t body_len;
	request q;

	check(parse_request(buf, len, &q));
	check_int(q.msg_type, STRAW_MSG_REQUEST_CONFIG);
	check_int(q.flags, 0);
	check(straw_protocol_known(q.version));
	check(q.body_len == 4 || q.body_len == 6);
	body_len = straw_config_request_body(q.version, get32(q.body), body);
	check_int(body_len, q.body_len);
	check(memcmp(body, q.body, body_len) == 0);

	if (q.plugin_id == STRAW_AUTH_ID_JWT) {
		check(q.cred != NULL);
		check(q.jwt_user == NULL);
		straw_wb_u32(&auth, STRAW_AUTH_ID_JWT);
		straw_wb_str(&auth, q.cred);
		straw_wb_u32(&auth, 0);
		check(!auth.failed);
		check_int(auth.len, q.auth_len);
	} else {
		check_int(q.plugin_id, STRAW_AUTH_ID_MUNGE);
		check(q.cred != NULL && strncmp(q.cred, "MUNGE:", 6) == 0);
		straw_wb_mem(&auth, q.auth, q.auth_len);
	}
	straw_pack_request(&w, q.version, STRAW_MSG_REQUEST_CONFIG, auth.p, auth.len, body,
			   body_len);
	check(!w.failed);
	check_int(w.len, len);
	check(memcmp(w.p, buf, len) == 0);
	straw_wb_free(&auth);
	straw_wb_free(&w);
}

/* ---- 1. captured RESPONSE_CONFIG against expected.json ---------------------- */

static size_t releases(char names[][8])
{
	size_t n = tvec_releases(names, TVEC_MAX_RELEASES);

	for (size_t i = 0; i < NELEM(required_releases); i++) {
		bool found = false;

		for (size_t j = 0; j < n; j++)
			found |= strcmp(names[j], required_releases[i]) == 0;
		if (!found) {
			print_error("vectors for %s missing in %s\n", required_releases[i],
				    tvec_dir() ? tvec_dir() : "(STRAW_VECTORS not set)");
			fail();
		}
	}
	return n;
}

static void check_file(const straw_file *f, const tjson *e)
{
	const tjson *name = tjson_get(e, "name"), *exists = tjson_get(e, "exists");
	const tjson *execute = tjson_get(e, "execute"), *isnull = tjson_get(e, "content_is_null");
	const tjson *length = tjson_get(e, "length"), *sha = tjson_get(e, "sha256");
	char hex[65];

	check(name && name->type == TJSON_STRING);
	check(exists && exists->type == TJSON_BOOL);
	check(execute && execute->type == TJSON_BOOL);
	check(isnull && isnull->type == TJSON_BOOL);
	check(length && length->type == TJSON_NUMBER);
	check(sha && sha->type == TJSON_STRING);

	check_str(f->name, name->str);
	check_int(f->exists, exists->b);
	check_int(f->execute, execute->b);
	check_int(f->content_null, isnull->b);
	check_int(f->content == NULL, isnull->b);
	check_int(f->content_len, (long long)length->num);
	if (f->content)
		check_int(strlen(f->content), f->content_len);
	sha256_hex(f->content ? f->content : "", f->content_len, hex);
	check_str(hex, sha->str);
}

static void test_vectors_responses(void **state)
{
	char names[TVEC_MAX_RELEASES][8];
	size_t n = releases(names);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		char rel[64];
		tjson *exp;

		snprintf(rel, sizeof(rel), "%s/expected.json", names[i]);
		exp = load_json(rel);
		for (size_t m = 0; m < NELEM(modes); m++) {
			const tjson *e = tjson_get(exp, modes[m]), *files, *spool;
			uint8_t *resp, *req;
			size_t resp_len, req_len;
			straw_reply r;
			straw_error err;
			int rc;

			WHERE("%s/response-config-%s.bin", names[i], modes[m]);
			check(e != NULL);
			files = tjson_get(e, "files");
			spool = tjson_get(e, "slurmd_spooldir");
			check(files && files->type == TJSON_ARRAY);
			check(spool != NULL);
			resp = load(where, &resp_len);
			snprintf(rel, sizeof(rel), "%s/request-config-%s.bin", names[i], modes[m]);
			req = load(rel, &req_len);

			check_int(resp_len, num(e, "response_bytes"));
			check_int(req_len, num(e, "request_bytes"));

			rc = parse(resp, resp_len, &r, &err);
			if (rc != STRAW_OK)
				print_error("%s: %s\n", where, err.msg);
			check_int(rc, STRAW_OK);
			check_int(r.kind, STRAW_REPLY_CONFIG);
			check_int(r.hdr.version, num(e, "protocol_version"));
			check_str(straw_protocol_name(r.hdr.version), names[i]);
			check_int(r.hdr.flags, num(e, "response_header_flags"));
			check_int(r.hdr.msg_type, STRAW_MSG_RESPONSE_CONFIG);
			check_int(r.has_auth, !(r.hdr.flags & STRAW_HDR_FLAG_NO_AUTH));
			if (r.has_auth)
				check_int(r.auth_plugin_id, m == 0 ? STRAW_AUTH_ID_JWT
								   : STRAW_AUTH_ID_MUNGE);
			check(!r.list_null);
			check_int(r.nfiles, files->n);
			for (size_t f = 0; f < r.nfiles; f++) {
				WHERE("%s/response-config-%s.bin file %zu", names[i], modes[m], f + 1);
				check_file(&r.files[f], tjson_at(files, f));
			}
			if (spool->type == TJSON_NULL)
				check(r.spooldir == NULL);
			else
				check_str(r.spooldir, spool->str);
			straw_reply_free(&r);
			check(r.files == NULL && r.nfiles == 0);
			free(resp);
			free(req);
		}
		tjson_free(exp);
	}
}

/* ---- 2. captured requests rebuilt ------------------------------------------ */

static void test_vectors_requests(void **state)
{
	char names[TVEC_MAX_RELEASES][8];
	size_t n = releases(names);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (size_t m = 0; m < NELEM(modes); m++) {
			uint8_t *buf;
			size_t len;
			request q;

			WHERE("%s/request-config-%s.bin", names[i], modes[m]);
			buf = load(where, &len);
			check(parse_request(buf, len, &q));
			check_str(straw_protocol_name(q.version), names[i]);
			check_int(q.plugin_id, m == 0 ? STRAW_AUTH_ID_JWT : STRAW_AUTH_ID_MUNGE);
			/* libslurm's own configless fetch: the client set, flags = 0. */
			check_int(get32(q.body), 0);
			check_request_rebuild(buf, len);
			free(buf);
		}
	}
}

static const char *const error_cases[] = {
	"24.11-too-old-version", "24.11-too-new-version", "24.11-bad-token",
	"24.11-slurmd-flags-by-user", "22.05-slurmd-flags-by-user",
	"22.05-too-new-version", "26.05-too-old-version",
};

static void test_vectors_error_requests(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(error_cases); i++) {
		uint8_t *buf;
		size_t len;

		WHERE("errors/%s.request.bin", error_cases[i]);
		buf = load(where, &len);
		check_request_rebuild(buf, len);
		free(buf);
	}
}

/* ---- 3. truncated, extended and corrupted replies --------------------------- */

/* Everything that must be refused or survived for one complete capture. */
static void check_mangled(const char *rel)
{
	straw_reply r;
	straw_error err;
	uint8_t *buf, *b;
	size_t len, body_start, hdr_end;
	uint16_t version, msg_type;
	int rc;

	WHERE("%s", rel);
	buf = load(rel, &len);
	rc = parse(buf, len, &r, &err);
	check_int(rc, STRAW_OK);
	version = r.hdr.version;
	msg_type = r.hdr.msg_type;
	body_start = len - r.hdr.body_length;
	hdr_end = 4 + (version < STRAW_V22_05 ? 18 : 16);
	straw_reply_free(&r);

	/* Every short read. */
	for (size_t n = 0; n < len; n++) {
		WHERE("%s cut to %zu bytes", rel, n);
		b = dup_exact(buf, n, n);
		rc = parse(b, n, &r, &err);
		check_failed(rc, &r, &err);
		if (n >= 6)
			check_int(r.hdr.version, version);
		free(b);
	}

	/*
	 * Every short frame that is consistent on the outside: the length
	 * prefix and body_length fixed up, so the inner parsers must notice.
	 */
	for (size_t n = hdr_end; n < len; n++) {
		WHERE("%s cut to %zu bytes with the lengths fixed", rel, n);
		b = dup_exact(buf, n, n);
		put32(b, (uint32_t)(n - 4));
		put32(b + body_length_offset(version), n >= body_start ? (uint32_t)(n - body_start) : 0);
		rc = parse(b, n, &r, &err);
		check_failed(rc, &r, &err);
		/* The header stays readable for version negotiation. */
		check_int(r.hdr.version, version);
		check_int(r.hdr.msg_type, msg_type);
		free(b);
	}

	/* One byte too many: as received, with the prefix fixed, and with both lengths fixed. */
	b = dup_exact(buf, len, len + 1);
	b[len] = 0;
	WHERE("%s plus 1 byte", rel);
	rc = parse(b, len + 1, &r, &err);
	check_failed(rc, &r, &err);
	check(strstr(err.msg, "1 bytes after the") != NULL);
	put32(b, (uint32_t)(len + 1 - 4));
	WHERE("%s plus 1 byte, frame length fixed", rel);
	rc = parse(b, len + 1, &r, &err);
	check_failed(rc, &r, &err);
	put32(b + body_length_offset(version), (uint32_t)(len + 1 - body_start));
	WHERE("%s plus 1 byte, both lengths fixed", rel);
	rc = parse(b, len + 1, &r, &err);
	check_failed(rc, &r, &err);
	free(b);

	/* A length prefix no reply can have. */
	b = dup_exact(buf, len, len);
	put32(b, 0x7fffffff);
	WHERE("%s with length 0x7fffffff", rel);
	rc = parse(b, len, &r, &err);
	check_failed(rc, &r, &err);
	check(strstr(err.msg, "1 GiB") != NULL);

	/* Every byte flipped: refused, or parsed into something consistent. */
	for (size_t i = 0; i < len; i++) {
		for (int k = 0; k < 2; k++) {
			memcpy(b, buf, len);
			b[i] = k ? (uint8_t)(buf[i] ^ 0xFF) : (uint8_t)(buf[i] + 1);
			WHERE("%s byte %zu changed to 0x%02x", rel, i, b[i]);
			rc = parse(b, len, &r, &err);
			if (rc != STRAW_OK) {
				check_failed(rc, &r, &err);
				continue;
			}
			check(r.kind == STRAW_REPLY_CONFIG || r.kind == STRAW_REPLY_RC);
			check(straw_protocol_known(r.hdr.version));
			for (size_t f = 0; f < r.nfiles; f++) {
				check(r.files[f].name != NULL);
				check_int(r.files[f].content_null, r.files[f].content == NULL);
				if (r.files[f].content)
					check_int(strlen(r.files[f].content), r.files[f].content_len);
			}
			straw_reply_free(&r);
		}
	}
	free(b);
	free(buf);
}

static void test_vectors_mangled(void **state)
{
	char names[TVEC_MAX_RELEASES][8];
	size_t n = releases(names);
	char rel[96];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (size_t m = 0; m < NELEM(modes); m++) {
			snprintf(rel, sizeof(rel), "%s/response-config-%s.bin", names[i], modes[m]);
			check_mangled(rel);
		}
	}
	for (size_t i = 0; i < 5; i++) {
		snprintf(rel, sizeof(rel), "errors/%s.response.bin", error_cases[i]);
		check_mangled(rel);
	}
}

/* ---- 4. the errors/ captures ------------------------------------------------ */

static void check_error_rc(const char *name, uint16_t version, uint32_t code, bool has_auth)
{
	straw_reply r;
	straw_error err;
	uint8_t *buf;
	size_t len;
	int rc;

	WHERE("errors/%s.response.bin", name);
	buf = load(where, &len);
	rc = parse(buf, len, &r, &err);
	if (rc != STRAW_OK)
		print_error("%s: %s\n", where, err.msg);
	check_int(rc, STRAW_OK);
	check_int(r.kind, STRAW_REPLY_RC);
	check_int(r.hdr.msg_type, STRAW_MSG_RESPONSE_SLURM_RC);
	check_int(r.hdr.version, version);
	check_int(r.rc, code);
	check(r.rc_msg == NULL);
	check_int(r.has_auth, has_auth);
	if (has_auth)
		check_int(r.auth_plugin_id, STRAW_AUTH_ID_JWT);
	check(r.files == NULL);
	straw_reply_free(&r);
	free(buf);
}

static void test_vectors_errors(void **state)
{
	straw_reply r;
	straw_error err;
	uint8_t *buf;
	size_t len;
	int rc;

	(void)state;
	check_error_rc("24.11-too-old-version", STRAW_V24_11, 1007, false);
	check_error_rc("24.11-too-new-version", STRAW_V24_11, 1007, false);
	check_error_rc("24.11-bad-token", STRAW_V24_11, 1007, false);
	check_error_rc("24.11-slurmd-flags-by-user", STRAW_V24_11, 2010, false);
	check_error_rc("22.05-slurmd-flags-by-user", STRAW_V22_05, 2010, true);

	WHERE("errors/22.05-too-new-version.response.bin");
	buf = load(where, &len);
	check_int(len, 0);
	rc = parse(buf, len, &r, &err);
	check_failed(rc, &r, &err);
	check(strstr(err.msg, "closed") != NULL);
	free(buf);

	WHERE("errors/26.05-too-old-version.response.bin");
	buf = load(where, &len);
	rc = parse(buf, len, &r, &err);
	check_int(rc, STRAW_OK);
	check_int(r.kind, STRAW_REPLY_HTTP);
	check_str(r.http_status, "HTTP/1.1 405 NOT ALLOWED");
	check_int(r.hdr.version, 0);
	straw_reply_free(&r);
	free(buf);
}

/* ---- 5. hand-built frames --------------------------------------------------- */

typedef struct spec {
	uint16_t version, flags, msg_type;
	long long body_length; /* < 0: the real body size */
	uint16_t fwd, ret, family;
	const char *addr;      /* hex after the family */
	const char *auth;      /* hex; NULL: none */
	const char *body;      /* hex */
} spec;

static const char jwt_auth[] = "00000066 00000000 00000000";

/* The frame a spec describes, exactly sized on the heap. */
static uint8_t *build(const spec *s, size_t *len)
{
	static uint8_t tmp[4096];
	straw_wbuf w = { 0 };
	size_t auth_len = 0, body_len, addr_len = 0;
	uint8_t addr[64], auth[256];
	uint8_t *out;

	if (s->addr)
		addr_len = unhex(s->addr, addr, sizeof(addr));
	if (s->auth)
		auth_len = unhex(s->auth, auth, sizeof(auth));
	body_len = unhex(s->body ? s->body : "", tmp, sizeof(tmp));

	straw_wb_u32(&w, 0); /* fixed below */
	straw_wb_u16(&w, s->version);
	straw_wb_u16(&w, s->flags);
	if (s->version < STRAW_V22_05)
		straw_wb_u16(&w, 0);
	straw_wb_u16(&w, s->msg_type);
	straw_wb_u32(&w, s->body_length < 0 ? (uint32_t)body_len : (uint32_t)s->body_length);
	straw_wb_u16(&w, s->fwd);
	straw_wb_u16(&w, s->ret);
	straw_wb_u16(&w, s->family);
	straw_wb_mem(&w, addr, addr_len);
	straw_wb_mem(&w, auth, auth_len);
	straw_wb_mem(&w, tmp, body_len);
	assert_false(w.failed);
	put32(w.p, (uint32_t)(w.len - 4));
	out = dup_exact(w.p, w.len, w.len);
	*len = w.len;
	straw_wb_free(&w);
	return out;
}

static int parse_spec(const spec *s, straw_reply *r, straw_error *err)
{
	size_t len;
	uint8_t *buf = build(s, &len);
	int rc = parse(buf, len, r, err);

	free(buf);
	return rc;
}

/* The spec must be refused with a message containing needle. */
static void refuse(const char *what, const spec *s, const char *needle)
{
	straw_reply r;
	straw_error err;
	int rc;

	WHERE("%s", what);
	rc = parse_spec(s, &r, &err);
	check_failed(rc, &r, &err);
	if (!strstr(err.msg, needle)) {
		print_error("%s: message \"%s\" lacks \"%s\"\n", what, err.msg, needle);
		fail();
	}
}

static void test_list_null(void **state)
{
	spec s = { .version = STRAW_V22_05, .msg_type = 2016, .body_length = -1,
		   .auth = jwt_auth, .body = "FFFFFFFE 00000000" };
	straw_reply r;
	straw_error err;

	(void)state;
	WHERE("count NO_VAL at 22.05");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check_int(r.kind, STRAW_REPLY_CONFIG);
	check(r.list_null);
	check_int(r.nfiles, 0);
	check(r.files == NULL && r.spooldir == NULL);
	check(r.has_auth);
	check_int(r.auth_plugin_id, STRAW_AUTH_ID_JWT);
	straw_reply_free(&r);

	s.version = STRAW_V23_11;
	s.flags = STRAW_HDR_FLAG_NO_AUTH | 0x4;
	s.auth = NULL;
	s.body = "FFFFFFFE 00000008 2F7661722F737000";
	WHERE("count NO_VAL at 23.11 with a spool dir");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check(r.list_null);
	check(!r.has_auth);
	check_str(r.spooldir, "/var/sp");
	straw_reply_free(&r);

	s.body = "00000000 00000000";
	WHERE("count 0");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check(!r.list_null);
	check_int(r.nfiles, 0);
	straw_reply_free(&r);
}

static void test_counts(void **state)
{
	spec s = { .version = STRAW_V23_02, .flags = STRAW_HDR_FLAG_NO_AUTH, .msg_type = 2016,
		   .body_length = -1 };

	(void)state;
	s.body = "FFFFFFF0 01 00000002 6100 00000000 00000000";
	refuse("count 0xFFFFFFF0 with a few bytes", &s, "announces 4294967280 files");
	s.body = "FFFFFFFF 00000000";
	refuse("count INFINITE", &s, "announces");
	/* Two entries of the smallest size would need 18 bytes plus the spool dir. */
	s.body = "00000002 01 00000002 6100 00000000 01 00000002 6200";
	refuse("count 2 one byte short", &s, "announces 2 files");
	s.version = STRAW_V23_11;
	s.body = "00000001 01 00 00000002 6100 0000";
	refuse("count 1 at 23.11 too short", &s, "announces 1 files");
}

static void test_strings(void **state)
{
	spec s = { .version = STRAW_V24_11, .flags = 0x44, .msg_type = 2016, .body_length = -1 };

	(void)state;
	s.body = "00000001 01 00 00000003 616263 00000000 00000000";
	refuse("name without its NUL", &s, "RESPONSE_CONFIG entry 1 name is not NUL-terminated");
	s.body = "00000001 01 00 00000002 6100 00000003 616263 00000000";
	refuse("content without its NUL", &s, "entry 1 (a) content is not NUL-terminated");
	s.body = "00000001 01 00 FFFFFFF0 6100 00000000 00000000";
	refuse("name longer than 1 GiB", &s, "more than 1 GiB");
	s.body = "00000001 01 00 00000100 6100 00000000 00000000";
	refuse("name longer than the frame", &s, "entry 1 name truncated (needed 256 bytes, 10 left)");
	s.body = "00000001 01 00 00000000 00000000 00000000";
	refuse("NULL name", &s, "entry 1 has no file name");
	s.body = "00000001 02 00 00000002 6100 00000000 00000000";
	refuse("exists = 2", &s, "entry 1 exists flag is 2");
	s.body = "00000001 01 FF 00000002 6100 00000000 00000000";
	refuse("execute = 255", &s, "entry 1 execute flag is 255");
	s.body = "00000001 01 00 00000002 6100 00000000 000000";
	refuse("spool dir cut", &s, "slurmd_spooldir truncated (needed 4 bytes, 3 left)");
	s.body = "00000001 01 00 00000002 6100 00000000 00000000 00";
	refuse("a byte after the body", &s, "1 unexpected bytes after");
}

static void test_entries(void **state)
{
	spec s = { .version = STRAW_V24_11, .flags = 0x44, .msg_type = 2016, .body_length = -1 };
	straw_reply r;
	straw_error err;

	(void)state;
	/* ≥ 23.11: exists, execute, name, content; an embedded NUL ends the text. */
	s.body = "00000004"
		 " 01 01 00000008 70726F6C6F677300 0000000A 23212F62696E2F736800"
		 " 01 00 0000000F 706C7567737461636B2E636F6E6600 00000000"
		 " 00 00 0000000A 746F706F2E636F6E6600 00000000"
		 " 01 00 00000002 7800 00000006 6162006364 00"
		 " 00000000";
	WHERE("four entries at 24.11");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check_int(r.nfiles, 4);
	check_str(r.files[0].name, "prologs");
	check(r.files[0].exists && r.files[0].execute && !r.files[0].content_null);
	check_str(r.files[0].content, "#!/bin/sh");
	check_int(r.files[0].content_len, 9);
	check_str(r.files[1].name, "plugstack.conf");
	check(r.files[1].exists && !r.files[1].execute && r.files[1].content_null);
	check(r.files[1].content == NULL);
	check_int(r.files[1].content_len, 0);
	check(!r.files[2].exists && r.files[2].content_null);
	check_str(r.files[3].content, "ab");
	check_int(r.files[3].content_len, 2);
	check(r.spooldir == NULL);
	straw_reply_free(&r);

	/* 21.08 - 23.02: no execute byte; an empty string is not NULL. */
	s.version = STRAW_V21_08;
	s.flags = 0;
	s.auth = "00000065 00000006 4D554E474500";
	s.body = "00000001 01 00000002 6100 00000001 00 00000005 2F766172 00";
	WHERE("one entry at 21.08, munge auth");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check(r.has_auth);
	check_int(r.auth_plugin_id, STRAW_AUTH_ID_MUNGE);
	check_int(r.nfiles, 1);
	check(r.files[0].exists && !r.files[0].execute && !r.files[0].content_null);
	check_str(r.files[0].content, "");
	check_int(r.files[0].content_len, 0);
	check_str(r.spooldir, "/var");
	straw_reply_free(&r);

	/* A name is kept as sent: write.c, not the codec, judges it. */
	s.version = STRAW_V23_02;
	s.body = "00000001 01 00000006 2E2E2F657400 00000000 00000000";
	WHERE("name ../et kept");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check_str(r.files[0].name, "../et");
	straw_reply_free(&r);
}

static void test_header_cases(void **state)
{
	spec s = { .version = STRAW_V22_05, .msg_type = 8001, .body_length = -1,
		   .auth = jwt_auth, .body = "000007DA" };
	straw_reply r;
	straw_error err;

	(void)state;
	s.fwd = 1;
	refuse("forward count 1", &s, "forward count is 1");
	s.fwd = 0;
	s.ret = 2;
	refuse("ret count 2", &s, "ret count is 2");
	s.ret = 0;

	s.body_length = 5;
	refuse("body_length one too many", &s, "body_length is 5 but 4 bytes follow");
	s.body_length = 3;
	refuse("body_length one too few", &s, "body_length is 3 but 4 bytes follow");
	s.body_length = -1;

	s.auth = "00000064 00000000";
	refuse("auth/none plugin id", &s, "unknown auth plugin id 100");
	s.auth = "000003E7 00000000";
	refuse("plugin id 999", &s, "unknown auth plugin id 999");
	s.auth = "00000066 00000000";
	refuse("jwt auth with one string", &s, "auth section");
	s.auth = "00000067 00000004 61626300";
	WHERE("auth/slurm");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check_int(r.auth_plugin_id, 103);
	check_int(r.rc, 2010);
	straw_reply_free(&r);
	s.auth = jwt_auth;

	s.family = 2;
	s.addr = "0100007F 1AA1";
	WHERE("IPv4 origin address");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check_int(r.rc, 2010);
	straw_reply_free(&r);
	s.family = 10;
	s.addr = "00000010 00000000000000000000000000000001 1AA1";
	WHERE("IPv6 origin address");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check_int(r.rc, 2010);
	straw_reply_free(&r);
	s.addr = "00000004 7F000001 1AA1";
	refuse("IPv6 address of 4 bytes", &s, "IPv6 address is 4 bytes");
	s.family = 1;
	s.addr = NULL;
	refuse("AF_UNIX origin", &s, "unknown address family 1");
	s.family = 0;

	s.msg_type = 2017;
	refuse("unknown msg_type", &s, "message type 2017");
	s.msg_type = 8003;
	refuse("reroute msg_type", &s, "message type 8003");
	s.msg_type = 8001;

	s.body = "";
	refuse("RC without a body", &s, "return code truncated (needed 4 bytes, 0 left)");
	s.body = "000007DA 00";
	refuse("RC with a byte more", &s, "1 unexpected bytes");
}

static void test_rc_msg(void **state)
{
	spec s = { .version = STRAW_V25_11, .flags = 0x44, .msg_type = 8002, .body_length = -1,
		   .body = "0000084E 0000000F 636F6E6669676C657373206F666600" };
	straw_reply r;
	straw_error err;

	(void)state;
	WHERE("RESPONSE_SLURM_RC_MSG");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check_int(r.kind, STRAW_REPLY_RC);
	check_int(r.rc, 2126);
	check_str(r.rc_msg, "configless off");
	straw_reply_free(&r);
	check(r.rc_msg == NULL);

	s.body = "0000084E 00000000";
	WHERE("RESPONSE_SLURM_RC_MSG without text");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check_int(r.rc, 2126);
	check(r.rc_msg == NULL);
	straw_reply_free(&r);

	s.body = "0000084E";
	refuse("RESPONSE_SLURM_RC_MSG without its string", &s, "return code message truncated");
}

static void test_fixed_2011(void **state)
{
	static const char *const names[] = {
		"slurm.conf", "acct_gather.conf", "cgroup.conf",
		"cgroup_allowed_devices_file.conf", "ext_sensors.conf", "gres.conf",
		"knl_cray.conf", "knl_generic.conf", "plugstack.conf", "topology.conf",
		"job_container.conf",
	};
	spec s = { .version = STRAW_V20_11, .msg_type = 2016, .body_length = -1,
		   .auth = jwt_auth,
		   .body = "00000005 413D310A00"     /* slurm.conf "A=1\n" */
			   " 00000000 00000000 00000000 00000000 00000000 00000000 00000000"
			   " 00000001 00"            /* plugstack.conf "" */
			   " 00000000"
			   " 00000003 6A6300"        /* job_container.conf "jc" */
			   " 00000005 2F73706F00" }; /* spool dir "/spo" */
	straw_reply r;
	straw_error err;

	(void)state;
	WHERE("20.11 fixed fields");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check_int(r.kind, STRAW_REPLY_CONFIG);
	check_int(r.nfiles, 11);
	for (size_t i = 0; i < 11; i++) {
		bool present = i == 0 || i == 8 || i == 10;

		WHERE("20.11 fixed field %zu", i + 1);
		check_str(r.files[i].name, names[i]);
		check_int(r.files[i].exists, present);
		check_int(r.files[i].content_null, !present);
		check(!r.files[i].execute);
	}
	check_str(r.files[0].content, "A=1\n");
	check_int(r.files[0].content_len, 4);
	check_str(r.files[8].content, "");
	check_str(r.files[10].content, "jc");
	check_str(r.spooldir, "/spo");
	straw_reply_free(&r);

	s.body = "00000005 413D310A00 00000000 00000000 00000000 00000000 00000000"
		 " 00000000 00000000 00000000 00000000 00000000";
	refuse("20.11 without the spool dir", &s, "slurmd_spooldir truncated");
	s.body = "00000005 413D310A00 00000000";
	refuse("20.11 with two fields", &s, "RESPONSE_CONFIG field 3 (cgroup.conf) truncated");
}

static void test_versions_in_replies(void **state)
{
	spec s = { .version = 0x2E00, .flags = 0x44, .msg_type = 8001, .body_length = -1,
		   .body = "000003EF" };
	static const uint8_t short_frame[] = { 0, 0, 0, 100, 0x2E, 0x00 };
	straw_reply r;
	straw_error err;

	(void)state;
	/* A newer controller: the version must still reach the negotiation. */
	refuse("reply in 26.11", &s, "controller speaks protocol version 26.11");
	WHERE("reply in 26.11");
	parse_spec(&s, &r, &err);
	check_int(r.hdr.version, 0x2E00);
	s.version = 0x3100;
	refuse("reply in 28.05", &s, "28.05");
	s.version = 0x2300;
	refuse("reply in 20.02", &s, "20.02");
	s.version = 0x1234;
	refuse("reply in 0x1234", &s, "unknown protocol version 0x1234");

	WHERE("truncated reply in 26.11");
	check_failed(parse(short_frame, sizeof(short_frame), &r, &err), &r, &err);
	check_int(r.hdr.version, 0x2E00);

	/* Layout A for 21.08 replies, whatever was asked. */
	s.version = STRAW_V21_08;
	s.flags = 0;
	s.auth = jwt_auth;
	WHERE("RC in 21.08");
	check_int(parse_spec(&s, &r, &err), STRAW_OK);
	check_int(r.hdr.version, STRAW_V21_08);
	check_int(r.rc, 1007);
	straw_reply_free(&r);
}

static void test_small_and_http(void **state)
{
	static const uint8_t three[] = { 0, 0, 0 };
	static const uint8_t empty_frame[] = { 0, 0, 0, 0 };
	static const uint8_t tiny_frame[] = { 0, 0, 0, 4, 0x26, 0, 0, 0 };
	static const uint8_t huge[] = { 0x40, 0, 0, 1, 0x26, 0 };
	static const uint8_t http[] = "HTTP/1.1 400 Bad\tRequest \x01\xff\r\nX: y\r\n\r\n";
	char longline[200];
	straw_reply r;
	straw_error err;

	(void)state;
	WHERE("3 bytes");
	check_failed(parse(three, sizeof(three), &r, &err), &r, &err);
	WHERE("empty frame");
	check_failed(parse(empty_frame, sizeof(empty_frame), &r, &err), &r, &err);
	WHERE("frame shorter than a header");
	check_failed(parse(tiny_frame, sizeof(tiny_frame), &r, &err), &r, &err);
	check(strstr(err.msg, "shorter than the 16-byte header") != NULL);
	WHERE("1 GiB + 1");
	check_failed(parse(huge, sizeof(huge), &r, &err), &r, &err);
	check(strstr(err.msg, "1 GiB") != NULL);

	WHERE("HTTP with control bytes");
	check_int(parse(http, sizeof(http) - 1, &r, &err), STRAW_OK);
	check_int(r.kind, STRAW_REPLY_HTTP);
	check_str(r.http_status, "HTTP/1.1 400 Bad?Request ??");
	straw_reply_free(&r);

	WHERE("HTTP alone");
	check_int(parse((const uint8_t *)"HTTP", 4, &r, &err), STRAW_OK);
	check_str(r.http_status, "HTTP");

	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "HTTP/1.1 ", 9);
	WHERE("HTTP status line of 200 bytes");
	check_int(parse((const uint8_t *)longline, sizeof(longline), &r, &err), STRAW_OK);
	check_int(strlen(r.http_status), sizeof(r.http_status) - 1);
	check(strncmp(r.http_status, "HTTP/1.1 xxx", 12) == 0);
}

/* ---- 6. the munge payload hash ---------------------------------------------- */

static void test_payload_hash(void **state)
{
	static const uint8_t body4[4] = { 0 }, body1[4] = { 0, 0, 0, 1 }, body6[6] = { 0 };
	const union { uint16_t u; uint8_t b[2]; } probe = { .u = 1 };
	uint8_t out[33], want[33];
	size_t n;

	(void)state;
	WHERE("payload hash");
	for (int i = 0; i < 2; i++) {
		n = straw_payload_hash(i ? STRAW_V21_08 : STRAW_V20_11, STRAW_MSG_REQUEST_CONFIG,
				       body4, 4, out);
		check_int(n, 3);
		check_int(out[0], 1);
		if (probe.b[0] == 1) { /* little-endian host */
			check_int(out[1], 0xDF);
			check_int(out[2], 0x07);
		} else {
			check_int(out[1], 0x07);
			check_int(out[2], 0xDF);
		}
	}

	n = straw_payload_hash(STRAW_V22_05, STRAW_MSG_REQUEST_CONFIG, body4, 4, out);
	check_int(n, 33);
	unhex("02 cd8bdd62df681c56ad59c4eefd6188374799f35692d50c4a25c01d489f1a2505", want, 33);
	check(memcmp(out, want, 33) == 0);

	n = straw_payload_hash(STRAW_V24_11, STRAW_MSG_REQUEST_CONFIG, body1, 4, out);
	check_int(n, 33);
	unhex("02 fb94bf659aba27ad7b1c7c87340ded52162f6a553ecc681e4df89f3434273503", want, 33);
	check(memcmp(out, want, 33) == 0);

	n = straw_payload_hash(STRAW_V25_05, STRAW_MSG_REQUEST_CONFIG, body6, 6, out);
	check_int(n, 33);
	unhex("02 1a53795f79d2112114a47c778fc7cb276bf0d2ce62e1e748598f238ca3b68728", want, 33);
	check(memcmp(out, want, 33) == 0);
}

/* ---- 7. PROTOCOL.md section 16 ---------------------------------------------- */

static void check_worked(uint16_t version, const char *hex)
{
	straw_wbuf auth = { 0 }, w = { 0 };
	uint8_t body[6], want[128];
	size_t body_len, want_len = unhex(hex, want, sizeof(want));

	straw_wb_u32(&auth, STRAW_AUTH_ID_JWT);
	straw_wb_str(&auth, "abc.def.ghi");
	straw_wb_u32(&auth, 0);
	body_len = straw_config_request_body(version, 0, body);
	straw_pack_request(&w, version, STRAW_MSG_REQUEST_CONFIG, auth.p, auth.len, body, body_len);
	check(!w.failed);
	check_int(w.len, want_len);
	check(memcmp(w.p, want, want_len) == 0);
	straw_wb_free(&auth);
	straw_wb_free(&w);
}

static void test_worked_examples(void **state)
{
	(void)state;
	WHERE("PROTOCOL.md 16, 21.08");
	check_worked(STRAW_V21_08,
		     "0000002e 250000000000 07df 00000004 0000 0000 0000"
		     " 00000066 0000000c 6162632e6465662e67686900 00000000 00000000");
	WHERE("PROTOCOL.md 16, 22.05");
	check_worked(STRAW_V22_05,
		     "0000002c 2600 0000 07df 00000004 0000 0000 0000"
		     " 00000066 0000000c 6162632e6465662e67686900 00000000 00000000");
	WHERE("PROTOCOL.md 16, 25.05");
	check_worked(STRAW_V25_05,
		     "0000002e 2b00 0000 07df 00000006 0000 0000 0000"
		     " 00000066 0000000c 6162632e6465662e67686900 00000000 000000000000");
}

static void test_request_layout(void **state)
{
	size_t nv;
	const uint16_t *v = straw_protocol_versions(&nv);
	uint8_t body[6];
	straw_wbuf w = { 0 };

	(void)state;
	for (size_t i = 0; i < nv; i++) {
		size_t blen, hlen = v[i] < STRAW_V22_05 ? 18 : 16;

		WHERE("request at %s", straw_protocol_name(v[i]));
		memset(body, 0xAA, sizeof(body));
		blen = straw_config_request_body(v[i], 0x01020304, body);
		check_int(blen, v[i] >= STRAW_V25_05 ? 6 : 4);
		check_int(get32(body), 0x01020304);
		if (blen == 6)
			check(body[4] == 0 && body[5] == 0);
		straw_pack_request(&w, v[i], STRAW_MSG_REQUEST_CONFIG, (const uint8_t *)"AUTH", 4,
				   body, blen);
		check(!w.failed);
		check_int(w.len, 4 + hlen + 4 + blen);
		check_int(get32(w.p), hlen + 4 + blen);
		check_int(get32(w.p + body_length_offset(v[i])), blen);
		check(memcmp(w.p + 4 + hlen, "AUTH", 4) == 0);
		straw_wb_free(&w);
	}
	WHERE("request too big");
	straw_pack_request(&w, STRAW_V22_05, STRAW_MSG_REQUEST_CONFIG, NULL, 0, body,
			   (size_t)STRAW_MAX_MSG_SIZE);
	check(w.failed);
	straw_wb_free(&w);
}

/* ---- 8. version names ------------------------------------------------------- */

static void test_protocol_names(void **state)
{
	static const char *const junk[] = {
		"22", "22.5", "99.99", "", "22.05x", " 22.05", "22.05 ", "2205", "0x2600", "22,05",
	};
	size_t n = 0;
	const uint16_t *v = straw_protocol_versions(&n);

	(void)state;
	WHERE("protocol names");
	check_int(n, 10);
	check_int(v[0], STRAW_V26_05);
	check_int(v[n - 1], STRAW_V20_11);
	for (size_t i = 0; i < n; i++) {
		const char *name = straw_protocol_name(v[i]);

		check(name != NULL);
		check_int(straw_protocol_parse(name), v[i]);
		check(straw_protocol_known(v[i]));
		if (i)
			check(v[i] < v[i - 1]);
	}
	check_int(straw_protocol_parse("22.05"), 0x2600);
	check_int(straw_protocol_parse("20.11"), 0x2400);
	check_int(straw_protocol_parse("26.05"), 0x2D00);
	check_str(straw_protocol_name(0x2B00), "25.05");
	for (size_t i = 0; i < NELEM(junk); i++) {
		WHERE("protocol name \"%s\"", junk[i]);
		check_int(straw_protocol_parse(junk[i]), 0);
	}
	check_int(straw_protocol_parse(NULL), 0);
	check(straw_protocol_name(0x2E00) == NULL);
	check(straw_protocol_name(0x2300) == NULL);
	check(straw_protocol_name(0) == NULL);
	check(!straw_protocol_known(0x2601));
}

static void test_rc_texts(void **state)
{
	static const uint32_t codes[] = {
		0, 1005, 1007, 1804, 1805, 2002, 2010, 2027, 2131, 2126, 5003, 6000, 13000, 22,
	};

	(void)state;
	for (size_t i = 0; i < NELEM(codes); i++) {
		const char *name = straw_rc_name(codes[i]), *text = straw_rc_text(codes[i]);

		WHERE("rc %u", codes[i]);
		check(name != NULL && text != NULL);
		check(name[0] != '\0' && text[0] != '\0');
		check(strchr(text, '\n') == NULL);
	}
	WHERE("rc names");
	check_str(straw_rc_name(2126), "ESLURM_CONFIGLESS_DISABLED");
	check(strstr(straw_rc_text(2126), "enable_configless") != NULL);
	check_str(straw_rc_name(1007), "SLURM_PROTOCOL_AUTHENTICATION_ERROR");
	check_str(straw_rc_name(2010), "ESLURM_USER_ID_MISSING");
	check_str(straw_rc_name(22), "EINVAL");
	check(straw_rc_name(4242) == NULL);
	check(straw_rc_text(4242) == NULL);
}

static void test_free_null(void **state)
{
	straw_reply r;

	(void)state;
	memset(&r, 0, sizeof(r));
	straw_reply_free(&r);
	straw_reply_free(NULL);
	straw_files_free(NULL, 3);
	assert_null(r.files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_responses),
		cmocka_unit_test(test_vectors_requests),
		cmocka_unit_test(test_vectors_error_requests),
		cmocka_unit_test(test_vectors_mangled),
		cmocka_unit_test(test_vectors_errors),
		cmocka_unit_test(test_list_null),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_header_cases),
		cmocka_unit_test(test_rc_msg),
		cmocka_unit_test(test_fixed_2011),
		cmocka_unit_test(test_versions_in_replies),
		cmocka_unit_test(test_small_and_http),
		cmocka_unit_test(test_payload_hash),
		cmocka_unit_test(test_worked_examples),
		cmocka_unit_test(test_request_layout),
		cmocka_unit_test(test_protocol_names),
		cmocka_unit_test(test_rc_texts),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
