/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/usdt_args: the argument spec parser (every operand form found in real
 * binaries, and malformed specs), the kinds bare specs imply, and column names.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"
#include "usdt_args.h"

/* ---- argument specs ---- */

struct spec_case {
	const char *spec;
	uint8_t size, is_signed, is_float, loc, base, index, scale, shift;
	int64_t value;
	const char *sym;
};

TT_TEST(usdt_args, parse_every_operand_form)
{
	static const struct spec_case cases[] = {
		{"-4@%edi", 4, 1, 0, TT_LOC_REG, TT_REG_RDI, 0, 1, 0, 0, NULL},
		{"8@%rax", 8, 0, 0, TT_LOC_REG, TT_REG_RAX, 0, 1, 0, 0, NULL},
		{"2@%ax", 2, 0, 0, TT_LOC_REG, TT_REG_RAX, 0, 1, 0, 0, NULL},
		{"1@%al", 1, 0, 0, TT_LOC_REG, TT_REG_RAX, 0, 1, 0, 0, NULL},
		{"1@%ah", 1, 0, 0, TT_LOC_REG, TT_REG_RAX, 0, 1, 8, 0, NULL},
		{"-1@%dh", 1, 1, 0, TT_LOC_REG, TT_REG_RDX, 0, 1, 8, 0, NULL},
		{"8@%r8", 8, 0, 0, TT_LOC_REG, TT_REG_R8, 0, 1, 0, 0, NULL},
		{"-4@%r8d", 4, 1, 0, TT_LOC_REG, TT_REG_R8, 0, 1, 0, 0, NULL},
		{"2@%r8w", 2, 0, 0, TT_LOC_REG, TT_REG_R8, 0, 1, 0, 0, NULL},
		{"1@%r8b", 1, 0, 0, TT_LOC_REG, TT_REG_R8, 0, 1, 0, 0, NULL},
		{"-4@%r13d", 4, 1, 0, TT_LOC_REG, TT_REG_R13, 0, 1, 0, 0, NULL},
		{"1@%r15b", 1, 0, 0, TT_LOC_REG, TT_REG_R15, 0, 1, 0, 0, NULL},
		{"8@%rsi", 8, 0, 0, TT_LOC_REG, TT_REG_RSI, 0, 1, 0, 0, NULL},
		{"-4@%esi", 4, 1, 0, TT_LOC_REG, TT_REG_RSI, 0, 1, 0, 0, NULL},
		{"2@%si", 2, 0, 0, TT_LOC_REG, TT_REG_RSI, 0, 1, 0, 0, NULL},
		{"1@%sil", 1, 0, 0, TT_LOC_REG, TT_REG_RSI, 0, 1, 0, 0, NULL},
		{"1@%dil", 1, 0, 0, TT_LOC_REG, TT_REG_RDI, 0, 1, 0, 0, NULL},
		{"8@%rbp", 8, 0, 0, TT_LOC_REG, TT_REG_RBP, 0, 1, 0, 0, NULL},
		{"1@%bpl", 1, 0, 0, TT_LOC_REG, TT_REG_RBP, 0, 1, 0, 0, NULL},
		{"8@%rsp", 8, 0, 0, TT_LOC_REG, TT_REG_RSP, 0, 1, 0, 0, NULL},
		{"8f@%rax", 8, 0, 1, TT_LOC_REG, TT_REG_RAX, 0, 1, 0, 0, NULL},
		{"4f@%edx", 4, 0, 1, TT_LOC_REG, TT_REG_RDX, 0, 1, 0, 0, NULL},
		{"-4@$5", 4, 1, 0, TT_LOC_CONST, 0, 0, 1, 0, 5, NULL},
		{"-4@$-1", 4, 1, 0, TT_LOC_CONST, 0, 0, 1, 0, -1, NULL},
		{"-8@$-9223372036854775808", 8, 1, 0, TT_LOC_CONST, 0, 0, 1, 0, INT64_MIN, NULL},
		{"8@$18446744073709551615", 8, 0, 0, TT_LOC_CONST, 0, 0, 1, 0, -1, NULL},
		{"8@$0x10", 8, 0, 0, TT_LOC_CONST, 0, 0, 1, 0, 16, NULL},
		{"8@$0", 8, 0, 0, TT_LOC_CONST, 0, 0, 1, 0, 0, NULL},
		{"-4@-4(%rbp)", 4, 1, 0, TT_LOC_MEM, TT_REG_RBP, 0, 1, 0, -4, NULL},
		{"-8@-8(%rsp)", 8, 1, 0, TT_LOC_MEM, TT_REG_RSP, 0, 1, 0, -8, NULL},
		{"8@16(%rsp)", 8, 0, 0, TT_LOC_MEM, TT_REG_RSP, 0, 1, 0, 16, NULL},
		{"4@0x3c(%rax)", 4, 0, 0, TT_LOC_MEM, TT_REG_RAX, 0, 1, 0, 60, NULL},
		{"4@(%r12)", 4, 0, 0, TT_LOC_MEM, TT_REG_R12, 0, 1, 0, 0, NULL},
		{"-8@(%rdi,%rsi,8)", 8, 1, 0, TT_LOC_MEM, TT_REG_RDI, TT_REG_RSI, 8, 0, 0, NULL},
		{"4@12(%rbx,%rcx,4)", 4, 0, 0, TT_LOC_MEM, TT_REG_RBX, TT_REG_RCX, 4, 0, 12, NULL},
		{"4@-12(%rbx,%r9)", 4, 0, 0, TT_LOC_MEM, TT_REG_RBX, TT_REG_R9, 1, 0, -12, NULL},
		{"8@(,%rax,8)", 8, 0, 0, TT_LOC_MEM, 0, TT_REG_RAX, 8, 0, 0, NULL},
		{"8@16(,%rax,2)", 8, 0, 0, TT_LOC_MEM, 0, TT_REG_RAX, 2, 0, 16, NULL},
		{"-4@NBuffers(%rip)", 4, 1, 0, TT_LOC_RIP_SYM, TT_REG_RIP, 0, 1, 0, 0, "NBuffers"},
		{"-4@CheckpointStats+40(%rip)", 4, 1, 0, TT_LOC_RIP_SYM, TT_REG_RIP, 0, 1, 0, 40,
		 "CheckpointStats"},
		{"-4@40+CheckpointStats(%rip)", 4, 1, 0, TT_LOC_RIP_SYM, TT_REG_RIP, 0, 1, 0, 40,
		 "CheckpointStats"},
		{"8@table-8(%rip)", 8, 0, 0, TT_LOC_RIP_SYM, TT_REG_RIP, 0, 1, 0, -8, "table"},
		{"8@_ZN3foo3barE.lto_priv.0(%rip)", 8, 0, 0, TT_LOC_RIP_SYM, TT_REG_RIP, 0, 1, 0, 0,
		 "_ZN3foo3barE.lto_priv.0"},
		{"8@gd(%rip)", 8, 0, 0, TT_LOC_RIP_SYM, TT_REG_RIP, 0, 1, 0, 0, "gd"},
		{"8@16(%rip)", 8, 0, 0, TT_LOC_MEM, TT_REG_RIP, 0, 1, 0, 16, NULL},
		{"8@counter(,%rax,8)", 8, 0, 0, TT_LOC_MEM, 0, TT_REG_RAX, 8, 0, 0, "counter"},
		{"4@counter", 4, 0, 0, TT_LOC_MEM, 0, 0, 1, 0, 0, "counter"},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		const struct spec_case *c = &cases[i];
		struct tt_usdt_arg args[TT_MAX_ARGS];
		char msg[200] = "";
		uint8_t argc = 99;
		int err = tt_usdt_parse_args(c->spec, args, &argc, msg, sizeof(msg));

		if (err)
			fail_msg("'%s': %s", c->spec, msg);
		assert_int_equal(argc, 1);
		assert_int_equal(args[0].size, c->size);
		assert_int_equal(args[0].is_signed, c->is_signed);
		assert_int_equal(args[0].is_float, c->is_float);
		assert_int_equal(args[0].loc, c->loc);
		assert_int_equal(args[0].base, c->base);
		assert_int_equal(args[0].index, c->index);
		assert_int_equal(args[0].scale, c->scale);
		assert_int_equal(args[0].reg_shift, c->shift);
		assert_true(args[0].value == c->value);
		if (c->sym)
			assert_string_equal(args[0].sym, c->sym);
		else
			assert_null(args[0].sym);
		assert_true(args[0].sym_vaddr == 0);
		tt_usdt_args_free(args, argc);
	}
}

/* Thread-local operands (%fs:) and symbols' addresses as immediates ($sym, non-PIC code). */
TT_TEST(usdt_args, parse_tls_and_symbol_addresses)
{
	static const struct {
		const char *spec;
		uint8_t loc, base, fs, tpoff;
		int64_t value;
		const char *sym;
	} cases[] = {
		{"-4@%fs:tls_counter@tpoff", TT_LOC_MEM, 0, 1, 1, 0, "tls_counter"},
		{"-8@%fs:tls_arr@tpoff+16", TT_LOC_MEM, 0, 1, 1, 16, "tls_arr"},
		{"4@%fs:(%rdi)", TT_LOC_MEM, TT_REG_RDI, 1, 0, 0, NULL},
		{"8@%fs:8(%rax)", TT_LOC_MEM, TT_REG_RAX, 1, 0, 8, NULL},
		{"8@%fs:0x28", TT_LOC_MEM, 0, 1, 0, 0x28, NULL},
		{"8@%fs:0", TT_LOC_MEM, 0, 1, 0, 0, NULL},
		{"8@$counter", TT_LOC_SYM_ADDR, 0, 0, 0, 0, "counter"},
		{"8@$3+buf", TT_LOC_SYM_ADDR, 0, 0, 0, 3, "buf"},
		{"8@$buf+3", TT_LOC_SYM_ADDR, 0, 0, 0, 3, "buf"},
		{"8@$.LC1", TT_LOC_SYM_ADDR, 0, 0, 0, 0, ".LC1"},
		{"8@$+3", TT_LOC_CONST, 0, 0, 0, 3, NULL},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		struct tt_usdt_arg args[TT_MAX_ARGS];
		char msg[200] = "";
		uint8_t argc = 0;

		if (tt_usdt_parse_args(cases[i].spec, args, &argc, msg, sizeof(msg)))
			fail_msg("'%s': %s", cases[i].spec, msg);
		assert_int_equal(argc, 1);
		assert_int_equal(args[0].loc, cases[i].loc);
		assert_int_equal(args[0].base, cases[i].base);
		assert_int_equal(args[0].fs, cases[i].fs);
		assert_int_equal(args[0].tpoff, cases[i].tpoff);
		assert_true(args[0].value == cases[i].value);
		if (cases[i].sym)
			assert_string_equal(args[0].sym, cases[i].sym);
		else
			assert_null(args[0].sym);
		tt_usdt_args_free(args, argc);
	}
}

TT_TEST(usdt_args, parse_lists_of_arguments)
{
	struct tt_usdt_arg args[TT_MAX_ARGS];
	char msg[200];
	uint8_t argc;

	assert_int_equal(tt_usdt_parse_args("", args, &argc, msg, sizeof(msg)), 0);
	assert_int_equal(argc, 0);
	assert_int_equal(tt_usdt_parse_args("   ", args, &argc, msg, sizeof(msg)), 0);
	assert_int_equal(argc, 0);
	/* PHP's function__entry, with doubled blanks tolerated. */
	assert_int_equal(tt_usdt_parse_args("8@%rax 8@%r14  -4@%r13d 8@(%rsp) 8@16(%rsp)", args, &argc,
					    msg, sizeof(msg)), 0);
	assert_int_equal(argc, 5);
	assert_int_equal(args[2].base, TT_REG_R13);
	assert_int_equal(args[4].value, 16);
	tt_usdt_args_free(args, argc);
	/* Twelve is the limit. */
	assert_int_equal(tt_usdt_parse_args("1@$1 1@$2 1@$3 1@$4 1@$5 1@$6 1@$7 1@$8 1@$9 1@$10 1@$11 1@$12",
					    args, &argc, msg, sizeof(msg)), 0);
	assert_int_equal(argc, 12);
	assert_int_equal(args[11].value, 12);
	assert_int_equal(tt_usdt_parse_args("1@$1 1@$2 1@$3 1@$4 1@$5 1@$6 1@$7 1@$8 1@$9 1@$10 1@$11 1@$12 1@$13",
					    args, &argc, msg, sizeof(msg)), -TT_E_BAD_SPEC);
	assert_int_equal(argc, 0);
	assert_string_equal(msg, "more than 12 arguments");
}

TT_TEST(usdt_args, parse_rejects_malformed_specs)
{
	static const struct {
		const char *spec, *msg;
	} cases[] = {
		{"4", "argument 1 '4': expected '@' after the size"},
		{"@%eax", "argument 1 '@%eax': size is not 1, 2, 4 or 8"},
		{"3@%eax", "argument 1 '3@%eax': size is not 1, 2, 4 or 8"},
		{"16@%rax", "argument 1 '16@%rax': size is not 1, 2, 4 or 8"},
		{"-4@", "argument 1 '-4@': empty operand"},
		{"2f@%ax", "argument 1 '2f@%ax': a float must have size 4 or 8"},
		{"8@%rzz", "argument 1 '8@%rzz': unknown register '%rzz'"},
		{"8@%xmm0", "argument 1 '8@%xmm0': floating-point register '%xmm0' is not supported"},
		{"8@%rip", "argument 1 '8@%rip': %rip is not a value"},
		{"-4@%edi 8@$0x", "argument 2 '8@$0x': bad immediate '$0x'"},
		{"8@$x@tpoff", "argument 1 '8@$x@tpoff': unsupported relocation '@tpoff'"},
		{"8@$x+y", "argument 1 '8@$x+y': more than one symbol in displacement"},
		{"8@%gs:0x28", "argument 1 '8@%gs:0x28': segment '%gs' is not supported (only %fs)"},
		{"-4@v@tpoff(%rax)", "argument 1 '-4@v@tpoff(%rax)': '@tpoff' outside a %fs: operand"},
		{"-4@%fs:v@plt", "argument 1 '-4@%fs:v@plt': unsupported relocation '@plt'"},
		{"8@%fs:x(%rip)", "argument 1 '8@%fs:x(%rip)': %rip cannot be used with %fs:"},
		{"8@$-99999999999999999999", "argument 1 '8@$-99999999999999999999': bad immediate '$-99999999999999999999'"},
		{"8@(%rax", "argument 1 '8@(%rax': expected ')' at the end of the operand"},
		{"8@8(%eax)", "argument 1 '8@8(%eax)': base register '%eax' is not a 64-bit register"},
		{"8@(%rax,%rsp,2)", "argument 1 '8@(%rax,%rsp,2)': '%rsp' cannot be an index register"},
		{"8@(%rax,%rbx,3)", "argument 1 '8@(%rax,%rbx,3)': scale '3' is not 1, 2, 4 or 8"},
		{"8@(%rax,%rbx,2,1)", "argument 1 '8@(%rax,%rbx,2,1)': too many ',' in memory operand"},
		{"8@(%rax,)", "argument 1 '8@(%rax,)': missing index register"},
		{"8@()", "argument 1 '8@()': memory operand without a register"},
		{"8@a+b(%rip)", "argument 1 '8@a+b(%rip)': more than one symbol in displacement"},
		{"8@8-sym(%rip)", "argument 1 '8@8-sym(%rip)': a symbol cannot be subtracted"},
		{"8@sym*2(%rip)", "argument 1 '8@sym*2(%rip)': expected '+' or '-' in displacement"},
		{"8@sym(%rip,%rax,1)", "argument 1 '8@sym(%rip,%rax,1)': %rip cannot have an index register"},
		{"8@sym(%rax", "argument 1 '8@sym(%rax': expected ')' at the end of the operand"},
		{"4@0xzz(%rax)", "argument 1 '4@0xzz(%rax)': bad number '0x' in displacement"},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		struct tt_usdt_arg args[TT_MAX_ARGS];
		char msg[200] = "";
		uint8_t argc = 7;

		if (tt_usdt_parse_args(cases[i].spec, args, &argc, msg, sizeof(msg)) != -TT_E_BAD_SPEC)
			fail_msg("'%s' was accepted", cases[i].spec);
		assert_int_equal(argc, 0);
		assert_string_equal(msg, cases[i].msg);
		for (unsigned a = 0; a < TT_MAX_ARGS; a++)
			assert_null(args[a].sym);
	}
	/* A very long token is refused before it is looked at. */
	char longspec[400];
	struct tt_usdt_arg args[TT_MAX_ARGS];
	uint8_t argc;
	char msg[200];

	memset(longspec, 'a', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	memcpy(longspec, "8@", 2);
	assert_int_equal(tt_usdt_parse_args(longspec, args, &argc, msg, sizeof(msg)), -TT_E_BAD_SPEC);
	assert_string_equal(msg, "argument 1 is longer than 256 characters");
	/* No message buffer is fine. */
	assert_int_equal(tt_usdt_parse_args("x", args, &argc, NULL, 0), -TT_E_BAD_SPEC);
}

TT_TEST(usdt_args, arg_kind_from_bare_spec)
{
	struct tt_usdt_arg a = {.size = 4, .is_signed = 1};

	assert_int_equal(tt_usdt_arg_kind(&a), TT_KIND_S32);
	a = (struct tt_usdt_arg){.size = 8, .is_float = 1};
	assert_int_equal(tt_usdt_arg_kind(&a), TT_KIND_F64);
	a = (struct tt_usdt_arg){.size = 8};
	assert_int_equal(tt_usdt_arg_kind(&a), TT_KIND(TT_CLASS_UNKNOWN, 8));
	assert_string_equal(tt_reg_name(TT_REG_R13), "r13");
	assert_string_equal(tt_reg_name(TT_REG_RIP), "rip");
	assert_string_equal(tt_reg_name(200), "?");
}

TT_TEST(usdt_args, column_names)
{
	static const struct {
		const char *expr, *name;
	} cases[] = {
		{"id", "id"},         {" id ", "id"},          {"req->id", "id"},
		{"r.url", "url"},     {"a->b.c", "c"},         {"reqs[i].len", "len"},
		{"x + 1", NULL},      {"(int)x", NULL},        {"f(x)", NULL},
		{"\"GET\"", NULL},    {"1.5", NULL},           {"&buf[0]", NULL},
		{"a - b.c", NULL},    {"p->f()", NULL},        {"", NULL},
		{"_x9", "_x9"},       {"9x", NULL},            {".x", NULL},
		{"v.u8", "u8"},       {"p->s64", "s64"},       {"a.b.9", NULL},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		char *n = tt_usdt_column_name(cases[i].expr);

		if (cases[i].name) {
			if (!n || strcmp(n, cases[i].name))
				fail_msg("'%s' -> '%s', want '%s'", cases[i].expr, n ? n : "(null)", cases[i].name);
		} else if (n) {
			fail_msg("'%s' -> '%s', want none", cases[i].expr, n);
		}
		free(n);
	}
}
