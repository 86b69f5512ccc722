/*
 * cli.h - what the straw command's files share: the subcommands, and the
 * small text helpers they are built from (kept here so the unit tests can
 * reach them).
 */
#ifndef STRAW_CLI_H
#define STRAW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "straw/straw.h"

/* The name the command was run as, for messages. */
extern const char *cli_prog;

/* Subcommands: argv[0] is the subcommand's name; each returns the exit status. */
int cli_doctor(int argc, char **argv);
int cli_env(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_exec(int argc, char **argv);

/* Engine log lines to stderr, "straw: [warning: ]msg". */
void cli_log_stderr(void *arg, int level, const char *msg);

/*
 * A variable from environ itself.  Never getenv() for SLURM_CONF: under
 * straw's own loader that call is what starts a fetch.
 */
const char *cli_env_get(const char *name);

/* ---- env.c: shell quoting ------------------------------------------------ */

typedef enum { CLI_SH, CLI_CSH, CLI_FISH } cli_shell;

/* "sh", "csh" (tcsh too) or "fish"; false for anything else. */
bool cli_shell_parse(const char *name, cli_shell *out);
/*
 * The line that sets name to value in that shell, ending in a newline,
 * quoted so that eval gives back value exactly.  False when it does not fit
 * or the value cannot be quoted for that shell (a newline for csh).
 */
bool cli_shell_export(cli_shell sh, const char *name, const char *value, char *out,
		      size_t outlen);

/* ---- exec.c: the preload list ------------------------------------------- */

/* The loader's file name, as every install and the build tree name it. */
#define CLI_LOADER_NAME "libstraw-preload.so"

/*
 * LD_PRELOAD for running a command with loader: loader first, then what
 * was there (existing may be NULL), except that an ASan runtime stays
 * first (it must be) and a list already naming the loader is kept as is.
 */
bool cli_preload_value(const char *loader, const char *existing, char *out, size_t outlen);
/* Does this LD_PRELOAD list name straw's loader? */
bool cli_preload_has_loader(const char *list);

/* ---- doctor.c: reading a slurm.conf -------------------------------------- */

#define CLI_MAX_CTLD 8

typedef struct cli_slurm_conf {
	char cluster[128];               /* ClusterName, "" when absent */
	char ctld_name[CLI_MAX_CTLD][256]; /* SlurmctldHost / ControlMachine names */
	char ctld_addr[CLI_MAX_CTLD][256]; /* their addresses ("name(addr)"), else the name */
	size_t nctld;
	unsigned port;                   /* SlurmctldPort (first of a range); 6817 */
} cli_slurm_conf;

/* Parse slurm.conf text (len bytes, need not be NUL-terminated). */
void cli_slurm_conf_parse(const char *text, size_t len, cli_slurm_conf *out);

/* Write a JSON string literal (with quotes) of s, or null for NULL. */
void cli_json_str(FILE *f, const char *s);

#endif /* STRAW_CLI_H */
