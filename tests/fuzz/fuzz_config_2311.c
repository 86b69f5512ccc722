/*
 * fuzz_config_2311.c - libFuzzer target for the RESPONSE_CONFIG body of
 * 23.11 and later: a counted list of {exists, execute, name, content} and
 * the spool dir.  The first input byte picks one of the six versions of
 * this layout; the rest is the body, framed with a correct header (flag
 * 0x0040, no auth section, as those controllers send it), so every
 * execution reaches the list.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t version;
	straw_reply r;

	if (size < 1)
		return 0;
	version = fuzz_versions[4 + data[0] % 6];
	if (fuzz_check_body(version, STRAW_MSG_RESPONSE_CONFIG, data + 1, size - 1, &r) ==
	    STRAW_OK) {
		FUZZ_ASSERT(r.kind == STRAW_REPLY_CONFIG);
		/* The count, 10 bytes or more per entry, the spool dir. */
		FUZZ_ASSERT(r.nfiles * 10 + 8 <= size - 1);
	}
	straw_reply_free(&r);
	return 0;
}
