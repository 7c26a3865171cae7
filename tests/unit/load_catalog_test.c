/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/load_catalog.c on hand-made probes and events: database probe ids
 * across tapes, tracetape's own process probes, threads in the order first seen (thousands of
 * them, interleaved), processes from fork, exec and exit events and from the tapes' process
 * tables (captures apart), and the rows written into the schema's tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_schema.h"
#include "load_catalog.h"
#include "tt_test.h"
#include "tt_types.h"

static struct tt_probe_desc desc(uint8_t type, const char *provider, const char *name, int argc)
{
	struct tt_probe_desc p;

	memset(&p, 0, sizeof(p));
	p.type = type;
	p.provider = provider;
	p.name = name;
	p.argc = (uint8_t)argc;
	return p;
}

TT_TEST(load_catalog, probe_ids_are_dense_across_tapes)
{
	struct tt_catalog c = {0};
	struct tt_probe_desc req = desc(TT_PROBE_USDT, "app", "req__begin", 2);
	struct tt_probe_desc fork = desc(TT_PROBE_BUILTIN, "tracetape", "process__fork", 2);
	struct tt_probe_desc exit = desc(TT_PROBE_BUILTIN, "tracetape", "process__exit", 2);
	struct tt_probe_desc other = desc(TT_PROBE_USDT, "tracetape", "process__exit", 0);
	struct tt_probe_desc anon = desc(TT_PROBE_UPROBE, NULL, NULL, 0);
	uint32_t gid;
	int added;

	req.arg_names[0] = "id";
	req.kinds[0] = TT_KIND_U64;
	req.kinds[1] = TT_KIND_STR;
	assert_int_equal(tt_catalog__add_probe(&c, 1, 0, &req, &gid, &added), 0);
	assert_int_equal(gid, 1);
	assert_int_equal(added, 1);
	assert_int_equal(tt_catalog__add_probe(&c, 1, 5, &fork, &gid, &added), 0);
	assert_int_equal(gid, 2);
	assert_int_equal(tt_catalog__add_probe(&c, 2, 0, &req, &gid, &added), 0); /* another tape's */
	assert_int_equal(gid, 3);
	assert_int_equal(tt_catalog__add_probe(&c, 1, 0, &req, &gid, &added), 0); /* again */
	assert_int_equal(gid, 1);
	assert_int_equal(added, 0);
	assert_int_equal(tt_catalog__add_probe(&c, 2, 1, &exit, &gid, NULL), 0);
	assert_int_equal(tt_catalog__add_probe(&c, 2, 2, &other, &gid, NULL), 0);
	assert_int_equal(tt_catalog__add_probe(&c, 2, 3, &anon, &gid, NULL), 0);
	assert_int_equal(c.probe_cnt, 6);

	assert_int_equal(tt_catalog__gid(&c, 1, 0), 1);
	assert_int_equal(tt_catalog__gid(&c, 1, 5), 2);
	assert_int_equal(tt_catalog__gid(&c, 2, 0), 3);
	assert_int_equal(tt_catalog__gid(&c, 1, 3), 0);   /* not added */
	assert_int_equal(tt_catalog__gid(&c, 1, 999), 0); /* beyond */
	assert_int_equal(tt_catalog__gid(&c, 9, 0), 0);   /* no such tape */
	assert_int_equal(tt_catalog__probe(&c, 3)->tape, 2);
	assert_string_equal(tt_catalog__probe(&c, 1)->arg_names[0], "id");
	assert_null(tt_catalog__probe(&c, 1)->arg_names[1]);
	assert_int_equal(tt_catalog__probe(&c, 1)->builtin, TT_CAT_NONE);
	assert_int_equal(tt_catalog__probe(&c, 2)->builtin, TT_CAT_FORK);
	assert_int_equal(tt_catalog__probe(&c, 4)->builtin, TT_CAT_EXIT);
	assert_int_equal(tt_catalog__probe(&c, 5)->builtin, TT_CAT_NONE); /* not a builtin probe */
	assert_string_equal(tt_catalog__probe(&c, 6)->provider, "?");
	assert_string_equal(tt_catalog__probe(&c, 6)->name, "?");
	tt_catalog__free(&c);
	assert_int_equal(c.probe_cnt, 0);
}

TT_TEST(load_catalog, threads_in_the_order_first_seen)
{
	struct tt_catalog c = {0};
	uint64_t id = 1;

	/* 3000 threads of 3 tapes, each event of a thread followed by another thread's */
	for (int round = 0; round < 4; round++)
		for (uint32_t t = 0; t < 3000; t++, id++)
			assert_int_equal(tt_catalog__thread_event(&c, 1 + t % 3, 100 + t / 10, 1000 + t,
								  id * 10, id), 0);
	/* the same tid in another tape or process is another thread */
	assert_int_equal(tt_catalog__thread_event(&c, 1, 999, 1000, 5, 90000), 0);
	assert_int_equal(tt_catalog__thread_event(&c, 2, 100, 1000, 6, 90001), 0);
	assert_int_equal(tt_catalog__thread_event(&c, 2, 100, 1000, 7, 90002), 0);
	assert_int_equal(c.thread_cnt, 3002);
	for (uint32_t t = 0; t < 3000; t++) {
		const struct tt_cat_thread *th = &c.threads[t];

		assert_int_equal(th->tid, 1000 + t);
		assert_int_equal(th->tape, 1 + t % 3);
		assert_int_equal(th->pid, 100 + t / 10);
		assert_int_equal(th->cnt, 4);
		assert_int_equal(th->first_id, t + 1);
		assert_int_equal(th->first_ts, (t + 1) * 10);
		assert_int_equal(th->last_id, 9000 + t + 1);
		assert_int_equal(th->last_ts, (9000 + t + 1) * 10);
	}
	assert_int_equal(c.threads[3000].pid, 999);
	assert_int_equal(c.threads[3001].cnt, 2);
	assert_int_equal(c.threads[3001].first_ts, 6);
	assert_int_equal(c.threads[3001].last_ts, 7);
	tt_catalog__free(&c);
}

static struct tt_event event(uint64_t ts, uint32_t pid, int argc, uint64_t a0, uint64_t a1,
			     const char *s0, const char *s1)
{
	struct tt_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.pid = e.tid = pid;
	e.argc = (uint8_t)argc;
	e.args[0] = a0;
	e.args[1] = a1;
	if (s0)
		e.strs[0] = (struct tt_bytes){(const uint8_t *)s0, (uint32_t)strlen(s0), 0};
	if (s1)
		e.strs[1] = (struct tt_bytes){(const uint8_t *)s1, (uint32_t)strlen(s1), 0};
	return e;
}

TT_TEST(load_catalog, processes_from_their_events_and_the_tapes)
{
	static const uint8_t fork_kinds[] = {TT_KIND_U32, TT_KIND_STR};
	static const uint8_t exec_kinds[] = {TT_KIND_STR};
	static const uint8_t exit_kinds[] = {TT_KIND_S32, TT_KIND_S32};
	struct tt_catalog c = {0};
	struct tt_cat_probe fork = {.builtin = TT_CAT_FORK}, exec = {.builtin = TT_CAT_EXEC};
	struct tt_cat_probe exit = {.builtin = TT_CAT_EXIT}, usdt = {.builtin = TT_CAT_NONE};
	struct tt_process later = {20, 0, NULL, "/usr/bin/worker", "worker --fast"};
	struct tt_process other = {20, 3, "init", NULL, NULL};
	struct tt_event e;

	e = event(100, 10, 2, 20, 0, NULL, "shell");
	assert_int_equal(tt_catalog__process_event(&c, 1, 1, &fork, &e, fork_kinds), 0);
	e = event(150, 20, 1, 0, 0, "worker", NULL);
	assert_int_equal(tt_catalog__process_event(&c, 1, 1, &exec, &e, exec_kinds), 0);
	e = event(170, 20, 1, 0, 0, "ignored", NULL);
	assert_int_equal(tt_catalog__process_event(&c, 1, 1, &usdt, &e, exec_kinds), 0);
	e = event(300, 20, 2, 3, 0, NULL, NULL);
	assert_int_equal(tt_catalog__process_event(&c, 1, 2, &exit, &e, exit_kinds), 0);
	e = event(310, 20, 0, 0, 0, NULL, NULL); /* a fork without its child: nothing */
	assert_int_equal(tt_catalog__process_event(&c, 1, 1, &fork, &e, fork_kinds), 0);
	assert_int_equal(tt_catalog__describe_process(&c, 1, 2, &later), 0);
	assert_int_equal(tt_catalog__describe_process(&c, 2, 3, &other), 0); /* another capture */
	assert_int_equal(c.proc_cnt, 2);

	assert_int_equal(c.procs[0].pid, 20);
	assert_int_equal(c.procs[0].tape, 1); /* the tape that showed it first */
	assert_int_equal(c.procs[0].ppid, 10);
	assert_string_equal(c.procs[0].comm, "worker");
	assert_string_equal(c.procs[0].exe, "/usr/bin/worker");
	assert_string_equal(c.procs[0].cmdline, "worker --fast");
	assert_true(c.procs[0].has_fork && c.procs[0].has_exec && c.procs[0].has_exit);
	assert_int_equal(c.procs[0].fork_ts, 100);
	assert_int_equal(c.procs[0].exec_ts, 150);
	assert_int_equal(c.procs[0].exit_ts, 300);
	assert_int_equal(c.procs[0].exit_status, 3);
	assert_int_equal(c.procs[0].exit_signal, 0);

	assert_int_equal(c.procs[1].capture, 2);
	assert_int_equal(c.procs[1].ppid, 3);
	assert_string_equal(c.procs[1].comm, "init");
	assert_null(c.procs[1].exe);
	assert_false(c.procs[1].has_fork || c.procs[1].has_exec || c.procs[1].has_exit);
	tt_catalog__free(&c);
}

static void check(sqlite3 *db, const char *sql, const char *want)
{
	char got[1024];
	size_t n = 0;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	got[0] = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s", i ? "|" : "", v ? v : "NULL");
		}
		n += (size_t)snprintf(got + n, sizeof(got) - n, "\n");
	}
	sqlite3_finalize(st);
	assert_string_equal(got, want);
}

TT_TEST(load_catalog, rows_in_the_database)
{
	static const uint8_t exit_kinds[] = {TT_KIND_S32, TT_KIND_S32};
	struct tt_out out = {stderr, stderr, TT_LVL_NOTICE, "test"};
	struct tt_catalog c = {0};
	struct tt_probe_desc q = desc(TT_PROBE_USDT, "app", "query", 2);
	struct tt_probe_desc x = desc(TT_PROBE_BUILTIN, "tracetape", "process__exit", 2);
	struct tt_process p = {7, 1, "app", "/bin/app", "app -v"};
	struct tt_event e = event(90, 7, 2, 0, 9, NULL, NULL);
	const char *sql;
	size_t len;
	sqlite3 *db;
	uint32_t gid;

	q.binary = "/bin/app";
	q.arg_specs = "8@%rdi -8@%rsi";
	q.arg_names[0] = "sql text";
	q.kinds[0] = TT_KIND_STR;
	q.kinds[1] = TT_KIND_S64;
	assert_int_equal(tt_catalog__add_probe(&c, 1, 0, &q, &gid, NULL), 0);
	assert_int_equal(tt_catalog__add_probe(&c, 1, 1, &x, &gid, NULL), 0);
	tt_catalog__probe(&c, 1)->events = 2;
	assert_int_equal(tt_catalog__thread_event(&c, 1, 7, 8, 50, 1), 0);
	assert_int_equal(tt_catalog__thread_event(&c, 1, 7, 8, 60, 2), 0);
	assert_int_equal(tt_catalog__process_event(&c, 1, 1, tt_catalog__probe(&c, 2), &e, exit_kinds), 0);
	assert_int_equal(tt_catalog__describe_process(&c, 1, 1, &p), 0);

	assert_int_equal(tt_db_open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, &out), 0);
	tt_db_schema_tables(&sql, &len);
	assert_int_equal(tt_db_exec(db, sql, (int)len, &out), 0);
	assert_int_equal(tt_catalog__write(&c, db, &out), 0);
	check(db, "SELECT id, tape, tape_probe_id, kind, provider, name, binary, arg_specs, argc, "
		  "arg_names, arg_kinds, events FROM probes ORDER BY id",
	      "1|1|0|usdt|app|query|/bin/app|8@%rdi -8@%rsi|2|[\"sql text\",null]|[\"str\",\"s64\"]|2\n"
	      "2|1|1|builtin|tracetape|process__exit|NULL|NULL|2|[null,null]|[\"any0\",\"any0\"]|0\n");
	check(db, "SELECT probe_id, idx, name, kind, column_name FROM probe_args ORDER BY probe_id, idx",
	      "1|0|sql text|str|sql_text\n1|1|NULL|s64|arg1\n2|0|NULL|any0|arg0\n2|1|NULL|any0|arg1\n");
	check(db, "SELECT tape, pid, ppid, comm, exe, cmdline, fork_ts, exec_ts, exit_ts, exit_status, "
		  "exit_signal FROM processes", "1|7|1|app|/bin/app|app -v|NULL|NULL|90|0|9\n");
	check(db, "SELECT tape, pid, tid, first_ts, last_ts, first_event_id, last_event_id, events "
		  "FROM threads", "1|7|8|50|60|1|2|2\n");
	sqlite3_close(db);
	tt_catalog__free(&c);
}
