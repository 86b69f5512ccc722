/*
 * fuzz_servers.c - libFuzzer target for controller lists,
 * straw_servers_parse().  The first input byte sets a small limit on the
 * count; the rest is the list text.  An accepted list has no duplicate, no
 * port 0, no empty host; printing it with straw_servers_format() and
 * parsing that again gives the same list; and the limit only ever turns a
 * list that is too long into an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

static void _same(const straw_server *a, size_t na, const straw_server *b, size_t nb)
{
	FUZZ_ASSERT(na == nb);
	for (size_t i = 0; i < na; i++) {
		FUZZ_ASSERT(a[i].port == b[i].port);
		FUZZ_ASSERT(strcmp(a[i].host, b[i].host) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static straw_server all[STRAW_MAX_SERVERS], few[STRAW_MAX_SERVERS],
		again[STRAW_MAX_SERVERS];
	static char text[STRAW_MAX_SERVERS * 300];
	straw_error err = { 0 }, err2 = { 0 };
	size_t n = 99, nfew = 99, nagain = 99, max;
	char *s;
	int rc, rc2;

	if (size < 1)
		return 0;
	max = 1 + data[0] % 8;
	s = fuzz_cstr(data + 1, size - 1);
	rc = straw_servers_parse(s, all, STRAW_MAX_SERVERS, &n, &err);
	rc2 = straw_servers_parse(s, few, max, &nfew, &err2);
	if (rc != STRAW_OK) {
		FUZZ_ASSERT(rc == STRAW_ERR_USAGE && err.code == rc && n == 0);
		FUZZ_ASSERT(fuzz_msg_ok(err.msg, sizeof(err.msg)));
		/* A smaller limit cannot make a bad list good. */
		FUZZ_ASSERT(rc2 != STRAW_OK && nfew == 0);
		free(s);
		return 0;
	}
	FUZZ_ASSERT(n >= 1 && n <= STRAW_MAX_SERVERS);
	for (size_t i = 0; i < n; i++) {
		size_t hl = strnlen(all[i].host, sizeof(all[i].host));

		FUZZ_ASSERT(hl > 0 && hl < sizeof(all[i].host));
		FUZZ_ASSERT(all[i].port != 0);
		/* Every host is a piece of the text given. */
		FUZZ_ASSERT(strstr(s, all[i].host) != NULL);
		for (size_t j = 0; j < i; j++)
			FUZZ_ASSERT(all[i].port != all[j].port ||
				    strcasecmp(all[i].host, all[j].host) != 0);
	}
	if (n <= max) {
		FUZZ_ASSERT(rc2 == STRAW_OK);
		_same(all, n, few, nfew);
	} else {
		FUZZ_ASSERT(rc2 == STRAW_ERR_USAGE && nfew == 0);
		FUZZ_ASSERT(fuzz_msg_ok(err2.msg, sizeof(err2.msg)));
	}
	straw_servers_format(all, n, text, sizeof(text));
	FUZZ_ASSERT(strlen(text) < sizeof(text) - 1);
	rc = straw_servers_parse(text, again, STRAW_MAX_SERVERS, &nagain, &err);
	if (rc != STRAW_OK)
		fprintf(stderr, "formatted list '%s' refused: %s\n", text, err.msg);
	FUZZ_ASSERT(rc == STRAW_OK);
	_same(all, n, again, nagain);
	free(s);
	return 0;
}
