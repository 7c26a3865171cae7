/* SPDX-License-Identifier: MIT */
/*
 * The SQL functions against values computed here independently: sort a copy, index by rank.
 * Inputs cover random, sorted, reversed and duplicate-heavy data, integers and reals, and the
 * error cases.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlfuncs.h"
#include "tt_test.h"
#include "tt_util.h"

static sqlite3 *open_db(void)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(tt_sqlfuncs_register(db), 0);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(g, x)", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void insert(sqlite3 *db, int g, const int64_t *v, size_t n)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, ?)", -1, &st, NULL), SQLITE_OK);
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int(st, 1, g);
		sqlite3_bind_int64(st, 2, v[i]);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

static int64_t query_i64(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(st, 0), SQLITE_INTEGER);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static double query_f64(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	double v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank, computed the textbook way on a sorted copy: ceil(p/100 * n) with p = num/den. */
static int64_t nearest_rank(const int64_t *sorted, size_t n, uint64_t num, uint64_t den)
{
	uint64_t r = (num * n + den * 100 - 1) / (den * 100);

	return sorted[(r ? r : 1) - 1];
}

static void check_dataset(const int64_t *v, size_t n)
{
	static const struct {
		const char *p;
		uint64_t num, den;
	} pcts[] = {
		{"0", 0, 1}, {"1", 1, 1}, {"25", 25, 1}, {"50", 50, 1}, {"90", 90, 1},
		{"99", 99, 1}, {"99.9", 999, 10}, {"99.99", 9999, 100}, {"100", 100, 1},
	};
	sqlite3 *db = open_db();
	int64_t *s = malloc(n * sizeof(*s));
	char sql[128];

	assert_non_null(s);
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_i64);
	insert(db, 1, v, n);
	for (size_t i = 0; i < TT_ARRAY_SIZE(pcts); i++) {
		double h, want;
		size_t lo;

		snprintf(sql, sizeof(sql), "SELECT percentile(x, %s) FROM t", pcts[i].p);
		assert_int_equal(query_i64(db, sql), nearest_rank(s, n, pcts[i].num, pcts[i].den));
		/* through an index the values come sorted: the aggregate must agree */
		snprintf(sql, sizeof(sql), "SELECT percentile(x, %s) FROM (SELECT x FROM t ORDER BY x)",
			 pcts[i].p);
		assert_int_equal(query_i64(db, sql), nearest_rank(s, n, pcts[i].num, pcts[i].den));

		h = (double)(n - 1) * (double)pcts[i].num / (double)pcts[i].den / 100.0;
		lo = (size_t)floor(h);
		want = lo + 1 < n ? (double)s[lo] + (h - (double)lo) * (double)(s[lo + 1] - s[lo])
				  : (double)s[lo];
		snprintf(sql, sizeof(sql), "SELECT percentile_cont(x, %s) FROM t", pcts[i].p);
		assert_true(fabs(query_f64(db, sql) - want) <= 1e-6 * fabs(want) + 1e-9);
	}
	{
		double med = n % 2 ? (double)s[n / 2] : ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2;

		assert_true(fabs(query_f64(db, "SELECT median(x) FROM t") - med) < 1e-9);
	}
	free(s);
	sqlite3_close(db);
}

TT_TEST(sqlfuncs, percentiles_match_sorting)
{
	enum { N = 100003 };
	int64_t *v = malloc(N * sizeof(*v));
	uint64_t x = 88172645463325252ULL;

	assert_non_null(v);
	for (size_t i = 0; i < N; i++) { /* xorshift: random latencies over many magnitudes */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[i] = (int64_t)(x % 1000000) * (int64_t)(1 + x % 7);
	}
	check_dataset(v, N);
	for (size_t i = 0; i < N; i++) /* ascending */
		v[i] = (int64_t)i * 3;
	check_dataset(v, N);
	for (size_t i = 0; i < N; i++) /* descending */
		v[i] = (int64_t)(N - i);
	check_dataset(v, N);
	for (size_t i = 0; i < N; i++) /* three values only */
		v[i] = (int64_t)(i % 3) - 1;
	check_dataset(v, N);
	for (size_t n = 1; n <= 12; n++) { /* tiny groups, where rank rounding shows */
		for (size_t i = 0; i < n; i++)
			v[i] = (int64_t)((i * 7919) % 13);
		check_dataset(v, n);
	}
	free(v);
}

TT_TEST(sqlfuncs, types_nulls_groups_and_errors)
{
	sqlite3 *db = open_db();
	char *err = NULL;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO t VALUES (1, 1), (1, NULL), (1, 2.5), (1, 4),"
				      "(2, 10), (2, 20), (3, NULL)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	/* a REAL among integers: the result is REAL */
	assert_true(query_f64(db, "SELECT percentile(x, 50) FROM t WHERE g = 1") == 2.5);
	assert_int_equal(query_i64(db, "SELECT percentile(x, 100) FROM t WHERE g = 2"), 20);
	assert_true(query_f64(db, "SELECT median(x) FROM t WHERE g = 2") == 15.0);
	/* a group of NULLs only, and no rows at all: NULL */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT percentile(x, 50), median(x), log2_hist(x) "
					    "FROM t WHERE g = 3", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(st, 0), SQLITE_NULL);
	assert_int_equal(sqlite3_column_type(st, 1), SQLITE_NULL);
	assert_int_equal(sqlite3_column_type(st, 2), SQLITE_NULL);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT g, percentile(x, 50) FROM t GROUP BY g ORDER BY g",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_true(sqlite3_column_double(st, 1) == 2.5);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 1), 10);
	sqlite3_finalize(st);

	assert_int_not_equal(sqlite3_exec(db, "SELECT percentile(x, 101) FROM t", NULL, NULL, &err), SQLITE_OK);
	assert_string_equal(err, "percentile(): p must be a number from 0 to 100");
	sqlite3_free(err);
	assert_int_not_equal(sqlite3_exec(db, "SELECT percentile('abc', 50) FROM t", NULL, NULL, &err),
			     SQLITE_OK);
	assert_string_equal(err, "percentile(): x must be a number");
	sqlite3_free(err);
	assert_int_not_equal(sqlite3_exec(db, "SELECT percentile(x, g * 10) FROM t", NULL, NULL, &err),
			     SQLITE_OK);
	assert_string_equal(err, "percentile(): p must be the same for every row of a group");
	sqlite3_free(err);
	sqlite3_close(db);
}

TT_TEST(sqlfuncs, log2_bucket_and_hist)
{
	static const struct {
		const char *x;
		int64_t want;
	} cases[] = {
		{"0", 0}, {"-5", 0}, {"0.99", 0}, {"1", 1}, {"2", 2}, {"3", 2}, {"1023", 512},
		{"1024", 1024}, {"1536.5", 1024}, {"9223372036854775807", 4611686018427387904},
		/* REALs past INT64_MAX, +infinity included: the highest bucket an INTEGER can name,
		 * 2^62 (README says so); -infinity is below 1 */
		{"9.3e18", 4611686018427387904}, {"1e19", 4611686018427387904},
		{"1e30", 4611686018427387904}, {"1e308", 4611686018427387904},
		{"1e999", 4611686018427387904}, {"-1e999", 0},
	};
	sqlite3 *db = open_db();
	sqlite3_stmt *st;
	char sql[128];

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		snprintf(sql, sizeof(sql), "SELECT log2_bucket(%s)", cases[i].x);
		assert_int_equal(query_i64(db, sql), cases[i].want);
	}
	assert_int_equal(sqlite3_exec(db, "INSERT INTO t VALUES (1, 0), (1, 3), (1, 2), (1, 9),"
					  "(1, NULL), (1, 15)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT log2_hist(x), log2_hist(x, 'text') FROM t", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0),
			    "[{\"lo\":0,\"hi\":1,\"count\":1},{\"lo\":1,\"hi\":2,\"count\":0},"
			    "{\"lo\":2,\"hi\":4,\"count\":2},{\"lo\":4,\"hi\":8,\"count\":0},"
			    "{\"lo\":8,\"hi\":16,\"count\":2}]");
	assert_string_equal((const char *)sqlite3_column_text(st, 1),
			    "[0, 1)                    1 |@@@@@@@@@@@@@@@@@@@@                    |\n"
			    "[1, 2)                    0 |                                        |\n"
			    "[2, 4)                    2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
			    "[4, 8)                    0 |                                        |\n"
			    "[8, 16)                   2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|");
	sqlite3_finalize(st);
	/* log2_hist's last bucket is the one log2_bucket names for a huge value, +inf included */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT log2_hist(x) FROM (SELECT 1e19 AS x UNION ALL "
					    "SELECT 1e999 UNION ALL SELECT 9223372036854775807)", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0),
			    "[{\"lo\":4611686018427387904,\"hi\":9223372036854775808,\"count\":3}]");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

TT_TEST(sqlfuncs, rank_arithmetic_is_exact)
{
	uint64_t p;

	assert_int_equal(tt_pct_from_double(99.9, &p), 0);
	assert_int_equal(p, 99900000);
	assert_int_equal(tt_pct_rank(1000, p), 999);
	assert_int_equal(tt_pct_rank(1001, p), 1000);
	assert_int_equal(tt_pct_rank(1, 0), 1);
	assert_int_equal(tt_pct_rank(10, 100000000), 10);
	assert_int_equal(tt_pct_rank(10000000, 99000000), 9900000);
	assert_int_equal(tt_pct_from_double(-0.1, &p), -EINVAL);
	assert_int_equal(tt_pct_from_double(NAN, &p), -EINVAL);
}

TT_TEST(sqlfuncs, normalize_query_like_pg_stat_statements)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		/* pgbench's statements */
		{"UPDATE pgbench_accounts SET abalance = abalance + -3814 WHERE aid = 97066;",
		 "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;"},
		{"SELECT abalance FROM pgbench_accounts WHERE aid = 5;",
		 "SELECT abalance FROM pgbench_accounts WHERE aid = $1;"},
		{"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 4242, -20, "
		 "CURRENT_TIMESTAMP);",
		 "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, "
		 "CURRENT_TIMESTAMP);"},
		/* strings of every kind; identifiers and digits inside names are kept */
		{"select * from \"T1\" where a2 = 'it''s' and b = E'\\n\\'' and c = X'1F' or d = $$x'y$$",
		 "select * from \"T1\" where a2 = $1 and b = $2 and c = $3 or d = $4"},
		{"SELECT $tag$ a $ b $tag$, U&'d\\0061t', B'0101', N'x'", "SELECT $1, $2, $3, $4"},
		/* numbers: decimals, exponents, hex, a binary minus stays */
		{"select 1.5e3, .5, 0x1F, 3. from t where x - 1 > 2", "select $1, $2, $3, $4 from t where x - $5 > $6"},
		/* existing parameters are kept, new ones numbered after them */
		{"select * from t where a = $1 and b = 10", "select * from t where a = $1 and b = $2"},
		/* comments go, white space is one space */
		{"  SELECT  1 -- the answer\n\t FROM /* nothing */ t  ", "SELECT $1 FROM t"},
		{"", ""},
		{"'unterminated", "$1"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = tt_sql_normalize(cases[i].in);

		assert_non_null(got);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
	/* the SQL function: the same, NULL stays NULL, numbers pass through */
	{
		sqlite3 *db = open_db();
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(db, "SELECT normalize_query('select 42'), "
						    "normalize_query(NULL), normalize_query(7)", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "select $1");
		assert_int_equal(sqlite3_column_type(st, 1), SQLITE_NULL);
		assert_int_equal(sqlite3_column_int(st, 2), 7);
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}

/* A group's values come from SQLite's allocator: SQLite's heap limit stops a crafted query that
 * would otherwise hold them all (here 16 MB of values under an 8 MiB limit), and the same query
 * answers once the limit is lifted. */
TT_TEST(sqlfuncs, group_memory_is_bounded_by_sqlite_heap_limit)
{
	static const char q[] = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
				"WHERE x < 2000000) SELECT median(x) FROM c";
	sqlite3 *db = open_db();
	char *err = NULL;

	assert_int_equal(sqlite3_exec(db, "PRAGMA hard_heap_limit = 8388608", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, &err), SQLITE_NOMEM);
	assert_string_equal(err, "out of memory");
	sqlite3_free(err);
	sqlite3_hard_heap_limit64(0); /* the pragma can only lower it */
	assert_true(query_f64(db, q) == 1000000.5);
	sqlite3_close(db);
}
