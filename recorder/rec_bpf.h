/* SPDX-License-Identifier: MIT */
/*
 * The recorder's BPF object (bpf/record.bpf.c) opened, configured for a session and loaded:
 * the one place that knows the skeleton's rodata and map sizes, how the attach path and the
 * sleepable mode are chosen from the kernel's features, and how many instructions the verifier
 * processed for each program. `record`, `check` and the verifier-budget test load it here.
 */
#ifndef TT_REC_BPF_H
#define TT_REC_BPF_H

#include <stddef.h>
#include <stdint.h>

#include "bpf_env.h"
#include "tt_out.h"

struct record_bpf;

/* What a session needs from the object. */
struct tt_rec_bpf_cfg {
	uint32_t self_tgid;  /* never recorded */
	uint8_t filter;      /* pid filter: -p or -- COMMAND */
	uint8_t multi;       /* attach through uprobe-multi links (else one perf event per site) */
	uint8_t sleepable;   /* load `usdt` sleepable: it may fault in the pages of strings */
	uint8_t stacks;      /* record --stack: sites flagged TT_BPF_SITE_STACK send user stacks */
	uint8_t kstacks;     /* record --stack tracepoint:...: tracepoints flagged TT_BPF_TP_KSTACK
				send kernel stacks */
	uint32_t strlen;     /* string limit, 1..TT_STRLEN_MAX */
	uint64_t ring_sz;    /* bytes, a power of two */
	size_t site_cnt;     /* USDT/uprobe sites: 0 leaves `usdt` unloaded */
	size_t probe_cnt;    /* probes, counters' slots */
	size_t tp_cnt;       /* tracepoints: 0 leaves `tp` unloaded */
	uint32_t probe_fork, probe_exec, probe_exit; /* built-in probe ids (with filter) */
};

/* The attach path and string mode this kernel gets: multi and sleepable where it has them. */
void tt_rec_bpf_cfg_for(struct tt_rec_bpf_cfg *c, const struct tt_bpf_features *f);

/* "uprobe-multi" or "uprobe-perf": the attach path's name, as the tape's `attach` meta says. */
const char *tt_rec_bpf_attach_name(const struct tt_rec_bpf_cfg *c);

/*
 * Open, configure and load the object. A `usdt` program the kernel refuses sleepable is loaded
 * again non-sleepable (c->sleepable is then cleared, with a warning on out). Returns the loaded
 * skeleton (free with record_bpf__destroy()), or NULL with *err set after printing why.
 */
struct record_bpf *tt_rec_bpf_load(struct tt_rec_bpf_cfg *c, const struct tt_out *out, int *err);

/* One loaded program and what its verification cost. */
struct tt_prog_cost {
	const char *name;        /* the program's name in bpf/record.bpf.c */
	uint32_t verified_insns; /* instructions the verifier processed; 0 if the kernel
				    does not say (before 5.16) */
};

#define TT_VERIFIER_LIMIT 1000000u /* processed instructions a program may take, every kernel */
#define TT_VERIFIER_BUDGET 250000u /* ours: a quarter of it, for kernels we have not met */

/* The loaded programs of skel and their costs, at most max of them. Returns how many. */
size_t tt_rec_bpf_costs(const struct record_bpf *skel, struct tt_prog_cost *costs, size_t max);

#endif /* TT_REC_BPF_H */
