/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the tracepoint format parser (schemas/tp_format.c), which reads the
 * kernel's tracefs `format` files at record time and the copies a tape carries at load time
 * (so a crafted tape feeds it anything). The input is a format text, then a NUL, then a record:
 * the text is parsed, and every field of the result is decoded from the record bytes (integers
 * element by element, strings and arrays through their __data_loc words), as `load` decodes a
 * tracepoint event. Seeds: the formats of this kernel's tracepoints (tests/fuzz/make-corpus.sh)
 * with a record each.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tp_format.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t text_len = nul ? (size_t)(nul - data) : size;
	struct tt_tp_format *fmt = NULL;
	char errbuf[256];
	char *text = tt_fuzz_str(data, text_len);

	if (!text)
		return 0;
	if (tt_tp_format_parse("fuzz", text, &fmt, errbuf, sizeof(errbuf))) {
		if (!memchr(errbuf, 0, sizeof(errbuf)))
			__builtin_trap();
		free(text);
		return 0;
	}
	/* the record: exactly its bytes, so that a read past its end is caught */
	size_t len = nul ? size - text_len - 1 : 0;
	uint8_t *rec = malloc(len ? len : 1);

	if (rec) {
		if (len)
			memcpy(rec, nul + 1, len);
		tt_fuzz_sink += strlen(fmt->system) + strlen(fmt->name) + fmt->id + fmt->fixed_size;
		for (size_t i = 0; i < fmt->field_cnt; i++) {
			const struct tt_tp_field *f = &fmt->fields[i];
			const uint8_t *p;
			uint64_t v;
			size_t n;

			tt_fuzz_sink += strlen(f->type) + strlen(f->name);
			if (tt_tp_format_field(fmt, f->name) == NULL)
				__builtin_trap(); /* a field the format has is not found */
			for (uint32_t k = 0; k < 64 && tt_tp_field_int(f, rec, len, k, &v) == 0; k++)
				tt_fuzz_sink += v;
			if (tt_tp_field_bytes(f, rec, len, &p, &n) == 0)
				for (size_t k = 0; k < n; k++)
					tt_fuzz_sink += p[k];
		}
		free(rec);
	}
	tt_tp_format_free(fmt);
	free(text);
	return 0;
}
