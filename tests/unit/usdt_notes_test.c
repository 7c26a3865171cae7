/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/usdt_notes: the ELF note reader on synthetic images built here byte by
 * byte (segments with different file offsets, .stapsdt.base adjustment, build id, tracetape type
 * notes, symbol resolution, and malformed notes and headers, including every truncation of a
 * valid image). The argument spec parser has its own tests (usdt_args_test.c).
 */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"
#include "usdt_notes.h"

/* ---- synthetic ELF images ---- */

/*
 * Layout of the image (vaddr = file offset + delta of its segment):
 *   0x000 ELF header, 0x040 two program headers
 *   0x100 text (PT_LOAD R+X at vaddr 0x401000, offset 0x100): probe sites
 *   0x200 data (PT_LOAD RW  at vaddr 0x603000, offset 0x200): semaphores, names, .stapsdt.base
 *   0x300 .note.stapsdt, then .note.tracetape, .note.gnu.build-id, .symtab, .strtab, .dynsym,
 *         .dynstr, .shstrtab, section headers
 * Text and data have different vaddr-offset deltas, as python3.11's have.
 */
#define TEXT_VADDR 0x401000u
#define TEXT_OFF 0x100u
#define DATA_VADDR 0x603000u
#define DATA_OFF 0x200u
#define PC(i) (TEXT_VADDR + 0x10u * (i))
#define SEMA(i) (DATA_VADDR + 2u * (i))
#define NAMES_VADDR (DATA_VADDR + 0x40u)
#define NAMES2_VADDR (DATA_VADDR + 0x60u)
#define BASE_VADDR (DATA_VADDR + 0xf0u)

struct img {
	struct tt_buf b;
	struct tt_buf notes, tnotes, symtab, strtab, dynsym, dynstr, shstr;
	uint64_t base_in_note; /* what the stapsdt notes say .stapsdt.base is */
	int no_base_section;
};

static void put_bytes(struct tt_buf *b, const void *p, size_t n)
{
	assert_int_equal(tt_buf_append(b, p, n), 0);
}

static void pad4(struct tt_buf *b)
{
	static const uint8_t z[4];

	put_bytes(b, z, (4 - b->len % 4) % 4);
}

static void note(struct tt_buf *b, const char *owner, uint32_t type, const void *desc, size_t desc_sz)
{
	uint32_t h[3] = {(uint32_t)strlen(owner) + 1, (uint32_t)desc_sz, type};

	put_bytes(b, h, sizeof(h));
	put_bytes(b, owner, strlen(owner) + 1);
	pad4(b);
	put_bytes(b, desc, desc_sz);
	pad4(b);
}

static void stapsdt(struct img *im, uint64_t pc, uint64_t sema, const char *prov, const char *name,
		    const char *args)
{
	uint8_t d[512];
	size_t n = 0;

	tt_put_le64(d, pc);
	tt_put_le64(d + 8, im->base_in_note);
	tt_put_le64(d + 16, sema);
	n = 24;
	memcpy(d + n, prov, strlen(prov) + 1);
	n += strlen(prov) + 1;
	memcpy(d + n, name, strlen(name) + 1);
	n += strlen(name) + 1;
	memcpy(d + n, args, strlen(args) + 1);
	n += strlen(args) + 1;
	note(&im->notes, "stapsdt", 3, d, n);
}

static void tnote(struct img *im, uint64_t pc, uint64_t names, uint8_t version, uint8_t argc,
		  const uint8_t *kinds)
{
	uint8_t d[64];

	tt_put_le64(d, pc);
	tt_put_le64(d + 8, names);
	d[16] = version;
	d[17] = argc;
	memcpy(d + 18, kinds, argc);
	note(&im->tnotes, "tracetape", 1, d, 18u + argc);
}

static uint32_t str_add(struct tt_buf *tab, const char *s)
{
	uint32_t off;

	if (tab->len == 0)
		put_bytes(tab, "", 1);
	off = (uint32_t)tab->len;
	put_bytes(tab, s, strlen(s) + 1);
	return off;
}

static void sym_add(struct tt_buf *tab, struct tt_buf *str, const char *name, uint64_t value, int bind)
{
	Elf64_Sym s = {0};

	if (tab->len == 0)
		put_bytes(tab, &s, sizeof(s)); /* the null symbol */
	s.st_name = str_add(str, name);
	s.st_info = (unsigned char)ELF64_ST_INFO(bind, STT_OBJECT);
	s.st_shndx = 1;
	s.st_value = value;
	s.st_size = 4;
	put_bytes(tab, &s, sizeof(s));
}

/* Assemble the image: headers, segments, the note sections and the symbol tables. */
static void img_finish(struct img *im, uint16_t e_type)
{
	struct tt_buf *b = &im->b;
	struct {
		const char *name;
		uint32_t type;
		uint64_t flags, addr;
		struct tt_buf *data;
		uint32_t link, entsize;
		uint64_t off, size;
	} sec[] = {
		{".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT_VADDR, NULL, 0, 0, TEXT_OFF, 0x100},
		{".stapsdt.base", SHT_PROGBITS, SHF_ALLOC, BASE_VADDR, NULL, 0, 0, DATA_OFF + 0xf0, 1},
		{".note.stapsdt", SHT_NOTE, 0, 0, &im->notes, 0, 0, 0, 0},
		{".note.tracetape", SHT_NOTE, 0, 0, &im->tnotes, 0, 0, 0, 0},
		{".note.gnu.build-id", SHT_NOTE, SHF_ALLOC, 0, NULL, 0, 0, 0, 0},
		{".symtab", SHT_SYMTAB, 0, 0, &im->symtab, 7, sizeof(Elf64_Sym), 0, 0},
		{".strtab", SHT_STRTAB, 0, 0, &im->strtab, 0, 0, 0, 0},
		{".dynsym", SHT_DYNSYM, SHF_ALLOC, 0, &im->dynsym, 9, sizeof(Elf64_Sym), 0, 0},
		{".dynstr", SHT_STRTAB, SHF_ALLOC, 0, &im->dynstr, 0, 0, 0, 0},
		{".shstrtab", SHT_STRTAB, 0, 0, &im->shstr, 0, 0, 0, 0},
	};
	struct tt_buf build_id = {0};
	static const uint8_t bid[4] = {0xde, 0xad, 0xbe, 0xef};
	uint8_t zero[0x300] = {0};
	Elf64_Ehdr eh = {0};
	Elf64_Phdr ph[2] = {0};
	size_t nsec = TT_ARRAY_SIZE(sec);

	note(&build_id, "GNU", NT_GNU_BUILD_ID, bid, sizeof(bid));
	sec[4].data = &build_id;
	if (im->symtab.len == 0)
		sym_add(&im->symtab, &im->strtab, "unrelated", 0x1234, STB_GLOBAL);
	if (im->dynsym.len == 0)
		sym_add(&im->dynsym, &im->dynstr, "unrelated", 0x1234, STB_GLOBAL);
	for (size_t i = 0; i < nsec; i++)
		str_add(&im->shstr, sec[i].name);

	/* Fixed part: headers, text, data (with names at NAMES_VADDR). */
	put_bytes(b, zero, sizeof(zero));
	memset(b->data + TEXT_OFF, 0x90, 0x100); /* nops */
	memcpy(b->data + DATA_OFF + (NAMES_VADDR - DATA_VADDR), "id\0req->url\0x + 1", 18);
	/* a second list: an identifier, a UTF-8 string literal, an identifier */
	memcpy(b->data + DATA_OFF + (NAMES2_VADDR - DATA_VADDR), "id\0\"J\xc3\xbcrgen\"\0status", 20);
	for (size_t i = 0; i < nsec; i++) {
		if (!sec[i].data)
			continue;
		while (b->len % 8)
			put_bytes(b, "", 1);
		sec[i].off = b->len;
		sec[i].size = sec[i].data->len;
		put_bytes(b, sec[i].data->data, sec[i].data->len);
	}
	while (b->len % 8)
		put_bytes(b, "", 1);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = e_type;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_shoff = b->len;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 2;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = (uint16_t)(nsec + 1);
	eh.e_shstrndx = (uint16_t)nsec;
	ph[0] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = TEXT_OFF,
			     .p_vaddr = TEXT_VADDR, .p_paddr = TEXT_VADDR, .p_filesz = 0x100,
			     .p_memsz = 0x100, .p_align = 0x1000};
	ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = DATA_OFF,
			     .p_vaddr = DATA_VADDR, .p_paddr = DATA_VADDR, .p_filesz = 0x100,
			     .p_memsz = 0x1000, .p_align = 0x1000}; /* bss beyond filesz */
	memcpy(b->data, &eh, sizeof(eh));
	memcpy(b->data + sizeof(eh), ph, sizeof(ph));

	Elf64_Shdr null_sh = {0};
	put_bytes(b, &null_sh, sizeof(null_sh));
	for (size_t i = 0, name_off = 1; i < nsec; i++) {
		Elf64_Shdr sh = {0};

		if (im->no_base_section && !strcmp(sec[i].name, ".stapsdt.base"))
			sec[i].type = SHT_NOBITS;
		sh.sh_name = (uint32_t)name_off;
		name_off += strlen(sec[i].name) + 1;
		sh.sh_type = sec[i].type;
		sh.sh_flags = sec[i].flags;
		sh.sh_addr = sec[i].addr;
		sh.sh_offset = sec[i].off;
		sh.sh_size = sec[i].size;
		sh.sh_link = sec[i].link;
		sh.sh_addralign = sec[i].type == SHT_NOTE ? 4 : 8;
		sh.sh_entsize = sec[i].entsize;
		put_bytes(b, &sh, sizeof(sh));
	}
	tt_buf_free(&build_id);
}

static void img_free(struct img *im)
{
	tt_buf_free(&im->b);
	tt_buf_free(&im->notes);
	tt_buf_free(&im->tnotes);
	tt_buf_free(&im->symtab);
	tt_buf_free(&im->strtab);
	tt_buf_free(&im->dynsym);
	tt_buf_free(&im->dynstr);
	tt_buf_free(&im->shstr);
}

/* The reference image: four probes exercising every feature of the reader. */
static void build_reference(struct img *im)
{
	static const uint8_t kinds3[3] = {TT_KIND_S64, TT_KIND_STR, TT_KIND_S32};
	static const uint8_t kinds1[1] = {TT_KIND_F64};

	memset(im, 0, sizeof(*im));
	im->base_in_note = BASE_VADDR;
	stapsdt(im, PC(0), SEMA(0), "app", "typed", "-8@%rdi 8@%rsi -4@-4(%rbp)");
	tnote(im, PC(0), NAMES_VADDR, 1, 3, kinds3);
	stapsdt(im, PC(1), 0, "app", "plain", "8@%rax -4@NBuffers(%rip) 4@40+Stats(%rip) 8@Dyn(%rip)");
	stapsdt(im, PC(2), SEMA(1), "app", "bad", "8@%xmm0");
	stapsdt(im, PC(3), SEMA(2), "app", "float", "8@%rax");
	tnote(im, PC(3), 0, 1, 1, kinds1);
	sym_add(&im->symtab, &im->strtab, "NBuffers", 0x603080, STB_GLOBAL);
	sym_add(&im->symtab, &im->strtab, "Stats", 0x603090, STB_LOCAL);
	sym_add(&im->dynsym, &im->dynstr, "NBuffers", 0x999999, STB_GLOBAL); /* .symtab wins */
	sym_add(&im->dynsym, &im->dynstr, "Dyn", 0x6030a0, STB_GLOBAL);
	img_finish(im, ET_EXEC);
}

TT_TEST(usdt_notes, read_reference_image)
{
	struct tt_usdt_file *f = NULL;
	struct img im;
	char msg[256] = "";
	const struct tt_usdt_site *s;

	build_reference(&im);
	assert_int_equal(tt_usdt_file__open_mem(im.b.data, im.b.len, "ref", &f, msg, sizeof(msg)), 0);
	assert_string_equal(f->path, "ref");
	assert_string_equal(f->build_id, "deadbeef");
	assert_int_equal(f->e_type, ET_EXEC);
	assert_int_equal(f->site_cnt, 4);

	s = &f->sites[0];
	assert_string_equal(s->provider, "app");
	assert_string_equal(s->name, "typed");
	assert_true(s->pc_vaddr == PC(0));
	assert_true(s->pc_offset == TEXT_OFF);                       /* through the text segment */
	assert_true(s->sema_vaddr == SEMA(0));
	assert_true(s->sema_offset == DATA_OFF + (SEMA(0) - DATA_VADDR)); /* through the data one */
	assert_int_equal(s->spec_err, 0);
	assert_int_equal(s->argc, 3);
	assert_int_equal(s->has_types, 1);
	assert_int_equal(s->kinds[0], TT_KIND_S64);
	assert_int_equal(s->kinds[1], TT_KIND_STR);
	assert_int_equal(s->kinds[2], TT_KIND_S32);
	assert_string_equal(s->arg_names[0], "id");
	assert_string_equal(s->arg_names[1], "url");
	assert_null(s->arg_names[2]); /* "x + 1" */

	s = &f->sites[1];
	assert_string_equal(s->name, "plain");
	assert_true(s->sema_vaddr == 0 && s->sema_offset == 0);
	assert_int_equal(s->has_types, 0);
	assert_int_equal(s->argc, 4);
	assert_int_equal(s->kinds[0], TT_KIND(TT_CLASS_UNKNOWN, 8));
	assert_int_equal(s->kinds[1], TT_KIND_S32);
	assert_true(s->args[1].sym_vaddr == 0x603080);       /* .symtab before .dynsym */
	assert_true(s->args[2].sym_vaddr == 0x603090 + 40);  /* a local symbol, unique */
	assert_true(s->args[3].sym_vaddr == 0x6030a0);       /* only in .dynsym */
	assert_null(s->arg_names[0]);

	s = &f->sites[2];
	assert_int_equal(s->spec_err, -TT_E_BAD_SPEC);
	assert_string_equal(s->spec_msg, "argument 1 '8@%xmm0': floating-point register '%xmm0' is not supported");
	assert_int_equal(s->argc, 0);

	s = &f->sites[3];
	assert_int_equal(s->has_types, 1);
	assert_int_equal(s->kinds[0], TT_KIND_F64); /* the note says float; the spec says u64 */
	assert_null(s->arg_names[0]);               /* names address 0: no names */

	tt_usdt_file__free(f);
	img_free(&im);
}

TT_TEST(usdt_notes, base_adjustment_for_prelinked_files)
{
	struct tt_usdt_file *f = NULL;
	struct img im = {0};
	char msg[256];

	/* The note says .stapsdt.base was 0x1000 lower: everything moved up by 0x1000. */
	im.base_in_note = BASE_VADDR - 0x1000;
	stapsdt(&im, PC(1) - 0x1000, SEMA(0) - 0x1000, "p", "moved", "");
	img_finish(&im, ET_DYN);
	assert_int_equal(tt_usdt_file__open_mem(im.b.data, im.b.len, "x", &f, msg, sizeof(msg)), 0);
	assert_int_equal(f->site_cnt, 1);
	assert_true(f->sites[0].pc_vaddr == PC(1));
	assert_true(f->sites[0].pc_offset == TEXT_OFF + 0x10);
	assert_true(f->sites[0].sema_vaddr == SEMA(0));
	assert_int_equal(f->sites[0].spec_err, 0);
	assert_int_equal(f->e_type, ET_DYN);
	tt_usdt_file__free(f);
	img_free(&im);

	/* Without a .stapsdt.base section there is nothing to adjust. */
	memset(&im, 0, sizeof(im));
	im.base_in_note = 0x12345;
	im.no_base_section = 1;
	stapsdt(&im, PC(1), 0, "p", "kept", "");
	img_finish(&im, ET_DYN);
	assert_int_equal(tt_usdt_file__open_mem(im.b.data, im.b.len, "x", &f, msg, sizeof(msg)), 0);
	assert_true(f->sites[0].pc_vaddr == PC(1));
	tt_usdt_file__free(f);
	img_free(&im);
}

TT_TEST(usdt_notes, sites_outside_segments_are_flagged)
{
	struct tt_usdt_file *f = NULL;
	struct img im = {0};
	char msg[256];

	im.base_in_note = BASE_VADDR;
	stapsdt(&im, 0x100, 0, "p", "nopc", "");
	stapsdt(&im, PC(0), DATA_VADDR + 0x800, "p", "bss_sema", ""); /* in memsz, not in filesz */
	stapsdt(&im, PC(0), 0, "p", "ok", "-4@%eax");
	img_finish(&im, ET_EXEC);
	assert_int_equal(tt_usdt_file__open_mem(im.b.data, im.b.len, "x", &f, msg, sizeof(msg)), 0);
	assert_int_equal(f->site_cnt, 3);
	assert_int_equal(f->sites[0].spec_err, -TT_E_BAD_ELF);
	assert_string_equal(f->sites[0].spec_msg, "pc 0x100 is outside every loadable segment");
	assert_int_equal(f->sites[1].spec_err, -TT_E_BAD_ELF);
	assert_string_equal(f->sites[1].spec_msg, "semaphore 0x603800 is outside the file-backed segments");
	assert_int_equal(f->sites[2].spec_err, 0);
	tt_usdt_file__free(f);
	img_free(&im);
}

TT_TEST(usdt_notes, foreign_or_broken_type_notes_are_ignored)
{
	static const uint8_t k2[2] = {TT_KIND_S32, TT_KIND_S32};
	static const uint8_t k1[1] = {TT_KIND_STR};
	struct tt_usdt_file *f = NULL;
	struct img im = {0};
	char msg[256];

	im.base_in_note = BASE_VADDR;
	stapsdt(&im, PC(0), 0, "p", "version2", "8@%rax");
	tnote(&im, PC(0), NAMES_VADDR, 2, 1, k1);             /* unknown version */
	stapsdt(&im, PC(1), 0, "p", "argc_mismatch", "8@%rax");
	tnote(&im, PC(1), NAMES_VADDR, 1, 2, k2);              /* 2 kinds for 1 argument */
	stapsdt(&im, PC(2), 0, "p", "names_unmapped", "8@%rax");
	tnote(&im, PC(2), 0x7777777, 1, 1, k1);                /* names nowhere in the file */
	stapsdt(&im, PC(3), 0, "p", "names_in_bss", "8@%rax");
	tnote(&im, PC(3), DATA_VADDR + 0x900, 1, 1, k1);
	stapsdt(&im, PC(4), 0, "p", "names_binary", "8@%rax");
	tnote(&im, PC(4), TEXT_VADDR, 1, 1, k1);                /* nops: not printable */
	img_finish(&im, ET_EXEC);
	assert_int_equal(tt_usdt_file__open_mem(im.b.data, im.b.len, "x", &f, msg, sizeof(msg)), 0);
	assert_int_equal(f->site_cnt, 5);
	assert_int_equal(f->sites[0].has_types, 0);
	assert_int_equal(f->sites[0].kinds[0], TT_KIND(TT_CLASS_UNKNOWN, 8));
	assert_int_equal(f->sites[1].has_types, 0);
	for (int i = 2; i < 5; i++) {
		assert_int_equal(f->sites[i].has_types, 1);
		assert_int_equal(f->sites[i].kinds[0], TT_KIND_STR);
		assert_null(f->sites[i].arg_names[0]);
	}
	tt_usdt_file__free(f);
	img_free(&im);
}

/* An expression that is no identifier (a UTF-8 literal) names no column; the others keep theirs. */
TT_TEST(usdt_notes, a_literal_does_not_cost_the_other_names)
{
	static const uint8_t k3[3] = {TT_KIND_S32, TT_KIND_STR, TT_KIND_S32};
	struct tt_usdt_file *f = NULL;
	struct img im = {0};
	char msg[256];

	im.base_in_note = BASE_VADDR;
	stapsdt(&im, PC(0), 0, "p", "lit", "-4@%edi 8@%rsi -4@%eax");
	tnote(&im, PC(0), NAMES2_VADDR, 1, 3, k3);
	img_finish(&im, ET_EXEC);
	assert_int_equal(tt_usdt_file__open_mem(im.b.data, im.b.len, "x", &f, msg, sizeof(msg)), 0);
	assert_int_equal(f->sites[0].has_types, 1);
	assert_string_equal(f->sites[0].arg_names[0], "id");
	assert_null(f->sites[0].arg_names[1]);
	assert_string_equal(f->sites[0].arg_names[2], "status");
	tt_usdt_file__free(f);
	img_free(&im);
}

/*
 * Argument names must lie in the file-backed part of one segment (TRACETAPE_NOTE.md, reader
 * rules): names that run past the segment's end are no names, even where the file goes on.
 */
TT_TEST(usdt_notes, names_past_their_segment_are_ignored)
{
	static const uint8_t k3[3] = {TT_KIND_S64, TT_KIND_STR, TT_KIND_S32};
	const size_t filesz_at = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, p_filesz);
	struct tt_usdt_file *f = NULL;
	struct img im = {0};
	char msg[256];

	im.base_in_note = BASE_VADDR;
	stapsdt(&im, PC(0), 0, "p", "cut", "-8@%rdi 8@%rsi -4@%eax");
	tnote(&im, PC(0), NAMES_VADDR, 1, 3, k3);
	img_finish(&im, ET_EXEC);
	/* the data segment now ends inside "req->url": "id" and "req" are in it, the rest is not */
	tt_put_le64(im.b.data + filesz_at, NAMES_VADDR - DATA_VADDR + 6);
	assert_int_equal(tt_usdt_file__open_mem(im.b.data, im.b.len, "x", &f, msg, sizeof(msg)), 0);
	assert_int_equal(f->site_cnt, 1);
	assert_int_equal(f->sites[0].has_types, 1);
	assert_int_equal(f->sites[0].kinds[1], TT_KIND_STR);
	for (int i = 0; i < 3; i++)
		assert_null(f->sites[0].arg_names[i]);
	tt_usdt_file__free(f);

	/* with the whole list inside the segment, the names are read */
	tt_put_le64(im.b.data + filesz_at, NAMES_VADDR - DATA_VADDR + 18);
	assert_int_equal(tt_usdt_file__open_mem(im.b.data, im.b.len, "x", &f, msg, sizeof(msg)), 0);
	assert_string_equal(f->sites[0].arg_names[0], "id");
	assert_string_equal(f->sites[0].arg_names[1], "url");
	tt_usdt_file__free(f);
	img_free(&im);
}

TT_TEST(usdt_notes, malformed_notes_are_errors)
{
	static const struct {
		const char *what;
		uint8_t desc[40];
		size_t desc_sz;
		const char *msg;
	} cases[] = {
		{"short", {1, 2, 3}, 3, "a stapsdt note is 3 bytes long, too short"},
		{"no provider", {0}, 27, "a stapsdt note at pc 0x0 has no provider or name"},
		{"no name", {[24] = 'p', [25] = 0, [26] = 0}, 27, "a stapsdt note at pc 0x0 has no provider or name"},
		{"unterminated name", {[24] = 'p', [25] = 0, [26] = 'n', [27] = 'n'}, 28,
		 "a stapsdt note at pc 0x0 has no provider or name"},
		{"unterminated args", {[24] = 'p', [25] = 0, [26] = 'n', [27] = 0, [28] = '8', [29] = '@'}, 30,
		 "the arguments of stapsdt note p:n are not terminated"},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		struct tt_usdt_file *f = (void *)1;
		struct img im = {0};
		char msg[256] = "";

		note(&im.notes, "stapsdt", 3, cases[i].desc, cases[i].desc_sz);
		img_finish(&im, ET_EXEC);
		if (tt_usdt_file__open_mem(im.b.data, im.b.len, "x", &f, msg, sizeof(msg)) != -TT_E_BAD_ELF)
			fail_msg("%s: accepted", cases[i].what);
		assert_null(f);
		assert_string_equal(msg, cases[i].msg);
		img_free(&im);
	}

	/* A note whose sizes overrun its section. */
	struct tt_usdt_file *f = NULL;
	struct img im = {0};
	uint32_t h[3] = {8, 0x7fffffff, 3};
	char msg[256];

	put_bytes(&im.notes, h, sizeof(h));
	put_bytes(&im.notes, "stapsdt", 8);
	img_finish(&im, ET_EXEC);
	assert_int_equal(tt_usdt_file__open_mem(im.b.data, im.b.len, "x", &f, msg, sizeof(msg)), -TT_E_BAD_ELF);
	assert_string_equal(msg, "section .note.stapsdt: a note at offset 20 overruns the section");
	img_free(&im);

	/* A note header cut short. */
	memset(&im, 0, sizeof(im));
	put_bytes(&im.notes, h, 8);
	img_finish(&im, ET_EXEC);
	assert_int_equal(tt_usdt_file__open_mem(im.b.data, im.b.len, "x", &f, msg, sizeof(msg)), -TT_E_BAD_ELF);
	assert_string_equal(msg, "section .note.stapsdt: a note at offset 0 overruns the section");
	img_free(&im);
}

TT_TEST(usdt_notes, not_elf_and_unsupported_files)
{
	struct tt_usdt_file *f = NULL;
	struct img im;
	char msg[256];
	uint8_t *copy;

	assert_int_equal(tt_usdt_file__open_mem("hello world, not ELF at all", 27, "t", &f, msg, sizeof(msg)),
			 -TT_E_NOT_ELF);
	assert_string_equal(msg, "not an ELF file");
	assert_int_equal(tt_usdt_file__open_mem("", 0, "t", &f, msg, sizeof(msg)), -TT_E_NOT_ELF);
	assert_null(f);

	build_reference(&im);
	copy = malloc(im.b.len);
	assert_non_null(copy);

	memcpy(copy, im.b.data, im.b.len);
	copy[EI_CLASS] = ELFCLASS32;
	assert_int_equal(tt_usdt_file__open_mem(copy, im.b.len, "t", &f, msg, sizeof(msg)), -TT_E_BAD_ELF);
	assert_string_equal(msg, "only 64-bit little-endian ELF files are supported");

	memcpy(copy, im.b.data, im.b.len);
	copy[EI_DATA] = ELFDATA2MSB;
	assert_int_equal(tt_usdt_file__open_mem(copy, im.b.len, "t", &f, msg, sizeof(msg)), -TT_E_BAD_ELF);

	memcpy(copy, im.b.data, im.b.len);
	tt_put_le16(copy + 16, ET_REL);
	assert_int_equal(tt_usdt_file__open_mem(copy, im.b.len, "t", &f, msg, sizeof(msg)), -TT_E_BAD_ELF);
	assert_string_equal(msg, "not an executable or shared library (ELF type 1)");

	assert_int_equal(tt_usdt_file__open_mem(im.b.data, 40, "t", &f, msg, sizeof(msg)), -TT_E_BAD_ELF);
	assert_string_equal(msg, "truncated ELF header");

	/* A path that does not exist, and a directory. */
	assert_int_equal(tt_usdt_file__open("/nonexistent/x", &f, msg, sizeof(msg)), -ENOENT);
	assert_int_equal(tt_usdt_file__open("/", &f, msg, sizeof(msg)), -EISDIR);
	free(copy);
	img_free(&im);
	tt_usdt_file__free(NULL);
}

/*
 * Every truncation of the reference image, and every single-byte corruption of its headers and
 * notes, must give a result or an error, never a crash or a read out of bounds (run under ASan).
 */
TT_TEST(usdt_notes, survives_truncation_and_corruption)
{
	struct img im;
	uint8_t *copy;
	size_t n;

	build_reference(&im);
	n = im.b.len;
	copy = malloc(n);
	assert_non_null(copy);
	for (size_t len = 0; len <= n; len++) {
		struct tt_usdt_file *f = NULL;
		char msg[256];
		int err = tt_usdt_file__open_mem(im.b.data, len, "t", &f, msg, sizeof(msg));

		assert_true(err == 0 || err == -TT_E_NOT_ELF || err == -TT_E_BAD_ELF);
		tt_usdt_file__free(f);
	}
	for (size_t pos = 0; pos < n; pos++) {
		static const uint8_t values[] = {0x00, 0xff, 0x7f, 0x80};

		if (pos >= 0x100 && pos < 0x300)
			continue; /* text and data contents: harmless */
		for (size_t v = 0; v < TT_ARRAY_SIZE(values); v++) {
			struct tt_usdt_file *f = NULL;
			char msg[256];
			int err;

			memcpy(copy, im.b.data, n);
			copy[pos] = values[v];
			err = tt_usdt_file__open_mem(copy, n, "t", &f, msg, sizeof(msg));
			assert_true(err == 0 || err == -TT_E_NOT_ELF || err == -TT_E_BAD_ELF);
			tt_usdt_file__free(f);
		}
	}
	free(copy);
	img_free(&im);
}
