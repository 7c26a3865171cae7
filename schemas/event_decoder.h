/* SPDX-License-Identifier: MIT */
/*
 * One decoded EVENTS block of a tape (schemas/TAPE_FORMAT.md 5), a "run": arrays of its
 * events' fields, in the order the writer sorted them, (ts, cpu, seq). The tape reader keeps
 * several runs in its reorder window and merges their heads; it reads the fields below directly
 * (the merge is the reader's hottest loop) and never changes them, except pos.
 *
 * The decoder trusts nothing: every count, length and index of the payload is checked before it
 * is used, and a payload that fails a check is -TT_E_CORRUPT, never a read out of bounds.
 * A run's buffers are kept when it is decoded again, so a recycled run allocates nothing once
 * they fit the tape's blocks.
 */
#ifndef TT_EVENT_DECODER_H
#define TT_EVENT_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "tape_format.h"
#include "tt_event.h"

struct tt_run_thread {
	uint32_t pid, tid;
};

struct tt_run_probe {
	uint32_t id;
	uint32_t cnt; /* events of this probe in the run */
	uint8_t argc;
	uint8_t kinds[TT_MAX_ARGS];
	uint8_t shape[TT_MAX_ARGS];        /* enum tt_col_shape of each argument */
	const uint64_t *cols[TT_MAX_ARGS]; /* cols[a][k]: argument a of the k-th event of the probe
					      (for a string, its index in strs) */
};

struct tt_run_str {
	const uint8_t *p; /* into raw */
	uint32_t len, flags;
};

struct tt_event_run {
	struct tt_event_run *next_free; /* the reader's free list */
	uint32_t n;   /* events */
	uint32_t pos; /* the next event to return (the reader's) */
	uint8_t *raw; /* the decompressed payload (owned); strings point into it */
	size_t raw_cap;
	uint8_t *mem; /* per-event arrays and tables (owned) */
	size_t mem_cap;
	uint8_t *vmem; /* argument values and the string table (owned) */
	size_t vmem_cap;
	/* per event, i < n */
	uint64_t *ts;
	uint32_t *cpu, *seq;
	uint32_t *thr;   /* index into threads */
	uint32_t *pidx;  /* index into probes */
	uint32_t *rank;  /* the event's position among its probe's events (its row in cols) */
	uint64_t *goid;  /* NULL when no event has one */
	uint16_t *fault; /* NULL when no event has one */
	/* the block's tables */
	struct tt_run_thread *threads;
	struct tt_run_probe *probes;
	struct tt_run_str *strs;
	uint32_t thread_cnt, probe_cnt, str_cnt;
};

/*
 * Make run->raw hold at least sz bytes (at least 1), keeping nothing of its contents. Returns 0
 * or -ENOMEM.
 */
int tt_event_run__reserve_raw(struct tt_event_run *run, size_t sz);

/*
 * Decode the EVENTS payload in run->raw (h->raw_sz bytes; h is the block's header, whose
 * record count and time range the payload must agree with) into run's arrays, with pos 0.
 * Returns 0 (n may be 0), -TT_E_CORRUPT or -ENOMEM; after an error the run holds no events.
 */
int tt_event_run__decode(struct tt_event_run *run, const struct tt_tape_block_hdr *h);

/* Bytes the run's buffers hold (what it costs the reorder window). */
static inline uint64_t tt_event_run__bytes(const struct tt_event_run *run)
{
	return run->raw_cap + run->mem_cap + run->vmem_cap;
}

/* Free run and its buffers. Accepts NULL. */
void tt_event_run__free(struct tt_event_run *run);

/* Does a's next event come before b's, by (ts, cpu, seq)? Both runs must have one left. */
static inline int tt_event_run__head_less(const struct tt_event_run *a, const struct tt_event_run *b)
{
	uint32_t i = a->pos, j = b->pos;

	if (a->ts[i] != b->ts[j])
		return a->ts[i] < b->ts[j];
	if (a->cpu[i] != b->cpu[j])
		return a->cpu[i] < b->cpu[j];
	return a->seq[i] < b->seq[j];
}

/* The empty string that string arguments of no bytes point to. */
extern const uint8_t tt_event_run_empty_str[1];

/*
 * Fill ev with the run's event at pos (which must be < n) and kinds with its argument kinds.
 * Strings point into the run: valid while the run is neither decoded again nor freed.
 * Arguments past the event's argc that an earlier event of ev left are cleared.
 */
static inline void tt_event_run__fill(const struct tt_event_run *run, struct tt_event *ev,
				      uint8_t kinds[TT_MAX_ARGS])
{
	uint32_t i = run->pos, k = run->rank[i];
	const struct tt_run_probe *rp = &run->probes[run->pidx[i]];
	const struct tt_run_thread *th = &run->threads[run->thr[i]];
	uint8_t old_argc = ev->argc;

	ev->ts_ns = run->ts[i];
	ev->cpu = run->cpu[i];
	ev->seq = run->seq[i];
	ev->pid = th->pid;
	ev->tid = th->tid;
	ev->probe_id = rp->id;
	ev->goid = run->goid ? run->goid[i] : 0;
	ev->fault_mask = run->fault ? run->fault[i] : 0;
	ev->argc = rp->argc;
	for (int a = 0; a < rp->argc; a++) {
		uint64_t v = rp->cols[a][k];

		kinds[a] = rp->kinds[a];
		if (rp->shape[a] == TT_COL_STR) {
			const struct tt_run_str *s = &run->strs[v];

			ev->args[a] = 0;
			ev->strs[a] = (struct tt_bytes){s->len ? s->p : tt_event_run_empty_str, s->len,
							s->flags};
		} else {
			ev->args[a] = v;
			ev->strs[a] = (struct tt_bytes){tt_event_run_empty_str, 0, 0};
		}
	}
	/* arguments past argc: no stale values from an earlier event */
	for (int a = rp->argc; a < old_argc; a++) {
		ev->args[a] = 0;
		ev->strs[a] = (struct tt_bytes){tt_event_run_empty_str, 0, 0};
	}
}

#endif /* TT_EVENT_DECODER_H */
