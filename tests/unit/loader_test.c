/* SPDX-License-Identifier: MIT */
/*
 * The loader end to end in-process: tapes written with the real tape writer, loaded with
 * tt_load(), and every table checked against what the test wrote: spans (cross-thread ids,
 * goroutines, a process exit, a span over a loss, one left open), a tracepoint's typed table,
 * processes, threads, views, meta; refusing to overwrite; a cut tape loaded up to the cut.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "tape_writer.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

static const char fmt_text[] =
	"name: sys_enter\n"
	"ID: 23\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield:unsigned long args[3];\toffset:16;\tsize:24;\tsigned:0;\n"
	"\tfield:char comm[8];\toffset:40;\tsize:8;\tsigned:0;\n"
	"\tfield:__data_loc char[] filename;\toffset:48;\tsize:4;\tsigned:0;\n";

struct fixture {
	char dir[64];
	char tape[128];
	char db[128];
	struct tt_out out;
	char *log;
	size_t log_sz;
};

static void fx_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/tt-loader-test-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->tape, sizeof(fx->tape), "%s/t.tape", fx->dir);
	snprintf(fx->db, sizeof(fx->db), "%s/t.db", fx->dir);
	fx->out.err = open_memstream(&fx->log, &fx->log_sz);
	fx->out.out = fx->out.err;
	fx->out.verbosity = TT_LVL_NOTICE;
	fx->out.prog = "test";
}

static void fx_fini(struct fixture *fx)
{
	char p[160];

	fclose(fx->out.err);
	free(fx->log);
	unlink(fx->tape);
	unlink(fx->db);
	snprintf(p, sizeof(p), "%s/cut.tape", fx->dir);
	unlink(p);
	rmdir(fx->dir);
}

static void ev(struct tt_tape_writer *w, uint32_t probe, uint64_t ts, uint32_t pid, uint32_t tid,
	       uint32_t cpu, uint64_t goid, int argc, uint64_t a0, uint64_t a1)
{
	struct tt_event e = {.ts_ns = ts, .probe_id = probe, .pid = pid, .tid = tid, .cpu = cpu,
			     .goid = goid, .argc = (uint8_t)argc, .args = {a0, a1}};

	assert_int_equal(tt_tape_writer__append(w, &e), 0);
}

static void write_tape(const char *path)
{
	struct tt_tape_writer *w = tt_tape_writer__open(path, NULL);
	struct tt_probe_desc p[] = {
		{.id = 0, .type = TT_PROBE_USDT, .argc = 1, .kinds = {TT_KIND_U64}, .provider = "app",
		 .name = "req__begin", .arg_names = {"id"}},
		{.id = 1, .type = TT_PROBE_USDT, .argc = 1, .kinds = {TT_KIND_U64}, .provider = "app",
		 .name = "req__end", .arg_names = {"id"}},
		{.id = 2, .type = TT_PROBE_BUILTIN, .argc = 2, .kinds = {TT_KIND_S32, TT_KIND_S32},
		 .provider = "tracetape", .name = "process__exit", .arg_names = {"status", "signal"}},
		{.id = 3, .type = TT_PROBE_TRACEPOINT, .argc = 1, .kinds = {TT_KIND_BYTES},
		 .provider = "raw_syscalls", .name = "sys_enter"},
		{.id = 4, .type = TT_PROBE_GO_ENTRY, .provider = "main", .name = "main.work"},
		{.id = 5, .type = TT_PROBE_GO_RETURN, .provider = "main", .name = "main.work"},
	};
	struct tt_loss loss = {.cpu = 0, .probe_id = 1, .ts_start_ns = 190, .ts_end_ns = 205, .count = 2};
	uint8_t rec[64] = {0};
	struct tt_event tp = {.ts_ns = 210, .probe_id = 3, .pid = 7, .tid = 7, .cpu = 1, .argc = 1};

	assert_non_null(w);
	assert_int_equal(tt_tape_writer__add_meta(w, "host", "unit"), 0);
	assert_int_equal(tt_tape_writer__add_clock(w, 100, 1700000000000000000ULL), 0);
	for (size_t i = 0; i < TT_ARRAY_SIZE(p); i++)
		assert_int_equal(tt_tape_writer__add_probe(w, &p[i]), 0);
	assert_int_equal(tt_tape_writer__add_tp_format(w, 3, fmt_text), 0);
	assert_int_equal(tt_tape_writer__add_process(w, 8, 1, "worker", "/bin/worker", "worker -x"), 0);

	/* the tracepoint record: id -5, args {1, 2, 3}, comm "ab", filename "/x" */
	tt_put_le64(rec + 8, (uint64_t)-5);
	tt_put_le64(rec + 16, 1);
	tt_put_le64(rec + 24, 2);
	tt_put_le64(rec + 32, 3);
	memcpy(rec + 40, "ab", 2);
	tt_put_le32(rec + 48, 3u << 16 | 52); /* __data_loc: length 3 ("/x\0") at offset 52 */
	memcpy(rec + 52, "/x", 3);
	tp.strs[0] = (struct tt_bytes){rec, 55, 0};

	ev(w, 0, 100, 7, 7, 0, 0, 1, 1, 0);     /* span 1: id 1 in pid 7 */
	ev(w, 0, 150, 8, 8, 1, 0, 1, 2, 0);     /* span 2: id 2 in pid 8 */
	ev(w, 1, 200, 7, 9, 0, 0, 1, 1, 0);     /* ends span 1 on another thread; a loss overlaps */
	assert_int_equal(tt_tape_writer__append(w, &tp), 0);
	ev(w, 4, 220, 7, 7, 1, 5, 0, 0, 0);     /* span 3: goroutine 5 on thread 7 */
	ev(w, 4, 230, 7, 9, 0, 5, 0, 0, 0);     /* span 4: goroutine 5 recurses, now on thread 9 */
	ev(w, 5, 240, 7, 9, 0, 5, 0, 0, 0);     /* ends span 4 */
	ev(w, 5, 250, 7, 7, 1, 5, 0, 0, 0);     /* ends span 3 */
	ev(w, 2, 300, 8, 8, 1, 0, 2, 1, 0);     /* pid 8 exits: span 2 ends unclosed */
	ev(w, 0, 400, 7, 7, 0, 0, 1, 3, 0);     /* span 5: open at the end */
	assert_int_equal(tt_tape_writer__add_loss(w, &loss), 0);
	assert_int_equal(tt_tape_writer__close(w), 0);
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

/* The rows of sql as one string: columns separated by '|', rows by '\n', NULL as "NULL". */
static char *rows(sqlite3 *db, const char *sql)
{
	struct tt_buf b = {0};
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *t = (const char *)sqlite3_column_text(st, c);

			assert_int_equal(tt_buf_printf(&b, "%s%s", c ? "|" : "", t ? t : "NULL"), 0);
		}
		assert_int_equal(tt_buf_append(&b, "\n", 1), 0);
	}
	sqlite3_finalize(st);
	assert_int_equal(tt_buf_append(&b, "", 1), 0);
	return (char *)b.data;
}

static void check(sqlite3 *db, const char *sql, const char *want)
{
	char *got = rows(db, sql);

	if (strcmp(got, want))
		fail_msg("%s\n--- got ---\n%s--- want ---\n%s", sql, got, want);
	free(got);
}

TT_TEST(loader, loads_every_table)
{
	struct tt_load_opts lo;
	struct tt_load_stats st;
	struct fixture fx;
	const char *tapes[1];
	sqlite3 *db;

	fx_init(&fx);
	lo = (struct tt_load_opts){.out = &fx.out};
	tapes[0] = fx.tape;
	write_tape(fx.tape);
	assert_int_equal(tt_load(fx.db, tapes, 1, &lo, &st), 0);
	assert_int_equal(st.events, 10);
	assert_int_equal(st.spans, 5);
	assert_int_equal(st.lost_events, 2);
	db = open_db(fx.db);

	check(db, "SELECT id, provider, name, pairing, pid, tid, end_tid, goid, start_ts, end_ts, dur, "
		  "depth, parent_id, key, lost, unclosed FROM spans ORDER BY id",
	      "1|app|req|id|7|7|9|NULL|100|200|100|0|NULL|1|1|NULL\n"
	      "2|app|req|id|8|8|NULL|NULL|150|NULL|NULL|0|NULL|2|0|process_exit\n"
	      "3|main|main.work|goroutine|7|7|7|5|220|250|30|0|NULL|NULL|0|NULL\n"
	      "4|main|main.work|goroutine|7|9|9|5|230|240|10|1|3|NULL|0|NULL\n"
	      "5|app|req|id|7|7|NULL|NULL|400|NULL|NULL|0|NULL|3|0|capture_end\n");
	check(db, "SELECT s.id, b.ts, e.ts FROM spans s JOIN events b ON b.id = s.begin_event_id "
		  "LEFT JOIN events e ON e.id = s.end_event_id ORDER BY s.id",
	      "1|100|200\n2|150|NULL\n3|220|250\n4|230|240\n5|400|NULL\n");
	/* the tracepoint's typed table; its events row keeps no raw copy */
	check(db, "SELECT event_id, ts, pid, id, args, comm, filename FROM tp_raw_syscalls_sys_enter",
	      "4|210|7|-5|[1,2,3]|ab|/x\n");
	check(db, "SELECT arg0 IS NULL FROM events WHERE id = 4", "1\n");
	check(db, "SELECT name, kind, events, view FROM probes ORDER BY id",
	      "req__begin|usdt|3|app_req__begin\nreq__end|usdt|1|app_req__end\n"
	      "process__exit|builtin|1|tracetape_process__exit\nsys_enter|tracepoint|1|tp_raw_syscalls_sys_enter\n"
	      "main.work|go_entry|2|main_main_work\nmain.work|go_return|2|main_main_work__return\n");
	/* a view: named columns, wall-clock time from the clock anchor */
	check(db, "SELECT event_id, ts, ts_wall, id FROM app_req__begin ORDER BY event_id",
	      "1|100|1700000000000000000|1\n2|150|1700000000000000050|2\n10|400|1700000000000000300|3\n");
	check(db, "SELECT pid, ppid, comm, exe, exit_ts, exit_status, exit_signal FROM processes",
	      "8|1|worker|/bin/worker|300|1|0\n");
	check(db, "SELECT pid, tid, first_ts, last_ts, first_event_id, last_event_id, events FROM threads "
		  "ORDER BY tid", "7|7|100|400|1|10|5\n8|8|150|300|2|9|2\n7|9|200|240|3|7|3\n");
	check(db, "SELECT cpu, probe_id, ts_start, ts_end, count FROM losses", "0|2|190|205|2\n");
	check(db, "SELECT status, warning IS NULL, events, lost FROM tapes", "complete|1|10|2\n");
	check(db, "SELECT value FROM meta WHERE tape IS NULL AND key = 'schema_version'", "3\n");
	check(db, "SELECT value FROM meta WHERE tape = 1 AND key = 'host'", "unit\n");
	check(db, "PRAGMA integrity_check", "ok\n");
	sqlite3_close(db);

	/* an existing database is kept without force, replaced with it */
	assert_int_equal(tt_load(fx.db, tapes, 1, &lo, NULL), -EEXIST);
	assert_non_null(strstr((fflush(fx.out.err), fx.log), "already exists; use --force"));
	lo.force = 1;
	assert_int_equal(tt_load(fx.db, tapes, 1, &lo, NULL), 0);
	fx_fini(&fx);
}

TT_TEST(loader, cut_tape_loads_up_to_the_cut)
{
	struct tt_tape_writer_opts wo = {.block_events_max = 2};
	struct tt_load_opts lo;
	struct tt_load_stats st;
	struct tt_tape_writer *w;
	struct fixture fx;
	char cut[160];
	const char *tapes[1];
	struct stat sb;
	sqlite3 *db;
	char *s;

	fx_init(&fx);
	lo = (struct tt_load_opts){.out = &fx.out};
	snprintf(cut, sizeof(cut), "%s/cut.tape", fx.dir);
	w = tt_tape_writer__open(cut, &wo);
	{
		struct tt_probe_desc p = {.id = 0, .type = TT_PROBE_USDT, .provider = "a", .name = "b"};

		assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
	}
	for (int i = 0; i < 10; i++)
		ev(w, 0, 100 + (uint64_t)i, 1, 1, 0, 0, 0, 0, 0);
	assert_int_equal(tt_tape_writer__flush(w), 0);
	tt_tape_writer__free(w); /* no trailer: what a killed recorder leaves */
	assert_int_equal(stat(cut, &sb), 0);
	assert_int_equal(truncate(cut, sb.st_size - 5), 0); /* and the last block cut */
	tapes[0] = cut;
	assert_int_equal(tt_load(fx.db, tapes, 1, &lo, &st), 0);
	assert_int_equal(st.events, 8);
	db = open_db(fx.db);
	check(db, "SELECT status, events FROM tapes", "truncated|8\n");
	s = rows(db, "SELECT value FROM meta WHERE tape IS NULL AND key = 'warning'");
	assert_non_null(strstr(s, "is cut inside a block"));
	free(s);
	sqlite3_close(db);
	fx_fini(&fx);
}

TT_TEST(loader, not_a_tape_is_an_error)
{
	struct tt_load_opts lo;
	struct fixture fx;
	const char *tapes[1];
	FILE *f;

	fx_init(&fx);
	lo = (struct tt_load_opts){.out = &fx.out};
	f = fopen(fx.tape, "w");
	fputs("this is not a tape, only text long enough for a header\n", f);
	fclose(f);
	tapes[0] = fx.tape;
	assert_int_equal(tt_load(fx.db, tapes, 1, &lo, NULL), -TT_E_BAD_MAGIC);
	assert_int_equal(access(fx.db, F_OK), -1); /* nothing left behind */
	fx_fini(&fx);
}

TT_TEST(loader, events_of_mixed_widths_come_back_exactly)
{
	/* more events than one multi-row INSERT, of probes with 0 to 3 arguments interleaved */
	struct tt_probe_desc p[4] = {
		{.id = 0, .type = TT_PROBE_USDT, .provider = "w", .name = "zero"},
		{.id = 1, .type = TT_PROBE_USDT, .argc = 1, .kinds = {TT_KIND_S64}, .provider = "w",
		 .name = "one"},
		{.id = 2, .type = TT_PROBE_USDT, .argc = 2, .kinds = {TT_KIND_STR, TT_KIND_F64},
		 .provider = "w", .name = "two"},
		{.id = 3, .type = TT_PROBE_USDT, .argc = 3, .kinds = {TT_KIND_U32, TT_KIND_STR, TT_KIND_F32},
		 .provider = "w", .name = "three"},
	};
	struct tt_load_opts lo;
	struct fixture fx;
	struct tt_tape_writer *w;
	const char *tapes[1];
	sqlite3_stmt *st;
	uint64_t x = 12345;
	sqlite3 *db;
	enum { N = 1000 };

	fx_init(&fx);
	lo = (struct tt_load_opts){.out = &fx.out};
	w = tt_tape_writer__open(fx.tape, NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(tt_tape_writer__add_probe(w, &p[i]), 0);
	for (int i = 0; i < N; i++) {
		struct tt_event e = {.ts_ns = 1000 + (uint64_t)i, .pid = 1, .tid = 1};
		char s[32];
		double d = i / 4.0;
		float f = (float)i / 2;
		uint32_t fb;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		e.probe_id = (uint32_t)(x >> 62);
		e.argc = p[e.probe_id].argc;
		snprintf(s, sizeof(s), "s%d", i);
		switch (e.probe_id) {
		case 1:
			e.args[0] = (uint64_t)(int64_t)-i;
			break;
		case 2:
			e.strs[0] = (struct tt_bytes){(const uint8_t *)s, (uint32_t)strlen(s), 0};
			memcpy(&e.args[1], &d, sizeof(d));
			break;
		case 3:
			e.args[0] = (uint64_t)i * 3;
			e.strs[1] = (struct tt_bytes){(const uint8_t *)s, (uint32_t)strlen(s), i % 7 ? 0 : TT_STR_TRUNCATED};
			memcpy(&fb, &f, sizeof(fb));
			e.args[2] = fb;
			break;
		}
		assert_int_equal(tt_tape_writer__append(w, &e), 0);
	}
	assert_int_equal(tt_tape_writer__close(w), 0);
	tapes[0] = fx.tape;
	assert_int_equal(tt_load(fx.db, tapes, 1, &lo, NULL), 0);
	db = open_db(fx.db);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, ts, probe_id, arg0, arg1, arg2, arg3, truncated "
					    "FROM events ORDER BY id", -1, &st, NULL), SQLITE_OK);
	for (int i = 0; i < N; i++) {
		char s[32];
		int probe;

		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(st, 0), i + 1);
		assert_int_equal(sqlite3_column_int64(st, 1), 1000 + i);
		probe = sqlite3_column_int(st, 2) - 1;
		snprintf(s, sizeof(s), "s%d", i);
		assert_int_equal(sqlite3_column_type(st, 3 + p[probe].argc), SQLITE_NULL);
		switch (probe) {
		case 0:
			assert_int_equal(sqlite3_column_type(st, 3), SQLITE_NULL);
			break;
		case 1:
			assert_int_equal(sqlite3_column_int64(st, 3), -i);
			break;
		case 2:
			assert_string_equal(sqlite3_column_text(st, 3), s);
			assert_true(sqlite3_column_double(st, 4) == i / 4.0);
			break;
		case 3:
			assert_int_equal(sqlite3_column_int64(st, 3), i * 3);
			assert_string_equal(sqlite3_column_text(st, 4), s);
			assert_true(sqlite3_column_double(st, 5) == (double)((float)i / 2));
			assert_int_equal(sqlite3_column_int(st, 7), i % 7 ? 0 : 2);
			break;
		}
	}
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	fx_fini(&fx);
}

/*
 * A value that could not be read is NULL in events.argN and in the probe's view, whatever its
 * kind, whether the event's fault mask or the string's own flag says so; the fault column keeps
 * the bit, and an empty string that was read stays ''.
 */
TT_TEST(loader, faulted_arguments_are_null)
{
	struct tt_probe_desc p = {.id = 0, .type = TT_PROBE_USDT, .argc = 5,
				  .kinds = {TT_KIND_U64, TT_KIND_STR, TT_KIND_F64, TT_KIND_PTR, TT_KIND_S32},
				  .provider = "f", .name = "all", .arg_names = {"n", "s", "d", "p", "i"}};
	struct tt_load_opts lo;
	struct fixture fx;
	struct tt_tape_writer *w;
	const char *tapes[1];
	double d = 2.5;
	sqlite3 *db;

	fx_init(&fx);
	lo = (struct tt_load_opts){.out = &fx.out};
	w = tt_tape_writer__open(fx.tape, NULL);
	assert_non_null(w);
	assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
	{
		/* 1: every value read, the string empty */
		struct tt_event e = {.ts_ns = 100, .pid = 1, .tid = 1, .argc = 5,
				     .args = {7, 0, 0, 0x1000, (uint64_t)-3}};

		memcpy(&e.args[2], &d, sizeof(d));
		e.strs[1] = (struct tt_bytes){(const uint8_t *)"", 0, 0};
		assert_int_equal(tt_tape_writer__append(w, &e), 0);
		/* 2: nothing read: every bit of the mask, the string flagged too */
		e = (struct tt_event){.ts_ns = 200, .pid = 1, .tid = 1, .argc = 5, .fault_mask = 0x1f};
		e.strs[1] = (struct tt_bytes){(const uint8_t *)"", 0, TT_STR_FAULT};
		assert_int_equal(tt_tape_writer__append(w, &e), 0);
		/* 3: the string's flag alone (the mask bit missing), the integers read */
		e = (struct tt_event){.ts_ns = 300, .pid = 1, .tid = 1, .argc = 5, .args = {8, 0, 0, 0, 4}};
		e.strs[1] = (struct tt_bytes){(const uint8_t *)"", 0, TT_STR_FAULT};
		assert_int_equal(tt_tape_writer__append(w, &e), 0);
		/* 4: the pointer and the integer faulted, the rest read */
		e = (struct tt_event){.ts_ns = 400, .pid = 1, .tid = 1, .argc = 5, .args = {9},
				      .fault_mask = 0x18};
		memcpy(&e.args[2], &d, sizeof(d));
		e.strs[1] = (struct tt_bytes){(const uint8_t *)"x", 1, 0};
		assert_int_equal(tt_tape_writer__append(w, &e), 0);
	}
	assert_int_equal(tt_tape_writer__close(w), 0);
	tapes[0] = fx.tape;
	assert_int_equal(tt_load(fx.db, tapes, 1, &lo, NULL), 0);
	db = open_db(fx.db);
	check(db, "SELECT id, fault, arg0, quote(arg1), arg2, arg3, arg4 FROM events ORDER BY id",
	      "1|0|7|''|2.5|4096|-3\n"
	      "2|31|NULL|NULL|NULL|NULL|NULL\n"
	      "3|2|8|NULL|0.0|0|4\n"
	      "4|24|9|'x'|2.5|NULL|NULL\n");
	check(db, "SELECT event_id, fault, n, quote(s), d, p, i FROM f_all ORDER BY event_id",
	      "1|0|7|''|2.5|4096|-3\n"
	      "2|31|NULL|NULL|NULL|NULL|NULL\n"
	      "3|2|8|NULL|0.0|0|4\n"
	      "4|24|9|'x'|2.5|NULL|NULL\n");
	/* the empty strings are the one that was read */
	check(db, "SELECT count(*) FROM f_all WHERE s = ''", "1\n");
	sqlite3_close(db);
	fx_fini(&fx);
}

/*
 * A Go function's entries (arguments) and returns (results) are two views, go_<func> and
 * go_<func>__return, each with its own columns: count(*) of the first is the number of calls.
 * The probes of one function in two tapes share them.
 */
TT_TEST(loader, go_entries_and_returns_have_their_own_views)
{
	struct tt_probe_desc p[] = {
		{.id = 0, .type = TT_PROBE_GO_ENTRY, .argc = 2, .kinds = {TT_KIND_BYTES, TT_KIND_S64},
		 .provider = "go", .name = "main.prepareAnswer", .arg_names = {"name", "year"}},
		{.id = 1, .type = TT_PROBE_GO_RETURN, .argc = 1, .kinds = {TT_KIND_BYTES},
		 .provider = "go", .name = "main.prepareAnswer", .arg_names = {"r0"}},
	};
	static const char *const who[] = {"Ada", "Grace", "Ken"};
	struct tt_load_opts lo;
	struct fixture fx;
	char second[160];
	const char *tapes[2];
	sqlite3 *db;

	fx_init(&fx);
	lo = (struct tt_load_opts){.out = &fx.out};
	snprintf(second, sizeof(second), "%s/cut.tape", fx.dir); /* removed by fx_fini() */
	tapes[0] = fx.tape;
	tapes[1] = second;
	for (int t = 0; t < 2; t++) {
		struct tt_tape_writer *w = tt_tape_writer__open(tapes[t], NULL);

		assert_non_null(w);
		assert_int_equal(tt_tape_writer__add_meta(w, "host", t ? "h2" : "h1"), 0);
		for (size_t i = 0; i < TT_ARRAY_SIZE(p); i++)
			assert_int_equal(tt_tape_writer__add_probe(w, &p[i]), 0);
		for (int k = 0; k < 3; k++) {
			char answer[32];
			struct tt_event e = {.ts_ns = 100 * (uint64_t)(k + 1), .probe_id = 0, .pid = 5,
					     .tid = 5, .goid = 10 + (uint64_t)k, .argc = 2,
					     .args = {0, 1900 + (uint64_t)k}};

			e.strs[0] = (struct tt_bytes){(const uint8_t *)who[k], (uint32_t)strlen(who[k]), 0};
			assert_int_equal(tt_tape_writer__append(w, &e), 0);
			snprintf(answer, sizeof(answer), "hello %s", who[k]);
			e = (struct tt_event){.ts_ns = 100 * (uint64_t)(k + 1) + 50, .probe_id = 1, .pid = 5,
					      .tid = 5, .goid = 10 + (uint64_t)k, .argc = 1};
			e.strs[0] = (struct tt_bytes){(const uint8_t *)answer, (uint32_t)strlen(answer), 0};
			assert_int_equal(tt_tape_writer__append(w, &e), 0);
		}
		assert_int_equal(tt_tape_writer__close(w), 0);
	}
	assert_int_equal(tt_load(fx.db, tapes, 2, &lo, NULL), 0);
	db = open_db(fx.db);
	check(db, "SELECT id, kind, view FROM probes ORDER BY id",
	      "1|go_entry|go_main_prepareAnswer\n2|go_return|go_main_prepareAnswer__return\n"
	      "3|go_entry|go_main_prepareAnswer\n4|go_return|go_main_prepareAnswer__return\n");
	check(db, "SELECT count(*) FROM go_main_prepareAnswer", "6\n");
	check(db, "SELECT count(*) FROM go_main_prepareAnswer__return", "6\n");
	check(db, "SELECT tape, goid, name, year FROM go_main_prepareAnswer ORDER BY tape, ts",
	      "1|10|Ada|1900\n1|11|Grace|1901\n1|12|Ken|1902\n"
	      "2|10|Ada|1900\n2|11|Grace|1901\n2|12|Ken|1902\n");
	check(db, "SELECT tape, goid, r0 FROM go_main_prepareAnswer__return ORDER BY tape, ts",
	      "1|10|hello Ada\n1|11|hello Grace\n1|12|hello Ken\n"
	      "2|10|hello Ada\n2|11|hello Grace\n2|12|hello Ken\n");
	/* each view has its own columns: no result under an argument's name */
	check(db, "SELECT group_concat(name, ',') FROM pragma_table_info('go_main_prepareAnswer__return') "
		  "WHERE cid >= 10", "r0\n");
	check(db, "SELECT DISTINCT column_name FROM probe_args WHERE probe_id IN (2, 4)", "r0\n");
	sqlite3_close(db);
	fx_fini(&fx);
}

/*
 * An argument of kind cxxname (a C++ mangled name) is stored demangled in events.argN and the
 * view: type names, symbols, internal-linkage types; what does not demangle, and a name cut at
 * the string limit, stay as recorded; a faulted one is NULL.
 */
TT_TEST(loader, cxxnames_are_stored_demangled)
{
	struct tt_probe_desc p = {.id = 0, .type = TT_PROBE_USDT, .argc = 3,
				  .kinds = {TT_KIND_PTR, TT_KIND_CXXNAME, TT_KIND_CXXNAME},
				  .provider = "libstdcxx", .name = "throw",
				  .arg_names = {"obj", "type", "dest"}};
	static const struct {
		const char *type, *dest;
		uint32_t flags;
		uint16_t fault;
	} ev[] = {
		{"St12out_of_range", "_ZNSt12out_of_rangeD1Ev", 0, 0},
		{"N5boost10wrapexceptISt13runtime_errorEE", "", 0, 0},
		{"*N12_GLOBAL__N_13FooE", "_ZN3app6Server6handleERKNS_7RequestE", 0, 0},
		{"not a name", "main", 0, 0},
		{"St12out_of_ra", "_Z3fooi", TT_STR_TRUNCATED, 0},
		{"", "_Z3fooi", TT_STR_FAULT, 0x2},
	};
	struct tt_load_opts lo;
	struct fixture fx;
	struct tt_tape_writer *w;
	const char *tapes[1];
	sqlite3 *db;

	fx_init(&fx);
	lo = (struct tt_load_opts){.out = &fx.out};
	w = tt_tape_writer__open(fx.tape, NULL);
	assert_non_null(w);
	assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
	for (size_t i = 0; i < TT_ARRAY_SIZE(ev); i++) {
		struct tt_event e = {.ts_ns = 100 + i, .pid = 1, .tid = 1, .argc = 3,
				     .args = {0x5000 + i}, .fault_mask = ev[i].fault};

		e.strs[1] = (struct tt_bytes){(const uint8_t *)ev[i].type, (uint32_t)strlen(ev[i].type),
					      ev[i].flags};
		e.strs[2] = (struct tt_bytes){(const uint8_t *)ev[i].dest, (uint32_t)strlen(ev[i].dest), 0};
		assert_int_equal(tt_tape_writer__append(w, &e), 0);
	}
	assert_int_equal(tt_tape_writer__close(w), 0);
	tapes[0] = fx.tape;
	assert_int_equal(tt_load(fx.db, tapes, 1, &lo, NULL), 0);
	db = open_db(fx.db);
	check(db, "SELECT id, fault, truncated, arg1, quote(arg2) FROM events ORDER BY id",
	      "1|0|0|std::out_of_range|'std::out_of_range::~out_of_range()'\n"
	      "2|0|0|boost::wrapexcept<std::runtime_error>|''\n"
	      "3|0|0|(anonymous namespace)::Foo|'app::Server::handle(app::Request const&)'\n"
	      "4|0|0|not a name|'main'\n"
	      "5|0|2|St12out_of_ra|'foo(int)'\n"
	      "6|2|0|NULL|'foo(int)'\n");
	check(db, "SELECT type, count(*) FROM libstdcxx_throw GROUP BY type ORDER BY type",
	      "NULL|1\n(anonymous namespace)::Foo|1\nSt12out_of_ra|1\nboost::wrapexcept<std::runtime_error>|1\n"
	      "not a name|1\nstd::out_of_range|1\n");
	check(db, "SELECT idx, name, kind FROM probe_args ORDER BY idx",
	      "0|obj|ptr\n1|type|cxxname\n2|dest|cxxname\n");
	sqlite3_close(db);
	fx_fini(&fx);
}
