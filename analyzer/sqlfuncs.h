/* SPDX-License-Identifier: MIT */
/*
 * SQL functions tracetape adds to SQLite: exact percentiles and log2 histograms. They are
 * registered in every connection tracetape opens (tt_sqlfuncs_register) and built a second time
 * from the same source as a loadable extension for the sqlite3 shell (tracetape_sqlite.so), so a
 * database is as useful without tracetape as with it.
 *
 *   percentile(x, p)       aggregate: the nearest-rank p-th percentile of the non-NULL x, 0 <= p
 *                          <= 100: the smallest x such that at least p% of the values are <= it,
 *                          i.e. sorted x at 1-based rank ceil(p/100 * n) (rank 1 for p = 0). It
 *                          is always one of the values (INTEGER when every x is an integer).
 *                          p is read as a decimal with at most 6 digits after the point, so that
 *                          99.9 means exactly 999/1000.
 *   percentile_cont(x, p)  aggregate: linear interpolation between the closest ranks (the
 *                          definition of numpy's default and of SQLite's percentile extension):
 *                          sorted x at 0-based position h = (n - 1) * p/100, interpolated; REAL.
 *   median(x)              aggregate: percentile_cont(x, 50): the middle value, or the mean of
 *                          the two middle values when n is even; REAL.
 *   log2_bucket(x)         scalar: 0 when x < 1, else the largest power of two <= x (INTEGER):
 *                          the lower bound of x's log2 histogram bucket. NULL for NULL.
 *   log2_hist(x [, fmt])   aggregate: a log2 histogram of the non-NULL x. fmt 'json' (default):
 *                          [{"lo":L,"hi":H,"count":N}, ...] for every bucket [L, H) from the
 *                          lowest to the highest non-empty one (lo 0, hi 1 holds every x < 1);
 *                          fmt 'text': the same as bpftrace-style text bars, one bucket a line.
 *   normalize_query(sql)   scalar: sql with its constants replaced by $1, $2, ... as PostgreSQL's
 *                          pg_stat_statements shows statements (tt_sql_normalize). NULL for
 *                          NULL; a value that is not text is returned as it is.
 *
 * All aggregates ignore NULLs and return NULL when there are none; a value that is not a number
 * is an error. Each collects its group's values into one array and selects in it (quickselect,
 * skipped when the input is already sorted, e.g. read through an index): O(n) time, 8 bytes a
 * value.
 */
#ifndef TT_SQLFUNCS_H
#define TT_SQLFUNCS_H

#include <stdint.h>

#include <sqlite3.h>

/*
 * Register the functions above in db. Returns 0, or -TT_E_SQL (the message is in
 * sqlite3_errmsg(db)).
 */
int tt_sqlfuncs_register(sqlite3 *db);

/*
 * Parse a percentile given as a number 0..100 into millionths of a percent (99.9 -> 99900000),
 * the unit every percentile computation of tracetape uses so that decimal percentiles are exact.
 * Returns 0 or -EINVAL (not finite, or out of range).
 */
int tt_pct_from_double(double p, uint64_t *pct_micro);

/*
 * The 1-based nearest rank of percentile pct_micro (millionths of a percent) among n values:
 * ceil(pct/100 * n), at least 1. n must be at least 1.
 */
uint64_t tt_pct_rank(uint64_t n, uint64_t pct_micro);

/*
 * Move the k-th smallest (0-based) of a[0..n) to a[k], the smaller ones before it and the larger
 * ones after it (quickselect: O(n) expected, O(n log n) at worst). n must be above k.
 */
void tt_select_i64(int64_t *a, size_t n, size_t k);
void tt_select_f64(double *a, size_t n, size_t k);

/*
 * A statement's text with its constants replaced by placeholders, the way pg_stat_statements
 * groups statements: numbers (42, -7 after an operator, 1.5e3, 0x1F), string constants ('it''s',
 * E'\n', B'01', X'1F', N'x', U&'x') and dollar-quoted strings ($$x$$, $t$x$t$) become $1, $2, ...
 * in order, numbered after the highest $N already in the text; identifiers ("Quoted" too),
 * keywords and existing $N are kept; comments are dropped and runs of white space become one
 * space. Returns a malloc'd string, or NULL (out of memory).
 */
char *tt_sql_normalize(const char *sql);

/* The log2 bucket index of v: 0 for v < 1, k for 2^(k-1) <= v < 2^k (1..64). */
static inline unsigned tt_log2_bucket_idx(uint64_t v)
{
	return v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
}

/* The smallest value of bucket k (0 for k = 0). */
static inline uint64_t tt_log2_bucket_lo(unsigned k)
{
	return k ? (uint64_t)1 << (k - 1) : 0;
}

#endif /* TT_SQLFUNCS_H */
