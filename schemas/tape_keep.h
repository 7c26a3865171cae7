/* SPDX-License-Identifier: MIT */
/*
 * The counters of a tail capture (`record --keep`), as the tape carries them: for every span
 * name a --keep rule watches, how many spans ended, how many were kept and dropped, and a
 * histogram of the durations of all of them, so that the percentiles of every span, dropped ones
 * included, can be told from a tape that holds only the kept ones. Contract: the meta key
 * "keep_spans" in schemas/TAPE_FORMAT.md. The recorder formats it, the analyzer parses it.
 *
 * The histogram is log-linear with TT_KEEP_SUB_BUCKETS buckets per power of two: a value below
 * 2 * TT_KEEP_SUB_BUCKETS ns has a bucket of its own; any other lies in a bucket whose width is
 * at most 1/TT_KEEP_SUB_BUCKETS of its lower bound, so a bucket's middle is within
 * 1/(2 * TT_KEEP_SUB_BUCKETS) (1.6 %) of every value in it.
 */
#ifndef TT_TAPE_KEEP_H
#define TT_TAPE_KEEP_H

#include <stddef.h>
#include <stdint.h>

struct tt_buf; /* tt_util.h */

#define TT_KEEP_SUB_BITS 5
#define TT_KEEP_SUB_BUCKETS (1u << TT_KEEP_SUB_BITS) /* 32 */
/* Buckets 0..63 hold 0..63 ns exactly; then 32 per power of two up to 2^64: 1920 in all. */
#define TT_KEEP_BUCKETS (2 * TT_KEEP_SUB_BUCKETS + (64 - TT_KEEP_SUB_BITS - 1) * TT_KEEP_SUB_BUCKETS)

/* The version of the "keep_spans" lines this code writes; lines of other versions are skipped. */
#define TT_KEEP_VERSION "v1"

/* The bucket of a duration in ns. */
uint32_t tt_keep_bucket(uint64_t ns);
/* The smallest value of bucket idx, and one past its largest (saturated at UINT64_MAX). */
uint64_t tt_keep_bucket_lo(uint32_t idx);
uint64_t tt_keep_bucket_hi(uint32_t idx);

/* One span name's counters. */
struct tt_keep_counts {
	char *provider;     /* "" for none (owned by whoever made it) */
	char *name;         /* (owned likewise) */
	uint64_t seen;      /* spans that ended (closed or not) */
	uint64_t kept;      /* ... written to the tape: closed over the threshold, and unclosed */
	uint64_t dropped;   /* closed within the threshold: left out */
	uint64_t unclosed;  /* ended without their end event (kept, not in the histogram) */
	uint64_t *hist;     /* [TT_KEEP_BUCKETS] durations of the closed ones, kept and dropped */
};

/*
 * Append c as one "keep_spans" line (without a newline) to b. Returns 0 or -ENOMEM. Provider
 * and name must not hold a tab or a newline (the recorder's probe names never do).
 */
int tt_keep_counts_format(const struct tt_keep_counts *c, struct tt_buf *b);

/*
 * Parse one line of a "keep_spans" value (len bytes, no newline) into c: provider and name
 * point into a copy owned by c (free with tt_keep_counts_free), hist is allocated. Returns 0,
 * 1 for a line of another version (to be skipped), -EINVAL for a malformed one, or -ENOMEM.
 */
int tt_keep_counts_parse(const char *line, size_t len, struct tt_keep_counts *c);
void tt_keep_counts_free(struct tt_keep_counts *c);

/*
 * The value at quantile q (0..1) of a histogram of n values: the middle of the bucket that
 * holds the ceil(q * n)-th smallest (the exact value below 2 * TT_KEEP_SUB_BUCKETS ns). 0 when
 * n is 0.
 */
uint64_t tt_keep_quantile(const uint64_t *hist, uint64_t n, double q);

#endif /* TT_TAPE_KEEP_H */
