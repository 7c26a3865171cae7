/* SPDX-License-Identifier: MIT */
/*
 * The report for a terminal (report.h, tt_report__text): the capture line, the span and probe
 * tables, the histograms (their buckets fitted to the data, the percentiles marked), where the time went, the slowest and the open spans, the losses.
 * Composed in memory, then written with control characters escaped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tt_fmt.h"
#include "tt_util.h"

#define TEXT_ROWS 48 /* at most this many histogram rows: the scheme is coarsened to fit */

static const char *const pct_names[TT_REPORT_PCTS] = {"p50", "p90", "p99", "p99.9"};

/*
 * A histogram, a row per bucket (a run of empty ones folded into one line), the bar scaled to
 * the tallest; a row says which of the percentiles pct[] (of the same values) fall in it.
 */
static void text_hist(FILE *f, const struct tt_report_hist *h, const double *pct, int is_dur,
		      const char *unit, int raw)
{
	struct tt_buckets sch;
	uint64_t max;
	size_t n;
	struct tt_report_hrow *rows = tt_report_hist_rows(h, 3, TEXT_ROWS, &n, &max, &sch);
	char a[32], b[32], range[80], desc[80];

	if (!rows)
		return;
	fprintf(f, "  buckets: %s; %s per bucket, bars scaled to the fullest (%" PRIu64 ")\n",
		tt_report_scheme(desc, sizeof(desc), &sch, is_dur, raw), unit, max);
	for (size_t k = 0; k < n; k++) {
		const struct tt_report_hrow *r = &rows[k];
		int bar = (int)((r->count * 40 + max - 1) / max);
		int marks = 0;

		snprintf(range, sizeof(range), "[%s, %s)", tt_report_bound(a, sizeof(a), r->lo, r->hi - r->lo, is_dur, raw),
			 tt_report_bound(b, sizeof(b), r->hi, r->hi - r->lo, is_dur, raw));
		if (r->gap) {
			fprintf(f, "  %-24s %10s  (no values)\n", range, "~");
			continue;
		}
		fprintf(f, "  %-24s %10" PRIu64 " |%.*s%*s|", range, r->count, bar,
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@", 40 - bar, "");
		for (int p = 0; p < TT_REPORT_PCTS; p++)
			if (pct[p] >= r->lo && pct[p] < r->hi)
				fprintf(f, "%s%s", marks++ ? " " : " <- ", pct_names[p]);
		fputc('\n', f);
	}
	free(rows);
}

static const char *group_label(const struct tt_report_group *g, const struct tt_report_opts *o,
			       char *buf, size_t sz)
{
	char raw[1024], *bare;

	if (g->provider && *g->provider)
		snprintf(raw, sizeof(raw), "%s:%s", g->provider, g->name);
	else
		snprintf(raw, sizeof(raw), "%s", g->name);
	if (g->by) {
		size_t n = strlen(raw);

		snprintf(raw + n, sizeof(raw) - n, " %s=%s", o->by, g->by);
	}
	/* query texts and other grouping values may hold newlines and escapes */
	bare = tt_bare_dup(raw);
	snprintf(buf, sz, "%s", bare ? bare : raw);
	free(bare);
	return buf;
}

static const char *const kstate_names[TT_REPORT_KSTATES] = {"running", "runnable", "sleeping",
							  "blocked", "unknown"};

static double pct_of(int64_t part, int64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A breakdown as two lines (states, syscalls), each led by ind; what was not recorded is left out. */
static void text_kbreak(FILE *f, const struct tt_report *r, const struct tt_report_kbreak *b,
			const char *ind, int raw)
{
	char a[32], c[32];

	if (r->kernel_states) {
		fputs(ind, f);
		for (int k = 0; k < TT_REPORT_KSTATES; k++)
			fprintf(f, "%s%s %s (%.1f%%)", k ? ", " : "", kstate_names[k],
				tt_report_dur(a, sizeof(a), b->state_ns[k], raw), pct_of(b->state_ns[k], b->total_ns));
		fputc('\n', f);
	}
	if (r->kernel_syscalls) {
		fprintf(f, "%ssyscalls %s call%s, %s (%.1f%%)", ind, tt_report_count(c, sizeof(c), b->sys_count, raw),
			b->sys_count == 1 ? "" : "s", tt_report_dur(a, sizeof(a), b->sys_ns, raw),
			pct_of(b->sys_ns, b->total_ns));
		for (size_t i = 0; i < b->sys_n; i++)
			fprintf(f, "%s%s %s call%s %s (%.1f%%)", i ? ", " : ": ", b->sys[i].name,
				tt_report_count(c, sizeof(c), b->sys[i].count, raw), b->sys[i].count == 1 ? "" : "s",
				tt_report_dur(a, sizeof(a), b->sys[i].ns, raw), pct_of(b->sys[i].ns, b->total_ns));
		if (b->sys_more)
			fprintf(f, ", %zu more", b->sys_more);
		fputc('\n', f);
	}
}

/* Where each span name's time went, when the capture has kernel data. */
static void text_kernel(FILE *f, const struct tt_report *r, int raw)
{
	char a[32], c[32];

	fprintf(f, "\nWhere the time went (thread states: %s; syscalls: %s)\n",
		r->kernel_states ? "sched_switch, sched_wakeup" : "not recorded, see record --sched",
		r->kernel_syscalls ? "raw_syscalls" : "not recorded, see record --syscalls");
	if (!r->kname_cnt)
		fprintf(f, "  (no closed spans)\n");
	for (size_t i = 0; i < r->kname_cnt; i++) {
		const struct tt_report_kname *k = &r->knames[i];

		fprintf(f, "  %s: %s spans", k->name, tt_report_count(c, sizeof(c), k->spans, raw));
		if (k->cross)
			fprintf(f, " (%s ended on another thread: both threads counted)",
				tt_report_count(c, sizeof(c), k->cross, raw));
		fprintf(f, ", %s of thread time\n", tt_report_dur(a, sizeof(a), k->b.total_ns, raw));
		text_kbreak(f, r, &k->b, "    ", raw);
	}
}

static int text_report(const struct tt_report *r, const struct tt_report_opts *o, FILE *f)
{
	char a[64], b[64], lbl[512];
	int raw = o->raw, w = 20;

	fprintf(f, "tracetape report: %s\n", r->source);
	{
		char d[32], l[32];

		fprintf(f, "capture: %u tape%s%s%s, %s, %s events, %s spans, %s events lost\n", r->tapes,
			r->tapes == 1 ? "" : "s", *r->hosts ? ", host " : "", r->hosts,
			tt_report_dur(d, sizeof(d), (int64_t)r->duration_ns, raw),
			tt_report_count(a, sizeof(a), r->events, raw), tt_report_count(b, sizeof(b), r->spans, raw),
			tt_report_count(l, sizeof(l), r->lost_events, raw));
	}
	if (r->window)
		fprintf(f, "window: %s\n", r->window);
	for (size_t i = 0; i < r->warning_cnt; i++)
		fprintf(f, "warning: %s\n", r->warnings[i]);

	for (size_t i = 0; i < r->group_cnt; i++)
		w = TT_MAX(w, (int)strlen(group_label(&r->groups[i], o, lbl, sizeof(lbl))));
	for (size_t i = 0; i < r->probe_cnt; i++)
		w = TT_MAX(w, (int)strlen(r->probes[i].label));
	w = TT_MIN(w, 60);

	fprintf(f, "\nSpans%s\n", o->by ? " by argument" : "");
	if (!r->group_cnt) {
		fprintf(f, "  (no closed spans)\n");
	} else {
		fprintf(f, "  %-*s %10s %9s %9s %9s %9s %9s %9s %9s %6s %6s\n", w, "name", "count", "rate",
			"min", "p50", "p90", "p99", "p99.9", "max", "open", "lost");
		for (size_t i = 0; i < r->group_cnt; i++) {
			const struct tt_report_group *g = &r->groups[i];
			char c[6][32];

			fprintf(f, "  %-*s %10s %9s", w, group_label(g, o, lbl, sizeof(lbl)),
				tt_report_count(a, sizeof(a), g->count, raw), tt_report_rate(b, sizeof(b), g->rate, raw));
			tt_report_dur(c[0], sizeof(c[0]), g->min, raw);
			for (int k = 0; k < TT_REPORT_PCTS; k++)
				tt_report_dur(c[1 + k], sizeof(c[0]), g->pct[k], raw);
			tt_report_dur(c[5], sizeof(c[0]), g->max, raw);
			for (int k = 0; k < 6; k++)
				fprintf(f, " %9s", c[k]);
			if (o->by)
				fprintf(f, " %6s %6" PRIu64 "\n", "-", g->lost);
			else
				fprintf(f, " %6" PRIu64 " %6" PRIu64 "\n", g->open, g->lost);
			if (g->example) {
				/* a normalized statement: one of the group's as recorded */
				char *bare = tt_bare_dup(g->example);

				fprintf(f, "    e.g. %s\n", bare ? bare : g->example);
				free(bare);
			}
		}
		if (r->groups_omitted)
			fprintf(f, "  (%zu more groups with fewer spans; --top N shows more)\n", r->groups_omitted);
	}
	if (r->kernel_states || r->kernel_syscalls)
		text_kernel(f, r, raw);
	tt_report__tail_text(f, r, raw);

	fprintf(f, "\nProbes\n");
	fprintf(f, "  %-*s %10s %9s %6s  %-10s %9s %9s %9s %9s %9s %9s\n", w, "name", "count", "rate",
		"lost", "argument", "min", "p50", "p90", "p99", "p99.9", "max");
	for (size_t i = 0; i < r->probe_cnt; i++) {
		const struct tt_report_probe *p = &r->probes[i];

		fprintf(f, "  %-*s %10s %9s %6" PRIu64, w, p->label, tt_report_count(a, sizeof(a), p->count, raw),
			tt_report_rate(b, sizeof(b), p->rate, raw), p->lost);
		if (p->arg && p->arg_n) {
			fprintf(f, "  %-10s %9s", p->arg, tt_report_num(a, sizeof(a), p->min, p->arg_is_real));
			for (int k = 0; k < TT_REPORT_PCTS; k++)
				fprintf(f, " %9s", tt_report_num(a, sizeof(a), p->pct[k], p->arg_is_real));
			fprintf(f, " %9s", tt_report_num(a, sizeof(a), p->max, p->arg_is_real));
		}
		fputc('\n', f);
	}

	for (size_t i = 0; i < r->group_cnt; i++) {
		const struct tt_report_group *g = &r->groups[i];

		double pct[TT_REPORT_PCTS];

		for (int k = 0; k < TT_REPORT_PCTS; k++)
			pct[k] = (double)g->pct[k];
		fprintf(f, "\n%s: %s spans, duration\n", group_label(g, o, lbl, sizeof(lbl)),
			tt_report_count(a, sizeof(a), g->count, raw));
		text_hist(f, &g->hist, pct, 1, "spans", raw);
	}
	for (size_t i = 0; i < r->probe_cnt; i++) {
		const struct tt_report_probe *p = &r->probes[i];

		if (!p->arg || !p->arg_n)
			continue;
		fprintf(f, "\n%s: %s values of %s\n", p->label,
			tt_report_count(a, sizeof(a), p->arg_n, raw), p->arg);
		text_hist(f, &p->hist, p->pct, 0, "events", raw);
	}
	for (size_t i = 0; i < r->probe_cnt; i++) {
		const struct tt_report_probe *p = &r->probes[i];

		if (!p->names_arg || !p->name_cnt)
			continue;
		fprintf(f, "\n%s: %s events by %s\n", p->label, tt_report_count(a, sizeof(a), p->count, raw),
			p->names_arg);
		for (size_t k = 0; k < p->name_cnt; k++) {
			char *v = tt_bare_dup(p->names[k].value); /* no newline of a name breaks a line */

			fprintf(f, "  %10s  %s\n", tt_report_count(a, sizeof(a), p->names[k].count, raw),
				v ? v : p->names[k].value);
			free(v);
		}
		if (p->names_other)
			fprintf(f, "  %10s  (others; --top N shows more)\n",
				tt_report_count(a, sizeof(a), p->names_other, raw));
	}

	tt_report_stacks__text(f, &r->stacks, o->top ? o->top : 10);

	fprintf(f, "\nSlowest spans\n");
	if (!r->slow_cnt)
		fprintf(f, "  (none)\n");
	for (size_t i = 0; i < r->slow_cnt; i++) {
		const struct tt_report_span *s = &r->slow[i];
		char thr[48];

		if (s->end_tid && s->end_tid != s->tid)
			snprintf(thr, sizeof(thr), "%u>%u", s->tid, s->end_tid);
		else
			snprintf(thr, sizeof(thr), "%u", s->tid);
		fprintf(f, "  %9s  %-20s span %-8" PRIu64 " start %s  pid %u tid %s%s  %s\n",
			tt_report_dur(a, sizeof(a), s->dur, raw), s->name, s->id,
			tt_report_rel(b, sizeof(b), r, s->start_ts, raw), s->pid, thr, s->lost ? "  LOST" : "", s->args);
		for (size_t k = 0; k < s->kb_n; k++) {
			static const char *const role[] = {"", " (began it)", " (ended it)"};

			fprintf(f, "    thread %u%s:\n", s->kb[k].tid, role[s->kb[k].role]);
			text_kbreak(f, r, &s->kb[k], "      ", raw);
		}
	}

	fprintf(f, "\nOpen at the end (oldest first; %s of %s)\n",
		tt_report_count(a, sizeof(a), r->open_cnt, raw), tt_report_count(b, sizeof(b), r->open_total, raw));
	if (!r->open_cnt)
		fprintf(f, "  (none: every span closed)\n");
	for (size_t i = 0; i < r->open_cnt; i++) {
		const struct tt_report_span *s = &r->open[i];
		char age[32];

		fprintf(f, "  %s span %" PRIu64 ": started %s, open for %s at the end, pid %u tid %u, %s%s  %s\n",
			s->name, s->id, tt_report_rel(a, sizeof(a), r, s->start_ts, raw),
			tt_report_dur(age, sizeof(age), (int64_t)(r->ts_last - s->start_ts), raw), s->pid, s->tid,
			s->unclosed ? s->unclosed : "?", s->lost ? ", LOST" : "", s->args);
		if (s->last_n)
			fprintf(f, "    last events of thread %u:\n", s->tid);
		for (size_t k = 0; k < s->last_n; k++)
			fprintf(f, "      %s  %s\n", tt_report_rel(a, sizeof(a), r, s->last[k].ts, raw), s->last[k].text);
	}

	if (!r->loss_windows) {
		fprintf(f, "\nLosses: none (every event that fired was recorded)\n");
	} else {
		fprintf(f, "\nLosses: %s events lost in %s window%s%s\n",
			tt_report_count(a, sizeof(a), r->lost_events, raw),
			tt_report_count(b, sizeof(b), r->loss_windows, raw), r->loss_windows == 1 ? "" : "s",
			r->loss_cnt < r->loss_windows ? " (the first ones listed)" : "");
		for (size_t i = 0; i < r->loss_cnt; i++) {
			const struct tt_report_loss *l = &r->losses[i];
			char c[32];

			fprintf(f, "  tape %u cpu %u  %-24s %s .. %s  %s events\n", l->tape, l->cpu, l->probe,
				tt_report_rel(a, sizeof(a), r, l->ts_start, raw), tt_report_rel(b, sizeof(b), r, l->ts_end, raw),
				tt_report_count(c, sizeof(c), l->count, raw));
		}
		for (size_t i = 0; i < r->loss_effect_cnt; i++)
			fprintf(f, "  - %s\n", r->loss_effects[i]);
	}
	return ferror(f) ? -EIO : 0;
}

/*
 * The text report is composed in memory and written with every control character but the
 * newline escaped (C1 controls too): probe, span and process names come from the traced programs, and none of
 * them may steer the terminal the report is read on.
 */
int tt_report__text(const struct tt_report *r, const struct tt_report_opts *o, FILE *f)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int err;

	if (!m)
		return -errno;
	err = text_report(r, o, m);
	if (fclose(m) && !err)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f) {
			fprintf(f, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] < 0xa0 &&
			   (unsigned char)text[i + 1] >= 0x80) { /* a C1 control, U+0080..U+009F */
			fprintf(f, "\\xc2\\x%02x", (unsigned char)text[++i]);
		} else {
			fputc(c, f);
		}
	}
	free(text);
	return err ? err : ferror(f) ? -EIO : 0;
}
