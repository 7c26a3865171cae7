/* SPDX-License-Identifier: MIT */
/*
 * Human units for both renderers of the report (report.h): durations with three significant
 * digits, counts with thousands separators, rates with k and M, argument values, times since
 * the capture's start, bucket bounds and bucket schemes. raw asks for the exact
 * integers instead (ns, counts), for scripts and tests.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "tt_util.h"

char *tt_report_dur(char *buf, size_t sz, int64_t ns, int raw)
{
	static const struct {
		double div;
		const char *unit;
	} units[] = {{1e3, "us"}, {1e6, "ms"}, {1e9, "s"}};
	double v;
	int u;

	if (raw) {
		snprintf(buf, sz, "%" PRId64, ns);
		return buf;
	}
	if (ns < 1000 && ns > -1000) {
		snprintf(buf, sz, "%" PRId64 "ns", ns);
		return buf;
	}
	for (u = 0; u < 2 && fabs((double)ns) >= units[u + 1].div; u++)
		;
	v = (double)ns / units[u].div;
	/* three significant digits; the rounding may carry into the next unit */
	if (fabs(v) >= 999.5 && u < 2) {
		u++;
		v = (double)ns / units[u].div;
	}
	if (fabs(v) < 9.995)
		snprintf(buf, sz, "%.2f%s", v, units[u].unit);
	else if (fabs(v) < 99.95)
		snprintf(buf, sz, "%.1f%s", v, units[u].unit);
	else
		snprintf(buf, sz, "%.0f%s", v, units[u].unit);
	return buf;
}

char *tt_report_count(char *buf, size_t sz, uint64_t n, int raw)
{
	char tmp[32];
	size_t len, o = 0;

	snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
	if (raw) {
		snprintf(buf, sz, "%s", tmp);
		return buf;
	}
	len = strlen(tmp);
	for (size_t i = 0; i < len && o + 2 < sz; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

char *tt_report_rate(char *buf, size_t sz, double per_s, int raw)
{
	if (raw)
		snprintf(buf, sz, "%.3f", per_s);
	else if (per_s < 999.95)
		snprintf(buf, sz, "%.1f/s", per_s);
	else if (per_s < 999950)
		snprintf(buf, sz, "%.1fk/s", per_s / 1e3);
	else
		snprintf(buf, sz, "%.2fM/s", per_s / 1e6);
	return buf;
}

char *tt_report_num(char *buf, size_t sz, double v, int is_real)
{
	if (!is_real && fabs(v) < 9.2e18)
		snprintf(buf, sz, "%lld", (long long)v);
	else
		snprintf(buf, sz, "%.4g", v);
	return buf;
}

char *tt_report_rel(char *buf, size_t sz, const struct tt_report *r, uint64_t ts, int raw)
{
	uint64_t d = ts > r->ts_first ? ts - r->ts_first : 0;

	if (raw)
		snprintf(buf, sz, "+%" PRIu64, d);
	else
		snprintf(buf, sz, "+%" PRIu64 ".%06" PRIu64 "s", d / 1000000000, d % 1000000000 / 1000);
	return buf;
}

char *tt_report_value(char *buf, size_t sz, double v, int is_dur, int raw)
{
	if (!is_dur)
		return tt_report_num(buf, sz, v, v != floor(v));
	if (isinf(v))
		snprintf(buf, sz, "%s", v < 0 ? "-inf" : "inf");
	else
		tt_report_dur(buf, sz, (int64_t)llround(v), raw);
	return buf;
}

/* v with sig significant digits: a duration in ns, us, ms or s (ns always whole), or a number. */
static void fmt_sig(char *buf, size_t sz, double v, int sig, int is_dur)
{
	static const struct {
		double div;
		const char *unit;
	} units[] = {{1, "ns"}, {1e3, "us"}, {1e6, "ms"}, {1e9, "s"}};
	int u = 0, dec;
	double x;

	if (!is_dur) {
		snprintf(buf, sz, "%.*g", sig, v);
		return;
	}
	while (u < 3 && fabs(v) >= units[u + 1].div)
		u++;
	x = v / units[u].div;
	dec = u ? sig - (x != 0 ? (int)floor(log10(fabs(x))) + 1 : 1) : 0;
	snprintf(buf, sz, "%.*f%s", dec > 0 ? dec : 0, x, units[u].unit);
}

char *tt_report_bound(char *buf, size_t sz, double v, double width, int is_dur, int raw)
{
	char lo[48], hi[48];

	if (raw || !isfinite(v) || !isfinite(width) || (!is_dur && v == floor(v)))
		return tt_report_value(buf, sz, v, is_dur, raw);
	tt_report_value(buf, sz, v, is_dur, raw);
	/* more digits until v and the next bound read differently */
	for (int sig = 3; sig <= 12; sig++) {
		fmt_sig(lo, sizeof(lo), v, sig, is_dur);
		fmt_sig(hi, sizeof(hi), v + width, sig, is_dur);
		if (strcmp(lo, hi)) {
			if (sig > 3)
				snprintf(buf, sz, "%s", lo);
			break;
		}
	}
	return buf;
}

static char *width_text(char *buf, size_t sz, double w, void *ctx)
{
	const int *f = ctx;

	return tt_report_value(buf, sz, w, f[0], f[1]);
}

char *tt_report_scheme(char *buf, size_t sz, const struct tt_buckets *b, int is_dur, int raw)
{
	int f[2] = {is_dur, raw};

	return tt_buckets_describe(b, buf, sz, width_text, f);
}
