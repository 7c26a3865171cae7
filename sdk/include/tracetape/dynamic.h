/* SPDX-License-Identifier: MIT */
/*
 * tracetape/dynamic.h -- the wire format of dynamic probes: probes whose names and argument
 * kinds are chosen at run time, by code in a language that cannot put a note into an ELF file
 * (PHP: sdk/php/). The full contract, with the reasons, is schemas/DYNAMIC_PROBES.md; this
 * header holds its numbers, for the binding that fires such probes and for tracetape's
 * recorder that decodes them. Usable from C and C++; no dependency.
 *
 * Overview
 * ========
 * A binding carries three ordinary USDT probes, the *carriers*, built with <tracetape/probe.h>:
 *
 *     PROVIDER:probe        an instant; the recorder names it NAME
 *     PROVIDER:span__begin  the start of a span; the recorder names it NAME__begin
 *     PROVIDER:span__end    its end;              the recorder names it NAME__end
 *
 * They share one semaphore (the one named `probe`), and each has TT_DYN_ARGC arguments, named
 * TT_DYN_ARG_NAMES in the site's tracetape note (which is how the recorder knows a carrier):
 *
 *     arg 0   name    a pointer to a counted object (below): the probe's name, and with
 *                     TT_DYN_F_ARGNAMES also each value's name, NUL-separated after it
 *     arg 1   kinds   a 64-bit word: the count of values, the wire version, flags and one
 *                     4-bit kind per value (TT_DYN_K_*)
 *     arg 2+i value i a pointer to a counted object holding the value's bytes: a string's
 *                     bytes, or the 8 little-endian bytes of an integer or a double; NULL for
 *                     null, false and true (the kind says all) and for unused slots
 *
 * A counted object has its length, a 64-bit unsigned integer, at byte TT_DYN_OBJ_LEN_OFF and
 * its bytes from byte TT_DYN_OBJ_DATA_OFF: the layout of PHP's zend_string, so that a PHP
 * string travels without a copy. struct tt_dyn_obj is such an object for a number.
 *
 * The recorder gives each distinct (carrier, name, value names, value kinds) a probe of its
 * own in the tape, with the argument kinds the values had.
 */
#ifndef TRACETAPE_DYNAMIC_H
#define TRACETAPE_DYNAMIC_H

#define TT_DYN_VERSION 1     /* bits 4-7 of the kinds word */
#define TT_DYN_ARGC 12       /* arguments of a carrier: name, kinds, TT_DYN_VALUES_MAX values */
#define TT_DYN_VALUES_MAX 10 /* values one dynamic probe carries */

/* The names of a carrier's arguments in its tracetape note (TT_PROBE_EXPLICIT's names). */
#define TT_DYN_ARG_NAMES                                                                     \
	"__tt_name\0__tt_kinds\0__tt_v0\0__tt_v1\0__tt_v2\0__tt_v3\0__tt_v4\0__tt_v5\0"        \
	"__tt_v6\0__tt_v7\0__tt_v8\0__tt_v9"
#define TT_DYN_NAME_ARG "__tt_name"   /* the first name, which marks a carrier */
#define TT_DYN_KINDS_ARG "__tt_kinds" /* the second */

/* The carriers' probe names. */
#define TT_DYN_CARRIER_PROBE "probe"
#define TT_DYN_CARRIER_BEGIN "span__begin"
#define TT_DYN_CARRIER_END "span__end"

/* A counted object: length and bytes (zend_string's offsets). */
#define TT_DYN_OBJ_LEN_OFF 16
#define TT_DYN_OBJ_DATA_OFF 24

struct tt_dyn_obj {
	unsigned long long gc;        /* unused (zend_string's refcount and type info) */
	unsigned long long hash;      /* unused (zend_string's hash) */
	unsigned long long len;       /* bytes in data: 8 for a number */
	unsigned char data[8];        /* an integer or a double's bits, little-endian */
};

/* Kinds of a value, 4 bits each in the kinds word. */
#define TT_DYN_K_NULL 0
#define TT_DYN_K_FALSE 1
#define TT_DYN_K_TRUE 2
#define TT_DYN_K_INT 3    /* signed 64-bit, 8 bytes in its object */
#define TT_DYN_K_FLOAT 4  /* IEEE 754 binary64, 8 bytes in its object */
#define TT_DYN_K_STRING 5 /* bytes of any length (a recorder keeps up to its string limit) */

/*
 * The kinds word: bits 0-3 the count of values (0 to TT_DYN_VALUES_MAX), bits 4-7 the
 * version, bits 8-47 the kind of value i at bits 8 + 4i, bits 48-63 flags.
 */
#define TT_DYN_F_ARGNAMES (1ULL << 48) /* the name object also names the values */
#define TT_DYN_KINDS(count) ((unsigned long long)(count) | (unsigned long long)TT_DYN_VERSION << 4)
#define TT_DYN_KIND_SHIFT(i) (8 + 4 * (i))
#define TT_DYN_WORD_COUNT(w) ((unsigned)((w) & 0xf))
#define TT_DYN_WORD_VERSION(w) ((unsigned)((w) >> 4 & 0xf))
#define TT_DYN_WORD_KIND(w, i) ((unsigned)((w) >> TT_DYN_KIND_SHIFT(i) & 0xf))
/* Bits that must be zero in version 1: kinds past the count's, and flags not defined. */
#define TT_DYN_WORD_RESERVED(w)                                                              \
	((w) & ~(TT_DYN_F_ARGNAMES | ((1ULL << TT_DYN_KIND_SHIFT(TT_DYN_WORD_COUNT(w))) - 1)))

#endif /* TRACETAPE_DYNAMIC_H */
