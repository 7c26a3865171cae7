/* SPDX-License-Identifier: MIT */
/* Names of argument kinds and probe types (see tt_names.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_event.h"
#include "tt_names.h"
#include "tt_types.h"

static const char *const class_names[] = {
	[TT_CLASS_UNKNOWN] = "any", [TT_CLASS_UINT] = "u",    [TT_CLASS_SINT] = "s",
	[TT_CLASS_FLOAT] = "f",     [TT_CLASS_PTR] = "ptr",   [TT_CLASS_STR] = "str",
	[TT_CLASS_BYTES] = "bytes", [TT_CLASS_CXXNAME] = "cxxname",
};

static const char *const type_names[] = {
	[TT_PROBE_USDT] = "usdt",           [TT_PROBE_UPROBE] = "uprobe",
	[TT_PROBE_GO_ENTRY] = "go_entry",   [TT_PROBE_GO_RETURN] = "go_return",
	[TT_PROBE_TRACEPOINT] = "tracepoint", [TT_PROBE_BUILTIN] = "builtin",
};

const char *tt_kind_name(uint8_t kind, char buf[16])
{
	unsigned cls = TT_KIND_CLASS(kind), size = TT_KIND_SIZE(kind);

	if (cls >= sizeof(class_names) / sizeof(class_names[0]))
		snprintf(buf, 16, "kind%u", kind);
	else if (cls == TT_CLASS_PTR || TT_KIND_IS_STR(kind))
		return class_names[cls];
	else
		snprintf(buf, 16, "%s%u", class_names[cls], size * 8);
	return buf;
}

int tt_kind_parse(const char *name, uint8_t *kind)
{
	static const unsigned sizes[] = {1, 2, 4, 8};
	char buf[16];

	if (!strcmp(name, "any")) {
		*kind = TT_KIND(TT_CLASS_UNKNOWN, 8);
		return 0;
	}
	for (unsigned cls = 0; cls < sizeof(class_names) / sizeof(class_names[0]); cls++) {
		for (unsigned i = 0; i < 4; i++) {
			uint8_t k = TT_KIND(cls, cls == TT_CLASS_BYTES ? 0 :
					       cls >= TT_CLASS_PTR ? 8 : sizes[i]);

			if (!strcmp(name, tt_kind_name(k, buf))) {
				*kind = k;
				return 0;
			}
		}
	}
	return -EINVAL;
}

const char *tt_probe_type_name(unsigned type)
{
	if (type < sizeof(type_names) / sizeof(type_names[0]) && type_names[type])
		return type_names[type];
	return "unknown";
}

int tt_probe_type_parse(const char *name)
{
	for (unsigned t = 0; t < sizeof(type_names) / sizeof(type_names[0]); t++)
		if (type_names[t] && !strcmp(name, type_names[t]))
			return (int)t;
	return -EINVAL;
}

const char *tt_arg_name(const struct tt_probe_desc *d, int i, char buf[16])
{
	const char *name = d ? d->arg_names[i] : NULL;

	if (name && *name) {
		for (int j = 0; j < i; j++)
			if (d->arg_names[j] && !strcmp(d->arg_names[j], name))
				name = NULL;
		if (name)
			return name;
	}
	snprintf(buf, 16, "arg%d", i);
	return buf;
}

char *tt_probe_label(const char *provider, const char *name, unsigned type)
{
	const char *suffix = type == TT_PROBE_GO_RETURN ? ":return" : "";
	char *s;

	if (asprintf(&s, "%s:%s%s", provider ? provider : "?", name ? name : "?", suffix) < 0)
		return NULL;
	return s;
}
