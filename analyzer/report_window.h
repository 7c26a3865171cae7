/* SPDX-License-Identifier: MIT */
/*
 * report --from/--to: a time window of the report, one definition for both backends (the SQLite
 * build shadows its tables by temporary views, the ClickHouse one adds the conditions to its
 * queries; both take them from here).
 *
 * A bound is either an offset from each tape's first event ("+1.5s", "90s", "250ms", "2m": the
 * "+s" the report prints, for one tape) or a UTC wall-clock time ("2026-12-07T20:52:45.5Z", a
 * space for the T, the Z optional), turned into each tape's CLOCK_MONOTONIC through its
 * tapes.wall_offset_ns. The window is [from, to): from inclusive, to exclusive, each end open when
 * not given. What belongs to it: the events with ts inside; the spans that start inside (with
 * their whole duration, however long after `to` they end; their start and end events' arguments
 * are shown whole); the loss windows that overlap it (counted whole); the open spans and the
 * threads' last events of those inside. A tape's capture becomes its part of the window (its
 * first event or `from`, whichever is later, to its last event or `to`), so rates are per second
 * of the window. The kernel tables are read over the spans' own times, as without a window; the
 * tail-capture counters (record --keep) cover the whole recording and are left out.
 */
#ifndef TT_REPORT_WINDOW_H
#define TT_REPORT_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "tt_out.h"
#include "tt_util.h"

/* One tape, as the backend reads it from tapes (only those --host keeps). */
struct tt_report_wtape {
	int64_t id;
	char *host;             /* NULL when unknown */
	int has_ts;             /* ts_first, ts_last known (the tape has events) */
	int64_t ts_first, ts_last;
	int has_wall;
	int64_t wall_offset_ns;
	/* set by tt_report_window__bounds(): */
	int in;                 /* the window overlaps the tape's capture */
	int64_t lo, hi;         /* the window in the tape's clock: [lo, hi) (hi INT64_MAX: open) */
	int64_t first, last;    /* the tape's capture inside the window */
};

struct tt_report_window {
	int set;                /* --from or --to given */
	int wall;               /* UTC times (ns since the epoch); else offsets (ns) */
	int has_from, has_to;
	int64_t from, to;
	char *text;             /* "--from X --to Y (...)": what the report says of it */
	struct tt_report_wtape *t;
	size_t n;
};

/*
 * Parse --from and --to (either NULL) into w. 0, -ENOMEM, or -TT_E_USAGE (said through out) for
 * a bound that is neither an offset nor a UTC time, an offset and a time together, or a --to
 * that is not after --from.
 */
int tt_report_window__parse(const char *from, const char *to, struct tt_report_window *w,
			    const struct tt_out *out);

/*
 * Add a tape (its fields as in struct tt_report_wtape; host copied). 0 or -ENOMEM.
 */
int tt_report_window__tape(struct tt_report_window *w, const struct tt_report_wtape *t);

/*
 * The window in each tape's clock (w->t[i].lo, hi, in, first, last). 0, or -TT_E_USAGE (said,
 * naming source) when a time is given and a tape has no wall clock, or when the window overlaps
 * no tape's capture; -ENOMEM.
 */
int tt_report_window__bounds(struct tt_report_window *w, const char *source, const struct tt_out *out);

/*
 * Append to b the SQL condition (SQLite's and ClickHouse's alike: integers, AND, OR) that keeps
 * the rows whose column col (a point: events.ts, spans.start_ts) lies in the window, or, with
 * col_end, whose interval [col, col_end] overlaps it (losses). Rows of tapes outside it: none.
 * 0 or -ENOMEM.
 */
int tt_report_window__cond(const struct tt_report_window *w, struct tt_buf *b, const char *col,
			   const char *col_end);

/*
 * prefix, then (when w is set) " AND " and the condition of tt_report_window__cond(), as a new
 * string (free()), or NULL without memory.
 */
char *tt_report_window__and(const struct tt_report_window *w, const char *prefix, const char *col,
			    const char *col_end);

/*
 * "CASE id WHEN tape THEN first ... END": each tape's capture inside the window (its first, or
 * with last its last timestamp; NULL for a tape outside it), as a new string, or NULL.
 */
char *tt_report_window__case(const struct tt_report_window *w, const char *id, int last);

/* The capture of the window over the tapes: *first (the earliest) and *last (the latest); 0 0
 * when none. */
void tt_report_window__span(const struct tt_report_window *w, uint64_t *first, uint64_t *last);

void tt_report_window__free(struct tt_report_window *w);

#endif /* TT_REPORT_WINDOW_H */
