/* SPDX-License-Identifier: MIT */
/*
 * The built-in provider files (builtin_providers.h): the table schemas/embed.py generates from
 * schemas/providers/NAME.d, parsed once under pthread_once.
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
static int parse_err;
static struct tt_provider_error parse_err_at;

static void parse_all(void)
{
	for (size_t i = 0; i < FILE_CNT; i++) {
		const struct tt_embedded_file *e = &tt_provider_texts[i];
		struct tt_provider_file *f = NULL;

		parse_err = tt_provider_file__parse(e->text, e->len, e->name, &f, &parse_err_at);
		if (parse_err)
			return;
		parsed[i] = (struct tt_builtin_provider){e->name, f};
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

const char *tt_builtin_provider_text(const char *name, size_t *len)
{
	for (size_t i = 0; i < FILE_CNT; i++)
		if (!strcmp(tt_provider_texts[i].name, name)) {
			*len = tt_provider_texts[i].len;
			return tt_provider_texts[i].text;
		}
	return NULL;
}
