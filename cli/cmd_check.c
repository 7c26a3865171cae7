/* SPDX-License-Identifier: MIT */
/*
 * `tracetape check`: proves, step by step, that this machine can record. It checks privileges,
 * kernel BTF and tracefs, then loads bpf/check.bpf.c from its skeleton, attaches it to the
 * sched:sched_process_exec tracepoint, starts a child that execs a known program, and waits for
 * that exec to come back through the ring buffer. Then it probes the kernel's BPF features,
 * says which attach path and string mode `record` will use, and loads the recorder's own
 * programs as `record` would (pid filter on, the longest strings), printing what each cost the
 * verifier against the budget. Each step prints one line; the first failure says what to do
 * and ends the check with exit code 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf_env.h"
#include "check.h"
#include "check.skel.h"
#include "rec_bpf.h"
#include "record.h"
#include "record.skel.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"

enum { OPT_EXEC = TT_OPT_FIRST };

static const struct tt_opt opts[] = {
	{OPT_EXEC, "exec", 0, "PROGRAM", "the program the child execs (absolute path)", NULL},
	{0},
};

const struct tt_cmd_def tt_cmd_def_check = {
	.summary = "verify that BPF recording works on this machine",
	.name = "check",
	.usage = "[-v] [--exec PROGRAM]",
	.about = "Check that BPF recording works here: privileges, kernel BTF, tracefs, and a real\n"
		 "BPF program on the sched:sched_process_exec tracepoint that must see a child\n"
		 "process exec PROGRAM (default /bin/true) through a ring buffer. Then the kernel's\n"
		 "BPF features: which attach path 'record' uses (uprobe-multi links, 6.6+, or one\n"
		 "uprobe perf event per site), whether strings in pages a process has not touched\n"
		 "can be read (sleepable uprobe programs), and the recorder's own programs loaded\n"
		 "as 'record' would, with the instructions the verifier processed for each against\n"
		 "tracetape's budget (a quarter of the kernel's limit of 1,000,000).\n",
	.opts = opts,
	.more = "-v also prints libbpf's messages.\n"
		"\n"
		"Exit status: 0 when recording works, 1 when a step failed (the message says which\n"
		"and what to do), 2 for a bad command line.\n",
};

struct exec_seen {
	__u32 want_pid;
	int seen;
	struct tt_check_exec ev;
};

static int on_exec(void *ctx, void *data, size_t size)
{
	struct exec_seen *s = ctx;
	struct tt_check_exec ev;

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev)); /* ring records are only 8-byte aligned: copy first */
	if (ev.pid == s->want_pid) {
		s->ev = ev;
		s->seen = 1;
	}
	return 0;
}

static void step(const struct tt_out *out, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void step(const struct tt_out *out, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (out->verbosity < TT_LVL_NOTICE)
		return;
	fprintf(out->out, "  %-11s ", what);
	va_start(ap, fmt);
	vfprintf(out->out, fmt, ap);
	va_end(ap);
	fputc('\n', out->out);
	fflush(out->out);
}

/*
 * The kernel's features and the recorder's programs, loaded as `record` loads them with the pid
 * filter on and the longest strings (the costliest configuration it uses on this kernel).
 */
static int check_recorder(const struct tt_out *out)
{
	struct tt_rec_bpf_cfg c = {
		.self_tgid = (uint32_t)getpid(), .filter = 1, .strlen = TT_STRLEN_MAX,
		.ring_sz = 1 << 20, .site_cnt = 1, .probe_cnt = 4, .tp_cnt = 1,
		.probe_fork = 1, .probe_exec = 2, .probe_exit = 3,
	};
	struct tt_prog_cost costs[8];
	struct tt_bpf_features f;
	struct record_bpf *skel;
	int err = 0;
	size_t n;

	tt_bpf_features_probe(&f);
	err = tt_bpf_features_require(&f, out);
	if (err)
		return err;
	tt_rec_bpf_cfg_for(&c, &f);
	step(out, "attach", "%s", f.uprobe_multi ? "uprobe-multi links, one per binary" :
					    "one uprobe perf event per site (this kernel has no "
					    "uprobe-multi links, Linux 6.6+)");
	step(out, "strings", "%s", f.sleepable_uprobe ?
				   "sleepable program: pages a process has not touched are faulted in" :
				   "non-sleepable program: a string in a page the process has not "
				   "touched yet is recorded as a fault");
	skel = tt_rec_bpf_load(&c, out, &err);
	if (!skel)
		return err;
	n = tt_rec_bpf_costs(skel, costs, TT_ARRAY_SIZE(costs));
	for (size_t i = 0; i < n; i++) {
		uint32_t insns = costs[i].verified_insns;

		if (!insns) {
			step(out, "verifier", "%-18s loaded (this kernel does not count instructions)",
			     costs[i].name);
			continue;
		}
		step(out, "verifier", "%-18s %7u instructions, %4.1f%% of the limit; budget %u, %s %u",
		     costs[i].name, insns, 100.0 * insns / TT_VERIFIER_LIMIT, TT_VERIFIER_BUDGET,
		     insns <= TT_VERIFIER_BUDGET ? "margin" : "OVER by",
		     insns <= TT_VERIFIER_BUDGET ? TT_VERIFIER_BUDGET - insns : insns - TT_VERIFIER_BUDGET);
		if (insns > TT_VERIFIER_BUDGET)
			tt_warn(out, "the verifier processed %u instructions for %s, more than the "
				     "budget of %u: it loads here, but may not on other kernel builds",
				insns, costs[i].name, TT_VERIFIER_BUDGET);
	}
	record_bpf__destroy(skel);
	return 0;
}

int tt_cmd_check(int argc, char **argv, struct tt_out *out)
{
	const char *program = "/bin/true", *v;
	struct tt_opts p;
	struct check_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct exec_seen seen = {0};
	int go_pipe[2] = {-1, -1};
	pid_t child = -1;
	struct utsname uts;
	int c, err, mounted;

	tt_opts_init(&p, &tt_cmd_def_check, argc, argv, out);
	while ((c = tt_opts_next(&p, &v)) > 0) {
		if (c == OPT_EXEC)
			program = v;
	}
	if (c == 0 && p.arg_cnt)
		c = tt_cmd_usage_error(out, "unexpected argument '%s'", p.args[0]);
	tt_opts_free(&p);
	if (c < 0)
		return c == TT_OPTS_HELP ? 0 : c;
	if (program[0] != '/')
		return tt_cmd_usage_error(out, "--exec needs an absolute path, got '%s'", program);
	if (access(program, X_OK) != 0) {
		tt_err(out, "cannot execute '%s': %s", program, strerror(errno));
		return -ENOENT;
	}

	tt_libbpf_route_output(out);
	uname(&uts);
	step(out, "kernel", "%s %s", uts.release, uts.machine);

	err = tt_bpf_check_privileges(out);
	if (err)
		goto cleanup;
	step(out, "privileges", "ok (uid %u)", (unsigned)geteuid());

	err = tt_bpf_check_btf(out);
	if (err)
		goto cleanup;
	step(out, "BTF", "%s", TT_BTF_PATH);

	err = tt_tracefs_ensure(out, &mounted);
	if (err)
		goto cleanup;
	step(out, "tracefs", "%s%s", TT_TRACEFS_PATH, mounted ? " (mounted it now)" : "");

	/* The child waits on a pipe so that the program is attached before its exec happens. */
	if (pipe(go_pipe) != 0) {
		err = -errno;
		tt_err(out, "pipe: %s", strerror(-err));
		goto cleanup;
	}
	child = fork();
	if (child < 0) {
		err = -errno;
		tt_err(out, "fork: %s", strerror(-err));
		goto cleanup;
	}
	if (child == 0) {
		char go;

		close(go_pipe[1]);
		if (read(go_pipe[0], &go, 1) != 1)
			_exit(127);
		execl(program, program, (char *)NULL);
		_exit(127);
	}
	close(go_pipe[0]);
	go_pipe[0] = -1;

	skel = check_bpf__open();
	if (!skel) {
		err = -errno;
		tt_err(out, "opening the BPF object failed: %s", strerror(-err));
		goto cleanup;
	}
	skel->rodata->cfg_target_tgid = (__u32)child;
	err = check_bpf__load(skel);
	if (err) {
		tt_err(out, "the kernel refused to load the BPF program: %s (run with -v for the "
			    "verifier's log)", strerror(-err));
		goto cleanup;
	}
	err = check_bpf__attach(skel);
	if (err) {
		tt_err(out, "attaching to sched:sched_process_exec failed: %s", strerror(-err));
		goto cleanup;
	}
	step(out, "BPF", "program loaded and attached to sched:sched_process_exec");

	seen.want_pid = (__u32)child;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_exec, &seen, NULL);
	if (!rb) {
		err = -errno;
		tt_err(out, "creating the ring buffer consumer failed: %s", strerror(-err));
		goto cleanup;
	}
	if (write(go_pipe[1], "g", 1) != 1) {
		err = -errno;
		tt_err(out, "releasing the child failed: %s", strerror(-err));
		goto cleanup;
	}
	for (int i = 0; i < 50 && !seen.seen; i++) /* at most 5 s */
		ring_buffer__poll(rb, 100);
	if (!seen.seen) {
		err = -TT_E_NO_BPF;
		tt_err(out, "the exec of child %d was not observed within 5 s (lost: %llu)",
		       (int)child, (unsigned long long)skel->bss->lost);
		goto cleanup;
	}
	step(out, "ring buffer", "saw pid %u exec %s on cpu %u", seen.ev.pid, seen.ev.filename,
	     seen.ev.cpu);
	if (strcmp(seen.ev.filename, program) != 0) {
		err = -TT_E_NO_BPF;
		tt_err(out, "the event named '%s', expected '%s'", seen.ev.filename, program);
		goto cleanup;
	}
	err = check_recorder(out);
	if (err)
		goto cleanup;
	if (out->verbosity >= TT_LVL_NOTICE)
		fprintf(out->out, "ok: BPF recording works on this machine\n");

cleanup:
	if (go_pipe[1] >= 0)
		close(go_pipe[1]);
	if (go_pipe[0] >= 0)
		close(go_pipe[0]);
	if (child > 0)
		waitpid(child, NULL, 0);
	ring_buffer__free(rb);
	check_bpf__destroy(skel);
	return err;
}
