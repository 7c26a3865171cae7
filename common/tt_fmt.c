/* SPDX-License-Identifier: MIT */
/* Number, time and string formatting for what tracetape prints (see tt_fmt.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tt_fmt.h"
#include "tt_util.h"

char *tt_fmt_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

char *tt_fmt_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return tt_fmt_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return tt_fmt_u64(p, (uint64_t)v);
}

char *tt_fmt_hex(char *p, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	int n = 0;

	*p++ = '0';
	*p++ = 'x';
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

char *tt_fmt_double(char *p, double v, int json)
{
	const char *s = NULL;
	char buf[32];
	int n;

	if (isnan(v))
		s = "nan";
	else if (isinf(v))
		s = v > 0 ? "inf" : "-inf";
	if (s) {
		n = sprintf(p, json ? "\"%s\"" : "%s", s);
		return p + n;
	}
	n = snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		n = snprintf(buf, sizeof(buf), "%.17g", v);
	memcpy(p, buf, (size_t)n);
	return p + n;
}

/* Exactly width digits of v, zero-padded. */
static char *fmt_padded(char *p, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

char *tt_fmt_seconds_us(char *p, uint64_t ns)
{
	p = tt_fmt_u64(p, ns / 1000000000ULL);
	*p++ = '.';
	return fmt_padded(p, ns % 1000000000ULL / 1000, 6);
}

char *tt_fmt_us3(char *p, uint64_t ns)
{
	p = tt_fmt_u64(p, ns / 1000);
	*p++ = '.';
	return fmt_padded(p, ns % 1000, 3);
}

char *tt_fmt_wall(char *p, uint64_t wall_ns, int digits)
{
	time_t secs = (time_t)(wall_ns / 1000000000ULL);
	uint64_t frac = wall_ns % 1000000000ULL;
	struct tm tm;

	gmtime_r(&secs, &tm);
	p += strftime(p, 24, "%Y-%m-%dT%H:%M:%S", &tm);
	*p++ = '.';
	for (int d = digits; d < 9; d++)
		frac /= 10;
	p = fmt_padded(p, frac, digits);
	*p++ = 'Z';
	return p;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if it is not one. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = c & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are not valid */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

enum str_style { STR_TEXT, STR_JSON, STR_BARE };

static char *fmt_str(char *p, const uint8_t *s, size_t n, enum str_style style)
{
	static const char hex[] = "0123456789abcdef";
	int quoted = style != STR_BARE;

	if (quoted)
		*p++ = '"';
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];

		if (c >= 0x20 && c < 0x7f && (!quoted || (c != '"' && c != '\\'))) {
			*p++ = (char)c;
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t k = utf8_len(s + i, n - i);

			/* C1 controls (U+0080..U+009F) steer some terminals: escaped outside JSON */
			if (k == 2 && c == 0xc2 && s[i + 1] < 0xa0 && style != STR_JSON)
				k = 0;
			if (k) {
				memcpy(p, s + i, k);
				p += k;
				i += k;
				continue;
			}
		}
		*p++ = '\\';
		switch (c) {
		case '"': *p++ = '"'; break;
		case '\\': *p++ = '\\'; break;
		case '\n': *p++ = 'n'; break;
		case '\t': *p++ = 't'; break;
		case '\r': *p++ = 'r'; break;
		default:
			if (style == STR_JSON) {
				memcpy(p, "u00", 3);
				p += 3;
			} else {
				*p++ = 'x';
			}
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
		i++;
	}
	if (quoted)
		*p++ = '"';
	return p;
}

char *tt_fmt_str_text(char *p, const uint8_t *s, size_t n)
{
	return fmt_str(p, s, n, STR_TEXT);
}

char *tt_fmt_str_json(char *p, const uint8_t *s, size_t n)
{
	return fmt_str(p, s, n, STR_JSON);
}

char *tt_fmt_str_bare(char *p, const uint8_t *s, size_t n)
{
	return fmt_str(p, s, n, STR_BARE);
}

char *tt_bare_dup(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(TT_FMT_STR_MAX(n) + 1), *e;

	if (!d)
		return NULL;
	e = tt_fmt_str_bare(d, (const uint8_t *)s, n);
	*e = '\0';
	return d;
}

int tt_json_fputs(FILE *f, const char *s, size_t n)
{
	char stack[256], *buf = stack;
	size_t need;
	int err;

	if (!s)
		return fputs("null", f) < 0 ? -EIO : 0;
	need = TT_FMT_STR_MAX(n);
	if (need > sizeof(stack) && !(buf = malloc(need)))
		return -ENOMEM;
	need = (size_t)(tt_fmt_str_json(buf, (const uint8_t *)s, n) - buf);
	err = fwrite(buf, 1, need, f) == need ? 0 : -EIO;
	if (buf != stack)
		free(buf);
	return err;
}

int tt_json_append(struct tt_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int err;

	if (!s)
		return tt_buf_append(b, "null", 4);
	err = tt_buf_reserve(b, TT_FMT_STR_MAX(n));
	if (err)
		return err;
	b->len = (size_t)(tt_fmt_str_json((char *)b->data + b->len, (const uint8_t *)s, n) -
			  (char *)b->data);
	return 0;
}
