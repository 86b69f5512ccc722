/*
 * cache.c - the per-user configuration cache behind the loader and
 * `straw env`: a private folder, one subfolder per cluster, generations
 * published behind a stable `conf` link, a TTL, stale use when every
 * controller is down, and a lock so a herd of cold processes fetches once.
 *
 * Layout of <cache>/<cluster>/:
 *   conf       symlink -> gen.<id>, the current generation (what SLURM_CONF names)
 *   gen.<id>   one complete file set; the previous one is kept one round
 *              for readers that resolved `conf` just before a switch
 *   meta       key=value lines: when, from which controller, which version
 *   lock       flock(2) target serialising refreshes
 *
 * Everything below the cache folder is reached relative to descriptors
 * opened with O_NOFOLLOW, so a path swapped for a symlink between a check
 * and its use is refused rather than followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "alias.h"
#include "internal.h"

#define CACHE_META "meta"
#define CACHE_META_TMP "meta.tmp"
#define CACHE_LOCK "lock"
#define CACHE_CONF "conf"
#define CACHE_CONF_TMP "conf.tmp"
#define CACHE_SLURM_CONF "slurm.conf"

#define CACHE_KEY_TEXT 64       /* readable part of a cluster folder name */
#define CACHE_LOCK_MARGIN_MS 2000 /* waiters outlast the holder's deadline by this */
#define CACHE_META_MAX 2048

typedef struct cache_meta {
	time_t fetched;       /* 0: no generation published */
	time_t failed;        /* last failed refresh, 0: none */
	uint16_t protocol;    /* version the controller answered in */
	char controller[300]; /* "host:port" that answered */
	char error[STRAW_ERRLEN]; /* message of the last failed refresh */
} cache_meta;

STRAW_PRINTF(3, 4)
static void _log(const straw_options *o, int level, const char *fmt, ...)
{
	char msg[STRAW_ERRLEN + 200];
	va_list ap;

	if (!o->log || level > o->verbosity)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->log(o->log_arg, level, msg);
}

static long long _now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void _sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the cache folder ------------------------------------------------- */

/*
 * Open dir (creating it 0700 when missing) and check it is ours: a real
 * folder, not a symlink, owned by the effective uid, writable by nobody
 * else.  *absent is set when dir could not be created because its parent
 * is missing or not writable, so an implicit candidate can fall through.
 */
static int _open_root(const char *dir, int *out, bool *absent, straw_error *err)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	bool created = false;
	struct stat st;
	int fd;

	*absent = false;
	fd = open(dir, flags);
	if (fd < 0 && errno == ENOENT) {
		if (mkdir(dir, 0700) == 0) {
			created = true;
		} else if (errno != EEXIST) {
			int e = errno;

			*absent = e == ENOENT || e == ENOTDIR || e == EACCES || e == EROFS ||
				  e == EPERM;
			return straw_seterr(err, STRAW_ERR_WRITE,
					    "cannot create cache folder %s: %s (its parent must exist "
					    "and be writable; or set STRAW_CACHE_DIR)", dir, strerror(e));
		}
		fd = open(dir, flags);
	}
	if (fd < 0) {
		int e = errno;

		if ((e == ELOOP || e == ENOTDIR) && lstat(dir, &st) == 0) {
			if (S_ISLNK(st.st_mode))
				return straw_seterr(err, STRAW_ERR_WRITE,
						    "cache folder %s is a symbolic link, which straw "
						    "refuses: remove it or set STRAW_CACHE_DIR", dir);
			if (!S_ISDIR(st.st_mode))
				return straw_seterr(err, STRAW_ERR_WRITE,
						    "cache folder %s is not a folder: remove it or set "
						    "STRAW_CACHE_DIR", dir);
		}
		return straw_seterr(err, STRAW_ERR_WRITE, "cannot open cache folder %s: %s", dir,
				    strerror(e));
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return straw_seterr(err, STRAW_ERR_WRITE, "cannot check cache folder %s: %s", dir,
				    strerror(e));
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return straw_seterr(err, STRAW_ERR_WRITE,
				    "cache folder %s belongs to uid %u, not to you (uid %u): "
				    "remove it or set STRAW_CACHE_DIR", dir, (unsigned)st.st_uid,
				    (unsigned)geteuid());
	}
	/* A umask may have taken bits we need from a folder we just made. */
	if (created && (st.st_mode & 07777) != 0700 && fchmod(fd, 0700) == 0)
		st.st_mode = (st.st_mode & ~07777u) | 0700;
	if (st.st_mode & 022) {
		close(fd);
		return straw_seterr(err, STRAW_ERR_WRITE,
				    "cache folder %s is mode %04o (writable by others): "
				    "run chmod 700 %s, remove it or set STRAW_CACHE_DIR", dir,
				    (unsigned)(st.st_mode & 07777), dir);
	}
	if ((st.st_mode & 0700) != 0700) {
		close(fd);
		return straw_seterr(err, STRAW_ERR_WRITE,
				    "cache folder %s is mode %04o (not usable by its owner): "
				    "run chmod 700 %s or set STRAW_CACHE_DIR", dir,
				    (unsigned)(st.st_mode & 07777), dir);
	}
	*out = fd;
	return STRAW_OK;
}

/*
 * Pick and open the cache folder (DESIGN.md "The cache"): STRAW_CACHE_DIR,
 * else $XDG_RUNTIME_DIR/straw, else /dev/shm/straw-<uid>, else
 * /tmp/straw-<uid>.  A candidate whose parent is missing is skipped; one
 * that exists but fails a check is an error, never a silent fall-through.
 */
static int _choose_root(const straw_options *o, char *dir, size_t dirlen, int *fd,
			straw_error *err)
{
	const char *xdg;
	struct stat st;
	bool absent;
	int rc = STRAW_ERR_INTERNAL;

	if (o->cache_dir && *o->cache_dir) {
		if (o->cache_dir[0] == '/') {
			if ((size_t)snprintf(dir, dirlen, "%s", o->cache_dir) >= dirlen)
				return straw_seterr(err, STRAW_ERR_USAGE,
						    "STRAW_CACHE_DIR is too long");
		} else {
			char cwd[PATH_MAX];

			/* SLURM_CONF must stay valid after the process changes folder. */
			if (!getcwd(cwd, sizeof(cwd)))
				return straw_seterr(err, STRAW_ERR_USAGE,
						    "STRAW_CACHE_DIR=%s is relative and the current "
						    "folder is unknown: give an absolute path",
						    o->cache_dir);
			if ((size_t)snprintf(dir, dirlen, "%s/%s", cwd, o->cache_dir) >= dirlen)
				return straw_seterr(err, STRAW_ERR_USAGE,
						    "STRAW_CACHE_DIR is too long");
		}
		return _open_root(dir, fd, &absent, err);
	}
	/*
	 * The runtime folder only when it is really ours: `su` and some sudo
	 * setups keep another user's XDG_RUNTIME_DIR in the environment.
	 */
	xdg = o->secure ? NULL : getenv("XDG_RUNTIME_DIR");
	if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && (size_t)snprintf(dir, dirlen, "%s/straw", xdg) < dirlen) {
		rc = _open_root(dir, fd, &absent, err);
		if (rc == STRAW_OK || !absent)
			return rc;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(dir, dirlen, "%s%u", i == 0 ? "/dev/shm/straw-" : "/tmp/straw-",
			 (unsigned)geteuid());
		rc = _open_root(dir, fd, &absent, err);
		if (rc == STRAW_OK || !absent)
			return rc;
	}
	return rc;
}

/*
 * The cluster's folder name: a readable prefix of the normalised controller
 * list, then a hash of all of it, so "ctl1:6817,ctl2:6817" and "ctl1" get
 * different folders and the name stays short and safe whatever the list.
 */
static int _cluster_key(const straw_options *o, char *key, size_t keylen, char *norm,
			size_t normlen, straw_error *err)
{
	straw_server *s;
	size_t n, k = 0;
	uint32_t h = 2166136261u; /* FNV-1a */
	int rc;

	s = calloc(STRAW_MAX_SERVERS, sizeof(*s));
	if (!s)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory");
	rc = straw_servers_parse(o->servers, s, STRAW_MAX_SERVERS, &n, err);
	if (rc) {
		free(s);
		return rc;
	}
	straw_servers_format(s, n, norm, normlen);
	free(s);
	for (const char *p = norm; *p; p++) {
		unsigned char c = (unsigned char)*p;

		/* Host names are case-insensitive: one cluster, one folder. */
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
		if (k < CACHE_KEY_TEXT && k + 1 < keylen)
			key[k++] = (char)(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
					   c == '.' || c == '-') ? c : '_');
	}
	key[k] = '\0';
	snprintf(key + k, keylen - k, "-%08x", (unsigned)h);
	return STRAW_OK;
}

/*
 * Point the alias of the list as given (alias.h) at the cluster's folder,
 * so the loader finds a fresh copy without loading the engine.  Best
 * effort: without it the loader just takes the slower way.
 */
static void _alias_update(int rfd, const char *servers, const char *key)
{
	char alias[STRAW_ALIAS_LEN], tmp[STRAW_ALIAS_LEN + 16], cur[CACHE_KEY_TEXT + 16];
	ssize_t n;

	straw_alias_name(servers, alias);
	n = readlinkat(rfd, alias, cur, sizeof(cur) - 1);
	if (n > 0 && (size_t)n < sizeof(cur)) {
		cur[n] = '\0';
		if (!strcmp(cur, key))
			return;
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld", alias, (long)getpid());
	unlinkat(rfd, tmp, 0);
	if (symlinkat(key, rfd, tmp) == 0 && renameat(rfd, tmp, rfd, alias) < 0)
		unlinkat(rfd, tmp, 0);
}

/* Open (creating) one folder below dfd, refusing a symlink in its place. */
static int _open_sub(int dfd, const char *name, const char *shown, int *out, straw_error *err)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dfd, name, flags);

	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
			return straw_seterr(err, STRAW_ERR_WRITE, "cannot create %s: %s", shown,
					    strerror(errno));
		fd = openat(dfd, name, flags);
	}
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return straw_seterr(err, STRAW_ERR_WRITE,
					    "%s is not a plain folder (a symbolic link or a file): "
					    "remove it", shown);
		return straw_seterr(err, STRAW_ERR_WRITE, "cannot open %s: %s", shown,
				    strerror(errno));
	}
	*out = fd;
	return STRAW_OK;
}

/* ---- metadata --------------------------------------------------------- */

static bool _parse_time(const char *v, time_t *out)
{
	char *end;
	long long l;

	errno = 0;
	l = strtoll(v, &end, 10);
	if (errno || end == v || *end || l < 0)
		return false;
	*out = (time_t)l;
	return true;
}

/* Read meta; a missing or garbled file reads as "nothing cached". */
static void _meta_read(int cfd, cache_meta *m)
{
	char buf[CACHE_META_MAX + 1];
	size_t len = 0;
	char *line, *save = NULL;
	int fd;

	memset(m, 0, sizeof(*m));
	fd = openat(cfd, CACHE_META, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	while (len < CACHE_META_MAX) {
		ssize_t r = read(fd, buf + len, CACHE_META_MAX - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		if (!strcmp(line, "fetched")) {
			if (!_parse_time(v, &m->fetched))
				m->fetched = 0;
		} else if (!strcmp(line, "failed")) {
			if (!_parse_time(v, &m->failed))
				m->failed = 0;
		} else if (!strcmp(line, "protocol")) {
			unsigned long p = strtoul(v, NULL, 16);

			m->protocol = p <= 0xffff && straw_protocol_known((uint16_t)p) ?
				      (uint16_t)p : 0;
		} else if (!strcmp(line, "controller")) {
			snprintf(m->controller, sizeof(m->controller), "%s", v);
		} else if (!strcmp(line, "error")) {
			snprintf(m->error, sizeof(m->error), "%s", v);
		}
	}
}

/* Replace meta in one rename, so a reader sees the old or the new, whole. */
static int _meta_write(int cfd, const cache_meta *m, const char *servers, const char *gen,
		       straw_error *err)
{
	char buf[CACHE_META_MAX];
	int fd, n;

	n = snprintf(buf, sizeof(buf),
		     "# straw cache metadata\nversion=1\nfetched=%lld\nfailed=%lld\n"
		     "controller=%s\nprotocol=0x%04x\nprotocol_name=%s\ngeneration=%s\n"
		     "servers=%.400s\nerror=%.400s\n",
		     (long long)m->fetched, (long long)m->failed, m->controller,
		     (unsigned)m->protocol,
		     straw_protocol_name(m->protocol) ? straw_protocol_name(m->protocol) : "",
		     gen ? gen : "", servers, m->error);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	fd = openat(cfd, CACHE_META_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return straw_seterr(err, STRAW_ERR_WRITE, "cannot write cache metadata: %s",
				    strerror(errno));
	if (straw_write_all(fd, buf, (size_t)n) < 0 || fsync(fd) < 0) {
		int e = errno;

		close(fd);
		unlinkat(cfd, CACHE_META_TMP, 0);
		return straw_seterr(err, STRAW_ERR_WRITE, "cannot write cache metadata: %s",
				    strerror(e));
	}
	close(fd);
	if (renameat(cfd, CACHE_META_TMP, cfd, CACHE_META) < 0) {
		int e = errno;

		unlinkat(cfd, CACHE_META_TMP, 0);
		return straw_seterr(err, STRAW_ERR_WRITE, "cannot write cache metadata: %s",
				    strerror(e));
	}
	return STRAW_OK;
}

/* Is there a published slurm.conf behind `conf`? */
static bool _has_conf(int cfd)
{
	struct stat st;

	return fstatat(cfd, CACHE_CONF "/" CACHE_SLURM_CONF, &st, 0) == 0 && S_ISREG(st.st_mode);
}

static long long _age(const cache_meta *m, time_t now)
{
	long long age = (long long)now - (long long)m->fetched;

	/* The clock went back: the copy is at least as new as "now". */
	return age < 0 ? 0 : age;
}

static bool _fresh(const straw_options *o, int cfd, const cache_meta *m, time_t now)
{
	return m->fetched > 0 && _age(m, now) < o->ttl_s && (long long)m->fetched <= now + 5 &&
	       _has_conf(cfd);
}

static bool _usable_stale(const straw_options *o, int cfd, const cache_meta *m, time_t now)
{
	return m->fetched > 0 && _age(m, now) <= o->max_stale_s && _has_conf(cfd);
}

/* ---- the lock --------------------------------------------------------- */

/*
 * Take the cluster's lock, waiting at most the fetch deadline plus a
 * margin: whoever holds it is fetching with the same deadline.  *waited is
 * set when another process held it, i.e. when its result is worth reading.
 */
/*
 * A flock belongs to the open file, which fork() shares: a child forked
 * while this process holds the lock (a host's other thread, say) would hold
 * it for as long as it lives, and every refresh would wait it out.  So the
 * child closes its copy; the parent's lock is untouched.
 */
static int _held = -1;
static pthread_once_t _atfork_once = PTHREAD_ONCE_INIT;

static void _atfork_child(void)
{
	if (_held >= 0)
		close(_held);
	_held = -1;
}

static void _atfork_register(void)
{
	pthread_atfork(NULL, NULL, _atfork_child);
}

static void _unlock(int fd)
{
	if (fd < 0)
		return;
	if (_held == fd)
		_held = -1;
	close(fd);
}

static int _lock(const straw_options *o, int cfd, const char *shown, int *out, bool *waited,
		 straw_error *err)
{
	long long limit = (o->deadline_ms > 0 ? o->deadline_ms : 10000) + CACHE_LOCK_MARGIN_MS;
	long long start = _now_ms();
	long pause = 1;
	int fd;

	*waited = false;
	pthread_once(&_atfork_once, _atfork_register);
	fd = openat(cfd, CACHE_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return straw_seterr(err, STRAW_ERR_WRITE, "cannot open %s/%s: %s", shown,
				    CACHE_LOCK, strerror(errno));
	/* From now: the lock taken later through this file is shared with any child. */
	_held = fd;
	for (;;) {
		long long left;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			int e = errno;

			_unlock(fd);
			return straw_seterr(err, STRAW_ERR_WRITE, "cannot lock %s/%s: %s", shown,
					    CACHE_LOCK, strerror(e));
		}
		*waited = true;
		/*
		 * The holder is fetching: its copy, once published, is what
		 * we want, and it needs no lock to read.
		 */
		{
			cache_meta m;

			_meta_read(cfd, &m);
			if (_fresh(o, cfd, &m, time(NULL))) {
				_unlock(fd);
				*out = -1;
				return STRAW_OK;
			}
		}
		left = limit - (_now_ms() - start);
		if (left <= 0) {
			_unlock(fd);
			return straw_seterr(err, STRAW_ERR_UNREACHABLE,
					    "gave up after %lld ms waiting for another process "
					    "fetching into %s (lock %s/%s)", limit, shown, shown,
					    CACHE_LOCK);
		}
		_sleep_ms(pause < left ? pause : (long)left);
		if (pause < 16)
			pause *= 2;
	}
	*out = fd;
	return STRAW_OK;
}

/* ---- publishing ------------------------------------------------------- */

/* Drop generations nobody should still be reading, and leftovers of crashes. */
static void _prune(int cfd, const char *cur, const char *prev)
{
	int fd = openat(cfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		const char *n = e->d_name;

		if (!strncmp(n, "tmp.", 4) ||
		    (!strncmp(n, "gen.", 4) && strcmp(n, cur) && strcmp(n, prev)))
			straw_remove_tree_at(cfd, n);
	}
	closedir(d);
}

/*
 * Write cfg as a new generation and switch `conf` to it with one rename;
 * then record it in meta.  On any failure `conf` still names what it did.
 */
static int _publish(const straw_options *o, int cfd, const char *shown, const straw_config *cfg,
		    const char *servers, cache_meta *m, straw_error *err)
{
	char id[80], tmp[96], gen[96], prev[96] = "";
	struct timespec ts;
	bool has_conf = false;
	ssize_t pl;
	int gfd, rc;

	for (size_t i = 0; i < cfg->nfiles; i++)
		if (cfg->files[i].exists && cfg->files[i].name &&
		    !strcmp(cfg->files[i].name, CACHE_SLURM_CONF))
			has_conf = true;
	if (!has_conf)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "the controller %s sent no slurm.conf (nothing was cached)",
				    cfg->controller[0] ? cfg->controller : servers);

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, sizeof(id), "%llx-%ld-%lx", (long long)ts.tv_sec, (long)getpid(),
		 (unsigned long)ts.tv_nsec);
	snprintf(tmp, sizeof(tmp), "tmp.%s", id);
	snprintf(gen, sizeof(gen), "gen.%s", id);
	if (mkdirat(cfd, tmp, 0700) < 0)
		return straw_seterr(err, STRAW_ERR_WRITE, "cannot create %s/%s: %s", shown, tmp,
				    strerror(errno));
	gfd = openat(cfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (gfd < 0) {
		rc = straw_seterr(err, STRAW_ERR_WRITE, "cannot open %s/%s: %s", shown, tmp,
				  strerror(errno));
		straw_remove_tree_at(cfd, tmp);
		return rc;
	}
	rc = straw_write_files_at(gfd, cfg, err);
	close(gfd);
	if (rc) {
		char inner[STRAW_ERRLEN];

		snprintf(inner, sizeof(inner), "%s", err ? err->msg : "");
		straw_remove_tree_at(cfd, tmp);
		return straw_seterr(err, rc, "%s (cache %s left as it was)", inner, shown);
	}
	if (renameat(cfd, tmp, cfd, gen) < 0) {
		rc = straw_seterr(err, STRAW_ERR_WRITE, "cannot publish %s/%s: %s", shown, gen,
				  strerror(errno));
		straw_remove_tree_at(cfd, tmp);
		return rc;
	}
	pl = readlinkat(cfd, CACHE_CONF, prev, sizeof(prev) - 1);
	prev[pl > 0 ? pl : 0] = '\0';
	unlinkat(cfd, CACHE_CONF_TMP, 0);
	if (symlinkat(gen, cfd, CACHE_CONF_TMP) < 0 ||
	    renameat(cfd, CACHE_CONF_TMP, cfd, CACHE_CONF) < 0) {
		rc = straw_seterr(err, STRAW_ERR_WRITE, "cannot switch %s/%s to %s: %s", shown,
				  CACHE_CONF, gen, strerror(errno));
		unlinkat(cfd, CACHE_CONF_TMP, 0);
		straw_remove_tree_at(cfd, gen);
		return rc;
	}
	m->fetched = cfg->fetched ? cfg->fetched : time(NULL);
	m->failed = 0;
	m->protocol = cfg->protocol;
	snprintf(m->controller, sizeof(m->controller), "%s", cfg->controller);
	m->error[0] = '\0';
	rc = _meta_write(cfd, m, servers, gen, err);
	fsync(cfd);
	_prune(cfd, gen, prev);
	if (rc)
		return rc;
	_log(o, STRAW_LOG_INFO, "cached %zu file(s) from %s (protocol %s) in %s/%s",
	     cfg->nfiles, cfg->controller,
	     straw_protocol_name(cfg->protocol) ? straw_protocol_name(cfg->protocol) : "?", shown,
	     gen);
	return STRAW_OK;
}

/* ---- the entry point -------------------------------------------------- */

/* Fall back on the cached copy after a refresh that reached no controller. */
static int _stale_or_fail(const straw_options *o, int cfd, const cache_meta *m, time_t now,
			  const straw_error *why, bool *stale, straw_error *err)
{
	if (why->code == STRAW_ERR_UNREACHABLE && _usable_stale(o, cfd, m, now)) {
		*stale = true;
		_log(o, STRAW_LOG_WARN,
		     "%s; using the configuration cached %lld s ago from %s (STRAW_MAX_STALE=%d)",
		     why->msg, _age(m, now), m->controller[0] ? m->controller : "?",
		     o->max_stale_s);
		return STRAW_OK;
	}
	if (why->code == STRAW_ERR_UNREACHABLE && m->fetched > 0 && _has_conf(cfd))
		return straw_seterr(err, why->code,
				    "%s; the cached copy is %lld s old, older than "
				    "STRAW_MAX_STALE=%d, so it is not used", why->msg, _age(m, now),
				    o->max_stale_s);
	if (err)
		*err = *why;
	return why->code;
}

int straw_cache_ensure_fn(const straw_options *opts, straw_fetch_fn fetch, char *path,
			  size_t pathlen, bool *stale, straw_error *err)
{
	char root[PATH_MAX], shown[PATH_MAX + 100], key[CACHE_KEY_TEXT + 16];
	const size_t normlen = STRAW_MAX_SERVERS * 270;
	char *norm;
	straw_options fo;
	straw_config *cfg = NULL;
	straw_error ferr = { 0 };
	cache_meta m;
	bool waited, is_stale = false;
	time_t now, wait_start;
	int rfd = -1, cfd = -1, lfd = -1, rc;

	if (stale)
		*stale = false;
	if (!opts || !fetch || !path || !pathlen)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "straw_cache_ensure: bad arguments");
	if (!opts->servers || !*opts->servers)
		return straw_seterr(err, STRAW_ERR_USAGE,
				    "no controller known: set STRAW_SERVERS or SLURM_CONF_SERVER");
	/* On the heap: the loader may run on a host thread with a small stack. */
	norm = malloc(normlen);
	if (!norm)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory");
	rc = _cluster_key(opts, key, sizeof(key), norm, normlen, err);
	if (rc)
		goto early;
	rc = _choose_root(opts, root, sizeof(root), &rfd, err);
	if (rc)
		goto early;
	snprintf(shown, sizeof(shown), "%s/%s", root, key);
	if ((size_t)snprintf(path, pathlen, "%s/%s/%s", shown, CACHE_CONF, CACHE_SLURM_CONF) >=
	    pathlen) {
		close(rfd);
		rc = straw_seterr(err, STRAW_ERR_USAGE,
				  "the cache path %s/%s/%s does not fit in %zu bytes", shown,
				  CACHE_CONF, CACHE_SLURM_CONF, pathlen);
		goto early;
	}
	rc = _open_sub(rfd, key, shown, &cfd, err);
	if (rc == STRAW_OK)
		_alias_update(rfd, opts->servers, key);
	close(rfd);
	if (rc)
		goto early;

	/* The warm path: a few syscalls, no lock. */
	now = time(NULL);
	_meta_read(cfd, &m);
	if (_fresh(opts, cfd, &m, now)) {
		_log(opts, STRAW_LOG_DEBUG, "%s is fresh (fetched %lld s ago from %s)", shown,
		     _age(&m, now), m.controller);
		close(cfd);
		free(norm);
		return STRAW_OK;
	}

	wait_start = time(NULL);
	rc = _lock(opts, cfd, shown, &lfd, &waited, &ferr);
	if (rc) {
		now = time(NULL);
		_meta_read(cfd, &m);
		if (_fresh(opts, cfd, &m, now)) {
			rc = STRAW_OK;
			goto out;
		}
		/* The holder is still at it: a usable older copy beats nothing. */
		rc = _stale_or_fail(opts, cfd, &m, now, &ferr, &is_stale, err);
		goto out;
	}
	now = time(NULL);
	_meta_read(cfd, &m);
	if (_fresh(opts, cfd, &m, now)) {
		_log(opts, STRAW_LOG_DEBUG, "%s was refreshed by another process", shown);
		rc = STRAW_OK;
		goto out;
	}
	if (waited && m.failed >= wait_start) {
		/* The process we waited for just failed: do not queue up behind it. */
		ferr.code = STRAW_ERR_UNREACHABLE;
		snprintf(ferr.msg, sizeof(ferr.msg), "%s",
			 m.error[0] ? m.error : "no controller reachable just now");
		rc = _stale_or_fail(opts, cfd, &m, now, &ferr, &is_stale, err);
		goto out;
	}

	fo = *opts;
	if (fo.protocol == STRAW_PROTOCOL_AUTO && !fo.protocol_hint)
		fo.protocol_hint = m.protocol;
	_log(opts, STRAW_LOG_DEBUG, "refreshing %s from %s", shown, norm);
	straw_token_warn(opts);
	rc = fetch(&fo, &cfg, &ferr);
	if (rc == STRAW_OK && !cfg)
		rc = straw_seterr(&ferr, STRAW_ERR_INTERNAL, "fetch returned no configuration");
	if (rc == STRAW_OK) {
		rc = _publish(opts, cfd, shown, cfg, norm, &m, err);
		goto out;
	}
	ferr.code = rc;
	now = time(NULL);
	if (rc == STRAW_ERR_UNREACHABLE) {
		cache_meta f = m;
		char gen[96] = "";
		ssize_t gl = readlinkat(cfd, CACHE_CONF, gen, sizeof(gen) - 1);

		gen[gl > 0 ? gl : 0] = '\0';
		/* Tell the herd waiting on the lock not to try again right away. */
		f.failed = now;
		snprintf(f.error, sizeof(f.error), "%s", ferr.msg);
		_meta_write(cfd, &f, norm, gen, NULL);
	}
	rc = _stale_or_fail(opts, cfd, &m, now, &ferr, &is_stale, err);
out:
	if (cfg)
		straw_config_free(cfg);
	_unlock(lfd);
	close(cfd);
	free(norm);
	if (stale)
		*stale = rc == STRAW_OK && is_stale;
	return rc;
early:
	free(norm);
	return rc;
}

STRAW_EXPORT int straw_cache_ensure(const straw_options *opts, char *path, size_t pathlen,
				    bool *stale, straw_error *err)
{
	straw_options o;
	char *servers;
	int rc;

	if (opts && opts->servers)
		return straw_cache_ensure_fn(opts, straw_fetch, path, pathlen, stale, err);
	if (!opts)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "straw_cache_ensure: bad arguments");
	/* No list given: DNS SRV names the cluster, and so its cache folder. */
	servers = malloc(STRAW_MAX_SERVERS * 270);
	if (!servers)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory");
	rc = straw_servers_resolve(opts, servers, STRAW_MAX_SERVERS * 270, err);
	if (rc == STRAW_OK) {
		o = *opts;
		o.servers = servers;
		rc = straw_cache_ensure_fn(&o, straw_fetch, path, pathlen, stale, err);
	}
	free(servers);
	return rc;
}
