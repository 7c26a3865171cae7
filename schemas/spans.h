/* SPDX-License-Identifier: MIT */
/*
 * The span builder: pairs start and end events into spans while events stream past in
 * timestamp order, so that `tracetape load` builds the spans table in one pass. Rules:
 *
 *   - X__begin / X__end (same provider) whose first arguments are integers: by (capture,
 *     process, rule, that id), across threads: pairing "id". A second begin with an id still
 *     open ends the first one as unclosed "id_reused".
 *   - X__begin / X__end without an integer first argument, X__start / X__done,
 *     X__entry / X__return: by (capture, process, thread) as one stack per thread shared by all
 *     these rules: an end closes the innermost open span of its rule on its thread, so recursion
 *     and nesting pair correctly, and depth and parent come from the stack: pairing "thread".
 *   - Go functions (TT_PROBE_GO_ENTRY / TT_PROBE_GO_RETURN with the same provider and name): the
 *     same, by (capture, process, goroutine): pairing "goroutine" (by thread when goid is 0).
 *   - Custom rules NAME=START,END[,key=ARG]: START and END are probe names ("provider:name" or
 *     "name", globs allowed, alternatives joined by '|'); with key=ARG by (capture, process,
 *     rule, value of ARG), across threads (key=pid: one span at a time per process, key=tid:
 *     per thread, when no argument has that name); without, on the thread stack: pairing
 *     "custom". A probe a custom rule names takes no part in the automatic rules.
 *   - Shipped rules (the `#pragma tracetape span` and `instant` lines of the built-in provider
 *     files, added with tt_span_builder__add_rules()) work like custom rules, with their
 *     provider; they do not apply to a probe that a user's rule names. An instant rule (no END)
 *     keeps its probes out of every rule.
 *   - A start probe starts spans only once an end probe of its rule has been described: a probe
 *     that can never close its spans (e.g. only X__begin was recorded) would otherwise leave every
 *     one of its events open.
 *   - tracetape:process__exit ends every open span of its process as unclosed "process_exit",
 *     tracetape:process__exec as "exec"; tt_span_builder__finish() ends the rest as
 *     "capture_end", oldest first.
 *
 * Memory: the builder holds only what is open (one node per open span, reused through a free
 * list) and per-probe and per-rule tables; nothing grows with the number of events.
 */
#ifndef TT_SPANS_H
#define TT_SPANS_H

#include <stddef.h>
#include <stdint.h>

#include "tt_event.h"
#include "tt_out.h"

/* A --span NAME=START,END[,key=ARG] rule, or a rule shipped with a provider file. */
struct tt_span_rule {
	char *name;     /* the spans' name (owned) */
	char *start;    /* probe pattern: "provider:name" or "name", fnmatch globs, alternatives
			   joined by '|' (owned) */
	char *end;      /* (owned); NULL: an instant rule, whose start probes pair with nothing */
	char *key;      /* argument name, "arg<i>", "pid" or "tid"; NULL to pair on the thread's
			   stack (owned) */
	char *provider; /* the spans' provider; NULL for "" (owned) */
	int shipped;    /* from a provider file: yields to the user's rules */
};

/*
 * Parse text "NAME=START,END[,key=ARG]" into rule. Returns 0, or -TT_E_USAGE with a message in
 * err. Free with tt_span_rule_free().
 */
int tt_span_rule_parse(const char *text, struct tt_span_rule *rule, char *err, size_t err_sz);
void tt_span_rule_free(struct tt_span_rule *rule);

/* Rules as a command collects them from its --span options. Zero-initialise. */
struct tt_span_rules {
	struct tt_span_rule *v; /* (owned) */
	size_t cnt;
};

/*
 * Parse text (a --span option's value) and append it. Returns 0, -ENOMEM, or -TT_E_USAGE with
 * what is wrong in err.
 */
int tt_span_rules_add(struct tt_span_rules *rules, const char *text, char *err, size_t err_sz);
/* Free every rule and the list; accepts an empty list. */
void tt_span_rules_free(struct tt_span_rules *rules);

/* The unclosed reasons (spans.unclosed). */
#define TT_SPAN_OPEN_CAPTURE_END "capture_end"
#define TT_SPAN_OPEN_PROCESS_EXIT "process_exit"
#define TT_SPAN_OPEN_EXEC "exec"
#define TT_SPAN_OPEN_ID_REUSED "id_reused"

/* What the builder emits: one row of the spans table. Pointers valid during the callback. */
struct tt_span {
	uint64_t id;          /* from 1, in start order */
	const char *provider; /* "" for custom rules */
	const char *name;
	const char *pairing;  /* "id", "thread", "goroutine", "custom" */
	uint32_t tape, pid, tid, cpu;
	uint32_t end_tid, end_cpu; /* valid when closed */
	uint64_t goid;             /* the begin's goroutine, 0: none */
	uint64_t end_goid;         /* the end's goroutine (valid when closed), 0: none */
	uint64_t start_ts, end_ts; /* end_ts valid when closed */
	uint32_t depth;
	uint64_t parent_id;        /* 0: none */
	uint64_t begin_event_id, end_event_id;
	uint32_t begin_probe_id, end_probe_id;
	int closed;
	const char *unclosed;      /* NULL when closed, else TT_SPAN_OPEN_* */
	int key_type;              /* 0 none, 1 integer (key_int), 2 bytes (key_str, key_len) */
	int64_t key_int;
	const char *key_str;
	size_t key_len;
};

/* Called for every finished span; a nonzero return stops the builder and is returned. */
typedef int (*tt_span_emit_fn)(void *ctx, const struct tt_span *span);

struct tt_span_stats {
	uint64_t started;        /* spans started */
	uint64_t closed;         /* spans closed by their end event */
	uint64_t unclosed;       /* spans emitted without an end */
	uint64_t unmatched_ends; /* end events with no open span to close */
	uint64_t open_peak;      /* most spans open at once */
};

struct tt_span_builder;

/*
 * A builder with the custom rules (copied; may be NULL with rule_cnt 0) that emits spans through
 * emit(ctx, span). out (borrowed, may be NULL) receives warnings such as a key=ARG that a probe
 * does not have. Returns NULL with errno set.
 */
struct tt_span_builder *tt_span_builder__new(const struct tt_span_rule *rules, size_t rule_cnt,
					     tt_span_emit_fn emit, void *ctx,
					     const struct tt_out *out);

/*
 * Add shipped rules (copied; see above) after the custom ones. Only before the first
 * add_probe(): returns 0, -EBUSY after it, -E2BIG beyond 64 rules in all, or -ENOMEM.
 */
int tt_span_builder__add_rules(struct tt_span_builder *b, const struct tt_span_rule *rules,
			       size_t rule_cnt);

/*
 * Describe probe id (the caller's id space, dense from 0; each id once) before its first event.
 * p and its strings are only read during the call. Returns 0 or -ENOMEM.
 */
int tt_span_builder__add_probe(struct tt_span_builder *b, uint32_t id, const struct tt_probe_desc *p);

/*
 * Feed one event, in timestamp order. probe_id is in the add_probe() id space (ev->probe_id is
 * ignored), kinds are the event's argument kinds (tt_tape_reader__event_kinds), capture groups
 * tapes whose pids and clocks are shared, event_id is the event's row id. Returns 0, a negative
 * errno, or what emit returned.
 */
int tt_span_builder__event(struct tt_span_builder *b, uint32_t capture, uint32_t tape,
			   uint64_t event_id, uint32_t probe_id, const struct tt_event *ev,
			   const uint8_t *kinds);

/* Is a span of this provider ("" for none) and name one the caller watches? */
typedef int (*tt_span_want_fn)(void *ctx, const char *provider, const char *name);

/*
 * The oldest span still open (in start order) whose rule want(ctx, provider, name) accepts
 * (every one when want is NULL): sets its begin event id and start time and returns 1, or
 * returns 0 when none is open. Walks the open list: as costly as the open spans ahead of it.
 */
int tt_span_builder__oldest_open(const struct tt_span_builder *b, tt_span_want_fn want,
				void *ctx, uint64_t *begin_event_id, uint64_t *start_ts);

/* End every span still open as TT_SPAN_OPEN_CAPTURE_END, oldest first. */
int tt_span_builder__finish(struct tt_span_builder *b);

void tt_span_builder__stats(const struct tt_span_builder *b, struct tt_span_stats *st);

/* Free the builder (open spans are dropped unless finish() emitted them). Accepts NULL. */
void tt_span_builder__free(struct tt_span_builder *b);

/*
 * The span and instant rules the built-in provider files ship (schemas/providers/NAME.d), built
 * once. Returns 0 and sets *rules and *cnt (borrowed, valid until exit), or the error of
 * tt_builtin_providers().
 */
int tt_span_rules_shipped(const struct tt_span_rule **rules, size_t *cnt);

/*
 * Add those rules to b (tt_span_builder__add_rules()), after its custom rules. Returns 0 (also,
 * adding nothing, when a built-in file does not parse) or a negative error.
 */
int tt_span_builder__add_shipped_rules(struct tt_span_builder *b);

#endif /* TT_SPANS_H */
