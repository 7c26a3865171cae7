/* SPDX-License-Identifier: MIT */
/*
 * The probe set of a recording (see probe_set.h): which binaries, probes, BPF site specs and
 * tracepoints the session attaches, built from parsed probe specs.
 *
 * USDT sites come from a binary's .note.stapsdt, their argument kinds and names from the SDK's
 * type note or a provider file; uprobe specs match ELF function symbols; Go specs match
 * functions of a Go binary (entry on the stack check, exits on every RET); tracepoint specs
 * match tracefs events. Binaries are identified by inode, probes by (binary, type, provider,
 * name), and identical site specs of one probe are shared.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "attach.h"
#include "bpf_env.h"
#include "builtin_providers.h"
#include "elf_file.h"
#include "go_binary.h"
#include "probe_set.h"
#include "targets.h"
#include "tt_error.h"
#include "tt_util.h"
#include "usdt_notes.h"

struct binary {
	char *path;      /* as the user or the process knows it */
	char *open_path; /* how this process opens it */
	dev_t dev;
	ino_t ino;
	char build_id[41];
	struct tt_usdt_file *usdt; /* parsed notes, NULL until needed */
	int usdt_err;
	struct tt_elf *elf;        /* for symbols, NULL until needed */
	struct tt_go_binary *go;   /* Go analysis, NULL until needed */
	int go_err;
	uint64_t *offsets, *ref_ctrs, *cookies;
	size_t site_cnt, site_cap;
};

struct tt_probe_set {
	const struct tt_out *out;
	const struct tt_provider_file *schema; /* --schema, or NULL (borrowed) */
	const char *schema_path;
	struct binary *bins;
	size_t bin_cnt;
	struct tt_probe_set_probe *probes;
	size_t probe_cnt;
	struct tt_bpf_site *sites;
	size_t site_cnt;
	struct tt_probe_set_tp *tps;
	size_t tp_cnt;
	struct tt_buf skipped; /* "PROVIDER:NAME at 0xPC: why\n" per site that cannot be recorded */
	size_t skipped_cnt;
};

/* A site of a matching probe that cannot be recorded: warn, and keep it for the tape. */
static void skip_site(struct tt_probe_set *s, const char *path, const struct tt_usdt_site *site,
		      const char *why)
{
	tt_warn(s->out, "%s: skipping the site of %s:%s at 0x%llx (args '%s'): %s", path,
		site->provider, site->name, (unsigned long long)site->pc_vaddr,
		site->args_str ? site->args_str : "", why);
	tt_buf_printf(&s->skipped, "%s %s:%s at 0x%llx: %s\n", path, site->provider, site->name,
		      (unsigned long long)site->pc_vaddr, why);
	s->skipped_cnt++;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- binaries, probes and sites ---- */

static void binary_free(struct binary *b)
{
	free(b->path);
	free(b->open_path);
	tt_usdt_file__free(b->usdt);
	tt_elf__free(b->elf);
	tt_go_binary__free(b->go);
	free(b->offsets);
	free(b->ref_ctrs);
	free(b->cookies);
}

/* The index of the binary at open_path, added if new (files are identified by inode). */
static int add_binary(struct tt_probe_set *s, const char *path, const char *open_path, size_t *idx)
{
	struct binary *n, *b;
	struct stat st;

	if (stat(open_path, &st) != 0)
		return -errno;
	for (size_t i = 0; i < s->bin_cnt; i++) {
		if (s->bins[i].dev == st.st_dev && s->bins[i].ino == st.st_ino) {
			*idx = i;
			return 0;
		}
	}
	n = realloc(s->bins, (s->bin_cnt + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->bins = n;
	b = &n[s->bin_cnt];
	memset(b, 0, sizeof(*b));
	b->dev = st.st_dev;
	b->ino = st.st_ino;
	b->path = strdup(path);
	b->open_path = strdup(open_path);
	if (!b->path || !b->open_path) {
		free(b->path);
		free(b->open_path);
		return -ENOMEM;
	}
	*idx = s->bin_cnt++;
	return 0;
}

static int binary_usdt(struct tt_probe_set *s, struct binary *b)
{
	char msg[256] = "";

	if (b->usdt || b->usdt_err)
		return b->usdt_err;
	b->usdt_err = tt_usdt_file__open(b->open_path, &b->usdt, msg, sizeof(msg));
	if (b->usdt_err)
		tt_dbg(s->out, "%s: %s", b->path, msg[0] ? msg : tt_strerror(b->usdt_err));
	else if (b->usdt->build_id)
		snprintf(b->build_id, sizeof(b->build_id), "%s", b->usdt->build_id);
	return b->usdt_err;
}

static int binary_elf(struct binary *b)
{
	if (b->elf)
		return 0;
	b->elf = tt_elf__open(b->open_path);
	if (!b->elf)
		return -errno;
	if (!b->build_id[0])
		tt_elf__build_id(b->elf, b->build_id, sizeof(b->build_id));
	return 0;
}

static int add_site_to_binary(struct binary *b, uint64_t offset, uint64_t ref_ctr, uint64_t cookie)
{
	if (b->site_cnt == b->site_cap) {
		size_t cap = b->site_cap ? b->site_cap * 2 : 16;
		uint64_t *o = realloc(b->offsets, cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		b->offsets = o;
		o = realloc(b->ref_ctrs, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		b->ref_ctrs = o;
		o = realloc(b->cookies, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		b->cookies = o;
		b->site_cap = cap;
	}
	/* Two probes at one address would need two cookies at one offset: keep the first. */
	for (size_t i = 0; i < b->site_cnt; i++)
		if (b->offsets[i] == offset)
			return -EEXIST;
	b->offsets[b->site_cnt] = offset;
	b->ref_ctrs[b->site_cnt] = ref_ctr;
	b->cookies[b->site_cnt] = cookie;
	b->site_cnt++;
	return 0;
}

static void probe_free(struct tt_probe_set_probe *p)
{
	free((char *)p->d.provider);
	free((char *)p->d.name);
	free((char *)p->d.binary);
	free((char *)p->d.build_id);
	free((char *)p->d.arg_specs);
	for (int i = 0; i < TT_MAX_ARGS; i++)
		free((char *)p->d.arg_names[i]);
}

/* Find the probe (binary, provider, name) or add it; *created says which. */
static int find_or_add_probe(struct tt_probe_set *s, size_t bin, uint8_t type, const char *provider,
			     const char *name, uint32_t *id, int *created)
{
	struct tt_probe_set_probe *n, *p;

	*created = 0;
	for (size_t i = 0; i < s->probe_cnt; i++) {
		p = &s->probes[i];
		if (p->binary == bin && p->d.type == type && !strcmp(p->d.provider, provider) &&
		    !strcmp(p->d.name, name)) {
			*id = (uint32_t)i;
			return 0;
		}
	}
	n = realloc(s->probes, (s->probe_cnt + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->probes = n;
	p = &n[s->probe_cnt];
	memset(p, 0, sizeof(*p));
	p->binary = bin;
	p->d.id = (uint32_t)s->probe_cnt;
	p->d.type = type;
	p->d.provider = strdup(provider);
	p->d.name = strdup(name);
	if (bin != SIZE_MAX) {
		p->d.binary = strdup(s->bins[bin].path);
		p->d.build_id = s->bins[bin].build_id[0] ? strdup(s->bins[bin].build_id) : NULL;
	}
	if (!p->d.provider || !p->d.name || (bin != SIZE_MAX && !p->d.binary)) {
		probe_free(p);
		return -ENOMEM;
	}
	*id = p->d.id;
	*created = 1;
	s->probe_cnt++;
	return 0;
}

/* The spec id of site, reusing an identical spec already in the table. */
static int add_bpf_site(struct tt_probe_set *s, const struct tt_bpf_site *site, uint32_t *spec_id)
{
	struct tt_bpf_site *n;

	for (size_t i = s->site_cnt; i-- > 0;) {
		if (s->sites[i].probe_id != site->probe_id)
			break; /* sites of one probe are added together */
		if (!memcmp(&s->sites[i], site, sizeof(*site))) {
			*spec_id = (uint32_t)i;
			return 0;
		}
	}
	n = realloc(s->sites, (s->site_cnt + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->sites = n;
	n[s->site_cnt] = *site;
	*spec_id = (uint32_t)s->site_cnt++;
	return 0;
}

/*
 * A probe's argument kinds and names: the tracetape note's when the site has one; otherwise the
 * note's size and sign, with the class (string, pointer, float, counted string) and the names
 * of a provider file that declares the probe: the --schema file, else the built-in one
 * (schemas/providers/), whose declaration is used only when its argument count is the note's.
 */
static void set_probe_args_from_site(struct tt_probe_set *s, struct tt_probe_set_probe *p,
				     const struct tt_usdt_site *site)
{
	const struct tt_provider_probe *decl = NULL;
	const char *builtin = NULL;

	if (s->schema)
		decl = tt_provider_file__find(s->schema, site->provider, site->name);
	if (decl && decl->arg_cnt != site->argc)
		tt_warn(s->out, "%s: %s:%s has %u arguments, the provider file declares %u (line %u)",
			s->schema_path, site->provider, site->name, site->argc, decl->arg_cnt, decl->line);
	if (!decl && !site->has_types) {
		decl = tt_builtin_provider_find(site->provider, site->name, &builtin);
		if (decl && decl->arg_cnt != site->argc) {
			tt_info(s->out, "%s:%s has %u arguments, the built-in %s declares %u: not applied",
				site->provider, site->name, site->argc, builtin, decl->arg_cnt);
			decl = NULL;
		} else if (decl) {
			tt_dbg(s->out, "%s:%s: names and kinds from the built-in %s", site->provider,
			       site->name, builtin);
		}
	}
	p->d.argc = site->argc;
	p->d.arg_specs = xstrdup(site->args_str);
	for (unsigned i = 0; i < site->argc; i++) {
		const struct tt_provider_arg *a = decl && i < decl->arg_cnt ? &decl->args[i] : NULL;
		unsigned cls = a ? TT_KIND_CLASS(a->kind) : TT_CLASS_UNKNOWN;

		p->d.kinds[i] = site->kinds[i];
		if (site->has_types || !a)
			; /* the tracetape note (or the spec alone) says it all */
		else if (a->str.form && decl->arg_cnt == site->argc) {
			p->d.kinds[i] = a->kind; /* bytes, or a string behind pointers */
			p->strs[i] = a->str;
		} else if (cls == TT_CLASS_STR || cls == TT_CLASS_PTR) {
			p->d.kinds[i] = TT_KIND(cls, 8);
		} else if (cls == TT_CLASS_FLOAT) {
			p->d.kinds[i] = TT_KIND(cls, TT_KIND_SIZE(site->kinds[i]));
		} else if (cls == TT_CLASS_UINT || cls == TT_CLASS_SINT) {
			/* The declared sign, at the size the compiler passed (`unsigned int` for
			 * PostgreSQL's `4@%eax` is u32, not the spec's unsigned-or-unknown any32). */
			p->d.kinds[i] = TT_KIND(cls, site->args[i].size);
		}
		p->d.arg_names[i] = xstrdup(site->arg_names[i] ? site->arg_names[i] : a ? a->name : NULL);
		if (TT_KIND_IS_STR(p->d.kinds[i]))
			p->str_mask |= 1u << i;
	}
}

/* Turn the counted-string arguments of probe p into byte strings in site's specs. */
static int set_site_bytes(const struct tt_probe_set_probe *p, const struct tt_usdt_site *site,
			  struct tt_bpf_site *bsite, const char **why)
{
	for (unsigned i = 0; i < p->d.argc; i++) {
		int err;

		if (!p->strs[i].form)
			continue;
		err = tt_bpf_site_set_bytes(site, i, &p->strs[i], bsite, why);
		if (err)
			return err;
	}
	return 0;
}

/* Attach the USDT sites of binary bin that spec matches. Returns the number of probes. */
static int match_usdt(struct tt_probe_set *s, size_t bin, struct tt_probe_spec *spec,
		      size_t *probes)
{
	struct binary *b = &s->bins[bin];
	int err;

	*probes = 0;
	err = binary_usdt(s, b);
	if (err)
		return err;
	for (size_t i = 0; i < b->usdt->site_cnt; i++) {
		const struct tt_usdt_site *site = &b->usdt->sites[i];
		struct tt_bpf_site bsite;
		const char *why = NULL;
		uint32_t id, spec_id;
		int created;

		if (!tt_glob_match(spec->provider, site->provider) || !tt_glob_match(spec->name, site->name))
			continue;
		err = find_or_add_probe(s, bin, TT_PROBE_USDT, site->provider, site->name, &id, &created);
		if (err)
			return err;
		if (created) {
			set_probe_args_from_site(s, &s->probes[id], site);
			(*probes)++;
		}
		err = tt_bpf_site_from_usdt(site, id, s->probes[id].d.kinds, &bsite, &why);
		if (!err)
			err = set_site_bytes(&s->probes[id], site, &bsite, &why);
		if (err) {
			skip_site(s, b->path, site, why);
			continue;
		}
		if (bsite.argc != s->probes[id].d.argc) {
			skip_site(s, b->path, site, "its argument count differs from another site's");
			continue;
		}
		err = add_bpf_site(s, &bsite, &spec_id);
		if (err)
			return err;
		err = add_site_to_binary(b, site->pc_offset, site->sema_offset, spec_id);
		if (err == -EEXIST) {
			tt_warn(s->out, "%s: two probes at offset 0x%llx; recording only the first",
				b->path, (unsigned long long)site->pc_offset);
			continue;
		}
		if (err)
			return err;
		s->probes[id].site_cnt++;
	}
	return 0;
}

struct uprobe_match {
	struct tt_probe_set *s;
	size_t bin;
	const struct tt_probe_spec *spec;
	size_t probes;
	int err;
};

static int uprobe_sym_cb(const struct tt_elf_sym *sym, void *ctx)
{
	struct uprobe_match *m = ctx;
	struct tt_probe_set *s = m->s;
	struct binary *b = &s->bins[m->bin];
	struct tt_bpf_site bsite;
	uint32_t id, spec_id;
	uint64_t off;
	int created, err;

	if (sym->type != 2 /* STT_FUNC */ || !tt_glob_match(m->spec->name, sym->name))
		return 0;
	if (tt_elf__vaddr_to_offset(b->elf, sym->vaddr, &off))
		return 0;
	err = find_or_add_probe(s, m->bin, TT_PROBE_UPROBE, "uprobe", sym->name, &id, &created);
	if (err)
		goto fail;
	if (!created)
		return 0; /* the same name in .symtab and .dynsym */
	s->probes[id].d.argc = 6;
	for (int i = 0; i < 6; i++)
		s->probes[id].d.kinds[i] = TT_KIND_U64;
	tt_bpf_site_native_entry(id, &bsite);
	err = add_bpf_site(s, &bsite, &spec_id);
	if (err)
		goto fail;
	err = add_site_to_binary(b, off, 0, spec_id);
	if (err == -EEXIST)
		return 0; /* an alias of a function already probed */
	if (err)
		goto fail;
	s->probes[id].site_cnt++;
	m->probes++;
	return 0;
fail:
	m->err = err;
	return 1;
}

static int match_uprobe(struct tt_probe_set *s, size_t bin, struct tt_probe_spec *spec,
			size_t *probes)
{
	struct uprobe_match m = {s, bin, spec, 0, 0};
	int err = binary_elf(&s->bins[bin]);

	if (err)
		return err;
	tt_elf__for_each_sym(s->bins[bin].elf, uprobe_sym_cb, &m);
	*probes = m.probes;
	return m.err;
}

/* ---- Go functions ---- */

static int binary_go(struct tt_probe_set *s, struct binary *b)
{
	char msg[256] = "";

	if (b->go || b->go_err)
		return b->go_err;
	b->go = tt_go_binary__open(b->open_path, msg, sizeof(msg));
	if (!b->go) {
		b->go_err = -errno;
		tt_dbg(s->out, "%s: %s", b->path, msg[0] ? msg : tt_strerror(b->go_err));
	}
	return b->go_err;
}

/* A column name from a Go name: "~r0" -> "r0", ".dict" -> "dict", "s" + "len" -> "s_len". */
static char *go_column(const char *name, const char *piece)
{
	char buf[128], *p = buf;

	for (const char *q = name; *q && p < buf + sizeof(buf) - 1; q++) {
		int ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' ||
			 (*q >= '0' && *q <= '9');

		if (ok || (p > buf && p[-1] != '_'))
			*p++ = ok ? *q : '_';
	}
	if (piece && p < buf + sizeof(buf) - 2) {
		*p++ = '_';
		for (const char *q = piece; *q && p < buf + sizeof(buf) - 1; q++)
			*p++ = (*q == '.') ? '_' : *q;
	}
	while (p > buf && p[-1] == '_')
		p--;
	*p = '\0';
	if (!buf[0] || (buf[0] >= '0' && buf[0] <= '9'))
		return NULL;
	return strdup(buf);
}

/*
 * A parameter that holds code the program will run or ran: a *runtime.funcval (the function a
 * goroutine starts at, runtime.newproc1's fn) or a uintptr named like a pc (its callerpc). Such
 * values are recorded as the name of the function they point into, so that goroutine creation
 * reads "main.checkSite.func1 created by main.checkSite".
 */
static int go_code_address(const struct tt_go_param *prm)
{
	size_t n = strlen(prm->name);

	if (prm->piece_cnt != 1)
		return 0;
	if (prm->go_kind == TT_GO_KIND_PTR && !strcmp(prm->type_name, "*runtime.funcval"))
		return prm->pieces[0].loc == TT_LOC_REG;
	return prm->go_kind == TT_GO_KIND_UINTPTR && n >= 2 && !strcmp(prm->name + n - 2, "pc");
}

static void go_piece_arg(const struct tt_go_piece *pc, struct tt_bpf_arg *a)
{
	a->size = pc->size;
	a->scale = 1;
	if (TT_KIND_CLASS(pc->tt_kind) == TT_CLASS_SINT)
		a->flags |= TT_BPF_ARG_SIGNED;
	if (pc->loc == TT_LOC_REG) {
		a->loc = TT_BPF_LOC_REG;
		a->base_off = tt_reg_pt_regs_off(pc->reg);
	} else {
		a->loc = TT_BPF_LOC_MEM;
		a->flags |= TT_BPF_ARG_BASE;
		a->base_off = tt_reg_pt_regs_off(TT_REG_RSP);
		a->disp = pc->disp;
	}
}

/*
 * The arguments of a Go probe: every readable parameter (entry) or result (return). A string
 * is one argument (its bytes); a slice, an interface or a small struct is one argument per
 * word ("b_ptr", "b_len", "b_cap"). Values in SSE registers cannot be read from BPF (pt_regs
 * holds no vector registers) and are left out, as are values beyond TT_MAX_ARGS words.
 */
static void go_args(struct tt_probe_set *s, const char *fn, const struct tt_go_param *params,
		    size_t cnt, struct tt_probe_set_probe *p, struct tt_bpf_site *site)
{
	for (size_t i = 0; i < cnt; i++) {
		const struct tt_go_param *prm = &params[i];
		int is_str = prm->go_kind == TT_GO_KIND_STRING && prm->piece_cnt == 2;
		unsigned words = is_str ? 1 : prm->piece_cnt;

		if (!prm->avail || !prm->piece_cnt) {
			tt_info(s->out, "%s: %s %s is not recorded (%s)", fn, prm->name, prm->type_name,
				prm->unavail == TT_GO_UNAVAIL_FLOAT_REG ? "in an SSE register" :
				prm->unavail == TT_GO_UNAVAIL_SIGNATURE ? "DWARF and the frame disagree" :
				"too composite");
			continue;
		}
		if (site->argc + words > TT_MAX_ARGS) {
			tt_warn(s->out, "%s: only the first %d argument words are recorded", fn,
				TT_MAX_ARGS);
			return;
		}
		if (go_code_address(prm)) {
			struct tt_bpf_arg *a = &site->args[site->argc];

			go_piece_arg(&prm->pieces[0], a);
			if (prm->go_kind == TT_GO_KIND_PTR) {
				/* *runtime.funcval: its first word is the entry of the code */
				a->loc = TT_BPF_LOC_MEM;
				a->flags |= TT_BPF_ARG_BASE;
				a->disp = 0;
				a->size = 8;
			}
			p->d.kinds[site->argc] = TT_KIND_STR;
			p->d.arg_names[site->argc] = go_column(prm->name, NULL);
			p->str_mask |= 1u << site->argc;
			p->sym_mask |= 1u << site->argc;
			site->argc++;
			continue;
		}
		if (is_str) {
			struct tt_bpf_arg *a = &site->args[site->argc];
			const struct tt_go_piece *len = &prm->pieces[1];

			go_piece_arg(&prm->pieces[0], a);
			a->flags = TT_BPF_ARG_BYTES | (a->flags & TT_BPF_ARG_BASE);
			a->size = 8;
			a->len_loc = len->loc == TT_LOC_REG ? TT_BPF_LOC_REG : TT_BPF_LOC_MEM;
			a->len_off = tt_reg_pt_regs_off(len->loc == TT_LOC_REG ? len->reg : TT_REG_RSP);
			a->len_disp = len->loc == TT_LOC_REG ? 0 : len->disp;
			site->flags |= TT_BPF_SITE_STRS;
			p->d.kinds[site->argc] = TT_KIND_BYTES;
			p->d.arg_names[site->argc] = go_column(prm->name, NULL);
			p->str_mask |= 1u << site->argc;
			site->argc++;
			continue;
		}
		for (unsigned k = 0; k < prm->piece_cnt; k++) {
			const struct tt_go_piece *pc = &prm->pieces[k];

			go_piece_arg(pc, &site->args[site->argc]);
			p->d.kinds[site->argc] = pc->tt_kind;
			p->d.arg_names[site->argc] = go_column(prm->name, prm->piece_cnt > 1 ? pc->name : NULL);
			site->argc++;
		}
	}
	p->d.argc = site->argc;
}

/* Add the entry or the return probe of fn, with its sites. */
static int add_go_probe(struct tt_probe_set *s, size_t bin, const struct tt_go_func *fn, int entry,
			uint32_t goid_off)
{
	struct binary *b = &s->bins[bin];
	struct tt_bpf_site site;
	uint32_t id, spec_id;
	int created, err;

	if (!entry && fn->no_ret)
		return 0;
	err = find_or_add_probe(s, bin, entry ? TT_PROBE_GO_ENTRY : TT_PROBE_GO_RETURN, "go",
				fn->name, &id, &created);
	if (err || !created)
		return err;
	memset(&site, 0, sizeof(site));
	site.probe_id = id;
	site.flags = TT_BPF_SITE_GO | (entry && fn->has_prologue ? TT_BPF_SITE_JBE : 0);
	site.goid_off = (uint16_t)goid_off;
	if (entry)
		go_args(s, fn->name, fn->params, fn->param_cnt, &s->probes[id], &site);
	else
		go_args(s, fn->name, fn->results, fn->result_cnt, &s->probes[id], &site);
	err = add_bpf_site(s, &site, &spec_id);
	if (err)
		return err;
	if (entry) {
		err = add_site_to_binary(b, fn->has_prologue ? fn->jbe_offset : fn->probe_offset, 0,
					 spec_id);
		if (!err)
			s->probes[id].site_cnt++;
		return err == -EEXIST ? 0 : err;
	}
	for (size_t r = 0; r < fn->ret_cnt; r++) {
		err = add_site_to_binary(b, fn->ret_offsets[r], 0, spec_id);
		if (err == -EEXIST)
			continue;
		if (err)
			return err;
		s->probes[id].site_cnt++;
	}
	return 0;
}

struct go_match {
	struct tt_probe_set *s;
	size_t bin;
	size_t probes;
	uint32_t goid_off;
	int err;
};

static int go_sym_cb(const struct tt_go_sym *sym, void *ctx)
{
	struct go_match *m = ctx;
	struct binary *b = &m->s->bins[m->bin];
	struct tt_go_func *fn = NULL;
	int err;

	err = tt_go_binary__func_info_at(b->go, sym->vaddr, &fn);
	if (err) {
		tt_info(m->s->out, "%s: skipping %s: %s", b->path, sym->name, tt_strerror(err));
		return 0;
	}
	if (fn->no_ret)
		tt_info(m->s->out, "%s: %s has no RET instruction: only its entries are recorded",
			b->path, fn->name);
	err = add_go_probe(m->s, m->bin, fn, 1, m->goid_off);
	if (!err)
		err = add_go_probe(m->s, m->bin, fn, 0, m->goid_off);
	tt_go_func__free(fn);
	if (err) {
		m->err = err;
		return 1;
	}
	m->probes++;
	return 0;
}

static int match_go(struct tt_probe_set *s, size_t bin, struct tt_probe_spec *spec, size_t *probes)
{
	struct go_match m = {s, bin, 0, 0, 0};
	struct binary *b = &s->bins[bin];
	int err = binary_go(s, b);

	*probes = 0;
	if (err)
		return err;
	err = tt_go_binary__goid_offset(b->go, &m.goid_off, NULL);
	if (err) {
		tt_err(s->out, "%s: cannot tell where goroutine ids are (%s)", b->path, tt_strerror(err));
		return err;
	}
	if (!b->build_id[0])
		binary_elf(b);
	tt_go_binary__for_each_func(b->go, spec->name, go_sym_cb, &m);
	if (m.err)
		return m.err;
	if (!m.probes && !strpbrk(spec->name, "*?[")) {
		struct tt_go_func *fn = NULL;

		/* An exact name that is no symbol: say so when the compiler inlined it away. */
		if (tt_go_binary__func_info(b->go, spec->name, &fn) == -TT_E_INLINED)
			tt_warn(s->out, "%s: %s is inlined into its callers and has no code of its own; "
					"rebuild with -gcflags=all=-l to trace it", b->path, spec->name);
		tt_go_func__free(fn);
	}
	*probes = m.probes;
	return 0;
}

/*
 * The name of the function containing pc in probe p's Go binary. Go executables are not
 * position independent by default, so a runtime address is the link-time address; for a PIE
 * the address is kept, in hex.
 */
struct tt_bytes tt_probe_set__go_symbol(struct tt_probe_set *s, const struct tt_probe_set_probe *p,
					uint64_t pc, unsigned i)
{
	struct binary *b = &s->bins[p->binary];
	const char *name = NULL;
	static char hex[TT_MAX_ARGS][24];

	if (b->go && !binary_elf(b) && tt_elf__type(b->elf) == ET_EXEC)
		name = tt_go_binary__func_name_at(b->go, pc);
	if (!name) {
		snprintf(hex[i], sizeof(hex[i]), "0x%llx", (unsigned long long)pc);
		name = hex[i];
	}
	return (struct tt_bytes){(const uint8_t *)name, (uint32_t)strlen(name), 0};
}

static int match(struct tt_probe_set *s, size_t bin, struct tt_probe_spec *spec, size_t *probes)
{
	switch (spec->type) {
	case TT_SPEC_UPROBE:
		return match_uprobe(s, bin, spec, probes);
	case TT_SPEC_GO:
		return match_go(s, bin, spec, probes);
	default:
		return match_usdt(s, bin, spec, probes);
	}
}

/* ---- kernel tracepoints ---- */

static int read_file(const char *path, char **text)
{
	struct tt_buf b = {0};
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		err = tt_buf_append(&b, chunk, (size_t)n);
		if (err)
			break;
	}
	if (n < 0)
		err = -errno;
	close(fd);
	if (!err)
		err = tt_buf_append(&b, "", 1);
	if (err) {
		tt_buf_free(&b);
		return err;
	}
	*text = (char *)b.data;
	return 0;
}

/* The thread a scheduler event is about besides the current one, or NULL. */
static const struct tt_tp_field *tp_filter_field(const struct tt_tp_format *fmt)
{
	const struct tt_tp_field *f = tt_tp_format_field(fmt, "next_pid");

	if (!f && !strncmp(fmt->name, "sched_wakeup", 12))
		f = tt_tp_format_field(fmt, "pid");
	return f && f->kind == TT_TPF_INT && f->size == 4 ? f : NULL;
}

static int add_tracepoint(struct tt_probe_set *s, const char *system, const char *name)
{
	char path[PATH_MAX], msg[256];
	struct tt_probe_set_tp *n, *tp;
	const struct tt_tp_field *f;
	uint32_t id;
	int created, err;

	for (size_t i = 0; i < s->tp_cnt; i++)
		if (!strcmp(s->tps[i].fmt->system, system) && !strcmp(s->tps[i].fmt->name, name))
			return 0;
	n = realloc(s->tps, (s->tp_cnt + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->tps = n;
	tp = &n[s->tp_cnt];
	memset(tp, 0, sizeof(*tp));
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", TT_TRACEFS_PATH, system, name);
	err = read_file(path, &tp->format_text);
	if (err) {
		tt_err(s->out, "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	err = tt_tp_format_parse(system, tp->format_text, &tp->fmt, msg, sizeof(msg));
	if (err) {
		tt_err(s->out, "%s: %s", path, err == -TT_E_PARSE ? msg : tt_strerror(err));
		free(tp->format_text);
		return err;
	}
	err = find_or_add_probe(s, SIZE_MAX, TT_PROBE_TRACEPOINT, system, name, &id, &created);
	if (err) {
		free(tp->format_text);
		tt_tp_format_free(tp->fmt);
		return err;
	}
	s->probes[id].d.argc = 1;
	s->probes[id].d.kinds[0] = TT_KIND_BYTES;
	s->probes[id].d.arg_names[0] = strdup("raw");
	tp->probe_id = id;
	tp->cfg.probe_id = id;
	tp->cfg.tp_id = tp->fmt->id;
	tp->cfg.fixed_size = (uint16_t)TT_MIN(tp->fmt->fixed_size, TT_TP_REC_MAX - 1);
	f = tp_filter_field(tp->fmt);
	tp->cfg.filter_off = f ? (uint16_t)f->offset : 0;
	for (size_t i = 0; i < tp->fmt->field_cnt; i++) {
		f = &tp->fmt->fields[i];
		if (!f->dyn)
			continue;
		if (tp->cfg.dyn_cnt == TT_TP_MAX_DYN) {
			tt_warn(s->out, "%s:%s has more than %d dynamic fields; the rest may be cut",
				system, name, TT_TP_MAX_DYN);
			break;
		}
		if (f->dyn == 2)
			tp->cfg.dyn_rel_mask |= (uint8_t)(1u << tp->cfg.dyn_cnt);
		tp->cfg.dyn_off[tp->cfg.dyn_cnt++] = (uint16_t)f->offset;
	}
	s->probes[id].site_cnt = 1;
	s->tp_cnt++;
	return 0;
}

/* Every tracepoint of tracefs that spec's CATEGORY:NAME globs match. */
static int match_tracepoints(struct tt_probe_set *s, struct tt_probe_spec *spec)
{
	char path[PATH_MAX];
	struct dirent *sys, *ev;
	DIR *events, *dir;
	int err = 0;

	snprintf(path, sizeof(path), "%s/events", TT_TRACEFS_PATH);
	events = opendir(path);
	if (!events) {
		err = -errno;
		tt_err(s->out, "cannot list %s: %s", path, strerror(errno));
		return err;
	}
	while (!err && (sys = readdir(events))) {
		if (sys->d_name[0] == '.' || !tt_glob_match(spec->provider, sys->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/events/%s", TT_TRACEFS_PATH, sys->d_name);
		dir = opendir(path);
		if (!dir)
			continue;
		while (!err && (ev = readdir(dir))) {
			char fmt_path[PATH_MAX + NAME_MAX + 16];

			if (ev->d_name[0] == '.' || !tt_glob_match(spec->name, ev->d_name))
				continue;
			snprintf(fmt_path, sizeof(fmt_path), "%s/%s/format", path, ev->d_name);
			if (access(fmt_path, R_OK) != 0)
				continue;
			err = add_tracepoint(s, sys->d_name, ev->d_name);
			if (!err)
				spec->matched++;
		}
		closedir(dir);
	}
	closedir(events);
	return err;
}

/* ---- resolving specs ---- */

/* The binaries of the traced processes, for specs without a path. */
static int target_binaries(struct tt_probe_set *s, struct tt_target_files *files, size_t files_cnt,
			   const char *const *labels)
{
	int err;

	for (size_t t = 0; t < files_cnt; t++) {
		for (size_t i = 0; i < files[t].cnt; i++) {
			size_t idx;

			err = add_binary(s, files[t].files[i].path, files[t].files[i].open_path, &idx);
			if (err && err != -ENOENT)
				return err;
		}
		tt_dbg(s->out, "%s: %zu binaries", labels[t], files[t].cnt);
	}
	return 0;
}

int tt_probe_set__resolve(struct tt_probe_set *s, struct tt_probe_spec *specs, size_t spec_cnt,
			  char *const *command, const pid_t *roots, size_t root_cnt)
{
	struct tt_target_files *files = NULL;
	const char **labels = NULL;
	size_t files_cnt = 0;
	char label[64];
	int err = 0, need_targets = 0;

	for (size_t i = 0; i < spec_cnt; i++)
		if (!specs[i].path && specs[i].type != TT_SPEC_TRACEPOINT)
			need_targets = 1;
	if (need_targets) {
		files_cnt = command ? 1 : root_cnt;
		files = calloc(files_cnt, sizeof(*files));
		labels = calloc(files_cnt, sizeof(*labels));
		if (!files || !labels) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t t = 0; t < files_cnt; t++) {
			if (command) {
				char *exe = tt_which(command[0]);

				err = exe ? tt_targets_of_exe(exe, &files[t]) : -ENOENT;
				free(exe);
				labels[t] = command[0];
			} else {
				err = tt_targets_of_pid(roots[t], &files[t]);
				snprintf(label, sizeof(label), "process %d", (int)roots[t]);
				labels[t] = strdup(label);
			}
			if (err) {
				tt_err(s->out, "cannot list the binaries of %s: %s",
				       command ? command[0] : label, tt_strerror(err));
				goto cleanup;
			}
		}
		err = target_binaries(s, files, files_cnt, labels);
		if (err)
			goto cleanup;
	}

	for (size_t i = 0; i < spec_cnt; i++) {
		struct tt_probe_spec *spec = &specs[i];
		size_t n;

		if (spec->type == TT_SPEC_TRACEPOINT) {
			err = match_tracepoints(s, spec);
			if (err)
				goto cleanup;
			continue;
		}
		if (spec->path) {
			char *real = realpath(spec->path, NULL);
			size_t idx;

			if (!real) {
				err = -errno;
				tt_err(s->out, "%s: %s", spec->path, strerror(errno));
				goto cleanup;
			}
			err = add_binary(s, real, real, &idx);
			free(real);
			if (!err)
				err = match(s, idx, spec, &n);
			if (err == -TT_E_NOT_ELF || err == -TT_E_BAD_ELF || err == -TT_E_NOT_GO) {
				tt_err(s->out, "%s: %s", spec->path, tt_strerror(err));
				goto cleanup;
			}
			if (err)
				goto cleanup;
			if (spec->type == TT_SPEC_USDT && s->bins[idx].usdt->site_cnt == 0) {
				tt_err(s->out, "%s has no USDT probes (no .note.stapsdt section)", spec->path);
				err = -TT_E_NO_PROBES;
				goto cleanup;
			}
			spec->matched += n;
			continue;
		}
		/* Without a path: every binary of every traced process. */
		for (size_t t = 0; t < files_cnt; t++) {
			size_t in_target = 0;

			for (size_t f = 0; f < files[t].cnt; f++) {
				struct stat st;

				if (stat(files[t].files[f].open_path, &st) != 0)
					continue;
				for (size_t b = 0; b < s->bin_cnt; b++) {
					if (s->bins[b].dev != st.st_dev || s->bins[b].ino != st.st_ino)
						continue;
					err = match(s, b, spec, &n);
					if (err == -TT_E_NOT_ELF || err == -TT_E_BAD_ELF || err == -TT_E_NOT_GO) {
						err = 0;
						continue;
					}
					if (err)
						goto cleanup;
					in_target += n;
					spec->matched += n;
					/* Probes already created for this binary count too. */
					for (size_t p = 0; p < s->probe_cnt && !n; p++)
						if (s->probes[p].binary == b &&
						    tt_glob_match(spec->provider, s->probes[p].d.provider) &&
						    tt_glob_match(spec->name, s->probes[p].d.name))
							in_target++, spec->matched++;
				}
			}
			if (!in_target && files_cnt > 1)
				tt_warn(s->out, "'%s' matched nothing in %s", spec->text, labels[t]);
		}
	}
	for (size_t i = 0; i < spec_cnt; i++) {
		if (!specs[i].matched) {
			if (specs[i].type == TT_SPEC_TRACEPOINT)
				tt_err(s->out, "no tracepoint matched '%s' (see %s/events)", specs[i].text,
				       TT_TRACEFS_PATH);
			else
				tt_err(s->out, "no probe matched '%s'%s", specs[i].text,
				       specs[i].path ? "" :
				       " in the traced processes' binaries (see tracetape list)");
			err = -TT_E_NO_MATCH;
			goto cleanup;
		}
	}
cleanup:
	for (size_t t = 0; t < files_cnt; t++) {
		tt_target_files_free(&files[t]);
		if (!command && labels)
			free((char *)labels[t]);
	}
	free(files);
	free(labels);
	return err;
}

int tt_probe_set__add_builtins(struct tt_probe_set *s, uint32_t *fork_id, uint32_t *exec_id,
			       uint32_t *exit_id)
{
	static const struct {
		const char *name;
		uint8_t argc;
		uint8_t kinds[2];
		const char *names[2];
	} builtins[] = {
		{"process__fork", 2, {TT_KIND_U32, TT_KIND_STR}, {"child", "comm"}},
		{"process__exec", 1, {TT_KIND_STR}, {"comm"}},
		{"process__exit", 2, {TT_KIND_S32, TT_KIND_U32}, {"status", "signal"}},
	};
	uint32_t *ids[] = {fork_id, exec_id, exit_id};

	for (size_t i = 0; i < TT_ARRAY_SIZE(builtins); i++) {
		struct tt_probe_set_probe *p;
		int created, err;

		err = find_or_add_probe(s, SIZE_MAX, TT_PROBE_BUILTIN, "tracetape", builtins[i].name,
					ids[i], &created);
		if (err)
			return err;
		p = &s->probes[*ids[i]];
		p->d.argc = builtins[i].argc;
		for (unsigned a = 0; a < builtins[i].argc; a++) {
			p->d.kinds[a] = builtins[i].kinds[a];
			p->d.arg_names[a] = strdup(builtins[i].names[a]);
			if (!p->d.arg_names[a])
				return -ENOMEM;
		}
	}
	return 0;
}



/* ---- the set ---- */

struct tt_probe_set *tt_probe_set__new(const struct tt_out *out,
				       const struct tt_provider_file *schema,
				       const char *schema_path)
{
	struct tt_probe_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->out = out;
	s->schema = schema;
	s->schema_path = schema_path;
	return s;
}

void tt_probe_set__free(struct tt_probe_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->bin_cnt; i++)
		binary_free(&s->bins[i]);
	free(s->bins);
	for (size_t i = 0; i < s->probe_cnt; i++)
		probe_free(&s->probes[i]);
	free(s->probes);
	free(s->sites);
	for (size_t i = 0; i < s->tp_cnt; i++) {
		free(s->tps[i].format_text);
		tt_tp_format_free(s->tps[i].fmt);
	}
	free(s->tps);
	tt_buf_free(&s->skipped);
	free(s);
}

const char *tt_probe_set__skipped(const struct tt_probe_set *s, size_t *cnt)
{
	*cnt = s->skipped_cnt;
	return s->skipped_cnt ? (const char *)s->skipped.data : NULL;
}

size_t tt_probe_set__probe_cnt(const struct tt_probe_set *s)
{
	return s->probe_cnt;
}

const struct tt_probe_set_probe *tt_probe_set__probes(const struct tt_probe_set *s, size_t *cnt)
{
	*cnt = s->probe_cnt;
	return s->probes;
}

const struct tt_bpf_site *tt_probe_set__sites(const struct tt_probe_set *s, size_t *cnt)
{
	*cnt = s->site_cnt;
	return s->sites;
}

const struct tt_probe_set_tp *tt_probe_set__tps(const struct tt_probe_set *s, size_t *cnt)
{
	*cnt = s->tp_cnt;
	return s->tps;
}

size_t tt_probe_set__binary_cnt(const struct tt_probe_set *s)
{
	return s->bin_cnt;
}

void tt_probe_set__binary_sites(const struct tt_probe_set *s, size_t i,
				struct tt_probe_set_sites *sites)
{
	const struct binary *b = &s->bins[i];

	sites->path = b->path;
	sites->open_path = b->open_path;
	sites->offsets = b->offsets;
	sites->ref_ctrs = b->ref_ctrs;
	sites->cookies = b->cookies;
	sites->cnt = b->site_cnt;
}
