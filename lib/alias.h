/*
 * alias.h - the one thing the loader and the cache must agree on without
 * linking each other: the name of the link, in the cache folder, from a
 * controller list as the environment spells it to the cluster's folder.
 * It lets the loader see a fresh copy without loading the engine.
 */
#ifndef STRAW_ALIAS_H
#define STRAW_ALIAS_H

#include <stdint.h>
#include <stdio.h>

#define STRAW_ALIAS_LEN 21 /* "src-" + 16 hex digits + NUL */

/* "src-<FNV-1a 64 of the list, as given>". */
static inline void straw_alias_name(const char *servers, char out[STRAW_ALIAS_LEN])
{
	uint64_t h = 14695981039346656037ull;

	for (const unsigned char *p = (const unsigned char *)servers; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	snprintf(out, STRAW_ALIAS_LEN, "src-%016llx", (unsigned long long)h);
}

#endif /* STRAW_ALIAS_H */
