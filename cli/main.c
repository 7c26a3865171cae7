/* SPDX-License-Identifier: MIT */
/*
 * tracetape's main: a table of subcommands and the mapping of their results to exit codes
 * (0 success, 1 runtime failure, 2 usage error). Everything else lives in the libraries. In a
 * build without the recorder (meson -Drecorder=disabled) check, record and list do not exist.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"
#include "tt_version.h"

struct command {
	const struct tt_cmd_def *def; /* name, summary, options, help */
	tt_cmd_main_fn main;
};

static const struct command commands[] = {
#ifdef TT_HAVE_RECORDER
	{&tt_cmd_def_check, tt_cmd_check},
	{&tt_cmd_def_record, tt_cmd_record},
#endif
	{&tt_cmd_def_load, tt_cmd_load},
	{&tt_cmd_def_query, tt_cmd_query},
	{&tt_cmd_def_report, tt_cmd_report},
	{&tt_cmd_def_diff, tt_cmd_diff},
	{&tt_cmd_def_info, tt_cmd_info},
	{&tt_cmd_def_replay, tt_cmd_replay},
#ifdef TT_HAVE_RECORDER
	{&tt_cmd_def_list, tt_cmd_list},
#endif
	{&tt_cmd_def_gen_header, tt_cmd_gen_header},
	{&tt_cmd_def_gen_go, tt_cmd_gen_go},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tracetape COMMAND [ARGS...]\n"
		   "       tracetape COMMAND --help\n"
		   "       tracetape --version\n\n"
		   "Record what programs' static probes, Go functions and the kernel say into a\n"
		   "compressed tape, then replay it, load it into SQLite and report latencies.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].def->name, commands[i].def->summary);
#ifndef TT_HAVE_RECORDER
	fprintf(f, "\nThis tracetape was built without the recorder (check, record, list): it\n"
		   "analyzes tapes recorded elsewhere.\n");
#endif
	fprintf(f, "\nExit status: 0 success, 1 runtime failure, 2 usage error.\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].def->name, name))
			return &commands[i];
	return NULL;
}

/*
 * The exit code once everything is written: code, or 1 when standard output lost something (a
 * full disk, /dev/full, a closed pipe), said on standard error unless a command said so already.
 */
static int finish(const char *prog, int code)
{
	int err = 0;

	if (fflush(stdout))
		err = errno;
	else if (ferror(stdout))
		err = EIO;
	if (fclose(stdout) && !err)
		err = errno;
	if (!err)
		return code;
	if (!code)
		fprintf(stderr, "%s: error: cannot write 'standard output': %s\n", prog, strerror(err));
	return 1;
}

/*
 * tracetape help [COMMAND]            the help of tracetape or of COMMAND
 * tracetape help --man [COMMAND]      the man page (roff) of tracetape(1) or tracetape-COMMAND(1)
 * tracetape help --options [COMMAND]  every option of every command (or one), one per line:
 *                                     COMMAND, short, long, value, help, older spellings (tabs)
 * The last two are what the build makes the man pages and the shell completion from, and what
 * the test of the README's flag table reads: the command tables are their one source.
 */
static int help(int argc, char **argv)
{
	int man = argc > 1 && !strcmp(argv[1], "--man"), opts = argc > 1 && !strcmp(argv[1], "--options");
	const char *name = argc > 1 + (man || opts) ? argv[1 + (man || opts)] : NULL;
	const struct command *cmd = name ? find(name) : NULL;

	if (name && !cmd) {
		fprintf(stderr, "tracetape: unknown command '%s' (see 'tracetape --help')\n", name);
		return 2;
	}
	if (man) {
		if (cmd) {
			tt_cmd_man(cmd->def, stdout);
		} else {
			const struct tt_cmd_def *defs[TT_ARRAY_SIZE(commands)];

			for (size_t i = 0; i < TT_ARRAY_SIZE(commands); i++)
				defs[i] = commands[i].def;
			tt_cmd_man_index(defs, TT_ARRAY_SIZE(commands), TT_VERSION, stdout);
		}
	} else if (opts) {
		for (size_t i = 0; i < TT_ARRAY_SIZE(commands); i++)
			if (!cmd || cmd == &commands[i])
				tt_cmd_options(commands[i].def, stdout);
	} else if (cmd) {
		tt_cmd_help(cmd->def, stdout);
	} else {
		usage(stdout);
	}
	return finish("tracetape help", 0);
}

int main(int argc, char **argv)
{
	char prog[64];
	struct tt_out out = {
		.out = stdout,
		.err = stderr,
		.verbosity = TT_LVL_NOTICE,
		.prog = "tracetape",
		.err_is_tty = isatty(STDERR_FILENO),
	};
	const struct command *cmd;
	int err;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return finish("tracetape", 0);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("tracetape %s\n", TT_VERSION);
		return finish("tracetape", 0);
	}
	if (!strcmp(argv[1], "help"))
		return help(argc - 1, argv + 1);
	if (argv[1][0] == '-') {
		fprintf(stderr, "tracetape: unknown option '%s' (see 'tracetape --help')\n", argv[1]);
		return 2;
	}
	cmd = find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "tracetape: unknown command '%s' (see 'tracetape --help')\n", argv[1]);
		return 2;
	}
	snprintf(prog, sizeof(prog), "tracetape %s", cmd->def->name);
	out.prog = prog;
	err = cmd->main(argc - 1, argv + 1, &out);
	return finish(prog, err == -TT_E_USAGE ? 2 : err ? 1 : 0);
}
