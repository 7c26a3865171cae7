/* SPDX-License-Identifier: MIT */
/*
 * bench/kbench: the workloads of bench/sections/50-kernel.sh, which measures what recording the
 * kernel's syscall and scheduler tracepoints costs the program being recorded.
 *
 *   kbench getpid N      N getpid calls through syscall(2) (glibc would cache getpid())
 *   kbench pingpong N    two threads pass a token N times back and forth through two pipes,
 *                        both pinned to one CPU: every hand-over is one context switch from
 *                        the thread that blocks to the one it woke, 2 N switches in all
 *
 * The process is pinned to CPU 0 (pingpong: both threads), so a tracer's own work runs on the
 * other CPUs. It prints, per operation (a syscall; a context switch):
 *   cpu_ns_per_op=   CPU time of the whole process (CLOCK_PROCESS_CPUTIME_ID: user + kernel,
 *                    the tracepoints' BPF programs and perf's handlers included) / operations
 *   wall_ns_per_op=  wall-clock time / operations (also counts time spent waiting for the CPU)
 *   ops=             operations
 * Exit status 0, 1 when a call failed, 2 for a bad command line.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long rounds;
static int ab[2], ba[2];

static double clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *bouncer(void *arg)
{
	char c;

	(void)arg;
	for (long i = 0; i < rounds; i++)
		if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
			return (void *)1;
	return NULL;
}

int main(int argc, char **argv)
{
	double c0, t0, c1, t1, ops;
	cpu_set_t one;
	char *end;
	long n;

	if (argc != 3 || (strcmp(argv[1], "getpid") && strcmp(argv[1], "pingpong"))) {
		fprintf(stderr, "usage: kbench getpid|pingpong N\n");
		return 2;
	}
	n = strtol(argv[2], &end, 10);
	if (*end || n < 1) {
		fprintf(stderr, "kbench: N must be a positive number\n");
		return 2;
	}
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one)) /* the threads created later inherit it */
		perror("kbench: sched_setaffinity (not pinned)");
	if (!strcmp(argv[1], "getpid")) {
		c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		t0 = clock_ns(CLOCK_MONOTONIC);
		for (long i = 0; i < n; i++)
			if (syscall(SYS_getpid) <= 0)
				return 1;
		t1 = clock_ns(CLOCK_MONOTONIC);
		c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		ops = (double)n;
	} else {
		pthread_t th;
		void *ret;
		char c = 'x';

		rounds = n;
		if (pipe(ab) || pipe(ba) || pthread_create(&th, NULL, bouncer, NULL)) {
			perror("kbench: pipe or thread");
			return 1;
		}
		c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		t0 = clock_ns(CLOCK_MONOTONIC);
		for (long i = 0; i < n; i++)
			if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
				return 1;
		t1 = clock_ns(CLOCK_MONOTONIC);
		c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		pthread_join(th, &ret);
		if (ret)
			return 1;
		ops = 2.0 * (double)n;
	}
	printf("cpu_ns_per_op=%.1f\nwall_ns_per_op=%.1f\nops=%.0f\n", (c1 - c0) / ops, (t1 - t0) / ops, ops);
	return 0;
}
