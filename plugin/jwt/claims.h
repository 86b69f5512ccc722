/*
 * claims.h - the JWT plugin's own token reader and HS256 minter.
 *
 * The reader only looks inside a token (it does not verify the signature:
 * only the controller holds the key); it exists so that an expired or
 * malformed token is a clear local error instead of a silent close by
 * slurmctld.  It does not depend on libjwt so that it can be fuzzed alone.
 */
#ifndef STRAW_JWT_CLAIMS_H
#define STRAW_JWT_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "straw/straw.h"

/* Longest token accepted anywhere in the plugin (file, environment, reader). */
#define STRAW_JWT_MAX_TOKEN 65536

/* Deepest nesting of arrays and objects the reader walks through. */
#define STRAW_JWT_MAX_DEPTH 32

struct straw_jwt_claims {
	int64_t exp;       /* required */
	int64_t iat;       /* valid when has_iat */
	bool has_iat;
	char user[128];    /* from "sun", else "username"; "" when neither is there */
};

/*
 * Read the claims of a compact JWS: exactly three base64url parts (no
 * padding), a header and a payload that are JSON objects.  Returns
 * STRAW_OK, STRAW_ERR_AUTH for a token that is not acceptable (err says
 * why, never quoting the token), or STRAW_ERR_INTERNAL when out of memory.
 * Never reads past len; token need not be NUL-terminated.
 *
 * Numbers: exp and iat must be JSON integers that fit in 64 bits.  A value
 * with a fraction or an exponent is valid JSON but jansson, and so
 * slurmctld, reads it as a real and does not take it as a time, so exp
 * such as 1.8e9 is refused.  A non-integer iat is ignored (has_iat stays
 * false): the controller does not check iat.  Numbers in other claims are
 * checked for JSON syntax and skipped.  A claim we read that appears twice
 * is refused, since JSON readers disagree on which copy wins.
 *
 * The user: sun when present, else username, else "" (a site may name
 * another claim with userclaimfield=, so neither is required here).  When
 * present it must be a string of at most 127 bytes with no control
 * character.  Strings must be valid UTF-8; \u0000 and lone surrogates are
 * refused, as jansson refuses them.
 */
int straw_jwt_claims(const char *token, size_t len, struct straw_jwt_claims *out,
		     char *err, size_t errlen);

/*
 * Make an HS256 token for user, as `scontrol token` does: header
 * {"alg":"HS256","typ":"JWT"}, claims {"exp":now+lifetime_s,"iat":now,
 * "sun":user}, signed with the raw bytes of key (the whole key file).
 * *out is a malloc'ed NUL-terminated string; wipe it before free.
 * Returns STRAW_OK, STRAW_ERR_USAGE for bad arguments or
 * STRAW_ERR_INTERNAL.  Exported from auth_jwt.so for `straw token`.
 */
__attribute__((visibility("default")))
int straw_jwt_mint(const uint8_t *key, size_t keylen, const char *user, long lifetime_s,
		   time_t now, char **out, char *err, size_t errlen);

/* Wipe memory that held a token; not optimised away. */
void straw_jwt_wipe(void *p, size_t n);

/* Format a one-line message into err (may be NULL); returns code. */
int straw_jwt_err(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* STRAW_JWT_CLAIMS_H */
