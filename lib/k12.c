/*
 * k12.c - KangarooTwelve (KT128, RFC 9861), the hash slurmctld expects in
 * the munge payload from 22.05 on.  Written from the RFC: Keccak-p[1600,12]
 * under TurboSHAKE128, and the tree mode over 8192-byte chunks.  Portable C;
 * lanes are loaded and stored little-endian byte by byte, so the result does
 * not depend on the host's byte order.
 */
#include <string.h>

#include "internal.h"

#define K12_RATE 168    /* TurboSHAKE128: 1600 - 2*128 bits */
#define K12_CHUNK 8192
#define K12_CV 32       /* chaining value of a leaf */

/* The last 12 of Keccak-f[1600]'s 24 round constants. */
static const uint64_t _rc[12] = {
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* rho offsets, indexed by lane x + 5y. */
static const unsigned _rho[25] = {
	0, 1, 62, 28, 27,
	36, 44, 6, 55, 20,
	3, 10, 43, 25, 39,
	41, 45, 15, 21, 8,
	18, 2, 61, 56, 14,
};

/* pi: lane x + 5y moves to y + 5((2x + 3y) mod 5). */
static const unsigned char _pi[25] = {
	0, 10, 20, 5, 15,
	16, 1, 11, 21, 6,
	7, 17, 2, 12, 22,
	23, 8, 18, 3, 13,
	14, 24, 9, 19, 4,
};

static inline uint64_t _rol(uint64_t v, unsigned n)
{
	/* n == 0 must not shift by 64. */
	return n ? (v << n) | (v >> (64 - n)) : v;
}

static void _keccak_p12(uint64_t a[25])
{
	uint64_t b[25], c[5], d;
	int r, x, y;

	for (r = 0; r < 12; r++) {
		for (x = 0; x < 5; x++)
			c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
		for (x = 0; x < 5; x++) {
			d = c[(x + 4) % 5] ^ _rol(c[(x + 1) % 5], 1);
			for (y = 0; y < 25; y += 5)
				a[y + x] ^= d;
		}
		for (x = 0; x < 25; x++)
			b[_pi[x]] = _rol(a[x], _rho[x]);
		for (y = 0; y < 25; y += 5)
			for (x = 0; x < 5; x++)
				a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
		a[0] ^= _rc[r];
	}
}

static inline uint64_t _load64le(const uint8_t *p)
{
	return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) |
	       ((uint64_t)p[3] << 24) | ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) |
	       ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

/* TurboSHAKE128 state; pos is the byte offset inside the current block. */
typedef struct _sponge {
	uint64_t a[25];
	size_t pos;
} _sponge;

static void _sp_init(_sponge *s)
{
	memset(s, 0, sizeof(*s));
}

static void _sp_absorb(_sponge *s, const uint8_t *p, size_t n)
{
	while (n) {
		if (s->pos == 0 && n >= K12_RATE) {
			for (int i = 0; i < K12_RATE / 8; i++)
				s->a[i] ^= _load64le(p + 8 * i);
			_keccak_p12(s->a);
			p += K12_RATE;
			n -= K12_RATE;
			continue;
		}
		s->a[s->pos / 8] ^= (uint64_t)*p++ << (8 * (s->pos % 8));
		n--;
		if (++s->pos == K12_RATE) {
			_keccak_p12(s->a);
			s->pos = 0;
		}
	}
}

/* Domain separation byte, the final padding bit, then squeeze. */
static void _sp_finish(_sponge *s, uint8_t dsep, uint8_t *out, size_t len)
{
	size_t i;

	s->a[s->pos / 8] ^= (uint64_t)dsep << (8 * (s->pos % 8));
	s->a[(K12_RATE - 1) / 8] ^= (uint64_t)0x80 << (8 * ((K12_RATE - 1) % 8));
	_keccak_p12(s->a);
	for (i = 0; len; i++) {
		if (i == K12_RATE) {
			_keccak_p12(s->a);
			i = 0;
		}
		*out++ = (uint8_t)(s->a[i / 8] >> (8 * (i % 8)));
		len--;
	}
}

/* length_encode: big-endian without leading zeros, then the byte count. */
static size_t _length_encode(uint64_t x, uint8_t out[9])
{
	size_t n = 0, i;

	for (uint64_t t = x; t; t >>= 8)
		n++;
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(x >> (8 * (n - 1 - i)));
	out[n] = (uint8_t)n;
	return n + 1;
}

/*
 * S = M || C || length_encode(|C|) is never built: its pieces are fed in
 * turn, the first chunk to the final node, later ones to leaves.
 */
typedef struct _k12 {
	_sponge node;   /* the final node */
	_sponge leaf;
	uint64_t fed;   /* bytes of S so far */
	size_t leaf_len;
	uint64_t leaves;
	bool tree;
} _k12;

static void _k12_leaf_done(_k12 *k)
{
	uint8_t cv[K12_CV];

	_sp_finish(&k->leaf, 0x0B, cv, sizeof(cv));
	_sp_absorb(&k->node, cv, sizeof(cv));
	_sp_init(&k->leaf);
	k->leaf_len = 0;
	k->leaves++;
}

static void _k12_feed(_k12 *k, const uint8_t *p, size_t n)
{
	static const uint8_t marker[8] = { 0x03 };
	size_t take;

	while (n) {
		if (k->fed < K12_CHUNK) {
			take = K12_CHUNK - (size_t)k->fed;
			if (take > n)
				take = n;
			_sp_absorb(&k->node, p, take);
			k->fed += take;
			if (k->tree && k->fed == K12_CHUNK)
				_sp_absorb(&k->node, marker, sizeof(marker));
		} else {
			take = K12_CHUNK - k->leaf_len;
			if (take > n)
				take = n;
			_sp_absorb(&k->leaf, p, take);
			k->fed += take;
			k->leaf_len += take;
			if (k->leaf_len == K12_CHUNK)
				_k12_leaf_done(k);
		}
		p += take;
		n -= take;
	}
}

void straw_k12(const uint8_t *msg, size_t msg_len, const uint8_t *cust, size_t cust_len,
	       uint8_t *out, size_t out_len)
{
	static const uint8_t tail[2] = { 0xFF, 0xFF };
	uint8_t enc[9];
	size_t enc_len = _length_encode(cust_len, enc);
	_k12 k;

	memset(&k, 0, sizeof(k));
	/* |S| > 8192, counted without overflow. */
	k.tree = msg_len > K12_CHUNK || cust_len > K12_CHUNK - msg_len ||
		 enc_len > K12_CHUNK - msg_len - cust_len;
	_k12_feed(&k, msg, msg_len);
	_k12_feed(&k, cust, cust_len);
	_k12_feed(&k, enc, enc_len);
	if (!k.tree) {
		_sp_finish(&k.node, 0x07, out, out_len);
	} else {
		if (k.leaf_len)
			_k12_leaf_done(&k);
		enc_len = _length_encode(k.leaves, enc);
		_sp_absorb(&k.node, enc, enc_len);
		_sp_absorb(&k.node, tail, sizeof(tail));
		_sp_finish(&k.node, 0x06, out, out_len);
	}
}
