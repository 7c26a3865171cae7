/* SPDX-License-Identifier: MIT */
/*
 * The in-memory shapes every part exchanges: a probe's description, one event, one loss record.
 * The recorder fills them from BPF records and hands them to the tape writer; the tape reader
 * hands the same shapes to the analyzer. Nothing here is an on-disk layout (schemas/ has those).
 */
#ifndef TT_EVENT_H
#define TT_EVENT_H

#include <stdint.h>

#include "tt_types.h"

/* A probe of the capture. Strings are borrowed from whoever owns the description. */
struct tt_probe_desc {
	uint32_t id;        /* dense, from 0; events refer to it */
	uint8_t type;       /* TT_PROBE_* */
	uint8_t argc;       /* 0..TT_MAX_ARGS */
	uint8_t kinds[TT_MAX_ARGS];          /* TT_KIND_* per argument */
	const char *provider;                /* USDT provider, tracepoint category, Go package, ... */
	const char *name;                    /* USDT probe name, tracepoint name, function name */
	const char *binary;                  /* path of the ELF file, NULL for tracepoints */
	const char *build_id;                /* hex GNU build id of binary, NULL when absent */
	const char *arg_specs;               /* the stapsdt argument string of the first site, or NULL */
	const char *arg_names[TT_MAX_ARGS];  /* NULL where unknown */
};

/* A string or byte-string argument. ptr is not NUL-terminated; len excludes any NUL. */
struct tt_bytes {
	const uint8_t *ptr;
	uint32_t len;
	uint32_t flags; /* TT_STR_* */
};

/*
 * One event. Which of args[] and strs[] is meaningful for argument i depends on the probe's
 * kinds[i]: strs[i] for TT_CLASS_STR and TT_CLASS_BYTES, args[i] (the raw bits, zero- or
 * sign-extended to 64 bits; floats as their IEEE bits) for every other class.
 */
struct tt_event {
	uint64_t ts_ns;      /* CLOCK_MONOTONIC when the probe fired */
	uint64_t goid;       /* goroutine id, 0 outside Go */
	uint32_t probe_id;
	uint32_t pid;        /* process (TGID) in the initial pid namespace */
	uint32_t tid;        /* thread */
	uint32_t cpu;
	uint32_t seq;        /* per-CPU sequence number given by the BPF program */
	uint16_t fault_mask; /* bit i: argument i could not be read; its value is 0 / empty */
	uint8_t argc;
	uint32_t stack_id;   /* record --stack: the call stack of this hit (tape_stacks.h); 0: none */
	uint64_t args[TT_MAX_ARGS];
	struct tt_bytes strs[TT_MAX_ARGS];
};

/*
 * A frame of a recorded call stack: a code address as the file it is in (a module of the
 * tape's STACKS descriptions, 0 when the address was in no file mapping: then offset is the
 * absolute address) and the offset in that file.
 */
struct tt_stack_frame {
	uint32_t module;
	uint32_t pad;
	uint64_t offset;
};

/* A function of a module, as the tape names it (kernel stacks: the reader has no file). */
struct tt_stack_sym {
	uint64_t offset, size; /* in the module's frame offsets; size 0: unknown */
	const char *name;
};

/* A file that stack frames are in. Strings borrowed from whoever owns the description. */
struct tt_stack_module {
	uint32_t id;          /* from 1 */
	const char *path;     /* as the traced process mapped it; "[kernel]" or "[MODULE]" for
				 the kernel's frames (offsets from _text, named by syms) */
	const char *build_id; /* hex GNU build id, NULL when the file has none */
	const struct tt_stack_sym *syms; /* the tape's own symbols of it, by offset; or NULL */
	uint32_t sym_cnt;
};

/* Events of probe_id that could not be recorded on cpu in [ts_start_ns, ts_end_ns]. */
struct tt_loss {
	uint32_t cpu;         /* TT_LOSS_ANY_CPU when the CPU is not known */
	uint32_t probe_id;    /* TT_LOSS_ANY_PROBE when the probe is not known */
	uint64_t ts_start_ns; /* CLOCK_MONOTONIC */
	uint64_t ts_end_ns;
	uint64_t count;
};

#define TT_LOSS_ANY_PROBE UINT32_MAX
#define TT_LOSS_ANY_CPU UINT32_MAX

#endif /* TT_EVENT_H */
