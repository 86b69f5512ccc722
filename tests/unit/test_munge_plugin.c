/*
 * test_munge_plugin.c - the auth/munge plugin against a fake libmunge.
 *
 * The plugin source is included, and the libmunge calls it makes are
 * defined here: the executable's definitions win over libmunge.so's, so no
 * munged is needed.  The fake records what the plugin passed (payload,
 * socket) and hands out numbered credentials or a chosen error.  A real
 * munged round trip is left to the integration tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../../plugin/munge/auth_munge.c"

/* ---- the fake libmunge -------------------------------------------------- */

struct munge_ctx {
	char *socket;
	const char *error;
};

static struct {
	int created, destroyed, sets, encodes;
	char socket_seen[256];   /* MUNGE_OPT_SOCKET of the last encode's context */
	uint8_t payload[128];
	int payload_len;
	bool payload_null;
	munge_err_t fail;        /* EMUNGE_SUCCESS: hand out a credential */
	const char *fail_text;   /* what munge_ctx_strerror says then (may be NULL) */
	const char *default_socket;
} _fake;

static void _fake_reset(void)
{
	memset(&_fake, 0, sizeof(_fake));
	_fake.default_socket = "/fake/run/munge/munge.socket.2";
}

munge_ctx_t munge_ctx_create(void)
{
	munge_ctx_t ctx = calloc(1, sizeof(*ctx));

	if (ctx)
		_fake.created++;
	return ctx;
}

void munge_ctx_destroy(munge_ctx_t ctx)
{
	if (!ctx)
		return;
	free(ctx->socket);
	free(ctx);
	_fake.destroyed++;
}

munge_err_t munge_ctx_set(munge_ctx_t ctx, int opt, ...)
{
	va_list ap;
	const char *s;

	assert_non_null(ctx);
	assert_int_equal(opt, MUNGE_OPT_SOCKET);
	va_start(ap, opt);
	s = va_arg(ap, const char *);
	va_end(ap);
	free(ctx->socket);
	ctx->socket = strdup(s);
	assert_non_null(ctx->socket);
	_fake.sets++;
	return EMUNGE_SUCCESS;
}

munge_err_t munge_ctx_get(munge_ctx_t ctx, int opt, ...)
{
	va_list ap;
	char **out;

	assert_non_null(ctx);
	assert_int_equal(opt, MUNGE_OPT_SOCKET);
	va_start(ap, opt);
	out = va_arg(ap, char **);
	va_end(ap);
	*out = ctx->socket ? ctx->socket : (char *)_fake.default_socket;
	return EMUNGE_SUCCESS;
}

const char *munge_ctx_strerror(munge_ctx_t ctx)
{
	return ctx ? ctx->error : NULL;
}

munge_err_t munge_encode(char **cred, munge_ctx_t ctx, const void *buf, int len)
{
	char text[64];

	assert_non_null(cred);
	assert_non_null(ctx);
	_fake.encodes++;
	snprintf(_fake.socket_seen, sizeof(_fake.socket_seen), "%s", ctx->socket ? ctx->socket : "");
	_fake.payload_null = buf == NULL;
	_fake.payload_len = len;
	assert_true(len >= 0 && (size_t)len <= sizeof(_fake.payload));
	if (len)
		memcpy(_fake.payload, buf, (size_t)len);
	if (_fake.fail != EMUNGE_SUCCESS) {
		ctx->error = _fake.fail_text;
		*cred = NULL;
		return _fake.fail;
	}
	snprintf(text, sizeof(text), "MUNGE:AwQFAAAfake%04d:", _fake.encodes);
	*cred = strdup(text);
	return *cred ? EMUNGE_SUCCESS : EMUNGE_NO_MEMORY;
}

/* ---- helpers ------------------------------------------------------------ */

static void *_init_ok(const char *sock)
{
	straw_auth_config cfg = { .munge_socket = sock };
	char err[256] = "";
	void *st = NULL;

	assert_int_equal(straw_auth_ops.init(&st, &cfg, err, sizeof(err)), STRAW_OK);
	assert_non_null(st);
	return st;
}

/* Check a section is u32 101 + packstr(expect) and nothing else. */
static void _check_section(const straw_auth_section *s, const char *expect)
{
	size_t n = strlen(expect);

	assert_non_null(s->data);
	assert_int_equal(s->len, 4 + 4 + n + 1);
	assert_memory_equal(s->data, "\x00\x00\x00\x65", 4);
	assert_int_equal(s->data[4], (uint8_t)((n + 1) >> 24));
	assert_int_equal(s->data[5], (uint8_t)((n + 1) >> 16));
	assert_int_equal(s->data[6], (uint8_t)((n + 1) >> 8));
	assert_int_equal(s->data[7], (uint8_t)(n + 1));
	assert_memory_equal(s->data + 8, expect, n);
	assert_int_equal(s->data[8 + n], 0);
}

static void _section_free(straw_auth_section *s)
{
	free(s->data);
	s->data = NULL;
	s->len = 0;
}

/* ---- tests -------------------------------------------------------------- */

static int _setup(void **state)
{
	(void)state;
	_fake_reset();
	return 0;
}

static void test_contract(void **state)
{
	(void)state;
	assert_string_equal(plugin_name, "straw auth/munge");
	assert_string_equal(plugin_type, "auth/munge");
	assert_int_equal(plugin_version, STRAW_PLUGIN_VERSION);
	assert_ptr_equal(straw_auth_ops.init, _init);
	assert_ptr_equal(straw_auth_ops.fini, _fini);
	assert_ptr_equal(straw_auth_ops.available, _available);
	assert_ptr_equal(straw_auth_ops.info, _info);
	assert_ptr_equal(straw_auth_ops.create, _create);
}

static void test_create_layout_and_payload(void **state)
{
	uint8_t payload[33];
	straw_auth_request req = { .protocol_version = 0x2600, .msg_type = 2015,
				   .payload = payload, .payload_len = sizeof(payload) };
	straw_auth_section out = { 0 };
	char err[256] = "";
	void *st = _init_ok("/tmp/straw-test/munge.sock");

	(void)state;
	payload[0] = 0x02;
	for (size_t i = 1; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(0xC0 + i);
	assert_int_equal(straw_auth_ops.create(st, &req, &out, err, sizeof(err)), STRAW_OK);
	_check_section(&out, "MUNGE:AwQFAAAfake0001:");
	/* The payload goes through untouched, and on the configured socket. */
	assert_int_equal(_fake.encodes, 1);
	assert_int_equal(_fake.payload_len, (int)sizeof(payload));
	assert_memory_equal(_fake.payload, payload, sizeof(payload));
	assert_string_equal(_fake.socket_seen, "/tmp/straw-test/munge.sock");
	_section_free(&out);
	straw_auth_ops.fini(st);
	assert_int_equal(_fake.created, _fake.destroyed);
}

static void test_fresh_credential_each_call(void **state)
{
	static const uint8_t payload[3] = { 0x01, 0xDF, 0x07 };
	straw_auth_request req = { .protocol_version = 0x2500, .msg_type = 2015,
				   .payload = payload, .payload_len = sizeof(payload) };
	straw_auth_section a = { 0 }, b = { 0 };
	char err[256] = "";
	void *st = _init_ok("/tmp/straw-test/munge.sock");

	(void)state;
	assert_int_equal(straw_auth_ops.create(st, &req, &a, err, sizeof(err)), STRAW_OK);
	assert_int_equal(straw_auth_ops.create(st, &req, &b, err, sizeof(err)), STRAW_OK);
	assert_int_equal(_fake.encodes, 2);
	_check_section(&a, "MUNGE:AwQFAAAfake0001:");
	_check_section(&b, "MUNGE:AwQFAAAfake0002:");
	assert_ptr_not_equal(a.data, b.data);
	assert_int_equal(_fake.payload_len, 3);
	assert_memory_equal(_fake.payload, payload, 3);
	_section_free(&a);
	_section_free(&b);
	straw_auth_ops.fini(st);
	assert_int_equal(_fake.created, _fake.destroyed);
}

static void test_empty_payload(void **state)
{
	straw_auth_request req = { .protocol_version = 0x2600, .msg_type = 2015 };
	straw_auth_section out = { 0 };
	char err[256] = "";
	void *st = _init_ok(NULL);

	(void)state;
	assert_int_equal(straw_auth_ops.create(st, &req, &out, err, sizeof(err)), STRAW_OK);
	assert_int_equal(_fake.payload_len, 0);
	_check_section(&out, "MUNGE:AwQFAAAfake0001:");
	_section_free(&out);
	straw_auth_ops.fini(st);
}

/* No socket configured: libmunge's own default is used and reported. */
static void test_default_socket(void **state)
{
	straw_auth_request req = { .protocol_version = 0x2600, .msg_type = 2015 };
	straw_auth_section out = { 0 };
	straw_auth_info info;
	char err[256] = "";
	void *st = _init_ok("");

	(void)state;
	assert_int_equal(straw_auth_ops.create(st, &req, &out, err, sizeof(err)), STRAW_OK);
	assert_int_equal(_fake.sets, 0);
	assert_string_equal(_fake.socket_seen, "");
	assert_int_equal(straw_auth_ops.info(st, &info, err, sizeof(err)), STRAW_OK);
	assert_string_equal(info.source, "munge socket /fake/run/munge/munge.socket.2");
	_section_free(&out);
	straw_auth_ops.fini(st);
	assert_int_equal(_fake.created, _fake.destroyed);
}

static void test_encode_failure(void **state)
{
	static const uint8_t payload[3] = { 0x01, 0xDF, 0x07 };
	straw_auth_request req = { .protocol_version = 0x2500, .msg_type = 2015,
				   .payload = payload, .payload_len = sizeof(payload) };
	uint8_t junk[4] = { 1, 2, 3, 4 };
	straw_auth_section out = { junk, sizeof(junk) };
	char err[512] = "";
	char tiny[8];
	void *st = _init_ok("/tmp/straw-test/nowhere.sock");

	(void)state;
	_fake.fail = EMUNGE_SOCKET;
	_fake.fail_text = "Failed to access \"/tmp/straw-test/nowhere.sock\": No such file or directory";
	assert_int_equal(straw_auth_ops.create(st, &req, &out, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_null(out.data);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(err, _fake.fail_text));
	assert_non_null(strstr(err, "(socket /tmp/straw-test/nowhere.sock)"));
	assert_non_null(strstr(err, "is munged running?"));
	assert_non_null(strstr(err, "STRAW_MUNGE_SOCKET"));

	/* No detailed text from the context: libmunge's generic one. */
	_fake.fail_text = NULL;
	assert_int_equal(straw_auth_ops.create(st, &req, &out, err, sizeof(err)), STRAW_ERR_AUTH);
	assert_non_null(strstr(err, munge_strerror(EMUNGE_SOCKET)));

	/* A short buffer is cut, still terminated. */
	memset(tiny, 'x', sizeof(tiny));
	assert_int_equal(straw_auth_ops.create(st, &req, &out, tiny, sizeof(tiny)), STRAW_ERR_AUTH);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_int_equal(straw_auth_ops.create(st, &req, &out, NULL, 0), STRAW_ERR_AUTH);

	assert_int_equal(_fake.encodes, 4);
	straw_auth_ops.fini(st);
	assert_int_equal(_fake.created, _fake.destroyed);
}

static void test_bad_arguments(void **state)
{
	straw_auth_request req = { .protocol_version = 0x2600, .msg_type = 2015,
				   .payload = NULL, .payload_len = 5 };
	straw_auth_section out = { 0 };
	char err[256] = "";
	char longpath[300];
	straw_auth_config cfg = { .munge_socket = longpath };
	void *st = _init_ok(NULL);

	(void)state;
	assert_int_not_equal(straw_auth_ops.create(st, &req, &out, err, sizeof(err)), STRAW_OK);
	assert_null(out.data);
	assert_int_equal(_fake.encodes, 0);
	straw_auth_ops.fini(st);

	/* Longer than sun_path can hold: refused at init, with a message. */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	st = (void *)1;
	err[0] = '\0';
	assert_int_equal(straw_auth_ops.init(&st, &cfg, err, sizeof(err)), STRAW_ERR_USAGE);
	assert_null(st);
	assert_non_null(strstr(err, "too long"));
	straw_auth_ops.fini(NULL);
}

static void test_available(void **state)
{
	char dir[] = "/tmp/straw-munge-test.XXXXXX";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char sock[sizeof(sa.sun_path)], file[128], missing[128];
	void *st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/munge.socket", dir);
	snprintf(file, sizeof(file), "%s/plain", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memcpy(sa.sun_path, sock, sizeof(sock));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(open(file, O_WRONLY | O_CREAT, 0600));

	st = _init_ok(sock);
	assert_true(straw_auth_ops.available(st));
	straw_auth_ops.fini(st);
	st = _init_ok(file);
	assert_false(straw_auth_ops.available(st));
	straw_auth_ops.fini(st);
	st = _init_ok(missing);
	assert_false(straw_auth_ops.available(st));
	straw_auth_ops.fini(st);
	st = _init_ok(dir);
	assert_false(straw_auth_ops.available(st));
	straw_auth_ops.fini(st);
	/* The default path comes from libmunge; here it is the socket made above. */
	_fake.default_socket = sock;
	st = _init_ok(NULL);
	assert_true(straw_auth_ops.available(st));
	straw_auth_ops.fini(st);
	_fake.default_socket = missing;
	st = _init_ok(NULL);
	assert_false(straw_auth_ops.available(st));
	straw_auth_ops.fini(st);

	close(fd);
	unlink(sock);
	unlink(file);
	rmdir(dir);
}

static void test_info(void **state)
{
	straw_auth_info info;
	struct passwd *pw = getpwuid(geteuid());
	char err[256] = "";
	void *st = _init_ok("/tmp/straw-test/munge.sock");

	(void)state;
	memset(&info, 0x5A, sizeof(info));
	assert_int_equal(straw_auth_ops.info(st, &info, err, sizeof(err)), STRAW_OK);
	assert_string_equal(info.source, "munge socket /tmp/straw-test/munge.sock");
	assert_int_equal(info.expires, 0);
	/* The name of the effective uid; "" when it has none. */
	assert_string_equal(info.user, pw ? pw->pw_name : "");
	straw_auth_ops.fini(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_contract, _setup),
		cmocka_unit_test_setup(test_create_layout_and_payload, _setup),
		cmocka_unit_test_setup(test_fresh_credential_each_call, _setup),
		cmocka_unit_test_setup(test_empty_payload, _setup),
		cmocka_unit_test_setup(test_default_socket, _setup),
		cmocka_unit_test_setup(test_encode_failure, _setup),
		cmocka_unit_test_setup(test_bad_arguments, _setup),
		cmocka_unit_test_setup(test_available, _setup),
		cmocka_unit_test_setup(test_info, _setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
