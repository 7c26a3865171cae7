/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/elf_file: the PT_LOAD lookup shared by every reader of program headers
 * (elf_file itself, usdt_notes, go_binary), on a made-up segment table. The ELF parts are
 * covered through usdt_notes_test.c's synthetic images and go_binary_test.c's real binaries.
 */
#include <elf.h>
#include <stdint.h>

#include "elf_file.h"
#include "tt_test.h"
#include "tt_util.h"

TT_TEST(elf_file, seg_find_ranges)
{
	static const struct tt_elf_seg segs[] = {
		{.vaddr = 0x1000, .filesz = 0x100, .offset = 0x0, .flags = PF_R | PF_X},
		{.vaddr = 0x1080, .filesz = 0x400, .offset = 0x800, .flags = PF_R}, /* overlaps */
		{.vaddr = 0x3000, .filesz = 0, .offset = 0x900, .flags = PF_R | PF_W},    /* all .bss */
		{.vaddr = UINT64_MAX - 0xf, .filesz = 0x10, .offset = 0xa00, .flags = PF_R},
	};
	static const struct {
		uint64_t vaddr, len;
		int want; /* index into segs, or -1 */
	} cases[] = {
		{0x1000, 1, 0},      {0x10ff, 1, 0},  {0x1100, 1, 1}, {0x0fff, 1, -1},
		{0x1000, 0x100, 0},  {0x1000, 0, 0},  /* a len of 0 counts as 1 */
		{0x10f0, 0x20, -1},  /* runs off the first segment that holds it; no fallback */
		{0x1100, 0x380, 1},  {0x1100, 0x381, -1},
		{0x3000, 1, -1},     /* no file bytes */
		{UINT64_MAX - 0xf, 0x10, 3}, {UINT64_MAX, 1, 3}, {UINT64_MAX - 0xf, UINT64_MAX, -1},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		const struct tt_elf_seg *s =
			tt_elf_seg_find(segs, TT_ARRAY_SIZE(segs), cases[i].vaddr, cases[i].len);
		int got = s ? (int)(s - segs) : -1;

		if (got != cases[i].want)
			fail_msg("case %zu: vaddr 0x%llx len 0x%llx: segment %d, want %d", i,
				 (unsigned long long)cases[i].vaddr, (unsigned long long)cases[i].len, got,
				 cases[i].want);
	}
	assert_null(tt_elf_seg_find(NULL, 0, 0x1000, 1));
}
