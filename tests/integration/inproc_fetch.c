/*
 * inproc_fetch.c - the in-process half of test_hardening.sh: fetch through
 * libstraw inside this process and prove the host is left as it was.
 *
 *   inproc_fetch [--expect CODE] [--out DIR | --cache] [--repeat N]
 *                [--sigpipe dfl|ign] [--want-socket] [--needle-hex HEX]
 *
 * Controllers, credentials and timeouts come from the environment, as for
 * any program using libstraw (straw_options_init).  Checked:
 *  - every call returns CODE (default 0);
 *  - /proc/self/fd holds the same descriptors, to the same files, after
 *    the fetches as before;
 *  - every signal disposition (1..64) and the signal mask are unchanged:
 *    a library must not ignore SIGPIPE for its host, nor reset it;
 *  - each descriptor the engine holds while it logs (the connected socket,
 *    during "connected; REQUEST_CONFIG ...") is close-on-exec; with
 *    --want-socket at least one socket must have been seen, so that this
 *    check cannot pass for want of a connection;
 *  - with --needle-hex (the token's signature, hex): no copy of it is left
 *    anywhere in this process's readable memory after the fetches, and no
 *    log message carries it.  The needle is kept XOR-masked so that the
 *    search cannot find itself; the token must come from STRAW_JWT_FILE,
 *    since the environment is this process's memory too.
 * One line per check, "PASS what" or "FAIL what: why"; exit 0 only when
 * every check passed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "straw/straw.h"

#define _MAX_FDS 1024
#define _MASK 0x5a
#define _SCAN_CHUNK (1u << 20)
#define _SCAN_MAX_REGION ((size_t)256 << 20) /* sanitizer shadow maps are terabytes */

typedef struct {
	int fd;
	char target[256];
} _fdinfo;

typedef struct {
	_fdinfo v[_MAX_FDS];
	size_t n;
} _fdset;

typedef struct {
	int rc;
	struct sigaction sa;
} _sigstate;

static int _failures;
static _fdset _base;       /* descriptors before any fetch */
static uint8_t *_needle;   /* XOR-masked signature, or NULL */
static size_t _needle_len;
static int _log_calls, _new_fds_seen, _sockets_seen, _leaky_fds, _needle_in_log;
static char _leak_detail[512];

static void _result(bool pass, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void _result(bool pass, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (pass) {
		printf("PASS %s\n", what);
		return;
	}
	_failures++;
	printf("FAIL %s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void _fds(_fdset *s)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;

	s->n = 0;
	if (!d) {
		perror("inproc_fetch: /proc/self/fd");
		exit(2);
	}
	self = dirfd(d);
	while ((e = readdir(d)) && s->n < _MAX_FDS) {
		_fdinfo *f = &s->v[s->n];
		ssize_t l;

		if (e->d_name[0] == '.')
			continue;
		f->fd = atoi(e->d_name);
		if (f->fd == self)
			continue;
		l = readlinkat(self, e->d_name, f->target, sizeof(f->target) - 1);
		f->target[l > 0 ? l : 0] = '\0';
		s->n++;
	}
	closedir(d);
}

static const _fdinfo *_fd_find(const _fdset *s, int fd)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].fd == fd)
			return &s->v[i];
	return NULL;
}

static bool _masked_match(const uint8_t *p)
{
	for (size_t j = 0; j < _needle_len; j++)
		if ((uint8_t)(p[j] ^ _MASK) != _needle[j])
			return false;
	return true;
}

static bool _has_needle(const uint8_t *p, size_t n)
{
	if (!_needle || n < _needle_len)
		return false;
	for (size_t i = 0; i + _needle_len <= n; i++)
		if ((uint8_t)(p[i] ^ _MASK) == _needle[0] && _masked_match(p + i))
			return true;
	return false;
}

/*
 * Called by the engine while it works, the connection open: every
 * descriptor that is not the host's own must be close-on-exec.
 */
static void _log(void *arg, int level, const char *msg)
{
	_fdset *now = arg;

	(void)level;
	_log_calls++;
	if (_has_needle((const uint8_t *)msg, strlen(msg)))
		_needle_in_log++;
	printf("log: %s\n", msg);
	_fds(now);
	for (size_t i = 0; i < now->n; i++) {
		const _fdinfo *f = &now->v[i];
		int fl;

		if (_fd_find(&_base, f->fd))
			continue;
		_new_fds_seen++;
		if (!strncmp(f->target, "socket:", 7))
			_sockets_seen++;
		fl = fcntl(f->fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC)) {
			_leaky_fds++;
			snprintf(_leak_detail, sizeof(_leak_detail),
				 "fd %d (%s) open without FD_CLOEXEC while logging '%.200s'", f->fd,
				 f->target, msg);
		}
	}
}

static void _sigs(_sigstate s[65], sigset_t *mask)
{
	for (int i = 1; i <= 64; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].rc = sigaction(i, NULL, &s[i].sa);
	}
	sigprocmask(SIG_BLOCK, NULL, mask);
}

static void _compare_sigs(const _sigstate *a, const _sigstate *b, const sigset_t *ma,
			  const sigset_t *mb)
{
	char diff[512] = "";
	size_t n = 0;

	for (int i = 1; i <= 64; i++) {
		bool same = a[i].rc == b[i].rc;

		if (same && a[i].rc == 0) {
			same = a[i].sa.sa_handler == b[i].sa.sa_handler &&
			       a[i].sa.sa_flags == b[i].sa.sa_flags;
			for (int k = 1; same && k <= 64; k++)
				same = sigismember(&a[i].sa.sa_mask, k) ==
				       sigismember(&b[i].sa.sa_mask, k);
		}
		if (!same && n < sizeof(diff) - 40)
			n += (size_t)snprintf(diff + n, sizeof(diff) - n, " %d(%s)", i,
					      strsignal(i));
	}
	_result(!n, "signal dispositions 1..64 unchanged", "changed:%s", diff);
	_result(a[SIGPIPE].sa.sa_handler == b[SIGPIPE].sa.sa_handler,
		"SIGPIPE disposition unchanged", "was %s, now %s",
		a[SIGPIPE].sa.sa_handler == SIG_IGN ? "SIG_IGN" :
		a[SIGPIPE].sa.sa_handler == SIG_DFL ? "SIG_DFL" : "a handler",
		b[SIGPIPE].sa.sa_handler == SIG_IGN ? "SIG_IGN" :
		b[SIGPIPE].sa.sa_handler == SIG_DFL ? "SIG_DFL" : "a handler");
	n = 0;
	diff[0] = '\0';
	for (int k = 1; k <= 64; k++)
		if (sigismember(ma, k) != sigismember(mb, k) && n < sizeof(diff) - 40)
			n += (size_t)snprintf(diff + n, sizeof(diff) - n, " %d", k);
	_result(!n, "signal mask unchanged", "changed for:%s", diff);
}

static void _compare_fds(const _fdset *a, const _fdset *b)
{
	char diff[768] = "";
	size_t n = 0;

	for (size_t i = 0; i < b->n; i++) {
		const _fdinfo *o = _fd_find(a, b->v[i].fd);

		if ((!o || strcmp(o->target, b->v[i].target)) && n < sizeof(diff) - 300)
			n += (size_t)snprintf(diff + n, sizeof(diff) - n, " new %d -> %s",
					      b->v[i].fd, b->v[i].target);
	}
	for (size_t i = 0; i < a->n; i++)
		if (!_fd_find(b, a->v[i].fd) && n < sizeof(diff) - 300)
			n += (size_t)snprintf(diff + n, sizeof(diff) - n, " closed %d -> %s",
					      a->v[i].fd, a->v[i].target);
	_result(!n, "/proc/self/fd identical before and after", "%zu before, %zu after:%s", a->n,
		b->n, diff);
}

/*
 * Search every readable mapping for the masked needle, through
 * /proc/self/mem so that unreadable pages are an error, not a crash.
 */
static void _scan_memory(void)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	size_t cap = _SCAN_CHUNK + 4096;
	uint8_t *buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char line[1024], found[512] = "";
	unsigned long long scanned = 0;
	int hits = 0;

	if (!maps || mem < 0 || buf == MAP_FAILED) {
		_result(false, "no copy of the token left in memory", "cannot read memory: %s",
			strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), maps)) {
		unsigned long start, end;
		char perms[8], path[512] = "";

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %511[^\n]", &start, &end, perms, path) < 3)
			continue;
		if (perms[0] != 'r' || strstr(path, "[vvar") || strstr(path, "[vsyscall]"))
			continue;
		if ((uintptr_t)start == (uintptr_t)buf || end - start > _SCAN_MAX_REGION)
			continue;
		for (unsigned long off = start; off < end;) {
			size_t want = end - off < _SCAN_CHUNK ? end - off : _SCAN_CHUNK;
			ssize_t r;

			/* Read a needle's length more, so a match across chunks is seen. */
			if (off + want + _needle_len <= end)
				want += _needle_len;
			r = pread(mem, buf, want, (off_t)off);
			if (r <= 0)
				break;
			scanned += (unsigned long long)r;
			if (_has_needle(buf, (size_t)r)) {
				hits++;
				if (!found[0])
					snprintf(found, sizeof(found), "%lx-%lx %s %s", start, end,
						 perms, path[0] ? path : "(anonymous)");
			}
			off += (size_t)r > _needle_len ? (size_t)r - _needle_len : (size_t)r;
			if ((size_t)r < want)
				break;
		}
	}
	fclose(maps);
	close(mem);
	munmap(buf, cap);
	printf("scanned %llu bytes of memory for the token\n", scanned);
	_result(!hits && scanned > 0, "no copy of the token left in memory",
		"%d chunk(s) hold it, first in %s", hits, found);
}

static uint8_t *_unhex(const char *h, size_t *n)
{
	size_t l = strlen(h);
	uint8_t *out;

	if (l == 0 || l % 2)
		return NULL;
	out = malloc(l / 2);
	if (!out)
		return NULL;
	for (size_t i = 0; i < l / 2; i++) {
		unsigned v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return NULL;
		out[i] = (uint8_t)(v ^ _MASK);
	}
	*n = l / 2;
	return out;
}

int main(int argc, char **argv)
{
	static _fdset after, during;
	_sigstate sig_before[65], sig_after[65];
	sigset_t mask_before, mask_after;
	const char *out = NULL;
	bool cache = false, want_socket = false;
	int expect = 0, repeat = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect") && i + 1 < argc) {
			expect = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--want-socket")) {
			want_socket = true;
		} else if (!strcmp(argv[i], "--cache")) {
			cache = true;
		} else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
			repeat = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--sigpipe") && i + 1 < argc) {
			/* The host's choice, which the library must keep either way. */
			signal(SIGPIPE, !strcmp(argv[++i], "ign") ? SIG_IGN : SIG_DFL);
		} else if (!strcmp(argv[i], "--needle-hex") && i + 1 < argc) {
			_needle = _unhex(argv[++i], &_needle_len);
			if (!_needle) {
				fprintf(stderr, "inproc_fetch: bad --needle-hex\n");
				return 2;
			}
		} else {
			fprintf(stderr, "usage: inproc_fetch [--expect CODE] [--out DIR | --cache] "
				"[--repeat N] [--sigpipe dfl|ign] [--want-socket] [--needle-hex HEX]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* stdio's own buffer is allocated now, so it is in the baseline. */
	printf("inproc_fetch: %d fetch(es), expecting code %d\n", repeat, expect);

	_sigs(sig_before, &mask_before);
	_fds(&_base);
	for (int r = 0; r < repeat; r++) {
		straw_options opts;
		straw_error err = { 0 };
		straw_config *cfg = NULL;
		char path[4096] = "";
		bool stale = false;
		int rc;

		rc = straw_options_init(&opts, &err);
		if (rc == 0) {
			opts.log = _log;
			opts.log_arg = &during;
			opts.verbosity = STRAW_LOG_DEBUG;
			if (cache) {
				rc = straw_cache_ensure(&opts, path, sizeof(path), &stale, &err);
			} else {
				rc = straw_fetch(&opts, &cfg, &err);
				if (rc == 0 && out)
					rc = straw_write_dir(cfg, out, &err);
				straw_config_free(cfg);
			}
		}
		straw_options_free(&opts);
		printf("fetch %d: code %d%s%s%s%s\n", r + 1, rc, rc ? ": " : "", rc ? err.msg : "",
		       path[0] ? " path " : "", path);
		if (_has_needle((const uint8_t *)err.msg, strlen(err.msg)))
			_needle_in_log++;
		_result(rc == expect, "the fetch returns the expected code", "fetch %d: %d, not %d",
			r + 1, rc, expect);
	}
	_fds(&after);
	_sigs(sig_after, &mask_after);

	_compare_fds(&_base, &after);
	_compare_sigs(sig_before, sig_after, &mask_before, &mask_after);
	printf("log calls %d, new descriptors seen while logging %d (%d sockets)\n", _log_calls,
	       _new_fds_seen, _sockets_seen);
	if (want_socket)
		_result(_sockets_seen > 0, "a connected socket was seen during the fetch",
			"none in %d log calls", _log_calls);
	_result(_leaky_fds == 0, "descriptors open during the fetch are close-on-exec", "%s",
		_leak_detail);
	if (_needle) {
		_result(_needle_in_log == 0, "no message carries the token", "%d did",
			_needle_in_log);
		_scan_memory();
	}
	printf("inproc_fetch: %s\n", _failures ? "FAILED" : "all passed");
	return _failures ? 1 : 0;
}
