/*
 * net.c - one request, one connection: connect with a timeout, send the
 * whole frame, read one framed reply, all under a deadline.  Descriptors
 * are O_CLOEXEC and sends use MSG_NOSIGNAL, so a host process never gets
 * a stray SIGPIPE or leaks a socket into its children.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

int64_t straw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int _remaining(int64_t until)
{
	int64_t left = until - straw_now_ms();

	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int straw_net_resolve(const straw_server *s, struct addrinfo **res, straw_error *err)
{
	struct addrinfo hints = { 0 };
	char port[8];
	char name[300];
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%u", s->port);
	straw_server_format(s, name, sizeof(name));
	rc = getaddrinfo(s->host, port, &hints, res);
	if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY) {
		/* AI_ADDRCONFIG hides ::1 on a host with only loopback v6. */
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(s->host, port, &hints, res);
	}
	if (rc)
		return straw_seterr(err, STRAW_ERR_UNREACHABLE, "%s: cannot resolve '%s': %s", name,
				    s->host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	return STRAW_OK;
}

int straw_net_connect_start(const struct addrinfo *ai, int *fdp, int *err_no)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);

	if (fd < 0) {
		*err_no = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		*fdp = fd;
		return 0;
	}
	if (errno == EINPROGRESS) {
		*fdp = fd;
		return 1;
	}
	*err_no = errno;
	close(fd);
	return -1;
}

int straw_net_connect_finish(int fd, int *err_no)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
		*err_no = errno;
		return -1;
	}
	if (soerr) {
		*err_no = soerr;
		return -1;
	}
	return 0;
}

int straw_net_connect_addr(const struct addrinfo *ai, int timeout_ms, int64_t deadline,
			   int *fdp, int *err_no)
{
	int fd, rc, soerr = 0;
	socklen_t len = sizeof(soerr);
	int64_t until = straw_now_ms() + timeout_ms;
	struct pollfd pfd;

	if (until > deadline)
		until = deadline;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0) {
		*err_no = errno;
		return -1;
	}
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc < 0 && errno != EINPROGRESS) {
		*err_no = errno;
		close(fd);
		return -1;
	}
	if (rc < 0) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		for (;;) {
			rc = poll(&pfd, 1, _remaining(until));
			if (rc < 0 && errno == EINTR)
				continue;
			break;
		}
		if (rc == 0) {
			*err_no = ETIMEDOUT;
			close(fd);
			return -1;
		}
		if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
			*err_no = rc < 0 ? errno : soerr ? soerr : EIO;
			close(fd);
			return -1;
		}
	}
	*fdp = fd;
	return 0;
}

int straw_net_send(int fd, const uint8_t *p, size_t n, int64_t until, const char *who,
		   straw_error *err)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int rc = poll(&pfd, 1, _remaining(until));

			if (rc == 0)
				return straw_seterr(err, STRAW_ERR_UNREACHABLE,
						    "%s: timed out sending the request", who);
			continue;
		}
		return straw_seterr(err, STRAW_ERR_UNREACHABLE, "%s: sending the request failed: %s",
				    who, strerror(w < 0 ? errno : EPIPE));
	}
	return STRAW_OK;
}

/* Read up to n bytes before until; returns bytes read, -1 on error (errno), stops at EOF. */
static ssize_t _read_some(int fd, uint8_t *p, size_t n, int64_t until, bool *eof, bool *timeout)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	*eof = *timeout = false;
	while (got < n) {
		ssize_t r = recv(fd, p + got, n - got, 0);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0) {
			*eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int rc = poll(&pfd, 1, _remaining(until));

			if (rc == 0) {
				*timeout = true;
				break;
			}
			if (rc < 0 && errno != EINTR)
				return -1;
			continue;
		}
		if (errno == ECONNRESET) {
			*eof = true;
			break;
		}
		return -1;
	}
	return (ssize_t)got;
}

int straw_net_recv(int fd, int64_t until, size_t max, uint8_t **bufp, size_t *lenp,
		   straw_net_status *st)
{
	uint8_t head[4];
	uint8_t *buf = NULL;
	size_t want, have = 4, cap;
	bool eof, timeout;
	ssize_t r;

	*bufp = NULL;
	*lenp = 0;
	r = _read_some(fd, head, 4, until, &eof, &timeout);
	if (r < 0) {
		*st = STRAW_NET_ERROR;
		return -1;
	}
	if (r < 4) {
		*st = timeout ? (r ? STRAW_NET_TRUNCATED_TIMEOUT : STRAW_NET_TIMEOUT)
			      : (r ? STRAW_NET_TRUNCATED : STRAW_NET_CLOSED);
		if (r) {
			buf = malloc(4);
			if (buf) {
				memcpy(buf, head, (size_t)r);
				*bufp = buf;
				*lenp = (size_t)r;
			}
		}
		return 0;
	}
	if (!memcmp(head, "HTTP", 4)) {
		/* A controller that took us for HTTP: keep the status line. */
		want = 4 + 512;
	} else {
		uint32_t l = ((uint32_t)head[0] << 24) | ((uint32_t)head[1] << 16) |
			     ((uint32_t)head[2] << 8) | head[3];

		if (l > max) {
			buf = malloc(4);
			if (buf) {
				memcpy(buf, head, 4);
				*bufp = buf;
				*lenp = 4;
			}
			*st = STRAW_NET_TOO_LONG;
			return 0;
		}
		want = 4 + (size_t)l;
	}
	/* Grow as bytes arrive: a length prefix alone never makes us allocate. */
	cap = want < 65536 ? want : 65536;
	buf = malloc(cap);
	if (!buf) {
		*st = STRAW_NET_NOMEM;
		return -1;
	}
	memcpy(buf, head, 4);
	while (have < want) {
		size_t chunk;

		if (have == cap) {
			size_t ncap = cap * 2 < want ? cap * 2 : want;
			uint8_t *nb = realloc(buf, ncap);

			if (!nb) {
				free(buf);
				*st = STRAW_NET_NOMEM;
				return -1;
			}
			buf = nb;
			cap = ncap;
		}
		chunk = cap - have;
		r = _read_some(fd, buf + have, chunk, until, &eof, &timeout);
		if (r < 0) {
			free(buf);
			*st = STRAW_NET_ERROR;
			return -1;
		}
		have += (size_t)r;
		if (eof || timeout)
			break;
	}
	*bufp = buf;
	*lenp = have;
	if (!memcmp(head, "HTTP", 4))
		*st = STRAW_NET_OK;
	else if (have < want)
		*st = timeout ? STRAW_NET_TRUNCATED_TIMEOUT : STRAW_NET_TRUNCATED;
	else
		*st = STRAW_NET_OK;
	return 0;
}
