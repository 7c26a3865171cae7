/* SPDX-License-Identifier: MIT */
/*
 * `tracetape report DB|TAPE|URL`: the latency and post-mortem report (report.h) of a database,
 * of a tape loaded on the fly, or of a ClickHouse database (cmd_ch.h), on the terminal, as one
 * HTML page or as JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_url.h"
#include "cmd_ch.h"
#include "loader.h"
#include "report.h"
#include "report_json.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"

enum {
	OPT_BY = TT_OPT_FIRST,
	OPT_HTML,
	OPT_TOP,
	OPT_LAST,
	OPT_RAW,
	OPT_SPAN,
	OPT_VALUE,
	OPT_NO_CACHE,
	OPT_JSON,
	OPT_BUCKETS,
	OPT_HEATMAP,
	OPT_SKIP_DAMAGED,
	OPT_HOST,
	OPT_FROM,
	OPT_TO,
	OPT_DEBUG_DIR,
};

enum fmt { FMT_TEXT, FMT_HTML, FMT_JSON };
static const char *const fmt_names[] = {"text", "html", "json", NULL};

static const struct tt_opt opts[] = {
	{OPT_BY, "by", 0, "ARG[,ARG...]",
	 "group spans by the value of argument ARG of their start\n"
	 "event (else of their end event), e.g. a URL; 'key' groups by\n"
	 "the pairing key; several: by all of them (class,method); a\n"
	 "statement (ARG query, sql, statement) by its text with the\n"
	 "constants as $1, $2 (as pg_stat_statements), with an example",
	 NULL},
	{'f', "format", 'f', "FMT",
	 "text (default), html: one self-contained HTML page with\n"
	 "charts (no script, nothing fetched; -o FILE.html implies it),\n"
	 "or json: one object with every number of the report",
	 NULL},
	{OPT_JSON, "json", 0, NULL, "the same as --format json", NULL},
	{OPT_HOST, "host", 0, "HOST[,HOST...]",
	 "only the tapes recorded on HOST (tapes.host): a report of\n"
	 "one host's, or some hosts', tapes of a database holding many",
	 NULL},
	{OPT_FROM, "from", 0, "WHEN",
	 "only the time from WHEN on: an offset from each tape's first\n"
	 "event (+1.5s, 90s, 250ms, 2m; the +s the report prints) or a\n"
	 "UTC time (2026-12-07T20:52:45.5Z); the events in the window,\n"
	 "the spans that start in it (whole), the loss windows that\n"
	 "overlap it; rates per second of the window",
	 NULL},
	{OPT_TO, "to", 0, "WHEN", "only the time before WHEN (as --from; not included)", NULL},
	{'o', "output", 'o', "FILE", "write to FILE instead of standard output ('-')", NULL},
	{OPT_HTML, "html", 0, "FILE", "the same as --format html -o FILE (deprecated)", NULL},
	{OPT_TOP, "top", 0, "N",
	 "how many slowest spans, open spans, loss windows, --by groups\n"
	 "and C++ names per probe to list (default 10)",
	 NULL},
	{OPT_LAST, "last", 0, "N", "events shown per open span's thread (default 5)", NULL},
	{OPT_RAW, "raw", 0, NULL, "exact integers (ns, counts) instead of human units", NULL},
	{OPT_SPAN, "span", 0, "RULE", "for a TAPE: NAME=START,END[,key=ARG] span rules (see load)",
	 NULL},
	{OPT_BUCKETS, "buckets", 0, "MODE",
	 "the histograms' buckets: auto (default: linear when the values\n"
	 "lie within a factor of two, else log-linear, a number of\n"
	 "buckets per power of two fitted to the bulk), log2 or linear",
	 NULL},
	{OPT_HEATMAP, "heatmap", 0, NULL,
	 "HTML: add a heatmap of each span name's durations over time\n"
	 "(time across, duration buckets up, the count as colour)",
	 NULL},
	{OPT_SKIP_DAMAGED, "skip-damaged", 0, NULL,
	 "for a TAPE: read past damaged blocks instead of stopping at the first one", NULL},
	{OPT_NO_CACHE, "no-cache", 0, NULL,
	 "a TAPE is loaded once and its database reused while the tape\n"
	 "is unchanged (kept in ~/.cache/tracetape): load it again", NULL},
	{OPT_VALUE, "value", 0, "PROBE=ARG",
	 "show the distribution of argument ARG (a name, or argN) of\n"
	 "the probes matching PROBE (provider:name, * globs); ARG 'none'\n"
	 "shows none (repeatable)",
	 NULL},
	{OPT_DEBUG_DIR, "debug-dir", 0, "DIR",
	 "for a TAPE: look for the debug files of stripped binaries in\n"
	 "DIR first (see load; such a load is not cached)",
	 NULL},
	{0},
};

const struct tt_cmd_def tt_cmd_def_report = {
	.summary = "latency and post-mortem report of a database or a tape (text, HTML, JSON)",
	.name = "report",
	.usage = "[--by ARG[,ARG]] [--host HOST] [--from WHEN] [--to WHEN] [-f text|html|json]\n"
		 "                        [-o FILE] [--heatmap]"
		 " [--buckets MODE] [--top N] [--last N] [--raw] [--span RULE]...\n"
		 "                        [--value PROBE=ARG]... DB|TAPE|URL",
	.about = "Latency and post-mortem report of a database made by 'tracetape load', or of a tape\n"
		 "(loaded into a temporary database first; '-' is standard input): per span name and\n"
		 "per probe the count, rate, min, p50, p90, p99, p99.9 and max (exact, nearest rank),\n"
		 "a histogram in buckets fitted to the data with the percentiles marked, and (HTML)\n"
		 "the percentile curve;\n"
		 "with kernel data (record --sched, --syscalls), where each span name's time went:\n"
		 "running, runnable, sleeping, blocked, and in which syscalls; the slowest spans with\n"
		 "their arguments and the same breakdown; the spans still open at the end, oldest\n"
		 "first, with the last events of their threads; the losses and what they touch.\n"
		 "A probe's distribution is that of the argument named like a time (latency, dur,\n"
		 "elapsed, time, wait, *_ms, *_us, *_ns...), else like another quantity (bytes, size,\n"
		 "len, count, rows...), else of its first floating-point one; never of an id or a\n"
		 "pointer. A probe with a C++ name argument (kind cxxname: an exception's type, from\n"
		 "libstdc++'s throw, rethrow and catch) is counted by its values, demangled, the most\n"
		 "frequent first. Probes are named provider:name; a Go function's returns\n"
		 "provider:name:return. 'tracetape diff A B' compares two captures.\n"
		 "URL clickhouse://HOST[:PORT][/DATABASE][?cluster=NAME...] (see load --into) reports on\n"
		 "a ClickHouse database: the same report as of an SQLite database of the same tapes,\n"
		 "computed by the server (the kernel breakdowns are left out, with a warning).\n",
	.opts = opts,
	.more = "Exit status: 0 success, 1 unreadable input, SQLite or ClickHouse error, 2 bad\n"
		"command line (also --by naming no argument of any probe, --value naming no probe or\n"
		"argument, --host naming a host no tape has, --from/--to not a time or a window\n"
		"outside the capture).\n",
};

int tt_cmd_report(int argc, char **argv, struct tt_out *out)
{
	struct tt_report_opts ro = {.out = out};
	struct tt_load_opts lo = {.out = out};
	const char **dirs = NULL;
	struct tt_span_rules rules = {0};
	struct tt_report *rep = NULL;
	struct tt_input in = {0};
	const char *output = NULL, **values = NULL, *val, *path;
	int fmt = -1;
	FILE *f = NULL;
	struct tt_opts p;
	uint64_t v;
	int c, err = 0, no_cache = 0;

	tt_opts_init(&p, &tt_cmd_def_report, argc, argv, out);
	while ((c = tt_opts_next(&p, &val)) > 0) {
		switch (c) {
		case OPT_BY:
			ro.by = val;
			break;
		case OPT_HOST:
			ro.hosts = val;
			break;
		case OPT_FROM:
			ro.from = val;
			break;
		case OPT_TO:
			ro.to = val;
			break;
		case 'f':
			fmt = tt_cmd_format(out, val, fmt_names);
			if (fmt < 0) {
				err = fmt;
				goto cleanup;
			}
			break;
		case OPT_JSON:
			fmt = FMT_JSON;
			break;
		case OPT_HTML:
			tt_warn(out, "'--html FILE' is deprecated and will go: use '-o FILE' "
				     "(with --format html unless FILE ends in .html)");
			fmt = FMT_HTML;
			output = val;
			break;
		case 'o':
			output = val;
			break;
		case OPT_TOP:
		case OPT_LAST:
			if (tt_parse_u64(val, 1, 1000, &v)) {
				err = tt_cmd_usage_error(out, "--%s '%s': expected a number from 1 to 1000",
							 c == OPT_TOP ? "top" : "last", val);
				goto cleanup;
			}
			if (c == OPT_TOP)
				ro.top = (uint32_t)v;
			else
				ro.last_events = (uint32_t)v;
			break;
		case OPT_RAW:
			ro.raw = 1;
			break;
		case OPT_BUCKETS:
			if (tt_buckets_mode_parse(val, &ro.buckets)) {
				err = tt_cmd_usage_error(out, "--buckets '%s': expected auto, log2 or linear", val);
				goto cleanup;
			}
			break;
		case OPT_HEATMAP:
			ro.heatmap = 1;
			break;
		case OPT_NO_CACHE:
			no_cache = TT_INPUT_NO_CACHE;
			break;
		case OPT_SKIP_DAMAGED:
			lo.skip_damaged = 1;
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
		case OPT_DEBUG_DIR:
			err = tt_cmd_debug_dir(&dirs, &lo.debug_dir_cnt, val, out);
			if (err)
				goto cleanup;
			lo.debug_dirs = dirs;
			break;
		}
	}
	if (c < 0) {
		err = c == TT_OPTS_HELP ? 0 : c;
		goto cleanup;
	}
	if (p.arg_cnt != 1) {
		err = p.arg_cnt < 1 ? tt_cmd_usage_error(out, "expected a DB or TAPE")
				    : tt_cmd_usage_error(out, "unexpected argument '%s'", p.args[1]);
		goto cleanup;
	}
	path = p.args[0];
	lo.rules = rules.v;
	lo.rule_cnt = rules.cnt;
	if (fmt < 0)
		fmt = tt_cmd_html_name(output) ? FMT_HTML : FMT_TEXT;
	ro.html_points = fmt == FMT_HTML;
	if (tt_ch_url_is(path)) {
		err = tt_cmd_report_ch(path, &ro, &rep, out);
	} else {
		err = tt_input_open(path, &lo, no_cache, &in);
		if (!err)
			err = tt_report__build(in.db, path, &ro, &rep);
	}
	if (err)
		goto cleanup;
	f = tt_cmd_output_open(out, output);
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	if (fmt == FMT_HTML)
		err = tt_report__html(rep, &ro, f);
	else if (fmt == FMT_JSON)
		err = tt_report_json(rep, &ro, f);
	else
		err = tt_report__text(rep, &ro, f);
	if (err)
		tt_err(out, "cannot write the report: %s", tt_strerror(err));
	{
		int e = tt_cmd_output_close(out, output, f);

		err = err ? err : e;
	}
	if (!err && fmt == FMT_HTML && output && strcmp(output, "-"))
		tt_notice(out, "wrote %s", output);
cleanup:
	tt_opts_free(&p);
	tt_report__free(rep);
	tt_input_close(&in);
	tt_span_rules_free(&rules);
	free(values);
	free(dirs);
	return err;
}
