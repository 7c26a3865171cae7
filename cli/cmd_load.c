/* SPDX-License-Identifier: MIT */
/*
 * `tracetape load`: tapes into one SQLite database (loader.h), spans included. The command
 * parses options, picks the database path and prints a one-line summary; the work and every
 * diagnostic of it belong to the loader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_ch.h"
#include "db_schema.h"
#include "loader.h"
#include "tt_cmd.h"
#include "tt_error.h"

enum { OPT_SPAN = TT_OPT_FIRST, OPT_INTO, OPT_SKIP_DAMAGED, OPT_DEBUG_DIR };

static const struct tt_opt opts[] = {
	{'o', "output", 'o', "DB", "the database (default: the first TAPE with .tape replaced by .db)",
	 NULL},
	{'F', "force", 0, NULL, "replace DB if it exists", NULL, 'f'},
	{OPT_INTO, "into", 0, "URL",
	 "load into a ClickHouse database instead:\n"
	 "clickhouse://[USER[:PASS]@]HOST[:PORT][/DATABASE]\n"
	 "[?cluster=NAME[&shards=HOST:PORT,...]] (README.md);\n"
	 "a tape already in that database is skipped",
	 NULL},
	{OPT_SKIP_DAMAGED, "skip-damaged", 0, NULL,
	 "read past damaged blocks instead of stopping at the first one", NULL},
	{OPT_SPAN, "span", 0, "RULE",
	 "NAME=START,END[,key=ARG]: pair START and END probes\n"
	 "(\"provider:name\" or \"name\", globs allowed, alternatives\n"
	 "joined by |) into spans called NAME, by the value of argument\n"
	 "ARG (key=pid: one at a time per process, key=tid: per thread),\n"
	 "or by thread without key=",
	 NULL},
	{OPT_DEBUG_DIR, "debug-dir", 0, "DIR",
	 "record --stack: look for the debug files of stripped binaries\n"
	 "in DIR before /usr/lib/debug (repeatable)",
	 NULL},
	{0},
};

const struct tt_cmd_def tt_cmd_def_load = {
	.summary = "load tapes into an SQLite database, with spans",
	.name = "load",
	.usage = "[-o DB [--force] | --into URL] [--span NAME=START,END[,key=ARG]]... "
		 "[--debug-dir DIR]... TAPE...",
	.about = "Load tapes into one SQLite database: events, probes, spans, losses, processes,\n"
		 "threads, one view per probe and one table per tracepoint (tracetape-sql(7)).\n"
		 "TAPE '-' is standard input (with -o DB: a database is never written to stdout).\n"
		 "Tapes of several hosts, or the rotated files of one recording, go into one database.\n"
		 "Memory stays bounded whatever the tapes' size. A damaged or cut tape is loaded up to\n"
		 "the damage, with a warning (also kept in the meta table).\n"
		 "\n"
		 "Spans are built while loading: X__begin/X__end by (process, first argument) across\n"
		 "threads; X__start/X__done, X__entry/X__return (and X__begin/X__end without an id)\n"
		 "by thread, nested; Go functions by goroutine. The provider files built into\n"
		 "tracetape add their rules for the probes of PostgreSQL, PHP, Python and the JVM\n"
		 "('tracetape list BINARY' says which file a probe takes), e.g. postgresql transaction__start to transaction__commit\n"
		 "or transaction__abort; --span rules win for the probes they name.\n"
		 "\n"
		 "Call stacks (record --stack) are named from the binaries at the paths recorded,\n"
		 "when their build id is the recorded one. A stripped binary's symbols come from its\n"
		 "debug file, looked for as gdb does: DIR/.build-id/xx/rest.debug in each debug\n"
		 "directory (the --debug-dir ones, then /usr/lib/debug), then the name in its\n"
		 ".gnu_debuglink: next to the binary, in .debug/ there, under DIR/BINARY'S-DIR/.\n"
		 "A debug file of another build (build id, or the link's CRC-32) is not used, with\n"
		 "a warning. A binary gone from its path (another machine) is looked for by build\n"
		 "id in the same directories: DIR/.build-id/xx/rest, or rest/elf (perf's\n"
		 "buildid-cache, ~/.debug). Frames that cannot be named keep their file and offset.\n"
		 "\n"
		 "--into clickhouse://... loads into ClickHouse instead (for fleets: many hosts,\n"
		 "many analysts): the same tables, created when missing, sent as RowBinary over\n"
		 "HTTP; each tape loads once (a tape already there is skipped), and a load that\n"
		 "failed is redone without duplicates by running it again.\n",
	.opts = opts,
	.more = "-v also prints the time of each phase; -q prints nothing but errors.\n"
		"\n"
		"Exit status: 0 loaded (also when a tape was damaged: see the warning), 1 a tape\n"
		"cannot be read, DB exists without --force, or SQLite or ClickHouse failed (the\n"
		"server's message is printed), 2 bad command line (a malformed URL included).\n",
};

/* TAPE with a trailing ".tape" replaced by ".db", or ".db" appended. Caller frees. */
static char *default_db(const char *tape)
{
	size_t n = strlen(tape);
	char *s;

	if (n > 5 && !strcmp(tape + n - 5, ".tape"))
		n -= 5;
	s = malloc(n + 4);
	if (s) {
		memcpy(s, tape, n);
		memcpy(s + n, ".db", 4);
	}
	return s;
}

int tt_cmd_load(int argc, char **argv, struct tt_out *out)
{
	struct tt_span_rules rules = {0};
	struct tt_load_opts lo = {.out = out};
	const char **dirs = NULL;
	struct tt_load_stats st;
	const char *db = NULL, *into = NULL, *v;
	char *db_owned = NULL;
	struct tt_opts p;
	int c, err = 0;

	tt_opts_init(&p, &tt_cmd_def_load, argc, argv, out);
	while ((c = tt_opts_next(&p, &v)) > 0) {
		switch (c) {
		case 'o':
			db = v;
			break;
		case 'F':
			lo.force = 1;
			break;
		case OPT_SKIP_DAMAGED:
			lo.skip_damaged = 1;
			break;
		case OPT_SPAN:
			err = tt_cmd_span_rule(&rules, v, out);
			if (err)
				goto cleanup;
			break;
		case OPT_INTO:
			into = v;
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
	if (!p.arg_cnt) {
		err = tt_cmd_usage_error(out, "no tape given");
		goto cleanup;
	}
	lo.rules = rules.v;
	lo.rule_cnt = rules.cnt;
	if (into) {
		err = db || lo.force ? tt_cmd_usage_error(out, "--into names a ClickHouse database: "
							  "-o and --force are for SQLite files")
				     : tt_cmd_load_ch(into, p.args, (size_t)p.arg_cnt, &lo, out);
		goto cleanup;
	}
	if (!db && !strcmp(p.args[0], "-")) {
		err = tt_cmd_usage_error(out, "a tape from standard input ('-') needs -o DB");
		goto cleanup;
	}
	if (db && !strcmp(db, "-")) {
		err = tt_cmd_usage_error(out, "-o -: an SQLite database cannot be written to standard "
					      "output; give -o DB (or use 'tracetape query - SQL')");
		goto cleanup;
	}
	if (!db) {
		db = db_owned = default_db(p.args[0]);
		if (!db) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	/* the database is built under a temporary name and renamed into place, never over a device */
	if (tt_cmd_output_in_place(db)) {
		err = tt_cmd_usage_error(out, "-o %s: not a regular file (a database must be one)", db);
		goto cleanup;
	}
	tt_db_bulk_mode(); /* no heap limit to keep here: SQLite's memory statistics off */
	err = tt_load(db, (const char *const *)p.args, (size_t)p.arg_cnt, &lo, &st);
	if (err)
		goto cleanup;
	tt_notice(out, "%s: %llu events, %llu spans, %llu probes from %llu tape%s in %.1f s "
		  "(%.1f MiB, %.0f bytes/event)", db, (unsigned long long)st.events,
		  (unsigned long long)st.spans, (unsigned long long)st.probes,
		  (unsigned long long)st.tapes, st.tapes == 1 ? "" : "s", (double)st.total_ns / 1e9,
		  (double)st.db_bytes / (1 << 20),
		  st.events ? (double)st.db_bytes / (double)st.events : 0.0);
	tt_info(out, "phases: insert %.2f s (%.0f events/s, %.0f rows/s), finish %.2f s, indexes %.2f s "
		"(events %.2f s, waiting for spans %.2f s, span transfer %.2f s)",
		(double)st.insert_ns / 1e9, (double)st.events * 1e9 / (double)(st.insert_ns ? st.insert_ns : 1),
		(double)(st.events + st.spans) * 1e9 / (double)(st.insert_ns ? st.insert_ns : 1),
		(double)st.finish_ns / 1e9, (double)st.index_ns / 1e9, (double)st.events_index_ns / 1e9,
		(double)st.spans_wait_ns / 1e9, (double)st.transfer_ns / 1e9);
	if (st.lost_events)
		tt_notice(out, "%llu events were lost during the recording: see the losses table; "
			  "spans.lost marks the spans they may affect", (unsigned long long)st.lost_events);
cleanup:
	tt_opts_free(&p);
	tt_span_rules_free(&rules);
	free(dirs);
	free(db_owned);
	return err;
}
