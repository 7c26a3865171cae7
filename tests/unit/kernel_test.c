/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/kernel: the thread state machine and the syscall pairing on synthetic
 * events (each case lists the exact rows it must produce), decoding of raw records made from
 * this kernel's format texts, and the rows tt_kernel_db writes into the schema's tables.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_schema.h"
#include "kernel.h"
#include "kernel_db.h"
#include "tp_format.h"
#include "tt_test.h"
#include "tt_util.h"

#define MAX_ROWS 512

/* A state machine whose rows are kept as text, sorted for comparison. */
struct harness {
	struct tt_kernel *k;
	char rows[MAX_ROWS][128];
	size_t n;
	uint64_t id;
	uint32_t cpu; /* the CPU of the events of sys() and wake() */
};

static int row_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int sink_state(void *ctx, const struct tt_kstate_row *r)
{
	struct harness *h = ctx;
	char end[32] = "open", waker[32] = "-";

	assert_true(h->n < MAX_ROWS);
	if (!r->open)
		snprintf(end, sizeof(end), "%llu", (unsigned long long)r->end_ts);
	if (r->waker_tid >= 0)
		snprintf(waker, sizeof(waker), "%lld", (long long)r->waker_tid);
	snprintf(h->rows[h->n++], sizeof(h->rows[0]), "T%u P%u %s %llu-%s c%d %s w%s", r->tid, r->pid,
		 tt_kstate_name(r->state), (unsigned long long)r->start_ts, end, r->cpu,
		 r->reason ? r->reason : "-", waker);
	return 0;
}

static int sink_sys(void *ctx, const struct tt_ksys_row *r)
{
	struct harness *h = ctx;
	char start[32] = "-", end[32] = "-", ret[32] = "-", a0[32] = "-";

	assert_true(h->n < MAX_ROWS);
	if (r->has_enter) {
		snprintf(start, sizeof(start), "%llu", (unsigned long long)r->start_ts);
		snprintf(a0, sizeof(a0), "%llu", (unsigned long long)r->args[0]);
	}
	if (r->has_exit) {
		snprintf(end, sizeof(end), "%llu", (unsigned long long)r->end_ts);
		snprintf(ret, sizeof(ret), "%lld", (long long)r->ret);
	}
	snprintf(h->rows[h->n++], sizeof(h->rows[0]), "S%u P%u nr%lld %s-%s ret=%s a0=%s", r->tid, r->pid,
		 (long long)r->nr, start, end, ret, a0);
	return 0;
}

static void h_init(struct harness *h)
{
	struct tt_kernel_sink sink = {sink_state, sink_sys, h};

	memset(h, 0, sizeof(*h));
	h->k = tt_kernel__new(&sink);
	assert_non_null(h->k);
}

static void feed(struct harness *h, struct tt_kev ev)
{
	if (!ev.capture)
		ev.capture = 1;
	if (!ev.tape)
		ev.tape = 1;
	ev.event_id = ++h->id;
	assert_int_equal(tt_kernel__event(h->k, &ev), 0);
}

/* sched_switch on cpu at ts: current = prev (of process prev_pid). */
static void sw(struct harness *h, uint64_t ts, uint32_t cpu, uint32_t prev_pid, uint32_t prev,
	       int64_t state, uint32_t next)
{
	feed(h, (struct tt_kev){.type = TT_KEV_SWITCH, .ts = ts, .cpu = cpu, .pid = prev_pid,
				.tid = prev, .prev_tid = prev, .prev_state = state, .next_tid = next});
}

static void wake(struct harness *h, uint64_t ts, uint32_t waker_pid, uint32_t waker, uint32_t tid,
		 int32_t target_cpu, int is_new)
{
	feed(h, (struct tt_kev){.type = is_new ? TT_KEV_WAKEUP_NEW : TT_KEV_WAKEUP, .ts = ts, .cpu = h->cpu,
				.pid = waker_pid, .tid = waker, .target_tid = tid, .target_cpu = target_cpu});
}

static void sys(struct harness *h, uint64_t ts, uint32_t pid, uint32_t tid, int enter, int64_t nr,
		int64_t ret_or_arg0)
{
	struct tt_kev ev = {.type = enter ? TT_KEV_SYS_ENTER : TT_KEV_SYS_EXIT, .ts = ts, .cpu = h->cpu,
			    .pid = pid, .tid = tid, .nr = nr};

	if (enter)
		ev.args[0] = (uint64_t)ret_or_arg0;
	else
		ev.ret = ret_or_arg0;
	feed(h, ev);
}

/* Finish, then compare the rows (sorted) with want[0..n) (sorted here too). */
static void h_check(struct harness *h, const char *const *want, size_t n)
{
	char (*w)[128] = calloc(n ? n : 1, sizeof(*w));

	assert_non_null(w);
	assert_int_equal(tt_kernel__finish(h->k), 0);
	for (size_t i = 0; i < n; i++)
		snprintf(w[i], sizeof(w[i]), "%s", want[i]);
	qsort(w, n, sizeof(*w), row_cmp);
	qsort(h->rows, h->n, sizeof(h->rows[0]), row_cmp);
	for (size_t i = 0; i < n && i < h->n; i++)
		assert_string_equal(h->rows[i], w[i]);
	assert_int_equal(h->n, n);
	free(w);
	tt_kernel__free(h->k);
}

TT_TEST(kernel, states_of_one_thread)
{
	struct harness h;
	static const char *const want[] = {
		/* thread 10, pid learnt at its first syscall: the held runnable row gets it */
		"T10 P10 runnable 100-150 c1 wakeup_new w5",
		"T10 P10 running 150-310 c1 - w-",
		"T10 P10 sleeping 310-1310 c1 S w-",
		"T10 P10 runnable 1310-1320 c1 wakeup w0",
		"T10 P10 running 1320-1400 c1 - w-",
		"T10 P10 blocked 1400-1500 c1 D w-",
		"T10 P10 runnable 1500-1600 c0 wakeup w7",
		"T10 P10 running 1600-open c0 - w-",
		/* thread 7, preempted by 10 then running again */
		"T7 P7 runnable 1320-1400 c1 R+ w-",
		"T7 P7 running 1400-1600 c1 - w-",
		"T7 P7 runnable 1600-open c0 R w-",
		"S10 P10 nr35 300-1330 ret=0 a0=4096",
	};

	h_init(&h);
	h.cpu = 1; /* the syscalls and wakeups come from threads running on CPU 1 */
	wake(&h, 100, 5, 5, 10, 1, 1);
	sw(&h, 150, 1, 0, 0, 0, 10);
	sys(&h, 300, 10, 10, 1, 35, 4096);
	sw(&h, 310, 1, 10, 10, TT_KSTATE_S, 0);
	wake(&h, 1310, 0, 0, 10, 1, 0);
	sw(&h, 1320, 1, 7, 7, TT_KSTATE_PREEMPTED, 10);
	sys(&h, 1330, 10, 10, 0, 35, 0);
	sw(&h, 1400, 1, 10, 10, TT_KSTATE_D, 7);
	wake(&h, 1500, 7, 7, 10, 0, 0);
	sw(&h, 1600, 0, 7, 7, 0, 10);
	h_check(&h, want, TT_ARRAY_SIZE(want));
}

TT_TEST(kernel, prev_state_letters)
{
	/* each prev_state puts thread 20 in a state with the kernel's letters as the reason */
	static const struct {
		int64_t prev_state;
		const char *row;
	} cases[] = {
		{0, "T20 P2 runnable 200-open c3 R w-"},
		{TT_KSTATE_PREEMPTED, "T20 P2 runnable 200-open c3 R+ w-"},
		{TT_KSTATE_S, "T20 P2 sleeping 200-open c3 S w-"},
		{TT_KSTATE_D, "T20 P2 blocked 200-open c3 D w-"},
		{TT_KSTATE_S | TT_KSTATE_D, "T20 P2 blocked 200-open c3 S|D w-"},
		{0x80, "T20 P2 sleeping 200-open c3 I w-"},
		{0x04, "T20 P2 sleeping 200-open c3 T w-"},
		{0x40, "T20 P2 sleeping 200-open c3 P w-"},
		{TT_KSTATE_X, NULL}, /* dead: nothing after its last interval */
		{TT_KSTATE_Z, NULL},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		const char *want[2] = {"T20 P2 running 100-200 c3 - w-", cases[i].row};
		struct harness h;

		h_init(&h);
		sw(&h, 100, 3, 0, 0, 0, 20);
		sw(&h, 200, 3, 2, 20, cases[i].prev_state, 0);
		h_check(&h, want, cases[i].row ? 2 : 1);
	}
}

TT_TEST(kernel, wakeup_of_running_thread_changes_nothing)
{
	struct harness h;
	static const char *const want[] = {
		"T30 P3 running 100-400 c0 - w-",
		"T30 P3 runnable 400-open c0 R w-",
	};

	h_init(&h);
	sw(&h, 100, 0, 0, 0, 0, 30);
	wake(&h, 200, 9, 9, 30, 0, 0);   /* raced with its switch-out that never came */
	sw(&h, 400, 0, 3, 30, 0, 0);
	wake(&h, 450, 9, 9, 30, 1, 0);   /* already runnable */
	h_check(&h, want, TT_ARRAY_SIZE(want));
}

TT_TEST(kernel, zero_length_and_out_of_order)
{
	struct harness h;
	static const char *const want[] = {
		"T40 P4 running 100-300 c0 - w-",
		"T40 P4 sleeping 300-open c0 S w-",
	};

	h_init(&h);
	wake(&h, 100, 1, 1, 40, 0, 1);   /* runnable 100-100: not written */
	sw(&h, 100, 0, 0, 0, 0, 40);
	sw(&h, 300, 0, 4, 40, TT_KSTATE_S, 0);
	wake(&h, 290, 1, 1, 40, 0, 0);   /* an event 10 ns "earlier": taken as simultaneous */
	sw(&h, 295, 0, 0, 0, 0, 40);
	sw(&h, 296, 0, 4, 40, TT_KSTATE_S, 0);
	h_check(&h, want, TT_ARRAY_SIZE(want));
}

TT_TEST(kernel, exit_without_final_switch_ends_at_exit)
{
	struct harness h;
	static const char *const want[] = {
		"T50 P50 running 100-700 c2 - w-",
		/* exit_group never returns: written without exit at sched_process_exit */
		"S50 P50 nr231 600-- ret=- a0=3",
	};

	h_init(&h);
	h.cpu = 2;
	sw(&h, 100, 2, 0, 0, 0, 50);
	sys(&h, 600, 50, 50, 1, 231, 3);
	feed(&h, (struct tt_kev){.type = TT_KEV_EXIT, .ts = 700, .cpu = 2, .pid = 50, .tid = 50,
				 .target_tid = 50});
	/* a pid filter stops here: no 'X' switch-out is recorded */
	h_check(&h, want, TT_ARRAY_SIZE(want));
}

TT_TEST(kernel, dead_thread_is_forgotten_and_tid_reuse)
{
	struct harness h;
	struct tt_kernel_stats st;
	static const char *const want[] = {
		"T60 P6 running 100-200 c0 - w-",
		/* seen woken, never switched in, then its tid is given to a new thread: the fork
		 * ends what was tracked under it (its pid never known) */
		"T61 P0 runnable 300-500 c0 wakeup w6",
		"T61 P61 runnable 500-600 c1 wakeup_new w60",
		"T61 P61 running 600-open c1 - w-",
		"S61 P61 nr39 650-651 ret=61 a0=0",
		/* a new 60 switched in without a fork: tracked afresh */
		"T60 P0 running 900-open c0 - w-",
	};

	h_init(&h);
	sw(&h, 100, 0, 0, 0, 0, 60);
	sw(&h, 200, 0, 6, 60, TT_KSTATE_Z, 0);     /* dead: forgotten */
	wake(&h, 300, 6, 6, 61, 0, 0);
	feed(&h, (struct tt_kev){.type = TT_KEV_FORK, .ts = 500, .pid = 6, .tid = 60, .target_tid = 61});
	wake(&h, 500, 6, 60, 61, 1, 1);
	sw(&h, 600, 1, 0, 0, 0, 61);
	h.cpu = 1;
	sys(&h, 650, 61, 61, 1, 39, 0);            /* tells 61's pid */
	sys(&h, 651, 61, 61, 0, 39, 61);
	sw(&h, 900, 0, 0, 0, 0, 60);
	tt_kernel__stats(h.k, &st);
	assert_int_equal(st.threads_peak, 2);
	h_check(&h, want, TT_ARRAY_SIZE(want));
}

TT_TEST(kernel, missed_switch_in_is_inferred)
{
	struct harness h;
	struct tt_kernel_stats st;
	static const char *const want[] = {
		"T10 P1 running 100-200 c0 - w-",
		"T10 P1 runnable 200-260 c0 R+ w-",
		/* the switch 11 -> 10 at 250 was not recorded: its next syscall shows it runs */
		"T10 P1 running 260-300 c1 inferred w-",
		"T10 P1 sleeping 300-open c1 S w-",
		"T11 P0 running 200-open c0 - w-",
		"S10 P1 nr228 150-160 ret=0 a0=0",
		"S10 P1 nr228 260-270 ret=0 a0=0",
	};

	h_init(&h);
	sw(&h, 100, 0, 0, 0, 0, 10);
	sys(&h, 150, 1, 10, 1, 228, 0);
	sys(&h, 160, 1, 10, 0, 228, 0);
	sw(&h, 200, 0, 1, 10, TT_KSTATE_PREEMPTED, 11);
	feed(&h, (struct tt_kev){.type = TT_KEV_SYS_ENTER, .ts = 260, .cpu = 1, .pid = 1, .tid = 10,
				 .nr = 228});
	h.cpu = 1;
	sys(&h, 270, 1, 10, 0, 228, 0);
	feed(&h, (struct tt_kev){.type = TT_KEV_SWITCH, .ts = 300, .cpu = 1, .pid = 1, .tid = 10,
				 .prev_tid = 10, .prev_state = TT_KSTATE_S});
	tt_kernel__stats(h.k, &st);
	assert_int_equal(st.inferred, 1);
	h_check(&h, want, TT_ARRAY_SIZE(want));
}

TT_TEST(kernel, unseen_switch_outs)
{
	struct harness h;
	struct tt_kernel_stats st;
	/* switched in again while taken as running: it ran until its last event, then unknown */
	static const char *const again[] = {
		"T10 P1 running 100-160 c0 - w-",
		"T10 P1 running 300-open c1 - w-",
		"S10 P1 nr39 150-160 ret=1 a0=0",
	};
	/* CPU 0 switches out another thread than the one it was running */
	static const char *const other[] = {
		"T20 P2 running 100-150 c0 - w-",
		"T21 P2 runnable 200-open c0 R w-",
		"S20 P2 nr39 150-- ret=- a0=0",
	};
	/* an event of the thread on another CPU than it runs on: it moved unseen */
	static const char *const moved[] = {
		"T30 P3 running 100-150 c0 - w-",
		"T30 P3 running 400-open c1 inferred w-",
		"S30 P3 nr0 150-400 ret=0 a0=0",
	};

	h_init(&h);
	sw(&h, 100, 0, 0, 0, 0, 10);
	sys(&h, 150, 1, 10, 1, 39, 0);
	sys(&h, 160, 1, 10, 0, 39, 1);
	sw(&h, 300, 1, 0, 0, 0, 10);
	tt_kernel__stats(h.k, &st);
	assert_int_equal(st.unseen_switch_outs, 1);
	h_check(&h, again, TT_ARRAY_SIZE(again));

	h_init(&h);
	sw(&h, 100, 0, 0, 0, 0, 20);
	sys(&h, 150, 2, 20, 1, 39, 0);
	sw(&h, 200, 0, 2, 21, 0, 0);
	h_check(&h, other, TT_ARRAY_SIZE(other));

	h_init(&h);
	sw(&h, 100, 0, 0, 0, 0, 30);
	sys(&h, 150, 3, 30, 1, 0, 0);
	h.cpu = 1;
	sys(&h, 400, 3, 30, 0, 0, 0);
	tt_kernel__stats(h.k, &st);
	assert_int_equal(st.unseen_switch_outs, 1);
	assert_int_equal(st.inferred, 1);
	h_check(&h, moved, TT_ARRAY_SIZE(moved));
}

TT_TEST(kernel, syscall_pairing)
{
	struct harness h;
	struct tt_kernel_stats st;
	static const char *const want[] = {
		"S70 P7 nr0 100-150 ret=5 a0=3",        /* read, paired */
		"S70 P7 nr1 200-- ret=- a0=4",          /* write whose exit was lost: next enter */
		"S70 P7 nr3 210-220 ret=0 a0=4",        /* close */
		"S70 P7 nr59 300-400 ret=0 a0=1234",    /* execve: exit from the new image, same tid */
		"S70 P7 nr39 500-- ret=- a0=0",         /* getpid enter, then a mismatching exit */
		"S70 P7 nr35 --510 ret=0 a0=-",         /* exit without enter */
		"S71 P7 nr202 --50 ret=0 a0=-",         /* futex: the capture began inside it */
		"S71 P7 nr230 600-- ret=- a0=1",        /* still in clock_nanosleep at the end */
	};

	h_init(&h);
	sys(&h, 50, 7, 71, 0, 202, 0);
	sys(&h, 100, 7, 70, 1, 0, 3);
	sys(&h, 150, 7, 70, 0, 0, 5);
	sys(&h, 200, 7, 70, 1, 1, 4);
	sys(&h, 210, 7, 70, 1, 3, 4);
	sys(&h, 220, 7, 70, 0, 3, 0);
	sys(&h, 300, 7, 70, 1, 59, 1234);
	sys(&h, 400, 7, 70, 0, 59, 0);
	sys(&h, 500, 7, 70, 1, 39, 0);
	sys(&h, 510, 7, 70, 0, 35, 0);
	sys(&h, 600, 7, 71, 1, 230, 1);
	h_check(&h, want, TT_ARRAY_SIZE(want));
	h_init(&h);
	sys(&h, 100, 7, 70, 1, 0, 3);
	sys(&h, 150, 7, 70, 0, 0, 5);
	sys(&h, 160, 7, 70, 0, 0, 5);
	tt_kernel__stats(h.k, &st);
	assert_int_equal(st.syscalls, 2);
	assert_int_equal(st.unpaired_exits, 1);
	assert_int_equal(st.unpaired_enters, 0);
	assert_int_equal(tt_kernel__finish(h.k), 0);
	tt_kernel__free(h.k);
}

TT_TEST(kernel, captures_are_separate)
{
	struct harness h;
	static const char *const want[] = {
		"T80 P8 running 100-open c0 - w-",
		"T80 P9 sleeping 150-open c1 S w-",
		"S80 P8 nr39 200-- ret=- a0=0",
	};

	h_init(&h);
	sw(&h, 100, 0, 0, 0, 0, 80);
	/* thread 80 of another capture (tape of another boot): another thread */
	feed(&h, (struct tt_kev){.type = TT_KEV_SWITCH, .capture = 2, .ts = 150, .cpu = 1, .pid = 9,
				 .tid = 80, .prev_tid = 80, .prev_state = TT_KSTATE_S});
	sys(&h, 200, 8, 80, 1, 39, 0); /* capture 1's 80 tells its pid */
	h_check(&h, want, TT_ARRAY_SIZE(want));
}

TT_TEST(kernel, held_rows_are_bounded)
{
	struct harness h;
	size_t unknown = 0, known = 0;

	/* a thread whose pid is never told: after a few held rows, rows go out with pid 0 */
	h_init(&h);
	for (uint64_t i = 0; i < 10; i++) {
		wake(&h, 1000 * i + 100, 1, 1, 90, 0, 0);
		sw(&h, 1000 * i + 200, 0, 0, 0, 0, 90);
		sw(&h, 1000 * i + 300, 0, 0, 90, TT_KSTATE_S, 0); /* pid 0 in the event: not learnt */
	}
	assert_int_equal(tt_kernel__finish(h.k), 0);
	for (size_t i = 0; i < h.n; i++) {
		assert_true(!strncmp(h.rows[i], "T90 P0 ", 7));
		unknown++;
	}
	assert_int_equal(unknown, 10 * 3 - 1 + 1); /* 3 per round but the first wakeup's, + open */
	tt_kernel__free(h.k);

	/* told late: the held rows get the pid, the later ones too */
	h_init(&h);
	for (uint64_t i = 0; i < 3; i++) {
		wake(&h, 1000 * i + 100, 1, 1, 91, 0, 0);
		sw(&h, 1000 * i + 200, 0, 0, 0, 0, 91);
		sw(&h, 1000 * i + 300, 0, 0, 91, TT_KSTATE_S, 0);
	}
	sys(&h, 5000, 44, 91, 1, 39, 0);
	assert_int_equal(tt_kernel__finish(h.k), 0);
	for (size_t i = 0; i < h.n; i++) {
		known += !strncmp(h.rows[i], "T91 P44 ", 8);
		unknown += !strncmp(h.rows[i], "T91 P0 ", 7);
	}
	/* 4 held and written with the pid once told; the 4 that came after the held slots were
	 * full went out with pid 0; the syscall ends its sleep (running inferred from it) */
	assert_int_equal(known, 6);
	assert_int_equal(unknown, 30 + 4);
	tt_kernel__free(h.k);
}

TT_TEST(kernel, memory_follows_live_threads)
{
	struct harness h;
	struct tt_kernel_stats st;

	/* 50000 short-lived threads, one after another: one is tracked at a time */
	h_init(&h);
	for (uint32_t t = 0; t < 50000; t++) {
		uint64_t ts = 1000 + (uint64_t)t * 10;

		sw(&h, ts, 0, 0, 0, 0, 1000 + t);
		sw(&h, ts + 5, 0, 7, 1000 + t, TT_KSTATE_X, 0);
		h.n = 0; /* the rows are not kept here */
	}
	tt_kernel__stats(h.k, &st);
	assert_int_equal(st.threads_peak, 1);
	assert_int_equal(st.states, 50000);
	assert_int_equal(tt_kernel__finish(h.k), 0);
	tt_kernel__free(h.k);
}

/* ---- decoding and the database ---- */

#define FMT_HEAD(name, id)                                                              \
	"name: " name "\nID: " #id "\nformat:\n"                                       \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"          \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"          \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"  \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

/* Format texts of this kernel (6.18), as tracefs prints them. */
static const char switch_fmt[] = FMT_HEAD("sched_switch", 372)
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n\nprint fmt: \"\"\n";
static const char wakeup_fmt[] = FMT_HEAD("sched_wakeup", 374)
	"\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:int target_cpu;\toffset:32;\tsize:4;\tsigned:1;\n\nprint fmt: \"\"\n";
static const char enter_fmt[] = FMT_HEAD("sys_enter", 443)
	"\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n\nprint fmt: \"\"\n";
static const char exit_fmt[] = FMT_HEAD("sys_exit", 442)
	"\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n\nprint fmt: \"\"\n";
static const char fork_fmt[] = FMT_HEAD("sched_process_fork", 366)
	"\tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t parent_pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:__data_loc char[] child_comm;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t child_pid;\toffset:20;\tsize:4;\tsigned:1;\n\nprint fmt: \"\"\n";
static const char exec_fmt[] = FMT_HEAD("sched_process_exec", 365)
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n\nprint fmt: \"\"\n";

static struct tt_tp_format *parse(const char *system, const char *text)
{
	struct tt_tp_format *fmt = NULL;
	char err[128];

	assert_int_equal(tt_tp_format_parse(system, text, &fmt, err, sizeof(err)), 0);
	return fmt;
}

static void put32(uint8_t *rec, size_t off, uint32_t v)
{
	tt_put_le32(rec + off, v);
}

static void put64(uint8_t *rec, size_t off, uint64_t v)
{
	tt_put_le64(rec + off, v);
}

TT_TEST(kernel, decodes_raw_records)
{
	struct tt_tp_format *sw_f = parse("sched", switch_fmt), *wk_f = parse("sched", wakeup_fmt);
	struct tt_tp_format *en_f = parse("raw_syscalls", enter_fmt), *ex_f = parse("raw_syscalls", exit_fmt);
	struct tt_tp_format *fk_f = parse("sched", fork_fmt), *ec_f = parse("sched", exec_fmt);
	struct tt_kdecoder d;
	struct tt_kev ev;
	uint8_t rec[64] = {0};

	assert_int_equal(tt_kdecoder__init(&d, sw_f), TT_KEV_SWITCH);
	put32(rec, 24, 1234);
	put64(rec, 32, TT_KSTATE_PREEMPTED);
	put32(rec, 56, 5678);
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(tt_kdecoder__decode(&d, rec, 64, &ev), 0);
	assert_int_equal(ev.type, TT_KEV_SWITCH);
	assert_int_equal(ev.prev_tid, 1234);
	assert_int_equal(ev.prev_state, TT_KSTATE_PREEMPTED);
	assert_int_equal(ev.next_tid, 5678);
	assert_int_equal(tt_kdecoder__decode(&d, rec, 40, &ev), -ERANGE); /* cut before next_pid */

	memset(rec, 0, sizeof(rec));
	assert_int_equal(tt_kdecoder__init(&d, wk_f), TT_KEV_WAKEUP);
	put32(rec, 24, 42);
	put32(rec, 32, 3);
	assert_int_equal(tt_kdecoder__decode(&d, rec, 36, &ev), 0);
	assert_int_equal(ev.target_tid, 42);
	assert_int_equal(ev.target_cpu, 3);

	memset(rec, 0, sizeof(rec));
	assert_int_equal(tt_kdecoder__init(&d, en_f), TT_KEV_SYS_ENTER);
	put64(rec, 8, 1);
	for (int i = 0; i < 6; i++)
		put64(rec, 16 + 8 * (size_t)i, i == 1 ? UINT64_MAX : (uint64_t)(100 + i));
	assert_int_equal(tt_kdecoder__decode(&d, rec, 64, &ev), 0);
	assert_int_equal(ev.nr, 1);
	assert_int_equal(ev.args[0], 100);
	assert_true(ev.args[1] == UINT64_MAX);
	assert_int_equal(ev.args[5], 105);

	memset(rec, 0, sizeof(rec));
	assert_int_equal(tt_kdecoder__init(&d, ex_f), TT_KEV_SYS_EXIT);
	put64(rec, 8, 1);
	put64(rec, 16, (uint64_t)-14); /* -EFAULT */
	assert_int_equal(tt_kdecoder__decode(&d, rec, 24, &ev), 0);
	assert_int_equal(ev.ret, -14);

	memset(rec, 0, sizeof(rec));
	assert_int_equal(tt_kdecoder__init(&d, fk_f), TT_KEV_FORK);
	put32(rec, 20, 777);
	assert_int_equal(tt_kdecoder__decode(&d, rec, 24, &ev), 0);
	assert_int_equal(ev.target_tid, 777);

	/* not one of ours */
	assert_int_equal(tt_kdecoder__init(&d, ec_f), TT_KEV_NONE);
	tt_tp_format_free(sw_f);
	tt_tp_format_free(wk_f);
	tt_tp_format_free(en_f);
	tt_tp_format_free(ex_f);
	tt_tp_format_free(fk_f);
	tt_tp_format_free(ec_f);
}

TT_TEST(kernel, syscall_names)
{
	assert_string_equal(tt_syscall_name(0), "read");
	assert_string_equal(tt_syscall_name(1), "write");
	assert_string_equal(tt_syscall_name(35), "nanosleep");
	assert_string_equal(tt_syscall_name(39), "getpid");
	assert_string_equal(tt_syscall_name(59), "execve");
	assert_string_equal(tt_syscall_name(231), "exit_group");
	assert_null(tt_syscall_name(-1));
	assert_null(tt_syscall_name(100000));
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void query_text(sqlite3 *db, const char *sql, char *buf, size_t sz)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, sz, "%s", sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "NULL");
	sqlite3_finalize(st);
}

TT_TEST(kernel, rows_in_the_database)
{
	struct tt_tp_format *sw_f = parse("sched", switch_fmt), *en_f = parse("raw_syscalls", enter_fmt);
	struct tt_tp_format *ex_f = parse("raw_syscalls", exit_fmt), *ec_f = parse("sched", exec_fmt);
	struct tt_out out = {stdout, stderr, 0, "kernel_test", 0};
	struct tt_kernel_db *kdb;
	struct tt_kernel_stats st;
	uint8_t rec[64] = {0};
	const char *sql;
	char buf[512];
	size_t len;
	sqlite3 *db;

	assert_int_equal(tt_db_open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, &out), 0);
	tt_db_schema_tables(&sql, &len);
	assert_int_equal(tt_db_exec(db, sql, (int)len, &out), 0);
	assert_int_equal(tt_kernel_db__new(db, &out, &kdb), 0);
	/* idle -> 100 on cpu 2 at 1000; 100 enters write(7, buf, 3) at 1100, returns 3 at 1250;
	 * 100 sleeps at 2000; an exec record (ignored) */
	put32(rec, 56, 100);
	assert_int_equal(tt_kernel_db__record(kdb, sw_f, 1, 1, 1, 1000, 0, 0, 2, rec, 64), 0);
	memset(rec, 0, sizeof(rec));
	put64(rec, 8, 1);
	put64(rec, 16, 7);
	put64(rec, 24, 0x7ffd0000);
	put64(rec, 32, 3);
	assert_int_equal(tt_kernel_db__record(kdb, en_f, 1, 1, 2, 1100, 100, 100, 2, rec, 64), 0);
	memset(rec, 0, sizeof(rec));
	put64(rec, 8, 1);
	put64(rec, 16, 3);
	assert_int_equal(tt_kernel_db__record(kdb, ex_f, 1, 1, 3, 1250, 100, 100, 2, rec, 24), 0);
	assert_int_equal(tt_kernel_db__record(kdb, ec_f, 1, 1, 4, 1300, 100, 100, 2, rec, 20), 0);
	memset(rec, 0, sizeof(rec));
	put32(rec, 24, 100);
	put64(rec, 32, TT_KSTATE_S);
	assert_int_equal(tt_kernel_db__record(kdb, sw_f, 1, 1, 5, 2000, 100, 100, 2, rec, 64), 0);
	assert_int_equal(tt_kernel_db__finish(kdb, &st), 0);
	assert_int_equal(st.events, 4);
	assert_int_equal(st.states, 2);
	assert_int_equal(st.syscalls, 1);

	query_text(db, "SELECT group_concat(tape || ',' || pid || ',' || tid || ',' || state || ',' || "
		   "start_ts || ',' || ifnull(end_ts, 'N') || ',' || ifnull(dur, 'N') || ',' || cpu || ',' "
		   "|| ifnull(reason, 'N') || ',' || ifnull(waker_tid, 'N') || ',' || begin_event_id || ',' "
		   "|| ifnull(end_event_id, 'N'), ' ') FROM (SELECT * FROM thread_states ORDER BY start_ts)",
		   buf, sizeof(buf));
	assert_string_equal(buf, "1,100,100,running,1000,2000,1000,2,N,N,1,5 "
				 "1,100,100,sleeping,2000,N,N,2,S,N,5,N");
	query_text(db, "SELECT tape || ',' || pid || ',' || tid || ',' || nr || ',' || name || ',' || arg0 "
		   "|| ',' || arg1 || ',' || arg2 || ',' || arg3 || ',' || ret || ',' || start_ts || ',' || "
		   "end_ts || ',' || dur || ',' || enter_event_id || ',' || exit_event_id FROM syscalls",
		   buf, sizeof(buf));
	assert_string_equal(buf, "1,100,100,1,write,7,2147287040,3,0,3,1100,1250,150,2,3");
	assert_int_equal(query_int(db, "SELECT count(*) FROM syscalls"), 1);
	tt_kernel_db__free(kdb);
	sqlite3_close(db);
	tt_tp_format_free(sw_f);
	tt_tp_format_free(en_f);
	tt_tp_format_free(ex_f);
	tt_tp_format_free(ec_f);
}
