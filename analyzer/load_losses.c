/* SPDX-License-Identifier: MIT */
/*
 * Loss flags (load_losses.h). The flagged spans' ids are collected during one pass over the
 * spans table and updated after it: SQLite does not update a table under a running SELECT of it
 * without buffering, and the hits are few.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db_schema.h"
#include "load_losses.h"
#include "tt_error.h"
#include "tt_util.h"

#define LK_CPU 1ULL
#define LK_PROBE 2ULL
#define LK_ANY 3ULL

static uint64_t lkey(uint32_t capture, uint64_t kind, uint32_t id)
{
	return (uint64_t)capture << 40 | kind << 32 | id;
}

int tt_loss_index__tape(struct tt_loss_index *ix, uint32_t tape, uint32_t capture, uint64_t ts_last)
{
	if (tt_grow((void **)&ix->capture_of, &ix->tape_cap, (size_t)tape + 1, sizeof(*ix->capture_of)) ||
	    tt_grow((void **)&ix->end_of, &ix->capture_cap, (size_t)capture + 1, sizeof(*ix->end_of)))
		return -ENOMEM;
	ix->capture_of[tape] = capture;
	if (ts_last > ix->end_of[capture])
		ix->end_of[capture] = ts_last;
	return 0;
}

int tt_loss_index__add(struct tt_loss_index *ix, uint32_t capture, uint32_t cpu, uint32_t probe,
		       uint64_t start, uint64_t end)
{
	if (tt_grow((void **)&ix->w, &ix->cap, ix->n + 2, sizeof(*ix->w)))
		return -ENOMEM;
	/* a loss counts for its CPU and for its probe: two entries */
	ix->w[ix->n++] = (struct tt_loss_window){lkey(capture, probe ? LK_PROBE : LK_ANY, probe),
						start, end, 0};
	ix->w[ix->n++] = (struct tt_loss_window){lkey(capture, LK_CPU, cpu), start, end, 0};
	return 0;
}

static int window_cmp(const void *a, const void *b)
{
	const struct tt_loss_window *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->start > y->start) - (x->start < y->start);
}

void tt_loss_index__seal(struct tt_loss_index *ix)
{
	struct tt_loss_window *w = ix->w;

	if (ix->n)
		qsort(w, ix->n, sizeof(*w), window_cmp);
	for (size_t i = 0; i < ix->n; i++)
		w[i].end_max = i && w[i - 1].key == w[i].key && w[i - 1].end_max > w[i].end
			       ? w[i - 1].end_max : w[i].end;
}

/* Does a window of key overlap [start, end]? */
static int window_hit(const struct tt_loss_index *ix, uint64_t key, uint64_t start, uint64_t end)
{
	const struct tt_loss_window *w = ix->w;
	size_t lo = 0, hi = ix->n;

	/* the last entry with (key, start) <= (key, end) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w[mid].key < key || (w[mid].key == key && w[mid].start <= end))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && w[lo - 1].key == key && w[lo - 1].end_max >= start;
}

int tt_loss_index__hit(const struct tt_loss_index *ix, const struct tt_loss_span *s)
{
	uint32_t cap = s->tape < ix->tape_cap ? ix->capture_of[s->tape] : 0;
	uint64_t end = s->closed ? s->end_ts : cap < ix->capture_cap ? ix->end_of[cap] : 0;

	if (window_hit(ix, lkey(cap, LK_ANY, 0), s->start_ts, end) ||
	    window_hit(ix, lkey(cap, LK_CPU, s->cpu), s->start_ts, end) ||
	    window_hit(ix, lkey(cap, LK_PROBE, s->begin_probe), s->start_ts, end))
		return 1;
	return s->closed && (window_hit(ix, lkey(cap, LK_CPU, s->end_cpu), s->start_ts, end) ||
			     window_hit(ix, lkey(cap, LK_PROBE, s->end_probe), s->start_ts, end));
}

int tt_loss_index__flag_spans(const struct tt_loss_index *ix, sqlite3 *db, const struct tt_out *out)
{
	sqlite3_stmt *sel = NULL, *up = NULL;
	uint64_t *hits = NULL;
	size_t nhits = 0, hits_cap = 0;
	int err, rc;

	if (!ix->n)
		return 0;
	err = tt_db_prepare(db, "SELECT id, tape, cpu, end_cpu, begin_probe_id, end_probe_id, start_ts, "
			    "end_ts FROM spans", 0, &sel, out);
	if (!err)
		err = tt_db_prepare(db, "UPDATE spans SET lost = 1 WHERE id = ?", 0, &up, out);
	if (err)
		goto cleanup;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct tt_loss_span s = {
			.tape = (uint32_t)sqlite3_column_int64(sel, 1),
			.cpu = (uint32_t)sqlite3_column_int64(sel, 2),
			.end_cpu = (uint32_t)sqlite3_column_int64(sel, 3),
			.begin_probe = (uint32_t)sqlite3_column_int64(sel, 4),
			.end_probe = (uint32_t)sqlite3_column_int64(sel, 5),
			.start_ts = (uint64_t)sqlite3_column_int64(sel, 6),
			.closed = sqlite3_column_type(sel, 7) != SQLITE_NULL,
			.end_ts = (uint64_t)sqlite3_column_int64(sel, 7),
		};

		if (!tt_loss_index__hit(ix, &s))
			continue;
		if (tt_grow((void **)&hits, &hits_cap, nhits + 1, sizeof(*hits))) {
			err = -ENOMEM;
			goto cleanup;
		}
		hits[nhits++] = (uint64_t)sqlite3_column_int64(sel, 0);
	}
	if (rc != SQLITE_DONE) {
		tt_err(out, "SQL error: %s", sqlite3_errmsg(db));
		err = -TT_E_SQL;
		goto cleanup;
	}
	sqlite3_finalize(sel);
	sel = NULL;
	for (size_t i = 0; i < nhits && !err; i++) {
		sqlite3_bind_int64(up, 1, (int64_t)hits[i]);
		err = tt_db_step_done(db, up, "cannot insert", out);
	}
cleanup:
	sqlite3_finalize(sel);
	sqlite3_finalize(up);
	free(hits);
	return err;
}

void tt_loss_index__free(struct tt_loss_index *ix)
{
	free(ix->w);
	free(ix->capture_of);
	free(ix->end_of);
	memset(ix, 0, sizeof(*ix));
}
