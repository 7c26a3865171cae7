/* SPDX-License-Identifier: MIT */
/*
 * Presets of `tracetape record --preset NAME[=PATH]`: the probe specs and options that answer
 * a common question about a runtime we do not own (PostgreSQL queries, PHP calls, Python calls,
 * JVM garbage collections, C++ exceptions), so that nobody has to remember probe names.
 *
 * A preset names probes as PROVIDER:NAME globs and a binary to find them in: PATH when given,
 * else, with -p or -- COMMAND, the traced processes' own binaries (for runtimes whose probes
 * sit in the executable or a library it links), else the preset's default path (Debian's).
 * It may also set variables in the environment of the -- COMMAND it runs (PHP's probes fire only
 * with USE_ZEND_DTRACE=1), raise the string limit (query texts) and record the call stacks of
 * some probes (where an exception was thrown).
 */
#ifndef TT_PRESETS_H
#define TT_PRESETS_H

#include <stddef.h>
#include <stdint.h>

struct tt_preset {
	const char *name;
	const char *summary;              /* one line: what it records */
	const char *path;                 /* default binary (Debian's), where the probes are */
	int path_only;                    /* the binary is dlopen'd (libjvm.so): always a path */
	const char *const *probes;        /* "PROVIDER:NAME" globs, NULL-terminated */
	const char *const *env;           /* "NAME=VALUE" for the -- COMMAND, NULL-terminated */
	uint32_t strlen;                  /* string limit to use unless --strlen is given; 0: none */
	const char *const *stacks;        /* --stack globs it adds (unless --no-stack), NULL-ended */
	const char *note;                 /* a caveat shown by `list --presets`, or NULL */
};

/* Every preset, in name order; *cnt receives their number. */
const struct tt_preset *tt_presets(size_t *cnt);

/* The preset called name, or NULL. */
const struct tt_preset *tt_preset_find(const char *name);

/*
 * Expand preset p into probe specs appended to *specs (a malloc'd array of malloc'd strings,
 * *cnt entries; grown here). path is the user's PATH or NULL; processes says whether -p or
 * -- COMMAND is given. Returns 0, -ENOENT when no binary can be named (no PATH, no process and
 * the default path does not exist), or -ENOMEM.
 */
int tt_preset_expand(const struct tt_preset *p, const char *path, int processes, char ***specs,
		     size_t *cnt);

#endif /* TT_PRESETS_H */
