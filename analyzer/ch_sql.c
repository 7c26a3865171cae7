/* SPDX-License-Identifier: MIT */
/*
 * Rewriting tracetape's SQL functions into ClickHouse expressions (ch_sql.h). A small scanner
 * over the query text: it knows string literals ('...' with \ and '' escapes), quoted names
 * ("..." and `...`), comments (-- and / * * /) and parentheses, which is all it takes to find
 * function calls and their arguments; everything else is copied as written.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ch_sql.h"
#include "tt_error.h"
#include "tt_util.h"

#define MAX_ARGS 4
#define MAX_DEPTH 32 /* nested rewritten calls */

enum fn { F_PERCENTILE, F_PERCENTILE_CONT, F_MEDIAN, F_LOG2_BUCKET, F_LOG2_HIST, F_CNT };

static const struct {
	const char *name;
	int argc;
} fns[F_CNT] = {
	[F_PERCENTILE] = {"percentile", 2},
	[F_PERCENTILE_CONT] = {"percentile_cont", 2},
	[F_MEDIAN] = {"median", 1},
	[F_LOG2_BUCKET] = {"log2_bucket", 1},
	[F_LOG2_HIST] = {"log2_hist", -1},
};

static int fail(char *why, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sz, fmt, ap);
	va_end(ap);
	return -TT_E_PARSE;
}

/*
 * If s[i] starts a literal, quoted name or comment, the index just past it; i itself if not;
 * -1 when it does not end.
 */
static long skip_quoted(const char *s, long i)
{
	char q = s[i];

	if (q == '-' && s[i + 1] == '-') {
		const char *nl = strchr(s + i, '\n');

		return nl ? nl - s + 1 : (long)strlen(s);
	}
	if (q == '/' && s[i + 1] == '*') {
		const char *end = strstr(s + i + 2, "*/");

		return end ? end - s + 2 : -1;
	}
	if (q != '\'' && q != '"' && q != '`')
		return i;
	for (long j = i + 1; s[j]; j++) {
		if (s[j] == '\\' && s[j + 1]) {
			j++;
		} else if (s[j] == q) {
			if (s[j + 1] != q)
				return j + 1;
			j++; /* a doubled quote */
		}
	}
	return -1;
}

static int is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int translate(const char *s, size_t n, struct tt_buf *out, int depth, char *why, size_t sz);

/* The expressions (X and P are the translated arguments; each used several times). */
static int emit(struct tt_buf *o, enum fn f, const char *x, const char *p)
{
	/* the percent as millionths (llround, as tt_pct_from_double), checked to be 0..100 */
	char pm[512 + 64];

	switch (f) {
	case F_PERCENTILE:
		return tt_buf_printf(o, "if(count(%s) = 0, NULL, arrayElement(arraySort(groupArray(%s)), "
				     "greatest(toUInt64(1), intDiv(toUInt64(floor((%s) * 1000000 + 0.5)) "
				     "* count(%s) + 99999999, 100000000)) + throwIf(NOT ((%s) BETWEEN 0 AND "
				     "100))))", x, x, p, x, p);
	case F_MEDIAN:
		p = "50";
		/* fall through */
	case F_PERCENTILE_CONT:
		snprintf(pm, sizeof(pm), "toUInt64(floor((%s) * 1000000 + 0.5))", p);
		/* h = (n - 1) * pm: rank k + 1 (1-based) and the fraction h % 1e8 / 1e8 */
		return tt_buf_printf(o, "if(count(%s) = 0, NULL, arrayElement(arrayMap((a, k, f) -> "
				     "if(f = 0 OR k + 1 >= length(a), toFloat64(a[k + 1]), "
				     "toFloat64(a[k + 1]) + (toFloat64(a[k + 2]) - toFloat64(a[k + 1])) * "
				     "(f / 100000000)), [arraySort(groupArray(%s))], "
				     "[intDiv((count(%s) - 1) * %s, 100000000)], "
				     "[((count(%s) - 1) * %s) %% 100000000 + throwIf(NOT ((%s) BETWEEN 0 AND "
				     "100))]), 1))", x, x, x, pm, x, pm, p);
	case F_LOG2_BUCKET:
		/* a float estimate of the power of two, corrected by one either way; 2^62 at most */
		return tt_buf_printf(o, "if((%s) < 1, toInt64(0), toInt64(arrayElement(arrayMap((b, k) -> "
				     "multiIf(b > (%s), intDiv(b, 2), k < 62 AND b * 2 <= (%s), b * 2, b), "
				     "[bitShiftLeft(toUInt64(1), least(62, toUInt64(floor(log2(greatest(1, "
				     "%s))))))], [least(62, toUInt64(floor(log2(greatest(1, %s)))))]), 1)))",
				     x, x, x, x, x);
	default:
		return -EINVAL;
	}
}

/* A call of fns[f] whose argument list is s[open..close] (the parentheses included). */
static int rewrite_call(const char *s, size_t call, size_t open, size_t close, enum fn f,
			int alias, struct tt_buf *o, int depth, char *why, size_t sz)
{
	struct tt_buf args[MAX_ARGS] = {{0}};
	size_t start = open + 1, argc = 0;
	int err = 0, level = 0;

	if (f == F_LOG2_HIST)
		return fail(why, sz, "log2_hist() has no ClickHouse equivalent in tracetape; write "
			    "SELECT log2_bucket(x) AS lo, count() FROM ... GROUP BY lo ORDER BY lo instead");
	if (depth >= MAX_DEPTH)
		return fail(why, sz, "calls of %s() nested too deeply", fns[f].name);
	for (size_t i = open + 1; i <= close && !err; i++) {
		long j = skip_quoted(s, (long)i);

		if (j != (long)i) {
			i = (size_t)j - 1;
			continue;
		}
		if (s[i] == '(') {
			level++;
		} else if (s[i] == ')' && level) {
			level--;
		} else if ((s[i] == ',' && !level) || i == close) {
			if (argc == MAX_ARGS) {
				argc++;
				break;
			}
			err = translate(s + start, i - start, &args[argc++], depth + 1, why, sz);
			start = i + 1;
		}
	}
	if (!err && argc == 1 && !args[0].len)
		argc = 0;
	if (!err && (int)argc != fns[f].argc)
		err = fail(why, sz, "%s() takes %d argument%s, not %zu", fns[f].name, fns[f].argc,
			   fns[f].argc == 1 ? "" : "s", argc);
	if (!err)
		err = tt_buf_printf(o, "(");
	if (!err)
		err = emit(o, f, (const char *)args[0].data, argc > 1 ? (const char *)args[1].data : NULL);
	if (!err && alias) {
		/* named as written, so result columns keep the name the user gave them */
		err = tt_buf_printf(o, " AS `");
		for (size_t i = call; !err && i <= close; i++)
			err = s[i] == '`' || s[i] == '\\' ? tt_buf_printf(o, "\\%c", s[i])
							  : tt_buf_append(o, s + i, 1);
		if (!err)
			err = tt_buf_printf(o, "`");
	}
	if (!err)
		err = tt_buf_printf(o, ")");
	for (size_t i = 0; i < MAX_ARGS; i++)
		tt_buf_free(&args[i]);
	return err;
}

/* Is the next word after s[i] (blanks skipped) AS? */
static int followed_by_as(const char *s, size_t i, size_t n)
{
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	return i + 2 <= n && !strncasecmp(s + i, "as", 2) && (i + 2 == n || !is_word(s[i + 2]));
}

/* Translate s[0..n) into o (NUL-terminated). depth 0: the whole query. */
static int translate(const char *s, size_t n, struct tt_buf *o, int depth, char *why, size_t sz)
{
	size_t copied = 0, i = 0;
	int err = 0;

	while (i < n && !err) {
		long j = skip_quoted(s, (long)i);

		if (j < 0)
			return fail(why, sz, "an unterminated %s", s[i] == '/' || s[i] == '-' ? "comment" :
				    s[i] == '\'' ? "string literal" : "quoted name");
		if (j != (long)i) {
			i = (size_t)j;
			continue;
		}
		if (!is_word(s[i]) || (i && (is_word(s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '$'))) {
			i++;
			continue;
		}
		size_t w = i, open, close;
		int f, level = 0;

		while (i < n && is_word(s[i]))
			i++;
		for (f = 0; f < F_CNT; f++)
			if (strlen(fns[f].name) == i - w && !strncasecmp(s + w, fns[f].name, i - w))
				break;
		open = i;
		while (open < n && isspace((unsigned char)s[open]))
			open++;
		if (f == F_CNT || open >= n || s[open] != '(')
			continue;
		for (close = open; close < n; close++) {
			long k = skip_quoted(s, (long)close);

			if (k < 0)
				return fail(why, sz, "an unterminated string, name or comment in %s()",
					    fns[f].name);
			if (k != (long)close) {
				close = (size_t)k - 1;
				continue;
			}
			if (s[close] == '(')
				level++;
			else if (s[close] == ')' && !--level)
				break;
		}
		if (close >= n)
			return fail(why, sz, "%s( has no closing parenthesis", fns[f].name);
		err = tt_buf_append(o, s + copied, w - copied);
		if (!err)
			err = rewrite_call(s, w, open, close, (enum fn)f,
					   !depth && !followed_by_as(s, close + 1, n), o, depth, why, sz);
		i = copied = close + 1;
	}
	if (!err)
		err = tt_buf_append(o, s + copied, n - copied);
	if (!err)
		err = tt_buf_append(o, "", 1);
	if (!err)
		o->len--;
	return err == -ENOMEM ? (snprintf(why, sz, "out of memory"), -ENOMEM) : err;
}

int tt_ch_sql_translate(const char *sql, struct tt_buf *out, char *why, size_t why_sz)
{
	return translate(sql, strlen(sql), out, 0, why, why_sz);
}
