/* SPDX-License-Identifier: MIT */
/*
 * The tail capture's counters as the tape carries them (schemas/tape_keep.c): the histogram's
 * buckets hold their values within the stated error, quantiles come from the right bucket, and a
 * "keep_spans" line reads back as written; malformed lines are refused, other versions skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tape_keep.h"
#include "tt_test.h"
#include "tt_util.h"

TT_TEST(tape_keep, buckets_hold_their_values_within_a_32nd)
{
	static const uint64_t v[] = {0, 1, 63, 64, 65, 127, 128, 1000, 1023, 1024, 10000000,
				     999999999, 1ULL << 40, (1ULL << 63) + 12345, UINT64_MAX};
	uint32_t prev = 0;

	for (size_t i = 0; i < TT_ARRAY_SIZE(v); i++) {
		uint32_t b = tt_keep_bucket(v[i]);
		uint64_t lo = tt_keep_bucket_lo(b), hi = tt_keep_bucket_hi(b);

		assert_true(b < TT_KEEP_BUCKETS);
		assert_true(b >= prev);
		prev = b;
		assert_true(lo <= v[i]);
		assert_true(v[i] < hi || hi == UINT64_MAX);
		if (v[i] >= 64)
			assert_true((hi - lo) * TT_KEEP_SUB_BUCKETS <= lo);
		else
			assert_int_equal(hi - lo, 1);
	}
	assert_int_equal(tt_keep_bucket(UINT64_MAX), TT_KEEP_BUCKETS - 1);
	/* every bucket's bounds map back to it, and buckets tile the values */
	for (uint32_t b = 0; b + 1 < TT_KEEP_BUCKETS; b++) {
		assert_int_equal(tt_keep_bucket(tt_keep_bucket_lo(b)), b);
		assert_int_equal(tt_keep_bucket_hi(b), tt_keep_bucket_lo(b + 1));
	}
}

TT_TEST(tape_keep, quantiles_are_within_a_64th)
{
	uint64_t *h = calloc(TT_KEEP_BUCKETS, sizeof(*h));

	/* 1000 values 1 ms .. 1000 ms: p50 = 500 ms, p99 = 990 ms, max = 1000 ms */
	for (uint64_t i = 1; i <= 1000; i++)
		h[tt_keep_bucket(i * 1000000)]++;
	assert_true(llabs((long long)tt_keep_quantile(h, 1000, 0.5) - 500000000) <= 500000000 / 64);
	assert_true(llabs((long long)tt_keep_quantile(h, 1000, 0.99) - 990000000) <= 990000000 / 64);
	assert_true(llabs((long long)tt_keep_quantile(h, 1000, 1.0) - 1000000000) <= 1000000000 / 64);
	assert_int_equal(tt_keep_quantile(h, 0, 0.5), 0);
	memset(h, 0, TT_KEEP_BUCKETS * sizeof(*h));
	h[7] = 3; /* small values are exact */
	assert_int_equal(tt_keep_quantile(h, 3, 0.99), 7);
	free(h);
}

TT_TEST(tape_keep, a_line_reads_back_as_written)
{
	uint64_t hist[TT_KEEP_BUCKETS] = {0};
	struct tt_keep_counts c = {.provider = "svc", .name = "request", .seen = 10, .kept = 3,
				   .dropped = 7, .unclosed = 1, .hist = hist}, r;
	struct tt_buf b = {0};

	hist[5] = 2;
	hist[TT_KEEP_BUCKETS - 1] = 7;
	assert_int_equal(tt_keep_counts_format(&c, &b), 0);
	assert_int_equal(tt_keep_counts_parse((const char *)b.data, b.len, &r), 0);
	assert_string_equal(r.provider, "svc");
	assert_string_equal(r.name, "request");
	assert_int_equal(r.seen, 10);
	assert_int_equal(r.kept, 3);
	assert_int_equal(r.dropped, 7);
	assert_int_equal(r.unclosed, 1);
	assert_memory_equal(r.hist, hist, sizeof(hist));
	tt_keep_counts_free(&r);
	tt_buf_free(&b);
}

TT_TEST(tape_keep, bad_lines_are_refused_and_other_versions_skipped)
{
	static const char *const bad[] = {
		"", "x", "v1\tp\tn\t1\t1\t0\t0",            /* a field short */
		"v1\tp\tn\t1\t1\t1\t0\t",                    /* kept + dropped != seen */
		"v1\tp\tn\t1\t0\t1\t1\t",                    /* unclosed but not kept */
		"v1\tp\tn\t1\t1\t0\t0\t5",                   /* bucket without count */
		"v1\tp\tn\t1\t1\t0\t0\t99999:1",             /* bucket out of range */
		"v1\tp\tn\t-1\t1\t0\t0\t",                   /* a sign */
		"v1\tp\tn\t1\t1\t0\t0\t1:1;",                /* junk */
	};
	struct tt_keep_counts r;

	for (size_t i = 0; i < TT_ARRAY_SIZE(bad); i++)
		assert_int_equal(tt_keep_counts_parse(bad[i], strlen(bad[i]), &r), -EINVAL);
	assert_int_equal(tt_keep_counts_parse("v2\tanything", 12, &r), 1);
	assert_int_equal(tt_keep_counts_parse("v1\tp\tn\t2\t1\t1\t0\t3:2", 18, &r), 0);
	assert_int_equal(r.hist[3], 2);
	tt_keep_counts_free(&r);
}
