/* SPDX-License-Identifier: MIT */
/* Parsing of tracefs event formats and decoding of raw tracepoint records (see tp_format.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_format.h"
#include "tt_error.h"
#include "tt_util.h"

void tt_tp_format_free(struct tt_tp_format *fmt)
{
	if (!fmt)
		return;
	for (size_t i = 0; i < fmt->field_cnt; i++) {
		free(fmt->fields[i].type);
		free(fmt->fields[i].name);
	}
	free(fmt->fields);
	free(fmt->system);
	free(fmt->name);
	free(fmt);
}

static int is_char_type(const char *t)
{
	return !strcmp(t, "char") || !strcmp(t, "const char") || !strcmp(t, "signed char");
}

/* Classify the declaration "TYPE NAME[LEN]" already split into type/name/array parts. */
static void classify(struct tt_tp_field *f, int is_array, uint32_t array_len)
{
	int is_ptr = strchr(f->type, '*') != NULL;

	if (f->dyn) {
		f->kind = is_char_type(f->type) ? TT_TPF_STR : TT_TPF_DYN_ARRAY;
		f->elem_size = 1;
		return;
	}
	if (is_array) {
		if (is_char_type(f->type)) {
			f->kind = TT_TPF_STR;
			f->elem_size = 1;
			f->count = f->size;
			return;
		}
		f->count = array_len ? array_len : 0;
		f->elem_size = f->count ? f->size / f->count : 0;
		if (f->count && f->size % f->count == 0 &&
		    (f->elem_size == 1 || f->elem_size == 2 || f->elem_size == 4 || f->elem_size == 8)) {
			f->kind = TT_TPF_ARRAY;
			return;
		}
		f->kind = TT_TPF_OTHER;
		return;
	}
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) {
		f->kind = TT_TPF_OTHER;
		return;
	}
	f->kind = is_ptr ? TT_TPF_PTR : TT_TPF_INT;
}

/* Parse "TYPE NAME[LEN]" (the text between "field:" and the first ';'). */
static int parse_decl(char *decl, struct tt_tp_field *f)
{
	char *name, *bracket, *end;
	uint32_t array_len = 0;
	int is_array = 0;

	if (!strncmp(decl, "__data_loc ", 11)) {
		f->dyn = 1;
		decl += 11;
	} else if (!strncmp(decl, "__rel_loc ", 10)) {
		f->dyn = 2;
		decl += 10;
	}
	end = decl + strlen(decl);
	while (end > decl && end[-1] == ' ')
		*--end = '\0';
	/* The name is the last word; an array suffix belongs to it ("char prev_comm[16]"). */
	name = strrchr(decl, ' ');
	if (!name)
		return -1;
	*name++ = '\0';
	bracket = strchr(name, '[');
	if (bracket) {
		is_array = 1;
		*bracket = '\0';
		array_len = (uint32_t)strtoul(bracket + 1, NULL, 10);
	}
	/* __data_loc types carry "[]" on the type: "__data_loc char[] filename". */
	bracket = strchr(decl, '[');
	if (bracket)
		*bracket = '\0';
	if (!*name || !*decl)
		return -1;
	f->type = strdup(decl);
	f->name = strdup(name);
	if (!f->type || !f->name)
		return -ENOMEM;
	f->is_common = !strncmp(name, "common_", 7);
	classify(f, is_array, array_len);
	return 0;
}

int tt_tp_format_parse(const char *system, const char *text, struct tt_tp_format **out,
		       char *errbuf, size_t errbuf_sz)
{
	struct tt_tp_format *fmt = calloc(1, sizeof(*fmt));
	const char *line = text;
	int err = 0, lineno = 0;

	if (!fmt)
		return -ENOMEM;
	fmt->system = strdup(system ? system : "");
	if (!fmt->system) {
		err = -ENOMEM;
		goto fail;
	}
	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		char buf[512];

		lineno++;
		if (n >= sizeof(buf) && strncmp(line, "\tfield:", 7) != 0) {
			line += n + (eol ? 1 : 0); /* "print fmt:" lines can be long; not needed */
			continue;
		}
		if (n >= sizeof(buf)) {
			snprintf(errbuf, errbuf_sz, "line %d is too long", lineno);
			err = -TT_E_PARSE;
			goto fail;
		}
		memcpy(buf, line, n);
		buf[n] = '\0';
		line += n + (eol ? 1 : 0);

		if (!strncmp(buf, "name: ", 6)) {
			free(fmt->name);
			fmt->name = strdup(buf + 6);
			if (!fmt->name) {
				err = -ENOMEM;
				goto fail;
			}
		} else if (!strncmp(buf, "ID: ", 4)) {
			fmt->id = (uint32_t)strtoul(buf + 4, NULL, 10);
		} else if (!strncmp(buf, "\tfield:", 7)) {
			struct tt_tp_field f = {0}, *nf;
			unsigned off, size, sgn;
			char *semi = strchr(buf + 7, ';');

			if (!semi || sscanf(semi + 1, "\toffset:%u;\tsize:%u;\tsigned:%u;", &off, &size, &sgn) != 3) {
				snprintf(errbuf, errbuf_sz, "line %d: expected offset, size and signed: '%s'",
					 lineno, buf + 1);
				err = -TT_E_PARSE;
				goto fail;
			}
			*semi = '\0';
			f.offset = off;
			f.size = size;
			f.is_signed = sgn != 0;
			err = parse_decl(buf + 7, &f);
			if (err) {
				free(f.type);
				free(f.name);
				if (err != -ENOMEM) {
					snprintf(errbuf, errbuf_sz, "line %d: cannot read the declaration", lineno);
					err = -TT_E_PARSE;
				}
				goto fail;
			}
			nf = realloc(fmt->fields, (fmt->field_cnt + 1) * sizeof(*nf));
			if (!nf) {
				free(f.type);
				free(f.name);
				err = -ENOMEM;
				goto fail;
			}
			fmt->fields = nf;
			nf[fmt->field_cnt++] = f;
			if (off + size > fmt->fixed_size)
				fmt->fixed_size = off + size;
		}
	}
	if (!fmt->name || !fmt->field_cnt) {
		snprintf(errbuf, errbuf_sz, "no %s in the format text", fmt->name ? "fields" : "name");
		err = -TT_E_PARSE;
		goto fail;
	}
	*out = fmt;
	return 0;
fail:
	tt_tp_format_free(fmt);
	return err;
}

const struct tt_tp_field *tt_tp_format_field(const struct tt_tp_format *fmt, const char *name)
{
	for (size_t i = 0; i < fmt->field_cnt; i++)
		if (!strcmp(fmt->fields[i].name, name))
			return &fmt->fields[i];
	return NULL;
}

static uint64_t load_int(const uint8_t *p, uint32_t size, int is_signed)
{
	switch (size) {
	case 1:
		return is_signed ? (uint64_t)(int64_t)(int8_t)p[0] : p[0];
	case 2:
		return is_signed ? (uint64_t)(int64_t)(int16_t)tt_get_le16(p) : tt_get_le16(p);
	case 4:
		return is_signed ? (uint64_t)(int64_t)(int32_t)tt_get_le32(p) : tt_get_le32(p);
	default:
		return tt_get_le64(p);
	}
}

int tt_tp_field_int(const struct tt_tp_field *f, const uint8_t *rec, size_t len, uint32_t i,
		    uint64_t *val)
{
	uint32_t size = f->kind == TT_TPF_ARRAY ? f->elem_size : f->size;
	uint64_t off = (uint64_t)f->offset + (uint64_t)i * size;

	if (f->kind != TT_TPF_INT && f->kind != TT_TPF_PTR && f->kind != TT_TPF_ARRAY)
		return -EINVAL;
	if ((f->kind == TT_TPF_ARRAY && i >= f->count) || (f->kind != TT_TPF_ARRAY && i > 0))
		return -ERANGE;
	if (off + size > len)
		return -ERANGE;
	*val = load_int(rec + off, size, f->is_signed);
	return 0;
}

int tt_tp_field_bytes(const struct tt_tp_field *f, const uint8_t *rec, size_t len,
		      const uint8_t **data, size_t *n)
{
	uint64_t start, cnt;

	if ((uint64_t)f->offset + f->size > len)
		return -ERANGE;
	if (f->dyn) {
		uint32_t loc;

		if (f->size < 4)
			return -ERANGE;
		/* __data_loc: a u32 whose low half is the data's offset, high half its length;
		 * __rel_loc offsets count from the end of the field itself. */
		loc = tt_get_le32(rec + f->offset);
		start = loc & 0xffff;
		if (f->dyn == 2)
			start += (uint64_t)f->offset + f->size;
		cnt = loc >> 16;
	} else {
		start = f->offset;
		cnt = f->size;
	}
	if (start + cnt > len)
		return -ERANGE;
	if (f->kind == TT_TPF_STR) /* up to the first NUL */
		cnt = strnlen((const char *)rec + start, cnt);
	*data = rec + start;
	*n = cnt;
	return 0;
}
