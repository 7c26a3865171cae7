/* SPDX-License-Identifier: MIT */
/*
 * Tail capture: events held in arrival order, paired into spans by the span builder, written
 * for the spans that are kept (see rec_keep.h for the rules and the policy).
 *
 * The held events are a queue indexed by arrival number (seq, from 1): the span builder gets seq
 * as the event id, so a span it emits names the first and last events of its window by seq, and
 * marking the kept span's events is a walk over that stretch of the queue. The head of the queue
 * is decided when no watched span that began at or before it is still open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rec_keep.h"
#include "spans.h"
#include "tape_keep.h"
#include "tt_error.h"
#include "tt_util.h"

struct held {
	struct tt_event ev;
	uint8_t *blob;  /* the strings (owned) */
	uint32_t bytes; /* what this event costs the buffer */
	uint8_t keep;   /* claimed by a kept span */
	uint8_t veto;   /* the begin or end of a dropped span: never written */
};

struct pinfo {
	uint8_t described;
	uint8_t has_thread;  /* a tracepoint about another thread too (tt_keep__thread_field()) */
	uint16_t thread_off; /* where its 4-byte thread id lies in the raw record */
	uint8_t kinds[TT_MAX_ARGS];
	uint64_t dropped;
	uint64_t lost, lost_first_ts, lost_last_ts; /* since the last take_losses() */
};

struct tt_keep {
	struct tt_keep_rule *rules;
	size_t rule_cnt;
	uint64_t buffer_sz;
	struct tt_span_builder *b;
	struct pinfo *probes;
	size_t probe_cap;
	uint32_t probe_cnt;
	struct held *q; /* [cap], cap a power of two; seq lives at q[seq & (cap - 1)] */
	size_t cap;
	uint64_t head_seq, next_seq; /* held: [head_seq, next_seq) */
	uint64_t held_bytes, peak_bytes;
	struct tt_keep_counts *names;
	size_t name_cnt, name_cap;
	const struct tt_keep_sink *sink; /* during a call */
	int sink_err;
};

/* ---- rules ---- */

int tt_keep_rule_parse(const char *text, struct tt_keep_rule *rule, char *err, size_t err_sz)
{
	const char *gt = strchr(text, '>'), *p, *e;
	char dur[64];
	size_t plen;
	int rc;

	memset(rule, 0, sizeof(*rule));
	if (!gt) {
		tt_msgf(err, err_sz, "--keep '%s': expected PROVIDER:SPAN > DURATION (e.g. "
			"'svc:request > 10ms')", text);
		return -TT_E_USAGE;
	}
	for (p = text; *p == ' '; p++)
		;
	for (e = gt; e > p && e[-1] == ' '; e--)
		;
	plen = (size_t)(e - p);
	if (!plen || memchr(p, ' ', plen)) {
		tt_msgf(err, err_sz, "--keep '%s': the span before '>' must be one "
			"[PROVIDER:]NAME pattern", text);
		return -TT_E_USAGE;
	}
	p = gt + 1;
	if (*p == '=') {
		rule->inclusive = 1;
		p++;
	}
	while (*p == ' ')
		p++;
	for (e = p + strlen(p); e > p && e[-1] == ' '; e--)
		;
	if ((size_t)(e - p) >= sizeof(dur)) {
		tt_msgf(err, err_sz, "--keep '%s': the duration is too long", text);
		return -TT_E_USAGE;
	}
	memcpy(dur, p, (size_t)(e - p));
	dur[e - p] = 0;
	if (!dur[0] || strspn(dur, "0123456789.") == strlen(dur) ||
	    tt_parse_duration(dur, &rule->min_ns)) {
		tt_msgf(err, err_sz, "--keep '%s': '%s' is not a duration with a unit "
			"(ns, us, ms, s, e.g. 10ms)", text, dur);
		return -TT_E_USAGE;
	}
	rule->pattern = strndup(text + strspn(text, " "), plen);
	rc = rule->pattern ? 0 : -ENOMEM;
	return rc;
}

void tt_keep_rule_free(struct tt_keep_rule *rule)
{
	free(rule->pattern);
	rule->pattern = NULL;
}

static int watched(void *ctx, const char *provider, const char *name)
{
	const struct tt_keep *k = ctx;

	for (size_t i = 0; i < k->rule_cnt; i++)
		if (tt_probe_pattern_match(k->rules[i].pattern, provider, name))
			return 1;
	return 0;
}

/* ---- the queue ---- */

static struct held *slot(const struct tt_keep *k, uint64_t seq)
{
	return &k->q[seq & (k->cap - 1)];
}

static int queue_grow(struct tt_keep *k)
{
	size_t cap = k->cap ? k->cap * 2 : 1024;
	struct held *q = calloc(cap, sizeof(*q));

	if (!q)
		return -ENOMEM;
	for (uint64_t s = k->head_seq; s < k->next_seq; s++)
		q[s & (cap - 1)] = *slot(k, s);
	free(k->q);
	k->q = q;
	k->cap = cap;
	return 0;
}

static int push(struct tt_keep *k, const struct tt_event *ev)
{
	struct held *h;
	size_t blob_len = 0, off = 0;
	int err;

	if (k->next_seq - k->head_seq == k->cap && (err = queue_grow(k)))
		return err;
	h = slot(k, k->next_seq);
	memset(h, 0, sizeof(*h));
	h->ev = *ev;
	for (unsigned i = 0; i < ev->argc && i < TT_MAX_ARGS; i++)
		if (ev->strs[i].ptr)
			blob_len += ev->strs[i].len;
	if (blob_len) {
		h->blob = malloc(blob_len);
		if (!h->blob)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < ev->argc && i < TT_MAX_ARGS; i++) {
		if (!ev->strs[i].ptr)
			continue;
		if (ev->strs[i].len) {
			memcpy(h->blob + off, ev->strs[i].ptr, ev->strs[i].len);
			h->ev.strs[i].ptr = h->blob + off;
			off += ev->strs[i].len;
		} else {
			h->ev.strs[i].ptr = (const uint8_t *)"";
		}
	}
	h->bytes = (uint32_t)(sizeof(*h) + blob_len);
	k->held_bytes += h->bytes;
	if (k->held_bytes > k->peak_bytes)
		k->peak_bytes = k->held_bytes;
	k->next_seq++;
	return 0;
}

static struct pinfo *pinfo_of(struct tt_keep *k, uint32_t probe_id)
{
	if (probe_id >= k->probe_cap &&
	    tt_grow((void **)&k->probes, &k->probe_cap, (size_t)probe_id + 1, sizeof(*k->probes)))
		return NULL;
	if (probe_id >= k->probe_cnt)
		k->probe_cnt = probe_id + 1;
	return &k->probes[probe_id];
}

/* The head leaves the queue: written when kept, else dropped (or lost: overflow). */
static int pop(struct tt_keep *k, int overflow)
{
	struct held *h = slot(k, k->head_seq);
	struct pinfo *p = pinfo_of(k, h->ev.probe_id);
	int err = 0;

	if (h->keep && !h->veto)
		err = k->sink->write(k->sink->ctx, &h->ev);
	else if (p && overflow) {
		if (!p->lost)
			p->lost_first_ts = h->ev.ts_ns;
		p->lost++;
		p->lost_last_ts = TT_MAX(p->lost_last_ts, h->ev.ts_ns);
	} else if (p) {
		p->dropped++;
	}
	k->held_bytes -= h->bytes;
	free(h->blob);
	h->blob = NULL;
	k->head_seq++;
	return err;
}

/* Decide every held event before bound (a seq), then make room within the buffer. */
static int release(struct tt_keep *k, uint64_t bound)
{
	int err = 0;

	while (!err && k->head_seq < bound && k->head_seq < k->next_seq)
		err = pop(k, 0);
	while (!err && k->held_bytes > k->buffer_sz && k->head_seq < k->next_seq)
		err = pop(k, 1);
	return err;
}

/* ---- spans ---- */

static struct tt_keep_counts *counts_of(struct tt_keep *k, const char *provider, const char *name)
{
	struct tt_keep_counts *c;

	for (size_t i = 0; i < k->name_cnt; i++)
		if (!strcmp(k->names[i].provider, provider) && !strcmp(k->names[i].name, name))
			return &k->names[i];
	if (tt_grow((void **)&k->names, &k->name_cap, k->name_cnt + 1, sizeof(*k->names)))
		return NULL;
	c = &k->names[k->name_cnt];
	c->provider = strdup(provider);
	c->name = strdup(name);
	c->hist = calloc(TT_KEEP_BUCKETS, sizeof(*c->hist));
	if (!c->provider || !c->name || !c->hist) {
		free(c->provider);
		free(c->name);
		free(c->hist);
		memset(c, 0, sizeof(*c));
		return NULL;
	}
	k->name_cnt++;
	return c;
}

/*
 * The thread a scheduler event is about besides the one that recorded it: sched_switch's
 * next_pid (the thread switched in), sched_wakeup's pid (the thread woken). Returns 0 when the
 * event names none.
 */
static uint32_t about_tid(const struct tt_keep *k, const struct tt_event *ev)
{
	const struct pinfo *p = ev->probe_id < k->probe_cnt ? &k->probes[ev->probe_id] : NULL;
	int32_t tid;

	if (!p || !p->has_thread || !ev->argc || !ev->strs[0].ptr ||
	    ev->strs[0].len < (uint32_t)p->thread_off + sizeof(tid))
		return 0;
	memcpy(&tid, ev->strs[0].ptr + p->thread_off, sizeof(tid));
	return tid > 0 ? (uint32_t)tid : 0;
}

/*
 * Does held event h belong to span sp's window? Its process's events on the span's threads (or,
 * for a Go span, its goroutines), and the scheduler's events about those threads whoever
 * recorded them: their switch-ins and the wakeups they received.
 */
static int in_window(const struct tt_keep *k, const struct held *h, const struct tt_span *sp)
{
	const struct tt_event *ev = &h->ev;
	uint32_t about;

	if (ev->ts_ns < sp->start_ts || (sp->closed && ev->ts_ns > sp->end_ts))
		return 0;
	about = about_tid(k, ev);
	if (about && (about == sp->tid || (sp->closed && about == sp->end_tid)))
		return 1;
	if (ev->pid != sp->pid)
		return 0;
	if (sp->goid && ev->goid) /* a goroutine runs on any thread, and threads run others */
		return ev->goid == sp->goid || (sp->closed && ev->goid == sp->end_goid);
	return ev->tid == sp->tid || (sp->closed && ev->tid == sp->end_tid);
}

static int on_span(void *ctx, const struct tt_span *sp)
{
	struct tt_keep *k = ctx;
	struct tt_keep_counts *c;
	uint64_t dur = sp->closed && sp->end_ts > sp->start_ts ? sp->end_ts - sp->start_ts : 0;
	uint64_t from, to;
	int keep = !sp->closed, match = 0;

	for (size_t i = 0; i < k->rule_cnt; i++) {
		const struct tt_keep_rule *r = &k->rules[i];

		if (!tt_probe_pattern_match(r->pattern, sp->provider, sp->name))
			continue;
		match = 1;
		if (dur > r->min_ns || (r->inclusive && dur == r->min_ns))
			keep = 1;
	}
	if (!match)
		return 0;
	c = counts_of(k, sp->provider, sp->name);
	if (!c)
		return -ENOMEM;
	c->seen++;
	if (sp->closed)
		c->hist[tt_keep_bucket(dur)]++;
	else
		c->unclosed++;
	if (!keep) {
		/* its own ends stay out even inside a kept span's window: no half span in the tape */
		c->dropped++;
		if (sp->begin_event_id >= k->head_seq && sp->begin_event_id < k->next_seq)
			slot(k, sp->begin_event_id)->veto = 1;
		if (sp->closed && sp->end_event_id >= k->head_seq && sp->end_event_id < k->next_seq)
			slot(k, sp->end_event_id)->veto = 1;
		return 0;
	}
	c->kept++;
	from = TT_MAX(sp->begin_event_id, k->head_seq);
	to = sp->closed ? sp->end_event_id + 1 : k->next_seq;
	for (uint64_t s = from; s < to && s < k->next_seq; s++) {
		struct held *h = slot(k, s);

		/* its own begin and end whatever their threads and goroutines */
		if (!h->keep && (s == sp->begin_event_id || (sp->closed && s == sp->end_event_id) ||
				 in_window(k, h, sp)))
			h->keep = 1;
	}
	return 0;
}

/* ---- the API ---- */

struct tt_keep *tt_keep__new(const struct tt_keep_rule *rules, size_t rule_cnt, uint64_t buffer_sz,
			     const struct tt_out *out)
{
	struct tt_keep *k = calloc(1, sizeof(*k));
	int err = -ENOMEM;

	if (!k)
		return NULL;
	k->head_seq = k->next_seq = 1;
	k->buffer_sz = buffer_sz;
	k->rules = calloc(rule_cnt + 1, sizeof(*k->rules));
	if (!k->rules)
		goto fail;
	for (; k->rule_cnt < rule_cnt; k->rule_cnt++) {
		k->rules[k->rule_cnt] = rules[k->rule_cnt];
		k->rules[k->rule_cnt].pattern = strdup(rules[k->rule_cnt].pattern);
		if (!k->rules[k->rule_cnt].pattern)
			goto fail;
	}
	k->b = tt_span_builder__new(NULL, 0, on_span, k, out);
	if (!k->b) {
		err = -errno;
		goto fail;
	}
	err = tt_span_builder__add_shipped_rules(k->b);
	if (err)
		goto fail;
	return k;
fail:
	tt_keep__free(k);
	errno = -err;
	return NULL;
}

int tt_keep__add_probe(struct tt_keep *k, const struct tt_probe_desc *p)
{
	struct pinfo *pi = pinfo_of(k, p->id);

	if (!pi)
		return -ENOMEM;
	pi->described = 1;
	memcpy(pi->kinds, p->kinds, sizeof(pi->kinds));
	return tt_span_builder__add_probe(k->b, p->id, p);
}

int tt_keep__thread_field(struct tt_keep *k, uint32_t probe_id, uint16_t offset)
{
	struct pinfo *pi = pinfo_of(k, probe_id);

	if (!pi)
		return -ENOMEM;
	pi->has_thread = 1;
	pi->thread_off = offset;
	return 0;
}

int tt_keep__event(struct tt_keep *k, const struct tt_event *ev, const struct tt_keep_sink *sink)
{
	uint64_t seq = k->next_seq, bound, start_ts;
	const struct pinfo *p = ev->probe_id < k->probe_cnt ? &k->probes[ev->probe_id] : NULL;
	int err;

	k->sink = sink;
	err = push(k, ev);
	if (err)
		return err;
	if (p && p->described) {
		err = tt_span_builder__event(k->b, 0, 0, seq, ev->probe_id, &slot(k, seq)->ev,
					     p->kinds);
		if (err)
			return err;
	}
	if (!tt_span_builder__oldest_open(k->b, watched, k, &bound, &start_ts))
		bound = k->next_seq;
	return release(k, bound);
}

int tt_keep__finish(struct tt_keep *k, const struct tt_keep_sink *sink)
{
	int err;

	k->sink = sink;
	err = tt_span_builder__finish(k->b);
	while (!err && k->head_seq < k->next_seq)
		err = pop(k, 0);
	return err;
}

uint64_t tt_keep__dropped(const struct tt_keep *k, uint32_t probe_id)
{
	return probe_id < k->probe_cnt ? k->probes[probe_id].dropped : 0;
}

uint32_t tt_keep__probe_cnt(const struct tt_keep *k)
{
	return k->probe_cnt;
}

void tt_keep__take_losses(struct tt_keep *k,
			  void (*lost)(void *ctx, uint32_t probe_id, uint64_t count,
				       uint64_t first_ts, uint64_t last_ts),
			  void *ctx)
{
	for (uint32_t i = 0; i < k->probe_cnt; i++) {
		struct pinfo *p = &k->probes[i];

		if (!p->lost)
			continue;
		lost(ctx, i, p->lost, p->lost_first_ts, p->lost_last_ts);
		p->lost = p->lost_first_ts = p->lost_last_ts = 0;
	}
}

void tt_keep__held(const struct tt_keep *k, uint64_t *events, uint64_t *bytes, uint64_t *peak)
{
	*events = k->next_seq - k->head_seq;
	*bytes = k->held_bytes;
	*peak = k->peak_bytes;
}

int tt_keep__format_counts(struct tt_keep *k, struct tt_buf *b, int reset)
{
	int err = 0;

	for (size_t i = 0; !err && i < k->name_cnt; i++) {
		struct tt_keep_counts *c = &k->names[i];

		if (i)
			err = tt_buf_printf(b, "\n");
		if (!err)
			err = tt_keep_counts_format(c, b);
		if (!err && reset) {
			c->seen = c->kept = c->dropped = c->unclosed = 0;
			memset(c->hist, 0, TT_KEEP_BUCKETS * sizeof(*c->hist));
		}
	}
	return err;
}

void tt_keep__totals(const struct tt_keep *k, uint64_t *seen, uint64_t *kept, uint64_t *dropped)
{
	*seen = *kept = *dropped = 0;
	for (size_t i = 0; i < k->name_cnt; i++) {
		*seen += k->names[i].seen;
		*kept += k->names[i].kept;
		*dropped += k->names[i].dropped;
	}
}

void tt_keep__free(struct tt_keep *k)
{
	if (!k)
		return;
	tt_span_builder__free(k->b);
	for (uint64_t s = k->head_seq; k->q && s < k->next_seq; s++)
		free(slot(k, s)->blob);
	free(k->q);
	for (size_t i = 0; i < k->rule_cnt; i++)
		tt_keep_rule_free(&k->rules[i]);
	free(k->rules);
	for (size_t i = 0; i < k->name_cnt; i++) {
		free(k->names[i].provider);
		free(k->names[i].name);
		free(k->names[i].hist);
	}
	free(k->names);
	free(k->probes);
	free(k);
}
