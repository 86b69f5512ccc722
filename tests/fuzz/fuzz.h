/*
 * fuzz.h - what the libFuzzer targets share.
 *
 * A target that only waits for a crash proves little: each one also checks
 * what the code under test promises (a parse either fails cleanly or gives
 * exactly what the bytes say), by comparing with small reference readers
 * written here from PROTOCOL.md and the headers' comments, not from the
 * engine's code.  A broken promise aborts, so libFuzzer keeps the input.
 */
#ifndef STRAW_FUZZ_H
#define STRAW_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- support.c ------------------------------------------------------- */

void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#define FUZZ_ASSERT(c)                                         \
	do {                                                   \
		if (!(c))                                      \
			fuzz_fail(__FILE__, __LINE__, #c);     \
	} while (0)

/* A message for people: NUL-terminated within n bytes, not empty, one line. */
bool fuzz_msg_ok(const char *msg, size_t n);

/* Strict UTF-8 (Unicode table 3-7): no overlongs, surrogates, > U+10FFFF. */
bool fuzz_utf8_ok(const uint8_t *s, size_t n);

/* What straw_name_ok() promises, read from internal.h. */
bool fuzz_name_ref(const char *name);

/* Copy of n bytes with a NUL added (the input may hold NULs of its own). */
char *fuzz_cstr(const uint8_t *data, size_t n);

/* ---- ref_reply.c ----------------------------------------------------- */

/* The versions straw speaks, oldest first. */
#define FUZZ_NVERSIONS 10
extern const uint16_t fuzz_versions[FUZZ_NVERSIONS];

/*
 * A whole reply frame in a malloc'd buffer of exactly *len bytes: u32
 * length, the header in the layout of version (A before 22.05, B after)
 * with body_length = body_len, then auth and body as given.
 */
uint8_t *fuzz_frame(uint16_t version, uint16_t flags, uint16_t msg_type, const uint8_t *auth,
		    size_t auth_len, const uint8_t *body, size_t body_len, size_t *len);

/*
 * The auth section a controller puts in replies of this version: none
 * (header flag 0x0040) from 23.02 on, else auth/jwt's 12 bytes.
 */
uint16_t fuzz_reply_flags(uint16_t version);
const uint8_t *fuzz_reply_auth(uint16_t version, size_t *len);

/*
 * Run straw_parse_reply() on buf and compare with the reference reader:
 * both accept or both refuse, and an accepted reply says exactly what the
 * bytes say.  *out is the engine's reply (free it with straw_reply_free).
 */
int fuzz_check_reply(const uint8_t *buf, size_t len, straw_reply *out);

/* fuzz_check_reply() on body framed as a controller of version frames it. */
int fuzz_check_body(uint16_t version, uint16_t msg_type, const uint8_t *body, size_t n,
		    straw_reply *out);

/* ---- ref_jwt.c ------------------------------------------------------- */

/* base64url without padding of n bytes, written at out; returns its length. */
size_t fuzz_b64url(const uint8_t *p, size_t n, char *out);

/*
 * Run straw_jwt_claims() on the n bytes of token (not NUL-terminated) and
 * check what it promises; an accepted token is re-encoded with the same
 * claims (by hand, and by straw_jwt_mint) and must read back the same.
 */
int fuzz_check_claims(const char *token, size_t n);

#endif /* STRAW_FUZZ_H */
