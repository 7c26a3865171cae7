/* SPDX-License-Identifier: MIT */
/*
 * The recording session behind `tracetape record` (see recording.h). What it attaches, the
 * probe set, is built by probe_set.c; ring records become events in ring_decode.c; the command
 * of `-- COMMAND` is held_cmd.c's.
 *
 * Order of work: parse specs; start the command held before exec (so its pid can be traced
 * from the first instruction); resolve the binaries and USDT sites or symbols each spec names;
 * open the BPF object, size its maps and set its rodata; load; fill the site specs and the pid
 * filter; attach one uprobe-multi link per binary; open the tape and describe the capture; print
 * the ready line; release the command; then consume the ring until told to stop. On the way out
 * links are closed first, so that the last records and loss counts can be drained completely.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>

#include "attach.h"
#include "bpf_env.h"
#include "dyn_probes.h"
#include "fastpath.h"
#include "held_cmd.h"
#include "probe_set.h"
#include "probe_spec.h"
#include "proc_table.h"
#include "provider_file.h"
#include "rec_bpf.h"
#include "rec_keep.h"
#include "kernel_syms.h"
#include "rec_stacks.h"
#include "record.h"
#include "record.skel.h"
#include "recording.h"
#include "ring.h"
#include "ring_decode.h"
#include "tape_writer.h"
#include "targets.h"
#include "tp_format.h"
#include "tt_error.h"
#include "tt_event.h"
#include "tt_util.h"
#include "tt_version.h"

#define HARVEST_INTERVAL_NS 100000000ULL   /* loss counters are read every 100 ms */
#define CLOCK_INTERVAL_NS 10000000000ULL   /* a clock anchor every 10 s */
#define POLL_TIMEOUT_MS 100
#define FAST_POLL_MS 2 /* with the fast path: a 4 MiB ring of 64-byte records drained every 2 ms
			  keeps up with 32M records/s, more than the recorder can write */
#define CHILD_TERM_WAIT_MS 5000
#define SLOW_LINKS_IN_FOREGROUND 4 /* perf-event links closed in the foreground (~0.1 s each) */

struct session {
	const struct tt_record_opts *o;
	const struct tt_out *out;
	struct tt_probe_spec *specs; /* the --sched/--syscalls ones (owned), then the caller's:
					shallow copies, borrowed */
	size_t spec_cnt, own_specs;
	struct tt_provider_file *schema; /* --schema, or NULL */
	struct tt_probe_set *ps;
	/* Views of ps once it is complete (borrowed; ps does not change afterwards). */
	const struct tt_probe_set_probe *probes;
	size_t probe_cnt;
	const struct tt_bpf_site *sites;
	size_t site_cnt;
	const struct tt_probe_set_tp *tps;
	size_t tp_cnt;
	size_t bin_cnt;
	struct tt_rec_bpf_cfg bpf;  /* how the BPF object is configured: attach path, strings */
	struct tt_bpf_site *stack_sites; /* --stack: the sites, those that send stacks marked */
	struct tt_rec_stacks *stacks;    /* --stack: the stacks met, for the tape */
	uint8_t *kstack;            /* [probe_cnt] --stack tracepoint:...: sends its kernel stack */
	struct tt_links links;      /* the uprobe and tracepoint links */
	uint32_t probe_fork, probe_exec, probe_exit; /* built-in probe ids, UINT32_MAX if none */
	struct tt_ring_decoder dec; /* ring records against the probe table */
	struct tt_ring_rec rec;     /* the record being handled */
	struct tt_dyn_probes *dyn;  /* probes named at run time (carriers' events), or NULL */
	struct tt_fast *fast;       /* --fast: the shared memory of the trap-free path, or NULL */
	uint8_t *fast_bin;          /* [bin_cnt]: the binary's sites go by the fast path */
	uint64_t *fast_fired;       /* [probe_cnt]: fast-path hits recorded or lost */
	uint64_t *fast_lost;        /* [probe_cnt]: fast-path hits lost */
	size_t fast_sites;          /* sites left to the fast path */
	pid_t fast_pid;             /* --fast -p: the process met running (its sites marked) */
	uint8_t *fast_offered;      /* [probe_cnt]: probes offered to the fast path */
	const char **cmd_env;       /* the command's environment additions, TT_FAST_ENV added */
	char fast_env[48];
	struct record_bpf *skel;
	struct tt_ring *rb;
	struct tt_tape_writer *w;
	int filter;          /* pid filter on: -p or -- */
	struct tt_held_cmd cmd; /* -- COMMAND */
	pid_t *roots;        /* the -p processes */
	int *root_fds;       /* their pidfds */
	size_t root_cnt;
	struct tt_proc_table *procs; /* the processes described in the tape */
	int ncpu;
	uint64_t *loss_prev; /* [slot * ncpu + cpu] losses already written */
	uint64_t *fired;     /* [slot] hits counted by BPF, all CPUs, at the last harvest */
	uint64_t *stack_lost; /* [slot] record --stack: hits whose stack was not sent, likewise */
	uint64_t missed[2];  /* the usdt and tp programs' recursion misses already written */
	uint64_t missed_total; /* hits the kernel did not run a program for (see harvest_missed) */
	uint64_t last_harvest_ns, last_clock_ns, start_ns;
	uint64_t events, lost, closed_bytes;
	uint64_t on_tape; /* events in whole blocks of the tapes closed so far (see close_tape) */
	uint64_t received;          /* events decoded (with --keep: written or held or left out) */
	struct tt_keep *keep;       /* --keep: the held events, or NULL */
	struct tt_keep_sink keep_sink;
	uint64_t keep_lost;         /* --keep: events lost to a full --keep-buffer */
	uint64_t keep_seen, keep_kept, keep_dropped; /* --keep: span counts of the tapes closed */
	uint32_t tapes;
	int write_err;
};

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* ---- small helpers ---- */

static void writer_check(struct session *s, int err)
{
	if (err && !s->write_err) {
		s->write_err = err;
		tt_err(s->out, "writing the tape failed: %s; stopping", tt_strerror(err));
	}
}

/* Write a process's description (from the process table) into the tape. */
static void describe(struct session *s, const struct tt_proc_info *p, int err)
{
	if (!p) {
		writer_check(s, err);
		return;
	}
	writer_check(s, tt_tape_writer__add_process(s->w, p->pid, p->ppid, p->comm[0] ? p->comm : NULL,
						    p->exe, p->cmdline));
}

/* An event decided to go into the tape (every event without --keep). */
static int keep_write(void *ctx, const struct tt_event *ev)
{
	struct session *s = ctx;

	if (s->keep) { /* the process goes into the tape with its first event (note_process) */
		const struct tt_proc_info *p = tt_proc_table__describe_in(s->procs, ev->pid, s->tapes);

		if (p)
			describe(s, p, 0);
	}
	writer_check(s, tt_tape_writer__append(s->w, ev));
	s->events++;
	return 0;
}

static void keep_check(struct session *s, int err)
{
	if (err && !s->write_err) {
		s->write_err = err;
		tt_err(s->out, "--keep: holding the events failed: %s; stopping", tt_strerror(err));
	}
}

/* ---- BPF ---- */

static int load_bpf(struct session *s)
{
	struct record_bpf *skel;
	int err;

	s->bpf.self_tgid = (uint32_t)getpid();
	s->bpf.filter = (uint8_t)s->filter;
	s->bpf.strlen = s->o->strlen;
	s->bpf.ring_sz = s->o->ring_sz;
	s->bpf.site_cnt = s->site_cnt;
	s->bpf.probe_cnt = s->probe_cnt;
	s->bpf.tp_cnt = s->tp_cnt;
	s->bpf.probe_fork = s->probe_fork;
	s->bpf.probe_exec = s->probe_exec;
	s->bpf.probe_exit = s->probe_exit;
	s->skel = skel = tt_rec_bpf_load(&s->bpf, s->out, &err);
	if (!skel)
		return err;
	for (size_t i = 0; i < s->site_cnt; i++) {
		__u32 key = (__u32)i;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.sites), &key, &s->sites[i], BPF_ANY)) {
			err = -errno;
			tt_err(s->out, "filling the site map failed: %s", strerror(-err));
			return err;
		}
	}
	for (size_t i = 0; i < s->tp_cnt; i++) {
		__u32 key = (__u32)i;

		struct tt_bpf_tp cfg = s->tps[i].cfg;

		if (s->kstack && s->kstack[cfg.probe_id])
			cfg.flags |= TT_BPF_TP_KSTACK;
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.tps), &key, &cfg, BPF_ANY)) {
			err = -errno;
			tt_err(s->out, "filling the tracepoint map failed: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

/* record --stack: pid's mappings are read, its stacks may come as bare addresses. */
static void stack_pid_mapped(void *ctx, uint32_t pid)
{
	struct session *s = ctx;
	__u32 word = pid / 64;
	__u64 w = 0;
	int fd = bpf_map__fd(s->skel->maps.stack_pids);

	/* only this thread writes the map: a plain read-modify-write */
	if (!bpf_map_lookup_elem(fd, &word, &w)) {
		w |= 1ULL << (pid % 64);
		bpf_map_update_elem(fd, &word, &w, BPF_ANY);
	}
}

/* Set pid's bit in one of the BPF pid bitmaps (traced, traced_tids). */
static int bitmap_set(const struct bpf_map *map, uint32_t pid)
{
	__u32 word = pid / 64;
	__u64 bits = 0;
	int fd = bpf_map__fd(map);

	if (bpf_map_lookup_elem(fd, &word, &bits))
		return -errno;
	bits |= 1ULL << (pid % 64);
	if (bpf_map_update_elem(fd, &word, &bits, BPF_ANY))
		return -errno;
	return 0;
}

/* Put process pid and its threads into the BPF pid filter (before attach: no races). */
static int trace_pid(struct session *s, pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int err;

	err = bitmap_set(s->skel->maps.traced, (uint32_t)pid);
	if (!err)
		err = bitmap_set(s->skel->maps.traced_tids, (uint32_t)pid);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0; /* the held command has one thread, known already */
	while ((d = readdir(dir))) {
		uint64_t tid;

		if (!tt_parse_u64(d->d_name, 1, UINT32_MAX, &tid))
			bitmap_set(s->skel->maps.traced_tids, (uint32_t)tid);
	}
	closedir(dir);
	return 0;
}

static int attach_all(struct session *s, size_t *site_total, size_t *bins_used)
{
	int prog_fd = bpf_program__fd(s->skel->progs.usdt), err;

	*site_total = *bins_used = 0;
	for (size_t i = 0; i < s->bin_cnt; i++) {
		struct tt_probe_set_sites b;
		const uint64_t *ref_ctrs = NULL;
		uint64_t t0 = tt_now_mono_ns();

		tt_probe_set__binary_sites(s->ps, i, &b);
		/* -p: the fast path's binaries keep their uprobes (and the kernel their
		 * semaphores) for the hits before and after the process maps the memory */
		if (!b.cnt || (s->fast_bin && s->fast_bin[i] && !s->fast_pid))
			continue;
		for (size_t j = 0; j < b.cnt && !ref_ctrs; j++)
			if (b.ref_ctrs[j])
				ref_ctrs = b.ref_ctrs;
		err = tt_links__add_uprobes(&s->links, s->bpf.multi, prog_fd, b.open_path, b.offsets,
					    ref_ctrs, b.cookies, b.cnt);
		if (err) {
			tt_err(s->out, "attaching %zu sites to %s (%s) failed: %s%s", b.cnt, b.path,
			       tt_rec_bpf_attach_name(&s->bpf), strerror(-err),
			       err == -EMFILE ? " (one descriptor per site: raise ulimit -n)" : "");
			return err;
		}
		tt_info(s->out, "attached %zu sites to %s (%s) in %.1f ms", b.cnt, b.path,
			tt_rec_bpf_attach_name(&s->bpf), (double)(tt_now_mono_ns() - t0) / 1e6);
		*site_total += b.cnt;
		(*bins_used)++;
	}
	for (size_t i = 0; i < s->tp_cnt; i++) {
		const struct tt_probe_set_tp *tp = &s->tps[i];

		if (stop_signal)
			return -EINTR;
		err = tt_links__add_tracepoint(&s->links, bpf_program__fd(s->skel->progs.tp),
					       tp->fmt->id, i);
		if (err) {
			tt_err(s->out, "attaching to tracepoint %s:%s failed: %s", tp->fmt->system,
			       tp->fmt->name, strerror(-err));
			return err;
		}
	}
	if (s->filter) {
		s->skel->links.sched_process_fork = bpf_program__attach(s->skel->progs.sched_process_fork);
		s->skel->links.sched_process_exec = bpf_program__attach(s->skel->progs.sched_process_exec);
		s->skel->links.sched_process_exit = bpf_program__attach(s->skel->progs.sched_process_exit);
		if (!s->skel->links.sched_process_fork || !s->skel->links.sched_process_exec ||
		    !s->skel->links.sched_process_exit) {
			err = -errno;
			tt_err(s->out, "attaching the process-tracking tracepoints failed: %s",
			       strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * Detach every program. Closing a perf-event link costs the kernel grace periods, serially
 * (about 0.1 s each here): with many of them (tracepoints, or uprobes on kernels without
 * uprobe-multi links) the programs are made inert instead, one link is closed (its grace
 * periods also wait out any program still running), and a child process closes the rest while
 * the recording ends.
 */
static void detach_all(struct session *s)
{
	if (s->links.slow_cnt > SLOW_LINKS_IN_FOREGROUND && s->skel && s->skel->bss) {
		size_t slow = s->links.slow_cnt;
		int child;

		s->skel->bss->stopped = 1;
		close(s->links.fds[--s->links.cnt]);
		child = tt_links__close_in_background(&s->links);
		if (child > 0)
			tt_notice(s->out, "detaching %zu probes in the background (pid %d): the kernel "
					  "takes about 0.1 s for each tracepoint%s", slow, child,
				  s->bpf.multi ? "" : " and, before Linux 6.6, each uprobe");
	}
	tt_links__close(&s->links);
	if (s->skel) {
		bpf_link__destroy(s->skel->links.sched_process_fork);
		bpf_link__destroy(s->skel->links.sched_process_exec);
		bpf_link__destroy(s->skel->links.sched_process_exit);
		s->skel->links.sched_process_fork = NULL;
		s->skel->links.sched_process_exec = NULL;
		s->skel->links.sched_process_exit = NULL;
	}
}

/* ---- counters ---- */

/*
 * Hits the kernel never ran our programs for: a tracepoint program is skipped while another
 * BPF program runs on the same CPU (since 6.14 a syscall tracepoint program can be preempted,
 * and while it is, every other tracepoint program on that CPU is skipped), and the kernel
 * counts those skips in the program's recursion_misses. They never reached our counters, so
 * they are written as losses of an unknown probe and CPU, in the window since the last
 * harvest, and counted apart in the summary.
 */
static void harvest_missed(struct session *s, uint64_t now)
{
	const struct bpf_program *progs[2] = {s->skel->progs.usdt, s->skel->progs.tp};

	for (int i = 0; i < 2; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(progs[i]);
		struct tt_loss l;

		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    info.recursion_misses <= s->missed[i])
			continue;
		l.cpu = TT_LOSS_ANY_CPU;
		l.probe_id = TT_LOSS_ANY_PROBE;
		l.count = info.recursion_misses - s->missed[i];
		l.ts_start_ns = s->last_harvest_ns;
		l.ts_end_ns = now;
		s->missed[i] = info.recursion_misses;
		s->missed_total += l.count;
		s->lost += l.count;
		writer_check(s, tt_tape_writer__add_loss(s->w, &l));
	}
}

/*
 * Hits the fast path lost (full rings, threads without one): a loss record of no particular
 * CPU, from the previous harvest to the latest loss; they count as fired too.
 */
static void on_fast_loss(void *ctx, uint32_t probe_id, uint64_t count, uint64_t last_ts_ns)
{
	struct session *s = ctx;
	struct tt_loss l = {.cpu = TT_LOSS_ANY_CPU, .probe_id = probe_id, .count = count,
			    .ts_end_ns = last_ts_ns};

	if (probe_id >= s->probe_cnt)
		return;
	l.ts_start_ns = TT_MIN(s->last_harvest_ns, l.ts_end_ns);
	s->fast_lost[probe_id] += count;
	s->fast_fired[probe_id] += count;
	s->lost += count;
	writer_check(s, tt_tape_writer__add_loss(s->w, &l));
}

/*
 * --keep: events that left a full --keep-buffer before any kept span claimed them, as loss
 * records of their probe (CPU unknown) over the time of the first and last of them.
 */
static void on_keep_loss(void *ctx, uint32_t probe_id, uint64_t count, uint64_t first_ts,
			 uint64_t last_ts)
{
	struct session *s = ctx;
	struct tt_loss l = {.cpu = TT_LOSS_ANY_CPU, .probe_id = probe_id, .count = count,
			    .ts_start_ns = first_ts, .ts_end_ns = last_ts};

	s->lost += count;
	s->keep_lost += count;
	writer_check(s, tt_tape_writer__add_loss(s->w, &l));
}

/*
 * Read the per-CPU counters: write a loss record for every (probe, CPU) whose loss count grew
 * since the last harvest, with the window in which the losses happened (from the previous
 * harvest to the latest loss), and keep the fired totals for the summary and the tape.
 */
static void harvest_counts(struct session *s)
{
	struct tt_bpf_counts *vals;
	uint64_t now = tt_now_mono_ns();
	int fd = bpf_map__fd(s->skel->maps.counts);

	vals = calloc((size_t)s->ncpu, sizeof(*vals));
	if (!vals)
		return;
	if (s->fast)
		tt_fast__harvest(s->fast, on_fast_loss, s);
	for (size_t slot = 0; slot < s->probe_cnt; slot++) {
		__u32 key = (__u32)slot;
		uint64_t fired = s->fast ? s->fast_fired[slot] : 0, stack_lost = 0;

		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (int cpu = 0; cpu < s->ncpu; cpu++) {
			uint64_t *prev = &s->loss_prev[slot * (size_t)s->ncpu + cpu];
			struct tt_loss l;

			fired += vals[cpu].fired;
			stack_lost += vals[cpu].stack_lost;
			if (vals[cpu].lost == *prev)
				continue;
			l.cpu = (uint32_t)cpu;
			l.probe_id = (uint32_t)slot;
			l.count = vals[cpu].lost - *prev;
			l.ts_end_ns = vals[cpu].last_lost_ts;
			l.ts_start_ns = TT_MIN(s->last_harvest_ns, l.ts_end_ns);
			*prev = vals[cpu].lost;
			s->lost += l.count;
			writer_check(s, tt_tape_writer__add_loss(s->w, &l));
		}
		s->fired[slot] = fired;
		s->stack_lost[slot] = stack_lost;
	}
	harvest_missed(s, now);
	if (s->keep)
		tt_keep__take_losses(s->keep, on_keep_loss, s);
	s->last_harvest_ns = now;
	free(vals);
}

/* Counts per probe as metadata "KEY": "ID=N ..." for every probe whose count is not 0. */
static void write_counts(struct session *s, const char *key, const uint64_t *counts)
{
	struct tt_buf b = {0};

	for (size_t i = 0; i < s->probe_cnt; i++)
		if (counts[i])
			tt_buf_printf(&b, "%s%zu=%llu", b.len ? " " : "", i,
				      (unsigned long long)counts[i]);
	if (b.len && !tt_buf_append(&b, "", 1))
		writer_check(s, tt_tape_writer__add_meta(s->w, key, (char *)b.data));
	tt_buf_free(&b);
}

/*
 * The fired counts, as metadata of the tape being closed ("probe_fired"), so that recorded +
 * lost = fired can be checked from the tape alone; with --stack, the hits whose stack could not
 * be taken or sent ("probe_stack_lost"): such a hit is recorded without its stack.
 */
static void write_fired(struct session *s)
{
	write_counts(s, "probe_fired", s->fired);
	if (s->stacks)
		write_counts(s, "probe_stack_lost", s->stack_lost);
}

/*
 * --keep: the span counters of this tape ("keep_spans", counted anew in the next tape) and the
 * events left out per probe since the recording began ("keep_dropped": "ID=N ...", like
 * probe_fired), so that events + lost + left out = fired can be checked from the tape alone.
 */
static void write_keep(struct session *s)
{
	struct tt_buf b = {0};
	int err;

	uint64_t t[3];

	if (!s->keep)
		return;
	tt_keep__totals(s->keep, &t[0], &t[1], &t[2]);
	s->keep_seen += t[0];
	s->keep_kept += t[1];
	s->keep_dropped += t[2];
	err = tt_keep__format_counts(s->keep, &b, 1);
	if (!err && b.len)
		err = tt_buf_append(&b, "", 1);
	if (!err && b.len)
		err = tt_tape_writer__add_meta(s->w, "keep_spans", (char *)b.data);
	b.len = 0;
	for (uint32_t i = 0; !err && i < tt_keep__probe_cnt(s->keep); i++)
		if (tt_keep__dropped(s->keep, i))
			err = tt_buf_printf(&b, "%s%u=%llu", b.len ? " " : "", i,
					    (unsigned long long)tt_keep__dropped(s->keep, i));
	if (!err && b.len)
		err = tt_buf_append(&b, "", 1);
	if (!err && b.len)
		err = tt_tape_writer__add_meta(s->w, "keep_dropped", (char *)b.data);
	writer_check(s, err);
	tt_buf_free(&b);
}

/* --keep: the tail capture, told every probe known at the start (others as they come). */
static int keep_open(struct session *s)
{
	int err = 0;

	s->keep = tt_keep__new(s->o->keep_rules, s->o->keep_rule_cnt, s->o->keep_buffer, s->out);
	if (!s->keep) {
		err = -errno;
		tt_err(s->out, "--keep: %s", tt_strerror(err));
		return err;
	}
	s->keep_sink.write = keep_write;
	s->keep_sink.ctx = s;
	for (size_t i = 0; !err && i < s->probe_cnt; i++)
		err = tt_keep__add_probe(s->keep, &s->probes[i].d);
	for (size_t i = 0; !err && s->dyn && i < tt_dyn_probes__cnt(s->dyn); i++)
		err = tt_keep__add_probe(s->keep, tt_dyn_probes__at(s->dyn, i));
	/* scheduler events about another thread (the field the BPF pid filter reads): a kept
	 * span's switch-ins and received wakeups, recorded by whatever ran then */
	for (size_t i = 0; !err && i < s->tp_cnt; i++)
		if (s->tps[i].cfg.filter_off)
			err = tt_keep__thread_field(s->keep, s->tps[i].probe_id,
						    s->tps[i].cfg.filter_off);
	if (err)
		tt_err(s->out, "--keep: %s", tt_strerror(err));
	return err;
}

/* ---- the tape ---- */

static void add_clock(struct session *s)
{
	uint64_t m1 = tt_now_mono_ns(), r = tt_now_real_ns(), m2 = tt_now_mono_ns();

	writer_check(s, tt_tape_writer__add_clock(s->w, m1 + (m2 - m1) / 2, r));
	s->last_clock_ns = m2;
}

static int describe_capture(struct session *s)
{
	char buf[256], boot_id[64] = "";
	struct utsname uts;
	int err = 0;

	uname(&uts);
	tt_read_small_file("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id), 0);
	err |= tt_tape_writer__add_meta(s->w, "tracetape.version", TT_VERSION);
	err |= tt_tape_writer__add_meta(s->w, "host", uts.nodename);
	err |= tt_tape_writer__add_meta(s->w, "kernel", uts.release);
	err |= tt_tape_writer__add_meta(s->w, "machine", uts.machine);
	err |= tt_tape_writer__add_meta(s->w, "boot_id", boot_id);
	err |= tt_tape_writer__add_meta(s->w, "clock", "CLOCK_MONOTONIC");
	if (s->o->cmdline)
		err |= tt_tape_writer__add_meta(s->w, "cmdline", s->o->cmdline);
	snprintf(buf, sizeof(buf), "%u", s->o->strlen);
	err |= tt_tape_writer__add_meta(s->w, "strlen", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->o->ring_sz);
	err |= tt_tape_writer__add_meta(s->w, "ring_size", buf);
	snprintf(buf, sizeof(buf), "%u", s->tapes);
	err |= tt_tape_writer__add_meta(s->w, "tape_index", buf);
	{
		size_t n;
		const char *skipped = tt_probe_set__skipped(s->ps, &n);

		/* Sites of the probes asked for that are not recorded, and why: a post-mortem
		 * reader must know what the tape cannot contain. */
		if (skipped)
			err |= tt_tape_writer__add_meta(s->w, "skipped_sites", skipped);
	}
	/* How the probes were recorded: the attach path, and whether strings may fault pages in. */
	err |= tt_tape_writer__add_meta(s->w, "attach", tt_rec_bpf_attach_name(&s->bpf));
	err |= tt_tape_writer__add_meta(s->w, "strings", s->bpf.sleepable ? "sleepable" : "nofault");
	for (size_t i = 0; i < s->o->keep_rule_cnt; i++) {
		const struct tt_keep_rule *k = &s->o->keep_rules[i];

		snprintf(buf, sizeof(buf), "%s >%s %lluns", k->pattern, k->inclusive ? "=" : "",
			 (unsigned long long)k->min_ns);
		err |= tt_tape_writer__add_meta(s->w, "keep", buf);
	}
	if (s->keep) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->o->keep_buffer);
		err |= tt_tape_writer__add_meta(s->w, "keep_buffer", buf);
	}
	for (size_t i = 0; i < s->o->stack_glob_cnt; i++)
		err |= tt_tape_writer__add_meta(s->w, "stack", s->o->stack_globs[i]);
	if (s->o->stack_glob_cnt)
		err |= tt_tape_writer__add_meta(s->w, "stack_mode", s->o->stack_dwarf ? "dwarf" : "fp");
	/* The path marker: USDT probes of -DTT_FASTPATH binaries were recorded without a trap. */
	if (s->fast_sites)
		err |= tt_tape_writer__add_meta(s->w, "fast_path", "shm");
	if (err)
		return err < 0 ? err : -EIO;
	add_clock(s);
	for (size_t i = 0; i < s->probe_cnt; i++) {
		err = tt_tape_writer__add_probe(s->w, &s->probes[i].d);
		if (err)
			return err;
	}
	for (size_t i = 0; s->dyn && i < tt_dyn_probes__cnt(s->dyn); i++) {
		err = tt_tape_writer__add_probe(s->w, tt_dyn_probes__at(s->dyn, i));
		if (err)
			return err;
	}
	for (size_t i = 0; i < s->tp_cnt; i++) {
		err = tt_tape_writer__add_tp_format(s->w, s->tps[i].probe_id, s->tps[i].format_text);
		if (err)
			return err;
	}
	/* A rotated tape stands alone: describe every process seen so far again (under --keep,
	 * each with its next event written there). */
	for (size_t i = 0; !s->keep && i < tt_proc_table__cnt(s->procs); i++)
		describe(s, tt_proc_table__at(s->procs, i), 0);
	return 0;
}

static int open_tape(struct session *s)
{
	struct tt_tape_writer_opts wo = {.sync = s->o->sync};
	int err;

	s->w = tt_tape_writer__open(s->o->output, &wo);
	if (!s->w) {
		err = -errno;
		tt_err(s->out, "cannot create %s: %s", s->o->output, tt_strerror(err));
		return err;
	}
	s->tapes++;
	err = describe_capture(s);
	if (err)
		tt_err(s->out, "writing the capture description to %s failed: %s", s->o->output,
		       tt_strerror(err));
	return err;
}

/* Close the current tape, shift OUTPUT -> OUTPUT.1 -> ... keeping `rotate` tapes, reopen. */
/*
 * Flush and close the current tape; count the events that reached it: those in blocks written
 * whole (after a failed write, a full disk, the rest never will). Returns the writer's error.
 */
static int close_tape(struct session *s)
{
	int err;

	writer_check(s, tt_tape_writer__flush(s->w));
	s->on_tape += tt_tape_writer__written_cnt(s->w);
	err = tt_tape_writer__close(s->w);
	s->w = NULL;
	return err;
}

static int rotate_tape(struct session *s)
{
	char from[PATH_MAX], to[PATH_MAX];
	int err;

	harvest_counts(s);
	write_keep(s);
	write_fired(s);
	s->closed_bytes += tt_tape_writer__bytes(s->w);
	err = close_tape(s);
	if (err) {
		tt_err(s->out, "closing %s failed: %s", s->o->output, tt_strerror(err));
		return err;
	}
	for (uint32_t i = s->o->rotate - 1; i > 0; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", s->o->output);
		else
			snprintf(from, sizeof(from), "%s.%u", s->o->output, i - 1);
		snprintf(to, sizeof(to), "%s.%u", s->o->output, i);
		if (rename(from, to) != 0 && errno != ENOENT) {
			err = -errno;
			tt_err(s->out, "rotating %s to %s failed: %s", from, to, strerror(errno));
			return err;
		}
	}
	tt_info(s->out, "rotated %s", s->o->output);
	if (s->stacks)
		tt_rec_stacks__new_tape(s->stacks);
	return open_tape(s);
}

/* ---- the ring ---- */

/*
 * A process met for the first time, or anew after a fork or an exec: described in the tape now,
 * or, under --keep, with its first event written (keep_write): most events are left out then,
 * and with them most of the processes that tracepoints meet system-wide (the wakers of a
 * traced thread).
 */
static void note_process(struct session *s, const struct tt_proc_info *p, int err)
{
	if (!(s->keep && p))
		describe(s, p, err);
}

/* A record of pid: describe the process the first time it is met. */
static void new_pid(struct session *s, uint32_t pid)
{
	int err;
	const struct tt_proc_info *p = tt_proc_table__see(s->procs, pid, 0, &err);

	if (p || err)
		note_process(s, p, err);
}

/* Names the code addresses of Go probes' arguments, through the probe set. */
static const char *symbolize(void *ctx, const struct tt_probe_set_probe *p, uint64_t pc)
{
	struct session *s = ctx;

	return tt_probe_set__go_func_name(s->ps, p, pc);
}

/*
 * One ring record: describe the process it concerns (the first time it is met, or anew after
 * a fork or an exec), then append its event. A record that does not decode is skipped.
 */
static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	struct tt_ring_rec *r = &s->rec;
	const struct tt_proc_info *info;
	int err = 0;

	if (s->stacks && size >= sizeof(struct tt_ring_hdr) &&
	    ((const struct tt_ring_hdr *)data)->type == TT_RING_STACK) {
		err = tt_rec_stacks__on_ring(s->stacks, data, size, s->w);
		if (err != -EBADMSG)
			writer_check(s, err);
		return 0;
	}
	if (tt_ring_decode(&s->dec, data, size, r))
		return 0;
	switch (r->proc_what) {
	case 0: /* a probe hit */
		new_pid(s, r->pid);
		break;
	case TT_PROC_FORK:
		info = tt_proc_table__fork(s->procs, r->pid, r->ppid, r->comm, &err);
		if (info || err)
			note_process(s, info, err);
		break;
	case TT_PROC_EXIT:
		/* its pid may be reused: the next process's stacks are placed by the kernel */
		if (s->stacks) {
			__u32 word = r->pid / 64;
			__u64 w = 0;
			int fd = bpf_map__fd(s->skel->maps.stack_pids);

			tt_rec_stacks__forget(s->stacks, r->pid);
			if (!bpf_map_lookup_elem(fd, &word, &w)) {
				w &= ~(1ULL << (r->pid % 64));
				bpf_map_update_elem(fd, &word, &w, BPF_ANY);
			}
		}
		break;
	case TT_PROC_EXEC:
		/* A new program image: describe the process again (new comm, exe, cmdline). */
		info = tt_proc_table__exec(s->procs, r->pid, r->ppid, r->comm, r->path, r->path_len,
					   r->args, r->args_len, &err);
		note_process(s, info, err);
		break;
	default:
		break;
	}
	if (!r->has_event)
		return 0;
	if (s->stacks && !r->proc_what)
		r->ev.stack_id = tt_rec_stacks__take(s->stacks, r->ev.tid, r->ev.ts_ns);
	if (s->dyn) {
		/* A carrier's event becomes one of the probe it names, described on first sight
		 * (an event that breaks the wire format stays the carrier's). */
		const struct tt_probe_desc *added;

		err = tt_dyn_probes__map(s->dyn, &r->ev, &added);
		if (err == -ENOMEM)
			writer_check(s, err);
		else if (added) {
			writer_check(s, tt_tape_writer__add_probe(s->w, added));
			if (s->keep)
				keep_check(s, tt_keep__add_probe(s->keep, added));
		}
	}
	s->received++;
	if (s->keep)
		keep_check(s, tt_keep__event(s->keep, &r->ev, &s->keep_sink));
	else
		keep_write(s, &r->ev);
	return 0;
}

/*
 * A fast-path record (tt_fast checked its framing, its probe and its process): decoded and
 * written like a ring record, and counted as fired when it made an event.
 */
static int on_fast_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	uint64_t before = s->received;
	uint32_t probe_id;

	memcpy(&probe_id, (const uint8_t *)data + offsetof(struct tt_ring_hdr, probe_id),
	       sizeof(probe_id));
	on_record(ctx, data, size);
	if (s->received != before && probe_id < s->probe_cnt)
		s->fast_fired[probe_id]++;
	return 0;
}

/*
 * --fast: the binaries whose sites can all go by the fast path (built with -DTT_FASTPATH, USDT
 * sites whose arguments are plain values or strings: no counted or indirect strings, which
 * only the BPF path reads) are left unattached, and their probes are offered in the shared
 * memory. Every other binary is attached as usual.
 */
static int fast_prepare(struct session *s)
{
	struct tt_fast_offer *offers = NULL;
	uint8_t *offered = NULL;
	size_t offer_cnt = 0, bins = 0;
	int err = -ENOMEM;

	s->fast_bin = calloc(s->bin_cnt + 1, 1);
	s->fast_fired = calloc(s->probe_cnt + 1, sizeof(*s->fast_fired));
	s->fast_lost = calloc(s->probe_cnt + 1, sizeof(*s->fast_lost));
	offers = calloc(s->probe_cnt + 1, sizeof(*offers));
	offered = s->fast_offered = calloc(s->probe_cnt + 1, 1);
	if (!s->fast_bin || !s->fast_fired || !s->fast_lost || !offers || !offered)
		goto cleanup;
	for (size_t i = 0; i < s->bin_cnt; i++) {
		struct tt_probe_set_sites b;
		struct stat st;
		int ok;

		tt_probe_set__binary_sites(s->ps, i, &b);
		if (!b.cnt || tt_fast_binary_capable(b.open_path) != 1 || stat(b.open_path, &st))
			continue;
		ok = 1;
		for (size_t j = 0; j < b.cnt && ok; j++) {
			const struct tt_bpf_site *site = &s->sites[b.cookies[j]];
			const struct tt_probe_set_probe *p = &s->probes[site->probe_id];

			/* Where an argument is does not matter (the process has its value);
			 * what is recorded of it does. A name must fit the table. */
			ok = p->d.type == TT_PROBE_USDT &&
			     !(site->flags & (TT_BPF_SITE_GO | TT_BPF_SITE_JBE)) &&
			     strlen(p->d.provider) < TT_FAST_NAME_SZ &&
			     strlen(p->d.name) < TT_FAST_NAME_SZ;
			for (unsigned a = 0; a < site->argc && ok; a++)
				ok = !(site->args[a].flags & (TT_BPF_ARG_BYTES | TT_BPF_ARG_DEREF1 |
							      TT_BPF_ARG_DEREF2));
		}
		if (!ok) {
			tt_warn(s->out, "--fast: %s has sites only uprobes can read; attaching them",
				b.path);
			continue;
		}
		for (size_t j = 0; j < b.cnt; j++) {
			uint32_t id = s->sites[b.cookies[j]].probe_id;
			const struct tt_probe_set_probe *p = &s->probes[id];

			if (offered[id])
				continue;
			offered[id] = 1;
			offers[offer_cnt++] = (struct tt_fast_offer){
				.probe_id = id, .argc = p->d.argc, .str_mask = p->str_mask,
				.dev_major = major(st.st_dev), .dev_minor = minor(st.st_dev),
				.ino = st.st_ino, .provider = p->d.provider, .name = p->d.name,
			};
		}
		s->fast_bin[i] = 1;
		s->fast_sites += b.cnt;
		bins++;
	}
	/* Each thread's ring is a quarter of --buffer-size (4 MiB by default). */
	err = tt_fast__setup(s->fast, offers, offer_cnt, (uint32_t)TT_MAX(s->probe_cnt, 1),
			     s->o->strlen, TT_FAST_RINGS,
			     TT_MAX(s->o->ring_sz / 4, 2 * (uint64_t)TT_RING_REC_MAX));
	if (err) {
		tt_err(s->out, "setting up the fast path's shared memory failed: %s", strerror(-err));
		goto cleanup;
	}
	if (!bins)
		tt_warn(s->out, "--fast: no binary of these probes was built with -DTT_FASTPATH; "
				"recording them through uprobes");
	else
		tt_info(s->out, "--fast: %zu probes in %zu binar%s go by the fast path", offer_cnt,
			bins, bins == 1 ? "y" : "ies");
cleanup:
	free(offers);
	return err;
}

/*
 * --fast -p: write value into every fast-path site of the process's fast binaries (TT_FAST_ADOPT
 * after the uprobes are attached: the next hit maps the memory). Returns the sites written.
 */
static size_t fast_mark(struct session *s, uint32_t value)
{
	size_t marked = 0;

	for (size_t i = 0; s->fast_pid && i < s->bin_cnt; i++) {
		struct tt_probe_set_sites b;
		struct stat st;
		int n;

		if (!s->fast_bin[i])
			continue;
		tt_probe_set__binary_sites(s->ps, i, &b);
		n = stat(b.open_path, &st) ? -errno
					   : tt_fast_mark_sites(s->fast_pid, b.open_path, st.st_dev,
								st.st_ino, value);
		if (n < 0 && value)
			tt_warn(s->out, "--fast: the sites of %s in process %d could not be switched "
					"(%s); they go by uprobes", b.path, (int)s->fast_pid,
				strerror(-n));
		marked += n > 0 ? (size_t)n : 0;
	}
	return marked;
}

/*
 * --fast: the memfd, created before the command is forked so that it inherits it, and the
 * command's environment: the caller's additions and TT_FAST_ENV naming the descriptor.
 */
static int fast_env(struct session *s)
{
	size_t n = 0;

	s->fast = tt_fast__new();
	if (!s->fast) {
		tt_err(s->out, "creating the fast path's shared memory failed: %s", strerror(errno));
		return -errno;
	}
	while (s->o->command_env && s->o->command_env[n])
		n++;
	s->cmd_env = calloc(n + 2, sizeof(*s->cmd_env));
	if (!s->cmd_env)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		s->cmd_env[i] = s->o->command_env[i];
	snprintf(s->fast_env, sizeof(s->fast_env), "%s=%d", TT_FAST_ENV, tt_fast__fd(s->fast));
	s->cmd_env[n] = s->fast_env;
	return 0;
}

/* ---- processes ---- */

static int roots_alive(struct session *s)
{
	size_t alive = 0;

	for (size_t i = 0; i < s->root_cnt; i++) {
		struct pollfd pfd = {.fd = s->root_fds[i], .events = POLLIN};

		if (s->root_fds[i] < 0)
			continue;
		if (poll(&pfd, 1, 0) == 1) { /* a pidfd is readable once the process exited */
			close(s->root_fds[i]);
			s->root_fds[i] = -1;
			tt_info(s->out, "process %d exited", (int)s->roots[i]);
			continue;
		}
		alive++;
	}
	return alive > 0;
}

/* ---- the session ---- */

static void print_summary(struct session *s, struct tt_record_result *res)
{
	const struct tt_out *out = s->out;
	double secs = (double)res->duration_ns / 1e9;

	tt_notice(out, "recorded %llu events (%llu lost) in %.2f s: %llu bytes in %u tape%s, "
		       "%.1f bytes/event",
		  (unsigned long long)(res->events + res->kept_out), (unsigned long long)res->lost,
		  secs, (unsigned long long)res->bytes, res->tapes, res->tapes == 1 ? "" : "s",
		  res->events ? (double)res->bytes / (double)res->events : 0.0);
	if (s->keep) {
		uint64_t seen = 0, kept = 0, dropped = 0, held, bytes, peak, t[3];

		/* the counters start anew with each tape: those written, and those since */
		tt_keep__totals(s->keep, &t[0], &t[1], &t[2]);
		seen = s->keep_seen + t[0];
		kept = s->keep_kept + t[1];
		dropped = s->keep_dropped + t[2];
		tt_keep__held(s->keep, &held, &bytes, &peak);
		tt_notice(out, "--keep: %llu spans seen, %llu kept, %llu dropped; %llu events written, "
			       "%llu left out, %llu lost to a full --keep-buffer (%llu bytes held at most)",
			  (unsigned long long)seen, (unsigned long long)kept,
			  (unsigned long long)dropped, (unsigned long long)res->events,
			  (unsigned long long)res->kept_out, (unsigned long long)s->keep_lost,
			  (unsigned long long)peak);
	}
	if (s->fast_sites && !s->fast_pid && !tt_fast__attached(s->fast))
		tt_warn(out, "--fast: no process attached to the fast path (its environment lost %s?)",
			TT_FAST_ENV);
	if (s->fast_pid && s->fast_sites) {
		uint64_t fast = 0, all = 0;

		for (size_t slot = 0; slot < s->probe_cnt; slot++) {
			if (!s->fast_offered[slot])
				continue;
			fast += s->fast_fired[slot] - s->fast_lost[slot];
			all += s->fired[slot];
		}
		tt_notice(out, "--fast: %llu of %llu events came by the fast path (the others by "
			       "uprobes, before process %d mapped the memory or after it stopped)",
			  (unsigned long long)fast, (unsigned long long)all, (int)s->fast_pid);
	}
	if (s->fast && (tt_fast__rejected(s->fast) || tt_fast__rings_abandoned(s->fast)))
		tt_warn(out, "--fast: refused %llu malformed records and %u rings of the traced "
			     "processes", (unsigned long long)tt_fast__rejected(s->fast),
			tt_fast__rings_abandoned(s->fast));
	if (res->unwritten)
		tt_warn(out, "lost %llu events that could not be written to the tape",
			(unsigned long long)res->unwritten);
	if (s->missed_total)
		tt_warn(out, "lost %llu hits the kernel ran no BPF program for (another BPF program was "
			     "running on the CPU: the tape marks them as losses of an unknown probe)",
			(unsigned long long)s->missed_total);
	for (size_t slot = 0; res->lost && slot < s->probe_cnt; slot++) {
		uint64_t total = 0;

		for (int cpu = 0; cpu < s->ncpu; cpu++)
			total += s->loss_prev[slot * (size_t)s->ncpu + cpu];
		if (s->fast_lost)
			total += s->fast_lost[slot];
		if (total)
			tt_warn(out, "lost %llu of %llu events of %s:%s", (unsigned long long)total,
				(unsigned long long)s->fired[slot], s->probes[slot].d.provider,
				s->probes[slot].d.name);
	}
	for (size_t slot = 0; s->stacks && slot < s->probe_cnt; slot++)
		if (s->stack_lost[slot])
			tt_warn(out, "%llu of %llu hits of %s:%s have no stack (it could not be taken "
				     "or sent: ring buffer full, or no scratch buffer free)",
				(unsigned long long)s->stack_lost[slot],
				(unsigned long long)s->fired[slot], s->probes[slot].d.provider,
				s->probes[slot].d.name);
	if (res->command_started) {
		if (WIFEXITED(res->command_status))
			tt_notice(out, "%s exited with status %d", s->o->command[0],
				  WEXITSTATUS(res->command_status));
		else if (WIFSIGNALED(res->command_status))
			tt_notice(out, "%s was killed by signal %d (%s)", s->o->command[0],
				  WTERMSIG(res->command_status), strsignal(WTERMSIG(res->command_status)));
	}
}

static void session_free(struct session *s)
{
	tt_held_cmd__abandon(&s->cmd, 0);
	tt_ring__free(s->rb);
	detach_all(s);
	record_bpf__destroy(s->skel);
	tt_tape_writer__free(s->w);
	tt_keep__free(s->keep);
	tt_dyn_probes__free(s->dyn);
	tt_probe_set__free(s->ps);
	for (size_t i = 0; i < s->own_specs; i++)
		tt_probe_spec_free(&s->specs[i]);
	free(s->specs);
	for (size_t i = 0; i < s->root_cnt; i++)
		if (s->root_fds && s->root_fds[i] >= 0)
			close(s->root_fds[i]);
	free(s->root_fds);
	free(s->roots);
	tt_proc_table__free(s->procs);
	free(s->loss_prev);
	free(s->fired);
	free(s->stack_lost);
	tt_provider_file__free(s->schema);
	free(s->stack_sites);
	free(s->kstack);
	tt_rec_stacks__free(s->stacks);
	tt_fast__free(s->fast);
	free(s->fast_offered);
	free(s->fast_bin);
	free(s->fast_fired);
	free(s->fast_lost);
	free(s->cmd_env);
}

static const char *const sched_specs[] = {
	"tracepoint:sched:sched_switch", "tracepoint:sched:sched_wakeup",
	"tracepoint:sched:sched_wakeup_new", "tracepoint:sched:sched_process_fork",
	"tracepoint:sched:sched_process_exec", "tracepoint:sched:sched_process_exit",
};
static const char *const syscall_specs[] = {
	"tracepoint:raw_syscalls:sys_enter", "tracepoint:raw_syscalls:sys_exit",
};

int tt_record_run(const struct tt_record_opts *o, const struct tt_out *out,
		  struct tt_record_result *res)
{
	struct sigaction sa = {.sa_handler = on_stop_signal}, old_int, old_term;
	struct session sess = {.o = o, .out = out, .cmd = TT_HELD_CMD_INIT,
			       .probe_fork = UINT32_MAX, .probe_exec = UINT32_MAX,
			       .probe_exit = UINT32_MAX};
	struct session *s = &sess;
	struct tt_bpf_features features;
	char *exe = NULL, msg[512];
	size_t site_total = 0, bins_used = 0, user_probes;
	uint64_t stop_at = 0;
	int err, mounted, signals_installed = 0;

	memset(res, 0, sizeof(*res));
	/* The scheduler's and syscalls' tracepoints first (owned), then the caller's specs. */
	s->specs = calloc(o->spec_cnt + TT_ARRAY_SIZE(sched_specs) + TT_ARRAY_SIZE(syscall_specs),
			  sizeof(*s->specs));
	if (!s->specs)
		return -ENOMEM;
	for (size_t i = 0; o->sched && i < TT_ARRAY_SIZE(sched_specs); i++) {
		err = tt_probe_spec_parse(sched_specs[i], &s->specs[s->own_specs++], msg, sizeof(msg));
		if (err)
			goto cleanup;
	}
	for (size_t i = 0; o->syscalls && i < TT_ARRAY_SIZE(syscall_specs); i++) {
		err = tt_probe_spec_parse(syscall_specs[i], &s->specs[s->own_specs++], msg,
					  sizeof(msg));
		if (err)
			goto cleanup;
	}
	s->spec_cnt = s->own_specs;
	for (size_t i = 0; i < o->spec_cnt; i++)
		s->specs[s->spec_cnt++] = o->specs[i];

	if (o->schema) {
		struct tt_provider_error perr = {0};

		err = tt_provider_file__load(o->schema, &s->schema, &perr);
		if (err) {
			if (perr.line)
				tt_err(out, "%s:%u:%u: %s", o->schema, perr.line, perr.col, perr.msg);
			else
				tt_err(out, "%s: %s", o->schema, perr.msg[0] ? perr.msg : tt_strerror(err));
			goto cleanup;
		}
	}
	err = tt_bpf_check_privileges(out);
	if (!err)
		err = tt_bpf_check_btf(out);
	if (!err)
		err = tt_tracefs_ensure(out, &mounted);
	if (err)
		goto cleanup;
	tt_libbpf_route_output(out);
	tt_bpf_features_probe(&features);
	err = tt_bpf_features_require(&features, out);
	if (err)
		goto cleanup;
	tt_rec_bpf_cfg_for(&s->bpf, &features);
	if (o->attach == TT_ATTACH_MULTI && !features.uprobe_multi) {
		err = -TT_E_KERNEL;
		tt_err(out, "--attach multi: this kernel has no uprobe-multi links (Linux 6.6+)");
		goto cleanup;
	}
	if (o->attach)
		s->bpf.multi = o->attach == TT_ATTACH_MULTI;
	if (o->no_fault_in)
		s->bpf.sleepable = 0;
	else if (!features.sleepable_uprobe)
		tt_warn(out, "this kernel does not allow sleepable uprobe programs: strings in pages "
			     "the process has not touched yet will be recorded as faults");

	s->filter = o->pid_cnt || o->command;
	if (o->pid_cnt) {
		s->roots = calloc(o->pid_cnt, sizeof(*s->roots));
		s->root_fds = calloc(o->pid_cnt, sizeof(*s->root_fds));
		if (!s->roots || !s->root_fds) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t i = 0; i < o->pid_cnt; i++) {
			int fd = (int)syscall(SYS_pidfd_open, o->pids[i], 0);

			if (fd < 0) {
				err = -errno;
				tt_err(out, "process %d: %s", (int)o->pids[i],
				       errno == ESRCH ? "no such process" : strerror(errno));
				goto cleanup;
			}
			s->roots[s->root_cnt] = o->pids[i];
			s->root_fds[s->root_cnt++] = fd;
		}
		if (o->fast) { /* one process, met running: its sites are marked once attached */
			s->fast = tt_fast__new_for(s->roots[0]);
			if (!s->fast) {
				err = -errno;
				tt_err(out, "creating the fast path's shared memory %s%d failed: %s%s",
				       TT_FAST_SHM_PREFIX, (int)s->roots[0], strerror(errno),
				       errno == EEXIST ? " (another recorder's)" : "");
				goto cleanup;
			}
			s->fast_pid = s->roots[0];
		}
	}
	if (o->command) {
		exe = tt_which(o->command[0]);
		if (!exe) {
			err = -ENOENT;
			tt_err(out, "command not found: %s", o->command[0]);
			goto cleanup;
		}
		if (o->fast) {
			err = fast_env(s);
			if (err)
				goto cleanup;
		}
		err = tt_held_cmd__start(&s->cmd, exe, o->command,
					 s->cmd_env ? s->cmd_env : o->command_env);
		if (err) {
			tt_err(out, "starting %s failed: %s", exe, strerror(-err));
			goto cleanup;
		}
	}

	s->procs = tt_proc_table__new("/proc");
	s->ps = s->procs ? tt_probe_set__new(out, s->schema, o->schema) : NULL;
	if (!s->ps) {
		err = -errno;
		goto cleanup;
	}
	err = tt_probe_set__resolve(s->ps, s->specs, s->spec_cnt, o->command, s->roots,
				    s->root_cnt);
	if (err)
		goto cleanup;
	user_probes = tt_probe_set__probe_cnt(s->ps);
	if (s->filter) {
		err = tt_probe_set__add_builtins(s->ps, &s->probe_fork, &s->probe_exec,
						 &s->probe_exit);
		if (err)
			goto cleanup;
	}
	/* The set is complete: the session reads it through these views from here on. */
	s->probes = tt_probe_set__probes(s->ps, &s->probe_cnt);
	s->sites = tt_probe_set__sites(s->ps, &s->site_cnt);
	s->tps = tt_probe_set__tps(s->ps, &s->tp_cnt);
	if (o->stack_glob_cnt) {
		const char *bad = NULL;
		size_t user_globs = 0;

		for (size_t i = 0; i < o->stack_glob_cnt; i++)
			user_globs += !!strncmp(o->stack_globs[i], TT_STACK_TP_PREFIX,
						strlen(TT_STACK_TP_PREFIX));
		s->kstack = calloc(TT_MAX(s->probe_cnt, 1), 1);
		err = s->kstack ? tt_rec_stacks_mark(s->probes, s->probe_cnt, s->sites, s->site_cnt,
						     o->stack_globs, o->stack_glob_cnt,
						     &s->stack_sites, s->kstack, &bad) : -ENOMEM;
		if (err == -TT_E_NO_MATCH && !strncmp(bad, TT_STACK_TP_PREFIX,
						      strlen(TT_STACK_TP_PREFIX)))
			tt_err(out, "--stack '%s': no recorded tracepoint matches it", bad);
		else if (err == -TT_E_NO_MATCH)
			tt_err(out, "--stack '%s': no recorded probe of a program matches it "
				    "(a tracepoint's kernel stack: --stack tracepoint:CATEGORY:NAME)",
			       bad);
		s->stacks = err ? NULL : tt_rec_stacks__new(stack_pid_mapped, s);
		if (!err && !s->stacks)
			err = -ENOMEM;
		if (!err && user_globs < o->stack_glob_cnt) {
			struct tt_ksyms *ks = tt_ksyms__load("/proc/kallsyms", "/sys/kernel/notes");

			if (!ks) {
				err = -errno;
				tt_err(out, "--stack tracepoint:...: cannot read the kernel's symbols "
					    "from /proc/kallsyms: %s", errno == EPERM ?
					    "it shows no addresses (not root, or kernel.kptr_restrict "
					    "is 2)" : strerror(errno));
			} else {
				err = tt_rec_stacks__kernel(s->stacks, ks);
			}
			s->bpf.kstacks = 1;
		}
		if (err)
			goto cleanup;
		s->sites = s->stack_sites;
		s->bpf.stacks = user_globs > 0;
		for (size_t i = 0; !err && i < s->probe_cnt; i++)
			if (s->probes[i].d.binary)
				err = tt_rec_stacks__know(s->stacks, s->probes[i].d.binary,
							  s->probes[i].d.build_id);
		if (err)
			goto cleanup;
	}
	s->bin_cnt = tt_probe_set__binary_cnt(s->ps);
	/* --stack-mode dwarf: every stack site sends a copy of its stack top; else the sites in
	 * functions without a frame pointer walk from where their CFI says */
	for (size_t i = 0; s->stack_sites && o->stack_dwarf && i < s->site_cnt; i++)
		if (s->stack_sites[i].flags & TT_BPF_SITE_STACK)
			s->stack_sites[i].flags |= TT_BPF_SITE_COPY;
	for (size_t i = 0; s->stack_sites && !o->stack_dwarf && i < s->bin_cnt; i++) {
		struct tt_probe_set_sites b;

		tt_probe_set__binary_sites(s->ps, i, &b);
		tt_rec_stacks_cfi(b.open_path, b.offsets, b.cookies, b.cnt, s->stack_sites,
				  s->site_cnt);
	}
	s->dec = (struct tt_ring_decoder){
		.probes = s->probes, .probe_cnt = s->probe_cnt, .probe_fork = s->probe_fork,
		.probe_exec = s->probe_exec, .probe_exit = s->probe_exit, .symbolize = symbolize,
		.symbolize_ctx = s,
	};
	s->dyn = tt_dyn_probes__new(s->probes, s->probe_cnt);
	if (!s->dyn) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (!tt_dyn_probes__has_carriers(s->dyn)) {
		tt_dyn_probes__free(s->dyn);
		s->dyn = NULL;
	}
	if (!s->site_cnt && !s->tp_cnt) {
		err = -TT_E_NO_MATCH;
		tt_err(out, "nothing to record: no site of the matching probes can be read (see the "
			    "warnings above)");
		goto cleanup;
	}
	s->ncpu = libbpf_num_possible_cpus();
	s->loss_prev = calloc(s->probe_cnt * (size_t)TT_MAX(s->ncpu, 1) + 1, sizeof(*s->loss_prev));
	s->fired = calloc(s->probe_cnt + 1, sizeof(*s->fired));
	s->stack_lost = calloc(s->probe_cnt + 1, sizeof(*s->stack_lost));
	if (s->ncpu <= 0 || !s->loss_prev || !s->fired || !s->stack_lost) {
		err = s->ncpu <= 0 ? s->ncpu : -ENOMEM;
		goto cleanup;
	}
	if (s->fast) {
		err = fast_prepare(s);
		if (err)
			goto cleanup;
	}
	err = load_bpf(s);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < s->root_cnt && !err; i++)
		err = trace_pid(s, s->roots[i]);
	if (!err && s->cmd.pid > 0)
		err = trace_pid(s, s->cmd.pid);
	if (err) {
		tt_err(out, "filling the pid filter failed: %s", strerror(-err));
		goto cleanup;
	}
	s->rb = tt_ring__open(bpf_map__fd(s->skel->maps.events), s->o->ring_sz);
	if (!s->rb) {
		err = -errno;
		tt_err(out, "creating the ring buffer consumer failed: %s", strerror(-err));
		goto cleanup;
	}
	if (o->keep_rule_cnt) {
		err = keep_open(s);
		if (err)
			goto cleanup;
	}
	err = open_tape(s);
	if (err)
		goto cleanup;
	s->start_ns = s->last_harvest_ns = tt_now_mono_ns();
	/* A signal while attaching (hundreds of tracepoints take a while) ends the recording too. */
	stop_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signals_installed = 1;
	err = attach_all(s, &site_total, &bins_used);
	if (err == -EINTR && stop_signal) {
		tt_info(out, "stopped by signal %d while attaching", (int)stop_signal);
		err = 0;
		goto finish;
	}
	if (err)
		goto cleanup;
	if (s->fast_pid && s->fast_sites && !fast_mark(s, TT_FAST_ADOPT))
		s->fast_sites = 0; /* no site switched: uprobes record it all */

	/* The documented ready line: printed only once every probe is attached. */
	{
		char what[160] = "";
		size_t skipped;

		tt_probe_set__skipped(s->ps, &skipped);
		if (site_total)
			snprintf(what, sizeof(what), "%zu site%s in %zu binar%s", site_total,
				 site_total == 1 ? "" : "s", bins_used, bins_used == 1 ? "y" : "ies");
		if (s->fast_sites)
			snprintf(what + strlen(what), sizeof(what) - strlen(what),
				 "%s%zu site%s by the fast path", what[0] ? ", " : "", s->fast_sites,
				 s->fast_sites == 1 ? "" : "s");
		if (s->tp_cnt)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%zu tracepoint%s",
				 what[0] ? ", " : "", s->tp_cnt, s->tp_cnt == 1 ? "" : "s");
		if (skipped)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%zu site%s skipped",
				 what[0] ? ", " : "", skipped, skipped == 1 ? "" : "s");
		/* record -o - gives the writer its standard output as /dev/fd/N */
		tt_notice(out, "recording %zu probe%s (%s) to %s", user_probes,
			  user_probes == 1 ? "" : "s", what,
			  strncmp(o->output, "/dev/fd/", 8) ? o->output : "standard output");
	}
	if (s->cmd.pid > 0) {
		err = tt_held_cmd__release(&s->cmd);
		if (err) {
			tt_err(out, "releasing %s failed: %s", o->command[0], strerror(-err));
			goto cleanup;
		}
		res->command_started = 1;
	}
	if (o->duration_ns)
		stop_at = s->start_ns + o->duration_ns;

	while (!stop_signal && !s->write_err) {
		uint64_t now;
		int n = tt_ring__poll(s->rb, s->fast_sites ? FAST_POLL_MS : POLL_TIMEOUT_MS);

		if (n < 0 && n != -EINTR) {
			err = n;
			tt_err(out, "waiting for the ring buffer failed: %s", strerror(-n));
			break;
		}
		/* Records sent without a wakeup are not reported by poll: consume on every pass. */
		tt_ring__consume(s->rb, on_record, s);
		if (s->fast)
			tt_fast__consume(s->fast, on_fast_record, s);
		now = tt_now_mono_ns();
		if (now - s->last_harvest_ns >= HARVEST_INTERVAL_NS)
			harvest_counts(s);
		if (now - s->last_clock_ns >= CLOCK_INTERVAL_NS)
			add_clock(s);
		writer_check(s, tt_tape_writer__tick(s->w, now));
		if (o->max_size && tt_tape_writer__bytes(s->w) >= o->max_size) {
			if (!o->rotate) {
				tt_notice(out, "reached --max-size");
				break;
			}
			err = rotate_tape(s);
			if (err)
				break;
		}
		if (stop_at && now >= stop_at)
			break;
		if (s->cmd.pid > 0) {
			tt_held_cmd__reap(&s->cmd, 0);
			if (s->cmd.done)
				break;
		}
		if (s->root_cnt && !roots_alive(s)) {
			tt_info(out, "every traced process exited");
			break;
		}
	}
	if (stop_signal)
		tt_info(out, "stopping on signal %d", (int)stop_signal);

finish:
	if (s->fast_pid) { /* the process's next hit is recorded, the others by the uprobes */
		tt_fast__stop(s->fast);
		tt_fast__consume(s->fast, on_fast_record, s);
	}
	/* Detach first, then drain what the programs sent before they were gone. */
	detach_all(s);
	tt_ring__consume(s->rb, on_record, s);
	if (s->fast) { /* the processes stop writing; what they wrote is drained */
		tt_fast__stop(s->fast);
		tt_fast__consume(s->fast, on_fast_record, s);
	}
	if (s->keep && s->w) /* spans still open are kept; every held event is decided */
		keep_check(s, tt_keep__finish(s->keep, &s->keep_sink));
	harvest_counts(s);
	if (s->w) {
		add_clock(s);
		write_keep(s);
		write_fired(s);
		res->bytes = s->closed_bytes;
		uint64_t written = tt_tape_writer__bytes(s->w);

		writer_check(s, close_tape(s));
		if (!err)
			err = s->write_err;
		/* The closed tape's size: what the writer wrote, trailer included (into a pipe,
		   record -o -, what it wrote before the trailer) */
		struct stat st;
		if (stat(o->output, &st) == 0 && S_ISREG(st.st_mode))
			res->bytes += (uint64_t)st.st_size;
		else
			res->bytes += written;
	}
	/* We started it; the recording is over, so it ends too (SIGTERM, then SIGKILL). */
	tt_held_cmd__end(&s->cmd, CHILD_TERM_WAIT_MS);
	/* Events written out but not on a tape (a failed write) are lost like any other: the
	 * summary's recorded + lost stays the hits fired. */
	res->events = TT_MIN(s->on_tape, s->events);
	res->kept_out = s->received > s->events + s->keep_lost ? s->received - s->events - s->keep_lost : 0;
	res->unwritten = s->events - res->events;
	res->lost = s->lost + res->unwritten;
	res->duration_ns = tt_now_mono_ns() - s->start_ns;
	res->probe_cnt = (uint32_t)user_probes;
	res->tapes = s->tapes;
	res->command_status = s->cmd.status;
	print_summary(s, res);

cleanup:
	if (signals_installed) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	tt_held_cmd__abandon(&s->cmd, CHILD_TERM_WAIT_MS);
	free(exe);
	session_free(s);
	return err;
}
