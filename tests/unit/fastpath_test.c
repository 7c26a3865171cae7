/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the fast path: recorder/fastpath.c's shared memory driven by the SDK's own
 * runtime (this file is built with TT_FASTPATH, so its probes are fast-path sites). One memfd
 * for the whole file, since a binary attaches once: the sites switch on only for the probes
 * offered (and TT_PROBE_ENABLED with them), a hit becomes a record that the ring decoder reads
 * back with every value, string, truncation and fault as the BPF path records them, a full
 * ring loses hits and counts every one, the recorder refuses what a process may forge (a probe
 * not offered, another pid, broken framing), and `stop` switches the sites off again.
 */
#define TT_FASTPATH
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "fastpath.h"
#include "ring_decode.h"
#include "tracetape/probe.h"
#include "tt_test.h"

#define STRLEN 8

/* Probe ids 0..2 are offered; 3 exists in the recorder's table but is not offered. */
static struct tt_probe_set_probe probes[4] = {
	[0] = {.d = {.id = 0, .argc = 2}},
	[1] = {.d = {.id = 1, .argc = 3}, .str_mask = 0x1 | 0x4},
	[2] = {.d = {.id = 2, .argc = 0}},
	[3] = {.d = {.id = 3, .argc = 1}},
};

static struct tt_fast *shm;

struct got {
	size_t n;
	struct tt_ring_rec rec[8];
	uint8_t bytes[8][512]; /* each record copied: rec points into it */
};

static int keep(void *ctx, void *data, size_t size)
{
	struct got *g = ctx;
	struct tt_ring_decoder d = {.probes = probes, .probe_cnt = 4, .probe_fork = UINT32_MAX,
				    .probe_exec = UINT32_MAX, .probe_exit = UINT32_MAX};

	assert_true(g->n < 8 && size <= sizeof(g->bytes[0]));
	memcpy(g->bytes[g->n], data, size);
	assert_int_equal(tt_ring_decode(&d, g->bytes[g->n], size, &g->rec[g->n]), 0);
	g->n++;
	return 0;
}

static int count(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	(*(long *)ctx)++;
	return 0;
}

struct lost {
	uint64_t count[4], last_ts;
};

static void add_lost(void *ctx, uint32_t probe_id, uint64_t n, uint64_t last_ts_ns)
{
	struct lost *l = ctx;

	assert_true(probe_id < 4);
	l->count[probe_id] += n;
	l->last_ts = last_ts_ns;
}

static void fire_two(int a, long b)
{
	TT_PROBE(ut, two, a, b);
}

static void fire_str(const char *s, double d, const char *t)
{
	TT_PROBE(ut, str, s, d, t);
}

/* The memfd, with rings of the smallest size, and this binary attached to it (once). */
static void attach(void)
{
	struct stat st;
	char env[32];

	if (shm)
		return;
	assert_int_equal(stat("/proc/self/exe", &st), 0);
	struct tt_fast_offer offers[] = {
		{0, 2, 0, major(st.st_dev), minor(st.st_dev), st.st_ino, "ut", "two"},
		{1, 3, 0x5, major(st.st_dev), minor(st.st_dev), st.st_ino, "ut", "str"},
		{2, 0, 0, major(st.st_dev), minor(st.st_dev), st.st_ino, "ut", "none"},
	};
	shm = tt_fast__new();
	assert_non_null(shm);
	assert_int_equal(tt_fast__setup(shm, offers, 3, 4, STRLEN, 2, 2 * TT_RING_REC_MAX), 0);
	snprintf(env, sizeof(env), "%d", tt_fast__fd(shm));
	setenv(TT_FAST_ENV, env, 1);
	__tt_fast_init();
	assert_int_equal(tt_fast__attached(shm), 1);
}

TT_TEST(fastpath, rejects_bad_geometry)
{
	struct tt_fast_offer o = {5, 1, 0, 0, 0, 1, "p", "n"};
	struct tt_fast *f = tt_fast__new();

	assert_non_null(f);
	assert_true(tt_fast__fd(f) >= 0);
	assert_int_equal(tt_fast__setup(f, &o, 1, 4, 8, 2, 2 * TT_RING_REC_MAX), -EINVAL); /* id */
	assert_int_equal(tt_fast__setup(f, NULL, 0, 4, 8, 2, 3 * TT_RING_REC_MAX), -EINVAL); /* 2^n */
	assert_int_equal(tt_fast__setup(f, NULL, 0, 4, 8, 2, TT_RING_REC_MAX), -EINVAL); /* < 2 */
	assert_int_equal(tt_fast__setup(f, NULL, 0, 4, TT_STRLEN_MAX + 1, 2, 2 * TT_RING_REC_MAX),
			 -EINVAL);
	o.probe_id = 0;
	o.name = "a_name_longer_than_the_sixty_four_bytes_a_table_entry_holds_for_it";
	assert_int_equal(tt_fast__setup(f, &o, 1, 4, 8, 2, 2 * TT_RING_REC_MAX), -EINVAL);
	/* Nothing set up: nothing to drain, no losses, stop is harmless. */
	assert_int_equal(tt_fast__consume(f, NULL, NULL), 0);
	assert_int_equal(tt_fast__attached(f), 0);
	tt_fast__stop(f);
	tt_fast__free(f);
}

TT_TEST(fastpath, records_decode_as_bpf_records)
{
	struct got g = {0};

	attach();
	assert_true(TT_PROBE_ENABLED(ut, two));
	assert_true(TT_PROBE_ENABLED(ut, str));
	fire_two(-5, 1L << 40);
	fire_str("short", 1.5, NULL);
	fire_str("longer than eight", -0.0, "12345678");
	TT_PROBE(ut, none);
	assert_int_equal(tt_fast__consume(shm, keep, &g), 4);
	assert_int_equal(g.n, 4);

	struct tt_event *e = &g.rec[0].ev;
	assert_int_equal(e->probe_id, 0);
	assert_int_equal(e->pid, getpid());
	assert_int_equal(e->tid, gettid());
	assert_int_equal(e->argc, 2);
	assert_int_equal(e->args[0], (uint64_t)-5);
	assert_int_equal(e->args[1], 1ull << 40);

	e = &g.rec[1].ev;
	assert_int_equal(e->probe_id, 1);
	assert_int_equal(e->strs[0].len, 5);
	assert_memory_equal(e->strs[0].ptr, "short", 5);
	assert_int_equal(e->strs[0].flags, 0);
	double d = 1.5;
	assert_memory_equal(&e->args[1], &d, 8);
	assert_int_equal(e->strs[2].flags, TT_STR_FAULT); /* NULL, as the BPF path records it */
	assert_int_equal(e->fault_mask, 0x4);

	e = &g.rec[2].ev;
	assert_int_equal(e->strs[0].len, STRLEN); /* cut to the limit and flagged */
	assert_memory_equal(e->strs[0].ptr, "longer t", STRLEN);
	assert_int_equal(e->strs[0].flags, TT_STR_TRUNCATED);
	assert_int_equal(e->strs[2].len, STRLEN); /* exactly the limit: not truncated */
	assert_int_equal(e->strs[2].flags, 0);
	assert_int_equal(e->fault_mask, 0);
	assert_true(g.rec[2].ev.ts_ns >= g.rec[0].ev.ts_ns);
	assert_int_equal(g.rec[1].ev.seq, g.rec[0].ev.seq + 1);

	assert_int_equal(g.rec[3].ev.probe_id, 2);
	assert_int_equal(g.rec[3].ev.argc, 0);
	assert_int_equal(tt_fast__rejected(shm), 0);
}

TT_TEST(fastpath, full_ring_counts_every_loss)
{
	struct lost l = {{0}, 0};
	long got = 0, fired = 3000;
	struct timespec t0;

	attach();
	tt_fast__consume(shm, count, &got);
	got = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < fired; i++) /* 64-byte records: a 32 KiB ring holds 512 */
		fire_two((int)i, i);
	tt_fast__consume(shm, count, &got);
	tt_fast__harvest(shm, add_lost, &l);
	assert_true(got > 0 && l.count[0] > 0);
	assert_int_equal((uint64_t)got + l.count[0], (uint64_t)fired);
	assert_true(l.last_ts >= (uint64_t)t0.tv_sec * 1000000000ull + (uint64_t)t0.tv_nsec);
	/* Reported once: the next harvest has nothing new. */
	memset(&l, 0, sizeof(l));
	tt_fast__harvest(shm, add_lost, &l);
	assert_int_equal(l.count[0], 0);
	/* After a drain the ring takes records again. */
	got = 0;
	fire_two(1, 2);
	assert_int_equal(tt_fast__consume(shm, count, &got), 1);
}

TT_TEST(fastpath, forged_records_are_refused)
{
	struct tt_fast_ring *r = __tt_fast_th.ring;
	unsigned char *data;
	struct tt_fast_rec *rec;
	long got = 0;
	uint64_t head;

	attach();
	assert_non_null(r);
	tt_fast__consume(shm, count, &got);
	data = (unsigned char *)r + __tt_fast_st.data_off;
	/* A probe that was not offered, one claiming another pid, one on a CPU the tape cannot
	 * name: all skipped. */
	fire_two(1, 2);
	fire_two(3, 4);
	fire_two(5, 6);
	head = r->head;
	rec = (struct tt_fast_rec *)(data + ((head - 192) & __tt_fast_st.mask));
	rec->probe_id = 3;
	rec = (struct tt_fast_rec *)(data + ((head - 128) & __tt_fast_st.mask));
	rec->pid = rec->pid + 1;
	rec = (struct tt_fast_rec *)(data + ((head - 64) & __tt_fast_st.mask));
	rec->cpu = 1u << 20;
	got = 0;
	assert_int_equal(tt_fast__consume(shm, count, &got), 0);
	assert_int_equal(tt_fast__rejected(shm), 3);
	/* A size that runs past the published head: the ring is given up, nothing read. */
	fire_two(5, 6);
	rec = (struct tt_fast_rec *)(data + ((r->head - 64) & __tt_fast_st.mask));
	rec->size = 4000;
	assert_int_equal(tt_fast__consume(shm, count, &got), 0);
	assert_int_equal(tt_fast__rings_abandoned(shm), 1);
}

TT_TEST(fastpath, stop_switches_sites_off)
{
	attach();
	assert_true(TT_PROBE_ENABLED(ut, none));
	tt_fast__stop(shm);
	TT_PROBE(ut, none); /* the first hit after stop switches every site of the binary off */
	assert_false(TT_PROBE_ENABLED(ut, none));
	assert_false(TT_PROBE_ENABLED(ut, two));
}
