/* SPDX-License-Identifier: MIT */
/*
 * Batched consumption of a BPF ring buffer through its mmap ABI (see ring.h). Layout, as the
 * kernel defines it: the first page of the map, writable, holds the consumer position; the
 * next page, read-only, the producer position; then the data area, mapped twice in a row so
 * that a record that wraps around is contiguous. Positions only grow; a record starts with an
 * 8-byte header (length, with a busy and a discard bit) and is padded to 8 bytes.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring.h"

#define RINGBUF_BUSY_BIT (1U << 31)
#define RINGBUF_DISCARD_BIT (1U << 30)
#define RINGBUF_HDR_SZ 8

struct tt_ring {
	int fd;
	size_t size;            /* data area bytes, a power of two */
	size_t page_sz;
	unsigned long *consumer; /* RW page */
	void *producer_map;      /* RO: producer page + data twice */
	const unsigned long *producer;
	const uint8_t *data;
};

struct tt_ring *tt_ring__open(int map_fd, size_t size)
{
	struct tt_ring *r;
	int err;

	if (!size || (size & (size - 1))) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fd = map_fd;
	r->size = size;
	r->page_sz = (size_t)sysconf(_SC_PAGESIZE);
	r->consumer = mmap(NULL, r->page_sz, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (r->consumer == MAP_FAILED) {
		err = errno;
		free(r);
		errno = err;
		return NULL;
	}
	r->producer_map = mmap(NULL, r->page_sz + 2 * size, PROT_READ, MAP_SHARED, map_fd,
			       (off_t)r->page_sz);
	if (r->producer_map == MAP_FAILED) {
		err = errno;
		munmap(r->consumer, r->page_sz);
		free(r);
		errno = err;
		return NULL;
	}
	r->producer = r->producer_map;
	r->data = (const uint8_t *)r->producer_map + r->page_sz;
	return r;
}

struct tt_ring *tt_ring__wrap(unsigned long *consumer, const unsigned long *producer,
			      const void *data, size_t size)
{
	struct tt_ring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->size = size;
	r->consumer = consumer;
	r->producer = producer;
	r->data = data;
	return r;
}

void tt_ring__free(struct tt_ring *r)
{
	if (!r || !r->producer_map) {
		free(r);
		return;
	}
	munmap(r->producer_map, r->page_sz + 2 * r->size);
	munmap(r->consumer, r->page_sz);
	free(r);
}

int tt_ring__poll(struct tt_ring *r, int timeout_ms)
{
	struct pollfd p = {.fd = r->fd, .events = POLLIN};
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n > 0;
}

long tt_ring__consume(struct tt_ring *r, tt_ring_cb cb, void *ctx)
{
	unsigned long cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE);
	unsigned long published = cons, prod;
	long cnt = 0;
	int ret = 0;

	prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
	while (cons < prod) {
		const uint8_t *hdr = r->data + (cons & (r->size - 1));
		uint32_t len = __atomic_load_n((const uint32_t *)hdr, __ATOMIC_ACQUIRE);
		uint32_t data_len = len & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);

		if (len & RINGBUF_BUSY_BIT)
			break; /* reserved, not committed yet: later records wait behind it */
		if (!(len & RINGBUF_DISCARD_BIT)) {
			ret = cb(ctx, (void *)(hdr + RINGBUF_HDR_SZ), data_len);
			cnt++;
		}
		cons += (RINGBUF_HDR_SZ + data_len + 7) & ~7UL;
		if (ret)
			break;
		/* A long drain releases space as it goes, an eighth of the ring at a time. */
		if (cons - published >= r->size / 8) {
			__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
			published = cons;
		}
		if (cons == prod)
			prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
	}
	if (cons != published)
		__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
	return ret ? (ret < 0 ? ret : -ECANCELED) : cnt;
}
