/* SPDX-License-Identifier: MIT */
/*
 * The report as one HTML page (report.h): the text report's sections as tables, plus inline SVG
 * charts drawn here: a log2 latency histogram per span group, latency over time (a scatter of
 * sampled spans, log scale) per span name, a timeline of the slowest spans, and with kernel data
 * a bar per span name and per slow span's thread of where the time went (running, runnable,
 * sleeping, blocked, unknown). No script, no external style sheet, font or image: the file opens
 * anywhere, offline, as it was written.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "report.h"
#include "sqlfuncs.h"
#include "tt_util.h"

#define W 900 /* chart width, px */
#define RM 40 /* right margin: room for the last axis label */

static const char css[] =
	"body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222}"
	"h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}"
	"h3{font-size:14px;margin:16px 0 4px}"
	"table{border-collapse:collapse;margin:6px 0}"
	"td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}"
	"td.l,th.l{text-align:left}td.a{text-align:left;white-space:normal;font-family:monospace}"
	".warn{color:#a40}.lost{color:#c00;font-weight:bold}.muted{color:#777}"
	"svg{display:block;margin:4px 0 12px}svg text{font:11px sans-serif;fill:#333}"
	".bar{fill:#4a7fb5}.pt{fill:#c0504d;fill-opacity:.45}.slow{fill:#e08a3c}"
	".axis{stroke:#999;stroke-width:1}.grid{stroke:#eee;stroke-width:1}"
	"pre{background:#f6f6f6;padding:6px;overflow-x:auto}"
	".k0{fill:#4a7fb5}.k1{fill:#e8a33d}.k2{fill:#8fbc5a}.k3{fill:#c0504d}.k4{fill:#cccccc}"
	"svg.kbar{display:inline-block;vertical-align:middle;margin:0 6px 0 0}";

static const char *const kstate_names[TT_REPORT_KSTATES] = {"running", "runnable", "sleeping",
							  "blocked", "unknown"};

/* ts as ns since the capture start (0 before it). */
static int64_t since(const struct tt_report *r, uint64_t ts)
{
	return ts > r->ts_first ? (int64_t)(ts - r->ts_first) : 0;
}

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void group_title(FILE *f, const struct tt_report_group *g, const struct tt_report_opts *o)
{
	if (g->provider && *g->provider) {
		esc(f, g->provider);
		fputc(':', f);
	}
	esc(f, g->name);
	if (g->by) {
		fputc(' ', f);
		esc(f, o->by);
		fputc('=', f);
		esc(f, g->by);
	}
}

/* A bar per log2 bucket, from the first to the last non-empty one. */
static void svg_hist(FILE *f, const uint64_t *hist, int raw)
{
	unsigned first, last, n;
	uint64_t max = tt_report_hist_span(hist, &first, &last);
	const int h = 160, left = 60, bottom = 40;
	double bw;

	if (!max)
		return;
	n = last - first + 1;
	bw = (double)(W - left - 10) / n;
	fprintf(f, "<svg class=\"hist\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n", W, h + bottom, W, h + bottom);
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", left, h, W - RM, h);
	fprintf(f, "<text x=\"%d\" y=\"12\" text-anchor=\"end\">%" PRIu64 "</text>\n", left - 4, max);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", left - 4, h);
	for (unsigned k = first; k <= last; k++) {
		double x = left + (k - first) * bw, bh = (double)hist[k] * (h - 16) / (double)max;
		char lo[32];

		tt_report_dur(lo, sizeof(lo), (int64_t)tt_log2_bucket_lo(k), raw);
		fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			   "<title>[%s, ...): %" PRIu64 "</title></rect>\n",
			x + 1, h - bh, bw > 3 ? bw - 2 : bw, bh, lo, hist[k]);
		if (n <= 24 || (k - first) % 2 == 0)
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
				x + bw / 2, h + 14 + ((k - first) % 2) * 12, lo);
	}
	fputs("</svg>\n", f);
}

/* Duration (log scale) against time since the capture start. */
static void svg_scatter(FILE *f, const struct tt_report *r, const struct tt_report_series *s, int raw)
{
	const int h = 220, left = 60, bottom = 30, top = 10;
	double lmin = 0, lmax = 1, span = r->duration_ns ? (double)r->duration_ns : 1;
	int64_t dmin = INT64_MAX, dmax = 0;
	char a[32];

	for (size_t i = 0; i < s->n; i++) {
		dmin = TT_MIN(dmin, s->dur[i]);
		dmax = TT_MAX(dmax, s->dur[i]);
	}
	if (!s->n)
		return;
	lmin = floor(log10((double)TT_MAX(dmin, 1)));
	lmax = ceil(log10((double)TT_MAX(dmax, 1)));
	if (lmax <= lmin)
		lmax = lmin + 1;
	fprintf(f, "<svg class=\"scatter\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n", W, h + bottom, W, h + bottom);
	for (double d = lmin; d <= lmax; d++) {
		double y = top + (lmax - d) * (h - top) / (lmax - lmin);

		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left, y, W - RM, y,
			left - 4, y + 4, tt_report_dur(a, sizeof(a), (int64_t)pow(10, d), raw));
	}
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", left, h, W - RM, h);
	for (int t = 0; t <= 4; t++)
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%s</text>\n",
			left + t * (W - RM - left) / 4.0, h + 16,
			tt_report_dur(a, sizeof(a), (int64_t)(span * t / 4), raw));
	for (size_t i = 0; i < s->n; i++) {
		double x = left + (double)s->ts[i] * (W - RM - left) / span;
		double y = top + (lmax - log10((double)TT_MAX(s->dur[i], 1))) * (h - top) / (lmax - lmin);

		fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>\n", x, y);
	}
	fputs("</svg>\n", f);
}

/* The slowest spans as bars on the capture's time axis, one row each. */
static void svg_timeline(FILE *f, const struct tt_report *r, int raw)
{
	const int row = 18, left = 200, top = 10;
	int h = top + (int)r->slow_cnt * row + 24;
	double span = r->duration_ns ? (double)r->duration_ns : 1;
	char a[32], b[32];

	if (!r->slow_cnt)
		return;
	fprintf(f, "<svg class=\"timeline\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n", W, h, W, h);
	for (size_t i = 0; i < r->slow_cnt; i++) {
		const struct tt_report_span *s = &r->slow[i];
		double x0 = left + (double)since(r, s->start_ts) * (W - RM - left) / span;
		double w = (double)s->dur * (W - RM - left) / span;
		double y = top + (double)i * row;

		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", left - 6, y + 12);
		esc(f, s->name);
		fprintf(f, " %s</text>\n", tt_report_dur(a, sizeof(a), s->dur, raw));
		fprintf(f, "<rect class=\"slow\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\">"
			   "<title>span %" PRIu64 ": %s from +%s</title></rect>\n",
			x0, y + 2, w < 2 ? 2 : w, row - 4, s->id, a,
			tt_report_dur(b, sizeof(b), since(r, s->start_ts), raw));
	}
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", left,
		h - 20, W - RM, h - 20);
	for (int t = 0; t <= 4; t++)
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%s</text>\n",
			left + t * (W - RM - left) / 4.0, h - 6, tt_report_dur(a, sizeof(a), (int64_t)(span * t / 4), raw));
	fputs("</svg>\n", f);
}

static double pct_of(int64_t part, int64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Where a breakdown's time went, as one stacked bar of width w (the states in order). */
static void svg_kbar(FILE *f, const struct tt_report_kbreak *b, int w, int raw)
{
	double x = 0, tot = b->total_ns > 0 ? (double)b->total_ns : 1;
	char a[32];

	fprintf(f, "<svg class=\"kbar\" width=\"%d\" height=\"14\" viewBox=\"0 0 %d 14\" "
		   "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">", w, w);
	for (int k = 0; k < TT_REPORT_KSTATES; k++) {
		double bw = (double)b->state_ns[k] * w / tot;

		if (bw <= 0)
			continue;
		fprintf(f, "<rect class=\"k%d\" x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"14\">"
			   "<title>%s %s (%.1f%%)</title></rect>", k, x, bw, kstate_names[k],
			tt_report_dur(a, sizeof(a), b->state_ns[k], raw), pct_of(b->state_ns[k], b->total_ns));
		x += bw;
	}
	fputs("</svg>", f);
}

/* The syscalls of a breakdown as text: "N calls, T: name N calls T (p%), ...". */
static void html_ksys(FILE *f, const struct tt_report_kbreak *b, int raw)
{
	char a[32], c[32];

	fprintf(f, "%s call%s, %s", tt_report_count(c, sizeof(c), b->sys_count, raw), b->sys_count == 1 ? "" : "s",
		tt_report_dur(a, sizeof(a), b->sys_ns, raw));
	for (size_t i = 0; i < b->sys_n; i++) {
		fputs(i ? ", " : ": ", f);
		esc(f, b->sys[i].name);
		fprintf(f, " %s call%s %s (%.1f%%)", tt_report_count(c, sizeof(c), b->sys[i].count, raw),
			b->sys[i].count == 1 ? "" : "s", tt_report_dur(a, sizeof(a), b->sys[i].ns, raw),
			pct_of(b->sys[i].ns, b->total_ns));
	}
	if (b->sys_more)
		fprintf(f, ", %zu more", b->sys_more);
}

/* Per span name: the state shares as a bar and columns, and the top syscalls. */
static void html_kernel(FILE *f, const struct tt_report *r, int raw)
{
	char a[32], c[32];

	fputs("<h2>Where the time went</h2>\n<p class=\"muted\">From the kernel: thread states ", f);
	fputs(r->kernel_states ? "(sched_switch, sched_wakeup)" : "not recorded (record --sched)", f);
	fputs(", syscalls ", f);
	fputs(r->kernel_syscalls ? "(raw_syscalls)" : "not recorded (record --syscalls)", f);
	fputs(". Each span is looked at on its thread; one that ended on another thread than it began, "
	      "on both threads over its whole window. <svg width=\"370\" height=\"12\" "
	      "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">", f);
	for (int k = 0; k < TT_REPORT_KSTATES; k++)
		fprintf(f, "<rect class=\"k%d\" x=\"%d\" y=\"1\" width=\"10\" height=\"10\"/>"
			   "<text x=\"%d\" y=\"10\">%s</text>", k, k * 74, k * 74 + 13, kstate_names[k]);
	fputs("</svg></p>\n<table><tr><th class=\"l\">name</th><th>spans</th><th>thread time</th>"
	      "<th class=\"l\">states</th>", f);
	for (int k = 0; k < TT_REPORT_KSTATES; k++)
		fprintf(f, "<th>%s</th>", kstate_names[k]);
	fputs("<th class=\"l\">syscalls</th></tr>\n", f);
	for (size_t i = 0; i < r->kname_cnt; i++) {
		const struct tt_report_kname *k = &r->knames[i];

		fputs("<tr><td class=\"l\">", f);
		esc(f, k->name);
		fprintf(f, "</td><td>%s%s</td><td>%s</td><td class=\"l\">", tt_report_count(c, sizeof(c), k->spans, raw),
			k->cross ? " <span class=\"muted\">(cross-thread)</span>" : "",
			tt_report_dur(a, sizeof(a), k->b.total_ns, raw));
		svg_kbar(f, &k->b, 240, raw);
		fputs("</td>", f);
		for (int s = 0; s < TT_REPORT_KSTATES; s++)
			fprintf(f, "<td>%.1f%%</td>", pct_of(k->b.state_ns[s], k->b.total_ns));
		fputs("<td class=\"a\">", f);
		if (r->kernel_syscalls)
			html_ksys(f, &k->b, raw);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void span_rows(FILE *f, const struct tt_report *r, const struct tt_report_span *s, size_t n,
		      int open, int raw)
{
	char a[32], b[32];

	fputs("<table><tr><th>span</th><th class=\"l\">name</th>", f);
	fputs(open ? "<th>open for</th><th class=\"l\">why</th>" : "<th>duration</th>", f);
	fputs("<th>start</th><th>pid</th><th>tid</th><th class=\"l\">arguments (start | end)</th></tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<tr><td>%" PRIu64 "</td><td class=\"l\">", s[i].id);
		esc(f, s[i].name);
		if (open) {
			fprintf(f, "</td><td>%s</td><td class=\"l\">",
				tt_report_dur(a, sizeof(a), (int64_t)(r->ts_last - s[i].start_ts), raw));
			esc(f, s[i].unclosed);
			fputs("</td>", f);
		} else {
			fprintf(f, "</td><td>%s%s</td>", tt_report_dur(a, sizeof(a), s[i].dur, raw),
				s[i].lost ? " <span class=\"lost\">lost</span>" : "");
		}
		fprintf(f, "<td>%s</td><td>%u</td><td>%u", tt_report_rel(b, sizeof(b), r, s[i].start_ts, raw),
			s[i].pid, s[i].tid);
		if (s[i].end_tid && s[i].end_tid != s[i].tid)
			fprintf(f, "&rarr;%u", s[i].end_tid);
		fputs("</td><td class=\"a\">", f);
		esc(f, s[i].args);
		fputs("</td></tr>\n", f);
		for (size_t k = 0; k < s[i].kb_n; k++) {
			static const char *const role[] = {"", " (began it)", " (ended it)"};
			const struct tt_report_kbreak *kb = &s[i].kb[k];

			fprintf(f, "<tr><td></td><td class=\"a\" colspan=\"7\">thread %u%s: ", kb->tid, role[kb->role]);
			svg_kbar(f, kb, 240, raw);
			for (int st = 0; st < TT_REPORT_KSTATES; st++) {
				char a2[32];

				fprintf(f, "%s%s %s (%.1f%%)", st ? ", " : "", kstate_names[st],
					tt_report_dur(a2, sizeof(a2), kb->state_ns[st], raw), pct_of(kb->state_ns[st], kb->total_ns));
			}
			if (r->kernel_syscalls) {
				fputs("; syscalls ", f);
				html_ksys(f, kb, raw);
			}
			fputs("</td></tr>\n", f);
		}
		if (open && s[i].last_n) {
			fprintf(f, "<tr><td></td><td class=\"a\" colspan=\"7\">last events of thread %u:<pre>",
				s[i].tid);
			for (size_t k = 0; k < s[i].last_n; k++) {
				fprintf(f, "%s  ", tt_report_rel(a, sizeof(a), r, s[i].last[k].ts, raw));
				esc(f, s[i].last[k].text);
				fputc('\n', f);
			}
			fputs("</pre></td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}

int tt_report__html(const struct tt_report *r, const struct tt_report_opts *o, FILE *f)
{
	int raw = o->raw;
	char a[64], b[64], c[64];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>tracetape report: ", f);
	esc(f, r->source);
	fprintf(f, "</title>\n<style>%s</style>\n</head><body>\n<h1>tracetape report: ", css);
	esc(f, r->source);
	fprintf(f, "</h1>\n<p>%u tape%s", r->tapes, r->tapes == 1 ? "" : "s");
	if (*r->hosts) {
		fputs(", host ", f);
		esc(f, r->hosts);
	}
	{
		char d[64];

		fprintf(f, "; %s of capture, %s events, %s spans, <span class=\"%s\">%s events lost</span></p>\n",
			tt_report_dur(a, sizeof(a), (int64_t)r->duration_ns, raw),
			tt_report_count(b, sizeof(b), r->events, raw), tt_report_count(c, sizeof(c), r->spans, raw),
			r->lost_events ? "lost" : "muted", tt_report_count(d, sizeof(d), r->lost_events, raw));
	}
	for (size_t i = 0; i < r->warning_cnt; i++) {
		fputs("<p class=\"warn\">warning: ", f);
		esc(f, r->warnings[i]);
		fputs("</p>\n", f);
	}

	fputs("<h2>Spans</h2>\n", f);
	if (!r->group_cnt) {
		fputs("<p class=\"muted\">no closed spans</p>\n", f);
	} else {
		fputs("<table><tr><th class=\"l\">name</th><th>count</th><th>rate</th><th>min</th>"
		      "<th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>open</th>"
		      "<th>lost</th></tr>\n", f);
		for (size_t i = 0; i < r->group_cnt; i++) {
			const struct tt_report_group *g = &r->groups[i];

			fputs("<tr><td class=\"l\">", f);
			group_title(f, g, o);
			fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td>", tt_report_count(a, sizeof(a), g->count, raw),
				tt_report_rate(b, sizeof(b), g->rate, raw), tt_report_dur(c, sizeof(c), g->min, raw));
			for (int k = 0; k < TT_REPORT_PCTS; k++)
				fprintf(f, "<td>%s</td>", tt_report_dur(a, sizeof(a), g->pct[k], raw));
			fprintf(f, "<td>%s</td><td>%s</td><td class=\"%s\">%" PRIu64 "</td></tr>\n",
				tt_report_dur(a, sizeof(a), g->max, raw), o->by ? "-" : tt_report_count(b, sizeof(b), g->open, raw),
				g->lost ? "lost" : "", g->lost);
		}
		fputs("</table>\n", f);
		if (r->groups_omitted)
			fprintf(f, "<p class=\"muted\">%zu more groups with fewer spans</p>\n", r->groups_omitted);
		fputs("<p class=\"muted\">Percentiles are exact (nearest rank) over the closed spans.</p>\n", f);
	}

	if (r->kernel_states || r->kernel_syscalls)
		html_kernel(f, r, raw);

	fputs("<h2>Latency histograms</h2>\n", f);
	for (size_t i = 0; i < r->group_cnt; i++) {
		fputs("<h3>", f);
		group_title(f, &r->groups[i], o);
		fprintf(f, " <span class=\"muted\">(%s spans, log2 buckets)</span></h3>\n",
			tt_report_count(a, sizeof(a), r->groups[i].count, raw));
		svg_hist(f, r->groups[i].hist, raw);
	}

	fputs("<h2>Latency over time</h2>\n", f);
	for (size_t i = 0; i < r->series_cnt; i++) {
		const struct tt_report_series *s = &r->series[i];

		if (!s->n)
			continue;
		fputs("<h3>", f);
		esc(f, s->name);
		fprintf(f, " <span class=\"muted\">(%zu of %s spans, evenly sampled in start order)</span></h3>\n",
			s->n, tt_report_count(a, sizeof(a), s->total, raw));
		svg_scatter(f, r, s, raw);
	}

	fputs("<h2>Slowest spans</h2>\n", f);
	svg_timeline(f, r, raw);
	span_rows(f, r, r->slow, r->slow_cnt, 0, raw);

	fprintf(f, "<h2>Open at the end <span class=\"muted\">(oldest first; %s of %s)</span></h2>\n",
		tt_report_count(a, sizeof(a), r->open_cnt, raw), tt_report_count(b, sizeof(b), r->open_total, raw));
	if (r->open_cnt)
		span_rows(f, r, r->open, r->open_cnt, 1, raw);
	else
		fputs("<p class=\"muted\">none: every span closed</p>\n", f);

	fputs("<h2>Probes</h2>\n<table><tr><th class=\"l\">probe</th><th>count</th><th>rate</th>"
	      "<th>lost</th><th class=\"l\">argument</th><th>min</th><th>p50</th><th>p90</th>"
	      "<th>p99</th><th>p99.9</th><th>max</th></tr>\n", f);
	for (size_t i = 0; i < r->probe_cnt; i++) {
		const struct tt_report_probe *p = &r->probes[i];

		fputs("<tr><td class=\"l\">", f);
		esc(f, p->label);
		fprintf(f, "</td><td>%s</td><td>%s</td><td class=\"%s\">%" PRIu64 "</td><td class=\"l\">",
			tt_report_count(a, sizeof(a), p->count, raw), tt_report_rate(b, sizeof(b), p->rate, raw),
			p->lost ? "lost" : "", p->lost);
		if (p->arg && p->arg_n) {
			esc(f, p->arg);
			fprintf(f, "</td><td>%s</td>", tt_report_num(a, sizeof(a), p->min, p->arg_is_real));
			for (int k = 0; k < TT_REPORT_PCTS; k++)
				fprintf(f, "<td>%s</td>", tt_report_num(a, sizeof(a), p->pct[k], p->arg_is_real));
			fprintf(f, "<td>%s</td></tr>\n", tt_report_num(a, sizeof(a), p->max, p->arg_is_real));
		} else {
			fputs("</td><td colspan=\"6\"></td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);
	/* the values of C++ name arguments (exception types), the most frequent first */
	for (size_t i = 0; i < r->probe_cnt; i++) {
		const struct tt_report_probe *p = &r->probes[i];

		if (!p->names_arg || !p->name_cnt)
			continue;
		fputs("<h3>", f);
		esc(f, p->label);
		fputs(" by ", f);
		esc(f, p->names_arg);
		fputs("</h3>\n<table><tr><th>events</th><th class=\"l\">", f);
		esc(f, p->names_arg);
		fputs("</th></tr>\n", f);
		for (size_t k = 0; k < p->name_cnt; k++) {
			fprintf(f, "<tr><td>%s</td><td class=\"l\">",
				tt_report_count(a, sizeof(a), p->names[k].count, raw));
			esc(f, p->names[k].value);
			fputs("</td></tr>\n", f);
		}
		if (p->names_other)
			fprintf(f, "<tr><td>%s</td><td class=\"l muted\">others</td></tr>\n",
				tt_report_count(a, sizeof(a), p->names_other, raw));
		fputs("</table>\n", f);
	}

	fputs("<h2>Losses</h2>\n", f);
	if (!r->loss_windows) {
		fputs("<p class=\"muted\">none: every event that fired was recorded</p>\n", f);
	} else {
		fprintf(f, "<p class=\"lost\">%s events lost in %s loss windows</p>\n<table><tr><th>tape</th>"
			   "<th>cpu</th><th class=\"l\">probe</th><th>from</th><th>to</th><th>events</th></tr>\n",
			tt_report_count(a, sizeof(a), r->lost_events, raw), tt_report_count(b, sizeof(b), r->loss_windows, raw));
		for (size_t i = 0; i < r->loss_cnt; i++) {
			const struct tt_report_loss *l = &r->losses[i];

			fprintf(f, "<tr><td>%u</td><td>%u</td><td class=\"l\">", l->tape, l->cpu);
			esc(f, l->probe);
			fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
				tt_report_rel(a, sizeof(a), r, l->ts_start, raw),
				tt_report_rel(b, sizeof(b), r, l->ts_end, raw),
				tt_report_count(c, sizeof(c), l->count, raw));
		}
		fputs("</table>\n<ul>\n", f);
		for (size_t i = 0; i < r->loss_effect_cnt; i++) {
			fputs("<li>", f);
			esc(f, r->loss_effects[i]);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("<p class=\"muted\">Written by tracetape report. Times are from the start of the capture.</p>\n"
	      "</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
