/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/tt_go_pclntab: a Go 1.20 pclntab made here byte by byte (two functions,
 * one of them an assembly function without an argument frame), read back; the layouts of older
 * Go versions and unknown magics refused by name; malformed headers and entries refused; and
 * every truncation of the table read without a read out of bounds (ASan builds check that).
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_go_pclntab.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

#define TEXT 0x401000u  /* runtime.text */
#define NAMES 0x48u     /* funcnametab */
#define FTAB 0x60u      /* the function table */
#define TAB_SZ 0x90u

static const struct tt_elf_seg text_seg = {
	.vaddr = 0x400000, .filesz = 0x10000, .offset = 0, .flags = PF_R | PF_X,
};
static const struct tt_elf_seg data_seg = {
	.vaddr = 0x600000, .filesz = 0x1000, .offset = 0x10000, .flags = PF_R | PF_W,
};

static void put64(uint8_t *t, size_t off, uint64_t v)
{
	tt_put_le64(t + off, v);
}

static void put32(uint8_t *t, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		t[off + i] = (uint8_t)(v >> (8 * i));
}

/*
 * The table: header, names "main.a" and "main.b", function table (entry 0x0 -> _func at +0x18,
 * entry 0x40 -> _func at +0x24, end 0x70), the two _func records (args 24, and none).
 */
static void make_table(uint8_t t[TAB_SZ])
{
	memset(t, 0, TAB_SZ);
	put32(t, 0, 0xfffffff1u); /* Go 1.20+ */
	t[6] = 1;                 /* instruction quantum */
	t[7] = 8;                 /* pointer size */
	put64(t, 8, 2);           /* nfunc */
	put64(t, 16, 1);          /* nfiles */
	put64(t, 24, TEXT);       /* textStart */
	put64(t, 32, NAMES);      /* funcnametab */
	put64(t, 64, FTAB);       /* functab */
	memcpy(t + NAMES, "main.a\0main.b\0", 14);
	put32(t, FTAB + 0, 0x0);
	put32(t, FTAB + 4, 0x18);
	put32(t, FTAB + 8, 0x40);
	put32(t, FTAB + 12, 0x24);
	put32(t, FTAB + 16, 0x70); /* the end of the last function */
	put32(t, FTAB + 0x18, 0x0);
	put32(t, FTAB + 0x18 + 4, 0);
	put32(t, FTAB + 0x18 + 8, 24);
	put32(t, FTAB + 0x24, 0x40);
	put32(t, FTAB + 0x24 + 4, 7);
	put32(t, FTAB + 0x24 + 8, (uint32_t)TT_GO_PCLN_ARGS_UNKNOWN);
}

TT_TEST(go_pclntab, reads_functions)
{
	struct tt_elf_seg v[] = {text_seg, data_seg};
	struct tt_elf_segs segs = {v, 2, 0};
	struct tt_go_pclntab t;
	struct tt_go_pcln_func f;
	uint8_t tab[TAB_SZ];
	char msg[128] = "";

	make_table(tab);
	assert_int_equal(tt_go_pclntab_open(&t, tab, sizeof(tab), &segs, 0, msg, sizeof(msg)), 0);
	assert_int_equal(t.nfunc, 2);
	assert_int_equal(t.text_start, TEXT);
	assert_int_equal(tt_go_pclntab_func(&t, 0, 1, &f, msg, sizeof(msg)), 0);
	assert_int_equal(f.vaddr, TEXT);
	assert_int_equal(f.size, 0x40);
	assert_int_equal(f.args, 24);
	assert_string_equal(f.name, "main.a");
	assert_int_equal(tt_go_pclntab_func(&t, 1, 1, &f, msg, sizeof(msg)), 0);
	assert_int_equal(f.vaddr, TEXT + 0x40);
	assert_int_equal(f.size, 0x30);
	assert_int_equal(f.args, TT_GO_PCLN_ARGS_UNKNOWN);
	assert_string_equal(f.name, "main.b");
	assert_int_equal(tt_go_pclntab_func(&t, 1, 0, &f, msg, sizeof(msg)), 0);
	assert_null(f.name);
}

TT_TEST(go_pclntab, text_start_of_a_pie_comes_from_text)
{
	struct tt_elf_seg v[] = {text_seg, data_seg};
	struct tt_elf_segs segs = {v, 2, 0};
	struct tt_go_pclntab t;
	struct tt_go_pcln_func f;
	uint8_t tab[TAB_SZ];
	char msg[128] = "";

	make_table(tab);
	put64(tab, 24, 0); /* relocated at load time */
	assert_int_equal(tt_go_pclntab_open(&t, tab, sizeof(tab), &segs, 0x402000, msg, sizeof(msg)), 0);
	assert_int_equal(tt_go_pclntab_func(&t, 1, 0, &f, msg, sizeof(msg)), 0);
	assert_int_equal(f.vaddr, 0x402040);
	/* no .text, or one that is not code: nothing to stand for textStart */
	assert_int_equal(tt_go_pclntab_open(&t, tab, sizeof(tab), &segs, 0, msg, sizeof(msg)),
			 -TT_E_BAD_ELF);
	assert_string_equal(msg, "cannot locate the text the pclntab refers to");
	assert_int_equal(tt_go_pclntab_open(&t, tab, sizeof(tab), &segs, 0x600100, msg, sizeof(msg)),
			 -TT_E_BAD_ELF);
	/* a textStart outside the code is not trusted either */
	put64(tab, 24, 0x600100);
	assert_int_equal(tt_go_pclntab_open(&t, tab, sizeof(tab), &segs, 0x402000, msg, sizeof(msg)), 0);
	assert_int_equal(t.text_start, 0x402000);
}

TT_TEST(go_pclntab, refuses_other_layouts_and_bad_headers)
{
	static const struct {
		size_t off;
		uint64_t val;
		int word; /* 4 or 8 bytes, or 1 */
		int err;
		const char *msg;
	} cases[] = {
		{0, 0xfffffffbu, 4, -ENOTSUP, "pclntab of Go 1.2-1.15 is not supported (Go 1.18 or newer is)"},
		{0, 0xfffffffau, 4, -ENOTSUP, "pclntab of Go 1.16-1.17 is not supported (Go 1.18 or newer is)"},
		{0, 0xfffffff0u, 4, 0, ""}, /* Go 1.18-1.19: the same layout */
		{0, 0x12345678u, 4, -ENOTSUP, "unknown pclntab magic 0x12345678"},
		{7, 4, 1, -TT_E_BAD_ELF, "pclntab header is not that of a 64-bit binary"},
		{4, 1, 1, -TT_E_BAD_ELF, "pclntab header is not that of a 64-bit binary"},
		{32, TAB_SZ, 8, -TT_E_BAD_ELF, "pclntab header offsets out of bounds"},
		{64, TAB_SZ, 8, -TT_E_BAD_ELF, "pclntab header offsets out of bounds"},
		{8, UINT64_MAX / 4, 8, -TT_E_BAD_ELF, "pclntab header offsets out of bounds"},
		{8, 6, 8, -TT_E_BAD_ELF, "pclntab function table out of bounds"},
	};
	struct tt_elf_seg v[] = {text_seg};
	struct tt_elf_segs segs = {v, 1, 0};
	struct tt_go_pclntab t;
	uint8_t tab[TAB_SZ];

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		char msg[128] = "";
		int err;

		make_table(tab);
		if (cases[i].word == 8)
			put64(tab, cases[i].off, cases[i].val);
		else if (cases[i].word == 4)
			put32(tab, cases[i].off, (uint32_t)cases[i].val);
		else
			tab[cases[i].off] = (uint8_t)cases[i].val;
		err = tt_go_pclntab_open(&t, tab, sizeof(tab), &segs, 0, msg, sizeof(msg));
		if (err != cases[i].err || strcmp(msg, cases[i].msg))
			fail_msg("case %zu: %d '%s', want %d '%s'", i, err, msg, cases[i].err,
				 cases[i].msg);
	}
	assert_int_equal(tt_go_pclntab_open(&t, tab, 71, &segs, 0, NULL, 0), -TT_E_BAD_ELF);
}

TT_TEST(go_pclntab, refuses_bad_entries)
{
	static const struct {
		size_t off;
		uint32_t val;
		uint64_t func; /* the entry that fails */
		const char *msg;
	} cases[] = {
		{FTAB + 8, 0x0, 0, "pclntab function table is not sorted (entry 0)"},
		{FTAB + 16, 0x40, 1, "pclntab function table is not sorted (entry 1)"},
		{FTAB + 4, TAB_SZ, 0, "pclntab function 0 data out of bounds"},
		{FTAB + 4, TAB_SZ - FTAB - 11, 0, "pclntab function 0 data out of bounds"},
		{FTAB + 0x24, 0x41, 1, "pclntab function 1 entry mismatch"},
		{FTAB + 0x18 + 4, TAB_SZ, 0, "pclntab function 0 name out of bounds"},
		{FTAB + 0x24 + 4, UINT32_MAX, 1, "pclntab function 1 name out of bounds"},
	};
	struct tt_elf_seg v[] = {text_seg};
	struct tt_elf_segs segs = {v, 1, 0};
	struct tt_go_pclntab t;
	struct tt_go_pcln_func f;
	uint8_t tab[TAB_SZ];

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		char msg[128] = "";
		int err = 0;

		make_table(tab);
		put32(tab, cases[i].off, cases[i].val);
		assert_int_equal(tt_go_pclntab_open(&t, tab, sizeof(tab), &segs, 0, NULL, 0), 0);
		for (uint64_t k = 0; k <= cases[i].func && !err; k++)
			err = tt_go_pclntab_func(&t, k, 1, &f, msg, sizeof(msg));
		if (err != -TT_E_BAD_ELF || strcmp(msg, cases[i].msg))
			fail_msg("case %zu: %d '%s', want '%s'", i, err, msg, cases[i].msg);
	}
	/* a name without its NUL at the end of the table */
	make_table(tab);
	memset(tab + TAB_SZ - 4, 'x', 4);
	put32(tab, FTAB + 0x24 + 4, TAB_SZ - 4 - NAMES);
	assert_int_equal(tt_go_pclntab_open(&t, tab, sizeof(tab), &segs, 0, NULL, 0), 0);
	assert_int_equal(tt_go_pclntab_func(&t, 1, 1, &f, NULL, 0), -TT_E_BAD_ELF);
}

TT_TEST(go_pclntab, every_truncation_is_read_in_bounds)
{
	struct tt_elf_seg v[] = {text_seg};
	struct tt_elf_segs segs = {v, 1, 0};
	uint8_t full[TAB_SZ];

	make_table(full);
	for (size_t sz = 0; sz <= TAB_SZ; sz++) {
		uint8_t *tab = malloc(sz ? sz : 1); /* exactly sz bytes: ASan sees any overrun */
		struct tt_go_pclntab t;
		struct tt_go_pcln_func f;
		int err;

		assert_non_null(tab);
		memcpy(tab, full, sz);
		err = tt_go_pclntab_open(&t, tab, sz, &segs, 0, NULL, 0);
		for (uint64_t k = 0; !err && k < t.nfunc; k++)
			err = tt_go_pclntab_func(&t, k, 1, &f, NULL, 0);
		if (sz == TAB_SZ)
			assert_int_equal(err, 0);
		else if (sz < FTAB + 20) /* the function table must be whole */
			assert_int_equal(err, -TT_E_BAD_ELF);
		free(tab);
	}
}
