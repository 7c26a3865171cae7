/* SPDX-License-Identifier: MIT */
/*
 * Source file and line of a code address, from the DWARF line tables of an ELF file (a binary
 * built with -g, or its separate debug file), read with elfutils' libdw. One handle per file,
 * opened on first use. Built without libdw (TT_HAVE_LIBDW unset), every address is unknown:
 * frames then have no file and line, which is never an error.
 */
#ifndef TT_SRC_LINES_H
#define TT_SRC_LINES_H

#include <stdint.h>

struct tt_src_lines;

/* The DWARF of the ELF file at path; NULL when it cannot be read or has no line tables. */
struct tt_src_lines *tt_src_lines__open(const char *path);
/* Accepts NULL. */
void tt_src_lines__free(struct tt_src_lines *s);

/*
 * The line-table row of link-time address addr: 0 with *file (borrowed, valid until free) the
 * source file as the line table names it and *line its line; -1 when no row covers addr.
 */
int tt_src_lines__lookup(struct tt_src_lines *s, uint64_t addr, const char **file, int *line);

#endif /* TT_SRC_LINES_H */
