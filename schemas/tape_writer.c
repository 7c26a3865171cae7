/* SPDX-License-Identifier: MIT */
/*
 * The tape writer (schemas/tape_writer.h; layout in schemas/TAPE_FORMAT.md). Descriptions
 * (metadata, clocks, probes, processes, tracepoint formats) and losses are TLV records collected
 * in one pending block per type; events are kept in compact arrays until their block is flushed,
 * their strings interned as they come (a repeated string is stored once per block). At flush the
 * events are sorted by (ts, cpu, seq) and encoded column by column in two passes: the first builds
 * the block's CPU, thread and probe tables and computes the exact size of every stream (and, per
 * integer column, of each candidate encoding), the second writes each value at its stream's
 * cursor in one output buffer. The payload becomes one zstd frame when that is smaller, and each
 * block reaches the file in one write(). Nothing on the append path allocates once the arrays
 * have grown to a block's size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "tape_format.h"
#include "tape_writer.h"
#include "tt_error.h"
#include "tt_hash.h"
#include "tt_util.h"

#define DEFAULT_ZSTD_LEVEL 3
#define DEFAULT_BLOCK_EVENTS 65536
#define DEFAULT_BLOCK_BYTES (4u << 20)
#define DEFAULT_FLUSH_NS 1000000000ULL
/* A description block is written early once its pending records reach this size. */
#define DESC_FLUSH_BYTES (1u << 20)
/*
 * Headroom under TT_TAPE_BLOCK_RAW_MAX for the fixed part of an event block (counts, stream
 * lengths of the fixed streams), so that the per-event bound below is enough.
 */
#define BLOCK_FIXED_BOUND 256

/* Pending TLV blocks, one per description type plus losses, flushed in this order. */
enum pend_kind { PK_META, PK_CLOCK, PK_PROBES, PK_PROCESSES, PK_TP_FORMATS, PK_LOSSES, PK_CNT };
static const uint8_t pend_block_type[PK_CNT] = {
	TT_BLOCK_META, TT_BLOCK_CLOCK, TT_BLOCK_PROBES, TT_BLOCK_PROCESSES, TT_BLOCK_TP_FORMATS,
	TT_BLOCK_LOSSES,
};

struct pend_block {
	struct tt_buf buf;
	uint32_t record_cnt;
};

struct wprobe {
	uint8_t defined;
	uint8_t argc;
	uint8_t kinds[TT_MAX_ARGS];
	uint32_t gen;   /* block generation in which local is valid */
	uint32_t local; /* index in the current block's probe table */
	uint32_t col0;  /* first column of this probe in the current block */
	uint64_t events;
};

/* An event waiting for its block, with its arguments in vals[val_off...]. */
struct pend_ev {
	uint64_t ts_ns;
	uint64_t goid;
	uint32_t probe_id, pid, tid, cpu, seq;
	uint32_t val_off;
	uint16_t fault_mask;
	uint16_t pad0;
	uint32_t pad1;
};

/*
 * A distinct string of the pending block (its string table entry); its bytes are in
 * str_bytes[off, off + len). Strings are interned as they are appended, so a string repeated
 * in a block is hashed once per occurrence but stored and copied once.
 */
struct bstr {
	uint32_t off, len, flags;
};

struct sort_key {
	uint64_t ts;
	uint64_t tie; /* cpu << 32 | seq */
	uint32_t idx;
	uint32_t pad0;
};

/* Per-event indices into the block's tables, by sorted position. */
struct ev_local {
	uint32_t cpu, thread, probe;
};

struct col {
	uint64_t sz[3]; /* bytes per integer mode (TT_COL_PLAIN, _SIGNED, _DELTA) */
	uint64_t prev;
	uint64_t len;   /* the chosen encoding's bytes, mode byte included */
	uint8_t *cur;   /* write cursor in pass 2 */
	uint8_t shape;  /* enum tt_col_shape */
	uint8_t mode;
};

struct cpu_slot {
	uint32_t gen, local;
	uint64_t events;
};

struct thread_ent {
	uint32_t pid, tid;
};

struct index_ent {
	uint64_t offset, ts_first, ts_last;
	uint32_t seq, events;
};

struct tt_tape_writer {
	int fd;
	int err; /* the first error: returned by every later call */
	int zstd_level;
	uint32_t block_events_max;
	uint32_t block_bytes_max;
	uint64_t flush_interval_ns;
	int sync;

	uint64_t bytes; /* file offset of the next block */
	uint32_t seq;   /* sequence number of the next block */
	uint64_t event_cnt;
	uint64_t ts_first, ts_last;

	struct pend_block pend[PK_CNT];
	struct tt_buf rec; /* scratch TLV record */

	struct wprobe *probes;
	uint32_t probe_cap;

	/* pending events */
	struct pend_ev *evs;
	uint32_t ev_cnt, ev_cap;
	uint64_t *vals;
	size_t val_cnt, val_cap;
	struct bstr *strs; /* the block's string table */
	uint32_t str_cnt, str_cap;
	struct tt_hidx str_ix; /* (bytes, flags) -> position in strs */
	struct tt_buf str_bytes;
	uint64_t strings_len; /* bytes of the STRINGS stream */
	uint64_t pend_mem;   /* in-memory size of the pending events (block_bytes_max) */
	uint64_t pend_bound; /* worst-case encoded size of the pending events */
	uint64_t pend_first_ts;

	/* flush scratch, reused */
	struct sort_key *keys, *keys_aux;
	struct ev_local *locals;
	uint32_t scratch_cap;
	uint32_t gen;
	struct cpu_slot *cpus;
	uint32_t cpu_cap;
	uint32_t *lcpu, *lprobe;       /* tables of the block: cpu numbers, probe ids */
	uint32_t *lcpu_first_seq;
	struct thread_ent *lthread;
	struct tt_hidx thread_ix;      /* (pid, tid) -> position in lthread */
	struct col *cols;
	uint32_t col_cap;
	uint32_t *seq_prev;
	struct tt_buf out; /* raw payload */
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

	for (int k = PK_META; k <= PK_TP_FORMATS && !err; k++)
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
	w->block_events_max = opts && opts->block_events_max ? opts->block_events_max
							     : DEFAULT_BLOCK_EVENTS;
	w->block_events_max = TT_MIN(w->block_events_max, TT_TAPE_BLOCK_RECORDS_MAX);
	w->block_bytes_max = opts && opts->block_bytes_max ? opts->block_bytes_max
							   : DEFAULT_BLOCK_BYTES;
	w->flush_interval_ns = opts && opts->flush_interval_ns ? opts->flush_interval_ns
							       : DEFAULT_FLUSH_NS;
	w->sync = opts ? opts->sync : 0;
	w->index_stride = 1;
	w->cctx = ZSTD_createCCtx();
	if (!w->cctx) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* 0600: a tape holds whatever the probes saw (URLs, queries, user names) */
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	/* an existing file keeps its mode through O_TRUNC: tighten it (regular files only) */
	if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) &&
	    fchmod(w->fd, 0600) != 0) {
		err = -errno;
		goto cleanup;
	}
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
	struct wprobe *wp;
	int err;

	if (w->err)
		return w->err;
	if (p->id >= TT_TAPE_PROBE_ID_MAX || p->argc > TT_MAX_ARGS)
		return -EINVAL;
	for (int i = 0; i < p->argc; i++)
		if (tt_kind_col_shape(p->kinds[i]) < 0)
			return -EINVAL;
	if (p->id < w->probe_cap && w->probes[p->id].defined)
		return -EEXIST;
	if (p->id >= w->probe_cap) {
		uint32_t old = w->probe_cap;

		err = grow((void **)&w->probes, &w->probe_cap, p->id + 1, sizeof(*w->probes));
		if (err)
			return fail(w, err);
		memset(w->probes + old, 0, (w->probe_cap - old) * sizeof(*w->probes));
	}
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
	wp = &w->probes[p->id];
	wp->defined = 1;
	wp->argc = p->argc;
	memcpy(wp->kinds, p->kinds, p->argc);
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

/* ---- event blocks ---- */

static inline int key_less(const struct sort_key *a, const struct sort_key *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->tie < b->tie);
}

/*
 * Sort the keys. The ring delivers nearly in order, so an insertion sort usually finishes in
 * about n steps; a budget on its moves bounds the bad cases, which fall back to a merge sort.
 */
static void sort_keys(struct sort_key *k, struct sort_key *aux, uint32_t n)
{
	uint64_t budget = (uint64_t)n * 16;
	uint32_t i;

	for (i = 1; i < n; i++) {
		struct sort_key t = k[i];
		uint32_t j = i;

		if (!key_less(&t, &k[i - 1]))
			continue;
		while (j > 0 && key_less(&t, &k[j - 1]) && budget) {
			k[j] = k[j - 1];
			j--;
			budget--;
		}
		k[j] = t;
		if (!budget)
			break;
	}
	if (i >= n)
		return;
	/* bottom-up merge sort, ping-ponging between k and aux */
	struct sort_key *src = k, *dst = aux;

	for (uint32_t width = 1; width < n; width *= 2) {
		for (uint32_t lo = 0; lo < n; lo += 2 * width) {
			uint32_t mid = TT_MIN(lo + width, n), hi = TT_MIN(lo + 2 * width, n);
			uint32_t a = lo, b = mid, o = lo;

			while (a < mid && b < hi)
				dst[o++] = key_less(&src[b], &src[a]) ? src[b++] : src[a++];
			while (a < mid)
				dst[o++] = src[a++];
			while (b < hi)
				dst[o++] = src[b++];
		}
		struct sort_key *t = src;

		src = dst;
		dst = t;
	}
	if (src != k)
		memcpy(k, src, (size_t)n * sizeof(*k));
}

static inline size_t svarint_size(int64_t v)
{
	return tt_varint_size(tt_zigzag(v));
}

/* Make the per-event flush scratch arrays hold n events. */
static int flush_scratch(struct tt_tape_writer *w, uint32_t n)
{
	void **arrs[] = {
		(void **)&w->keys, (void **)&w->keys_aux, (void **)&w->locals, (void **)&w->lcpu,
		(void **)&w->lcpu_first_seq, (void **)&w->seq_prev, (void **)&w->lprobe,
		(void **)&w->lthread,
	};
	const size_t sizes[] = {
		sizeof(*w->keys), sizeof(*w->keys_aux), sizeof(*w->locals), sizeof(*w->lcpu),
		sizeof(*w->lcpu_first_seq), sizeof(*w->seq_prev), sizeof(*w->lprobe),
		sizeof(*w->lthread),
	};
	uint32_t cap = w->scratch_cap;

	if (n <= cap)
		return 0;
	while (cap < n)
		cap = cap ? cap * 2 : 1024;
	for (size_t i = 0; i < TT_ARRAY_SIZE(arrs); i++) {
		void *p = realloc(*arrs[i], (size_t)cap * sizes[i]);

		if (!p)
			return -ENOMEM;
		*arrs[i] = p;
	}
	w->scratch_cap = cap;
	return 0;
}

/* A (pid, tid) being looked up in the block's thread table. */
struct thread_key {
	const struct thread_ent *tab;
	uint32_t pid, tid;
};

static inline bool thread_eq(const void *ctx, uint32_t idx)
{
	const struct thread_key *k = ctx;

	return k->tab[idx].pid == k->pid && k->tab[idx].tid == k->tid;
}

/* The index of (pid, tid) in the block's thread table, adding it if new; -ENOMEM. */
static int64_t thread_local(struct tt_tape_writer *w, uint32_t pid, uint32_t tid, uint32_t *cnt)
{
	struct thread_key k = {w->lthread, pid, tid};
	uint32_t h = (uint32_t)tt_hash_u64((uint64_t)pid << 32 | tid);
	int64_t i = tt_hidx_find(&w->thread_ix, h, thread_eq, &k);

	if (i >= 0)
		return i;
	if (tt_hidx_add(&w->thread_ix, h, *cnt))
		return -ENOMEM;
	w->lthread[*cnt] = (struct thread_ent){pid, tid};
	return (*cnt)++;
}

/* A string being looked up in the pending block's string table. */
struct str_key {
	const struct tt_tape_writer *w;
	const struct tt_bytes *sb;
};

static inline bool str_eq(const void *ctx, uint32_t idx)
{
	const struct str_key *k = ctx;
	const struct bstr *s = &k->w->strs[idx];

	return s->len == k->sb->len && s->flags == k->sb->flags &&
	       (!s->len || !memcmp(k->w->str_bytes.data + s->off, k->sb->ptr, s->len));
}

/*
 * The index of string sb in the pending block's string table, adding (copying) it if new;
 * *added tells which. Returns the index or -ENOMEM.
 */
static int64_t string_intern(struct tt_tape_writer *w, const struct tt_bytes *sb, int *added)
{
	struct str_key k = {w, sb};
	uint32_t h = (uint32_t)tt_hash_bytes(sb->ptr, sb->len, sb->flags);
	int64_t i = tt_hidx_find(&w->str_ix, h, str_eq, &k);
	struct bstr *s;
	int err;

	*added = 0;
	if (i >= 0)
		return i;
	err = grow((void **)&w->strs, &w->str_cap, w->str_cnt + 1, sizeof(*w->strs));
	if (!err)
		err = tt_buf_append(&w->str_bytes, sb->ptr, sb->len);
	if (!err && (err = tt_hidx_add(&w->str_ix, h, w->str_cnt)) != 0)
		w->str_bytes.len -= sb->len;
	if (err)
		return err;
	s = &w->strs[w->str_cnt];
	s->off = (uint32_t)(w->str_bytes.len - sb->len);
	s->len = sb->len;
	s->flags = sb->flags;
	w->str_cnt++;
	w->strings_len += tt_varint_size(sb->flags) + tt_varint_size(sb->len) + sb->len;
	*added = 1;
	return w->str_cnt - 1;
}

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	return p + tt_varint_put(p, v);
}

static int encode_events(struct tt_tape_writer *w)
{
	uint32_t n = w->ev_cnt, cpu_cnt = 0, thread_cnt = 0, probe_cnt = 0;
	uint32_t last_pid = 0, last_tid = 0, last_thread = UINT32_MAX;
	uint32_t col_cnt = 0, stream_cnt;
	uint64_t fixed_len[TT_ES_FIXED_CNT] = {0};
	uint8_t *cur[TT_ES_FIXED_CNT];
	int any_nonzero[TT_ES_FIXED_CNT] = {0};
	uint64_t ts_prev = 0, goid_prev = 0;
	size_t hdr_bound;
	uint8_t *p;
	int err;

	err = flush_scratch(w, n);
	if (err)
		return err;
	/* ---- sort ---- */
	for (uint32_t i = 0; i < n; i++) {
		const struct pend_ev *e = &w->evs[i];

		w->keys[i] = (struct sort_key){e->ts_ns, (uint64_t)e->cpu << 32 | e->seq, i, 0};
	}
	sort_keys(w->keys, w->keys_aux, n);

	tt_hidx_clear(&w->thread_ix);
	w->gen++;
	fixed_len[TT_ES_STRINGS] = w->strings_len;

	/* ---- pass 1: tables, string table, exact stream sizes ---- */
	for (uint32_t i = 0; i < n; i++) {
		const struct pend_ev *e = &w->evs[w->keys[i].idx];
		struct wprobe *wp = &w->probes[e->probe_id];
		struct cpu_slot *cs = &w->cpus[e->cpu];
		struct ev_local *l = &w->locals[i];
		uint32_t extra = 0;

		if (cs->gen != w->gen) {
			cs->gen = w->gen;
			cs->local = cpu_cnt;
			w->lcpu[cpu_cnt] = e->cpu;
			w->lcpu_first_seq[cpu_cnt] = e->seq;
			w->seq_prev[cpu_cnt] = e->seq - 1;
			cpu_cnt++;
		}
		if (wp->gen != w->gen) {
			wp->gen = w->gen;
			wp->local = probe_cnt;
			wp->col0 = col_cnt;
			w->lprobe[probe_cnt++] = e->probe_id;
			err = grow((void **)&w->cols, &w->col_cap, col_cnt + wp->argc, sizeof(*w->cols));
			if (err)
				return err;
			for (uint32_t a = 0; a < wp->argc; a++) {
				struct col *c = &w->cols[col_cnt + a];

				memset(c, 0, sizeof(*c));
				c->shape = (uint8_t)tt_kind_col_shape(wp->kinds[a]);
			}
			col_cnt += wp->argc;
		}
		l->cpu = cs->local;
		l->probe = wp->local;
		if (e->pid != last_pid || e->tid != last_tid || last_thread == UINT32_MAX) {
			int64_t t = thread_local(w, e->pid, e->tid, &thread_cnt);

			if (t < 0)
				return (int)t;
			last_pid = e->pid;
			last_tid = e->tid;
			last_thread = (uint32_t)t;
		}
		l->thread = last_thread;

		fixed_len[TT_ES_TS] += tt_varint_size(e->ts_ns - ts_prev);
		ts_prev = e->ts_ns;
		fixed_len[TT_ES_CPU] += tt_varint_size(l->cpu);
		any_nonzero[TT_ES_CPU] |= l->cpu != 0;
		int32_t ds = (int32_t)(e->seq - w->seq_prev[l->cpu] - 1);

		w->seq_prev[l->cpu] = e->seq;
		fixed_len[TT_ES_SEQ] += svarint_size(ds);
		any_nonzero[TT_ES_SEQ] |= ds != 0;
		fixed_len[TT_ES_THREAD] += tt_varint_size(l->thread);
		any_nonzero[TT_ES_THREAD] |= l->thread != 0;
		fixed_len[TT_ES_PROBE] += tt_varint_size(l->probe);
		any_nonzero[TT_ES_PROBE] |= l->probe != 0;
		if (e->goid) {
			extra |= TT_EXTRA_GOID;
			fixed_len[TT_ES_GOID] += svarint_size((int64_t)(e->goid - goid_prev));
			goid_prev = e->goid;
		}
		if (e->fault_mask) {
			extra |= TT_EXTRA_FAULT;
			fixed_len[TT_ES_FAULT] += tt_varint_size(e->fault_mask);
		}
		fixed_len[TT_ES_EXTRA] += tt_varint_size(extra);
		any_nonzero[TT_ES_EXTRA] |= extra != 0;

		const uint64_t *v = w->vals + e->val_off;

		for (uint32_t a = 0; a < wp->argc; a++) {
			struct col *c = &w->cols[wp->col0 + a];

			switch (c->shape) {
			case TT_COL_INT:
				c->sz[TT_COL_PLAIN] += tt_varint_size(v[a]);
				c->sz[TT_COL_SIGNED] += svarint_size((int64_t)v[a]);
				c->sz[TT_COL_DELTA] += svarint_size((int64_t)(v[a] - c->prev));
				c->prev = v[a];
				break;
			case TT_COL_FLOAT:
				c->len += 8;
				break;
			default:
				c->len += tt_varint_size(v[a]); /* the string's index */
			}
		}
	}
	for (int s = TT_ES_CPU; s <= TT_ES_EXTRA; s++)
		if (!any_nonzero[s])
			fixed_len[s] = 0; /* an empty stream means all zeros */
	for (uint32_t c = 0; c < col_cnt; c++) {
		struct col *cl = &w->cols[c];

		if (cl->shape != TT_COL_INT)
			continue;
		cl->mode = TT_COL_PLAIN;
		for (uint8_t m = TT_COL_SIGNED; m <= TT_COL_DELTA; m++)
			if (cl->sz[m] < cl->sz[cl->mode])
				cl->mode = m;
		cl->len = 1 + cl->sz[cl->mode];
		cl->prev = 0;
	}

	/* ---- pass 2: header, then every stream at its cursor ---- */
	stream_cnt = TT_ES_FIXED_CNT + col_cnt;
	hdr_bound = 10 + (size_t)cpu_cnt * 15 + (size_t)thread_cnt * 15 +
		    (size_t)probe_cnt * (11 + TT_MAX_ARGS) + 10 + (size_t)stream_cnt * 10;
	uint64_t streams_len = 0;

	for (int s = 0; s < TT_ES_FIXED_CNT; s++)
		streams_len += fixed_len[s];
	for (uint32_t c = 0; c < col_cnt; c++)
		streams_len += w->cols[c].len;
	w->out.len = 0;
	err = tt_buf_reserve(&w->out, hdr_bound + streams_len);
	if (err)
		return err;
	p = w->out.data;
	p = put_varint(p, n);
	p = put_varint(p, cpu_cnt);
	for (uint32_t c = 0; c < cpu_cnt; c++) {
		p = put_varint(p, w->lcpu[c]);
		p = put_varint(p, w->lcpu_first_seq[c]);
		w->seq_prev[c] = w->lcpu_first_seq[c] - 1;
	}
	p = put_varint(p, thread_cnt);
	for (uint32_t t = 0; t < thread_cnt; t++) {
		p = put_varint(p, w->lthread[t].pid);
		p = put_varint(p, tt_zigzag((int64_t)w->lthread[t].tid - (int64_t)w->lthread[t].pid));
	}
	p = put_varint(p, probe_cnt);
	for (uint32_t i = 0; i < probe_cnt; i++) {
		const struct wprobe *wp = &w->probes[w->lprobe[i]];

		p = put_varint(p, w->lprobe[i]);
		*p++ = wp->argc;
		memcpy(p, wp->kinds, wp->argc);
		p += wp->argc;
	}
	p = put_varint(p, stream_cnt);
	for (int s = 0; s < TT_ES_FIXED_CNT; s++)
		p = put_varint(p, fixed_len[s]);
	for (uint32_t c = 0; c < col_cnt; c++)
		p = put_varint(p, w->cols[c].len);
	for (int s = 0; s < TT_ES_FIXED_CNT; s++) {
		cur[s] = p;
		p += fixed_len[s];
	}
	for (uint32_t c = 0; c < col_cnt; c++) {
		struct col *cl = &w->cols[c];

		cl->cur = p;
		p += cl->len;
		if (cl->shape == TT_COL_INT)
			*cl->cur++ = cl->mode;
	}
	w->out.len = (size_t)(p - w->out.data);
	/* the string table, in the order the strings were first appended */
	p = cur[TT_ES_STRINGS];
	for (uint32_t k = 0; k < w->str_cnt; k++) {
		const struct bstr *s = &w->strs[k];

		p = put_varint(p, s->flags);
		p = put_varint(p, s->len);
		memcpy(p, w->str_bytes.data + s->off, s->len);
		p += s->len;
	}

	ts_prev = 0;
	goid_prev = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct pend_ev *e = &w->evs[w->keys[i].idx];
		const struct ev_local *l = &w->locals[i];
		struct wprobe *wp = &w->probes[e->probe_id];
		const uint64_t *v = w->vals + e->val_off;
		uint32_t extra = 0;

		cur[TT_ES_TS] = put_varint(cur[TT_ES_TS], e->ts_ns - ts_prev);
		ts_prev = e->ts_ns;
		if (fixed_len[TT_ES_CPU])
			cur[TT_ES_CPU] = put_varint(cur[TT_ES_CPU], l->cpu);
		if (fixed_len[TT_ES_SEQ])
			cur[TT_ES_SEQ] = put_varint(cur[TT_ES_SEQ],
						    tt_zigzag((int32_t)(e->seq - w->seq_prev[l->cpu] - 1)));
		w->seq_prev[l->cpu] = e->seq;
		if (fixed_len[TT_ES_THREAD])
			cur[TT_ES_THREAD] = put_varint(cur[TT_ES_THREAD], l->thread);
		if (fixed_len[TT_ES_PROBE])
			cur[TT_ES_PROBE] = put_varint(cur[TT_ES_PROBE], l->probe);
		if (e->goid) {
			extra |= TT_EXTRA_GOID;
			cur[TT_ES_GOID] = put_varint(cur[TT_ES_GOID],
						     tt_zigzag((int64_t)(e->goid - goid_prev)));
			goid_prev = e->goid;
		}
		if (e->fault_mask) {
			extra |= TT_EXTRA_FAULT;
			cur[TT_ES_FAULT] = put_varint(cur[TT_ES_FAULT], e->fault_mask);
		}
		if (fixed_len[TT_ES_EXTRA])
			cur[TT_ES_EXTRA] = put_varint(cur[TT_ES_EXTRA], extra);
		for (uint32_t a = 0; a < wp->argc; a++) {
			struct col *c = &w->cols[wp->col0 + a];

			switch (c->shape) {
			case TT_COL_INT: {
				uint64_t x = v[a];

				if (c->mode == TT_COL_SIGNED)
					x = tt_zigzag((int64_t)v[a]);
				else if (c->mode == TT_COL_DELTA)
					x = tt_zigzag((int64_t)(v[a] - c->prev));
				c->prev = v[a];
				c->cur = put_varint(c->cur, x);
				break;
			}
			case TT_COL_FLOAT:
				tt_put_le64(c->cur, v[a]);
				c->cur += 8;
				break;
			default:
				c->cur = put_varint(c->cur, v[a]);
			}
		}
	}
	return 0;
}

/* Encode and write the pending event block (if any), then the pending losses. */
static int flush_events(struct tt_tape_writer *w)
{
	uint32_t n = w->ev_cnt;
	int err;

	if (n) {
		err = encode_events(w);
		if (err)
			return fail(w, err);
		err = write_block(w, TT_BLOCK_EVENTS, w->out.data, w->out.len, n, w->keys[0].ts,
				  w->keys[n - 1].ts);
		if (err)
			return err;
		if (w->event_cnt == 0 || w->keys[0].ts < w->ts_first)
			w->ts_first = w->keys[0].ts;
		if (w->keys[n - 1].ts > w->ts_last)
			w->ts_last = w->keys[n - 1].ts;
		for (uint32_t i = 0; i < n; i++) {
			const struct pend_ev *e = &w->evs[i];

			w->probes[e->probe_id].events++;
			w->cpus[e->cpu].events++;
		}
		w->event_cnt += n;
		w->ev_cnt = 0;
		w->val_cnt = 0;
		w->str_cnt = 0;
		w->str_bytes.len = 0;
		w->strings_len = 0;
		tt_hidx_clear(&w->str_ix);
		w->pend_mem = 0;
		w->pend_bound = 0;
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
	if (!err && w->sync && fdatasync(w->fd) != 0)
		err = fail(w, -errno);
	return err;
}

/* Worst-case encoded bytes of one event (section 5.2), including new table entries. */
static uint64_t event_bound(const struct wprobe *wp, const struct tt_event *ev)
{
	/* streams: ts 10, cpu 3, seq 5, thread 5, probe 3, extra 1, goid 10, fault 3;
	 * tables: cpu 8, thread 15, probe 4 + argc; stream lengths 5 per column + mode byte */
	uint64_t b = 40 + 27 + wp->argc + (uint64_t)wp->argc * 6;

	for (uint32_t a = 0; a < wp->argc; a++) {
		switch (tt_kind_col_shape(wp->kinds[a])) {
		case TT_COL_INT:
			b += 10;
			break;
		case TT_COL_FLOAT:
			b += 8;
			break;
		default:
			b += 5 + 10 + 5 + (a < ev->argc ? ev->strs[a].len : 0);
		}
	}
	return b;
}

int tt_tape_writer__append(struct tt_tape_writer *w, const struct tt_event *ev)
{
	struct wprobe *wp;
	struct pend_ev *pe;
	uint64_t bound, mem;
	int err;

	if (w->err)
		return w->err;
	if (ev->probe_id >= w->probe_cap || !w->probes[ev->probe_id].defined ||
	    ev->cpu >= TT_TAPE_CPU_MAX)
		return -EINVAL;
	wp = &w->probes[ev->probe_id];
	/*
	 * Reject a bad string before anything is interned: a string interned for an event that is
	 * then refused would stay in the block's string table without being counted in pend_bound.
	 */
	for (uint32_t a = 0; a < wp->argc && a < ev->argc; a++)
		if (tt_kind_col_shape(wp->kinds[a]) == TT_COL_STR && ev->strs[a].len && !ev->strs[a].ptr)
			return -EINVAL;
	bound = event_bound(wp, ev);
	if (bound > TT_TAPE_BLOCK_RAW_MAX - BLOCK_FIXED_BOUND)
		return -E2BIG;
	if (w->ev_cnt && w->pend_bound + bound > TT_TAPE_BLOCK_RAW_MAX - BLOCK_FIXED_BOUND) {
		err = tt_tape_writer__flush(w);
		if (err)
			return err;
	}
	if (ev->cpu >= w->cpu_cap) {
		uint32_t old = w->cpu_cap;

		err = grow((void **)&w->cpus, &w->cpu_cap, ev->cpu + 1, sizeof(*w->cpus));
		if (err)
			return fail(w, err);
		memset(w->cpus + old, 0, (w->cpu_cap - old) * sizeof(*w->cpus));
	}
	err = grow((void **)&w->evs, &w->ev_cap, w->ev_cnt + 1, sizeof(*w->evs));
	if (!err)
		err = tt_grow((void **)&w->vals, &w->val_cap, w->val_cnt + wp->argc, sizeof(*w->vals));
	if (err)
		return fail(w, err);

	mem = sizeof(*pe) + 8u * wp->argc;
	pe = &w->evs[w->ev_cnt];
	pe->ts_ns = ev->ts_ns;
	pe->goid = ev->goid;
	pe->probe_id = ev->probe_id;
	pe->pid = ev->pid;
	pe->tid = ev->tid;
	pe->cpu = ev->cpu;
	pe->seq = ev->seq;
	pe->fault_mask = ev->fault_mask;
	pe->val_off = (uint32_t)w->val_cnt;
	for (uint32_t a = 0; a < wp->argc; a++) {
		uint64_t v = a < ev->argc ? ev->args[a] : 0;

		if (tt_kind_col_shape(wp->kinds[a]) == TT_COL_STR) {
			struct tt_bytes sb = a < ev->argc ? ev->strs[a] : (struct tt_bytes){0};
			int64_t idx;
			int added;

			idx = string_intern(w, &sb, &added);
			if (idx < 0)
				return fail(w, (int)idx);
			v = (uint64_t)idx;
			if (added)
				mem += sb.len + sizeof(struct bstr);
		}
		w->vals[w->val_cnt++] = v;
	}
	if (w->ev_cnt++ == 0)
		w->pend_first_ts = ev->ts_ns;
	w->pend_mem += mem;
	w->pend_bound += bound;
	if (w->ev_cnt >= w->block_events_max || w->pend_mem >= w->block_bytes_max)
		return tt_tape_writer__flush(w);
	return 0;
}

int tt_tape_writer__tick(struct tt_tape_writer *w, uint64_t now_mono_ns)
{
	int pending = w->pend[PK_LOSSES].record_cnt != 0;

	if (w->err)
		return w->err;
	for (int k = PK_META; k <= PK_TP_FORMATS; k++)
		pending |= w->pend[k].record_cnt != 0;
	if (w->ev_cnt && now_mono_ns >= w->pend_first_ts &&
	    now_mono_ns - w->pend_first_ts >= w->flush_interval_ns)
		pending = 1;
	return pending ? tt_tape_writer__flush(w) : 0;
}

uint64_t tt_tape_writer__bytes(const struct tt_tape_writer *w)
{
	return w->bytes;
}

uint64_t tt_tape_writer__event_cnt(const struct tt_tape_writer *w)
{
	return w->event_cnt + w->ev_cnt;
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

	for (uint32_t id = 0; id < w->probe_cap && !err; id++) {
		if (!w->probes[id].events)
			continue;
		err = trailer_id_events(w, b, TT_TRL_KIND_PROBE, id, w->probes[id].events);
		++*cnt;
	}
	for (uint32_t cpu = 0; cpu < w->cpu_cap && !err; cpu++) {
		if (!w->cpus[cpu].events)
			continue;
		err = trailer_id_events(w, b, TT_TRL_KIND_CPU, cpu, w->cpus[cpu].events);
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
	free(w->probes);
	free(w->evs);
	free(w->vals);
	free(w->strs);
	tt_buf_free(&w->str_bytes);
	free(w->keys);
	free(w->keys_aux);
	free(w->locals);
	free(w->cpus);
	free(w->lcpu);
	free(w->lcpu_first_seq);
	free(w->seq_prev);
	free(w->lprobe);
	free(w->lthread);
	tt_hidx_free(&w->thread_ix);
	tt_hidx_free(&w->str_ix);
	free(w->cols);
	tt_buf_free(&w->out);
	tt_buf_free(&w->z);
	ZSTD_freeCCtx(w->cctx);
	free(w->index);
	free(w);
}
