/*
 * support_vectors.c - reading the captured vectors for the unit tests
 * (see support_vectors.h).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support_vectors.h"

const char *tvec_dir(void)
{
	const char *d = getenv("STRAW_VECTORS");

	return d && *d ? d : NULL;
}

uint8_t *tvec_read(const char *rel, size_t *len)
{
	const char *dir = tvec_dir();
	char path[4096];
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;
	FILE *f;

	*len = 0;
	if (!dir || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path))
		return NULL;
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *p = realloc(buf, cap ? cap * 2 : 4096);

			if (!p)
				goto fail;
			buf = p;
			cap = cap ? cap * 2 : 4096;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	/* Exactly n bytes, so a sanitizer catches any read past the end. */
	{
		uint8_t *exact = malloc(n ? n : 1);

		if (!exact) {
			free(buf);
			return NULL;
		}
		memcpy(exact, buf, n);
		free(buf);
		*len = n;
		return exact;
	}
fail:
	fclose(f);
	free(buf);
	return NULL;
}

static int _cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int _is_release(const char *s)
{
	return strlen(s) == 5 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
	       s[2] == '.' && s[3] >= '0' && s[3] <= '9' && s[4] >= '0' && s[4] <= '9';
}

size_t tvec_releases(char names[][8], size_t max)
{
	const char *dir = tvec_dir();
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	if (!dir || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		if (!_is_release(e->d_name))
			continue;
		memcpy(names[n], e->d_name, 6);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), _cmp);
	return n;
}
