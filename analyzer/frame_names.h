/* SPDX-License-Identifier: MIT */
/*
 * Names for the frames of a tape's call stacks (`record --stack`), shared by `load` (the frames
 * table) and `replay` (stacks printed under their events): each file is opened once, where the
 * tape was recorded or elsewhere, by the path the traced process mapped, and used only when its
 * build id is the recorded one; a frame is named by the function symbol around it (C++
 * demangled). A file without a path in the tape (the kernel placed the address by build id
 * after the process was gone) is looked for as its debug file by build id. Frames that cannot
 * be named keep their file and offset: that is never an error. Kernel frames (modules
 * "[kernel]", "[MODULE]") are named by the symbols the tape carries, never from a file.
 */
#ifndef TT_FRAME_NAMES_H
#define TT_FRAME_NAMES_H

#include <stdint.h>

#include "tape_reader.h"
#include "tt_event.h"
#include "tt_out.h"
#include "tt_util.h"

struct tt_frame_names;

/*
 * Empty; NULL with errno set. Debug files of stripped files are looked for in debug_dirs
 * (borrowed), then /usr/lib/debug (elf_syms.h); one found but not used is said through out
 * (a warning, once per file; out may be NULL).
 */
struct tt_frame_names *tt_frame_names__new(const char *const *debug_dirs, size_t dir_cnt,
					   const struct tt_out *out);
/* Accepts NULL. */
void tt_frame_names__free(struct tt_frame_names *n);

/*
 * The function of frame depth of a stack (m: its file, NULL for an address in no file; off:
 * the offset in it): a malloc'd name (the caller frees it) with *sym_off the frame's distance
 * from the function's start, or NULL when it cannot be named. A return address (depth > 0) is
 * looked up one byte back, so that the call, not the instruction after it, is named.
 */
char *tt_frame_names__name(struct tt_frame_names *n, const struct tt_stack_module *m,
			   uint64_t off, uint32_t depth, uint64_t *sym_off);

/*
 * The source file and line of the same frame, from the DWARF line tables of its debug file, or
 * of the file itself: 0 with *file (borrowed, valid until n is freed) and *line, or -1 when
 * unknown (no DWARF, or built without libdw: src_lines.h). A return address (depth > 0) is
 * looked up one byte back: the line of the call.
 */
int tt_frame_names__line(struct tt_frame_names *n, const struct tt_stack_module *m,
			 uint64_t off, uint32_t depth, const char **file, int *line);

/*
 * Append stack id of tape reader r to out: text, one line per frame, innermost first,
 * "\tSYMBOL+0xOFF (FILE)" or "\t0xOFFSET (FILE)" (a tab first), followed by " SOURCE:LINE"
 * where DWARF tells; or JSON, an array of
 * {"symbol":S|null,"offset":N,"module":F|null,"file":SOURCE|null,"line":N|null}. Returns 0,
 * -ENOENT (no such stack) or -ENOMEM.
 */
int tt_frame_names__text(struct tt_frame_names *n, struct tt_tape_reader *r, uint32_t id,
			 struct tt_buf *out);
int tt_frame_names__json(struct tt_frame_names *n, struct tt_tape_reader *r, uint32_t id,
			 struct tt_buf *out);

#endif /* TT_FRAME_NAMES_H */
