/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/attach: USDT sites turned into the argument specs the BPF program
 * evaluates (what each operand form becomes), and uprobe-multi refusing what it must refuse.
 */
#include <asm/ptrace.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "attach.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

static void site_from(const char *args, uint64_t pc, struct tt_usdt_site *site)
{
	char err[256];

	memset(site, 0, sizeof(*site));
	site->pc_vaddr = pc;
	assert_int_equal(tt_usdt_parse_args(args, site->args, &site->argc, err, sizeof(err)), 0);
	for (unsigned i = 0; i < site->argc; i++)
		site->kinds[i] = tt_usdt_arg_kind(&site->args[i]);
}

TT_TEST(attach, operand_forms)
{
	uint8_t kinds[TT_MAX_ARGS] = {TT_KIND_S32, TT_KIND_STR, TT_KIND_U64, TT_KIND_S64, TT_KIND_U8};
	struct tt_usdt_site site;
	struct tt_bpf_site b;
	const char *why = NULL;

	site_from("-4@%edi 8@-16(%rbp) 8@$42 -8@8(%rdi,%rsi,8) 1@(%rax)", 0x1000, &site);
	assert_int_equal(tt_bpf_site_from_usdt(&site, 7, kinds, &b, &why), 0);
	assert_int_equal(b.probe_id, 7);
	assert_int_equal(b.argc, 5);
	assert_int_equal(b.flags, TT_BPF_SITE_STRS); /* argument 1 is a string */

	assert_int_equal(b.args[0].loc, TT_BPF_LOC_REG);
	assert_int_equal(b.args[0].base_off, offsetof(struct pt_regs, rdi));
	assert_int_equal(b.args[0].size, 4);
	assert_int_equal(b.args[0].flags, TT_BPF_ARG_SIGNED);

	assert_int_equal(b.args[1].loc, TT_BPF_LOC_MEM);
	assert_int_equal(b.args[1].base_off, offsetof(struct pt_regs, rbp));
	assert_int_equal(b.args[1].disp, -16);
	assert_int_equal(b.args[1].flags, TT_BPF_ARG_BASE | TT_BPF_ARG_STR);

	assert_int_equal(b.args[2].loc, TT_BPF_LOC_CONST);
	assert_int_equal(b.args[2].disp, 42);

	assert_int_equal(b.args[3].loc, TT_BPF_LOC_MEM);
	assert_int_equal(b.args[3].flags, TT_BPF_ARG_SIGNED | TT_BPF_ARG_BASE | TT_BPF_ARG_INDEX);
	assert_int_equal(b.args[3].base_off, offsetof(struct pt_regs, rdi));
	assert_int_equal(b.args[3].index_off, offsetof(struct pt_regs, rsi));
	assert_int_equal(b.args[3].scale, 8);
	assert_int_equal(b.args[3].disp, 8);

	assert_int_equal(b.args[4].loc, TT_BPF_LOC_MEM);
	assert_int_equal(b.args[4].size, 1);
	assert_int_equal(b.args[4].disp, 0);
	tt_usdt_args_free(site.args, site.argc);
}

TT_TEST(attach, rip_relative_symbols)
{
	uint8_t kinds[TT_MAX_ARGS] = {TT_KIND_S32};
	struct tt_usdt_site site;
	struct tt_bpf_site b;
	const char *why = NULL;

	/* NBuffers(%rip) at a site 0x1000 below the symbol: regs->ip + 0x1000 at run time. */
	site_from("-4@NBuffers(%rip)", 0x500000, &site);
	site.args[0].sym_vaddr = 0x501000;
	site.args[0].sym_found = 1;
	assert_int_equal(tt_bpf_site_from_usdt(&site, 1, kinds, &b, &why), 0);
	assert_int_equal(b.args[0].loc, TT_BPF_LOC_MEM);
	assert_int_equal(b.args[0].base_off, offsetof(struct pt_regs, rip));
	assert_int_equal(b.args[0].disp, 0x1000);

	/* A symbol the file does not define cannot be read: the site is refused, with a reason. */
	site.args[0].sym_found = 0;
	assert_int_equal(tt_bpf_site_from_usdt(&site, 1, kinds, &b, &why), -TT_E_BAD_SPEC);
	assert_non_null(strstr(why, "symbol"));
	tt_usdt_args_free(site.args, site.argc);
}

TT_TEST(attach, unparsed_site_is_refused)
{
	uint8_t kinds[TT_MAX_ARGS] = {0};
	struct tt_usdt_site site = {.spec_err = -TT_E_BAD_SPEC};
	struct tt_bpf_site b;
	const char *why = NULL;

	assert_int_equal(tt_bpf_site_from_usdt(&site, 0, kinds, &b, &why), -TT_E_BAD_SPEC);
	assert_non_null(why);
}

TT_TEST(attach, native_entry_reads_the_abi_registers)
{
	static const size_t regs[] = {
		offsetof(struct pt_regs, rdi), offsetof(struct pt_regs, rsi), offsetof(struct pt_regs, rdx),
		offsetof(struct pt_regs, rcx), offsetof(struct pt_regs, r8), offsetof(struct pt_regs, r9),
	};
	struct tt_bpf_site b;

	tt_bpf_site_native_entry(3, &b);
	assert_int_equal(b.argc, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(b.args[i].loc, TT_BPF_LOC_REG);
		assert_int_equal(b.args[i].base_off, regs[i]);
		assert_int_equal(b.args[i].size, 8);
	}
}

TT_TEST(attach, uprobe_multi_refuses_a_bad_program)
{
	uint64_t off = 0x1000, cookie = 0;

	/* Not a BPF program: the kernel refuses before looking at the path (no privileges needed
	 * to get this far: EBADF or EPERM, never success). */
	assert_true(tt_attach_uprobe_multi(-1, "/bin/true", &off, NULL, &cookie, 1, 0) < 0);
}

TT_TEST(attach, immediates_take_their_size_and_sign)
{
	/* gcc's operands for (int8_t)-5, (uint8_t)250, (uint16_t)65000, (uint32_t)4000000000u,
	 * (int64_t)INT64_MIN and (uint64_t)UINT64_MAX, as it writes them. */
	static const struct {
		int64_t disp;
	} want[] = {{-5}, {250}, {65000}, {4000000000LL}, {INT64_MIN}, {-1}, {-30000}};
	uint8_t kinds[TT_MAX_ARGS] = {TT_KIND_S8, TT_KIND_U8, TT_KIND_U16, TT_KIND_U32,
				      TT_KIND_S64, TT_KIND_U64, TT_KIND_S16};
	struct tt_usdt_site site;
	struct tt_bpf_site b;
	const char *why = NULL;

	site_from("-1@$-5 1@$-6 2@$-536 4@$-294967296 -8@$-9223372036854775808 8@$-1 -2@$-30000",
		  0x1000, &site);
	assert_int_equal(tt_bpf_site_from_usdt(&site, 0, kinds, &b, &why), 0);
	for (unsigned i = 0; i < TT_ARRAY_SIZE(want); i++) {
		assert_int_equal(b.args[i].loc, TT_BPF_LOC_CONST);
		assert_int_equal(b.args[i].disp, want[i].disp);
	}
	tt_usdt_args_free(site.args, site.argc);
}

TT_TEST(attach, thread_locals_and_symbol_addresses)
{
	uint8_t kinds[TT_MAX_ARGS] = {TT_KIND_S32, TT_KIND_S32, TT_KIND_PTR, TT_KIND_PTR};
	struct tt_usdt_site site;
	struct tt_bpf_site b;
	const char *why = NULL;

	site_from("-4@%fs:v@tpoff -4@%fs:(%rdi) 8@$counter 8@$.LC0", 0x401000, &site);
	site.args[0].sym_found = 1;
	site.args[0].sym_vaddr = (uint64_t)-16; /* v's offset from the thread pointer */
	site.args[2].sym_found = 1;
	site.args[2].sym_vaddr = 0x404080;
	/* .LC0 is a local label: in no symbol table */
	assert_int_equal(tt_bpf_site_from_usdt(&site, 1, kinds, &b, &why), -TT_E_BAD_SPEC);
	assert_non_null(strstr(why, "TT_PROBE_ARG_CONSTRAINT"));
	site.argc = 3;
	assert_int_equal(tt_bpf_site_from_usdt(&site, 1, kinds, &b, &why), 0);
	assert_int_equal(b.flags, TT_BPF_SITE_TLS);
	assert_int_equal(b.args[0].loc, TT_BPF_LOC_MEM);
	assert_int_equal(b.args[0].flags, TT_BPF_ARG_SIGNED | TT_BPF_ARG_FS);
	assert_int_equal(b.args[0].disp, -16);
	assert_int_equal(b.args[1].loc, TT_BPF_LOC_MEM);
	assert_int_equal(b.args[1].flags, TT_BPF_ARG_SIGNED | TT_BPF_ARG_FS | TT_BPF_ARG_BASE);
	assert_int_equal(b.args[1].base_off, offsetof(struct pt_regs, rdi));
	assert_int_equal(b.args[1].disp, 0);
	/* $counter: the site's runtime address plus the distance to the symbol */
	assert_int_equal(b.args[2].loc, TT_BPF_LOC_REG);
	assert_int_equal(b.args[2].base_off, offsetof(struct pt_regs, rip));
	assert_int_equal(b.args[2].disp, 0x3080);
	/* a thread-local variable the file does not define cannot be read */
	site.args[0].sym_found = 0;
	assert_int_equal(tt_bpf_site_from_usdt(&site, 1, kinds, &b, &why), -TT_E_BAD_SPEC);
	assert_non_null(strstr(why, "thread-local"));
	site.argc = 4;
	tt_usdt_args_free(site.args, site.argc);
}
