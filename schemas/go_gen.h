/* SPDX-License-Identifier: MIT */
/*
 * Go probe packages (schemas/GO_PROBES.md is the contract): what `tracetape gen-go` writes for
 * a provider file, and the layout of the descriptor those packages leave in a Go binary, which
 * the recorder reads (recorder/go_probes.c).
 *
 * Go cannot emit an ELF note, so a probe of a Go package is a small assembly function (ABI0,
 * arguments on the stack) whose body loads them and the goroutine id into registers, then a
 * 5-byte nop and RET, called only while its semaphore
 * is nonzero. The package holds a descriptor: an initialised Go variable, so in the file's
 * writable data (a file-backed mapping, which is what the kernel's uprobe reference counter
 * needs), starting with a magic, holding the probes' semaphores and a text that names each
 * probe, its assembly function and its arguments' kinds, stack offsets and names. The recorder
 * finds the descriptor by its magic and each function by its name in the pclntab, which
 * stripped and PIE binaries keep.
 *
 * The generator is a library: it builds the files' text in memory and returns errors
 * with a message; the command (cli/cmd_gen_go.c) writes them.
 */
#ifndef TT_GO_GEN_H
#define TT_GO_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "provider_file.h"
#include "tt_util.h"

/* ---- the descriptor in the binary (contract: schemas/GO_PROBES.md) ---- */

#define TT_GO_DESC_MAGIC "TTGODESC" /* 8 bytes, first in the descriptor */
#define TT_GO_MAGIC_SZ 8
#define TT_GO_DESC_VERSION 1
#define TT_GO_DESC_HDR_SZ 24  /* magic, u32 version, u32 probe count, u32 meta length,
				 u32 goid offset */
#define TT_GO_MAX_PROBES 4096 /* more in one package is a malformed descriptor */
#define TT_GO_MAX_META (1u << 20)
/* How every probe function's body ends, after its loads into registers: nopl 0x0(%rax,%rax,1)
 * (the site), then ret. */
#define TT_GO_SITE_BYTES "\x0f\x1f\x44\x00\x00\xc3"
#define TT_GO_SITE_SZ 6
/*
 * Before the site, each probe function loads the goroutine id into R15, from runtime.g (R14)
 * at the offset of its Go version's layout, chosen by the build constraints of two generated
 * files: 152 from Go 1.13 to 1.22 and from 1.25, 160 in 1.23 and 1.24 (syscallbp came in
 * 1.23, gobuf.ret left in 1.25). The descriptor records the offset the functions were built
 * with; the recorder takes R15 only when that is the offset it finds in the binary.
 */
#define TT_GO_GOID_OFF 152
#define TT_GO_GOID_OFF_GO123 160
#define TT_GO_MAX_GOID_OFF 4096 /* a larger recorded offset is a malformed descriptor */
/* At the probe site the return address is at 0(%rsp) (the loads do not move it): the argument
 * at offset off of the ABI0 argument frame is at TT_GO_ARGS_AT + off(%rsp). */
#define TT_GO_ARGS_AT 8

/* ---- the generator ---- */

/* The files of a generated package (text owned by the caller: tt_go_gen_free()). */
struct tt_go_gen {
	struct tt_buf go;      /* NAME.go, built for amd64: the functions, the descriptor */
	struct tt_buf asm_;    /* NAME_amd64.s: the probe functions' bodies */
	struct tt_buf other;   /* NAME_other.go, built elsewhere: probes that do nothing */
	struct tt_buf goid;    /* NAME_goid_amd64.go: the goroutine id's offset, Go 1.13-1.22, 1.25+ */
	struct tt_buf goid123; /* NAME_goid123_amd64.go: the same, Go 1.23 and 1.24 */
};

/*
 * Generate the package `package` (a Go identifier) for every probe of pf. source names the
 * provider file in the generated comments (its base name is used). Returns 0 and fills out;
 * -TT_E_USAGE with a message in errbuf for a bad package name; -TT_E_PARSE with a message when
 * pf cannot become a Go package (no probe, an argument type with no Go equivalent, two probes
 * that would get the same Go name); or -ENOMEM. On error out is empty.
 */
int tt_go_gen(const struct tt_provider_file *pf, const char *package, const char *source,
	      struct tt_go_gen *out, char *errbuf, size_t errbuf_sz);

/* Free the text of g; accepts a zeroed g. */
void tt_go_gen_free(struct tt_go_gen *g);

/*
 * The Go name of probe name: its parts between underscores, each with its first letter in
 * upper case ("request__begin" -> "RequestBegin"). Returns 0, or -1 when the name does not
 * start with a letter once its underscores are dropped, or does not fit buf.
 */
int tt_go_func_name(const char *name, char *buf, size_t buf_sz);

/* Is s a valid Go identifier (ASCII) that is not a keyword? */
int tt_go_is_identifier(const char *s);

#endif /* TT_GO_GEN_H */
