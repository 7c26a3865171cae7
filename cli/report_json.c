/* SPDX-License-Identifier: MIT */
/* The report as JSON (report_json.h): one object, its parts in the order the text shows them. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "report_json.h"
#include "tt_fmt.h"

static const char *const pct_keys[TT_REPORT_PCTS] = {"p50", "p90", "p99", "p99_9"};
static const char *const kstate_keys[TT_REPORT_KSTATES] = {"running", "runnable", "sleeping",
							     "blocked", "unknown"};

/* "key": then the string s (null for NULL) */
static void jstr(FILE *f, const char *key, const char *s)
{
	fprintf(f, "\"%s\":", key);
	if (s)
		tt_json_fputs(f, s, strlen(s));
	else
		fputs("null", f);
}

static void jnum(FILE *f, const char *key, double v)
{
	if (isfinite(v))
		fprintf(f, "\"%s\":%.17g", key, v);
	else
		fprintf(f, "\"%s\":null", key);
}

static void kbreak(FILE *f, const struct tt_report_kbreak *b)
{
	fprintf(f, "{\"tid\":%" PRIu32 ",\"total_ns\":%" PRId64, b->tid, b->total_ns);
	for (int k = 0; k < TT_REPORT_KSTATES; k++)
		fprintf(f, ",\"%s_ns\":%" PRId64, kstate_keys[k], b->state_ns[k]);
	fprintf(f, ",\"syscall_count\":%" PRIu64 ",\"syscall_ns\":%" PRId64 ",\"syscalls\":[",
		b->sys_count, b->sys_ns);
	for (size_t i = 0; i < b->sys_n; i++) {
		fprintf(f, "%s{", i ? "," : "");
		jstr(f, "name", b->sys[i].name);
		fprintf(f, ",\"count\":%" PRIu64 ",\"ns\":%" PRId64 "}", b->sys[i].count, b->sys[i].ns);
	}
	fprintf(f, "],\"syscalls_more\":%zu}", b->sys_more);
}

static void span(FILE *f, const struct tt_report_span *s)
{
	fprintf(f, "{\"id\":%" PRIu64 ",", s->id);
	jstr(f, "name", s->name);
	if (s->dur >= 0)
		fprintf(f, ",\"dur_ns\":%" PRId64, s->dur);
	else
		fputs(",\"dur_ns\":null", f);
	fprintf(f, ",\"start_ts\":%" PRIu64 ",\"end_ts\":", s->start_ts);
	if (s->dur >= 0)
		fprintf(f, "%" PRIu64, s->end_ts);
	else
		fputs("null", f);
	fprintf(f, ",\"tape\":%" PRIu32 ",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"end_tid\":%" PRIu32
		",\"depth\":%" PRIu32 ",\"lost\":%s,", s->tape, s->pid, s->tid, s->end_tid, s->depth,
		s->lost ? "true" : "false");
	jstr(f, "unclosed", s->unclosed);
	fputc(',', f);
	jstr(f, "args", s->args);
	fputs(",\"last_events\":[", f);
	for (size_t i = 0; i < s->last_n; i++) {
		fprintf(f, "%s{\"id\":%" PRIu64 ",\"ts\":%" PRIu64 ",\"tid\":%" PRIu32 ",", i ? "," : "",
			s->last[i].id, s->last[i].ts, s->last[i].tid);
		jstr(f, "text", s->last[i].text);
		fputc('}', f);
	}
	fputs("],\"kernel\":[", f);
	for (size_t i = 0; i < s->kb_n; i++) {
		fputs(i ? "," : "", f);
		kbreak(f, &s->kb[i]);
	}
	fputs("]}", f);
}

static void strings(FILE *f, const char *key, char *const *v, size_t n)
{
	fprintf(f, "\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? "," : "", f);
		tt_json_fputs(f, v[i], strlen(v[i]));
	}
	fputc(']', f);
}

int tt_report_json(const struct tt_report *r, const struct tt_report_opts *o, FILE *f)
{
	fputc('{', f);
	jstr(f, "source", r->source);
	fprintf(f, ",\"tapes\":%" PRIu32 ",", r->tapes);
	jstr(f, "hosts", r->hosts);
	if (r->window) {
		fputc(',', f);
		jstr(f, "window", r->window);
	}
	fprintf(f, ",\"ts_first\":%" PRIu64 ",\"ts_last\":%" PRIu64 ",\"duration_ns\":%" PRIu64
		",\"events\":%" PRIu64 ",\"spans\":%" PRIu64 ",\"lost_events\":%" PRIu64
		",\"loss_windows\":%" PRIu64 ",\"open_spans\":%" PRIu64 ",\"lost_spans\":%" PRIu64 ",",
		r->ts_first, r->ts_last, r->duration_ns, r->events, r->spans, r->lost_events,
		r->loss_windows, r->open_total, r->lost_spans);
	strings(f, "warnings", r->warnings, r->warning_cnt);
	fputc(',', f);
	jstr(f, "by", o->by);
	fputs(",\"groups\":[", f);
	for (size_t i = 0; i < r->group_cnt; i++) {
		const struct tt_report_group *g = &r->groups[i];

		fputs(i ? ",{" : "{", f);
		jstr(f, "provider", g->provider);
		fputc(',', f);
		jstr(f, "name", g->name);
		fputc(',', f);
		jstr(f, "value", g->by);
		fputc(',', f);
		jstr(f, "example", g->example);
		fprintf(f, ",\"count\":%" PRIu64 ",\"open\":%" PRIu64 ",\"lost\":%" PRIu64 ",", g->count,
			g->open, g->lost);
		jnum(f, "rate", g->rate);
		fprintf(f, ",\"min_ns\":%" PRId64, g->min);
		for (int k = 0; k < TT_REPORT_PCTS; k++)
			fprintf(f, ",\"%s_ns\":%" PRId64, pct_keys[k], g->pct[k]);
		fprintf(f, ",\"max_ns\":%" PRId64 "}", g->max);
	}
	fprintf(f, "],\"groups_omitted\":%zu,\"probes\":[", r->groups_omitted);
	for (size_t i = 0; i < r->probe_cnt; i++) {
		const struct tt_report_probe *p = &r->probes[i];

		fputs(i ? ",{" : "{", f);
		jstr(f, "probe", p->label);
		fprintf(f, ",\"count\":%" PRIu64 ",\"lost\":%" PRIu64 ",", p->count, p->lost);
		jnum(f, "rate", p->rate);
		fputc(',', f);
		jstr(f, "argument", p->arg);
		if (p->arg && p->arg_n) {
			fprintf(f, ",\"values\":%" PRIu64 ",", p->arg_n);
			jnum(f, "min", p->min);
			for (int k = 0; k < TT_REPORT_PCTS; k++) {
				fputc(',', f);
				jnum(f, pct_keys[k], p->pct[k]);
			}
			fputc(',', f);
			jnum(f, "max", p->max);
		}
		if (p->names_arg) {
			fputc(',', f);
			jstr(f, "names_argument", p->names_arg);
			fputs(",\"names\":[", f);
			for (size_t k = 0; k < p->name_cnt; k++) {
				fputs(k ? ",{" : "{", f);
				jstr(f, "value", p->names[k].value);
				fprintf(f, ",\"count\":%" PRIu64 "}", p->names[k].count);
			}
			fprintf(f, "],\"names_other\":%" PRIu64, p->names_other);
		}
		fputc('}', f);
	}
	fputs("],\"kernel\":[", f);
	for (size_t i = 0; i < r->kname_cnt; i++) {
		const struct tt_report_kname *k = &r->knames[i];

		fputs(i ? ",{" : "{", f);
		jstr(f, "name", k->name);
		fprintf(f, ",\"spans\":%" PRIu64 ",\"cross_thread\":%" PRIu64 ",\"time\":", k->spans,
			k->cross);
		kbreak(f, &k->b);
		fputc('}', f);
	}
	fputs("],\"tail\":[", f);
	for (size_t i = 0; i < r->tail_cnt; i++) {
		const struct tt_report_tail *t = &r->tail[i];

		fputs(i ? ",{" : "{", f);
		jstr(f, "name", t->label);
		fprintf(f, ",\"seen\":%" PRIu64 ",\"kept\":%" PRIu64 ",\"dropped\":%" PRIu64
			",\"unclosed\":%" PRIu64 ",\"all\":{\"count\":%" PRIu64, t->seen, t->kept,
			t->dropped, t->unclosed, t->all_n);
		for (int k = 0; k < TT_REPORT_PCTS; k++)
			fprintf(f, ",\"%s_ns\":%" PRId64, pct_keys[k], t->all_pct[k]);
		fprintf(f, ",\"max_ns\":%" PRId64 "},\"kept_spans\":{\"count\":%" PRIu64, t->all_max,
			t->kept_n);
		for (int k = 0; k < TT_REPORT_PCTS; k++)
			fprintf(f, ",\"%s_ns\":%" PRId64, pct_keys[k], t->kept_pct[k]);
		fprintf(f, ",\"max_ns\":%" PRId64 "}}", t->kept_max);
	}
	fputs("],\"slowest\":[", f);
	for (size_t i = 0; i < r->slow_cnt; i++) {
		fputs(i ? "," : "", f);
		span(f, &r->slow[i]);
	}
	fputs("],\"open\":[", f);
	for (size_t i = 0; i < r->open_cnt; i++) {
		fputs(i ? "," : "", f);
		span(f, &r->open[i]);
	}
	fputs("],\"losses\":[", f);
	for (size_t i = 0; i < r->loss_cnt; i++) {
		const struct tt_report_loss *l = &r->losses[i];

		fprintf(f, "%s{\"tape\":%" PRIu32 ",\"cpu\":%" PRIu32 ",", i ? "," : "", l->tape, l->cpu);
		jstr(f, "probe", l->probe);
		fprintf(f, ",\"ts_start\":%" PRIu64 ",\"ts_end\":%" PRIu64 ",\"count\":%" PRIu64 "}",
			l->ts_start, l->ts_end, l->count);
	}
	fputs("],", f);
	strings(f, "loss_effects", r->loss_effects, r->loss_effect_cnt);
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}
