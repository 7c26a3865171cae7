/* SPDX-License-Identifier: MIT */
/* `tracetape record`: the command line of a recording session (the session is recording.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "presets.h"
#include "recording.h"
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
};

#define OPT_PROBE 'P'


static const struct tt_opt opts[] = {
	{'o', "output", 'o', "FILE", "the tape (default tracetape.tape; replaced if it exists)", NULL},
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
	 "a power of two)", NULL},
	{OPT_SCHEMA, "schema", 0, "FILE.d",
	 "a DTrace provider file naming the probes' arguments and\n"
	 "saying which are strings", NULL},
	{OPT_PRESET, "preset", 0, "NAME[=PATH]",
	 "probes and options for a common question (repeatable;\n"
	 "'tracetape list --presets' shows them): postgres-queries,\n"
	 "php-calls, python-calls, jvm-gc, cxx-exceptions. Their\n"
	 "probes are looked up in PATH, else in the -p/-- processes'\n"
	 "binaries, else in the runtime's Debian path (jvm-gc: PATH,\n"
	 "else Debian's libjvm.so); php-calls sets USE_ZEND_DTRACE=1\n"
	 "for -- COMMAND, postgres-queries --strlen 1024", NULL},
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
		"Examples:\n"
		"  tracetape record -o app.tape usdt:/usr/local/bin/app -- /usr/local/bin/app --serve\n"
		"  tracetape record -d 30s -p 1234 'usdt:postgresql:query__*'\n"
		"  tracetape record --rotate 4 --max-size 256M usdt:/usr/bin/php8.2:php:*\n"
		"  tracetape record --preset postgres-queries -d 60s -o pg.tape\n"
		"  tracetape record --preset php-calls -- php script.php\n"
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
 * Add the specs of the presets given ("NAME" or "NAME=PATH") to the command line's specs:
 * *specs gets a malloc'd array of malloc'd strings. Also collects the presets' environment
 * variables into env (room for env_max) and their string limit into *strlen_want.
 */
static int expand_presets(const struct tt_out *out, const char *const *given, size_t given_cnt,
			  int processes, char ***specs, size_t *spec_cnt, const char **env,
			  size_t env_max, uint32_t *strlen_want)
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
	const char *env[16] = {0}, **presets = NULL, **probes = NULL, *val;
	size_t preset_cnt = 0, probe_cnt = 0, spec_cnt = 0;
	uint32_t preset_strlen = 0;
	int c, err = 0, command_cnt, strlen_given = 0;
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
	if (preset_cnt) {
		err = expand_presets(out, presets, preset_cnt, o.pid_cnt || o.command, &specs, &spec_cnt,
				     env, TT_ARRAY_SIZE(env) - 1, &preset_strlen);
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
	err = tt_record_run(&o, out, &res);
cleanup:
	for (size_t i = 0; parsed && i < spec_cnt; i++)
		tt_probe_spec_free(&parsed[i]);
	free(parsed);
	for (size_t i = 0; i < spec_cnt; i++)
		free(specs[i]);
	free(specs);
	free(presets);
	free(probes);
	free(pids);
	tt_opts_free(&p);
	return err;
}
