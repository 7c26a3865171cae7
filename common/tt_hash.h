/* SPDX-License-Identifier: MIT */
/*
 * The one hash table of tracetape: an index from a 32-bit hash to entries the caller keeps in
 * its own array (by position), with the caller's equality. Open addressing with linear probing,
 * at most half full; each slot holds the entry's hash and position, so growing never calls back
 * and most mismatches are rejected without touching the entries. The lookup is static inline so
 * that a constant equality function is inlined where it is used (the tape writer's hot path).
 *
 *	int64_t i = tt_hidx_find(&ix, h, name_eq, &key);
 *	if (i < 0) { i = push(&arr, key); err = tt_hidx_add(&ix, h, (uint32_t)i); }
 *
 * Entries can be deleted and moved: both name the entry by its hash and position, so they
 * need no equality function.
 *
 * Also the hash functions every part uses: tt_hash_bytes() for strings and byte keys,
 * tt_hash_u64() to mix integer keys.
 */
#ifndef TT_HASH_H
#define TT_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tt_hidx {
	uint64_t *slots; /* hash << 32 | (position + 1); 0 is empty (owned) */
	uint32_t cap;    /* a power of two, or 0 before the first add */
	uint32_t cnt;
};

/* Does the caller's entry at position idx have the key ctx describes? */
typedef bool (*tt_hidx_eq)(const void *ctx, uint32_t idx);

/* The position of the entry with hash h that eq accepts, or -1 when there is none. */
static inline int64_t tt_hidx_find(const struct tt_hidx *x, uint32_t h, tt_hidx_eq eq,
				   const void *ctx)
{
	uint32_t mask = x->cap - 1;

	if (!x->cap)
		return -1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		uint64_t s = x->slots[i];

		if (!s)
			return -1;
		if ((uint32_t)(s >> 32) == h && eq(ctx, (uint32_t)s - 1))
			return (uint32_t)s - 1;
	}
}

/* Index position idx under hash h (the caller checked it is not there). 0 or -ENOMEM. */
int tt_hidx_add(struct tt_hidx *x, uint32_t h, uint32_t idx);

/*
 * Forget the entry of position idx under hash h; the others stay findable (backward-shift
 * deletion: no tombstones, so a table with as many deletions as additions never degrades).
 * Returns 0, or -ENOENT when idx is not indexed under h.
 */
int tt_hidx_del(struct tt_hidx *x, uint32_t h, uint32_t idx);

/*
 * Make the entry of position idx under hash h stand for position to (the caller moved the
 * entry in its array, or the entry the key leads to changed, like the top of a stack). No
 * equality is called. Returns 0, -ENOENT when idx is not indexed under h, -EOVERFLOW for to
 * UINT32_MAX.
 */
int tt_hidx_move(struct tt_hidx *x, uint32_t h, uint32_t idx, uint32_t to);

/* Forget every entry, keeping the memory (a new block, a new batch). */
void tt_hidx_clear(struct tt_hidx *x);

/* Free the index's memory; x is then empty and usable again. */
void tt_hidx_free(struct tt_hidx *x);

/* A 64-bit hash of n bytes, varied by seed (a length, flags or a field number). */
uint64_t tt_hash_bytes(const void *p, size_t n, uint64_t seed);

/* A well-mixed 64-bit hash of an integer key (the splitmix64 finalizer). */
static inline uint64_t tt_hash_u64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#endif /* TT_HASH_H */
