/* SPDX-License-Identifier: MIT */
/*
 * Histogram bucket schemes: which bucket a value falls in, the bounds of a bucket, and which
 * scheme fits a set of values. The report (report.h) counts and draws its histograms and
 * heatmaps with them. Everything here is a pure function of its arguments, with no SQL in it,
 * so that another store than SQLite can count values per bucket index the same way.
 *
 * Two kinds of scheme (struct tt_buckets):
 *
 *   log    2^sub_bits buckets per power of two, each 1/2^sub_bits of it wide: HdrHistogram's
 *          log-linear layout, the same relative precision at every magnitude (sub_bits 0 is
 *          the plain log2 histogram). A positive v = m * 2^e with 1 <= m < 2 has the index
 *              e * S + floor((m - 1) * S),   S = 2^sub_bits
 *          and the bucket [2^e * (1 + s/S), 2^e * (1 + (s+1)/S)) with s = index - e * S. For
 *          integer values (the flag integer) no bucket is narrower than 1: where 2^e / S < 1
 *          every integer has a bucket of its own, [v, v + 1) (the fine index of v names it).
 *          Every v <= 0 is in the bucket TT_BUCKET_ZERO, "<= 0".
 *   linear buckets [origin + i * width, origin + (i + 1) * width), index i =
 *          floor((v - origin) / width), computed in IEEE double exactly as written.
 *
 * Indexes are what a database groups by; coarsening a scheme (halving its resolution) maps an
 * index i to floor(i / 2), exactly, for both kinds.
 */
#ifndef TT_BUCKETS_H
#define TT_BUCKETS_H

#include <stddef.h>
#include <stdint.h>

enum tt_bucket_kind { TT_BUCKETS_LOG, TT_BUCKETS_LINEAR };

/* What a user asks for (report --buckets). */
enum tt_bucket_mode {
	TT_BUCKETS_AUTO,   /* chosen from the data: tt_buckets_choose() */
	TT_BUCKETS_LOG2,   /* log, one bucket per power of two */
	TT_BUCKETS_LIN,    /* linear over the values' range */
};

/* The mode named s ("auto", "log2", "linear"): 0, or -1 when s names none. */
int tt_buckets_mode_parse(const char *s, enum tt_bucket_mode *mode);

#define TT_BUCKETS_MAX_SUB_BITS 10 /* at most 1024 buckets per power of two */
#define TT_BUCKET_ZERO INT64_MIN  /* log schemes: the bucket of every value <= 0 */

struct tt_buckets {
	uint8_t kind;         /* enum tt_bucket_kind */
	uint8_t sub_bits;     /* log: 2^sub_bits buckets per power of two */
	uint8_t integer;      /* log: the values are integers (no bucket narrower than 1) */
	double origin, width; /* linear */
};

/* What the choice looks at: exact order statistics of the values (nearest rank). */
struct tt_bucket_stats {
	uint64_t n;
	double min, max;
	double p5, p95;       /* the 5th and 95th percentiles: where the bulk of the values lies */
	int integer;          /* every value is an integer */
};

/*
 * The scheme for values described by st (n > 0), for mode:
 *   log2:   log, sub_bits 0.
 *   linear: width the smallest 1, 2 or 5 x 10^p (an integer for integer values) that covers
 *           [min, max] in at most `linear` buckets, origin min rounded down to a multiple of it.
 *   auto:   linear as above when the values are not all positive or lie within one power of
 *           two (max < 2 * min); else log, with the fewest sub-buckets (at most 2^10) that put
 *           at least `bulk` buckets across [p5, p95], fewer when [min, max] would then take
 *           more than `max_buckets` buckets. A sparse tail costs little: renderers fold runs
 *           of empty buckets and coarsen a histogram that has too many rows.
 * The report's histograms use linear 40, bulk 24, max_buckets 4096; its heatmaps 24, 12, 40.
 */
void tt_buckets_choose(struct tt_buckets *b, enum tt_bucket_mode mode, const struct tt_bucket_stats *st,
		       unsigned linear, unsigned bulk, unsigned max_buckets);

/* The index of v's bucket. */
int64_t tt_buckets_index(const struct tt_buckets *b, double v);

/* The bounds of bucket idx, [lo, hi); TT_BUCKET_ZERO is (-inf, 0]: lo -inf, hi 0. */
double tt_buckets_lo(const struct tt_buckets *b, int64_t idx);
double tt_buckets_hi(const struct tt_buckets *b, int64_t idx);

/* The bucket after idx (the one whose lo is idx's hi); after TT_BUCKET_ZERO, the one of 1 (an
 * integer scheme) or of the smallest positive double. */
int64_t tt_buckets_next(const struct tt_buckets *b, int64_t idx);

/* The same values at half the resolution: the scheme in *b is changed, and indexes map through
 * tt_buckets_halve_index(). Returns 0, or -1 when b is a log2 scheme already (nothing coarser). */
int tt_buckets_coarsen(struct tt_buckets *b);
int64_t tt_buckets_halve_index(int64_t idx);

/*
 * The scheme as text: "log2", "log-linear, 16 per power of two", "linear, WIDTH wide" (WIDTH
 * formatted by fmt_width(buf, sz, width, ctx), e.g. as a duration). Returns buf.
 */
char *tt_buckets_describe(const struct tt_buckets *b, char *buf, size_t sz,
			  char *(*fmt_width)(char *, size_t, double, void *), void *ctx);

#endif /* TT_BUCKETS_H */
