/* SPDX-License-Identifier: MIT */
/*
 * The kernel state machine (kernel.h) behind the loader: recognising the scheduler and syscall
 * tracepoints by their format, decoding their raw records into struct tt_kev, and inserting the
 * rows the machine finishes into the thread_states and syscalls tables, several rows per
 * statement.
 */
#ifndef TT_KERNEL_DB_H
#define TT_KERNEL_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "kernel.h"
#include "tp_format.h"
#include "tt_out.h"

/* How to decode one tracepoint's raw records: its type and the fields it needs (borrowed). */
struct tt_kdecoder {
	uint8_t type;                   /* enum tt_kev_type; TT_KEV_NONE: not ours */
	const struct tt_tp_field *f[3];
};

/*
 * Recognise fmt (by category and name, then by the fields the decoding needs: a format
 * without them is TT_KEV_NONE). d borrows fmt's fields. Returns d->type.
 */
int tt_kdecoder__init(struct tt_kdecoder *d, const struct tt_tp_format *fmt);

/*
 * Fill ev's type-specific fields from raw record rec (len bytes, as recorded: common_* fields
 * first); the caller sets the others. Returns 0, or -ERANGE when the record is too short.
 */
int tt_kdecoder__decode(const struct tt_kdecoder *d, const uint8_t *rec, size_t len,
			struct tt_kev *ev);

/* The loader's side: raw records in, thread_states and syscalls rows out. */
struct tt_kernel_db;

/*
 * A state machine inserting into db's thread_states and syscalls tables (which must exist).
 * db and out are borrowed; the caller serialises every use of db. Returns 0 and sets *kdb, or
 * -TT_E_SQL (explained through out), -ENOMEM.
 */
int tt_kernel_db__new(sqlite3 *db, const struct tt_out *out, struct tt_kernel_db **kdb);

/*
 * One tracepoint record, in event order: ignored (0) unless fmt is one of the module's
 * tracepoints. capture..cpu as in struct tt_kev. Returns 0, -TT_E_SQL, -ENOMEM.
 */
int tt_kernel_db__record(struct tt_kernel_db *kdb, const struct tt_tp_format *fmt, uint32_t capture,
			 uint32_t tape, uint64_t event_id, uint64_t ts, uint32_t pid, uint32_t tid,
			 uint32_t cpu, const uint8_t *rec, size_t len);

/* After the last record: the open rows (tt_kernel__finish). st may be NULL. 0 or -TT_E_SQL. */
int tt_kernel_db__finish(struct tt_kernel_db *kdb, struct tt_kernel_stats *st);

/* Finalizes the statements (call before closing db). Accepts NULL. */
void tt_kernel_db__free(struct tt_kernel_db *kdb);

#endif /* TT_KERNEL_DB_H */
