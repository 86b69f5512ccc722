/*
 * env.c - `straw env [--shell sh|csh|fish]`: make sure the cache holds a
 * fresh configuration, then print the line that points SLURM_CONF at it,
 * for `eval "$(straw env)"` in a shell profile or a container entrypoint.
 * Only that line goes to stdout; anything else goes to stderr, so eval
 * never runs a message.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool cli_shell_parse(const char *name, cli_shell *out)
{
	if (!strcmp(name, "sh") || !strcmp(name, "bash") || !strcmp(name, "zsh") ||
	    !strcmp(name, "ksh") || !strcmp(name, "dash")) {
		*out = CLI_SH;
	} else if (!strcmp(name, "csh") || !strcmp(name, "tcsh")) {
		*out = CLI_CSH;
	} else if (!strcmp(name, "fish")) {
		*out = CLI_FISH;
	} else {
		return false;
	}
	return true;
}

/* Append n bytes of s; false once out is full. */
static bool _put(char *out, size_t outlen, size_t *used, const char *s, size_t n)
{
	if (*used + n >= outlen)
		return false;
	memcpy(out + *used, s, n);
	*used += n;
	out[*used] = '\0';
	return true;
}

bool cli_shell_export(cli_shell sh, const char *name, const char *value, char *out,
		      size_t outlen)
{
	static const char *const head[] = {
		[CLI_SH] = "export ", [CLI_CSH] = "setenv ", [CLI_FISH] = "set -gx ",
	};
	size_t used = 0;
	bool fits;

	if (!outlen)
		return false;
	out[0] = '\0';
	fits = _put(out, outlen, &used, head[sh], strlen(head[sh])) &&
	       _put(out, outlen, &used, name, strlen(name)) &&
	       _put(out, outlen, &used, sh == CLI_SH ? "='" : " '", 2);
	for (const char *p = value; fits && *p; p++) {
		switch (sh) {
		case CLI_SH:
			/* Inside '...' nothing is special but the quote itself. */
			fits = *p == '\'' ? _put(out, outlen, &used, "'\\''", 4) :
					    _put(out, outlen, &used, p, 1);
			break;
		case CLI_CSH:
			/* csh expands ! even inside quotes and cannot quote a newline for eval. */
			if (*p == '\n')
				return false;
			fits = *p == '\'' ? _put(out, outlen, &used, "'\\''", 4) :
			       *p == '!' ? _put(out, outlen, &used, "\\!", 2) :
					   _put(out, outlen, &used, p, 1);
			break;
		case CLI_FISH:
			/* fish: \\ and \' are the only escapes inside '...'. */
			fits = (*p == '\'' || *p == '\\') ?
			       _put(out, outlen, &used, "\\", 1) && _put(out, outlen, &used, p, 1) :
			       _put(out, outlen, &used, p, 1);
			break;
		}
	}
	return fits && _put(out, outlen, &used, "'\n", 2);
}

static void _env_usage(FILE *f)
{
	fprintf(f,
		"usage: %s env [--shell sh|csh|fish] [-v]\n"
		"\n"
		"Make sure straw's cache holds a fresh copy of the controllers' configuration\n"
		"(fetching it when missing or older than STRAW_TTL), then print the line that sets\n"
		"SLURM_CONF to it, for: eval \"$(%s env)\"\n"
		"\n"
		"  -s, --shell SHELL  syntax: sh (also bash, zsh, ksh, dash; the default),\n"
		"                     csh (also tcsh) or fish\n"
		"  -v, --verbose      show progress on stderr\n"
		"\n"
		"Exit status as for %s (0 printed; 2 usage or no controller known; 3 unreachable; ...).\n",
		cli_prog, cli_prog, cli_prog);
}

int cli_env(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "shell", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[PATH_MAX], which[PATH_MAX], line[3 * PATH_MAX + 64];
	cli_shell sh = CLI_SH;
	straw_options opts;
	straw_error err = { 0 };
	bool stale = false;
	int c, rc, verbose = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!cli_shell_parse(optarg, &sh)) {
				fprintf(stderr, "%s env: --shell must be sh, csh or fish, not '%s'\n",
					cli_prog, optarg);
				return STRAW_ERR_USAGE;
			}
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			_env_usage(stdout);
			return 0;
		default:
			_env_usage(stderr);
			return STRAW_ERR_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s env: unexpected argument '%s'\n", cli_prog, argv[optind]);
		return STRAW_ERR_USAGE;
	}
	rc = straw_options_init(&opts, &err);
	if (rc) {
		fprintf(stderr, "%s: %s\n", cli_prog, err.msg);
		return rc;
	}
	opts.log = cli_log_stderr;
	opts.verbosity = verbose;
	rc = straw_cache_ensure(&opts, path, sizeof(path), &stale, &err);
	if (rc) {
		fprintf(stderr, "%s: %s\n", cli_prog, err.msg);
		straw_options_free(&opts);
		return rc;
	}
	/* Asked for by name, straw's copy is exported; say what it now hides. */
	if (!opts.override && straw_local_config_present(&opts, which, sizeof(which)))
		fprintf(stderr, "%s: note: %s exists; the SLURM_CONF printed takes precedence over it\n",
			cli_prog, which);
	straw_options_free(&opts);
	if (!cli_shell_export(sh, "SLURM_CONF", path, line, sizeof(line))) {
		fprintf(stderr, "%s: the path %s cannot be quoted for %s: set STRAW_CACHE_DIR to a "
			"plainer folder\n", cli_prog, path, sh == CLI_CSH ? "csh" : "this shell");
		return STRAW_ERR_USAGE;
	}
	if (fputs(line, stdout) == EOF || fflush(stdout) == EOF) {
		perror("straw env: stdout");
		return STRAW_ERR_WRITE;
	}
	if (verbose)
		fprintf(stderr, "%s: SLURM_CONF=%s%s\n", cli_prog, path, stale ? " (stale copy)" : "");
	return 0;
}
