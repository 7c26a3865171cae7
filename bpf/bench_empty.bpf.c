// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The reference point of the recorder's benchmark: a program that does nothing, attached the
 * way the recorder attaches (uprobe-multi at a USDT site), so that the cost of a probe hit can
 * be split into what the kernel charges for any uprobe and what recording adds.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("uprobe")
int empty(void *ctx)
{
	return 0;
}
