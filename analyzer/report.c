/* SPDX-License-Identifier: MIT */
/*
 * The report's model (report.h): tt_report__build() reads a database with a handful of queries,
 * each chosen to use what the loader indexed. This file runs the build and makes the parts
 * about the capture (its summary, the probes' descriptions, the losses and what they touch);
 * report_spans.c and report_probes.c make the span and probe statistics (report_model.h is what
 * they share). The renderers are report_text.c and report_html.c.
 *
 * Costs on a database of N events and S spans: one sequential pass over spans gives every
 * name's durations (percentiles then picked by selection, O(S)), open and lost counts and the
 * slowest spans (a top-N kept on the way); the probe counts come from probes.events; an argument
 * distribution reads that probe's events through events_probe into one array; open spans come from
 * their partial index, and a thread's last events are found scanning back from
 * threads.last_event_id. --by adds one pass over spans joined with their events; the HTML
 * scatter points are sampled during the first pass.
 * Memory: 8 bytes per closed span for the exact percentiles (16 more while a name's
 * distribution is made, 8 more with --heatmap).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "db_schema.h"
#include "report_model.h"
#include "report_window.h"
#include "sqlfuncs.h"
#include "tt_error.h"
#include "tt_names.h"
#include "tt_util.h"

char *tt_report_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

char *tt_report_strdup(const char *s)
{
	return strdup(s ? s : "");
}

/* ---- small query helpers ---- */

int tt_report_builder__sql_err(struct tt_report_builder *c)
{
	tt_err(c->out, "SQL error: %s", sqlite3_errmsg(c->db));
	return -TT_E_SQL;
}

int tt_report_builder__prep(struct tt_report_builder *c, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return tt_report_builder__sql_err(c);
	}
	return 0;
}

int tt_report_push_str(char ***arr, size_t *n, char *s)
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

int tt_report_span_probe(const char *name, const char *type)
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
static int load_probes(struct tt_report_builder *c)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	err = tt_report_builder__prep(c, "SELECT id, provider, name, argc, kind FROM probes ORDER BY id", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		struct tt_report_pdesc *p;

		if (id < 1 || id > (1 << 24))
			continue;
		err = tt_grow((void **)&c->probes, &c->probe_cap, (size_t)id + 1, sizeof(*c->probes));
		if (err)
			break;
		p = &c->probes[id];
		p->provider = tt_report_strdup((const char *)sqlite3_column_text(st, 1));
		p->name = tt_report_strdup((const char *)sqlite3_column_text(st, 2));
		p->label = tt_probe_label((const char *)sqlite3_column_text(st, 1),
					  (const char *)sqlite3_column_text(st, 2),
					  (unsigned)TT_MAX(tt_probe_type_parse((const char *)sqlite3_column_text(st, 4)), 0));
		p->argc = (uint8_t)TT_MIN(sqlite3_column_int(st, 3), TT_MAX_ARGS);
		p->span_probe = tt_report_span_probe(p->name, (const char *)sqlite3_column_text(st, 4));
		if (!p->provider || !p->name || !p->label)
			err = -ENOMEM;
	}
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	sqlite3_finalize(st);
	if (err)
		return err;
	err = tt_report_builder__prep(c, "SELECT probe_id, idx, column_name, kind FROM probe_args", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int idx = sqlite3_column_int(st, 1);

		if (id < 1 || (size_t)id >= c->probe_cap || idx < 0 || idx >= TT_MAX_ARGS)
			continue;
		c->probes[id].arg_names[idx] = tt_report_strdup((const char *)sqlite3_column_text(st, 2));
		c->probes[id].kinds[idx] = tt_report_strdup((const char *)sqlite3_column_text(st, 3));
		if (!c->probes[id].arg_names[idx] || !c->probes[id].kinds[idx])
			err = -ENOMEM;
	}
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	sqlite3_finalize(st);
	return err;
}

const struct tt_report_pdesc *tt_report_builder__probe(const struct tt_report_builder *c,
						       int64_t id)
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

char *tt_report_builder__event_text(struct tt_report_builder *c, sqlite3_stmt *st, uint64_t id,
				    int with_probe, uint32_t *tid, uint64_t *ts)
{
	struct tt_buf b = {0};
	const struct tt_report_pdesc *p;
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
	p = tt_report_builder__probe(c, sqlite3_column_int64(st, 0));
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

/* ---- the capture ---- */

static int check_schema(struct tt_report_builder *c)
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

static int load_summary(struct tt_report_builder *c)
{
	struct tt_report *r = c->r;
	sqlite3_stmt *st = NULL;
	int err, rc;

	err = tt_report_builder__prep(c, "SELECT count(*), min(ts_first), max(ts_last), sum(events), sum(lost), "
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
		r->hosts = tt_report_strdup((const char *)sqlite3_column_text(st, 5));
		r->wall_offset_ns = sqlite3_column_int64(st, 6);
		r->loss_windows = (uint64_t)sqlite3_column_int64(st, 7);
		r->open_total = (uint64_t)sqlite3_column_int64(st, 8);
		if (!r->hosts)
			err = -ENOMEM;
	}
	sqlite3_finalize(st);
	if (err)
		return err;
	err = tt_report_builder__prep(c, "SELECT value FROM meta WHERE tape IS NULL AND key = 'warning' ORDER BY rowid", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
		err = tt_report_push_str(&r->warnings, &r->warning_cnt, tt_report_strdup((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	return err;
}

double tt_report_per_s(const struct tt_report *r, uint64_t n)
{
	return r->duration_ns ? (double)n * 1e9 / (double)r->duration_ns : 0.0;
}

/* ---- losses ---- */

static int load_losses(struct tt_report_builder *c)
{
	struct tt_report *r = c->r;
	sqlite3_stmt *st = NULL;
	int err = 0, rc;

	if (!r->loss_windows)
		return 0;
	err = tt_report_builder__prep(c, "SELECT tape, cpu, probe_id, ts_start, ts_end, count FROM losses "
		   "ORDER BY ts_start, id LIMIT ?", &st);
	if (err)
		return err;
	sqlite3_bind_int(st, 1, (int)c->o->top);
	r->losses = calloc(c->o->top, sizeof(*r->losses));
	if (!r->losses)
		err = -ENOMEM;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tt_report_loss *l = &r->losses[r->loss_cnt++];
		const struct tt_report_pdesc *p = sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL
					: tt_report_builder__probe(c, sqlite3_column_int64(st, 2));

		l->tape = (uint32_t)sqlite3_column_int64(st, 0);
		l->cpu = (uint32_t)sqlite3_column_int64(st, 1);
		l->probe = tt_report_strdup(p ? p->label : "(unknown probe)");
		l->ts_start = (uint64_t)sqlite3_column_int64(st, 3);
		l->ts_end = (uint64_t)sqlite3_column_int64(st, 4);
		l->count = (uint64_t)sqlite3_column_int64(st, 5);
		if (!l->probe)
			err = -ENOMEM;
	}
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	sqlite3_finalize(st);
	st = NULL;
	if (err)
		return err;

	/* which statistics they touch: per probe counts, per span name the flagged spans */
	err = tt_report_builder__prep(c, "SELECT probe_id, sum(count), count(*) FROM losses GROUP BY probe_id "
		   "ORDER BY probe_id IS NULL, probe_id", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
		err = tt_report_builder__loss_effect(c, sqlite3_column_type(st, 0) == SQLITE_NULL ? NULL
						     : tt_report_builder__probe(c, sqlite3_column_int64(st, 0)),
						     (uint64_t)sqlite3_column_int64(st, 1));
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	sqlite3_finalize(st);
	return err ? err : tt_report_builder__loss_names(c);
}

int tt_report_builder__loss_effect(struct tt_report_builder *c, const struct tt_report_pdesc *p,
				   uint64_t lost)
{
	struct tt_report *r = c->r;
	char cnt[32];

	tt_report_count(cnt, sizeof(cnt), lost, c->o->raw);
	if (p)
		return tt_report_push_str(&r->loss_effects, &r->loss_effect_cnt,
					  tt_report_asprintf("%s: %s events lost; its count and rate above are low "
							     "by that much%s", p->label, cnt,
							     p->span_probe ? ", and spans it starts or ends are missing "
									     "or left open" : ""));
	return tt_report_push_str(&r->loss_effects, &r->loss_effect_cnt,
				  tt_report_asprintf("%s events of unknown probes lost: any count or rate "
						     "above may be low", cnt));
}

int tt_report_builder__loss_names(struct tt_report_builder *c)
{
	struct tt_report *r = c->r;
	int err = 0;

	for (size_t i = 0; i < c->ns_cnt && !err; i++) {
		const struct tt_report_nstat *ns = &c->ns[i];
		char a[32], b[32];

		if (!ns->lost)
			continue;
		err = tt_report_push_str(&r->loss_effects, &r->loss_effect_cnt,
			       tt_report_asprintf("%s%s%s: %s of %s spans overlap a loss window (spans.lost = 1): "
					 "their durations or pairing may be wrong; the percentiles "
					 "above include them", ns->provider, *ns->provider ? ":" : "", ns->name,
					 tt_report_count(a, sizeof(a), ns->lost, c->o->raw),
					 tt_report_count(b, sizeof(b), ns->n + ns->open, c->o->raw)));
	}
	return err;
}

/* ---- --host, --from/--to ---- */

/*
 * --host: the SQL list of those hosts into in ("('a', 'b')"). -TT_E_USAGE (said) when a host has
 * no tape.
 */
static int scope_hosts(struct tt_report_builder *c, struct tt_buf *in)
{
	sqlite3_stmt *st = NULL;
	char *copy = strdup(c->o->hosts), *save = NULL, *sql;
	int err = copy ? tt_buf_printf(in, "(") : -ENOMEM;

	for (char *h = copy ? strtok_r(copy, ",", &save) : NULL; h && !err; h = strtok_r(NULL, ",", &save)) {
		int64_t n = 0;

		err = tt_report_builder__prep(c, "SELECT count(*) FROM main.tapes WHERE host = ?", &st);
		if (err)
			break;
		sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
		if (!n) {
			const unsigned char *all = NULL;

			if (sqlite3_prepare_v2(c->db, "SELECT group_concat(h, ', ') FROM (SELECT DISTINCT host AS h "
					       "FROM main.tapes WHERE host IS NOT NULL ORDER BY id)", -1, &st,
					       NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
				all = sqlite3_column_text(st, 0);
			tt_err(c->out, "--host %s: no tape of host '%s' in %s (its hosts: %s)", c->o->hosts, h,
			       c->r->source, all ? (const char *)all : "none named");
			sqlite3_finalize(st);
			st = NULL;
			err = -TT_E_USAGE;
			break;
		}
		sql = sqlite3_mprintf("%s%Q", in->len > 1 ? ", " : "", h);
		err = sql ? tt_buf_printf(in, "%s", sql) : -ENOMEM;
		sqlite3_free(sql);
	}
	if (!err && in->len == 1) {
		tt_err(c->out, "--host '%s': name a host (or several: A,B)", c->o->hosts);
		err = -TT_E_USAGE;
	}
	free(copy);
	return err ? err : tt_buf_printf(in, ")");
}

/* --from/--to: the tapes kept (host_cond on tapes.id) placed in w. */
static int scope_window(struct tt_report_builder *c, const char *host_cond, struct tt_report_window *w)
{
	sqlite3_stmt *st = NULL;
	char *sql = tt_report_asprintf("SELECT id, host, ts_first, ts_last, wall_offset_ns FROM main.tapes "
				       "WHERE %s ORDER BY id", host_cond);
	int err = sql ? tt_report_builder__prep(c, sql, &st) : -ENOMEM, rc = SQLITE_DONE;

	free(sql);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tt_report_wtape t = {
			.id = sqlite3_column_int64(st, 0),
			.host = (char *)sqlite3_column_text(st, 1),
			.has_ts = sqlite3_column_type(st, 2) != SQLITE_NULL && sqlite3_column_type(st, 3) != SQLITE_NULL,
			.ts_first = sqlite3_column_int64(st, 2),
			.ts_last = sqlite3_column_int64(st, 3),
			.has_wall = sqlite3_column_type(st, 4) != SQLITE_NULL,
			.wall_offset_ns = sqlite3_column_int64(st, 4),
		};

		err = tt_report_window__tape(w, &t);
	}
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	sqlite3_finalize(st);
	return err ? err : tt_report_window__bounds(w, c->r->source, c->out);
}

/*
 * The select list of table (aliased t) with columns repl[i] (n of them) made expr[i] instead.
 */
static int view_cols(struct tt_report_builder *c, const char *table, const char *const *repl,
		     char *const *expr, size_t n, struct tt_buf *b)
{
	sqlite3_stmt *st = NULL;
	int err = tt_report_builder__prep(c, "SELECT name FROM pragma_table_info(?) ORDER BY cid", &st), rc = SQLITE_DONE;

	if (!err)
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *col = (const char *)sqlite3_column_text(st, 0);
		size_t i;
		char *q;

		for (i = 0; i < n && strcmp(col, repl[i]); i++)
			;
		q = sqlite3_mprintf("%s%s%s\"%w\"", b->len ? ", " : "", i < n ? expr[i] : "t.",
				    i < n ? " AS " : "", col);
		err = q ? tt_buf_printf(b, "%s", q) : -ENOMEM;
		sqlite3_free(q);
	}
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	sqlite3_finalize(st);
	return err ? err : tt_buf_append(b, "", 1);
}

/* CREATE TEMP VIEW name AS SELECT cols FROM main.name t WHERE cond. */
static int temp_view(struct tt_report_builder *c, const char *name, const char *cols, const char *cond)
{
	char *sql = sqlite3_mprintf("CREATE TEMP VIEW \"%w\" AS SELECT %s FROM main.\"%w\" t WHERE %s", name,
				    cols, name, cond);
	int err = 0;

	if (!sql)
		err = -ENOMEM;
	else if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		err = tt_report_builder__sql_err(c);
	sqlite3_free(sql);
	return err;
}

/* What a table keeps under window w (row condition, appended to b). */
static int window_cond(const struct tt_report_window *w, const char *table, struct tt_buf *b)
{
	if (!strcmp(table, "events"))
		return tt_report_window__cond(w, b, "ts", NULL);
	if (!strcmp(table, "spans"))
		return tt_report_window__cond(w, b, "start_ts", NULL);
	if (!strcmp(table, "losses"))
		return tt_report_window__cond(w, b, "ts_start", "ts_end");
	if (!strcmp(table, "keep_spans") || !strcmp(table, "keep_hist"))
		return tt_buf_printf(b, "0"); /* counters of the whole recording */
	return tt_buf_printf(b, "1");
}

/* Under a window: say so when the tail-capture counters are left out (they cover the whole
 * recording, not the window). */
static int keep_left_out(struct tt_report_builder *c)
{
	sqlite3_stmt *st = NULL;
	int rows = 0;

	if (sqlite3_prepare_v2(c->db, "SELECT EXISTS (SELECT 1 FROM main.keep_spans)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		rows = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rows)
		tt_warn(c->out, "%s: the tail-capture counters (record --keep) cover the whole recording: a "
			"report of a --from/--to window leaves them out", c->r->source);
	return 0;
}

/*
 * --host and --from/--to: every table with a tape column (but meta) is shadowed by a temporary
 * view of its rows of those hosts' tapes inside the window (report_window.h says which), probes
 * by one whose events column counts those, and tapes by one of the kept tapes whose ts_first,
 * ts_last, events and lost are those of the window; so every query of the build reads only them.
 * -TT_E_USAGE (said) for a host without tapes or a window outside the capture.
 */
static int scope(struct tt_report_builder *c)
{
	struct tt_report_window w;
	struct tt_buf in = {0}, cond = {0}, cols = {0};
	sqlite3_stmt *st = NULL;
	char *host_cond = NULL, *ex[4] = {NULL};
	int err = tt_report_window__parse(c->o->from, c->o->to, &w, c->out), rc = SQLITE_DONE;

	if (!err && c->o->hosts)
		err = scope_hosts(c, &in);
	if (!err)
		err = tt_buf_append(&in, "", 1);
	if (!err)
		host_cond = c->o->hosts ? tt_report_asprintf("tape IN (SELECT id FROM main.tapes WHERE host IN %s)",
							     (const char *)in.data) : strdup("1");
	if (!err && !host_cond)
		err = -ENOMEM;
	if (!err && w.set) {
		char *ids = c->o->hosts ? tt_report_asprintf("host IN %s", (const char *)in.data) : strdup("1");

		err = ids ? scope_window(c, ids, &w) : -ENOMEM;
		free(ids);
		c->r->window = err ? NULL : strdup(w.text);
		if (!err && !c->r->window)
			err = -ENOMEM;
	}
	/* probes last: its view counts the events of temp.events */
	if (!err)
		err = tt_report_builder__prep(c, "SELECT m.name FROM main.sqlite_master m WHERE m.type = 'table' "
			   "AND m.name NOT IN ('meta', 'tapes') AND EXISTS (SELECT 1 FROM "
			   "pragma_table_info(m.name) WHERE name = 'tape') ORDER BY m.name = 'probes', m.name", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(st, 0);
		static const char *const ev[] = {"events"};

		cond.len = cols.len = 0;
		err = tt_buf_printf(&cond, "%s AND ", host_cond);
		if (!err)
			err = w.set ? window_cond(&w, table, &cond) : tt_buf_printf(&cond, "1");
		if (!err)
			err = tt_buf_append(&cond, "", 1);
		if (!err && w.set && !strcmp(table, "probes")) {
			ex[0] = strdup("(SELECT count(*) FROM temp.events e WHERE e.probe_id = t.id)");
			err = ex[0] ? view_cols(c, table, ev, ex, 1, &cols) : -ENOMEM;
			free(ex[0]);
			ex[0] = NULL;
		} else if (!err) {
			err = tt_buf_printf(&cols, "*") || tt_buf_append(&cols, "", 1) ? -ENOMEM : 0;
		}
		if (!err)
			err = temp_view(c, table, (const char *)cols.data, (const char *)cond.data);
	}
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	sqlite3_finalize(st);
	st = NULL;
	cols.len = 0;
	if (!err && w.set) {
		static const char *const tc[] = {"ts_first", "ts_last", "events", "lost"};

		ex[0] = tt_report_window__case(&w, "t.id", 0);
		ex[1] = tt_report_window__case(&w, "t.id", 1);
		ex[2] = strdup("(SELECT count(*) FROM temp.events e WHERE e.tape = t.id)");
		ex[3] = strdup("(SELECT coalesce(sum(count), 0) FROM temp.losses l WHERE l.tape = t.id)");
		err = ex[0] && ex[1] && ex[2] && ex[3] ? view_cols(c, "tapes", tc, ex, 4, &cols) : -ENOMEM;
		for (int i = 0; i < 4; i++)
			free(ex[i]);
	} else if (!err) {
		err = tt_buf_printf(&cols, "*") || tt_buf_append(&cols, "", 1) ? -ENOMEM : 0;
	}
	if (!err) {
		char *tc = c->o->hosts ? tt_report_asprintf("host IN %s", (const char *)in.data) : strdup("1");

		err = tc ? temp_view(c, "tapes", (const char *)cols.data, tc) : -ENOMEM;
		free(tc);
	}
	if (!err && w.set)
		err = keep_left_out(c);
	tt_report_window__free(&w);
	tt_buf_free(&in);
	tt_buf_free(&cond);
	tt_buf_free(&cols);
	free(host_cond);
	return err;
}

/* ---- the model ---- */

int tt_report__build(sqlite3 *db, const char *source, const struct tt_report_opts *o,
		     struct tt_report **rep)
{
	struct tt_report_opts opts = *o;
	struct tt_report_builder c = {.db = db, .o = &opts, .out = o->out};
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
	c.r->source = tt_report_strdup(source);
	err = c.r->source ? check_schema(&c) : -ENOMEM;
	if (!err && (opts.hosts || opts.from || opts.to))
		err = scope(&c);
	if (!err)
		err = load_probes(&c);
	if (!err)
		err = tt_report_builder__values(&c);
	if (!err)
		err = load_summary(&c);
	if (!err)
		err = tt_report_builder__spans(&c);
	if (!err)
		err = tt_report_builder__probes(&c);
	if (!err)
		err = tt_report_builder__slowest(&c);
	if (!err)
		err = tt_report__kernel(db, c.r, o->out);
	if (!err)
		err = tt_report__tail(db, c.r, o->out);
	if (!err)
		err = tt_report_stacks__build(db, opts.top, &c.r->stacks, o->out);
	if (!err)
		err = tt_report_builder__open(&c);
	if (!err)
		err = load_losses(&c);
	if (!err && opts.html_points)
		err = tt_report_builder__series(&c);
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
		free(c.ns[i].starts);
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
	free(r->window);
	tt_report_stacks__free(&r->stacks);
	tt_report__tail_free(r);
	for (size_t i = 0; i < r->warning_cnt; i++)
		free(r->warnings[i]);
	free(r->warnings);
	for (size_t i = 0; i < r->group_cnt; i++)
		tt_report_group_free(&r->groups[i]);
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
		free(r->probes[i].hist.b);
		free(r->probes[i].curve.pct);
		free(r->probes[i].curve.v);
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
		free(r->series[i].heat);
	}
	free(r->series);
	for (size_t i = 0; i < r->kname_cnt; i++)
		free(r->knames[i].name);
	free(r->knames);
	free(r);
}
