/*
 * fakectld.c - a scriptable fake slurmctld for straw's fault tests.
 *
 *   fakectld [--port N|0] [--count K] [--lifetime S] [--ipv6]
 *            --scenario NAME [ARG...]
 *
 * It listens on 127.0.0.1 only (and on ::1 too with --ipv6), prints its
 * port on stdout once it accepts connections (so tests can ask for port 0),
 * and answers every connection as the scenario says, in the layout of the
 * request's own protocol version: header A for 20.11/21.08, B after; an
 * auth section (the JWT form) up to 22.05, header flag 0x0040 and no auth
 * from 23.02; RESPONSE_CONFIG as 12 fixed strings for 20.11, a list for
 * 21.08-23.02, a list with the execute flag from 23.11.  So tests work with
 * version negotiation as well as with a fixed version.
 *
 * It exits after K connections (each served to the end), on SIGTERM, and
 * in any case after its lifetime (default 120 s): a test that forgets it
 * cannot leave it running.  (refuse and blackhole accept nothing, so only
 * SIGTERM or the lifetime end them.)  One line per connection goes to stderr, so a
 * test can count connections.  Only libc; never an address but loopback.
 *
 * Scenarios (ARGs in brackets are optional):
 *   ok [FILE]          RESPONSE_CONFIG: slurm.conf (FILE's bytes, or a small
 *                      default), plugstack.conf empty, topology.conf absent
 *   replay FILE        send FILE (a captured reply) as it is
 *   truncate FILE N    the first N bytes of FILE, then close; N "each": the
 *                      k-th connection (from 0) gets k bytes
 *   close              read the request, close without a word
 *   silent             read the request, then say nothing until the client
 *                      goes away
 *   slow [FILE]        the "ok" reply (or FILE), one byte per second
 *   refuse             the port is bound but nobody listens: refused
 *   blackhole          a full listen queue that is never accepted: connects
 *                      time out
 *   garbage            a frame of bytes that are no Slurm message
 *   huge-length        a length prefix of 2 GiB, then close
 *   wrong-type [T]     a well-formed message of type T (default 2002)
 *   rc N               RESPONSE_SLURM_RC with return code N
 *   rc-msg N TEXT      RESPONSE_SLURM_RC_MSG
 *   standby N          rc N, for N = 2027 or 2131
 *   http405            "HTTP/1.1 405 NOT ALLOWED", as 25.11+ answer an
 *                      unknown version
 *   version V          RC 1007 in version V (as 24.11 answers a version it
 *                      does not accept); a request in V itself gets "ok"
 *   names NAME...      a config whose entries after slurm.conf have these
 *                      names; \xHH, \n and \\ are decoded, %NULL is a NULL name
 *   no-nul             slurm.conf's content string lacks its NUL
 *   many-entries K     slurm.conf and K-1 more entries (exists=0)
 *   big-conf BYTES     a slurm.conf of BYTES bytes, streamed
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define _MAX_REQUEST (64 * 1024)
#define _MSG_CONFIG 2016
#define _MSG_RC 8001
#define _MSG_RC_MSG 8002
#define _AUTH_JWT 102
#define _FLAG_NO_AUTH 0x0040
#define _V20_11 0x2400
#define _V22_05 0x2600
#define _V23_02 0x2700
#define _V23_11 0x2800

typedef enum {
	_S_OK, _S_REPLAY, _S_TRUNCATE, _S_CLOSE, _S_SILENT, _S_SLOW, _S_REFUSE,
	_S_BLACKHOLE, _S_GARBAGE, _S_HUGE, _S_WRONG_TYPE, _S_RC, _S_RC_MSG,
	_S_STANDBY, _S_HTTP405, _S_VERSION, _S_NAMES, _S_NO_NUL, _S_MANY, _S_BIG,
} _scenario_id;

static const struct {
	const char *name;
	_scenario_id id;
	int min_args, max_args;
} _scenarios[] = {
	{ "ok", _S_OK, 0, 1 },
	{ "replay", _S_REPLAY, 1, 1 },
	{ "truncate", _S_TRUNCATE, 2, 2 },
	{ "close", _S_CLOSE, 0, 0 },
	{ "silent", _S_SILENT, 0, 0 },
	{ "slow", _S_SLOW, 0, 1 },
	{ "refuse", _S_REFUSE, 0, 0 },
	{ "blackhole", _S_BLACKHOLE, 0, 0 },
	{ "garbage", _S_GARBAGE, 0, 0 },
	{ "huge-length", _S_HUGE, 0, 0 },
	{ "wrong-type", _S_WRONG_TYPE, 0, 1 },
	{ "rc", _S_RC, 1, 1 },
	{ "rc-msg", _S_RC_MSG, 2, 2 },
	{ "standby", _S_STANDBY, 1, 1 },
	{ "http405", _S_HTTP405, 0, 0 },
	{ "version", _S_VERSION, 1, 1 },
	{ "names", _S_NAMES, 1, 64 },
	{ "no-nul", _S_NO_NUL, 0, 0 },
	{ "many-entries", _S_MANY, 1, 1 },
	{ "big-conf", _S_BIG, 1, 1 },
};

/* One entry of a RESPONSE_CONFIG. */
typedef struct {
	const char *name;      /* NULL: a NULL name on the wire */
	size_t name_len;
	const char *content;   /* NULL with content_len 0: a NULL string */
	uint64_t content_len;
	bool generated;        /* content_len bytes of filler, made while sending */
	bool no_nul;           /* the content's packstr lacks its NUL */
	bool exists;
	bool execute;
} _entry;

typedef struct {
	_entry *e;
	size_t n;
} _entries;

/* Where reply bytes go: a counter (fd < 0) or a socket. */
typedef struct {
	int fd;
	uint64_t n;      /* bytes put so far */
	uint64_t limit;  /* stop after this many */
	bool slow;       /* one byte per second */
	bool full;       /* the limit is reached: no more bytes */
	bool gone;       /* the client went away */
	size_t blen;
	uint8_t buf[65536];
} _sink;

static const char *_prog = "fakectld";
static unsigned _port;
static _scenario_id _sid;
static char **_sargs;
static int _nsargs;
static char *_file;          /* the scenario's FILE, read once */
static size_t _file_len;
static int _lifetime = 120;

static const char _default_conf[] =
	"# slurm.conf served by fakectld\n"
	"ClusterName=fake\n"
	"SlurmctldHost=fake(127.0.0.1)\n"
	"NodeName=n1 CPUs=1 State=UNKNOWN\n"
	"PartitionName=debug Nodes=n1 Default=YES State=UP\n";

static void _say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void _say(const char *fmt, ...)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s[%u]: ", _prog, _port);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line, so lines of concurrent children do not mix. */
	n = (int)strlen(line);
	if (n < (int)sizeof(line) - 1)
		line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0) {
		/* nothing to do: the log is best effort */
	}
}

static void _die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void _die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", _prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void _usage(void)
{
	fprintf(stderr, "usage: %s [--port N|0] [--count K] [--lifetime S] [--ipv6] "
		"--scenario NAME [ARG...]\nscenarios:", _prog);
	for (size_t i = 0; i < sizeof(_scenarios) / sizeof(_scenarios[0]); i++)
		fprintf(stderr, " %s", _scenarios[i].name);
	fputc('\n', stderr);
	exit(2);
}

static unsigned long _num(const char *s, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max || *s == '-')
		_die("%s: '%s' is not a number from 0 to %lu", what, s, max);
	return v;
}

/* "24.11" or a wire value such as 0x2a00. */
static uint16_t _version_arg(const char *s)
{
	unsigned yy, mm;
	char tail;

	if (sscanf(s, "%u.%u%c", &yy, &mm, &tail) == 2) {
		static const struct { unsigned yy, mm; uint16_t v; } tab[] = {
			{ 20, 11, 0x2400 }, { 21, 8, 0x2500 }, { 22, 5, 0x2600 },
			{ 23, 2, 0x2700 }, { 23, 11, 0x2800 }, { 24, 5, 0x2900 },
			{ 24, 11, 0x2a00 }, { 25, 5, 0x2b00 }, { 25, 11, 0x2c00 },
			{ 26, 5, 0x2d00 }, { 26, 11, 0x2e00 },
		};

		for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
			if (tab[i].yy == yy && tab[i].mm == mm)
				return tab[i].v;
		_die("version: unknown release %s", s);
	}
	return (uint16_t)_num(s, 0xffff, "version");
}

static void _read_file(const char *path)
{
	FILE *f = fopen(path, "rbe");
	size_t cap = 4096;

	if (!f)
		_die("cannot open %s: %s", path, strerror(errno));
	_file = malloc(cap);
	if (!_file)
		_die("out of memory");
	for (;;) {
		size_t r = fread(_file + _file_len, 1, cap - _file_len, f);

		_file_len += r;
		if (_file_len < cap)
			break;
		if (cap >= (256u << 20))
			_die("%s: too big for a captured reply", path);
		cap *= 2;
		_file = realloc(_file, cap);
		if (!_file)
			_die("out of memory");
	}
	if (ferror(f))
		_die("cannot read %s", path);
	fclose(f);
}

/* Decode \xHH, \n, \t, \r and \\ in place; returns the length. */
static size_t _unescape(char *s)
{
	char *o = s;

	for (const char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] == 'x' && p[2] && p[3]) {
			char hex[3] = { p[2], p[3], 0 };

			*o++ = (char)strtoul(hex, NULL, 16);
			p += 3;
		} else if (p[0] == '\\' && (p[1] == 'n' || p[1] == 't' || p[1] == 'r' ||
					    p[1] == '\\')) {
			*o++ = p[1] == 'n' ? '\n' : p[1] == 't' ? '\t' : p[1] == 'r' ? '\r' : '\\';
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return (size_t)(o - s);
}

/* ---- output ------------------------------------------------------------ */

static void _flush(_sink *s)
{
	size_t off = 0;

	while (off < s->blen && !s->gone) {
		ssize_t w = send(s->fd, s->buf + off, s->blen - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->gone = true; /* the client went away: fine, it may */
			break;
		}
		off += (size_t)w;
	}
	s->blen = 0;
}

static void _put(_sink *s, const void *p, size_t n)
{
	const uint8_t *b = p;

	if (s->fd < 0) {
		s->n += n;
		return;
	}
	while (n && !s->full && !s->gone) {
		size_t take = n;

		if (s->n >= s->limit) {
			s->full = true;
			break;
		}
		if (take > s->limit - s->n)
			take = (size_t)(s->limit - s->n);
		if (s->slow)
			take = 1;
		if (take > sizeof(s->buf) - s->blen)
			take = sizeof(s->buf) - s->blen;
		memcpy(s->buf + s->blen, b, take);
		s->blen += take;
		s->n += take;
		b += take;
		n -= take;
		if (s->slow) {
			_flush(s);
			if (!s->gone)
				sleep(1);
		} else if (s->blen == sizeof(s->buf)) {
			_flush(s);
		}
	}
}

static void _u8(_sink *s, uint8_t v)
{
	_put(s, &v, 1);
}

static void _u16(_sink *s, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	_put(s, b, 2);
}

static void _u32(_sink *s, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	_put(s, b, 4);
}

/* Filler for big-conf: a first line, then comment lines, to exactly n bytes. */
static void _put_generated(_sink *s, uint64_t n)
{
	static const char head[] = "ClusterName=big\n";
	static char block[65536];
	static bool made;
	uint64_t first = n < sizeof(head) - 1 ? n : sizeof(head) - 1;

	if (s->fd < 0) {
		s->n += n;
		return;
	}
	if (!made) {
		static const char line[] = "# padding: a slurm.conf far larger than any real one ####\n";

		for (size_t i = 0; i < sizeof(block); i++)
			block[i] = line[i % (sizeof(line) - 1)];
		made = true;
	}
	_put(s, head, (size_t)first);
	n -= first;
	while (n && !s->full && !s->gone) {
		size_t take = n < sizeof(block) ? (size_t)n : sizeof(block);

		_put(s, block, take);
		n -= take;
	}
}

/* packstr: NULL is u32 0; otherwise u32 len+1, the bytes, NUL. */
static void _str(_sink *s, const char *p, size_t n)
{
	if (!p) {
		_u32(s, 0);
		return;
	}
	_u32(s, (uint32_t)(n + 1));
	_put(s, p, n);
	_u8(s, 0);
}

static void _content(_sink *s, const _entry *e)
{
	if (e->no_nul) {
		_u32(s, (uint32_t)e->content_len);
		_put(s, e->content, (size_t)e->content_len);
	} else if (e->generated) {
		_u32(s, (uint32_t)(e->content_len + 1));
		_put_generated(s, e->content_len);
		_u8(s, 0);
	} else {
		_str(s, e->content, (size_t)e->content_len);
	}
}

typedef void (*_body_fn)(_sink *s, uint16_t version, const void *arg);

/*
 * One message in the layout of version: the u32 length, the header, the
 * auth section up to 22.05, then the body.  The body is produced twice:
 * once to count its bytes (body_length must be exact), once to send it,
 * so even a 200 MB body is never held in memory.
 */
static void _message(_sink *s, uint16_t version, uint16_t type, _body_fn body, const void *arg)
{
	_sink count = { .fd = -1 };
	bool hdr_a = version < _V22_05;
	bool auth = version < _V23_02;
	uint64_t frame;

	body(&count, version, arg);
	frame = (hdr_a ? 18 : 16) + (auth ? 12 : 0) + count.n;
	_u32(s, (uint32_t)frame);
	_u16(s, version);
	_u16(s, auth ? 0 : _FLAG_NO_AUTH);
	if (hdr_a)
		_u16(s, 0); /* msg_index */
	_u16(s, type);
	_u32(s, (uint32_t)count.n);
	_u16(s, 0); /* forward count */
	_u16(s, 0); /* ret count */
	_u16(s, 0); /* address family: AF_UNSPEC */
	if (auth) {
		/* What a controller sends back to a JWT client: id and two NULL strings. */
		_u32(s, _AUTH_JWT);
		_u32(s, 0);
		_u32(s, 0);
	}
	body(s, version, arg);
}

static void _body_rc(_sink *s, uint16_t version, const void *arg)
{
	(void)version;
	_u32(s, *(const uint32_t *)arg);
}

typedef struct {
	uint32_t rc;
	const char *text;
} _rc_msg;

static void _body_rc_msg(_sink *s, uint16_t version, const void *arg)
{
	const _rc_msg *m = arg;

	(void)version;
	_u32(s, m->rc);
	_str(s, m->text, strlen(m->text));
}

static void _body_config(_sink *s, uint16_t version, const void *arg)
{
	/* 20.11: the files of fixed fields 1-11, then the spool dir. */
	static const char *const fixed[] = {
		"slurm.conf", "acct_gather.conf", "cgroup.conf", "cgroup_allowed_devices_file.conf",
		"ext_sensors.conf", "gres.conf", "knl_cray.conf", "knl_generic.conf",
		"plugstack.conf", "topology.conf", "job_container.conf",
	};
	const _entries *es = arg;

	if (version == _V20_11) {
		for (size_t f = 0; f < sizeof(fixed) / sizeof(fixed[0]); f++) {
			const _entry *hit = NULL;

			for (size_t i = 0; i < es->n && !hit; i++)
				if (es->e[i].name && es->e[i].exists && !strcmp(es->e[i].name, fixed[f]))
					hit = &es->e[i];
			if (hit)
				_content(s, hit);
			else
				_u32(s, 0);
		}
		_u32(s, 0); /* slurmd_spooldir */
		return;
	}
	_u32(s, (uint32_t)es->n);
	for (size_t i = 0; i < es->n && !s->full && !s->gone; i++) {
		const _entry *e = &es->e[i];

		_u8(s, e->exists);
		if (version >= _V23_11)
			_u8(s, e->execute);
		_str(s, e->name, e->name_len);
		_content(s, e);
	}
	_u32(s, 0); /* slurmd_spooldir: NULL for the client file set */
}

/* ---- scenarios ----------------------------------------------------------- */

static void _entry_set(_entry *e, const char *name, const char *content, uint64_t len,
		       bool exists)
{
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->name_len = name ? strlen(name) : 0;
	e->content = content;
	e->content_len = len;
	e->exists = exists;
}

/* The client file set of a small cluster, slurm.conf from FILE or the default. */
static void _ok_entries(_entry e[3])
{
	if (_file)
		_entry_set(&e[0], "slurm.conf", _file, _file_len, true);
	else
		_entry_set(&e[0], "slurm.conf", _default_conf, sizeof(_default_conf) - 1, true);
	_entry_set(&e[1], "plugstack.conf", NULL, 0, true);
	_entry_set(&e[2], "topology.conf", NULL, 0, false);
}

static void _send_ok(_sink *s, uint16_t version)
{
	_entry e[3];
	_entries es = { e, 3 };

	_ok_entries(e);
	_message(s, version, _MSG_CONFIG, _body_config, &es);
}

static void _send_rc(_sink *s, uint16_t version, uint32_t rc)
{
	_message(s, version, _MSG_RC, _body_rc, &rc);
}

/* Wait until the client closes (or the lifetime ends): say nothing. */
static void _hold(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t junk[4096];

	for (;;) {
		int r = poll(&p, 1, 1000);

		if (r < 0 && errno != EINTR)
			return;
		if (r > 0) {
			ssize_t n = recv(fd, junk, sizeof(junk), 0);

			if (n <= 0)
				return;
		}
	}
}

/* Read n bytes with a bound on the wait; false on EOF, error or timeout. */
static bool _read_full(int fd, uint8_t *p, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (n) {
		ssize_t r;
		int pr = poll(&pfd, 1, 10000);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return false;
		r = recv(fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static void _serve(int fd, unsigned conn)
{
	uint8_t head[4], *req = NULL;
	uint32_t len;
	uint16_t version = _V22_05, type = 0;
	_sink *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		_die("out of memory");
	s->fd = fd;
	s->limit = UINT64_MAX;
	/* Every scenario reads the whole request first, so closing never resets it. */
	if (!_read_full(fd, head, 4)) {
		_say("connection %u: no request", conn);
		goto out;
	}
	len = ((uint32_t)head[0] << 24) | ((uint32_t)head[1] << 16) | ((uint32_t)head[2] << 8) |
	      head[3];
	if (len < 8 || len > _MAX_REQUEST) {
		_say("connection %u: request length %u refused", conn, len);
		goto out;
	}
	req = malloc(len);
	if (!req || !_read_full(fd, req, len)) {
		_say("connection %u: request cut short", conn);
		goto out;
	}
	version = (uint16_t)((req[0] << 8) | req[1]);
	type = version < _V22_05 ? (uint16_t)((req[6] << 8) | req[7])
				 : (uint16_t)((req[4] << 8) | req[5]);
	_say("connection %u: request version 0x%04x type %u, %u bytes", conn, version, type, len);

	switch (_sid) {
	case _S_OK:
		_send_ok(s, version);
		break;
	case _S_SLOW:
		s->slow = true;
		if (_file)
			_put(s, _file, _file_len);
		else
			_send_ok(s, version);
		break;
	case _S_REPLAY:
		_put(s, _file, _file_len);
		break;
	case _S_TRUNCATE:
		if (!strcmp(_sargs[1], "each"))
			s->limit = conn - 1;
		else
			s->limit = _num(_sargs[1], UINT32_MAX, "truncate");
		_put(s, _file, _file_len);
		break;
	case _S_CLOSE:
		break;
	case _S_SILENT:
		_hold(fd);
		break;
	case _S_GARBAGE: {
		uint8_t junk[64];
		uint32_t x = 0x9e3779b9;

		for (size_t i = 0; i < sizeof(junk); i++) {
			x = x * 1103515245u + 12345u;
			junk[i] = (uint8_t)(x >> 16);
		}
		/* Framed right, so only the contents can be blamed: version 0xdead. */
		junk[0] = 0xde;
		junk[1] = 0xad;
		_u32(s, sizeof(junk));
		_put(s, junk, sizeof(junk));
		break;
	}
	case _S_HUGE: {
		static const uint8_t hdr[16] = { 0x26, 0x00, 0x00, 0x00, 0x07, 0xe0 };

		_u32(s, 0x80000000u);
		_put(s, hdr, sizeof(hdr));
		break;
	}
	case _S_WRONG_TYPE: {
		uint32_t zero = 0;

		_message(s, version,
			 _nsargs > 0 ? (uint16_t)_num(_sargs[0], 0xffff, "wrong-type") : 2002,
			 _body_rc, &zero);
		break;
	}
	case _S_RC:
	case _S_STANDBY:
		_send_rc(s, version, (uint32_t)_num(_sargs[0], UINT32_MAX, "rc"));
		break;
	case _S_RC_MSG: {
		_rc_msg m = { (uint32_t)_num(_sargs[0], UINT32_MAX, "rc-msg"), _sargs[1] };

		_message(s, version, _MSG_RC_MSG, _body_rc_msg, &m);
		break;
	}
	case _S_HTTP405: {
		static const char http[] = "HTTP/1.1 405 NOT ALLOWED\r\nContent-Length: 19\r\n"
					   "Content-Type: text/plain\r\n\r\nInvalid HTTP method";

		_put(s, http, sizeof(http) - 1);
		break;
	}
	case _S_VERSION: {
		uint16_t v = _version_arg(_sargs[0]);

		if (version == v)
			_send_ok(s, version);
		else
			_send_rc(s, v, 1007);
		break;
	}
	case _S_NAMES: {
		_entry e[65];
		_entries es = { e, 1 };

		_entry_set(&e[0], "slurm.conf", _default_conf, sizeof(_default_conf) - 1, true);
		for (int i = 0; i < _nsargs; i++) {
			_entry *x = &e[es.n++];
			bool null = !strcmp(_sargs[i], "%NULL");

			_entry_set(x, null ? NULL : _sargs[i], "x = 1\n", 6, true);
			if (!null)
				x->name_len = _unescape(_sargs[i]);
		}
		_message(s, version, _MSG_CONFIG, _body_config, &es);
		break;
	}
	case _S_NO_NUL: {
		_entry e[3];
		_entries es = { e, 3 };

		_ok_entries(e);
		e[0].no_nul = true;
		_message(s, version, _MSG_CONFIG, _body_config, &es);
		break;
	}
	case _S_MANY: {
		size_t k = (size_t)_num(_sargs[0], 10000000, "many-entries");
		_entries es;
		char *names;

		if (k < 1)
			k = 1;
		es.e = calloc(k, sizeof(*es.e));
		names = calloc(k, 24);
		if (!es.e || !names)
			_die("out of memory");
		es.n = k;
		_entry_set(&es.e[0], "slurm.conf", _default_conf, sizeof(_default_conf) - 1, true);
		for (size_t i = 1; i < k; i++) {
			snprintf(names + i * 24, 24, "x%08u.conf", (unsigned)i);
			_entry_set(&es.e[i], names + i * 24, NULL, 0, false);
		}
		_message(s, version, _MSG_CONFIG, _body_config, &es);
		free(names);
		free(es.e);
		break;
	}
	case _S_BIG: {
		_entry e[3];
		_entries es = { e, 3 };

		_ok_entries(e);
		e[0].content = NULL;
		e[0].generated = true;
		e[0].content_len = _num(_sargs[0], 1000000000, "big-conf");
		_message(s, version, _MSG_CONFIG, _body_config, &es);
		break;
	}
	case _S_REFUSE:
	case _S_BLACKHOLE:
		break; /* never accepted */
	}
	_flush(s);
	_say("connection %u: sent %" PRIu64 " bytes%s", conn, s->n,
	     s->gone ? " (client went away)" : "");
out:
	free(req);
	free(s);
	close(fd);
}

/* ---- listening ----------------------------------------------------------- */

static int _listen_on(int family, unsigned port, int backlog, bool do_listen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		_die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		_die("bind to %s port %u: %s", family == AF_INET ? "127.0.0.1" : "::1", port,
		     strerror(errno));
	if (do_listen && listen(fd, backlog) < 0)
		_die("listen: %s", strerror(errno));
	return fd;
}

static unsigned _bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		_die("getsockname: %s", strerror(errno));
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Fill the listen queue of fd (backlog 0) so that further SYNs are dropped. */
static int _fill_queue(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		_die("cannot fill the listen queue: %s", strerror(errno));
	return fd;
}

static void _reap(bool block)
{
	while (waitpid(-1, NULL, block ? 0 : WNOHANG) > 0)
		;
}

int main(int argc, char **argv)
{
	unsigned long port = 0, count = 0;
	bool six = false;
	const char *sname = NULL;
	int lfd[2] = { -1, -1 }, nl = 0;
	unsigned conn = 0;
	size_t si;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--port") && i + 1 < argc) {
			port = _num(argv[++i], 65535, "--port");
		} else if (!strcmp(a, "--count") && i + 1 < argc) {
			count = _num(argv[++i], 1000000, "--count");
		} else if (!strcmp(a, "--lifetime") && i + 1 < argc) {
			_lifetime = (int)_num(argv[++i], 3600, "--lifetime");
		} else if (!strcmp(a, "--ipv6")) {
			six = true;
		} else if (!strcmp(a, "--scenario") && i + 1 < argc) {
			sname = argv[++i];
			_sargs = &argv[i + 1];
			/* Scenario arguments run up to the next --option. */
			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
				i++;
				_nsargs++;
			}
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			_usage();
		} else {
			fprintf(stderr, "%s: unknown argument '%s'\n", _prog, a);
			_usage();
		}
	}
	if (!sname)
		_usage();
	for (si = 0; si < sizeof(_scenarios) / sizeof(_scenarios[0]); si++)
		if (!strcmp(_scenarios[si].name, sname))
			break;
	if (si == sizeof(_scenarios) / sizeof(_scenarios[0]))
		_die("unknown scenario '%s'", sname);
	if (_nsargs < _scenarios[si].min_args || _nsargs > _scenarios[si].max_args)
		_die("scenario %s takes %d to %d arguments, not %d", sname,
		     _scenarios[si].min_args, _scenarios[si].max_args, _nsargs);
	_sid = _scenarios[si].id;
	if ((_sid == _S_OK || _sid == _S_SLOW) && _nsargs == 1)
		_read_file(_sargs[0]);
	if (_sid == _S_REPLAY || _sid == _S_TRUNCATE)
		_read_file(_sargs[0]);
	/* Check numeric arguments now, not in a child. */
	if (_sid == _S_TRUNCATE && strcmp(_sargs[1], "each"))
		_num(_sargs[1], UINT32_MAX, "truncate");
	if (_sid == _S_RC || _sid == _S_STANDBY || _sid == _S_RC_MSG)
		_num(_sargs[0], UINT32_MAX, sname);
	if (_sid == _S_VERSION)
		_version_arg(_sargs[0]);
	if (_sid == _S_MANY)
		_num(_sargs[0], 10000000, "many-entries");
	if (_sid == _S_BIG)
		_num(_sargs[0], 1000000000, "big-conf");
	if (_sid == _S_WRONG_TYPE && _nsargs)
		_num(_sargs[0], 0xffff, "wrong-type");

	/* Never outlive a forgetful test; never die of a client that left. */
	alarm((unsigned)_lifetime);
	signal(SIGPIPE, SIG_IGN);

	lfd[nl++] = _listen_on(AF_INET, (unsigned)port, _sid == _S_BLACKHOLE ? 0 : 128,
			       _sid != _S_REFUSE);
	_port = _bound_port(lfd[0]);
	if (six && _sid != _S_BLACKHOLE)
		lfd[nl++] = _listen_on(AF_INET6, _port, 128, _sid != _S_REFUSE);
	if (_sid == _S_BLACKHOLE)
		(void)_fill_queue(_port); /* kept open for good: the queue stays full */

	printf("%u\n", _port);
	fflush(stdout);
	_say("scenario %s, %d argument(s), %s%s", sname, _nsargs, six ? "127.0.0.1 and ::1" : "127.0.0.1",
	     count ? "" : ", no connection limit");

	if (_sid == _S_REFUSE || _sid == _S_BLACKHOLE) {
		for (;;)
			pause(); /* until SIGTERM or the lifetime */
	}
	for (;;) {
		struct pollfd p[2];
		int r;

		for (int i = 0; i < nl; i++) {
			p[i].fd = lfd[i];
			p[i].events = POLLIN;
		}
		r = poll(p, (nfds_t)nl, 1000);
		_reap(false);
		if (r < 0 && errno != EINTR)
			_die("poll: %s", strerror(errno));
		for (int i = 0; r > 0 && i < nl; i++) {
			struct sockaddr_storage peer;
			socklen_t pl = sizeof(peer);
			char addr[64] = "?";
			pid_t pid;
			int fd;

			if (!(p[i].revents & POLLIN))
				continue;
			fd = accept4(lfd[i], (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			conn++;
			if (peer.ss_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, addr,
					  sizeof(addr));
			else
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, addr,
					  sizeof(addr));
			_say("connection %u from %s", conn, addr);
			pid = fork();
			if (pid < 0)
				_die("fork: %s", strerror(errno));
			if (pid == 0) {
				for (int j = 0; j < nl; j++)
					close(lfd[j]);
				prctl(PR_SET_PDEATHSIG, SIGTERM);
				alarm((unsigned)_lifetime);
				_serve(fd, conn);
				_exit(0);
			}
			close(fd);
			if (count && conn >= count) {
				for (int j = 0; j < nl; j++)
					close(lfd[j]);
				_reap(true);
				_say("served %u connection(s); exiting", conn);
				return 0;
			}
		}
	}
}
