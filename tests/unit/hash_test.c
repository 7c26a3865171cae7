/* SPDX-License-Identifier: MIT */
/* Unit tests of common/tt_hash: the hash index with equal and colliding hashes, growth, clear. */
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
