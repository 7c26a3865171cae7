/* SPDX-License-Identifier: MIT */
/*
 * The loader's catalog of probes, threads and processes (load_catalog.h). Threads and
 * processes are dense arrays found through the hash index (tt_hash.h); a probe is found by its
 * tape and tape probe id in a per-tape array, since the tapes number their probes densely.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_schema.h"
#include "load_catalog.h"
#include "tt_error.h"
#include "tt_fmt.h"
#include "tt_names.h"
#include "tt_util.h"

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

static void probe_free(struct tt_cat_probe *g)
{
	free(g->provider);
	free(g->name);
	free(g->binary);
	free(g->build_id);
	free(g->arg_specs);
	for (int i = 0; i < TT_MAX_ARGS; i++)
		free(g->arg_names[i]);
}

int tt_catalog__add_probe(struct tt_catalog *c, uint32_t tape, uint32_t tape_probe,
			  const struct tt_probe_desc *p, uint32_t *gid, int *added)
{
	struct tt_cat_probe *g;
	int fail = 0;

	if (added)
		*added = 0;
	*gid = 0;
	if (tt_grow((void **)&c->tapes, &c->tape_cap, (size_t)tape + 1, sizeof(*c->tapes)) ||
	    tt_grow((void **)&c->tapes[tape].gid, &c->tapes[tape].cap, (size_t)tape_probe + 1,
		    sizeof(*c->tapes[tape].gid)) ||
	    tt_grow((void **)&c->probes, &c->probe_cap, c->probe_cnt + 1, sizeof(*c->probes)))
		return -ENOMEM;
	if (c->tapes[tape].gid[tape_probe]) {
		*gid = c->tapes[tape].gid[tape_probe];
		return 0;
	}
	g = &c->probes[c->probe_cnt];
	memset(g, 0, sizeof(*g));
	g->tape = tape;
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
		probe_free(g);
		return -ENOMEM;
	}
	if (p->type == TT_PROBE_BUILTIN && !strcmp(g->provider, "tracetape")) {
		if (!strcmp(g->name, "process__fork"))
			g->builtin = TT_CAT_FORK;
		else if (!strcmp(g->name, "process__exec"))
			g->builtin = TT_CAT_EXEC;
		else if (!strcmp(g->name, "process__exit"))
			g->builtin = TT_CAT_EXIT;
	}
	*gid = (uint32_t)++c->probe_cnt;
	c->tapes[tape].gid[tape_probe] = *gid;
	if (added)
		*added = 1;
	return 0;
}

/* ---- threads ---- */

/* One mixing round for (tape or capture, pid, tid): the first is small, the others vary. */
static uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
	return (uint32_t)tt_hash_u64(((uint64_t)b << 32 | c) ^ (uint64_t)a * 0x9e3779b97f4a7c15ULL);
}

struct thread_key {
	const struct tt_cat_thread *threads;
	uint32_t tape, pid, tid;
};

static bool thread_eq(const void *ctx, uint32_t pos)
{
	const struct thread_key *k = ctx;
	const struct tt_cat_thread *t = &k->threads[pos];

	return t->tid == k->tid && t->pid == k->pid && t->tape == k->tape;
}

int tt_catalog__thread_event(struct tt_catalog *c, uint32_t tape, uint32_t pid, uint32_t tid,
			     uint64_t ts, uint64_t event_id)
{
	struct thread_key k = {c->threads, tape, pid, tid};
	struct tt_cat_thread *t;
	int64_t pos;

	if (c->thread_last < c->thread_cnt && thread_eq(&k, (uint32_t)c->thread_last)) {
		pos = (int64_t)c->thread_last;
	} else {
		uint32_t h = hash3(tape, pid, tid);

		pos = tt_hidx_find(&c->thread_index, h, thread_eq, &k);
		if (pos < 0) {
			if (tt_grow((void **)&c->threads, &c->thread_cap, c->thread_cnt + 1,
				    sizeof(*c->threads)) ||
			    tt_hidx_add(&c->thread_index, h, (uint32_t)c->thread_cnt))
				return -ENOMEM;
			pos = (int64_t)c->thread_cnt++;
			c->threads[pos] = (struct tt_cat_thread){tape, pid, tid, ts, ts, 0, event_id, event_id};
		}
		c->thread_last = (size_t)pos;
	}
	t = &c->threads[pos];
	t->last_ts = ts;
	t->last_id = event_id;
	t->cnt++;
	return 0;
}

/* ---- processes ---- */

struct proc_key {
	const struct tt_cat_process *procs;
	uint32_t capture, pid;
};

static bool proc_eq(const void *ctx, uint32_t pos)
{
	const struct proc_key *k = ctx;

	return k->procs[pos].pid == k->pid && k->procs[pos].capture == k->capture;
}

/* The process (created unknown on first sight); NULL without memory. */
static struct tt_cat_process *proc_get(struct tt_catalog *c, uint32_t capture, uint32_t tape,
				       uint32_t pid)
{
	struct proc_key k = {c->procs, capture, pid};
	uint32_t h = hash3(capture, pid, 0);
	int64_t pos = tt_hidx_find(&c->proc_index, h, proc_eq, &k);
	struct tt_cat_process *p;

	if (pos >= 0)
		return &c->procs[pos];
	if (tt_grow((void **)&c->procs, &c->proc_cap, c->proc_cnt + 1, sizeof(*c->procs)) ||
	    tt_hidx_add(&c->proc_index, h, (uint32_t)c->proc_cnt))
		return NULL;
	p = &c->procs[c->proc_cnt++];
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

int tt_catalog__process_event(struct tt_catalog *c, uint32_t capture, uint32_t tape,
			      const struct tt_cat_probe *g, const struct tt_event *ev,
			      const uint8_t *kinds)
{
	struct tt_cat_process *p;

	switch (g->builtin) {
	case TT_CAT_FORK:
		if (ev->argc < 1)
			return 0;
		p = proc_get(c, capture, tape, (uint32_t)ev->args[0]);
		if (!p)
			return -ENOMEM;
		p->ppid = ev->pid;
		p->fork_ts = ev->ts_ns;
		p->has_fork = 1;
		if (ev->argc > 1 && TT_KIND_CLASS(kinds[1]) == TT_CLASS_STR)
			return set_str(&p->comm, ev->strs[1].ptr, ev->strs[1].len);
		return 0;
	case TT_CAT_EXEC:
		p = proc_get(c, capture, tape, ev->pid);
		if (!p)
			return -ENOMEM;
		p->exec_ts = ev->ts_ns;
		p->has_exec = 1;
		if (ev->argc > 0 && TT_KIND_CLASS(kinds[0]) == TT_CLASS_STR)
			return set_str(&p->comm, ev->strs[0].ptr, ev->strs[0].len);
		return 0;
	case TT_CAT_EXIT:
		p = proc_get(c, capture, tape, ev->pid);
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

int tt_catalog__describe_process(struct tt_catalog *c, uint32_t capture, uint32_t tape,
				 const struct tt_process *tp)
{
	struct tt_cat_process *p = proc_get(c, capture, tape, tp->pid);

	if (!p)
		return -ENOMEM;
	if (tp->ppid)
		p->ppid = tp->ppid;
	if (replace_str(&p->comm, tp->comm) || replace_str(&p->exe, tp->exe) ||
	    replace_str(&p->cmdline, tp->cmdline))
		return -ENOMEM;
	return 0;
}

/* ---- the rows ---- */

static int write_probes(const struct tt_catalog *c, sqlite3 *db, const struct tt_out *out)
{
	sqlite3_stmt *ps = NULL, *as = NULL;
	struct tt_buf names = {0}, kinds = {0};
	int err;

	err = tt_db_prepare(db, "INSERT INTO probes (id, tape, tape_probe_id, kind, provider, name, "
			    "binary, build_id, arg_specs, argc, arg_names, arg_kinds, events) VALUES "
			    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 0, &ps, out);
	if (!err)
		err = tt_db_prepare(db, "INSERT INTO probe_args (probe_id, idx, name, kind, column_name) "
				    "VALUES (?, ?, ?, ?, ?)", 0, &as, out);
	for (size_t i = 0; i < c->probe_cnt && !err; i++) {
		const struct tt_cat_probe *g = &c->probes[i];
		char kb[16], col[64];

		names.len = kinds.len = 0;
		err = -ENOMEM;
		if (tt_buf_append(&names, "[", 1) || tt_buf_append(&kinds, "[", 1))
			goto cleanup;
		for (int a = 0; a < g->argc; a++) {
			if ((a && (tt_buf_append(&names, ",", 1) || tt_buf_append(&kinds, ",", 1))) ||
			    (g->arg_names[a] ? tt_json_append(&names, g->arg_names[a])
					     : tt_buf_append(&names, "null", 4)) ||
			    tt_json_append(&kinds, tt_kind_name(g->kinds[a], kb)))
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
		err = tt_db_step_done(db, ps, "cannot insert", out);
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
			err = tt_db_step_done(db, as, "cannot insert", out);
		}
	}
cleanup:
	sqlite3_finalize(ps);
	sqlite3_finalize(as);
	tt_buf_free(&names);
	tt_buf_free(&kinds);
	return err;
}

static int write_processes(const struct tt_catalog *c, sqlite3 *db, const struct tt_out *out)
{
	sqlite3_stmt *st = NULL;
	int err;

	err = tt_db_prepare(db, "INSERT INTO processes (tape, pid, ppid, comm, exe, cmdline, fork_ts, "
			    "exec_ts, exit_ts, exit_status, exit_signal) VALUES "
			    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 0, &st, out);
	for (size_t i = 0; i < c->proc_cnt && !err; i++) {
		const struct tt_cat_process *p = &c->procs[i];

		sqlite3_bind_int64(st, 1, p->tape);
		sqlite3_bind_int64(st, 2, p->pid);
		if (p->ppid >= 0)
			sqlite3_bind_int64(st, 3, p->ppid);
		else
			sqlite3_bind_null(st, 3);
		sqlite3_bind_text(st, 4, p->comm, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, p->exe, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, p->cmdline, -1, SQLITE_STATIC);
		for (int col = 7; col <= 11; col++)
			sqlite3_bind_null(st, col);
		if (p->has_fork)
			sqlite3_bind_int64(st, 7, (int64_t)p->fork_ts);
		if (p->has_exec)
			sqlite3_bind_int64(st, 8, (int64_t)p->exec_ts);
		if (p->has_exit) {
			sqlite3_bind_int64(st, 9, (int64_t)p->exit_ts);
			sqlite3_bind_int64(st, 10, p->exit_status);
			sqlite3_bind_int64(st, 11, p->exit_signal);
		}
		err = tt_db_step_done(db, st, "cannot insert", out);
	}
	sqlite3_finalize(st);
	return err;
}

static int write_threads(const struct tt_catalog *c, sqlite3 *db, const struct tt_out *out)
{
	sqlite3_stmt *st = NULL;
	int err;

	err = tt_db_prepare(db, "INSERT INTO threads (tape, pid, tid, first_ts, last_ts, first_event_id, "
			    "last_event_id, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", 0, &st, out);
	for (size_t i = 0; i < c->thread_cnt && !err; i++) {
		const struct tt_cat_thread *t = &c->threads[i];

		sqlite3_bind_int64(st, 1, t->tape);
		sqlite3_bind_int64(st, 2, t->pid);
		sqlite3_bind_int64(st, 3, t->tid);
		sqlite3_bind_int64(st, 4, (int64_t)t->first_ts);
		sqlite3_bind_int64(st, 5, (int64_t)t->last_ts);
		sqlite3_bind_int64(st, 6, (int64_t)t->first_id);
		sqlite3_bind_int64(st, 7, (int64_t)t->last_id);
		sqlite3_bind_int64(st, 8, (int64_t)t->cnt);
		err = tt_db_step_done(db, st, "cannot insert", out);
	}
	sqlite3_finalize(st);
	return err;
}

int tt_catalog__write(const struct tt_catalog *c, sqlite3 *db, const struct tt_out *out)
{
	int err = write_probes(c, db, out);

	if (!err)
		err = write_processes(c, db, out);
	if (!err)
		err = write_threads(c, db, out);
	return err;
}

void tt_catalog__free(struct tt_catalog *c)
{
	for (size_t i = 0; i < c->probe_cnt; i++)
		probe_free(&c->probes[i]);
	free(c->probes);
	for (size_t i = 0; i < c->tape_cap; i++)
		free(c->tapes[i].gid);
	free(c->tapes);
	free(c->threads);
	tt_hidx_free(&c->thread_index);
	for (size_t i = 0; i < c->proc_cnt; i++) {
		free(c->procs[i].comm);
		free(c->procs[i].exe);
		free(c->procs[i].cmdline);
	}
	free(c->procs);
	tt_hidx_free(&c->proc_index);
	memset(c, 0, sizeof(*c));
}
