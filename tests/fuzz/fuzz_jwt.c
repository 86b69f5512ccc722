/*
 * fuzz_jwt.c - libFuzzer target for the JWT claim reader,
 * straw_jwt_claims(), on raw token bytes (not NUL-terminated: the input
 * buffer ends exactly where the token does, so a read past it is caught).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_check_claims((const char *)data, size);
	return 0;
}
