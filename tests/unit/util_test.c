/* SPDX-License-Identifier: MIT */
/* Unit tests of common/tt_util: checked parsing, varints, buffers, globs. */
#include <errno.h>

#include "tt_test.h"
#include "tt_util.h"

TT_TEST(util, parse_u64_accepts_and_rejects)
{
	static const struct {
		const char *s;
		int err;
		uint64_t v;
	} cases[] = {
		{"0", 0, 0}, {"42", 0, 42}, {"0x10", 0, 16}, {"18446744073709551615", 0, UINT64_MAX},
		{"18446744073709551616", -ERANGE, 0}, {"", -EINVAL, 0}, {"12x", -EINVAL, 0},
		{"-1", -EINVAL, 0}, {" 1", -EINVAL, 0}, {"+1", -EINVAL, 0},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		uint64_t v = 0;

		assert_int_equal(tt_parse_u64(cases[i].s, 0, UINT64_MAX, &v), cases[i].err);
		if (!cases[i].err)
			assert_int_equal(v, cases[i].v);
	}
	uint64_t v;
	assert_int_equal(tt_parse_u64("5", 6, 10, &v), -ERANGE);
}

TT_TEST(util, parse_i64_bounds)
{
	int64_t v;

	assert_int_equal(tt_parse_i64("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(tt_parse_i64("-11", -10, 10, &v), -ERANGE);
	assert_int_equal(tt_parse_i64("1e3", -10, 10, &v), -EINVAL);
}

TT_TEST(util, parse_size_suffixes)
{
	uint64_t v;

	assert_int_equal(tt_parse_size("64M", &v), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(tt_parse_size("3K", &v), 0);
	assert_int_equal(v, 3072);
	assert_int_equal(tt_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(tt_parse_size("100", &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(tt_parse_size("10T", &v), -EINVAL);
	assert_int_equal(tt_parse_size("M", &v), -EINVAL);
	assert_int_equal(tt_parse_size("99999999999999999999G", &v), -ERANGE);
}

TT_TEST(util, parse_duration_units)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} cases[] = {
		{"3", 3000000000ULL}, {"0", 0}, {"7ns", 7}, {"7us", 7000}, {"250ms", 250000000ULL},
		{"2s", 2000000000ULL}, {"2m", 120000000000ULL}, {"2h", 7200000000000ULL},
		{"007s", 7000000000ULL}, {"0ms", 0},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		uint64_t v = 1;

		assert_int_equal(tt_parse_duration(cases[i].s, &v), 0);
		assert_int_equal(v, cases[i].ns);
	}
}

/* Fractions are exact, in every unit, however many digits; below a ns they round to nearest. */
TT_TEST(util, parse_duration_fractions)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} cases[] = {
		{"1.5", 1500000000ULL}, {"1.5s", 1500000000ULL}, {"0.009010", 9010000},
		{"1.5ms", 1500000}, {"0.25us", 250}, {"2.5ns", 3}, {"2.4ns", 2}, {"0.5ns", 1},
		{"0.49ns", 0}, {"0.000000001", 1}, {"0.0000000005", 1}, {"0.0000000004999", 0},
		{"1.25m", 75000000000ULL}, {"0.5h", 1800000000000ULL}, {"0.0001h", 360000000},
		{"1.000000000000000000000000001s", 1000000000ULL},
		{"0.333333333333333333333333333h", 1200000000000ULL},
		{"0.1", 100000000}, {"0.3", 300000000}, {"1.10ms", 1100000},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		uint64_t v = 1;

		assert_int_equal(tt_parse_duration(cases[i].s, &v), 0);
		assert_int_equal(v, cases[i].ns);
	}
}

/* The largest duration is INT64_MAX ns, in any unit; above is -ERANGE, never a wrap. */
TT_TEST(util, parse_duration_extremes)
{
	static const struct {
		const char *s;
		int err;
		uint64_t ns;
	} cases[] = {
		{"9223372036854775807ns", 0, INT64_MAX},
		{"9223372036854775808ns", -ERANGE, 0},
		{"9223372036.854775807", 0, INT64_MAX},
		{"9223372036.854775808", -ERANGE, 0},
		{"9223372036.8547758074", 0, INT64_MAX},   /* rounds down to the limit */
		{"9223372036.8547758075", -ERANGE, 0},     /* rounds up past it */
		{"9223372037", -ERANGE, 0},
		{"2562047h", 0, 2562047ULL * 3600000000000ULL},
		{"2562048h", -ERANGE, 0},
		{"153722867m", 0, 153722867ULL * 60000000000ULL},
		{"153722868m", -ERANGE, 0},
		{"18446744073709551615", -ERANGE, 0},
		{"18446744073709551616ns", -ERANGE, 0},
		{"99999999999999999999999999999999999999h", -ERANGE, 0},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		uint64_t v = 1;

		assert_int_equal(tt_parse_duration(cases[i].s, &v), cases[i].err);
		assert_int_equal(v, cases[i].err ? 1 : cases[i].ns); /* untouched on error */
	}
}

TT_TEST(util, parse_duration_rejects_garbage)
{
	static const char *const bad[] = {
		"", "-1", "-0.5s", "+1", " 1", "1 ", "5 s", ".5", "1.", "1.s", "1..5", "1.5.2",
		"s", "ms", "1sec", "1S", "1MS", "1d", "1e3", "1e3ms", "0x10", "inf", "nan", "1,5",
		"1_000", "10m5s", "1ms ", "1\n", "\t1",
	};
	uint64_t v = 1;

	for (size_t i = 0; i < TT_ARRAY_SIZE(bad); i++)
		assert_int_equal(tt_parse_duration(bad[i], &v), -EINVAL);
	assert_int_equal(tt_parse_duration(NULL, &v), -EINVAL);
	assert_int_equal(v, 1);
	/* garbage after an overflowing number is garbage first */
	assert_int_equal(tt_parse_duration("99999999999999999999999x", &v), -EINVAL);
}

TT_TEST(util, varint_round_trip)
{
	static const uint64_t values[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX,
					  UINT64_MAX - 1, UINT64_MAX};
	uint8_t buf[16];

	for (size_t i = 0; i < TT_ARRAY_SIZE(values); i++) {
		size_t n = tt_varint_put(buf, values[i]);
		const uint8_t *p = buf;
		uint64_t v;

		assert_true(n <= 10);
		assert_int_equal(tt_varint_get(&p, buf + n, &v), 0);
		assert_int_equal(v, values[i]);
		assert_ptr_equal(p, buf + n);
		/* Cut short by one byte: must fail, never read past the end. */
		p = buf;
		assert_int_equal(tt_varint_get(&p, buf + n - 1, &v), -1);
	}
}

TT_TEST(util, varint_rejects_overlong)
{
	uint8_t buf[12];
	const uint8_t *p = buf;
	uint64_t v;

	memset(buf, 0x80, sizeof(buf));
	assert_int_equal(tt_varint_get(&p, buf + sizeof(buf), &v), -1);
}

TT_TEST(util, zigzag_round_trip)
{
	static const int64_t values[] = {0, -1, 1, -64, 63, INT64_MIN, INT64_MAX};

	for (size_t i = 0; i < TT_ARRAY_SIZE(values); i++)
		assert_int_equal(tt_unzigzag(tt_zigzag(values[i])), values[i]);
	assert_int_equal(tt_zigzag(-1), 1);
	assert_int_equal(tt_zigzag(1), 2);
}

TT_TEST(util, buf_grows_and_formats)
{
	struct tt_buf b = {0};

	for (int i = 0; i < 1000; i++)
		assert_int_equal(tt_buf_printf(&b, "%d,", i), 0);
	assert_true(b.len > 3000);
	assert_memory_equal(b.data, "0,1,2,", 6);
	tt_buf_free(&b);
	tt_buf_free(&b); /* freeing twice (empty) is harmless */
	assert_null(b.data);
}

TT_TEST(util, glob_match)
{
	assert_true(tt_glob_match("*", "anything"));
	assert_true(tt_glob_match("request__*", "request__start"));
	assert_false(tt_glob_match("request__*", "query__start"));
	assert_true(tt_glob_match("q?ery", "query"));
}

TT_TEST(util, little_endian_helpers)
{
	uint8_t b[8];

	tt_put_le64(b, 0x0102030405060708ULL);
	assert_int_equal(b[0], 8);
	assert_int_equal(tt_get_le64(b), 0x0102030405060708ULL);
	tt_put_le16(b, 0xabcd);
	assert_int_equal(tt_get_le16(b), 0xabcd);
}
