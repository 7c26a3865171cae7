/* SPDX-License-Identifier: MIT */
/*
 * The counters of a tail capture as the tape carries them (see tape_keep.h): the histogram's
 * bucket scheme, and the "keep_spans" meta lines that the recorder writes and the loader reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tape_keep.h"
#include "tt_util.h"

uint32_t tt_keep_bucket(uint64_t ns)
{
	unsigned e;

	if (ns < 2 * TT_KEEP_SUB_BUCKETS)
		return (uint32_t)ns;
	e = 63u - (unsigned)__builtin_clzll(ns); /* >= TT_KEEP_SUB_BITS + 1 */
	return 2 * TT_KEEP_SUB_BUCKETS + (e - TT_KEEP_SUB_BITS - 1) * TT_KEEP_SUB_BUCKETS +
	       (uint32_t)((ns >> (e - TT_KEEP_SUB_BITS)) - TT_KEEP_SUB_BUCKETS);
}

uint64_t tt_keep_bucket_lo(uint32_t idx)
{
	uint32_t k, e;

	if (idx < 2 * TT_KEEP_SUB_BUCKETS)
		return idx;
	k = idx - 2 * TT_KEEP_SUB_BUCKETS;
	e = TT_KEEP_SUB_BITS + 1 + k / TT_KEEP_SUB_BUCKETS;
	return (uint64_t)(TT_KEEP_SUB_BUCKETS + k % TT_KEEP_SUB_BUCKETS) << (e - TT_KEEP_SUB_BITS);
}

uint64_t tt_keep_bucket_hi(uint32_t idx)
{
	uint64_t lo = tt_keep_bucket_lo(idx), w;

	if (idx < 2 * TT_KEEP_SUB_BUCKETS)
		return lo + 1;
	w = 1ULL << (TT_KEEP_SUB_BITS + 1 + (idx - 2 * TT_KEEP_SUB_BUCKETS) / TT_KEEP_SUB_BUCKETS -
		     TT_KEEP_SUB_BITS);
	return lo > UINT64_MAX - w ? UINT64_MAX : lo + w;
}

uint64_t tt_keep_quantile(const uint64_t *hist, uint64_t n, double q)
{
	uint64_t rank, cum = 0;
	double r;

	if (!n)
		return 0;
	r = q > 0 ? q * (double)n : 0; /* q below 0 or NaN: the smallest */
	if (r >= (double)n) {
		rank = n; /* q >= 1, and ranks past UINT64_MAX that no cast could hold (a tape's
			     counts are anything) */
	} else {
		rank = (uint64_t)r;
		if ((double)rank < r)
			rank++;
	}
	if (rank < 1)
		rank = 1;
	for (uint32_t i = 0; i < TT_KEEP_BUCKETS; i++) {
		cum = cum > UINT64_MAX - hist[i] ? UINT64_MAX : cum + hist[i];
		if (cum >= rank) {
			uint64_t lo = tt_keep_bucket_lo(i), hi = tt_keep_bucket_hi(i);

			return i < 2 * TT_KEEP_SUB_BUCKETS ? lo : lo + (hi - lo) / 2;
		}
	}
	return 0;
}

/* v1 \t PROVIDER \t NAME \t seen \t kept \t dropped \t unclosed \t IDX:COUNT,IDX:COUNT,... */
int tt_keep_counts_format(const struct tt_keep_counts *c, struct tt_buf *b)
{
	int err = tt_buf_printf(b, "%s\t%s\t%s\t%llu\t%llu\t%llu\t%llu\t", TT_KEEP_VERSION,
				c->provider, c->name, (unsigned long long)c->seen,
				(unsigned long long)c->kept, (unsigned long long)c->dropped,
				(unsigned long long)c->unclosed);
	int first = 1;

	for (uint32_t i = 0; !err && c->hist && i < TT_KEEP_BUCKETS; i++) {
		if (!c->hist[i])
			continue;
		err = tt_buf_printf(b, "%s%u:%llu", first ? "" : ",", i,
				    (unsigned long long)c->hist[i]);
		first = 0;
	}
	return err;
}

void tt_keep_counts_free(struct tt_keep_counts *c)
{
	free(c->provider); /* name points into the same allocation */
	free(c->hist);
	memset(c, 0, sizeof(*c));
}

static int parse_u64(const char *s, char **end, uint64_t *v)
{
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, end, 10);
	return errno ? -EINVAL : 0;
}

int tt_keep_counts_parse(const char *line, size_t len, struct tt_keep_counts *c)
{
	char *copy, *f[8], *p, *end;
	uint64_t *nums[4] = {&c->seen, &c->kept, &c->dropped, &c->unclosed};
	size_t nf = 0;
	int err = -EINVAL;

	memset(c, 0, sizeof(*c));
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, line, len);
	copy[len] = 0;
	for (p = copy; nf < 8; nf++) {
		f[nf] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = 0;
	}
	if (nf == 0 || strcmp(f[0], TT_KEEP_VERSION)) {
		free(copy);
		return strncmp(line, "v", 1) ? -EINVAL : 1;
	}
	if (nf != 7)
		goto fail;
	c->provider = copy;
	memmove(copy, f[1], strlen(f[1]) + 1); /* provider first in the allocation */
	c->name = f[2];
	for (int i = 0; i < 4; i++)
		if (parse_u64(f[3 + i], &end, nums[i]) || *end)
			goto fail;
	c->hist = calloc(TT_KEEP_BUCKETS, sizeof(*c->hist));
	if (!c->hist) {
		err = -ENOMEM;
		goto fail;
	}
	for (p = f[7]; *p;) {
		uint64_t idx, cnt;

		if (parse_u64(p, &end, &idx) || *end != ':' || idx >= TT_KEEP_BUCKETS ||
		    parse_u64(end + 1, &end, &cnt) || (*end && *end != ','))
			goto fail;
		c->hist[idx] += cnt;
		p = *end ? end + 1 : end;
	}
	if (c->kept + c->dropped != c->seen || c->unclosed > c->kept)
		goto fail;
	return 0;
fail:
	if (!c->provider)
		free(copy);
	tt_keep_counts_free(c);
	return err;
}
