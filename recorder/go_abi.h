/* SPDX-License-Identifier: MIT */
/*
 * The locations of a Go function's parameters and results (amd64, Go >= 1.17 register ABI
 * "ABIInternal"), from its DWARF subprogram: names and types from DWARF, locations from the
 * register-assignment algorithm of golang/go src/cmd/compile/abi-internal.md, checked against
 * the argument frame size that the pclntab records. Part of the Go binary analysis
 * (go_binary.h), which finds the subprogram and the pclntab entry.
 */
#ifndef TT_GO_ABI_H
#define TT_GO_ABI_H

#include <stdbool.h>
#include <stdint.h>

#include <elfutils/libdw.h>

#include "go_binary.h"

/*
 * Describe fn's receiver, parameters and results from its subprogram DIE sub: fills
 * fn->params, fn->results and the sig_* fields, arg_frame_sz and pcln_args_sz. pcln_args is
 * the pclntab's argument frame size for the function, negative when unknown (then nothing is
 * checked). A signature that is not understood, or whose frame disagrees with the pclntab's,
 * is not an error: sig_ok is 0 and every value is TT_GO_UNAVAIL_SIGNATURE. Returns 0 or
 * -ENOMEM (fn then holds what was allocated, for tt_go_func__free()).
 */
int tt_go_abi_locate(struct tt_go_func *fn, Dwarf_Die *sub, int64_t pcln_args);

/* Free what p owns (not p itself). */
void tt_go_param_clear(struct tt_go_param *p);

/* A struct member's DW_AT_data_member_location as a constant: true and *off, or false. */
bool tt_go_die_member_offset(Dwarf_Die *die, uint64_t *off);

#endif /* TT_GO_ABI_H */
