/* SPDX-License-Identifier: MIT */
/*
 * The loader's events writer: a thread that owns the database connection during the pass and
 * inserts the events the reader thread copies into its batches (load_stage.h): each event
 * bound to a prepared INSERT of its argument count (arguments it does not have stay NULL),
 * several rows per statement; a tracepoint's record also decoded into its table
 * (load_tables.h) and given to the kernel tables (kernel_db.h). Rows are committed every few
 * million, so that SQLite's dirty pages stay bounded. Nothing is allocated per event once the
 * batches have grown to the largest strings seen.
 */
#ifndef TT_LOAD_EVENTS_H
#define TT_LOAD_EVENTS_H

#include <stdint.h>

#include <sqlite3.h>

#include "kernel_db.h"
#include "load_tables.h"
#include "tt_event.h"
#include "tt_out.h"

struct tt_ev_writer;

/*
 * A writer into db (the schema's tables created, a transaction open), with kernel (borrowed)
 * for the kernel tables. Prepares its statements now, in the caller's thread. Returns NULL
 * with errno set (ENOMEM; TT_E_SQL for an SQL error said through out).
 */
struct tt_ev_writer *tt_ev_writer__new(sqlite3 *db, struct tt_kernel_db *kernel,
				       const struct tt_out *out);

/* Start the thread: until tt_ev_writer__finish() it alone uses db. 0 or a negative errno. */
int tt_ev_writer__start(struct tt_ev_writer *w);

/*
 * Copy event ev (argument kinds: kinds; only read during the call) as row id of probe gid, in
 * capture and tape; tp: its probe's tracepoint table, or NULL. A C++ name argument is stored
 * demangled. Returns 0, -ENOMEM, or the writer's error (its message said through out).
 */
int tt_ev_writer__add(struct tt_ev_writer *w, uint64_t id, uint32_t gid, uint32_t capture,
		      uint32_t tape, struct tt_tp_table *tp, const struct tt_event *ev,
		      const uint8_t *kinds);

/* Insert what is left and stop the thread; db is the caller's again. 0 or the writer's error. */
int tt_ev_writer__finish(struct tt_ev_writer *w);

/* Stop the thread if it runs and finalize the statements (before db is closed). Accepts NULL. */
void tt_ev_writer__free(struct tt_ev_writer *w);

#endif /* TT_LOAD_EVENTS_H */
