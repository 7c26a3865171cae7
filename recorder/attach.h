/* SPDX-License-Identifier: MIT */
/*
 * The attach layer: turns parsed USDT sites into the argument specs the BPF program evaluates,
 * and attaches the program to the sites of a binary, with a cookie and a semaphore offset per
 * site, one of two ways:
 *
 * - one uprobe-multi link per binary (kernel 6.6+), through a raw BPF_LINK_CREATE because
 *   Debian's libbpf 1.1.2 predates it; the program must have been loaded with expected attach
 *   type TT_BPF_TRACE_UPROBE_MULTI;
 * - one uprobe perf event per site (every supported kernel, the only way before 6.6), each
 *   with a perf link that carries the cookie; the program is loaded without an attach type.
 *
 * Both run the same program with the same cookies and semaphores.
 */
#ifndef TT_ATTACH_H
#define TT_ATTACH_H

#include <stdint.h>

#include "provider_file.h"
#include "record.h"
#include "usdt_notes.h"

#define TT_BPF_TRACE_UPROBE_MULTI 48 /* enum bpf_attach_type value, kernel 6.6+ */

/*
 * Attach prog_fd at cnt file offsets of path. ref_ctr_offsets (may be NULL) gives each site's
 * semaphore file offset (0 for none): the kernel increments those counters in every process that
 * maps the file while the link exists. cookies gives each site's bpf_get_attach_cookie() value.
 * pid 0 attaches system-wide. Returns the link fd, or a negative errno.
 */
int tt_attach_uprobe_multi(int prog_fd, const char *path, const uint64_t *offsets,
			   const uint64_t *ref_ctr_offsets, const uint64_t *cookies, uint32_t cnt,
			   uint32_t pid);

/*
 * A uprobe perf event at file offset `offset` of path, for every process that maps it, whose
 * semaphore (ref_ctr_off, a file offset; 0 for none) the kernel increments while the event
 * exists. Returns the perf event fd, or a negative errno.
 */
int tt_uprobe_perf_open(const char *path, uint64_t offset, uint64_t ref_ctr_off);

/* Run prog_fd on perf event perf_fd with cookie. Returns the link fd, or a negative errno. */
int tt_attach_perf_link(int prog_fd, int perf_fd, uint64_t cookie);

/*
 * The links of a session: fds owned here. Closing a perf-event link (a uprobe on the per-site
 * path, a tracepoint) makes the kernel wait for an RCU tasks-trace grace period twice, each
 * under a global mutex of its own: once to detach the program from the event (bpf_event_mutex),
 * once to unregister the event (event_mutex), about 35 ms each here, serially. slow_cnt counts
 * those links. perf_fds[i] is the perf event under link fds[i] (-1 for a uprobe-multi link),
 * kept open so that the second wait can happen in another process than the first (see
 * tt_links__close_in_background); it stays valid for i < perf_cnt even after the caller closed
 * and dropped the last links (cnt < perf_cnt).
 */
struct tt_links {
	int *fds, *perf_fds;
	size_t cnt, cap, perf_cnt;
	size_t slow_cnt;
};

/*
 * Attach prog_fd to cnt sites of path (offsets, semaphore offsets or NULL, cookies), through one
 * uprobe-multi link when multi is set, else one perf event and link per site, and keep the
 * links in l. The per-site way needs a descriptor per site: the soft RLIMIT_NOFILE is raised
 * toward the hard limit when it would run out. Returns 0, or a negative errno with the links
 * made so far kept in l (the caller closes them).
 */
int tt_links__add_uprobes(struct tt_links *l, int multi, int prog_fd, const char *path,
			  const uint64_t *offsets, const uint64_t *ref_ctr_offsets,
			  const uint64_t *cookies, size_t cnt);

/*
 * Attach prog_fd to the kernel tracepoint with tracefs id tp_id (its perf event, every CPU)
 * with cookie, and keep the link in l. Returns 0 or a negative errno.
 */
int tt_links__add_tracepoint(struct tt_links *l, int prog_fd, uint32_t tp_id, uint64_t cookie);

/* Close every link of l (detaching the program from its sites) and free l's memory. */
void tt_links__close(struct tt_links *l);

/*
 * Close l's links in child processes that outlive the caller, so that a recording with many
 * slow links ends at once while the kernel takes its time: a child named tt-detach, in a
 * session of its own and holding no descriptor but the links, closes them (the first wait of
 * each) while a second tt-detach it starts closes each perf event right after its link (the
 * second wait), so that the two waits of successive links overlap; both exit when done. The
 * caller must have made the programs inert first. Returns the first child's pid, or a negative
 * errno after which l is untouched. l is empty afterwards.
 */
int tt_links__close_in_background(struct tt_links *l);

/* v truncated to size bytes (1, 2, 4; 8 or 0 keep it whole), then sign- or zero-extended. */
uint64_t tt_extend_value(uint64_t v, unsigned size, int is_signed);

/* Byte offset of register r in the kernel's struct pt_regs (x86-64). */
uint16_t tt_reg_pt_regs_off(enum tt_reg r);

/*
 * Fill out with the BPF argument specs of site, which fires probe probe_id whose arguments have
 * kinds (TT_KIND_*; strings are read as strings). Returns 0, or -TT_E_BAD_SPEC with *why set to
 * a static explanation when an argument cannot be evaluated by the BPF program (e.g. a
 * rip-relative symbol that is not in the file).
 */
int tt_bpf_site_from_usdt(const struct tt_usdt_site *site, uint32_t probe_id,
			  const uint8_t kinds[TT_MAX_ARGS], struct tt_bpf_site *out, const char **why);

/*
 * Make argument arg of out (filled from site by tt_bpf_site_from_usdt()) a string read the way
 * str says (a provider file's string pragma): a byte string with its bytes at the argument's
 * value and its length at another argument's location (a register, memory at a base register
 * plus a displacement, or a constant), or both inside the object the argument points to; or a
 * NUL-terminated string whose pointer is one or two pointers away from the argument (DEREF).
 * The length argument itself stays an integer. Returns 0, or -TT_E_BAD_SPEC with *why set when the
 * length's location cannot be used (an index register, a float, a high-byte register).
 */
int tt_bpf_site_set_bytes(const struct tt_usdt_site *site, unsigned arg,
			  const struct tt_provider_str *str, struct tt_bpf_site *out, const char **why);

/* The specs of a function-entry uprobe: the six integer argument registers, as u64. */
void tt_bpf_site_native_entry(uint32_t probe_id, struct tt_bpf_site *out);

#endif /* TT_ATTACH_H */
