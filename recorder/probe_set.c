/* SPDX-License-Identifier: MIT */
/*
 * The probe set of a recording (see probe_set.h): which binaries, probes, BPF site specs and
 * tracepoints the session attaches, built from parsed probe specs.
 *
 * USDT sites come from a binary's .note.stapsdt, their argument kinds and names from the SDK's
 * type note or a provider file; uprobe specs match ELF function symbols; Go specs match
 * functions of a Go binary (entry on the stack check, exits on every RET; arguments by
 * go_args.c); tracepoint specs match tracefs events (tracepoints.c). Binaries are identified by
 * inode, probes by (binary, type, provider, name) through a hash index, sites by their offset in
 * their binary, and identical site specs of one probe are shared.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attach.h"
#include "bpf_env.h"
#include "builtin_providers.h"
#include "dyn_probes.h"
#include "elf_file.h"
#include "go_args.h"
#include "go_binary.h"
#include "go_probes.h"
#include "probe_set.h"
#include "targets.h"
#include "tracepoints.h"
#include "tt_error.h"
#include "tt_hash.h"
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
	struct tt_hidx offset_ix; /* offset -> position in offsets */
};

struct tt_probe_set {
	const struct tt_out *out;
	const struct tt_provider_file *schema; /* --schema, or NULL (borrowed) */
	const char *schema_path;
	struct binary *bins;
	size_t bin_cnt;
	struct tt_probe_set_probe *probes;
	size_t probe_cnt, probe_cap;
	struct tt_hidx probe_ix; /* (binary, type, provider, name) -> probe id */
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
	tt_hidx_free(&b->offset_ix);
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

/* A site offset being looked up in a binary's offset index. */
struct offset_key {
	const struct binary *b;
	uint64_t offset;
};

static bool offset_eq(const void *ctx, uint32_t idx)
{
	const struct offset_key *k = ctx;

	return k->b->offsets[idx] == k->offset;
}

/*
 * Add a uprobe site to binary b: its file offset, semaphore offset and cookie. Returns 0,
 * -EEXIST when a site is at that offset already, or -ENOMEM.
 */
static int add_site_to_binary(struct binary *b, uint64_t offset, uint64_t ref_ctr, uint64_t cookie)
{
	struct offset_key k = {b, offset};
	uint32_t h = (uint32_t)tt_hash_u64(offset);

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
	if (tt_hidx_find(&b->offset_ix, h, offset_eq, &k) >= 0)
		return -EEXIST;
	if (tt_hidx_add(&b->offset_ix, h, (uint32_t)b->site_cnt))
		return -ENOMEM;
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

/* A probe being looked up in the set's probe index. */
struct probe_key {
	const struct tt_probe_set *s;
	size_t bin;
	uint8_t type;
	const char *provider, *name;
};

static bool probe_eq(const void *ctx, uint32_t idx)
{
	const struct probe_key *k = ctx;
	const struct tt_probe_set_probe *p = &k->s->probes[idx];

	return p->binary == k->bin && p->d.type == k->type && !strcmp(p->d.provider, k->provider) &&
	       !strcmp(p->d.name, k->name);
}

static uint32_t probe_hash(const struct probe_key *k)
{
	uint64_t h = tt_hash_u64((uint64_t)k->bin << 8 | k->type);

	h = tt_hash_bytes(k->provider, strlen(k->provider), h);
	return (uint32_t)tt_hash_bytes(k->name, strlen(k->name), h);
}

/* The id of the probe (binary, type, provider, name), or -1. */
static int64_t find_probe(const struct tt_probe_set *s, size_t bin, uint8_t type,
			  const char *provider, const char *name)
{
	struct probe_key k = {s, bin, type, provider, name};

	return tt_hidx_find(&s->probe_ix, probe_hash(&k), probe_eq, &k);
}

/* Find the probe (binary, type, provider, name) or add it; *created says which. */
static int find_or_add_probe(struct tt_probe_set *s, size_t bin, uint8_t type, const char *provider,
			     const char *name, uint32_t *id, int *created)
{
	struct probe_key k = {s, bin, type, provider, name};
	uint32_t h = probe_hash(&k);
	int64_t found = tt_hidx_find(&s->probe_ix, h, probe_eq, &k);
	struct tt_probe_set_probe *p;

	*created = 0;
	if (found >= 0) {
		*id = (uint32_t)found;
		return 0;
	}
	if (tt_grow((void **)&s->probes, &s->probe_cap, s->probe_cnt + 1, sizeof(*s->probes)))
		return -ENOMEM;
	p = &s->probes[s->probe_cnt];
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
	if (!p->d.provider || !p->d.name || (bin != SIZE_MAX && !p->d.binary) ||
	    tt_hidx_add(&s->probe_ix, h, p->d.id)) {
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
	if (site->has_types && tt_dyn_carrier_args(site->argc, site->arg_names, p->d.kinds, p->strs)) {
		/* a carrier of dynamic probes: name and values are counted objects */
		for (unsigned i = 0; i < site->argc; i++) {
			p->d.arg_names[i] = xstrdup(site->arg_names[i]);
			if (TT_KIND_IS_STR(p->d.kinds[i]))
				p->str_mask |= 1u << i;
		}
		return;
	}
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

static int binary_go(struct tt_probe_set *s, struct binary *b);

/* The goroutine-id offset of a Go binary for its gen-go probes; 0 (none recorded) when unknown. */
static uint32_t go_probe_goid_off(struct tt_probe_set *s, struct binary *b)
{
	uint32_t off = 0;

	if (binary_go(s, b) || tt_go_binary__goid_offset(b->go, &off, NULL))
		tt_warn(s->out, "%s: the goroutine id's place is unknown: Go probes are recorded "
			"without it", b->path);
	return off;
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
		if (!err && site->go_abi0)
			err = tt_go_probe_bpf_site(site, go_probe_goid_off(s, b), &bsite);
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
		tt_go_args_build(s->out, fn->name, fn->params, fn->param_cnt, &s->probes[id], &site);
	else
		tt_go_args_build(s->out, fn->name, fn->results, fn->result_cnt, &s->probes[id], &site);
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
	} else if (strpbrk(spec->name, "*?[")) {
		/* a glob misses what was inlined everywhere: say so once, with the count */
		const char *example;
		size_t cnt = tt_go_binary__inlined_only(b->go, spec->name, &example);

		if (cnt)
			tt_warn(s->out, "%s: %zu function%s matching '%s' %s inlined into %s callers and "
					"%s no code of %s own (such as %s); rebuild with -gcflags=all=-l to "
					"trace %s", b->path, cnt, cnt == 1 ? "" : "s", spec->name,
				cnt == 1 ? "was" : "were", cnt == 1 ? "its" : "their",
				cnt == 1 ? "has" : "have", cnt == 1 ? "its" : "their", example,
				cnt == 1 ? "it" : "them");
	}
	*probes = m.probes;
	return 0;
}

/*
 * The name of the function containing pc in probe p's Go binary. Go executables are not
 * position independent by default, so a runtime address is the link-time address; a PIE's
 * addresses are not named.
 */
const char *tt_probe_set__go_func_name(struct tt_probe_set *s, const struct tt_probe_set_probe *p,
				       uint64_t pc)
{
	struct binary *b;

	if (p->binary >= s->bin_cnt)
		return NULL;
	b = &s->bins[p->binary];
	if (!b->go || binary_elf(b) || tt_elf__type(b->elf) != ET_EXEC)
		return NULL;
	return tt_go_binary__func_name_at(b->go, pc);
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

/* Add tracepoint system:name (once: a second match of it is no new probe). */
static int add_tracepoint(struct tt_probe_set *s, const char *system, const char *name)
{
	struct tt_probe_set_tp *n, *tp;
	uint32_t id;
	int created, err;

	if (find_probe(s, SIZE_MAX, TT_PROBE_TRACEPOINT, system, name) >= 0)
		return 0;
	n = realloc(s->tps, (s->tp_cnt + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->tps = n;
	tp = &n[s->tp_cnt];
	memset(tp, 0, sizeof(*tp));
	err = tt_tracepoint_load(TT_TRACEFS_PATH, system, name, &tp->format_text, &tp->fmt, s->out);
	if (err)
		return err;
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
	tt_tracepoint_bpf_cfg(tp->fmt, id, &tp->cfg, s->out);
	s->probes[id].site_cnt = 1;
	s->tp_cnt++;
	return 0;
}

struct tp_match {
	struct tt_probe_set *s;
	struct tt_probe_spec *spec;
};

static int tp_match_cb(const char *system, const char *name, void *ctx)
{
	struct tp_match *m = ctx;
	int err = add_tracepoint(m->s, system, name);

	if (!err)
		m->spec->matched++;
	return err;
}

/* Every tracepoint of tracefs that spec's CATEGORY:NAME globs match. */
static int match_tracepoints(struct tt_probe_set *s, struct tt_probe_spec *spec)
{
	struct tp_match m = {s, spec};

	return tt_tracepoints_each(TT_TRACEFS_PATH, spec->provider, spec->name, tp_match_cb, &m,
				   s->out);
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
	tt_hidx_free(&s->probe_ix);
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
