/* SPDX-License-Identifier: MIT */
/*
 * Thread states and syscalls from kernel tracepoints (kernel.h): the state machine. Decoding
 * raw records and writing the rows into the database are kernel_db.c.
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "tt_error.h"
#include "tt_hash.h"
#include "tt_util.h"

#define KS_NONE 0xff  /* no interval open */
#define HELD_MAX 4    /* intervals held back per thread while its pid is unknown */
#define REASON_SZ TT_KSTATE_REASON_SZ

struct held {
	struct tt_kstate_row row;
	char reason[REASON_SZ];
};

struct kthr {
	uint64_t key;        /* capture << 32 | tid (tid 0 is never stored) */
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
	struct kthr *t;      /* the live threads, t[0..cnt); a dropped one's place takes the last */
	size_t cap, cnt;
	struct tt_hidx t_index; /* key -> position in t */
	int switch_seen;     /* a sched_switch came: states are tracked */
	struct kcpu *cpus;   /* which thread each CPU runs, by the recorded switches */
	size_t cpu_cap, cpu_cnt;
	struct tt_hidx cpu_index; /* key -> position in cpus */
	struct tt_kernel_stats st;
};

struct kcpu {
	uint64_t key;        /* capture << 32 | cpu */
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

static uint32_t hash_of(uint64_t key)
{
	return (uint32_t)tt_hash_u64(key);
}

/* What the equality functions get: the machine and the key looked for. */
struct lookup {
	const struct tt_kernel *k;
	uint64_t key;
};

static bool thr_eq(const void *ctx, uint32_t pos)
{
	const struct lookup *l = ctx;

	return l->k->t[pos].key == l->key;
}

static bool cpu_eq(const void *ctx, uint32_t pos)
{
	const struct lookup *l = ctx;

	return l->k->cpus[pos].key == l->key;
}

static struct kthr *thr_find(struct tt_kernel *k, uint32_t capture, uint32_t tid)
{
	struct lookup l = {k, key_of(capture, tid)};
	int64_t pos;

	if (!tid)
		return NULL;
	pos = tt_hidx_find(&k->t_index, hash_of(l.key), thr_eq, &l);
	return pos < 0 ? NULL : &k->t[pos];
}

/*
 * The thread, tracked from now if it was not. NULL for tid 0 or without memory (*err set).
 * Adding a thread may move the others: pointers to them are not kept across this call.
 */
static struct kthr *thr_get(struct tt_kernel *k, uint32_t capture, uint32_t tid, int *err)
{
	struct kthr *t = thr_find(k, capture, tid);
	uint64_t key = key_of(capture, tid);

	if (t || !tid)
		return t;
	if (tt_grow((void **)&k->t, &k->cap, k->cnt + 1, sizeof(*k->t)) ||
	    tt_hidx_add(&k->t_index, hash_of(key), (uint32_t)k->cnt)) {
		*err = -ENOMEM;
		return NULL;
	}
	t = &k->t[k->cnt++];
	memset(t, 0, sizeof(*t));
	t->key = key;
	t->state = KS_NONE;
	t->cpu = -1;
	t->waker = -1;
	if (k->cnt > k->st.threads_peak)
		k->st.threads_peak = k->cnt;
	return t;
}

/* Forget t (its rows were written); the last thread takes its place. */
static void thr_drop(struct tt_kernel *k, struct kthr *t)
{
	uint32_t pos = (uint32_t)(t - k->t), last = (uint32_t)k->cnt - 1;

	free(t->held);
	tt_hidx_del(&k->t_index, hash_of(t->key), pos);
	if (pos != last) {
		*t = k->t[last];
		tt_hidx_move(&k->t_index, hash_of(t->key), last, pos);
	}
	k->cnt--;
}

/* The thread CPU cpu of capture runs (0: idle or not known), to be read or set. */
static uint32_t *cpu_slot(struct tt_kernel *k, uint32_t capture, uint32_t cpu, int *err)
{
	struct lookup l = {k, key_of(capture, cpu)};
	uint32_t h = hash_of(l.key);
	int64_t pos = tt_hidx_find(&k->cpu_index, h, cpu_eq, &l);

	if (pos >= 0)
		return &k->cpus[pos].tid;
	if (tt_grow((void **)&k->cpus, &k->cpu_cap, k->cpu_cnt + 1, sizeof(*k->cpus)) ||
	    tt_hidx_add(&k->cpu_index, h, (uint32_t)k->cpu_cnt)) {
		*err = -ENOMEM;
		return NULL;
	}
	k->cpus[k->cpu_cnt] = (struct kcpu){l.key, 0};
	return &k->cpus[k->cpu_cnt++].tid;
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

	for (size_t i = 0; i < k->cnt && !err; i++) {
		struct kthr *t = &k->t[i];

		err = t->exiting ? end_state(k, t, t->exit_ts, t->exit_id, 0) : end_state(k, t, 0, 0, 1);
		if (!err)
			err = flush_held(k, t);
		if (!err)
			err = sys_unpaired(k, t);
	}
	for (size_t i = 0; i < k->cnt; i++)
		free(k->t[i].held);
	free(k->t);
	tt_hidx_free(&k->t_index);
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
	for (size_t i = 0; i < k->cnt; i++)
		free(k->t[i].held);
	free(k->t);
	tt_hidx_free(&k->t_index);
	free(k->cpus);
	tt_hidx_free(&k->cpu_index);
	free(k);
}
