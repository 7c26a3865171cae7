/* SPDX-License-Identifier: MIT */
/*
 * ELF function symbols by file offset (elf_syms.h). Every header, table and string is checked
 * against the file's size before it is read; names are copied, so the file is closed at once.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_syms.h"
#include "tt_error.h"
#include "tt_util.h"

#define SEGS_MAX 64

struct sym {
	uint64_t addr, size;
	const char *name; /* into names */
};

struct seg {
	uint64_t off, filesz, vaddr;
};

struct tt_elf_syms {
	struct sym *syms; /* sorted by addr */
	size_t cnt, cap;
	struct seg segs[SEGS_MAX];
	size_t seg_cnt;
	char *names;
	size_t names_len, names_cap;
	char build_id[41];
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

/* Copy name into the table's names (offsets fixed up once all are in). */
static int add_sym(struct tt_elf_syms *s, uint64_t addr, uint64_t size, const char *name,
		   size_t len)
{
	int err = tt_grow((void **)&s->syms, &s->cap, s->cnt + 1, sizeof(*s->syms));

	if (!err)
		err = tt_grow((void **)&s->names, &s->names_cap, s->names_len + len + 1, 1);
	if (err)
		return err;
	memcpy(s->names + s->names_len, name, len);
	s->names[s->names_len + len] = 0;
	s->syms[s->cnt++] = (struct sym){addr, size, (const char *)(uintptr_t)s->names_len};
	s->names_len += len + 1;
	return 0;
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

struct tt_elf_syms *tt_elf_syms__open(const char *path)
{
	struct tt_elf_syms *s = calloc(1, sizeof(*s));
	struct file f = {0}, dbg = {0};
	const Elf64_Ehdr *e;
	int err;

	if (!s)
		return NULL;
	err = map_file(path, &f);
	if (err)
		goto fail;
	e = ehdr_of(&f);
	if (!e) {
		err = -TT_E_NOT_ELF;
		goto fail;
	}
	if (e->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(&f, e->e_phoff, (uint64_t)e->e_phnum * sizeof(Elf64_Phdr))) {
		err = -TT_E_BAD_ELF;
		goto fail;
	}
	for (size_t i = 0; i < e->e_phnum && s->seg_cnt < SEGS_MAX; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(f.p + e->e_phoff) + i;

		if (ph->p_type == PT_LOAD && ph->p_filesz)
			s->segs[s->seg_cnt++] = (struct seg){ph->p_offset, ph->p_filesz, ph->p_vaddr};
	}
	read_build_id(s, &f);
	if (read_syms(s, &f, SHT_SYMTAB) == 0) {
		char dpath[128];

		/* stripped: the debug file of the same build has the symbols, same addresses */
		if (s->build_id[0] && strlen(s->build_id) > 2) {
			snprintf(dpath, sizeof(dpath), "/usr/lib/debug/.build-id/%.2s/%s.debug",
				 s->build_id, s->build_id + 2);
			if (!map_file(dpath, &dbg) && ehdr_of(&dbg))
				read_syms(s, &dbg, SHT_SYMTAB);
		}
		if (s->cnt == 0)
			read_syms(s, &f, SHT_DYNSYM);
	}
	for (size_t i = 0; i < s->cnt; i++)
		s->syms[i].name = s->names + (uintptr_t)s->syms[i].name;
	qsort(s->syms, s->cnt, sizeof(*s->syms), sym_cmp);
	munmap((void *)f.p, f.sz);
	if (dbg.p)
		munmap((void *)dbg.p, dbg.sz);
	return s;
fail:
	if (f.p && f.p != MAP_FAILED)
		munmap((void *)f.p, f.sz);
	tt_elf_syms__free(s);
	errno = -err;
	return NULL;
}

void tt_elf_syms__free(struct tt_elf_syms *s)
{
	if (!s)
		return;
	free(s->syms);
	free(s->names);
	free(s);
}

const char *tt_elf_syms__build_id(const struct tt_elf_syms *s)
{
	return s->build_id;
}

const char *tt_elf_syms__lookup(const struct tt_elf_syms *s, uint64_t off, uint64_t *sym_off)
{
	uint64_t addr = 0;
	size_t lo = 0, hi = s->cnt;
	int found = 0;

	for (size_t i = 0; i < s->seg_cnt; i++) {
		if (off >= s->segs[i].off && off - s->segs[i].off < s->segs[i].filesz) {
			addr = off - s->segs[i].off + s->segs[i].vaddr;
			found = 1;
			break;
		}
	}
	if (!found)
		return NULL;
	while (lo < hi) { /* the first symbol above addr */
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the nearest at or below addr that covers it (a size of 0: up to the next symbol) */
	for (size_t i = lo; i-- > 0;) {
		const struct sym *y = &s->syms[i];

		if (y->size ? addr - y->addr < y->size : i + 1 == lo) {
			*sym_off = addr - y->addr;
			return y->name;
		}
		if (y->addr != s->syms[lo - 1].addr)
			break;
	}
	return NULL;
}
