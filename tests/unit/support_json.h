/*
 * support_json.h - a small JSON reader for the unit tests, enough for the
 * captured vectors' expected.json (objects, arrays, strings, integers,
 * true/false/null), so the tests need no external tool or library.
 */
#ifndef STRAW_SUPPORT_JSON_H
#define STRAW_SUPPORT_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum tjson_type {
	TJSON_NULL,
	TJSON_BOOL,
	TJSON_NUMBER,
	TJSON_STRING,
	TJSON_ARRAY,
	TJSON_OBJECT,
} tjson_type;

typedef struct tjson tjson;

struct tjson {
	tjson_type type;
	bool b;          /* TJSON_BOOL */
	double num;      /* TJSON_NUMBER */
	char *str;       /* TJSON_STRING (NUL-terminated, escapes decoded) */
	char **keys;     /* TJSON_OBJECT: keys[i] names items[i] */
	tjson **items;   /* TJSON_ARRAY, TJSON_OBJECT */
	size_t n;
};

/* Parse text (len bytes); NULL on a syntax error or trailing garbage. */
tjson *tjson_parse(const char *text, size_t len);
void tjson_free(tjson *v);

/* Member of an object, NULL when v is not an object or has no such key. */
const tjson *tjson_get(const tjson *v, const char *key);
/* Element i of an array, NULL when out of range or not an array. */
const tjson *tjson_at(const tjson *v, size_t i);

#endif /* STRAW_SUPPORT_JSON_H */
