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
 * How: a thread's rows of a capture (thread_states and syscalls, each sorted by start) are
 * loaded once, with cumulative times per state and per syscall number; a window's time in a
 * state is then G(end) - G(start), G(t) the time the thread spent in it before t, and its calls
 * those from the first that ends after its start (or is an instant at it) to the last that
 * starts before its end, counted per number by binary searches (ch_report.c's build_kernel
 * computes the same on the server). This relies on the rows' shape (kthread below), checked on
 * load; a thread whose rows break it, or a table where a syscall number has two names, is
 * scanned row by row per window (scan_states, scan_calls: the definition the arrays match).
 *
 * Costs: one pass over the closed spans in name order; per thread, one index scan of its rows,
 * then per span and thread two binary searches in its states and two in its syscalls plus two
 * per syscall number it made: O((rows + spans) log rows), not the rows inside each window.
 * kernel-tape bench 9 10000 (171,786 events, 21,415 spans, 83,609 thread_states, 20,210
 * syscalls): 13.1 s before, 0.10 s after (load average 1.8: provisional). Memory: the loaded
 * threads' rows (about 50 bytes each; emptied past KCACHE_ROWS rows) and the syscalls of the
 * span name being summed.
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
	/* the threads' rows loaded (kthread below), found by (capture, tid) */
	sqlite3_stmt *all_states, *all_calls;
	bool names_ok;          /* every nr has one name (or none) in syscalls */
	struct kthread *thr;
	size_t thr_n, thr_cap, thr_rows;
	struct tt_hidx thr_index, nr_index;
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
 * The scans: thread tid's states over [s, e] of capture cap into b, newest first from the
 * window's end back to the first row that ends before its start. The reference the arrays
 * below must agree with, and what a thread whose rows do not have their shape uses.
 */
static int scan_states(struct kctx *c, uint32_t cap, uint32_t tid, int64_t s, int64_t e,
		       struct tt_report_kbreak *b)
{
	int64_t covered = 0;
	int rc;

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
	return 0;
}

/* Its syscalls over [s, e] into the map (their counts and times into b's totals). */
static int scan_calls(struct kctx *c, uint32_t cap, uint32_t tid, int64_t s, int64_t e,
		      struct tt_report_kbreak *b)
{
	int rc, err = 0;

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

/*
 * A thread's rows of one capture, loaded once (sorted by start) and kept while there is room:
 * states with cumulative times per state, syscalls grouped by nr with cumulative durations.
 * Their shape, checked on load: each row starts after the one before it and no earlier than
 * it ended, and only the last state may be open. Then the scan's first row that ends before a
 * window (where it stops) comes after every row that would add to it, and a window's numbers
 * are differences of cumulative sums at binary-searched positions.
 */
struct knr {
	int64_t nr;
	uint32_t off, len; /* its rows in perm */
	char *name;        /* the name of its first row; NULL: none */
};

struct kthread {
	uint32_t cap, tid;
	bool states_ok, calls_ok; /* the shape above; otherwise the scans */
	size_t sn;                /* states */
	int64_t *sa, *sz;         /* start, end (the last one's end unused when open) */
	int8_t *sk;               /* state_index() */
	bool open_last;
	int64_t (*cum)[TT_REPORT_UNKNOWN]; /* [i]: closed time per state of rows before i */
	size_t cn;                /* syscalls */
	int64_t *ca, *cz;         /* start, end (a call without exit ends where it starts) */
	uint32_t *cnr;            /* its knr */
	uint32_t *perm;           /* row positions grouped by nr, ascending within */
	int64_t *pd;              /* [j]: durations of perm[0 .. j) */
	struct knr *nrs;
	size_t nr_n;
};

/* Rows kept across threads before the cache is emptied (a thread is read again when needed). */
#define KCACHE_ROWS (4u << 20)

struct kthread_key {
	const struct kthread *t;
	uint32_t cap, tid;
};

static bool kthread_eq(const void *ctx, uint32_t pos)
{
	const struct kthread_key *k = ctx;

	return k->t[pos].cap == k->cap && k->t[pos].tid == k->tid;
}

static void kthread_free(struct kthread *t)
{
	free(t->sa);
	free(t->sz);
	free(t->sk);
	free(t->cum);
	free(t->ca);
	free(t->cz);
	free(t->cnr);
	free(t->perm);
	free(t->pd);
	for (size_t i = 0; i < t->nr_n; i++)
		free(t->nrs[i].name);
	free(t->nrs);
}

static void kcache_clear(struct kctx *c)
{
	for (size_t i = 0; i < c->thr_n; i++)
		kthread_free(&c->thr[i]);
	c->thr_n = 0;
	c->thr_rows = 0;
	tt_hidx_clear(&c->thr_index);
}

static int grow_rows(struct kthread *t, size_t *cap, size_t want, bool calls)
{
	size_t n = *cap;

	if (want <= n)
		return 0;
	n = n ? 2 * n : 256;
	while (n < want)
		n *= 2;
#define KGROW(p)                                                        \
	do {                                                            \
		void *q_ = realloc((p), n * sizeof(*(p)));              \
		if (!q_)                                                \
			return -ENOMEM;                                 \
		(p) = q_;                                               \
	} while (0)
	if (calls) {
		KGROW(t->ca);
		KGROW(t->cz);
		KGROW(t->cnr);
	} else {
		KGROW(t->sa);
		KGROW(t->sz);
		KGROW(t->sk);
	}
#undef KGROW
	*cap = n;
	return 0;
}

static int load_states(struct kctx *c, struct kthread *t)
{
	size_t cap = 0;
	int rc, err = 0;

	t->states_ok = true;
	sqlite3_reset(c->all_states);
	sqlite3_bind_int64(c->all_states, 1, t->tid);
	while ((rc = sqlite3_step(c->all_states)) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(c->all_states, 1);
		bool open = sqlite3_column_type(c->all_states, 2) == SQLITE_NULL;
		int64_t z = open ? a : sqlite3_column_int64(c->all_states, 2);

		if (capture_of(c, sqlite3_column_int64(c->all_states, 3)) != t->cap)
			continue;
		if (z < a || t->open_last ||
		    (t->sn && (t->sa[t->sn - 1] >= a || t->sz[t->sn - 1] > a))) {
			t->states_ok = false; /* the scans will do */
			break;
		}
		err = grow_rows(t, &cap, t->sn + 1, false);
		if (err)
			break;
		t->sa[t->sn] = a;
		t->sz[t->sn] = z;
		t->sk[t->sn] = (int8_t)state_index((const char *)sqlite3_column_text(c->all_states, 0));
		t->open_last = open;
		t->sn++;
	}
	if (!err && t->states_ok && rc != SQLITE_DONE)
		return ksql_err(c);
	if (err || !t->states_ok)
		return err;
	t->cum = calloc(t->sn + 1, sizeof(*t->cum));
	if (!t->cum)
		return -ENOMEM;
	for (size_t i = 0; i < t->sn; i++) {
		memcpy(t->cum[i + 1], t->cum[i], sizeof(t->cum[i]));
		if (t->sk[i] >= 0 && !(t->open_last && i + 1 == t->sn))
			t->cum[i + 1][t->sk[i]] += t->sz[i] - t->sa[i];
	}
	return 0;
}

struct knr_key {
	const struct knr *nrs;
	int64_t nr;
};

static bool knr_eq(const void *ctx, uint32_t pos)
{
	const struct knr_key *k = ctx;

	return k->nrs[pos].nr == k->nr;
}

struct nr_row {
	int64_t nr;
	uint32_t pos;
};

static int nr_row_cmp(const void *a, const void *b)
{
	const struct nr_row *x = a, *y = b;

	if (x->nr != y->nr)
		return (x->nr > y->nr) - (x->nr < y->nr);
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static int load_calls(struct kctx *c, struct kthread *t)
{
	struct nr_row *rows = NULL;
	size_t cap = 0, rows_cap = 0;
	int rc = SQLITE_DONE, err = 0;

	t->calls_ok = c->names_ok;
	tt_hidx_clear(&c->nr_index);
	sqlite3_reset(c->all_calls);
	sqlite3_bind_int64(c->all_calls, 1, t->tid);
	while (t->calls_ok && (rc = sqlite3_step(c->all_calls)) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(c->all_calls, 2);
		int64_t z = sqlite3_column_type(c->all_calls, 3) == SQLITE_NULL ? a
			    : sqlite3_column_int64(c->all_calls, 3);
		int64_t nr = sqlite3_column_int64(c->all_calls, 0);

		if (capture_of(c, sqlite3_column_int64(c->all_calls, 4)) != t->cap)
			continue;
		if (z < a || (t->cn && (t->ca[t->cn - 1] >= a || t->cz[t->cn - 1] > a)) ||
		    t->cn >= UINT32_MAX - 1) {
			t->calls_ok = false;
			break;
		}
		if (grow_rows(t, &cap, t->cn + 1, true) ||
		    tt_grow((void **)&rows, &rows_cap, t->cn + 1, sizeof(*rows))) {
			err = -ENOMEM;
			break;
		}
		rows[t->cn] = (struct nr_row){nr, (uint32_t)t->cn};
		t->ca[t->cn] = a;
		t->cz[t->cn] = z;
		{
			struct knr_key key = {t->nrs, nr};
			uint32_t h = (uint32_t)tt_hash_u64((uint64_t)nr);
			int64_t k = tt_hidx_find(&c->nr_index, h, knr_eq, &key);
			const char *name = (const char *)sqlite3_column_text(c->all_calls, 1);

			if (k < 0) {
				size_t ncap = t->nr_n;

				k = (int64_t)t->nr_n;
				if (tt_grow((void **)&t->nrs, &ncap, t->nr_n + 1, sizeof(*t->nrs)) ||
				    tt_hidx_add(&c->nr_index, h, (uint32_t)k)) {
					err = -ENOMEM;
					break;
				}
				t->nrs[k] = (struct knr){.nr = nr};
				t->nr_n++;
				if (name && !(t->nrs[k].name = strdup(name))) {
					err = -ENOMEM;
					break;
				}
			}
			t->cnr[t->cn] = (uint32_t)k;
		}
		t->cn++;
	}
	if (!err && t->calls_ok && rc != SQLITE_DONE)
		err = ksql_err(c);
	if (!err && t->calls_ok) {
		qsort(rows, t->cn, sizeof(*rows), nr_row_cmp);
		t->perm = malloc((t->cn + 1) * sizeof(*t->perm));
		t->pd = malloc((t->cn + 1) * sizeof(*t->pd));
		if (!t->perm || !t->pd)
			err = -ENOMEM;
	}
	if (!err && t->calls_ok) {
		t->pd[0] = 0;
		for (size_t j = 0; j < t->cn; j++) {
			uint32_t p = rows[j].pos;
			struct knr *n = &t->nrs[t->cnr[p]];

			t->perm[j] = p;
			t->pd[j + 1] = t->pd[j] + (t->cz[p] - t->ca[p]);
			if (!n->len)
				n->off = (uint32_t)j;
			n->len++;
		}
	}
	free(rows);
	return err;
}

/* The loaded rows of (cap, tid); NULL with *err set on failure. */
static struct kthread *kthread_get(struct kctx *c, uint32_t cap, uint32_t tid, int *err)
{
	struct kthread_key key = {c->thr, cap, tid};
	uint32_t h = (uint32_t)tt_hash_u64((uint64_t)cap << 32 | tid);
	int64_t pos = tt_hidx_find(&c->thr_index, h, kthread_eq, &key);
	struct kthread *t;

	if (pos >= 0)
		return &c->thr[pos];
	if (c->thr_rows > KCACHE_ROWS)
		kcache_clear(c);
	if (tt_grow((void **)&c->thr, &c->thr_cap, c->thr_n + 1, sizeof(*c->thr))) {
		*err = -ENOMEM;
		return NULL;
	}
	t = &c->thr[c->thr_n];
	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->tid = tid;
	*err = load_states(c, t);
	if (!*err)
		*err = load_calls(c, t);
	if (!*err)
		*err = tt_hidx_add(&c->thr_index, h, (uint32_t)c->thr_n);
	if (*err) {
		kthread_free(t);
		return NULL;
	}
	c->thr_rows += t->sn + t->cn + 1;
	return &c->thr[c->thr_n++];
}

/* How many of the n sorted values v are below x (or at most x with le). */
static size_t count_below(const int64_t *v, size_t n, int64_t x, bool le)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x || (le && v[mid] == x))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t count_pos_below(const uint32_t *v, size_t n, size_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* g[k]: the time the thread spent in state k before t (G(t)). */
static void state_time_before(const struct kthread *t, int64_t at, int64_t g[TT_REPORT_UNKNOWN])
{
	size_t i = count_below(t->sa, t->sn, at, false);

	memset(g, 0, sizeof(int64_t) * TT_REPORT_UNKNOWN);
	if (!i)
		return;
	memcpy(g, t->cum[i - 1], sizeof(int64_t) * TT_REPORT_UNKNOWN);
	if (t->sk[i - 1] >= 0)
		g[t->sk[i - 1]] += (t->open_last && i == t->sn ? at : TT_MIN(t->sz[i - 1], at)) -
				   t->sa[i - 1];
}

/* What scan_states() adds, from the loaded rows (s <= e). */
static void window_states(const struct kthread *t, int64_t s, int64_t e, struct tt_report_kbreak *b)
{
	int64_t gs[TT_REPORT_UNKNOWN], ge[TT_REPORT_UNKNOWN], covered = 0;

	state_time_before(t, s, gs);
	state_time_before(t, e, ge);
	for (int k = 0; k < TT_REPORT_UNKNOWN; k++) {
		b->state_ns[k] += ge[k] - gs[k];
		covered += ge[k] - gs[k];
	}
	b->state_ns[TT_REPORT_UNKNOWN] += (e - s) - covered;
}

/*
 * What scan_calls() adds, from the loaded rows (s <= e): the calls that start before e and
 * end after s, or that are an instant at s; the first and the last clipped to the window.
 */
static int window_calls(struct kctx *c, const struct kthread *t, int64_t s, int64_t e,
			struct tt_report_kbreak *b)
{
	size_t hi = count_below(t->ca, t->cn, e, false);
	size_t lo = count_below(t->cz, t->cn, s, true);

	if (lo && lo - 1 < hi && t->cz[lo - 1] == s && t->ca[lo - 1] == s)
		lo--;
	if (lo >= hi)
		return 0;
	for (size_t k = 0; k < t->nr_n; k++) {
		const struct knr *n = &t->nrs[k];
		size_t a = count_pos_below(t->perm + n->off, n->len, lo);
		size_t z = count_pos_below(t->perm + n->off, n->len, hi);
		struct tt_report_ksys *q;
		int64_t ns;

		if (a == z)
			continue;
		ns = t->pd[n->off + z] - t->pd[n->off + a];
		if (t->cnr[lo] == k)
			ns -= TT_MAX(t->ca[lo], s) - t->ca[lo];
		if (t->cnr[hi - 1] == k)
			ns -= t->cz[hi - 1] - TT_MIN(t->cz[hi - 1], e);
		q = sys_get(c, n->nr, n->name);
		if (!q)
			return -ENOMEM;
		q->count += (z - a);
		q->ns += ns;
		b->sys_count += (z - a);
		b->sys_ns += ns;
	}
	return 0;
}

/*
 * Add thread tid's time over [s, e] of capture cap to b: its states, and its syscalls into the
 * map (their counts and times into b's totals).
 */
static int add_thread(struct kctx *c, uint32_t cap, uint32_t tid, int64_t s, int64_t e,
		      struct tt_report_kbreak *b)
{
	struct kthread *t = NULL;
	int err = 0;

	b->total_ns += e - s;
	if (s <= e) {
		t = kthread_get(c, cap, tid, &err);
		if (!t)
			return err;
	}
	if (t && t->states_ok)
		window_states(t, s, e, b);
	else
		err = scan_states(c, cap, tid, s, e, b);
	if (!err && t && t->calls_ok)
		err = window_calls(c, t, s, e, b);
	else if (!err)
		err = scan_calls(c, cap, tid, s, e, b);
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

/*
 * Whether each syscall number has one name (or none) in the table: then the name a breakdown
 * shows for it does not depend on which of its rows came first, and the loaded rows can be used.
 */
static int names_one_per_nr(struct kctx *c)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM syscalls GROUP BY nr HAVING count(DISTINCT name) + "
			       "max(name IS NULL) > 1 LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return ksql_err(c);
	rc = sqlite3_step(st);
	c->names_ok = rc == SQLITE_DONE;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ksql_err(c);
}

/*
 * One pass over the closed spans in name order: a breakdown per name (a name's spans by tape
 * and thread, so that a thread evicted from the loaded ones is loaded again once per name at
 * most, cross-thread spans' other threads aside; the sums do not depend on the order).
 */
static int load_names(struct kctx *c, struct tt_report *r)
{
	sqlite3_stmt *st = NULL;
	struct tt_report_kname *cur = NULL;
	int err = 0, rc;

	if (sqlite3_prepare_v2(c->db, "SELECT CASE provider WHEN '' THEN name ELSE provider || ':' || "
			       "name END AS label, tape, tid, end_tid, start_ts, end_ts FROM spans "
			       "WHERE end_ts IS NOT NULL ORDER BY label, tape, tid", -1, &st, NULL) != SQLITE_OK)
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
			       "AND start_ts < ?2 ORDER BY start_ts DESC", -1, &c.calls, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT state, start_ts, end_ts, tape FROM thread_states WHERE tid = ?1 "
			       "ORDER BY start_ts, id", -1, &c.all_states, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT nr, name, start_ts, end_ts, tape FROM syscalls WHERE tid = ?1 "
			       "AND start_ts IS NOT NULL ORDER BY start_ts, id", -1, &c.all_calls, NULL) != SQLITE_OK) {
		err = ksql_err(&c);
		goto cleanup;
	}
	err = names_one_per_nr(&c);
	if (err)
		goto cleanup;
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
	sqlite3_finalize(c.all_states);
	sqlite3_finalize(c.all_calls);
	kcache_clear(&c);
	free(c.thr);
	tt_hidx_free(&c.thr_index);
	tt_hidx_free(&c.nr_index);
	free(c.capture_of);
	free(c.sys);
	tt_hidx_free(&c.sys_index);
	return err;
}
