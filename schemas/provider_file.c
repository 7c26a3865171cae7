/* SPDX-License-Identifier: MIT */
/*
 * Provider file parser (see provider_file.h): a tokenizer that skips comments and preprocessor
 * lines and remembers where each token starts, and a recursive-descent parser for
 * `provider NAME { probe NAME(ARGS); ... };`. Every error names the line and column of the token
 * that was not what the grammar allows, and what was expected there. `#pragma tracetape` lines
 * are set aside by the tokenizer and applied once every declaration is known, since DTrace
 * files put their pragmas after the provider they describe (provider_pragma.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider_file.h"
#include "provider_pragma.h"
#include "tt_error.h"
#include "tt_util.h"

#define MAX_FILE_SZ (16u << 20)  /* a provider file is a few KiB; refuse to slurp a disk image */
#define MAX_TYPE_TOKENS 8        /* "const volatile unsigned long long int **" fits */
#define TT_PROVIDER_PROBES_MAX 16384u /* probes per provider, providers per file */

enum tok_type { TOK_EOF, TOK_IDENT, TOK_PUNCT };

struct tok {
	enum tok_type type;
	const char *s; /* into the text */
	size_t len;
	unsigned line, col;
};

struct parser {
	const char *p, *end;
	unsigned line;
	const char *line_start;
	struct tok tok; /* the current token */
	struct tt_provider_error *err;
	struct tt_provider_pragma *pragmas; /* kept for after the declarations */
	size_t pragma_cnt;
	int oom; /* a pragma could not be kept */
};

static int fail(struct parser *ps, const struct tok *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, const struct tok *at, const char *fmt, ...)
{
	va_list ap;

	ps->err->line = at->line;
	ps->err->col = at->col;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return -TT_E_PARSE;
}

static void describe(const struct tok *t, char *buf, size_t sz)
{
	if (t->type == TOK_EOF)
		snprintf(buf, sz, "end of file");
	else
		snprintf(buf, sz, "'%.*s'", (int)TT_MIN(t->len, 40), t->s);
}

static bool ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

static void newline(struct parser *ps)
{
	ps->line++;
	ps->line_start = ps->p + 1;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* At a '#' starting a line: remember it if it is a `#pragma tracetape` line. */
static void keep_pragma(struct parser *ps)
{
	const char *p = skip_blanks(ps->p + 1, ps->end), *e;
	struct tt_provider_pragma *n;

	if (ps->end - p < 6 || memcmp(p, "pragma", 6))
		return;
	p = skip_blanks(p + 6, ps->end);
	if (ps->end - p < 9 || memcmp(p, "tracetape", 9) || (p + 9 < ps->end && ident_char(p[9])))
		return;
	for (e = p + 9; e < ps->end && *e != '\n'; e++)
		if (*e == '\\' && e + 1 < ps->end && e[1] == '\n')
			e++;
	n = realloc(ps->pragmas, (ps->pragma_cnt + 1) * sizeof(*n));
	if (!n) {
		ps->oom = 1;
		return;
	}
	ps->pragmas = n;
	n[ps->pragma_cnt++] = (struct tt_provider_pragma){.s = p + 9, .end = e, .line_start = ps->line_start,
					      .line = ps->line};
}

/* Skip blanks, comments and preprocessor lines; true at a token start or the end. */
static int skip(struct parser *ps)
{
	bool at_line_start = ps->p == ps->line_start;

	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == '\n') {
			newline(ps);
			ps->p++;
			at_line_start = true;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			ps->p++;
		} else if (c == '/' && ps->p + 1 < ps->end && ps->p[1] == '/') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (c == '/' && ps->p + 1 < ps->end && ps->p[1] == '*') {
			struct tok at = {.line = ps->line, .col = (unsigned)(ps->p - ps->line_start) + 1};

			ps->p += 2;
			for (;;) {
				if (ps->p + 1 >= ps->end) {
					ps->p = ps->end;
					return fail(ps, &at, "unterminated comment");
				}
				if (ps->p[0] == '*' && ps->p[1] == '/') {
					ps->p += 2;
					break;
				}
				if (*ps->p == '\n')
					newline(ps);
				ps->p++;
			}
		} else if (c == '#' && at_line_start) {
			/* A preprocessor line, with its backslash continuations. */
			keep_pragma(ps);
			while (ps->p < ps->end && *ps->p != '\n') {
				if (*ps->p == '\\' && ps->p + 1 < ps->end && ps->p[1] == '\n') {
					ps->p++;
					newline(ps);
				}
				ps->p++;
			}
		} else {
			return 0;
		}
	}
	return 0;
}

static int next(struct parser *ps)
{
	struct tok *t = &ps->tok;
	int err = skip(ps);

	if (err)
		return err;
	t->s = ps->p;
	t->line = ps->line;
	t->col = (unsigned)(ps->p - ps->line_start) + 1;
	t->len = 0;
	if (ps->p >= ps->end) {
		t->type = TOK_EOF;
		return 0;
	}
	if (ident_start(*ps->p)) {
		while (ps->p < ps->end && ident_char(*ps->p))
			ps->p++;
		t->type = TOK_IDENT;
		t->len = (size_t)(ps->p - t->s);
		return 0;
	}
	if (strchr("{}();,*", *ps->p)) {
		t->type = TOK_PUNCT;
		t->len = 1;
		ps->p++;
		return 0;
	}
	t->len = 1;
	if ((unsigned char)*ps->p < 0x20 || (unsigned char)*ps->p > 0x7e)
		return fail(ps, t, "unexpected byte 0x%02x", (unsigned char)*ps->p);
	return fail(ps, t, "unexpected character '%c'", *ps->p);
}

static bool is_punct(const struct tok *t, char c)
{
	return t->type == TOK_PUNCT && *t->s == c;
}

static bool is_word(const struct tok *t, const char *w)
{
	return t->type == TOK_IDENT && t->len == strlen(w) && !memcmp(t->s, w, t->len);
}

static int expect_punct(struct parser *ps, char c, const char *where)
{
	char got[64];

	if (!is_punct(&ps->tok, c)) {
		describe(&ps->tok, got, sizeof(got));
		return fail(ps, &ps->tok, "expected '%c' %s, got %s", c, where, got);
	}
	return next(ps);
}

/* ---- types ---- */

static const char *const type_keywords[] = {
	"const", "volatile", "signed", "unsigned", "short", "long", "int", "char",
	"float", "double", "bool", "_Bool", "void", "struct", "union", "enum",
};

static bool is_type_keyword(const char *s, size_t len)
{
	for (size_t i = 0; i < TT_ARRAY_SIZE(type_keywords); i++)
		if (strlen(type_keywords[i]) == len && !memcmp(type_keywords[i], s, len))
			return true;
	return false;
}

static const struct {
	const char *name;
	uint8_t kind;
} typedef_kinds[] = {
	{"int8_t", TT_KIND_S8},      {"uint8_t", TT_KIND_U8},    {"int16_t", TT_KIND_S16},
	{"uint16_t", TT_KIND_U16},   {"int32_t", TT_KIND_S32},   {"uint32_t", TT_KIND_U32},
	{"int64_t", TT_KIND_S64},    {"uint64_t", TT_KIND_U64},  {"intptr_t", TT_KIND_S64},
	{"uintptr_t", TT_KIND_U64},  {"size_t", TT_KIND_U64},    {"ssize_t", TT_KIND_S64},
	{"ptrdiff_t", TT_KIND_S64},  {"off_t", TT_KIND_S64},     {"pid_t", TT_KIND_S32},
	{"uid_t", TT_KIND_U32},      {"gid_t", TT_KIND_U32},     {"time_t", TT_KIND_S64},
	{"bool", TT_KIND_U8},        {"_Bool", TT_KIND_U8},      {"float", TT_KIND_F32},
	{"double", TT_KIND_F64},
};

uint8_t tt_provider_type_kind(const char *type)
{
	const char *words[MAX_TYPE_TOKENS + 1];
	size_t wlen[MAX_TYPE_TOKENS + 1], n = 0;
	unsigned stars = 0, longs = 0;
	bool is_unsigned = false, is_signed = false, is_short = false, is_char = false, is_int = false;
	const char *p = type;

	while (*p) {
		if (*p == ' ') {
			p++;
		} else if (*p == '*') {
			stars++;
			p++;
		} else {
			const char *w = p;

			while (*p && *p != ' ' && *p != '*')
				p++;
			if (stars) /* a word after a '*' ("char * const"): only qualifiers */
				continue;
			if ((size_t)(p - w) == 5 && !memcmp(w, "const", 5))
				continue;
			if ((size_t)(p - w) == 8 && !memcmp(w, "volatile", 8))
				continue;
			if (n == MAX_TYPE_TOKENS)
				return TT_KIND_NONE;
			words[n] = w;
			wlen[n++] = (size_t)(p - w);
		}
	}
	if (n == 0)
		return TT_KIND_NONE;
	if (stars)
		return stars == 1 && n == 1 && wlen[0] == 4 && !memcmp(words[0], "char", 4) ? TT_KIND_STR
											: TT_KIND_PTR;
	if (n == 1)
		for (size_t i = 0; i < TT_ARRAY_SIZE(typedef_kinds); i++)
			if (strlen(typedef_kinds[i].name) == wlen[0] &&
			    !memcmp(typedef_kinds[i].name, words[0], wlen[0]))
				return typedef_kinds[i].kind;
	for (size_t i = 0; i < n; i++) {
		const char *w = words[i];
		size_t l = wlen[i];

		if (l == 8 && !memcmp(w, "unsigned", 8))
			is_unsigned = true;
		else if (l == 6 && !memcmp(w, "signed", 6))
			is_signed = true;
		else if (l == 5 && !memcmp(w, "short", 5))
			is_short = true;
		else if (l == 4 && !memcmp(w, "long", 4))
			longs++;
		else if (l == 3 && !memcmp(w, "int", 3))
			is_int = true;
		else if (l == 4 && !memcmp(w, "char", 4))
			is_char = true;
		else
			return TT_KIND_NONE; /* a typedef, struct, double with "long"... */
	}
	if ((is_unsigned && is_signed) || longs > 2 || (is_short && longs) ||
	    (is_char && (is_short || longs || is_int)))
		return TT_KIND_NONE;
	if (is_char)
		return is_unsigned ? TT_KIND_U8 : TT_KIND_S8; /* plain char is signed on x86-64 */
	if (is_short)
		return is_unsigned ? TT_KIND_U16 : TT_KIND_S16;
	if (longs)
		return is_unsigned ? TT_KIND_U64 : TT_KIND_S64;
	return is_unsigned ? TT_KIND_U32 : TT_KIND_S32;
}

/* ---- the grammar ---- */

static char *type_text(const struct tok *toks, size_t n)
{
	struct tt_buf b = {0};
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		bool star = is_punct(&toks[i], '*');

		if (i > 0 && !(star && is_punct(&toks[i - 1], '*')))
			err |= tt_buf_append(&b, " ", 1);
		err |= tt_buf_append(&b, toks[i].s, toks[i].len);
	}
	err |= tt_buf_append(&b, "", 1);
	if (err) {
		tt_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

/* One argument: type tokens and an optional name, up to (not including) ',' or ')'. */
static int parse_arg(struct parser *ps, struct tt_provider_arg *arg)
{
	struct tok toks[MAX_TYPE_TOKENS + 1];
	size_t n = 0, type_n;
	bool has_type = false;
	char got[64];
	int err;

	while (!is_punct(&ps->tok, ',') && !is_punct(&ps->tok, ')')) {
		if (ps->tok.type == TOK_EOF || (ps->tok.type == TOK_PUNCT && !is_punct(&ps->tok, '*'))) {
			describe(&ps->tok, got, sizeof(got));
			return fail(ps, &ps->tok, "expected a type, a name, ',' or ')' in the argument list, got %s",
				    got);
		}
		if (n == TT_ARRAY_SIZE(toks))
			return fail(ps, &ps->tok, "argument type too long");
		toks[n++] = ps->tok;
		err = next(ps);
		if (err)
			return err;
	}
	if (n == 0)
		return fail(ps, &ps->tok, "expected an argument type before '%c'", *ps->tok.s);
	if (is_punct(&toks[0], '*'))
		return fail(ps, &toks[0], "expected an argument type before '*'");
	/*
	 * The last word names the argument if what precedes it can be a whole type: something
	 * besides qualifiers ("const LWLockMode" is a type), and not a struct/union/enum keyword
	 * waiting for its tag.
	 */
	type_n = n;
	for (size_t i = 0; i + 1 < n; i++)
		if (!is_word(&toks[i], "const") && !is_word(&toks[i], "volatile"))
			has_type = true;
	if (has_type && toks[n - 1].type == TOK_IDENT && !is_type_keyword(toks[n - 1].s, toks[n - 1].len) &&
	    !is_word(&toks[n - 2], "struct") && !is_word(&toks[n - 2], "union") &&
	    !is_word(&toks[n - 2], "enum")) {
		type_n = n - 1;
		arg->name = strndup(toks[n - 1].s, toks[n - 1].len);
		if (!arg->name)
			return -ENOMEM;
	}
	for (size_t i = 0; i < type_n; i++)
		if (is_word(&toks[i], "struct") || is_word(&toks[i], "union") || is_word(&toks[i], "enum"))
			if (i + 1 >= type_n || toks[i + 1].type != TOK_IDENT)
				return fail(ps, &toks[i], "expected a tag name after '%.*s'", (int)toks[i].len,
					    toks[i].s);
	arg->type = type_text(toks, type_n);
	if (!arg->type)
		return -ENOMEM;
	arg->kind = tt_provider_type_kind(arg->type);
	return 0;
}

static void probe_free(struct tt_provider_probe *pr)
{
	free(pr->name);
	for (unsigned i = 0; i < pr->arg_cnt; i++) {
		free(pr->args[i].type);
		free(pr->args[i].name);
	}
}

static int parse_probe(struct parser *ps, struct tt_provider *prov)
{
	struct tt_provider_probe *pr, *np;
	struct tok name_tok;
	char got[64];
	int err;

	err = next(ps); /* past "probe" */
	if (err)
		return err;
	if (ps->tok.type != TOK_IDENT) {
		describe(&ps->tok, got, sizeof(got));
		return fail(ps, &ps->tok, "expected a probe name after 'probe', got %s", got);
	}
	name_tok = ps->tok;
	/* The duplicate check is linear: a bound keeps a crafted file's parse time bounded too
	 * (the largest real providers, libjvm's, have a few hundred probes). */
	if (prov->probe_cnt == TT_PROVIDER_PROBES_MAX)
		return fail(ps, &name_tok, "more than %u probes in provider '%s'",
			    TT_PROVIDER_PROBES_MAX, prov->name);
	for (size_t i = 0; i < prov->probe_cnt; i++)
		if (strlen(prov->probes[i].name) == name_tok.len &&
		    !memcmp(prov->probes[i].name, name_tok.s, name_tok.len))
			return fail(ps, &name_tok, "probe '%.*s' is already declared on line %u",
				    (int)name_tok.len, name_tok.s, prov->probes[i].line);
	np = realloc(prov->probes, (prov->probe_cnt + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	prov->probes = np;
	pr = &prov->probes[prov->probe_cnt++];
	memset(pr, 0, sizeof(*pr));
	pr->line = name_tok.line;
	pr->name = strndup(name_tok.s, name_tok.len);
	if (!pr->name)
		return -ENOMEM;
	err = next(ps);
	if (err)
		return err;
	err = expect_punct(ps, '(', "after the probe name");
	if (err)
		return err;
	/* "()" and "(void)" declare no arguments. */
	if (is_word(&ps->tok, "void")) {
		struct parser save = *ps;

		err = next(ps);
		if (err)
			return err;
		if (!is_punct(&ps->tok, ')')) {
			struct tt_provider_pragma *kept = ps->pragmas; /* may have moved; the rescan re-adds */

			*ps = save;
			ps->pragmas = kept;
		}
	}
	while (!is_punct(&ps->tok, ')')) {
		if (pr->arg_cnt == TT_MAX_ARGS)
			return fail(ps, &ps->tok, "probe '%s' has more than %d arguments", pr->name,
				    TT_MAX_ARGS);
		err = parse_arg(ps, &pr->args[pr->arg_cnt]);
		pr->arg_cnt++; /* counted even when half-parsed, so that it is freed */
		if (err)
			return err;
		if (is_punct(&ps->tok, ',')) {
			err = next(ps);
			if (err)
				return err;
			if (is_punct(&ps->tok, ')'))
				return fail(ps, &ps->tok, "expected an argument after ','");
		}
	}
	err = next(ps);
	if (err)
		return err;
	return expect_punct(ps, ';', "after the probe declaration");
}

static void provider_free(struct tt_provider *prov)
{
	free(prov->name);
	for (size_t i = 0; i < prov->probe_cnt; i++)
		probe_free(&prov->probes[i]);
	free(prov->probes);
}

static int parse_provider(struct parser *ps, struct tt_provider_file *f)
{
	struct tt_provider *prov, *np;
	char got[64];
	int err;

	err = next(ps); /* past "provider" */
	if (err)
		return err;
	if (ps->tok.type != TOK_IDENT) {
		describe(&ps->tok, got, sizeof(got));
		return fail(ps, &ps->tok, "expected a provider name after 'provider', got %s", got);
	}
	if (f->provider_cnt == TT_PROVIDER_PROBES_MAX)
		return fail(ps, &ps->tok, "more than %u providers in one file",
			    TT_PROVIDER_PROBES_MAX);
	for (size_t i = 0; i < f->provider_cnt; i++)
		if (strlen(f->providers[i].name) == ps->tok.len &&
		    !memcmp(f->providers[i].name, ps->tok.s, ps->tok.len))
			return fail(ps, &ps->tok, "provider '%.*s' is already declared on line %u",
				    (int)ps->tok.len, ps->tok.s, f->providers[i].line);
	np = realloc(f->providers, (f->provider_cnt + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	f->providers = np;
	prov = &f->providers[f->provider_cnt++];
	memset(prov, 0, sizeof(*prov));
	prov->line = ps->tok.line;
	prov->name = strndup(ps->tok.s, ps->tok.len);
	if (!prov->name)
		return -ENOMEM;
	err = next(ps);
	if (err)
		return err;
	err = expect_punct(ps, '{', "after the provider name");
	if (err)
		return err;
	while (is_word(&ps->tok, "probe")) {
		err = parse_probe(ps, prov);
		if (err)
			return err;
	}
	if (!is_punct(&ps->tok, '}')) {
		describe(&ps->tok, got, sizeof(got));
		return fail(ps, &ps->tok, "expected 'probe' or '}' in provider '%s', got %s", prov->name, got);
	}
	err = next(ps);
	if (err)
		return err;
	if (is_punct(&ps->tok, ';')) /* optional, as in DTrace */
		return next(ps);
	return 0;
}

void tt_provider_file__free(struct tt_provider_file *file)
{
	if (!file)
		return;
	for (size_t i = 0; i < file->provider_cnt; i++)
		provider_free(&file->providers[i]);
	free(file->providers);
	for (size_t i = 0; i < file->span_cnt; i++)
		tt_provider_span_free(&file->spans[i]);
	free(file->spans);
	for (size_t i = 0; i < file->instant_cnt; i++)
		free(file->instants[i]);
	free(file->instants);
	free(file->path);
	free(file);
}

int tt_provider_file__parse(const char *text, size_t len, const char *name,
			    struct tt_provider_file **file, struct tt_provider_error *err)
{
	struct parser ps = {.p = text, .end = text + len, .line = 1, .line_start = text, .err = err};
	struct tt_provider_file *f;
	char got[64];
	int rc;

	memset(err, 0, sizeof(*err));
	*file = NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->path = strdup(name ? name : "");
	if (!f->path) {
		rc = -ENOMEM;
		goto cleanup;
	}
	rc = next(&ps);
	while (!rc && ps.tok.type != TOK_EOF) {
		if (!is_word(&ps.tok, "provider")) {
			describe(&ps.tok, got, sizeof(got));
			rc = fail(&ps, &ps.tok, "expected 'provider', got %s", got);
			break;
		}
		rc = parse_provider(&ps, f);
	}
	if (!rc && f->provider_cnt == 0)
		rc = fail(&ps, &ps.tok, "no provider declared");
	if (!rc && ps.oom)
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < ps.pragma_cnt; i++)
		rc = tt_provider_pragma_apply(f, &ps.pragmas[i], err);
cleanup:
	free(ps.pragmas);
	if (rc == -ENOMEM)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	if (rc) {
		tt_provider_file__free(f);
		return rc;
	}
	*file = f;
	return 0;
}

int tt_provider_file__load(const char *path, struct tt_provider_file **file,
			   struct tt_provider_error *err)
{
	struct tt_buf b = {0};
	char chunk[65536];
	FILE *fp;
	size_t n;
	int rc = 0;

	memset(err, 0, sizeof(*err));
	*file = NULL;
	fp = fopen(path, "re");
	if (!fp) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-rc));
		return rc;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (b.len + n > MAX_FILE_SZ) {
			rc = -EFBIG;
			snprintf(err->msg, sizeof(err->msg), "larger than %u MiB: not a provider file",
				 MAX_FILE_SZ >> 20);
			goto cleanup;
		}
		rc = tt_buf_append(&b, chunk, n);
		if (rc) {
			snprintf(err->msg, sizeof(err->msg), "out of memory");
			goto cleanup;
		}
	}
	if (ferror(fp)) {
		rc = -EIO;
		snprintf(err->msg, sizeof(err->msg), "read error");
		goto cleanup;
	}
	rc = tt_provider_file__parse((const char *)b.data, b.len, path, file, err);
cleanup:
	fclose(fp);
	tt_buf_free(&b);
	return rc;
}

const struct tt_provider_probe *tt_provider_file__find(const struct tt_provider_file *file,
						       const char *provider, const char *probe)
{
	if (!file)
		return NULL;
	for (size_t i = 0; i < file->provider_cnt; i++) {
		const struct tt_provider *prov = &file->providers[i];

		if (strcmp(prov->name, provider))
			continue;
		for (size_t j = 0; j < prov->probe_cnt; j++)
			if (!strcmp(prov->probes[j].name, probe))
				return &prov->probes[j];
	}
	return NULL;
}
