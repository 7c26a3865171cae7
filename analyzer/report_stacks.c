/* SPDX-License-Identifier: MIT */
/*
 * Call stacks in the report (report_stacks.h): two queries into stack sets, a text listing,
 * and flame graphs drawn as inline SVG from the folded stacks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_stacks.h"
#include "tt_error.h"
#include "tt_util.h"

#define FLAME_W 1000     /* px */
#define FLAME_ROW 17     /* px per frame */
#define FLAME_DEPTH 64   /* frames drawn at most */

static const char *const probes_sql =
	"SELECT p.provider || ':' || p.name, s.folded, count(*), 0 FROM event_stacks es "
	"JOIN events e ON e.id = es.event_id JOIN probes p ON p.id = e.probe_id "
	"JOIN stacks s ON s.id = es.stack_id GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2";

/* The slowest closed spans of each name that have a stack on their start (else end) event
 * (ties in span order). */
static const char *const spans_sql =
	"WITH r AS (SELECT sp.name AS name, sp.dur AS dur, coalesce(b.stack_id, x.stack_id) AS sid, "
	"row_number() OVER (PARTITION BY sp.name ORDER BY sp.dur DESC, sp.id) AS rk FROM spans sp "
	"LEFT JOIN event_stacks b ON b.event_id = sp.begin_event_id "
	"LEFT JOIN event_stacks x ON x.event_id = sp.end_event_id "
	"WHERE sp.dur IS NOT NULL AND coalesce(b.stack_id, x.stack_id) IS NOT NULL) "
	"SELECT r.name, s.folded, count(*), max(r.dur) FROM r JOIN stacks s ON s.id = r.sid "
	"WHERE r.rk <= ? GROUP BY 1, 2 ORDER BY 1, 3 DESC, 4 DESC, 2";

void tt_report_stacks__free(struct tt_report_stacks *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < s->sets[i].n; k++)
			free(s->sets[i].stacks[k].folded);
		free(s->sets[i].stacks);
		free(s->sets[i].label);
	}
	free(s->sets);
	memset(s, 0, sizeof(*s));
}

int tt_report_stacks__add(struct tt_report_stacks *s, size_t *cap, int is_span, const char *label,
			  const char *folded, uint64_t count, int64_t max_dur)
{
	struct tt_report_stackset *set = s->n ? &s->sets[s->n - 1] : NULL;
	size_t scap;

	if (!label || !folded)
		return 0;
	if (!set || set->is_span != is_span || strcmp(set->label, label)) {
		if (tt_grow((void **)&s->sets, cap, s->n + 1, sizeof(*s->sets)))
			return -ENOMEM;
		set = &s->sets[s->n++];
		set->is_span = is_span;
		set->label = strdup(label);
		if (!set->label)
			return -ENOMEM;
	}
	scap = set->n; /* grown one at a time: the sets are small */
	if (tt_grow((void **)&set->stacks, &scap, set->n + 1, sizeof(*set->stacks)))
		return -ENOMEM;
	set->stacks[set->n] = (struct tt_report_stack){
		.folded = strdup(folded), .count = count, .max_dur = max_dur};
	if (!set->stacks[set->n].folded)
		return -ENOMEM;
	set->total += set->stacks[set->n++].count;
	return 0;
}

int tt_report_stacks__build(sqlite3 *db, uint32_t top, struct tt_report_stacks *s,
			    const struct tt_out *out)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int err = 0, rc;

	memset(s, 0, sizeof(*s));
	for (int pass = 0; pass < 2 && !err; pass++) {
		rc = sqlite3_prepare_v2(db, pass ? spans_sql : probes_sql, -1, &st, NULL);
		if (rc != SQLITE_OK) {
			/* a database from before the stacks tables: no stacks to show */
			if (strstr(sqlite3_errmsg(db), "no such table"))
				return 0;
			tt_err(out, "reading the stacks: %s", sqlite3_errmsg(db));
			return -TT_E_SQL;
		}
		if (pass)
			sqlite3_bind_int64(st, 1, top);
		while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
			err = tt_report_stacks__add(s, &cap, pass, (const char *)sqlite3_column_text(st, 0),
						    (const char *)sqlite3_column_text(st, 1),
						    (uint64_t)sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
		if (!err && rc != SQLITE_DONE) {
			tt_err(out, "reading the stacks: %s", sqlite3_errmsg(db));
			err = -TT_E_SQL;
		}
		sqlite3_finalize(st);
	}
	if (err)
		tt_report_stacks__free(s);
	return err;
}

/* folded ("a;b;c") as "a > b > c" */
static void print_frames(FILE *f, const char *folded)
{
	for (const char *p = folded; *p; p++) {
		if (*p == ';')
			fputs(" > ", f);
		else
			fputc(*p, f);
	}
}

void tt_report_stacks__text(FILE *f, const struct tt_report_stacks *s, uint32_t top)
{
	char d[32];

	if (!s->n)
		return;
	fprintf(f, "\nCall stacks (outermost frame first)\n");
	for (size_t i = 0; i < s->n; i++) {
		const struct tt_report_stackset *set = &s->sets[i];

		if (set->is_span)
			fprintf(f, "  span %s: the %" PRIu64 " slowest with a stack, %zu distinct\n",
				set->label, set->total, set->n);
		else
			fprintf(f, "  probe %s: %" PRIu64 " hits with a stack, %zu distinct\n",
				set->label, set->total, set->n);
		for (size_t k = 0; k < set->n && k < top; k++) {
			const struct tt_report_stack *st = &set->stacks[k];

			fprintf(f, "    %8" PRIu64 " %5.1f%%  ", st->count,
				100.0 * (double)st->count / (double)(set->total ? set->total : 1));
			if (set->is_span)
				fprintf(f, "max %9s  ", tt_report_dur(d, sizeof(d), st->max_dur, 0));
			print_frames(f, st->folded);
			fputc('\n', f);
		}
		if (set->n > top)
			fprintf(f, "    (%zu more stacks; --top N shows more)\n", set->n - top);
	}
}

/* ---- flame graphs ---- */

/* The frames of each stack, split once; the stacks are sorted by frames (folded order). */
struct split {
	char *buf; /* the folded text, split in place */
	char **fr;
	size_t n;
	uint64_t count;
};

static int split_cmp(const void *a, const void *b)
{
	const struct split *x = a, *y = b;

	for (size_t i = 0; i < x->n && i < y->n; i++) {
		int c = strcmp(x->fr[i], y->fr[i]);

		if (c)
			return c;
	}
	return x->n < y->n ? -1 : x->n > y->n;
}

/*
 * Frames at depth d of stacks [lo, hi) (sorted, all sharing their first d frames): one box per
 * run of equal frames, as wide as its hits, then its children below.
 */
static void flame_level(FILE *f, const struct split *v, size_t lo, size_t hi, size_t d, double x,
			double px_per_hit, uint64_t total)
{
	while (lo < hi && d < FLAME_DEPTH) {
		size_t end = lo;
		uint64_t hits = 0;
		double w;

		if (v[lo].n <= d) { /* a stack that ends here */
			x += px_per_hit * (double)v[lo].count;
			lo++;
			continue;
		}
		while (end < hi && v[end].n > d && !strcmp(v[end].fr[d], v[lo].fr[d]))
			hits += v[end++].count;
		w = px_per_hit * (double)hits;
		if (w >= 0.5) {
			unsigned hue = 10 + (unsigned)(strlen(v[lo].fr[d]) * 7 % 40);

			fprintf(f, "<g><title>");
			tt_report_html_esc(f, v[lo].fr[d]);
			fprintf(f, " (%" PRIu64 ", %.1f%%)</title><rect x=\"%.1f\" y=\"%zu\" width=\"%.1f\" "
				"height=\"%d\" fill=\"hsl(%u,85%%,62%%)\" stroke=\"#fff\" stroke-width=\"0.5\"/>",
				hits, 100.0 * (double)hits / (double)total, x, d * FLAME_ROW, w,
				FLAME_ROW - 1, hue);
			if (w > 30) {
				/* as many characters as fit, about 7 px each */
				size_t fit = (size_t)(w / 7), len = strlen(v[lo].fr[d]);
				char buf[256];

				snprintf(buf, sizeof(buf), "%.*s%s", (int)(len > fit ? (fit > 2 ? fit - 2 : 0) : len),
					 v[lo].fr[d], len > fit ? ".." : "");
				fprintf(f, "<text x=\"%.1f\" y=\"%zu\" font-size=\"11\">", x + 3,
					d * FLAME_ROW + 12);
				tt_report_html_esc(f, buf);
				fputs("</text>", f);
			}
			fputs("</g>\n", f);
			flame_level(f, v, lo, end, d + 1, x, px_per_hit, total);
		}
		x += w;
		lo = end;
	}
}

static void flame(FILE *f, const struct tt_report_stackset *set)
{
	struct split *v = calloc(set->n, sizeof(*v));
	size_t depth = 0;

	if (!v)
		return;
	for (size_t i = 0; i < set->n; i++) {
		char *dup = strdup(set->stacks[i].folded), *save = NULL;

		v[i].buf = dup;
		v[i].count = set->stacks[i].count;
		for (char *t = dup ? strtok_r(dup, ";", &save) : NULL; t; t = strtok_r(NULL, ";", &save)) {
			char **nf = realloc(v[i].fr, (v[i].n + 1) * sizeof(*nf));

			if (!nf)
				break;
			v[i].fr = nf;
			v[i].fr[v[i].n++] = t;
		}
		if (v[i].n > depth)
			depth = v[i].n;
	}
	qsort(v, set->n, sizeof(*v), split_cmp);
	if (depth > FLAME_DEPTH)
		depth = FLAME_DEPTH;
	fprintf(f, "<svg class=\"flame\" width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d %zu\" "
		"font-family=\"monospace\">\n", FLAME_W, depth * FLAME_ROW, FLAME_W, depth * FLAME_ROW);
	flame_level(f, v, 0, set->n, 0, 0, (double)FLAME_W / (double)(set->total ? set->total : 1),
		    set->total ? set->total : 1);
	fputs("</svg>\n", f);
	for (size_t i = 0; i < set->n; i++) {
		free(v[i].buf);
		free(v[i].fr);
	}
	free(v);
}

void tt_report_stacks__html(FILE *f, const struct tt_report_stacks *s)
{
	if (!s->n)
		return;
	fputs("<h2>Call stacks</h2>\n<p class=\"muted\">Flame graphs of the stacks recorded with "
	      "<code>record --stack</code>: the outermost frame on top, each frame as wide as the "
	      "hits (or slowest spans) under it; hover a frame for its name and share.</p>\n", f);
	for (size_t i = 0; i < s->n; i++) {
		const struct tt_report_stackset *set = &s->sets[i];

		fprintf(f, "<h3>%s ", set->is_span ? "span" : "probe");
		tt_report_html_esc(f, set->label);
		fprintf(f, " <span class=\"muted\">(%" PRIu64 " %s, %zu distinct stacks)</span></h3>\n",
			set->total, set->is_span ? "slowest spans with a stack" : "hits with a stack",
			set->n);
		flame(f, set);
	}
}
