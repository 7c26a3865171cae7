/* SPDX-License-Identifier: MIT */
/*
 * Ring records into events. The BPF programs send three kinds of records through the `events`
 * ring buffer (bpf/record.h): a probe hit (TT_RING_ARGS: a fixed part, one slot per argument,
 * then the bytes of the string arguments in argument order), a tracepoint's raw record
 * (TT_RING_RAW) and a process record (TT_RING_PROC: fork, exec, exit; an exec may come as the
 * longer exec record with the file's path and arguments). tt_ring_decode() turns one record
 * into the struct tt_event the tape writer takes, and says what the record tells about
 * processes, which the recording session applies to its process table.
 *
 * The record comes from the kernel but is checked like input from a file: its size against its
 * type, the argument count against the slots present, every string against the bytes present
 * (a string the record does not hold whole is cut and flagged TT_STR_TRUNCATED), the probe id
 * against the capture's probe table. A record that fails a check is not decoded, and nothing
 * outside [data, data + size) is ever read.
 */
#ifndef TT_RING_DECODE_H
#define TT_RING_DECODE_H

#include <linux/types.h> /* the __u8.. of record.h */
#include <stddef.h>
#include <stdint.h>

#include "probe_set.h"
#include "record.h"
#include "tt_event.h"

/*
 * The name of the function containing code address pc in the Go binary of probe p (borrowed,
 * valid until the record has been handled), or NULL when there is none to give.
 */
typedef const char *(*tt_ring_symbolize_fn)(void *ctx, const struct tt_probe_set_probe *p,
					    uint64_t pc);

/* What records are decoded against (everything borrowed). */
struct tt_ring_decoder {
	const struct tt_probe_set_probe *probes; /* the capture's probes, by id: argument masks */
	size_t probe_cnt;
	uint32_t probe_fork, probe_exec, probe_exit; /* built-in probes' ids, UINT32_MAX: none */
	tt_ring_symbolize_fn symbolize; /* names code addresses (sym_mask); NULL: all in hex */
	void *symbolize_ctx;
};

/*
 * What one record says. The pointers point into the record (which must stay as it is while
 * they are used) or into the struct itself (do not copy it while they are used).
 */
struct tt_ring_rec {
	int has_event;       /* ev is an event for the tape (a process record of a built-in probe
				the capture lacks has none) */
	struct tt_event ev;
	uint32_t pid;        /* the process the record is about: a probe hit's, or the child of a
				fork, the process of an exec or an exit */
	uint32_t proc_what;  /* process records: TT_PROC_FORK, _EXEC or _EXIT; 0 for probe hits */
	uint32_t ppid;       /* process records: the parent, as the record gives it */
	const char *comm;    /* process records: the command name, comm_len bytes, no NUL */
	size_t comm_len;
	const char *path;    /* an exec with its exec record: the file exec'd (path_len bytes) */
	size_t path_len;
	const char *args;    /* ... and its arguments, NUL-separated (args_len bytes); else NULL */
	size_t args_len;
	/* storage: an aligned copy of a process record; code addresses written in hex */
	struct tt_ring_exec exec;
	char hex[TT_MAX_ARGS][24];
};

/*
 * Decode the size bytes at data, one record of the ring, into *rec. Returns 0, -EBADMSG (too
 * short for its type, sizes that disagree, more arguments than a record holds, a process record
 * of an unknown kind), -ENOENT (a probe id outside the table) or -EPROTONOSUPPORT (an unknown
 * record type). On error *rec is undefined and nothing is to be done with the record.
 */
int tt_ring_decode(const struct tt_ring_decoder *d, const void *data, size_t size,
		   struct tt_ring_rec *rec);

#endif /* TT_RING_DECODE_H */
