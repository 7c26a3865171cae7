/* SPDX-License-Identifier: MIT */
/*
 * `tracetape report --format json`: the report's model (analyzer/report.h) as one JSON object,
 * for scripts and dashboards. Times are integer nanoseconds (fields ending in _ns, and ts_*:
 * CLOCK_MONOTONIC of the capture), rates per second; strings are exact (JSON-escaped).
 */
#ifndef TT_REPORT_JSON_H
#define TT_REPORT_JSON_H

#include <stdio.h>

#include "report.h"

/* Write r as JSON to f. Returns 0, or -EIO when writing failed. */
int tt_report_json(const struct tt_report *r, const struct tt_report_opts *o, FILE *f);

#endif /* TT_REPORT_JSON_H */
