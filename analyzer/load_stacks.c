/* SPDX-License-Identifier: MIT */
/*
 * Call stacks into the database (load_stacks.h): the (tape, stack) pairs the events use get
 * database ids in order of first use, each stack's frames are symbolized through a cache of
 * the files' symbols and DWARF line tables (frame_names.h), and the rows go in with prepared
 * statements.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_schema.h"
#include "frame_names.h"
#include "load_stacks.h"
#include "tt_error.h"
#include "tt_util.h"

#define TT_STACK_LABELS 256 /* frames of a stack (the tape's TT_STACK_FRAMES_MAX) */

struct use {
	uint64_t event_id;
	uint32_t tape, stack_id;
};

struct tt_stack_loader {
	struct use *uses;
	size_t cnt, cap;
	const char *const *debug_dirs;
	size_t dir_cnt;
};

struct tt_stack_loader *tt_stack_loader__new(const char *const *debug_dirs, size_t dir_cnt)
{
	struct tt_stack_loader *sl = calloc(1, sizeof(*sl));

	if (sl) {
		sl->debug_dirs = debug_dirs;
		sl->dir_cnt = dir_cnt;
	}
	return sl;
}

void tt_stack_loader__free(struct tt_stack_loader *sl)
{
	if (!sl)
		return;
	free(sl->uses);
	free(sl);
}

int tt_stack_loader__event(struct tt_stack_loader *sl, uint32_t tape, uint64_t event_id,
			   uint32_t stack_id)
{
	int err = tt_grow((void **)&sl->uses, &sl->cap, sl->cnt + 1, sizeof(*sl->uses));

	if (err)
		return err;
	sl->uses[sl->cnt++] = (struct use){event_id, tape, stack_id};
	return 0;
}

struct stmts {
	sqlite3_stmt *stack, *frame, *ev;
};

/* Insert stack gid (tape's stack id) with its frames. */
static int insert_stack(sqlite3 *db, struct stmts *st, int64_t gid, uint32_t tape,
			struct tt_tape_reader *r, uint32_t id, struct tt_frame_names *names,
			const struct tt_out *out)
{
	const struct tt_stack_frame *fr;
	struct tt_buf folded = {0};
	char *labels[TT_STACK_LABELS] = {0};
	uint32_t n;
	int err = 0;

	if (tt_tape_reader__stack(r, id, &fr, &n))
		return 0; /* its description was lost with a damaged block: no row */
	if (n > TT_STACK_LABELS)
		n = TT_STACK_LABELS;
	for (uint32_t d = 0; d < n && !err; d++) {
		const struct tt_stack_module *m = tt_tape_reader__stack_module(r, fr[d].module);
		uint64_t sym_off = 0;
		char *dm = tt_frame_names__name(names, m, fr[d].offset, d, &sym_off);
		const char *file;
		int line;

		sqlite3_bind_int64(st->frame, 1, gid);
		sqlite3_bind_int64(st->frame, 2, d);
		if (m && m->path[0])
			sqlite3_bind_text(st->frame, 3, m->path, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st->frame, 3);
		if (m) {
			if (m->build_id)
				sqlite3_bind_text(st->frame, 4, m->build_id, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st->frame, 4);
		} else {
			sqlite3_bind_null(st->frame, 4);
		}
		sqlite3_bind_int64(st->frame, 5, (int64_t)fr[d].offset);
		if (dm) {
			sqlite3_bind_text(st->frame, 6, dm, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st->frame, 7, (int64_t)sym_off);
		} else {
			sqlite3_bind_null(st->frame, 6);
			sqlite3_bind_null(st->frame, 7);
		}
		if (!tt_frame_names__line(names, m, fr[d].offset, d, &file, &line)) {
			sqlite3_bind_text(st->frame, 8, file, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st->frame, 9, line);
		} else {
			sqlite3_bind_null(st->frame, 8);
			sqlite3_bind_null(st->frame, 9);
		}
		err = tt_db_step_done(db, st->frame, "cannot insert a frame", out);
		if (!dm && asprintf(&dm, "0x%llx", (unsigned long long)fr[d].offset) < 0)
			dm = NULL;
		labels[d] = dm;
		if (!dm && !err)
			err = -ENOMEM;
	}
	/* folded: outermost frame first, ';'-separated (the flame-graph convention) */
	for (uint32_t d = n; !err && d-- > 0;)
		err = tt_buf_printf(&folded, "%s%s", d + 1 < n ? ";" : "", labels[d]);
	if (!err) {
		sqlite3_bind_int64(st->stack, 1, gid);
		sqlite3_bind_int64(st->stack, 2, tape);
		sqlite3_bind_int64(st->stack, 3, n);
		sqlite3_bind_text(st->stack, 4, (const char *)folded.data, (int)folded.len,
				  SQLITE_STATIC);
		err = tt_db_step_done(db, st->stack, "cannot insert a stack", out);
	}
	for (uint32_t d = 0; d < n; d++)
		free(labels[d]);
	tt_buf_free(&folded);
	return err;
}

static int use_cmp(const void *a, const void *b)
{
	const struct use *x = a, *y = b;

	if (x->tape != y->tape)
		return x->tape < y->tape ? -1 : 1;
	if (x->stack_id != y->stack_id)
		return x->stack_id < y->stack_id ? -1 : 1;
	return x->event_id < y->event_id ? -1 : x->event_id > y->event_id;
}

int tt_stack_loader__insert(struct tt_stack_loader *sl, sqlite3 *db,
			    struct tt_tape_reader *const *readers, size_t reader_cnt,
			    const struct tt_out *out)
{
	struct stmts st = {0};
	struct tt_frame_names *names;
	int64_t gid = 0;
	int err;

	if (!sl->cnt)
		return 0;
	names = tt_frame_names__new(sl->debug_dirs, sl->dir_cnt, out);
	if (!names)
		return -ENOMEM;
	qsort(sl->uses, sl->cnt, sizeof(*sl->uses), use_cmp);
	err = tt_db_prepare(db, "INSERT INTO stacks (id, tape, depth, folded) VALUES (?, ?, ?, ?)",
			    1, &st.stack, out);
	if (!err)
		err = tt_db_prepare(db, "INSERT INTO frames (stack_id, depth, module, build_id, "
				    "offset, symbol, sym_offset, file, line) "
				    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", 1,
				    &st.frame, out);
	if (!err)
		err = tt_db_prepare(db, "INSERT INTO event_stacks (event_id, stack_id) VALUES (?, ?)",
				    1, &st.ev, out);
	for (size_t i = 0; !err && i < sl->cnt; i++) {
		const struct use *u = &sl->uses[i];

		if (!u->tape || u->tape > reader_cnt)
			continue;
		if (i == 0 || u->tape != sl->uses[i - 1].tape ||
		    u->stack_id != sl->uses[i - 1].stack_id) {
			gid++;
			err = insert_stack(db, &st, gid, u->tape, readers[u->tape - 1], u->stack_id,
					   names, out);
			if (err)
				break;
		}
		sqlite3_reset(st.ev);
		sqlite3_bind_int64(st.ev, 1, (int64_t)u->event_id);
		sqlite3_bind_int64(st.ev, 2, gid);
		err = tt_db_step_done(db, st.ev, "cannot insert an event's stack", out);
	}
	tt_frame_names__free(names);
	sqlite3_finalize(st.stack);
	sqlite3_finalize(st.frame);
	sqlite3_finalize(st.ev);
	return err;
}
