/* SPDX-License-Identifier: MIT */
/*
 * The SQLite loader: streams one or more tapes into a new database with the schema of
 * schemas/tracetape.sql, builds spans on the way (spans.h), then the indexes. Memory stays
 * bounded whatever the tapes' size: events go from the reader's window straight into prepared
 * statements, SQLite's page cache is capped, and what is kept in memory grows only with what is
 * open (spans), probes, threads, processes and losses.
 *
 * The database is written to a temporary file next to the destination and renamed over it when
 * complete, so the destination is either absent, the previous file, or the whole new database;
 * never a half-written one.
 */
#ifndef TT_LOADER_H
#define TT_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "spans.h"
#include "tt_out.h"

struct tt_load_opts {
	const struct tt_span_rule *rules; /* custom span rules (borrowed), may be NULL */
	size_t rule_cnt;
	int force;                  /* replace an existing database */
	const struct tt_out *out;   /* warnings and progress (borrowed, required) */
	uint64_t cache_bytes;       /* SQLite page cache while loading; 0: 64 MiB */
	int skip_damaged;           /* read past damaged blocks (replay --skip-damaged) */
	const char *const *debug_dirs; /* where stripped files' debug files are looked for before
					  /usr/lib/debug (load --debug-dir; borrowed) */
	size_t debug_dir_cnt;
};

struct tt_load_stats {
	uint64_t tapes, events, spans, losses, lost_events, probes;
	uint64_t tapes_damaged;     /* tapes that were cut or damaged (loaded up to the damage) */
	uint64_t insert_ns;         /* reading the tapes and inserting events and spans */
	uint64_t finish_ns;         /* processes, threads, views, loss flags */
	uint64_t index_ns;          /* building the indexes, transferring and flagging spans */
	uint64_t events_index_ns;   /* ... of which the indexes of the events thread's tables */
	uint64_t spans_wait_ns;     /* ... waiting for the span writer to finish its indexes */
	uint64_t transfer_ns;       /* ... copying the spans into the database */
	uint64_t total_ns;
	uint64_t db_bytes;          /* size of the finished database file */
};

/*
 * Load tapes[0..tape_cnt) into a new database at db_path. Returns 0 (also when a tape was
 * damaged: it is loaded up to the damage, with a warning printed and kept in meta), -EEXIST
 * when db_path exists and opts->force is not set, the reader's error for a tape that cannot be
 * opened (-ENOENT, -TT_E_BAD_MAGIC, ...), -TT_E_SQL, or another negative errno; every error is
 * explained through opts->out. st (may be NULL) receives counts and phase times.
 */
int tt_load(const char *db_path, const char *const *tapes, size_t tape_cnt,
	    const struct tt_load_opts *opts, struct tt_load_stats *st);

/* A database to read: opened as is, or loaded from a tape. */
struct tt_input {
	sqlite3 *db;
	int from_tape; /* db was loaded from a tape (now or, cached, earlier) */
	char *tmpdir;  /* owned; removed by tt_input_close() */
	char *tmpdb;
};

#define TT_INPUT_WRITABLE 1 /* open a database read-write (a tape's cached one stays read-only) */
#define TT_INPUT_NO_CACHE 2 /* load a tape again, into a private temporary database */

/*
 * Open path for queries: an SQLite database directly (read-only unless TT_INPUT_WRITABLE), or a
 * tape ("-": standard input). A tape file is loaded once into the cache and its database
 * reused while the tape is unchanged (read-only; see load_input.c); with lo's custom rules or
 * debug directories, TT_INPUT_NO_CACHE, or from a pipe, it is loaded into a temporary database under $TMPDIR (or
 * /tmp). Returns 0, or a negative error after saying why through lo->out: -ENOENT and other
 * errnos, -TT_E_BAD_MAGIC for a file that is neither, the loader's errors. Close with
 * tt_input_close().
 */
int tt_input_open(const char *path, const struct tt_load_opts *lo, int flags, struct tt_input *in);
void tt_input_close(struct tt_input *in);

#endif /* TT_LOADER_H */
