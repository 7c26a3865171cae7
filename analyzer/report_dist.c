/* SPDX-License-Identifier: MIT */
/*
 * The report's distributions (report_model.h): from the values of one span name or one probe
 * argument, held in memory, the min and max, the exact nearest-rank percentiles of the tables,
 * the percentile curve, the bucket scheme that fits them (buckets.h) and the count per bucket;
 * from start times and durations, a heatmap's cells. Also the histogram's rows as both
 * renderers show them (report.h, tt_report_hist_rows).
 *
 * Every percentile asked of one set of values is picked by selection, in ascending order, each
 * over what is left above the previous one: O(n) for a handful of ranks. Bucket counts sort the
 * values' bucket indexes (O(n log n)), so no scheme needs a dense array of its possible buckets.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_model.h"
#include "sqlfuncs.h"
#include "tt_util.h"

static const uint64_t pct_micro[TT_REPORT_PCTS] = {50000000, 90000000, 99000000, 99900000};

/* A percentile wanted: where its value goes. */
struct want {
	uint64_t pct;
	double *out;
};

static int want_cmp(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	return x->pct < y->pct ? -1 : x->pct > y->pct;
}

static int i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Count idx[0..n) (sorted here) into h->b: the non-empty buckets in index order. */
static int count_sorted(int64_t *idx, size_t n, struct tt_report_hist *h)
{
	size_t runs = 0;

	qsort(idx, n, sizeof(*idx), i64_cmp);
	for (size_t i = 0; i < n; i++)
		runs += !i || idx[i] != idx[i - 1];
	h->b = calloc(runs ? runs : 1, sizeof(*h->b));
	if (!h->b)
		return -ENOMEM;
	h->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (!i || idx[i] != idx[i - 1])
			h->b[h->n++].idx = idx[i];
		h->b[h->n - 1].count++;
	}
	return 0;
}

int tt_report_dist(double *v, size_t n, enum tt_bucket_mode mode, struct tt_report_dist *d)
{
	struct want w[TT_REPORT_PCTS + 2 + 40];
	size_t wn = 0, lo = 0, cn = 0;
	int64_t *idx = NULL;
	int err = 0;

	memset(d, 0, sizeof(*d));
	if (!n)
		return 0;
	d->st.n = n;
	d->st.integer = 1;
	d->min = d->max = v[0];
	for (size_t i = 0; i < n; i++) {
		d->min = v[i] < d->min ? v[i] : d->min;
		d->max = v[i] > d->max ? v[i] : d->max;
		if (d->st.integer && v[i] != floor(v[i]))
			d->st.integer = 0;
	}
	d->st.min = d->min;
	d->st.max = d->max;
	/* the curve: q = 1 - 10^(-j/4) while 1 / (1 - q) <= n, then the maximum */
	for (int j = 0; j < 36 && pow(10, j / 4.0) <= (double)n; j++)
		cn++;
	d->curve.pct = malloc((cn + 1) * sizeof(*d->curve.pct));
	d->curve.v = malloc((cn + 1) * sizeof(*d->curve.v));
	if (!d->curve.pct || !d->curve.v) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t j = 0; j < cn; j++) {
		d->curve.pct[j] = (uint64_t)llround(1e8 * (1 - pow(10, -(double)j / 4)));
		w[wn++] = (struct want){d->curve.pct[j], &d->curve.v[j]};
	}
	d->curve.pct[cn] = 100000000;
	d->curve.v[cn] = d->max;
	d->curve.n = cn + 1;
	for (int k = 0; k < TT_REPORT_PCTS; k++)
		w[wn++] = (struct want){pct_micro[k], &d->pct[k]};
	w[wn++] = (struct want){5000000, &d->st.p5};
	w[wn++] = (struct want){95000000, &d->st.p95};
	qsort(w, wn, sizeof(*w), want_cmp);
	for (size_t i = 0; i < wn; i++) {
		size_t k = (size_t)tt_pct_rank(n, w[i].pct) - 1;

		tt_select_f64(v + lo, n - lo, k - lo);
		*w[i].out = v[k];
		lo = k;
	}

	tt_buckets_choose(&d->hist.scheme, mode, &d->st, 40, 24, 4096);
	idx = malloc(n * sizeof(*idx));
	if (!idx) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = tt_buckets_index(&d->hist.scheme, v[i]);
	err = count_sorted(idx, n, &d->hist);
cleanup:
	free(idx);
	if (err)
		tt_report_dist_free(d);
	return err;
}

void tt_report_dist_free(struct tt_report_dist *d)
{
	free(d->hist.b);
	free(d->curve.pct);
	free(d->curve.v);
	d->hist.b = NULL;
	d->curve.pct = NULL;
	d->curve.v = NULL;
}

int tt_report_heat(const uint64_t *ts, const int64_t *dur, size_t n, const struct tt_buckets *b,
		   int64_t top, uint64_t bin_ns, struct tt_report_cell **cells, size_t *cell_n,
		   int *clamped)
{
	struct tt_report_hist h = {.scheme = *b};
	int64_t *key = malloc((n ? n : 1) * sizeof(*key));
	int64_t ilo = INT64_MAX;
	int err;

	*cells = NULL;
	*cell_n = 0;
	*clamped = 0;
	if (!key)
		return -ENOMEM;
	/* the key packs (bin, index - lowest index): both are small, the sort orders by bin first */
	for (size_t i = 0; i < n; i++) {
		int64_t x = tt_buckets_index(b, (double)dur[i]);

		ilo = x == TT_BUCKET_ZERO ? ilo : TT_MIN(ilo, x);
	}
	for (size_t i = 0; i < n; i++) {
		int64_t x = tt_buckets_index(b, (double)dur[i]);
		uint64_t bin = ts[i] / (bin_ns ? bin_ns : 1);

		if (x > top) {
			x = top;
			*clamped = 1;
		}
		/* slot 0: the zero bucket; slot k + 1: index ilo + k */
		key[i] = (int64_t)(TT_MIN(bin, UINT32_MAX) << 24 |
				   (uint64_t)(x == TT_BUCKET_ZERO ? 0 : TT_MIN(x - ilo + 1, (1 << 24) - 1)));
	}
	err = count_sorted(key, n, &h);
	free(key);
	if (err)
		return err;
	*cells = calloc(h.n ? h.n : 1, sizeof(**cells));
	if (!*cells) {
		free(h.b);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h.n; i++) {
		int64_t slot = h.b[i].idx & ((1 << 24) - 1);

		(*cells)[i].bin = (uint32_t)((uint64_t)h.b[i].idx >> 24);
		(*cells)[i].idx = slot ? ilo + slot - 1 : TT_BUCKET_ZERO;
		(*cells)[i].count = h.b[i].count;
	}
	*cell_n = h.n;
	free(h.b);
	return 0;
}

/* ---- rows (report.h) ---- */

/* The rows of buckets b[0..n) under scheme s, empty runs longer than gap folded. */
static struct tt_report_hrow *rows_of(const struct tt_buckets *s, const struct tt_report_bucket *b,
				      size_t n, unsigned gap, size_t *rn, uint64_t *max)
{
	struct tt_report_hrow *r = NULL;
	size_t cap = 0;

	*rn = 0;
	*max = 0;
	for (size_t i = 0; i < n; i++) {
		if (i) {
			/* the empty buckets between b[i - 1] and b[i]: walked while there are few */
			int64_t x = tt_buckets_next(s, b[i - 1].idx);
			unsigned empty = 0;

			while (x < b[i].idx && empty <= gap) {
				empty++;
				x = tt_buckets_next(s, x);
			}
			if (empty > gap) {
				if (tt_grow((void **)&r, &cap, *rn + 1, sizeof(*r)))
					goto nomem;
				r[(*rn)++] = (struct tt_report_hrow){1, tt_buckets_hi(s, b[i - 1].idx),
								     tt_buckets_lo(s, b[i].idx), 0};
			} else {
				for (x = tt_buckets_next(s, b[i - 1].idx); x < b[i].idx; x = tt_buckets_next(s, x)) {
					if (tt_grow((void **)&r, &cap, *rn + 1, sizeof(*r)))
						goto nomem;
					r[(*rn)++] = (struct tt_report_hrow){0, tt_buckets_lo(s, x),
									     tt_buckets_hi(s, x), 0};
				}
			}
		}
		if (tt_grow((void **)&r, &cap, *rn + 1, sizeof(*r)))
			goto nomem;
		r[(*rn)++] = (struct tt_report_hrow){0, tt_buckets_lo(s, b[i].idx), tt_buckets_hi(s, b[i].idx),
						     b[i].count};
		*max = TT_MAX(*max, b[i].count);
	}
	return r;
nomem:
	free(r);
	*rn = 0;
	return NULL;
}

struct tt_report_hrow *tt_report_hist_rows(const struct tt_report_hist *h, unsigned gap,
					   size_t max_rows, size_t *n, uint64_t *max,
					   struct tt_buckets *scheme)
{
	struct tt_buckets s = h->scheme;
	struct tt_report_bucket *b = malloc((h->n ? h->n : 1) * sizeof(*b));
	struct tt_report_hrow *r = NULL;
	size_t bn = h->n;

	*n = 0;
	*max = 0;
	if (!b)
		return NULL;
	memcpy(b, h->b, h->n * sizeof(*b));
	for (;;) {
		r = rows_of(&s, b, bn, gap, n, max);
		if (!r || *n <= max_rows || tt_buckets_coarsen(&s))
			break;
		free(r);
		/* pairs of buckets merged: the indexes halve, their order stays */
		{
			size_t k = 0;

			for (size_t i = 0; i < bn; i++) {
				int64_t x = tt_buckets_halve_index(b[i].idx);

				if (k && b[k - 1].idx == x) {
					b[k - 1].count += b[i].count;
				} else {
					b[k].idx = x;
					b[k++].count = b[i].count;
				}
			}
			bn = k;
		}
	}
	free(b);
	if (scheme)
		*scheme = s;
	return r;
}
