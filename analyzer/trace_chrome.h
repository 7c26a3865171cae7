/* SPDX-License-Identifier: MIT */
/*
 * A loaded capture as a Chrome trace (Trace Event Format JSON) that Perfetto UI opens as it
 * should: names once, spans from load's engine, thread states and syscalls as slices,
 * absolute timestamps (trace_chrome.c says what goes where and why).
 */
#ifndef TT_TRACE_CHROME_H
#define TT_TRACE_CHROME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "tt_out.h"

struct tt_chrome_opts {
	const char *const *globs; /* keep only probes (and spans whose start probe) match one of
	                             these PROVIDER:NAME globs; none: all (borrowed) */
	size_t glob_cnt;
	const uint32_t *pids;     /* keep only these processes; none: all (borrowed) */
	size_t pid_cnt;
	uint64_t from_ns, to_ns;  /* keep what starts from from_ns to to_ns (have_to; else to the
	                             end) after the capture's first event */
	int have_to;
	const struct tt_out *out;
};

/*
 * Write the capture in db (a tracetape database, borrowed) to f as one JSON object. Returns 0,
 * -EIO (a write failed), -ENOMEM or -TT_E_SQL (said through o->out).
 */
int tt_trace_chrome(sqlite3 *db, const struct tt_chrome_opts *o, FILE *f);

#endif /* TT_TRACE_CHROME_H */
