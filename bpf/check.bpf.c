// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The smallest end-to-end proof that BPF recording works on this machine: a tracepoint program
 * on sched:sched_process_exec that forwards the exec of one chosen process through a ring buffer.
 * `tracetape check` loads it from its skeleton, starts a child and waits for the child's exec.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "check.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

const volatile __u32 cfg_target_tgid = 0; /* the only process reported; set before load */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096 * 4);
} events SEC(".maps");

__u64 lost = 0; /* reservation failures; read by user space after the run */

SEC("tp/sched/sched_process_exec")
int tracepoint__sched__sched_process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct tt_check_exec *e;
	unsigned int off;

	if (tgid != cfg_target_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = tgid;
	e->cpu = bpf_get_smp_processor_id();
	/* __data_loc: the low 16 bits are the offset of the string from the record start. */
	off = ctx->__data_loc_filename & 0xffff;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
