/*
 * test_k12.c - KangarooTwelve against the RFC 9861 section 5 KT128 vectors
 * and the payload hashes live controllers accepted (PROTOCOL.md 4.1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* ptn(n): 00 01 02 ... FA repeated, truncated to n bytes. */
static uint8_t *_ptn(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i % 251);
	return p;
}

static void _unhex(const char *hex, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* K12 of (msg, cust) must equal hex, compared over the last strlen(hex)/2 bytes of out_len. */
static void _check(const uint8_t *msg, size_t msg_len, const uint8_t *cust, size_t cust_len,
		   size_t out_len, const char *hex)
{
	size_t n = strlen(hex) / 2;
	uint8_t *out = malloc(out_len + 16);
	uint8_t want[64];

	assert_non_null(out);
	assert_true(n <= sizeof(want) && n <= out_len);
	_unhex(hex, want, n);
	/* A canary after the output: nothing may be written past out_len. */
	memset(out, 0xA5, out_len + 16);
	straw_k12(msg, msg_len, cust, cust_len, out, out_len);
	assert_memory_equal(out + out_len - n, want, n);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(out[out_len + i], 0xA5);
	free(out);
}

static void test_empty(void **state)
{
	(void)state;
	_check(NULL, 0, NULL, 0, 32,
	       "1ac2d450fc3b4205d19da7bfca1b37513c0803577ac7167f06fe2ce1f0ef39e5");
	_check(NULL, 0, NULL, 0, 64,
	       "1ac2d450fc3b4205d19da7bfca1b37513c0803577ac7167f06fe2ce1f0ef39e5"
	       "4269c056b8c82e48276038b6d292966cc07a3d4645272e31ff38508139eb0a71");
	/* 10032 bytes: many squeeze blocks; the last 32 are the vector. */
	_check(NULL, 0, NULL, 0, 10032,
	       "e8dc563642f7228c84684c898405d3a834799158c079b12880277a1d28e2ff6d");
}

static void test_ptn_message(void **state)
{
	static const char *const want[] = {
		"2bda92450e8b147f8a7cb629e784a058efca7cf7d8218e02d345dfaa65244a1f",
		"6bf75fa2239198db4772e36478f8e19b0f371205f6a9a93a273f51df37122888",
		"0c315ebcdedbf61426de7dcf8fb725d1e74675d7f5327a5067f367b108ecb67c",
		"cb552e2ec77d9910701d578b457ddf772c12e322e4ee7fe417f92c758f0d59d0",
		"8701045e22205345ff4dda05555cbb5c3af1a771c2b89baef37db43d9998b9fe",
		"844d610933b1b9963cbdeb5ae3b6b05cc7cbd67ceedf883eb678a0a8e0371682",
		"3c390782a8a4e89fa6367f72feaaf13255c8d95878481d3cd8ce85f58e880af8",
	};
	size_t n = 1;

	(void)state;
	/* 17^0 .. 17^6 bytes: 17^4 and up go through the tree mode. */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++, n *= 17) {
		uint8_t *m = _ptn(n);

		_check(m, n, NULL, 0, 32, want[i]);
		free(m);
	}
}

static void test_ptn_customisation(void **state)
{
	static const char *const want[] = {
		"fab658db63e94a246188bf7af69a133045f46ee984c56e3c3328caaf1aa1a583",
		"d848c5068ced736f4462159b9867fd4c20b808acc3d5bc48e0b06ba0a3762ec4",
		"c389e5009ae57120854c2e8c64670ac01358cf4c1baf89447a724234dc7ced74",
		"75d2f86a2e644566726b4fbcfc5657b9dbcf070c7b0dca06450ab291d7443bcf",
	};
	uint8_t ff[7];
	size_t clen = 1;

	(void)state;
	memset(ff, 0xFF, sizeof(ff));
	/* M = 2^j - 1 bytes of FF, C = ptn(41^j); 41^3 puts C across chunks. */
	for (size_t j = 0; j < sizeof(want) / sizeof(want[0]); j++, clen *= 41) {
		uint8_t *c = _ptn(clen);

		_check(ff, ((size_t)1 << j) - 1, c, clen, 32, want[j]);
		free(c);
	}
}

/* Around the 8192-byte boundary where the tree mode starts. */
static void test_chunk_boundary(void **state)
{
	uint8_t *m = _ptn(8192);
	uint8_t *c = _ptn(8190);

	(void)state;
	/* |S| = 8192 + 1: just into the tree mode. */
	_check(m, 8191, NULL, 0, 32,
	       "1b577636f723643e990cc7d6a659837436fd6a103626600eb8301cd1dbe553d6");
	_check(m, 8192, NULL, 0, 32,
	       "48f256f6772f9edfb6a8b661ec92dc93b95ebd05a08a17b39ae3490870c926c3");
	_check(m, 8192, c, 8189, 32,
	       "3ed12f70fb05ddb58689510ab3e4d23c6c6033849aa01e1d8c220a297fedcd0b");
	_check(m, 8192, c, 8190, 32,
	       "6a7c1b6a5cd0d8c9ca943a4a216cc64604559a2ea45f78570a15253d67ba00ae");
	free(c);
	free(m);
}

/* The Slurm payload hashes: C = msg_type 2015 big-endian (PROTOCOL.md 4.1). */
static void test_slurm_payload(void **state)
{
	static const uint8_t c[2] = { 0x07, 0xDF };
	static const uint8_t b0[4] = { 0, 0, 0, 0 };
	static const uint8_t b1[4] = { 0, 0, 0, 1 };
	static const uint8_t b2[6] = { 0, 0, 0, 0, 0, 0 };

	(void)state;
	_check(b0, 4, c, 2, 32,
	       "cd8bdd62df681c56ad59c4eefd6188374799f35692d50c4a25c01d489f1a2505");
	_check(b1, 4, c, 2, 32,
	       "fb94bf659aba27ad7b1c7c87340ded52162f6a553ecc681e4df89f3434273503");
	_check(b2, 6, c, 2, 32,
	       "1a53795f79d2112114a47c778fc7cb276bf0d2ce62e1e748598f238ca3b68728");
}

/*
 * What an implementation splitting S wrongly would get wrong: the output
 * is a prefix-stable XOF across the 168-byte rate, moving bytes between M
 * and C changes the hash, the inputs are left alone, and the same input
 * gives the same output whatever the call before it did.
 */
static void test_properties(void **state)
{
	uint8_t *m = _ptn(20000);
	uint8_t *copy = _ptn(20000);
	uint8_t big[400], small[32], a[32], b[32];
	size_t lens[] = { 1, 167, 168, 169, 336, 337 };

	(void)state;
	straw_k12(m, 20000, m, 100, big, sizeof(big));
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t out[337];

		straw_k12(m, 20000, m, 100, out, lens[i]);
		assert_memory_equal(out, big, lens[i]);
	}
	assert_memory_equal(m, copy, 20000);

	/* "ab" || "c" versus "a" || "bc": the length encoding of C separates them. */
	straw_k12((const uint8_t *)"ab", 2, (const uint8_t *)"c", 1, a, 32);
	straw_k12((const uint8_t *)"a", 1, (const uint8_t *)"bc", 2, b, 32);
	assert_memory_not_equal(a, b, 32);

	/* One byte more or less around every chunk boundary must change the hash. */
	for (size_t n = 8190; n <= 8194; n++) {
		straw_k12(m, n, NULL, 0, a, 32);
		straw_k12(m, n + 1, NULL, 0, b, 32);
		assert_memory_not_equal(a, b, 32);
		straw_k12(m, n, NULL, 0, small, 32);
		assert_memory_equal(a, small, 32);
	}
	/* Two full leaves versus one: 3 * 8192 and 3 * 8192 + 1 bytes differ. */
	{
		uint8_t *x = _ptn(3 * 8192 + 1);

		straw_k12(x, 3 * 8192, NULL, 0, a, 32);
		straw_k12(x, 3 * 8192 + 1, NULL, 0, b, 32);
		assert_memory_not_equal(a, b, 32);
		free(x);
	}
	free(copy);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_ptn_message),
		cmocka_unit_test(test_ptn_customisation),
		cmocka_unit_test(test_chunk_boundary),
		cmocka_unit_test(test_slurm_payload),
		cmocka_unit_test(test_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
