/*
 * auth.h - authentication plugin handling inside the engine (internal).
 */
#ifndef STRAW_AUTH_H
#define STRAW_AUTH_H

#include "internal.h"

typedef struct straw_auth {
	void *dl;
	const straw_auth_ops_t *ops;
	void *state;
	const char *type;  /* "munge" or "jwt" */
	bool carries_hash; /* the credential carries Slurm's message hash */
} straw_auth;

/* Load auth_<type>.so ("munge" or "jwt"), check it, init it. */
int straw_auth_load(const straw_options *o, const char *type, straw_auth *a, straw_error *err);
/* opts->auth, resolving "auto": JWT when a token is configured, else munge. */
int straw_auth_select(const straw_options *o, straw_auth *a, straw_error *err);
bool straw_auth_jwt_configured(const straw_options *o);
void straw_auth_unload(straw_auth *a);
/* A fresh auth section for one attempt at this version and body. */
int straw_auth_create(straw_auth *a, uint16_t version, uint16_t msg_type, const uint8_t *body,
		      size_t body_len, straw_auth_section *out, straw_error *err);
void straw_auth_section_free(straw_auth_section *s);

#endif /* STRAW_AUTH_H */
