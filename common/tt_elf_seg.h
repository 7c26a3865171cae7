/* SPDX-License-Identifier: MIT */
/*
 * The loadable segments of an ELF file (its PT_LOAD program headers) as plain data, and the
 * address arithmetic over them: link-time address to file offset. No libelf: the recorder
 * fills the table through libelf (elf_file.h), the analyzer from the bytes of the file, and the
 * Go pclntab reader (go_pclntab.h), which both use, checks its addresses against it.
 */
#ifndef TT_ELF_SEG_H
#define TT_ELF_SEG_H

#include <stddef.h>
#include <stdint.h>

/*
 * The file-backed part of a PT_LOAD segment: link-time addresses [vaddr, vaddr + filesz) are
 * the file bytes [offset, offset + filesz). The rest of the segment (up to p_memsz: .bss) is
 * zero-filled memory with no file offset.
 */
struct tt_elf_seg {
	uint64_t vaddr;
	uint64_t filesz; /* bytes */
	uint64_t offset;
	uint32_t flags;  /* PF_X, PF_W, PF_R */
	uint32_t pad0;
};

/*
 * The first segment of segs[0, cnt) whose file-backed part holds vaddr, provided it also holds
 * the whole range [vaddr, vaddr + len) (a len of 0 counts as 1); NULL otherwise. The file
 * offset of vaddr is then vaddr - seg->vaddr + seg->offset.
 */
const struct tt_elf_seg *tt_elf_seg_find(const struct tt_elf_seg *segs, size_t cnt, uint64_t vaddr,
					 uint64_t len);

/* The loadable segments of an ELF file, from its program headers. */
struct tt_elf_segs {
	struct tt_elf_seg *v; /* the PT_LOAD segments, in program header order (owned) */
	size_t cnt;
	/*
	 * PT_TLS: the size of the executable's TLS block (p_memsz rounded up to p_align), which
	 * on x86-64 (TLS variant II) ends at the thread pointer; 0 without PT_TLS.
	 */
	uint64_t tls_size;
};

/*
 * The file offset of link-time addresses [vaddr, vaddr + len) (a len of 0 counts as 1), when
 * one segment's file bytes hold them all (tt_elf_seg_find()). Returns 0 and sets *off, or
 * -ENOENT.
 */
int tt_elf_segs_offset(const struct tt_elf_segs *segs, uint64_t vaddr, uint64_t len,
		       uint64_t *off);

/* Free what segs owns and empty it. */
void tt_elf_segs_free(struct tt_elf_segs *segs);

#endif /* TT_ELF_SEG_H */
