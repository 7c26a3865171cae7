/* SPDX-License-Identifier: MIT */
/* Parsing of `record` probe specs (see probe_spec.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_spec.h"
#include "tt_error.h"

void tt_probe_spec_free(struct tt_probe_spec *spec)
{
	if (!spec)
		return;
	free(spec->text);
	free(spec->path);
	free(spec->provider);
	free(spec->name);
	memset(spec, 0, sizeof(*spec));
}

/* Split s at ':' into at most max fields; returns the field count or -1 on too many. */
static int split(char *s, char **fields, int max)
{
	int n = 0;

	while (s) {
		char *colon = strchr(s, ':');

		if (n == max)
			return -1;
		if (colon)
			*colon = '\0';
		fields[n++] = s;
		s = colon ? colon + 1 : NULL;
	}
	return n;
}

static char *dup_or_star(const char *s)
{
	return strdup(s && *s ? s : "*");
}

int tt_probe_spec_parse(const char *text, struct tt_probe_spec *spec, char *errbuf, size_t errbuf_sz)
{
	char *copy = NULL, *fields[4];
	const char *rest;
	int n, err = -TT_E_USAGE;

	memset(spec, 0, sizeof(*spec));
	if (!strncmp(text, "usdt:", 5)) {
		spec->type = TT_SPEC_USDT;
		rest = text + 5;
	} else if (!strncmp(text, "uprobe:", 7)) {
		spec->type = TT_SPEC_UPROBE;
		rest = text + 7;
	} else if (!strncmp(text, "go:", 3)) {
		const char *colon = strrchr(text + 3, ':');

		spec->type = TT_SPEC_GO;
		spec->text = strdup(text);
		spec->provider = strdup("go");
		spec->name = strdup(colon ? colon + 1 : text + 3);
		spec->path = colon ? strndup(text + 3, (size_t)(colon - text - 3)) : NULL;
		if (!spec->text || !spec->provider || !spec->name || (colon && !spec->path)) {
			tt_probe_spec_free(spec);
			return -ENOMEM;
		}
		if (!*spec->name || (spec->path && !*spec->path)) {
			snprintf(errbuf, errbuf_sz, "probe spec '%s': expected go:FUNC or go:PATH:FUNC", text);
			tt_probe_spec_free(spec);
			return -TT_E_USAGE;
		}
		return 0;
	} else if (!strncmp(text, "tracepoint:", 11)) {
		spec->type = TT_SPEC_TRACEPOINT;
		rest = text + 11;
	} else {
		snprintf(errbuf, errbuf_sz,
			 "probe spec '%s' has no known type: expected usdt:..., uprobe:..., go:... or "
			 "tracepoint:...",
			 text);
		return -TT_E_USAGE;
	}
	copy = strdup(rest);
	spec->text = strdup(text);
	if (!copy || !spec->text) {
		err = -ENOMEM;
		goto fail;
	}
	n = split(copy, fields, 4);
	if (n < 1 || !*fields[0]) {
		snprintf(errbuf, errbuf_sz, "probe spec '%s' is empty after the type", text);
		goto fail;
	}
	if (spec->type == TT_SPEC_TRACEPOINT) {
		if (n != 2 || !*fields[1]) {
			snprintf(errbuf, errbuf_sz,
				 "probe spec '%s': expected tracepoint:CATEGORY:NAME", text);
			goto fail;
		}
		spec->provider = strdup(fields[0]);
		spec->name = strdup(fields[1]);
	} else if (spec->type == TT_SPEC_UPROBE) {
		if (n != 2 || !strchr(fields[0], '/') || !*fields[1]) {
			snprintf(errbuf, errbuf_sz,
				 "probe spec '%s': expected uprobe:PATH:SYMBOL (PATH with a '/')", text);
			goto fail;
		}
		spec->path = strdup(fields[0]);
		spec->provider = strdup("*");
		spec->name = strdup(fields[1]);
	} else if (strchr(fields[0], '/')) {
		if (n > 3) {
			snprintf(errbuf, errbuf_sz,
				 "probe spec '%s': expected usdt:PATH[:PROVIDER[:NAME]]", text);
			goto fail;
		}
		spec->path = strdup(fields[0]);
		spec->provider = dup_or_star(n > 1 ? fields[1] : NULL);
		spec->name = dup_or_star(n > 2 ? fields[2] : NULL);
	} else {
		if (n > 2) {
			snprintf(errbuf, errbuf_sz,
				 "probe spec '%s': expected usdt:PROVIDER[:NAME], or usdt:PATH:PROVIDER:NAME "
				 "with a PATH containing a '/'", text);
			goto fail;
		}
		spec->provider = dup_or_star(fields[0]);
		spec->name = dup_or_star(n > 1 ? fields[1] : NULL);
	}
	if ((n > 0 && strchr(fields[0], '/') && !spec->path) || !spec->provider || !spec->name) {
		err = -ENOMEM;
		goto fail;
	}
	free(copy);
	return 0;
fail:
	free(copy);
	tt_probe_spec_free(spec);
	return err;
}
