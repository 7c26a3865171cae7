/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the SQL functions (analyzer/sqlfuncs.c: percentile, percentile_cont,
 * median, log2_bucket, log2_hist, normalize_query), through an in-memory SQLite database with
 * them registered as `query` has them. The input is a list of rows for a table t(g, v, p, f):
 * each row is an opcode byte, whose low 3 bits give v's type and encoding (NULL, integer, real,
 * a special real such as inf, NaN, -0.0 or 1e19, text, blob) and whose next 2 bits the group g,
 * then v's bytes, then a byte choosing p (the percentile: in range, at the bounds, outside,
 * NULL, text) and f (log2_hist's format). Opcode 7 repeats a row up to 65,535 times, so that a
 * group holds many values (at most 16,384 rows in all). Every function is then run over every
 * group and every row; an error result is fine, a crash or a sanitizer report is not.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlfuncs.h"
#include "fuzz_util.h"

#define ROWS_MAX 16384
#define MIN_(a, b) ((a) < (b) ? (a) : (b))

static sqlite3 *db;
static sqlite3_stmt *ins, *rep;

static const char *const queries[] = {
	("SELECT g, percentile(v, p), percentile_cont(v, p), median(v), log2_hist(v),"
	 " log2_hist(v, f), count(*) FROM t GROUP BY g"),
	"SELECT percentile(v, 50), percentile_cont(v, 99.9), median(v), log2_hist(v, 'text') FROM t",
	"SELECT log2_bucket(v), normalize_query(v), log2_bucket(p) FROM t",
	"SELECT percentile(v, p) FROM t WHERE v IS NULL",
};

static int setup(void)
{
	if (db)
		return 0;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || tt_sqlfuncs_register(db) ||
	    sqlite3_exec(db, "CREATE TABLE t(g, v, p, f)", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)", -1, &ins, NULL) ||
	    sqlite3_prepare_v2(db,
			       "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c"
			       " WHERE i < ?5) INSERT INTO t SELECT ?1, ?2, ?3, ?4 FROM c",
			       -1, &rep, NULL))
		return -1;
	return 0;
}

static const double specials[] = {
	INFINITY, -INFINITY, NAN, -0.0, 0.0, 1e19, 1e308, -1e308, 9223372036854775807.0,
	18446744073709551616.0, 4.9e-324, -1.0, 0.5, 4611686018427387904.0, 100.0, 100.0000001,
};

static void bind_p(sqlite3_stmt *st, uint8_t b)
{
	static const double ps[] = {0, 50, 90, 99, 99.9, 100, 1e-9, 99.9999999, -1, 101, 1e300};

	switch (b & 15) {
	case 11: sqlite3_bind_null(st, 3); break;
	case 12: sqlite3_bind_text(st, 3, "50", -1, SQLITE_STATIC); break;
	case 13: sqlite3_bind_double(st, 3, NAN); break;
	case 14: sqlite3_bind_int64(st, 3, INT64_MIN); break;
	case 15: sqlite3_bind_blob(st, 3, "\x01", 1, SQLITE_STATIC); break;
	default: sqlite3_bind_double(st, 3, ps[b & 15]); break;
	}
	static const char *const fs[] = {"json", "text", "JSON", NULL};

	if (fs[(b >> 4) & 3])
		sqlite3_bind_text(st, 4, fs[(b >> 4) & 3], -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
}

/* Bind one row from *data into st (v as ?2); returns the bytes used, 0 at the end. */
static size_t bind_row(sqlite3_stmt *st, const uint8_t *d, size_t n, unsigned *repeat)
{
	uint8_t op;
	size_t used = 1, len;
	uint64_t u = 0;
	double x;

	if (n < 2)
		return 0;
	op = d[0];
	sqlite3_bind_int(st, 1, (op >> 3) & 3);
	*repeat = 1;
	switch (op & 7) {
	case 0:
		sqlite3_bind_null(st, 2);
		break;
	case 1:
	case 7:
		len = MIN_(n - 2, 8);
		memcpy(&u, d + 1, len);
		used += len;
		sqlite3_bind_int64(st, 2, (int64_t)u);
		if ((op & 7) == 7 && n - used >= 3) {
			*repeat = (unsigned)d[used] | (unsigned)d[used + 1] << 8;
			used += 2;
		}
		break;
	case 2:
		len = MIN_(n - 2, 8);
		memcpy(&u, d + 1, len);
		used += len;
		memcpy(&x, &u, sizeof(x));
		sqlite3_bind_double(st, 2, x);
		break;
	case 3:
		sqlite3_bind_double(st, 2, specials[d[1] & 15]);
		used++;
		break;
	case 4:
	case 5:
		len = MIN_(n - 2, d[1]);
		used++;
		if ((op & 7) == 4)
			sqlite3_bind_text(st, 2, (const char *)d + 2, (int)len, SQLITE_TRANSIENT);
		else
			sqlite3_bind_blob(st, 2, d + 2, (int)len, SQLITE_TRANSIENT);
		used += len;
		break;
	default:
		sqlite3_bind_int64(st, 2, (int8_t)d[1]);
		used++;
		break;
	}
	if (used >= n)
		return 0;
	bind_p(st, d[used]);
	return used + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned rows = 0, repeat;
	size_t used;

	if (setup())
		__builtin_trap();
	sqlite3_exec(db, "BEGIN; DELETE FROM t", NULL, NULL, NULL);
	while (rows < ROWS_MAX) {
		sqlite3_stmt *st = size && (data[0] & 7) == 7 ? rep : ins;

		used = bind_row(st, data, size, &repeat);
		if (!used)
			break;
		data += used;
		size -= used;
		if (st == rep) {
			if (repeat > ROWS_MAX - rows)
				repeat = ROWS_MAX - rows;
			sqlite3_bind_int(st, 5, (int)repeat);
		}
		sqlite3_step(st);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		rows += st == rep ? repeat : 1;
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(db, queries[q], -1, &st, NULL) != SQLITE_OK)
			__builtin_trap(); /* a function is not registered as the queries call it */
		while (sqlite3_step(st) == SQLITE_ROW)
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				const unsigned char *txt = sqlite3_column_text(st, c);

				tt_fuzz_sink += txt ? strlen((const char *)txt) : 0;
			}
		sqlite3_finalize(st);
	}
	return 0;
}
