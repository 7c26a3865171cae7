/* SPDX-License-Identifier: MIT */
/*
 * The subcommands of the tracetape binary. Each lives in its own file in cli/ (cmd_NAME.c) over
 * the libraries it drives, and has the same shape: it parses its own
 * arguments (argv[0] is the subcommand's name), writes through out, and returns 0 on success,
 * -TT_E_USAGE for a bad command line (the CLI exits 2) or another negative error (exit 1).
 * cli/main.c holds the table and maps the result to an exit code; nothing else exits.
 */
#ifndef TT_CMD_H
#define TT_CMD_H

#include "tt_out.h"

typedef int (*tt_cmd_main_fn)(int argc, char **argv, struct tt_out *out);

int tt_cmd_check(int argc, char **argv, struct tt_out *out);
int tt_cmd_record(int argc, char **argv, struct tt_out *out);
int tt_cmd_load(int argc, char **argv, struct tt_out *out);
int tt_cmd_query(int argc, char **argv, struct tt_out *out);
int tt_cmd_report(int argc, char **argv, struct tt_out *out);
int tt_cmd_info(int argc, char **argv, struct tt_out *out);
int tt_cmd_replay(int argc, char **argv, struct tt_out *out);
int tt_cmd_list(int argc, char **argv, struct tt_out *out);
int tt_cmd_gen_header(int argc, char **argv, struct tt_out *out);

/*
 * Helpers for the subcommands' option parsing with getopt_long (opterr = 0, optstring starting
 * with ':'). tt_cmd_bad_option() prints why the option in argv was rejected and returns
 * -TT_E_USAGE; tt_cmd_usage_error() does the same for a free-form message.
 */
int tt_cmd_bad_option(const struct tt_out *out, int c, char *const argv[]);
int tt_cmd_usage_error(const struct tt_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct tt_span_rules;

/* A --span option's value added to rules; a bad rule is a usage error (printed). */
int tt_cmd_span_rule(struct tt_span_rules *rules, const char *text, const struct tt_out *out);

/* Apply a -v or -q flag to out->verbosity. */
void tt_cmd_verbosity(struct tt_out *out, int c);

#endif /* TT_CMD_H */
