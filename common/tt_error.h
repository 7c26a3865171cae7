/* SPDX-License-Identifier: MIT */
/*
 * Error codes of tracetape. Every int-returning function in the tree returns 0 or a negative
 * error: either a negative errno or a negative TT_E_* value. The TT_E_* values extend the errno
 * space from 1024 up so that one integer carries both kinds and tt_strerror() names either.
 */
#ifndef TT_ERROR_H
#define TT_ERROR_H

enum tt_error {
	TT_E_FIRST = 1024,
	TT_E_USAGE = TT_E_FIRST, /* bad command line; the CLI maps this to exit code 2 */
	TT_E_NOT_ELF,            /* a file that should be ELF is not */
	TT_E_BAD_ELF,            /* an ELF file whose structures are inconsistent */
	TT_E_NO_PROBES,          /* a binary without USDT notes */
	TT_E_BAD_SPEC,           /* a USDT argument spec that cannot be parsed */
	TT_E_PARSE,              /* a text file (provider .d, SQL) that cannot be parsed */
	TT_E_BAD_MAGIC,          /* a file that is not a tape */
	TT_E_VERSION,            /* a tape of a format version this build cannot read */
	TT_E_TRUNCATED,          /* a tape that ends in the middle of a block */
	TT_E_CHECKSUM,           /* a block whose checksum does not match */
	TT_E_CORRUPT,            /* a block whose contents are inconsistent */
	TT_E_NO_MATCH,           /* a probe spec that matched nothing */
	TT_E_NO_BPF,             /* the kernel refused BPF (privileges or configuration) */
	TT_E_SQL,                /* an SQLite error; details were printed */
	TT_E_NOT_GO,             /* an ELF file without Go metadata where a Go binary is needed */
	TT_E_INLINED,            /* a function that exists only inlined into its callers */
	TT_E_KERNEL,             /* the running kernel lacks a BPF feature recording needs */
	TT_E_SERVER,             /* a database server (ClickHouse) failed or could not be reached;
	                          * details were printed */
	TT_E_LIMIT,              /* a file that claims more than a reader's limits allow */
	TT_E_LAST,
};

/*
 * Returns a static description of err, which may be given with either sign, for errno values
 * and TT_E_* values alike.
 */
const char *tt_strerror(int err);

#endif /* TT_ERROR_H */
