/* SPDX-License-Identifier: MIT */
/*
 * ELF function symbols by file offset (elf_syms.h). Every header, table and string is checked
 * against the file's size before it is read; names are copied, so the file is closed at once.
 * A stripped file's debug file is looked for in gdb's order (by build id in each debug
 * directory, then by its .gnu_debuglink name) and used only when it is of the same build.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "elf_syms.h"
#include "tt_elf_seg.h"
#include "tt_error.h"
#include "tt_go_pclntab.h"
#include "tt_util.h"

#define SEGS_MAX 64

struct sym {
	uint64_t addr, size;
	const char *name; /* into names */
};

struct tt_elf_syms {
	struct sym *syms; /* sorted by addr */
	size_t cnt, cap;
	/* a Go binary's functions, from its pclntab (sorted; they never overlap) */
	struct sym *go;
	size_t go_cnt, go_cap;
	struct tt_elf_seg segs[SEGS_MAX];
	size_t seg_cnt;
	char *names;
	size_t names_len, names_cap;
	char build_id[41];
	char *debug_file; /* the debug file the symbols came from, or NULL */
	char *path;       /* the file itself, or NULL (its debug file alone) */
};

struct file {
	const uint8_t *p;
	size_t sz;
};

static int map_file(const char *path, struct file *f)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		err = -TT_E_NOT_ELF;
		goto out;
	}
	f->sz = (size_t)st.st_size;
	f->p = mmap(NULL, f->sz, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f->p == MAP_FAILED)
		err = -errno;
out:
	close(fd);
	return err;
}

static int in_file(const struct file *f, uint64_t off, uint64_t len)
{
	return off <= f->sz && len <= f->sz - off;
}

static const Elf64_Ehdr *ehdr_of(const struct file *f)
{
	const Elf64_Ehdr *e = (const Elf64_Ehdr *)f->p;

	if (memcmp(e->e_ident, ELFMAG, SELFMAG) || e->e_ident[EI_CLASS] != ELFCLASS64 ||
	    e->e_ident[EI_DATA] != ELFDATA2LSB)
		return NULL;
	return e;
}

static const Elf64_Shdr *shdrs_of(const struct file *f, const Elf64_Ehdr *e)
{
	if (!e->e_shoff || e->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(f, e->e_shoff, (uint64_t)e->e_shnum * sizeof(Elf64_Shdr)))
		return NULL;
	return (const Elf64_Shdr *)(f->p + e->e_shoff);
}

/* Add a symbol to table *v, its name copied into s's names (offsets fixed up once all are in). */
static int add_to(struct tt_elf_syms *s, struct sym **v, size_t *cnt, size_t *cap, uint64_t addr,
		  uint64_t size, const char *name, size_t len)
{
	int err = tt_grow((void **)v, cap, *cnt + 1, sizeof(**v));

	if (!err)
		err = tt_grow((void **)&s->names, &s->names_cap, s->names_len + len + 1, 1);
	if (err)
		return err;
	memcpy(s->names + s->names_len, name, len);
	s->names[s->names_len + len] = 0;
	(*v)[(*cnt)++] = (struct sym){addr, size, (const char *)(uintptr_t)s->names_len};
	s->names_len += len + 1;
	return 0;
}

/* Copy name into s's ELF symbols. */
static int add_sym(struct tt_elf_syms *s, uint64_t addr, uint64_t size, const char *name,
		   size_t len)
{
	return add_to(s, &s->syms, &s->cnt, &s->cap, addr, size, name, len);
}

/* The function symbols of the section of type type (SHT_SYMTAB or SHT_DYNSYM); how many. */
static long read_syms(struct tt_elf_syms *s, const struct file *f, uint32_t type)
{
	const Elf64_Ehdr *e = ehdr_of(f);
	const Elf64_Shdr *sh = e ? shdrs_of(f, e) : NULL;
	long n = 0;

	for (size_t i = 0; sh && i < e->e_shnum; i++) {
		const Elf64_Shdr *str;
		const Elf64_Sym *sy;
		size_t cnt;

		if (sh[i].sh_type != type || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
		    sh[i].sh_link >= e->e_shnum || !in_file(f, sh[i].sh_offset, sh[i].sh_size))
			continue;
		str = &sh[sh[i].sh_link];
		if (!in_file(f, str->sh_offset, str->sh_size))
			continue;
		sy = (const Elf64_Sym *)(f->p + sh[i].sh_offset);
		cnt = sh[i].sh_size / sizeof(Elf64_Sym);
		for (size_t k = 0; k < cnt; k++) {
			int t = ELF64_ST_TYPE(sy[k].st_info);
			const char *name;
			size_t len;

			if ((t != STT_FUNC && t != STT_GNU_IFUNC) || sy[k].st_shndx == SHN_UNDEF ||
			    !sy[k].st_value || sy[k].st_name >= str->sh_size)
				continue;
			name = (const char *)f->p + str->sh_offset + sy[k].st_name;
			len = strnlen(name, str->sh_size - sy[k].st_name);
			if (!len || add_sym(s, sy[k].st_value, sy[k].st_size, name, len))
				continue;
			n++;
		}
	}
	return n;
}

static void read_build_id(struct tt_elf_syms *s, const struct file *f)
{
	const Elf64_Ehdr *e = ehdr_of(f);
	const Elf64_Shdr *sh = e ? shdrs_of(f, e) : NULL;

	for (size_t i = 0; sh && i < e->e_shnum; i++) {
		uint64_t off = sh[i].sh_offset, end = off + sh[i].sh_size;

		if (sh[i].sh_type != SHT_NOTE || !in_file(f, off, sh[i].sh_size))
			continue;
		while (off + sizeof(Elf64_Nhdr) <= end) {
			const Elf64_Nhdr *n = (const Elf64_Nhdr *)(f->p + off);
			uint64_t name_sz = (n->n_namesz + 3) & ~3ULL, desc_sz = (n->n_descsz + 3) & ~3ULL;
			uint64_t desc = off + sizeof(*n) + name_sz;

			if (desc + desc_sz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    !memcmp(f->p + off + sizeof(*n), "GNU", 4) && n->n_descsz <= 20) {
				for (uint32_t k = 0; k < n->n_descsz; k++)
					snprintf(s->build_id + 2 * k, 3, "%02x", f->p[desc + k]);
				return;
			}
			off = desc + desc_sz;
		}
	}
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size; /* the sized one first */
}

/* The header of section name of f, with contents in the file, or NULL. */
static const Elf64_Shdr *shdr_named(const struct file *f, const char *name)
{
	const Elf64_Ehdr *e = ehdr_of(f);
	const Elf64_Shdr *sh = e ? shdrs_of(f, e) : NULL, *str;
	size_t len = strlen(name) + 1;

	if (!sh || e->e_shstrndx >= e->e_shnum)
		return NULL;
	str = &sh[e->e_shstrndx];
	if (!in_file(f, str->sh_offset, str->sh_size))
		return NULL;
	for (size_t i = 0; i < e->e_shnum; i++) {
		if (sh[i].sh_type == SHT_NOBITS || sh[i].sh_name >= str->sh_size ||
		    str->sh_size - sh[i].sh_name < len || !in_file(f, sh[i].sh_offset, sh[i].sh_size) ||
		    memcmp(f->p + str->sh_offset + sh[i].sh_name, name, len))
			continue;
		return &sh[i];
	}
	return NULL;
}

/* The contents of section name of f, or NULL. */
static const uint8_t *section(const struct file *f, const char *name, uint64_t *size)
{
	const Elf64_Shdr *sh = shdr_named(f, name);

	if (!sh)
		return NULL;
	*size = sh->sh_size;
	return f->p + sh->sh_offset;
}

/*
 * A Go binary's functions from its pclntab (tt_go_pclntab.h), which the Go linker writes
 * whatever the flags (-s drops .symtab only): the names the Go runtime itself gives them
 * (runtime.goexit, where .symtab says runtime.goexit.abi0). A table that cannot be read adds
 * nothing; the functions read before a bad entry are kept.
 */
static void read_pclntab(struct tt_elf_syms *s, const struct file *f)
{
	const Elf64_Shdr *sh = shdr_named(f, ".gopclntab"), *text = shdr_named(f, ".text");
	struct tt_elf_segs segs = {s->segs, s->seg_cnt, 0};
	struct tt_go_pclntab t;

	if (!sh) /* PIE, linked externally */
		sh = shdr_named(f, ".data.rel.ro.gopclntab");
	if (!sh || tt_go_pclntab_open(&t, f->p + sh->sh_offset, sh->sh_size, &segs,
				      text ? text->sh_addr : 0, NULL, 0))
		return;
	for (uint64_t i = 0; i < t.nfunc; i++) {
		struct tt_go_pcln_func fn;

		if (tt_go_pclntab_func(&t, i, 1, &fn, NULL, 0) ||
		    add_to(s, &s->go, &s->go_cnt, &s->go_cap, fn.vaddr, fn.size, fn.name,
			   strlen(fn.name)))
			break;
	}
}

static void reject(const struct tt_elf_debug *d, const char *dpath, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reject(const struct tt_elf_debug *d, const char *dpath, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (!d->rejected)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	d->rejected(d->ctx, dpath, why);
}

/*
 * Read the symbols of debug file dpath into s when it is s's (its build id is want_bid, when
 * that is not empty; its CRC-32 is *want_crc, when given). 1 used, 0 missing or not used.
 */
static int try_debug(struct tt_elf_syms *s, const char *dpath, const char *want_bid,
		     const uint32_t *want_crc, const struct tt_elf_debug *d)
{
	struct tt_elf_syms id = {0};
	struct file f = {0};
	int used = 0;

	if (map_file(dpath, &f))
		return 0; /* not there (or unreadable): the next place */
	if (!ehdr_of(&f)) {
		reject(d, dpath, "not a 64-bit ELF file");
		goto out;
	}
	read_build_id(&id, &f);
	if (want_bid[0] && strcmp(id.build_id, want_bid)) {
		reject(d, dpath, "of another build (build id %s, the binary's is %s)",
		       id.build_id[0] ? id.build_id : "none", want_bid);
		goto out;
	}
	if (want_crc) {
		uint32_t crc = 0;

		for (size_t done = 0; done < f.sz;) { /* zlib takes at most 4 GiB at once */
			size_t n = f.sz - done > (1u << 30) ? 1u << 30 : f.sz - done;

			crc = (uint32_t)crc32(crc, f.p + done, (uInt)n);
			done += n;
		}
		if (crc != *want_crc) {
			reject(d, dpath, "its CRC-32 is %08x, the binary's .gnu_debuglink says %08x",
			       crc, *want_crc);
			goto out;
		}
	}
	if (read_syms(s, &f, SHT_SYMTAB) <= 0) {
		reject(d, dpath, "it has no function symbols");
		goto out;
	}
	s->debug_file = strdup(dpath);
	used = s->debug_file != NULL;
out:
	munmap((void *)f.p, f.sz);
	return used;
}

/* DIR/.build-id/xx/rest.debug of build id bid in each debug directory: 1 when one was used. */
static int by_build_id(struct tt_elf_syms *s, const char *bid, const struct tt_elf_debug *d)
{
	char dpath[PATH_MAX];

	for (size_t i = 0; strlen(bid) > 2 && i < d->dir_cnt; i++) {
		if ((size_t)snprintf(dpath, sizeof(dpath), "%s/.build-id/%.2s/%s.debug", d->dirs[i],
				     bid, bid + 2) < sizeof(dpath) &&
		    try_debug(s, dpath, bid, NULL, d))
			return 1;
	}
	return 0;
}

/*
 * The debug file that f's .gnu_debuglink names (with its CRC-32), as gdb looks for it: in the
 * binary's directory, in its .debug/ subdirectory, then DIR/BINARY'S-DIRECTORY/ of each debug
 * directory. 1 when one was used.
 */
static int by_debuglink(struct tt_elf_syms *s, const struct file *f, const char *path,
			const struct tt_elf_debug *d)
{
	uint64_t size = 0;
	const uint8_t *link = section(f, ".gnu_debuglink", &size);
	char dir[PATH_MAX], dpath[PATH_MAX];
	const char *name = (const char *)link, *slash = strrchr(path, '/');
	size_t len, dlen = slash ? (size_t)(slash - path) : 1;
	uint32_t crc;

	if (!link || !(len = strnlen(name, size)) || len == size || memchr(name, '/', len) ||
	    ((len + 4) & ~3ULL) + 4 > size || dlen >= sizeof(dir))
		return 0;
	memcpy(&crc, link + ((len + 4) & ~3ULL), 4); /* little-endian, as the file (ehdr_of) */
	memcpy(dir, slash ? path : ".", dlen);
	dir[dlen] = 0;
	if (snprintf(dpath, sizeof(dpath), "%s/%s", dir, name) < (int)sizeof(dpath) &&
	    strcmp(dpath, path) && try_debug(s, dpath, s->build_id, &crc, d))
		return 1;
	if (snprintf(dpath, sizeof(dpath), "%s/.debug/%s", dir, name) < (int)sizeof(dpath) &&
	    try_debug(s, dpath, s->build_id, &crc, d))
		return 1;
	for (size_t i = 0; dir[0] == '/' && i < d->dir_cnt; i++) {
		if (snprintf(dpath, sizeof(dpath), "%s%s/%s", d->dirs[i], dir, name) <
			    (int)sizeof(dpath) &&
		    try_debug(s, dpath, s->build_id, &crc, d))
			return 1;
	}
	return 0;
}

static void finish(struct tt_elf_syms *s)
{
	for (size_t i = 0; i < s->cnt; i++)
		s->syms[i].name = s->names + (uintptr_t)s->syms[i].name;
	for (size_t i = 0; i < s->go_cnt; i++)
		s->go[i].name = s->names + (uintptr_t)s->go[i].name;
	if (s->cnt) /* a stripped file without its debug file may have none */
		qsort(s->syms, s->cnt, sizeof(*s->syms), sym_cmp);
}

/*
 * The PT_LOAD segments of f into s. A debug file made by objcopy --only-keep-debug keeps the
 * headers but not the file layout (its segments are empty, at offset 0): they map nothing.
 */
static int read_segs(struct tt_elf_syms *s, const struct file *f)
{
	const Elf64_Ehdr *e = ehdr_of(f);

	if (!e)
		return -TT_E_NOT_ELF;
	if (e->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(f, e->e_phoff, (uint64_t)e->e_phnum * sizeof(Elf64_Phdr)))
		return -TT_E_BAD_ELF;
	for (size_t i = 0; i < e->e_phnum && s->seg_cnt < SEGS_MAX; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(f->p + e->e_phoff) + i;
		if (ph->p_type == PT_LOAD && ph->p_filesz)
			s->segs[s->seg_cnt++] = (struct tt_elf_seg){.vaddr = ph->p_vaddr,
								    .filesz = ph->p_filesz,
								    .offset = ph->p_offset,
								    .flags = ph->p_flags};
	}
	return 0;
}

static const char *const default_dirs[] = {"/usr/lib/debug"};
static const struct tt_elf_debug default_debug = {default_dirs, 1, NULL, NULL};

struct tt_elf_syms *tt_elf_syms__open_debug(const char *path, const struct tt_elf_debug *d)
{
	struct tt_elf_syms *s = calloc(1, sizeof(*s));
	struct file f = {0};
	int err;

	if (!s)
		return NULL;
	if (!d)
		d = &default_debug;
	err = map_file(path, &f);
	if (!err)
		err = read_segs(s, &f);
	if (err)
		goto fail;
	if (!(s->path = strdup(path))) {
		err = -ENOMEM;
		goto fail;
	}
	read_build_id(s, &f);
	read_pclntab(s, &f);
	/* stripped: the debug file of the same build has the symbols, at the same addresses */
	if (read_syms(s, &f, SHT_SYMTAB) == 0 && !by_build_id(s, s->build_id, d) &&
	    !by_debuglink(s, &f, path, d))
		read_syms(s, &f, SHT_DYNSYM);
	finish(s);
	munmap((void *)f.p, f.sz);
	return s;
fail:
	if (f.p && f.p != MAP_FAILED)
		munmap((void *)f.p, f.sz);
	tt_elf_syms__free(s);
	errno = -err;
	return NULL;
}

struct tt_elf_syms *tt_elf_syms__open(const char *path)
{
	return tt_elf_syms__open_debug(path, NULL);
}

/*
 * The file itself by build id, where build-id trees keep it: DIR/.build-id/xx/rest (Fedora's
 * /usr/lib/debug: a link to the installed file) or DIR/.build-id/xx/rest/elf (perf's
 * buildid-cache, ~/.debug). Its symbols (from its debug file when stripped), or NULL.
 */
static struct tt_elf_syms *file_by_build_id(const char *bid, const struct tt_elf_debug *d)
{
	char path[PATH_MAX];
	struct stat st;

	for (size_t i = 0; strlen(bid) > 2 && i < d->dir_cnt; i++) {
		int n = snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s", d->dirs[i], bid, bid + 2);
		struct tt_elf_syms *s;

		if (n < 0 || (size_t)n + 5 > sizeof(path) || stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			memcpy(path + n, "/elf", 5);
		s = tt_elf_syms__open_debug(path, d);
		if (s && !strcmp(s->build_id, bid))
			return s;
		if (s)
			reject(d, path, "of another build (build id %s, the recorded one is %s)",
			       s->build_id[0] ? s->build_id : "none", bid);
		tt_elf_syms__free(s);
	}
	return NULL;
}

struct tt_elf_syms *tt_elf_syms__open_build_id(const char *build_id, const struct tt_elf_debug *d)
{
	struct tt_elf_syms *s;
	struct file f = {0};

	if (!d)
		d = &default_debug;
	s = file_by_build_id(build_id, d);
	if (s || !(s = calloc(1, sizeof(*s))))
		return s;
	snprintf(s->build_id, sizeof(s->build_id), "%s", build_id);
	if (!by_build_id(s, s->build_id, d) || map_file(s->debug_file, &f) ||
	    read_segs(s, &f)) {
		if (f.p && f.p != MAP_FAILED)
			munmap((void *)f.p, f.sz);
		tt_elf_syms__free(s);
		errno = ENOENT;
		return NULL;
	}
	munmap((void *)f.p, f.sz);
	finish(s);
	return s;
}

void tt_elf_syms__free(struct tt_elf_syms *s)
{
	if (!s)
		return;
	free(s->syms);
	free(s->go);
	free(s->names);
	free(s->debug_file);
	free(s->path);
	free(s);
}

const char *tt_elf_syms__build_id(const struct tt_elf_syms *s)
{
	return s->build_id;
}

const char *tt_elf_syms__debug_file(const struct tt_elf_syms *s)
{
	return s->debug_file;
}

/* The symbol of syms[0, cnt) (sorted) that covers addr, or NULL. */
static const char *find(const struct sym *syms, size_t cnt, uint64_t addr, uint64_t *sym_off)
{
	size_t lo = 0, hi = cnt;

	while (lo < hi) { /* the first symbol above addr */
		size_t mid = lo + (hi - lo) / 2;

		if (syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the nearest at or below addr that covers it (a size of 0: up to the next symbol) */
	for (size_t i = lo; i-- > 0;) {
		const struct sym *y = &syms[i];

		if (y->size ? addr - y->addr < y->size : i + 1 == lo) {
			*sym_off = addr - y->addr;
			return y->name;
		}
		if (y->addr != syms[lo - 1].addr)
			break;
	}
	return NULL;
}

const char *tt_elf_syms__path(const struct tt_elf_syms *s)
{
	return s->path;
}

int tt_elf_syms__addr(const struct tt_elf_syms *s, uint64_t off, uint64_t *addr)
{
	for (size_t i = 0; i < s->seg_cnt; i++) {
		const struct tt_elf_seg *g = &s->segs[i];

		if (off < g->offset || off - g->offset >= g->filesz)
			continue;
		*addr = off - g->offset + g->vaddr;
		return 0;
	}
	return -1;
}

const char *tt_elf_syms__lookup(const struct tt_elf_syms *s, uint64_t off, uint64_t *sym_off)
{
	const char *name;
	uint64_t addr;

	if (tt_elf_syms__addr(s, off, &addr))
		return NULL;
	/* a Go function by the name Go gives it; else (a cgo binary's C code) the ELF's */
	name = find(s->go, s->go_cnt, addr, sym_off);
	return name ? name : find(s->syms, s->cnt, addr, sym_off);
}
