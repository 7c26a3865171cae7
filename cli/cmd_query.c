/* SPDX-License-Identifier: MIT */
/*
 * `tracetape query DB|TAPE 'SQL'`: runs SQL against a database (or a tape loaded on the fly into
 * a temporary one) and prints each statement's rows as an aligned table, CSV or JSON. Memory is
 * bounded: the table format measures column widths on the first rows only and streams the rest.
 * SQLite's own error message is what the user sees for bad SQL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_url.h"
#include "cmd_ch.h"
#include "loader.h"
#include "tt_fmt.h"
#include "tt_names.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"

#define TABLE_SAMPLE_ROWS 1000 /* rows held to size the columns of the table format */
#define TABLE_CELL_MAX 60      /* widest column the sizing allows (longer cells overflow) */

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

enum { OPT_SPAN = TT_OPT_FIRST, OPT_JSON, OPT_NO_CACHE, OPT_SKIP_DAMAGED, OPT_DEBUG_DIR };

static const char *const fmt_names[] = {"table", "csv", "json", "text", NULL};

static const struct tt_opt opts[] = {
	{'f', "format", 'f', "FMT",
	 "table or text (default: aligned columns, NULL shown as NULL,\n"
	 "control characters in text escaped as \\n, \\xHH), csv (RFC 4180,\n"
	 "header line, NULL empty, text exact) or json (an array of\n"
	 "objects per statement)",
	 NULL, 'F'},
	{OPT_JSON, "json", 0, NULL, "the same as --format json", NULL},
	{'o', "output", 'o', "FILE", "write to FILE instead of standard output ('-')", NULL},
	{OPT_SPAN, "span", 0, "RULE", "for a TAPE: NAME=START,END[,key=ARG] span rules (see load)",
	 NULL},
	{OPT_SKIP_DAMAGED, "skip-damaged", 0, NULL,
	 "for a TAPE: read past damaged blocks instead of stopping at the first one", NULL},
	{OPT_NO_CACHE, "no-cache", 0, NULL,
	 "a TAPE is loaded once and its database reused while the tape\n"
	 "is unchanged (kept in ~/.cache/tracetape): load it again", NULL},
	{OPT_DEBUG_DIR, "debug-dir", 0, "DIR",
	 "for a TAPE: look for the debug files of stripped binaries in\n"
	 "DIR first (see load; such a load is not cached)",
	 NULL},
	{0},
};

const struct tt_cmd_def tt_cmd_def_query = {
	.summary = "run SQL on a database or a tape (table, CSV, JSON)",
	.name = "query",
	.usage = "[-f table|csv|json] [-o FILE] [--span RULE]... DB|TAPE SQL",
	.about = "Run SQL (one or more statements) on a tracetape database, or on a tape, which is\n"
		 "loaded into a temporary database first ('-' reads the tape from standard input).\n"
		 "The tables, views and SQL functions (percentile, median, log2_hist, ...) are\n"
		 "described in tracetape-sql(7) ('man tracetape-sql'). To bound the memory a query\n"
		 "may take, begin with PRAGMA hard_heap_limit=BYTES; past it, the statement fails\n"
		 "with \"out of memory\" (exit status 1).\n"
		 "\n"
		 "DB may be a ClickHouse database, clickhouse://HOST[:PORT]/DATABASE (see load\n"
		 "--into): one statement of ClickHouse SQL, in which percentile, percentile_cont,\n"
		 "median and log2_bucket are rewritten into ClickHouse expressions of the same\n"
		 "definitions; the output is ClickHouse's own (PrettyCompact, CSVWithNames,\n"
		 "JSONEachRow).\n",
	.opts = opts,
	.more = "Exit status: 0 success, 1 SQL error (SQLite's or ClickHouse's message) or\n"
		"unreadable input,\n"
		"2 bad command line.\n",
};

/* The text of one cell: in buf (numbers, blobs as x'..') or SQLite's own text. */
static const char *cell_text(sqlite3_stmt *st, int c, char *buf, size_t sz, int *is_null,
			     char **owned)
{
	*is_null = 0;
	*owned = NULL;
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL:
		*is_null = 1;
		return "";
	case SQLITE_INTEGER:
		snprintf(buf, sz, "%lld", (long long)sqlite3_column_int64(st, c));
		return buf;
	case SQLITE_FLOAT:
		*tt_fmt_double(buf, sqlite3_column_double(st, c), 0) = 0;
		return buf;
	case SQLITE_BLOB: {
		const unsigned char *b = sqlite3_column_blob(st, c);
		int n = sqlite3_column_bytes(st, c);
		char *s = malloc((size_t)n * 2 + 4);

		if (!s)
			return "";
		s[0] = 'x';
		s[1] = '\'';
		for (int i = 0; i < n; i++)
			snprintf(s + 2 + 2 * i, 3, "%02x", b[i]);
		s[2 + 2 * n] = '\'';
		s[3 + 2 * n] = 0;
		*owned = s;
		return s;
	}
	default:
		return (const char *)sqlite3_column_text(st, c);
	}
}

/* A cell of the table format, which is read on a terminal: control characters in text escaped. */
static const char *table_cell(sqlite3_stmt *st, int c, char *buf, size_t sz, int *is_null,
			      char **owned)
{
	const char *s = cell_text(st, c, buf, sz, is_null, owned);

	if (!s || *owned || sqlite3_column_type(st, c) != SQLITE_TEXT)
		return s;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == 0xc2) { /* 0xc2: maybe a C1 control */
			*owned = tt_bare_dup(s);
			return *owned ? *owned : s;
		}
	}
	return s;
}

static int is_number(sqlite3_stmt *st, int c)
{
	int t = sqlite3_column_type(st, c);

	return t == SQLITE_INTEGER || t == SQLITE_FLOAT;
}

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_string(FILE *f, const char *s, size_t n)
{
	tt_json_fputs(f, s, n);
}

struct held_row {
	char **cells;
	unsigned char *num; /* right-align */
};

static void table_row(FILE *f, int ncol, const int *w, char *const *cells, const unsigned char *num)
{
	for (int c = 0; c < ncol; c++) {
		const char *s = cells[c];
		int len = (int)strlen(s);

		if (c)
			fputs("  ", f);
		if (num && num[c])
			fprintf(f, "%*s%s", w[c] > len ? w[c] - len : 0, "", s);
		else if (c == ncol - 1)
			fputs(s, f); /* no trailing blanks */
		else
			fprintf(f, "%s%*s", s, w[c] > len ? w[c] - len : 0, "");
	}
	fputc('\n', f);
}

static void free_held(struct held_row *rows, size_t n, int ncol)
{
	for (size_t r = 0; r < n; r++) {
		for (int c = 0; c < ncol; c++)
			free(rows[r].cells[c]);
		free(rows[r].cells);
		free(rows[r].num);
	}
}

/* The header, its underline and the held rows of the table format, once the widths are known. */
static int table_flush(sqlite3_stmt *st, FILE *f, int ncol, const int *w, struct held_row *held,
		       size_t nheld)
{
	char **names = calloc((size_t)ncol, sizeof(char *));

	if (!names)
		return -ENOMEM;
	for (int c = 0; c < ncol; c++)
		names[c] = (char *)sqlite3_column_name(st, c);
	table_row(f, ncol, w, names, NULL);
	for (int c = 0; c < ncol; c++)
		fprintf(f, "%s%.*s", c ? "  " : "", w[c],
			"------------------------------------------------------------");
	fputc('\n', f);
	free(names);
	for (size_t r = 0; r < nheld; r++)
		table_row(f, ncol, w, held[r].cells, held[r].num);
	return 0;
}

/* Hold one row of the table format (to size the columns). */
static int table_hold(sqlite3_stmt *st, int ncol, int *w, struct held_row *h)
{
	char buf[64];

	h->cells = calloc((size_t)ncol, sizeof(char *));
	h->num = calloc((size_t)ncol, 1);
	if (!h->cells || !h->num)
		return -ENOMEM;
	for (int c = 0; c < ncol; c++) {
		int is_null, len;
		char *owned;
		const char *s = table_cell(st, c, buf, sizeof(buf), &is_null, &owned);

		h->cells[c] = owned ? owned : strdup(is_null ? "NULL" : s ? s : "");
		h->num[c] = (unsigned char)is_number(st, c);
		if (!h->cells[c])
			return -ENOMEM;
		len = (int)strlen(h->cells[c]);
		if (len > w[c])
			w[c] = TT_MIN(len, TABLE_CELL_MAX);
	}
	return 0;
}

/* Print the current row of st in the table format, with the widths fixed. */
static void table_stream(sqlite3_stmt *st, FILE *f, int ncol, const int *w)
{
	for (int c = 0; c < ncol; c++) {
		char buf[64], *owned;
		int is_null, len;
		const char *s = table_cell(st, c, buf, sizeof(buf), &is_null, &owned);

		s = is_null ? "NULL" : s ? s : "";
		len = (int)strlen(s);
		if (c)
			fputs("  ", f);
		if (is_number(st, c))
			fprintf(f, "%*s%s", w[c] > len ? w[c] - len : 0, "", s);
		else if (c == ncol - 1)
			fputs(s, f);
		else
			fprintf(f, "%s%*s", s, w[c] > len ? w[c] - len : 0, "");
		free(owned);
	}
	fputc('\n', f);
}

/* The current row of st as CSV or as a JSON object. */
static void record_print(sqlite3_stmt *st, FILE *f, enum fmt fmt, int ncol, size_t row)
{
	if (fmt == FMT_JSON)
		fputs(row ? ",\n{" : "\n{", f);
	for (int c = 0; c < ncol; c++) {
		char buf[64], *owned;
		int is_null;
		const char *s = cell_text(st, c, buf, sizeof(buf), &is_null, &owned);

		if (c)
			fputc(',', f);
		if (fmt == FMT_CSV) {
			csv_field(f, s ? s : "");
		} else {
			const char *name = sqlite3_column_name(st, c);

			json_string(f, name, strlen(name));
			fputc(':', f);
			if (is_null)
				fputs("null", f);
			else if (sqlite3_column_type(st, c) == SQLITE_FLOAT)
				fwrite(buf, 1, (size_t)(tt_fmt_double(buf, sqlite3_column_double(st, c), 1) - buf), f);
			else if (is_number(st, c))
				fputs(s, f);
			else
				json_string(f, s ? s : "", owned ? strlen(owned) : (size_t)sqlite3_column_bytes(st, c));
		}
		free(owned);
	}
	fputs(fmt == FMT_JSON ? "}" : "\n", f);
}

/* Step st to the end, printing its rows. Returns 0, or -TT_E_SQL / -ENOMEM. */
static int print_rows(sqlite3_stmt *st, enum fmt fmt, int first_set, FILE *f)
{
	int ncol = sqlite3_column_count(st), rc, err = 0, flushed = 0;
	struct held_row *held = NULL;
	size_t nheld = 0, nrows = 0;
	int *w = NULL;

	if (!first_set && fmt != FMT_JSON)
		fputc('\n', f);
	if (fmt == FMT_CSV) {
		for (int c = 0; c < ncol; c++) {
			if (c)
				fputc(',', f);
			csv_field(f, sqlite3_column_name(st, c));
		}
		fputc('\n', f);
	} else if (fmt == FMT_JSON) {
		fputc('[', f);
	} else {
		w = calloc((size_t)ncol, sizeof(*w));
		held = calloc(TABLE_SAMPLE_ROWS, sizeof(*held));
		if (!w || !held) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (int c = 0; c < ncol; c++)
			w[c] = (int)strlen(sqlite3_column_name(st, c));
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fmt != FMT_TABLE) {
			record_print(st, f, fmt, ncol, nrows);
		} else if (nheld < TABLE_SAMPLE_ROWS) {
			err = table_hold(st, ncol, w, &held[nheld++]);
			if (err)
				goto cleanup;
		} else {
			if (!flushed) {
				err = table_flush(st, f, ncol, w, held, nheld);
				if (err)
					goto cleanup;
				flushed = 1;
			}
			table_stream(st, f, ncol, w);
		}
		nrows++;
	}
	if (rc != SQLITE_DONE) {
		err = -TT_E_SQL;
		goto cleanup;
	}
	if (fmt == FMT_TABLE && !flushed)
		err = table_flush(st, f, ncol, w, held, nheld);
	if (fmt == FMT_JSON)
		fputs(nrows ? "\n]\n" : "]\n", f);
cleanup:
	if (held)
		free_held(held, nheld, ncol);
	free(held);
	free(w);
	return err;
}

int tt_cmd_query(int argc, char **argv, struct tt_out *out)
{
	struct tt_span_rules rules = {0};
	struct tt_load_opts lo = {.out = out};
	const char **dirs = NULL;
	struct tt_input in = {0};
	enum fmt fmt = FMT_TABLE;
	const char *sql, *end, *v, *path, *output = NULL;
	FILE *f = NULL;
	struct tt_opts p;
	int c, err = 0, sets = 0, no_cache = 0;

	tt_opts_init(&p, &tt_cmd_def_query, argc, argv, out);
	while ((c = tt_opts_next(&p, &v)) > 0) {
		switch (c) {
		case 'f':
			err = tt_cmd_format(out, v, fmt_names);
			if (err < 0)
				goto cleanup;
			fmt = err == 3 ? FMT_TABLE : (enum fmt)err;
			err = 0;
			break;
		case OPT_JSON:
			fmt = FMT_JSON;
			break;
		case 'o':
			output = v;
			break;
		case OPT_NO_CACHE:
			no_cache = TT_INPUT_NO_CACHE;
			break;
		case OPT_SKIP_DAMAGED:
			lo.skip_damaged = 1;
			break;
		case OPT_SPAN:
			err = tt_cmd_span_rule(&rules, v, out);
			if (err)
				goto cleanup;
			break;
		case OPT_DEBUG_DIR:
			err = tt_cmd_debug_dir(&dirs, &lo.debug_dir_cnt, v, out);
			if (err)
				goto cleanup;
			lo.debug_dirs = dirs;
			break;
		}
	}
	if (c < 0) {
		err = c == TT_OPTS_HELP ? 0 : c;
		goto cleanup;
	}
	if (p.arg_cnt != 2) {
		err = p.arg_cnt < 2 ? tt_cmd_usage_error(out, "expected a DB or TAPE and an SQL text")
				    : tt_cmd_usage_error(out, "unexpected argument '%s'", p.args[2]);
		goto cleanup;
	}
	path = p.args[0];
	sql = p.args[1];
	if (tt_ch_url_is(path) && (rules.cnt || lo.debug_dir_cnt)) {
		err = tt_cmd_usage_error(out, "--%s is for a TAPE, not a ClickHouse database",
					 rules.cnt ? "span" : "debug-dir");
		goto cleanup;
	}
	lo.rules = rules.v;
	lo.rule_cnt = rules.cnt;
	err = tt_ch_url_is(path) ? 0 : tt_input_open(path, &lo, TT_INPUT_WRITABLE | no_cache, &in);
	if (err)
		goto cleanup;
	f = tt_cmd_output_open(out, output);
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	if (tt_ch_url_is(path)) {
		err = tt_cmd_query_ch(path, sql, fmt_names[fmt], f, out);
		goto cleanup;
	}
	end = sql + strlen(sql);
	while (sql < end) {
		sqlite3_stmt *st = NULL;
		const char *tail;

		if (sqlite3_prepare_v2(in.db, sql, (int)(end - sql), &st, &tail) != SQLITE_OK) {
			tt_err(out, "%s", sqlite3_errmsg(in.db));
			err = -TT_E_SQL;
			goto cleanup;
		}
		if (!st)
			break;
		if (sqlite3_column_count(st) > 0) {
			err = print_rows(st, fmt, sets++ == 0, f);
		} else {
			int rc;

			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
			err = rc == SQLITE_DONE ? 0 : -TT_E_SQL;
		}
		if (err == -TT_E_SQL)
			tt_err(out, "%s", sqlite3_errmsg(in.db));
		sqlite3_finalize(st);
		if (err)
			goto cleanup;
		sql = tail;
	}
cleanup:
	if (f) {
		int e = tt_cmd_output_close(out, output, f);

		err = err ? err : e;
	}
	tt_opts_free(&p);
	tt_input_close(&in);
	tt_span_rules_free(&rules);
	free(dirs);
	return err;
}
