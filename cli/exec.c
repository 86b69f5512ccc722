/*
 * exec.c - `straw exec CMD [ARG...]`: run one command with straw's loader
 * in LD_PRELOAD, so a Slurm command (or a script of them) finds its
 * configuration without a fetch step, and nothing else on the machine is
 * preloaded.  The loader is the one installed with this libstraw: next to
 * it in the build tree and in LIBDIR.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The base name of one LD_PRELOAD entry of length n starting at p. */
static const char *_base(const char *p, size_t n, size_t *blen)
{
	const char *b = p;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			b = p + i + 1;
	*blen = n - (size_t)(b - p);
	return b;
}

static bool _is_loader(const char *p, size_t n)
{
	size_t blen;
	const char *b = _base(p, n, &blen);
	size_t ln = strlen(CLI_LOADER_NAME);

	/* libstraw-preload.so, or a versioned libstraw-preload.so.N */
	return blen >= ln && !memcmp(b, CLI_LOADER_NAME, ln) && (blen == ln || b[ln] == '.');
}

static bool _is_asan(const char *p, size_t n)
{
	size_t blen;
	const char *b = _base(p, n, &blen);

	return (blen >= 7 && !memcmp(b, "libasan", 7)) ||
	       (blen >= 16 && !memcmp(b, "libclang_rt.asan", 16));
}

/* ld.so separates entries with ':' or white space. */
static bool _sep(char c)
{
	return c == ':' || c == ' ' || c == '\t' || c == '\n';
}

bool cli_preload_has_loader(const char *list)
{
	for (const char *p = list; p && *p;) {
		size_t n = 0;

		while (*p && _sep(*p))
			p++;
		while (p[n] && !_sep(p[n]))
			n++;
		if (n && _is_loader(p, n))
			return true;
		p += n;
	}
	return false;
}

bool cli_preload_value(const char *loader, const char *existing, char *out, size_t outlen)
{
	const char *p = existing;
	size_t n = 0;
	int w;

	while (p && *p && _sep(*p))
		p++;
	if (!p || !*p) {
		w = snprintf(out, outlen, "%s", loader);
	} else if (cli_preload_has_loader(p)) {
		w = snprintf(out, outlen, "%s", existing);
	} else {
		while (p[n] && !_sep(p[n]))
			n++;
		/* The ASan runtime must come first or every sanitized program refuses to start. */
		if (_is_asan(p, n)) {
			const char *rest = p + n;

			while (*rest && _sep(*rest))
				rest++;
			w = snprintf(out, outlen, "%.*s:%s%s%s", (int)n, p, loader, *rest ? ":" : "",
				     rest);
		} else {
			w = snprintf(out, outlen, "%s:%s", loader, p);
		}
	}
	return w >= 0 && (size_t)w < outlen;
}

/* Is there a file by that name where execvp looks (a name with '/' as it is)? */
static bool _on_path(const char *cmd)
{
	const char *path = getenv("PATH");
	struct stat sb;

	if (strchr(cmd, '/'))
		return stat(cmd, &sb) == 0;
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char full[PATH_MAX];

		/* An empty entry is the current folder. */
		if ((size_t)snprintf(full, sizeof(full), "%.*s%s%s", (int)n, p, n ? "/" : "", cmd) <
		    sizeof(full) && stat(full, &sb) == 0 && !S_ISDIR(sb.st_mode))
			return true;
		if (!end)
			return false;
		p = end;
	}
}

/* The loader beside libstraw.so.1 (build tree, LIBDIR), else the compiled-in LIBDIR. */
static bool _find_loader(char *out, size_t outlen)
{
	Dl_info info;

	if (dladdr((void *)straw_code_name, &info) && info.dli_fname &&
	    strchr(info.dli_fname, '/')) {
		const char *slash = strrchr(info.dli_fname, '/');
		char dir[PATH_MAX];

		char real[PATH_MAX];

		/* realpath: the rpath's "bin/../lib" would otherwise show in LD_PRELOAD. */
		if ((size_t)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - info.dli_fname),
				     info.dli_fname) < sizeof(dir) && realpath(dir, real) &&
		    (size_t)snprintf(out, outlen, "%s/%s", real, CLI_LOADER_NAME) < outlen &&
		    access(out, R_OK) == 0)
			return true;
	}
	return (size_t)snprintf(out, outlen, "%s/%s", STRAW_LIBDIR, CLI_LOADER_NAME) < outlen &&
	       access(out, R_OK) == 0;
}

int cli_exec(int argc, char **argv)
{
	char loader[PATH_MAX], *value;
	const char *existing = cli_env_get("LD_PRELOAD");
	size_t len;
	int first = 1, e;

	if (argc > 1 && !strcmp(argv[1], "--"))
		first = 2;
	if (argc > first && (!strcmp(argv[first], "-h") || !strcmp(argv[first], "--help"))) {
		printf("usage: %s exec [--] CMD [ARG...]\n\n"
		       "Run CMD with straw's loader (%s) put first in LD_PRELOAD,\n"
		       "so the Slurm commands it runs find their configuration.  The exit status is\n"
		       "CMD's; 127 when CMD is not found, 126 when it cannot be run.\n",
		       cli_prog, CLI_LOADER_NAME);
		return 0;
	}
	if (argc <= first) {
		fprintf(stderr, "usage: %s exec [--] CMD [ARG...]\n", cli_prog);
		return STRAW_ERR_USAGE;
	}
	if (!_find_loader(loader, sizeof(loader))) {
		fprintf(stderr, "%s exec: the loader %s is not installed beside libstraw nor in %s: "
			"reinstall straw\n", cli_prog, CLI_LOADER_NAME, STRAW_LIBDIR);
		return STRAW_ERR_INTERNAL;
	}
	len = strlen(loader) + (existing ? strlen(existing) : 0) + 3;
	value = malloc(len);
	if (!value || !cli_preload_value(loader, existing, value, len) ||
	    setenv("LD_PRELOAD", value, 1) != 0) {
		fprintf(stderr, "%s exec: cannot set LD_PRELOAD: %s\n", cli_prog, strerror(errno));
		free(value);
		return STRAW_ERR_INTERNAL;
	}
	free(value);
	fflush(NULL);
	/* execvp says EACCES for an unreadable PATH folder; a shell says "not found". */
	if (!_on_path(argv[first])) {
		fprintf(stderr, "%s exec: %s: command not found\n", cli_prog, argv[first]);
		return 127;
	}
	execvp(argv[first], argv + first);
	e = errno;
	fprintf(stderr, "%s exec: %s: %s\n", cli_prog, argv[first],
		e == ENOENT ? "command not found" : strerror(e));
	return e == ENOENT ? 127 : 126;
}
