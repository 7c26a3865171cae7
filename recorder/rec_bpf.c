/* SPDX-License-Identifier: MIT */
/* The recorder's BPF object: configuration, load and verifier costs (see rec_bpf.h). */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "rec_bpf.h"
#include "record.h"
#include "record.skel.h"
#include "tt_util.h"

/*
 * The pid bitmaps' size in bits: PID_MAX_LIMIT, the most pids a 64-bit kernel allows, not the
 * current kernel.pid_max, which an administrator may raise while we record (a pid past the
 * bitmap would silently go unrecorded). 512 KiB per bitmap.
 */
#define PID_BITS (4u << 20)

void tt_rec_bpf_cfg_for(struct tt_rec_bpf_cfg *c, const struct tt_bpf_features *f)
{
	c->multi = f->uprobe_multi;
	c->sleepable = f->sleepable_uprobe;
}

const char *tt_rec_bpf_attach_name(const struct tt_rec_bpf_cfg *c)
{
	return c->multi ? "uprobe-multi" : "uprobe-perf";
}

static struct record_bpf *open_configured(const struct tt_rec_bpf_cfg *c, const struct tt_out *out,
					  int *err)
{
	struct record_bpf *skel = record_bpf__open();

	if (!skel) {
		*err = -errno;
		tt_err(out, "opening the BPF object failed: %s", strerror(-*err));
		return NULL;
	}
	skel->rodata->cfg_self_tgid = c->self_tgid;
	skel->rodata->cfg_filter_pids = c->filter;
	skel->rodata->cfg_strlen = c->strlen;
	skel->rodata->cfg_wakeup_bytes = c->ring_sz / 8;
	skel->rodata->cfg_sleepable = c->sleepable;
	skel->rodata->cfg_stacks = c->stacks;
	skel->rodata->cfg_kstacks = c->kstacks;
	skel->rodata->cfg_probe_fork = c->probe_fork;
	skel->rodata->cfg_probe_exec = c->probe_exec;
	skel->rodata->cfg_probe_exit = c->probe_exit;
	bpf_map__set_max_entries(skel->maps.traced, PID_BITS / 64);
	bpf_map__set_max_entries(skel->maps.traced_tids, PID_BITS / 64);
	bpf_map__set_max_entries(skel->maps.stack_pids, c->stacks ? PID_BITS / 64 : 1);
	bpf_map__set_max_entries(skel->maps.events, (__u32)c->ring_sz);
	bpf_map__set_max_entries(skel->maps.sites, c->site_cnt ? (__u32)c->site_cnt : 1);
	bpf_map__set_max_entries(skel->maps.counts, c->probe_cnt ? (__u32)c->probe_cnt : 1);
	bpf_map__set_max_entries(skel->maps.tps, c->tp_cnt ? (__u32)c->tp_cnt : 1);
	bpf_program__set_autoload(skel->progs.tp, c->tp_cnt > 0);
	bpf_program__set_autoload(skel->progs.usdt, c->site_cnt > 0);
	if (c->site_cnt && c->multi)
		bpf_program__set_expected_attach_type(skel->progs.usdt,
					      (enum bpf_attach_type)TT_BPF_TRACE_UPROBE_MULTI);
	if (c->site_cnt && c->sleepable)
		bpf_program__set_flags(skel->progs.usdt,
				       bpf_program__flags(skel->progs.usdt) | BPF_F_SLEEPABLE);
	bpf_program__set_autoload(skel->progs.sched_process_fork, c->filter);
	bpf_program__set_autoload(skel->progs.sched_process_exec, c->filter);
	bpf_program__set_autoload(skel->progs.sched_process_exit, c->filter);
	return skel;
}

struct record_bpf *tt_rec_bpf_load(struct tt_rec_bpf_cfg *c, const struct tt_out *out, int *err)
{
	struct record_bpf *skel = open_configured(c, out, err);

	if (!skel)
		return NULL;
	*err = record_bpf__load(skel);
	if (*err && c->sleepable && c->site_cnt) {
		/* Refused sleepable where the kernel said it allows it: record without. */
		record_bpf__destroy(skel);
		c->sleepable = 0;
		skel = open_configured(c, out, err);
		if (!skel)
			return NULL;
		*err = record_bpf__load(skel);
		if (!*err)
			tt_warn(out, "the kernel refused the sleepable BPF program; recording without: "
				     "strings in pages the process has not touched yet will be faults");
	}
	if (*err) {
		tt_err(out, "the kernel refused to load the BPF program: %s (run with -vv for the "
			    "verifier's log; 'tracetape check' tests the basics)", strerror(-*err));
		record_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

size_t tt_rec_bpf_costs(const struct record_bpf *skel, struct tt_prog_cost *costs, size_t max)
{
	const struct bpf_program *progs[] = {
		skel->progs.usdt, skel->progs.tp, skel->progs.sched_process_fork,
		skel->progs.sched_process_exec, skel->progs.sched_process_exit,
	};
	size_t n = 0;

	for (size_t i = 0; i < TT_ARRAY_SIZE(progs) && n < max; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(progs[i]);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		costs[n].name = bpf_program__name(progs[i]);
		costs[n].verified_insns = bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 :
									    info.verified_insns;
		n++;
	}
	return n;
}
