/*
 * buf.c - bounds-checked big-endian readers over untrusted bytes, and a
 * growing writer for requests.  Nothing here trusts a length from the wire:
 * every read checks what is left first.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool straw_rb_u8(straw_rbuf *b, uint8_t *v)
{
	if (straw_rb_left(b) < 1)
		return false;
	*v = b->p[b->off++];
	return true;
}

bool straw_rb_u16(straw_rbuf *b, uint16_t *v)
{
	if (straw_rb_left(b) < 2)
		return false;
	*v = (uint16_t)((b->p[b->off] << 8) | b->p[b->off + 1]);
	b->off += 2;
	return true;
}

bool straw_rb_u32(straw_rbuf *b, uint32_t *v)
{
	const uint8_t *p;

	if (straw_rb_left(b) < 4)
		return false;
	p = b->p + b->off;
	*v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
	b->off += 4;
	return true;
}

bool straw_rb_skip(straw_rbuf *b, size_t n)
{
	if (straw_rb_left(b) < n)
		return false;
	b->off += n;
	return true;
}

bool straw_rb_str(straw_rbuf *b, const char **s, uint32_t *slen)
{
	size_t save = b->off;
	uint32_t n;

	if (!straw_rb_u32(b, &n))
		return false;
	if (n == 0) {
		*s = NULL;
		*slen = 0;
		return true;
	}
	if (n > STRAW_MAX_MSG_SIZE || straw_rb_left(b) < n || b->p[b->off + n - 1] != '\0') {
		b->off = save;
		return false;
	}
	*s = (const char *)(b->p + b->off);
	*slen = n - 1;
	b->off += n;
	return true;
}

static bool _wb_reserve(straw_wbuf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->failed)
		return false;
	if (n <= b->cap - b->len)
		return true;
	if (n > SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return false;
	}
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	/* Not realloc: the old contents may be a credential, wipe them. */
	p = malloc(cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	if (b->len)
		memcpy(p, b->p, b->len);
	if (b->p) {
		straw_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void straw_wb_mem(straw_wbuf *b, const void *p, size_t n)
{
	if (n == 0 || !_wb_reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void straw_wb_u8(straw_wbuf *b, uint8_t v)
{
	straw_wb_mem(b, &v, 1);
}

void straw_wb_u16(straw_wbuf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	straw_wb_mem(b, x, 2);
}

void straw_wb_u32(straw_wbuf *b, uint32_t v)
{
	uint8_t x[4];

	straw_put32(x, v);
	straw_wb_mem(b, x, 4);
}

void straw_wb_str(straw_wbuf *b, const char *s)
{
	size_t n;

	if (!s) {
		straw_wb_u32(b, 0);
		return;
	}
	n = strlen(s);
	if (n >= STRAW_MAX_MSG_SIZE) {
		b->failed = true;
		return;
	}
	straw_wb_u32(b, (uint32_t)(n + 1));
	straw_wb_mem(b, s, n + 1);
}

void straw_wb_free(straw_wbuf *b)
{
	if (b->p) {
		straw_wipe(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}
