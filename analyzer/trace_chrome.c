/* SPDX-License-Identifier: MIT */
/*
 * A capture as a Chrome trace (Trace Event Format, JSON object form) for Perfetto UI and
 * chrome://tracing, made from a loaded database (trace_chrome.h). Everything comes from what
 * `load` derived, so the export shows what the report and SQL show:
 *
 *   - process_name once per process (its latest command name), thread_name once per thread;
 *   - spans from load's engine (every rule: built in, provider files, --span): a span paired on
 *     one thread that nests with the others there is a complete slice ("X") on that thread's
 *     track; a Go span one on its goroutine's track; any other (paired by id across threads,
 *     or overlapping its neighbours) an async pair ("b"/"e", id2.local = the span's id), so
 *     every track's slices nest, as the format requires;
 *   - thread states (record --sched) as slices named running, runnable, sleeping, blocked on a
 *     track beside each thread's ("TID states"): they cannot share the thread's own track,
 *     whose slices they would cross;
 *   - syscalls (record --syscalls) as slices on the thread's track: a syscall never contains a
 *     probe of its thread (probes fire in user mode), so it nests with the spans there;
 *   - every other event as an instant on its thread, with its arguments;
 *   - timestamps as the capture's clock (CLOCK_MONOTONIC, microseconds with ns precision), not
 *     relative to the first event, so that exports of one boot line up; "metadata" gives the
 *     clock and the offset to wall-clock time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "trace_chrome.h"
#include "tt_error.h"
#include "tt_fmt.h"
#include "tt_types.h"
#include "tt_util.h"

#define STATE_TRACK 0x40000000u   /* thread states of tid T: track T + this */
#define GOROUTINE_TRACK 0x20000000u /* goroutine G of a process: track G + this */

struct chrome {
	sqlite3 *db;
	FILE *f;
	const struct tt_chrome_opts *o;
	const struct tt_out *out;
	int first;
	uint64_t ts_last;
	uint64_t from, to;          /* the window, the capture's clock */
	struct pdesc {
		char *provider, *name, *label;
		int argc;
		char *args[TT_MAX_ARGS];
		uint16_t ptr_args;  /* bit a: argument a is a pointer (shown in hex, as replay does) */
		int skip;           /* starts or ends spans, or feeds the kernel tables */
	} *p;
	size_t pcap;
};

static int sql_err(struct chrome *c)
{
	tt_err(c->out, "SQL error: %s", sqlite3_errmsg(c->db));
	return -TT_E_SQL;
}

static int prep(struct chrome *c, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return sql_err(c);
	}
	return 0;
}

static void jstr(FILE *f, const char *s, size_t n)
{
	char small[256], *b = TT_FMT_STR_MAX(n) + 1 <= sizeof(small) ? small : malloc(TT_FMT_STR_MAX(n) + 1);
	char *e;

	if (!b) {
		fputs("\"\"", f);
		return;
	}
	e = tt_fmt_str_json(b, (const uint8_t *)s, n);
	fwrite(b, 1, (size_t)(e - b), f);
	if (b != small)
		free(b);
}

static void jcstr(FILE *f, const char *s)
{
	jstr(f, s ? s : "", s ? strlen(s) : 0);
}

/* A timestamp in microseconds with three decimals (ns exact). */
static void jts(FILE *f, uint64_t ns)
{
	char b[TT_FMT_NUM_MAX], *e = tt_fmt_us3(b, ns);

	fwrite(b, 1, (size_t)(e - b), f);
}

static void begin(struct chrome *c)
{
	fputs(c->first ? "\n{" : ",\n{", c->f);
	c->first = 0;
}

/* Column col of st as a JSON value. */
static void jvalue(FILE *f, sqlite3_stmt *st, int col)
{
	char b[TT_FMT_NUM_MAX], *e;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER:
		fprintf(f, "%lld", (long long)sqlite3_column_int64(st, col));
		break;
	case SQLITE_FLOAT:
		e = tt_fmt_double(b, sqlite3_column_double(st, col), 1);
		fwrite(b, 1, (size_t)(e - b), f);
		break;
	case SQLITE_TEXT:
		jstr(f, (const char *)sqlite3_column_text(st, col), (size_t)sqlite3_column_bytes(st, col));
		break;
	case SQLITE_BLOB: /* bytes, and a string that is not UTF-8: escaped as replay does */
		jstr(f, (const char *)sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col));
		break;
	default:
		fputs("null", f);
	}
}

#define EVENT_SQL "SELECT probe_id, fault, arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, " \
		  "arg9, arg10, arg11 FROM events WHERE id = ?"

/* The arguments of the event st is on (EVENT_SQL's columns) as a JSON object's members. */
static void jargs(struct chrome *c, sqlite3_stmt *st, int first_col, int64_t probe_id, int64_t fault)
{
	const struct pdesc *p = probe_id > 0 && (size_t)probe_id < c->pcap ? &c->p[probe_id] : NULL;

	for (int a = 0; p && a < p->argc; a++) {
		fputs(a ? "," : "", c->f);
		if (p->args[a])
			jcstr(c->f, p->args[a]);
		else
			fprintf(c->f, "\"arg%d\"", a);
		fputc(':', c->f);
		if (fault >> a & 1)
			fputs("null", c->f);
		else if (p->ptr_args >> a & 1 && sqlite3_column_type(st, first_col + a) == SQLITE_INTEGER)
			fprintf(c->f, "\"0x%" PRIx64 "\"", (uint64_t)sqlite3_column_int64(st, first_col + a));
		else
			jvalue(c->f, st, first_col + a);
	}
}

/* "KEY":{arguments of event id} (nothing when id is 0). */
static void jevent_args(struct chrome *c, sqlite3_stmt *ev, const char *key, int64_t id, int comma)
{
	if (!id)
		return;
	sqlite3_reset(ev);
	sqlite3_bind_int64(ev, 1, id);
	if (sqlite3_step(ev) != SQLITE_ROW)
		return;
	fprintf(c->f, "%s\"%s\":{", comma ? "," : "", key);
	jargs(c, ev, 2, sqlite3_column_int64(ev, 0), sqlite3_column_int64(ev, 1));
	fputc('}', c->f);
}

static int has_table(struct chrome *c, const char *name)
{
	sqlite3_stmt *st = NULL;
	int yes = 0;

	if (!prep(c, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", &st)) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return yes;
}

static int load_probes(struct chrome *c)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	err = prep(c, "SELECT p.id, p.provider, p.name, p.argc, p.kind, "
		   "EXISTS (SELECT 1 FROM spans s WHERE s.begin_probe_id = p.id OR s.end_probe_id = p.id) "
		   "FROM probes p ORDER BY p.id", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *prov = (const char *)sqlite3_column_text(st, 1);
		const char *kind = (const char *)sqlite3_column_text(st, 4);
		struct pdesc *p;

		if (id < 1 || id > (1 << 24))
			continue;
		err = tt_grow((void **)&c->p, &c->pcap, (size_t)id + 1, sizeof(*c->p));
		if (err)
			break;
		p = &c->p[id];
		p->provider = strdup(prov ? prov : "");
		p->name = strdup((const char *)sqlite3_column_text(st, 2));
		if (p->provider && p->name && asprintf(&p->label, "%s:%s", p->provider, p->name) < 0)
			p->label = NULL;
		p->argc = TT_MIN(sqlite3_column_int(st, 3), TT_MAX_ARGS);
		/* the scheduler's and the syscalls' records are the kernel tracks */
		p->skip = sqlite3_column_int(st, 5) ||
			  (kind && !strcmp(kind, "tracepoint") && (!strcmp(p->provider, "sched") ||
								 !strcmp(p->provider, "raw_syscalls")));
		if (!p->provider || !p->name || !p->label)
			err = -ENOMEM;
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	sqlite3_finalize(st);
	if (err)
		return err;
	err = prep(c, "SELECT probe_id, idx, column_name, kind = 'ptr' FROM probe_args", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int idx = sqlite3_column_int(st, 1);

		if (id < 1 || (size_t)id >= c->pcap || idx < 0 || idx >= TT_MAX_ARGS)
			continue;
		c->p[id].args[idx] = strdup((const char *)sqlite3_column_text(st, 2));
		c->p[id].ptr_args |= (uint16_t)(sqlite3_column_int(st, 3) << idx);
		if (!c->p[id].args[idx])
			err = -ENOMEM;
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	sqlite3_finalize(st);
	return err;
}

/* Is process pid one the options keep? */
static int pid_wanted(const struct chrome *c, int64_t pid)
{
	if (!c->o->pid_cnt)
		return 1;
	for (size_t i = 0; i < c->o->pid_cnt; i++)
		if (c->o->pids[i] == (uint32_t)pid)
			return 1;
	return 0;
}

static int label_wanted(const struct chrome *c, const char *label)
{
	if (!c->o->glob_cnt)
		return 1;
	for (size_t i = 0; i < c->o->glob_cnt; i++)
		if (tt_glob_match(c->o->globs[i], label))
			return 1;
	return 0;
}

static int in_window(const struct chrome *c, uint64_t ts)
{
	return ts >= c->from && ts <= c->to;
}

/* process_name per process, thread_name per thread, state track and goroutine. */
static int names(struct chrome *c, int states)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	char sql[640];

	snprintf(sql, sizeof(sql), "SELECT t.pid, t.tid, (SELECT comm FROM processes p WHERE p.pid = t.pid "
		 "ORDER BY p.id DESC LIMIT 1), t.kind FROM (SELECT DISTINCT pid, tid, 0 AS kind FROM threads "
		 "UNION SELECT DISTINCT pid, goid, 1 FROM spans WHERE pairing = 'goroutine' AND goid IS NOT NULL"
		 "%s) t ORDER BY t.pid, t.kind, t.tid",
		 states ? " UNION SELECT DISTINCT pid, tid, 2 FROM thread_states WHERE pid IS NOT NULL" : "");
	err = prep(c, sql, &st);
	if (err)
		return err;
	{
		int64_t last_pid = -1;

		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t pid = sqlite3_column_int64(st, 0), tid = sqlite3_column_int64(st, 1);
			const char *comm = (const char *)sqlite3_column_text(st, 2);
			int kind = sqlite3_column_int(st, 3);
			char name[128];

			if (!pid_wanted(c, pid))
				continue;
			if (pid != last_pid) {
				begin(c);
				fprintf(c->f, "\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%" PRId64 ",\"tid\":0,"
					      "\"args\":{\"name\":", pid);
				if (comm)
					jcstr(c->f, comm);
				else
					fprintf(c->f, "\"pid %" PRId64 "\"", pid);
				fputs("}}", c->f);
				last_pid = pid;
			}
			if (kind == 1)
				snprintf(name, sizeof(name), "goroutine %" PRId64, tid);
			else if (kind == 2)
				snprintf(name, sizeof(name), "%" PRId64 " states", tid);
			else if (tid == pid && comm)
				snprintf(name, sizeof(name), "%s", comm);
			else
				snprintf(name, sizeof(name), "%s %" PRId64, comm ? comm : "thread", tid);
			begin(c);
			fprintf(c->f, "\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%" PRId64 ",\"tid\":%" PRId64
				      ",\"args\":{\"name\":", pid,
				kind == 1 ? tid + GOROUTINE_TRACK : kind == 2 ? tid + STATE_TRACK : tid);
			jcstr(c->f, name);
			fputs("}}", c->f);
			/* a state track right after its thread's */
			begin(c);
			fprintf(c->f, "\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%" PRId64 ",\"tid\":%" PRId64
				      ",\"args\":{\"sort_index\":%" PRId64 "}}", pid,
				kind == 1 ? tid + GOROUTINE_TRACK : kind == 2 ? tid + STATE_TRACK : tid,
				kind == 1 ? 3 * tid + 2 : kind == 2 ? 3 * tid + 1 : 3 * tid);
		}
	}
	err = rc == SQLITE_DONE ? 0 : sql_err(c);
	sqlite3_finalize(st);
	return err;
}

static int spans(struct chrome *c)
{
	sqlite3_stmt *st = NULL, *ev = NULL;
	uint64_t stack[256];
	size_t depth = 0;
	int64_t track_pid = -1, track_tid = -1;
	int err, rc;

	err = prep(c, "SELECT id, provider, name, pairing, pid, tid, end_tid, goid, start_ts, end_ts, "
		   "begin_event_id, coalesce(end_event_id, 0), unclosed, begin_probe_id FROM spans "
		   "ORDER BY pid, CASE WHEN pairing = 'goroutine' THEN goid ELSE tid END, "
		   "pairing = 'goroutine', start_ts, coalesce(end_ts, 9223372036854775807) DESC, id", &st);
	if (!err)
		err = prep(c, EVENT_SQL, &ev);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0), pid = sqlite3_column_int64(st, 4);
		int64_t tid = sqlite3_column_int64(st, 5), probe = sqlite3_column_int64(st, 13);
		const char *prov = (const char *)sqlite3_column_text(st, 1);
		const char *name = (const char *)sqlite3_column_text(st, 2);
		const char *pairing = (const char *)sqlite3_column_text(st, 3);
		int go = !strcmp(pairing, "goroutine"), open = sqlite3_column_type(st, 9) == SQLITE_NULL;
		int64_t end_tid = sqlite3_column_type(st, 6) == SQLITE_NULL ? tid : sqlite3_column_int64(st, 6);
		uint64_t start = (uint64_t)sqlite3_column_int64(st, 8);
		uint64_t end = open ? TT_MAX(c->ts_last, start) : (uint64_t)sqlite3_column_int64(st, 9);
		int64_t track = go ? sqlite3_column_int64(st, 7) + GOROUTINE_TRACK : tid;
		int slice = go || (!strcmp(pairing, "thread") && end_tid == tid);

		if (!pid_wanted(c, pid) || !in_window(c, start) ||
		    (probe > 0 && (size_t)probe < c->pcap && !label_wanted(c, c->p[probe].label)))
			continue;
		if (slice) {
			/* a complete slice only where it nests with the ones before it on its track */
			if (pid != track_pid || track != track_tid) {
				depth = 0;
				track_pid = pid;
				track_tid = track;
			}
			while (depth && stack[depth - 1] <= start)
				depth--;
			if ((depth && end > stack[depth - 1]) || depth == TT_ARRAY_SIZE(stack))
				slice = 0;
			else
				stack[depth++] = end;
		}
		for (int half = 0; half < (slice ? 1 : 2); half++) {
			begin(c);
			fputs("\"name\":", c->f);
			jcstr(c->f, name);
			fputs(",\"cat\":", c->f);
			jcstr(c->f, prov && *prov ? prov : "span");
			if (slice)
				fputs(",\"ph\":\"X\"", c->f);
			else
				fprintf(c->f, ",\"ph\":\"%s\",\"id2\":{\"local\":\"0x%" PRIx64 "\"}", half ? "e" : "b",
					(uint64_t)id);
			fprintf(c->f, ",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":", pid,
				slice ? track : half ? end_tid : tid);
			jts(c->f, half ? end : start);
			if (slice) {
				fputs(",\"dur\":", c->f);
				jts(c->f, end - start);
			}
			fprintf(c->f, ",\"args\":{\"span\":%" PRId64, id);
			if (!half)
				jevent_args(c, ev, "begin", sqlite3_column_int64(st, 10), 1);
			if (slice || half)
				jevent_args(c, ev, "end", sqlite3_column_int64(st, 11), 1);
			if (open) {
				fputs(",\"unclosed\":", c->f);
				jcstr(c->f, (const char *)sqlite3_column_text(st, 12));
			}
			fputs("}}", c->f);
		}
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	sqlite3_finalize(st);
	sqlite3_finalize(ev);
	return err;
}

/* Thread states beside each thread, and syscalls on it. */
static int kernel(struct chrome *c, int states, int syscalls)
{
	sqlite3_stmt *st = NULL;
	int err = 0, rc;

	if (states) {
		err = prep(c, "SELECT pid, tid, state, start_ts, end_ts, cpu, reason, waker_tid FROM thread_states "
			   "WHERE pid IS NOT NULL ORDER BY pid, tid, start_ts", &st);
		while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t pid = sqlite3_column_int64(st, 0);
			uint64_t start = (uint64_t)sqlite3_column_int64(st, 3);
			uint64_t end = sqlite3_column_type(st, 4) == SQLITE_NULL ? TT_MAX(c->ts_last, start)
										  : (uint64_t)sqlite3_column_int64(st, 4);

			if (!pid_wanted(c, pid) || !in_window(c, start))
				continue;
			begin(c);
			fputs("\"name\":", c->f);
			jcstr(c->f, (const char *)sqlite3_column_text(st, 2));
			fprintf(c->f, ",\"cat\":\"sched\",\"ph\":\"X\",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":", pid,
				(int64_t)sqlite3_column_int64(st, 1) + STATE_TRACK);
			jts(c->f, start);
			fputs(",\"dur\":", c->f);
			jts(c->f, end - start);
			fputs(",\"args\":{\"cpu\":", c->f);
			jvalue(c->f, st, 5);
			fputs(",\"reason\":", c->f);
			jvalue(c->f, st, 6);
			fputs(",\"waker_tid\":", c->f);
			jvalue(c->f, st, 7);
			fputs("}}", c->f);
		}
		if (!err && rc != SQLITE_DONE)
			err = sql_err(c);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (!err && syscalls) {
		err = prep(c, "SELECT pid, tid, coalesce(name, '#' || nr), nr, ret, start_ts, end_ts FROM syscalls "
			   "WHERE start_ts IS NOT NULL AND end_ts IS NOT NULL ORDER BY pid, tid, start_ts", &st);
		while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t pid = sqlite3_column_int64(st, 0);
			uint64_t start = (uint64_t)sqlite3_column_int64(st, 5), end = (uint64_t)sqlite3_column_int64(st, 6);

			if (!pid_wanted(c, pid) || !in_window(c, start) || end < start)
				continue;
			begin(c);
			fputs("\"name\":", c->f);
			jcstr(c->f, (const char *)sqlite3_column_text(st, 2));
			fprintf(c->f, ",\"cat\":\"syscall\",\"ph\":\"X\",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":", pid,
				(int64_t)sqlite3_column_int64(st, 1));
			jts(c->f, start);
			fputs(",\"dur\":", c->f);
			jts(c->f, end - start);
			fputs(",\"args\":{\"nr\":", c->f);
			jvalue(c->f, st, 3);
			fputs(",\"ret\":", c->f);
			jvalue(c->f, st, 4);
			fputs("}}", c->f);
		}
		if (!err && rc != SQLITE_DONE)
			err = sql_err(c);
		sqlite3_finalize(st);
	}
	return err;
}

/* Every event that is neither a span's start or end nor a kernel record: an instant. */
static int instants(struct chrome *c)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	err = prep(c, "SELECT probe_id, fault, arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, "
		   "arg10, arg11, ts, pid, tid FROM events ORDER BY id", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t probe = sqlite3_column_int64(st, 0), pid = sqlite3_column_int64(st, 15);
		uint64_t ts = (uint64_t)sqlite3_column_int64(st, 14);
		const struct pdesc *p = probe > 0 && (size_t)probe < c->pcap && c->p[probe].label ? &c->p[probe] : NULL;

		if (!p || p->skip || !pid_wanted(c, pid) || !in_window(c, ts) || !label_wanted(c, p->label))
			continue;
		begin(c);
		fputs("\"name\":", c->f);
		jcstr(c->f, p->label);
		fprintf(c->f, ",\"cat\":\"probe\",\"ph\":\"i\",\"s\":\"t\",\"pid\":%" PRId64 ",\"tid\":%" PRId64
			      ",\"ts\":", pid, (int64_t)sqlite3_column_int64(st, 16));
		jts(c->f, ts);
		fputs(",\"args\":{", c->f);
		jargs(c, st, 2, probe, sqlite3_column_int64(st, 1));
		fputs("}}", c->f);
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(c);
	sqlite3_finalize(st);
	return err;
}

int tt_trace_chrome(sqlite3 *db, const struct tt_chrome_opts *o, FILE *f)
{
	struct chrome c = {.db = db, .f = f, .o = o, .out = o->out, .first = 1};
	sqlite3_stmt *st = NULL;
	int64_t wall = 0;
	int err, states, syscalls;

	err = prep(&c, "SELECT max(ts_last), (SELECT wall_offset_ns FROM tapes ORDER BY id LIMIT 1), "
		   "min(ts_first) FROM tapes", &st);
	if (err)
		return err;
	if (sqlite3_step(st) == SQLITE_ROW) {
		c.ts_last = (uint64_t)sqlite3_column_int64(st, 0);
		wall = sqlite3_column_int64(st, 1);
		c.from = (uint64_t)sqlite3_column_int64(st, 2) + o->from_ns;
		c.to = o->have_to ? (uint64_t)sqlite3_column_int64(st, 2) + o->to_ns : UINT64_MAX;
	}
	sqlite3_finalize(st);
	states = has_table(&c, "thread_states");
	syscalls = has_table(&c, "syscalls");
	err = load_probes(&c);
	fputs("{\"traceEvents\":[", f);
	if (!err)
		err = names(&c, states);
	if (!err)
		err = spans(&c);
	if (!err)
		err = kernel(&c, states, syscalls);
	if (!err)
		err = instants(&c);
	if (!err)
		fprintf(f, "\n],\"displayTimeUnit\":\"ns\",\"metadata\":{\"clock\":\"CLOCK_MONOTONIC\","
			   "\"ts_unit\":\"us\",\"wall_offset_ns\":%" PRId64 "}}\n", wall);
	for (size_t i = 0; i < c.pcap; i++) {
		free(c.p[i].provider);
		free(c.p[i].name);
		free(c.p[i].label);
		for (int a = 0; a < TT_MAX_ARGS; a++)
			free(c.p[i].args[a]);
	}
	free(c.p);
	if (err == -ENOMEM)
		tt_err(o->out, "out of memory");
	return err ? err : ferror(f) ? -EIO : 0;
}
