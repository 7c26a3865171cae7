/* SPDX-License-Identifier: MIT */
/*
 * A recording session: resolve probe specs to binaries and sites, load and configure the BPF
 * program, attach, consume the ring buffer into a tape (rotating it when asked), account for
 * every lost event, and stop on a signal, a duration, a size limit or the end of the traced
 * command or processes.
 */
#ifndef TT_RECORDING_H
#define TT_RECORDING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe_spec.h"
#include "rec_keep.h"
#include "tt_out.h"

struct tt_record_opts {
	const char *output;          /* tape path */
	const struct tt_probe_spec *specs; /* parsed probe specs (probe_spec.h); borrowed */
	size_t spec_cnt;
	const pid_t *pids;           /* -p: trace these processes and their descendants */
	size_t pid_cnt;
	char *const *command;        /* -- COMMAND ARGS: NULL-terminated argv, or NULL */
	const char *const *command_env; /* "NAME=VALUE" set (replacing) in the command's
					   environment: NULL-terminated, or NULL */
	uint64_t duration_ns;        /* stop after this long; 0: no limit */
	uint64_t max_size;           /* bytes per tape: stop (or rotate) when reached; 0: none */
	uint32_t rotate;             /* keep this many tapes, rotating at max_size; 0: no rotation */
	uint32_t strlen;             /* string limit in bytes */
	uint64_t ring_sz;            /* ring buffer bytes (power of two, page multiple) */
	const char *schema;          /* provider file (--schema), or NULL */
	const char *cmdline;         /* the recorder's own command line, for the tape's metadata */
	int sync;                    /* fdatasync each flushed block */
	int sched;                   /* --sched: scheduler and process-lifecycle tracepoints */
	int syscalls;                /* --syscalls: raw_syscalls enter and exit */
	int attach;                  /* TT_ATTACH_*: how uprobes are attached */
	int no_fault_in;             /* --no-fault-in: never fault pages in to read a value */
	int fast;                    /* --fast: the probes of binaries built with -DTT_FASTPATH go
					through shared memory, not uprobes (needs command) */
	const char *const *stack_globs; /* --stack: probes whose hits carry their user stack */
	size_t stack_glob_cnt;
	int stack_dwarf;             /* --stack-mode dwarf: copies of the stack top, unwound here */
	const struct tt_keep_rule *keep_rules; /* --keep: tail capture (rec_keep.h); borrowed */
	size_t keep_rule_cnt;
	uint64_t keep_buffer;        /* --keep-buffer: bytes of events held (with keep_rules) */
};

#define TT_ATTACH_AUTO 0  /* uprobe-multi links where the kernel has them, else perf events */
#define TT_ATTACH_MULTI 1 /* one uprobe-multi link per binary (6.6+) */
#define TT_ATTACH_PERF 2  /* one uprobe perf event per site (every kernel) */

struct tt_record_result {
	uint64_t events;        /* events on the tapes (in blocks written whole) */
	uint64_t kept_out;      /* --keep: events recorded but left out (recorded = events +
				   kept_out; recorded + lost = fired) */
	uint64_t lost;          /* events counted lost: in BPF, and unwritten */
	uint64_t unwritten;     /* events that never reached a tape: its write failed */
	uint64_t bytes;         /* bytes of the tapes written */
	uint64_t duration_ns;
	uint32_t probe_cnt;
	uint32_t tapes;         /* tapes written (more than one with rotation) */
	int command_started;    /* a -- COMMAND was started */
	int command_status;     /* its wait status, when command_started */
};

/* Default string limit and ring size. */
#define TT_RECORD_STRLEN_DEFAULT 256
#define TT_RECORD_RING_DEFAULT (16u << 20)
#define TT_RECORD_KEEP_BUFFER_DEFAULT (256u << 20) /* --keep-buffer */

/*
 * Run a recording session until it stops. Progress, the ready line and the summary go to out.
 * Installs handlers for SIGINT and SIGTERM for the session's duration. The options must be
 * valid (the command checks them: at least one spec or --sched/--syscalls, every spec naming a
 * binary or -p/-- given, not both -p and --, strlen and ring size in range, rotate >= 2 with
 * max_size). Returns 0, or a negative error after printing why.
 */
int tt_record_run(const struct tt_record_opts *opts, const struct tt_out *out,
		  struct tt_record_result *res);

#endif /* TT_RECORDING_H */
