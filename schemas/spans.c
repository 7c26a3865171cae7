/* SPDX-License-Identifier: MIT */
/*
 * The span builder (spans.h; the rules' text and the shipped rules are spans_rules.c). Open
 * spans are nodes in one array, reused through a free list, and found through one hash index
 * (tt_hash.h): keyed spans ("id" and custom key=ARG pairings) under (capture, pid, rule, key);
 * stacks under (capture, pid, tid or goid), the index pointing at the innermost node and each
 * node at the one below it. Every open node is also on a list in
 * start order, which gives the oldest-first order of the spans left open, and the spans of an
 * exiting process. Per event the cost is one table lookup for a probe that starts or ends spans,
 * one array index for every other probe; nothing is allocated once the node array has grown to
 * the largest number of spans open at once.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "spans.h"
#include "tt_error.h"
#include "tt_hash.h"
#include "tt_util.h"

enum family { FAM_BEGIN_END, FAM_START_DONE, FAM_ENTRY_RETURN, FAM_GO, FAM_CUSTOM };
enum pairing { PAIR_UNSET, PAIR_ID, PAIR_THREAD, PAIR_GO, PAIR_CUSTOM_KEY, PAIR_CUSTOM_STACK };
enum space { SPACE_KEY = 1, SPACE_THREAD, SPACE_GO };
enum builtin { BUILTIN_NONE, BUILTIN_EXIT, BUILTIN_EXEC };

#define NIL 0u /* node links are index + 1 */

struct rule {
	char *provider, *name;
	uint8_t family;
	uint8_t pairing;      /* decided at the rule's first event, then fixed */
	uint8_t has_key;      /* custom rule with key=ARG */
	uint32_t start_cnt, end_cnt;      /* probes describing its start and its end */
	uint32_t start_noint, end_noint;  /* ... whose first argument cannot be an id */
};

struct role {
	uint32_t rule;
	uint8_t is_end;
	int8_t key_idx; /* the key argument (custom key=ARG rules), KEY_PID, KEY_TID, else -1 */
};

/* Pseudo key arguments: key=pid and key=tid when the probe has no argument of that name. */
#define KEY_PID (-2)
#define KEY_TID (-3)

struct pinfo {
	uint32_t role_off;
	uint16_t role_cnt;
	uint8_t builtin;
	uint8_t described;
};

struct node {
	uint64_t span_id, parent_id;
	uint64_t start_ts, begin_event_id;
	uint64_t k;      /* the key (integer), or the tid/goid of a stack */
	uint64_t goid;
	uint32_t hash;   /* of the key: the node's entry in the index */
	uint32_t rule, capture, tape, pid, tid, cpu, begin_probe, depth;
	uint32_t below;      /* the next node of the stack, NIL at the bottom */
	uint32_t prev, next; /* the open list, in start order */
	uint8_t space;
	uint8_t ktype;       /* 1 integer k, 2 bytes key_str */
	uint8_t in_use;
	char *key_str;       /* owned; kept across reuse */
	uint32_t key_len, key_cap;
};

/* What a lookup is for: a keyed span or a stack. */
struct key {
	uint8_t space, ktype;
	uint32_t capture, pid, rule;
	uint64_t k;
	const uint8_t *s;
	uint32_t slen;
	uint32_t hash;
};

struct tt_span_builder {
	tt_span_emit_fn emit;
	void *ctx;
	const struct tt_out *out;

	struct tt_span_rule *custom;
	size_t custom_cnt;

	struct rule *rules;
	size_t rule_cnt, rule_cap;
	struct role *roles;
	size_t role_cnt, role_cap;
	struct pinfo *probes;
	size_t probe_cap;

	struct node *nodes;
	uint32_t node_cnt, node_cap, free_head;
	uint32_t open_head, open_tail;
	uint64_t open_cnt;

	struct tt_hidx index; /* key -> position of the keyed node, or of a stack's top node */

	uint64_t next_span_id;
	struct tt_span_stats st;
	int probes_described; /* add_probe() was called: no more rules */
};

/* ---- the index ---- */

static void key_hash(struct key *k)
{
	uint64_t v = k->ktype == 2 ? tt_hash_bytes(k->s, k->slen, 0) : k->k;
	uint64_t h = tt_hash_u64(v ^ tt_hash_u64((uint64_t)k->space << 32 | k->rule));

	h = tt_hash_u64(h ^ ((uint64_t)k->capture << 32 | k->pid));
	k->hash = (uint32_t)(h ^ h >> 32);
}

static int node_matches(const struct node *n, const struct key *k)
{
	if (n->space != k->space || n->capture != k->capture || n->pid != k->pid ||
	    n->ktype != k->ktype)
		return 0;
	if (k->space == SPACE_KEY && n->rule != k->rule)
		return 0;
	if (k->ktype == 2)
		return n->key_len == k->slen && !memcmp(n->key_str, k->s, k->slen);
	return n->k == k->k;
}

struct lookup {
	const struct node *nodes;
	const struct key *k;
};

static bool lookup_eq(const void *ctx, uint32_t pos)
{
	const struct lookup *l = ctx;

	return node_matches(&l->nodes[pos], l->k);
}

/* The node k leads to (a keyed node, or the top of a stack), or NIL. */
static uint32_t node_find(const struct tt_span_builder *b, const struct key *k)
{
	struct lookup l = {b->nodes, k};

	return (uint32_t)(tt_hidx_find(&b->index, k->hash, lookup_eq, &l) + 1);
}

/* ---- nodes ---- */

static int node_alloc(struct tt_span_builder *b, uint32_t *idx)
{
	if (b->free_head != NIL) {
		*idx = b->free_head;
		b->free_head = b->nodes[*idx - 1].next;
	} else {
		if (b->node_cnt == b->node_cap) {
			size_t cap = b->node_cap;
			int err = tt_grow((void **)&b->nodes, &cap, (size_t)b->node_cnt + 1, sizeof(*b->nodes));

			if (err)
				return err;
			if (cap > UINT32_MAX - 1)
				return -ENOMEM;
			b->node_cap = (uint32_t)cap;
		}
		*idx = ++b->node_cnt;
	}
	{
		struct node *n = &b->nodes[*idx - 1];
		char *ks = n->key_str;
		uint32_t kc = n->key_cap;

		memset(n, 0, sizeof(*n));
		n->key_str = ks;
		n->key_cap = kc;
		n->in_use = 1;
	}
	/* append to the open list */
	b->nodes[*idx - 1].prev = b->open_tail;
	if (b->open_tail != NIL)
		b->nodes[b->open_tail - 1].next = *idx;
	else
		b->open_head = *idx;
	b->open_tail = *idx;
	b->open_cnt++;
	if (b->open_cnt > b->st.open_peak)
		b->st.open_peak = b->open_cnt;
	return 0;
}

static void node_release(struct tt_span_builder *b, uint32_t idx)
{
	struct node *n = &b->nodes[idx - 1];

	if (n->prev != NIL)
		b->nodes[n->prev - 1].next = n->next;
	else
		b->open_head = n->next;
	if (n->next != NIL)
		b->nodes[n->next - 1].prev = n->prev;
	else
		b->open_tail = n->prev;
	b->open_cnt--;
	n->in_use = 0;
	n->next = b->free_head;
	b->free_head = idx;
}

static void node_key(const struct node *n, struct key *k)
{
	memset(k, 0, sizeof(*k));
	k->space = n->space;
	k->ktype = n->ktype;
	k->capture = n->capture;
	k->pid = n->pid;
	k->rule = n->space == SPACE_KEY ? n->rule : 0;
	k->k = n->k;
	k->s = (const uint8_t *)n->key_str;
	k->slen = n->key_len;
	k->hash = n->hash;
}

/* Take node idx out of the index (keyed) or out of its stack. */
static void node_detach(struct tt_span_builder *b, uint32_t idx)
{
	struct node *n = &b->nodes[idx - 1];
	struct key k;
	uint32_t top;

	if (n->space == SPACE_KEY) {
		tt_hidx_del(&b->index, n->hash, idx - 1);
		return;
	}
	node_key(n, &k);
	top = node_find(b, &k);
	if (top == NIL)
		return; /* cannot happen: every open node is reachable */
	if (top == idx) {
		if (n->below != NIL)
			tt_hidx_move(&b->index, n->hash, idx - 1, n->below - 1);
		else
			tt_hidx_del(&b->index, n->hash, idx - 1);
		return;
	}
	for (uint32_t cur = top; cur != NIL; cur = b->nodes[cur - 1].below) {
		if (b->nodes[cur - 1].below == idx) {
			b->nodes[cur - 1].below = n->below;
			return;
		}
	}
}

static int emit_node(struct tt_span_builder *b, uint32_t idx, const struct tt_event *end_ev,
		     uint64_t end_event_id, uint32_t end_probe, const char *unclosed)
{
	static const char *const pairing_names[] = {
		[PAIR_ID] = "id", [PAIR_THREAD] = "thread", [PAIR_GO] = "goroutine",
		[PAIR_CUSTOM_KEY] = "custom", [PAIR_CUSTOM_STACK] = "custom",
	};
	const struct node *n = &b->nodes[idx - 1];
	const struct rule *r = &b->rules[n->rule];
	struct tt_span s = {
		.id = n->span_id,
		.provider = r->provider,
		.name = r->name,
		.pairing = pairing_names[r->pairing],
		.tape = n->tape,
		.pid = n->pid,
		.tid = n->tid,
		.cpu = n->cpu,
		.goid = n->goid,
		.start_ts = n->start_ts,
		.depth = n->depth,
		.parent_id = n->parent_id,
		.begin_event_id = n->begin_event_id,
		.begin_probe_id = n->begin_probe,
		.unclosed = unclosed,
	};

	if (n->space == SPACE_KEY) {
		s.key_type = n->ktype;
		s.key_int = (int64_t)n->k;
		s.key_str = n->key_str;
		s.key_len = n->key_len;
	}
	if (end_ev) {
		s.closed = 1;
		s.end_ts = end_ev->ts_ns;
		s.end_tid = end_ev->tid;
		s.end_cpu = end_ev->cpu;
		s.end_goid = end_ev->goid;
		s.end_event_id = end_event_id;
		s.end_probe_id = end_probe;
		b->st.closed++;
	} else {
		b->st.unclosed++;
	}
	return b->emit(b->ctx, &s);
}

/* ---- probes ---- */

static int is_int_class(uint8_t kind)
{
	unsigned c = TT_KIND_CLASS(kind);

	return c == TT_CLASS_UINT || c == TT_CLASS_SINT || c == TT_CLASS_PTR ||
	       (c == TT_CLASS_UNKNOWN && TT_KIND_SIZE(kind) != 0);
}

/*
 * Can an argument of this kind be a span's id? Integers, and byte strings (a PHP span's id may
 * be a string: schemas/DYNAMIC_PROBES.md); not C strings, whose begin probes have always been
 * paired by thread.
 */
static int is_id_class(uint8_t kind)
{
	return is_int_class(kind) || TT_KIND_CLASS(kind) == TT_CLASS_BYTES;
}

static int rule_get(struct tt_span_builder *b, uint8_t family, const char *provider,
		    const char *name, size_t name_len, uint32_t *idx)
{
	struct rule *r;
	int err;

	for (size_t i = 0; i < b->rule_cnt; i++) {
		r = &b->rules[i];
		if (r->family == family && family != FAM_CUSTOM && !strcmp(r->provider, provider) &&
		    strlen(r->name) == name_len && !strncmp(r->name, name, name_len)) {
			*idx = (uint32_t)i;
			return 0;
		}
	}
	err = tt_grow((void **)&b->rules, &b->rule_cap, b->rule_cnt + 1, sizeof(*b->rules));
	if (err)
		return err;
	r = &b->rules[b->rule_cnt];
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->provider = strdup(provider);
	r->name = strndup(name, name_len);
	if (!r->provider || !r->name) {
		free(r->provider);
		free(r->name);
		return -ENOMEM;
	}
	*idx = (uint32_t)b->rule_cnt++;
	return 0;
}

static void rule_count(struct rule *r, int is_end, const struct tt_probe_desc *p)
{
	int noint = p->argc < 1 || !is_id_class(p->kinds[0]);

	if (is_end) {
		r->end_cnt++;
		r->end_noint += noint;
	} else {
		r->start_cnt++;
		r->start_noint += noint;
	}
}

static int pattern_matches(const char *pat, const struct tt_probe_desc *p)
{
	return pat && tt_probe_pattern_match(pat, p->provider, p->name);
}

static int key_index(const struct tt_span_rule *cr, const struct tt_probe_desc *p)
{
	uint64_t i;

	if (!strncmp(cr->key, "arg", 3) && !tt_parse_u64(cr->key + 3, 0, TT_MAX_ARGS - 1, &i))
		return i < p->argc ? (int)i : -1;
	for (int a = 0; a < p->argc; a++)
		if (p->arg_names[a] && !strcmp(p->arg_names[a], cr->key))
			return a;
	if (!strcmp(cr->key, "pid"))
		return KEY_PID;
	if (!strcmp(cr->key, "tid"))
		return KEY_TID;
	return -1;
}

static const struct {
	const char *suffix;
	uint8_t family, is_end;
} suffixes[] = {
	{"__begin", FAM_BEGIN_END, 0},   {"__end", FAM_BEGIN_END, 1},
	{"__start", FAM_START_DONE, 0},  {"__done", FAM_START_DONE, 1},
	{"__entry", FAM_ENTRY_RETURN, 0}, {"__return", FAM_ENTRY_RETURN, 1},
};

int tt_span_builder__add_probe(struct tt_span_builder *b, uint32_t id, const struct tt_probe_desc *p)
{
	struct role local[2 * 64 + 1];
	size_t n = 0, limit = TT_ARRAY_SIZE(local) - 1;
	const char *provider = p->provider ? p->provider : "";
	const char *name = p->name ? p->name : "";
	struct pinfo *pi;
	int err, user_named = 0, instant = 0;

	err = tt_grow((void **)&b->probes, &b->probe_cap, (size_t)id + 1, sizeof(*b->probes));
	if (err)
		return err;
	pi = &b->probes[id];
	if (pi->described)
		return 0;
	pi->described = 1;
	b->probes_described = 1;

	for (size_t i = 0; i < b->custom_cnt && n + 2 <= limit; i++) {
		const struct tt_span_rule *cr = &b->custom[i];
		uint32_t rule = (uint32_t)i; /* custom rules are the first ones */

		if (cr->shipped && user_named)
			break; /* shipped rules come last and yield to the user's */
		if (!cr->end) {
			instant |= pattern_matches(cr->start, p);
			continue;
		}
		for (int is_end = 0; is_end < 2; is_end++) {
			int kidx = -1;

			if (!pattern_matches(is_end ? cr->end : cr->start, p))
				continue;
			user_named |= !cr->shipped;
			if (cr->key) {
				kidx = key_index(cr, p);
				if (kidx == -1) {
					if (b->out)
						tt_warn(b->out, "%s %s: probe %s:%s has no argument '%s'; "
							"its events are not paired",
							cr->shipped ? "shipped span rule" : "--span", cr->name,
							provider, name, cr->key);
					continue;
				}
			}
			rule_count(&b->rules[rule], is_end, p);
			local[n++] = (struct role){rule, (uint8_t)is_end, (int8_t)kidx};
		}
	}
	if (n == 0 && !instant) {
		if (p->type == TT_PROBE_BUILTIN && !strcmp(provider, "tracetape")) {
			if (!strcmp(name, "process__exit"))
				pi->builtin = BUILTIN_EXIT;
			else if (!strcmp(name, "process__exec"))
				pi->builtin = BUILTIN_EXEC;
		} else if (p->type == TT_PROBE_GO_ENTRY || p->type == TT_PROBE_GO_RETURN) {
			uint32_t rule;

			err = rule_get(b, FAM_GO, provider, name, strlen(name), &rule);
			if (err)
				return err;
			rule_count(&b->rules[rule], p->type == TT_PROBE_GO_RETURN, p);
			local[n++] = (struct role){rule, p->type == TT_PROBE_GO_RETURN, -1};
		} else if (p->type != TT_PROBE_TRACEPOINT && p->type != TT_PROBE_BUILTIN) {
			size_t len = strlen(name);

			for (size_t i = 0; i < TT_ARRAY_SIZE(suffixes); i++) {
				size_t sl = strlen(suffixes[i].suffix);
				uint32_t rule;

				if (len <= sl || strcmp(name + len - sl, suffixes[i].suffix))
					continue;
				err = rule_get(b, suffixes[i].family, provider, name, len - sl, &rule);
				if (err)
					return err;
				rule_count(&b->rules[rule], suffixes[i].is_end, p);
				local[n++] = (struct role){rule, suffixes[i].is_end, -1};
				break;
			}
		}
	}
	if (n == 0)
		return 0;
	/* ends first, so that a probe ending one span and starting the next chains them */
	err = tt_grow((void **)&b->roles, &b->role_cap, b->role_cnt + n, sizeof(*b->roles));
	if (err)
		return err;
	pi->role_off = (uint32_t)b->role_cnt;
	for (int pass = 1; pass >= 0; pass--)
		for (size_t i = 0; i < n; i++)
			if (local[i].is_end == pass)
				b->roles[b->role_cnt++] = local[i];
	pi->role_cnt = (uint16_t)n;
	return 0;
}

/* ---- events ---- */

static uint8_t rule_pairing(const struct rule *r)
{
	switch (r->family) {
	case FAM_BEGIN_END:
		return r->start_noint == 0 && r->end_noint == 0 ? PAIR_ID : PAIR_THREAD;
	case FAM_GO:
		return PAIR_GO;
	case FAM_CUSTOM:
		return r->has_key ? PAIR_CUSTOM_KEY : PAIR_CUSTOM_STACK;
	default:
		return PAIR_THREAD;
	}
}

/*
 * Fill k for this event under rule r's pairing. Returns 0, or 1 when the event cannot be paired
 * (its key argument is missing).
 */
static int event_key(const struct rule *r, const struct role *ro, uint32_t capture,
		     const struct tt_event *ev, const uint8_t *kinds, uint32_t rule, struct key *k)
{
	memset(k, 0, sizeof(*k));
	k->capture = capture;
	k->pid = ev->pid;
	k->ktype = 1;
	switch (r->pairing) {
	case PAIR_ID:
		if (ev->argc < 1 || !is_id_class(kinds[0]))
			return 1;
		k->space = SPACE_KEY;
		k->rule = rule;
		if (TT_KIND_CLASS(kinds[0]) == TT_CLASS_BYTES) {
			k->ktype = 2;
			k->s = ev->strs[0].ptr;
			k->slen = ev->strs[0].len;
			break;
		}
		k->k = ev->args[0];
		break;
	case PAIR_CUSTOM_KEY: {
		int a = ro->key_idx;

		k->space = SPACE_KEY;
		k->rule = rule;
		if (a == KEY_PID || a == KEY_TID) {
			k->k = a == KEY_TID ? ev->tid : ev->pid; /* what spans.key shows */
			break;
		}
		if (a < 0 || a >= ev->argc)
			return 1;
		if (TT_KIND_IS_STR(kinds[a])) {
			k->ktype = 2;
			k->s = ev->strs[a].ptr;
			k->slen = ev->strs[a].len;
		} else {
			k->k = ev->args[a];
		}
		break;
	}
	case PAIR_GO:
		/* without a goroutine id, pair by thread */
		k->space = ev->goid ? SPACE_GO : SPACE_THREAD;
		k->k = ev->goid ? ev->goid : ev->tid;
		break;
	default:
		k->space = SPACE_THREAD;
		k->k = ev->tid;
		break;
	}
	key_hash(k);
	return 0;
}

static int span_start(struct tt_span_builder *b, uint32_t rule, const struct key *k, uint32_t capture,
		      uint32_t tape, uint64_t event_id, uint32_t probe_id, const struct tt_event *ev)
{
	uint32_t idx, top = node_find(b, k);
	struct node *n;
	int err;

	if (top != NIL && k->space == SPACE_KEY) {
		/* the same id started again while open: its end was never seen */
		tt_hidx_del(&b->index, k->hash, top - 1);
		err = emit_node(b, top, NULL, 0, 0, TT_SPAN_OPEN_ID_REUSED);
		node_release(b, top);
		if (err)
			return err;
		top = NIL;
	}
	err = node_alloc(b, &idx);
	if (err)
		return err;
	n = &b->nodes[idx - 1];
	if (k->ktype == 2 && n->key_cap < k->slen) {
		char *p = realloc(n->key_str, k->slen);

		if (!p) {
			node_release(b, idx);
			return -ENOMEM;
		}
		n->key_str = p;
		n->key_cap = k->slen;
	}
	/* the index entry first: a node in no stack and not in the index must not stay open */
	if (top != NIL)
		err = tt_hidx_move(&b->index, k->hash, top - 1, idx - 1);
	else
		err = tt_hidx_add(&b->index, k->hash, idx - 1);
	if (err) {
		node_release(b, idx);
		return err;
	}
	n->span_id = ++b->next_span_id;
	n->start_ts = ev->ts_ns;
	n->begin_event_id = event_id;
	n->begin_probe = probe_id;
	n->rule = rule;
	n->capture = capture;
	n->tape = tape;
	n->pid = ev->pid;
	n->tid = ev->tid;
	n->cpu = ev->cpu;
	n->goid = ev->goid;
	n->space = k->space;
	n->ktype = k->ktype;
	n->k = k->k;
	n->hash = k->hash;
	if (k->ktype == 2) {
		if (k->slen)
			memcpy(n->key_str, k->s, k->slen);
		n->key_len = k->slen;
	}
	if (top != NIL) {
		const struct node *t = &b->nodes[top - 1];

		n->below = top;
		n->depth = t->depth + 1;
		n->parent_id = t->span_id;
	}
	b->st.started++;
	return 0;
}

static int span_end(struct tt_span_builder *b, uint32_t rule, const struct key *k,
		    uint64_t event_id, uint32_t probe_id, const struct tt_event *ev)
{
	uint32_t idx = node_find(b, k), prev = NIL, below;
	int err;

	if (idx == NIL) {
		b->st.unmatched_ends++;
		return 0;
	}
	if (k->space == SPACE_KEY) {
		tt_hidx_del(&b->index, k->hash, idx - 1);
	} else {
		/* the innermost open span of this rule on the stack */
		for (; idx != NIL; prev = idx, idx = b->nodes[idx - 1].below)
			if (b->nodes[idx - 1].rule == rule)
				break;
		if (idx == NIL) {
			b->st.unmatched_ends++;
			return 0;
		}
		below = b->nodes[idx - 1].below;
		if (prev != NIL)
			b->nodes[prev - 1].below = below;
		else if (below != NIL)
			tt_hidx_move(&b->index, k->hash, idx - 1, below - 1);
		else
			tt_hidx_del(&b->index, k->hash, idx - 1);
	}
	err = emit_node(b, idx, ev, event_id, probe_id, NULL);
	node_release(b, idx);
	return err;
}

/* End every open span of process pid in capture, oldest first. */
static int process_gone(struct tt_span_builder *b, uint32_t capture, uint32_t pid, const char *why)
{
	uint32_t idx = b->open_head;
	int err = 0;

	while (idx != NIL && !err) {
		const struct node *n = &b->nodes[idx - 1];
		uint32_t next = n->next;

		if (n->capture == capture && n->pid == pid) {
			node_detach(b, idx);
			err = emit_node(b, idx, NULL, 0, 0, why);
			node_release(b, idx);
		}
		idx = next;
	}
	return err;
}

int tt_span_builder__event(struct tt_span_builder *b, uint32_t capture, uint32_t tape,
			   uint64_t event_id, uint32_t probe_id, const struct tt_event *ev,
			   const uint8_t *kinds)
{
	const struct pinfo *pi;
	int err;

	if (probe_id >= b->probe_cap)
		return 0;
	pi = &b->probes[probe_id];
	if (pi->builtin)
		return process_gone(b, capture, ev->pid,
				    pi->builtin == BUILTIN_EXIT ? TT_SPAN_OPEN_PROCESS_EXIT : TT_SPAN_OPEN_EXEC);
	for (uint32_t i = 0; i < pi->role_cnt; i++) {
		const struct role *ro = &b->roles[pi->role_off + i];
		struct rule *r = &b->rules[ro->rule];
		struct key k;

		if (!r->start_cnt || !r->end_cnt)
			continue; /* no partner probe (yet): nothing could ever pair */
		if (r->pairing == PAIR_UNSET)
			r->pairing = rule_pairing(r);
		if (event_key(r, ro, capture, ev, kinds, ro->rule, &k))
			continue;
		if (ro->is_end)
			err = span_end(b, ro->rule, &k, event_id, probe_id, ev);
		else
			err = span_start(b, ro->rule, &k, capture, tape, event_id, probe_id, ev);
		if (err)
			return err;
	}
	return 0;
}

int tt_span_builder__oldest_open(const struct tt_span_builder *b, tt_span_want_fn want,
				void *ctx, uint64_t *begin_event_id, uint64_t *start_ts)
{
	for (uint32_t idx = b->open_head; idx != NIL; idx = b->nodes[idx - 1].next) {
		const struct node *n = &b->nodes[idx - 1];
		const struct rule *r = &b->rules[n->rule];

		if (want && !want(ctx, r->provider ? r->provider : "", r->name))
			continue;
		*begin_event_id = n->begin_event_id;
		*start_ts = n->start_ts;
		return 1;
	}
	return 0;
}

int tt_span_builder__finish(struct tt_span_builder *b)
{
	int err = 0;

	while (b->open_head != NIL && !err) {
		uint32_t idx = b->open_head;

		node_detach(b, idx);
		err = emit_node(b, idx, NULL, 0, 0, TT_SPAN_OPEN_CAPTURE_END);
		node_release(b, idx);
	}
	return err;
}

void tt_span_builder__stats(const struct tt_span_builder *b, struct tt_span_stats *st)
{
	*st = b->st;
}

static char *dup_or_null(const char *s, int *fail)
{
	char *d = s ? strdup(s) : NULL;

	*fail |= s && !d;
	return d;
}

int tt_span_builder__add_rules(struct tt_span_builder *b, const struct tt_span_rule *rules,
			       size_t rule_cnt)
{
	struct tt_span_rule *nc;

	if (b->probes_described || b->rule_cnt != b->custom_cnt)
		return -EBUSY;
	if (rule_cnt > 64 || b->custom_cnt + rule_cnt > 64)
		return -E2BIG;
	if (!rule_cnt)
		return 0;
	nc = realloc(b->custom, (b->custom_cnt + rule_cnt) * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	b->custom = nc;
	if (tt_grow((void **)&b->rules, &b->rule_cap, b->rule_cnt + rule_cnt, sizeof(*b->rules)))
		return -ENOMEM;
	for (size_t i = 0; i < rule_cnt; i++) {
		struct tt_span_rule *c = &b->custom[b->custom_cnt];
		struct rule *r = &b->rules[b->rule_cnt];
		int fail = 0;

		memset(c, 0, sizeof(*c));
		memset(r, 0, sizeof(*r));
		b->custom_cnt++;
		b->rule_cnt++;
		c->name = dup_or_null(rules[i].name, &fail);
		c->start = dup_or_null(rules[i].start, &fail);
		c->end = dup_or_null(rules[i].end, &fail);
		c->key = dup_or_null(rules[i].key, &fail);
		c->provider = dup_or_null(rules[i].provider, &fail);
		c->shipped = rules[i].shipped;
		r->family = FAM_CUSTOM;
		r->has_key = rules[i].key != NULL;
		r->provider = strdup(rules[i].provider ? rules[i].provider : "");
		r->name = dup_or_null(rules[i].name ? rules[i].name : "", &fail);
		if (fail || !r->provider || !c->name || !c->start)
			return -ENOMEM; /* what was copied is freed with the builder */
	}
	return 0;
}

struct tt_span_builder *tt_span_builder__new(const struct tt_span_rule *rules, size_t rule_cnt,
					     tt_span_emit_fn emit, void *ctx,
					     const struct tt_out *out)
{
	struct tt_span_builder *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return NULL;
	b->emit = emit;
	b->ctx = ctx;
	b->out = out;
	err = tt_span_builder__add_rules(b, rules, rule_cnt);
	if (err)
		goto cleanup;
	return b;
cleanup:
	tt_span_builder__free(b);
	errno = -err;
	return NULL;
}

void tt_span_builder__free(struct tt_span_builder *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->custom_cnt; i++)
		tt_span_rule_free(&b->custom[i]);
	free(b->custom);
	for (size_t i = 0; i < b->rule_cnt; i++) {
		free(b->rules[i].provider);
		free(b->rules[i].name);
	}
	free(b->rules);
	free(b->roles);
	free(b->probes);
	for (uint32_t i = 0; i < b->node_cnt; i++)
		free(b->nodes[i].key_str);
	free(b->nodes);
	tt_hidx_free(&b->index);
	free(b);
}
