/*
 * fuzz_conf.c - libFuzzer target for the straw.conf reader,
 * straw_conf_parse().  The file is the user's, but the loader reads it in
 * every process of a Slurm command, so it must refuse anything odd with a
 * one-line message, never crash, and never store a value outside the range
 * its setting documents.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static const char _unset[] = "<unset>";
#define _UNSET_INT (-7)
#define _UNSET_PROTO 0xBEEF

static void _str_ok(const char *v, const char *text, size_t n)
{
	size_t len;

	if (v == _unset)
		return;
	/* Values are kept in the caller's text, trimmed, and not empty. */
	FUZZ_ASSERT(v >= text && v < text + n);
	len = strlen(v);
	FUZZ_ASSERT(len > 0 && v + len <= text + n);
	FUZZ_ASSERT(!isspace((unsigned char)v[0]) && !isspace((unsigned char)v[len - 1]));
	for (size_t i = 0; i < len; i++) {
		FUZZ_ASSERT((unsigned char)v[i] >= 0x20 || v[i] == '\t' || v[i] == '\r');
		/* " #" starts a comment, which is not part of the value. */
		FUZZ_ASSERT(v[i] != '#' || i == 0 || !isspace((unsigned char)v[i - 1]));
	}
}

static void _int_ok(int v, int lo, int hi)
{
	FUZZ_ASSERT(v == _UNSET_INT || (v >= lo && v <= hi));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	straw_options o;
	straw_error err = { 0 };
	char *text = fuzz_cstr(data, size);
	int rc;

	memset(&o, 0, sizeof(o));
	o.servers = o.auth = o.cache_dir = o.jwt_file = o.munge_socket = o.local_configs = _unset;
	o.ttl_s = o.max_stale_s = o.connect_timeout_ms = o.reply_timeout_ms = o.deadline_ms =
		_UNSET_INT;
	o.protocol = _UNSET_PROTO;
	rc = straw_conf_parse(&o, text, "/etc/straw.conf", &err);
	if (rc != STRAW_OK) {
		FUZZ_ASSERT(rc == STRAW_ERR_USAGE && err.code == rc);
		FUZZ_ASSERT(fuzz_msg_ok(err.msg, sizeof(err.msg)));
		free(text);
		return 0;
	}
	_str_ok(o.servers, text, size);
	_str_ok(o.cache_dir, text, size);
	_str_ok(o.jwt_file, text, size);
	_str_ok(o.munge_socket, text, size);
	_str_ok(o.local_configs, text, size);
	FUZZ_ASSERT(o.auth == _unset || !strcmp(o.auth, "auto") || !strcmp(o.auth, "munge") ||
		    !strcmp(o.auth, "jwt"));
	FUZZ_ASSERT(o.protocol == _UNSET_PROTO || o.protocol == STRAW_PROTOCOL_AUTO ||
		    straw_protocol_name(o.protocol) != NULL);
	_int_ok(o.ttl_s, 0, 31536000);
	_int_ok(o.max_stale_s, 0, 315360000);
	_int_ok(o.connect_timeout_ms, 10, 600000);
	_int_ok(o.reply_timeout_ms, 10, 600000);
	_int_ok(o.deadline_ms, 10, 3600000);
	free(text);
	return 0;
}
