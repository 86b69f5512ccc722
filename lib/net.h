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

#endif /* STRAW_NET_H */
