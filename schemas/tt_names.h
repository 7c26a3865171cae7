/* SPDX-License-Identifier: MIT */
/*
 * The names of the codes of tt_types.h, as every user-visible output and the SQL schema spell
 * them, and their parsers. One table, so that `list`, `info`, `replay`, the database and the
 * test tools cannot drift apart.
 */
#ifndef TT_NAMES_H
#define TT_NAMES_H

#include <stdint.h>

/*
 * "u8".."u64", "s8".."s64", "f32", "f64", "ptr", "str", "bytes", and "any8".."any64" for an
 * integer of which only the size is known (a stapsdt note without sign or type). Writes into
 * buf when the name is built; returns buf or a static string.
 */
const char *tt_kind_name(uint8_t kind, char buf[16]);

/* The inverse of tt_kind_name() ("any" alone means any64). Returns 0 or -EINVAL. */
int tt_kind_parse(const char *name, uint8_t *kind);

/* "usdt", "uprobe", "go_entry", "go_return", "tracepoint", "builtin", or "unknown". */
const char *tt_probe_type_name(unsigned type);

/* The inverse of tt_probe_type_name(); returns the TT_PROBE_* value or -EINVAL. */
int tt_probe_type_parse(const char *name);

struct tt_probe_desc;

/* The name of argument i of probe d: its declared name, or "argI" when unnamed or repeated. */
const char *tt_arg_name(const struct tt_probe_desc *d, int i, char buf[16]);

/*
 * A probe's label as info, replay and report print it and as their PROBE globs match it:
 * "provider:name", and "provider:name:return" for the returns of a Go function
 * (TT_PROBE_GO_RETURN), whose entry probe has the same provider and name. NULL provider or name
 * reads "?". Returns a malloc'd string, NULL when out of memory.
 */
char *tt_probe_label(const char *provider, const char *name, unsigned type);

#endif /* TT_NAMES_H */
