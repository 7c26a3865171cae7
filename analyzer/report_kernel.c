/* SPDX-License-Identifier: MIT */
/*
 * Where span time went (report.h, tt_report__kernel): each closed span's window is laid over
 * its thread's thread_states rows (running, runnable, sleeping, blocked; the rest of the window
 * is unknown) and syscalls rows (count and time of each call overlapping it, clipped to the
 * window), summed per span name and kept per thread for the slowest spans.
 *
 * Which threads: a span that began and ended on one thread is looked at on that thread; one
 * that ended on another (pairing by id across threads, goroutines that moved, custom rules) on
 * both, each over the whole window: the thread that began it and the one that ended it. A
 * name's total is then the sum of the windows over the threads looked at, so its shares still
 * add up to 100 %.
 *
 * Costs: one pass over the closed spans in name order; per span and thread, one index seek into
 * thread_states (tid, start_ts) and one into syscalls (tid, start_ts), scanning back from the
 * span's end to the first row that ends before its start (a thread's rows do not overlap).
 * Memory: the syscalls of the span name being summed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tt_error.h"
#include "tt_hash.h"
#include "tt_util.h"

struct kctx {
	sqlite3 *db;
	const struct tt_out *out;
	sqlite3_stmt *states, *calls;
	uint32_t *capture_of;   /* tapes.id -> tapes.capture */
	size_t tape_cnt;
	/* the syscalls of the breakdown being built, found by nr */
	struct tt_report_ksys *sys;
	size_t sys_n, sys_cap;
	struct tt_hidx sys_index;
};

static int ksql_err(struct kctx *c)
{
	tt_err(c->out, "SQL error: %s", sqlite3_errmsg(c->db));
	return -TT_E_SQL;
}

static uint32_t capture_of(const struct kctx *c, int64_t tape)
{
	return tape > 0 && (size_t)tape <= c->tape_cnt ? c->capture_of[tape] : 0;
}

static void sys_reset(struct kctx *c)
{
	c->sys_n = 0;
	tt_hidx_clear(&c->sys_index);
}

struct nr_key {
	const struct tt_report_ksys *sys;
	int64_t nr;
};

static bool nr_eq(const void *ctx, uint32_t pos)
{
	const struct nr_key *k = ctx;

	return k->sys[pos].nr == k->nr;
}

/* The entry of nr in the map (added, with its name, when new); NULL without memory. */
static struct tt_report_ksys *sys_get(struct kctx *c, int64_t nr, const char *name)
{
	struct nr_key key = {c->sys, nr};
	uint32_t h = (uint32_t)tt_hash_u64((uint64_t)nr);
	int64_t pos = tt_hidx_find(&c->sys_index, h, nr_eq, &key);
	struct tt_report_ksys *e;

	if (pos >= 0)
		return &c->sys[pos];
	if (tt_grow((void **)&c->sys, &c->sys_cap, c->sys_n + 1, sizeof(*c->sys)) ||
	    tt_hidx_add(&c->sys_index, h, (uint32_t)c->sys_n))
		return NULL;
	e = &c->sys[c->sys_n++];
	memset(e, 0, sizeof(*e));
	e->nr = nr;
	if (name)
		snprintf(e->name, sizeof(e->name), "%s", name);
	else
		snprintf(e->name, sizeof(e->name), "#%lld", (long long)nr);
	return e;
}

static int ksys_cmp(const void *a, const void *b)
{
	const struct tt_report_ksys *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return (x->nr > y->nr) - (x->nr < y->nr);
}

/* Move the map's top syscalls into b (sys_count and sys_ns are summed as they come). */
static void sys_top(struct kctx *c, struct tt_report_kbreak *b)
{
	b->sys_n = TT_MIN(c->sys_n, (size_t)TT_REPORT_KSYS);
	if (c->sys_n) {
		qsort(c->sys, c->sys_n, sizeof(*c->sys), ksys_cmp);
		memcpy(b->sys, c->sys, b->sys_n * sizeof(*b->sys));
	}
	b->sys_more = c->sys_n - b->sys_n;
	sys_reset(c);
}

static int state_index(const char *s)
{
	static const char *const names[] = {"running", "runnable", "sleeping", "blocked"};

	for (int i = 0; s && i < (int)TT_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/*
 * Add thread tid's time over [s, e] of capture cap to b: its states, and its syscalls into the
 * map (their counts and times into b's totals).
 */
static int add_thread(struct kctx *c, uint32_t cap, uint32_t tid, int64_t s, int64_t e,
		      struct tt_report_kbreak *b)
{
	int64_t covered = 0;
	int rc, err = 0;

	b->total_ns += e - s;
	/* states: newest first from the span's end back to the first that ends before its start */
	sqlite3_reset(c->states);
	sqlite3_bind_int64(c->states, 1, tid);
	sqlite3_bind_int64(c->states, 2, e);
	while ((rc = sqlite3_step(c->states)) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(c->states, 1), z;
		int open = sqlite3_column_type(c->states, 2) == SQLITE_NULL;
		int k = state_index((const char *)sqlite3_column_text(c->states, 0));

		if (capture_of(c, sqlite3_column_int64(c->states, 3)) != cap)
			continue;
		z = open ? e : sqlite3_column_int64(c->states, 2);
		if (z <= s && !open)
			break;
		a = TT_MAX(a, s);
		z = TT_MIN(z, e);
		if (k >= 0 && z > a) {
			b->state_ns[k] += z - a;
			covered += z - a;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ksql_err(c);
	b->state_ns[TT_REPORT_UNKNOWN] += (e - s) - covered;

	/* syscalls overlapping the window (a call without exit counts as an instant at its entry) */
	sqlite3_reset(c->calls);
	sqlite3_bind_int64(c->calls, 1, tid);
	sqlite3_bind_int64(c->calls, 2, e);
	while ((rc = sqlite3_step(c->calls)) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(c->calls, 2), z;
		struct tt_report_ksys *q;

		if (capture_of(c, sqlite3_column_int64(c->calls, 4)) != cap)
			continue;
		z = sqlite3_column_type(c->calls, 3) == SQLITE_NULL ? a : sqlite3_column_int64(c->calls, 3);
		if (z < s || (z == s && a < s))
			break;
		q = sys_get(c, sqlite3_column_int64(c->calls, 0), (const char *)sqlite3_column_text(c->calls, 1));
		if (!q) {
			err = -ENOMEM;
			break;
		}
		a = TT_MAX(a, s);
		z = TT_MIN(z, e);
		q->count++;
		q->ns += z - a;
		b->sys_count++;
		b->sys_ns += z - a;
	}
	if (!err && rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ksql_err(c);
	return err;
}

static int has_rows(struct kctx *c, const char *table, int *yes)
{
	sqlite3_stmt *st = NULL;
	char sql[160];
	int err = 0;

	*yes = 0;
	snprintf(sql, sizeof(sql), "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '%s'", table);
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return ksql_err(c);
	if (sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_finalize(st);
		snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 FROM %s)", table);
		if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
			return ksql_err(c);
		if (sqlite3_step(st) == SQLITE_ROW)
			*yes = sqlite3_column_int(st, 0);
		else
			err = ksql_err(c);
	}
	sqlite3_finalize(st);
	return err;
}

static int load_captures(struct kctx *c)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(c->db, "SELECT id, capture FROM tapes ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return ksql_err(c);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		if (id < 1 || id > (1 << 20))
			continue;
		if ((size_t)id > c->tape_cnt) {
			uint32_t *n = realloc(c->capture_of, ((size_t)id + 1) * sizeof(*n));

			if (!n) {
				sqlite3_finalize(st);
				return -ENOMEM;
			}
			memset(n + c->tape_cnt + 1, 0, ((size_t)id - c->tape_cnt) * sizeof(*n));
			c->capture_of = n;
			c->tape_cnt = (size_t)id;
		}
		c->capture_of[id] = (uint32_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ksql_err(c);
}

/* One pass over the closed spans in name order: a breakdown per name. */
static int load_names(struct kctx *c, struct tt_report *r)
{
	sqlite3_stmt *st = NULL;
	struct tt_report_kname *cur = NULL;
	int err = 0, rc;

	if (sqlite3_prepare_v2(c->db, "SELECT CASE provider WHEN '' THEN name ELSE provider || ':' || "
			       "name END AS label, tape, tid, end_tid, start_ts, end_ts FROM spans "
			       "WHERE end_ts IS NOT NULL ORDER BY label", -1, &st, NULL) != SQLITE_OK)
		return ksql_err(c);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *label = (const char *)sqlite3_column_text(st, 0);
		uint32_t cap = capture_of(c, sqlite3_column_int64(st, 1));
		uint32_t tid = (uint32_t)sqlite3_column_int64(st, 2);
		uint32_t end_tid = (uint32_t)sqlite3_column_int64(st, 3);
		int64_t s = sqlite3_column_int64(st, 4), e = sqlite3_column_int64(st, 5);

		if (!cur || strcmp(cur->name, label)) {
			struct tt_report_kname *n;

			if (cur)
				sys_top(c, &cur->b);
			n = realloc(r->knames, (r->kname_cnt + 1) * sizeof(*n));
			if (!n) {
				err = -ENOMEM;
				break;
			}
			r->knames = n;
			cur = &n[r->kname_cnt];
			memset(cur, 0, sizeof(*cur));
			cur->name = strdup(label);
			if (!cur->name) {
				err = -ENOMEM;
				break;
			}
			r->kname_cnt++;
		}
		cur->spans++;
		err = add_thread(c, cap, tid, s, e, &cur->b);
		if (!err && end_tid && end_tid != tid) {
			cur->cross++;
			err = add_thread(c, cap, end_tid, s, e, &cur->b);
		}
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = ksql_err(c);
	if (!err && cur)
		sys_top(c, &cur->b);
	sqlite3_finalize(st);
	return err;
}

int tt_report__kernel(sqlite3 *db, struct tt_report *r, const struct tt_out *out)
{
	struct kctx c = {.db = db, .out = out};
	int err;

	err = has_rows(&c, "thread_states", &r->kernel_states);
	if (!err)
		err = has_rows(&c, "syscalls", &r->kernel_syscalls);
	if (err || (!r->kernel_states && !r->kernel_syscalls))
		return err;
	err = load_captures(&c);
	if (err)
		goto cleanup;
	if (sqlite3_prepare_v2(db, "SELECT state, start_ts, end_ts, tape FROM thread_states WHERE tid = ?1 "
			       "AND start_ts < ?2 ORDER BY start_ts DESC", -1, &c.states, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT nr, name, start_ts, end_ts, tape FROM syscalls WHERE tid = ?1 "
			       "AND start_ts < ?2 ORDER BY start_ts DESC", -1, &c.calls, NULL) != SQLITE_OK) {
		err = ksql_err(&c);
		goto cleanup;
	}
	err = load_names(&c, r);
	for (size_t i = 0; i < r->slow_cnt && !err; i++) {
		struct tt_report_span *sp = &r->slow[i];
		uint32_t cap = capture_of(&c, sp->tape);
		int cross = sp->end_tid && sp->end_tid != sp->tid;

		if (sp->dur < 0)
			continue;
		for (int k = 0; k < 1 + cross && !err; k++) {
			struct tt_report_kbreak *b = &sp->kb[k];

			b->tid = k ? sp->end_tid : sp->tid;
			b->role = cross ? 1 + k : 0;
			err = add_thread(&c, cap, b->tid, (int64_t)sp->start_ts, (int64_t)sp->end_ts, b);
			if (!err)
				sys_top(&c, b);
			sp->kb_n++;
		}
	}
cleanup:
	sqlite3_finalize(c.states);
	sqlite3_finalize(c.calls);
	free(c.capture_of);
	free(c.sys);
	tt_hidx_free(&c.sys_index);
	return err;
}
