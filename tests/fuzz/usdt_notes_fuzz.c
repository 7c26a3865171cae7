/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the USDT note reader (recorder/usdt_notes.c, through libelf): any byte
 * string is opened as an ELF file, as `record` and `list` open a binary they were pointed at:
 * its .note.stapsdt notes, .stapsdt.base, the tracetape type note, the loadable segments that
 * map probe and semaphore addresses to file offsets, and every site's argument string. Every
 * site is touched. Seeds: small ELF files holding only the notes (and what they refer to) of
 * Debian's PostgreSQL, PHP, Python, libjvm and libstdc++, and of the test fixtures
 * (tests/fuzz/make-corpus.sh cuts them out with objcopy).
 */
#include <stdint.h>
#include <string.h>

#include "usdt_notes.h"
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
	struct tt_usdt_file *f = NULL;
	char errbuf[256];

	if (tt_usdt_file__open_mem(data, size, "fuzz.elf", &f, errbuf, sizeof(errbuf))) {
		if (!memchr(errbuf, 0, sizeof(errbuf)))
			__builtin_trap();
		return 0;
	}
	tt_fuzz_sink += touch_str(f->path) + touch_str(f->build_id) + f->e_type;
	for (size_t i = 0; i < f->site_cnt; i++) {
		const struct tt_usdt_site *s = &f->sites[i];

		if (s->argc > TT_MAX_ARGS)
			__builtin_trap();
		tt_fuzz_sink += touch_str(s->provider) + touch_str(s->name) + touch_str(s->args_str) +
		     touch_str(s->spec_msg) + s->pc_vaddr + s->pc_offset + s->sema_vaddr + s->sema_offset;
		for (int a = 0; a < s->argc; a++)
			tt_fuzz_sink += s->kinds[a] + touch_str(s->arg_names[a]) + touch_str(s->args[a].sym) +
			     s->args[a].sym_vaddr;
	}
	tt_usdt_file__free(f);
	return 0;
}
