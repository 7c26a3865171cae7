/* SPDX-License-Identifier: MIT */
/*
 * The report's tail-capture section (record --keep): per span name, how many spans there were
 * in all, how many were kept and dropped, the percentiles of all of them from the tape's
 * duration histogram (keep_hist: each within 1.6 %, tape_keep.h) beside the exact ones of the
 * kept spans the database holds. A database without keep_spans (no --keep, or an older one)
 * gives no section.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_model.h"
#include "tape_keep.h"
#include "tt_error.h"

static const double pct_q[TT_REPORT_PCTS] = {0.5, 0.9, 0.99, 0.999};

static int sql_err(sqlite3 *db, const struct tt_out *out)
{
	tt_err(out, "reading the tail-capture counters: %s", sqlite3_errmsg(db));
	return -TT_E_SQL;
}

struct tt_report_tail_hist *tt_report_tail_hist__new(void)
{
	struct tt_report_tail_hist *h = calloc(1, sizeof(*h));

	if (h && !(h->b = calloc(TT_KEEP_BUCKETS, sizeof(*h->b)))) {
		free(h);
		h = NULL;
	}
	return h;
}

void tt_report_tail_hist__add(struct tt_report_tail_hist *h, int64_t bucket, int64_t count)
{
	if (bucket < 0 || bucket >= TT_KEEP_BUCKETS || count < 0)
		return;
	/* a crafted tape's counts can be anything: sums saturate */
	h->b[bucket] = h->b[bucket] > UINT64_MAX - (uint64_t)count ? UINT64_MAX : h->b[bucket] + (uint64_t)count;
	h->n = h->n > UINT64_MAX - (uint64_t)count ? UINT64_MAX : h->n + (uint64_t)count;
}

void tt_report_tail_hist__done(struct tt_report_tail_hist *h, struct tt_report_tail *t)
{
	t->all_n = h->n;
	t->all_max = (int64_t)tt_keep_quantile(h->b, h->n, 1.0);
	for (int k = 0; k < TT_REPORT_PCTS; k++)
		t->all_pct[k] = (int64_t)tt_keep_quantile(h->b, h->n, pct_q[k]);
	free(h->b);
	free(h);
}

struct tt_report_tail *tt_report_tail_add(struct tt_report *r, const char *provider, const char *name,
					  const uint64_t counters[4])
{
	struct tt_report_tail *t;
	void *v = realloc(r->tail, (r->tail_cnt + 1) * sizeof(*r->tail));

	if (!v)
		return NULL;
	r->tail = v;
	t = &r->tail[r->tail_cnt];
	memset(t, 0, sizeof(*t));
	t->label = provider && provider[0] ? tt_report_asprintf("%s:%s", provider, name ? name : "")
					   : tt_report_strdup(name);
	if (!t->label)
		return NULL;
	r->tail_cnt++;
	t->seen = counters[0];
	t->kept = counters[1];
	t->dropped = counters[2];
	t->unclosed = counters[3];
	return t;
}

/* The all-spans percentiles of t from keep_hist, summed over tapes. */
static int all_pcts(sqlite3 *db, sqlite3_stmt *st, struct tt_report_tail *t, const char *provider,
		    const char *name, const struct tt_out *out)
{
	struct tt_report_tail_hist *h = tt_report_tail_hist__new();
	int rc;

	if (!h)
		return -ENOMEM;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		tt_report_tail_hist__add(h, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
	tt_report_tail_hist__done(h, t);
	return rc == SQLITE_DONE ? 0 : sql_err(db, out);
}

int tt_report__tail(sqlite3 *db, struct tt_report *r, const struct tt_out *out)
{
	sqlite3_stmt *names = NULL, *hist = NULL, *kept = NULL;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = 'keep_spans'", -1,
				&names, NULL);
	if (rc)
		return sql_err(db, out);
	rc = sqlite3_step(names);
	sqlite3_finalize(names);
	names = NULL;
	if (rc == SQLITE_DONE)
		return 0; /* an older database */
	if (rc != SQLITE_ROW)
		return sql_err(db, out);
	if (sqlite3_prepare_v2(db, "SELECT provider, name, sum(seen), sum(kept), sum(dropped), "
			       "sum(unclosed) FROM keep_spans GROUP BY provider, name "
			       "ORDER BY provider, name", -1, &names, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT bucket, sum(count) FROM keep_hist WHERE provider = ? AND "
			       "name = ? GROUP BY bucket ORDER BY bucket", -1, &hist, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT count(dur), percentile(dur, 50), percentile(dur, 90), "
			       "percentile(dur, 99), percentile(dur, 99.9), max(dur) FROM spans "
			       "WHERE provider = ? AND name = ? AND end_ts IS NOT NULL", -1, &kept,
			       NULL)) {
		err = sql_err(db, out);
		goto cleanup;
	}
	while (!err && (rc = sqlite3_step(names)) == SQLITE_ROW) {
		const char *provider = (const char *)sqlite3_column_text(names, 0);
		const char *name = (const char *)sqlite3_column_text(names, 1);
		uint64_t counters[4];
		struct tt_report_tail *t;

		for (int k = 0; k < 4; k++)
			counters[k] = (uint64_t)sqlite3_column_int64(names, 2 + k);
		t = tt_report_tail_add(r, provider, name, counters);
		if (!t) {
			err = -ENOMEM;
			break;
		}
		err = all_pcts(db, hist, t, provider ? provider : "", name ? name : "", out);
		if (err)
			break;
		sqlite3_reset(kept);
		sqlite3_bind_text(kept, 1, provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(kept, 2, name, -1, SQLITE_STATIC);
		if (sqlite3_step(kept) != SQLITE_ROW) {
			err = sql_err(db, out);
			break;
		}
		t->kept_n = (uint64_t)sqlite3_column_int64(kept, 0);
		for (int k = 0; k < TT_REPORT_PCTS; k++)
			t->kept_pct[k] = sqlite3_column_int64(kept, 1 + k);
		t->kept_max = sqlite3_column_int64(kept, 5);
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(db, out);
cleanup:
	sqlite3_finalize(names);
	sqlite3_finalize(hist);
	sqlite3_finalize(kept);
	return err;
}

void tt_report__tail_free(struct tt_report *r)
{
	for (size_t i = 0; i < r->tail_cnt; i++)
		free(r->tail[i].label);
	free(r->tail);
	r->tail = NULL;
	r->tail_cnt = 0;
}

void tt_report__tail_text(FILE *f, const struct tt_report *r, int raw)
{
	char a[32], b[32], c[32], d[32];

	if (!r->tail_cnt)
		return;
	fprintf(f, "\nTail capture (record --keep): every span, kept or dropped; \"all\" percentiles "
		"from the tape's histogram (within 1.6%%), \"kept\" exact\n");
	for (size_t i = 0; i < r->tail_cnt; i++) {
		const struct tt_report_tail *t = &r->tail[i];

		fprintf(f, "  %s: %s seen, %s kept", t->label, tt_report_count(a, sizeof(a), t->seen, raw),
			tt_report_count(b, sizeof(b), t->kept, raw));
		if (t->unclosed)
			fprintf(f, " (%s unclosed)", tt_report_count(c, sizeof(c), t->unclosed, raw));
		fprintf(f, ", %s dropped\n", tt_report_count(d, sizeof(d), t->dropped, raw));
		fprintf(f, "    %-5s %10s %9s %9s %9s %9s %9s\n", "", "spans", "p50", "p90", "p99",
			"p99.9", "max");
		fprintf(f, "    %-5s %10s", "all", tt_report_count(a, sizeof(a), t->all_n, raw));
		for (int k = 0; k < TT_REPORT_PCTS; k++)
			fprintf(f, " %9s", t->all_n ? tt_report_dur(a, sizeof(a), t->all_pct[k], raw) : "-");
		fprintf(f, " %9s\n", t->all_n ? tt_report_dur(a, sizeof(a), t->all_max, raw) : "-");
		fprintf(f, "    %-5s %10s", "kept", tt_report_count(a, sizeof(a), t->kept_n, raw));
		for (int k = 0; k < TT_REPORT_PCTS; k++)
			fprintf(f, " %9s", t->kept_n ? tt_report_dur(a, sizeof(a), t->kept_pct[k], raw) : "-");
		fprintf(f, " %9s\n", t->kept_n ? tt_report_dur(a, sizeof(a), t->kept_max, raw) : "-");
	}
}
