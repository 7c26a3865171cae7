/* SPDX-License-Identifier: MIT */
/*
 * The SQLite side of the analyzer, shared by load, query and report: the schema embedded from
 * schemas/tracetape.sql, opening a connection with tracetape's SQL functions, running SQL text
 * with errors reported through struct tt_out, recognising a tape or a database by its first
 * bytes, and turning probe and field names into SQL identifiers.
 */
#ifndef TT_DB_SCHEMA_H
#define TT_DB_SCHEMA_H

#include <stddef.h>

#include <sqlite3.h>

#include "tt_out.h"

/* The version of schemas/tracetape.sql, stored as meta 'schema_version'. */
#define TT_DB_SCHEMA_VERSION 2

/*
 * The schema's statements: the tables and views created before loading, and the indexes built
 * after the bulk insert (the part after the "-- @@indexes" line). Static strings.
 */
void tt_db_schema_tables(const char **sql, size_t *len);
void tt_db_schema_indexes(const char **sql, size_t *len);

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
