/* SPDX-License-Identifier: MIT */
/* ELF access for the recorder, on top of libelf (see elf_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_file.h"
#include "tt_error.h"

struct tt_elf {
	int fd;
	Elf *elf;
	GElf_Ehdr ehdr;
	struct tt_elf_segs segs;
	size_t shstrndx;
};

int tt_elf_segs_load(Elf *elf, uint64_t file_sz, struct tt_elf_segs *segs)
{
	size_t phnum;

	memset(segs, 0, sizeof(*segs));
	if (elf_getphdrnum(elf, &phnum) != 0)
		return -TT_E_BAD_ELF;
	segs->v = calloc(phnum ? phnum : 1, sizeof(*segs->v));
	if (!segs->v)
		return -ENOMEM;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			tt_elf_segs_free(segs);
			return -TT_E_BAD_ELF;
		}
		if (ph.p_type == PT_TLS) {
			uint64_t align = ph.p_align ? ph.p_align : 1;

			if (!(align & (align - 1)) && ph.p_memsz < UINT32_MAX)
				segs->tls_size = (ph.p_memsz + align - 1) & ~(align - 1);
			continue;
		}
		if (ph.p_type != PT_LOAD || ph.p_offset > file_sz)
			continue;
		segs->v[segs->cnt++] = (struct tt_elf_seg){
			.vaddr = ph.p_vaddr,
			.filesz = ph.p_filesz < file_sz - ph.p_offset ? ph.p_filesz : file_sz - ph.p_offset,
			.offset = ph.p_offset,
			.flags = ph.p_flags,
		};
	}
	return 0;
}

struct tt_elf *tt_elf__open(const char *path)
{
	struct tt_elf *e;
	struct stat st;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = TT_E_BAD_ELF;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (e->fd < 0) {
		err = errno;
		goto fail;
	}
	e->elf = elf_begin(e->fd, ELF_C_READ_MMAP, NULL);
	if (!e->elf || elf_kind(e->elf) != ELF_K_ELF || gelf_getclass(e->elf) != ELFCLASS64) {
		err = TT_E_NOT_ELF;
		goto fail;
	}
	if (!gelf_getehdr(e->elf, &e->ehdr) || elf_getshdrstrndx(e->elf, &e->shstrndx) != 0) {
		err = TT_E_BAD_ELF;
		goto fail;
	}
	if (fstat(e->fd, &st) != 0) {
		err = errno;
		goto fail;
	}
	err = -tt_elf_segs_load(e->elf, (uint64_t)st.st_size, &e->segs);
	if (err)
		goto fail;
	return e;
fail:
	tt_elf__free(e);
	errno = err;
	return NULL;
}

void tt_elf__free(struct tt_elf *e)
{
	if (!e)
		return;
	if (e->elf)
		elf_end(e->elf);
	if (e->fd >= 0)
		close(e->fd);
	tt_elf_segs_free(&e->segs);
	free(e);
}

uint16_t tt_elf__type(const struct tt_elf *e)
{
	return e->ehdr.e_type;
}

int tt_elf__vaddr_to_offset(const struct tt_elf *e, uint64_t vaddr, uint64_t *off)
{
	return tt_elf_segs_offset(&e->segs, vaddr, 1, off);
}

static int walk_symtab(const struct tt_elf *e, Elf64_Word sh_type,
		       int (*fn)(const struct tt_elf_sym *sym, void *ctx), void *ctx)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t cnt;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != sh_type || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		cnt = data->d_size / sh.sh_entsize;
		for (size_t i = 1; i < cnt; i++) {
			struct tt_elf_sym s;
			GElf_Sym sym;
			int ret;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			s.name = elf_strptr(e->elf, sh.sh_link, sym.st_name);
			if (!s.name || !*s.name)
				continue;
			s.vaddr = sym.st_value;
			s.size = sym.st_size;
			s.type = GELF_ST_TYPE(sym.st_info);
			s.bind = GELF_ST_BIND(sym.st_info);
			ret = fn(&s, ctx);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int tt_elf__for_each_sym(const struct tt_elf *e, int (*fn)(const struct tt_elf_sym *sym, void *ctx),
			 void *ctx)
{
	int ret = walk_symtab(e, SHT_SYMTAB, fn, ctx);

	return ret ? ret : walk_symtab(e, SHT_DYNSYM, fn, ctx);
}

struct find_ctx {
	const char *name;
	struct tt_elf_sym *out;
};

static int find_cb(const struct tt_elf_sym *sym, void *ctx)
{
	struct find_ctx *f = ctx;

	if (strcmp(sym->name, f->name) != 0)
		return 0;
	*f->out = *sym;
	return 1;
}

int tt_elf__find_sym(const struct tt_elf *e, const char *name, struct tt_elf_sym *sym)
{
	struct find_ctx f = {name, sym};

	return tt_elf__for_each_sym(e, find_cb, &f) == 1 ? 0 : -ENOENT;
}

int tt_elf__section(const struct tt_elf *e, const char *name, const uint8_t **data, size_t *size,
		    uint64_t *addr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e->elf, scn))) {
		const char *sname;
		Elf_Data *d;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(e->elf, e->shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, name) != 0 || sh.sh_type == SHT_NOBITS)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return -ENOENT;
		*data = d->d_buf;
		*size = d->d_size;
		if (addr)
			*addr = sh.sh_addr;
		return 0;
	}
	return -ENOENT;
}

int tt_elf__build_id(const struct tt_elf *e, char *buf, size_t buf_sz)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e->elf, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		Elf_Data *d;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			const uint8_t *desc = (const uint8_t *)d->d_buf + desc_off;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((const char *)d->d_buf + name_off, "GNU", 4) != 0)
				continue;
			if (nh.n_descsz * 2 + 1 > buf_sz || nh.n_descsz == 0)
				return -ENOENT;
			for (size_t i = 0; i < nh.n_descsz; i++) {
				static const char hex[] = "0123456789abcdef";

				buf[2 * i] = hex[desc[i] >> 4];
				buf[2 * i + 1] = hex[desc[i] & 0xf];
			}
			buf[2 * nh.n_descsz] = '\0';
			return 0;
		}
	}
	return -ENOENT;
}
