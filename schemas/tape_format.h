/* SPDX-License-Identifier: MIT */
/*
 * The on-disk ABI of a tape, as specified in schemas/TAPE_FORMAT.md (version 1.0): magic numbers,
 * the fixed file header, block header and footer, block types, limits, TLV field tags, event
 * stream numbers and column modes. The writer (schemas/tape_writer.c, event_encoder.c), the
 * reader (schemas/tape_reader.c, event_decoder.c, tape_desc.c) and the test tools share it, so
 * a number lives in one place.
 *
 * The structs are the decoded form of the fixed headers: fixed-width fields, explicit padding,
 * sizes asserted. They are never read or written in place: tt_tape_*_pack() writes one as
 * little-endian bytes with its checksum, tt_tape_*_unpack() decodes bytes the caller has checked
 * to be long enough. The small TLV helpers at the end encode and walk the records of every block
 * type except EVENTS.
 */
#ifndef TT_TAPE_FORMAT_H
#define TT_TAPE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "tt_types.h"
#include "tt_util.h"

#define TT_TAPE_VERSION_MAJOR 1
#define TT_TAPE_VERSION_MINOR 1

/* File header: "\x89TTAPE\r\n". */
#define TT_TAPE_MAGIC "\x89TTAPE\r\n"
#define TT_TAPE_MAGIC_SZ 8
#define TT_TAPE_FILE_HDR_SZ 32
#define TT_TAPE_FILE_HDR_SZ_MAX 4096

/* Block header: "TTBK", 48 bytes in 1.0; readers accept up to 1024 (future fields). */
#define TT_TAPE_BLOCK_MAGIC "TTBK"
#define TT_TAPE_BLOCK_HDR_SZ 48
#define TT_TAPE_BLOCK_HDR_SZ_MAX 1024

/* Footer after the trailer block: trailer offset, "TTND", crc. */
#define TT_TAPE_FOOTER_MAGIC "TTND"
#define TT_TAPE_FOOTER_SZ 16

/* Blocks start at multiples of this; payloads are zero-padded up to it. */
#define TT_TAPE_ALIGN 8
#define TT_TAPE_PAD(sz) ((TT_TAPE_ALIGN - (sz) % TT_TAPE_ALIGN) % TT_TAPE_ALIGN)

/* Block types. */
#define TT_BLOCK_META 1
#define TT_BLOCK_CLOCK 2
#define TT_BLOCK_PROBES 3
#define TT_BLOCK_PROCESSES 4
#define TT_BLOCK_TP_FORMATS 5
#define TT_BLOCK_STACKS 6 /* call stacks (record --stack) and which events have them */
#define TT_BLOCK_EVENTS 16
#define TT_BLOCK_LOSSES 17
#define TT_BLOCK_TRAILER 31

/* Block flags. Any other bit makes the block unknown to a 1.0 reader (skipped). */
#define TT_BLOCK_F_ZSTD 0x01
#define TT_BLOCK_F_KNOWN TT_BLOCK_F_ZSTD

/* Limits (TAPE_FORMAT.md 2.3): a reader rejects blocks beyond them, so its memory is bounded. */
#define TT_TAPE_BLOCK_RAW_MAX (16u << 20)
#define TT_TAPE_BLOCK_RECORDS_MAX (1u << 20)
#define TT_TAPE_PROBE_ID_MAX (1u << 20)
#define TT_TAPE_CPU_MAX (1u << 16)
/* Bytes of descriptions (strings and entries of META, PROBES, PROCESSES, TP_FORMATS, CLOCK and
 * LOSSES records) a reader keeps for one tape: compressed blocks inflate 1,000-fold and more,
 * so a small file could otherwise make a reader allocate without bound. */
#define TT_TAPE_DESC_BYTES_MAX (256u << 20)
#define TT_TAPE_ZSTD_WINDOW_LOG_MAX 24

/* TLV tags, per block type (TAPE_FORMAT.md section 4). */
#define TT_META_KEY 1
#define TT_META_VALUE 2

#define TT_CLOCK_MONO 1
#define TT_CLOCK_REAL 2

#define TT_PROBE_F_ID 1
#define TT_PROBE_F_TYPE 2
#define TT_PROBE_F_KINDS 3
#define TT_PROBE_F_PROVIDER 4
#define TT_PROBE_F_NAME 5
#define TT_PROBE_F_BINARY 6
#define TT_PROBE_F_BUILD_ID 7
#define TT_PROBE_F_ARG_SPECS 8
#define TT_PROBE_F_ARG_NAME 9
#define TT_PROBE_F_CXXNAMES 10 /* 1.1: bit i: string argument i is a C++ mangled name */

#define TT_PROC_PID 1
#define TT_PROC_PPID 2
#define TT_PROC_COMM 3
#define TT_PROC_EXE 4
#define TT_PROC_CMDLINE 5

#define TT_TPF_PROBE_ID 1
#define TT_TPF_FORMAT 2

#define TT_STK_KIND 1 /* every STACKS record starts with its kind */
#define TT_STK_KIND_MODULE 1
#define TT_STK_KIND_STACK 2
#define TT_STK_KIND_REF 3
#define TT_STK_KIND_SYMBOL 4 /* a function of a module without a file to read (the kernel) */
#define TT_STK_ID 2       /* module: its id; stack: its id; ref: the stack's id */
#define TT_STK_PATH 3     /* module */
#define TT_STK_BUILD_ID 4 /* module, hex */
#define TT_STK_FRAMES 5   /* stack: varint pairs (module, offset), innermost frame first */
#define TT_STK_TS 6       /* ref: the event's ts */
#define TT_STK_TID 7      /* ref: the event's thread */
#define TT_STK_OFFSET 8   /* symbol: its start, as frames' offsets in the module count */
#define TT_STK_SIZE 9     /* symbol: bytes, 0 when unknown */
#define TT_STK_NAME 10    /* symbol: the function's name */

#define TT_LOSS_F_CPU 1
#define TT_LOSS_F_PROBE_ID 2
#define TT_LOSS_F_TS_START 3
#define TT_LOSS_F_TS_END 4
#define TT_LOSS_F_COUNT 5

#define TT_TRL_KIND 1 /* every trailer record starts with its kind */
#define TT_TRL_KIND_TOTALS 1
#define TT_TRL_KIND_PROBE 2
#define TT_TRL_KIND_CPU 3
#define TT_TRL_KIND_INDEX 4
/* totals */
#define TT_TRL_EVENTS 2
#define TT_TRL_LOST 3
#define TT_TRL_LOSS_RECORDS 4
#define TT_TRL_BLOCKS 5
#define TT_TRL_TS_FIRST 6
#define TT_TRL_TS_LAST 7
#define TT_TRL_INDEX_STRIDE 8
/* per probe / per cpu: 2 the id, 3 its events */
#define TT_TRL_ID 2
#define TT_TRL_ID_EVENTS 3
/* index entries */
#define TT_TRL_IDX_OFFSET 2
#define TT_TRL_IDX_SEQ 3
#define TT_TRL_IDX_EVENTS 4
#define TT_TRL_IDX_TS_FIRST 5
#define TT_TRL_IDX_TS_LAST 6
#define TT_TRL_INDEX_MAX 65536 /* entries before the writer doubles the stride */

/* Streams of an EVENTS block (TAPE_FORMAT.md 5.2); argument columns follow the fixed ones. */
enum tt_ev_stream {
	TT_ES_TS,
	TT_ES_CPU,
	TT_ES_SEQ,
	TT_ES_THREAD,
	TT_ES_PROBE,
	TT_ES_EXTRA,
	TT_ES_GOID,
	TT_ES_FAULT,
	TT_ES_STRINGS,
	TT_ES_FIXED_CNT, /* index of the first argument column */
};

#define TT_EXTRA_GOID 1
#define TT_EXTRA_FAULT 2

/* Integer column modes. */
#define TT_COL_PLAIN 0
#define TT_COL_SIGNED 1
#define TT_COL_DELTA 2

/* The shape of an argument column, from the argument's kind byte; -1 for an unknown class. */
enum tt_col_shape { TT_COL_INT, TT_COL_FLOAT, TT_COL_STR };
static inline int tt_kind_col_shape(uint8_t kind)
{
	switch (TT_KIND_CLASS(kind)) {
	case TT_CLASS_UNKNOWN:
	case TT_CLASS_UINT:
	case TT_CLASS_SINT:
	case TT_CLASS_PTR:
		return TT_COL_INT;
	case TT_CLASS_FLOAT:
		return TT_COL_FLOAT;
	case TT_CLASS_STR:
	case TT_CLASS_BYTES:
	case TT_CLASS_CXXNAME:
		return TT_COL_STR;
	default:
		return -1;
	}
}

/* Decoded file header. */
struct tt_tape_file_hdr {
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t hdr_sz;
	uint64_t created_ns;
	uint32_t flags;
	uint32_t hdr_crc;
};
_Static_assert(sizeof(struct tt_tape_file_hdr) == 24, "file header layout");

/* Decoded block header. */
struct tt_tape_block_hdr {
	uint8_t type;
	uint8_t flags;
	uint16_t hdr_sz;
	uint32_t stored_sz;
	uint32_t raw_sz;
	uint32_t record_cnt;
	uint32_t seq;
	uint32_t payload_crc;
	uint64_t ts_first_ns;
	uint64_t ts_last_ns;
	uint32_t hdr_crc;
	uint32_t pad0; /* explicit: keeps the struct a multiple of 8 with no hidden padding */
};
_Static_assert(sizeof(struct tt_tape_block_hdr) == 48, "block header layout");

/* Decoded footer. */
struct tt_tape_footer {
	uint64_t trailer_offset;
	uint32_t crc;
	uint32_t pad0;
};
_Static_assert(sizeof(struct tt_tape_footer) == 16, "footer layout");

/* Write the 32-byte file header (version 1.0) into buf, with its checksum. */
void tt_tape_file_hdr_pack(uint8_t buf[TT_TAPE_FILE_HDR_SZ], uint64_t created_ns);

/*
 * Decode a file header from the len bytes at buf. Returns 0, -TT_E_TRUNCATED (len too short),
 * -TT_E_BAD_MAGIC, -TT_E_VERSION (another major version) or -TT_E_CHECKSUM.
 */
int tt_tape_file_hdr_unpack(const uint8_t *buf, size_t len, struct tt_tape_file_hdr *h);

/*
 * Write h as a 48-byte block header into buf, computing h->hdr_crc (h->hdr_sz is set to 48).
 * The payload checksum must already be in h.
 */
void tt_tape_block_hdr_pack(uint8_t buf[TT_TAPE_BLOCK_HDR_SZ], struct tt_tape_block_hdr *h);

/*
 * Decode and check a block header from len bytes at buf (len >= TT_TAPE_BLOCK_HDR_SZ; for a
 * longer header hdr_sz bytes must be available). Returns 0; -TT_E_BAD_MAGIC when the magic is
 * not there; -TT_E_TRUNCATED when len < the header's hdr_sz; -TT_E_CHECKSUM when the header
 * checksum fails; -TT_E_CORRUPT when a field breaks the format's rules or limits.
 */
int tt_tape_block_hdr_unpack(const uint8_t *buf, size_t len, struct tt_tape_block_hdr *h);

/* Write the footer pointing at the trailer block at trailer_offset. */
void tt_tape_footer_pack(uint8_t buf[TT_TAPE_FOOTER_SZ], uint64_t trailer_offset);

/* Returns 1 when the 16 bytes at buf are a valid footer (and fills f), 0 otherwise. */
int tt_tape_footer_unpack(const uint8_t *buf, struct tt_tape_footer *f);

/*
 * payload_crc: crc32 over the stored payload and the padding bytes after it, which must be
 * present in the buffer (stored_sz + TT_TAPE_PAD(stored_sz) bytes; the writer zeroes them).
 */
uint32_t tt_tape_payload_crc(const uint8_t *payload, uint32_t stored_sz);

/*
 * TLV encoding. A writer builds a record's fields into a scratch buffer with tt_tlv_put_*(),
 * then appends it to the block with tt_tlv_end_record(). All return 0 or -ENOMEM.
 */
int tt_tlv_put_uint(struct tt_buf *rec, uint32_t tag, uint64_t v);
int tt_tlv_put_bytes(struct tt_buf *rec, uint32_t tag, const void *p, size_t len);
int tt_tlv_put_str(struct tt_buf *rec, uint32_t tag, const char *s); /* NULL: no field */
/* Append rec as one record (length-prefixed) to block and empty rec. */
int tt_tlv_end_record(struct tt_buf *block, struct tt_buf *rec);

/* A cursor over TLV data: the records of a payload, or the fields of one record. */
struct tt_tlv_iter {
	const uint8_t *p, *end;
};

/*
 * Next record of a payload: sets *body and *len. Returns 1, 0 at the end, -TT_E_CORRUPT when a
 * length runs past the end.
 */
int tt_tlv_next_record(struct tt_tlv_iter *it, const uint8_t **body, size_t *len);
/* Next field of a record body: sets *tag, *val, *len. Returns 1, 0 at the end, -TT_E_CORRUPT. */
int tt_tlv_next_field(struct tt_tlv_iter *it, uint64_t *tag, const uint8_t **val, size_t *len);
/* A uint field's value: one varint filling it exactly. Returns 0 or -TT_E_CORRUPT. */
int tt_tlv_uint(const uint8_t *val, size_t len, uint64_t *v);

static inline size_t tt_varint_size(uint64_t v)
{
	/* 1 byte per started group of 7 bits; v|1 keeps clz defined for 0 */
	return (size_t)(64 - __builtin_clzll(v | 1) + 6) / 7;
}

#endif /* TT_TAPE_FORMAT_H */
