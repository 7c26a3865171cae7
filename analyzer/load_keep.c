/* SPDX-License-Identifier: MIT */
/*
 * A tail capture's counters into keep_spans and keep_hist (see load_keep.h). Several tapes of
 * one recording (rotation) each carry their own counts: the tables have a row per tape, and
 * sums over tapes are the recording's.
 */
#include <errno.h>
#include <string.h>

#include "db_schema.h"
#include "load_keep.h"
#include "tape_keep.h"
#include "tt_error.h"
#include "tt_util.h"

static int insert_counts(sqlite3 *db, sqlite3_stmt *sp, sqlite3_stmt *sh, int64_t tape,
			 const struct tt_keep_counts *c, const struct tt_out *out)
{
	int err;

	sqlite3_reset(sp);
	sqlite3_bind_int64(sp, 1, tape);
	sqlite3_bind_text(sp, 2, c->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(sp, 3, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(sp, 4, (int64_t)c->seen);
	sqlite3_bind_int64(sp, 5, (int64_t)c->kept);
	sqlite3_bind_int64(sp, 6, (int64_t)c->dropped);
	sqlite3_bind_int64(sp, 7, (int64_t)c->unclosed);
	err = tt_db_step_done(db, sp, "cannot insert into keep_spans", out);
	for (uint32_t i = 0; !err && i < TT_KEEP_BUCKETS; i++) {
		if (!c->hist[i])
			continue;
		sqlite3_reset(sh);
		sqlite3_bind_int64(sh, 1, tape);
		sqlite3_bind_text(sh, 2, c->provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(sh, 3, c->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(sh, 4, i);
		sqlite3_bind_int64(sh, 5, (int64_t)tt_keep_bucket_lo(i));
		sqlite3_bind_int64(sh, 6, (int64_t)TT_MIN(tt_keep_bucket_hi(i), (uint64_t)INT64_MAX));
		sqlite3_bind_int64(sh, 7, (int64_t)c->hist[i]);
		err = tt_db_step_done(db, sh, "cannot insert into keep_hist", out);
	}
	return err;
}

int tt_load_keep(sqlite3 *db, int64_t tape, const char *value, size_t *bad,
		 const struct tt_out *out)
{
	sqlite3_stmt *sp = NULL, *sh = NULL;
	int err = tt_db_prepare(db, "INSERT OR REPLACE INTO keep_spans (tape, provider, name, seen, "
				"kept, dropped, unclosed) VALUES (?, ?, ?, ?, ?, ?, ?)", 0, &sp, out);

	if (!err)
		err = tt_db_prepare(db, "INSERT OR REPLACE INTO keep_hist (tape, provider, name, "
				    "bucket, lo_ns, hi_ns, count) VALUES (?, ?, ?, ?, ?, ?, ?)", 0,
				    &sh, out);
	for (const char *p = value; !err && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct tt_keep_counts c;
		int rc = tt_keep_counts_parse(p, len, &c);

		if (rc == -ENOMEM)
			err = rc;
		else if (rc < 0)
			(*bad)++;
		else if (rc == 0)
			err = insert_counts(db, sp, sh, tape, &c, out);
		tt_keep_counts_free(&c);
		p += len + (nl ? 1 : 0);
	}
	sqlite3_finalize(sp);
	sqlite3_finalize(sh);
	return err;
}
