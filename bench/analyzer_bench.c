/* SPDX-License-Identifier: MIT */
/*
 * The analyzer benchmark's workload (bench/sections/40-analyzer.sh), in two modes that produce
 * the same rows:
 *
 *   analyzer_bench gen TAPE N     write a tape of N events through the tape writer: four
 *                                 threads of one process, each doing requests
 *                                 app:query__begin(id, op) ... app:rows(n) ... app:query__end(id,
 *                                 status), interleaved, with log-spread durations
 *   analyzer_bench limit DB N     insert the same N event rows straight into SQLite with one
 *                                 prepared single-row INSERT and the loader's settings: the
 *                                 reference of the issue; prints "rows/s SECONDS"
 *   analyzer_bench limit16 DB N   the same through a 16-row INSERT (one statement execution per
 *                                 16 rows), which is how the loader inserts: the real ceiling
 *
 * Both draw the sequence from the same seeded generator, so the rows are identical.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tape_writer.h"
#include "tt_util.h"

#define THREADS 4
#define PID 4242

static const char *const ops[] = {
	"SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "VACUUM", "ANALYZE",
};

struct gen {
	uint64_t rng, ts, next_id;
	int phase[THREADS];    /* 0 idle, 1 begun, 2 rows reported */
	uint64_t id[THREADS];
};

static uint64_t rnd(struct gen *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

/* The next event: probe 0 begin(id, op), 1 rows(n), 2 end(id, status). */
static void next_event(struct gen *g, struct tt_event *ev)
{
	unsigned t = (unsigned)(rnd(g) % THREADS);
	uint64_t r = rnd(g);

	/* log-spread gaps: mostly short, sometimes long, so durations span several octaves */
	g->ts += 200 + (r & 0xff) * (1u << ((r >> 8) % 6));
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = g->ts;
	ev->pid = PID;
	ev->tid = PID + 1 + t;
	ev->cpu = t % 2;
	switch (g->phase[t]) {
	case 0:
		g->id[t] = ++g->next_id;
		ev->probe_id = 0;
		ev->argc = 2;
		ev->args[0] = g->id[t];
		ev->strs[1] = (struct tt_bytes){(const uint8_t *)ops[r % 8], (uint32_t)strlen(ops[r % 8]), 0};
		g->phase[t] = 1;
		break;
	case 1:
		ev->probe_id = 1;
		ev->argc = 1;
		ev->args[0] = (r >> 16) % 10000;
		g->phase[t] = 2;
		break;
	default:
		ev->probe_id = 2;
		ev->argc = 2;
		ev->args[0] = g->id[t];
		ev->args[1] = (r >> 20) % 50 == 0 ? (uint64_t)-1 : 0;
		g->phase[t] = 0;
		break;
	}
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int gen_tape(const char *path, uint64_t n)
{
	struct tt_probe_desc begin = {.id = 0, .type = TT_PROBE_USDT, .argc = 2,
				      .kinds = {TT_KIND_U64, TT_KIND_STR}, .provider = "app",
				      .name = "query__begin", .binary = "/usr/bin/app",
				      .arg_names = {"id", "op"}};
	struct tt_probe_desc rows = {.id = 1, .type = TT_PROBE_USDT, .argc = 1, .kinds = {TT_KIND_U64},
				     .provider = "app", .name = "rows", .binary = "/usr/bin/app",
				     .arg_names = {"n"}};
	struct tt_probe_desc end = {.id = 2, .type = TT_PROBE_USDT, .argc = 2,
				    .kinds = {TT_KIND_U64, TT_KIND_S32}, .provider = "app",
				    .name = "query__end", .binary = "/usr/bin/app",
				    .arg_names = {"id", "status"}};
	struct gen g = {.rng = 0x9e3779b97f4a7c15ULL, .ts = 1000000000000ULL};
	struct tt_tape_writer *w = tt_tape_writer__open(path, NULL);
	struct tt_event ev;
	int err;

	if (!w) {
		fprintf(stderr, "analyzer_bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	err = tt_tape_writer__add_meta(w, "host", "bench");
	if (!err)
		err = tt_tape_writer__add_clock(w, g.ts, 1700000000000000000ULL);
	if (!err)
		err = tt_tape_writer__add_probe(w, &begin);
	if (!err)
		err = tt_tape_writer__add_probe(w, &rows);
	if (!err)
		err = tt_tape_writer__add_probe(w, &end);
	if (!err)
		err = tt_tape_writer__add_process(w, PID, 1, "app", "/usr/bin/app", "app --bench");
	for (uint64_t i = 0; i < n && !err; i++) {
		next_event(&g, &ev);
		err = tt_tape_writer__append(w, &ev);
	}
	if (err) {
		fprintf(stderr, "analyzer_bench: writing %s: %s\n", path, strerror(-err));
		tt_tape_writer__free(w);
		return 1;
	}
	if (tt_tape_writer__close(w)) {
		fprintf(stderr, "analyzer_bench: closing %s failed\n", path);
		return 1;
	}
	return 0;
}

static int insert_limit(const char *path, uint64_t n, int rows)
{
	struct gen g = {.rng = 0x9e3779b97f4a7c15ULL, .ts = 1000000000000ULL};
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct tt_event ev;
	double t0, t1;
	int rc;

	unlink(path);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* as tracetape does */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		goto fail;
	/* the loader's settings and the events table as schemas/tracetape.sql defines it */
	if (sqlite3_exec(db, "PRAGMA page_size = 16384; PRAGMA journal_mode = OFF; "
			 "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
			 "PRAGMA cache_size = -65536; "
			 "CREATE TABLE events (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, "
			 "tape INTEGER NOT NULL, probe_id INTEGER NOT NULL, pid INTEGER NOT NULL, "
			 "tid INTEGER NOT NULL, cpu INTEGER NOT NULL, goid INTEGER, "
			 "fault INTEGER NOT NULL, truncated INTEGER NOT NULL, arg0, arg1, arg2, arg3, "
			 "arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11)", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	{
		char sql[4096];
		int k = snprintf(sql, sizeof(sql), "INSERT INTO events (id, ts, tape, probe_id, pid, tid, "
				 "cpu, goid, fault, truncated, arg0, arg1) VALUES ");

		for (int r = 0; r < rows; r++)
			k += snprintf(sql + k, sizeof(sql) - (size_t)k, "%s(?,?,?,?,?,?,?,?,?,?,?,?)", r ? "," : "");
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			goto fail;
	}
	t0 = now_s();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (uint64_t i = 0; i < n; i++) {
		int b = (int)(i % (uint64_t)rows) * 12;

		next_event(&g, &ev);
		sqlite3_bind_int64(st, b + 1, (int64_t)i + 1);
		sqlite3_bind_int64(st, b + 2, (int64_t)ev.ts_ns);
		sqlite3_bind_int64(st, b + 3, 1);
		sqlite3_bind_int64(st, b + 4, ev.probe_id + 1);
		sqlite3_bind_int64(st, b + 5, ev.pid);
		sqlite3_bind_int64(st, b + 6, ev.tid);
		sqlite3_bind_int64(st, b + 7, ev.cpu);
		sqlite3_bind_null(st, b + 8);
		sqlite3_bind_int64(st, b + 9, 0);
		sqlite3_bind_int64(st, b + 10, 0);
		sqlite3_bind_int64(st, b + 11, (int64_t)ev.args[0]);
		if (ev.probe_id == 0)
			sqlite3_bind_text(st, b + 12, (const char *)ev.strs[1].ptr, (int)ev.strs[1].len,
					  SQLITE_STATIC);
		else if (ev.probe_id == 2)
			sqlite3_bind_int64(st, b + 12, (int32_t)ev.args[1]);
		else
			sqlite3_bind_null(st, b + 12);
		if (b / 12 < rows - 1)
			continue; /* n is a multiple of rows: every group fills up */
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	t1 = now_s();
	printf("%.0f %.3f\n", (double)n / (t1 - t0), t1 - t0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
fail:
	fprintf(stderr, "analyzer_bench: %s: %s\n", path, db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t n;

	if (argc != 4 || tt_parse_u64(argv[3], 16, UINT64_MAX, &n)) {
		fprintf(stderr, "usage: analyzer_bench gen TAPE N | limit DB N | limit16 DB N (N >= 16)\n");
		return 2;
	}
	if (!strcmp(argv[1], "gen"))
		return gen_tape(argv[2], n);
	if (!strcmp(argv[1], "limit"))
		return insert_limit(argv[2], n, 1);
	if (!strcmp(argv[1], "limit16"))
		return insert_limit(argv[2], n - n % 16, 16);
	fprintf(stderr, "usage: analyzer_bench gen TAPE N | limit DB N | limit16 DB N (N >= 16)\n");
	return 2;
}
