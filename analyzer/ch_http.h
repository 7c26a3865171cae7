/* SPDX-License-Identifier: MIT */
/*
 * A ClickHouse server's HTTP interface through libcurl: one statement per request, its result as
 * bytes; and INSERTs whose rows travel in ClickHouse's RowBinary format (little-endian fixed-width
 * numbers, LEB128-prefixed strings, a 0/1 byte before each Nullable value), never as SQL text.
 * A server's error (any status but 200) is reported with the server's own message; a server that
 * cannot be reached with curl's. Used by `load --into` (ch_load.h) and `query` on clickhouse://.
 */
#ifndef TT_CH_HTTP_H
#define TT_CH_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ch_url.h"
#include "tt_out.h"
#include "tt_util.h"

struct tt_ch_conn;

/*
 * A connection to endpoint e with the user and password of u (both borrowed for the
 * connection's lifetime). settings (may be NULL) are extra URL parameters for every request,
 * e.g. "insert_distributed_sync=1". NULL with errno set on failure.
 */
struct tt_ch_conn *tt_ch_conn__new(const struct tt_ch_url *u, const struct tt_ch_endpoint *e,
				   const char *settings);
void tt_ch_conn__free(struct tt_ch_conn *c);

/* "HOST:PORT" of the connection, for messages (borrowed). */
const char *tt_ch_conn__name(const struct tt_ch_conn *c);

/*
 * Run one statement sql (with its own FORMAT clause if it returns rows). The result is appended
 * to res (may be NULL: discarded). Returns 0, or -TT_E_SERVER after printing the server's
 * message or the connection failure through out.
 */
int tt_ch_exec(struct tt_ch_conn *c, const char *sql, struct tt_buf *res, const struct tt_out *out);

/* The same, its result written to f as it arrives. */
int tt_ch_exec_to(struct tt_ch_conn *c, const char *sql, FILE *f, const struct tt_out *out);

/*
 * Appends the next rows (RowBinary) to b: returns 1 when more follow, 0 after the last, or a
 * negative error (said by the producer), which aborts the INSERT.
 */
typedef int (*tt_ch_fill_fn)(void *ctx, struct tt_buf *b);

/*
 * `INSERT INTO table (columns) FORMAT RowBinary`, the body made by fill(ctx, ...) while it is
 * sent (chunked transfer), so that the server parses and writes while the rows are made and
 * memory stays at one part. Returns 0, fill's error, or -TT_E_SERVER (said through out).
 */
int tt_ch_insert(struct tt_ch_conn *c, const char *table, const char *columns,
		 tt_ch_fill_fn fill, void *ctx, const struct tt_out *out);

/* Run sql and parse its one-number result (e.g. SELECT max(id) ... FORMAT TSV). */
int tt_ch_query_u64(struct tt_ch_conn *c, const char *sql, uint64_t *v, const struct tt_out *out);

/* RowBinary encoding: each returns 0 or -ENOMEM. */
int tt_rb_i64(struct tt_buf *b, int64_t v);
int tt_rb_f64(struct tt_buf *b, double v);
int tt_rb_u8(struct tt_buf *b, uint8_t v);
int tt_rb_str(struct tt_buf *b, const void *s, size_t n);

/* Append s to b as a ClickHouse string literal ('...' with \ and ' escaped). */
int tt_ch_quote(struct tt_buf *b, const char *s);

#endif /* TT_CH_HTTP_H */
