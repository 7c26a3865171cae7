/* SPDX-License-Identifier: MIT */
/*
 * Thread states and syscalls from kernel tracepoints (kernel.h).
 *
 * The state rules, per thread (key: capture, tid; the idle task, tid 0, is never tracked):
 *
 *   sched_switch prev=P   P leaves the CPU. prev_state 0 ('R') or with the preempt bit 0x100
 *                         ('R+'): runnable; 'D' (0x2) in it: blocked; 'X' or 'Z' (0x10, 0x20):
 *                         the thread is dead, it is forgotten; any other letter ('S', 'I', 'T',
 *                         't', 'P'): sleeping. reason = the letters, as the kernel prints them.
 *   sched_switch next=N   N runs (on that CPU) from now.
 *   sched_wakeup T        a sleeping or blocked T (or one not seen yet) becomes runnable;
 *                         reason 'wakeup', waker_tid = the current thread (0: an interrupt on
 *                         an idle CPU). Running or runnable T: a wakeup that raced with its
 *                         switch-out, nothing changes.
 *   sched_wakeup_new T    a new thread becomes runnable (reason 'wakeup_new', waker = parent).
 *   sched_process_fork C  a thread C is created: whatever was tracked under C's tid belonged to
 *                         an earlier thread whose end was not recorded, and ends here.
 *   sched_process_exit T  T is exiting: its syscall in progress (exit, exit_group) will never
 *                         return and becomes a row without exit now; its last switch-out
 *                         ('X'/'Z') ends its states. When that switch-out is not recorded (a
 *                         pid filter stops at the exit), its last interval ends at the exit.
 *
 *   any other event of T     T is the current task, so it runs: if T was taken as runnable,
 *   as current task          sleeping or blocked (or not seen yet, once the capture has shown
 *                            a sched_switch), it runs from this event on, reason 'inferred'.
 *                            Its switch-in was not recorded: the kernel skips a BPF program on
 *                            a CPU where another one is still running, and since 6.14 the
 *                            syscall tracepoints' programs can be preempted (the recording
 *                            with --syscalls loses switch-ins that way, silently).
 *
 *   a running thread that   left its CPU unseen (its switch-out was not recorded, for the same
 *   is switched in again,   reason): its running interval ends at its latest event, and its
 *   whose CPU switches out  state is not known until its next event (no row: the report counts
 *   or shows another        that time as unknown).
 *   thread, or that shows
 *   up on another CPU
 *
 * Each change ends the thread's previous interval at the event's time; intervals of zero
 * length are not written. At the end of the capture each thread's current interval is written
 * open (no end). A thread's pid (TGID) is learnt from the first event in which it is the current
 * task; the few intervals that end before that (a new thread's first runnable wait) are held
 * back, at most HELD_MAX per thread, and written once the pid is known.
 *
 * Syscalls: sys_enter opens one per thread; sys_exit with the same number closes it. A sys_enter
 * while one is open (its exit was lost) writes the open one without exit; a sys_exit that does
 * not match writes a row without enter (e.g. the capture began inside it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "tt_error.h"
#include "tt_util.h"

#define KS_NONE 0xff  /* no interval open */
#define HELD_MAX 4    /* intervals held back per thread while its pid is unknown */
#define REASON_SZ 24  /* "S|D|T|t|X|Z|P|I+" and the fixed reasons fit */

struct held {
	struct tt_kstate_row row;
	char reason[REASON_SZ];
};

struct kthr {
	uint64_t key;        /* capture << 32 | tid; 0: free slot (tid 0 is never stored) */
	uint32_t pid;        /* 0: not known yet */
	uint32_t tape;       /* of the event that began the current interval */
	uint8_t state;       /* enum tt_kstate, or KS_NONE */
	uint8_t in_sys;      /* a syscall is in progress */
	uint8_t held_n;
	uint8_t exiting;     /* sched_process_exit seen: exit_ts, exit_id */
	int32_t cpu;
	int64_t waker;
	uint64_t since, since_id;
	char reason[REASON_SZ];
	int64_t sys_nr;
	uint64_t sys_args[6], sys_start, sys_id;
	uint32_t sys_tape;
	uint64_t exit_ts, exit_id;
	uint64_t seen_ts, seen_id; /* the latest event that showed it running */
	struct held *held;   /* HELD_MAX slots, allocated when first needed */
};

struct tt_kernel {
	struct tt_kernel_sink sink;
	struct kthr *t;      /* open addressing, linear probing, at most half full */
	size_t cap, cnt;
	int switch_seen;     /* a sched_switch came: states are tracked */
	struct kcpu *cpus;   /* which thread each CPU runs, by the recorded switches */
	size_t cpu_cap, cpu_cnt;
	struct tt_kernel_stats st;
};

struct kcpu {
	uint64_t key;        /* capture << 32 | cpu; 0: free */
	uint32_t tid;
};

const char *tt_kstate_name(unsigned state)
{
	static const char *const names[TT_KS_CNT] = {"running", "runnable", "sleeping", "blocked"};

	return state < TT_KS_CNT ? names[state] : NULL;
}

/* ---- the thread table ---- */

static uint64_t key_of(uint32_t capture, uint32_t tid)
{
	return (uint64_t)capture << 32 | tid;
}

static size_t slot_of(uint64_t key, size_t cap)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static int table_grow(struct tt_kernel *k)
{
	size_t cap = k->cap ? k->cap * 2 : 256;
	struct kthr *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < k->cap; i++) {
		size_t j;

		if (!k->t[i].key)
			continue;
		for (j = slot_of(k->t[i].key, cap); t[j].key; j = (j + 1) & (cap - 1))
			;
		t[j] = k->t[i];
	}
	free(k->t);
	k->t = t;
	k->cap = cap;
	return 0;
}

static struct kthr *thr_find(struct tt_kernel *k, uint32_t capture, uint32_t tid)
{
	uint64_t key = key_of(capture, tid);

	if (!tid || !k->cap)
		return NULL;
	for (size_t j = slot_of(key, k->cap); k->t[j].key; j = (j + 1) & (k->cap - 1))
		if (k->t[j].key == key)
			return &k->t[j];
	return NULL;
}

/* The thread, tracked from now if it was not. NULL for tid 0 or without memory (*err set). */
static struct kthr *thr_get(struct tt_kernel *k, uint32_t capture, uint32_t tid, int *err)
{
	struct kthr *t = thr_find(k, capture, tid);
	uint64_t key = key_of(capture, tid);
	size_t j;

	if (t || !tid)
		return t;
	if ((k->cnt + 1) * 2 > k->cap && table_grow(k)) {
		*err = -ENOMEM;
		return NULL;
	}
	for (j = slot_of(key, k->cap); k->t[j].key; j = (j + 1) & (k->cap - 1))
		;
	t = &k->t[j];
	memset(t, 0, sizeof(*t));
	t->key = key;
	t->state = KS_NONE;
	t->cpu = -1;
	t->waker = -1;
	k->cnt++;
	if (k->cnt > k->st.threads_peak)
		k->st.threads_peak = k->cnt;
	return t;
}

/* Forget t (its rows were written): backward-shift deletion keeps the probe chains whole. */
static void thr_drop(struct tt_kernel *k, struct kthr *t)
{
	size_t i = (size_t)(t - k->t), j = i;

	free(t->held);
	memset(&k->t[i], 0, sizeof(k->t[i]));
	k->cnt--;
	for (;;) {
		size_t home;

		j = (j + 1) & (k->cap - 1);
		if (!k->t[j].key)
			return;
		home = slot_of(k->t[j].key, k->cap);
		/* move j back to i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			k->t[i] = k->t[j];
			memset(&k->t[j], 0, sizeof(k->t[j]));
			i = j;
		}
	}
}

/* The thread CPU cpu of capture runs (0: idle or not known), to be read or set. */
static uint32_t *cpu_slot(struct tt_kernel *k, uint32_t capture, uint32_t cpu, int *err)
{
	uint64_t key = key_of(capture, cpu) + 1; /* never 0 */
	size_t j;

	if ((k->cpu_cnt + 1) * 2 > k->cpu_cap) {
		size_t cap = k->cpu_cap ? k->cpu_cap * 2 : 64;
		struct kcpu *c = calloc(cap, sizeof(*c));

		if (!c) {
			*err = -ENOMEM;
			return NULL;
		}
		for (size_t i = 0; i < k->cpu_cap; i++) {
			if (!k->cpus[i].key)
				continue;
			for (j = slot_of(k->cpus[i].key, cap); c[j].key; j = (j + 1) & (cap - 1))
				;
			c[j] = k->cpus[i];
		}
		free(k->cpus);
		k->cpus = c;
		k->cpu_cap = cap;
	}
	for (j = slot_of(key, k->cpu_cap); k->cpus[j].key; j = (j + 1) & (k->cpu_cap - 1))
		if (k->cpus[j].key == key)
			return &k->cpus[j].tid;
	k->cpus[j].key = key;
	k->cpus[j].tid = 0;
	k->cpu_cnt++;
	return &k->cpus[j].tid;
}

/* ---- rows ---- */

static int put_state(struct tt_kernel *k, const struct tt_kstate_row *row)
{
	k->st.states++;
	return k->sink.state ? k->sink.state(k->sink.ctx, row) : 0;
}

/* The held intervals of t, with its pid now known (or still 0 at its end). */
static int flush_held(struct tt_kernel *k, struct kthr *t)
{
	int err = 0;

	for (uint8_t i = 0; i < t->held_n && !err; i++) {
		struct held *h = &t->held[i];

		h->row.pid = t->pid;
		h->row.reason = h->reason[0] ? h->reason : NULL;
		err = put_state(k, &h->row);
	}
	t->held_n = 0;
	return err;
}

/* Write t's current interval, ending at ts (open: at the end of the capture). */
static int end_state(struct tt_kernel *k, struct kthr *t, uint64_t ts, uint64_t id, int open)
{
	struct tt_kstate_row row = {
		.tape = t->tape,
		.pid = t->pid,
		.tid = (uint32_t)t->key,
		.state = t->state,
		.open = open,
		.start_ts = t->since,
		.end_ts = open ? 0 : TT_MAX(ts, t->since),
		.begin_event_id = t->since_id,
		.end_event_id = open ? 0 : id,
		.cpu = t->cpu,
		.reason = t->reason[0] ? t->reason : NULL,
		.waker_tid = t->waker,
	};

	if (t->state == KS_NONE || (!open && row.end_ts == row.start_ts))
		return 0;
	if (!t->pid && !open) {
		if (!t->held && !(t->held = malloc(HELD_MAX * sizeof(*t->held))))
			return -ENOMEM;
		if (t->held_n < HELD_MAX) {
			struct held *h = &t->held[t->held_n++];

			h->row = row;
			memcpy(h->reason, t->reason, sizeof(h->reason));
			return 0;
		}
	}
	return put_state(k, &row);
}

/* End t's interval at the event and begin state st (KS_NONE: none) with its reason. */
static int transition(struct tt_kernel *k, struct kthr *t, const struct tt_kev *ev, uint8_t st,
		      const char *reason, int32_t cpu, int64_t waker)
{
	/* an event a little earlier than the interval's start: taken as simultaneous */
	uint64_t since = t->state != KS_NONE && t->since > ev->ts ? t->since : ev->ts;
	int err = end_state(k, t, ev->ts, ev->event_id, 0);

	t->state = st;
	t->since = since;
	t->since_id = ev->event_id;
	if (st == TT_KS_RUNNING) {
		t->seen_ts = since;
		t->seen_id = ev->event_id;
	}
	t->tape = ev->tape;
	t->cpu = cpu;
	t->waker = waker;
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
	return err;
}

/*
 * t was taken as running, but it left the CPU without a recorded switch-out: its running ends
 * at the latest event that showed it running; until its next event its state is not known.
 */
static int run_lost(struct tt_kernel *k, struct kthr *t)
{
	int err;

	k->st.unseen_switch_outs++;
	err = end_state(k, t, TT_MAX(t->seen_ts, t->since), t->seen_ts > t->since ? t->seen_id : t->since_id, 0);
	t->state = KS_NONE;
	return err;
}

static int put_sys(struct tt_kernel *k, const struct tt_ksys_row *row)
{
	k->st.syscalls++;
	k->st.unpaired_enters += !row->has_exit;
	k->st.unpaired_exits += !row->has_enter;
	return k->sink.syscall ? k->sink.syscall(k->sink.ctx, row) : 0;
}

/* t's syscall in progress as a row without exit. */
static int sys_unpaired(struct tt_kernel *k, struct kthr *t)
{
	struct tt_ksys_row row = {
		.tape = t->sys_tape, .pid = t->pid, .tid = (uint32_t)t->key, .nr = t->sys_nr,
		.has_enter = 1, .start_ts = t->sys_start, .enter_event_id = t->sys_id,
	};

	if (!t->in_sys)
		return 0;
	t->in_sys = 0;
	memcpy(row.args, t->sys_args, sizeof(row.args));
	return put_sys(k, &row);
}

/*
 * Everything t still holds, written, its interval ending at ev (ev NULL: at the end of the
 * capture, open; but an exiting thread's at its exit when its last switch-out was not seen: a
 * pid filter stops recording a process at its exit); then t is forgotten.
 */
static int thr_end(struct tt_kernel *k, struct kthr *t, const struct tt_kev *ev)
{
	int err;

	if (ev)
		err = end_state(k, t, ev->ts, ev->event_id, 0);
	else if (t->exiting)
		err = end_state(k, t, t->exit_ts, t->exit_id, 0);
	else
		err = end_state(k, t, 0, 0, 1);

	if (!err)
		err = flush_held(k, t);
	if (!err)
		err = sys_unpaired(k, t);
	thr_drop(k, t);
	return err;
}

/* ---- events ---- */

/* prev_state as the kernel prints it: "R", "R+", "S", "D", "S|D"... */
static void state_letters(int64_t s, char *buf, size_t sz)
{
	static const char letters[] = "SDTtXZPI";
	size_t n = 0;

	buf[0] = 0;
	for (int b = 0; b < 8; b++) {
		if (!(s & (1 << b)))
			continue;
		n += (size_t)snprintf(buf + n, sz - n, "%s%c", n ? "|" : "", letters[b]);
	}
	if (!n)
		n = (size_t)snprintf(buf, sz, "R");
	if (s & TT_KSTATE_PREEMPTED)
		snprintf(buf + n, sz - n, "+");
}

static int on_switch(struct tt_kernel *k, const struct tt_kev *ev)
{
	struct kthr *t;
	int err = 0;
	uint32_t *on_cpu = cpu_slot(k, ev->capture, ev->cpu, &err);

	if (!on_cpu)
		return err;
	/* the CPU ran another thread than prev: that one's switch-out was not recorded */
	if (*on_cpu && *on_cpu != ev->prev_tid) {
		t = thr_find(k, ev->capture, *on_cpu);
		if (t && t->state == TT_KS_RUNNING && t->cpu == (int32_t)ev->cpu)
			err = run_lost(k, t);
		if (err)
			return err;
	}
	*on_cpu = ev->next_tid;
	if (ev->prev_tid) {
		int64_t s = ev->prev_state;
		unsigned bits = (unsigned)(s & 0xff);
		char letters[REASON_SZ];
		uint8_t st;

		t = thr_get(k, ev->capture, ev->prev_tid, &err);
		if (!t)
			return err;
		if (!t->pid && ev->prev_tid == ev->tid && ev->pid) {
			t->pid = ev->pid;
			err = flush_held(k, t);
		}
		if (!err && (bits & (TT_KSTATE_X | TT_KSTATE_Z)))
			err = thr_end(k, t, ev);
		else if (!err) {
			if (!bits || (s & TT_KSTATE_PREEMPTED))
				st = TT_KS_RUNNABLE;
			else if (bits & TT_KSTATE_D)
				st = TT_KS_BLOCKED;
			else
				st = TT_KS_SLEEPING;
			state_letters(s, letters, sizeof(letters));
			err = transition(k, t, ev, st, letters, (int32_t)ev->cpu, -1);
		}
		if (err)
			return err;
	}
	if (ev->next_tid) {
		t = thr_get(k, ev->capture, ev->next_tid, &err);
		if (!t)
			return err;
		/* switched in while taken as running: its switch-out was not recorded */
		if (t->state == TT_KS_RUNNING)
			err = run_lost(k, t);
		if (!err)
			err = transition(k, t, ev, TT_KS_RUNNING, NULL, (int32_t)ev->cpu, -1);
	}
	return err;
}

static int on_wakeup(struct tt_kernel *k, const struct tt_kev *ev)
{
	int err = 0, is_new = ev->type == TT_KEV_WAKEUP_NEW;
	struct kthr *t = thr_get(k, ev->capture, ev->target_tid, &err);

	if (!t)
		return err;
	if (!is_new && (t->state == TT_KS_RUNNING || t->state == TT_KS_RUNNABLE))
		return 0;
	return transition(k, t, ev, TT_KS_RUNNABLE, is_new ? "wakeup_new" : "wakeup", ev->target_cpu,
			  ev->tid);
}

static int on_sys_enter(struct tt_kernel *k, struct kthr *t, const struct tt_kev *ev)
{
	int err = sys_unpaired(k, t);

	t->in_sys = 1;
	t->sys_nr = ev->nr;
	t->sys_start = ev->ts;
	t->sys_id = ev->event_id;
	t->sys_tape = ev->tape;
	memcpy(t->sys_args, ev->args, sizeof(t->sys_args));
	return err;
}

static int on_sys_exit(struct tt_kernel *k, struct kthr *t, const struct tt_kev *ev)
{
	struct tt_ksys_row row = {
		.tape = ev->tape, .pid = ev->pid, .tid = ev->tid, .nr = ev->nr,
		.has_exit = 1, .ret = ev->ret, .end_ts = ev->ts, .exit_event_id = ev->event_id,
	};
	int err;

	if (t->in_sys && t->sys_nr == ev->nr) {
		t->in_sys = 0;
		row.tape = t->sys_tape;
		row.has_enter = 1;
		memcpy(row.args, t->sys_args, sizeof(row.args));
		row.start_ts = t->sys_start;
		row.enter_event_id = t->sys_id;
		if (row.end_ts < row.start_ts)
			row.end_ts = row.start_ts;
		return put_sys(k, &row);
	}
	err = sys_unpaired(k, t);
	return err ? err : put_sys(k, &row);
}

struct tt_kernel *tt_kernel__new(const struct tt_kernel_sink *sink)
{
	struct tt_kernel *k = calloc(1, sizeof(*k));

	if (!k) {
		errno = ENOMEM;
		return NULL;
	}
	k->sink = *sink;
	return k;
}

int tt_kernel__event(struct tt_kernel *k, const struct tt_kev *ev)
{
	struct kthr *cur;
	int err = 0;

	k->st.events++;
	/* the current task tells its pid */
	cur = thr_find(k, ev->capture, ev->tid);
	if (cur && !cur->pid && ev->pid) {
		cur->pid = ev->pid;
		err = flush_held(k, cur);
		if (err)
			return err;
	}
	if (ev->type == TT_KEV_SYS_ENTER || ev->type == TT_KEV_SYS_EXIT) {
		cur = thr_get(k, ev->capture, ev->tid, &err);
		if (!cur)
			return err;
		if (!cur->pid)
			cur->pid = ev->pid;
	}
	/* the current task runs here, whatever was recorded about it */
	if (cur && k->switch_seen && ev->type != TT_KEV_SWITCH) {
		uint32_t *on_cpu = cpu_slot(k, ev->capture, ev->cpu, &err);

		if (!on_cpu)
			return err;
		if (*on_cpu && *on_cpu != ev->tid) {
			/* the CPU was taken as running another thread: it left unseen */
			struct kthr *o = thr_find(k, ev->capture, *on_cpu);

			if (o && o->state == TT_KS_RUNNING && o->cpu == (int32_t)ev->cpu)
				err = run_lost(k, o);
		}
		if (!err && cur->state == TT_KS_RUNNING && cur->cpu != (int32_t)ev->cpu)
			err = run_lost(k, cur); /* it moved to another CPU unseen */
		if (!err && cur->state != TT_KS_RUNNING) {
			k->st.inferred++;
			err = transition(k, cur, ev, TT_KS_RUNNING, "inferred", (int32_t)ev->cpu, -1);
		}
		if (err)
			return err;
		*on_cpu = ev->tid;
		cur->seen_ts = TT_MAX(cur->seen_ts, ev->ts);
		cur->seen_id = ev->event_id;
	}
	switch (ev->type) {
	case TT_KEV_SWITCH:
		k->switch_seen = 1;
		return on_switch(k, ev);
	case TT_KEV_WAKEUP:
	case TT_KEV_WAKEUP_NEW:
		return on_wakeup(k, ev);
	case TT_KEV_FORK: {
		struct kthr *t = thr_find(k, ev->capture, ev->target_tid);

		/* an earlier thread of that tid whose end was not recorded */
		return t ? thr_end(k, t, t->exiting ? NULL : ev) : 0;
	}
	case TT_KEV_EXIT: {
		struct kthr *t = thr_find(k, ev->capture, ev->target_tid ? ev->target_tid : ev->tid);

		if (!t)
			return 0;
		if (t->state == KS_NONE) /* nothing more to learn about it (no scheduler events) */
			return thr_end(k, t, ev);
		t->exiting = 1;
		t->exit_ts = ev->ts;
		t->exit_id = ev->event_id;
		return sys_unpaired(k, t);
	}
	case TT_KEV_SYS_ENTER:
		return on_sys_enter(k, cur, ev);
	case TT_KEV_SYS_EXIT:
		return on_sys_exit(k, cur, ev);
	default:
		return 0;
	}
}

int tt_kernel__finish(struct tt_kernel *k)
{
	int err = 0;

	for (size_t i = 0; i < k->cap && !err; i++) {
		struct kthr *t = &k->t[i];

		if (!t->key)
			continue;
		err = t->exiting ? end_state(k, t, t->exit_ts, t->exit_id, 0) : end_state(k, t, 0, 0, 1);
		if (!err)
			err = flush_held(k, t);
		if (!err)
			err = sys_unpaired(k, t);
	}
	for (size_t i = 0; i < k->cap; i++)
		if (k->t[i].key)
			free(k->t[i].held);
	free(k->t);
	k->t = NULL;
	k->cap = k->cnt = 0;
	return err;
}

void tt_kernel__stats(const struct tt_kernel *k, struct tt_kernel_stats *st)
{
	*st = k->st;
}

void tt_kernel__free(struct tt_kernel *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->cap; i++)
		if (k->t[i].key)
			free(k->t[i].held);
	free(k->t);
	free(k->cpus);
	free(k);
}

/* ---- decoding ---- */

static const struct {
	const char *system, *name;
	uint8_t type;
	const char *fields[3];
} known[] = {
	{"sched", "sched_switch", TT_KEV_SWITCH, {"prev_pid", "prev_state", "next_pid"}},
	{"sched", "sched_wakeup", TT_KEV_WAKEUP, {"pid", "target_cpu", NULL}},
	{"sched", "sched_wakeup_new", TT_KEV_WAKEUP_NEW, {"pid", "target_cpu", NULL}},
	{"sched", "sched_process_fork", TT_KEV_FORK, {"child_pid", NULL, NULL}},
	{"sched", "sched_process_exit", TT_KEV_EXIT, {"pid", NULL, NULL}},
	{"raw_syscalls", "sys_enter", TT_KEV_SYS_ENTER, {"id", "args", NULL}},
	{"raw_syscalls", "sys_exit", TT_KEV_SYS_EXIT, {"id", "ret", NULL}},
};

int tt_kdecoder__init(struct tt_kdecoder *d, const struct tt_tp_format *fmt)
{
	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < TT_ARRAY_SIZE(known); i++) {
		if (strcmp(fmt->system, known[i].system) || strcmp(fmt->name, known[i].name))
			continue;
		for (int f = 0; f < 3 && known[i].fields[f]; f++) {
			const struct tt_tp_field *fl = tt_tp_format_field(fmt, known[i].fields[f]);
			int want_array = known[i].type == TT_KEV_SYS_ENTER && f == 1;

			if (!fl || (want_array ? fl->kind != TT_TPF_ARRAY || fl->count < 6
					       : fl->kind != TT_TPF_INT))
				return d->type = TT_KEV_NONE;
			d->f[f] = fl;
		}
		return d->type = known[i].type;
	}
	return d->type = TT_KEV_NONE;
}

int tt_kdecoder__decode(const struct tt_kdecoder *d, const uint8_t *rec, size_t len,
			struct tt_kev *ev)
{
	uint64_t v[3] = {0};

	ev->type = d->type;
	for (int f = 0; f < 3; f++)
		if (d->f[f] && d->f[f]->kind == TT_TPF_INT && tt_tp_field_int(d->f[f], rec, len, 0, &v[f]))
			return -ERANGE;
	switch (d->type) {
	case TT_KEV_SWITCH:
		ev->prev_tid = (uint32_t)v[0];
		ev->prev_state = (int64_t)v[1];
		ev->next_tid = (uint32_t)v[2];
		break;
	case TT_KEV_WAKEUP:
	case TT_KEV_WAKEUP_NEW:
		ev->target_tid = (uint32_t)v[0];
		ev->target_cpu = (int32_t)v[1];
		break;
	case TT_KEV_FORK:
	case TT_KEV_EXIT:
		ev->target_tid = (uint32_t)v[0];
		break;
	case TT_KEV_SYS_ENTER:
		ev->nr = (int64_t)v[0];
		for (uint32_t i = 0; i < 6; i++)
			if (tt_tp_field_int(d->f[1], rec, len, i, &ev->args[i]))
				return -ERANGE;
		break;
	case TT_KEV_SYS_EXIT:
		ev->nr = (int64_t)v[0];
		ev->ret = (int64_t)v[1];
		break;
	default:
		break;
	}
	return 0;
}

/* ---- the loader's side ---- */

struct kdec_entry {
	const struct tt_tp_format *fmt;
	struct tt_kdecoder d;
};

#define KROWS 16        /* rows per multi-row INSERT: one statement run per KROWS rows */
#define STATE_PARAMS 12
#define SYS_PARAMS 17

/* A thread_states row waiting for its batch, its reason copied. */
struct kstate_buf {
	struct tt_kstate_row row;
	char reason[REASON_SZ];
};

struct tt_kernel_db {
	sqlite3 *db;
	const struct tt_out *out;
	struct tt_kernel *k;
	sqlite3_stmt *ins_state[2], *ins_sys[2]; /* one row, KROWS rows */
	struct kstate_buf states[KROWS];
	struct tt_ksys_row calls[KROWS];
	size_t state_n, call_n;
	struct kdec_entry *dec;
	size_t dec_cnt, dec_cap, last;
};

static int kdb_fail(struct tt_kernel_db *kdb, const char *what)
{
	tt_err(kdb->out, "%s: %s", what, sqlite3_errmsg(kdb->db));
	return -TT_E_SQL;
}

static int kdb_step(struct tt_kernel_db *kdb, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : kdb_fail(kdb, "cannot insert kernel rows");
}

/* Bind r as the row at parameter offset b of a thread_states INSERT. */
static void bind_state(sqlite3_stmt *st, int b, const struct tt_kstate_row *r)
{
	sqlite3_bind_int64(st, b + 1, r->tape);
	if (r->pid)
		sqlite3_bind_int64(st, b + 2, r->pid);
	else
		sqlite3_bind_null(st, b + 2);
	sqlite3_bind_int64(st, b + 3, r->tid);
	sqlite3_bind_text(st, b + 4, tt_kstate_name(r->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, b + 5, (int64_t)r->start_ts);
	if (r->open) {
		sqlite3_bind_null(st, b + 6);
		sqlite3_bind_null(st, b + 7);
		sqlite3_bind_null(st, b + 12);
	} else {
		sqlite3_bind_int64(st, b + 6, (int64_t)r->end_ts);
		sqlite3_bind_int64(st, b + 7, (int64_t)(r->end_ts - r->start_ts));
		sqlite3_bind_int64(st, b + 12, (int64_t)r->end_event_id);
	}
	if (r->cpu >= 0)
		sqlite3_bind_int64(st, b + 8, r->cpu);
	else
		sqlite3_bind_null(st, b + 8);
	/* the reason lives in the batch until the statement ran; NULL binds NULL */
	sqlite3_bind_text(st, b + 9, r->reason, -1, SQLITE_STATIC);
	if (r->waker_tid >= 0)
		sqlite3_bind_int64(st, b + 10, r->waker_tid);
	else
		sqlite3_bind_null(st, b + 10);
	sqlite3_bind_int64(st, b + 11, (int64_t)r->begin_event_id);
}

/* Bind r as the row at parameter offset b of a syscalls INSERT. */
static void bind_sys(sqlite3_stmt *st, int b, const struct tt_ksys_row *r)
{
	sqlite3_bind_int64(st, b + 1, r->tape);
	sqlite3_bind_int64(st, b + 2, r->pid);
	sqlite3_bind_int64(st, b + 3, r->tid);
	sqlite3_bind_int64(st, b + 4, r->nr);
	sqlite3_bind_text(st, b + 5, tt_syscall_name(r->nr), -1, SQLITE_STATIC);
	for (int a = 0; a < 6; a++) {
		if (r->has_enter)
			sqlite3_bind_int64(st, b + 6 + a, (int64_t)r->args[a]);
		else
			sqlite3_bind_null(st, b + 6 + a);
	}
	if (r->has_exit) {
		sqlite3_bind_int64(st, b + 12, r->ret);
		sqlite3_bind_int64(st, b + 14, (int64_t)r->end_ts);
		sqlite3_bind_int64(st, b + 17, (int64_t)r->exit_event_id);
	} else {
		sqlite3_bind_null(st, b + 12);
		sqlite3_bind_null(st, b + 14);
		sqlite3_bind_null(st, b + 17);
	}
	if (r->has_enter) {
		sqlite3_bind_int64(st, b + 13, (int64_t)r->start_ts);
		sqlite3_bind_int64(st, b + 16, (int64_t)r->enter_event_id);
	} else {
		sqlite3_bind_null(st, b + 13);
		sqlite3_bind_null(st, b + 16);
	}
	if (r->has_enter && r->has_exit)
		sqlite3_bind_int64(st, b + 15, (int64_t)(r->end_ts - r->start_ts));
	else
		sqlite3_bind_null(st, b + 15);
}

/* Insert the batched rows: a full batch in one statement, a partial one row by row. */
static int kdb_flush(struct tt_kernel_db *kdb)
{
	int err = 0;

	if (kdb->state_n == KROWS) {
		for (size_t i = 0; i < KROWS; i++)
			bind_state(kdb->ins_state[1], (int)i * STATE_PARAMS, &kdb->states[i].row);
		err = kdb_step(kdb, kdb->ins_state[1]);
	} else {
		for (size_t i = 0; i < kdb->state_n && !err; i++) {
			bind_state(kdb->ins_state[0], 0, &kdb->states[i].row);
			err = kdb_step(kdb, kdb->ins_state[0]);
		}
	}
	kdb->state_n = 0;
	if (kdb->call_n == KROWS) {
		for (size_t i = 0; i < KROWS; i++)
			bind_sys(kdb->ins_sys[1], (int)i * SYS_PARAMS, &kdb->calls[i]);
		if (!err)
			err = kdb_step(kdb, kdb->ins_sys[1]);
	} else {
		for (size_t i = 0; i < kdb->call_n && !err; i++) {
			bind_sys(kdb->ins_sys[0], 0, &kdb->calls[i]);
			err = kdb_step(kdb, kdb->ins_sys[0]);
		}
	}
	kdb->call_n = 0;
	return err;
}

static int kdb_state(void *ctx, const struct tt_kstate_row *r)
{
	struct tt_kernel_db *kdb = ctx;
	struct kstate_buf *b = &kdb->states[kdb->state_n++];

	b->row = *r;
	if (r->reason) {
		snprintf(b->reason, sizeof(b->reason), "%s", r->reason);
		b->row.reason = b->reason;
	}
	return kdb->state_n == KROWS ? kdb_flush(kdb) : 0;
}

static int kdb_sys(void *ctx, const struct tt_ksys_row *r)
{
	struct tt_kernel_db *kdb = ctx;

	kdb->calls[kdb->call_n++] = *r;
	return kdb->call_n == KROWS ? kdb_flush(kdb) : 0;
}

/* The INSERT of `rows` rows into table (cols, params per row). */
static int kdb_prepare(struct tt_kernel_db *kdb, const char *table, const char *cols, int params,
		       int rows, sqlite3_stmt **st)
{
	struct tt_buf sql = {0};
	int err = tt_buf_printf(&sql, "INSERT INTO %s (%s) VALUES ", table, cols);

	for (int r = 0; r < rows && !err; r++) {
		err = tt_buf_append(&sql, r ? ",(?" : "(?", r ? 3 : 2);
		for (int p = 1; p < params && !err; p++)
			err = tt_buf_append(&sql, ",?", 2);
		if (!err)
			err = tt_buf_append(&sql, ")", 1);
	}
	if (!err)
		err = tt_buf_append(&sql, "", 1);
	if (!err && sqlite3_prepare_v3(kdb->db, (const char *)sql.data, -1, SQLITE_PREPARE_PERSISTENT, st,
				       NULL) != SQLITE_OK)
		err = kdb_fail(kdb, "SQL error");
	tt_buf_free(&sql);
	return err;
}

int tt_kernel_db__new(sqlite3 *db, const struct tt_out *out, struct tt_kernel_db **kdb)
{
	static const char state_cols[] = "tape, pid, tid, state, start_ts, end_ts, dur, cpu, reason, "
					  "waker_tid, begin_event_id, end_event_id";
	static const char sys_cols[] = "tape, pid, tid, nr, name, arg0, arg1, arg2, arg3, arg4, arg5, "
					"ret, start_ts, end_ts, dur, enter_event_id, exit_event_id";
	struct tt_kernel_db *d = calloc(1, sizeof(*d));
	struct tt_kernel_sink sink = {kdb_state, kdb_sys, d};
	int err = -ENOMEM;

	*kdb = NULL;
	if (!d)
		return -ENOMEM;
	d->db = db;
	d->out = out;
	d->k = tt_kernel__new(&sink);
	if (!d->k)
		goto cleanup;
	for (int m = 0; m < 2; m++) {
		err = kdb_prepare(d, "thread_states", state_cols, STATE_PARAMS, m ? KROWS : 1, &d->ins_state[m]);
		if (!err)
			err = kdb_prepare(d, "syscalls", sys_cols, SYS_PARAMS, m ? KROWS : 1, &d->ins_sys[m]);
		if (err)
			goto cleanup;
	}
	*kdb = d;
	return 0;
cleanup:
	tt_kernel_db__free(d);
	return err;
}

/* The decoder of fmt, made on its first record (a handful of formats: a short list). */
static const struct tt_kdecoder *decoder_of(struct tt_kernel_db *kdb, const struct tt_tp_format *fmt)
{
	struct kdec_entry *e;

	if (kdb->last < kdb->dec_cnt && kdb->dec[kdb->last].fmt == fmt)
		return &kdb->dec[kdb->last].d;
	for (size_t i = 0; i < kdb->dec_cnt; i++)
		if (kdb->dec[i].fmt == fmt) {
			kdb->last = i;
			return &kdb->dec[i].d;
		}
	if (tt_grow((void **)&kdb->dec, &kdb->dec_cap, kdb->dec_cnt + 1, sizeof(*kdb->dec)))
		return NULL;
	e = &kdb->dec[kdb->dec_cnt];
	e->fmt = fmt;
	tt_kdecoder__init(&e->d, fmt);
	kdb->last = kdb->dec_cnt++;
	return &e->d;
}

int tt_kernel_db__record(struct tt_kernel_db *kdb, const struct tt_tp_format *fmt, uint32_t capture,
			 uint32_t tape, uint64_t event_id, uint64_t ts, uint32_t pid, uint32_t tid,
			 uint32_t cpu, const uint8_t *rec, size_t len)
{
	const struct tt_kdecoder *d = decoder_of(kdb, fmt);
	struct tt_kev ev = {
		.capture = capture, .tape = tape, .event_id = event_id, .ts = ts,
		.pid = pid, .tid = tid, .cpu = cpu,
	};

	if (!d)
		return -ENOMEM;
	/* a record too short for its fields is decoded as NULLs in its tp_ table: skip it here */
	if (d->type == TT_KEV_NONE || tt_kdecoder__decode(d, rec, len, &ev))
		return 0;
	return tt_kernel__event(kdb->k, &ev);
}

int tt_kernel_db__finish(struct tt_kernel_db *kdb, struct tt_kernel_stats *st)
{
	struct tt_kernel_stats ks;
	sqlite3_stmt *ins = NULL;
	int err = tt_kernel__finish(kdb->k);

	if (!err)
		err = kdb_flush(kdb);
	tt_kernel__stats(kdb->k, &ks);
	if (st)
		*st = ks;
	if (err || !ks.events)
		return err;
	/* how much of the states rests on inference (meta, documented in tracetape.sql) */
	if (sqlite3_prepare_v2(kdb->db, "INSERT INTO meta (tape, key, value) VALUES (NULL, ?, ?)", -1,
			       &ins, NULL) != SQLITE_OK)
		return kdb_fail(kdb, "SQL error");
	for (int i = 0; i < 2 && !err; i++) {
		char v[32];

		snprintf(v, sizeof(v), "%llu", (unsigned long long)(i ? ks.unseen_switch_outs : ks.inferred));
		sqlite3_bind_text(ins, 1, i ? "kernel_unseen_switch_outs" : "kernel_inferred_switch_ins", -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, v, -1, SQLITE_TRANSIENT);
		err = kdb_step(kdb, ins);
	}
	sqlite3_finalize(ins);
	return err;
}

void tt_kernel_db__free(struct tt_kernel_db *kdb)
{
	if (!kdb)
		return;
	for (int m = 0; m < 2; m++) {
		sqlite3_finalize(kdb->ins_state[m]);
		sqlite3_finalize(kdb->ins_sys[m]);
	}
	tt_kernel__free(kdb->k);
	free(kdb->dec);
	free(kdb);
}
