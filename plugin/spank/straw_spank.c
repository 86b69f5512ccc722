/*
 * straw_spank.c - straw_spank.so, a SPANK plugin for compute nodes: keep
 * straw out of the jobs that straw's users submit.
 *
 * sbatch exports the submitter's environment by default, so a container's
 * LD_PRELOAD entry for straw's loader, its STRAW_* settings and (with
 * Slurm 22.05, which exports it) SLURM_JWT reach every process of the job
 * on the compute node, where the loader may not exist and the token is
 * not wanted.  In the remote context (slurmstepd) this plugin removes the
 * loader from the job's LD_PRELOAD, keeping every other entry, and drops
 * STRAW_*; with drop_jwt=yes (the default) it drops SLURM_JWT too.
 * slurmstepd already resets SLURM_CONF and drops SLURM_CONF_SERVER.
 *
 * plugstack.conf:  optional /usr/lib/<arch>/straw/straw_spank.so [drop_jwt=yes|no] [loader=NAME]
 *
 * loader=NAME names the loader's file (default libstraw-preload.so; a
 * versioned NAME.N matches too).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/spank.h>

#define STRAW_SPANK_LOADER "libstraw-preload.so"
#define STRAW_SPANK_PREFIX "STRAW_"
#define STRAW_SPANK_MAX_ENV (256 * 1024) /* largest LD_PRELOAD value handled */

/* Slurm finds the plugin by these names; everything else stays hidden. */
#pragma GCC visibility push(default)
SPANK_PLUGIN(straw, 1)
#pragma GCC visibility pop

typedef struct {
	bool drop_jwt;
	char loader[256];
} straw_spank_args;

/* drop_jwt=yes|no, loader=NAME; -1 (and a log line) on anything else. */
static int _args(int ac, char **av, straw_spank_args *a)
{
	a->drop_jwt = true;
	snprintf(a->loader, sizeof(a->loader), "%s", STRAW_SPANK_LOADER);
	for (int i = 0; i < ac; i++) {
		const char *v = av[i];

		if (!strncmp(v, "drop_jwt=", 9)) {
			v += 9;
			if (!strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "true")) {
				a->drop_jwt = true;
			} else if (!strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "false")) {
				a->drop_jwt = false;
			} else {
				slurm_error("straw_spank: drop_jwt must be yes or no, not '%s'", v);
				return -1;
			}
		} else if (!strncmp(v, "loader=", 7) && v[7] && !strchr(v + 7, '/') &&
			   strlen(v + 7) < sizeof(a->loader)) {
			snprintf(a->loader, sizeof(a->loader), "%s", v + 7);
		} else {
			slurm_error("straw_spank: unknown argument '%s' (drop_jwt=yes|no, "
				    "loader=FILENAME)", v);
			return -1;
		}
	}
	return 0;
}

/* Is the entry p[0..n) the loader: its base name is name or name.N? */
static bool _is_loader(const char *p, size_t n, const char *name)
{
	const char *b = p;
	size_t ln = strlen(name), bn;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			b = p + i + 1;
	bn = n - (size_t)(b - p);
	return bn >= ln && !memcmp(b, name, ln) && (bn == ln || b[ln] == '.');
}

static bool _sep(char c)
{
	return c == ':' || c == ' ' || c == '\t' || c == '\n';
}

/*
 * LD_PRELOAD without the loader: the other entries, in order, joined with
 * ':' (ld.so takes ':' or blanks).  out must hold strlen(in) + 1 bytes.
 * Returns whether an entry was removed.
 */
static bool _strip_loader(const char *in, const char *name, char *out)
{
	size_t used = 0;
	bool removed = false;

	out[0] = '\0';
	for (const char *p = in; *p;) {
		size_t n = 0;

		while (*p && _sep(*p))
			p++;
		while (p[n] && !_sep(p[n]))
			n++;
		if (!n)
			break;
		if (_is_loader(p, n, name)) {
			removed = true;
		} else {
			if (used)
				out[used++] = ':';
			memcpy(out + used, p, n);
			used += n;
			out[used] = '\0';
		}
		p += n;
	}
	return removed;
}

static void _clean_preload(spank_t sp, const straw_spank_args *a)
{
	size_t cap = 4096;
	char *val = NULL, *out = NULL;
	spank_err_t rc;

	/* The value may be long: grow until it fits. */
	for (;;) {
		free(val);
		val = malloc(cap);
		if (!val)
			return;
		rc = spank_getenv(sp, "LD_PRELOAD", val, (int)cap);
		if (rc != ESPANK_NOSPACE || cap >= STRAW_SPANK_MAX_ENV)
			break;
		cap *= 4;
	}
	if (rc != ESPANK_SUCCESS) {
		if (rc == ESPANK_NOSPACE)
			slurm_error("straw_spank: LD_PRELOAD is longer than %d bytes; left as it is",
				    STRAW_SPANK_MAX_ENV);
		free(val);
		return;
	}
	out = malloc(strlen(val) + 1);
	if (out && _strip_loader(val, a->loader, out)) {
		if (out[0])
			rc = spank_setenv(sp, "LD_PRELOAD", out, 1);
		else
			rc = spank_unsetenv(sp, "LD_PRELOAD");
		if (rc != ESPANK_SUCCESS)
			slurm_error("straw_spank: cannot update LD_PRELOAD: %s", spank_strerror(rc));
		else
			slurm_debug("straw_spank: removed %s from LD_PRELOAD", a->loader);
	}
	free(out);
	free(val);
}

/* Drop every STRAW_* variable (names collected first: unsetenv edits the array). */
static void _drop_straw_vars(spank_t sp)
{
	char **env = NULL, **names;
	size_t n = 0, k = 0;

	if (spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS || !env)
		return;
	for (char **e = env; *e; e++)
		n += !strncmp(*e, STRAW_SPANK_PREFIX, strlen(STRAW_SPANK_PREFIX)) && strchr(*e, '=');
	if (!n)
		return;
	names = calloc(n, sizeof(*names));
	if (!names)
		return;
	for (char **e = env; *e && k < n; e++) {
		const char *eq = strchr(*e, '=');

		if (!eq || strncmp(*e, STRAW_SPANK_PREFIX, strlen(STRAW_SPANK_PREFIX)))
			continue;
		names[k] = strndup(*e, (size_t)(eq - *e));
		if (names[k])
			k++;
	}
	for (size_t i = 0; i < k; i++) {
		if (spank_unsetenv(sp, names[i]) != ESPANK_SUCCESS)
			slurm_error("straw_spank: cannot drop %s", names[i]);
		free(names[i]);
	}
	free(names);
}

/* A hook's result: negative fails the job step (Slurm's rule), 0 passes. */
static int _clean(spank_t sp, int ac, char **av)
{
	straw_spank_args a;

	if (!spank_remote(sp))
		return ESPANK_SUCCESS;
	if (_args(ac, av, &a) < 0)
		return -1;
	_clean_preload(sp, &a);
	_drop_straw_vars(sp);
	if (a.drop_jwt)
		spank_unsetenv(sp, "SLURM_JWT");
	return ESPANK_SUCCESS;
}

#pragma GCC visibility push(default)

/* Checked once where the plugin is loaded, so a typo in plugstack.conf shows at once. */
int slurm_spank_init(spank_t sp, int ac, char **av)
{
	straw_spank_args a;

	(void)sp;
	return _args(ac, av, &a) < 0 ? -1 : 0;
}

/* Once per step, before the tasks are forked: they inherit the cleaned environment. */
int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	return _clean(sp, ac, av);
}

/* Again in each task, after any plugin listed later had its turn. */
int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	return _clean(sp, ac, av);
}

#pragma GCC visibility pop
