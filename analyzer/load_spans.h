/* SPDX-License-Identifier: MIT */
/*
 * The loader's span writer: a thread that inserts the spans the span builder (spans.h) emits
 * into a side database of their own, so that spans and events are inserted at once by two
 * connections, and builds the spans indexes there once the last span came, while the main
 * connection builds the events indexes. At the end the main connection copies the side table
 * in with SQLite's transfer optimization: records and index entries copied as they are, no
 * decoding. Spans come in end order but carry start-order ids: each batch is sorted by id, so
 * that it is (nearly) an append to the table's B-tree rather than a seek per row.
 */
#ifndef TT_LOAD_SPANS_H
#define TT_LOAD_SPANS_H

#include <stdint.h>

#include <sqlite3.h>

#include "spans.h"
#include "tt_out.h"

struct tt_span_writer;

/*
 * A writer into a new database at side_path (a file there is replaced): the schema's tables,
 * bulk settings, its INSERTs prepared, a transaction begun. The file is removed by
 * tt_span_writer__free(). Returns NULL with errno set (ENOMEM; TT_E_SQL said through out).
 */
struct tt_span_writer *tt_span_writer__new(const char *side_path, const struct tt_out *out);

/* Start the thread. 0 or a negative errno. */
int tt_span_writer__start(struct tt_span_writer *w);

/*
 * The span builder's emit function (tt_span_emit_fn; ctx: the writer): copy span sp into the
 * batch being filled. Returns 0, -ENOMEM, or the writer's error.
 */
int tt_span_writer__emit(void *ctx, const struct tt_span *sp);

/* The spans emitted so far. */
uint64_t tt_span_writer__count(const struct tt_span_writer *w);

/*
 * The last span was emitted: the writer inserts what is left, commits and builds the spans
 * indexes, then closes the side database, without the caller waiting. 0 or the writer's error.
 */
int tt_span_writer__close(struct tt_span_writer *w);

/* Wait for the writer (closing it if not yet). 0 or its error. */
int tt_span_writer__finish(struct tt_span_writer *w);

/*
 * After tt_span_writer__finish(): create the spans indexes in db (its spans table empty) and
 * copy the side table in. db must not be in a transaction. 0 or -TT_E_SQL said through out.
 */
int tt_span_writer__transfer(struct tt_span_writer *w, sqlite3 *db, const struct tt_out *out);

/* Stop the thread if it runs, close the side database and remove its file. Accepts NULL. */
void tt_span_writer__free(struct tt_span_writer *w);

#endif /* TT_LOAD_SPANS_H */
