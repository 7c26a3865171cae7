/* SPDX-License-Identifier: MIT */
/*
 * Span rules as text and as shipped (spans.h): parsing a --span NAME=START,END[,key=ARG]
 * option, and the span and instant rules of the built-in provider files, built once per process
 * and added to a builder after the user's. The builder that applies them is spans.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_providers.h"
#include "spans.h"
#include "tt_error.h"

/* ---- rules given by the user ---- */

int tt_span_rule_parse(const char *text, struct tt_span_rule *rule, char *err, size_t err_sz)
{
	const char *eq = strchr(text, '='), *c1, *c2;
	int ret = -TT_E_USAGE;

	memset(rule, 0, sizeof(*rule));
	if (!eq || eq == text) {
		snprintf(err, err_sz, "'%s': expected NAME=START,END[,key=ARG]", text);
		return ret;
	}
	c1 = strchr(eq + 1, ',');
	if (!c1 || c1 == eq + 1) {
		snprintf(err, err_sz, "'%s': expected NAME=START,END[,key=ARG]", text);
		return ret;
	}
	c2 = strchr(c1 + 1, ',');
	if ((c2 ? c2 : c1 + strlen(c1)) == c1 + 1) {
		snprintf(err, err_sz, "'%s': the END probe is missing", text);
		return ret;
	}
	if (c2 && (strncmp(c2 + 1, "key=", 4) || !c2[5] || strchr(c2 + 5, ','))) {
		snprintf(err, err_sz, "'%s': after START,END only key=ARG may follow", text);
		return ret;
	}
	rule->name = strndup(text, (size_t)(eq - text));
	rule->start = strndup(eq + 1, (size_t)(c1 - eq - 1));
	rule->end = c2 ? strndup(c1 + 1, (size_t)(c2 - c1 - 1)) : strdup(c1 + 1);
	rule->key = c2 ? strdup(c2 + 5) : NULL;
	if (!rule->name || !rule->start || !rule->end || (c2 && !rule->key)) {
		tt_span_rule_free(rule);
		snprintf(err, err_sz, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void tt_span_rule_free(struct tt_span_rule *rule)
{
	if (!rule)
		return;
	free(rule->name);
	free(rule->start);
	free(rule->end);
	free(rule->key);
	free(rule->provider);
	memset(rule, 0, sizeof(*rule));
}

int tt_span_rules_add(struct tt_span_rules *rules, const char *text, char *err, size_t err_sz)
{
	struct tt_span_rule *n = realloc(rules->v, (rules->cnt + 1) * sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	rules->v = n;
	ret = tt_span_rule_parse(text, &n[rules->cnt], err, err_sz);
	if (!ret)
		rules->cnt++;
	return ret;
}

/* ---- the rules the built-in provider files ship ---- */

static pthread_once_t shipped_once = PTHREAD_ONCE_INIT;
static struct tt_span_rule *shipped;
static size_t shipped_cnt;
static int shipped_err;

/* Build the rules once from the parsed files; they borrow the files' strings (both live until
 * the process exits). */
static void build_shipped(void)
{
	const struct tt_builtin_provider *files;
	size_t file_cnt, n = 0;

	shipped_err = tt_builtin_providers(&files, &file_cnt, NULL);
	if (shipped_err)
		return;
	for (size_t i = 0; i < file_cnt; i++)
		n += files[i].file->span_cnt + files[i].file->instant_cnt;
	shipped = calloc(n ? n : 1, sizeof(*shipped));
	if (!shipped) {
		shipped_err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < file_cnt; i++) {
		const struct tt_provider_file *f = files[i].file;

		for (size_t j = 0; j < f->span_cnt; j++) {
			const struct tt_provider_span *sp = &f->spans[j];

			shipped[shipped_cnt++] = (struct tt_span_rule){
				.name = sp->name, .start = sp->start, .end = sp->end, .key = sp->key,
				.provider = sp->provider, .shipped = 1};
		}
		for (size_t j = 0; j < f->instant_cnt; j++)
			shipped[shipped_cnt++] = (struct tt_span_rule){.name = "", .start = f->instants[j],
								       .shipped = 1};
	}
}

int tt_span_rules_shipped(const struct tt_span_rule **rules, size_t *cnt)
{
	pthread_once(&shipped_once, build_shipped);
	if (shipped_err)
		return shipped_err;
	*rules = shipped;
	*cnt = shipped_cnt;
	return 0;
}

int tt_span_builder__add_shipped_rules(struct tt_span_builder *b)
{
	const struct tt_span_rule *r;
	size_t n;
	int err = tt_span_rules_shipped(&r, &n);

	if (err == -TT_E_PARSE)
		return 0; /* a build defect (the unit tests catch it): no rules, rather than no load */
	return err ? err : tt_span_builder__add_rules(b, r, n);
}

void tt_span_rules_free(struct tt_span_rules *rules)
{
	for (size_t i = 0; i < rules->cnt; i++)
		tt_span_rule_free(&rules->v[i]);
	free(rules->v);
	rules->v = NULL;
	rules->cnt = 0;
}
