/* SPDX-License-Identifier: MIT */
/*
 * The attach layer: turns parsed USDT sites into the argument specs the BPF program evaluates,
 * and attaches one uprobe-multi link per binary with a cookie and a semaphore offset per site.
 *
 * uprobe-multi (kernel 6.6) is driven through a raw BPF_LINK_CREATE because Debian's libbpf
 * 1.1.2 predates it; the program must have been loaded with expected attach type
 * TT_BPF_TRACE_UPROBE_MULTI.
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
 * Make argument arg of out (filled from site by tt_bpf_site_from_usdt()) a byte string read the
 * way str says (a provider file's string pragma): its bytes at the argument's value and its
 * length at another argument's location (a register, memory at a base register plus a
 * displacement, or a constant), or both inside the object the argument points to. The length
 * argument itself stays an integer. Returns 0, or -TT_E_BAD_SPEC with *why set when the
 * length's location cannot be used (an index register, a float, a high-byte register).
 */
int tt_bpf_site_set_bytes(const struct tt_usdt_site *site, unsigned arg,
			  const struct tt_provider_str *str, struct tt_bpf_site *out, const char **why);

/* The specs of a function-entry uprobe: the six integer argument registers, as u64. */
void tt_bpf_site_native_entry(uint32_t probe_id, struct tt_bpf_site *out);

#endif /* TT_ATTACH_H */
