/* SPDX-License-Identifier: MIT */
/* Privilege, BTF and tracefs checks, and libbpf's output routing (see bpf_env.h). */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <stddef.h>
#include <sys/utsname.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "bpf_env.h"
#include "tt_error.h"
#include "tt_util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#define TRACEFS_MAGIC_NR 0x74726163

static int has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return !!(data[cap / 32].effective & (1U << (cap % 32)));
}

int tt_bpf_check_privileges(const struct tt_out *out)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0) {
		int err = -errno;

		tt_err(out, "cannot read this process's capabilities: %s", strerror(-err));
		return err;
	}
	if (has_cap(data, CAP_SYS_ADMIN) || (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON)))
		return 0;
	tt_err(out, "recording needs root, or CAP_BPF and CAP_PERFMON (missing:%s%s); "
		    "run it with sudo or grant them with setcap cap_bpf,cap_perfmon+ep",
	       has_cap(data, CAP_BPF) ? "" : " CAP_BPF",
	       has_cap(data, CAP_PERFMON) ? "" : " CAP_PERFMON");
	return -EPERM;
}

int tt_bpf_check_btf(const struct tt_out *out)
{
	if (access(TT_BTF_PATH, R_OK) == 0)
		return 0;
	tt_err(out, "kernel BTF is missing (%s): this kernel was built without "
		    "CONFIG_DEBUG_INFO_BTF, which tracetape needs", TT_BTF_PATH);
	return -ENOENT;
}

int tt_tracefs_ensure(const struct tt_out *out, int *mounted_now)
{
	struct statfs st;
	int err;

	*mounted_now = 0;
	if (statfs(TT_TRACEFS_PATH, &st) == 0 && st.f_type == TRACEFS_MAGIC_NR)
		return 0;
	if (mount("tracefs", TT_TRACEFS_PATH, "tracefs", 0, NULL) != 0) {
		err = -errno;
		tt_err(out, "tracefs is not mounted at %s and mounting it failed: %s; "
			    "mount it with: mount -t tracefs tracefs %s",
		       TT_TRACEFS_PATH, strerror(-err), TT_TRACEFS_PATH);
		return err;
	}
	*mounted_now = 1;
	return 0;
}

static const struct tt_out *libbpf_out;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum tt_level lvl = level == LIBBPF_WARN ? TT_LVL_INFO : TT_LVL_DEBUG;
	char *msg = NULL, *line, *save = NULL;

	if (!libbpf_out || (int)lvl > libbpf_out->verbosity)
		return 0;
	/* Messages can be whole verifier logs: print them line by line, however long. */
	if (vasprintf(&msg, fmt, ap) < 0)
		return 0;
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		tt_log(libbpf_out, lvl, "%s", line);
	free(msg);
	return 0;
}

void tt_libbpf_route_output(const struct tt_out *out)
{
	libbpf_out = out;
	libbpf_set_print(libbpf_print);
}

/* ---- kernel features ---- */

/* A program that returns 0, to load where only the load itself is the question. */
static int load_trivial(enum bpf_prog_type type, enum bpf_attach_type expected, __u32 flags,
			int call_copy_from_user)
{
	/* r1 = fp - 8; r2 = 1; r3 = 0; call bpf_copy_from_user; r0 = 0; exit */
	const struct bpf_insn copy[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_10},
		{.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_1, .imm = -8},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 1},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = 0},
		{.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_copy_from_user},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	const struct bpf_insn *insns = copy;
	size_t cnt = TT_ARRAY_SIZE(copy);
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = expected, .prog_flags = flags);

	if (!call_copy_from_user) {
		insns += 5;
		cnt -= 5;
	}
	return bpf_prog_load(type, NULL, "GPL", insns, cnt, &o);
}

/*
 * uprobe-multi links: a link on "/" (a directory) is refused with EBADF by a kernel that has
 * them, after it accepted the attach type; a kernel without them refuses the attach type (EINVAL).
 */
static int probe_uprobe_multi(void)
{
	uint64_t off = 0, cookie = 0;
	int prog, link, err;

	prog = load_trivial(BPF_PROG_TYPE_KPROBE, (enum bpf_attach_type)TT_BPF_TRACE_UPROBE_MULTI, 0, 0);
	if (prog < 0)
		return 0;
	link = tt_attach_uprobe_multi(prog, "/", &off, NULL, &cookie, 1, 0);
	err = link;
	if (link >= 0)
		close(link);
	close(prog);
	return err == -EBADF;
}

void tt_bpf_features_probe(struct tt_bpf_features *f)
{
	int fd;

	memset(f, 0, sizeof(*f));
	f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	f->attach_cookie = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie,
						   NULL) == 1;
	f->bpf_loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop, NULL) == 1;
	fd = load_trivial(BPF_PROG_TYPE_KPROBE, 0, BPF_F_SLEEPABLE, 1);
	f->sleepable_uprobe = fd >= 0;
	if (fd >= 0)
		close(fd);
	f->uprobe_multi = (uint8_t)probe_uprobe_multi();
}

int tt_bpf_features_require(const struct tt_bpf_features *f, const struct tt_out *out)
{
	static const struct {
		size_t off;
		const char *what, *since;
	} need[] = {
		{offsetof(struct tt_bpf_features, ringbuf), "the BPF ring buffer", "5.8"},
		{offsetof(struct tt_bpf_features, attach_cookie), "BPF cookies on uprobes", "5.15"},
		{offsetof(struct tt_bpf_features, bpf_loop), "bpf_loop()", "5.17"},
	};
	struct utsname uts;

	for (size_t i = 0; i < TT_ARRAY_SIZE(need); i++) {
		if (((const uint8_t *)f)[need[i].off])
			continue;
		uname(&uts);
		tt_err(out, "this kernel (%s) lacks %s, which Linux has since %s: tracetape records on "
			    "Linux 6.1 and newer", uts.release, need[i].what, need[i].since);
		return -TT_E_KERNEL;
	}
	return 0;
}
