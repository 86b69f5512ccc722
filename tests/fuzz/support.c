/*
 * support.c - assertions and small independent checkers for the fuzz
 * targets (UTF-8, file names, messages).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "FUZZ INVARIANT BROKEN at %s:%d: %s\n", file, line, what);
	abort();
}

bool fuzz_msg_ok(const char *msg, size_t n)
{
	size_t len = strnlen(msg, n);

	if (len == 0 || len == n)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			return false;
	return true;
}

bool fuzz_utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint8_t lo = 0x80, hi = 0xbf;
		size_t k;

		if (c <= 0x7f) {
			i++;
			continue;
		}
		/* Lead byte: how many continuation bytes, and the range of the first. */
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c == 0xe0)
			k = 2, lo = 0xa0;
		else if (c == 0xed)
			k = 2, hi = 0x9f;
		else if (c >= 0xe1 && c <= 0xef)
			k = 2;
		else if (c == 0xf0)
			k = 3, lo = 0x90;
		else if (c == 0xf4)
			k = 3, hi = 0x8f;
		else if (c >= 0xf1 && c <= 0xf3)
			k = 3;
		else
			return false;
		if (n - i - 1 < k)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t j = 2; j <= k; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return false;
		i += k + 1;
	}
	return true;
}

bool fuzz_name_ref(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c < 0x20 || c == 0x7f)
			return false;
	}
	return fuzz_utf8_ok((const uint8_t *)name, n);
}

char *fuzz_cstr(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	if (n)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}
