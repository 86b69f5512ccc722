/*
 * fuzz_config_2011.c - libFuzzer target for the 20.11 RESPONSE_CONFIG body:
 * eleven fixed strings and the spool dir.  The input is the body; it is
 * framed as a controller answering a 20.11 client frames it (header A, a
 * JWT auth section), so every execution reaches the body parser.
 */
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	straw_reply r;

	if (fuzz_check_body(STRAW_V20_11, STRAW_MSG_RESPONSE_CONFIG, data, size, &r) == STRAW_OK) {
		FUZZ_ASSERT(r.kind == STRAW_REPLY_CONFIG && r.nfiles == 11 && !r.list_null);
		/* Twelve strings of at least 4 bytes each. */
		FUZZ_ASSERT(size >= 48);
		FUZZ_ASSERT(strcmp(r.files[0].name, "slurm.conf") == 0);
		for (size_t i = 0; i < r.nfiles; i++) {
			/* This layout cannot say "exists but empty", nor "execute". */
			FUZZ_ASSERT(r.files[i].exists == !r.files[i].content_null);
			FUZZ_ASSERT(!r.files[i].execute);
		}
	}
	straw_reply_free(&r);
	return 0;
}
