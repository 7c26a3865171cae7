/* SPDX-License-Identifier: MIT */
/*
 * USDT discovery: parse the stapsdt notes (and tracetape's own type notes) of an ELF file into
 * probe sites ready to attach, with every argument spec decoded (usdt_args.h) and its symbols
 * resolved; the probes of Go packages made by `tracetape gen-go` (go_probes.h) are sites too.
 *
 * Our own parser because libbpf's rejects specs real binaries contain (floats, base+index,
 * symbol-relative operands; see DESIGN.md, platform facts). Addresses are converted to file
 * offsets through the PT_LOAD segment that contains them (the semaphore's segment is not the
 * text segment), after the .stapsdt.base adjustment for prelinked files.
 */
#ifndef TT_USDT_NOTES_H
#define TT_USDT_NOTES_H

#include <stddef.h>
#include <stdint.h>

#include "tt_types.h"
#include "usdt_args.h" /* struct tt_usdt_arg, enum tt_reg */

struct tt_usdt_site {
	char *provider;              /* owned */
	char *name;                  /* owned */
	char *args_str;              /* the note's argument string, verbatim (owned) */
	uint64_t pc_vaddr;           /* link-time address of the probe instruction */
	uint64_t pc_offset;          /* its file offset: where the uprobe goes */
	uint64_t sema_vaddr;         /* semaphore address, 0 without one */
	uint64_t sema_offset;        /* its file offset (through its own segment), 0 without one */
	uint8_t argc;
	struct tt_usdt_arg args[TT_MAX_ARGS];
	int spec_err;                /* 0; -TT_E_BAD_SPEC: args_str could not be parsed;
					-TT_E_BAD_ELF: pc or semaphore outside the loadable
					segments. Such a site cannot be attached. */
	char *spec_msg;              /* why, when spec_err (owned) */
	uint8_t has_types;           /* a tracetape note describes this site */
	uint8_t kinds[TT_MAX_ARGS];  /* TT_KIND_*: from the tracetape note, else from the spec */
	char *arg_names[TT_MAX_ARGS];/* column names from the tracetape note (tt_usdt_column_name(),
					unique within the site); NULL: unknown, call it argN (owned) */
	uint8_t go_abi0;             /* a probe of a Go package made by `tracetape gen-go`
					(go_probes.h): not from a note; its BYTES arguments'
					lengths follow their pointers (next register, or next
					stack word), and its events carry the goroutine id
					(tt_go_probe_bpf_site()) */
	uint16_t go_r15_goid_off;    /* go_abi0: the offset in runtime.g of the goroutine id its
					function loads into R15 before the site (the
					descriptor's); 0: it loads none */
};

struct tt_usdt_file {
	char *path;          /* as given (owned) */
	char *build_id;      /* hex, or NULL (owned) */
	uint16_t e_type;     /* ET_EXEC, ET_DYN */
	size_t site_cnt;
	struct tt_usdt_site *sites; /* in note order */
};

/*
 * Parse the notes of the ELF file at path. Returns 0 and sets *file (free with
 * tt_usdt_file__free()), or a negative error: -TT_E_NOT_ELF, -TT_E_BAD_ELF, -errno for I/O.
 * A file without notes is not an error here: it yields site_cnt == 0. A site whose argument
 * string cannot be parsed is kept with spec_err set, so that callers can report it and still
 * use the other sites. errbuf (may be NULL) receives a description of a returned error.
 */
int tt_usdt_file__open(const char *path, struct tt_usdt_file **file, char *errbuf, size_t errbuf_sz);
/*
 * The same for an ELF image in memory (borrowed for the duration of the call); path names it in
 * the result. Used by tests and by callers that already hold the file.
 */
int tt_usdt_file__open_mem(const void *image, size_t image_sz, const char *path,
			   struct tt_usdt_file **file, char *errbuf, size_t errbuf_sz);
/* Frees what site owns (not site itself). */
void tt_usdt_site_free(struct tt_usdt_site *site);
/* Frees file and everything it owns; accepts NULL. */
void tt_usdt_file__free(struct tt_usdt_file *file);

#endif /* TT_USDT_NOTES_H */
