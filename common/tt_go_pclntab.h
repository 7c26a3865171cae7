/* SPDX-License-Identifier: MIT */
/*
 * The pclntab of a Go binary (Go 1.18 and later; golang/go src/runtime/symtab.go and
 * src/debug/gosym/pclntab.go): the table the Go runtime itself uses to name functions, which
 * stripped binaries keep. Read here for the function list of a stripped binary (entry, size,
 * name) and for every function's argument frame size (_func.args), which checks the parameter
 * locations computed from DWARF.
 *
 * Layout: a header (magic, two zero pads, instruction quantum, pointer size, then eight
 * pointer-sized words: nfunc, nfiles, textStart, and the offsets of funcnametab, cutab, filetab,
 * pctab and the function table); the function table holds nfunc (entryOff, funcOff) u32 pairs,
 * entryOff relative to textStart, funcOff to the function table, then the end offset of the last
 * function; each _func starts with entryOff u32, nameOff i32, args i32. Every offset is checked
 * against the table before it is followed.
 */
#ifndef TT_GO_PCLNTAB_H
#define TT_GO_PCLNTAB_H

#include <stddef.h>
#include <stdint.h>

#include "tt_elf_seg.h"

/* A pclntab whose header was checked (tt_go_pclntab_open()). */
struct tt_go_pclntab {
	const uint8_t *tab; /* borrowed: the section's bytes */
	size_t sz;
	uint64_t nfunc;
	uint64_t text_start; /* runtime.text: what entry offsets are relative to */
	uint64_t nameoff;    /* funcnametab */
	uint64_t pclnoff;    /* the function table */
};

/* The argument frame size of an assembly function that declares none. */
#define TT_GO_PCLN_ARGS_UNKNOWN INT32_MIN

/* One function of the table. */
struct tt_go_pcln_func {
	uint64_t vaddr;   /* link-time address of the entry */
	uint64_t size;    /* bytes up to the next function's entry (padding included) */
	int32_t args;     /* _func.args: the argument frame in bytes, or TT_GO_PCLN_ARGS_UNKNOWN */
	const char *name; /* NUL-terminated, in the table (borrowed); NULL unless asked for */
};

/*
 * Check the header of the pclntab at tab (sz bytes, borrowed until the table is no longer
 * used). textStart must be an executable address of segs; a PIE file may hold 0 there (it is
 * relocated at load time), and then text_addr (.text's address, 0 when unknown) stands for it.
 * Returns 0, -ENOTSUP (the layout of Go 1.2-1.17, or an unknown magic) or -TT_E_BAD_ELF (a
 * malformed header); errbuf (may be NULL) receives the reason.
 */
int tt_go_pclntab_open(struct tt_go_pclntab *t, const uint8_t *tab, size_t sz,
		       const struct tt_elf_segs *segs, uint64_t text_addr, char *errbuf,
		       size_t errbuf_sz);

/*
 * Function i (< t->nfunc) of the table, with its name when want_name. Entries must strictly
 * increase (sizes are differences, lookups bisect) and every offset must stay inside the table.
 * Returns 0 or -TT_E_BAD_ELF with the reason in errbuf.
 */
int tt_go_pclntab_func(const struct tt_go_pclntab *t, uint64_t i, int want_name,
		       struct tt_go_pcln_func *f, char *errbuf, size_t errbuf_sz);

#endif /* TT_GO_PCLNTAB_H */
