/* SPDX-License-Identifier: MIT */
/*
 * Read-only access to the parts of an ELF file the recorder needs: program headers (to turn
 * link-time addresses into file offsets, which is what uprobes take), symbols from .symtab and
 * .dynsym, section contents, and the GNU build id. Built on libelf; every offset and size from
 * the file is checked before use.
 *
 * The segment table (struct tt_elf_segs, tt_elf_seg.h) is the one ELF mapping helper of the
 * recorder: the readers that hold a libelf handle of their own (usdt_notes.c over an image in
 * memory, go_binary.c over a file read whole) build their PT_LOAD tables with it too.
 */
#ifndef TT_ELF_FILE_H
#define TT_ELF_FILE_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

#include "tt_elf_seg.h" /* struct tt_elf_segs: filled here through libelf */

struct tt_elf;

/*
 * Build segs from the program headers of elf, a file of file_sz bytes. A segment whose file
 * bytes start beyond the file is left out, and one that claims more bytes than the file holds
 * keeps only those it holds, so that every offset found through segs lies inside the file.
 * Returns 0, -TT_E_BAD_ELF (unreadable program headers) or -ENOMEM; segs is empty on error.
 */
int tt_elf_segs_load(Elf *elf, uint64_t file_sz, struct tt_elf_segs *segs);

/*
 * Open path read-only. Returns the file, or NULL with errno set: TT_E_NOT_ELF for a file that
 * is not a 64-bit ELF, TT_E_BAD_ELF for one whose headers are inconsistent, errno for I/O.
 */
struct tt_elf *tt_elf__open(const char *path);
/* Close the file and free elf (borrowed names and data die with it). Accepts NULL. */
void tt_elf__free(struct tt_elf *elf);

/* ET_EXEC, ET_DYN, ... */
uint16_t tt_elf__type(const struct tt_elf *elf);

/*
 * The file offset of link-time address vaddr, through the PT_LOAD segment containing it.
 * Returns 0 and sets *off, or -ENOENT when no segment with file contents holds vaddr.
 */
int tt_elf__vaddr_to_offset(const struct tt_elf *elf, uint64_t vaddr, uint64_t *off);

struct tt_elf_sym {
	const char *name;  /* borrowed from the file; valid until tt_elf__free() */
	uint64_t vaddr;
	uint64_t size;
	uint8_t type;      /* STT_* */
	uint8_t bind;      /* STB_* */
};

/*
 * Call fn for every defined symbol (STT_FUNC, STT_OBJECT, ...) of .symtab, then of .dynsym.
 * fn returns 0 to continue; a nonzero value stops the walk and is returned.
 */
int tt_elf__for_each_sym(const struct tt_elf *elf,
			 int (*fn)(const struct tt_elf_sym *sym, void *ctx), void *ctx);

/* The first symbol named name (".symtab" first). Returns 0 and fills *sym, or -ENOENT. */
int tt_elf__find_sym(const struct tt_elf *elf, const char *name, struct tt_elf_sym *sym);

/*
 * A section's bytes. Returns 0 and sets *data, *size and *addr (data borrowed, valid until free),
 * or -ENOENT when there is no section of that name with contents.
 */
int tt_elf__section(const struct tt_elf *elf, const char *name, const uint8_t **data, size_t *size,
		    uint64_t *addr);

/* The GNU build id as lower-case hex into buf (at least 41 bytes). Returns 0 or -ENOENT. */
int tt_elf__build_id(const struct tt_elf *elf, char *buf, size_t buf_sz);

#endif /* TT_ELF_FILE_H */
