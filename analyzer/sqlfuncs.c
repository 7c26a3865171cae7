/* SPDX-License-Identifier: MIT */
/*
 * The SQL functions of sqlfuncs.h. This file is compiled twice: into libtt, where
 * tt_sqlfuncs_register() adds the functions to tracetape's own connections, and with
 * -DTT_SQLITE_EXTENSION into tracetape_sqlite.so, where SQLite's extension entry points do the
 * same for the sqlite3 shell (SQLite then reaches its API through the routine table it passes,
 * which is what sqlite3ext.h's macros arrange). So it depends on nothing but SQLite and libc.
 *
 * The percentile aggregates keep every value of their group: exactness needs them (an exact
 * quantile cannot be computed in less than linear memory in one pass), and 8 bytes a value is
 * what it costs. That memory comes from SQLite's allocator, so SQLite's heap limit (PRAGMA
 * hard_heap_limit) bounds it as it bounds the rest of a query. Values stay int64 while every one
 * is an integer (exact above 2^53) and turn into doubles at the first REAL.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TT_SQLITE_EXTENSION
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#endif

#include "sqlfuncs.h"

#ifndef TT_SQLITE_EXTENSION
#include "tt_error.h"
#endif

#define PCT_SCALE 100000000ULL /* 100 % in millionths of a percent */
#define HIST_BUCKETS 65

int tt_pct_from_double(double p, uint64_t *pct_micro)
{
	if (!isfinite(p) || p < 0.0 || p > 100.0)
		return -EINVAL;
	*pct_micro = (uint64_t)llround(p * 1e6);
	return 0;
}

uint64_t tt_pct_rank(uint64_t n, uint64_t pct_micro)
{
	/* 128-bit so that any n times 1e8 fits; ceil by adding the divisor minus one */
	unsigned __int128 num = (unsigned __int128)pct_micro * n;
	uint64_t rank = (uint64_t)((num + PCT_SCALE - 1) / PCT_SCALE);

	return rank ? rank : 1;
}

/* ---- selection ---- */

/*
 * Quickselect: move the k-th smallest (0-based) element of a[0..n) to a[k], with smaller ones
 * before and larger ones after. Median-of-three pivots; after 2*log2(n) rounds without
 * converging (adversarial input) the remaining range is sorted, so the worst case is n log n.
 */
#define DEFINE_SELECT(NAME, T)                                                              \
	static int NAME##_cmp(const void *pa, const void *pb)                               \
	{                                                                                   \
		T a = *(const T *)pa, b = *(const T *)pb;                                   \
		return (a > b) - (a < b);                                                   \
	}                                                                                   \
	static void NAME(T *a, size_t n, size_t k)                                          \
	{                                                                                   \
		size_t lo = 0, hi = n - 1;                                                  \
		int budget = 2;                                                             \
                                                                                            \
		for (size_t m = n; m > 1; m >>= 1)                                          \
			budget += 2;                                                        \
		while (hi > lo) {                                                           \
			size_t mid = lo + (hi - lo) / 2, i = lo, j = hi;                    \
			T pivot, t;                                                         \
                                                                                            \
			if (budget-- == 0) {                                                \
				qsort(a + lo, hi - lo + 1, sizeof(T), NAME##_cmp);          \
				return;                                                     \
			}                                                                   \
			if (a[mid] < a[lo]) { t = a[mid]; a[mid] = a[lo]; a[lo] = t; }      \
			if (a[hi] < a[lo]) { t = a[hi]; a[hi] = a[lo]; a[lo] = t; }         \
			if (a[hi] < a[mid]) { t = a[hi]; a[hi] = a[mid]; a[mid] = t; }      \
			pivot = a[mid];                                                     \
			while (i <= j) {                                                    \
				while (a[i] < pivot)                                        \
					i++;                                                \
				while (pivot < a[j])                                        \
					j--;                                                \
				if (i <= j) {                                               \
					t = a[i]; a[i] = a[j]; a[j] = t;                    \
					i++;                                                \
					if (j == 0)                                         \
						break;                                      \
					j--;                                                \
				}                                                           \
			}                                                                   \
			/* now a[lo..j] <= pivot <= a[i..hi], and j < i */                  \
			if (k <= j)                                                         \
				hi = j;                                                     \
			else if (k >= i)                                                    \
				lo = i;                                                     \
			else                                                                \
				return; /* j < k < i: a[k] == pivot, in place */            \
		}                                                                           \
	}

DEFINE_SELECT(select_i64, int64_t)
DEFINE_SELECT(select_f64, double)

void tt_select_i64(int64_t *a, size_t n, size_t k)
{
	select_i64(a, n, k);
}

void tt_select_f64(double *a, size_t n, size_t k)
{
	select_f64(a, n, k);
}

/* ---- percentile aggregates ---- */

struct pct_state {
	union {
		int64_t *i;
		double *d;
	} v;
	size_t n, cap;
	uint64_t pct_micro;
	int is_real;   /* v.d holds the values (some x was REAL) */
	int sorted;    /* every value so far >= the one before */
	int have_pct;
};

static int pct_push(struct pct_state *s, sqlite3_value *x)
{
	int type = sqlite3_value_numeric_type(x);

	if (type != SQLITE_INTEGER && type != SQLITE_FLOAT)
		return -EINVAL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		void *p = sqlite3_realloc64(s->v.i, cap * sizeof(int64_t));

		if (!p)
			return -ENOMEM;
		s->v.i = p;
		s->cap = cap;
	}
	if (type == SQLITE_FLOAT && !s->is_real) {
		/* in place: both are 8 bytes */
		for (size_t i = 0; i < s->n; i++)
			s->v.d[i] = (double)s->v.i[i];
		s->is_real = 1;
	}
	if (s->is_real) {
		double d = sqlite3_value_double(x);

		if (s->n && d < s->v.d[s->n - 1])
			s->sorted = 0;
		s->v.d[s->n++] = d;
	} else {
		int64_t i = sqlite3_value_int64(x);

		if (s->n && i < s->v.i[s->n - 1])
			s->sorted = 0;
		s->v.i[s->n++] = i;
	}
	return 0;
}

static void pct_step_common(sqlite3_context *ctx, sqlite3_value *x, sqlite3_value *p,
			    const char *fname)
{
	struct pct_state *s = sqlite3_aggregate_context(ctx, sizeof(*s));
	uint64_t pct;
	int err;

	if (!s) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (!s->n && !s->have_pct)
		s->sorted = 1;
	if (p) {
		int t = sqlite3_value_numeric_type(p);

		if ((t != SQLITE_INTEGER && t != SQLITE_FLOAT) ||
		    tt_pct_from_double(sqlite3_value_double(p), &pct)) {
			char msg[128];

			snprintf(msg, sizeof(msg), "%s(): p must be a number from 0 to 100", fname);
			sqlite3_result_error(ctx, msg, -1);
			return;
		}
	} else {
		pct = 50 * 1000000ULL;
	}
	if (s->have_pct && pct != s->pct_micro) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s(): p must be the same for every row of a group", fname);
		sqlite3_result_error(ctx, msg, -1);
		return;
	}
	s->pct_micro = pct;
	s->have_pct = 1;
	if (sqlite3_value_type(x) == SQLITE_NULL)
		return;
	err = pct_push(s, x);
	if (err == -ENOMEM) {
		sqlite3_result_error_nomem(ctx);
	} else if (err) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s(): x must be a number", fname);
		sqlite3_result_error(ctx, msg, -1);
	}
}

/* The k-th smallest value (0-based), as a double; moves it to position k. */
static double pct_select(struct pct_state *s, size_t k)
{
	if (s->is_real) {
		if (!s->sorted)
			select_f64(s->v.d, s->n, k);
		return s->v.d[k];
	}
	if (!s->sorted)
		select_i64(s->v.i, s->n, k);
	return (double)s->v.i[k];
}

/* After pct_select(k): the smallest value after position k. */
static double pct_next_after(const struct pct_state *s, size_t k)
{
	if (s->is_real) {
		double m = s->v.d[k + 1];

		if (!s->sorted)
			for (size_t i = k + 2; i < s->n; i++)
				m = s->v.d[i] < m ? s->v.d[i] : m;
		return m;
	} else {
		int64_t m = s->v.i[k + 1];

		if (!s->sorted)
			for (size_t i = k + 2; i < s->n; i++)
				m = s->v.i[i] < m ? s->v.i[i] : m;
		return (double)m;
	}
}

static void pct_free(struct pct_state *s)
{
	sqlite3_free(s->v.i);
	s->v.i = NULL;
	s->n = s->cap = 0;
}

static void percentile_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	pct_step_common(ctx, argv[0], argv[1], "percentile");
}

static void percentile_final(sqlite3_context *ctx)
{
	struct pct_state *s = sqlite3_aggregate_context(ctx, 0);
	size_t k;

	if (!s || !s->n) {
		if (s)
			pct_free(s);
		sqlite3_result_null(ctx);
		return;
	}
	k = (size_t)tt_pct_rank(s->n, s->pct_micro) - 1;
	if (s->is_real) {
		sqlite3_result_double(ctx, pct_select(s, k));
	} else {
		pct_select(s, k);
		sqlite3_result_int64(ctx, s->v.i[k]);
	}
	pct_free(s);
}

static void percentile_cont_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	pct_step_common(ctx, argv[0], argc > 1 ? argv[1] : NULL,
			argc > 1 ? "percentile_cont" : "median");
}

static void percentile_cont_final(sqlite3_context *ctx)
{
	struct pct_state *s = sqlite3_aggregate_context(ctx, 0);
	unsigned __int128 h;
	uint64_t frac;
	size_t k;
	double lo, hi;

	if (!s || !s->n) {
		if (s)
			pct_free(s);
		sqlite3_result_null(ctx);
		return;
	}
	/* h = (n - 1) * p / 100 as an integer part k and a fraction frac / PCT_SCALE */
	h = (unsigned __int128)(s->n - 1) * s->pct_micro;
	k = (size_t)(h / PCT_SCALE);
	frac = (uint64_t)(h % PCT_SCALE);
	lo = pct_select(s, k);
	if (frac == 0 || k + 1 >= s->n) {
		sqlite3_result_double(ctx, lo);
	} else {
		hi = pct_next_after(s, k);
		sqlite3_result_double(ctx, lo + (hi - lo) * ((double)frac / (double)PCT_SCALE));
	}
	pct_free(s);
}

/* ---- log2 histograms ---- */

/*
 * x as the log2 functions count it: below 1 (and NaN, -inf) is 0; past 2^63 - 1, the largest
 * INTEGER, it saturates there, +inf included, so that log2_bucket() can name every bucket
 * log2_hist() counts: the last is [2^62, 2^63). Returns x's numeric type (SQLITE_NULL: no
 * value, *v untouched), or -1 when x is not a number.
 */
static int log2_arg(sqlite3_value *x, uint64_t *v)
{
	int t = sqlite3_value_numeric_type(x);

	if (t == SQLITE_INTEGER) {
		int64_t i = sqlite3_value_int64(x);

		*v = i < 1 ? 0 : (uint64_t)i;
	} else if (t == SQLITE_FLOAT) {
		double d = sqlite3_value_double(x);

		/* 9223372036854775807.0 is 2^63: a double that big or bigger does not fit */
		*v = !(d >= 1.0) ? 0 : d >= 9223372036854775807.0 ? INT64_MAX : (uint64_t)d;
	} else if (t != SQLITE_NULL) {
		return -1;
	}
	return t;
}

static void log2_bucket_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint64_t v = 0;
	int t = log2_arg(argv[0], &v);

	if (t == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (t < 0) {
		sqlite3_result_error(ctx, "log2_bucket(): x must be a number", -1);
		return;
	}
	sqlite3_result_int64(ctx, (int64_t)tt_log2_bucket_lo(tt_log2_bucket_idx(v)));
}

struct hist_state {
	uint64_t cnt[HIST_BUCKETS];
	int text;
	int any;
};

static void log2_hist_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct hist_state *s = sqlite3_aggregate_context(ctx, sizeof(*s));
	uint64_t v = 0;
	int t = log2_arg(argv[0], &v);

	if (!s) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (argc > 1) {
		const char *fmt = (const char *)sqlite3_value_text(argv[1]);

		if (!fmt || (strcmp(fmt, "json") && strcmp(fmt, "text"))) {
			sqlite3_result_error(ctx, "log2_hist(): the format must be 'json' or 'text'", -1);
			return;
		}
		s->text = !strcmp(fmt, "text");
	}
	if (t == SQLITE_NULL)
		return;
	if (t < 0) {
		sqlite3_result_error(ctx, "log2_hist(): x must be a number", -1);
		return;
	}
	s->cnt[tt_log2_bucket_idx(v)]++;
	s->any = 1;
}

/* 1024 -> "1K", 3 -> "3"; exact powers of two get binary suffixes as bpftrace prints them. */
static void hist_label(char *buf, size_t sz, uint64_t v)
{
	static const char suffix[] = "KMGTPE";
	int s = -1;

	while (v >= 1024 && (v & 1023) == 0 && s < 5) {
		v >>= 10;
		s++;
	}
	if (s < 0)
		snprintf(buf, sz, "%llu", (unsigned long long)v);
	else
		snprintf(buf, sz, "%llu%c", (unsigned long long)v, suffix[s]);
}

static void log2_hist_final(sqlite3_context *ctx)
{
	struct hist_state *s = sqlite3_aggregate_context(ctx, 0);
	unsigned first = HIST_BUCKETS, last = 0;
	uint64_t max = 0;
	sqlite3_str *str;

	if (!s || !s->any) {
		sqlite3_result_null(ctx);
		return;
	}
	for (unsigned k = 0; k < HIST_BUCKETS; k++) {
		if (!s->cnt[k])
			continue;
		first = k < first ? k : first;
		last = k;
		max = s->cnt[k] > max ? s->cnt[k] : max;
	}
	str = sqlite3_str_new(sqlite3_context_db_handle(ctx));
	if (!s->text)
		sqlite3_str_appendchar(str, 1, '[');
	for (unsigned k = first; k <= last; k++) {
		uint64_t lo = tt_log2_bucket_lo(k);

		if (!s->text) {
			/* the top bucket's bound 2^64 does not fit in a u64: print it as text */
			if (k == 64)
				sqlite3_str_appendf(str, "%s{\"lo\":%llu,\"hi\":18446744073709551616,\"count\":%llu}",
						    k > first ? "," : "", (unsigned long long)lo,
						    (unsigned long long)s->cnt[k]);
			else
				sqlite3_str_appendf(str, "%s{\"lo\":%llu,\"hi\":%llu,\"count\":%llu}",
						    k > first ? "," : "", (unsigned long long)lo,
						    (unsigned long long)tt_log2_bucket_lo(k + 1),
						    (unsigned long long)s->cnt[k]);
		} else {
			char a[32], b[32], range[72];
			int bar = (int)((s->cnt[k] * 40 + max - 1) / max);

			hist_label(a, sizeof(a), lo);
			if (k == 64)
				snprintf(b, sizeof(b), "...");
			else
				hist_label(b, sizeof(b), tt_log2_bucket_lo(k + 1));
			snprintf(range, sizeof(range), "[%s, %s)", a, b);
			sqlite3_str_appendf(str, "%-16s %10llu |", range, (unsigned long long)s->cnt[k]);
			sqlite3_str_appendchar(str, bar, '@');
			sqlite3_str_appendchar(str, 40 - bar, ' ');
			sqlite3_str_appendf(str, "|%s", k < last ? "\n" : "");
		}
	}
	if (!s->text)
		sqlite3_str_appendchar(str, 1, ']');
	if (sqlite3_str_errcode(str)) {
		sqlite3_free(sqlite3_str_finish(str));
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_text(ctx, sqlite3_str_finish(str), -1, sqlite3_free);
}

/* ---- statements with their constants as placeholders ---- */

static int ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The end of the quoted text starting at p (at its opening quote q): past the closing quote. */
static const char *skip_quoted(const char *p, char q, int backslash)
{
	for (p++; *p; p++) {
		if (backslash && *p == '\\' && p[1])
			p++;
		else if (*p == q && p[1] == q)
			p++;
		else if (*p == q)
			return p + 1;
	}
	return p;
}

/* At p a dollar quote ($$ or $tag$)? Its delimiter's length, or 0. */
static size_t dollar_tag(const char *p)
{
	size_t n = 1;

	if (*p != '$' || is_digit(p[1]))
		return 0;
	while (p[n] && p[n] != '$' && ident_char(p[n]))
		n++;
	return p[n] == '$' ? n + 1 : 0;
}

/* The end of the number at p, or p when there is none. */
static const char *skip_number(const char *p)
{
	const char *q = p;

	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X' || q[1] == 'o' || q[1] == 'O' ||
			    q[1] == 'b' || q[1] == 'B') && ident_char(q[2])) {
		for (q += 2; ident_char(*q) && *q != '$'; q++)
			;
		return q;
	}
	while (is_digit(*q) || *q == '_')
		q++;
	if (*q == '.' && q[1] != '.')
		for (q++; is_digit(*q) || *q == '_'; q++)
			;
	if (q > p && (*q == 'e' || *q == 'E') &&
	    (is_digit(q[1]) || ((q[1] == '+' || q[1] == '-') && is_digit(q[2]))))
		for (q += 2; is_digit(*q); q++)
			;
	return q == p || (q == p + 1 && *p == '.') ? p : q;
}

char *tt_sql_normalize(const char *sql)
{
	/* a constant of one character becomes at most "$" and 6 digits */
	size_t len = strlen(sql), cap = len * 8 + 32, n = 0;
	unsigned long next = 1;
	char *out = malloc(cap), prev = 0; /* prev: the last character written that is not a space */
	const char *p;

	if (!out)
		return NULL;
	/* placeholders are numbered after the statement's own parameters */
	for (p = sql; *p; p++)
		if (*p == '$' && is_digit(p[1]) && (p == sql || !ident_char(p[-1]))) {
			unsigned long k = strtoul(p + 1, NULL, 10);

			if (k >= next && k < 100000)
				next = k + 1;
		}
	for (p = sql; *p;) {
		const char *end = NULL;
		char c = *p;
		int after_ident = p > sql && ident_char(p[-1]);
		size_t tag;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
				p++;
			if (n && out[n - 1] != ' ')
				out[n++] = ' ';
			continue;
		}
		if ((c == '-' && p[1] == '-') || (c == '/' && p[1] == '*')) {
			/* a comment, to the end of the line or to its closing star-slash: a space */
			const char *stop = c == '-' ? strchr(p, '\n') : strstr(p + 2, "*/");

			p = stop ? stop + (c == '-' ? 0 : 2) : p + strlen(p);
			if (n && out[n - 1] != ' ')
				out[n++] = ' ';
			continue;
		}
		if (c == '"') { /* an identifier: kept */
			end = skip_quoted(p, '"', 0);
			memcpy(out + n, p, (size_t)(end - p));
			n += (size_t)(end - p);
			prev = '"';
			p = end;
			continue;
		}
		if (c == '\'')
			end = skip_quoted(p, '\'', 0);
		else if (!after_ident && (c == 'E' || c == 'e') && p[1] == '\'')
			end = skip_quoted(p + 1, '\'', 1);
		else if (!after_ident && strchr("BbXxNn", c) && p[1] == '\'')
			end = skip_quoted(p + 1, '\'', 0);
		else if (!after_ident && (c == 'U' || c == 'u') && p[1] == '&' && p[2] == '\'')
			end = skip_quoted(p + 2, '\'', 0);
		else if (!after_ident && (tag = dollar_tag(p))) {
			const char *e = p + tag;

			while (*e && strncmp(e, p, tag))
				e++;
			end = *e ? e + tag : e;
		} else if (!after_ident && (is_digit(c) || (c == '.' && is_digit(p[1])))) {
			end = skip_number(p);
		} else if (c == '-' && !after_ident && (is_digit(p[1]) || (p[1] == '.' && is_digit(p[2]))) &&
			   (!prev || strchr("=<>!(,+-*/%^|&~[", prev))) {
			/* a negative constant: after an operator, a parenthesis or a comma */
			end = skip_number(p + 1);
			end = end == p + 1 ? NULL : end;
		}
		if (end && end > p) {
			int k = snprintf(out + n, cap - n, "$%lu", next++);

			n += k > 0 ? (size_t)k : 0;
			prev = '0';
			p = end;
			continue;
		}
		/* anything else, up to the next character that may start something */
		out[n++] = c;
		prev = c;
		p++;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

static void normalize_query_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *sql = (const char *)sqlite3_value_text(argv[0]);
	char *res;

	if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	res = sql ? tt_sql_normalize(sql) : NULL;
	if (!res) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_text(ctx, res, -1, free);
}

/* ---- registration ---- */

static int register_all(sqlite3 *db)
{
	static const struct {
		const char *name;
		int argc;
		void (*scalar)(sqlite3_context *, int, sqlite3_value **);
		void (*step)(sqlite3_context *, int, sqlite3_value **);
		void (*final)(sqlite3_context *);
	} fns[] = {
		{"percentile", 2, NULL, percentile_step, percentile_final},
		{"percentile_cont", 2, NULL, percentile_cont_step, percentile_cont_final},
		{"median", 1, NULL, percentile_cont_step, percentile_cont_final},
		{"log2_bucket", 1, log2_bucket_func, NULL, NULL},
		{"log2_hist", 1, NULL, log2_hist_step, log2_hist_final},
		{"log2_hist", 2, NULL, log2_hist_step, log2_hist_final},
		{"normalize_query", 1, normalize_query_func, NULL, NULL},
	};
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	int rc = SQLITE_OK;

#ifdef SQLITE_INNOCUOUS
	flags |= SQLITE_INNOCUOUS; /* pure functions: safe in views and triggers of any database */
#endif
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]) && rc == SQLITE_OK; i++)
		rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].argc, flags, NULL,
						fns[i].scalar, fns[i].step, fns[i].final, NULL);
	return rc;
}

#ifdef TT_SQLITE_EXTENSION
/*
 * Entry points of the loadable extension. The sqlite3 shell's `.load PATH/tracetape_sqlite`
 * looks for sqlite3_extension_init, then for sqlite3_<letters of the file name>_init.
 */
int sqlite3_extension_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api);
int sqlite3_tracetapesqlite_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api);

int sqlite3_extension_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
	SQLITE_EXTENSION_INIT2(api);
	return register_all(db);
}

int sqlite3_tracetapesqlite_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
	return sqlite3_extension_init(db, errmsg, api);
}
#else
int tt_sqlfuncs_register(sqlite3 *db)
{
	return register_all(db) == SQLITE_OK ? 0 : -TT_E_SQL;
}
#endif
