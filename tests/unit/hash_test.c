/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/tt_hash: the hash index with equal and colliding hashes, growth, clear,
 * deletion (clusters that wrap around the end of the table) and moves, against a model.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tt_hash.h"
#include "tt_test.h"

static const uint32_t *keys_of;

static bool key_eq(const void *ctx, uint32_t idx)
{
	return keys_of[idx] == *(const uint32_t *)ctx;
}

TT_TEST(hash, index_finds_what_was_added)
{
	static uint32_t keys[3000];
	struct tt_hidx x = {0};

	keys_of = keys;
	for (uint32_t i = 0; i < 3000; i++) {
		keys[i] = i * 2654435761u;
		/* every third key shares its hash with others: equality decides */
		uint32_t h = i % 3 ? (uint32_t)tt_hash_u64(keys[i]) : 7;

		assert_int_equal(tt_hidx_find(&x, h, key_eq, &keys[i]), -1);
		assert_int_equal(tt_hidx_add(&x, h, i), 0);
	}
	assert_int_equal(x.cnt, 3000);
	assert_true(x.cap >= 6000);
	for (uint32_t i = 0; i < 3000; i++) {
		uint32_t h = i % 3 ? (uint32_t)tt_hash_u64(keys[i]) : 7, other = keys[i] + 1;

		assert_int_equal(tt_hidx_find(&x, h, key_eq, &keys[i]), i);
		assert_int_equal(tt_hidx_find(&x, h, key_eq, &other), -1);
	}
	tt_hidx_clear(&x);
	assert_int_equal(x.cnt, 0);
	assert_int_equal(tt_hidx_find(&x, 7, key_eq, &keys[0]), -1);
	tt_hidx_free(&x);
	assert_null(x.slots);
	assert_int_equal(tt_hidx_find(&x, 7, key_eq, &keys[0]), -1); /* empty: no memory needed */
}

/* The model: position p holds key at[p] (0: nothing); the hash of key k is hash_of(k). */
static uint32_t at[256];

static bool at_eq(const void *ctx, uint32_t idx)
{
	return at[idx] == *(const uint32_t *)ctx;
}

/* Few distinct hashes, around the ends of tables of 64, 128 and 256 slots: clusters wrap. */
static uint32_t hash_of(uint32_t k)
{
	static const uint32_t hs[] = {61, 62, 63, 0, 1, 127, 254, 255, 5};

	return hs[k % 9];
}

static void check_model(const struct tt_hidx *x, uint32_t key_cnt)
{
	uint32_t n = 0;

	for (uint32_t k = 1; k <= key_cnt; k++) {
		int64_t want = -1;

		for (uint32_t p = 0; p < 256; p++)
			if (at[p] == k)
				want = p;
		n += want >= 0;
		assert_int_equal(tt_hidx_find(x, hash_of(k), at_eq, &k), want);
	}
	assert_int_equal(x->cnt, n);
}

TT_TEST(hash, delete_and_move_keep_every_other_entry_findable)
{
	struct tt_hidx x = {0};
	uint64_t rnd = 42;

	memset(at, 0, sizeof(at));
	/* two keys of hash 63: the second wraps to slot 0 and must come back to 63 */
	at[2] = 2;
	at[11] = 11;
	assert_int_equal(tt_hidx_add(&x, hash_of(2), 2), 0);
	assert_int_equal(tt_hidx_add(&x, hash_of(11), 11), 0);
	assert_int_equal(tt_hidx_del(&x, hash_of(2), 2), 0);
	at[2] = 0;
	check_model(&x, 30);
	assert_int_equal(tt_hidx_del(&x, hash_of(11), 11), 0);
	at[11] = 0;
	check_model(&x, 30);
	/* 30 keys in 64 slots, all in one cluster that wraps around the end */
	for (uint32_t k = 1; k <= 30; k++) {
		at[k] = k;
		assert_int_equal(tt_hidx_add(&x, hash_of(k), k), 0);
	}
	assert_int_equal(x.cap, 64);
	check_model(&x, 30);
	/* delete from the middle, the start and the end of the cluster */
	static const uint32_t order[] = {15, 1, 30, 7, 8, 22, 2, 29, 3};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		uint32_t k = order[i];

		assert_int_equal(tt_hidx_del(&x, hash_of(k), k), 0);
		assert_int_equal(tt_hidx_del(&x, hash_of(k), k), -ENOENT); /* once */
		at[k] = 0;
		check_model(&x, 30);
	}
	assert_int_equal(tt_hidx_del(&x, hash_of(4) + 1, 4), -ENOENT); /* another hash */
	/* move: the entry follows its key to another position; the equality is not asked */
	assert_int_equal(tt_hidx_move(&x, hash_of(4), 4, 200), 0);
	at[200] = 4;
	at[4] = 0;
	check_model(&x, 30);
	assert_int_equal(tt_hidx_move(&x, hash_of(4), 4, 201), -ENOENT);
	assert_int_equal(tt_hidx_move(&x, hash_of(4), 200, UINT32_MAX), -EOVERFLOW);

	/* random adds, deletes and moves through growth, against the model */
	for (int step = 0; step < 4000; step++) {
		uint32_t k, p, q;

		rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
		k = (uint32_t)(rnd >> 33) % 120 + 1;
		for (p = 0; p < 256 && at[p] != k; p++)
			;
		if (p == 256) { /* absent: add it at a free position */
			for (q = (uint32_t)(rnd >> 20) % 256; at[q]; q = (q + 1) % 256)
				;
			at[q] = k;
			assert_int_equal(tt_hidx_add(&x, hash_of(k), q), 0);
		} else if (rnd >> 63) {
			at[p] = 0;
			assert_int_equal(tt_hidx_del(&x, hash_of(k), p), 0);
		} else {
			for (q = (uint32_t)(rnd >> 20) % 256; at[q]; q = (q + 1) % 256)
				;
			at[p] = 0;
			at[q] = k;
			assert_int_equal(tt_hidx_move(&x, hash_of(k), p, q), 0);
		}
		if (step % 97 == 0)
			check_model(&x, 120);
	}
	check_model(&x, 120);
	tt_hidx_free(&x);
	assert_int_equal(tt_hidx_del(&x, 1, 1), -ENOENT); /* empty: no memory needed */
	assert_int_equal(tt_hidx_move(&x, 1, 1, 2), -ENOENT);
}

TT_TEST(hash, bytes_hash_depends_on_every_byte_and_the_seed)
{
	uint8_t buf[40];
	uint64_t base;

	memset(buf, 'a', sizeof(buf));
	for (size_t n = 0; n <= sizeof(buf); n++) {
		base = tt_hash_bytes(buf, n, 0);
		assert_true(base != tt_hash_bytes(buf, n, 1));
		for (size_t i = 0; i < n; i++) {
			buf[i] ^= 1;
			assert_true(tt_hash_bytes(buf, n, 0) != base);
			buf[i] ^= 1;
		}
		if (n)
			assert_true(tt_hash_bytes(buf, n - 1, 0) != base);
	}
}
