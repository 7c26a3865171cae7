/* SPDX-License-Identifier: MIT */
/*
 * The event block of a tape being written (schemas/TAPE_FORMAT.md 5): events are appended into
 * compact arrays, their strings interned as they come (a repeated string is stored once per
 * block), and the block is then encoded into the raw payload of one EVENTS block, which the
 * tape writer compresses and writes. The encoder also knows every probe's argument kinds (the
 * columns follow them) and keeps the per-probe and per-CPU event totals for the trailer.
 *
 * Usage: tt_event_encoder__new(), describe each probe (__add_probe), then __append() events;
 * when the block is full (or its time is up) __encode() it, write the payload, and __done().
 * Nothing on the append path allocates once the arrays have grown to a block's size.
 * Not thread-safe: it belongs to one tape writer.
 */
#ifndef TT_EVENT_ENCODER_H
#define TT_EVENT_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "tt_event.h"

struct tt_event_encoder;

/* __append(): the event was appended, and the block has reached a limit: encode it now. */
#define TT_EVENT_ENCODER_FULL 1
/* __append(): the event was not appended, it would overflow the block: encode, then retry. */
#define TT_EVENT_ENCODER_NO_ROOM 2

/* The encoded payload of the pending block, borrowed from the encoder until __done(). */
struct tt_event_block {
	const uint8_t *raw; /* the raw payload (TAPE_FORMAT.md 5.2) */
	size_t raw_sz;
	uint32_t event_cnt;
	uint64_t ts_first_ns, ts_last_ns; /* the earliest and latest event */
};

/*
 * An empty encoder whose blocks hold at most events_max events (at most
 * TT_TAPE_BLOCK_RECORDS_MAX) and about bytes_max bytes of pending events in memory. Returns
 * NULL with errno set.
 */
struct tt_event_encoder *tt_event_encoder__new(uint32_t events_max, uint32_t bytes_max);

/* Free e. Accepts NULL. */
void tt_event_encoder__free(struct tt_event_encoder *e);

/*
 * Learn probe p's argument kinds (p->id must be new). Returns 0, -EINVAL (an id at or above
 * TT_TAPE_PROBE_ID_MAX, too many arguments, a kind with no column shape), -EEXIST or -ENOMEM.
 */
int tt_event_encoder__add_probe(struct tt_event_encoder *e, const struct tt_probe_desc *p);

/*
 * Append ev to the pending block, copying its strings. Returns 0, TT_EVENT_ENCODER_FULL,
 * TT_EVENT_ENCODER_NO_ROOM (see above), -EINVAL (a probe not added, a CPU at or above
 * TT_TAPE_CPU_MAX, a string argument with a length but no bytes), -E2BIG (ev alone would not
 * fit a block) or -ENOMEM. Nothing is appended unless 0 or FULL is returned.
 */
int tt_event_encoder__append(struct tt_event_encoder *e, const struct tt_event *ev);

/* Events in the pending block. */
uint32_t tt_event_encoder__pending(const struct tt_event_encoder *e);

/* Timestamp of the first event appended to the pending block (0 when it is empty). */
uint64_t tt_event_encoder__pending_first_ts(const struct tt_event_encoder *e);

/*
 * Encode the pending block (which must hold events): sort its events by (ts, cpu, seq) and
 * write them column by column into *blk. Returns 0 or -ENOMEM. The block stays pending until
 * __done().
 */
int tt_event_encoder__encode(struct tt_event_encoder *e, struct tt_event_block *blk);

/* The encoded block is on disk: count its events in the totals and start a new block. */
void tt_event_encoder__done(struct tt_event_encoder *e);

/*
 * Events of probe id and of CPU cpu in the blocks marked done. One more than the largest probe
 * id and CPU ever seen bound the loops of a caller that lists them.
 */
uint32_t tt_event_encoder__probe_cap(const struct tt_event_encoder *e);
uint64_t tt_event_encoder__probe_events(const struct tt_event_encoder *e, uint32_t id);
uint32_t tt_event_encoder__cpu_cap(const struct tt_event_encoder *e);
uint64_t tt_event_encoder__cpu_events(const struct tt_event_encoder *e, uint32_t cpu);

#endif /* TT_EVENT_ENCODER_H */
