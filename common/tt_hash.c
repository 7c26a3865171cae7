/* SPDX-License-Identifier: MIT */
/* The hash index and hash functions (see tt_hash.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_hash.h"

static void put(uint64_t *slots, uint32_t mask, uint64_t s)
{
	uint32_t i = (uint32_t)(s >> 32) & mask;

	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = s;
}

int tt_hidx_add(struct tt_hidx *x, uint32_t h, uint32_t idx)
{
	if (idx == UINT32_MAX)
		return -EOVERFLOW;
	if ((x->cnt + 1) * 2 > x->cap) {
		uint32_t cap = x->cap ? x->cap * 2 : 64;
		uint64_t *slots;

		if (!cap)
			return -ENOMEM;
		slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		for (uint32_t i = 0; i < x->cap; i++)
			if (x->slots[i])
				put(slots, cap - 1, x->slots[i]);
		free(x->slots);
		x->slots = slots;
		x->cap = cap;
	}
	put(x->slots, x->cap - 1, (uint64_t)h << 32 | (idx + 1));
	x->cnt++;
	return 0;
}

/* The slot holding exactly s, or -1. */
static int64_t slot_of(const struct tt_hidx *x, uint64_t s)
{
	uint32_t mask = x->cap - 1;

	if (!x->cap)
		return -1;
	for (uint32_t i = (uint32_t)(s >> 32) & mask;; i = (i + 1) & mask) {
		if (!x->slots[i])
			return -1;
		if (x->slots[i] == s)
			return i;
	}
}

int tt_hidx_del(struct tt_hidx *x, uint32_t h, uint32_t idx)
{
	int64_t at = idx == UINT32_MAX ? -1 : slot_of(x, (uint64_t)h << 32 | (idx + 1));
	uint32_t mask = x->cap - 1, i, j;

	if (at < 0)
		return -ENOENT;
	/* shift the later entries of the cluster back into the hole, unless that would put one
	 * before its home slot: the entry at j may move to i unless its home lies in (i, j] */
	for (i = j = (uint32_t)at;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if (!x->slots[j])
			break;
		home = (uint32_t)(x->slots[j] >> 32) & mask;
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			x->slots[i] = x->slots[j];
			i = j;
		}
	}
	x->slots[i] = 0;
	x->cnt--;
	return 0;
}

int tt_hidx_move(struct tt_hidx *x, uint32_t h, uint32_t idx, uint32_t to)
{
	int64_t at = idx == UINT32_MAX ? -1 : slot_of(x, (uint64_t)h << 32 | (idx + 1));

	if (to == UINT32_MAX)
		return -EOVERFLOW;
	if (at < 0)
		return -ENOENT;
	x->slots[at] = (uint64_t)h << 32 | (to + 1);
	return 0;
}

void tt_hidx_clear(struct tt_hidx *x)
{
	if (x->slots)
		memset(x->slots, 0, (size_t)x->cap * sizeof(*x->slots));
	x->cnt = 0;
}

void tt_hidx_free(struct tt_hidx *x)
{
	free(x->slots);
	memset(x, 0, sizeof(*x));
}

uint64_t tt_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n << 8) ^ seed;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v;

		memcpy(&v, b + i, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (i < n) {
		uint64_t v = 0;

		if (n >= 8) { /* the last 8 bytes, overlapping: one load instead of a loop */
			memcpy(&v, b + n - 8, 8);
		} else {
			for (size_t k = 0; k < n - i; k++)
				v |= (uint64_t)b[i + k] << (8 * k);
		}
		h = (h ^ v) * 0xff51afd7ed558ccdULL;
	}
	return tt_hash_u64(h);
}
