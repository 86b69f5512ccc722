/*
 * test_write.c - safe writes: name checks, modes, empty and absent files,
 * and "on any failure the output folder is unchanged".
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"

static char tmpl[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpl, sizeof(tmpl), "/tmp/straw-test-write.XXXXXX");
	return mkdtemp(tmpl) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	return system(cmd);
}

static straw_file file(const char *name, const char *content, bool exists, bool execute)
{
	straw_file f = { 0 };

	f.name = (char *)name;
	f.content = (char *)content;
	f.content_len = content ? strlen(content) : 0;
	f.exists = exists;
	f.execute = execute;
	f.content_null = content == NULL;
	return f;
}

/* A listing "name:mode:size:content," of every entry, hidden ones included. */
static void listing(const char *dir, char *out, size_t outlen)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t used = 0;

	out[0] = '\0';
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		char path[512], content[64] = "";
		struct stat st;

		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			assert_int_equal(lstat(path, &st), 0);
			if (S_ISREG(st.st_mode)) {
				FILE *f = fopen(path, "r");
				size_t r = fread(content, 1, sizeof(content) - 1, f);

				content[r] = '\0';
				fclose(f);
			}
			used += (size_t)snprintf(out + used, outlen - used, "%s:%o:%lld:%s,",
						 names[i]->d_name, st.st_mode & 07777,
						 (long long)st.st_size, content);
		}
		free(names[i]);
	}
	free(names);
}

static void test_names(void **state)
{
	static const char *bad[] = { "", ".", "..", "../x", "a/b", "/etc/passwd", "a\nb", "tab\t",
				     "\x7f", "bad\xff", "\xc0\xaf", "\xed\xa0\x80", "x\xe2\x82" };
	static const char *good[] = { "slurm.conf", "tb-nodes.conf", "...", ".hidden", "caf\xc3\xa9",
				      "a b", "topology.yaml" };
	char longname[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(straw_name_ok(bad[i]));
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(straw_name_ok(good[i]));
	assert_false(straw_name_ok(NULL));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(straw_name_ok(longname));
}

static void test_write_set(void **state)
{
	straw_file files[] = {
		file("slurm.conf", "ClusterName=x\n", true, false),
		file("plugstack.conf", NULL, true, false),
		file("prolog.sh", "#!/bin/sh\n", true, true),
		file("topology.conf", NULL, false, false),
	};
	straw_config cfg = { .files = files, .nfiles = 4 };
	straw_error err = { 0 };
	char dir[128], path[160], list[1024];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/out/deeper", tmpl);
	/* A stale copy of a file the controller no longer has, and an unrelated file. */
	snprintf(path, sizeof(path), "%s/out", tmpl);
	mkdir(path, 0755);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/topology.conf", dir);
	f = fopen(path, "w");
	fputs("old", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/mine", dir);
	f = fopen(path, "w");
	fputs("keep", f);
	fclose(f);
	umask(077); /* the modes must not depend on the caller's umask */
	assert_int_equal(straw_write_dir(&cfg, dir, &err), STRAW_OK);
	umask(022);
	listing(dir, list, sizeof(list));
	assert_string_equal(list, "mine:644:4:keep,plugstack.conf:644:0:,prolog.sh:755:10:#!/bin/sh\n,"
				  "slurm.conf:644:14:ClusterName=x\n,");
}

static void test_bad_name_changes_nothing(void **state)
{
	static const char *bad[] = { "../x", "a/b", ".", "..", "", "new\nline", "bad\xff" };
	char dir[128], before[1024], after[1024], path[160];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/keep", tmpl);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/slurm.conf", dir);
	f = fopen(path, "w");
	fputs("original", f);
	fclose(f);
	listing(dir, before, sizeof(before));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		straw_file files[] = {
			file("slurm.conf", "replaced", true, false),
			file(bad[i], "evil", true, false),
		};
		straw_config cfg = { .files = files, .nfiles = 2 };
		straw_error err = { 0 };

		assert_int_equal(straw_write_dir(&cfg, dir, &err), STRAW_ERR_PROTOCOL);
		assert_non_null(strstr(err.msg, "not a plain file name"));
		listing(dir, after, sizeof(after));
		assert_string_equal(before, after);
	}
	/* Nothing escaped to the parent either. */
	snprintf(path, sizeof(path), "%s/x", tmpl);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_failure_mid_set_changes_nothing(void **state)
{
	straw_file files[] = {
		file("a.conf", "new a", true, false),
		file("slurm.conf", "new", true, false),
	};
	straw_config cfg = { .files = files, .nfiles = 2 };
	straw_error err = { 0 };
	char dir[128], path[160], before[1024], after[1024];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/mid", tmpl);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/a.conf", dir);
	f = fopen(path, "w");
	fputs("old a", f);
	fclose(f);
	/* slurm.conf is a folder: the second file cannot be put in place. */
	snprintf(path, sizeof(path), "%s/slurm.conf", dir);
	mkdir(path, 0755);
	listing(dir, before, sizeof(before));
	assert_int_equal(straw_write_dir(&cfg, dir, &err), STRAW_ERR_WRITE);
	assert_non_null(strstr(err.msg, "slurm.conf"));
	listing(dir, after, sizeof(after));
	assert_string_equal(before, after);
}

static void test_unwritable(void **state)
{
	straw_file files[] = { file("slurm.conf", "x", true, false) };
	straw_config cfg = { .files = files, .nfiles = 1 };
	straw_error err = { 0 };
	char dir[160], path[128];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/plainfile", tmpl);
	f = fopen(path, "w");
	fclose(f);
	snprintf(dir, sizeof(dir), "%s/sub", path);
	assert_int_equal(straw_write_dir(&cfg, dir, &err), STRAW_ERR_WRITE);
	assert_non_null(strstr(err.msg, "plainfile"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_write_set),
		cmocka_unit_test(test_bad_name_changes_nothing),
		cmocka_unit_test(test_failure_mid_set_changes_nothing),
		cmocka_unit_test(test_unwritable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
