/* SPDX-License-Identifier: MIT */
/* ELF segment tables and their address arithmetic (see tt_elf_seg.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_elf_seg.h"

const struct tt_elf_seg *tt_elf_seg_find(const struct tt_elf_seg *segs, size_t cnt, uint64_t vaddr,
					 uint64_t len)
{
	for (size_t i = 0; i < cnt; i++) {
		const struct tt_elf_seg *s = &segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz)
			return len <= s->filesz - (vaddr - s->vaddr) ? s : NULL;
	}
	return NULL;
}

int tt_elf_segs_offset(const struct tt_elf_segs *segs, uint64_t vaddr, uint64_t len, uint64_t *off)
{
	const struct tt_elf_seg *s = tt_elf_seg_find(segs->v, segs->cnt, vaddr, len);

	if (!s)
		return -ENOENT;
	*off = vaddr - s->vaddr + s->offset;
	return 0;
}

void tt_elf_segs_free(struct tt_elf_segs *segs)
{
	free(segs->v);
	memset(segs, 0, sizeof(*segs));
}
