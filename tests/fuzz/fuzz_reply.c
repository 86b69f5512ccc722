/*
 * fuzz_reply.c - libFuzzer target: straw_parse_reply() on whole received
 * bytes (frame length, header, auth section, body, or an HTTP answer),
 * checked against the reference reader.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	straw_reply r;

	fuzz_check_reply(data, size, &r);
	straw_reply_free(&r);
	/* Freeing twice is allowed: the first free leaves an empty reply. */
	straw_reply_free(&r);
	return 0;
}
