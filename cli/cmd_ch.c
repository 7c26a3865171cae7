/* SPDX-License-Identifier: MIT */
/*
 * `load --into clickhouse://...`, `query clickhouse://...` and `report clickhouse://...` (cmd_ch.h): the URL parsed, the
 * work handed to the analyzer (ch_load.h, ch_sql.h, ch_http.h), a summary printed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ch_sql.h"
#include "ch_url.h"
#include "cmd_ch.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"
#ifdef TT_HAVE_CLICKHOUSE
#include "ch_http.h"
#include "ch_load.h"
#include "ch_report.h"
#endif

/* The URL parsed into u, or a usage error naming what is wrong with it. */
static int parse_url(const char *url, struct tt_ch_url *u, const struct tt_out *out)
{
	char why[256];
	int err = tt_ch_url_parse(url, u, why, sizeof(why));

	if (err == -EINVAL)
		return tt_cmd_usage_error(out, "%s: %s", url, why);
	return err;
}

#ifdef TT_HAVE_CLICKHOUSE
int tt_cmd_load_ch(const char *url, char *const *tapes, size_t tape_cnt,
		   const struct tt_load_opts *lo, const struct tt_out *out)
{
	struct tt_ch_load_stats st;
	struct tt_ch_url u;
	int err = parse_url(url, &u, out);

	if (err)
		return err;
	err = tt_ch_load(&u, (const char *const *)tapes, tape_cnt, lo, &st);
	if (!err && !st.tapes)
		tt_notice(out, "%s: nothing to load (every tape given is in the database already)",
			  u.database);
	else if (!err)
		tt_notice(out, "%s: %llu events, %llu spans from %llu tape%s in %.1f s (SQLite %.1f s, "
			  "sending %.1f s: %.0f events/s, %.1f MiB)%s", u.database,
			  (unsigned long long)st.events, (unsigned long long)st.spans,
			  (unsigned long long)st.tapes, st.tapes == 1 ? "" : "s",
			  (double)(st.sqlite_ns + st.send_ns) / 1e9, (double)st.sqlite_ns / 1e9,
			  (double)st.send_ns / 1e9,
			  (double)st.events * 1e9 / (double)(st.send_ns ? st.send_ns : 1),
			  (double)st.bytes / (1 << 20),
			  st.skipped ? " (tapes already loaded were skipped)" : "");
	tt_ch_url_free(&u);
	return err;
}

int tt_cmd_query_ch(const char *url, const char *sql, const char *fmt, FILE *f,
		    const struct tt_out *out)
{
	struct tt_buf q = {0};
	struct tt_ch_conn *c = NULL;
	struct tt_ch_url u;
	const char *ch_fmt;
	char why[512], settings[300];
	size_t n;
	int err = parse_url(url, &u, out);

	if (err)
		return err;
	ch_fmt = !strcmp(fmt, "csv") ? "CSVWithNames" : !strcmp(fmt, "json") ? "JSONEachRow" :
		 "PrettyCompactNoEscapes";
	err = tt_ch_sql_translate(sql, &q, why, sizeof(why));
	if (err == -TT_E_PARSE)
		tt_err(out, "%s", why);
	if (err)
		goto cleanup;
	/* one statement: a trailing ';' is dropped, the format added */
	n = q.len;
	while (n && (q.data[n - 1] == ';' || q.data[n - 1] == ' ' || q.data[n - 1] == '\n' ||
		     q.data[n - 1] == '\t'))
		n--;
	q.len = n;
	err = tt_buf_printf(&q, "\nFORMAT %s", ch_fmt);
	if (err)
		goto cleanup;
	/* every row in the table format (ClickHouse stops at 10,000 by default); 64-bit integers
	 * as JSON numbers, not strings */
	snprintf(settings, sizeof(settings), "output_format_pretty_max_rows=1000000000&"
		 "output_format_json_quote_64bit_integers=0&database=%s", u.database);
	c = tt_ch_conn__new(&u, &u.entry, settings);
	err = c ? tt_ch_exec_to(c, (const char *)q.data, f, out) : -ENOMEM;
cleanup:
	tt_ch_conn__free(c);
	tt_buf_free(&q);
	tt_ch_url_free(&u);
	return err;
}

int tt_cmd_report_ch(const char *url, const struct tt_report_opts *ro, struct tt_report **rep,
		     const struct tt_out *out)
{
	struct tt_ch_url u;
	int err = parse_url(url, &u, out);

	if (!err)
		err = tt_ch_report__build(&u, url, ro, rep);
	tt_ch_url_free(&u);
	return err;
}
#else
static int no_clickhouse(const struct tt_out *out)
{
	tt_err(out, "this tracetape was built without ClickHouse support (libcurl was not found "
	       "when it was built: install libcurl4-openssl-dev and rebuild)");
	return -ENOTSUP;
}

int tt_cmd_load_ch(const char *url, char *const *tapes, size_t tape_cnt,
		   const struct tt_load_opts *lo, const struct tt_out *out)
{
	struct tt_ch_url u;
	int err = parse_url(url, &u, out);

	tt_ch_url_free(&u);
	return err ? err : no_clickhouse(out);
}

int tt_cmd_query_ch(const char *url, const char *sql, const char *fmt, FILE *f,
		    const struct tt_out *out)
{
	struct tt_ch_url u;
	int err = parse_url(url, &u, out);

	tt_ch_url_free(&u);
	return err ? err : no_clickhouse(out);
}

int tt_cmd_report_ch(const char *url, const struct tt_report_opts *ro, struct tt_report **rep,
		     const struct tt_out *out)
{
	struct tt_ch_url u;
	int err = parse_url(url, &u, out);

	*rep = NULL;
	tt_ch_url_free(&u);
	return err ? err : no_clickhouse(out);
}
#endif
