/* SPDX-License-Identifier: MIT */
/*
 * The span builder on in-memory events: each case feeds a known sequence and compares every
 * emitted span (times, threads, depth, parent, key, unclosed reason) with what the sequence
 * implies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spans.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

#define MAXS 64

struct got {
	struct tt_span s[MAXS];
	char key[MAXS][32];
	char name[MAXS][32];
	size_t n;
};

static int collect(void *ctx, const struct tt_span *span)
{
	struct got *g = ctx;

	assert_true(g->n < MAXS);
	g->s[g->n] = *span;
	snprintf(g->name[g->n], sizeof(g->name[0]), "%s", span->name);
	g->s[g->n].name = g->name[g->n];
	if (span->key_type == 2) {
		snprintf(g->key[g->n], sizeof(g->key[0]), "%.*s", (int)span->key_len, span->key_str);
		g->s[g->n].key_str = g->key[g->n];
	}
	g->n++;
	return 0;
}

/* The emitted span with this id (spans come out in end order, tests look them up by id). */
static const struct tt_span *by_id(const struct got *g, uint64_t id)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->s[i].id == id)
			return &g->s[i];
	fail_msg("no span %llu", (unsigned long long)id);
	return NULL;
}

static struct tt_probe_desc probe(uint8_t type, const char *provider, const char *name, int argc,
				  uint8_t kind0)
{
	struct tt_probe_desc p = {.type = type, .provider = provider, .name = name, .argc = (uint8_t)argc};

	for (int i = 0; i < argc; i++)
		p.kinds[i] = i == 0 ? kind0 : TT_KIND_S64;
	return p;
}

struct feed {
	struct tt_span_builder *b;
	uint64_t next_event_id;
};

static void ev(struct feed *f, uint32_t probe_id, uint64_t ts, uint32_t pid, uint32_t tid,
	       uint64_t goid, int argc, uint64_t arg0, const uint8_t *kinds)
{
	struct tt_event e = {.ts_ns = ts, .pid = pid, .tid = tid, .cpu = tid % 4, .goid = goid,
			     .argc = (uint8_t)argc};

	e.args[0] = arg0;
	assert_int_equal(tt_span_builder__event(f->b, 0, 1, ++f->next_event_id, probe_id, &e, kinds), 0);
}

static const uint8_t k_u64[TT_MAX_ARGS] = {TT_KIND_U64};
static const uint8_t k_str[TT_MAX_ARGS] = {TT_KIND_STR};

TT_TEST(spans, thread_stack_nests_and_recurses)
{
	struct got g = {0};
	struct feed f = {tt_span_builder__new(NULL, 0, collect, &g, NULL), 0};
	struct tt_probe_desc fe = probe(TT_PROBE_USDT, "app", "fib__entry", 1, TT_KIND_S64);
	struct tt_probe_desc fr = probe(TT_PROBE_USDT, "app", "fib__return", 1, TT_KIND_S64);
	struct tt_probe_desc qs = probe(TT_PROBE_USDT, "app", "query__start", 0, 0);
	struct tt_probe_desc qd = probe(TT_PROBE_USDT, "app", "query__done", 0, 0);

	assert_non_null(f.b);
	assert_int_equal(tt_span_builder__add_probe(f.b, 0, &fe), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 1, &fr), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 2, &qs), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 3, &qd), 0);
	/* query { fib(2) { fib(1) {} } } on thread 11, and a flat fib on thread 12 meanwhile */
	ev(&f, 2, 100, 10, 11, 0, 0, 0, k_u64);   /* span 1: query, depth 0 */
	ev(&f, 0, 110, 10, 11, 0, 1, 2, k_u64);   /* span 2: fib(2), depth 1, parent 1 */
	ev(&f, 0, 115, 10, 12, 0, 1, 7, k_u64);   /* span 3: fib on 12, depth 0 */
	ev(&f, 0, 120, 10, 11, 0, 1, 1, k_u64);   /* span 4: fib(1), depth 2, parent 2 */
	ev(&f, 1, 130, 10, 11, 0, 1, 1, k_u64);   /* ends 4 */
	ev(&f, 1, 150, 10, 11, 0, 1, 2, k_u64);   /* ends 2 */
	ev(&f, 1, 160, 10, 12, 0, 1, 7, k_u64);   /* ends 3 */
	ev(&f, 3, 200, 10, 11, 0, 0, 0, k_u64);   /* ends 1 */
	assert_int_equal(tt_span_builder__finish(f.b), 0);
	assert_int_equal(g.n, 4);

	static const struct {
		uint64_t id, start, end, parent;
		uint32_t depth, tid;
		const char *name;
	} want[] = {
		{1, 100, 200, 0, 0, 11, "query"},
		{2, 110, 150, 1, 1, 11, "fib"},
		{3, 115, 160, 0, 0, 12, "fib"},
		{4, 120, 130, 2, 2, 11, "fib"},
	};
	for (size_t i = 0; i < TT_ARRAY_SIZE(want); i++) {
		const struct tt_span *s = by_id(&g, want[i].id);

		assert_true(s->closed);
		assert_null(s->unclosed);
		assert_int_equal(s->start_ts, want[i].start);
		assert_int_equal(s->end_ts, want[i].end);
		assert_int_equal(s->parent_id, want[i].parent);
		assert_int_equal(s->depth, want[i].depth);
		assert_int_equal(s->tid, want[i].tid);
		assert_int_equal(s->end_tid, want[i].tid);
		assert_string_equal(s->name, want[i].name);
		assert_string_equal(s->pairing, "thread");
		assert_int_equal(s->key_type, 0);
	}
	/* ends come out innermost first */
	assert_int_equal(g.s[0].id, 4);
	tt_span_builder__free(f.b);
}

TT_TEST(spans, begin_end_by_id_across_threads)
{
	struct got g = {0};
	struct feed f = {tt_span_builder__new(NULL, 0, collect, &g, NULL), 0};
	struct tt_probe_desc b = probe(TT_PROBE_USDT, "app", "req__begin", 1, TT_KIND_U64);
	struct tt_probe_desc e = probe(TT_PROBE_USDT, "app", "req__end", 1, TT_KIND_U64);
	struct tt_span_stats st;

	assert_int_equal(tt_span_builder__add_probe(f.b, 5, &b), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 6, &e), 0);
	ev(&f, 5, 1000, 10, 11, 0, 1, 42, k_u64);  /* span 1: id 42 begins on 11 */
	ev(&f, 5, 1100, 10, 12, 0, 1, 43, k_u64);  /* span 2: id 43 on 12 */
	ev(&f, 5, 1150, 20, 21, 0, 1, 42, k_u64);  /* span 3: id 42 of another process */
	ev(&f, 6, 1200, 10, 13, 0, 1, 43, k_u64);  /* ends 2 on thread 13 */
	ev(&f, 6, 1300, 10, 12, 0, 1, 42, k_u64);  /* ends 1 on thread 12 */
	ev(&f, 6, 1400, 10, 12, 0, 1, 99, k_u64);  /* no such span */
	ev(&f, 5, 1500, 20, 21, 0, 1, 42, k_u64);  /* span 4: 42 again in pid 20: span 3 id_reused */
	assert_int_equal(tt_span_builder__finish(f.b), 0);
	assert_int_equal(g.n, 4);

	const struct tt_span *s1 = by_id(&g, 1), *s2 = by_id(&g, 2), *s3 = by_id(&g, 3), *s4 = by_id(&g, 4);

	assert_true(s1->closed);
	assert_int_equal(s1->end_ts - s1->start_ts, 300);
	assert_int_equal(s1->tid, 11);
	assert_int_equal(s1->end_tid, 12);
	assert_int_equal(s1->key_type, 1);
	assert_int_equal(s1->key_int, 42);
	assert_string_equal(s1->pairing, "id");
	assert_int_equal(s1->depth, 0);
	assert_int_equal(s1->parent_id, 0);
	assert_int_equal(s1->begin_probe_id, 5);
	assert_int_equal(s1->end_probe_id, 6);
	assert_int_equal(s1->begin_event_id, 1);
	assert_int_equal(s1->end_event_id, 5);
	assert_int_equal(s2->end_ts, 1200);
	assert_int_equal(s2->end_tid, 13);
	assert_false(s3->closed);
	assert_string_equal(s3->unclosed, TT_SPAN_OPEN_ID_REUSED);
	assert_false(s4->closed);
	assert_string_equal(s4->unclosed, TT_SPAN_OPEN_CAPTURE_END);
	tt_span_builder__stats(f.b, &st);
	assert_int_equal(st.started, 4);
	assert_int_equal(st.closed, 2);
	assert_int_equal(st.unclosed, 2);
	assert_int_equal(st.unmatched_ends, 1);
	assert_int_equal(st.open_peak, 3);
	tt_span_builder__free(f.b);
}

TT_TEST(spans, begin_without_id_uses_the_thread)
{
	struct got g = {0};
	struct feed f = {tt_span_builder__new(NULL, 0, collect, &g, NULL), 0};
	struct tt_probe_desc b = probe(TT_PROBE_USDT, "app", "tx__begin", 1, TT_KIND_STR);
	struct tt_probe_desc e = probe(TT_PROBE_USDT, "app", "tx__end", 0, 0);

	assert_int_equal(tt_span_builder__add_probe(f.b, 0, &b), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 1, &e), 0);
	ev(&f, 0, 10, 1, 1, 0, 1, 0, k_str);
	ev(&f, 0, 20, 1, 1, 0, 1, 0, k_str);
	ev(&f, 1, 30, 1, 1, 0, 0, 0, k_str);
	ev(&f, 1, 50, 1, 1, 0, 0, 0, k_str);
	assert_int_equal(tt_span_builder__finish(f.b), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(by_id(&g, 2)->end_ts, 30);
	assert_int_equal(by_id(&g, 2)->parent_id, 1);
	assert_int_equal(by_id(&g, 1)->end_ts, 50);
	assert_string_equal(by_id(&g, 1)->pairing, "thread");
	tt_span_builder__free(f.b);
}

TT_TEST(spans, start_without_end_probe_makes_no_spans)
{
	struct got g = {0};
	struct feed f = {tt_span_builder__new(NULL, 0, collect, &g, NULL), 0};
	struct tt_probe_desc b = probe(TT_PROBE_USDT, "py", "function__entry", 0, 0);

	assert_int_equal(tt_span_builder__add_probe(f.b, 0, &b), 0);
	for (int i = 0; i < 1000; i++)
		ev(&f, 0, (uint64_t)i, 1, 1, 0, 0, 0, k_u64);
	assert_int_equal(tt_span_builder__finish(f.b), 0);
	assert_int_equal(g.n, 0);
	tt_span_builder__free(f.b);
}

TT_TEST(spans, process_exit_and_capture_end)
{
	struct got g = {0};
	struct feed f = {tt_span_builder__new(NULL, 0, collect, &g, NULL), 0};
	struct tt_probe_desc b = probe(TT_PROBE_USDT, "app", "op__start", 0, 0);
	struct tt_probe_desc e = probe(TT_PROBE_USDT, "app", "op__done", 0, 0);
	struct tt_probe_desc x = probe(TT_PROBE_BUILTIN, "tracetape", "process__exit", 2, TT_KIND_S32);

	assert_int_equal(tt_span_builder__add_probe(f.b, 0, &b), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 1, &e), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 2, &x), 0);
	ev(&f, 0, 10, 1, 1, 0, 0, 0, k_u64); /* 1: pid 1, open until the capture ends */
	ev(&f, 0, 20, 2, 2, 0, 0, 0, k_u64); /* 2: pid 2 */
	ev(&f, 0, 30, 2, 3, 0, 0, 0, k_u64); /* 3: pid 2, another thread */
	ev(&f, 0, 35, 2, 2, 0, 0, 0, k_u64); /* 4: pid 2, nested in 2 */
	ev(&f, 2, 40, 2, 2, 0, 0, 0, k_u64); /* pid 2 exits: 2, 3, 4 end, oldest first */
	ev(&f, 1, 50, 2, 2, 0, 0, 0, k_u64); /* nothing left to close */
	assert_int_equal(g.n, 3);
	assert_int_equal(g.s[0].id, 2);
	assert_int_equal(g.s[1].id, 3);
	assert_int_equal(g.s[2].id, 4);
	for (int i = 0; i < 3; i++)
		assert_string_equal(g.s[i].unclosed, TT_SPAN_OPEN_PROCESS_EXIT);
	assert_int_equal(tt_span_builder__finish(f.b), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.s[3].id, 1);
	assert_string_equal(g.s[3].unclosed, TT_SPAN_OPEN_CAPTURE_END);
	tt_span_builder__free(f.b);
}

TT_TEST(spans, go_functions_pair_by_goroutine)
{
	struct got g = {0};
	struct feed f = {tt_span_builder__new(NULL, 0, collect, &g, NULL), 0};
	struct tt_probe_desc b = probe(TT_PROBE_GO_ENTRY, "main", "main.handle", 0, 0);
	struct tt_probe_desc e = probe(TT_PROBE_GO_RETURN, "main", "main.handle", 0, 0);

	assert_int_equal(tt_span_builder__add_probe(f.b, 0, &b), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 1, &e), 0);
	/* goroutine 7 starts on thread 1 and returns on thread 2; goroutine 8 recurses */
	ev(&f, 0, 10, 1, 1, 7, 0, 0, k_u64);
	ev(&f, 0, 12, 1, 2, 8, 0, 0, k_u64);
	ev(&f, 0, 14, 1, 2, 8, 0, 0, k_u64);
	ev(&f, 1, 16, 1, 1, 8, 0, 0, k_u64);
	ev(&f, 1, 30, 1, 2, 7, 0, 0, k_u64);
	ev(&f, 1, 40, 1, 1, 8, 0, 0, k_u64);
	assert_int_equal(tt_span_builder__finish(f.b), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(by_id(&g, 1)->end_ts, 30);
	assert_int_equal(by_id(&g, 1)->goid, 7);
	assert_string_equal(by_id(&g, 1)->pairing, "goroutine");
	assert_int_equal(by_id(&g, 3)->end_ts, 16);
	assert_int_equal(by_id(&g, 3)->depth, 1);
	assert_int_equal(by_id(&g, 3)->parent_id, 2);
	assert_int_equal(by_id(&g, 2)->end_ts, 40);
	tt_span_builder__free(f.b);
}

/* A byte-string first argument (a PHP span's string id) pairs by (process, id) as well. */
TT_TEST(spans, begin_end_by_byte_string_id)
{
	static const uint8_t k_bytes[] = {TT_KIND_BYTES};
	struct got g = {0};
	struct feed f = {tt_span_builder__new(NULL, 0, collect, &g, NULL), 0};
	struct tt_probe_desc b = probe(TT_PROBE_USDT, "phpapp", "pay__begin", 1, TT_KIND_BYTES);
	struct tt_probe_desc e = probe(TT_PROBE_USDT, "phpapp", "pay__end", 1, TT_KIND_BYTES);
	static const struct {
		uint32_t probe;
		uint64_t ts;
		uint32_t tid;
		const char *id;
	} seq[] = {
		{0, 100, 1, "order-1"}, {0, 110, 2, "order-2"}, {1, 150, 3, "order-1"},
		{1, 190, 1, "order-2"}, {1, 200, 1, "order-3"},
	};

	assert_int_equal(tt_span_builder__add_probe(f.b, 0, &b), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 1, &e), 0);
	for (size_t i = 0; i < TT_ARRAY_SIZE(seq); i++) {
		struct tt_event ev1 = {.ts_ns = seq[i].ts, .pid = 9, .tid = seq[i].tid, .argc = 1};

		ev1.strs[0] = (struct tt_bytes){(const uint8_t *)seq[i].id, (uint32_t)strlen(seq[i].id), 0};
		assert_int_equal(tt_span_builder__event(f.b, 0, 1, i + 1, seq[i].probe, &ev1, k_bytes), 0);
	}
	assert_int_equal(tt_span_builder__finish(f.b), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(by_id(&g, 1)->pairing, "id");
	assert_string_equal(by_id(&g, 1)->key_str, "order-1");
	assert_int_equal(by_id(&g, 1)->end_ts - by_id(&g, 1)->start_ts, 50);
	assert_int_equal(by_id(&g, 1)->end_tid, 3);
	assert_string_equal(by_id(&g, 2)->key_str, "order-2");
	assert_int_equal(by_id(&g, 2)->end_ts - by_id(&g, 2)->start_ts, 80);
	tt_span_builder__free(f.b);
}

TT_TEST(spans, custom_rule_with_string_key)
{
	struct got g = {0};
	struct tt_span_rule rule;
	char err[128];
	struct feed f;
	struct tt_probe_desc s = probe(TT_PROBE_USDT, "db", "sent", 2, TT_KIND_STR);
	struct tt_probe_desc r = probe(TT_PROBE_USDT, "db", "received", 1, TT_KIND_STR);
	struct tt_event e = {.pid = 1, .tid = 1, .argc = 2};

	s.arg_names[0] = "query";
	r.arg_names[0] = "query";
	assert_int_equal(tt_span_rule_parse("rt=db:sent,received,key=query", &rule, err, sizeof(err)), 0);
	f.b = tt_span_builder__new(&rule, 1, collect, &g, NULL);
	f.next_event_id = 0;
	tt_span_rule_free(&rule);
	assert_non_null(f.b);
	assert_int_equal(tt_span_builder__add_probe(f.b, 0, &s), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 1, &r), 0);

	static const struct {
		uint32_t probe;
		uint64_t ts;
		const char *q;
	} seq[] = {
		{0, 100, "select 1"}, {0, 110, "select 2"}, {1, 150, "select 2"},
		{1, 190, "select 1"}, {1, 200, "select 3"},
	};
	for (size_t i = 0; i < TT_ARRAY_SIZE(seq); i++) {
		e.ts_ns = seq[i].ts;
		e.strs[0] = (struct tt_bytes){(const uint8_t *)seq[i].q, (uint32_t)strlen(seq[i].q), 0};
		assert_int_equal(tt_span_builder__event(f.b, 0, 1, i + 1, seq[i].probe, &e, k_str), 0);
	}
	assert_int_equal(tt_span_builder__finish(f.b), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(by_id(&g, 1)->end_ts - by_id(&g, 1)->start_ts, 90);
	assert_string_equal(by_id(&g, 1)->key_str, "select 1");
	assert_int_equal(by_id(&g, 2)->end_ts - by_id(&g, 2)->start_ts, 40);
	assert_string_equal(by_id(&g, 2)->name, "rt");
	assert_string_equal(by_id(&g, 2)->provider, "");
	assert_string_equal(by_id(&g, 2)->pairing, "custom");
	tt_span_builder__free(f.b);
}

TT_TEST(spans, rule_parse_rejects_bad_text)
{
	static const char *const bad[] = {
		"", "x", "=a,b", "x=a", "x=,b", "x=a,", "x=a,b,c", "x=a,b,key=", "x=a,b,key=k,z",
	};
	struct tt_span_rule r;
	char err[128];

	for (size_t i = 0; i < TT_ARRAY_SIZE(bad); i++)
		assert_int_equal(tt_span_rule_parse(bad[i], &r, err, sizeof(err)), -TT_E_USAGE);
	assert_int_equal(tt_span_rule_parse("x=a:b,c", &r, err, sizeof(err)), 0);
	assert_string_equal(r.name, "x");
	assert_string_equal(r.start, "a:b");
	assert_string_equal(r.end, "c");
	assert_null(r.key);
	tt_span_rule_free(&r);
}

TT_TEST(spans, open_state_is_bounded_by_what_is_open)
{
	struct got g = {0};
	struct feed f = {tt_span_builder__new(NULL, 0, collect, &g, NULL), 0};
	struct tt_probe_desc b = probe(TT_PROBE_USDT, "app", "r__begin", 1, TT_KIND_U64);
	struct tt_probe_desc e = probe(TT_PROBE_USDT, "app", "r__end", 1, TT_KIND_U64);
	struct tt_span_stats st;

	assert_int_equal(tt_span_builder__add_probe(f.b, 0, &b), 0);
	assert_int_equal(tt_span_builder__add_probe(f.b, 1, &e), 0);
	/* a million spans, at most three open at once: the peak says three */
	for (uint64_t i = 0; i < 1000000; i++) {
		ev(&f, 0, 10 * i, 1, 1, 0, 1, i, k_u64);
		if (i >= 2)
			ev(&f, 1, 10 * i + 5, 1, 2, 0, 1, i - 2, k_u64);
		g.n = 0; /* discard */
	}
	tt_span_builder__stats(f.b, &st);
	assert_int_equal(st.open_peak, 3);
	assert_int_equal(st.closed, 999998);
	tt_span_builder__free(f.b);
}
