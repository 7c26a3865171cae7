/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the USDT argument-spec parser (recorder/usdt_args.c): any string is
 * parsed as a stapsdt note's argument string ("-4@%edi 8@-16(%rbp) ..."); what it yields is
 * checked for the invariants the attach layer relies on (sizes 1, 2, 4, 8; registers in range;
 * a memory operand's scale of 1, 2, 4 or 8) and named as a column. Seeds: the argument strings
 * of the stapsdt notes of Debian's PostgreSQL, PHP, Python, libjvm and libstdc++
 * (tests/fuzz/make-corpus.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "usdt_args.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_usdt_arg args[TT_MAX_ARGS];
	char errbuf[256];
	uint8_t argc = 0;
	char *s = tt_fuzz_str(data, size);

	if (!s)
		return 0;
	memset(args, 0, sizeof(args));
	if (tt_usdt_parse_args(s, args, &argc, errbuf, sizeof(errbuf)) == 0) {
		if (argc > TT_MAX_ARGS)
			__builtin_trap();
		for (int a = 0; a < argc; a++) {
			const struct tt_usdt_arg *g = &args[a];

			if ((g->size != 1 && g->size != 2 && g->size != 4 && g->size != 8) ||
			    g->base >= TT_REG_CNT || g->index >= TT_REG_CNT ||
			    (g->loc == TT_LOC_MEM && g->scale != 1 && g->scale != 2 && g->scale != 4 &&
			     g->scale != 8))
				__builtin_trap();
			tt_fuzz_sink += tt_usdt_arg_kind(g) + strlen(tt_reg_name(g->base)) +
					(g->sym ? strlen(g->sym) : 0);
		}
		tt_usdt_args_free(args, argc);
	} else if (!memchr(errbuf, 0, sizeof(errbuf))) {
		__builtin_trap();
	}
	/* the column name made of an expression, as from a tracetape note */
	char *col = tt_usdt_column_name(s);

	if (col)
		tt_fuzz_sink += strlen(col);
	free(col);
	free(s);
	return 0;
}
