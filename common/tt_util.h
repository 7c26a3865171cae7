/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every part of tracetape uses: checked number parsing for user input, a growable
 * byte buffer, LEB128 varints and zigzag encoding for the tape, and glob matching for probe specs.
 */
#ifndef TT_UTIL_H
#define TT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TT_MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * Parse a whole string as an unsigned/signed decimal (or 0x hex) number within [min, max].
 * Return 0, or -EINVAL (not a number, trailing characters) or -ERANGE (out of bounds).
 */
int tt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *res);
int tt_parse_i64(const char *s, int64_t min, int64_t max, int64_t *res);
/* A size with an optional binary suffix K, M, G (KiB, MiB, GiB): "64M" -> 67108864. */
int tt_parse_size(const char *s, uint64_t *bytes);
/*
 * A duration -> nanoseconds: a decimal number with an optional fraction and an optional unit
 * ns, us, ms, s (the default), m, h: "30", "1.5s", "250ms", "0.5h". The fraction is exact
 * (rounded to the nearest ns). Returns 0, -EINVAL for anything else (a sign, a blank, an
 * exponent, an unknown unit, "1.") or -ERANGE above INT64_MAX ns (292 years). The one parser
 * of every duration a command takes.
 */
int tt_parse_duration(const char *s, uint64_t *ns);
/* A non-negative decimal number with an optional fraction, e.g. "0.5" or "10" (for --speed). */
int tt_parse_double(const char *s, double min, double max, double *res);

/*
 * Read a small file (a /proc or /sys entry) into buf as a string: trailing newlines and NULs
 * dropped, inner NULs turned into spaces when nul_to_space (a /proc/PID/cmdline). Returns 0 or
 * a negative errno.
 */
int tt_read_small_file(const char *path, char *buf, size_t buf_sz, int nul_to_space);

/* fnmatch(3) glob semantics without flags: '*', '?', '[...]'. */
bool tt_glob_match(const char *pattern, const char *s);
/*
 * Does a probe pattern match provider:name? The pattern is "[PROVIDER:]GLOB", or alternatives
 * of that form joined by '|'; an alternative without ':' matches the name in any provider.
 * Used by span rules and provider-file pragmas.
 */
bool tt_probe_pattern_match(const char *pattern, const char *provider, const char *name);

/*
 * Make the array *arr (capacity *cap elements of elem_sz bytes) hold at least want elements,
 * doubling from 16; the new elements are zeroed. Returns 0, or -ENOMEM with *arr and *cap
 * unchanged.
 */
int tt_grow(void **arr, size_t *cap, size_t want, size_t elem_sz);

/* A growable byte buffer. Zero-initialise; tt_buf_free() releases it and accepts an empty one. */
struct tt_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Make room for at least extra more bytes. Returns 0 or -ENOMEM. */
int tt_buf_reserve(struct tt_buf *b, size_t extra);
int tt_buf_append(struct tt_buf *b, const void *p, size_t n);
int tt_buf_printf(struct tt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tt_buf_free(struct tt_buf *b);

/* A message into a caller's buffer (an error text out of a parser), cut to fit; nothing when
 * buf is NULL or sz is 0, so callers may pass an optional buffer straight through. */
void tt_msgf(char *buf, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Unsigned LEB128: at most 10 bytes for a u64. The caller guarantees room (tt_buf_reserve). */
static inline size_t tt_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/*
 * Read one varint from [*p, end). Returns 0 and advances *p, or -1 when the input ends inside
 * the varint or the varint is longer than 10 bytes.
 */
static inline int tt_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t r = 0;
	unsigned shift = 0;

	if (q < end && *q < 0x80) { /* fast path: one byte */
		*v = *q;
		*p = q + 1;
		return 0;
	}
	while (q < end && shift < 64) {
		uint8_t b = *q++;

		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			*p = q;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

static inline uint64_t tt_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t tt_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Little-endian loads and stores of fixed-width integers at any alignment. */
static inline uint16_t tt_get_le16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t tt_get_le32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t tt_get_le64(const void *p)
{
	return tt_get_le32(p) | (uint64_t)tt_get_le32((const uint8_t *)p + 4) << 32;
}

static inline void tt_put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void tt_put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void tt_put_le64(void *p, uint64_t v)
{
	tt_put_le32(p, (uint32_t)v);
	tt_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/* Monotonic and realtime clocks in nanoseconds. */
uint64_t tt_now_mono_ns(void);
uint64_t tt_now_real_ns(void);

#endif /* TT_UTIL_H */
