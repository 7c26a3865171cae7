/* SPDX-License-Identifier: MIT */
/*
 * Tail capture (`record --keep 'PROVIDER:SPAN > 10ms'`): events are held in memory, paired into
 * spans as they arrive by `load`'s span builder (schemas/spans.h: begin/end by id across
 * threads, start/done and entry/return on the thread's stack, Go functions by goroutine, the
 * shipped provider-file rules), and written only when a span that a rule watches ends and is
 * kept. What is written for a kept span: its begin and end, and every held event inside its
 * window [start, end] that its process recorded on its threads (the thread that began it and
 * the one that ended it) or, for a Go span, on its goroutines (the one that began it and the
 * one that ended it, on any thread), so its inner probes, syscalls and scheduler events of
 * those threads come with it; and the scheduler events about its threads that other threads or
 * processes recorded in the window (tt_keep__thread_field(): their switch-ins, the wakeups they
 * received). Every other event is dropped: an event is decided once
 * no watched span that began before it is still open (its arrival order: the ring's
 * reservation order, which keeps each thread's order), and written if a kept span's window
 * claimed it, else dropped and counted per probe (tt_keep__dropped()). The begin and end
 * events of a dropped span stay out even inside a kept span's window (a kept request's thread
 * may begin other requests meanwhile): the tape holds no half of a dropped span.
 *
 * Which spans are kept: a closed span whose duration is over the rule's threshold (`>`) or at
 * least it (`>=`), and every span that ended without its end event (id reused, process exit or
 * exec, or still open when the recording ended): a request that never finished is the one a
 * post-mortem wants. A span matched by several rules counts once, under its own name.
 *
 * Memory: the held events (their records and strings) are bounded by buffer_sz. When it is
 * exceeded, the oldest held event leaves the buffer: written if a kept span already claimed it,
 * else lost, counted as a loss of its probe (tt_keep__take_losses(): the recording writes them
 * as loss records, so recorded + lost = fired holds and load flags spans whose window they
 * overlap). The span counters (per name: seen, kept, dropped, unclosed, and a histogram of the
 * durations of every closed span) stay exact whatever was lost.
 */
#ifndef TT_REC_KEEP_H
#define TT_REC_KEEP_H

#include <stddef.h>
#include <stdint.h>

#include "tt_event.h"
#include "tt_out.h"

struct tt_buf; /* tt_util.h */

/*
 * One --keep rule: "PATTERN > DURATION" (or >=). PATTERN is a probe pattern as span rules take
 * it (tt_probe_pattern_match(): "[PROVIDER:]SPAN" with fnmatch globs, alternatives joined by '|'),
 * matched against the span's provider and name.
 */
struct tt_keep_rule {
	char *pattern;  /* (owned) */
	uint64_t min_ns;
	int inclusive;  /* >=: a span of exactly min_ns is kept */
};

/*
 * Parse text into rule. DURATION is a number (decimals allowed) with a unit: ns, us, ms or s.
 * Returns 0, or -TT_E_USAGE with what is wrong in err. Free with tt_keep_rule_free().
 */
int tt_keep_rule_parse(const char *text, struct tt_keep_rule *rule, char *err, size_t err_sz);
void tt_keep_rule_free(struct tt_keep_rule *rule);

/* Where decided events go. */
struct tt_keep_sink {
	int (*write)(void *ctx, const struct tt_event *ev); /* a kept event: nonzero stops */
	void *ctx;
};

struct tt_keep;

/*
 * A tail capture with these rules (copied) holding at most buffer_sz bytes of events. out
 * (borrowed, may be NULL) gets the span builder's warnings. Returns NULL with errno set.
 */
struct tt_keep *tt_keep__new(const struct tt_keep_rule *rules, size_t rule_cnt, uint64_t buffer_sz,
			     const struct tt_out *out);

/* Describe probe p->id (dense from 0, each once) before its first event. 0 or -ENOMEM. */
int tt_keep__add_probe(struct tt_keep *k, const struct tt_probe_desc *p);

/*
 * Events of probe_id (a tracepoint: one byte-string argument, its raw record) are also about
 * the thread whose 4-byte id lies at offset in that record (sched_switch's next_pid,
 * sched_wakeup's pid): a kept span claims them in its window when that is one of its threads,
 * whoever recorded them. Held like every event: no memory of its own. 0 or -ENOMEM.
 */
int tt_keep__thread_field(struct tt_keep *k, uint32_t probe_id, uint16_t offset);

/*
 * One event, in arrival order (ev and its strings are copied). Writes through sink the events
 * that are decided kept. Returns 0, a negative errno, or what sink->write returned.
 */
int tt_keep__event(struct tt_keep *k, const struct tt_event *ev, const struct tt_keep_sink *sink);

/*
 * The recording ends: every span still open ends (kept, as unclosed), and every held event is
 * decided. Returns like tt_keep__event().
 */
int tt_keep__finish(struct tt_keep *k, const struct tt_keep_sink *sink);

/* Events of probe_id dropped so far by decision (not lost). */
uint64_t tt_keep__dropped(const struct tt_keep *k, uint32_t probe_id);
/* One more than the largest probe id described. */
uint32_t tt_keep__probe_cnt(const struct tt_keep *k);

/*
 * The overflow losses since the last call: lost(ctx, probe_id, count, first_ts, last_ts) once
 * per probe that lost events, then they are forgotten.
 */
void tt_keep__take_losses(struct tt_keep *k,
			  void (*lost)(void *ctx, uint32_t probe_id, uint64_t count,
				       uint64_t first_ts, uint64_t last_ts),
			  void *ctx);

/* Held now: events and bytes; and the most bytes ever held. */
void tt_keep__held(const struct tt_keep *k, uint64_t *events, uint64_t *bytes, uint64_t *peak);

/*
 * Append the span counters (tape_keep.h's "keep_spans" lines, '\n'-separated, one per span name
 * seen) to b, then start counting anew when reset (a new tape). Returns 0 or -ENOMEM.
 */
int tt_keep__format_counts(struct tt_keep *k, struct tt_buf *b, int reset);

/* Totals over every span name since the last reset. */
void tt_keep__totals(const struct tt_keep *k, uint64_t *seen, uint64_t *kept, uint64_t *dropped);

void tt_keep__free(struct tt_keep *k);

#endif /* TT_REC_KEEP_H */
