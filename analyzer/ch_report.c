/* SPDX-License-Identifier: MIT */
/*
 * The report of a ClickHouse database (ch_report.h). Each part of the model comes from a query
 * that does the work on the server, shaped after the SQLite build's (report.c, report_spans.c,
 * report_probes.c) so that the two give the same model for the same tapes:
 *
 *   - a distribution (a span name's durations, a probe argument's values, a --by group's) is
 *     two queries: one gives n, min, max, whether every value is an integer and the values at
 *     the nearest ranks the model needs (p5, p50, p90, p95, p99, p99.9 and the curve's), picked
 *     from the server's sorted array of the values at ranks computed in integers exactly as
 *     tt_pct_rank() does; the client chooses the bucket scheme from those (buckets.h), and the
 *     second query counts the values per bucket index, computed by the server from the bits of
 *     the IEEE double (exponent and mantissa), the same index frexp() gives buckets.c;
 *   - the slowest spans are an ORDER BY dur DESC, id LIMIT; the open ones ORDER BY start_ts, id;
 *     their events are fetched by id, and formatted as SQLite would show the values it stores;
 *   - --by groups by the start (else end) event's argument, joined on the server; statements
 *     are normalized here (tt_sql_normalize), so each distinct statement comes once with its
 *     count, and the busiest groups' distributions are then asked for by their raw values;
 *   - the HTML's points (every stride-th span of a name in id order) and heatmap cells are
 *     picked and counted on the server.
 *
 * Floating-point constants go into the SQL as their bits (reinterpretAsFloat64), never as
 * decimal text, and results come back in RowBinary, never as text: no value is rounded on the
 * way. The tail-capture counters and the stacks are summed and grouped on the server, and so
 * are the kernel breakdowns (thread_states, syscalls: where span time went), by the threads'
 * arrays of rows joined to their spans' windows (see build_kernel's section).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ch_http.h"
#include "ch_report.h"
#include "db_schema.h"
#include "report_model.h"
#include "report_window.h"
#include "sqlfuncs.h"
#include "tt_error.h"
#include "tt_names.h"
#include "tt_util.h"

#define BY_KEYS_MAX 8 /* as report_spans.c */
#define HEAT_BINS 60  /* as report_spans.c */
#define ZERO_SQL "toInt64(-9223372036854775807 - 1)" /* TT_BUCKET_ZERO */

struct chr {
	struct tt_report_builder b; /* b.db NULL; probes, value_arg, ns (durs unused), top */
	struct tt_ch_conn *c;
	char **ptype;               /* probes.kind by probe id */
	size_t ptype_cap;
	struct parg {               /* probe_args: for --by */
		int64_t probe_id;
		int idx;
		char *name, *column_name;
	} *args;
	size_t arg_cnt;
	struct tt_report_dist *nd;  /* per name (b.ns order): its distribution */
	char *tf, *tf_id;           /* --host: " AND tape IN (...)", " AND id IN (...)"; else "" */
	char *tf_ev, *tf_sp, *tf_loss; /* tf and --from/--to: of events, spans, losses */
	struct tt_report_window w;
	int has_argf;               /* events.argf<i>: float arguments as doubles (ch_load.c) */
	uint64_t queries, bytes;
};

static int window_summary(struct chr *x);

/* ---- results (RowBinary) ---- */

struct rd {
	struct tt_buf buf;
	const uint8_t *p, *end;
	int bad;
};

static const uint8_t *rd_take(struct rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		r->p = r->end;
		return NULL;
	}
	r->p += n;
	return p;
}

static uint64_t rd_u64(struct rd *r)
{
	const uint8_t *p = rd_take(r, 8);
	uint64_t v = 0;

	for (int i = 7; p && i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int64_t rd_i64(struct rd *r)
{
	return (int64_t)rd_u64(r);
}

static double rd_f64(struct rd *r)
{
	uint64_t u = rd_u64(r);
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static uint8_t rd_u8(struct rd *r)
{
	const uint8_t *p = rd_take(r, 1);

	return p ? *p : 0;
}

static uint64_t rd_leb(struct rd *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b = rd_u8(r);

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = 1;
	return 0;
}

/* A String: its bytes in the result (not NUL-terminated), *n of them. */
static const char *rd_bytes(struct rd *r, size_t *n)
{
	uint64_t len = rd_leb(r);
	const char *p = (const char *)rd_take(r, len);

	*n = p ? (size_t)len : 0;
	return p ? p : "";
}

/* A String as a new C string, or NULL without memory. */
static char *rd_str(struct rd *r)
{
	size_t n;
	const char *p = rd_bytes(r, &n);

	return strndup(p, n);
}

static void rd_free(struct rd *r)
{
	tt_buf_free(&r->buf);
}

/* ---- queries ---- */

/* Run sql (one SELECT, no FORMAT) into r, its rows in RowBinary. 0 or -TT_E_SERVER. */
static int query(struct chr *x, const char *sql, struct rd *r)
{
	struct tt_buf q = {0};
	int err;

	memset(r, 0, sizeof(*r));
	err = tt_buf_printf(&q, "%s FORMAT RowBinary", sql);
	if (!err)
		err = tt_ch_exec(x->c, (const char *)q.data, &r->buf, x->b.out);
	tt_buf_free(&q);
	x->queries++;
	x->bytes += r->buf.len;
	if (err)
		tt_buf_free(&r->buf);
	r->p = r->buf.data;
	r->end = r->p + r->buf.len;
	return err;
}

/* After reading r: an error when it ended early, or holds more than was read. */
static int rd_done(struct chr *x, struct rd *r)
{
	int bad = r->bad || r->p != r->end;

	rd_free(r);
	if (bad) {
		tt_err(x->b.out, "ClickHouse at %s: a reply of an unexpected shape", tt_ch_conn__name(x->c));
		return -TT_E_SERVER;
	}
	return 0;
}

/* Done with r after err (0: its rows were read, and must have been read whole). */
static int rd_end(struct chr *x, struct rd *r, int err)
{
	if (err) {
		rd_free(r);
		return err;
	}
	return rd_done(x, r);
}

/* Is there another row in r? */
static int rd_more(const struct rd *r)
{
	return !r->bad && r->p < r->end;
}

/* A double as an SQL expression of its exact bits. */
static int put_f64(struct tt_buf *b, double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return tt_buf_printf(b, "reinterpretAsFloat64(reinterpretAsString(toUInt64(%" PRIu64 ")))", u);
}

/*
 * The bucket index (buckets.h) of the Float64 expression e (never NULL) under scheme s. Log:
 * from the double's bits, e the exponent field less 1023 and the sub-bucket the top sub_bits of
 * the mantissa, which is what frexp() and the exact steps of tt_buckets_index() give; a
 * subnormal is scaled by 2^64 first (exact) and its exponent lowered by 64; +inf is the largest
 * double's bucket. Linear: floor((e - origin) / width), clamped as tt_buckets_index() clamps.
 */
static int put_index(struct tt_buf *b, const struct tt_buckets *s, const char *e)
{
	int S = 1 << s->sub_bits, err;

	if (s->kind == TT_BUCKETS_LINEAR) {
		struct tt_buf f = {0};

		err = tt_buf_printf(&f, "floor((%s - ", e);
		if (!err)
			err = put_f64(&f, s->origin);
		if (!err)
			err = tt_buf_printf(&f, ") / ");
		if (!err)
			err = put_f64(&f, s->width);
		if (!err)
			err = tt_buf_printf(&f, ")");
		if (!err)
			err = tt_buf_append(&f, "", 1);
		if (!err)
			err = tt_buf_printf(b, "multiIf(NOT (%s > -4e18), toInt64(-4000000000000000000), "
					    "%s < 4e18, toInt64(%s), toInt64(4000000000000000000))",
					    (const char *)f.data, (const char *)f.data, (const char *)f.data);
		tt_buf_free(&f);
		return err;
	}
#define BITS(v) "reinterpretAsUInt64(reinterpretAsString(toFloat64(" v ")))"
	{
		char raw[1024], scaled[1024];

		if (strlen(e) > 900)
			return -EINVAL;
		snprintf(raw, sizeof(raw), BITS("%s"), e);
		snprintf(scaled, sizeof(scaled), BITS("(%s) * exp2(64)"), e);
		return tt_buf_printf(b, "multiIf(NOT (%s > 0), " ZERO_SQL ", "
				     "bitShiftRight(%s, 52) = 2047, toInt64(%d), "
				     "bitShiftRight(%s, 52) = 0, (toInt64(bitShiftRight(%s, 52)) - 1087) * %d "
				     "+ toInt64(bitShiftRight(bitAnd(%s, 4503599627370495), %d)), "
				     "(toInt64(bitShiftRight(%s, 52)) - 1023) * %d "
				     "+ toInt64(bitShiftRight(bitAnd(%s, 4503599627370495), %d)))",
				     e, raw, 1023 * S + S - 1, raw, scaled, S, scaled, 52 - s->sub_bits,
				     raw, S, raw, 52 - s->sub_bits);
	}
#undef BITS
}

/* The nearest rank of pct (millionths of a percent) among n, as tt_pct_rank() in integers. */
#define RANK_SQL "greatest(1, p * intDiv(n, 100000000) + intDiv(p * (n %% 100000000) + 99999999, 100000000))"

static const uint64_t pct_micro[TT_REPORT_PCTS] = {50000000, 90000000, 99000000, 99900000};
#define CURVE_MAX 36

/*
 * The distribution (report_model.h, as tt_report_dist() makes it) of the Float64 expression x
 * (NULLs ignored) over `from` (a FROM clause with its WHERE). Two queries: the order statistics,
 * then the bucket counts in the scheme they choose. 0, -ENOMEM or -TT_E_SERVER.
 */
static int dist(struct chr *x, const char *from, const char *xe, struct tt_report_dist *d)
{
	uint64_t pcts[CURVE_MAX + TT_REPORT_PCTS + 2];
	double cv[CURVE_MAX];
	struct tt_buf q = {0};
	struct rd r;
	size_t np = 0, cn = 0, got;
	int err;

	memset(d, 0, sizeof(*d));
	for (int j = 0; j < CURVE_MAX; j++)
		pcts[np++] = (uint64_t)llround(1e8 * (1 - pow(10, -(double)j / 4)));
	for (int k = 0; k < TT_REPORT_PCTS; k++)
		pcts[np++] = pct_micro[k];
	pcts[np++] = 5000000;
	pcts[np++] = 95000000;
	err = tt_buf_printf(&q, "SELECT n, mn, mx, ig, length(s), arrayMap(p -> s[" RANK_SQL "], [");
	for (size_t i = 0; !err && i < np; i++)
		err = tt_buf_printf(&q, "%stoUInt64(%" PRIu64 ")", i ? ", " : "", pcts[i]);
	if (!err)
		err = tt_buf_printf(&q, "]) FROM (SELECT toUInt64(count(%s)) AS n, toFloat64(ifNull(min(%s), 0)) "
				    "AS mn, toFloat64(ifNull(max(%s), 0)) AS mx, toUInt8(ifNull(min(%s = "
				    "floor(%s)), 1)) AS ig, arraySort(groupArray(toFloat64(%s))) AS s %s)",
				    xe, xe, xe, xe, xe, xe, from);
	if (!err)
		err = tt_buf_append(&q, "", 1);
	if (!err)
		err = query(x, (const char *)q.data, &r);
	tt_buf_free(&q);
	if (err)
		return err;
	d->st.n = rd_u64(&r);
	d->min = d->st.min = rd_f64(&r);
	d->max = d->st.max = rd_f64(&r);
	d->st.integer = rd_u8(&r);
	rd_u64(&r); /* length(s): named for the server's sake (a lambda's column is not enough) */
	got = (size_t)rd_leb(&r);
	if (got != np)
		r.bad = 1;
	for (size_t i = 0; i < np && !r.bad; i++) {
		double v = rd_f64(&r);

		if (i < CURVE_MAX)
			cv[i] = v;
		else if (i < CURVE_MAX + TT_REPORT_PCTS)
			d->pct[i - CURVE_MAX] = v;
		else if (i == CURVE_MAX + TT_REPORT_PCTS)
			d->st.p5 = v;
		else
			d->st.p95 = v;
	}
	err = rd_done(x, &r);
	if (err || !d->st.n) {
		d->st.n = 0;
		return err;
	}
	for (int j = 0; j < CURVE_MAX && pow(10, j / 4.0) <= (double)d->st.n; j++)
		cn++;
	d->curve.pct = malloc((cn + 1) * sizeof(*d->curve.pct));
	d->curve.v = malloc((cn + 1) * sizeof(*d->curve.v));
	if (!d->curve.pct || !d->curve.v) {
		tt_report_dist_free(d);
		return -ENOMEM;
	}
	for (size_t j = 0; j < cn; j++) {
		d->curve.pct[j] = pcts[j];
		d->curve.v[j] = cv[j];
	}
	d->curve.pct[cn] = 100000000;
	d->curve.v[cn] = d->max;
	d->curve.n = cn + 1;
	tt_buckets_choose(&d->hist.scheme, x->b.o->buckets, &d->st, 40, 24, 4096);

	/* the bucket counts */
	{
		char xnn[1100];

		snprintf(xnn, sizeof(xnn), "ifNull(toFloat64(%s), 0)", xe);
		err = tt_buf_printf(&q, "SELECT ");
		if (!err)
			err = put_index(&q, &d->hist.scheme, xnn);
		if (!err)
			err = tt_buf_printf(&q, " AS i, toUInt64(count()) %s AND (%s) IS NOT NULL GROUP BY i "
					    "ORDER BY i", from, xe);
		if (!err)
			err = tt_buf_append(&q, "", 1);
	}
	if (!err)
		err = query(x, (const char *)q.data, &r);
	tt_buf_free(&q);
	while (!err && rd_more(&r)) {
		struct tt_report_bucket bk;

		bk.idx = rd_i64(&r);
		bk.count = rd_u64(&r);
		err = tt_grow((void **)&d->hist.b, &(size_t){d->hist.n}, d->hist.n + 1, sizeof(bk));
		if (!err)
			d->hist.b[d->hist.n++] = bk;
	}
	err = rd_end(x, &r, err);
	if (err)
		tt_report_dist_free(d);
	return err;
}

/* ---- the capture ---- */

static int check_schema(struct chr *x)
{
	struct rd r;
	int64_t version = -1;
	int err = query(x, "SELECT count() FROM system.columns WHERE database = currentDatabase() AND "
			"table = 'events' AND name = 'argf0'", &r);

	if (err)
		return err;
	x->has_argf = rd_u64(&r) > 0;
	rd_free(&r);
	err = query(x, "SELECT toInt64(ifNull(toInt64OrZero(toString(value)), 0)) FROM meta WHERE tape IS NULL AND "
		    "key = 'schema_version'", &r);
	if (err)
		return err;
	if (rd_more(&r))
		version = rd_i64(&r);
	rd_free(&r);
	if (version < 1) {
		tt_err(x->b.out, "'%s' is not a tracetape database (no schema_version in a meta table)",
		       x->b.r->source);
		return -TT_E_BAD_MAGIC;
	}
	if (version > TT_DB_SCHEMA_VERSION) {
		tt_err(x->b.out, "'%s' has schema version %d; this tracetape reads up to version %d",
		       x->b.r->source, (int)version, TT_DB_SCHEMA_VERSION);
		return -TT_E_VERSION;
	}
	return 0;
}

/* Probe names, argument names and kinds (probes, probe_args: small, whole on every shard). */
static int load_probes(struct chr *x)
{
	struct tt_report_builder *c = &x->b;
	struct rd r;
	char *sql = tt_report_asprintf("SELECT id, provider, name, toInt64(argc), kind FROM probes WHERE 1%s "
				       "ORDER BY id", x->tf);
	int err = sql ? query(x, sql, &r) : -ENOMEM;

	free(sql);

	while (!err && rd_more(&r)) {
		int64_t id = rd_i64(&r);
		char *provider = rd_str(&r), *name = rd_str(&r);
		int64_t argc = rd_i64(&r);
		char *kind = rd_str(&r);
		struct tt_report_pdesc *p;

		if (!provider || !name || !kind)
			err = -ENOMEM;
		else if (id >= 1 && id <= (1 << 24) && !r.bad)
			err = tt_grow((void **)&c->probes, &c->probe_cap, (size_t)id + 1, sizeof(*c->probes));
		else
			id = 0;
		if (!err && id)
			err = tt_grow((void **)&x->ptype, &x->ptype_cap, (size_t)id + 1, sizeof(*x->ptype));
		if (!err && id) {
			p = &c->probes[id];
			p->provider = provider;
			p->name = name;
			p->label = tt_probe_label(provider, name, (unsigned)TT_MAX(tt_probe_type_parse(kind), 0));
			p->argc = (uint8_t)TT_MIN(TT_MAX(argc, 0), TT_MAX_ARGS);
			p->span_probe = tt_report_span_probe(name, kind);
			x->ptype[id] = kind;
			provider = name = kind = NULL;
			if (!p->label)
				err = -ENOMEM;
		}
		free(provider);
		free(name);
		free(kind);
	}
	err = rd_end(x, &r, err);
	if (err)
		return err;
	err = query(x, "SELECT probe_id, toInt64(idx), column_name, kind, ifNull(name, '') FROM probe_args", &r);
	while (!err && rd_more(&r)) {
		int64_t id = rd_i64(&r), idx = rd_i64(&r);
		char *col = rd_str(&r), *kind = rd_str(&r), *name = rd_str(&r);
		struct parg *a;

		if (!col || !kind || !name ||
		    tt_grow((void **)&x->args, &(size_t){x->arg_cnt}, x->arg_cnt + 1, sizeof(*x->args))) {
			free(col);
			free(kind);
			free(name);
			err = -ENOMEM;
			break;
		}
		a = &x->args[x->arg_cnt++];
		a->probe_id = id;
		a->idx = (int)idx;
		a->name = name;
		a->column_name = NULL;
		if (id < 1 || (size_t)id >= c->probe_cap || idx < 0 || idx >= TT_MAX_ARGS ||
		    c->probes[id].arg_names[idx]) {
			a->column_name = col;
			free(kind);
			continue;
		}
		c->probes[id].arg_names[idx] = col;
		c->probes[id].kinds[idx] = kind;
		a->column_name = strdup(col);
		if (!a->column_name)
			err = -ENOMEM;
	}
	err = rd_end(x, &r, err);
	return err;
}

static int load_summary(struct chr *x)
{
	struct tt_report *r = x->b.r;
	struct tt_buf hosts = {0};
	char *sql = tt_report_asprintf("SELECT toUInt64(count()), toInt64(ifNull(min(ts_first), 0)), "
		    "toInt64(ifNull(max(ts_last), 0)), toInt64(sum(events)), toInt64(sum(lost)), "
		    "toInt64(ifNull(argMin(wall_offset_ns, id), 0)), "
		    "(SELECT toUInt64(count()) FROM losses WHERE 1%s), "
		    "(SELECT toUInt64(count()) FROM spans WHERE unclosed IS NOT NULL%s) FROM tapes WHERE 1%s",
		    x->tf_loss, x->tf_sp, x->tf_id);
	struct rd q;
	int err = sql ? query(x, sql, &q) : -ENOMEM;

	free(sql);
	if (err)
		return err;
	r->tapes = (uint32_t)rd_u64(&q);
	r->ts_first = (uint64_t)rd_i64(&q);
	r->ts_last = (uint64_t)rd_i64(&q);
	r->duration_ns = r->ts_last > r->ts_first ? r->ts_last - r->ts_first : 0;
	r->events = (uint64_t)rd_i64(&q);
	r->lost_events = (uint64_t)rd_i64(&q);
	r->wall_offset_ns = rd_i64(&q);
	r->loss_windows = rd_u64(&q);
	r->open_total = rd_u64(&q);
	err = rd_done(x, &q);
	if (!err && x->w.set)
		err = window_summary(x);
	/* distinct hosts in the order of the tapes */
	sql = err ? NULL : tt_report_asprintf("SELECT host FROM (SELECT assumeNotNull(host) AS host, min(id) "
						 "AS first FROM tapes WHERE host IS NOT NULL%s GROUP BY host) "
						 "ORDER BY first", x->tf_id);
	if (!err)
		err = sql ? query(x, sql, &q) : -ENOMEM;
	free(sql);
	while (!err && rd_more(&q)) {
		size_t n;
		const char *h = rd_bytes(&q, &n);

		err = tt_buf_printf(&hosts, "%s%.*s", hosts.len ? ", " : "", (int)n, h);
	}
	if (!err)
		err = rd_done(x, &q);
	if (!err) {
		r->hosts = hosts.len ? strndup((const char *)hosts.data, hosts.len) : strdup("");
		err = r->hosts ? 0 : -ENOMEM;
	}
	tt_buf_free(&hosts);
	if (!err)
		err = query(x, "SELECT ifNull(value, '') FROM meta WHERE tape IS NULL AND key = 'warning'", &q);
	while (!err && rd_more(&q))
		err = tt_report_push_str(&r->warnings, &r->warning_cnt, rd_str(&q));
	if (!err)
		err = rd_done(x, &q);
	return err;
}

/* ---- spans ---- */

static int nstat_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tt_report_nstat *)a)->name, ((const struct tt_report_nstat *)b)->name);
}

/* A FROM clause: the closed spans of one name. */
static char *name_from(const struct chr *x, const char *name)
{
	struct tt_buf b = {0};

	if (tt_buf_printf(&b, "FROM spans WHERE dur IS NOT NULL%s AND name = ", x->tf_sp) || tt_ch_quote(&b, name) ||
	    tt_buf_append(&b, "", 1)) {
		tt_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

/* Per name: closed, open and lost counts, the distribution; then the slowest spans' ids. */
static int scan_names(struct chr *x)
{
	struct tt_report_builder *c = &x->b;
	char *sql = tt_report_asprintf("SELECT name, argMin(provider, id), toUInt64(count(dur)), "
				       "toUInt64(countIf(dur IS NULL)), toUInt64(countIf(lost != 0)) FROM spans "
				       "WHERE 1%s GROUP BY name", x->tf_sp);
	struct rd r;
	int err = sql ? query(x, sql, &r) : -ENOMEM;

	free(sql);

	while (!err && rd_more(&r)) {
		struct tt_report_nstat *ns;

		err = tt_grow((void **)&c->ns, &c->ns_cap, c->ns_cnt + 1, sizeof(*c->ns));
		if (err)
			break;
		ns = &c->ns[c->ns_cnt++];
		ns->name = rd_str(&r);
		ns->provider = rd_str(&r);
		ns->n = (size_t)rd_u64(&r);
		ns->open = rd_u64(&r);
		ns->lost = rd_u64(&r);
		if (!ns->name || !ns->provider)
			err = -ENOMEM;
	}
	err = rd_end(x, &r, err);
	if (err)
		return err;
	if (c->ns_cnt)
		qsort(c->ns, c->ns_cnt, sizeof(*c->ns), nstat_cmp);
	x->nd = calloc(c->ns_cnt ? c->ns_cnt : 1, sizeof(*x->nd));
	if (!x->nd)
		return -ENOMEM;
	for (size_t i = 0; i < c->ns_cnt && !err; i++) {
		char *from;

		c->r->lost_spans += c->ns[i].lost;
		c->r->spans += c->ns[i].n + c->ns[i].open;
		if (!c->ns[i].n)
			continue;
		from = name_from(x, c->ns[i].name);
		err = from ? dist(x, from, "dur", &x->nd[i]) : -ENOMEM;
		free(from);
	}
	if (err)
		return err;
	/* the slowest: ties in span order, as the SQLite pass keeps them */
	c->top = calloc(c->o->top + 1, sizeof(*c->top));
	if (!c->top)
		return -ENOMEM;
	{
		char *q = tt_report_asprintf("SELECT assumeNotNull(dur), id FROM spans WHERE dur IS NOT NULL%s "
					     "ORDER BY dur DESC, id LIMIT %u", x->tf_sp, c->o->top);

		err = q ? query(x, q, &r) : -ENOMEM;
		free(q);
	}
	while (!err && rd_more(&r) && c->top_n < c->o->top) {
		c->top[c->top_n][0] = rd_i64(&r);
		c->top[c->top_n++][1] = rd_i64(&r);
	}
	return err ? err : rd_done(x, &r);
}

/* ---- --by ---- */

static int is_start_probe(const struct chr *x, int64_t id)
{
	static const char *const sfx[] = {"__begin", "__start", "__entry"};
	const char *name = x->b.probes[id].name;
	size_t len = strlen(name);

	for (size_t i = 0; i < TT_ARRAY_SIZE(sfx); i++)
		if (len > strlen(sfx[i]) && !strcmp(name + len - strlen(sfx[i]), sfx[i]))
			return 1;
	return (size_t)id < x->ptype_cap && x->ptype[id] && !strcmp(x->ptype[id], "go_entry");
}

static int is_float_kind(const char *k)
{
	return k && k[0] == 'f' && (k[1] == '3' || k[1] == '6');
}

/*
 * Append ", VALUE AS k<i>, FLOAT AS f<i>" for --by key `by` to cols: VALUE the argument's text
 * (NULL when the span has none; '<fault>' when it could not be read) from the start event (b_
 * columns) when its probe has the argument, else from the end event (e_), as report_spans.c
 * takes it; FLOAT 1 when that value is a float, which SQLite shows its own way. Sets *uses_end
 * when an end event may be needed; adds the probes with the argument to ids. Returns 0, 1 when
 * no probe has it, or -ENOMEM.
 */
static int by_cols(struct chr *x, const char *by, size_t i, struct tt_buf *cols, int *uses_end,
		   struct tt_buf *ids)
{
	struct tt_buf v[2] = {{0}}, f[2] = {{0}};
	int n = 0, err = 0;
	char argn[16];

	if (!strcmp(by, "key"))
		return tt_buf_printf(cols, ", toNullable(toString(key)) AS k%zu, toUInt8(0) AS f%zu", i, i);
	for (size_t a = 0; a < x->arg_cnt && !err; a++) {
		const struct parg *pa = &x->args[a];
		const struct tt_report_pdesc *p = tt_report_builder__probe(&x->b, pa->probe_id);

		snprintf(argn, sizeof(argn), "arg%d", pa->idx);
		if (!p || (strcmp(pa->name, by) && strcmp(pa->column_name, by) && strcmp(argn, by)))
			continue;
		*uses_end |= !is_start_probe(x, pa->probe_id);
		for (int k = 0; k < 2 && !err; k++) {
			const char *pre = k ? "e_" : "b_", *which = k ? "end" : "begin";

			err = tt_buf_printf(&v[k], "%s_probe_id = %" PRId64 ", if(bitAnd(bitShiftRight(%sfault, "
					    "%d), 1) = 1, '<fault>', %sarg%d), ", which, pa->probe_id, pre, pa->idx,
					    pre, pa->idx);
			if (!err)
				err = tt_buf_printf(&f[k], "%s_probe_id = %" PRId64 ", %d, ", which, pa->probe_id,
						    is_float_kind(p->kinds[pa->idx]));
		}
		if (!err)
			err = tt_buf_printf(ids, "%s%" PRId64, ids->len ? ", " : "", pa->probe_id);
		n++;
	}
	for (int k = 0; k < 2 && !err && n; k++)
		err = tt_buf_append(&v[k], "", 1) || tt_buf_append(&f[k], "", 1) ? -ENOMEM : 0;
	/* from the start event, else (coalesce) from the end event */
	if (!err && n && *uses_end)
		err = tt_buf_printf(cols, ", toNullable(toString(ifNull(multiIf(%sNULL), multiIf(%sNULL)))) AS k%zu, "
				    "toUInt8(ifNull(if(multiIf(%sNULL) IS NULL, multiIf(%s0), multiIf(%s0)), 0)) AS f%zu",
				    (char *)v[0].data, (char *)v[1].data, i, (char *)v[0].data,
				    (char *)f[1].data, (char *)f[0].data, i);
	else if (!err && n)
		err = tt_buf_printf(cols, ", toNullable(toString(multiIf(%sNULL))) AS k%zu, "
				    "toUInt8(multiIf(%s0)) AS f%zu", (char *)v[0].data, i, (char *)f[0].data, i);
	for (int k = 0; k < 2; k++) {
		tt_buf_free(&v[k]);
		tt_buf_free(&f[k]);
	}
	return err ? err : !n;
}

/* The columns of events joined to spans by the start (pre b_) or the end event (e_). */
static int event_join(struct tt_buf *q, const char *pre, const char *col, const char *ids)
{
	int err = tt_buf_printf(q, " ANY LEFT JOIN (SELECT id AS %s, fault AS %sfault", col, pre);

	for (int a = 0; !err && a < TT_MAX_ARGS; a++)
		err = tt_buf_printf(q, ", arg%d AS %sarg%d", a, pre, a);
	return err ? err : tt_buf_printf(q, " FROM events WHERE probe_id IN (%s)) USING %s", ids, col);
}

/*
 * The closed spans with their --by keys, as a subquery: name, id, dur, lost, k0, f0, k1, f1...
 * Sets *key_cnt and keys (pointing into by_copy). 0, -ENOMEM or -TT_E_USAGE (said).
 */
static int by_source(struct chr *x, char *by_copy, char **keys, size_t *key_cnt, struct tt_buf *src)
{
	const struct tt_report_builder *c = &x->b;
	struct tt_buf cols = {0}, ids = {0};
	char *save = NULL;
	int err = 0, uses_end = 0;

	*key_cnt = 0;
	for (char *k = strtok_r(by_copy, ",", &save); k && !err; k = strtok_r(NULL, ",", &save)) {
		if (*key_cnt == BY_KEYS_MAX) {
			tt_err(c->out, "--by %s: at most %d arguments", c->o->by, BY_KEYS_MAX);
			err = -TT_E_USAGE;
			break;
		}
		err = by_cols(x, k, *key_cnt, &cols, &uses_end, &ids);
		if (err == 1) {
			tt_err(c->out, "--by %s: no probe has an argument named '%s' (see the probe_args "
				       "table)", c->o->by, k);
			err = -TT_E_USAGE;
		}
		keys[(*key_cnt)++] = k;
	}
	if (!err && !*key_cnt) {
		tt_err(c->out, "--by '%s': name an argument (or several: A,B)", c->o->by);
		err = -TT_E_USAGE;
	}
	if (!err)
		err = tt_buf_append(&cols, "", 1) || tt_buf_append(&ids, "", 1) ? -ENOMEM : 0;
	if (!err)
		err = tt_buf_printf(src, "(SELECT name, id, dur, lost%s FROM (SELECT * FROM (SELECT id, name, "
				    "dur, lost, key, begin_event_id, end_event_id, begin_probe_id, end_probe_id "
				    "FROM spans WHERE dur IS NOT NULL%s)", (char *)cols.data, x->tf_sp);
	if (!err && ids.len > 1)
		err = event_join(src, "b_", "begin_event_id", (char *)ids.data);
	if (!err)
		err = tt_buf_printf(src, ")");
	if (!err && ids.len > 1 && uses_end)
		err = event_join(src, "e_", "end_event_id", (char *)ids.data);
	if (!err)
		err = tt_buf_printf(src, ")") || tt_buf_append(src, "", 1) ? -ENOMEM : 0;
	tt_buf_free(&cols);
	tt_buf_free(&ids);
	return err;
}

/* A set of spans with the same name and raw key values (a row of the --by query). */
struct braw {
	char *name;
	char *val;          /* the group's value as shown: normalized, joined by ", " */
	char *rawval;       /* as recorded */
	struct tt_buf cond; /* SQL: a span has these raw values */
	uint64_t n, lost;
	int64_t first;      /* the first span's id */
};

static int braw_cmp(const void *a, const void *b)
{
	const struct braw *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->val, y->val);
}

/* SQLite's text of a REAL (what it shows for a float argument's value). */
static char *float_text(const char *s, size_t n)
{
	char buf[64], *t, *res;

	snprintf(buf, sizeof(buf), "%.*s", (int)TT_MIN(n, sizeof(buf) - 1), s);
	t = sqlite3_mprintf("%!.15g", strtod(buf, NULL));
	res = t ? strdup(t) : NULL;
	sqlite3_free(t);
	return res;
}

/* Key i's value v (vn bytes; NULL: none) of raw set w, as SQLite shows it and as a condition. */
static int braw_key(struct braw *w, size_t i, const char *key, const char *v, size_t vn, int is_float,
		    struct tt_buf *val, struct tt_buf *rv)
{
	const char *sep = i ? ", " : "";
	char *text = !v ? NULL : is_float ? float_text(v, vn) : strndup(v, vn);
	char *norm = text && tt_report_by_is_sql(key) ? tt_sql_normalize(text) : NULL;
	char *lit = v ? strndup(v, vn) : NULL;
	int err = (v && (!text || !lit)) || (text && tt_report_by_is_sql(key) && !norm) ? -ENOMEM : 0;

	if (!err)
		err = tt_buf_printf(val, "%s%s", sep, norm ? norm : text ? text : "(none)");
	if (!err)
		err = tt_buf_printf(rv, "%s%s", sep, text ? text : "(none)");
	if (!err)
		err = tt_buf_printf(&w->cond, "%s%sk%zu%s", i ? " AND " : "(", v ? "" : "isNull(", i,
				    v ? " = " : ")");
	if (!err && v)
		err = tt_ch_quote(&w->cond, lit);
	free(text);
	free(norm);
	free(lit);
	return err;
}

/* The raw sets of spans: *raw, *raw_n, sorted by name and shown value. */
static int by_raw(struct chr *x, const char *src, char *const *keys, size_t key_cnt,
		  struct braw **raw, size_t *raw_n)
{
	struct tt_buf q = {0}, val = {0}, rv = {0};
	struct rd rd;
	int err = tt_buf_printf(&q, "SELECT name");

	for (size_t i = 0; !err && i < key_cnt; i++)
		err = tt_buf_printf(&q, ", k%zu, f%zu", i, i);
	if (!err)
		err = tt_buf_printf(&q, ", toUInt64(count()), toUInt64(countIf(lost != 0)), toInt64(min(id)) "
				    "FROM %s GROUP BY name", src);
	for (size_t i = 0; !err && i < key_cnt; i++)
		err = tt_buf_printf(&q, ", k%zu, f%zu", i, i);
	if (!err)
		err = tt_buf_append(&q, "", 1);
	if (!err)
		err = query(x, (const char *)q.data, &rd);
	while (!err && rd_more(&rd)) {
		struct braw *w;

		err = tt_grow((void **)raw, &(size_t){*raw_n}, *raw_n + 1, sizeof(**raw));
		if (err)
			break;
		w = &(*raw)[(*raw_n)++];
		memset(w, 0, sizeof(*w));
		val.len = rv.len = 0;
		w->name = rd_str(&rd);
		for (size_t i = 0; i < key_cnt && !err; i++) {
			size_t vn = 0;
			const char *v = rd_u8(&rd) ? NULL : rd_bytes(&rd, &vn);

			err = braw_key(w, i, keys[i], v, vn, rd_u8(&rd), &val, &rv);
		}
		w->n = rd_u64(&rd);
		w->lost = rd_u64(&rd);
		w->first = rd_i64(&rd);
		if (!err)
			err = tt_buf_printf(&w->cond, ")") || tt_buf_append(&w->cond, "", 1) ? -ENOMEM : 0;
		w->val = err ? NULL : strndup((const char *)val.data, val.len);
		w->rawval = err ? NULL : strndup((const char *)rv.data, rv.len);
		if (!err && (!w->name || !w->val || !w->rawval))
			err = -ENOMEM;
	}
	err = rd_end(x, &rd, err);
	tt_buf_free(&q);
	tt_buf_free(&val);
	tt_buf_free(&rv);
	if (!err && *raw_n)
		qsort(*raw, *raw_n, sizeof(**raw), braw_cmp);
	return err;
}

/* One --by group: the raw sets raw[from..to) (sorted: one name and shown value). */
struct bgrp {
	size_t from, to, first; /* first: the set with the group's first span */
	uint64_t n, lost;
};

/* The busiest first, then by name and value (report_spans.c's order); raw is the sets. */
static int bgrp_cmp(const void *a, const void *b, void *raw)
{
	const struct bgrp *x = a, *y = b;
	const struct braw *w = raw;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return braw_cmp(&w[x->from], &w[y->from]);
}

/* The distribution and the group of g: over the spans of any of its raw sets. */
static int by_group(struct chr *x, const char *src, const struct braw *raw, const struct bgrp *g)
{
	const struct tt_report_builder *c = &x->b;
	const struct braw *w0 = &raw[g->first];
	const struct tt_report_nstat *ns = NULL;
	struct tt_report_dist d;
	struct tt_buf from = {0};
	struct tt_report_group *grp;
	int err;

	for (size_t i = 0; i < c->ns_cnt; i++)
		if (!strcmp(c->ns[i].name, w0->name))
			ns = &c->ns[i];
	err = tt_buf_printf(&from, "FROM %s WHERE name = ", src);
	if (!err)
		err = tt_ch_quote(&from, w0->name);
	if (!err)
		err = tt_buf_printf(&from, " AND (");
	for (size_t i = g->from; !err && i < g->to; i++)
		err = tt_buf_printf(&from, "%s%s", i > g->from ? " OR " : "", (const char *)raw[i].cond.data);
	if (!err)
		err = tt_buf_printf(&from, ")") || tt_buf_append(&from, "", 1) ? -ENOMEM : 0;
	if (!err)
		err = dist(x, (const char *)from.data, "dur", &d);
	tt_buf_free(&from);
	if (err)
		return err;
	err = tt_report_group_add(x->b.r, w0->name, ns ? ns->provider : "", w0->val, g->n, g->lost, 0, &d);
	tt_report_dist_free(&d);
	/* a statement normalized: the first one as recorded stands for the group */
	grp = &c->r->groups[c->r->group_cnt - 1];
	if (!err && strcmp(w0->rawval, w0->val)) {
		grp->example = strdup(w0->rawval);
		err = grp->example ? 0 : -ENOMEM;
	}
	return err;
}

/*
 * --by: the spans grouped on the server by name and raw key values (count, lost, first id);
 * each set's values made what the SQLite report shows (statements normalized, floats as SQLite
 * prints them), sets with the same shown value merged into one group here; then the busiest
 * --top groups' distributions, each over the spans of its sets.
 */
static int groups_by(struct chr *x)
{
	struct tt_report_builder *c = &x->b;
	struct tt_buf src = {0};
	struct braw *raw = NULL;
	struct bgrp *grp = NULL;
	size_t raw_n = 0, grp_n = 0, key_cnt = 0;
	char *keys[BY_KEYS_MAX], *copy = strdup(c->o->by);
	int err = copy ? by_source(x, copy, keys, &key_cnt, &src) : -ENOMEM;

	if (!err)
		err = by_raw(x, (const char *)src.data, keys, key_cnt, &raw, &raw_n);
	for (size_t i = 0; i < raw_n && !err; i++) {
		struct bgrp *g;

		if (!i || braw_cmp(&raw[i - 1], &raw[i])) {
			err = tt_grow((void **)&grp, &(size_t){grp_n}, grp_n + 1, sizeof(*grp));
			if (err)
				break;
			grp[grp_n++] = (struct bgrp){.from = i, .first = i};
		}
		g = &grp[grp_n - 1];
		g->to = i + 1;
		g->first = raw[i].first < raw[g->first].first ? i : g->first;
		g->n += raw[i].n;
		g->lost += raw[i].lost;
	}
	if (!err && grp_n)
		qsort_r(grp, grp_n, sizeof(*grp), bgrp_cmp, raw);
	for (size_t k = 0; k < grp_n && k < c->o->top && !err; k++)
		err = by_group(x, (const char *)src.data, raw, &grp[k]);
	if (!err && grp_n > c->o->top)
		c->r->groups_omitted = grp_n - c->o->top;
	for (size_t i = 0; i < raw_n; i++) {
		free(raw[i].name);
		free(raw[i].val);
		free(raw[i].rawval);
		tt_buf_free(&raw[i].cond);
	}
	free(raw);
	free(grp);
	free(copy);
	tt_buf_free(&src);
	return err;
}

static int build_groups(struct chr *x)
{
	struct tt_report_builder *c = &x->b;
	int err = scan_names(x);

	if (err || c->o->by)
		return err ? err : groups_by(x);
	for (size_t i = 0; i < c->ns_cnt && !err; i++) {
		const struct tt_report_nstat *ns = &c->ns[i];

		if (ns->n)
			err = tt_report_group_add(x->b.r, ns->name, ns->provider, NULL, ns->n, ns->lost, ns->open, &x->nd[i]);
	}
	return err;
}

/* ---- probes ---- */

/* The values of p's first C++ name argument by count (report_probes.c). */
static int probe_names(struct chr *x, int64_t id, const struct tt_report_pdesc *p,
		       struct tt_report_probe *q)
{
	char *sql;
	struct rd r;
	uint64_t listed = 0, total;
	int a, err;

	for (a = 0; a < p->argc && !(p->kinds[a] && !strcmp(p->kinds[a], "cxxname")); a++)
		;
	if (a == p->argc)
		return 0;
	q->names_arg = p->arg_names[a] ? tt_report_strdup(p->arg_names[a]) : tt_report_asprintf("arg%d", a);
	if (!q->names_arg)
		return -ENOMEM;
	sql = tt_report_asprintf("SELECT toUInt64(count()) FROM events WHERE probe_id = %" PRId64 "%s", id,
				 x->tf_ev);
	err = sql ? query(x, sql, &r) : -ENOMEM;
	free(sql);
	if (err)
		return err;
	total = rd_u64(&r);
	err = rd_done(x, &r);
	sql = err ? NULL : tt_report_asprintf("SELECT if(bitAnd(bitShiftRight(fault, %d), 1) = 1, '<fault>', "
		 "arg%d) AS v, toUInt64(count()) AS k FROM events WHERE probe_id = %" PRId64 "%s GROUP BY v "
		 "ORDER BY k DESC, v NULLS FIRST LIMIT %u", a, a, id, x->tf_ev, x->b.o->top);
	if (!err)
		err = sql ? query(x, sql, &r) : -ENOMEM;
	free(sql);
	while (!err && rd_more(&r)) {
		char *v = rd_u8(&r) ? strdup("") : rd_str(&r);
		uint64_t n = rd_u64(&r);

		err = tt_grow((void **)&q->names, &(size_t){q->name_cnt}, q->name_cnt + 1, sizeof(*q->names));
		if (err || !v) {
			free(v);
			err = -ENOMEM;
			break;
		}
		q->names[q->name_cnt].value = v;
		q->names[q->name_cnt++].count = n;
		listed += n;
	}
	if (err) {
		rd_free(&r);
		return err;
	}
	q->names_other = total - listed;
	return rd_done(x, &r);
}

static int pdesc_cmp(const struct tt_report_pdesc *a, int64_t ia, const struct tt_report_pdesc *b,
		     int64_t ib)
{
	int c = strcmp(a->provider, b->provider);

	if (!c)
		c = strcmp(a->name, b->name);
	return c ? c : (ia > ib) - (ia < ib);
}

/* r->probes: per probe in provider, name and id order (report_probes.c). */
static int build_probes(struct chr *x)
{
	struct tt_report_builder *c = &x->b;
	struct tt_report *r = c->r;
	uint64_t *lost = calloc(c->probe_cap ? c->probe_cap : 1, sizeof(*lost));
	uint64_t *events = calloc(c->probe_cap ? c->probe_cap : 1, sizeof(*events));
	int64_t *ids = calloc(c->probe_cap ? c->probe_cap : 1, sizeof(*ids));
	size_t id_n = 0;
	struct rd rd;
	int err = lost && events && ids ? 0 : -ENOMEM;

	if (!err && x->w.set) {
		char *sql = tt_report_asprintf("SELECT probe_id, toInt64(count()) FROM events WHERE 1%s GROUP BY "
					       "probe_id", x->tf_ev);

		err = sql ? query(x, sql, &rd) : -ENOMEM;
		free(sql);
	} else if (!err) {
		err = query(x, "SELECT id, toInt64(events) FROM probes", &rd);
	}
	while (!err && rd_more(&rd)) {
		int64_t id = rd_i64(&rd), n = rd_i64(&rd);

		if (tt_report_builder__probe(c, id))
			events[id] = (uint64_t)n;
	}
	if (!err)
		err = rd_done(x, &rd);
	if (!err) {
		char *sql = tt_report_asprintf("SELECT assumeNotNull(probe_id), toInt64(sum(count)) FROM losses "
					       "WHERE probe_id IS NOT NULL%s GROUP BY probe_id", x->tf_loss);

		err = sql ? query(x, sql, &rd) : -ENOMEM;
		free(sql);
	}
	while (!err && rd_more(&rd)) {
		int64_t id = rd_i64(&rd), n = rd_i64(&rd);

		if (tt_report_builder__probe(c, id))
			lost[id] = (uint64_t)n;
	}
	if (!err)
		err = rd_done(x, &rd);
	for (size_t id = 1; id < c->probe_cap && !err; id++) {
		size_t k = id_n++;

		if (!tt_report_builder__probe(c, (int64_t)id)) {
			id_n--;
			continue;
		}
		for (; k > 0 && pdesc_cmp(&c->probes[ids[k - 1]], ids[k - 1], &c->probes[id], (int64_t)id) > 0; k--)
			ids[k] = ids[k - 1];
		ids[k] = (int64_t)id;
	}
	for (size_t i = 0; i < id_n && !err; i++) {
		int64_t id = ids[i];
		const struct tt_report_pdesc *p = &c->probes[id];
		struct tt_report_probe *q;
		int arg;

		err = tt_report_builder__probe_add(c, id, events[id], lost[id], &arg);
		if (err)
			break;
		q = &r->probes[r->probe_cnt - 1];
		if (!q->count)
			continue;
		err = probe_names(x, id, p, q);
		if (err)
			break;
		if (arg < 0)
			continue;
		{
			/* the values as SQLite holds them: integers converted to double, reals as such */
			char from[96], xe[64], *fw;
			struct tt_report_dist d;

			snprintf(from, sizeof(from), "FROM events WHERE probe_id = %" PRId64, id);
			if (q->arg_is_real && x->has_argf) /* an older load's rows: only text */
				snprintf(xe, sizeof(xe), "ifNull(argf%d, toFloat64OrNull(arg%d))", arg, arg);
			else
				snprintf(xe, sizeof(xe), q->arg_is_real ? "toFloat64OrNull(arg%d)"
					 : "toFloat64(toInt64OrNull(arg%d))", arg);
			fw = tt_report_asprintf("%s%s", from, x->tf_ev);
			err = fw ? dist(x, fw, xe, &d) : -ENOMEM;
			free(fw);
			if (err || !d.st.n)
				continue;
			tt_report_probe_dist(q, &d);
		}
	}
	free(lost);
	free(events);
	free(ids);
	return err;
}

/* ---- single spans and events ---- */

/* Append value v (n bytes; NULL: SQL NULL) of an argument of kind to b as SQLite shows it. */
static int append_value(struct tt_buf *b, const char *kind, const char *v, size_t n)
{
	char num[64];

	if (!v)
		return tt_buf_printf(b, "NULL");
	if (is_float_kind(kind)) {
		snprintf(num, sizeof(num), "%.*s", (int)TT_MIN(n, sizeof(num) - 1), v);
		return tt_buf_printf(b, "%.6g", strtod(num, NULL));
	}
	if (!kind || (strcmp(kind, "str") && strcmp(kind, "bytes") && strcmp(kind, "cxxname")))
		return tt_buf_append(b, v, n);
	if (!tt_db_utf8_ok((const uint8_t *)v, n))
		return tt_buf_printf(b, "<%zu bytes>", n);
	if (tt_buf_append(b, "\"", 1))
		return -ENOMEM;
	for (size_t i = 0; i < n && i < 60; i++) {
		unsigned char ch = (unsigned char)v[i];
		int err = ch == '"' || ch == '\\' ? tt_buf_printf(b, "\\%c", ch)
			: ch < 0x20 ? tt_buf_printf(b, "\\x%02x", ch) : tt_buf_append(b, &v[i], 1);

		if (err)
			return err;
	}
	return tt_buf_append(b, n > 60 ? "...\"" : "\"", n > 60 ? 4 : 1);
}

/* Events fetched by id: their text (tt_report_builder__event_text()'s), tid and ts. */
struct evt {
	int64_t id;
	uint32_t tid;
	uint64_t ts;
	char *args;   /* "name=value ..." */
	char *label;  /* borrowed */
};

static int evt_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct evt *)a)->id, y = ((const struct evt *)b)->id;

	return (x > y) - (x < y);
}

/* The events ids[0..n) (0s skipped) into *ev (sorted by id). */
static int fetch_events(struct chr *x, const int64_t *ids, size_t n, struct evt **ev, size_t *ev_n)
{
	struct tt_buf q = {0};
	struct rd r;
	int err = tt_buf_printf(&q, "SELECT id, probe_id, toInt64(tid), toInt64(ts), toInt64(fault)");
	size_t any = 0;

	*ev = NULL;
	*ev_n = 0;
	for (int a = 0; !err && a < TT_MAX_ARGS; a++)
		err = tt_buf_printf(&q, ", arg%d", a);
	if (!err)
		err = tt_buf_printf(&q, " FROM events WHERE id IN (");
	for (size_t i = 0; !err && i < n; i++)
		if (ids[i])
			err = tt_buf_printf(&q, "%s%" PRId64, any++ ? ", " : "", ids[i]);
	if (!err)
		err = tt_buf_printf(&q, ")") || tt_buf_append(&q, "", 1) ? -ENOMEM : 0;
	if (err || !any) {
		tt_buf_free(&q);
		return err;
	}
	err = query(x, (const char *)q.data, &r);
	tt_buf_free(&q);
	while (!err && rd_more(&r)) {
		struct tt_buf b = {0};
		struct evt *e;
		const struct tt_report_pdesc *p;
		int64_t fault;

		err = tt_grow((void **)ev, &(size_t){*ev_n}, *ev_n + 1, sizeof(**ev));
		if (err)
			break;
		e = &(*ev)[(*ev_n)++];
		memset(e, 0, sizeof(*e));
		e->id = rd_i64(&r);
		p = tt_report_builder__probe(&x->b, rd_i64(&r));
		e->tid = (uint32_t)rd_i64(&r);
		e->ts = (uint64_t)rd_i64(&r);
		fault = rd_i64(&r);
		e->label = p ? p->label : "?";
		for (int a = 0; a < TT_MAX_ARGS && !err; a++) {
			size_t vn = 0;
			const char *v = rd_u8(&r) ? NULL : rd_bytes(&r, &vn);
			char fallback[8];

			if (!p || a >= p->argc)
				continue;
			snprintf(fallback, sizeof(fallback), "arg%d", a);
			err = tt_buf_printf(&b, "%s%s=", b.len ? " " : "", p->arg_names[a] ? p->arg_names[a] : fallback);
			if (!err)
				err = fault >> a & 1 ? tt_buf_printf(&b, "<fault>") : append_value(&b, p->kinds[a], v, vn);
		}
		if (!err)
			err = tt_buf_append(&b, "", 1);
		e->args = (char *)b.data;
		if (err)
			tt_buf_free(&b), e->args = NULL;
	}
	err = rd_end(x, &r, err);
	if (!err && *ev_n)
		qsort(*ev, *ev_n, sizeof(**ev), evt_cmp);
	return err;
}

static const struct evt *evt_find(const struct evt *ev, size_t n, int64_t id)
{
	struct evt key = {.id = id};

	return id && n ? bsearch(&key, ev, n, sizeof(*ev), evt_cmp) : NULL;
}

static void evts_free(struct evt *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ev[i].args);
	free(ev);
}

/* Spans ids[0..n) into s[0..n), in that order, with their arguments. */
static int fetch_spans(struct chr *x, const int64_t *ids, size_t n, struct tt_report_span *s)
{
	struct tt_buf q = {0};
	int64_t *evids = calloc(2 * n + 1, sizeof(*evids));
	struct evt *ev = NULL;
	size_t ev_n = 0;
	struct rd r;
	int err = evids ? 0 : -ENOMEM;

	if (!err)
		err = tt_buf_printf(&q, "SELECT id, if(provider = '', name, concat(provider, ':', name)), "
				    "toUInt8(isNull(dur)), toInt64(ifNull(dur, 0)), toInt64(start_ts), "
				    "toInt64(ifNull(end_ts, 0)), toInt64(tape), toInt64(pid), toInt64(tid), "
				    "toInt64(ifNull(end_tid, 0)), toInt64(depth), toInt64(lost), "
				    "toUInt8(isNull(unclosed)), toString(ifNull(unclosed, '')), "
				    "toInt64(begin_event_id), toInt64(ifNull(end_event_id, 0)) FROM spans "
				    "WHERE id IN (");
	for (size_t i = 0; !err && i < n; i++)
		err = tt_buf_printf(&q, "%s%" PRId64, i ? ", " : "", ids[i]);
	if (!err)
		err = tt_buf_printf(&q, ")") || tt_buf_append(&q, "", 1) ? -ENOMEM : 0;
	if (!err)
		err = query(x, (const char *)q.data, &r);
	tt_buf_free(&q);
	while (!err && rd_more(&r)) {
		int64_t id = rd_i64(&r);
		struct tt_report_span t = {.id = (uint64_t)id};
		int open, unclosed_null;
		int64_t begin, end;
		size_t k;

		t.name = rd_str(&r);
		open = rd_u8(&r);
		t.dur = rd_i64(&r);
		t.dur = open ? -1 : t.dur;
		t.start_ts = (uint64_t)rd_i64(&r);
		t.end_ts = (uint64_t)rd_i64(&r);
		t.tape = (uint32_t)rd_i64(&r);
		t.pid = (uint32_t)rd_i64(&r);
		t.tid = (uint32_t)rd_i64(&r);
		t.end_tid = (uint32_t)rd_i64(&r);
		t.depth = (uint32_t)rd_i64(&r);
		t.lost = (int)rd_i64(&r);
		unclosed_null = rd_u8(&r);
		t.unclosed = rd_str(&r);
		if (t.unclosed && unclosed_null) {
			free(t.unclosed);
			t.unclosed = NULL;
		} else if (!t.unclosed) {
			err = -ENOMEM;
		}
		begin = rd_i64(&r);
		end = rd_i64(&r);
		for (k = 0; k < n && ids[k] != id; k++)
			;
		if (!t.name)
			err = -ENOMEM;
		if (k == n || err) {
			free(t.name);
			free(t.unclosed);
			continue;
		}
		s[k] = t;
		evids[2 * k] = begin;
		evids[2 * k + 1] = end;
	}
	err = rd_end(x, &r, err);
	if (!err)
		err = fetch_events(x, evids, 2 * n, &ev, &ev_n);
	for (size_t i = 0; i < n && !err; i++) {
		const struct evt *a = evt_find(ev, ev_n, evids[2 * i]), *b = evt_find(ev, ev_n, evids[2 * i + 1]);
		const char *at = a ? a->args : "", *bt = b ? b->args : "";

		if (!s[i].name) {
			tt_err(x->b.out, "span %" PRId64 " is not in the spans table", ids[i]);
			err = -TT_E_SERVER;
			break;
		}
		s[i].args = *bt ? tt_report_asprintf("%s%s| %s", at, *at ? " " : "", bt) : tt_report_strdup(at);
		if (!s[i].args)
			err = -ENOMEM;
	}
	evts_free(ev, ev_n);
	free(evids);
	return err;
}

static int build_slowest(struct chr *x)
{
	struct tt_report_builder *c = &x->b;
	struct tt_report *r = c->r;
	int64_t *ids;
	int err;

	if (!c->top_n)
		return 0;
	ids = calloc(c->top_n, sizeof(*ids));
	r->slow = calloc(c->top_n, sizeof(*r->slow));
	if (!ids || !r->slow) {
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->top_n; i++)
		ids[i] = c->top[i][1];
	r->slow_cnt = c->top_n;
	err = fetch_spans(x, ids, c->top_n, r->slow);
	free(ids);
	return err;
}

/* The oldest open spans, each with its thread's last events (report_spans.c). */
static int build_open(struct chr *x)
{
	struct tt_report_builder *c = &x->b;
	struct tt_report *r = c->r;
	int64_t ids[1024], *evids = NULL;
	size_t n = 0, ev_cnt = 0, last = TT_MIN(c->o->last_events, 64);
	struct evt *ev = NULL;
	size_t ev_n = 0;
	char sql[400];
	struct rd q;
	int err;

	if (!r->open_total)
		return 0;
	{
		char *list = tt_report_asprintf("SELECT id FROM spans WHERE unclosed IS NOT NULL%s ORDER BY "
						"start_ts, id LIMIT %zu", x->tf_sp,
						TT_MIN((size_t)c->o->top, TT_ARRAY_SIZE(ids)));

		err = list ? query(x, list, &q) : -ENOMEM;
		free(list);
	}
	while (!err && rd_more(&q) && n < TT_ARRAY_SIZE(ids))
		ids[n++] = rd_i64(&q);
	if (!err)
		err = rd_done(x, &q);
	if (err || !n)
		return err;
	r->open = calloc(n, sizeof(*r->open));
	evids = calloc(n * last + 1, sizeof(*evids));
	if (!r->open || !evids) {
		free(evids);
		return -ENOMEM;
	}
	r->open_cnt = n;
	err = fetch_spans(x, ids, n, r->open);
	for (size_t i = 0; i < n && !err; i++) {
		struct tt_report_span *s = &r->open[i];
		int64_t lastid = 0;

		snprintf(sql, sizeof(sql), "SELECT toInt64(last_event_id) FROM threads WHERE tape = %u AND "
			 "pid = %u AND tid = %u", s->tape, s->pid, s->tid);
		err = query(x, sql, &q);
		if (!err && rd_more(&q))
			lastid = rd_i64(&q);
		if (!err)
			rd_free(&q);
		if (err || !lastid)
			continue;
		/* backwards from the thread's last event: id order is time order */
		{
			char *back = tt_report_asprintf("SELECT id FROM events WHERE tape = %u AND pid = %u AND "
							"tid = %u AND id <= %" PRId64 "%s ORDER BY id DESC LIMIT %zu",
							s->tape, s->pid, s->tid, lastid, x->tf_ev, last);

			err = back ? query(x, back, &q) : -ENOMEM;
			free(back);
		}
		s->last = calloc(last ? last : 1, sizeof(*s->last));
		if (!s->last)
			err = err ? err : -ENOMEM;
		while (!err && rd_more(&q) && s->last_n < last) {
			s->last[s->last_n].id = (uint64_t)rd_i64(&q);
			evids[ev_cnt++] = (int64_t)s->last[s->last_n++].id;
		}
		err = rd_end(x, &q, err);
		/* oldest first */
		for (size_t a = 0, b = s->last_n; !err && b > a + 1; a++, b--) {
			struct tt_report_event t = s->last[a];

			s->last[a] = s->last[b - 1];
			s->last[b - 1] = t;
		}
	}
	if (!err)
		err = fetch_events(x, evids, ev_cnt, &ev, &ev_n);
	for (size_t i = 0; i < n && !err; i++) {
		for (size_t k = 0; k < r->open[i].last_n && !err; k++) {
			struct tt_report_event *e = &r->open[i].last[k];
			const struct evt *v = evt_find(ev, ev_n, (int64_t)e->id);

			e->tid = v ? v->tid : 0;
			e->ts = v ? v->ts : 0;
			e->text = v ? tt_report_asprintf("%s%s%s", v->label, *v->args ? " " : "", v->args) : strdup("");
			if (!e->text)
				err = -ENOMEM;
		}
	}
	evts_free(ev, ev_n);
	free(evids);
	return err;
}

/* ---- losses ---- */

static int build_losses(struct chr *x)
{
	struct tt_report_builder *c = &x->b;
	struct tt_report *r = c->r;
	char *sql;
	struct rd q;
	int err;

	if (!r->loss_windows)
		return 0;
	sql = tt_report_asprintf("SELECT toInt64(tape), toInt64(cpu), toUInt8(isNull(probe_id)), "
				 "toInt64(ifNull(probe_id, 0)), toInt64(ts_start), toInt64(ts_end), toInt64(count) "
				 "FROM losses WHERE 1%s ORDER BY ts_start, id LIMIT %u", x->tf_loss, c->o->top);
	r->losses = calloc(c->o->top, sizeof(*r->losses));
	err = r->losses && sql ? query(x, sql, &q) : -ENOMEM;
	free(sql);
	while (!err && rd_more(&q) && r->loss_cnt < c->o->top) {
		struct tt_report_loss *l = &r->losses[r->loss_cnt++];
		const struct tt_report_pdesc *p;
		int null;

		l->tape = (uint32_t)rd_i64(&q);
		l->cpu = (uint32_t)rd_i64(&q);
		null = rd_u8(&q);
		p = tt_report_builder__probe(c, rd_i64(&q));
		l->probe = tt_report_strdup(!null && p ? p->label : "(unknown probe)");
		l->ts_start = (uint64_t)rd_i64(&q);
		l->ts_end = (uint64_t)rd_i64(&q);
		l->count = (uint64_t)rd_i64(&q);
		if (!l->probe)
			err = -ENOMEM;
	}
	if (!err)
		err = rd_done(x, &q);
	sql = err ? NULL : tt_report_asprintf("SELECT toUInt8(isNull(probe_id)) AS u, toInt64(ifNull(probe_id, "
					     "0)) AS i, toInt64(sum(count)) FROM losses WHERE 1%s GROUP BY u, i "
					     "ORDER BY u, i", x->tf_loss);
	if (!err)
		err = sql ? query(x, sql, &q) : -ENOMEM;
	free(sql);
	while (!err && rd_more(&q)) {
		int null = rd_u8(&q);
		const struct tt_report_pdesc *p = tt_report_builder__probe(c, rd_i64(&q));

		err = tt_report_builder__loss_effect(c, null ? NULL : p, (uint64_t)rd_i64(&q));
	}
	if (!err)
		err = rd_done(x, &q);
	return err ? err : tt_report_builder__loss_names(c);
}

/* ---- latency over time (HTML) ---- */

static int build_series(struct chr *x)
{
	struct tt_report_builder *c = &x->b;
	struct tt_report *r = c->r;
	int err = 0;

	r->series = calloc(c->ns_cnt ? c->ns_cnt : 1, sizeof(*r->series));
	if (!r->series)
		return -ENOMEM;
	for (size_t i = 0; i < c->ns_cnt && !err; i++) {
		const struct tt_report_nstat *ns = &c->ns[i];
		const struct tt_report_dist *d = &x->nd[i];
		struct tt_report_series *s = &r->series[r->series_cnt];
		uint64_t stride = 1, max = 2 * (uint64_t)c->o->points;
		struct tt_buf q = {0};
		char *from;
		struct rd rd;
		size_t got;

		if (!ns->n)
			continue;
		/* every stride-th span in span order, stride the power of two the SQLite pass ends at */
		while ((ns->n + stride - 1) / stride > max)
			stride *= 2;
		s->name = ns->provider[0] ? tt_report_asprintf("%s:%s", ns->provider, ns->name)
					  : tt_report_strdup(ns->name);
		if (!s->name)
			return -ENOMEM;
		r->series_cnt++;
		s->total = ns->n;
		s->p50 = (int64_t)d->pct[0];
		s->p99 = (int64_t)d->pct[2];
		from = name_from(x, ns->name);
		err = from ? tt_buf_printf(&q, "SELECT length(a), arrayFilter((t, k) -> (k - 1) %% %" PRIu64 " = 0, "
					   "a, arrayEnumerate(a)) FROM (SELECT arraySort(groupArray((id, start_ts, "
					   "assumeNotNull(dur)))) AS a %s)", stride, from) : -ENOMEM;
		if (!err)
			err = tt_buf_append(&q, "", 1);
		if (!err)
			err = query(x, (const char *)q.data, &rd);
		tt_buf_free(&q);
		if (err) {
			free(from);
			break;
		}
		rd_u64(&rd);
		got = (size_t)rd_leb(&rd);
		s->ts = calloc(got ? got : 1, sizeof(*s->ts));
		s->dur = calloc(got ? got : 1, sizeof(*s->dur));
		if (!s->ts || !s->dur)
			err = -ENOMEM;
		for (size_t k = 0; k < got && !err && !rd.bad; k++) {
			uint64_t ts;

			rd_i64(&rd);
			ts = (uint64_t)rd_i64(&rd);
			s->ts[k] = ts > r->ts_first ? ts - r->ts_first : 0;
			s->dur[k] = rd_i64(&rd);
			s->n++;
		}
		if (!err)
			err = rd_done(x, &rd);
		else
			rd_free(&rd);
		if (!err && c->o->heatmap) {
			/* report_spans.c's heatmap: up to p99, coarser buckets, bins over the capture */
			struct tt_bucket_stats st = d->st;
			struct tt_buf idx = {0};
			int64_t top;

			st.max = d->pct[2];
			tt_buckets_choose(&s->heat_scheme, c->o->buckets, &st, 24, 12, 40);
			s->heat_bins = HEAT_BINS;
			s->heat_bin_ns = r->duration_ns / HEAT_BINS + 1;
			top = tt_buckets_index(&s->heat_scheme, st.max);
			err = put_index(&idx, &s->heat_scheme, "toFloat64(assumeNotNull(dur))");
			if (!err)
				err = tt_buf_append(&idx, "", 1);
			if (!err)
				err = tt_buf_printf(&q, "SELECT toUInt64(least(intDiv(toUInt64(if(start_ts > %" PRIu64
						    ", start_ts - %" PRIu64 ", 0)), %" PRIu64 "), 4294967295)) AS b, "
						    "least(%s, %" PRId64 ") AS i, toUInt64(count()), toUInt8(max(%s > "
						    "%" PRId64 ")) %s GROUP BY b, i ORDER BY b, i", r->ts_first,
						    r->ts_first, s->heat_bin_ns, (const char *)idx.data, top,
						    (const char *)idx.data, top, from);
			tt_buf_free(&idx);
			if (!err)
				err = tt_buf_append(&q, "", 1);
			if (!err)
				err = query(x, (const char *)q.data, &rd);
			tt_buf_free(&q);
			while (!err && rd_more(&rd)) {
				struct tt_report_cell cell;

				cell.bin = (uint32_t)rd_u64(&rd);
				cell.idx = rd_i64(&rd);
				cell.count = rd_u64(&rd);
				s->heat_top_open |= rd_u8(&rd);
				err = tt_grow((void **)&s->heat, &(size_t){s->heat_n}, s->heat_n + 1, sizeof(cell));
				if (!err)
					s->heat[s->heat_n++] = cell;
			}
			if (!err)
				err = rd_done(x, &rd);
			else
				rd_free(&rd);
		}
		free(from);
	}
	return err;
}

/* ---- the tail capture (record --keep) ---- */

/* One name's all-spans percentiles from keep_hist, and its kept spans' from spans (report_tail.c). */
static int tail_name(struct chr *x, struct tt_report_tail *t, const char *provider, const char *name)
{
	struct tt_buf cond = {0}, q = {0};
	struct tt_report_tail_hist *h = tt_report_tail_hist__new();
	struct tt_report_dist d;
	struct rd r;
	int err = h ? tt_buf_printf(&cond, "provider = ") : -ENOMEM;

	if (!err)
		err = tt_ch_quote(&cond, provider);
	if (!err)
		err = tt_buf_printf(&cond, " AND name = ");
	if (!err)
		err = tt_ch_quote(&cond, name);
	if (!err)
		err = tt_buf_append(&cond, "", 1);
	if (!err)
		err = tt_buf_printf(&q, "SELECT toInt64(bucket) AS k, toInt64(sum(count)) FROM keep_hist WHERE %s%s "
				    "GROUP BY k ORDER BY k", (const char *)cond.data, x->tf);
	if (!err)
		err = tt_buf_append(&q, "", 1);
	if (!err)
		err = query(x, (const char *)q.data, &r);
	while (!err && rd_more(&r)) {
		int64_t b = rd_i64(&r);

		tt_report_tail_hist__add(h, b, rd_i64(&r));
	}
	if (h)
		tt_report_tail_hist__done(h, t);
	err = rd_end(x, &r, err);
	q.len = 0;
	if (!err)
		err = tt_buf_printf(&q, "FROM spans WHERE %s AND end_ts IS NOT NULL%s", (const char *)cond.data,
				    x->tf_sp);
	if (!err)
		err = tt_buf_append(&q, "", 1);
	if (!err)
		err = dist(x, (const char *)q.data, "dur", &d);
	if (!err) {
		t->kept_n = d.st.n;
		for (int k = 0; k < TT_REPORT_PCTS; k++)
			t->kept_pct[k] = (int64_t)d.pct[k];
		t->kept_max = (int64_t)d.max;
		tt_report_dist_free(&d);
	}
	tt_buf_free(&cond);
	tt_buf_free(&q);
	return err;
}

static int table_rows(struct chr *x, const char *table, uint64_t *n);

/*
 * r->tail: per span name a --keep rule watched, its counters summed over the tapes (as
 * report_tail.c's). Not for a --from/--to window: they count the whole recording.
 */
static int build_tail(struct chr *x)
{
	uint64_t n;
	char *sql;
	struct rd r;
	int err = table_rows(x, "keep_spans", &n);

	if (!err && n && x->w.set)
		tt_warn(x->b.out, "%s: the tail-capture counters (record --keep) cover the whole recording: a "
			"report of a --from/--to window leaves them out", x->b.r->source);
	if (err || x->w.set || !n)
		return err;
	sql = tt_report_asprintf("SELECT provider, name, toUInt64(sum(seen)), toUInt64(sum(kept)), "
				 "toUInt64(sum(dropped)), toUInt64(sum(unclosed)) FROM keep_spans WHERE 1%s "
				 "GROUP BY provider, name ORDER BY provider, name", x->tf);
	err = sql ? query(x, sql, &r) : -ENOMEM;
	free(sql);
	if (err)
		return err;
	while (!err && rd_more(&r)) {
		char *provider = rd_str(&r), *name = rd_str(&r);
		uint64_t counters[4];
		struct tt_report_tail *t;

		for (int k = 0; k < 4; k++)
			counters[k] = rd_u64(&r);
		t = provider && name ? tt_report_tail_add(x->b.r, provider, name, counters) : NULL;
		err = t ? tail_name(x, t, provider, name) : -ENOMEM;
		free(provider);
		free(name);
	}
	return rd_end(x, &r, err);
}

/* ---- stacks (record --stack) ---- */

/*
 * r->stacks (report_stacks.c's two passes): each probe's stacks by hits, then each span name's
 * slowest --top closed spans' (by duration, ties in span order) by the stack of their start,
 * else end, event. ClickHouse 18.16 has one JOIN per SELECT, hence the nesting; a missing
 * stack joins as id 0. The right side of each join (held in memory) is event_stacks or
 * stacks, never events: a probe's events are those with a stack (IN, on each shard).
 */
static int build_stacks(struct chr *x)
{
	struct tt_report_stacks *s = &x->b.r->stacks;
	size_t cap = 0;
	uint64_t n;
	int err = table_rows(x, "event_stacks", &n);

	for (int pass = 0; pass < 2 && !err && n; pass++) {
		struct rd r;
		char *sql = pass ? tt_report_asprintf(
			"SELECT name, folded, toUInt64(count()) AS c, max(dur) AS m FROM (SELECT name, t.1 AS dur, "
			"t.3 AS stack_id FROM (SELECT name, arrayJoin(arraySlice(arraySort(e -> (-e.1, e.2), "
			"groupArray((dur, id, sid))), 1, %u)) AS t FROM (SELECT name, dur, id, if(bs != 0, bs, "
			"es) AS sid FROM (SELECT name, assumeNotNull(dur) AS dur, id, end_event_id, bs FROM "
			"(SELECT name, dur, id, begin_event_id, ifNull(end_event_id, 0) AS end_event_id FROM "
			"spans WHERE dur IS NOT NULL%s) ANY LEFT JOIN (SELECT event_id AS begin_event_id, "
			"stack_id AS bs FROM event_stacks) USING begin_event_id) ANY LEFT JOIN (SELECT event_id "
			"AS end_event_id, stack_id AS es FROM event_stacks) USING end_event_id WHERE sid != 0) "
			"GROUP BY name)) ANY INNER JOIN (SELECT id AS stack_id, folded FROM stacks) USING "
			"stack_id GROUP BY name, folded ORDER BY name, c DESC, m DESC, folded", x->b.o->top,
			x->tf_sp) : tt_report_asprintf(
			"SELECT label, folded, toUInt64(count()) AS c, toInt64(0) FROM (SELECT label, stack_id "
			"FROM (SELECT probe_id, stack_id FROM (SELECT id, probe_id FROM events WHERE id IN "
			"(SELECT event_id FROM event_stacks)%s) ANY INNER JOIN (SELECT event_id AS id, stack_id "
			"FROM event_stacks) USING id) ANY INNER JOIN "
			"(SELECT id AS probe_id, concat(provider, ':', name) AS label FROM probes) USING "
			"probe_id) ANY INNER JOIN (SELECT id AS stack_id, folded FROM stacks) USING stack_id "
			"GROUP BY label, folded ORDER BY label, c DESC, folded", x->tf_ev);

		err = sql ? query(x, sql, &r) : -ENOMEM;
		free(sql);
		while (!err && rd_more(&r)) {
			char *label = rd_str(&r), *folded = rd_str(&r);
			uint64_t count = rd_u64(&r);
			int64_t max_dur = rd_i64(&r);

			err = label && folded ? tt_report_stacks__add(s, &cap, pass, label, folded, count, max_dur)
					      : -ENOMEM;
			free(label);
			free(folded);
		}
		err = rd_end(x, &r, err);
	}
	return err;
}

/* The rows of a table of the database, 0 when it has no such table. */
static int table_rows(struct chr *x, const char *table, uint64_t *n)
{
	char sql[200];
	struct rd q;
	int err;

	*n = 0;
	snprintf(sql, sizeof(sql), "SELECT toUInt64(count()) FROM system.tables WHERE database = "
		 "currentDatabase() AND name = '%s'", table);
	err = query(x, sql, &q);
	if (!err && rd_u64(&q)) {
		char *count = tt_report_asprintf("SELECT toUInt64(count()) FROM %s WHERE 1%s", table, x->tf);

		rd_free(&q);
		err = count ? query(x, count, &q) : -ENOMEM;
		free(count);
		*n = err ? 0 : rd_u64(&q);
	}
	return rd_end(x, &q, err);
}

/* ---- where span time went (thread_states, syscalls) ---- */

/*
 * report_kernel.c's breakdowns, computed by the server without ASOF JOIN. The time windows (a
 * span name's closed spans on the thread that began each and, for one ended on another thread,
 * on that one too; or the slowest spans' threads) are grouped into one array per thread
 * (capture, tid), a table's rows into one array per thread and key (thread_states: the state,
 * each row start and end, or the end of time when open; syscalls with an entry: the number,
 * start and end, or start when it has none), and the two joined on the equal keys (capture,
 * tid). A window's time in a key is G(end) - G(start), G(t) being the time of the key's rows
 * before t: the rows' starts (slope +1), ends (-1) and the windows' bounds sorted into one
 * array, the slope a running sum, G a running sum of slope x gap. A thread's rows do not
 * overlap, so that is the sum of its rows clipped to the window, as report_kernel.c sums them.
 * A window's calls are counted by ranks (the rows that start before its end, less those that
 * end before its start, or at it having started before): the same rows report_kernel.c's scan
 * back from the window's end takes. So the work is sorting each thread's rows with its windows,
 * however many rows each window holds; no lambda captures an array (18.16 would copy it per
 * element).
 *
 * Where: the arrays are made by the shards from their rows and put together by the server the
 * report talks to, which runs the join (tapes of one capture, e.g. rotated files, may be on
 * different shards: a thread's rows are only whole there). It holds in memory the rows that it
 * needs (those of the threads that began or ended a span, inside the spans' first start and last
 * end; for the slowest spans, each thread's rows inside its span) while it does; the client
 * receives one row per span name and state, or syscall.
 */

#define KSTATES_SQL "'running', 'runnable', 'sleeping', 'blocked'"

struct kq {
	char *cap;       /* the SQL expression of a row's capture, from its tape */
	int64_t *tape_cap;
	size_t tape_n;   /* tape_cap[id]: the capture of tapes.id (0: none) */
};

/* x->tapes' captures: kq->cap and kq->tape_cap. */
static int kernel_captures(struct chr *x, struct kq *k)
{
	struct tt_buf ids = {0}, caps = {0};
	struct rd r;
	int err = query(x, "SELECT id, capture FROM tapes ORDER BY id", &r);

	while (!err && rd_more(&r)) {
		int64_t id = rd_i64(&r), cap = rd_i64(&r);

		err = tt_buf_printf(&ids, "%s%" PRId64, ids.len ? ", " : "", id) ||
		      tt_buf_printf(&caps, "%s%" PRId64, caps.len ? ", " : "", cap) ? -ENOMEM : 0;
		if (!err && id > 0 && id <= (1 << 20)) {
			if ((size_t)id >= k->tape_n) {
				int64_t *n = realloc(k->tape_cap, ((size_t)id + 1) * sizeof(*n));

				if (!n) {
					err = -ENOMEM;
					break;
				}
				memset(n + k->tape_n, 0, ((size_t)id + 1 - k->tape_n) * sizeof(*n));
				k->tape_cap = n;
				k->tape_n = (size_t)id + 1;
			}
			k->tape_cap[id] = cap;
		}
	}
	err = rd_end(x, &r, err);
	if (!err && !tt_buf_append(&ids, "", 1) && !tt_buf_append(&caps, "", 1))
		k->cap = tt_report_asprintf("[toInt64(0), %s][indexOf([%s], tape) + 1]", (const char *)caps.data,
					    (const char *)ids.data);
	if (!err && !k->cap)
		err = -ENOMEM;
	tt_buf_free(&ids);
	tt_buf_free(&caps);
	return err;
}

/*
 * Append to q the columns m_NAME and NAME of the ranks: NAME[j] is the count of a's rows whose
 * key (R1, R2, RT) sorts before window j's (W1, W2, WT); x is a row, v a window.
 */
static int kernel_rank(struct tt_buf *q, const char *name, const char *r1, const char *r2, int rt,
		       const char *w1, const char *w2, int wt)
{
	return tt_buf_printf(q, ", arraySort(arrayConcat(arrayMap(x -> (%s, %s, toUInt8(%d), toUInt32(0)), a), "
			     "arrayMap((v, j) -> (%s, %s, toUInt8(%d), toUInt32(j)), ws, arrayEnumerate(ws)))) AS "
			     "m_%s, arrayMap(p -> p.2, arraySort(arrayFilter(p -> p.1 > 0, arrayMap((x, c) -> "
			     "(x.4, c), m_%s, arrayCumSum(arrayMap(x -> x.4 = 0, m_%s)))))) AS %s",
			     r1, r2, rt, w1, w2, wt, name, name, name, name);
}

/*
 * The breakdown query of table (thread_states or syscalls) over the windows of wsql (rows of
 * capture, t, label, s, e), its rows filtered by cond: per label, the time in each state
 * (label, 4 x Int64), or per label and syscall number (label, nr, calls, ns), those ordered as
 * report_kernel.c lists them.
 */
static char *kernel_sql(const struct kq *k, int calls, const char *wsql, const char *cond)
{
	struct tt_buf q = {0};
	char *sql = NULL;
	int err;

	if (calls)
		err = tt_buf_printf(&q, "SELECT jw.1 AS label, key AS nr, toUInt64(sum(jw.3)) AS c, sum(jw.2) AS ns");
	else
		err = tt_buf_printf(&q, "SELECT jw.1 AS label");
	for (int s = 0; !err && !calls && s < 4; s++)
		err = tt_buf_printf(&q, ", sumIf(jw.2, key = %d)", s);
	/* per window, its time (gs: G at its start and end) and for calls their count (hi - lo) */
	if (!err)
		err = tt_buf_printf(&q, " FROM (SELECT key, arrayJoin(arrayMap((v, d, n) -> (v.1, d, n), ws, "
				    "arrayFilter((d, i) -> i %% 2 = 0, arrayDifference(gs), arrayEnumerate(gs)), %s)) AS "
				    "jw FROM (SELECT key, ws, arrayMap(p -> p.2, arraySort(arrayFilter(p -> p.1 > 0, "
				    "arrayMap((p, g) -> (p.3, g), m_g, arrayCumSum(arrayMap((sl, d) -> sl * d, "
				    "arrayPushFront(arrayPopBack(arrayCumSum(arrayMap(p -> p.2, m_g))), toInt64(0)), "
				    "arrayDifference(arrayMap(p -> p.1, m_g)))))))) AS gs",
				    calls ? "arrayMap((h, l) -> greatest(toInt64(h) - toInt64(l), 0), hi, lo)"
					  : "arrayMap(v -> 0, ws)");
	if (!err && calls)
		err = tt_buf_printf(&q, ", hi, lo");
	/* G(t): the time before t in the rows, integrated over the rows' starts (+1) and ends (-1) */
	if (!err)
		err = tt_buf_printf(&q, " FROM (SELECT key, ws, arraySort(arrayConcat(arrayMap(x -> (x.1, toInt64(1), "
				    "toUInt32(0)), a), arrayMap(x -> (x.2, toInt64(-1), toUInt32(0)), a), arrayMap((v, "
				    "j) -> (v.2, toInt64(0), toUInt32(2 * j - 1)), ws, arrayEnumerate(ws)), arrayMap((v, "
				    "j) -> (v.3, toInt64(0), toUInt32(2 * j)), ws, arrayEnumerate(ws)))) AS m_g");
	/* calls: hi, those that start before the window's end; lo, those that end before its start,
	 * or at it if they started before (a call at the start is in) */
	if (!err && calls)
		err = kernel_rank(&q, "hi", "x.1", "toInt64(0)", 1, "v.3", "toInt64(0)", 0) ||
		      kernel_rank(&q, "lo", "x.2", "x.1", 1, "v.2", "v.2", 0) ? -ENOMEM : 0;
	if (!err && calls)
		err = tt_buf_printf(&q, " FROM (SELECT key, ws, arraySort(st) AS a FROM (SELECT %s AS capture, tid AS "
				    "t, nr AS key, groupArray((assumeNotNull(start_ts), ifNull(end_ts, "
				    "assumeNotNull(start_ts)))) AS st FROM syscalls WHERE start_ts IS NOT NULL%s GROUP "
				    "BY capture, t, key)", k->cap, cond);
	else if (!err)
		err = tt_buf_printf(&q, " FROM (SELECT key, ws, arraySort(st) AS a FROM (SELECT %s AS capture, tid AS "
				    "t, toInt64(indexOf([" KSTATES_SQL "], state) - 1) AS key, groupArray((start_ts, "
				    "ifNull(end_ts, toInt64(9223372036854775807)))) AS st FROM thread_states WHERE "
				    "state IN (" KSTATES_SQL ")%s GROUP BY capture, t, key)", k->cap, cond);
	if (!err)
		err = tt_buf_printf(&q, " ANY INNER JOIN (SELECT capture, t, groupArray((label, s, e)) AS ws FROM (%s) "
				    "GROUP BY capture, t) USING (capture, t))))) %s", wsql,
				    calls ? "WHERE jw.3 > 0 GROUP BY label, nr ORDER BY label, ns DESC, c DESC, nr"
					  : "GROUP BY label ORDER BY label");
	if (!err && !tt_buf_append(&q, "", 1))
		sql = strdup((const char *)q.data);
	tt_buf_free(&q);
	return sql;
}

/* A syscall number of the scope and its name ("#NR" for a number without one), by number. */
struct knr {
	int64_t nr;
	char name[32];
};

static int kernel_nr_names(struct chr *x, struct knr **v, size_t *n)
{
	char *sql = tt_report_asprintf("SELECT nr, ifNull(any(name), '') FROM syscalls WHERE 1%s GROUP BY nr "
				       "ORDER BY nr", x->tf);
	struct rd r;
	int err = sql ? query(x, sql, &r) : -ENOMEM;
	size_t cap = 0;

	free(sql);
	while (!err && rd_more(&r)) {
		size_t len;
		const char *name;
		struct knr *e;

		if (tt_grow((void **)v, &cap, *n + 1, sizeof(**v))) {
			err = -ENOMEM;
			break;
		}
		e = &(*v)[(*n)++];
		e->nr = rd_i64(&r);
		name = rd_bytes(&r, &len);
		if (len && name)
			snprintf(e->name, sizeof(e->name), "%.*s", (int)len, name);
		else
			snprintf(e->name, sizeof(e->name), "#%" PRId64, e->nr);
	}
	return rd_end(x, &r, err);
}

static int knr_cmp(const void *key, const void *e)
{
	int64_t a = *(const int64_t *)key, b = ((const struct knr *)e)->nr;

	return (a > b) - (a < b);
}

/* The breakdown a label of the results names: a span name's, or "I.K" of r->slow[I]'s kb[K]. */
static struct tt_report_kbreak *kernel_target(struct tt_report *r, int slow, const char *label)
{
	if (slow) {
		char *end;
		unsigned long i = strtoul(label, &end, 10), k;

		k = *end == '.' ? strtoul(end + 1, NULL, 10) : 2;
		return i < r->slow_cnt && k < r->slow[i].kb_n ? &r->slow[i].kb[k] : NULL;
	}
	for (size_t lo = 0, hi = r->kname_cnt; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(label, r->knames[mid].name);

		if (!c)
			return &r->knames[mid].b;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * Run the breakdown queries over the windows of wsql into the breakdowns they name, the rows of
 * thread_states kept by cond[0], of syscalls by cond[1].
 */
static int kernel_fill(struct chr *x, const struct kq *k, int slow, const char *wsql, char *const cond[2],
		       const struct knr *nrs, size_t nr_n)
{
	struct tt_report *r = x->b.r;
	int err = 0;

	for (int calls = 0; calls < 2 && !err; calls++) {
		char *sql;
		struct rd q;

		if (!(calls ? r->kernel_syscalls : r->kernel_states))
			continue;
		sql = kernel_sql(k, calls, wsql, cond[calls]);
		err = sql ? query(x, sql, &q) : -ENOMEM;
		free(sql);
		while (!err && rd_more(&q)) {
			char *label = rd_str(&q);
			struct tt_report_kbreak *b = label ? kernel_target(r, slow, label) : NULL;

			free(label);
			if (!b) {
				q.bad = 1;
				break;
			}
			if (calls) {
				int64_t nr = rd_i64(&q);
				uint64_t count = rd_u64(&q);
				int64_t ns = rd_i64(&q);
				const struct knr *n = bsearch(&nr, nrs, nr_n, sizeof(*nrs), knr_cmp);

				b->sys_count += count;
				b->sys_ns += ns;
				if (b->sys_n == TT_REPORT_KSYS) {
					b->sys_more++;
					continue;
				}
				b->sys[b->sys_n] = (struct tt_report_ksys){.nr = nr, .count = count, .ns = ns};
				if (n)
					memcpy(b->sys[b->sys_n].name, n->name, sizeof(n->name));
				else
					snprintf(b->sys[b->sys_n].name, sizeof(b->sys[0].name), "#%" PRId64, nr);
				b->sys_n++;
			} else {
				for (int s = 0; s < 4; s++)
					b->state_ns[s] += rd_i64(&q);
			}
		}
		err = rd_end(x, &q, err);
	}
	return err;
}

/* Append to b the condition of a row of thread_states (of syscalls: calls) that may overlap [s, e]. */
static int kernel_overlap(struct tt_buf *b, int calls, int64_t s, int64_t e)
{
	return tt_buf_printf(b, calls ? "start_ts < %" PRId64 " AND ifNull(end_ts, start_ts) >= %" PRId64
				      : "start_ts < %" PRId64 " AND (end_ts IS NULL OR end_ts > %" PRId64 ")", e, s);
}

/*
 * cond[]: the rows of the threads that began or ended a span of x's scope, that may overlap its
 * closed spans' time (lo, hi: their first start, last end, whatever tape's clock).
 */
static int kernel_name_conds(const struct chr *x, int64_t lo, int64_t hi, char *cond[2])
{
	for (int calls = 0; calls < 2; calls++) {
		struct tt_buf b = {0};

		if (tt_buf_printf(&b, "%s AND tid GLOBAL IN (SELECT tid FROM spans WHERE end_ts IS NOT NULL%s UNION "
				  "ALL SELECT assumeNotNull(end_tid) FROM spans WHERE end_ts IS NOT NULL AND end_tid IS "
				  "NOT NULL%s) AND ", x->tf, x->tf_sp, x->tf_sp) ||
		    kernel_overlap(&b, calls, lo, hi) || tt_buf_append(&b, "", 1)) {
			tt_buf_free(&b);
			return -ENOMEM;
		}
		cond[calls] = (char *)b.data;
	}
	return 0;
}

/* The per span name windows: each closed span on its thread, and on the one that ended it. */
static char *kernel_name_windows(const struct chr *x, const struct kq *k)
{
	static const char *const label = "if(provider = '', name, concat(provider, ':', name))";

	return tt_report_asprintf("SELECT %s AS capture, tid AS t, %s AS label, start_ts AS s, "
				  "assumeNotNull(end_ts) AS e FROM spans WHERE end_ts IS NOT NULL%s UNION ALL SELECT "
				  "%s AS capture, "
				  "assumeNotNull(end_tid) AS t, %s AS label, start_ts AS s, assumeNotNull(end_ts) AS e "
				  "FROM spans WHERE end_ts IS NOT NULL AND ifNull(end_tid, 0) != 0 AND "
				  "ifNull(end_tid, 0) != tid%s", k->cap, label, x->tf_sp, k->cap, label, x->tf_sp);
}

/* r->knames: every span name with closed spans, its spans, cross-thread ones and time; *lo, *hi:
 * the first start and last end of those spans. */
static int kernel_names(struct chr *x, int64_t *lo, int64_t *hi)
{
	struct tt_report *r = x->b.r;
	char *sql = tt_report_asprintf("SELECT if(provider = '', name, concat(provider, ':', name)) AS label, "
				       "toUInt64(count()), toUInt64(countIf(xt)), toInt64(sum(d) + sumIf(d, xt)), min(start_ts), "
				       "max(e) FROM (SELECT provider, name, start_ts, assumeNotNull(end_ts) AS e, e - "
				       "start_ts AS d, "
				       "ifNull(end_tid, 0) != 0 AND ifNull(end_tid, 0) != tid AS xt FROM spans WHERE "
				       "end_ts IS NOT NULL%s) GROUP BY label ORDER BY label", x->tf_sp);
	struct rd q;
	size_t cap = 0;
	int err = sql ? query(x, sql, &q) : -ENOMEM;

	free(sql);
	while (!err && rd_more(&q)) {
		struct tt_report_kname *n;
		int64_t first, last;

		if (tt_grow((void **)&r->knames, &cap, r->kname_cnt + 1, sizeof(*r->knames))) {
			err = -ENOMEM;
			break;
		}
		n = &r->knames[r->kname_cnt];
		memset(n, 0, sizeof(*n));
		n->name = rd_str(&q);
		if (!n->name) {
			err = -ENOMEM;
			break;
		}
		r->kname_cnt++;
		n->spans = rd_u64(&q);
		n->cross = rd_u64(&q);
		n->b.total_ns = rd_i64(&q);
		first = rd_i64(&q);
		last = rd_i64(&q);
		*lo = TT_MIN(*lo, first);
		*hi = TT_MAX(*hi, last);
	}
	return rd_end(x, &q, err);
}

/*
 * The slowest spans' threads (sp->kb) as windows labelled "I.K", and the condition that keeps
 * the rows of their threads and captures.
 */
static int kernel_slow_windows(struct chr *x, const struct kq *k, char **wsql, char *cond[2])
{
	struct tt_report *r = x->b.r;
	struct tt_buf w = {0}, c[2] = {{0}};
	int err = 0;

	*wsql = cond[0] = cond[1] = NULL;
	for (size_t i = 0; i < r->slow_cnt && !err; i++) {
		struct tt_report_span *sp = &r->slow[i];
		int cross = sp->end_tid && sp->end_tid != sp->tid;
		int64_t cap = sp->tape < k->tape_n ? k->tape_cap[sp->tape] : 0;

		if (sp->dur < 0)
			continue;
		for (int j = 0; j < 1 + cross && !err; j++) {
			struct tt_report_kbreak *b = &sp->kb[j];

			b->tid = j ? sp->end_tid : sp->tid;
			b->role = cross ? 1 + j : 0;
			b->total_ns = (int64_t)sp->end_ts - (int64_t)sp->start_ts;
			sp->kb_n++;
			err = tt_buf_printf(&w, "%s(toInt64(%" PRId64 "), toInt64(%u), '%zu.%d', toInt64(%" PRId64
					    "), toInt64(%" PRId64 "))", w.len ? ", " : "", cap, b->tid, i, j,
					    (int64_t)sp->start_ts, (int64_t)sp->end_ts);
			for (int calls = 0; calls < 2 && !err; calls++) {
				err = tt_buf_printf(&c[calls], "%s(tid = %u AND %s = %" PRId64 " AND ",
						    c[calls].len ? " OR " : "", b->tid, k->cap, cap);
				if (!err)
					err = kernel_overlap(&c[calls], calls, (int64_t)sp->start_ts,
							     (int64_t)sp->end_ts);
				if (!err)
					err = tt_buf_printf(&c[calls], ")");
			}
		}
	}
	if (!err && w.len && !tt_buf_append(&w, "", 1) && !tt_buf_append(&c[0], "", 1) &&
	    !tt_buf_append(&c[1], "", 1)) {
		*wsql = tt_report_asprintf("SELECT w.1 AS capture, w.2 AS t, w.3 AS label, w.4 AS s, w.5 AS e FROM "
					   "system.one ARRAY JOIN [%s] AS w", (const char *)w.data);
		for (int calls = 0; calls < 2; calls++)
			cond[calls] = tt_report_asprintf("%s AND (%s)", x->tf, (const char *)c[calls].data);
		if (!*wsql || !cond[0] || !cond[1])
			err = -ENOMEM;
	}
	tt_buf_free(&w);
	tt_buf_free(&c[0]);
	tt_buf_free(&c[1]);
	return err;
}

/* Unknown: the time looked at that no state covers. */
static void kernel_unknown(struct tt_report_kbreak *b)
{
	int64_t covered = 0;

	for (int s = 0; s < TT_REPORT_UNKNOWN; s++)
		covered += b->state_ns[s];
	b->state_ns[TT_REPORT_UNKNOWN] = b->total_ns - covered;
}

/* r->kernel_*, r->knames and the slowest spans' kb: report_kernel.c's, from the server. */
static int build_kernel(struct chr *x)
{
	struct tt_report *r = x->b.r;
	struct kq k = {0};
	struct knr *nrs = NULL;
	size_t nr_n = 0;
	char *wsql = NULL, *cond[2] = {NULL, NULL};
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	uint64_t states = 0, calls = 0;
	int err = table_rows(x, "thread_states", &states);

	if (!err)
		err = table_rows(x, "syscalls", &calls);
	r->kernel_states = states > 0;
	r->kernel_syscalls = calls > 0;
	if (err || (!states && !calls))
		return err;
	err = kernel_captures(x, &k);
	if (!err && calls)
		err = kernel_nr_names(x, &nrs, &nr_n);
	if (!err)
		err = kernel_names(x, &lo, &hi);
	if (!err && r->kname_cnt) {
		wsql = kernel_name_windows(x, &k);
		err = wsql ? kernel_name_conds(x, lo, hi, cond) : -ENOMEM;
		if (!err)
			err = kernel_fill(x, &k, 0, wsql, cond, nrs, nr_n);
		free(wsql);
		free(cond[0]);
		free(cond[1]);
		wsql = cond[0] = cond[1] = NULL;
	}
	for (size_t i = 0; i < r->kname_cnt; i++)
		kernel_unknown(&r->knames[i].b);
	if (!err)
		err = kernel_slow_windows(x, &k, &wsql, cond);
	if (!err && wsql)
		err = kernel_fill(x, &k, 1, wsql, cond, nrs, nr_n);
	for (size_t i = 0; i < r->slow_cnt; i++)
		for (size_t j = 0; j < r->slow[i].kb_n; j++)
			kernel_unknown(&r->slow[i].kb[j]);
	free(wsql);
	free(cond[0]);
	free(cond[1]);
	free(nrs);
	free(k.cap);
	free(k.tape_cap);
	return err;
}

/* ---- --host, --from/--to ---- */

/* --from/--to (report_window.h): x->w placed in the tapes x->tf_id keeps; x->tf_ev, tf_sp, tf_loss. */
static int scope_window(struct chr *x)
{
	struct rd r;
	char *sql = NULL;
	int err = tt_report_window__parse(x->b.o->from, x->b.o->to, &x->w, x->b.out);

	if (!err && x->w.set) {
		sql = tt_report_asprintf("SELECT id, toUInt8(isNull(host)), ifNull(host, ''), toUInt8(isNull(ts_first) "
					 "OR isNull(ts_last)), toInt64(ifNull(ts_first, 0)), toInt64(ifNull(ts_last, 0)), "
					 "toUInt8(isNull(wall_offset_ns)), toInt64(ifNull(wall_offset_ns, 0)) FROM tapes "
					 "WHERE 1%s ORDER BY id", x->tf_id);
		err = sql ? query(x, sql, &r) : -ENOMEM;
		while (!err && rd_more(&r)) {
			struct tt_report_wtape t = {.id = rd_i64(&r)};
			int no_host = rd_u8(&r);

			t.host = rd_str(&r);
			t.has_ts = !rd_u8(&r);
			t.ts_first = rd_i64(&r);
			t.ts_last = rd_i64(&r);
			t.has_wall = !rd_u8(&r);
			t.wall_offset_ns = rd_i64(&r);
			if (no_host) {
				free(t.host);
				t.host = NULL;
			} else if (!t.host) {
				err = -ENOMEM;
				break;
			}
			err = tt_report_window__tape(&x->w, &t);
			free(t.host);
		}
		err = rd_end(x, &r, err);
		free(sql);
		if (!err)
			err = tt_report_window__bounds(&x->w, x->b.r->source, x->b.out);
		x->b.r->window = err ? NULL : strdup(x->w.text);
		if (!err && !x->b.r->window)
			err = -ENOMEM;
	}
	if (err)
		return err;
	x->tf_ev = tt_report_window__and(&x->w, x->tf, "ts", NULL);
	x->tf_sp = tt_report_window__and(&x->w, x->tf, "start_ts", NULL);
	x->tf_loss = tt_report_window__and(&x->w, x->tf, "ts_start", "ts_end");
	return x->tf_ev && x->tf_sp && x->tf_loss ? 0 : -ENOMEM;
}

/* The capture line of a window: its tapes' part of it, their events and losses in it. */
static int window_summary(struct chr *x)
{
	struct tt_report *r = x->b.r;
	char *sql = tt_report_asprintf("SELECT (SELECT toUInt64(count()) FROM events WHERE 1%s), (SELECT "
				       "toUInt64(sum(count)) FROM losses WHERE 1%s)", x->tf_ev, x->tf_loss);
	struct rd q;
	int err = sql ? query(x, sql, &q) : -ENOMEM;

	free(sql);
	if (err)
		return err;
	tt_report_window__span(&x->w, &r->ts_first, &r->ts_last);
	r->duration_ns = r->ts_last > r->ts_first ? r->ts_last - r->ts_first : 0;
	r->events = rd_u64(&q);
	r->lost_events = rd_u64(&q);
	return rd_done(x, &q);
}


/* x->tf and x->tf_id: the conditions that keep the rows of the tapes of o->hosts. */
static int scope_hosts(struct chr *x)
{
	struct tt_buf ids = {0}, q = {0};
	char *copy = x->b.o->hosts ? strdup(x->b.o->hosts) : NULL, *save = NULL;
	struct rd r;
	int err = x->b.o->hosts && !copy ? -ENOMEM : 0;

	for (char *h = copy ? strtok_r(copy, ",", &save) : NULL; h && !err; h = strtok_r(NULL, ",", &save)) {
		size_t before = ids.len;

		q.len = 0;
		err = tt_buf_printf(&q, "SELECT id FROM tapes WHERE host = ");
		if (!err)
			err = tt_ch_quote(&q, h);
		if (!err)
			err = tt_buf_append(&q, "", 1);
		if (!err)
			err = query(x, (const char *)q.data, &r);
		while (!err && rd_more(&r))
			err = tt_buf_printf(&ids, "%s%" PRId64, ids.len ? ", " : "", rd_i64(&r));
		err = rd_end(x, &r, err);
		if (!err && ids.len == before) {
			err = query(x, "SELECT arrayStringConcat(groupArray(h), ', ') FROM (SELECT h FROM (SELECT "
				    "assumeNotNull(host) AS h, min(id) AS first FROM tapes WHERE host IS NOT NULL "
				    "GROUP BY h) ORDER BY first)", &r);
			if (!err) {
				char *all = rd_str(&r);

				tt_err(x->b.out, "--host %s: no tape of host '%s' in %s (its hosts: %s)",
				       x->b.o->hosts, h, x->b.r->source, all && *all ? all : "none named");
				free(all);
				rd_free(&r);
				err = -TT_E_USAGE;
			}
		}
	}
	if (!err && copy && !ids.len) {
		tt_err(x->b.out, "--host '%s': name a host (or several: A,B)", x->b.o->hosts);
		err = -TT_E_USAGE;
	}
	if (!err)
		err = tt_buf_append(&ids, "", 1);
	if (!err) {
		x->tf = copy ? tt_report_asprintf(" AND tape IN (%s)", (const char *)ids.data) : strdup("");
		x->tf_id = copy ? tt_report_asprintf(" AND id IN (%s)", (const char *)ids.data) : strdup("");
		err = x->tf && x->tf_id ? 0 : -ENOMEM;
	}
	if (!err)
		err = scope_window(x);
	tt_buf_free(&ids);
	tt_buf_free(&q);
	free(copy);
	return err;
}

/* ---- the model ---- */

int tt_ch_report__build(const struct tt_ch_url *u, const char *source,
			const struct tt_report_opts *o, struct tt_report **rep)
{
	struct tt_report_opts opts = *o;
	struct chr x = {.b = {.o = &opts, .out = o->out}};
	char settings[300];
	int err;

	*rep = NULL;
	if (!opts.top)
		opts.top = 10;
	if (!opts.last_events)
		opts.last_events = 5;
	if (!opts.points)
		opts.points = 1000;
	/* a subquery over a Distributed table inside one runs on each shard's own part */
	snprintf(settings, sizeof(settings), "database=%s&distributed_product_mode=local", u->database);
	x.c = tt_ch_conn__new(u, &u->entry, settings);
	x.b.r = calloc(1, sizeof(*x.b.r));
	if (!x.c || !x.b.r) {
		err = -ENOMEM;
		goto cleanup;
	}
	x.b.r->source = tt_report_strdup(source);
	err = x.b.r->source ? check_schema(&x) : -ENOMEM;
	if (!err)
		err = scope_hosts(&x);
	if (!err)
		err = load_probes(&x);
	if (!err)
		err = tt_report_builder__values(&x.b);
	if (!err)
		err = load_summary(&x);
	if (!err)
		err = build_groups(&x);
	if (!err)
		err = build_probes(&x);
	if (!err)
		err = build_slowest(&x);
	if (!err)
		err = build_tail(&x);
	if (!err)
		err = build_stacks(&x);
	if (!err)
		err = build_kernel(&x);
	if (!err)
		err = build_open(&x);
	if (!err)
		err = build_losses(&x);
	if (!err && opts.html_points)
		err = build_series(&x);
	if (!err)
		tt_info(o->out, "%s: %" PRIu64 " queries, %" PRIu64 " bytes received", source, x.queries,
			x.bytes);
cleanup:
	for (size_t i = 0; i < x.b.probe_cap; i++) {
		free(x.b.probes[i].label);
		free(x.b.probes[i].provider);
		free(x.b.probes[i].name);
		free(i < x.ptype_cap ? x.ptype[i] : NULL);
		for (int a = 0; a < TT_MAX_ARGS; a++) {
			free(x.b.probes[i].arg_names[a]);
			free(x.b.probes[i].kinds[a]);
		}
	}
	free(x.b.probes);
	free(x.ptype);
	for (size_t i = 0; i < x.arg_cnt; i++) {
		free(x.args[i].name);
		free(x.args[i].column_name);
	}
	free(x.args);
	for (size_t i = 0; i < x.b.ns_cnt; i++) {
		free(x.b.ns[i].name);
		free(x.b.ns[i].provider);
		if (x.nd)
			tt_report_dist_free(&x.nd[i]);
	}
	free(x.nd);
	free(x.tf);
	free(x.tf_id);
	free(x.tf_ev);
	free(x.tf_sp);
	free(x.tf_loss);
	tt_report_window__free(&x.w);
	free(x.b.ns);
	free(x.b.top);
	free(x.b.value_arg);
	tt_ch_conn__free(x.c);
	if (err == -ENOMEM)
		tt_err(o->out, "out of memory");
	if (err) {
		tt_report__free(x.b.r);
		return err;
	}
	*rep = x.b.r;
	return 0;
}
