/* SPDX-License-Identifier: MIT */
/*
 * Tail capture (recorder/rec_keep.c): the --keep parser, and the holding and decision logic on
 * known event sequences: which events are written (a kept span's window, on its threads), which
 * are dropped, what overflow loses, and the counters.
 */
#include <stdlib.h>
#include <string.h>

#include "rec_keep.h"
#include "tape_keep.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_types.h"
#include "tt_util.h"

#define MS 1000000ULL

TT_TEST(rec_keep, parse_accepts_the_documented_forms)
{
	static const struct {
		const char *text, *pattern;
		uint64_t ns;
		int incl;
	} ok[] = {
		{"svc:request > 10ms", "svc:request", 10 * MS, 0},
		{"svc:request>10ms", "svc:request", 10 * MS, 0},
		{"  request >= 1.5s ", "request", 1500 * MS, 1},
		{"svc:req*|db:query > 250us", "svc:req*|db:query", 250000, 0},
		{"x > 0ns", "x", 0, 0},
	};
	struct tt_keep_rule r;
	char err[256];

	for (size_t i = 0; i < TT_ARRAY_SIZE(ok); i++) {
		assert_int_equal(tt_keep_rule_parse(ok[i].text, &r, err, sizeof(err)), 0);
		assert_string_equal(r.pattern, ok[i].pattern);
		assert_int_equal(r.min_ns, ok[i].ns);
		assert_int_equal(r.inclusive, ok[i].incl);
		tt_keep_rule_free(&r);
	}
}

TT_TEST(rec_keep, parse_refuses_bad_text_naming_it)
{
	static const char *const bad[] = {"svc:request", "> 10ms", "svc:request > ", "a b > 1ms",
					  "svc:request > 10", "svc:request > 10 parsecs",
					  "svc:request > -1ms", "svc:request < 10ms"};
	struct tt_keep_rule r;
	char err[256];

	for (size_t i = 0; i < TT_ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		assert_int_equal(tt_keep_rule_parse(bad[i], &r, err, sizeof(err)), -TT_E_USAGE);
		assert_non_null(strstr(err, "--keep"));
	}
}

/* ---- holding and deciding ---- */

struct written {
	uint64_t ts[64];
	uint32_t tid[64];
	char str[64][8];
	size_t n;
};

static int collect(void *ctx, const struct tt_event *ev)
{
	struct written *w = ctx;

	assert_true(w->n < 64);
	w->ts[w->n] = ev->ts_ns;
	w->tid[w->n] = ev->tid;
	w->str[w->n][0] = 0;
	if (ev->argc > 1 && ev->strs[1].ptr)
		memcpy(w->str[w->n], ev->strs[1].ptr, TT_MIN(ev->strs[1].len, 7u));
	w->n++;
	return 0;
}

enum { P_BEGIN, P_END, P_QUERY, P_OTHER };

static struct tt_keep *keeper(const char *rule_text, uint64_t buffer_sz)
{
	static const char *const names[] = {"request__begin", "request__end", "query", "thing"};
	struct tt_keep_rule rule;
	struct tt_keep *k;
	char err[128];

	assert_int_equal(tt_keep_rule_parse(rule_text, &rule, err, sizeof(err)), 0);
	k = tt_keep__new(&rule, 1, buffer_sz, NULL);
	assert_non_null(k);
	tt_keep_rule_free(&rule);
	for (uint32_t i = 0; i < 4; i++) {
		struct tt_probe_desc p = {.id = i, .type = TT_PROBE_USDT, .argc = 2,
					  .provider = i == P_OTHER ? "other" : "svc", .name = names[i],
					  .kinds = {TT_KIND_U64, TT_KIND_STR}};

		assert_int_equal(tt_keep__add_probe(k, &p), 0);
	}
	return k;
}

static void feed(struct tt_keep *k, const struct tt_keep_sink *sink, uint32_t probe,
		 uint64_t ts, uint32_t tid, uint64_t id, const char *s)
{
	struct tt_event ev = {.ts_ns = ts, .probe_id = probe, .pid = 100, .tid = tid, .argc = 2};
	char scratch[8];

	ev.args[0] = id;
	snprintf(scratch, sizeof(scratch), "%s", s);
	ev.strs[1].ptr = (const uint8_t *)scratch;
	ev.strs[1].len = (uint32_t)strlen(scratch);
	assert_int_equal(tt_keep__event(k, &ev, sink), 0);
	memset(scratch, 'X', sizeof(scratch)); /* the keeper copied it */
}

TT_TEST(rec_keep, a_slow_span_keeps_its_threads_window_and_nothing_else)
{
	struct written w = {0};
	struct tt_keep_sink sink = {collect, &w};
	struct tt_keep *k = keeper("svc:request > 10ms", 1 << 20);
	uint64_t seen, kept, dropped;
	struct tt_buf b = {0};
	struct tt_keep_counts c;

	feed(k, &sink, P_BEGIN, 0 * MS, 10, 1, "a0");   /* A: 5 ms, dropped */
	feed(k, &sink, P_QUERY, 1 * MS, 10, 0, "a1");
	feed(k, &sink, P_END, 5 * MS, 10, 1, "a2");
	assert_int_equal(w.n, 0);                         /* decided, nothing kept */
	feed(k, &sink, P_OTHER, 9 * MS, 12, 0, "x9");    /* before B's window */
	feed(k, &sink, P_BEGIN, 10 * MS, 10, 2, "b0");  /* B: 20 ms, ends on thread 12: kept */
	feed(k, &sink, P_BEGIN, 11 * MS, 11, 3, "c0");  /* C: 2 ms, inside B's time: dropped */
	feed(k, &sink, P_QUERY, 12 * MS, 10, 0, "b1");
	feed(k, &sink, P_QUERY, 12 * MS, 11, 0, "c1");  /* C's thread, not B's */
	feed(k, &sink, P_END, 13 * MS, 11, 3, "c2");
	assert_int_equal(w.n, 0);                         /* B is open: all held */
	feed(k, &sink, P_OTHER, 25 * MS, 12, 0, "b2");   /* B's end thread, in the window */
	feed(k, &sink, P_END, 30 * MS, 12, 2, "b3");
	assert_int_equal(w.n, 4);
	assert_string_equal(w.str[0], "b0");
	assert_string_equal(w.str[1], "b1");
	assert_string_equal(w.str[2], "b2");
	assert_string_equal(w.str[3], "b3");
	feed(k, &sink, P_QUERY, 31 * MS, 10, 0, "z");    /* after it: dropped at once */
	assert_int_equal(tt_keep__finish(k, &sink), 0);
	assert_int_equal(w.n, 4);
	tt_keep__totals(k, &seen, &kept, &dropped);
	assert_int_equal(seen, 3);
	assert_int_equal(kept, 1);
	assert_int_equal(dropped, 2);
	/* dropped per probe: begin A C, end A C, query a1 c1 z, other x9 */
	assert_int_equal(tt_keep__dropped(k, P_BEGIN), 2);
	assert_int_equal(tt_keep__dropped(k, P_END), 2);
	assert_int_equal(tt_keep__dropped(k, P_QUERY), 3);
	assert_int_equal(tt_keep__dropped(k, P_OTHER), 1);
	assert_int_equal(tt_keep__format_counts(k, &b, 1), 0);
	assert_int_equal(tt_keep_counts_parse((const char *)b.data, b.len, &c), 0);
	assert_string_equal(c.name, "request");
	assert_int_equal(c.seen, 3);
	assert_int_equal(c.hist[tt_keep_bucket(20 * MS)], 1);
	assert_int_equal(c.hist[tt_keep_bucket(5 * MS)], 1);
	assert_int_equal(c.hist[tt_keep_bucket(2 * MS)], 1);
	tt_keep_counts_free(&c);
	tt_keep__totals(k, &seen, &kept, &dropped); /* reset for the next tape */
	assert_int_equal(seen, 0);
	tt_buf_free(&b);
	tt_keep__free(k);
}

TT_TEST(rec_keep, a_span_open_at_the_end_is_kept_with_its_events)
{
	struct written w = {0};
	struct tt_keep_sink sink = {collect, &w};
	struct tt_keep *k = keeper("request > 1s", 1 << 20);
	uint64_t seen, kept, dropped;

	feed(k, &sink, P_BEGIN, 1 * MS, 10, 7, "h0");
	feed(k, &sink, P_QUERY, 2 * MS, 10, 0, "h1");
	feed(k, &sink, P_QUERY, 3 * MS, 11, 0, "o");
	assert_int_equal(w.n, 0);
	assert_int_equal(tt_keep__finish(k, &sink), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.str[1], "h1");
	tt_keep__totals(k, &seen, &kept, &dropped);
	assert_int_equal(seen, 1);
	assert_int_equal(kept, 1);
	assert_int_equal(tt_keep__dropped(k, P_QUERY), 1);
	tt_keep__free(k);
}

struct losses {
	uint64_t count[4];
};

static void on_lost(void *ctx, uint32_t probe_id, uint64_t count, uint64_t first, uint64_t last)
{
	struct losses *l = ctx;

	assert_true(probe_id < 4);
	assert_true(first <= last);
	l->count[probe_id] += count;
}

TT_TEST(rec_keep, overflow_loses_the_oldest_and_counts_every_one)
{
	struct written w = {0};
	struct tt_keep_sink sink = {collect, &w};
	struct tt_keep *k = keeper("svc:request > 0ns", 4096); /* a few events' worth */
	struct losses l = {{0}};
	uint64_t held, bytes, peak, fed = 0, seen, kept, dropped;

	/* a span that stays open holds everything behind it */
	feed(k, &sink, P_BEGIN, 0, 10, 1, "open");
	fed++;
	for (uint64_t i = 1; i <= 200; i++, fed++)
		feed(k, &sink, P_QUERY, i, 20, 0, "q");
	tt_keep__held(k, &held, &bytes, &peak);
	assert_true(bytes <= 4096);
	assert_true(held < 200);
	tt_keep__take_losses(k, on_lost, &l);
	assert_int_equal(l.count[P_BEGIN] + l.count[P_QUERY] + held, fed);
	assert_int_equal(tt_keep__finish(k, &sink), 0);
	/* the span is still counted, and kept; the held queries were on another thread */
	tt_keep__totals(k, &seen, &kept, &dropped);
	assert_int_equal(seen, 1);
	assert_int_equal(kept, 1);
	assert_int_equal(w.n + tt_keep__dropped(k, P_QUERY) + tt_keep__dropped(k, P_BEGIN) +
			 l.count[P_BEGIN] + l.count[P_QUERY], fed);
	tt_keep__take_losses(k, on_lost, &l); /* taken: none left */
	assert_int_equal(l.count[P_BEGIN] + l.count[P_QUERY] + held, fed);
	tt_keep__free(k);
}

TT_TEST(rec_keep, a_dropped_span_inside_a_kept_window_leaves_no_half)
{
	struct written w = {0};
	struct tt_keep_sink sink = {collect, &w};
	struct tt_keep *k = keeper("svc:request > 10ms", 1 << 20);

	/* thread 10 begins A (slow, ends on 20) and, meanwhile, B (fast, ends on 21) */
	feed(k, &sink, P_BEGIN, 0 * MS, 10, 1, "a0");
	feed(k, &sink, P_BEGIN, 1 * MS, 10, 2, "b0");
	feed(k, &sink, P_OTHER, 2 * MS, 10, 0, "a1");
	feed(k, &sink, P_END, 3 * MS, 21, 2, "b1");
	feed(k, &sink, P_END, 20 * MS, 20, 1, "a2");
	assert_int_equal(tt_keep__finish(k, &sink), 0);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.str[0], "a0");
	assert_string_equal(w.str[1], "a1");
	assert_string_equal(w.str[2], "a2");
	assert_int_equal(tt_keep__dropped(k, P_BEGIN), 1);
	assert_int_equal(tt_keep__dropped(k, P_END), 1);
	tt_keep__free(k);
}

/* One event of probe (argument 0: id, argument 1: a label) with a goroutine. */
static void feed_go(struct tt_keep *k, const struct tt_keep_sink *sink, uint32_t probe,
		    uint64_t ts, uint32_t tid, uint64_t goid, uint64_t id, const char *s)
{
	struct tt_event ev = {.ts_ns = ts, .probe_id = probe, .pid = 100, .tid = tid, .goid = goid,
			      .argc = 2};

	ev.args[0] = id;
	ev.strs[1].ptr = (const uint8_t *)s;
	ev.strs[1].len = (uint32_t)strlen(s);
	assert_int_equal(tt_keep__event(k, &ev, sink), 0);
}

TT_TEST(rec_keep, a_go_span_keeps_its_goroutines_on_any_thread)
{
	struct written w = {0};
	struct tt_keep_sink sink = {collect, &w};
	struct tt_keep *k = keeper("svc:request > 10ms", 1 << 20);

	/* begun by goroutine 7 on thread 10, ended by goroutine 9 on thread 12 */
	feed_go(k, &sink, P_BEGIN, 0 * MS, 10, 7, 1, "b");
	feed_go(k, &sink, P_QUERY, 1 * MS, 10, 8, 0, "g8");  /* another goroutine, same thread */
	feed_go(k, &sink, P_QUERY, 2 * MS, 11, 7, 0, "g7");  /* goroutine 7 moved to thread 11 */
	feed_go(k, &sink, P_QUERY, 3 * MS, 12, 9, 0, "g9");  /* the ending goroutine */
	feed_go(k, &sink, P_QUERY, 4 * MS, 12, 5, 0, "g5");  /* a bystander on the end thread */
	feed_go(k, &sink, P_END, 20 * MS, 12, 9, 1, "e");
	assert_int_equal(tt_keep__finish(k, &sink), 0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.str[0], "b");
	assert_string_equal(w.str[1], "g7");
	assert_string_equal(w.str[2], "g9");
	assert_string_equal(w.str[3], "e");
	assert_int_equal(tt_keep__dropped(k, P_QUERY), 2);
	tt_keep__free(k);
}

enum { P_SWITCH = 4, P_WAKEUP = 5, NEXT_PID_OFF = 56, PID_OFF = 24 };

/* A scheduler tracepoint's event: recorded by (pid, tid), about thread `about`. */
static void feed_sched(struct tt_keep *k, const struct tt_keep_sink *sink, uint32_t probe,
		       uint64_t ts, uint32_t pid, uint32_t tid, int32_t about)
{
	uint8_t raw[64] = {0};
	struct tt_event ev = {.ts_ns = ts, .probe_id = probe, .pid = pid, .tid = tid, .argc = 1};

	memcpy(raw + (probe == P_SWITCH ? NEXT_PID_OFF : PID_OFF), &about, sizeof(about));
	ev.strs[0].ptr = raw;
	ev.strs[0].len = probe == P_SWITCH ? 64 : 40;
	assert_int_equal(tt_keep__event(k, &ev, sink), 0);
}

TT_TEST(rec_keep, a_kept_span_has_its_threads_switch_ins_and_wakeups)
{
	struct written w = {0};
	struct tt_keep_sink sink = {collect, &w};
	struct tt_keep *k = keeper("svc:request > 10ms", 1 << 20);
	static const char *const names[] = {"sched_switch", "sched_wakeup"};

	for (uint32_t i = 0; i < 2; i++) {
		struct tt_probe_desc p = {.id = P_SWITCH + i, .type = TT_PROBE_TRACEPOINT, .argc = 1,
					  .provider = "sched", .name = names[i],
					  .kinds = {TT_KIND_BYTES}};

		assert_int_equal(tt_keep__add_probe(k, &p), 0);
	}
	assert_int_equal(tt_keep__thread_field(k, P_SWITCH, NEXT_PID_OFF), 0);
	assert_int_equal(tt_keep__thread_field(k, P_WAKEUP, PID_OFF), 0);
	/* A: thread 10 -> thread 12, 20 ms, kept; B: thread 11, 2 ms, dropped */
	feed(k, &sink, P_BEGIN, 0 * MS, 10, 1, "a0");
	feed_sched(k, &sink, P_SWITCH, 1 * MS, 100, 10, 0);   /* 10 switched out: its own */
	feed_sched(k, &sink, P_WAKEUP, 5 * MS, 300, 60, 10);   /* 10 woken by another process */
	feed_sched(k, &sink, P_SWITCH, 6 * MS, 0, 0, 10);      /* 10 switched in from idle */
	feed_sched(k, &sink, P_WAKEUP, 7 * MS, 300, 60, 11);   /* about another thread */
	feed_sched(k, &sink, P_SWITCH, 8 * MS, 0, 0, 12);      /* the end thread switched in */
	feed_sched(k, &sink, P_SWITCH, 9 * MS, 200, 50, -1);   /* no thread */
	feed(k, &sink, P_END, 20 * MS, 12, 1, "a1");
	feed_sched(k, &sink, P_SWITCH, 21 * MS, 0, 0, 10);     /* after the window */
	assert_int_equal(tt_keep__finish(k, &sink), 0);
	assert_int_equal(w.n, 6);
	assert_int_equal(w.ts[0], 0);
	assert_int_equal(w.ts[1], 1 * MS);
	assert_int_equal(w.ts[2], 5 * MS);
	assert_int_equal(w.tid[2], 60);
	assert_int_equal(w.ts[3], 6 * MS);
	assert_int_equal(w.ts[4], 8 * MS);
	assert_int_equal(w.ts[5], 20 * MS);
	assert_int_equal(tt_keep__dropped(k, P_SWITCH), 2);
	assert_int_equal(tt_keep__dropped(k, P_WAKEUP), 1);
	tt_keep__free(k);
}
