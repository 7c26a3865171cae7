/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the tape reader (schemas/tape_reader.c): any byte string is opened as a
 * tape and read to the end twice, stopping at damage and skipping it, with a small reorder window
 * cap so that the cap paths run too. Built twice: tape_reader_fuzz opens the bytes from memory
 * (tt_tape_reader__open_mem), tape_file_fuzz (TT_FUZZ_FILE) writes them to a memfd and opens
 * that by path, as `load`, `info` and `replay` open a tape (the file path: reads, seeks to the
 * footer, the trailer's index). Every returned string byte and every
 * description is touched, so that a length the reader failed to check shows up under ASan.
 *
 * Random mutations almost never keep a block's CRCs valid, which would confine the fuzzer to the
 * checksum checks. So a custom mutator re-seals the checksums of most mutated inputs (walking the
 * block headers as far as they make sense), and leaves one in eight as mutated, for the damage
 * paths. The reader itself is unchanged: it verifies every checksum as in production.
 *
 * Built by `make fuzz` (meson -Dfuzz=true, CC=clang); seeds in tests/fuzz/corpus/.
 *
 *   build-fuzz/tests/fuzz/tape_reader_fuzz -max_total_time=600 tests/fuzz/corpus/tape
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <zlib.h>

#include "tape_format.h"
#include "tape_reader.h"
#include "fuzz_util.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

static void put_crc(uint8_t *at, const uint8_t *p, size_t n)
{
	tt_put_le32(at, (uint32_t)crc32(0L, p, (uInt)n));
}

/* Recompute the file header, block header, payload and footer checksums in place. */
static void seal(uint8_t *d, size_t size)
{
	size_t off = TT_TAPE_FILE_HDR_SZ;

	if (size < TT_TAPE_FILE_HDR_SZ)
		return;
	put_crc(d + TT_TAPE_FILE_HDR_SZ - 4, d, TT_TAPE_FILE_HDR_SZ - 4);
	while (off + TT_TAPE_BLOCK_HDR_SZ <= size) {
		uint8_t *h = d + off;
		size_t stored, end;

		if (size - off >= TT_TAPE_FOOTER_SZ && size - off < TT_TAPE_BLOCK_HDR_SZ + 8 &&
		    !memcmp(h + 8, TT_TAPE_FOOTER_MAGIC, 4)) {
			put_crc(h + 12, h, 12);
			return;
		}
		if (memcmp(h, TT_TAPE_BLOCK_MAGIC, 4) || tt_get_le16(h + 6) != TT_TAPE_BLOCK_HDR_SZ)
			return;
		stored = tt_get_le32(h + 8);
		end = off + TT_TAPE_BLOCK_HDR_SZ + stored + TT_TAPE_PAD(stored);
		if (stored > size || end > size)
			return;
		put_crc(h + 40, h + TT_TAPE_BLOCK_HDR_SZ, stored + TT_TAPE_PAD(stored));
		put_crc(h + 44, h, 44);
		off = end;
	}
	if (size - off == TT_TAPE_FOOTER_SZ)
		put_crc(d + off + 12, d + off, 12);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	size = LLVMFuzzerMutate(data, size, max_size);
	if (seed % 8)
		seal(data, size);
	return size;
}

static uint64_t touch_str(const char *s)
{
	uint64_t h = 0;

	while (s && *s)
		h += (uint8_t)*s++;
	return h;
}

static uint64_t read_tape(const uint8_t *data, size_t size, int skip)
{
	struct tt_tape_reader_opts opts = {.skip_damaged = skip, .window_events_max = 64};
#ifdef TT_FUZZ_FILE
	const char *path = tt_fuzz_file(data, size);
	struct tt_tape_reader *r = path ? tt_tape_reader__open(path, &opts) : NULL;
#else
	struct tt_tape_reader *r = tt_tape_reader__open_mem(data, size, &opts);
#endif
	const struct tt_event *ev;
	struct tt_tape_status st;
	struct tt_tape_damage d;
	const char *key, *value;
	uint64_t h = 0;
	size_t n;

	if (!r)
		return 0;
	for (int i = 0; i < 100000 && tt_tape_reader__next(r, &ev) == 1; i++) {
		const uint8_t *kinds = tt_tape_reader__event_kinds(r);

		h += ev->ts_ns + ev->pid + ev->goid;
		for (int a = 0; a < ev->argc; a++) {
			h += kinds[a] + ev->args[a];
			for (uint32_t k = 0; k < ev->strs[a].len; k++)
				h += ev->strs[a].ptr[k];
		}
		h += tt_tape_reader__wall_ns(r, ev->ts_ns);
	}
	for (uint32_t id = 0; id < tt_tape_reader__probe_cnt(r); id++) {
		const struct tt_probe_desc *p = tt_tape_reader__probe(r, id);

		if (!p)
			continue;
		h += touch_str(p->provider) + touch_str(p->name) + touch_str(p->binary) +
		     touch_str(p->build_id) + touch_str(p->arg_specs);
		for (int a = 0; a < p->argc; a++)
			h += p->kinds[a] + touch_str(p->arg_names[a]);
		h += touch_str(tt_tape_reader__tp_format(r, id));
	}
	for (size_t i = 0; tt_tape_reader__meta_at(r, i, &key, &value) == 0; i++)
		h += touch_str(key) + touch_str(value) + touch_str(tt_tape_reader__meta(r, key));
	for (size_t i = 0; tt_tape_reader__process(r, i); i++) {
		const struct tt_process *p = tt_tape_reader__process(r, i);

		h += p->pid + touch_str(p->comm) + touch_str(p->exe) + touch_str(p->cmdline);
	}
	const struct tt_loss *l = tt_tape_reader__losses(r, &n);

	for (size_t i = 0; i < n; i++)
		h += l[i].count + l[i].cpu;
	for (size_t i = 0; tt_tape_reader__damage(r, i, &d) == 0; i++)
		h += d.offset + d.bytes;
	tt_tape_reader__status(r, &st);
	h += st.events + st.truncated_at;
	tt_tape_reader__free(r);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	volatile uint64_t sink = read_tape(data, size, 0) + read_tape(data, size, 1);

	(void)sink;
	return 0;
}
