/* SPDX-License-Identifier: MIT */
/*
 * The recorder's consumer of a BPF ring buffer map, on the kernel's mmap ABI rather than
 * libbpf's ring_buffer: libbpf 1.1.2 publishes the consumer position after every record, and
 * each such store takes the cache line the producing CPU reads on every reservation. Here the
 * position is published once per batch (or every eighth of the ring, to give the producers
 * room during a long drain).
 */
#ifndef TT_RING_H
#define TT_RING_H

#include <stddef.h>

struct tt_ring;

/* The callback of tt_ring__consume(): one record of size bytes; nonzero stops the batch. */
typedef int (*tt_ring_cb)(void *ctx, void *data, size_t size);

/*
 * Map the ring buffer map map_fd, whose data area is size bytes (its max_entries). Returns the
 * consumer, or NULL with errno set.
 */
struct tt_ring *tt_ring__open(int map_fd, size_t size);

/* Wait up to timeout_ms for the kernel to report data. Returns 1, 0 on timeout, or -errno. */
int tt_ring__poll(struct tt_ring *r, int timeout_ms);

/*
 * Hand every committed record to cb, in the ring's order, and release their space. Records
 * still being written stop the batch there. Returns the records consumed, or the callback's
 * nonzero value (negative) after releasing what was consumed.
 */
long tt_ring__consume(struct tt_ring *r, tt_ring_cb cb, void *ctx);

/* Unmap; accepts NULL. */
void tt_ring__free(struct tt_ring *r);

/*
 * A consumer over memory laid out as the kernel lays out a ring (for tests): positions at
 * *consumer and *producer, data of size bytes at data, followed by the same size bytes again.
 * Free with free(); nothing is unmapped.
 */
struct tt_ring *tt_ring__wrap(unsigned long *consumer, const unsigned long *producer,
			      const void *data, size_t size);

#endif /* TT_RING_H */
