/* SPDX-License-Identifier: MIT */
/* Descriptions of tracetape's own error codes, and of errno values through strerror(). */
#include <string.h>

#include "tt_error.h"

static const char *const descriptions[TT_E_LAST - TT_E_FIRST] = {
	[TT_E_USAGE - TT_E_FIRST] = "invalid usage",
	[TT_E_NOT_ELF - TT_E_FIRST] = "not an ELF file",
	[TT_E_BAD_ELF - TT_E_FIRST] = "malformed ELF file",
	[TT_E_NO_PROBES - TT_E_FIRST] = "no USDT probes",
	[TT_E_BAD_SPEC - TT_E_FIRST] = "unparsable USDT argument spec",
	[TT_E_PARSE - TT_E_FIRST] = "syntax error",
	[TT_E_BAD_MAGIC - TT_E_FIRST] = "not a tracetape tape",
	[TT_E_VERSION - TT_E_FIRST] = "unsupported tape format version",
	[TT_E_TRUNCATED - TT_E_FIRST] = "tape is truncated",
	[TT_E_CHECKSUM - TT_E_FIRST] = "checksum mismatch",
	[TT_E_CORRUPT - TT_E_FIRST] = "corrupt data",
	[TT_E_NO_MATCH - TT_E_FIRST] = "no probe matched",
	[TT_E_NO_BPF - TT_E_FIRST] = "BPF is not available",
	[TT_E_SQL - TT_E_FIRST] = "SQLite error",
	[TT_E_NOT_GO - TT_E_FIRST] = "not a Go binary",
	[TT_E_INLINED - TT_E_FIRST] = "function is inlined at every call site",
	[TT_E_KERNEL - TT_E_FIRST] = "the kernel lacks a BPF feature recording needs",
	[TT_E_SERVER - TT_E_FIRST] = "database server error",
	[TT_E_LIMIT - TT_E_FIRST] = "beyond the limits a reader keeps to",
};

const char *tt_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= TT_E_FIRST && err < TT_E_LAST)
		return descriptions[err - TT_E_FIRST];
	return strerror(err);
}
