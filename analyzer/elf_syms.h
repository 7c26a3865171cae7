/* SPDX-License-Identifier: MIT */
/*
 * Function names for code offsets of an ELF file, for symbolizing the call stacks of a tape
 * (`record --stack`) where it is loaded, which may be another machine than the one recorded:
 * frames are (file, file offset), the file named by its path and GNU build id. The file is
 * read as plain bytes (the analyzer needs no libelf): the program headers turn a file offset
 * into the link-time address, and the function symbols of .symtab, else .dynsym, name it. A
 * file stripped of .symtab has its symbols looked for in its separate debug file, in gdb's
 * order: DIR/.build-id/xx/rest.debug in each debug directory DIR (its build id split after two
 * hex digits), then the name its .gnu_debuglink section gives, next to the file, in the .debug/
 * subdirectory there, then under DIR/FILE'S-DIRECTORY/. A debug file is used only when it is
 * of the file's build: the same build id, and for a debug link also the CRC-32 the link gives.
 * A Go binary's functions are named from its pclntab (tt_go_pclntab.h), which the Go linker
 * writes whatever the flags: stripped (-s) or not, by the names Go gives them (runtime.goexit,
 * where .symtab says runtime.goexit.abi0); the ELF symbols name the rest (a cgo binary's C).
 */
#ifndef TT_ELF_SYMS_H
#define TT_ELF_SYMS_H

#include <stddef.h>
#include <stdint.h>

struct tt_elf_syms;

/* Where separate debug files are looked for, and who hears of one found but not used. */
struct tt_elf_debug {
	const char *const *dirs; /* the debug directories, in order ("/usr/lib/debug") */
	size_t dir_cnt;
	/* called for a debug file found but not used (another build, another CRC, no symbols),
	 * with its path and why; NULL: silently */
	void (*rejected)(void *ctx, const char *debug_file, const char *why);
	void *ctx;
};

/*
 * Read path's function symbols, from its debug file (d: where, NULL the default) when it has
 * no .symtab. Returns the table, or NULL with errno set (ENOENT and other open errors;
 * TT_E_NOT_ELF for anything but a 64-bit little-endian ELF file; TT_E_BAD_ELF when its
 * headers point outside it). A debug file missing or not used is not an error.
 */
struct tt_elf_syms *tt_elf_syms__open_debug(const char *path, const struct tt_elf_debug *d);
/* The same with d NULL: debug files under /usr/lib/debug, rejections silent. */
struct tt_elf_syms *tt_elf_syms__open(const char *path);
/*
 * The symbols of the file of build id build_id (lower-case hex) where it is not at its path:
 * the file itself in a build-id tree of d's directories, DIR/.build-id/xx/rest (Fedora's
 * layout) or DIR/.build-id/xx/rest/elf (perf's buildid-cache), its symbols from its debug
 * file when it is stripped; else the debug file alone, DIR/.build-id/xx/rest.debug. The first
 * of that build; NULL with errno ENOENT when there is none. A debug file alone places file
 * offsets only where it kept the file's layout: one made by objcopy --only-keep-debug did not
 * (empty segments), so its code is not named (the tape keeps file offsets, not addresses).
 */
struct tt_elf_syms *tt_elf_syms__open_build_id(const char *build_id, const struct tt_elf_debug *d);
/* Accepts NULL. */
void tt_elf_syms__free(struct tt_elf_syms *s);

/* The file's GNU build id in lower-case hex ("" when it has none). */
const char *tt_elf_syms__build_id(const struct tt_elf_syms *s);

/* The debug file whose symbols were read (borrowed), or NULL (the file's own, or none). */
const char *tt_elf_syms__debug_file(const struct tt_elf_syms *s);

/* The file itself, as opened (borrowed), or NULL: its debug file alone was found. */
const char *tt_elf_syms__path(const struct tt_elf_syms *s);

/*
 * The link-time address (the one symbols and DWARF use) of file offset off, through the
 * program headers: 0 and *addr, or -1 when no loaded segment holds off.
 */
int tt_elf_syms__addr(const struct tt_elf_syms *s, uint64_t off, uint64_t *addr);

/*
 * The function containing file offset off: returns its name (borrowed, valid until free) and
 * sets *sym_off to off's distance from its start, or NULL when no function symbol covers it.
 */
const char *tt_elf_syms__lookup(const struct tt_elf_syms *s, uint64_t off, uint64_t *sym_off);

#endif /* TT_ELF_SYMS_H */
