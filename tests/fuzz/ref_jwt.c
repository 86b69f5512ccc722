/*
 * ref_jwt.c - the checks the JWT fuzz targets make on straw_jwt_claims():
 * a refusal has a one-line message that never quotes the token; an
 * acceptance gives a sane user name, and the same claims written again
 * (by hand here, and by straw_jwt_mint) read back identically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "fuzz.h"

#define _ERRLEN 256

static const char _b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t fuzz_b64url(const uint8_t *p, size_t n, char *out)
{
	size_t o = 0, i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];

		out[o++] = _b64[v >> 18];
		out[o++] = _b64[(v >> 12) & 63];
		out[o++] = _b64[(v >> 6) & 63];
		out[o++] = _b64[v & 63];
	}
	if (n - i == 1) {
		out[o++] = _b64[p[i] >> 2];
		out[o++] = _b64[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		out[o++] = _b64[p[i] >> 2];
		out[o++] = _b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = _b64[(p[i + 1] & 15) << 2];
	}
	return o;
}

/*
 * The message must not quote the token: no 20-byte run of any of its
 * parts shows up in it (20: longer than any word of the fixed messages).
 */
static void _no_token_in(const char *msg, const char *token, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && token[i] != '.')
			continue;
		for (size_t k = start; k + 20 <= i; k += 20) {
			char run[21];

			memcpy(run, token + k, 20);
			run[20] = '\0';
			if (memchr(run, '\0', 20))
				continue;
			FUZZ_ASSERT(strstr(msg, run) == NULL);
		}
		start = i + 1;
	}
}

static void _user_ok(const struct straw_jwt_claims *c)
{
	size_t n = strnlen(c->user, sizeof(c->user));

	FUZZ_ASSERT(n < sizeof(c->user));
	FUZZ_ASSERT(fuzz_utf8_ok((const uint8_t *)c->user, n));
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT((unsigned char)c->user[i] >= 0x20 && c->user[i] != 0x7f);
}

static void _same_claims(const struct straw_jwt_claims *a, const struct straw_jwt_claims *b)
{
	FUZZ_ASSERT(a->exp == b->exp);
	FUZZ_ASSERT(a->has_iat == b->has_iat);
	FUZZ_ASSERT(!a->has_iat || a->iat == b->iat);
	FUZZ_ASSERT(strcmp(a->user, b->user) == 0);
}

/* Write the claims as a payload of our own, make a token, read it back. */
static void _round_trip(const struct straw_jwt_claims *c)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char payload[512], tok[1024], err[_ERRLEN];
	struct straw_jwt_claims back;
	size_t n = 0, t = 0;
	int k, rc;

	k = snprintf(payload, sizeof(payload), "{\"exp\":%lld,", (long long)c->exp);
	n = (size_t)k;
	if (c->has_iat)
		n += (size_t)snprintf(payload + n, sizeof(payload) - n, "\"iat\":%lld,",
				      (long long)c->iat);
	n += (size_t)snprintf(payload + n, sizeof(payload) - n, "\"sun\":\"");
	for (const char *u = c->user; *u; u++) {
		if (*u == '"' || *u == '\\')
			payload[n++] = '\\';
		payload[n++] = *u;
	}
	payload[n++] = '"';
	payload[n++] = '}';

	t = fuzz_b64url((const uint8_t *)hdr, sizeof(hdr) - 1, tok);
	tok[t++] = '.';
	t += fuzz_b64url((const uint8_t *)payload, n, tok + t);
	tok[t++] = '.';
	memcpy(tok + t, "c2ln", 4);
	t += 4;
	rc = straw_jwt_claims(tok, t, &back, err, sizeof(err));
	if (rc != STRAW_OK)
		fprintf(stderr, "re-encoded claims refused: %s\n", err);
	FUZZ_ASSERT(rc == STRAW_OK);
	_same_claims(c, &back);
}

/* straw token's minter must write what the reader reads. */
static void _mint_trip(const struct straw_jwt_claims *c)
{
	static const uint8_t key[] = "fuzz-key";
	struct straw_jwt_claims back;
	char err[_ERRLEN], *tok = NULL;
	int64_t life;

	if (!c->user[0] || !c->has_iat || __builtin_sub_overflow(c->exp, c->iat, &life) ||
	    life <= 0 || (long)life != life || (time_t)c->iat != c->iat)
		return;
	FUZZ_ASSERT(straw_jwt_mint(key, sizeof(key) - 1, c->user, (long)life, (time_t)c->iat, &tok,
				   err, sizeof(err)) == STRAW_OK);
	FUZZ_ASSERT(straw_jwt_claims(tok, strlen(tok), &back, err, sizeof(err)) == STRAW_OK);
	_same_claims(c, &back);
	straw_jwt_wipe(tok, strlen(tok));
	free(tok);
}

int fuzz_check_claims(const char *token, size_t n)
{
	struct straw_jwt_claims c;
	char err[_ERRLEN];
	int rc;

	memset(err, 0, sizeof(err));
	rc = straw_jwt_claims(token, n, &c, err, sizeof(err));
	if (rc != STRAW_OK) {
		FUZZ_ASSERT(rc == STRAW_ERR_AUTH);
		FUZZ_ASSERT(fuzz_msg_ok(err, sizeof(err)));
		_no_token_in(err, token, n);
		return rc;
	}
	FUZZ_ASSERT(n <= STRAW_JWT_MAX_TOKEN);
	_user_ok(&c);
	_round_trip(&c);
	_mint_trip(&c);
	return rc;
}
