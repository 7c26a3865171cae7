/* SPDX-License-Identifier: MIT */
/*
 * Function names for code offsets of an ELF file, for symbolizing the call stacks of a tape
 * (`record --stack`) where it is loaded, which may be another machine than the one recorded:
 * frames are (file, file offset), the file named by its path and GNU build id. The file is
 * read as plain bytes (the analyzer needs no libelf): the program headers turn a file offset
 * into the link-time address, and the function symbols of .symtab, else .dynsym, name it. A
 * file stripped of .symtab has its symbols looked for in its separate debug file, found by
 * build id under /usr/lib/debug/.build-id/. Go binaries name their functions in .symtab too
 * (the Go linker writes it unless -s).
 */
#ifndef TT_ELF_SYMS_H
#define TT_ELF_SYMS_H

#include <stddef.h>
#include <stdint.h>

struct tt_elf_syms;

/*
 * Read path's function symbols. Returns the table, or NULL with errno set (ENOENT and other
 * open errors; TT_E_NOT_ELF for anything but a 64-bit little-endian ELF file; TT_E_BAD_ELF
 * when its headers point outside it).
 */
struct tt_elf_syms *tt_elf_syms__open(const char *path);
/* Accepts NULL. */
void tt_elf_syms__free(struct tt_elf_syms *s);

/* The file's GNU build id in lower-case hex ("" when it has none). */
const char *tt_elf_syms__build_id(const struct tt_elf_syms *s);

/*
 * The function containing file offset off: returns its name (borrowed, valid until free) and
 * sets *sym_off to off's distance from its start, or NULL when no function symbol covers it.
 */
const char *tt_elf_syms__lookup(const struct tt_elf_syms *s, uint64_t off, uint64_t *sym_off);

#endif /* TT_ELF_SYMS_H */
