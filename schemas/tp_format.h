/* SPDX-License-Identifier: MIT */
/*
 * Kernel tracepoint formats: parse the text of /sys/kernel/tracing/events/SYSTEM/NAME/format
 * into fields, and decode fields out of a raw tracepoint record. The recorder uses the parse to
 * size records and find dynamic fields; the tape stores the format text verbatim; the analyzer
 * parses it again to decode each record into typed columns.
 *
 * Field lines look like "\tfield:TYPE NAME[LEN];\toffset:N;\tsize:N;\tsigned:0|1;" where TYPE
 * may be several words ("unsigned long", "const char *", "__data_loc char[]").
 */
#ifndef TT_TP_FORMAT_H
#define TT_TP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

enum tt_tpf_kind {
	TT_TPF_INT = 1,   /* an integer of size 1, 2, 4 or 8 (signedness in is_signed) */
	TT_TPF_PTR,       /* a kernel or user address: an integer shown in hex; not dereferenced */
	TT_TPF_STR,       /* char NAME[N] (NUL-padded) or __data_loc char[] NAME */
	TT_TPF_ARRAY,     /* TYPE NAME[N] of integers */
	TT_TPF_DYN_ARRAY, /* __data_loc TYPE[] NAME of something other than char */
	TT_TPF_OTHER,     /* a size this decoder does not understand: raw bytes */
};

struct tt_tp_field {
	char *type;        /* as written, without the array suffix (owned) */
	char *name;        /* (owned) */
	uint32_t offset;   /* from the record start */
	uint32_t size;     /* bytes in the fixed part (4 for __data_loc) */
	uint32_t elem_size;/* ARRAY, DYN_ARRAY: bytes per element */
	uint32_t count;    /* ARRAY: element count */
	uint8_t kind;      /* enum tt_tpf_kind */
	uint8_t is_signed;
	uint8_t is_common; /* a common_* field every record starts with */
	uint8_t dyn;       /* 1: __data_loc (offset from record start), 2: __rel_loc */
};

struct tt_tp_format {
	char *system;      /* category, e.g. "sched" (owned) */
	char *name;        /* e.g. "sched_switch" (owned) */
	uint32_t id;
	uint32_t fixed_size; /* end of the last fixed field */
	size_t field_cnt;
	struct tt_tp_field *fields;
};

/*
 * Parse a format text. Returns 0 and sets *fmt (free with tt_tp_format_free()), or
 * -TT_E_PARSE with the offending line in errbuf.
 */
int tt_tp_format_parse(const char *system, const char *text, struct tt_tp_format **fmt,
		       char *errbuf, size_t errbuf_sz);
void tt_tp_format_free(struct tt_tp_format *fmt);

/* The field named name, or NULL. */
const struct tt_tp_field *tt_tp_format_field(const struct tt_tp_format *fmt, const char *name);

/*
 * Element i (0 for a scalar) of an INT, PTR or ARRAY field of record rec (len bytes), sign- or
 * zero-extended. Returns 0, or -ERANGE when the record is too short.
 */
int tt_tp_field_int(const struct tt_tp_field *f, const uint8_t *rec, size_t len, uint32_t i,
		    uint64_t *val);

/*
 * The bytes of a STR, DYN_ARRAY or OTHER field: for strings without the trailing NUL padding.
 * Returns 0 and sets *data (pointing into rec) and *n, or -ERANGE when the field lies outside
 * the record.
 */
int tt_tp_field_bytes(const struct tt_tp_field *f, const uint8_t *rec, size_t len,
		      const uint8_t **data, size_t *n);

#endif /* TT_TP_FORMAT_H */
