/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the tape encoding (bench/sections/20-tape.sh drives it). It generates a synthetic
 * capture, writes it with the tape writer (encode rate), reads it back through the reader into a
 * null sink (decode rate), and compares the tape's size with the same events as fixed-size
 * records, raw and compressed by zstd -1 and -3 (library calls, same frame format as the CLI),
 * and with a row-wise varint encoding of the same blocks (the alternative to columns). Rates
 * are given per wall-clock second and per CPU second of this single-threaded process (the
 * latter does not move when other work shares the machine).
 *
 *   tape_bench --case int|str [--events N] [--level L] [--block-events N] [--out TAPE]
 *
 * Case int: one probe, two u64 arguments (a counter, a value uniform in [0, 1000)), two threads
 * on two CPUs, timestamp deltas exponential with a 2 us mean, 1% of events delivered up to
 * 100 us late (as the ring buffer does). Case str adds a string argument of 20-60 bytes drawn
 * from 50 distinct values. Prints key=value lines.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "tape_format.h"
#include "tape_reader.h"
#include "tape_writer.h"
#include "tt_error.h"
#include "tt_util.h"

/* The fixed-size record a BPF program would emit for these probes (no ring header). */
struct fixed_rec {
	uint64_t ts_ns, goid;
	uint32_t pid, tid, cpu, seq, probe_id;
	uint16_t fault_mask;
	uint8_t argc, pad0;
	uint64_t args[2];
};
_Static_assert(sizeof(struct fixed_rec) == 56, "fixed record");

struct fixed_str {
	uint32_t len, flags;
	char data[64];
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double rnd_unit(void)
{
	return ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time, and CPU time of this single-threaded process (immune to other load). */
static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static double cpu_s(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* A generated event, compact: the recorder too builds one tt_event at a time from a record. */
struct gen {
	uint64_t ts_ns, counter, value;
	uint32_t seq;
	uint8_t thread, str, pad0[2];
};

static int ev_delivery_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b; /* [delivery time, index] pairs */

	return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (x[1] > y[1]) - (x[1] < y[1]);
}

static char strs[50][64];
static uint32_t str_len[50];

static void to_event(const struct gen *g, int with_str, struct tt_event *e)
{
	e->ts_ns = g->ts_ns;
	e->pid = 1000;
	e->tid = 1001 + g->thread;
	e->cpu = g->thread;
	e->seq = g->seq;
	e->probe_id = 0;
	e->argc = with_str ? 3 : 2;
	e->args[0] = g->counter;
	e->args[1] = g->value;
	if (with_str)
		e->strs[2] = (struct tt_bytes){(const uint8_t *)strs[g->str], str_len[g->str], 0};
}

/* Row-wise alternative: per event, the same values as the columns, interleaved. */
static size_t row_encoded_size(const struct gen *gens, size_t n, int with_str, int level,
			       uint32_t block_events)
{
	uint8_t *buf = malloc((size_t)block_events * 120 + 64), *z;
	size_t total = 0, zcap = ZSTD_compressBound((size_t)block_events * 120 + 64);
	const char *seen[64];
	int str_cnt = 0;

	z = malloc(zcap);
	for (size_t b = 0; b < n; b += block_events) {
		size_t e = TT_MIN(n, b + block_events), len = 0;
		uint64_t prev_ts = 0, prev_c = 0;
		uint32_t prev_seq[2] = {0, 0};

		str_cnt = 0;
		for (size_t i = b; i < e; i++) {
			struct tt_event evb = {0}, *ev = &evb;

			to_event(&gens[i], with_str, ev);

			len += tt_varint_put(buf + len, ev->ts_ns - prev_ts);
			prev_ts = ev->ts_ns;
			buf[len++] = (uint8_t)ev->cpu;
			len += tt_varint_put(buf + len, tt_zigzag((int32_t)(ev->seq - prev_seq[ev->cpu & 1] - 1)));
			prev_seq[ev->cpu & 1] = ev->seq;
			buf[len++] = (uint8_t)(ev->tid & 1);
			len += tt_varint_put(buf + len, tt_zigzag((int64_t)(ev->args[0] - prev_c)));
			prev_c = ev->args[0];
			len += tt_varint_put(buf + len, ev->args[1]);
			if (with_str) {
				int k;

				for (k = 0; k < str_cnt; k++)
					if (seen[k] == (const char *)ev->strs[2].ptr)
						break;
				if (k == str_cnt) {
					seen[str_cnt++] = (const char *)ev->strs[2].ptr;
					buf[len++] = 0;
					buf[len++] = (uint8_t)ev->strs[2].len;
					memcpy(buf + len, ev->strs[2].ptr, ev->strs[2].len);
					len += ev->strs[2].len;
				} else {
					buf[len++] = (uint8_t)(k + 1);
				}
			}
		}
		total += ZSTD_compress(z, zcap, buf, len, level) + TT_TAPE_BLOCK_HDR_SZ + 4;
	}
	free(buf);
	free(z);
	return total;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"case", required_argument, NULL, 'c'},   {"events", required_argument, NULL, 'n'},
		{"level", required_argument, NULL, 'l'},  {"block-events", required_argument, NULL, 'b'},
		{"out", required_argument, NULL, 'o'},    {"alternatives", no_argument, NULL, 'a'},
		{"encode-only", no_argument, NULL, 'e'},  {0},
	};
	const char *out = "/tmp/tape_bench.tape", *cas = "int";
	uint64_t n = 2000000, level = 0, block_events = 0;
	int with_str, c, alternatives = 0, encode_only = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int err = 0;

		switch (c) {
		case 'c': cas = optarg; break;
		case 'n': err = tt_parse_u64(optarg, 1, 100000000, &n); break;
		case 'l': err = tt_parse_u64(optarg, 1, 19, &level); break;
		case 'b': err = tt_parse_u64(optarg, 1, TT_TAPE_BLOCK_RECORDS_MAX, &block_events); break;
		case 'o': out = optarg; break;
		case 'a': alternatives = 1; break;
		case 'e': encode_only = 1; break;
		default: err = -EINVAL;
		}
		if (err) {
			fprintf(stderr, "usage: tape_bench --case int|str [--events N] [--level L] "
					"[--block-events N] [--out TAPE] [--alternatives] [--encode-only]\n");
			return 2;
		}
	}
	with_str = !strcmp(cas, "str");

	/* ---- generate, in delivery order ---- */
	struct gen *gen = calloc(n, sizeof(*gen)), *gens = calloc(n, sizeof(*gens));
	uint64_t (*order)[2] = malloc(n * sizeof(*order));
	uint64_t ts = 1000000000000ULL;
	uint32_t seq[2] = {0, 0};
	struct tt_event ev0 = {0};

	if (!gen || !gens || !order)
		return 1;
	for (int i = 0; i < 50; i++) {
		str_len[i] = 20 + (uint32_t)(rnd() % 41);
		for (uint32_t k = 0; k < str_len[i]; k++)
			strs[i][k] = "abcdefghijklmnopqrstuvwxyz/_-.0123456789"[rnd() % 40];
	}
	for (uint64_t i = 0; i < n; i++) {
		struct gen *g = &gen[i];

		ts += (uint64_t)(-log(rnd_unit()) * 2000.0);
		g->ts_ns = ts;
		g->thread = (uint8_t)(rnd() & 1);
		g->seq = seq[g->thread]++;
		g->counter = i;
		g->value = rnd() % 1000;
		g->str = (uint8_t)(rnd() % 50);
		order[i][0] = ts + (rnd() % 100 == 0 ? rnd() % 100000 : 0);
		order[i][1] = i;
	}
	qsort(order, n, sizeof(*order), ev_delivery_cmp);
	for (uint64_t i = 0; i < n; i++)
		gens[i] = gen[order[i][1]];
	free(order);

	/* ---- encode ---- */
	struct tt_probe_desc p = {.id = 0, .type = TT_PROBE_USDT, .argc = with_str ? 3 : 2,
				  .kinds = {TT_KIND_U64, TT_KIND_U64, TT_KIND_STR},
				  .provider = "bench", .name = with_str ? "request" : "tick",
				  .arg_names = {"counter", "value", "url"}};
	struct tt_tape_writer_opts wo = {.zstd_level = (int)level,
					 .block_events_max = (uint32_t)block_events};
	double t0 = now_s(), t1, t2, c0 = cpu_s(), c1, c2;
	struct tt_tape_writer *w = tt_tape_writer__open(out, &wo);
	int err;

	if (!w) {
		fprintf(stderr, "tape_bench: %s: %s\n", out, tt_strerror(errno));
		return 1;
	}
	err = tt_tape_writer__add_meta(w, "tracetape.version", "bench");
	err = err ? err : tt_tape_writer__add_clock(w, ts, tt_now_real_ns());
	err = err ? err : tt_tape_writer__add_probe(w, &p);
	for (uint64_t i = 0; i < n && !err; i++) {
		to_event(&gens[i], with_str, &ev0);
		err = tt_tape_writer__append(w, &ev0);
	}
	err = err ? err : tt_tape_writer__close(w);
	if (err) {
		fprintf(stderr, "tape_bench: writing %s: %s\n", out, tt_strerror(err));
		return 1;
	}
	t1 = now_s();
	c1 = cpu_s();
	if (encode_only) { /* for profiling the writer alone */
		printf("encode_events_per_s=%.0f\nencode_events_per_cpu_s=%.0f\n", (double)n / (t1 - t0),
		       (double)n / (c1 - c0));
		return 0;
	}

	/* ---- decode to a null sink ---- */
	struct tt_tape_reader *r = tt_tape_reader__open(out, NULL);
	const struct tt_event *ev;
	uint64_t got = 0, sink = 0;

	if (!r) {
		fprintf(stderr, "tape_bench: reading %s: %s\n", out, tt_strerror(errno));
		return 1;
	}
	while ((err = tt_tape_reader__next(r, &ev)) == 1) {
		sink += ev->ts_ns ^ ev->args[1];
		got++;
	}
	t2 = now_s();
	c2 = cpu_s();
	struct tt_tape_status st;

	tt_tape_reader__status(r, &st);
	tt_tape_reader__free(r);
	if (err || got != n) {
		fprintf(stderr, "tape_bench: read %llu of %llu events (%s)\n", (unsigned long long)got,
			(unsigned long long)n, err ? tt_strerror(err) : "short");
		return 1;
	}

	/* ---- the same events as fixed-size records ---- */
	size_t rec_sz = sizeof(struct fixed_rec) + (with_str ? sizeof(struct fixed_str) : 0);
	uint8_t *raw = calloc(n, rec_sz);
	size_t zcap = ZSTD_compressBound(n * rec_sz);
	uint8_t *z = malloc(zcap);
	size_t z1, z3;

	if (!raw || !z)
		return 1;
	for (uint64_t i = 0; i < n; i++) {
		struct tt_event e = {0};

		to_event(&gens[i], with_str, &e);
		struct fixed_rec fr = {e.ts_ns, 0, e.pid, e.tid, e.cpu, e.seq, 0, 0, (uint8_t)e.argc, 0,
				       {e.args[0], e.args[1]}};

		memcpy(raw + i * rec_sz, &fr, sizeof(fr));
		if (with_str) {
			struct fixed_str fs = {e.strs[2].len, 0, {0}};

			memcpy(fs.data, e.strs[2].ptr, e.strs[2].len);
			memcpy(raw + i * rec_sz + sizeof(fr), &fs, sizeof(fs));
		}
	}
	z1 = ZSTD_compress(z, zcap, raw, n * rec_sz, 1);
	z3 = ZSTD_compress(z, zcap, raw, n * rec_sz, 3);

	printf("case=%s\nevents=%llu\n", cas, (unsigned long long)n);
	printf("tape_bytes=%llu\n", (unsigned long long)st.file_bytes);
	printf("tape_bytes_per_event=%.2f\n", (double)st.file_bytes / (double)n);
	printf("encode_events_per_s=%.0f\n", (double)n / (t1 - t0));
	printf("decode_events_per_s=%.0f\n", (double)n / (t2 - t1));
	printf("encode_events_per_cpu_s=%.0f\n", (double)n / (c1 - c0));
	printf("decode_events_per_cpu_s=%.0f\n", (double)n / (c2 - c1));
	printf("raw_record_bytes=%zu\n", rec_sz);
	printf("zstd1_bytes_per_event=%.2f\n", (double)z1 / (double)n);
	printf("zstd3_bytes_per_event=%.2f\n", (double)z3 / (double)n);
	printf("blocks=%llu\n", (unsigned long long)st.blocks);
	if (alternatives) {
		/* the writer sorted each block: time order, as gen[] is, is the fair comparison */
		uint32_t be = block_events ? (uint32_t)block_events : 65536;

		printf("row_zstd3_bytes_per_event=%.2f\n",
		       (double)row_encoded_size(gen, n, with_str, level ? (int)level : 3, be) /
			       (double)n);
	}
	free(raw);
	free(z);
	free(gen);
	free(gens);
	return sink == 42; /* keeps the sink alive */
}
