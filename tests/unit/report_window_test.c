/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/report_window.c (report --from/--to): the bounds a user types (offsets,
 * UTC times, what is refused), the window placed in each tape's clock, and the SQL condition
 * both backends add.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_window.h"
#include "tt_error.h"
#include "tt_test.h"

/* Diagnostics into a memory buffer, to check what a refusal says. */
struct cap {
	char *text;
	size_t len;
	FILE *f;
	struct tt_out out;
};

static void cap_open(struct cap *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->text, &c->len);
	assert_non_null(c->f);
	c->out = (struct tt_out){.out = c->f, .err = c->f, .verbosity = 2, .prog = "t"};
}

static const char *cap_text(struct cap *c)
{
	fflush(c->f);
	return c->text;
}

static void cap_close(struct cap *c)
{
	fclose(c->f);
	free(c->text);
}

TT_TEST(report_window, bounds_as_typed)
{
	static const struct {
		const char *s;
		int wall;
		int64_t ns;
	} cases[] = {
		{"+1.5s", 0, 1500000000},
		{"1.5", 0, 1500000000},          /* seconds by default */
		{"+0.000001s", 0, 1000},
		{"250ms", 0, 250000000},
		{"2m", 0, 120000000000},
		{"0", 0, 0},
		{"2023-11-14T22:13:20Z", 1, 1700000000000000000},
		{"2023-11-14 22:13:20", 1, 1700000000000000000},
		{"2023-11-14T22:13:20.5Z", 1, 1700000000500000000},
		{"2023-11-14T22:13:20.123456789Z", 1, 1700000000123456789},
		{"2023-11-14T22:13:20.1234567891Z", 1, 1700000000123456789}, /* past ns: cut */
		{"2024-02-29T00:00:00Z", 1, 1709164800000000000},            /* a leap day */
		{"1969-12-31T23:59:59Z", 1, -1000000000},
	};
	struct cap c;

	cap_open(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tt_report_window w;

		assert_int_equal(tt_report_window__parse(cases[i].s, NULL, &w, &c.out), 0);
		assert_true(w.set && w.has_from && !w.has_to);
		assert_int_equal(w.wall, cases[i].wall);
		assert_true(w.from == cases[i].ns);
		tt_report_window__free(&w);
	}
	assert_string_equal(cap_text(&c) ? cap_text(&c) : "", "");
	cap_close(&c);
}

TT_TEST(report_window, bad_bounds_are_usage_errors)
{
	static const struct {
		const char *from, *to, *says;
	} cases[] = {
		{"", NULL, "--from '': expected an offset"},
		{"-1s", NULL, "--from '-1s': expected"},
		{"+1.s", NULL, "--from '+1.s'"},
		{"10 s", NULL, "--from '10 s'"},
		{NULL, "2023-02-29T00:00:00Z", "--to '2023-02-29T00:00:00Z'"}, /* not a leap year */
		{"2023-11-14T24:00:00Z", NULL, "expected an offset from each tape's start"},
		{"2023-11-14T22:13:20.Z", NULL, "2023-11-14T22:13:20.Z"},
		{"2023-11-14T22:13:20+01:00", NULL, "or a UTC time"},
		{"+5s", "+1s", "--to +1s is not after --from +5s"},
		{"+5s", "+5s", "--to +5s is not after --from +5s"},
		{"+1s", "2023-11-14T22:13:20Z", "both as offsets from the start or both as UTC times"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tt_report_window w;
		struct cap c;

		cap_open(&c);
		assert_int_equal(tt_report_window__parse(cases[i].from, cases[i].to, &w, &c.out), -TT_E_USAGE);
		assert_non_null(strstr(cap_text(&c), cases[i].says));
		tt_report_window__free(&w);
		cap_close(&c);
	}
}

/* Two tapes: 1 with a wall clock (its ts 0 is 1700000000 s), 2 without; 3 has no events. */
static void add_tapes(struct tt_report_window *w)
{
	struct tt_report_wtape t1 = {.id = 1, .host = "a", .has_ts = 1, .ts_first = 100, .ts_last = 1000,
				     .has_wall = 1, .wall_offset_ns = 1700000000000000000};
	struct tt_report_wtape t2 = {.id = 2, .host = "b", .has_ts = 1, .ts_first = 5000, .ts_last = 5500};
	struct tt_report_wtape t3 = {.id = 3};

	assert_int_equal(tt_report_window__tape(w, &t1), 0);
	assert_int_equal(tt_report_window__tape(w, &t2), 0);
	assert_int_equal(tt_report_window__tape(w, &t3), 0);
}

static char *cond(const struct tt_report_window *w, const char *col, const char *col_end)
{
	struct tt_buf b = {0};

	assert_int_equal(tt_report_window__cond(w, &b, col, col_end), 0);
	assert_int_equal(tt_buf_append(&b, "", 1), 0);
	return (char *)b.data;
}

TT_TEST(report_window, offsets_from_each_tapes_start)
{
	struct tt_report_window w;
	uint64_t first, last;
	struct cap c;
	char *s;

	cap_open(&c);
	assert_int_equal(tt_report_window__parse("+200ns", "+600ns", &w, &c.out), 0);
	add_tapes(&w);
	assert_int_equal(tt_report_window__bounds(&w, "db", &c.out), 0);
	assert_true(w.t[0].in && w.t[0].lo == 300 && w.t[0].hi == 700);
	assert_true(w.t[0].first == 300 && w.t[0].last == 700);
	assert_true(w.t[1].in && w.t[1].lo == 5200 && w.t[1].hi == 5600);
	assert_true(w.t[1].first == 5200 && w.t[1].last == 5500); /* the tape ends first */
	assert_false(w.t[2].in);
	s = cond(&w, "ts", NULL);
	assert_string_equal(s, "((tape = 1 AND ts >= 300 AND ts < 700) OR (tape = 2 AND ts >= 5200 AND "
			       "ts < 5600))");
	free(s);
	s = cond(&w, "ts_start", "ts_end"); /* an interval: overlapping */
	assert_string_equal(s, "((tape = 1 AND ts_end >= 300 AND ts_start < 700) OR (tape = 2 AND "
			       "ts_end >= 5200 AND ts_start < 5600))");
	free(s);
	s = tt_report_window__and(&w, " AND tape IN (1)", "ts", NULL);
	assert_non_null(strstr(s, " AND tape IN (1) AND ((tape = 1 AND ts >= 300"));
	free(s);
	s = tt_report_window__case(&w, "t.id", 1);
	assert_string_equal(s, "CASE t.id WHEN 1 THEN 700 WHEN 2 THEN 5500 END");
	free(s);
	tt_report_window__span(&w, &first, &last);
	assert_true(first == 300 && last == 5500);
	assert_string_equal(w.text, "--from +200ns --to +600ns (from each tape's first event)");
	tt_report_window__free(&w);

	/* an open end: no bound in the condition */
	assert_int_equal(tt_report_window__parse(NULL, "+50ns", &w, &c.out), 0);
	add_tapes(&w);
	assert_int_equal(tt_report_window__bounds(&w, "db", &c.out), 0);
	s = cond(&w, "start_ts", NULL);
	assert_string_equal(s, "((tape = 1 AND start_ts < 150) OR (tape = 2 AND start_ts < 5050))");
	free(s);
	tt_report_window__free(&w);
	cap_close(&c);
}

TT_TEST(report_window, utc_times_and_refusals)
{
	struct tt_report_window w;
	struct cap c;
	char *s;

	/* a tape without a wall clock cannot place a UTC time */
	cap_open(&c);
	assert_int_equal(tt_report_window__parse("1970-01-01T00:00:00Z", NULL, &w, &c.out), 0);
	add_tapes(&w);
	assert_int_equal(tt_report_window__bounds(&w, "db", &c.out), -TT_E_USAGE);
	assert_non_null(strstr(cap_text(&c), "db: tape 2 of host b has no wall clock"));
	tt_report_window__free(&w);
	cap_close(&c);

	/* one tape with a wall clock: its ts 300 is 1700000000 s + 300 ns */
	cap_open(&c);
	assert_int_equal(tt_report_window__parse("2023-11-14T22:13:20.0000003Z", NULL, &w, &c.out), 0);
	add_tapes(&w);
	w.n = 1;
	assert_int_equal(tt_report_window__bounds(&w, "db", &c.out), 0);
	s = cond(&w, "ts", NULL);
	assert_string_equal(s, "((tape = 1 AND ts >= 300))");
	free(s);
	w.n = 3;
	tt_report_window__free(&w);

	/* outside the capture: said with the capture's times */
	assert_int_equal(tt_report_window__parse("2023-11-15T00:00:00Z", NULL, &w, &c.out), 0);
	add_tapes(&w);
	w.n = 1;
	assert_int_equal(tt_report_window__bounds(&w, "db", &c.out), -TT_E_USAGE);
	assert_non_null(strstr(cap_text(&c), "holds nothing of the capture, which runs from "
				"2023-11-14 22:13:20.000000100 UTC to 2023-11-14 22:13:20.000001000 UTC"));
	w.n = 3;
	tt_report_window__free(&w);

	/* an offset past any clock saturates instead of wrapping: outside */
	assert_int_equal(tt_report_window__parse("+9000000000s", NULL, &w, &c.out), 0);
	add_tapes(&w);
	w.t[0].ts_first = INT64_MAX - 10;
	w.t[0].ts_last = INT64_MAX - 1;
	assert_int_equal(tt_report_window__bounds(&w, "db", &c.out), -TT_E_USAGE);
	assert_true(w.t[0].lo == INT64_MAX);
	tt_report_window__free(&w);
	cap_close(&c);
}
