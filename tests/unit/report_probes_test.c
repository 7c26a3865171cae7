/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/report_probes.c: which argument of a probe the report shows as a
 * distribution, on hand-made probe descriptions (names that say quantity or identifier, the
 * probe's own name for its one number, the first float, kinds that are never values).
 */
#include <stddef.h>
#include <string.h>

#include "report_model.h"
#include "tt_test.h"

struct arg {
	const char *name, *kind;
};

static int value_arg(const char *probe, const struct arg *args, int argc)
{
	struct tt_report_pdesc p;

	memset(&p, 0, sizeof(p));
	p.name = (char *)probe;
	p.argc = (uint8_t)argc;
	for (int a = 0; a < argc; a++) {
		p.arg_names[a] = (char *)args[a].name;
		p.kinds[a] = (char *)args[a].kind;
	}
	return tt_report_value_arg(&p);
}

TT_TEST(report_probes, value_argument_by_its_name)
{
	static const struct {
		const char *probe;
		struct arg args[5];
		int argc, want;
	} cases[] = {
		/* a quantity word wins, whatever comes first */
		{"query", {{"req_id", "u64"}, {"latency_ns", "u64"}}, 2, 1},
		/* a time wins over a size, wherever it is: the example's svc:response */
		{"response", {{"id", "s64"}, {"status", "s32"}, {"route", "str"}, {"bytes", "u64"},
			      {"latency_ms", "f64"}}, 5, 4},
		{"io", {{"len", "u32"}, {"dur_us", "u32"}, {"elapsed", "u64"}}, 3, 1},
		{"put", {{"count", "u32"}, {"bytes", "u32"}}, 2, 0},      /* the first quantity */
		{"send", {{"fd", "s32"}, {"nbytes", "u64"}}, 2, 1},       /* "byte" inside a word */
		{"scan", {{"rowcount", "any64"}}, 1, 0},                  /* sign unknown: a number */
		{"wait", {{"ms", "f32"}}, 1, 0},
		/* identifiers never, even as the only number */
		{"open", {{"conn_fd", "s32"}}, 1, TT_REPORT_VALUE_NONE},
		{"tick", {{"start_ts", "u64"}}, 1, TT_REPORT_VALUE_NONE},
		{"txn", {{"xid", "u32"}}, 1, TT_REPORT_VALUE_NONE},       /* a short word ending in id */
		/* neither: the probe's name speaks for its one number, else the first float */
		{"rows", {{"v", "u64"}}, 1, 0},
		{"bytes_sent", {{"conn", "str"}, {NULL, "u32"}}, 2, 1},
		{"query", {{"v", "u64"}}, 1, TT_REPORT_VALUE_NONE},
		{"load", {{"id", "u64"}, {"x", "u64"}, {"ratio", "f64"}}, 3, 2},
		{"rows", {{"a", "u64"}, {"b", "u64"}}, 2, TT_REPORT_VALUE_NONE}, /* which one? */
		/* pointers and strings are never values */
		{"alloc", {{"size", "ptr"}}, 1, TT_REPORT_VALUE_NONE},
		{"get", {{"len", "str"}}, 1, TT_REPORT_VALUE_NONE},
		{"none", {{NULL, NULL}}, 0, TT_REPORT_VALUE_NONE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = value_arg(cases[i].probe, cases[i].args, cases[i].argc);

		if (got != cases[i].want)
			fail_msg("case %zu (%s): argument %d, expected %d", i, cases[i].probe, got,
				 cases[i].want);
	}
}
