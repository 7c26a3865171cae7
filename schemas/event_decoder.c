/* SPDX-License-Identifier: MIT */
/*
 * The EVENTS block decoder (schemas/event_decoder.h; layout in schemas/TAPE_FORMAT.md 5.3).
 * A payload is read in two steps: first its header (counts, the CPU, thread and probe tables,
 * the stream lengths) is walked once without storing anything, which validates every count
 * against the bytes that hold it before any allocation is sized from it; then the arrays are
 * carved out of the run's buffers and each stream is decoded into them, every varint, index and
 * stream end checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "event_decoder.h"
#include "tt_error.h"
#include "tt_util.h"

const uint8_t tt_event_run_empty_str[1];

/* Read the next varint of [p, end) into v, or fail the block. */
#define GETV(v)                                                 \
	do {                                                    \
		if (tt_varint_get(&p, end, &(v)))               \
			return -TT_E_CORRUPT;                   \
	} while (0)

/* Where the parts of a validated payload are, and their counts. */
struct layout {
	uint64_t n, cpu_cnt, thread_cnt, probe_cnt, col_cnt;
	const uint8_t *cpu_tab, *thr_tab, *probe_tab; /* the tables' first entries */
	const uint8_t *lens;     /* the first stream length */
	const uint8_t *streams;  /* the first stream's bytes */
	const uint8_t *end;      /* the payload's end */
};

/* The byte ranges of the fixed streams, and the state left for the argument columns. */
struct streams {
	const uint8_t *sp[TT_ES_FIXED_CNT], *se[TT_ES_FIXED_CNT];
	const uint8_t *col_lens; /* the first column's length */
	const uint8_t *col_data; /* the first column's bytes */
};

/* Carve an 8-byte aligned array of cnt elements of sz bytes out of *cur. */
static void *carve(uint8_t **cur, size_t cnt, size_t sz)
{
	void *p = *cur;

	*cur += (cnt * sz + 7) & ~(size_t)7;
	return p;
}

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

int tt_event_run__reserve_raw(struct tt_event_run *run, size_t sz)
{
	return ensure(&run->raw, &run->raw_cap, TT_MAX(sz, 1u));
}

void tt_event_run__free(struct tt_event_run *run)
{
	if (!run)
		return;
	free(run->raw);
	free(run->mem);
	free(run->vmem);
	free(run);
}

/* Decode one varint stream of n values, each < lim, into out (u32), or zeros if empty. */
static int stream_idx(const uint8_t *p, const uint8_t *end, uint32_t n, uint64_t lim, uint32_t *out)
{
	uint64_t v;

	if (p == end) {
		if (lim == 0 && n)
			return -TT_E_CORRUPT;
		memset(out, 0, (size_t)n * sizeof(*out));
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		GETV(v);
		if (v >= lim)
			return -TT_E_CORRUPT;
		out[i] = (uint32_t)v;
	}
	return p == end ? 0 : -TT_E_CORRUPT;
}

/*
 * Walk the payload's header without storing anything: the event count against the block
 * header, the three tables (every entry takes at least 2 bytes, which bounds the counts before
 * any allocation), the stream lengths, which must add up to the rest of the payload exactly.
 */
static int check_layout(const uint8_t *raw, const struct tt_tape_block_hdr *h, struct layout *lo)
{
	const uint8_t *p = raw, *end = raw + h->raw_sz;
	uint64_t stream_cnt, v, total = 0;

	memset(lo, 0, sizeof(*lo));
	lo->end = end;
	GETV(lo->n);
	/* each event has at least one byte in TS: no big allocation for a tiny forged block */
	if (lo->n != h->record_cnt || lo->n > h->raw_sz)
		return -TT_E_CORRUPT;
	GETV(lo->cpu_cnt);
	if (lo->cpu_cnt > lo->n || lo->cpu_cnt > TT_TAPE_CPU_MAX ||
	    lo->cpu_cnt * 2 > (uint64_t)(end - p))
		return -TT_E_CORRUPT;
	lo->cpu_tab = p;
	for (uint64_t i = 0; i < lo->cpu_cnt; i++) {
		GETV(v);
		if (v >= TT_TAPE_CPU_MAX)
			return -TT_E_CORRUPT;
		GETV(v);
		if (v > UINT32_MAX)
			return -TT_E_CORRUPT;
	}
	GETV(lo->thread_cnt);
	if (lo->thread_cnt > lo->n || lo->thread_cnt * 2 > (uint64_t)(end - p))
		return -TT_E_CORRUPT;
	lo->thr_tab = p;
	for (uint64_t i = 0; i < lo->thread_cnt; i++) {
		uint64_t pid;

		GETV(pid);
		GETV(v);
		if (pid > UINT32_MAX)
			return -TT_E_CORRUPT;
		int64_t d = tt_unzigzag(v);

		if (d < -(int64_t)pid || d > (int64_t)(UINT32_MAX - pid))
			return -TT_E_CORRUPT;
	}
	GETV(lo->probe_cnt);
	if (lo->probe_cnt > lo->n || lo->probe_cnt * 2 > (uint64_t)(end - p))
		return -TT_E_CORRUPT;
	lo->probe_tab = p;
	for (uint64_t i = 0; i < lo->probe_cnt; i++) {
		GETV(v);
		if (v >= TT_TAPE_PROBE_ID_MAX || p >= end || *p > TT_MAX_ARGS || end - p < 1 + *p)
			return -TT_E_CORRUPT;
		for (int a = 0; a < *p; a++)
			if (tt_kind_col_shape(p[1 + a]) < 0)
				return -TT_E_CORRUPT;
		lo->col_cnt += *p;
		p += 1 + *p;
	}
	if (lo->n && (!lo->cpu_cnt || !lo->thread_cnt || !lo->probe_cnt))
		return -TT_E_CORRUPT;
	GETV(stream_cnt);
	if (stream_cnt < TT_ES_FIXED_CNT + lo->col_cnt || stream_cnt > (uint64_t)(end - p))
		return -TT_E_CORRUPT;
	lo->lens = p;
	for (uint64_t s = 0; s < stream_cnt; s++) {
		GETV(v);
		total += v;
		if (v > TT_TAPE_BLOCK_RAW_MAX || total > TT_TAPE_BLOCK_RAW_MAX)
			return -TT_E_CORRUPT;
	}
	if (total != (uint64_t)(end - p))
		return -TT_E_CORRUPT;
	lo->streams = p;
	return 0;
}

/*
 * Size the per-event arrays and the tables from the validated counts, carve them out of
 * run->mem, and read the tables again, now known to be well-formed. *seq_prev gets, per CPU of
 * the table, the sequence number before its first event; *cpu_num the CPUs' numbers.
 */
static int load_tables(struct tt_event_run *run, const struct layout *lo, uint32_t **cpu_num,
		       uint32_t **seq_prev, struct streams *st)
{
	const uint8_t *p, *end = lo->end;
	uint64_t n = lo->n, v;
	size_t need;
	uint8_t *cur;
	int err;

	need = 8 * n + 5 * 4 * n + 8 * n + 2 * n + 64 +
	       (8 + 4 + 4) * lo->cpu_cnt + sizeof(struct tt_run_thread) * lo->thread_cnt +
	       sizeof(struct tt_run_probe) * lo->probe_cnt + 8 * 16;
	err = ensure(&run->mem, &run->mem_cap, need);
	if (err)
		return err;
	cur = run->mem;
	run->ts = carve(&cur, n, 8);
	run->cpu = carve(&cur, n, 4);
	run->seq = carve(&cur, n, 4);
	run->thr = carve(&cur, n, 4);
	run->pidx = carve(&cur, n, 4);
	run->rank = carve(&cur, n, 4);
	run->goid = carve(&cur, n, 8);
	run->fault = carve(&cur, n, 2);
	*cpu_num = carve(&cur, lo->cpu_cnt, 4);
	*seq_prev = carve(&cur, lo->cpu_cnt, 4);
	run->threads = carve(&cur, lo->thread_cnt, sizeof(struct tt_run_thread));
	run->probes = carve(&cur, lo->probe_cnt, sizeof(struct tt_run_probe));
	run->thread_cnt = (uint32_t)lo->thread_cnt;
	run->probe_cnt = (uint32_t)lo->probe_cnt;

	p = lo->cpu_tab;
	for (uint64_t i = 0; i < lo->cpu_cnt; i++) {
		GETV(v);
		(*cpu_num)[i] = (uint32_t)v;
		GETV(v);
		(*seq_prev)[i] = (uint32_t)v - 1;
	}
	p = lo->thr_tab;
	for (uint64_t i = 0; i < lo->thread_cnt; i++) {
		uint64_t pid;

		GETV(pid);
		GETV(v);
		run->threads[i].pid = (uint32_t)pid;
		run->threads[i].tid = (uint32_t)((int64_t)pid + tt_unzigzag(v));
	}
	p = lo->probe_tab;
	for (uint64_t i = 0; i < lo->probe_cnt; i++) {
		struct tt_run_probe *rp = &run->probes[i];

		GETV(v);
		rp->id = (uint32_t)v;
		rp->cnt = 0;
		rp->argc = *p++;
		memcpy(rp->kinds, p, rp->argc);
		for (int a = 0; a < rp->argc; a++)
			rp->shape[a] = (uint8_t)tt_kind_col_shape(rp->kinds[a]);
		p += rp->argc;
	}
	/* the fixed streams' ranges; the argument columns' lengths follow theirs */
	p = lo->lens;
	{
		const uint8_t *q = lo->streams;

		for (int s = 0; s < TT_ES_FIXED_CNT; s++) {
			GETV(v);
			st->sp[s] = q;
			q += v;
			st->se[s] = q;
		}
		st->col_lens = p;
		st->col_data = q;
	}
	return 0;
}

/* The TS stream: deltas from 0, which must land on the block header's time range. */
static int decode_ts(struct tt_event_run *run, const struct streams *st, uint32_t n,
		     const struct tt_tape_block_hdr *h)
{
	const uint8_t *q = st->sp[TT_ES_TS], *qe = st->se[TT_ES_TS];
	uint64_t ts = 0, v;

	for (uint32_t i = 0; i < n; i++) {
		if (tt_varint_get(&q, qe, &v) || ts + v < ts)
			return -TT_E_CORRUPT;
		ts += v;
		run->ts[i] = ts;
	}
	if (q != qe || run->ts[0] != h->ts_first_ns || ts != h->ts_last_ns)
		return -TT_E_CORRUPT;
	return 0;
}

/* SEQ against the CPU indices in run->cpu, which then become CPU numbers. */
static int decode_seq(struct tt_event_run *run, const struct streams *st, uint32_t n,
		      const uint32_t *cpu_num, uint32_t *seq_prev)
{
	const uint8_t *q = st->sp[TT_ES_SEQ], *qe = st->se[TT_ES_SEQ];
	int all_zero = q == qe;
	uint64_t v;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t c = run->cpu[i];

		v = 0;
		if (!all_zero && (tt_varint_get(&q, qe, &v) || v > UINT32_MAX))
			return -TT_E_CORRUPT;
		seq_prev[c] = seq_prev[c] + 1 + (uint32_t)(int32_t)tt_unzigzag(v);
		run->seq[i] = seq_prev[c];
		run->cpu[i] = cpu_num[c];
	}
	return q == qe ? 0 : -TT_E_CORRUPT;
}

/* EXTRA, and the GOID and FAULT values it announces; no EXTRA means neither. */
static int decode_extra(struct tt_event_run *run, const struct streams *st, uint32_t n)
{
	const uint8_t *q = st->sp[TT_ES_EXTRA], *g = st->sp[TT_ES_GOID], *f = st->sp[TT_ES_FAULT];
	uint64_t goid = 0, x, v;

	if (q == st->se[TT_ES_EXTRA]) {
		if (g != st->se[TT_ES_GOID] || f != st->se[TT_ES_FAULT])
			return -TT_E_CORRUPT;
		run->goid = NULL;
		run->fault = NULL;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (tt_varint_get(&q, st->se[TT_ES_EXTRA], &x))
			return -TT_E_CORRUPT;
		run->goid[i] = 0;
		run->fault[i] = 0;
		if (x & TT_EXTRA_GOID) {
			if (tt_varint_get(&g, st->se[TT_ES_GOID], &v))
				return -TT_E_CORRUPT;
			goid += (uint64_t)tt_unzigzag(v);
			run->goid[i] = goid;
		}
		if (x & TT_EXTRA_FAULT) {
			if (tt_varint_get(&f, st->se[TT_ES_FAULT], &v) || v > UINT16_MAX)
				return -TT_E_CORRUPT;
			run->fault[i] = (uint16_t)v;
		}
	}
	if (q != st->se[TT_ES_EXTRA] || g != st->se[TT_ES_GOID] || f != st->se[TT_ES_FAULT])
		return -TT_E_CORRUPT;
	return 0;
}

/* Every per-event stream but the argument columns. */
static int decode_fixed(struct tt_event_run *run, const struct layout *lo, const struct streams *st,
			const struct tt_tape_block_hdr *h, const uint32_t *cpu_num, uint32_t *seq_prev)
{
	uint32_t n = (uint32_t)lo->n;
	int err;

	/* PROBE: index per event, and each event's rank among its probe's events */
	err = stream_idx(st->sp[TT_ES_PROBE], st->se[TT_ES_PROBE], n, lo->probe_cnt, run->pidx);
	if (err)
		return err;
	for (uint32_t i = 0; i < n; i++)
		run->rank[i] = run->probes[run->pidx[i]].cnt++;
	err = decode_ts(run, st, n, h);
	if (!err)
		err = stream_idx(st->sp[TT_ES_CPU], st->se[TT_ES_CPU], n, lo->cpu_cnt, run->cpu);
	if (!err)
		err = decode_seq(run, st, n, cpu_num, seq_prev);
	if (!err)
		err = stream_idx(st->sp[TT_ES_THREAD], st->se[TT_ES_THREAD], n, lo->thread_cnt,
				 run->thr);
	if (!err)
		err = decode_extra(run, st, n);
	return err;
}

/* One argument column of rp->cnt values in [q, qe), by its shape. */
static int decode_column(const struct tt_run_probe *rp, int a, const uint8_t *q, const uint8_t *qe,
			 uint64_t *col, uint32_t str_cnt)
{
	uint64_t x, prev = 0;

	switch (rp->shape[a]) {
	case TT_COL_INT: {
		uint8_t mode;

		if (q == qe)
			return rp->cnt ? -TT_E_CORRUPT : 0;
		mode = *q++;
		if (mode > TT_COL_DELTA)
			return -TT_E_CORRUPT;
		for (uint32_t k = 0; k < rp->cnt; k++) {
			if (tt_varint_get(&q, qe, &x))
				return -TT_E_CORRUPT;
			if (mode == TT_COL_SIGNED)
				x = (uint64_t)tt_unzigzag(x);
			else if (mode == TT_COL_DELTA)
				x = prev + (uint64_t)tt_unzigzag(x);
			col[k] = prev = x;
		}
		break;
	}
	case TT_COL_FLOAT:
		if ((uint64_t)(qe - q) != 8ULL * rp->cnt)
			return -TT_E_CORRUPT;
		for (uint32_t k = 0; k < rp->cnt; k++, q += 8)
			col[k] = tt_get_le64(q);
		break;
	default:
		for (uint32_t k = 0; k < rp->cnt; k++) {
			if (tt_varint_get(&q, qe, &x) || x >= str_cnt)
				return -TT_E_CORRUPT;
			col[k] = x;
		}
	}
	return q == qe ? 0 : -TT_E_CORRUPT;
}

/*
 * STRINGS (counted, then indexed) and the argument columns, in probe-table then argument
 * order, into run->vmem.
 */
static int decode_values(struct tt_event_run *run, const struct layout *lo, struct streams *st)
{
	const uint8_t *q = st->sp[TT_ES_STRINGS], *qe = st->se[TT_ES_STRINGS];
	const uint8_t *p = st->col_lens, *end = lo->end, *col_data = st->col_data;
	uint64_t str_cnt = 0, val_cnt = 0, flags, len;
	uint8_t *cur;
	int err;

	while (q < qe) {
		if (tt_varint_get(&q, qe, &flags) || tt_varint_get(&q, qe, &len) ||
		    len > (uint64_t)(qe - q) || flags > UINT32_MAX)
			return -TT_E_CORRUPT;
		q += len;
		str_cnt++;
	}
	for (uint32_t i = 0; i < lo->probe_cnt; i++)
		val_cnt += (uint64_t)run->probes[i].cnt * run->probes[i].argc;
	err = ensure(&run->vmem, &run->vmem_cap,
		     8 * val_cnt + sizeof(struct tt_run_str) * str_cnt + 16);
	if (err)
		return err;
	cur = run->vmem;
	run->strs = carve(&cur, str_cnt, sizeof(struct tt_run_str));
	run->str_cnt = (uint32_t)str_cnt;
	q = st->sp[TT_ES_STRINGS];
	for (uint64_t s = 0; s < str_cnt; s++) {
		tt_varint_get(&q, qe, &flags); /* validated above */
		tt_varint_get(&q, qe, &len);
		run->strs[s] = (struct tt_run_str){q, (uint32_t)len, (uint32_t)flags};
		q += len;
	}
	for (uint32_t i = 0; i < lo->probe_cnt; i++) {
		struct tt_run_probe *rp = &run->probes[i];

		for (int a = 0; a < rp->argc; a++) {
			uint64_t *col = carve(&cur, rp->cnt, 8), clen;

			GETV(clen); /* validated with the other lengths */
			rp->cols[a] = col;
			err = decode_column(rp, a, col_data, col_data + clen, col, run->str_cnt);
			if (err)
				return err;
			col_data += clen;
		}
	}
	return 0;
}

int tt_event_run__decode(struct tt_event_run *run, const struct tt_tape_block_hdr *h)
{
	struct layout lo;
	struct streams st;
	uint32_t *cpu_num, *seq_prev;
	int err;

	run->n = 0;
	run->pos = 0;
	err = check_layout(run->raw, h, &lo);
	if (err || lo.n == 0)
		return err;
	err = load_tables(run, &lo, &cpu_num, &seq_prev, &st);
	if (!err)
		err = decode_fixed(run, &lo, &st, h, cpu_num, seq_prev);
	if (!err)
		err = decode_values(run, &lo, &st);
	if (err)
		return err;
	run->n = (uint32_t)lo.n;
	return 0;
}
