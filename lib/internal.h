/*
 * internal.h - declarations shared by the engine's modules (not installed).
 *
 * Modules: buf.c (bounds-checked readers/writers), codec.c (Slurm framing,
 * headers, auth section, REQUEST_CONFIG, RESPONSE_CONFIG, RC), k12.c
 * (KangarooTwelve for the munge payload hash), servers.c (controller lists),
 * net.c (connect/send/receive with deadlines), auth.c (plugin loading),
 * fetch.c (version negotiation, failover), write.c (safe file writes),
 * cache.c (the per-user cache), error.c (codes and messages).
 */
#ifndef STRAW_INTERNAL_H
#define STRAW_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "straw/straw.h"
#include "straw/plugin.h"

#define STRAW_EXPORT __attribute__((visibility("default")))
#define STRAW_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- error.c ---------------------------------------------------------- */

/* Set err (if not NULL) and return code. */
int straw_seterr(straw_error *err, int code, const char *fmt, ...) STRAW_PRINTF(3, 4);
/* Wipe memory that held a secret; not optimised away. */
void straw_wipe(void *p, size_t n);

/* ---- buf.c ------------------------------------------------------------ */

/* A read cursor over bytes the engine does not trust. */
typedef struct straw_rbuf {
	const uint8_t *p;
	size_t len;
	size_t off;
} straw_rbuf;

static inline size_t straw_rb_left(const straw_rbuf *b)
{
	return b->len - b->off;
}

/* Each returns false, consuming nothing, when the bytes are not there. */
bool straw_rb_u8(straw_rbuf *b, uint8_t *v);
bool straw_rb_u16(straw_rbuf *b, uint16_t *v);
bool straw_rb_u32(straw_rbuf *b, uint32_t *v);
bool straw_rb_skip(straw_rbuf *b, size_t n);
/*
 * packstr: u32 length including the NUL, bytes, NUL.  Length 0 is NULL
 * (*s = NULL, *slen = 0).  *s points into the buffer; the string is
 * NUL-terminated there.  A string whose last byte is not NUL, or longer
 * than what is left, is refused.
 */
bool straw_rb_str(straw_rbuf *b, const char **s, uint32_t *slen);

/* A growing output buffer; on allocation failure it sets failed and stops. */
typedef struct straw_wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool failed;
} straw_wbuf;

void straw_wb_u8(straw_wbuf *b, uint8_t v);
void straw_wb_u16(straw_wbuf *b, uint16_t v);
void straw_wb_u32(straw_wbuf *b, uint32_t v);
void straw_wb_mem(straw_wbuf *b, const void *p, size_t n);
/* packstr: NULL -> u32 0; otherwise u32 strlen+1, bytes, NUL. */
void straw_wb_str(straw_wbuf *b, const char *s);
/* Wipe and free the contents (used for buffers that held credentials). */
void straw_wb_free(straw_wbuf *b);

/* ---- codec.c ---------------------------------------------------------- */

#define STRAW_MSG_REQUEST_PING 1008
#define STRAW_MSG_REQUEST_CONFIG 2015
#define STRAW_MSG_RESPONSE_CONFIG 2016
#define STRAW_MSG_RESPONSE_SLURM_RC 8001
#define STRAW_MSG_RESPONSE_SLURM_RC_MSG 8002

#define STRAW_HDR_FLAG_NO_AUTH 0x0040
#define STRAW_HDR_FLAG_PACK_ADDRS 0x0080

#define STRAW_MAX_MSG_SIZE (1u << 30) /* Slurm's MAX_MSG_SIZE */
/*
 * What straw accepts for one reply and for one file set.  Real client
 * configurations are kilobytes; these limits keep a broken or hostile
 * controller from making a host process allocate without bound.
 */
#define STRAW_MAX_REPLY (64u << 20)
#define STRAW_MAX_FILES 4096

/* Protocol versions. */
#define STRAW_V20_11 0x2400
#define STRAW_V21_08 0x2500
#define STRAW_V22_05 0x2600
#define STRAW_V23_02 0x2700
#define STRAW_V23_11 0x2800
#define STRAW_V24_05 0x2900
#define STRAW_V24_11 0x2A00
#define STRAW_V25_05 0x2B00
#define STRAW_V25_11 0x2C00
#define STRAW_V26_05 0x2D00

bool straw_protocol_known(uint16_t version);

/* Request body for REQUEST_CONFIG: 4 bytes, 6 from 25.05. Returns its size. */
size_t straw_config_request_body(uint16_t version, uint32_t flags, uint8_t body[6]);

/*
 * The munge payload ("message hash") a controller of this request version
 * expects: 01 + host-order msg_type for 20.11/21.08, 02 + K12 for >= 22.05.
 * Returns its size (3 or 33).
 */
size_t straw_payload_hash(uint16_t version, uint16_t msg_type, const uint8_t *body,
			  size_t body_len, uint8_t out[33]);

/*
 * A whole frame: u32 length, header (layout A for <= 21.08, B after), the
 * auth section as given, the body.  flags are always 0.
 */
void straw_pack_request(straw_wbuf *w, uint16_t version, uint16_t msg_type,
			const uint8_t *auth, size_t auth_len, const uint8_t *body,
			size_t body_len);

typedef struct straw_header {
	uint16_t version;
	uint16_t flags;
	uint16_t msg_type;
	uint32_t body_length;
} straw_header;

typedef enum straw_reply_kind {
	STRAW_REPLY_CONFIG = 1, /* RESPONSE_CONFIG */
	STRAW_REPLY_RC = 2,     /* RESPONSE_SLURM_RC or RESPONSE_SLURM_RC_MSG */
	STRAW_REPLY_HTTP = 3,   /* the controller took us for an HTTP client */
} straw_reply_kind;

typedef struct straw_reply {
	straw_reply_kind kind;
	straw_header hdr;
	bool has_auth;
	uint32_t auth_plugin_id;
	uint32_t rc;          /* STRAW_REPLY_RC */
	char *rc_msg;         /* RESPONSE_SLURM_RC_MSG text, or NULL */
	straw_file *files;    /* STRAW_REPLY_CONFIG; names NOT yet validated */
	size_t nfiles;
	bool list_null;       /* the count was NO_VAL */
	char *spooldir;       /* NULL for the client file set */
	char http_status[80]; /* STRAW_REPLY_HTTP: the status line, sanitised */
} straw_reply;

/*
 * Parse everything received for one request: the u32 length and the frame
 * (or the start of an HTTP answer).  The reply is parsed by the layout of
 * its own version.  Any inconsistency is STRAW_ERR_PROTOCOL with a message
 * saying which field; nothing read from the wire is trusted.
 */
int straw_parse_reply(const uint8_t *buf, size_t len, straw_reply *out, straw_error *err);
void straw_reply_free(straw_reply *r);
void straw_files_free(straw_file *files, size_t n);

/* Slurm error codes that change what straw does (PROTOCOL.md section 8). */
#define SLURM_RC_AUTH 1007           /* credential refused (or, 24.11-25.11, version) */
#define SLURM_RC_BACKOFF 1804        /* rate limited: try another controller */
#define SLURM_RC_HARD_DROP 1805      /* overloaded: likewise */
#define SLURM_RC_USER_ID_MISSING 2010 /* the slurmd file set, asked by a user */
#define SLURM_RC_STANDBY 2027        /* a backup controller: try the next */
#define SLURM_RC_CONFIGLESS_DISABLED 2126
#define SLURM_RC_STANDBY_BACKUP 2131

/* Slurm error codes seen by a config client (PROTOCOL.md section 8). */
const char *straw_rc_name(uint32_t rc);  /* "ESLURM_CONFIGLESS_DISABLED"; NULL if unknown */
const char *straw_rc_text(uint32_t rc);  /* what it means and the fix */

/* ---- k12.c ------------------------------------------------------------ */

/* KangarooTwelve (KT128, RFC 9861) of msg with customisation string cust. */
void straw_k12(const uint8_t *msg, size_t msg_len, const uint8_t *cust, size_t cust_len,
	       uint8_t *out, size_t out_len);

/* ---- servers.c -------------------------------------------------------- */

#define STRAW_DEFAULT_PORT 6817
#define STRAW_MAX_SERVERS 64

typedef struct straw_server {
	char host[256]; /* name or address, without brackets */
	uint16_t port;
} straw_server;

/*
 * Parse "host[:port],[v6addr]:port,..." (also accepts spaces between
 * entries).  Duplicates (same host and port) are folded, keeping the first.
 */
int straw_servers_parse(const char *text, straw_server *out, size_t max, size_t *n,
			straw_error *err);
/* "host:port,[v6]:port" normalised; for cache keys and messages. */
void straw_servers_format(const straw_server *s, size_t n, char *out, size_t outlen);
void straw_server_format(const straw_server *s, char *out, size_t outlen);

/* ---- srv.c / options.c ------------------------------------------------ */

/* Controllers from DNS SRV _slurmctld._tcp, as "host:port,..." in out. */
int straw_srv_lookup(char *out, size_t outlen, straw_error *err);
int straw_srv_parse(const uint8_t *ans, int len, char *out, size_t outlen, straw_error *err);
/* Parse straw.conf text in place into o; path names the file in messages. */
int straw_conf_parse(straw_options *o, char *text, const char *path, straw_error *err);

/* ---- write.c ---------------------------------------------------------- */

/* write(2) all of it, through EINTR and short writes; -1 with errno. */
int straw_write_all(int fd, const char *p, size_t n);
/* A bare base name: not empty, ".", "..", no '/', no control byte. */
bool straw_name_ok(const char *name);
/*
 * Write the whole file set into the empty folder dirfd: every name checked
 * first (one bad name refuses the set), mode 0644 or 0755 (execute), empty
 * files for exists with NULL content, nothing for exists=0.  Each file is
 * fsync'd.  On failure the caller removes the folder.
 */
int straw_write_files_at(int dirfd, const straw_config *cfg, straw_error *err);
/* Remove a folder made by the engine and the plain files in it. */
void straw_remove_tree_at(int parentfd, const char *name);

/* ---- cache.c ---------------------------------------------------------- */

/* How the cache fetches: straw_fetch, or a fake in the unit tests. */
typedef int (*straw_fetch_fn)(const straw_options *opts, straw_config **out, straw_error *err);
/*
 * straw_cache_ensure with the fetch given.  *out of a successful fetch is
 * freed with straw_config_free(); its fetched time (0: now) dates the copy.
 */
int straw_cache_ensure_fn(const straw_options *opts, straw_fetch_fn fetch, char *path,
			  size_t pathlen, bool *stale, straw_error *err);

/* ---- token.c ---------------------------------------------------------- */

/*
 * Before a fetch: one warning through opts->log when the JWT in use
 * expires within the cache TTL (an expired one is the fetch's own error).
 */
void straw_token_warn(const straw_options *opts);

#endif /* STRAW_INTERNAL_H */
