/* SPDX-License-Identifier: MIT */
/*
 * Which spans a loss touches (spans.lost): a loss window of a capture counts for its CPU and
 * for its probe (or for every probe, when the tape could not say which one lost events), and a
 * span is flagged when such a window overlaps its time on its start CPU or probe, or, when it
 * closed, on its end CPU or probe. A span still open at the end is looked at up to the last
 * event of its capture.
 *
 *	struct tt_loss_index ix = {0};
 *	tt_loss_index__tape(&ix, tape, capture, ts_last);   // every tape
 *	tt_loss_index__add(&ix, capture, cpu, gid, start, end);  // every loss
 *	tt_loss_index__seal(&ix);
 *	err = tt_loss_index__flag_spans(&ix, db, out);
 *
 * The windows are sorted once by (capture, CPU or probe, start), each with the latest end of
 * the windows before it under its key, so that a span's question is two binary searches per key
 * whatever the number of windows. Memory: two entries per loss.
 */
#ifndef TT_LOAD_LOSSES_H
#define TT_LOAD_LOSSES_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "tt_out.h"

struct tt_loss_window {
	uint64_t key;       /* capture << 40 | kind << 32 | cpu or probe */
	uint64_t start, end;
	uint64_t end_max;   /* the latest end of this window and the earlier ones of its key */
};

/* Zero-initialise; free with tt_loss_index__free(). */
struct tt_loss_index {
	struct tt_loss_window *w;
	size_t n, cap;
	uint32_t *capture_of;   /* by tape */
	uint64_t *end_of;       /* by capture: its last event's time */
	size_t tape_cap, capture_cap;
};

/* A span as tt_loss_index__hit() looks at it. */
struct tt_loss_span {
	uint32_t tape;
	uint32_t cpu, begin_probe;          /* where it started */
	int closed;
	uint32_t end_cpu, end_probe;        /* where it ended, when closed */
	uint64_t start_ts, end_ts;          /* end_ts when closed */
};

/*
 * Tape (from 1) belongs to capture (from 1); ts_last is the time of its last event (0 when it
 * has none): the end of its capture is the latest of its tapes'. 0 or -ENOMEM.
 */
int tt_loss_index__tape(struct tt_loss_index *ix, uint32_t tape, uint32_t capture, uint64_t ts_last);

/*
 * A loss window [start, end] of capture on cpu, of probe (a probes.id; 0 when the loss is of an
 * unknown probe or of every probe). Before tt_loss_index__seal(). 0 or -ENOMEM.
 */
int tt_loss_index__add(struct tt_loss_index *ix, uint32_t capture, uint32_t cpu, uint32_t probe,
		       uint64_t start, uint64_t end);

/* Sort the windows for the questions below; no more windows are added after. */
void tt_loss_index__seal(struct tt_loss_index *ix);

/* Does a loss window touch span s (rule above)? Only after tt_loss_index__seal(). */
int tt_loss_index__hit(const struct tt_loss_index *ix, const struct tt_loss_span *s);

/*
 * Set spans.lost = 1 in db for every span a window touches; nothing when there is no window.
 * Returns 0, -ENOMEM, or -TT_E_SQL said through out.
 */
int tt_loss_index__flag_spans(const struct tt_loss_index *ix, sqlite3 *db, const struct tt_out *out);

/* Free what ix holds; ix is then empty and usable again. */
void tt_loss_index__free(struct tt_loss_index *ix);

#endif /* TT_LOAD_LOSSES_H */
