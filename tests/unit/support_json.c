/*
 * support_json.c - the tests' JSON reader (see support_json.h).  A plain
 * recursive descent over a bounded buffer; it trusts nothing about the
 * input's length or nesting but is not meant for anything beyond tests.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "support_json.h"

#define _MAX_DEPTH 64

typedef struct _cursor {
	const char *p;
	const char *end;
} _cursor;

static tjson *_value(_cursor *c, int depth);

static void _ws(_cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool _lit(_cursor *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

static tjson *_new(tjson_type t)
{
	tjson *v = calloc(1, sizeof(*v));

	if (v)
		v->type = t;
	return v;
}

static int _hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Append code point cp as UTF-8 (surrogate pairs are not combined). */
static size_t _utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	o[0] = (char)(0xE0 | (cp >> 12));
	o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* A string; c->p is on the opening quote. */
static char *_string(_cursor *c)
{
	/* Decoded text is never longer than the source. */
	char *out = malloc((size_t)(c->end - c->p) + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	c->p++;
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p++;

		if ((unsigned char)ch < 0x20)
			goto bad;
		if (ch != '\\') {
			out[n++] = ch;
			continue;
		}
		if (c->p >= c->end)
			goto bad;
		ch = *c->p++;
		switch (ch) {
		case '"': case '\\': case '/': out[n++] = ch; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			unsigned cp = 0;

			if (c->end - c->p < 4)
				goto bad;
			for (int i = 0; i < 4; i++) {
				int h = _hex(c->p[i]);

				if (h < 0)
					goto bad;
				cp = cp << 4 | (unsigned)h;
			}
			c->p += 4;
			/* "\uXXXX" is 6 source bytes, UTF-8 at most 3. */
			n += _utf8(out + n, cp);
			break;
		}
		default:
			goto bad;
		}
	}
	if (c->p >= c->end)
		goto bad;
	c->p++;
	out[n] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static tjson *_number(_cursor *c)
{
	char tmp[64];
	size_t n = 0;
	char *endp;
	tjson *v;

	while (c->p < c->end && n < sizeof(tmp) - 1 &&
	       strchr("+-0123456789.eE", *c->p) != NULL)
		tmp[n++] = *c->p++;
	tmp[n] = '\0';
	if (n == 0)
		return NULL;
	v = _new(TJSON_NUMBER);
	if (!v)
		return NULL;
	v->num = strtod(tmp, &endp);
	if (*endp != '\0') {
		free(v);
		return NULL;
	}
	return v;
}

static bool _push(tjson *v, char *key, tjson *item)
{
	tjson **items = realloc(v->items, (v->n + 1) * sizeof(*items));

	if (!items)
		return false;
	v->items = items;
	if (v->type == TJSON_OBJECT) {
		char **keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));

		if (!keys)
			return false;
		v->keys = keys;
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
	return true;
}

/* An array or object; c->p is on the opening bracket. */
static tjson *_container(_cursor *c, int depth, bool object)
{
	tjson *v = _new(object ? TJSON_OBJECT : TJSON_ARRAY);
	char close = object ? '}' : ']';

	if (!v)
		return NULL;
	c->p++;
	_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		tjson *item;

		_ws(c);
		if (object) {
			if (c->p >= c->end || *c->p != '"')
				goto bad;
			key = _string(c);
			if (!key)
				goto bad;
			_ws(c);
			if (c->p >= c->end || *c->p != ':') {
				free(key);
				goto bad;
			}
			c->p++;
		}
		item = _value(c, depth + 1);
		if (!item || !_push(v, key, item)) {
			free(key);
			tjson_free(item);
			goto bad;
		}
		_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return v;
		}
		goto bad;
	}
bad:
	tjson_free(v);
	return NULL;
}

static tjson *_value(_cursor *c, int depth)
{
	tjson *v;

	if (depth > _MAX_DEPTH)
		return NULL;
	_ws(c);
	if (c->p >= c->end)
		return NULL;
	switch (*c->p) {
	case '{':
		return _container(c, depth, true);
	case '[':
		return _container(c, depth, false);
	case '"':
		v = _new(TJSON_STRING);
		if (v && !(v->str = _string(c))) {
			free(v);
			v = NULL;
		}
		return v;
	}
	if (_lit(c, "null"))
		return _new(TJSON_NULL);
	if (_lit(c, "true")) {
		v = _new(TJSON_BOOL);
		if (v)
			v->b = true;
		return v;
	}
	if (_lit(c, "false"))
		return _new(TJSON_BOOL);
	return _number(c);
}

tjson *tjson_parse(const char *text, size_t len)
{
	_cursor c = { .p = text, .end = text + len };
	tjson *v = _value(&c, 0);

	_ws(&c);
	if (v && c.p != c.end) {
		tjson_free(v);
		return NULL;
	}
	return v;
}

void tjson_free(tjson *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		tjson_free(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->str);
	free(v);
}

const tjson *tjson_get(const tjson *v, const char *key)
{
	if (!v || v->type != TJSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return v->items[i];
	return NULL;
}

const tjson *tjson_at(const tjson *v, size_t i)
{
	if (!v || v->type != TJSON_ARRAY || i >= v->n)
		return NULL;
	return v->items[i];
}
