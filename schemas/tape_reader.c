/* SPDX-License-Identifier: MIT */
/*
 * The tape reader (schemas/tape_reader.h; layout in schemas/TAPE_FORMAT.md). Blocks are read in
 * file order: descriptions go into the reader's tables as they come (tape_desc.h), and each
 * event block is decompressed and decoded whole into a "run" (event_decoder.h): arrays of its
 * events' fields, already sorted by (ts, cpu, seq) because the writer sorted the block. __next() merges the runs: it returns the
 * earliest head once an event at least the reorder window later has been loaded (the ring buffer
 * delivers late by far less than that), loading blocks until that is so or a cap on the window's
 * events, blocks or bytes is reached. Runs are recycled, so reading allocates nothing per event
 * and nothing per block once the buffers fit the tape's blocks.
 *
 * Trust nothing: every header, length, count and index is checked before use, and a failed check
 * makes the block damaged: the read stops there (everything before it was returned) or, with
 * skip_damaged, goes on after the block or, when its header cannot be trusted, at the next header
 * found by scanning for the block magic.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "event_decoder.h"
#include "tape_desc.h"
#include "tape_stacks.h"
#include "tape_format.h"
#include "tape_reader.h"
#include "tt_error.h"
#include "tt_util.h"

#define DEFAULT_WINDOW_NS 100000000ULL
#define DEFAULT_WINDOW_EVENTS (1u << 20)
#define DEFAULT_WINDOW_BLOCKS 256
#define DEFAULT_WINDOW_BYTES (256ULL << 20)
#define FREE_RUNS_MAX 4
#define DAMAGE_MAX 64
#define SCAN_CHUNK (64u << 10)
#define STREAM_CHUNK (64u << 10)
#define FOLLOW_POLL_NS 100000000L /* how often a followed file is looked at again */

struct tt_tape_reader {
	int fd; /* -1 for a memory source */
	const uint8_t *mem;
	size_t mem_len;
	uint64_t off; /* file offset of the next block */
	uint64_t data_start;

	uint64_t window_ns;
	uint32_t events_max, blocks_max;
	uint64_t bytes_max;
	int skip_damaged;
	const struct tt_out *out;

	/*
	 * Live reading: a pipe (stream) is read through sdata, which holds its bytes from file
	 * offset sbase on (what precedes the block being read is dropped); a followed file is
	 * waited on at its end. When live, the window is released whenever no more data is there.
	 */
	int stream, follow, live, scanning;
	uint8_t *sdata;
	size_t slen, scap;
	uint64_t sbase;
	int seof;
	void (*idle)(void *ctx);
	void *idle_ctx;

	ZSTD_DCtx *dctx;
	struct tt_buf stored; /* the stored payload of the block being read */
	struct tt_buf meta_raw;
	int done;     /* no more blocks will be loaded */
	int have_seq;
	uint32_t next_seq;
	int after_trailer;
	uint64_t trailer_off; /* where the last trailer block began (when after_trailer) */

	struct tt_tape_desc *desc; /* what the description blocks said */
	struct tt_tape_stacks *stacks; /* what the STACKS blocks said (record --stack) */
	struct tt_tape_damage damage[DAMAGE_MAX];
	size_t damage_cnt;

	/* the reorder window */
	struct tt_event_run **runs;
	uint32_t run_cnt, run_cap;
	struct tt_event_run *free_runs;
	uint32_t free_cnt;
	struct tt_event_run *retired; /* exhausted; its strings back the last event until the next call */
	uint64_t max_ts;
	uint64_t win_events, win_bytes;
	int emitted;
	uint64_t last_ts, last_tie;

	struct tt_event ev;
	uint8_t ev_kinds[TT_MAX_ARGS];
	struct tt_tape_status st;
};

/* ---- small helpers ---- */

static int ensure(uint8_t **buf, size_t *cap, size_t want);

/* Nothing more to read for now: let the caller catch up (flush its output), then wait. */
static void wait_more(struct tt_tape_reader *r, int sleep)
{
	if (r->idle)
		r->idle(r->idle_ctx);
	if (sleep)
		nanosleep(&(struct timespec){0, FOLLOW_POLL_NS}, NULL);
}

/* Whether the pipe can be read without waiting (data, or its end). */
static int stream_readable(struct tt_tape_reader *r)
{
	struct pollfd p = {.fd = r->fd, .events = POLLIN};

	return r->seof || poll(&p, 1, 0) > 0;
}

/* Whether the next block can be read without waiting: bytes buffered past its start, or more. */
static int stream_ready(struct tt_tape_reader *r)
{
	return r->sbase + r->slen > r->off || stream_readable(r);
}

/* read_at() of a pipe: reads on until len bytes past off are buffered or the writer is gone. */
static ssize_t stream_read_at(struct tt_tape_reader *r, uint64_t off, void *buf, size_t len)
{
	size_t got;

	if (r->off > r->sbase) {
		size_t drop = (size_t)TT_MIN(r->off - r->sbase, (uint64_t)r->slen);

		memmove(r->sdata, r->sdata + drop, r->slen - drop);
		r->slen -= drop;
		r->sbase += drop;
	}
	if (off < r->sbase)
		return -ESPIPE;
	while (r->sbase + r->slen < off + len && !r->seof) {
		ssize_t k;
		int err = ensure(&r->sdata, &r->scap, r->slen + STREAM_CHUNK);

		if (err)
			return err;
		if (!stream_readable(r))
			wait_more(r, 0);
		k = read(r->fd, r->sdata + r->slen, r->scap - r->slen);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			r->seof = 1;
		r->slen += (size_t)k;
	}
	if (off >= r->sbase + r->slen)
		return 0;
	got = (size_t)TT_MIN((uint64_t)len, r->sbase + r->slen - off);
	memcpy(buf, r->sdata + (off - r->sbase), got);
	return (ssize_t)got;
}

/*
 * Read up to len bytes at off. Returns the count (short at the end of the data) or -errno. A
 * followed file is waited on until len bytes are there, or the bytes at off are the footer.
 */
static ssize_t read_at(struct tt_tape_reader *r, uint64_t off, void *buf, size_t len)
{
	size_t got = 0;

	if (r->fd < 0) {
		if (off >= r->mem_len)
			return 0;
		got = TT_MIN(len, r->mem_len - (size_t)off);
		memcpy(buf, r->mem + off, got);
		return (ssize_t)got;
	}
	if (r->stream)
		return stream_read_at(r, off, buf, len);
	for (;;) {
		while (got < len) {
			ssize_t k = pread(r->fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));

			if (k < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (k == 0)
				break;
			got += (size_t)k;
		}
		if (got == len || !r->follow || r->scanning ||
		    (got >= TT_TAPE_FOOTER_SZ &&
		     tt_tape_footer_unpack(buf, &(struct tt_tape_footer){0})))
			return (ssize_t)got;
		wait_more(r, 1);
		got = 0;
	}
}

/* Whether a live source has data past the current block now (a read would not wait). */
static int data_ready(struct tt_tape_reader *r)
{
	struct stat st;

	if (r->stream)
		return stream_ready(r);
	return fstat(r->fd, &st) != 0 || (uint64_t)st.st_size > r->off;
}

static uint64_t source_size(const struct tt_tape_reader *r)
{
	struct stat st;

	if (r->fd < 0)
		return r->mem_len;
	if (r->stream)
		return r->sbase + r->slen;
	return fstat(r->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static const char *block_type_name(int type)
{
	switch (type) {
	case TT_BLOCK_META: return "meta";
	case TT_BLOCK_CLOCK: return "clock";
	case TT_BLOCK_PROBES: return "probes";
	case TT_BLOCK_PROCESSES: return "processes";
	case TT_BLOCK_TP_FORMATS: return "tracepoint formats";
	case TT_BLOCK_STACKS: return "stacks";
	case TT_BLOCK_EVENTS: return "events";
	case TT_BLOCK_LOSSES: return "losses";
	case TT_BLOCK_TRAILER: return "trailer";
	default: return "unknown";
	}
}

static void note_damage(struct tt_tape_reader *r, uint64_t off, uint64_t bytes, int err, int type)
{
	if (r->damage_cnt < DAMAGE_MAX)
		r->damage[r->damage_cnt++] = (struct tt_tape_damage){off, bytes, err, type};
	r->st.damaged_blocks++;
	r->st.bytes_skipped += bytes;
	tt_info(r->out, "damaged %s block at offset %llu (%s): %llu bytes %s", block_type_name(type),
		(unsigned long long)off, tt_strerror(err), (unsigned long long)bytes,
		r->skip_damaged ? "skipped" : "not read");
}

/* Damage without skip_damaged: remember it and load nothing more. */
static void stop(struct tt_tape_reader *r, uint64_t off, int err, int type)
{
	uint64_t size = source_size(r);

	note_damage(r, off, size > off ? size - off : 0, err, type);
	r->st.stop_error = err;
	r->st.stopped_at = off;
	r->done = 1;
}

/* ---- blocks ---- */

static int ensure(uint8_t **buf, size_t *cap, size_t want)
{
	uint8_t *p;

	if (want <= *cap)
		return 0;
	p = realloc(*buf, want);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = want;
	return 0;
}

static struct tt_event_run *run_get(struct tt_tape_reader *r)
{
	struct tt_event_run *run = r->free_runs;

	if (run) {
		r->free_runs = run->next_free;
		r->free_cnt--;
		return run;
	}
	return calloc(1, sizeof(*run));
}

static void run_put(struct tt_tape_reader *r, struct tt_event_run *run)
{
	if (r->free_cnt >= FREE_RUNS_MAX) {
		tt_event_run__free(run);
		return;
	}
	run->next_free = r->free_runs;
	r->free_runs = run;
	r->free_cnt++;
}

/* Decompress (or copy) the stored payload into dst, which has room for h->raw_sz bytes. */
static int unpack_payload(struct tt_tape_reader *r, const struct tt_tape_block_hdr *h, uint8_t *dst)
{
	size_t k;

	if (!(h->flags & TT_BLOCK_F_ZSTD)) {
		memcpy(dst, r->stored.data, h->raw_sz);
		return 0;
	}
	k = ZSTD_decompressDCtx(r->dctx, dst, h->raw_sz, r->stored.data, h->stored_sz);
	if (ZSTD_isError(k) || k != h->raw_sz)
		return -TT_E_CORRUPT;
	return 0;
}

/*
 * After damage at off with skip_damaged: find the next offset > off where a block header with a
 * valid checksum starts, scanning for the block magic. Returns that offset, or the end of the
 * data (at least off; also when there is no memory for the scan, which skips the rest).
 */
static uint64_t resync(struct tt_tape_reader *r, uint64_t off)
{
	uint8_t *chunk = malloc(SCAN_CHUNK + TT_TAPE_BLOCK_HDR_SZ_MAX);
	uint64_t pos = off + 1, found = UINT64_MAX;

	r->scanning = 1; /* a followed file is scanned as far as it goes now */
	while (chunk && found == UINT64_MAX) {
		ssize_t k = read_at(r, pos, chunk, SCAN_CHUNK + TT_TAPE_BLOCK_HDR_SZ_MAX);

		if (k < 4)
			break;
		for (size_t i = 0; i + 4 <= (size_t)k; i++) {
			const uint8_t *m = memchr(chunk + i, TT_TAPE_BLOCK_MAGIC[0], (size_t)k - i);
			struct tt_tape_block_hdr h;

			if (!m)
				break;
			i = (size_t)(m - chunk);
			if (i >= SCAN_CHUNK)
				break; /* the next chunk sees it with its whole header */
			if (i + 4 > (size_t)k || memcmp(m, TT_TAPE_BLOCK_MAGIC, 4))
				continue;
			if (tt_tape_block_hdr_unpack(m, (size_t)k - i, &h) == 0) {
				found = pos + i;
				break;
			}
		}
		if ((size_t)k < SCAN_CHUNK + TT_TAPE_BLOCK_HDR_SZ_MAX)
			break;
		pos += SCAN_CHUNK;
	}
	free(chunk);
	r->scanning = 0;
	return found == UINT64_MAX ? TT_MAX(source_size(r), off) : found;
}

/*
 * A damaged block at off: stop, or skip to next_off (UINT64_MAX: find it by scanning). Running
 * out of memory is not damage: it always stops.
 */
static void damaged(struct tt_tape_reader *r, uint64_t off, uint64_t next_off, int err, int type)
{
	if (!r->skip_damaged || err == -ENOMEM) {
		stop(r, off, err, type);
		return;
	}
	if (next_off == UINT64_MAX)
		next_off = resync(r, off);
	note_damage(r, off, next_off - off, err, type);
	r->off = next_off;
}

/*
 * The footer at off ends the tape; anything after it is not ours. The tape was closed cleanly
 * only when the footer points at the trailer block just read: a footer with a valid checksum
 * but another offset is damage, not a clean end.
 */
static void footer(struct tt_tape_reader *r, uint64_t off, const struct tt_tape_footer *f)
{
	uint64_t size = source_size(r);

	if (r->after_trailer && f->trailer_offset != r->trailer_off) {
		damaged(r, off, off + TT_TAPE_FOOTER_SZ, -TT_E_CORRUPT, -1);
		r->done = 1;
		return;
	}
	r->st.closed_cleanly = r->after_trailer;
	if (size > off + TT_TAPE_FOOTER_SZ)
		damaged(r, off + TT_TAPE_FOOTER_SZ, size, -TT_E_CORRUPT, -1);
	r->done = 1;
}

/* The data ends at off + avail, inside the block at off (or exactly at off: a clean end). */
static void cut(struct tt_tape_reader *r, uint64_t off, size_t avail)
{
	r->done = 1;
	if (avail) {
		r->st.truncated = 1;
		r->st.truncated_at = off;
	}
}

/*
 * Read the block at r->off. Descriptions are applied; an event block becomes a run in the window.
 * Returns 1 when a block was consumed (r->off moved on), 0 when nothing more will be read.
 */
static int read_block(struct tt_tape_reader *r)
{
	uint8_t hb[TT_TAPE_BLOCK_HDR_SZ_MAX];
	struct tt_tape_block_hdr h;
	struct tt_tape_footer f;
	uint64_t off = r->off, next;
	size_t payload_sz;
	struct tt_event_run *run;
	ssize_t k;
	int err;

	if (r->done)
		return 0;
	k = read_at(r, off, hb, TT_TAPE_BLOCK_HDR_SZ);
	if (k < 0) {
		stop(r, off, (int)k, -1);
		return 0;
	}
	/* a block header cannot look like a footer: "TTND" as stored_sz is beyond the limits */
	if (k >= TT_TAPE_FOOTER_SZ && tt_tape_footer_unpack(hb, &f)) {
		footer(r, off, &f);
		return 0;
	}
	if (k < TT_TAPE_BLOCK_HDR_SZ) {
		/* after a trailer, the last 16 bytes of the file can only be a (damaged) footer */
		if (k == TT_TAPE_FOOTER_SZ && r->after_trailer && source_size(r) == off + (uint64_t)k) {
			damaged(r, off, off + (uint64_t)k, -TT_E_CHECKSUM, -1);
			r->done = 1;
			return 0;
		}
		cut(r, off, (size_t)k);
		return 0;
	}
	err = tt_tape_block_hdr_unpack(hb, (size_t)k, &h);
	if (err == -TT_E_TRUNCATED) {
		/* a longer (future) header: read all of it */
		uint16_t hsz = tt_get_le16(hb + 6);

		k = read_at(r, off, hb, hsz);
		if (k < 0) {
			stop(r, off, (int)k, -1);
			return 0;
		}
		if ((size_t)k < hsz) {
			cut(r, off, (size_t)k);
			return 0;
		}
		err = tt_tape_block_hdr_unpack(hb, (size_t)k, &h);
	}
	if (err) {
		damaged(r, off, UINT64_MAX, err == -TT_E_BAD_MAGIC ? -TT_E_CORRUPT : err, -1);
		return !r->done;
	}
	payload_sz = h.stored_sz + TT_TAPE_PAD(h.stored_sz);
	next = off + h.hdr_sz + payload_sz;
	err = ensure(&r->stored.data, &r->stored.cap, TT_MAX(payload_sz, 1u));
	if (err) {
		stop(r, off, err, h.type);
		return 0;
	}
	k = read_at(r, off + h.hdr_sz, r->stored.data, payload_sz);
	if (k < 0) {
		stop(r, off, (int)k, h.type);
		return 0;
	}
	if ((size_t)k < payload_sz) {
		cut(r, off, 1);
		return 0;
	}
	if (tt_tape_payload_crc(r->stored.data, h.stored_sz) != h.payload_crc) {
		damaged(r, off, next, -TT_E_CHECKSUM, h.type);
		return !r->done;
	}
	/* the block is intact as written: account for it */
	if (r->have_seq && h.seq > r->next_seq)
		r->st.blocks_missing += h.seq - r->next_seq;
	r->have_seq = 1;
	r->next_seq = h.seq + 1;
	r->st.blocks++;
	r->off = next;
	if ((h.flags & ~TT_BLOCK_F_KNOWN) ||
	    (h.type != TT_BLOCK_EVENTS && h.type != TT_BLOCK_TRAILER &&
	     (h.type < TT_BLOCK_META || h.type > TT_BLOCK_STACKS) && h.type != TT_BLOCK_LOSSES)) {
		r->st.unknown_blocks++;
		return 1;
	}
	r->after_trailer = 0;
	if (h.type != TT_BLOCK_EVENTS) {
		err = ensure(&r->meta_raw.data, &r->meta_raw.cap, TT_MAX(h.raw_sz, 1u));
		if (!err)
			err = unpack_payload(r, &h, r->meta_raw.data);
		if (!err && h.type == TT_BLOCK_STACKS)
			err = tt_tape_stacks__parse_block(r->stacks, r->meta_raw.data, h.raw_sz,
							  h.record_cnt);
		else if (!err)
			err = tt_tape_desc__parse_block(r->desc, h.type, r->meta_raw.data, h.raw_sz,
							h.record_cnt);
		if (err) {
			r->st.blocks--;
			damaged(r, off, next, err, h.type);
			return !r->done;
		}
		r->after_trailer = h.type == TT_BLOCK_TRAILER;
		r->trailer_off = off;
		return 1;
	}
	run = run_get(r);
	if (!run) {
		stop(r, off, -ENOMEM, h.type);
		return 0;
	}
	err = tt_event_run__reserve_raw(run, h.raw_sz);
	if (!err)
		err = unpack_payload(r, &h, run->raw);
	if (!err)
		err = tt_event_run__decode(run, &h);
	/* probes whose description was lost are described from what their events say */
	for (uint32_t i = 0; !err && run->n && i < run->probe_cnt; i++)
		err = tt_tape_desc__probe_seen(r->desc, run->probes[i].id, run->probes[i].argc,
					       run->probes[i].kinds);
	if (err || run->n == 0) {
		run_put(r, run);
		if (err) {
			r->st.blocks--;
			damaged(r, off, next, err == -ENOMEM ? err : -TT_E_CORRUPT, h.type);
			return !r->done;
		}
		return 1;
	}
	if (r->run_cnt == r->run_cap) {
		size_t cap = r->run_cap;

		err = tt_grow((void **)&r->runs, &cap, r->run_cnt + 1, sizeof(*r->runs));
		if (err) {
			run_put(r, run);
			stop(r, off, err, h.type);
			return 0;
		}
		r->run_cap = (uint32_t)cap;
	}
	r->runs[r->run_cnt++] = run;
	if (run->ts[run->n - 1] > r->max_ts)
		r->max_ts = run->ts[run->n - 1];
	r->win_events += run->n;
	r->win_bytes += tt_event_run__bytes(run);
	if (r->win_events > r->st.window_peak_events)
		r->st.window_peak_events = r->win_events;
	return 1;
}

/* ---- opening ---- */

static struct tt_tape_reader *reader_new(const struct tt_tape_reader_opts *opts)
{
	struct tt_tape_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->desc = tt_tape_desc__new();
	r->stacks = tt_tape_stacks__new();
	if (!r->desc || !r->stacks) {
		tt_tape_desc__free(r->desc);
		tt_tape_stacks__free(r->stacks);
		free(r);
		return NULL;
	}
	r->window_ns = opts && opts->reorder_window_ns ? opts->reorder_window_ns : DEFAULT_WINDOW_NS;
	r->events_max = opts && opts->window_events_max ? opts->window_events_max
						       : DEFAULT_WINDOW_EVENTS;
	r->blocks_max = opts && opts->window_blocks_max ? opts->window_blocks_max
						       : DEFAULT_WINDOW_BLOCKS;
	r->bytes_max = opts && opts->window_bytes_max ? opts->window_bytes_max
						     : DEFAULT_WINDOW_BYTES;
	r->skip_damaged = opts ? opts->skip_damaged : 0;
	r->out = opts ? opts->out : NULL;
	r->follow = opts ? opts->follow : 0;
	r->live = opts ? opts->live || opts->follow : 0;
	r->idle = opts ? opts->idle : NULL;
	r->idle_ctx = opts ? opts->idle_ctx : NULL;
	return r;
}

/* Check the file header, then read up to the first event block (so descriptions are known). */
static int reader_start(struct tt_tape_reader *r)
{
	uint8_t hb[TT_TAPE_FILE_HDR_SZ_MAX];
	struct tt_tape_file_hdr fh;
	ssize_t k;
	int err;

	r->dctx = ZSTD_createDCtx();
	if (!r->dctx)
		return -ENOMEM;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax,
						TT_TAPE_ZSTD_WINDOW_LOG_MAX)))
		return -EINVAL;
	k = read_at(r, 0, hb, TT_TAPE_FILE_HDR_SZ);
	if (k < 0)
		return (int)k;
	err = tt_tape_file_hdr_unpack(hb, (size_t)k, &fh);
	if (err == -TT_E_TRUNCATED && k == TT_TAPE_FILE_HDR_SZ) {
		/* a longer (future) file header */
		k = read_at(r, 0, hb, TT_MIN(tt_get_le32(hb + 12), TT_TAPE_FILE_HDR_SZ_MAX));
		if (k < 0)
			return (int)k;
		err = tt_tape_file_hdr_unpack(hb, (size_t)k, &fh);
	}
	if (err)
		return err;
	r->st.version_major = fh.version_major;
	r->st.version_minor = fh.version_minor;
	r->st.file_bytes = source_size(r);
	r->off = r->data_start = fh.hdr_sz;
	while (r->run_cnt == 0 && read_block(r))
		;
	return 0;
}

struct tt_tape_reader *tt_tape_reader__open(const char *path, const struct tt_tape_reader_opts *opts)
{
	struct tt_tape_reader *r = reader_new(opts);
	struct stat st;
	int err;

	if (!r)
		return NULL;
	if (!strcmp(path, "-"))
		r->fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
	else
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st) != 0) {
		err = -errno;
		goto cleanup;
	}
	/* a pipe, FIFO, socket or terminal cannot be read at an offset: read it as it comes */
	r->stream = !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
	r->follow = r->follow && !r->stream;
	err = reader_start(r);
	if (err)
		goto cleanup;
	return r;

cleanup:
	tt_tape_reader__free(r);
	errno = -err;
	return NULL;
}

struct tt_tape_reader *tt_tape_reader__open_mem(const void *buf, size_t len,
						const struct tt_tape_reader_opts *opts)
{
	struct tt_tape_reader *r = reader_new(opts);
	int err;

	if (!r)
		return NULL;
	r->mem = buf;
	r->mem_len = len;
	err = reader_start(r);
	if (err) {
		tt_tape_reader__free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

/* ---- events ---- */

int tt_tape_reader__next(struct tt_tape_reader *r, const struct tt_event **ev)
{
	struct tt_event_run *best;
	uint32_t bi;

	if (r->retired) {
		r->win_bytes -= tt_event_run__bytes(r->retired);
		run_put(r, r->retired);
		r->retired = NULL;
	}
	for (;;) {
		best = NULL;
		bi = 0;
		for (uint32_t i = 0; i < r->run_cnt; i++) {
			if (!best || tt_event_run__head_less(r->runs[i], best)) {
				best = r->runs[i];
				bi = i;
			}
		}
		if (r->done)
			break;
		/*
		 * Safe: every event still to be loaded is at most window_ns earlier than max_ts
		 * (strictly earlier than the limit, so that ties keep their (cpu, seq) order).
		 */
		if (best && r->max_ts >= r->window_ns && best->ts[best->pos] < r->max_ts - r->window_ns)
			break;
		if (best && (r->win_events >= r->events_max || r->run_cnt >= r->blocks_max ||
			     r->win_bytes >= r->bytes_max))
			break;
		/* read live: what the window holds is shown now rather than when more comes */
		if (best && r->live && !data_ready(r))
			break;
		read_block(r);
	}
	if (!best) {
		if (r->st.stop_error)
			return r->st.stop_error;
		return 0;
	}
	tt_event_run__fill(best, &r->ev, r->ev_kinds);
	r->ev.stack_id = tt_tape_stacks__take_ref(r->stacks, r->ev.tid, r->ev.ts_ns);
	{
		uint64_t tie = (uint64_t)r->ev.cpu << 32 | r->ev.seq;

		if (r->emitted && (r->ev.ts_ns < r->last_ts ||
				   (r->ev.ts_ns == r->last_ts && tie < r->last_tie)))
			r->st.out_of_order++;
		if (!r->emitted)
			r->st.ts_first_ns = r->ev.ts_ns;
		if (!r->emitted || r->ev.ts_ns > r->st.ts_last_ns)
			r->st.ts_last_ns = r->ev.ts_ns;
		r->emitted = 1;
		r->last_ts = r->ev.ts_ns;
		r->last_tie = tie;
	}
	r->st.events++;
	r->win_events--;
	if (++best->pos == best->n) {
		r->runs[bi] = r->runs[--r->run_cnt];
		r->retired = best;
	}
	*ev = &r->ev;
	return 1;
}

const uint8_t *tt_tape_reader__event_kinds(const struct tt_tape_reader *r)
{
	return r->ev_kinds;
}

/* ---- descriptions, status ---- */

const struct tt_stack_module *tt_tape_reader__stack_module(const struct tt_tape_reader *r,
							   uint32_t id)
{
	return tt_tape_stacks__module(r->stacks, id);
}

int tt_tape_reader__stack(const struct tt_tape_reader *r, uint32_t id,
			  const struct tt_stack_frame **frames, uint32_t *n)
{
	return tt_tape_stacks__stack(r->stacks, id, frames, n);
}

const struct tt_probe_desc *tt_tape_reader__probe(const struct tt_tape_reader *r, uint32_t id)
{
	return tt_tape_desc__probe(r->desc, id);
}

uint32_t tt_tape_reader__probe_cnt(const struct tt_tape_reader *r)
{
	return tt_tape_desc__probe_cnt(r->desc);
}

const char *tt_tape_reader__meta(const struct tt_tape_reader *r, const char *key)
{
	return tt_tape_desc__meta(r->desc, key);
}

int tt_tape_reader__meta_at(const struct tt_tape_reader *r, size_t i, const char **key,
			    const char **value)
{
	return tt_tape_desc__meta_at(r->desc, i, key, value);
}

uint64_t tt_tape_reader__wall_ns(const struct tt_tape_reader *r, uint64_t mono_ns)
{
	return tt_tape_desc__wall_ns(r->desc, mono_ns);
}

const struct tt_process *tt_tape_reader__process(const struct tt_tape_reader *r, size_t i)
{
	return tt_tape_desc__process(r->desc, i);
}

const char *tt_tape_reader__tp_format(const struct tt_tape_reader *r, uint32_t probe_id)
{
	return tt_tape_desc__tp_format(r->desc, probe_id);
}

const struct tt_loss *tt_tape_reader__losses(const struct tt_tape_reader *r, size_t *cnt)
{
	return tt_tape_desc__losses(r->desc, cnt);
}

void tt_tape_reader__status(const struct tt_tape_reader *r, struct tt_tape_status *st)
{
	*st = r->st;
	st->file_bytes = source_size(r);
	tt_tape_desc__trailer(r->desc, &st->trailer_events, &st->trailer_losses);
}

void tt_tape_reader__position(const struct tt_tape_reader *r, uint64_t *done, uint64_t *total)
{
	*done = r->off;
	*total = r->stream ? 0 : source_size(r);
}

int tt_tape_reader__damage(const struct tt_tape_reader *r, size_t i, struct tt_tape_damage *d)
{
	if (i >= r->damage_cnt)
		return -ENOENT;
	*d = r->damage[i];
	return 0;
}

void tt_tape_reader__free(struct tt_tape_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	for (uint32_t i = 0; i < r->run_cnt; i++)
		tt_event_run__free(r->runs[i]);
	free(r->runs);
	tt_event_run__free(r->retired);
	while (r->free_runs) {
		struct tt_event_run *n = r->free_runs->next_free;

		tt_event_run__free(r->free_runs);
		r->free_runs = n;
	}
	tt_tape_desc__free(r->desc);
	tt_tape_stacks__free(r->stacks);
	tt_buf_free(&r->stored);
	tt_buf_free(&r->meta_raw);
	free(r->sdata);
	ZSTD_freeDCtx(r->dctx);
	free(r);
}
