/* SPDX-License-Identifier: MIT */
/*
 * The probe set of a recording: the binaries, probes, BPF site specs and kernel tracepoints that
 * a list of parsed probe specs names, resolved against the files on disk (USDT notes, ELF
 * symbols, Go functions) and tracefs. It decides what each probe records and how (argument
 * kinds and names from the SDK's type note, a --schema provider file or the built-in ones), and
 * holds everything the session needs to load, attach and decode: the site table for the BPF
 * `sites` map, each binary's uprobe offsets with their cookies and semaphores, the tracepoints'
 * configs and formats. It knows nothing of the BPF skeleton, the ring or the tape: attaching is
 * the session's (recording.c).
 */
#ifndef TT_PROBE_SET_H
#define TT_PROBE_SET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe_spec.h"
#include "provider_file.h"
#include "record.h"
#include "tp_format.h"
#include "tt_event.h"
#include "tt_out.h"

struct tt_probe_set;

/* A probe of the set: what the tape says of it, and how the ring's records of it decode. */
struct tt_probe_set_probe {
	struct tt_probe_desc d; /* strings owned (freed with the set) */
	size_t binary;          /* index of its binary, SIZE_MAX for built-in probes */
	size_t site_cnt;
	uint16_t str_mask;      /* bit i: argument i is recorded as a string */
	uint16_t sym_mask;      /* bit i: argument i is a code address of a Go binary, recorded as
				   the name of the function containing it */
	struct tt_provider_str strs[TT_MAX_ARGS]; /* counted strings (provider-file pragmas) */
};

/* A kernel tracepoint of the set. */
struct tt_probe_set_tp {
	uint32_t probe_id;
	char *format_text;         /* verbatim from tracefs (owned) */
	struct tt_tp_format *fmt;  /* parsed (owned) */
	struct tt_bpf_tp cfg;      /* what the BPF program needs */
};

/* The uprobe sites of one binary, all borrowed from the set: one uprobe-multi link's worth. */
struct tt_probe_set_sites {
	const char *path;          /* as the user or the process knows it */
	const char *open_path;     /* how this process opens it */
	const uint64_t *offsets;   /* file offsets of the sites */
	const uint64_t *ref_ctrs;  /* their semaphores' file offsets, 0 for none */
	const uint64_t *cookies;   /* their spec ids in the site table */
	size_t cnt;
};

/*
 * An empty set. Messages (what was skipped, what was not applied and why) go to out. schema is
 * the --schema provider file, loaded from schema_path, or NULL; out, schema and schema_path are
 * borrowed and must outlive the set. Returns NULL with errno set.
 */
struct tt_probe_set *tt_probe_set__new(const struct tt_out *out,
				       const struct tt_provider_file *schema,
				       const char *schema_path);

/* Free ps and everything it owns. NULL is allowed. */
void tt_probe_set__free(struct tt_probe_set *ps);

/*
 * Add to ps every probe and tracepoint that specs match, counting each spec's matches in its
 * `matched`. A spec with a path is matched in that binary; one without, in every binary of the
 * traced processes: those of command (argv, held before exec, so its executable and the
 * libraries it links) or else of the root_cnt running processes roots. Returns 0, or a negative
 * error after printing why (-TT_E_NO_MATCH when a spec matched nothing).
 */
int tt_probe_set__resolve(struct tt_probe_set *ps, struct tt_probe_spec *specs, size_t spec_cnt,
			  char *const *command, const pid_t *roots, size_t root_cnt);

/*
 * Add the built-in probes tracetape:process__fork, __exec and __exit, which the BPF
 * process-tracking programs fire, and set *fork_id, *exec_id and *exit_id to their ids. Returns
 * 0 or -ENOMEM.
 */
int tt_probe_set__add_builtins(struct tt_probe_set *ps, uint32_t *fork_id, uint32_t *exec_id,
			       uint32_t *exit_id);

/*
 * Accessors. The probe, site and tracepoint arrays (indexed by probe id, spec id and cookie)
 * are borrowed: valid until ps is next changed (resolve, add_builtins) or freed.
 */
size_t tt_probe_set__probe_cnt(const struct tt_probe_set *ps);
const struct tt_probe_set_probe *tt_probe_set__probes(const struct tt_probe_set *ps,
						      size_t *cnt);
const struct tt_bpf_site *tt_probe_set__sites(const struct tt_probe_set *ps, size_t *cnt);
const struct tt_probe_set_tp *tt_probe_set__tps(const struct tt_probe_set *ps, size_t *cnt);
size_t tt_probe_set__binary_cnt(const struct tt_probe_set *ps);

/*
 * The sites of matching probes that cannot be recorded (arguments the BPF program cannot read):
 * their count in *cnt, and one line each, "PATH PROVIDER:NAME at 0xPC: why", NUL-terminated
 * (borrowed; NULL when none).
 */
const char *tt_probe_set__skipped(const struct tt_probe_set *ps, size_t *cnt);

/* The uprobe sites of binary i (< tt_probe_set__binary_cnt()), borrowed as above. */
void tt_probe_set__binary_sites(const struct tt_probe_set *ps, size_t i,
				struct tt_probe_set_sites *sites);

/*
 * The name of the function containing code address pc in the Go binary of p (a probe of ps),
 * borrowed from the binary (valid until ps is freed), or NULL when it has none to give.
 */
const char *tt_probe_set__go_func_name(struct tt_probe_set *ps, const struct tt_probe_set_probe *p,
				       uint64_t pc);

#endif /* TT_PROBE_SET_H */
