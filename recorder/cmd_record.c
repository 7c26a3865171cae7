/* SPDX-License-Identifier: MIT */
/* `tracetape record`: the command line of a recording session (the session is recording.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recording.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"

static const char help[] =
	"usage: tracetape record [OPTIONS] [SPEC...] [-- COMMAND [ARGS...]]\n"
	"\n"
	"Record what probes say into a tape. SPEC is one of:\n"
	"  usdt:PATH[:PROVIDER[:NAME]]  USDT probes of an executable or shared library\n"
	"                               (PATH contains a '/'); every process running it is\n"
	"                               recorded, including ones started later\n"
	"  usdt:PROVIDER[:NAME]         USDT probes of the traced processes' binaries\n"
	"                               (the executable and its libraries; needs -p or --)\n"
	"  uprobe:PATH:SYMBOL           entry of native functions, with their six integer\n"
	"                               argument registers\n"
	"  tracepoint:CATEGORY:NAME     kernel tracepoints, every field of their records\n"
	"                               (with -p or --, only events of the traced processes)\n"
	"PROVIDER, NAME, SYMBOL, CATEGORY accept * globs.\n"
	"\n"
	"With -- COMMAND the command is started held before exec until every probe is\n"
	"attached, so events from the first line of main are recorded; the recording\n"
	"ends when it exits. With -p only those processes and the processes they fork\n"
	"afterwards are recorded.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE      the tape (default tracetape.tape; replaced if it exists)\n"
	"  -p, --pid PID          trace this process and its later children (repeatable)\n"
	"  -d, --duration TIME    stop after TIME: 10s, 500ms, 2m (default: until Ctrl-C,\n"
	"                         SIGTERM, or the end of the traced command/processes)\n"
	"      --max-size SIZE    stop when the tape reaches SIZE (e.g. 100M)...\n"
	"      --rotate N         ...or, with --rotate, keep the last N tapes: FILE (newest),\n"
	"                         FILE.1, ..., FILE.N-1; each stands alone\n"
	"      --strlen BYTES     longest string kept per argument (default 256, max 1024);\n"
	"                         longer strings are kept truncated and flagged\n"
	"      --buffer-size SIZE ring buffer between BPF and the recorder (default 16M,\n"
	"                         a power of two)\n"
	"      --schema FILE.d    a DTrace provider file naming the probes' arguments and\n"
	"                         saying which are strings\n"
	"      --sched            also record the scheduler: sched_switch, sched_wakeup(_new),\n"
	"                         sched_process_fork/exec/exit (where a slow span's time went)\n"
	"      --syscalls         also record raw_syscalls sys_enter/sys_exit\n"
	"      --sync             fdatasync the tape after every block\n"
	"  -v, --verbose          more detail (-vv: libbpf's and the verifier's messages)\n"
	"  -q, --quiet            only errors\n"
	"  -h, --help             this help\n"
	"\n"
	"Once every probe is attached, one line is printed on stderr:\n"
	"  tracetape record: recording N probes (M sites) in K binaries to FILE\n"
	"Scripts can wait for it. At the end a summary says how many events were written\n"
	"and lost. Events that could not be recorded (ring full) are counted per probe and\n"
	"CPU and written into the tape as losses: recorded + lost = fired.\n"
	"\n"
	"Examples:\n"
	"  tracetape record -o app.tape usdt:/usr/local/bin/app -- /usr/local/bin/app --serve\n"
	"  tracetape record -d 30s -p 1234 'usdt:postgresql:query__*'\n"
	"  tracetape record --rotate 4 --max-size 256M usdt:/usr/bin/php8.2:php:*\n"
	"\n"
	"Exit status: 0 when the recording was written, 1 on a runtime failure (privileges,\n"
	"no matching probe, attach or write errors), 2 for a bad command line.\n";

enum {
	OPT_MAX_SIZE = 1000,
	OPT_ROTATE,
	OPT_STRLEN,
	OPT_BUFFER_SIZE,
	OPT_SCHEMA,
	OPT_SYNC,
	OPT_SCHED,
	OPT_SYSCALLS,
};

static int append_cmdline(char *buf, size_t buf_sz, int argc, char **argv)
{
	size_t len = strlen(buf);

	for (int i = 0; i < argc; i++) {
		int n = snprintf(buf + len, buf_sz - len, "%s%s", len ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= buf_sz - len)
			return -E2BIG;
		len += (size_t)n;
	}
	return 0;
}

int tt_cmd_record(int argc, char **argv, struct tt_out *out)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"pid", required_argument, NULL, 'p'},
		{"duration", required_argument, NULL, 'd'},
		{"max-size", required_argument, NULL, OPT_MAX_SIZE},
		{"rotate", required_argument, NULL, OPT_ROTATE},
		{"strlen", required_argument, NULL, OPT_STRLEN},
		{"buffer-size", required_argument, NULL, OPT_BUFFER_SIZE},
		{"schema", required_argument, NULL, OPT_SCHEMA},
		{"sync", no_argument, NULL, OPT_SYNC},
		{"sched", no_argument, NULL, OPT_SCHED},
		{"syscalls", no_argument, NULL, OPT_SYSCALLS},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct tt_record_opts o = {
		.output = "tracetape.tape",
		.strlen = TT_RECORD_STRLEN_DEFAULT,
		.ring_sz = TT_RECORD_RING_DEFAULT,
	};
	struct tt_record_result res;
	pid_t *pids = NULL;
	char cmdline[4096] = "tracetape";
	int c, err = 0, opt_argc = argc;
	uint64_t v;

	/* Options and specs end at "--"; what follows is the command to run. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			opt_argc = i;
			if (i + 1 == argc)
				return tt_cmd_usage_error(out, "'--' must be followed by a command");
			o.command = argv + i + 1;
			break;
		}
	}
	append_cmdline(cmdline, sizeof(cmdline), argc, argv);

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(opt_argc, argv, ":o:p:d:vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 'p': {
			pid_t *n;

			if (tt_parse_u64(optarg, 1, INT32_MAX, &v)) {
				err = tt_cmd_usage_error(out, "-p needs a process id, got '%s'", optarg);
				goto cleanup;
			}
			n = realloc(pids, (o.pid_cnt + 1) * sizeof(*n));
			if (!n) {
				err = -ENOMEM;
				goto cleanup;
			}
			pids = n;
			pids[o.pid_cnt++] = (pid_t)v;
			break;
		}
		case 'd':
			if (tt_parse_duration(optarg, &o.duration_ns) || !o.duration_ns) {
				err = tt_cmd_usage_error(out, "-d needs a duration such as 10s or 500ms, got '%s'",
							 optarg);
				goto cleanup;
			}
			break;
		case OPT_MAX_SIZE:
			if (tt_parse_size(optarg, &o.max_size) || !o.max_size) {
				err = tt_cmd_usage_error(out, "--max-size needs a size such as 100M, got '%s'",
							 optarg);
				goto cleanup;
			}
			break;
		case OPT_ROTATE:
			if (tt_parse_u64(optarg, 2, 1000, &v)) {
				err = tt_cmd_usage_error(out, "--rotate needs a count from 2 to 1000, got '%s'",
							 optarg);
				goto cleanup;
			}
			o.rotate = (uint32_t)v;
			break;
		case OPT_STRLEN:
			if (tt_parse_u64(optarg, 1, 1024, &v)) {
				err = tt_cmd_usage_error(out, "--strlen needs a byte count from 1 to 1024, got '%s'",
							 optarg);
				goto cleanup;
			}
			o.strlen = (uint32_t)v;
			break;
		case OPT_BUFFER_SIZE:
			if (tt_parse_size(optarg, &o.ring_sz) || o.ring_sz < 4096 ||
			    (o.ring_sz & (o.ring_sz - 1)) || o.ring_sz > (1ULL << 30)) {
				err = tt_cmd_usage_error(out, "--buffer-size needs a power of two from 4K to 1G, "
							      "got '%s'", optarg);
				goto cleanup;
			}
			break;
		case OPT_SCHEMA:
			o.schema = optarg;
			break;
		case OPT_SYNC:
			o.sync = 1;
			break;
		case OPT_SCHED:
			o.sched = 1;
			break;
		case OPT_SYSCALLS:
			o.syscalls = 1;
			break;
		case 'v':
		case 'q':
			tt_cmd_verbosity(out, c);
			break;
		case 'h':
			fputs(help, out->out);
			goto cleanup;
		default:
			err = tt_cmd_bad_option(out, c, argv);
			goto cleanup;
		}
	}
	o.specs = argv + optind;
	o.spec_cnt = (size_t)(opt_argc - optind);
	o.pids = pids;
	o.cmdline = cmdline;
	if (o.rotate && !o.max_size) {
		err = tt_cmd_usage_error(out, "--rotate needs --max-size");
		goto cleanup;
	}
	err = tt_record_run(&o, out, &res);
cleanup:
	free(pids);
	return err;
}
