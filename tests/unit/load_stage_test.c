/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/load_stage.c: the writer thread and its ring of batches. A slow writer
 * makes the producer wait on a full ring; every batch must come to the writer once, in order,
 * never overwritten before it was consumed; done() runs once after the last one, and not after
 * an error or a cancel.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "load_stage.h"
#include "tt_test.h"

struct sink {
	int batch[TT_STAGE_RING]; /* what the producer put in each slot */
	int seen[64];
	int seen_n;
	int done_n, done_after; /* done() calls, and how many batches it came after */
	int fail_at;            /* consume fails on this batch (-1: never) */
	int slow;               /* microseconds per batch */
};

static int consume(void *ctx, int slot)
{
	struct sink *s = ctx;

	if (s->slow)
		usleep((useconds_t)s->slow);
	if (s->seen_n == s->fail_at)
		return -EIO;
	s->seen[s->seen_n++] = s->batch[slot];
	return 0;
}

static int done(void *ctx)
{
	struct sink *s = ctx;

	s->done_n++;
	s->done_after = s->seen_n;
	return 0;
}

static void sink_init(struct sink *s, int fail_at, int slow)
{
	memset(s, 0, sizeof(*s));
	s->fail_at = fail_at;
	s->slow = slow;
}

TT_TEST(load_stage, batches_come_in_order_through_a_full_ring)
{
	struct tt_stage st = {0};
	struct sink s;

	sink_init(&s, -1, 2000);
	assert_int_equal(tt_stage__start(&st, consume, done, &s), 0);
	for (int i = 0; i < 20; i++) {
		s.batch[st.fill] = 100 + i; /* the slot is free: the writer is done with it */
		assert_int_equal(tt_stage__push(&st), 0);
	}
	assert_int_equal(tt_stage__finish(&st), 0);
	assert_int_equal(s.seen_n, 20);
	for (int i = 0; i < 20; i++)
		assert_int_equal(s.seen[i], 100 + i);
	assert_int_equal(s.done_n, 1);
	assert_int_equal(s.done_after, 20);
	assert_int_equal(tt_stage__finish(&st), 0); /* again: the same answer */
	tt_stage__cancel(&st);
}

TT_TEST(load_stage, close_runs_done_without_waiting_for_it)
{
	struct tt_stage st = {0};
	struct sink s;

	sink_init(&s, -1, 0);
	assert_int_equal(tt_stage__start(&st, consume, done, &s), 0);
	s.batch[st.fill] = 7;
	assert_int_equal(tt_stage__push(&st), 0);
	tt_stage__close(&st);
	assert_int_equal(tt_stage__finish(&st), 0);
	assert_int_equal(s.seen_n, 1);
	assert_int_equal(s.done_n, 1);
	tt_stage__cancel(&st);
}

TT_TEST(load_stage, a_writer_error_stops_it_and_reaches_the_producer)
{
	struct tt_stage st = {0};
	struct sink s;
	int err = 0, pushed = 0;

	sink_init(&s, 2, 0);
	assert_int_equal(tt_stage__start(&st, consume, done, &s), 0);
	/* the error comes back from a push once the writer met it, at the latest from finish */
	while (!err && pushed < 50) {
		s.batch[st.fill] = pushed++;
		err = tt_stage__push(&st);
		usleep(200);
	}
	assert_true(err == 0 || err == -EIO);
	assert_int_equal(tt_stage__finish(&st), -EIO);
	assert_int_equal(s.seen_n, 2); /* nothing after the failed batch */
	assert_int_equal(s.done_n, 0);
	tt_stage__cancel(&st);
}

TT_TEST(load_stage, cancel_does_not_run_done)
{
	struct tt_stage st = {0}, never = {0};
	struct sink s;

	sink_init(&s, -1, 1000);
	assert_int_equal(tt_stage__start(&st, consume, done, &s), 0);
	for (int i = 0; i < 3; i++) {
		s.batch[st.fill] = i;
		assert_int_equal(tt_stage__push(&st), 0);
	}
	tt_stage__cancel(&st);
	assert_int_equal(s.done_n, 0);
	assert_true(s.seen_n <= 3);
	/* a stage never started: nothing to wait for, nothing to push to */
	assert_int_equal(tt_stage__push(&never), -EINVAL);
	assert_int_equal(tt_stage__finish(&never), 0);
	tt_stage__cancel(&never);
}
