/* SPDX-License-Identifier: MIT */
/*
 * record --stack on the consumer's side: the user stacks the BPF program sends (TT_RING_STACK
 * records, bpf/record.h) turned into frames keyed by file and file offset, interned (each
 * distinct stack is described in the tape once), and paired with the probe hit that follows
 * them. Until the consumer has read a process's /proc/PID/maps, the kernel places its
 * addresses itself, as a GNU build id and an offset in that file (so a process that is gone
 * before the consumer reads its stacks loses nothing), at a cost of several microseconds a hit;
 * once read (the `mark` callback then sets the process's bit in the BPF map stack_pids), its
 * stacks come as bare addresses, placed here through the cached mappings (read again when an
 * address falls outside them: a library loaded later). A file's path is the one the probes'
 * binaries, the recorder's own libraries or the process's mappings give for its build id. `load` symbolizes the frames,
 * on this machine or another one, from the path or the build id. An address in no file
 * (JIT code, or a process gone before its maps were read) is kept as is (module 0). A
 * tracepoint's kernel stack (record --stack tracepoint:...) is placed through the kernel's
 * symbols (kernel_syms.h) and never kept as addresses.
 */
#ifndef TT_REC_STACKS_H
#define TT_REC_STACKS_H

#include <stddef.h>
#include <stdint.h>

#include "probe_set.h"
#include "record.h"
#include "tape_writer.h"

struct tt_rec_stacks;

/* record --stack's prefix of the globs that ask for tracepoints' kernel stacks. */
#define TT_STACK_TP_PREFIX "tracepoint:"

/*
 * Which sites send stacks: a copy of sites[0, site_cnt) in *marked (malloc'd, the caller's)
 * with TT_BPF_SITE_STACK set on the sites of every probe that one of globs matches: a glob
 * "PROVIDER:NAME" is matched against the probe's provider and name, a glob without ':' against
 * its name, with * and ? wildcards. Kernel tracepoints have no user stack: they are matched
 * only by globs "tracepoint:CATEGORY[:NAME]" (the name * when left out), which set
 * kernel[probe id] (kernel has probe_cnt bytes) and match nothing else. Returns 0, -ENOMEM,
 * or -TT_E_NO_MATCH with *bad the first glob that matches no probe.
 */
int tt_rec_stacks_mark(const struct tt_probe_set_probe *probes, size_t probe_cnt,
		       const struct tt_bpf_site *sites, size_t site_cnt, const char *const *globs,
		       size_t glob_cnt, struct tt_bpf_site **marked, uint8_t *kernel,
		       const char **bad);

/*
 * The sites of one binary (path, as this process opens it; offsets and their site-table
 * cookies, as tt_probe_set_sites gives them) that send stacks and sit in a function without a
 * frame pointer at that point (its CFA is the stack pointer + N: libstdc++'s __cxa_throw, most
 * of a distribution's libraries): TT_BPF_SITE_CFI set in sites[] with where the return address
 * and the caller's frame pointer are, read from the binary's CFI (.eh_frame) with libdw. A
 * frame-pointer walk from such a site would start from whatever rbp holds there. Returns how
 * many sites were so marked (0 also when the file or its CFI cannot be read).
 */
size_t tt_rec_stacks_cfi(const char *path, const uint64_t *offsets, const uint64_t *cookies,
			 size_t cnt, struct tt_bpf_site *sites, size_t site_cnt);

/* Called when process pid's mappings have been read (its stacks may come as bare addresses). */
typedef void (*tt_rec_stacks_mark_fn)(void *ctx, uint32_t pid);

/* An empty table (mark may be NULL); NULL with errno set. */
struct tt_rec_stacks *tt_rec_stacks__new(tt_rec_stacks_mark_fn mark, void *mark_ctx);
/* Accepts NULL. */
void tt_rec_stacks__free(struct tt_rec_stacks *s);

/*
 * One TT_RING_STACK record of size bytes at data: intern its stack, describe the stack (and the
 * files it is in) to w the first time w meets it, and keep it for the thread's next hit.
 * Returns 0, -EBADMSG for a malformed record, or the writer's error.
 */
int tt_rec_stacks__on_ring(struct tt_rec_stacks *s, const void *data, size_t size,
			   struct tt_tape_writer *w);

/* The stack id kept for the hit of thread tid at ts_ns (forgotten then), or 0. */
uint32_t tt_rec_stacks__take(struct tt_rec_stacks *s, uint32_t tid, uint64_t ts_ns);

/*
 * A file the stacks may be in, known by path and build id (NULL: none) before any stack names
 * it (the probes' binaries): a stack placed by the kernel by build id then has its path even
 * when its process is gone before its maps could be read; and a stack the kernel could not
 * place (no build id it sees: Go binaries) is placed in an executable linked at fixed addresses
 * (ET_EXEC) when its first frame is in one. 0 or -ENOMEM.
 */
int tt_rec_stacks__know(struct tt_rec_stacks *s, const char *path, const char *build_id);

/* Process pid exited: forget its mappings (the caller clears its stack_pids bit). */
void tt_rec_stacks__forget(struct tt_rec_stacks *s, uint32_t pid);

/* A new tape begins (rotation): every stack and file is described again when next used. */
void tt_rec_stacks__new_tape(struct tt_rec_stacks *s);

struct tt_ksyms;

/*
 * record --stack tracepoint:...: place kernel stacks (TT_STACK_KERNEL records) with ks (taken,
 * freed with s, also on failure): frames in modules "[kernel]" / "[MODULE]" at offsets from
 * _text, and each function they hit described to the tape once by name. Without it such
 * records are malformed. 0 or -ENOMEM.
 */
int tt_rec_stacks__kernel(struct tt_rec_stacks *s, struct tt_ksyms *ks);

/* Distinct stacks met so far. */
uint32_t tt_rec_stacks__cnt(const struct tt_rec_stacks *s);

#endif /* TT_REC_STACKS_H */
