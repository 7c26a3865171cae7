/* SPDX-License-Identifier: MIT */
/*
 * The report (report.h): the model built from a database with a handful of queries, each chosen
 * to use what the loader indexed, and the text rendering for a terminal.
 *
 * Costs on a database of N events and S spans: one sequential pass over spans gives every
 * name's durations (percentiles then picked by selection, O(S)), open and lost counts and the
 * slowest spans (a top-N kept on the way); the probe counts come from probes.events; an argument
 * distribution reads that probe's events through events_probe into one array; open spans come from
 * their partial index, and a thread's last events are found scanning back from
 * threads.last_event_id. --by adds one pass over spans joined with their events; the HTML
 * scatter points are sampled during the first pass.
 * Memory: 8 bytes per closed span, for the exact percentiles.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "db_schema.h"
#include "tt_fmt.h"
#include "tt_names.h"
#include "report.h"
#include "sqlfuncs.h"
#include "tt_error.h"
#include "tt_hash.h"
#include "tt_types.h"
#include "tt_util.h"

static const uint64_t pct_micro[TT_REPORT_PCTS] = {50000000, 90000000, 99000000, 99900000};

/* What the report knows of each probe, by probes.id. */
struct pdesc {
	char *label; /* "provider:name" (tt_probe_label(): ":return" after a Go function's returns) */
	char *provider, *name;
	uint8_t argc;
	char *arg_names[TT_MAX_ARGS]; /* probe_args.column_name */
	char *kinds[TT_MAX_ARGS];
	int span_probe;               /* starts or ends spans by name: no argument distribution */
};

struct ctx {
	sqlite3 *db;
	const struct tt_report_opts *o;
	const struct tt_out *out;
	struct tt_report *r;
	struct pdesc *probes; /* probes[id], id from 1 */
	size_t probe_cap;
	struct nstat *ns;     /* per span name, from the pass over spans */
	size_t ns_cnt, ns_cap;
	struct tt_hidx ns_index; /* name -> position in ns, during the pass */
	int64_t (*top)[2];    /* the slowest spans so far: {dur, id}, slowest first */
	size_t top_n;
	int8_t *value_arg;    /* by probes.id: the --value choice, VALUE_AUTO or VALUE_NONE */
};

#define VALUE_AUTO -1 /* choose the value argument by its name */
#define VALUE_NONE -2 /* no distribution */

/* One span name's facts from the pass over spans. */
struct nstat {
	char *name, *provider;
	int64_t *durs;
	size_t n, cap;
	uint64_t open, lost;
	/* scatter points (HTML): every stride-th closed span, stride doubling to stay in bounds */
	uint64_t *pts_ts;
	int64_t *pts_dur;
	size_t pts_n;
	uint64_t stride;
};

/* ---- formatting ---- */

char *tt_report_dur(char *buf, size_t sz, int64_t ns, int raw)
{
	static const struct {
		double div;
		const char *unit;
	} units[] = {{1e3, "us"}, {1e6, "ms"}, {1e9, "s"}};
	double v;
	int u;

	if (raw) {
		snprintf(buf, sz, "%" PRId64, ns);
		return buf;
	}
	if (ns < 1000 && ns > -1000) {
		snprintf(buf, sz, "%" PRId64 "ns", ns);
		return buf;
	}
	for (u = 0; u < 2 && fabs((double)ns) >= units[u + 1].div; u++)
		;
	v = (double)ns / units[u].div;
	/* three significant digits; the rounding may carry into the next unit */
	if (fabs(v) >= 999.5 && u < 2) {
		u++;
		v = (double)ns / units[u].div;
	}
	if (fabs(v) < 9.995)
		snprintf(buf, sz, "%.2f%s", v, units[u].unit);
	else if (fabs(v) < 99.95)
		snprintf(buf, sz, "%.1f%s", v, units[u].unit);
	else
		snprintf(buf, sz, "%.0f%s", v, units[u].unit);
	return buf;
}

char *tt_report_count(char *buf, size_t sz, uint64_t n, int raw)
{
	char tmp[32];
	size_t len, o = 0;

	snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
	if (raw) {
		snprintf(buf, sz, "%s", tmp);
		return buf;
	}
	len = strlen(tmp);
	for (size_t i = 0; i < len && o + 2 < sz; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

char *tt_report_rate(char *buf, size_t sz, double per_s, int raw)
{
	if (raw)
		snprintf(buf, sz, "%.3f", per_s);
	else if (per_s < 999.95)
		snprintf(buf, sz, "%.1f/s", per_s);
	else if (per_s < 999950)
		snprintf(buf, sz, "%.1fk/s", per_s / 1e3);
	else
		snprintf(buf, sz, "%.2fM/s", per_s / 1e6);
	return buf;
}

char *tt_report_num(char *buf, size_t sz, double v, int is_real)
{
	if (!is_real && fabs(v) < 9.2e18)
		snprintf(buf, sz, "%lld", (long long)v);
	else
		snprintf(buf, sz, "%.4g", v);
	return buf;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static char *xstrdup(const char *s)
{
	return strdup(s ? s : "");
}

/* ---- small query helpers ---- */

static int sql_err(struct ctx *c)
{
	tt_err(c->out, "SQL error: %s", sqlite3_errmsg(c->db));
	return -TT_E_SQL;
}

static int prep(struct ctx *c, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return sql_err(c);
	}
	return 0;
}

static int push_str(char ***arr, size_t *n, char *s)
{
	char **a;

	if (!s)
		return -ENOMEM;
	a = realloc(*arr, (*n + 1) * sizeof(*a));
	if (!a) {
		free(s);
		return -ENOMEM;
	}
	a[(*n)++] = s;
	*arr = a;
	return 0;
}

static int is_span_probe_name(const char *name, const char *type)
{
	static const char *const sfx[] = {"__begin", "__end", "__start", "__done", "__entry", "__return"};
	size_t n = strlen(name);

	if (!strcmp(type, "go_entry") || !strcmp(type, "go_return"))
		return 1;
	for (size_t i = 0; i < TT_ARRAY_SIZE(sfx); i++) {
		size_t k = strlen(sfx[i]);

		if (n > k && !strcmp(name + n - k, sfx[i]))
			return 1;
	}
	return 0;
}

/* Probe names, argument names and kinds, from probes and probe_args. */
static int load_probes(struct ctx *c)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	err = prep(c, "SELECT id, provider, name, argc, kind FROM probes ORDER BY id", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		struct pdesc *p;

		if (id < 1 || id > (1 << 24))
			continue;
		err = tt_grow((void **)&c->probes, &c->probe_cap, (size_t)id + 1, sizeof(*c->probes));
		if (err)
			break;
		p = &c->probes[id];
		p->provider = xstrdup((const char *)sqlite3_column_text(st, 1));
		p->name = xstrdup((const char *)sqlite3_column_text(st, 2));
		p->label = tt_probe_label((const char *)sqlite3_column_text(st, 1),
					  (const char *)sqlite3_column_text(st, 2),
					  (unsigned)TT_MAX(tt_probe_type_parse((const char *)sqlite3_column_text(st, 4)), 0));
		p->argc = (uint8_t)TT_MIN(sqlite3_column_int(st, 3), TT_MAX_ARGS);
		p->span_probe = is_span_probe_name(p->name, (const char *)sqlite3_column_text(st, 4));
		if (!p->provider || !p->name || !p->label)
			err = -ENOMEM;
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	sqlite3_finalize(st);
	if (err)
		return err;
	err = prep(c, "SELECT probe_id, idx, column_name, kind FROM probe_args", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int idx = sqlite3_column_int(st, 1);

		if (id < 1 || (size_t)id >= c->probe_cap || idx < 0 || idx >= TT_MAX_ARGS)
			continue;
		c->probes[id].arg_names[idx] = xstrdup((const char *)sqlite3_column_text(st, 2));
		c->probes[id].kinds[idx] = xstrdup((const char *)sqlite3_column_text(st, 3));
		if (!c->probes[id].arg_names[idx] || !c->probes[id].kinds[idx])
			err = -ENOMEM;
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	sqlite3_finalize(st);
	return err;
}

static const struct pdesc *probe_of(const struct ctx *c, int64_t id)
{
	return id > 0 && (size_t)id < c->probe_cap && c->probes[id].label ? &c->probes[id] : NULL;
}

/* Append "name=value" for column col of st to b (strings quoted, long ones cut). */
static int append_value(struct tt_buf *b, sqlite3_stmt *st, int col)
{
	const unsigned char *t;
	int n;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return tt_buf_printf(b, "NULL");
	case SQLITE_INTEGER:
		return tt_buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, col));
	case SQLITE_FLOAT:
		return tt_buf_printf(b, "%.6g", sqlite3_column_double(st, col));
	case SQLITE_BLOB:
		return tt_buf_printf(b, "<%d bytes>", sqlite3_column_bytes(st, col));
	default:
		t = sqlite3_column_text(st, col);
		n = sqlite3_column_bytes(st, col);
		if (tt_buf_append(b, "\"", 1))
			return -ENOMEM;
		for (int i = 0; i < n && i < 60; i++) {
			int err = t[i] == '"' || t[i] == '\\' ? tt_buf_printf(b, "\\%c", t[i])
			      : t[i] < 0x20 ? tt_buf_printf(b, "\\x%02x", t[i])
					    : tt_buf_append(b, &t[i], 1);

			if (err)
				return err;
		}
		return tt_buf_append(b, n > 60 ? "...\"" : "\"", n > 60 ? 4 : 1);
	}
}

/*
 * The arguments of event id as "name=value ..." (with_probe: prefixed by "provider:name"); *tid
 * and *ts when asked. Returns an allocated string or NULL.
 */
static char *event_text(struct ctx *c, sqlite3_stmt *st, uint64_t id, int with_probe,
			uint32_t *tid, uint64_t *ts)
{
	struct tt_buf b = {0};
	const struct pdesc *p;
	int err = 0;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (int64_t)id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return strdup("");
	}
	if (tid)
		*tid = (uint32_t)sqlite3_column_int64(st, 1);
	if (ts)
		*ts = (uint64_t)sqlite3_column_int64(st, 2);
	p = probe_of(c, sqlite3_column_int64(st, 0));
	if (with_probe)
		err = tt_buf_printf(&b, "%s", p ? p->label : "?");
	for (int a = 0; p && a < p->argc && !err; a++) {
		char fallback[8];

		snprintf(fallback, sizeof(fallback), "arg%d", a);
		err = tt_buf_printf(&b, "%s%s=", b.len ? " " : "",
				    p->arg_names[a] ? p->arg_names[a] : fallback);
		if (err)
			break;
		/* a value that could not be read: NULL in the database, <fault> as replay says */
		if (sqlite3_column_int64(st, 3) >> a & 1)
			err = tt_buf_printf(&b, "<fault>");
		else
			err = append_value(&b, st, 4 + a);
	}
	if (!err)
		err = tt_buf_append(&b, "", 1);
	sqlite3_reset(st);
	if (err) {
		tt_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

#define EVENT_SQL "SELECT probe_id, tid, ts, fault, arg0, arg1, arg2, arg3, arg4, arg5, arg6, " \
		  "arg7, arg8, arg9, arg10, arg11 FROM events WHERE id = ?"

/* ---- the capture ---- */

static int check_schema(struct ctx *c)
{
	sqlite3_stmt *st = NULL;
	int version = -1;

	if (sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE tape IS NULL AND key = "
			       "'schema_version'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version < 1) {
		tt_err(c->out, "'%s' is not a tracetape database (no schema_version in a meta table)",
		       c->r->source);
		return -TT_E_BAD_MAGIC;
	}
	if (version > TT_DB_SCHEMA_VERSION) {
		tt_err(c->out, "'%s' has schema version %d; this tracetape reads up to version %d",
		       c->r->source, version, TT_DB_SCHEMA_VERSION);
		return -TT_E_VERSION;
	}
	return 0;
}

static int load_summary(struct ctx *c)
{
	struct tt_report *r = c->r;
	sqlite3_stmt *st = NULL;
	int err, rc;

	err = prep(c, "SELECT count(*), min(ts_first), max(ts_last), sum(events), sum(lost), "
		   "(SELECT group_concat(h, ', ') FROM (SELECT DISTINCT host AS h FROM tapes "
		   " WHERE host IS NOT NULL ORDER BY id)), "
		   "(SELECT wall_offset_ns FROM tapes ORDER BY id LIMIT 1), "
		   "(SELECT count(*) FROM losses), "
		   "(SELECT count(*) FROM spans WHERE unclosed IS NOT NULL) FROM tapes", &st);
	if (err)
		return err;
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->tapes = (uint32_t)sqlite3_column_int64(st, 0);
		r->ts_first = (uint64_t)sqlite3_column_int64(st, 1);
		r->ts_last = (uint64_t)sqlite3_column_int64(st, 2);
		r->duration_ns = r->ts_last > r->ts_first ? r->ts_last - r->ts_first : 0;
		r->events = (uint64_t)sqlite3_column_int64(st, 3);
		r->lost_events = (uint64_t)sqlite3_column_int64(st, 4);
		r->hosts = xstrdup((const char *)sqlite3_column_text(st, 5));
		r->wall_offset_ns = sqlite3_column_int64(st, 6);
		r->loss_windows = (uint64_t)sqlite3_column_int64(st, 7);
		r->open_total = (uint64_t)sqlite3_column_int64(st, 8);
		if (!r->hosts)
			err = -ENOMEM;
	}
	sqlite3_finalize(st);
	if (err)
		return err;
	err = prep(c, "SELECT value FROM meta WHERE tape IS NULL AND key = 'warning' ORDER BY rowid", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
		err = push_str(&r->warnings, &r->warning_cnt, xstrdup((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	return err;
}

static double rate_of(const struct tt_report *r, uint64_t n)
{
	return r->duration_ns ? (double)n * 1e9 / (double)r->duration_ns : 0.0;
}

/* ---- span statistics ---- */

/*
 * Min, max, log2 histogram and the TT_REPORT_PCTS nearest-rank percentiles of v[0..n), n > 0, in
 * O(n): one pass, then one selection per rank over what is left above the previous one (the
 * ranks grow). v is reordered.
 */
static void stats_i64(int64_t *v, size_t n, int64_t *min, int64_t *max, int64_t *pct, uint64_t *hist)
{
	size_t lo = 0;

	*min = *max = v[0];
	for (size_t i = 0; i < n; i++) {
		*min = v[i] < *min ? v[i] : *min;
		*max = v[i] > *max ? v[i] : *max;
		hist[tt_log2_bucket_idx(v[i] < 0 ? 0 : (uint64_t)v[i])]++;
	}
	for (int i = 0; i < TT_REPORT_PCTS; i++) {
		size_t k = (size_t)tt_pct_rank(n, pct_micro[i]) - 1;

		tt_select_i64(v + lo, n - lo, k - lo);
		pct[i] = v[k];
		lo = k;
	}
}

static void stats_f64(double *v, size_t n, double *min, double *max, double *pct, uint64_t *hist)
{
	size_t lo = 0;

	*min = *max = v[0];
	for (size_t i = 0; i < n; i++) {
		*min = v[i] < *min ? v[i] : *min;
		*max = v[i] > *max ? v[i] : *max;
		hist[tt_log2_bucket_idx(v[i] < 1 ? 0 : v[i] >= 1.8e19 ? UINT64_MAX : (uint64_t)v[i])]++;
	}
	for (int i = 0; i < TT_REPORT_PCTS; i++) {
		size_t k = (size_t)tt_pct_rank(n, pct_micro[i]) - 1;

		tt_select_f64(v + lo, n - lo, k - lo);
		pct[i] = v[k];
		lo = k;
	}
}

/* Add a group from its durations v[0..n) (reordered). */
static int group_add(struct ctx *c, const char *name, const char *provider, const char *by,
		     int64_t *v, size_t n, uint64_t lost, uint64_t open)
{
	struct tt_report *r = c->r;
	struct tt_report_group *g;
	int err;

	if (!n)
		return 0;
	err = tt_grow((void **)&r->groups, &(size_t){r->group_cnt}, r->group_cnt + 1, sizeof(*g));
	if (err)
		return err;
	g = &r->groups[r->group_cnt];
	memset(g, 0, sizeof(*g));
	g->name = xstrdup(name);
	g->provider = xstrdup(provider);
	g->by = by ? xstrdup(by) : NULL;
	if (!g->name || !g->provider || (by && !g->by)) {
		free(g->name);
		free(g->provider);
		free(g->by);
		return -ENOMEM;
	}
	r->group_cnt++;
	g->count = n;
	g->lost = lost;
	g->open = open;
	stats_i64(v, n, &g->min, &g->max, g->pct, g->hist);
	g->rate = rate_of(r, g->count);
	return 0;
}

struct nstat_key {
	const struct ctx *c;
	const char *name;
};

static bool nstat_eq(const void *ctx, uint32_t pos)
{
	const struct nstat_key *k = ctx;

	return !strcmp(k->c->ns[pos].name, k->name);
}

/* The facts of span name (created on first sight). */
static struct nstat *nstat_get(struct ctx *c, const char *name, const char *provider)
{
	struct nstat_key key = {c, name};
	uint32_t h = (uint32_t)tt_hash_bytes(name, strlen(name), 0);
	int64_t pos = tt_hidx_find(&c->ns_index, h, nstat_eq, &key);
	struct nstat *ns;

	if (pos >= 0)
		return &c->ns[pos];
	if (tt_grow((void **)&c->ns, &c->ns_cap, c->ns_cnt + 1, sizeof(*c->ns)))
		return NULL;
	ns = &c->ns[c->ns_cnt++]; /* zeroed; freed with the others whatever happens next */
	ns->name = xstrdup(name);
	ns->provider = xstrdup(provider);
	if (!ns->name || !ns->provider || tt_hidx_add(&c->ns_index, h, (uint32_t)(c->ns_cnt - 1)))
		return NULL;
	return ns;
}

/* Keep the o->top slowest spans seen, slowest first; ties: the earlier span first. */
static void top_push(struct ctx *c, int64_t dur, int64_t id)
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
static int point_add(struct ctx *c, struct nstat *ns, uint64_t ts, int64_t dur)
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
	return strcmp(((const struct nstat *)a)->name, ((const struct nstat *)b)->name);
}

/* One pass over spans: durations, open and lost counts per name, and the slowest spans. */
static int scan_spans(struct ctx *c)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	c->top = calloc(c->o->top + 1, sizeof(*c->top));
	if (!c->top)
		return -ENOMEM;
	err = prep(c, "SELECT id, name, provider, dur, lost, start_ts FROM spans", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct nstat *ns = nstat_get(c, (const char *)sqlite3_column_text(st, 1),
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
		if (c->o->html_points) {
			err = point_add(c, ns, (uint64_t)sqlite3_column_int64(st, 5), ns->durs[ns->n]);
			if (err)
				break;
		}
		ns->n++;
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
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

static const struct nstat *nstat_find(const struct ctx *c, const char *name)
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
static char *by_expr(struct ctx *c, int *uses_end)
{
	static const char *const start_sfx[] = {"__begin", "__start", "__entry"};
	struct tt_buf b = {0}, e = {0};
	sqlite3_stmt *st = NULL;
	char *res = NULL;
	int err, rc, n = 0;

	*uses_end = 0;
	if (!strcmp(c->o->by, "key"))
		return strdup("s.key");
	err = prep(c, "SELECT DISTINCT a.probe_id, a.idx, p.name, p.kind FROM probe_args a JOIN probes p "
		   "ON p.id = a.probe_id WHERE a.name = ?1 OR a.column_name = ?1 OR 'arg' || a.idx = ?1", &st);
	if (err)
		return NULL;
	sqlite3_bind_text(st, 1, c->o->by, -1, SQLITE_STATIC);
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
	res = *uses_end ? xasprintf("coalesce(%s, %s)", (const char *)b.data, (const char *)e.data)
			: xasprintf("%s", (const char *)b.data);
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

static void group_free(struct tt_report_group *g)
{
	free(g->name);
	free(g->provider);
	free(g->by);
}

/* A --by group being collected: its durations, keyed by name and value. */
struct bgroup {
	char *key;      /* name, NUL, value, NUL */
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

/*
 * --by: one pass over the closed spans joined with their start (and, when needed, end) events,
 * in span order (so the event lookups walk the events table forward); the groups collected in a
 * hash index, each group's statistics by selection. No sort of the spans.
 */
static int load_groups_by(struct ctx *c)
{
	struct tt_report *r = c->r;
	struct bgroup *g = NULL;
	struct tt_hidx index = {0};
	size_t gn = 0, gcap = 0;
	sqlite3_stmt *st = NULL;
	struct tt_buf key = {0};
	int err = 0, rc = SQLITE_DONE, uses_end;
	char *expr = by_expr(c, &uses_end), *sql = NULL;

	if (!expr) {
		tt_err(c->out, "--by %s: no probe has an argument named '%s' (see the probe_args table)",
		       c->o->by, c->o->by);
		return -TT_E_USAGE;
	}
	sql = xasprintf("SELECT s.name, %s, s.dur, s.lost FROM spans s JOIN events b ON "
			"b.id = s.begin_event_id%s WHERE s.dur IS NOT NULL ORDER BY s.id", expr,
			uses_end ? " LEFT JOIN events e ON e.id = s.end_event_id" : "");
	err = sql ? prep(c, sql, &st) : -ENOMEM;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);
		size_t nl = strlen(n);
		struct bgroup_key bk = {NULL, &key};
		struct bgroup *q;
		int64_t pos;
		uint32_t h;

		v = v ? v : "(none)";
		key.len = 0;
		if (tt_buf_append(&key, n, nl + 1) || tt_buf_append(&key, v, strlen(v) + 1)) {
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
			g[gn].key = malloc(key.len);
			if (!g[gn].key) {
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
		q->durs[q->n++] = sqlite3_column_int64(st, 2);
		q->lost += sqlite3_column_int64(st, 3) != 0;
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	for (size_t k = 0; k < gn && !err; k++) {
		const struct nstat *ns = nstat_find(c, g[k].key);

		err = group_add(c, g[k].key, ns ? ns->provider : "", g[k].key + g[k].name_len + 1,
				g[k].durs, g[k].n, g[k].lost, 0);
	}
	if (!err) {
		/* many groups: the busiest ones */
		qsort(r->groups, r->group_cnt, sizeof(*r->groups), group_cmp_count);
		if (r->group_cnt > c->o->top) {
			for (size_t i = c->o->top; i < r->group_cnt; i++)
				group_free(&r->groups[i]);
			r->groups_omitted = r->group_cnt - c->o->top;
			r->group_cnt = c->o->top;
		}
	}
	for (size_t k = 0; k < gn; k++) {
		free(g[k].key);
		free(g[k].durs);
	}
	free(g);
	tt_hidx_free(&index);
	tt_buf_free(&key);
	sqlite3_finalize(st);
	free(expr);
	free(sql);
	return err;
}

static int load_groups(struct ctx *c)
{
	int err = scan_spans(c);

	if (err || c->o->by)
		return err ? err : load_groups_by(c);
	for (size_t i = 0; i < c->ns_cnt && !err; i++) {
		const struct nstat *ns = &c->ns[i];

		err = group_add(c, ns->name, ns->provider, NULL, ns->durs, ns->n, ns->lost, ns->open);
	}
	return err;
}

/* ---- probes ---- */

/* u8..u64, s8..s64, i8..i64, f32, f64: not ptr, str or bytes. */
/* An integer or float kind: u8..u64, s8..s64, any8..any64 (sign unknown), f32, f64. */
static int numeric_kind(const char *k)
{
	if (!k)
		return 0;
	if (!strncmp(k, "any", 3))
		return isdigit((unsigned char)k[3]);
	return (k[0] == 'u' || k[0] == 's' || k[0] == 'f') && isdigit((unsigned char)k[1]);
}

/* The lower-case alphanumeric words of name ("req_bytes" -> "req", "bytes"); returns the count. */
static size_t name_words(const char *name, char (*w)[32], size_t max)
{
	size_t n = 0, len = 0;

	for (const char *p = name; n < max; p++) {
		if (*p && isalnum((unsigned char)*p)) {
			if (len < 31)
				w[n][len++] = (char)tolower((unsigned char)*p);
			continue;
		}
		if (len) {
			w[n++][len] = 0;
			len = 0;
		}
		if (!*p)
			break;
	}
	return n;
}

static int word_in(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(w, list[i]))
			return 1;
	return 0;
}

/*
 * What a name says: 1 a quantity worth a distribution, -1 an identifier (its last word is
 * one: the noun of "req_id", "conn_fd", "start_ts"), 0 nothing.
 */
static int name_hint(const char *name)
{
	static const char *const ids[] = {
		"id", "ids", "pid", "tid", "tgid", "ppid", "uid", "gid", "fd", "ptr", "pointer", "addr",
		"address", "handle", "key", "hash", "idx", "index", "seq", "ts", "timestamp", "tstamp",
		"cookie", "ctx", "ip", "pc", "port", "errno", "code", "status", "type", "flags", "mode",
		"kind", "op", "state", "tag", "slot", "cpu", "goid",
	};
	static const char *const words[] = {
		"lat", "dur", "ms", "us", "ns", "usec", "msec", "nsec", "sec", "secs", "seconds", "sz",
		"cnt", "n", "num", "total", "rtt", "wait", "delay", "took", "spent", "amount", "bytes",
	};
	/* also inside a word: "nbytes", "rowcount", "qlen", "waittime" */
	static const char *const parts[] = {
		"latency", "duration", "elapsed", "time", "byte", "size", "len", "count", "rows",
	};
	char w[16][32];
	size_t n = name_words(name, w, TT_ARRAY_SIZE(w));

	if (!n)
		return 0;
	if (word_in(w[n - 1], ids, TT_ARRAY_SIZE(ids)) ||
	    (strlen(w[n - 1]) <= 5 && strlen(w[n - 1]) > 2 && !strcmp(w[n - 1] + strlen(w[n - 1]) - 2, "id")))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (word_in(w[i], words, TT_ARRAY_SIZE(words)))
			return 1;
		for (size_t k = 0; k < TT_ARRAY_SIZE(parts); k++)
			if (strstr(w[i], parts[k]))
				return 1;
	}
	return 0;
}

/*
 * The argument of probe p whose distribution is worth showing (report.h, struct tt_report_probe),
 * or VALUE_NONE.
 */
static int value_arg_of(const struct pdesc *p)
{
	int cand = -1, cand_cnt = 0, first_float = -1;

	for (int a = 0; a < p->argc; a++) {
		int h;

		if (!numeric_kind(p->kinds[a]))
			continue;
		h = p->arg_names[a] ? name_hint(p->arg_names[a]) : 0;
		if (h > 0)
			return a;
		if (h < 0)
			continue;
		cand = cand < 0 ? a : cand;
		cand_cnt++;
		if (first_float < 0 && p->kinds[a][0] == 'f')
			first_float = a;
	}
	/* "rows(n)", "bytes_sent(conn, v)": the probe's name says what its one number is */
	if (cand_cnt == 1 && name_hint(p->name) > 0)
		return cand;
	return first_float >= 0 ? first_float : VALUE_NONE;
}

/* The --value options, checked against the probes: c->value_arg. */
static int resolve_values(struct ctx *c)
{
	c->value_arg = malloc(c->probe_cap ? c->probe_cap : 1);
	if (!c->value_arg)
		return -ENOMEM;
	memset(c->value_arg, VALUE_AUTO, c->probe_cap ? c->probe_cap : 1);
	for (size_t i = 0; i < c->o->value_cnt; i++) {
		const char *opt = c->o->values[i], *eq = strchr(opt, '=');
		char glob[256];
		int matched = 0, found = 0;

		if (!eq || eq == opt || !eq[1] || (size_t)(eq - opt) >= sizeof(glob)) {
			tt_err(c->out, "--value %s: expected PROBE=ARG", opt);
			return -TT_E_USAGE;
		}
		memcpy(glob, opt, (size_t)(eq - opt));
		glob[eq - opt] = 0;
		for (size_t id = 1; id < c->probe_cap; id++) {
			const struct pdesc *p = &c->probes[id];

			if (!p->label || !tt_glob_match(glob, p->label))
				continue;
			matched++;
			if (!strcmp(eq + 1, "none")) {
				c->value_arg[id] = VALUE_NONE;
				found++;
				continue;
			}
			for (int a = 0; a < p->argc; a++) {
				char fallback[8];

				snprintf(fallback, sizeof(fallback), "arg%d", a);
				if (strcmp(eq + 1, fallback) && (!p->arg_names[a] || strcmp(eq + 1, p->arg_names[a])))
					continue;
				if (!numeric_kind(p->kinds[a])) {
					tt_err(c->out, "--value %s: argument '%s' of %s is a %s, not a number", opt,
					       eq + 1, p->label, p->kinds[a] ? p->kinds[a] : "?");
					return -TT_E_USAGE;
				}
				c->value_arg[id] = (int8_t)a;
				found++;
				break;
			}
		}
		if (!matched) {
			tt_err(c->out, "--value %s: no probe matches '%s'", opt, glob);
			return -TT_E_USAGE;
		}
		if (!found) {
			tt_err(c->out, "--value %s: no probe matching '%s' has an argument '%s' (see the "
			       "probe_args table)", opt, glob, eq + 1);
			return -TT_E_USAGE;
		}
	}
	return 0;
}

/*
 * q's names: the values of p's first cxxname argument by count (struct tt_report_probe). They are
 * what a report can say of instants such as libstdc++'s throw and catch, which no span shows.
 */
static int load_probe_names(struct ctx *c, int64_t id, const struct pdesc *p, struct tt_report_probe *q)
{
	sqlite3_stmt *st = NULL;
	char sql[200];
	int a, err, rc;

	for (a = 0; a < p->argc && !(p->kinds[a] && !strcmp(p->kinds[a], "cxxname")); a++)
		;
	if (a == p->argc)
		return 0;
	q->names_arg = p->arg_names[a] ? xstrdup(p->arg_names[a]) : xasprintf("arg%d", a);
	if (!q->names_arg)
		return -ENOMEM;
	snprintf(sql, sizeof(sql), "SELECT CASE WHEN fault >> %d & 1 THEN '<fault>' ELSE arg%d END "
		 "AS v, count(*) FROM events WHERE probe_id = ? GROUP BY v ORDER BY 2 DESC, v", a, a);
	err = prep(c, sql, &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);

		if (q->name_cnt == c->o->top) {
			q->names_other += n;
			continue;
		}
		err = tt_grow((void **)&q->names, &(size_t){q->name_cnt}, q->name_cnt + 1, sizeof(*q->names));
		if (err)
			break;
		q->names[q->name_cnt].value = xstrdup(v ? v : "");
		q->names[q->name_cnt].count = n;
		if (!q->names[q->name_cnt++].value) {
			err = -ENOMEM;
			break;
		}
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	sqlite3_finalize(st);
	return err;
}

static int load_probe_stats(struct ctx *c)
{
	struct tt_report *r = c->r;
	sqlite3_stmt *st = NULL, *vs = NULL;
	double *v = NULL;
	size_t vcap = 0;
	int err, rc;

	err = prep(c, "SELECT p.id, p.events, (SELECT sum(count) FROM losses l WHERE l.probe_id = p.id) "
		   "FROM probes p ORDER BY p.provider, p.name, p.id", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const struct pdesc *p = probe_of(c, id);
		struct tt_report_probe *q;
		int arg = -1;
		size_t n = 0;

		if (!p)
			continue;
		err = tt_grow((void **)&r->probes, &(size_t){r->probe_cnt}, r->probe_cnt + 1, sizeof(*q));
		if (err)
			break;
		q = &r->probes[r->probe_cnt++];
		memset(q, 0, sizeof(*q));
		q->provider = xstrdup(p->provider);
		q->name = xstrdup(p->name);
		q->label = xstrdup(p->label);
		if (!q->provider || !q->name || !q->label) {
			err = -ENOMEM;
			break;
		}
		q->count = (uint64_t)sqlite3_column_int64(st, 1);
		q->lost = (uint64_t)sqlite3_column_int64(st, 2);
		q->rate = rate_of(r, q->count);
		if (!q->count)
			continue;
		err = load_probe_names(c, id, p, q);
		if (err)
			break;
		arg = c->value_arg[id];
		if (arg == VALUE_AUTO)
			arg = p->span_probe ? VALUE_NONE : value_arg_of(p);
		if (arg < 0)
			continue;
		q->arg = xstrdup(p->arg_names[arg] ? p->arg_names[arg] : "arg");
		q->arg_is_real = p->kinds[arg][0] == 'f';
		if (!q->arg) {
			err = -ENOMEM;
			break;
		}
		/* the values through events_probe; one array, sorted once */
		{
			char sql[96];

			snprintf(sql, sizeof(sql), "SELECT arg%d FROM events WHERE probe_id = ?", arg);
			err = prep(c, sql, &vs);
			if (err)
				break;
		}
		sqlite3_bind_int64(vs, 1, id);
		while ((rc = sqlite3_step(vs)) == SQLITE_ROW) {
			int t = sqlite3_column_type(vs, 0);

			if (t != SQLITE_INTEGER && t != SQLITE_FLOAT)
				continue;
			err = tt_grow((void **)&v, &vcap, n + 1, sizeof(*v));
			if (err)
				break;
			v[n++] = t == SQLITE_INTEGER ? (double)sqlite3_column_int64(vs, 0)
						     : sqlite3_column_double(vs, 0);
		}
		if (!err && rc != SQLITE_DONE)
			err = sql_err(c);
		sqlite3_finalize(vs);
		vs = NULL;
		if (err)
			break;
		if (!n)
			continue;
		q->arg_n = n;
		stats_f64(v, n, &q->min, &q->max, q->pct, q->hist);
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	sqlite3_finalize(st);
	free(v);
	return err;
}

/* ---- single spans ---- */

#define SPAN_SQL "SELECT id, CASE provider WHEN '' THEN name ELSE provider || ':' || name END, " \
		 "dur, start_ts, end_ts, tape, pid, tid, end_tid, depth, lost, unclosed, " \
		 "begin_event_id, end_event_id FROM spans WHERE id = ?"

static int span_fill(struct ctx *c, sqlite3_stmt *sp, sqlite3_stmt *ev, uint64_t id,
		     struct tt_report_span *s)
{
	char *a = NULL, *b = NULL;

	memset(s, 0, sizeof(*s));
	sqlite3_reset(sp);
	sqlite3_bind_int64(sp, 1, (int64_t)id);
	if (sqlite3_step(sp) != SQLITE_ROW) {
		sqlite3_reset(sp);
		return sql_err(c);
	}
	s->id = id;
	s->name = xstrdup((const char *)sqlite3_column_text(sp, 1));
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
		s->unclosed = xstrdup((const char *)sqlite3_column_text(sp, 11));
	{
		uint64_t be = (uint64_t)sqlite3_column_int64(sp, 12);
		int has_end = sqlite3_column_type(sp, 13) != SQLITE_NULL;
		uint64_t ee = (uint64_t)sqlite3_column_int64(sp, 13);

		sqlite3_reset(sp);
		a = event_text(c, ev, be, 0, NULL, NULL);
		b = has_end ? event_text(c, ev, ee, 0, NULL, NULL) : strdup("");
	}
	if (a && b)
		s->args = *b ? xasprintf("%s%s| %s", a, *a ? " " : "", b) : xstrdup(a);
	free(a);
	free(b);
	if (!s->name || !s->args)
		return -ENOMEM;
	return 0;
}

static int load_slowest(struct ctx *c)
{
	struct tt_report *r = c->r;
	sqlite3_stmt *sp = NULL, *ev = NULL;
	int err;

	/* the top-N kept by the pass over spans */
	err = prep(c, SPAN_SQL, &sp);
	if (!err)
		err = prep(c, EVENT_SQL, &ev);
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

static int load_open(struct ctx *c)
{
	struct tt_report *r = c->r;
	sqlite3_stmt *list = NULL, *sp = NULL, *ev = NULL, *thr = NULL, *back = NULL;
	uint64_t ids[1024];
	size_t n = 0;
	int err, rc;

	if (!r->open_total)
		return 0;
	err = prep(c, "SELECT id FROM spans WHERE unclosed IS NOT NULL ORDER BY start_ts, id LIMIT ?",
		   &list);
	if (!err)
		err = prep(c, SPAN_SQL, &sp);
	if (!err)
		err = prep(c, EVENT_SQL, &ev);
	if (!err)
		err = prep(c, "SELECT last_event_id FROM threads WHERE tape = ? AND pid = ? AND tid = ?", &thr);
	/* backwards from the thread's last event: rowid order is time order */
	if (!err)
		err = prep(c, "SELECT id FROM events WHERE id <= ?1 AND tid = ?2 AND pid = ?3 AND tape = ?4 "
			   "ORDER BY id DESC LIMIT ?5", &back);
	if (err)
		goto cleanup;
	sqlite3_bind_int(list, 1, (int)TT_MIN(c->o->top, TT_ARRAY_SIZE(ids)));
	while ((rc = sqlite3_step(list)) == SQLITE_ROW)
		ids[n++] = (uint64_t)sqlite3_column_int64(list, 0);
	if (rc != SQLITE_DONE) {
		err = sql_err(c);
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
			e->text = event_text(c, ev, e->id, 1, &e->tid, &e->ts);
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

/* ---- losses ---- */

static int load_losses(struct ctx *c)
{
	struct tt_report *r = c->r;
	sqlite3_stmt *st = NULL;
	int err = 0, rc;

	if (!r->loss_windows)
		return 0;
	err = prep(c, "SELECT tape, cpu, probe_id, ts_start, ts_end, count FROM losses "
		   "ORDER BY ts_start, id LIMIT ?", &st);
	if (err)
		return err;
	sqlite3_bind_int(st, 1, (int)c->o->top);
	r->losses = calloc(c->o->top, sizeof(*r->losses));
	if (!r->losses)
		err = -ENOMEM;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tt_report_loss *l = &r->losses[r->loss_cnt++];
		const struct pdesc *p = sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL
					: probe_of(c, sqlite3_column_int64(st, 2));

		l->tape = (uint32_t)sqlite3_column_int64(st, 0);
		l->cpu = (uint32_t)sqlite3_column_int64(st, 1);
		l->probe = xstrdup(p ? p->label : "(unknown probe)");
		l->ts_start = (uint64_t)sqlite3_column_int64(st, 3);
		l->ts_end = (uint64_t)sqlite3_column_int64(st, 4);
		l->count = (uint64_t)sqlite3_column_int64(st, 5);
		if (!l->probe)
			err = -ENOMEM;
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	sqlite3_finalize(st);
	st = NULL;
	if (err)
		return err;

	/* which statistics they touch: per probe counts, per span name the flagged spans */
	err = prep(c, "SELECT probe_id, sum(count), count(*) FROM losses GROUP BY probe_id "
		   "ORDER BY probe_id IS NULL, probe_id", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const struct pdesc *p = sqlite3_column_type(st, 0) == SQLITE_NULL ? NULL
					: probe_of(c, sqlite3_column_int64(st, 0));
		char cnt[32];

		tt_report_count(cnt, sizeof(cnt), (uint64_t)sqlite3_column_int64(st, 1), c->o->raw);
		if (p)
			err = push_str(&r->loss_effects, &r->loss_effect_cnt,
				       xasprintf("%s: %s events lost; its count and rate above are low "
						 "by that much%s", p->label, cnt,
						 p->span_probe ? ", and spans it starts or ends are missing "
								 "or left open" : ""));
		else
			err = push_str(&r->loss_effects, &r->loss_effect_cnt,
				       xasprintf("%s events of unknown probes lost: any count or rate "
						 "above may be low", cnt));
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	sqlite3_finalize(st);
	st = NULL;
	if (err)
		return err;
	for (size_t i = 0; i < c->ns_cnt && !err; i++) {
		const struct nstat *ns = &c->ns[i];
		char a[32], b[32];

		if (!ns->lost)
			continue;
		err = push_str(&r->loss_effects, &r->loss_effect_cnt,
			       xasprintf("%s%s%s: %s of %s spans overlap a loss window (spans.lost = 1): "
					 "their durations or pairing may be wrong; the percentiles "
					 "above include them", ns->provider, *ns->provider ? ":" : "", ns->name,
					 tt_report_count(a, sizeof(a), ns->lost, c->o->raw),
					 tt_report_count(b, sizeof(b), ns->n + ns->open, c->o->raw)));
	}
	return err;
}

/* ---- scatter points (HTML) ---- */

/* The points kept by the pass over spans become the report's series (moved, not copied). */
static int load_series(struct ctx *c)
{
	struct tt_report *r = c->r;

	r->series = calloc(c->ns_cnt ? c->ns_cnt : 1, sizeof(*r->series));
	if (!r->series)
		return -ENOMEM;
	for (size_t i = 0; i < c->ns_cnt; i++) {
		struct nstat *ns = &c->ns[i];
		struct tt_report_series *s = &r->series[r->series_cnt];

		if (!ns->pts_n)
			continue;
		s->name = ns->provider[0] ? xasprintf("%s:%s", ns->provider, ns->name) : xstrdup(ns->name);
		if (!s->name)
			return -ENOMEM;
		s->total = ns->n;
		s->n = ns->pts_n;
		s->ts = ns->pts_ts;
		s->dur = ns->pts_dur;
		ns->pts_ts = NULL;
		ns->pts_dur = NULL;
		r->series_cnt++;
	}
	return 0;
}

/* ---- the model ---- */

int tt_report__build(sqlite3 *db, const char *source, const struct tt_report_opts *o,
		     struct tt_report **rep)
{
	struct tt_report_opts opts = *o;
	struct ctx c = {.db = db, .o = &opts, .out = o->out};
	int err;

	*rep = NULL;
	if (!opts.top)
		opts.top = 10;
	if (!opts.last_events)
		opts.last_events = 5;
	if (!opts.points)
		opts.points = 1000;
	c.r = calloc(1, sizeof(*c.r));
	if (!c.r)
		return -ENOMEM;
	c.r->source = xstrdup(source);
	err = c.r->source ? check_schema(&c) : -ENOMEM;
	if (!err)
		err = load_probes(&c);
	if (!err)
		err = resolve_values(&c);
	if (!err)
		err = load_summary(&c);
	if (!err)
		err = load_groups(&c);
	if (!err)
		err = load_probe_stats(&c);
	if (!err)
		err = load_slowest(&c);
	if (!err)
		err = tt_report__kernel(db, c.r, o->out);
	if (!err)
		err = load_open(&c);
	if (!err)
		err = load_losses(&c);
	if (!err && opts.html_points)
		err = load_series(&c);
	for (size_t i = 0; i < c.probe_cap; i++) {
		free(c.probes[i].label);
		free(c.probes[i].provider);
		free(c.probes[i].name);
		for (int a = 0; a < TT_MAX_ARGS; a++) {
			free(c.probes[i].arg_names[a]);
			free(c.probes[i].kinds[a]);
		}
	}
	free(c.probes);
	for (size_t i = 0; i < c.ns_cnt; i++) {
		free(c.ns[i].name);
		free(c.ns[i].provider);
		free(c.ns[i].durs);
		free(c.ns[i].pts_ts);
		free(c.ns[i].pts_dur);
	}
	free(c.ns);
	tt_hidx_free(&c.ns_index);
	free(c.top);
	free(c.value_arg);
	if (err == -ENOMEM)
		tt_err(o->out, "out of memory");
	if (err) {
		tt_report__free(c.r);
		return err;
	}
	*rep = c.r;
	return 0;
}

static void span_free(struct tt_report_span *s)
{
	free(s->name);
	free(s->unclosed);
	free(s->args);
	for (size_t i = 0; i < s->last_n; i++)
		free(s->last[i].text);
	free(s->last);
}

void tt_report__free(struct tt_report *r)
{
	if (!r)
		return;
	free(r->source);
	free(r->hosts);
	for (size_t i = 0; i < r->warning_cnt; i++)
		free(r->warnings[i]);
	free(r->warnings);
	for (size_t i = 0; i < r->group_cnt; i++)
		group_free(&r->groups[i]);
	free(r->groups);
	for (size_t i = 0; i < r->probe_cnt; i++) {
		free(r->probes[i].provider);
		free(r->probes[i].name);
		free(r->probes[i].label);
		free(r->probes[i].names_arg);
		for (size_t k = 0; k < r->probes[i].name_cnt; k++)
			free(r->probes[i].names[k].value);
		free(r->probes[i].names);
		free(r->probes[i].arg);
	}
	free(r->probes);
	for (size_t i = 0; i < r->slow_cnt; i++)
		span_free(&r->slow[i]);
	free(r->slow);
	for (size_t i = 0; i < r->open_cnt; i++)
		span_free(&r->open[i]);
	free(r->open);
	for (size_t i = 0; i < r->loss_cnt; i++)
		free(r->losses[i].probe);
	free(r->losses);
	for (size_t i = 0; i < r->loss_effect_cnt; i++)
		free(r->loss_effects[i]);
	free(r->loss_effects);
	for (size_t i = 0; i < r->series_cnt; i++) {
		free(r->series[i].name);
		free(r->series[i].ts);
		free(r->series[i].dur);
	}
	free(r->series);
	for (size_t i = 0; i < r->kname_cnt; i++)
		free(r->knames[i].name);
	free(r->knames);
	free(r);
}

/* ---- text ---- */

char *tt_report_rel(char *buf, size_t sz, const struct tt_report *r, uint64_t ts, int raw)
{
	uint64_t d = ts > r->ts_first ? ts - r->ts_first : 0;

	if (raw)
		snprintf(buf, sz, "+%" PRIu64, d);
	else
		snprintf(buf, sz, "+%" PRIu64 ".%06" PRIu64 "s", d / 1000000000, d % 1000000000 / 1000);
	return buf;
}

uint64_t tt_report_hist_span(const uint64_t *hist, unsigned *first, unsigned *last)
{
	uint64_t max = 0;

	*first = TT_REPORT_BUCKETS;
	*last = 0;
	for (unsigned k = 0; k < TT_REPORT_BUCKETS; k++) {
		if (!hist[k])
			continue;
		*first = TT_MIN(*first, k);
		*last = k;
		max = TT_MAX(max, hist[k]);
	}
	return max;
}

static void text_hist(FILE *f, const uint64_t *hist, int is_dur, int raw)
{
	unsigned first, last;
	uint64_t max = tt_report_hist_span(hist, &first, &last);

	for (unsigned k = first; k <= last && max; k++) {
		char a[32], b[32], range[72];
		int bar = (int)((hist[k] * 40 + max - 1) / max);

		if (is_dur) {
			tt_report_dur(a, sizeof(a), (int64_t)tt_log2_bucket_lo(k), raw);
			if (k < 64)
				tt_report_dur(b, sizeof(b), (int64_t)tt_log2_bucket_lo(k + 1), raw);
			else
				snprintf(b, sizeof(b), "...");
		} else {
			snprintf(a, sizeof(a), "%" PRIu64, tt_log2_bucket_lo(k));
			if (k < 64)
				snprintf(b, sizeof(b), "%" PRIu64, tt_log2_bucket_lo(k + 1));
			else
				snprintf(b, sizeof(b), "...");
		}
		snprintf(range, sizeof(range), "[%s, %s)", a, b);
		fprintf(f, "  %-22s %10" PRIu64 " |%.*s%*s|\n", range, hist[k], bar,
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@", 40 - bar, "");
	}
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
		}
		if (r->groups_omitted)
			fprintf(f, "  (%zu more groups with fewer spans; --top N shows more)\n", r->groups_omitted);
	}
	if (r->kernel_states || r->kernel_syscalls)
		text_kernel(f, r, raw);

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

		fprintf(f, "\n%s: %s spans, duration\n", group_label(g, o, lbl, sizeof(lbl)),
			tt_report_count(a, sizeof(a), g->count, raw));
		text_hist(f, g->hist, 1, raw);
	}
	for (size_t i = 0; i < r->probe_cnt; i++) {
		const struct tt_report_probe *p = &r->probes[i];

		if (!p->arg || !p->arg_n)
			continue;
		fprintf(f, "\n%s: %s values of %s\n", p->label,
			tt_report_count(a, sizeof(a), p->arg_n, raw), p->arg);
		text_hist(f, p->hist, 0, raw);
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
