/* SPDX-License-Identifier: MIT */
/*
 * `tracetape load --into clickhouse://...`: tapes into a ClickHouse database, with the tables and
 * columns of schemas/tracetape.sql. The tapes are first loaded by the SQLite loader (loader.h)
 * into a temporary database, so spans, processes, threads and kernel tables are built by the
 * one implementation there is; that database is then copied table by table to ClickHouse in
 * RowBinary over HTTP, one streamed INSERT per table (ch_http.h), its ids moved past those
 * already in ClickHouse so that many loads (hosts) share one database.
 *
 * ClickHouse shapes: every table is a MergeTree partitioned by tape (tapes by id; meta by tape,
 * 0 for the rows about the whole database; a table without a tape column, such as probe_args,
 * gets one, from the row its probe_id or other WORD_id refers to), so a tape's rows can be
 * dropped whole. With a cluster, meta, tapes, probes and probe_args are
 * written whole to every shard, and the others are <name>_local on each shard under a
 * Distributed table <name> sharded by tape, inserted synchronously (insert_distributed_sync) so a
 * shard that is down fails the load. Columns SQLite leaves untyped (events.arg0..arg11,
 * spans.key) are Nullable(String) there (numbers in decimal); the per-probe views cast them back
 * by the probe's argument kinds.
 *
 * Load once: a tape's identity is a hash of its bytes and its size (tapes.identity). A tape
 * whose identity is in the database is skipped, said as such. The tapes row of a load is written
 * after all of its other rows, on every shard: it marks the tape complete. A load that failed
 * (a shard down, the client killed) leaves rows of tapes without a tapes row; the next load drops
 * those partitions first, so a rerun completes without duplicates. Loads into one database must
 * not run at the same time.
 */
#ifndef TT_CH_LOAD_H
#define TT_CH_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "ch_url.h"
#include "loader.h"

struct tt_ch_load_stats {
	uint64_t tapes;         /* tapes loaded (not counting those skipped) */
	uint64_t skipped;       /* tapes already in the database */
	uint64_t events, spans; /* rows sent */
	uint64_t rows, bytes;   /* every row sent, and the RowBinary bytes */
	uint64_t dropped;       /* partitions of an earlier failed load dropped */
	uint64_t sqlite_ns;     /* the temporary SQLite load */
	uint64_t send_ns;       /* creating tables and sending rows */
};

/*
 * Load tapes[0..tape_cnt) into the database u names. lo gives the span rules and the output
 * (lo->force is ignored). Returns 0 (also when every tape was already loaded), the SQLite
 * loader's errors, -TT_E_SERVER (the server's message printed), or another negative errno.
 */
int tt_ch_load(const struct tt_ch_url *u, const char *const *tapes, size_t tape_cnt,
	       const struct tt_load_opts *lo, struct tt_ch_load_stats *st);

#endif /* TT_CH_LOAD_H */
