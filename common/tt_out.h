/* SPDX-License-Identifier: MIT */
/*
 * The one way library code talks to the user. Code in recorder/, analyzer/ and schemas/ never
 * writes to stdout/stderr directly: it writes through a struct tt_out that the caller owns, so
 * that tests can capture everything (open_memstream) and the CLI alone decides what goes where.
 *
 * Verbosity levels (documented once, here): 0 quiet (errors only), 1 warnings, 2 notices (the
 * default: progress and summaries), 3 info (-v), 4 debug (-vv).
 */
#ifndef TT_OUT_H
#define TT_OUT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

enum tt_level {
	TT_LVL_ERROR = 0,
	TT_LVL_WARN = 1,
	TT_LVL_NOTICE = 2,
	TT_LVL_INFO = 3,
	TT_LVL_DEBUG = 4,
};

struct tt_out {
	FILE *out;        /* results: tables, events, reports (borrowed) */
	FILE *err;        /* diagnostics and progress (borrowed) */
	int verbosity;    /* highest enum tt_level that is printed */
	const char *prog; /* prefix of diagnostics, e.g. "tracetape record" (borrowed) */
	int err_is_tty;   /* nonzero when err is a terminal: progress lines may redraw */
};

/* Writes "PROG: " + message + newline to out->err when level <= out->verbosity. */
void tt_log(const struct tt_out *out, enum tt_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tt_vlog(const struct tt_out *out, enum tt_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define tt_err(out, ...) tt_log((out), TT_LVL_ERROR, __VA_ARGS__)
#define tt_warn(out, ...) tt_log((out), TT_LVL_WARN, __VA_ARGS__)
#define tt_notice(out, ...) tt_log((out), TT_LVL_NOTICE, __VA_ARGS__)
#define tt_info(out, ...) tt_log((out), TT_LVL_INFO, __VA_ARGS__)
#define tt_dbg(out, ...) tt_log((out), TT_LVL_DEBUG, __VA_ARGS__)

/*
 * Progress on a terminal: redraws one line on out->err ("\r...") when err is a tty and the
 * level allows notices; prints nothing otherwise. tt_progress_done() ends the line.
 */
void tt_progress(const struct tt_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tt_progress_done(const struct tt_out *out);

/*
 * A progress line for work of known size: "WHAT: 45% of 27.0 MiB, 2.1 s left; MORE" (MORE
 * may be NULL), the time left extrapolated from elapsed_ns at the rate so far. With total 0
 * (unknown: a pipe) it says how much was read instead.
 */
void tt_progress_bytes(const struct tt_out *out, const char *what, uint64_t done, uint64_t total,
		       uint64_t elapsed_ns, const char *more);

#endif /* TT_OUT_H */
