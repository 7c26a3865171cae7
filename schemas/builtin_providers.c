/* SPDX-License-Identifier: MIT */
/*
 * The built-in provider files (builtin_providers.h): the table schemas/embed.py generates from
 * schemas/providers/NAME.d, parsed once under pthread_once, and the span rules their pragmas
 * declare, built once from the parsed files.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_providers.h"
#include "tt_error.h"
#include "tt_util.h"

#include "tt_providers_data.h"

#define FILE_CNT TT_ARRAY_SIZE(tt_provider_texts)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct tt_builtin_provider parsed[FILE_CNT];
static struct tt_span_rule *rules;
static size_t rule_cnt;
static int parse_err;
static struct tt_provider_error parse_err_at;

static void parse_all(void)
{
	size_t n = 0;

	for (size_t i = 0; i < FILE_CNT; i++) {
		const struct tt_embedded_file *e = &tt_provider_texts[i];
		struct tt_provider_file *f = NULL;

		parse_err = tt_provider_file__parse(e->text, e->len, e->name, &f, &parse_err_at);
		if (parse_err)
			return;
		parsed[i] = (struct tt_builtin_provider){e->name, f};
		n += f->span_cnt + f->instant_cnt;
	}
	rules = calloc(n ? n : 1, sizeof(*rules));
	if (!rules) {
		parse_err = -ENOMEM;
		return;
	}
	/* The rules borrow the parsed files' strings: both live until exit. */
	for (size_t i = 0; i < FILE_CNT; i++) {
		const struct tt_provider_file *f = parsed[i].file;

		for (size_t j = 0; j < f->span_cnt; j++) {
			const struct tt_provider_span *sp = &f->spans[j];

			rules[rule_cnt++] = (struct tt_span_rule){.name = sp->name, .start = sp->start,
								  .end = sp->end, .key = sp->key,
								  .provider = sp->provider,
								  .shipped = 1};
		}
		for (size_t j = 0; j < f->instant_cnt; j++)
			rules[rule_cnt++] = (struct tt_span_rule){.name = "", .start = f->instants[j],
								  .shipped = 1};
	}
}

int tt_builtin_providers(const struct tt_builtin_provider **files, size_t *cnt,
			 struct tt_provider_error *err)
{
	pthread_once(&once, parse_all);
	if (parse_err) {
		if (err)
			*err = parse_err_at;
		return parse_err;
	}
	*files = parsed;
	*cnt = FILE_CNT;
	return 0;
}

const struct tt_provider_probe *tt_builtin_provider_find(const char *provider, const char *probe,
							 const char **file_name)
{
	const struct tt_builtin_provider *files;
	size_t cnt;

	if (tt_builtin_providers(&files, &cnt, NULL))
		return NULL;
	for (size_t i = 0; i < cnt; i++) {
		const struct tt_provider_probe *p = tt_provider_file__find(files[i].file, provider, probe);

		if (p) {
			if (file_name)
				*file_name = files[i].name;
			return p;
		}
	}
	return NULL;
}

int tt_builtin_span_rules(const struct tt_span_rule **out, size_t *cnt)
{
	const struct tt_builtin_provider *files;
	size_t n;
	int err = tt_builtin_providers(&files, &n, NULL);

	if (err)
		return err;
	*out = rules;
	*cnt = rule_cnt;
	return 0;
}

int tt_builtin_span_rules_add(struct tt_span_builder *b)
{
	const struct tt_span_rule *r;
	size_t n;
	int err = tt_builtin_span_rules(&r, &n);

	if (err == -TT_E_PARSE)
		return 0; /* a build defect (the unit tests catch it): no rules, rather than no load */
	return err ? err : tt_span_builder__add_rules(b, r, n);
}

const char *tt_builtin_provider_text(const char *name, size_t *len)
{
	for (size_t i = 0; i < FILE_CNT; i++)
		if (!strcmp(tt_provider_texts[i].name, name)) {
			*len = tt_provider_texts[i].len;
			return tt_provider_texts[i].text;
		}
	return NULL;
}
