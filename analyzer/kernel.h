/* SPDX-License-Identifier: MIT */
/*
 * What the kernel did with each thread, derived while loading from the scheduler and syscall
 * tracepoints (`tracetape record --sched --syscalls`) into two tables of schemas/tracetape.sql:
 *
 *   thread_states  per thread, back-to-back intervals of running / runnable / sleeping / blocked,
 *                  from sched_switch, sched_wakeup(_new), sched_process_fork and _exit;
 *   syscalls       raw_syscalls sys_enter / sys_exit paired per thread, unpaired ones kept.
 *
 * The state machine (tt_kernel, here) sees decoded events (struct tt_kev) in time order and
 * hands finished rows to a sink; it keeps state per live thread only (its current state and its
 * syscall in progress), so memory does not grow with the capture. kernel_db.h puts it behind
 * the loader: it recognises the tracepoints by their format, decodes raw records and inserts the
 * rows into the database. The state rules are in kernel.c and in tracetape.sql.
 */
#ifndef TT_KERNEL_H
#define TT_KERNEL_H

#include <stddef.h>
#include <stdint.h>

enum tt_kstate {
	TT_KS_RUNNING,  /* on a CPU (from its switch-in) */
	TT_KS_RUNNABLE, /* waiting for a CPU: preempted, yielded, or woken and not yet switched in */
	TT_KS_SLEEPING, /* switched out in an interruptible (or stopped, parked, idle) wait */
	TT_KS_BLOCKED,  /* switched out uninterruptibly ('D': usually I/O) */
	TT_KS_CNT,
};

/* sched_switch prev_state: the kernel's TASK_REPORT bits; 0 is 'R', PREEMPTED adds '+'. */
#define TT_KSTATE_S 0x01
#define TT_KSTATE_D 0x02
#define TT_KSTATE_X 0x10
#define TT_KSTATE_Z 0x20
#define TT_KSTATE_PREEMPTED 0x100

/* "running", "runnable", "sleeping", "blocked"; NULL for another value. */
const char *tt_kstate_name(unsigned state);

/* The x86-64 name of syscall nr ("read", ...), or NULL (generated at build time). */
const char *tt_syscall_name(int64_t nr);

enum tt_kev_type {
	TT_KEV_NONE,       /* not a tracepoint of this module */
	TT_KEV_SWITCH,     /* sched:sched_switch */
	TT_KEV_WAKEUP,     /* sched:sched_wakeup */
	TT_KEV_WAKEUP_NEW, /* sched:sched_wakeup_new */
	TT_KEV_FORK,       /* sched:sched_process_fork */
	TT_KEV_EXIT,       /* sched:sched_process_exit */
	TT_KEV_SYS_ENTER,  /* raw_syscalls:sys_enter */
	TT_KEV_SYS_EXIT,   /* raw_syscalls:sys_exit */
};

/* One decoded event. Thread ids are those of the initial pid namespace, 0 the idle task. */
struct tt_kev {
	uint8_t type;           /* enum tt_kev_type */
	uint32_t capture;       /* tapes.capture: thread ids are unique within one capture only */
	uint32_t tape;          /* tapes.id */
	uint64_t event_id;      /* events.id */
	uint64_t ts;            /* ns CLOCK_MONOTONIC */
	uint32_t pid, tid, cpu; /* the current task (the one the probe fired in) and its CPU */
	uint32_t prev_tid, next_tid; /* SWITCH */
	int64_t prev_state;     /* SWITCH: TT_KSTATE_* bits */
	uint32_t target_tid;    /* WAKEUP*: the woken thread; FORK: the child; EXIT: the exiting one */
	int32_t target_cpu;     /* WAKEUP*: the CPU it will run on */
	int64_t nr;             /* SYS_*: syscall number */
	uint64_t args[6];       /* SYS_ENTER: the argument registers */
	int64_t ret;            /* SYS_EXIT: return value */
};

/* The longest reason of a row, with its NUL: "S|D|T|t|X|Z|P|I+" and the fixed reasons fit. */
#define TT_KSTATE_REASON_SZ 24

/* A finished interval of one thread (a thread_states row). */
struct tt_kstate_row {
	uint32_t tape;          /* of the event that began it */
	uint32_t pid;           /* 0: not known (no event of the thread as current task) */
	uint32_t tid;
	uint8_t state;          /* enum tt_kstate */
	int open;               /* still in that state at the end of the capture: no end */
	uint64_t start_ts, end_ts;
	uint64_t begin_event_id, end_event_id;
	int32_t cpu;            /* -1: unknown */
	const char *reason;     /* NULL: none; < TT_KSTATE_REASON_SZ bytes (valid during the sink
	                           call only) */
	int64_t waker_tid;      /* -1: none */
};

/* A syscall (a syscalls row): has_enter and/or has_exit. */
struct tt_ksys_row {
	uint32_t tape, pid, tid;
	int64_t nr;
	int has_enter, has_exit;
	uint64_t args[6];       /* has_enter */
	int64_t ret;            /* has_exit */
	uint64_t start_ts, enter_event_id; /* has_enter */
	uint64_t end_ts, exit_event_id;    /* has_exit */
};

/* Where rows go. A callback's nonzero return stops the state machine and is returned. */
struct tt_kernel_sink {
	int (*state)(void *ctx, const struct tt_kstate_row *row);
	int (*syscall)(void *ctx, const struct tt_ksys_row *row);
	void *ctx;
};

struct tt_kernel_stats {
	uint64_t events;          /* events given to the state machine */
	uint64_t states;          /* thread_states rows */
	uint64_t syscalls;        /* syscalls rows ... */
	uint64_t unpaired_enters; /* ... of which without sys_exit */
	uint64_t unpaired_exits;  /* ... of which without sys_enter */
	uint64_t threads_peak;    /* most threads tracked at once */
	uint64_t inferred;        /* running intervals begun without a recorded switch-in */
	uint64_t unseen_switch_outs; /* running intervals ended without a recorded switch-out */
};

struct tt_kernel;

/* A state machine writing into sink (copied). NULL and errno ENOMEM on failure. */
struct tt_kernel *tt_kernel__new(const struct tt_kernel_sink *sink);

/*
 * Feed one event. Events must come in timestamp order (a slightly earlier one is taken as
 * simultaneous). Returns 0, -ENOMEM, or a sink's error.
 */
int tt_kernel__event(struct tt_kernel *k, const struct tt_kev *ev);

/*
 * End of the capture: every thread's current state becomes an open row, every syscall in
 * progress a row without exit; the machine is empty afterwards. Returns 0 or a sink's error.
 */
int tt_kernel__finish(struct tt_kernel *k);

/* The counts so far into *st. */
void tt_kernel__stats(const struct tt_kernel *k, struct tt_kernel_stats *st);

/* Free k; what was not finished is dropped without rows. Accepts NULL. */
void tt_kernel__free(struct tt_kernel *k);

#endif /* TT_KERNEL_H */
