/* SPDX-License-Identifier: MIT */
/*
 * The database objects the loader names after what was recorded:
 *
 *   tracepoint tables  tp_<category>_<name>: one per tracepoint format, one column per field of
 *                      the format (integers, text, JSON arrays, blobs), one row per record;
 *                      described while the tapes are read, created by their first record;
 *   views              <provider>_<name> per probe name (a Go function's returns:
 *                      <provider>_<name>__return) over the events of every probe of that name,
 *                      its columns named after the arguments.
 *
 * Names are SQL identifiers (tt_db_ident()) never taken by another object, compared as SQLite
 * compares them (case-insensitively): a clash gets _2, _3... and a column that clashes with a
 * fixed column gets _arg.
 */
#ifndef TT_LOAD_TABLES_H
#define TT_LOAD_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "load_catalog.h"
#include "tp_format.h"
#include "tt_out.h"
#include "tt_util.h"

/* A tracepoint's table. */
struct tt_tp_table {
	char *name;
	char *format;         /* the format text: the same tracepoint in another tape shares it */
	struct tt_tp_format *fmt;
	char *create_sql, *insert_sql;
	int created;          /* its first record came: the table exists */
	sqlite3_stmt *ins;    /* prepared with the table */
};

/* The tracepoint tables of a load. Zero-initialise; free with tt_tp_tables__free(). */
struct tt_tp_tables {
	struct tt_tp_table **v;
	size_t cnt, cap;
};

/*
 * The table of tracepoint category:name (a probe of type tracepoint) with format text text:
 * the one described for the same text and category, or a new one, named apart from the
 * schema's tables and the earlier tracepoint tables (decided without a database: the table is
 * created by its first record, tt_tp_table__insert()). Returns 0 and sets *tp (owned by ts),
 * -TT_E_PARSE with the reason in why when the text does not parse, or -ENOMEM.
 */
int tt_tp_tables__get(struct tt_tp_tables *ts, const char *category, const char *name,
		      const char *text, struct tt_tp_table **tp, char *why, size_t why_sz);

/*
 * Insert record rec (len bytes, as recorded) of event event_id into t's table in db, creating
 * the table on the first record. A field the record is too short for is NULL. scratch is the
 * caller's buffer for the JSON of array fields. Returns 0 or -TT_E_SQL said through out.
 */
int tt_tp_table__insert(struct tt_tp_table *t, sqlite3 *db, const struct tt_out *out,
			struct tt_buf *scratch, uint64_t event_id, uint64_t ts, uint32_t tape,
			uint32_t pid, uint32_t tid, uint32_t cpu, const uint8_t *rec, size_t len);

/* Finalize the tables' statements (before their connection closes); the rest stays. */
void tt_tp_tables__finalize(struct tt_tp_tables *ts);

/* Free every table; ts is then empty and usable again. */
void tt_tp_tables__free(struct tt_tp_tables *ts);

/*
 * The views of c's probes in db (the events, tapes, probes and probe_args rows written), and
 * probes.view of every probe: its view, its tracepoint's table (NULL when it had no records).
 * probe_args.column_name becomes the view's column name where the view renamed it. Returns 0,
 * -ENOMEM, or -TT_E_SQL said through out.
 */
int tt_load_views(sqlite3 *db, const struct tt_catalog *c, const struct tt_out *out);

#endif /* TT_LOAD_TABLES_H */
