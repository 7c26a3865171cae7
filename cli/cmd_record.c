/* SPDX-License-Identifier: MIT */
/* `tracetape record`: the command line of a recording session (the session is recording.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "presets.h"
#include "recording.h"
#include "tape_reader.h"
#include "targets.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"

enum {
	OPT_MAX_SIZE = TT_OPT_FIRST,
	OPT_ROTATE,
	OPT_STRLEN,
	OPT_BUFFER_SIZE,
	OPT_SCHEMA,
	OPT_SYNC,
	OPT_SCHED,
	OPT_SYSCALLS,
	OPT_PRESET,
	OPT_ATTACH,
	OPT_NO_FAULT_IN,
	OPT_FAST,
	OPT_STACK,
	OPT_KEEP,
	OPT_KEEP_BUFFER,
	OPT_NO_STACK,
	OPT_STACK_MODE,
};

#define OPT_PROBE 'P'


static const struct tt_opt opts[] = {
	{'o', "output", 'o', "FILE",
	 "the tape (default tracetape.tape; replaced if it exists); '-' is\n"
	 "standard output, a block at least every 250 ms into a pipe\n"
	 "(record -o - ... | tracetape replay - shows events live)", NULL},
	{'p', "pid", 'p', "PID", "trace this process and its later children (repeatable)", NULL},
	{OPT_PROBE, "probe", 'P', "SPEC", "record the probes of SPEC (repeatable; the same as a SPEC\n"
	 "argument)", NULL},
	{'d', "duration", 'd', "TIME",
	 "stop after TIME: 10s, 1.5s, 500ms, 2m (default: until Ctrl-C,\n"
	 "SIGTERM, or the end of the traced command/processes)", NULL},
	{OPT_MAX_SIZE, "max-size", 0, "SIZE", "stop when the tape reaches SIZE (e.g. 100M)...", NULL},
	{OPT_ROTATE, "rotate", 0, "N",
	 "...or, with --rotate, keep the last N tapes: FILE (newest),\n"
	 "FILE.1, ..., FILE.N-1; each stands alone", NULL},
	{OPT_STRLEN, "strlen", 0, "BYTES",
	 "longest string kept per argument (default 256, max 1024);\n"
	 "longer strings are kept truncated and flagged", NULL},
	{OPT_BUFFER_SIZE, "buffer-size", 0, "SIZE",
	 "ring buffer between BPF and the recorder (default 16M,\n"
	 "a power of two; with --fast each thread's ring is a quarter\n"
	 "of it)", NULL},
	{OPT_SCHEMA, "schema", 0, "FILE.d",
	 "a DTrace provider file naming the probes' arguments and\n"
	 "saying which are strings", NULL},
	{OPT_PRESET, "preset", 0, "NAME[=PATH]",
	 "probes and options for a common question (repeatable;\n"
	 "'tracetape list --presets' shows them): postgres-queries,\n"
	 "php-calls, php-app, python-calls, jvm-gc, cxx-exceptions.\n"
	 "Their probes are looked up in PATH, else in the -p/--\n"
	 "processes' binaries, else in the runtime's Debian path\n"
	 "(jvm-gc, php-app: PATH, else Debian's libjvm.so, the PHP\n"
	 "extension's dir); php-calls sets USE_ZEND_DTRACE=1 for --\n"
	 "COMMAND, postgres-queries --strlen 1024", NULL},
	{OPT_SCHED, "sched", 0, NULL,
	 "also record the scheduler: sched_switch, sched_wakeup(_new),\n"
	 "sched_process_fork/exec/exit (where a slow span's time went)", NULL},
	{OPT_SYSCALLS, "syscalls", 0, NULL, "also record raw_syscalls sys_enter/sys_exit", NULL},
	{OPT_SYNC, "sync", 0, NULL, "fdatasync the tape after every block", NULL},
	{OPT_ATTACH, "attach", 0, "HOW",
	 "how uprobes are attached: auto (default: uprobe-multi links\n"
	 "where the kernel has them, 6.6+), multi, or perf (one uprobe\n"
	 "perf event per site, the only way on 6.1-6.5); the tape's\n"
	 "'attach' metadata says which recorded it", NULL},
	{OPT_NO_FAULT_IN, "no-fault-in", 0, NULL,
	 "never fault in a page to read a value: a string in a page\n"
	 "the process has not touched yet is then recorded as a fault\n"
	 "(by default the program is sleepable where the kernel allows\n"
	 "it and reads such strings as the process would)", NULL},
	{OPT_FAST, "fast", 0, NULL,
	 "record the USDT probes of binaries built with -DTT_FASTPATH\n"
	 "through shared memory, without a trap into the kernel\n"
	 "(needs -- COMMAND or one -p PID; the tape's 'fast_path'\n"
	 "metadata says so)", NULL},
	{OPT_STACK, "stack", 0, "PROBE",
	 "also record the user call stack of each hit of the probes\n"
	 "matching PROBE ([PROVIDER:]NAME, * globs; repeatable): a\n"
	 "frame-pointer walk by the kernel; each distinct stack is\n"
	 "stored once, frames as file + offset, named by 'load'.\n"
	 "At a probe in a function without a frame pointer (most\n"
	 "libraries'), the walk starts where the binary's CFI says.\n"
	 "PROBE tracepoint:CATEGORY[:NAME] records the kernel stack of\n"
	 "those tracepoints' hits instead, named from /proc/kallsyms\n"
	 "at record time (the tape holds offsets and names, never\n"
	 "kernel addresses)", NULL},
	{OPT_STACK_MODE, "stack-mode", 0, "MODE",
	 "how --stack takes stacks: fp (default: frame-pointer walks\n"
	 "in BPF) or dwarf (a copy of the top 8 KiB of the stack and\n"
	 "the registers, unwound by the recorder with the binaries'\n"
	 "CFI: code without frame pointers too, for more per hit)", NULL},
	{OPT_NO_STACK, "no-stack", 0, NULL,
	 "record no stacks, not even those a preset asks for\n"
	 "(cxx-exceptions: libstdcxx:throw and rethrow)", NULL},
	{OPT_KEEP, "keep", 0, "RULE",
	 "tail capture: hold the events in memory and write only the\n"
	 "spans RULE keeps, '[PROVIDER:]SPAN > DURATION' (or >=; e.g.\n"
	 "'svc:request > 10ms'; repeatable), with what their threads\n"
	 "recorded inside them; spans are paired as load pairs them,\n"
	 "and the counts and durations of all of them go into the tape", NULL},
	{OPT_KEEP_BUFFER, "keep-buffer", 0, "SIZE",
	 "with --keep: memory for held events (default 256M); when it\n"
	 "is full the oldest leaves: written if a kept span has it,\n"
	 "else counted lost", NULL},
	{0},
};

const struct tt_cmd_def tt_cmd_def_record = {
	.summary = "record probes, Go functions and tracepoints into a tape",
	.name = "record",
	.usage = "[OPTIONS] [SPEC...] [-- COMMAND [ARGS...]]",
	.about = "Record what probes say into a tape. SPEC is one of:\n"
		 "  usdt:PATH[:PROVIDER[:NAME]]  USDT probes of an executable or shared library\n"
		 "                               (PATH contains a '/'); every process running it is\n"
		 "                               recorded, including ones started later\n"
		 "  usdt:PROVIDER[:NAME]         USDT probes of the traced processes' binaries\n"
		 "                               (the executable and its libraries; needs -p or --)\n"
		 "  uprobe:PATH:SYMBOL           entry of native functions, with their six integer\n"
		 "                               argument registers\n"
		 "  tracepoint:CATEGORY:NAME     kernel tracepoints, every field of their records\n"
		 "                               (with -p or --, only events of the traced processes)\n"
		 "  go:PATH:FUNC                 Go functions of an executable: entry with their\n"
		 "                               arguments, every return with its results, the\n"
		 "                               goroutine (FUNC as in the symbol table: main.handle,\n"
		 "                               net/http.(*Client).Do); a function the compiler\n"
		 "                               inlined everywhere has no entry to probe and is\n"
		 "                               reported\n"
		 "  go:FUNC                      Go functions of the traced processes' executables\n"
		 "                               (needs -p or --)\n"
		 "PROVIDER, NAME, SYMBOL, CATEGORY and FUNC accept * globs.\n"
		 "\n"
		 "Probes without a tracetape note get argument names and kinds (strings, counted\n"
		 "strings) from the provider files built into tracetape (PostgreSQL, PHP, Python,\n"
		 "the JVM, libstdc++; see 'tracetape list'); --schema takes precedence over them.\n"
		 "\n"
		 "With -- COMMAND the command is started held before exec until every probe is\n"
		 "attached, so events from the first line of main are recorded; the recording\n"
		 "ends when it exits; what follows -- is the command's, not options of record.\n"
		 "With -p only those processes and the processes they fork afterwards are\n"
		 "recorded.\n",
	.opts = opts,
	.more = "-vv also prints libbpf's and the verifier's messages.\n"
		"\n"
		"Once every probe is attached, one line is printed on stderr:\n"
		"  tracetape record: recording N probes (M sites in K binaries, T tracepoints) to FILE\n"
		"Scripts can wait for it. At the end a summary says how many events were written\n"
		"and lost. Events that could not be recorded (ring full) are counted per probe and\n"
		"CPU and written into the tape as losses: recorded + lost = fired.\n"
		"\n"
		"With --keep an event is written only when a kept span's window (from its begin\n"
		"to its end, on the threads that began and ended it, or its goroutine) holds it;\n"
		"every other event, other processes' included, is left out and counted per probe\n"
		"(meta keep_dropped): recorded (written + left out) + lost = fired. A span still\n"
		"open at the end is kept. The summary says how many spans were seen, kept and\n"
		"dropped; 'load' puts the counters of every span in keep_spans and keep_hist.\n"
		"\n"
		"Examples:\n"
		"  tracetape record -o app.tape usdt:/usr/local/bin/app -- /usr/local/bin/app --serve\n"
		"  tracetape record -d 30s -p 1234 'usdt:postgresql:query__*'\n"
		"  tracetape record --rotate 4 --max-size 256M usdt:/usr/bin/php8.2:php:*\n"
		"  tracetape record --preset postgres-queries -d 60s -o pg.tape\n"
		"  tracetape record --preset php-calls -- php script.php\n"
		"  tracetape record --keep 'svc:request > 10ms' -o slow.tape 'usdt:svc:*' -- ./service\n"
		"\n"
		"Exit status: 0 when the recording was written, 1 on a runtime failure (privileges,\n"
		"no matching probe, attach or write errors), 2 for a bad command line.\n",
	.takes_command = 1,
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

/*
 * -o -: the tape goes to standard output, so what else would go there (the command's own
 * output) goes to stderr instead. The writer gets the tape's descriptor as /dev/fd/N in path
 * (room for 32); *tape_fd is that descriptor, closed by the caller after the recording.
 */
static int tape_to_stdout(const struct tt_out *out, char *path, size_t path_sz, int *tape_fd)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) != 0 || isatty(STDOUT_FILENO) || S_ISSOCK(st.st_mode)) {
		tt_err(out, "-o -: standard output is %s: pipe it (record -o - ... | tracetape "
			    "replay -, or | ssh HOST 'cat > t.tape'), or give -o FILE",
		       isatty(STDOUT_FILENO) ? "a terminal" : "not a pipe or a file");
		return -EINVAL;
	}
	*tape_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (*tape_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		return -errno;
	snprintf(path, path_sz, "/dev/fd/%d", *tape_fd);
	return 0;
}

/*
 * If -- COMMAND runs a script (its file starts with "#!"), its first line's interpreter into
 * interp and 1; else 0. A wrapper script on PATH (python3.11 -> a shell script that execs some
 * python) is not the program whose probes a preset or a usdt:PROVIDER spec names.
 */
static int command_script(const char *exe, char *interp, size_t interp_sz)
{
	FILE *f = fopen(exe, "r");
	char line[256];
	int script = 0;

	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f) && line[0] == '#' && line[1] == '!') {
		line[strcspn(line, "\n")] = '\0';
		snprintf(interp, interp_sz, "%s", line + 2 + strspn(line + 2, " \t"));
		script = 1;
	}
	fclose(f);
	return script;
}

/* Whether a spec names the probes of the traced processes' binaries rather than a path. */
static int spec_of_processes(const char *spec)
{
	const char *rest = strchr(spec, ':');

	if (!rest || strchr(rest + 1, '/'))
		return 0;
	return !strncmp(spec, "usdt:", 5) || (!strncmp(spec, "go:", 3) && !strchr(rest + 1, ':'));
}

/*
 * Wrapper scripts where a binary with probes is expected. A preset's PATH that is a script is an
 * error. -- COMMAND (may be NULL) that is a script: an error when the probes are to be found in
 * the command's own binary (a preset without PATH, usdt:PROVIDER, go:FUNC), saying what to do;
 * a warning when a preset names its binary (the script may run another one). Returns 0 or
 * -TT_E_NOT_ELF (printed); *warned is set when the recording should say so again if it
 * records nothing.
 */
static int check_scripts(const struct tt_out *out, char *const *command, const char *const *presets,
				size_t preset_cnt, char *const *specs, size_t spec_cnt, int *warned)
{
	char interp[200], *exe = command ? tt_which(command[0]) : NULL;
	const char *own = NULL, *named = NULL;
	int script = exe && command_script(exe, interp, sizeof(interp));

	*warned = 0;
	/* a preset's PATH that is itself a wrapper (a pyenv shim, say) has no probes either */
	for (size_t i = 0; i < preset_cnt; i++) {
		const char *eq = strchr(presets[i], '=');
		char pinterp[200];

		if (eq && command_script(eq + 1, pinterp, sizeof(pinterp))) {
			tt_err(out, "--preset %s: %s is a script (#!%s), not the binary with the probes: "
				    "name the interpreter's own executable (for a pyenv shim: 'pyenv which "
				    "python3.11'; else the path the script runs)", presets[i], eq + 1,
			       pinterp);
			free(exe);
			return -TT_E_NOT_ELF;
		}
	}
	for (size_t i = 0; script && i < preset_cnt; i++)
		if (!strchr(presets[i], '='))
			own = own ? own : presets[i];
		else
			named = named ? named : presets[i];
	for (size_t i = 0; script && !own && i < spec_cnt; i++)
		if (spec_of_processes(specs[i]))
			own = specs[i];
	if (script && own) {
		int preset = !strchr(own, ':');

		tt_err(out, "'%s' is a script (%s starts with #!%s), not the program whose probes '%s' "
			    "looks for: run that program itself after -- (e.g. -- /usr/bin/python3.11 "
			    "app.py instead of a wrapper), or name its binary (%s%s%s)", command[0], exe,
		       interp, own, preset ? "--preset " : "a spec with a path: usdt:PATH:...",
		       preset ? own : "", preset ? "=PATH" : "");
		free(exe);
		return -TT_E_NOT_ELF;
	}
	if (script && named) {
		tt_warn(out, "'%s' is a script (%s starts with #!%s): '--preset %s' probes that binary "
			     "only, so if the script runs another one (or the same one by another path "
			     "in a container), nothing is recorded: run the binary itself after --",
			command[0], exe, interp, named);
		*warned = 1;
	}
	free(exe);
	return 0;
}

/* Whether the tape at path holds an event of a probe (not only the processes' own lifecycle). */
static int probe_events(const char *path)
{
	struct tt_tape_reader *r = tt_tape_reader__open(path, NULL);
	const struct tt_event *ev;
	int found = 0;

	while (r && !found && tt_tape_reader__next(r, &ev) == 1) {
		const struct tt_probe_desc *p = tt_tape_reader__probe(r, ev->probe_id);

		found = !p || !p->provider || strcmp(p->provider, "tracetape");
	}
	tt_tape_reader__free(r);
	return found || !r;
}

/*
 * Add the specs of the presets given ("NAME" or "NAME=PATH") to the command line's specs:
 * *specs gets a malloc'd array of malloc'd strings. Also collects the presets' environment
 * variables into env (room for env_max), their string limit into *strlen_want and, unless
 * no_stack, their --stack globs into *stacks (*stack_cnt entries; grown here).
 */
static int expand_presets(const struct tt_out *out, const char *const *given, size_t given_cnt,
			  int processes, char ***specs, size_t *spec_cnt, const char **env,
			  size_t env_max, uint32_t *strlen_want, int no_stack, const char ***stacks,
			  size_t *stack_cnt)
{
	size_t env_cnt = 0;

	for (size_t i = 0; i < given_cnt; i++) {
		const char *eq = strchr(given[i], '='), *path = eq ? eq + 1 : NULL;
		char name[64];
		const struct tt_preset *p;
		int err;

		snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - given[i]) : strlen(given[i])),
			 given[i]);
		p = tt_preset_find(name);
		if (!p)
			return tt_cmd_usage_error(out, "--preset: unknown preset '%s' (see 'tracetape list "
						       "--presets')", name);
		if (path && !path[0])
			return tt_cmd_usage_error(out, "--preset %s=: the PATH is empty", name);
		err = tt_preset_expand(p, path, processes, specs, spec_cnt);
		if (err == -ENOENT)
			return tt_cmd_usage_error(out, "--preset %s: %s does not exist here: give the "
						       "binary (--preset %s=PATH)%s", name, p->path, name,
						  p->path_only ? "" : ", -p PID or -- COMMAND");
		if (err)
			return err;
		for (size_t e = 0; p->env && p->env[e]; e++) {
			size_t k = 0;

			while (k < env_cnt && strcmp(env[k], p->env[e]))
				k++;
			if (k == env_cnt && env_cnt < env_max)
				env[env_cnt++] = p->env[e];
		}
		if (p->strlen > *strlen_want)
			*strlen_want = p->strlen;
		for (size_t k = 0; !no_stack && p->stacks && p->stacks[k]; k++) {
			const char **n = realloc(*stacks, (*stack_cnt + 1) * sizeof(*n));

			if (!n)
				return -ENOMEM;
			*stacks = n;
			n[(*stack_cnt)++] = p->stacks[k];
		}
	}
	return 0;
}

/*
 * Parse the specs given (after presets): *parsed gets an array of cnt (free each with
 * tt_probe_spec_free()). A spec that does not parse, or names no binary where no process is
 * given (-p, --), is a usage error; so is having no spec at all.
 */
static int parse_specs(const struct tt_out *out, char *const *texts, size_t cnt,
		       const struct tt_record_opts *o, struct tt_probe_spec **parsed)
{
	char msg[512];

	if (!cnt && !o->sched && !o->syscalls)
		return tt_cmd_usage_error(out, "no probe spec given");
	*parsed = calloc(cnt ? cnt : 1, sizeof(**parsed));
	if (!*parsed)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		struct tt_probe_spec *p = &(*parsed)[i];

		if (tt_probe_spec_parse(texts[i], p, msg, sizeof(msg)))
			return tt_cmd_usage_error(out, "%s", msg);
		if (!p->path && p->type != TT_SPEC_TRACEPOINT && !o->pid_cnt && !o->command)
			return tt_cmd_usage_error(out, "'%s' names no binary: give a PATH "
						       "(usdt:/path/to/bin:...), -p PID or -- COMMAND",
						  texts[i]);
	}
	return 0;
}

int tt_cmd_record(int argc, char **argv, struct tt_out *out)
{
	struct tt_record_opts o = {
		.output = "tracetape.tape",
		.strlen = TT_RECORD_STRLEN_DEFAULT,
		.ring_sz = TT_RECORD_RING_DEFAULT,
	};
	struct tt_record_result res;
	struct tt_probe_spec *parsed = NULL;
	struct tt_opts p;
	pid_t *pids = NULL;
	char cmdline[4096] = "tracetape", **specs = NULL, **command;
	const char *env[16] = {0}, **presets = NULL, **stack_globs = NULL, **probes = NULL, *val;
	size_t preset_cnt = 0, probe_cnt = 0, spec_cnt = 0;
	uint32_t preset_strlen = 0;
	int keep_buffer_given = 0;
	struct tt_keep_rule *keep_rules = NULL;
	int c, err = 0, command_cnt, strlen_given = 0, script_warned = 0, tape_fd = -1, no_stack = 0;
	char stdout_path[32];
	uint64_t v;

	append_cmdline(cmdline, sizeof(cmdline), argc, argv);
	/* Options and specs may be mixed; they end at "--", and what follows is the command's. */
	tt_opts_init(&p, &tt_cmd_def_record, argc, argv, out);
	while ((c = tt_opts_next(&p, &val)) > 0) {
		switch (c) {
		case 'o':
			o.output = val;
			break;
		case 'p': {
			pid_t *n;

			if (tt_parse_u64(val, 1, INT32_MAX, &v)) {
				err = tt_cmd_usage_error(out, "-p needs a process id, got '%s'", val);
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
			if (tt_parse_duration(val, &o.duration_ns) || !o.duration_ns) {
				err = tt_cmd_usage_error(out, "-d needs a duration such as 10s or 500ms, got '%s'",
							 val);
				goto cleanup;
			}
			break;
		case OPT_MAX_SIZE:
			if (tt_parse_size(val, &o.max_size) || !o.max_size) {
				err = tt_cmd_usage_error(out, "--max-size needs a size such as 100M, got '%s'",
							 val);
				goto cleanup;
			}
			break;
		case OPT_ROTATE:
			if (tt_parse_u64(val, 2, 1000, &v)) {
				err = tt_cmd_usage_error(out, "--rotate needs a count from 2 to 1000, got '%s'",
							 val);
				goto cleanup;
			}
			o.rotate = (uint32_t)v;
			break;
		case OPT_STRLEN:
			if (tt_parse_u64(val, 1, 1024, &v)) {
				err = tt_cmd_usage_error(out, "--strlen needs a byte count from 1 to 1024, got '%s'",
							 val);
				goto cleanup;
			}
			o.strlen = (uint32_t)v;
			strlen_given = 1;
			break;
		case OPT_BUFFER_SIZE:
			if (tt_parse_size(val, &o.ring_sz) || o.ring_sz < 4096 ||
			    (o.ring_sz & (o.ring_sz - 1)) || o.ring_sz > (1ULL << 30)) {
				err = tt_cmd_usage_error(out, "--buffer-size needs a power of two from 4K to 1G, "
							      "got '%s'", val);
				goto cleanup;
			}
			break;
		case OPT_SCHEMA:
			o.schema = val;
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
		case OPT_ATTACH:
			if (!strcmp(val, "auto")) {
				o.attach = TT_ATTACH_AUTO;
			} else if (!strcmp(val, "multi")) {
				o.attach = TT_ATTACH_MULTI;
			} else if (!strcmp(val, "perf")) {
				o.attach = TT_ATTACH_PERF;
			} else {
				err = tt_cmd_usage_error(out, "--attach needs auto, multi or perf, got '%s'",
							 val);
				goto cleanup;
			}
			break;
		case OPT_NO_FAULT_IN:
			o.no_fault_in = 1;
			break;
		case OPT_FAST:
			o.fast = 1;
			break;
		case OPT_NO_STACK:
			no_stack = 1;
			break;
		case OPT_STACK_MODE:
			if (strcmp(val, "fp") && strcmp(val, "dwarf")) {
				err = tt_cmd_usage_error(out, "--stack-mode needs fp or dwarf, got '%s'",
							 val);
				goto cleanup;
			}
			o.stack_dwarf = !strcmp(val, "dwarf");
			break;
		case OPT_KEEP: {
			struct tt_keep_rule *n = realloc(keep_rules, (o.keep_rule_cnt + 1) * sizeof(*n));
			char msg[512];

			if (!n) {
				err = -ENOMEM;
				goto cleanup;
			}
			keep_rules = n;
			o.keep_rules = keep_rules;
			err = tt_keep_rule_parse(val, &keep_rules[o.keep_rule_cnt], msg, sizeof(msg));
			if (err == -TT_E_USAGE)
				err = tt_cmd_usage_error(out, "%s", msg);
			if (err)
				goto cleanup;
			o.keep_rule_cnt++;
			break;
		}
		case OPT_KEEP_BUFFER:
			if (tt_parse_size(val, &o.keep_buffer) || o.keep_buffer < 1024 ||
			    o.keep_buffer > (64ULL << 30)) {
				err = tt_cmd_usage_error(out, "--keep-buffer needs a size from 1K to 64G, "
							      "got '%s'", val);
				goto cleanup;
			}
			keep_buffer_given = 1;
			break;
		case OPT_STACK: {
			const char **n = realloc(stack_globs, (o.stack_glob_cnt + 1) * sizeof(*n));

			if (!n) {
				err = -ENOMEM;
				goto cleanup;
			}
			stack_globs = n;
			stack_globs[o.stack_glob_cnt++] = val;
			o.stack_globs = stack_globs;
			break;
		}
		case OPT_PRESET:
		case OPT_PROBE: {
			const char ***arr = c == OPT_PRESET ? &presets : &probes;
			size_t *cnt = c == OPT_PRESET ? &preset_cnt : &probe_cnt;
			const char **n = realloc(*arr, (*cnt + 1) * sizeof(*n));

			if (!n) {
				err = -ENOMEM;
				goto cleanup;
			}
			*arr = n;
			n[(*cnt)++] = val;
			break;
		}
		}
	}
	if (c < 0) {
		err = c == TT_OPTS_HELP ? 0 : c;
		goto cleanup;
	}
	command = tt_opts_rest(&p, &command_cnt);
	if (command && !command_cnt) {
		err = tt_cmd_usage_error(out, "'--' must be followed by a command");
		goto cleanup;
	}
	o.command = command;
	spec_cnt = (size_t)p.arg_cnt + probe_cnt;
	specs = calloc(spec_cnt ? spec_cnt : 1, sizeof(*specs));
	if (!specs) {
		spec_cnt = 0;
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < spec_cnt; i++) {
		specs[i] = strdup(i < probe_cnt ? probes[i] : p.args[i - probe_cnt]);
		if (!specs[i]) {
			spec_cnt = i;
			err = -ENOMEM;
			goto cleanup;
		}
	}
	if (no_stack && o.stack_glob_cnt) {
		err = tt_cmd_usage_error(out, "--stack and --no-stack contradict each other");
		goto cleanup;
	}
	if (keep_buffer_given && !o.keep_rule_cnt) {
		err = tt_cmd_usage_error(out, "--keep-buffer needs --keep");
		goto cleanup;
	}
	if (!keep_buffer_given)
		o.keep_buffer = TT_RECORD_KEEP_BUFFER_DEFAULT;
	err = check_scripts(out, o.command, presets, preset_cnt, specs, spec_cnt, &script_warned);
	if (err)
		goto cleanup;
	if (preset_cnt) {
		err = expand_presets(out, presets, preset_cnt, o.pid_cnt || o.command, &specs, &spec_cnt,
				     env, TT_ARRAY_SIZE(env) - 1, &preset_strlen, no_stack,
				     &stack_globs, &o.stack_glob_cnt);
		o.stack_globs = stack_globs;
		if (err)
			goto cleanup;
		if (env[0] && o.command)
			o.command_env = env;
		if (!strlen_given && preset_strlen)
			o.strlen = preset_strlen;
	}
	err = parse_specs(out, specs, spec_cnt, &o, &parsed);
	if (err)
		goto cleanup;
	o.specs = parsed;
	o.spec_cnt = spec_cnt;
	o.pids = pids;
	o.cmdline = cmdline;
	if (o.rotate && !o.max_size) {
		err = tt_cmd_usage_error(out, "--rotate needs --max-size");
		goto cleanup;
	}
	if (o.pid_cnt && o.command) {
		err = tt_cmd_usage_error(out, "-p and -- COMMAND cannot be combined");
		goto cleanup;
	}
	if (o.fast && !o.command && o.pid_cnt != 1) {
		err = tt_cmd_usage_error(out, "--fast needs -- COMMAND or one -p PID (the process "
					      "is prepared when it starts, or met running)");
		goto cleanup;
	}
	if (!strcmp(o.output, "-")) {
		if (o.rotate) {
			err = tt_cmd_usage_error(out, "--rotate needs a file to rotate, not -o -");
			goto cleanup;
		}
		err = tape_to_stdout(out, stdout_path, sizeof(stdout_path), &tape_fd);
		if (err)
			goto cleanup;
		o.output = stdout_path;
	}
	err = tt_record_run(&o, out, &res);
	if (!err && script_warned && tape_fd < 0 && !probe_events(o.output))
		tt_warn(out, "no event was recorded: '%s' is a script that did not run the binary the "
			     "preset probes (see the warning above)", o.command[0]);
cleanup:
	if (tape_fd >= 0)
		close(tape_fd);
	for (size_t i = 0; parsed && i < spec_cnt; i++)
		tt_probe_spec_free(&parsed[i]);
	free(parsed);
	for (size_t i = 0; i < spec_cnt; i++)
		free(specs[i]);
	free(specs);
	free(presets);
	free(stack_globs);
	free(probes);
	free(pids);
	for (size_t i = 0; i < o.keep_rule_cnt; i++)
		tt_keep_rule_free(&keep_rules[i]);
	free(keep_rules);
	tt_opts_free(&p);
	return err;
}
