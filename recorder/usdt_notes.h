/* SPDX-License-Identifier: MIT */
/*
 * USDT discovery: parse the stapsdt notes (and tracetape's own type notes) of an ELF file into
 * probe sites ready to attach, with every argument spec decoded.
 *
 * Our own parser because libbpf's rejects specs real binaries contain (floats, base+index,
 * symbol-relative operands; see ../shared/DESIGN.md, platform facts). Addresses are converted to
 * file offsets through the PT_LOAD segment that contains them (the semaphore's segment is not
 * the text segment), after the .stapsdt.base adjustment for prelinked files.
 */
#ifndef TT_USDT_NOTES_H
#define TT_USDT_NOTES_H

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

struct tt_usdt_site {
	char *provider;              /* owned */
	char *name;                  /* owned */
	char *args_str;              /* the note's argument string, verbatim (owned) */
	uint64_t pc_vaddr;           /* link-time address of the probe instruction */
	uint64_t pc_offset;          /* its file offset: where the uprobe goes */
	uint64_t sema_vaddr;         /* semaphore address, 0 without one */
	uint64_t sema_offset;        /* its file offset (through its own segment), 0 without one */
	uint8_t argc;
	struct tt_usdt_arg args[TT_MAX_ARGS];
	int spec_err;                /* 0; -TT_E_BAD_SPEC: args_str could not be parsed;
					-TT_E_BAD_ELF: pc or semaphore outside the loadable
					segments. Such a site cannot be attached. */
	char *spec_msg;              /* why, when spec_err (owned) */
	uint8_t has_types;           /* a tracetape note describes this site */
	uint8_t kinds[TT_MAX_ARGS];  /* TT_KIND_*: from the tracetape note, else from the spec */
	char *arg_names[TT_MAX_ARGS];/* column names from the tracetape note (tt_usdt_column_name(),
					unique within the site); NULL: unknown, call it argN (owned) */
};

struct tt_usdt_file {
	char *path;          /* as given (owned) */
	char *build_id;      /* hex, or NULL (owned) */
	uint16_t e_type;     /* ET_EXEC, ET_DYN */
	size_t site_cnt;
	struct tt_usdt_site *sites; /* in note order */
};

/*
 * Parse the notes of the ELF file at path. Returns 0 and sets *file (free with
 * tt_usdt_file__free()), or a negative error: -TT_E_NOT_ELF, -TT_E_BAD_ELF, -errno for I/O.
 * A file without notes is not an error here: it yields site_cnt == 0. A site whose argument
 * string cannot be parsed is kept with spec_err set, so that callers can report it and still
 * use the other sites. errbuf (may be NULL) receives a description of a returned error.
 */
int tt_usdt_file__open(const char *path, struct tt_usdt_file **file, char *errbuf, size_t errbuf_sz);
/*
 * The same for an ELF image in memory (borrowed for the duration of the call); path names it in
 * the result. Used by tests and by callers that already hold the file.
 */
int tt_usdt_file__open_mem(const void *image, size_t image_sz, const char *path,
			   struct tt_usdt_file **file, char *errbuf, size_t errbuf_sz);
/* Frees file and everything it owns; accepts NULL. */
void tt_usdt_file__free(struct tt_usdt_file *file);

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

#endif /* TT_USDT_NOTES_H */
