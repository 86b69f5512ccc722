/*
 * test_loader.c - libstraw-preload.so run for real through LD_PRELOAD.
 *
 * This binary re-executes itself ("--child ...") with the loader preloaded
 * and a controlled environment; the child reports what getenv answered and
 * what the process looks like (engine mapped? sockets? SLURM_CONF in
 * environ?), and the tests check it.  The engine's cache is filled
 * beforehand with a fake fetch, so no controller is needed: the real fetch
 * is only tried against 127.0.0.1 ports where nothing answers.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

#define SERVERS "127.0.0.1:26817"
/* A token-shaped secret: it must never show up in any output. */
#define TOKEN "eyJhbGciOiJIUzI1NiJ9.eyJzdW4iOiJub2JvZHkifQ.c2VjcmV0LXRlc3Qtc2lnbmF0dXJl"
#define TOKEN_TAIL "c2VjcmV0LXRlc3Qtc2lnbmF0dXJl"

extern char **environ;

/* ==== the child: runs under the loader ==================================== */

static char *_environ_get(const char *name)
{
	size_t n = strlen(name);

	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static int _mapped(const char *needle)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			found = 1;
	fclose(f);
	return found;
}

static int _sockets(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char link[300], target[256];
		ssize_t r;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		r = readlink(link, target, sizeof(target) - 1);
		if (r > 0) {
			target[r] = '\0';
			if (!strncmp(target, "socket:", 7))
				n++;
		}
	}
	closedir(d);
	return n;
}

static void _show(const char *label, const char *v)
{
	printf("%s=%s\n", label, v ? v : "(null)");
}

static pthread_barrier_t _go;
static const char *_thread_seen[8];

static void *_thread_getenv(void *arg)
{
	pthread_barrier_wait(&_go);
	_thread_seen[(size_t)arg] = getenv("SLURM_CONF");
	return NULL;
}

/* 8 threads ask at once: the fetch happens once and all see one answer. */
static void _child_threads(void)
{
	pthread_t t[8];
	int distinct = 0;

	pthread_barrier_init(&_go, NULL, 8);
	for (size_t i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, _thread_getenv, (void *)i);
	for (size_t i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	for (size_t i = 0; i < 8; i++) {
		bool same = false;

		for (size_t j = 0; j < i; j++)
			if ((_thread_seen[i] == NULL) == (_thread_seen[j] == NULL) &&
			    (!_thread_seen[i] || !strcmp(_thread_seen[i], _thread_seen[j])))
				same = true;
		if (!same)
			distinct++;
	}
	printf("threads_distinct=%d\n", distinct);
	_show("threads_value", _thread_seen[0]);
}

static void *_thread_slow(void *arg)
{
	(void)arg;
	_thread_seen[0] = getenv("SLURM_CONF");
	return NULL;
}

/*
 * Fork while another thread is inside the loader's slow path (it holds the
 * loader's lock): the child must not inherit a lock held forever.
 */
static void _child_fork_midway(void)
{
	pthread_t t;
	pid_t pid;
	int status = -1;

	pthread_create(&t, NULL, _thread_slow, NULL);
	usleep(400 * 1000);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		alarm(30);
		_show("grandchild", getenv("SLURM_CONF"));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	printf("grandchild_status=%d\n", status);
	pthread_join(t, NULL);
	_show("slow_thread", _thread_seen[0]);
}

/* What a process started from here inherits. */
static void _child_inherit(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		const char *argv[] = { "sh", "-c", "echo \"inherited=${SLURM_CONF-(unset)}\"",
				       NULL };

		execve("/bin/sh", (char **)argv, environ);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

static int _child(int argc, char **argv)
{
	Dl_info info;
	void *sym;
	int kept = 1;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		char *v;

		if (!strcmp(a, "threads")) {
			_child_threads();
			continue;
		}
		if (!strcmp(a, "fork-midway")) {
			_child_fork_midway();
			continue;
		}
		if (!strcmp(a, "inherit")) {
			_child_inherit();
			continue;
		}
		errno = 4242;
		v = a[0] == 's' ? secure_getenv(a + 2) : getenv(a + 2);
		if (errno != 4242)
			kept = 0;
		_show(a + 2, v);
	}
	printf("errno_kept=%d\n", kept);
	sym = dlsym(RTLD_DEFAULT, "getenv");
	printf("getenv_from=%s\n", sym && dladdr(sym, &info) && info.dli_fname ?
	       info.dli_fname : "?");
	printf("engine=%d\n", _mapped("/libstraw.so.1"));
	printf("sockets=%d\n", _sockets());
	_show("environ_SLURM_CONF", _environ_get("SLURM_CONF"));
	fflush(stdout);
	return 0;
}

/* ==== the parent: cmocka tests =========================================== */

static char loader[2 * PATH_MAX];
static char asan[PATH_MAX]; /* the ASan runtime when this binary uses it */
static char base[PATH_MAX];
static char cache[PATH_MAX + 16];
static int fetches;
static long warm_age; /* the fake fetch dates its copy this many seconds back */

typedef struct run {
	int status;
	char out[16384];
	char err[16384];
} run;

static int _rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/straw-test-loader.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	snprintf(cache, sizeof(cache), "%s/cache", base);
	fetches = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(base, _rm, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int _fake_fetch(const straw_options *o, straw_config **out, straw_error *err)
{
	static const char text[] = "ClusterName=loader-test\nSlurmctldHost=ctl(127.0.0.1)\n";
	straw_config *c = calloc(1, sizeof(*c));

	(void)o;
	(void)err;
	fetches++;
	assert_non_null(c);
	c->files = calloc(1, sizeof(*c->files));
	assert_non_null(c->files);
	c->files[0].name = strdup("slurm.conf");
	c->files[0].content = strdup(text);
	assert_non_null(c->files[0].name);
	assert_non_null(c->files[0].content);
	c->files[0].content_len = strlen(text);
	c->files[0].exists = true;
	c->nfiles = 1;
	c->protocol = STRAW_V24_11;
	snprintf(c->controller, sizeof(c->controller), SERVERS);
	c->fetched = time(NULL) - (time_t)warm_age;
	*out = c;
	return STRAW_OK;
}

/* Fill the cache as the engine would, dated age seconds back. */
static const char *warm_servers = SERVERS;

static void _warm(char *path, size_t len, long age)
{
	straw_options o;
	straw_error err;

	memset(&o, 0, sizeof(o));
	o.servers = warm_servers;
	o.cache_dir = cache;
	o.deadline_ms = 5000;
	o.ttl_s = 60;
	o.max_stale_s = 86400;
	warm_age = age;
	assert_int_equal(straw_cache_ensure_fn(&o, _fake_fetch, path, len, NULL, &err), STRAW_OK);
	assert_int_equal(fetches, 1);
}

static void _drain(int fd, char *buf, size_t cap, size_t *len, bool *open)
{
	ssize_t r = read(fd, buf + *len, cap - 1 - *len);

	if (r > 0)
		*len += (size_t)r;
	else if (r == 0 || (errno != EINTR && errno != EAGAIN))
		*open = false;
	buf[*len] = '\0';
}

/*
 * Run this binary as a child under the loader.  env: NULL-terminated extra
 * variables; args: child arguments; local_conf: in a private mount
 * namespace, with /run/slurm/conf/slurm.conf present.
 */
static void _run(run *r, const char *const *env, const char *const *args, bool local_conf)
{
	char preload[4 * PATH_MAX];
	const char *envp[64], *argv[32];
	const char *pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
	size_t ne = 0, na = 0, olen = 0, elen = 0;
	bool oopen = true, eopen = true;
	int op[2], ep[2];
	char passbuf[3][1024];
	pid_t pid;

	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s%s%s", asan, asan[0] ? ":" : "", loader);
	envp[ne++] = preload;
	for (size_t i = 0; i < 3; i++)
		if (getenv(pass[i])) {
			snprintf(passbuf[i], sizeof(passbuf[i]), "%s=%s", pass[i], getenv(pass[i]));
			envp[ne++] = passbuf[i];
		}
	for (size_t i = 0; env && env[i]; i++)
		envp[ne++] = env[i];
	envp[ne] = NULL;
	argv[na++] = "test_loader";
	argv[na++] = "--child";
	for (size_t i = 0; args && args[i]; i++)
		argv[na++] = args[i];
	argv[na] = NULL;

	assert_int_equal(pipe2(op, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ep, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(op[1], 1);
		dup2(ep[1], 2);
		if (local_conf) {
			struct stat st;
			int fd;

			if (unshare(CLONE_NEWNS) < 0 ||
			    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
			    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0) {
				dprintf(2, "cannot make a private /run: %s\n", strerror(errno));
				_exit(96);
			}
			/* Hide the host's own config so only ours is seen. */
			if (stat("/etc/slurm", &st) == 0 &&
			    mount("tmpfs", "/etc/slurm", "tmpfs", 0, "mode=0755") < 0)
				_exit(96);
			mkdir("/run/slurm", 0755);
			mkdir("/run/slurm/conf", 0755);
			fd = open("/run/slurm/conf/slurm.conf", O_WRONLY | O_CREAT, 0644);
			if (fd < 0)
				_exit(96);
			close(fd);
		}
		execve("/proc/self/exe", (char **)argv, (char **)envp);
		_exit(127);
	}
	close(op[1]);
	close(ep[1]);
	for (int waited = 0; (oopen || eopen) && waited < 600; ) {
		struct pollfd p[2] = { { op[0], POLLIN, 0 }, { ep[0], POLLIN, 0 } };
		int n = poll(p, 2, 100);

		if (n == 0) {
			waited++;
			continue;
		}
		if (oopen && p[0].revents)
			_drain(op[0], r->out, sizeof(r->out), &olen, &oopen);
		if (eopen && p[1].revents)
			_drain(ep[0], r->err, sizeof(r->err), &elen, &eopen);
	}
	if (oopen || eopen)
		kill(pid, SIGKILL);
	close(op[0]);
	close(ep[0]);
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
	r->out[olen] = '\0';
	r->err[elen] = '\0';
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)
		print_message("child status %d\nstdout:\n%s\nstderr:\n%s\n", r->status, r->out,
			      r->err);
	assert_true(WIFEXITED(r->status));
	assert_int_equal(WEXITSTATUS(r->status), 0);
}

/* The value the child printed for key ("(null)" when unset). */
static const char *_fact(const run *r, const char *key, char *buf, size_t len)
{
	size_t n = strlen(key);

	for (const char *p = r->out; p && *p; ) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (l > n && !strncmp(p, key, n) && p[n] == '=') {
			snprintf(buf, len, "%.*s", (int)(l - n - 1), p + n + 1);
			return buf;
		}
		p = nl ? nl + 1 : NULL;
	}
	print_message("no %s in child output:\n%s\n", key, r->out);
	fail();
	return NULL;
}

static void _expect(const run *r, const char *key, const char *want)
{
	char buf[PATH_MAX + 64];

	assert_string_equal(_fact(r, key, buf, sizeof(buf)), want);
}

/* The loader answered, not libc: else every other check proves nothing. */
static void _expect_interposed(const run *r)
{
	char buf[PATH_MAX];

	assert_string_equal(_fact(r, "getenv_from", buf, sizeof(buf)), loader);
	_expect(r, "errno_kept", "1");
}

static bool _exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static size_t _lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* Every line of stderr is one of ours, and no secret is in it. */
static void _expect_clean_stderr(const run *r)
{
	for (const char *p = r->err; *p; ) {
		const char *nl = strchr(p, '\n');

		assert_int_equal(strncmp(p, "straw: ", 7), 0);
		assert_non_null(nl);
		p = nl + 1;
	}
	assert_null(strstr(r->err, TOKEN_TAIL));
	assert_null(strstr(r->out, TOKEN_TAIL));
}

/* ---- pass-through ------------------------------------------------------- */

static void test_other_names_pass_through(void **state)
{
	const char *env[] = { "FOO=bar", "EMPTY=", "SLURM_CONF_X=no", NULL };
	const char *args[] = { "g:FOO", "g:EMPTY", "g:NOPE", "s:FOO", "g:SLURM_CONF",
			       "g:SLURM_CONF_X", "g:SLURM_CON", "g:FOO=bar", NULL };
	run r;

	(void)state;
	_run(&r, env, args, false);
	_expect_interposed(&r);
	_expect(&r, "FOO", "bar");
	_expect(&r, "EMPTY", "");
	_expect(&r, "NOPE", "(null)");
	_expect(&r, "SLURM_CONF_X", "no");
	_expect(&r, "SLURM_CON", "(null)");
	_expect(&r, "FOO=bar", "(null)");
	/* No controller source: SLURM_CONF stays unset, nothing is loaded. */
	_expect(&r, "SLURM_CONF", "(null)");
	_expect(&r, "engine", "0");
	_expect(&r, "sockets", "0");
	assert_string_equal(r.err, "");
}

static void test_slurm_conf_set_wins(void **state)
{
	char ce[PATH_MAX + 32];
	const char *env[] = { "SLURM_CONF=/elsewhere/slurm.conf", "STRAW_SERVERS=" SERVERS,
			      "STRAW_OVERRIDE=1", ce, NULL };
	const char *args[] = { "g:SLURM_CONF", "s:SLURM_CONF", NULL };
	run r;

	(void)state;
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, false);
	_expect_interposed(&r);
	_expect(&r, "SLURM_CONF", "/elsewhere/slurm.conf");
	_expect(&r, "engine", "0");
	assert_false(_exists(cache));
	assert_string_equal(r.err, "");
}

static void test_disabled(void **state)
{
	char path[PATH_MAX], ce[PATH_MAX + 32];
	const char *env[] = { "STRAW_DISABLE=1", "STRAW_SERVERS=" SERVERS, "STRAW_OVERRIDE=1",
			      "STRAW_DEBUG=1", ce, NULL };
	const char *args[] = { "g:SLURM_CONF", "s:SLURM_CONF", NULL };
	run r;

	(void)state;
	_warm(path, sizeof(path), 0);
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, false);
	_expect_interposed(&r);
	_expect(&r, "SLURM_CONF", "(null)");
	_expect(&r, "environ_SLURM_CONF", "(null)");
	_expect(&r, "engine", "0");
	assert_string_equal(r.err, "");
}

/* A process that never asks for SLURM_CONF pays nothing. */
static void test_never_asked_costs_nothing(void **state)
{
	char ce[PATH_MAX + 32];
	const char *env[] = { "STRAW_SERVERS=" SERVERS, "STRAW_OVERRIDE=1", "HOME=/nowhere", ce,
			      NULL };
	const char *args[] = { "g:HOME", "g:PATH", "s:HOME", "g:SLURM_CONFX", "g:SLURM_CON", NULL };
	run r;

	(void)state;
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, false);
	_expect_interposed(&r);
	_expect(&r, "HOME", "/nowhere");
	_expect(&r, "SLURM_CONFX", "(null)");
	_expect(&r, "SLURM_CON", "(null)");
	_expect(&r, "engine", "0");
	_expect(&r, "sockets", "0");
	assert_false(_exists(cache));
	assert_string_equal(r.err, "");
}

/* The paths `sh -c true` opens under strace, as one string ("call path\n"...). */
static void _strace(bool preload, const char *out, char *calls, size_t len)
{
	char lp[4 * PATH_MAX], ce[PATH_MAX + 32], line[8192];
	const char *argv[24];
	size_t na = 0, used = 0;
	int status;
	FILE *f;
	pid_t pid;

	snprintf(lp, sizeof(lp), "LD_PRELOAD=%s%s%s", asan, asan[0] ? ":" : "", loader);
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	argv[na++] = "strace";
	argv[na++] = "-f";
	argv[na++] = "-qq";
	argv[na++] = "-o";
	argv[na++] = out;
	argv[na++] = "-e";
	argv[na++] = "trace=network,open,openat,creat,mkdir,mkdirat,symlink,symlinkat,rename,"
		     "renameat,renameat2,unlink,unlinkat,flock";
	argv[na++] = "-E";
	argv[na++] = "STRAW_SERVERS=" SERVERS;
	argv[na++] = "-E";
	argv[na++] = "STRAW_OVERRIDE=1";
	argv[na++] = "-E";
	argv[na++] = ce;
	if (preload) {
		argv[na++] = "-E";
		argv[na++] = lp;
	}
	argv[na++] = "/bin/sh";
	argv[na++] = "-c";
	argv[na++] = "true";
	argv[na] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *envp[] = { "PATH=/usr/bin:/bin", NULL };

		execve("/usr/bin/strace", (char **)argv, (char **)envp);
		dprintf(2, "cannot run /usr/bin/strace (%s): install the strace package\n",
			strerror(errno));
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	calls[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		char *name = line, *paren, *q1, *q2;
		int n;

		if (*name >= '0' && *name <= '9') {
			while (*name && *name != ' ')
				name++; /* the pid */
			while (*name == ' ')
				name++;
		}
		paren = strchr(name, '(');
		if (!paren)
			continue;
		*paren = '\0';
		q1 = strchr(paren + 1, '"');
		q2 = q1 ? strchr(q1 + 1, '"') : NULL;
		if (q2)
			*q2 = '\0';
		n = snprintf(calls + used, len - used, "%s %s\n", name, q2 ? q1 + 1 : "");
		assert_true(n > 0 && (size_t)n < len - used);
		used += (size_t)n;
	}
	fclose(f);
}

static void test_never_asked_strace(void **state)
{
	static char plain[1 << 16], pre[1 << 16];
	char out[PATH_MAX + 32];
	size_t len = sizeof(plain);
	bool saw_loader = false;

	(void)state;
	snprintf(out, sizeof(out), "%s/strace.plain", base);
	_strace(false, out, plain, len);
	snprintf(out, sizeof(out), "%s/strace.preload", base);
	_strace(true, out, pre, len);

	for (char *l = strtok(pre, "\n"); l; l = strtok(NULL, "\n")) {
		const char *path = strchr(l, ' ') + 1;
		char key[PATH_MAX + 64];

		if (!strcmp(path, loader)) {
			saw_loader = true;
			continue;
		}
		snprintf(key, sizeof(key), "%s\n", l);
		if (strstr(plain, key))
			continue;
		/* Beyond the plain run: only loading libraries (the loader's, a sanitizer's). */
		if ((!strncmp(l, "openat ", 7) || !strncmp(l, "open ", 5)) && !strstr(path, "straw") &&
		    (strstr(path, ".so") || (asan[0] && (!strncmp(path, "/proc/", 6) ||
							  !strncmp(path, "/sys/", 5)))))
			continue;
		print_message("extra syscall under the loader: %s\n", l);
		fail();
	}
	assert_true(saw_loader);
	assert_false(_exists(cache));
}

/* ---- SLURM_CONF from the cache ---------------------------------------------- */

static void test_warm_cache_sets_slurm_conf(void **state)
{
	char path[PATH_MAX], ce[PATH_MAX + 32];
	const char *env[] = { "STRAW_SERVERS=" SERVERS, "STRAW_OVERRIDE=1", ce,
			      "SLURM_JWT=" TOKEN, NULL };
	const char *args[] = { "g:SLURM_CONF", "g:SLURM_CONF", "s:SLURM_CONF", "inherit", NULL };
	run r;

	(void)state;
	_warm(path, sizeof(path), 0);
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, false);
	_expect_interposed(&r);
	_expect(&r, "SLURM_CONF", path);
	_expect(&r, "environ_SLURM_CONF", path);
	/* A fresh copy is found without loading the engine (the alias link). */
	_expect(&r, "engine", "0");
	_expect(&r, "sockets", "0");
	/* setenv: a command started from here gets it without the loader's help. */
	_expect(&r, "inherited", path);
	assert_string_equal(r.err, "");
	assert_int_equal(fetches, 1);
}

static void test_slurm_conf_server_is_a_source(void **state)
{
	char path[PATH_MAX], ce[PATH_MAX + 32];
	const char *env[] = { "SLURM_CONF_SERVER=" SERVERS, "STRAW_OVERRIDE=1", ce, NULL };
	const char *args[] = { "g:SLURM_CONF", NULL };
	run r;

	(void)state;
	_warm(path, sizeof(path), 0);
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, false);
	_expect_interposed(&r);
	_expect(&r, "SLURM_CONF", path);
}

static void test_debug_lines_are_prefixed(void **state)
{
	char path[PATH_MAX], ce[PATH_MAX + 32];
	const char *env[] = { "STRAW_SERVERS=" SERVERS, "STRAW_OVERRIDE=1", "STRAW_DEBUG=1", ce,
			      "SLURM_JWT=" TOKEN, NULL };
	const char *args[] = { "g:SLURM_CONF", NULL };
	run r;

	(void)state;
	_warm(path, sizeof(path), 0);
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, false);
	_expect(&r, "SLURM_CONF", path);
	assert_true(_lines(r.err) >= 1);
	assert_non_null(strstr(r.err, path));
	_expect_clean_stderr(&r);
}

static void test_threads_one_answer(void **state)
{
	char path[PATH_MAX], ce[PATH_MAX + 32];
	const char *env[] = { "STRAW_SERVERS=" SERVERS, "STRAW_OVERRIDE=1", ce, NULL };
	const char *args[] = { "threads", NULL };
	run r;

	(void)state;
	_warm(path, sizeof(path), 0);
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, false);
	_expect(&r, "threads_distinct", "1");
	_expect(&r, "threads_value", path);
	_expect(&r, "environ_SLURM_CONF", path);
}

/* A controller nobody answers on: one line, NULL, and the host goes on. */
static void test_unreachable_one_line(void **state)
{
	char ce[PATH_MAX + 32];
	const char *env[] = { "STRAW_SERVERS=127.0.0.1:1", "STRAW_OVERRIDE=1", ce,
			      "STRAW_CONNECT_TIMEOUT=0.5", "STRAW_DEADLINE=2",
			      "SLURM_JWT=" TOKEN, NULL };
	const char *args[] = { "g:SLURM_CONF", "g:SLURM_CONF", "s:SLURM_CONF", NULL };
	run r;

	(void)state;
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, false);
	_expect_interposed(&r);
	_expect(&r, "SLURM_CONF", "(null)");
	_expect(&r, "environ_SLURM_CONF", "(null)");
	_expect(&r, "sockets", "0");
	/* One attempt per process, so one line however often it asks. */
	assert_int_equal(_lines(r.err), 1);
	assert_non_null(strstr(r.err, "127.0.0.1:1"));
	_expect_clean_stderr(&r);
}

/*
 * An expired copy is not for the warm path: the engine is loaded, finds no
 * controller (port 1) and serves the stale copy with one warning.
 */
static void test_expired_copy_goes_to_engine(void **state)
{
	char path[PATH_MAX], ce[PATH_MAX + 32];
	const char *env[] = { "STRAW_SERVERS=127.0.0.1:1", "STRAW_OVERRIDE=1", ce,
			      "STRAW_CONNECT_TIMEOUT=0.5", "STRAW_DEADLINE=2", "SLURM_JWT=" TOKEN, NULL };
	const char *args[] = { "g:SLURM_CONF", NULL };
	run r;

	(void)state;
	warm_servers = "127.0.0.1:1";
	_warm(path, sizeof(path), 120);
	warm_servers = SERVERS;
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, false);
	_expect(&r, "SLURM_CONF", path);
	_expect(&r, "engine", "1");
	assert_int_equal(_lines(r.err), 1);
	assert_non_null(strstr(r.err, "127.0.0.1:1"));
	_expect_clean_stderr(&r);
}

/*
 * SLURM_CONF inherited from a parent's loader (STRAW_SLURM_CONF marks it)
 * is kept fresh like an unset one: fresh, nothing loaded; expired, the
 * engine refreshes it.  Set by anyone else, it is left alone.
 */
static void test_inherited_mark(void **state)
{
	char path[PATH_MAX], ce[PATH_MAX + 32], sc[PATH_MAX + 32], mark[PATH_MAX + 32];
	const char *env[] = { "STRAW_SERVERS=127.0.0.1:1", "STRAW_OVERRIDE=1", ce, sc, mark,
			      "STRAW_CONNECT_TIMEOUT=0.5", "STRAW_DEADLINE=2", "SLURM_JWT=" TOKEN, NULL };
	const char *expired[] = { "STRAW_SERVERS=127.0.0.1:1", "STRAW_OVERRIDE=1", ce, sc, mark,
				  "STRAW_TTL=0", "STRAW_CONNECT_TIMEOUT=0.5", "STRAW_DEADLINE=2",
				  "SLURM_JWT=" TOKEN, NULL };
	const char *unmarked[] = { "STRAW_SERVERS=127.0.0.1:1", "STRAW_OVERRIDE=1", "STRAW_TTL=0",
				   ce, sc, NULL };
	const char *args[] = { "g:SLURM_CONF", NULL };
	run r;

	(void)state;
	warm_servers = "127.0.0.1:1";
	_warm(path, sizeof(path), 0);
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	snprintf(sc, sizeof(sc), "SLURM_CONF=%s", path);
	snprintf(mark, sizeof(mark), "STRAW_SLURM_CONF=%s", path);
	_run(&r, env, args, false);
	_expect(&r, "SLURM_CONF", path);
	_expect(&r, "engine", "0");
	assert_string_equal(r.err, "");

	warm_servers = SERVERS;
	_run(&r, expired, args, false);
	_expect(&r, "SLURM_CONF", path);
	_expect(&r, "engine", "1");
	assert_int_equal(_lines(r.err), 1); /* the stale-copy warning */

	_run(&r, unmarked, args, false);
	_expect(&r, "SLURM_CONF", path);
	_expect(&r, "engine", "0");
	assert_string_equal(r.err, "");
}

/* The engine cannot be found: one line, inert. */
static void test_engine_missing(void **state)
{
	char dir[PATH_MAX + 32], copy[PATH_MAX + 64], ce[PATH_MAX + 32], saved[sizeof(loader)];
	const char *env[] = { "STRAW_SERVERS=" SERVERS, "STRAW_OVERRIDE=1", ce, NULL };
	const char *args[] = { "g:SLURM_CONF", "g:SLURM_CONF", NULL };
	char buf[65536];
	ssize_t n;
	int in, out;
	run r;

	(void)state;
	/* A copy of the loader in a folder without libstraw.so.1 beside it. */
	snprintf(dir, sizeof(dir), "%s/lonely", base);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(copy, sizeof(copy), "%s/libstraw-preload.so", dir);
	in = open(loader, O_RDONLY | O_CLOEXEC);
	out = open(copy, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	snprintf(saved, sizeof(saved), "%s", loader);
	snprintf(loader, sizeof(loader), "%s", copy);
	_run(&r, env, args, false);
	snprintf(loader, sizeof(loader), "%s", saved);
	if (access(STRAW_LIBDIR "/libstraw.so.1", F_OK) == 0) {
		/* An installed engine is the fallback, and it is used. */
		_expect(&r, "engine", "1");
		return;
	}
	_expect(&r, "SLURM_CONF", "(null)");
	assert_int_equal(_lines(r.err), 1);
	assert_non_null(strstr(r.err, "straw: cannot load the engine"));
	assert_non_null(strstr(r.err, dir));
	assert_false(_exists(cache));
}

/* ---- local config, fork ------------------------------------------------------ */

static void test_local_config_wins(void **state)
{
	char path[PATH_MAX], ce[PATH_MAX + 32];
	const char *env[] = { "STRAW_SERVERS=" SERVERS, ce, NULL };
	const char *env_override[] = { "STRAW_SERVERS=" SERVERS, "STRAW_OVERRIDE=1", ce, NULL };
	const char *args[] = { "g:SLURM_CONF", NULL };
	run r;

	(void)state;
	_warm(path, sizeof(path), 0);
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, true);
	_expect_interposed(&r);
	_expect(&r, "SLURM_CONF", "(null)");
	_expect(&r, "engine", "0");
	assert_string_equal(r.err, "");

	_run(&r, env_override, args, true);
	_expect(&r, "SLURM_CONF", path);
	_expect(&r, "engine", "0");
}

static void test_fork_during_attempt(void **state)
{
	char path[PATH_MAX], ce[PATH_MAX + 32], lock[PATH_MAX + 16];
	const char *env[] = { "STRAW_SERVERS=" SERVERS, "STRAW_OVERRIDE=1", ce,
			      "STRAW_DEADLINE=0.3", NULL };
	const char *args[] = { "fork-midway", NULL };
	char *tail;
	run r;
	int fd;

	(void)state;
	/* An expired copy, and its lock held here: the child's attempt waits on it. */
	_warm(path, sizeof(path), 120);
	snprintf(lock, sizeof(lock), "%s", path);
	tail = strstr(lock, "/conf/slurm.conf");
	assert_non_null(tail);
	strcpy(tail, "/lock");
	fd = open(lock, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	snprintf(ce, sizeof(ce), "STRAW_CACHE_DIR=%s", cache);
	_run(&r, env, args, false);
	close(fd);
	/* The grandchild was not stuck on a lock its parent's thread held. */
	_expect(&r, "grandchild_status", "0");
	_expect(&r, "grandchild", path);
	_expect(&r, "slow_thread", path);
	_expect_clean_stderr(&r);
}

static int _find_paths(void)
{
	char exe[PATH_MAX], line[PATH_MAX + 256], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	/* $BUILD/tests/test_loader -> $BUILD/lib/libstraw-preload.so */
	snprintf(line, sizeof(line), "%s/../lib/libstraw-preload.so", exe);
	if (!realpath(line, loader)) {
		fprintf(stderr, "test_loader: %s not found: build the loader first\n", line);
		return -1;
	}
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (p && strstr(p, "/libasan.so")) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(asan, sizeof(asan), "%s", p);
			break;
		}
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_other_names_pass_through, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slurm_conf_set_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_asked_costs_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_asked_strace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warm_cache_sets_slurm_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slurm_conf_server_is_a_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_lines_are_prefixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_one_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_one_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_copy_goes_to_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inherited_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_config_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_during_attempt, setup, teardown),
	};

	if (argc >= 2 && !strcmp(argv[1], "--child"))
		return _child(argc, argv);
	if (_find_paths() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
