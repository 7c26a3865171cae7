/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the tape's block decoders, below the checksums and the compression that
 * keep random bytes out of them in tape_reader_fuzz: the EVENTS decoder
 * (schemas/event_decoder.c), the description blocks (schemas/tape_desc.c: META, CLOCK, PROBES,
 * PROCESSES, TP_FORMATS, TRAILER, LOSSES) and STACKS (schemas/tape_stacks.c).
 *
 * The input is a sequence of chunks, each a 28-byte header then its payload:
 *   u8 type, 3 bytes ignored, le32 record_cnt, le32 payload length, le64 ts_first, le64 ts_last
 * as the block header would say them. The chunks go through one description and one stacks
 * state, as a tape's blocks do, so that later blocks meet what earlier ones left (ids reused,
 * probes described late, references to stacks). Seeds: tests/fuzz/make-corpus.sh cuts the
 * blocks of real tapes into this form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event_decoder.h"
#include "tape_desc.h"
#include "tape_format.h"
#include "tape_stacks.h"
#include "fuzz_util.h"

#define CHUNK_HDR 28

static uint64_t touch_str(const char *s)
{
	uint64_t h = 0;

	while (s && *s)
		h += (uint8_t)*s++;
	return h;
}

static uint64_t events(struct tt_tape_desc *desc, struct tt_tape_stacks *stacks,
		       const struct tt_tape_block_hdr *h, const uint8_t *p)
{
	struct tt_event_run *run = calloc(1, sizeof(*run));
	struct tt_event ev = {0};
	uint8_t kinds[TT_MAX_ARGS];
	uint64_t sum = 0;

	if (!run)
		return 0;
	if (tt_event_run__reserve_raw(run, h->raw_sz) == 0) {
		memcpy(run->raw, p, h->raw_sz);
		if (tt_event_run__decode(run, h) == 0) {
			for (uint32_t i = 0; i < run->probe_cnt; i++)
				tt_tape_desc__probe_seen(desc, run->probes[i].id, run->probes[i].argc,
							 run->probes[i].kinds);
			for (run->pos = 0; run->pos < run->n; run->pos++) {
				tt_event_run__fill(run, &ev, kinds);
				sum += ev.ts_ns + ev.pid + ev.tid + ev.probe_id + ev.goid + ev.fault_mask;
				for (int a = 0; a < ev.argc; a++) {
					sum += kinds[a] + ev.args[a];
					for (uint32_t k = 0; k < ev.strs[a].len; k++)
						sum += ev.strs[a].ptr[k];
				}
				sum += tt_tape_stacks__take_ref(stacks, ev.tid, ev.ts_ns);
			}
		}
	}
	tt_event_run__free(run);
	return sum;
}

static uint64_t describe(const struct tt_tape_desc *d, const struct tt_tape_stacks *s)
{
	const char *key, *value;
	uint64_t h = 0;

	for (uint32_t id = 0; id < tt_tape_desc__probe_cnt(d); id++) {
		const struct tt_probe_desc *p = tt_tape_desc__probe(d, id);

		if (!p)
			continue;
		h += touch_str(p->provider) + touch_str(p->name) + touch_str(p->binary) +
		     touch_str(p->build_id) + touch_str(p->arg_specs);
		for (int a = 0; a < p->argc; a++)
			h += p->kinds[a] + touch_str(p->arg_names[a]);
	}
	for (size_t i = 0; tt_tape_desc__meta_at(d, i, &key, &value) == 0; i++)
		h += touch_str(key) + touch_str(value);
	for (size_t i = 0; tt_tape_desc__process(d, i); i++) {
		const struct tt_process *p = tt_tape_desc__process(d, i);

		h += p->pid + touch_str(p->comm) + touch_str(p->exe) + touch_str(p->cmdline);
	}
	for (uint32_t id = 1; id <= tt_tape_stacks__stack_cnt(s) + 1; id++) {
		const struct tt_stack_frame *f;
		uint32_t n;

		if (tt_tape_stacks__stack(s, id, &f, &n))
			continue;
		for (uint32_t k = 0; k < n; k++) {
			const struct tt_stack_module *m = tt_tape_stacks__module(s, f[k].module);

			h += f[k].offset + (m ? touch_str(m->path) + touch_str(m->build_id) : 0);
		}
	}
	h += tt_tape_desc__wall_ns(d, 123456789);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_tape_desc *desc = tt_tape_desc__new();
	struct tt_tape_stacks *stacks = tt_tape_stacks__new();
	volatile uint64_t sink = 0;

	while (desc && stacks && size >= CHUNK_HDR) {
		struct tt_tape_block_hdr h = {
			.type = data[0],
			.hdr_sz = TT_TAPE_BLOCK_HDR_SZ,
			.record_cnt = tt_get_le32(data + 4),
			.raw_sz = tt_get_le32(data + 8),
			.ts_first_ns = tt_get_le64(data + 12),
			.ts_last_ns = tt_get_le64(data + 20),
		};
		const uint8_t *p = data + CHUNK_HDR;

		data += CHUNK_HDR;
		size -= CHUNK_HDR;
		if (h.raw_sz > size)
			h.raw_sz = (uint32_t)size;
		h.stored_sz = h.raw_sz;
		data += h.raw_sz;
		size -= h.raw_sz;
		/* what tt_tape_block_hdr_unpack() lets through, and nothing else */
		if (h.record_cnt > TT_TAPE_BLOCK_RECORDS_MAX || h.ts_first_ns > h.ts_last_ns)
			continue;
		/* the reader's buffers: exactly raw_sz bytes, so that ASan sees a read past them */
		uint8_t *raw = malloc(h.raw_sz ? h.raw_sz : 1);

		if (!raw)
			break;
		memcpy(raw, p, h.raw_sz);
		if (h.type == TT_BLOCK_EVENTS)
			sink += events(desc, stacks, &h, raw);
		else if (h.type == TT_BLOCK_STACKS)
			sink += (uint64_t)tt_tape_stacks__parse_block(stacks, raw, h.raw_sz, h.record_cnt);
		else
			sink += (uint64_t)tt_tape_desc__parse_block(desc, h.type, raw, h.raw_sz,
								    h.record_cnt);
		free(raw);
	}
	if (desc && stacks)
		sink += describe(desc, stacks);
	tt_tape_desc__free(desc);
	tt_tape_stacks__free(stacks);
	(void)sink;
	return 0;
}
