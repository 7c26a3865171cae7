/* SPDX-License-Identifier: MIT */
/*
 * The command layer of the tracetape binary. Each subcommand lives in cli/cmd_NAME.c over the
 * libraries it drives, and has the same shape: it describes itself and its options once, in a
 * struct tt_cmd_def, parses its arguments with tt_opts_next() (argv[0] is the subcommand's
 * name), writes through out, and returns 0 on success, -TT_E_USAGE for a bad command line
 * (the CLI exits 2) or another negative error (exit 1). cli/main.c holds the table of commands
 * and maps results to exit codes; nothing else exits.
 *
 * One table per command is both the parser's and --help's: an option cannot be documented and
 * not accepted, or the reverse. The layer handles what every command shares: -h/--help (the
 * help text generated from the table), -v/--verbose and -q/--quiet, unknown options, missing
 * or unexpected values, `--` (the end of options), `-` (a positional argument: standard input
 * or output), and old spellings kept for a release with a note on stderr.
 */
#ifndef TT_CMD_H
#define TT_CMD_H

#include <stddef.h>
#include <stdio.h>

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
int tt_cmd_gen_go(int argc, char **argv, struct tt_out *out);
int tt_cmd_diff(int argc, char **argv, struct tt_out *out);

struct tt_cmd_def;
extern const struct tt_cmd_def tt_cmd_def_check, tt_cmd_def_record, tt_cmd_def_load,
	tt_cmd_def_query, tt_cmd_def_report, tt_cmd_def_info, tt_cmd_def_replay, tt_cmd_def_list,
	tt_cmd_def_gen_header, tt_cmd_def_gen_go, tt_cmd_def_diff;

/* One option of a command: what the parser accepts and what --help says of it. */
struct tt_opt {
	int id;            /* what tt_opts_next() returns for it: its letter where it has one,
			      else a number from TT_OPT_FIRST */
	const char *name;  /* long name without "--" ("output") */
	char letter;       /* short form ('o'), or 0 */
	const char *arg;   /* the value's placeholder ("FILE"), NULL for a flag */
	const char *help;  /* what it does: lines joined by '\n', not indented, not ending in '\n' */
	const char *old;   /* an older long spelling that still works, with a note ("html"), or
			      NULL */
	char old_letter;   /* an older short form that still works, with a note ('F'), or 0 */
};

#define TT_OPT_FIRST 1000 /* ids of options without a letter start here */

/* A command: its help text is usage, about, the options (theirs and the common ones), more. */
struct tt_cmd_def {
	const char *name;  /* "info" */
	const char *summary; /* one line for `tracetape --help` and the man page's NAME */
	const char *usage; /* what follows "usage: tracetape NAME " ("[OPTIONS] TAPE") */
	const char *about; /* the paragraphs before "Options:", ending in '\n' */
	const struct tt_opt *opts; /* ends with {0}; -v, -q, -h are the layer's */
	const char *more;  /* the paragraphs after the options (examples, exit status), ending in
			      '\n', or NULL */
	int takes_command; /* what follows "--" is a command to run (record), not more
			      positional arguments: see tt_opts_rest() */
};

/* The parser's state: zero-initialise it with tt_opts_init(). */
struct tt_opts {
	const struct tt_cmd_def *def;
	struct tt_out *out;
	int argc;
	char **argv;
	int next;        /* argv index of the next argument */
	const char *cluster; /* the rest of a group of short flags ("-vq"), or NULL */
	char **args;     /* the positional arguments, in order (into argv; owned array) */
	int arg_cnt;
	int dashdash;    /* argv index just after a "--", or 0: what follows is not parsed */
	const char *output; /* the value of --output (-o), if given: checked against the inputs */
};

/*
 * Start parsing argv for def. After a "--", the arguments are positional; for a def that takes
 * a command, they are that command instead (tt_opts_rest()).
 */
void tt_opts_init(struct tt_opts *p, const struct tt_cmd_def *def, int argc, char **argv,
		  struct tt_out *out);

#define TT_OPTS_DONE 0     /* no option left: the positional arguments are in p->args */
#define TT_OPTS_HELP (-1)  /* --help was printed: the command returns 0 */

/*
 * The next option: returns its id, with *value its value (NULL for a flag); TT_OPTS_DONE at the
 * end; TT_OPTS_HELP after printing the help; or -TT_E_USAGE after printing what is wrong (an
 * unknown option, a missing value, a value given to a flag). -v and -q change out's verbosity
 * and are not returned. Options and positional arguments may be mixed; "--" ends the options
 * (what follows is positional); "-" is a positional argument. At the end, an --output that
 * is the same file as a positional argument or as the program after "--" is refused
 * (-TT_E_USAGE): a command must never overwrite what it reads or runs.
 */
int tt_opts_next(struct tt_opts *p, const char **value);

/* The arguments after "--" (NULL when there was none), for commands that run a command. */
char **tt_opts_rest(const struct tt_opts *p, int *cnt);

/* Free what the parser allocated. */
void tt_opts_free(struct tt_opts *p);

/* Write def's help text to f. */
void tt_cmd_help(const struct tt_cmd_def *def, FILE *f);

/* Write def's man page (tracetape-NAME(1), roff) to f, made from the same table as --help. */
void tt_cmd_man(const struct tt_cmd_def *def, FILE *f);

/* Write tracetape(1), the page listing the cnt commands of defs, to f. */
void tt_cmd_man_index(const struct tt_cmd_def *const *defs, size_t cnt, const char *version,
		      FILE *f);

/*
 * Write every option of def (its own and the common ones) to f, one per line of tab-separated
 * fields: command, "-X" or "", "--name", value placeholder or "", its help on one line,
 * the older spellings still accepted ("-F", "--html", space-separated) or "".
 * The shell completion and the README's flag-table test read this.
 */
void tt_cmd_options(const struct tt_cmd_def *def, FILE *f);

/*
 * The value of a --format option as one of names (a NULL-terminated list, e.g. {"text", "json",
 * NULL}): its index, or -TT_E_USAGE after saying which values the command takes.
 */
int tt_cmd_format(const struct tt_out *out, const char *value, const char *const *names);

/*
 * Where a command writes its output (-o FILE): "-" or NULL is out->out (standard output); else
 * FILE, created or replaced. Returns the stream, or NULL after saying why (errno set).
 */
FILE *tt_cmd_output_open(const struct tt_out *out, const char *path);

/*
 * 1 when path exists and is not a regular file (a device such as /dev/null, a pipe): an output
 * there is written in place, never built under a temporary name and renamed over it.
 */
int tt_cmd_output_in_place(const char *path);

/*
 * Close what tt_cmd_output_open() returned (standard output is flushed, not closed): 0, or
 * -errno after saying why (a write failed, now or earlier).
 */
int tt_cmd_output_close(const struct tt_out *out, const char *path, FILE *f);

/* Print "PROG: error: MESSAGE (see 'PROG --help')" and return -TT_E_USAGE. */
int tt_cmd_usage_error(const struct tt_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct tt_span_rules;

/* A --span option's value added to rules; a bad rule is a usage error (printed). */
int tt_cmd_span_rule(struct tt_span_rules *rules, const char *text, const struct tt_out *out);

/* A --value PROBE=ARG option's value appended to *values (*cnt of them, grown with realloc;
 * the caller frees *values); one without PROBE or ARG is a usage error (printed). */
int tt_cmd_value_arg(const char ***values, size_t *cnt, const char *text, const struct tt_out *out);

/* A --debug-dir DIR option's value appended to *dirs (*cnt of them, grown with realloc; the
 * caller frees *dirs); DIR that is not a directory is a usage error (printed). */
int tt_cmd_debug_dir(const char ***dirs, size_t *cnt, const char *dir, const struct tt_out *out);

/* Whether an -o path names an HTML file (ends in .html), the format it implies. */
int tt_cmd_html_name(const char *path);

#endif /* TT_CMD_H */
