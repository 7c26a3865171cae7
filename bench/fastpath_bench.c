/* SPDX-License-Identifier: MIT */
/*
 * bench/fastpath_bench N two|str|heap|mapped [--rate R|max]: fire one probe N times in a tight loop from one
 * thread, and print what an iteration cost: ns_per_hit in this thread's CPU time (user and
 * kernel: a trap and its BPF program run on the thread's time), wall_ns_per_hit, and the rate
 * achieved. `two` is a probe with two integers (a counter and a value in [0, 1000)), `str` one
 * with a string (one of eight words, 4 to 11 bytes) and an integer; `heap` and `mapped` are
 * `str` with the words copied to malloc's brk heap and to an anonymous mapping (where a
 * thread's malloc arena is): the fast path reads the first directly, the second through the
 * kernel (see fastpath.h).
 *
 * Built twice by bench/meson.build: fastpath_bench with tracetape's probes and -DTT_FASTPATH
 * (recorded by `tracetape record --fast` through shared memory, or without --fast through
 * uprobes and BPF: the same binary), and, where liblttng-ust-dev is installed,
 * fastpath_bench_lttng with LTTng-UST tracepoints of the same payloads (bench/lttng_tp.h).
 * One hit comes before the clock starts (the first hit of a thread is where a tool sets the
 * thread up). With --rate it paces the hits to R per second (busy-waiting on the clock), for the zero-loss
 * measurement; --rate max fires as fast as it can.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#ifdef WITH_LTTNG
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "lttng_tp.h"
#define FIRE_TWO(a, b) lttng_ust_tracepoint(ttbench, two, a, b)
#define FIRE_STR(s, b) lttng_ust_tracepoint(ttbench, str, s, b)
#else
#include <tracetape/probe.h>
#define FIRE_TWO(a, b) TT_PROBE(ttbench, two, a, b)
#define FIRE_STR(s, b) TT_PROBE(ttbench, str, s, b)
#endif

static const char *const words[8] = {"alpha", "bravo", "charlie", "delta",
				      "echo-echo", "foxtrot", "golf", "hotel-india"};

static double clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static unsigned seed = 12345;

static long next_value(void)
{
	seed = seed * 1103515245u + 12345u;
	return (long)((seed >> 8) % 1000);
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? strtol(argv[1], NULL, 10) : 0;
	int heap = argc > 2 && !strcmp(argv[2], "heap");
	int mapped = argc > 2 && !strcmp(argv[2], "mapped");
	int str = heap || mapped || (argc > 2 && !strcmp(argv[2], "str"));
	char *m = mapped ? mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0) : NULL;
	const char *w[8];
	int paced = argc > 4 && !strcmp(argv[3], "--rate");
	double rate = paced && strcmp(argv[4], "max") ? strtod(argv[4], NULL) : 0;
	double t0, c0, c1, t1;

	if (n <= 0 || (!str && strcmp(argv[2], "two")) || (paced && strcmp(argv[4], "max") &&
							      rate <= 0)) {
		fprintf(stderr,
			"usage: fastpath_bench N two|str|heap|mapped [--rate HITS_PER_SECOND|max]\n");
		return 2;
	}
	if (m == MAP_FAILED)
		return 1;
	for (int i = 0; i < 8; i++) {
		w[i] = heap ? strdup(words[i]) : m ? strcpy(m + 16 * i, words[i]) : words[i];
		if (!w[i])
			return 1;
	}
	/* One hit before the clock starts: what a tool does once per thread (tracetape's fast
	 * path claims and faults in a ring, LTTng-UST registers the thread) is not per event. */
	if (str)
		FIRE_STR(w[0], -1L);
	else
		FIRE_TWO(-1L, 0L);
	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < n; i++) {
		long v = next_value();

		if (str)
			FIRE_STR(w[v & 7], i);
		else
			FIRE_TWO(i, v);
		while (rate > 0 && clock_ns(CLOCK_MONOTONIC) < t0 + (double)(i + 1) * 1e9 / rate)
			;
	}
	c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	t1 = clock_ns(CLOCK_MONOTONIC);
	printf("ns_per_hit=%.1f\nwall_ns_per_hit=%.1f\nrate=%.0f\n", (c1 - c0) / (double)n,
	       (t1 - t0) / (double)n, (double)n * 1e9 / (t1 - t0));
	return 0;
}
