/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/report_units.c: the human units both report renderers print, table
 * driven (the rounding edges where a value carries into the next unit, raw integers, thousands
 * separators, times since the capture's start), and the histogram parts they print: the
 * bucket schemes (buckets.c) and a histogram's rows (report_dist.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tt_test.h"

TT_TEST(report_units, durations_keep_three_digits_and_carry)
{
	static const struct {
		int64_t ns;
		int raw;
		const char *want;
	} cases[] = {
		{0, 0, "0ns"},
		{999, 0, "999ns"},
		{-999, 0, "-999ns"},
		{1000, 0, "1.00us"},
		{1234, 0, "1.23us"},
		{45600, 0, "45.6us"},
		{999499, 0, "999us"},
		{999500, 0, "1.00ms"},   /* 999.5us rounds to 1000us: said in the next unit */
		{45600000, 0, "45.6ms"},
		{1500000000, 0, "1.50s"},
		{12345678901, 0, "12.3s"},
		{123456789012, 0, "123s"},  /* seconds are the largest unit */
		{-2500000, 0, "-2.50ms"},
		{1234, 1, "1234"},
		{-5, 1, "-5"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(tt_report_dur(buf, sizeof(buf), cases[i].ns, cases[i].raw),
				    cases[i].want);
}

TT_TEST(report_units, counts_rates_and_numbers)
{
	char buf[32];

	assert_string_equal(tt_report_count(buf, sizeof(buf), 0, 0), "0");
	assert_string_equal(tt_report_count(buf, sizeof(buf), 999, 0), "999");
	assert_string_equal(tt_report_count(buf, sizeof(buf), 1000, 0), "1,000");
	assert_string_equal(tt_report_count(buf, sizeof(buf), 1234567, 0), "1,234,567");
	assert_string_equal(tt_report_count(buf, sizeof(buf), UINT64_MAX, 0),
			    "18,446,744,073,709,551,615");
	assert_string_equal(tt_report_count(buf, sizeof(buf), 1234567, 1), "1234567");
	/* a buffer too small: a terminated prefix */
	assert_true(strlen(tt_report_count(buf, 6, 1234567, 0)) < 6);
	assert_memory_equal(buf, "1,234,567", strlen(buf));

	assert_string_equal(tt_report_rate(buf, sizeof(buf), 0.5, 0), "0.5/s");
	assert_string_equal(tt_report_rate(buf, sizeof(buf), 999.9, 0), "999.9/s");
	assert_string_equal(tt_report_rate(buf, sizeof(buf), 12345.0, 0), "12.3k/s");
	assert_string_equal(tt_report_rate(buf, sizeof(buf), 1500000.0, 0), "1.50M/s");
	assert_string_equal(tt_report_rate(buf, sizeof(buf), 2.5, 1), "2.500");

	assert_string_equal(tt_report_num(buf, sizeof(buf), 42, 0), "42");
	assert_string_equal(tt_report_num(buf, sizeof(buf), -3, 0), "-3");
	assert_string_equal(tt_report_num(buf, sizeof(buf), 1.5, 1), "1.5");
	assert_string_equal(tt_report_num(buf, sizeof(buf), 0.000123456, 1), "0.0001235");
	assert_string_equal(tt_report_num(buf, sizeof(buf), 1e19, 0), "1e+19"); /* beyond int64 */
}

TT_TEST(report_units, times_from_the_capture_start)
{
	struct tt_report r;
	char buf[32];

	memset(&r, 0, sizeof(r));
	r.ts_first = 1000;
	assert_string_equal(tt_report_rel(buf, sizeof(buf), &r, 1000 + 1234567891, 0), "+1.234567s");
	assert_string_equal(tt_report_rel(buf, sizeof(buf), &r, 1000 + 1234567891, 1), "+1234567891");
	assert_string_equal(tt_report_rel(buf, sizeof(buf), &r, 10, 0), "+0.000000s"); /* before */
}

/* The index of v in b, and the bounds of its bucket. */
static void bucket_is(const struct tt_buckets *b, double v, int64_t idx, double lo, double hi)
{
	int64_t i = tt_buckets_index(b, v);

	assert_int_equal(i, idx);
	assert_true(tt_buckets_lo(b, i) == lo);
	assert_true(tt_buckets_hi(b, i) == hi);
	assert_true(v >= lo && v < hi);
}

TT_TEST(report_units, bucket_schemes_log_linear_and_linear)
{
	struct tt_buckets log16 = {.kind = TT_BUCKETS_LOG, .sub_bits = 4, .integer = 1};
	struct tt_buckets log2 = {.kind = TT_BUCKETS_LOG, .sub_bits = 0, .integer = 1};
	struct tt_buckets lin = {.kind = TT_BUCKETS_LINEAR, .origin = 580000, .width = 5000};

	/* 600000 = 1.1444 * 2^19: sub-bucket floor(0.1444 * 16) = 2 of the power 19 */
	bucket_is(&log16, 600000, 19 * 16 + 2, 524288 + 2 * 32768, 524288 + 3 * 32768);
	bucket_is(&log2, 600000, 19, 524288, 1048576);
	bucket_is(&log16, 5, 2 * 16 + 4, 5, 6); /* narrower than 1: one integer each */
	bucket_is(&lin, 612345, 6, 610000, 615000);
	assert_int_equal(tt_buckets_index(&log16, 0), TT_BUCKET_ZERO);
	assert_int_equal(tt_buckets_index(&log16, -3), TT_BUCKET_ZERO);
	/* halving the resolution merges pairs of buckets exactly */
	assert_int_equal(tt_buckets_coarsen(&log16), 0);
	assert_int_equal(tt_buckets_index(&log16, 600000), tt_buckets_halve_index(19 * 16 + 2));
	assert_int_equal(tt_buckets_coarsen(&log2), -1);
	assert_int_equal(tt_buckets_coarsen(&lin), 0);
	assert_int_equal(tt_buckets_index(&lin, 612345), tt_buckets_halve_index(6));
	assert_int_equal(tt_buckets_halve_index(-3), -2);
}

TT_TEST(report_units, bucket_choice_fits_the_data)
{
	/* the example's request spans: 584us .. 737us, within a power of two: linear, 5us */
	struct tt_bucket_stats narrow = {300, 584000, 737000, 590000, 720000, 1};
	/* a bulk in 1ms .. 2ms with a tail to 100ms: log-linear, >= 24 buckets across the bulk */
	struct tt_bucket_stats tail = {1000, 900000, 100000000, 1000000, 2000000, 1};
	struct tt_buckets b;
	char buf[64];

	tt_buckets_choose(&b, TT_BUCKETS_AUTO, &narrow, 40, 24, 256);
	assert_int_equal(b.kind, TT_BUCKETS_LINEAR);
	assert_true(b.width == 5000 && b.origin == 580000);
	assert_string_equal(tt_report_scheme(buf, sizeof(buf), &b, 1, 0), "linear, 5.00us wide");
	tt_buckets_choose(&b, TT_BUCKETS_AUTO, &tail, 40, 24, 256);
	assert_int_equal(b.kind, TT_BUCKETS_LOG);
	assert_int_equal(b.sub_bits, 5); /* 32 per power of two: 32 across [1ms, 2ms) */
	assert_string_equal(tt_report_scheme(buf, sizeof(buf), &b, 1, 0), "log-linear, 32 per power of two");
	/* 7 powers x 32 > 128 buckets: 16 per power of two */
	tt_buckets_choose(&b, TT_BUCKETS_AUTO, &tail, 40, 24, 128);
	assert_int_equal(b.sub_bits, 4);
	tt_buckets_choose(&b, TT_BUCKETS_LOG2, &narrow, 40, 24, 256);
	assert_true(b.kind == TT_BUCKETS_LOG && b.sub_bits == 0);
	assert_string_equal(tt_report_scheme(buf, sizeof(buf), &b, 1, 0), "log2");
	tt_buckets_choose(&b, TT_BUCKETS_LIN, &tail, 40, 24, 256);
	assert_true(b.kind == TT_BUCKETS_LINEAR && b.width == 5000000);
}

TT_TEST(report_units, histogram_rows_fold_gaps_and_coarsen)
{
	struct tt_report_bucket b[] = {{10, 2}, {11, 5}, {13, 1}, {40, 3}};
	struct tt_report_hist h = {.scheme = {.kind = TT_BUCKETS_LINEAR, .origin = 0, .width = 10},
				   .b = b, .n = 4};
	struct tt_report_hrow *r;
	struct tt_buckets s;
	uint64_t max;
	size_t n;

	/* 10, 11, (12 empty), 13, then 26 empty folded into one row, 40 */
	r = tt_report_hist_rows(&h, 3, 100, &n, &max, &s);
	assert_non_null(r);
	assert_int_equal(n, 6);
	assert_int_equal(max, 5);
	assert_true(r[0].lo == 100 && r[0].hi == 110 && r[0].count == 2 && !r[0].gap);
	assert_true(r[2].lo == 120 && r[2].count == 0 && !r[2].gap);
	assert_true(r[4].gap && r[4].lo == 140 && r[4].hi == 400);
	assert_true(r[5].lo == 400 && r[5].count == 3);
	free(r);
	/*
	 * at most 3 rows: 20 wide gives 4 (7, 1, gap, 3), 40 wide 4 (7, 1, gap, 3), 80 wide 5 (8,
	 * three empty rows: no gap of more than 3, 3), 160 wide 3 (8, empty, 3)
	 */
	r = tt_report_hist_rows(&h, 3, 3, &n, &max, &s);
	assert_non_null(r);
	assert_int_equal(n, 3);
	assert_true(s.width == 160);
	assert_true(r[0].lo == 0 && r[0].hi == 160 && r[0].count == 8);
	assert_true(!r[1].gap && r[1].count == 0 && r[2].lo == 320 && r[2].count == 3);
	free(r);
}
