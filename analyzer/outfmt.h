/* SPDX-License-Identifier: MIT */
/*
 * Formatting helpers for what the analyzer prints (info, replay): integers, hex, floats, times
 * and strings escaped for text or JSON. They write at a cursor into memory the caller has
 * reserved (the bounds below say how much), because replay formats millions of events per second
 * and stdio's printf is the slow part of that. Each returns the cursor after what it wrote.
 */
#ifndef TT_OUTFMT_H
#define TT_OUTFMT_H

#include <stddef.h>
#include <stdint.h>

#include "tt_event.h"
#include "tt_names.h" /* tt_kind_name() */

/* Most bytes any of the number and time formatters writes. */
#define TT_FMT_NUM_MAX 40
/* Most bytes an escaped string of n input bytes takes (JSON: \u00XX, 6 per byte), quotes included. */
#define TT_FMT_STR_MAX(n) (6 * (size_t)(n) + 2)

/* Decimal, with a '-' for negative values of the signed form. */
char *tt_fmt_u64(char *p, uint64_t v);
char *tt_fmt_i64(char *p, int64_t v);
/* "0x" and lower-case hex digits. */
char *tt_fmt_hex(char *p, uint64_t v);
/*
 * The shortest of %.15g / %.17g that reads back as the same double. Not finite: "nan", "inf",
 * "-inf" (json nonzero: as JSON strings, since JSON has no such numbers).
 */
char *tt_fmt_double(char *p, double v, int json);
/* Seconds with microseconds, e.g. "12.345678" (ns truncated to us). */
char *tt_fmt_seconds_us(char *p, uint64_t ns);
/* UTC wall-clock time, ISO 8601 with digits fractional digits (3, 6 or 9): "2024-05-01T12:00:00.123456Z". */
char *tt_fmt_wall(char *p, uint64_t wall_ns, int digits);
/* Microseconds with 3 decimals (Chrome trace "ts"), e.g. "1234.567". */
char *tt_fmt_us3(char *p, uint64_t ns);

/*
 * A double-quoted string: text escapes (\" \\ \n \t \r \xHH) or JSON escapes (\u00XX). Valid
 * UTF-8 passes through (in text, except the C1 controls U+0080..U+009F); other bytes are escaped
 * one by one (\xHH, or as U+0080..U+00FF in JSON).
 */
char *tt_fmt_str_text(char *p, const uint8_t *s, size_t n);
char *tt_fmt_str_json(char *p, const uint8_t *s, size_t n);
/*
 * Text shown bare (names, metadata, command lines): no quotes, only control characters escaped
 * as in tt_fmt_str_text, so that what a tape holds cannot steer the terminal or break lines.
 * tt_bare_dup() returns it as a malloc'd string (NULL when out of memory).
 */
char *tt_fmt_str_bare(char *p, const uint8_t *s, size_t n);
char *tt_bare_dup(const char *s);

/* The name of argument i of probe d: its declared name, or "argI" when unnamed or repeated. */
const char *tt_arg_name(const struct tt_probe_desc *d, int i, char buf[16]);

/*
 * A probe's label as info, replay and report print it and as their PROBE globs match it:
 * "provider:name", and "provider:name:return" for the returns of a Go function
 * (TT_PROBE_GO_RETURN), whose entry probe has the same provider and name. NULL provider or name
 * reads "?". Returns a malloc'd string, NULL when out of memory.
 */
char *tt_probe_label(const char *provider, const char *name, unsigned type);


#endif /* TT_OUTFMT_H */
