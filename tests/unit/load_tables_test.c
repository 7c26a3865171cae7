/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/load_tables.c: the names the loader gives what was recorded (a second
 * format of a tracepoint, columns that clash with the fixed ones or with each other, a view
 * whose name the schema already uses), a tracepoint table created by its first record with
 * every kind of field decoded, and the views over the catalog's probes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_schema.h"
#include "load_catalog.h"
#include "load_tables.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_types.h"
#include "tt_util.h"

static const char fmt_a[] =
	"name: sys_enter\nID: 23\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	"\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield:int pid;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\tfield:short deltas[2];\toffset:20;\tsize:4;\tsigned:1;\n"
	"\tfield:char comm[8];\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:__data_loc char[] path;\toffset:32;\tsize:4;\tsigned:0;\n"
	"\tfield:int A_B;\toffset:36;\tsize:4;\tsigned:1;\n"
	"\tfield:int a_b;\toffset:40;\tsize:4;\tsigned:1;\n";
/* the same tracepoint as another kernel describes it */
static const char fmt_b[] =
	"name: sys_enter\nID: 24\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
	"\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n";

struct db {
	sqlite3 *db;
	struct tt_out out;
};

static void db_open(struct db *d)
{
	const char *sql;
	size_t len;

	d->out = (struct tt_out){stderr, stderr, TT_LVL_NOTICE, "test", 0};
	assert_int_equal(tt_db_open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &d->db,
				    &d->out), 0);
	tt_db_schema_tables(&sql, &len);
	assert_int_equal(tt_db_exec(d->db, sql, (int)len, &d->out), 0);
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

TT_TEST(load_tables, tracepoint_tables_are_named_apart)
{
	struct tt_tp_tables ts = {0};
	struct tt_tp_table *a, *a2, *b, *c;
	char why[128];

	assert_int_equal(tt_tp_tables__get(&ts, "raw_syscalls", "sys_enter", fmt_a, &a, why,
					   sizeof(why)), 0);
	assert_string_equal(a->name, "tp_raw_syscalls_sys_enter");
	/* fixed columns first; a field named like one of them, or like an earlier field (SQLite
	 * compares names case-insensitively), is renamed; the common_* fields are not columns;
	 * field columns are quoted (a field may be named like an SQL keyword) */
	assert_string_equal(a->create_sql,
			    "CREATE TABLE tp_raw_syscalls_sys_enter (event_id INTEGER PRIMARY KEY, "
			    "ts INTEGER NOT NULL, tape INTEGER NOT NULL, pid INTEGER NOT NULL, "
			    "tid INTEGER NOT NULL, cpu INTEGER NOT NULL, \"id\" INTEGER, \"pid_arg\" INTEGER, "
			    "\"deltas\" TEXT, \"comm\" TEXT, \"path\" TEXT, \"A_B\" INTEGER, \"a_b_arg\" INTEGER)");
	assert_int_equal(a->created, 0); /* created by its first record */
	/* the same text and category: the same table; another text: another table */
	assert_int_equal(tt_tp_tables__get(&ts, "raw_syscalls", "sys_enter", fmt_a, &a2, why,
					   sizeof(why)), 0);
	assert_ptr_equal(a, a2);
	assert_int_equal(tt_tp_tables__get(&ts, "raw_syscalls", "sys_enter", fmt_b, &b, why,
					   sizeof(why)), 0);
	assert_string_equal(b->name, "tp_raw_syscalls_sys_enter_2");
	assert_int_equal(tt_tp_tables__get(&ts, "other", "sys_enter", fmt_a, &c, why, sizeof(why)), 0);
	assert_string_equal(c->name, "tp_other_sys_enter");
	assert_int_equal(ts.cnt, 3);
	assert_int_equal(tt_tp_tables__get(&ts, "x", "y", "name: y\nformat:\n\tfield:garbage\n", &c,
					   why, sizeof(why)), -TT_E_PARSE);
	assert_null(c);
	assert_true(why[0] != 0);
	assert_int_equal(ts.cnt, 3);
	tt_tp_tables__free(&ts);
}

TT_TEST(load_tables, a_record_becomes_a_row)
{
	struct tt_tp_tables ts = {0};
	struct tt_buf scratch = {0};
	struct tt_tp_table *t;
	uint8_t rec[48] = {0};
	struct db d;
	char why[128];

	db_open(&d);
	assert_int_equal(tt_tp_tables__get(&ts, "raw_syscalls", "sys_enter", fmt_a, &t, why,
					   sizeof(why)), 0);
	tt_put_le64(rec + 8, (uint64_t)-5);
	tt_put_le32(rec + 16, 77);
	rec[20] = 0xff; rec[21] = 0xff; /* -1 */
	rec[22] = 2;
	memcpy(rec + 24, "ab", 3);
	tt_put_le32(rec + 32, 4u << 16 | 44); /* path: 4 bytes at 44 */
	tt_put_le32(rec + 36, 9);
	tt_put_le32(rec + 40, 10);
	memcpy(rec + 44, "/x\0", 3);
	assert_int_equal(tt_tp_table__insert(t, d.db, &d.out, &scratch, 3, 100, 1, 7, 8, 2, rec,
					     sizeof(rec)), 0);
	assert_int_equal(t->created, 1);
	/* a record cut short: the fields it does not hold are NULL */
	assert_int_equal(tt_tp_table__insert(t, d.db, &d.out, &scratch, 4, 110, 1, 7, 8, 2, rec, 20),
			 0);
	check(d.db, "SELECT * FROM tp_raw_syscalls_sys_enter ORDER BY event_id",
	      "3|100|1|7|8|2|-5|77|[-1,2]|ab|/x|9|10\n4|110|1|7|8|2|-5|77|NULL|NULL|NULL|NULL|NULL\n");
	tt_tp_tables__finalize(&ts);
	tt_tp_tables__free(&ts);
	tt_buf_free(&scratch);
	sqlite3_close(d.db);
}

static void add_probe(struct tt_catalog *c, uint32_t tape, uint32_t id, uint8_t type,
		      const char *provider, const char *name, const char *arg0, const char *arg1)
{
	struct tt_probe_desc p;
	uint32_t gid;

	memset(&p, 0, sizeof(p));
	p.type = type;
	p.provider = provider;
	p.name = name;
	p.argc = arg1 ? 2 : arg0 ? 1 : 0;
	p.arg_names[0] = arg0;
	p.arg_names[1] = arg1;
	p.kinds[0] = p.kinds[1] = TT_KIND_U64;
	assert_int_equal(tt_catalog__add_probe(c, tape, id, &p, &gid, NULL), 0);
}

TT_TEST(load_tables, views_over_the_probes_of_a_name)
{
	struct tt_catalog c = {0};
	struct tt_tp_tables ts = {0};
	struct tt_tp_table *tp;
	struct db d;
	char why[128];

	db_open(&d);
	add_probe(&c, 1, 0, TT_PROBE_USDT, "app", "req", "pid", "ts");   /* 1 */
	add_probe(&c, 2, 0, TT_PROBE_USDT, "app", "req", "pid", NULL);   /* 2: the same view */
	add_probe(&c, 1, 1, TT_PROBE_GO_ENTRY, "go", "main.f", "x", NULL);   /* 3 */
	add_probe(&c, 1, 2, TT_PROBE_GO_RETURN, "go", "main.f", "r0", NULL); /* 4 */
	add_probe(&c, 1, 3, TT_PROBE_USDT, "events", "named", NULL, NULL);   /* 5: a schema name */
	add_probe(&c, 1, 4, TT_PROBE_TRACEPOINT, "raw_syscalls", "sys_enter", "raw", NULL); /* 6 */
	add_probe(&c, 1, 5, TT_PROBE_TRACEPOINT, "raw_syscalls", "sys_exit", "raw", NULL);  /* 7 */
	assert_int_equal(tt_tp_tables__get(&ts, "raw_syscalls", "sys_enter", fmt_a, &tp, why,
					   sizeof(why)), 0);
	tt_catalog__probe(&c, 6)->tp = tp;
	tp->created = 1;                         /* it had records */
	assert_int_equal(tt_tp_tables__get(&ts, "raw_syscalls", "sys_exit", fmt_b, &tp, why,
					   sizeof(why)), 0);
	tt_catalog__probe(&c, 7)->tp = tp;       /* none: no table, no view */
	assert_int_equal(tt_catalog__write(&c, d.db, &d.out), 0);
	assert_int_equal(tt_load_views(d.db, &c, &d.out), 0);
	check(d.db, "SELECT id, view FROM probes ORDER BY id",
	      "1|app_req\n2|app_req\n3|go_main_f\n4|go_main_f__return\n5|events_named_2\n"
	      "6|tp_raw_syscalls_sys_enter\n7|NULL\n");
	/* pid and ts are the view's own columns: the arguments' are renamed, in probe_args too */
	check(d.db, "SELECT probe_id, idx, column_name FROM probe_args WHERE probe_id <= 4 "
		  "ORDER BY probe_id, idx", "1|0|pid_arg\n1|1|ts_arg\n2|0|pid_arg\n3|0|x\n4|0|r0\n");
	check(d.db, "SELECT name FROM pragma_table_info('app_req') WHERE cid >= 10",
	      "pid_arg\nts_arg\n");
	check(d.db, "SELECT sql LIKE '%probe_id IN (1,2)' FROM sqlite_master WHERE name = 'app_req'",
	      "1\n");
	tt_tp_tables__free(&ts);
	tt_catalog__free(&c);
	sqlite3_close(d.db);
}
