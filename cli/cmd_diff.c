/* SPDX-License-Identifier: MIT */
/*
 * `tracetape diff A B`: two captures (tapes, databases or ClickHouse databases) compared, the question after every
 * deploy: per span name and per probe, count, rate and each percentile of both with the
 * change (report.h, tt_report__diff_text and tt_report__diff_html). Each input is reported as
 * `tracetape report` would, with the same options.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_url.h"
#include "cmd_ch.h"
#include "loader.h"
#include "report.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"

enum { OPT_BY = TT_OPT_FIRST, OPT_RAW, OPT_SPAN, OPT_VALUE, OPT_BUCKETS };

enum fmt { FMT_TEXT, FMT_HTML };
static const char *const fmt_names[] = {"text", "html", NULL};

static const struct tt_opt opts[] = {
	{OPT_BY, "by", 0, "ARG", "compare spans grouped by argument ARG (see report --by)", NULL},
	{'f', "format", 'f', "FMT",
	 "text (default) or html: one self-contained page that also\n"
	 "overlays the two distributions; -o FILE.html implies html",
	 NULL},
	{'o', "output", 'o', "FILE", "write to FILE instead of standard output ('-')", NULL},
	{OPT_RAW, "raw", 0, NULL, "exact integers (ns, counts) instead of human units", NULL},
	{OPT_SPAN, "span", 0, "RULE", "for a TAPE: NAME=START,END[,key=ARG] span rules (see load)",
	 NULL},
	{OPT_VALUE, "value", 0, "PROBE=ARG", "the argument a probe's values are compared by (see report)",
	 NULL},
	{OPT_BUCKETS, "buckets", 0, "MODE", "histogram buckets of the HTML overlays (see report)", NULL},
	{0},
};

const struct tt_cmd_def tt_cmd_def_diff = {
	.summary = "compare two captures: counts, rates and percentiles side by side",
	.name = "diff",
	.usage = "[--by ARG] [-f text|html] [-o FILE] [--raw] [--span RULE]...\n"
		 "                      [--value PROBE=ARG]... [--buckets MODE] A B",
	.about = "Compares two captures, each a database made by 'tracetape load', a tape, or a\n"
		 "ClickHouse database (a clickhouse:// URL, see report): A is the baseline, B is\n"
		 "compared with it. Per span name (or name and --by value) and per\n"
		 "probe found in either: the count, rate, min, p50, p90, p99, p99.9 and max of both\n"
		 "(exact, nearest rank, as 'tracetape report' gives them) and the change from A to\n"
		 "B in percent ('new' or 'gone' for what only one has). A probe's values are compared\n"
		 "when both reports show the same argument. The HTML page overlays the two\n"
		 "distributions of each: histograms as the share of values per unit of a common\n"
		 "value axis, and the two percentile curves.\n",
	.opts = opts,
	.more = "Exit status: 0 success, 1 unreadable input, SQLite or ClickHouse error, 2 bad\n"
		"command line.\n",
};

/* One input reported. */
static int one(const char *path, const struct tt_load_opts *lo, const struct tt_report_opts *ro,
	       struct tt_report **rep)
{
	struct tt_input in = {0};
	int err;

	if (tt_ch_url_is(path))
		return tt_cmd_report_ch(path, ro, rep, lo->out);
	err = tt_input_open(path, lo, 0, &in);
	if (!err)
		err = tt_report__build(in.db, path, ro, rep);
	tt_input_close(&in);
	return err;
}

int tt_cmd_diff(int argc, char **argv, struct tt_out *out)
{
	struct tt_report_opts ro = {.out = out};
	struct tt_load_opts lo = {.out = out};
	struct tt_span_rules rules = {0};
	struct tt_report *rep[2] = {NULL, NULL};
	const char *output = NULL, **values = NULL, *val;
	int c, err = 0, html = -1;
	struct tt_opts p;
	FILE *f = NULL;

	tt_opts_init(&p, &tt_cmd_def_diff, argc, argv, out);
	while ((c = tt_opts_next(&p, &val)) > 0) {
		switch (c) {
		case OPT_BY:
			ro.by = val;
			break;
		case 'f':
			html = tt_cmd_format(out, val, fmt_names);
			if (html < 0) {
				err = html;
				goto cleanup;
			}
			html = html == FMT_HTML;
			break;
		case 'o':
			output = val;
			break;
		case OPT_RAW:
			ro.raw = 1;
			break;
		case OPT_SPAN:
			err = tt_cmd_span_rule(&rules, val, out);
			if (err)
				goto cleanup;
			break;
		case OPT_VALUE:
			err = tt_cmd_value_arg(&values, &ro.value_cnt, val, out);
			if (err)
				goto cleanup;
			ro.values = values;
			break;
		case OPT_BUCKETS:
			if (tt_buckets_mode_parse(val, &ro.buckets)) {
				err = tt_cmd_usage_error(out, "--buckets '%s': expected auto, log2 or linear", val);
				goto cleanup;
			}
			break;
		}
	}
	if (c < 0) {
		err = c == TT_OPTS_HELP ? 0 : c;
		goto cleanup;
	}
	if (p.arg_cnt != 2) {
		err = p.arg_cnt < 2 ? tt_cmd_usage_error(out, "expected two captures, A and B (tapes or databases)")
				    : tt_cmd_usage_error(out, "unexpected argument '%s'", p.args[2]);
		goto cleanup;
	}
	if (html < 0)
		html = tt_cmd_html_name(output);
	lo.rules = rules.v;
	lo.rule_cnt = rules.cnt;
	for (int k = 0; k < 2 && !err; k++)
		err = one(p.args[k], &lo, &ro, &rep[k]);
	if (err)
		goto cleanup;
	f = tt_cmd_output_open(out, output);
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	err = html ? tt_report__diff_html(rep[0], rep[1], &ro, f) : tt_report__diff_text(rep[0], rep[1], &ro, f);
	if (err)
		tt_err(out, "cannot write the comparison: %s", tt_strerror(err));
	{
		int e = tt_cmd_output_close(out, output, f);

		err = err ? err : e;
	}
	if (!err && html && output && strcmp(output, "-"))
		tt_notice(out, "wrote %s", output);
cleanup:
	tt_opts_free(&p);
	tt_report__free(rep[0]);
	tt_report__free(rep[1]);
	tt_span_rules_free(&rules);
	free(values);
	return err;
}
