/*
 * claims.c - read the claims of a JWT without libjwt, and mint HS256 tokens.
 *
 * The reader takes bytes from the environment or a file the user points
 * at, and is fuzzed: every read is checked against the length, nesting is
 * bounded, and each byte is looked at a bounded number of times.  It
 * mirrors what slurmctld (libjwt on jansson) accepts closely enough that a
 * token it passes is refused by the controller only for its signature or
 * its user, and never lets the token itself into a message.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "claims.h"

void straw_jwt_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	if (!p)
		return;
	while (n--)
		*v++ = 0;
}

int straw_jwt_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return code;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* One line: a user name from a token may carry anything. */
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return code;
}

/* ---- base64url ---------------------------------------------------------- */

/* The 6-bit value of a base64url character, or -1. */
static int _b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decode n characters (no padding) into out, which has room for n*3/4+1
 * bytes.  Returns 0, or the index + 1 of the first bad character, or
 * (size_t)-1 when n is not a possible length.  Leftover low bits of the
 * last character are ignored, as libjwt's decoder does.
 */
static size_t _b64url_decode(const char *s, size_t n, uint8_t *out, size_t *outlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int v = _b64_val((unsigned char)s[i]);

		if (v < 0)
			return i + 1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (n % 4 == 1)
		return (size_t)-1;
	*outlen = o;
	return 0;
}

static const char _b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encode n bytes into out (room for (n*4+2)/3 + 1); returns the length. */
static size_t _b64url_encode(const uint8_t *p, size_t n, char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = _b64_alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = _b64_alphabet[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}

static size_t _b64url_enclen(size_t n)
{
	return (n * 4 + 2) / 3;
}

/* ---- a JSON reader, just enough for two small objects -------------------- */

typedef struct _json {
	const uint8_t *p;
	size_t len;
	size_t off;
	const char *part; /* "header" or "payload", for messages */
	char *err;
	size_t errlen;
} _json;

static int _json_fail(_json *j, const char *what)
{
	return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
			     "token %s is not valid JSON: %s at byte %zu", j->part, what, j->off);
}

static void _json_ws(_json *j)
{
	while (j->off < j->len) {
		uint8_t c = j->p[j->off];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		j->off++;
	}
}

static int _json_peek(const _json *j)
{
	return j->off < j->len ? j->p[j->off] : -1;
}

/* Length of a valid UTF-8 sequence at p (at most left bytes), or 0. */
static size_t _utf8_len(const uint8_t *p, size_t left)
{
	uint8_t c = p[0];
	size_t n;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int _hex4(const uint8_t *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int d;

		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		*v = (*v << 4) | (uint32_t)d;
	}
	return 0;
}

/* Append k bytes if they fit whole (cap includes the NUL); else note it. */
static void _put(char *dst, size_t cap, size_t *n, const uint8_t *b, size_t k, bool *fits)
{
	if (!*fits || *n + k >= cap) {
		*fits = false;
		return;
	}
	memcpy(dst + *n, b, k);
	*n += k;
	dst[*n] = '\0';
}

/*
 * A string at the cursor (which is on the opening quote).  Its decoded
 * value goes into dst[cap] (NUL-terminated) when it fits; *fits says
 * whether it did.  dst may be NULL to only check the string.  \u0000 is
 * refused, as jansson refuses it by default.
 */
static int _json_string(_json *j, char *dst, size_t cap, bool *fits)
{
	size_t n = 0;
	bool dummy;

	if (!fits)
		fits = &dummy;
	*fits = dst && cap > 0;
	if (*fits)
		dst[0] = '\0';
	j->off++; /* the quote */
	for (;;) {
		uint8_t c, u8[4];
		uint32_t cp, lo;
		size_t k;

		if (j->off >= j->len)
			return _json_fail(j, "unterminated string");
		c = j->p[j->off];
		if (c == '"') {
			j->off++;
			return 0;
		}
		if (c < 0x20)
			return _json_fail(j, "control character in a string");
		if (c != '\\') {
			k = _utf8_len(j->p + j->off, j->len - j->off);
			if (!k)
				return _json_fail(j, "invalid UTF-8 in a string");
			_put(dst, cap, &n, j->p + j->off, k, fits);
			j->off += k;
			continue;
		}
		if (j->off + 1 >= j->len)
			return _json_fail(j, "unterminated string");
		c = j->p[j->off + 1];
		switch (c) {
		case '"': case '\\': case '/':
			u8[0] = c; break;
		case 'b': u8[0] = '\b'; break;
		case 'f': u8[0] = '\f'; break;
		case 'n': u8[0] = '\n'; break;
		case 'r': u8[0] = '\r'; break;
		case 't': u8[0] = '\t'; break;
		case 'u':
			break;
		default:
			return _json_fail(j, "unknown escape in a string");
		}
		if (c != 'u') {
			_put(dst, cap, &n, u8, 1, fits);
			j->off += 2;
			continue;
		}
		if (j->len - j->off < 6 || _hex4(j->p + j->off + 2, &cp) < 0)
			return _json_fail(j, "bad \\u escape");
		if (cp == 0)
			return _json_fail(j, "\\u0000 in a string");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return _json_fail(j, "lone low surrogate");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (j->len - j->off < 12 || j->p[j->off + 6] != '\\' ||
			    j->p[j->off + 7] != 'u' || _hex4(j->p + j->off + 8, &lo) < 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return _json_fail(j, "lone high surrogate");
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			j->off += 6;
		}
		j->off += 6;
		if (cp < 0x80) {
			u8[0] = (uint8_t)cp;
			k = 1;
		} else if (cp < 0x800) {
			u8[0] = (uint8_t)(0xc0 | (cp >> 6));
			u8[1] = (uint8_t)(0x80 | (cp & 0x3f));
			k = 2;
		} else if (cp < 0x10000) {
			u8[0] = (uint8_t)(0xe0 | (cp >> 12));
			u8[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			u8[2] = (uint8_t)(0x80 | (cp & 0x3f));
			k = 3;
		} else {
			u8[0] = (uint8_t)(0xf0 | (cp >> 18));
			u8[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			u8[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			u8[3] = (uint8_t)(0x80 | (cp & 0x3f));
			k = 4;
		}
		_put(dst, cap, &n, u8, k, fits);
	}
}

enum _num_kind {
	_NUM_INT,   /* fits in int64_t */
	_NUM_REAL,  /* has a fraction or an exponent */
	_NUM_RANGE, /* an integer beyond int64_t */
};

static bool _digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A number at the cursor, by the JSON grammar; *v is set for _NUM_INT. */
static int _json_number(_json *j, int64_t *v, enum _num_kind *kind)
{
	bool neg = false, range = false, real = false;
	uint64_t acc = 0;
	uint64_t limit;

	if (_json_peek(j) == '-') {
		neg = true;
		j->off++;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (!_digit(_json_peek(j)))
		return _json_fail(j, "bad number");
	if (_json_peek(j) == '0') {
		j->off++;
		if (_digit(_json_peek(j)))
			return _json_fail(j, "number with a leading zero");
	} else {
		while (_digit(_json_peek(j))) {
			unsigned d = (unsigned)(j->p[j->off] - '0');

			if (acc > (limit - d) / 10)
				range = true;
			else
				acc = acc * 10 + d;
			j->off++;
		}
	}
	if (_json_peek(j) == '.') {
		real = true;
		j->off++;
		if (!_digit(_json_peek(j)))
			return _json_fail(j, "bad number");
		while (_digit(_json_peek(j)))
			j->off++;
	}
	if (_json_peek(j) == 'e' || _json_peek(j) == 'E') {
		real = true;
		j->off++;
		if (_json_peek(j) == '+' || _json_peek(j) == '-')
			j->off++;
		if (!_digit(_json_peek(j)))
			return _json_fail(j, "bad number");
		while (_digit(_json_peek(j)))
			j->off++;
	}
	*kind = real ? _NUM_REAL : range ? _NUM_RANGE : _NUM_INT;
	if (*kind == _NUM_INT)
		*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
}

static int _json_word(_json *j, const char *w)
{
	size_t n = strlen(w);

	if (j->len - j->off < n || memcmp(j->p + j->off, w, n) != 0)
		return _json_fail(j, "unexpected character");
	j->off += n;
	return 0;
}

/* Skip one value of any kind; depth is that of the value. */
static int _json_skip(_json *j, int depth)
{
	int c, rc;
	int64_t v;
	enum _num_kind kind;

	_json_ws(j);
	c = _json_peek(j);
	if (c < 0)
		return _json_fail(j, "value expected");
	if (c == '"')
		return _json_string(j, NULL, 0, NULL);
	if (c == '-' || _digit(c))
		return _json_number(j, &v, &kind);
	if (c == 't')
		return _json_word(j, "true");
	if (c == 'f')
		return _json_word(j, "false");
	if (c == 'n')
		return _json_word(j, "null");
	if (c != '{' && c != '[')
		return _json_fail(j, "unexpected character");
	if (depth > STRAW_JWT_MAX_DEPTH)
		return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
				     "token %s is nested deeper than %d levels",
				     j->part, STRAW_JWT_MAX_DEPTH);
	j->off++;
	_json_ws(j);
	if (_json_peek(j) == (c == '{' ? '}' : ']')) {
		j->off++;
		return 0;
	}
	for (;;) {
		if (c == '{') {
			_json_ws(j);
			if (_json_peek(j) != '"')
				return _json_fail(j, "member name expected");
			if ((rc = _json_string(j, NULL, 0, NULL)))
				return rc;
			_json_ws(j);
			if (_json_peek(j) != ':')
				return _json_fail(j, "':' expected");
			j->off++;
		}
		if ((rc = _json_skip(j, depth + 1)))
			return rc;
		_json_ws(j);
		if (_json_peek(j) == ',') {
			j->off++;
			continue;
		}
		if (_json_peek(j) == (c == '{' ? '}' : ']')) {
			j->off++;
			return 0;
		}
		return _json_fail(j, c == '{' ? "',' or '}' expected" : "',' or ']' expected");
	}
}

/* After the top-level object only whitespace may follow. */
static int _json_end(_json *j)
{
	_json_ws(j);
	if (j->off != j->len)
		return _json_fail(j, "trailing data after the object");
	return 0;
}

/* exp or iat: a number, and for exp an integer. */
static int _claim_time(_json *j, const char *name, bool required, int64_t *v, bool *set)
{
	enum _num_kind kind;
	int c = _json_peek(j), rc;

	if (c != '-' && !_digit(c)) {
		if (!required)
			return _json_skip(j, 2);
		return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
				     "token's %s claim is not a number", name);
	}
	if ((rc = _json_number(j, v, &kind)))
		return rc;
	if (kind == _NUM_INT) {
		*set = true;
		return 0;
	}
	if (!required)
		return 0;
	if (kind == _NUM_REAL)
		return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
				     "token's %s claim is not an integer (it has a fraction or an exponent)",
				     name);
	return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
			     "token's %s claim is out of range", name);
}

/* sun or username: a string that is a sane user name. */
static int _claim_user(_json *j, const char *name, char *dst, size_t cap)
{
	bool fits;
	int rc;

	if (_json_peek(j) != '"')
		return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
				     "token's %s claim is not a string", name);
	if ((rc = _json_string(j, dst, cap, &fits)))
		return rc;
	if (!fits)
		return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
				     "token's %s claim is longer than %zu bytes", name, cap - 1);
	for (const char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
					     "token's %s claim contains a control character", name);
	return 0;
}

enum {
	_SEEN_EXP = 1,
	_SEEN_IAT = 2,
	_SEEN_SUN = 4,
	_SEEN_USERNAME = 8,
};

/* The payload: a JSON object whose top-level members we pick from. */
static int _payload(_json *j, struct straw_jwt_claims *out)
{
	char sun[sizeof(out->user)] = "", username[sizeof(out->user)] = "";
	unsigned seen = 0;
	bool exp_set = false, iat_set = false;
	int rc;

	_json_ws(j);
	if (_json_peek(j) != '{')
		return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
				     "token payload is not a JSON object");
	j->off++;
	_json_ws(j);
	if (_json_peek(j) == '}') {
		j->off++;
	} else {
		for (;;) {
			char key[16];
			bool fits;
			unsigned bit = 0;

			_json_ws(j);
			if (_json_peek(j) != '"')
				return _json_fail(j, "member name expected");
			if ((rc = _json_string(j, key, sizeof(key), &fits)))
				return rc;
			_json_ws(j);
			if (_json_peek(j) != ':')
				return _json_fail(j, "':' expected");
			j->off++;
			_json_ws(j);
			if (fits) {
				if (!strcmp(key, "exp"))
					bit = _SEEN_EXP;
				else if (!strcmp(key, "iat"))
					bit = _SEEN_IAT;
				else if (!strcmp(key, "sun"))
					bit = _SEEN_SUN;
				else if (!strcmp(key, "username"))
					bit = _SEEN_USERNAME;
			}
			if (bit & seen)
				return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
						     "token has two %s claims", key);
			seen |= bit;
			switch (bit) {
			case _SEEN_EXP:
				rc = _claim_time(j, "exp", true, &out->exp, &exp_set);
				break;
			case _SEEN_IAT:
				rc = _claim_time(j, "iat", false, &out->iat, &iat_set);
				break;
			case _SEEN_SUN:
				rc = _claim_user(j, "sun", sun, sizeof(sun));
				break;
			case _SEEN_USERNAME:
				rc = _claim_user(j, "username", username, sizeof(username));
				break;
			default:
				rc = _json_skip(j, 2);
			}
			if (rc)
				return rc;
			_json_ws(j);
			if (_json_peek(j) == ',') {
				j->off++;
				continue;
			}
			if (_json_peek(j) == '}') {
				j->off++;
				break;
			}
			return _json_fail(j, "',' or '}' expected");
		}
	}
	if ((rc = _json_end(j)))
		return rc;
	if (!exp_set)
		return straw_jwt_err(j->err, j->errlen, STRAW_ERR_AUTH,
				     "token has no exp claim");
	out->has_iat = iat_set;
	/* slurmctld takes sun first, then username (21.08+). */
	memcpy(out->user, (seen & _SEEN_SUN) ? sun : username, sizeof(out->user));
	return 0;
}

/* Decode one part into a fresh buffer; *buf is NULL on failure. */
static int _part_decode(const char *token, size_t start, size_t n, const char *part,
			uint8_t **buf, size_t *blen, char *err, size_t errlen)
{
	size_t bad;

	*buf = NULL;
	if (!n)
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH, "token %s is empty", part);
	*buf = malloc(n / 4 * 3 + 3);
	if (!*buf)
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "out of memory");
	bad = _b64url_decode(token + start, n, *buf, blen);
	if (bad == (size_t)-1) {
		free(*buf);
		*buf = NULL;
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "token %s is not base64url: %zu characters is not a possible length",
				     part, n);
	}
	if (bad) {
		free(*buf);
		*buf = NULL;
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "token %s is not base64url: bad character at offset %zu",
				     part, start + bad - 1);
	}
	return 0;
}

int straw_jwt_claims(const char *token, size_t len, struct straw_jwt_claims *out,
		     char *err, size_t errlen)
{
	size_t dots[2], ndots = 0;
	uint8_t *hdr = NULL, *pay = NULL;
	size_t hlen = 0, plen = 0;
	_json j;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!token || !len)
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH, "token is empty");
	if (len > STRAW_JWT_MAX_TOKEN)
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "token is longer than %d bytes", STRAW_JWT_MAX_TOKEN);
	for (size_t i = 0; i < len; i++) {
		if (token[i] != '.')
			continue;
		if (ndots < 2)
			dots[ndots] = i;
		ndots++;
	}
	if (ndots != 2)
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "token is not a JWT: expected 3 dot-separated parts, found %zu",
				     ndots + 1);
	if (dots[1] + 1 == len)
		return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
				     "token is not signed: its signature part is empty");
	for (size_t i = dots[1] + 1; i < len; i++)
		if (_b64_val((unsigned char)token[i]) < 0)
			return straw_jwt_err(err, errlen, STRAW_ERR_AUTH,
					     "token signature is not base64url: bad character at offset %zu",
					     i);

	rc = _part_decode(token, 0, dots[0], "header", &hdr, &hlen, err, errlen);
	if (rc)
		goto out;
	rc = _part_decode(token, dots[0] + 1, dots[1] - dots[0] - 1, "payload", &pay, &plen,
			  err, errlen);
	if (rc)
		goto out;

	j = (_json){ .p = hdr, .len = hlen, .part = "header", .err = err, .errlen = errlen };
	_json_ws(&j);
	if (_json_peek(&j) != '{') {
		rc = straw_jwt_err(err, errlen, STRAW_ERR_AUTH, "token header is not a JSON object");
		goto out;
	}
	if ((rc = _json_skip(&j, 1)) || (rc = _json_end(&j)))
		goto out;

	j = (_json){ .p = pay, .len = plen, .part = "payload", .err = err, .errlen = errlen };
	rc = _payload(&j, out);
out:
	if (hdr) {
		straw_jwt_wipe(hdr, hlen);
		free(hdr);
	}
	if (pay) {
		straw_jwt_wipe(pay, plen);
		free(pay);
	}
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- minting -------------------------------------------------------------- */

int straw_jwt_mint(const uint8_t *key, size_t keylen, const char *user, long lifetime_s,
		   time_t now, char **out, char *err, size_t errlen)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char payload[512], esc[2 * 128 + 1];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t ulen, e = 0, plen, hb, pb, total, n;
	int64_t exp;
	char *tok;
	int k;

	if (out)
		*out = NULL;
	if (!out)
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "no place for the token");
	if (!key || !keylen)
		return straw_jwt_err(err, errlen, STRAW_ERR_USAGE, "the JWT key is empty");
	if (keylen > INT_MAX)
		return straw_jwt_err(err, errlen, STRAW_ERR_USAGE, "the JWT key is too large");
	if (!user || !*user)
		return straw_jwt_err(err, errlen, STRAW_ERR_USAGE, "no user name for the token");
	ulen = strlen(user);
	if (ulen > 127)
		return straw_jwt_err(err, errlen, STRAW_ERR_USAGE,
				     "user name is longer than 127 bytes");
	for (size_t i = 0; i < ulen;) {
		size_t s = _utf8_len((const uint8_t *)user + i, ulen - i);

		if (!s || (unsigned char)user[i] < 0x20 || user[i] == 0x7f)
			return straw_jwt_err(err, errlen, STRAW_ERR_USAGE,
					     "user name is not printable UTF-8");
		/* Only '"' and '\' need escaping once control bytes are out. */
		if (user[i] == '"' || user[i] == '\\')
			esc[e++] = '\\';
		memcpy(esc + e, user + i, s);
		e += s;
		i += s;
	}
	esc[e] = '\0';
	if (lifetime_s <= 0)
		return straw_jwt_err(err, errlen, STRAW_ERR_USAGE,
				     "token lifetime must be a positive number of seconds");
	if (__builtin_add_overflow((int64_t)now, (int64_t)lifetime_s, &exp))
		return straw_jwt_err(err, errlen, STRAW_ERR_USAGE, "token lifetime is too long");

	k = snprintf(payload, sizeof(payload), "{\"exp\":%lld,\"iat\":%lld,\"sun\":\"%s\"}",
		     (long long)exp, (long long)now, esc);
	if (k < 0 || (size_t)k >= sizeof(payload))
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "token payload too long");
	plen = (size_t)k;

	hb = _b64url_enclen(sizeof(header) - 1);
	pb = _b64url_enclen(plen);
	total = hb + 1 + pb + 1 + _b64url_enclen(32) + 1;
	tok = malloc(total);
	if (!tok)
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "out of memory");
	n = _b64url_encode((const uint8_t *)header, sizeof(header) - 1, tok);
	tok[n++] = '.';
	n += _b64url_encode((const uint8_t *)payload, plen, tok + n);
	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)tok, n, mac, &maclen) ||
	    maclen != 32) {
		straw_jwt_wipe(tok, total);
		free(tok);
		straw_jwt_wipe(mac, sizeof(mac));
		return straw_jwt_err(err, errlen, STRAW_ERR_INTERNAL, "HMAC-SHA256 failed");
	}
	tok[n++] = '.';
	_b64url_encode(mac, maclen, tok + n);
	straw_jwt_wipe(mac, sizeof(mac));
	*out = tok;
	return STRAW_OK;
}
