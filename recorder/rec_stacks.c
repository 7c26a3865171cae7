/* SPDX-License-Identifier: MIT */
/*
 * record --stack's consumer side (rec_stacks.h): places each return address in a file of the
 * traced process, interns the stacks, and keeps each one for the hit that follows it.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>

#include <linux/types.h> /* the __u8.. of record.h */

#include "elf_file.h"
#include "kernel_syms.h"
#include "rec_stacks.h"
#include "record.h"
#include "tt_error.h"
#include "tt_hash.h"
#include "tt_util.h"

#define PIDS_CACHED 64   /* processes whose maps are kept */
#define PENDING 256      /* stacks waiting for their hit (a hit follows its stack at once) */

struct mapping {
	uint64_t start, end, pgoff, dev, ino;
	char *path;
	uint32_t module; /* 0 until a frame falls here or its build id is looked for */
};

struct pid_maps {
	uint32_t pid;
	uint64_t used; /* for eviction: the latest use */
	struct mapping *maps;
	size_t cnt;
};

#define LOADS_MAX 8 /* PT_LOAD segments kept per file, to turn file offsets into addresses */

struct load {
	uint64_t off, filesz, vaddr;
};

struct module {
	uint64_t dev, ino;
	char *path, *build_id;
	uint32_t gen; /* the tape generation that has it described */
	const char *kernel_owner; /* a kernel module ("[kernel]": vmlinux, owner NULL) */
	int kernel;
	/* --stack-mode dwarf: the file's CFI, opened on first use (cfi_tried) */
	int cfi_tried, fd;
	Elf *elf;
	Dwarf *dw;
	Dwarf_CFI *eh, *dbg; /* .eh_frame (ours to end), .debug_frame (the Dwarf's) */
	struct load loads[LOADS_MAX];
	size_t load_cnt;
	/* a probe's binary linked at fixed addresses (ET_EXEC): loads are its executable
	 * segments, where every process that runs it has them (see fixed_module()) */
	int fixed;
};

static uint32_t add_module(struct tt_rec_stacks *s, const char *path, const char *bid,
			   uint64_t dev, uint64_t ino);
static uint32_t module_of(struct tt_rec_stacks *s, uint32_t pid, struct mapping *m);

struct stack {
	size_t first; /* into frames */
	uint32_t n, gen;
};

struct pending {
	uint64_t ts;
	uint32_t tid, id;
};

struct tt_rec_stacks {
	struct pid_maps pids[PIDS_CACHED];
	uint64_t clock;
	struct module *mods; /* id i + 1 at i */
	size_t mod_cnt, mod_cap;
	struct stack *stacks; /* id i + 1 at i */
	size_t stack_cnt, stack_cap;
	struct tt_stack_frame *frames;
	size_t frame_cnt, frame_cap;
	struct tt_hidx ix;
	struct pending pend[PENDING];
	uint32_t pend_next;
	uint32_t gen; /* the current tape's generation, from 1 */
	tt_rec_stacks_mark_fn mark; /* a process's mappings are read */
	void *mark_ctx;
	/* record --stack tracepoint:...: the kernel's functions, the tape generation that has each
	 * described */
	struct tt_ksyms *ks;
	uint32_t *ksym_gen;
	/* the stack being interned */
	struct tt_stack_frame cur[TT_STACK_MAX_FRAMES + 1]; /* + the return address at sp */
	uint32_t cur_n;
};

static int glob_matches(const char *glob, const struct tt_probe_desc *d)
{
	const char *colon = strchr(glob, ':');
	char prov[256];

	if (!colon)
		return !fnmatch(glob, d->name ? d->name : "", 0);
	snprintf(prov, sizeof(prov), "%.*s", (int)(colon - glob), glob);
	return !fnmatch(prov, d->provider ? d->provider : "", 0) &&
	       !fnmatch(colon + 1, d->name ? d->name : "", 0);
}

int tt_rec_stacks_mark(const struct tt_probe_set_probe *probes, size_t probe_cnt,
		       const struct tt_bpf_site *sites, size_t site_cnt, const char *const *globs,
		       size_t glob_cnt, struct tt_bpf_site **marked, uint8_t *kernel,
		       const char **bad)
{
	struct tt_bpf_site *m = malloc(TT_MAX(site_cnt, 1) * sizeof(*m));
	uint8_t *want = calloc(TT_MAX(probe_cnt, 1), 1);
	int err = 0;

	*marked = NULL;
	if (!m || !want) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t g = 0; g < glob_cnt; g++) {
		const char *glob = globs[g];
		int hit = 0, tp = !strncmp(glob, TT_STACK_TP_PREFIX, strlen(TT_STACK_TP_PREFIX));

		glob += tp ? strlen(TT_STACK_TP_PREFIX) : 0;
		for (size_t i = 0; i < probe_cnt; i++) {
			const struct tt_probe_desc *d = &probes[i].d;

			if (!probes[i].site_cnt || tp != (d->type == TT_PROBE_TRACEPOINT))
				continue;
			if (tp && !strchr(glob, ':') ? fnmatch(glob, d->provider ? d->provider : "", 0)
						     : !glob_matches(glob, d))
				continue;
			if (tp)
				kernel[i] = 1;
			else
				want[i] = 1;
			hit = 1;
		}
		if (!hit) {
			*bad = globs[g];
			err = -TT_E_NO_MATCH;
			goto out;
		}
	}
	if (site_cnt) /* a recording of tracepoints alone has no sites (sites may be NULL) */
		memcpy(m, sites, site_cnt * sizeof(*m));
	for (size_t i = 0; i < site_cnt; i++) {
		uint8_t type;

		if (m[i].probe_id >= probe_cnt || !want[m[i].probe_id])
			continue;
		m[i].flags |= TT_BPF_SITE_STACK;
		/* a function's entry (uprobe, Go entry after the stack check), a RET (Go return) or
		 * a gen-go probe's site (in a NOSPLIT|NOFRAME function of no frame, GO_PROBES.md):
		 * the return address is at sp, the frame pointer the caller's */
		type = probes[m[i].probe_id].d.type;
		if (type == TT_PROBE_UPROBE || type == TT_PROBE_GO_ENTRY ||
		    type == TT_PROBE_GO_RETURN || (m[i].flags & TT_BPF_SITE_GO))
			m[i].flags |= TT_BPF_SITE_RETSP;
	}
	*marked = m;
	m = NULL;
out:
	free(m);
	free(want);
	return err;
}

/*
 * Where a CFI rule "saved at CFA + N" (libdw's DW_OP_call_frame_cfa [+ N]) puts a register:
 * N in *off, 0 when the rule is another one.
 */
static int cfa_plus(const Dwarf_Op *ops, size_t nops, int64_t *off)
{
	if (!ops || !nops || ops[0].atom != DW_OP_call_frame_cfa)
		return 0;
	if (nops == 1)
		*off = 0;
	else if (nops == 2 && ops[1].atom == DW_OP_plus_uconst)
		*off = (int64_t)ops[1].number;
	else if (nops == 3 && ops[1].atom == DW_OP_consts && ops[2].atom == DW_OP_plus)
		*off = (int64_t)ops[1].number;
	else
		return 0;
	return 1;
}

/* The frame at vaddr pc of cfi, as a CFI site's ra_off and fp_off; 0 when it is not one. */
static int site_frame(Dwarf_CFI *cfi, uint64_t pc, struct tt_bpf_site *site)
{
	enum { RBP = 6, RSP = 7, RA = 16 }; /* x86-64 DWARF register numbers */
	Dwarf_Op mem[3], *ops;
	Dwarf_Frame *fr = NULL;
	size_t nops;
	int64_t cfa, ra, fp = -1;
	int ok = 0;

	if (dwarf_cfi_addrframe(cfi, pc, &fr) || dwarf_frame_cfa(fr, &ops, &nops))
		goto out;
	/* rsp + N (libdw says DW_OP_bregx rsp, N); rbp + N: the function has its frame, the
	 * kernel's walk is right */
	if (nops == 1 && ops[0].atom == DW_OP_bregx && ops[0].number == RSP)
		cfa = (int64_t)ops[0].number2;
	else if (nops == 1 && ops[0].atom == DW_OP_breg0 + RSP)
		cfa = (int64_t)ops[0].number;
	else
		goto out;
	if (dwarf_frame_register(fr, RA, mem, &ops, &nops) || !cfa_plus(ops, nops, &ra))
		goto out;
	if (dwarf_frame_register(fr, RBP, mem, &ops, &nops))
		goto out;
	if (ops || nops) { /* not "same value": saved at CFA + N, or lost */
		if (!cfa_plus(ops, nops, &fp) || cfa + fp < 0)
			goto out;
		fp += cfa;
	}
	if (cfa + ra < 0 || cfa + ra > UINT16_MAX || fp > INT16_MAX)
		goto out;
	site->ra_off = (uint16_t)(cfa + ra);
	site->fp_off = (int16_t)fp;
	site->flags |= TT_BPF_SITE_CFI;
	ok = 1;
out:
	free(fr);
	return ok;
}

size_t tt_rec_stacks_cfi(const char *path, const uint64_t *offsets, const uint64_t *cookies,
			 size_t cnt, struct tt_bpf_site *sites, size_t site_cnt)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf = NULL;
	Dwarf_CFI *cfi = NULL;
	size_t phnum = 0, found = 0;

	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf)
		cfi = dwarf_getcfi_elf(elf);
	if (!cfi || elf_getphdrnum(elf, &phnum))
		goto out;
	for (size_t i = 0; i < cnt; i++) {
		struct tt_bpf_site *site = cookies[i] < site_cnt ? &sites[cookies[i]] : NULL;

		/* only the sites that send stacks, and not a function's entry or RET (RETSP) */
		if (!site || (site->flags & (TT_BPF_SITE_STACK | TT_BPF_SITE_RETSP | TT_BPF_SITE_GO)) !=
				     TT_BPF_SITE_STACK)
			continue;
		for (size_t k = 0; k < phnum; k++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, (int)k, &ph) || ph.p_type != PT_LOAD ||
			    offsets[i] < ph.p_offset || offsets[i] >= ph.p_offset + ph.p_filesz)
				continue;
			found += (size_t)site_frame(cfi, offsets[i] - ph.p_offset + ph.p_vaddr, site);
			break;
		}
	}
out:
	if (cfi)
		dwarf_cfi_end(cfi);
	elf_end(elf);
	close(fd);
	return found;
}

/*
 * The shared libraries this recorder has loaded are most often the very files the traced
 * processes map (the C library above all): knowing their build ids names the frames of a
 * process that was gone before its maps could be read.
 */
static int know_own_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct tt_rec_stacks *s = ctx;

	if (!info->dlpi_name || info->dlpi_name[0] != '/')
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), *end;

		if (ph->p_type != PT_NOTE)
			continue;
		for (end = p + ph->p_memsz; p + sizeof(ElfW(Nhdr)) <= end;) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const uint8_t *desc = p + sizeof(*n) + ((n->n_namesz + 3) & ~3u);
			char bid[41];

			if (desc + n->n_descsz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && n->n_descsz <= 20 &&
			    !memcmp(p + sizeof(*n), "GNU", 4)) {
				for (uint32_t k = 0; k < n->n_descsz; k++)
					snprintf(bid + 2 * k, 3, "%02x", desc[k]);
				tt_rec_stacks__know(s, info->dlpi_name, bid);
				return 0;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

struct tt_rec_stacks *tt_rec_stacks__new(tt_rec_stacks_mark_fn mark, void *mark_ctx)
{
	struct tt_rec_stacks *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->gen = 1;
	s->mark = mark;
	s->mark_ctx = mark_ctx;
	dl_iterate_phdr(know_own_object, s);
	return s;
}

static void maps_free(struct pid_maps *p)
{
	for (size_t i = 0; i < p->cnt; i++)
		free(p->maps[i].path);
	free(p->maps);
	memset(p, 0, sizeof(*p));
}

void tt_rec_stacks__free(struct tt_rec_stacks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < PIDS_CACHED; i++)
		maps_free(&s->pids[i]);
	for (size_t i = 0; i < s->mod_cnt; i++) {
		struct module *m = &s->mods[i];

		free(m->path);
		free(m->build_id);
		if (m->eh)
			dwarf_cfi_end(m->eh);
		dwarf_end(m->dw);
		elf_end(m->elf);
		if (m->fd >= 0 && m->cfi_tried)
			close(m->fd);
	}
	free(s->mods);
	tt_ksyms__free(s->ks);
	free(s->ksym_gen);
	free(s->stacks);
	free(s->frames);
	tt_hidx_free(&s->ix);
	free(s);
}

/* Read pid's file-backed mappings into p (replacing what it held). 0 or -errno. */
static int maps_read(struct pid_maps *p, uint32_t pid)
{
	char path[64], *line = NULL;
	size_t line_cap = 0, cap = 0;
	FILE *f;
	int err = 0;

	maps_free(p);
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &line_cap, f) > 0) {
		unsigned long long start, end, off, ino;
		unsigned maj, min;
		int name_at = 0;
		char perms[8];
		struct mapping *m;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj,
			   &min, &ino, &name_at) < 7 || !ino || perms[2] != 'x' || !name_at)
			continue;
		line[strcspn(line, "\n")] = 0;
		err = tt_grow((void **)&p->maps, &cap, p->cnt + 1, sizeof(*p->maps));
		if (err)
			break;
		m = &p->maps[p->cnt];
		*m = (struct mapping){.start = start, .end = end, .pgoff = off,
				      .dev = makedev(maj, min), .ino = ino, .path = strdup(line + name_at)};
		if (!m->path) {
			err = -ENOMEM;
			break;
		}
		p->cnt++;
	}
	free(line);
	fclose(f);
	return err;
}

/* pid's cached maps, read now when not cached or when fresh is set; NULL when unreadable. */
static struct pid_maps *maps_of(struct tt_rec_stacks *s, uint32_t pid, int fresh)
{
	struct pid_maps *victim = &s->pids[0];

	for (size_t i = 0; i < PIDS_CACHED; i++) {
		struct pid_maps *p = &s->pids[i];

		if (p->pid == pid && p->maps) {
			p->used = ++s->clock;
			if (fresh && maps_read(p, pid))
				return NULL;
			return p;
		}
		if (p->used < victim->used)
			victim = p;
	}
	if (maps_read(victim, pid))
		return NULL;
	victim->used = ++s->clock;
	if (s->mark) /* from now on its stacks may come as bare addresses */
		s->mark(s->mark_ctx, pid);
	return victim;
}

/* A new module; its id, or 0 when out of memory. */
static uint32_t add_module(struct tt_rec_stacks *s, const char *path, const char *bid,
			   uint64_t dev, uint64_t ino)
{
	struct module *mod;

	if (tt_grow((void **)&s->mods, &s->mod_cap, s->mod_cnt + 1, sizeof(*s->mods)))
		return 0;
	mod = &s->mods[s->mod_cnt];
	*mod = (struct module){.dev = dev, .ino = ino, .path = strdup(path),
			       .build_id = bid ? strdup(bid) : NULL};
	if (!mod->path || (bid && !mod->build_id)) {
		free(mod->path);
		free(mod->build_id);
		return 0;
	}
	return (uint32_t)++s->mod_cnt;
}

/*
 * The module of the file with build id bid (hex) that pid maps: known already, else found
 * among pid's mappings, else described by its build id alone (path "": `load` looks for it
 * by build id). 0 when out of memory.
 */
static uint32_t module_by_bid(struct tt_rec_stacks *s, uint32_t pid, const char *bid)
{
	struct pid_maps *p;

	for (size_t i = 0; i < s->mod_cnt; i++)
		if (s->mods[i].build_id && !strcmp(s->mods[i].build_id, bid))
			return (uint32_t)i + 1;
	p = maps_of(s, pid, 0);
	for (size_t i = 0; p && i < p->cnt; i++) {
		uint32_t id = module_of(s, pid, &p->maps[i]);

		if (id && s->mods[id - 1].build_id && !strcmp(s->mods[id - 1].build_id, bid))
			return id;
	}
	return add_module(s, "", bid, 0, 0);
}

/* The module id of mapping m of process pid (described on first use). 0 on failure. */
static uint32_t module_of(struct tt_rec_stacks *s, uint32_t pid, struct mapping *m)
{
	char open_path[PATH_MAX + 64], bid[64];
	struct tt_elf *elf;
	struct module *mod;

	if (m->module)
		return m->module;
	for (size_t i = 0; i < s->mod_cnt; i++) {
		if (s->mods[i].dev == m->dev && s->mods[i].ino == m->ino &&
		    !strcmp(s->mods[i].path, m->path))
			return m->module = (uint32_t)i + 1;
	}
	/* Through the process's root, so that a file of another mount namespace is the one read. */
	snprintf(open_path, sizeof(open_path), "/proc/%u/root%s", pid, m->path);
	elf = tt_elf__open(open_path);
	if (!elf && errno == ENOENT) /* the process is gone: the file is likely ours too */
		elf = tt_elf__open(m->path);
	if (!elf || tt_elf__build_id(elf, bid, sizeof(bid)))
		bid[0] = 0;
	tt_elf__free(elf);
	/* the file may be known by its build id already (a probe's binary, or a stack placed by
	 * the kernel): one module per file */
	for (size_t i = 0; bid[0] && i < s->mod_cnt; i++) {
		mod = &s->mods[i];
		if (mod->build_id && !strcmp(mod->build_id, bid)) {
			if (!mod->path[0]) { /* its path was unknown until now */
				char *p = strdup(m->path);

				if (p) {
					free(mod->path);
					mod->path = p;
				}
			}
			mod->dev = m->dev;
			mod->ino = m->ino;
			return m->module = (uint32_t)i + 1;
		}
	}
	return m->module = add_module(s, m->path, bid[0] ? bid : NULL, m->dev, m->ino);
}

/* The module of the kernel's frames in owner (NULL: vmlinux), described on first use; 0 on failure. */
static uint32_t kernel_module(struct tt_rec_stacks *s, const char *owner)
{
	char path[300], bid[64];
	uint32_t id;

	for (size_t i = 0; i < s->mod_cnt; i++)
		if (s->mods[i].kernel && s->mods[i].kernel_owner == owner)
			return (uint32_t)i + 1;
	snprintf(path, sizeof(path), "[%s]", owner ? owner : "kernel");
	id = add_module(s, path, tt_ksyms__build_id(s->ks, owner, bid, sizeof(bid)) ? NULL : bid,
			0, 0);
	if (id) {
		s->mods[id - 1].kernel = 1;
		s->mods[id - 1].kernel_owner = owner;
	}
	return id;
}

/*
 * Place a kernel address: the module of the function that holds it and its offset from _text.
 * Module 0 when it is in no function (the caller ends the stack there: a kernel address is
 * never kept as is).
 */
static struct tt_stack_frame kernel_place(struct tt_rec_stacks *s, uint64_t ip)
{
	int64_t idx = tt_ksyms__find(s->ks, ip);
	struct tt_ksym sym;

	if (idx < 0 || ip < tt_ksyms__text(s->ks))
		return (struct tt_stack_frame){0};
	tt_ksyms__sym(s->ks, (size_t)idx, &sym);
	return (struct tt_stack_frame){.module = kernel_module(s, sym.owner),
				       .offset = ip - tt_ksyms__text(s->ks)};
}

/*
 * A kernel stack walked from the BPF program itself (TT_KSTACK_FROM_BPF): how many of its n
 * frames are the program and its callers, up to and including trace_call_bpf(), which runs the
 * tracepoint's programs; 0 when it is not there (then all are kept).
 */
static uint32_t bpf_callers(struct tt_rec_stacks *s, const uint8_t *frames, uint32_t n)
{
	for (uint32_t i = 0; i < n && i < 16; i++) {
		struct tt_ksym sym;
		uint64_t ip;
		int64_t idx;

		memcpy(&ip, frames + 8 * i, 8);
		idx = tt_ksyms__find(s->ks, ip);
		if (idx < 0)
			continue;
		tt_ksyms__sym(s->ks, (size_t)idx, &sym);
		if (!sym.owner && !strcmp(sym.name, "trace_call_bpf"))
			return i + 1;
	}
	return 0;
}

/* Place ip: the file and offset of pid's mapping that holds it, else module 0 and ip itself. */
static struct tt_stack_frame place(struct tt_rec_stacks *s, uint32_t pid, uint64_t ip, int *fresh)
{
	for (int round = 0; round < 2; round++) {
		struct pid_maps *p = maps_of(s, pid, round && !*fresh);

		if (round)
			*fresh = 1; /* read again at most once per stack */
		for (size_t i = 0; p && i < p->cnt; i++) {
			struct mapping *m = &p->maps[i];
			uint32_t mod;

			if (ip < m->start || ip >= m->end)
				continue;
			mod = module_of(s, pid, m);
			if (mod)
				return (struct tt_stack_frame){.module = mod,
							       .offset = ip - m->start + m->pgoff};
			break;
		}
		if (*fresh)
			break;
	}
	return (struct tt_stack_frame){.module = 0, .offset = ip};
}

/*
 * A process gone before the recorder read its maps, whose stack the kernel could not place by
 * build id (the file has none the kernel sees: Go's linker writes none, or, asked with -B,
 * one outside the PT_NOTE segment the kernel reads): when its first frame (the probe's site)
 * lies in a probe binary linked at fixed addresses, so does every frame within that binary's
 * executable segments, since such a file is mapped at its link-time addresses. The module so
 * found (0: none, or more than one), its file offset of ip in *off.
 */
static uint32_t fixed_module(const struct tt_rec_stacks *s, uint64_t ip, uint64_t *off)
{
	uint32_t found = 0;

	for (size_t i = 0; i < s->mod_cnt; i++) {
		const struct module *m = &s->mods[i];

		for (size_t k = 0; m->fixed && k < m->load_cnt; k++) {
			if (ip < m->loads[k].vaddr || ip - m->loads[k].vaddr >= m->loads[k].filesz)
				continue;
			if (found)
				return 0;
			found = (uint32_t)i + 1;
			*off = ip - m->loads[k].vaddr + m->loads[k].off;
		}
	}
	return found;
}

struct cur_key {
	const struct tt_rec_stacks *s;
};

static bool stack_eq(const void *ctx, uint32_t idx)
{
	const struct tt_rec_stacks *s = ((const struct cur_key *)ctx)->s;
	const struct stack *st = &s->stacks[idx];

	return st->n == s->cur_n &&
	       !memcmp(&s->frames[st->first], s->cur, s->cur_n * sizeof(*s->cur));
}

/* Describe stack id (and its files) to w, if this tape has not had it yet. */
static int describe(struct tt_rec_stacks *s, uint32_t id, struct tt_tape_writer *w)
{
	struct stack *st = &s->stacks[id - 1];
	const struct tt_stack_frame *f = &s->frames[st->first];
	int err;

	if (st->gen == s->gen)
		return 0;
	for (uint32_t i = 0; i < st->n; i++) {
		struct module *m = f[i].module ? &s->mods[f[i].module - 1] : NULL;

		if (m && m->gen != s->gen) {
			err = tt_tape_writer__add_stack_module(w, f[i].module, m->path, m->build_id);
			if (err)
				return err;
			m->gen = s->gen;
		}
		if (m && m->kernel) { /* the function's name: the reader has no file to read */
			uint64_t text = tt_ksyms__text(s->ks);
			int64_t idx = tt_ksyms__find(s->ks, text + f[i].offset);
			struct tt_ksym sym;

			if (idx < 0 || s->ksym_gen[idx] == s->gen)
				continue;
			tt_ksyms__sym(s->ks, (size_t)idx, &sym);
			err = tt_tape_writer__add_stack_symbol(w, f[i].module, sym.addr - text, sym.size,
							       sym.name);
			if (err)
				return err;
			s->ksym_gen[idx] = s->gen;
		}
	}
	err = tt_tape_writer__add_stack(w, id, f, st->n);
	if (!err)
		st->gen = s->gen;
	return err;
}

/* ---- --stack-mode dwarf: unwinding a copy of the stack with the files' CFI ---- */

/* Open module m's CFI (once), through process pid's root. 0 when it has none. */
static int module_cfi(struct module *m, uint32_t pid)
{
	char open_path[PATH_MAX + 64];
	size_t phnum = 0;

	if (m->cfi_tried)
		return m->eh || m->dbg;
	m->cfi_tried = 1;
	snprintf(open_path, sizeof(open_path), "/proc/%u/root%s", pid, m->path);
	m->fd = open(open_path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0)
		m->fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	m->elf = elf_begin(m->fd, ELF_C_READ_MMAP, NULL);
	if (!m->elf || elf_getphdrnum(m->elf, &phnum))
		return 0;
	for (size_t k = 0; !m->fixed && k < phnum && m->load_cnt < LOADS_MAX; k++) {
		GElf_Phdr ph;

		if (gelf_getphdr(m->elf, (int)k, &ph) && ph.p_type == PT_LOAD)
			m->loads[m->load_cnt++] = (struct load){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
	m->eh = dwarf_getcfi_elf(m->elf);
	m->dw = dwarf_begin_elf(m->elf, DWARF_C_READ, NULL); /* Go: .debug_frame only */
	m->dbg = m->dw ? dwarf_getcfi(m->dw) : NULL;
	return m->eh || m->dbg;
}

/* The CFI row of module m at file offset off (malloc'd), or NULL. */
static Dwarf_Frame *module_frame(struct module *m, uint32_t pid, uint64_t off)
{
	Dwarf_Frame *fr = NULL;

	if (!module_cfi(m, pid))
		return NULL;
	for (size_t k = 0; k < m->load_cnt; k++) {
		uint64_t pc = off - m->loads[k].off + m->loads[k].vaddr;

		if (off < m->loads[k].off || off >= m->loads[k].off + m->loads[k].filesz)
			continue;
		if ((m->eh && !dwarf_cfi_addrframe(m->eh, pc, &fr)) ||
		    (m->dbg && !dwarf_cfi_addrframe(m->dbg, pc, &fr)))
			return fr;
		return NULL;
	}
	return NULL;
}

struct copy {
	uint64_t sp; /* the address of mem[0] */
	const uint8_t *mem;
	size_t len;
};

/* The word at addr, from the copy; 0 when the copy does not hold it. */
static int copy_read(const struct copy *c, uint64_t addr, uint64_t *v)
{
	if (addr < c->sp || addr - c->sp > c->len || c->len - (addr - c->sp) < 8)
		return 0;
	memcpy(v, c->mem + (addr - c->sp), 8);
	return 1;
}

/*
 * One frame up from (pc, sp, bp) by the CFI row fr: the caller's pc, sp (the CFA) and bp.
 * Without a row (code without CFI: JIT code, or a file gone), by the frame pointer. 0 when the
 * rules are ones this unwinder does not follow (a CFA of another register or an expression)
 * or the words are not in the copy.
 */
static int unwind_step(Dwarf_Frame *fr, const struct copy *c, uint64_t *pc, uint64_t *sp,
		       uint64_t *bp)
{
	enum { RBP = 6, RSP = 7, RA = 16 };
	Dwarf_Op mem[3], *ops;
	size_t nops;
	int64_t ra_at, bp_at;
	uint64_t cfa, v;

	if (!fr) {
		if (!*bp || !copy_read(c, *bp + 8, pc) || !copy_read(c, *bp, &v))
			return 0;
		*sp = *bp + 16;
		*bp = v;
		return 1;
	}
	if (dwarf_frame_cfa(fr, &ops, &nops) || nops != 1)
		return 0;
	if (ops[0].atom == DW_OP_bregx && (ops[0].number == RSP || ops[0].number == RBP))
		cfa = (ops[0].number == RSP ? *sp : *bp) + ops[0].number2;
	else if (ops[0].atom == DW_OP_breg0 + RSP || ops[0].atom == DW_OP_breg0 + RBP)
		cfa = (ops[0].atom == DW_OP_breg0 + RSP ? *sp : *bp) + ops[0].number;
	else
		return 0;
	if (dwarf_frame_register(fr, RA, mem, &ops, &nops) || !cfa_plus(ops, nops, &ra_at) ||
	    !copy_read(c, cfa + (uint64_t)ra_at, pc))
		return 0;
	if (dwarf_frame_register(fr, RBP, mem, &ops, &nops))
		return 0;
	if (ops || nops) { /* saved at CFA + N; else "same value": unchanged */
		if (!cfa_plus(ops, nops, &bp_at) || !copy_read(c, cfa + (uint64_t)bp_at, bp))
			*bp = 0;
	}
	*sp = cfa;
	return 1;
}

/* The frames of a TT_STACK_COPY record into s->cur, placed in pid's files as they are met. */
static void unwind_copy(struct tt_rec_stacks *s, uint32_t pid, const struct tt_stack_regs *r,
			const struct copy *c, int *fresh)
{
	uint64_t pc = r->ip, sp = r->sp, bp = r->bp;

	s->cur_n = 0;
	while (pc && s->cur_n < TT_STACK_MAX_FRAMES) {
		struct tt_stack_frame f = place(s, pid, pc, fresh);
		Dwarf_Frame *fr = NULL;
		uint64_t prev_sp = sp;
		int ok;

		s->cur[s->cur_n++] = f;
		/* a return address is the instruction after the call: its row is the call's */
		if (f.module)
			fr = module_frame(&s->mods[f.module - 1], pid, f.offset - (s->cur_n > 1));
		ok = unwind_step(fr, c, &pc, &sp, &bp);
		free(fr);
		if (!ok || sp <= prev_sp)
			break;
	}
}

int tt_rec_stacks__on_ring(struct tt_rec_stacks *s, const void *data, size_t size,
			   struct tt_tape_writer *w)
{
	struct tt_ring_stack hdr;
	const uint8_t *frames = (const uint8_t *)data + offsetof(struct tt_ring_stack, frames);
	struct tt_stack_frame fixed_ra = {0};
	struct cur_key key = {s};
	uint32_t h, id, fixed;
	uint64_t off;
	int64_t found;
	size_t each;
	int fresh = 0, err;

	if (size < offsetof(struct tt_ring_stack, frames))
		return -EBADMSG;
	memcpy(&hdr, data, offsetof(struct tt_ring_stack, frames));
	if (hdr.form == TT_STACK_KERNEL) {
		if (hdr.hdr.type != TT_RING_STACK || !s->ks || hdr.nr == 0 ||
		    hdr.nr > TT_STACK_MAX_FRAMES || hdr.hdr.size != size ||
		    size != offsetof(struct tt_ring_stack, frames) + 8 * (size_t)hdr.nr)
			return -EBADMSG;
		s->cur_n = 0;
		for (uint32_t i = hdr.sp_ret == TT_KSTACK_FROM_BPF ? bpf_callers(s, frames, hdr.nr) : 0;
		     i < hdr.nr; i++) {
			uint64_t ip;

			memcpy(&ip, frames + 8 * i, 8);
			if (!ip || !(s->cur[s->cur_n] = kernel_place(s, ip)).module)
				break;
			s->cur_n++;
		}
		goto intern;
	}
	if (hdr.form == TT_STACK_COPY) {
		struct tt_stack_regs regs;
		struct copy c;

		/* reserved at its largest: the record holds hdr.size bytes of it */
		if (hdr.hdr.type != TT_RING_STACK || hdr.nr > TT_STACK_COPY_MAX ||
		    hdr.hdr.size > size ||
		    hdr.hdr.size != offsetof(struct tt_ring_stack, frames) + sizeof(regs) + hdr.nr)
			return -EBADMSG;
		memcpy(&regs, frames, sizeof(regs));
		c = (struct copy){.sp = regs.sp, .mem = frames + sizeof(regs), .len = hdr.nr};
		unwind_copy(s, hdr.hdr.pid, &regs, &c, &fresh);
		goto intern;
	}
	each = hdr.form == TT_STACK_IPS ? 8 : sizeof(struct tt_stack_bid);
	if (hdr.hdr.type != TT_RING_STACK || hdr.nr == 0 || hdr.nr > TT_STACK_MAX_FRAMES ||
	    hdr.form > TT_STACK_IPS || hdr.hdr.size != size ||
	    size != offsetof(struct tt_ring_stack, frames) + each * hdr.nr)
		return -EBADMSG;
	s->cur_n = 0;
	for (uint32_t i = 0; hdr.form == TT_STACK_IPS && i < hdr.nr; i++) {
		uint64_t ip;

		memcpy(&ip, frames + 8 * i, 8);
		if (!ip)
			break;
		s->cur[s->cur_n++] = place(s, hdr.hdr.pid, ip, &fresh);
	}
	/* read the process's mappings once while it lives: its next stacks come bare (cheaper) */
	if (hdr.form != TT_STACK_IPS)
		maps_of(s, hdr.hdr.pid, 0);
	for (uint32_t i = 0; hdr.form != TT_STACK_IPS && i < hdr.nr; i++) {
		struct tt_stack_bid f;
		char bid[41];
		size_t len = sizeof(f.build_id);

		memcpy(&f, frames + sizeof(f) * i, sizeof(f));
		if (f.status == TT_STACK_BID_VALID) {
			/* GNU build ids are 20 bytes (sha1) or shorter, zero-padded by the kernel */
			while (len > 1 && !f.build_id[len - 1])
				len--;
			for (size_t k = 0; k < len; k++)
				snprintf(bid + 2 * k, 3, "%02x", f.build_id[k]);
			s->cur[s->cur_n] = (struct tt_stack_frame){
				.module = module_by_bid(s, hdr.hdr.pid, bid), .offset = f.offset};
			if (!s->cur[s->cur_n].module)
				return -ENOMEM;
			s->cur_n++;
		} else if (f.status == TT_STACK_BID_IP && f.offset) {
			s->cur[s->cur_n++] = place(s, hdr.hdr.pid, f.offset, &fresh);
		} else {
			break;
		}
	}
	/* a process gone before its maps were read (fixed_module()) */
	fixed = s->cur_n && !s->cur[0].module ? fixed_module(s, s->cur[0].offset, &off) : 0;
	for (uint32_t i = 0; fixed && i < s->cur_n; i++)
		if (!s->cur[i].module && fixed_module(s, s->cur[i].offset, &off) == fixed)
			s->cur[i] = (struct tt_stack_frame){.module = fixed, .offset = off};
	if (fixed && hdr.sp_ret && fixed_module(s, hdr.sp_ret, &off) == fixed)
		fixed_ra = (struct tt_stack_frame){.module = fixed, .offset = off};
	if (s->cur_n && hdr.sp_ret) {
		/*
		 * The caller that a walk from a function's entry or RET skips (kernels from 6.11
		 * add it themselves at a uprobe on a function's first instruction: then it is
		 * frame 1 already). Inserted only where it can be placed.
		 */
		struct tt_stack_frame f = fixed_ra.module ? fixed_ra
							  : place(s, hdr.hdr.pid, hdr.sp_ret, &fresh);

		if (f.module && !(s->cur_n > 1 && s->cur[1].module == f.module &&
				  s->cur[1].offset == f.offset)) {
			memmove(&s->cur[2], &s->cur[1], (s->cur_n - 1) * sizeof(s->cur[0]));
			s->cur[1] = f;
			s->cur_n++;
		}
	}
intern:
	if (!s->cur_n)
		return 0;
	h = (uint32_t)tt_hash_bytes(s->cur, s->cur_n * sizeof(*s->cur), s->cur_n);
	found = tt_hidx_find(&s->ix, h, stack_eq, &key);
	if (found < 0) {
		if (tt_grow((void **)&s->stacks, &s->stack_cap, s->stack_cnt + 1, sizeof(*s->stacks)) ||
		    tt_grow((void **)&s->frames, &s->frame_cap, s->frame_cnt + s->cur_n,
			    sizeof(*s->frames)))
			return -ENOMEM;
		memcpy(&s->frames[s->frame_cnt], s->cur, s->cur_n * sizeof(*s->cur));
		s->stacks[s->stack_cnt] = (struct stack){.first = s->frame_cnt, .n = s->cur_n};
		s->frame_cnt += s->cur_n;
		err = tt_hidx_add(&s->ix, h, (uint32_t)s->stack_cnt);
		if (err)
			return err;
		found = (int64_t)s->stack_cnt++;
	}
	id = (uint32_t)found + 1;
	err = describe(s, id, w);
	if (err)
		return err;
	s->pend[s->pend_next++ % PENDING] = (struct pending){.ts = hdr.hdr.ts_ns,
							      .tid = hdr.hdr.tid, .id = id};
	return 0;
}

uint32_t tt_rec_stacks__take(struct tt_rec_stacks *s, uint32_t tid, uint64_t ts_ns)
{
	/* Newest first: the hit's stack was sent just before it. */
	for (uint32_t k = 1; k <= PENDING; k++) {
		struct pending *p = &s->pend[(s->pend_next - k) % PENDING];

		if (p->id && p->tid == tid && p->ts == ts_ns) {
			uint32_t id = p->id;

			p->id = 0;
			return id;
		}
	}
	return 0;
}

void tt_rec_stacks__new_tape(struct tt_rec_stacks *s)
{
	s->gen++;
}

void tt_rec_stacks__forget(struct tt_rec_stacks *s, uint32_t pid)
{
	for (size_t i = 0; i < PIDS_CACHED; i++)
		if (s->pids[i].pid == pid)
			maps_free(&s->pids[i]);
}

/* If module m's file is an executable linked at fixed addresses, note its executable segments. */
static void know_fixed(struct module *m)
{
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	Elf *elf = fd < 0 ? NULL : elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t phnum = 0;
	GElf_Ehdr eh;

	if (elf && gelf_getehdr(elf, &eh) && eh.e_type == ET_EXEC && !elf_getphdrnum(elf, &phnum)) {
		for (size_t k = 0; k < phnum && m->load_cnt < LOADS_MAX; k++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)k, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_flags & PF_X))
				m->loads[m->load_cnt++] =
					(struct load){ph.p_offset, ph.p_filesz, ph.p_vaddr};
		}
		m->fixed = m->load_cnt > 0;
	}
	elf_end(elf);
	if (fd >= 0)
		close(fd);
}

int tt_rec_stacks__know(struct tt_rec_stacks *s, const char *path, const char *build_id)
{
	struct stat st;
	uint32_t id;

	/* without a build id, by the file's identity, as module_of() finds the files mapped */
	if (!build_id && stat(path, &st))
		return 0;
	for (size_t i = 0; i < s->mod_cnt; i++) {
		if (build_id ? s->mods[i].build_id && !strcmp(s->mods[i].build_id, build_id)
			     : s->mods[i].dev == st.st_dev && s->mods[i].ino == st.st_ino &&
				       !strcmp(s->mods[i].path, path))
			return 0;
	}
	id = build_id ? add_module(s, path, build_id, 0, 0)
		      : add_module(s, path, NULL, st.st_dev, st.st_ino);
	if (!id)
		return -ENOMEM;
	elf_version(EV_CURRENT);
	know_fixed(&s->mods[id - 1]);
	return 0;
}

int tt_rec_stacks__kernel(struct tt_rec_stacks *s, struct tt_ksyms *ks)
{
	s->ksym_gen = calloc(tt_ksyms__cnt(ks) + 1, sizeof(*s->ksym_gen));
	if (!s->ksym_gen) {
		tt_ksyms__free(ks);
		return -ENOMEM;
	}
	s->ks = ks;
	return 0;
}

uint32_t tt_rec_stacks__cnt(const struct tt_rec_stacks *s)
{
	return (uint32_t)s->stack_cnt;
}
