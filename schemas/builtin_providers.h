/* SPDX-License-Identifier: MIT */
/*
 * The provider files shipped with tracetape (schemas/providers/NAME.d), compiled into the binary
 * at build time: the argument names and kinds of the probes of PostgreSQL, PHP, Python, the JVM
 * and libstdc++, how their counted strings are read, and which of their probes pair into spans.
 *
 * `record` and `list` apply them to probes that have no tracetape note (a --schema file
 * declaring the same probe wins); `load` applies their span rules (schemas/spans.h). The
 * files are parsed once, on first use, and live until the process exits.
 */
#ifndef TT_BUILTIN_PROVIDERS_H
#define TT_BUILTIN_PROVIDERS_H

#include <stddef.h>

#include "provider_file.h"

/* What schemas/embed.py --table writes: one embedded file. */
struct tt_embedded_file {
	const char *name; /* "postgresql.d" */
	const char *text;
	size_t len;
};

struct tt_builtin_provider {
	const char *name;                     /* "postgresql.d" */
	const struct tt_provider_file *file;  /* parsed */
};

/*
 * The built-in provider files in name order. Returns 0 and sets *files and *cnt (borrowed,
 * valid until exit), or -ENOMEM, or -TT_E_PARSE when a file does not parse (a build defect that
 * the unit tests catch); *err (may be NULL) then says where.
 */
int tt_builtin_providers(const struct tt_builtin_provider **files, size_t *cnt,
			 struct tt_provider_error *err);

/*
 * The built-in declaration of provider:probe, or NULL (also when the files cannot be parsed).
 * *file_name (may be NULL) receives the file's name, e.g. "postgresql.d". Borrowed.
 */
const struct tt_provider_probe *tt_builtin_provider_find(const char *provider, const char *probe,
							 const char **file_name);

/* The text of the built-in file called name ("php.d"), or NULL; *len gets its length. */
const char *tt_builtin_provider_text(const char *name, size_t *len);

#endif /* TT_BUILTIN_PROVIDERS_H */
