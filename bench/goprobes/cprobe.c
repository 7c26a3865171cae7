/* SPDX-License-Identifier: MIT */
/*
 * The C side of bench/sections/62-goprobes.sh: N iterations of a loop that fires
 * gpbench:query(id, sql) with TT_PROBE, the same probe and arguments as bench/goprobes fires
 * from Go, printing the CPU and wall nanoseconds of one iteration.
 *
 *     cprobe N
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <tracetape/probe.h>

static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static double wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	char *end;
	long long n = argc == 2 ? strtoll(argv[1], &end, 10) : 0;
	volatile long long sink = 0;
	const char *sql = "SELECT 1";
	double c0, t0;

	if (argc != 2 || *end || n <= 0) {
		fprintf(stderr, "usage: cprobe N\n");
		return 2;
	}
	c0 = cpu_ns();
	t0 = wall_ns();
	for (long long i = 0; i < n; i++) {
		sink += i;
		TT_PROBE(gpbench, query, (int64_t)i, sql);
	}
	printf("ns_per_iter=%.3f\nwall_ns_per_iter=%.3f\n", (cpu_ns() - c0) / n, (wall_ns() - t0) / n);
	return 0;
}
