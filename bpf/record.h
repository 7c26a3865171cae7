/* SPDX-License-Identifier: MIT */
/*
 * The contract between bpf/record.bpf.c and the recorder (recorder/ring.c, recorder/attach.c):
 * the per-site argument specs user space writes into the `sites` map before attaching, and the
 * records the BPF programs send through the `events` ring buffer. Fixed-width fields, explicit
 * padding and asserted sizes only: the same header is compiled by clang -target bpf and by the
 * host compiler.
 */
#ifndef TT_RECORD_H
#define TT_RECORD_H

#include "tt_types.h"

/* ---- argument specs, written by user space into the `sites` array map ---- */

#define TT_BPF_LOC_CONST 1 /* value = disp */
#define TT_BPF_LOC_REG 2   /* value = register at base_off, + disp (a symbol's address from %rip) */
#define TT_BPF_LOC_MEM 3   /* value = *(u{size} *)(base + index * scale + disp), user memory */
#define TT_BPF_LOC_OBJ 4   /* len_loc only: the length is in the object the value points to */

#define TT_BPF_ARG_SIGNED 0x1 /* sign-extend from size bytes (else zero-extend) */
#define TT_BPF_ARG_STR 0x2    /* the value is a char *: record the string it points to */
#define TT_BPF_ARG_BASE 0x4   /* MEM: base_off names a register */
#define TT_BPF_ARG_INDEX 0x8  /* MEM: index_off names a register */
#define TT_BPF_ARG_BYTES 0x10 /* the value is a pointer to len bytes, len read per len_loc
				 (a Go string, a JVM string and its length argument, a PHP
				 zend_string): record those bytes */
#define TT_BPF_ARG_DEREF1 0x20 /* STR: the string's pointer is *(value + deref_off[0]) */
#define TT_BPF_ARG_DEREF2 0x40 /* STR, with DEREF1: and then *(that + deref_off[1]) (a name two
				  pointers away, as libstdc++'s type_info is from its probes) */
#define TT_BPF_ARG_FS 0x80     /* MEM: the address is from the thread pointer (%fs: TLS) */

/* Offsets are byte offsets into the kernel's struct pt_regs, which user space and BPF share. */
struct tt_bpf_arg {
	__s64 disp;      /* CONST: the value; MEM: the displacement */
	__u16 base_off;  /* REG: the register; MEM: the base register (with TT_BPF_ARG_BASE) */
	__u16 index_off; /* MEM: the index register (with TT_BPF_ARG_INDEX) */
	__u8 loc;        /* TT_BPF_LOC_* */
	__u8 size;       /* 1, 2, 4 or 8 */
	__u8 flags;      /* TT_BPF_ARG_* */
	__u8 scale;      /* 1, 2, 4 or 8 */
	union {
		/*
		 * BYTES: where the length is, len_size bytes (0 means 8) zero-extended:
		 *   REG    the register at len_off
		 *   MEM    *(reg at len_off + len_disp)
		 *   CONST  len_disp itself
		 *   OBJ    *(value + len_disp), and the bytes start at value + len_off instead
		 *          of value (a counted string inside the object the argument points to)
		 */
		struct {
			__s32 len_disp;
			__u16 len_off;
			__u8 len_loc;  /* TT_BPF_LOC_REG, _MEM, _CONST or _OBJ */
			__u8 len_size; /* 1, 2, 4 or 8; 0 for 8 */
		};
		/* DEREF1/DEREF2: the byte offsets of the pointers to follow. */
		__s32 deref_off[2];
	};
};

#define TT_BPF_SITE_GO 0x1   /* a Go function: read the goroutine id at *(r14 + goid_off), or
				take it from r15 when goid_off is TT_BPF_GOID_R15 */
#define TT_BPF_SITE_STRS 0x2 /* some argument is a string or bytes: the record is built in
				scratch memory */
#define TT_BPF_SITE_JBE 0x4  /* a Go function's stack-check `jbe`: ignore the hit when the branch
				is taken (CF or ZF set), the function then grows its stack and
				starts over */
#define TT_BPF_SITE_TLS 0x8  /* some argument is thread-local (%fs:): read the thread pointer */
#define TT_BPF_SITE_STACK 0x10 /* record --stack: send the thread's user stack before the hit's
				  record (only when the object is loaded with cfg_stacks) */
#define TT_BPF_SITE_RETSP 0x20 /* STACK: the site is a function's entry or a RET, where the
				  return address is at the stack pointer and the frame pointer
				  is still (again) the caller's: a frame-pointer walk from there
				  skips the caller, so its return address is sent too */
#define TT_BPF_SITE_COPY 0x80 /* STACK, record --stack-mode dwarf: send the registers and a
				 copy of the top of the stack (TT_STACK_COPY), unwound by the
				 recorder, instead of a walk */
#define TT_BPF_SITE_CFI 0x40 /* STACK: a site in a function that keeps no frame pointer (its
				CFA is the stack pointer + an offset, per the binary's CFI): the
				program walks the stack itself, from the return address at
				sp + ra_off and the caller's frame pointer at sp + fp_off (or in
				rbp when fp_off < 0: the function has not touched it) */

/* GO: the goroutine id is in r15 (a gen-go probe's function loaded it there). */
#define TT_BPF_GOID_R15 0xffff

struct tt_bpf_site {
	__u32 probe_id;  /* the probe this site fires, index into the capture's probe table */
	__u8 argc;
	__u8 flags;      /* TT_BPF_SITE_* */
	__u16 goid_off;  /* GO: offsetof(runtime.g, goid) in this binary's Go version, or
			    TT_BPF_GOID_R15 */
	__u16 ra_off;    /* CFI: where the return address is, from the stack pointer */
	__s16 fp_off;    /* CFI: where the caller's frame pointer is saved; < 0: still in rbp */
	__u32 pad;
	struct tt_bpf_arg args[TT_MAX_ARGS];
};

/* ---- records in the `events` ring buffer ---- */

#define TT_RING_ARGS 1 /* a probe hit: struct tt_ring_args, then string bytes */
#define TT_RING_PROC 2 /* a traced process forked, exec'd or exited: struct tt_ring_proc */
#define TT_RING_RAW 3  /* a tracepoint's raw record: struct tt_ring_raw, then len bytes */
#define TT_RING_STACK 4 /* the user stack of the hit that follows: struct tt_ring_stack */

struct tt_ring_hdr {
	__u16 type;     /* TT_RING_* */
	__u16 size;     /* bytes of the record, header included */
	__u32 probe_id;
	__u64 ts_ns;    /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 pid;      /* TGID, initial pid namespace */
	__u32 tid;
	__u32 cpu;
	__u32 seq;      /* per-CPU count of records this CPU produced before this one */
};

/*
 * A probe hit. args[0..argc) follow the fixed part; for a string argument the slot holds
 * len | flags << 32 (TT_STR_* flags) and the string's len bytes (no NUL) follow the last slot,
 * strings in argument order.
 */
struct tt_ring_args {
	struct tt_ring_hdr hdr;
	__u64 goid;       /* goroutine id for Go sites, else 0 */
	__u16 fault_mask; /* bit i: argument i could not be read */
	__u8 argc;
	__u8 pad[5];
	__u64 args[TT_MAX_ARGS];
};

#define TT_PROC_FORK 1
#define TT_PROC_EXEC 2
#define TT_PROC_EXIT 3

#define TT_PROC_COMM_SZ 16
#define TT_PROC_PATH_SZ 256 /* the exec'd file's name, as given to execve (cut longer) */
#define TT_PROC_ARGS_SZ 512 /* its arguments, NUL-separated (cut longer) */

struct tt_ring_proc {
	struct tt_ring_hdr hdr; /* pid/tid: the process concerned; probe_id unused */
	__u32 what;             /* TT_PROC_* */
	__u32 ppid;             /* FORK: the parent's TGID */
	__s32 exit_code;        /* EXIT: the kernel's exit_code (status << 8 | signal) */
	__u32 pad;
	char comm[TT_PROC_COMM_SZ];
};

/*
 * An exec (what TT_PROC_EXEC with a path and arguments): what the process became, read in the
 * exec itself, since a short-lived process may be gone before the recorder could read /proc.
 */
struct tt_ring_exec {
	struct tt_ring_proc proc; /* what = TT_PROC_EXEC; hdr.size = sizeof(struct tt_ring_exec) */
	__u16 path_len;           /* bytes of path, without a NUL */
	__u16 args_len;           /* bytes of args (NUL-separated, NUL-terminated unless cut) */
	__u32 pad;
	char path[TT_PROC_PATH_SZ];
	char args[TT_PROC_ARGS_SZ];
};

/*
 * A kernel tracepoint's record as the kernel laid it out (see its tracefs format), except for the
 * first 8 bytes: the kernel puts a pointer there before BPF runs, so the program rewrites them as
 * the common fields (common_type = the tracepoint id, flags and preempt count 0, common_pid =
 * the thread).
 */
struct tt_ring_raw {
	struct tt_ring_hdr hdr;
	__u32 len; /* bytes of the tracepoint record that follow */
	__u32 pad;
};

/*
 * record --stack: the user stack of a probe hit, as the kernel's frame-pointer walk found it,
 * the probed instruction first, in one of two forms:
 *   - placed by the kernel (bpf_get_stack(BPF_F_USER_STACK | BPF_F_USER_BUILD_ID)): each
 *     address as the GNU build id of the file mapped there and the offset in it (status
 *     TT_STACK_BID_VALID), or the bare address (TT_STACK_BID_IP: no file, no build id, or the
 *     kernel could not look). Right even when the process is gone before the consumer reads
 *     the record, but the kernel reads each file's build id on every hit (~6 us a hit here);
 *   - bare addresses (TT_STACK_IPS, bpf_get_stack(BPF_F_USER_STACK)), for processes whose
 *     mappings the consumer has read already (their bit is set in the `stack_pids` bitmap):
 *     it places them through /proc/PID/maps (~1 us a hit).
 * The record is sent just before the hit's own record, with the same probe_id, ts_ns and tid
 * (and seq 0), so the consumer pairs it with the next record of that thread with that time. A
 * stack that cannot be sent leaves the hit without a stack; the hit itself is unaffected.
 */
#define TT_STACK_MAX_FRAMES 127 /* the kernel's default perf_event_max_stack */
#define TT_STACK_BID_VALID 1    /* the kernel's BPF_STACK_BUILD_ID_VALID */
#define TT_STACK_BID_IP 2       /* BPF_STACK_BUILD_ID_IP */

struct tt_stack_bid {           /* the kernel's struct bpf_stack_build_id */
	__s32 status;           /* TT_STACK_BID_*; 0 ends the stack */
	__u8 build_id[20];      /* VALID: the file's build id (shorter ones zero-padded) */
	__u64 offset;           /* VALID: offset in the file; IP: the address */
};

#define TT_STACK_IPS 1 /* tt_ring_stack.form: frames are __u64 addresses */
#define TT_STACK_COPY 2 /* tt_ring_stack.form: struct tt_stack_regs, then nr bytes of the stack
			   from regs.sp up (--stack-mode dwarf) */
#define TT_STACK_KERNEL 3 /* tt_ring_stack.form: __u64 kernel addresses (a tracepoint's kernel
			     stack, record --stack tracepoint:...); the recorder turns them into
			     offsets from _text before anything is written */
#define TT_KSTACK_FROM_BPF 1 /* TT_STACK_KERNEL's sp_ret: walked from the BPF program (the
				tracepoint gave no kernel registers): its own callers come first */
#define TT_STACK_COPY_MAX 8192  /* bytes of stack copied at most */
#define TT_STACK_COPY_CHUNK 512 /* copied so many at a time: the top of the stack ends a copy */

struct tt_stack_regs {
	__u64 ip, sp, bp;
};

struct tt_ring_stack {
	struct tt_ring_hdr hdr; /* type TT_RING_STACK; size = 48 + nr * (form ? 8 : 32), COPY:
				   48 + 24 + nr (in a ring record of 48 + 24 +
				   TT_STACK_COPY_MAX: reserved at its largest) */
	__u32 nr;               /* frames that follow (COPY: bytes of stack) */
	__u32 form;             /* 0: struct tt_stack_bid frames; TT_STACK_IPS: __u64 addresses;
				   TT_STACK_COPY: registers and stack bytes; TT_STACK_KERNEL:
				   __u64 kernel addresses */
	__u64 sp_ret;           /* RETSP sites: *(u64 *)sp, the caller's return address (the
				   frame after the first); TT_STACK_KERNEL: TT_KSTACK_FROM_BPF or
				   0; else 0 */
	struct tt_stack_bid frames[TT_STACK_MAX_FRAMES];
};

#define TT_TP_MAX_DYN 8

/* How to copy one tracepoint's records (`tps` array map, index = the link's cookie). */
struct tt_bpf_tp {
	__u32 probe_id;
	__u32 tp_id;          /* the tracepoint's tracefs ID, written as common_type */
	__u16 fixed_size;     /* bytes up to the end of the last fixed field */
	__u16 filter_off;     /* offset of a pid_t field naming a second thread the event concerns
				 (sched_switch's next_pid, sched_wakeup's pid), 0 for none */
	__u8 dyn_cnt;         /* __data_loc / __rel_loc fields */
	__u8 dyn_rel_mask;    /* bit i: dyn_off[i] is a __rel_loc (offset relative to its end) */
	__u16 flags;          /* TT_BPF_TP_* */
	__u16 dyn_off[TT_TP_MAX_DYN]; /* offsets of their u32 location words */
};

#define TT_BPF_TP_KSTACK 0x1 /* record --stack tracepoint:...: send the kernel stack before the
				hit's record (TT_STACK_KERNEL) */

#define TT_TP_REC_MAX 8192 /* a tracepoint record larger than this is cut (and flagged) */

/* Largest record the BPF side builds; string limits are chosen to stay below it. */
#define TT_RING_REC_MAX 16384
#define TT_STRLEN_MAX 1024

/*
 * Scratch buffers per CPU. A sleepable program can be preempted while it faults a page in, and
 * another hit on the same CPU then needs a buffer of its own; a hit that finds every slot busy
 * is counted as lost.
 */
#define TT_SCRATCH_SLOTS 4

_Static_assert(sizeof(struct tt_bpf_arg) == 24, "tt_bpf_arg layout");
_Static_assert(sizeof(struct tt_bpf_site) == 16 + 24 * TT_MAX_ARGS, "tt_bpf_site layout");
_Static_assert(sizeof(struct tt_ring_hdr) == 32, "tt_ring_hdr layout");
_Static_assert(sizeof(struct tt_ring_args) == 48 + 8 * TT_MAX_ARGS, "tt_ring_args layout");
_Static_assert(sizeof(struct tt_ring_proc) == 64, "tt_ring_proc layout");
_Static_assert(sizeof(struct tt_ring_raw) == 40, "tt_ring_raw layout");
_Static_assert(sizeof(struct tt_ring_exec) == 72 + TT_PROC_PATH_SZ + TT_PROC_ARGS_SZ,
	       "tt_ring_exec layout");
_Static_assert(sizeof(struct tt_stack_bid) == 32, "tt_stack_bid layout");
_Static_assert(sizeof(struct tt_ring_stack) == 48 + 32 * TT_STACK_MAX_FRAMES, "tt_ring_stack layout");
_Static_assert(sizeof(struct tt_ring_stack) <= TT_RING_REC_MAX, "stack records fit");
_Static_assert(48 + sizeof(struct tt_stack_regs) + TT_STACK_COPY_MAX <= TT_RING_REC_MAX,
	       "stack copies fit");
_Static_assert(sizeof(struct tt_bpf_tp) == 16 + 2 * TT_TP_MAX_DYN, "tt_bpf_tp layout");
_Static_assert(sizeof(struct tt_ring_raw) + TT_TP_REC_MAX <= TT_RING_REC_MAX, "raw records fit");
_Static_assert(sizeof(struct tt_ring_args) + TT_MAX_ARGS * (TT_STRLEN_MAX + 1) < TT_RING_REC_MAX,
	       "strings at the limit fit a record");

/*
 * Counters, one per probe per CPU (`counts` per-CPU array, index probe_id; one more slot for
 * process records). fired is counted before the record is built, so that for every probe
 * recorded + lost = fired can be checked against the tape.
 */
struct tt_bpf_counts {
	__u64 fired;        /* hits that passed the filters */
	__u64 lost;         /* records that could not be sent */
	__u64 last_lost_ts; /* bpf_ktime_get_ns() of the latest loss */
	__u64 stack_lost;   /* record --stack: hits whose stack could not be taken or sent */
};

#endif /* TT_RECORD_H */
