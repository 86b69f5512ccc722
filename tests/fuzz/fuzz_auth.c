/*
 * fuzz_auth.c - libFuzzer target for the reply's auth section.  The first
 * input byte picks the version (header layout A or B); the rest is the auth
 * section, placed between a correct header and a 4-byte RESPONSE_SLURM_RC
 * body, so a reply is accepted exactly when the section is well formed and
 * ends where the body begins.
 */
#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t body[4] = { 0, 0, 0x07, 0xda }; /* rc 2010 */
	uint16_t version;
	straw_reply r;
	uint8_t *buf;
	size_t len;

	if (size < 1)
		return 0;
	version = fuzz_versions[data[0] % FUZZ_NVERSIONS];
	buf = fuzz_frame(version, 0, STRAW_MSG_RESPONSE_SLURM_RC, data + 1, size - 1, body,
			 sizeof(body), &len);
	if (fuzz_check_reply(buf, len, &r) == STRAW_OK) {
		FUZZ_ASSERT(r.kind == STRAW_REPLY_RC && r.rc == 2010 && r.has_auth);
		FUZZ_ASSERT(r.auth_plugin_id >= 101 && r.auth_plugin_id <= 103);
		/* The smallest section: an id and one NULL string. */
		FUZZ_ASSERT(size - 1 >= 8);
	}
	straw_reply_free(&r);
	free(buf);
	return 0;
}
