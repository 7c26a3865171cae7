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
 * are skipped whole. Each argument keeps its type text, its name (or none) and the kind the type
 * implies: `char *` and `const char *` are strings, other pointers are pointers, the standard
 * integer and floating types have a known sign and size, and anything else (a typedef such as
 * PostgreSQL's LocalTransactionId) is TT_KIND_NONE, for the note's size and sign to decide.
 *
 * Used by `list --schema`, `record --schema`, the loader and gen-header: a library that returns
 * errors (with line and column) and prints nothing.
 */
#ifndef TT_PROVIDER_FILE_H
#define TT_PROVIDER_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "tt_types.h"

struct tt_provider_arg {
	char *type;   /* normalised type text, e.g. "const char *" (owned) */
	char *name;   /* the argument's name, or NULL when the file gives none (owned) */
	uint8_t kind; /* TT_KIND_*; TT_KIND_NONE for types we do not know */
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

struct tt_provider_file {
	char *path; /* as given, or the name passed to __parse (owned) */
	size_t provider_cnt;
	struct tt_provider *providers; /* in declaration order (owned) */
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
