/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the tape: schemas/tape_writer.c and schemas/tape_reader.c against each other and
 * against schemas/TAPE_FORMAT.md. Synthetic captures (every argument kind, long and repeated
 * strings, many probes, events out of time order across CPUs and blocks) must read back exactly
 * and in (ts, cpu, seq) order; cut tapes must yield every event of their whole blocks; flipped
 * bytes must make exactly their block damaged; write errors must be reported. Block boundaries
 * are found by a small independent walk over the block headers, not by the reader under test.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tape_format.h"
#include "tape_reader.h"
#include "tape_writer.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

/* ---- a synthetic capture ---- */

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static const uint8_t all_kinds[] = {
	TT_KIND_U8, TT_KIND_U16, TT_KIND_U32, TT_KIND_U64, TT_KIND_S8, TT_KIND_S16, TT_KIND_S32,
	TT_KIND_S64, TT_KIND_F32, TT_KIND_F64, TT_KIND_PTR, TT_KIND_STR, TT_KIND_BYTES,
	TT_KIND(TT_CLASS_UNKNOWN, 8),
};

struct capture {
	uint32_t probe_cnt;
	struct tt_probe_desc probes[64];
	char names[64][32];
	size_t ev_cnt;
	struct tt_event *evs; /* in delivery (append) order; strings point into the chunks */
	struct chunk *chunks;
};

struct chunk {
	struct chunk *next;
	size_t used, cap;
	uint8_t data[];
};

static const char *const pool[] = {
	"GET /", "GET /index.html", "POST /api/v1/users", "", "SELECT * FROM t WHERE id = $1",
	"\xff\xfe binary \x01\x02", "caf\xc3\xa9", "a\"quoted\" \\ string\n",
};

static const uint8_t *arena_put(struct capture *c, const void *p, size_t len)
{
	struct chunk *k = c->chunks;
	uint8_t *q;

	if (!k || k->cap - k->used < len) {
		size_t cap = TT_MAX(len, (size_t)1 << 20);

		k = malloc(sizeof(*k) + cap);
		assert_non_null(k);
		k->next = c->chunks;
		k->used = 0;
		k->cap = cap;
		c->chunks = k;
	}
	q = k->data + k->used;
	memcpy(q, p, len);
	k->used += len;
	return q;
}

static void gen_value(struct capture *c, uint8_t kind, uint64_t *arg, struct tt_bytes *s)
{
	unsigned sz = TT_KIND_SIZE(kind);
	uint64_t v = rnd();

	*arg = 0;
	*s = (struct tt_bytes){NULL, 0, 0};
	switch (TT_KIND_CLASS(kind)) {
	case TT_CLASS_UINT:
		*arg = sz == 8 ? (rnd_below(4) ? v % 1000 : v) : v & ((1ULL << (8 * sz)) - 1);
		break;
	case TT_CLASS_SINT:
		*arg = sz == 8 ? (uint64_t)((int64_t)v >> rnd_below(64))
			       : (uint64_t)((int64_t)(v << (64 - 8 * sz)) >> (64 - 8 * sz));
		break;
	case TT_CLASS_FLOAT:
		*arg = sz == 4 ? v & 0xffffffffu : v;
		break;
	case TT_CLASS_STR:
	case TT_CLASS_BYTES: {
		uint32_t pick = rnd_below(20);

		if (pick < 14) {
			const char *t = pool[pick % TT_ARRAY_SIZE(pool)];

			s->len = (uint32_t)strlen(t);
			s->ptr = arena_put(c, t, s->len);
		} else if (pick < 16) { /* a long string, mostly distinct */
			uint8_t buf[5000];

			s->len = 1000 + rnd_below(4000);
			for (uint32_t i = 0; i < s->len; i++)
				buf[i] = (uint8_t)('a' + (i * 7 + pick + rnd_below(2)) % 26);
			s->ptr = arena_put(c, buf, s->len);
		} else if (pick < 18) {
			s->len = 3;
			s->ptr = arena_put(c, "abc", 3);
			s->flags = TT_STR_TRUNCATED;
		} else {
			s->flags = TT_STR_FAULT;
		}
		break;
	}
	default: /* pointers and unknowns: addresses near each other */
		*arg = 0x7f0000000000ULL + (v & 0xffffff);
	}
}

/*
 * probe_cnt probes cycling through every kind; ev_cnt events from 4 CPUs and 6 threads, some with
 * equal timestamps, 5% delivered up to 300 us late (as the ring buffer does).
 */
static void capture_make(struct capture *c, uint32_t probe_cnt, size_t ev_cnt)
{
	uint32_t seqs[4] = {100, 5000, 0, UINT32_MAX - 50};
	uint64_t ts = 1000000000000ULL, *deliver;
	size_t *order;

	memset(c, 0, sizeof(*c));
	assert_true(probe_cnt <= TT_ARRAY_SIZE(c->probes));
	c->probe_cnt = probe_cnt;
	for (uint32_t p = 0; p < probe_cnt; p++) {
		struct tt_probe_desc *d = &c->probes[p];

		snprintf(c->names[p], sizeof(c->names[p]), "probe_%u", p);
		d->id = p;
		d->type = TT_PROBE_USDT;
		d->provider = "test";
		d->name = c->names[p];
		d->binary = "/usr/bin/test";
		d->argc = p == 0 ? 0 : (uint8_t)(p == 1 ? TT_MAX_ARGS : 1 + p % 4);
		for (int a = 0; a < d->argc; a++)
			d->kinds[a] = all_kinds[(p + (uint32_t)a * 5) % TT_ARRAY_SIZE(all_kinds)];
		if (p % 2)
			d->arg_names[0] = "first";
	}
	c->evs = calloc(ev_cnt, sizeof(*c->evs));
	deliver = malloc(ev_cnt * sizeof(*deliver));
	order = malloc(ev_cnt * sizeof(*order));
	assert_non_null(c->evs);
	for (size_t i = 0; i < ev_cnt; i++) {
		struct tt_event *e = &c->evs[i];
		uint32_t cpu = rnd_below(4), thr = rnd_below(6);
		const struct tt_probe_desc *d = &c->probes[rnd_below(probe_cnt)];

		ts += rnd_below(8) == 0 ? 0 : rnd_below(3000);
		e->ts_ns = ts;
		e->cpu = cpu;
		e->seq = seqs[cpu]++;
		if (rnd_below(50) == 0)
			seqs[cpu] += 3; /* lost events leave gaps in seq */
		e->pid = 4000 + thr / 3;
		e->tid = 4000 + thr;
		e->probe_id = d->id;
		e->goid = rnd_below(3) == 0 ? 1 + rnd_below(20) : 0;
		e->argc = d->argc;
		for (int a = 0; a < d->argc; a++)
			gen_value(c, d->kinds[a], &e->args[a], &e->strs[a]);
		if (d->argc && rnd_below(30) == 0) {
			int a = (int)rnd_below(d->argc);

			e->fault_mask = (uint16_t)(1u << a);
			e->args[a] = 0;
			if (e->strs[a].len || e->strs[a].ptr)
				e->strs[a] = (struct tt_bytes){NULL, 0, TT_STR_FAULT};
		}
		deliver[i] = ts + (rnd_below(20) == 0 ? rnd_below(300000) : 0);
		order[i] = i;
	}
	/* delivery order: by deliver[] (insertion sort: nearly sorted already) */
	for (size_t i = 1; i < ev_cnt; i++) {
		size_t t = order[i], j = i;

		while (j > 0 && deliver[order[j - 1]] > deliver[t]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = t;
	}
	struct tt_event *sorted = c->evs;

	c->evs = malloc(ev_cnt * sizeof(*c->evs));
	for (size_t i = 0; i < ev_cnt; i++)
		c->evs[i] = sorted[order[i]];
	free(sorted);
	free(deliver);
	free(order);
	c->ev_cnt = ev_cnt;
}

static void capture_free(struct capture *c)
{
	free(c->evs);
	while (c->chunks) {
		struct chunk *n = c->chunks->next;

		free(c->chunks);
		c->chunks = n;
	}
}

static int ev_cmp(const void *a, const void *b)
{
	const struct tt_event *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void assert_event_equal(const struct tt_event *got, const uint8_t *kinds,
			       const struct tt_event *want)
{
	assert_int_equal(got->ts_ns, want->ts_ns);
	assert_int_equal(got->cpu, want->cpu);
	assert_int_equal(got->seq, want->seq);
	assert_int_equal(got->pid, want->pid);
	assert_int_equal(got->tid, want->tid);
	assert_int_equal(got->probe_id, want->probe_id);
	assert_int_equal(got->goid, want->goid);
	assert_int_equal(got->fault_mask, want->fault_mask);
	assert_int_equal(got->argc, want->argc);
	for (int a = 0; a < want->argc; a++) {
		if (tt_kind_col_shape(kinds[a]) == TT_COL_STR) {
			assert_int_equal(got->strs[a].len, want->strs[a].len);
			assert_int_equal(got->strs[a].flags, want->strs[a].flags);
			assert_non_null(got->strs[a].ptr);
			if (want->strs[a].len)
				assert_memory_equal(got->strs[a].ptr, want->strs[a].ptr, want->strs[a].len);
		} else {
			assert_int_equal(got->args[a], want->args[a]);
		}
	}
}

/* A hash of an event's identity, to compare sets of events whatever their order. */
static uint64_t ev_hash(const struct tt_event *e)
{
	return (e->ts_ns * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)e->cpu << 40) ^ e->seq ^
	       ((uint64_t)e->probe_id << 20);
}

static char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "/tmp/tt-tape-test-%d-%s", (int)getpid(), name);
	return path;
}

static void write_capture(const char *path, const struct capture *c,
			  const struct tt_tape_writer_opts *opts, int close_it)
{
	struct tt_tape_writer *w = tt_tape_writer__open(path, opts);

	assert_non_null(w);
	assert_int_equal(tt_tape_writer__add_meta(w, "host", "testhost"), 0);
	assert_int_equal(tt_tape_writer__add_clock(w, 1000000000000ULL, 1700000000000000000ULL), 0);
	for (uint32_t p = 0; p < c->probe_cnt; p++)
		assert_int_equal(tt_tape_writer__add_probe(w, &c->probes[p]), 0);
	for (size_t i = 0; i < c->ev_cnt; i++)
		assert_int_equal(tt_tape_writer__append(w, &c->evs[i]), 0);
	assert_int_equal(tt_tape_writer__event_cnt(w), c->ev_cnt);
	if (close_it) {
		assert_int_equal(tt_tape_writer__close(w), 0);
	} else {
		assert_int_equal(tt_tape_writer__flush(w), 0);
		tt_tape_writer__free(w);
	}
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* ---- an independent walk over block headers ---- */

struct blk {
	uint64_t off, end;
	int type;
	uint32_t records;
	uint64_t hash; /* of its events (event blocks), from the capture */
};

static size_t walk_blocks(const uint8_t *buf, size_t len, struct blk *out, size_t max)
{
	uint64_t off = TT_TAPE_FILE_HDR_SZ;
	size_t n = 0;

	while (off + TT_TAPE_BLOCK_HDR_SZ <= len && n < max) {
		struct tt_tape_block_hdr h;

		if (tt_tape_block_hdr_unpack(buf + off, len - off, &h))
			break;
		out[n].off = off;
		out[n].end = off + h.hdr_sz + h.stored_sz + TT_TAPE_PAD(h.stored_sz);
		out[n].type = h.type;
		out[n].records = h.record_cnt;
		out[n].hash = 0;
		off = out[n++].end;
	}
	return n;
}

/* Read everything; returns the event count, sums hashes; *end_code gets the end code. */
static size_t read_events(struct tt_tape_reader *r, uint64_t *hash_sum, int *end_code, int ordered)
{
	const struct tt_event *ev;
	uint64_t last_ts = 0, last_tie = 0;
	size_t n = 0;
	int k;

	*hash_sum = 0;
	while ((k = tt_tape_reader__next(r, &ev)) == 1) {
		uint64_t tie = (uint64_t)ev->cpu << 32 | ev->seq;

		if (n && ordered)
			assert_true(ev->ts_ns > last_ts || (ev->ts_ns == last_ts && tie > last_tie));
		last_ts = ev->ts_ns;
		last_tie = tie;
		*hash_sum += ev_hash(ev);
		n++;
	}
	*end_code = k;
	return n;
}

/* The same, asserting (ts, cpu, seq) order. */
static size_t read_all(struct tt_tape_reader *r, uint64_t *hash_sum, int *end_code)
{
	return read_events(r, hash_sum, end_code, 1);
}

/* ---- tests ---- */

TT_TEST(tape, round_trip_every_kind_in_time_order)
{
	struct tt_tape_writer_opts wo = {.block_events_max = 997};
	struct capture c;
	struct tt_tape_reader *r;
	struct tt_tape_status st;
	struct tt_event *want;
	const struct tt_event *ev;
	size_t i = 0;
	int k;

	capture_make(&c, 60, 30000);
	write_capture(tmp_path("rt"), &c, &wo, 1);
	want = malloc(c.ev_cnt * sizeof(*want));
	memcpy(want, c.evs, c.ev_cnt * sizeof(*want));
	qsort(want, c.ev_cnt, sizeof(*want), ev_cmp);

	r = tt_tape_reader__open(tmp_path("rt"), NULL);
	assert_non_null(r);
	while ((k = tt_tape_reader__next(r, &ev)) == 1) {
		assert_true(i < c.ev_cnt);
		assert_event_equal(ev, tt_tape_reader__event_kinds(r), &want[i]);
		i++;
	}
	assert_int_equal(k, 0);
	assert_int_equal(i, c.ev_cnt);
	tt_tape_reader__status(r, &st);
	assert_true(st.closed_cleanly);
	assert_false(st.truncated);
	assert_int_equal(st.damaged_blocks, 0);
	assert_int_equal(st.events, c.ev_cnt);
	assert_int_equal(st.trailer_events, c.ev_cnt);
	assert_int_equal(st.out_of_order, 0);
	assert_int_equal(st.ts_first_ns, want[0].ts_ns);
	assert_int_equal(st.ts_last_ns, want[c.ev_cnt - 1].ts_ns);
	/* the probe table came through */
	assert_int_equal(tt_tape_reader__probe_cnt(r), 60);
	const struct tt_probe_desc *d = tt_tape_reader__probe(r, 1);

	assert_non_null(d);
	assert_string_equal(d->provider, "test");
	assert_string_equal(d->name, "probe_1");
	assert_string_equal(d->binary, "/usr/bin/test");
	assert_int_equal(d->argc, TT_MAX_ARGS);
	assert_memory_equal(d->kinds, c.probes[1].kinds, TT_MAX_ARGS);
	assert_string_equal(d->arg_names[0], "first");
	assert_null(d->arg_names[1]);
	assert_int_equal(tt_tape_reader__probe(r, 0)->argc, 0);
	tt_tape_reader__free(r);
	free(want);
	capture_free(&c);
	unlink(tmp_path("rt"));
}

TT_TEST(tape, descriptions_round_trip)
{
	struct tt_tape_writer *w = tt_tape_writer__open(tmp_path("desc"), NULL);
	struct tt_probe_desc p = {.id = 3, .type = TT_PROBE_TRACEPOINT, .argc = 1,
				  .kinds = {TT_KIND_BYTES}, .provider = "sched",
				  .name = "sched_switch", .arg_specs = "8@%rdi",
				  .build_id = "abcdef", .arg_names = {"raw"}};
	struct tt_loss l1 = {1, 3, 100, 200, 7}, l2 = {0, TT_LOSS_ANY_PROBE, 300, 400, 2};
	struct tt_tape_reader *r;
	struct tt_tape_status st;
	const struct tt_process *pr;
	const struct tt_loss *ls;
	const struct tt_event *ev;
	const char *key, *value;
	size_t n;

	assert_non_null(w);
	assert_int_equal(tt_tape_writer__add_meta(w, "kernel", "6.18"), 0);
	assert_int_equal(tt_tape_writer__add_meta(w, "host", "a"), 0);
	assert_int_equal(tt_tape_writer__add_meta(w, "host", "b"), 0);
	assert_int_equal(tt_tape_writer__add_clock(w, 1000, 5000000), 0);
	assert_int_equal(tt_tape_writer__add_clock(w, 2000000001000ULL, 2000005000000ULL + 1000), 0);
	assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
	assert_int_equal(tt_tape_writer__add_probe(w, &p), -EEXIST);
	assert_int_equal(tt_tape_writer__add_tp_format(w, 3, "name: sched_switch\nID: 1\n"), 0);
	assert_int_equal(tt_tape_writer__add_process(w, 42, 1, "comm", "/bin/x", "x --y"), 0);
	assert_int_equal(tt_tape_writer__add_process(w, 43, 42, NULL, NULL, NULL), 0);
	assert_int_equal(tt_tape_writer__add_loss(w, &l1), 0);
	assert_int_equal(tt_tape_writer__add_loss(w, &l2), 0);
	struct tt_event e = {.ts_ns = 150, .probe_id = 3, .pid = 42, .tid = 43, .argc = 1,
			     .strs = {{(const uint8_t *)"\0\1\2", 3, 0}}};

	assert_int_equal(tt_tape_writer__append(w, &e), 0);
	e.probe_id = 9;
	assert_int_equal(tt_tape_writer__append(w, &e), -EINVAL); /* not described */
	assert_int_equal(tt_tape_writer__close(w), 0);

	r = tt_tape_reader__open(tmp_path("desc"), NULL);
	assert_non_null(r);
	assert_string_equal(tt_tape_reader__meta(r, "kernel"), "6.18");
	assert_string_equal(tt_tape_reader__meta(r, "host"), "b"); /* the last one */
	assert_null(tt_tape_reader__meta(r, "nothing"));
	assert_int_equal(tt_tape_reader__meta_at(r, 1, &key, &value), 0);
	assert_string_equal(key, "host");
	assert_string_equal(value, "a");
	assert_int_equal(tt_tape_reader__meta_at(r, 3, &key, &value), -ENOENT);
	/* offset 4999000 before, interpolated between, 5000000 + 1000 - 1000 after */
	assert_int_equal(tt_tape_reader__wall_ns(r, 0), 4999000);
	assert_int_equal(tt_tape_reader__wall_ns(r, 1000), 5000000);
	assert_int_equal(tt_tape_reader__wall_ns(r, 1000000001000ULL), 1000005000500ULL);
	assert_int_equal(tt_tape_reader__wall_ns(r, 3000000000000ULL), 3000005000000ULL);
	const struct tt_probe_desc *d = tt_tape_reader__probe(r, 3);

	assert_non_null(d);
	assert_int_equal(d->type, TT_PROBE_TRACEPOINT);
	assert_string_equal(d->arg_specs, "8@%rdi");
	assert_string_equal(d->build_id, "abcdef");
	assert_string_equal(d->arg_names[0], "raw");
	assert_null(d->binary);
	assert_null(tt_tape_reader__probe(r, 2));
	assert_string_equal(tt_tape_reader__tp_format(r, 3), "name: sched_switch\nID: 1\n");
	assert_null(tt_tape_reader__tp_format(r, 4));
	pr = tt_tape_reader__process(r, 0);
	assert_non_null(pr);
	assert_int_equal(pr->pid, 42);
	assert_string_equal(pr->cmdline, "x --y");
	pr = tt_tape_reader__process(r, 1);
	assert_int_equal(pr->ppid, 42);
	assert_null(pr->comm);
	assert_null(tt_tape_reader__process(r, 2));
	assert_int_equal(tt_tape_reader__next(r, &ev), 1);
	assert_int_equal(ev->strs[0].len, 3);
	assert_memory_equal(ev->strs[0].ptr, "\0\1\2", 3);
	assert_int_equal(tt_tape_reader__next(r, &ev), 0);
	ls = tt_tape_reader__losses(r, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ls[0].count, 7);
	assert_int_equal(ls[0].probe_id, 3);
	assert_int_equal(ls[1].probe_id, TT_LOSS_ANY_PROBE);
	assert_int_equal(ls[1].ts_end_ns, 400);
	tt_tape_reader__status(r, &st);
	assert_true(st.closed_cleanly);
	assert_int_equal(st.trailer_losses, 9);
	assert_int_equal(st.version_major, 1);
	tt_tape_reader__free(r);
	unlink(tmp_path("desc"));
}

/*
 * Clock anchors come from the file: offsets (real - mono) at the two ends of int64 must
 * interpolate without signed overflow (UBSan) and land between them.
 */
TT_TEST(tape, wall_clock_of_forged_anchors)
{
	struct tt_tape_writer *w = tt_tape_writer__open(tmp_path("clk"), NULL);
	struct tt_tape_reader *r;

	assert_non_null(w);
	assert_int_equal(tt_tape_writer__add_clock(w, 0, (uint64_t)INT64_MAX), 0);
	assert_int_equal(tt_tape_writer__add_clock(w, 1000, 1000 + (1ULL << 63)), 0);
	assert_int_equal(tt_tape_writer__close(w), 0);
	r = tt_tape_reader__open(tmp_path("clk"), NULL);
	assert_non_null(r);
	assert_int_equal(tt_tape_reader__wall_ns(r, 0), (uint64_t)INT64_MAX);
	assert_int_equal(tt_tape_reader__wall_ns(r, 1000), 1000 + (1ULL << 63));
	/* halfway, the offset is (INT64_MAX + INT64_MIN) / 2, i.e. -0.5 */
	assert_int_equal(tt_tape_reader__wall_ns(r, 500), 499);
	tt_tape_reader__free(r);
	unlink(tmp_path("clk"));
}

TT_TEST(tape, writer_rejects_bad_input)
{
	struct tt_tape_writer *w = tt_tape_writer__open(tmp_path("bad"), NULL);
	struct tt_probe_desc p = {.id = 0, .argc = 1, .kinds = {TT_KIND(9, 8)}};
	struct tt_event e = {0};

	assert_non_null(w);
	assert_int_equal(tt_tape_writer__add_probe(w, &p), -EINVAL); /* unknown kind class */
	p.kinds[0] = TT_KIND_U64;
	p.id = TT_TAPE_PROBE_ID_MAX;
	assert_int_equal(tt_tape_writer__add_probe(w, &p), -EINVAL);
	p.id = 0;
	assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
	e.cpu = TT_TAPE_CPU_MAX;
	assert_int_equal(tt_tape_writer__append(w, &e), -EINVAL);
	tt_tape_writer__free(w);
	/* open errors come back as errno */
	assert_null(tt_tape_writer__open("/nonexistent-dir/x.tape", NULL));
	assert_int_equal(errno, ENOENT);
	assert_null(tt_tape_reader__open("/nonexistent-dir/x.tape", NULL));
	assert_int_equal(errno, ENOENT);
	unlink(tmp_path("bad"));
}

/*
 * An event the writer refuses (a string with a length but no bytes) leaves nothing behind: the
 * tape is byte for byte the one written without it (but for the header's creation time), so
 * no string of it sits in a block's string table uncounted by the block size bound.
 */
TT_TEST(tape, refused_event_leaves_no_trace)
{
	static uint8_t big[100000];
	struct tt_probe_desc p = {.id = 0, .argc = 2, .kinds = {TT_KIND_STR, TT_KIND_STR},
				  .provider = "p", .name = "n"};
	struct tt_event good = {.ts_ns = 10, .argc = 2,
				.strs = {{(const uint8_t *)"a", 1, 0}, {(const uint8_t *)"b", 1, 0}}};
	struct tt_event bad = {.ts_ns = 20, .argc = 2, .strs = {{big, sizeof(big), 0}, {NULL, 5, 0}}};
	uint8_t *with = NULL, *without = NULL;
	size_t with_len = 0, without_len = 0;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)rnd(); /* incompressible: an orphan copy would show in the size */
	for (int refuse = 0; refuse < 2; refuse++) {
		struct tt_tape_writer *w = tt_tape_writer__open(tmp_path("refused"), NULL);

		assert_non_null(w);
		assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
		assert_int_equal(tt_tape_writer__append(w, &good), 0);
		if (refuse)
			assert_int_equal(tt_tape_writer__append(w, &bad), -EINVAL);
		good.ts_ns += 10;
		assert_int_equal(tt_tape_writer__append(w, &good), 0);
		good.ts_ns -= 10;
		assert_int_equal(tt_tape_writer__event_cnt(w), 2);
		assert_int_equal(tt_tape_writer__close(w), 0);
		if (refuse)
			with = slurp(tmp_path("refused"), &with_len);
		else
			without = slurp(tmp_path("refused"), &without_len);
	}
	assert_int_equal(with_len, without_len);
	assert_memory_equal(with + TT_TAPE_FILE_HDR_SZ, without + TT_TAPE_FILE_HDR_SZ,
			    with_len - TT_TAPE_FILE_HDR_SZ);
	free(with);
	free(without);
	unlink(tmp_path("refused"));
}

TT_TEST(tape, file_mode_is_0600)
{
	struct stat st;
	int fd = open(tmp_path("mode"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	fchmod(fd, 0644);
	close(fd);
	assert_int_equal(tt_tape_writer__close(tt_tape_writer__open(tmp_path("mode"), NULL)), 0);
	assert_int_equal(stat(tmp_path("mode"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	unlink(tmp_path("mode"));
}

/*
 * For each cut length: open (if at least the file header is there), read everything, and check
 * that the events are exactly those of the whole event blocks before the cut.
 */
static void check_cut(const uint8_t *buf, size_t cut, const struct blk *blocks, size_t nb)
{
	struct tt_tape_reader *r;
	struct tt_tape_status st;
	uint64_t want_hash = 0, hash;
	size_t want_n = 0, n;
	int end, at_boundary = cut == TT_TAPE_FILE_HDR_SZ, partial_start = -1;

	r = tt_tape_reader__open_mem(buf, cut, NULL);
	if (cut < TT_TAPE_FILE_HDR_SZ) {
		assert_null(r);
		assert_int_equal(errno, TT_E_TRUNCATED);
		return;
	}
	assert_non_null(r);
	for (size_t b = 0; b < nb; b++) {
		if (blocks[b].end <= cut && blocks[b].type == TT_BLOCK_EVENTS) {
			want_n += blocks[b].records;
			want_hash += blocks[b].hash;
		}
		if (blocks[b].end == cut)
			at_boundary = 1;
		if (blocks[b].off < cut && blocks[b].end > cut)
			partial_start = (int)b;
	}
	n = read_all(r, &hash, &end);
	assert_int_equal(end, 0);
	assert_int_equal(n, want_n);
	assert_int_equal(hash, want_hash);
	tt_tape_reader__status(r, &st);
	assert_int_equal(st.damaged_blocks, 0);
	if (partial_start >= 0) {
		assert_true(st.truncated);
		assert_int_equal(st.truncated_at, blocks[partial_start].off);
	} else if (at_boundary) {
		assert_false(st.truncated);
	}
	assert_false(st.closed_cleanly && cut < blocks[nb - 1].end + TT_TAPE_FOOTER_SZ);
	tt_tape_reader__free(r);
}

/* Attach to each event block the hash of its events, from the writer's own block split. */
static size_t blocks_of(const uint8_t *buf, size_t len, const struct capture *c, uint32_t per_block,
			struct blk *blocks, size_t max)
{
	size_t nb = walk_blocks(buf, len, blocks, max), e = 0;

	for (size_t b = 0; b < nb; b++) {
		if (blocks[b].type != TT_BLOCK_EVENTS)
			continue;
		assert_true(blocks[b].records <= per_block);
		for (uint32_t i = 0; i < blocks[b].records; i++)
			blocks[b].hash += ev_hash(&c->evs[e++]);
	}
	assert_int_equal(e, c->ev_cnt);
	return nb;
}

TT_TEST(tape, truncated_at_every_offset_of_a_small_tape)
{
	struct tt_tape_writer_opts wo = {.block_events_max = 40};
	struct blk blocks[64];
	struct capture c;
	uint8_t *buf;
	size_t len, nb;

	capture_make(&c, 5, 200);
	write_capture(tmp_path("cut"), &c, &wo, 1);
	buf = slurp(tmp_path("cut"), &len);
	nb = blocks_of(buf, len, &c, 40, blocks, TT_ARRAY_SIZE(blocks));
	assert_true(nb >= 7);
	for (size_t cut = 0; cut <= len; cut++)
		check_cut(buf, cut, blocks, nb);
	free(buf);
	capture_free(&c);
	unlink(tmp_path("cut"));
}

TT_TEST(tape, truncated_at_random_offsets_of_a_large_tape)
{
	struct tt_tape_writer_opts wo = {.block_events_max = 2048};
	static struct blk blocks[512];
	struct capture c;
	uint8_t *buf;
	size_t len, nb;

	capture_make(&c, 30, 100000);
	write_capture(tmp_path("bigcut"), &c, &wo, 1);
	buf = slurp(tmp_path("bigcut"), &len);
	nb = blocks_of(buf, len, &c, 2048, blocks, TT_ARRAY_SIZE(blocks));
	assert_true(nb > 40);
	for (int i = 0; i < 40; i++)
		check_cut(buf, TT_TAPE_FILE_HDR_SZ + rnd() % (len - TT_TAPE_FILE_HDR_SZ), blocks, nb);
	check_cut(buf, len, blocks, nb);
	free(buf);
	capture_free(&c);
	unlink(tmp_path("bigcut"));
}

/* A crash: blocks written, no trailer. Not truncated, not closed cleanly, every event there. */
TT_TEST(tape, unclosed_tape_reads_whole)
{
	struct capture c;
	struct tt_tape_reader *r;
	struct tt_tape_status st;
	uint64_t hash;
	int end;

	capture_make(&c, 4, 1000);
	write_capture(tmp_path("crash"), &c, NULL, 0);
	r = tt_tape_reader__open(tmp_path("crash"), NULL);
	assert_non_null(r);
	assert_int_equal(read_all(r, &hash, &end), 1000);
	assert_int_equal(end, 0);
	tt_tape_reader__status(r, &st);
	assert_false(st.closed_cleanly);
	assert_false(st.truncated);
	tt_tape_reader__free(r);
	capture_free(&c);
	unlink(tmp_path("crash"));
}

TT_TEST(tape, flipped_bytes_damage_exactly_their_block)
{
	struct tt_tape_writer_opts wo = {.block_events_max = 40};
	struct blk blocks[64];
	struct capture c;
	uint8_t *buf;
	size_t len, nb;

	capture_make(&c, 5, 200);
	write_capture(tmp_path("flip"), &c, &wo, 1);
	buf = slurp(tmp_path("flip"), &len);
	nb = blocks_of(buf, len, &c, 40, blocks, TT_ARRAY_SIZE(blocks));
	for (size_t off = 0; off < len; off++) {
		uint8_t mask = (uint8_t)(1u << (off % 8));
		struct tt_tape_reader_opts ro = {0};
		struct tt_tape_reader *r;
		struct tt_tape_status st;
		uint64_t before_hash = 0, other_hash = 0, hash;
		size_t before = 0, others = 0, b;
		int end;

		buf[off] ^= mask;
		r = tt_tape_reader__open_mem(buf, len, &ro);
		if (off < TT_TAPE_FILE_HDR_SZ) {
			assert_null(r); /* a damaged file header: not a tape we can read */
			buf[off] ^= mask;
			continue;
		}
		assert_non_null(r);
		for (b = 0; b < nb && blocks[b].end <= off; b++)
			if (blocks[b].type == TT_BLOCK_EVENTS) {
				before += blocks[b].records;
				before_hash += blocks[b].hash;
			}
		for (size_t o = 0; o < nb; o++)
			if (o != b && blocks[o].type == TT_BLOCK_EVENTS) {
				others += blocks[o].records;
				other_hash += blocks[o].hash;
			}
		assert_int_equal(read_all(r, &hash, &end), before);
		assert_int_equal(hash, before_hash);
		tt_tape_reader__status(r, &st);
		assert_int_equal(st.damaged_blocks, 1);
		if (b < nb) {
			assert_true(end == -TT_E_CHECKSUM || end == -TT_E_CORRUPT);
			assert_int_equal(st.stop_error, end);
			assert_int_equal(st.stopped_at, blocks[b].off);
		} else { /* the footer */
			assert_int_equal(end, -TT_E_CHECKSUM);
		}
		tt_tape_reader__free(r);

		/* skipping: every other block's events are there */
		ro.skip_damaged = 1;
		r = tt_tape_reader__open_mem(buf, len, &ro);
		assert_non_null(r);
		assert_int_equal(read_all(r, &hash, &end), b < nb ? others : c.ev_cnt);
		assert_int_equal(end, 0);
		if (b < nb)
			assert_int_equal(hash, other_hash);
		tt_tape_reader__status(r, &st);
		assert_int_equal(st.damaged_blocks, 1);
		assert_int_equal(st.stop_error, 0);
		tt_tape_reader__free(r);
		buf[off] ^= mask;
	}
	free(buf);
	capture_free(&c);
	unlink(tmp_path("flip"));
}

/* Insert a block of an unknown type, and one with an unknown flag: both skipped. */
TT_TEST(tape, unknown_blocks_are_skipped)
{
	struct tt_tape_block_hdr h = {.type = 99, .stored_sz = 5, .raw_sz = 5, .record_cnt = 1};
	uint8_t blk[TT_TAPE_BLOCK_HDR_SZ + 8] = {0}, *buf, *out;
	struct tt_tape_footer f;
	struct tt_tape_reader *r;
	struct tt_tape_status st;
	struct capture c;
	uint64_t hash;
	size_t len;
	int end;

	capture_make(&c, 3, 300);
	write_capture(tmp_path("unk"), &c, NULL, 1);
	buf = slurp(tmp_path("unk"), &len);
	memcpy(blk + TT_TAPE_BLOCK_HDR_SZ, "hello", 5);
	h.payload_crc = tt_tape_payload_crc(blk + TT_TAPE_BLOCK_HDR_SZ, 5);
	tt_tape_block_hdr_pack(blk, &h);
	out = malloc(len + 2 * sizeof(blk));
	memcpy(out, buf, TT_TAPE_FILE_HDR_SZ);
	memcpy(out + TT_TAPE_FILE_HDR_SZ, blk, sizeof(blk));
	h.type = TT_BLOCK_EVENTS;
	h.flags = 0x80; /* a future encoding */
	tt_tape_block_hdr_pack(blk, &h);
	memcpy(out + TT_TAPE_FILE_HDR_SZ + sizeof(blk), blk, sizeof(blk));
	memcpy(out + TT_TAPE_FILE_HDR_SZ + 2 * sizeof(blk), buf + TT_TAPE_FILE_HDR_SZ,
	       len - TT_TAPE_FILE_HDR_SZ);
	/* the footer points at the trailer, now two blocks further on */
	assert_true(tt_tape_footer_unpack(buf + len - TT_TAPE_FOOTER_SZ, &f));
	tt_tape_footer_pack(out + len + 2 * sizeof(blk) - TT_TAPE_FOOTER_SZ,
			    f.trailer_offset + 2 * sizeof(blk));
	r = tt_tape_reader__open_mem(out, len + 2 * sizeof(blk), NULL);
	assert_non_null(r);
	assert_int_equal(read_all(r, &hash, &end), 300);
	assert_int_equal(end, 0);
	tt_tape_reader__status(r, &st);
	assert_int_equal(st.unknown_blocks, 2);
	assert_int_equal(st.damaged_blocks, 0);
	assert_true(st.closed_cleanly);
	tt_tape_reader__free(r);
	free(out);
	free(buf);
	capture_free(&c);
	unlink(tmp_path("unk"));
}

/* Without the PROBES block, events still decode; their probes are described from the blocks. */
TT_TEST(tape, events_decode_without_probe_table)
{
	struct tt_tape_footer f;
	struct blk blocks[16];
	struct tt_tape_reader *r;
	struct tt_tape_status st;
	const struct tt_event *ev;
	const struct tt_probe_desc *d;
	struct capture c;
	uint8_t *buf;
	size_t len, nb, n = 0, b;

	capture_make(&c, 3, 100);
	write_capture(tmp_path("noprobes"), &c, NULL, 1);
	buf = slurp(tmp_path("noprobes"), &len);
	nb = walk_blocks(buf, len, blocks, TT_ARRAY_SIZE(blocks));
	for (b = 0; b < nb && blocks[b].type != TT_BLOCK_PROBES; b++)
		;
	assert_true(b < nb);
	memmove(buf + blocks[b].off, buf + blocks[b].end, len - blocks[b].end);
	len -= blocks[b].end - blocks[b].off;
	/* the footer points at the trailer, now where the probes block's bytes were removed */
	assert_true(tt_tape_footer_unpack(buf + len - TT_TAPE_FOOTER_SZ, &f));
	tt_tape_footer_pack(buf + len - TT_TAPE_FOOTER_SZ,
			    f.trailer_offset - (blocks[b].end - blocks[b].off));
	r = tt_tape_reader__open_mem(buf, len, NULL);
	assert_non_null(r);
	while (tt_tape_reader__next(r, &ev) == 1) {
		d = tt_tape_reader__probe(r, ev->probe_id);
		assert_non_null(d);
		assert_string_equal(d->provider, "?");
		assert_int_equal(d->argc, c.probes[ev->probe_id].argc);
		assert_memory_equal(tt_tape_reader__event_kinds(r), c.probes[ev->probe_id].kinds,
				    ev->argc);
		n++;
	}
	assert_int_equal(n, 100);
	tt_tape_reader__status(r, &st);
	assert_int_equal(st.blocks_missing, 1);
	/* the trailer's index offsets are now wrong, but nothing reads them: still clean (the
	 * footer, which is checked, was moved with the trailer) */
	assert_true(st.closed_cleanly);
	tt_tape_reader__free(r);
	free(buf);
	capture_free(&c);
	unlink(tmp_path("noprobes"));
}

/* Caps on the window: tiny caps still return every event, and memory follows the caps. */
TT_TEST(tape, window_caps_bound_memory)
{
	struct tt_tape_writer_opts wo = {.block_events_max = 100};
	struct tt_tape_reader_opts ro = {.window_events_max = 1000,
					 .reorder_window_ns = 1000000000000ULL};
	struct tt_tape_reader *r;
	struct tt_tape_status st;
	struct capture c;
	uint64_t hash;
	int end;

	capture_make(&c, 3, 5000);
	write_capture(tmp_path("caps"), &c, &wo, 1);
	r = tt_tape_reader__open(tmp_path("caps"), &ro);
	assert_non_null(r);
	/* 1000 events span ~1.3 ms, more than the 300 us of lateness: the order holds */
	assert_int_equal(read_all(r, &hash, &end), 5000);
	tt_tape_reader__status(r, &st);
	assert_true(st.window_peak_events <= 1000 + 100);
	assert_int_equal(st.out_of_order, 0);
	tt_tape_reader__free(r);

	/* two blocks (~260 us) may be too few: every event still comes, disorder is counted */
	ro.window_events_max = 0;
	ro.window_blocks_max = 2;
	r = tt_tape_reader__open(tmp_path("caps"), &ro);
	assert_non_null(r);
	assert_int_equal(read_events(r, &hash, &end, 0), 5000);
	tt_tape_reader__status(r, &st);
	assert_true(st.window_peak_events <= 200);
	tt_tape_reader__free(r);
	capture_free(&c);
	unlink(tmp_path("caps"));
}

/* An event arriving after its block was written is merged back into place. */
TT_TEST(tape, late_event_in_a_later_block_is_merged)
{
	struct tt_tape_writer *w = tt_tape_writer__open(tmp_path("late"), NULL);
	struct tt_probe_desc p = {.id = 0, .provider = "p", .name = "n"};
	struct tt_tape_reader *r;
	const struct tt_event *ev;
	uint64_t want[] = {1000, 1500, 2000, 3000};

	assert_non_null(w);
	assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
	assert_int_equal(tt_tape_writer__append(w, &(struct tt_event){.ts_ns = 1000, .seq = 1}), 0);
	assert_int_equal(tt_tape_writer__append(w, &(struct tt_event){.ts_ns = 2000, .seq = 3}), 0);
	assert_int_equal(tt_tape_writer__flush(w), 0);
	assert_int_equal(tt_tape_writer__append(w, &(struct tt_event){.ts_ns = 1500, .seq = 2}), 0);
	assert_int_equal(tt_tape_writer__append(w, &(struct tt_event){.ts_ns = 3000, .seq = 4}), 0);
	assert_int_equal(tt_tape_writer__close(w), 0);
	r = tt_tape_reader__open(tmp_path("late"), NULL);
	assert_non_null(r);
	for (size_t i = 0; i < TT_ARRAY_SIZE(want); i++) {
		assert_int_equal(tt_tape_reader__next(r, &ev), 1);
		assert_int_equal(ev->ts_ns, want[i]);
		assert_int_equal(ev->seq, i + 1);
	}
	assert_int_equal(tt_tape_reader__next(r, &ev), 0);
	tt_tape_reader__free(r);
	unlink(tmp_path("late"));
}

TT_TEST(tape, tick_flushes_after_the_interval)
{
	struct tt_tape_writer_opts wo = {.flush_interval_ns = 1000000000ULL};
	struct tt_tape_writer *w = tt_tape_writer__open(tmp_path("tick"), &wo);
	struct tt_probe_desc p = {.id = 0, .provider = "p", .name = "n"};
	struct tt_tape_reader *r;
	const struct tt_event *ev;
	uint64_t t0 = 5000000000ULL, bytes;

	assert_non_null(w);
	assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
	assert_int_equal(tt_tape_writer__tick(w, t0), 0); /* writes the pending description */
	bytes = tt_tape_writer__bytes(w);
	assert_true(bytes > TT_TAPE_FILE_HDR_SZ);
	assert_int_equal(tt_tape_writer__append(w, &(struct tt_event){.ts_ns = t0}), 0);
	assert_int_equal(tt_tape_writer__tick(w, t0 + 999999999ULL), 0);
	assert_int_equal(tt_tape_writer__bytes(w), bytes);
	assert_int_equal(tt_tape_writer__tick(w, t0 + 1000000000ULL), 0);
	assert_true(tt_tape_writer__bytes(w) > bytes);
	/* readable while the writer is still open */
	r = tt_tape_reader__open(tmp_path("tick"), NULL);
	assert_non_null(r);
	assert_int_equal(tt_tape_reader__next(r, &ev), 1);
	assert_int_equal(ev->ts_ns, t0);
	tt_tape_reader__free(r);
	tt_tape_writer__free(w);
	unlink(tmp_path("tick"));
}

/* A full device: the error comes back from open, and never silently later. */
TT_TEST(tape, write_errors_are_reported)
{
	struct tt_probe_desc p = {.id = 0, .argc = 1, .kinds = {TT_KIND_U64}};
	char path[256];
	pid_t child;
	int status;

	snprintf(path, sizeof(path), "%s", tmp_path("efbig")); /* the child's pid differs */
	if (access("/dev/full", W_OK) == 0) {
		assert_null(tt_tape_writer__open("/dev/full", NULL));
		assert_int_equal(errno, ENOSPC);
	}
	/* a file size limit in a child: writes fail with EFBIG after a few blocks */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct rlimit rl = {8192, 8192};
		struct tt_tape_writer_opts wo = {.block_events_max = 100};
		struct tt_tape_writer *w;
		int err = 0, i;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		w = tt_tape_writer__open(path, &wo);
		if (!w)
			_exit(10);
		if (tt_tape_writer__add_probe(w, &p))
			_exit(11);
		for (i = 0; i < 100000 && !err; i++)
			err = tt_tape_writer__append(w, &(struct tt_event){.ts_ns = (uint64_t)i,
									   .args = {rnd()}});
		if (err != -EFBIG || i >= 100000)
			_exit(12);
		/* sticky: every later call says so, and close reports it too */
		if (tt_tape_writer__append(w, &(struct tt_event){.ts_ns = 1}) != -EFBIG ||
		    tt_tape_writer__flush(w) != -EFBIG || tt_tape_writer__close(w) != -EFBIG)
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* what was written before the error is a readable, truncated tape */
	struct tt_tape_reader *r = tt_tape_reader__open(path, NULL);
	struct tt_tape_status st;
	uint64_t hash;
	int end;

	assert_non_null(r);
	assert_true(read_all(r, &hash, &end) > 0);
	assert_int_equal(end, 0);
	tt_tape_reader__status(r, &st);
	assert_false(st.closed_cleanly);
	tt_tape_reader__free(r);
	unlink(path);
}

TT_TEST(tape, not_a_tape)
{
	static const uint8_t junk[64] = "this is not a tape at all, but long enough to be one";
	uint8_t hdr[TT_TAPE_FILE_HDR_SZ];

	assert_null(tt_tape_reader__open_mem(junk, sizeof(junk), NULL));
	assert_int_equal(errno, TT_E_BAD_MAGIC);
	assert_null(tt_tape_reader__open_mem(junk, 0, NULL));
	assert_int_equal(errno, TT_E_TRUNCATED);
	tt_tape_file_hdr_pack(hdr, 0);
	tt_put_le16(hdr + 8, 2); /* a future major version */
	assert_null(tt_tape_reader__open_mem(hdr, sizeof(hdr), NULL));
	assert_int_equal(errno, TT_E_VERSION);
}

/*
 * A C++ mangled name is a string column on disk (kind STR) with the probe's cxxnames field
 * (1.1) marking it: a 1.0 reader, which skips unknown fields, still reads the tape; a 1.1
 * reader gets the cxxname kind back.
 */
TT_TEST(tape, cxxnames_travel_as_marked_strings)
{
	struct tt_probe_desc p = {.id = 0, .argc = 3,
				  .kinds = {TT_KIND_PTR, TT_KIND_CXXNAME, TT_KIND_STR},
				  .provider = "libstdcxx", .name = "throw"};
	struct tt_event e = {.ts_ns = 1, .argc = 3, .args = {0x1000},
			     .strs = {{0}, {(const uint8_t *)"St12out_of_range", 16, 0},
				      {(const uint8_t *)"x", 1, 0}}};
	static const uint8_t on_disk[] = {TT_PROBE_F_KINDS, 3, TT_KIND_PTR, TT_KIND_STR, TT_KIND_STR};
	struct tt_tape_writer *w = tt_tape_writer__open(tmp_path("cxx"), NULL);
	const struct tt_probe_desc *d;
	struct tt_tape_reader *r;
	const struct tt_event *ev;
	uint8_t *raw;
	size_t raw_len;
	int found = 0;

	assert_non_null(w);
	assert_int_equal(tt_tape_writer__add_probe(w, &p), 0);
	assert_int_equal(tt_tape_writer__append(w, &e), 0);
	assert_int_equal(tt_tape_writer__close(w), 0);
	/* the description blocks are stored raw: the kinds field is there as a 1.0 reader sees it */
	raw = slurp(tmp_path("cxx"), &raw_len);
	for (size_t i = 0; i + sizeof(on_disk) <= raw_len && !found; i++)
		found = !memcmp(raw + i, on_disk, sizeof(on_disk));
	free(raw);
	assert_true(found);
	r = tt_tape_reader__open(tmp_path("cxx"), NULL);
	assert_non_null(r);
	d = tt_tape_reader__probe(r, 0);
	assert_non_null(d);
	assert_int_equal(d->kinds[0], TT_KIND_PTR);
	assert_int_equal(d->kinds[1], TT_KIND_CXXNAME);
	assert_int_equal(d->kinds[2], TT_KIND_STR);
	assert_int_equal(tt_tape_reader__next(r, &ev), 1);
	assert_int_equal(ev->strs[1].len, 16);
	assert_memory_equal(ev->strs[1].ptr, "St12out_of_range", 16);
	tt_tape_reader__free(r);
	unlink(tmp_path("cxx"));
}
