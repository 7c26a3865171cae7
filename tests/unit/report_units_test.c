/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/report_units.c: the human units both report renderers print, table
 * driven (the rounding edges where a value carries into the next unit, raw integers, thousands
 * separators, times since the capture's start, a histogram's non-empty stretch).
 */
#include <stdint.h>
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

TT_TEST(report_units, histogram_stretch)
{
	uint64_t hist[TT_REPORT_BUCKETS] = {0};
	unsigned first, last;

	assert_int_equal(tt_report_hist_span(hist, &first, &last), 0);
	hist[3] = 2;
	hist[7] = 5;
	hist[64] = 1;
	assert_int_equal(tt_report_hist_span(hist, &first, &last), 5);
	assert_int_equal(first, 3);
	assert_int_equal(last, 64);
}
