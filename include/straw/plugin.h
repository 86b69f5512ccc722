/*
 * plugin.h - the ABI between libstraw and its authentication plugins
 * (auth_munge.so, auth_jwt.so), in the manner of Slurm's auth plugins.
 *
 * A plugin is a shared object that exports:
 *
 *   const char plugin_name[];      human-readable, e.g. "straw auth/munge"
 *   const char plugin_type[];      "auth/munge" or "auth/jwt"
 *   const uint32_t plugin_version; STRAW_PLUGIN_VERSION it was built for
 *   const straw_auth_ops_t straw_auth_ops;
 *
 * The engine dlopen()s the file, checks every symbol and the version, and
 * calls ops.init(); on any failure it dlclose()s it again.
 *
 * Plugins never print and never exit; errors come back as a straw_code
 * and a message written into the caller's buffer.
 */
#ifndef STRAW_PLUGIN_H
#define STRAW_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STRAW_PLUGIN_VERSION 1

/* Slurm's auth plugin ids, the first u32 of the auth section. */
#define STRAW_AUTH_ID_MUNGE 101
#define STRAW_AUTH_ID_JWT 102

/* What the engine tells a plugin at init (all may be NULL). */
typedef struct straw_auth_config {
	const char *munge_socket; /* auth/munge: socket path; NULL: libmunge's default */
	const char *jwt_file;     /* auth/jwt: file holding the token, re-read on every create */
	bool secure;              /* AT_SECURE: do not trust the environment */
} straw_auth_config;

/* What a plugin can say about the identity it would present. */
typedef struct straw_auth_info {
	char user[128];       /* user name the credential names, "" if unknown */
	time_t expires;       /* 0: unknown or never */
	char source[128];     /* "SLURM_JWT", "file /path", "munge socket /path" */
} straw_auth_info;

/*
 * One request's worth of input to create().  payload is the message hash
 * Slurm expects inside a munge credential for this protocol version
 * (PROTOCOL.md section 4.1); plugins that do not carry a hash ignore it.
 */
typedef struct straw_auth_request {
	uint16_t protocol_version;
	uint16_t msg_type;
	const uint8_t *payload;
	size_t payload_len;
} straw_auth_request;

/*
 * The auth section a plugin produces: the complete bytes that go between
 * the header and the body (u32 plugin id, then the plugin's strings).
 * Allocated with malloc by the plugin; the engine wipes and frees it.
 */
typedef struct straw_auth_section {
	uint8_t *data;
	size_t len;
} straw_auth_section;

typedef struct straw_auth_ops {
	/* Prepare; *state is handed back to every other call. */
	int (*init)(void **state, const straw_auth_config *cfg, char *err, size_t errlen);
	void (*fini)(void *state);
	/* Can a credential be made right now (token present, socket there)? */
	bool (*available)(void *state);
	/* Identity, expiry and source, for messages and `straw doctor`. */
	int (*info)(void *state, straw_auth_info *info, char *err, size_t errlen);
	/* A fresh auth section for one connection attempt. */
	int (*create)(void *state, const straw_auth_request *req,
		      straw_auth_section *out, char *err, size_t errlen);
} straw_auth_ops_t;

/* Big-endian packing helpers for plugins, Slurm's pack32/packstr forms. */
static inline void straw_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#ifdef __cplusplus
}
#endif

#endif /* STRAW_PLUGIN_H */
