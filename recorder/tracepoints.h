/* SPDX-License-Identifier: MIT */
/*
 * Kernel tracepoints for a recording: which ones tracefs has that a CATEGORY:NAME pair of globs
 * matches, each one's format (read verbatim, for the tape, and parsed), and the configuration
 * the BPF tracepoint program copies its records with (struct tt_bpf_tp, bpf/record.h): the
 * tracepoint id written as common_type, the fixed part's size, the offsets of the dynamic
 * fields, and the field naming a second thread the event concerns (for the pid filter).
 * The tracefs root is a parameter, so that a made-up tree can stand for it.
 */
#ifndef TT_TRACEPOINTS_H
#define TT_TRACEPOINTS_H

#include <linux/types.h> /* the __u8.. of record.h */
#include <stdint.h>

#include "record.h"
#include "tp_format.h"
#include "tt_out.h"

/*
 * Call fn(system, name, ctx) for every tracepoint under tracefs/events whose category matches
 * sys_glob and whose name matches name_glob (tt_glob_match()) and whose format file is
 * readable, in directory order. A nonzero return from fn stops the walk and is returned.
 * Returns 0, or -errno (after a message on out) when tracefs/events cannot be listed.
 */
int tt_tracepoints_each(const char *tracefs, const char *sys_glob, const char *name_glob,
			int (*fn)(const char *system, const char *name, void *ctx), void *ctx,
			const struct tt_out *out);

/*
 * Read and parse the format of tracepoint system:name: *text gets the file verbatim
 * (NUL-terminated, free() it) and *fmt the parsed format (tt_tp_format_free()). Returns 0, or
 * a negative error after a message on out naming the file: -errno when it cannot be read,
 * -TT_E_PARSE (or -ENOMEM) when it does not parse. Nothing is returned on error.
 */
int tt_tracepoint_load(const char *tracefs, const char *system, const char *name, char **text,
		       struct tt_tp_format **fmt, const struct tt_out *out);

/*
 * The BPF program's configuration for recording fmt's events as probe probe_id. More than
 * TT_TP_MAX_DYN dynamic fields is a warning on out: the later ones may be cut.
 */
void tt_tracepoint_bpf_cfg(const struct tt_tp_format *fmt, uint32_t probe_id, struct tt_bpf_tp *cfg,
			   const struct tt_out *out);

#endif /* TT_TRACEPOINTS_H */
