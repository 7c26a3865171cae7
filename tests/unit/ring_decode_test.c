/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/ring_decode, on ring records made here as bpf/record.bpf.c lays them
 * out: probe hits with integers, strings (truncated and faulted ones flagged by BPF, and strings
 * longer than the record holds), goroutine ids, fault masks and Go code addresses; tracepoint
 * raw records; fork, exec (short and full) and exit records. Then records that must be refused:
 * every truncation of each valid record, sizes that disagree, unknown types and kinds, probe ids
 * outside the table, and random garbage, each in a buffer of exactly its size so that ASan
 * builds catch any read out of bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring_decode.h"
#include "tt_test.h"
#include "tt_util.h"

/* Probes 0..3: plain integers; a string at 1 and 3; a Go code address at 0; a tracepoint. */
static struct tt_probe_set_probe probes[4] = {
	[0] = {.d = {.id = 0, .argc = 2}},
	[1] = {.d = {.id = 1, .argc = 4}, .str_mask = 0x2 | 0x8},
	[2] = {.d = {.id = 2, .argc = 2}, .str_mask = 0x1, .sym_mask = 0x1},
	[3] = {.d = {.id = 3, .argc = 1}, .str_mask = 0x1},
};

static const char *fake_names(void *ctx, const struct tt_probe_set_probe *p, uint64_t pc)
{
	(*(int *)ctx)++;
	assert_ptr_equal(p, &probes[2]);
	return pc == 0x401000 ? "main.worker" : NULL;
}

static struct tt_ring_decoder decoder(int *calls)
{
	return (struct tt_ring_decoder){
		.probes = probes, .probe_cnt = 4, .probe_fork = 10, .probe_exec = 11,
		.probe_exit = 12, .symbolize = calls ? fake_names : NULL, .symbolize_ctx = calls,
	};
}

static struct tt_ring_hdr hdr(uint16_t type, uint32_t probe_id, size_t size)
{
	return (struct tt_ring_hdr){.type = type, .size = (uint16_t)size, .probe_id = probe_id,
				    .ts_ns = 123456789, .pid = 100, .tid = 101, .cpu = 3, .seq = 42};
}

/*
 * A probe hit of probe_id with argc slots, then the strings' bytes, into buf. Returns the
 * record's size.
 */
static size_t make_args(uint8_t *buf, uint32_t probe_id, uint8_t argc, const uint64_t *slots,
			const char *bytes, size_t bytes_len)
{
	struct tt_ring_args r;
	size_t fixed = offsetof(struct tt_ring_args, args), size = fixed + 8u * argc + bytes_len;

	memset(&r, 0, sizeof(r));
	r.hdr = hdr(TT_RING_ARGS, probe_id, size);
	r.goid = 77;
	r.fault_mask = 0x4;
	r.argc = argc;
	memcpy(buf, &r, fixed);
	memcpy(buf + fixed, slots, 8u * argc);
	memcpy(buf + fixed + 8u * argc, bytes, bytes_len);
	return size;
}

/* A copy of the size bytes at p in a buffer of exactly that size (ASan sees any overrun). */
static uint8_t *exact(const void *p, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);

	assert_non_null(b);
	memcpy(b, p, size);
	return b;
}

static uint64_t str_slot(uint32_t len, uint32_t flags)
{
	return (uint64_t)flags << 32 | len;
}

TT_TEST(ring_decode, probe_hit_with_strings)
{
	uint64_t slots[4] = {7, str_slot(5, 0), (uint64_t)-3, str_slot(3, TT_STR_TRUNCATED)};
	uint8_t buf[512], *rec_bytes;
	struct tt_ring_decoder d = decoder(NULL);
	struct tt_ring_rec rec;
	size_t size = make_args(buf, 1, 4, slots, "helloabc", 8);
	const struct tt_event *ev = &rec.ev;

	rec_bytes = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, rec_bytes, size, &rec), 0);
	assert_true(rec.has_event);
	assert_int_equal(rec.pid, 100);
	assert_int_equal(rec.proc_what, 0);
	assert_null(rec.comm);
	assert_int_equal(ev->ts_ns, 123456789);
	assert_int_equal(ev->probe_id, 1);
	assert_int_equal(ev->pid, 100);
	assert_int_equal(ev->tid, 101);
	assert_int_equal(ev->cpu, 3);
	assert_int_equal(ev->seq, 42);
	assert_int_equal(ev->goid, 77);
	assert_int_equal(ev->fault_mask, 0x4);
	assert_int_equal(ev->argc, 4);
	assert_int_equal(ev->args[0], 7);
	assert_int_equal(ev->args[1], 0);
	assert_int_equal(ev->args[2], (uint64_t)-3);
	assert_int_equal(ev->strs[1].len, 5);
	assert_int_equal(ev->strs[1].flags, 0);
	assert_memory_equal(ev->strs[1].ptr, "hello", 5);
	assert_ptr_equal(ev->strs[1].ptr, rec_bytes + size - 8); /* in the record, not copied */
	assert_int_equal(ev->strs[3].len, 3);
	assert_int_equal(ev->strs[3].flags, TT_STR_TRUNCATED); /* as BPF flagged it */
	assert_memory_equal(ev->strs[3].ptr, "abc", 3);
	free(rec_bytes);

	/* a string BPF could not read: empty, flagged; the next one starts where it would have */
	slots[1] = str_slot(0, TT_STR_FAULT);
	size = make_args(buf, 1, 4, slots, "abc", 3);
	rec_bytes = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, rec_bytes, size, &rec), 0);
	assert_int_equal(ev->strs[1].len, 0);
	assert_int_equal(ev->strs[1].flags, TT_STR_FAULT);
	assert_memory_equal(ev->strs[3].ptr, "abc", 3);
	free(rec_bytes);

	/* no arguments at all */
	size = make_args(buf, 0, 0, slots, "", 0);
	rec_bytes = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, rec_bytes, size, &rec), 0);
	assert_int_equal(ev->argc, 0);
	assert_int_equal(ev->probe_id, 0);
	free(rec_bytes);
}

TT_TEST(ring_decode, strings_longer_than_the_record_are_cut_and_flagged)
{
	uint64_t slots[4] = {1, str_slot(10, 0), 2, str_slot(4, TT_STR_FAULT)};
	uint8_t buf[512], *rec_bytes;
	struct tt_ring_decoder d = decoder(NULL);
	struct tt_ring_rec rec;
	size_t size = make_args(buf, 1, 4, slots, "0123456", 7); /* 10 claimed, 7 there */

	rec_bytes = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, rec_bytes, size, &rec), 0);
	assert_int_equal(rec.ev.strs[1].len, 7);
	assert_int_equal(rec.ev.strs[1].flags, TT_STR_TRUNCATED);
	assert_int_equal(rec.ev.strs[3].len, 0); /* nothing left for it */
	assert_int_equal(rec.ev.strs[3].flags, TT_STR_FAULT | TT_STR_TRUNCATED);
	assert_ptr_equal(rec.ev.strs[3].ptr, rec_bytes + size);
	free(rec_bytes);

	/* a length that would wrap a 32-bit pointer difference */
	slots[1] = str_slot(UINT32_MAX, 0);
	size = make_args(buf, 1, 4, slots, "xy", 2);
	rec_bytes = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, rec_bytes, size, &rec), 0);
	assert_int_equal(rec.ev.strs[1].len, 2);
	assert_int_equal(rec.ev.strs[3].len, 0);
	free(rec_bytes);
}

TT_TEST(ring_decode, go_code_addresses_are_named)
{
	uint64_t slots[2] = {0x401000, 5};
	uint8_t buf[256];
	struct tt_ring_rec rec;
	int calls = 0;
	struct tt_ring_decoder d = decoder(&calls);
	size_t size = make_args(buf, 2, 2, slots, "", 0);

	assert_int_equal(tt_ring_decode(&d, buf, size, &rec), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(rec.ev.args[0], 0);
	assert_int_equal(rec.ev.strs[0].len, strlen("main.worker"));
	assert_memory_equal(rec.ev.strs[0].ptr, "main.worker", strlen("main.worker"));
	assert_int_equal(rec.ev.args[1], 5);

	/* an address the binary does not name, or no one to ask: hex */
	slots[0] = 0xc000123456;
	size = make_args(buf, 2, 2, slots, "", 0);
	assert_int_equal(tt_ring_decode(&d, buf, size, &rec), 0);
	assert_int_equal(calls, 2);
	assert_int_equal(rec.ev.strs[0].len, strlen("0xc000123456"));
	assert_memory_equal(rec.ev.strs[0].ptr, "0xc000123456", strlen("0xc000123456"));
	d = decoder(NULL);
	slots[0] = 0x401000;
	size = make_args(buf, 2, 2, slots, "", 0);
	assert_int_equal(tt_ring_decode(&d, buf, size, &rec), 0);
	assert_memory_equal(rec.ev.strs[0].ptr, "0x401000", strlen("0x401000"));
}

TT_TEST(ring_decode, tracepoint_raw_records)
{
	struct tt_ring_raw raw = {.hdr = hdr(TT_RING_RAW, 3, sizeof(raw) + 6), .len = 6};
	uint8_t buf[64], *rec_bytes;
	struct tt_ring_decoder d = decoder(NULL);
	struct tt_ring_rec rec;
	size_t size = sizeof(raw) + 6;

	memcpy(buf, &raw, sizeof(raw));
	memcpy(buf + sizeof(raw), "\x01\x02\x03\x04\x05\x06", 6);
	rec_bytes = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, rec_bytes, size, &rec), 0);
	assert_true(rec.has_event);
	assert_int_equal(rec.pid, 100);
	assert_int_equal(rec.ev.probe_id, 3);
	assert_int_equal(rec.ev.seq, 42);
	assert_int_equal(rec.ev.argc, 1);
	assert_int_equal(rec.ev.strs[0].len, 6);
	assert_int_equal(rec.ev.strs[0].flags, 0);
	assert_ptr_equal(rec.ev.strs[0].ptr, rec_bytes + sizeof(raw));
	free(rec_bytes);

	/* more bytes claimed than the record holds */
	raw.len = 7;
	memcpy(buf, &raw, sizeof(raw));
	rec_bytes = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, rec_bytes, size, &rec), -EBADMSG);
	free(rec_bytes);
}

static struct tt_ring_proc proc_rec(uint32_t what, const char *comm)
{
	struct tt_ring_proc p = {.hdr = hdr(TT_RING_PROC, 0, sizeof(p)), .what = what, .ppid = 99};

	memcpy(p.comm, comm, strnlen(comm, sizeof(p.comm)));
	return p;
}

TT_TEST(ring_decode, fork_and_exit_records)
{
	struct tt_ring_proc p = proc_rec(TT_PROC_FORK, "worker");
	struct tt_ring_decoder d = decoder(NULL);
	struct tt_ring_rec rec;
	uint8_t *b = exact(&p, sizeof(p));

	assert_int_equal(tt_ring_decode(&d, b, sizeof(p), &rec), 0);
	assert_int_equal(rec.proc_what, TT_PROC_FORK);
	assert_int_equal(rec.pid, 100); /* the child */
	assert_int_equal(rec.ppid, 99);
	assert_int_equal(rec.comm_len, 6);
	assert_memory_equal(rec.comm, "worker", 6);
	assert_null(rec.path);
	assert_true(rec.has_event);
	assert_int_equal(rec.ev.probe_id, 10);
	assert_int_equal(rec.ev.pid, 99); /* the parent's event */
	assert_int_equal(rec.ev.tid, 99);
	assert_int_equal(rec.ev.cpu, 3);
	assert_int_equal(rec.ev.ts_ns, 123456789);
	assert_int_equal(rec.ev.seq, 0);
	assert_int_equal(rec.ev.argc, 2);
	assert_int_equal(rec.ev.args[0], 100);
	assert_int_equal(rec.ev.strs[1].len, 6);
	assert_memory_equal(rec.ev.strs[1].ptr, "worker", 6);
	free(b);

	/* a command name of all 16 bytes has no NUL */
	p = proc_rec(TT_PROC_FORK, "0123456789abcdefXYZ");
	b = exact(&p, sizeof(p));
	assert_int_equal(tt_ring_decode(&d, b, sizeof(p), &rec), 0);
	assert_int_equal(rec.comm_len, 16);
	assert_int_equal(rec.ev.strs[1].len, 16);
	free(b);

	/* exit: the kernel's exit_code, status << 8 | signal */
	p = proc_rec(TT_PROC_EXIT, "worker");
	p.exit_code = 3 << 8;
	b = exact(&p, sizeof(p));
	assert_int_equal(tt_ring_decode(&d, b, sizeof(p), &rec), 0);
	assert_int_equal(rec.proc_what, TT_PROC_EXIT);
	assert_int_equal(rec.ev.probe_id, 12);
	assert_int_equal(rec.ev.pid, 100);
	assert_int_equal(rec.ev.args[0], 3);
	assert_int_equal(rec.ev.args[1], 0);
	free(b);
	p.exit_code = 9 | 0x80; /* SIGKILL, core dumped */
	b = exact(&p, sizeof(p));
	assert_int_equal(tt_ring_decode(&d, b, sizeof(p), &rec), 0);
	assert_int_equal(rec.ev.args[0], 0);
	assert_int_equal(rec.ev.args[1], 9);
	free(b);

	/* a capture without the built-in probes: the facts, no event */
	d.probe_fork = d.probe_exit = UINT32_MAX;
	p = proc_rec(TT_PROC_FORK, "w");
	b = exact(&p, sizeof(p));
	assert_int_equal(tt_ring_decode(&d, b, sizeof(p), &rec), 0);
	assert_false(rec.has_event);
	assert_int_equal(rec.proc_what, TT_PROC_FORK);
	assert_int_equal(rec.pid, 100);
	free(b);

	/* a kind of process record that does not exist */
	p = proc_rec(7, "w");
	b = exact(&p, sizeof(p));
	assert_int_equal(tt_ring_decode(&d, b, sizeof(p), &rec), -EBADMSG);
	free(b);
}

TT_TEST(ring_decode, exec_records_short_and_full)
{
	struct tt_ring_exec e;
	struct tt_ring_proc p = proc_rec(TT_PROC_EXEC, "sh");
	struct tt_ring_decoder d = decoder(NULL);
	struct tt_ring_rec rec;
	uint8_t *b = exact(&p, sizeof(p));

	/* the short form: no path, no arguments */
	assert_int_equal(tt_ring_decode(&d, b, sizeof(p), &rec), 0);
	assert_int_equal(rec.proc_what, TT_PROC_EXEC);
	assert_null(rec.path);
	assert_null(rec.args);
	assert_int_equal(rec.ev.probe_id, 11);
	assert_int_equal(rec.ev.argc, 1);
	assert_memory_equal(rec.ev.strs[0].ptr, "sh", 2);
	free(b);

	memset(&e, 0, sizeof(e));
	e.proc = proc_rec(TT_PROC_EXEC, "ls");
	e.proc.hdr.size = sizeof(e);
	memcpy(e.path, "/bin/ls", 7);
	e.path_len = 7;
	memcpy(e.args, "ls\0-l\0", 6);
	e.args_len = 6;
	b = exact(&e, sizeof(e));
	assert_int_equal(tt_ring_decode(&d, b, sizeof(e), &rec), 0);
	assert_int_equal(rec.pid, 100);
	assert_int_equal(rec.ppid, 99);
	assert_int_equal(rec.path_len, 7);
	assert_memory_equal(rec.path, "/bin/ls", 7);
	assert_int_equal(rec.args_len, 6);
	assert_memory_equal(rec.args, "ls\0-l\0", 6);
	assert_memory_equal(rec.comm, "ls", 2);
	assert_memory_equal(rec.ev.strs[0].ptr, "ls", 2);
	free(b);

	/* lengths beyond the arrays are cut to them */
	e.path_len = UINT16_MAX;
	e.args_len = TT_PROC_ARGS_SZ + 1;
	b = exact(&e, sizeof(e));
	assert_int_equal(tt_ring_decode(&d, b, sizeof(e), &rec), 0);
	assert_int_equal(rec.path_len, TT_PROC_PATH_SZ);
	assert_int_equal(rec.args_len, TT_PROC_ARGS_SZ);
	free(b);

	/* an exec record whose header says it is a plain process record: read as one */
	e.proc.hdr.size = sizeof(e.proc);
	b = exact(&e, sizeof(e));
	assert_int_equal(tt_ring_decode(&d, b, sizeof(e), &rec), 0);
	assert_null(rec.path);
	free(b);

	/* an exec-sized record of another kind carries no path */
	e.proc.hdr.size = sizeof(e);
	e.proc.what = TT_PROC_FORK;
	b = exact(&e, sizeof(e));
	assert_int_equal(tt_ring_decode(&d, b, sizeof(e), &rec), 0);
	assert_int_equal(rec.proc_what, TT_PROC_FORK);
	assert_null(rec.path);
	free(b);
}

TT_TEST(ring_decode, bad_headers_are_refused)
{
	uint64_t slots[12] = {0};
	uint8_t buf[512], *b;
	struct tt_ring_decoder d = decoder(NULL);
	struct tt_ring_rec rec;
	struct tt_ring_hdr h;
	size_t size;

	/* a probe id outside the table */
	size = make_args(buf, 4, 0, slots, "", 0);
	b = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, b, size, &rec), -ENOENT);
	free(b);
	/* an unknown type */
	size = make_args(buf, 0, 0, slots, "", 0);
	h = hdr(9, 0, size);
	memcpy(buf, &h, sizeof(h));
	b = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, b, size, &rec), -EPROTONOSUPPORT);
	free(b);
	/* a header claiming more than the record */
	size = make_args(buf, 0, 2, slots, "", 0);
	h = hdr(TT_RING_ARGS, 0, size + 1);
	memcpy(buf, &h, sizeof(h));
	b = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, b, size, &rec), -EBADMSG);
	free(b);
	/* more arguments than a record has slots for */
	size = make_args(buf, 0, 12, slots, "", 0);
	buf[offsetof(struct tt_ring_args, argc)] = TT_MAX_ARGS + 1;
	b = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, b, size, &rec), -EBADMSG);
	free(b);
	/* an argument count the record does not hold the slots of */
	size = make_args(buf, 0, 2, slots, "", 0);
	buf[offsetof(struct tt_ring_args, argc)] = 3;
	b = exact(buf, size);
	assert_int_equal(tt_ring_decode(&d, b, size, &rec), -EBADMSG);
	free(b);
	/* nothing at all */
	assert_int_equal(tt_ring_decode(&d, buf, 0, &rec), -EBADMSG);
}

/* Decode every prefix of the record at p (each in a buffer of exactly its size). */
static void every_truncation(const struct tt_ring_decoder *d, const void *p, size_t size,
			     size_t ok_from)
{
	for (size_t n = 0; n <= size; n++) {
		uint8_t *b = exact(p, n);
		struct tt_ring_rec rec;
		int err = tt_ring_decode(d, b, n, &rec);

		if (n >= ok_from ? err != 0 : err == 0)
			fail_msg("a record of %zu bytes cut to %zu: %d", size, n, err);
		free(b);
	}
}

TT_TEST(ring_decode, every_truncation_is_refused_in_bounds)
{
	uint64_t slots[4] = {7, str_slot(5, 0), 9, str_slot(3, 0)};
	struct tt_ring_decoder d = decoder(NULL);
	struct tt_ring_raw raw = {.hdr = hdr(TT_RING_RAW, 3, sizeof(raw) + 4), .len = 4};
	struct tt_ring_proc p = proc_rec(TT_PROC_FORK, "w");
	struct tt_ring_exec e = {.proc = proc_rec(TT_PROC_EXEC, "ls"), .path_len = 1, .args_len = 1};
	uint8_t buf[512];
	size_t size;

	/* hdr.size is the whole record: every shorter copy disagrees with it */
	size = make_args(buf, 1, 4, slots, "helloabc", 8);
	every_truncation(&d, buf, size, size);
	memcpy(buf, &raw, sizeof(raw));
	memcpy(buf + sizeof(raw), "abcd", 4);
	every_truncation(&d, buf, sizeof(raw) + 4, sizeof(raw) + 4);
	every_truncation(&d, &p, sizeof(p), sizeof(p));
	/* an exec record cut short is read as the process record it starts with */
	e.proc.hdr.size = sizeof(e);
	every_truncation(&d, &e, sizeof(e), sizeof(e.proc));
}

TT_TEST(ring_decode, garbage_is_read_in_bounds)
{
	struct tt_ring_decoder d = decoder(NULL);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t decoded = 0;

	for (int i = 0; i < 20000; i++) {
		uint8_t raw[1200];
		size_t size;
		uint8_t *b;
		struct tt_ring_rec rec;

		for (size_t k = 0; k < sizeof(raw); k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			raw[k] = (uint8_t)x;
		}
		size = (size_t)(x % sizeof(raw));
		/* mostly plausible headers, so that the decoding goes past the first checks */
		raw[0] = (uint8_t)(1 + x % 3);
		raw[1] = 0;
		if (i % 2) {
			raw[2] = (uint8_t)size;
			raw[3] = (uint8_t)(size >> 8);
			memset(raw + 4, 0, 4);
			raw[4] = (uint8_t)(x % 5);
			raw[offsetof(struct tt_ring_args, argc)] %= TT_MAX_ARGS + 2;
		}
		b = exact(raw, size);
		if (tt_ring_decode(&d, b, size, &rec) == 0) {
			decoded++;
			for (unsigned a = 0; rec.has_event && a < rec.ev.argc; a++) {
				const struct tt_bytes *s = &rec.ev.strs[a];

				if (!s->ptr || (const uint8_t *)s->ptr == (const uint8_t *)rec.hex[a])
					continue;
				if ((s->ptr < b || s->ptr + s->len > b + size) &&
				    ((const char *)s->ptr < (const char *)&rec.exec ||
				     (const char *)s->ptr + s->len > (const char *)(&rec.exec + 1)))
					fail_msg("garbage record %d: argument %u outside the record", i, a);
			}
		}
		free(b);
	}
	assert_true(decoded > 100); /* the garbage did reach the decoders */
}
