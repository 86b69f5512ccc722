/*
 * fuzz_config_2108.c - libFuzzer target for the RESPONSE_CONFIG body of
 * 21.08, 22.05 and 23.02: a counted list of {exists, name, content} and the
 * spool dir.  The first input byte picks one of those versions; the rest is
 * the body, framed as the controller of that version frames it (header A
 * or B, an auth section or flag 0x0040), so every execution reaches the
 * list.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t version;
	straw_reply r;

	if (size < 1)
		return 0;
	version = fuzz_versions[1 + data[0] % 3];
	if (fuzz_check_body(version, STRAW_MSG_RESPONSE_CONFIG, data + 1, size - 1, &r) ==
	    STRAW_OK) {
		FUZZ_ASSERT(r.kind == STRAW_REPLY_CONFIG);
		/* The count, 9 bytes or more per entry, the spool dir. */
		FUZZ_ASSERT(r.nfiles * 9 + 8 <= size - 1);
		for (size_t i = 0; i < r.nfiles; i++)
			FUZZ_ASSERT(!r.files[i].execute);
	}
	straw_reply_free(&r);
	return 0;
}
