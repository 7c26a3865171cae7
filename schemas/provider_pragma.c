/* SPDX-License-Identifier: MIT */
/*
 * `#pragma tracetape` lines (schemas/provider_pragma.h, reference in schemas/PROVIDERS.md): a
 * pragma is split into words, each word remembering its line and column so that every error
 * points at the word that was not what the pragma allows; `key=value` words are looked up by
 * key. Probe patterns are qualified with the file's provider where they name none and must
 * match a probe of the file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider_pragma.h"
#include "tt_error.h"
#include "tt_util.h"

/* A word of a pragma line. */
struct tok {
	const char *s; /* into the file */
	size_t len;
	unsigned line, col;
};

static int fail(struct tt_provider_error *pe, const struct tok *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct tt_provider_error *pe, const struct tok *at, const char *fmt, ...)
{
	va_list ap;

	pe->line = at->line;
	pe->col = at->col;
	va_start(ap, fmt);
	vsnprintf(pe->msg, sizeof(pe->msg), fmt, ap);
	va_end(ap);
	return -TT_E_PARSE;
}

static bool ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

#define MAX_PRAGMA_WORDS 8

/* A word of a pragma line, as a token (for error positions). */
static size_t pragma_words(const struct tt_provider_pragma *pr, struct tok *w, size_t max)
{
	const char *p = pr->s, *ls = pr->line_start;
	unsigned line = pr->line;
	size_t n = 0;

	while (p < pr->end) {
		if (*p == '\\' && p + 1 < pr->end && p[1] == '\n') {
			p += 2;
			line++;
			ls = p;
		} else if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
		} else if (*p == '/' && p + 1 < pr->end && (p[1] == '/' || p[1] == '*')) {
			break; /* a comment ends the pragma */
		} else {
			struct tok t = {.s = p, .line = line, .col = (unsigned)(p - ls) + 1};

			while (p < pr->end && *p != ' ' && *p != '\t' && *p != '\r' &&
			       !(*p == '\\' && p + 1 < pr->end && p[1] == '\n'))
				p++;
			t.len = (size_t)(p - t.s);
			if (n < max)
				w[n] = t;
			n++;
		}
	}
	return n;
}

static bool word_is(const struct tok *w, const char *s)
{
	return w->len == strlen(s) && !memcmp(w->s, s, w->len);
}

/* "key=value": the value (borrowed, not NUL-terminated) when w starts with key=, else NULL. */
static const char *word_value(const struct tok *w, const char *key, size_t *len)
{
	size_t kl = strlen(key);

	if (w->len <= kl || memcmp(w->s, key, kl) || w->s[kl] != '=')
		return NULL;
	*len = w->len - kl - 1;
	return w->s + kl + 1;
}

/* The index of the argument called name (or "argN", 0-based) in pr, or -1. */
static int arg_index(const struct tt_provider_probe *pr, const char *name)
{
	uint64_t i;

	for (unsigned a = 0; a < pr->arg_cnt; a++)
		if (pr->args[a].name && !strcmp(pr->args[a].name, name))
			return (int)a;
	if (!strncmp(name, "arg", 3) && !tt_parse_u64(name + 3, 0, TT_MAX_ARGS - 1, &i) && i < pr->arg_cnt)
		return (int)i;
	return -1;
}

static bool is_int_kind(uint8_t kind)
{
	unsigned c = TT_KIND_CLASS(kind);

	return c == TT_CLASS_UINT || c == TT_CLASS_SINT || kind == TT_KIND_NONE;
}

/* "@OFF" or "@OFF:SIZE" into *off (and *size); false when malformed. */
static bool parse_obj_off(const char *v, size_t len, uint16_t *off, uint8_t *size)
{
	char buf[32], *colon;
	uint64_t x;

	if (len < 2 || len >= sizeof(buf) || v[0] != '@')
		return false;
	memcpy(buf, v + 1, len - 1);
	buf[len - 1] = '\0';
	colon = strchr(buf, ':');
	if (colon) {
		if (!size || tt_parse_u64(colon + 1, 1, 8, &x) || (x & (x - 1)))
			return false;
		*size = (uint8_t)x;
		*colon = '\0';
	} else if (size) {
		*size = 8;
	}
	if (tt_parse_u64(buf, 0, 4095, &x))
		return false;
	*off = (uint16_t)x;
	return true;
}

/* "@OFF" or "@OFF@OFF" (deref=): one or two offsets below 4096; false when malformed. */
static bool parse_deref(const char *v, size_t len, struct tt_provider_str *str)
{
	const char *second = len > 1 ? memchr(v + 1, '@', len - 1) : NULL;
	size_t first_len = second ? (size_t)(second - v) : len;

	if (!parse_obj_off(v, first_len, &str->deref_off[0], NULL))
		return false;
	str->deref_cnt = 1;
	if (!second)
		return true;
	str->deref_cnt = 2;
	return parse_obj_off(second, len - first_len, &str->deref_off[1], NULL);
}

/*
 * #pragma tracetape string PROBES ARG len=LENARG | len=@OFF[:SIZE] data=@OFF |
 *                                      deref=@OFF[@OFF] [cxxname]
 */
static int pragma_string(struct tt_provider_error *pe, struct tt_provider_file *f, const struct tok *w, size_t n)
{
	struct tt_provider_str str = {0};
	char *probes = NULL, *arg = NULL, *len_arg = NULL;
	uint8_t kind = TT_KIND_BYTES;
	const char *v;
	size_t vl, applied = 0;
	int err = 0;

	if (n < 4 || n > 5) {
		err = fail(pe, &w[0], "expected 'string PROBES ARG len=LENARG', 'string PROBES ARG "
			   "len=@OFF[:SIZE] data=@OFF' or 'string PROBES ARG deref=@OFF[@OFF] [cxxname]'");
		goto cleanup;
	}
	v = word_value(&w[3], "deref", &vl);
	if (v) {
		str.form = TT_PROVIDER_STR_DEREF;
		kind = TT_KIND_STR;
		if (!parse_deref(v, vl, &str)) {
			err = fail(pe, &w[3], "expected deref=@OFFSET or deref=@OFFSET@OFFSET (offsets "
				   "below 4096)");
			goto cleanup;
		}
		if (n == 5 && (w[4].len != 7 || memcmp(w[4].s, "cxxname", 7))) {
			err = fail(pe, &w[4], "expected 'cxxname' (a C++ mangled name) or nothing after "
				   "deref=");
			goto cleanup;
		}
		if (n == 5)
			kind = TT_KIND_CXXNAME;
		goto apply;
	}
	v = word_value(&w[3], "len", &vl);
	if (!v || !vl) {
		err = fail(pe, &w[3], "expected len=LENARG, len=@OFF[:SIZE] or deref=@OFF[@OFF]");
		goto cleanup;
	}
	if (v[0] == '@') {
		size_t dl;
		const char *d = n == 5 ? word_value(&w[4], "data", &dl) : NULL;

		str.form = TT_PROVIDER_STR_IN_OBJ;
		if (!parse_obj_off(v, vl, &str.len_off, &str.len_size)) {
			err = fail(pe, &w[3], "expected len=@OFFSET or len=@OFFSET:SIZE (offset below 4096, "
				   "size 1, 2, 4 or 8)");
			goto cleanup;
		}
		if (!d || !parse_obj_off(d, dl, &str.data_off, NULL)) {
			err = fail(pe, n == 5 ? &w[4] : &w[3], "expected data=@OFFSET after len=@...");
			goto cleanup;
		}
	} else {
		str.form = TT_PROVIDER_STR_LEN_ARG;
		if (n != 4) {
			err = fail(pe, &w[4], "nothing may follow len=LENARG");
			goto cleanup;
		}
		len_arg = strndup(v, vl);
	}
apply:
	probes = strndup(w[1].s, w[1].len);
	arg = strndup(w[2].s, w[2].len);
	if (!probes || !arg || (str.form == TT_PROVIDER_STR_LEN_ARG && !len_arg)) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < f->provider_cnt; i++) {
		struct tt_provider *prov = &f->providers[i];

		for (size_t j = 0; j < prov->probe_cnt; j++) {
			struct tt_provider_probe *pr = &prov->probes[j];
			int a, l = -1;

			if (!tt_probe_pattern_match(probes, prov->name, pr->name))
				continue;
			a = arg_index(pr, arg);
			if (len_arg)
				l = arg_index(pr, len_arg);
			if (a < 0 || (len_arg && l < 0))
				continue; /* a glob may cover probes without these arguments */
			if (pr->args[a].str.form) {
				err = fail(pe, &w[2], "argument '%s' of %s:%s is already described by a string "
					   "pragma", arg, prov->name, pr->name);
				goto cleanup;
			}
			if (TT_KIND_CLASS(pr->args[a].kind) != TT_CLASS_STR &&
			    TT_KIND_CLASS(pr->args[a].kind) != TT_CLASS_PTR) {
				err = fail(pe, &w[2], "argument '%s' of %s:%s is not a pointer (%s)", arg,
					   prov->name, pr->name, pr->args[a].type);
				goto cleanup;
			}
			if (len_arg && (l == a || !is_int_kind(pr->args[l].kind))) {
				err = fail(pe, &w[3], "argument '%s' of %s:%s is not an integer (%s)", len_arg,
					   prov->name, pr->name, pr->args[l].type);
				goto cleanup;
			}
			str.len_arg = (uint8_t)(l < 0 ? 0 : l);
			pr->args[a].str = str;
			pr->args[a].kind = kind;
			applied++;
		}
	}
	if (!applied)
		err = fail(pe, &w[1], "no probe matching '%s' has an argument '%s'%s%s", probes, arg,
			   len_arg ? " and an argument " : "", len_arg ? len_arg : "");
cleanup:
	free(probes);
	free(arg);
	free(len_arg);
	return err;
}

/*
 * A span pattern, qualified: every alternative gets the file's provider when it has none, and
 * must match a probe of the file. *provider receives the first alternative's provider.
 */
static int span_pattern(struct tt_provider_error *pe, const struct tt_provider_file *f, const struct tok *w,
			const char *v, size_t vl, char **out, char **provider)
{
	struct tt_buf b = {0};
	int err = 0;

	*out = NULL;
	for (const char *p = v, *end = v + vl, *bar; p <= end; p = bar + 1) {
		char alt[256];
		size_t n, matched = 0;

		bar = memchr(p, '|', (size_t)(end - p));
		if (!bar)
			bar = end;
		n = (size_t)(bar - p);
		if (n == 0 || n >= sizeof(alt)) {
			err = fail(pe, w, "expected probe patterns joined by '|' in '%.*s'", (int)w->len, w->s);
			goto cleanup;
		}
		if (memchr(p, ':', n)) {
			snprintf(alt, sizeof(alt), "%.*s", (int)n, p);
		} else if (f->provider_cnt == 1) {
			snprintf(alt, sizeof(alt), "%s:%.*s", f->providers[0].name, (int)n, p);
		} else {
			err = fail(pe, w, "'%.*s': name its provider (PROVIDER:%.*s), the file declares "
				   "several", (int)n, p, (int)n, p);
			goto cleanup;
		}
		for (size_t i = 0; i < f->provider_cnt; i++)
			for (size_t j = 0; j < f->providers[i].probe_cnt; j++)
				matched += tt_probe_pattern_match(alt, f->providers[i].name,
								  f->providers[i].probes[j].name);
		if (!matched) {
			err = fail(pe, w, "no probe of this file matches '%s'", alt);
			goto cleanup;
		}
		if (!*provider) {
			*provider = strndup(alt, (size_t)(strchr(alt, ':') - alt));
			if (!*provider) {
				err = -ENOMEM;
				goto cleanup;
			}
		}
		err = tt_buf_printf(&b, "%s%s", b.len ? "|" : "", alt);
		if (err)
			goto cleanup;
	}
	err = tt_buf_append(&b, "", 1);
	if (!err)
		*out = (char *)b.data;
cleanup:
	if (err)
		tt_buf_free(&b);
	return err;
}

/* Every probe that pattern matches has the argument key (pseudo keys aside). */
static int span_key_check(struct tt_provider_error *pe, const struct tt_provider_file *f, const struct tok *w,
			  const char *pattern, const char *key)
{
	for (size_t i = 0; i < f->provider_cnt; i++) {
		const struct tt_provider *prov = &f->providers[i];

		for (size_t j = 0; j < prov->probe_cnt; j++)
			if (tt_probe_pattern_match(pattern, prov->name, prov->probes[j].name) &&
			    arg_index(&prov->probes[j], key) < 0)
				return fail(pe, w, "probe %s:%s has no argument '%s' (the key may also be "
					    "pid or tid)", prov->name, prov->probes[j].name, key);
	}
	return 0;
}

void tt_provider_span_free(struct tt_provider_span *sp)
{
	free(sp->name);
	free(sp->provider);
	free(sp->start);
	free(sp->end);
	free(sp->key);
}

/* Does token t begin with prefix? (A token is not NUL-terminated: it ends at len.) */
static int tok_prefix(const struct tok *t, const char *prefix)
{
	size_t n = strlen(prefix);

	return t->len >= n && !memcmp(t->s, prefix, n);
}

/* #pragma tracetape span NAME start=PROBES end=PROBES [key=ARG|pid|tid] */
static int pragma_span(struct tt_provider_error *pe, struct tt_provider_file *f, const struct tok *w, size_t n)
{
	struct tt_provider_span sp = {.line = w[0].line}, *ns;
	const struct tok *start_w = NULL, *end_w = NULL, *key_w = NULL;
	int err = 0;

	if (n < 4 || n > 5) {
		err = fail(pe, &w[0], "expected 'span NAME start=PROBES end=PROBES [key=ARG]'");
		goto cleanup;
	}
	if (!ident_start(w[1].s[0])) {
		err = fail(pe, &w[1], "expected a span name (letters, digits, '_')");
		goto cleanup;
	}
	for (size_t i = 0; i < w[1].len; i++)
		if (!ident_char(w[1].s[i])) {
			err = fail(pe, &w[1], "expected a span name (letters, digits, '_')");
			goto cleanup;
		}
	for (size_t i = 2; i < n; i++) {
		const struct tok **slot = tok_prefix(&w[i], "start=") ? &start_w :
					  tok_prefix(&w[i], "end=") ? &end_w :
					  tok_prefix(&w[i], "key=") ? &key_w : NULL;

		if (!slot) {
			err = fail(pe, &w[i], "expected start=PROBES, end=PROBES or key=ARG, got '%.*s'",
				   (int)w[i].len, w[i].s);
			goto cleanup;
		}
		if (*slot) {
			err = fail(pe, &w[i], "'%.*s' given twice", (int)w[i].len, w[i].s);
			goto cleanup;
		}
		*slot = &w[i];
	}
	if (!start_w || !end_w) {
		err = fail(pe, &w[0], "a span needs start=PROBES and end=PROBES");
		goto cleanup;
	}
	for (size_t i = 0; i < f->span_cnt; i++)
		if (strlen(f->spans[i].name) == w[1].len && !memcmp(f->spans[i].name, w[1].s, w[1].len)) {
			err = fail(pe, &w[1], "span '%s' is already declared on line %u", f->spans[i].name,
				   f->spans[i].line);
			goto cleanup;
		}
	sp.name = strndup(w[1].s, w[1].len);
	if (!sp.name) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = span_pattern(pe, f, start_w, start_w->s + 6, start_w->len - 6, &sp.start, &sp.provider);
	if (!err)
		err = span_pattern(pe, f, end_w, end_w->s + 4, end_w->len - 4, &sp.end, &sp.provider);
	if (err)
		goto cleanup;
	if (key_w) {
		sp.key = strndup(key_w->s + 4, key_w->len - 4);
		if (!sp.key) {
			err = -ENOMEM;
			goto cleanup;
		}
		if (!sp.key[0]) {
			err = fail(pe, key_w, "expected key=ARG, key=pid or key=tid");
			goto cleanup;
		}
		if (strcmp(sp.key, "pid") && strcmp(sp.key, "tid")) {
			err = span_key_check(pe, f, key_w, sp.start, sp.key);
			if (!err)
				err = span_key_check(pe, f, key_w, sp.end, sp.key);
			if (err)
				goto cleanup;
		}
	}
	ns = realloc(f->spans, (f->span_cnt + 1) * sizeof(*ns));
	if (!ns) {
		err = -ENOMEM;
		goto cleanup;
	}
	f->spans = ns;
	ns[f->span_cnt++] = sp;
	return 0;
cleanup:
	tt_provider_span_free(&sp);
	return err;
}

/* #pragma tracetape instant PROBES */
static int pragma_instant(struct tt_provider_error *pe, struct tt_provider_file *f, const struct tok *w, size_t n)
{
	char *pattern = NULL, *provider = NULL, **ni;
	int err;

	if (n != 2)
		return fail(pe, &w[0], "expected 'instant PROBES'");
	err = span_pattern(pe, f, &w[1], w[1].s, w[1].len, &pattern, &provider);
	free(provider);
	if (err)
		return err;
	ni = realloc(f->instants, (f->instant_cnt + 1) * sizeof(*ni));
	if (!ni) {
		free(pattern);
		return -ENOMEM;
	}
	f->instants = ni;
	ni[f->instant_cnt++] = pattern;
	return 0;
}

int tt_provider_pragma_apply(struct tt_provider_file *f, const struct tt_provider_pragma *pr,
			     struct tt_provider_error *pe)
{
	struct tok w[MAX_PRAGMA_WORDS];
	size_t n = pragma_words(pr, w, MAX_PRAGMA_WORDS);

	if (n == 0) {
		struct tok at = {.line = pr->line, .col = (unsigned)(pr->s - pr->line_start) + 1};

		return fail(pe, &at, "expected 'string', 'span' or 'instant' after '#pragma tracetape'");
	}
	if (n > MAX_PRAGMA_WORDS)
		return fail(pe, &w[MAX_PRAGMA_WORDS - 1], "too many words in a tracetape pragma");
	if (word_is(&w[0], "string"))
		return pragma_string(pe, f, w, n);
	if (word_is(&w[0], "span"))
		return pragma_span(pe, f, w, n);
	if (word_is(&w[0], "instant"))
		return pragma_instant(pe, f, w, n);
	return fail(pe, &w[0], "unknown tracetape pragma '%.*s': expected 'string', 'span' or "
		    "'instant'", (int)TT_MIN(w[0].len, 40), w[0].s);
}
