/* SPDX-License-Identifier: MIT */
/*
 * Go binary analysis (see go_binary.h): the function index (.symtab, else the pclntab, read by
 * go_pclntab.c), the Go version (.go.buildinfo), the goroutine-id offset (DWARF runtime.g), and
 * per function the probe sites (prologue and RETs by capstone linear sweep) and the ABIInternal
 * locations of parameters and results (go_abi.c). Every offset and length read from the file is
 * checked against the image before use: a malformed file yields an error, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <capstone/capstone.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include "elf_file.h" /* struct tt_elf_segs */
#include "go_abi.h"
#include "go_binary.h"
#include "tt_go_pclntab.h"
#include "tt_error.h"
#include "tt_util.h"

#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_HDR_SZ 32
#define BUILDINFO_FLAG_INLINE 0x2 /* Go 1.18+: varint-prefixed strings follow the header */
#define VERSION_MAX_LEN 128
#define PTR_SZ 8u /* amd64 */

/* Instructions examined for the stack-check prologue. The largest form seen (ABI0 assembly with a
 * huge frame) takes six: mov %fs:-8,%rcx; mov %rsp,%r12; sub $N,%r12; jb; cmp; jbe. Go code uses
 * at most five. */
#define PROLOGUE_INSN_MAX 8
/* runtime.g.stackguard0: the word the prologue compares the stack pointer against. */
#define G_STACKGUARD0_OFF 0x10

struct func_ent {
	const char *name; /* borrowed: ELF string table or the pclntab in the image */
	uint64_t vaddr;
	uint64_t size;
};

struct pcln_ent {
	uint64_t vaddr;
	int32_t args; /* _func.args: the argument frame size, or TT_GO_PCLN_ARGS_UNKNOWN */
};

struct dwarf_sub {
	uint64_t lowpc;
	Dwarf_Off die_off;
};

struct tt_go_binary {
	int fd;
	Elf *elf;
	const uint8_t *image; /* the whole file, read by libelf */
	size_t image_sz;
	struct tt_elf_segs segs; /* PT_LOAD segments, cut to the image */
	char *version;        /* "go1.19.8", or NULL */
	bool stripped;        /* no .symtab: funcs come from the pclntab */
	struct func_ent *funcs; /* sorted by vaddr */
	size_t func_cnt;
	size_t *by_name;      /* indexes into funcs, sorted by name */
	struct pcln_ent *pcln; /* sorted by vaddr */
	size_t pcln_cnt;
	Dwarf *dwarf;         /* NULL without DWARF */
	struct dwarf_sub *subs; /* concrete subprograms, sorted by lowpc */
	size_t sub_cnt;
	const char **inlined; /* names of abstract (inlined) subprograms, sorted; borrowed from libdw */
	size_t inlined_cnt;
	bool goid_from_dwarf;
	uint32_t goid_dwarf_off;
	csh cs;
	bool cs_open;
};

/* ---- ELF helpers ---- */

/*
 * File offset of [vaddr, vaddr + len) when the whole range is backed by one PT_LOAD segment's
 * file bytes and lies inside the image. Returns 0 and sets *off, or -TT_E_BAD_ELF.
 */
static int vaddr_to_off(const struct tt_go_binary *bin, uint64_t vaddr, uint64_t len, uint64_t *off)
{
	return tt_elf_segs_offset(&bin->segs, vaddr, len, off) ? -TT_E_BAD_ELF : 0;
}

static bool vaddr_is_exec(const struct tt_go_binary *bin, uint64_t vaddr)
{
	const struct tt_elf_seg *seg = tt_elf_seg_find(bin->segs.v, bin->segs.cnt, vaddr, 1);

	return seg && (seg->flags & PF_X);
}

/* A section's bytes in the image, or NULL when absent, compressed, or out of bounds. */
static const uint8_t *section_bytes(const struct tt_go_binary *bin, const char *name,
				    GElf_Shdr *shdr_out, size_t *sz)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(bin->elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(bin->elf, scn))) {
		GElf_Shdr shdr;
		const char *n;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		n = elf_strptr(bin->elf, shstrndx, shdr.sh_name);
		if (!n || strcmp(n, name))
			continue;
		if (shdr.sh_type == SHT_NOBITS || (shdr.sh_flags & SHF_COMPRESSED))
			return NULL;
		if (shdr.sh_offset > bin->image_sz || shdr.sh_size > bin->image_sz - shdr.sh_offset)
			return NULL;
		if (shdr_out)
			*shdr_out = shdr;
		*sz = shdr.sh_size;
		return bin->image + shdr.sh_offset;
	}
	return NULL;
}

static Elf_Scn *find_section_type(Elf *elf, uint32_t type, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, shdr) && shdr->sh_type == type)
			return scn;
	return NULL;
}

/* ---- version ---- */

/* Copy a version string of len bytes, which must be printable ASCII. */
static char *version_dup(const uint8_t *p, uint64_t len)
{
	if (len == 0 || len > VERSION_MAX_LEN)
		return NULL;
	for (uint64_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return NULL;
	return strndup((const char *)p, len);
}

/* Read a Go string header (ptr, len) at vaddr and copy what it points to. */
static char *read_go_string(const struct tt_go_binary *bin, uint64_t vaddr)
{
	uint64_t off, str_vaddr, len;

	if (vaddr_to_off(bin, vaddr, 16, &off))
		return NULL;
	str_vaddr = tt_get_le64(bin->image + off);
	len = tt_get_le64(bin->image + off + 8);
	if (len == 0 || len > VERSION_MAX_LEN || vaddr_to_off(bin, str_vaddr, len, &off))
		return NULL;
	return version_dup(bin->image + off, len);
}

/*
 * .go.buildinfo: a 32-byte header (magic, pointer size, flags). From Go 1.18 the version and
 * module info follow inline as varint-prefixed strings; before, two pointers at offset 16 and
 * 16 + ptrsize point at Go string headers.
 */
static char *buildinfo_version(const struct tt_go_binary *bin)
{
	size_t sz;
	const uint8_t *d = section_bytes(bin, ".go.buildinfo", NULL, &sz);
	const uint8_t *p, *end;
	uint64_t len;

	if (!d || sz < BUILDINFO_HDR_SZ || memcmp(d, BUILDINFO_MAGIC, 14))
		return NULL;
	if (d[15] & BUILDINFO_FLAG_INLINE) {
		p = d + BUILDINFO_HDR_SZ;
		end = d + sz;
		if (tt_varint_get(&p, end, &len) || len > (uint64_t)(end - p))
			return NULL;
		return version_dup(p, len);
	}
	if (d[14] != PTR_SZ || (d[15] & 0x1)) /* 64-bit little-endian only */
		return NULL;
	return read_go_string(bin, tt_get_le64(d + 16));
}

/* The minor version of "go1.N..." anywhere in v ("devel go1.22-..." too), or -1. */
static int go_minor(const char *v)
{
	const char *p = v ? strstr(v, "go1.") : NULL;
	long n = 0;

	if (!p || p[4] < '0' || p[4] > '9')
		return -1;
	for (p += 4; *p >= '0' && *p <= '9' && n < 1000; p++)
		n = n * 10 + (*p - '0');
	return (int)n;
}

/* ---- function index ---- */

static int cmp_func_vaddr(const void *a, const void *b)
{
	const struct func_ent *x = a, *y = b;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_by_name(const void *a, const void *b, void *funcs)
{
	const struct func_ent *x = (const struct func_ent *)funcs + *(const size_t *)a;
	const struct func_ent *y = (const struct func_ent *)funcs + *(const size_t *)b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int funcs_push(struct tt_go_binary *bin, size_t *cap, const char *name, uint64_t vaddr,
		      uint64_t size)
{
	if (bin->func_cnt == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		struct func_ent *n = realloc(bin->funcs, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		bin->funcs = n;
		*cap = ncap;
	}
	bin->funcs[bin->func_cnt++] = (struct func_ent){.name = name, .vaddr = vaddr, .size = size};
	return 0;
}

/*
 * Function symbols from .symtab: STT_FUNC with a size, in an executable segment. Also notes
 * runtime.buildVersion for the version fallback. Returns 0 (with *found false when there is no
 * .symtab) or a negative error.
 */
static int load_symtab(struct tt_go_binary *bin, bool *found, uint64_t *build_version_vaddr)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section_type(bin->elf, SHT_SYMTAB, &shdr);
	Elf_Data *data;
	size_t cap = 0, n;

	*found = false;
	*build_version_vaddr = 0;
	if (!scn)
		return 0;
	data = elf_getdata(scn, NULL);
	if (!data || !shdr.sh_entsize)
		return -TT_E_BAD_ELF;
	*found = true;
	n = shdr.sh_size / shdr.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int err;

		if (!gelf_getsym(data, (int)i, &sym))
			return -TT_E_BAD_ELF;
		name = elf_strptr(bin->elf, shdr.sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		if (GELF_ST_TYPE(sym.st_info) == STT_OBJECT && !strcmp(name, "runtime.buildVersion"))
			*build_version_vaddr = sym.st_value;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_size || !vaddr_is_exec(bin, sym.st_value))
			continue;
		err = funcs_push(bin, &cap, name, sym.st_value, sym.st_size);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The pclntab (tt_go_pclntab.h): every function's entry and argument frame size into bin->pcln and,
 * when want_funcs (a stripped binary), the function list into bin->funcs.
 */
static int load_pclntab(struct tt_go_binary *bin, bool want_funcs, char *errbuf, size_t errbuf_sz)
{
	GElf_Shdr shdr;
	size_t sz = 0, text_sz = 0, cap = 0;
	const uint8_t *d = section_bytes(bin, ".gopclntab", &shdr, &sz);
	uint64_t text_addr;
	struct tt_go_pclntab t;
	int err;

	if (!d)
		d = section_bytes(bin, ".data.rel.ro.gopclntab", &shdr, &sz); /* PIE, external link */
	if (!d) {
		tt_msgf(errbuf, errbuf_sz, "no .gopclntab section");
		return -TT_E_BAD_ELF;
	}
	text_addr = section_bytes(bin, ".text", &shdr, &text_sz) ? shdr.sh_addr : 0;
	err = tt_go_pclntab_open(&t, d, sz, &bin->segs, text_addr, errbuf, errbuf_sz);
	if (err)
		return err;
	bin->pcln = calloc(t.nfunc ? t.nfunc : 1, sizeof(*bin->pcln));
	if (!bin->pcln)
		return -ENOMEM;
	for (uint64_t i = 0; i < t.nfunc; i++) {
		struct tt_go_pcln_func f;

		err = tt_go_pclntab_func(&t, i, want_funcs, &f, errbuf, errbuf_sz);
		if (err)
			return err;
		bin->pcln[i].vaddr = f.vaddr;
		bin->pcln[i].args = f.args;
		if (want_funcs && (err = funcs_push(bin, &cap, f.name, f.vaddr, f.size)) != 0)
			return err;
	}
	bin->pcln_cnt = t.nfunc;
	return 0;
}

static const struct pcln_ent *pcln_find(const struct tt_go_binary *bin, uint64_t vaddr)
{
	size_t lo = 0, hi = bin->pcln_cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bin->pcln[mid].vaddr == vaddr)
			return &bin->pcln[mid];
		if (bin->pcln[mid].vaddr < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- DWARF index ---- */

static int cmp_sub(const void *a, const void *b)
{
	const struct dwarf_sub *x = a, *y = b;

	return x->lowpc < y->lowpc ? -1 : x->lowpc > y->lowpc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int grow(void **p, size_t *cap, size_t cnt, size_t elem_sz)
{
	if (cnt < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 256;
	void *n = realloc(*p, ncap * elem_sz);

	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

static void find_goid(struct tt_go_binary *bin, Dwarf_Die *g)
{
	Dwarf_Die m;
	uint64_t off;

	if (dwarf_child(g, &m) != 0)
		return;
	do {
		const char *n = dwarf_diename(&m);

		if (dwarf_tag(&m) == DW_TAG_member && n && !strcmp(n, "goid") &&
		    tt_go_die_member_offset(&m, &off) && off < 4096) {
			bin->goid_from_dwarf = true;
			bin->goid_dwarf_off = (uint32_t)off;
			return;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
}

/*
 * One pass over the top-level DIEs of every unit: concrete subprograms by low_pc, names of
 * abstract (inlined) subprograms, and runtime.g's goid member.
 */
static int index_dwarf(struct tt_go_binary *bin)
{
	Dwarf_Off off = 0, next;
	size_t hsize, sub_cap = 0, inl_cap = 0;
	int err;

	while (dwarf_nextcu(bin->dwarf, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, d;

		if (!dwarf_offdie(bin->dwarf, off + hsize, &cu) || dwarf_child(&cu, &d) != 0) {
			off = next;
			continue;
		}
		do {
			int tag = dwarf_tag(&d);
			Dwarf_Addr lo;

			if (tag == DW_TAG_subprogram && dwarf_lowpc(&d, &lo) == 0) {
				err = grow((void **)&bin->subs, &sub_cap, bin->sub_cnt, sizeof(*bin->subs));
				if (err)
					return err;
				bin->subs[bin->sub_cnt++] = (struct dwarf_sub){lo, dwarf_dieoffset(&d)};
			} else if (tag == DW_TAG_subprogram && dwarf_hasattr(&d, DW_AT_inline)) {
				const char *n = dwarf_diename(&d);

				if (!n)
					continue;
				err = grow((void **)&bin->inlined, &inl_cap, bin->inlined_cnt,
					   sizeof(*bin->inlined));
				if (err)
					return err;
				bin->inlined[bin->inlined_cnt++] = n;
			} else if (tag == DW_TAG_structure_type && !bin->goid_from_dwarf) {
				const char *n = dwarf_diename(&d);

				if (n && !strcmp(n, "runtime.g"))
					find_goid(bin, &d);
			}
		} while (dwarf_siblingof(&d, &d) == 0);
		off = next;
	}
	if (bin->sub_cnt)
		qsort(bin->subs, bin->sub_cnt, sizeof(*bin->subs), cmp_sub);
	if (bin->inlined_cnt)
		qsort(bin->inlined, bin->inlined_cnt, sizeof(*bin->inlined), cmp_str);
	return 0;
}

static bool sub_find(const struct tt_go_binary *bin, uint64_t lowpc, Dwarf_Die *die)
{
	size_t lo = 0, hi = bin->sub_cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bin->subs[mid].lowpc == lowpc)
			return dwarf_offdie(bin->dwarf, bin->subs[mid].die_off, die) != NULL;
		if (bin->subs[mid].lowpc < lowpc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* ---- open / free ---- */

struct tt_go_binary *tt_go_binary__open(const char *path, char *errbuf, size_t errbuf_sz)
{
	struct tt_go_binary *bin = NULL;
	GElf_Ehdr ehdr;
	size_t phnum, sz;
	bool has_symtab = false, is_go;
	uint64_t bv_vaddr = 0;
	int err = 0;

	tt_msgf(errbuf, errbuf_sz, "%s", "");
	bin = calloc(1, sizeof(*bin));
	if (!bin) {
		err = -ENOMEM;
		goto cleanup;
	}
	bin->fd = -1;
	bin->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (bin->fd < 0) {
		err = -errno;
		tt_msgf(errbuf, errbuf_sz, "cannot open %s: %s", path, strerror(-err));
		goto cleanup;
	}
	elf_version(EV_CURRENT);
	/*
	 * Read the file, do not map it: while any tracer has uprobes on this binary, the kernel
	 * writes its int3 breakpoints into every private mapping of the file that may execute,
	 * read-only ones included, and the disassembly would see int3 instead of the code.
	 */
	bin->elf = elf_begin(bin->fd, ELF_C_READ, NULL);
	if (!bin->elf || elf_kind(bin->elf) != ELF_K_ELF) {
		err = -TT_E_NOT_ELF;
		tt_msgf(errbuf, errbuf_sz, "%s is not an ELF file", path);
		goto cleanup;
	}
	if (!gelf_getehdr(bin->elf, &ehdr) || elf_getphdrnum(bin->elf, &phnum) != 0) {
		err = -TT_E_BAD_ELF;
		tt_msgf(errbuf, errbuf_sz, "%s: unreadable ELF headers", path);
		goto cleanup;
	}
	if (gelf_getclass(bin->elf) != ELFCLASS64 || ehdr.e_machine != EM_X86_64) {
		err = -ENOTSUP;
		tt_msgf(errbuf, errbuf_sz, "%s: only x86-64 Go binaries are supported", path);
		goto cleanup;
	}
	bin->image = (const uint8_t *)elf_rawfile(bin->elf, &sz);
	bin->image_sz = sz;
	if (!bin->image) {
		err = -TT_E_BAD_ELF;
		tt_msgf(errbuf, errbuf_sz, "%s: unreadable ELF file", path);
		goto cleanup;
	}
	/* cut to the image: an offset found through the segments is one the image holds */
	err = tt_elf_segs_load(bin->elf, sz, &bin->segs);
	if (err) {
		tt_msgf(errbuf, errbuf_sz, "%s: unreadable program headers", path);
		goto cleanup;
	}

	/* Go metadata: any of these sections makes it a Go binary. */
	is_go = section_bytes(bin, ".go.buildinfo", NULL, &sz) ||
		section_bytes(bin, ".gopclntab", NULL, &sz) ||
		section_bytes(bin, ".data.rel.ro.gopclntab", NULL, &sz) ||
		section_bytes(bin, ".note.go.buildid", NULL, &sz);
	if (!is_go) {
		err = -TT_E_NOT_GO;
		tt_msgf(errbuf, errbuf_sz, "%s is not a Go binary (no Go build info or pclntab)", path);
		goto cleanup;
	}

	err = load_symtab(bin, &has_symtab, &bv_vaddr);
	if (err) {
		tt_msgf(errbuf, errbuf_sz, "%s: malformed symbol table", path);
		goto cleanup;
	}
	bin->stripped = !has_symtab;
	/*
	 * The pclntab gives the functions of a stripped binary, and each function's argument frame
	 * size, which checks the DWARF signatures. With a .symtab, a pclntab we cannot read only
	 * loses that check.
	 */
	err = load_pclntab(bin, bin->stripped, errbuf, errbuf_sz);
	if (err && bin->stripped) {
		char reason[160];

		snprintf(reason, sizeof(reason), "%s", errbuf ? errbuf : "bad pclntab");
		tt_msgf(errbuf, errbuf_sz, "%s: stripped, and %s", path, reason);
		goto cleanup;
	}
	if (err == -ENOMEM)
		goto cleanup;
	if (err) {
		free(bin->pcln);
		bin->pcln = NULL;
		bin->pcln_cnt = 0;
		tt_msgf(errbuf, errbuf_sz, "%s", "");
		err = 0;
	}

	if (bin->func_cnt) {
		qsort(bin->funcs, bin->func_cnt, sizeof(*bin->funcs), cmp_func_vaddr);
		bin->by_name = malloc(bin->func_cnt * sizeof(*bin->by_name));
		if (!bin->by_name) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t i = 0; i < bin->func_cnt; i++)
			bin->by_name[i] = i;
		qsort_r(bin->by_name, bin->func_cnt, sizeof(*bin->by_name), cmp_by_name, bin->funcs);
	}

	bin->version = buildinfo_version(bin);
	if (!bin->version && bv_vaddr)
		bin->version = read_go_string(bin, bv_vaddr);

	bin->dwarf = dwarf_begin_elf(bin->elf, DWARF_C_READ, NULL);
	if (bin->dwarf) {
		err = index_dwarf(bin);
		if (err)
			goto cleanup;
	}

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &bin->cs) != CS_ERR_OK) {
		err = -ENOMEM;
		tt_msgf(errbuf, errbuf_sz, "cannot start the disassembler");
		goto cleanup;
	}
	bin->cs_open = true;
	if (cs_option(bin->cs, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
		err = -ENOMEM;
		goto cleanup;
	}

cleanup:
	if (err) {
		if (err == -ENOMEM && errbuf && !*errbuf)
			tt_msgf(errbuf, errbuf_sz, "out of memory");
		tt_go_binary__free(bin);
		errno = -err;
		return NULL;
	}
	return bin;
}

void tt_go_binary__free(struct tt_go_binary *bin)
{
	if (!bin)
		return;
	if (bin->cs_open)
		cs_close(&bin->cs);
	if (bin->dwarf)
		dwarf_end(bin->dwarf);
	free(bin->subs);
	free(bin->inlined);
	free(bin->pcln);
	free(bin->by_name);
	free(bin->funcs);
	free(bin->version);
	tt_elf_segs_free(&bin->segs);
	if (bin->elf)
		elf_end(bin->elf);
	if (bin->fd >= 0)
		close(bin->fd);
	free(bin);
}

const char *tt_go_binary__version(const struct tt_go_binary *bin)
{
	return bin->version;
}

int tt_go_binary__is_stripped(const struct tt_go_binary *bin)
{
	return bin->stripped;
}

int tt_go_binary__has_dwarf(const struct tt_go_binary *bin)
{
	return bin->dwarf != NULL;
}

int tt_go_binary__goid_offset(const struct tt_go_binary *bin, uint32_t *off_bytes,
			      enum tt_go_goid_source *source)
{
	int minor;

	if (bin->goid_from_dwarf) {
		*off_bytes = bin->goid_dwarf_off;
		if (source)
			*source = TT_GO_GOID_DWARF;
		return 0;
	}
	/*
	 * runtime.g grew syscallbp in 1.23 (goid 152 -> 160) and lost gobuf.ret in 1.25 (back to
	 * 152); see ../shared/notes/bpf-facts.md 5.2.
	 */
	minor = go_minor(bin->version);
	if (minor < 13)
		return -ENOENT;
	*off_bytes = (minor >= 23 && minor <= 24) ? 160 : 152;
	if (source)
		*source = TT_GO_GOID_TABLE;
	return 0;
}

int tt_go_binary__for_each_func(const struct tt_go_binary *bin, const char *glob, tt_go_sym_cb cb,
				void *ctx)
{
	for (size_t i = 0; i < bin->func_cnt; i++) {
		const struct func_ent *f = &bin->funcs[i];
		struct tt_go_sym sym = {.name = f->name, .vaddr = f->vaddr, .size = f->size};
		uint64_t off;
		int ret;

		if (glob && !tt_glob_match(glob, f->name))
			continue;
		if (vaddr_to_off(bin, f->vaddr, 1, &off))
			continue; /* not backed by the file: nothing to probe */
		sym.offset = off;
		ret = cb(&sym, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct func_ent *func_by_name(const struct tt_go_binary *bin, const char *name)
{
	size_t lo = 0, hi = bin->func_cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct func_ent *f = &bin->funcs[bin->by_name[mid]];
		int c = strcmp(name, f->name);

		if (!c) {
			/* the lowest address among equal names: the first such index */
			while (mid > 0 && !strcmp(bin->funcs[bin->by_name[mid - 1]].name, name))
				mid--;
			return &bin->funcs[bin->by_name[mid]];
		}
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool is_inlined_name(const struct tt_go_binary *bin, const char *name)
{
	return bin->inlined_cnt &&
	       bsearch(&name, bin->inlined, bin->inlined_cnt, sizeof(*bin->inlined), cmp_str);
}

size_t tt_go_binary__inlined_only(const struct tt_go_binary *bin, const char *glob,
				  const char **example)
{
	size_t cnt = 0;

	*example = NULL;
	for (size_t i = 0; i < bin->inlined_cnt; i++) {
		const char *n = bin->inlined[i];

		/* equal names are adjacent (sorted); one with code of its own is probed, not lost */
		if ((i && !strcmp(n, bin->inlined[i - 1])) || (glob && !tt_glob_match(glob, n)) ||
		    func_by_name(bin, n))
			continue;
		if (!cnt++)
			*example = n;
	}
	return cnt;
}

/* ---- disassembly: prologue and RETs ---- */

static bool op_is_reg(const cs_x86_op *op, x86_reg reg)
{
	return op->type == X86_OP_REG && op->reg == reg;
}

/*
 * Recognise the stack-check prologue at the start of insns and return the address right after
 * its `jbe` (0 when there is none). The forms cmd/internal/obj/x86 emits:
 *   cmp 0x10(%r14),%rsp; jbe T                              (small frames)
 *   lea -N(%rsp),%r12; cmp 0x10(%r14),%r12; jbe T           (frames > StackSmall)
 *   mov %rsp,%r12; sub $N,%r12; jb T; cmp 0x10(%r14),%r12; jbe T   (huge frames)
 * ABI0 assembly loads g from TLS first (mov %fs:-8,%rcx; cmp 0x10(%rcx),%rsp), which is accepted
 * too. T must lie inside the function: that is where the morestack call and the jump back to the
 * entry live.
 */
static uint64_t prologue_end(const cs_insn *insns, size_t n, uint64_t entry, uint64_t size,
			     uint64_t *jbe)
{
	x86_reg tls_g = X86_REG_INVALID;

	for (size_t i = 0; i < n && i < PROLOGUE_INSN_MAX; i++) {
		const cs_x86 *x = &insns[i].detail->x86;

		if (insns[i].id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    x->operands[1].type == X86_OP_MEM && x->operands[1].mem.segment == X86_REG_FS)
			tls_g = x->operands[0].reg;
		if (insns[i].id != X86_INS_CMP || x->op_count != 2)
			continue;
		const cs_x86_op *a = &x->operands[0], *b = &x->operands[1];

		if (!(op_is_reg(a, X86_REG_RSP) || op_is_reg(a, X86_REG_R12)) || b->type != X86_OP_MEM ||
		    b->mem.disp != G_STACKGUARD0_OFF || b->mem.index != X86_REG_INVALID ||
		    b->mem.segment != X86_REG_INVALID ||
		    !(b->mem.base == X86_REG_R14 || (tls_g != X86_REG_INVALID && b->mem.base == tls_g)))
			return 0;
		if (i + 1 >= n || insns[i + 1].id != X86_INS_JBE)
			return 0;
		const cs_x86 *j = &insns[i + 1].detail->x86;

		if (j->op_count != 1 || j->operands[0].type != X86_OP_IMM)
			return 0;
		uint64_t target = (uint64_t)j->operands[0].imm;

		if (target < entry || target - entry >= size)
			return 0;
		*jbe = insns[i + 1].address;
		return insns[i + 1].address + insns[i + 1].size;
	}
	return 0;
}

static int push_u64(uint64_t **v, size_t *cnt, size_t *cap, uint64_t x)
{
	int err = grow((void **)v, cap, *cnt, sizeof(**v));

	if (err)
		return err;
	(*v)[(*cnt)++] = x;
	return 0;
}

/* Linear sweep over the function's code: the prologue, and every RET. */
static int disassemble(struct tt_go_binary *bin, struct tt_go_func *fn, const uint8_t *code)
{
	cs_insn first[PROLOGUE_INSN_MAX];
	size_t first_cnt = 0, ret_cap = 0;
	const uint8_t *p = code;
	size_t left = fn->size;
	uint64_t addr = fn->entry_vaddr;
	cs_insn *insn = cs_malloc(bin->cs);
	cs_detail first_detail[PROLOGUE_INSN_MAX];
	int err = 0;

	if (!insn)
		return -ENOMEM;
	while (left) {
		if (!cs_disasm_iter(bin->cs, &p, &left, &addr, insn)) {
			/* Go puts no data in .text; skip a byte so that one bad byte is not fatal */
			fn->undecodable_cnt++;
			p++;
			left--;
			addr++;
			continue;
		}
		if (first_cnt < PROLOGUE_INSN_MAX && fn->undecodable_cnt == 0) {
			first[first_cnt] = *insn;
			first_detail[first_cnt] = *insn->detail;
			first[first_cnt].detail = &first_detail[first_cnt];
			first_cnt++;
		}
		if (insn->id == X86_INS_RET) {
			err = push_u64(&fn->ret_vaddrs, &fn->ret_cnt, &ret_cap, insn->address);
			if (err)
				goto cleanup;
		}
	}
	uint64_t jbe = 0, after = prologue_end(first, first_cnt, fn->entry_vaddr, fn->size, &jbe);

	fn->has_prologue = after != 0;
	fn->probe_vaddr = after ? after : fn->entry_vaddr;
	fn->jbe_vaddr = jbe;
	fn->no_ret = fn->ret_cnt == 0;
cleanup:
	cs_free(insn, 1);
	return err;
}

void tt_go_func__free(struct tt_go_func *func)
{
	if (!func)
		return;
	for (size_t i = 0; i < func->param_cnt; i++)
		tt_go_param_clear(&func->params[i]);
	for (size_t i = 0; i < func->result_cnt; i++)
		tt_go_param_clear(&func->results[i]);
	free(func->params);
	free(func->results);
	free(func->ret_vaddrs);
	free(func->ret_offsets);
	free(func->name);
	free(func);
}

static const struct func_ent *func_by_vaddr(const struct tt_go_binary *bin, uint64_t vaddr)
{
	size_t lo = 0, hi = bin->func_cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bin->funcs[mid].vaddr < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < bin->func_cnt && bin->funcs[lo].vaddr == vaddr ? &bin->funcs[lo] : NULL;
}

const char *tt_go_binary__func_name_at(const struct tt_go_binary *bin, uint64_t pc)
{
	size_t lo = 0, hi = bin->func_cnt;

	/* The last function starting at or before pc, if pc lies inside it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bin->funcs[mid].vaddr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct func_ent *f = &bin->funcs[lo - 1];

	return pc - f->vaddr < f->size ? f->name : NULL;
}

static int func_info(struct tt_go_binary *bin, const struct func_ent *f, struct tt_go_func **func)
{
	struct tt_go_func *fn = NULL;
	uint64_t code_off;
	Dwarf_Die sub;
	int err = 0;

	if (vaddr_to_off(bin, f->vaddr, f->size, &code_off))
		return -TT_E_BAD_ELF;
	fn = calloc(1, sizeof(*fn));
	if (!fn)
		return -ENOMEM;
	fn->name = strdup(f->name);
	if (!fn->name) {
		err = -ENOMEM;
		goto cleanup;
	}
	fn->entry_vaddr = f->vaddr;
	fn->entry_offset = code_off;
	fn->size = f->size;
	fn->pcln_args_sz = -1;
	fn->sig_ok = 1;

	err = disassemble(bin, fn, bin->image + code_off);
	if (err)
		goto cleanup;
	/* Both in the same segment as the entry, which the whole function lies in. */
	fn->probe_offset = fn->probe_vaddr - fn->entry_vaddr + fn->entry_offset;
	if (fn->has_prologue)
		fn->jbe_offset = fn->jbe_vaddr - fn->entry_vaddr + fn->entry_offset;
	if (fn->ret_cnt) {
		fn->ret_offsets = calloc(fn->ret_cnt, sizeof(*fn->ret_offsets));
		if (!fn->ret_offsets) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t i = 0; i < fn->ret_cnt; i++)
			fn->ret_offsets[i] = fn->ret_vaddrs[i] - fn->entry_vaddr + fn->entry_offset;
	}

	if (bin->dwarf && sub_find(bin, f->vaddr, &sub)) {
		const struct pcln_ent *pe = pcln_find(bin, fn->entry_vaddr);

		err = tt_go_abi_locate(fn, &sub, pe ? pe->args : -1);
		if (err)
			goto cleanup;
	}
cleanup:
	if (err) {
		tt_go_func__free(fn);
		return err;
	}
	*func = fn;
	return 0;
}

int tt_go_binary__func_info(struct tt_go_binary *bin, const char *name, struct tt_go_func **func)
{
	const struct func_ent *f = func_by_name(bin, name);

	*func = NULL;
	if (!f)
		return is_inlined_name(bin, name) ? -TT_E_INLINED : -ENOENT;
	return func_info(bin, f, func);
}

int tt_go_binary__func_info_at(struct tt_go_binary *bin, uint64_t vaddr, struct tt_go_func **func)
{
	const struct func_ent *f = func_by_vaddr(bin, vaddr);

	*func = NULL;
	if (!f)
		return -ENOENT;
	return func_info(bin, f, func);
}
