/*
 * servers.c - controller lists: "host[:port],[v6addr]:port,...", the syntax
 * of Slurm's SLURM_CONF_SERVER, parsed strictly and with duplicates folded
 * (Slurm before 25.11.1 hangs on a duplicated host).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool _host_char_ok(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_';
}

static int _parse_port(const char *p, size_t n, uint16_t *port, const char *entry,
		       straw_error *err)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "controller '%s': port must be a number from 1 to 65535", entry);
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return straw_seterr(err, STRAW_ERR_USAGE,
					    "controller '%s': port must be a number from 1 to 65535",
					    entry);
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "controller '%s': port must be a number from 1 to 65535", entry);
	*port = (uint16_t)v;
	return STRAW_OK;
}

/* One entry, already trimmed, not empty. */
static int _parse_one(const char *e, size_t n, straw_server *out, straw_error *err)
{
	char entry[300];
	const char *host, *colon;
	size_t hlen;
	int rc;

	snprintf(entry, sizeof(entry), "%.*s", (int)(n > 280 ? 280 : n), e);
	out->port = STRAW_DEFAULT_PORT;
	if (e[0] == '[') {
		const char *close = memchr(e, ']', n);

		if (!close)
			return straw_seterr(err, STRAW_ERR_USAGE,
					    "controller '%s': missing ']' after an IPv6 address", entry);
		host = e + 1;
		hlen = (size_t)(close - host);
		if (close + 1 < e + n) {
			if (close[1] != ':')
				return straw_seterr(err, STRAW_ERR_USAGE,
						    "controller '%s': expected ':port' after ']'", entry);
			rc = _parse_port(close + 2, (size_t)(e + n - close - 2), &out->port, entry, err);
			if (rc)
				return rc;
		}
		if (hlen == 0)
			return straw_seterr(err, STRAW_ERR_USAGE, "controller '%s': empty address", entry);
		/* Brackets hold an IPv6 address (a ':' at least), maybe with a %zone. */
		if (!memchr(host, ':', hlen))
			return straw_seterr(err, STRAW_ERR_USAGE,
					    "controller '%s': not an IPv6 address (only IPv6 goes in [])",
					    entry);
		for (size_t i = 0; i < hlen; i++) {
			const char *zone = memchr(host, '%', hlen);
			bool in_zone = zone && host + i > zone;
			unsigned char ch = (unsigned char)host[i];

			if (in_zone ? !(isalnum(ch) || ch == '-' || ch == '_' || ch == '.')
				    : !(isxdigit(ch) || ch == ':' || ch == '.' || ch == '%'))
				return straw_seterr(err, STRAW_ERR_USAGE,
						    "controller '%s': not an IPv6 address", entry);
		}
	} else {
		colon = memchr(e, ':', n);
		if (colon && memchr(colon + 1, ':', (size_t)(e + n - colon - 1)))
			return straw_seterr(err, STRAW_ERR_USAGE,
					    "controller '%s': write an IPv6 address as [addr]:port", entry);
		host = e;
		hlen = colon ? (size_t)(colon - e) : n;
		if (colon) {
			rc = _parse_port(colon + 1, (size_t)(e + n - colon - 1), &out->port, entry, err);
			if (rc)
				return rc;
		}
		if (hlen == 0)
			return straw_seterr(err, STRAW_ERR_USAGE, "controller '%s': empty host name", entry);
		for (size_t i = 0; i < hlen; i++)
			if (!_host_char_ok((unsigned char)host[i]))
				return straw_seterr(err, STRAW_ERR_USAGE,
						    "controller '%s': invalid character in host name", entry);
	}
	if (hlen >= sizeof(out->host))
		return straw_seterr(err, STRAW_ERR_USAGE, "controller '%s': host name too long", entry);
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	return STRAW_OK;
}

int straw_servers_parse(const char *text, straw_server *out, size_t max, size_t *n,
			straw_error *err)
{
	const char *p = text;
	size_t count = 0;

	*n = 0;
	if (!text)
		return straw_seterr(err, STRAW_ERR_USAGE, "no controller given");
	while (*p) {
		const char *start, *end;
		straw_server s;
		bool dup = false;
		int rc;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != ',' && !isspace((unsigned char)*p))
			p++;
		end = p;
		rc = _parse_one(start, (size_t)(end - start), &s, err);
		if (rc)
			return rc;
		for (size_t i = 0; i < count; i++)
			if (out[i].port == s.port && strcasecmp(out[i].host, s.host) == 0)
				dup = true;
		if (dup)
			continue;
		if (count == max)
			return straw_seterr(err, STRAW_ERR_USAGE,
					    "too many controllers (at most %zu)", max);
		out[count++] = s;
	}
	if (count == 0)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "no controller given: the list '%.200s' is empty", text);
	*n = count;
	return STRAW_OK;
}

void straw_server_format(const straw_server *s, char *out, size_t outlen)
{
	if (strchr(s->host, ':'))
		snprintf(out, outlen, "[%s]:%u", s->host, s->port);
	else
		snprintf(out, outlen, "%s:%u", s->host, s->port);
}

void straw_servers_format(const straw_server *s, size_t n, char *out, size_t outlen)
{
	size_t used = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < n && used < outlen; i++) {
		char one[300];

		straw_server_format(&s[i], one, sizeof(one));
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? "," : "", one);
	}
}
