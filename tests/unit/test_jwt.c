/*
 * test_jwt.c - unit tests for the auth/jwt plugin: the claim reader, HS256
 * minting (checked against libjwt and a known answer), the auth section
 * bytes (PROTOCOL.md section 16 and the captured vectors), and the token
 * sources (SLURM_JWT, a file re-read on every credential).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, asprintf, stpcpy */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jwt.h>

#include "../../plugin/jwt/claims.c"
#include "../../plugin/jwt/auth_jwt.c"

static const uint8_t test_key[] = "straw-unit-test-key-32-bytes-abc";
#define TEST_KEYLEN 32

/* ---- helpers ------------------------------------------------------------- */

static time_t fake_now;

static time_t fake_time(time_t *t)
{
	if (t)
		*t = fake_now;
	return fake_now;
}

static char *b64(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(_b64url_enclen(n) + 1);

	assert_non_null(out);
	_b64url_encode((const uint8_t *)s, n, out);
	return out;
}

/* header.payload.sig from JSON texts; sig is taken as it is. */
static char *make_token(const char *header, const char *payload, const char *sig)
{
	char *h = b64(header), *p = b64(payload), *t;

	assert_true(asprintf(&t, "%s.%s.%s", h, p, sig) > 0);
	free(h);
	free(p);
	return t;
}

static char *token_for(const char *payload)
{
	return make_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload,
			  "c2lnbmF0dXJlLW5vdC1jaGVja2Vk");
}

/*
 * Parse tok from an exact-size copy (no NUL after it, so a read past len
 * is an ASan error) and return the code; msg receives the message.
 */
static int parse(const char *tok, struct straw_jwt_claims *c, char *msg, size_t msglen)
{
	size_t n = strlen(tok);
	char *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, tok, n);
	msg[0] = '\0';
	rc = straw_jwt_claims(copy, n, c, msg, msglen);
	free(copy);
	return rc;
}

/* No stretch of 8 or more characters of the token may appear in msg. */
static void assert_no_token(const char *msg, const char *tok)
{
	size_t n = strlen(tok);

	for (size_t i = 0; i + 8 <= n; i++) {
		char piece[9];

		memcpy(piece, tok + i, 8);
		piece[8] = '\0';
		if (strchr(piece, '.'))
			continue;
		if (strstr(msg, piece)) {
			fail_msg("message \"%s\" quotes the token", msg);
		}
	}
}

static void expect_bad(const char *tok, const char *what)
{
	struct straw_jwt_claims c;
	char msg[256];
	int rc = parse(tok, &c, msg, sizeof(msg));

	assert_int_equal(rc, STRAW_ERR_AUTH);
	if (!strstr(msg, what))
		fail_msg("message \"%s\" does not say \"%s\"", msg, what);
	assert_no_token(msg, tok);
	/* Nothing half-read is left behind. */
	assert_int_equal(c.exp, 0);
	assert_string_equal(c.user, "");
}

static void expect_bad_payload(const char *payload, const char *what)
{
	char *tok = token_for(payload);

	expect_bad(tok, what);
	free(tok);
}

static void expect_good_payload(const char *payload, struct straw_jwt_claims *c)
{
	char *tok = token_for(payload);
	char msg[256];
	int rc = parse(tok, c, msg, sizeof(msg));

	if (rc != STRAW_OK)
		fail_msg("payload %s refused: %s", payload, msg);
	free(tok);
}

static char *tmpdir;

static char *write_file(const char *name, const char *text)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void *plugin_open(const char *jwt_file)
{
	straw_auth_config cfg = { .jwt_file = jwt_file };
	void *st = NULL;
	char err[256];

	assert_int_equal(straw_auth_ops.init(&st, &cfg, err, sizeof(err)), STRAW_OK);
	assert_non_null(st);
	return st;
}

/* The token a section carries, checked for the 102 / packstr / NULL shape. */
static char *section_token(const straw_auth_section *s)
{
	uint32_t n;
	char *t;

	assert_true(s->len >= 13);
	assert_memory_equal(s->data, "\x00\x00\x00\x66", 4);
	n = (uint32_t)s->data[4] << 24 | (uint32_t)s->data[5] << 16 |
	    (uint32_t)s->data[6] << 8 | s->data[7];
	assert_int_equal(s->len, 4 + 4 + n + 4);
	assert_int_equal(s->data[8 + n - 1], 0);
	assert_memory_equal(s->data + 8 + n, "\x00\x00\x00\x00", 4);
	t = strdup((const char *)s->data + 8);
	assert_non_null(t);
	return t;
}

static void section_free(straw_auth_section *s)
{
	straw_jwt_wipe(s->data, s->len);
	free(s->data);
	s->data = NULL;
	s->len = 0;
}

static char *mint(const char *user, long lifetime, time_t now)
{
	char *tok, err[256];

	if (straw_jwt_mint(test_key, TEST_KEYLEN, user, lifetime, now, &tok, err, sizeof(err)))
		fail_msg("mint failed: %s", err);
	return tok;
}

static int setup(void **state)
{
	(void)state;
	unsetenv("SLURM_JWT");
	fake_now = 1799999000;
	_jwt_time = fake_time;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("SLURM_JWT");
	_jwt_time = time;
	return 0;
}

/* ---- the claim reader ------------------------------------------------------ */

static void test_claims_good(void **state)
{
	struct straw_jwt_claims c;

	(void)state;
	expect_good_payload("{\"exp\":1800000000,\"iat\":1799998200,\"sun\":\"alice\"}", &c);
	assert_int_equal(c.exp, 1800000000);
	assert_true(c.has_iat);
	assert_int_equal(c.iat, 1799998200);
	assert_string_equal(c.user, "alice");
}

static void test_claims_username(void **state)
{
	struct straw_jwt_claims c;

	(void)state;
	expect_good_payload("{\"username\":\"bob\",\"exp\":1800000000}", &c);
	assert_int_equal(c.exp, 1800000000);
	assert_false(c.has_iat);
	assert_string_equal(c.user, "bob");

	/* sun wins, in either order. */
	expect_good_payload("{\"username\":\"bob\",\"exp\":1800000000,\"sun\":\"alice\"}", &c);
	assert_string_equal(c.user, "alice");
	expect_good_payload("{\"sun\":\"alice\",\"exp\":1800000000,\"username\":\"bob\"}", &c);
	assert_string_equal(c.user, "alice");

	/* Neither: allowed (userclaimfield= sites), user unknown. */
	expect_good_payload("{\"exp\":1800000000,\"email\":\"a@b\"}", &c);
	assert_string_equal(c.user, "");
	assert_int_equal(c.exp, 1800000000);
}

static void test_claims_exp(void **state)
{
	struct straw_jwt_claims c;

	(void)state;
	expect_bad_payload("{\"iat\":1799998200,\"sun\":\"alice\"}", "token has no exp claim");
	expect_bad_payload("{}", "token has no exp claim");
	expect_bad_payload("{\"exp\":\"1800000000\",\"sun\":\"alice\"}", "exp claim is not a number");
	expect_bad_payload("{\"exp\":null}", "exp claim is not a number");
	expect_bad_payload("{\"exp\":[1800000000]}", "exp claim is not a number");
	expect_bad_payload("{\"exp\":1.8e9}", "exp claim is not an integer");
	expect_bad_payload("{\"exp\":1800000000.0}", "exp claim is not an integer");
	expect_bad_payload("{\"exp\":18E8}", "exp claim is not an integer");
	expect_bad_payload("{\"exp\":99999999999999999999}", "exp claim is out of range");
	expect_bad_payload("{\"exp\":-9223372036854775809}", "exp claim is out of range");
	expect_bad_payload("{\"exp\":01800000000}", "leading zero");
	expect_bad_payload("{\"exp\":-}", "bad number");
	expect_bad_payload("{\"exp\":1.}", "bad number");
	expect_bad_payload("{\"exp\":1e+}", "bad number");
	expect_bad_payload("{\"exp\":1800000000,\"exp\":1900000000}", "two exp claims");
	expect_bad_payload("{\"exp\":1800000000,\"sun\":\"a\",\"sun\":\"b\"}", "two sun claims");

	/* The int64 edges are integers. */
	expect_good_payload("{\"exp\":9223372036854775807}", &c);
	assert_true(c.exp == INT64_MAX);
	expect_good_payload("{\"exp\":-9223372036854775808}", &c);
	assert_true(c.exp == INT64_MIN);
	expect_good_payload("{\"exp\":0}", &c);
	assert_int_equal(c.exp, 0);

	/* iat is not checked by slurmctld: a non-integer one is ignored. */
	expect_good_payload("{\"exp\":1800000000,\"iat\":1.5}", &c);
	assert_false(c.has_iat);
	expect_good_payload("{\"exp\":1800000000,\"iat\":\"yesterday\"}", &c);
	assert_false(c.has_iat);
	assert_int_equal(c.exp, 1800000000);
	/* ... but it must still be JSON. */
	expect_bad_payload("{\"exp\":1800000000,\"iat\":1.}", "bad number");
}

static void test_claims_parts(void **state)
{
	char *good = token_for("{\"exp\":1800000000,\"sun\":\"alice\"}");
	char *t;

	(void)state;
	expect_bad("eyJhbGciOiJIUzI1NiJ9", "token is not a JWT: expected 3 dot-separated parts, found 1");
	expect_bad("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9",
		   "token is not a JWT: expected 3 dot-separated parts, found 2");
	assert_true(asprintf(&t, "%s.c2ln", good) > 0);
	expect_bad(t, "token is not a JWT: expected 3 dot-separated parts, found 4");
	free(t);
	expect_bad("....", "found 5");
	expect_bad("..c2ln", "token header is empty");
	expect_bad("eyJhbGciOiJIUzI1NiJ9..c2ln", "token payload is empty");
	/* An unsigned token (alg none) would only be refused by the controller. */
	t = strdup(good);
	*strrchr(t, '.') = '\0';
	strcat(t, ".");
	expect_bad(t, "token is not signed");
	free(t);
	free(good);

	{
		struct straw_jwt_claims c;
		char msg[128];

		assert_int_equal(straw_jwt_claims("", 0, &c, msg, sizeof(msg)), STRAW_ERR_AUTH);
		assert_string_equal(msg, "token is empty");
		assert_int_equal(straw_jwt_claims(NULL, 5, &c, msg, sizeof(msg)), STRAW_ERR_AUTH);
	}
}

static void test_claims_base64(void **state)
{
	char *p = b64("{\"exp\":1800000000}");
	char *t;

	(void)state;
	/* Standard base64's '+' and '/' and padding are not base64url. */
	assert_true(asprintf(&t, "eyJhbGciOiJIUzI1NiJ9.%s+.c2ln", p) > 0);
	expect_bad(t, "token payload is not base64url: bad character at offset");
	free(t);
	assert_true(asprintf(&t, "eyJhbGciOiJIUzI1NiJ9=.%s.c2ln", p) > 0);
	expect_bad(t, "token header is not base64url: bad character at offset 20");
	free(t);
	assert_true(asprintf(&t, "eyJhbGciOiJIUzI1NiJ9.%s.c2/n", p) > 0);
	expect_bad(t, "token signature is not base64url");
	free(t);
	/* A length of 4k+1 characters cannot come from any bytes. */
	assert_true(asprintf(&t, "eyJhbGciOiJIUzI1NiJ9x.%s.c2ln", p) > 0);
	expect_bad(t, "token header is not base64url: 21 characters is not a possible length");
	free(t);
	/* A NUL byte within len. */
	{
		char buf[] = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln";
		struct straw_jwt_claims c;
		char msg[128];

		buf[3] = '\0';
		assert_int_equal(straw_jwt_claims(buf, sizeof(buf) - 1, &c, msg, sizeof(msg)),
				 STRAW_ERR_AUTH);
		assert_non_null(strstr(msg, "bad character at offset 3"));
	}
	free(p);
}

static void test_claims_not_json(void **state)
{
	char *t;

	(void)state;
	expect_bad_payload("hello", "token payload is not a JSON object");
	expect_bad_payload("[1,2]", "token payload is not a JSON object");
	expect_bad_payload("\"exp\"", "token payload is not a JSON object");
	expect_bad_payload("", "token payload is empty");
	expect_bad_payload("{\"exp\":1800000000", "',' or '}' expected");
	expect_bad_payload("{\"exp\":1800000000,}", "member name expected");
	expect_bad_payload("{\"exp\" 1800000000}", "':' expected");
	expect_bad_payload("{\"exp\":1800000000} x", "trailing data after the object");
	expect_bad_payload("{\"exp\":1800000000}{}", "trailing data after the object");
	expect_bad_payload("{\"exp\":1800000000,\"a\":tru}", "unexpected character");
	expect_bad_payload("{\"exp\":1800000000,\"a\":[1,2}", "',' or ']' expected");
	expect_bad_payload("{\"exp\":1800000000,\"a\":\"open", "unterminated string");
	expect_bad_payload("{\"exp\":1800000000,\"a\":\"tab\there\"}", "control character in a string");
	expect_bad_payload("{\"exp\":1800000000,\"a\":\"\\x\"}", "unknown escape");
	expect_bad_payload("{\"exp\":1800000000,\"a\":\"\\u12\"}", "bad \\u escape");
	expect_bad_payload("{\"exp\":1800000000,\"a\":\"\xc3\"}", "invalid UTF-8");
	expect_bad_payload("{\"exp\":1800000000,\"a\":\"\xc0\xaf\"}", "invalid UTF-8");
	expect_bad_payload("{\"exp\":1800000000,\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8");
	expect_bad_payload("{\"exp\":1800000000,\"a\":\"\\ud800\"}", "lone high surrogate");
	expect_bad_payload("{\"exp\":1800000000,\"a\":\"\\udc00\"}", "lone low surrogate");
	expect_bad_payload("{\"exp\":1800000000,\"a\":\"\\u0000\"}", "\\u0000 in a string");

	/* The header must be a JSON object too. */
	t = make_token("not json", "{\"exp\":1800000000}", "c2ln");
	expect_bad(t, "token header is not a JSON object");
	free(t);
	t = make_token("{\"alg\":\"HS256\"", "{\"exp\":1800000000}", "c2ln");
	expect_bad(t, "token header is not valid JSON");
	free(t);
	t = make_token("{\"alg\":\"HS256\"}]", "{\"exp\":1800000000}", "c2ln");
	expect_bad(t, "token header is not valid JSON: trailing data");
	free(t);
}

static char *nested(const char *before, int depth, const char *after)
{
	size_t n = strlen(before) + 2 * (size_t)depth + strlen(after) + 1;
	char *s = malloc(n), *p;

	assert_non_null(s);
	p = stpcpy(s, before);
	memset(p, '[', (size_t)depth);
	p += depth;
	memset(p, ']', (size_t)depth);
	p += depth;
	strcpy(p, after);
	return s;
}

static void test_claims_nesting(void **state)
{
	struct straw_jwt_claims c;
	char *s, *t;

	(void)state;
	/* The payload object is level 1, so 31 arrays inside reach level 32. */
	s = nested("{\"x\":", 31, ",\"exp\":1800000000}");
	expect_good_payload(s, &c);
	assert_int_equal(c.exp, 1800000000);
	free(s);
	s = nested("{\"x\":", 32, ",\"exp\":1800000000}");
	expect_bad_payload(s, "token payload is nested deeper than 32 levels");
	free(s);
	/* Far deeper than any stack would survive without the limit. */
	s = nested("{\"x\":", 20000, ",\"exp\":1800000000}");
	expect_bad_payload(s, "nested deeper than 32 levels");
	free(s);
	s = nested("{\"alg\":", 20000, "}");
	t = make_token(s, "{\"exp\":1800000000}", "c2ln");
	expect_bad(t, "token header is nested deeper than 32 levels");
	free(t);
	free(s);
	/* Unclosed nesting ends in a clean error. */
	s = nested("{\"x\":", 10, "");
	s[strlen(s) - 10] = '\0';
	expect_bad_payload(s, "value expected");
	free(s);
}

static void test_claims_skips_other_claims(void **state)
{
	struct straw_jwt_claims c;

	(void)state;
	expect_good_payload("{\"a\":{\"exp\":1,\"sun\":\"mallory\"},"
			    "\"b\":[1,-2.5e-3,{\"username\":\"x\"},[],{},true,false,null,\"s\"],"
			    "\"exp\":1800000000,\"sun\":\"alice\",\"n\":0.0,\"z\":{\"y\":[{}]}}",
			    &c);
	assert_int_equal(c.exp, 1800000000);
	assert_string_equal(c.user, "alice");
	/* A long member name is no claim of ours. */
	expect_good_payload("{\"expexpexpexpexpexpexp\":\"1\",\"exp\":1800000000}", &c);
	assert_int_equal(c.exp, 1800000000);
}

static void test_claims_whitespace(void **state)
{
	struct straw_jwt_claims c;
	char *t;

	(void)state;
	expect_good_payload(" \t\r\n{ \"exp\" :\n1800000000 ,\t\"sun\" : \"alice\" , \"a\" : [ 1 , { } ] }\n ",
			    &c);
	assert_int_equal(c.exp, 1800000000);
	assert_string_equal(c.user, "alice");
	t = make_token(" { \"alg\" : \"HS256\" , \"typ\" : \"JWT\" } ", "{\"exp\":1800000000}", "c2ln");
	assert_int_equal(parse(t, &c, (char[64]){ 0 }, 64), STRAW_OK);
	free(t);
}

static void test_claims_escapes(void **state)
{
	struct straw_jwt_claims c;
	char name[200];

	(void)state;
	expect_good_payload("{\"exp\":1800000000,\"sun\":\"al\\\"i\\\\ce\\/x\"}", &c);
	assert_string_equal(c.user, "al\"i\\ce/x");
	expect_good_payload("{\"exp\":1800000000,\"sun\":\"Ren\\u00e9e\"}", &c);
	assert_string_equal(c.user, "Ren\xc3\xa9" "e");
	expect_good_payload("{\"exp\":1800000000,\"sun\":\"\\u20AC\\ud83d\\ude00\"}", &c);
	assert_string_equal(c.user, "\xe2\x82\xac\xf0\x9f\x98\x80");
	expect_good_payload("{\"exp\":1800000000,\"sun\":\"Ren\xc3\xa9" "e\"}", &c);
	assert_string_equal(c.user, "Ren\xc3\xa9" "e");
	/* Member names are compared after decoding. */
	expect_good_payload("{\"\\u0065xp\":1800000000,\"s\\u0075n\":\"alice\"}", &c);
	assert_int_equal(c.exp, 1800000000);
	assert_string_equal(c.user, "alice");
	/* A user name is one printable line, bounded. */
	expect_bad_payload("{\"exp\":1800000000,\"sun\":\"ali\\nce\"}",
			   "sun claim contains a control character");
	expect_bad_payload("{\"exp\":1800000000,\"sun\":1001}", "sun claim is not a string");
	expect_bad_payload("{\"exp\":1800000000,\"username\":null}", "username claim is not a string");
	memset(name, 'a', 128);
	snprintf(name + 128, sizeof(name) - 128, "\"}");
	{
		char p[300];

		snprintf(p, sizeof(p), "{\"exp\":1800000000,\"sun\":\"%s", name);
		expect_bad_payload(p, "sun claim is longer than 127 bytes");
		/* 127 bytes fit. */
		snprintf(p, sizeof(p), "{\"exp\":1800000000,\"sun\":\"%s", name + 1);
		expect_good_payload(p, &c);
		assert_int_equal(strlen(c.user), 127);
	}
}

/* Bytes after len are never looked at, and the token need not end in NUL. */
static void test_claims_len_bound(void **state)
{
	char *t = token_for("{\"exp\":1800000000,\"sun\":\"alice\"}");
	size_t n = strlen(t);
	char *buf = malloc(n + 8);
	struct straw_jwt_claims c;
	char msg[128];

	(void)state;
	assert_non_null(buf);
	memcpy(buf, t, n);
	memcpy(buf + n, ".x.y.z!!", 8);
	assert_int_equal(straw_jwt_claims(buf, n, &c, msg, sizeof(msg)), STRAW_OK);
	assert_string_equal(c.user, "alice");
	/* Cut one byte short: the signature loses its last character, still fine. */
	assert_int_equal(straw_jwt_claims(buf, n - 1, &c, msg, sizeof(msg)), STRAW_OK);
	/* Every prefix is handled without reading beyond it. */
	for (size_t i = 0; i <= n; i++) {
		char *p = malloc(i ? i : 1);

		assert_non_null(p);
		memcpy(p, t, i);
		(void)straw_jwt_claims(p, i, &c, msg, sizeof(msg));
		free(p);
	}
	/* A tiny or absent message buffer is fine too. */
	assert_int_equal(straw_jwt_claims("a", 1, &c, msg, 1), STRAW_ERR_AUTH);
	assert_string_equal(msg, "");
	assert_int_equal(straw_jwt_claims("a", 1, &c, NULL, 0), STRAW_ERR_AUTH);
	free(buf);
	free(t);
}

static void test_claims_too_long(void **state)
{
	char *big = malloc(STRAW_JWT_MAX_TOKEN + 2);
	struct straw_jwt_claims c;
	char msg[128];

	(void)state;
	assert_non_null(big);
	memset(big, 'A', STRAW_JWT_MAX_TOKEN + 1);
	big[10] = '.';
	big[20] = '.';
	assert_int_equal(straw_jwt_claims(big, STRAW_JWT_MAX_TOKEN + 1, &c, msg, sizeof(msg)),
			 STRAW_ERR_AUTH);
	assert_string_equal(msg, "token is longer than 65536 bytes");
	free(big);
}

/* Tokens made by real slurmctld releases (scontrol token), from the vectors. */
static void test_claims_captured(void **state)
{
	static const char *dirs[] = { "20.11", "22.05", "23.02", "23.11", "24.11", "26.05" };
	const char *root = getenv("STRAW_VECTORS");
	int found = 0;

	(void)state;
	if (!root || access(root, R_OK) != 0)
		root = access("vectors", R_OK) == 0 ? "vectors" : "tests/vectors";
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char path[512], buf[4096];
		struct straw_jwt_claims c;
		char msg[256];
		size_t n;
		FILE *f;
		char *tok;
		uint32_t slen;

		snprintf(path, sizeof(path), "%s/%s/request-config-jwt.bin", root, dirs[d]);
		f = fopen(path, "rb");
		if (!f)
			fail_msg("cannot open %s (set STRAW_VECTORS)", path);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		tok = memmem(buf, n, "eyJ", 3);
		assert_non_null(tok);
		assert_true(tok - buf >= 8);
		slen = (uint32_t)(uint8_t)tok[-4] << 24 | (uint32_t)(uint8_t)tok[-3] << 16 |
		       (uint32_t)(uint8_t)tok[-2] << 8 | (uint8_t)tok[-1];
		assert_memory_equal(tok - 8, "\x00\x00\x00\x66", 4);
		assert_true(slen > 1 && (size_t)(tok - buf) + slen <= n);
		if (straw_jwt_claims(tok, slen - 1, &c, msg, sizeof(msg)))
			fail_msg("%s: %s", dirs[d], msg);
		assert_string_equal(c.user, "alice");
		assert_true(c.has_iat);
		assert_true(c.exp > c.iat);
		assert_true(c.iat > 1600000000);
		found++;
	}
	assert_int_equal(found, 6);
}

/* ---- minting ------------------------------------------------------------------ */

static void test_mint_known_answer(void **state)
{
	char *tok = mint("alice", 1800, 1799998200);

	(void)state;
	/* Computed independently (Python hmac/base64) for this key and these claims. */
	assert_string_equal(tok,
			    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
			    "eyJleHAiOjE4MDAwMDAwMDAsImlhdCI6MTc5OTk5ODIwMCwic3VuIjoiYWxpY2UifQ."
			    "v_k58QksqI9WkdhRv9BS00UW7CZlgEof15D9fU-YwGg");
	free(tok);
}

static void test_mint_round_trip(void **state)
{
	static const char *users[] = { "alice", "a\"b\\c", "Ren\xc3\xa9" "e", "x/y", "root" };
	struct straw_jwt_claims c;
	char msg[256];

	(void)state;
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		char *tok = mint(users[i], 3600, 1799990000);

		if (straw_jwt_claims(tok, strlen(tok), &c, msg, sizeof(msg)))
			fail_msg("minted token refused: %s", msg);
		assert_int_equal(c.exp, 1799993600);
		assert_true(c.has_iat);
		assert_int_equal(c.iat, 1799990000);
		assert_string_equal(c.user, users[i]);
		straw_jwt_wipe(tok, strlen(tok));
		free(tok);
	}
}

static void test_mint_libjwt(void **state)
{
	static const uint8_t other_key[] = "straw-unit-test-key-32-bytes-abd";
	char *tok = mint("a\"lice", 1800, 1799998200);
	jwt_t *j = NULL;

	(void)state;
	assert_int_equal(jwt_decode(&j, tok, test_key, TEST_KEYLEN), 0);
	assert_non_null(j);
	assert_int_equal(jwt_get_alg(j), JWT_ALG_HS256);
	assert_string_equal(jwt_get_grant(j, "sun"), "a\"lice");
	assert_int_equal(jwt_get_grant_int(j, "exp"), 1800000000);
	assert_int_equal(jwt_get_grant_int(j, "iat"), 1799998200);
	assert_string_equal(jwt_get_header(j, "typ"), "JWT");
	jwt_free(j);
	/* The signature is really checked: another key fails. */
	j = NULL;
	assert_int_not_equal(jwt_decode(&j, tok, other_key, TEST_KEYLEN), 0);
	jwt_free(j);
	free(tok);
}

static void test_mint_errors(void **state)
{
	char *tok = (char *)1, err[256], name[200];

	(void)state;
	assert_int_equal(straw_jwt_mint(test_key, 0, "alice", 60, 1799990000, &tok, err, sizeof(err)),
			 STRAW_ERR_USAGE);
	assert_null(tok);
	assert_string_equal(err, "the JWT key is empty");
	assert_int_equal(straw_jwt_mint(NULL, 32, "alice", 60, 1799990000, &tok, err, sizeof(err)),
			 STRAW_ERR_USAGE);
	assert_int_equal(straw_jwt_mint(test_key, 32, "", 60, 1799990000, &tok, err, sizeof(err)),
			 STRAW_ERR_USAGE);
	assert_int_equal(straw_jwt_mint(test_key, 32, NULL, 60, 1799990000, &tok, err, sizeof(err)),
			 STRAW_ERR_USAGE);
	assert_int_equal(straw_jwt_mint(test_key, 32, "alice", 0, 1799990000, &tok, err, sizeof(err)),
			 STRAW_ERR_USAGE);
	assert_non_null(strstr(err, "lifetime"));
	assert_int_equal(straw_jwt_mint(test_key, 32, "alice", -5, 1799990000, &tok, err, sizeof(err)),
			 STRAW_ERR_USAGE);
	assert_int_equal(straw_jwt_mint(test_key, 32, "alice", LONG_MAX, (time_t)INT64_MAX - 10, &tok,
					err, sizeof(err)),
			 STRAW_ERR_USAGE);
	assert_int_equal(straw_jwt_mint(test_key, 32, "al\nice", 60, 1799990000, &tok, err, sizeof(err)),
			 STRAW_ERR_USAGE);
	assert_int_equal(straw_jwt_mint(test_key, 32, "al\xffice", 60, 1799990000, &tok, err,
					sizeof(err)),
			 STRAW_ERR_USAGE);
	memset(name, 'a', 128);
	name[128] = '\0';
	assert_int_equal(straw_jwt_mint(test_key, 32, name, 60, 1799990000, &tok, err, sizeof(err)),
			 STRAW_ERR_USAGE);
	assert_null(tok);
	name[127] = '\0';
	assert_int_equal(straw_jwt_mint(test_key, 32, name, 60, 1799990000, &tok, err, sizeof(err)),
			 STRAW_OK);
	assert_non_null(tok);
	free(tok);
}

/* ---- the auth section ----------------------------------------------------------- */

static void test_section_bytes(void **state)
{
	/* PROTOCOL.md section 16, the auth part of the request for "abc.def.ghi". */
	static const uint8_t expect[] = {
		0x00, 0x00, 0x00, 0x66, 0x00, 0x00, 0x00, 0x0c,
		0x61, 0x62, 0x63, 0x2e, 0x64, 0x65, 0x66, 0x2e, 0x67, 0x68, 0x69, 0x00,
		0x00, 0x00, 0x00, 0x00,
	};
	straw_auth_section s;
	char err[128];

	(void)state;
	assert_int_equal(_jwt_pack_section("abc.def.ghi", 11, &s, err, sizeof(err)), STRAW_OK);
	assert_int_equal(s.len, sizeof(expect));
	assert_memory_equal(s.data, expect, sizeof(expect));
	section_free(&s);
}

/* create() with a real captured token gives the captured auth section. */
static void test_section_captured(void **state)
{
	const char *root = getenv("STRAW_VECTORS");
	char path[512], tok[1024];
	uint8_t buf[4096];
	straw_auth_section s;
	struct straw_jwt_claims c;
	char err[256];
	size_t n;
	uint32_t slen;
	FILE *f;
	void *st;

	(void)state;
	if (!root || access(root, R_OK) != 0)
		root = access("vectors", R_OK) == 0 ? "vectors" : "tests/vectors";
	snprintf(path, sizeof(path), "%s/22.05/request-config-jwt.bin", root);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (set STRAW_VECTORS)", path);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* 22.05: u32 length, 16-byte header, then the auth section, then 4 bytes of body. */
	assert_true(n > 20 + 12 + 4);
	slen = (uint32_t)buf[24] << 24 | (uint32_t)buf[25] << 16 | (uint32_t)buf[26] << 8 | buf[27];
	assert_int_equal(20 + 8 + slen + 4 + 4, n);
	assert_true(slen < sizeof(tok));
	memcpy(tok, buf + 28, slen);
	assert_int_equal(straw_jwt_claims(tok, slen - 1, &c, err, sizeof(err)), STRAW_OK);

	setenv("SLURM_JWT", tok, 1);
	fake_now = (time_t)c.iat;
	st = plugin_open(NULL);
	assert_int_equal(straw_auth_ops.create(st, &(straw_auth_request){ .msg_type = 2015 }, &s, err,
					 sizeof(err)),
			 STRAW_OK);
	assert_int_equal(s.len, n - 20 - 4);
	assert_memory_equal(s.data, buf + 20, s.len);
	section_free(&s);
	straw_auth_ops.fini(st);
}

/* ---- the plugin ------------------------------------------------------------------ */

static void test_plugin_symbols(void **state)
{
	(void)state;
	assert_string_equal(plugin_name, "straw auth/jwt");
	assert_string_equal(plugin_type, "auth/jwt");
	assert_int_equal(plugin_version, STRAW_PLUGIN_VERSION);
	assert_non_null(straw_auth_ops.init);
	assert_non_null(straw_auth_ops.fini);
	assert_non_null(straw_auth_ops.available);
	assert_non_null(straw_auth_ops.info);
	assert_non_null(straw_auth_ops.create);
}

static void test_no_token(void **state)
{
	straw_auth_section s = { (uint8_t *)1, 1 };
	straw_auth_info info;
	char err[256];
	void *st;

	(void)state;
	st = plugin_open(NULL);
	assert_false(straw_auth_ops.available(st));
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_string_equal(err, "no JWT: set SLURM_JWT or STRAW_JWT_FILE");
	assert_null(s.data);
	assert_int_equal(s.len, 0);
	assert_int_equal(straw_auth_ops.info(st, &info, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_string_equal(err, "no JWT: set SLURM_JWT or STRAW_JWT_FILE");
	/* An empty SLURM_JWT counts as unset. */
	setenv("SLURM_JWT", "", 1);
	assert_false(straw_auth_ops.available(st));
	straw_auth_ops.fini(st);
	/* A configured file that is not there. */
	st = plugin_open("/nonexistent/straw/jwt");
	assert_false(straw_auth_ops.available(st));
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_non_null(strstr(err, "cannot open JWT file /nonexistent/straw/jwt"));
	straw_auth_ops.fini(st);
	straw_auth_ops.fini(NULL);
}

static void test_create_env(void **state)
{
	char *tok = mint("alice", 1800, 1799998200), *got, err[256], *padded;
	straw_auth_section s;
	straw_auth_info info;
	void *st;

	(void)state;
	assert_true(asprintf(&padded, "  %s\n", tok) > 0);
	setenv("SLURM_JWT", padded, 1);
	st = plugin_open(NULL);
	assert_true(straw_auth_ops.available(st));
	assert_int_equal(straw_auth_ops.info(st, &info, err, sizeof(err)), STRAW_OK);
	assert_string_equal(info.user, "alice");
	assert_int_equal(info.expires, 1800000000);
	assert_string_equal(info.source, "SLURM_JWT");
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_OK);
	got = section_token(&s);
	assert_string_equal(got, tok);
	assert_int_equal(s.len, 4 + 4 + strlen(tok) + 1 + 4);
	free(got);
	section_free(&s);
	straw_auth_ops.fini(st);
	free(padded);
	free(tok);
}

static void test_create_placeholder_refused(void **state)
{
	straw_auth_section s;
	char err[256];
	void *st;

	(void)state;
	/* The section 16 placeholder has no claims at all. */
	setenv("SLURM_JWT", "abc.def.ghi", 1);
	st = plugin_open(NULL);
	assert_true(straw_auth_ops.available(st));
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_null(s.data);
	assert_non_null(strstr(err, "JWT from SLURM_JWT: token header is not"));
	assert_null(strstr(err, "abc.def.ghi"));
	straw_auth_ops.fini(st);
}

static void test_create_expired(void **state)
{
	/* exp = 1700000000 = 2023-11-14 22:13:20 UTC */
	char *tok = mint("alice", 1800, 1700000000 - 1800), err[256];
	straw_auth_section s = { NULL, 0 };
	straw_auth_info info;
	void *st;

	(void)state;
	setenv("SLURM_JWT", tok, 1);
	fake_now = 1700000100;
	st = plugin_open(NULL);
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_null(s.data);
	assert_string_equal(err, "token expired at 2023-11-14 22:13:20 UTC (100 s ago): get a new one "
				 "(scontrol token); it came from SLURM_JWT");
	assert_no_token(err, tok);
	/* Expiring this very second is expired too. */
	fake_now = 1700000000;
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_non_null(strstr(err, "(0 s ago)"));
	/* One second earlier it goes out. */
	fake_now = 1699999999;
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_OK);
	section_free(&s);
	/* info still describes an expired token, for `straw doctor`. */
	fake_now = 1800000000;
	assert_int_equal(straw_auth_ops.info(st, &info, err, sizeof(err)), STRAW_OK);
	assert_int_equal(info.expires, 1700000000);
	straw_auth_ops.fini(st);
	free(tok);
}

static void test_create_expired_extreme(void **state)
{
	char *tok = token_for("{\"exp\":-9223372036854775808,\"sun\":\"alice\"}"), err[256];
	straw_auth_section s;
	void *st;

	(void)state;
	setenv("SLURM_JWT", tok, 1);
	st = plugin_open(NULL);
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_non_null(strstr(err, "token expired at "));
	straw_auth_ops.fini(st);
	free(tok);
}

static void test_create_malformed(void **state)
{
	char *tok = token_for("{\"iat\":1799998200,\"sun\":\"alice\"}"), err[256];
	straw_auth_section s;
	straw_auth_info info;
	void *st;

	(void)state;
	setenv("SLURM_JWT", tok, 1);
	st = plugin_open(NULL);
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_string_equal(err, "JWT from SLURM_JWT: token has no exp claim");
	assert_int_equal(straw_auth_ops.info(st, &info, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_string_equal(info.source, "SLURM_JWT");
	/* Bytes no JWT can hold, e.g. a pasted "SLURM_JWT=" prefix or a quote. */
	setenv("SLURM_JWT", "SLURM_JWT=eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln", 1);
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_string_equal(err, "SLURM_JWT holds a byte that cannot be in a JWT (offset 9)");
	setenv("SLURM_JWT", " \n\t", 1);
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_string_equal(err, "SLURM_JWT holds no token");
	straw_auth_ops.fini(st);
	free(tok);
}

static void test_file_reread(void **state)
{
	char *t1 = mint("alice", 1800, 1799998200), *t2 = mint("bob", 3600, 1799998200);
	char *path, *got, *line, err[256], src[300];
	straw_auth_section s;
	straw_auth_info info;
	void *st;

	(void)state;
	assert_true(asprintf(&line, "%s\n", t1) > 0);
	path = write_file("token", line);
	free(line);
	st = plugin_open(path);
	assert_true(straw_auth_ops.available(st));
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_OK);
	got = section_token(&s);
	assert_string_equal(got, t1);
	free(got);
	section_free(&s);
	assert_int_equal(straw_auth_ops.info(st, &info, err, sizeof(err)), STRAW_OK);
	assert_string_equal(info.user, "alice");
	snprintf(src, sizeof(src), "file %s", path);
	assert_string_equal(info.source, src);

	/* The secret is rotated under the running plugin. */
	assert_true(asprintf(&line, "\r\n%s\r\n", t2) > 0);
	free(write_file("token", line));
	free(line);
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_OK);
	got = section_token(&s);
	assert_string_equal(got, t2);
	free(got);
	section_free(&s);
	assert_int_equal(straw_auth_ops.info(st, &info, err, sizeof(err)), STRAW_OK);
	assert_string_equal(info.user, "bob");
	assert_int_equal(info.expires, 1800001800);

	/* Removed: no longer available, and said so. */
	assert_int_equal(unlink(path), 0);
	assert_false(straw_auth_ops.available(st));
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_non_null(strstr(err, "cannot open JWT file"));
	straw_auth_ops.fini(st);
	free(path);
	free(t1);
	free(t2);
}

static void test_env_wins(void **state)
{
	char *t1 = mint("alice", 1800, 1799998200), *t2 = mint("bob", 1800, 1799998200);
	char *path = write_file("token", t2), *got, err[256];
	straw_auth_section s;
	straw_auth_info info;
	void *st;

	(void)state;
	setenv("SLURM_JWT", t1, 1);
	st = plugin_open(path);
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_OK);
	got = section_token(&s);
	assert_string_equal(got, t1);
	free(got);
	section_free(&s);
	assert_int_equal(straw_auth_ops.info(st, &info, err, sizeof(err)), STRAW_OK);
	assert_string_equal(info.source, "SLURM_JWT");
	assert_string_equal(info.user, "alice");
	/* Unset: the file again. */
	unsetenv("SLURM_JWT");
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_OK);
	got = section_token(&s);
	assert_string_equal(got, t2);
	free(got);
	section_free(&s);
	straw_auth_ops.fini(st);
	unlink(path);
	free(path);
	free(t1);
	free(t2);
}

static void test_file_refused(void **state)
{
	char *tok = mint("alice", 1800, 1799998200), *big, *path, err[256], *text;
	straw_auth_section s;
	void *st;

	(void)state;
	/* Over 64 KiB, even if mostly whitespace. */
	big = malloc(STRAW_JWT_MAX_TOKEN + 2);
	assert_non_null(big);
	memset(big, ' ', STRAW_JWT_MAX_TOKEN + 1);
	memcpy(big, tok, strlen(tok));
	big[STRAW_JWT_MAX_TOKEN + 1] = '\0';
	path = write_file("big", big);
	st = plugin_open(path);
	assert_false(straw_auth_ops.available(st));
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_non_null(strstr(err, "is larger than 65536 bytes"));
	straw_auth_ops.fini(st);
	unlink(path);
	free(path);
	/* Exactly 64 KiB is allowed. */
	big[STRAW_JWT_MAX_TOKEN] = '\0';
	path = write_file("big", big);
	st = plugin_open(path);
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_OK);
	section_free(&s);
	straw_auth_ops.fini(st);
	unlink(path);
	free(path);
	free(big);

	/* Two tokens, or anything else with a space inside. */
	assert_true(asprintf(&text, "%s %s\n", tok, tok) > 0);
	path = write_file("two", text);
	st = plugin_open(path);
	assert_false(straw_auth_ops.available(st));
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_non_null(strstr(err, "holds a byte that cannot be in a JWT"));
	assert_no_token(err, tok);
	straw_auth_ops.fini(st);
	unlink(path);
	free(path);
	free(text);

	/* Empty. */
	path = write_file("empty", "\n");
	st = plugin_open(path);
	assert_false(straw_auth_ops.available(st));
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_non_null(strstr(err, "holds no token"));
	straw_auth_ops.fini(st);
	unlink(path);
	free(path);

	/* A directory is not a token file. */
	st = plugin_open(tmpdir);
	assert_int_equal(straw_auth_ops.create(st, NULL, &s, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_non_null(strstr(err, "is not a regular file"));
	straw_auth_ops.fini(st);
	free(tok);
}

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/straw-test-jwt-XXXXXX";

	(void)state;
	tmpdir = strdup(mkdtemp(tmpl) ? tmpl : "");
	return tmpdir && *tmpdir ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (tmpdir)
		rmdir(tmpdir);
	free(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_claims_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_username, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_exp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_base64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_not_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_skips_other_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_whitespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_len_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_captured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mint_known_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mint_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mint_libjwt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mint_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_section_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_section_captured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plugin_symbols, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_placeholder_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_expired_extreme, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_reread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
