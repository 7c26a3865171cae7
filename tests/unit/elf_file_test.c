/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/elf_file: the segment table shared by every reader of program headers
 * (elf_file itself, usdt_notes, go_binary), on a made-up segment table and on program headers
 * in a made-up image. The other ELF parts are covered through usdt_notes_test.c's synthetic
 * images and go_binary_test.c's real binaries.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "elf_file.h"
#include "tt_error.h"
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

/* A 64-bit ELF header and program headers in a 0x1000-byte image, for tt_elf_segs_load(). */
static void make_image(uint8_t *img, size_t img_sz, const Elf64_Phdr *ph, uint16_t phnum)
{
	Elf64_Ehdr eh = {
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = phnum, .e_shstrndx = SHN_UNDEF,
	};

	memset(img, 0, img_sz);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), ph, phnum * sizeof(*ph));
}

TT_TEST(elf_file, segs_load_cuts_to_the_file)
{
	static const Elf64_Phdr ph[] = {
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0, .p_vaddr = 0x400000,
		 .p_filesz = 0x800, .p_memsz = 0x800},
		{.p_type = PT_TLS, .p_offset = 0x900, .p_vaddr = 0x600900, .p_filesz = 0x10,
		 .p_memsz = 0x14, .p_align = 8},
		/* claims more bytes than the file holds: keeps the 0x400 it has */
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0xc00, .p_vaddr = 0x600c00,
		 .p_filesz = 0x1000, .p_memsz = 0x2000},
		/* starts beyond the file: left out */
		{.p_type = PT_LOAD, .p_flags = PF_R, .p_offset = 0x2000, .p_vaddr = 0x800000,
		 .p_filesz = 0x10, .p_memsz = 0x10},
		{.p_type = PT_NOTE, .p_offset = 0x100, .p_vaddr = 0x400100, .p_filesz = 0x20},
	};
	static uint8_t img[0x1000];
	struct tt_elf_segs segs;
	uint64_t off;
	Elf *elf;

	make_image(img, sizeof(img), ph, TT_ARRAY_SIZE(ph));
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	elf = elf_memory((char *)img, sizeof(img));
	assert_non_null(elf);
	assert_int_equal(tt_elf_segs_load(elf, sizeof(img), &segs), 0);
	assert_int_equal(segs.cnt, 2);
	assert_int_equal(segs.v[0].vaddr, 0x400000);
	assert_int_equal(segs.v[0].filesz, 0x800);
	assert_int_equal(segs.v[0].flags, PF_R | PF_X);
	assert_int_equal(segs.v[1].vaddr, 0x600c00);
	assert_int_equal(segs.v[1].filesz, 0x400);
	assert_int_equal(segs.v[1].offset, 0xc00);
	assert_int_equal(segs.tls_size, 0x18); /* 0x14 rounded up to 8 */

	assert_int_equal(tt_elf_segs_offset(&segs, 0x400123, 1, &off), 0);
	assert_int_equal(off, 0x123);
	assert_int_equal(tt_elf_segs_offset(&segs, 0x600fff, 1, &off), 0);
	assert_int_equal(off, 0xfff);
	assert_int_equal(tt_elf_segs_offset(&segs, 0x600ff0, 0x20, &off), -ENOENT); /* past the file */
	assert_int_equal(tt_elf_segs_offset(&segs, 0x601000, 1, &off), -ENOENT);
	assert_int_equal(tt_elf_segs_offset(&segs, 0x800000, 1, &off), -ENOENT);
	tt_elf_segs_free(&segs);
	assert_null(segs.v);
	assert_int_equal(segs.cnt, 0);
	elf_end(elf);

	/* program headers that run off the image cannot be read */
	make_image(img, sizeof(img), ph, TT_ARRAY_SIZE(ph));
	((Elf64_Ehdr *)(void *)img)->e_phoff = sizeof(img) - sizeof(Elf64_Phdr);
	elf = elf_memory((char *)img, sizeof(img));
	assert_non_null(elf);
	assert_int_equal(tt_elf_segs_load(elf, sizeof(img), &segs), -TT_E_BAD_ELF);
	assert_null(segs.v);
	elf_end(elf);
}
