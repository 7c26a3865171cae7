/* SPDX-License-Identifier: MIT */
/* Checked parsing of user input, growable buffers, globbing and clocks (see tt_util.h). */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tt_util.h"

int tt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *res)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*res = v;
	return 0;
}

int tt_parse_i64(const char *s, int64_t min, int64_t max, int64_t *res)
{
	long long v;
	char *end;

	if (!s || !*s || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*res = v;
	return 0;
}

int tt_parse_double(const char *s, double min, double max, double *res)
{
	double v;
	char *end;

	if (!s || !*s || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end || isnan(v))
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*res = v;
	return 0;
}

/* Split "123ms" into a number and a unit; the number must be a plain unsigned decimal. */
static int split_unit(const char *s, uint64_t *num, const char **unit)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	*num = v;
	*unit = end;
	return 0;
}

static int scale(uint64_t num, uint64_t mul, uint64_t *res)
{
	if (mul && num > UINT64_MAX / mul)
		return -ERANGE;
	*res = num * mul;
	return 0;
}

int tt_parse_size(const char *s, uint64_t *bytes)
{
	static const struct {
		const char *unit;
		uint64_t mul;
	} units[] = {
		{"", 1}, {"B", 1}, {"K", 1ULL << 10}, {"KiB", 1ULL << 10}, {"M", 1ULL << 20},
		{"MiB", 1ULL << 20}, {"G", 1ULL << 30}, {"GiB", 1ULL << 30},
	};
	const char *unit;
	uint64_t num;
	int err;

	err = split_unit(s, &num, &unit);
	if (err)
		return err;
	for (size_t i = 0; i < TT_ARRAY_SIZE(units); i++)
		if (!strcmp(unit, units[i].unit))
			return scale(num, units[i].mul, bytes);
	return -EINVAL;
}

/*
 * One parser for every duration a user types (record -d, replay --from/--to/--window): digits,
 * an optional fraction, an optional unit. The fraction is converted exactly, without floating
 * point: floor(F * 2 * mul / 10^k) by Horner's scheme from the last digit (each step's floor
 * division loses nothing, floor((a + floor(b)) / 10) = floor((a + b) / 10) for an integer a),
 * then halved rounding half up; so "0.000000001" is 1 ns and "1.5ms" 1,500,000 ns whatever
 * the number of digits. The result fits an int64: durations are added to, and compared with,
 * signed differences of timestamps.
 */
int tt_parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t mul;
	} units[] = {
		{"", 1000000000ULL}, {"s", 1000000000ULL}, {"ns", 1}, {"us", 1000},
		{"ms", 1000000}, {"m", 60000000000ULL}, {"h", 3600000000000ULL},
	};
	const char *p = s, *frac = NULL, *frac_end = NULL;
	uint64_t whole = 0, mul = 0, frac2 = 0, frac_ns, res;
	int whole_range = 0;

	if (!s || *s < '0' || *s > '9') /* no sign, no blank, no ".5" */
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			whole_range = 1; /* still parsed to the end: garbage after it is -EINVAL */
		else
			whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		frac = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		frac_end = p;
		if (frac == frac_end) /* "1." or "1.s" */
			return -EINVAL;
	}
	for (size_t i = 0; i < TT_ARRAY_SIZE(units); i++)
		if (!strcmp(p, units[i].unit))
			mul = units[i].mul;
	if (!mul)
		return -EINVAL;
	if (whole_range || whole > (uint64_t)INT64_MAX / mul)
		return -ERANGE;
	res = whole * mul;
	/* frac2 = floor(2 * 0.F * mul), below 2 * mul: each step stays under 7.2e13 */
	for (const char *d = frac_end; frac && d > frac; d--)
		frac2 = ((uint64_t)(d[-1] - '0') * 2 * mul + frac2) / 10;
	frac_ns = (frac2 + 1) / 2;
	if (frac_ns > (uint64_t)INT64_MAX - res)
		return -ERANGE;
	*ns = res + frac_ns;
	return 0;
}

bool tt_glob_match(const char *pattern, const char *s)
{
	return fnmatch(pattern, s, 0) == 0;
}

bool tt_probe_pattern_match(const char *pattern, const char *provider, const char *name)
{
	char alt[512], full[512];

	snprintf(full, sizeof(full), "%s:%s", provider ? provider : "", name ? name : "");
	for (const char *p = pattern, *bar;; p = bar + 1) {
		size_t n;

		bar = strchr(p, '|');
		n = bar ? (size_t)(bar - p) : strlen(p);
		if (n < sizeof(alt)) { /* a longer alternative matches nothing */
			memcpy(alt, p, n);
			alt[n] = '\0';
			if (memchr(alt, ':', n) ? tt_glob_match(alt, full) : tt_glob_match(alt, name ? name : ""))
				return true;
		}
		if (!bar)
			return false;
	}
}

int tt_grow(void **arr, size_t *cap, size_t want, size_t elem_sz)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (want <= *cap)
		return 0;
	while (n < want) {
		if (n > SIZE_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	if (elem_sz && n > SIZE_MAX / elem_sz)
		return -ENOMEM;
	p = realloc(*arr, n * elem_sz);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * elem_sz, 0, (n - *cap) * elem_sz);
	*arr = p;
	*cap = n;
	return 0;
}

int tt_buf_reserve(struct tt_buf *b, size_t extra)
{
	size_t cap;
	uint8_t *p;

	if (b->cap - b->len >= extra)
		return 0;
	if (extra > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < extra)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int tt_buf_append(struct tt_buf *b, const void *p, size_t n)
{
	int err = tt_buf_reserve(b, n);

	if (err)
		return err;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int tt_buf_printf(struct tt_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	err = tt_buf_reserve(b, (size_t)n + 1);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void tt_msgf(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !sz)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

void tt_buf_free(struct tt_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t tt_now_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t tt_now_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int tt_read_small_file(const char *path, char *buf, size_t buf_sz, int nul_to_space)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, buf_sz - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
	if (nul_to_space)
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
	return 0;
}
