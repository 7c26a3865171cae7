/* SPDX-License-Identifier: MIT */
/*
 * The events writer (load_events.h). An event is copied, since the reader's event is only
 * valid until its next call: its string bytes go to its batch's arena, whose pointers are made
 * in the writer, after the arena stopped moving.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db_schema.h"
#include "demangle.h"
#include "load_events.h"
#include "load_stage.h"
#include "tt_error.h"
#include "tt_util.h"

#define EV_FIXED_COLS 10        /* id, ts, tape, probe_id, pid, tid, cpu, goid, fault, truncated */
#define COMMIT_EVERY (1u << 22) /* rows per transaction: keeps SQLite's dirty set bounded */
#define EV_BATCH 4096           /* events per batch */
#define EV_ROWS 16              /* events per multi-row INSERT */

/* One event as the writer needs it. */
struct ev_rec {
	uint64_t id, ts, goid;
	uint32_t gid, capture, tape, pid, tid, cpu;
	uint16_t fault;
	uint8_t argc;
	uint8_t kinds[TT_MAX_ARGS];
	uint64_t args[TT_MAX_ARGS];
	uint32_t str_off[TT_MAX_ARGS], str_len[TT_MAX_ARGS];
	uint8_t str_flags[TT_MAX_ARGS];
	struct tt_tp_table *tp;
};

struct ev_batch {
	struct ev_rec *r;
	size_t n;
	struct tt_buf strs;
};

struct tt_ev_writer {
	sqlite3 *db;
	struct tt_kernel_db *kernel;
	const struct tt_out *out;
	struct tt_stage stage;
	struct ev_batch b[TT_STAGE_RING];
	sqlite3_stmt *ins[TT_MAX_ARGS + 1];       /* one row of N arguments */
	sqlite3_stmt *ins_multi[TT_MAX_ARGS + 1]; /* EV_ROWS rows of N arguments */
	struct tt_buf scratch;                    /* JSON of tracepoint arrays */
	uint64_t rows_in_tx;
};

/*
 * In the writer: bind event e as the row at parameter offset base of st, whose rows have
 * `width` arguments (arguments past e's own count bound NULL).
 */
static void bind_event(sqlite3_stmt *st, int base, int width, const struct ev_batch *b,
		       const struct ev_rec *e)
{
	const uint8_t *strs = b->strs.data;
	uint32_t trunc = 0;

	sqlite3_bind_int64(st, base + 1, (int64_t)e->id);
	sqlite3_bind_int64(st, base + 2, (int64_t)e->ts);
	sqlite3_bind_int64(st, base + 3, e->tape);
	sqlite3_bind_int64(st, base + 4, e->gid);
	sqlite3_bind_int64(st, base + 5, e->pid);
	sqlite3_bind_int64(st, base + 6, e->tid);
	sqlite3_bind_int64(st, base + 7, e->cpu);
	if (e->goid)
		sqlite3_bind_int64(st, base + 8, (int64_t)e->goid);
	else
		sqlite3_bind_null(st, base + 8);
	sqlite3_bind_int64(st, base + 9, e->fault);
	for (int i = 0; i < e->argc; i++) {
		int col = base + EV_FIXED_COLS + 1 + i;
		uint8_t k = e->kinds[i];

		/* a value that could not be read is unknown: NULL, not the 0 or '' recorded for it */
		if (e->fault >> i & 1) {
			sqlite3_bind_null(st, col);
			continue;
		}
		switch (TT_KIND_CLASS(k)) {
		case TT_CLASS_FLOAT:
			if (TT_KIND_SIZE(k) == 4) {
				uint32_t bits = (uint32_t)e->args[i];
				float f;

				memcpy(&f, &bits, sizeof(f));
				sqlite3_bind_double(st, col, f);
			} else {
				double d;

				memcpy(&d, &e->args[i], sizeof(d));
				sqlite3_bind_double(st, col, d);
			}
			break;
		case TT_CLASS_STR:
		case TT_CLASS_BYTES:
		case TT_CLASS_CXXNAME:
			if (e->str_flags[i] & TT_STR_TRUNCATED)
				trunc |= 1u << i;
			if (e->tp) /* decoded into its tp_ table */
				sqlite3_bind_null(st, col);
			else
				tt_db_bind_bytes(st, col, strs + e->str_off[i], e->str_len[i]);
			break;
		default:
			sqlite3_bind_int64(st, col, (int64_t)e->args[i]);
			break;
		}
	}
	for (int i = e->argc; i < width; i++)
		sqlite3_bind_null(st, base + EV_FIXED_COLS + 1 + i);
	sqlite3_bind_int64(st, base + 10, trunc);
}

/* The INSERT of `rows` events of `width` arguments each (prepared on first use). */
static sqlite3_stmt *event_stmt(struct tt_ev_writer *w, int width, int rows)
{
	sqlite3_stmt **st = rows == 1 ? &w->ins[width] : &w->ins_multi[width];
	struct tt_buf sql = {0};
	int err;

	if (*st)
		return *st;
	err = tt_buf_printf(&sql, "INSERT INTO events (id, ts, tape, probe_id, pid, tid, cpu, goid, "
			    "fault, truncated");
	for (int i = 0; i < width && !err; i++)
		err = tt_buf_printf(&sql, ", arg%d", i);
	if (!err)
		err = tt_buf_printf(&sql, ") VALUES ");
	for (int r = 0; r < rows && !err; r++) {
		err = tt_buf_printf(&sql, "%s(?,?,?,?,?,?,?,?,?,?", r ? "," : "");
		for (int i = 0; i < width && !err; i++)
			err = tt_buf_append(&sql, ",?", 2);
		if (!err)
			err = tt_buf_append(&sql, ")", 1);
	}
	if (!err)
		err = tt_buf_append(&sql, "", 1);
	if (!err)
		tt_db_prepare(w->db, (const char *)sql.data, 1, st, w->out);
	else
		tt_err(w->out, "out of memory");
	tt_buf_free(&sql);
	return *st;
}

/*
 * In the writer: insert a batch. Rows go EV_ROWS at a time through one multi-row INSERT as wide
 * as the widest of them: one statement execution per EV_ROWS rows instead of per row, which is
 * most of SQLite's cost for rows this small. The rest go one by one.
 */
static int consume(void *ctx, int slot)
{
	struct tt_ev_writer *w = ctx;
	struct ev_batch *b = &w->b[slot];
	size_t i = 0;
	int err = 0;

	for (; i + EV_ROWS <= b->n && !err; i += EV_ROWS) {
		const struct ev_rec *e = &b->r[i];
		sqlite3_stmt *stmt;
		int width = 0;

		for (int r = 0; r < EV_ROWS; r++)
			width = TT_MAX(width, (int)e[r].argc);
		stmt = event_stmt(w, width, EV_ROWS);
		if (!stmt) {
			err = -TT_E_SQL;
			break;
		}
		for (int r = 0; r < EV_ROWS; r++)
			bind_event(stmt, r * (EV_FIXED_COLS + width), width, b, &e[r]);
		err = tt_db_step_done(w->db, stmt, "cannot insert events", w->out);
	}
	for (; i < b->n && !err; i++) {
		sqlite3_stmt *stmt = event_stmt(w, b->r[i].argc, 1);

		if (!stmt) {
			err = -TT_E_SQL;
			break;
		}
		bind_event(stmt, 0, b->r[i].argc, b, &b->r[i]);
		err = tt_db_step_done(w->db, stmt, "cannot insert events", w->out);
	}
	/* the tracepoint tables after their events */
	for (i = 0; i < b->n && !err; i++) {
		const struct ev_rec *e = &b->r[i];
		const uint8_t *rec = b->strs.data + e->str_off[0];

		if (!e->tp || e->argc < 1)
			continue;
		err = tt_tp_table__insert(e->tp, w->db, w->out, &w->scratch, e->id, e->ts, e->tape,
					  e->pid, e->tid, e->cpu, rec, e->str_len[0]);
		if (!err)
			err = tt_kernel_db__record(w->kernel, e->tp->fmt, e->capture, e->tape, e->id,
						   e->ts, e->pid, e->tid, e->cpu, rec, e->str_len[0]);
	}
	w->rows_in_tx += b->n;
	if (!err && w->rows_in_tx >= COMMIT_EVERY) {
		err = tt_db_exec(w->db, "COMMIT; BEGIN", -1, w->out);
		w->rows_in_tx = 0;
	}
	b->n = 0;
	b->strs.len = 0;
	return err;
}

int tt_ev_writer__add(struct tt_ev_writer *w, uint64_t id, uint32_t gid, uint32_t capture,
		      uint32_t tape, struct tt_tp_table *tp, const struct tt_event *ev,
		      const uint8_t *kinds)
{
	struct ev_batch *b = &w->b[w->stage.fill];
	struct ev_rec *e = &b->r[b->n];
	uint8_t argc = ev->argc > TT_MAX_ARGS ? TT_MAX_ARGS : ev->argc;

	e->id = id;
	e->ts = ev->ts_ns;
	e->goid = ev->goid;
	e->gid = gid;
	e->capture = capture;
	e->tape = tape;
	e->pid = ev->pid;
	e->tid = ev->tid;
	e->cpu = ev->cpu;
	e->fault = ev->fault_mask;
	e->argc = argc;
	e->tp = tp;
	memcpy(e->kinds, kinds, argc);
	for (int i = 0; i < argc; i++) {
		e->args[i] = ev->args[i];
		if (TT_KIND_IS_STR(kinds[i])) {
			const struct tt_bytes *str = &ev->strs[i];

			e->str_off[i] = (uint32_t)b->strs.len;
			e->str_len[i] = str->len;
			e->str_flags[i] = (uint8_t)str->flags;
			/* a string's own fault flag counts as its bit of the mask (fault column) */
			if (str->flags & TT_STR_FAULT)
				e->fault |= (uint16_t)(1u << i);
			if (TT_KIND_CLASS(kinds[i]) == TT_CLASS_CXXNAME && !(e->fault >> i & 1) &&
			    !(str->flags & TT_STR_TRUNCATED)) {
				/* stored demangled; a name cut at the string limit stays as recorded */
				int demangled;
				char *dm = tt_demangle((const char *)str->ptr, str->len, &demangled);
				size_t n = dm && demangled ? strlen(dm) : str->len;
				int err = !dm || n > UINT32_MAX ? -ENOMEM
					  : tt_buf_append(&b->strs, demangled ? dm : (const char *)str->ptr, n);

				free(dm);
				if (err)
					return err;
				e->str_len[i] = (uint32_t)n;
			} else if (tt_buf_append(&b->strs, str->ptr, str->len)) {
				return -ENOMEM;
			}
		}
	}
	if (++b->n == EV_BATCH)
		return tt_stage__push(&w->stage);
	return 0;
}

struct tt_ev_writer *tt_ev_writer__new(sqlite3 *db, struct tt_kernel_db *kernel,
				       const struct tt_out *out)
{
	struct tt_ev_writer *w = calloc(1, sizeof(*w));
	int err = ENOMEM;

	if (!w)
		goto cleanup;
	w->db = db;
	w->kernel = kernel;
	w->out = out;
	for (int i = 0; i < TT_STAGE_RING; i++) {
		w->b[i].r = malloc(EV_BATCH * sizeof(*w->b[i].r));
		if (!w->b[i].r)
			goto cleanup;
	}
	/* every statement now: the connection is this thread's only until the writer starts */
	err = TT_E_SQL;
	for (int width = 0; width <= TT_MAX_ARGS; width++)
		if (!event_stmt(w, width, 1) || !event_stmt(w, width, EV_ROWS))
			goto cleanup;
	return w;
cleanup:
	tt_ev_writer__free(w);
	errno = err;
	return NULL;
}

int tt_ev_writer__start(struct tt_ev_writer *w)
{
	return tt_stage__start(&w->stage, consume, NULL, w);
}

int tt_ev_writer__finish(struct tt_ev_writer *w)
{
	int err = 0;

	if (w->b[w->stage.fill].n)
		err = tt_stage__push(&w->stage);
	return err ? err : tt_stage__finish(&w->stage);
}

void tt_ev_writer__free(struct tt_ev_writer *w)
{
	if (!w)
		return;
	tt_stage__cancel(&w->stage);
	for (int i = 0; i <= TT_MAX_ARGS; i++) {
		sqlite3_finalize(w->ins[i]);
		sqlite3_finalize(w->ins_multi[i]);
	}
	for (int i = 0; i < TT_STAGE_RING; i++) {
		free(w->b[i].r);
		tt_buf_free(&w->b[i].strs);
	}
	tt_buf_free(&w->scratch);
	free(w);
}
