/* SPDX-License-Identifier: MIT */
/*
 * bench/hit N: fire a two-argument USDT probe (a counter and a value in [0, 1000)) N times in
 * a tight loop and print the mean cost of one iteration in nanoseconds of this thread's CPU
 * time, user and kernel ("ns_per_hit=...", the trap and the BPF program run on the thread's
 * own time), and in wall-clock time ("wall_ns_per_hit=...", which also counts the time the
 * thread waited for a CPU: on a loaded machine that includes the tracer's own work).
 * With --rate R it paces itself to R hits per second instead (busy-waiting on the clock), for
 * the zero-loss measurements, and prints the rate it achieved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tracetape/probe.h>

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

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	double rate = argc > 3 && !strcmp(argv[2], "--rate") ? atof(argv[3]) : 0;
	unsigned seed = 12345;
	double c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = now_ns(), t1, c1;

	for (long i = 0; i < n; i++) {
		long v;

		seed = seed * 1103515245u + 12345u;
		v = (long)((seed >> 8) % 1000);
		TT_PROBE(bench, hit, i, v);
		if (rate > 0)
			while (now_ns() < t0 + (double)(i + 1) * 1e9 / rate)
				;
	}
	t1 = now_ns();
	c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	printf("ns_per_hit=%.1f\nwall_ns_per_hit=%.1f\nrate=%.0f\n", (c1 - c0) / (double)n,
	       (t1 - t0) / (double)n, (double)n * 1e9 / (t1 - t0));
	return 0;
}
