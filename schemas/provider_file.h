/* SPDX-License-Identifier: MIT */
/*
 * Provider files: the subset of the DTrace provider language that PostgreSQL, PHP and Python
 * ship as probes.d, and that `tracetape gen-header` turns into typed probe macros:
 *
 *     provider myapp {
 *             probe request__start(const char *url, int id);   // names are optional
 *             probe request__done(unsigned int, long);
 *     };
 *
 * C and C++ comments are allowed anywhere; preprocessor lines (#pragma, #include, #define...)
 * are skipped whole, except `#pragma tracetape ...` lines, tracetape's extensions that other
 * tools ignore (schemas/PROVIDERS.md is their reference):
 *
 *     #pragma tracetape string PROBES ARG len=LENARG        bytes at ARG, length in LENARG
 *     #pragma tracetape string PROBES ARG len=@OFF[:SIZE] data=@OFF
 *                                                           a counted string inside *ARG
 *     #pragma tracetape span NAME start=PROBES end=PROBES [key=ARG|pid|tid]
 *     #pragma tracetape instant PROBES                      never paired into spans
 *
 * PROBES is `[PROVIDER:]GLOB` or several such alternatives joined by '|'. Pragmas are checked
 * against the file's own declarations (a pragma that applies to no probe is an error).
 *
 * Each argument keeps its type text, its name (or none) and the kind the type
 * implies: `char *` and `const char *` are strings, other pointers are pointers, the standard
 * integer and floating types have a known sign and size, and anything else (a typedef such as
 * PostgreSQL's LocalTransactionId) is TT_KIND_NONE, for the note's size and sign to decide.
 * An argument named by a `string` pragma is TT_KIND_BYTES.
 *
 * Used by `list --schema`, `record --schema`, the loader and gen-header: a library that returns
 * errors (with line and column) and prints nothing.
 */
#ifndef TT_PROVIDER_FILE_H
#define TT_PROVIDER_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "tt_types.h"

/* How the bytes of a `#pragma tracetape string` argument are found (form 0: not such an arg). */
#define TT_PROVIDER_STR_LEN_ARG 1 /* the argument points to the bytes; another holds the length */
#define TT_PROVIDER_STR_IN_OBJ 2  /* the argument points to an object holding length and bytes */
#define TT_PROVIDER_STR_DEREF 3   /* the argument points to an object holding (a pointer to an
				     object holding) a pointer to a NUL-terminated string */

struct tt_provider_str {
	uint8_t form;      /* 0, TT_PROVIDER_STR_* */
	uint8_t len_arg;   /* LEN_ARG: index of the argument that holds the length */
	uint8_t len_size;  /* IN_OBJ: bytes of the length field: 1, 2, 4 or 8 */
	uint16_t len_off;  /* IN_OBJ: byte offset of the length field in the object */
	uint16_t data_off; /* IN_OBJ: byte offset of the bytes in the object */
	uint8_t deref_cnt; /* DEREF: pointers to follow, 1 or 2 */
	uint16_t deref_off[2]; /* DEREF: their byte offsets in the objects */
};

struct tt_provider_arg {
	char *type;   /* normalised type text, e.g. "const char *" (owned) */
	char *name;   /* the argument's name, or NULL when the file gives none (owned) */
	uint8_t kind; /* TT_KIND_*; TT_KIND_NONE for types we do not know */
	struct tt_provider_str str; /* from a string pragma (then kind is TT_KIND_BYTES, or for
				       DEREF TT_KIND_STR or TT_KIND_CXXNAME) */
};

struct tt_provider_probe {
	char *name;       /* as written, e.g. "request__start" (owned) */
	unsigned line;    /* where it is declared, 1-based */
	uint8_t arg_cnt;  /* at most TT_MAX_ARGS */
	struct tt_provider_arg args[TT_MAX_ARGS];
};

struct tt_provider {
	char *name; /* owned */
	unsigned line;
	size_t probe_cnt;
	struct tt_provider_probe *probes; /* in declaration order (owned) */
};

/*
 * A `#pragma tracetape span` rule, in the terms of `tracetape load --span` (spans.h): start and
 * end are probe patterns "provider:glob", alternatives joined by '|', always qualified with their
 * provider.
 */
struct tt_provider_span {
	char *name;     /* the spans' name (owned) */
	char *provider; /* the provider of its start probes: the spans' provider (owned) */
	char *start;    /* (owned) */
	char *end;      /* (owned) */
	char *key;      /* argument name, "pid" or "tid"; NULL: by thread, as a stack (owned) */
	unsigned line;
};

struct tt_provider_file {
	char *path; /* as given, or the name passed to __parse (owned) */
	size_t provider_cnt;
	struct tt_provider *providers; /* in declaration order (owned) */
	size_t span_cnt;
	struct tt_provider_span *spans; /* in file order (owned) */
	size_t instant_cnt;
	char **instants; /* `instant` pragmas' patterns, qualified like span patterns (owned) */
};

/* Where and why a provider file could not be parsed. line and col are 1-based; 0 if unknown. */
struct tt_provider_error {
	unsigned line, col;
	char msg[256];
};

/*
 * Parse text[0..len) (need not be NUL-terminated); name labels the result. Returns 0 and sets
 * *file (free with tt_provider_file__free()), or -TT_E_PARSE with *err filled, or -ENOMEM.
 * A file without any provider is an error (-TT_E_PARSE): it is almost certainly the wrong file.
 */
int tt_provider_file__parse(const char *text, size_t len, const char *name,
			    struct tt_provider_file **file, struct tt_provider_error *err);

/* Read and parse the file at path. Also returns -errno when it cannot be read (err->msg says). */
int tt_provider_file__load(const char *path, struct tt_provider_file **file,
			   struct tt_provider_error *err);

/* Frees file and everything it owns; accepts NULL. */
void tt_provider_file__free(struct tt_provider_file *file);

/* The declaration of provider:probe, or NULL. The result is borrowed from file. */
const struct tt_provider_probe *tt_provider_file__find(const struct tt_provider_file *file,
						       const char *provider, const char *probe);

/* The kind a type text implies (see above); TT_KIND_NONE when unknown. */
uint8_t tt_provider_type_kind(const char *type);

#endif /* TT_PROVIDER_FILE_H */
