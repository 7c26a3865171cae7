/* SPDX-License-Identifier: MIT */
/*
 * report --from/--to (report_window.h): parsing the bounds, placing the window in each tape's
 * clock, and the SQL condition both backends add for it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_window.h"
#include "tt_error.h"

#define EXPECTED "an offset from each tape's start (+1.5s, 90s, 250ms, 2m) or a UTC time " \
		 "(2026-12-07T20:52:45.5Z)"

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

/* n decimal digits of s into *v; the pointer past them, or NULL. */
static const char *digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, s++) {
		if (*s < '0' || *s > '9')
			return NULL;
		*v = *v * 10 + (*s - '0');
	}
	return s;
}

/* "YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z]" (UTC) into ns since the epoch. 0 or -EINVAL. */
static int parse_utc(const char *s, int64_t *ns)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec, check;
	int64_t frac = 0, scale = 100000000, t;
	time_t secs;
	const char *p = digits(s, 4, &y);

	if (!p || *p++ != '-' || !(p = digits(p, 2, &mo)) || *p++ != '-' || !(p = digits(p, 2, &d)) ||
	    (*p != 'T' && *p != ' ') || !(p = digits(p + 1, 2, &h)) || *p++ != ':' ||
	    !(p = digits(p, 2, &mi)) || *p++ != ':' || !(p = digits(p, 2, &sec)))
		return -EINVAL;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			if (scale)
				frac += (*p - '0') * scale;
	}
	if (*p == 'Z')
		p++;
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	secs = timegm(&tm); /* (time_t)-1 is 1969-12-31T23:59:59 as well: years 0..9999 fit */
	check = tm.tm_mday == d; /* timegm normalizes 2026-02-31 into March */
	if (!check || __builtin_mul_overflow((int64_t)secs, 1000000000, &t))
		return -EINVAL;
	*ns = sat_add(t, frac);
	return 0;
}

/* One bound: *wall says which kind it is. 0 or -EINVAL. */
static int parse_bound(const char *s, int64_t *v, int *wall)
{
	uint64_t ns;

	*wall = 0;
	if (!*s)
		return -EINVAL;
	if (strlen(s) >= 10 && s[4] == '-') {
		*wall = 1;
		return parse_utc(s, v);
	}
	if (tt_parse_duration(s + (*s == '+'), &ns) || ns > INT64_MAX)
		return -EINVAL;
	*v = (int64_t)ns;
	return 0;
}

int tt_report_window__parse(const char *from, const char *to, struct tt_report_window *w,
			    const struct tt_out *out)
{
	int fw = 0, tw = 0;

	memset(w, 0, sizeof(*w));
	if (!from && !to)
		return 0;
	w->set = 1;
	if (from && parse_bound(from, &w->from, &fw)) {
		tt_err(out, "--from '%s': expected " EXPECTED, from);
		return -TT_E_USAGE;
	}
	if (to && parse_bound(to, &w->to, &tw)) {
		tt_err(out, "--to '%s': expected " EXPECTED, to);
		return -TT_E_USAGE;
	}
	if (from && to && fw != tw) {
		tt_err(out, "--from %s --to %s: give both as offsets from the start or both as UTC "
		       "times", from, to);
		return -TT_E_USAGE;
	}
	if (from && to && w->to <= w->from) {
		tt_err(out, "--to %s is not after --from %s", to, from);
		return -TT_E_USAGE;
	}
	w->has_from = !!from;
	w->has_to = !!to;
	w->wall = fw || tw;
	if (asprintf(&w->text, "%s%s%s%s%s (%s)", from ? "--from " : "", from ? from : "",
		     from && to ? " " : "", to ? "--to " : "", to ? to : "",
		     w->wall ? "UTC" : "from each tape's first event") < 0) {
		w->text = NULL;
		return -ENOMEM;
	}
	return 0;
}

int tt_report_window__tape(struct tt_report_window *w, const struct tt_report_wtape *t)
{
	struct tt_report_wtape *n;
	int err = tt_grow((void **)&w->t, &(size_t){w->n}, w->n + 1, sizeof(*w->t));

	if (err)
		return err;
	n = &w->t[w->n];
	*n = *t;
	n->host = t->host ? strdup(t->host) : NULL;
	if (t->host && !n->host)
		return -ENOMEM;
	w->n++;
	return 0;
}

/* ns since the epoch as "2026-12-07 20:52:45.123456789 UTC" into buf[40]. */
static char *utc_text(char buf[48], int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000 - (ns % 1000000000 < 0));
	struct tm tm;
	size_t n;

	if (!gmtime_r(&s, &tm)) {
		snprintf(buf, 48, "%" PRId64 " ns", ns);
		return buf;
	}
	n = strftime(buf, 48, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, 48 - n, ".%09" PRId64 " UTC", (ns % 1000000000 + 1000000000) % 1000000000);
	return buf;
}

int tt_report_window__bounds(struct tt_report_window *w, const char *source, const struct tt_out *out)
{
	int64_t wmin = INT64_MAX, wmax = INT64_MIN, longest = 0;
	size_t in = 0;

	for (size_t i = 0; i < w->n; i++) {
		struct tt_report_wtape *t = &w->t[i];
		int64_t base = w->wall ? -t->wall_offset_ns : t->ts_first;

		t->in = 0;
		if (!t->has_ts)
			continue;
		if (w->wall && !t->has_wall) {
			tt_err(out, "%s: tape %" PRId64 "%s%s has no wall clock: give --from/--to as offsets "
			       "from its start (+10s)", source, t->id, t->host ? " of host " : "",
			       t->host ? t->host : "");
			return -TT_E_USAGE;
		}
		t->lo = w->has_from ? sat_add(base, w->from) : INT64_MIN;
		t->hi = w->has_to ? sat_add(base, w->to) : INT64_MAX;
		t->in = t->lo <= t->ts_last && t->hi > t->ts_first;
		t->first = t->ts_first > t->lo ? t->ts_first : t->lo;
		t->last = t->ts_last < t->hi ? t->ts_last : t->hi;
		in += (size_t)t->in;
		longest = t->ts_last - t->ts_first > longest ? t->ts_last - t->ts_first : longest;
		if (t->has_wall) {
			wmin = sat_add(t->ts_first, t->wall_offset_ns) < wmin ? sat_add(t->ts_first, t->wall_offset_ns) : wmin;
			wmax = sat_add(t->ts_last, t->wall_offset_ns) > wmax ? sat_add(t->ts_last, t->wall_offset_ns) : wmax;
		}
	}
	if (!in) {
		char a[48], b[48];

		if (w->wall && wmin <= wmax)
			tt_err(out, "%s: the window %s holds nothing of the capture, which runs from %s to %s",
			       source, w->text, utc_text(a, wmin), utc_text(b, wmax));
		else
			tt_err(out, "%s: the window %s holds nothing of the capture (its longest tape runs "
			       "%.6fs)", source, w->text, (double)longest / 1e9);
		return -TT_E_USAGE;
	}
	return 0;
}

int tt_report_window__cond(const struct tt_report_window *w, struct tt_buf *b, const char *col,
			   const char *col_end)
{
	int any = 0, err = tt_buf_printf(b, "(");

	for (size_t i = 0; i < w->n && !err; i++) {
		const struct tt_report_wtape *t = &w->t[i];

		if (!t->in)
			continue;
		err = tt_buf_printf(b, "%s(tape = %" PRId64, any++ ? " OR " : "", t->id);
		if (!err && t->lo != INT64_MIN)
			err = tt_buf_printf(b, " AND %s >= %" PRId64, col_end ? col_end : col, t->lo);
		if (!err && t->hi != INT64_MAX)
			err = tt_buf_printf(b, " AND %s < %" PRId64, col, t->hi);
		if (!err)
			err = tt_buf_printf(b, ")");
	}
	return err ? err : tt_buf_printf(b, "%s)", any ? "" : "0");
}

/* b's text as a C string (taken over), or NULL (b freed) after err. */
static char *buf_str(struct tt_buf *b, int err)
{
	if (!err)
		err = tt_buf_append(b, "", 1);
	if (err) {
		tt_buf_free(b);
		return NULL;
	}
	return (char *)b->data;
}

char *tt_report_window__and(const struct tt_report_window *w, const char *prefix, const char *col,
			    const char *col_end)
{
	struct tt_buf b = {0};
	int err = tt_buf_printf(&b, "%s", prefix);

	if (!err && w->set)
		err = tt_buf_printf(&b, " AND ");
	if (!err && w->set)
		err = tt_report_window__cond(w, &b, col, col_end);
	return buf_str(&b, err);
}

char *tt_report_window__case(const struct tt_report_window *w, const char *id, int last)
{
	struct tt_buf b = {0};
	int err = tt_buf_printf(&b, "CASE %s", id);

	for (size_t i = 0; i < w->n && !err; i++)
		if (w->t[i].in)
			err = tt_buf_printf(&b, " WHEN %" PRId64 " THEN %" PRId64, w->t[i].id,
					    last ? w->t[i].last : w->t[i].first);
	if (!err)
		err = tt_buf_printf(&b, " END");
	return buf_str(&b, err);
}

void tt_report_window__span(const struct tt_report_window *w, uint64_t *first, uint64_t *last)
{
	int any = 0;

	*first = *last = 0;
	for (size_t i = 0; i < w->n; i++) {
		const struct tt_report_wtape *t = &w->t[i];

		if (!t->in)
			continue;
		if (!any || (uint64_t)t->first < *first)
			*first = (uint64_t)t->first;
		if (!any || (uint64_t)t->last > *last)
			*last = (uint64_t)t->last;
		any = 1;
	}
}

void tt_report_window__free(struct tt_report_window *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->t[i].host);
	free(w->t);
	free(w->text);
	memset(w, 0, sizeof(*w));
}
