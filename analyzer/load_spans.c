/* SPDX-License-Identifier: MIT */
/*
 * The span writer (load_spans.h). A span's provider, name and reasons are the span builder's
 * strings, stable until the builder is freed; only a string key is copied, into its batch's
 * arena, and pointed at in the writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_schema.h"
#include "load_spans.h"
#include "load_stage.h"
#include "tt_error.h"
#include "tt_util.h"

#define SPAN_BATCH 4096 /* spans per batch */
#define SPAN_ROWS 16    /* spans per multi-row INSERT */
#define SPAN_PARAMS 22  /* parameters of a spans row */

struct span_batch {
	struct tt_span *s;
	uint32_t *key_off;    /* where each string key was copied into keys */
	size_t n;
	struct tt_buf keys;
};

struct tt_span_writer {
	char *path;
	const struct tt_out *out;
	sqlite3 *db;
	sqlite3_stmt *ins, *ins_multi; /* one row, SPAN_ROWS rows */
	struct tt_buf idx;             /* the schema's CREATE INDEX ... ON spans statements */
	struct tt_stage stage;
	struct span_batch b[TT_STAGE_RING];
	uint64_t cnt;
};

static int side_fail(struct tt_span_writer *w, const char *what)
{
	tt_err(w->out, "%s: %s", what, sqlite3_errmsg(w->db));
	return -TT_E_SQL;
}

/* In the writer: bind sp as the row at parameter offset base (SPAN_PARAMS a row). */
static void bind_span(sqlite3_stmt *st, int base, const struct tt_span *sp)
{
	sqlite3_bind_int64(st, base + 1, (int64_t)sp->id);
	sqlite3_bind_text(st, base + 2, sp->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, base + 3, sp->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, base + 4, sp->pairing, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, base + 5, sp->tape);
	sqlite3_bind_int64(st, base + 6, sp->pid);
	sqlite3_bind_int64(st, base + 7, sp->tid);
	if (sp->goid)
		sqlite3_bind_int64(st, base + 9, (int64_t)sp->goid);
	else
		sqlite3_bind_null(st, base + 9);
	sqlite3_bind_int64(st, base + 10, sp->cpu);
	sqlite3_bind_int64(st, base + 12, (int64_t)sp->start_ts);
	if (sp->closed) {
		sqlite3_bind_int64(st, base + 8, sp->end_tid);
		sqlite3_bind_int64(st, base + 11, sp->end_cpu);
		sqlite3_bind_int64(st, base + 13, (int64_t)sp->end_ts);
		sqlite3_bind_int64(st, base + 14, (int64_t)(sp->end_ts - sp->start_ts));
		sqlite3_bind_int64(st, base + 18, (int64_t)sp->end_event_id);
		sqlite3_bind_int64(st, base + 20, sp->end_probe_id);
	} else {
		sqlite3_bind_null(st, base + 8);
		sqlite3_bind_null(st, base + 11);
		sqlite3_bind_null(st, base + 13);
		sqlite3_bind_null(st, base + 14);
		sqlite3_bind_null(st, base + 18);
		sqlite3_bind_null(st, base + 20);
	}
	sqlite3_bind_int64(st, base + 15, sp->depth);
	if (sp->parent_id)
		sqlite3_bind_int64(st, base + 16, (int64_t)sp->parent_id);
	else
		sqlite3_bind_null(st, base + 16);
	sqlite3_bind_int64(st, base + 17, (int64_t)sp->begin_event_id);
	sqlite3_bind_int64(st, base + 19, sp->begin_probe_id);
	if (sp->key_type == 1)
		sqlite3_bind_int64(st, base + 21, sp->key_int);
	else if (sp->key_type == 2)
		tt_db_bind_bytes(st, base + 21, (const uint8_t *)sp->key_str, sp->key_len);
	else
		sqlite3_bind_null(st, base + 21);
	sqlite3_bind_text(st, base + 22, sp->unclosed, -1, SQLITE_STATIC); /* NULL binds NULL */
}

static int span_id_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct tt_span *)a)->id, y = ((const struct tt_span *)b)->id;

	return (x > y) - (x < y);
}

static int consume(void *ctx, int slot)
{
	struct tt_span_writer *w = ctx;
	struct span_batch *b = &w->b[slot];
	size_t i;
	int err = 0;

	for (i = 0; i < b->n; i++)
		if (b->s[i].key_type == 2)
			b->s[i].key_str = (const char *)b->keys.data + b->key_off[i];
	qsort(b->s, b->n, sizeof(*b->s), span_id_cmp);
	for (i = 0; i + SPAN_ROWS <= b->n && !err; i += SPAN_ROWS) {
		for (int r = 0; r < SPAN_ROWS; r++)
			bind_span(w->ins_multi, r * SPAN_PARAMS, &b->s[i + (size_t)r]);
		err = tt_db_step_done(w->db, w->ins_multi, "cannot insert spans", w->out);
	}
	for (; i < b->n && !err; i++) {
		bind_span(w->ins, 0, &b->s[i]);
		err = tt_db_step_done(w->db, w->ins, "cannot insert spans", w->out);
	}
	b->n = 0;
	b->keys.len = 0;
	return err;
}

/* In the writer, after the last span: commit, build the spans indexes and close, so that the
 * main connection can attach the file. */
static int done(void *ctx)
{
	struct tt_span_writer *w = ctx;
	int err = tt_db_exec(w->db, "COMMIT", -1, w->out);

	if (!err)
		err = tt_db_exec(w->db, (const char *)w->idx.data, -1, w->out);
	sqlite3_finalize(w->ins);
	sqlite3_finalize(w->ins_multi);
	w->ins = w->ins_multi = NULL;
	sqlite3_close(w->db);
	w->db = NULL;
	return err;
}

int tt_span_writer__emit(void *ctx, const struct tt_span *sp)
{
	struct tt_span_writer *w = ctx;
	struct span_batch *b = &w->b[w->stage.fill];

	b->s[b->n] = *sp;
	if (sp->key_type == 2) {
		b->key_off[b->n] = (uint32_t)b->keys.len;
		if (tt_buf_append(&b->keys, sp->key_str, sp->key_len))
			return -ENOMEM;
	}
	w->cnt++;
	if (++b->n == SPAN_BATCH)
		return tt_stage__push(&w->stage);
	return 0;
}

uint64_t tt_span_writer__count(const struct tt_span_writer *w)
{
	return w->cnt;
}

/* The side database: the schema, the bulk settings, the INSERTs, a transaction. */
static int side_open(struct tt_span_writer *w)
{
	const char *sql;
	size_t len;
	int err, fd;

	unlink(w->path);
	/* created here, for its owner alone (SQLite would make it 0644): spans carry data */
	fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		tt_err(w->out, "cannot create '%s': %s", w->path, strerror(-err));
		return err;
	}
	close(fd);
	err = tt_db_open(w->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &w->db, w->out);
	if (err)
		return err;
	tt_db_schema_tables(&sql, &len);
	err = tt_db_exec(w->db, "PRAGMA page_size = 16384; PRAGMA journal_mode = OFF; "
			 "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
			 "PRAGMA cache_size = -16384", -1, w->out);
	if (!err)
		err = tt_db_exec(w->db, sql, (int)len, w->out);
	if (err)
		return err;
	for (int rows = 1; rows <= SPAN_ROWS; rows += SPAN_ROWS - 1) {
		struct tt_buf ins = {0};
		int fail = tt_buf_printf(&ins, "INSERT INTO spans (id, provider, name, pairing, tape, pid, "
					 "tid, end_tid, goid, cpu, end_cpu, start_ts, end_ts, dur, depth, "
					 "parent_id, begin_event_id, end_event_id, begin_probe_id, "
					 "end_probe_id, key, lost, unclosed) VALUES ");

		for (int r = 0; r < rows && !fail; r++)
			fail = tt_buf_printf(&ins, "%s(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,?)", r ? "," : "");
		if (fail || tt_buf_append(&ins, "", 1)) {
			tt_buf_free(&ins);
			return -ENOMEM;
		}
		if (sqlite3_prepare_v3(w->db, (const char *)ins.data, -1, SQLITE_PREPARE_PERSISTENT,
				       rows == 1 ? &w->ins : &w->ins_multi, NULL) != SQLITE_OK) {
			tt_buf_free(&ins);
			return side_fail(w, "SQL error");
		}
		tt_buf_free(&ins);
	}
	return tt_db_exec(w->db, "BEGIN", -1, w->out);
}

struct tt_span_writer *tt_span_writer__new(const char *side_path, const struct tt_out *out)
{
	struct tt_span_writer *w = calloc(1, sizeof(*w));
	int err = -ENOMEM;

	if (!w)
		goto cleanup;
	w->out = out;
	w->path = strdup(side_path);
	if (!w->path)
		goto cleanup;
	for (int i = 0; i < TT_STAGE_RING; i++) {
		w->b[i].s = malloc(SPAN_BATCH * sizeof(*w->b[i].s));
		w->b[i].key_off = malloc(SPAN_BATCH * sizeof(*w->b[i].key_off));
		if (!w->b[i].s || !w->b[i].key_off)
			goto cleanup;
	}
	err = tt_db_schema_indexes_split(&w->idx, NULL);
	if (!err)
		err = side_open(w);
	if (err)
		goto cleanup;
	return w;
cleanup:
	tt_span_writer__free(w);
	errno = -err;
	return NULL;
}

int tt_span_writer__start(struct tt_span_writer *w)
{
	return tt_stage__start(&w->stage, consume, done, w);
}

int tt_span_writer__close(struct tt_span_writer *w)
{
	int err = 0;

	if (w->b[w->stage.fill].n)
		err = tt_stage__push(&w->stage);
	if (!err)
		tt_stage__close(&w->stage);
	return err;
}

int tt_span_writer__finish(struct tt_span_writer *w)
{
	return tt_stage__finish(&w->stage);
}

int tt_span_writer__transfer(struct tt_span_writer *w, sqlite3 *db, const struct tt_out *out)
{
	sqlite3_stmt *st = NULL;
	int err;

	/* the same indexes on both sides, the destination empty: SQLite copies records as they are */
	err = tt_db_exec(db, (const char *)w->idx.data, -1, out);
	if (!err)
		err = tt_db_prepare(db, "ATTACH ? AS side", 0, &st, out);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, w->path, -1, SQLITE_STATIC);
	err = tt_db_step_done(db, st, "cannot insert", out);
	sqlite3_finalize(st);
	if (err)
		return err;
	err = tt_db_exec(db, "BEGIN; INSERT INTO main.spans SELECT * FROM side.spans; COMMIT", -1, out);
	if (tt_db_exec(db, "DETACH side", -1, out) && !err)
		err = -TT_E_SQL;
	return err;
}

void tt_span_writer__free(struct tt_span_writer *w)
{
	if (!w)
		return;
	tt_stage__cancel(&w->stage);
	sqlite3_finalize(w->ins);
	sqlite3_finalize(w->ins_multi);
	sqlite3_close(w->db);
	if (w->path) {
		unlink(w->path);
		free(w->path);
	}
	tt_buf_free(&w->idx);
	for (int i = 0; i < TT_STAGE_RING; i++) {
		free(w->b[i].s);
		free(w->b[i].key_off);
		tt_buf_free(&w->b[i].keys);
	}
	free(w);
}
