/*
 * test_cache.c - the per-user cache (lib/cache.c) with a fake fetch: folder
 * checks, TTL, generations behind the stable `conf` link, stale use, the
 * herd lock, and refusal of bad file sets.  No controller is involved.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

#define SERVERS "127.0.0.1:26817"

enum fake_mode { FAKE_OK, FAKE_UNREACHABLE, FAKE_AUTH, FAKE_BAD_NAME, FAKE_NO_SLURM_CONF };

/* What the fake fetch does, and what it saw. */
static struct {
	enum fake_mode mode;
	long long age;          /* the copy is dated now - age */
	int sleep_ms;
	const char *count_file; /* one byte appended per call (shared across fork) */
	int calls;
	int generation;         /* numbers each successful fetch's content */
	uint16_t hint_seen;
} fake;

static struct {
	int warnings;
	int others;
	char last[1024];
} logged;

static char base[PATH_MAX];
static char cache[PATH_MAX + 16];
static straw_options opts;

static char *_dup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static int _fake_fetch(const straw_options *o, straw_config **out, straw_error *err)
{
	straw_config *c;
	char text[128];

	fake.calls++;
	fake.hint_seen = o->protocol_hint;
	if (fake.count_file) {
		int fd = open(fake.count_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0) {
			(void)!write(fd, "x", 1);
			close(fd);
		}
	}
	if (fake.sleep_ms)
		usleep((useconds_t)fake.sleep_ms * 1000);
	if (fake.mode == FAKE_UNREACHABLE)
		return straw_seterr(err, STRAW_ERR_UNREACHABLE,
				    "fake: every controller down (127.0.0.1:26817 refused)");
	if (fake.mode == FAKE_AUTH)
		return straw_seterr(err, STRAW_ERR_AUTH, "fake: credential refused");

	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->files = calloc(4, sizeof(*c->files));
	assert_non_null(c->files);
	fake.generation++;
	snprintf(text, sizeof(text), "ClusterName=test\n# generation %d\n", fake.generation);
	c->files[0].name = _dup(fake.mode == FAKE_NO_SLURM_CONF ? "cgroup2.conf" : "slurm.conf");
	c->files[0].content = _dup(text);
	c->files[0].content_len = strlen(text);
	c->files[0].exists = true;
	c->files[1].name = _dup("cgroup.conf");
	c->files[1].exists = true;
	c->files[1].content_null = true;
	c->files[2].name = _dup("topology.conf");
	c->files[2].exists = false;
	c->files[3].name = _dup(fake.mode == FAKE_BAD_NAME ? "../evil" : "plugstack.conf");
	c->files[3].content = _dup("include /dev/null\n");
	c->files[3].content_len = strlen(c->files[3].content);
	c->files[3].exists = true;
	c->nfiles = 4;
	c->protocol = STRAW_V24_11;
	snprintf(c->controller, sizeof(c->controller), "127.0.0.1:26817");
	c->fetched = time(NULL) - (time_t)fake.age;
	*out = c;
	return STRAW_OK;
}

static void _log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level == STRAW_LOG_WARN)
		logged.warnings++;
	else
		logged.others++;
	snprintf(logged.last, sizeof(logged.last), "%s", msg);
}

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
	snprintf(base, sizeof(base), "/tmp/straw-test-cache.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	snprintf(cache, sizeof(cache), "%s/c", base);
	memset(&fake, 0, sizeof(fake));
	memset(&logged, 0, sizeof(logged));
	memset(&opts, 0, sizeof(opts));
	opts.servers = SERVERS;
	opts.auth = "auto";
	opts.cache_dir = cache;
	opts.deadline_ms = 5000;
	opts.ttl_s = 60;
	opts.max_stale_s = 86400;
	opts.log = _log;
	opts.verbosity = STRAW_LOG_DEBUG;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(base, _rm, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int _ensure(char *path, size_t len, bool *stale, straw_error *err)
{
	memset(err, 0, sizeof(*err));
	return straw_cache_ensure_fn(&opts, _fake_fetch, path, len, stale, err);
}

static size_t _entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    !strncmp(e->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

static void _slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	assert_true(fd >= 0);
	r = read(fd, buf, len - 1);
	assert_true(r >= 0);
	buf[r] = '\0';
	close(fd);
}

/* <cache>/<key> from <cache>/<key>/conf/slurm.conf */
static void _cluster_dir(const char *path, char *out, size_t len)
{
	const char *tail = strstr(path, "/conf/slurm.conf");

	assert_non_null(tail);
	snprintf(out, len, "%.*s", (int)(tail - path), path);
}

static void _conf_target(const char *cdir, char *out, size_t len)
{
	char link[PATH_MAX + 16];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/conf", cdir);
	n = readlink(link, out, len - 1);
	assert_true(n > 0);
	out[n] = '\0';
}

/* ---- the cache folder ------------------------------------------------- */

static void test_creates_folder_0700(void **state)
{
	char path[PATH_MAX];
	straw_error err;
	struct stat st;
	mode_t old = umask(0);
	bool stale = true;
	int rc;

	(void)state;
	rc = _ensure(path, sizeof(path), &stale, &err);
	umask(old);
	assert_int_equal(rc, STRAW_OK);
	assert_false(stale);
	assert_int_equal(lstat(cache, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(strncmp(path, cache, strlen(cache)), 0);
}

static void test_refuses_symlink(void **state)
{
	char real[PATH_MAX + 16], path[PATH_MAX];
	straw_error err;
	struct stat st;
	int rc;

	(void)state;
	snprintf(real, sizeof(real), "%s/real", base);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, cache), 0);
	rc = _ensure(path, sizeof(path), NULL, &err);
	assert_int_equal(rc, STRAW_ERR_WRITE);
	assert_non_null(strstr(err.msg, cache));
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_non_null(strstr(err.msg, "STRAW_CACHE_DIR"));
	assert_int_equal(fake.calls, 0);
	assert_int_equal(_entries(real, ""), 0);
	assert_int_equal(lstat(cache, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

static void test_refuses_mode_0777(void **state)
{
	char path[PATH_MAX];
	straw_error err;
	int rc;

	(void)state;
	assert_int_equal(mkdir(cache, 0700), 0);
	assert_int_equal(chmod(cache, 0777), 0);
	rc = _ensure(path, sizeof(path), NULL, &err);
	assert_int_equal(rc, STRAW_ERR_WRITE);
	assert_non_null(strstr(err.msg, cache));
	assert_non_null(strstr(err.msg, "0777"));
	assert_non_null(strstr(err.msg, "writable by others"));
	assert_int_equal(fake.calls, 0);
	assert_int_equal(_entries(cache, ""), 0);

	/* Group-writable is refused too; a private 0700 is then accepted. */
	assert_int_equal(chmod(cache, 0770), 0);
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_ERR_WRITE);
	assert_int_equal(_entries(cache, ""), 0);
	assert_int_equal(chmod(cache, 0700), 0);
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
}

static void test_refuses_other_owner(void **state)
{
	char path[PATH_MAX];
	straw_error err;
	int rc;

	(void)state;
	if (geteuid() == 0) {
		assert_int_equal(mkdir(cache, 0700), 0);
		assert_int_equal(chown(cache, 65534, 65534), 0);
	} else {
		/* Not root: a folder owned by root stands in for "someone else's". */
		opts.cache_dir = "/";
		snprintf(cache, sizeof(cache), "/");
	}
	rc = _ensure(path, sizeof(path), NULL, &err);
	assert_int_equal(rc, STRAW_ERR_WRITE);
	assert_non_null(strstr(err.msg, cache));
	assert_non_null(strstr(err.msg, "not to you"));
	assert_int_equal(fake.calls, 0);
	if (geteuid() == 0)
		assert_int_equal(_entries(cache, ""), 0);
}

static void test_parent_missing(void **state)
{
	char dir[PATH_MAX + 32], path[PATH_MAX];
	straw_error err;
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/missing/c", base);
	opts.cache_dir = dir;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_ERR_WRITE);
	assert_non_null(strstr(err.msg, dir));
	assert_int_equal(fake.calls, 0);
	snprintf(dir, sizeof(dir), "%s/missing", base);
	assert_int_not_equal(stat(dir, &st), 0);
}

static void test_cluster_folder_symlink_refused(void **state)
{
	char path[PATH_MAX], cdir[PATH_MAX], elsewhere[PATH_MAX + 16];
	straw_error err;

	(void)state;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	_cluster_dir(path, cdir, sizeof(cdir));
	/* Swap the cluster folder for a link to somewhere else. */
	snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", base);
	assert_int_equal(rename(cdir, elsewhere), 0);
	assert_int_equal(symlink(elsewhere, cdir), 0);
	opts.ttl_s = 0;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_ERR_WRITE);
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_int_equal(fake.calls, 1);
}

static void test_xdg_runtime_dir(void **state)
{
	char xdg[PATH_MAX + 16], want[PATH_MAX + 32], path[PATH_MAX];
	straw_error err;
	struct stat st;

	(void)state;
	snprintf(xdg, sizeof(xdg), "%s/xdg", base);
	assert_int_equal(mkdir(xdg, 0700), 0);
	assert_int_equal(setenv("XDG_RUNTIME_DIR", xdg, 1), 0);
	opts.cache_dir = NULL;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(want, sizeof(want), "%s/straw/", xdg);
	assert_int_equal(strncmp(path, want, strlen(want)), 0);
	want[strlen(want) - 1] = '\0';
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

static void test_relative_cache_dir_made_absolute(void **state)
{
	char cwd[PATH_MAX], path[PATH_MAX], want[PATH_MAX + 16];
	straw_error err;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(base), 0);
	opts.cache_dir = "rel";
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	assert_int_equal(chdir(cwd), 0);
	snprintf(want, sizeof(want), "%s/rel/", base);
	assert_int_equal(strncmp(path, want, strlen(want)), 0);
	assert_int_equal(access(path, R_OK), 0);
}

/* ---- cluster keys ------------------------------------------------------ */

static void test_key_normalised(void **state)
{
	char p1[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX], p4[PATH_MAX], p5[PATH_MAX];
	straw_error err;

	(void)state;
	assert_int_equal(_ensure(p1, sizeof(p1), NULL, &err), STRAW_OK);
	opts.servers = " 127.0.0.1:26817 ,127.0.0.1:26817";
	assert_int_equal(_ensure(p2, sizeof(p2), NULL, &err), STRAW_OK);
	assert_string_equal(p1, p2);
	assert_int_equal(fake.calls, 1);

	opts.servers = "127.0.0.1:26818";
	assert_int_equal(_ensure(p3, sizeof(p3), NULL, &err), STRAW_OK);
	assert_string_not_equal(p1, p3);
	assert_int_equal(fake.calls, 2);

	/* The default port is spelt out; host names ignore case. */
	opts.servers = "CTL.example";
	assert_int_equal(_ensure(p4, sizeof(p4), NULL, &err), STRAW_OK);
	opts.servers = "ctl.example:6817";
	assert_int_equal(_ensure(p5, sizeof(p5), NULL, &err), STRAW_OK);
	assert_string_equal(p4, p5);
	assert_int_equal(fake.calls, 3);
	assert_non_null(strstr(p4, "/ctl.example_6817-"));

	/* A backup makes it another cluster entry (another failover order). */
	opts.servers = "127.0.0.1:26817,[::1]:26817";
	assert_int_equal(_ensure(p5, sizeof(p5), NULL, &err), STRAW_OK);
	assert_string_not_equal(p1, p5);
	assert_null(strchr(strstr(p5, "/c/") + 3, '['));
}

static void test_bad_servers(void **state)
{
	char path[PATH_MAX];
	straw_error err;

	(void)state;
	opts.servers = NULL;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_ERR_USAGE);
	assert_non_null(strstr(err.msg, "STRAW_SERVERS"));
	opts.servers = "a:b:c";
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_ERR_USAGE);
	assert_int_equal(fake.calls, 0);
	assert_int_equal(_entries(base, ""), 0);
}

static void test_path_too_small(void **state)
{
	char path[16];
	straw_error err;

	(void)state;
	assert_int_not_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	assert_int_equal(fake.calls, 0);
}

/* ---- freshness and generations ----------------------------------------- */

static void test_fetch_once_then_fresh(void **state)
{
	char path[PATH_MAX], again[PATH_MAX], cdir[PATH_MAX], buf[4096], meta[2 * PATH_MAX];
	straw_error err;
	struct stat st;
	bool stale = true;

	(void)state;
	assert_int_equal(_ensure(path, sizeof(path), &stale, &err), STRAW_OK);
	assert_false(stale);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.hint_seen, 0);
	_slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "ClusterName=test\n# generation 1\n");
	assert_non_null(strstr(path, "/127.0.0.1_26817-"));

	_cluster_dir(path, cdir, sizeof(cdir));
	snprintf(meta, sizeof(meta), "%s/conf/cgroup.conf", cdir);
	assert_int_equal(stat(meta, &st), 0);
	assert_int_equal(st.st_size, 0);
	snprintf(meta, sizeof(meta), "%s/conf/topology.conf", cdir);
	assert_int_not_equal(stat(meta, &st), 0);

	snprintf(meta, sizeof(meta), "%s/meta", cdir);
	_slurp(meta, buf, sizeof(buf));
	assert_non_null(strstr(buf, "controller=127.0.0.1:26817\n"));
	assert_non_null(strstr(buf, "protocol=0x2a00\n"));
	assert_non_null(strstr(buf, "fetched="));
	assert_int_equal(lstat(meta, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);

	/* Within the TTL: no fetch at all, the same path. */
	assert_int_equal(_ensure(again, sizeof(again), &stale, &err), STRAW_OK);
	assert_false(stale);
	assert_int_equal(fake.calls, 1);
	assert_string_equal(path, again);
}

static void test_ttl_refetch_new_generation(void **state)
{
	char path[PATH_MAX], again[PATH_MAX], cdir[PATH_MAX], g1[256], g2[256], buf[4096];
	straw_error err;

	(void)state;
	fake.age = 120; /* older than the 60 s TTL as soon as it is written */
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	_cluster_dir(path, cdir, sizeof(cdir));
	_conf_target(cdir, g1, sizeof(g1));
	assert_int_equal(strncmp(g1, "gen.", 4), 0);

	assert_int_equal(_ensure(again, sizeof(again), NULL, &err), STRAW_OK);
	assert_int_equal(fake.calls, 2);
	/* The negotiated version is offered first next time. */
	assert_int_equal(fake.hint_seen, STRAW_V24_11);
	assert_string_equal(path, again);
	_conf_target(cdir, g2, sizeof(g2));
	assert_string_not_equal(g1, g2);
	_slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "generation 2"));
	assert_int_equal(_entries(cdir, "gen."), 2);

	/* More refreshes keep the current and the previous generation only. */
	assert_int_equal(_ensure(again, sizeof(again), NULL, &err), STRAW_OK);
	assert_int_equal(_ensure(again, sizeof(again), NULL, &err), STRAW_OK);
	assert_int_equal(fake.calls, 4);
	assert_int_equal(_entries(cdir, "gen."), 2);
	assert_int_equal(_entries(cdir, "tmp."), 0);
	_slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "generation 4"));

	/* A fixed protocol is not overridden by the remembered one. */
	opts.protocol = STRAW_V22_05;
	assert_int_equal(_ensure(again, sizeof(again), NULL, &err), STRAW_OK);
	assert_int_equal(fake.hint_seen, 0);
}

static void test_missing_file_refetches(void **state)
{
	char path[PATH_MAX];
	straw_error err;

	(void)state;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	assert_int_equal(fake.calls, 2);
	assert_int_equal(access(path, R_OK), 0);
}

static void test_ttl_zero_always_fetches(void **state)
{
	char path[PATH_MAX];
	straw_error err;

	(void)state;
	opts.ttl_s = 0;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	assert_int_equal(fake.calls, 2);
}

/* ---- stale use ------------------------------------------------------------ */

static void test_stale_used_when_down(void **state)
{
	char path[PATH_MAX], again[PATH_MAX], buf[4096];
	straw_error err;
	bool stale = false;

	(void)state;
	fake.age = 120;
	assert_int_equal(_ensure(path, sizeof(path), &stale, &err), STRAW_OK);
	assert_false(stale);
	logged.warnings = 0;

	fake.mode = FAKE_UNREACHABLE;
	assert_int_equal(_ensure(again, sizeof(again), &stale, &err), STRAW_OK);
	assert_true(stale);
	assert_int_equal(fake.calls, 2);
	assert_string_equal(path, again);
	assert_int_equal(logged.warnings, 1);
	assert_non_null(strstr(logged.last, "every controller down"));
	assert_non_null(strstr(logged.last, "12")); /* the age, 120-ish seconds */
	assert_non_null(strstr(logged.last, " s ago"));
	_slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "generation 1"));
}

static void test_stale_too_old_refused(void **state)
{
	char path[PATH_MAX];
	straw_error err;
	bool stale = true;

	(void)state;
	fake.age = 90000;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	logged.warnings = 0;
	fake.mode = FAKE_UNREACHABLE;
	assert_int_equal(_ensure(path, sizeof(path), &stale, &err), STRAW_ERR_UNREACHABLE);
	assert_false(stale);
	assert_int_equal(logged.warnings, 0);
	assert_non_null(strstr(err.msg, "every controller down"));
	assert_non_null(strstr(err.msg, "STRAW_MAX_STALE"));

	/* Cold cache, nothing to fall back on. */
	opts.servers = "127.0.0.1:26899";
	assert_int_equal(_ensure(path, sizeof(path), &stale, &err), STRAW_ERR_UNREACHABLE);
	assert_false(stale);
	assert_non_null(strstr(err.msg, "every controller down"));
}

static void test_other_errors_not_stale(void **state)
{
	char path[PATH_MAX];
	straw_error err;
	bool stale = true;

	(void)state;
	fake.age = 120;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	fake.mode = FAKE_AUTH;
	assert_int_equal(_ensure(path, sizeof(path), &stale, &err), STRAW_ERR_AUTH);
	assert_false(stale);
	assert_string_equal(err.msg, "fake: credential refused");
	assert_int_equal(logged.warnings, 0);
}

static void test_lock_timeout_uses_stale(void **state)
{
	char path[PATH_MAX], cdir[PATH_MAX], lock[PATH_MAX + 16];
	straw_error err;
	bool stale = false;
	int fd;

	(void)state;
	fake.age = 120;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	_cluster_dir(path, cdir, sizeof(cdir));
	snprintf(lock, sizeof(lock), "%s/lock", cdir);
	fd = open(lock, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	opts.deadline_ms = 100; /* the wait is bounded by deadline + margin */
	logged.warnings = 0;
	assert_int_equal(_ensure(path, sizeof(path), &stale, &err), STRAW_OK);
	assert_true(stale);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(logged.warnings, 1);
	assert_non_null(strstr(logged.last, "waiting"));
	close(fd);
}

/* ---- refused file sets --------------------------------------------------- */

static void test_bad_name_publishes_nothing(void **state)
{
	char path[PATH_MAX], cdir[PATH_MAX], g1[256], g2[256], buf[4096], evil[2 * PATH_MAX];
	straw_error err;
	struct stat st;

	(void)state;
	/* Cold: nothing at all is published. */
	fake.mode = FAKE_BAD_NAME;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_ERR_PROTOCOL);
	assert_int_not_equal(stat(path, &st), 0);

	/* Warm: the previous generation stays in place. */
	fake.mode = FAKE_OK;
	fake.age = 120;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	_cluster_dir(path, cdir, sizeof(cdir));
	_conf_target(cdir, g1, sizeof(g1));
	fake.mode = FAKE_BAD_NAME;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_ERR_PROTOCOL);
	_conf_target(cdir, g2, sizeof(g2));
	assert_string_equal(g1, g2);
	_slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "generation 2")); /* 1 was the refused set */
	assert_int_equal(_entries(cdir, "gen."), 1);
	assert_int_equal(_entries(cdir, "tmp."), 0);
	snprintf(evil, sizeof(evil), "%s/evil", cache);
	assert_int_not_equal(lstat(evil, &st), 0);
	snprintf(evil, sizeof(evil), "%s/evil", cdir);
	assert_int_not_equal(lstat(evil, &st), 0);
	snprintf(evil, sizeof(evil), "%s/evil", base);
	assert_int_not_equal(lstat(evil, &st), 0);
}

static void test_no_slurm_conf_refused(void **state)
{
	char path[PATH_MAX], cdir[PATH_MAX];
	straw_error err;
	struct stat st;

	(void)state;
	fake.mode = FAKE_NO_SLURM_CONF;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_ERR_PROTOCOL);
	assert_non_null(strstr(err.msg, "slurm.conf"));
	assert_int_not_equal(stat(path, &st), 0);
	_cluster_dir(path, cdir, sizeof(cdir));
	assert_int_equal(_entries(cdir, "gen."), 0);
	assert_int_equal(_entries(cdir, "tmp."), 0);
}

/* ---- herds ------------------------------------------------------------------ */

/*
 * n processes start together on the cache (released by closing a pipe);
 * each reports "rc stale path" on a results pipe.  Returns fetches made.
 */
static size_t _herd(int n, char first[PATH_MAX], int *ok, int *stale_n)
{
	char count[PATH_MAX + 16], buf[64 * 1024];
	int go[2], res[2];
	size_t got = 0;
	struct stat st;
	ssize_t r;

	snprintf(count, sizeof(count), "%s/count", base);
	fake.count_file = count;
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(res), 0);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			char path[PATH_MAX], line[PATH_MAX + 32];
			straw_error err;
			bool stale = false;
			int rc, len;

			close(go[1]);
			close(res[0]);
			(void)!read(go[0], line, 1); /* EOF when the parent lets go */
			rc = _ensure(path, sizeof(path), &stale, &err);
			len = snprintf(line, sizeof(line), "%d %d %s\n", rc, stale ? 1 : 0,
				       rc ? err.msg : path);
			(void)!write(res[1], line, (size_t)len);
			_exit(0);
		}
	}
	close(go[0]);
	close(res[1]);
	close(go[1]);
	while ((r = read(res[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	close(res[0]);
	for (int i = 0; i < n; i++) {
		int status;

		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	*ok = 0;
	*stale_n = 0;
	first[0] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		int rc, stale;
		char path[PATH_MAX];

		assert_int_equal(sscanf(line, "%d %d %4095s", &rc, &stale, path), 3);
		if (rc == STRAW_OK)
			(*ok)++;
		*stale_n += stale;
		if (!first[0])
			snprintf(first, PATH_MAX, "%s", path);
		else
			assert_string_equal(first, path);
	}
	fake.count_file = NULL;
	if (stat(count, &st) != 0)
		return 0;
	unlink(count);
	return (size_t)st.st_size;
}

static void test_herd_one_fetch(void **state)
{
	char first[PATH_MAX], buf[4096];
	int ok, stale_n;

	(void)state;
	fake.sleep_ms = 200;
	assert_int_equal(_herd(20, first, &ok, &stale_n), 1);
	assert_int_equal(ok, 20);
	assert_int_equal(stale_n, 0);
	_slurp(first, buf, sizeof(buf));
	assert_non_null(strstr(buf, "ClusterName=test"));
}

static void test_herd_all_down_one_attempt(void **state)
{
	char path[PATH_MAX], first[PATH_MAX];
	straw_error err;
	int ok, stale_n;

	(void)state;
	fake.age = 120;
	assert_int_equal(_ensure(path, sizeof(path), NULL, &err), STRAW_OK);
	fake.mode = FAKE_UNREACHABLE;
	fake.sleep_ms = 300;
	/* The waiters learn from the one that failed instead of queueing up. */
	assert_int_equal(_herd(10, first, &ok, &stale_n), 1);
	assert_int_equal(ok, 10);
	assert_int_equal(stale_n, 10);
	assert_string_equal(first, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_creates_folder_0700, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_mode_0777, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_other_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cluster_folder_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xdg_runtime_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_cache_dir_made_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_normalised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_servers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_once_then_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_refetch_new_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_refetches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_zero_always_fetches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_used_when_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_too_old_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_errors_not_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_timeout_uses_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_name_publishes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_slurm_conf_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_herd_one_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_herd_all_down_one_attempt, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
