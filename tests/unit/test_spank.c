/*
 * test_spank.c - plugin/spank/straw_spank.c (included whole) against a
 * stand-in for slurmstepd's side of SPANK: a job environment held here,
 * changed only through spank_getenv/setenv/unsetenv as Slurm would.
 * (tests/integration/test_spank.sh runs the real plugin in a real job.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugin/spank/straw_spank.c"

/* ---- slurmstepd, as far as the plugin can tell ------------------------- */

#define MAXENV 64

static char *job_env[MAXENV + 1];
static int remote = 1;
static int nerrors;

static void _env_clear(void)
{
	for (int i = 0; i < MAXENV && job_env[i]; i++) {
		free(job_env[i]);
		job_env[i] = NULL;
	}
}

static int _env_find(const char *var)
{
	size_t n = strlen(var);

	for (int i = 0; i < MAXENV && job_env[i]; i++)
		if (!strncmp(job_env[i], var, n) && job_env[i][n] == '=')
			return i;
	return -1;
}

static void _env_put(const char *var, const char *val)
{
	int i = _env_find(var);
	char *s;

	assert_int_not_equal(asprintf(&s, "%s=%s", var, val), -1);
	if (i >= 0) {
		free(job_env[i]);
		job_env[i] = s;
		return;
	}
	for (i = 0; i < MAXENV && job_env[i]; i++)
		;
	assert_true(i < MAXENV);
	job_env[i] = s;
}

static const char *_env_val(const char *var)
{
	int i = _env_find(var);

	return i < 0 ? NULL : strchr(job_env[i], '=') + 1;
}

int spank_remote(spank_t sp)
{
	(void)sp;
	return remote;
}

spank_err_t spank_getenv(spank_t sp, const char *var, char *buf, int len)
{
	const char *v = _env_val(var);

	(void)sp;
	if (!v)
		return ESPANK_ENV_NOEXIST;
	if ((int)strlen(v) >= len)
		return ESPANK_NOSPACE;
	strcpy(buf, v);
	return ESPANK_SUCCESS;
}

spank_err_t spank_setenv(spank_t sp, const char *var, const char *val, int overwrite)
{
	(void)sp;
	if (!overwrite && _env_find(var) >= 0)
		return ESPANK_ENV_EXISTS;
	_env_put(var, val);
	return ESPANK_SUCCESS;
}

spank_err_t spank_unsetenv(spank_t sp, const char *var)
{
	int i = _env_find(var);

	(void)sp;
	if (i < 0)
		return ESPANK_SUCCESS;
	free(job_env[i]);
	/* close the gap, as Slurm's env functions do: entries move */
	for (; i < MAXENV && job_env[i + 1]; i++)
		job_env[i] = job_env[i + 1];
	job_env[i] = NULL;
	return ESPANK_SUCCESS;
}

spank_err_t spank_get_item(spank_t sp, spank_item_t item, ...)
{
	va_list ap;

	(void)sp;
	if (item != S_JOB_ENV)
		return ESPANK_BAD_ARG;
	va_start(ap, item);
	*va_arg(ap, char ***) = job_env;
	va_end(ap);
	return ESPANK_SUCCESS;
}

const char *spank_strerror(spank_err_t err)
{
	(void)err;
	return "error";
}

void slurm_error(const char *fmt, ...)
{
	(void)fmt;
	nerrors++;
}

void slurm_debug(const char *fmt, ...)
{
	(void)fmt;
}

/* ---- tests ---------------------------------------------------------------- */

#define LOADER "/usr/lib/x86_64-linux-gnu/libstraw-preload.so"

static int setup(void **state)
{
	(void)state;
	_env_clear();
	remote = 1;
	nerrors = 0;
	_env_put("HOME", "/home/alice");
	_env_put("STRAW_SERVERS", "ctl:6817");
	_env_put("STRAW_CACHE_DIR", "/tmp/x");
	_env_put("PATH", "/usr/bin:/bin");
	_env_put("STRAW_DEBUG", "1");
	_env_put("SLURM_JWT", "eyJ.secret.sig");
	_env_put("SLURM_JOB_ID", "7");
	_env_put("MYSTRAW_KEEP", "1");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	_env_clear();
	return 0;
}

static void test_strip_loader(void **state)
{
	char out[256];

	(void)state;
	assert_true(_strip_loader(LOADER, STRAW_SPANK_LOADER, out));
	assert_string_equal(out, "");
	assert_true(_strip_loader("/opt/libfoo.so:" LOADER " /opt/libbar.so", STRAW_SPANK_LOADER,
				  out));
	assert_string_equal(out, "/opt/libfoo.so:/opt/libbar.so");
	assert_true(_strip_loader("libstraw-preload.so.1::/x/libstraw-preload.so", STRAW_SPANK_LOADER,
				  out));
	assert_string_equal(out, "");
	assert_false(_strip_loader("/opt/libfoo.so /opt/libstraw-preload.sox", STRAW_SPANK_LOADER,
				   out));
	assert_false(_strip_loader("", STRAW_SPANK_LOADER, out));
	assert_true(_strip_loader("/a/libmine.so:/b/libother.so", "libmine.so", out));
	assert_string_equal(out, "/b/libother.so");
}

static void test_remote_cleans_job_env(void **state)
{
	char *av[] = { NULL };

	(void)state;
	_env_put("LD_PRELOAD", "/opt/libfoo.so:" LOADER);
	assert_int_equal(slurm_spank_user_init(NULL, 0, av), 0);
	assert_string_equal(_env_val("LD_PRELOAD"), "/opt/libfoo.so");
	assert_null(_env_val("STRAW_SERVERS"));
	assert_null(_env_val("STRAW_CACHE_DIR"));
	assert_null(_env_val("STRAW_DEBUG"));
	assert_null(_env_val("SLURM_JWT"));
	/* everything else stays */
	assert_string_equal(_env_val("HOME"), "/home/alice");
	assert_string_equal(_env_val("PATH"), "/usr/bin:/bin");
	assert_string_equal(_env_val("SLURM_JOB_ID"), "7");
	assert_string_equal(_env_val("MYSTRAW_KEEP"), "1");
	assert_int_equal(nerrors, 0);
	/* a second pass (task_init) changes nothing more */
	assert_int_equal(slurm_spank_task_init(NULL, 0, av), 0);
	assert_string_equal(_env_val("LD_PRELOAD"), "/opt/libfoo.so");
}

static void test_only_loader_unsets_preload(void **state)
{
	char *av[] = { NULL };

	(void)state;
	_env_put("LD_PRELOAD", LOADER);
	assert_int_equal(slurm_spank_task_init(NULL, 0, av), 0);
	assert_null(_env_val("LD_PRELOAD"));
}

static void test_keep_jwt_and_other_loader_name(void **state)
{
	char *av[] = { (char *)"drop_jwt=no", (char *)"loader=libmine.so" };

	(void)state;
	_env_put("LD_PRELOAD", LOADER ":/x/libmine.so");
	assert_int_equal(slurm_spank_init(NULL, 2, av), 0);
	assert_int_equal(slurm_spank_user_init(NULL, 2, av), 0);
	assert_string_equal(_env_val("SLURM_JWT"), "eyJ.secret.sig");
	assert_string_equal(_env_val("LD_PRELOAD"), LOADER);
	assert_null(_env_val("STRAW_SERVERS"));
}

static void test_long_preload(void **state)
{
	char *av[] = { NULL }, *big = malloc(20000), *p;

	(void)state;
	assert_non_null(big);
	p = big;
	for (int i = 0; i < 900; i++)
		p += sprintf(p, "/opt/l%03d.so:", i);
	strcpy(p, LOADER);
	_env_put("LD_PRELOAD", big);
	assert_int_equal(slurm_spank_user_init(NULL, 0, av), 0);
	p[-1] = '\0'; /* drop the last ':' and the loader */
	assert_string_equal(_env_val("LD_PRELOAD"), big);
	free(big);
}

static void test_local_context_untouched(void **state)
{
	char *av[] = { NULL };

	(void)state;
	remote = 0;
	_env_put("LD_PRELOAD", LOADER);
	assert_int_equal(slurm_spank_user_init(NULL, 0, av), 0);
	assert_string_equal(_env_val("LD_PRELOAD"), LOADER);
	assert_string_equal(_env_val("STRAW_SERVERS"), "ctl:6817");
	assert_string_equal(_env_val("SLURM_JWT"), "eyJ.secret.sig");
}

static void test_bad_arguments_fail(void **state)
{
	char *a1[] = { (char *)"drop_jwt=maybe" };
	char *a2[] = { (char *)"loader=/abs/path.so" };
	char *a3[] = { (char *)"verbose" };

	(void)state;
	assert_true(slurm_spank_init(NULL, 1, a1) < 0);
	assert_true(slurm_spank_init(NULL, 1, a2) < 0);
	assert_true(slurm_spank_init(NULL, 1, a3) < 0);
	assert_true(slurm_spank_user_init(NULL, 1, a3) < 0);
	assert_int_equal(nerrors, 4);
	/* nothing was cleaned under a broken configuration: it is reported instead */
	assert_string_equal(_env_val("STRAW_SERVERS"), "ctl:6817");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_loader),
		cmocka_unit_test_setup_teardown(test_remote_cleans_job_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_loader_unsets_preload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_jwt_and_other_loader_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_preload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_context_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments_fail, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
