/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the parsers of option values (a user's typing, or a script's): sizes
 * (--rotate-size, --buffer: tt_parse_size), durations (-d, --flush, ...: tt_parse_duration),
 * numbers (tt_parse_u64, tt_parse_double) and --span rules (tt_span_rule_parse). The first byte
 * chooses the parser, the rest is the option's value. Beyond "no crash": a duration is at most
 * INT64_MAX ns, and one that parses prints back (as an integer of ns) to the same value.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spans.h"
#include "tt_util.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, err[256];
	uint64_t u, back;
	double d;

	if (size < 1)
		return 0;
	s = tt_fuzz_str(data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (tt_parse_size(s, &u) == 0)
			tt_fuzz_sink += u;
		break;
	case 1:
		if (tt_parse_duration(s, &u) == 0) {
			char num[32];

			if (u > INT64_MAX)
				__builtin_trap();
			snprintf(num, sizeof(num), "%" PRIu64 "ns", u);
			if (tt_parse_duration(num, &back) || back != u)
				__builtin_trap();
		}
		break;
	case 2: {
		struct tt_span_rule r = {0};

		if (tt_span_rule_parse(s, &r, err, sizeof(err)) == 0) {
			tt_fuzz_sink += strlen(r.name) + strlen(r.start) + (r.end ? strlen(r.end) : 0) +
			     (r.key ? strlen(r.key) : 0) + (r.provider ? strlen(r.provider) : 0);
			tt_span_rule_free(&r);
		} else if (!memchr(err, 0, sizeof(err))) {
			__builtin_trap();
		}
		break;
	}
	case 3:
		if (tt_parse_double(s, 0, 1e9, &d) == 0 && !(d >= 0 && d <= 1e9))
			__builtin_trap();
		break;
	default:
		if (tt_parse_u64(s, 1, 1000000, &u) == 0 && (u < 1 || u > 1000000))
			__builtin_trap();
		break;
	}
	free(s);
	return 0;
}
