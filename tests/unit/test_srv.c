/*
 * test_srv.c - DNS SRV _slurmctld._tcp answers into a controller list:
 * ordered by priority (lowest first), then weight (highest first); junk
 * refused.  Answers are built by hand, as a name server would send them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

typedef struct {
	uint8_t b[2048];
	size_t n;
} msg;

static void put16(msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

static void put_name(msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		m->b[m->n++] = (uint8_t)l;
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l + (dot ? 1 : 0);
	}
	m->b[m->n++] = 0;
}

/* A response header with one question for _slurmctld._tcp.example.org. */
static void start(msg *m, unsigned answers)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180);
	put16(m, 1);
	put16(m, answers);
	put16(m, 0);
	put16(m, 0);
	put_name(m, "_slurmctld._tcp.example.org");
	put16(m, 33);
	put16(m, 1);
}

static void srv(msg *m, unsigned prio, unsigned weight, unsigned port, const char *target)
{
	size_t len_at;

	m->b[m->n++] = 0xc0; /* the owner name: a pointer to the question */
	m->b[m->n++] = 12;
	put16(m, 33);
	put16(m, 1);
	put16(m, 0);
	put16(m, 300);
	len_at = m->n;
	put16(m, 0);
	put16(m, prio);
	put16(m, weight);
	put16(m, port);
	put_name(m, target);
	m->b[len_at] = (uint8_t)((m->n - len_at - 2) >> 8);
	m->b[len_at + 1] = (uint8_t)(m->n - len_at - 2);
}

static void test_order(void **state)
{
	msg m;
	char out[512];
	straw_error err = { 0 };

	(void)state;
	start(&m, 4);
	srv(&m, 20, 0, 6817, "backup.example.org");
	srv(&m, 10, 5, 6817, "ctl-b.example.org");
	srv(&m, 10, 50, 6818, "ctl-a.example.org");
	srv(&m, 30, 0, 0, "noport.example.org");
	assert_int_equal(straw_srv_parse(m.b, (int)m.n, out, sizeof(out), &err), STRAW_OK);
	assert_string_equal(out, "ctl-a.example.org:6818,ctl-b.example.org:6817,"
				 "backup.example.org:6817");
}

static void test_junk(void **state)
{
	msg m;
	char out[512];
	straw_error err = { 0 };

	(void)state;
	start(&m, 0);
	assert_int_equal(straw_srv_parse(m.b, (int)m.n, out, sizeof(out), &err), STRAW_ERR_USAGE);
	assert_non_null(strstr(err.msg, "no usable record"));
	/* Every truncation of a good answer is refused cleanly. */
	start(&m, 1);
	srv(&m, 1, 1, 6817, "ctl.example.org");
	for (size_t n = 0; n < m.n; n++) {
		int rc = straw_srv_parse(m.b, (int)n, out, sizeof(out), &err);

		assert_int_not_equal(rc, STRAW_OK);
	}
	assert_int_equal(straw_srv_parse(m.b, (int)m.n, out, sizeof(out), &err), STRAW_OK);
	assert_string_equal(out, "ctl.example.org:6817");
	/* A target whose bytes would add entries to the list is skipped. */
	start(&m, 2);
	srv(&m, 1, 1, 6817, "evil,127.0.0.1:1,x.example.org");
	srv(&m, 2, 1, 6817, "good.example.org");
	assert_int_equal(straw_srv_parse(m.b, (int)m.n, out, sizeof(out), &err), STRAW_OK);
	assert_string_equal(out, "good.example.org:6817");
	start(&m, 1);
	srv(&m, 1, 1, 6817, "ctl.example.org");
	/* A list that does not fit is an error, not a cut list. */
	assert_int_equal(straw_srv_parse(m.b, (int)m.n, out, 8, &err), STRAW_ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
