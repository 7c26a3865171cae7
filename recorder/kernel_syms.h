/* SPDX-License-Identifier: MIT */
/*
 * The running kernel's function symbols, for record --stack tracepoint:...: the kernel stacks
 * the BPF program sends are bare kernel addresses, which must never reach a tape (issue 23).
 * This table, read once from /proc/kallsyms (its addresses need root and kptr_restrict below
 * 2), places each address as an offset from _text and names the function around it (and the
 * kernel module it is in); the kernel's GNU build id comes from /sys/kernel/notes, a module's
 * from /sys/module/NAME/notes/.note.gnu.build-id. The tape then carries only offsets and the
 * names of the functions its stacks hit: the machine that reads it needs no vmlinux.
 */
#ifndef TT_KERNEL_SYMS_H
#define TT_KERNEL_SYMS_H

#include <stddef.h>
#include <stdint.h>

struct tt_ksyms;

/* One function. */
struct tt_ksym {
	uint64_t addr;
	uint64_t size;      /* to the next function of the same owner; 0: unknown (the last) */
	const char *name;
	const char *owner;  /* the kernel module it is in, NULL for vmlinux itself */
};

/*
 * Read the table from kallsyms (a /proc/kallsyms-format file) and the kernel's build id from
 * notes (/sys/kernel/notes format; NULL or unreadable: none). NULL with errno set: EPERM when
 * the file shows no addresses (not root, or kernel.kptr_restrict), ENOENT when it has no
 * _text, ENOMEM.
 */
struct tt_ksyms *tt_ksyms__load(const char *kallsyms, const char *notes);
/* Accepts NULL. */
void tt_ksyms__free(struct tt_ksyms *k);

/* Index of the function that holds addr, or -1 (below the first, or not a function's). */
int64_t tt_ksyms__find(const struct tt_ksyms *k, uint64_t addr);
/* Function idx (from tt_ksyms__find) into *out; its strings are k's. */
void tt_ksyms__sym(const struct tt_ksyms *k, size_t idx, struct tt_ksym *out);
size_t tt_ksyms__cnt(const struct tt_ksyms *k);
/* The address of _text: kernel frames are stored as offsets from it. */
uint64_t tt_ksyms__text(const struct tt_ksyms *k);
/*
 * The hex GNU build id of vmlinux (owner NULL) or of a loaded module into out (sz >= 41):
 * 0, or -1 when unknown.
 */
int tt_ksyms__build_id(const struct tt_ksyms *k, const char *owner, char *out, size_t sz);

#endif /* TT_KERNEL_SYMS_H */
