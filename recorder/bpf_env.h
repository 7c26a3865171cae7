/* SPDX-License-Identifier: MIT */
/*
 * What BPF recording needs from the machine, checked before anything is loaded so that failures
 * say what to do: privileges, kernel BTF, a mounted tracefs; and libbpf's messages routed through
 * the caller's output object.
 */
#ifndef TT_BPF_ENV_H
#define TT_BPF_ENV_H

#include <stdint.h>

#include "tt_out.h"

#define TT_BTF_PATH "/sys/kernel/btf/vmlinux"
#define TT_TRACEFS_PATH "/sys/kernel/tracing"

/*
 * Check that this process may load BPF programs and attach uprobes and tracepoints: root, or
 * CAP_BPF with CAP_PERFMON (or CAP_SYS_ADMIN). Returns 0, or -EPERM after printing what is missing.
 */
int tt_bpf_check_privileges(const struct tt_out *out);

/* Check that kernel BTF exists. Returns 0, or -ENOENT after printing an explanation. */
int tt_bpf_check_btf(const struct tt_out *out);

/*
 * Make sure tracefs is mounted at TT_TRACEFS_PATH, mounting it if it is not. *mounted_now is set
 * to 1 when this call mounted it. Returns 0 or a negative errno after printing the reason.
 */
int tt_tracefs_ensure(const struct tt_out *out, int *mounted_now);

/*
 * What the running kernel offers the recorder, found by trying it (never by version number):
 * each field is 1 when the feature works here. The kernel release where upstream Linux gained
 * it is in the comment; patched kernels may differ, which is why it is probed.
 */
struct tt_bpf_features {
	uint8_t ringbuf;          /* BPF ring buffer (5.8) */
	uint8_t attach_cookie;    /* bpf_get_attach_cookie() for uprobes (5.15) */
	uint8_t bpf_loop;         /* bpf_loop() (5.17) */
	uint8_t sleepable_uprobe; /* uprobe programs loaded BPF_F_SLEEPABLE, bpf_copy_from_user() */
	uint8_t uprobe_multi;     /* uprobe-multi links (6.6); without: one perf event per site */
};

/* Probe the running kernel (needs the privileges of tt_bpf_check_privileges()). */
void tt_bpf_features_probe(struct tt_bpf_features *f);

/*
 * Check that f has what recording needs (ring buffer, attach cookies, bpf_loop()). Returns 0,
 * or -TT_E_KERNEL after printing which feature is missing, since which Linux release upstream
 * has it, and the release running here.
 */
int tt_bpf_features_require(const struct tt_bpf_features *f, const struct tt_out *out);

/*
 * Send libbpf's warnings to out (and its debug messages when out->verbosity >= TT_LVL_DEBUG).
 * out must outlive every later libbpf call; pass NULL to silence libbpf.
 */
void tt_libbpf_route_output(const struct tt_out *out);

#endif /* TT_BPF_ENV_H */
