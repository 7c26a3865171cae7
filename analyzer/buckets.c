/* SPDX-License-Identifier: MIT */
/*
 * Histogram bucket schemes (buckets.h). The log index comes from frexp(), which splits a double
 * exactly, so that every step below (a scaling by a power of two, a subtraction of 1 from a
 * number in [1, 2), a multiplication by 2^sub_bits) is exact: a value's bucket does not depend
 * on rounding. Only the linear index divides, and it is defined as that IEEE division.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buckets.h"

/* Floor division by 2, also for negative indexes. */
int64_t tt_buckets_halve_index(int64_t idx)
{
	if (idx == TT_BUCKET_ZERO)
		return idx;
	return idx >= 0 ? idx / 2 : -((-idx + 1) / 2);
}

/* v = m * 2^e, 1 <= m < 2 (v > 0, finite). */
static double split(double v, int *e)
{
	int ex;
	double f = frexp(v, &ex);

	*e = ex - 1;
	return 2 * f;
}

int64_t tt_buckets_index(const struct tt_buckets *b, double v)
{
	if (b->kind == TT_BUCKETS_LINEAR) {
		double i = floor((v - b->origin) / b->width);

		if (!(i > -4e18)) /* NaN too */
			return -(INT64_C(4000000000000000000));
		return i < 4e18 ? (int64_t)i : INT64_C(4000000000000000000);
	}
	if (!(v > 0))
		return TT_BUCKET_ZERO;
	if (isinf(v))
		v = 1.7976931348623157e308;
	{
		int e, S = 1 << b->sub_bits;
		double m = split(v, &e);

		return (int64_t)e * S + (int64_t)floor((m - 1) * S);
	}
}

/* e and s of a log index: idx = e * S + s, 0 <= s < S. */
static void log_parts(const struct tt_buckets *b, int64_t idx, int *e, int64_t *s)
{
	int64_t S = INT64_C(1) << b->sub_bits;
	int64_t q = idx >= 0 ? idx / S : -((-idx + S - 1) / S);

	*e = (int)q;
	*s = idx - q * S;
}

double tt_buckets_lo(const struct tt_buckets *b, int64_t idx)
{
	int e;
	int64_t s;

	if (b->kind == TT_BUCKETS_LINEAR)
		return b->origin + (double)idx * b->width;
	if (idx == TT_BUCKET_ZERO)
		return -INFINITY;
	log_parts(b, idx, &e, &s);
	return ldexp(1.0 + (double)s / (double)(1 << b->sub_bits), e);
}

double tt_buckets_hi(const struct tt_buckets *b, int64_t idx)
{
	int e;
	int64_t s;

	if (b->kind == TT_BUCKETS_LINEAR)
		return b->origin + (double)(idx + 1) * b->width;
	if (idx == TT_BUCKET_ZERO)
		return 0;
	log_parts(b, idx, &e, &s);
	/* an integer scheme where the buckets would be narrower than 1: one integer each */
	if (b->integer && e < b->sub_bits)
		return tt_buckets_lo(b, idx) + 1;
	return ldexp(1.0 + (double)(s + 1) / (double)(1 << b->sub_bits), e);
}

int64_t tt_buckets_next(const struct tt_buckets *b, int64_t idx)
{
	if (b->kind == TT_BUCKETS_LINEAR)
		return idx + 1;
	if (idx == TT_BUCKET_ZERO)
		return tt_buckets_index(b, b->integer ? 1.0 : 4.9406564584124654e-324);
	return tt_buckets_index(b, tt_buckets_hi(b, idx));
}

int tt_buckets_coarsen(struct tt_buckets *b)
{
	if (b->kind == TT_BUCKETS_LINEAR) {
		b->width *= 2;
		return 0;
	}
	if (!b->sub_bits)
		return -1;
	b->sub_bits--;
	return 0;
}

/* The smallest 1, 2 or 5 x 10^p at least x (x > 0). */
static double nice_up(double x)
{
	double base = pow(10, floor(log10(x)));
	static const double m[] = {1, 2, 5, 10};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i] * base >= x * (1 - 1e-12))
			return m[i] * base;
	return 10 * base;
}

static void choose_linear(struct tt_buckets *b, const struct tt_bucket_stats *st, unsigned linear)
{
	double range = st->max - st->min, w;

	if (range > 0)
		w = nice_up(range / (linear > 1 ? linear - 1 : 1));
	else
		w = st->min != 0 ? nice_up(fabs(st->min) / 10) : 1; /* one value: a tenth of it */
	if (st->integer && w < 1)
		w = 1;
	b->kind = TT_BUCKETS_LINEAR;
	b->width = w;
	b->origin = floor(st->min / w) * w;
}

void tt_buckets_choose(struct tt_buckets *b, enum tt_bucket_mode mode, const struct tt_bucket_stats *st,
		       unsigned linear, unsigned bulk, unsigned max_buckets)
{
	double span, bulk_span;
	int k;

	memset(b, 0, sizeof(*b));
	b->integer = st->integer != 0;
	b->width = 1;
	if (mode == TT_BUCKETS_LOG2) {
		b->kind = TT_BUCKETS_LOG;
		return;
	}
	if (mode == TT_BUCKETS_LIN || !(st->min > 0) || st->max < 2 * st->min) {
		choose_linear(b, st, linear);
		return;
	}
	b->kind = TT_BUCKETS_LOG;
	span = log2(st->max / st->min);
	bulk_span = st->p95 > st->p5 && st->p5 > 0 ? log2(st->p95 / st->p5) : 0;
	k = TT_BUCKETS_MAX_SUB_BITS;
	if (bulk_span > 0) {
		double want = log2((double)bulk / bulk_span);

		k = want <= 0 ? 0 : (int)ceil(want);
		if (k > TT_BUCKETS_MAX_SUB_BITS)
			k = TT_BUCKETS_MAX_SUB_BITS;
	}
	while (k > 0 && span * (double)(1 << k) > (double)max_buckets)
		k--;
	b->sub_bits = (uint8_t)k;
}

char *tt_buckets_describe(const struct tt_buckets *b, char *buf, size_t sz,
			  char *(*fmt_width)(char *, size_t, double, void *), void *ctx)
{
	char w[48];

	if (b->kind == TT_BUCKETS_LINEAR)
		snprintf(buf, sz, "linear, %s wide", fmt_width(w, sizeof(w), b->width, ctx));
	else if (!b->sub_bits)
		snprintf(buf, sz, "log2");
	else
		snprintf(buf, sz, "log-linear, %d per power of two", 1 << b->sub_bits);
	return buf;
}

int tt_buckets_mode_parse(const char *s, enum tt_bucket_mode *mode)
{
	static const char *const names[] = {"auto", "log2", "linear"};

	for (int i = 0; i < 3; i++) {
		if (!strcmp(s, names[i])) {
			*mode = (enum tt_bucket_mode)i;
			return 0;
		}
	}
	return -1;
}
