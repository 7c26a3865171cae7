/* SPDX-License-Identifier: MIT */
/*
 * Probes of generated Go packages (see go_probes.h; the layout is schemas/GO_PROBES.md): the
 * descriptors are found by their magic in the file bytes of the writable PT_LOAD segments
 * (a Go variable with an initial value lives there, in .noptrdata), checked field by field,
 * and each probe line of their text becomes a USDT site whose argument string is written
 * here and parsed by usdt_args.c like a note's. Functions are looked up in the pclntab by
 * their package-qualified name's last element, which embeds the package's token: two packages
 * made from different provider files cannot share one.
 */
#include <errno.h>
#include <gelf.h>
#include <linux/types.h> /* the __u8.. of record.h, which attach.h includes */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h" /* tt_reg_pt_regs_off() */
#include "go_gen.h"
#include "tt_go_pclntab.h"
#include "go_probes.h"
#include "tt_error.h"
#include "tt_util.h"

#define MAX_LINE_ARGS TT_MAX_ARGS
#define MAX_ARG_OFF 4096 /* an ABI0 frame of 12 arguments is at most 288 bytes */
#define TT_GO_MAX_FUNC_SZ 512 /* 12 loads and the site fit in far less */

/* A descriptor kind: its kind byte and stapsdt size token ("-4", "8f"). */
static const struct {
	const char *name;
	uint8_t kind;
	const char *spec;
} kinds[] = {
	{"i8", TT_KIND_S8, "-1"},   {"i16", TT_KIND_S16, "-2"},	 {"i32", TT_KIND_S32, "-4"},
	{"i64", TT_KIND_S64, "-8"}, {"u8", TT_KIND_U8, "1"},	 {"u16", TT_KIND_U16, "2"},
	{"u32", TT_KIND_U32, "4"},  {"u64", TT_KIND_U64, "8"},	 {"f32", TT_KIND_F32, "4f"},
	{"f64", TT_KIND_F64, "8f"}, {"ptr", TT_KIND_PTR, "8"},	 {"str", TT_KIND_BYTES, "8"},
	{"bytes", TT_KIND_BYTES, "8"},
};

/* The pclntab of the image, or -ENOENT when it has none. */
static int open_pclntab(const uint8_t *img, size_t img_sz, Elf *elf, const struct tt_elf_segs *segs,
			struct tt_go_pclntab *t, char *errbuf, size_t errbuf_sz)
{
	const uint8_t *tab = NULL;
	uint64_t text_addr = 0;
	size_t shstrndx, tab_sz = 0;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -ENOENT;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(name, ".text"))
			text_addr = sh.sh_addr;
		if (strcmp(name, ".gopclntab") && strcmp(name, ".data.rel.ro.gopclntab"))
			continue;
		if (sh.sh_type == SHT_NOBITS || sh.sh_offset > img_sz || sh.sh_size > img_sz - sh.sh_offset)
			continue;
		tab = img + sh.sh_offset;
		tab_sz = sh.sh_size;
	}
	if (!tab)
		return -ENOENT;
	return tt_go_pclntab_open(t, tab, tab_sz, segs, text_addr, errbuf, errbuf_sz);
}

/* The registers a generated function loads arguments into, in order (GO_PROBES.md). */
static const struct {
	const char *name;
	enum tt_reg reg;
} arg_regs[] = {
	{"rax", TT_REG_RAX}, {"rbx", TT_REG_RBX}, {"rcx", TT_REG_RCX}, {"rdx", TT_REG_RDX},
	{"rsi", TT_REG_RSI}, {"rdi", TT_REG_RDI}, {"r8", TT_REG_R8},   {"r9", TT_REG_R9},
	{"r10", TT_REG_R10}, {"r11", TT_REG_R11}, {"r12", TT_REG_R12}, {"r13", TT_REG_R13},
};

/* The index in arg_regs of the register named name (len bytes), or -1. */
static int arg_reg(const char *name, size_t len)
{
	for (size_t i = 0; i < TT_ARRAY_SIZE(arg_regs); i++)
		if (strlen(arg_regs[i].name) == len && !memcmp(arg_regs[i].name, name, len))
			return (int)i;
	return -1;
}

/* The link-time address of the function whose name ends in "." fn, or 0; its size in *size. */
static uint64_t find_func(const struct tt_go_pclntab *t, const char *fn, uint64_t *size)
{
	size_t fn_len = strlen(fn);

	for (uint64_t i = 0; i < t->nfunc; i++) {
		struct tt_go_pcln_func f;
		size_t n;

		if (tt_go_pclntab_func(t, i, 1, &f, NULL, 0))
			return 0;
		n = strlen(f.name);
		if (n > fn_len && f.name[n - fn_len - 1] == '.' && !strcmp(f.name + n - fn_len, fn)) {
			*size = f.size;
			return f.vaddr;
		}
	}
	return 0;
}

static int grow_sites(struct tt_usdt_file *file, size_t more)
{
	struct tt_usdt_site *n = realloc(file->sites, (file->site_cnt + more) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	file->sites = n;
	memset(&n[file->site_cnt], 0, more * sizeof(*n));
	return 0;
}

/*
 * One probe line "PROVIDER NAME FUNC KIND@OFF[=REG[,REG]]:ARGNAME..." into site s (zeroed): all
 * but the addresses. Returns 0, -ENOMEM, or -TT_E_BAD_ELF with the reason.
 */
static int parse_line(char *line, struct tt_usdt_site *s, char **fn, char *errbuf, size_t errbuf_sz)
{
	char *save = NULL, *tok[3], *a;
	struct tt_buf spec = {0};
	char msg[128];
	int err = 0;

	for (int i = 0; i < 3; i++) {
		tok[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!tok[i]) {
			tt_msgf(errbuf, errbuf_sz, "a Go probe descriptor line has no %s",
				i == 0 ? "provider" : i == 1 ? "probe name" : "function");
			return -TT_E_BAD_ELF;
		}
	}
	*fn = tok[2];
	while ((a = strtok_r(NULL, " ", &save))) {
		char *at = strchr(a, '@'), *colon = at ? strchr(at, ':') : NULL, *end, *comma;
		unsigned long off;
		int reg = -1, len_reg = -1, bad = 0;
		size_t k;

		if (s->argc == MAX_LINE_ARGS || !at || !colon || colon[1] == '\0') {
			tt_msgf(errbuf, errbuf_sz, "Go probe %s:%s: bad argument '%s'", tok[0], tok[1], a);
			err = -TT_E_BAD_ELF;
			goto cleanup;
		}
		*at = *colon = '\0';
		for (k = 0; k < TT_ARRAY_SIZE(kinds) && strcmp(kinds[k].name, a); k++)
			;
		errno = 0;
		off = strtoul(at + 1, &end, 10);
		if (*end == '=') {
			/* in a register (and a string's length in the next one) */
			comma = memchr(end + 1, ',', (size_t)(colon - end - 1));
			reg = arg_reg(end + 1, (size_t)((comma ? comma : colon) - end - 1));
			if (comma)
				len_reg = arg_reg(comma + 1, (size_t)(colon - comma - 1));
			bad = reg < 0 || (comma && len_reg != reg + 1) ||
			      (k < TT_ARRAY_SIZE(kinds) && (comma != NULL) != (kinds[k].kind == TT_KIND_BYTES));
			end = colon;
		}
		if (bad || k == TT_ARRAY_SIZE(kinds) || *end || end == at + 1 || errno ||
		    off > MAX_ARG_OFF) {
			tt_msgf(errbuf, errbuf_sz, "Go probe %s:%s: bad argument kind or offset '%s@%s'",
				tok[0], tok[1], a, at + 1);
			err = -TT_E_BAD_ELF;
			goto cleanup;
		}
		s->kinds[s->argc] = kinds[k].kind;
		s->arg_names[s->argc] = strdup(colon + 1);
		if (!s->arg_names[s->argc])
			err = -ENOMEM;
		s->argc++;
		if (!err && reg >= 0)
			err = tt_buf_printf(&spec, "%s%s@%%%s", spec.len ? " " : "", kinds[k].spec,
					    arg_regs[reg].name);
		else if (!err)
			err = tt_buf_printf(&spec, "%s%s@%lu(%%rsp)", spec.len ? " " : "", kinds[k].spec,
					    TT_GO_ARGS_AT + off);
		if (err)
			goto cleanup;
	}
	s->provider = strdup(tok[0]);
	s->name = strdup(tok[1]);
	s->args_str = strdup(spec.len ? (char *)spec.data : "");
	if (!s->provider || !s->name || !s->args_str) {
		err = -ENOMEM;
		goto cleanup;
	}
	s->has_types = 1;
	s->go_abi0 = 1;
	{
		uint8_t argc = 0;

		/* The spec we wrote parses, or this build is inconsistent: keep the site unusable. */
		s->spec_err = tt_usdt_parse_args(s->args_str, s->args, &argc, msg, sizeof(msg));
		if (s->spec_err || argc != s->argc) {
			s->spec_err = -TT_E_BAD_SPEC;
			s->spec_msg = strdup(msg);
		}
	}
cleanup:
	tt_buf_free(&spec);
	return err;
}

/* The descriptor at file offset off (vaddr vaddr, seg its segment): its probes into file. */
static int add_desc(const uint8_t *img, const struct tt_elf_seg *seg, uint64_t off,
		    const struct tt_go_pclntab *t, const struct tt_elf_segs *segs,
		    struct tt_usdt_file *file, char *errbuf, size_t errbuf_sz)
{
	uint64_t vaddr = off - seg->offset + seg->vaddr, end = seg->offset + seg->filesz;
	const uint8_t *d = img + off;
	uint32_t version, cnt, meta_len, goid_off;
	char *meta = NULL, *line, *save = NULL;
	size_t first = file->site_cnt;
	int err;

	if (end - off < TT_GO_DESC_HDR_SZ)
		goto bad;
	version = tt_get_le32(d + 8);
	cnt = tt_get_le32(d + 12);
	meta_len = tt_get_le32(d + 16);
	goid_off = tt_get_le32(d + 20);
	if (version != TT_GO_DESC_VERSION) {
		tt_msgf(errbuf, errbuf_sz, "a Go probe descriptor at 0x%llx has version %u, this "
			"tracetape reads version %d", (unsigned long long)vaddr, version, TT_GO_DESC_VERSION);
		return -TT_E_BAD_ELF;
	}
	if (!cnt || cnt > TT_GO_MAX_PROBES || meta_len > TT_GO_MAX_META ||
	    goid_off > TT_GO_MAX_GOID_OFF || end - off - TT_GO_DESC_HDR_SZ < 2ull * cnt + meta_len)
		goto bad;
	meta = strndup((const char *)d + TT_GO_DESC_HDR_SZ + 2 * cnt, meta_len);
	if (!meta)
		return -ENOMEM;
	if (strlen(meta) != meta_len || (meta_len && meta[meta_len - 1] != '\n'))
		goto bad;
	err = grow_sites(file, cnt);
	if (err)
		goto cleanup;
	for (line = strtok_r(meta, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct tt_usdt_site *s = &file->sites[file->site_cnt];
		size_t i = file->site_cnt - first;
		uint64_t fvaddr, fsize = 0, foff = 0; /* 0: the function is not in the file */
		const uint8_t *site;
		char *fn;

		if (i == cnt)
			goto bad;
		file->site_cnt++;
		err = parse_line(line, s, &fn, errbuf, errbuf_sz);
		if (err)
			goto cleanup;
		s->go_r15_goid_off = (uint16_t)goid_off;
		s->sema_vaddr = vaddr + TT_GO_DESC_HDR_SZ + 2 * i;
		s->sema_offset = off + TT_GO_DESC_HDR_SZ + 2 * i;
		fvaddr = find_func(t, fn, &fsize);
		if (!fvaddr) {
			/* Never called, so left out by the linker: nothing to attach to. The slot
			 * is the next line's, which parse_line() wants zeroed. */
			file->site_cnt--;
			tt_usdt_site_free(s);
			memset(s, 0, sizeof(*s));
			continue;
		}
		/* The site is the nop before the RET, after the loads into registers (0f 1f is no
		 * part of a MOV's encoding). */
		site = NULL;
		if (fsize > TT_GO_MAX_FUNC_SZ)
			fsize = TT_GO_MAX_FUNC_SZ;
		if (fsize >= TT_GO_SITE_SZ && !tt_elf_segs_offset(segs, fvaddr, fsize, &foff))
			site = memmem(img + foff, fsize, TT_GO_SITE_BYTES, TT_GO_SITE_SZ);
		if (!site) {
			s->spec_err = -TT_E_BAD_ELF;
			free(s->spec_msg);
			s->spec_msg = strdup("its function has no generated nop and RET");
			site = img + foff;
		}
		s->pc_vaddr = fvaddr + (uint64_t)(site - (img + foff));
		s->pc_offset = (uint64_t)(site - img);
	}
	if (file->site_cnt - first > cnt)
		goto bad;
	err = 0;
	goto cleanup;
bad:
	tt_msgf(errbuf, errbuf_sz, "a malformed Go probe descriptor at 0x%llx",
		(unsigned long long)vaddr);
	err = -TT_E_BAD_ELF;
cleanup:
	free(meta);
	return err;
}

int tt_go_probes_scan(const uint8_t *img, size_t img_sz, Elf *elf, const struct tt_elf_segs *segs,
		      struct tt_usdt_file *file, char *errbuf, size_t errbuf_sz)
{
	struct tt_go_pclntab t;
	bool have_tab = false;

	for (size_t i = 0; i < segs->cnt; i++) {
		const struct tt_elf_seg *seg = &segs->v[i];
		const uint8_t *p, *base, *lim;

		if (!(seg->flags & PF_W) || seg->offset > img_sz || seg->filesz > img_sz - seg->offset)
			continue;
		base = img + seg->offset;
		lim = base + seg->filesz;
		for (p = base; (p = memmem(p, (size_t)(lim - p), TT_GO_DESC_MAGIC, TT_GO_MAGIC_SZ));
		     p += TT_GO_MAGIC_SZ) {
			int err;

			/* Go aligns the variable to 8: anything else is a look-alike. */
			if ((p - img) % 8)
				continue;
			if (!have_tab) {
				err = open_pclntab(img, img_sz, elf, segs, &t, errbuf, errbuf_sz);
				if (err == -ENOENT)
					return 0; /* not a Go binary: the bytes are someone else's */
				if (err)
					return err;
				have_tab = true;
			}
			err = add_desc(img, seg, (uint64_t)(p - img), &t, segs, file, errbuf, errbuf_sz);
			if (err)
				return err;
		}
	}
	return 0;
}

int tt_go_probe_bpf_site(const struct tt_usdt_site *site, uint32_t goid_off,
			 struct tt_bpf_site *out)
{
	for (unsigned i = 0; i < out->argc && i < site->argc; i++) {
		struct tt_bpf_arg *a = &out->args[i];

		if (TT_KIND_CLASS(site->kinds[i]) != TT_CLASS_BYTES)
			continue;
		a->flags = TT_BPF_ARG_BYTES | (a->flags & TT_BPF_ARG_BASE);
		a->len_size = 8;
		if (site->args[i].loc == TT_LOC_REG) {
			/* the length is in the register after the pointer's */
			for (size_t r = 0; r + 1 < TT_ARRAY_SIZE(arg_regs); r++)
				if (arg_regs[r].reg == site->args[i].base)
					a->len_off = tt_reg_pt_regs_off(arg_regs[r + 1].reg);
			a->len_loc = TT_BPF_LOC_REG;
		} else {
			a->len_loc = TT_BPF_LOC_MEM;
			a->len_off = tt_reg_pt_regs_off(TT_REG_RSP);
			a->len_disp = (int32_t)(a->disp + 8);
		}
		out->flags |= TT_BPF_SITE_STRS;
	}
	if (goid_off) {
		/* R15 holds the id only if the function's offset is this binary's (a package
		 * built by a Go whose runtime.g the generator did not know reads it from g) */
		out->flags |= TT_BPF_SITE_GO;
		out->goid_off = site->go_r15_goid_off == goid_off ? TT_BPF_GOID_R15 : (uint16_t)goid_off;
	}
	return 0;
}
