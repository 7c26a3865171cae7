/* SPDX-License-Identifier: MIT */
/*
 * The SQLite side of the analyzer, shared by load, query and report: the schema embedded from
 * schemas/tracetape.sql, opening a connection with tracetape's SQL functions, running SQL text
 * and statements with errors reported through struct tt_out, binding recorded bytes,
 * recognising a tape or a database by its first bytes, and turning probe and field names into
 * SQL identifiers.
 */
#ifndef TT_DB_SCHEMA_H
#define TT_DB_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "tt_out.h"

struct tt_buf; /* tt_util.h */

/* The version of schemas/tracetape.sql, stored as meta 'schema_version'. */
#define TT_DB_SCHEMA_VERSION 3

/*
 * The schema's statements: the tables and views created before loading, and the indexes built
 * after the bulk insert (the part after the "-- @@indexes" line). Static strings.
 */
void tt_db_schema_tables(const char **sql, size_t *len);
void tt_db_schema_indexes(const char **sql, size_t *len);

/*
 * The index statements split by table: those on spans appended to spans, the others to others
 * (either may be NULL), each NUL-terminated, to build the two sets apart (the loader builds the
 * spans indexes in another database). Returns 0 or -ENOMEM.
 */
int tt_db_schema_indexes_split(struct tt_buf *spans, struct tt_buf *others);

/*
 * For a process that only bulk-loads (tracetape load), called before its first connection: no
 * memory statistics in SQLite. They take a global mutex on every SQLite allocation, a few
 * percent of a bulk insert, but without them SQLite keeps no heap limit (PRAGMA
 * hard_heap_limit): query and report keep them, so that a user's limit bounds a query.
 */
void tt_db_bulk_mode(void);

/*
 * Open path with SQLite flags (SQLITE_OPEN_*), register the SQL functions of sqlfuncs.h and set
 * a busy timeout. Returns 0 and sets *db, or -TT_E_SQL after printing SQLite's message (the
 * connection is closed then).
 */
int tt_db_open(const char *path, int flags, sqlite3 **db, const struct tt_out *out);

/*
 * Run every statement of sql[0..len) (len -1: up to the NUL), discarding rows. Returns 0, or
 * -TT_E_SQL after printing SQLite's message through out.
 */
int tt_db_exec(sqlite3 *db, const char *sql, int len, const struct tt_out *out);

/*
 * Prepare sql on db, persistent (SQLITE_PREPARE_PERSISTENT: kept for the whole load) when asked.
 * Returns 0, or -TT_E_SQL after printing "SQL error: " and SQLite's message through out.
 */
int tt_db_prepare(sqlite3 *db, const char *sql, int persistent, sqlite3_stmt **st,
		  const struct tt_out *out);

/*
 * Run st, a statement that returns no row (an INSERT), and reset it for the next bindings.
 * Returns 0, or -TT_E_SQL after printing "what: " and SQLite's message through out.
 */
int tt_db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, const struct tt_out *out);

/* Valid UTF-8 without NUL bytes: what tt_db_bind_bytes() stores as TEXT (else as a BLOB). */
int tt_db_utf8_ok(const uint8_t *p, size_t n);

/*
 * Bind p[0..n) to parameter col of st as TEXT when it is valid UTF-8 without NUL bytes (what
 * TEXT may hold), else as a BLOB. The bytes are not copied (SQLITE_STATIC): they must stay
 * until st has run.
 */
void tt_db_bind_bytes(sqlite3_stmt *st, int col, const uint8_t *p, size_t n);

/* What a file is, by its first bytes. */
enum tt_file_kind {
	TT_FILE_OTHER,
	TT_FILE_TAPE,   /* starts with the tape magic */
	TT_FILE_SQLITE, /* an SQLite 3 database */
};

/*
 * Classify path. Returns 0 and sets *kind (a file shorter than the magics is TT_FILE_OTHER), or
 * a negative errno when it cannot be opened or read (-EISDIR for a directory).
 */
int tt_file_sniff(const char *path, enum tt_file_kind *kind);

/*
 * Write name as an SQL identifier into buf: every character that is not an ASCII letter, digit
 * or '_' becomes '_', a leading digit (or an empty name) gets a '_' in front; truncated to
 * buf_sz - 1 bytes. The result never needs quoting.
 */
void tt_db_ident(const char *name, char *buf, size_t buf_sz);

#endif /* TT_DB_SCHEMA_H */
