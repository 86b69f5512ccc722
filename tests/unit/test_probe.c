/*
 * test_probe.c - straw_probe (lib/probe.c) against a scripted controller
 * in a thread on 127.0.0.1: each step's outcome is reported on its own
 * (name, TCP, version, credential, configless), from captured replies of
 * real controllers (tests/vectors).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "support_vectors.h"

/* ---- a scripted controller ------------------------------------------- */

typedef enum {
	FAKE_CONFIG_2205,   /* RESPONSE_CONFIG to 22.05, silence to the rest */
	FAKE_STATES_2411,   /* RC 1007 in 24.11 to other versions, RESPONSE_CONFIG to 24.11 */
	FAKE_AUTH_2411,     /* RC 1007 to everything, header 24.11 */
	FAKE_CONFIGLESS_OFF, /* RC 2126 to 22.05, silence to the rest */
	FAKE_SILENT,        /* close without a word, always */
	FAKE_HTTP,          /* "HTTP/1.1 405", always: not a controller's port */
} fake_mode;

typedef struct {
	int lfd;
	uint16_t port;
	fake_mode mode;
	int conns;
	uint16_t versions[32];
	pthread_t th;
	uint8_t *cfg2205, *cfg2411, *rc1007, *rc2126, *http;
	size_t cfg2205_len, cfg2411_len, rc1007_len, rc2126_len, http_len;
} fake_ctld;

static bool _read_n(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static void _write_n(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void *_serve(void *arg)
{
	fake_ctld *f = arg;

	for (;;) {
		int fd = accept(f->lfd, NULL, NULL);
		uint8_t hdr[6], *rest;
		uint32_t len;
		uint16_t v;

		if (fd < 0)
			return NULL;
		if (!_read_n(fd, hdr, 6)) {
			close(fd);
			continue;
		}
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		v = (uint16_t)(hdr[4] << 8 | hdr[5]);
		if (len >= 2 && len < (1u << 20)) {
			rest = malloc(len - 2);
			if (rest && _read_n(fd, rest, len - 2)) {
				/* the whole request was read: answer it */
			}
			free(rest);
		}
		if (f->conns < 32)
			f->versions[f->conns] = v;
		f->conns++;
		switch (f->mode) {
		case FAKE_CONFIG_2205:
			if (v == STRAW_V22_05)
				_write_n(fd, f->cfg2205, f->cfg2205_len);
			break;
		case FAKE_STATES_2411:
			if (v == STRAW_V24_11)
				_write_n(fd, f->cfg2411, f->cfg2411_len);
			else
				_write_n(fd, f->rc1007, f->rc1007_len);
			break;
		case FAKE_AUTH_2411:
			_write_n(fd, f->rc1007, f->rc1007_len);
			break;
		case FAKE_CONFIGLESS_OFF:
			if (v == STRAW_V22_05)
				_write_n(fd, f->rc2126, f->rc2126_len);
			break;
		case FAKE_SILENT:
			break;
		case FAKE_HTTP:
			_write_n(fd, f->http, f->http_len);
			break;
		}
		close(fd);
	}
}

static fake_ctld *_fake_start(fake_mode mode)
{
	fake_ctld *f = calloc(1, sizeof(*f));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	assert_non_null(f);
	f->mode = mode;
	f->cfg2205 = tvec_read("22.05/response-config-jwt.bin", &f->cfg2205_len);
	f->cfg2411 = tvec_read("24.11/response-config-jwt.bin", &f->cfg2411_len);
	f->rc1007 = tvec_read("errors/24.11-bad-token.response.bin", &f->rc1007_len);
	f->rc2126 = tvec_read("errors/22.05-slurmd-flags-by-user.response.bin", &f->rc2126_len);
	f->http = tvec_read("errors/26.05-too-old-version.response.bin", &f->http_len);
	assert_non_null(f->http);
	assert_non_null(f->cfg2205);
	assert_non_null(f->cfg2411);
	assert_non_null(f->rc1007);
	assert_non_null(f->rc2126);
	/* The captured reply says 2010; the last u32 is the code: make it 2126. */
	assert_true(f->rc2126_len > 4);
	f->rc2126[f->rc2126_len - 2] = 0x08;
	f->rc2126[f->rc2126_len - 1] = 0x4e;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 16), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &sl), 0);
	f->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&f->th, NULL, _serve, f), 0);
	return f;
}

/* Stop serving; after it the counts can be read without a race. */
static void _fake_stop(fake_ctld *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	close(f->lfd);
	pthread_join(f->th, NULL);
}

static void _fake_free(fake_ctld *f)
{
	free(f->cfg2205);
	free(f->cfg2411);
	free(f->rc1007);
	free(f->rc2126);
	free(f->http);
	free(f);
}

/* ---- fixtures --------------------------------------------------------- */

static char plugin_dir[PATH_MAX];
static char tmpdir[] = "/tmp/test_probe.XXXXXX";
static char servers[128];

/* A valid token from a test key, in SLURM_JWT, via straw_token_mint. */
static void _set_token(long lifetime)
{
	char key[PATH_MAX + 8];
	straw_options o;
	straw_error e = { 0 };
	char *tok = NULL;
	int fd;

	snprintf(key, sizeof(key), "%s/key", tmpdir);
	fd = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef", 32), 32);
	close(fd);
	assert_int_equal(straw_options_init(&o, &e), STRAW_OK);
	o.plugin_dir = plugin_dir;
	assert_int_equal(straw_token_mint(&o, key, "alice", lifetime, &tok, &e), STRAW_OK);
	setenv("SLURM_JWT", tok, 1);
	straw_token_free(tok);
	straw_options_free(&o);
}

static void _opts(straw_options *o, uint16_t port)
{
	straw_error e = { 0 };

	assert_int_equal(straw_options_init(o, &e), STRAW_OK);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", port);
	o->servers = servers;
	o->plugin_dir = plugin_dir;
	o->auth = "jwt";
	o->connect_timeout_ms = 1000;
	o->reply_timeout_ms = 2000;
	o->deadline_ms = 10000;
	o->dns_srv = false;
}

static int setup(void **state)
{
	(void)state;
	unsetenv("STRAW_SERVERS");
	unsetenv("SLURM_CONF_SERVER");
	unsetenv("STRAW_PROTOCOL");
	unsetenv("STRAW_JWT_FILE");
	{
		/* An empty straw.conf: the machine's own must not change the results. */
		char conf[PATH_MAX + 16];
		int fd;

		snprintf(conf, sizeof(conf), "%s/straw.conf", tmpdir);
		fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		close(fd);
		setenv("STRAW_CONF", conf, 1);
	}
	_set_token(600);
	return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_negotiates_down_to_2205(void **state)
{
	fake_ctld *f = _fake_start(FAKE_CONFIG_2205);
	straw_probe_result r;
	straw_options o;
	straw_error e = { 0 };
	bool has_conf = false;

	(void)state;
	_opts(&o, f->port);
	assert_int_equal(straw_probe(&o, 0, &r, &e), STRAW_OK);
	_fake_stop(f);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.server, servers);
	assert_string_equal(r.address, "127.0.0.1");
	assert_int_equal(r.resolve, STRAW_CHECK_OK);
	assert_int_equal(r.connect, STRAW_CHECK_OK);
	assert_int_equal(r.version, STRAW_CHECK_OK);
	assert_int_equal(r.protocol, STRAW_V22_05);
	assert_int_equal(r.auth, STRAW_CHECK_OK);
	assert_string_equal(r.auth_type, "jwt");
	assert_int_equal(r.configless, STRAW_CHECK_OK);
	assert_int_equal(r.error.code, 0);
	assert_non_null(r.config);
	for (size_t i = 0; i < r.config->nfiles; i++)
		has_conf |= r.config->files[i].exists && !strcmp(r.config->files[i].name, "slurm.conf");
	assert_true(has_conf);
	/* newest first, then down to 22.05: one connection per version tried */
	assert_true(f->conns >= 2);
	assert_int_equal(f->versions[f->conns - 1], STRAW_V22_05);
	straw_config_free(r.config);
	straw_options_free(&o);
	_fake_free(f);
}

static void test_follows_stated_version(void **state)
{
	fake_ctld *f = _fake_start(FAKE_STATES_2411);
	straw_probe_result r;
	straw_options o;
	straw_error e = { 0 };

	(void)state;
	_opts(&o, f->port);
	o.protocol_hint = STRAW_V22_05; /* a wrong guess: the controller corrects it */
	assert_int_equal(straw_probe(&o, 0, &r, &e), STRAW_OK);
	_fake_stop(f);
	assert_int_equal(r.protocol, STRAW_V24_11);
	assert_int_equal(f->conns, 2);
	assert_int_equal(f->versions[0], STRAW_V22_05);
	assert_int_equal(f->versions[1], STRAW_V24_11);
	straw_config_free(r.config);
	straw_options_free(&o);
	_fake_free(f);
}

static void test_auth_refused_in_known_version(void **state)
{
	fake_ctld *f = _fake_start(FAKE_AUTH_2411);
	straw_probe_result r;
	straw_options o;
	straw_error e = { 0 };

	(void)state;
	_opts(&o, f->port);
	assert_int_equal(straw_probe(&o, 0, &r, &e), STRAW_ERR_AUTH);
	_fake_stop(f);
	assert_int_equal(e.code, STRAW_ERR_AUTH);
	assert_int_equal(r.version, STRAW_CHECK_OK);
	assert_int_equal(r.protocol, STRAW_V24_11);
	assert_int_equal(r.auth, STRAW_CHECK_FAILED);
	assert_int_equal(r.configless, STRAW_CHECK_SKIPPED);
	assert_int_equal(r.slurm_rc, 1007);
	assert_null(r.config);
	assert_non_null(strstr(r.error.msg, servers));
	straw_options_free(&o);
	_fake_free(f);
}

static void test_configless_off(void **state)
{
	fake_ctld *f = _fake_start(FAKE_CONFIGLESS_OFF);
	straw_probe_result r;
	straw_options o;
	straw_error e = { 0 };

	(void)state;
	_opts(&o, f->port);
	assert_int_equal(straw_probe(&o, 0, &r, &e), STRAW_ERR_REFUSED);
	_fake_stop(f);
	assert_int_equal(r.version, STRAW_CHECK_OK);
	assert_int_equal(r.protocol, STRAW_V22_05);
	assert_int_equal(r.auth, STRAW_CHECK_OK);
	assert_int_equal(r.configless, STRAW_CHECK_FAILED);
	assert_int_equal(r.slurm_rc, 2126);
	assert_non_null(strstr(r.error.msg, "enable_configless"));
	straw_options_free(&o);
	_fake_free(f);
}

static void test_silence_everywhere(void **state)
{
	fake_ctld *f = _fake_start(FAKE_SILENT);
	straw_probe_result r;
	straw_options o;
	straw_error e = { 0 };
	size_t nknown;

	(void)state;
	straw_protocol_versions(&nknown);
	_opts(&o, f->port);
	assert_int_equal(straw_probe(&o, 0, &r, &e), STRAW_ERR_AUTH);
	_fake_stop(f);
	assert_int_equal(r.connect, STRAW_CHECK_OK);
	assert_int_equal(r.version, STRAW_CHECK_UNKNOWN);
	assert_int_equal(r.auth, STRAW_CHECK_FAILED);
	assert_int_equal(r.protocol, 0);
	assert_int_equal((size_t)f->conns, nknown);
	assert_non_null(strstr(r.error.msg, "without a reply"));
	straw_options_free(&o);
	_fake_free(f);
}

static void test_http_everywhere(void **state)
{
	fake_ctld *f = _fake_start(FAKE_HTTP);
	straw_probe_result r;
	straw_options o;
	straw_error e = { 0 };

	(void)state;
	_opts(&o, f->port);
	assert_int_equal(straw_probe(&o, 0, &r, &e), STRAW_ERR_PROTOCOL);
	_fake_stop(f);
	assert_int_equal(r.connect, STRAW_CHECK_OK);
	assert_int_equal(r.version, STRAW_CHECK_FAILED);
	assert_int_equal(r.auth, STRAW_CHECK_SKIPPED);
	assert_non_null(strstr(r.error.msg, "as HTTP"));
	straw_options_free(&o);
	_fake_free(f);
}

static void test_refused_port(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	straw_probe_result r;
	straw_options o;
	straw_error e = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	(void)state;
	/* A port that was just free, bound and closed again: nobody listens. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	_opts(&o, port);
	assert_int_equal(straw_probe(&o, 0, &r, &e), STRAW_ERR_UNREACHABLE);
	assert_int_equal(r.resolve, STRAW_CHECK_OK);
	assert_int_equal(r.connect, STRAW_CHECK_FAILED);
	assert_int_equal(r.version, STRAW_CHECK_SKIPPED);
	assert_int_equal(r.auth, STRAW_CHECK_SKIPPED);
	assert_non_null(strstr(e.msg, "Connection refused"));
	assert_non_null(strstr(e.msg, servers));
	straw_options_free(&o);
}

static void test_expired_token_never_sent(void **state)
{
	fake_ctld *f = _fake_start(FAKE_CONFIG_2205);
	straw_probe_result r;
	straw_options o;
	straw_error e = { 0 };
	const char *tok;

	(void)state;
	_set_token(1);
	sleep(2);
	tok = getenv("SLURM_JWT");
	_opts(&o, f->port);
	assert_int_equal(straw_probe(&o, 0, &r, &e), STRAW_ERR_AUTH);
	_fake_stop(f);
	assert_int_equal(r.connect, STRAW_CHECK_OK);
	assert_int_equal(r.auth, STRAW_CHECK_FAILED);
	assert_int_equal(r.version, STRAW_CHECK_SKIPPED);
	assert_non_null(strstr(e.msg, "expired"));
	assert_null(strstr(e.msg, tok));
	/* connected, but no request was ever completed */
	assert_int_equal(f->conns, 0);
	straw_options_free(&o);
	_fake_free(f);
}

static void test_index_and_resolution(void **state)
{
	straw_probe_result r;
	straw_options o;
	straw_error e = { 0 };

	(void)state;
	_opts(&o, 1);
	o.servers = "127.0.0.1:1,no-such-host.invalid:6817";
	assert_int_equal(straw_probe(&o, 2, &r, &e), STRAW_ERR_USAGE);
	assert_int_equal(r.count, 2);
	assert_int_equal(straw_probe(&o, 1, &r, &e), STRAW_ERR_UNREACHABLE);
	assert_string_equal(r.server, "no-such-host.invalid:6817");
	assert_int_equal(r.resolve, STRAW_CHECK_FAILED);
	assert_int_equal(r.connect, STRAW_CHECK_SKIPPED);
	assert_non_null(strstr(e.msg, "resolve"));
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
	/* $BUILD/tests/test_probe -> $BUILD/lib/straw */
	snprintf(path, sizeof(path), "%s/../lib/straw", exe);
	if (!realpath(path, plugin_dir)) {
		fprintf(stderr, "test_probe: %s not found: build the plugins first\n", path);
		return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_negotiates_down_to_2205, setup),
		cmocka_unit_test_setup(test_follows_stated_version, setup),
		cmocka_unit_test_setup(test_auth_refused_in_known_version, setup),
		cmocka_unit_test_setup(test_configless_off, setup),
		cmocka_unit_test_setup(test_silence_everywhere, setup),
		cmocka_unit_test_setup(test_http_everywhere, setup),
		cmocka_unit_test_setup(test_refused_port, setup),
		cmocka_unit_test_setup(test_expired_token_never_sent, setup),
		cmocka_unit_test_setup(test_index_and_resolution, setup),
	};
	int rc;

	if (_find_plugins() < 0 || !tvec_dir() || !mkdtemp(tmpdir)) {
		fprintf(stderr, "test_probe: needs the built plugins and STRAW_VECTORS\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char key[PATH_MAX + 8];

		snprintf(key, sizeof(key), "%s/key", tmpdir);
		unlink(key);
		snprintf(key, sizeof(key), "%s/straw.conf", tmpdir);
		unlink(key);
		rmdir(tmpdir);
	}
	return rc;
}
