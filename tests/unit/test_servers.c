/*
 * test_servers.c - controller list parsing: IPv4, IPv6, names, ports,
 * duplicates folded, junk refused with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

static size_t parse(const char *text, straw_server *s, straw_error *err)
{
	size_t n = 99;

	memset(err, 0, sizeof(*err));
	if (straw_servers_parse(text, s, STRAW_MAX_SERVERS, &n, err) != STRAW_OK)
		return 0;
	return n;
}

static void test_forms(void **state)
{
	straw_server s[STRAW_MAX_SERVERS];
	straw_error err;
	char out[512];

	(void)state;
	assert_int_equal(parse("ctl1", s, &err), 1);
	assert_string_equal(s[0].host, "ctl1");
	assert_int_equal(s[0].port, 6817);

	assert_int_equal(parse("127.0.0.1:7000,ctl2.example.org , [::1]:6820,[fe80::1%eth0]", s, &err), 4);
	assert_string_equal(s[0].host, "127.0.0.1");
	assert_int_equal(s[0].port, 7000);
	assert_string_equal(s[1].host, "ctl2.example.org");
	assert_int_equal(s[1].port, 6817);
	assert_string_equal(s[2].host, "::1");
	assert_int_equal(s[2].port, 6820);
	assert_string_equal(s[3].host, "fe80::1%eth0");
	assert_int_equal(s[3].port, 6817);

	assert_int_equal(parse("[fe80::1%lo]:7000", s, &err), 1);
	assert_string_equal(s[0].host, "fe80::1%lo");
	assert_int_equal(s[0].port, 7000);
	assert_int_equal(parse("127.0.0.1:7000,ctl2.example.org , [::1]:6820,[fe80::1%eth0]", s, &err), 4);
	straw_servers_format(s, 3, out, sizeof(out));
	assert_string_equal(out, "127.0.0.1:7000,ctl2.example.org:6817,[::1]:6820");
}

static void test_duplicates_folded(void **state)
{
	straw_server s[STRAW_MAX_SERVERS];
	straw_error err;

	(void)state;
	assert_int_equal(parse("a:1,b,a:1,A:1,a,b:6817", s, &err), 3);
	assert_string_equal(s[0].host, "a");
	assert_int_equal(s[0].port, 1);
	assert_string_equal(s[1].host, "b");
	assert_string_equal(s[2].host, "a");
	assert_int_equal(s[2].port, 6817);
}

static void test_junk(void **state)
{
	static const char *bad[] = {
		"", ",", " , ", "host:", "host:0", "host:65536", "host:12a", "host:-1",
		"::1", "[::1", "[::1]x", "[]:6817", ":6817", "ho$t", "a/b", "host:1:2",
		"[::1]:", "h\x01st", "[%]", "[ctl%eth0]:6817", "[abc]", "[::1%a/b]",
	};
	straw_server s[STRAW_MAX_SERVERS];
	straw_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = 7;

		memset(&err, 0, sizeof(err));
		assert_int_equal(straw_servers_parse(bad[i], s, STRAW_MAX_SERVERS, &n, &err),
				 STRAW_ERR_USAGE);
		assert_true(strlen(err.msg) > 10);
		assert_int_equal(n, 0);
	}
	assert_int_equal(straw_servers_parse(NULL, s, STRAW_MAX_SERVERS, &(size_t){ 0 }, &err),
			 STRAW_ERR_USAGE);
}

static void test_limits(void **state)
{
	straw_server s[2];
	straw_error err;
	size_t n;
	char longname[400];

	(void)state;
	assert_int_equal(straw_servers_parse("a,b,c", s, 2, &n, &err), STRAW_ERR_USAGE);
	assert_non_null(strstr(err.msg, "too many"));
	assert_int_equal(straw_servers_parse("a,a,b", s, 2, &n, &err), STRAW_OK);
	assert_int_equal(n, 2);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(straw_servers_parse(longname, s, 2, &n, &err), STRAW_ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_duplicates_folded),
		cmocka_unit_test(test_junk),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
