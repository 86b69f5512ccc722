/*
 * fuzz_rc.c - libFuzzer target for RESPONSE_SLURM_RC (8001) and
 * RESPONSE_SLURM_RC_MSG (8002) bodies.  The first input byte picks the
 * message type (low bit) and the version (the rest); the remaining bytes
 * are the body, framed as the controller of that version frames it.
 */
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t version, type;
	straw_reply r;

	if (size < 1)
		return 0;
	type = data[0] & 1 ? STRAW_MSG_RESPONSE_SLURM_RC_MSG : STRAW_MSG_RESPONSE_SLURM_RC;
	version = fuzz_versions[(data[0] >> 1) % FUZZ_NVERSIONS];
	if (fuzz_check_body(version, type, data + 1, size - 1, &r) == STRAW_OK) {
		FUZZ_ASSERT(r.kind == STRAW_REPLY_RC);
		FUZZ_ASSERT(r.rc == (((uint32_t)data[1] << 24) | ((uint32_t)data[2] << 16) |
				     ((uint32_t)data[3] << 8) | data[4]));
		if (type == STRAW_MSG_RESPONSE_SLURM_RC)
			FUZZ_ASSERT(size - 1 == 4 && r.rc_msg == NULL);
		else if (r.rc_msg)
			FUZZ_ASSERT(strlen(r.rc_msg) + 9 <= size - 1);
	}
	straw_reply_free(&r);
	return 0;
}
