/* SPDX-License-Identifier: MIT */
/*
 * The latency and post-mortem report: tt_report__build() reads a tracetape database into a
 * model (per span name, or per value of an argument: count, rate, exact nearest-rank
 * percentiles, a histogram in buckets that fit the data (buckets.h) and the percentile curve;
 * per probe: count, rate and the same of its value argument; per span name, latency over
 * time (sampled points, and a heatmap when asked); with kernel data, where each span name's
 * time went: on CPU, runnable, sleeping, blocked, in which syscalls; the slowest spans with
 * their arguments and the same breakdown; the spans still open at the end with their threads'
 * last events; the losses and what they touch), which tt_report__text() prints for a
 * terminal and tt_report__html() writes as one
 * self-contained page with inline SVG charts.
 *
 * Percentiles are exact: each group's durations are sorted and the nearest-rank values picked,
 * the definition of percentile() in sqlfuncs.h. Memory: 8 bytes per closed span.
 */
#ifndef TT_REPORT_H
#define TT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "buckets.h"
#include "report_stacks.h"
#include "tt_out.h"

#define TT_REPORT_PCTS 4     /* p50, p90, p99, p99.9 */

struct tt_report_opts {
	const char *by;        /* group spans by this argument (of the start, else the end event),
				  or by several: "A,B"; statements by their normalized text */
	uint32_t top;          /* slowest spans, open spans and groups listed; 0: 10 */
	uint32_t last_events;  /* events shown per open span's thread; 0: 5 */
	uint32_t points;       /* points per scatter chart (HTML): between this and twice this; 0: 1000 */
	int raw;               /* exact integers (ns, counts) instead of human units */
	int html_points;       /* collect scatter points */
	int heatmap;           /* a heatmap of latency over time per span name (HTML) */
	enum tt_bucket_mode buckets; /* the histograms' buckets: auto (fitted to the data), log2, linear */
	const char *hosts;     /* --host: only the tapes of these hosts ("a,b"); NULL: every tape */
	const char *from, *to; /* --from, --to: only this window of time (report_window.h); NULL:
				  from the start, to the end */
	const char *const *values; /* --value PROBE=ARG (PROBE a provider:name glob; ARG an argument
	                              name, argN, or 'none'): the argument whose distribution a
	                              probe shows, instead of the one chosen by name (borrowed) */
	size_t value_cnt;
	const struct tt_out *out;
};

/* One non-empty histogram bucket (its bounds: buckets.h). */
struct tt_report_bucket {
	int64_t idx;
	uint64_t count;
};

/* A histogram: the non-empty buckets of a scheme, in index order. */
struct tt_report_hist {
	struct tt_buckets scheme;
	struct tt_report_bucket *b;
	size_t n;
};

/*
 * A percentile curve, as HdrHistogram plots latency: the value at q = 1 - 10^(-j/4) (0 %,
 * 43.8 %, 68.4 %, 82.2 %, 90 %, ..., 99 %, ..., 99.9 %, ...) for every j with 10^(j/4) <= n,
 * then the maximum (q = 100 %); drawn against 1 / (1 - q) on a log axis.
 */
struct tt_report_curve {
	size_t n;
	uint64_t *pct;      /* millionths of a percent (100 % is 100000000) */
	double *v;
};

/* Latency of one span name (or one name and --by value). Times in ns. */
struct tt_report_group {
	char *name;
	char *provider;     /* "" for --span rules; the first one if several */
	char *by;           /* the --by value as text ("(none)" when absent; several keys' values
			       joined by ", "; a statement normalized); NULL without --by */
	char *example;      /* a statement grouped by its normalized text: the first one as
			       recorded; else NULL */
	uint64_t count;     /* closed spans */
	uint64_t open;      /* spans without an end */
	uint64_t lost;      /* spans flagged lost */
	int64_t min, max;
	int64_t pct[TT_REPORT_PCTS];
	double rate;        /* closed spans per second of capture */
	struct tt_report_hist hist;
	struct tt_report_curve curve;
};

/* One heat cell: closed spans started in time bin `bin` whose duration is in bucket idx. */
struct tt_report_cell {
	uint32_t bin;
	int64_t idx;
	uint64_t count;
};

/* Scatter points of one span name (HTML): start (ns from the capture start) and duration. */
struct tt_report_series {
	char *name;
	uint64_t total;     /* closed spans of the name; n of them were sampled */
	size_t n;
	uint64_t *ts;
	int64_t *dur;
	int64_t p50, p99;   /* of every closed span of the name */
	/* the heatmap (--heatmap): bins of heat_bin_ns from the capture's start, durations in
	   heat_scheme's buckets from the shortest to p99's (the top row also holds every longer
	   span when heat_top_open); the non-empty cells by bin, then index */
	struct tt_buckets heat_scheme;
	uint64_t heat_bin_ns;
	uint32_t heat_bins;
	struct tt_report_cell *heat;
	size_t heat_n;
	int heat_top_open;
};

/*
 * One probe: its event count, and the distribution of the argument that looks like a value,
 * in this order: the first numeric one whose name says it is a time (latency, dur, duration,
 * elapsed, time, wait, delay, rtt, took, spent, or a word ms, us, ns, sec, usec, msec, nsec:
 * latency_ms, dur_us, elapsed); else the first whose name says it is another quantity (bytes,
 * size, len, count, rows, total, n, num, amount, sz, cnt); else, when the probe has one numeric
 * argument and its own name says it is a quantity, that one; else its first floating-point one.
 * Never one whose name says it is an identifier (id, *_id, pid, tid, fd, ptr, addr, key, ts,
 * seq, status, ...), a pointer or a string. None otherwise, unless --value names it.
 */
struct tt_report_probe {
	char *provider, *name;
	char *label;        /* "provider:name", "provider:name:return" for a Go function's returns */
	char *arg;          /* the argument whose distribution is given, NULL when none */
	int arg_is_real;
	uint64_t count, lost;
	double rate;
	uint64_t arg_n;     /* events with a value of arg */
	double min, max, pct[TT_REPORT_PCTS];
	struct tt_report_hist hist;
	struct tt_report_curve curve;
	/*
	 * The values of its first C++ name argument (kind cxxname, stored demangled: the type of
	 * an exception that libstdc++'s throw and catch probes give), the most frequent first, at
	 * most --top of them; a faulted one is "<fault>". names_arg NULL: no such argument.
	 */
	char *names_arg;
	struct tt_report_name {
		char *value;
		uint64_t count;
	} *names;
	size_t name_cnt;
	uint64_t names_other; /* events with a value beyond those listed */
};

/*
 * Where time went, from the kernel tables (thread_states, syscalls; report_kernel.c): the time
 * of one thread over a span, or of every span of a name. Times in ns.
 */
enum tt_report_kstate { TT_REPORT_RUNNING, TT_REPORT_RUNNABLE, TT_REPORT_SLEEPING,
			TT_REPORT_BLOCKED, TT_REPORT_UNKNOWN, TT_REPORT_KSTATES };
#define TT_REPORT_KSYS 5 /* syscalls listed per breakdown, the most time first */

struct tt_report_ksys {
	int64_t nr;
	char name[32];       /* the syscall's name, or "#NR" */
	uint64_t count;      /* calls overlapping the time looked at */
	int64_t ns;          /* their time inside it */
};

struct tt_report_kbreak {
	uint32_t tid;        /* the thread (a span's breakdown); 0 for a span name's */
	int role;            /* 0: the span's thread; 1: began the span; 2: ended it */
	int64_t total_ns;    /* the time looked at: the spans' durations, once per thread */
	int64_t state_ns[TT_REPORT_KSTATES]; /* unknown: no thread_states row covers it */
	uint64_t sys_count;  /* every syscall overlapping the time */
	int64_t sys_ns;
	struct tt_report_ksys sys[TT_REPORT_KSYS];
	size_t sys_n;
	size_t sys_more;     /* other syscalls not listed */
};

/* A span name's breakdown. */
struct tt_report_kname {
	char *name;          /* "provider:name" */
	uint64_t spans;      /* closed spans */
	uint64_t cross;      /* ... of which ended on another thread than they began */
	struct tt_report_kbreak b;
};

/* An event of a post-mortem thread listing. */
struct tt_report_event {
	uint64_t id, ts;
	uint32_t tid;
	char *text;         /* "provider:name arg=value ..." */
};

/* A span listed by itself: one of the slowest, or one left open. */
struct tt_report_span {
	uint64_t id;
	char *name;
	int64_t dur;        /* -1 when open */
	uint64_t start_ts, end_ts;
	uint32_t tape, pid, tid, end_tid;
	uint32_t depth;
	int lost;
	char *unclosed;     /* NULL when closed */
	char *args;         /* the start event's arguments, then the end event's */
	struct tt_report_event *last; /* open spans: the last events of the thread */
	size_t last_n;
	struct tt_report_kbreak kb[2]; /* slowest spans with kernel data: per thread (began, ended) */
	size_t kb_n;
};

struct tt_report_loss {
	uint32_t tape, cpu;
	char *probe;        /* "provider:name", or "(unknown probe)" */
	uint64_t ts_start, ts_end, count;
};

/* record --keep: one span name's counters over every span, kept or dropped (report_tail.c). */
struct tt_report_tail {
	char *label;                      /* provider:name */
	uint64_t seen, kept, dropped, unclosed;
	uint64_t all_n;                   /* closed spans in the histogram, kept and dropped */
	int64_t all_pct[TT_REPORT_PCTS];  /* their percentiles from the histogram: within 1.6 % */
	int64_t all_max;                  /* likewise */
	uint64_t kept_n;                  /* the kept closed spans the database holds */
	int64_t kept_pct[TT_REPORT_PCTS]; /* their exact nearest-rank percentiles */
	int64_t kept_max;
};

struct tt_report {
	char *source;
	uint32_t tapes;
	char *hosts;             /* distinct hosts, comma-separated */
	char *window;            /* --from/--to as the report says it; NULL: the whole capture */
	uint64_t ts_first, ts_last, duration_ns;
	int64_t wall_offset_ns;  /* of the first tape; 0 when unknown */
	uint64_t events, spans, lost_events, loss_windows;
	uint64_t open_total, lost_spans;
	char **warnings;         /* the database's load warnings */
	size_t warning_cnt;
	struct tt_report_group *groups;
	size_t group_cnt, groups_omitted;
	struct tt_report_probe *probes;
	size_t probe_cnt;
	struct tt_report_span *slow;
	size_t slow_cnt;
	struct tt_report_span *open;
	size_t open_cnt;
	struct tt_report_loss *losses;
	size_t loss_cnt;
	char **loss_effects;     /* sentences: which statistics the losses touch */
	size_t loss_effect_cnt;
	struct tt_report_series *series;
	size_t series_cnt;
	int kernel_states;       /* thread_states has rows (recorded with --sched) */
	int kernel_syscalls;     /* syscalls has rows (recorded with --syscalls) */
	struct tt_report_kname *knames; /* per span name, when either is set */
	size_t kname_cnt;
	struct tt_report_stacks stacks; /* record --stack: per probe, per span name's slowest */
	struct tt_report_tail *tail;    /* record --keep: per span name watched */
	size_t tail_cnt;
};

/*
 * Read db into a new report (source names it in the output). Returns 0 and sets *rep (free
 * with tt_report__free), -TT_E_USAGE when --by names no argument of any probe, or
 * another negative error after printing why through o->out (-TT_E_SQL, -TT_E_VERSION for a
 * database of a newer schema, -TT_E_BAD_MAGIC for an SQLite file that is not a tracetape one).
 */
int tt_report__build(sqlite3 *db, const char *source, const struct tt_report_opts *o,
		     struct tt_report **rep);

/*
 * The kernel breakdowns of r (report_kernel.c): r->kernel_*, r->knames for every span name, and
 * kb of each of r->slow. Thread-keyed spans are looked at on their thread; a span that ended on
 * another thread than it began (id, goroutine and custom pairings) on both threads, each over
 * the span's whole window, so a name's total counts it once per thread. Nothing when db has no
 * kernel rows (or no such tables: an older database). Returns 0, -ENOMEM or -TT_E_SQL (said
 * through out).
 */
int tt_report__kernel(sqlite3 *db, struct tt_report *r, const struct tt_out *out);

/*
 * The tail-capture counters of db (keep_spans, keep_hist; report_tail.c) into r->tail, with the
 * kept spans' percentiles from spans. Nothing for a database without them. Returns 0, -ENOMEM
 * or -TT_E_SQL (said through out).
 */
int tt_report__tail(sqlite3 *db, struct tt_report *r, const struct tt_out *out);
void tt_report__tail_free(struct tt_report *r);
/* r->tail as a text section (nothing when empty). */
void tt_report__tail_text(FILE *f, const struct tt_report *r, int raw);

/* The report for a terminal. Returns 0 or -EIO. */
int tt_report__text(const struct tt_report *r, const struct tt_report_opts *o, FILE *f);

/* The report as one self-contained HTML page with inline SVG (report_html.c). 0 or -EIO. */
int tt_report__html(const struct tt_report *r, const struct tt_report_opts *o, FILE *f);
/* What every HTML page of the report module starts with: the head, its style sheet, and
 * "<h1>" title source (both escaped), left open for more. */
void tt_report_html_head(FILE *f, const char *title, const char *source);
/* s with <, >, & and " escaped for HTML. */
void tt_report_html_esc(FILE *f, const char *s);

/*
 * Two reports side by side (report_diff.c), a the baseline and b the one compared: per span
 * name (and --by value) and per probe present in either, the count, rate, min, percentiles and
 * max of both and the change; the HTML page also overlays the two distributions of each span
 * name and probe value (histograms as densities on one value axis, and percentile curves).
 * Returns 0 or -EIO.
 */
int tt_report__diff_text(const struct tt_report *a, const struct tt_report *b,
			 const struct tt_report_opts *o, FILE *f);
int tt_report__diff_html(const struct tt_report *a, const struct tt_report *b,
			 const struct tt_report_opts *o, FILE *f);

void tt_report__free(struct tt_report *r);

/*
 * Human units shared by both renderers: a duration in ns as "950ns", "1.23us", "45.6ms",
 * "12.3s" (3 significant digits), or the exact integer when raw; a count with thousands
 * separators; a rate per second with k/M suffixes. Each returns buf.
 */
char *tt_report_dur(char *buf, size_t sz, int64_t ns, int raw);
char *tt_report_count(char *buf, size_t sz, uint64_t n, int raw);
char *tt_report_rate(char *buf, size_t sz, double per_s, int raw);
/* A time as seconds since the start of the capture with microseconds, "+1.234567s" (raw: ns). */
char *tt_report_rel(char *buf, size_t sz, const struct tt_report *r, uint64_t ts, int raw);
/* A number that is not a duration (a probe argument): integers exact, others %.4g. */
char *tt_report_num(char *buf, size_t sz, double v, int is_real);
/* A value of a distribution (a bucket bound, a percentile): a duration (is_dur) as
 * tt_report_dur() says it, else a number (integers exact, others %.4g). Returns buf. */
char *tt_report_value(char *buf, size_t sz, double v, int is_dur, int raw);
/* A bucket bound v of a bucket width wide: tt_report_value(), with more significant digits
 * when three do not tell v from v + width ("[600.0us, 600.5us)"). Returns buf. */
char *tt_report_bound(char *buf, size_t sz, double v, double width, int is_dur, int raw);

/*
 * A histogram as the renderers show it: a row per bucket from the first non-empty one to the
 * last, except that a run of more than `gap` empty buckets is one row (gap set) spanning them;
 * when that makes more than max_rows rows, the scheme is coarsened (pairs of buckets merged,
 * exactly) until it does not, or cannot be. Returns the rows (free()) and sets *n and *max
 * (the tallest count) and *scheme (the scheme the rows are in); NULL without memory, or for
 * an empty histogram (*n 0).
 */
struct tt_report_hrow {
	int gap;            /* a run of empty buckets */
	double lo, hi;      /* [lo, hi) */
	uint64_t count;
};
struct tt_report_hrow *tt_report_hist_rows(const struct tt_report_hist *h, unsigned gap,
					   size_t max_rows, size_t *n, uint64_t *max,
					   struct tt_buckets *scheme);

/* The scheme as a phrase ("log-linear, 16 per power of two", "linear, 5.00us wide"). */
char *tt_report_scheme(char *buf, size_t sz, const struct tt_buckets *b, int is_dur, int raw);

#endif /* TT_REPORT_H */
