/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the Go binary reader (recorder/go_binary.c, common/tt_go_pclntab.c and
 * the DWARF side through libdw), as `record 'go:...'`, `list` and `gen-go` open a Go program:
 * the input is written to a memfd and opened by path. Then the build version, the goroutine id's
 * offset, every function of the pclntab (names, entries, sizes), and the full analysis
 * (prologue, RET sites by disassembly, parameters and results from DWARF against the pclntab's
 * argument size) of the first functions of package main and of a few others. Seeds: the Go
 * programs of tests/fixtures/go built by Debian's Go (tests/fuzz/make-corpus.sh), with and
 * without DWARF; the fuzzer mutates those real binaries.
 */
#include <stdint.h>
#include <string.h>

#include "go_binary.h"
#include "fuzz_util.h"

#define ANALYSED_MAX 12

struct walk {
	uint64_t h;
	uint64_t vaddrs[ANALYSED_MAX];
	unsigned cnt;
};

static int each(const struct tt_go_sym *sym, void *ctx)
{
	struct walk *w = ctx;

	w->h += strlen(sym->name) + sym->vaddr + sym->offset + sym->size;
	if (w->cnt < ANALYSED_MAX && (!strncmp(sym->name, "main.", 5) || w->cnt < 2))
		w->vaddrs[w->cnt++] = sym->vaddr;
	return 0;
}

static uint64_t analyse(struct tt_go_binary *bin, uint64_t vaddr)
{
	struct tt_go_func *f = NULL;
	uint64_t h = 0;

	if (tt_go_binary__func_info_at(bin, vaddr, &f))
		return 0;
	h += strlen(f->name) + f->probe_offset + f->jbe_offset + f->ret_cnt + f->arg_frame_sz;
	for (size_t i = 0; i < f->ret_cnt; i++)
		h += f->ret_vaddrs[i] + f->ret_offsets[i];
	for (size_t i = 0; i < f->param_cnt + f->result_cnt; i++) {
		const struct tt_go_param *p =
			i < f->param_cnt ? &f->params[i] : &f->results[i - f->param_cnt];

		if (p->piece_cnt > TT_GO_PIECES_MAX)
			__builtin_trap();
		h += strlen(p->name) + strlen(p->type_name) + p->size + p->stack_off +
		     strlen(tt_go_kind_str(p->go_kind)) + strlen(tt_go_unavail_str(p->unavail));
		for (int k = 0; k < p->piece_cnt; k++)
			h += (p->pieces[k].name ? strlen(p->pieces[k].name) : 0) + p->pieces[k].disp;
	}
	h += strlen(tt_go_binary__func_name_at(bin, vaddr) ?: "");
	tt_go_func__free(f);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = tt_fuzz_file(data, size), *example = NULL, *v;
	struct walk w = {0};
	struct tt_go_binary *bin;
	enum tt_go_goid_source src;
	char errbuf[256];
	uint32_t off;

	if (!path)
		return 0;
	bin = tt_go_binary__open(path, errbuf, sizeof(errbuf));
	if (!bin) {
		if (!memchr(errbuf, 0, sizeof(errbuf)))
			__builtin_trap();
		return 0;
	}
	v = tt_go_binary__version(bin);
	w.h += (v ? strlen(v) : 0) + tt_go_binary__is_stripped(bin) + tt_go_binary__has_dwarf(bin);
	if (tt_go_binary__goid_offset(bin, &off, &src) == 0)
		w.h += off + src;
	tt_go_binary__for_each_func(bin, NULL, each, &w);
	w.h += tt_go_binary__inlined_only(bin, "main.*", &example);
	for (unsigned i = 0; i < w.cnt; i++)
		w.h += analyse(bin, w.vaddrs[i]);
	tt_go_binary__free(bin);
	volatile uint64_t sink = w.h;

	(void)sink;
	return 0;
}
