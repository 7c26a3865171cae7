/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/load_losses.c on hand-made loss windows: which spans a loss touches
 * (by CPU, by probe, by an unknown probe; at the start or, when closed, at the end; an open span
 * up to its capture's last event; captures apart; a long window hidden behind later short
 * ones), and the spans.lost flags written into a database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_schema.h"
#include "load_losses.h"
#include "tt_test.h"

static struct tt_loss_span closed(uint32_t tape, uint32_t cpu, uint32_t probe, uint32_t end_cpu,
				  uint32_t end_probe, uint64_t start, uint64_t end)
{
	return (struct tt_loss_span){tape, cpu, probe, 1, end_cpu, end_probe, start, end};
}

static struct tt_loss_span open_span(uint32_t tape, uint32_t cpu, uint32_t probe, uint64_t start)
{
	return (struct tt_loss_span){tape, cpu, probe, 0, 0, 0, start, 0};
}

TT_TEST(load_losses, which_spans_a_window_touches)
{
	struct tt_loss_index ix = {0};
	static const struct {
		struct tt_loss_span s;
		int hit;
	} cases[] = {
		/* tape 1 (capture 1): probe 5 lost on cpu 2 in [100, 200] */
		{{1, 2, 9, 1, 3, 9, 150, 160}, 1},   /* its CPU */
		{{1, 3, 5, 1, 3, 9, 150, 160}, 1},   /* its probe */
		{{1, 3, 9, 1, 3, 9, 150, 160}, 0},   /* neither */
		{{1, 3, 9, 1, 2, 9, 50, 100}, 1},    /* ended on its CPU, touching the window's start */
		{{1, 3, 9, 1, 3, 5, 200, 300}, 1},   /* ended as its probe, from the window's end */
		{{1, 2, 5, 1, 2, 5, 201, 300}, 0},   /* after */
		{{1, 2, 5, 1, 2, 5, 10, 99}, 0},     /* before */
		/* tape 2 is capture 1 too (same host and boot): the same windows */
		{{2, 2, 9, 1, 3, 9, 150, 160}, 1},
		/* tape 3, capture 3: a window of an unknown probe on cpu 0 in [1000, 1100] */
		{{3, 7, 9, 1, 7, 9, 1050, 1060}, 1}, /* any probe, any CPU */
		{{3, 7, 9, 1, 7, 9, 150, 160}, 0},   /* capture 1's windows are not capture 3's */
		/* a long window [5000, 9000] of probe 6 behind short later ones of the same probe */
		{{1, 1, 6, 1, 1, 6, 8000, 8100}, 1},
		{{1, 1, 6, 1, 1, 6, 9500, 9600}, 0},
	};

	assert_int_equal(tt_loss_index__tape(&ix, 1, 1, 10000), 0);
	assert_int_equal(tt_loss_index__tape(&ix, 2, 1, 500), 0);
	assert_int_equal(tt_loss_index__tape(&ix, 3, 3, 2000), 0);
	assert_int_equal(tt_loss_index__add(&ix, 1, 2, 5, 100, 200), 0);
	assert_int_equal(tt_loss_index__add(&ix, 3, 0, 0, 1000, 1100), 0);
	assert_int_equal(tt_loss_index__add(&ix, 1, 4, 6, 5000, 9000), 0);
	assert_int_equal(tt_loss_index__add(&ix, 1, 4, 6, 6000, 6001), 0);
	assert_int_equal(tt_loss_index__add(&ix, 1, 4, 6, 7000, 7001), 0);
	tt_loss_index__seal(&ix);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (tt_loss_index__hit(&ix, &cases[i].s) != cases[i].hit)
			fail_msg("case %zu: expected %d", i, cases[i].hit);
	tt_loss_index__free(&ix);
}

TT_TEST(load_losses, open_spans_reach_the_end_of_their_capture)
{
	struct tt_loss_index ix = {0};
	struct tt_loss_span s;

	/* capture 1 ends at 900 (its latest tape), capture 2 at 300 */
	assert_int_equal(tt_loss_index__tape(&ix, 1, 1, 900), 0);
	assert_int_equal(tt_loss_index__tape(&ix, 2, 1, 400), 0);
	assert_int_equal(tt_loss_index__tape(&ix, 3, 2, 300), 0);
	assert_int_equal(tt_loss_index__add(&ix, 1, 0, 4, 800, 850), 0);
	assert_int_equal(tt_loss_index__add(&ix, 2, 0, 4, 800, 850), 0);
	tt_loss_index__seal(&ix);
	s = open_span(2, 1, 4, 100);
	assert_int_equal(tt_loss_index__hit(&ix, &s), 1); /* tape 2 ends at 400, its capture at 900 */
	s = open_span(3, 1, 4, 100);
	assert_int_equal(tt_loss_index__hit(&ix, &s), 0); /* capture 2 ends before its window */
	/* an open span is not looked at on its (unknown) end CPU and probe */
	s = open_span(1, 1, 3, 100);
	assert_int_equal(tt_loss_index__hit(&ix, &s), 0);
	s = closed(1, 1, 3, 0, 3, 100, 810);
	assert_int_equal(tt_loss_index__hit(&ix, &s), 1);
	tt_loss_index__free(&ix);
}

TT_TEST(load_losses, flags_in_the_database)
{
	static const char *const rows[] = {
		/* id, tape, cpu, end_cpu, begin probe, end probe, start, end */
		"1, 1, 0, 0, 1, 2, 10, 20",
		"2, 1, 1, 1, 1, 2, 10, 20",
		"3, 1, 1, NULL, 1, NULL, 90, NULL",  /* open until 1000 */
		"4, 1, 1, 1, 3, 3, 500, 600",
	};
	struct tt_out out = {stderr, stderr, TT_LVL_NOTICE, "test"};
	struct tt_loss_index ix = {0};
	sqlite3_stmt *st;
	const char *sql;
	size_t len;
	sqlite3 *db;
	char q[256], got[64] = "";

	assert_int_equal(tt_db_open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, &out), 0);
	tt_db_schema_tables(&sql, &len);
	assert_int_equal(tt_db_exec(db, sql, (int)len, &out), 0);
	/* no window: nothing to do, not even a query */
	assert_int_equal(tt_loss_index__flag_spans(&ix, db, &out), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(q, sizeof(q), "INSERT INTO spans (id, tape, cpu, end_cpu, begin_probe_id, "
			 "end_probe_id, start_ts, end_ts, provider, name, pairing, pid, tid, depth, "
			 "begin_event_id, lost) VALUES (%s, 'p', 'n', 'id', 1, 1, 0, 1, 0)", rows[i]);
		assert_int_equal(tt_db_exec(db, q, -1, &out), 0);
	}
	assert_int_equal(tt_loss_index__tape(&ix, 1, 1, 1000), 0);
	assert_int_equal(tt_loss_index__add(&ix, 1, 0, 7, 15, 16), 0);   /* cpu 0: span 1 */
	assert_int_equal(tt_loss_index__add(&ix, 1, 5, 0, 900, 950), 0); /* any probe: span 3 */
	tt_loss_index__seal(&ix);
	assert_int_equal(tt_loss_index__flag_spans(&ix, db, &out), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(id) FROM (SELECT id FROM spans "
					    "WHERE lost = 1 ORDER BY id)", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(got, sizeof(got), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_string_equal(got, "1,3");
	tt_loss_index__free(&ix);
	sqlite3_close(db);
}
