/* SPDX-License-Identifier: MIT */
/*
 * A writer thread fed through a ring of TT_STAGE_RING batch slots, the loader's way of putting
 * the slow work (an SQLite connection's inserts) on another CPU while memory stays bounded: the
 * producer fills the slot st->fill with a batch and pushes it; the writer consumes the pushed
 * slots in order, one at a time, and the producer waits only when every slot is queued. The
 * batches themselves are the caller's (an array of TT_STAGE_RING of them): the stage only says
 * which one is whose.
 *
 *	tt_stage__start(&st, consume, done, ctx);
 *	for (...) { fill(batch[st.fill]); err = tt_stage__push(&st); }
 *	err = tt_stage__finish(&st);  // done() ran in the writer after the last batch
 *	tt_stage__cancel(&st);        // always: stops a writer still running, releases the stage
 */
#ifndef TT_LOAD_STAGE_H
#define TT_LOAD_STAGE_H

#include <pthread.h>

#define TT_STAGE_RING 4 /* batches per writer: one being filled, the others queued */

struct tt_stage {
	int fill;             /* the slot the producer fills; moved on by tt_stage__push() */
	/* the rest is the stage's own */
	pthread_t th;
	int started, joined;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int head, count;      /* queued batches, the one being consumed included */
	int closed;           /* the producer pushed its last batch */
	int err;              /* the writer's error; -ECANCELED when the producer gave up */
	int (*consume)(void *ctx, int slot);
	int (*done)(void *ctx);
	void *ctx;
};

/*
 * Start the writer of a zeroed st: it runs consume(ctx, slot) for each pushed slot, and done(ctx)
 * (may be NULL) once after the last one, unless a consume failed or the stage was cancelled. A
 * nonzero return of either is the stage's error. Returns 0 or the negative errno of
 * pthread_create().
 */
int tt_stage__start(struct tt_stage *st, int (*consume)(void *ctx, int slot), int (*done)(void *ctx),
		    void *ctx);

/*
 * Queue slot st->fill for the writer and move st->fill to the next slot, waiting while every
 * slot is queued (so the next one is free when this returns 0). Returns 0, the writer's error
 * (the batch is then not consumed), or -EINVAL for a stage not started.
 */
int tt_stage__push(struct tt_stage *st);

/*
 * No more batches: the writer runs done() once the queue is consumed, without the producer
 * waiting. Returns at once; may be called once, before tt_stage__finish().
 */
void tt_stage__close(struct tt_stage *st);

/* Close (if not yet) and wait until the writer consumed everything and ran done(). Returns its
 * error, 0 for a stage never started. */
int tt_stage__finish(struct tt_stage *st);

/*
 * Stop the writer without waiting for its queue (error paths) and release the stage; after
 * tt_stage__finish() only the release. Call it once for every started stage. Accepts a stage
 * never started.
 */
void tt_stage__cancel(struct tt_stage *st);

#endif /* TT_LOAD_STAGE_H */
