/*
 * test_cli.c - the straw command's text helpers (cli/env.c, cli/exec.c,
 * cli/doctor.c, included whole): shell quoting that eval gives back
 * exactly, the LD_PRELOAD list `straw exec` builds, reading a slurm.conf
 * for doctor's shadow check, JSON strings.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../cli/env.c"
#include "../../cli/exec.c"
#include "../../cli/doctor.c"

/* What cli/straw.c (which holds main) would provide. */
const char *cli_prog = "straw";

const char *cli_env_get(const char *name)
{
	return getenv(name);
}

void cli_log_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	(void)msg;
}

/* ---- shell quoting -------------------------------------------------------- */

/* Run the sh line, then print the variable: what eval really gives back. */
static char *_sh_roundtrip(const char *line)
{
	int pfd[2];
	pid_t pid;
	static char out[4096];
	size_t n = 0;
	ssize_t r;
	int st;
	char script[8192];

	snprintf(script, sizeof(script), "%sprintf '%%s' \"$SLURM_CONF\"", line);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while ((r = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	close(pfd[0]);
	out[n] = '\0';
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return out;
}

static void test_sh_quoting_round_trips(void **state)
{
	static const char *const values[] = {
		"/dev/shm/straw-1000/ctl_6817-1a2b3c4d/conf/slurm.conf",
		"/tmp/it's here/slurm.conf",
		"/tmp/$HOME `id` \"x\" \\n; rm -rf /nothing/slurm.conf",
		"/tmp/a\nb/slurm.conf",
		"/tmp/''/slurm.conf",
		"/tmp/!bang/slurm.conf",
	};
	char line[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		assert_true(cli_shell_export(CLI_SH, "SLURM_CONF", values[i], line, sizeof(line)));
		assert_int_equal(strncmp(line, "export SLURM_CONF='", 19), 0);
		assert_int_equal(line[strlen(line) - 1], '\n');
		assert_string_equal(_sh_roundtrip(line), values[i]);
	}
}

static void test_csh_and_fish_quoting(void **state)
{
	char line[256];

	(void)state;
	assert_true(cli_shell_export(CLI_CSH, "SLURM_CONF", "/a b/c", line, sizeof(line)));
	assert_string_equal(line, "setenv SLURM_CONF '/a b/c'\n");
	assert_true(cli_shell_export(CLI_CSH, "SLURM_CONF", "/it's/x!y", line, sizeof(line)));
	assert_string_equal(line, "setenv SLURM_CONF '/it'\\''s/x\\!y'\n");
	/* csh cannot take a newline through eval: refused, never mangled */
	assert_false(cli_shell_export(CLI_CSH, "SLURM_CONF", "/a\nb", line, sizeof(line)));

	assert_true(cli_shell_export(CLI_FISH, "SLURM_CONF", "/a b/c", line, sizeof(line)));
	assert_string_equal(line, "set -gx SLURM_CONF '/a b/c'\n");
	assert_true(cli_shell_export(CLI_FISH, "SLURM_CONF", "/it's\\x", line, sizeof(line)));
	assert_string_equal(line, "set -gx SLURM_CONF '/it\\'s\\\\x'\n");

	/* too small a buffer: false, not a cut line */
	assert_false(cli_shell_export(CLI_SH, "SLURM_CONF", "/a/b/c", line, 20));
}

static void test_shell_names(void **state)
{
	cli_shell sh;

	(void)state;
	assert_true(cli_shell_parse("sh", &sh) && sh == CLI_SH);
	assert_true(cli_shell_parse("bash", &sh) && sh == CLI_SH);
	assert_true(cli_shell_parse("tcsh", &sh) && sh == CLI_CSH);
	assert_true(cli_shell_parse("csh", &sh) && sh == CLI_CSH);
	assert_true(cli_shell_parse("fish", &sh) && sh == CLI_FISH);
	assert_false(cli_shell_parse("powershell", &sh));
	assert_false(cli_shell_parse("", &sh));
}

/* ---- LD_PRELOAD ------------------------------------------------------------- */

#define L "/usr/lib/x86_64-linux-gnu/libstraw-preload.so"

static void test_preload_value(void **state)
{
	char out[512];

	(void)state;
	assert_true(cli_preload_value(L, NULL, out, sizeof(out)));
	assert_string_equal(out, L);
	assert_true(cli_preload_value(L, "  ", out, sizeof(out)));
	assert_string_equal(out, L);
	/* prepended to what was there */
	assert_true(cli_preload_value(L, "/opt/x/libfoo.so /opt/y/libbar.so", out, sizeof(out)));
	assert_string_equal(out, L ":/opt/x/libfoo.so /opt/y/libbar.so");
	/* the ASan runtime keeps its first place */
	assert_true(cli_preload_value(L, "/usr/lib/x86_64-linux-gnu/libasan.so.8", out, sizeof(out)));
	assert_string_equal(out, "/usr/lib/x86_64-linux-gnu/libasan.so.8:" L);
	assert_true(cli_preload_value(L, "/usr/lib/libasan.so.8:/opt/libfoo.so", out, sizeof(out)));
	assert_string_equal(out, "/usr/lib/libasan.so.8:" L ":/opt/libfoo.so");
	/* already there (any path, or versioned): left as it is */
	assert_true(cli_preload_value(L, "/opt/libfoo.so:/build/lib/libstraw-preload.so", out,
				      sizeof(out)));
	assert_string_equal(out, "/opt/libfoo.so:/build/lib/libstraw-preload.so");
	/* too small: false */
	assert_false(cli_preload_value(L, "/opt/libfoo.so", out, 10));
}

static void test_preload_has_loader(void **state)
{
	(void)state;
	assert_false(cli_preload_has_loader(NULL));
	assert_false(cli_preload_has_loader(""));
	assert_true(cli_preload_has_loader("libstraw-preload.so"));
	assert_true(cli_preload_has_loader("/a/libfoo.so:/b/libstraw-preload.so.1"));
	assert_true(cli_preload_has_loader("/a/libfoo.so /b/libstraw-preload.so"));
	assert_false(cli_preload_has_loader("/b/libstraw-preload.sox"));
	assert_false(cli_preload_has_loader("/libstraw-preload.so/libfoo.so"));
	assert_false(cli_preload_has_loader("/b/mylibstraw-preload.so"));
}

/* ---- slurm.conf -------------------------------------------------------------- */

static void test_slurm_conf_parse(void **state)
{
	static const char text[] =
		"# a comment ClusterName=nope\n"
		"clustername=Alpha   # trailing\n"
		"SlurmctldHost=ctl1(10.0.0.1)\n"
		"SLURMCTLDHOST=ctl2\n"
		"SlurmctldPort=6820-6824\n"
		"NodeName=n[1-4] CPUs=4\n";
	static const char legacy[] = "ControlMachine=old1\nControlAddr=192.0.2.7\n"
				     "BackupController=old2\n";
	cli_slurm_conf c, d;

	(void)state;
	cli_slurm_conf_parse(text, strlen(text), &c);
	assert_string_equal(c.cluster, "Alpha");
	assert_int_equal(c.nctld, 2);
	assert_string_equal(c.ctld_name[0], "ctl1");
	assert_string_equal(c.ctld_addr[0], "10.0.0.1");
	assert_string_equal(c.ctld_name[1], "ctl2");
	assert_string_equal(c.ctld_addr[1], "ctl2");
	assert_int_equal(c.port, 6820);

	cli_slurm_conf_parse(legacy, strlen(legacy), &d);
	assert_string_equal(d.cluster, "");
	assert_int_equal(d.nctld, 2);
	assert_string_equal(d.ctld_addr[0], "192.0.2.7");
	assert_string_equal(d.ctld_name[1], "old2");
	assert_int_equal(d.port, 6817);
	assert_false(_same_ctlds(&c, &d));

	/* the same controllers in another order and case are the same */
	{
		static const char other[] = "SlurmctldHost=CTL2\nSlurmctldHost=ctl1\nSlurmctldPort=6820\n";
		char list[256];

		cli_slurm_conf_parse(other, strlen(other), &d);
		assert_true(_same_ctlds(&c, &d));
		_ctld_list(&c, true, list, sizeof(list));
		assert_string_equal(list, "10.0.0.1:6820,ctl2:6820");
	}
	/* a length shorter than the text is honoured */
	cli_slurm_conf_parse(text, 30, &c);
	assert_string_equal(c.cluster, "");
}

static void test_json_strings(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	cli_json_str(f, "a\"b\\c\nd\te\x01");
	fputc(' ', f);
	cli_json_str(f, NULL);
	fclose(f);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\nd\\te\\u0001\" null");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sh_quoting_round_trips),
		cmocka_unit_test(test_csh_and_fish_quoting),
		cmocka_unit_test(test_shell_names),
		cmocka_unit_test(test_preload_value),
		cmocka_unit_test(test_preload_has_loader),
		cmocka_unit_test(test_slurm_conf_parse),
		cmocka_unit_test(test_json_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
