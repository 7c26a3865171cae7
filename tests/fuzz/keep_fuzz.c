/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the parsers of tail capture (`record --keep`): the rule a user types,
 * "PATTERN > DURATION" (tt_keep_rule_parse, recorder/rec_keep.c), and the "keep_spans" lines a
 * tape carries (tt_keep_counts_parse, schemas/tape_keep.c), which `load` and `report` read from
 * any tape. The first byte chooses: even a rule, odd a keep_spans line. A line that parses is
 * formatted back and parsed again, and must give the same counters and histogram; its
 * histogram's quantiles are taken at 0, 0.5, 0.99 and 1 and must lie in [0, UINT64_MAX].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rec_keep.h"
#include "tape_keep.h"
#include "tt_util.h"
#include "fuzz_util.h"

static int same(const struct tt_keep_counts *a, const struct tt_keep_counts *b)
{
	return !strcmp(a->provider, b->provider) && !strcmp(a->name, b->name) &&
	       a->seen == b->seen && a->kept == b->kept && a->dropped == b->dropped &&
	       a->unclosed == b->unclosed &&
	       !memcmp(a->hist, b->hist, TT_KEEP_BUCKETS * sizeof(*a->hist));
}

static void counts(const char *line, size_t len)
{
	struct tt_keep_counts c = {0}, again = {0};
	struct tt_buf b = {0};
	uint64_t n = 0;

	if (tt_keep_counts_parse(line, len, &c) != 0)
		return;
	for (uint32_t i = 0; i < TT_KEEP_BUCKETS; i++)
		n = n + c.hist[i] < n ? UINT64_MAX : n + c.hist[i];
	tt_fuzz_sink += tt_keep_quantile(c.hist, n, 0) + tt_keep_quantile(c.hist, n, 0.5) +
			tt_keep_quantile(c.hist, n, 0.99) + tt_keep_quantile(c.hist, n, 1);
	/* a line holds no newline (the value is split at them), and format keeps none out */
	if (!memchr(line, '\n', len) && tt_keep_counts_format(&c, &b) == 0) {
		if (tt_keep_counts_parse((const char *)b.data, b.len, &again) != 0 || !same(&c, &again))
			__builtin_trap(); /* what was written does not read back */
		tt_keep_counts_free(&again);
	}
	tt_buf_free(&b);
	tt_keep_counts_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_keep_rule rule = {0};
	char err[256], *s;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		/* exactly the line's bytes, so that a read past its end is caught */
		char *line = malloc(size - 1 ? size - 1 : 1);

		if (line) {
			memcpy(line, data + 1, size - 1);
			counts(line, size - 1);
			free(line);
		}
		return 0;
	}
	s = tt_fuzz_str(data + 1, size - 1);
	if (!s)
		return 0;
	if (tt_keep_rule_parse(s, &rule, err, sizeof(err)) == 0) {
		if (!rule.pattern)
			__builtin_trap();
		tt_fuzz_sink += strlen(rule.pattern) + rule.min_ns + rule.inclusive;
		tt_keep_rule_free(&rule);
	} else if (!memchr(err, 0, sizeof(err))) {
		__builtin_trap();
	}
	free(s);
	return 0;
}
