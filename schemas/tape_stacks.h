/* SPDX-License-Identifier: MIT */
/*
 * The STACKS block of a tape (schemas/TAPE_FORMAT.md 4, `STACKS`): the call stacks that
 * `record --stack` took, each stored once per distinct stack, as frames keyed by the file they
 * are in (a module: path and GNU build id) and the offset in that file, so that a tape can be
 * symbolized on another machine; and, per event that has a stack, a reference (thread, time,
 * stack id). The writer encodes records here (tt_tape_stacks_put_*); the reader keeps what it
 * parsed in a struct tt_tape_stacks and hands each reference to its event as the event leaves
 * the reorder window.
 *
 * Memory grows with the number of distinct stacks and modules, not with the number of events:
 * a reference is dropped once its event has been returned (and references never claimed are
 * bounded: past TT_STACK_REFS_MAX unclaimed ones, they are all forgotten).
 */
#ifndef TT_TAPE_STACKS_H
#define TT_TAPE_STACKS_H

#include <stddef.h>
#include <stdint.h>

#include "tt_event.h"
#include "tt_util.h"

#define TT_STACK_FRAMES_MAX 256        /* frames a stack record may hold */
#define TT_STACK_REFS_MAX (1u << 20)   /* unclaimed references the reader keeps */
#define TT_STACK_SYMS_MAX (1u << 20)   /* symbols a reader keeps per module */

/* ---- writing: one TLV record into rec (then tt_tlv_end_record()); 0 or -ENOMEM/-EINVAL ---- */

int tt_tape_stacks_put_module(struct tt_buf *rec, uint32_t id, const char *path,
			      const char *build_id);
int tt_tape_stacks_put_stack(struct tt_buf *rec, uint32_t id, const struct tt_stack_frame *frames,
			     uint32_t n);
int tt_tape_stacks_put_symbol(struct tt_buf *rec, uint32_t module, uint64_t offset, uint64_t size,
			      const char *name);
int tt_tape_stacks_put_ref(struct tt_buf *rec, uint64_t ts_ns, uint32_t tid, uint32_t stack_id);

/* ---- reading ---- */

struct tt_tape_stacks;

/* Empty; NULL with errno set. */
struct tt_tape_stacks *tt_tape_stacks__new(void);
/* Accepts NULL. */
void tt_tape_stacks__free(struct tt_tape_stacks *s);

/*
 * Apply one STACKS block's raw payload (len bytes at p, record_cnt records). Returns 0,
 * -TT_E_CORRUPT (a malformed record, an id reused with other contents, a frame naming an
 * undescribed module, a count that disagrees) or -ENOMEM.
 */
int tt_tape_stacks__parse_block(struct tt_tape_stacks *s, const uint8_t *p, size_t len,
				uint32_t record_cnt);

/* The stack id referenced for the event of thread tid at ts_ns (and forget it), or 0. */
uint32_t tt_tape_stacks__take_ref(struct tt_tape_stacks *s, uint32_t tid, uint64_t ts_ns);

/* Module id's description, or NULL. Valid until free. */
const struct tt_stack_module *tt_tape_stacks__module(const struct tt_tape_stacks *s, uint32_t id);

/* Stack id's frames (innermost first): 0 and *frames, *n set, or -ENOENT. Valid until free. */
int tt_tape_stacks__stack(const struct tt_tape_stacks *s, uint32_t id,
			  const struct tt_stack_frame **frames, uint32_t *n);

/* One more than the largest stack id described. */
uint32_t tt_tape_stacks__stack_cnt(const struct tt_tape_stacks *s);

#endif /* TT_TAPE_STACKS_H */
