/* SPDX-License-Identifier: MIT */
/*
 * A tail capture's counters into the database: the "keep_spans" metadata of a tape
 * (schemas/tape_keep.h) becomes rows of keep_spans (per span name: seen, kept, dropped,
 * unclosed) and keep_hist (the duration histogram of every span, kept and dropped).
 */
#ifndef TT_LOAD_KEEP_H
#define TT_LOAD_KEEP_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "tt_out.h"

/*
 * Insert the lines of value (a "keep_spans" meta value) for tape. Lines of another version are
 * skipped; malformed ones are skipped and counted in *bad. Returns 0, -ENOMEM or -TT_E_SQL
 * (said through out).
 */
int tt_load_keep(sqlite3 *db, int64_t tape, const char *value, size_t *bad,
		 const struct tt_out *out);

#endif /* TT_LOAD_KEEP_H */
