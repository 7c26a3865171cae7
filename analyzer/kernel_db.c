/* SPDX-License-Identifier: MIT */
/*
 * The kernel tables while loading (kernel_db.h): raw tracepoint records decoded by the fields
 * their format names, fed to the state machine (kernel.c), and its rows inserted KROWS at a time
 * through multi-row INSERTs (a partial batch row by row at the end).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_db.h"
#include "tt_error.h"
#include "tt_util.h"

/* ---- decoding ---- */

static const struct {
	const char *system, *name;
	uint8_t type;
	const char *fields[3];
} known[] = {
	{"sched", "sched_switch", TT_KEV_SWITCH, {"prev_pid", "prev_state", "next_pid"}},
	{"sched", "sched_wakeup", TT_KEV_WAKEUP, {"pid", "target_cpu", NULL}},
	{"sched", "sched_wakeup_new", TT_KEV_WAKEUP_NEW, {"pid", "target_cpu", NULL}},
	{"sched", "sched_process_fork", TT_KEV_FORK, {"child_pid", NULL, NULL}},
	{"sched", "sched_process_exit", TT_KEV_EXIT, {"pid", NULL, NULL}},
	{"raw_syscalls", "sys_enter", TT_KEV_SYS_ENTER, {"id", "args", NULL}},
	{"raw_syscalls", "sys_exit", TT_KEV_SYS_EXIT, {"id", "ret", NULL}},
};

int tt_kdecoder__init(struct tt_kdecoder *d, const struct tt_tp_format *fmt)
{
	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < TT_ARRAY_SIZE(known); i++) {
		if (strcmp(fmt->system, known[i].system) || strcmp(fmt->name, known[i].name))
			continue;
		for (int f = 0; f < 3 && known[i].fields[f]; f++) {
			const struct tt_tp_field *fl = tt_tp_format_field(fmt, known[i].fields[f]);
			int want_array = known[i].type == TT_KEV_SYS_ENTER && f == 1;

			if (!fl || (want_array ? fl->kind != TT_TPF_ARRAY || fl->count < 6
					       : fl->kind != TT_TPF_INT))
				return d->type = TT_KEV_NONE;
			d->f[f] = fl;
		}
		return d->type = known[i].type;
	}
	return d->type = TT_KEV_NONE;
}

int tt_kdecoder__decode(const struct tt_kdecoder *d, const uint8_t *rec, size_t len,
			struct tt_kev *ev)
{
	uint64_t v[3] = {0};

	ev->type = d->type;
	for (int f = 0; f < 3; f++)
		if (d->f[f] && d->f[f]->kind == TT_TPF_INT && tt_tp_field_int(d->f[f], rec, len, 0, &v[f]))
			return -ERANGE;
	switch (d->type) {
	case TT_KEV_SWITCH:
		ev->prev_tid = (uint32_t)v[0];
		ev->prev_state = (int64_t)v[1];
		ev->next_tid = (uint32_t)v[2];
		break;
	case TT_KEV_WAKEUP:
	case TT_KEV_WAKEUP_NEW:
		ev->target_tid = (uint32_t)v[0];
		ev->target_cpu = (int32_t)v[1];
		break;
	case TT_KEV_FORK:
	case TT_KEV_EXIT:
		ev->target_tid = (uint32_t)v[0];
		break;
	case TT_KEV_SYS_ENTER:
		ev->nr = (int64_t)v[0];
		for (uint32_t i = 0; i < 6; i++)
			if (tt_tp_field_int(d->f[1], rec, len, i, &ev->args[i]))
				return -ERANGE;
		break;
	case TT_KEV_SYS_EXIT:
		ev->nr = (int64_t)v[0];
		ev->ret = (int64_t)v[1];
		break;
	default:
		break;
	}
	return 0;
}

/* ---- the loader's side ---- */

struct kdec_entry {
	const struct tt_tp_format *fmt;
	struct tt_kdecoder d;
};

#define KROWS 16        /* rows per multi-row INSERT: one statement run per KROWS rows */
#define STATE_PARAMS 12
#define SYS_PARAMS 17

/* A thread_states row waiting for its batch, its reason copied. */
struct kstate_buf {
	struct tt_kstate_row row;
	char reason[TT_KSTATE_REASON_SZ];
};

struct tt_kernel_db {
	sqlite3 *db;
	const struct tt_out *out;
	struct tt_kernel *k;
	sqlite3_stmt *ins_state[2], *ins_sys[2]; /* one row, KROWS rows */
	struct kstate_buf states[KROWS];
	struct tt_ksys_row calls[KROWS];
	size_t state_n, call_n;
	struct kdec_entry *dec;
	size_t dec_cnt, dec_cap, last;
};

static int kdb_fail(struct tt_kernel_db *kdb, const char *what)
{
	tt_err(kdb->out, "%s: %s", what, sqlite3_errmsg(kdb->db));
	return -TT_E_SQL;
}

static int kdb_step(struct tt_kernel_db *kdb, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : kdb_fail(kdb, "cannot insert kernel rows");
}

/* Bind r as the row at parameter offset b of a thread_states INSERT. */
static void bind_state(sqlite3_stmt *st, int b, const struct tt_kstate_row *r)
{
	sqlite3_bind_int64(st, b + 1, r->tape);
	if (r->pid)
		sqlite3_bind_int64(st, b + 2, r->pid);
	else
		sqlite3_bind_null(st, b + 2);
	sqlite3_bind_int64(st, b + 3, r->tid);
	sqlite3_bind_text(st, b + 4, tt_kstate_name(r->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, b + 5, (int64_t)r->start_ts);
	if (r->open) {
		sqlite3_bind_null(st, b + 6);
		sqlite3_bind_null(st, b + 7);
		sqlite3_bind_null(st, b + 12);
	} else {
		sqlite3_bind_int64(st, b + 6, (int64_t)r->end_ts);
		sqlite3_bind_int64(st, b + 7, (int64_t)(r->end_ts - r->start_ts));
		sqlite3_bind_int64(st, b + 12, (int64_t)r->end_event_id);
	}
	if (r->cpu >= 0)
		sqlite3_bind_int64(st, b + 8, r->cpu);
	else
		sqlite3_bind_null(st, b + 8);
	/* the reason lives in the batch until the statement ran; NULL binds NULL */
	sqlite3_bind_text(st, b + 9, r->reason, -1, SQLITE_STATIC);
	if (r->waker_tid >= 0)
		sqlite3_bind_int64(st, b + 10, r->waker_tid);
	else
		sqlite3_bind_null(st, b + 10);
	sqlite3_bind_int64(st, b + 11, (int64_t)r->begin_event_id);
}

/* Bind r as the row at parameter offset b of a syscalls INSERT. */
static void bind_sys(sqlite3_stmt *st, int b, const struct tt_ksys_row *r)
{
	sqlite3_bind_int64(st, b + 1, r->tape);
	sqlite3_bind_int64(st, b + 2, r->pid);
	sqlite3_bind_int64(st, b + 3, r->tid);
	sqlite3_bind_int64(st, b + 4, r->nr);
	sqlite3_bind_text(st, b + 5, tt_syscall_name(r->nr), -1, SQLITE_STATIC);
	for (int a = 0; a < 6; a++) {
		if (r->has_enter)
			sqlite3_bind_int64(st, b + 6 + a, (int64_t)r->args[a]);
		else
			sqlite3_bind_null(st, b + 6 + a);
	}
	if (r->has_exit) {
		sqlite3_bind_int64(st, b + 12, r->ret);
		sqlite3_bind_int64(st, b + 14, (int64_t)r->end_ts);
		sqlite3_bind_int64(st, b + 17, (int64_t)r->exit_event_id);
	} else {
		sqlite3_bind_null(st, b + 12);
		sqlite3_bind_null(st, b + 14);
		sqlite3_bind_null(st, b + 17);
	}
	if (r->has_enter) {
		sqlite3_bind_int64(st, b + 13, (int64_t)r->start_ts);
		sqlite3_bind_int64(st, b + 16, (int64_t)r->enter_event_id);
	} else {
		sqlite3_bind_null(st, b + 13);
		sqlite3_bind_null(st, b + 16);
	}
	if (r->has_enter && r->has_exit)
		sqlite3_bind_int64(st, b + 15, (int64_t)(r->end_ts - r->start_ts));
	else
		sqlite3_bind_null(st, b + 15);
}

/* Insert the batched rows: a full batch in one statement, a partial one row by row. */
static int kdb_flush(struct tt_kernel_db *kdb)
{
	int err = 0;

	if (kdb->state_n == KROWS) {
		for (size_t i = 0; i < KROWS; i++)
			bind_state(kdb->ins_state[1], (int)i * STATE_PARAMS, &kdb->states[i].row);
		err = kdb_step(kdb, kdb->ins_state[1]);
	} else {
		for (size_t i = 0; i < kdb->state_n && !err; i++) {
			bind_state(kdb->ins_state[0], 0, &kdb->states[i].row);
			err = kdb_step(kdb, kdb->ins_state[0]);
		}
	}
	kdb->state_n = 0;
	if (kdb->call_n == KROWS) {
		for (size_t i = 0; i < KROWS; i++)
			bind_sys(kdb->ins_sys[1], (int)i * SYS_PARAMS, &kdb->calls[i]);
		if (!err)
			err = kdb_step(kdb, kdb->ins_sys[1]);
	} else {
		for (size_t i = 0; i < kdb->call_n && !err; i++) {
			bind_sys(kdb->ins_sys[0], 0, &kdb->calls[i]);
			err = kdb_step(kdb, kdb->ins_sys[0]);
		}
	}
	kdb->call_n = 0;
	return err;
}

static int kdb_state(void *ctx, const struct tt_kstate_row *r)
{
	struct tt_kernel_db *kdb = ctx;
	struct kstate_buf *b = &kdb->states[kdb->state_n++];

	b->row = *r;
	if (r->reason) {
		snprintf(b->reason, sizeof(b->reason), "%s", r->reason);
		b->row.reason = b->reason;
	}
	return kdb->state_n == KROWS ? kdb_flush(kdb) : 0;
}

static int kdb_sys(void *ctx, const struct tt_ksys_row *r)
{
	struct tt_kernel_db *kdb = ctx;

	kdb->calls[kdb->call_n++] = *r;
	return kdb->call_n == KROWS ? kdb_flush(kdb) : 0;
}

/* The INSERT of `rows` rows into table (cols, params per row). */
static int kdb_prepare(struct tt_kernel_db *kdb, const char *table, const char *cols, int params,
		       int rows, sqlite3_stmt **st)
{
	struct tt_buf sql = {0};
	int err = tt_buf_printf(&sql, "INSERT INTO %s (%s) VALUES ", table, cols);

	for (int r = 0; r < rows && !err; r++) {
		err = tt_buf_append(&sql, r ? ",(?" : "(?", r ? 3 : 2);
		for (int p = 1; p < params && !err; p++)
			err = tt_buf_append(&sql, ",?", 2);
		if (!err)
			err = tt_buf_append(&sql, ")", 1);
	}
	if (!err)
		err = tt_buf_append(&sql, "", 1);
	if (!err && sqlite3_prepare_v3(kdb->db, (const char *)sql.data, -1, SQLITE_PREPARE_PERSISTENT, st,
				       NULL) != SQLITE_OK)
		err = kdb_fail(kdb, "SQL error");
	tt_buf_free(&sql);
	return err;
}

int tt_kernel_db__new(sqlite3 *db, const struct tt_out *out, struct tt_kernel_db **kdb)
{
	static const char state_cols[] = "tape, pid, tid, state, start_ts, end_ts, dur, cpu, reason, "
					  "waker_tid, begin_event_id, end_event_id";
	static const char sys_cols[] = "tape, pid, tid, nr, name, arg0, arg1, arg2, arg3, arg4, arg5, "
					"ret, start_ts, end_ts, dur, enter_event_id, exit_event_id";
	struct tt_kernel_db *d = calloc(1, sizeof(*d));
	struct tt_kernel_sink sink = {kdb_state, kdb_sys, d};
	int err = -ENOMEM;

	*kdb = NULL;
	if (!d)
		return -ENOMEM;
	d->db = db;
	d->out = out;
	d->k = tt_kernel__new(&sink);
	if (!d->k)
		goto cleanup;
	for (int m = 0; m < 2; m++) {
		err = kdb_prepare(d, "thread_states", state_cols, STATE_PARAMS, m ? KROWS : 1, &d->ins_state[m]);
		if (!err)
			err = kdb_prepare(d, "syscalls", sys_cols, SYS_PARAMS, m ? KROWS : 1, &d->ins_sys[m]);
		if (err)
			goto cleanup;
	}
	*kdb = d;
	return 0;
cleanup:
	tt_kernel_db__free(d);
	return err;
}

/* The decoder of fmt, made on its first record (a handful of formats: a short list). */
static const struct tt_kdecoder *decoder_of(struct tt_kernel_db *kdb, const struct tt_tp_format *fmt)
{
	struct kdec_entry *e;

	if (kdb->last < kdb->dec_cnt && kdb->dec[kdb->last].fmt == fmt)
		return &kdb->dec[kdb->last].d;
	for (size_t i = 0; i < kdb->dec_cnt; i++)
		if (kdb->dec[i].fmt == fmt) {
			kdb->last = i;
			return &kdb->dec[i].d;
		}
	if (tt_grow((void **)&kdb->dec, &kdb->dec_cap, kdb->dec_cnt + 1, sizeof(*kdb->dec)))
		return NULL;
	e = &kdb->dec[kdb->dec_cnt];
	e->fmt = fmt;
	tt_kdecoder__init(&e->d, fmt);
	kdb->last = kdb->dec_cnt++;
	return &e->d;
}

int tt_kernel_db__record(struct tt_kernel_db *kdb, const struct tt_tp_format *fmt, uint32_t capture,
			 uint32_t tape, uint64_t event_id, uint64_t ts, uint32_t pid, uint32_t tid,
			 uint32_t cpu, const uint8_t *rec, size_t len)
{
	const struct tt_kdecoder *d = decoder_of(kdb, fmt);
	struct tt_kev ev = {
		.capture = capture, .tape = tape, .event_id = event_id, .ts = ts,
		.pid = pid, .tid = tid, .cpu = cpu,
	};

	if (!d)
		return -ENOMEM;
	/* a record too short for its fields is decoded as NULLs in its tp_ table: skip it here */
	if (d->type == TT_KEV_NONE || tt_kdecoder__decode(d, rec, len, &ev))
		return 0;
	return tt_kernel__event(kdb->k, &ev);
}

int tt_kernel_db__finish(struct tt_kernel_db *kdb, struct tt_kernel_stats *st)
{
	struct tt_kernel_stats ks;
	sqlite3_stmt *ins = NULL;
	int err = tt_kernel__finish(kdb->k);

	if (!err)
		err = kdb_flush(kdb);
	tt_kernel__stats(kdb->k, &ks);
	if (st)
		*st = ks;
	if (err || !ks.events)
		return err;
	/* how much of the states rests on inference (meta, documented in tracetape.sql) */
	if (sqlite3_prepare_v2(kdb->db, "INSERT INTO meta (tape, key, value) VALUES (NULL, ?, ?)", -1,
			       &ins, NULL) != SQLITE_OK)
		return kdb_fail(kdb, "SQL error");
	for (int i = 0; i < 2 && !err; i++) {
		char v[32];

		snprintf(v, sizeof(v), "%llu", (unsigned long long)(i ? ks.unseen_switch_outs : ks.inferred));
		sqlite3_bind_text(ins, 1, i ? "kernel_unseen_switch_outs" : "kernel_inferred_switch_ins", -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, v, -1, SQLITE_TRANSIENT);
		err = kdb_step(kdb, ins);
	}
	sqlite3_finalize(ins);
	return err;
}

void tt_kernel_db__free(struct tt_kernel_db *kdb)
{
	if (!kdb)
		return;
	for (int m = 0; m < 2; m++) {
		sqlite3_finalize(kdb->ins_state[m]);
		sqlite3_finalize(kdb->ins_sys[m]);
	}
	tt_kernel__free(kdb->k);
	free(kdb->dec);
	free(kdb);
}
