/* SPDX-License-Identifier: MIT */
/*
 * `tracetape list`: the USDT probes of binaries, libraries or a running process. For each file
 * it parses the stapsdt and tracetape notes (usdt_notes.h), groups the sites of each probe, and
 * prints one line per probe: sites, semaphore, argument kinds and names (from the tracetape note,
 * else from a provider file given with --schema, else from the provider files built into
 * tracetape, else from the bare spec), and the distinct argument specs of its sites; -v adds
 * one line per site, --json gives everything to machines. --presets lists `record --preset`.
 *
 * Exit status (documented in the help text): 0 when every file named has probes and every
 * site's arguments parse; 1 when a file cannot be read or is not ELF, has no probes, the process
 * does not exist, the provider file is malformed, or some site's argument spec cannot be parsed
 * (such sites are still listed, marked "unparsed", since the other sites remain usable); 2 for a
 * bad command line.
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_providers.h"
#include "presets.h"
#include "proc_maps.h"
#include "provider_file.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_fmt.h"
#include "tt_names.h"
#include "tt_util.h"
#include "usdt_notes.h"

enum { OPT_PRESETS = TT_OPT_FIRST };

static const char *const fmt_names[] = {"text", "json", NULL};

static const struct tt_opt list_options[] = {
	{'p', "pid", 'p', "PID", "list the probes of a running process", NULL},
	{'s', "schema", 's', "FILE.d", "name and type arguments from a DTrace provider file", NULL},
	{OPT_PRESETS, "presets", 0, NULL,
	 "list the presets of 'tracetape record --preset' and what\n"
	 "they expand to", NULL},
	{'f', "format", 'f', "FMT",
	 "text (default) or json (one JSON document with every file,\n"
	 "probe and site)", NULL},
	{'j', "json", 'j', NULL, "the same as --format json", NULL},
	{'o', "output", 'o', "FILE", "write to FILE instead of standard output ('-')", NULL},
	{0},
};

const struct tt_cmd_def tt_cmd_def_list = {
	.summary = "list the USDT probes of binaries, libraries or a process",
	.name = "list",
	.usage = "BINARY|LIBRARY... [--schema FILE.d] [--json] [-o FILE] [-v]\n"
		 "       tracetape list -p PID [--schema FILE.d] [--json] [-o FILE] [-v]\n"
		 "       tracetape list --presets",
	.about = "List the USDT probes of executables and shared libraries, or of a running process\n"
		 "(its executable and every file it maps). One line per probe: the number of sites,\n"
		 "the semaphore address (- when none), the arguments as KIND NAME, and the distinct\n"
		 "argument specs of its sites (separated by |). Kinds: s8..s64 and u8..u64 integers,\n"
		 "f32/f64 floats, ptr, str (a C string), bytes (a string of explicit length);\n"
		 "any8..any64 is an integer or pointer of that size that nothing describes further.\n"
		 "Kinds and names come from the tracetape note of binaries built with\n"
		 "<tracetape/probe.h> or the descriptor of a Go package made by gen-go, else from\n"
		 "the provider file given with --schema, else from the provider files built into\n"
		 "tracetape for PostgreSQL 15, PHP 8.2, Python 3.11, OpenJDK 17 and libstdc++ (a\n"
		 "line \"provider file: built-in NAME.d\" says which; a declaration whose argument\n"
		 "count differs from the binary's is not used), else from the stapsdt argument spec\n"
		 "alone. With --json each argument's \"source\" says which: note, gen-go, schema,\n"
		 "builtin or spec.\n",
	.opts = list_options,
	.more = "-v also prints one line per site: address, file offset, semaphore, spec.\n"
		"\n"
		"Exit status: 0 success; 1 when a file cannot be read, is not ELF or has no probes,\n"
		"the process does not exist, the provider file is malformed, or an argument spec\n"
		"cannot be parsed (the site is still listed, marked \"unparsed\"); 2 for a bad command\n"
		"line.\n",
};

struct probe_group {
	const char *provider, *name; /* borrowed from the first site */
	size_t *sites;               /* indexes into file->sites */
	size_t site_cnt;
};

struct list_opts {
	const struct tt_provider_file *schema;
	int json;
	int verbose;
};

/* ---- kinds and names ---- */

/* What we know of argument i of a probe, merging the note, the schema and the spec. */
struct arg_view {
	uint8_t kind;
	const char *name;   /* borrowed, or NULL */
	const char *source; /* "note", "gen-go", "schema", "builtin" or "spec" */
};

/* A probe's declaration: in --schema, else in the built-in files (*builtin says which). */
struct decl {
	const struct tt_provider_probe *probe; /* NULL: none */
	const char *builtin;                   /* the built-in file's name, NULL for --schema */
};

static void arg_view(const struct tt_usdt_site *s, const struct decl *decl, unsigned i,
		     struct arg_view *v)
{
	const struct tt_provider_probe *dp = decl->probe;
	const struct tt_provider_arg *d = dp && dp->arg_cnt == s->argc ? &dp->args[i] : NULL;

	v->kind = s->kinds[i];
	v->source = s->go_abi0 ? "gen-go" : s->has_types ? "note" : "spec";
	v->name = s->arg_names[i];
	if (!s->has_types && d && TT_KIND_CLASS(d->kind) != TT_CLASS_UNKNOWN) {
		unsigned cls = TT_KIND_CLASS(d->kind);

		/* The note's size is what the compiler passed; the file may declare a wider type. */
		if (cls == TT_CLASS_PTR || TT_KIND_IS_STR(d->kind))
			v->kind = d->kind;
		else
			v->kind = TT_KIND(cls, s->args[i].size);
		v->source = decl->builtin ? "builtin" : "schema";
	}
	if (!v->name && d)
		v->name = d->name;
}

/* The first site of g whose arguments parsed (or the first site). */
static const struct tt_usdt_site *group_site(const struct tt_usdt_file *f, const struct probe_group *g)
{
	for (size_t i = 0; i < g->site_cnt; i++)
		if (!f->sites[g->sites[i]].spec_err)
			return &f->sites[g->sites[i]];
	return &f->sites[g->sites[0]];
}

/*
 * The declaration that describes group g: the --schema file's, else, for sites without a
 * tracetape note, the built-in one when its argument count is the binary's.
 */
static struct decl group_decl(const struct list_opts *o, const struct tt_usdt_file *f,
			      const struct probe_group *g)
{
	const struct tt_usdt_site *s = group_site(f, g);
	struct decl d = {tt_provider_file__find(o->schema, g->provider, g->name), NULL};

	if (!d.probe && !s->has_types && !s->spec_err) {
		d.probe = tt_builtin_provider_find(g->provider, g->name, &d.builtin);
		if (d.probe && d.probe->arg_cnt != s->argc)
			d = (struct decl){NULL, NULL};
	}
	return d;
}

/* The distinct built-in files that describe some group, in first-use order; returns their count. */
static size_t builtin_files(const struct list_opts *o, const struct tt_usdt_file *f,
			    const struct probe_group *g, size_t n, const char **names, size_t max)
{
	size_t cnt = 0;

	for (size_t i = 0; i < n; i++) {
		struct decl d = group_decl(o, f, &g[i]);
		size_t k = 0;

		if (!d.builtin)
			continue;
		while (k < cnt && strcmp(names[k], d.builtin))
			k++;
		if (k == cnt && cnt < max)
			names[cnt++] = d.builtin;
	}
	return cnt;
}

/* ---- grouping ---- */

static int cmp_site_idx(const void *a, const void *b, void *file)
{
	const struct tt_usdt_file *f = file;
	const struct tt_usdt_site *x = &f->sites[*(const size_t *)a];
	const struct tt_usdt_site *y = &f->sites[*(const size_t *)b];
	int c = strcmp(x->provider, y->provider);

	if (!c)
		c = strcmp(x->name, y->name);
	if (!c)
		c = *(const size_t *)a < *(const size_t *)b ? -1 : 1;
	return c;
}

/* Group the sites by provider:name, sorted by provider then name. *order is the backing store. */
static int group_sites(const struct tt_usdt_file *f, struct probe_group **groups, size_t *group_cnt,
		       size_t **order)
{
	struct probe_group *g = NULL;
	size_t n = 0, *idx;

	*groups = NULL;
	*group_cnt = 0;
	idx = calloc(f->site_cnt ? f->site_cnt : 1, sizeof(*idx));
	*order = idx;
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < f->site_cnt; i++)
		idx[i] = i;
	qsort_r(idx, f->site_cnt, sizeof(*idx), cmp_site_idx, (void *)f);
	for (size_t i = 0; i < f->site_cnt; i++) {
		const struct tt_usdt_site *s = &f->sites[idx[i]];

		if (n && !strcmp(g[n - 1].provider, s->provider) && !strcmp(g[n - 1].name, s->name)) {
			g[n - 1].site_cnt++;
			continue;
		}
		struct probe_group *ng = realloc(g, (n + 1) * sizeof(*ng));

		if (!ng) {
			free(g);
			return -ENOMEM;
		}
		g = ng;
		g[n++] = (struct probe_group){.provider = s->provider, .name = s->name, .sites = &idx[i],
					      .site_cnt = 1};
	}
	*groups = g;
	*group_cnt = n;
	return 0;
}

/* ---- text output ---- */

static void args_text(const struct tt_usdt_file *f, const struct probe_group *g,
		      const struct decl *decl, struct tt_buf *b)
{
	const struct tt_usdt_site *s = &f->sites[g->sites[0]];
	char k[16];

	/* The first parsed site describes the probe's arguments. */
	for (size_t i = 0; i < g->site_cnt; i++)
		if (!f->sites[g->sites[i]].spec_err) {
			s = &f->sites[g->sites[i]];
			break;
		}
	if (s->spec_err) {
		tt_buf_printf(b, "?");
		return;
	}
	if (!s->argc)
		tt_buf_printf(b, "-");
	for (unsigned i = 0; i < s->argc; i++) {
		struct arg_view v;

		arg_view(s, decl, i, &v);
		tt_buf_printf(b, "%s%s%s%s", i ? ", " : "", tt_kind_name(v.kind, k),
			      v.name ? " " : "", v.name ? v.name : "");
	}
}

static void specs_text(const struct tt_usdt_file *f, const struct probe_group *g, struct tt_buf *b)
{
	size_t shown = 0;

	for (size_t i = 0; i < g->site_cnt; i++) {
		const struct tt_usdt_site *s = &f->sites[g->sites[i]];
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++) {
			const struct tt_usdt_site *t = &f->sites[g->sites[j]];

			seen = !strcmp(t->args_str, s->args_str) && !t->spec_err == !s->spec_err;
		}
		if (seen)
			continue;
		tt_buf_printf(b, "%s%s%s", shown++ ? " | " : "", s->args_str[0] ? s->args_str : "(none)",
			      s->spec_err ? " (unparsed)" : "");
	}
}

static void print_site(FILE *o, const struct tt_usdt_site *s)
{
	fprintf(o, "      site 0x%" PRIx64 " offset 0x%" PRIx64, s->pc_vaddr, s->pc_offset);
	if (s->sema_vaddr)
		fprintf(o, " sema 0x%" PRIx64 " offset 0x%" PRIx64, s->sema_vaddr, s->sema_offset);
	fprintf(o, ": %s", s->args_str[0] ? s->args_str : "(no arguments)");
	for (unsigned i = 0; i < s->argc; i++)
		if (s->args[i].sym && s->args[i].sym_found)
			fprintf(o, " [arg%u: %s%+" PRId64 " = 0x%" PRIx64 "]", i, s->args[i].sym, s->args[i].value,
				s->args[i].sym_vaddr);
		else if (s->args[i].sym)
			fprintf(o, " [arg%u: %s not found]", i, s->args[i].sym);
	if (s->spec_err)
		fprintf(o, " (unparsed: %s)", s->spec_msg ? s->spec_msg : "?");
	fputc('\n', o);
}

static void print_text(const struct tt_out *out, const char *shown_path, const struct tt_usdt_file *f,
		       const struct probe_group *g, size_t n, const struct list_opts *o)
{
	FILE *fo = out->out;
	struct tt_buf *args = calloc(n ? n : 1, sizeof(*args));
	struct tt_buf specs = {0};
	size_t w = strlen("PROBE"), aw = strlen("ARGUMENTS");

	if (!args)
		return;
	for (size_t i = 0; i < n; i++) {
		w = TT_MAX(w, strlen(g[i].provider) + 1 + strlen(g[i].name));
		struct decl d = group_decl(o, f, &g[i]);

		args_text(f, &g[i], &d, &args[i]);
		aw = TT_MAX(aw, args[i].len);
	}
	aw = TT_MIN(aw, 60); /* a longer list pushes its specs to the right rather than all of them */
	fprintf(fo, "%s: %zu probe%s, %zu site%s", shown_path, n, n == 1 ? "" : "s", f->site_cnt,
		f->site_cnt == 1 ? "" : "s");
	if (f->build_id)
		fprintf(fo, ", build id %s", f->build_id);
	fputc('\n', fo);
	{
		const char *names[16];
		size_t cnt = builtin_files(o, f, g, n, names, TT_ARRAY_SIZE(names));

		for (size_t i = 0; i < cnt; i++)
			fprintf(fo, "%s built-in %s", i ? "," : "  provider file:", names[i]);
		if (cnt)
			fputc('\n', fo);
	}
	fprintf(fo, "  %-*s  %5s  %-10s  %-*s  %s\n", (int)w, "PROBE", "SITES", "SEMAPHORE", (int)aw,
		"ARGUMENTS", "SPECS");
	for (size_t i = 0; i < n; i++) {
		const struct tt_usdt_site *s0 = &f->sites[g[i].sites[0]];
		char probe[512], sema[24];

		snprintf(probe, sizeof(probe), "%s:%s", g[i].provider, g[i].name);
		if (s0->sema_vaddr)
			snprintf(sema, sizeof(sema), "0x%" PRIx64, s0->sema_vaddr);
		else
			snprintf(sema, sizeof(sema), "-");
		specs.len = 0;
		specs_text(f, &g[i], &specs);
		fprintf(fo, "  %-*s  %5zu  %-10s  %-*.*s  %.*s\n", (int)w, probe, g[i].site_cnt, sema,
			(int)aw, (int)args[i].len, (const char *)args[i].data, (int)specs.len,
			(const char *)specs.data);
		if (o->verbose)
			for (size_t j = 0; j < g[i].site_cnt; j++)
				print_site(fo, &f->sites[g[i].sites[j]]);
	}
	for (size_t i = 0; i < n; i++)
		tt_buf_free(&args[i]);
	free(args);
	tt_buf_free(&specs);
}

/* ---- JSON output ---- */

static void json_str(FILE *o, const char *s)
{
	tt_json_fputs(o, s, s ? strlen(s) : 0); /* bytes that are not UTF-8 escaped: valid JSON */
}

static void print_json_file(FILE *o, const char *shown_path, const char *open_path,
			    const struct tt_usdt_file *f, const struct probe_group *g, size_t n,
			    const struct list_opts *opts, int first)
{
	char k[16];

	fprintf(o, "%s\n    {\"path\": ", first ? "" : ",");
	json_str(o, shown_path);
	fprintf(o, ", \"open_path\": ");
	json_str(o, open_path);
	fprintf(o, ", \"build_id\": ");
	json_str(o, f->build_id);
	fprintf(o, ", \"type\": \"%s\", \"provider_files\": [", f->e_type == ET_EXEC ? "exec" : "dyn");
	{
		const char *names[16];
		size_t cnt = builtin_files(opts, f, g, n, names, TT_ARRAY_SIZE(names));

		for (size_t i = 0; i < cnt; i++) {
			char label[64];

			snprintf(label, sizeof(label), "built-in %s", names[i]);
			fprintf(o, "%s", i ? ", " : "");
			json_str(o, label);
		}
	}
	fprintf(o, "], \"probes\": [");
	for (size_t i = 0; i < n; i++) {
		struct decl decl = group_decl(opts, f, &g[i]);
		const struct tt_usdt_site *s0 = &f->sites[g[i].sites[0]];

		for (size_t j = 0; j < g[i].site_cnt; j++)
			if (!f->sites[g[i].sites[j]].spec_err) {
				s0 = &f->sites[g[i].sites[j]];
				break;
			}
		fprintf(o, "%s\n      {\"provider\": ", i ? "," : "");
		json_str(o, g[i].provider);
		fprintf(o, ", \"name\": ");
		json_str(o, g[i].name);
		fprintf(o, ", \"semaphore\": %" PRIu64 ", \"args\": [", s0->sema_vaddr);
		for (unsigned a = 0; !s0->spec_err && a < s0->argc; a++) {
			struct arg_view v;

			arg_view(s0, &decl, a, &v);
			fprintf(o, "%s{\"name\": ", a ? ", " : "");
			json_str(o, v.name);
			fprintf(o, ", \"kind\": \"%s\", \"kind_code\": %u, \"source\": \"%s\"}",
				tt_kind_name(v.kind, k), v.kind, v.source);
		}
		fprintf(o, "], \"sites\": [");
		for (size_t j = 0; j < g[i].site_cnt; j++) {
			const struct tt_usdt_site *s = &f->sites[g[i].sites[j]];

			fprintf(o, "%s\n        {\"pc\": %" PRIu64 ", \"offset\": %" PRIu64
				   ", \"semaphore\": %" PRIu64 ", \"semaphore_offset\": %" PRIu64
				   ", \"spec\": ",
				j ? "," : "", s->pc_vaddr, s->pc_offset, s->sema_vaddr, s->sema_offset);
			json_str(o, s->args_str);
			fprintf(o, ", \"typed\": %s, \"kinds\": [", s->has_types ? "true" : "false");
			for (unsigned a = 0; a < s->argc; a++)
				fprintf(o, "%s\"%s\"", a ? ", " : "", tt_kind_name(s->kinds[a], k));
			fprintf(o, "], \"error\": ");
			json_str(o, s->spec_err ? (s->spec_msg ? s->spec_msg : "?") : NULL);
			fputc('}', o);
		}
		fprintf(o, "]}");
	}
	fprintf(o, "]}");
}

/* ---- driver ---- */

/*
 * List one file. Returns 0, a negative error when the file cannot be listed (reported here
 * unless quiet_skip), or -TT_E_BAD_SPEC after printing when a site is unparsed.
 */
static int list_file(const struct tt_out *out, const char *shown_path, const char *open_path,
		     const struct list_opts *o, int quiet_skip, int *json_first)
{
	struct tt_usdt_file *f = NULL;
	struct probe_group *g = NULL;
	size_t n = 0, *order = NULL, bad = 0;
	char msg[256] = "";
	int err;

	err = tt_usdt_file__open(open_path, &f, msg, sizeof(msg));
	if (err) {
		if (quiet_skip)
			tt_dbg(out, "%s: skipped: %s", shown_path, msg);
		else
			tt_err(out, "%s: %s", shown_path, msg[0] ? msg : tt_strerror(err));
		goto cleanup;
	}
	if (!f->site_cnt) {
		err = -TT_E_NO_PROBES;
		if (quiet_skip)
			tt_info(out, "%s: no USDT probes", shown_path);
		else
			tt_err(out, "%s: no USDT probes (no .note.stapsdt notes)", shown_path);
		goto cleanup;
	}
	err = group_sites(f, &g, &n, &order);
	if (err) {
		tt_err(out, "%s: %s", shown_path, tt_strerror(err));
		goto cleanup;
	}
	if (o->json) {
		print_json_file(out->out, shown_path, open_path, f, g, n, o, *json_first);
		*json_first = 0;
	} else if (out->verbosity >= TT_LVL_NOTICE) {
		print_text(out, shown_path, f, g, n, o);
	}
	for (size_t i = 0; i < f->site_cnt; i++) {
		const struct tt_usdt_site *s = &f->sites[i];

		if (s->spec_err) {
			bad++;
			tt_err(out, "%s: %s:%s at 0x%" PRIx64 ": unparsed argument spec '%s': %s", shown_path,
			       s->provider, s->name, s->pc_vaddr, s->args_str, s->spec_msg ? s->spec_msg : "?");
			continue;
		}
		for (unsigned a = 0; a < s->argc; a++)
			if (s->args[a].sym && !s->args[a].sym_found)
				tt_warn(out, "%s: %s:%s at 0x%" PRIx64 ": argument %u: symbol '%s' not found "
					     "(or ambiguous) in the file",
					shown_path, s->provider, s->name, s->pc_vaddr, a + 1, s->args[a].sym);
	}
	if (o->schema)
		for (size_t i = 0; i < n; i++) {
			const struct tt_provider_probe *decl =
				tt_provider_file__find(o->schema, g[i].provider, g[i].name);
			const struct tt_usdt_site *s0 = &f->sites[g[i].sites[0]];

			if (decl && !s0->spec_err && decl->arg_cnt != s0->argc)
				tt_warn(out, "%s: %s:%s: the provider file declares %u arguments, the note has %u; "
					     "its declaration is ignored",
					shown_path, g[i].provider, g[i].name, decl->arg_cnt, s0->argc);
		}
	err = bad ? -TT_E_BAD_SPEC : 0;
cleanup:
	free(g);
	free(order);
	tt_usdt_file__free(f);
	return err;
}

static int list_pid(const struct tt_out *out, pid_t pid, const struct list_opts *o, int *json_first)
{
	struct tt_mapped_file *files = NULL;
	size_t cnt = 0, listed = 0;
	int err, first_err = 0;

	err = tt_proc_mapped_files(pid, &files, &cnt);
	if (err == -ESRCH) {
		tt_err(out, "no process with pid %d", (int)pid);
		return err;
	}
	if (err) {
		tt_err(out, "cannot read the mappings of pid %d: %s", (int)pid, tt_strerror(err));
		return err;
	}
	for (size_t i = 0; i < cnt; i++) {
		char shown[4096];

		snprintf(shown, sizeof(shown), "%s%s", files[i].path, files[i].deleted ? " (deleted)" : "");
		err = list_file(out, shown, files[i].open_path, o, 1, json_first);
		if (err == 0 || err == -TT_E_BAD_SPEC)
			listed++;
		if (err == -TT_E_BAD_SPEC && !first_err)
			first_err = err;
	}
	tt_mapped_files_free(files, cnt);
	if (!listed) {
		tt_err(out, "process %d has no USDT probes in its executable or mapped files", (int)pid);
		return -TT_E_NO_PROBES;
	}
	return first_err;
}

/* `list --presets`: each preset of `record --preset`, and what it expands to. */
static void print_presets(FILE *o)
{
	size_t cnt;
	const struct tt_preset *p = tt_presets(&cnt);

	fprintf(o, "Presets of 'tracetape record --preset NAME[=PATH]'. Probes are found in PATH,\n"
		   "else in the -p/-- processes' binaries, else in the path shown.\n");
	for (size_t i = 0; i < cnt; i++, p++) {
		fprintf(o, "\n%s: %s\n", p->name, p->summary);
		fprintf(o, "  specs:  ");
		for (size_t k = 0; p->probes[k]; k++)
			fprintf(o, "%susdt:%s%s", k ? " " : "", p->path_only ? "PATH:" : "[PATH:]",
				p->probes[k]);
		fprintf(o, "\n  path:   %s%s\n", p->path, p->path_only ? " (also with -p or --)" : "");
		if (p->strlen)
			fprintf(o, "  option: --strlen %u (unless given)\n", (unsigned)p->strlen);
		for (size_t k = 0; p->stacks && p->stacks[k]; k++)
			fprintf(o, "  option: --stack %s (unless --no-stack)\n", p->stacks[k]);
		for (size_t k = 0; p->env && p->env[k]; k++)
			fprintf(o, "  env:    %s (in the environment of -- COMMAND)\n", p->env[k]);
		if (p->note)
			fprintf(o, "  note:   %s\n", p->note);
	}
}

int tt_cmd_list(int argc, char **argv, struct tt_out *out)
{
	struct tt_provider_file *schema = NULL;
	struct tt_provider_error perr;
	struct list_opts o = {0};
	struct tt_opts p;
	const char *schema_path = NULL, *v, *output = NULL;
	FILE *stdout_f = out->out, *f = NULL;
	int64_t pid = 0;
	int c, err = 0, json_first = 1, have_pid = 0, presets = 0, verbosity = out->verbosity;

	tt_opts_init(&p, &tt_cmd_def_list, argc, argv, out);
	while ((c = tt_opts_next(&p, &v)) > 0) {
		switch (c) {
		case 'p':
			if (tt_parse_i64(v, 1, INT32_MAX, &pid)) {
				err = tt_cmd_usage_error(out, "-p needs a process id (a positive number), "
							      "got '%s'", v);
				goto cleanup;
			}
			have_pid = 1;
			break;
		case 's':
			schema_path = v;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'f':
			err = tt_cmd_format(out, v, fmt_names);
			if (err < 0)
				goto cleanup;
			o.json = err;
			err = 0;
			break;
		case 'o':
			output = v;
			break;
		case OPT_PRESETS:
			presets = 1;
			break;
		}
	}
	if (c < 0) {
		err = c == TT_OPTS_HELP ? 0 : c;
		goto cleanup;
	}
	/* -v, counted by the layer, adds one line per site */
	o.verbose = out->verbosity > verbosity;
	/* -o: everything this command prints goes to FILE (until cleanup puts stdout back) */
	f = tt_cmd_output_open(out, output);
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	out->out = f;
	if (presets) {
		if (have_pid || p.arg_cnt || schema_path || o.json)
			err = tt_cmd_usage_error(out, "--presets takes no file, -p, --schema or --json");
		else
			print_presets(out->out);
		goto cleanup;
	}
	if (have_pid && p.arg_cnt) {
		err = tt_cmd_usage_error(out, "give either files or -p PID, not both");
		goto cleanup;
	}
	if (!have_pid && !p.arg_cnt) {
		err = tt_cmd_usage_error(out, "name at least one binary or library, or -p PID");
		goto cleanup;
	}

	if (schema_path) {
		err = tt_provider_file__load(schema_path, &schema, &perr);
		if (err) {
			if (perr.line)
				tt_err(out, "%s:%u:%u: %s", schema_path, perr.line, perr.col, perr.msg);
			else
				tt_err(out, "%s: %s", schema_path, perr.msg);
			goto cleanup;
		}
		o.schema = schema;
	}

	if (o.json)
		fprintf(out->out, "{\"files\": [");
	if (have_pid) {
		err = list_pid(out, (pid_t)pid, &o, &json_first);
	} else {
		for (int i = 0; i < p.arg_cnt; i++) {
			int e = list_file(out, p.args[i], p.args[i], &o, 0, &json_first);

			if (e && !err)
				err = e;
		}
	}
	if (o.json)
		fprintf(out->out, "%s]}\n", json_first ? "" : "\n");
cleanup:
	out->out = stdout_f;
	if (f) {
		int e = tt_cmd_output_close(out, output, f);

		err = err ? err : e;
	}
	tt_provider_file__free(schema);
	tt_opts_free(&p);
	return err;
}
