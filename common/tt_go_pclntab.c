/* SPDX-License-Identifier: MIT */
/* The pclntab reader (see tt_go_pclntab.h). */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tt_go_pclntab.h"
#include "tt_error.h"
#include "tt_util.h"

/* pclntab header magics (golang/go src/debug/gosym/pclntab.go). Only the Go 1.18+ layout is
 * parsed; the older ones are named so that the error says which Go built the binary. */
#define PCLN_MAGIC_12 0xfffffffbu  /* Go 1.2-1.15 */
#define PCLN_MAGIC_116 0xfffffffau /* Go 1.16-1.17 */
#define PCLN_MAGIC_118 0xfffffff0u /* Go 1.18-1.19 */
#define PCLN_MAGIC_120 0xfffffff1u /* Go 1.20+ */
/* magic, two zero pads, instruction quantum, pointer size, then 8 pointer-sized words */
#define PCLN_HDR_SZ (8 + 8 * 8)
/* The _func fields we read: entryOff u32, nameOff i32, args i32 (same in 1.18 and 1.20+). */
#define PCLN_FUNC_MIN_SZ 12
#define PTR_SZ 8u

static int is_exec(const struct tt_elf_segs *segs, uint64_t vaddr)
{
	const struct tt_elf_seg *seg = tt_elf_seg_find(segs->v, segs->cnt, vaddr, 1);

	return seg && (seg->flags & PF_X);
}

/* A NUL-terminated string at off in [base, base + sz), or NULL when it runs off the end. */
static const char *bounded_str(const uint8_t *base, size_t sz, uint64_t off)
{
	if (off >= sz || !memchr(base + off, 0, sz - off))
		return NULL;
	return (const char *)base + off;
}

int tt_go_pclntab_open(struct tt_go_pclntab *t, const uint8_t *d, size_t sz,
		       const struct tt_elf_segs *segs, uint64_t text_addr, char *errbuf,
		       size_t errbuf_sz)
{
	uint32_t magic;

	memset(t, 0, sizeof(*t));
	if (sz < PCLN_HDR_SZ) {
		tt_msgf(errbuf, errbuf_sz, "pclntab too short (%zu bytes)", sz);
		return -TT_E_BAD_ELF;
	}
	magic = tt_get_le32(d);
	if (magic == PCLN_MAGIC_12 || magic == PCLN_MAGIC_116) {
		tt_msgf(errbuf, errbuf_sz, "pclntab of Go %s is not supported (Go 1.18 or newer is)",
			magic == PCLN_MAGIC_12 ? "1.2-1.15" : "1.16-1.17");
		return -ENOTSUP;
	}
	if (magic != PCLN_MAGIC_118 && magic != PCLN_MAGIC_120) {
		tt_msgf(errbuf, errbuf_sz, "unknown pclntab magic 0x%08x", magic);
		return -ENOTSUP;
	}
	if (d[4] || d[5] || d[7] != PTR_SZ) {
		tt_msgf(errbuf, errbuf_sz, "pclntab header is not that of a 64-bit binary");
		return -TT_E_BAD_ELF;
	}
	t->tab = d;
	t->sz = sz;
	t->nfunc = tt_get_le64(d + 8);
	t->text_start = tt_get_le64(d + 24);
	t->nameoff = tt_get_le64(d + 32);
	t->pclnoff = tt_get_le64(d + 64);
	/* Each function takes 8 bytes of function table: bound nfunc before multiplying. */
	if (t->nameoff >= sz || t->pclnoff >= sz || t->nfunc > (sz - t->pclnoff) / 8) {
		tt_msgf(errbuf, errbuf_sz, "pclntab header offsets out of bounds");
		return -TT_E_BAD_ELF;
	}
	if (t->nfunc * 8 + 4 > sz - t->pclnoff) {
		tt_msgf(errbuf, errbuf_sz, "pclntab function table out of bounds");
		return -TT_E_BAD_ELF;
	}
	/* textStart is runtime.text, which for internal linking is .text's address */
	if (!t->text_start || !is_exec(segs, t->text_start)) {
		if (!text_addr || !is_exec(segs, text_addr)) {
			tt_msgf(errbuf, errbuf_sz, "cannot locate the text the pclntab refers to");
			return -TT_E_BAD_ELF;
		}
		t->text_start = text_addr;
	}
	return 0;
}

int tt_go_pclntab_func(const struct tt_go_pclntab *t, uint64_t i, int want_name,
		       struct tt_go_pcln_func *fn, char *errbuf, size_t errbuf_sz)
{
	const uint8_t *ftab = t->tab + t->pclnoff, *f;
	size_t fdata_sz = t->sz - t->pclnoff; /* funcOff is relative to the function table's start */
	uint32_t entry_off = tt_get_le32(ftab + 8 * i);
	uint32_t func_off = tt_get_le32(ftab + 8 * i + 4);
	uint32_t end_off = tt_get_le32(ftab + 8 * (i + 1)); /* next entry, or the end */

	if (end_off <= entry_off) {
		tt_msgf(errbuf, errbuf_sz, "pclntab function table is not sorted (entry %llu)",
			(unsigned long long)i);
		return -TT_E_BAD_ELF;
	}
	if (func_off > fdata_sz || fdata_sz - func_off < PCLN_FUNC_MIN_SZ) {
		tt_msgf(errbuf, errbuf_sz, "pclntab function %llu data out of bounds",
			(unsigned long long)i);
		return -TT_E_BAD_ELF;
	}
	f = ftab + func_off;
	if (tt_get_le32(f) != entry_off) {
		tt_msgf(errbuf, errbuf_sz, "pclntab function %llu entry mismatch", (unsigned long long)i);
		return -TT_E_BAD_ELF;
	}
	fn->vaddr = t->text_start + entry_off;
	fn->size = end_off - entry_off;
	fn->args = (int32_t)tt_get_le32(f + 8);
	fn->name = NULL;
	if (!want_name)
		return 0;
	fn->name = bounded_str(t->tab, t->sz, t->nameoff + (uint32_t)tt_get_le32(f + 4));
	if (!fn->name) {
		tt_msgf(errbuf, errbuf_sz, "pclntab function %llu name out of bounds",
			(unsigned long long)i);
		return -TT_E_BAD_ELF;
	}
	return 0;
}
