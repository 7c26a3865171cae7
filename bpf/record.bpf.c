// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The recorder's BPF side. One program, `usdt`, serves every USDT and uprobe site: it is
 * attached through uprobe-multi links (6.6+) or one uprobe perf event per site (6.1-6.5), and
 * either way the per-site cookie indexes the `sites` map, where user space wrote how to read
 * each argument (register, immediate, memory at base+index*scale+disp, rip-relative already
 * resolved to an ip-relative displacement). It builds the record in a per-CPU scratch buffer,
 * reads strings up to the capture's limit, and sends it through one ring buffer without waking
 * the consumer until enough data waits. Where the kernel allows sleepable uprobe programs it is
 * loaded sleepable, so that it can fault in the pages of strings the process never touched.
 *
 * Nothing is lost silently: a record that cannot be sent (ring full, or every scratch buffer of
 * the CPU busy because preempted hits on the same CPU still hold them) is counted in `counts`
 * for its probe on this CPU, with the time of the latest loss.
 *
 * Process tracking: with a pid filter, forks of traced processes add the child to `traced`,
 * and fork/exec/exit of traced processes are reported as TT_RING_PROC records. `traced` and
 * `traced_tids` are bitmaps indexed by pid: a test is one array load and a shift, which a hash
 * lookup on every probe hit is not.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "record.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Load-time configuration, set in rodata before load. */
const volatile __u32 cfg_self_tgid = 0;     /* the recorder itself: never recorded */
const volatile __u32 cfg_filter_pids = 0;   /* 1: only processes in `traced` */
const volatile __u32 cfg_strlen = 256;      /* string limit in bytes (<= TT_STRLEN_MAX) */
/*
 * 1 when `usdt` is loaded sleepable (BPF_F_SLEEPABLE, where the kernel allows it for uprobes):
 * a read of user memory that fails because its page is not mapped yet (a string literal in a
 * page the process never touched) is retried with bpf_copy_from_user(), which faults the page
 * in. A non-sleepable program cannot, and records such a value as a fault. With 0 the verifier
 * prunes every bpf_copy_from_user() call as dead code, so one object serves both ways.
 */
const volatile __u32 cfg_sleepable = 0;
/*
 * 1 with record --stack: sites flagged TT_BPF_SITE_STACK also send the user stack. With 0 the
 * verifier prunes the stack path as dead code, so a recording without --stack verifies and
 * runs exactly as before.
 */
const volatile __u32 cfg_stacks = 0;
/* 1 with record --stack tracepoint:...: tracepoints flagged TT_BPF_TP_KSTACK also send the
 * kernel stack. With 0 the verifier prunes that path from `tp` likewise. */
const volatile __u32 cfg_kstacks = 0;
const volatile __u64 cfg_wakeup_bytes = 1 << 20; /* wake the consumer at this much data */
/* The built-in probes that process records become (tracetape:process__fork, __exec, __exit),
 * whose counters they use. */
const volatile __u32 cfg_probe_fork = 0;
const volatile __u32 cfg_probe_exec = 0;
const volatile __u32 cfg_probe_exit = 0;

/*
 * Set by user space when the recording ends, before the links are closed: from then on the
 * programs do nothing, so that what they counted is final even while closing many links takes
 * the kernel a while (a grace period per perf-event link).
 */
volatile __u32 stopped = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by user space before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized to the number of distinct site specs */
	__type(key, __u32);
	__type(value, struct tt_bpf_site);
} sites SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* resized to the number of probes, + 1 for process records */
	__type(key, __u32);
	__type(value, struct tt_bpf_counts);
} counts SEC(".maps");

/* Bit p of word p / 64: TGID p is traced. Sized by user space for PID_MAX_LIMIT (4M) pids. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} traced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized to the number of tracepoints recorded */
	__type(key, __u32);
	__type(value, struct tt_bpf_tp);
} tps SEC(".maps");

/*
 * record --stack: bit p set when the consumer has read process p's mappings, so that its
 * stacks can be sent as bare addresses (struct tt_ring_stack). Sized by user space: PID_MAX_LIMIT
 * bits with --stack, else one word.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} stack_pids SEC(".maps");

/* The same for the threads of the traced processes (TIDs). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} traced_tids SEC(".maps");

struct regs {
	__u64 r[sizeof(struct pt_regs) / 8];
};

struct scratch {
	__u32 busy; /* nonzero while a program on this CPU builds a record here */
	/*
	 * The string path's loop state. It lives here, not on the stack, on purpose: a load from
	 * a map value is an unknown scalar to the verifier, so the bpf_loop() callback's states
	 * converge at once. Kept on the stack, every iteration's distinct bounds on `off` made
	 * new states, and on some kernel builds the callback alone exhausted the verifier's
	 * budget of 1,000,000 processed instructions.
	 */
	__u16 fault_mask;
	__u16 pend_mask;  /* bit i: argument i's page was not there (see read_user()) */
	__u64 off; /* where the next string goes in rec */
	__u64 pend[TT_MAX_ARGS]; /* the addresses to fault in for those arguments */
	__u64 tp; /* the thread pointer, for TLS operands */
	struct regs regs; /* the probed thread's registers (callbacks cannot be handed ctx) */
	__u64 walk_fp;    /* record --stack's own walk (fp_step()): the next frame pointer */
	__u32 walk_n;     /* and the frames found so far */
	/* Records are shorter than TT_RING_REC_MAX; the slack past it lets a string be copied
	 * at any offset below TT_RING_REC_MAX, which is a bound the verifier can check with a
	 * mask instead of a branch per argument (branches there multiply its states). */
	__u8 rec[TT_RING_REC_MAX + 2 * TT_STRLEN_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32); /* records this CPU produced */
} cpu_seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TT_SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* A free scratch buffer of this CPU, marked busy; NULL when all are taken. */
static __always_inline struct scratch *take_scratch(void)
{
	/* Every loop here is unrolled: the 6.1 verifier refuses some back-edges that clang's
	 * loops make (after a call), and an unrolled loop is verified once per copy anyway. */
#pragma unroll
	for (__u32 i = 0; i < TT_SCRATCH_SLOTS; i++) {
		__u32 key = i;
		struct scratch *s = bpf_map_lookup_elem(&scratch, &key);

		if (s && !__sync_lock_test_and_set(&s->busy, 1))
			return s;
	}
	return NULL;
}

static __always_inline void put_scratch(struct scratch *s)
{
	*(volatile __u32 *)&s->busy = 0; /* plain store: this CPU's program owns the buffer */
}

/*
 * Read n bytes of user memory at addr. A page that is not mapped yet makes the non-faulting read
 * fail. A sleepable program can then fault it in, as the process itself would, but must not
 * sleep while it holds a scratch buffer, which other hits on its CPU need meanwhile: with
 * fault_at NULL (the caller holds none) it copies again with bpf_copy_from_user(); with
 * fault_at given it notes the address there, for the caller to fault in once it has let go of
 * its buffer, and fails. Returns 0 or a negative error (dst is then zeroed).
 */
static __always_inline long read_user(void *dst, __u32 n, const void *addr, __u64 *fault_at)
{
	long err = bpf_probe_read_user(dst, n, addr);

	if (!err || !cfg_sleepable)
		return err;
	if (fault_at) {
		*fault_at = (__u64)addr;
		return err;
	}
	return bpf_copy_from_user(dst, n, addr);
}

/*
 * Make the pages of [addr, addr + FAULT_SPAN) present, as far as they are valid: one-byte
 * copies that fault each in, stopping at the first that cannot be. A string or byte string
 * read here is at most TT_STRLEN_MAX + 2 bytes, so it spans at most two pages.
 */
#define FAULT_SPAN (TT_STRLEN_MAX + 2)
static __always_inline void fault_in(__u64 addr)
{
	__u64 next = (addr | 4095) + 1;
	char c;

	if (bpf_copy_from_user(&c, 1, (const void *)addr))
		return;
	if (next < addr + FAULT_SPAN)
		bpf_copy_from_user(&c, 1, (const void *)next);
}

/*
 * The number of this CPU's next record. Not atomic: two hits racing on one CPU may share a
 * number, which only weakens the tie-break of equal timestamps; counts never depend on it.
 */
static __always_inline __u32 next_seq(void)
{
	__u32 zero = 0, *seq = bpf_map_lookup_elem(&cpu_seq, &zero);

	return seq ? (*seq)++ : 0;
}

/* Count a hit of probe id on this CPU; returns its counters (NULL only for a bad id). */
static __always_inline struct tt_bpf_counts *count_fired(__u32 id)
{
	struct tt_bpf_counts *c = bpf_map_lookup_elem(&counts, &id);

	/* Atomic: a uprobe program can be preempted by another on the same CPU. */
	if (c)
		__sync_fetch_and_add(&c->fired, 1);
	return c;
}

static __always_inline void count_loss(struct tt_bpf_counts *c, __u64 ts)
{
	if (!c)
		return;
	__sync_fetch_and_add(&c->lost, 1);
	c->last_lost_ts = ts;
}

/*
 * No wakeup, unless enough data waits: the consumer polls on a timer too, and a wakeup per
 * record would cost more than the record. The fill is queried on one record in 32 of a CPU
 * (seq), a few KiB apart, far below the threshold.
 */
static __always_inline __u64 wakeup_flags(__u32 seq)
{
	if (seq % 32)
		return BPF_RB_NO_WAKEUP;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP :
		       BPF_RB_NO_WAKEUP;
}

static __always_inline int pid_in(void *bitmap, __u32 pid)
{
	__u32 word = pid / 64;
	__u64 *w = bpf_map_lookup_elem(bitmap, &word);

	return w && (*w >> (pid % 64)) & 1;
}

/* Set or clear pid's bit; atomically, since forks and exits run on every CPU at once. */
static __always_inline void pid_set(void *bitmap, __u32 pid, int on)
{
	__u32 word = pid / 64;
	__u64 *w = bpf_map_lookup_elem(bitmap, &word), bit = 1ULL << (pid % 64);

	if (!w)
		return;
	if (on)
		__sync_fetch_and_or(w, bit);
	else
		__sync_fetch_and_and(w, ~bit);
}

static __always_inline int is_traced(__u32 tgid)
{
	if (tgid == cfg_self_tgid)
		return 0;
	return !cfg_filter_pids || pid_in(&traced, tgid);
}

/*
 * The registers of the probed thread. The plain path reads them from the context itself,
 * which allows loads at constant offsets only: ctx_reg() picks one with a case per register.
 * The string path runs its arguments in a bpf_loop() callback, which cannot be handed ctx, so it
 * reads a copy of the whole struct on the stack, which a bounded, 8-byte aligned offset can
 * index. Which one a function reads is its compile-time `from_ctx` argument.
 */

/*
 * A load from ctx at a constant offset, in assembly: written in C, clang merges the switch
 * below into one load from a computed ctx pointer, which the verifier refuses.
 */
#define CTX_LOAD(ctx, off)                                                                   \
	({                                                                                   \
		__u64 v_;                                                                    \
		asm volatile("%[v] = *(u64 *)(%[c] + " #off ")" : [v] "=r"(v_) : [c] "r"(ctx)); \
		v_;                                                                          \
	})

static __always_inline __u64 ctx_reg(const struct pt_regs *ctx, __u16 off)
{
	/* One case per 8-byte slot of struct pt_regs (x86-64: 21 slots, r15 to ss). */
	_Static_assert(sizeof(struct pt_regs) == 21 * 8, "x86-64 pt_regs");
	switch (off / 8) {
	case 0: return CTX_LOAD(ctx, 0);
	case 1: return CTX_LOAD(ctx, 8);
	case 2: return CTX_LOAD(ctx, 16);
	case 3: return CTX_LOAD(ctx, 24);
	case 4: return CTX_LOAD(ctx, 32);
	case 5: return CTX_LOAD(ctx, 40);
	case 6: return CTX_LOAD(ctx, 48);
	case 7: return CTX_LOAD(ctx, 56);
	case 8: return CTX_LOAD(ctx, 64);
	case 9: return CTX_LOAD(ctx, 72);
	case 10: return CTX_LOAD(ctx, 80);
	case 11: return CTX_LOAD(ctx, 88);
	case 12: return CTX_LOAD(ctx, 96);
	case 13: return CTX_LOAD(ctx, 104);
	case 14: return CTX_LOAD(ctx, 112);
	case 15: return CTX_LOAD(ctx, 120);
	case 16: return CTX_LOAD(ctx, 128);
	case 17: return CTX_LOAD(ctx, 136);
	case 18: return CTX_LOAD(ctx, 144);
	case 19: return CTX_LOAD(ctx, 152);
	case 20: return CTX_LOAD(ctx, 160);
	}
	return 0;
}

static __always_inline __u64 reg_value(const void *regs, int from_ctx, __u16 off)
{
	const struct regs *copy = regs;
	__u32 idx = off / 8;

	if (from_ctx)
		return ctx_reg(regs, off);
	if (idx >= sizeof(copy->r) / 8)
		return 0;
	return copy->r[idx];
}

static __always_inline __u64 extend(__u64 v, const struct tt_bpf_arg *a)
{
	unsigned shift = 64 - 8 * (a->size & 0xf);

	if (shift == 0 || shift >= 64)
		return v;
	if (a->flags & TT_BPF_ARG_SIGNED)
		return (__u64)(((__s64)(v << shift)) >> shift);
	return (v << shift) >> shift;
}

/* The probed thread's thread pointer (x86-64 %fs base), where its TLS block ends. */
static __always_inline __u64 thread_pointer(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, thread.fsbase);
}

/*
 * Read argument a; returns 0 or a negative error (the value is then 0). tp: the thread pointer,
 * for TLS operands (read once per hit, by sites with TT_BPF_SITE_TLS). fault_at: read_user().
 */
static __always_inline int arg_value(const void *regs, int from_ctx, const struct tt_bpf_arg *a,
				     __u64 tp, __u64 *val, __u64 *fault_at)
{
	__u64 addr, v = 0;
	int err = 0;

	switch (a->loc) {
	case TT_BPF_LOC_CONST:
		*val = a->disp;
		return 0;
	case TT_BPF_LOC_REG:
		*val = extend(reg_value(regs, from_ctx, a->base_off) + a->disp, a);
		return 0;
	case TT_BPF_LOC_MEM:
		addr = a->disp;
		if (a->flags & TT_BPF_ARG_FS)
			addr += tp;
		if (a->flags & TT_BPF_ARG_BASE)
			addr += reg_value(regs, from_ctx, a->base_off);
		if (a->flags & TT_BPF_ARG_INDEX)
			addr += reg_value(regs, from_ctx, a->index_off) * a->scale;
		switch (a->size) {
		case 1:
			err = read_user(&v, 1, (void *)addr, fault_at);
			break;
		case 2:
			err = read_user(&v, 2, (void *)addr, fault_at);
			break;
		case 4:
			err = read_user(&v, 4, (void *)addr, fault_at);
			break;
		default:
			err = read_user(&v, 8, (void *)addr, fault_at);
			break;
		}
		*val = err ? 0 : extend(v, a);
		return err;
	}
	*val = 0;
	return -1;
}

/* The common header of a probe hit's record. */
static __always_inline void fill_hdr(struct tt_ring_hdr *h, __u32 probe_id, __u64 ts,
				     __u64 pid_tgid, __u32 seq, __u16 size)
{
	h->type = TT_RING_ARGS;
	h->size = size;
	h->probe_id = probe_id;
	h->ts_ns = ts;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->cpu = bpf_get_smp_processor_id();
	h->seq = seq;
}

static __always_inline __u64 go_goid(const void *regs, int from_ctx, const struct tt_bpf_site *site)
{
	__u64 g = reg_value(regs, from_ctx, __builtin_offsetof(struct pt_regs, r14)), goid = 0;

	if (!(site->flags & TT_BPF_SITE_GO))
		return 0;
	if (site->goid_off == TT_BPF_GOID_R15)
		return reg_value(regs, from_ctx, __builtin_offsetof(struct pt_regs, r15));
	if (!g)
		return 0;
	if (read_user(&goid, sizeof(goid), (void *)(g + site->goid_off), NULL))
		return 0;
	return goid;
}

/* A site without strings: its record is built on the stack (bpf_loop callback context). */
struct plain_loop {
	const struct pt_regs *ctx; /* the probed thread's registers, read at constant offsets */
	const struct tt_bpf_site *site;
	__u64 tp;                  /* the thread pointer, for TLS operands */
	struct tt_ring_args rec;
};

/*
 * Argument i of a site without strings, through bpf_loop() so that the verifier checks this
 * body once, not once per argument: unrolled, the twelve arguments cost the 6.1 verifier
 * ~20k processed instructions each. The fault bit is or-ed in without a branch: a branch per
 * argument would make each value of the mask a verifier state of its own.
 */
#define PLAIN_INLINE_ARGS 4

static __always_inline void plain_arg_one(__u32 i, struct plain_loop *p)
{
	long err = arg_value(p->ctx, 1, &p->site->args[i], p->tp, &p->rec.args[i], NULL);

	p->rec.fault_mask |= (__u16)(((__u64)err >> 63) << i);
}

static long plain_arg_rest(__u64 k, struct plain_loop *p)
{
	__u32 i = (__u32)k + PLAIN_INLINE_ARGS;

	if (i >= TT_MAX_ARGS)
		return 1;
	plain_arg_one(i, p);
	return 0;
}

/*
 * The fast path, for sites without strings: the record (at most 144 bytes) is built on the
 * stack and copied into the ring, with no scratch buffer to lock.
 */
static __noinline void record_plain(const struct pt_regs *ctx, const struct tt_bpf_site *site,
				    struct tt_bpf_counts *c, __u64 pid_tgid, __u64 ts)
{
	__u32 argc = site->argc, seq = next_seq();
	struct plain_loop p;
	__u64 size;

	if (argc > TT_MAX_ARGS)
		argc = TT_MAX_ARGS;
	p.ctx = ctx;
	p.site = site;
	p.tp = site->flags & TT_BPF_SITE_TLS ? thread_pointer() : 0;
	p.rec.fault_mask = 0;
	/*
	 * The first arguments inline, the rest through bpf_loop(): a call of the loop costs ~25 ns
	 * on a host with retpolines (6% of a hit), while every argument unrolled costs the 6.1
	 * verifier up to ~20k processed instructions.
	 */
#pragma unroll
	for (int i = 0; i < PLAIN_INLINE_ARGS; i++)
		if (i < argc)
			plain_arg_one(i, &p);
	if (argc > PLAIN_INLINE_ARGS)
		bpf_loop(argc - PLAIN_INLINE_ARGS, plain_arg_rest, &p, 0);
	size = sizeof(p.rec) - 8 * (TT_MAX_ARGS - argc);
	fill_hdr(&p.rec.hdr, site->probe_id, ts, pid_tgid, seq, (__u16)size);
	p.rec.goid = go_goid(ctx, 1, site);
	p.rec.argc = argc;
	__builtin_memset(p.rec.pad, 0, sizeof(p.rec.pad));
	if (size > sizeof(p.rec))
		size = sizeof(p.rec);
	if (bpf_ringbuf_output(&events, &p.rec, size, wakeup_flags(seq)))
		count_loss(c, ts);
}

/* Read a length of size bytes (1, 2, 4, else 8) at addr, zero-extended. */
static __always_inline int read_len(__u64 addr, __u8 size, __u64 *len, __u64 *fault_at)
{
	*len = 0;
	switch (size) {
	case 1:
		return read_user(len, 1, (void *)addr, fault_at);
	case 2:
		return read_user(len, 2, (void *)addr, fault_at);
	case 4:
		return read_user(len, 4, (void *)addr, fault_at);
	default:
		return read_user(len, 8, (void *)addr, fault_at);
	}
}

/*
 * A byte string of explicit length (a Go string, a JVM string with its length argument, a PHP
 * zend_string): ptr comes from the argument's location, the length from len_loc. Keeps at most
 * cfg_strlen bytes; *slot gets len | flags << 32 and *off advances past the bytes copied.
 * Returns 0 or -1 when it could not be read.
 */
static __always_inline int read_bytes(const struct regs *regs, const struct tt_bpf_arg *a,
				      __u64 ptr, __u8 *dst, __u64 *slot, __u64 *off, __u64 *fault_at)
{
	__u64 len = 0, n;

	if (a->len_loc == TT_BPF_LOC_REG) {
		len = reg_value(regs, 0, a->len_off);
		if (a->len_size && a->len_size < 8)
			len &= (1ULL << (8 * a->len_size)) - 1;
	} else if (a->len_loc == TT_BPF_LOC_MEM) {
		if (read_len(reg_value(regs, 0, a->len_off) + a->len_disp, a->len_size, &len, fault_at))
			goto fault;
	} else if (a->len_loc == TT_BPF_LOC_CONST) {
		len = (__u64)(__s64)a->len_disp;
	} else if (a->len_loc == TT_BPF_LOC_OBJ) {
		if (!ptr || read_len(ptr + a->len_disp, a->len_size, &len, fault_at))
			goto fault;
		ptr += a->len_off;
	}
	n = len > cfg_strlen ? cfg_strlen : len;
	n &= 2 * TT_STRLEN_MAX - 1; /* a bound the verifier can see (n <= cfg_strlen anyway) */
	if (n && read_user(dst, n, (void *)ptr, fault_at))
		goto fault;
	*slot = n | (__u64)(len > n ? TT_STR_TRUNCATED : 0) << 32;
	*off += n;
	return 0;
fault:
	*slot = (__u64)TT_STR_FAULT << 32;
	return -1;
}

/* What one string site's argument loop works on (bpf_loop callback context); its state is in
 * the scratch buffer. */
struct str_loop {
	const struct tt_bpf_site *site;
	struct scratch *s;
};

/*
 * Argument i of a site with strings. Run through bpf_loop() so that the verifier checks this
 * body once, instead of once per argument and per path through the earlier arguments (which
 * exceeds its budget with twelve arguments that may each be a string).
 */
static long str_arg(__u64 i, struct str_loop *l)
{
	struct scratch *s = l->s;
	struct tt_ring_args *rec = (struct tt_ring_args *)s->rec;
	const struct tt_bpf_arg *a;
	__u64 v, off, fault_at = 0;
	long n;

	if (i >= TT_MAX_ARGS)
		return 1;
	a = &l->site->args[i];
	if (arg_value(&s->regs, 0, a, s->tp, &v, &fault_at))
		s->fault_mask |= 1 << i;
	off = s->off & (TT_RING_REC_MAX - 1);
	if (a->flags & TT_BPF_ARG_BYTES) {
		if (read_bytes(&s->regs, a, v, &s->rec[off], &rec->args[i], &off, &fault_at))
			s->fault_mask |= 1 << i;
		s->off = off;
		goto out;
	}
	if (!(a->flags & TT_BPF_ARG_STR)) {
		rec->args[i] = v;
		goto out;
	}
	if (v && (a->flags & TT_BPF_ARG_DEREF1) &&
	    read_user(&v, 8, (void *)(v + a->deref_off[0]), &fault_at))
		v = 0;
	if (v && (a->flags & TT_BPF_ARG_DEREF2) &&
	    read_user(&v, 8, (void *)(v + a->deref_off[1]), &fault_at))
		v = 0;
	/* Read one byte past the limit so that a string of exactly cfg_strlen bytes is not
	 * mistaken for a truncated one. */
	n = v ? bpf_probe_read_user_str(&s->rec[off], cfg_strlen + 2, (void *)v) : -1;
	if (n < 0 && v && cfg_sleepable)
		fault_at = v;
	if (n < 0) {
		rec->args[i] = (__u64)TT_STR_FAULT << 32;
		s->fault_mask |= 1 << i;
		goto out;
	}
	/* The length with the NUL; 0 for "" before Linux 6.5 (strncpy_from_user_nofault() did
	 * not count the NUL of an empty string), which is no fault. */
	if (n > 0)
		n -= 1;
	if (n > cfg_strlen) {
		rec->args[i] = cfg_strlen | (__u64)TT_STR_TRUNCATED << 32;
		s->off = off + cfg_strlen;
	} else {
		rec->args[i] = n;
		s->off = off + n;
	}
out:
	if (fault_at) {
		s->pend_mask |= 1 << i;
		s->pend[i] = fault_at;
	}
	return 0;
}

/* The addresses a string site could not read without faulting (bpf_loop callback context). */
struct fault_loop {
	__u64 pend[TT_MAX_ARGS];
	__u16 mask;
};

static long fault_arg(__u64 i, struct fault_loop *f)
{
	if (i < TT_MAX_ARGS && f->mask >> i & 1)
		fault_in(f->pend[i]);
	return 0;
}

/* One reading of a string site's arguments into a scratch buffer it takes; NULL if none is free. */
static __always_inline struct scratch *str_round(const struct pt_regs *ctx, struct str_loop *l,
						 __u64 tp, __u32 argc)
{
	struct scratch *s = take_scratch();

	if (!s)
		return NULL;
	l->s = s;
	__builtin_memcpy(&s->regs, ctx, sizeof(s->regs));
	s->tp = tp;
	s->off = sizeof(struct tt_ring_args) - 8 * TT_MAX_ARGS + 8 * argc; /* strings start here */
	s->fault_mask = 0;
	s->pend_mask = 0;
	bpf_loop(argc, str_arg, l, 0);
	return s;
}

/*
 * s's reading found pages missing: let go of s (so that no other hit on this CPU waits for a
 * buffer while this one sleeps), fault those pages in, and read again.
 */
static __always_inline struct scratch *str_refault(const struct pt_regs *ctx, struct str_loop *l,
						   __u64 tp, __u32 argc, struct scratch *s,
						   struct fault_loop *f)
{
	__builtin_memcpy(f->pend, s->pend, sizeof(f->pend));
	f->mask = s->pend_mask;
	put_scratch(s);
	bpf_loop(TT_MAX_ARGS, fault_arg, f, 0);
	return str_round(ctx, l, tp, argc);
}

/*
 * Sites with strings: the record can reach TT_RING_REC_MAX bytes, so it is built in one of this
 * CPU's scratch buffers. A hit that finds them all busy (it preempted other hits on this CPU)
 * is counted as lost rather than allowed to corrupt another record.
 */
static __noinline void record_strings(const struct pt_regs *ctx, const struct tt_bpf_site *site,
				      struct tt_bpf_counts *c, __u64 pid_tgid, __u64 ts)
{
	__u32 seq = next_seq();
	__u64 goid = go_goid(ctx, 1, site), size;
	__u64 tp = site->flags & TT_BPF_SITE_TLS ? thread_pointer() : 0;
	struct fault_loop f;
	__u32 argc = site->argc;
	struct tt_ring_args *rec;
	struct str_loop l;
	struct scratch *s;

	if (argc > TT_MAX_ARGS)
		argc = TT_MAX_ARGS;
	l.site = site;
	/*
	 * Read every argument without faulting. Values whose pages are not there yet are noted;
	 * a sleepable program then lets go of its buffer, faults those pages in, and reads the
	 * record again. Each round costs the verifier a pass over str_arg (~23k instructions):
	 * three rounds cover a value in an untouched page behind one pointer in an untouched page
	 * (a deeper chain of untouched pages is recorded as a fault).
	 */
	s = str_round(ctx, &l, tp, argc);
	if (s && cfg_sleepable && s->pend_mask) {
		s = str_refault(ctx, &l, tp, argc, s, &f);
		if (s && s->pend_mask)
			s = str_refault(ctx, &l, tp, argc, s, &f);
	}
	if (!s) {
		count_loss(c, ts);
		return;
	}
	rec = (struct tt_ring_args *)s->rec;
	size = s->off & (TT_RING_REC_MAX - 1);
	fill_hdr(&rec->hdr, site->probe_id, ts, pid_tgid, seq, (__u16)size);
	rec->goid = goid;
	rec->fault_mask = s->fault_mask;
	rec->argc = argc;
	if (bpf_ringbuf_output(&events, rec, size, wakeup_flags(seq)))
		count_loss(c, ts);
	put_scratch(s);
}

/*
 * One step of record --stack's own frame-pointer walk (CFI sites), through bpf_loop() so that
 * the verifier checks the body once: the frame at s->walk_fp holds the caller's frame pointer
 * and, above it, the return address. Stops at a null, misaligned or unreadable frame pointer,
 * a null return address, or a frame pointer that does not go up the stack.
 */
struct walk_loop {
	struct scratch *s;
};

static long fp_step(__u64 i, struct walk_loop *l)
{
	struct scratch *s = l->s;
	struct tt_ring_stack *rec = (struct tt_ring_stack *)s->rec;
	__u64 pair[2], fp = s->walk_fp;
	__u32 at = s->walk_n;

	if (at >= TT_STACK_MAX_FRAMES || !fp || (fp & 7) ||
	    bpf_probe_read_user(pair, sizeof(pair), (void *)fp) || !pair[1])
		return 1;
	((__u64 *)rec->frames)[at] = pair[1];
	s->walk_n = at + 1;
	if (pair[0] <= fp)
		return 1;
	s->walk_fp = pair[0];
	return 0;
}

/*
 * The fixed part of a stack record (struct tt_ring_stack), the same for the three stack paths:
 * the hit's time and thread, seq 0 (stack records are not numbered: the recorder takes them
 * before the decoder). sp_ret is left to the caller, which fills it its own way.
 */
static __always_inline void stack_head(struct tt_ring_stack *rec, __u64 size, __u32 probe_id,
				       __u64 pid_tgid, __u64 ts, __u32 nr, __u32 form)
{
	rec->hdr.type = TT_RING_STACK;
	rec->hdr.size = (__u16)size;
	rec->hdr.probe_id = probe_id;
	rec->hdr.ts_ns = ts;
	rec->hdr.pid = pid_tgid >> 32;
	rec->hdr.tid = (__u32)pid_tgid;
	rec->hdr.cpu = bpf_get_smp_processor_id();
	rec->hdr.seq = 0;
	rec->nr = nr;
	rec->form = form;
}

/*
 * record --stack-mode dwarf (COPY sites): the registers, then up to TT_STACK_COPY_MAX bytes of
 * the stack from sp up, read by chunks of TT_STACK_COPY_CHUNK straight into a ring record: the
 * first chunk that cannot be read (the top of the stack) ends the copy. No scratch buffer and
 * no second copy of up to 8 KiB into the ring (bpf_ringbuf_output); the price is that the
 * record is reserved at its largest (the verifier wants a constant size) and the ring space
 * past what was read goes unused: the record's hdr.size says how much it holds. Sent with the
 * registers alone when nothing could be read: they still name the probed function.
 */
#define TT_COPY_REC_MAX (__builtin_offsetof(struct tt_ring_stack, frames) + \
			 sizeof(struct tt_stack_regs) + TT_STACK_COPY_MAX)

static __noinline void record_copy(struct pt_regs *ctx, const struct tt_bpf_site *site,
				   struct tt_bpf_counts *c, __u64 pid_tgid, __u64 ts)
{
	struct tt_ring_stack *rec = bpf_ringbuf_reserve(&events, TT_COPY_REC_MAX, 0);
	__u32 mapped = pid_in(&stack_pids, pid_tgid >> 32);
	struct tt_stack_regs *regs;
	__u8 *mem;
	__u64 sp = ctx->sp;
	__u32 n = 0;

	if (!rec) {
		if (c)
			__sync_fetch_and_add(&c->stack_lost, 1);
		return;
	}
	regs = (struct tt_stack_regs *)rec->frames;
	regs->ip = ctx->ip;
	regs->sp = sp;
	regs->bp = ctx->bp;
	mem = (__u8 *)rec->frames + sizeof(*regs);
#pragma unroll
	for (__u32 i = 0; i < TT_STACK_COPY_MAX / TT_STACK_COPY_CHUNK; i++) {
		if (bpf_probe_read_user(mem + i * TT_STACK_COPY_CHUNK, TT_STACK_COPY_CHUNK,
					(void *)(sp + i * TT_STACK_COPY_CHUNK)))
			break;
		n += TT_STACK_COPY_CHUNK;
	}
	stack_head(rec, TT_COPY_REC_MAX - TT_STACK_COPY_MAX + n, site->probe_id, pid_tgid, ts, n,
		   TT_STACK_COPY);
	rec->sp_ret = 0;
	if (site->flags & TT_BPF_SITE_RETSP)
		bpf_probe_read_user(&rec->sp_ret, sizeof(rec->sp_ret), (void *)sp);
	/* the recorder must place these addresses: wake it while the process is still there */
	bpf_ringbuf_submit(rec, mapped ? BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP);
}

/*
 * record --stack: the thread's user stack (see struct tt_ring_stack for its three forms), sent
 * before the hit's record with the same time and thread. By the kernel's frame-pointer walk,
 * except at a CFI site (a function without a frame pointer, where the kernel's walk would
 * start from whatever rbp holds): there the binary's CFI, read by the recorder, says where the
 * return address and the caller's frame pointer are, and the walk is this program's own, as
 * bare addresses. With --stack-mode dwarf (COPY sites), no walk: record_copy() sends the
 * registers and a copy of the top of the stack, which the recorder unwinds with the binaries'
 * CFI. The others are built in a scratch buffer (4 KiB of frames does not fit the BPF stack)
 * and sent once their size is known. A function of its own, so that its stack is not added to
 * the record builders'. A stack that cannot be taken or sent is counted (stack_lost), not as a
 * lost event: the hit is still recorded, without a stack.
 */
static __noinline void record_stack(struct pt_regs *ctx, const struct tt_bpf_site *site,
				    struct tt_bpf_counts *c, __u64 pid_tgid, __u64 ts)
{
	__u32 mapped, form;
	__u64 size = 0, each, wake = BPF_RB_NO_WAKEUP;
	struct tt_ring_stack *rec;
	struct scratch *s;
	long n;

	if (site->flags & TT_BPF_SITE_COPY) {
		record_copy(ctx, site, c, pid_tgid, ts);
		return;
	}
	mapped = pid_in(&stack_pids, pid_tgid >> 32);
	form = mapped ? TT_STACK_IPS : 0;
	s = take_scratch();
	if (!s) {
		if (c)
			__sync_fetch_and_add(&c->stack_lost, 1);
		return;
	}
	rec = (struct tt_ring_stack *)s->rec;
	if (site->flags & TT_BPF_SITE_CFI) {
		__u64 *ips = (__u64 *)rec->frames, sp = ctx->sp;
		struct walk_loop l = {s};

		form = TT_STACK_IPS;
		ips[0] = ctx->ip;
		s->walk_n = 1;
		s->walk_fp = ctx->bp;
		if (!bpf_probe_read_user(&ips[1], 8, (void *)(sp + site->ra_off)) && ips[1]) {
			s->walk_n = 2;
			if (site->fp_off >= 0 &&
			    bpf_probe_read_user(&s->walk_fp, 8, (void *)(sp + site->fp_off)))
				s->walk_fp = 0;
			bpf_loop(TT_STACK_MAX_FRAMES, fp_step, &l, 0);
		}
		n = (long)(s->walk_n * 8);
	} else if (form) {
		n = bpf_get_stack(ctx, rec->frames, TT_STACK_MAX_FRAMES * 8, BPF_F_USER_STACK);
	} else {
		n = bpf_get_stack(ctx, rec->frames, sizeof(rec->frames),
				  BPF_F_USER_STACK | BPF_F_USER_BUILD_ID);
	}
	if (n > 0) {
		each = form ? 8 : sizeof(rec->frames[0]);
		n /= each;
		if (n > TT_STACK_MAX_FRAMES)
			n = TT_STACK_MAX_FRAMES;
		size = sizeof(*rec) - sizeof(rec->frames) + n * each;
	}
	if (n > 0) {
		stack_head(rec, size, site->probe_id, pid_tgid, ts, (__u32)n, form);
		rec->sp_ret = 0;
		if (site->flags & TT_BPF_SITE_RETSP)
			bpf_probe_read_user(&rec->sp_ret, sizeof(rec->sp_ret), (void *)ctx->sp);
		/* Addresses the recorder must place (CFI walk) while the process has not had its
		 * maps read: wake the recorder now, the process may not live long. */
		if (form && !mapped)
			wake = BPF_RB_FORCE_WAKEUP;
		if (bpf_ringbuf_output(&events, rec, size & (TT_RING_REC_MAX - 1), wake))
			n = 0;
	}
	if (n <= 0 && c)
		__sync_fetch_and_add(&c->stack_lost, 1);
	put_scratch(s);
}

SEC("uprobe")
int usdt(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), ts = bpf_ktime_get_ns();
	__u32 site_id;
	struct tt_bpf_counts *c;
	struct tt_bpf_site *site;

	if (stopped || !is_traced(pid_tgid >> 32))
		return 0;
	site_id = (__u32)bpf_get_attach_cookie(ctx);
	site = bpf_map_lookup_elem(&sites, &site_id);
	if (!site)
		return 0;
	/* x86 EFLAGS CF (0x1) or ZF (0x40): jbe goes to morestack; this call has not begun. */
	if ((site->flags & TT_BPF_SITE_JBE) && (ctx->flags & 0x41))
		return 0;
	c = count_fired(site->probe_id);
	if (cfg_stacks && (site->flags & TT_BPF_SITE_STACK))
		record_stack(ctx, site, c, pid_tgid, ts);
	/* Two functions of their own, not inlined here, so that their stacks are not added up:
	 * BPF allows 512 bytes for the deepest chain of calls. */
	if (site->flags & TT_BPF_SITE_STRS)
		record_strings(ctx, site, c, pid_tgid, ts);
	else
		record_plain(ctx, site, c, pid_tgid, ts);
	return 0;
}

/* ---- kernel tracepoints ---- */

/*
 * record --stack tracepoint:...: the kernel stack of the hit (bpf_get_stack() without flags:
 * the kernel's own unwinder, from the tracepoint's caller), sent before the hit's record with
 * the same time and thread, as bare kernel addresses (TT_STACK_KERNEL). They never reach a
 * tape: the recorder turns each into an offset from _text and names it from /proc/kallsyms.
 * Counted in stack_lost when it cannot be taken or sent, like a user stack.
 */
static __noinline void record_kstack(void *ctx, __u32 probe_id, struct tt_bpf_counts *c,
				     __u64 pid_tgid, __u64 ts)
{
	struct scratch *s = take_scratch();
	struct tt_ring_stack *rec;
	__u64 size;
	long n;

	if (!s) {
		if (c)
			__sync_fetch_and_add(&c->stack_lost, 1);
		return;
	}
	rec = (struct tt_ring_stack *)s->rec;
	n = bpf_get_stack(ctx, rec->frames, TT_STACK_MAX_FRAMES * 8, 0);
	/* Empty: the registers the tracepoint handed over are the user's (syscalls:* before 6.x).
	 * This task's kernel stack from here instead, this program's own callers first (the
	 * recorder drops them, up to trace_call_bpf). */
	rec->sp_ret = 0;
	if (n == 0) {
		n = bpf_get_task_stack(bpf_get_current_task_btf(), rec->frames,
				       TT_STACK_MAX_FRAMES * 8, 0);
		rec->sp_ret = TT_KSTACK_FROM_BPF;
	}
	if (n > 0) {
		n /= 8;
		if (n > TT_STACK_MAX_FRAMES)
			n = TT_STACK_MAX_FRAMES;
		size = sizeof(*rec) - sizeof(rec->frames) + n * 8;
		stack_head(rec, size, probe_id, pid_tgid, ts, (__u32)n, TT_STACK_KERNEL);
		if (bpf_ringbuf_output(&events, rec, size & (TT_RING_REC_MAX - 1), BPF_RB_NO_WAKEUP))
			n = 0;
	}
	if (n <= 0 && c)
		__sync_fetch_and_add(&c->stack_lost, 1);
	put_scratch(s);
}

/* Does this event concern the traced processes (or, system-wide, anything but us)? */
static __always_inline int tp_wanted(const struct tt_bpf_tp *cfg, void *ctx, __u32 tgid)
{
	__u32 other = 0;

	if (cfg->filter_off)
		bpf_probe_read_kernel(&other, sizeof(other), (char *)ctx + (cfg->filter_off & 0xfff));
	if (!cfg_filter_pids) /* system-wide: everything but the recorder's own thread */
		return tgid != cfg_self_tgid && other != cfg_self_tgid;
	if (tgid != cfg_self_tgid && pid_in(&traced, tgid))
		return 1;
	return cfg->filter_off && other && pid_in(&traced_tids, other);
}

SEC("tracepoint")
int tp(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), ts = bpf_ktime_get_ns(), size;
	__u32 tgid = pid_tgid >> 32, idx = (__u32)bpf_get_attach_cookie(ctx);
	struct tt_bpf_tp *cfg = bpf_map_lookup_elem(&tps, &idx);
	struct tt_bpf_counts *c;
	struct tt_ring_raw *rec;
	struct scratch *s;
	__u8 *raw;

	if (stopped || !cfg || !tp_wanted(cfg, ctx, tgid))
		return 0;
	c = count_fired(cfg->probe_id);
	if (cfg_kstacks && (cfg->flags & TT_BPF_TP_KSTACK))
		record_kstack(ctx, cfg->probe_id, c, pid_tgid, ts);
	/* The record's length: the fixed part, extended by the dynamic fields' data. */
	size = cfg->fixed_size;
#pragma unroll
	for (int i = 0; i < TT_TP_MAX_DYN; i++) {
		__u32 loc = 0;
		__u64 end;

		if (i >= cfg->dyn_cnt)
			break;
		bpf_probe_read_kernel(&loc, sizeof(loc), (char *)ctx + (cfg->dyn_off[i] & 0xfff));
		end = (loc & 0xffff) + (loc >> 16);
		if (cfg->dyn_rel_mask & (1 << i))
			end += cfg->dyn_off[i] + 4;
		if (end > size)
			size = end;
	}
	if (size > TT_TP_REC_MAX - 1)
		size = TT_TP_REC_MAX - 1;
	s = take_scratch();
	if (!s) {
		count_loss(c, ts);
		return 0;
	}
	rec = (struct tt_ring_raw *)s->rec;
	raw = s->rec + sizeof(*rec);
	size &= TT_TP_REC_MAX - 1;
	if (size < 8 || bpf_probe_read_kernel(raw, size, ctx)) {
		count_loss(c, ts);
		goto out;
	}
	/* Bytes 0-7 hold a kernel pointer here, not the common fields: never let it out. */
	*(__u16 *)raw = (__u16)cfg->tp_id;
	raw[2] = 0;
	raw[3] = 0;
	*(__u32 *)(raw + 4) = (__u32)pid_tgid;
	rec->hdr.type = TT_RING_RAW;
	rec->hdr.size = sizeof(*rec) + size;
	rec->hdr.probe_id = cfg->probe_id;
	rec->hdr.ts_ns = ts;
	rec->hdr.pid = tgid;
	rec->hdr.tid = (__u32)pid_tgid;
	rec->hdr.cpu = bpf_get_smp_processor_id();
	rec->hdr.seq = next_seq();
	rec->len = size;
	rec->pad = 0;
	if (bpf_ringbuf_output(&events, rec, (sizeof(*rec) + size) & (TT_RING_REC_MAX - 1),
			       wakeup_flags(rec->hdr.seq)))
		count_loss(c, ts);
out:
	put_scratch(s);
	return 0;
}

/* ---- process tracking (attached only with a pid filter) ---- */

static __always_inline void send_proc(__u32 what, __u32 probe_id, struct task_struct *task, __u32 ppid,
				      __s32 exit_code)
{
	struct tt_bpf_counts *c = count_fired(probe_id);
	struct tt_ring_proc *p;
	__u64 ts = bpf_ktime_get_ns();

	p = bpf_ringbuf_reserve(&events, sizeof(*p), 0);
	if (!p) {
		count_loss(c, ts);
		return;
	}
	p->hdr.type = TT_RING_PROC;
	p->hdr.size = sizeof(*p);
	p->hdr.probe_id = 0;
	p->hdr.ts_ns = ts;
	p->hdr.pid = BPF_CORE_READ(task, tgid);
	p->hdr.tid = BPF_CORE_READ(task, pid);
	p->hdr.cpu = bpf_get_smp_processor_id();
	p->hdr.seq = 0;
	p->what = what;
	p->ppid = ppid;
	p->exit_code = exit_code;
	p->pad = 0;
	BPF_CORE_READ_STR_INTO(&p->comm, task, comm);
	bpf_ringbuf_submit(p, wakeup_flags(0));
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid, ctid = child->pid;

	if (!pid_in(&traced, ptgid))
		return 0;
	pid_set(&traced_tids, ctid, 1);
	if (ctid != ctgid) /* a new thread, not a new process */
		return 0;
	pid_set(&traced, ctgid, 1);
	send_proc(TT_PROC_FORK, cfg_probe_fork, child, ptgid, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid;
	struct tt_bpf_counts *c;
	struct tt_ring_exec *e;
	__u64 ts, start, end, n;
	long len;

	if (!pid_in(&traced, tgid))
		return 0;
	c = count_fired(cfg_probe_exec);
	ts = bpf_ktime_get_ns();
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_loss(c, ts);
		return 0;
	}
	e->proc.hdr.type = TT_RING_PROC;
	e->proc.hdr.size = sizeof(*e);
	e->proc.hdr.probe_id = 0;
	e->proc.hdr.ts_ns = ts;
	e->proc.hdr.pid = tgid;
	e->proc.hdr.tid = p->pid;
	e->proc.hdr.cpu = bpf_get_smp_processor_id();
	e->proc.hdr.seq = 0;
	e->proc.what = TT_PROC_EXEC;
	e->proc.ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->proc.exit_code = 0;
	e->proc.pad = 0;
	BPF_CORE_READ_STR_INTO(&e->proc.comm, p, comm);
	len = bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, filename));
	e->path_len = len > 0 ? (__u16)(len - 1) : 0;
	/* The arguments the kernel just copied onto the new stack: present, no fault needed. */
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	n = end > start ? end - start : 0;
	if (n > sizeof(e->args))
		n = sizeof(e->args);
	if (n && bpf_probe_read_user(e->args, n, (void *)start))
		n = 0;
	e->args_len = (__u16)n; /* trailing NULs are the reader's to drop */
	e->pad = 0;
	bpf_ringbuf_submit(e, wakeup_flags(0));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid, tid = p->pid;

	pid_set(&traced_tids, tid, 0);
	if (tid != tgid) /* a thread; the process ends with its leader */
		return 0;
	if (!pid_in(&traced, tgid))
		return 0;
	send_proc(TT_PROC_EXIT, cfg_probe_exit, p, 0, p->exit_code);
	pid_set(&traced, tgid, 0);
	return 0;
}
