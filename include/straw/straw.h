/*
 * straw.h - public API of libstraw, the engine behind the straw command and
 * the LD_PRELOAD loader: fetch the Slurm client configuration from slurmctld
 * (REQUEST_CONFIG, "configless"), write it safely, keep it in a cache.
 *
 * The library never prints and never exits.  Every call that can fail
 * returns a straw_code and fills a straw_error with a one-line message
 * naming the problem and, where there is one, its fix.
 */
#ifndef STRAW_STRAW_H
#define STRAW_STRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STRAW_VERSION_STRING "0.1.0"

/*
 * Result codes.  They are stable and are the straw command's exit codes,
 * so scripts can rely on them (documented in straw(1) and the README).
 */
typedef enum straw_code {
	STRAW_OK = 0,
	STRAW_ERR_INTERNAL = 1,    /* out of memory, a bug, anything else */
	STRAW_ERR_USAGE = 2,       /* bad argument, environment or config */
	STRAW_ERR_UNREACHABLE = 3, /* no controller could be reached */
	STRAW_ERR_AUTH = 4,        /* no credential, or the controller refused it */
	STRAW_ERR_PROTOCOL = 5,    /* no common protocol version, malformed reply */
	STRAW_ERR_REFUSED = 6,     /* the controller answered with an error code */
	STRAW_ERR_WRITE = 7,       /* the files (or the cache) could not be written */
} straw_code;

#define STRAW_ERRLEN 512

typedef struct straw_error {
	int code;               /* a straw_code */
	char msg[STRAW_ERRLEN]; /* one line, no trailing newline */
} straw_error;

/* A short fixed description of a code ("no controller reachable"). */
const char *straw_code_name(int code);

/* Protocol versions are the wire values, (N << 8): 0x2600 is 22.05. */
#define STRAW_PROTOCOL_AUTO 0

/* The versions spoken, newest first; *n receives the count. */
const uint16_t *straw_protocol_versions(size_t *n);
/* "22.05" -> 0x2600; 0 when the text is not a version spoken. */
uint16_t straw_protocol_parse(const char *text);
/* 0x2600 -> "22.05"; NULL for a version not spoken. */
const char *straw_protocol_name(uint16_t version);

/* Verbosity levels for the log callback. */
enum straw_log_level {
	STRAW_LOG_WARN = 0, /* something the user should know even when quiet */
	STRAW_LOG_INFO = 1, /* progress: controller, version, bytes, files */
	STRAW_LOG_DEBUG = 2,
};

typedef void (*straw_log_fn)(void *arg, int level, const char *msg);

/*
 * What a fetch needs.  straw_options_init() fills it from the environment
 * (STRAW_SERVERS, SLURM_CONF_SERVER, STRAW_AUTH, STRAW_PROTOCOL,
 * STRAW_CONNECT_TIMEOUT, STRAW_TIMEOUT, STRAW_TTL, STRAW_MAX_STALE,
 * STRAW_CACHE_DIR ...); the caller may then override fields.  Strings are
 * borrowed, not copied: they must outlive the calls that use them.
 */
typedef struct straw_options {
	const char *servers;    /* "host[:port],..."; NULL: none known */
	const char *auth;       /* "auto", "munge" or "jwt" */
	uint16_t protocol;      /* STRAW_PROTOCOL_AUTO or a wire version */
	uint16_t protocol_hint; /* with AUTO: try this version first (the cache's) */
	int connect_timeout_ms; /* per connect; default 1000 */
	int reply_timeout_ms;   /* per reply; default 3000 */
	int deadline_ms;        /* whole fetch; default 10000 */
	const char *plugin_dir; /* NULL: next to libstraw, else compiled-in */
	const char *cache_dir;  /* NULL: the default search (DESIGN.md) */
	const char *jwt_file;   /* STRAW_JWT_FILE: token file, re-read per fetch */
	const char *munge_socket; /* STRAW_MUNGE_SOCKET; NULL: libmunge's default */
	int ttl_s;              /* cache freshness; default 60 */
	int max_stale_s;        /* stale use when all controllers are down; default 86400 */
	bool secure;            /* AT_SECURE: ignore the environment's paths */
	bool override;          /* STRAW_OVERRIDE / override=: straw wins over a local config */
	const char *local_configs; /* more paths meaning "a local Slurm config exists" (':' list) */
	bool dns_srv;           /* no servers: look up DNS SRV _slurmctld._tcp (default true) */
	const char *config_file;   /* the straw.conf that was read, or NULL */
	char warning[STRAW_ERRLEN]; /* set when a bad straw.conf was ignored (lenient init) */
	void *priv;             /* storage for strings read from straw.conf */
	straw_log_fn log;       /* NULL: silent */
	void *log_arg;
	int verbosity;          /* highest level passed to log */
} straw_options;

int straw_options_init(straw_options *opts, straw_error *err);

/*
 * As straw_options_init; with STRAW_INIT_LENIENT a bad straw.conf is
 * ignored (the environment still applies) and described in opts->warning
 * instead of failing: the loader must never fail its host over it.
 */
#define STRAW_INIT_LENIENT 1u
int straw_options_init_flags(straw_options *opts, unsigned flags, straw_error *err);
/* Release what straw_options_init allocated (strings from straw.conf). */
void straw_options_free(straw_options *opts);

/*
 * Is there a local Slurm configuration that libslurm would read before any
 * configless source (/etc/slurm/slurm.conf, /run/slurm/conf/slurm.conf, and
 * opts->local_configs)?  Its path goes to which.
 */
bool straw_local_config_present(const straw_options *opts, char *which, size_t whichlen);

/*
 * The controller list a fetch would use: opts->servers, else DNS SRV
 * _slurmctld._tcp (when opts->dns_srv).  Written to out.
 */
int straw_servers_resolve(const straw_options *opts, char *out, size_t outlen, straw_error *err);

/* One file of the configuration, as the controller sent it. */
typedef struct straw_file {
	char *name;          /* bare base name, validated */
	char *content;       /* NUL-terminated; NULL when content_null */
	size_t content_len;  /* bytes before the terminator */
	bool exists;         /* false: the controller has no such file */
	bool execute;        /* write with mode 0755 */
	bool content_null;   /* exists with NULL content: an empty file */
} straw_file;

typedef struct straw_config {
	straw_file *files;
	size_t nfiles;
	uint16_t protocol;     /* the version the controller answered in */
	char controller[300];  /* "host:port" that answered */
	size_t reply_bytes;    /* bytes received, framing included */
	time_t fetched;        /* when */
} straw_config;

/* Fetch the client file set.  *out is freed with straw_config_free(). */
int straw_fetch(const straw_options *opts, straw_config **out, straw_error *err);
void straw_config_free(straw_config *cfg);

/*
 * Write every file of cfg into dir (created when missing), safely: names
 * are checked, the set is written to a temporary folder first, so on any
 * failure dir is left as it was.  exists=0 entries remove a stale file.
 */
int straw_write_dir(const straw_config *cfg, const char *dir, straw_error *err);

/*
 * The cache.  Ensure a fresh copy of the configuration of the controllers
 * in opts and put the path of its slurm.conf (stable across refreshes)
 * into path.  Fetches only when the copy is missing or older than the TTL,
 * once for a herd of processes.  When every controller is down a stale copy
 * younger than max_stale is returned, with *stale set and a warning logged.
 */
int straw_cache_ensure(const straw_options *opts, char *path, size_t pathlen,
		       bool *stale, straw_error *err);

/*
 * Diagnostics, for `straw doctor`: each step of a fetch reported on its
 * own.  A step is SKIPPED when an earlier one failed, UNKNOWN when the
 * controller's behaviour cannot tell (a silent close on Slurm <= 24.05
 * means "bad credential" or "version not spoken").
 */
typedef enum straw_check {
	STRAW_CHECK_SKIPPED = 0,
	STRAW_CHECK_OK = 1,
	STRAW_CHECK_FAILED = 2,
	STRAW_CHECK_UNKNOWN = 3,
} straw_check;

#define STRAW_PATHLEN 4096

typedef struct straw_probe_result {
	size_t count;          /* controllers in the list */
	char server[300];      /* "host:port" probed */
	int resolve;           /* straw_check: name resolution */
	char address[64];      /* numeric address connected to, else the last one tried */
	int connect;           /* TCP connect */
	int connect_ms;
	int version;           /* a protocol version both speak */
	uint16_t protocol;     /* that version (wire value), 0 when unknown */
	int auth;              /* the credential was accepted */
	char auth_type[8];     /* "munge" or "jwt" */
	int configless;        /* the controller serves its configuration */
	uint32_t slurm_rc;     /* Slurm error code answered, 0: none */
	straw_error error;     /* the failure, with its fix (code 0: none) */
	straw_config *config;  /* the files when every step passed; straw_config_free() */
} straw_probe_result;

/*
 * Probe controller number index of opts->servers (else of the DNS SRV
 * list): resolve, connect, negotiate a version, authenticate, ask for the
 * configuration.  Returns STRAW_OK when the configuration came back, else
 * the code of the failing step (also in res->error); STRAW_ERR_USAGE when
 * index is past the list (res->count says how many there are).
 */
int straw_probe(const straw_options *opts, size_t index, straw_probe_result *res,
		straw_error *err);

/* What an authentication plugin would present, without contacting anyone. */
typedef struct straw_auth_status {
	char type[8];          /* "munge" or "jwt" ("auto" resolved) */
	bool loaded;           /* the plugin loaded and initialised */
	bool available;        /* a credential can be made now (token, socket present) */
	char user[128];        /* the user it names, "" when unknown */
	time_t expires;        /* JWT exp; 0: unknown or never */
	char source[128];      /* "SLURM_JWT", "file /path", "munge socket /path" */
	straw_error error;     /* why not loaded, not available, or unreadable */
} straw_auth_status;

/* type: "munge", "jwt", or NULL for opts->auth ("auto" resolved). */
int straw_auth_describe(const straw_options *opts, const char *type, straw_auth_status *st,
			straw_error *err);

/* The cache as it is, for the controllers of opts (nothing is fetched). */
typedef struct straw_cache_status {
	char root[STRAW_PATHLEN];   /* the cache folder */
	char folder[STRAW_PATHLEN]; /* <root>/<cluster> */
	char conf[STRAW_PATHLEN];   /* what SLURM_CONF names */
	unsigned owner;             /* uid owning root */
	unsigned mode;              /* root's permission bits */
	bool present;               /* a generation is published */
	bool fresh;                 /* younger than the TTL: no fetch needed */
	time_t fetched;             /* 0: never */
	long long age_s;
	char generation[96];        /* "gen.<id>" behind conf */
	char controller[300];       /* who answered last */
	uint16_t protocol;          /* in which version */
	time_t failed;              /* last failed refresh, 0: none */
	char last_error[STRAW_ERRLEN];
} straw_cache_status;

int straw_cache_inspect(const straw_options *opts, straw_cache_status *st, straw_error *err);

/*
 * An HS256 JWT for user, valid lifetime_s seconds, signed with the key
 * in keyfile (Slurm's jwt_key: the whole file is the key).  A key file
 * readable by group or others is refused (STRAW_ERR_USAGE).  *token is
 * released with straw_token_free(), which wipes it.
 */
int straw_token_mint(const straw_options *opts, const char *keyfile, const char *user,
		     long lifetime_s, char **token, straw_error *err);
void straw_token_free(char *token);

#ifdef __cplusplus
}
#endif

#endif /* STRAW_STRAW_H */
