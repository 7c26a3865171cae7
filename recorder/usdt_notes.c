/* SPDX-License-Identifier: MIT */
/*
 * USDT discovery (see usdt_notes.h): the ELF file is read whole (mmap), checked by hand before
 * libelf sees it (64-bit little-endian executables and shared libraries only), and walked with
 * libelf for its program headers, sections and symbols. Notes are decoded from raw section bytes
 * with every length checked, because the files come from anywhere: a malformed note section is
 * a clear error, never a read out of bounds. Argument specs are parsed by usdt_args.c; their
 * symbolic operands are resolved here, against .symtab and .dynsym.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_file.h" /* struct tt_elf_segs */
#include "go_probes.h"
#include "tt_error.h"
#include "tt_util.h"
#include "usdt_notes.h"

#define NT_STAPSDT 3
#define NT_TRACETAPE 1
#define TRACETAPE_NOTE_VERSION 1
#define TT_NOTE_FIXED_SZ 18 /* u64 pc, u64 names, u8 version, u8 argc */
#define MAX_NAME_LEN 255    /* longest argument name in a tracetape note */

struct tt_note_rec {
	uint64_t pc;        /* as written, before any .stapsdt.base adjustment */
	uint64_t names;     /* link-time address of the names, or 0 */
	uint8_t argc;
	const uint8_t *kinds;
};

struct ctx {
	const uint8_t *img;
	size_t img_sz;
	Elf *elf;
	struct tt_elf_segs segs; /* filesz cut to what the image holds; the TLS block's size */
	bool have_base;
	uint64_t base_addr;
	struct tt_note_rec *tnotes;
	size_t tnote_cnt, tnote_cap;
	uint64_t *raw_pcs; /* per site, for the join with tracetape notes */
	size_t site_cap;
	struct tt_usdt_file *file;
	char *errbuf;
	size_t errbuf_sz;
};

/* The file offset of vaddr if a PT_LOAD maps it from the file (not zero-filled memory). */
static bool vaddr_to_offset(const struct ctx *c, uint64_t vaddr, uint64_t *off)
{
	return tt_elf_segs_offset(&c->segs, vaddr, 1, off) == 0;
}

void tt_usdt_site_free(struct tt_usdt_site *s)
{
	free(s->provider);
	free(s->name);
	free(s->args_str);
	free(s->spec_msg);
	tt_usdt_args_free(s->args, s->argc);
	for (unsigned i = 0; i < TT_MAX_ARGS; i++)
		free(s->arg_names[i]);
}

void tt_usdt_file__free(struct tt_usdt_file *file)
{
	if (!file)
		return;
	for (size_t i = 0; i < file->site_cnt; i++)
		tt_usdt_site_free(&file->sites[i]);
	free(file->sites);
	free(file->path);
	free(file->build_id);
	free(file);
}

/* A NUL-terminated string inside [p, end): its length, or -1. */
static ssize_t bounded_strlen(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *z = memchr(p, 0, (size_t)(end - p));

	return z ? (ssize_t)(z - p) : -1;
}

static int add_stapsdt(struct ctx *c, const uint8_t *desc, size_t desc_sz)
{
	const uint8_t *end = desc + desc_sz, *p;
	struct tt_usdt_file *f = c->file;
	struct tt_usdt_site *s;
	uint64_t pc, base, sema;
	ssize_t plen, nlen, alen;
	char msg[200];

	if (desc_sz < 3 * 8 + 2) {
		tt_msgf(c->errbuf, c->errbuf_sz, "a stapsdt note is %zu bytes long, too short", desc_sz);
		return -TT_E_BAD_ELF;
	}
	pc = tt_get_le64(desc);
	base = tt_get_le64(desc + 8);
	sema = tt_get_le64(desc + 16);
	p = desc + 24;
	plen = bounded_strlen(p, end);
	nlen = plen >= 0 ? bounded_strlen(p + plen + 1, end) : -1;
	if (plen <= 0 || nlen <= 0) {
		tt_msgf(c->errbuf, c->errbuf_sz, "a stapsdt note at pc 0x%llx has no provider or name",
			(unsigned long long)pc);
		return -TT_E_BAD_ELF;
	}
	/* The argument string may be missing altogether in old notes: no arguments. */
	alen = p + plen + 1 + nlen + 1 < end ? bounded_strlen(p + plen + 1 + nlen + 1, end) : 0;
	if (alen < 0) {
		tt_msgf(c->errbuf, c->errbuf_sz, "the arguments of stapsdt note %.*s:%.*s are not terminated",
			(int)plen, (const char *)p, (int)nlen, (const char *)(p + plen + 1));
		return -TT_E_BAD_ELF;
	}

	if (f->site_cnt == c->site_cap) {
		size_t cap = c->site_cap ? c->site_cap * 2 : 64;
		struct tt_usdt_site *ns = realloc(f->sites, cap * sizeof(*ns));
		uint64_t *np;

		if (!ns)
			return -ENOMEM;
		f->sites = ns;
		np = realloc(c->raw_pcs, cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		c->raw_pcs = np;
		c->site_cap = cap;
	}
	s = &f->sites[f->site_cnt];
	memset(s, 0, sizeof(*s));
	c->raw_pcs[f->site_cnt] = pc;
	f->site_cnt++;

	s->provider = strndup((const char *)p, (size_t)plen);
	s->name = strndup((const char *)(p + plen + 1), (size_t)nlen);
	s->args_str = alen > 0 ? strndup((const char *)(p + plen + 1 + nlen + 1), (size_t)alen)
			       : strdup("");
	if (!s->provider || !s->name || !s->args_str)
		return -ENOMEM;

	/* Prelink moved the file if .stapsdt.base is not where the note says: shift by as much. */
	if (c->have_base && base) {
		pc += c->base_addr - base;
		if (sema)
			sema += c->base_addr - base;
	}
	s->pc_vaddr = pc;
	s->sema_vaddr = sema;
	if (!vaddr_to_offset(c, pc, &s->pc_offset)) {
		s->spec_err = -TT_E_BAD_ELF;
		snprintf(msg, sizeof(msg), "pc 0x%llx is outside every loadable segment",
			 (unsigned long long)pc);
	} else if (sema && !vaddr_to_offset(c, sema, &s->sema_offset)) {
		s->spec_err = -TT_E_BAD_ELF;
		snprintf(msg, sizeof(msg), "semaphore 0x%llx is outside the file-backed segments",
			 (unsigned long long)sema);
	} else {
		s->spec_err = tt_usdt_parse_args(s->args_str, s->args, &s->argc, msg, sizeof(msg));
	}
	if (s->spec_err) {
		s->spec_msg = strdup(msg);
		if (!s->spec_msg)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < s->argc; i++)
		s->kinds[i] = tt_usdt_arg_kind(&s->args[i]);
	return 0;
}

static int add_tracetape(struct ctx *c, const uint8_t *desc, size_t desc_sz)
{
	struct tt_note_rec *r;
	uint8_t argc;

	/* Unknown versions and short notes are skipped: a newer SDK must not break old readers. */
	if (desc_sz < TT_NOTE_FIXED_SZ || desc[16] != TRACETAPE_NOTE_VERSION)
		return 0;
	argc = desc[17];
	if (argc > TT_MAX_ARGS || desc_sz < (size_t)TT_NOTE_FIXED_SZ + argc)
		return 0;
	if (c->tnote_cnt == c->tnote_cap) {
		size_t cap = c->tnote_cap ? c->tnote_cap * 2 : 64;
		struct tt_note_rec *n = realloc(c->tnotes, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->tnotes = n;
		c->tnote_cap = cap;
	}
	r = &c->tnotes[c->tnote_cnt++];
	r->pc = tt_get_le64(desc);
	r->names = tt_get_le64(desc + 8);
	r->argc = argc;
	r->kinds = desc + TT_NOTE_FIXED_SZ;
	return 0;
}

static int set_build_id(struct ctx *c, const uint8_t *desc, size_t desc_sz)
{
	char *hex;

	if (c->file->build_id || desc_sz == 0 || desc_sz > 64)
		return 0;
	hex = malloc(desc_sz * 2 + 1);
	if (!hex)
		return -ENOMEM;
	for (size_t i = 0; i < desc_sz; i++)
		snprintf(hex + 2 * i, 3, "%02x", desc[i]);
	c->file->build_id = hex;
	return 0;
}

/*
 * Walk the notes of one SHT_NOTE section: namesz, descsz, type, then the name and the
 * descriptor, each padded to the section's alignment (4, or 8 for .note.gnu.property).
 * strict: a malformed note is an error (our sections) rather than the end of the walk.
 */
static int walk_notes(struct ctx *c, const uint8_t *data, size_t size, size_t align, bool strict,
		      const char *secname)
{
	size_t off = 0;
	int err;

	while (off < size) {
		uint32_t namesz, descsz, type;
		size_t name_pad, desc_pad;
		const uint8_t *name, *desc;

		if (size - off < 12)
			goto bad;
		namesz = tt_get_le32(data + off);
		descsz = tt_get_le32(data + off + 4);
		type = tt_get_le32(data + off + 8);
		off += 12;
		name_pad = ((size_t)namesz + align - 1) & ~(align - 1);
		desc_pad = ((size_t)descsz + align - 1) & ~(align - 1);
		if (name_pad > size - off)
			goto bad;
		name = data + off;
		off += name_pad;
		if (descsz > size - off)
			goto bad;
		desc = data + off;
		off += desc_pad < size - off ? desc_pad : size - off;

		if (namesz == 8 && !memcmp(name, "stapsdt", 8) && type == NT_STAPSDT)
			err = add_stapsdt(c, desc, descsz);
		else if (namesz == 10 && !memcmp(name, "tracetape", 10) && type == NT_TRACETAPE)
			err = add_tracetape(c, desc, descsz);
		else if (namesz == 4 && !memcmp(name, "GNU", 4) && type == NT_GNU_BUILD_ID)
			err = set_build_id(c, desc, descsz);
		else
			err = 0;
		if (err)
			return err;
	}
	return 0;
bad:
	if (!strict)
		return 0;
	tt_msgf(c->errbuf, c->errbuf_sz, "section %s: a note at offset %zu overruns the section",
		secname, off);
	return -TT_E_BAD_ELF;
}

static int cmp_tnote(const void *a, const void *b)
{
	const struct tt_note_rec *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/*
 * The argument names of a tracetape note: argc NUL-terminated strings at a link-time address.
 * Anything that does not map into the file, runs off its segment or holds unprintable bytes
 * means "no names" (the object may have been dropped by the linker or the note be foreign).
 */
static int read_names(const struct ctx *c, const struct tt_note_rec *r, struct tt_usdt_site *s)
{
	char *expr[TT_MAX_ARGS] = {0};
	const struct tt_elf_seg *seg;
	const uint8_t *p, *end;
	size_t i, readable = 0;

	seg = r->names ? tt_elf_seg_find(c->segs.v, c->segs.cnt, r->names, 1) : NULL;
	if (!seg)
		return 0;
	/* segments are cut to the image when parsed: the whole of seg lies inside it */
	p = c->img + (r->names - seg->vaddr + seg->offset);
	end = c->img + seg->offset + seg->filesz;

	for (i = 0; i < r->argc; i++) {
		ssize_t len = bounded_strlen(p, end);
		bool ok = len <= MAX_NAME_LEN;

		if (len < 0)
			return 0; /* runs past the segment: nothing here is a name list */
		for (ssize_t j = 0; ok && j < len; j++)
			ok = p[j] >= 0x20 && p[j] <= 0x7e;
		/* A long or non-ASCII expression (a string literal) names no column; the others do. */
		expr[i] = ok ? (char *)p : NULL;
		readable += ok;
		p += len + 1;
	}
	if (!readable)
		return 0; /* not argument expressions at all (the linker dropped the object) */
	for (i = 0; i < r->argc; i++) {
		char *name = expr[i] ? tt_usdt_column_name(expr[i]) : NULL;
		bool clash = !name;

		/* Column names must be unique and must not shadow another argument's argN. */
		for (size_t j = 0; name && j < i; j++)
			if (s->arg_names[j] && !strcmp(s->arg_names[j], name))
				clash = true;
		if (name && !strncmp(name, "arg", 3) && name[3]) {
			char want[8];

			snprintf(want, sizeof(want), "arg%zu", i);
			if (strspn(name + 3, "0123456789") == strlen(name + 3) && strcmp(name, want))
				clash = true;
		}
		if (clash) {
			free(name);
			continue;
		}
		s->arg_names[i] = name;
	}
	return 0;
}

static int join_types(struct ctx *c)
{
	struct tt_usdt_file *f = c->file;
	int err;

	if (!c->tnote_cnt)
		return 0;
	qsort(c->tnotes, c->tnote_cnt, sizeof(*c->tnotes), cmp_tnote);
	for (size_t i = 0; i < f->site_cnt; i++) {
		struct tt_usdt_site *s = &f->sites[i];
		struct tt_note_rec key = {.pc = c->raw_pcs[i]};
		const struct tt_note_rec *r;

		r = bsearch(&key, c->tnotes, c->tnote_cnt, sizeof(key), cmp_tnote);
		if (!r || s->spec_err || r->argc != s->argc)
			continue;
		s->has_types = 1;
		memcpy(s->kinds, r->kinds, r->argc);
		err = read_names(c, r, s);
		if (err)
			return err;
	}
	return 0;
}

/* ---- symbols of symbolic operands ---- */

struct want {
	const char *name;
	struct tt_usdt_arg *arg;
	int state;       /* 0 unknown, 1 found, 2 ambiguous */
	bool settled;    /* decided by .symtab: .dynsym does not change it */
	bool global;
	uint64_t value;
};

static int cmp_want(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->name, ((const struct want *)b)->name);
}

static void scan_symtab(struct ctx *c, Elf_Scn *scn, const GElf_Shdr *sh, struct want *w, size_t n)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t cnt;

	if (!data || !sh->sh_entsize)
		return;
	cnt = sh->sh_size / sh->sh_entsize;
	for (size_t i = 1; i < cnt; i++) {
		GElf_Sym sym;
		const char *name;
		struct want key, *hit;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(sym.st_info) == STT_SECTION || GELF_ST_TYPE(sym.st_info) == STT_FILE)
			continue;
		name = elf_strptr(c->elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		key.name = name;
		hit = bsearch(&key, w, n, sizeof(*w), cmp_want);
		if (!hit)
			continue;
		while (hit > w && !strcmp(hit[-1].name, name))
			hit--;
		for (; hit < w + n && !strcmp(hit->name, name); hit++) {
			bool global = GELF_ST_BIND(sym.st_info) != STB_LOCAL;

			/* sym@tpoff names a thread-local variable, any other operand an address */
			if (hit->settled || (GELF_ST_TYPE(sym.st_info) == STT_TLS) != hit->arg->tpoff)
				continue;
			if (hit->state == 0 || (global && !hit->global)) {
				hit->state = 1;
				hit->global = global;
				hit->value = sym.st_value;
			} else if (!global && !hit->global && hit->value != sym.st_value) {
				hit->state = 2; /* two static variables of that name */
			}
		}
	}
}

/* Resolve every symbolic operand against .symtab, then .dynsym for what .symtab lacks. */
static int resolve_symbols(struct ctx *c)
{
	struct tt_usdt_file *f = c->file;
	struct want *w = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < f->site_cnt; i++)
		for (unsigned a = 0; a < f->sites[i].argc; a++) {
			struct tt_usdt_arg *arg = &f->sites[i].args[a];

			if (!arg->sym)
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct want *nw = realloc(w, nc * sizeof(*nw));

				if (!nw) {
					free(w);
					return -ENOMEM;
				}
				w = nw;
				cap = nc;
			}
			w[n++] = (struct want){.name = arg->sym, .arg = arg};
		}
	if (!n)
		return 0;
	qsort(w, n, sizeof(*w), cmp_want);
	for (int pass = 0; pass < 2; pass++) {
		Elf_Scn *scn = NULL;
		Elf64_Word want_type = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;

		while ((scn = elf_nextscn(c->elf, scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) && sh.sh_type == want_type)
				scan_symtab(c, scn, &sh, w, n);
		}
		for (size_t i = 0; i < n; i++) /* .dynsym only for what .symtab did not settle */
			w[i].settled = w[i].state != 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct tt_usdt_arg *arg = w[i].arg;

		if (w[i].state != 1 || (arg->tpoff && !c->segs.tls_size))
			continue;
		arg->sym_found = 1;
		arg->sym_vaddr = w[i].value + (uint64_t)arg->value;
		/* sym@tpoff: its offset in the TLS image, minus the block's size */
		if (arg->tpoff)
			arg->sym_vaddr -= c->segs.tls_size;
	}
	free(w);
	return 0;
}

static int parse_image(struct ctx *c)
{
	const uint8_t *img = c->img;
	GElf_Ehdr eh;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	int err;

	if (c->img_sz < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG)) {
		tt_msgf(c->errbuf, c->errbuf_sz, "not an ELF file");
		return -TT_E_NOT_ELF;
	}
	if (img[EI_CLASS] != ELFCLASS64 || img[EI_DATA] != ELFDATA2LSB) {
		tt_msgf(c->errbuf, c->errbuf_sz, "only 64-bit little-endian ELF files are supported");
		return -TT_E_BAD_ELF;
	}
	if (c->img_sz < sizeof(Elf64_Ehdr)) {
		tt_msgf(c->errbuf, c->errbuf_sz, "truncated ELF header");
		return -TT_E_BAD_ELF;
	}
	elf_version(EV_CURRENT);
	c->elf = elf_memory((char *)img, c->img_sz);
	if (!c->elf || elf_kind(c->elf) != ELF_K_ELF || !gelf_getehdr(c->elf, &eh)) {
		tt_msgf(c->errbuf, c->errbuf_sz, "malformed ELF file: %s", elf_errmsg(-1));
		return -TT_E_BAD_ELF;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		tt_msgf(c->errbuf, c->errbuf_sz, "not an executable or shared library (ELF type %u)",
			(unsigned)eh.e_type);
		return -TT_E_BAD_ELF;
	}
	c->file->e_type = eh.e_type;
	if (elf_getshdrstrndx(c->elf, &shstrndx)) {
		tt_msgf(c->errbuf, c->errbuf_sz, "malformed ELF headers: %s", elf_errmsg(-1));
		return -TT_E_BAD_ELF;
	}
	/* A segment claiming bytes beyond the file maps only what the file holds. */
	err = tt_elf_segs_load(c->elf, c->img_sz, &c->segs);
	if (err == -TT_E_BAD_ELF)
		tt_msgf(c->errbuf, c->errbuf_sz, "malformed program headers: %s", elf_errmsg(-1));
	if (err)
		return err;
	/* First .stapsdt.base (needed by the notes), then the notes, in section order. */
	while ((scn = elf_nextscn(c->elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(c->elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".stapsdt.base") && sh.sh_type != SHT_NOBITS) {
			c->have_base = true;
			c->base_addr = sh.sh_addr;
		}
	}
	while ((scn = elf_nextscn(c->elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		bool ours;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(c->elf, shstrndx, sh.sh_name);
		if (!name)
			name = "?";
		ours = !strcmp(name, ".note.stapsdt") || !strcmp(name, ".note.tracetape");
		if (sh.sh_offset > c->img_sz || sh.sh_size > c->img_sz - sh.sh_offset) {
			if (!ours)
				continue;
			tt_msgf(c->errbuf, c->errbuf_sz, "section %s lies outside the file", name);
			return -TT_E_BAD_ELF;
		}
		err = walk_notes(c, img + sh.sh_offset, sh.sh_size, sh.sh_addralign == 8 ? 8 : 4, ours,
				 name);
		if (err)
			return err;
	}
	err = join_types(c);
	if (!err)
		err = resolve_symbols(c);
	if (!err) /* probes of Go packages made by `tracetape gen-go`: sites like the notes' */
		err = tt_go_probes_scan(img, c->img_sz, c->elf, &c->segs, c->file, c->errbuf,
					c->errbuf_sz);
	return err;
}

static int open_image(const uint8_t *img, size_t img_sz, const char *path, struct tt_usdt_file **file,
		      char *errbuf, size_t errbuf_sz)
{
	struct ctx c = {.img = img, .img_sz = img_sz, .errbuf = errbuf, .errbuf_sz = errbuf_sz};
	int err;

	*file = NULL;
	c.file = calloc(1, sizeof(*c.file));
	if (!c.file)
		return -ENOMEM;
	c.file->path = strdup(path);
	if (!c.file->path) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = parse_image(&c);
	if (err == -ENOMEM)
		tt_msgf(errbuf, errbuf_sz, "out of memory");
	if (!err) {
		*file = c.file;
		c.file = NULL;
	}
cleanup:
	if (c.elf)
		elf_end(c.elf);
	tt_elf_segs_free(&c.segs);
	free(c.tnotes);
	free(c.raw_pcs);
	tt_usdt_file__free(c.file);
	return err;
}

int tt_usdt_file__open_mem(const void *image, size_t image_sz, const char *path,
			   struct tt_usdt_file **file, char *errbuf, size_t errbuf_sz)
{
	uint8_t *copy;
	int err;

	/* libelf wants a writable image; a private copy keeps the caller's buffer untouched. */
	copy = malloc(image_sz ? image_sz : 1);
	if (!copy) {
		tt_msgf(errbuf, errbuf_sz, "out of memory");
		*file = NULL;
		return -ENOMEM;
	}
	memcpy(copy, image, image_sz);
	err = open_image(copy, image_sz, path, file, errbuf, errbuf_sz);
	free(copy);
	return err;
}

int tt_usdt_file__open(const char *path, struct tt_usdt_file **file, char *errbuf, size_t errbuf_sz)
{
	void *map = MAP_FAILED;
	struct stat st;
	int fd, err;

	*file = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		tt_msgf(errbuf, errbuf_sz, "%s", strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		tt_msgf(errbuf, errbuf_sz, "%s", strerror(-err));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -TT_E_NOT_ELF;
		tt_msgf(errbuf, errbuf_sz, "%s", S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		goto cleanup;
	}
	if (st.st_size < EI_NIDENT) {
		err = -TT_E_NOT_ELF;
		tt_msgf(errbuf, errbuf_sz, "not an ELF file");
		goto cleanup;
	}
	/* Private and writable: libelf may touch the image; the file never changes. */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		tt_msgf(errbuf, errbuf_sz, "mmap: %s", strerror(-err));
		goto cleanup;
	}
	err = open_image(map, (size_t)st.st_size, path, file, errbuf, errbuf_sz);
cleanup:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	close(fd);
	return err;
}
