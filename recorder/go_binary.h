/* SPDX-License-Identifier: MIT */
/*
 * Go binary analysis for tracing Go functions (amd64, Go >= 1.17 register ABI "ABIInternal").
 *
 * For each function the recorder needs: where the entry probe goes (after the stack-check
 * prologue, because a stack growth jumps back to the entry and would fire a probe at the symbol
 * twice), every RET instruction (exit probes: uretprobes crash Go programs, see
 * ../shared/notes/bpf-facts.md 5.5), and where each parameter lives at entry and each result at
 * RET. Functions come from .symtab, or from the pclntab (.gopclntab) of stripped binaries; RETs
 * from a linear-sweep disassembly with capstone; names and types of parameters from DWARF (libdw);
 * their locations from the ABIInternal register-assignment algorithm
 * (golang/go src/cmd/compile/abi-internal.md), checked against the argument-frame size that the
 * pclntab records for the function.
 *
 * Everything here is read-only file analysis: no process is touched, nothing is printed.
 * A struct tt_go_binary is not thread-safe (one capstone handle per binary).
 */
#ifndef TT_GO_BINARY_H
#define TT_GO_BINARY_H

#include <stddef.h>
#include <stdint.h>

#include "tt_types.h"
#include "usdt_args.h" /* enum tt_reg, enum tt_arg_loc */

struct tt_go_binary;

/* A function symbol, from .symtab or, in stripped binaries, from the pclntab. */
struct tt_go_sym {
	const char *name;   /* borrowed from the binary: valid until tt_go_binary__free() */
	uint64_t vaddr;     /* link-time address of the entry */
	uint64_t offset;    /* file offset of the entry: where an entry uprobe at the symbol goes */
	uint64_t size;      /* bytes of code (pclntab: up to the next function, padding included) */
};

/* The Go-level kind of a parameter or result. */
enum tt_go_kind {
	TT_GO_KIND_OTHER = 0, /* not decoded further (unknown DWARF shapes) */
	TT_GO_KIND_BOOL,
	TT_GO_KIND_INT,       /* int, int8..int64 (size tells which) */
	TT_GO_KIND_UINT,      /* uint, uint8..uint64 */
	TT_GO_KIND_UINTPTR,
	TT_GO_KIND_FLOAT,     /* float32, float64 */
	TT_GO_KIND_COMPLEX,   /* complex64, complex128: pieces real, imag */
	TT_GO_KIND_PTR,       /* *T, unsafe.Pointer */
	TT_GO_KIND_MAP,       /* pointer-shaped */
	TT_GO_KIND_CHAN,      /* pointer-shaped */
	TT_GO_KIND_FUNC,      /* pointer-shaped (a closure pointer) */
	TT_GO_KIND_STRING,    /* pieces (ptr, len) */
	TT_GO_KIND_SLICE,     /* pieces (ptr, len, cap) */
	TT_GO_KIND_INTERFACE, /* pieces (type or itab, data) */
	TT_GO_KIND_STRUCT,    /* pieces: its scalar fields, when there are few enough */
	TT_GO_KIND_ARRAY,
};

/* Why a piece or a value cannot be read by a BPF program at the probe. */
enum tt_go_unavail {
	TT_GO_AVAIL = 0,
	/*
	 * In an X (SSE) register. A BPF uprobe program sees the registers the kernel saved in
	 * struct pt_regs, which holds only the general-purpose registers; the vector state is not
	 * there and no BPF helper reads it. Floats passed on the stack are available.
	 */
	TT_GO_UNAVAIL_FLOAT_REG,
	/* A composite too big or too nested to describe as TT_GO_PIECES_MAX scalars (e.g. a struct
	 * with many fields, an array of more than one element). stack_off still locates a
	 * stack-assigned one. */
	TT_GO_UNAVAIL_COMPOSITE,
	/*
	 * The DWARF signature does not match the argument frame the pclntab records, so locations
	 * would be guesses. Go 1.19's DWARF omits unnamed and blank (_) parameters; generic code
	 * may pass hidden arguments. Names and types are still given.
	 */
	TT_GO_UNAVAIL_SIGNATURE,
};

/* Most scalar pieces one value is described by: a slice needs 3; a struct with more is
 * TT_GO_UNAVAIL_COMPOSITE. */
#define TT_GO_PIECES_MAX 4

/* One machine word (or less) of a value, and where a BPF program reads it. */
struct tt_go_piece {
	char *name;      /* component: "str"/"len" (string), "array"/"len"/"cap" (slice),
			    "_type"/"tab" + "data" (interface), "real"/"imag", a field path
			    ("X", "Inner.Y"); NULL for a scalar value (owned) */
	uint8_t tt_kind; /* TT_KIND_* of this word */
	uint8_t size;    /* bytes: 1, 2, 4 or 8 */
	uint8_t loc;     /* enum tt_arg_loc: TT_LOC_REG, TT_LOC_MEM (base TT_REG_RSP), 0 unavailable */
	uint8_t reg;     /* REG: enum tt_reg holding it; MEM: TT_REG_RSP */
	int32_t disp;    /* MEM: value at disp(%rsp) at the probe site */
	int8_t xreg;     /* a float in a register: X register number (0..14); else -1 */
	uint8_t unavail; /* enum tt_go_unavail, when loc == 0 */
};

/* A receiver, parameter or result. */
struct tt_go_param {
	char *name;        /* DWARF name ("~r0".. for unnamed results, ".dict" for the hidden
			      dictionary of generic code) (owned) */
	char *type_name;   /* the Go type as DWARF spells it: "int", "[]uint8", "main.Point" (owned) */
	uint8_t go_kind;   /* enum tt_go_kind */
	uint8_t tt_kind;   /* TT_KIND_* of the whole value: scalars as such, strings TT_KIND_BYTES,
			      TT_KIND_NONE for other composites */
	uint8_t is_result;
	uint8_t on_stack;  /* stack-assigned: the value is at stack_off(%rsp) at the probe site */
	int32_t stack_off; /* when on_stack; entry probe for parameters, RET for results */
	uint64_t size;     /* bytes in memory */
	uint8_t avail;     /* every piece is readable (piece_cnt > 0 or a zero-size value) */
	uint8_t unavail;   /* enum tt_go_unavail: why not, when !avail */
	uint8_t piece_cnt;
	struct tt_go_piece pieces[TT_GO_PIECES_MAX];
};

/* Where the signature came from. */
enum tt_go_sig_source {
	TT_GO_SIG_NONE = 0, /* no DWARF for the function (built with -ldflags=-w, assembly):
			       names and types are unknown, so no parameters are given */
	TT_GO_SIG_DWARF,
};

struct tt_go_func {
	char *name;               /* (owned) */
	uint64_t entry_vaddr;
	uint64_t entry_offset;
	uint64_t size;
	/* Entry probe site: right after the prologue's `jbe` to the morestack tail; the entry
	 * itself for functions without a stack check (NOSPLIT, small leaves). */
	uint64_t probe_vaddr;
	uint64_t probe_offset;
	/* The prologue's `jbe` itself, when has_prologue: the kernel emulates a conditional jump
	 * instead of single-stepping it out of line, so a probe there costs several times less
	 * than one after it. It runs again when the stack grows; the flags tell the two runs apart
	 * (CF or ZF set: the branch to morestack is taken and the function will start over). */
	uint64_t jbe_vaddr;
	uint64_t jbe_offset;
	uint8_t has_prologue;
	uint8_t no_ret;           /* no RET at all: tail jumps, noreturn functions (exit probes
				     cannot fire; the caller must close such entries otherwise) */
	size_t ret_cnt;
	uint64_t *ret_vaddrs;     /* every RET, in address order (owned) */
	uint64_t *ret_offsets;    /* their file offsets (owned) */
	uint32_t undecodable_cnt; /* bytes the disassembler skipped: 0 in any sane Go binary */
	/* The signature, when sig_source is TT_GO_SIG_DWARF: */
	uint8_t sig_source;       /* enum tt_go_sig_source */
	uint8_t sig_checked;      /* the pclntab's argument size was available to check against */
	uint8_t sig_ok;           /* every type was understood and the computed frame matched the
				     pclntab's (or no check was possible); when 0, every value is
				     TT_GO_UNAVAIL_SIGNATURE */
	uint32_t arg_frame_sz;    /* argument frame computed from the signature (bytes) */
	int32_t pcln_args_sz;     /* the pclntab's, or -1 when unknown */
	size_t param_cnt;         /* receiver first, then parameters, in order */
	struct tt_go_param *params;  /* (owned) */
	size_t result_cnt;
	struct tt_go_param *results; /* (owned) */
};

/*
 * Open the ELF file at path and index its Go functions. Returns the binary (free with
 * tt_go_binary__free()), or NULL with errno set: TT_E_NOT_ELF, TT_E_NOT_GO (an ELF file with no
 * Go metadata), TT_E_BAD_ELF (inconsistent ELF or pclntab), ENOTSUP (not x86-64, or a stripped
 * binary whose pclntab is of a version older than Go 1.18 or unknown), or an I/O errno. errbuf
 * (may be NULL) receives a one-line reason for a failure.
 */
struct tt_go_binary *tt_go_binary__open(const char *path, char *errbuf, size_t errbuf_sz);
/* Close and free bin; every name borrowed from it dies with it. Accepts NULL. */
void tt_go_binary__free(struct tt_go_binary *bin);

/* The Go version that built the binary ("go1.19.8"), from .go.buildinfo or the
 * runtime.buildVersion symbol; NULL when neither is readable. Borrowed. */
const char *tt_go_binary__version(const struct tt_go_binary *bin);

/* True when the function list comes from the pclntab because .symtab is absent (-ldflags=-s). */
int tt_go_binary__is_stripped(const struct tt_go_binary *bin);
/* True when the binary has DWARF (parameter names and types can be known). */
int tt_go_binary__has_dwarf(const struct tt_go_binary *bin);

enum tt_go_goid_source {
	TT_GO_GOID_DWARF = 1, /* runtime.g's member goid */
	TT_GO_GOID_TABLE,     /* the table of known offsets, by Go version */
};

/*
 * The offset of the goroutine id in runtime.g (amd64): the BPF side reads *(u64 *)(r14 + off).
 * From DWARF when present; else by version: 152 for Go 1.13-1.22, 160 for 1.23-1.24, 152 from
 * 1.25 on. Returns 0 and sets *off_bytes (and *source when not NULL), or -ENOENT when there is
 * no DWARF and the version is unknown or older than 1.13.
 */
int tt_go_binary__goid_offset(const struct tt_go_binary *bin, uint32_t *off_bytes,
			      enum tt_go_goid_source *source);

typedef int (*tt_go_sym_cb)(const struct tt_go_sym *sym, void *ctx);

/*
 * Call cb for each function whose name matches glob (fnmatch-style '*', '?', '[...]'; NULL
 * matches all), in address order, skipping any whose entry is not backed by the file. A nonzero
 * return from cb stops the walk and is returned; else returns 0. sym is valid only during the
 * call (its name until tt_go_binary__free()).
 */
int tt_go_binary__for_each_func(const struct tt_go_binary *bin, const char *glob, tt_go_sym_cb cb,
				void *ctx);

/*
 * Analyse the function named name: probe sites and parameter locations. Returns 0 and sets
 * *func (free with tt_go_func__free()), or -ENOENT (no such function), -TT_E_INLINED (DWARF knows
 * the function only as inlined into its callers: there is no code to probe; rebuild with
 * -gcflags=all=-l), -TT_E_BAD_ELF (its code lies outside the file), -ENOMEM.
 * A function whose signature is unknown or unreliable is not an error: see sig_source, sig_ok
 * and each parameter's avail.
 */
int tt_go_binary__func_info(struct tt_go_binary *bin, const char *name, struct tt_go_func **func);
/*
 * The same for the function whose entry is at vaddr (-ENOENT when none is). Callers walking
 * tt_go_binary__for_each_func() should use this: names are not unique everywhere (the pclntab
 * of a stripped Go 1.19 binary names every instantiation of a generic function
 * "pkg.F[...]"); by name, the lowest address wins.
 */
int tt_go_binary__func_info_at(struct tt_go_binary *bin, uint64_t vaddr, struct tt_go_func **func);
/* Free func and everything it owns. Accepts NULL. */
void tt_go_func__free(struct tt_go_func *func);

/*
 * How many functions matching glob (NULL matches all) DWARF knows only as inlined into their
 * callers, with no code of their own to probe (what a glob silently misses on an optimized
 * build); *example is one of them (borrowed), or NULL when there is none.
 */
size_t tt_go_binary__inlined_only(const struct tt_go_binary *bin, const char *glob,
				  const char **example);

/*
 * The name of the function whose code contains link-time address pc (borrowed, valid until
 * tt_go_binary__free()), or NULL. Used to name the code a goroutine starts at or was created
 * from.
 */
const char *tt_go_binary__func_name_at(const struct tt_go_binary *bin, uint64_t pc);

/* Names for diagnostics and listings: "string", "slice", ...; "float register", ... */
const char *tt_go_kind_str(enum tt_go_kind kind);
const char *tt_go_unavail_str(enum tt_go_unavail why);

#endif /* TT_GO_BINARY_H */
