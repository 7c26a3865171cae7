/* SPDX-License-Identifier: MIT */
/*
 * Two reports side by side (report.h, tt_report__diff_text and tt_report__diff_html): the
 * question after a deploy, "what changed?". Span groups are matched by their label (provider,
 * name and --by value), probes by theirs; a probe's values are compared when both reports
 * chose the same argument. Each statistic is given for both with its change, relative to the
 * first (the baseline). The HTML page overlays each pair of distributions: the histograms as
 * densities (the share of values per unit of the value axis, so that two different bucket
 * schemes compare), and the two percentile curves on one chart.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tt_fmt.h"
#include "tt_util.h"

/* One compared distribution: the same thing in both reports (either may be missing). */
struct side {
	uint64_t count;
	double rate;
	double v[TT_REPORT_PCTS + 2]; /* min, percentiles, max */
	int has_values;
	const struct tt_report_hist *hist;
	const struct tt_report_curve *curve;
};

struct pair {
	char *label;
	int is_dur;
	const char *arg;        /* probes: the argument compared (NULL: counts only) */
	struct side s[2];
	int in[2];              /* present in a, in b */
};

static void group_label(char *buf, size_t sz, const struct tt_report_group *g, const char *by)
{
	int n = snprintf(buf, sz, "%s%s%s", g->provider, *g->provider ? ":" : "", g->name);

	if (g->by && n >= 0 && (size_t)n < sz)
		snprintf(buf + n, sz - (size_t)n, " %s=%s", by ? by : "?", g->by);
}

static struct pair *find(struct pair *p, size_t n, const char *label)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p[i].label, label))
			return &p[i];
	return NULL;
}

static int add(struct pair **p, size_t *n, size_t *cap, const char *label, struct pair **out)
{
	struct pair *q = find(*p, *n, label);

	if (!q) {
		if (tt_grow((void **)p, cap, *n + 1, sizeof(**p)))
			return -ENOMEM;
		q = &(*p)[(*n)++];
		memset(q, 0, sizeof(*q));
		q->label = strdup(label);
		if (!q->label)
			return -ENOMEM;
	}
	*out = q;
	return 0;
}

/* The span groups of a and b, matched: a's order, then what only b has. */
static int span_pairs(const struct tt_report *r[2], const struct tt_report_opts *o, struct pair **p,
		      size_t *n)
{
	size_t cap = 0;

	*p = NULL;
	*n = 0;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < r[k]->group_cnt; i++) {
			const struct tt_report_group *g = &r[k]->groups[i];
			struct side *s;
			struct pair *q;
			char lbl[1024];

			group_label(lbl, sizeof(lbl), g, o->by);
			if (add(p, n, &cap, lbl, &q))
				return -ENOMEM;
			q->is_dur = 1;
			q->in[k] = 1;
			s = &q->s[k];
			s->count = g->count;
			s->rate = g->rate;
			s->has_values = g->count > 0;
			s->v[0] = (double)g->min;
			for (int j = 0; j < TT_REPORT_PCTS; j++)
				s->v[1 + j] = (double)g->pct[j];
			s->v[TT_REPORT_PCTS + 1] = (double)g->max;
			s->hist = &g->hist;
			s->curve = &g->curve;
		}
	}
	return 0;
}

/* The probes of a and b, matched; values compared where both show the same argument. */
static int probe_pairs(const struct tt_report *r[2], struct pair **p, size_t *n)
{
	size_t cap = 0;

	*p = NULL;
	*n = 0;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < r[k]->probe_cnt; i++) {
			const struct tt_report_probe *pr = &r[k]->probes[i];
			struct side *s;
			struct pair *q;

			if (add(p, n, &cap, pr->label, &q))
				return -ENOMEM;
			q->in[k] = 1;
			s = &q->s[k];
			s->count = pr->count;
			s->rate = pr->rate;
			if (!pr->arg || !pr->arg_n)
				continue;
			if (k == 1 && q->in[0] && !(q->arg && !strcmp(q->arg, pr->arg)))
				continue; /* another argument than a's: counts only */
			if (k == 0)
				q->arg = pr->arg;
			s->has_values = 1;
			s->v[0] = pr->min;
			memcpy(&s->v[1], pr->pct, sizeof(pr->pct));
			s->v[TT_REPORT_PCTS + 1] = pr->max;
			s->hist = &pr->hist;
			s->curve = &pr->curve;
		}
	}
	/* a probe whose values only one side has compares counts only */
	for (size_t i = 0; i < *n; i++) {
		struct pair *q = &(*p)[i];

		if (!(q->s[0].has_values && q->s[1].has_values)) {
			q->s[0].has_values = q->s[1].has_values = 0;
			q->arg = NULL;
		}
	}
	return 0;
}

static void pairs_free(struct pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].label);
	free(p);
}

/* The change from x to y: "+12.3%", "-4.0%", "=" when equal, "new" from 0. */
static char *change(char *buf, size_t sz, double x, double y)
{
	if (x == y)
		snprintf(buf, sz, "=");
	else if (x == 0)
		snprintf(buf, sz, "new");
	else
		snprintf(buf, sz, "%+.1f%%", (y - x) / fabs(x) * 100);
	return buf;
}

/* The rows of one pair: {name, a, b, change} as text, for both renderers. */
struct row {
	const char *what;
	char a[40], b[40], d[24];
};

static size_t pair_rows(const struct pair *q, int raw, struct row *rows)
{
	static const char *const vnames[TT_REPORT_PCTS + 2] = {"min", "p50", "p90", "p99", "p99.9", "max"};
	size_t n = 0;

	rows[n].what = "count";
	for (int k = 0; k < 2; k++) {
		char *dst = k ? rows[n].b : rows[n].a;

		if (q->in[k])
			tt_report_count(dst, sizeof(rows[n].a), q->s[k].count, raw);
		else
			snprintf(dst, sizeof(rows[n].a), "-");
	}
	change(rows[n].d, sizeof(rows[n].d), (double)q->s[0].count, (double)q->s[1].count);
	if (!q->in[0] || !q->in[1])
		snprintf(rows[n].d, sizeof(rows[n].d), "%s", q->in[0] ? "gone" : "new");
	n++;
	rows[n].what = "rate";
	tt_report_rate(rows[n].a, sizeof(rows[n].a), q->s[0].rate, raw);
	tt_report_rate(rows[n].b, sizeof(rows[n].b), q->s[1].rate, raw);
	change(rows[n].d, sizeof(rows[n].d), q->s[0].rate, q->s[1].rate);
	n++;
	if (!q->s[0].has_values || !q->s[1].has_values)
		return n;
	for (int j = 0; j < TT_REPORT_PCTS + 2; j++, n++) {
		rows[n].what = vnames[j];
		tt_report_value(rows[n].a, sizeof(rows[n].a), q->s[0].v[j], q->is_dur, raw);
		tt_report_value(rows[n].b, sizeof(rows[n].b), q->s[1].v[j], q->is_dur, raw);
		change(rows[n].d, sizeof(rows[n].d), q->s[0].v[j], q->s[1].v[j]);
	}
	return n;
}

static void capture_line(FILE *f, const char *tag, const struct tt_report *r, int raw)
{
	char d[32], e[32], s[32], l[32];

	fprintf(f, "%s: %s: %u tape%s%s%s, %s, %s events, %s spans, %s events lost\n", tag, r->source,
		r->tapes, r->tapes == 1 ? "" : "s", *r->hosts ? ", host " : "", r->hosts,
		tt_report_dur(d, sizeof(d), (int64_t)r->duration_ns, raw), tt_report_count(e, sizeof(e), r->events, raw),
		tt_report_count(s, sizeof(s), r->spans, raw), tt_report_count(l, sizeof(l), r->lost_events, raw));
}

static void text_section(FILE *f, const char *title, const struct pair *p, size_t n, int raw)
{
	struct row rows[TT_REPORT_PCTS + 4];

	fprintf(f, "\n%-12s %14s %14s %9s\n", title, "A", "B", "change");
	if (!n)
		fprintf(f, "  (none in either)\n");
	for (size_t i = 0; i < n; i++) {
		size_t rn = pair_rows(&p[i], raw, rows);
		char *bare = tt_bare_dup(p[i].label);

		fprintf(f, "  %s", bare ? bare : p[i].label);
		free(bare);
		if (p[i].arg)
			fprintf(f, " (%s)", p[i].arg);
		fputc('\n', f);
		for (size_t k = 0; k < rn; k++)
			fprintf(f, "    %-8s %14s %14s %9s\n", rows[k].what, rows[k].a, rows[k].b, rows[k].d);
	}
}

int tt_report__diff_text(const struct tt_report *a, const struct tt_report *b,
			 const struct tt_report_opts *o, FILE *f)
{
	const struct tt_report *r[2] = {a, b};
	struct pair *sp = NULL, *pp = NULL;
	size_t sn = 0, pn = 0;
	int err;

	err = span_pairs(r, o, &sp, &sn);
	if (!err)
		err = probe_pairs(r, &pp, &pn);
	if (!err) {
		fprintf(f, "tracetape diff: A is the baseline, B is compared with it\n");
		capture_line(f, "A", a, o->raw);
		capture_line(f, "B", b, o->raw);
		text_section(f, o->by ? "Spans by argument" : "Spans", sp, sn, o->raw);
		text_section(f, "Probes", pp, pn, o->raw);
		err = ferror(f) ? -EIO : 0;
	}
	pairs_free(sp, sn);
	pairs_free(pp, pn);
	return err;
}

/* ---- HTML ---- */

#define W 900
#define RM 40

static const char *const side_cls[2] = {"a", "b"};

/* x of value v on the shared axis: log10 when logx. */
static double ax(double v, int logx)
{
	return logx ? log10(v > 0 ? v : 1e-300) : v;
}

/*
 * The two histograms of q as densities over one value axis (log when the values span more
 * than a factor of ten): each bucket a step at the share of its side's values per unit of
 * the axis, so that different bucket schemes and counts compare.
 */
static void svg_density(FILE *f, const struct pair *q, int raw)
{
	const int h = 200, left = 70, top = 14, bottom = 46, right = W - RM;
	double lo = INFINITY, hi = -INFINITY, dmax = 0, x0, x1;
	int logx;
	char t[48];

	for (int k = 0; k < 2; k++) {
		const struct tt_report_hist *hs = q->s[k].hist;

		for (size_t i = 0; i < hs->n; i++) {
			if (hs->b[i].idx == TT_BUCKET_ZERO)
				continue;
			lo = fmin(lo, tt_buckets_lo(&hs->scheme, hs->b[i].idx));
			hi = fmax(hi, tt_buckets_hi(&hs->scheme, hs->b[i].idx));
		}
	}
	if (!(hi > lo))
		return;
	logx = lo > 0 && hi / lo > 10;
	x0 = ax(lo, logx);
	x1 = ax(hi, logx);
	for (int k = 0; k < 2; k++) {
		const struct tt_report_hist *hs = q->s[k].hist;

		for (size_t i = 0; i < hs->n; i++) {
			double bl = tt_buckets_lo(&hs->scheme, hs->b[i].idx), bh = tt_buckets_hi(&hs->scheme, hs->b[i].idx);

			if (hs->b[i].idx != TT_BUCKET_ZERO && ax(bh, logx) > ax(bl, logx))
				dmax = fmax(dmax, (double)hs->b[i].count / (double)q->s[k].count /
						  (ax(bh, logx) - ax(bl, logx)));
		}
	}
	if (!(dmax > 0))
		return;
	fputs("<svg class=\"density\" width=\"900\" height=\"246\" viewBox=\"0 0 900 246\" "
	      "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"the two distributions\">\n", f);
	for (int i = 0; i <= 4; i++) {
		double v = logx ? pow(10, x0 + (x1 - x0) * i / 4) : lo + (hi - lo) * i / 4;
		double x = left + (double)i * (right - left) / 4;

		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			   "<text class=\"xt\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, top, x, h, x,
			h + 16, tt_report_value(t, sizeof(t), v, q->is_dur, raw));
	}
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", left, h, right, h, left, top,
		left, h);
	for (int k = 0; k < 2; k++) {
		const struct tt_report_hist *hs = q->s[k].hist;
		double prev = -INFINITY;

		fprintf(f, "<polyline class=\"dens %s\" points=\"", side_cls[k]);
		for (size_t i = 0; i < hs->n; i++) {
			double bl = tt_buckets_lo(&hs->scheme, hs->b[i].idx), bh = tt_buckets_hi(&hs->scheme, hs->b[i].idx);
			double xl, xh, y;

			if (hs->b[i].idx == TT_BUCKET_ZERO || !(ax(bh, logx) > ax(bl, logx)))
				continue;
			xl = left + (ax(bl, logx) - x0) / (x1 - x0) * (right - left);
			xh = left + (ax(bh, logx) - x0) / (x1 - x0) * (right - left);
			y = h - (double)hs->b[i].count / (double)q->s[k].count / (ax(bh, logx) - ax(bl, logx)) / dmax * (h - top);
			if (bl != prev) /* down to nothing between buckets that do not touch */
				fprintf(f, "%.1f,%d ", xl, h);
			fprintf(f, "%.1f,%.1f %.1f,%.1f ", xl, y, xh, y);
			if (i + 1 == hs->n || tt_buckets_lo(&hs->scheme, hs->b[i + 1].idx) != bh)
				fprintf(f, "%.1f,%d ", xh, h);
			prev = bh;
		}
		fputs("\"/>\n", f);
	}
	fprintf(f, "<text class=\"atitle\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s%s</text>\n"
		   "<text class=\"atitle\" transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">"
		   "share per unit</text>\n", (left + right) / 2.0, h + bottom - 6, q->is_dur ? "duration" : "value",
		logx ? " (log scale)" : "", (top + h) / 2.0);
	fputs("</svg>\n", f);
}

/* Both percentile curves of q: the value at q against 1 / (1 - q), log axis. */
static void svg_curves(FILE *f, const struct pair *q, int raw)
{
	const int h = 200, left = 70, top = 14, bottom = 46, right = W - RM;
	static const char *const q_lbl[] = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
	double cap = log10((double)TT_MAX(TT_MAX(q->s[0].count, q->s[1].count), 2)), vmax = 0;
	char t[48];

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < q->s[k].curve->n; i++)
			vmax = fmax(vmax, q->s[k].curve->v[i]);
	vmax = vmax > 0 ? vmax * 1.05 : 1;
	fputs("<svg class=\"curve\" width=\"900\" height=\"246\" viewBox=\"0 0 900 246\" "
	      "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"the two percentile curves\">\n", f);
	for (int i = 0; i <= 4; i++) {
		double y = h - (double)i * (h - top) / 4;

		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left, y, right, y, left - 4, y + 4,
			tt_report_value(t, sizeof(t), vmax * i / 4, q->is_dur, raw));
	}
	for (int d = 0; d < (int)TT_ARRAY_SIZE(q_lbl) && d <= cap + 1e-9; d++) {
		double x = left + d / cap * (right - left);

		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			   "<text class=\"xt\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, top, x, h, x,
			h + 16, q_lbl[d]);
	}
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", left, h, right, h, left, top,
		left, h);
	for (int k = 0; k < 2; k++) {
		const struct tt_report_curve *c = q->s[k].curve;
		double capk = log10((double)TT_MAX(q->s[k].count, 2));

		fprintf(f, "<polyline class=\"cline %s\" points=\"", side_cls[k]);
		for (size_t i = 0; i < c->n; i++) {
			double x = c->pct[i] >= 100000000 ? capk : -log10(1 - (double)c->pct[i] / 1e8);

			fprintf(f, "%.1f,%.1f ", left + x / cap * (right - left), h - c->v[i] / vmax * (h - top));
		}
		fputs("\"/>\n", f);
	}
	fprintf(f, "<text class=\"atitle\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">percentile (log scale "
		   "of 1 / (1 - q))</text>\n<text class=\"atitle\" transform=\"translate(14 %.1f) rotate(-90)\" "
		   "text-anchor=\"middle\">%s</text>\n</svg>\n", (left + right) / 2.0, h + bottom - 6, (top + h) / 2.0,
		q->is_dur ? "duration" : "value");
}

static void html_section(FILE *f, const char *title, const struct pair *p, size_t n, int raw)
{
	struct row rows[TT_REPORT_PCTS + 4];

	fprintf(f, "<h2>%s</h2>\n", title);
	if (!n)
		fputs("<p class=\"muted\">none in either</p>\n", f);
	for (size_t i = 0; i < n; i++) {
		size_t rn = pair_rows(&p[i], raw, rows);

		fputs("<h3>", f);
		tt_report_html_esc(f, p[i].label);
		if (p[i].arg) {
			fputs(": ", f);
			tt_report_html_esc(f, p[i].arg);
		}
		fputs("</h3>\n<table class=\"diff\"><tr><th class=\"l\"></th><th class=\"a\">A</th>"
		      "<th class=\"b\">B</th><th>change</th></tr>\n", f);
		for (size_t k = 0; k < rn; k++)
			fprintf(f, "<tr><td class=\"l\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", rows[k].what,
				rows[k].a, rows[k].b, rows[k].d);
		fputs("</table>\n", f);
		if (p[i].s[0].has_values && p[i].s[1].has_values && p[i].s[0].hist && p[i].s[1].hist) {
			svg_density(f, &p[i], raw);
			svg_curves(f, &p[i], raw);
		}
	}
}

static void html_capture(FILE *f, const char *tag, const struct tt_report *r, int raw)
{
	char d[32], e[32], s[32], l[32];

	fprintf(f, "<p><b class=\"%s\">%s</b> ", tag[0] == 'A' ? "a" : "b", tag);
	tt_report_html_esc(f, r->source);
	fprintf(f, ": %u tape%s, %s, %s events, %s spans, %s events lost</p>\n", r->tapes, r->tapes == 1 ? "" : "s",
		tt_report_dur(d, sizeof(d), (int64_t)r->duration_ns, raw), tt_report_count(e, sizeof(e), r->events, raw),
		tt_report_count(s, sizeof(s), r->spans, raw), tt_report_count(l, sizeof(l), r->lost_events, raw));
}

int tt_report__diff_html(const struct tt_report *a, const struct tt_report *b,
			 const struct tt_report_opts *o, FILE *f)
{
	const struct tt_report *r[2] = {a, b};
	struct pair *sp = NULL, *pp = NULL;
	size_t sn = 0, pn = 0;
	int err;

	err = span_pairs(r, o, &sp, &sn);
	if (!err)
		err = probe_pairs(r, &pp, &pn);
	if (!err) {
		tt_report_html_head(f, "tracetape diff: ", a->source);
		fputs(" vs ", f);
		tt_report_html_esc(f, b->source);
		fputs("</h1>\n", f);
		html_capture(f, "A", a, o->raw);
		html_capture(f, "B", b, o->raw);
		fputs("<p class=\"muted\">A is the baseline; change is B relative to A. Each chart overlays "
		      "<b class=\"a\">A</b> and <b class=\"b\">B</b>: the share of values per unit of the value "
		      "axis, then the percentile curves.</p>\n", f);
		html_section(f, o->by ? "Spans by argument" : "Spans", sp, sn, o->raw);
		html_section(f, "Probes", pp, pn, o->raw);
		fputs("<p class=\"muted\">Written by tracetape diff.</p>\n</body></html>\n", f);
		err = ferror(f) ? -EIO : 0;
	}
	pairs_free(sp, sn);
	pairs_free(pp, pn);
	return err;
}
