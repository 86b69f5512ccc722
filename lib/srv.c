/*
 * srv.c - controllers from DNS SRV records "_slurmctld._tcp", as Slurm
 * finds them when nothing else names a controller: the resolver's search
 * domains apply, records are ordered by priority (lowest first), then by
 * weight (highest first).
 */
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
	uint16_t prio, weight, port;
	char host[256];
} _srv;

static int _cmp(const void *a, const void *b)
{
	const _srv *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return 0;
}

/* Parse an answer into "host:port,..."; exposed for the unit test. */


int straw_srv_parse(const uint8_t *ans, int len, char *out, size_t outlen, straw_error *err)
{
	_srv recs[STRAW_MAX_SERVERS];
	size_t n = 0, used = 0;
	ns_msg msg;
	int count;

	if (ns_initparse(ans, len, &msg) < 0)
		return straw_seterr(err, STRAW_ERR_UNREACHABLE,
				    "DNS SRV _slurmctld._tcp: malformed answer");
	count = ns_msg_count(msg, ns_s_an);
	for (int i = 0; i < count && n < STRAW_MAX_SERVERS; i++) {
		ns_rr rr;
		const uint8_t *rd;

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return straw_seterr(err, STRAW_ERR_UNREACHABLE,
					    "DNS SRV _slurmctld._tcp: malformed record");
		if (ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7)
			continue;
		rd = ns_rr_rdata(rr);
		recs[n].prio = (uint16_t)((rd[0] << 8) | rd[1]);
		recs[n].weight = (uint16_t)((rd[2] << 8) | rd[3]);
		recs[n].port = (uint16_t)((rd[4] << 8) | rd[5]);
		if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rd + 6, recs[n].host,
				       sizeof(recs[n].host)) < 0)
			return straw_seterr(err, STRAW_ERR_UNREACHABLE,
					    "DNS SRV _slurmctld._tcp: malformed target name");
		if (recs[n].port == 0 || !strcmp(recs[n].host, "") || !strcmp(recs[n].host, "."))
			continue;
		/*
		 * A DNS label may hold any byte, but a controller list must not
		 * gain entries from one name (",", ":"): only host name bytes.
		 */
		if (strspn(recs[n].host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789.-_") != strlen(recs[n].host))
			continue;
		n++;
	}
	if (n == 0)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "DNS SRV _slurmctld._tcp has no usable record");
	qsort(recs, n, sizeof(recs[0]), _cmp);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + used, outlen - used, "%s%s:%u", i ? "," : "", recs[i].host,
				 recs[i].port);

		if (w < 0 || (size_t)w >= outlen - used)
			return straw_seterr(err, STRAW_ERR_USAGE, "DNS SRV _slurmctld._tcp: too many records");
		used += (size_t)w;
	}
	return STRAW_OK;
}

int straw_srv_lookup(char *out, size_t outlen, straw_error *err)
{
	struct __res_state rs;
	uint8_t ans[8192];
	int len;

	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) != 0)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "no controller known and the DNS resolver could not be set up: "
				    "set STRAW_SERVERS or SLURM_CONF_SERVER");
	len = res_nsearch(&rs, "_slurmctld._tcp", ns_c_in, ns_t_srv, ans, sizeof(ans));
	res_nclose(&rs);
	if (len < 0)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "no controller known: set STRAW_SERVERS or SLURM_CONF_SERVER, "
				    "servers= in straw.conf, or publish DNS SRV _slurmctld._tcp");
	if (len > (int)sizeof(ans))
		len = (int)sizeof(ans);
	return straw_srv_parse(ans, len, out, outlen, err);
}
