/* SPDX-License-Identifier: MIT */
/*
 * The report as one HTML page (report.h): the text report's sections as tables, plus inline SVG
 * charts drawn here, each with titled axes: per span group and per probe value a histogram in
 * the buckets fitted to it with the percentiles marked, and its percentile curve; latency over
 * time per span name (a scatter of sampled spans, log scale, p50 and p99 drawn; a heatmap when
 * asked); a timeline of the slowest spans, each linked to its row; and with kernel data
 * a bar per span name and per slow span's thread of where the time went (running, runnable,
 * sleeping, blocked, unknown). No script, no external style sheet, font or image: the file opens
 * anywhere, offline, as it was written.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
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
	".gap{fill:#f2f2f2}.atitle{font-weight:bold}.pline{stroke:#c0504d;stroke-dasharray:4 3}"
	"svg text.plabel{fill:#c0504d}.cline{fill:none;stroke:#4a7fb5;stroke-width:2}.cpt{fill:#4a7fb5}"
	".cell{fill:#08306b}.cline.b{stroke:#c0504d}.cpt.b{fill:#c0504d}.dens{fill:none;stroke-width:2}"
	"tr:target{background:#fff3c4}.dens.a{stroke:#4a7fb5}.dens.b{stroke:#c0504d}"
	"b.a,th.a{color:#4a7fb5}b.b,th.b{color:#c0504d}"
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

void tt_report_html_esc(FILE *f, const char *s)
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
		tt_report_html_esc(f, g->provider);
		fputc(':', f);
	}
	tt_report_html_esc(f, g->name);
	if (g->by) {
		fputc(' ', f);
		tt_report_html_esc(f, o->by);
		fputc('=', f);
		tt_report_html_esc(f, g->by);
	}
}

static const char *const pct_names[TT_REPORT_PCTS] = {"p50", "p90", "p99", "p99.9"};

static void svg_open(FILE *f, const char *cls, int w, int h, const char *label)
{
	fprintf(f, "<svg class=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"", cls, w, h, w, h);
	tt_report_html_esc(f, label);
	fputs("\">\n", f);
}

/* Axis titles: x centred under the plot, y turned up along its left side. */
static void axis_titles(FILE *f, int left, int right, int top, int bottom, const char *x, const char *y)
{
	fprintf(f, "<text class=\"atitle\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", (left + right) / 2.0,
		bottom);
	tt_report_html_esc(f, x);
	fprintf(f, "</text>\n<text class=\"atitle\" transform=\"translate(14 %.1f) rotate(-90)\" "
		   "text-anchor=\"middle\">", (top + bottom - 30) / 2.0);
	tt_report_html_esc(f, y);
	fputs("</text>\n", f);
}

/*
 * Horizontal grid lines for counts up to max, at a round step (1, 2 or 5 x 10^p, whole);
 * returns the count at the top of the axis, which the bars are scaled to.
 */
static double count_axis(FILE *f, int left, int right, int top, int h, uint64_t max)
{
	static const double m125[] = {1, 2, 5};
	double m = (double)(max ? max : 1), step = 1, p10 = 1;
	int ticks;

	/* the smallest step giving at most 5 of them */
	for (int k = 0; m / step > 5; k = (k + 1) % 3) {
		p10 *= k == 0 && step > 1 ? 10 : 1;
		step = m125[k] * p10;
	}
	ticks = (int)ceil(m / step);
	for (int t = 0; t <= ticks; t++) {
		double y = h - (double)t * (h - top) / ticks;

		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n", left, y, right, y,
			left - 4, y + 4, step * t);
	}
	return step * ticks;
}

/*
 * A histogram (report.h rows: empty runs folded into a hatched gap), count against value, with
 * axes, their titles, and the percentiles pct[] marked with dashed lines.
 */
static void svg_hist(FILE *f, const struct tt_report_hist *hist, const double *pct, int is_dur,
		     const char *what, const char *unit, int raw)
{
	const int h = 200, left = 70, top = 22, bottom = 58;
	struct tt_buckets sch;
	uint64_t max;
	size_t n;
	struct tt_report_hrow *rows = tt_report_hist_rows(hist, 3, 120, &n, &max, &sch);
	char a[32], b[32], desc[80], xt[160];
	double bw, axis_max;
	size_t every;

	if (!rows)
		return;
	bw = (double)(W - RM - left) / (double)n;
	every = n <= 16 ? 1 : (n + 11) / 12;
	tt_report_scheme(desc, sizeof(desc), &sch, is_dur, raw);
	snprintf(xt, sizeof(xt), "%s (%s buckets)", what, desc);
	svg_open(f, "hist", W, h + bottom, xt);
	axis_max = count_axis(f, left, W - RM, top, h, max);
	for (size_t k = 0; k < n; k++) {
		const struct tt_report_hrow *r = &rows[k];
		double x = left + (double)k * bw, bh = (double)r->count * (h - top) / axis_max;

		tt_report_bound(a, sizeof(a), r->lo, r->hi - r->lo, is_dur, raw);
		tt_report_bound(b, sizeof(b), r->hi, r->hi - r->lo, is_dur, raw);
		if (r->gap)
			fprintf(f, "<rect class=\"gap\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\">"
				   "<title>[%s, %s): no %s</title></rect>\n", x + 1, top, bw > 3 ? bw - 2 : bw, h - top,
				a, b, unit);
		else
			fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
				   "<title>[%s, %s): %" PRIu64 " %s</title></rect>\n",
				x + (bw > 3 ? 1 : 0), h - bh, bw > 3 ? bw - 2 : bw, bh, a, b, r->count, unit);
		if (k % every == 0)
			fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
				   "<text class=\"xt\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
				x, h, x, h + 4, x, h + 16 + (int)(k / every % 2) * 12, a);
	}
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
		left, h, W - RM, h, left, top, left, h);
	/* the percentiles, placed inside their bucket in proportion */
	for (int p = 0; p < TT_REPORT_PCTS; p++) {
		for (size_t k = 0; k < n; k++) {
			const struct tt_report_hrow *r = &rows[k];
			double x;

			if (r->gap || (!(pct[p] >= r->lo && pct[p] < r->hi) &&
					!(k == n - 1 && pct[p] == r->hi)))
				continue;
			x = left + ((double)k + (isfinite(r->lo) && r->hi > r->lo ? (pct[p] - r->lo) / (r->hi - r->lo) : 0.5)) * bw;
			fprintf(f, "<line class=\"pline\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
				   "<text class=\"plabel\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s<title>%s %s</title></text>\n",
				x, top - 2, x, h, x, top - 12 + 0 * p + (p % 2) * 10, pct_names[p], pct_names[p],
				tt_report_value(a, sizeof(a), pct[p], is_dur, raw));
			break;
		}
	}
	axis_titles(f, left, W - RM, top, h + bottom - 6, xt, unit);
	fputs("</svg>\n", f);
	free(rows);
}

/* log10(1 / (1 - q)), q in millionths of a percent; q = 100 % at cap. */
static double curve_x(uint64_t pct, double cap)
{
	return pct >= 100000000 ? cap : -log10(1 - (double)pct / 1e8);
}

/*
 * A percentile curve (HdrHistogram's plot): the value at q against 1 / (1 - q) on a log axis,
 * so that 90 %, 99 %, 99.9 % ... are equally far apart; the maximum at 1 / (1 - q) = n.
 */
static void svg_curve(FILE *f, const struct tt_report_curve *c, uint64_t n, int is_dur,
		      const char *what, int raw)
{
	const int h = 200, left = 70, top = 14, bottom = 46, right = W - RM;
	double cap = log10((double)(n ? n : 1)), vmax = 0;
	static const char *const q_lbl[] = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%",
					     "99.9999%", "99.99999%"};
	char a[32], t[160];

	if (!c->n)
		return;
	for (size_t i = 0; i < c->n; i++)
		vmax = TT_MAX(vmax, c->v[i]);
	if (cap <= 0)
		cap = 1;
	vmax = vmax > 0 ? vmax * 1.05 : 1;
	snprintf(t, sizeof(t), "%s by percentile", what);
	svg_open(f, "curve", W, h + bottom, t);
	for (int k = 0; k <= 4; k++) {
		double y = h - (double)k * (h - top) / 4;

		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left, y, right, y, left - 4,
			y + 4, tt_report_value(a, sizeof(a), vmax * k / 4, is_dur, raw));
	}
	for (int d = 0; d < (int)TT_ARRAY_SIZE(q_lbl) && d <= cap + 1e-9; d++) {
		double x = left + d / cap * (right - left);

		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			   "<text class=\"xt\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, top, x, h, x,
			h + 16, q_lbl[d]);
	}
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n<polyline class=\"cline\" points=\"",
		left, h, right, h, left, top, left, h);
	for (size_t i = 0; i < c->n; i++)
		fprintf(f, "%.1f,%.1f ", left + curve_x(c->pct[i], cap) / cap * (right - left),
			h - c->v[i] / vmax * (h - top));
	fputs("\"/>\n", f);
	for (size_t i = 0; i < c->n; i++)
		fprintf(f, "<circle class=\"cpt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>p%.6g: %s</title></circle>\n",
			left + curve_x(c->pct[i], cap) / cap * (right - left), h - c->v[i] / vmax * (h - top),
			(double)c->pct[i] / 1e6, tt_report_value(a, sizeof(a), c->v[i], is_dur, raw));
	axis_titles(f, left, right, top, h + bottom - 6, "percentile (log scale of 1 / (1 - q); the last point is the maximum)",
		    what);
	fputs("</svg>\n", f);
}

/* y of duration d on a log axis from 10^lmin to 10^lmax over [top, h]. */
static double log_y(int64_t d, double lmin, double lmax, int top, int h)
{
	return top + (lmax - log10((double)TT_MAX(d, 1))) * (h - top) / (lmax - lmin);
}

/* Duration (log scale) against time since the capture start, with the name's p50 and p99. */
static void svg_scatter(FILE *f, const struct tt_report *r, const struct tt_report_series *s, int raw)
{
	const int h = 220, left = 70, bottom = 46, top = 10;
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
	svg_open(f, "scatter", W, h + bottom, "span duration over time");
	for (double d = lmin; d <= lmax; d++) {
		double y = top + (lmax - d) * (h - top) / (lmax - lmin);

		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left, y, W - RM, y,
			left - 4, y + 4, tt_report_dur(a, sizeof(a), (int64_t)pow(10, d), raw));
	}
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", left, h, W - RM, h, left, top,
		left, h);
	for (int t = 0; t <= 4; t++)
		fprintf(f, "<text class=\"xt\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%s</text>\n",
			left + t * (W - RM - left) / 4.0, h + 16,
			tt_report_dur(a, sizeof(a), (int64_t)(span * t / 4), raw));
	for (size_t i = 0; i < s->n; i++) {
		double x = left + (double)s->ts[i] * (W - RM - left) / span;

		fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>\n", x,
			log_y(s->dur[i], lmin, lmax, top, h));
	}
	for (int k = 0; k < 2; k++) {
		int64_t v = k ? s->p99 : s->p50;
		double y = log_y(v, lmin, lmax, top, h);

		fprintf(f, "<line class=\"pline\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text class=\"plabel\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s %s</text>\n", left, y,
			W - RM, y, W - RM - 2, y - 3, k ? "p99" : "p50", tt_report_dur(a, sizeof(a), v, raw));
	}
	axis_titles(f, left, W - RM, top, h + bottom - 6, "time since the capture's start",
		    "duration (log scale)");
	fputs("</svg>\n", f);
}

/*
 * The heatmap of a span name: time bins across, duration buckets up, the count of spans in
 * each cell as the depth of its colour (on a log scale, so one slow span still shows).
 */
static void svg_heat(FILE *f, const struct tt_report_series *s, int raw)
{
	const int left = 70, top = 10, cellh = 12, bottom = 46;
	int64_t lo = INT64_MAX, hi = INT64_MIN, rowidx[64];
	int rows = 0, h;
	uint64_t max = 0;
	double cw;
	char a[32], b[32], c2[32], yt[112];

	if (!s->heat_n || !s->heat_bins)
		return;
	for (size_t i = 0; i < s->heat_n; i++) {
		lo = TT_MIN(lo, s->heat[i].idx);
		hi = TT_MAX(hi, s->heat[i].idx);
		max = TT_MAX(max, s->heat[i].count);
	}
	/* the rows: every bucket from the lowest to the highest (at most 64; the scheme has ~40) */
	for (int64_t x = lo; rows < 64; x = tt_buckets_next(&s->heat_scheme, x)) {
		rowidx[rows++] = x;
		if (x >= hi)
			break;
	}
	h = top + rows * cellh;
	cw = (double)(W - RM - left) / s->heat_bins;
	svg_open(f, "heat", W, h + bottom, "heatmap of span duration over time");
	for (size_t i = 0; i < s->heat_n; i++) {
		const struct tt_report_cell *c = &s->heat[i];
		int row = 0;
		double op;

		while (row < rows - 1 && rowidx[row] < c->idx)
			row++;
		if (s->heat_top_open && c->idx == hi)
			snprintf(c2, sizeof(c2), "...");
		else
			tt_report_value(c2, sizeof(c2), tt_buckets_hi(&s->heat_scheme, c->idx), 1, raw);
		op = 0.15 + 0.85 * log((double)c->count + 1) / log((double)max + 1);
		fprintf(f, "<rect class=\"cell\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
			   "fill-opacity=\"%.2f\"><title>+%s: [%s, %s): %" PRIu64 " spans</title></rect>\n",
			left + c->bin * cw, h - (row + 1) * cellh, cw, cellh, op,
			tt_report_dur(a, sizeof(a), (int64_t)(c->bin * s->heat_bin_ns), raw),
			tt_report_value(b, sizeof(b), tt_buckets_lo(&s->heat_scheme, c->idx), 1, raw), c2, c->count);
	}
	/* every third row's lower bound, and the top row's ("and longer" when it holds the rest) */
	for (int k = 0; k < rows; k++)
		if (k == rows - 1 || (k % 3 == 0 && k < rows - 2))
			fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s%s</text>\n", left - 4,
				h - k * cellh - 2, k == rows - 1 && s->heat_top_open ? "&#8805;" : "",
				tt_report_value(a, sizeof(a), tt_buckets_lo(&s->heat_scheme, rowidx[k]), 1, raw));
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", left, h, W - RM, h, left, top,
		left, h);
	for (int t = 0; t <= 4; t++)
		fprintf(f, "<text class=\"xt\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%s</text>\n",
			left + t * (W - RM - left) / 4.0, h + 16,
			tt_report_dur(a, sizeof(a), (int64_t)((double)s->heat_bins * s->heat_bin_ns * t / 4), raw));
	snprintf(yt, sizeof(yt), "duration (%s)", tt_report_scheme(b, sizeof(b), &s->heat_scheme, 1, raw));
	axis_titles(f, left, W - RM, top, h + bottom - 6, "time since the capture's start", yt);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">darker: more spans (the fullest cell: %"
		   PRIu64 ")</text>\n</svg>\n", W - 4, h + bottom - 6, max);
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
		tt_report_html_esc(f, s->name);
		fprintf(f, " %s</text>\n", tt_report_dur(a, sizeof(a), s->dur, raw));
		fprintf(f, "<a href=\"#span-%" PRIu64 "\"><rect class=\"slow\" x=\"%.1f\" y=\"%.1f\" "
			   "width=\"%.1f\" height=\"%d\"><title>span %" PRIu64 ": %s from +%s</title></rect></a>\n",
			s->id,
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
		tt_report_html_esc(f, b->sys[i].name);
		fprintf(f, " %s call%s %s (%.1f%%)", tt_report_count(c, sizeof(c), b->sys[i].count, raw),
			b->sys[i].count == 1 ? "" : "s", tt_report_dur(a, sizeof(a), b->sys[i].ns, raw),
			pct_of(b->sys[i].ns, b->total_ns));
	}
	if (b->sys_more)
		fprintf(f, ", %zu more", b->sys_more);
}

/* Per span name: the state shares as a bar and columns, and the top syscalls. */
/* record --keep: every span seen, kept or dropped, beside the kept ones. */
static void html_tail(FILE *f, const struct tt_report *r, int raw)
{
	char a[32];

	fputs("<h2>Tail capture</h2>\n<p class=\"muted\">record --keep wrote only the kept spans; "
	      "the tape counted every one. Percentiles of all of them come from the tape's duration "
	      "histogram (within 1.6 %), those of the kept ones are exact.</p>\n<table><tr>"
	      "<th class=\"l\">name</th><th class=\"l\">spans</th><th>count</th><th>p50</th>"
	      "<th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n", f);
	for (size_t i = 0; i < r->tail_cnt; i++) {
		const struct tt_report_tail *t = &r->tail[i];
		const char *what[2] = {"all", "kept"};
		const uint64_t n[2] = {t->all_n, t->kept_n};
		const int64_t *pct[2] = {t->all_pct, t->kept_pct};
		const int64_t max[2] = {t->all_max, t->kept_max};

		for (int w = 0; w < 2; w++) {
			fputs("<tr><td class=\"l\">", f);
			if (!w)
				tt_report_html_esc(f, t->label);
			fprintf(f, "</td><td class=\"l\">%s</td><td>%s</td>", what[w],
				tt_report_count(a, sizeof(a), n[w], raw));
			for (int k = 0; k < TT_REPORT_PCTS; k++)
				fprintf(f, "<td>%s</td>", n[w] ? tt_report_dur(a, sizeof(a), pct[w][k], raw) : "-");
			fprintf(f, "<td>%s</td></tr>\n", n[w] ? tt_report_dur(a, sizeof(a), max[w], raw) : "-");
		}
		fprintf(f, "<tr><td></td><td class=\"l muted\" colspan=\"7\">%" PRIu64 " seen, %" PRIu64
			" kept (%" PRIu64 " unclosed), %" PRIu64 " dropped</td></tr>\n", t->seen, t->kept,
			t->unclosed, t->dropped);
	}
	fputs("</table>\n", f);
}

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
		tt_report_html_esc(f, k->name);
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
		fprintf(f, "<tr id=\"%s-%" PRIu64 "\"><td>%" PRIu64 "</td><td class=\"l\">", open ? "open" : "span",
			s[i].id, s[i].id);
		tt_report_html_esc(f, s[i].name);
		if (open) {
			fprintf(f, "</td><td>%s</td><td class=\"l\">",
				tt_report_dur(a, sizeof(a), (int64_t)(r->ts_last - s[i].start_ts), raw));
			tt_report_html_esc(f, s[i].unclosed);
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
		tt_report_html_esc(f, s[i].args);
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
				tt_report_html_esc(f, s[i].last[k].text);
				fputc('\n', f);
			}
			fputs("</pre></td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}

void tt_report_html_head(FILE *f, const char *title, const char *source)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	tt_report_html_esc(f, title);
	tt_report_html_esc(f, source);
	fprintf(f, "</title>\n<style>%s</style>\n</head><body>\n<h1>", css);
	tt_report_html_esc(f, title);
	tt_report_html_esc(f, source);
}

int tt_report__html(const struct tt_report *r, const struct tt_report_opts *o, FILE *f)
{
	int raw = o->raw;
	char a[64], b[64], c[64];

	tt_report_html_head(f, "tracetape report: ", r->source);
	fprintf(f, "</h1>\n<p>%u tape%s", r->tapes, r->tapes == 1 ? "" : "s");
	if (*r->hosts) {
		fputs(", host ", f);
		tt_report_html_esc(f, r->hosts);
	}
	{
		char d[64];

		fprintf(f, "; %s of capture, %s events, %s spans, <span class=\"%s\">%s events lost</span></p>\n",
			tt_report_dur(a, sizeof(a), (int64_t)r->duration_ns, raw),
			tt_report_count(b, sizeof(b), r->events, raw), tt_report_count(c, sizeof(c), r->spans, raw),
			r->lost_events ? "lost" : "muted", tt_report_count(d, sizeof(d), r->lost_events, raw));
	}
	if (r->window) {
		fputs("<p>window: ", f);
		tt_report_html_esc(f, r->window);
		fputs("</p>\n", f);
	}
	for (size_t i = 0; i < r->warning_cnt; i++) {
		fputs("<p class=\"warn\">warning: ", f);
		tt_report_html_esc(f, r->warnings[i]);
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
			if (g->example) {
				fputs("<br><span class=\"muted\">e.g. ", f);
				tt_report_html_esc(f, g->example);
				fputs("</span>", f);
			}
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
	if (r->tail_cnt)
		html_tail(f, r, raw);

	fputs("<h2>Latency distributions</h2>\n<p class=\"muted\">Per span name: a histogram in "
	      "buckets fitted to the data (linear when the durations lie within a factor of two, else "
	      "log-linear: a fixed number of buckets per power of two; report --buckets chooses), the "
	      "percentiles marked; then the percentile curve.</p>\n", f);
	for (size_t i = 0; i < r->group_cnt; i++) {
		const struct tt_report_group *g = &r->groups[i];
		double pct[TT_REPORT_PCTS];

		for (int k = 0; k < TT_REPORT_PCTS; k++)
			pct[k] = (double)g->pct[k];
		fputs("<h3>", f);
		group_title(f, g, o);
		fprintf(f, " <span class=\"muted\">(%s spans)</span></h3>\n", tt_report_count(a, sizeof(a), g->count, raw));
		svg_hist(f, &g->hist, pct, 1, "duration", "spans", raw);
		svg_curve(f, &g->curve, g->count, 1, "duration", raw);
	}

	fputs("<h2>Latency over time</h2>\n", f);
	for (size_t i = 0; i < r->series_cnt; i++) {
		const struct tt_report_series *s = &r->series[i];

		if (!s->n)
			continue;
		fputs("<h3>", f);
		tt_report_html_esc(f, s->name);
		fprintf(f, " <span class=\"muted\">(%zu of %s spans, evenly sampled in start order)</span></h3>\n",
			s->n, tt_report_count(a, sizeof(a), s->total, raw));
		svg_scatter(f, r, s, raw);
		svg_heat(f, s, raw);
	}

	fputs("<h2>Slowest spans</h2>\n", f);
	svg_timeline(f, r, raw);
	span_rows(f, r, r->slow, r->slow_cnt, 0, raw);

	tt_report_stacks__html(f, &r->stacks);

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
		tt_report_html_esc(f, p->label);
		fprintf(f, "</td><td>%s</td><td>%s</td><td class=\"%s\">%" PRIu64 "</td><td class=\"l\">",
			tt_report_count(a, sizeof(a), p->count, raw), tt_report_rate(b, sizeof(b), p->rate, raw),
			p->lost ? "lost" : "", p->lost);
		if (p->arg && p->arg_n) {
			tt_report_html_esc(f, p->arg);
			fprintf(f, "</td><td>%s</td>", tt_report_num(a, sizeof(a), p->min, p->arg_is_real));
			for (int k = 0; k < TT_REPORT_PCTS; k++)
				fprintf(f, "<td>%s</td>", tt_report_num(a, sizeof(a), p->pct[k], p->arg_is_real));
			fprintf(f, "<td>%s</td></tr>\n", tt_report_num(a, sizeof(a), p->max, p->arg_is_real));
		} else {
			fputs("</td><td colspan=\"6\"></td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);
	for (size_t i = 0; i < r->probe_cnt; i++) {
		const struct tt_report_probe *p = &r->probes[i];

		if (!p->arg || !p->arg_n)
			continue;
		fputs("<h3>", f);
		tt_report_html_esc(f, p->label);
		fputs(": ", f);
		tt_report_html_esc(f, p->arg);
		fprintf(f, " <span class=\"muted\">(%s values)</span></h3>\n", tt_report_count(a, sizeof(a), p->arg_n, raw));
		svg_hist(f, &p->hist, p->pct, 0, p->arg, "events", raw);
		svg_curve(f, &p->curve, p->arg_n, 0, p->arg, raw);
	}
	/* the values of C++ name arguments (exception types), the most frequent first */
	for (size_t i = 0; i < r->probe_cnt; i++) {
		const struct tt_report_probe *p = &r->probes[i];

		if (!p->names_arg || !p->name_cnt)
			continue;
		fputs("<h3>", f);
		tt_report_html_esc(f, p->label);
		fputs(" by ", f);
		tt_report_html_esc(f, p->names_arg);
		fputs("</h3>\n<table><tr><th>events</th><th class=\"l\">", f);
		tt_report_html_esc(f, p->names_arg);
		fputs("</th></tr>\n", f);
		for (size_t k = 0; k < p->name_cnt; k++) {
			fprintf(f, "<tr><td>%s</td><td class=\"l\">",
				tt_report_count(a, sizeof(a), p->names[k].count, raw));
			tt_report_html_esc(f, p->names[k].value);
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
			tt_report_html_esc(f, l->probe);
			fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
				tt_report_rel(a, sizeof(a), r, l->ts_start, raw),
				tt_report_rel(b, sizeof(b), r, l->ts_end, raw),
				tt_report_count(c, sizeof(c), l->count, raw));
		}
		fputs("</table>\n<ul>\n", f);
		for (size_t i = 0; i < r->loss_effect_cnt; i++) {
			fputs("<li>", f);
			tt_report_html_esc(f, r->loss_effects[i]);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("<p class=\"muted\">Written by tracetape report. Times are from the start of the capture.</p>\n"
	      "</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
