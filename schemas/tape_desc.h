/* SPDX-License-Identifier: MIT */
/*
 * What a tape says about its capture, as the tape reader meets it (schemas/TAPE_FORMAT.md 4, 6,
 * 7): metadata, clock anchors, the probe table, processes, tracepoint formats, loss records and
 * the trailer's totals. The reader hands each description block's records to
 * tt_tape_desc__parse_block() and answers its public queries (tape_reader.h) from here.
 *
 * Every field of a record is checked; a malformed record makes its block damaged
 * (-TT_E_CORRUPT), and the reader decides what that means. Strings are copied into chunks that
 * never move, so every pointer handed out stays valid until tt_tape_desc__free(). Memory grows
 * with the number of descriptions, never with the number of events.
 */
#ifndef TT_TAPE_DESC_H
#define TT_TAPE_DESC_H

#include <stddef.h>
#include <stdint.h>

#include "tape_reader.h" /* struct tt_process */
#include "tt_event.h"

struct tt_tape_desc;

/* An empty description. Returns NULL with errno set. */
struct tt_tape_desc *tt_tape_desc__new(void);

/* Free d and every string it handed out. Accepts NULL. */
void tt_tape_desc__free(struct tt_tape_desc *d);

/*
 * Apply the records of one description block of type type (TT_BLOCK_META ... TT_BLOCK_TRAILER;
 * other types are ignored), whose raw payload is the len bytes at p and which claims
 * record_cnt records. Returns 0, -TT_E_CORRUPT (a malformed record, or a record count that
 * disagrees) or -ENOMEM. Records before a malformed one may have been applied.
 */
int tt_tape_desc__parse_block(struct tt_tape_desc *d, int type, const uint8_t *p, size_t len,
			      uint32_t record_cnt);

/*
 * A probe that events use: when the tape has no description of id (its PROBES block was lost),
 * describe it as provider "?" and name "probe<ID>" with the argc kinds its event blocks give; a
 * description read later replaces this one. Returns 0 or -ENOMEM.
 */
int tt_tape_desc__probe_seen(struct tt_tape_desc *d, uint32_t id, uint8_t argc,
			     const uint8_t *kinds);

/* The probe with this id, or NULL. */
const struct tt_probe_desc *tt_tape_desc__probe(const struct tt_tape_desc *d, uint32_t id);
/* One more than the largest probe id described so far. */
uint32_t tt_tape_desc__probe_cnt(const struct tt_tape_desc *d);

/* The value of the last metadata record with this key, or NULL. */
const char *tt_tape_desc__meta(const struct tt_tape_desc *d, const char *key);
/* The i-th metadata record: 0 and *key, *value set, or -ENOENT past the end. */
int tt_tape_desc__meta_at(const struct tt_tape_desc *d, size_t i, const char **key,
			  const char **value);

/*
 * mono_ns (CLOCK_MONOTONIC) as wall-clock ns since the epoch, interpolated between the clock
 * anchors around it (0 without anchors).
 */
uint64_t tt_tape_desc__wall_ns(const struct tt_tape_desc *d, uint64_t mono_ns);

/* The i-th process described, or NULL past the end. */
const struct tt_process *tt_tape_desc__process(const struct tt_tape_desc *d, size_t i);

/* The tracefs format text of the tracepoint behind probe_id (the first one given), or NULL. */
const char *tt_tape_desc__tp_format(const struct tt_tape_desc *d, uint32_t probe_id);

/* The loss records read so far, in tape order. */
const struct tt_loss *tt_tape_desc__losses(const struct tt_tape_desc *d, size_t *cnt);

/* The event and lost-event totals the trailer claims (0 until a trailer was read). */
void tt_tape_desc__trailer(const struct tt_tape_desc *d, uint64_t *events, uint64_t *lost);

#endif /* TT_TAPE_DESC_H */
