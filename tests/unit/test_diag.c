/*
 * test_diag.c - lib/diag.c: what an auth plugin would present, and a
 * read-only look at the cache (nothing fetched, the metadata untouched,
 * the same folder checks as a real run).
 */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

static char plugin_dir[PATH_MAX];
static char tmpdir[] = "/tmp/test_diag.XXXXXX";
static char cache[PATH_MAX + 16];

static void _opts(straw_options *o)
{
	straw_error e = { 0 };

	assert_int_equal(straw_options_init(o, &e), STRAW_OK);
	o->plugin_dir = plugin_dir;
	o->servers = "127.0.0.1:1,127.0.0.1:2";
	o->cache_dir = cache;
	o->dns_srv = false;
}

/* ---- straw_auth_describe ------------------------------------------------ */

static char *_mint(long lifetime)
{
	char key[PATH_MAX + 16], *tok = NULL;
	straw_options o;
	straw_error e = { 0 };
	int fd;

	snprintf(key, sizeof(key), "%s/key", tmpdir);
	fd = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "k3y", 3), 3);
	close(fd);
	_opts(&o);
	assert_int_equal(straw_token_mint(&o, key, "bob", lifetime, &tok, &e), STRAW_OK);
	straw_options_free(&o);
	unlink(key);
	return tok;
}

static void test_describe_jwt(void **state)
{
	char *tok = _mint(900);
	straw_auth_status st;
	straw_options o;
	straw_error e = { 0 };
	time_t now = time(NULL);

	(void)state;
	setenv("SLURM_JWT", tok, 1);
	_opts(&o);
	assert_int_equal(straw_auth_describe(&o, NULL, &st, &e), STRAW_OK);
	assert_string_equal(st.type, "jwt"); /* auto, with a token */
	assert_true(st.loaded);
	assert_true(st.available);
	assert_string_equal(st.user, "bob");
	assert_string_equal(st.source, "SLURM_JWT");
	assert_true(st.expires >= now + 898 && st.expires <= now + 902);
	assert_int_equal(st.error.code, 0);
	unsetenv("SLURM_JWT");
	straw_token_free(tok);
	straw_options_free(&o);
}

static void test_describe_no_token(void **state)
{
	straw_auth_status st;
	straw_options o;
	straw_error e = { 0 };
	char missing[PATH_MAX + 16];

	(void)state;
	unsetenv("SLURM_JWT");
	_opts(&o);
	snprintf(missing, sizeof(missing), "%s/no-token", tmpdir);
	o.jwt_file = missing;
	assert_int_equal(straw_auth_describe(&o, "jwt", &st, &e), STRAW_ERR_AUTH);
	assert_true(st.loaded);
	assert_false(st.available);
	assert_int_equal(st.error.code, STRAW_ERR_AUTH);
	assert_non_null(strstr(st.error.msg, missing));
	/* an unknown type is a usage error, not a crash */
	assert_int_equal(straw_auth_describe(&o, "kerberos", &st, &e), STRAW_ERR_USAGE);
	assert_false(st.loaded);
	straw_options_free(&o);
}

/* ---- straw_cache_inspect ---------------------------------------------------- */

static int nfetch;

static int _fake_fetch(const straw_options *opts, straw_config **out, straw_error *err)
{
	straw_config *c = calloc(1, sizeof(*c));

	(void)opts;
	(void)err;
	nfetch++;
	assert_non_null(c);
	c->files = calloc(1, sizeof(*c->files));
	assert_non_null(c->files);
	c->nfiles = 1;
	c->files[0].name = strdup("slurm.conf");
	c->files[0].content = strdup("ClusterName=t\n");
	c->files[0].content_len = strlen(c->files[0].content);
	c->files[0].exists = true;
	c->protocol = STRAW_V23_11;
	c->fetched = time(NULL) - 5;
	snprintf(c->controller, sizeof(c->controller), "127.0.0.1:2");
	*out = c;
	return STRAW_OK;
}

static char *_read_meta(const straw_cache_status *st)
{
	char path[STRAW_PATHLEN + 8], *buf = calloc(1, 4096);
	FILE *f;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/meta", st->folder);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, 4095, f) > 0);
	fclose(f);
	return buf;
}

static void test_inspect_empty_then_filled(void **state)
{
	straw_cache_status st;
	straw_options o;
	straw_error e = { 0 };
	char path[PATH_MAX], *before, *after;

	(void)state;
	_opts(&o);
	assert_int_equal(straw_cache_inspect(&o, &st, &e), STRAW_OK);
	assert_string_equal(st.root, cache);
	assert_false(st.present);
	assert_false(st.fresh);
	assert_int_equal(st.fetched, 0);
	assert_int_equal(st.owner, (unsigned)geteuid());
	assert_int_equal(st.mode, 0700);
	assert_int_equal(strncmp(st.folder, cache, strlen(cache)), 0);

	nfetch = 0;
	assert_int_equal(straw_cache_ensure_fn(&o, _fake_fetch, path, sizeof(path), NULL, &e),
			 STRAW_OK);
	assert_int_equal(nfetch, 1);
	assert_int_equal(straw_cache_inspect(&o, &st, &e), STRAW_OK);
	/* the path inspect reports is the one the cache hands out */
	assert_string_equal(st.conf, path);
	assert_true(st.present);
	assert_true(st.fresh);
	assert_string_equal(st.controller, "127.0.0.1:2");
	assert_int_equal(st.protocol, STRAW_V23_11);
	assert_int_equal(strncmp(st.generation, "gen.", 4), 0);
	assert_true(st.age_s >= 4 && st.age_s <= 8);

	/* stale: reported as such, and still nothing fetched or rewritten */
	before = _read_meta(&st);
	o.ttl_s = 0;
	assert_int_equal(straw_cache_inspect(&o, &st, &e), STRAW_OK);
	assert_true(st.present);
	assert_false(st.fresh);
	after = _read_meta(&st);
	assert_string_equal(before, after);
	assert_int_equal(nfetch, 1);
	free(before);
	free(after);
	straw_options_free(&o);
}

static void test_inspect_refuses_open_folder(void **state)
{
	straw_cache_status st;
	straw_options o;
	straw_error e = { 0 };

	(void)state;
	_opts(&o);
	assert_int_equal(straw_cache_inspect(&o, &st, &e), STRAW_OK);
	assert_int_equal(chmod(cache, 0777), 0);
	assert_int_equal(straw_cache_inspect(&o, &st, &e), STRAW_ERR_WRITE);
	assert_non_null(strstr(e.msg, "chmod 700"));
	assert_int_equal(chmod(cache, 0700), 0);
	straw_options_free(&o);
}

static int _find_plugins(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 32], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/../lib/straw", exe);
	return realpath(path, plugin_dir) ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe_jwt),
		cmocka_unit_test(test_describe_no_token),
		cmocka_unit_test(test_inspect_empty_then_filled),
		cmocka_unit_test(test_inspect_refuses_open_folder),
	};
	char cmd[PATH_MAX + 32];
	int rc;

	if (_find_plugins() < 0 || !mkdtemp(tmpdir)) {
		fprintf(stderr, "test_diag: needs the built plugins ($BUILD/lib/straw)\n");
		return 1;
	}
	snprintf(cache, sizeof(cache), "%s/cache", tmpdir);
	unsetenv("STRAW_JWT_FILE");
	unsetenv("STRAW_AUTH");
	unsetenv("STRAW_CONF");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_diag: could not remove %s\n", tmpdir);
	return rc;
}
