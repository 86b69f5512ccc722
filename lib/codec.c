/*
 * codec.c - the Slurm wire format a config client needs (PROTOCOL.md):
 * the protocol version table, REQUEST_CONFIG framing, the munge payload
 * hash, and the parser for every reply a controller can send back
 * (RESPONSE_CONFIG in its three layouts, RESPONSE_SLURM_RC[_MSG], and the
 * HTTP answer of 25.11+).  Every length read from the wire is checked
 * against what is left before it is used; the parser copies what it keeps
 * so the receive buffer can be freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define _NO_VAL 0xFFFFFFFEu

#define _HDR_A_LEN 18 /* 20.11, 21.08: with msg_index */
#define _HDR_B_LEN 16 /* 22.05 on */

#define _AUTH_ID_SLURM 103

#define _AF_UNSPEC 0
#define _AF_INET 2
#define _AF_INET6 10 /* Linux's value: what a Linux controller packs */

/* The versions spoken, newest first, and their release names. */
static const uint16_t _versions[] = {
	STRAW_V26_05, STRAW_V25_11, STRAW_V25_05, STRAW_V24_11, STRAW_V24_05,
	STRAW_V23_11, STRAW_V23_02, STRAW_V22_05, STRAW_V21_08, STRAW_V20_11,
};
static const char *const _version_names[] = {
	"26.05", "25.11", "25.05", "24.11", "24.05",
	"23.11", "23.02", "22.05", "21.08", "20.11",
};

#define _NVERSIONS (sizeof(_versions) / sizeof(_versions[0]))
_Static_assert(sizeof(_version_names) / sizeof(_version_names[0]) == _NVERSIONS,
	       "one name per version");

/*
 * The 20.11 RESPONSE_CONFIG is a fixed list of strings, one per file; the
 * 11th was reused for job_container.conf within 20.11 and kept that
 * meaning when 21.08+ controllers answer a 20.11 client.
 */
static const char *const _v2011_files[] = {
	"slurm.conf", "acct_gather.conf", "cgroup.conf",
	"cgroup_allowed_devices_file.conf", "ext_sensors.conf", "gres.conf",
	"knl_cray.conf", "knl_generic.conf", "plugstack.conf", "topology.conf",
	"job_container.conf",
};

#define _V2011_NFILES (sizeof(_v2011_files) / sizeof(_v2011_files[0]))

/* ---- versions ---------------------------------------------------------- */

STRAW_EXPORT const uint16_t *straw_protocol_versions(size_t *n)
{
	if (n)
		*n = _NVERSIONS;
	return _versions;
}

STRAW_EXPORT const char *straw_protocol_name(uint16_t version)
{
	for (size_t i = 0; i < _NVERSIONS; i++)
		if (_versions[i] == version)
			return _version_names[i];
	return NULL;
}

STRAW_EXPORT uint16_t straw_protocol_parse(const char *text)
{
	if (!text)
		return 0;
	for (size_t i = 0; i < _NVERSIONS; i++)
		if (strcmp(text, _version_names[i]) == 0)
			return _versions[i];
	return 0;
}

bool straw_protocol_known(uint16_t version)
{
	return straw_protocol_name(version) != NULL;
}

/*
 * A release name for a version straw does not speak, for messages only:
 * "26.11" for 0x2E00.  From 23.11 on Slurm releases every May and
 * November, one protocol number each; older numbers are listed.
 * Returns false when v does not look like a Slurm version at all.
 */
static bool _release_name(uint16_t v, char *out, size_t outlen)
{
	static const char *const older[] = { "19.05", "20.02", "20.11", "21.08", "22.05", "23.02" };
	unsigned n = v >> 8;

	if ((v & 0xFF) != 0 || n < 34 || n > 80)
		return false;
	if (n < 40) {
		snprintf(out, outlen, "%s", older[n - 34]);
		return true;
	}
	snprintf(out, outlen, "%u.%s", 23 + (n - 39) / 2, (n - 40) % 2 ? "05" : "11");
	return true;
}

/* ---- requests ---------------------------------------------------------- */

size_t straw_config_request_body(uint16_t version, uint32_t flags, uint8_t body[6])
{
	straw_put32(body, flags);
	if (version < STRAW_V25_05)
		return 4;
	/* port: only read by the controller for sackd registrations; 0 = SlurmdPort. */
	body[4] = 0;
	body[5] = 0;
	return 6;
}

size_t straw_payload_hash(uint16_t version, uint16_t msg_type, const uint8_t *body,
			  size_t body_len, uint8_t out[33])
{
	uint8_t cust[2] = { (uint8_t)(msg_type >> 8), (uint8_t)msg_type };

	if (version < STRAW_V22_05) {
		/*
		 * What libslurm sends at these versions: 20.11.9 and 21.08.8
		 * controllers refuse K12 and compare in their own byte order.
		 */
		out[0] = 1;
		memcpy(out + 1, &msg_type, 2);
		return 3;
	}
	out[0] = 2;
	straw_k12(body, body_len, cust, sizeof(cust), out + 1, 32);
	return 33;
}

void straw_pack_request(straw_wbuf *w, uint16_t version, uint16_t msg_type,
			const uint8_t *auth, size_t auth_len, const uint8_t *body,
			size_t body_len)
{
	bool layout_a = version < STRAW_V22_05;
	size_t hdr = layout_a ? _HDR_A_LEN : _HDR_B_LEN;

	if (auth_len > STRAW_MAX_MSG_SIZE || body_len > STRAW_MAX_MSG_SIZE ||
	    hdr + auth_len + body_len > STRAW_MAX_MSG_SIZE) {
		w->failed = true;
		return;
	}
	straw_wb_u32(w, (uint32_t)(hdr + auth_len + body_len));
	straw_wb_u16(w, version);
	straw_wb_u16(w, 0); /* flags */
	if (layout_a)
		straw_wb_u16(w, 0); /* msg_index */
	straw_wb_u16(w, msg_type);
	straw_wb_u32(w, (uint32_t)body_len);
	straw_wb_u16(w, 0); /* forward count */
	straw_wb_u16(w, 0); /* ret count */
	straw_wb_u16(w, _AF_UNSPEC);
	straw_wb_mem(w, auth, auth_len);
	straw_wb_mem(w, body, body_len);
}

/* ---- reply parsing ----------------------------------------------------- */

static int _malformed(straw_error *err, const char *what, size_t need, size_t left)
{
	return straw_seterr(err, STRAW_ERR_PROTOCOL,
			    "malformed reply: %s truncated (needed %zu bytes, %zu left)", what, need,
			    left);
}

static int _need_u8(straw_rbuf *b, uint8_t *v, const char *what, straw_error *err)
{
	if (straw_rb_u8(b, v))
		return STRAW_OK;
	return _malformed(err, what, 1, straw_rb_left(b));
}

static int _need_u16(straw_rbuf *b, uint16_t *v, const char *what, straw_error *err)
{
	if (straw_rb_u16(b, v))
		return STRAW_OK;
	return _malformed(err, what, 2, straw_rb_left(b));
}

static int _need_u32(straw_rbuf *b, uint32_t *v, const char *what, straw_error *err)
{
	if (straw_rb_u32(b, v))
		return STRAW_OK;
	return _malformed(err, what, 4, straw_rb_left(b));
}

/* A packstr, with a message saying why it could not be read. */
static int _need_str(straw_rbuf *b, const char **s, uint32_t *slen, const char *what,
		     straw_error *err)
{
	straw_rbuf peek = *b;
	uint32_t n;

	if (straw_rb_str(b, s, slen))
		return STRAW_OK;
	if (!straw_rb_u32(&peek, &n))
		return _malformed(err, what, 4, straw_rb_left(&peek));
	if (n > STRAW_MAX_MSG_SIZE)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: %s claims %u bytes, more than 1 GiB", what, n);
	if (n > straw_rb_left(&peek))
		return _malformed(err, what, n, straw_rb_left(&peek));
	return straw_seterr(err, STRAW_ERR_PROTOCOL,
			    "malformed reply: %s is not NUL-terminated", what);
}

/* A packstr copied out of the buffer; NULL stays NULL. */
static int _copy_str(straw_rbuf *b, char **out, const char *what, straw_error *err)
{
	const char *s;
	uint32_t slen;
	int rc;

	*out = NULL;
	rc = _need_str(b, &s, &slen, what, err);
	if (rc != STRAW_OK || !s)
		return rc;
	*out = malloc((size_t)slen + 1);
	if (!*out)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory reading %s", what);
	memcpy(*out, s, (size_t)slen + 1);
	return STRAW_OK;
}

static int _bool(straw_rbuf *b, bool *v, const char *what, straw_error *err)
{
	uint8_t x;
	int rc = _need_u8(b, &x, what, err);

	if (rc != STRAW_OK)
		return rc;
	/* Slurm packs bools as 0 or 1; anything else means we lost our place. */
	if (x > 1)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: %s is %u, expected 0 or 1", what, x);
	*v = x;
	return STRAW_OK;
}

/* The file entry's fields after name and content are in place. */
static void _file_fill(straw_file *f)
{
	f->content_null = f->content == NULL;
	f->content_len = f->content ? strlen(f->content) : 0;
}

/* 20.11: eleven files and the spool dir as fixed strings. */
static int _config_2011(straw_rbuf *b, straw_reply *out, straw_error *err)
{
	char what[96];
	int rc;

	out->files = calloc(_V2011_NFILES, sizeof(*out->files));
	if (!out->files)
		return straw_seterr(err, STRAW_ERR_INTERNAL, "out of memory parsing the reply");
	for (size_t i = 0; i < _V2011_NFILES; i++) {
		straw_file *f = &out->files[i];

		snprintf(what, sizeof(what), "RESPONSE_CONFIG field %zu (%s)", i + 1,
			 _v2011_files[i]);
		rc = _copy_str(b, &f->content, what, err);
		if (rc != STRAW_OK)
			return rc;
		out->nfiles = i + 1;
		f->name = strdup(_v2011_files[i]);
		if (!f->name)
			return straw_seterr(err, STRAW_ERR_INTERNAL,
					    "out of memory parsing the reply");
		/* This layout cannot tell an empty file from a missing one. */
		f->exists = f->content != NULL;
		_file_fill(f);
	}
	return _copy_str(b, &out->spooldir, "RESPONSE_CONFIG slurmd_spooldir", err);
}

/* 21.08 on: a counted list of {exists, [execute,] name, content}. */
static int _config_list(straw_rbuf *b, uint16_t version, straw_reply *out, straw_error *err)
{
	bool has_execute = version >= STRAW_V23_11;
	/* The smallest entry: the flag byte(s) and two NULL strings. */
	size_t min_entry = has_execute ? 10 : 9;
	char what[96];
	uint32_t count;
	int rc;

	rc = _need_u32(b, &count, "RESPONSE_CONFIG file count", err);
	if (rc != STRAW_OK)
		return rc;
	if (count == _NO_VAL) {
		out->list_null = true;
		count = 0;
	} else if ((uint64_t)count * min_entry + 4 > straw_rb_left(b)) {
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: RESPONSE_CONFIG announces %u files but only %zu bytes follow",
				    count, straw_rb_left(b));
	}
	if (count) {
		out->files = calloc(count, sizeof(*out->files));
		if (!out->files)
			return straw_seterr(err, STRAW_ERR_INTERNAL,
					    "out of memory parsing the reply");
	}
	for (uint32_t i = 0; i < count; i++) {
		straw_file *f = &out->files[i];

		out->nfiles = (size_t)i + 1;
		snprintf(what, sizeof(what), "RESPONSE_CONFIG entry %u exists flag", i + 1);
		rc = _bool(b, &f->exists, what, err);
		if (rc != STRAW_OK)
			return rc;
		if (has_execute) {
			snprintf(what, sizeof(what), "RESPONSE_CONFIG entry %u execute flag", i + 1);
			rc = _bool(b, &f->execute, what, err);
			if (rc != STRAW_OK)
				return rc;
		}
		snprintf(what, sizeof(what), "RESPONSE_CONFIG entry %u name", i + 1);
		rc = _copy_str(b, &f->name, what, err);
		if (rc != STRAW_OK)
			return rc;
		if (!f->name)
			return straw_seterr(err, STRAW_ERR_PROTOCOL,
					    "malformed reply: RESPONSE_CONFIG entry %u has no file name",
					    i + 1);
		snprintf(what, sizeof(what), "RESPONSE_CONFIG entry %u (%.40s) content", i + 1,
			 f->name);
		rc = _copy_str(b, &f->content, what, err);
		if (rc != STRAW_OK)
			return rc;
		_file_fill(f);
	}
	return _copy_str(b, &out->spooldir, "RESPONSE_CONFIG slurmd_spooldir", err);
}

/* Skip a slurm_addr_t: family, then what that family carries. */
static int _skip_addr(straw_rbuf *b, straw_error *err)
{
	uint16_t family;
	uint32_t n;
	int rc;

	rc = _need_u16(b, &family, "header address family", err);
	if (rc != STRAW_OK)
		return rc;
	switch (family) {
	case _AF_UNSPEC:
		return STRAW_OK;
	case _AF_INET:
		if (!straw_rb_skip(b, 6))
			return _malformed(err, "header IPv4 address", 6, straw_rb_left(b));
		return STRAW_OK;
	case _AF_INET6:
		rc = _need_u32(b, &n, "header IPv6 address", err);
		if (rc != STRAW_OK)
			return rc;
		if (n != 16)
			return straw_seterr(err, STRAW_ERR_PROTOCOL,
					    "malformed reply: header IPv6 address is %u bytes, expected 16",
					    n);
		if (!straw_rb_skip(b, 18))
			return _malformed(err, "header IPv6 address", 18, straw_rb_left(b));
		return STRAW_OK;
	}
	return straw_seterr(err, STRAW_ERR_PROTOCOL,
			    "malformed reply: unknown address family %u in the header", family);
}

static int _header(straw_rbuf *b, straw_header *h, straw_error *err)
{
	uint16_t msg_index, fwd, ret;
	int rc;

	rc = _need_u16(b, &h->version, "header version", err);
	if (rc == STRAW_OK)
		rc = _need_u16(b, &h->flags, "header flags", err);
	if (rc == STRAW_OK && h->version < STRAW_V22_05)
		rc = _need_u16(b, &msg_index, "header msg_index", err);
	if (rc == STRAW_OK)
		rc = _need_u16(b, &h->msg_type, "header msg_type", err);
	if (rc == STRAW_OK)
		rc = _need_u32(b, &h->body_length, "header body_length", err);
	if (rc == STRAW_OK)
		rc = _need_u16(b, &fwd, "header forward count", err);
	if (rc != STRAW_OK)
		return rc;
	/* Forwarding and returned lists belong to node messages, never to ours. */
	if (fwd != 0)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: header forward count is %u, expected 0", fwd);
	rc = _need_u16(b, &ret, "header ret count", err);
	if (rc != STRAW_OK)
		return rc;
	if (ret != 0)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: header ret count is %u, expected 0", ret);
	return _skip_addr(b, err);
}

static int _auth(straw_rbuf *b, straw_reply *out, straw_error *err)
{
	const char *s;
	uint32_t slen;
	int nstr, rc;

	/* The controller's own credential: nothing in it concerns us. */
	rc = _need_u32(b, &out->auth_plugin_id, "auth plugin id", err);
	if (rc != STRAW_OK)
		return rc;
	switch (out->auth_plugin_id) {
	case STRAW_AUTH_ID_MUNGE:
	case _AUTH_ID_SLURM:
		nstr = 1;
		break;
	case STRAW_AUTH_ID_JWT:
		nstr = 2;
		break;
	default:
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: unknown auth plugin id %u", out->auth_plugin_id);
	}
	out->has_auth = true;
	for (int i = 0; i < nstr; i++) {
		rc = _need_str(b, &s, &slen, "auth section", err);
		if (rc != STRAW_OK)
			return rc;
	}
	return STRAW_OK;
}

static void _http(const uint8_t *buf, size_t len, straw_reply *out)
{
	size_t n = 0;

	out->kind = STRAW_REPLY_HTTP;
	for (size_t i = 0; i < len && buf[i] != '\r' && buf[i] != '\n' &&
			   n < sizeof(out->http_status) - 1; i++)
		out->http_status[n++] = buf[i] >= 0x20 && buf[i] < 0x7f ? (char)buf[i] : '?';
	out->http_status[n] = '\0';
}

static int _body(straw_rbuf *b, straw_reply *out, straw_error *err)
{
	int rc;

	switch (out->hdr.msg_type) {
	case STRAW_MSG_RESPONSE_CONFIG:
		out->kind = STRAW_REPLY_CONFIG;
		if (out->hdr.version == STRAW_V20_11)
			return _config_2011(b, out, err);
		return _config_list(b, out->hdr.version, out, err);
	case STRAW_MSG_RESPONSE_SLURM_RC:
	case STRAW_MSG_RESPONSE_SLURM_RC_MSG:
		out->kind = STRAW_REPLY_RC;
		rc = _need_u32(b, &out->rc, "return code", err);
		if (rc != STRAW_OK || out->hdr.msg_type == STRAW_MSG_RESPONSE_SLURM_RC)
			return rc;
		return _copy_str(b, &out->rc_msg, "return code message", err);
	}
	return straw_seterr(err, STRAW_ERR_PROTOCOL,
			    "unexpected reply: message type %u (expected RESPONSE_CONFIG 2016 or RESPONSE_SLURM_RC 8001)",
			    out->hdr.msg_type);
}

/* Forget what a failed parse allocated, but keep what the header said. */
static void _reset_keep_header(straw_reply *out)
{
	straw_header hdr = out->hdr;

	straw_reply_free(out);
	out->hdr = hdr;
}

int straw_parse_reply(const uint8_t *buf, size_t len, straw_reply *out, straw_error *err)
{
	straw_rbuf b = { .p = buf, .len = len, .off = 0 };
	char vname[16];
	uint32_t frame;
	size_t hdr_len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "empty reply: the controller closed the connection");
	/* 25.11+ take a request in a version they do not accept for HTTP. */
	if (len >= 4 && memcmp(buf, "HTTP", 4) == 0) {
		_http(buf, len, out);
		return STRAW_OK;
	}
	if (!straw_rb_u32(&b, &frame))
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "reply truncated: %zu bytes, not even the 4-byte length", len);
	/* Wanted by version negotiation even when the rest is unusable. */
	if (len >= 6)
		out->hdr.version = (uint16_t)((buf[4] << 8) | buf[5]);
	if (frame > STRAW_MAX_MSG_SIZE)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: frame length %u exceeds the 1 GiB maximum", frame);
	if (frame > len - 4)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "reply truncated: frame length %u but only %zu bytes received",
				    frame, len - 4);
	if (frame < len - 4)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: %zu bytes after the %u-byte frame",
				    len - 4 - frame, frame);
	if (len < 6)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: frame of %u bytes has no room for a header", frame);
	if (!straw_protocol_known(out->hdr.version)) {
		if (_release_name(out->hdr.version, vname, sizeof(vname)))
			return straw_seterr(err, STRAW_ERR_PROTOCOL,
					    "the controller speaks protocol version %s (0x%04x), which straw does not support",
					    vname, out->hdr.version);
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: unknown protocol version 0x%04x",
				    out->hdr.version);
	}
	hdr_len = out->hdr.version < STRAW_V22_05 ? _HDR_A_LEN : _HDR_B_LEN;
	if (frame < hdr_len)
		return straw_seterr(err, STRAW_ERR_PROTOCOL,
				    "malformed reply: frame of %u bytes is shorter than the %zu-byte header",
				    frame, hdr_len);

	rc = _header(&b, &out->hdr, err);
	if (rc == STRAW_OK && !(out->hdr.flags & STRAW_HDR_FLAG_NO_AUTH))
		rc = _auth(&b, out, err);
	if (rc == STRAW_OK && out->hdr.body_length != straw_rb_left(&b))
		rc = straw_seterr(err, STRAW_ERR_PROTOCOL,
				  "malformed reply: header body_length is %u but %zu bytes follow",
				  out->hdr.body_length, straw_rb_left(&b));
	if (rc == STRAW_OK)
		rc = _body(&b, out, err);
	if (rc == STRAW_OK && straw_rb_left(&b) != 0)
		rc = straw_seterr(err, STRAW_ERR_PROTOCOL,
				  "malformed reply: %zu unexpected bytes after the message type %u body",
				  straw_rb_left(&b), out->hdr.msg_type);
	if (rc != STRAW_OK)
		_reset_keep_header(out);
	return rc;
}

void straw_files_free(straw_file *files, size_t n)
{
	if (!files)
		return;
	for (size_t i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].content);
	}
	free(files);
}

void straw_reply_free(straw_reply *r)
{
	if (!r)
		return;
	straw_files_free(r->files, r->nfiles);
	free(r->rc_msg);
	free(r->spooldir);
	memset(r, 0, sizeof(*r));
}

/* ---- return codes ------------------------------------------------------ */

static const struct {
	uint32_t rc;
	const char *name;
	const char *text;
} _rcs[] = {
	{ 0, "SLURM_SUCCESS", "success" },
	{ 22, "EINVAL",
	  "the controller does not know this request type: check that the address is a slurmctld" },
	{ 1005, "SLURM_PROTOCOL_VERSION_ERROR",
	  "protocol version not accepted by the controller: let straw pick the version (STRAW_PROTOCOL=auto)" },
	{ 1007, "SLURM_PROTOCOL_AUTHENTICATION_ERROR",
	  "the controller refused the credential or the protocol version: check the token (expired? AuthAltTypes=auth/jwt set?) or the munge key" },
	{ 1804, "SLURMCTLD_COMMUNICATIONS_BACKOFF",
	  "the controller is rate-limiting this user (SlurmctldParameters=rl_enable): retry in a second" },
	{ 1805, "SLURMCTLD_COMMUNICATIONS_HARD_DROP",
	  "the controller is overloaded and dropped the request: retry later" },
	{ 2002, "ESLURM_ACCESS_DENIED", "access denied by the controller" },
	{ 2010, "ESLURM_USER_ID_MISSING",
	  "the slurmd file set needs root or SlurmUser: request the client file set (flags=0) instead" },
	{ 2027, "ESLURM_IN_STANDBY_MODE",
	  "this is a backup controller in standby: list every SlurmctldHost so the primary is tried" },
	{ 2126, "ESLURM_CONFIGLESS_DISABLED",
	  "configless is disabled on the controller: add enable_configless to SlurmctldParameters in slurm.conf and restart slurmctld" },
	{ 2131, "ESLURM_IN_STANDBY_USE_BACKUP",
	  "this controller is in standby and points to the backup: list every SlurmctldHost so the active one is tried" },
	{ 5003, "ESLURM_PROTOCOL_INCOMPLETE_PACKET",
	  "the controller found the request incomplete: a payload hash or length mismatch, a straw bug to report" },
	{ 6000, "ESLURM_AUTH_CRED_INVALID",
	  "invalid authentication credential: check that munged runs and shares munge.key with the controller" },
	{ 13000, "ESLURM_TLS_REQUIRED",
	  "the controller requires TLS for RPCs (TLSType), which straw does not speak: use a sackd or slurmd config cache instead" },
};

const char *straw_rc_name(uint32_t rc)
{
	for (size_t i = 0; i < sizeof(_rcs) / sizeof(_rcs[0]); i++)
		if (_rcs[i].rc == rc)
			return _rcs[i].name;
	return NULL;
}

const char *straw_rc_text(uint32_t rc)
{
	for (size_t i = 0; i < sizeof(_rcs) / sizeof(_rcs[0]); i++)
		if (_rcs[i].rc == rc)
			return _rcs[i].text;
	return NULL;
}
