/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/ch_sql.c: which calls are rewritten (function calls of tracetape's
 * names, in any case, nested) and which are not (in literals, quoted names, comments, after a
 * '.', names that only start alike), the aliases that keep result names, and the errors. What
 * the expressions compute is checked against SQLite by tests/e2e/test_clickhouse.py.
 */
#include <stdlib.h>
#include <string.h>

#include "ch_sql.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

/* Translate sql; the result (NUL-terminated, caller frees) or NULL with why filled. */
static char *tr(const char *sql, char *why, size_t sz)
{
	struct tt_buf b = {0};

	if (tt_ch_sql_translate(sql, &b, why, sz)) {
		tt_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)); p++)
		n++;
	return n;
}

TT_TEST(ch_sql, untouched_text_is_copied_as_is)
{
	static const char *const same[] = {
		"SELECT count() FROM spans",
		"SELECT 'percentile(x, 5)' FROM t",        /* a string literal */
		"SELECT \"median\"(x) FROM t",              /* a quoted name is someone else's */
		"SELECT `median`(x) FROM t",
		"SELECT x -- median(x)\nFROM t",            /* comments */
		"SELECT /* log2_bucket(x) */ x FROM t",
		"SELECT db.median(x), percentiles(x) FROM t", /* qualified; another name */
		"SELECT median FROM t",                     /* a column, not a call */
		"SELECT 'it''s', 'a\\'b' FROM t",
	};
	char why[256];

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char *s = tr(same[i], why, sizeof(why));

		assert_non_null(s);
		assert_string_equal(s, same[i]);
		free(s);
	}
}

TT_TEST(ch_sql, calls_are_rewritten_and_keep_their_names)
{
	char why[256], *s;

	s = tr("SELECT name, PERCENTILE(dur, 99.9), Median (dur) AS m FROM spans GROUP BY name", why,
	       sizeof(why));
	assert_non_null(s);
	assert_int_equal(count(s, "arraySort(groupArray(dur))"), 2);
	assert_non_null(strstr(s, "AS `PERCENTILE(dur, 99.9)`)"));
	assert_null(strstr(s, "AS `Median")); /* the user's alias wins */
	assert_non_null(strstr(s, ") AS m FROM spans GROUP BY name"));
	assert_non_null(strstr(s, "99.9) * 1000000 + 0.5"));
	free(s);
	/* nested calls: the inner one is rewritten without an alias of its own */
	s = tr("SELECT percentile(log2_bucket(x), 50) FROM t", why, sizeof(why));
	assert_non_null(s);
	assert_int_equal(count(s, " AS `"), 1);
	assert_non_null(strstr(s, "bitShiftLeft"));
	assert_non_null(strstr(s, "AS `percentile(log2_bucket(x), 50)`"));
	free(s);
	/* a backquote in the text of a call is escaped in its alias */
	s = tr("SELECT median(`a b`) FROM t", why, sizeof(why));
	assert_non_null(s);
	assert_non_null(strstr(s, "AS `median(\\`a b\\`)`"));
	free(s);
}

TT_TEST(ch_sql, errors_say_what_is_wrong)
{
	static const struct {
		const char *sql, *why;
	} cases[] = {
		{"SELECT percentile(x) FROM t", "percentile() takes 2 arguments, not 1"},
		{"SELECT median(x, 5) FROM t", "median() takes 1 argument, not 2"},
		{"SELECT log2_bucket() FROM t", "log2_bucket() takes 1 argument, not 0"},
		{"SELECT median(x FROM t", "median( has no closing parenthesis"},
		{"SELECT median('x) FROM t", "unterminated"},
		{"SELECT 'x FROM t", "an unterminated string literal"},
		{"SELECT x /* FROM t", "an unterminated comment"},
		{"SELECT log2_hist(dur) FROM t", "GROUP BY lo ORDER BY lo"},
	};
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tt_buf b = {0};

		why[0] = 0;
		assert_int_equal(tt_ch_sql_translate(cases[i].sql, &b, why, sizeof(why)), -TT_E_PARSE);
		if (!strstr(why, cases[i].why))
			fail_msg("%s: got '%s', want '%s'", cases[i].sql, why, cases[i].why);
		tt_buf_free(&b);
	}
}
