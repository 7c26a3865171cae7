/* SPDX-License-Identifier: MIT */
/*
 * Writes a tape (schemas/TAPE_FORMAT.md): a file header, then self-delimiting blocks, each an
 * independent zstd frame with a checksummed header, then a trailer on clean close.
 *
 * Usage: tt_tape_writer__open(), describe the capture (meta, clock anchors, probes, processes,
 * tracepoint formats), append events and losses as they come, call tt_tape_writer__tick()
 * regularly (it flushes the pending event block once it is old enough), and end with
 * tt_tape_writer__close(). Descriptions added before an event are always on disk before the
 * block holding that event, so every whole block of a cut tape can be decoded.
 *
 * Not thread-safe: one writer is used by one thread.
 */
#ifndef TT_TAPE_WRITER_H
#define TT_TAPE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "tt_event.h"

struct tt_tape_writer;

struct tt_tape_writer_opts {
	int zstd_level;              /* 0: the default (a fast level) */
	uint32_t block_events_max;   /* 0: default; an event block is flushed when it holds this many */
	uint32_t block_bytes_max;    /* 0: default; ... or when its encoded size reaches this */
	uint64_t flush_interval_ns;  /* 0: default 1 s (250 ms into a pipe or FIFO, read live);
					... or when its first event is this old */
	int sync;                    /* nonzero: fdatasync() after each flush (bounded loss on power cut) */
};

/*
 * Create path (mode 0600, truncating an existing file) and write the file header.
 * Returns the writer, or NULL with errno set.
 */
struct tt_tape_writer *tt_tape_writer__open(const char *path, const struct tt_tape_writer_opts *opts);

/* Capture metadata as key/value text (tracetape version, host, kernel, command line, ...). */
int tt_tape_writer__add_meta(struct tt_tape_writer *w, const char *key, const char *value);

/* A clock anchor: the same instant read as CLOCK_MONOTONIC and CLOCK_REALTIME. */
int tt_tape_writer__add_clock(struct tt_tape_writer *w, uint64_t mono_ns, uint64_t real_ns);

/* Describe probe p (p->id must be new). The writer copies everything it needs. */
int tt_tape_writer__add_probe(struct tt_tape_writer *w, const struct tt_probe_desc *p);

/* A process seen in the capture. Strings may be NULL. */
int tt_tape_writer__add_process(struct tt_tape_writer *w, uint32_t pid, uint32_t ppid,
				const char *comm, const char *exe, const char *cmdline);

/* The tracefs format text of the tracepoint behind probe_id. */
int tt_tape_writer__add_tp_format(struct tt_tape_writer *w, uint32_t probe_id, const char *format);

/*
 * Append one event; ev->probe_id must have been added. String and byte arguments are copied.
 * May write a block. Returns 0 or a negative errno (write errors such as -ENOSPC are reported
 * here or by a later call, never dropped).
 */
int tt_tape_writer__append(struct tt_tape_writer *w, const struct tt_event *ev);

/*
 * record --stack: a file that frames are in (id from 1, new) and a distinct call stack (id from
 * 1, new; n frames, innermost first, 1..TT_STACK_FRAMES_MAX, modules already added). An event
 * with that stack carries its id in ev->stack_id. Returns 0, -EINVAL (a bad id or count; the
 * writer stays usable) or the writer's error.
 */
int tt_tape_writer__add_stack_module(struct tt_tape_writer *w, uint32_t id, const char *path,
				     const char *build_id);
int tt_tape_writer__add_stack(struct tt_tape_writer *w, uint32_t id,
			      const struct tt_stack_frame *frames, uint32_t n);
/*
 * record --stack tracepoint:...: a function of module (already added) that frames name, for
 * modules whose file the reader cannot have (the kernel): offset and size in the frames'
 * terms, its name. Returns 0, -EINVAL or the writer's error.
 */
int tt_tape_writer__add_stack_symbol(struct tt_tape_writer *w, uint32_t module, uint64_t offset,
				     uint64_t size, const char *name);

/* Record lost events (see struct tt_loss). */
int tt_tape_writer__add_loss(struct tt_tape_writer *w, const struct tt_loss *loss);

/*
 * Flush the pending blocks if the oldest pending event is older than the flush interval, or a
 * description (meta, clock, probe, process, format, loss) is pending. Stacks and events' stack
 * references go with the events they belong to (alone when no event is pending): there are as
 * many references as events with a stack, and a block of them at every tick wrote a block pair
 * for every ~16 events on a quiet machine (a tape 4.8x the size).
 */
int tt_tape_writer__tick(struct tt_tape_writer *w, uint64_t now_mono_ns);

/* Write every pending block now. */
int tt_tape_writer__flush(struct tt_tape_writer *w);

/* Bytes written to the file so far. */
uint64_t tt_tape_writer__bytes(const struct tt_tape_writer *w);

/* Events appended so far. */
uint64_t tt_tape_writer__event_cnt(const struct tt_tape_writer *w);

/*
 * Events in blocks written whole so far: after a failed write (a full disk), the events a
 * reader of the file will find; the others appended are lost.
 */
uint64_t tt_tape_writer__written_cnt(const struct tt_tape_writer *w);

/*
 * Flush, write the trailer (totals and block index), sync and close, then free w.
 * Returns 0 or the first error met during the writer's life. w is freed either way.
 */
int tt_tape_writer__close(struct tt_tape_writer *w);

/* Free w without a trailer (what a crash leaves). Accepts NULL. */
void tt_tape_writer__free(struct tt_tape_writer *w);

#endif /* TT_TAPE_WRITER_H */
