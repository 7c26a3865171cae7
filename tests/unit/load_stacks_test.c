/* SPDX-License-Identifier: MIT */
/*
 * Stacks through the loader (load_stacks.h, frame_names.h, elf_syms.h) in-process: a tape whose
 * frames are offsets of a function of this very test binary is loaded, and the frames are
 * named; frames in a missing file, in a file of another build, and in no file keep their
 * offsets, unnamed; an event without a stack has none.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "elf_syms.h"
#include "loader.h"
#include "tape_writer.h"
#include "tt_test.h"
#include "tt_util.h"

void lst_marker(void);
__attribute__((noinline)) void lst_marker(void)
{
	__asm__ volatile("nop; nop; nop; nop; nop; nop; nop; nop" ::: "memory");
}

static char *rows(sqlite3 *db, const char *sql)
{
	struct tt_buf b = {0};
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *t = (const char *)sqlite3_column_text(st, c);

			assert_int_equal(tt_buf_printf(&b, "%s%s", c ? "|" : "", t ? t : "NULL"), 0);
		}
		assert_int_equal(tt_buf_append(&b, "\n", 1), 0);
	}
	sqlite3_finalize(st);
	assert_int_equal(tt_buf_append(&b, "", 1), 0);
	return (char *)b.data;
}

static void check(sqlite3 *db, const char *sql, const char *want)
{
	char *got = rows(db, sql);

	assert_string_equal(got, want);
	free(got);
}

TT_TEST(load_stacks, frames_are_named_or_keep_their_offsets)
{
	char dir[] = "/tmp/tt-load-stacks-XXXXXX", tape[64], dbp[64], exe[PATH_MAX];
	static char want[4 * PATH_MAX + 1024];
	struct tt_probe_desc p = {.id = 0, .type = TT_PROBE_USDT, .argc = 0, .provider = "app",
				  .name = "hit"};
	struct tt_out out = {.out = stderr, .err = stderr, .verbosity = TT_LVL_ERROR, .prog = "t"};
	struct tt_load_opts lo = {.out = &out};
	const char *tapes[1] = {tape};
	struct tt_elf_syms *self;
	struct tt_tape_writer *w;
	uint64_t off = tt_test_self_offset((uintptr_t)lst_marker);
	ssize_t n;
	sqlite3 *db;

	assert_non_null(mkdtemp(dir));
	snprintf(tape, sizeof(tape), "%s/s.tape", dir);
	snprintf(dbp, sizeof(dbp), "%s/s.db", dir);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	self = tt_elf_syms__open(exe);
	assert_non_null(self);
	assert_true(strlen(tt_elf_syms__build_id(self)) >= 16);

	{
		/* stack 1: the probed instruction 3 bytes into lst_marker; a return address 1 byte
		 * into it (named by the byte before); an offset of a missing file; an address in
		 * no file. Stack 2: lst_marker again, but the file's recorded build id differs. */
		const struct tt_stack_frame s1[] = {{1, 0, off + 3}, {1, 0, off + 1}, {2, 0, 0x1234},
						    {0, 0, 0x7fff0000}};
		const struct tt_stack_frame s2[] = {{3, 0, off + 3}};
		struct tt_event e = {.probe_id = 0, .pid = 5, .tid = 5};

		w = tt_tape_writer__open(tape, NULL);
		assert_non_null(w);
		assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
		assert_int_equal(tt_tape_writer__add_stack_module(w, 1, exe,
								  tt_elf_syms__build_id(self)), 0);
		assert_int_equal(tt_tape_writer__add_stack_module(w, 2, "/nonexistent/lib.so", "ab"), 0);
		assert_int_equal(tt_tape_writer__add_stack_module(w, 3, exe, "00112233"), 0);
		assert_int_equal(tt_tape_writer__add_stack(w, 1, s1, 4), 0);
		assert_int_equal(tt_tape_writer__add_stack(w, 2, s2, 1), 0);
		for (uint32_t i = 0; i < 4; i++) {
			e.ts_ns = 100 + i;
			e.stack_id = i == 3 ? 0 : i == 2 ? 2 : 1;
			assert_int_equal(tt_tape_writer__append(w, &e), 0);
		}
		assert_int_equal(tt_tape_writer__close(w), 0);
	}
	assert_int_equal(tt_load(dbp, tapes, 1, &lo, NULL), 0);
	assert_int_equal(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	check(db, "SELECT e.ts, s.stack_id FROM events e LEFT JOIN event_stacks s ON s.event_id = e.id "
		  "ORDER BY e.ts", "100|1\n101|1\n102|2\n103|NULL\n");
	snprintf(want, sizeof(want),
		 "1|0|%s|%s|%llu|lst_marker|3\n"
		 "1|1|%s|%s|%llu|lst_marker|1\n"
		 "1|2|/nonexistent/lib.so|ab|4660|NULL|NULL\n"
		 "1|3|NULL|NULL|2147418112|NULL|NULL\n"
		 "2|0|%s|00112233|%llu|NULL|NULL\n",
		 exe, tt_elf_syms__build_id(self), (unsigned long long)off + 3, exe,
		 tt_elf_syms__build_id(self), (unsigned long long)off + 1, exe,
		 (unsigned long long)off + 3);
	check(db, "SELECT stack_id, depth, module, build_id, offset, symbol, sym_offset FROM frames "
		  "ORDER BY stack_id, depth", want);
	snprintf(want, sizeof(want), "1|1|4|0x7fff0000;0x1234;lst_marker;lst_marker\n2|1|1|0x%llx\n",
		 (unsigned long long)off + 3);
	check(db, "SELECT id, tape, depth, folded FROM stacks ORDER BY id", want);
	sqlite3_close(db);
	tt_elf_syms__free(self);
	unlink(tape);
	unlink(dbp);
	rmdir(dir);
}
