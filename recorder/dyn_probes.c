/* SPDX-License-Identifier: MIT */
/*
 * Dynamic probes: carriers recognised, their events turned into events of the probes the code
 * named (dyn_probes.h; the wire is <tracetape/dynamic.h>, schemas/DYNAMIC_PROBES.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tracetape/dynamic.h>

#include "dyn_probes.h"
#include "tt_hash.h"
#include "tt_types.h"
#include "tt_util.h"

/* The carriers and the suffix each gives the probes it carries (a span's two ends). */
static const struct {
	const char *name, *suffix;
} carriers[] = {
	{TT_DYN_CARRIER_PROBE, ""},
	{TT_DYN_CARRIER_BEGIN, "__begin"},
	{TT_DYN_CARRIER_END, "__end"},
};

/* A derived probe: its description and the key it was made for. */
struct dyn_probe {
	struct tt_probe_desc d; /* strings owned (name, arg_names); the rest borrowed */
	uint32_t carrier;       /* the carrier's probe id */
	uint64_t word;          /* the kinds word */
	uint8_t *key;           /* the name object's bytes (name, and value names) (owned) */
	uint32_t key_len;
};

struct tt_dyn_probes {
	const struct tt_probe_set_probe *probes; /* the capture's (borrowed) */
	size_t probe_cnt;
	int8_t *suffix;        /* [probe id]: index into carriers[], -1 for no carrier (owned) */
	int has_carriers;
	struct dyn_probe *dyn; /* derived probes, id probe_cnt + position (owned) */
	size_t dyn_cnt, dyn_cap;
	struct tt_hidx ix;     /* dyn by (carrier, word, key) */
};

int tt_dyn_carrier_args(unsigned argc, char *const *arg_names, uint8_t *kinds,
			struct tt_provider_str *strs)
{
	/* A counted object: zend_string's length and bytes. */
	const struct tt_provider_str obj = {.form = TT_PROVIDER_STR_IN_OBJ, .len_size = 8,
					    .len_off = TT_DYN_OBJ_LEN_OFF,
					    .data_off = TT_DYN_OBJ_DATA_OFF};

	if (argc != TT_DYN_ARGC || !arg_names[0] || !arg_names[1] ||
	    strcmp(arg_names[0], TT_DYN_NAME_ARG) || strcmp(arg_names[1], TT_DYN_KINDS_ARG))
		return 0;
	for (unsigned i = 0; i < argc; i++) {
		kinds[i] = i == 1 ? TT_KIND_U64 : TT_KIND_BYTES;
		memset(&strs[i], 0, sizeof(strs[i]));
		if (i != 1)
			strs[i] = obj;
	}
	return 1;
}

struct tt_dyn_probes *tt_dyn_probes__new(const struct tt_probe_set_probe *probes,
					 size_t probe_cnt)
{
	struct tt_dyn_probes *t = calloc(1, sizeof(*t));

	if (!t || !(t->suffix = malloc(probe_cnt ? probe_cnt : 1))) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->probes = probes;
	t->probe_cnt = probe_cnt;
	for (size_t id = 0; id < probe_cnt; id++) {
		const struct tt_probe_desc *d = &probes[id].d;

		t->suffix[id] = -1;
		if (d->type != TT_PROBE_USDT || d->argc != TT_DYN_ARGC || !d->arg_names[0] ||
		    strcmp(d->arg_names[0], TT_DYN_NAME_ARG) || !d->arg_names[1] ||
		    strcmp(d->arg_names[1], TT_DYN_KINDS_ARG))
			continue;
		for (size_t c = 0; c < TT_ARRAY_SIZE(carriers); c++)
			if (d->name && !strcmp(d->name, carriers[c].name))
				t->suffix[id] = (int8_t)c;
		t->has_carriers |= t->suffix[id] >= 0;
	}
	return t;
}

int tt_dyn_probes__has_carriers(const struct tt_dyn_probes *t)
{
	return t->has_carriers;
}

struct find_key {
	const struct tt_dyn_probes *t;
	uint32_t carrier;
	uint64_t word; /* the kinds word, true read as false: one probe for a bool value */
	const uint8_t *key;
	uint32_t key_len;
};

static bool key_eq(const void *ctx, uint32_t idx)
{
	const struct find_key *k = ctx;
	const struct dyn_probe *p = &k->t->dyn[idx];

	return p->carrier == k->carrier && p->word == k->word && p->key_len == k->key_len &&
	       !memcmp(p->key, k->key, k->key_len);
}

static uint8_t value_kind(unsigned k)
{
	switch (k) {
	case TT_DYN_K_FALSE:
	case TT_DYN_K_TRUE:
		return TT_KIND_U8;
	case TT_DYN_K_INT:
		return TT_KIND_S64;
	case TT_DYN_K_FLOAT:
		return TT_KIND_F64;
	case TT_DYN_K_STRING:
		return TT_KIND_BYTES;
	default:
		return TT_KIND_NONE; /* null: the value is absent (SQL NULL) */
	}
}

static void dyn_free(struct dyn_probe *p)
{
	free((char *)p->d.name);
	for (unsigned i = 0; i < TT_MAX_ARGS; i++)
		free((char *)p->d.arg_names[i]);
	free(p->key);
}

/* A new derived probe for key k, whose name is name_len bytes at k->key. */
static int dyn_add(struct tt_dyn_probes *t, const struct find_key *k, uint32_t h, size_t name_len,
		   uint32_t *id)
{
	const struct tt_probe_desc *c = &t->probes[k->carrier].d;
	const char *suffix = carriers[t->suffix[k->carrier]].suffix;
	unsigned n = TT_DYN_WORD_COUNT(k->word);
	struct dyn_probe *p;
	size_t slen = strlen(suffix), off = name_len;
	char *name;
	int err;

	if (t->dyn_cnt == TT_DYN_PROBES_MAX)
		return -EBADMSG;
	err = tt_grow((void **)&t->dyn, &t->dyn_cap, t->dyn_cnt + 1, sizeof(*t->dyn));
	if (err)
		return err;
	p = &t->dyn[t->dyn_cnt];
	memset(p, 0, sizeof(*p));
	p->carrier = k->carrier;
	p->word = k->word;
	p->key_len = k->key_len;
	p->key = malloc(k->key_len ? k->key_len : 1);
	name = malloc(name_len + slen + 1);
	p->d.name = name;
	if (!p->key || !name)
		goto nomem;
	memcpy(p->key, k->key, k->key_len);
	memcpy(name, k->key, name_len);
	memcpy(name + name_len, suffix, slen + 1);
	p->d.id = (uint32_t)(t->probe_cnt + t->dyn_cnt);
	p->d.type = TT_PROBE_USDT;
	p->d.argc = (uint8_t)n;
	p->d.provider = c->provider;
	p->d.binary = c->binary;
	p->d.build_id = c->build_id;
	for (unsigned i = 0; i < n; i++) {
		p->d.kinds[i] = value_kind(TT_DYN_WORD_KIND(k->word, i));
		if (!(k->word & TT_DYN_F_ARGNAMES))
			continue;
		/* value names follow the probe's name, each after a NUL; empty: unnamed */
		if (off < k->key_len)
			off++;
		{
			const char *s = (const char *)k->key + off;
			size_t len = strnlen(s, k->key_len - off);

			if (len && !(p->d.arg_names[i] = strndup(s, len)))
				goto nomem;
			off += len;
		}
	}
	err = tt_hidx_add(&t->ix, h, (uint32_t)t->dyn_cnt);
	if (err)
		goto fail;
	*id = p->d.id;
	t->dyn_cnt++;
	return 0;
nomem:
	err = -ENOMEM;
fail:
	dyn_free(p);
	return err;
}

int tt_dyn_probes__map(struct tt_dyn_probes *t, struct tt_event *ev,
		       const struct tt_probe_desc **added)
{
	struct find_key k = {.t = t, .carrier = ev->probe_id};
	const struct tt_bytes *name = &ev->strs[0];
	uint64_t w = ev->args[1];
	unsigned n = TT_DYN_WORD_COUNT(w);
	uint16_t fault = 0;
	size_t name_len;
	uint32_t h, id;
	int64_t at;
	int err;

	*added = NULL;
	if (ev->probe_id >= t->probe_cnt || t->suffix[ev->probe_id] < 0)
		return 1;
	/* The name and the kinds word must have been read; the word must be this version's. */
	if (ev->argc != TT_DYN_ARGC || (ev->fault_mask & 3) || (name->flags & TT_STR_FAULT) ||
	    TT_DYN_WORD_VERSION(w) != TT_DYN_VERSION || n > TT_DYN_VALUES_MAX ||
	    TT_DYN_WORD_RESERVED(w))
		return -EBADMSG;
	for (unsigned i = 0; i < n; i++)
		if (TT_DYN_WORD_KIND(w, i) > TT_DYN_K_STRING)
			return -EBADMSG;
	name_len = name->ptr ? strnlen((const char *)name->ptr, name->len) : 0;
	if (!name_len)
		return -EBADMSG;
	k.word = w;
	for (unsigned i = 0; i < n; i++)
		if (TT_DYN_WORD_KIND(w, i) == TT_DYN_K_TRUE)
			k.word ^= (uint64_t)(TT_DYN_K_TRUE ^ TT_DYN_K_FALSE) << TT_DYN_KIND_SHIFT(i);
	k.key = name->ptr;
	/* Without value names only the name counts (the object may hold more: ignore it). */
	k.key_len = (w & TT_DYN_F_ARGNAMES) ? name->len : (uint32_t)name_len;
	h = (uint32_t)tt_hash_bytes(k.key, k.key_len, tt_hash_u64(k.word ^ (uint64_t)k.carrier << 48));
	at = tt_hidx_find(&t->ix, h, key_eq, &k);
	if (at >= 0) {
		id = t->dyn[at].d.id;
	} else {
		err = dyn_add(t, &k, h, name_len, &id);
		if (err)
			return err;
		*added = &t->dyn[t->dyn_cnt - 1].d;
	}
	/* The values move down two slots; each kind decides what its slot holds. */
	for (unsigned i = 0; i < n; i++) {
		const struct tt_bytes *v = &ev->strs[2 + i];
		int read = !(ev->fault_mask >> (2 + i) & 1) && !(v->flags & TT_STR_FAULT);

		ev->args[i] = 0;
		memset(&ev->strs[i], 0, sizeof(ev->strs[i]));
		switch (TT_DYN_WORD_KIND(w, i)) {
		case TT_DYN_K_NULL:
			fault |= (uint16_t)(1u << i); /* no value: NULL in the database */
			break;
		case TT_DYN_K_FALSE:
			break;
		case TT_DYN_K_TRUE:
			ev->args[i] = 1;
			break;
		case TT_DYN_K_INT:
		case TT_DYN_K_FLOAT:
			/* 8 little-endian bytes (x86-64's own order) */
			if (read && v->len == 8 && v->ptr)
				memcpy(&ev->args[i], v->ptr, 8);
			else
				fault |= (uint16_t)(1u << i);
			break;
		default: /* a string */
			ev->strs[i] = *v;
			if (!read) {
				ev->strs[i].flags |= TT_STR_FAULT;
				fault |= (uint16_t)(1u << i);
			}
			break;
		}
	}
	ev->probe_id = id;
	ev->argc = (uint8_t)n;
	ev->fault_mask = fault;
	return 0;
}

size_t tt_dyn_probes__cnt(const struct tt_dyn_probes *t)
{
	return t->dyn_cnt;
}

const struct tt_probe_desc *tt_dyn_probes__at(const struct tt_dyn_probes *t, size_t i)
{
	return i < t->dyn_cnt ? &t->dyn[i].d : NULL;
}

void tt_dyn_probes__free(struct tt_dyn_probes *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->dyn_cnt; i++)
		dyn_free(&t->dyn[i]);
	free(t->dyn);
	free(t->suffix);
	tt_hidx_free(&t->ix);
	free(t);
}
