/*
 * preload.c - libstraw-preload.so, the LD_PRELOAD shim.
 *
 * libslurm reads SLURM_CONF before any other config source, so the first
 * getenv("SLURM_CONF") is exactly "first use of Slurm".  This library
 * interposes getenv and secure_getenv: every other name is answered from
 * environ directly (no dlsym, no allocation, usable before any constructor
 * has run); SLURM_CONF, when unset and when no local config shadows it,
 * is filled in once per process from the engine's cache.  The engine is
 * dlopen'ed only then, so a process that never asks pays a string compare.
 *
 * One translation unit, libc and libdl only; getenv and secure_getenv are
 * the only exports (preload.map, -fvisibility=hidden).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "straw/straw.h"
#include "alias.h"

#define PRELOAD_EXPORT __attribute__((visibility("default")))
#define PRELOAD_ENGINE "libstraw.so.1"

extern char **environ;

/* Where a node with slurmd/sackd (or a copied config) keeps its own. */
static const char *const _local_confs[] = {
	"/etc/slurm/slurm.conf",
	"/run/slurm/conf/slurm.conf",
};

typedef int (*_options_init_fn)(straw_options *, unsigned, straw_error *);
typedef void (*_options_free_fn)(straw_options *);
typedef bool (*_local_present_fn)(const straw_options *, char *, size_t);
typedef int (*_cache_ensure_fn)(const straw_options *, char *, size_t, bool *, straw_error *);

/*
 * Set while this thread is inside the shim's slow path, so the engine's own
 * getenv calls (and anything they trigger) go straight to environ.
 * initial-exec: the library is loaded at start-up, and this TLS model
 * never allocates on first access.
 */
static __thread int _inside __attribute__((tls_model("initial-exec")));

static pthread_mutex_t _lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t _atfork_once = PTHREAD_ONCE_INIT;
static bool _attempted; /* this process made its one attempt (protected by _lock) */
static bool _running;   /* an attempt is under way in some thread */

/* ---- environ, without libc ------------------------------------------- */

static char *_env(const char *name)
{
	char **e = environ;
	size_t n;

	if (!e || !name || !name[0])
		return NULL;
	for (n = 0; name[n]; n++)
		if (name[n] == '=')
			return NULL;
	for (; *e; e++) {
		const char *s = *e;
		size_t i = 0;

		while (i < n && s[i] == name[i])
			i++;
		if (i == n && s[n] == '=')
			return (char *)s + n + 1;
	}
	return NULL;
}

static bool _is_slurm_conf(const char *name)
{
	static const char want[] = "SLURM_CONF";

	for (size_t i = 0; i < sizeof(want); i++)
		if (name[i] != want[i])
			return false;
	return true;
}

static bool _is_slurm_jwt(const char *name)
{
	static const char want[] = "SLURM_JWT";

	for (size_t i = 0; i < sizeof(want); i++)
		if (name[i] != want[i])
			return false;
	return true;
}

/* A flag variable is on when set to anything but "" or "0". */
static bool _env_on(const char *name)
{
	const char *v = _env(name);

	return v && v[0] && !(v[0] == '0' && v[1] == '\0');
}

static bool _env_set(const char *name)
{
	const char *v = _env(name);

	return v && v[0];
}

/* ---- messages -------------------------------------------------------- */

/* One line to stderr with write(2): no stdio state, no locks, no buffering. */
__attribute__((format(printf, 1, 2)))
static void _say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	memcpy(line, "straw: ", 7);
	va_start(ap, fmt);
	n = vsnprintf(line + 7, sizeof(line) - 8, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += 7;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	for (const char *p = line; n > 0;) {
		ssize_t w = write(STDERR_FILENO, p, (size_t)n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (int)w;
	}
}

static void _engine_log(void *arg, int level, const char *msg)
{
	bool debug = arg != NULL;

	if (level == STRAW_LOG_WARN || debug)
		_say("%s", msg);
}

/* ---- fork safety ----------------------------------------------------- */

/*
 * The child of a fork made while another thread held the lock would find
 * it held forever; it gets a fresh one, and an attempt cut short by the
 * fork is not counted.
 */
static void _atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	memcpy(&_lock, &fresh, sizeof(fresh));
	if (_running) {
		_running = false;
		_attempted = false;
	}
	_inside = 0;
}

static void _atfork_register(void)
{
	pthread_atfork(NULL, NULL, _atfork_child);
}

/* ---- the engine ------------------------------------------------------ */

/* libstraw.so.1 next to this library, else the compiled-in one. */
static void *_engine_open(bool debug)
{
	char path[PATH_MAX], err1[400] = "";
	Dl_info info;
	void *h = NULL;

	if (dladdr((void *)_engine_open, &info) && info.dli_fname) {
		const char *slash = strrchr(info.dli_fname, '/');

		if (slash && (size_t)snprintf(path, sizeof(path), "%.*s/%s",
					      (int)(slash - info.dli_fname), info.dli_fname,
					      PRELOAD_ENGINE) < sizeof(path)) {
			h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
			if (!h)
				snprintf(err1, sizeof(err1), "%s; ", dlerror());
			else if (debug)
				_say("engine %s", path);
		}
	}
	if (!h) {
		h = dlopen(STRAW_LIBDIR "/" PRELOAD_ENGINE, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			_say("cannot load the engine: %s%s; Slurm commands will not find a "
			     "configuration", err1, dlerror());
		else if (debug)
			_say("engine %s", STRAW_LIBDIR "/" PRELOAD_ENGINE);
	}
	return h;
}

/*
 * SLURM_CONF for this process and its children, and STRAW_SLURM_CONF, the
 * mark that tells a child's loader the value is ours to keep fresh.
 */
static bool _export(const char *path)
{
	if (setenv("SLURM_CONF", path, 1) != 0 || setenv("STRAW_SLURM_CONF", path, 1) != 0) {
		_say("cannot set SLURM_CONF=%s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

/* The one attempt of this process: ensure the cache, export SLURM_CONF. */
static void _attempt(bool debug)
{
	_options_init_fn init;
	_options_free_fn ofree;
	_local_present_fn local;
	_cache_ensure_fn ensure;
	char which[PATH_MAX];
	straw_options o;
	straw_error e;
	char path[PATH_MAX];
	bool stale = false;
	void *h;

	h = _engine_open(debug);
	if (!h)
		return;
	*(void **)&init = dlsym(h, "straw_options_init_flags");
	*(void **)&ofree = dlsym(h, "straw_options_free");
	*(void **)&local = dlsym(h, "straw_local_config_present");
	*(void **)&ensure = dlsym(h, "straw_cache_ensure");
	if (!init || !ofree || !local || !ensure) {
		_say("the engine %s lacks the functions this loader needs: "
		     "install matching straw packages", PRELOAD_ENGINE);
		dlclose(h);
		return;
	}
	/* The engine stays loaded: its plugins may have registered exit handlers. */
	memset(&e, 0, sizeof(e));
	/* Lenient: a bad straw.conf is reported, never a reason to fail the host. */
	if (init(&o, STRAW_INIT_LENIENT, &e) != STRAW_OK) {
		_say("SLURM_CONF not set: %s", e.msg);
		return;
	}
	if (o.warning[0])
		_say("%s", o.warning);
	if (!o.override && local(&o, which, sizeof(which))) {
		if (debug)
			_say("%s exists and wins (override=yes in straw.conf or STRAW_OVERRIDE=1 "
			     "reverses that); SLURM_CONF left unset", which);
		ofree(&o);
		return;
	}
	if (!o.servers && !o.config_file) {
		if (debug)
			_say("no controller known; SLURM_CONF left unset");
		ofree(&o);
		return;
	}
	o.log = _engine_log;
	o.log_arg = debug ? (void *)1 : NULL;
	o.verbosity = debug ? STRAW_LOG_DEBUG : STRAW_LOG_WARN;
	if (ensure(&o, path, sizeof(path), &stale, &e) != STRAW_OK) {
		_say("no Slurm configuration from %.200s: %s",
		     o.servers ? o.servers : "DNS SRV _slurmctld._tcp", e.msg);
		ofree(&o);
		return;
	}
	ofree(&o);
	if (!_export(path))
		return;
	if (debug)
		_say("SLURM_CONF=%s%s", path, stale ? " (stale copy)" : "");
}

/* ---- the warm path, without the engine ------------------------------ */

/*
 * Open a cache folder candidate read-only as the engine would accept it.
 * 1: opened (*fd); 0: absent and its parent too (the engine skips it);
 * -1: anything else (the engine decides: creates it, or refuses it).
 */
static int _root_try(const char *dir, int *fd)
{
	char parent[PATH_MAX];
	const char *slash;
	struct stat st;
	int f = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (f >= 0) {
		if (fstat(f, &st) == 0 && st.st_uid == geteuid() && !(st.st_mode & 022) &&
		    (st.st_mode & 0700) == 0700) {
			*fd = f;
			return 1;
		}
		close(f);
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir || (size_t)(slash - dir) >= sizeof(parent))
		return -1;
	memcpy(parent, dir, (size_t)(slash - dir));
	parent[slash - dir] = '\0';
	return stat(parent, &st) == 0 ? -1 : 0;
}

/* The cache folder, chosen as lib/cache.c chooses it; false: ask the engine. */
static bool _root_open(char *dir, size_t len, int *fd)
{
	const char *v = _env("STRAW_CACHE_DIR");
	struct stat st;
	int r;

	if (v && v[0]) {
		if (v[0] != '/' || (size_t)snprintf(dir, len, "%s", v) >= len)
			return false;
		return _root_try(dir, fd) == 1;
	}
	v = _env("XDG_RUNTIME_DIR");
	if (v && v[0] == '/' && stat(v, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && (size_t)snprintf(dir, len, "%s/straw", v) < len) {
		r = _root_try(dir, fd);
		if (r)
			return r == 1;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(dir, len, "%s%u", i == 0 ? "/dev/shm/straw-" : "/tmp/straw-",
			 (unsigned)geteuid());
		r = _root_try(dir, fd);
		if (r)
			return r == 1;
	}
	return false;
}

/* "fetched=<seconds>" from the cluster's meta file; 0 when absent. */
static long long _meta_fetched(int cfd)
{
	char buf[1024];
	ssize_t n = 0;
	const char *p;
	long long t = 0;
	int fd = openat(cfd, "meta", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf) - 1)) < 0 && errno == EINTR)
		;
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "fetched=", 8) != 0)
			continue;
		for (p += 8; *p >= '0' && *p <= '9' && t < 1000000000000LL; p++)
			t = t * 10 + (*p - '0');
		return *p == '\n' || *p == '\0' ? t : 0;
	}
	return 0;
}

/*
 * Is the copy for this controller list fresh?  Then its slurm.conf goes
 * to path, with no engine loaded: the alias link (alias.h) names the
 * cluster's folder, whose meta says when it was fetched.  Any doubt (no
 * alias, odd TTL, a folder that fails a check) answers false, and the
 * engine, which checks everything and explains, takes over.
 */
static bool _fast_fresh(const char *servers, char *path, size_t len)
{
	char root[PATH_MAX], alias[STRAW_ALIAS_LEN], key[128];
	const char *ttl_s = _env("STRAW_TTL");
	long long ttl = 60, fetched, now;
	struct stat st;
	bool fresh = false;
	int rfd, cfd;
	ssize_t n;

	if (ttl_s && ttl_s[0]) {
		ttl = 0;
		for (const char *p = ttl_s; *p; p++) {
			if (*p < '0' || *p > '9' || ttl > 100000000)
				return false;
			ttl = ttl * 10 + (*p - '0');
		}
	}
	if (!_root_open(root, sizeof(root), &rfd))
		return false;
	straw_alias_name(servers, alias);
	n = readlinkat(rfd, alias, key, sizeof(key) - 1);
	if (n <= 0 || (size_t)n >= sizeof(key) - 1) {
		close(rfd);
		return false;
	}
	key[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (key[i] == '/' || (key[i] == '.' && i == 0)) {
			close(rfd);
			return false;
		}
	cfd = openat(rfd, key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(rfd);
	if (cfd < 0)
		return false;
	if (fstat(cfd, &st) == 0 && st.st_uid == geteuid() && !(st.st_mode & 022)) {
		fetched = _meta_fetched(cfd);
		now = (long long)time(NULL);
		fresh = fetched > 0 && now - fetched < ttl && fetched <= now + 5 &&
			fstatat(cfd, "conf/slurm.conf", &st, 0) == 0 && S_ISREG(st.st_mode) &&
			(size_t)snprintf(path, len, "%s/%s/conf/slurm.conf", root, key) < len;
	}
	close(cfd);
	return fresh;
}

/* Is there a straw.conf ($STRAW_CONF, else the compiled-in one)? */
static bool _conf_file_present(void)
{
	const char *named = _env("STRAW_CONF");
	struct stat st;

	if (named && *named)
		return true; /* named: the engine reads it, or says why it cannot */
	return stat(STRAW_SYSCONFDIR "/straw.conf", &st) == 0;
}

/* getenv("SLURM_CONF") found it unset: decide, maybe fill it in. */
static char *_slurm_conf(void)
{
	int saved = errno;
	bool debug, conf;
	char *v = NULL;

	if (_inside || getauxval(AT_SECURE) || _env_on("STRAW_DISABLE"))
		return NULL;
	_inside = 1;
	debug = _env_on("STRAW_DEBUG");
	conf = _conf_file_present();
	/* With a straw.conf, the engine decides: the file may say override=yes. */
	if (!conf && !_env_on("STRAW_OVERRIDE")) {
		for (size_t i = 0; i < sizeof(_local_confs) / sizeof(_local_confs[0]); i++) {
			struct stat st;

			if (stat(_local_confs[i], &st) == 0) {
				/* Local wins, as in Slurm: do not shadow a node's own config. */
				if (debug)
					_say("%s exists and wins (STRAW_OVERRIDE=1 reverses that); "
					     "SLURM_CONF left unset", _local_confs[i]);
				goto out;
			}
		}
	}
	if (!conf && !_env_set("STRAW_SERVERS") && !_env_set("SLURM_CONF_SERVER")) {
		if (debug)
			_say("no controller known (STRAW_SERVERS, SLURM_CONF_SERVER, straw.conf); "
			     "SLURM_CONF left unset");
		goto out;
	}
	pthread_once(&_atfork_once, _atfork_register);
	pthread_mutex_lock(&_lock);
	if (!_attempted) {
		const char *servers = _env_set("STRAW_SERVERS") ? _env("STRAW_SERVERS")
							       : _env("SLURM_CONF_SERVER");
		char path[PATH_MAX];

		_running = true;
		/* Without a straw.conf the environment says it all: try the warm path. */
		if (!conf && servers && _fast_fresh(servers, path, sizeof(path))) {
			if (_export(path) && debug)
				_say("SLURM_CONF=%s (fresh copy)", path);
		} else {
			_attempt(debug);
		}
		_running = false;
		_attempted = true;
	}
	pthread_mutex_unlock(&_lock);
	v = _env("SLURM_CONF");
out:
	_inside = 0;
	errno = saved;
	return v;
}

/* ---- the token of STRAW_JWT_FILE, for libslurm ------------------------ */

/*
 * libslurm authenticates with auth/jwt when getenv("SLURM_JWT") answers.
 * A container given only STRAW_JWT_FILE gets its token from that file, read
 * once per process (a rotated file serves the next command), and only in a
 * process whose SLURM_CONF straw set, so no other configuration changes
 * how it authenticates.  The buffer is never freed: libslurm keeps the
 * pointer.
 */
static char _jwt[16384];
static bool _jwt_read;

static char *_slurm_jwt(void)
{
	int saved = errno;
	const char *file, *conf, *mark;
	char *v = NULL;

	if (_inside || getauxval(AT_SECURE) || _env_on("STRAW_DISABLE"))
		return NULL;
	file = _env("STRAW_JWT_FILE");
	conf = _env("SLURM_CONF");
	mark = _env("STRAW_SLURM_CONF");
	if (!file || !*file || !conf || !mark || strcmp(conf, mark))
		return NULL;
	_inside = 1;
	pthread_mutex_lock(&_lock);
	if (!_jwt_read) {
		int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		size_t len = 0;

		_jwt_read = true;
		if (fd >= 0) {
			for (;;) {
				ssize_t r = read(fd, _jwt + len, sizeof(_jwt) - 1 - len);

				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					break;
				len += (size_t)r;
				if (len == sizeof(_jwt) - 1)
					break;
			}
			close(fd);
		}
		while (len && (_jwt[len - 1] == '\n' || _jwt[len - 1] == '\r' ||
			       _jwt[len - 1] == ' ' || _jwt[len - 1] == '\t'))
			len--;
		_jwt[len] = '\0';
		if (!len)
			_say("no token in STRAW_JWT_FILE=%s", file);
	}
	if (_jwt[0])
		v = _jwt;
	pthread_mutex_unlock(&_lock);
	_inside = 0;
	errno = saved;
	return v;
}

/* ---- the interposed functions ---------------------------------------- */

PRELOAD_EXPORT char *getenv(const char *name)
{
	const char *n = name;
	char *v;

	/*
	 * libc declares name nonnull, so the compiler would drop the NULL
	 * checks; hide the pointer from it: a NULL gets NULL, not a crash.
	 */
	__asm__("" : "+r"(n));
	v = _env(n);
	if (n && !v && _is_slurm_jwt(n))
		return _slurm_jwt();
	if (!n || !_is_slurm_conf(n))
		return v;
	if (!v)
		return _slurm_conf();
	/*
	 * Set by the loader of a parent process (the mark says so): this
	 * process keeps it fresh too, once, as if it had found it unset.
	 */
	if (!_attempted && !_inside) {
		const char *mark = _env("STRAW_SLURM_CONF");

		if (mark && !strcmp(mark, v)) {
			char *fresh = _slurm_conf();

			if (fresh)
				return fresh;
		}
	}
	return v;
}

PRELOAD_EXPORT char *secure_getenv(const char *name)
{
	if (getauxval(AT_SECURE))
		return NULL;
	return getenv(name);
}
