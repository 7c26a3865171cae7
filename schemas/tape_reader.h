/* SPDX-License-Identifier: MIT */
/*
 * Reads a tape (schemas/TAPE_FORMAT.md) block by block and returns its events in timestamp
 * order, through a reorder window bounded in memory (ties broken by cpu, then seq).
 *
 * The reader trusts nothing in the file: every length, offset and count is checked before use.
 * A truncated tape yields every event of its whole blocks; a damaged block is an error, or is
 * skipped with a warning when opts.skip_damaged is set. Unknown block types are skipped. Memory
 * use does not grow with the tape's size (only with its number of probes, processes and losses).
 */
#ifndef TT_TAPE_READER_H
#define TT_TAPE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "tt_event.h"
#include "tt_out.h"

struct tt_tape_reader;

struct tt_tape_reader_opts {
	uint64_t reorder_window_ns; /* 0: default (100 ms) */
	int skip_damaged;           /* nonzero: skip blocks with bad checksums or contents */
	const struct tt_out *out;   /* details of damage go here (info level); may be NULL */
	/*
	 * Caps on what the reorder window holds, so that no tape can make the reader's memory grow
	 * without bound: decoded events (0: default 1,048,576), event blocks (0: default 256) and
	 * bytes (0: default 256 MiB). At a cap the earliest event is released without waiting.
	 */
	uint32_t window_events_max;
	uint32_t window_blocks_max;
	uint64_t window_bytes_max;
	/*
	 * Live reading. A pipe (or FIFO, socket, terminal) is always read as it comes, block by
	 * block; follow (nonzero) makes the reader wait at the end of a regular file for more, like
	 * tail -f, until the tape's footer (a tape still being written). With live (or follow),
	 * when no more data is there, the events held in the reorder window are returned at once
	 * (a later block may then hold earlier events: they come out of order), for a reader that
	 * shows events as they happen; without, they wait for the window as usual. idle(idle_ctx),
	 * when set, is called before waiting (to flush output or show progress, say).
	 */
	int follow;
	int live;
	void (*idle)(void *ctx);
	void *idle_ctx;
};

/*
 * Open path ("-": standard input), check the file header and read the descriptions that
 * precede the first events.
 * Returns NULL with errno set (-TT_E_* values as errno too: TT_E_BAD_MAGIC, TT_E_VERSION,
 * TT_E_TRUNCATED when the file is shorter than its header, TT_E_CHECKSUM).
 */
struct tt_tape_reader *tt_tape_reader__open(const char *path, const struct tt_tape_reader_opts *opts);

/*
 * The same over len bytes at buf, which the caller keeps valid and unchanged until
 * tt_tape_reader__free() (for tests and the fuzzer).
 */
struct tt_tape_reader *tt_tape_reader__open_mem(const void *buf, size_t len,
						const struct tt_tape_reader_opts *opts);

/*
 * The next event in timestamp order. Returns 1 and sets *ev (valid until the next call), 0 at
 * the end of the readable tape, or a negative error (a damaged block without skip_damaged).
 * After 0 or an error, tt_tape_reader__status() says how the tape ended.
 */
int tt_tape_reader__next(struct tt_tape_reader *r, const struct tt_event **ev);

/*
 * The argument kinds of the event last returned by __next() (ev->argc of them), as its block
 * declared them. Use these rather than the probe table's kinds to interpret args[] and strs[]:
 * they are what the values were decoded with even when a PROBES block was lost or disagrees.
 * (Whatever the kinds, strs[i].ptr is never NULL and args[i] of a string is 0.)
 */
const uint8_t *tt_tape_reader__event_kinds(const struct tt_tape_reader *r);

/*
 * The probe with this id, or NULL. Valid until the reader is freed. A probe that events use but
 * whose description was lost is described as provider "?" and name "probe<ID>" with the kinds
 * from its event blocks.
 */
const struct tt_probe_desc *tt_tape_reader__probe(const struct tt_tape_reader *r, uint32_t id);
/* One more than the largest probe id seen so far. */
uint32_t tt_tape_reader__probe_cnt(const struct tt_tape_reader *r);

/*
 * record --stack: the call stack an event returned by __next() has (ev->stack_id, 0 for none):
 * 0 and its frames (innermost first, valid until free), or -ENOENT when it is not described;
 * the file a frame is in (frame.module), or NULL (module 0: an address in no file).
 */
int tt_tape_reader__stack(const struct tt_tape_reader *r, uint32_t id,
			  const struct tt_stack_frame **frames, uint32_t *n);
const struct tt_stack_module *tt_tape_reader__stack_module(const struct tt_tape_reader *r,
							   uint32_t id);

/* The value of a metadata key, or NULL. */
const char *tt_tape_reader__meta(const struct tt_tape_reader *r, const char *key);
/* Iterate metadata: returns 0 and sets key/value for index i, -ENOENT past the end. */
int tt_tape_reader__meta_at(const struct tt_tape_reader *r, size_t i, const char **key, const char **value);

/* Convert a CLOCK_MONOTONIC timestamp to wall-clock ns since the epoch (0 if no anchor). */
uint64_t tt_tape_reader__wall_ns(const struct tt_tape_reader *r, uint64_t mono_ns);

/* A process seen in the capture, or NULL. */
struct tt_process {
	uint32_t pid, ppid;
	const char *comm, *exe, *cmdline; /* may be NULL */
};
const struct tt_process *tt_tape_reader__process(const struct tt_tape_reader *r, size_t i);

/* The tracefs format text of a tracepoint probe, or NULL. */
const char *tt_tape_reader__tp_format(const struct tt_tape_reader *r, uint32_t probe_id);

/* The loss records read so far (all of them once __next() returned 0). */
const struct tt_loss *tt_tape_reader__losses(const struct tt_tape_reader *r, size_t *cnt);

struct tt_tape_status {
	int closed_cleanly;        /* a valid trailer was read */
	int truncated;             /* the file ends inside a block */
	uint64_t truncated_at;     /* file offset of the cut-off block */
	uint32_t damaged_blocks;   /* blocks skipped (or the one that stopped the read) */
	uint64_t bytes_skipped;
	uint64_t events;           /* events returned so far */
	uint64_t blocks;           /* blocks read */
	uint64_t file_bytes;
	uint64_t ts_first_ns, ts_last_ns;
	uint64_t trailer_events;   /* event total claimed by the trailer (when closed cleanly) */
	uint64_t trailer_losses;   /* lost-event total claimed by the trailer */
	int stop_error;            /* the damage that ended the read (without skip_damaged), or 0 */
	uint64_t stopped_at;       /* file offset of that damage */
	uint64_t blocks_missing;   /* blocks lost in damaged stretches (gaps in block numbers) */
	uint64_t unknown_blocks;   /* blocks of unknown types or flags, skipped */
	uint64_t out_of_order;     /* events released behind an earlier-returned one (window caps) */
	uint64_t window_peak_events; /* most events the reorder window held at once */
	uint16_t version_major, version_minor;
};
void tt_tape_reader__status(const struct tt_tape_reader *r, struct tt_tape_status *st);

/*
 * How far reading has come, for progress: the bytes of the source read so far into *done and
 * its size into *total (0 when unknown: standard input or another pipe).
 */
void tt_tape_reader__position(const struct tt_tape_reader *r, uint64_t *done, uint64_t *total);

/* One stretch of damage: where, how long, why (TT_E_CHECKSUM, TT_E_CORRUPT, ...). */
struct tt_tape_damage {
	uint64_t offset;
	uint64_t bytes; /* bytes not read from offset on */
	int err;        /* negative */
	int block_type; /* the damaged block's type when its header was intact, else -1 */
};
/* The i-th damage met so far (the first 64 are kept): 0, or -ENOENT past the end. */
int tt_tape_reader__damage(const struct tt_tape_reader *r, size_t i, struct tt_tape_damage *d);

/* Close and free. Accepts NULL. */
void tt_tape_reader__free(struct tt_tape_reader *r);

#endif /* TT_TAPE_READER_H */
