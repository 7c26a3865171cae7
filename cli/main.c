/* SPDX-License-Identifier: MIT */
/*
 * tracetape's main: a table of subcommands and the mapping of their results to exit codes
 * (0 success, 1 runtime failure, 2 usage error). Everything else lives in the libraries. In a
 * build without the recorder (meson -Drecorder=disabled) check, record and list do not exist.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_version.h"

struct command {
	const char *name;
	const char *summary;
	tt_cmd_main_fn main;
};

static const struct command commands[] = {
#ifdef TT_HAVE_RECORDER
	{"check", "verify that BPF recording works on this machine", tt_cmd_check},
	{"record", "record probes, Go functions and tracepoints into a tape", tt_cmd_record},
#endif
	{"load", "load tapes into an SQLite database, with spans", tt_cmd_load},
	{"query", "run SQL on a database or a tape (table, CSV, JSON)", tt_cmd_query},
	{"report", "latency and post-mortem report of a database or a tape (text, HTML)", tt_cmd_report},
	{"info", "describe a tape: metadata, counts per probe and CPU, integrity", tt_cmd_info},
	{"replay", "print the events of a tape in time order (text, JSON, Chrome trace)", tt_cmd_replay},
#ifdef TT_HAVE_RECORDER
	{"list", "list the USDT probes of binaries, libraries or a process", tt_cmd_list},
#endif
	{"gen-header", "generate typed probe macros from a DTrace provider file", tt_cmd_gen_header},
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
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
#ifndef TT_HAVE_RECORDER
	fprintf(f, "\nThis tracetape was built without the recorder (check, record, list): it\n"
		   "analyzes tapes recorded elsewhere.\n");
#endif
	fprintf(f, "\nExit status: 0 success, 1 runtime failure, 2 usage error.\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
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
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("tracetape %s\n", TT_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		cmd = find(argv[2]);
		if (!cmd) {
			fprintf(stderr, "tracetape: unknown command '%s' (see 'tracetape --help')\n",
				argv[2]);
			return 2;
		}
		char *help_argv[] = {argv[2], "--help", NULL};
		snprintf(prog, sizeof(prog), "tracetape %s", cmd->name);
		out.prog = prog;
		return cmd->main(2, help_argv, &out) ? 1 : 0;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "tracetape: unknown option '%s' (see 'tracetape --help')\n", argv[1]);
		return 2;
	}
	cmd = find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "tracetape: unknown command '%s' (see 'tracetape --help')\n", argv[1]);
		return 2;
	}
	snprintf(prog, sizeof(prog), "tracetape %s", cmd->name);
	out.prog = prog;
	err = cmd->main(argc - 1, argv + 1, &out);
	fflush(stdout);
	if (err == -TT_E_USAGE)
		return 2;
	return err ? 1 : 0;
}
