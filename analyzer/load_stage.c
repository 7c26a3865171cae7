/* SPDX-License-Identifier: MIT */
/*
 * The loader's writer threads (load_stage.h): one mutex and one condition variable per stage,
 * signalled by both sides; the writer holds the lock only to take a slot or to give it back.
 */
#include <errno.h>
#include <pthread.h>

#include "load_stage.h"

static void *stage_main(void *arg)
{
	struct tt_stage *st = arg;
	int err = 0, done;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		int slot;

		while (st->count == 0 && !st->closed && !st->err)
			pthread_cond_wait(&st->cv, &st->mu);
		if (st->count == 0 || st->err)
			break;
		slot = st->head;
		pthread_mutex_unlock(&st->mu);
		err = st->consume(st->ctx, slot);
		pthread_mutex_lock(&st->mu);
		st->head = (st->head + 1) % TT_STAGE_RING;
		st->count--;
		if (err && !st->err)
			st->err = err;
		pthread_cond_broadcast(&st->cv);
	}
	done = st->closed && !st->err;
	pthread_mutex_unlock(&st->mu);
	err = done && st->done ? st->done(st->ctx) : 0;
	pthread_mutex_lock(&st->mu);
	if (err && !st->err)
		st->err = err;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

int tt_stage__start(struct tt_stage *st, int (*consume)(void *ctx, int slot), int (*done)(void *ctx),
		    void *ctx)
{
	int err;

	st->consume = consume;
	st->done = done;
	st->ctx = ctx;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	err = -pthread_create(&st->th, NULL, stage_main, st);
	if (err) {
		pthread_mutex_destroy(&st->mu);
		pthread_cond_destroy(&st->cv);
		return err;
	}
	st->started = 1;
	return 0;
}

int tt_stage__push(struct tt_stage *st)
{
	int err;

	if (!st->started)
		return -EINVAL;
	pthread_mutex_lock(&st->mu);
	st->count++;
	pthread_cond_broadcast(&st->cv);
	while (st->count == TT_STAGE_RING && !st->err)
		pthread_cond_wait(&st->cv, &st->mu);
	err = st->err;
	pthread_mutex_unlock(&st->mu);
	st->fill = (st->fill + 1) % TT_STAGE_RING;
	return err;
}

void tt_stage__close(struct tt_stage *st)
{
	if (!st->started)
		return;
	pthread_mutex_lock(&st->mu);
	st->closed = 1;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

int tt_stage__finish(struct tt_stage *st)
{
	if (!st->started)
		return 0;
	if (!st->joined) {
		tt_stage__close(st);
		pthread_join(st->th, NULL);
		st->joined = 1;
	}
	return st->err;
}

void tt_stage__cancel(struct tt_stage *st)
{
	if (!st->started)
		return;
	if (!st->joined) {
		pthread_mutex_lock(&st->mu);
		if (!st->err)
			st->err = -ECANCELED;
		st->closed = 1;
		pthread_cond_broadcast(&st->cv);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->th, NULL);
		st->joined = 1;
	}
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	st->started = 0;
}
