/* SPDX-License-Identifier: MIT */
/*
 * Probes of Go packages made by `tracetape gen-go` (contract: schemas/GO_PROBES.md): found in
 * a Go binary, stripped or PIE, by the descriptor each package leaves in its writable data
 * (magic TTGODESC), and turned into USDT sites like those of a stapsdt note, so that `list`,
 * `record 'usdt:...'` and the rest treat them as any other probe.
 *
 * Each probe's site is the 5-byte nop that ends its assembly function (found by name in the
 * pclntab, which a stripped binary keeps); its semaphore is a u16 of the descriptor, in the
 * file-backed writable segment, so the kernel's uprobe reference counter drives it; its
 * arguments are in the registers the function loaded them into, or past the twelfth word on
 * the stack at 8 + their ABI0 offset. A string or []byte argument is its pointer, with its
 * length in the next register or the 8 bytes after it (tt_go_probe_bpf_site()).
 */
#ifndef TT_GO_PROBES_H
#define TT_GO_PROBES_H

#include <libelf.h>
#include <linux/types.h> /* the __u8.. of record.h */
#include <stddef.h>
#include <stdint.h>

#include "elf_file.h"
#include "record.h"
#include "usdt_notes.h"

/*
 * Append to file's sites one site per probe of every generated Go package in the ELF image
 * img (img_sz bytes, elf its libelf handle, segs its PT_LOAD table, all borrowed). A file with
 * no pclntab or no descriptor gains nothing. A probe whose function is not in the binary (the
 * linker drops functions nothing calls) has no site. Returns 0, -ENOMEM, or -TT_E_BAD_ELF with
 * the reason in errbuf when a descriptor is malformed.
 */
int tt_go_probes_scan(const uint8_t *img, size_t img_sz, Elf *elf, const struct tt_elf_segs *segs,
		      struct tt_usdt_file *file, char *errbuf, size_t errbuf_sz);

/*
 * Finish the BPF spec out of Go probe site (one with go_abi0 set) that tt_bpf_site_from_usdt()
 * filled: its string and []byte arguments read as bytes with their length, and
 * the goroutine id taken from R15 when the function loaded it there from goid_off, the offset
 * of the goroutine id in this binary's runtime.g, else read at goid_off (0 when unknown: no
 * goroutine id). Returns 0.
 */
int tt_go_probe_bpf_site(const struct tt_usdt_site *site, uint32_t goid_off,
			 struct tt_bpf_site *out);

#endif /* TT_GO_PROBES_H */
