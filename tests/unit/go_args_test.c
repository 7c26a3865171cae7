/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/go_args: Go parameters and results as the Go binary analysis locates
 * them, made up here, turned into a probe's kinds, column names and masks and its site's BPF
 * argument specs: scalars in registers and on the stack, strings (pointer and length), slices
 * word by word, code addresses recorded as function names, values that cannot be read, and the
 * limit of TT_MAX_ARGS words.
 */
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h" /* tt_reg_pt_regs_off() */
#include "go_args.h"
#include "tt_test.h"
#include "tt_util.h"

static struct tt_go_piece reg_piece(uint8_t kind, uint8_t size, uint8_t reg, const char *name)
{
	return (struct tt_go_piece){.name = (char *)name, .tt_kind = kind, .size = size,
				    .loc = TT_LOC_REG, .reg = reg, .xreg = -1};
}

static struct tt_go_piece stack_piece(uint8_t kind, uint8_t size, int32_t disp, const char *name)
{
	return (struct tt_go_piece){.name = (char *)name, .tt_kind = kind, .size = size,
				    .loc = TT_LOC_MEM, .reg = TT_REG_RSP, .disp = disp, .xreg = -1};
}

static void probe_clear(struct tt_probe_set_probe *p)
{
	for (int i = 0; i < TT_MAX_ARGS; i++)
		free((char *)p->d.arg_names[i]);
	memset(p, 0, sizeof(*p));
}

/* Messages written through a tt_out, for the checks on what is reported. */
struct msgs {
	char *buf;
	size_t len;
	FILE *f;
	struct tt_out out;
};

static void msgs_open(struct msgs *m)
{
	memset(m, 0, sizeof(*m));
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
	m->out = (struct tt_out){.out = m->f, .err = m->f, .verbosity = TT_LVL_DEBUG, .prog = "t"};
}

static const char *msgs_text(struct msgs *m)
{
	fflush(m->f);
	return m->buf;
}

static void msgs_close(struct msgs *m)
{
	fclose(m->f);
	free(m->buf);
}

TT_TEST(go_args, scalars_strings_and_slices)
{
	struct tt_go_param params[] = {
		{.name = "n", .type_name = "int", .go_kind = TT_GO_KIND_INT, .avail = 1, .piece_cnt = 1,
		 .pieces = {reg_piece(TT_KIND_S64, 8, TT_REG_RAX, NULL)}},
		{.name = "s", .type_name = "string", .go_kind = TT_GO_KIND_STRING, .avail = 1,
		 .piece_cnt = 2,
		 .pieces = {reg_piece(TT_KIND_PTR, 8, TT_REG_RBX, "str"),
			    reg_piece(TT_KIND_S64, 8, TT_REG_RCX, "len")}},
		{.name = "b", .type_name = "[]uint8", .go_kind = TT_GO_KIND_SLICE, .avail = 1,
		 .piece_cnt = 3,
		 .pieces = {reg_piece(TT_KIND_PTR, 8, TT_REG_RDI, "array"),
			    reg_piece(TT_KIND_S64, 8, TT_REG_RSI, "len"),
			    reg_piece(TT_KIND_S64, 8, TT_REG_R8, "cap")}},
		{.name = "big", .type_name = "uint32", .go_kind = TT_GO_KIND_UINT, .avail = 1,
		 .on_stack = 1, .stack_off = 16, .piece_cnt = 1,
		 .pieces = {stack_piece(TT_KIND_U32, 4, 16, NULL)}},
		{.name = "t", .type_name = "string", .go_kind = TT_GO_KIND_STRING, .avail = 1,
		 .on_stack = 1, .stack_off = 24, .piece_cnt = 2,
		 .pieces = {stack_piece(TT_KIND_PTR, 8, 24, "str"),
			    stack_piece(TT_KIND_S64, 8, 32, "len")}},
	};
	struct tt_probe_set_probe p = {0};
	struct tt_bpf_site site = {.probe_id = 3};
	const struct tt_bpf_arg *a = site.args;
	struct msgs m;

	msgs_open(&m);
	tt_go_args_build(&m.out, "main.f", params, TT_ARRAY_SIZE(params), &p, &site);
	assert_int_equal(site.argc, 7);
	assert_int_equal(p.d.argc, 7);
	/* n: a signed register */
	assert_int_equal(p.d.kinds[0], TT_KIND_S64);
	assert_string_equal(p.d.arg_names[0], "n");
	assert_int_equal(a[0].loc, TT_BPF_LOC_REG);
	assert_int_equal(a[0].base_off, tt_reg_pt_regs_off(TT_REG_RAX));
	assert_int_equal(a[0].size, 8);
	assert_int_equal(a[0].flags, TT_BPF_ARG_SIGNED);
	/* s: its bytes, the length in another register */
	assert_int_equal(p.d.kinds[1], TT_KIND_BYTES);
	assert_string_equal(p.d.arg_names[1], "s");
	assert_int_equal(a[1].loc, TT_BPF_LOC_REG);
	assert_int_equal(a[1].base_off, tt_reg_pt_regs_off(TT_REG_RBX));
	assert_int_equal(a[1].flags, TT_BPF_ARG_BYTES);
	assert_int_equal(a[1].len_loc, TT_BPF_LOC_REG);
	assert_int_equal(a[1].len_off, tt_reg_pt_regs_off(TT_REG_RCX));
	assert_int_equal(a[1].len_disp, 0);
	/* b: one argument per word */
	assert_string_equal(p.d.arg_names[2], "b_array");
	assert_string_equal(p.d.arg_names[3], "b_len");
	assert_string_equal(p.d.arg_names[4], "b_cap");
	assert_int_equal(p.d.kinds[2], TT_KIND_PTR);
	assert_int_equal(a[4].base_off, tt_reg_pt_regs_off(TT_REG_R8));
	assert_int_equal(a[4].flags, TT_BPF_ARG_SIGNED);
	/* big: on the stack, above the return address */
	assert_int_equal(p.d.kinds[5], TT_KIND_U32);
	assert_int_equal(a[5].loc, TT_BPF_LOC_MEM);
	assert_int_equal(a[5].flags, TT_BPF_ARG_BASE);
	assert_int_equal(a[5].base_off, tt_reg_pt_regs_off(TT_REG_RSP));
	assert_int_equal(a[5].disp, 16);
	assert_int_equal(a[5].size, 4);
	/* t: a string on the stack, its length too */
	assert_int_equal(a[6].loc, TT_BPF_LOC_MEM);
	assert_int_equal(a[6].flags, TT_BPF_ARG_BYTES | TT_BPF_ARG_BASE);
	assert_int_equal(a[6].disp, 24);
	assert_int_equal(a[6].len_loc, TT_BPF_LOC_MEM);
	assert_int_equal(a[6].len_off, tt_reg_pt_regs_off(TT_REG_RSP));
	assert_int_equal(a[6].len_disp, 32);
	assert_int_equal(p.str_mask, 1u << 1 | 1u << 6);
	assert_int_equal(p.sym_mask, 0);
	assert_int_equal(site.flags, TT_BPF_SITE_STRS);
	assert_int_equal(site.probe_id, 3);
	assert_null(strstr(msgs_text(&m), "not recorded"));
	msgs_close(&m);
	probe_clear(&p);
}

TT_TEST(go_args, code_addresses_become_function_names)
{
	struct tt_go_param params[] = {
		{.name = "fn", .type_name = "*runtime.funcval", .go_kind = TT_GO_KIND_PTR, .avail = 1,
		 .piece_cnt = 1, .pieces = {reg_piece(TT_KIND_PTR, 8, TT_REG_RAX, NULL)}},
		{.name = "callerpc", .type_name = "uintptr", .go_kind = TT_GO_KIND_UINTPTR, .avail = 1,
		 .piece_cnt = 1, .pieces = {reg_piece(TT_KIND_U64, 8, TT_REG_RCX, NULL)}},
		/* a uintptr not named like a pc is a number */
		{.name = "size", .type_name = "uintptr", .go_kind = TT_GO_KIND_UINTPTR, .avail = 1,
		 .piece_cnt = 1, .pieces = {reg_piece(TT_KIND_U64, 8, TT_REG_RDI, NULL)}},
	};
	struct tt_probe_set_probe p = {0};
	struct tt_bpf_site site = {0};

	tt_go_args_build(NULL, "runtime.newproc1", params, TT_ARRAY_SIZE(params), &p, &site);
	assert_int_equal(site.argc, 3);
	/* *runtime.funcval: the entry of the code is its first word */
	assert_int_equal(p.d.kinds[0], TT_KIND_STR);
	assert_int_equal(site.args[0].loc, TT_BPF_LOC_MEM);
	assert_int_equal(site.args[0].flags, TT_BPF_ARG_BASE);
	assert_int_equal(site.args[0].base_off, tt_reg_pt_regs_off(TT_REG_RAX));
	assert_int_equal(site.args[0].disp, 0);
	assert_int_equal(site.args[0].size, 8);
	/* a pc: the register itself */
	assert_int_equal(p.d.kinds[1], TT_KIND_STR);
	assert_int_equal(site.args[1].loc, TT_BPF_LOC_REG);
	assert_int_equal(site.args[1].base_off, tt_reg_pt_regs_off(TT_REG_RCX));
	assert_int_equal(p.d.kinds[2], TT_KIND_U64);
	assert_int_equal(p.sym_mask, 0x3);
	assert_int_equal(p.str_mask, 0x3);
	assert_int_equal(site.flags, 0); /* names are made in user space, not read in BPF */
	assert_string_equal(p.d.arg_names[0], "fn");
	assert_string_equal(p.d.arg_names[1], "callerpc");
	probe_clear(&p);
}

TT_TEST(go_args, unreadable_values_are_left_out_and_said)
{
	struct tt_go_param params[] = {
		{.name = "f", .type_name = "float64", .go_kind = TT_GO_KIND_FLOAT,
		 .unavail = TT_GO_UNAVAIL_FLOAT_REG},
		{.name = "~r0", .type_name = "int", .go_kind = TT_GO_KIND_INT, .avail = 1,
		 .piece_cnt = 1, .pieces = {reg_piece(TT_KIND_S64, 8, TT_REG_RAX, NULL)}},
		{.name = "p", .type_name = "main.Point", .go_kind = TT_GO_KIND_STRUCT, .avail = 1,
		 .piece_cnt = 0},
		{.name = ".dict", .type_name = "uintptr", .go_kind = TT_GO_KIND_UINTPTR,
		 .unavail = TT_GO_UNAVAIL_SIGNATURE},
	};
	struct tt_probe_set_probe p = {0};
	struct tt_bpf_site site = {0};
	struct msgs m;
	const char *text;

	msgs_open(&m);
	tt_go_args_build(&m.out, "main.g", params, TT_ARRAY_SIZE(params), &p, &site);
	assert_int_equal(site.argc, 1);
	assert_string_equal(p.d.arg_names[0], "r0"); /* "~r0": a result without a name */
	text = msgs_text(&m);
	assert_non_null(strstr(text, "main.g: f float64 is not recorded (in an SSE register)"));
	assert_non_null(strstr(text, "main.g: p main.Point is not recorded (too composite)"));
	assert_non_null(strstr(text, "main.g: .dict uintptr is not recorded (DWARF and the frame "
				     "disagree)"));
	msgs_close(&m);
	probe_clear(&p);
}

TT_TEST(go_args, words_past_the_limit_are_cut)
{
	struct tt_go_param params[TT_MAX_ARGS / 3 + 2];
	struct tt_probe_set_probe p = {0};
	struct tt_bpf_site site = {0};
	char names[TT_ARRAY_SIZE(params)][8];
	struct msgs m;

	for (size_t i = 0; i < TT_ARRAY_SIZE(params); i++) {
		snprintf(names[i], sizeof(names[i]), "s%zu", i);
		params[i] = (struct tt_go_param){
			.name = names[i], .type_name = "[]int", .go_kind = TT_GO_KIND_SLICE, .avail = 1,
			.piece_cnt = 3,
			.pieces = {stack_piece(TT_KIND_PTR, 8, 8, "array"),
				   stack_piece(TT_KIND_S64, 8, 16, "len"),
				   stack_piece(TT_KIND_S64, 8, 24, "cap")},
		};
	}
	msgs_open(&m);
	tt_go_args_build(&m.out, "main.h", params, TT_ARRAY_SIZE(params), &p, &site);
	assert_int_equal(site.argc, TT_MAX_ARGS / 3 * 3);
	assert_int_equal(p.d.argc, site.argc);
	assert_non_null(strstr(msgs_text(&m), "main.h: only the first 12 argument words are recorded"));
	assert_string_equal(p.d.arg_names[TT_MAX_ARGS - 1], "s3_cap");
	msgs_close(&m);
	probe_clear(&p);
}
