/* SPDX-License-Identifier: MIT */
/*
 * LTTng-UST tracepoints with the payloads of bench/fastpath_bench.c's tracetape probes: two
 * integers, and a string and an integer. Included by fastpath_bench.c built with WITH_LTTNG.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER ttbench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./lttng_tp.h"

#if !defined(TT_BENCH_LTTNG_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define TT_BENCH_LTTNG_TP_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(ttbench, two, LTTNG_UST_TP_ARGS(long, i, long, v),
			   LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(long, i, i)
						       lttng_ust_field_integer(long, v, v)))

LTTNG_UST_TRACEPOINT_EVENT(ttbench, str, LTTNG_UST_TP_ARGS(const char *, s, long, i),
			   LTTNG_UST_TP_FIELDS(lttng_ust_field_string(s, s)
						       lttng_ust_field_integer(long, i, i)))

#endif

#include <lttng/tracepoint-event.h>
