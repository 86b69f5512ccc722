/*
 * error.c - result codes, error messages and secret wiping.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

STRAW_EXPORT const char *straw_code_name(int code)
{
	switch (code) {
	case STRAW_OK: return "success";
	case STRAW_ERR_INTERNAL: return "internal error";
	case STRAW_ERR_USAGE: return "usage or configuration error";
	case STRAW_ERR_UNREACHABLE: return "no controller reachable";
	case STRAW_ERR_AUTH: return "authentication failed";
	case STRAW_ERR_PROTOCOL: return "protocol mismatch";
	case STRAW_ERR_REFUSED: return "refused by the controller";
	case STRAW_ERR_WRITE: return "write failure";
	}
	return "unknown error";
}

int straw_seterr(straw_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* One line: a message built from wire or file data may carry newlines. */
	for (char *p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return code;
}

void straw_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	if (!p)
		return;
	while (n--)
		*v++ = 0;
}
