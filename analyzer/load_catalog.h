/* SPDX-License-Identifier: MIT */
/*
 * What the loader learns about the capture besides its events, kept in memory during the pass
 * and written as the probes, probe_args, processes and threads tables after it:
 *
 *   probes     each probe of each tape gets a database id (probes.id, dense from 1, in the
 *              order they are added); the catalog keeps its description and its event count;
 *   threads    per (tape, pid, tid): first and last event, their ids, the count;
 *   processes  per (capture, pid): parent, command, executable, command line, fork, exec and
 *              exit, from tracetape's own process probes and the tapes' process tables.
 *
 * Memory grows with the probes, threads and processes, never with the events. Not thread-safe:
 * the loader's reader thread alone uses it.
 */
#ifndef TT_LOAD_CATALOG_H
#define TT_LOAD_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "tape_reader.h"
#include "tt_event.h"
#include "tt_hash.h"
#include "tt_out.h"

struct tt_tp_table; /* load_tables.h */

/* tracetape's own process probes (provider "tracetape", type builtin). */
enum tt_cat_builtin { TT_CAT_NONE, TT_CAT_FORK, TT_CAT_EXEC, TT_CAT_EXIT };

/* A probe of the database: probes.id is its position + 1. */
struct tt_cat_probe {
	char *provider, *name, *binary, *build_id, *arg_specs; /* owned; "?" for a missing name */
	char *arg_names[TT_MAX_ARGS];                          /* owned, NULL where unknown */
	uint8_t kinds[TT_MAX_ARGS];
	uint8_t argc, type;   /* TT_PROBE_* */
	uint8_t builtin;      /* enum tt_cat_builtin */
	struct tt_tp_table *tp; /* the table of a tracepoint (set by the loader; not owned) */
	uint32_t tape, tape_probe;
	uint64_t events;      /* counted by the loader */
};

struct tt_cat_thread {
	uint32_t tape, pid, tid;
	uint64_t first_ts, last_ts, cnt;
	uint64_t first_id, last_id;
};

struct tt_cat_process {
	uint32_t capture, tape, pid;
	int64_t ppid;         /* -1 unknown */
	char *comm, *exe, *cmdline; /* owned, NULL when unknown */
	uint64_t fork_ts, exec_ts, exit_ts;
	int64_t exit_status, exit_signal;
	uint8_t has_fork, has_exec, has_exit;
};

/* Zero-initialise; free with tt_catalog__free(). Read the arrays; change them through calls. */
struct tt_catalog {
	struct tt_cat_probe *probes;   /* probes[gid - 1] */
	size_t probe_cnt, probe_cap;
	struct {
		uint32_t *gid;         /* tape probe id -> gid, 0: not added */
		size_t cap;
	} *tapes;                      /* tapes[tape], from 1 */
	size_t tape_cap;
	struct tt_cat_thread *threads; /* in the order first seen */
	size_t thread_cnt, thread_cap;
	struct tt_hidx thread_index;
	size_t thread_last;            /* the thread of the latest event: most often the next one's */
	struct tt_cat_process *procs;  /* in the order first seen */
	size_t proc_cnt, proc_cap;
	struct tt_hidx proc_index;
};

/*
 * Add probe tape_probe of tape (p: its description, only read during the call), or find it if
 * it was added. Returns 0 and sets *gid (and *added when given: 1 when new), or -ENOMEM.
 */
int tt_catalog__add_probe(struct tt_catalog *c, uint32_t tape, uint32_t tape_probe,
			  const struct tt_probe_desc *p, uint32_t *gid, int *added);

/* The gid of probe tape_probe of tape, 0 when it was not added. */
static inline uint32_t tt_catalog__gid(const struct tt_catalog *c, uint32_t tape, uint32_t tape_probe)
{
	return tape < c->tape_cap && tape_probe < c->tapes[tape].cap ? c->tapes[tape].gid[tape_probe] : 0;
}

/* The probe of gid (1..probe_cnt). Borrowed; moves when a probe is added. */
static inline struct tt_cat_probe *tt_catalog__probe(const struct tt_catalog *c, uint32_t gid)
{
	return &c->probes[gid - 1];
}

/* An event of thread (tape, pid, tid) at ts with id event_id, in event order. 0 or -ENOMEM. */
int tt_catalog__thread_event(struct tt_catalog *c, uint32_t tape, uint32_t pid, uint32_t tid,
			     uint64_t ts, uint64_t event_id);

/*
 * An event ev (argument kinds: kinds) of probe g in capture and tape: for a builtin probe what
 * it says of its process (fork: the child's parent, fork time and command; exec: time and
 * command; exit: time, status and signal); nothing for another probe. 0 or -ENOMEM.
 */
int tt_catalog__process_event(struct tt_catalog *c, uint32_t capture, uint32_t tape,
			      const struct tt_cat_probe *g, const struct tt_event *ev,
			      const uint8_t *kinds);

/*
 * A process as a tape's process table describes it: its parent (when known) and each of comm,
 * exe and cmdline that it gives replace what was known (a later description, after an exec,
 * says what the process ran last). 0 or -ENOMEM.
 */
int tt_catalog__describe_process(struct tt_catalog *c, uint32_t capture, uint32_t tape,
				 const struct tt_process *tp);

/*
 * Insert the probes, probe_args, processes and threads rows into db (the schema's tables,
 * empty). probe_args.column_name is the argument's identifier; the views may rename it later.
 * Returns 0, -ENOMEM, or -TT_E_SQL said through out.
 */
int tt_catalog__write(const struct tt_catalog *c, sqlite3 *db, const struct tt_out *out);

/* Free what c holds; c is then empty and usable again. */
void tt_catalog__free(struct tt_catalog *c);

#endif /* TT_LOAD_CATALOG_H */
