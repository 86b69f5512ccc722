/*
 * fuzz_srv.c - libFuzzer target for straw_srv_parse(), which turns a DNS
 * answer for _slurmctld._tcp (bytes from the network) into the controller
 * list "host:port,...".  An accepted answer gives exactly one entry per
 * usable SRV record (type SRV, port not 0, a host name that is not the root),
 * at most STRAW_MAX_SERVERS of them, each with that record's port: a
 * target name must never turn into several controllers.
 */
#include <arpa/nameser.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/*
 * The usable records, counted apart from the engine; *odd is set when a
 * target holds a character no host name has (',', ':', space...).
 */
static size_t _usable(const uint8_t *ans, int len, uint16_t *ports, size_t max, bool *odd)
{
	ns_msg msg;
	size_t n = 0;

	if (ns_initparse(ans, len, &msg) < 0)
		return 0;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an) && n < max; i++) {
		char host[NS_MAXDNAME];
		const uint8_t *rd;
		ns_rr rr;

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return 0;
		if (ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7)
			continue;
		rd = ns_rr_rdata(rr);
		if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rd + 6, host,
				       sizeof(host)) < 0)
			return 0;
		if ((rd[4] == 0 && rd[5] == 0) || host[0] == '\0' || strcmp(host, ".") == 0)
			continue;
		/* A target that is no host name is skipped, never split into several. */
		if (host[strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789.-_")] != '\0') {
			*odd = true;
			continue;
		}
		ports[n++] = (uint16_t)((rd[4] << 8) | rd[5]);
	}
	return n;
}

static int _cmp16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[16384];
	uint16_t ports[STRAW_MAX_SERVERS], listed[STRAW_MAX_SERVERS];
	straw_error err = { 0 };
	size_t want, got = 0;
	bool odd = false;
	int rc;

	if (size > 65535)
		return 0;
	memset(out, 'x', sizeof(out));
	rc = straw_srv_parse(data, (int)size, out, sizeof(out), &err);
	if (rc != STRAW_OK) {
		FUZZ_ASSERT(rc == STRAW_ERR_UNREACHABLE || rc == STRAW_ERR_USAGE);
		FUZZ_ASSERT(err.code == rc && fuzz_msg_ok(err.msg, sizeof(err.msg)));
		return 0;
	}
	FUZZ_ASSERT(memchr(out, '\0', sizeof(out)) != NULL && out[0] != '\0');
	want = _usable(data, (int)size, ports, STRAW_MAX_SERVERS, &odd);
	(void)odd;
	/* Entries are "host:port" joined by ','; the port follows the last ':'. */
	for (char *e = out, *next; e; e = next) {
		char *colon, *end;
		unsigned long port;

		next = strchr(e, ',');
		if (next)
			*next++ = '\0';
		colon = strrchr(e, ':');
		FUZZ_ASSERT(colon != NULL && colon > e);
		port = strtoul(colon + 1, &end, 10);
		FUZZ_ASSERT(*end == '\0' && port >= 1 && port <= 65535);
		FUZZ_ASSERT(got < STRAW_MAX_SERVERS);
		listed[got++] = (uint16_t)port;
	}
	if (got != want)
		fprintf(stderr, "%zu usable SRV records, %zu controllers in the list\n", want, got);
	FUZZ_ASSERT(got == want);
	/* The same ports (the list is in priority order, the records are not). */
	qsort(ports, want, sizeof(ports[0]), _cmp16);
	qsort(listed, got, sizeof(listed[0]), _cmp16);
	FUZZ_ASSERT(memcmp(ports, listed, got * sizeof(ports[0])) == 0);
	return 0;
}
