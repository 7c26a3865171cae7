/* SPDX-License-Identifier: MIT */
/*
 * tracetape's SQL functions in ClickHouse. ClickHouse 18.16 (Debian 12's) has no user-defined
 * SQL functions, and its own median() is an approximation (reservoir sampling), so a query
 * written for tracetape's SQLite databases would run there with other meanings, silently.
 * `tracetape query` and `report` therefore rewrite the calls of tracetape's functions in the
 * query text into ClickHouse expressions with the same definitions (sqlfuncs.h) before sending it:
 *
 *   percentile(x, p)       arraySort(groupArray(x))[ceil(p/100 * n)] (nearest rank, at least 1;
 *                          p as millionths of a percent, as sqlfuncs.c reads it)
 *   percentile_cont(x, p)  the same sorted array, interpolated between ranks k and k + 1 with
 *                          h = (n - 1) * p / 100 in millionths: the same double arithmetic
 *   median(x)              percentile_cont(x, 50)
 *   log2_bucket(x)         0 below 1, else the largest power of two <= x (capped at 2^62),
 *                          exact for every 64-bit integer (a float estimate corrected by one)
 *
 * Each aggregate is NULL without values, ignores NULLs, and fails (ClickHouse's throwIf) when p
 * is outside 0..100 or not the same in a whole group. A rewritten call is aliased to its own
 * text, so result columns keep the names the user wrote. log2_hist() has no rewrite: its use is
 * refused with the equivalent query to write instead. Names are matched as function calls only
 * (a name followed by '('), case-insensitively, outside string literals, quoted identifiers and
 * comments, and not after a '.' (a qualified name is someone else's function or column).
 * README.md lists the same expressions for clickhouse-client users.
 */
#ifndef TT_CH_SQL_H
#define TT_CH_SQL_H

#include <stddef.h>

struct tt_buf; /* tt_util.h */

/*
 * Append sql with tracetape's function calls rewritten (above) to out, NUL-terminated. Returns
 * 0, -TT_E_PARSE with why (a sentence) for a call with the wrong number of arguments, an
 * unbalanced parenthesis, an unterminated string or comment, or log2_hist(); or -ENOMEM.
 */
int tt_ch_sql_translate(const char *sql, struct tt_buf *out, char *why, size_t why_sz);

#endif /* TT_CH_SQL_H */
