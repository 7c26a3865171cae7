/* SPDX-License-Identifier: MIT */
/*
 * The SQLite loader (loader.h). One pass over the tapes, merged by timestamp, through a pipeline
 * of three threads, because SQLite writes a file from one thread at a time and the insert is what
 * bounds the load:
 *
 *   reader    (the caller's thread) reads and decodes the tapes, builds spans (spans.h), keeps
 *             the per-thread and per-process facts, and copies events and finished spans into
 *             batches;
 *   events    owns the database connection during the pass: binds each event to a prepared
 *             INSERT chosen by its argument count (columns it does not name stay NULL), decodes
 *             tracepoint records into their tp_ tables;
 *   spans     inserts spans into a side database and builds their indexes there; at the end
 *             the events thread's connection copies that table in with SQLite's transfer
 *             optimization (records and index entries copied as they are, no decoding).
 *
 * Batches go round a small ring per writer, so memory stays bounded and nothing is allocated per
 * event once the batches have grown to the largest strings seen. Everything runs with
 * journal_mode=OFF and synchronous=OFF into a temporary file that is renamed into place only when
 * complete. After the pass come the small tables (tapes, probes, processes, threads, losses,
 * meta), the per-probe views, the loss flags of spans, and the indexes, each built by one sort
 * rather than by updating a B-tree per row.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "builtin_providers.h"
#include "db_schema.h"
#include "demangle.h"
#include "kernel_db.h"
#include "loader.h"
#include "tape_reader.h"
#include "tp_format.h"
#include "tt_error.h"
#include "tt_fmt.h"
#include "tt_hash.h"
#include "tt_names.h"
#include "tt_util.h"
#include "tt_version.h"

#define EV_FIXED_COLS 10      /* id, ts, tape, probe_id, pid, tid, cpu, goid, fault, truncated */
#define PROGRESS_MASK 0xffff  /* look at the clock every 65536 events */
#define PROGRESS_NS 250000000ULL
#define COMMIT_EVERY (1u << 22) /* rows per transaction: keeps SQLite's dirty set bounded */
#define EV_BATCH 4096           /* events per batch handed to the events writer */
#define SPAN_BATCH 4096         /* spans per batch handed to the span writer */
#define RING 4                  /* batches per writer: one being filled, the others queued */
#define EV_ROWS 16              /* events per multi-row INSERT */
#define SPAN_ROWS 16            /* spans per multi-row INSERT */
#define SPAN_PARAMS 22          /* parameters of a spans row */

enum builtin { BI_NONE, BI_FORK, BI_EXEC, BI_EXIT };

struct src {
	struct tt_tape_reader *r;
	const char *path;
	uint32_t tape, capture;
	uint32_t *gid;        /* tape probe id -> global probe id (0: not described yet) */
	size_t gid_cap;
	const struct tt_event *ev;
	const uint8_t *kinds;
	int done;
	int read_err;         /* the error that ended the read, or 0 */
	uint64_t events, ts_first, ts_last;
	uint32_t probes_seen; /* tt_tape_reader__probe_cnt() when last looked at */
};

/*
 * A tracepoint's table. The reader thread builds the SQL; the events thread creates the table
 * and prepares ins when the first record comes (it owns the connection meanwhile).
 */
struct tp_table {
	char *name;
	char *format;         /* the format text, to recognise the same tracepoint in another tape */
	struct tt_tp_format *fmt;
	char *create_sql, *insert_sql;
	sqlite3_stmt *ins;
};

struct gprobe {
	char *provider, *name, *binary, *build_id, *arg_specs;
	char *arg_names[TT_MAX_ARGS];
	uint8_t kinds[TT_MAX_ARGS];
	uint8_t argc, type, builtin;
	struct tp_table *tp;  /* tracepoint table, or NULL */
	uint32_t tape, tape_probe;
	uint64_t events;
};

struct thread {
	uint32_t tape, pid, tid;
	uint64_t first, last, cnt;
	uint64_t first_id, last_id;
};

struct proc {
	uint32_t capture, tape, pid;
	int64_t ppid;         /* -1 unknown */
	char *comm, *exe, *cmdline;
	uint64_t fork_ts, exec_ts, exit_ts;
	int64_t exit_status, exit_signal;
	uint8_t has_fork, has_exec, has_exit;
};

/*
 * One event as the events writer needs it: a copy, since the reader's event is only valid until
 * its next call. String bytes go to the batch's arena (str_off); the pointers are set by the
 * writer, after the arena stopped moving.
 */
struct ev_rec {
	uint64_t id, ts, goid;
	uint32_t gid, tape, pid, tid, cpu;
	uint16_t fault;
	uint8_t argc;
	uint8_t kinds[TT_MAX_ARGS];
	uint64_t args[TT_MAX_ARGS];
	uint32_t str_off[TT_MAX_ARGS], str_len[TT_MAX_ARGS];
	uint8_t str_flags[TT_MAX_ARGS];
	struct tp_table *tp;
};

struct ev_batch {
	struct ev_rec *r;
	size_t n;
	struct tt_buf strs;
};

struct span_batch {
	struct tt_span *s;
	uint32_t *key_off;    /* where each string key was copied into keys */
	size_t n;
	struct tt_buf keys;
};

/*
 * A writer thread and the ring of batches it consumes. The producer fills the batch at
 * (head + count) % RING, then pushes it; the writer takes the one at head. consume() runs in the
 * writer for each batch, done() once after the last (unless the stage failed or was cancelled).
 */
struct stage {
	pthread_t th;
	int started, joined;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int head, count;      /* queued batches, the one being written included */
	int finish;           /* the producer pushed its last batch */
	int err;              /* the writer's error; -ECANCELED when the producer gave up */
	int (*consume)(struct stage *st, int idx);
	int (*done)(struct stage *st);
	void *ctx;
};

struct loader {
	const struct tt_load_opts *o;
	const struct tt_out *out;
	sqlite3 *db;
	struct src *srcs;
	size_t src_cnt;

	/* the events writer (owns db while it runs) */
	struct stage ev_stage;
	struct ev_batch evb[RING];
	int ev_fill;             /* the batch the reader fills */
	sqlite3_stmt *ins_ev[TT_MAX_ARGS + 1];       /* one row of N arguments */
	sqlite3_stmt *ins_ev_multi[TT_MAX_ARGS + 1]; /* EV_ROWS rows of N arguments */
	struct tt_buf scratch;   /* JSON of tracepoint arrays */
	uint64_t rows_in_tx;

	/* the span writer and its side database */
	struct stage sp_stage;
	struct span_batch spb[RING];
	int sp_fill;
	sqlite3 *side_db;
	sqlite3_stmt *ins_span, *ins_span_multi; /* one row, SPAN_ROWS rows */
	char *side_path;
	struct tt_buf spans_idx; /* the schema's CREATE INDEX ... ON spans statements */

	struct tt_span_builder *spans;
	struct tt_kernel_db *kernel; /* thread_states and syscalls (kernel.h) */
	struct gprobe *probes;   /* probes[gid - 1] */
	size_t probe_cnt, probe_cap;
	struct tp_table **tps;
	size_t tp_cnt, tp_cap;

	struct thread *threads;  /* in the order first seen */
	size_t thread_cap, thread_cnt;
	struct tt_hidx thread_index; /* (tape, pid, tid) -> position in threads */
	size_t thread_last;      /* the thread of the previous event: most often the next one's */
	struct proc *procs;      /* in the order first seen */
	size_t proc_cap, proc_cnt;
	struct tt_hidx proc_index;   /* (capture, pid) -> position in procs */

	uint64_t next_event_id;
	uint64_t span_cnt;
	uint64_t last_progress_ns, start_ns;
	char **warnings;
	size_t warning_cnt;
};

/* ---- small helpers ---- */

static int sql_fail(struct loader *l, const char *what)
{
	tt_err(l->out, "%s: %s", what, sqlite3_errmsg(l->db));
	return -TT_E_SQL;
}

static int prepare(struct loader *l, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return sql_fail(l, "SQL error");
	return 0;
}

static int step_done(struct loader *l, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sql_fail(l, "cannot insert");
	return 0;
}

static int add_warning(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add_warning(struct loader *l, const char *fmt, ...)
{
	char **w = realloc(l->warnings, (l->warning_cnt + 1) * sizeof(*w));
	va_list ap;
	int n;

	if (!w)
		return -ENOMEM;
	l->warnings = w;
	va_start(ap, fmt);
	n = vasprintf(&w[l->warning_cnt], fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	tt_warn(l->out, "%s", w[l->warning_cnt]);
	l->warning_cnt++;
	return 0;
}

/* Valid UTF-8 without NUL bytes: what may be stored as TEXT. */
static int utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t len;
		uint32_t cp;

		if (c >= 0x01 && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += len;
	}
	return 1;
}

static void bind_bytes(sqlite3_stmt *st, int col, const uint8_t *p, size_t n)
{
	if (utf8_ok(p, n))
		sqlite3_bind_text(st, col, (const char *)p, (int)n, SQLITE_STATIC);
	else
		sqlite3_bind_blob(st, col, p, (int)n, SQLITE_STATIC);
}

/* Append s to b as a JSON string. */
static int json_str(struct tt_buf *b, const char *s)
{
	return tt_json_append(b, s);
}

/* ---- names for views and tables ---- */

static int name_taken(struct loader *l, const char *name)
{
	sqlite3_stmt *st;
	int taken = 1;

	/* SQLite identifiers are case-insensitive: compare the way SQLite resolves them */
	if (sqlite3_prepare_v2(l->db, "SELECT 1 FROM sqlite_master WHERE name = ?1 COLLATE NOCASE",
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
static void unique_name(struct loader *l, const char *prefix, const char *a, const char *b,
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
	for (int i = 2; name_taken(l, buf); i++)
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

/*
 * A tp_ table name not used yet, decided without the database (the events thread owns the
 * connection while tables are being described): the schema's objects and earlier tp_ tables.
 */
static void tp_name(struct loader *l, const char *category, const char *name, char *buf, size_t sz)
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
		for (size_t i = 0; i < l->tp_cnt && !taken; i++)
			taken = !strcasecmp(buf, l->tps[i]->name);
		if (!taken)
			return;
		snprintf(buf, sz, "%s_%d", base, n % 10000);
	}
}

static void tp_table_free(struct tp_table *t)
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

/*
 * The table for tracepoint probe p of source s: one already described for the same format text,
 * or a new one. *tp is NULL (with a warning) when the format is missing or cannot be parsed:
 * the records then stay raw in events.arg0.
 */
static int tp_table_for(struct loader *l, struct src *s, uint32_t tape_probe,
			const struct tt_probe_desc *p, struct tp_table **tp)
{
	const char *text = tt_tape_reader__tp_format(s->r, tape_probe);
	struct tt_buf sql = {0}, ins = {0};
	char name[320], errbuf[256];
	char(*cols)[64] = NULL;
	struct tp_table *t = NULL;
	int err;

	*tp = NULL;
	if (!text) {
		err = add_warning(l, "tape '%s': tracepoint %s:%s has no format text; its records are "
				  "kept raw in events.arg0", s->path, p->provider, p->name);
		goto cleanup;
	}
	for (size_t i = 0; i < l->tp_cnt; i++) {
		if (!strcmp(l->tps[i]->format, text) && !strcmp(l->tps[i]->fmt->system, p->provider)) {
			*tp = l->tps[i];
			return 0;
		}
	}
	err = -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto cleanup;
	err = tt_tp_format_parse(p->provider, text, &t->fmt, errbuf, sizeof(errbuf));
	if (err) {
		err = add_warning(l, "tape '%s': format of tracepoint %s:%s cannot be parsed (%s); its "
				  "records are kept raw in events.arg0", s->path, p->provider, p->name,
				  errbuf);
		goto cleanup;
	}
	err = -ENOMEM;
	cols = calloc(t->fmt->field_cnt + 1, sizeof(*cols));
	if (!cols)
		goto cleanup;
	tp_name(l, p->provider, p->name, name, sizeof(name));
	if (tt_buf_printf(&sql, "CREATE TABLE %s (event_id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, "
			  "tape INTEGER NOT NULL, pid INTEGER NOT NULL, tid INTEGER NOT NULL, "
			  "cpu INTEGER NOT NULL", name) ||
	    tt_buf_printf(&ins, "INSERT INTO %s VALUES (?, ?, ?, ?, ?, ?", name))
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
		if (tt_buf_printf(&sql, ", %s %s", cols[c], type) || tt_buf_append(&ins, ", ?", 3))
			goto cleanup;
		c++;
	}
	if (tt_buf_append(&sql, ")", 2) || tt_buf_append(&ins, ")", 2))
		goto cleanup;
	if (l->tp_cnt == l->tp_cap) {
		size_t cap = l->tp_cap ? l->tp_cap * 2 : 8;
		struct tp_table **n = realloc(l->tps, cap * sizeof(*n));

		if (!n)
			goto cleanup;
		l->tps = n;
		l->tp_cap = cap;
	}
	t->name = strdup(name);
	t->format = strdup(text);
	t->create_sql = strdup((const char *)sql.data);
	t->insert_sql = strdup((const char *)ins.data);
	if (!t->name || !t->format || !t->create_sql || !t->insert_sql)
		goto cleanup;
	l->tps[l->tp_cnt++] = t;
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

/* In the events thread: one record of tracepoint table t (created on its first record). */
static int tp_insert(struct loader *l, struct tp_table *t, const struct ev_rec *e,
		     const uint8_t *rec, size_t len)
{
	const struct tt_tp_format *fmt = t->fmt;
	sqlite3_stmt *st;
	int col = 7, err;

	if (!t->ins) {
		err = tt_db_exec(l->db, t->create_sql, -1, l->out);
		if (!err)
			err = prepare(l, t->insert_sql, &t->ins);
		if (err)
			return err;
	}
	st = t->ins;
	sqlite3_bind_int64(st, 1, (int64_t)e->id);
	sqlite3_bind_int64(st, 2, (int64_t)e->ts);
	sqlite3_bind_int64(st, 3, e->tape);
	sqlite3_bind_int64(st, 4, e->pid);
	sqlite3_bind_int64(st, 5, e->tid);
	sqlite3_bind_int64(st, 6, e->cpu);
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
				bind_bytes(st, col, data, n);
			break;
		case TT_TPF_ARRAY:
		case TT_TPF_DYN_ARRAY: {
			/* JSON text of the elements, signed as the format says */
			uint32_t cnt = f->count, esz = f->elem_size ? f->elem_size : 1;
			int bad = 0;

			l->scratch.len = 0;
			if (f->kind == TT_TPF_DYN_ARRAY) {
				if (tt_tp_field_bytes(f, rec, len, &data, &n) || esz > 8)
					bad = 1;
				else
					cnt = (uint32_t)(n / esz);
			}
			bad = bad || tt_buf_append(&l->scratch, "[", 1);
			for (uint32_t k = 0; k < cnt && !bad; k++) {
				if (f->kind == TT_TPF_ARRAY) {
					bad = tt_tp_field_int(f, rec, len, k, &v) != 0;
				} else {
					v = 0;
					for (uint32_t b = 0; b < esz; b++)
						v |= (uint64_t)data[k * esz + b] << (8 * b);
					if (f->is_signed && esz < 8 && (v >> (esz * 8 - 1)) & 1)
						v |= ~0ULL << (esz * 8);
				}
				if (!bad)
					bad = f->is_signed ? tt_buf_printf(&l->scratch, "%s%lld", k ? "," : "",
									   (long long)v)
							   : tt_buf_printf(&l->scratch, "%s%llu", k ? "," : "",
									   (unsigned long long)v);
			}
			bad = bad || tt_buf_append(&l->scratch, "]", 1);
			if (bad)
				sqlite3_bind_null(st, col);
			else
				sqlite3_bind_text(st, col, (const char *)l->scratch.data, (int)l->scratch.len,
						  SQLITE_TRANSIENT);
			break;
		}
		default:
			if (tt_tp_field_bytes(f, rec, len, &data, &n))
				sqlite3_bind_null(st, col);
			else
				sqlite3_bind_blob(st, col, data, (int)n, SQLITE_STATIC);
			break;
		}
		col++;
	}
	return step_done(l, st);
}

/* ---- probes ---- */

static char *dup_or_null(const char *s, int *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = 1;
	return d;
}

static void gprobe_free(struct gprobe *g)
{
	free(g->provider);
	free(g->name);
	free(g->binary);
	free(g->build_id);
	free(g->arg_specs);
	for (int i = 0; i < TT_MAX_ARGS; i++)
		free(g->arg_names[i]);
}

/*
 * Give tape_probe of s a global id (probes.id) and describe it to the span builder; its rows are
 * written after the pass (insert_probes). *gid_out is 0 when the reader has no description.
 */
static int probe_register(struct loader *l, struct src *s, uint32_t tape_probe, uint32_t *gid_out)
{
	const struct tt_probe_desc *p = tt_tape_reader__probe(s->r, tape_probe);
	struct gprobe *g;
	uint32_t gid;
	int fail = 0, err;

	*gid_out = 0;
	if (!p)
		return 0;
	if (tape_probe >= s->gid_cap) {
		size_t cap = s->gid_cap ? s->gid_cap : 64;
		uint32_t *n;

		while (cap <= tape_probe)
			cap *= 2;
		n = realloc(s->gid, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + s->gid_cap, 0, (cap - s->gid_cap) * sizeof(*n));
		s->gid = n;
		s->gid_cap = cap;
	}
	if (s->gid[tape_probe]) {
		*gid_out = s->gid[tape_probe];
		return 0;
	}
	if (l->probe_cnt == l->probe_cap) {
		size_t cap = l->probe_cap ? l->probe_cap * 2 : 64;
		struct gprobe *n = realloc(l->probes, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		l->probes = n;
		l->probe_cap = cap;
	}
	g = &l->probes[l->probe_cnt];
	memset(g, 0, sizeof(*g));
	g->tape = s->tape;
	g->tape_probe = tape_probe;
	g->type = p->type;
	g->argc = p->argc > TT_MAX_ARGS ? TT_MAX_ARGS : p->argc;
	memcpy(g->kinds, p->kinds, sizeof(g->kinds));
	g->provider = dup_or_null(p->provider ? p->provider : "?", &fail);
	g->name = dup_or_null(p->name ? p->name : "?", &fail);
	g->binary = dup_or_null(p->binary, &fail);
	g->build_id = dup_or_null(p->build_id, &fail);
	g->arg_specs = dup_or_null(p->arg_specs, &fail);
	for (int i = 0; i < g->argc; i++)
		g->arg_names[i] = dup_or_null(p->arg_names[i], &fail);
	if (fail) {
		gprobe_free(g);
		return -ENOMEM;
	}
	gid = (uint32_t)++l->probe_cnt;
	s->gid[tape_probe] = gid;
	if (p->type == TT_PROBE_BUILTIN && !strcmp(g->provider, "tracetape")) {
		if (!strcmp(g->name, "process__fork"))
			g->builtin = BI_FORK;
		else if (!strcmp(g->name, "process__exec"))
			g->builtin = BI_EXEC;
		else if (!strcmp(g->name, "process__exit"))
			g->builtin = BI_EXIT;
	}
	if (p->type == TT_PROBE_TRACEPOINT) {
		err = tp_table_for(l, s, tape_probe, p, &l->probes[gid - 1].tp);
		if (err)
			return err;
	}
	err = tt_span_builder__add_probe(l->spans, gid, p);
	if (err)
		return err;
	*gid_out = gid;
	return 0;
}

/* The probes and probe_args rows (after the pass: the connection is the main thread's again). */
static int insert_probes(struct loader *l)
{
	sqlite3_stmt *ps = NULL, *as = NULL;
	struct tt_buf names = {0}, kinds = {0};
	int err = 0;

	if (sqlite3_prepare_v2(l->db, "INSERT INTO probes (id, tape, tape_probe_id, kind, provider, "
			       "name, binary, build_id, arg_specs, argc, arg_names, arg_kinds, events) "
			       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &ps, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "INSERT INTO probe_args (probe_id, idx, name, kind, column_name) "
			       "VALUES (?, ?, ?, ?, ?)", -1, &as, NULL) != SQLITE_OK) {
		err = sql_fail(l, "SQL error");
		goto cleanup;
	}
	for (size_t i = 0; i < l->probe_cnt && !err; i++) {
		const struct gprobe *g = &l->probes[i];
		char kb[16], col[64];

		names.len = kinds.len = 0;
		err = -ENOMEM;
		if (tt_buf_append(&names, "[", 1) || tt_buf_append(&kinds, "[", 1))
			goto cleanup;
		for (int a = 0; a < g->argc; a++) {
			if ((a && (tt_buf_append(&names, ",", 1) || tt_buf_append(&kinds, ",", 1))) ||
			    (g->arg_names[a] ? json_str(&names, g->arg_names[a])
					     : tt_buf_append(&names, "null", 4)) ||
			    json_str(&kinds, tt_kind_name(g->kinds[a], kb)))
				goto cleanup;
		}
		if (tt_buf_append(&names, "]", 2) || tt_buf_append(&kinds, "]", 2))
			goto cleanup;
		sqlite3_bind_int64(ps, 1, (int64_t)i + 1);
		sqlite3_bind_int64(ps, 2, g->tape);
		sqlite3_bind_int64(ps, 3, g->tape_probe);
		sqlite3_bind_text(ps, 4, tt_probe_type_name(g->type), -1, SQLITE_STATIC);
		sqlite3_bind_text(ps, 5, g->provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(ps, 6, g->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ps, 7, g->binary, -1, SQLITE_STATIC);
		sqlite3_bind_text(ps, 8, g->build_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ps, 9, g->arg_specs, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ps, 10, g->argc);
		sqlite3_bind_text(ps, 11, (const char *)names.data, -1, SQLITE_STATIC);
		sqlite3_bind_text(ps, 12, (const char *)kinds.data, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ps, 13, (int64_t)g->events);
		err = step_done(l, ps);
		for (int a = 0; a < g->argc && !err; a++) {
			if (g->arg_names[a])
				tt_db_ident(g->arg_names[a], col, sizeof(col));
			else
				snprintf(col, sizeof(col), "arg%d", a);
			sqlite3_bind_int64(as, 1, (int64_t)i + 1);
			sqlite3_bind_int64(as, 2, a);
			sqlite3_bind_text(as, 3, g->arg_names[a], -1, SQLITE_STATIC);
			sqlite3_bind_text(as, 4, tt_kind_name(g->kinds[a], kb), -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(as, 5, col, -1, SQLITE_TRANSIENT); /* the view may rename it */
			err = step_done(l, as);
		}
	}
cleanup:
	sqlite3_finalize(ps);
	sqlite3_finalize(as);
	tt_buf_free(&names);
	tt_buf_free(&kinds);
	return err;
}

/* ---- threads and processes ---- */

static uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
	return (uint32_t)tt_hash_u64(tt_hash_u64((uint64_t)a << 32 | b) ^ c);
}

struct thread_key {
	const struct thread *threads;
	uint32_t tape, pid, tid;
};

static bool thread_eq(const void *ctx, uint32_t pos)
{
	const struct thread_key *k = ctx;
	const struct thread *t = &k->threads[pos];

	return t->tid == k->tid && t->pid == k->pid && t->tape == k->tape;
}

static int thread_seen(struct loader *l, uint32_t tape, const struct tt_event *ev, uint64_t id)
{
	struct thread_key k = {l->threads, tape, ev->pid, ev->tid};
	struct thread *t;
	int64_t pos;

	if (l->thread_last < l->thread_cnt && thread_eq(&k, (uint32_t)l->thread_last)) {
		pos = (int64_t)l->thread_last;
	} else {
		uint32_t h = hash3(tape, ev->pid, ev->tid);

		pos = tt_hidx_find(&l->thread_index, h, thread_eq, &k);
		if (pos < 0) {
			if (tt_grow((void **)&l->threads, &l->thread_cap, l->thread_cnt + 1,
				    sizeof(*l->threads)) ||
			    tt_hidx_add(&l->thread_index, h, (uint32_t)l->thread_cnt))
				return -ENOMEM;
			pos = (int64_t)l->thread_cnt++;
			l->threads[pos] = (struct thread){tape, ev->pid, ev->tid, ev->ts_ns, ev->ts_ns, 0, id, id};
		}
		l->thread_last = (size_t)pos;
	}
	t = &l->threads[pos];
	t->last = ev->ts_ns;
	t->last_id = id;
	t->cnt++;
	return 0;
}

struct proc_key {
	const struct proc *procs;
	uint32_t capture, pid;
};

static bool proc_eq(const void *ctx, uint32_t pos)
{
	const struct proc_key *k = ctx;

	return k->procs[pos].pid == k->pid && k->procs[pos].capture == k->capture;
}

static struct proc *proc_get(struct loader *l, uint32_t capture, uint32_t tape, uint32_t pid)
{
	struct proc_key k = {l->procs, capture, pid};
	uint32_t h = hash3(capture, pid, 0);
	int64_t pos = tt_hidx_find(&l->proc_index, h, proc_eq, &k);
	struct proc *p;

	if (pos >= 0)
		return &l->procs[pos];
	if (tt_grow((void **)&l->procs, &l->proc_cap, l->proc_cnt + 1, sizeof(*l->procs)) ||
	    tt_hidx_add(&l->proc_index, h, (uint32_t)l->proc_cnt))
		return NULL;
	p = &l->procs[l->proc_cnt++];
	memset(p, 0, sizeof(*p));
	p->capture = capture;
	p->tape = tape;
	p->pid = pid;
	p->ppid = -1;
	return p;
}

static int set_str(char **dst, const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return -ENOMEM;
	memcpy(s, p, n);
	s[n] = 0;
	free(*dst);
	*dst = s;
	return 0;
}

/* tracetape's own process events: fork(child, comm), exec(comm), exit(status, signal). */
static int builtin_event(struct loader *l, const struct src *s, const struct gprobe *g,
			 const struct tt_event *ev, const uint8_t *kinds)
{
	struct proc *p;

	switch (g->builtin) {
	case BI_FORK:
		if (ev->argc < 1)
			return 0;
		p = proc_get(l, s->capture, s->tape, (uint32_t)ev->args[0]);
		if (!p)
			return -ENOMEM;
		p->ppid = ev->pid;
		p->fork_ts = ev->ts_ns;
		p->has_fork = 1;
		if (ev->argc > 1 && TT_KIND_CLASS(kinds[1]) == TT_CLASS_STR)
			return set_str(&p->comm, ev->strs[1].ptr, ev->strs[1].len);
		return 0;
	case BI_EXEC:
		p = proc_get(l, s->capture, s->tape, ev->pid);
		if (!p)
			return -ENOMEM;
		p->exec_ts = ev->ts_ns;
		p->has_exec = 1;
		if (ev->argc > 0 && TT_KIND_CLASS(kinds[0]) == TT_CLASS_STR)
			return set_str(&p->comm, ev->strs[0].ptr, ev->strs[0].len);
		return 0;
	case BI_EXIT:
		p = proc_get(l, s->capture, s->tape, ev->pid);
		if (!p)
			return -ENOMEM;
		p->exit_ts = ev->ts_ns;
		p->has_exit = 1;
		p->exit_status = ev->argc > 0 ? (int64_t)ev->args[0] : 0;
		p->exit_signal = ev->argc > 1 ? (int64_t)ev->args[1] : 0;
		return 0;
	default:
		return 0;
	}
}

/* ---- writer threads ---- */

static void *stage_main(void *arg)
{
	struct stage *st = arg;
	int err = 0, done;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		int idx;

		while (st->count == 0 && !st->finish && !st->err)
			pthread_cond_wait(&st->cv, &st->mu);
		if (st->count == 0 || st->err)
			break;
		idx = st->head;
		pthread_mutex_unlock(&st->mu);
		err = st->consume(st, idx);
		pthread_mutex_lock(&st->mu);
		st->head = (st->head + 1) % RING;
		st->count--;
		if (err && !st->err)
			st->err = err;
		pthread_cond_broadcast(&st->cv);
	}
	done = st->finish && !st->err;
	pthread_mutex_unlock(&st->mu);
	err = done && st->done ? st->done(st) : 0;
	pthread_mutex_lock(&st->mu);
	if (err && !st->err)
		st->err = err;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

static int stage_start(struct stage *st, int (*consume)(struct stage *, int),
		       int (*done)(struct stage *), void *ctx)
{
	int err;

	st->consume = consume;
	st->done = done;
	st->ctx = ctx;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	err = -pthread_create(&st->th, NULL, stage_main, st);
	if (err) {
		pthread_mutex_destroy(&st->mu);
		pthread_cond_destroy(&st->cv);
		return err;
	}
	st->started = 1;
	return 0;
}

/*
 * Queue the batch the producer filled (slot *fill) and move *fill to a free one, waiting while
 * every slot is queued. Returns 0 or the writer's error.
 */
static int stage_push(struct stage *st, int *fill)
{
	int err;

	pthread_mutex_lock(&st->mu);
	st->count++;
	pthread_cond_broadcast(&st->cv);
	while (st->count == RING && !st->err)
		pthread_cond_wait(&st->cv, &st->mu);
	err = st->err;
	pthread_mutex_unlock(&st->mu);
	*fill = (*fill + 1) % RING;
	return err;
}

/* Wait until the writer consumed everything and ran done(). Returns its error. */
static int stage_finish(struct stage *st)
{
	if (!st->started)
		return 0;
	if (!st->joined) {
		pthread_mutex_lock(&st->mu);
		st->finish = 1;
		pthread_cond_broadcast(&st->cv);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->th, NULL);
		st->joined = 1;
	}
	return st->err;
}

/* Stop the writer without waiting for its queue (error paths). */
static void stage_cancel(struct stage *st)
{
	if (!st->started)
		return;
	if (!st->joined) {
		pthread_mutex_lock(&st->mu);
		if (!st->err)
			st->err = -ECANCELED;
		st->finish = 1;
		pthread_cond_broadcast(&st->cv);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->th, NULL);
		st->joined = 1;
	}
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	st->started = 0;
}

/* ---- events ---- */

/*
 * In the events thread: bind event e as the row at parameter offset base of st, whose rows have
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
				bind_bytes(st, col, strs + e->str_off[i], e->str_len[i]);
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
static sqlite3_stmt *event_stmt(struct loader *l, int width, int rows)
{
	sqlite3_stmt **st = rows == 1 ? &l->ins_ev[width] : &l->ins_ev_multi[width];
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
		prepare(l, (const char *)sql.data, st);
	else
		tt_err(l->out, "out of memory");
	tt_buf_free(&sql);
	return *st;
}

static int step_events(struct loader *l, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return sql_fail(l, "cannot insert events");
	}
	sqlite3_reset(st);
	return 0;
}

/*
 * In the events thread: insert a batch. Rows go EV_ROWS at a time through one multi-row INSERT
 * as wide as the widest of them: one statement execution per EV_ROWS rows instead of per row,
 * which is most of SQLite's cost for rows this small. The rest go one by one.
 */
static int consume_events(struct stage *st, int idx)
{
	struct loader *l = st->ctx;
	struct ev_batch *b = &l->evb[idx];
	size_t i = 0;
	int err = 0;

	for (; i + EV_ROWS <= b->n && !err; i += EV_ROWS) {
		const struct ev_rec *e = &b->r[i];
		sqlite3_stmt *stmt;
		int width = 0;

		for (int r = 0; r < EV_ROWS; r++)
			width = TT_MAX(width, (int)e[r].argc);
		stmt = event_stmt(l, width, EV_ROWS);
		if (!stmt) {
			err = -TT_E_SQL;
			break;
		}
		for (int r = 0; r < EV_ROWS; r++)
			bind_event(stmt, r * (EV_FIXED_COLS + width), width, b, &e[r]);
		err = step_events(l, stmt);
	}
	for (; i < b->n && !err; i++) {
		sqlite3_stmt *stmt = event_stmt(l, b->r[i].argc, 1);

		if (!stmt) {
			err = -TT_E_SQL;
			break;
		}
		bind_event(stmt, 0, b->r[i].argc, b, &b->r[i]);
		err = step_events(l, stmt);
	}
	/* the tracepoint tables after their events */
	for (i = 0; i < b->n && !err; i++) {
		const struct ev_rec *e = &b->r[i];

		if (e->tp && e->argc >= 1)
			err = tp_insert(l, e->tp, e, b->strs.data + e->str_off[0], e->str_len[0]);
		if (e->tp && e->argc >= 1 && !err)
			err = tt_kernel_db__record(l->kernel, e->tp->fmt, l->srcs[e->tape - 1].capture, e->tape,
						   e->id, e->ts, e->pid, e->tid, e->cpu,
						   b->strs.data + e->str_off[0], e->str_len[0]);
	}
	l->rows_in_tx += b->n;
	if (!err && l->rows_in_tx >= COMMIT_EVERY) {
		err = tt_db_exec(l->db, "COMMIT; BEGIN", -1, l->out);
		l->rows_in_tx = 0;
	}
	b->n = 0;
	b->strs.len = 0;
	return err;
}

/* In the reader thread: copy ev into the batch being filled; hand the batch over when full. */
static int event_copy(struct loader *l, int *fill, const struct src *s, uint32_t gid,
		      const struct gprobe *g, const struct tt_event *ev, const uint8_t *kinds)
{
	struct ev_batch *b = &l->evb[*fill];
	struct ev_rec *e = &b->r[b->n];
	uint8_t argc = ev->argc > TT_MAX_ARGS ? TT_MAX_ARGS : ev->argc;

	e->id = l->next_event_id;
	e->ts = ev->ts_ns;
	e->goid = ev->goid;
	e->gid = gid;
	e->tape = s->tape;
	e->pid = ev->pid;
	e->tid = ev->tid;
	e->cpu = ev->cpu;
	e->fault = ev->fault_mask;
	e->argc = argc;
	e->tp = g->tp;
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
		return stage_push(&l->ev_stage, fill);
	return 0;
}

/* ---- spans ---- */

static int side_fail(struct loader *l, const char *what)
{
	tt_err(l->out, "%s: %s", what, sqlite3_errmsg(l->side_db));
	return -TT_E_SQL;
}

/* In the span thread: bind sp as the row at parameter offset base (22 parameters a row). */
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
		bind_bytes(st, base + 21, (const uint8_t *)sp->key_str, sp->key_len);
	else
		sqlite3_bind_null(st, base + 21);
	sqlite3_bind_text(st, base + 22, sp->unclosed, -1, SQLITE_STATIC); /* NULL binds NULL */
}

static int step_spans(struct loader *l, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return side_fail(l, "cannot insert spans");
	}
	sqlite3_reset(st);
	return 0;
}

static int span_id_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct tt_span *)a)->id, y = ((const struct tt_span *)b)->id;

	return (x > y) - (x < y);
}

static int consume_spans(struct stage *st, int idx)
{
	struct loader *l = st->ctx;
	struct span_batch *b = &l->spb[idx];
	size_t i = 0;
	int err = 0;

	/*
	 * Spans come in end order but carry start-order ids: sorted, a batch is (nearly) an append
	 * to the table's B-tree instead of a seek per row into its middle.
	 */
	for (i = 0; i < b->n; i++)
		if (b->s[i].key_type == 2)
			b->s[i].key_str = (const char *)b->keys.data + b->key_off[i];
	i = 0;
	qsort(b->s, b->n, sizeof(*b->s), span_id_cmp);
	for (; i + SPAN_ROWS <= b->n && !err; i += SPAN_ROWS) {
		for (int r = 0; r < SPAN_ROWS; r++)
			bind_span(l->ins_span_multi, r * SPAN_PARAMS, &b->s[i + (size_t)r]);
		err = step_spans(l, l->ins_span_multi);
	}
	for (; i < b->n && !err; i++) {
		bind_span(l->ins_span, 0, &b->s[i]);
		err = step_spans(l, l->ins_span);
	}
	b->n = 0;
	b->keys.len = 0;
	return err;
}

/*
 * In the span thread, after the last span: commit, build the spans indexes (while the events
 * thread builds its own) and close, so that the main connection can attach the file.
 */
static int spans_done(struct stage *st)
{
	struct loader *l = st->ctx;
	int err = tt_db_exec(l->side_db, "COMMIT", -1, l->out);

	if (!err)
		err = tt_db_exec(l->side_db, (const char *)l->spans_idx.data, -1, l->out);
	sqlite3_finalize(l->ins_span);
	sqlite3_finalize(l->ins_span_multi);
	l->ins_span = l->ins_span_multi = NULL;
	sqlite3_close(l->side_db);
	l->side_db = NULL;
	return err;
}

/* In the reader thread: the span builder's output goes into the span writer's batches. */
static int emit_span(void *ctx, const struct tt_span *sp)
{
	struct loader *l = ctx;
	struct span_batch *b = &l->spb[l->sp_fill];

	b->s[b->n] = *sp; /* provider, name and reasons are the builder's: stable until its free */
	if (sp->key_type == 2) {
		b->key_off[b->n] = (uint32_t)b->keys.len;
		if (tt_buf_append(&b->keys, sp->key_str, sp->key_len))
			return -ENOMEM;
	}
	l->span_cnt++;
	if (++b->n == SPAN_BATCH)
		return stage_push(&l->sp_stage, &l->sp_fill);
	return 0;
}

/* The statements every load uses, prepared before the events thread takes the connection. */
static int prepare_statements(struct loader *l)
{
	for (int w = 0; w <= TT_MAX_ARGS; w++)
		if (!event_stmt(l, w, 1) || !event_stmt(l, w, EV_ROWS))
			return -TT_E_SQL;
	return 0;
}

/* The source whose current event comes first (ties: the earlier tape). */
static struct src *pick(struct loader *l)
{
	struct src *best = NULL;

	for (size_t i = 0; i < l->src_cnt; i++) {
		struct src *s = &l->srcs[i];

		if (!s->done && (!best || s->ev->ts_ns < best->ev->ts_ns))
			best = s;
	}
	return best;
}

static int register_new_probes(struct loader *l, struct src *s)
{
	uint32_t n = tt_tape_reader__probe_cnt(s->r), gid;

	for (uint32_t id = s->probes_seen; id < n; id++) {
		int err = probe_register(l, s, id, &gid);

		if (err)
			return err;
	}
	s->probes_seen = n;
	return 0;
}

static void advance(struct src *s)
{
	int rc = tt_tape_reader__next(s->r, &s->ev);

	if (rc == 1) {
		s->kinds = tt_tape_reader__event_kinds(s->r);
		return;
	}
	s->done = 1;
	s->ev = NULL;
	if (rc < 0)
		s->read_err = rc;
}

static void progress(struct loader *l)
{
	uint64_t now = tt_now_mono_ns();
	double secs = (double)(now - l->start_ns) / 1e9;

	if (now - l->last_progress_ns < PROGRESS_NS)
		return;
	l->last_progress_ns = now;
	tt_progress(l->out, "loading: %llu events, %llu spans, %.1f s (%.0f events/s)",
		    (unsigned long long)(l->next_event_id - 1), (unsigned long long)l->span_cnt, secs,
		    secs > 0 ? (double)(l->next_event_id - 1) / secs : 0.0);
}

/* The pass over the tapes, in the reader thread. */
static int load_events(struct loader *l)
{
	struct src *s;
	int err;

	for (size_t i = 0; i < l->src_cnt; i++)
		advance(&l->srcs[i]);
	while ((s = pick(l))) {
		const struct tt_event *ev = s->ev;
		const struct gprobe *g;
		uint32_t gid;

		/*
		 * Describe every probe the reader knows before its events: a span's end probe must
		 * be known when its start events come, and probe ids then follow the tape's order.
		 */
		if (tt_tape_reader__probe_cnt(s->r) != s->probes_seen) {
			err = register_new_probes(l, s);
			if (err)
				return err;
		}
		gid = ev->probe_id < s->gid_cap ? s->gid[ev->probe_id] : 0;
		if (!gid) {
			err = probe_register(l, s, ev->probe_id, &gid);
			if (err)
				return err;
			if (!gid) { /* cannot happen: the reader describes every probe it returns */
				advance(s);
				continue;
			}
		}
		g = &l->probes[gid - 1];
		l->probes[gid - 1].events++;
		err = event_copy(l, &l->ev_fill, s, gid, g, ev, s->kinds);
		if (err)
			return err;
		if (g->builtin) {
			err = builtin_event(l, s, g, ev, s->kinds);
			if (err)
				return err;
		}
		err = thread_seen(l, s->tape, ev, l->next_event_id);
		if (err)
			return err;
		err = tt_span_builder__event(l->spans, s->capture, s->tape, l->next_event_id, gid, ev,
					     s->kinds);
		if (err)
			return err;
		if (!s->events++)
			s->ts_first = ev->ts_ns;
		s->ts_last = ev->ts_ns;
		if ((l->next_event_id++ & PROGRESS_MASK) == 0)
			progress(l);
		advance(s);
	}
	tt_progress_done(l->out);
	err = tt_span_builder__finish(l->spans);
	/* the partly filled batches */
	if (!err && l->evb[l->ev_fill].n)
		err = stage_push(&l->ev_stage, &l->ev_fill);
	if (!err && l->spb[l->sp_fill].n)
		err = stage_push(&l->sp_stage, &l->sp_fill);
	return err;
}

/* ---- after the events ---- */

static int register_remaining_probes(struct loader *l)
{
	for (size_t i = 0; i < l->src_cnt; i++) {
		int err;

		/* from 0: probes skipped earlier because their description came late */
		l->srcs[i].probes_seen = 0;
		err = register_new_probes(l, &l->srcs[i]);
		if (err)
			return err;
	}
	return 0;
}

static int insert_meta(struct loader *l, int64_t tape, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int err;

	if (sqlite3_prepare_v2(l->db, "INSERT INTO meta (tape, key, value) VALUES (?, ?, ?)", -1, &st,
			       NULL) != SQLITE_OK)
		return sql_fail(l, "SQL error");
	if (tape)
		sqlite3_bind_int64(st, 1, tape);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	err = step_done(l, st);
	sqlite3_finalize(st);
	return err;
}

static const char *tape_status(const struct src *s, char *warning, size_t sz)
{
	struct tt_tape_status st;

	tt_tape_reader__status(s->r, &st);
	warning[0] = 0;
	if (s->read_err) {
		snprintf(warning, sz, "tape '%s' is damaged at offset %llu (%s): loaded the %llu events "
			 "before the damage", s->path, (unsigned long long)st.stopped_at,
			 tt_strerror(s->read_err), (unsigned long long)s->events);
		return "damaged";
	}
	if (st.truncated) {
		snprintf(warning, sz, "tape '%s' is cut inside a block at offset %llu: loaded the %llu "
			 "events of its whole blocks", s->path, (unsigned long long)st.truncated_at,
			 (unsigned long long)s->events);
		return "truncated";
	}
	if (!st.closed_cleanly) {
		snprintf(warning, sz, "tape '%s' was not closed cleanly (no trailer; the recorder was "
			 "killed?): loaded the %llu events of its whole blocks", s->path,
			 (unsigned long long)s->events);
		return "unclosed";
	}
	return "complete";
}

static int insert_tapes(struct loader *l, struct tt_load_stats *stats)
{
	sqlite3_stmt *st = NULL, *ls = NULL;
	int err = 0;

	if (sqlite3_prepare_v2(l->db, "INSERT INTO tapes (id, path, host, boot_id, capture, file_bytes, "
			       "events, lost, ts_first, ts_last, wall_offset_ns, status, warning) VALUES "
			       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "INSERT INTO losses (tape, cpu, probe_id, ts_start, ts_end, count) "
			       "VALUES (?, ?, ?, ?, ?, ?)", -1, &ls, NULL) != SQLITE_OK) {
		err = sql_fail(l, "SQL error");
		goto cleanup;
	}
	for (size_t i = 0; i < l->src_cnt && !err; i++) {
		struct src *s = &l->srcs[i];
		const struct tt_loss *loss;
		struct tt_tape_status ts;
		const char *key, *value, *status;
		char warning[1024];
		uint64_t lost = 0, wall;
		size_t loss_cnt;

		loss = tt_tape_reader__losses(s->r, &loss_cnt);
		for (size_t k = 0; k < loss_cnt && !err; k++) {
			uint32_t gid = loss[k].probe_id < s->gid_cap ? s->gid[loss[k].probe_id] : 0;

			sqlite3_bind_int64(ls, 1, s->tape);
			sqlite3_bind_int64(ls, 2, loss[k].cpu);
			if (gid)
				sqlite3_bind_int64(ls, 3, gid);
			else
				sqlite3_bind_null(ls, 3);
			sqlite3_bind_int64(ls, 4, (int64_t)loss[k].ts_start_ns);
			sqlite3_bind_int64(ls, 5, (int64_t)loss[k].ts_end_ns);
			sqlite3_bind_int64(ls, 6, (int64_t)loss[k].count);
			err = step_done(l, ls);
			lost += loss[k].count;
		}
		if (stats) {
			stats->losses += loss_cnt;
			stats->lost_events += lost;
		}
		status = tape_status(s, warning, sizeof(warning));
		if (warning[0]) {
			if (!err)
				err = add_warning(l, "%s", warning);
			if (stats)
				stats->tapes_damaged += strcmp(status, "unclosed") != 0;
		}
		tt_tape_reader__status(s->r, &ts);
		sqlite3_bind_int64(st, 1, s->tape);
		sqlite3_bind_text(st, 2, s->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, tt_tape_reader__meta(s->r, "host"), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, tt_tape_reader__meta(s->r, "boot_id"), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 5, s->capture);
		sqlite3_bind_int64(st, 6, (int64_t)ts.file_bytes);
		sqlite3_bind_int64(st, 7, (int64_t)s->events);
		sqlite3_bind_int64(st, 8, (int64_t)lost);
		if (s->events) {
			sqlite3_bind_int64(st, 9, (int64_t)s->ts_first);
			sqlite3_bind_int64(st, 10, (int64_t)s->ts_last);
		} else {
			sqlite3_bind_null(st, 9);
			sqlite3_bind_null(st, 10);
		}
		wall = tt_tape_reader__wall_ns(s->r, s->ts_first);
		if (wall)
			sqlite3_bind_int64(st, 11, (int64_t)(wall - s->ts_first));
		else
			sqlite3_bind_null(st, 11);
		sqlite3_bind_text(st, 12, status, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 13, warning[0] ? warning : NULL, -1, SQLITE_TRANSIENT);
		if (!err)
			err = step_done(l, st);
		for (size_t k = 0; !err && !tt_tape_reader__meta_at(s->r, k, &key, &value); k++)
			err = insert_meta(l, s->tape, key, value);
	}
cleanup:
	sqlite3_finalize(st);
	sqlite3_finalize(ls);
	return err;
}

/* *slot = a copy of s when s is given; -ENOMEM. */
static int replace_str(char **slot, const char *s)
{
	char *c;

	if (!s)
		return 0;
	c = strdup(s);
	if (!c)
		return -ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

static int insert_processes(struct loader *l)
{
	sqlite3_stmt *st = NULL;
	int err = 0;

	/*
	 * The tapes' process tables first: they carry exe and command line. A process is described
	 * again after an exec, so a later description replaces what an earlier one said: the row
	 * shows the program the process ran last.
	 */
	for (size_t i = 0; i < l->src_cnt; i++) {
		const struct tt_process *tp;

		for (size_t k = 0; (tp = tt_tape_reader__process(l->srcs[i].r, k)); k++) {
			struct proc *p = proc_get(l, l->srcs[i].capture, l->srcs[i].tape, tp->pid);

			if (!p)
				return -ENOMEM;
			if (tp->ppid)
				p->ppid = tp->ppid;
			if (replace_str(&p->comm, tp->comm) || replace_str(&p->exe, tp->exe) ||
			    replace_str(&p->cmdline, tp->cmdline))
				return -ENOMEM;
		}
	}
	if (sqlite3_prepare_v2(l->db, "INSERT INTO processes (tape, pid, ppid, comm, exe, cmdline, "
			       "fork_ts, exec_ts, exit_ts, exit_status, exit_signal) VALUES "
			       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return sql_fail(l, "SQL error");
	for (size_t i = 0; i < l->proc_cnt && !err; i++) {
		const struct proc *p = &l->procs[i];

		sqlite3_bind_int64(st, 1, p->tape);
		sqlite3_bind_int64(st, 2, p->pid);
		if (p->ppid >= 0)
			sqlite3_bind_int64(st, 3, p->ppid);
		else
			sqlite3_bind_null(st, 3);
		sqlite3_bind_text(st, 4, p->comm, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, p->exe, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, p->cmdline, -1, SQLITE_STATIC);
		for (int c = 7; c <= 11; c++)
			sqlite3_bind_null(st, c);
		if (p->has_fork)
			sqlite3_bind_int64(st, 7, (int64_t)p->fork_ts);
		if (p->has_exec)
			sqlite3_bind_int64(st, 8, (int64_t)p->exec_ts);
		if (p->has_exit) {
			sqlite3_bind_int64(st, 9, (int64_t)p->exit_ts);
			sqlite3_bind_int64(st, 10, p->exit_status);
			sqlite3_bind_int64(st, 11, p->exit_signal);
		}
		err = step_done(l, st);
	}
	sqlite3_finalize(st);
	return err;
}

static int insert_threads(struct loader *l)
{
	sqlite3_stmt *st = NULL;
	int err = 0;

	if (sqlite3_prepare_v2(l->db, "INSERT INTO threads (tape, pid, tid, first_ts, last_ts, "
			       "first_event_id, last_event_id, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_fail(l, "SQL error");
	for (size_t i = 0; i < l->thread_cnt && !err; i++) {
		const struct thread *t = &l->threads[i];

		sqlite3_bind_int64(st, 1, t->tape);
		sqlite3_bind_int64(st, 2, t->pid);
		sqlite3_bind_int64(st, 3, t->tid);
		sqlite3_bind_int64(st, 4, (int64_t)t->first);
		sqlite3_bind_int64(st, 5, (int64_t)t->last);
		sqlite3_bind_int64(st, 6, (int64_t)t->first_id);
		sqlite3_bind_int64(st, 7, (int64_t)t->last_id);
		sqlite3_bind_int64(st, 8, (int64_t)t->cnt);
		err = step_done(l, st);
	}
	sqlite3_finalize(st);
	return err;
}

/*
 * Do probes g and h share a view: the same provider and name, and both a Go function's returns
 * or both not (a Go function's entry and return probes share a name, not their columns).
 */
static int same_view(const struct gprobe *g, const struct gprobe *h)
{
	return !h->tp && !strcmp(h->provider, g->provider) && !strcmp(h->name, g->name) &&
	       (h->type == TT_PROBE_GO_RETURN) == (g->type == TT_PROBE_GO_RETURN);
}

/*
 * One view per probe name, named <provider>_<name>, over all probes of that name; a Go
 * function's returns (its results) have their own, <provider>_<name>__return, beside the one of
 * its entries (its arguments).
 */
static int create_views(struct loader *l)
{
	struct tt_buf sql = {0}, ids = {0};
	char *done = calloc(l->probe_cnt + 1, 1);
	sqlite3_stmt *up = NULL;
	int err = -ENOMEM;

	if (!done)
		goto cleanup;
	if (sqlite3_prepare_v2(l->db, "UPDATE probes SET view = ? WHERE id = ?", -1, &up, NULL) != SQLITE_OK) {
		err = sql_fail(l, "SQL error");
		goto cleanup;
	}
	for (size_t i = 0; i < l->probe_cnt; i++) {
		const struct gprobe *g = &l->probes[i];
		char name[320], cols[TT_MAX_ARGS][64];

		if (done[i])
			continue;
		if (g->tp) {
			/* a tracepoint without records has no table */
			sqlite3_bind_text(up, 1, g->tp->ins ? g->tp->name : NULL, -1, SQLITE_STATIC);
			sqlite3_bind_int64(up, 2, (int64_t)i + 1);
			err = step_done(l, up);
			if (err)
				goto cleanup;
			done[i] = 1;
			continue;
		}
		err = -ENOMEM;
		ids.len = 0;
		for (size_t j = i; j < l->probe_cnt; j++) {
			const struct gprobe *h = &l->probes[j];

			if (done[j] || !same_view(g, h))
				continue;
			if (tt_buf_printf(&ids, "%s%zu", ids.len ? "," : "", j + 1))
				goto cleanup;
		}
		if (tt_buf_append(&ids, "", 1))
			goto cleanup;
		unique_name(l, "", g->provider, g->name, g->type == TT_PROBE_GO_RETURN ? "__return" : "",
			    name, sizeof(name));
		sql.len = 0;
		if (tt_buf_printf(&sql, "CREATE VIEW %s AS SELECT e.id AS event_id, e.ts, e.ts + t.wall_offset_ns AS "
				  "ts_wall, e.tape, e.pid, e.tid, e.cpu, e.goid, e.fault, e.truncated", name))
			goto cleanup;
		for (int a = 0; a < g->argc; a++) {
			char fallback[16];

			snprintf(fallback, sizeof(fallback), "arg%d", a);
			column_name(g->arg_names[a] ? g->arg_names[a] : fallback, view_fixed_cols,
				    TT_ARRAY_SIZE(view_fixed_cols), cols, (size_t)a, cols[a]);
			if (tt_buf_printf(&sql, ", e.arg%d AS %s", a, cols[a]))
				goto cleanup;
		}
		if (tt_buf_printf(&sql, " FROM events e JOIN tapes t ON t.id = e.tape WHERE e.probe_id IN (%s)",
				  (const char *)ids.data))
			goto cleanup;
		err = tt_db_exec(l->db, (const char *)sql.data, -1, l->out);
		if (err)
			goto cleanup;
		for (size_t j = i; j < l->probe_cnt; j++) {
			const struct gprobe *h = &l->probes[j];

			if (done[j] || !same_view(g, h))
				continue;
			done[j] = 1;
			sqlite3_bind_text(up, 1, name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(up, 2, (int64_t)j + 1);
			err = step_done(l, up);
			if (err)
				goto cleanup;
			/* the view's column names, which deduplication may have changed */
			for (int a = 0; a < h->argc && a < g->argc; a++) {
				char q[256];

				snprintf(q, sizeof(q), "UPDATE probe_args SET column_name = '%.63s' WHERE "
					 "probe_id = %zu AND idx = %d", cols[a], j + 1, a);
				err = tt_db_exec(l->db, q, -1, l->out);
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

/* ---- loss flags ---- */

struct lwin {
	uint64_t key;     /* capture << 40 | kind << 32 | id */
	uint64_t start, end;
	uint64_t end_max; /* max end over this entry and the earlier ones of its key */
};

#define LK_CPU 1ULL
#define LK_PROBE 2ULL
#define LK_ANY 3ULL

static uint64_t lkey(uint32_t capture, uint64_t kind, uint32_t id)
{
	return (uint64_t)capture << 40 | kind << 32 | id;
}

static int lwin_cmp(const void *a, const void *b)
{
	const struct lwin *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->start > y->start) - (x->start < y->start);
}

/* Does a loss window of key overlap [start, end]? */
static int lwin_hit(const struct lwin *w, size_t n, uint64_t key, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = n;

	/* the last entry with (key, start) <= (key, end) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w[mid].key < key || (w[mid].key == key && w[mid].start <= end))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && w[lo - 1].key == key && w[lo - 1].end_max >= start;
}

static int flag_lost_spans(struct loader *l)
{
	struct lwin *w = NULL;
	uint64_t *hits = NULL, *cap_end = NULL;
	size_t n = 0, nhits = 0, hits_cap = 0, total = 0;
	sqlite3_stmt *sel = NULL, *up = NULL;
	uint32_t *capture_of = NULL;
	int err = -ENOMEM, rc;

	for (size_t i = 0; i < l->src_cnt; i++) {
		size_t cnt;

		tt_tape_reader__losses(l->srcs[i].r, &cnt);
		total += cnt;
	}
	if (!total)
		return 0;
	w = calloc(2 * total, sizeof(*w));
	capture_of = calloc(l->src_cnt + 1, sizeof(*capture_of));
	cap_end = calloc(l->src_cnt + 1, sizeof(*cap_end));
	if (!w || !capture_of || !cap_end)
		goto cleanup;
	for (size_t i = 0; i < l->src_cnt; i++) {
		const struct src *s = &l->srcs[i];
		const struct tt_loss *loss;
		size_t cnt;

		capture_of[s->tape] = s->capture;
		if (s->events && s->ts_last > cap_end[s->capture])
			cap_end[s->capture] = s->ts_last;
		loss = tt_tape_reader__losses(s->r, &cnt);
		for (size_t k = 0; k < cnt; k++) {
			uint32_t gid = loss[k].probe_id < s->gid_cap ? s->gid[loss[k].probe_id] : 0;
			uint64_t kind = LK_PROBE;

			if (loss[k].probe_id == TT_LOSS_ANY_PROBE || !gid) {
				kind = LK_ANY;
				gid = 0;
			}
			/* a loss counts for its CPU and for its probe: two entries */
			w[n++] = (struct lwin){lkey(s->capture, kind, gid), loss[k].ts_start_ns, loss[k].ts_end_ns, 0};
			w[n++] = (struct lwin){lkey(s->capture, LK_CPU, loss[k].cpu), loss[k].ts_start_ns,
					      loss[k].ts_end_ns, 0};
		}
	}
	qsort(w, n, sizeof(*w), lwin_cmp);
	for (size_t i = 0; i < n; i++)
		w[i].end_max = i && w[i - 1].key == w[i].key && w[i - 1].end_max > w[i].end ? w[i - 1].end_max
											       : w[i].end;
	if (sqlite3_prepare_v2(l->db, "SELECT id, tape, cpu, end_cpu, begin_probe_id, end_probe_id, "
			       "start_ts, end_ts FROM spans", -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "UPDATE spans SET lost = 1 WHERE id = ?", -1, &up, NULL) != SQLITE_OK) {
		err = sql_fail(l, "SQL error");
		goto cleanup;
	}
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		uint32_t tape = (uint32_t)sqlite3_column_int64(sel, 1);
		uint32_t cap = tape <= l->src_cnt ? capture_of[tape] : 0;
		uint64_t start = (uint64_t)sqlite3_column_int64(sel, 6);
		int closed = sqlite3_column_type(sel, 7) != SQLITE_NULL;
		uint64_t end = closed ? (uint64_t)sqlite3_column_int64(sel, 7) : cap_end[cap];
		int hit = lwin_hit(w, n, lkey(cap, LK_ANY, 0), start, end) ||
			  lwin_hit(w, n, lkey(cap, LK_CPU, (uint32_t)sqlite3_column_int64(sel, 2)), start, end) ||
			  lwin_hit(w, n, lkey(cap, LK_PROBE, (uint32_t)sqlite3_column_int64(sel, 4)), start, end);

		if (!hit && closed)
			hit = lwin_hit(w, n, lkey(cap, LK_CPU, (uint32_t)sqlite3_column_int64(sel, 3)), start, end) ||
			      lwin_hit(w, n, lkey(cap, LK_PROBE, (uint32_t)sqlite3_column_int64(sel, 5)), start, end);
		if (!hit)
			continue;
		if (nhits == hits_cap) {
			size_t c = hits_cap ? hits_cap * 2 : 1024;
			uint64_t *h = realloc(hits, c * sizeof(*h));

			if (!h)
				goto cleanup;
			hits = h;
			hits_cap = c;
		}
		hits[nhits++] = (uint64_t)sqlite3_column_int64(sel, 0);
	}
	if (rc != SQLITE_DONE) {
		err = sql_fail(l, "SQL error");
		goto cleanup;
	}
	sqlite3_finalize(sel);
	sel = NULL;
	err = 0;
	for (size_t i = 0; i < nhits && !err; i++) {
		sqlite3_bind_int64(up, 1, (int64_t)hits[i]);
		err = step_done(l, up);
	}
cleanup:
	sqlite3_finalize(sel);
	sqlite3_finalize(up);
	free(w);
	free(hits);
	free(capture_of);
	free(cap_end);
	return err;
}

/* ---- setup and teardown ---- */

static int open_sources(struct loader *l, const char *const *tapes, size_t tape_cnt)
{
	struct tt_tape_reader_opts ro = {
		.out = l->out,
		/* the defaults allow 256 MiB per tape; a tighter cap keeps load's whole footprint
		 * well under its budget whatever the tape, at the cost of early releases on
		 * pathological tapes (counted as out of order by the reader) */
		.window_bytes_max = 48ULL << 20,
	};

	l->srcs = calloc(tape_cnt, sizeof(*l->srcs));
	if (!l->srcs)
		return -ENOMEM;
	for (size_t i = 0; i < tape_cnt; i++) {
		struct src *s = &l->srcs[i];
		const char *host, *boot;

		s->path = tapes[i];
		s->tape = (uint32_t)i + 1;
		s->r = tt_tape_reader__open(tapes[i], &ro);
		if (!s->r) {
			int err = errno ? -errno : -EIO;

			tt_err(l->out, "cannot read tape '%s': %s", tapes[i], tt_strerror(err));
			return err;
		}
		l->src_cnt++;
		/* tapes of one host and boot share pids and the clock: one capture */
		host = tt_tape_reader__meta(s->r, "host");
		boot = tt_tape_reader__meta(s->r, "boot_id");
		s->capture = s->tape;
		for (size_t j = 0; j < i && host && boot; j++) {
			const char *h2 = tt_tape_reader__meta(l->srcs[j].r, "host");
			const char *b2 = tt_tape_reader__meta(l->srcs[j].r, "boot_id");

			if (h2 && b2 && !strcmp(host, h2) && !strcmp(boot, b2)) {
				s->capture = l->srcs[j].capture;
				break;
			}
		}
	}
	return 0;
}

static int db_meta(struct loader *l)
{
	char buf[64];
	struct tt_buf rules = {0};
	int err;

	snprintf(buf, sizeof(buf), "%d", TT_DB_SCHEMA_VERSION);
	err = insert_meta(l, 0, "schema_version", buf);
	if (!err)
		err = insert_meta(l, 0, "created_by", "tracetape " TT_VERSION);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)tt_now_real_ns());
	if (!err)
		err = insert_meta(l, 0, "created_wall_ns", buf);
	for (size_t i = 0; i < l->o->rule_cnt && !err; i++) {
		const struct tt_span_rule *r = &l->o->rules[i];

		err = tt_buf_printf(&rules, "%s%s=%s,%s%s%s", i ? " " : "", r->name, r->start, r->end,
				    r->key ? ",key=" : "", r->key ? r->key : "");
	}
	if (!err && rules.len) {
		err = tt_buf_append(&rules, "", 1);
		if (!err)
			err = insert_meta(l, 0, "span_rules", (const char *)rules.data);
	}
	{
		struct tt_span_stats ss;

		tt_span_builder__stats(l->spans, &ss);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)ss.unmatched_ends);
		if (!err)
			err = insert_meta(l, 0, "spans_unmatched_ends", buf);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)ss.open_peak);
		if (!err)
			err = insert_meta(l, 0, "spans_open_peak", buf);
	}
	for (size_t i = 0; i < l->warning_cnt && !err; i++)
		err = insert_meta(l, 0, "warning", l->warnings[i]);
	tt_buf_free(&rules);
	return err;
}

/* Make the finished temporary file the database at path (atomically; without force only if
 * nothing appeared there meanwhile). */
static int publish(const char *tmp, const char *path, int force, const struct tt_out *out)
{
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		/* the rename must not become visible before the data: sync it first */
		fdatasync(fd);
		close(fd);
	}
	if (force) {
		if (rename(tmp, path) != 0) {
			int err = -errno;

			tt_err(out, "cannot create '%s': %s", path, strerror(-err));
			return err;
		}
		return 0;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
		int err = -errno;

		if (err == -EEXIST)
			tt_err(out, "'%s' already exists; use --force to replace it", path);
		else
			tt_err(out, "cannot create '%s': %s", path, strerror(-err));
		return err;
	}
	return 0;
}

/*
 * The statements of the schema's index section on spans (spans nonzero) or on the other tables.
 * The section holds one statement per line.
 */
static int index_sql_part(int spans, struct tt_buf *out)
{
	const char *sql, *p, *end;
	size_t len;

	tt_db_schema_indexes(&sql, &len);
	for (p = sql, end = sql + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (!strncmp(p, "CREATE ", 7)) {
			const char *on = strstr(p, " ON spans ");
			int is_spans = on && on < p + n;

			if (is_spans == !!spans && tt_buf_append(out, p, n))
				return -ENOMEM;
		}
		p += n;
	}
	return tt_buf_append(out, "", 1) ? -ENOMEM : 0;
}

/* Copy the side database's spans, with their index entries, into the main database. */
static int transfer_spans(struct loader *l)
{
	sqlite3_stmt *st = NULL;
	int err;

	/* the same indexes on both sides, the destination empty: SQLite copies records as they are */
	err = tt_db_exec(l->db, (const char *)l->spans_idx.data, -1, l->out);
	if (err)
		return err;
	if (sqlite3_prepare_v2(l->db, "ATTACH ? AS side", -1, &st, NULL) != SQLITE_OK)
		return sql_fail(l, "SQL error");
	sqlite3_bind_text(st, 1, l->side_path, -1, SQLITE_STATIC);
	err = step_done(l, st);
	sqlite3_finalize(st);
	if (err)
		return err;
	err = tt_db_exec(l->db, "BEGIN; INSERT INTO main.spans SELECT * FROM side.spans; COMMIT", -1,
			 l->out);
	if (tt_db_exec(l->db, "DETACH side", -1, l->out) && !err)
		err = -TT_E_SQL;
	return err;
}

/* The side database of the span writer: the schema, the bulk settings, the INSERT. */
static int side_open(struct loader *l)
{
	const char *sql;
	size_t len;
	int err;

	unlink(l->side_path);
	err = tt_db_open(l->side_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &l->side_db, l->out);
	if (err)
		return err;
	tt_db_schema_tables(&sql, &len);
	err = tt_db_exec(l->side_db, "PRAGMA page_size = 16384; PRAGMA journal_mode = OFF; "
			 "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
			 "PRAGMA cache_size = -16384", -1, l->out);
	if (!err)
		err = tt_db_exec(l->side_db, sql, (int)len, l->out);
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
		if (sqlite3_prepare_v3(l->side_db, (const char *)ins.data, -1, SQLITE_PREPARE_PERSISTENT,
				       rows == 1 ? &l->ins_span : &l->ins_span_multi, NULL) != SQLITE_OK) {
			tt_buf_free(&ins);
			return side_fail(l, "SQL error");
		}
		tt_buf_free(&ins);
	}
	return tt_db_exec(l->side_db, "BEGIN", -1, l->out);
}

static int batches_alloc(struct loader *l)
{
	for (int i = 0; i < RING; i++) {
		l->evb[i].r = malloc(EV_BATCH * sizeof(*l->evb[i].r));
		l->spb[i].s = malloc(SPAN_BATCH * sizeof(*l->spb[i].s));
		l->spb[i].key_off = malloc(SPAN_BATCH * sizeof(*l->spb[i].key_off));
		if (!l->evb[i].r || !l->spb[i].s || !l->spb[i].key_off)
			return -ENOMEM;
	}
	return 0;
}

/* Finalize every statement and close the connections (SQLite refuses to close with live ones). */
static void loader_close_db(struct loader *l)
{
	for (int i = 0; i <= TT_MAX_ARGS; i++) {
		sqlite3_finalize(l->ins_ev[i]);
		sqlite3_finalize(l->ins_ev_multi[i]);
		l->ins_ev[i] = l->ins_ev_multi[i] = NULL;
	}
	for (size_t i = 0; i < l->tp_cnt; i++) {
		sqlite3_finalize(l->tps[i]->ins);
		l->tps[i]->ins = NULL;
	}
	tt_kernel_db__free(l->kernel);
	l->kernel = NULL;
	sqlite3_close(l->db);
	l->db = NULL;
	sqlite3_finalize(l->ins_span);
	sqlite3_finalize(l->ins_span_multi);
	l->ins_span = l->ins_span_multi = NULL;
	sqlite3_close(l->side_db);
	l->side_db = NULL;
}

static void loader_free(struct loader *l)
{
	/* the writers first: they use the connections and the batches */
	stage_cancel(&l->ev_stage);
	stage_cancel(&l->sp_stage);
	loader_close_db(l);
	if (l->side_path) {
		unlink(l->side_path);
		free(l->side_path);
	}
	tt_buf_free(&l->spans_idx);
	for (int i = 0; i < RING; i++) {
		free(l->evb[i].r);
		tt_buf_free(&l->evb[i].strs);
		free(l->spb[i].s);
		free(l->spb[i].key_off);
		tt_buf_free(&l->spb[i].keys);
	}
	for (size_t i = 0; i < l->src_cnt; i++) {
		tt_tape_reader__free(l->srcs[i].r);
		free(l->srcs[i].gid);
	}
	free(l->srcs);
	for (size_t i = 0; i < l->tp_cnt; i++)
		tp_table_free(l->tps[i]);
	free(l->tps);
	for (size_t i = 0; i < l->probe_cnt; i++)
		gprobe_free(&l->probes[i]);
	free(l->probes);
	free(l->threads);
	tt_hidx_free(&l->thread_index);
	for (size_t i = 0; i < l->proc_cnt; i++) {
		free(l->procs[i].comm);
		free(l->procs[i].exe);
		free(l->procs[i].cmdline);
	}
	free(l->procs);
	tt_hidx_free(&l->proc_index);
	for (size_t i = 0; i < l->warning_cnt; i++)
		free(l->warnings[i]);
	free(l->warnings);
	tt_buf_free(&l->scratch);
	tt_span_builder__free(l->spans);
}

int tt_load(const char *db_path, const char *const *tapes, size_t tape_cnt,
	    const struct tt_load_opts *opts, struct tt_load_stats *stats)
{
	struct loader l = {.o = opts, .out = opts->out, .next_event_id = 1};
	struct tt_buf other_idx = {0};
	char *tmp = NULL, pragma[128];
	const char *sql;
	struct stat sb;
	uint64_t t0 = tt_now_mono_ns(), t1, t2, t3, ti[3] = {0};
	size_t sql_len;
	int err;

	if (stats)
		memset(stats, 0, sizeof(*stats));
	if (!opts->force && stat(db_path, &sb) == 0) {
		tt_err(l.out, "'%s' already exists; use --force to replace it", db_path);
		return -EEXIST;
	}
	err = open_sources(&l, tapes, tape_cnt);
	if (err)
		goto cleanup;
	l.spans = tt_span_builder__new(opts->rules, opts->rule_cnt, emit_span, &l, l.out);
	if (!l.spans) {
		err = -errno;
		goto cleanup;
	}
	err = tt_span_builder__add_shipped_rules(l.spans); /* the provider files', after the user's */
	if (err)
		goto cleanup;
	err = -ENOMEM;
	if (asprintf(&tmp, "%s.tmp-%d", db_path, (int)getpid()) < 0) {
		tmp = NULL;
		goto cleanup;
	}
	if (asprintf(&l.side_path, "%s.tmp-%d-spans", db_path, (int)getpid()) < 0) {
		l.side_path = NULL;
		goto cleanup;
	}
	err = batches_alloc(&l);
	if (!err)
		err = index_sql_part(1, &l.spans_idx);
	if (!err)
		err = index_sql_part(0, &other_idx);
	if (err)
		goto cleanup;
	unlink(tmp);
	{
		/* the destination's directory must take a file: say so in its terms */
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (fd < 0) {
			err = -errno;
			tt_err(l.out, "cannot create '%s': %s", db_path, strerror(-err));
			goto cleanup;
		}
		close(fd);
	}
	err = tt_db_open(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &l.db, l.out);
	if (err)
		goto cleanup;
	/*
	 * Bulk-load settings: no rollback journal and no syncs (the file is temporary until
	 * renamed), an exclusive lock (no lock traffic per transaction), larger pages (fewer,
	 * fuller B-tree pages per row), a bounded page cache.
	 */
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%llu",
		 (unsigned long long)((opts->cache_bytes ? opts->cache_bytes : 64ULL << 20) >> 10));
	err = tt_db_exec(l.db, "PRAGMA page_size = 16384; PRAGMA journal_mode = OFF; "
			 "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
			 "PRAGMA temp_store = FILE", -1, l.out);
	if (!err)
		err = tt_db_exec(l.db, pragma, -1, l.out);
	tt_db_schema_tables(&sql, &sql_len);
	if (!err)
		err = tt_db_exec(l.db, sql, (int)sql_len, l.out);
	if (!err)
		err = prepare_statements(&l);
	if (!err)
		err = tt_kernel_db__new(l.db, l.out, &l.kernel);
	if (!err)
		err = side_open(&l);
	if (!err)
		err = tt_db_exec(l.db, "BEGIN", -1, l.out);
	/* from here until stage_finish(&l.ev_stage) the events thread alone uses l.db */
	if (!err)
		err = stage_start(&l.ev_stage, consume_events, NULL, &l);
	if (!err)
		err = stage_start(&l.sp_stage, consume_spans, spans_done, &l);
	if (err)
		goto cleanup;

	l.start_ns = l.last_progress_ns = tt_now_mono_ns();
	err = load_events(&l);
	if (err)
		goto cleanup;
	err = stage_finish(&l.ev_stage);
	if (!err)
		err = register_remaining_probes(&l);
	t1 = tt_now_mono_ns();
	if (!err)
		err = insert_probes(&l);
	if (!err)
		err = insert_tapes(&l, stats);
	if (!err)
		err = insert_processes(&l);
	if (!err)
		err = insert_threads(&l);
	if (!err)
		err = tt_kernel_db__finish(l.kernel, NULL);
	if (!err)
		err = create_views(&l);
	if (!err)
		err = db_meta(&l);
	if (!err)
		err = tt_db_exec(l.db, "COMMIT", -1, l.out);
	if (err)
		goto cleanup;
	t2 = tt_now_mono_ns();
	/*
	 * The events index, while the span writer builds the spans indexes. A smaller cache now:
	 * the sorter's memory follows it, and both threads sort at once.
	 */
	err = tt_db_exec(l.db, "PRAGMA cache_size = -32768", -1, l.out);
	if (!err)
		err = tt_db_exec(l.db, (const char *)other_idx.data, -1, l.out);
	ti[0] = tt_now_mono_ns();
	if (!err)
		err = stage_finish(&l.sp_stage);
	ti[1] = tt_now_mono_ns();
	if (!err)
		err = transfer_spans(&l);
	ti[2] = tt_now_mono_ns();
	if (!err)
		err = tt_db_exec(l.db, "BEGIN", -1, l.out);
	if (!err)
		err = flag_lost_spans(&l);
	if (!err)
		err = tt_db_exec(l.db, "COMMIT", -1, l.out);
	/* planner statistics from a sample: cheap, and the report's queries pick the indexes */
	if (!err)
		err = tt_db_exec(l.db, "PRAGMA analysis_limit = 1000; ANALYZE; "
				 "PRAGMA journal_mode = DELETE", -1, l.out);
	if (err)
		goto cleanup;
	t3 = tt_now_mono_ns();
	loader_close_db(&l);
	err = publish(tmp, db_path, opts->force, l.out);
	if (err)
		goto cleanup;
	if (stats) {
		stats->tapes = l.src_cnt;
		stats->events = l.next_event_id - 1;
		stats->spans = l.span_cnt;
		stats->probes = l.probe_cnt;
		stats->insert_ns = t1 - l.start_ns;
		stats->finish_ns = t2 - t1;
		stats->index_ns = t3 - t2;
		stats->events_index_ns = ti[0] - t2;
		stats->spans_wait_ns = ti[1] - ti[0];
		stats->transfer_ns = ti[2] - ti[1];
		stats->total_ns = tt_now_mono_ns() - t0;
		if (stat(db_path, &sb) == 0)
			stats->db_bytes = (uint64_t)sb.st_size;
	}
cleanup:
	tt_progress_done(l.out);
	loader_free(&l);
	if (tmp) {
		if (err)
			unlink(tmp);
		free(tmp);
	}
	tt_buf_free(&other_idx);
	return err;
}

/* ---- inputs of query and report ---- */

int tt_input_open(const char *path, const struct tt_load_opts *lo, int writable, struct tt_input *in)
{
	struct tt_load_opts tlo = *lo;
	enum tt_file_kind kind;
	const char *tmp = getenv("TMPDIR");
	int err;

	memset(in, 0, sizeof(*in));
	err = tt_file_sniff(path, &kind);
	if (err) {
		tt_err(lo->out, "cannot open '%s': %s", path, strerror(-err));
		return err;
	}
	if (kind == TT_FILE_SQLITE)
		return tt_db_open(path, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY,
				  &in->db, lo->out);
	if (kind != TT_FILE_TAPE) {
		tt_err(lo->out, "'%s' is neither a tape nor an SQLite database", path);
		return -TT_E_BAD_MAGIC;
	}
	if (asprintf(&in->tmpdir, "%s/tracetape-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		in->tmpdir = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(in->tmpdir)) {
		err = -errno;
		tt_err(lo->out, "cannot create a temporary directory '%s': %s", in->tmpdir, strerror(-err));
		goto cleanup;
	}
	if (asprintf(&in->tmpdb, "%s/load.db", in->tmpdir) < 0) {
		in->tmpdb = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	tlo.force = 1;
	err = tt_load(in->tmpdb, &path, 1, &tlo, NULL);
	if (!err)
		err = tt_db_open(in->tmpdb, SQLITE_OPEN_READWRITE, &in->db, lo->out);
	if (err)
		goto cleanup;
	in->from_tape = 1;
	return 0;
cleanup:
	tt_input_close(in);
	return err;
}

void tt_input_close(struct tt_input *in)
{
	if (!in)
		return;
	sqlite3_close(in->db);
	in->db = NULL;
	if (in->tmpdb) {
		unlink(in->tmpdb);
		free(in->tmpdb);
		in->tmpdb = NULL;
	}
	if (in->tmpdir) {
		rmdir(in->tmpdir);
		free(in->tmpdir);
		in->tmpdir = NULL;
	}
}
