/* SPDX-License-Identifier: MIT */
/*
 * The report (report.h) of a ClickHouse database that `load --into` filled: the same model
 * tt_report__build() makes of an SQLite one, so every renderer (text, HTML, JSON) and `diff`
 * work unchanged, with the statistics computed by the server. Nothing row by row comes to the
 * client but the rows the report lists (the slowest and open spans, their events, the loss
 * windows, the HTML's sampled points) and, with --by on statements, each distinct statement
 * once with its count (normalized here, as the SQLite report does).
 */
#ifndef TT_CH_REPORT_H
#define TT_CH_REPORT_H

#include "ch_url.h"
#include "report.h"

/*
 * Read the database of u into a new report (source names it). Returns 0 and sets *rep (free
 * with tt_report__free), -TT_E_USAGE for a --by or --value naming nothing, -TT_E_SERVER for a
 * server that failed or cannot be reached, -TT_E_BAD_MAGIC when the database holds no
 * tracetape schema, -TT_E_VERSION for a newer one (each said through o->out), or -ENOMEM.
 */
int tt_ch_report__build(const struct tt_ch_url *u, const char *source,
			const struct tt_report_opts *o, struct tt_report **rep);

#endif /* TT_CH_REPORT_H */
