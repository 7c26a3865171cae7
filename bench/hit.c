/* SPDX-License-Identifier: MIT */
/*
 * bench/hit N: fire the two-argument USDT probe bench:hit (a counter and a value in [0, 1000))
 * N times in a tight loop, and the identical probe bench:ref as many times, in alternating
 * blocks of BLOCK hits. The benchmark traces bench:hit with the tool it measures and bench:ref
 * with the empty BPF program (bench/bpf_empty), so that the two costs come from the same
 * seconds of the same process: on a shared machine, whose speed drifts by tens of percent
 * from one second to the next, a ratio of two separate runs says more about the drift than
 * about the tool.
 *
 * Prints, in nanoseconds of this thread's CPU time (user and kernel: the trap and the BPF
 * program run on the thread's own time) per iteration: ns_per_hit (bench:hit), ref_ns_per_hit
 * (bench:ref), and ratio, their quotient. wall_ns_per_hit is the wall-clock time of an
 * iteration of either probe, which also counts the time the thread waited for a CPU (on a
 * loaded machine that includes the tracer's own work); rate is bench:hit's hits per second of
 * the whole run.
 *
 * With --rate R it fires only bench:hit, paced to R hits per second (busy-waiting on the
 * clock), for the zero-loss measurements, and prints the rate it achieved; --rate max fires it
 * as fast as it can.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tracetape/probe.h>

#define BLOCK 10000 /* a few milliseconds: far shorter than the machine's drifts */

static double clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static unsigned seed = 12345;

static long next_value(void)
{
	seed = seed * 1103515245u + 12345u;
	return (long)((seed >> 8) % 1000);
}

/* Fire bench:hit (ref == 0) or bench:ref n times from i0; returns the thread CPU ns spent. */
static double block(long i0, long n, int ref)
{
	double c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	/* Two loops, not a branch per hit: each block runs the same code as the other. */
	if (ref)
		for (long i = i0; i < i0 + n; i++)
			TT_PROBE(bench, ref, i, next_value());
	else
		for (long i = i0; i < i0 + n; i++)
			TT_PROBE(bench, hit, i, next_value());
	return clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	int only_hit = argc > 3 && !strcmp(argv[2], "--rate");
	double rate = only_hit && strcmp(argv[3], "max") ? atof(argv[3]) : 0;
	double t0 = now_ns(), t1, hit_ns = 0, ref_ns = 0;
	long iters = n;

	if (n <= 0 || (only_hit && strcmp(argv[3], "max") && rate <= 0)) {
		fprintf(stderr, "usage: hit N [--rate HITS_PER_SECOND|max]\n");
		return 2;
	}
	if (only_hit) {
		double c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

		for (long i = 0; i < n; i++) {
			TT_PROBE(bench, hit, i, next_value());
			while (rate > 0 && now_ns() < t0 + (double)(i + 1) * 1e9 / rate)
				;
		}
		hit_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	} else {
		for (long done = 0; done < n; done += BLOCK) {
			long k = n - done < BLOCK ? n - done : BLOCK;

			hit_ns += block(done, k, 0);
			ref_ns += block(done, k, 1);
		}
		iters = 2 * n;
	}
	t1 = now_ns();
	printf("ns_per_hit=%.1f\n", hit_ns / (double)n);
	if (ref_ns > 0)
		printf("ref_ns_per_hit=%.1f\nratio=%.4f\n", ref_ns / (double)n, hit_ns / ref_ns);
	printf("wall_ns_per_hit=%.1f\nrate=%.0f\n", (t1 - t0) / (double)iters,
	       (double)n * 1e9 / (t1 - t0));
	return 0;
}
