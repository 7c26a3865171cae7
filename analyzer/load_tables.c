/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint tables and per-probe views (load_tables.h). A tracepoint table's SQL is made when
 * the reader thread meets the tracepoint, while the events thread owns the connection: its name
 * is chosen against the schema's names and the earlier tracepoint tables, without the database.
 * The views come after the pass, when the names of every object are in sqlite_master.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db_schema.h"
#include "load_tables.h"
#include "tt_error.h"
#include "tt_util.h"

/* ---- names ---- */

static int name_taken(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int taken = 1;

	/* SQLite identifiers are case-insensitive: compare the way SQLite resolves them */
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = ?1 COLLATE NOCASE",
			       -1, &st, NULL) != SQLITE_OK)
		return 1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return taken;
}

/*
 * A free object name built from prefix + ident(a) [+ "_" + ident(b)] + suffix, then suffixed
 * _2, _3...
 */
static void unique_name(sqlite3 *db, const char *prefix, const char *a, const char *b,
			const char *suffix, char *buf, size_t sz)
{
	char ia[128], ib[128], base[300];

	tt_db_ident(a, ia, sizeof(ia));
	if (b) {
		tt_db_ident(b, ib, sizeof(ib));
		snprintf(base, sizeof(base), "%s%s_%s%s", prefix, ia, ib, suffix);
	} else {
		snprintf(base, sizeof(base), "%s%s%s", prefix, ia, suffix);
	}
	snprintf(buf, sz, "%s", base);
	for (int i = 2; name_taken(db, buf); i++)
		snprintf(buf, sz, "%s_%d", base, i);
}

/* Column names: sanitised, never one of taken[] nor an earlier one (case-insensitively). */
static void column_name(const char *want, const char *const *taken, size_t taken_cnt,
			char (*cols)[64], size_t col_cnt, char *buf)
{
	char base[52]; /* room for an _arg_NNNN suffix within 64 */

	tt_db_ident(want, base, sizeof(base));
	snprintf(buf, 64, "%s", base);
	for (int n = 1;; n++) {
		int clash = 0;

		for (size_t i = 0; i < taken_cnt && !clash; i++)
			clash = !strcasecmp(buf, taken[i]);
		for (size_t i = 0; i < col_cnt && !clash; i++)
			clash = !strcasecmp(buf, cols[i]);
		if (!clash)
			return;
		/* "pid" of a probe beside the view's own pid: pid_arg, then pid_arg_2, ... */
		if (n == 1)
			snprintf(buf, 64, "%s_arg", base);
		else
			snprintf(buf, 64, "%s_arg_%d", base, n % 10000);
	}
}

static const char *const view_fixed_cols[] = {
	"event_id", "ts", "ts_wall", "tape", "pid", "tid", "cpu", "goid", "fault", "truncated",
};
static const char *const tp_fixed_cols[] = {"event_id", "ts", "tape", "pid", "tid", "cpu"};

/* ---- tracepoint tables ---- */

/* A tp_ table name not used yet: not one of the schema's objects nor an earlier tp_ table. */
static void tp_name(const struct tt_tp_tables *ts, const char *category, const char *name,
		    char *buf, size_t sz)
{
	static const char *const fixed[] = {"meta", "tapes", "probes", "probe_args", "events",
					    "losses", "spans", "processes", "threads", "events_named"};
	char a[128], b[128], base[300];

	tt_db_ident(category, a, sizeof(a));
	tt_db_ident(name, b, sizeof(b));
	snprintf(base, sizeof(base), "tp_%s_%s", a, b);
	snprintf(buf, sz, "%s", base);
	for (int n = 2;; n++) {
		int taken = 0;

		for (size_t i = 0; i < TT_ARRAY_SIZE(fixed) && !taken; i++)
			taken = !strcasecmp(buf, fixed[i]);
		for (size_t i = 0; i < ts->cnt && !taken; i++)
			taken = !strcasecmp(buf, ts->v[i]->name);
		if (!taken)
			return;
		snprintf(buf, sz, "%s_%d", base, n % 10000);
	}
}

static void tp_table_free(struct tt_tp_table *t)
{
	if (!t)
		return;
	sqlite3_finalize(t->ins);
	tt_tp_format_free(t->fmt);
	free(t->name);
	free(t->format);
	free(t->create_sql);
	free(t->insert_sql);
	free(t);
}

int tt_tp_tables__get(struct tt_tp_tables *ts, const char *category, const char *name,
		      const char *text, struct tt_tp_table **tp, char *why, size_t why_sz)
{
	struct tt_buf sql = {0}, ins = {0};
	char tname[320];
	char(*cols)[64] = NULL;
	struct tt_tp_table *t = NULL;
	int err;

	*tp = NULL;
	for (size_t i = 0; i < ts->cnt; i++) {
		if (!strcmp(ts->v[i]->format, text) && !strcmp(ts->v[i]->fmt->system, category)) {
			*tp = ts->v[i];
			return 0;
		}
	}
	err = -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto cleanup;
	if (tt_tp_format_parse(category, text, &t->fmt, why, why_sz)) {
		err = -TT_E_PARSE;
		goto cleanup;
	}
	cols = calloc(t->fmt->field_cnt + 1, sizeof(*cols));
	if (!cols)
		goto cleanup;
	tp_name(ts, category, name, tname, sizeof(tname));
	if (tt_buf_printf(&sql, "CREATE TABLE %s (event_id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, "
			  "tape INTEGER NOT NULL, pid INTEGER NOT NULL, tid INTEGER NOT NULL, "
			  "cpu INTEGER NOT NULL", tname) ||
	    tt_buf_printf(&ins, "INSERT INTO %s VALUES (?, ?, ?, ?, ?, ?", tname))
		goto cleanup;
	for (size_t i = 0, c = 0; i < t->fmt->field_cnt; i++) {
		const struct tt_tp_field *f = &t->fmt->fields[i];
		const char *type;

		if (f->is_common)
			continue;
		switch (f->kind) {
		case TT_TPF_INT:
		case TT_TPF_PTR:
			type = "INTEGER";
			break;
		case TT_TPF_STR:
		case TT_TPF_ARRAY:
		case TT_TPF_DYN_ARRAY:
			type = "TEXT";
			break;
		default:
			type = "BLOB";
			break;
		}
		column_name(f->name, tp_fixed_cols, TT_ARRAY_SIZE(tp_fixed_cols), cols, c, cols[c]);
		if (tt_buf_printf(&sql, ", \"%s\" %s", cols[c], type) || tt_buf_append(&ins, ", ?", 3))
			goto cleanup;
		c++;
	}
	if (tt_buf_append(&sql, ")", 2) || tt_buf_append(&ins, ")", 2) ||
	    tt_grow((void **)&ts->v, &ts->cap, ts->cnt + 1, sizeof(*ts->v)))
		goto cleanup;
	t->name = strdup(tname);
	t->format = strdup(text);
	t->create_sql = strdup((const char *)sql.data);
	t->insert_sql = strdup((const char *)ins.data);
	if (!t->name || !t->format || !t->create_sql || !t->insert_sql)
		goto cleanup;
	ts->v[ts->cnt++] = t;
	*tp = t;
	t = NULL;
	err = 0;
cleanup:
	tp_table_free(t);
	free(cols);
	tt_buf_free(&sql);
	tt_buf_free(&ins);
	return err;
}

/* The JSON text of array field f of rec (elements signed as the format says) into scratch. */
static int array_json(const struct tt_tp_field *f, const uint8_t *rec, size_t len,
		      struct tt_buf *scratch)
{
	uint32_t cnt = f->count, esz = f->elem_size ? f->elem_size : 1;
	const uint8_t *data = NULL;
	uint64_t v;
	size_t n;

	scratch->len = 0;
	if (f->kind == TT_TPF_DYN_ARRAY) {
		if (tt_tp_field_bytes(f, rec, len, &data, &n) || esz > 8)
			return -ERANGE;
		cnt = (uint32_t)(n / esz);
	}
	if (tt_buf_append(scratch, "[", 1))
		return -ENOMEM;
	for (uint32_t k = 0; k < cnt; k++) {
		if (f->kind == TT_TPF_ARRAY) {
			if (tt_tp_field_int(f, rec, len, k, &v))
				return -ERANGE;
		} else {
			v = 0;
			for (uint32_t b = 0; b < esz; b++)
				v |= (uint64_t)data[k * esz + b] << (8 * b);
			if (f->is_signed && esz < 8 && (v >> (esz * 8 - 1)) & 1)
				v |= ~0ULL << (esz * 8);
		}
		if (f->is_signed ? tt_buf_printf(scratch, "%s%lld", k ? "," : "", (long long)v)
				 : tt_buf_printf(scratch, "%s%llu", k ? "," : "", (unsigned long long)v))
			return -ENOMEM;
	}
	return tt_buf_append(scratch, "]", 1) ? -ENOMEM : 0;
}

int tt_tp_table__insert(struct tt_tp_table *t, sqlite3 *db, const struct tt_out *out,
			struct tt_buf *scratch, uint64_t event_id, uint64_t ts, uint32_t tape,
			uint32_t pid, uint32_t tid, uint32_t cpu, const uint8_t *rec, size_t len)
{
	const struct tt_tp_format *fmt = t->fmt;
	sqlite3_stmt *st;
	int col = 7, err;

	if (!t->created) {
		err = tt_db_exec(db, t->create_sql, -1, out);
		if (!err)
			err = tt_db_prepare(db, t->insert_sql, 1, &t->ins, out);
		if (err)
			return err;
		t->created = 1;
	}
	st = t->ins;
	sqlite3_bind_int64(st, 1, (int64_t)event_id);
	sqlite3_bind_int64(st, 2, (int64_t)ts);
	sqlite3_bind_int64(st, 3, tape);
	sqlite3_bind_int64(st, 4, pid);
	sqlite3_bind_int64(st, 5, tid);
	sqlite3_bind_int64(st, 6, cpu);
	for (size_t i = 0; i < fmt->field_cnt; i++) {
		const struct tt_tp_field *f = &fmt->fields[i];
		const uint8_t *data;
		uint64_t v;
		size_t n;

		if (f->is_common)
			continue;
		switch (f->kind) {
		case TT_TPF_INT:
		case TT_TPF_PTR:
			if (tt_tp_field_int(f, rec, len, 0, &v))
				sqlite3_bind_null(st, col);
			else
				sqlite3_bind_int64(st, col, (int64_t)v);
			break;
		case TT_TPF_STR:
			if (tt_tp_field_bytes(f, rec, len, &data, &n))
				sqlite3_bind_null(st, col);
			else
				tt_db_bind_bytes(st, col, data, n);
			break;
		case TT_TPF_ARRAY:
		case TT_TPF_DYN_ARRAY:
			if (array_json(f, rec, len, scratch))
				sqlite3_bind_null(st, col);
			else
				sqlite3_bind_text(st, col, (const char *)scratch->data, (int)scratch->len,
						  SQLITE_TRANSIENT);
			break;
		default:
			if (tt_tp_field_bytes(f, rec, len, &data, &n))
				sqlite3_bind_null(st, col);
			else
				sqlite3_bind_blob(st, col, data, (int)n, SQLITE_STATIC);
			break;
		}
		col++;
	}
	return tt_db_step_done(db, st, "cannot insert", out);
}

void tt_tp_tables__finalize(struct tt_tp_tables *ts)
{
	for (size_t i = 0; i < ts->cnt; i++) {
		sqlite3_finalize(ts->v[i]->ins);
		ts->v[i]->ins = NULL;
	}
}

void tt_tp_tables__free(struct tt_tp_tables *ts)
{
	for (size_t i = 0; i < ts->cnt; i++)
		tp_table_free(ts->v[i]);
	free(ts->v);
	memset(ts, 0, sizeof(*ts));
}

/* ---- views ---- */

/*
 * Do probes g and h share a view: the same provider and name, and both a Go function's returns
 * or both not (a Go function's entry and return probes share a name, not their columns).
 */
static int same_view(const struct tt_cat_probe *g, const struct tt_cat_probe *h)
{
	return !h->tp && !strcmp(h->provider, g->provider) && !strcmp(h->name, g->name) &&
	       (h->type == TT_PROBE_GO_RETURN) == (g->type == TT_PROBE_GO_RETURN);
}

int tt_load_views(sqlite3 *db, const struct tt_catalog *c, const struct tt_out *out)
{
	struct tt_buf sql = {0}, ids = {0};
	char *done = calloc(c->probe_cnt + 1, 1);
	sqlite3_stmt *up = NULL;
	int err = -ENOMEM;

	if (!done)
		goto cleanup;
	err = tt_db_prepare(db, "UPDATE probes SET view = ? WHERE id = ?", 0, &up, out);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < c->probe_cnt; i++) {
		const struct tt_cat_probe *g = &c->probes[i];
		char name[320], cols[TT_MAX_ARGS][64];

		if (done[i])
			continue;
		if (g->tp) {
			/* a tracepoint without records has no table */
			sqlite3_bind_text(up, 1, g->tp->created ? g->tp->name : NULL, -1, SQLITE_STATIC);
			sqlite3_bind_int64(up, 2, (int64_t)i + 1);
			err = tt_db_step_done(db, up, "cannot insert", out);
			if (err)
				goto cleanup;
			done[i] = 1;
			continue;
		}
		err = -ENOMEM;
		ids.len = 0;
		for (size_t j = i; j < c->probe_cnt; j++) {
			if (done[j] || !same_view(g, &c->probes[j]))
				continue;
			if (tt_buf_printf(&ids, "%s%zu", ids.len ? "," : "", j + 1))
				goto cleanup;
		}
		if (tt_buf_append(&ids, "", 1))
			goto cleanup;
		unique_name(db, "", g->provider, g->name, g->type == TT_PROBE_GO_RETURN ? "__return" : "",
			    name, sizeof(name));
		sql.len = 0;
		if (tt_buf_printf(&sql, "CREATE VIEW %s AS SELECT e.id AS event_id, e.ts, e.ts + "
				  "t.wall_offset_ns AS ts_wall, e.tape, e.pid, e.tid, e.cpu, e.goid, "
				  "e.fault, e.truncated", name))
			goto cleanup;
		for (int a = 0; a < g->argc; a++) {
			char fallback[16];

			snprintf(fallback, sizeof(fallback), "arg%d", a);
			column_name(g->arg_names[a] ? g->arg_names[a] : fallback, view_fixed_cols,
				    TT_ARRAY_SIZE(view_fixed_cols), cols, (size_t)a, cols[a]);
			if (tt_buf_printf(&sql, ", e.arg%d AS \"%s\"", a, cols[a]))
				goto cleanup;
		}
		if (tt_buf_printf(&sql, " FROM events e JOIN tapes t ON t.id = e.tape WHERE "
				  "e.probe_id IN (%s)", (const char *)ids.data))
			goto cleanup;
		err = tt_db_exec(db, (const char *)sql.data, -1, out);
		if (err)
			goto cleanup;
		for (size_t j = i; j < c->probe_cnt; j++) {
			const struct tt_cat_probe *h = &c->probes[j];

			if (done[j] || !same_view(g, h))
				continue;
			done[j] = 1;
			sqlite3_bind_text(up, 1, name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(up, 2, (int64_t)j + 1);
			err = tt_db_step_done(db, up, "cannot insert", out);
			if (err)
				goto cleanup;
			/* the view's column names, which deduplication may have changed */
			for (int a = 0; a < h->argc && a < g->argc; a++) {
				char q[256];

				snprintf(q, sizeof(q), "UPDATE probe_args SET column_name = '%.63s' WHERE "
					 "probe_id = %zu AND idx = %d", cols[a], j + 1, a);
				err = tt_db_exec(db, q, -1, out);
				if (err)
					goto cleanup;
			}
		}
	}
	err = 0;
cleanup:
	sqlite3_finalize(up);
	free(done);
	tt_buf_free(&sql);
	tt_buf_free(&ids);
	return err;
}
