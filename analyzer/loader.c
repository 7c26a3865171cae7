/* SPDX-License-Identifier: MIT */
/*
 * The SQLite loader (loader.h): one pass over the tapes, merged by timestamp, through a pipeline
 * of three threads, because SQLite writes a file from one thread at a time and the insert is what
 * bounds the load:
 *
 *   reader    (the caller's thread, this file) reads and decodes the tapes, builds spans
 *             (spans.h), keeps the catalog of probes, threads and processes (load_catalog.h),
 *             and copies events and finished spans into the writers' batches;
 *   events    (load_events.h) owns the database connection during the pass: inserts the events,
 *             decodes tracepoint records into their tables (load_tables.h) and the kernel
 *             tables (kernel_db.h);
 *   spans     (load_spans.h) inserts spans into a side database and builds their indexes there;
 *             at the end the main connection copies that table in as it is.
 *
 * Everything runs with journal_mode=OFF and synchronous=OFF into a temporary file that is
 * renamed into place only when complete. After the pass come the small tables (tapes, losses,
 * probes, processes, threads, meta), the per-probe views, the indexes (each built by one sort
 * rather than by updating a B-tree per row), and the loss flags of spans (load_losses.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db_schema.h"
#include "kernel_db.h"
#include "load_catalog.h"
#include "load_events.h"
#include "load_keep.h"
#include "load_losses.h"
#include "load_spans.h"
#include "load_stacks.h"
#include "load_tables.h"
#include "loader.h"
#include "tape_reader.h"
#include "tt_error.h"
#include "tt_util.h"
#include "tt_version.h"

#define PROGRESS_MASK 0xffff  /* look at the clock every 65536 events */
#define PROGRESS_NS 250000000ULL

/* A tape being read. */
struct src {
	struct tt_tape_reader *r;
	const char *path;
	uint32_t tape, capture;
	const struct tt_event *ev; /* its next event, valid until the next read */
	const uint8_t *kinds;
	int done;
	int read_err;         /* the error that ended the read, or 0 */
	uint64_t events, ts_first, ts_last;
	uint32_t probes_seen; /* tt_tape_reader__probe_cnt() when last looked at */
};

struct loader {
	const struct tt_load_opts *o;
	const struct tt_out *out;
	sqlite3 *db;
	struct src *srcs;
	size_t src_cnt;
	struct tt_catalog cat;
	struct tt_tp_tables tps;
	struct tt_span_builder *spans;
	struct tt_kernel_db *kernel;   /* thread_states and syscalls */
	struct tt_ev_writer *events;   /* owns db while it runs */
	struct tt_span_writer *span_w;
	struct tt_stack_loader *stacks; /* which events have call stacks (record --stack) */
	uint64_t next_event_id;
	uint64_t last_progress_ns, start_ns;
	uint64_t begin_ns;             /* tt_load() began (progress: the time so far and left) */
	char **warnings;
	size_t warning_cnt;
};

/* Say a warning and keep it for meta. 0 or -ENOMEM. */
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

/* ---- probes ---- */

/*
 * Give probe tape_probe of s its database id and describe it to the span builder (and a
 * tracepoint's table); its rows are written after the pass. *gid is 0 when the reader has no
 * description.
 */
static int probe_register(struct loader *l, struct src *s, uint32_t tape_probe, uint32_t *gid)
{
	const struct tt_probe_desc *p = tt_tape_reader__probe(s->r, tape_probe);
	const char *text;
	char why[256];
	int added, err;

	*gid = 0;
	if (!p)
		return 0;
	err = tt_catalog__add_probe(&l->cat, s->tape, tape_probe, p, gid, &added);
	if (err || !added)
		return err;
	if (p->type == TT_PROBE_TRACEPOINT) {
		struct tt_tp_table *tp = NULL;

		text = tt_tape_reader__tp_format(s->r, tape_probe);
		if (!text)
			err = add_warning(l, "tape '%s': tracepoint %s:%s has no format text; its records "
					  "are kept raw in events.arg0", s->path, p->provider, p->name);
		else
			err = tt_tp_tables__get(&l->tps, p->provider, p->name, text, &tp, why, sizeof(why));
		if (err == -TT_E_PARSE)
			err = add_warning(l, "tape '%s': format of tracepoint %s:%s cannot be parsed (%s); "
					  "its records are kept raw in events.arg0", s->path, p->provider,
					  p->name, why);
		if (err)
			return err;
		tt_catalog__probe(&l->cat, *gid)->tp = tp;
	}
	return tt_span_builder__add_probe(l->spans, *gid, p);
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

/* ---- the pass ---- */

/* The span builder's output goes to the span writer. */
static int emit_span(void *ctx, const struct tt_span *sp)
{
	struct loader *l = ctx;

	return tt_span_writer__emit(l->span_w, sp);
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
	uint64_t now = tt_now_mono_ns(), done = 0, total = 0;
	double secs = (double)(now - l->begin_ns) / 1e9;
	char more[160];

	if (now - l->last_progress_ns < PROGRESS_NS)
		return;
	l->last_progress_ns = now;
	/* how far through the tapes' bytes (unknown when one comes through a pipe) */
	for (size_t i = 0; i < l->src_cnt; i++) {
		uint64_t d = 0, t = 0;

		if (l->srcs[i].r)
			tt_tape_reader__position(l->srcs[i].r, &d, &t);
		done += d;
		total = total == UINT64_MAX || !t ? UINT64_MAX : total + t;
	}
	snprintf(more, sizeof(more), "%llu events, %llu spans (%.0f events/s)",
		 (unsigned long long)(l->next_event_id - 1),
		 (unsigned long long)(l->span_w ? tt_span_writer__count(l->span_w) : 0),
		 secs > 0 ? (double)(l->next_event_id - 1) / secs : 0.0);
	tt_progress_bytes(l->out, "loading", done, total == UINT64_MAX ? 0 : total, now - l->begin_ns,
			  more);
}

/* A tape's reader waits for more (a pipe): say how far loading is meanwhile. */
static void idle_progress(void *ctx)
{
	progress(ctx);
}

/* The pass over the tapes, in the reader thread; the writers get the last batches. */
static int load_events(struct loader *l)
{
	struct src *s;
	int err;

	for (size_t i = 0; i < l->src_cnt; i++)
		advance(&l->srcs[i]);
	while ((s = pick(l))) {
		const struct tt_event *ev = s->ev;
		struct tt_cat_probe *g;
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
		gid = tt_catalog__gid(&l->cat, s->tape, ev->probe_id);
		if (!gid) {
			err = probe_register(l, s, ev->probe_id, &gid);
			if (err)
				return err;
			if (!gid) { /* cannot happen: the reader describes every probe it returns */
				advance(s);
				continue;
			}
		}
		g = tt_catalog__probe(&l->cat, gid);
		g->events++;
		err = tt_ev_writer__add(l->events, l->next_event_id, gid, s->capture, s->tape, g->tp, ev,
					s->kinds);
		if (!err && g->builtin)
			err = tt_catalog__process_event(&l->cat, s->capture, s->tape, g, ev, s->kinds);
		if (!err)
			err = tt_catalog__thread_event(&l->cat, s->tape, ev->pid, ev->tid, ev->ts_ns,
						       l->next_event_id);
		if (!err)
			err = tt_span_builder__event(l->spans, s->capture, s->tape, l->next_event_id, gid,
						     ev, s->kinds);
		if (!err && ev->stack_id)
			err = tt_stack_loader__event(l->stacks, s->tape, l->next_event_id, ev->stack_id);
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
	/* the span writer builds its indexes meanwhile */
	if (!err)
		err = tt_span_writer__close(l->span_w);
	return err;
}

/* ---- after the events ---- */

static int insert_meta(struct loader *l, int64_t tape, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int err = tt_db_prepare(l->db, "INSERT INTO meta (tape, key, value) VALUES (?, ?, ?)", 0, &st,
				l->out);

	if (err)
		return err;
	if (tape)
		sqlite3_bind_int64(st, 1, tape);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	err = tt_db_step_done(l->db, st, "cannot insert", l->out);
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
	if (st.damaged_blocks) { /* read past with skip_damaged */
		struct tt_tape_damage d = {0};

		tt_tape_reader__damage(s->r, 0, &d);
		snprintf(warning, sz, "tape '%s' is damaged: skipped %u damaged stretch%s (%llu bytes, "
			 "%llu block%s lost), the first at offset %llu; loaded the %llu events around "
			 "them", s->path, st.damaged_blocks, st.damaged_blocks == 1 ? "" : "es",
			 (unsigned long long)st.bytes_skipped, (unsigned long long)st.blocks_missing,
			 st.blocks_missing == 1 ? "" : "s", (unsigned long long)d.offset,
			 (unsigned long long)s->events);
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

/* The tapes rows with their meta, and the losses rows. */
static int insert_tapes(struct loader *l, struct tt_load_stats *stats)
{
	sqlite3_stmt *st = NULL, *ls = NULL;
	int err;

	err = tt_db_prepare(l->db, "INSERT INTO tapes (id, path, host, boot_id, capture, file_bytes, "
			    "events, lost, ts_first, ts_last, wall_offset_ns, status, warning) VALUES "
			    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 0, &st, l->out);
	if (!err)
		err = tt_db_prepare(l->db, "INSERT INTO losses (tape, cpu, probe_id, ts_start, ts_end, "
				    "count) VALUES (?, ?, ?, ?, ?, ?)", 0, &ls, l->out);
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
			uint32_t gid = tt_catalog__gid(&l->cat, s->tape, loss[k].probe_id);

			sqlite3_bind_int64(ls, 1, s->tape);
			sqlite3_bind_int64(ls, 2, loss[k].cpu);
			if (gid)
				sqlite3_bind_int64(ls, 3, gid);
			else
				sqlite3_bind_null(ls, 3);
			sqlite3_bind_int64(ls, 4, (int64_t)loss[k].ts_start_ns);
			sqlite3_bind_int64(ls, 5, (int64_t)loss[k].ts_end_ns);
			sqlite3_bind_int64(ls, 6, (int64_t)loss[k].count);
			err = tt_db_step_done(l->db, ls, "cannot insert", l->out);
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
			err = tt_db_step_done(l->db, st, "cannot insert", l->out);
		for (size_t k = 0; !err && !tt_tape_reader__meta_at(s->r, k, &key, &value); k++) {
			size_t bad = 0;

			err = insert_meta(l, s->tape, key, value);
			if (!err && !strcmp(key, "keep_spans"))
				err = tt_load_keep(l->db, s->tape, value, &bad, l->out);
			if (!err && bad)
				err = add_warning(l, "%s: %zu keep_spans lines could not be read",
						  s->path, bad);
		}
	}
	sqlite3_finalize(st);
	sqlite3_finalize(ls);
	return err;
}

/* The catalog's rows, after the tapes' process tables told what they know of each process. */
static int insert_catalog(struct loader *l)
{
	/*
	 * A process is described again after an exec, so a later description replaces what an
	 * earlier one said: the row shows the program the process ran last.
	 */
	for (size_t i = 0; i < l->src_cnt; i++) {
		const struct tt_process *tp;

		for (size_t k = 0; (tp = tt_tape_reader__process(l->srcs[i].r, k)); k++) {
			int err = tt_catalog__describe_process(&l->cat, l->srcs[i].capture,
							       l->srcs[i].tape, tp);

			if (err)
				return err;
		}
	}
	return tt_catalog__write(&l->cat, l->db, l->out);
}

static int db_meta(struct loader *l)
{
	struct tt_span_stats ss;
	struct tt_buf rules = {0};
	char buf[64];
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
	tt_span_builder__stats(l->spans, &ss);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)ss.unmatched_ends);
	if (!err)
		err = insert_meta(l, 0, "spans_unmatched_ends", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)ss.open_peak);
	if (!err)
		err = insert_meta(l, 0, "spans_open_peak", buf);
	for (size_t i = 0; i < l->warning_cnt && !err; i++)
		err = insert_meta(l, 0, "warning", l->warnings[i]);
	tt_buf_free(&rules);
	return err;
}

/* spans.lost from the tapes' loss windows. */
static int flag_lost_spans(struct loader *l)
{
	struct tt_loss_index ix = {0};
	int err = 0;

	for (size_t i = 0; i < l->src_cnt && !err; i++) {
		const struct src *s = &l->srcs[i];
		const struct tt_loss *loss;
		size_t cnt;

		err = tt_loss_index__tape(&ix, s->tape, s->capture, s->events ? s->ts_last : 0);
		loss = tt_tape_reader__losses(s->r, &cnt);
		for (size_t k = 0; k < cnt && !err; k++) {
			/* an unknown probe's loss counts for every probe */
			uint32_t gid = loss[k].probe_id == TT_LOSS_ANY_PROBE ? 0
				       : tt_catalog__gid(&l->cat, s->tape, loss[k].probe_id);

			err = tt_loss_index__add(&ix, s->capture, loss[k].cpu, gid, loss[k].ts_start_ns,
						 loss[k].ts_end_ns);
		}
	}
	if (!err) {
		tt_loss_index__seal(&ix);
		err = tt_loss_index__flag_spans(&ix, l->db, l->out);
	}
	tt_loss_index__free(&ix);
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
		.idle = idle_progress,
		.idle_ctx = l,
		.skip_damaged = l->o->skip_damaged,
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

		/* 9p, NFS and many FUSE file systems have no RENAME_NOREPLACE (EINVAL): a hard
		 * link fails as atomically when path exists; where there are no hard links either,
		 * a rename after a last look is all that is left */
		if (err == -EINVAL || err == -ENOSYS || err == -EOPNOTSUPP) {
			if (link(tmp, path) == 0) {
				unlink(tmp); /* a leftover name would be harmless */
				err = 0;
			} else if (errno == EEXIST || access(path, F_OK) == 0) {
				err = -EEXIST;
			} else {
				err = rename(tmp, path) == 0 ? 0 : -errno;
			}
		}
		if (err == -EEXIST)
			tt_err(out, "'%s' already exists; use --force to replace it", path);
		else if (err)
			tt_err(out, "cannot create '%s': %s", path, strerror(-err));
		return err;
	}
	return 0;
}

/* Every statement finalized and the connections closed (SQLite refuses to close with live ones). */
static void loader_close_db(struct loader *l)
{
	/* the writers first: they use the connections */
	tt_ev_writer__free(l->events);
	l->events = NULL;
	tt_span_writer__free(l->span_w);
	l->span_w = NULL;
	tt_tp_tables__finalize(&l->tps);
	tt_kernel_db__free(l->kernel);
	l->kernel = NULL;
	sqlite3_close(l->db);
	l->db = NULL;
}

static void loader_free(struct loader *l)
{
	loader_close_db(l);
	for (size_t i = 0; i < l->src_cnt; i++)
		tt_tape_reader__free(l->srcs[i].r);
	free(l->srcs);
	tt_tp_tables__free(&l->tps);
	tt_catalog__free(&l->cat);
	for (size_t i = 0; i < l->warning_cnt; i++)
		free(l->warnings[i]);
	free(l->warnings);
	tt_span_builder__free(l->spans);
	tt_stack_loader__free(l->stacks);
}

/* The stacks, frames and event_stacks rows, from each tape's stack descriptions. */
static int insert_stacks(struct loader *l)
{
	struct tt_tape_reader **readers = calloc(l->src_cnt + 1, sizeof(*readers));
	int err;

	if (!readers)
		return -ENOMEM;
	for (size_t i = 0; i < l->src_cnt; i++)
		readers[l->srcs[i].tape - 1] = l->srcs[i].r;
	err = tt_stack_loader__insert(l->stacks, l->db, readers, l->src_cnt, l->out);
	free(readers);
	return err;
}

/* The new database at tmp: bulk settings, the schema, the kernel tables and both writers. */
static int db_create(struct loader *l, const char *tmp, const char *side, const char *db_path)
{
	const char *sql;
	char pragma[128];
	size_t sql_len;
	int err, fd;

	unlink(tmp);
	/* the destination's directory must take a file: say so in its terms. Only its owner
	 * may read it: a database holds what the application passed to its probes. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		tt_err(l->out, "cannot create '%s': %s", db_path, strerror(-err));
		return err;
	}
	close(fd);
	err = tt_db_open(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &l->db, l->out);
	if (err)
		return err;
	/*
	 * Bulk-load settings: no rollback journal and no syncs (the file is temporary until
	 * renamed), an exclusive lock (no lock traffic per transaction), larger pages (fewer,
	 * fuller B-tree pages per row), a bounded page cache.
	 */
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%llu",
		 (unsigned long long)((l->o->cache_bytes ? l->o->cache_bytes : 64ULL << 20) >> 10));
	err = tt_db_exec(l->db, "PRAGMA page_size = 16384; PRAGMA journal_mode = OFF; "
			 "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
			 "PRAGMA temp_store = FILE", -1, l->out);
	if (!err)
		err = tt_db_exec(l->db, pragma, -1, l->out);
	tt_db_schema_tables(&sql, &sql_len);
	if (!err)
		err = tt_db_exec(l->db, sql, (int)sql_len, l->out);
	if (!err)
		err = tt_kernel_db__new(l->db, l->out, &l->kernel);
	if (err)
		return err;
	l->events = tt_ev_writer__new(l->db, l->kernel, l->out);
	if (!l->events)
		return -errno;
	l->span_w = tt_span_writer__new(side, l->out);
	if (!l->span_w)
		return -errno;
	return tt_db_exec(l->db, "BEGIN", -1, l->out);
}

int tt_load(const char *db_path, const char *const *tapes, size_t tape_cnt,
	    const struct tt_load_opts *opts, struct tt_load_stats *stats)
{
	struct loader l = {.o = opts, .out = opts->out, .next_event_id = 1};
	uint64_t t0 = tt_now_mono_ns();
	struct tt_buf other_idx = {0};
	char *tmp = NULL, *side = NULL;
	struct stat sb;
	uint64_t t1, t2, t3, ti[3] = {0}, span_cnt;
	int err;

	l.begin_ns = l.last_progress_ns = t0;
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
	l.stacks = tt_stack_loader__new(opts->debug_dirs, opts->debug_dir_cnt);
	if (!l.spans || !l.stacks) {
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
	if (asprintf(&side, "%s.tmp-%d-spans", db_path, (int)getpid()) < 0) {
		side = NULL;
		goto cleanup;
	}
	err = tt_db_schema_indexes_split(NULL, &other_idx);
	if (!err)
		err = db_create(&l, tmp, side, db_path);
	if (err)
		goto cleanup;
	/* from here until tt_ev_writer__finish() the events thread alone uses l.db */
	err = tt_ev_writer__start(l.events);
	if (!err)
		err = tt_span_writer__start(l.span_w);
	if (err)
		goto cleanup;

	l.start_ns = tt_now_mono_ns();
	err = load_events(&l);
	if (!err)
		err = tt_ev_writer__finish(l.events);
	if (!err)
		err = register_remaining_probes(&l);
	t1 = tt_now_mono_ns();
	if (!err)
		err = insert_tapes(&l, stats);
	if (!err)
		err = insert_catalog(&l);
	if (!err)
		err = insert_stacks(&l);
	if (!err)
		err = tt_kernel_db__finish(l.kernel, NULL);
	if (!err)
		err = tt_load_views(l.db, &l.cat, l.out);
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
		err = tt_span_writer__finish(l.span_w);
	ti[1] = tt_now_mono_ns();
	if (!err)
		err = tt_span_writer__transfer(l.span_w, l.db, l.out);
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
	span_cnt = tt_span_writer__count(l.span_w);
	loader_close_db(&l);
	err = publish(tmp, db_path, opts->force, l.out);
	if (err)
		goto cleanup;
	if (stats) {
		stats->tapes = l.src_cnt;
		stats->events = l.next_event_id - 1;
		stats->spans = span_cnt;
		stats->probes = l.cat.probe_cnt;
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
	free(side);
	tt_buf_free(&other_idx);
	return err;
}
