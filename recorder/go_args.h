/* SPDX-License-Identifier: MIT */
/*
 * What a Go function probe records: its parameters (entry) or results (return), as located by
 * the Go binary analysis (go_binary.h), turned into the probe's argument kinds and column names
 * and the BPF argument specs of its sites (bpf/record.h). A string is one argument (its bytes,
 * ptr and len); a slice, an interface or a small struct is one argument per word ("b_ptr",
 * "b_len", "b_cap"); a function value or a pc is recorded as the name of the function it points
 * into (the probe's sym_mask), so that goroutine creation reads "main.f.func1 created by main.f".
 * Values in SSE registers cannot be read from BPF (pt_regs holds no vector registers) and are
 * left out with a message, as are words beyond TT_MAX_ARGS.
 */
#ifndef TT_GO_ARGS_H
#define TT_GO_ARGS_H

#include <linux/types.h> /* the __u8.. of record.h */
#include <stddef.h>

#include "go_binary.h"
#include "probe_set.h"
#include "record.h"
#include "tt_out.h"

/*
 * Append the cnt values of params (of the function named fn) to probe p and its site spec site,
 * from argument site->argc on: p's kinds, column names (owned by p, NULL where none can be made
 * or memory ran out), str_mask and sym_mask, site's args; then set p->d.argc to site->argc.
 * Values that cannot be recorded are reported on out (info), and the words past TT_MAX_ARGS
 * (warning).
 */
void tt_go_args_build(const struct tt_out *out, const char *fn, const struct tt_go_param *params,
		      size_t cnt, struct tt_probe_set_probe *p, struct tt_bpf_site *site);

#endif /* TT_GO_ARGS_H */
