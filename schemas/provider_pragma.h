/* SPDX-License-Identifier: MIT */
/*
 * `#pragma tracetape` lines of a provider file (schemas/PROVIDERS.md): `string` (how a pointer
 * argument's bytes are found), `span` (which probes open and close a span) and `instant`
 * (probes never paired). The provider file parser (provider_file.c) sets each such line aside
 * while it tokenizes and applies them here once every declaration of the file is known, since
 * DTrace files put their pragmas after the provider they describe; a pragma is checked against
 * those declarations (one that applies to no probe is an error).
 */
#ifndef TT_PROVIDER_PRAGMA_H
#define TT_PROVIDER_PRAGMA_H

#include "provider_file.h"

/* A `#pragma tracetape` line as the tokenizer found it: its text after "tracetape". */
struct tt_provider_pragma {
	const char *s, *end;    /* the text, into the file (borrowed); may hold \-newlines */
	const char *line_start; /* the start of the line s is on, for columns */
	unsigned line;          /* 1-based */
};

/*
 * Apply pr to f: a `string` pragma describes arguments of f's probes, `span` and `instant`
 * pragmas are added to f->spans and f->instants. Returns 0, -TT_E_PARSE with *err filled
 * (line and column of the offending word, and what was expected), or -ENOMEM.
 */
int tt_provider_pragma_apply(struct tt_provider_file *f, const struct tt_provider_pragma *pr,
			     struct tt_provider_error *err);

/* Free what sp owns (not sp itself). */
void tt_provider_span_free(struct tt_provider_span *sp);

#endif /* TT_PROVIDER_PRAGMA_H */
