/* SPDX-License-Identifier: MIT */
/*
 * The Go probe package generator (see go_gen.h; the contract is schemas/GO_PROBES.md): from a
 * parsed provider file, the text of a Go file with one function and one ...Enabled() per probe
 * and the descriptor variable, an assembly file with the probe functions' bodies, and a Go
 * file for other architectures where every probe does nothing.
 *
 * Argument frames follow Go's ABI0 (golang/go src/cmd/compile/abi-internal.md, "stack
 * layout"): each argument at the next offset aligned to its type's alignment; the frame size
 * declared to the assembler is the end of the last argument, which `go vet` (asmdecl) checks
 * against the Go declaration.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go_gen.h"
#include "tt_error.h"
#include "tt_types.h"
#include "tt_util.h"

/* A Go argument type the generator knows, with its ABI0 size and alignment. */
struct go_type {
	const char *go;   /* Go spelling */
	const char *kind; /* descriptor kind (GO_PROBES.md) */
	unsigned size, align;
	const char *load; /* the instruction that loads it into a whole register, extended */
	unsigned words;   /* registers it takes: a string or []byte its pointer and length */
};

static const struct go_type go_types[] = {
	{"int8", "i8", 1, 1, "MOVBQSX", 1},   {"int16", "i16", 2, 2, "MOVWQSX", 1},
	{"int32", "i32", 4, 4, "MOVLQSX", 1}, {"int64", "i64", 8, 8, "MOVQ", 1},
	{"uint8", "u8", 1, 1, "MOVBQZX", 1},  {"uint16", "u16", 2, 2, "MOVWQZX", 1},
	{"uint32", "u32", 4, 4, "MOVL", 1},   {"uint64", "u64", 8, 8, "MOVQ", 1},
	{"float32", "f32", 4, 4, "MOVL", 1},  {"float64", "f64", 8, 8, "MOVQ", 1},
	{"uintptr", "ptr", 8, 8, "MOVQ", 1},  {"string", "str", 16, 8, "MOVQ", 2},
	{"[]byte", "bytes", 24, 8, "MOVQ", 2},
};

/*
 * The registers a probe function loads its arguments into before the nop, in this order
 * (GO_PROBES.md): Go assembly's names and the recorder's. Not SP, BP, R14 (g: the goroutine
 * id is read through it) or R15.
 */
static const char *const arg_regs[][2] = {
	{"AX", "rax"}, {"BX", "rbx"}, {"CX", "rcx"}, {"DX", "rdx"},  {"SI", "rsi"},  {"DI", "rdi"},
	{"R8", "r8"},  {"R9", "r9"},  {"R10", "r10"}, {"R11", "r11"}, {"R12", "r12"}, {"R13", "r13"},
};

static const char *const go_keywords[] = {
	"break",  "case",   "chan",	"const",     "continue", "default", "defer",
	"else",	  "fallthrough", "for", "func",	     "go",	 "goto",    "if",
	"import", "interface",	 "map", "package",   "range",	 "return",  "select",
	"struct", "switch",	 "type", "var",
};

int tt_go_is_identifier(const char *s)
{
	if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return 0;
	for (size_t i = 0; i < TT_ARRAY_SIZE(go_keywords); i++)
		if (!strcmp(s, go_keywords[i]))
			return 0;
	return 1;
}

int tt_go_func_name(const char *name, char *buf, size_t buf_sz)
{
	size_t n = 0;
	bool up = true;

	for (const char *p = name; *p; p++) {
		if (*p == '_') {
			up = true;
			continue;
		}
		if (n + 1 >= buf_sz)
			return -1;
		buf[n++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
		up = false;
	}
	if (!n || n >= buf_sz || !(buf[0] >= 'A' && buf[0] <= 'Z'))
		return -1;
	buf[n] = '\0';
	return tt_go_is_identifier(buf) ? 0 : -1;
}

/* The Go type of a provider-file argument, or NULL when it has none. */
static const struct go_type *arg_type(const struct tt_provider_arg *a)
{
	const char *t = a->type;
	unsigned cls = TT_KIND_CLASS(a->kind), size = TT_KIND_SIZE(a->kind);
	const char *want = NULL;

	if (a->str.form)
		return NULL; /* a counted string of C: a Go string carries its length */
	if (!strncmp(t, "const ", 6))
		t += 6;
	switch (cls) {
	case TT_CLASS_SINT:
		want = size == 1 ? "int8" : size == 2 ? "int16" : size == 4 ? "int32" : "int64";
		break;
	case TT_CLASS_UINT:
		want = size == 1 ? "uint8" : size == 2 ? "uint16" : size == 4 ? "uint32" : "uint64";
		break;
	case TT_CLASS_FLOAT:
		want = size == 4 ? "float32" : "float64";
		break;
	case TT_CLASS_STR:
		want = "string";
		break;
	case TT_CLASS_PTR:
		want = !strcmp(t, "uint8_t *") || !strcmp(t, "unsigned char *") ? "[]byte" : "uintptr";
		break;
	default:
		return NULL;
	}
	for (size_t i = 0; i < TT_ARRAY_SIZE(go_types); i++)
		if (!strcmp(go_types[i].go, want))
			return &go_types[i];
	return NULL;
}

/* One probe as the package spells it. */
struct gprobe {
	const struct tt_provider *prov;
	const struct tt_provider_probe *pr;
	char fn[160];   /* exported function */
	char asm_[200]; /* assembly function */
	const struct go_type *types[TT_MAX_ARGS];
	char names[TT_MAX_ARGS][80];
	unsigned offs[TT_MAX_ARGS];
	int reg[TT_MAX_ARGS]; /* first register (arg_regs) it is loaded into, or -1: on the stack */
	unsigned frame;
};

/*
 * Can a parameter keep its name in the assembly file? Not "g" (the g register there), nor an
 * upper-case name that could be a register or pseudo-register (AX, R8, SP, FP, SB, PC); not one
 * starting with "tt", which could shadow the package's own names in the Go file.
 */
static bool name_ok(const char *s)
{
	bool upper = true;

	for (const char *p = s; *p; p++)
		upper &= (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
	return tt_go_is_identifier(s) && strcmp(s, "g") && !upper && strncmp(s, "tt", 2);
}

/* FNV-1a, to give a package's assembly functions names no other package has. */
static uint32_t fnv1a(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int plan_probe(struct gprobe *g, const struct tt_provider *prov,
		      const struct tt_provider_probe *pr, bool multi, char *errbuf, size_t errbuf_sz)
{
	char pname[80], fname[80];
	unsigned off = 0, words = 0;
	bool stack = false;

	g->prov = prov;
	g->pr = pr;
	if (tt_go_func_name(pr->name, fname, sizeof(fname)) ||
	    (multi && tt_go_func_name(prov->name, pname, sizeof(pname)))) {
		tt_msgf(errbuf, errbuf_sz, "%s:%s (line %u): no Go function name can be made of it",
			prov->name, pr->name, pr->line);
		return -TT_E_PARSE;
	}
	snprintf(g->fn, sizeof(g->fn), "%s%s", multi ? pname : "", fname);
	for (unsigned i = 0; i < pr->arg_cnt; i++) {
		const struct tt_provider_arg *a = &pr->args[i];
		const struct go_type *t = arg_type(a);

		if (!t) {
			tt_msgf(errbuf, errbuf_sz,
				"%s:%s (line %u): argument %u (%s%s%s) has no Go type (integers, float, "
				"double, char * for string, uint8_t * for []byte, other pointers for "
				"uintptr)",
				prov->name, pr->name, pr->line, i, a->type, a->name ? " " : "",
				a->name ? a->name : "");
			return -TT_E_PARSE;
		}
		g->types[i] = t;
		if (a->name && name_ok(a->name))
			snprintf(g->names[i], sizeof(g->names[i]), "%s", a->name);
		else if (a->name && (int)strlen(a->name) < 70)
			snprintf(g->names[i], sizeof(g->names[i]), "%s_", a->name);
		else
			snprintf(g->names[i], sizeof(g->names[i]), "arg%u", i);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(g->names[i], g->names[j]))
				snprintf(g->names[i], sizeof(g->names[i]), "arg%u", i);
		off = (off + t->align - 1) / t->align * t->align;
		g->offs[i] = off;
		off += t->size;
		/* registers in argument order, until one does not fit: the rest stay on the stack */
		stack |= words + t->words > TT_ARRAY_SIZE(arg_regs);
		g->reg[i] = stack ? -1 : (int)words;
		words += stack ? 0 : t->words;
	}
	g->frame = off;
	return 0;
}

static int go_params(struct tt_buf *b, const struct gprobe *g, bool types)
{
	int e = 0;

	for (unsigned i = 0; i < g->pr->arg_cnt; i++)
		e |= tt_buf_printf(b, "%s%s%s%s", i ? ", " : "", g->names[i], types ? " " : "",
			      types ? g->types[i]->go : "");
	return e;
}

static int decl_comment(struct tt_buf *b, const struct gprobe *g)
{
	int e = 0;

	e |= tt_buf_printf(b, "%s:%s(", g->prov->name, g->pr->name);
	for (unsigned i = 0; i < g->pr->arg_cnt; i++)
		e |= tt_buf_printf(b, "%s%s%s%s", i ? ", " : "", g->pr->args[i].type,
			      g->pr->args[i].name ? " " : "",
			      g->pr->args[i].name ? g->pr->args[i].name : "");
	e |= tt_buf_printf(b, ")");
	return e;
}

/* The descriptor's text (GO_PROBES.md): one line per probe. */
static int meta_text(struct tt_buf *m, const struct gprobe *gs, size_t n)
{
	int e = 0;

	for (size_t i = 0; i < n; i++) {
		e |= tt_buf_printf(m, "%s %s %s", gs[i].prov->name, gs[i].pr->name, gs[i].asm_);
		for (unsigned j = 0; j < gs[i].pr->arg_cnt; j++) {
			int r = gs[i].reg[j];

			e |= tt_buf_printf(m, " %s@%u", gs[i].types[j]->kind, gs[i].offs[j]);
			if (r >= 0)
				e |= tt_buf_printf(m, "=%s", arg_regs[r][1]);
			if (r >= 0 && gs[i].types[j]->words == 2)
				e |= tt_buf_printf(m, ",%s", arg_regs[r + 1][1]);
			e |= tt_buf_printf(m, ":%s", gs[i].pr->args[j].name ? gs[i].pr->args[j].name
									 : gs[i].names[j]);
		}
		e |= tt_buf_printf(m, "\n");
	}
	return e;
}

static int write_go(struct tt_buf *b, const char *package, const char *src, const struct gprobe *gs,
		     size_t n, const struct tt_buf *meta, const char *desc, const char *token)
{
	int e = 0;

	e |= tt_buf_printf(b,
		      "// Code generated by `tracetape gen-go` from %s. DO NOT EDIT.\n\n"
		      "//go:build amd64\n\n"
		      "// Package %s holds the static probes of %s, for tracetape (record 'usdt:...').\n"
		      "// Each probe is a function that costs one load and one branch while nobody\n"
		      "// traces it; X...Enabled() reports whether a tracer is attached, to guard\n"
		      "// arguments that are costly to build.\n"
		      "package %s\n\n",
		      src, package, src, package);
	e |= tt_buf_printf(b,
		      "// %s is the descriptor tracetape finds in the binary (schemas/GO_PROBES.md):\n"
		      "// its semaphores are incremented by the kernel while a probe is traced.\n"
		      "var %s = struct {\n"
		      "\tmagic   [8]byte\n"
		      "\tversion uint32\n"
		      "\tcount   uint32\n"
		      "\tmetaLen uint32\n"
		      "\tgoidOff uint32\n"
		      "\tsema    [%zu]uint16\n"
		      "\tmeta    [%zu]byte\n"
		      "}{\n"
		      "\tmagic:   [8]byte{'T', 'T', 'G', 'O', 'D', 'E', 'S', 'C'},\n"
		      "\tversion: %d,\n"
		      "\tcount:   %zu,\n"
		      "\tmetaLen: %zu,\n"
		      "\tgoidOff: ttGoidOff_%s,\n"
		      "\tmeta: [%zu]byte{",
		      desc, desc, n, meta->len, TT_GO_DESC_VERSION, n, meta->len, token, meta->len);
	for (size_t i = 0; i < meta->len; i++)
		e |= tt_buf_printf(b, "%s%u,", i % 16 ? " " : "\n\t\t", meta->data[i]);
	e |= tt_buf_printf(b, "\n\t},\n}\n");
	for (size_t i = 0; i < n; i++) {
		const struct gprobe *g = &gs[i];

		e |= tt_buf_printf(b, "\n// %sEnabled reports whether a tracer is attached to ", g->fn);
		e |= decl_comment(b, g);
		e |= tt_buf_printf(b, ".\nfunc %sEnabled() bool { return %s.sema[%zu] != 0 }\n\n", g->fn, desc, i);
		e |= tt_buf_printf(b, "// %s fires ", g->fn);
		e |= decl_comment(b, g);
		e |= tt_buf_printf(b, ".\nfunc %s(", g->fn);
		e |= go_params(b, g, true);
		e |= tt_buf_printf(b, ") {\n\tif %s.sema[%zu] != 0 {\n\t\t%s(", desc, i, g->asm_);
		e |= go_params(b, g, false);
		e |= tt_buf_printf(b, ")\n\t}\n}\n\n//go:noescape\nfunc %s(", g->asm_);
		e |= go_params(b, g, true);
		e |= tt_buf_printf(b, ")\n");
	}
	return e;
}

static int write_asm(struct tt_buf *b, const char *src, const struct gprobe *gs, size_t n,
		     const char *token)
{
	int e = 0;

	e |= tt_buf_printf(b,
		      "// Code generated by `tracetape gen-go` from %s. DO NOT EDIT.\n\n"
		      "// Each probe loads its arguments from the stack (ABI0) into registers, and the\n"
		      "// goroutine id from g (R14) into R15, where the recorder reads them without\n"
		      "// touching memory; then comes a 5-byte nop, where tracetape's uprobe goes, and\n"
		      "// RET. Go code keeps nothing below the stack pointer, so the kernel may turn the\n"
		      "// nop into a call (an optimized uprobe).\n\n"
		      "#include \"textflag.h\"\n"
		      "#include \"go_asm.h\"\n",
		      src);
	for (size_t i = 0; i < n; i++) {
		const struct gprobe *g = &gs[i];

		e |= tt_buf_printf(b, "\nTEXT ·%s(SB), NOSPLIT|NOFRAME, $0-%u\n", g->asm_, g->frame);
		for (unsigned j = 0; j < g->pr->arg_cnt; j++) {
			const struct go_type *t = g->types[j];

			if (g->reg[j] < 0)
				continue;
			if (t->words == 1) {
				e |= tt_buf_printf(b, "\t%s %s+%u(FP), %s\n", t->load, g->names[j],
						   g->offs[j], arg_regs[g->reg[j]][0]);
				continue;
			}
			e |= tt_buf_printf(b, "\tMOVQ %s_base+%u(FP), %s\n\tMOVQ %s_len+%u(FP), %s\n",
					   g->names[j], g->offs[j], arg_regs[g->reg[j]][0], g->names[j],
					   g->offs[j] + 8, arg_regs[g->reg[j] + 1][0]);
		}
		e |= tt_buf_printf(b, "\tMOVQ const_ttGoidOff_%s(R14), R15\n"
				      "\tBYTE $0x0f; BYTE $0x1f; BYTE $0x44; BYTE $0x00; BYTE $0x00\n"
				      "\tRET\n",
				   token);
	}
	return e;
}

static int write_other(struct tt_buf *b, const char *package, const char *src,
			const struct gprobe *gs, size_t n)
{
	int e = 0;

	e |= tt_buf_printf(b,
		      "// Code generated by `tracetape gen-go` from %s. DO NOT EDIT.\n\n"
		      "//go:build !amd64\n\n"
		      "// Package %s: on this architecture tracetape records nothing, and every\n"
		      "// probe does nothing.\n"
		      "package %s\n",
		      src, package, package);
	for (size_t i = 0; i < n; i++) {
		e |= tt_buf_printf(b, "\n// %sEnabled is always false here.\nfunc %sEnabled() bool { return false }\n",
			      gs[i].fn, gs[i].fn);
		e |= tt_buf_printf(b, "\n// %s does nothing here.\nfunc %s(", gs[i].fn, gs[i].fn);
		for (unsigned j = 0; j < gs[i].pr->arg_cnt; j++)
			e |= tt_buf_printf(b, "%s_ %s", j ? ", " : "", gs[i].types[j]->go);
		e |= tt_buf_printf(b, ") {}\n");
	}
	return e;
}

/* A file of the goroutine id's offset in runtime.g for the Go versions constraint selects. */
static int write_goid(struct tt_buf *b, const char *package, const char *src, const char *token,
		      const char *constraint, const char *versions, unsigned off)
{
	return tt_buf_printf(b,
			     "// Code generated by `tracetape gen-go` from %s. DO NOT EDIT.\n\n"
			     "//go:build amd64 && %s\n\n"
			     "package %s\n\n"
			     "// ttGoidOff_%s is where runtime.g keeps the goroutine id in %s: the probe\n"
			     "// functions load it into R15, and the descriptor tells the recorder so.\n"
			     "const ttGoidOff_%s = %u\n",
			     src, constraint, package, token, versions, token, off);
}

void tt_go_gen_free(struct tt_go_gen *g)
{
	tt_buf_free(&g->go);
	tt_buf_free(&g->asm_);
	tt_buf_free(&g->other);
	tt_buf_free(&g->goid);
	tt_buf_free(&g->goid123);
	memset(g, 0, sizeof(*g));
}

int tt_go_gen(const struct tt_provider_file *pf, const char *package, const char *source,
	      struct tt_go_gen *out, char *errbuf, size_t errbuf_sz)
{
	const char *src = strrchr(source, '/') ? strrchr(source, '/') + 1 : source;
	bool multi = pf->provider_cnt > 1;
	struct tt_buf meta = {0};
	struct gprobe *gs = NULL;
	char desc[32], tok[16];
	size_t n = 0, k = 0;
	uint32_t token = 2166136261u;
	int err;

	memset(out, 0, sizeof(*out));
	if (!tt_go_is_identifier(package) || !strcmp(package, "_")) {
		tt_msgf(errbuf, errbuf_sz, "'%s' is not a Go package name", package);
		return -TT_E_USAGE;
	}
	for (size_t i = 0; i < pf->provider_cnt; i++)
		n += pf->providers[i].probe_cnt;
	if (!n || n > TT_GO_MAX_PROBES) {
		tt_msgf(errbuf, errbuf_sz, n ? "more than %d probes" : "no probe to generate",
			TT_GO_MAX_PROBES);
		return -TT_E_PARSE;
	}
	gs = calloc(n, sizeof(*gs));
	if (!gs)
		return -ENOMEM;
	for (size_t i = 0; i < pf->provider_cnt; i++) {
		for (size_t j = 0; j < pf->providers[i].probe_cnt; j++, k++) {
			err = plan_probe(&gs[k], &pf->providers[i], &pf->providers[i].probes[j], multi,
					 errbuf, errbuf_sz);
			if (err)
				goto cleanup;
			token = fnv1a(token, pf->providers[i].name);
			token = fnv1a(token, pf->providers[i].probes[j].name);
		}
	}
	token = fnv1a(token, package);
	/* Exported names must be unique, Enabled ones included ("x" and "x_enabled"). */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			char en[200];

			snprintf(en, sizeof(en), "%sEnabled", gs[j].fn);
			if ((i < j && !strcmp(gs[i].fn, gs[j].fn)) || !strcmp(gs[i].fn, en)) {
				tt_msgf(errbuf, errbuf_sz,
					"%s:%s (line %u) and %s:%s (line %u) would both define %s",
					gs[i].prov->name, gs[i].pr->name, gs[i].pr->line, gs[j].prov->name,
					gs[j].pr->name, gs[j].pr->line, gs[i].fn);
				err = -TT_E_PARSE;
				goto cleanup;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		snprintf(gs[i].asm_, sizeof(gs[i].asm_), "ttprobe_%08x_%s", token, gs[i].fn);
	snprintf(desc, sizeof(desc), "ttDesc_%08x", token);
	snprintf(tok, sizeof(tok), "%08x", token);
	err = meta_text(&meta, gs, n);
	err |= write_go(&out->go, package, src, gs, n, &meta, desc, tok);
	err |= write_asm(&out->asm_, src, gs, n, tok);
	err |= write_other(&out->other, package, src, gs, n);
	err |= write_goid(&out->goid, package, src, tok, "(!go1.23 || go1.25)",
			  "Go 1.13 to 1.22 and from 1.25", TT_GO_GOID_OFF);
	err |= write_goid(&out->goid123, package, src, tok, "go1.23 && !go1.25", "Go 1.23 and 1.24",
			  TT_GO_GOID_OFF_GO123);
	if (err)
		err = -ENOMEM;
cleanup:
	if (err)
		tt_go_gen_free(out);
	tt_buf_free(&meta);
	free(gs);
	return err;
}
