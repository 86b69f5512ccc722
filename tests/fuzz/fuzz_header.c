/*
 * fuzz_header.c - libFuzzer target for the header parser, layouts A and B.
 * The first input byte picks a version straw speaks; the rest is what
 * follows the version field (flags, [msg_index,] msg_type, body_length,
 * counts, address, auth, body), framed with a correct length so that every
 * execution reaches the header fields.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t version;
	straw_reply r;
	uint8_t *buf;
	size_t len;

	if (size < 1)
		return 0;
	version = fuzz_versions[data[0] % FUZZ_NVERSIONS];
	len = 4 + 2 + (size - 1);
	buf = malloc(len);
	if (!buf)
		abort();
	buf[0] = (uint8_t)((len - 4) >> 24);
	buf[1] = (uint8_t)((len - 4) >> 16);
	buf[2] = (uint8_t)((len - 4) >> 8);
	buf[3] = (uint8_t)(len - 4);
	buf[4] = (uint8_t)(version >> 8);
	buf[5] = (uint8_t)version;
	memcpy(buf + 6, data + 1, size - 1);
	if (fuzz_check_reply(buf, len, &r) == STRAW_OK) {
		FUZZ_ASSERT(r.hdr.version == version);
		FUZZ_ASSERT(r.kind == STRAW_REPLY_CONFIG || r.kind == STRAW_REPLY_RC);
	}
	straw_reply_free(&r);
	free(buf);
	return 0;
}
