/* SPDX-License-Identifier: MIT */
/* Unit tests of the tape's STACKS block (schemas/tape_stacks.h) through the writer and reader. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tape_format.h"
#include "tape_reader.h"
#include "tape_stacks.h"
#include "tape_writer.h"
#include "tt_error.h"
#include "tt_test.h"

static void tmp_path(char *buf, size_t sz)
{
	snprintf(buf, sz, "/tmp/tt-tape-stacks-%d.tape", (int)getpid());
}

static void add_probe(struct tt_tape_writer *w)
{
	struct tt_probe_desc p = {.id = 0, .type = TT_PROBE_USDT, .argc = 1,
				  .kinds = {TT_KIND_U64}, .provider = "stk", .name = "leaf"};

	assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
}

/* Two stacks, three events with stacks (two sharing one), one without; the reader gives each
 * event its stack, the frames and the modules as written. */
TT_TEST(tape_stacks, events_get_their_stacks)
{
	const struct tt_stack_frame a[] = {{1, 0, 0x1190}, {1, 0, 0x11a5}, {2, 0, 0x2724a}},
				    b[] = {{1, 0, 0x1200}, {0, 0, 0x7fff12345678}};
	const uint32_t want[] = {1, 0, 2, 1};
	struct tt_tape_writer *w;
	struct tt_tape_reader *r;
	const struct tt_stack_module *m;
	const struct tt_stack_frame *f;
	const struct tt_event *ev;
	char path[64];
	uint32_t n;

	tmp_path(path, sizeof(path));
	w = tt_tape_writer__open(path, NULL);
	assert_non_null(w);
	add_probe(w);
	assert_int_equal(tt_tape_writer__add_stack_module(w, 1, "/usr/bin/app", "abcd01"), 0);
	assert_int_equal(tt_tape_writer__add_stack_module(w, 2, "", "93ac"), 0);
	assert_int_equal(tt_tape_writer__add_stack(w, 1, a, 3), 0);
	assert_int_equal(tt_tape_writer__add_stack(w, 2, b, 2), 0);
	/* bad input is refused and leaves the writer usable */
	assert_int_equal(tt_tape_writer__add_stack(w, 0, a, 3), -EINVAL);
	assert_int_equal(tt_tape_writer__add_stack(w, 3, a, 0), -EINVAL);
	for (uint32_t i = 0; i < 4; i++) {
		struct tt_event e = {.ts_ns = 1000 + i, .probe_id = 0, .pid = 7, .tid = 8 + (i & 1),
				     .argc = 1, .args = {i}, .stack_id = want[i]};

		assert_int_equal(tt_tape_writer__append(w, &e), 0);
	}
	assert_int_equal(tt_tape_writer__close(w), 0);

	r = tt_tape_reader__open(path, NULL);
	assert_non_null(r);
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(tt_tape_reader__next(r, &ev), 1);
		assert_int_equal(ev->args[0], i);
		assert_int_equal(ev->stack_id, want[i]);
	}
	assert_int_equal(tt_tape_reader__next(r, &ev), 0);
	assert_int_equal(tt_tape_reader__stack(r, 1, &f, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(f, a, sizeof(a));
	assert_int_equal(tt_tape_reader__stack(r, 2, &f, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(f, b, sizeof(b));
	assert_int_equal(tt_tape_reader__stack(r, 3, &f, &n), -ENOENT);
	m = tt_tape_reader__stack_module(r, 1);
	assert_non_null(m);
	assert_string_equal(m->path, "/usr/bin/app");
	assert_string_equal(m->build_id, "abcd01");
	m = tt_tape_reader__stack_module(r, 2);
	assert_non_null(m);
	assert_string_equal(m->path, "");
	assert_null(tt_tape_reader__stack_module(r, 0));
	assert_null(tt_tape_reader__stack_module(r, 3));
	tt_tape_reader__free(r);
	unlink(path);
}

/* A stack record naming a module never described, or an id described twice with other
 * frames, is a damaged block. */
TT_TEST(tape_stacks, malformed_records_are_corrupt)
{
	const struct tt_stack_frame a[] = {{1, 0, 16}}, b[] = {{1, 0, 32}}, c[] = {{5, 0, 16}};
	struct tt_tape_stacks *s;
	struct tt_buf blk = {0}, rec = {0};

	s = tt_tape_stacks__new();
	assert_non_null(s);
	assert_int_equal(tt_tape_stacks_put_module(&rec, 1, "/bin/x", NULL), 0);
	assert_int_equal(tt_tlv_end_record(&blk, &rec), 0);
	assert_int_equal(tt_tape_stacks_put_stack(&rec, 1, a, 1), 0);
	assert_int_equal(tt_tlv_end_record(&blk, &rec), 0);
	assert_int_equal(tt_tape_stacks__parse_block(s, blk.data, blk.len, 2), 0);
	/* the same again agrees: fine; other frames under id 1: corrupt */
	assert_int_equal(tt_tape_stacks__parse_block(s, blk.data, blk.len, 2), 0);
	blk.len = 0;
	assert_int_equal(tt_tape_stacks_put_stack(&rec, 1, b, 1), 0);
	assert_int_equal(tt_tlv_end_record(&blk, &rec), 0);
	assert_int_equal(tt_tape_stacks__parse_block(s, blk.data, blk.len, 1), -TT_E_CORRUPT);
	blk.len = 0;
	assert_int_equal(tt_tape_stacks_put_stack(&rec, 2, c, 1), 0);
	assert_int_equal(tt_tlv_end_record(&blk, &rec), 0);
	assert_int_equal(tt_tape_stacks__parse_block(s, blk.data, blk.len, 1), -TT_E_CORRUPT);
	/* a record count that disagrees */
	assert_int_equal(tt_tape_stacks__parse_block(s, blk.data, blk.len, 2), -TT_E_CORRUPT);
	/* a reference is claimed once */
	blk.len = 0;
	assert_int_equal(tt_tape_stacks_put_ref(&rec, 99, 4, 1), 0);
	assert_int_equal(tt_tlv_end_record(&blk, &rec), 0);
	assert_int_equal(tt_tape_stacks__parse_block(s, blk.data, blk.len, 1), 0);
	assert_int_equal(tt_tape_stacks__take_ref(s, 5, 99), 0);
	assert_int_equal(tt_tape_stacks__take_ref(s, 4, 99), 1);
	assert_int_equal(tt_tape_stacks__take_ref(s, 4, 99), 0);
	tt_buf_free(&blk);
	tt_buf_free(&rec);
	tt_tape_stacks__free(s);
}

/* Symbols of a module without a file (the kernel's): kept by offset whatever their order, the
 * first description of an offset wins; a symbol of an undescribed module is corrupt. */
TT_TEST(tape_stacks, module_symbols)
{
	struct tt_tape_stacks *s = tt_tape_stacks__new();
	struct tt_buf blk = {0}, rec = {0};
	const struct tt_stack_module *m;

	assert_non_null(s);
	assert_int_equal(tt_tape_stacks_put_module(&rec, 1, "[kernel]", "fa36"), 0);
	assert_int_equal(tt_tlv_end_record(&blk, &rec), 0);
	assert_int_equal(tt_tape_stacks_put_symbol(&rec, 1, 0x2000, 0x80, "do_syscall_64"), 0);
	assert_int_equal(tt_tlv_end_record(&blk, &rec), 0);
	assert_int_equal(tt_tape_stacks_put_symbol(&rec, 1, 0x100, 0, "entry_SYSCALL_64"), 0);
	assert_int_equal(tt_tlv_end_record(&blk, &rec), 0);
	assert_int_equal(tt_tape_stacks_put_symbol(&rec, 1, 0x2000, 0x10, "other"), 0);
	assert_int_equal(tt_tlv_end_record(&blk, &rec), 0);
	assert_int_equal(tt_tape_stacks_put_symbol(&rec, 0, 0x10, 0, "x"), -EINVAL);
	rec.len = 0;
	assert_int_equal(tt_tape_stacks__parse_block(s, blk.data, blk.len, 4), 0);
	m = tt_tape_stacks__module(s, 1);
	assert_non_null(m);
	assert_int_equal(m->sym_cnt, 2);
	assert_int_equal(m->syms[0].offset, 0x100);
	assert_int_equal(m->syms[0].size, 0);
	assert_string_equal(m->syms[0].name, "entry_SYSCALL_64");
	assert_int_equal(m->syms[1].offset, 0x2000);
	assert_int_equal(m->syms[1].size, 0x80);
	assert_string_equal(m->syms[1].name, "do_syscall_64");
	blk.len = 0;
	assert_int_equal(tt_tape_stacks_put_symbol(&rec, 7, 0x10, 0, "f"), 0);
	assert_int_equal(tt_tlv_end_record(&blk, &rec), 0);
	assert_int_equal(tt_tape_stacks__parse_block(s, blk.data, blk.len, 1), -TT_E_CORRUPT);
	tt_buf_free(&blk);
	tt_buf_free(&rec);
	tt_tape_stacks__free(s);
}

/* Events' stack references go with the events at the flush interval, not a block pair at every
 * tick; a stack described while no event waits is written at the next tick. */
TT_TEST(tape_stacks, references_wait_for_their_events)
{
	const struct tt_stack_frame a[] = {{1, 0, 0x1190}, {1, 0, 0x11a5}};
	struct tt_tape_writer_opts wo = {.flush_interval_ns = 1000000000ULL};
	struct tt_tape_writer *w;
	struct tt_tape_reader *r;
	const struct tt_event *ev;
	uint64_t t0 = 5000000000ULL, bytes;
	char path[64];

	tmp_path(path, sizeof(path));
	w = tt_tape_writer__open(path, &wo);
	assert_non_null(w);
	add_probe(w);
	assert_int_equal(tt_tape_writer__add_stack_module(w, 1, "/usr/bin/app", "abcd01"), 0);
	assert_int_equal(tt_tape_writer__add_stack(w, 1, a, 2), 0);
	assert_int_equal(tt_tape_writer__tick(w, t0), 0); /* descriptions and the stack, no event */
	bytes = tt_tape_writer__bytes(w);
	assert_true(bytes > TT_TAPE_FILE_HDR_SZ);
	assert_int_equal(tt_tape_writer__tick(w, t0), 0);
	assert_int_equal(tt_tape_writer__bytes(w), bytes);
	for (uint32_t i = 0; i < 100; i++) {
		struct tt_event e = {.ts_ns = t0 + i, .probe_id = 0, .pid = 7, .tid = 8, .argc = 1,
				     .args = {i}, .stack_id = 1};

		assert_int_equal(tt_tape_writer__append(w, &e), 0);
		assert_int_equal(tt_tape_writer__tick(w, t0 + i + 1), 0);
		assert_int_equal(tt_tape_writer__bytes(w), bytes);
	}
	assert_int_equal(tt_tape_writer__tick(w, t0 + 1000000000ULL), 0);
	assert_true(tt_tape_writer__bytes(w) > bytes);
	/* readable while open: the references came before their events */
	r = tt_tape_reader__open(path, NULL);
	assert_non_null(r);
	for (uint32_t i = 0; i < 100; i++) {
		assert_int_equal(tt_tape_reader__next(r, &ev), 1);
		assert_int_equal(ev->args[0], i);
		assert_int_equal(ev->stack_id, 1);
	}
	tt_tape_reader__free(r);
	assert_int_equal(tt_tape_writer__close(w), 0);
	unlink(path);
}
