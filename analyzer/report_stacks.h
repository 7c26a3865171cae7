/* SPDX-License-Identifier: MIT */
/*
 * The report's call stacks (`record --stack`): per probe with stacks, its distinct stacks by
 * hits; per span name whose start or end events have stacks, the stacks of its slowest spans
 * (ties in span order).
 * The text report lists the most frequent of each; the HTML report draws one flame graph per
 * probe and span name (outermost frame at the top, each frame as wide as the hits under it).
 * Stacks with the same frames (folded form) from several tapes count together.
 */
#ifndef TT_REPORT_STACKS_H
#define TT_REPORT_STACKS_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "tt_out.h"

struct tt_report_stack {
	char *folded;     /* outermost first, ';'-separated (stacks.folded) */
	uint64_t count;   /* hits (probes), or spans among the slowest (span names) */
	int64_t max_dur;  /* span names: the slowest of those spans, ns; probes: 0 */
};

struct tt_report_stackset {
	char *label;      /* "provider:name" of a probe, or a span name */
	int is_span;      /* the stacks of the slowest spans of a span name */
	uint64_t total;   /* hits (or spans) with a stack */
	struct tt_report_stack *stacks; /* most frequent first */
	size_t n;
};

struct tt_report_stacks {
	struct tt_report_stackset *sets;
	size_t n;
};

/*
 * Read the stacks of db into s (empty when db has none, or is older than the stacks tables):
 * every probe's, and those of the top slowest spans of each span name. Returns 0, -ENOMEM or
 * -TT_E_SQL (said through out).
 */
int tt_report_stacks__build(sqlite3 *db, uint32_t top, struct tt_report_stacks *s,
			    const struct tt_out *out);
void tt_report_stacks__free(struct tt_report_stacks *s);

/*
 * Add one row to s, in the order the sets are listed (all probes' by label, then all span
 * names'; in each, the most frequent stack first): label's stack folded (NULLs skipped) with
 * its count and, for a span name, the slowest of its spans. *cap: s->sets' room (0 at first).
 * 0 or -ENOMEM. How ch_report.c fills the same model.
 */
int tt_report_stacks__add(struct tt_report_stacks *s, size_t *cap, int is_span, const char *label,
			  const char *folded, uint64_t count, int64_t max_dur);

/* The text section (nothing without stacks): at most top stacks per set, frames ' > '-joined. */
void tt_report_stacks__text(FILE *f, const struct tt_report_stacks *s, uint32_t top);

/* The HTML section (nothing without stacks): a flame graph per set. */
void tt_report_stacks__html(FILE *f, const struct tt_report_stacks *s);

#endif /* TT_REPORT_STACKS_H */
