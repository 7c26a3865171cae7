/* SPDX-License-Identifier: MIT */
/*
 * The STACKS block (schemas/tape_stacks.h): encoding its three kinds of records for the writer,
 * and for the reader a table of modules and stacks by id, and the references waiting for their
 * events, indexed by (thread, time).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tape_format.h"
#include "tape_stacks.h"
#include "tt_error.h"
#include "tt_hash.h"

#define ID_MAX (1u << 24) /* module and stack ids a reader accepts (a table by id) */

struct stack {
	struct tt_stack_frame *frames; /* NULL: not described */
	uint32_t n;
};

struct ref {
	uint64_t ts;
	uint32_t tid, stack_id;
};

struct symtab {
	struct tt_stack_sym *syms; /* by offset; names ours */
	size_t cnt, cap;
};

struct tt_tape_stacks {
	struct tt_stack_module *mods; /* by id; path NULL where none */
	size_t mod_cap;
	struct symtab *symtabs; /* by module id */
	size_t symtab_cap;
	struct stack *stacks; /* by id */
	size_t stack_cap;
	uint32_t stack_max;
	struct ref *refs;
	size_t ref_cnt, ref_cap;
	struct tt_hidx ref_ix;
};

/* ---- writing ---- */

int tt_tape_stacks_put_module(struct tt_buf *rec, uint32_t id, const char *path,
			      const char *build_id)
{
	int err = tt_tlv_put_uint(rec, TT_STK_KIND, TT_STK_KIND_MODULE);

	if (!id || !path)
		return -EINVAL;
	if (!err)
		err = tt_tlv_put_uint(rec, TT_STK_ID, id);
	if (!err)
		err = tt_tlv_put_str(rec, TT_STK_PATH, path);
	if (!err)
		err = tt_tlv_put_str(rec, TT_STK_BUILD_ID, build_id);
	return err;
}

int tt_tape_stacks_put_stack(struct tt_buf *rec, uint32_t id, const struct tt_stack_frame *frames,
			     uint32_t n)
{
	uint8_t buf[TT_STACK_FRAMES_MAX * 15];
	size_t len = 0;
	int err;

	if (!id || !n || n > TT_STACK_FRAMES_MAX)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		len += tt_varint_put(buf + len, frames[i].module);
		len += tt_varint_put(buf + len, frames[i].offset);
	}
	err = tt_tlv_put_uint(rec, TT_STK_KIND, TT_STK_KIND_STACK);
	if (!err)
		err = tt_tlv_put_uint(rec, TT_STK_ID, id);
	if (!err)
		err = tt_tlv_put_bytes(rec, TT_STK_FRAMES, buf, len);
	return err;
}

int tt_tape_stacks_put_symbol(struct tt_buf *rec, uint32_t module, uint64_t offset, uint64_t size,
			      const char *name)
{
	int err = tt_tlv_put_uint(rec, TT_STK_KIND, TT_STK_KIND_SYMBOL);

	if (!module || !name)
		return -EINVAL;
	if (!err)
		err = tt_tlv_put_uint(rec, TT_STK_ID, module);
	if (!err)
		err = tt_tlv_put_uint(rec, TT_STK_OFFSET, offset);
	if (!err && size)
		err = tt_tlv_put_uint(rec, TT_STK_SIZE, size);
	if (!err)
		err = tt_tlv_put_str(rec, TT_STK_NAME, name);
	return err;
}

int tt_tape_stacks_put_ref(struct tt_buf *rec, uint64_t ts_ns, uint32_t tid, uint32_t stack_id)
{
	int err = tt_tlv_put_uint(rec, TT_STK_KIND, TT_STK_KIND_REF);

	if (!stack_id)
		return -EINVAL;
	if (!err)
		err = tt_tlv_put_uint(rec, TT_STK_ID, stack_id);
	if (!err)
		err = tt_tlv_put_uint(rec, TT_STK_TS, ts_ns);
	if (!err)
		err = tt_tlv_put_uint(rec, TT_STK_TID, tid);
	return err;
}

/* ---- reading ---- */

struct tt_tape_stacks *tt_tape_stacks__new(void)
{
	return calloc(1, sizeof(struct tt_tape_stacks));
}

void tt_tape_stacks__free(struct tt_tape_stacks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->mod_cap; i++) {
		free((char *)s->mods[i].path);
		free((char *)s->mods[i].build_id);
	}
	for (size_t i = 0; i < s->symtab_cap; i++) {
		for (size_t k = 0; k < s->symtabs[i].cnt; k++)
			free((char *)s->symtabs[i].syms[k].name);
		free(s->symtabs[i].syms);
	}
	free(s->symtabs);
	for (size_t i = 0; i < s->stack_cap; i++)
		free(s->stacks[i].frames);
	free(s->mods);
	free(s->stacks);
	free(s->refs);
	tt_hidx_free(&s->ref_ix);
	free(s);
}

static uint32_t ref_hash(uint32_t tid, uint64_t ts)
{
	return (uint32_t)tt_hash_u64(ts ^ (uint64_t)tid << 40 ^ tid);
}

struct ref_key {
	const struct tt_tape_stacks *s;
	uint64_t ts;
	uint32_t tid;
};

static bool ref_eq(const void *ctx, uint32_t idx)
{
	const struct ref_key *k = ctx;

	return k->s->refs[idx].ts == k->ts && k->s->refs[idx].tid == k->tid;
}

static char *dup_field(const uint8_t *val, size_t len)
{
	char *p = memchr(val, 0, len) ? NULL : malloc(len + 1);

	if (p) {
		memcpy(p, val, len);
		p[len] = 0;
	}
	return p;
}

static int add_module(struct tt_tape_stacks *s, uint64_t id, const uint8_t *path, size_t path_len,
		      const uint8_t *bid, size_t bid_len)
{
	struct tt_stack_module *m;
	int err;

	if (!id || id >= ID_MAX || !path)
		return -TT_E_CORRUPT;
	err = tt_grow((void **)&s->symtabs, &s->symtab_cap, id + 1, sizeof(*s->symtabs));
	if (!err)
		err = tt_grow((void **)&s->mods, &s->mod_cap, id + 1, sizeof(*s->mods));
	if (err)
		return err;
	m = &s->mods[id];
	if (m->path) /* described again (a new block after a flush): must agree */
		return strlen(m->path) == path_len && !memcmp(m->path, path, path_len) ? 0 :
										-TT_E_CORRUPT;
	m->id = (uint32_t)id;
	m->path = dup_field(path, path_len);
	m->build_id = bid ? dup_field(bid, bid_len) : NULL;
	return m->path && (!bid || m->build_id) ? 0 : -TT_E_CORRUPT;
}

/* A function of module id: kept by offset, the first description of an offset wins. */
static int add_symbol(struct tt_tape_stacks *s, uint64_t id, uint64_t off, uint64_t size,
		      const uint8_t *name, size_t name_len)
{
	struct symtab *t;
	size_t lo = 0, hi;
	char *n;
	int err;

	if (!id || id >= s->mod_cap || id >= s->symtab_cap || !s->mods[id].path || !name)
		return -TT_E_CORRUPT;
	t = &s->symtabs[id];
	for (hi = t->cnt; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].offset < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if ((lo < t->cnt && t->syms[lo].offset == off) || t->cnt >= TT_STACK_SYMS_MAX)
		return 0;
	n = dup_field(name, name_len);
	if (!n)
		return -TT_E_CORRUPT;
	err = tt_grow((void **)&t->syms, &t->cap, t->cnt + 1, sizeof(*t->syms));
	if (err) {
		free(n);
		return err;
	}
	memmove(&t->syms[lo + 1], &t->syms[lo], (t->cnt - lo) * sizeof(*t->syms));
	t->syms[lo] = (struct tt_stack_sym){.offset = off, .size = size, .name = n};
	t->cnt++;
	s->mods[id].syms = t->syms;
	s->mods[id].sym_cnt = (uint32_t)t->cnt;
	return 0;
}

static int add_stack(struct tt_tape_stacks *s, uint64_t id, const uint8_t *p, size_t len)
{
	struct tt_stack_frame f[TT_STACK_FRAMES_MAX];
	const uint8_t *end;
	struct stack *st;
	uint32_t n = 0;
	int err;

	if (!id || id >= ID_MAX || !p) /* (a record without frames: no pointer to add len to) */
		return -TT_E_CORRUPT;
	end = p + len;
	while (p < end) {
		uint64_t mod, off;

		if (n == TT_STACK_FRAMES_MAX || tt_varint_get(&p, end, &mod) ||
		    tt_varint_get(&p, end, &off))
			return -TT_E_CORRUPT;
		if (mod && (mod >= s->mod_cap || !s->mods[mod].path))
			return -TT_E_CORRUPT;
		f[n++] = (struct tt_stack_frame){.module = (uint32_t)mod, .offset = off};
	}
	if (!n)
		return -TT_E_CORRUPT;
	err = tt_grow((void **)&s->stacks, &s->stack_cap, id + 1, sizeof(*s->stacks));
	if (err)
		return err;
	st = &s->stacks[id];
	if (st->frames)
		return st->n == n && !memcmp(st->frames, f, n * sizeof(*f)) ? 0 : -TT_E_CORRUPT;
	st->frames = malloc(n * sizeof(*f));
	if (!st->frames)
		return -ENOMEM;
	memcpy(st->frames, f, n * sizeof(*f));
	st->n = n;
	if (id + 1 > s->stack_max)
		s->stack_max = (uint32_t)id + 1;
	return 0;
}

static int add_ref(struct tt_tape_stacks *s, uint64_t id, uint64_t ts, uint64_t tid)
{
	struct ref_key k = {s, ts, (uint32_t)tid};
	uint32_t h = ref_hash((uint32_t)tid, ts);
	int64_t i;
	int err;

	if (!id || id >= ID_MAX || tid > UINT32_MAX)
		return -TT_E_CORRUPT;
	if (s->ref_cnt >= TT_STACK_REFS_MAX) { /* never claimed: forget them all */
		s->ref_cnt = 0;
		tt_hidx_clear(&s->ref_ix);
	}
	i = tt_hidx_find(&s->ref_ix, h, ref_eq, &k);
	if (i >= 0) {
		s->refs[i].stack_id = (uint32_t)id;
		return 0;
	}
	err = tt_grow((void **)&s->refs, &s->ref_cap, s->ref_cnt + 1, sizeof(*s->refs));
	if (err)
		return err;
	s->refs[s->ref_cnt] = (struct ref){.ts = ts, .tid = (uint32_t)tid, .stack_id = (uint32_t)id};
	err = tt_hidx_add(&s->ref_ix, h, (uint32_t)s->ref_cnt);
	if (!err)
		s->ref_cnt++;
	return err;
}

static int parse_record(struct tt_tape_stacks *s, const uint8_t *body, size_t body_len)
{
	struct tt_tlv_iter it = {body, body + body_len};
	const uint8_t *val, *path = NULL, *bid = NULL, *frames = NULL, *name = NULL;
	size_t len, path_len = 0, bid_len = 0, frames_len = 0, name_len = 0;
	uint64_t tag, kind = 0, id = 0, ts = 0, tid = UINT64_MAX, off = 0, size = 0, *u;
	int k;

	while ((k = tt_tlv_next_field(&it, &tag, &val, &len)) > 0) {
		u = tag == TT_STK_KIND ? &kind : tag == TT_STK_ID ? &id : tag == TT_STK_TS ? &ts :
		    tag == TT_STK_TID ? &tid : tag == TT_STK_OFFSET ? &off :
		    tag == TT_STK_SIZE ? &size : NULL;
		if (u && tt_tlv_uint(val, len, u))
			return -TT_E_CORRUPT;
		if (tag == TT_STK_PATH) {
			path = val;
			path_len = len;
		} else if (tag == TT_STK_BUILD_ID) {
			bid = val;
			bid_len = len;
		} else if (tag == TT_STK_FRAMES) {
			frames = val;
			frames_len = len;
		} else if (tag == TT_STK_NAME) {
			name = val;
			name_len = len;
		}
	}
	if (k < 0)
		return k;
	switch (kind) {
	case TT_STK_KIND_MODULE:
		return add_module(s, id, path, path_len, bid, bid_len);
	case TT_STK_KIND_STACK:
		return add_stack(s, id, frames, frames_len);
	case TT_STK_KIND_REF:
		return add_ref(s, id, ts, tid);
	case TT_STK_KIND_SYMBOL:
		return add_symbol(s, id, off, size, name, name_len);
	default:
		return 0; /* a kind of a later version: skipped */
	}
}

int tt_tape_stacks__parse_block(struct tt_tape_stacks *s, const uint8_t *p, size_t len,
				uint32_t record_cnt)
{
	struct tt_tlv_iter it = {p, p + len};
	const uint8_t *body;
	size_t body_len;
	uint32_t cnt = 0;
	int k, err;

	while ((k = tt_tlv_next_record(&it, &body, &body_len)) > 0) {
		err = parse_record(s, body, body_len);
		if (err)
			return err;
		cnt++;
	}
	if (k < 0)
		return k;
	return cnt == record_cnt ? 0 : -TT_E_CORRUPT;
}

uint32_t tt_tape_stacks__take_ref(struct tt_tape_stacks *s, uint32_t tid, uint64_t ts_ns)
{
	struct ref_key k = {s, ts_ns, tid};
	uint32_t h = ref_hash(tid, ts_ns), id, last;
	int64_t i;

	if (!s->ref_cnt)
		return 0;
	i = tt_hidx_find(&s->ref_ix, h, ref_eq, &k);
	if (i < 0)
		return 0;
	id = s->refs[i].stack_id;
	tt_hidx_del(&s->ref_ix, h, (uint32_t)i);
	last = (uint32_t)--s->ref_cnt;
	if ((uint32_t)i != last) { /* the last entry fills the hole */
		s->refs[i] = s->refs[last];
		tt_hidx_move(&s->ref_ix, ref_hash(s->refs[i].tid, s->refs[i].ts), last, (uint32_t)i);
	}
	return id;
}

const struct tt_stack_module *tt_tape_stacks__module(const struct tt_tape_stacks *s, uint32_t id)
{
	return id < s->mod_cap && s->mods[id].path ? &s->mods[id] : NULL;
}

int tt_tape_stacks__stack(const struct tt_tape_stacks *s, uint32_t id,
			  const struct tt_stack_frame **frames, uint32_t *n)
{
	if (id >= s->stack_cap || !s->stacks[id].frames)
		return -ENOENT;
	*frames = s->stacks[id].frames;
	*n = s->stacks[id].n;
	return 0;
}

uint32_t tt_tape_stacks__stack_cnt(const struct tt_tape_stacks *s)
{
	return s->stack_max;
}
