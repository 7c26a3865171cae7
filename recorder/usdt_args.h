/* SPDX-License-Identifier: MIT */
/*
 * USDT argument specs: the stapsdt note's argument string ("-4@%edi 8@-8(%rbp) 8f@%rax"), one
 * token per argument, "[-]SIZE[f]@OPERAND" with an x86-64 AT&T operand, decoded into where each
 * value is at the probe site; and the column names that the argument expressions of a
 * tracetape note stand for.
 *
 * Our own parser because libbpf's rejects specs real binaries contain (floats, base+index,
 * symbol-relative operands, %fs: thread-local operands; see DESIGN.md, platform facts). It
 * accepts every operand form found in real binaries and names the bad token of any other.
 * Symbols are only named here; usdt_notes.c resolves them against the ELF file.
 */
#ifndef TT_USDT_ARGS_H
#define TT_USDT_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "tt_types.h"

/* x86-64 general-purpose registers, plus rip. */
enum tt_reg {
	TT_REG_NONE = 0,
	TT_REG_RAX, TT_REG_RBX, TT_REG_RCX, TT_REG_RDX, TT_REG_RSI, TT_REG_RDI, TT_REG_RBP,
	TT_REG_RSP, TT_REG_R8, TT_REG_R9, TT_REG_R10, TT_REG_R11, TT_REG_R12, TT_REG_R13,
	TT_REG_R14, TT_REG_R15, TT_REG_RIP,
	TT_REG_CNT,
};

/* Where an argument's value is at the probe site. */
enum tt_arg_loc {
	TT_LOC_CONST = 1, /* $imm: value = imm */
	TT_LOC_REG,       /* %reg: value = reg */
	TT_LOC_MEM,       /* disp(%base,%index,scale): value = *(base + index*scale + disp) */
	TT_LOC_RIP_SYM,   /* sym+off(%rip): value = *(runtime address of sym + off) */
	TT_LOC_SYM_ADDR,  /* $sym+off: value = runtime address of sym + off (non-PIC code) */
};

struct tt_usdt_arg {
	uint8_t size;      /* bytes: 1, 2, 4 or 8 */
	uint8_t is_signed; /* '-' before the size */
	uint8_t is_float;  /* 'f' after the size (systemtap >= 4.8) */
	uint8_t loc;       /* enum tt_arg_loc */
	uint8_t base;      /* enum tt_reg: the register (REG) or base (MEM); NONE when absent */
	uint8_t index;     /* enum tt_reg: index register of MEM, or NONE */
	uint8_t scale;     /* 1, 2, 4 or 8 for MEM with an index, else 1 */
	uint8_t reg_shift; /* REG: bit position of the value in the register: 8 for %ah/%bh/%ch/%dh */
	uint8_t fs;        /* MEM: %fs: segment, the address is from the thread pointer (TLS) */
	uint8_t tpoff;     /* MEM with sym: sym@tpoff, the symbol's offset from the thread pointer
			      (a thread-local variable of the executable), not its address */
	int64_t value;     /* CONST: the immediate; MEM and RIP_SYM: the displacement/offset */
	char *sym;         /* RIP_SYM, or MEM with a symbolic displacement (sym(%rax)): the
			      symbol name (owned), else NULL */
	uint64_t sym_vaddr;/* with sym: link-time address of sym + value; 0 if sym is not in the
			      file (or names several local symbols). With tpoff: the thread-pointer
			      offset of sym + value instead, as an int64_t (negative), found
			      through PT_TLS; sym_found says whether it was */
	uint8_t sym_found; /* sym was found (needed where 0 is a valid result) */
};

/*
 * Parse a stapsdt argument string ("-4@%edi 8@-8(%rbp) 8f@%rax"). Returns 0 and fills args and
 * *argc, or -TT_E_BAD_SPEC with a message naming the bad token in errbuf. RIP_SYM symbols are
 * left unresolved (sym_vaddr 0); caller frees args[i].sym with tt_usdt_args_free().
 */
int tt_usdt_parse_args(const char *str, struct tt_usdt_arg args[TT_MAX_ARGS], uint8_t *argc,
		       char *errbuf, size_t errbuf_sz);
/* Free the symbol names of args[0, argc) and clear them; accepts NULL. */
void tt_usdt_args_free(struct tt_usdt_arg *args, uint8_t argc);

/*
 * The kind a bare stapsdt spec implies: a signed size is a signed integer, 'f' a float, and an
 * unsigned size TT_CLASS_UNKNOWN with that size (an unsigned integer or a pointer).
 */
uint8_t tt_usdt_arg_kind(const struct tt_usdt_arg *arg);

/*
 * The column name an argument expression from a tracetape note stands for: the expression
 * itself when it is an identifier, the last identifier of a member access ("req->hdr.id" ->
 * "id"), NULL otherwise (the caller names it argN). Returns a malloc'd string or NULL.
 */
char *tt_usdt_column_name(const char *expr);

/* The name of a register ("rax", ..., "rip"), or "?" for a value outside enum tt_reg. */
const char *tt_reg_name(unsigned reg);

#endif /* TT_USDT_ARGS_H */
