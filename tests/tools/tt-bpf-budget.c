/* SPDX-License-Identifier: MIT */
/*
 * tt-bpf-budget: load the recorder's BPF programs in every configuration this kernel allows and
 * print how many instructions the verifier processed for each, against the project's budget
 * (TT_VERIFIER_BUDGET, a quarter of the kernel's limit). The verifier cannot see what the
 * `sites` and `tps` maps will hold, so each program is verified for every argument kind, every
 * argument count, strings, Go sites and tracepoints with dynamic fields at once; what changes
 * its cost is the load-time configuration: the pid filter, the attach path, the sleepable mode,
 * the string limit (the largest is used) and record --stack's path (loaded with the pid filter).
 *
 *   tt-bpf-budget [--json]     exit 0 when every program loads within budget, 1 otherwise
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf_env.h"
#include "rec_bpf.h"
#include "record.h"
#include "record.skel.h"
#include "tt_out.h"
#include "tt_util.h"

int main(int argc, char **argv)
{
	struct tt_out out = {.out = stdout, .err = stderr, .verbosity = TT_LVL_NOTICE,
			     .prog = "tt-bpf-budget"};
	int json = argc > 1 && !strcmp(argv[1], "--json"), failed = 0, first = 1;
	struct tt_bpf_features f;
	struct utsname uts;

	if (tt_bpf_check_privileges(&out) || tt_bpf_check_btf(&out))
		return 1;
	tt_libbpf_route_output(&out);
	tt_bpf_features_probe(&f);
	uname(&uts);
	if (tt_bpf_features_require(&f, &out))
		return 1;
	if (json)
		printf("{\"kernel\": \"%s\", \"budget\": %u, \"limit\": %u, \"loads\": [", uts.release,
		       TT_VERIFIER_BUDGET, TT_VERIFIER_LIMIT);
	else
		printf("kernel %s: budget %u of the verifier's %u processed instructions\n",
		       uts.release, TT_VERIFIER_BUDGET, TT_VERIFIER_LIMIT);
	for (int multi = 0; multi <= f.uprobe_multi; multi++) {
		for (int sleepable = 0; sleepable <= f.sleepable_uprobe; sleepable++) {
			/* --stack adds its path to `usdt`: loaded with the pid filter (the costlier). */
			for (int filter = 0, stacks = 0; filter <= 1; stacks = filter && !stacks,
							  filter += !stacks) {
				struct tt_rec_bpf_cfg c = {
					.self_tgid = (uint32_t)getpid(), .filter = (uint8_t)filter,
					.multi = (uint8_t)multi, .sleepable = (uint8_t)sleepable,
					.stacks = (uint8_t)stacks, .kstacks = (uint8_t)stacks, .strlen = TT_STRLEN_MAX, .ring_sz = 1 << 20, .site_cnt = 64,
					.probe_cnt = 64, .tp_cnt = 8,
					.probe_fork = 61, .probe_exec = 62, .probe_exit = 63,
				};
				struct tt_prog_cost costs[8];
				struct record_bpf *skel;
				char cfg[96];
				size_t n;
				int err;

				snprintf(cfg, sizeof(cfg), "%s %s %s%s", tt_rec_bpf_attach_name(&c),
					 sleepable ? "sleepable" : "nofault",
					 filter ? "pid-filter" : "system-wide", stacks ? " stacks" : "");
				skel = tt_rec_bpf_load(&c, &out, &err);
				if (!skel || c.sleepable != sleepable) {
					printf(json ? "%s{\"config\": \"%s\", \"error\": \"refused\"}" :
						      "%s%-44s REFUSED\n", json ? (first ? "" : ", ") : "",
					       cfg);
					first = 0;
					failed = 1;
					record_bpf__destroy(skel);
					continue;
				}
				n = tt_rec_bpf_costs(skel, costs, TT_ARRAY_SIZE(costs));
				for (size_t i = 0; i < n; i++) {
					uint32_t insns = costs[i].verified_insns;
					int over = !insns || insns > TT_VERIFIER_BUDGET;

					if (json)
						printf("%s{\"config\": \"%s\", \"program\": \"%s\", "
						       "\"insns\": %u}", first ? "" : ", ", cfg,
						       costs[i].name, insns);
					else
						printf("%-44s %-20s %8u  %5.1f%% of the limit%s\n", cfg,
						       costs[i].name, insns,
						       100.0 * insns / TT_VERIFIER_LIMIT,
						       over ? (insns ? "  OVER BUDGET" :
								       "  (count unknown)") : "");
					first = 0;
					failed |= over;
				}
				record_bpf__destroy(skel);
			}
		}
	}
	if (json)
		printf("]}\n");
	return failed;
}
