/* SPDX-License-Identifier: MIT */
/*
 * Formatting of what tracetape prints: integers, hex, floats, times, and strings escaped for
 * text, bare text or JSON: the one escaper of the project, so that every JSON output is valid
 * (invalid UTF-8 bytes escaped) and no text output lets a tape's bytes steer a terminal. The
 * formatters write at a cursor into memory the caller has reserved (the bounds below say how
 * much), because replay formats millions of events per second and stdio's printf is the slow
 * part of that. Each returns the cursor after what it wrote.
 */
#ifndef TT_FMT_H
#define TT_FMT_H

#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

struct tt_buf;

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

/* A JSON string of n bytes of s (NULL: null) written to f. Returns 0, -EIO or -ENOMEM. */
int tt_json_fputs(FILE *f, const char *s, size_t n);

/* The NUL-terminated s as a JSON string (NULL: null) appended to b. Returns 0 or -ENOMEM. */
int tt_json_append(struct tt_buf *b, const char *s);

#endif /* TT_FMT_H */
