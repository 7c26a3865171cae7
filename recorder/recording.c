/* SPDX-License-Identifier: MIT */
/*
 * The recording session behind `tracetape record` (see recording.h).
 *
 * Order of work: parse specs; start the command held before exec (so its pid can be traced
 * from the first instruction); resolve the binaries and USDT sites or symbols each spec names;
 * open the BPF object, size its maps and set its rodata; load; fill the site specs and the pid
 * filter; attach one uprobe-multi link per binary; open the tape and describe the capture; print
 * the ready line; release the command; then consume the ring until told to stop. On the way out
 * links are closed first, so that the last records and loss counts can be drained completely.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>

#include "attach.h"
#include "bpf_env.h"
#include "builtin_providers.h"
#include "elf_file.h"
#include "go_binary.h"
#include "probe_spec.h"
#include "provider_file.h"
#include "record.h"
#include "record.skel.h"
#include "recording.h"
#include "ring.h"
#include "tape_writer.h"
#include "tt_cmd.h"
#include "targets.h"
#include "tp_format.h"
#include "tt_error.h"
#include "tt_event.h"
#include "tt_util.h"
#include "tt_version.h"
#include "usdt_notes.h"

#define HARVEST_INTERVAL_NS 100000000ULL   /* loss counters are read every 100 ms */
#define CLOCK_INTERVAL_NS 10000000000ULL   /* a clock anchor every 10 s */
#define POLL_TIMEOUT_MS 100
#define CHILD_TERM_WAIT_MS 5000

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
	int link_fd;
};

struct probe {
	struct tt_probe_desc d; /* strings owned (freed with the session) */
	size_t binary;          /* index into bins, SIZE_MAX for built-in probes */
	size_t site_cnt;
	uint16_t str_mask;      /* bit i: argument i is recorded as a string */
	uint16_t sym_mask;      /* bit i: argument i is a code address of a Go binary, recorded as
				   the name of the function containing it */
	struct tt_provider_str strs[TT_MAX_ARGS]; /* counted strings (provider-file pragmas) */
};

struct tracepoint {
	uint32_t probe_id;
	char *format_text;         /* verbatim from tracefs (owned) */
	struct tt_tp_format *fmt;  /* parsed (owned) */
	struct tt_bpf_tp cfg;      /* what the BPF program needs */
	struct bpf_link *link;
};

struct session {
	const struct tt_record_opts *o;
	const struct tt_out *out;
	struct tt_probe_spec *specs;
	size_t spec_cnt;
	struct tt_provider_file *schema; /* --schema, or NULL */
	struct binary *bins;
	size_t bin_cnt;
	struct probe *probes;
	size_t probe_cnt;
	struct tt_bpf_site *sites;
	size_t site_cnt;
	struct tracepoint *tps;
	size_t tp_cnt;
	uint32_t probe_fork, probe_exec, probe_exit; /* built-in probe ids, UINT32_MAX if none */
	struct record_bpf *skel;
	struct tt_ring *rb;
	struct tt_tape_writer *w;
	int filter;          /* pid filter on: -p or -- */
	pid_t child;
	int child_go_fd;
	int child_done;
	int child_status;
	pid_t *roots;        /* the -p processes */
	int *root_fds;       /* their pidfds */
	size_t root_cnt;
	uint32_t *seen;      /* open-addressing set of pids already described in the tape */
	size_t seen_cap, seen_cnt;
	int ncpu;
	uint64_t *loss_prev; /* [slot * ncpu + cpu] losses already written */
	uint64_t *fired;     /* [slot] hits counted by BPF, all CPUs, at the last harvest */
	uint64_t missed[2];  /* the usdt and tp programs' recursion misses already written */
	uint64_t missed_total; /* hits the kernel did not run a program for (see harvest_missed) */
	uint64_t last_harvest_ns, last_clock_ns, start_ns;
	uint64_t events, lost, closed_bytes;
	uint32_t tapes;
	int write_err;
};

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* ---- small helpers ---- */

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int read_small_file(const char *path, char *buf, size_t buf_sz, int nul_to_space)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, buf_sz - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
	if (nul_to_space)
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
	return 0;
}

static int seen_insert(struct session *s, uint32_t pid)
{
	size_t i;

	if (s->seen_cnt * 2 >= s->seen_cap) {
		size_t cap = s->seen_cap ? s->seen_cap * 2 : 256;
		uint32_t *n = calloc(cap, sizeof(*n)), *old = s->seen;
		size_t old_cap = s->seen_cap;

		if (!n)
			return -ENOMEM;
		s->seen = n;
		s->seen_cap = cap;
		s->seen_cnt = 0;
		for (size_t j = 0; j < old_cap; j++)
			if (old[j])
				seen_insert(s, old[j]);
		free(old);
	}
	for (i = (pid * 2654435761u) & (s->seen_cap - 1); s->seen[i]; i = (i + 1) & (s->seen_cap - 1))
		if (s->seen[i] == pid)
			return 0; /* already there */
	s->seen[i] = pid;
	s->seen_cnt++;
	return 1;
}

static void writer_check(struct session *s, int err)
{
	if (err && !s->write_err) {
		s->write_err = err;
		tt_err(s->out, "writing the tape failed: %s; stopping", tt_strerror(err));
	}
}

/* Describe process pid in the tape from /proc (best effort: it may be gone already). */
static void describe_process(struct session *s, uint32_t pid, uint32_t ppid_hint)
{
	char path[64], comm[64] = "", exe[PATH_MAX] = "", cmdline[4096] = "", status[4096];
	uint32_t ppid = ppid_hint;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	read_small_file(path, comm, sizeof(comm), 0);
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	read_small_file(path, cmdline, sizeof(cmdline), 1);
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	if (!ppid && read_small_file(path, status, sizeof(status), 0) == 0) {
		const char *p = strstr(status, "\nPPid:");

		if (p)
			ppid = (uint32_t)strtoul(p + 6, NULL, 10);
	}
	writer_check(s, tt_tape_writer__add_process(s->w, pid, ppid, comm[0] ? comm : NULL,
						    exe[0] ? exe : NULL, cmdline[0] ? cmdline : NULL));
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
	if (b->link_fd >= 0)
		close(b->link_fd);
}

/* The index of the binary at open_path, added if new (files are identified by inode). */
static int add_binary(struct session *s, const char *path, const char *open_path, size_t *idx)
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
	b->link_fd = -1;
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

static int binary_usdt(struct session *s, struct binary *b)
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

static void probe_free(struct probe *p)
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
static int find_or_add_probe(struct session *s, size_t bin, uint8_t type, const char *provider,
			     const char *name, uint32_t *id, int *created)
{
	struct probe *n, *p;

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
static int add_bpf_site(struct session *s, const struct tt_bpf_site *site, uint32_t *spec_id)
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
static void set_probe_args_from_site(struct session *s, struct probe *p,
				     const struct tt_usdt_site *site)
{
	const struct tt_provider_probe *decl = NULL;
	const char *builtin = NULL;

	if (s->schema)
		decl = tt_provider_file__find(s->schema, site->provider, site->name);
	if (decl && decl->arg_cnt != site->argc)
		tt_warn(s->out, "%s: %s:%s has %u arguments, the provider file declares %u (line %u)",
			s->o->schema, site->provider, site->name, site->argc, decl->arg_cnt, decl->line);
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
		if (!site->has_types && (cls == TT_CLASS_STR || cls == TT_CLASS_PTR))
			p->d.kinds[i] = TT_KIND(cls, 8);
		else if (!site->has_types && cls == TT_CLASS_FLOAT)
			p->d.kinds[i] = TT_KIND(cls, TT_KIND_SIZE(site->kinds[i]));
		else if (!site->has_types && cls == TT_CLASS_BYTES && a->str.form &&
			 decl->arg_cnt == site->argc) {
			p->d.kinds[i] = TT_KIND_BYTES;
			p->strs[i] = a->str;
		}
		p->d.arg_names[i] = xstrdup(site->arg_names[i] ? site->arg_names[i] : a ? a->name : NULL);
		if (TT_KIND_CLASS(p->d.kinds[i]) == TT_CLASS_STR ||
		    TT_KIND_CLASS(p->d.kinds[i]) == TT_CLASS_BYTES)
			p->str_mask |= 1u << i;
	}
}

/* Turn the counted-string arguments of probe p into byte strings in site's specs. */
static int set_site_bytes(const struct probe *p, const struct tt_usdt_site *site,
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
static int match_usdt(struct session *s, size_t bin, struct tt_probe_spec *spec, size_t *probes)
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
			tt_warn(s->out, "%s: skipping the site of %s:%s at 0x%llx (args '%s'): %s",
				b->path, site->provider, site->name, (unsigned long long)site->pc_vaddr,
				site->args_str ? site->args_str : "", why);
			continue;
		}
		if (bsite.argc != s->probes[id].d.argc) {
			tt_warn(s->out, "%s: skipping the site of %s:%s at 0x%llx: it has %u arguments, "
					"another site %u", b->path, site->provider, site->name,
				(unsigned long long)site->pc_vaddr, bsite.argc, s->probes[id].d.argc);
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
	struct session *s;
	size_t bin;
	const struct tt_probe_spec *spec;
	size_t probes;
	int err;
};

static int uprobe_sym_cb(const struct tt_elf_sym *sym, void *ctx)
{
	struct uprobe_match *m = ctx;
	struct session *s = m->s;
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

static int match_uprobe(struct session *s, size_t bin, struct tt_probe_spec *spec, size_t *probes)
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

static int binary_go(struct session *s, struct binary *b)
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
static void go_args(struct session *s, const char *fn, const struct tt_go_param *params,
		    size_t cnt, struct probe *p, struct tt_bpf_site *site)
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
static int add_go_probe(struct session *s, size_t bin, const struct tt_go_func *fn, int entry,
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
	struct session *s;
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

static int match_go(struct session *s, size_t bin, struct tt_probe_spec *spec, size_t *probes)
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

static int match(struct session *s, size_t bin, struct tt_probe_spec *spec, size_t *probes)
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

static int add_tracepoint(struct session *s, const char *system, const char *name)
{
	char path[PATH_MAX], msg[256];
	struct tracepoint *n, *tp;
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
static int match_tracepoints(struct session *s, struct tt_probe_spec *spec)
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

/* The binaries of the traced processes, for specs without a path. */
static int target_binaries(struct session *s, struct tt_target_files *files, size_t files_cnt,
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

static int resolve_specs(struct session *s)
{
	struct tt_target_files *files = NULL;
	const char **labels = NULL;
	size_t files_cnt = 0;
	char label[64];
	int err = 0, need_targets = 0;

	for (size_t i = 0; i < s->spec_cnt; i++)
		if (!s->specs[i].path && s->specs[i].type != TT_SPEC_TRACEPOINT)
			need_targets = 1;
	if (need_targets) {
		files_cnt = s->o->command ? 1 : s->root_cnt;
		files = calloc(files_cnt, sizeof(*files));
		labels = calloc(files_cnt, sizeof(*labels));
		if (!files || !labels) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t t = 0; t < files_cnt; t++) {
			if (s->o->command) {
				char *exe = tt_which(s->o->command[0]);

				err = exe ? tt_targets_of_exe(exe, &files[t]) : -ENOENT;
				free(exe);
				labels[t] = s->o->command[0];
			} else {
				err = tt_targets_of_pid(s->roots[t], &files[t]);
				snprintf(label, sizeof(label), "process %d", (int)s->roots[t]);
				labels[t] = strdup(label);
			}
			if (err) {
				tt_err(s->out, "cannot list the binaries of %s: %s",
				       s->o->command ? s->o->command[0] : label, tt_strerror(err));
				goto cleanup;
			}
		}
		err = target_binaries(s, files, files_cnt, labels);
		if (err)
			goto cleanup;
	}

	for (size_t i = 0; i < s->spec_cnt; i++) {
		struct tt_probe_spec *spec = &s->specs[i];
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
	for (size_t i = 0; i < s->spec_cnt; i++) {
		if (!s->specs[i].matched) {
			if (s->specs[i].type == TT_SPEC_TRACEPOINT)
				tt_err(s->out, "no tracepoint matched '%s' (see %s/events)", s->specs[i].text,
				       TT_TRACEFS_PATH);
			else
				tt_err(s->out, "no probe matched '%s'%s", s->specs[i].text,
				       s->specs[i].path ? "" :
				       " in the traced processes' binaries (see tracetape list)");
			err = -TT_E_NO_MATCH;
			goto cleanup;
		}
	}
cleanup:
	for (size_t t = 0; t < files_cnt; t++) {
		tt_target_files_free(&files[t]);
		if (!s->o->command && labels)
			free((char *)labels[t]);
	}
	free(files);
	free(labels);
	return err;
}

static int add_builtin_probes(struct session *s)
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
	uint32_t *ids[] = {&s->probe_fork, &s->probe_exec, &s->probe_exit};

	for (size_t i = 0; i < TT_ARRAY_SIZE(builtins); i++) {
		struct probe *p;
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

/* The kernel's largest pid + 1 (the pid bitmaps' size), 4194304 if it cannot be read. */
static uint32_t pid_max(void)
{
	char buf[32];
	uint64_t v;

	if (read_small_file("/proc/sys/kernel/pid_max", buf, sizeof(buf), 0) ||
	    tt_parse_u64(buf, 64, 1U << 30, &v))
		return 4194304;
	return (uint32_t)v;
}

/* ---- BPF ---- */

static int load_bpf(struct session *s)
{
	struct record_bpf *skel;
	int err;

	skel = record_bpf__open();
	if (!skel) {
		err = -errno;
		tt_err(s->out, "opening the BPF object failed: %s", strerror(-err));
		return err;
	}
	s->skel = skel;
	skel->rodata->cfg_self_tgid = (__u32)getpid();
	skel->rodata->cfg_filter_pids = s->filter;
	skel->rodata->cfg_pid_max = pid_max();
	bpf_map__set_max_entries(skel->maps.traced, (skel->rodata->cfg_pid_max + 63) / 64);
	bpf_map__set_max_entries(skel->maps.traced_tids, (skel->rodata->cfg_pid_max + 63) / 64);
	skel->rodata->cfg_strlen = s->o->strlen;
	skel->rodata->cfg_wakeup_bytes = s->o->ring_sz / 8;
	skel->rodata->cfg_probe_fork = s->probe_fork;
	skel->rodata->cfg_probe_exec = s->probe_exec;
	skel->rodata->cfg_probe_exit = s->probe_exit;
	bpf_map__set_max_entries(skel->maps.events, (__u32)s->o->ring_sz);
	bpf_map__set_max_entries(skel->maps.sites, s->site_cnt ? (__u32)s->site_cnt : 1);
	bpf_map__set_max_entries(skel->maps.counts, (__u32)s->probe_cnt);
	bpf_map__set_max_entries(skel->maps.tps, s->tp_cnt ? (__u32)s->tp_cnt : 1);
	bpf_program__set_autoload(skel->progs.tp, s->tp_cnt > 0);
	bpf_program__set_autoload(skel->progs.usdt, s->site_cnt > 0);
	if (s->site_cnt)
		bpf_program__set_expected_attach_type(skel->progs.usdt,
					      (enum bpf_attach_type)TT_BPF_TRACE_UPROBE_MULTI);
	bpf_program__set_autoload(skel->progs.sched_process_fork, s->filter);
	bpf_program__set_autoload(skel->progs.sched_process_exec, s->filter);
	bpf_program__set_autoload(skel->progs.sched_process_exit, s->filter);
	err = record_bpf__load(skel);
	if (err) {
		tt_err(s->out, "the kernel refused to load the BPF program: %s (run with -vv for the "
			       "verifier's log; 'tracetape check' tests the basics)", strerror(-err));
		return err;
	}
	for (size_t i = 0; i < s->site_cnt; i++) {
		__u32 key = (__u32)i;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.sites), &key, &s->sites[i], BPF_ANY)) {
			err = -errno;
			tt_err(s->out, "filling the site map failed: %s", strerror(-err));
			return err;
		}
	}
	for (size_t i = 0; i < s->tp_cnt; i++) {
		__u32 key = (__u32)i;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.tps), &key, &s->tps[i].cfg, BPF_ANY)) {
			err = -errno;
			tt_err(s->out, "filling the tracepoint map failed: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Set pid's bit in one of the BPF pid bitmaps (traced, traced_tids). */
static int bitmap_set(const struct bpf_map *map, uint32_t pid)
{
	__u32 word = pid / 64;
	__u64 bits = 0;
	int fd = bpf_map__fd(map);

	if (bpf_map_lookup_elem(fd, &word, &bits))
		return -errno;
	bits |= 1ULL << (pid % 64);
	if (bpf_map_update_elem(fd, &word, &bits, BPF_ANY))
		return -errno;
	return 0;
}

/* Put process pid and its threads into the BPF pid filter (before attach: no races). */
static int trace_pid(struct session *s, pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int err;

	err = bitmap_set(s->skel->maps.traced, (uint32_t)pid);
	if (!err)
		err = bitmap_set(s->skel->maps.traced_tids, (uint32_t)pid);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0; /* the held command has one thread, known already */
	while ((d = readdir(dir))) {
		uint64_t tid;

		if (!tt_parse_u64(d->d_name, 1, UINT32_MAX, &tid))
			bitmap_set(s->skel->maps.traced_tids, (uint32_t)tid);
	}
	closedir(dir);
	return 0;
}

static int attach_all(struct session *s, size_t *site_total, size_t *bins_used)
{
	int prog_fd = bpf_program__fd(s->skel->progs.usdt), err;

	*site_total = *bins_used = 0;
	for (size_t i = 0; i < s->bin_cnt; i++) {
		struct binary *b = &s->bins[i];
		uint64_t *ref_ctrs = NULL;

		if (!b->site_cnt)
			continue;
		for (size_t j = 0; j < b->site_cnt && !ref_ctrs; j++)
			if (b->ref_ctrs[j])
				ref_ctrs = b->ref_ctrs;
		b->link_fd = tt_attach_uprobe_multi(prog_fd, b->open_path, b->offsets, ref_ctrs,
						    b->cookies, (uint32_t)b->site_cnt, 0);
		if (b->link_fd < 0) {
			err = b->link_fd;
			tt_err(s->out, "attaching %zu sites to %s failed: %s%s", b->site_cnt, b->path,
			       strerror(-err),
			       err == -EINVAL ? " (does this kernel support uprobe-multi links, 6.6+?)" : "");
			return err;
		}
		tt_info(s->out, "attached %zu sites to %s", b->site_cnt, b->path);
		*site_total += b->site_cnt;
		(*bins_used)++;
	}
	for (size_t i = 0; i < s->tp_cnt; i++) {
		struct tracepoint *tp = &s->tps[i];
		LIBBPF_OPTS(bpf_tracepoint_opts, topts, .bpf_cookie = i);

		tp->link = bpf_program__attach_tracepoint_opts(s->skel->progs.tp, tp->fmt->system,
							       tp->fmt->name, &topts);
		if (!tp->link) {
			err = -errno;
			tt_err(s->out, "attaching to tracepoint %s:%s failed: %s", tp->fmt->system,
			       tp->fmt->name, strerror(-err));
			return err;
		}
	}
	if (s->filter) {
		s->skel->links.sched_process_fork = bpf_program__attach(s->skel->progs.sched_process_fork);
		s->skel->links.sched_process_exec = bpf_program__attach(s->skel->progs.sched_process_exec);
		s->skel->links.sched_process_exit = bpf_program__attach(s->skel->progs.sched_process_exit);
		if (!s->skel->links.sched_process_fork || !s->skel->links.sched_process_exec ||
		    !s->skel->links.sched_process_exit) {
			err = -errno;
			tt_err(s->out, "attaching the process-tracking tracepoints failed: %s",
			       strerror(-err));
			return err;
		}
	}
	return 0;
}

static void detach_all(struct session *s)
{
	for (size_t i = 0; i < s->bin_cnt; i++) {
		if (s->bins[i].link_fd >= 0) {
			close(s->bins[i].link_fd);
			s->bins[i].link_fd = -1;
		}
	}
	for (size_t i = 0; i < s->tp_cnt; i++) {
		bpf_link__destroy(s->tps[i].link);
		s->tps[i].link = NULL;
	}
	if (s->skel) {
		bpf_link__destroy(s->skel->links.sched_process_fork);
		bpf_link__destroy(s->skel->links.sched_process_exec);
		bpf_link__destroy(s->skel->links.sched_process_exit);
		s->skel->links.sched_process_fork = NULL;
		s->skel->links.sched_process_exec = NULL;
		s->skel->links.sched_process_exit = NULL;
	}
}

/* ---- counters ---- */

/*
 * Hits the kernel never ran our programs for: a tracepoint program is skipped while another
 * BPF program runs on the same CPU (since 6.14 a syscall tracepoint program can be preempted,
 * and while it is, every other tracepoint program on that CPU is skipped), and the kernel
 * counts those skips in the program's recursion_misses. They never reached our counters, so
 * they are written as losses of an unknown probe and CPU, in the window since the last
 * harvest, and counted apart in the summary.
 */
static void harvest_missed(struct session *s, uint64_t now)
{
	const struct bpf_program *progs[2] = {s->skel->progs.usdt, s->skel->progs.tp};

	for (int i = 0; i < 2; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(progs[i]);
		struct tt_loss l;

		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    info.recursion_misses <= s->missed[i])
			continue;
		l.cpu = TT_LOSS_ANY_CPU;
		l.probe_id = TT_LOSS_ANY_PROBE;
		l.count = info.recursion_misses - s->missed[i];
		l.ts_start_ns = s->last_harvest_ns;
		l.ts_end_ns = now;
		s->missed[i] = info.recursion_misses;
		s->missed_total += l.count;
		s->lost += l.count;
		writer_check(s, tt_tape_writer__add_loss(s->w, &l));
	}
}

/*
 * Read the per-CPU counters: write a loss record for every (probe, CPU) whose loss count grew
 * since the last harvest, with the window in which the losses happened (from the previous
 * harvest to the latest loss), and keep the fired totals for the summary and the tape.
 */
static void harvest_counts(struct session *s)
{
	struct tt_bpf_counts *vals;
	uint64_t now = tt_now_mono_ns();
	int fd = bpf_map__fd(s->skel->maps.counts);

	vals = calloc((size_t)s->ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (size_t slot = 0; slot < s->probe_cnt; slot++) {
		__u32 key = (__u32)slot;
		uint64_t fired = 0;

		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (int cpu = 0; cpu < s->ncpu; cpu++) {
			uint64_t *prev = &s->loss_prev[slot * (size_t)s->ncpu + cpu];
			struct tt_loss l;

			fired += vals[cpu].fired;
			if (vals[cpu].lost == *prev)
				continue;
			l.cpu = (uint32_t)cpu;
			l.probe_id = (uint32_t)slot;
			l.count = vals[cpu].lost - *prev;
			l.ts_end_ns = vals[cpu].last_lost_ts;
			l.ts_start_ns = TT_MIN(s->last_harvest_ns, l.ts_end_ns);
			*prev = vals[cpu].lost;
			s->lost += l.count;
			writer_check(s, tt_tape_writer__add_loss(s->w, &l));
		}
		s->fired[slot] = fired;
	}
	harvest_missed(s, now);
	s->last_harvest_ns = now;
	free(vals);
}

/*
 * The fired counts, as metadata of the tape being closed ("probe_fired": "ID=N ..." for every
 * probe that fired), so that recorded + lost = fired can be checked from the tape alone.
 */
static void write_fired(struct session *s)
{
	struct tt_buf b = {0};

	for (size_t i = 0; i < s->probe_cnt; i++)
		if (s->fired[i])
			tt_buf_printf(&b, "%s%zu=%llu", b.len ? " " : "", i,
				      (unsigned long long)s->fired[i]);
	if (b.len && !tt_buf_append(&b, "", 1))
		writer_check(s, tt_tape_writer__add_meta(s->w, "probe_fired", (char *)b.data));
	tt_buf_free(&b);
}

/* ---- the tape ---- */

static void add_clock(struct session *s)
{
	uint64_t m1 = tt_now_mono_ns(), r = tt_now_real_ns(), m2 = tt_now_mono_ns();

	writer_check(s, tt_tape_writer__add_clock(s->w, m1 + (m2 - m1) / 2, r));
	s->last_clock_ns = m2;
}

static int describe_capture(struct session *s)
{
	char buf[256], boot_id[64] = "";
	struct utsname uts;
	int err = 0;

	uname(&uts);
	read_small_file("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id), 0);
	err |= tt_tape_writer__add_meta(s->w, "tracetape.version", TT_VERSION);
	err |= tt_tape_writer__add_meta(s->w, "host", uts.nodename);
	err |= tt_tape_writer__add_meta(s->w, "kernel", uts.release);
	err |= tt_tape_writer__add_meta(s->w, "machine", uts.machine);
	err |= tt_tape_writer__add_meta(s->w, "boot_id", boot_id);
	err |= tt_tape_writer__add_meta(s->w, "clock", "CLOCK_MONOTONIC");
	if (s->o->cmdline)
		err |= tt_tape_writer__add_meta(s->w, "cmdline", s->o->cmdline);
	snprintf(buf, sizeof(buf), "%u", s->o->strlen);
	err |= tt_tape_writer__add_meta(s->w, "strlen", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->o->ring_sz);
	err |= tt_tape_writer__add_meta(s->w, "ring_size", buf);
	snprintf(buf, sizeof(buf), "%u", s->tapes);
	err |= tt_tape_writer__add_meta(s->w, "tape_index", buf);
	if (err)
		return err < 0 ? err : -EIO;
	add_clock(s);
	for (size_t i = 0; i < s->probe_cnt; i++) {
		err = tt_tape_writer__add_probe(s->w, &s->probes[i].d);
		if (err)
			return err;
	}
	for (size_t i = 0; i < s->tp_cnt; i++) {
		err = tt_tape_writer__add_tp_format(s->w, s->tps[i].probe_id, s->tps[i].format_text);
		if (err)
			return err;
	}
	/* A rotated tape stands alone: describe every process seen so far again. */
	for (size_t i = 0; i < s->seen_cap; i++)
		if (s->seen && s->seen[i])
			describe_process(s, s->seen[i], 0);
	return 0;
}

static int open_tape(struct session *s)
{
	struct tt_tape_writer_opts wo = {.sync = s->o->sync};
	int err;

	s->w = tt_tape_writer__open(s->o->output, &wo);
	if (!s->w) {
		err = -errno;
		tt_err(s->out, "cannot create %s: %s", s->o->output, tt_strerror(err));
		return err;
	}
	s->tapes++;
	err = describe_capture(s);
	if (err)
		tt_err(s->out, "writing the capture description to %s failed: %s", s->o->output,
		       tt_strerror(err));
	return err;
}

/* Close the current tape, shift OUTPUT -> OUTPUT.1 -> ... keeping `rotate` tapes, reopen. */
static int rotate_tape(struct session *s)
{
	char from[PATH_MAX], to[PATH_MAX];
	int err;

	harvest_counts(s);
	write_fired(s);
	s->closed_bytes += tt_tape_writer__bytes(s->w);
	err = tt_tape_writer__close(s->w);
	s->w = NULL;
	if (err) {
		tt_err(s->out, "closing %s failed: %s", s->o->output, tt_strerror(err));
		return err;
	}
	for (uint32_t i = s->o->rotate - 1; i > 0; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", s->o->output);
		else
			snprintf(from, sizeof(from), "%s.%u", s->o->output, i - 1);
		snprintf(to, sizeof(to), "%s.%u", s->o->output, i);
		if (rename(from, to) != 0 && errno != ENOENT) {
			err = -errno;
			tt_err(s->out, "rotating %s to %s failed: %s", from, to, strerror(errno));
			return err;
		}
	}
	tt_info(s->out, "rotated %s", s->o->output);
	return open_tape(s);
}

/* ---- the ring ---- */

static void new_pid(struct session *s, uint32_t pid, uint32_t ppid)
{
	int r = seen_insert(s, pid);

	if (r == 1)
		describe_process(s, pid, ppid);
	else if (r < 0)
		writer_check(s, r);
}

static void emit_builtin(struct session *s, const struct tt_ring_proc *p)
{
	struct tt_event ev;
	const char *comm = p->comm;
	size_t comm_len = strnlen(comm, sizeof(p->comm));

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = p->hdr.ts_ns;
	ev.pid = p->hdr.pid;
	ev.tid = p->hdr.tid;
	ev.cpu = p->hdr.cpu;
	switch (p->what) {
	case TT_PROC_FORK:
		ev.probe_id = s->probe_fork;
		ev.pid = ev.tid = p->ppid; /* the event belongs to the parent */
		ev.argc = 2;
		ev.args[0] = p->hdr.pid;
		ev.strs[1] = (struct tt_bytes){(const uint8_t *)comm, (uint32_t)comm_len, 0};
		new_pid(s, p->hdr.pid, p->ppid);
		break;
	case TT_PROC_EXEC:
		ev.probe_id = s->probe_exec;
		ev.argc = 1;
		ev.strs[0] = (struct tt_bytes){(const uint8_t *)comm, (uint32_t)comm_len, 0};
		/* A new program image: describe the process again (new comm, exe, cmdline). */
		describe_process(s, p->hdr.pid, 0);
		break;
	case TT_PROC_EXIT:
		ev.probe_id = s->probe_exit;
		ev.argc = 2;
		ev.args[0] = (uint64_t)(int64_t)((p->exit_code >> 8) & 0xff);
		ev.args[1] = (uint64_t)(p->exit_code & 0x7f);
		break;
	default:
		return;
	}
	if (ev.probe_id == UINT32_MAX)
		return;
	writer_check(s, tt_tape_writer__append(s->w, &ev));
	s->events++;
}

/*
 * The name of the function containing pc in probe p's Go binary. Go executables are not
 * position independent by default, so a runtime address is the link-time address; for a PIE
 * the address is kept, in hex.
 */
static struct tt_bytes go_symbol(struct session *s, const struct probe *p, uint64_t pc, unsigned i)
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

static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	struct tt_ring_hdr hdr;
	struct tt_ring_args rec;
	const uint8_t *strs, *end = (const uint8_t *)data + size;
	const struct probe *p;
	struct tt_event ev;
	size_t fixed;

	if (size < sizeof(hdr))
		return 0;
	memcpy(&hdr, data, sizeof(hdr));
	if (hdr.type == TT_RING_PROC) {
		struct tt_ring_proc proc;

		if (size >= sizeof(proc)) {
			memcpy(&proc, data, sizeof(proc));
			emit_builtin(s, &proc);
		}
		return 0;
	}
	if (hdr.probe_id >= s->probe_cnt || hdr.size > size)
		return 0;
	if (hdr.type == TT_RING_RAW) {
		struct tt_ring_raw raw;

		if (size < sizeof(raw))
			return 0;
		memcpy(&raw, data, sizeof(raw));
		if (raw.len > size - sizeof(raw))
			return 0;
		memset(&ev, 0, sizeof(ev));
		ev.ts_ns = hdr.ts_ns;
		ev.probe_id = hdr.probe_id;
		ev.pid = hdr.pid;
		ev.tid = hdr.tid;
		ev.cpu = hdr.cpu;
		ev.seq = hdr.seq;
		ev.argc = 1;
		ev.strs[0] = (struct tt_bytes){(const uint8_t *)data + sizeof(raw), raw.len, 0};
		new_pid(s, hdr.pid, 0);
		writer_check(s, tt_tape_writer__append(s->w, &ev));
		s->events++;
		return 0;
	}
	if (hdr.type != TT_RING_ARGS)
		return 0;
	fixed = sizeof(rec) - sizeof(rec.args);
	if (size < fixed)
		return 0;
	memcpy(&rec, data, fixed);
	if (rec.argc > TT_MAX_ARGS || size < fixed + 8u * rec.argc)
		return 0;
	memcpy(rec.args, (const uint8_t *)data + fixed, 8u * rec.argc);
	strs = (const uint8_t *)data + fixed + 8u * rec.argc;
	p = &s->probes[hdr.probe_id];

	ev.ts_ns = hdr.ts_ns;
	ev.goid = rec.goid;
	ev.probe_id = hdr.probe_id;
	ev.pid = hdr.pid;
	ev.tid = hdr.tid;
	ev.cpu = hdr.cpu;
	ev.seq = hdr.seq;
	ev.fault_mask = rec.fault_mask;
	ev.argc = rec.argc;
	for (unsigned i = 0; i < rec.argc; i++) {
		if (p->sym_mask & (1u << i)) {
			ev.args[i] = 0;
			ev.strs[i] = go_symbol(s, p, rec.args[i], i);
			continue;
		}
		if (!(p->str_mask & (1u << i))) {
			ev.args[i] = rec.args[i];
			continue;
		}
		uint32_t len = (uint32_t)rec.args[i], flags = (uint32_t)(rec.args[i] >> 32);

		if (len > (size_t)(end - strs))
			len = (uint32_t)(end - strs);
		ev.args[i] = 0;
		ev.strs[i] = (struct tt_bytes){strs, len, flags};
		strs += len;
	}
	new_pid(s, hdr.pid, 0);
	writer_check(s, tt_tape_writer__append(s->w, &ev));
	s->events++;
	return 0;
}

/* ---- processes ---- */

/*
 * The command's environment: ours, with the variables of command_env replacing any of the same
 * name. Built before fork, so that the child only calls execve. NULL with errno set.
 */
static char **command_environ(const char *const *add)
{
	extern char **environ;
	size_t n = 0, k = 0, a = 0;
	char **env;

	while (environ[n])
		n++;
	while (add && add[a])
		a++;
	env = calloc(n + a + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int replaced = 0;

		for (size_t j = 0; j < a && !replaced; j++) {
			size_t l = strcspn(add[j], "=");

			replaced = !strncmp(environ[i], add[j], l) && environ[i][l] == '=';
		}
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < a; j++)
		env[k++] = (char *)add[j];
	return env;
}

static int start_command(struct session *s, const char *exe)
{
	char **env = NULL;
	int go[2];

	if (s->o->command_env) {
		env = command_environ(s->o->command_env);
		if (!env)
			return -errno;
	}
	if (pipe2(go, O_CLOEXEC) != 0) {
		int err = -errno;

		free(env);
		return err;
	}
	s->child = fork();
	if (s->child < 0) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		free(env);
		return err;
	}
	if (s->child == 0) {
		char c;

		close(go[1]);
		/* Wait until every probe is attached; a closed pipe means the recorder gave up. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (env)
			execve(exe, s->o->command, env);
		else
			execv(exe, s->o->command);
		fprintf(stderr, "tracetape record: cannot run %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	free(env);
	close(go[0]);
	s->child_go_fd = go[1];
	return 0;
}

static int release_command(struct session *s)
{
	int err = 0;

	if (s->child_go_fd < 0)
		return 0;
	if (write(s->child_go_fd, "g", 1) != 1)
		err = -errno;
	close(s->child_go_fd);
	s->child_go_fd = -1;
	return err;
}

static void reap_child(struct session *s, int block_ms)
{
	int status;

	if (s->child <= 0 || s->child_done)
		return;
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(s->child, &status, WNOHANG);

		if (r == s->child) {
			s->child_done = 1;
			s->child_status = status;
			return;
		}
		if (r < 0 || waited >= block_ms)
			return;
		usleep(10000);
	}
}

static int roots_alive(struct session *s)
{
	size_t alive = 0;

	for (size_t i = 0; i < s->root_cnt; i++) {
		struct pollfd pfd = {.fd = s->root_fds[i], .events = POLLIN};

		if (s->root_fds[i] < 0)
			continue;
		if (poll(&pfd, 1, 0) == 1) { /* a pidfd is readable once the process exited */
			close(s->root_fds[i]);
			s->root_fds[i] = -1;
			tt_info(s->out, "process %d exited", (int)s->roots[i]);
			continue;
		}
		alive++;
	}
	return alive > 0;
}

/* ---- the session ---- */

static void print_summary(struct session *s, struct tt_record_result *res)
{
	const struct tt_out *out = s->out;
	double secs = (double)res->duration_ns / 1e9;

	tt_notice(out, "recorded %llu events (%llu lost) in %.2f s: %llu bytes in %u tape%s, "
		       "%.1f bytes/event",
		  (unsigned long long)res->events, (unsigned long long)res->lost, secs,
		  (unsigned long long)res->bytes, res->tapes, res->tapes == 1 ? "" : "s",
		  res->events ? (double)res->bytes / (double)res->events : 0.0);
	if (s->missed_total)
		tt_warn(out, "lost %llu hits the kernel ran no BPF program for (another BPF program was "
			     "running on the CPU: the tape marks them as losses of an unknown probe)",
			(unsigned long long)s->missed_total);
	for (size_t slot = 0; res->lost && slot < s->probe_cnt; slot++) {
		uint64_t total = 0;

		for (int cpu = 0; cpu < s->ncpu; cpu++)
			total += s->loss_prev[slot * (size_t)s->ncpu + cpu];
		if (total)
			tt_warn(out, "lost %llu of %llu events of %s:%s", (unsigned long long)total,
				(unsigned long long)s->fired[slot], s->probes[slot].d.provider,
				s->probes[slot].d.name);
	}
	if (res->command_started) {
		if (WIFEXITED(res->command_status))
			tt_notice(out, "%s exited with status %d", s->o->command[0],
				  WEXITSTATUS(res->command_status));
		else if (WIFSIGNALED(res->command_status))
			tt_notice(out, "%s was killed by signal %d (%s)", s->o->command[0],
				  WTERMSIG(res->command_status), strsignal(WTERMSIG(res->command_status)));
	}
}

static void session_free(struct session *s)
{
	if (s->child_go_fd >= 0)
		close(s->child_go_fd);
	tt_ring__free(s->rb);
	detach_all(s);
	record_bpf__destroy(s->skel);
	tt_tape_writer__free(s->w);
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
	for (size_t i = 0; i < s->spec_cnt; i++)
		tt_probe_spec_free(&s->specs[i]);
	free(s->specs);
	for (size_t i = 0; i < s->root_cnt; i++)
		if (s->root_fds && s->root_fds[i] >= 0)
			close(s->root_fds[i]);
	free(s->root_fds);
	free(s->roots);
	free(s->seen);
	free(s->loss_prev);
	free(s->fired);
	tt_provider_file__free(s->schema);
}

static const char *const sched_specs[] = {
	"tracepoint:sched:sched_switch", "tracepoint:sched:sched_wakeup",
	"tracepoint:sched:sched_wakeup_new", "tracepoint:sched:sched_process_fork",
	"tracepoint:sched:sched_process_exec", "tracepoint:sched:sched_process_exit",
};
static const char *const syscall_specs[] = {
	"tracepoint:raw_syscalls:sys_enter", "tracepoint:raw_syscalls:sys_exit",
};

static int check_opts(const struct tt_record_opts *o, const struct tt_out *out)
{
	if (!o->spec_cnt && !o->sched && !o->syscalls)
		return tt_cmd_usage_error(out, "no probe spec given");
	if (o->pid_cnt && o->command)
		return tt_cmd_usage_error(out, "-p and -- COMMAND cannot be combined");
	if (o->strlen == 0 || o->strlen > TT_STRLEN_MAX)
		return tt_cmd_usage_error(out, "--strlen must be between 1 and 1024");
	if (o->ring_sz < 4096 || (o->ring_sz & (o->ring_sz - 1)))
		return tt_cmd_usage_error(out, "--buffer-size must be a power of two of at least 4K");
	if (o->rotate == 1 || (o->rotate && !o->max_size))
		return tt_cmd_usage_error(out, "--rotate N needs N >= 2 and --max-size");
	return 0;
}

int tt_record_run(const struct tt_record_opts *o, const struct tt_out *out,
		  struct tt_record_result *res)
{
	struct sigaction sa = {.sa_handler = on_stop_signal}, old_int, old_term;
	struct session sess = {.o = o, .out = out, .child = -1, .child_go_fd = -1,
			       .probe_fork = UINT32_MAX, .probe_exec = UINT32_MAX,
			       .probe_exit = UINT32_MAX};
	struct session *s = &sess;
	char *exe = NULL, msg[512];
	size_t site_total = 0, bins_used = 0, user_probes;
	uint64_t stop_at = 0;
	int err, mounted, signals_installed = 0;

	memset(res, 0, sizeof(*res));
	err = check_opts(o, out);
	if (err)
		return err;
	s->specs = calloc(o->spec_cnt + TT_ARRAY_SIZE(sched_specs) + TT_ARRAY_SIZE(syscall_specs),
			  sizeof(*s->specs));
	if (!s->specs)
		return -ENOMEM;
	for (size_t i = 0; o->sched && i < TT_ARRAY_SIZE(sched_specs); i++) {
		err = tt_probe_spec_parse(sched_specs[i], &s->specs[s->spec_cnt], msg, sizeof(msg));
		if (err)
			goto cleanup;
		s->spec_cnt++;
	}
	for (size_t i = 0; o->syscalls && i < TT_ARRAY_SIZE(syscall_specs); i++) {
		err = tt_probe_spec_parse(syscall_specs[i], &s->specs[s->spec_cnt], msg, sizeof(msg));
		if (err)
			goto cleanup;
		s->spec_cnt++;
	}
	for (size_t i = 0; i < o->spec_cnt; i++) {
		err = tt_probe_spec_parse(o->specs[i], &s->specs[s->spec_cnt], msg, sizeof(msg));
		if (err) {
			tt_err(out, "%s (see 'tracetape record --help')", msg);
			goto cleanup;
		}
		s->spec_cnt++;
		if (!s->specs[s->spec_cnt - 1].path &&
		    s->specs[s->spec_cnt - 1].type != TT_SPEC_TRACEPOINT && !o->pid_cnt && !o->command) {
			err = tt_cmd_usage_error(out, "'%s' names no binary: give a PATH "
						       "(usdt:/path/to/bin:...), -p PID or -- COMMAND",
						       o->specs[i]);
			goto cleanup;
		}
	}

	if (o->schema) {
		struct tt_provider_error perr = {0};

		err = tt_provider_file__load(o->schema, &s->schema, &perr);
		if (err) {
			if (perr.line)
				tt_err(out, "%s:%u:%u: %s", o->schema, perr.line, perr.col, perr.msg);
			else
				tt_err(out, "%s: %s", o->schema, perr.msg[0] ? perr.msg : tt_strerror(err));
			goto cleanup;
		}
	}
	err = tt_bpf_check_privileges(out);
	if (!err)
		err = tt_bpf_check_btf(out);
	if (!err)
		err = tt_tracefs_ensure(out, &mounted);
	if (err)
		goto cleanup;
	tt_libbpf_route_output(out);

	s->filter = o->pid_cnt || o->command;
	if (o->pid_cnt) {
		s->roots = calloc(o->pid_cnt, sizeof(*s->roots));
		s->root_fds = calloc(o->pid_cnt, sizeof(*s->root_fds));
		if (!s->roots || !s->root_fds) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t i = 0; i < o->pid_cnt; i++) {
			int fd = (int)syscall(SYS_pidfd_open, o->pids[i], 0);

			if (fd < 0) {
				err = -errno;
				tt_err(out, "process %d: %s", (int)o->pids[i],
				       errno == ESRCH ? "no such process" : strerror(errno));
				goto cleanup;
			}
			s->roots[s->root_cnt] = o->pids[i];
			s->root_fds[s->root_cnt++] = fd;
		}
	}
	if (o->command) {
		exe = tt_which(o->command[0]);
		if (!exe) {
			err = -ENOENT;
			tt_err(out, "command not found: %s", o->command[0]);
			goto cleanup;
		}
		err = start_command(s, exe);
		if (err) {
			tt_err(out, "starting %s failed: %s", exe, strerror(-err));
			goto cleanup;
		}
	}

	err = resolve_specs(s);
	if (err)
		goto cleanup;
	user_probes = s->probe_cnt;
	if (s->filter) {
		err = add_builtin_probes(s);
		if (err)
			goto cleanup;
	}
	s->ncpu = libbpf_num_possible_cpus();
	s->loss_prev = calloc(s->probe_cnt * (size_t)TT_MAX(s->ncpu, 1) + 1, sizeof(*s->loss_prev));
	s->fired = calloc(s->probe_cnt + 1, sizeof(*s->fired));
	if (s->ncpu <= 0 || !s->loss_prev || !s->fired) {
		err = s->ncpu <= 0 ? s->ncpu : -ENOMEM;
		goto cleanup;
	}
	err = load_bpf(s);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < s->root_cnt && !err; i++)
		err = trace_pid(s, s->roots[i]);
	if (!err && s->child > 0)
		err = trace_pid(s, s->child);
	if (err) {
		tt_err(out, "filling the pid filter failed: %s", strerror(-err));
		goto cleanup;
	}
	s->rb = tt_ring__open(bpf_map__fd(s->skel->maps.events), s->o->ring_sz);
	if (!s->rb) {
		err = -errno;
		tt_err(out, "creating the ring buffer consumer failed: %s", strerror(-err));
		goto cleanup;
	}
	err = open_tape(s);
	if (err)
		goto cleanup;
	s->start_ns = s->last_harvest_ns = tt_now_mono_ns();
	err = attach_all(s, &site_total, &bins_used);
	if (err)
		goto cleanup;

	stop_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signals_installed = 1;

	/* The documented ready line: printed only once every probe is attached. */
	{
		char what[128] = "";

		if (site_total)
			snprintf(what, sizeof(what), "%zu site%s in %zu binar%s", site_total,
				 site_total == 1 ? "" : "s", bins_used, bins_used == 1 ? "y" : "ies");
		if (s->tp_cnt)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%zu tracepoint%s",
				 site_total ? ", " : "", s->tp_cnt, s->tp_cnt == 1 ? "" : "s");
		tt_notice(out, "recording %zu probe%s (%s) to %s", user_probes,
			  user_probes == 1 ? "" : "s", what, o->output);
	}
	if (s->child > 0) {
		err = release_command(s);
		if (err) {
			tt_err(out, "releasing %s failed: %s", o->command[0], strerror(-err));
			goto cleanup;
		}
		res->command_started = 1;
	}
	if (o->duration_ns)
		stop_at = s->start_ns + o->duration_ns;

	while (!stop_signal && !s->write_err) {
		uint64_t now;
		int n = tt_ring__poll(s->rb, POLL_TIMEOUT_MS);

		if (n < 0 && n != -EINTR) {
			err = n;
			tt_err(out, "waiting for the ring buffer failed: %s", strerror(-n));
			break;
		}
		/* Records sent without a wakeup are not reported by poll: consume on every pass. */
		tt_ring__consume(s->rb, on_record, s);
		now = tt_now_mono_ns();
		if (now - s->last_harvest_ns >= HARVEST_INTERVAL_NS)
			harvest_counts(s);
		if (now - s->last_clock_ns >= CLOCK_INTERVAL_NS)
			add_clock(s);
		writer_check(s, tt_tape_writer__tick(s->w, now));
		if (o->max_size && tt_tape_writer__bytes(s->w) >= o->max_size) {
			if (!o->rotate) {
				tt_notice(out, "reached --max-size");
				break;
			}
			err = rotate_tape(s);
			if (err)
				break;
		}
		if (stop_at && now >= stop_at)
			break;
		if (s->child > 0) {
			reap_child(s, 0);
			if (s->child_done)
				break;
		}
		if (s->root_cnt && !roots_alive(s)) {
			tt_info(out, "every traced process exited");
			break;
		}
	}
	if (stop_signal)
		tt_info(out, "stopping on signal %d", (int)stop_signal);

	/* Detach first, then drain what the programs sent before they were gone. */
	detach_all(s);
	tt_ring__consume(s->rb, on_record, s);
	harvest_counts(s);
	if (s->w) {
		add_clock(s);
		write_fired(s);
		res->bytes = s->closed_bytes;
		int cerr = tt_tape_writer__close(s->w);

		s->w = NULL;
		writer_check(s, cerr);
		if (!err)
			err = s->write_err;
		/* The closed tape's size: what the writer wrote, trailer included. */
		struct stat st;
		if (stat(o->output, &st) == 0)
			res->bytes += (uint64_t)st.st_size;
	}
	if (s->child > 0 && !s->child_done) {
		/* We started it; the recording is over, so it ends too (SIGTERM, then SIGKILL). */
		kill(s->child, SIGTERM);
		reap_child(s, CHILD_TERM_WAIT_MS);
		if (!s->child_done) {
			kill(s->child, SIGKILL);
			reap_child(s, CHILD_TERM_WAIT_MS);
		}
	}
	res->events = s->events;
	res->lost = s->lost;
	res->duration_ns = tt_now_mono_ns() - s->start_ns;
	res->probe_cnt = (uint32_t)user_probes;
	res->tapes = s->tapes;
	res->command_status = s->child_status;
	print_summary(s, res);

cleanup:
	if (signals_installed) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	if (s->child > 0 && !s->child_done) {
		if (s->child_go_fd >= 0) { /* never released: it exits when the pipe closes */
			close(s->child_go_fd);
			s->child_go_fd = -1;
		}
		reap_child(s, CHILD_TERM_WAIT_MS);
	}
	free(exe);
	session_free(s);
	return err;
}
