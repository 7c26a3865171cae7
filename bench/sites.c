/* SPDX-License-Identifier: MIT */
/*
 * bench/sites: a program with 1,000 USDT sites, for measuring what attaching and detaching
 * that many sites costs on each attach path (bench/sections/35-kernels.sh). The sites are
 * 1,000 distinct one-argument probes many:p000 .. many:p999 (each with its own semaphore, as
 * every TT_PROBE has), all behind a condition that is never true at run time (argc is never
 * negative), so running the program fires nothing: it prints the number of sites it carries
 * and exits. The names come from token pasting, so that the count is exact by construction.
 */
#include <stdio.h>

#include <tracetape/probe.h>

#define SITE(n) TT_PROBE(many, p##n, argc);
#define SITES10(n)                                                                          \
	SITE(n##0) SITE(n##1) SITE(n##2) SITE(n##3) SITE(n##4)                              \
	SITE(n##5) SITE(n##6) SITE(n##7) SITE(n##8) SITE(n##9)
#define SITES100(n)                                                                         \
	SITES10(n##0) SITES10(n##1) SITES10(n##2) SITES10(n##3) SITES10(n##4)               \
	SITES10(n##5) SITES10(n##6) SITES10(n##7) SITES10(n##8) SITES10(n##9)

int main(int argc, char **argv)
{
	(void)argv;
	if (argc < 0) {
		SITES100(0) SITES100(1) SITES100(2) SITES100(3) SITES100(4)
		SITES100(5) SITES100(6) SITES100(7) SITES100(8) SITES100(9)
	}
	printf("sites=1000\n");
	return 0;
}
