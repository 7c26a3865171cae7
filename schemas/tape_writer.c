/* SPDX-License-Identifier: MIT */
/*
 * The tape writer (schemas/tape_writer.h; layout in schemas/TAPE_FORMAT.md). Descriptions
 * (metadata, clocks, probes, processes, tracepoint formats) and losses are TLV records collected
 * in one pending block per type; events go to the event block encoder (event_encoder.h) until
 * their block is flushed. Every block's payload becomes one zstd frame when that is smaller, and
 * each block reaches the file in one write(). A clean close adds the trailer: totals, per-probe
 * and per-CPU counts, and an index of the event blocks that thins itself to a bounded size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "event_encoder.h"
#include "tape_format.h"
#include "tape_stacks.h"
#include "tape_writer.h"
#include "tt_error.h"
#include "tt_util.h"

#define DEFAULT_ZSTD_LEVEL 3
#define DEFAULT_BLOCK_EVENTS 65536
#define DEFAULT_BLOCK_BYTES (4u << 20)
#define DEFAULT_FLUSH_NS 1000000000ULL
#define PIPE_FLUSH_NS 250000000ULL /* into a pipe or FIFO, read live */
/* A description block is written early once its pending records reach this size. */
#define DESC_FLUSH_BYTES (1u << 20)

/* Pending TLV blocks, one per description type plus losses, flushed in this order. */
enum pend_kind {
	PK_META, PK_CLOCK, PK_PROBES, PK_PROCESSES, PK_TP_FORMATS, PK_STACKS, PK_LOSSES, PK_CNT
};
static const uint8_t pend_block_type[PK_CNT] = {
	TT_BLOCK_META, TT_BLOCK_CLOCK, TT_BLOCK_PROBES, TT_BLOCK_PROCESSES, TT_BLOCK_TP_FORMATS,
	TT_BLOCK_STACKS, TT_BLOCK_LOSSES,
};

struct pend_block {
	struct tt_buf buf;
	uint32_t record_cnt;
};

struct index_ent {
	uint64_t offset, ts_first, ts_last;
	uint32_t seq, events;
};

struct tt_tape_writer {
	int fd;
	int err; /* the first error: returned by every later call */
	int zstd_level;
	uint64_t flush_interval_ns;
	int sync;

	uint64_t bytes; /* file offset of the next block */
	uint32_t seq;   /* sequence number of the next block */
	uint64_t event_cnt;
	uint64_t ts_first, ts_last;

	struct pend_block pend[PK_CNT];
	struct tt_buf rec; /* scratch TLV record */

	struct tt_event_encoder *enc; /* the pending event block */
	struct tt_buf z;   /* block header + stored payload + padding */
	ZSTD_CCtx *cctx;

	/* trailer */
	uint64_t loss_total, loss_records;
	uint64_t event_blocks;
	struct index_ent *index;
	uint32_t index_cnt, index_cap, index_stride;
};

/* Grow an array of elem_sz elements to hold at least want; returns 0 or -ENOMEM. */
static int grow(void **arr, uint32_t *cap, uint32_t want, size_t elem_sz)
{
	uint32_t n = *cap ? *cap : 64;
	void *p;

	if (want <= *cap)
		return 0;
	while (n < want)
		n = n > UINT32_MAX / 2 ? want : n * 2;
	p = realloc(*arr, (size_t)n * elem_sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Remember the first error; every later call returns it. */
static int fail(struct tt_tape_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

/* Index an event block; the index thins itself to stay under TT_TRL_INDEX_MAX entries. */
static int index_add(struct tt_tape_writer *w, uint64_t offset, const struct tt_tape_block_hdr *h)
{
	struct index_ent *e;
	int err;

	if (w->event_blocks++ % w->index_stride)
		return 0;
	if (w->index_cnt == TT_TRL_INDEX_MAX) {
		/* keep every other entry: blocks 0, 2s, 4s, ... are the multiples of the new stride */
		for (uint32_t i = 0; i < w->index_cnt / 2; i++)
			w->index[i] = w->index[2 * i];
		w->index_cnt /= 2;
		w->index_stride *= 2;
		if ((w->event_blocks - 1) % w->index_stride)
			return 0;
	}
	err = grow((void **)&w->index, &w->index_cap, w->index_cnt + 1, sizeof(*w->index));
	if (err)
		return err;
	e = &w->index[w->index_cnt++];
	e->offset = offset;
	e->seq = h->seq;
	e->events = h->record_cnt;
	e->ts_first = h->ts_first_ns;
	e->ts_last = h->ts_last_ns;
	return 0;
}

/*
 * Write one block: compress raw when that makes it smaller, checksum, one write(). On error the
 * file may end inside this block, which readers report as a truncation.
 */
static int write_block(struct tt_tape_writer *w, uint8_t type, const uint8_t *raw, size_t raw_sz,
		       uint32_t record_cnt, uint64_t ts_first, uint64_t ts_last)
{
	struct tt_tape_block_hdr h = {0};
	size_t bound = ZSTD_compressBound(raw_sz);
	size_t stored, total;
	uint8_t *payload;
	int err;

	if (w->err)
		return w->err;
	if (raw_sz > TT_TAPE_BLOCK_RAW_MAX)
		return fail(w, -E2BIG);
	w->z.len = 0;
	err = tt_buf_reserve(&w->z, TT_TAPE_BLOCK_HDR_SZ + TT_MAX(bound, raw_sz) + TT_TAPE_ALIGN);
	if (err)
		return fail(w, err);
	payload = w->z.data + TT_TAPE_BLOCK_HDR_SZ;
	stored = ZSTD_compressCCtx(w->cctx, payload, bound, raw, raw_sz, w->zstd_level);
	if (!ZSTD_isError(stored) && stored < raw_sz) {
		h.flags = TT_BLOCK_F_ZSTD;
	} else {
		stored = raw_sz;
		if (raw_sz)
			memcpy(payload, raw, raw_sz);
	}
	memset(payload + stored, 0, TT_TAPE_PAD(stored));
	h.type = type;
	h.stored_sz = (uint32_t)stored;
	h.raw_sz = (uint32_t)raw_sz;
	h.record_cnt = record_cnt;
	h.seq = w->seq;
	h.ts_first_ns = ts_first;
	h.ts_last_ns = ts_last;
	h.payload_crc = tt_tape_payload_crc(payload, h.stored_sz);
	tt_tape_block_hdr_pack(w->z.data, &h);
	total = TT_TAPE_BLOCK_HDR_SZ + stored + TT_TAPE_PAD(stored);
	err = write_all(w->fd, w->z.data, total);
	if (err)
		return fail(w, err);
	if (type == TT_BLOCK_EVENTS && (err = index_add(w, w->bytes, &h)) != 0)
		return fail(w, err);
	w->bytes += total;
	w->seq++;
	return 0;
}

static int flush_pend(struct tt_tape_writer *w, enum pend_kind k)
{
	struct pend_block *pb = &w->pend[k];
	int err;

	if (!pb->record_cnt)
		return w->err;
	err = write_block(w, pend_block_type[k], pb->buf.data, pb->buf.len, pb->record_cnt, 0, 0);
	pb->buf.len = 0;
	pb->record_cnt = 0;
	return err;
}

static int flush_descriptions(struct tt_tape_writer *w)
{
	int err = 0;

	for (int k = PK_META; k <= PK_STACKS && !err; k++)
		err = flush_pend(w, k);
	return err;
}

/* Close the scratch record w->rec into the pending block of kind k. */
static int end_record(struct tt_tape_writer *w, enum pend_kind k)
{
	struct pend_block *pb = &w->pend[k];
	int err = tt_tlv_end_record(&pb->buf, &w->rec);

	if (err)
		return fail(w, err);
	pb->record_cnt++;
	if (k != PK_LOSSES && pb->buf.len >= DESC_FLUSH_BYTES)
		return flush_pend(w, k);
	if (k == PK_LOSSES && pb->buf.len >= DESC_FLUSH_BYTES) {
		/* losses follow the events they concern: write those first */
		err = tt_tape_writer__flush(w);
	}
	return err;
}

struct tt_tape_writer *tt_tape_writer__open(const char *path, const struct tt_tape_writer_opts *opts)
{
	struct tt_tape_writer *w;
	uint8_t hdr[TT_TAPE_FILE_HDR_SZ];
	struct stat st;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fd = -1;
	w->zstd_level = opts && opts->zstd_level ? opts->zstd_level : DEFAULT_ZSTD_LEVEL;
	w->flush_interval_ns = opts && opts->flush_interval_ns ? opts->flush_interval_ns
							       : DEFAULT_FLUSH_NS;
	w->sync = opts ? opts->sync : 0;
	w->index_stride = 1;
	w->enc = tt_event_encoder__new(opts && opts->block_events_max ? opts->block_events_max
								      : DEFAULT_BLOCK_EVENTS,
				       opts && opts->block_bytes_max ? opts->block_bytes_max
								     : DEFAULT_BLOCK_BYTES);
	w->cctx = ZSTD_createCCtx();
	if (!w->enc || !w->cctx) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* 0600: a tape holds whatever the probes saw (URLs, queries, user names) */
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (fstat(w->fd, &st) != 0) {
		err = -errno;
		goto cleanup;
	}
	/* an existing file keeps its mode through O_TRUNC: tighten it (regular files only) */
	if (S_ISREG(st.st_mode) && (st.st_mode & 077) && fchmod(w->fd, 0600) != 0) {
		err = -errno;
		goto cleanup;
	}
	/* a pipe or a FIFO has a reader watching live (record -o - | replay -): flush sooner */
	if (!S_ISREG(st.st_mode) && !(opts && opts->flush_interval_ns))
		w->flush_interval_ns = PIPE_FLUSH_NS;
	tt_tape_file_hdr_pack(hdr, tt_now_real_ns());
	err = write_all(w->fd, hdr, sizeof(hdr));
	if (err)
		goto cleanup;
	w->bytes = sizeof(hdr);
	return w;

cleanup:
	tt_tape_writer__free(w);
	errno = -err;
	return NULL;
}

int tt_tape_writer__add_meta(struct tt_tape_writer *w, const char *key, const char *value)
{
	int err;

	if (w->err)
		return w->err;
	if (!key)
		return -EINVAL;
	err = tt_tlv_put_str(&w->rec, TT_META_KEY, key);
	if (!err)
		err = tt_tlv_put_str(&w->rec, TT_META_VALUE, value ? value : "");
	return err ? fail(w, err) : end_record(w, PK_META);
}

int tt_tape_writer__add_clock(struct tt_tape_writer *w, uint64_t mono_ns, uint64_t real_ns)
{
	int err;

	if (w->err)
		return w->err;
	err = tt_tlv_put_uint(&w->rec, TT_CLOCK_MONO, mono_ns);
	if (!err)
		err = tt_tlv_put_uint(&w->rec, TT_CLOCK_REAL, real_ns);
	return err ? fail(w, err) : end_record(w, PK_CLOCK);
}

int tt_tape_writer__add_probe(struct tt_tape_writer *w, const struct tt_probe_desc *p)
{
	int err;

	if (w->err)
		return w->err;
	/* the encoder checks the description (a bad one is refused, not fatal) and learns its
	 * kinds; the record written next cannot fail but for memory, which is fatal anyway */
	err = tt_event_encoder__add_probe(w->enc, p);
	if (err)
		return err == -ENOMEM ? fail(w, err) : err;
	err = tt_tlv_put_uint(&w->rec, TT_PROBE_F_ID, p->id);
	if (!err)
		err = tt_tlv_put_uint(&w->rec, TT_PROBE_F_TYPE, p->type);
	if (!err) {
		/* A mangled name is a string column on disk, marked apart: a 1.0 reader skips the
		 * mark and still reads the tape. */
		uint8_t kinds[TT_MAX_ARGS];
		uint64_t cxx = 0;

		for (int i = 0; i < p->argc && i < TT_MAX_ARGS; i++) {
			kinds[i] = p->kinds[i];
			if (TT_KIND_CLASS(kinds[i]) == TT_CLASS_CXXNAME) {
				kinds[i] = TT_KIND_STR;
				cxx |= 1u << i;
			}
		}
		err = tt_tlv_put_bytes(&w->rec, TT_PROBE_F_KINDS, kinds, p->argc);
		if (!err && cxx)
			err = tt_tlv_put_uint(&w->rec, TT_PROBE_F_CXXNAMES, cxx);
	}
	if (!err)
		err = tt_tlv_put_str(&w->rec, TT_PROBE_F_PROVIDER, p->provider);
	if (!err)
		err = tt_tlv_put_str(&w->rec, TT_PROBE_F_NAME, p->name);
	if (!err)
		err = tt_tlv_put_str(&w->rec, TT_PROBE_F_BINARY, p->binary);
	if (!err)
		err = tt_tlv_put_str(&w->rec, TT_PROBE_F_BUILD_ID, p->build_id);
	if (!err)
		err = tt_tlv_put_str(&w->rec, TT_PROBE_F_ARG_SPECS, p->arg_specs);
	for (int i = 0; i < p->argc && !err; i++) {
		uint8_t tmp[256];
		size_t n;

		if (!p->arg_names[i])
			continue;
		n = TT_MIN(strlen(p->arg_names[i]), sizeof(tmp) - 1);
		tmp[0] = (uint8_t)i;
		memcpy(tmp + 1, p->arg_names[i], n);
		err = tt_tlv_put_bytes(&w->rec, TT_PROBE_F_ARG_NAME, tmp, n + 1);
	}
	if (err) {
		w->rec.len = 0;
		return fail(w, err);
	}
	return end_record(w, PK_PROBES);
}

int tt_tape_writer__add_process(struct tt_tape_writer *w, uint32_t pid, uint32_t ppid,
				const char *comm, const char *exe, const char *cmdline)
{
	int err;

	if (w->err)
		return w->err;
	err = tt_tlv_put_uint(&w->rec, TT_PROC_PID, pid);
	if (!err)
		err = tt_tlv_put_uint(&w->rec, TT_PROC_PPID, ppid);
	if (!err)
		err = tt_tlv_put_str(&w->rec, TT_PROC_COMM, comm);
	if (!err)
		err = tt_tlv_put_str(&w->rec, TT_PROC_EXE, exe);
	if (!err)
		err = tt_tlv_put_str(&w->rec, TT_PROC_CMDLINE, cmdline);
	return err ? fail(w, err) : end_record(w, PK_PROCESSES);
}

int tt_tape_writer__add_tp_format(struct tt_tape_writer *w, uint32_t probe_id, const char *format)
{
	int err;

	if (w->err)
		return w->err;
	if (!format)
		return -EINVAL;
	err = tt_tlv_put_uint(&w->rec, TT_TPF_PROBE_ID, probe_id);
	if (!err)
		err = tt_tlv_put_str(&w->rec, TT_TPF_FORMAT, format);
	return err ? fail(w, err) : end_record(w, PK_TP_FORMATS);
}

int tt_tape_writer__add_stack_module(struct tt_tape_writer *w, uint32_t id, const char *path,
				     const char *build_id)
{
	int err;

	if (w->err)
		return w->err;
	err = tt_tape_stacks_put_module(&w->rec, id, path, build_id);
	if (err == -EINVAL) {
		w->rec.len = 0;
		return err;
	}
	return err ? fail(w, err) : end_record(w, PK_STACKS);
}

int tt_tape_writer__add_stack_symbol(struct tt_tape_writer *w, uint32_t module, uint64_t offset,
				     uint64_t size, const char *name)
{
	int err;

	if (w->err)
		return w->err;
	err = tt_tape_stacks_put_symbol(&w->rec, module, offset, size, name);
	if (err == -EINVAL) {
		w->rec.len = 0;
		return err;
	}
	return err ? fail(w, err) : end_record(w, PK_STACKS);
}

int tt_tape_writer__add_stack(struct tt_tape_writer *w, uint32_t id,
			      const struct tt_stack_frame *frames, uint32_t n)
{
	int err;

	if (w->err)
		return w->err;
	err = tt_tape_stacks_put_stack(&w->rec, id, frames, n);
	if (err == -EINVAL) {
		w->rec.len = 0;
		return err;
	}
	return err ? fail(w, err) : end_record(w, PK_STACKS);
}

int tt_tape_writer__add_loss(struct tt_tape_writer *w, const struct tt_loss *loss)
{
	int err;

	if (w->err)
		return w->err;
	err = tt_tlv_put_uint(&w->rec, TT_LOSS_F_CPU, loss->cpu);
	if (!err && loss->probe_id != TT_LOSS_ANY_PROBE)
		err = tt_tlv_put_uint(&w->rec, TT_LOSS_F_PROBE_ID, loss->probe_id);
	if (!err)
		err = tt_tlv_put_uint(&w->rec, TT_LOSS_F_TS_START, loss->ts_start_ns);
	if (!err)
		err = tt_tlv_put_uint(&w->rec, TT_LOSS_F_TS_END, loss->ts_end_ns);
	if (!err)
		err = tt_tlv_put_uint(&w->rec, TT_LOSS_F_COUNT, loss->count);
	if (err)
		return fail(w, err);
	w->loss_total += loss->count;
	w->loss_records++;
	return end_record(w, PK_LOSSES);
}

/* Encode and write the pending event block (if any), then the pending losses. */
static int flush_events(struct tt_tape_writer *w)
{
	struct tt_event_block blk;
	int err;

	if (tt_event_encoder__pending(w->enc)) {
		err = tt_event_encoder__encode(w->enc, &blk);
		if (err)
			return fail(w, err);
		err = write_block(w, TT_BLOCK_EVENTS, blk.raw, blk.raw_sz, blk.event_cnt,
				  blk.ts_first_ns, blk.ts_last_ns);
		if (err)
			return err;
		if (w->event_cnt == 0 || blk.ts_first_ns < w->ts_first)
			w->ts_first = blk.ts_first_ns;
		if (blk.ts_last_ns > w->ts_last)
			w->ts_last = blk.ts_last_ns;
		w->event_cnt += blk.event_cnt;
		tt_event_encoder__done(w->enc);
	}
	return flush_pend(w, PK_LOSSES);
}

int tt_tape_writer__flush(struct tt_tape_writer *w)
{
	int err;

	if (w->err)
		return w->err;
	err = flush_descriptions(w);
	if (!err)
		err = flush_events(w);
	if (!err && w->sync && fdatasync(w->fd) != 0 && errno != EINVAL) /* EINVAL: a pipe */
		err = fail(w, -errno);
	return err;
}

int tt_tape_writer__append(struct tt_tape_writer *w, const struct tt_event *ev)
{
	int r, err;

	if (w->err)
		return w->err;
	/* Its stack reference goes before the event: descriptions precede the events' block. */
	if (ev->stack_id) {
		err = tt_tape_stacks_put_ref(&w->rec, ev->ts_ns, ev->tid, ev->stack_id);
		err = err ? fail(w, err) : end_record(w, PK_STACKS);
		if (err)
			return err;
	}
	r = tt_event_encoder__append(w->enc, ev);
	if (r == TT_EVENT_ENCODER_NO_ROOM) {
		err = tt_tape_writer__flush(w);
		if (err)
			return err;
		r = tt_event_encoder__append(w->enc, ev);
	}
	if (r == TT_EVENT_ENCODER_FULL)
		return tt_tape_writer__flush(w);
	/* a refused event (-EINVAL, -E2BIG) leaves the writer usable; any other error is fatal */
	if (r < 0 && r != -EINVAL && r != -E2BIG)
		return fail(w, r);
	return r;
}

int tt_tape_writer__tick(struct tt_tape_writer *w, uint64_t now_mono_ns)
{
	int pending = w->pend[PK_LOSSES].record_cnt != 0;
	uint64_t first_ts = tt_event_encoder__pending_first_ts(w->enc);

	if (w->err)
		return w->err;
	for (int k = PK_META; k < PK_STACKS; k++)
		pending |= w->pend[k].record_cnt != 0;
	if (tt_event_encoder__pending(w->enc)) {
		if (now_mono_ns >= first_ts && now_mono_ns - first_ts >= w->flush_interval_ns)
			pending = 1;
	} else if (w->pend[PK_STACKS].record_cnt) {
		pending = 1;
	}
	return pending ? tt_tape_writer__flush(w) : 0;
}

uint64_t tt_tape_writer__bytes(const struct tt_tape_writer *w)
{
	return w->bytes;
}

uint64_t tt_tape_writer__event_cnt(const struct tt_tape_writer *w)
{
	return w->event_cnt + tt_event_encoder__pending(w->enc);
}

uint64_t tt_tape_writer__written_cnt(const struct tt_tape_writer *w)
{
	return w->event_cnt;
}

static int trailer_totals(struct tt_tape_writer *w, struct tt_buf *b)
{
	int err = tt_tlv_put_uint(&w->rec, TT_TRL_KIND, TT_TRL_KIND_TOTALS);

	err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_EVENTS, w->event_cnt);
	err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_LOST, w->loss_total);
	err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_LOSS_RECORDS, w->loss_records);
	err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_BLOCKS, w->seq);
	err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_TS_FIRST, w->ts_first);
	err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_TS_LAST, w->ts_last);
	err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_INDEX_STRIDE, w->index_stride);
	return err ? err : tt_tlv_end_record(b, &w->rec);
}

/* A per-probe or per-CPU trailer record: kind, id, events. */
static int trailer_id_events(struct tt_tape_writer *w, struct tt_buf *b, uint64_t kind,
			     uint32_t id, uint64_t events)
{
	int err = tt_tlv_put_uint(&w->rec, TT_TRL_KIND, kind);

	err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_ID, id);
	err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_ID_EVENTS, events);
	return err ? err : tt_tlv_end_record(b, &w->rec);
}

static int trailer_counts(struct tt_tape_writer *w, struct tt_buf *b, uint32_t *cnt)
{
	int err = 0;

	for (uint32_t id = 0; id < tt_event_encoder__probe_cap(w->enc) && !err; id++) {
		uint64_t events = tt_event_encoder__probe_events(w->enc, id);

		if (!events)
			continue;
		err = trailer_id_events(w, b, TT_TRL_KIND_PROBE, id, events);
		++*cnt;
	}
	for (uint32_t cpu = 0; cpu < tt_event_encoder__cpu_cap(w->enc) && !err; cpu++) {
		uint64_t events = tt_event_encoder__cpu_events(w->enc, cpu);

		if (!events)
			continue;
		err = trailer_id_events(w, b, TT_TRL_KIND_CPU, cpu, events);
		++*cnt;
	}
	for (uint32_t i = 0; i < w->index_cnt && !err; i++) {
		const struct index_ent *e = &w->index[i];

		err = tt_tlv_put_uint(&w->rec, TT_TRL_KIND, TT_TRL_KIND_INDEX);
		err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_IDX_OFFSET, e->offset);
		err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_IDX_SEQ, e->seq);
		err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_IDX_EVENTS, e->events);
		err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_IDX_TS_FIRST, e->ts_first);
		err = err ? err : tt_tlv_put_uint(&w->rec, TT_TRL_IDX_TS_LAST, e->ts_last);
		err = err ? err : tt_tlv_end_record(b, &w->rec);
		++*cnt;
	}
	return err;
}

static int write_trailer(struct tt_tape_writer *w)
{
	struct tt_buf b = {0};
	uint8_t footer[TT_TAPE_FOOTER_SZ];
	uint64_t offset;
	uint32_t cnt = 1;
	int err;

	err = trailer_totals(w, &b);
	if (!err)
		err = trailer_counts(w, &b, &cnt);
	if (!err && b.len > TT_TAPE_BLOCK_RAW_MAX) {
		/* absurdly many probes: keep the totals, which the reader needs */
		b.len = 0;
		cnt = 1;
		err = trailer_totals(w, &b);
	}
	if (err) {
		err = fail(w, err);
		goto cleanup;
	}
	offset = w->bytes;
	err = write_block(w, TT_BLOCK_TRAILER, b.data, b.len, cnt, 0, 0);
	if (err)
		goto cleanup;
	tt_tape_footer_pack(footer, offset);
	err = write_all(w->fd, footer, sizeof(footer));
	if (err) {
		err = fail(w, err);
		goto cleanup;
	}
	w->bytes += sizeof(footer);
cleanup:
	tt_buf_free(&b);
	return err;
}

int tt_tape_writer__close(struct tt_tape_writer *w)
{
	int err;

	err = tt_tape_writer__flush(w);
	if (!err)
		err = write_trailer(w);
	if (!err && fdatasync(w->fd) != 0 && errno != EINVAL) /* EINVAL: a device without sync */
		err = fail(w, -errno);
	if (close(w->fd) != 0 && !err)
		err = fail(w, -errno);
	w->fd = -1;
	err = w->err ? w->err : err;
	tt_tape_writer__free(w);
	return err;
}

void tt_tape_writer__free(struct tt_tape_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (int k = 0; k < PK_CNT; k++)
		tt_buf_free(&w->pend[k].buf);
	tt_buf_free(&w->rec);
	tt_event_encoder__free(w->enc);
	tt_buf_free(&w->z);
	ZSTD_freeCCtx(w->cctx);
	free(w->index);
	free(w);
}
