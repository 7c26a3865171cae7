/* SPDX-License-Identifier: MIT */
/*
 * `tracetape report DB|TAPE`: the latency and post-mortem report (report.h) of a database, or
 * of a tape loaded on the fly, on the terminal or as one HTML page.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "report.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"

static const char help[] =
	"usage: tracetape report [--by ARG] [--html FILE] [--top N] [--raw] [--span RULE]...\n"
	"                        [--value PROBE=ARG]... DB|TAPE\n"
	"\n"
	"Latency and post-mortem report of a database made by 'tracetape load', or of a tape\n"
	"(loaded into a temporary database first): per span name and per probe the count,\n"
	"rate, min, p50, p90, p99, p99.9 and max (exact, nearest rank) and a log2 histogram;\n"
	"with kernel data (record --sched, --syscalls), where each span name's time went:\n"
	"running, runnable, sleeping, blocked, and in which syscalls; the slowest spans with\n"
	"their arguments and the same breakdown; the spans still open at the end, oldest\n"
	"first, with the last events of their threads; the losses and what they touch.\n"
	"A probe's distribution is that of the argument named like a quantity (latency, dur,\n"
	"elapsed, time, ms, us, ns, bytes, size, len, count, rows...), else of its first\n"
	"floating-point one; never of an id or a pointer. A probe with a C++ name argument\n"
	"(kind cxxname: an exception's type, from libstdc++'s throw, rethrow and catch) is\n"
	"counted by its values, demangled, the most frequent first. Probes are named\n"
	"provider:name; a Go function's returns provider:name:return.\n"
	"\n"
	"Options:\n"
	"  --by ARG         group spans by the value of argument ARG of their start event\n"
	"                   (else of their end event), e.g. a query text or a URL; 'key'\n"
	"                   groups by the pairing key\n"
	"  --html FILE      write the report as one self-contained HTML page with charts\n"
	"                   (no script, nothing fetched) instead of printing it\n"
	"  --top N          how many slowest spans, open spans, loss windows, --by groups and\n"
	"                   C++ names per probe to list (default 10)\n"
	"  --last N         events shown per open span's thread (default 5)\n"
	"  --raw            exact integers (ns, counts) instead of human units\n"
	"  --span RULE      for a TAPE: NAME=START,END[,key=ARG] span rules (see load)\n"
	"  --value PROBE=ARG  show the distribution of argument ARG (a name, or argN) of the\n"
	"                   probes matching PROBE (provider:name, * globs); ARG 'none' shows\n"
	"                   none (repeatable)\n"
	"  -h, --help       this help\n"
	"\n"
	"Exit status: 0 success, 1 unreadable input or SQLite error, 2 bad command line\n"
	"(also --by naming no argument of any probe, --value naming no probe or argument).\n";

int tt_cmd_report(int argc, char **argv, struct tt_out *out)
{
	static const struct option opts[] = {
		{"by", required_argument, NULL, 'b'},
		{"html", required_argument, NULL, 'H'},
		{"top", required_argument, NULL, 't'},
		{"last", required_argument, NULL, 'l'},
		{"raw", no_argument, NULL, 'r'},
		{"span", required_argument, NULL, 's'},
		{"value", required_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct tt_report_opts ro = {.out = out};
	struct tt_load_opts lo = {.out = out};
	struct tt_span_rules rules = {0};
	struct tt_report *rep = NULL;
	struct tt_input in = {0};
	const char *html = NULL, **values = NULL;
	FILE *f = NULL;
	uint64_t v;
	int c, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			ro.by = optarg;
			break;
		case 'H':
			html = optarg;
			break;
		case 't':
		case 'l':
			if (tt_parse_u64(optarg, 1, 1000, &v)) {
				err = tt_cmd_usage_error(out, "--%s '%s': expected a number from 1 to 1000",
							 c == 't' ? "top" : "last", optarg);
				goto cleanup;
			}
			if (c == 't')
				ro.top = (uint32_t)v;
			else
				ro.last_events = (uint32_t)v;
			break;
		case 'r':
			ro.raw = 1;
			break;
		case 's':
			err = tt_cmd_span_rule(&rules, optarg, out);
			if (err)
				goto cleanup;
			break;
		case 'V': {
			const char **n = realloc(values, (ro.value_cnt + 1) * sizeof(*n));
			const char *eq = strchr(optarg, '=');

			if (!n) {
				err = -ENOMEM;
				goto cleanup;
			}
			values = n;
			if (!eq || eq == optarg || !eq[1]) {
				err = tt_cmd_usage_error(out, "--value '%s': expected PROBE=ARG", optarg);
				goto cleanup;
			}
			values[ro.value_cnt++] = optarg;
			ro.values = values;
			break;
		}
		case 'h':
			fputs(help, out->out);
			err = 0;
			goto cleanup;
		default:
			err = tt_cmd_bad_option(out, c, argv);
			goto cleanup;
		}
	}
	if (argc - optind != 1) {
		err = argc - optind < 1 ? tt_cmd_usage_error(out, "expected a DB or TAPE")
					: tt_cmd_usage_error(out, "unexpected argument '%s'", argv[optind + 1]);
		goto cleanup;
	}
	lo.rules = rules.v;
	lo.rule_cnt = rules.cnt;
	err = tt_input_open(argv[optind], &lo, 0, &in);
	if (err)
		goto cleanup;
	ro.html_points = html != NULL;
	err = tt_report__build(in.db, argv[optind], &ro, &rep);
	if (err)
		goto cleanup;
	if (html) {
		f = fopen(html, "w");
		if (!f) {
			err = -errno;
			tt_err(out, "cannot write '%s': %s", html, strerror(-err));
			goto cleanup;
		}
		err = tt_report__html(rep, &ro, f);
		if (fclose(f) && !err)
			err = -EIO;
		f = NULL;
		if (err) {
			tt_err(out, "cannot write '%s': %s", html, strerror(-err));
			goto cleanup;
		}
		tt_notice(out, "wrote %s", html);
	} else {
		err = tt_report__text(rep, &ro, out->out);
	}
cleanup:
	tt_report__free(rep);
	tt_input_close(&in);
	tt_span_rules_free(&rules);
	free(values);
	return err;
}
