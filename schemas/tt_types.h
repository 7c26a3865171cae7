/* SPDX-License-Identifier: MIT */
/*
 * Codes shared by every part of tracetape and stored on disk: in the SDK's ELF note, in tapes and
 * in the SQLite schema. Values are a contract: never renumber, only add.
 *
 * Usable from C, C++ and BPF C (no includes, no types beyond the preprocessor).
 */
#ifndef TT_TYPES_H
#define TT_TYPES_H

/* Most arguments a probe carries: the stapsdt limit, which bpftrace and libbpf share. */
#define TT_MAX_ARGS 12

/*
 * An argument's kind is one byte: its class in the high nibble and its size in bytes (1, 2, 4 or
 * 8; 0 for variable-size classes) in the low nibble. The SDK's tracetape note, the tape's probe
 * table and per-block probe descriptions all use this byte.
 */
#define TT_KIND(cls, size) ((unsigned char)(((cls) << 4) | (size)))
#define TT_KIND_CLASS(k) ((unsigned)(k) >> 4)
#define TT_KIND_SIZE(k) ((unsigned)(k) & 0xf)

#define TT_CLASS_UNKNOWN 0 /* nothing known beyond the stapsdt size and sign: read as integer */
#define TT_CLASS_UINT 1    /* unsigned integer (and bool, enum with unsigned base) */
#define TT_CLASS_SINT 2    /* signed integer */
#define TT_CLASS_FLOAT 3   /* IEEE 754 binary32 (size 4) or binary64 (size 8), kept as bits */
#define TT_CLASS_PTR 4     /* an address, shown in hex */
#define TT_CLASS_STR 5     /* char *: the NUL-terminated string it points to is recorded */
#define TT_CLASS_BYTES 6   /* a byte string of explicit length (tracepoint raw data, Go strings) */
#define TT_CLASS_CXXNAME 7 /* a NUL-terminated string that is a C++ mangled name (a type, as
			      std::type_info::name() gives it, or a symbol): recorded as a string,
			      shown demangled */

/* Is an argument of kind k recorded as bytes (a string, a counted string, a mangled name)? */
#define TT_KIND_IS_STR(k)                                                                     \
	(TT_KIND_CLASS(k) == TT_CLASS_STR || TT_KIND_CLASS(k) == TT_CLASS_BYTES ||           \
	 TT_KIND_CLASS(k) == TT_CLASS_CXXNAME)

#define TT_KIND_NONE TT_KIND(TT_CLASS_UNKNOWN, 0)
#define TT_KIND_U8 TT_KIND(TT_CLASS_UINT, 1)
#define TT_KIND_U16 TT_KIND(TT_CLASS_UINT, 2)
#define TT_KIND_U32 TT_KIND(TT_CLASS_UINT, 4)
#define TT_KIND_U64 TT_KIND(TT_CLASS_UINT, 8)
#define TT_KIND_S8 TT_KIND(TT_CLASS_SINT, 1)
#define TT_KIND_S16 TT_KIND(TT_CLASS_SINT, 2)
#define TT_KIND_S32 TT_KIND(TT_CLASS_SINT, 4)
#define TT_KIND_S64 TT_KIND(TT_CLASS_SINT, 8)
#define TT_KIND_F32 TT_KIND(TT_CLASS_FLOAT, 4)
#define TT_KIND_F64 TT_KIND(TT_CLASS_FLOAT, 8)
#define TT_KIND_PTR TT_KIND(TT_CLASS_PTR, 8)
#define TT_KIND_STR TT_KIND(TT_CLASS_STR, 8)
#define TT_KIND_BYTES TT_KIND(TT_CLASS_BYTES, 0)
#define TT_KIND_CXXNAME TT_KIND(TT_CLASS_CXXNAME, 8)

/* What a probe is attached to. */
#define TT_PROBE_USDT 1       /* a stapsdt note: provider, name, argument specs */
#define TT_PROBE_UPROBE 2     /* entry of a native function symbol */
#define TT_PROBE_GO_ENTRY 3   /* entry of a Go function, after its stack-check prologue */
#define TT_PROBE_GO_RETURN 4  /* a RET instruction of a Go function */
#define TT_PROBE_TRACEPOINT 5 /* a kernel tracepoint; one BYTES argument holds its raw record */
#define TT_PROBE_BUILTIN 6    /* tracetape's own events (provider "tracetape"): process fork, exec, exit */

/* Flags of a recorded string or byte-string argument. */
#define TT_STR_TRUNCATED 0x1 /* longer than the capture's string limit; the prefix is kept */
#define TT_STR_FAULT 0x2     /* could not be read (NULL or unmapped pointer); empty */

#endif /* TT_TYPES_H */
