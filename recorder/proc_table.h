/* SPDX-License-Identifier: MIT */
/*
 * What the recorder knows of the processes it records: their parent, name, executable and
 * command line, for the tape's process descriptions. /proc says it while a process lives; the
 * BPF program's fork and exec records say it even when a process is gone before the recorder
 * got to /proc (a process of 40 ms can be), so both feed this table, and the record wins over
 * nothing, /proc over a guess.
 */
#ifndef TT_PROC_TABLE_H
#define TT_PROC_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct tt_proc_info {
	uint32_t pid;
	uint32_t ppid;   /* 0 when unknown */
	char comm[17];   /* "" when unknown */
	char *exe;       /* the executable's path, or NULL (owned by the table) */
	char *cmdline;   /* arguments joined by spaces, or NULL (owned by the table) */
	uint32_t tape;   /* tt_proc_table__describe_in(): the tape holding this description, 0 none */
};

struct tt_proc_table;

/* A table reading processes from proc_root ("/proc"; a test gives its own). NULL on ENOMEM. */
struct tt_proc_table *tt_proc_table__new(const char *proc_root);
void tt_proc_table__free(struct tt_proc_table *t);

/*
 * A record of pid arrived. The first time, its description is gathered (from /proc, else what
 * fork/exec records said, else the parent given by ppid_hint) and returned for the tape;
 * afterwards NULL. *err is set to -ENOMEM on failure (NULL returned), else 0.
 */
const struct tt_proc_info *tt_proc_table__see(struct tt_proc_table *t, uint32_t pid,
					      uint32_t ppid_hint, int *err);

/*
 * pid forked child (named comm): the child starts as its parent's copy (same executable and
 * command line) until /proc or an exec says otherwise. Returns the child's description for the
 * tape when it is new, else NULL (*err as above).
 */
const struct tt_proc_info *tt_proc_table__fork(struct tt_proc_table *t, uint32_t child,
					       uint32_t parent, const char *comm, int *err);

/*
 * pid exec'd path (path_len bytes, as given to execve) with args (args_len bytes, NUL-separated)
 * and is now called comm. Returns its new description for the tape (the executable's absolute
 * path from /proc when the process is still there), or NULL with *err = -ENOMEM.
 */
const struct tt_proc_info *tt_proc_table__exec(struct tt_proc_table *t, uint32_t pid,
					       uint32_t ppid, const char *comm, const char *path,
					       size_t path_len, const char *args, size_t args_len,
					       int *err);

/*
 * For a tape that describes a process only once one of its events is in it (record --keep,
 * which leaves most events out, and with them most of the processes a system-wide tracepoint
 * meets): pid's description if it is known and tape (a number from 1) does not hold it yet,
 * noting that it now does; else NULL. A fork or an exec resets the note: the new description
 * goes into the tape with the process's next event.
 */
const struct tt_proc_info *tt_proc_table__describe_in(struct tt_proc_table *t, uint32_t pid,
						     uint32_t tape);

/* The processes known, in the order they were met: a rotated tape describes them again. */
size_t tt_proc_table__cnt(const struct tt_proc_table *t);
const struct tt_proc_info *tt_proc_table__at(const struct tt_proc_table *t, size_t i);

#endif /* TT_PROC_TABLE_H */
