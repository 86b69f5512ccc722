/*
 * net.h - the transport used by fetch.c (internal).
 */
#ifndef STRAW_NET_H
#define STRAW_NET_H

#include <netdb.h>

#include "internal.h"

typedef enum straw_net_status {
	STRAW_NET_OK = 0,            /* a whole frame (or an HTTP answer) */
	STRAW_NET_CLOSED,            /* closed before one byte: a silent refusal */
	STRAW_NET_TIMEOUT,           /* nothing within the reply timeout */
	STRAW_NET_TRUNCATED,         /* closed in the middle of the frame */
	STRAW_NET_TRUNCATED_TIMEOUT, /* stalled in the middle of the frame */
	STRAW_NET_TOO_LONG,          /* the length prefix exceeds the maximum */
	STRAW_NET_ERROR,             /* a socket error (errno) */
	STRAW_NET_NOMEM,
} straw_net_status;

int64_t straw_now_ms(void);

int straw_net_resolve(const straw_server *s, struct addrinfo **res, straw_error *err);

/* Start a non-blocking connect: 0 connected, 1 under way (*fd set), -1 failed (*err_no). */
int straw_net_connect_start(const struct addrinfo *ai, int *fd, int *err_no);
/* After POLLOUT on a connect under way: 0 connected, -1 failed (*err_no). */
int straw_net_connect_finish(int fd, int *err_no);

/* 0 and *fd on success; -1 with *err_no (ETIMEDOUT for a timeout). */
int straw_net_connect_addr(const struct addrinfo *ai, int timeout_ms, int64_t deadline, int *fd,
			   int *err_no);

int straw_net_send(int fd, const uint8_t *p, size_t n, int64_t until, const char *who,
		   straw_error *err);

/*
 * Read one reply before until: the u32 length and that many bytes, or the
 * first bytes of an HTTP answer.  *buf (malloc'd, may be NULL) holds what
 * was read, framing included, whatever the status.  Returns -1 only with
 * STRAW_NET_ERROR or STRAW_NET_NOMEM.
 */
int straw_net_recv(int fd, int64_t until, size_t max, uint8_t **buf, size_t *len,
		   straw_net_status *st);

/* ---- fetch.c, for probe.c ---------------------------------------------- */

struct straw_auth;

/* What a controller said during one negotiation, beyond the outcome. */
typedef struct straw_fetch_outcome {
	uint16_t answered; /* a version it answered in (its own when known); 0: none */
	uint32_t rc;       /* the Slurm error code it answered; 0: none */
	unsigned sent;     /* requests that went out (0: it failed before asking) */
} straw_fetch_outcome;

/*
 * Negotiate with one controller over fd, already connected to ai, and ask
 * for the configuration, exactly as straw_fetch does for each controller.
 */
int straw_fetch_at(const straw_options *opts, struct straw_auth *auth, const char *who,
		   const struct addrinfo *ai, int fd, straw_config **out,
		   straw_fetch_outcome *seen, straw_error *err);

#endif /* STRAW_NET_H */
