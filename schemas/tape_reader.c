/* SPDX-License-Identifier: MIT */
/*
 * The tape reader (schemas/tape_reader.h; layout in schemas/TAPE_FORMAT.md). Blocks are read in
 * file order: descriptions go into the reader's tables as they come, and each event block is
 * decompressed and decoded whole into a "run": arrays of its events' fields, already sorted by
 * (ts, cpu, seq) because the writer sorted the block. __next() merges the runs: it returns the
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

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
#define ARENA_CHUNK (64u << 10)

static const uint8_t empty_str[1];

struct rthread {
	uint32_t pid, tid;
};

struct rprobe {
	uint32_t id;
	uint32_t cnt; /* events of this probe in the run */
	uint8_t argc;
	uint8_t kinds[TT_MAX_ARGS];
	uint8_t shape[TT_MAX_ARGS];
	const uint64_t *cols[TT_MAX_ARGS]; /* cols[a][k]: argument a of the k-th event of the probe */
};

struct rstr {
	const uint8_t *p;
	uint32_t len, flags;
};

/* A decoded event block. */
struct run {
	struct run *next_free;
	uint32_t n, pos;
	uint8_t *raw; /* decompressed payload; strings point into it */
	size_t raw_cap;
	uint8_t *mem; /* per-event arrays and tables */
	size_t mem_cap;
	uint8_t *vmem; /* argument values and the string table */
	size_t vmem_cap;
	uint64_t *ts;
	uint32_t *cpu, *seq, *thr, *pidx, *rank;
	uint64_t *goid;  /* NULL when no event has one */
	uint16_t *fault; /* NULL when no event has one */
	struct rthread *threads;
	struct rprobe *probes;
	struct rstr *strs;
	uint32_t thread_cnt, probe_cnt, str_cnt;
};

struct meta_kv {
	const char *key, *value;
};

struct clock_anchor {
	uint64_t mono, real;
};

struct tp_format {
	uint32_t probe_id;
	const char *text;
};

/* Strings of the descriptions live in chunks that never move, so pointers stay valid. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

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

	ZSTD_DCtx *dctx;
	struct tt_buf stored; /* the stored payload of the block being read */
	struct tt_buf meta_raw;
	int done;     /* no more blocks will be loaded */
	int have_seq;
	uint32_t next_seq;
	int after_trailer;

	/* descriptions */
	struct arena_chunk *arena;
	struct meta_kv *meta;
	size_t meta_cnt, meta_cap;
	struct clock_anchor *clocks;
	size_t clock_cnt, clock_cap;
	struct tt_probe_desc **probes;
	uint8_t *probe_synth;
	uint32_t probe_cap, probe_max;
	struct tt_process **procs;
	size_t proc_cnt, proc_cap;
	struct tp_format *tpf;
	size_t tpf_cnt, tpf_cap;
	struct tt_loss *losses;
	size_t loss_cnt, loss_cap;
	struct tt_tape_damage damage[DAMAGE_MAX];
	size_t damage_cnt;

	/* the reorder window */
	struct run **runs;
	uint32_t run_cnt, run_cap;
	struct run *free_runs;
	uint32_t free_cnt;
	struct run *retired; /* exhausted; its strings back the last event until the next call */
	uint64_t max_ts;
	uint64_t win_events, win_bytes;
	int emitted;
	uint64_t last_ts, last_tie;

	struct tt_event ev;
	uint8_t ev_kinds[TT_MAX_ARGS];
	struct tt_tape_status st;
};

/* ---- small helpers ---- */

/* A NUL-terminated copy of len bytes in the arena (cut at an embedded NUL), or NULL. */
static const char *arena_str(struct tt_tape_reader *r, const uint8_t *p, size_t len)
{
	struct arena_chunk *c = r->arena;
	char *s;

	len = strnlen((const char *)p, len);
	if (!c || c->cap - c->used < len + 1) {
		size_t cap = TT_MAX((size_t)ARENA_CHUNK, len + 1);

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = r->arena;
		c->used = 0;
		c->cap = cap;
		r->arena = c;
	}
	s = c->data + c->used;
	memcpy(s, p, len);
	s[len] = '\0';
	c->used += len + 1;
	return s;
}

/* Read up to len bytes at off. Returns the count (short at the end of the data) or -errno. */
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
	return (ssize_t)got;
}

static uint64_t source_size(const struct tt_tape_reader *r)
{
	struct stat st;

	if (r->fd < 0)
		return r->mem_len;
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

/* ---- descriptions ---- */

static int add_probe_desc(struct tt_tape_reader *r, uint32_t id, struct tt_probe_desc **out)
{
	if (id >= r->probe_cap) {
		size_t cap = r->probe_cap, old = r->probe_cap;
		int err = tt_grow((void **)&r->probes, &cap, (size_t)id + 1, sizeof(*r->probes));

		if (!err) {
			uint8_t *s = realloc(r->probe_synth, cap);

			if (!s)
				err = -ENOMEM;
			else
				r->probe_synth = s;
		}
		if (err)
			return err;
		memset(r->probes + old, 0, (cap - old) * sizeof(*r->probes));
		memset(r->probe_synth + old, 0, cap - old);
		r->probe_cap = (uint32_t)cap;
	}
	if (!r->probes[id]) {
		r->probes[id] = calloc(1, sizeof(**r->probes));
		if (!r->probes[id])
			return -ENOMEM;
		r->probes[id]->id = id;
		if (id + 1 > r->probe_max)
			r->probe_max = id + 1;
	}
	*out = r->probes[id];
	return 0;
}

/* Fetch the uint/str field or fail the record. */
#define FIELD_UINT(var)                                   \
	do {                                              \
		if (tt_tlv_uint(val, len, &(var)))        \
			return -TT_E_CORRUPT;             \
	} while (0)
#define FIELD_STR(var)                                    \
	do {                                              \
		(var) = arena_str(r, val, len);           \
		if (!(var))                               \
			return -ENOMEM;                   \
	} while (0)

static int parse_probe(struct tt_tape_reader *r, const uint8_t *body, size_t body_len)
{
	struct tt_tlv_iter it = {body, body + body_len};
	struct tt_probe_desc d = {0}, *p;
	const uint8_t *val;
	uint64_t tag, id = UINT64_MAX, type = 0, cxx = 0;
	size_t len;
	int k, err;

	while ((k = tt_tlv_next_field(&it, &tag, &val, &len)) > 0) {
		switch (tag) {
		case TT_PROBE_F_ID: FIELD_UINT(id); break;
		case TT_PROBE_F_TYPE: FIELD_UINT(type); break;
		case TT_PROBE_F_KINDS:
			if (len > TT_MAX_ARGS)
				return -TT_E_CORRUPT;
			d.argc = (uint8_t)len;
			memcpy(d.kinds, val, len);
			break;
		case TT_PROBE_F_PROVIDER: FIELD_STR(d.provider); break;
		case TT_PROBE_F_NAME: FIELD_STR(d.name); break;
		case TT_PROBE_F_BINARY: FIELD_STR(d.binary); break;
		case TT_PROBE_F_BUILD_ID: FIELD_STR(d.build_id); break;
		case TT_PROBE_F_ARG_SPECS: FIELD_STR(d.arg_specs); break;
		case TT_PROBE_F_ARG_NAME:
			if (len < 1 || val[0] >= TT_MAX_ARGS)
				return -TT_E_CORRUPT;
			d.arg_names[val[0]] = arena_str(r, val + 1, len - 1);
			if (!d.arg_names[val[0]])
				return -ENOMEM;
			break;
		case TT_PROBE_F_CXXNAMES: FIELD_UINT(cxx); break;
		default:
			break;
		}
	}
	if (k < 0)
		return k;
	if (id >= TT_TAPE_PROBE_ID_MAX || type > UINT8_MAX)
		return -TT_E_CORRUPT;
	for (unsigned i = 0; i < d.argc; i++)
		if (cxx >> i & 1 && d.kinds[i] == TT_KIND_STR)
			d.kinds[i] = TT_KIND_CXXNAME;
	if ((uint32_t)id < r->probe_cap && r->probes[id] && !r->probe_synth[id])
		return 0; /* the first description of an id wins */
	err = add_probe_desc(r, (uint32_t)id, &p);
	if (err)
		return err;
	d.id = (uint32_t)id;
	d.type = (uint8_t)type;
	*p = d;
	r->probe_synth[id] = 0;
	return 0;
}

static int parse_record(struct tt_tape_reader *r, int type, const uint8_t *body, size_t body_len)
{
	struct tt_tlv_iter it = {body, body + body_len};
	const uint8_t *val;
	uint64_t tag;
	size_t len;
	int k, err;

	switch (type) {
	case TT_BLOCK_META: {
		struct meta_kv kv = {NULL, ""};

		while ((k = tt_tlv_next_field(&it, &tag, &val, &len)) > 0) {
			if (tag == TT_META_KEY)
				FIELD_STR(kv.key);
			else if (tag == TT_META_VALUE)
				FIELD_STR(kv.value);
		}
		if (k < 0 || !kv.key)
			return k < 0 ? k : 0;
		err = tt_grow((void **)&r->meta, &r->meta_cap, r->meta_cnt + 1, sizeof(*r->meta));
		if (err)
			return err;
		r->meta[r->meta_cnt++] = kv;
		return 0;
	}
	case TT_BLOCK_CLOCK: {
		struct clock_anchor a = {0};
		size_t i;

		while ((k = tt_tlv_next_field(&it, &tag, &val, &len)) > 0) {
			if (tag == TT_CLOCK_MONO)
				FIELD_UINT(a.mono);
			else if (tag == TT_CLOCK_REAL)
				FIELD_UINT(a.real);
		}
		if (k < 0)
			return k;
		err = tt_grow((void **)&r->clocks, &r->clock_cap, r->clock_cnt + 1, sizeof(*r->clocks));
		if (err)
			return err;
		/* keep them sorted by mono: anchors come in order, so this is an append */
		for (i = r->clock_cnt; i > 0 && r->clocks[i - 1].mono > a.mono; i--)
			r->clocks[i] = r->clocks[i - 1];
		r->clocks[i] = a;
		r->clock_cnt++;
		return 0;
	}
	case TT_BLOCK_PROBES:
		return parse_probe(r, body, body_len);
	case TT_BLOCK_PROCESSES: {
		struct tt_process p = {0}, *np;
		uint64_t pid = UINT64_MAX, ppid = 0;

		while ((k = tt_tlv_next_field(&it, &tag, &val, &len)) > 0) {
			switch (tag) {
			case TT_PROC_PID: FIELD_UINT(pid); break;
			case TT_PROC_PPID: FIELD_UINT(ppid); break;
			case TT_PROC_COMM: FIELD_STR(p.comm); break;
			case TT_PROC_EXE: FIELD_STR(p.exe); break;
			case TT_PROC_CMDLINE: FIELD_STR(p.cmdline); break;
			default: break;
			}
		}
		if (k < 0)
			return k;
		if (pid > UINT32_MAX || ppid > UINT32_MAX)
			return -TT_E_CORRUPT;
		p.pid = (uint32_t)pid;
		p.ppid = (uint32_t)ppid;
		err = tt_grow((void **)&r->procs, &r->proc_cap, r->proc_cnt + 1, sizeof(*r->procs));
		if (err)
			return err;
		np = malloc(sizeof(*np));
		if (!np)
			return -ENOMEM;
		*np = p;
		r->procs[r->proc_cnt++] = np;
		return 0;
	}
	case TT_BLOCK_TP_FORMATS: {
		struct tp_format f = {0, NULL};
		uint64_t id = UINT64_MAX;

		while ((k = tt_tlv_next_field(&it, &tag, &val, &len)) > 0) {
			if (tag == TT_TPF_PROBE_ID)
				FIELD_UINT(id);
			else if (tag == TT_TPF_FORMAT)
				FIELD_STR(f.text);
		}
		if (k < 0)
			return k;
		if (id >= TT_TAPE_PROBE_ID_MAX || !f.text)
			return -TT_E_CORRUPT;
		f.probe_id = (uint32_t)id;
		err = tt_grow((void **)&r->tpf, &r->tpf_cap, r->tpf_cnt + 1, sizeof(*r->tpf));
		if (err)
			return err;
		r->tpf[r->tpf_cnt++] = f;
		return 0;
	}
	case TT_BLOCK_LOSSES: {
		struct tt_loss l = {0, TT_LOSS_ANY_PROBE, 0, 0, 0};
		uint64_t cpu = 0, probe = TT_LOSS_ANY_PROBE;

		while ((k = tt_tlv_next_field(&it, &tag, &val, &len)) > 0) {
			switch (tag) {
			case TT_LOSS_F_CPU: FIELD_UINT(cpu); break;
			case TT_LOSS_F_PROBE_ID: FIELD_UINT(probe); break;
			case TT_LOSS_F_TS_START: FIELD_UINT(l.ts_start_ns); break;
			case TT_LOSS_F_TS_END: FIELD_UINT(l.ts_end_ns); break;
			case TT_LOSS_F_COUNT: FIELD_UINT(l.count); break;
			default: break;
			}
		}
		if (k < 0)
			return k;
		if (cpu > UINT32_MAX || probe > UINT32_MAX)
			return -TT_E_CORRUPT;
		l.cpu = (uint32_t)cpu;
		l.probe_id = (uint32_t)probe;
		err = tt_grow((void **)&r->losses, &r->loss_cap, r->loss_cnt + 1, sizeof(*r->losses));
		if (err)
			return err;
		r->losses[r->loss_cnt++] = l;
		return 0;
	}
	case TT_BLOCK_TRAILER: {
		uint64_t kind = 0, events = 0, lost = 0;

		while ((k = tt_tlv_next_field(&it, &tag, &val, &len)) > 0) {
			if (tag == TT_TRL_KIND)
				FIELD_UINT(kind);
			else if (tag == TT_TRL_EVENTS)
				FIELD_UINT(events);
			else if (tag == TT_TRL_LOST)
				FIELD_UINT(lost);
		}
		if (k < 0)
			return k;
		if (kind == TT_TRL_KIND_TOTALS) {
			r->st.trailer_events = events;
			r->st.trailer_losses = lost;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static int parse_tlv_block(struct tt_tape_reader *r, int type, const uint8_t *p, size_t len,
			   uint32_t record_cnt)
{
	struct tt_tlv_iter it = {p, p + len};
	const uint8_t *body;
	size_t body_len;
	uint32_t cnt = 0;
	int k, err;

	while ((k = tt_tlv_next_record(&it, &body, &body_len)) > 0) {
		err = parse_record(r, type, body, body_len);
		if (err)
			return err;
		cnt++;
	}
	if (k < 0)
		return k;
	return cnt == record_cnt ? 0 : -TT_E_CORRUPT;
}

/* ---- event blocks ---- */

#define GETV(v)                                                 \
	do {                                                    \
		if (tt_varint_get(&p, end, &(v)))               \
			return -TT_E_CORRUPT;                   \
	} while (0)

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

static int synth_probe(struct tt_tape_reader *r, const struct rprobe *rp)
{
	struct tt_probe_desc *d;
	char name[32];
	int err;

	if (rp->id < r->probe_cap && r->probes[rp->id])
		return 0;
	err = add_probe_desc(r, rp->id, &d);
	if (err)
		return err;
	snprintf(name, sizeof(name), "probe%u", rp->id);
	d->provider = arena_str(r, (const uint8_t *)"?", 1);
	d->name = arena_str(r, (const uint8_t *)name, strlen(name));
	if (!d->provider || !d->name)
		return -ENOMEM;
	d->argc = rp->argc;
	memcpy(d->kinds, rp->kinds, rp->argc);
	r->probe_synth[rp->id] = 1;
	return 0;
}

/*
 * Decode the raw payload of an EVENTS block (run->raw, h->raw_sz bytes) into run's arrays,
 * checking everything (TAPE_FORMAT.md 5.3).
 */
static int decode_events(struct tt_tape_reader *r, struct run *run, const struct tt_tape_block_hdr *h)
{
	const uint8_t *p = run->raw, *end = run->raw + h->raw_sz;
	const uint8_t *cpu_tab, *thr_tab, *probe_tab, *lens, *col_data;
	const uint8_t *sp[TT_ES_FIXED_CNT], *se[TT_ES_FIXED_CNT];
	uint64_t n, cpu_cnt, thread_cnt, probe_cnt, stream_cnt, v, col_cnt = 0, total = 0;
	uint32_t *cpu_num, *seq_prev;
	uint8_t *cur;
	size_t need;
	int err;

	GETV(n);
	/* each event has at least one byte in TS: no big allocation for a tiny forged block */
	if (n != h->record_cnt || n > h->raw_sz)
		return -TT_E_CORRUPT;
	run->n = 0;
	run->pos = 0;
	/* tables: every entry takes at least 2 bytes, which bounds the counts before any alloc */
	GETV(cpu_cnt);
	if (cpu_cnt > n || cpu_cnt > TT_TAPE_CPU_MAX || cpu_cnt * 2 > (uint64_t)(end - p))
		return -TT_E_CORRUPT;
	cpu_tab = p;
	for (uint64_t i = 0; i < cpu_cnt; i++) {
		GETV(v);
		if (v >= TT_TAPE_CPU_MAX)
			return -TT_E_CORRUPT;
		GETV(v);
		if (v > UINT32_MAX)
			return -TT_E_CORRUPT;
	}
	GETV(thread_cnt);
	if (thread_cnt > n || thread_cnt * 2 > (uint64_t)(end - p))
		return -TT_E_CORRUPT;
	thr_tab = p;
	for (uint64_t i = 0; i < thread_cnt; i++) {
		uint64_t pid;

		GETV(pid);
		GETV(v);
		if (pid > UINT32_MAX)
			return -TT_E_CORRUPT;
		int64_t d = tt_unzigzag(v);

		if (d < -(int64_t)pid || d > (int64_t)(UINT32_MAX - pid))
			return -TT_E_CORRUPT;
	}
	GETV(probe_cnt);
	if (probe_cnt > n || probe_cnt * 2 > (uint64_t)(end - p))
		return -TT_E_CORRUPT;
	probe_tab = p;
	for (uint64_t i = 0; i < probe_cnt; i++) {
		GETV(v);
		if (v >= TT_TAPE_PROBE_ID_MAX || p >= end || *p > TT_MAX_ARGS || end - p < 1 + *p)
			return -TT_E_CORRUPT;
		for (int a = 0; a < *p; a++)
			if (tt_kind_col_shape(p[1 + a]) < 0)
				return -TT_E_CORRUPT;
		col_cnt += *p;
		p += 1 + *p;
	}
	if (n && (!cpu_cnt || !thread_cnt || !probe_cnt))
		return -TT_E_CORRUPT;
	GETV(stream_cnt);
	if (stream_cnt < TT_ES_FIXED_CNT + col_cnt || stream_cnt > (uint64_t)(end - p))
		return -TT_E_CORRUPT;
	lens = p;
	for (uint64_t s = 0; s < stream_cnt; s++) {
		GETV(v);
		total += v;
		if (v > TT_TAPE_BLOCK_RAW_MAX || total > TT_TAPE_BLOCK_RAW_MAX)
			return -TT_E_CORRUPT;
	}
	if (total != (uint64_t)(end - p))
		return -TT_E_CORRUPT;
	if (n == 0)
		return 0;

	/* ---- arrays, sized from the validated counts ---- */
	need = 8 * n + 5 * 4 * n + 8 * n + 2 * n + 64 +
	       (8 + 4 + 4) * cpu_cnt + sizeof(struct rthread) * thread_cnt +
	       sizeof(struct rprobe) * probe_cnt + 8 * 16;
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
	cpu_num = carve(&cur, cpu_cnt, 4);
	seq_prev = carve(&cur, cpu_cnt, 4);
	run->threads = carve(&cur, thread_cnt, sizeof(struct rthread));
	run->probes = carve(&cur, probe_cnt, sizeof(struct rprobe));
	run->thread_cnt = (uint32_t)thread_cnt;
	run->probe_cnt = (uint32_t)probe_cnt;

	/* tables again, now known to be well-formed */
	p = cpu_tab;
	for (uint64_t i = 0; i < cpu_cnt; i++) {
		GETV(v);
		cpu_num[i] = (uint32_t)v;
		GETV(v);
		seq_prev[i] = (uint32_t)v - 1;
	}
	p = thr_tab;
	for (uint64_t i = 0; i < thread_cnt; i++) {
		uint64_t pid;

		GETV(pid);
		GETV(v);
		run->threads[i].pid = (uint32_t)pid;
		run->threads[i].tid = (uint32_t)((int64_t)pid + tt_unzigzag(v));
	}
	p = probe_tab;
	for (uint64_t i = 0; i < probe_cnt; i++) {
		struct rprobe *rp = &run->probes[i];

		GETV(v);
		rp->id = (uint32_t)v;
		rp->cnt = 0;
		rp->argc = *p++;
		memcpy(rp->kinds, p, rp->argc);
		for (int a = 0; a < rp->argc; a++)
			rp->shape[a] = (uint8_t)tt_kind_col_shape(rp->kinds[a]);
		p += rp->argc;
	}
	p = lens;
	{
		const uint8_t *q = end - total;

		for (int s = 0; s < TT_ES_FIXED_CNT; s++) {
			GETV(v);
			sp[s] = q;
			q += v;
			se[s] = q;
		}
		lens = p;     /* the column lengths follow */
		col_data = q; /* and so do the columns */
	}

	/* PROBE: index per event, and each event's rank among its probe's events */
	err = stream_idx(sp[TT_ES_PROBE], se[TT_ES_PROBE], (uint32_t)n, probe_cnt, run->pidx);
	if (err)
		return err;
	for (uint32_t i = 0; i < n; i++)
		run->rank[i] = run->probes[run->pidx[i]].cnt++;

	/* TS */
	{
		const uint8_t *q = sp[TT_ES_TS], *qe = se[TT_ES_TS];
		uint64_t ts = 0;

		for (uint32_t i = 0; i < n; i++) {
			if (tt_varint_get(&q, qe, &v) || ts + v < ts)
				return -TT_E_CORRUPT;
			ts += v;
			run->ts[i] = ts;
		}
		if (q != qe || run->ts[0] != h->ts_first_ns || ts != h->ts_last_ns)
			return -TT_E_CORRUPT;
	}
	/* CPU, then SEQ against it, then CPU indices become numbers */
	err = stream_idx(sp[TT_ES_CPU], se[TT_ES_CPU], (uint32_t)n, cpu_cnt, run->cpu);
	if (err)
		return err;
	{
		const uint8_t *q = sp[TT_ES_SEQ], *qe = se[TT_ES_SEQ];
		int all_zero = q == qe;

		for (uint32_t i = 0; i < n; i++) {
			uint32_t c = run->cpu[i];

			v = 0;
			if (!all_zero && (tt_varint_get(&q, qe, &v) || v > UINT32_MAX))
				return -TT_E_CORRUPT;
			seq_prev[c] = seq_prev[c] + 1 + (uint32_t)(int32_t)tt_unzigzag(v);
			run->seq[i] = seq_prev[c];
			run->cpu[i] = cpu_num[c];
		}
		if (q != qe)
			return -TT_E_CORRUPT;
	}
	err = stream_idx(sp[TT_ES_THREAD], se[TT_ES_THREAD], (uint32_t)n, thread_cnt, run->thr);
	if (err)
		return err;
	/* EXTRA, GOID, FAULT */
	if (sp[TT_ES_EXTRA] == se[TT_ES_EXTRA]) {
		if (sp[TT_ES_GOID] != se[TT_ES_GOID] || sp[TT_ES_FAULT] != se[TT_ES_FAULT])
			return -TT_E_CORRUPT;
		run->goid = NULL;
		run->fault = NULL;
	} else {
		const uint8_t *q = sp[TT_ES_EXTRA], *g = sp[TT_ES_GOID], *f = sp[TT_ES_FAULT];
		uint64_t goid = 0, x;

		for (uint32_t i = 0; i < n; i++) {
			if (tt_varint_get(&q, se[TT_ES_EXTRA], &x))
				return -TT_E_CORRUPT;
			run->goid[i] = 0;
			run->fault[i] = 0;
			if (x & TT_EXTRA_GOID) {
				if (tt_varint_get(&g, se[TT_ES_GOID], &v))
					return -TT_E_CORRUPT;
				goid += (uint64_t)tt_unzigzag(v);
				run->goid[i] = goid;
			}
			if (x & TT_EXTRA_FAULT) {
				if (tt_varint_get(&f, se[TT_ES_FAULT], &v) || v > UINT16_MAX)
					return -TT_E_CORRUPT;
				run->fault[i] = (uint16_t)v;
			}
		}
		if (q != se[TT_ES_EXTRA] || g != se[TT_ES_GOID] || f != se[TT_ES_FAULT])
			return -TT_E_CORRUPT;
	}

	/* STRINGS: count, then the value arena (columns and string table) */
	uint64_t str_cnt = 0, val_cnt = 0;
	{
		const uint8_t *q = sp[TT_ES_STRINGS], *qe = se[TT_ES_STRINGS];
		uint64_t flags, len;

		while (q < qe) {
			if (tt_varint_get(&q, qe, &flags) || tt_varint_get(&q, qe, &len) ||
			    len > (uint64_t)(qe - q) || flags > UINT32_MAX)
				return -TT_E_CORRUPT;
			q += len;
			str_cnt++;
		}
	}
	for (uint32_t i = 0; i < probe_cnt; i++)
		val_cnt += (uint64_t)run->probes[i].cnt * run->probes[i].argc;
	err = ensure(&run->vmem, &run->vmem_cap, 8 * val_cnt + sizeof(struct rstr) * str_cnt + 16);
	if (err)
		return err;
	cur = run->vmem;
	run->strs = carve(&cur, str_cnt, sizeof(struct rstr));
	run->str_cnt = (uint32_t)str_cnt;
	{
		const uint8_t *q = sp[TT_ES_STRINGS];

		for (uint64_t s = 0; s < str_cnt; s++) {
			uint64_t flags, len;

			tt_varint_get(&q, se[TT_ES_STRINGS], &flags); /* validated above */
			tt_varint_get(&q, se[TT_ES_STRINGS], &len);
			run->strs[s] = (struct rstr){q, (uint32_t)len, (uint32_t)flags};
			q += len;
		}
	}

	/* argument columns, in probe-table then argument order */
	for (uint32_t i = 0; i < probe_cnt; i++) {
		struct rprobe *rp = &run->probes[i];

		for (int a = 0; a < rp->argc; a++) {
			const uint8_t *q = col_data, *qe;
			uint64_t *col = carve(&cur, rp->cnt, 8), clen, x, prev = 0;

			tt_varint_get(&lens, end, &clen); /* validated with the other lengths */
			qe = q + clen;
			col_data = qe;
			rp->cols[a] = col;
			switch (rp->shape[a]) {
			case TT_COL_INT: {
				uint8_t mode;

				if (q == qe) {
					if (rp->cnt)
						return -TT_E_CORRUPT;
					break;
				}
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
				if (clen != 8ULL * rp->cnt)
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
			if (q != qe)
				return -TT_E_CORRUPT;
		}
	}
	for (uint32_t i = 0; i < probe_cnt; i++) {
		err = synth_probe(r, &run->probes[i]);
		if (err)
			return err;
	}
	run->n = (uint32_t)n;
	return 0;
}

/* ---- blocks ---- */

static struct run *run_get(struct tt_tape_reader *r)
{
	struct run *run = r->free_runs;

	if (run) {
		r->free_runs = run->next_free;
		r->free_cnt--;
		return run;
	}
	return calloc(1, sizeof(*run));
}

static void run_free(struct run *run)
{
	if (!run)
		return;
	free(run->raw);
	free(run->mem);
	free(run->vmem);
	free(run);
}

static void run_put(struct tt_tape_reader *r, struct run *run)
{
	if (r->free_cnt >= FREE_RUNS_MAX) {
		run_free(run);
		return;
	}
	run->next_free = r->free_runs;
	r->free_runs = run;
	r->free_cnt++;
}

static uint64_t run_bytes(const struct run *run)
{
	return run->raw_cap + run->mem_cap + run->vmem_cap;
}

/* Decompress (or copy) the stored payload into dst, which gets h->raw_sz bytes. */
static int unpack_payload(struct tt_tape_reader *r, const struct tt_tape_block_hdr *h,
			  uint8_t **dst, size_t *cap)
{
	int err = ensure(dst, cap, TT_MAX(h->raw_sz, 1u));
	size_t k;

	if (err)
		return err;
	if (!(h->flags & TT_BLOCK_F_ZSTD)) {
		memcpy(*dst, r->stored.data, h->raw_sz);
		return 0;
	}
	k = ZSTD_decompressDCtx(r->dctx, *dst, h->raw_sz, r->stored.data, h->stored_sz);
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

/* The footer at off ends the tape; anything after it is not ours. */
static void footer(struct tt_tape_reader *r, uint64_t off)
{
	uint64_t size = source_size(r);

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
	uint64_t off = r->off, next;
	size_t payload_sz;
	struct run *run;
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
	if (k >= TT_TAPE_FOOTER_SZ && tt_tape_footer_unpack(hb, &(struct tt_tape_footer){0})) {
		footer(r, off);
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
	     (h.type < TT_BLOCK_META || h.type > TT_BLOCK_TP_FORMATS) && h.type != TT_BLOCK_LOSSES)) {
		r->st.unknown_blocks++;
		return 1;
	}
	r->after_trailer = 0;
	if (h.type != TT_BLOCK_EVENTS) {
		err = unpack_payload(r, &h, &r->meta_raw.data, &r->meta_raw.cap);
		if (!err)
			err = parse_tlv_block(r, h.type, r->meta_raw.data, h.raw_sz, h.record_cnt);
		if (err) {
			r->st.blocks--;
			damaged(r, off, next, err, h.type);
			return !r->done;
		}
		r->after_trailer = h.type == TT_BLOCK_TRAILER;
		return 1;
	}
	run = run_get(r);
	if (!run) {
		stop(r, off, -ENOMEM, h.type);
		return 0;
	}
	err = unpack_payload(r, &h, &run->raw, &run->raw_cap);
	if (!err)
		err = decode_events(r, run, &h);
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
	r->win_bytes += run_bytes(run);
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
	r->window_ns = opts && opts->reorder_window_ns ? opts->reorder_window_ns : DEFAULT_WINDOW_NS;
	r->events_max = opts && opts->window_events_max ? opts->window_events_max
						       : DEFAULT_WINDOW_EVENTS;
	r->blocks_max = opts && opts->window_blocks_max ? opts->window_blocks_max
						       : DEFAULT_WINDOW_BLOCKS;
	r->bytes_max = opts && opts->window_bytes_max ? opts->window_bytes_max
						     : DEFAULT_WINDOW_BYTES;
	r->skip_damaged = opts ? opts->skip_damaged : 0;
	r->out = opts ? opts->out : NULL;
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
	int err;

	if (!r)
		return NULL;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		err = -errno;
		goto cleanup;
	}
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

static inline int head_less(const struct run *a, const struct run *b)
{
	uint32_t i = a->pos, j = b->pos;

	if (a->ts[i] != b->ts[j])
		return a->ts[i] < b->ts[j];
	if (a->cpu[i] != b->cpu[j])
		return a->cpu[i] < b->cpu[j];
	return a->seq[i] < b->seq[j];
}

static void fill_event(struct tt_tape_reader *r, const struct run *run)
{
	struct tt_event *ev = &r->ev;
	uint32_t i = run->pos, k = run->rank[i];
	const struct rprobe *rp = &run->probes[run->pidx[i]];
	const struct rthread *th = &run->threads[run->thr[i]];
	uint8_t old_argc = ev->argc;

	ev->ts_ns = run->ts[i];
	ev->cpu = run->cpu[i];
	ev->seq = run->seq[i];
	ev->pid = th->pid;
	ev->tid = th->tid;
	ev->probe_id = rp->id;
	ev->goid = run->goid ? run->goid[i] : 0;
	ev->fault_mask = run->fault ? run->fault[i] : 0;
	ev->argc = rp->argc;
	memcpy(r->ev_kinds, rp->kinds, rp->argc);
	for (int a = 0; a < rp->argc; a++) {
		uint64_t v = rp->cols[a][k];

		if (rp->shape[a] == TT_COL_STR) {
			const struct rstr *s = &run->strs[v];

			ev->args[a] = 0;
			ev->strs[a] = (struct tt_bytes){s->len ? s->p : empty_str, s->len, s->flags};
		} else {
			ev->args[a] = v;
			ev->strs[a] = (struct tt_bytes){empty_str, 0, 0};
		}
	}
	/* arguments past argc: no stale values from an earlier event */
	for (int a = rp->argc; a < old_argc; a++) {
		ev->args[a] = 0;
		ev->strs[a] = (struct tt_bytes){empty_str, 0, 0};
	}
}

int tt_tape_reader__next(struct tt_tape_reader *r, const struct tt_event **ev)
{
	struct run *best;
	uint32_t bi;

	if (r->retired) {
		r->win_bytes -= run_bytes(r->retired);
		run_put(r, r->retired);
		r->retired = NULL;
	}
	for (;;) {
		best = NULL;
		bi = 0;
		for (uint32_t i = 0; i < r->run_cnt; i++) {
			if (!best || head_less(r->runs[i], best)) {
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
		read_block(r);
	}
	if (!best) {
		if (r->st.stop_error)
			return r->st.stop_error;
		return 0;
	}
	fill_event(r, best);
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

const struct tt_probe_desc *tt_tape_reader__probe(const struct tt_tape_reader *r, uint32_t id)
{
	return id < r->probe_cap ? r->probes[id] : NULL;
}

uint32_t tt_tape_reader__probe_cnt(const struct tt_tape_reader *r)
{
	return r->probe_max;
}

const char *tt_tape_reader__meta(const struct tt_tape_reader *r, const char *key)
{
	for (size_t i = r->meta_cnt; i > 0; i--)
		if (!strcmp(r->meta[i - 1].key, key))
			return r->meta[i - 1].value;
	return NULL;
}

int tt_tape_reader__meta_at(const struct tt_tape_reader *r, size_t i, const char **key,
			    const char **value)
{
	if (i >= r->meta_cnt)
		return -ENOENT;
	*key = r->meta[i].key;
	*value = r->meta[i].value;
	return 0;
}

uint64_t tt_tape_reader__wall_ns(const struct tt_tape_reader *r, uint64_t mono_ns)
{
	const struct clock_anchor *a = r->clocks;
	size_t lo = 0, hi = r->clock_cnt;
	int64_t off0, off1;

	if (!r->clock_cnt)
		return 0;
	/* the last anchor at or before mono_ns (or the first one) */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (a[mid].mono <= mono_ns)
			lo = mid;
		else
			hi = mid;
	}
	off0 = (int64_t)(a[lo].real - a[lo].mono);
	if (lo + 1 < r->clock_cnt && mono_ns > a[lo].mono) {
		double f = (double)(mono_ns - a[lo].mono) / (double)(a[lo + 1].mono - a[lo].mono);
		int64_t d;
		double step;

		off1 = (int64_t)(a[lo + 1].real - a[lo + 1].mono);
		/*
		 * The anchors come from the file: offsets further apart than int64 holds are forged
		 * or garbage, but must not be undefined behaviour. The step is clamped into int64
		 * and added modulo 2^64, like the offset itself.
		 */
		step = __builtin_sub_overflow(off1, off0, &d) ? ((double)off1 - (double)off0) * f
							     : (double)d * f;
		if (step >= 0x1p63)
			step = 0x1p63 - 1024;
		else if (step < -0x1p63)
			step = -0x1p63;
		off0 = (int64_t)((uint64_t)off0 + (uint64_t)(int64_t)step);
	}
	return mono_ns + (uint64_t)off0;
}

const struct tt_process *tt_tape_reader__process(const struct tt_tape_reader *r, size_t i)
{
	return i < r->proc_cnt ? r->procs[i] : NULL;
}

const char *tt_tape_reader__tp_format(const struct tt_tape_reader *r, uint32_t probe_id)
{
	for (size_t i = 0; i < r->tpf_cnt; i++)
		if (r->tpf[i].probe_id == probe_id)
			return r->tpf[i].text;
	return NULL;
}

const struct tt_loss *tt_tape_reader__losses(const struct tt_tape_reader *r, size_t *cnt)
{
	*cnt = r->loss_cnt;
	return r->losses;
}

void tt_tape_reader__status(const struct tt_tape_reader *r, struct tt_tape_status *st)
{
	*st = r->st;
	st->file_bytes = source_size(r);
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
		run_free(r->runs[i]);
	free(r->runs);
	run_free(r->retired);
	while (r->free_runs) {
		struct run *n = r->free_runs->next_free;

		run_free(r->free_runs);
		r->free_runs = n;
	}
	while (r->arena) {
		struct arena_chunk *n = r->arena->next;

		free(r->arena);
		r->arena = n;
	}
	for (uint32_t i = 0; i < r->probe_cap; i++)
		free(r->probes[i]);
	free(r->probes);
	free(r->probe_synth);
	for (size_t i = 0; i < r->proc_cnt; i++)
		free(r->procs[i]);
	free(r->procs);
	free(r->meta);
	free(r->clocks);
	free(r->tpf);
	free(r->losses);
	tt_buf_free(&r->stored);
	tt_buf_free(&r->meta_raw);
	ZSTD_freeDCtx(r->dctx);
	free(r);
}
