/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the provider file parser (schemas/provider_file.c, with the pragmas of
 * schemas/provider_pragma.c): any byte string is parsed as a `.d` file, as `gen-header`,
 * `record --provider` and `list` read one. On success every probe, argument, span and instant
 * is touched and looked up again; on failure the message must be a terminated string within
 * its buffer. Seeds: the shipped providers (schemas/providers/), the test fixtures' .d files.
 */
#include <stdint.h>
#include <string.h>

#include "provider_file.h"
#include "fuzz_util.h"

static uint64_t touch_str(const char *s)
{
	uint64_t h = 0;

	while (s && *s)
		h += (uint8_t)*s++;
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_provider_file *f = NULL;
	struct tt_provider_error err;

	/* the length is passed: the parser must not read past it (no NUL after the bytes) */
	if (tt_provider_file__parse((const char *)data, size, "fuzz.d", &f, &err)) {
		tt_fuzz_sink += err.line + err.col + strnlen(err.msg, sizeof(err.msg));
		if (strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
			__builtin_trap(); /* an unterminated message */
		return 0;
	}
	for (size_t i = 0; i < f->provider_cnt; i++) {
		const struct tt_provider *p = &f->providers[i];

		tt_fuzz_sink += touch_str(p->name) + p->line;
		for (size_t k = 0; k < p->probe_cnt; k++) {
			const struct tt_provider_probe *pr = &p->probes[k];

			tt_fuzz_sink += touch_str(pr->name) + pr->arg_cnt;
			for (int a = 0; a < pr->arg_cnt; a++)
				tt_fuzz_sink += touch_str(pr->args[a].type) + touch_str(pr->args[a].name) +
				     pr->args[a].kind + tt_provider_type_kind(pr->args[a].type);
			if (tt_provider_file__find(f, p->name, pr->name) == NULL)
				__builtin_trap(); /* a probe the file declares is not found */
		}
	}
	for (size_t i = 0; i < f->span_cnt; i++)
		tt_fuzz_sink += touch_str(f->spans[i].name) + touch_str(f->spans[i].provider) +
		     touch_str(f->spans[i].start) + touch_str(f->spans[i].end) + touch_str(f->spans[i].key);
	for (size_t i = 0; i < f->instant_cnt; i++)
		tt_fuzz_sink += touch_str(f->instants[i]);
	tt_provider_file__free(f);
	return 0;
}
