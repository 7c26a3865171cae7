/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the span rules the built-in provider files ship (schemas/spans_rules.c): the
 * rules their pragmas declare, and the span builder pairing with them (alternatives, key=pid,
 * the precedence of the user's rules, instants).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_providers.h"
#include "spans.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

TT_TEST(shipped_rules, builtin_span_rules)
{
	const struct tt_span_rule *r;
	size_t n, found = 0;

	assert_int_equal(tt_span_rules_shipped(&r, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].shipped);
		if (r[i].end && !strcmp(r[i].name, "transaction")) {
			assert_string_equal(r[i].provider, "postgresql");
			assert_string_equal(r[i].start, "postgresql:transaction__start");
			assert_string_equal(r[i].end, "postgresql:transaction__commit|"
						      "postgresql:transaction__abort");
			assert_string_equal(r[i].key, "pid");
			found |= 1;
		} else if (r[i].end && !strcmp(r[i].name, "gc")) {
			assert_string_equal(r[i].provider, "hotspot");
			found |= 2;
		} else if (r[i].end && !strcmp(r[i].name, "request")) {
			assert_string_equal(r[i].start, "php:request__startup");
			found |= 4;
		} else if (!r[i].end) {
			assert_string_equal(r[i].start, "python:function__entry|python:function__return");
			found |= 8;
		}
	}
	assert_int_equal(found, 15);
}

/* ---- the span builder with shipped rules ---- */

#define MAXS 32

struct got {
	struct tt_span s[MAXS];
	char name[MAXS][32], provider[MAXS][32];
	size_t n;
};

static int collect(void *ctx, const struct tt_span *span)
{
	struct got *g = ctx;

	assert_true(g->n < MAXS);
	g->s[g->n] = *span;
	snprintf(g->name[g->n], sizeof(g->name[0]), "%s", span->name);
	snprintf(g->provider[g->n], sizeof(g->provider[0]), "%s", span->provider);
	g->n++;
	return 0;
}

static void feed(struct tt_span_builder *b, uint32_t probe, uint64_t ts, uint32_t pid, uint32_t tid,
		 uint64_t arg0)
{
	static const uint8_t kinds[TT_MAX_ARGS] = {TT_KIND_U32};
	static uint64_t event_id;
	struct tt_event e = {.ts_ns = ts, .pid = pid, .tid = tid, .argc = 1};

	e.args[0] = arg0;
	assert_int_equal(tt_span_builder__event(b, 0, 1, ++event_id, probe, &e, kinds), 0);
}

static void describe(struct tt_span_builder *b, uint32_t id, const char *provider, const char *name)
{
	struct tt_probe_desc d = {.type = TT_PROBE_USDT, .provider = provider, .name = name, .argc = 1};

	d.kinds[0] = TT_KIND_U32;
	assert_int_equal(tt_span_builder__add_probe(b, id, &d), 0);
}

TT_TEST(shipped_rules, shipped_rules_pair_alternatives_by_process)
{
	struct got g = {0};
	struct tt_span_builder *b = tt_span_builder__new(NULL, 0, collect, &g, NULL);
	struct tt_span_stats st;

	assert_non_null(b);
	assert_int_equal(tt_span_builder__add_shipped_rules(b), 0);
	describe(b, 0, "postgresql", "transaction__start");
	describe(b, 1, "postgresql", "transaction__commit");
	describe(b, 2, "postgresql", "transaction__abort");
	describe(b, 3, "python", "function__return");
	describe(b, 4, "python", "function__entry");
	assert_int_equal(tt_span_builder__add_rules(b, NULL, 0), -EBUSY);
	/* two backends; the start's lxid differs from nothing: one transaction per process */
	feed(b, 0, 100, 10, 10, 1);
	feed(b, 0, 110, 20, 20, 7);
	feed(b, 3, 115, 30, 30, 0); /* an instant: no span, no unmatched end */
	feed(b, 2, 120, 20, 20, 7);
	feed(b, 1, 130, 10, 10, 1);
	feed(b, 0, 140, 10, 10, 2);
	feed(b, 0, 150, 10, 10, 3); /* the commit of 2 was lost: 2 ends as id_reused */
	feed(b, 1, 160, 10, 10, 3);
	feed(b, 4, 165, 30, 30, 0);
	assert_int_equal(tt_span_builder__finish(b), 0);
	tt_span_builder__stats(b, &st);
	assert_int_equal(st.unmatched_ends, 0);
	assert_int_equal(g.n, 4);
	/* in emission order: abort of pid 20, commit of pid 10, reused, commit */
	assert_string_equal(g.name[0], "transaction");
	assert_string_equal(g.provider[0], "postgresql");
	assert_string_equal(g.s[0].pairing, "custom");
	assert_int_equal(g.s[0].pid, 20);
	assert_int_equal(g.s[0].end_probe_id, 2);
	assert_int_equal(g.s[0].key_int, 20); /* key=pid */
	assert_int_equal(g.s[1].pid, 10);
	assert_int_equal(g.s[1].start_ts, 100);
	assert_int_equal(g.s[1].end_ts, 130);
	assert_string_equal(g.s[2].unclosed, TT_SPAN_OPEN_ID_REUSED);
	assert_int_equal(g.s[2].start_ts, 140);
	assert_int_equal(g.s[3].start_ts, 150);
	assert_int_equal(g.s[3].end_ts, 160);
	tt_span_builder__free(b);
}

TT_TEST(shipped_rules, user_rules_win_over_shipped_ones)
{
	struct tt_span_rule user = {.name = "tx", .start = "transaction__start",
				    .end = "transaction__commit", .key = "arg0"};
	struct got g = {0};
	struct tt_span_builder *b = tt_span_builder__new(&user, 1, collect, &g, NULL);

	assert_non_null(b);
	assert_int_equal(tt_span_builder__add_shipped_rules(b), 0);
	describe(b, 0, "postgresql", "transaction__start");
	describe(b, 1, "postgresql", "transaction__commit");
	describe(b, 2, "postgresql", "transaction__abort"); /* named by no user rule */
	feed(b, 0, 100, 10, 10, 5);
	feed(b, 1, 130, 10, 10, 5);
	feed(b, 2, 140, 10, 10, 6); /* the shipped rule never saw a start */
	assert_int_equal(tt_span_builder__finish(b), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.name[0], "tx");
	assert_string_equal(g.provider[0], "");
	assert_int_equal(g.s[0].key_int, 5);
	tt_span_builder__free(b);
}

TT_TEST(shipped_rules, key_tid_and_alternatives_in_user_rules)
{
	struct tt_span_rule user = {.name = "w", .start = "a:open", .end = "a:close|a:fail",
				    .key = "tid"};
	struct got g = {0};
	struct tt_span_builder *b = tt_span_builder__new(&user, 1, collect, &g, NULL);

	describe(b, 0, "a", "open");
	describe(b, 1, "a", "close");
	describe(b, 2, "a", "fail");
	feed(b, 0, 10, 1, 2, 0);
	feed(b, 0, 11, 1, 3, 0);
	feed(b, 2, 12, 1, 3, 0);
	feed(b, 1, 13, 1, 2, 0);
	assert_int_equal(tt_span_builder__finish(b), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.s[0].tid, 3);
	assert_int_equal(g.s[0].key_int, 3);
	assert_int_equal(g.s[0].end_probe_id, 2);
	assert_int_equal(g.s[1].tid, 2);
	assert_int_equal(g.s[1].end_ts, 13);
	tt_span_builder__free(b);
}

