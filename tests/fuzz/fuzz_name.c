/*
 * fuzz_name.c - libFuzzer target for straw_name_ok(), the check every file
 * name from the wire passes before anything is written: compared both
 * ways with what internal.h promises (a bare base name: not empty, not "."
 * or "..", no '/', no control byte, at most NAME_MAX bytes of strict UTF-8).
 */
#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = fuzz_cstr(data, size);

	FUZZ_ASSERT(straw_name_ok(name) == fuzz_name_ref(name));
	free(name);
	return 0;
}
