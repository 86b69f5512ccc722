/*
 * straw.c - the straw command: fetch the Slurm client configuration from
 * slurmctld into a folder.  A drop-in for the original Python straw:
 *
 *   straw [--auth munge|jwt|auto] [-o DIR] [-v]... [-V] [-l] [SERVER...] [VERSION]
 *
 * plus the subcommands doctor, env, token and exec (doctor.c, env.c,
 * token.c, exec.c).  The work is done by libstraw; these files turn
 * arguments into options and a result code into an exit status.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_prog = "straw";

extern char **environ;

const char *cli_env_get(const char *name)
{
	size_t n = strlen(name);

	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--auth munge|jwt|auto] [-o DIR] [-v]... [-V] [-l] [SERVER...] [VERSION]\n"
		"       %s doctor [--json] [-v]       check every step a Slurm command takes\n"
		"       %s env [--shell sh|csh|fish]  refresh the cache, print SLURM_CONF for eval\n"
		"       %s token --key FILE --user NAME [--lifetime SECONDS]\n"
		"       %s exec CMD [ARG...]          run CMD with straw's loader preloaded\n"
		"\n"
		"Fetch the Slurm client configuration (slurm.conf and the files it needs) from\n"
		"slurmctld over Slurm's own protocol (configless REQUEST_CONFIG) and write it to DIR.\n"
		"\n"
		"  SERVER            controller as host[:port] or [v6addr]:port (default port 6817);\n"
		"                    several are tried in order.  Default: $STRAW_SERVERS, else\n"
		"                    $SLURM_CONF_SERVER (comma-separated lists), else servers= in\n"
		"                    straw.conf, else DNS SRV _slurmctld._tcp.\n"
		"  VERSION           protocol version NN.NN (e.g. 22.05); default: negotiate (auto),\n"
		"                    or $STRAW_PROTOCOL.\n"
		"  -a, --auth MODE   munge, jwt or auto (default auto: jwt when $SLURM_JWT or\n"
		"                    $STRAW_JWT_FILE gives a token, else munge)\n"
		"  -o, --output DIR  folder to write to, created if missing (default .)\n"
		"  -v, --verbose     show progress (controller, version, bytes, files); twice: more\n"
		"  -l, --list        list the protocol versions spoken and exit\n"
		"  -V, --version     print straw's version and exit\n"
		"  -h, --help        this text\n"
		"\n"
		"Environment (wins over /etc/straw.conf, or the file named by STRAW_CONF):\n"
		"STRAW_SERVERS, SLURM_CONF_SERVER, SLURM_JWT, STRAW_JWT_FILE, STRAW_AUTH, STRAW_PROTOCOL,\n"
		"STRAW_MUNGE_SOCKET, STRAW_CONNECT_TIMEOUT, STRAW_TIMEOUT, STRAW_DEADLINE, STRAW_DNS_SRV.\n"
		"\n"
		"Exit status:\n"
		"  0  the configuration was written\n"
		"  1  internal error\n"
		"  2  usage: bad argument, option or environment variable\n"
		"  3  no controller reachable (refused, timed out, silent, standby)\n"
		"  4  authentication failed (no token or munge, expired token, credential refused)\n"
		"  5  protocol mismatch or malformed reply\n"
		"  6  refused by the controller (e.g. 2126: add enable_configless to SlurmctldParameters)\n"
		"  7  the files could not be written\n"
		"  (exec: the command's own status; 126 not executable, 127 not found)\n",
		cli_prog, cli_prog, cli_prog, cli_prog, cli_prog);
}

void cli_log_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s: %s%s\n", cli_prog, level == STRAW_LOG_WARN ? "warning: " : "", msg);
}

static int fail(int code, const char *msg)
{
	fprintf(stderr, "%s: %s\n", cli_prog, msg);
	return code;
}

static bool looks_like_version(const char *s)
{
	return !strcmp(s, "auto") ||
	       (strlen(s) == 5 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
		s[2] == '.' && s[3] >= '0' && s[3] <= '9' && s[4] >= '0' && s[4] <= '9');
}

static int list_versions(void)
{
	size_t n;
	const uint16_t *v = straw_protocol_versions(&n);

	for (size_t i = 0; i < n; i++)
		printf("%s\t0x%04x\n", straw_protocol_name(v[i]), v[i]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "auth", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "list", no_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	straw_options opts;
	straw_error err = { 0 };
	straw_config *cfg = NULL;
	const char *outdir = ".", *auth = NULL;
	char *servers = NULL;
	size_t servers_len = 0;
	int verbose = 0, c, rc, nargs;

	if (argv[0] && strrchr(argv[0], '/'))
		cli_prog = strrchr(argv[0], '/') + 1;
	else if (argv[0] && argv[0][0])
		cli_prog = argv[0];
	/* Subcommands; a controller with such a name is given as NAME:PORT. */
	if (argc > 1) {
		static const struct {
			const char *name;
			int (*fn)(int, char **);
		} sub[] = {
			{ "doctor", cli_doctor },
			{ "env", cli_env },
			{ "token", cli_token },
			{ "exec", cli_exec },
		};

		for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
			if (!strcmp(argv[1], sub[i].name))
				return sub[i].fn(argc - 1, argv + 1);
	}

	while ((c = getopt_long(argc, argv, "a:o:vlVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			auth = optarg;
			if (strcmp(auth, "munge") && strcmp(auth, "jwt") && strcmp(auth, "auto")) {
				fprintf(stderr, "%s: --auth must be munge, jwt or auto, not '%s'\n", cli_prog,
					auth);
				return STRAW_ERR_USAGE;
			}
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'l':
			return list_versions();
		case 'V':
			printf("straw %s\n", STRAW_VERSION_STRING);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return STRAW_ERR_USAGE;
		}
	}

	rc = straw_options_init(&opts, &err);
	if (rc)
		return fail(rc, err.msg);
	if (auth)
		opts.auth = auth;
	opts.log = cli_log_stderr;
	opts.verbosity = verbose;

	nargs = argc - optind;
	if (nargs > 0 && looks_like_version(argv[argc - 1])) {
		const char *v = argv[argc - 1];

		if (!strcmp(v, "auto")) {
			opts.protocol = STRAW_PROTOCOL_AUTO;
		} else {
			opts.protocol = straw_protocol_parse(v);
			if (!opts.protocol) {
				fprintf(stderr, "%s: protocol version %s is not spoken; `%s -l` lists "
					"those that are\n", cli_prog, v, cli_prog);
				straw_options_free(&opts);
				return STRAW_ERR_USAGE;
			}
		}
		nargs--;
	}
	for (int i = 0; i < nargs; i++)
		servers_len += strlen(argv[optind + i]) + 1;
	if (nargs > 0) {
		servers = calloc(1, servers_len + 1);
		if (!servers)
			return fail(STRAW_ERR_INTERNAL, "out of memory");
		for (int i = 0; i < nargs; i++) {
			if (i)
				strcat(servers, ",");
			strcat(servers, argv[optind + i]);
		}
		opts.servers = servers;
	}
	/* No SERVER and no variable: straw.conf's servers=, else DNS SRV, as Slurm. */
	rc = straw_fetch(&opts, &cfg, &err);
	if (rc) {
		straw_options_free(&opts);
		free(servers);
		return fail(rc, err.msg);
	}
	rc = straw_write_dir(cfg, outdir, &err);
	if (rc) {
		straw_config_free(cfg);
		straw_options_free(&opts);
		free(servers);
		return fail(rc, err.msg);
	}
	if (verbose) {
		size_t written = 0;

		for (size_t i = 0; i < cfg->nfiles; i++)
			written += cfg->files[i].exists;
		fprintf(stderr, "%s: wrote %zu files to %s (from %s, protocol %s)\n", cli_prog, written,
			outdir, cfg->controller, straw_protocol_name(cfg->protocol));
		for (size_t i = 0; i < cfg->nfiles; i++)
			fprintf(stderr, "%s:   %-24s %s\n", cli_prog, cfg->files[i].name,
				!cfg->files[i].exists ? "absent (removed if present)"
				: cfg->files[i].content_null ? "empty" : "written");
	}
	straw_config_free(cfg);
	straw_options_free(&opts);
	free(servers);
	return 0;
}
