/* SPDX-License-Identifier: MIT */
/*
 * A tape's descriptions (schemas/tape_desc.h; records in schemas/TAPE_FORMAT.md 4): each block
 * is a run of TLV records, each record a run of fields; unknown fields are skipped, so newer
 * writers stay readable, and a known field of the wrong shape fails the record. Probes are a
 * table by id (the first description of an id wins over later ones, except over a stand-in made
 * up from event blocks); everything else is kept in tape order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tape_desc.h"
#include "tape_format.h"
#include "tt_error.h"
#include "tt_util.h"

#define ARENA_CHUNK (64u << 10)

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


struct tt_tape_desc {
	struct arena_chunk *arena;
	struct meta_kv *meta;
	size_t meta_cnt, meta_cap;
	struct clock_anchor *clocks; /* sorted by mono */
	size_t clock_cnt, clock_cap;
	struct tt_probe_desc **probes; /* by id; NULL where none */
	uint8_t *probe_synth;          /* by id: probes[id] is a stand-in (probe_seen) */
	uint32_t probe_cap, probe_max;
	struct tt_process **procs;
	size_t proc_cnt, proc_cap;
	struct tp_format *tpf;
	size_t tpf_cnt, tpf_cap;
	struct tt_loss *losses;
	size_t loss_cnt, loss_cap;
	uint64_t trailer_events, trailer_losses;
	size_t bytes; /* what the records parsed so far cost, about (TT_TAPE_DESC_BYTES_MAX) */
};

struct tt_tape_desc *tt_tape_desc__new(void)
{
	return calloc(1, sizeof(struct tt_tape_desc));
}

void tt_tape_desc__free(struct tt_tape_desc *d)
{
	if (!d)
		return;
	while (d->arena) {
		struct arena_chunk *n = d->arena->next;

		free(d->arena);
		d->arena = n;
	}
	for (uint32_t i = 0; i < d->probe_cap; i++)
		free(d->probes[i]);
	free(d->probes);
	free(d->probe_synth);
	for (size_t i = 0; i < d->proc_cnt; i++)
		free(d->procs[i]);
	free(d->procs);
	free(d->meta);
	free(d->clocks);
	free(d->tpf);
	free(d->losses);
	free(d);
}

/* A NUL-terminated copy of len bytes in the arena (cut at an embedded NUL), or NULL. */
static const char *arena_str(struct tt_tape_desc *d, const uint8_t *p, size_t len)
{
	struct arena_chunk *c = d->arena;
	char *s;

	len = strnlen((const char *)p, len);
	if (!c || c->cap - c->used < len + 1) {
		size_t cap = TT_MAX((size_t)ARENA_CHUNK, len + 1);

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = d->arena;
		c->used = 0;
		c->cap = cap;
		d->arena = c;
	}
	s = c->data + c->used;
	memcpy(s, p, len);
	s[len] = '\0';
	c->used += len + 1;
	return s;
}


static int add_probe_desc(struct tt_tape_desc *d, uint32_t id, struct tt_probe_desc **out)
{
	if (id >= d->probe_cap) {
		size_t cap = d->probe_cap, old = d->probe_cap;
		int err = tt_grow((void **)&d->probes, &cap, (size_t)id + 1, sizeof(*d->probes));

		if (!err) {
			uint8_t *s = realloc(d->probe_synth, cap);

			if (!s)
				err = -ENOMEM;
			else
				d->probe_synth = s;
		}
		if (err)
			return err;
		memset(d->probes + old, 0, (cap - old) * sizeof(*d->probes));
		memset(d->probe_synth + old, 0, cap - old);
		d->probe_cap = (uint32_t)cap;
	}
	if (!d->probes[id]) {
		d->probes[id] = calloc(1, sizeof(**d->probes));
		if (!d->probes[id])
			return -ENOMEM;
		d->probes[id]->id = id;
		if (id + 1 > d->probe_max)
			d->probe_max = id + 1;
	}
	*out = d->probes[id];
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
		(var) = arena_str(d, val, len);           \
		if (!(var))                               \
			return -ENOMEM;                   \
	} while (0)

static int parse_probe(struct tt_tape_desc *d, const uint8_t *body, size_t body_len)
{
	struct tt_tlv_iter it = {body, body + body_len};
	struct tt_probe_desc pd = {0}, *p;
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
			pd.argc = (uint8_t)len;
			memcpy(pd.kinds, val, len);
			break;
		case TT_PROBE_F_PROVIDER: FIELD_STR(pd.provider); break;
		case TT_PROBE_F_NAME: FIELD_STR(pd.name); break;
		case TT_PROBE_F_BINARY: FIELD_STR(pd.binary); break;
		case TT_PROBE_F_BUILD_ID: FIELD_STR(pd.build_id); break;
		case TT_PROBE_F_ARG_SPECS: FIELD_STR(pd.arg_specs); break;
		case TT_PROBE_F_ARG_NAME:
			if (len < 1 || val[0] >= TT_MAX_ARGS)
				return -TT_E_CORRUPT;
			pd.arg_names[val[0]] = arena_str(d, val + 1, len - 1);
			if (!pd.arg_names[val[0]])
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
	for (unsigned i = 0; i < pd.argc; i++)
		if (cxx >> i & 1 && pd.kinds[i] == TT_KIND_STR)
			pd.kinds[i] = TT_KIND_CXXNAME;
	if ((uint32_t)id < d->probe_cap && d->probes[id] && !d->probe_synth[id])
		return 0; /* the first description of an id wins */
	err = add_probe_desc(d, (uint32_t)id, &p);
	if (err)
		return err;
	pd.id = (uint32_t)id;
	pd.type = (uint8_t)type;
	*p = pd;
	d->probe_synth[id] = 0;
	return 0;
}

static int parse_record(struct tt_tape_desc *d, int type, const uint8_t *body, size_t body_len)
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
		err = tt_grow((void **)&d->meta, &d->meta_cap, d->meta_cnt + 1, sizeof(*d->meta));
		if (err)
			return err;
		d->meta[d->meta_cnt++] = kv;
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
		err = tt_grow((void **)&d->clocks, &d->clock_cap, d->clock_cnt + 1, sizeof(*d->clocks));
		if (err)
			return err;
		/* keep them sorted by mono: anchors come in order, so this is an append */
		for (i = d->clock_cnt; i > 0 && d->clocks[i - 1].mono > a.mono; i--)
			d->clocks[i] = d->clocks[i - 1];
		d->clocks[i] = a;
		d->clock_cnt++;
		return 0;
	}
	case TT_BLOCK_PROBES:
		return parse_probe(d, body, body_len);
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
		err = tt_grow((void **)&d->procs, &d->proc_cap, d->proc_cnt + 1, sizeof(*d->procs));
		if (err)
			return err;
		np = malloc(sizeof(*np));
		if (!np)
			return -ENOMEM;
		*np = p;
		d->procs[d->proc_cnt++] = np;
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
		err = tt_grow((void **)&d->tpf, &d->tpf_cap, d->tpf_cnt + 1, sizeof(*d->tpf));
		if (err)
			return err;
		d->tpf[d->tpf_cnt++] = f;
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
		err = tt_grow((void **)&d->losses, &d->loss_cap, d->loss_cnt + 1, sizeof(*d->losses));
		if (err)
			return err;
		d->losses[d->loss_cnt++] = l;
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
			d->trailer_events = events;
			d->trailer_losses = lost;
		}
		return 0;
	}
	default:
		return 0;
	}
}

int tt_tape_desc__parse_block(struct tt_tape_desc *d, int type, const uint8_t *p, size_t len,
			      uint32_t record_cnt)
{
	struct tt_tlv_iter it = {p, p + len};
	const uint8_t *body;
	size_t body_len;
	uint32_t cnt = 0;
	int k, err;

	while ((k = tt_tlv_next_record(&it, &body, &body_len)) > 0) {
		/* a record costs its bytes (its strings) and an entry: bounded per tape, since a
		 * compressed block may inflate a small file into gigabytes of descriptions */
		d->bytes += body_len + 64;
		if (d->bytes > TT_TAPE_DESC_BYTES_MAX)
			return -TT_E_LIMIT;
		err = parse_record(d, type, body, body_len);
		if (err)
			return err;
		cnt++;
	}
	if (k < 0)
		return k;
	return cnt == record_cnt ? 0 : -TT_E_CORRUPT;
}


int tt_tape_desc__probe_seen(struct tt_tape_desc *d, uint32_t id, uint8_t argc,
			     const uint8_t *kinds)
{
	struct tt_probe_desc *p;
	char name[32];
	int err;

	if (id < d->probe_cap && d->probes[id])
		return 0;
	err = add_probe_desc(d, id, &p);
	if (err)
		return err;
	snprintf(name, sizeof(name), "probe%u", id);
	p->provider = arena_str(d, (const uint8_t *)"?", 1);
	p->name = arena_str(d, (const uint8_t *)name, strlen(name));
	if (!p->provider || !p->name)
		return -ENOMEM;
	p->argc = TT_MIN(argc, TT_MAX_ARGS);
	memcpy(p->kinds, kinds, p->argc);
	d->probe_synth[id] = 1;
	return 0;
}

const struct tt_probe_desc *tt_tape_desc__probe(const struct tt_tape_desc *d, uint32_t id)
{
	return id < d->probe_cap ? d->probes[id] : NULL;
}

uint32_t tt_tape_desc__probe_cnt(const struct tt_tape_desc *d)
{
	return d->probe_max;
}

const char *tt_tape_desc__meta(const struct tt_tape_desc *d, const char *key)
{
	for (size_t i = d->meta_cnt; i > 0; i--)
		if (!strcmp(d->meta[i - 1].key, key))
			return d->meta[i - 1].value;
	return NULL;
}

int tt_tape_desc__meta_at(const struct tt_tape_desc *d, size_t i, const char **key,
			    const char **value)
{
	if (i >= d->meta_cnt)
		return -ENOENT;
	*key = d->meta[i].key;
	*value = d->meta[i].value;
	return 0;
}

uint64_t tt_tape_desc__wall_ns(const struct tt_tape_desc *d, uint64_t mono_ns)
{
	const struct clock_anchor *a = d->clocks;
	size_t lo = 0, hi = d->clock_cnt;
	int64_t off0, off1;

	if (!d->clock_cnt)
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
	if (lo + 1 < d->clock_cnt && mono_ns > a[lo].mono) {
		double f = (double)(mono_ns - a[lo].mono) / (double)(a[lo + 1].mono - a[lo].mono);
		int64_t diff;
		double step;

		off1 = (int64_t)(a[lo + 1].real - a[lo + 1].mono);
		/*
		 * The anchors come from the file: offsets further apart than int64 holds are forged
		 * or garbage, but must not be undefined behaviour. The step is clamped into int64
		 * and added modulo 2^64, like the offset itself.
		 */
		step = __builtin_sub_overflow(off1, off0, &diff) ? ((double)off1 - (double)off0) * f
							     : (double)diff * f;
		if (step >= 0x1p63)
			step = 0x1p63 - 1024;
		else if (step < -0x1p63)
			step = -0x1p63;
		off0 = (int64_t)((uint64_t)off0 + (uint64_t)(int64_t)step);
	}
	return mono_ns + (uint64_t)off0;
}

const struct tt_process *tt_tape_desc__process(const struct tt_tape_desc *d, size_t i)
{
	return i < d->proc_cnt ? d->procs[i] : NULL;
}

const char *tt_tape_desc__tp_format(const struct tt_tape_desc *d, uint32_t probe_id)
{
	for (size_t i = 0; i < d->tpf_cnt; i++)
		if (d->tpf[i].probe_id == probe_id)
			return d->tpf[i].text;
	return NULL;
}

const struct tt_loss *tt_tape_desc__losses(const struct tt_tape_desc *d, size_t *cnt)
{
	*cnt = d->loss_cnt;
	return d->losses;
}


void tt_tape_desc__trailer(const struct tt_tape_desc *d, uint64_t *events, uint64_t *lost)
{
	*events = d->trailer_events;
	*lost = d->trailer_losses;
}
