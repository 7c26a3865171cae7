/* SPDX-License-Identifier: MIT */
/*
 * The cost of a probe nobody traces, measured in instructions by bench/sections/10-sdk.sh under
 * valgrind --tool=callgrind. Each function runs the same loop with a different body; the loops
 * are kept out of line and free of calls so that callgrind's per-function instruction count is
 * exactly the loop's, and a volatile store keeps the compiler from folding the loop away.
 *
 *   sdk_bench ITERATIONS
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sdt.h>

#include <tracetape/probe.h>

#define NOINLINE __attribute__((noinline))

/* clang unrolls the loop without a probe (and only that one): compare like with like. */
#ifdef __clang__
#define NO_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define NO_UNROLL _Pragma("GCC unroll 1")
#endif

static volatile long sink;
static char name[] = "bench";

NOINLINE static void loop_baseline(long n)
{
	NO_UNROLL for (long i = 0; i < n; i++)
		sink = i;
}

NOINLINE static void loop_sdt_1(long n)
{
	NO_UNROLL for (long i = 0; i < n; i++) {
		sink = i;
		DTRACE_PROBE1(bench, sdt1, i);
	}
}

NOINLINE static void loop_tt_1(long n)
{
	NO_UNROLL for (long i = 0; i < n; i++) {
		sink = i;
		TT_PROBE(bench, tt1, i);
	}
}

NOINLINE static void loop_sdt_4(long n)
{
	NO_UNROLL for (long i = 0; i < n; i++) {
		sink = i;
		DTRACE_PROBE4(bench, sdt4, i, n, name, &sink);
	}
}

NOINLINE static void loop_tt_4(long n)
{
	NO_UNROLL for (long i = 0; i < n; i++) {
		sink = i;
		TT_PROBE(bench, tt4, i, n, name, &sink);
	}
}

NOINLINE static void loop_tt_guarded(long n)
{
	NO_UNROLL for (long i = 0; i < n; i++) {
		sink = i;
		if (TT_PROBE_ENABLED(bench, guarded))
			TT_PROBE(bench, guarded, i);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;

	loop_baseline(n);
	loop_sdt_1(n);
	loop_tt_1(n);
	loop_sdt_4(n);
	loop_tt_4(n);
	loop_tt_guarded(n);
	printf("%ld\n", (long)sink);
	return 0;
}
