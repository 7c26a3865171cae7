/* SPDX-License-Identifier: MIT */
/*
 * The ClickHouse side of `load`, `query` and `report` (cmd_ch.c): what they do when the database is a
 * clickhouse:// URL. Both exist in every build; without libcurl (TT_HAVE_CLICKHOUSE unset) they
 * say that this tracetape was built without ClickHouse and fail.
 */
#ifndef TT_CMD_CH_H
#define TT_CMD_CH_H

#include <stddef.h>
#include <stdio.h>

#include "loader.h"
#include "report.h"
#include "tt_out.h"

/* `load --into URL TAPE...`: tapes[0..tape_cnt), span rules and output in lo. */
int tt_cmd_load_ch(const char *url, char *const *tapes, size_t tape_cnt,
		   const struct tt_load_opts *lo, const struct tt_out *out);

/* `query URL SQL`: fmt "table", "csv" or "json"; the rows go to f. */
int tt_cmd_query_ch(const char *url, const char *sql, const char *fmt, FILE *f,
		    const struct tt_out *out);

/* `report URL`: the report's model of the database at url (report.h, ch_report.h) into *rep. */
int tt_cmd_report_ch(const char *url, const struct tt_report_opts *ro, struct tt_report **rep,
		     const struct tt_out *out);

#endif /* TT_CMD_CH_H */
