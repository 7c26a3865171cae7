/* SPDX-License-Identifier: MIT */
/*
 * Inside tt_report__build() (report.h): what its parts share. report.c runs the build (the
 * capture, the probes' descriptions, the losses) and holds the helpers below; report_spans.c
 * makes the span statistics and lists the single spans; report_probes.c makes the probes'
 * statistics and chooses the argument each one shows; report_dist.c makes the distributions
 * (percentiles, curves, histograms, heatmaps). Not for use outside the report module (ch_report.c,
 * which fills the same model from ClickHouse, is part of it).
 */
#ifndef TT_REPORT_MODEL_H
#define TT_REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "report.h"
#include "tt_hash.h"
#include "tt_types.h"

/* What the report knows of each probe, by probes.id. */
struct tt_report_pdesc {
	char *label; /* "provider:name" (tt_probe_label(): ":return" after a Go function's returns) */
	char *provider, *name;
	uint8_t argc;
	char *arg_names[TT_MAX_ARGS]; /* probe_args.column_name */
	char *kinds[TT_MAX_ARGS];     /* probe_args.kind: "u32", "str", "cxxname"... */
	int span_probe;               /* starts or ends spans by name: no argument distribution */
};

#define TT_REPORT_VALUE_AUTO -1 /* choose the value argument by its name */
#define TT_REPORT_VALUE_NONE -2 /* no distribution */

/* One span name's facts from the pass over spans. */
struct tt_report_nstat {
	char *name, *provider;
	int64_t *durs;      /* in start order */
	uint64_t *starts;   /* --heatmap: the start of each, ns from the capture's start */
	size_t n, cap, starts_cap;
	uint64_t open, lost;
	/* scatter points (HTML): every stride-th closed span, stride doubling to stay in bounds */
	uint64_t *pts_ts;
	int64_t *pts_dur;
	size_t pts_n;
	uint64_t stride;
};

/* One build in progress. */
struct tt_report_builder {
	sqlite3 *db;
	const struct tt_report_opts *o; /* with the defaults filled in */
	const struct tt_out *out;
	struct tt_report *r;            /* the model being built */
	struct tt_report_pdesc *probes; /* probes[id], id from 1 */
	size_t probe_cap;
	struct tt_report_nstat *ns;     /* per span name, in name order after the pass over spans */
	size_t ns_cnt, ns_cap;
	struct tt_hidx ns_index;        /* name -> position in ns, during the pass */
	int64_t (*top)[2];              /* the slowest spans: {dur, id}, slowest first */
	size_t top_n;
	int8_t *value_arg;              /* by probes.id: the --value choice, or TT_REPORT_VALUE_* */
};

/* ---- report.c ---- */

/* asprintf() returning the string, or NULL without memory. */
char *tt_report_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A copy of s ("" for NULL), or NULL without memory. */
char *tt_report_strdup(const char *s);

/* Say SQLite's last error of b->db through b->out; returns -TT_E_SQL. */
int tt_report_builder__sql_err(struct tt_report_builder *b);

/* Prepare sql into *st; 0, or -TT_E_SQL said through b->out (*st NULL then). */
int tt_report_builder__prep(struct tt_report_builder *b, const char *sql, sqlite3_stmt **st);

/* The description of probe id, or NULL when the database has none. Borrowed from b. */
const struct tt_report_pdesc *tt_report_builder__probe(const struct tt_report_builder *b,
						       int64_t id);

/* An event by id, for tt_report_builder__event_text(): prepare this once. It reads the table,
 * not the --from/--to view: a span in the window shows its end event's arguments even when it
 * ended after the window. */
#define TT_REPORT_EVENT_SQL "SELECT probe_id, tid, ts, fault, arg0, arg1, arg2, arg3, arg4, arg5, " \
			    "arg6, arg7, arg8, arg9, arg10, arg11 FROM main.events WHERE id = ?"

/*
 * The arguments of event id as "name=value ..." (with_probe: prefixed by "provider:name"),
 * read through st (TT_REPORT_EVENT_SQL); *tid and *ts when not NULL. Returns an allocated
 * string ("" when there is no such event) or NULL without memory.
 */
char *tt_report_builder__event_text(struct tt_report_builder *b, sqlite3_stmt *st, uint64_t id,
				    int with_probe, uint32_t *tid, uint64_t *ts);

/* n per second of the capture (0 for a capture of no duration). */
double tt_report_per_s(const struct tt_report *r, uint64_t n);

/* Append s (taken over; NULL means no memory) to the array *arr of *n strings. 0 or -ENOMEM. */
int tt_report_push_str(char ***arr, size_t *n, char *s);

/* Whether a probe of this name and type (probes.kind) starts or ends spans by its name. */
int tt_report_span_probe(const char *name, const char *type);

/* One sentence of r->loss_effects: lost events of p (NULL: of unknown probes). 0 or -ENOMEM. */
int tt_report_builder__loss_effect(struct tt_report_builder *b, const struct tt_report_pdesc *p,
				   uint64_t lost);

/* The sentences of r->loss_effects for the span names of b->ns with spans flagged lost. */
int tt_report_builder__loss_names(struct tt_report_builder *b);

/* ---- report_dist.c ---- */

/* The distribution of a set of values. */
struct tt_report_dist {
	double min, max;
	double pct[TT_REPORT_PCTS];  /* nearest rank: p50, p90, p99, p99.9 */
	struct tt_bucket_stats st;   /* what chose the scheme (p5, p95, integer) */
	struct tt_report_hist hist;  /* in the scheme fitted to the values (mode auto) or asked */
	struct tt_report_curve curve;
};

/*
 * The distribution of v[0..n) (reordered) with its histogram in buckets of mode (the
 * report's: linear 40, bulk 24, at most 4096 buckets; buckets.h). n 0 gives an empty one.
 * Returns 0 or -ENOMEM (d then holds nothing to free).
 */
int tt_report_dist(double *v, size_t n, enum tt_bucket_mode mode, struct tt_report_dist *d);
/* Free d's histogram and curve (a model that took them over sets them NULL first). */
void tt_report_dist_free(struct tt_report_dist *d);

/*
 * Heat cells: the n spans (start ts[i], ns from the capture start; duration dur[i]) counted
 * per (ts / bin_ns, bucket of b), a bucket above top counted in top. The non-empty cells in
 * *cells (free()) by bin, then index; *clamped says whether any span was above top.
 * 0 or -ENOMEM.
 */
int tt_report_heat(const uint64_t *ts, const int64_t *dur, size_t n, const struct tt_buckets *b,
		   int64_t top, uint64_t bin_ns, struct tt_report_cell **cells, size_t *cell_n,
		   int *clamped);

/* ---- report_spans.c ---- */

/*
 * One pass over the spans: b->ns (durations, open and lost counts per name, in name order),
 * b->top (the slowest spans), the scatter points when asked; then the groups of b->r: one per
 * name, or with --by one per name and value, the busiest --top of them. Returns 0, -ENOMEM,
 * -TT_E_SQL, or -TT_E_USAGE when --by names no argument of any probe (said through b->out).
 */
int tt_report_builder__spans(struct tt_report_builder *b);

/* b->r->slow: the spans of b->top with their arguments. 0, -ENOMEM or -TT_E_SQL. */
int tt_report_builder__slowest(struct tt_report_builder *b);

/*
 * b->r->open: the oldest --top spans still open at the end, each with the last events of its
 * thread. 0, -ENOMEM or -TT_E_SQL.
 */
int tt_report_builder__open(struct tt_report_builder *b);

/* b->r->series: the scatter points of each name, moved out of b->ns. 0 or -ENOMEM. */
int tt_report_builder__series(struct tt_report_builder *b);

/* Whether the values of --by key name are SQL statements, grouped by their normalized text
 * (query, sql, statement, stmt, or a name ending in _ and one of those). */
int tt_report_by_is_sql(const char *name);

/*
 * Append a group to r: name, provider, the --by value (NULL: none), its closed spans n, lost and
 * open ones, and distribution d, whose histogram and curve it takes over (d's are NULL after).
 * 0 or -ENOMEM.
 */
int tt_report_group_add(struct tt_report *r, const char *name, const char *provider, const char *by,
			uint64_t n, uint64_t lost, uint64_t open, struct tt_report_dist *d);

/* Free what group g owns (not g). */
void tt_report_group_free(struct tt_report_group *g);

/* ---- report_probes.c ---- */

/*
 * b->value_arg from the --value options, checked against the probes. 0, -ENOMEM, or
 * -TT_E_USAGE when an option is malformed, matches no probe, or names no numeric argument of
 * one (said through b->out).
 */
int tt_report_builder__values(struct tt_report_builder *b);

/*
 * b->r->probes: per probe, in provider and name order, its count, rate and losses, the
 * distribution of its value argument, and the values of its first C++ name argument.
 * 0, -ENOMEM or -TT_E_SQL.
 */
int tt_report_builder__probes(struct tt_report_builder *b);

/*
 * Append probe id (described in b) to b->r->probes with its count and losses in the report, and
 * set *arg to the argument whose distribution it shows (its --value choice, else the one
 * tt_report_value_arg() chooses; < 0 for none, and for a probe without events), naming it in the
 * entry. The backend then adds the C++ names and the distribution to b->r->probes[probe_cnt - 1].
 * 0 or -ENOMEM.
 */
int tt_report_builder__probe_add(struct tt_report_builder *b, int64_t id, uint64_t count, uint64_t lost,
				  int *arg);

/* q's value distribution: d's (its histogram and curve taken over, NULL in d after). */
void tt_report_probe_dist(struct tt_report_probe *q, struct tt_report_dist *d);

/*
 * The argument of p whose distribution is worth showing (the rule is report.h's, struct
 * tt_report_probe), or TT_REPORT_VALUE_NONE.
 */
int tt_report_value_arg(const struct tt_report_pdesc *p);

/* ---- report_tail.c ---- */

/*
 * Append a tail-capture entry for provider:name to r->tail with its counters (seen, kept,
 * dropped, unclosed). Returns it, or NULL without memory.
 */
struct tt_report_tail *tt_report_tail_add(struct tt_report *r, const char *provider, const char *name,
					  const uint64_t counters[4]);

/* A span name's keep_hist summed over tapes: counts per bucket (tape_keep.h). */
struct tt_report_tail_hist {
	uint64_t *b;
	uint64_t n;
};
/* A new empty one, or NULL without memory. */
struct tt_report_tail_hist *tt_report_tail_hist__new(void);
/* Add count to bucket (a row of keep_hist; out-of-range rows ignored, sums saturate). */
void tt_report_tail_hist__add(struct tt_report_tail_hist *h, int64_t bucket, int64_t count);
/* t's all-spans percentiles and max from h, which this frees. */
void tt_report_tail_hist__done(struct tt_report_tail_hist *h, struct tt_report_tail *t);

#endif /* TT_REPORT_MODEL_H */
