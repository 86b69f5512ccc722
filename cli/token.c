/*
 * token.c - `straw token --key FILE --user NAME [--lifetime SECONDS]`:
 * mint an HS256 JWT (exp, iat, sun) with the controller's jwt_key, as
 * `scontrol token` does but without a running controller or a slurm.conf:
 * for an admin handing tokens to a gateway, or a test.  The token is the
 * only thing on stdout; nothing else ever shows it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define _DEFAULT_LIFETIME 1800
#define _MAX_LIFETIME 315360000L /* ten years */

static bool _write_all(const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(STDOUT_FILENO, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

static void _usage(FILE *f)
{
	fprintf(f,
		"usage: %s token --key FILE --user NAME [--lifetime SECONDS]\n"
		"\n"
		"Print an HS256 JWT for user NAME (claims exp, iat, sun), signed with FILE, the\n"
		"controller's key (AuthAltParameters=jwt_key=FILE).  FILE must be readable by its\n"
		"owner only (chmod 600).\n"
		"\n"
		"  -k, --key FILE        the HS256 key\n"
		"  -u, --user NAME       the user the token names (sun)\n"
		"  -l, --lifetime SECS   seconds until it expires (default %d)\n",
		cli_prog, _DEFAULT_LIFETIME);
}

int cli_token(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *user = NULL;
	long lifetime = _DEFAULT_LIFETIME;
	straw_options opts;
	straw_error err = { 0 };
	char *tok = NULL, *end;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:u:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'l':
			errno = 0;
			lifetime = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || lifetime <= 0 || lifetime > _MAX_LIFETIME) {
				fprintf(stderr, "%s token: --lifetime must be a whole number of seconds "
					"from 1 to %ld, not '%s'\n", cli_prog, _MAX_LIFETIME, optarg);
				return STRAW_ERR_USAGE;
			}
			break;
		case 'h':
			_usage(stdout);
			return 0;
		default:
			_usage(stderr);
			return STRAW_ERR_USAGE;
		}
	}
	if (optind < argc || !key || !user || !*user) {
		if (optind < argc)
			fprintf(stderr, "%s token: unexpected argument '%s'\n", cli_prog, argv[optind]);
		else
			fprintf(stderr, "%s token: --key and --user are required\n", cli_prog);
		_usage(stderr);
		return STRAW_ERR_USAGE;
	}
	rc = straw_options_init(&opts, &err);
	if (rc) {
		fprintf(stderr, "%s: %s\n", cli_prog, err.msg);
		return rc;
	}
	rc = straw_token_mint(&opts, key, user, lifetime, &tok, &err);
	straw_options_free(&opts);
	if (rc) {
		fprintf(stderr, "%s token: %s\n", cli_prog, err.msg);
		return rc;
	}
	/* write(2), not stdio: no copy of the token left in a buffer. */
	rc = _write_all(tok) && _write_all("\n") ? 0 : STRAW_ERR_WRITE;
	straw_token_free(tok);
	if (rc)
		fprintf(stderr, "%s token: cannot write to stdout: %s\n", cli_prog, strerror(errno));
	return rc;
}
