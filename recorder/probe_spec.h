/* SPDX-License-Identifier: MIT */
/*
 * Probe specs as users write them on the `record` command line (the contract of DESIGN.md):
 *
 *   usdt:PATH[:PROVIDER[:NAME]]   USDT probes of an executable or library (PATH contains a '/')
 *   usdt:PROVIDER[:NAME]          ... of the traced processes' binaries (needs -p or --)
 *   uprobe:PATH:SYMBOL            entry of native functions
 *   tracepoint:CATEGORY:NAME      kernel tracepoints (every field of their raw record)
 *   go:PATH:FUNC                  Go functions, entry and every return (PATH contains a '/')
 *   go:FUNC                       ... of the traced processes' executables (needs -p or --)
 *
 * Go function names may contain '/' (net/http.(*Client).Do) but never ':', so a go: spec has a
 * PATH exactly when it has a ':'.
 * PROVIDER, NAME and SYMBOL accept '*' globs; a missing PROVIDER or NAME means '*'.
 */
#ifndef TT_PROBE_SPEC_H
#define TT_PROBE_SPEC_H

#include <stddef.h>

enum tt_spec_type {
	TT_SPEC_USDT = 1,
	TT_SPEC_UPROBE,
	TT_SPEC_TRACEPOINT,
	TT_SPEC_GO,
};

struct tt_probe_spec {
	enum tt_spec_type type;
	char *text;     /* the spec as given (owned) */
	char *path;     /* binary path, or NULL for "the traced processes' binaries" (owned) */
	char *provider; /* glob (owned): USDT provider or tracepoint category; "*" when not given */
	char *name;     /* glob (owned): probe name or symbol; "*" when not given */
	size_t matched; /* probes this spec matched, filled in by the resolver */
};

/*
 * Parse text. Returns 0 and fills *spec (free with tt_probe_spec_free()), or -TT_E_USAGE with a
 * message in errbuf saying what was expected.
 */
int tt_probe_spec_parse(const char *text, struct tt_probe_spec *spec, char *errbuf, size_t errbuf_sz);
void tt_probe_spec_free(struct tt_probe_spec *spec);

#endif /* TT_PROBE_SPEC_H */
