/* SPDX-License-Identifier: MIT */
/*
 * bench/bpf_empty BINARY PROVIDER:NAME -- COMMAND...: attach bpf/bench_empty.bpf.c to every
 * site of one USDT probe of BINARY the way the recorder does (one uprobe-multi link, semaphores
 * counted), run COMMAND, detach. The benchmark compares a probe hit's cost under it with the
 * cost under `tracetape record`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "attach.h"
#include "bench_empty.skel.h"
#include "usdt_notes.h"

int main(int argc, char **argv)
{
	struct tt_usdt_file *file = NULL;
	struct bench_empty_bpf *skel = NULL;
	uint64_t *offs = NULL, *refs = NULL, *cookies = NULL;
	char provider[128], *name, msg[256];
	size_t n = 0;
	int link = -1, status = 1, err;
	pid_t pid;

	if (argc < 5 || strcmp(argv[3], "--")) {
		fprintf(stderr, "usage: bpf_empty BINARY PROVIDER:NAME -- COMMAND...\n");
		return 2;
	}
	snprintf(provider, sizeof(provider), "%s", argv[2]);
	name = strchr(provider, ':');
	if (!name)
		return 2;
	*name++ = '\0';
	err = tt_usdt_file__open(argv[1], &file, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "bpf_empty: %s: %s\n", argv[1], msg);
		return 1;
	}
	offs = calloc(file->site_cnt + 1, sizeof(*offs));
	refs = calloc(file->site_cnt + 1, sizeof(*refs));
	cookies = calloc(file->site_cnt + 1, sizeof(*cookies));
	if (!offs || !refs || !cookies)
		goto cleanup;
	for (size_t i = 0; i < file->site_cnt; i++) {
		if (strcmp(file->sites[i].provider, provider) || strcmp(file->sites[i].name, name))
			continue;
		offs[n] = file->sites[i].pc_offset;
		refs[n] = file->sites[i].sema_offset;
		n++;
	}
	if (!n) {
		fprintf(stderr, "bpf_empty: no site of %s:%s in %s\n", provider, name, argv[1]);
		goto cleanup;
	}
	skel = bench_empty_bpf__open();
	if (!skel)
		goto cleanup;
	bpf_program__set_expected_attach_type(skel->progs.empty,
					      (enum bpf_attach_type)TT_BPF_TRACE_UPROBE_MULTI);
	if (bench_empty_bpf__load(skel))
		goto cleanup;
	link = tt_attach_uprobe_multi(bpf_program__fd(skel->progs.empty), argv[1], offs, refs,
				      cookies, (uint32_t)n, 0);
	if (link < 0) {
		fprintf(stderr, "bpf_empty: attach: %s\n", strerror(-link));
		goto cleanup;
	}
	pid = fork();
	if (pid == 0) {
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
cleanup:
	if (link >= 0)
		close(link);
	bench_empty_bpf__destroy(skel);
	tt_usdt_file__free(file);
	free(offs);
	free(refs);
	free(cookies);
	return status;
}
