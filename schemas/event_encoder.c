/* SPDX-License-Identifier: MIT */
/*
 * The event block encoder (schemas/event_encoder.h; layout in schemas/TAPE_FORMAT.md 5). Events
 * wait in compact arrays, their string arguments interned into the block's string table as they
 * come. At encode time the events are sorted by (ts, cpu, seq) and encoded column by column in
 * two passes: the first builds the block's CPU, thread and probe tables and computes the exact
 * size of every stream (and, per integer column, of each candidate encoding), the second writes
 * each value at its stream's cursor in one output buffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "event_encoder.h"
#include "tape_format.h"
#include "tt_hash.h"
#include "tt_util.h"

/*
 * Headroom under TT_TAPE_BLOCK_RAW_MAX for the fixed part of an event block (counts, stream
 * lengths of the fixed streams), so that the per-event bound below is enough.
 */
#define BLOCK_FIXED_BOUND 256
/*
 * What a new string adds to the pending block's memory besides its bytes: its table entry and
 * its share of the index, counted as 16 bytes (the figure bytes_max has been tuned with, which
 * keeps the blocks of a given input where they were).
 */
#define STR_ENTRY_MEM 16

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

struct tt_event_encoder {
	uint32_t events_max; /* a block is full at this many events */
	uint32_t bytes_max;  /* ... or at this many bytes of pending events in memory */

	struct wprobe *probes; /* by probe id */
	uint32_t probe_cap;
	struct cpu_slot *cpus; /* by CPU number */
	uint32_t cpu_cap;

	/* the pending block */
	struct pend_ev *evs;
	uint32_t ev_cnt, ev_cap;
	uint64_t *vals;
	size_t val_cnt, val_cap;
	struct bstr *strs; /* the block's string table */
	uint32_t str_cnt, str_cap;
	struct tt_hidx str_ix; /* (bytes, flags) -> position in strs */
	struct tt_buf str_bytes;
	uint64_t strings_len; /* bytes of the STRINGS stream */
	uint64_t pend_mem;    /* in-memory size of the pending events (bytes_max) */
	uint64_t pend_bound;  /* worst-case encoded size of the pending events */
	uint64_t pend_first_ts;

	/* encoding scratch, reused */
	struct sort_key *keys, *keys_aux;
	struct ev_local *locals;
	uint32_t scratch_cap;
	uint32_t gen;
	uint32_t *lcpu, *lprobe;       /* tables of the block: cpu numbers, probe ids */
	uint32_t *lcpu_first_seq;
	struct thread_ent *lthread;
	struct tt_hidx thread_ix;      /* (pid, tid) -> position in lthread */
	struct col *cols;
	uint32_t col_cap;
	uint32_t *seq_prev;
	struct tt_buf out; /* raw payload */
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

/* Make the per-event encoding scratch arrays hold n events. */
static int grow_scratch(struct tt_event_encoder *e, uint32_t n)
{
	void **arrs[] = {
		(void **)&e->keys, (void **)&e->keys_aux, (void **)&e->locals, (void **)&e->lcpu,
		(void **)&e->lcpu_first_seq, (void **)&e->seq_prev, (void **)&e->lprobe,
		(void **)&e->lthread,
	};
	const size_t sizes[] = {
		sizeof(*e->keys), sizeof(*e->keys_aux), sizeof(*e->locals), sizeof(*e->lcpu),
		sizeof(*e->lcpu_first_seq), sizeof(*e->seq_prev), sizeof(*e->lprobe),
		sizeof(*e->lthread),
	};
	uint32_t cap = e->scratch_cap;

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
	e->scratch_cap = cap;
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
static int64_t thread_local(struct tt_event_encoder *e, uint32_t pid, uint32_t tid, uint32_t *cnt)
{
	struct thread_key k = {e->lthread, pid, tid};
	uint32_t h = (uint32_t)tt_hash_u64((uint64_t)pid << 32 | tid);
	int64_t i = tt_hidx_find(&e->thread_ix, h, thread_eq, &k);

	if (i >= 0)
		return i;
	if (tt_hidx_add(&e->thread_ix, h, *cnt))
		return -ENOMEM;
	e->lthread[*cnt] = (struct thread_ent){pid, tid};
	return (*cnt)++;
}

/* A string being looked up in the pending block's string table. */
struct str_key {
	const struct tt_event_encoder *e;
	const struct tt_bytes *sb;
};

static inline bool str_eq(const void *ctx, uint32_t idx)
{
	const struct str_key *k = ctx;
	const struct bstr *s = &k->e->strs[idx];

	return s->len == k->sb->len && s->flags == k->sb->flags &&
	       (!s->len || !memcmp(k->e->str_bytes.data + s->off, k->sb->ptr, s->len));
}

/*
 * The index of string sb in the pending block's string table, adding (copying) it if new;
 * *added tells which. Returns the index or -ENOMEM.
 */
static int64_t string_intern(struct tt_event_encoder *e, const struct tt_bytes *sb, int *added)
{
	struct str_key k = {e, sb};
	uint32_t h = (uint32_t)tt_hash_bytes(sb->ptr, sb->len, sb->flags);
	int64_t i = tt_hidx_find(&e->str_ix, h, str_eq, &k);
	struct bstr *s;
	int err;

	*added = 0;
	if (i >= 0)
		return i;
	err = grow((void **)&e->strs, &e->str_cap, e->str_cnt + 1, sizeof(*e->strs));
	if (!err)
		err = tt_buf_append(&e->str_bytes, sb->ptr, sb->len);
	if (!err && (err = tt_hidx_add(&e->str_ix, h, e->str_cnt)) != 0)
		e->str_bytes.len -= sb->len;
	if (err)
		return err;
	s = &e->strs[e->str_cnt];
	s->off = (uint32_t)(e->str_bytes.len - sb->len);
	s->len = sb->len;
	s->flags = sb->flags;
	e->str_cnt++;
	e->strings_len += tt_varint_size(sb->flags) + tt_varint_size(sb->len) + sb->len;
	*added = 1;
	return e->str_cnt - 1;
}

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	return p + tt_varint_put(p, v);
}

/* What pass 1 learns of the block: its tables' sizes and every stream's exact length. */
struct plan {
	uint32_t n, cpu_cnt, thread_cnt, probe_cnt, col_cnt;
	uint64_t fixed_len[TT_ES_FIXED_CNT]; /* 0 for a stream left empty (all zeros) */
};

/* Sort the pending events by (ts, cpu, seq) into e->keys. */
static void sort_events(struct tt_event_encoder *e)
{
	for (uint32_t i = 0; i < e->ev_cnt; i++) {
		const struct pend_ev *pe = &e->evs[i];

		e->keys[i] = (struct sort_key){pe->ts_ns, (uint64_t)pe->cpu << 32 | pe->seq, i, 0};
	}
	sort_keys(e->keys, e->keys_aux, e->ev_cnt);
}

/*
 * Pass 1, over the sorted events: the block's CPU, thread and probe tables, each event's
 * indices into them, the exact size of every fixed stream, and per integer column the size of
 * each candidate encoding, of which the smallest is chosen.
 */
static int plan_block(struct tt_event_encoder *e, struct plan *pl)
{
	/* locals, not *pl: the compiler keeps them in registers across the stores below */
	uint32_t n = e->ev_cnt, cpu_cnt = 0, thread_cnt = 0, probe_cnt = 0, col_cnt = 0;
	uint32_t last_pid = 0, last_tid = 0, last_thread = UINT32_MAX;
	uint64_t fixed_len[TT_ES_FIXED_CNT] = {0};
	int any_nonzero[TT_ES_FIXED_CNT] = {0};
	uint64_t ts_prev = 0, goid_prev = 0;
	int err;

	tt_hidx_clear(&e->thread_ix);
	e->gen++;
	fixed_len[TT_ES_STRINGS] = e->strings_len;
	for (uint32_t i = 0; i < n; i++) {
		const struct pend_ev *pe = &e->evs[e->keys[i].idx];
		struct wprobe *wp = &e->probes[pe->probe_id];
		struct cpu_slot *cs = &e->cpus[pe->cpu];
		struct ev_local *l = &e->locals[i];
		uint32_t extra = 0;

		if (cs->gen != e->gen) {
			cs->gen = e->gen;
			cs->local = cpu_cnt;
			e->lcpu[cpu_cnt] = pe->cpu;
			e->lcpu_first_seq[cpu_cnt] = pe->seq;
			e->seq_prev[cpu_cnt] = pe->seq - 1;
			cpu_cnt++;
		}
		if (wp->gen != e->gen) {
			wp->gen = e->gen;
			wp->local = probe_cnt;
			wp->col0 = col_cnt;
			e->lprobe[probe_cnt++] = pe->probe_id;
			err = grow((void **)&e->cols, &e->col_cap, col_cnt + wp->argc, sizeof(*e->cols));
			if (err)
				return err;
			for (uint32_t a = 0; a < wp->argc; a++) {
				struct col *c = &e->cols[col_cnt + a];

				memset(c, 0, sizeof(*c));
				c->shape = (uint8_t)tt_kind_col_shape(wp->kinds[a]);
			}
			col_cnt += wp->argc;
		}
		l->cpu = cs->local;
		l->probe = wp->local;
		if (pe->pid != last_pid || pe->tid != last_tid || last_thread == UINT32_MAX) {
			int64_t t = thread_local(e, pe->pid, pe->tid, &thread_cnt);

			if (t < 0)
				return (int)t;
			last_pid = pe->pid;
			last_tid = pe->tid;
			last_thread = (uint32_t)t;
		}
		l->thread = last_thread;

		fixed_len[TT_ES_TS] += tt_varint_size(pe->ts_ns - ts_prev);
		ts_prev = pe->ts_ns;
		fixed_len[TT_ES_CPU] += tt_varint_size(l->cpu);
		any_nonzero[TT_ES_CPU] |= l->cpu != 0;
		int32_t ds = (int32_t)(pe->seq - e->seq_prev[l->cpu] - 1);

		e->seq_prev[l->cpu] = pe->seq;
		fixed_len[TT_ES_SEQ] += svarint_size(ds);
		any_nonzero[TT_ES_SEQ] |= ds != 0;
		fixed_len[TT_ES_THREAD] += tt_varint_size(l->thread);
		any_nonzero[TT_ES_THREAD] |= l->thread != 0;
		fixed_len[TT_ES_PROBE] += tt_varint_size(l->probe);
		any_nonzero[TT_ES_PROBE] |= l->probe != 0;
		if (pe->goid) {
			extra |= TT_EXTRA_GOID;
			fixed_len[TT_ES_GOID] += svarint_size((int64_t)(pe->goid - goid_prev));
			goid_prev = pe->goid;
		}
		if (pe->fault_mask) {
			extra |= TT_EXTRA_FAULT;
			fixed_len[TT_ES_FAULT] += tt_varint_size(pe->fault_mask);
		}
		fixed_len[TT_ES_EXTRA] += tt_varint_size(extra);
		any_nonzero[TT_ES_EXTRA] |= extra != 0;

		const uint64_t *v = e->vals + pe->val_off;

		for (uint32_t a = 0; a < wp->argc; a++) {
			struct col *c = &e->cols[wp->col0 + a];

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
		struct col *cl = &e->cols[c];

		if (cl->shape != TT_COL_INT)
			continue;
		cl->mode = TT_COL_PLAIN;
		for (uint8_t m = TT_COL_SIGNED; m <= TT_COL_DELTA; m++)
			if (cl->sz[m] < cl->sz[cl->mode])
				cl->mode = m;
		cl->len = 1 + cl->sz[cl->mode];
		cl->prev = 0;
	}
	*pl = (struct plan){n, cpu_cnt, thread_cnt, probe_cnt, col_cnt, {0}};
	memcpy(pl->fixed_len, fixed_len, sizeof(fixed_len));
	return 0;
}

/*
 * Pass 2: the header (counts, tables, stream lengths) into e->out, then every stream written at
 * its own cursor, the sizes being exact.
 */
static int write_block(struct tt_event_encoder *e, const struct plan *pl)
{
	/* locals, not *pl: every byte stored below may alias *pl as far as the compiler knows */
	uint32_t n = pl->n, col_cnt = pl->col_cnt, stream_cnt = TT_ES_FIXED_CNT + col_cnt;
	uint32_t cpu_cnt = pl->cpu_cnt, thread_cnt = pl->thread_cnt, probe_cnt = pl->probe_cnt;
	uint64_t fixed_len[TT_ES_FIXED_CNT];
	uint8_t *cur[TT_ES_FIXED_CNT];
	uint64_t ts_prev = 0, goid_prev = 0, streams_len = 0;
	size_t hdr_bound;
	uint8_t *p;
	int err;

	memcpy(fixed_len, pl->fixed_len, sizeof(fixed_len));
	hdr_bound = 10 + (size_t)cpu_cnt * 15 + (size_t)thread_cnt * 15 +
		    (size_t)probe_cnt * (11 + TT_MAX_ARGS) + 10 + (size_t)stream_cnt * 10;
	for (int s = 0; s < TT_ES_FIXED_CNT; s++)
		streams_len += fixed_len[s];
	for (uint32_t c = 0; c < col_cnt; c++)
		streams_len += e->cols[c].len;
	e->out.len = 0;
	err = tt_buf_reserve(&e->out, hdr_bound + streams_len);
	if (err)
		return err;
	p = e->out.data;
	p = put_varint(p, n);
	p = put_varint(p, cpu_cnt);
	for (uint32_t c = 0; c < cpu_cnt; c++) {
		p = put_varint(p, e->lcpu[c]);
		p = put_varint(p, e->lcpu_first_seq[c]);
		e->seq_prev[c] = e->lcpu_first_seq[c] - 1;
	}
	p = put_varint(p, thread_cnt);
	for (uint32_t t = 0; t < thread_cnt; t++) {
		p = put_varint(p, e->lthread[t].pid);
		p = put_varint(p, tt_zigzag((int64_t)e->lthread[t].tid - (int64_t)e->lthread[t].pid));
	}
	p = put_varint(p, probe_cnt);
	for (uint32_t i = 0; i < probe_cnt; i++) {
		const struct wprobe *wp = &e->probes[e->lprobe[i]];

		p = put_varint(p, e->lprobe[i]);
		*p++ = wp->argc;
		memcpy(p, wp->kinds, wp->argc);
		p += wp->argc;
	}
	p = put_varint(p, stream_cnt);
	for (int s = 0; s < TT_ES_FIXED_CNT; s++)
		p = put_varint(p, fixed_len[s]);
	for (uint32_t c = 0; c < col_cnt; c++)
		p = put_varint(p, e->cols[c].len);
	for (int s = 0; s < TT_ES_FIXED_CNT; s++) {
		cur[s] = p;
		p += fixed_len[s];
	}
	for (uint32_t c = 0; c < col_cnt; c++) {
		struct col *cl = &e->cols[c];

		cl->cur = p;
		p += cl->len;
		if (cl->shape == TT_COL_INT)
			*cl->cur++ = cl->mode;
	}
	e->out.len = (size_t)(p - e->out.data);
	/* the string table, in the order the strings were first appended */
	p = cur[TT_ES_STRINGS];
	for (uint32_t k = 0; k < e->str_cnt; k++) {
		const struct bstr *s = &e->strs[k];

		p = put_varint(p, s->flags);
		p = put_varint(p, s->len);
		memcpy(p, e->str_bytes.data + s->off, s->len);
		p += s->len;
	}

	for (uint32_t i = 0; i < n; i++) {
		const struct pend_ev *pe = &e->evs[e->keys[i].idx];
		const struct ev_local *l = &e->locals[i];
		struct wprobe *wp = &e->probes[pe->probe_id];
		const uint64_t *v = e->vals + pe->val_off;
		uint32_t extra = 0;

		cur[TT_ES_TS] = put_varint(cur[TT_ES_TS], pe->ts_ns - ts_prev);
		ts_prev = pe->ts_ns;
		if (fixed_len[TT_ES_CPU])
			cur[TT_ES_CPU] = put_varint(cur[TT_ES_CPU], l->cpu);
		if (fixed_len[TT_ES_SEQ])
			cur[TT_ES_SEQ] = put_varint(cur[TT_ES_SEQ],
						    tt_zigzag((int32_t)(pe->seq - e->seq_prev[l->cpu] - 1)));
		e->seq_prev[l->cpu] = pe->seq;
		if (fixed_len[TT_ES_THREAD])
			cur[TT_ES_THREAD] = put_varint(cur[TT_ES_THREAD], l->thread);
		if (fixed_len[TT_ES_PROBE])
			cur[TT_ES_PROBE] = put_varint(cur[TT_ES_PROBE], l->probe);
		if (pe->goid) {
			extra |= TT_EXTRA_GOID;
			cur[TT_ES_GOID] = put_varint(cur[TT_ES_GOID],
						     tt_zigzag((int64_t)(pe->goid - goid_prev)));
			goid_prev = pe->goid;
		}
		if (pe->fault_mask) {
			extra |= TT_EXTRA_FAULT;
			cur[TT_ES_FAULT] = put_varint(cur[TT_ES_FAULT], pe->fault_mask);
		}
		if (fixed_len[TT_ES_EXTRA])
			cur[TT_ES_EXTRA] = put_varint(cur[TT_ES_EXTRA], extra);
		for (uint32_t a = 0; a < wp->argc; a++) {
			struct col *c = &e->cols[wp->col0 + a];

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

struct tt_event_encoder *tt_event_encoder__new(uint32_t events_max, uint32_t bytes_max)
{
	struct tt_event_encoder *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->events_max = TT_MIN(events_max, TT_TAPE_BLOCK_RECORDS_MAX);
	e->bytes_max = bytes_max;
	return e;
}

void tt_event_encoder__free(struct tt_event_encoder *e)
{
	if (!e)
		return;
	free(e->probes);
	free(e->cpus);
	free(e->evs);
	free(e->vals);
	free(e->strs);
	tt_hidx_free(&e->str_ix);
	tt_buf_free(&e->str_bytes);
	free(e->keys);
	free(e->keys_aux);
	free(e->locals);
	free(e->lcpu);
	free(e->lcpu_first_seq);
	free(e->seq_prev);
	free(e->lprobe);
	free(e->lthread);
	tt_hidx_free(&e->thread_ix);
	free(e->cols);
	tt_buf_free(&e->out);
	free(e);
}

int tt_event_encoder__add_probe(struct tt_event_encoder *e, const struct tt_probe_desc *p)
{
	struct wprobe *wp;

	if (p->id >= TT_TAPE_PROBE_ID_MAX || p->argc > TT_MAX_ARGS)
		return -EINVAL;
	for (int i = 0; i < p->argc; i++)
		if (tt_kind_col_shape(p->kinds[i]) < 0)
			return -EINVAL;
	if (p->id < e->probe_cap && e->probes[p->id].defined)
		return -EEXIST;
	if (p->id >= e->probe_cap) {
		uint32_t old = e->probe_cap;
		int err = grow((void **)&e->probes, &e->probe_cap, p->id + 1, sizeof(*e->probes));

		if (err)
			return err;
		memset(e->probes + old, 0, (e->probe_cap - old) * sizeof(*e->probes));
	}
	wp = &e->probes[p->id];
	wp->defined = 1;
	wp->argc = p->argc;
	memcpy(wp->kinds, p->kinds, p->argc);
	return 0;
}

int tt_event_encoder__append(struct tt_event_encoder *e, const struct tt_event *ev)
{
	struct wprobe *wp;
	struct pend_ev *pe;
	uint64_t bound, mem;
	int err;

	if (ev->probe_id >= e->probe_cap || !e->probes[ev->probe_id].defined ||
	    ev->cpu >= TT_TAPE_CPU_MAX)
		return -EINVAL;
	wp = &e->probes[ev->probe_id];
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
	if (e->ev_cnt && e->pend_bound + bound > TT_TAPE_BLOCK_RAW_MAX - BLOCK_FIXED_BOUND)
		return TT_EVENT_ENCODER_NO_ROOM;
	if (ev->cpu >= e->cpu_cap) {
		uint32_t old = e->cpu_cap;

		err = grow((void **)&e->cpus, &e->cpu_cap, ev->cpu + 1, sizeof(*e->cpus));
		if (err)
			return err;
		memset(e->cpus + old, 0, (e->cpu_cap - old) * sizeof(*e->cpus));
	}
	err = grow((void **)&e->evs, &e->ev_cap, e->ev_cnt + 1, sizeof(*e->evs));
	if (!err)
		err = tt_grow((void **)&e->vals, &e->val_cap, e->val_cnt + wp->argc, sizeof(*e->vals));
	if (err)
		return err;

	mem = sizeof(*pe) + 8u * wp->argc;
	pe = &e->evs[e->ev_cnt];
	pe->ts_ns = ev->ts_ns;
	pe->goid = ev->goid;
	pe->probe_id = ev->probe_id;
	pe->pid = ev->pid;
	pe->tid = ev->tid;
	pe->cpu = ev->cpu;
	pe->seq = ev->seq;
	pe->fault_mask = ev->fault_mask;
	pe->val_off = (uint32_t)e->val_cnt;
	for (uint32_t a = 0; a < wp->argc; a++) {
		uint64_t v = a < ev->argc ? ev->args[a] : 0;

		if (tt_kind_col_shape(wp->kinds[a]) == TT_COL_STR) {
			struct tt_bytes sb = a < ev->argc ? ev->strs[a] : (struct tt_bytes){0};
			int64_t idx;
			int added;

			idx = string_intern(e, &sb, &added);
			if (idx < 0)
				return (int)idx;
			v = (uint64_t)idx;
			if (added)
				mem += sb.len + STR_ENTRY_MEM;
		}
		e->vals[e->val_cnt++] = v;
	}
	if (e->ev_cnt++ == 0)
		e->pend_first_ts = ev->ts_ns;
	e->pend_mem += mem;
	e->pend_bound += bound;
	if (e->ev_cnt >= e->events_max || e->pend_mem >= e->bytes_max)
		return TT_EVENT_ENCODER_FULL;
	return 0;
}

uint32_t tt_event_encoder__pending(const struct tt_event_encoder *e)
{
	return e->ev_cnt;
}

uint64_t tt_event_encoder__pending_first_ts(const struct tt_event_encoder *e)
{
	return e->ev_cnt ? e->pend_first_ts : 0;
}

int tt_event_encoder__encode(struct tt_event_encoder *e, struct tt_event_block *blk)
{
	uint32_t n = e->ev_cnt;
	struct plan pl;
	int err;

	if (!n)
		return -EINVAL;
	err = grow_scratch(e, n);
	if (err)
		return err;
	sort_events(e);
	err = plan_block(e, &pl);
	if (!err)
		err = write_block(e, &pl);
	if (err)
		return err;
	blk->raw = e->out.data;
	blk->raw_sz = e->out.len;
	blk->event_cnt = n;
	blk->ts_first_ns = e->keys[0].ts;
	blk->ts_last_ns = e->keys[n - 1].ts;
	return 0;
}

void tt_event_encoder__done(struct tt_event_encoder *e)
{
	for (uint32_t i = 0; i < e->ev_cnt; i++) {
		const struct pend_ev *pe = &e->evs[i];

		e->probes[pe->probe_id].events++;
		e->cpus[pe->cpu].events++;
	}
	e->ev_cnt = 0;
	e->val_cnt = 0;
	e->str_cnt = 0;
	e->str_bytes.len = 0;
	e->strings_len = 0;
	tt_hidx_clear(&e->str_ix);
	e->pend_mem = 0;
	e->pend_bound = 0;
}

uint32_t tt_event_encoder__probe_cap(const struct tt_event_encoder *e)
{
	return e->probe_cap;
}

uint64_t tt_event_encoder__probe_events(const struct tt_event_encoder *e, uint32_t id)
{
	return id < e->probe_cap ? e->probes[id].events : 0;
}

uint32_t tt_event_encoder__cpu_cap(const struct tt_event_encoder *e)
{
	return e->cpu_cap;
}

uint64_t tt_event_encoder__cpu_events(const struct tt_event_encoder *e, uint32_t cpu)
{
	return cpu < e->cpu_cap ? e->cpus[cpu].events : 0;
}
