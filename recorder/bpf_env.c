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

#include <bpf/libbpf.h>

#include "bpf_env.h"

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
