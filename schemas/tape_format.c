/* SPDX-License-Identifier: MIT */
/*
 * Codecs for the fixed parts of a tape (file header, block header, footer) and the TLV records of
 * its metadata blocks, shared by the writer, the reader and the test tools so that the layout of
 * schemas/TAPE_FORMAT.md is encoded in exactly one place. Decoders take bytes whose length the
 * caller has checked and copy every field out through the little-endian helpers.
 */
#include <errno.h>
#include <string.h>

#include <zlib.h>

#include "tape_format.h"
#include "tt_error.h"

static uint32_t crc(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(0L, p, (uInt)n);
}

void tt_tape_file_hdr_pack(uint8_t buf[TT_TAPE_FILE_HDR_SZ], uint64_t created_ns)
{
	memset(buf, 0, TT_TAPE_FILE_HDR_SZ);
	memcpy(buf, TT_TAPE_MAGIC, TT_TAPE_MAGIC_SZ);
	tt_put_le16(buf + 8, TT_TAPE_VERSION_MAJOR);
	tt_put_le16(buf + 10, TT_TAPE_VERSION_MINOR);
	tt_put_le32(buf + 12, TT_TAPE_FILE_HDR_SZ);
	tt_put_le64(buf + 16, created_ns);
	tt_put_le32(buf + 24, 0);
	tt_put_le32(buf + 28, crc(buf, TT_TAPE_FILE_HDR_SZ - 4));
}

int tt_tape_file_hdr_unpack(const uint8_t *buf, size_t len, struct tt_tape_file_hdr *h)
{
	/* The magic is checked first so that "not a tape" wins over "short" for small files. */
	if (memcmp(buf, TT_TAPE_MAGIC, TT_MIN(len, (size_t)TT_TAPE_MAGIC_SZ)) != 0)
		return -TT_E_BAD_MAGIC;
	if (len < TT_TAPE_FILE_HDR_SZ)
		return -TT_E_TRUNCATED;
	h->version_major = tt_get_le16(buf + 8);
	h->version_minor = tt_get_le16(buf + 10);
	h->hdr_sz = tt_get_le32(buf + 12);
	if (h->version_major != TT_TAPE_VERSION_MAJOR)
		return -TT_E_VERSION;
	if (h->hdr_sz < TT_TAPE_FILE_HDR_SZ || h->hdr_sz > TT_TAPE_FILE_HDR_SZ_MAX ||
	    h->hdr_sz % TT_TAPE_ALIGN)
		return -TT_E_CORRUPT;
	if (len < h->hdr_sz)
		return -TT_E_TRUNCATED;
	h->created_ns = tt_get_le64(buf + 16);
	h->flags = tt_get_le32(buf + 24);
	h->hdr_crc = tt_get_le32(buf + h->hdr_sz - 4);
	if (h->hdr_crc != crc(buf, h->hdr_sz - 4))
		return -TT_E_CHECKSUM;
	return 0;
}

void tt_tape_block_hdr_pack(uint8_t buf[TT_TAPE_BLOCK_HDR_SZ], struct tt_tape_block_hdr *h)
{
	h->hdr_sz = TT_TAPE_BLOCK_HDR_SZ;
	memcpy(buf, TT_TAPE_BLOCK_MAGIC, 4);
	buf[4] = h->type;
	buf[5] = h->flags;
	tt_put_le16(buf + 6, h->hdr_sz);
	tt_put_le32(buf + 8, h->stored_sz);
	tt_put_le32(buf + 12, h->raw_sz);
	tt_put_le32(buf + 16, h->record_cnt);
	tt_put_le32(buf + 20, h->seq);
	tt_put_le64(buf + 24, h->ts_first_ns);
	tt_put_le64(buf + 32, h->ts_last_ns);
	tt_put_le32(buf + 40, h->payload_crc);
	h->hdr_crc = crc(buf, TT_TAPE_BLOCK_HDR_SZ - 4);
	tt_put_le32(buf + 44, h->hdr_crc);
}

int tt_tape_block_hdr_unpack(const uint8_t *buf, size_t len, struct tt_tape_block_hdr *h)
{
	if (len < TT_TAPE_BLOCK_HDR_SZ)
		return -TT_E_TRUNCATED;
	if (memcmp(buf, TT_TAPE_BLOCK_MAGIC, 4) != 0)
		return -TT_E_BAD_MAGIC;
	memset(h, 0, sizeof(*h));
	h->hdr_sz = tt_get_le16(buf + 6);
	if (h->hdr_sz < TT_TAPE_BLOCK_HDR_SZ || h->hdr_sz > TT_TAPE_BLOCK_HDR_SZ_MAX ||
	    h->hdr_sz % TT_TAPE_ALIGN)
		return -TT_E_CHECKSUM; /* a bad size is as good as a bad header: we cannot trust it */
	if (len < h->hdr_sz)
		return -TT_E_TRUNCATED;
	h->hdr_crc = tt_get_le32(buf + h->hdr_sz - 4);
	if (h->hdr_crc != crc(buf, h->hdr_sz - 4u))
		return -TT_E_CHECKSUM;
	h->type = buf[4];
	h->flags = buf[5];
	h->stored_sz = tt_get_le32(buf + 8);
	h->raw_sz = tt_get_le32(buf + 12);
	h->record_cnt = tt_get_le32(buf + 16);
	h->seq = tt_get_le32(buf + 20);
	h->ts_first_ns = tt_get_le64(buf + 24);
	h->ts_last_ns = tt_get_le64(buf + 32);
	h->payload_crc = tt_get_le32(buf + 40);
	if (h->raw_sz > TT_TAPE_BLOCK_RAW_MAX || h->record_cnt > TT_TAPE_BLOCK_RECORDS_MAX)
		return -TT_E_CORRUPT;
	if ((h->flags & TT_BLOCK_F_ZSTD) ? h->stored_sz >= h->raw_sz : h->stored_sz != h->raw_sz)
		return -TT_E_CORRUPT;
	if (h->ts_first_ns > h->ts_last_ns)
		return -TT_E_CORRUPT;
	return 0;
}

void tt_tape_footer_pack(uint8_t buf[TT_TAPE_FOOTER_SZ], uint64_t trailer_offset)
{
	tt_put_le64(buf, trailer_offset);
	memcpy(buf + 8, TT_TAPE_FOOTER_MAGIC, 4);
	tt_put_le32(buf + 12, crc(buf, 12));
}

int tt_tape_footer_unpack(const uint8_t *buf, struct tt_tape_footer *f)
{
	if (memcmp(buf + 8, TT_TAPE_FOOTER_MAGIC, 4) != 0)
		return 0;
	if (tt_get_le32(buf + 12) != crc(buf, 12))
		return 0;
	f->trailer_offset = tt_get_le64(buf);
	f->crc = tt_get_le32(buf + 12);
	f->pad0 = 0;
	return 1;
}

uint32_t tt_tape_payload_crc(const uint8_t *payload, uint32_t stored_sz)
{
	return crc(payload, (size_t)stored_sz + TT_TAPE_PAD(stored_sz));
}

int tt_tlv_put_uint(struct tt_buf *rec, uint32_t tag, uint64_t v)
{
	int err = tt_buf_reserve(rec, 30);

	if (err)
		return err;
	rec->len += tt_varint_put(rec->data + rec->len, tag);
	rec->len += tt_varint_put(rec->data + rec->len, tt_varint_size(v));
	rec->len += tt_varint_put(rec->data + rec->len, v);
	return 0;
}

int tt_tlv_put_bytes(struct tt_buf *rec, uint32_t tag, const void *p, size_t len)
{
	int err = tt_buf_reserve(rec, 20 + len);

	if (err)
		return err;
	rec->len += tt_varint_put(rec->data + rec->len, tag);
	rec->len += tt_varint_put(rec->data + rec->len, len);
	if (len)
		memcpy(rec->data + rec->len, p, len);
	rec->len += len;
	return 0;
}

int tt_tlv_put_str(struct tt_buf *rec, uint32_t tag, const char *s)
{
	return s ? tt_tlv_put_bytes(rec, tag, s, strlen(s)) : 0;
}

int tt_tlv_end_record(struct tt_buf *block, struct tt_buf *rec)
{
	int err = tt_buf_reserve(block, 10 + rec->len);

	if (err)
		return err;
	block->len += tt_varint_put(block->data + block->len, rec->len);
	if (rec->len)
		memcpy(block->data + block->len, rec->data, rec->len);
	block->len += rec->len;
	rec->len = 0;
	return 0;
}

/* One varint length, then that many bytes, all before it->end. */
static int tlv_span(struct tt_tlv_iter *it, const uint8_t **p, size_t *len)
{
	uint64_t n;

	if (tt_varint_get(&it->p, it->end, &n) || n > (uint64_t)(it->end - it->p))
		return -TT_E_CORRUPT;
	*p = it->p;
	*len = (size_t)n;
	it->p += n;
	return 1;
}

int tt_tlv_next_record(struct tt_tlv_iter *it, const uint8_t **body, size_t *len)
{
	if (it->p >= it->end)
		return 0;
	return tlv_span(it, body, len);
}

int tt_tlv_next_field(struct tt_tlv_iter *it, uint64_t *tag, const uint8_t **val, size_t *len)
{
	if (it->p >= it->end)
		return 0;
	if (tt_varint_get(&it->p, it->end, tag))
		return -TT_E_CORRUPT;
	return tlv_span(it, val, len);
}

int tt_tlv_uint(const uint8_t *val, size_t len, uint64_t *v)
{
	const uint8_t *p = val;

	if (tt_varint_get(&p, val + len, v) || p != val + len)
		return -TT_E_CORRUPT;
	return 0;
}
