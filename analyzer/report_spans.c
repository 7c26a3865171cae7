/* SPDX-License-Identifier: MIT */
/*
 * The span part of the report's model (report_model.h): one pass over the spans table gives
 * every name's durations, open and lost counts, the slowest spans (a top-N kept on the way)
 * and the HTML scatter points (an even sample kept on the way); each name's percentiles are
 * then picked by selection. --by groups by an argument with one more pass over the closed spans
 * joined with their events. The slowest and the open spans are then read one by one, with
 * their arguments and, for an open span, its thread's last events.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report_model.h"
#include "sqlfuncs.h"
#include "tt_error.h"
#include "tt_util.h"

/* ---- span statistics ---- */

int tt_report_group_add(struct tt_report *r, const char *name, const char *provider, const char *by,
			uint64_t n, uint64_t lost, uint64_t open, struct tt_report_dist *d)
{
	struct tt_report_group *g;
	int err = tt_grow((void **)&r->groups, &(size_t){r->group_cnt}, r->group_cnt + 1, sizeof(*g));

	if (err)
		return err;
	g = &r->groups[r->group_cnt++];
	memset(g, 0, sizeof(*g));
	g->name = tt_report_strdup(name);
	g->provider = tt_report_strdup(provider);
	g->by = by ? tt_report_strdup(by) : NULL;
	g->count = n;
	g->lost = lost;
	g->open = open;
	g->rate = tt_report_per_s(r, n);
	g->min = (int64_t)d->min;
	g->max = (int64_t)d->max;
	for (int k = 0; k < TT_REPORT_PCTS; k++)
		g->pct[k] = (int64_t)d->pct[k];
	g->hist = d->hist;
	g->curve = d->curve;
	d->hist.b = NULL;
	d->curve.pct = NULL;
	d->curve.v = NULL;
	return !g->name || !g->provider || (by && !g->by) ? -ENOMEM : 0;
}

/* Add a group from its durations v[0..n) (not changed). */
static int group_add(struct tt_report_builder *c, const char *name, const char *provider,
		     const char *by, int64_t *v, size_t n, uint64_t lost, uint64_t open)
{
	struct tt_report_dist d;
	double *x;
	int err;

	if (!n)
		return 0;
	x = malloc(n * sizeof(*x));
	if (!x)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		x[i] = (double)v[i];
	err = tt_report_dist(x, n, c->o->buckets, &d);
	free(x);
	if (err)
		return err;
	err = tt_report_group_add(c->r, name, provider, by, n, lost, open, &d);
	tt_report_dist_free(&d);
	return err;
}

struct nstat_key {
	const struct tt_report_builder *c;
	const char *name;
};

static bool nstat_eq(const void *ctx, uint32_t pos)
{
	const struct nstat_key *k = ctx;

	return !strcmp(k->c->ns[pos].name, k->name);
}

/* The facts of span name (created on first sight). */
static struct tt_report_nstat *nstat_get(struct tt_report_builder *c, const char *name,
					 const char *provider)
{
	struct nstat_key key = {c, name};
	uint32_t h = (uint32_t)tt_hash_bytes(name, strlen(name), 0);
	int64_t pos = tt_hidx_find(&c->ns_index, h, nstat_eq, &key);
	struct tt_report_nstat *ns;

	if (pos >= 0)
		return &c->ns[pos];
	if (tt_grow((void **)&c->ns, &c->ns_cap, c->ns_cnt + 1, sizeof(*c->ns)))
		return NULL;
	ns = &c->ns[c->ns_cnt++]; /* zeroed; freed with the others whatever happens next */
	ns->name = tt_report_strdup(name);
	ns->provider = tt_report_strdup(provider);
	if (!ns->name || !ns->provider || tt_hidx_add(&c->ns_index, h, (uint32_t)(c->ns_cnt - 1)))
		return NULL;
	return ns;
}

/* Keep the o->top slowest spans seen, slowest first; ties: the earlier span first. */
static void top_push(struct tt_report_builder *c, int64_t dur, int64_t id)
{
	size_t n = c->top_n, i;

	if (n == c->o->top && dur <= c->top[n - 1][0])
		return;
	for (i = n; i > 0 && c->top[i - 1][0] < dur; i--)
		;
	if (n < c->o->top)
		n++;
	memmove(&c->top[i + 1], &c->top[i], (n - 1 - i) * sizeof(*c->top));
	c->top[i][0] = dur;
	c->top[i][1] = id;
	c->top_n = n;
}

/*
 * Keep every stride-th span of a name (in start order: an even sample over time); when 2 x
 * points are kept, drop every other one and double the stride. So between points and 2 x points
 * remain, in one pass, without knowing the count in advance.
 */
static int point_add(struct tt_report_builder *c, struct tt_report_nstat *ns, uint64_t ts,
		     int64_t dur)
{
	size_t max = 2 * (size_t)c->o->points;

	if (!ns->pts_ts) {
		ns->pts_ts = malloc(max * sizeof(*ns->pts_ts));
		ns->pts_dur = malloc(max * sizeof(*ns->pts_dur));
		ns->stride = 1;
		if (!ns->pts_ts || !ns->pts_dur)
			return -ENOMEM;
	}
	if (ns->n % ns->stride)
		return 0;
	if (ns->pts_n == max) {
		for (size_t i = 0; i < max / 2; i++) {
			ns->pts_ts[i] = ns->pts_ts[2 * i];
			ns->pts_dur[i] = ns->pts_dur[2 * i];
		}
		ns->pts_n = max / 2;
		ns->stride *= 2;
		if (ns->n % ns->stride)
			return 0;
	}
	ns->pts_ts[ns->pts_n] = ts > c->r->ts_first ? ts - c->r->ts_first : 0;
	ns->pts_dur[ns->pts_n++] = dur;
	return 0;
}

static int nstat_cmp(const void *a, const void *b)
{
	const struct tt_report_nstat *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* One pass over spans: durations, open and lost counts per name, and the slowest spans. */
static int scan_spans(struct tt_report_builder *c)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	c->top = calloc(c->o->top + 1, sizeof(*c->top));
	if (!c->top)
		return -ENOMEM;
	err = tt_report_builder__prep(c, "SELECT id, name, provider, dur, lost, start_ts FROM spans", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tt_report_nstat *ns = nstat_get(c, (const char *)sqlite3_column_text(st, 1),
					     (const char *)sqlite3_column_text(st, 2));

		if (!ns) {
			err = -ENOMEM;
			break;
		}
		ns->lost += sqlite3_column_int64(st, 4) != 0;
		if (sqlite3_column_type(st, 3) == SQLITE_NULL) {
			ns->open++;
			continue;
		}
		err = tt_grow((void **)&ns->durs, &ns->cap, ns->n + 1, sizeof(*ns->durs));
		if (err)
			break;
		ns->durs[ns->n] = sqlite3_column_int64(st, 3);
		top_push(c, ns->durs[ns->n], sqlite3_column_int64(st, 0));
		if (c->o->heatmap) {
			uint64_t ts = (uint64_t)sqlite3_column_int64(st, 5);

			err = tt_grow((void **)&ns->starts, &ns->starts_cap, ns->n + 1, sizeof(*ns->starts));
			if (err)
				break;
			ns->starts[ns->n] = ts > c->r->ts_first ? ts - c->r->ts_first : 0;
		}
		if (c->o->html_points) {
			err = point_add(c, ns, (uint64_t)sqlite3_column_int64(st, 5), ns->durs[ns->n]);
			if (err)
				break;
		}
		ns->n++;
	}
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	sqlite3_finalize(st);
	if (err)
		return err;
	/* in name order; the index is not needed any more */
	if (c->ns_cnt)
		qsort(c->ns, c->ns_cnt, sizeof(*c->ns), nstat_cmp);
	tt_hidx_free(&c->ns_index);
	for (size_t i = 0; i < c->ns_cnt; i++) {
		c->r->lost_spans += c->ns[i].lost;
		c->r->spans += c->ns[i].n + c->ns[i].open;
	}
	return 0;
}

static const struct tt_report_nstat *nstat_find(const struct tt_report_builder *c, const char *name)
{
	size_t lo = 0, hi = c->ns_cnt;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(c->ns[mid].name, name);

		if (!cmp)
			return &c->ns[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The SQL expression giving argument `by` of a span s: from its start event b when the start
 * probe has it, else from its end event e. *uses_end is set when e is needed: some probe with the
 * argument may end spans (its name is not that of a start probe). NULL when no probe has it.
 */
static char *by_expr(struct tt_report_builder *c, const char *by, int *uses_end)
{
	static const char *const start_sfx[] = {"__begin", "__start", "__entry"};
	struct tt_buf b = {0}, e = {0};
	sqlite3_stmt *st = NULL;
	char *res = NULL;
	int err, rc, n = 0;

	*uses_end = 0;
	if (!strcmp(by, "key"))
		return strdup("s.key");
	err = tt_report_builder__prep(c, "SELECT DISTINCT a.probe_id, a.idx, p.name, p.kind FROM probe_args a JOIN probes p "
		   "ON p.id = a.probe_id WHERE a.name = ?1 OR a.column_name = ?1 OR 'arg' || a.idx = ?1", &st);
	if (err)
		return NULL;
	sqlite3_bind_text(st, 1, by, -1, SQLITE_STATIC);
	if (tt_buf_printf(&b, "CASE s.begin_probe_id") || tt_buf_printf(&e, "CASE s.end_probe_id"))
		goto cleanup;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		int idx = sqlite3_column_int(st, 1), starts = 0;
		const char *name = (const char *)sqlite3_column_text(st, 2);
		size_t len = strlen(name);

		for (size_t i = 0; i < TT_ARRAY_SIZE(start_sfx); i++)
			starts |= len > strlen(start_sfx[i]) && !strcmp(name + len - strlen(start_sfx[i]), start_sfx[i]);
		starts |= !strcmp((const char *)sqlite3_column_text(st, 3), "go_entry");
		*uses_end |= !starts;
		/* a faulted value (NULL) groups as <fault>, apart from spans without the argument */
		if (tt_buf_printf(&b, " WHEN %lld THEN CASE WHEN b.fault >> %d & 1 THEN '<fault>' "
				  "ELSE b.arg%d END", id, idx, idx) ||
		    tt_buf_printf(&e, " WHEN %lld THEN CASE WHEN e.fault >> %d & 1 THEN '<fault>' "
				  "ELSE e.arg%d END", id, idx, idx))
			goto cleanup;
		n++;
	}
	if (rc != SQLITE_DONE || !n || tt_buf_printf(&b, " END") || tt_buf_printf(&e, " END"))
		goto cleanup;
	res = *uses_end ? tt_report_asprintf("coalesce(%s, %s)", (const char *)b.data, (const char *)e.data)
			: tt_report_asprintf("%s", (const char *)b.data);
cleanup:
	sqlite3_finalize(st);
	tt_buf_free(&b);
	tt_buf_free(&e);
	return res;
}

static int group_cmp_count(const void *a, const void *b)
{
	const struct tt_report_group *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (strcmp(x->name, y->name))
		return strcmp(x->name, y->name);
	return strcmp(x->by ? x->by : "", y->by ? y->by : "");
}

void tt_report_group_free(struct tt_report_group *g)
{
	free(g->name);
	free(g->provider);
	free(g->by);
	free(g->example);
	free(g->hist.b);
	free(g->curve.pct);
	free(g->curve.v);
}

/* A --by group being collected: its durations, keyed by name and value. */
struct bgroup {
	char *key;      /* name, NUL, value, NUL */
	char *example;  /* the first value as recorded, when the value was normalized; or NULL */
	size_t key_len, name_len;
	int64_t *durs;
	size_t n, cap;
	uint64_t lost;
};

struct bgroup_key {
	const struct bgroup *g;
	const struct tt_buf *key;
};

static bool bgroup_eq(const void *ctx, uint32_t pos)
{
	const struct bgroup_key *k = ctx;
	const struct bgroup *q = &k->g[pos];

	return q->key_len == k->key->len && !memcmp(q->key, k->key->data, q->key_len);
}

#define BY_KEYS_MAX 8 /* --by A,B,...: keys at most */

int tt_report_by_is_sql(const char *name)
{
	static const char *const names[] = {"query", "sql", "statement", "stmt"};
	size_t n = strlen(name);

	for (size_t i = 0; i < TT_ARRAY_SIZE(names); i++) {
		size_t k = strlen(names[i]);

		if (!strcasecmp(name, names[i]) ||
		    (n > k && name[n - k - 1] == '_' && !strcasecmp(name + n - k, names[i])))
			return 1;
	}
	return 0;
}

/*
 * The SQL of the --by pass: each key's expression (by_expr) as a column after the span's name,
 * then its duration and lost flag. keys (n of them) point into by_copy.
 */
static char *by_sql(struct tt_report_builder *c, char *by_copy, char **keys, size_t *n, int *err)
{
	struct tt_buf cols = {0};
	char *save = NULL, *sql = NULL;
	int any_end = 0;

	*n = 0;
	*err = 0;
	for (char *k = strtok_r(by_copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		int uses_end;
		char *expr;

		if (*n == BY_KEYS_MAX) {
			tt_err(c->out, "--by %s: at most %d arguments", c->o->by, BY_KEYS_MAX);
			*err = -TT_E_USAGE;
			goto cleanup;
		}
		expr = by_expr(c, k, &uses_end);
		if (!expr) {
			tt_err(c->out, "--by %s: no probe has an argument named '%s' (see the probe_args "
				       "table)", c->o->by, k);
			*err = -TT_E_USAGE;
			goto cleanup;
		}
		any_end |= uses_end;
		keys[(*n)++] = k;
		*err = tt_buf_printf(&cols, ", %s", expr);
		free(expr);
		if (*err)
			goto cleanup;
	}
	if (!*n) {
		tt_err(c->out, "--by '%s': name an argument (or several: A,B)", c->o->by);
		*err = -TT_E_USAGE;
		goto cleanup;
	}
	/* main.events: a span's own events whole, past the end of a --from/--to window */
	sql = tt_report_asprintf("SELECT s.name%s, s.dur, s.lost FROM spans s JOIN main.events b ON "
				 "b.id = s.begin_event_id%s WHERE s.dur IS NOT NULL ORDER BY s.id",
				 (const char *)cols.data,
				 any_end ? " LEFT JOIN main.events e ON e.id = s.end_event_id" : "");
	if (!sql)
		*err = -ENOMEM;
cleanup:
	tt_buf_free(&cols);
	return sql;
}

/*
 * The value of a span's --by keys into val (joined by ", "; a missing one is "(none)"), a
 * statement (tt_report_by_is_sql) with its constants as placeholders; raw gets the values as recorded.
 * Returns 0 or -ENOMEM.
 */
static int by_value(sqlite3_stmt *st, char *const *keys, size_t n, struct tt_buf *val,
		    struct tt_buf *raw)
{
	val->len = raw->len = 0;
	for (size_t i = 0; i < n; i++) {
		const char *v = (const char *)sqlite3_column_text(st, (int)i + 1);
		char *norm = v && tt_report_by_is_sql(keys[i]) ? tt_sql_normalize(v) : NULL;
		const char *sep = i ? ", " : "";

		v = v ? v : "(none)";
		if ((tt_report_by_is_sql(keys[i]) && strcmp(v, "(none)") && !norm) ||
		    tt_buf_printf(val, "%s%s", sep, norm ? norm : v) || tt_buf_printf(raw, "%s%s", sep, v)) {
			free(norm);
			return -ENOMEM;
		}
		free(norm);
	}
	return 0;
}

/*
 * --by: one pass over the closed spans joined with their start (and, when needed, end) events,
 * in span order (so the event lookups walk the events table forward); the groups collected in a
 * hash index, each group's statistics by selection. No sort of the spans. Several keys (A,B)
 * group by all of them; statements (tt_report_by_is_sql) by their normalized text, with the first one
 * seen as the group's example.
 */
static int load_groups_by(struct tt_report_builder *c)
{
	struct tt_report *r = c->r;
	struct bgroup *g = NULL;
	struct tt_hidx index = {0};
	size_t gn = 0, gcap = 0, key_cnt = 0;
	sqlite3_stmt *st = NULL;
	struct tt_buf key = {0}, val = {0}, raw = {0};
	int err = 0, rc = SQLITE_DONE, dur_col;
	char *keys[BY_KEYS_MAX], *by_copy = strdup(c->o->by), *sql = NULL;

	if (!by_copy)
		return -ENOMEM;
	sql = by_sql(c, by_copy, keys, &key_cnt, &err);
	dur_col = (int)key_cnt + 1;
	if (!err)
		err = tt_report_builder__prep(c, sql, &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		size_t nl = strlen(n);
		struct bgroup_key bk = {NULL, &key};
		struct bgroup *q;
		int64_t pos;
		uint32_t h;
		int normalized;

		key.len = 0;
		err = by_value(st, keys, key_cnt, &val, &raw);
		if (err || tt_buf_append(&key, n, nl + 1) || tt_buf_append(&key, val.data, val.len) ||
		    tt_buf_append(&key, "", 1)) {
			err = -ENOMEM;
			break;
		}
		bk.g = g;
		h = (uint32_t)tt_hash_bytes(key.data, key.len, 0);
		pos = tt_hidx_find(&index, h, bgroup_eq, &bk);
		if (pos < 0) {
			err = tt_grow((void **)&g, &gcap, gn + 1, sizeof(*g));
			if (!err)
				err = tt_hidx_add(&index, h, (uint32_t)gn);
			if (err)
				break;
			memset(&g[gn], 0, sizeof(g[gn]));
			g[gn].key = malloc(key.len);
			/* the first statement seen stands for the group, when it was normalized */
			normalized = raw.len != val.len || memcmp(raw.data, val.data, val.len);
			if (normalized)
				g[gn].example = strndup((const char *)raw.data, raw.len);
			if (!g[gn].key || (normalized && !g[gn].example)) {
				free(g[gn].key);
				err = -ENOMEM;
				break;
			}
			memcpy(g[gn].key, key.data, key.len);
			g[gn].key_len = key.len;
			g[gn].name_len = nl;
			pos = (int64_t)gn++;
		}
		q = &g[pos];
		err = tt_grow((void **)&q->durs, &q->cap, q->n + 1, sizeof(*q->durs));
		if (err)
			break;
		q->durs[q->n++] = sqlite3_column_int64(st, dur_col);
		q->lost += sqlite3_column_int64(st, dur_col + 1) != 0;
	}
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	for (size_t k = 0; k < gn && !err; k++) {
		const struct tt_report_nstat *ns = nstat_find(c, g[k].key);

		err = group_add(c, g[k].key, ns ? ns->provider : "", g[k].key + g[k].name_len + 1,
				g[k].durs, g[k].n, g[k].lost, 0);
		if (!err && g[k].example) {
			r->groups[r->group_cnt - 1].example = g[k].example;
			g[k].example = NULL;
		}
	}
	if (!err) {
		/* many groups: the busiest ones */
		qsort(r->groups, r->group_cnt, sizeof(*r->groups), group_cmp_count);
		if (r->group_cnt > c->o->top) {
			for (size_t i = c->o->top; i < r->group_cnt; i++)
				tt_report_group_free(&r->groups[i]);
			r->groups_omitted = r->group_cnt - c->o->top;
			r->group_cnt = c->o->top;
		}
	}
	for (size_t k = 0; k < gn; k++) {
		free(g[k].key);
		free(g[k].durs);
		free(g[k].example);
	}
	free(g);
	tt_hidx_free(&index);
	tt_buf_free(&key);
	tt_buf_free(&val);
	tt_buf_free(&raw);
	sqlite3_finalize(st);
	free(by_copy);
	free(sql);
	return err;
}

int tt_report_builder__spans(struct tt_report_builder *c)
{
	int err = scan_spans(c);

	if (err || c->o->by)
		return err ? err : load_groups_by(c);
	for (size_t i = 0; i < c->ns_cnt && !err; i++) {
		const struct tt_report_nstat *ns = &c->ns[i];

		err = group_add(c, ns->name, ns->provider, NULL, ns->durs, ns->n, ns->lost, ns->open);
	}
	return err;
}

/* ---- single spans ---- */

#define SPAN_SQL "SELECT id, CASE provider WHEN '' THEN name ELSE provider || ':' || name END, " \
		 "dur, start_ts, end_ts, tape, pid, tid, end_tid, depth, lost, unclosed, " \
		 "begin_event_id, end_event_id FROM spans WHERE id = ?"

static int span_fill(struct tt_report_builder *c, sqlite3_stmt *sp, sqlite3_stmt *ev, uint64_t id,
		     struct tt_report_span *s)
{
	char *a = NULL, *b = NULL;

	memset(s, 0, sizeof(*s));
	sqlite3_reset(sp);
	sqlite3_bind_int64(sp, 1, (int64_t)id);
	if (sqlite3_step(sp) != SQLITE_ROW) {
		sqlite3_reset(sp);
		return tt_report_builder__sql_err(c);
	}
	s->id = id;
	s->name = tt_report_strdup((const char *)sqlite3_column_text(sp, 1));
	s->dur = sqlite3_column_type(sp, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(sp, 2);
	s->start_ts = (uint64_t)sqlite3_column_int64(sp, 3);
	s->end_ts = (uint64_t)sqlite3_column_int64(sp, 4);
	s->tape = (uint32_t)sqlite3_column_int64(sp, 5);
	s->pid = (uint32_t)sqlite3_column_int64(sp, 6);
	s->tid = (uint32_t)sqlite3_column_int64(sp, 7);
	s->end_tid = (uint32_t)sqlite3_column_int64(sp, 8);
	s->depth = (uint32_t)sqlite3_column_int64(sp, 9);
	s->lost = sqlite3_column_int(sp, 10);
	if (sqlite3_column_type(sp, 11) != SQLITE_NULL)
		s->unclosed = tt_report_strdup((const char *)sqlite3_column_text(sp, 11));
	{
		uint64_t be = (uint64_t)sqlite3_column_int64(sp, 12);
		int has_end = sqlite3_column_type(sp, 13) != SQLITE_NULL;
		uint64_t ee = (uint64_t)sqlite3_column_int64(sp, 13);

		sqlite3_reset(sp);
		a = tt_report_builder__event_text(c, ev, be, 0, NULL, NULL);
		b = has_end ? tt_report_builder__event_text(c, ev, ee, 0, NULL, NULL) : strdup("");
	}
	if (a && b)
		s->args = *b ? tt_report_asprintf("%s%s| %s", a, *a ? " " : "", b) : tt_report_strdup(a);
	free(a);
	free(b);
	if (!s->name || !s->args)
		return -ENOMEM;
	return 0;
}

int tt_report_builder__slowest(struct tt_report_builder *c)
{
	struct tt_report *r = c->r;
	sqlite3_stmt *sp = NULL, *ev = NULL;
	int err;

	/* the top-N kept by the pass over spans */
	err = tt_report_builder__prep(c, SPAN_SQL, &sp);
	if (!err)
		err = tt_report_builder__prep(c, TT_REPORT_EVENT_SQL, &ev);
	if (!err && c->top_n) {
		r->slow = calloc(c->top_n, sizeof(*r->slow));
		if (!r->slow)
			err = -ENOMEM;
	}
	for (size_t i = 0; i < c->top_n && !err; i++) {
		err = span_fill(c, sp, ev, (uint64_t)c->top[i][1], &r->slow[i]);
		r->slow_cnt++;
	}
	sqlite3_finalize(sp);
	sqlite3_finalize(ev);
	return err;
}

int tt_report_builder__open(struct tt_report_builder *c)
{
	struct tt_report *r = c->r;
	sqlite3_stmt *list = NULL, *sp = NULL, *ev = NULL, *thr = NULL, *back = NULL;
	uint64_t ids[1024];
	size_t n = 0;
	int err, rc;

	if (!r->open_total)
		return 0;
	err = tt_report_builder__prep(c, "SELECT id FROM spans WHERE unclosed IS NOT NULL ORDER BY start_ts, id LIMIT ?",
		   &list);
	if (!err)
		err = tt_report_builder__prep(c, SPAN_SQL, &sp);
	if (!err)
		err = tt_report_builder__prep(c, TT_REPORT_EVENT_SQL, &ev);
	if (!err)
		err = tt_report_builder__prep(c, "SELECT last_event_id FROM threads WHERE tape = ? AND pid = ? AND tid = ?", &thr);
	/* backwards from the thread's last event: rowid order is time order */
	if (!err)
		err = tt_report_builder__prep(c, "SELECT id FROM events WHERE id <= ?1 AND tid = ?2 AND pid = ?3 AND tape = ?4 "
			   "ORDER BY id DESC LIMIT ?5", &back);
	if (err)
		goto cleanup;
	sqlite3_bind_int(list, 1, (int)TT_MIN(c->o->top, TT_ARRAY_SIZE(ids)));
	while ((rc = sqlite3_step(list)) == SQLITE_ROW)
		ids[n++] = (uint64_t)sqlite3_column_int64(list, 0);
	if (rc != SQLITE_DONE) {
		err = tt_report_builder__sql_err(c);
		goto cleanup;
	}
	r->open = calloc(n ? n : 1, sizeof(*r->open));
	if (!r->open) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct tt_report_span *s = &r->open[i];
		uint64_t last = 0, evs[64];
		size_t k = 0;

		err = span_fill(c, sp, ev, ids[i], s);
		r->open_cnt++;
		if (err)
			break;
		sqlite3_reset(thr);
		sqlite3_bind_int64(thr, 1, s->tape);
		sqlite3_bind_int64(thr, 2, s->pid);
		sqlite3_bind_int64(thr, 3, s->tid);
		if (sqlite3_step(thr) == SQLITE_ROW)
			last = (uint64_t)sqlite3_column_int64(thr, 0);
		sqlite3_reset(thr);
		if (!last)
			continue;
		sqlite3_reset(back);
		sqlite3_bind_int64(back, 1, (int64_t)last);
		sqlite3_bind_int64(back, 2, s->tid);
		sqlite3_bind_int64(back, 3, s->pid);
		sqlite3_bind_int64(back, 4, s->tape);
		sqlite3_bind_int(back, 5, (int)TT_MIN(c->o->last_events, TT_ARRAY_SIZE(evs)));
		while (k < TT_ARRAY_SIZE(evs) && sqlite3_step(back) == SQLITE_ROW)
			evs[k++] = (uint64_t)sqlite3_column_int64(back, 0);
		sqlite3_reset(back);
		s->last = calloc(k ? k : 1, sizeof(*s->last));
		if (!s->last) {
			err = -ENOMEM;
			break;
		}
		/* oldest first */
		for (size_t j = 0; j < k && !err; j++) {
			struct tt_report_event *e = &s->last[j];

			e->id = evs[k - 1 - j];
			e->text = tt_report_builder__event_text(c, ev, e->id, 1, &e->tid, &e->ts);
			s->last_n++;
			if (!e->text)
				err = -ENOMEM;
		}
	}
cleanup:
	sqlite3_finalize(list);
	sqlite3_finalize(sp);
	sqlite3_finalize(ev);
	sqlite3_finalize(thr);
	sqlite3_finalize(back);
	return err;
}

/* ---- latency over time (HTML) ---- */

#define HEAT_BINS 60 /* heatmap columns over the capture */

/* s's p50 and p99 of every closed span of ns, and with --heatmap its cells. */
static int series_dist(struct tt_report_builder *c, const struct tt_report_nstat *ns,
		       struct tt_report_series *s)
{
	struct tt_report_dist d;
	double *x = malloc(ns->n * sizeof(*x));
	int err;

	if (!x)
		return -ENOMEM;
	for (size_t i = 0; i < ns->n; i++)
		x[i] = (double)ns->durs[i];
	err = tt_report_dist(x, ns->n, c->o->buckets, &d);
	free(x);
	if (err)
		return err;
	s->p50 = (int64_t)d.pct[0];
	s->p99 = (int64_t)d.pct[2];
	if (c->o->heatmap && ns->starts) {
		/*
		 * Coarser than the histogram (a cell must hold enough spans to have a colour), and up
		 * to p99 only: the rare slow ones share the top row, and do not squeeze the rest
		 * into one.
		 */
		struct tt_bucket_stats st = d.st;

		st.max = d.pct[2];
		tt_buckets_choose(&s->heat_scheme, c->o->buckets, &st, 24, 12, 40);
		s->heat_bins = HEAT_BINS;
		s->heat_bin_ns = c->r->duration_ns / HEAT_BINS + 1;
		err = tt_report_heat(ns->starts, ns->durs, ns->n, &s->heat_scheme,
				     tt_buckets_index(&s->heat_scheme, st.max), s->heat_bin_ns, &s->heat,
				     &s->heat_n, &s->heat_top_open);
	}
	tt_report_dist_free(&d);
	return err;
}

/* The points kept by the pass over spans become the report's series (moved, not copied). */
int tt_report_builder__series(struct tt_report_builder *c)
{
	struct tt_report *r = c->r;
	int err = 0;

	r->series = calloc(c->ns_cnt ? c->ns_cnt : 1, sizeof(*r->series));
	if (!r->series)
		return -ENOMEM;
	for (size_t i = 0; i < c->ns_cnt && !err; i++) {
		struct tt_report_nstat *ns = &c->ns[i];
		struct tt_report_series *s = &r->series[r->series_cnt];

		if (!ns->pts_n)
			continue;
		s->name = ns->provider[0] ? tt_report_asprintf("%s:%s", ns->provider, ns->name) : tt_report_strdup(ns->name);
		if (!s->name)
			return -ENOMEM;
		s->total = ns->n;
		s->n = ns->pts_n;
		s->ts = ns->pts_ts;
		s->dur = ns->pts_dur;
		ns->pts_ts = NULL;
		ns->pts_dur = NULL;
		r->series_cnt++;
		err = series_dist(c, ns, s);
	}
	return err;
}
