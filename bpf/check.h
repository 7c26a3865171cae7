/* SPDX-License-Identifier: MIT */
/*
 * Record shared by bpf/check.bpf.c and cli/cmd_check.c: one exec event, sent through the
 * ring buffer when the process tracetape check started calls execve. Fixed-width fields only.
 */
#ifndef TT_CHECK_H
#define TT_CHECK_H

#define TT_CHECK_FILENAME_SZ 64

struct tt_check_exec {
	__u64 ts_ns;  /* bpf_ktime_get_ns() at the tracepoint */
	__u32 pid;    /* TGID of the exec'ing process, init pid namespace */
	__u32 cpu;
	char filename[TT_CHECK_FILENAME_SZ]; /* the tracepoint's filename field, NUL-terminated */
};

_Static_assert(sizeof(struct tt_check_exec) == 80, "tt_check_exec layout");

#endif /* TT_CHECK_H */
