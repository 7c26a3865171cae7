/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/ring: the batched consumer, on memory laid out as the kernel lays out
 * a BPF ring buffer (data area followed by a second copy, so that wrapped records are whole).
 */
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "tt_test.h"
#include "tt_util.h"

#define SIZE 256
#define BUSY (1U << 31)
#define DISCARD (1U << 30)

struct fake {
	unsigned long consumer, producer;
	uint8_t data[2 * SIZE];
};

/* Write a record of len bytes of value v at position pos, with header flags. */
static unsigned long put(struct fake *f, unsigned long pos, uint32_t len, uint8_t v, uint32_t flags)
{
	uint8_t rec[64];
	size_t total = (8 + len + 7) & ~7UL;

	memset(rec, 0, sizeof(rec));
	tt_put_le32(rec, len | flags);
	memset(rec + 8, v, len);
	for (size_t i = 0; i < total; i++) {
		f->data[(pos + i) % SIZE] = rec[i];
		f->data[(pos + i) % SIZE + SIZE] = rec[i]; /* the second mapping */
	}
	return pos + total;
}

struct seen {
	int cnt;
	uint8_t vals[16];
	size_t lens[16];
	int stop_at;
};

static int on_rec(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	const uint8_t *d = data;

	for (size_t i = 0; i < size; i++)
		if (d[i] != d[0])
			return -1; /* torn record */
	s->vals[s->cnt] = size ? d[0] : 0;
	s->lens[s->cnt++] = size;
	return s->cnt == s->stop_at;
}

TT_TEST(ring, in_order_skips_discarded_stops_at_busy)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct seen s = {0};
	struct tt_ring *r = tt_ring__wrap(&f->consumer, &f->producer, f->data, SIZE);
	unsigned long p = 0, busy;

	p = put(f, p, 5, 1, 0);
	p = put(f, p, 12, 2, DISCARD);
	p = put(f, p, 16, 3, 0);
	busy = p;
	p = put(f, p, 4, 4, BUSY);
	p = put(f, p, 4, 5, 0);
	f->producer = p;
	assert_int_equal(tt_ring__consume(r, on_rec, &s), 2);
	assert_int_equal(s.vals[0], 1);
	assert_int_equal(s.lens[0], 5);
	assert_int_equal(s.vals[1], 3);
	assert_int_equal(s.lens[1], 16);
	assert_int_equal(f->consumer, busy); /* released up to the record being written */

	/* the writer commits: both remaining records come out, the position reaches the end */
	tt_put_le32(f->data + busy % SIZE, 4);
	tt_put_le32(f->data + busy % SIZE + SIZE, 4);
	assert_int_equal(tt_ring__consume(r, on_rec, &s), 2);
	assert_int_equal(s.vals[2], 4);
	assert_int_equal(s.vals[3], 5);
	assert_int_equal(f->consumer, p);
	assert_int_equal(tt_ring__consume(r, on_rec, &s), 0);
	free(r);
	free(f);
}

TT_TEST(ring, wrapped_records_are_whole)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct seen s = {0};
	struct tt_ring *r = tt_ring__wrap(&f->consumer, &f->producer, f->data, SIZE);
	unsigned long p = SIZE - 16;

	f->consumer = p;
	p = put(f, p, 40, 7, 0); /* starts 16 bytes before the end, ends after the start */
	p = put(f, p, 8, 8, 0);
	f->producer = p;
	assert_int_equal(tt_ring__consume(r, on_rec, &s), 2);
	assert_int_equal(s.lens[0], 40);
	assert_int_equal(s.vals[0], 7);
	assert_int_equal(s.vals[1], 8);
	assert_int_equal(f->consumer, p);
	free(r);
	free(f);
}

TT_TEST(ring, callback_stop_releases_what_was_consumed)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct seen s = {.stop_at = 1};
	struct tt_ring *r = tt_ring__wrap(&f->consumer, &f->producer, f->data, SIZE);
	unsigned long p = 0, first;

	first = put(f, p, 4, 1, 0);
	p = put(f, first, 4, 2, 0);
	f->producer = p;
	assert_true(tt_ring__consume(r, on_rec, &s) < 0);
	assert_int_equal(f->consumer, first);
	s.stop_at = 0;
	assert_int_equal(tt_ring__consume(r, on_rec, &s), 1);
	assert_int_equal(s.vals[1], 2);
	free(r);
	free(f);
}
