/*
 * test_token.c - lib/token.c: minting from a key file (mode checked, the
 * claims right, the signature verifiable with libjwt), and the one warning
 * for a token that expires within the cache TTL.
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
#include <jwt.h>

#include "internal.h"

#define KEY "0123456789abcdef0123456789abcdef"

static char plugin_dir[PATH_MAX];
static char tmpdir[] = "/tmp/test_token.XXXXXX";
static char keyfile[PATH_MAX + 16];

static void _key_mode(mode_t mode)
{
	int fd = open(keyfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, KEY, strlen(KEY)), (ssize_t)strlen(KEY));
	close(fd);
	assert_int_equal(chmod(keyfile, mode), 0);
}

static void _opts(straw_options *o)
{
	straw_error e = { 0 };

	assert_int_equal(straw_options_init(o, &e), STRAW_OK);
	o->plugin_dir = plugin_dir;
}

static void test_mint_verifies(void **state)
{
	straw_options o;
	straw_error e = { 0 };
	char *tok = NULL;
	jwt_t *j = NULL;
	time_t now = time(NULL);

	(void)state;
	_key_mode(0600);
	_opts(&o);
	assert_int_equal(straw_token_mint(&o, keyfile, "alice", 1800, &tok, &e), STRAW_OK);
	assert_non_null(tok);
	/* libjwt, as slurmctld uses it, accepts the signature */
	assert_int_equal(jwt_decode(&j, tok, (const unsigned char *)KEY, (int)strlen(KEY)), 0);
	assert_string_equal(jwt_get_grant(j, "sun"), "alice");
	assert_true(jwt_get_grant_int(j, "exp") >= now + 1800 - 2);
	assert_true(jwt_get_grant_int(j, "exp") <= now + 1800 + 2);
	assert_true(jwt_get_grant_int(j, "iat") >= now - 2);
	jwt_free(j);
	/* another key does not verify it */
	j = NULL;
	assert_int_not_equal(jwt_decode(&j, tok, (const unsigned char *)"other-key", 9), 0);
	jwt_free(j);
	straw_token_free(tok);
	straw_options_free(&o);
}

static void test_mint_refuses_open_key(void **state)
{
	static const mode_t modes[] = { 0640, 0604, 0620, 0644 };
	straw_options o;
	char *tok = (char *)"x";

	(void)state;
	_opts(&o);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		straw_error e = { 0 };
		char want[16];

		_key_mode(modes[i]);
		assert_int_equal(straw_token_mint(&o, keyfile, "alice", 60, &tok, &e), STRAW_ERR_USAGE);
		assert_null(tok);
		snprintf(want, sizeof(want), "%04o", (unsigned)modes[i]);
		assert_non_null(strstr(e.msg, want));
		assert_non_null(strstr(e.msg, "chmod 600"));
	}
	straw_options_free(&o);
}

static void test_mint_bad_arguments(void **state)
{
	straw_options o;
	straw_error e = { 0 };
	char *tok = NULL;

	(void)state;
	_key_mode(0600);
	_opts(&o);
	assert_int_equal(straw_token_mint(&o, keyfile, "", 60, &tok, &e), STRAW_ERR_USAGE);
	assert_int_equal(straw_token_mint(&o, keyfile, "alice", 0, &tok, &e), STRAW_ERR_USAGE);
	assert_int_equal(straw_token_mint(&o, "/nonexistent/key", "alice", 60, &tok, &e),
			 STRAW_ERR_USAGE);
	assert_null(tok);
	/* an empty key signs nothing */
	assert_int_equal(truncate(keyfile, 0), 0);
	assert_int_equal(straw_token_mint(&o, keyfile, "alice", 60, &tok, &e), STRAW_ERR_USAGE);
	assert_non_null(strstr(e.msg, "empty"));
	straw_options_free(&o);
}

/* ---- the warning ------------------------------------------------------- */

static int nwarn;
static char last[STRAW_ERRLEN];

static void _log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level == STRAW_LOG_WARN) {
		nwarn++;
		snprintf(last, sizeof(last), "%s", msg);
	}
}

static char *_token(long lifetime)
{
	straw_options o;
	straw_error e = { 0 };
	char *tok = NULL;

	_key_mode(0600);
	_opts(&o);
	assert_int_equal(straw_token_mint(&o, keyfile, "alice", lifetime, &tok, &e), STRAW_OK);
	straw_options_free(&o);
	return tok;
}

static void test_warns_within_ttl(void **state)
{
	char *tok = _token(30);
	straw_options o;

	(void)state;
	setenv("SLURM_JWT", tok, 1);
	_opts(&o);
	o.log = _log;
	o.ttl_s = 60;
	nwarn = 0;
	straw_token_warn(&o);
	assert_int_equal(nwarn, 1);
	assert_non_null(strstr(last, "expires in"));
	assert_non_null(strstr(last, "alice"));
	assert_null(strstr(last, tok));
	/* a TTL shorter than what is left: nothing to say */
	o.ttl_s = 10;
	straw_token_warn(&o);
	assert_int_equal(nwarn, 1);
	/* munge in use: the token does not matter */
	o.ttl_s = 60;
	o.auth = "munge";
	straw_token_warn(&o);
	assert_int_equal(nwarn, 1);
	unsetenv("SLURM_JWT");
	straw_token_free(tok);
	straw_options_free(&o);
}

static void test_no_warning_without_token_or_when_expired(void **state)
{
	char *tok = _token(1);
	straw_options o;

	(void)state;
	unsetenv("SLURM_JWT");
	_opts(&o);
	o.log = _log;
	o.ttl_s = 60;
	nwarn = 0;
	straw_token_warn(&o);
	assert_int_equal(nwarn, 0);
	/* expired: the fetch itself refuses it with a clear error, no warning first */
	sleep(2);
	setenv("SLURM_JWT", tok, 1);
	straw_token_warn(&o);
	assert_int_equal(nwarn, 0);
	unsetenv("SLURM_JWT");
	straw_token_free(tok);
	straw_options_free(&o);
}

/* The cache warns once, and only when it fetches. */
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
	c->protocol = STRAW_V22_05;
	snprintf(c->controller, sizeof(c->controller), "127.0.0.1:1");
	*out = c;
	return STRAW_OK;
}

static void test_cache_warns_once_per_fetch(void **state)
{
	char *tok = _token(30), cache[PATH_MAX + 16], path[PATH_MAX];
	straw_options o;
	straw_error e = { 0 };

	(void)state;
	setenv("SLURM_JWT", tok, 1);
	snprintf(cache, sizeof(cache), "%s/cache", tmpdir);
	_opts(&o);
	o.servers = "127.0.0.1:1";
	o.cache_dir = cache;
	o.log = _log;
	o.ttl_s = 60;
	nwarn = 0;
	nfetch = 0;
	assert_int_equal(straw_cache_ensure_fn(&o, _fake_fetch, path, sizeof(path), NULL, &e),
			 STRAW_OK);
	assert_int_equal(nfetch, 1);
	assert_int_equal(nwarn, 1);
	/* fresh: no fetch, so no second warning */
	assert_int_equal(straw_cache_ensure_fn(&o, _fake_fetch, path, sizeof(path), NULL, &e),
			 STRAW_OK);
	assert_int_equal(nfetch, 1);
	assert_int_equal(nwarn, 1);
	unsetenv("SLURM_JWT");
	straw_token_free(tok);
	straw_options_free(&o);
	{
		char cmd[PATH_MAX + 32];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
		assert_int_equal(system(cmd), 0);
	}
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
		cmocka_unit_test(test_mint_verifies),
		cmocka_unit_test(test_mint_refuses_open_key),
		cmocka_unit_test(test_mint_bad_arguments),
		cmocka_unit_test(test_warns_within_ttl),
		cmocka_unit_test(test_no_warning_without_token_or_when_expired),
		cmocka_unit_test(test_cache_warns_once_per_fetch),
	};
	int rc;

	if (_find_plugins() < 0 || !mkdtemp(tmpdir)) {
		fprintf(stderr, "test_token: needs the built plugins ($BUILD/lib/straw)\n");
		return 1;
	}
	snprintf(keyfile, sizeof(keyfile), "%s/key", tmpdir);
	unsetenv("STRAW_JWT_FILE");
	unsetenv("STRAW_AUTH");
	unsetenv("STRAW_CONF");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(keyfile);
	rmdir(tmpdir);
	return rc;
}
