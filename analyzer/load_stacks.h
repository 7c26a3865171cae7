/* SPDX-License-Identifier: MIT */
/*
 * The loader's call stacks (`record --stack`): which events have a stack, noted during the
 * pass, and after it the `stacks`, `frames` and `event_stacks` tables (schemas/tracetape.sql).
 * Stacks are distinct per tape; each is symbolized once: a frame's file is opened where the
 * database is made (the path the traced process mapped), checked against the build id the tape
 * recorded, and its function symbols name the frame (C++ names demangled). A file that is
 * missing or of another build leaves the frame's address (file and offset) without a name:
 * never an error. Memory: 16 bytes per event with a stack, plus the distinct stacks.
 */
#ifndef TT_LOAD_STACKS_H
#define TT_LOAD_STACKS_H

#include <stdint.h>

#include <sqlite3.h>

#include "tape_reader.h"
#include "tt_out.h"

struct tt_stack_loader;

/* Empty; NULL with errno set. debug_dirs (borrowed): where debug files are looked for first. */
struct tt_stack_loader *tt_stack_loader__new(const char *const *debug_dirs, size_t dir_cnt);
/* Accepts NULL. */
void tt_stack_loader__free(struct tt_stack_loader *sl);

/* Event event_id of tape (tapes.id) has stack stack_id of that tape. 0 or -ENOMEM. */
int tt_stack_loader__event(struct tt_stack_loader *sl, uint32_t tape, uint64_t event_id,
			   uint32_t stack_id);

/*
 * Insert the rows (db is the caller's, in a transaction): readers[i] is tape i + 1's reader,
 * for its stacks' frames. Returns 0 or an error said through out.
 */
int tt_stack_loader__insert(struct tt_stack_loader *sl, sqlite3 *db,
			    struct tt_tape_reader *const *readers, size_t reader_cnt,
			    const struct tt_out *out);

#endif /* TT_LOAD_STACKS_H */
