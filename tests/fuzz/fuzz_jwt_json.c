/*
 * fuzz_jwt_json.c - libFuzzer target for the JSON inside a JWT.  Mutating
 * base64url rarely yields JSON, so here the input is the decoded text:
 * "payload", or "header NUL payload"; the target encodes it into a token
 * (with the usual HS256 header when none is given) and runs the checks of
 * fuzz_jwt on it.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char std_hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	const uint8_t *hdr = (const uint8_t *)std_hdr, *pay = data;
	size_t hlen = sizeof(std_hdr) - 1, plen = size, n;
	const uint8_t *nul = memchr(data, '\0', size);
	char *tok;

	if (nul) {
		hdr = data;
		hlen = (size_t)(nul - data);
		pay = nul + 1;
		plen = size - hlen - 1;
	}
	/* Exactly the token's size, so a read past its end is caught. */
	tok = malloc(hlen / 3 * 4 + 4 + 1 + plen / 3 * 4 + 4 + 1 + 4);
	if (!tok)
		abort();
	n = fuzz_b64url(hdr, hlen, tok);
	tok[n++] = '.';
	n += fuzz_b64url(pay, plen, tok + n);
	tok[n++] = '.';
	memcpy(tok + n, "c2ln", 4);
	n += 4;
	tok = realloc(tok, n);
	if (!tok)
		abort();
	fuzz_check_claims(tok, n);
	free(tok);
	return 0;
}
