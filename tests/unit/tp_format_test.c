/* SPDX-License-Identifier: MIT */
/* Unit tests of schemas/tp_format: parsing tracefs formats and decoding raw records. */
#include <errno.h>
#include <string.h>

#include "tp_format.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

static const char sched_switch_fmt[] =
	"name: sched_switch\n"
	"ID: 372\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"prev_comm=%s prev_pid=%d\", REC->prev_comm, REC->prev_pid\n";

static const char exec_fmt[] =
	"name: sched_process_exec\n"
	"ID: 365\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n";

static const char sys_enter_fmt[] =
	"name: sys_enter\n"
	"ID: 23\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n"
	"\tfield:const char * name;\toffset:64;\tsize:8;\tsigned:0;\n";

TT_TEST(tp_format, parses_sched_switch)
{
	struct tt_tp_format *fmt;
	const struct tt_tp_field *f;
	char err[128];

	assert_int_equal(tt_tp_format_parse("sched", sched_switch_fmt, &fmt, err, sizeof(err)), 0);
	assert_string_equal(fmt->name, "sched_switch");
	assert_string_equal(fmt->system, "sched");
	assert_int_equal(fmt->id, 372);
	assert_int_equal(fmt->field_cnt, 11);
	assert_int_equal(fmt->fixed_size, 64);
	f = tt_tp_format_field(fmt, "prev_comm");
	assert_non_null(f);
	assert_int_equal(f->kind, TT_TPF_STR);
	assert_int_equal(f->offset, 8);
	f = tt_tp_format_field(fmt, "prev_state");
	assert_int_equal(f->kind, TT_TPF_INT);
	assert_true(f->is_signed);
	assert_string_equal(f->type, "long");
	assert_true(tt_tp_format_field(fmt, "common_pid")->is_common);
	assert_false(tt_tp_format_field(fmt, "next_pid")->is_common);
	assert_null(tt_tp_format_field(fmt, "nope"));
	tt_tp_format_free(fmt);
}

TT_TEST(tp_format, decodes_fields)
{
	struct tt_tp_format *fmt;
	uint8_t rec[64] = {0};
	const uint8_t *data;
	uint64_t v;
	size_t n;
	char err[128];

	assert_int_equal(tt_tp_format_parse("sched", sched_switch_fmt, &fmt, err, sizeof(err)), 0);
	memcpy(rec + 8, "bash", 5);
	tt_put_le32(rec + 24, (uint32_t)-5);
	tt_put_le64(rec + 32, 0x100);
	tt_put_le32(rec + 56, 4242);
	assert_int_equal(tt_tp_field_bytes(tt_tp_format_field(fmt, "prev_comm"), rec, sizeof(rec), &data, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(data, "bash", 4);
	assert_int_equal(tt_tp_field_int(tt_tp_format_field(fmt, "prev_pid"), rec, sizeof(rec), 0, &v), 0);
	assert_int_equal((int64_t)v, -5);
	assert_int_equal(tt_tp_field_int(tt_tp_format_field(fmt, "next_pid"), rec, sizeof(rec), 0, &v), 0);
	assert_int_equal(v, 4242);
	/* A record cut short: the field is out of range, nothing is read. */
	assert_int_equal(tt_tp_field_int(tt_tp_format_field(fmt, "next_pid"), rec, 58, 0, &v), -ERANGE);
	tt_tp_format_free(fmt);
}

TT_TEST(tp_format, data_loc_strings)
{
	struct tt_tp_format *fmt;
	uint8_t rec[40] = {0};
	const uint8_t *data;
	size_t n;
	char err[128];

	assert_int_equal(tt_tp_format_parse("sched", exec_fmt, &fmt, err, sizeof(err)), 0);
	assert_int_equal(tt_tp_format_field(fmt, "filename")->kind, TT_TPF_STR);
	assert_int_equal(fmt->fixed_size, 20);
	memcpy(rec + 20, "/bin/ls", 8);
	tt_put_le32(rec + 8, 20 | 8u << 16);
	assert_int_equal(tt_tp_field_bytes(tt_tp_format_field(fmt, "filename"), rec, sizeof(rec), &data, &n), 0);
	assert_int_equal(n, 7);
	assert_memory_equal(data, "/bin/ls", 7);
	/* A location pointing past the record end is refused. */
	tt_put_le32(rec + 8, 36 | 8u << 16);
	assert_int_equal(tt_tp_field_bytes(tt_tp_format_field(fmt, "filename"), rec, sizeof(rec), &data, &n), -ERANGE);
	tt_tp_format_free(fmt);
}

TT_TEST(tp_format, arrays_and_pointers)
{
	struct tt_tp_format *fmt;
	const struct tt_tp_field *f;
	uint8_t rec[72] = {0};
	uint64_t v;
	char err[128];

	assert_int_equal(tt_tp_format_parse("raw_syscalls", sys_enter_fmt, &fmt, err, sizeof(err)), 0);
	f = tt_tp_format_field(fmt, "args");
	assert_int_equal(f->kind, TT_TPF_ARRAY);
	assert_int_equal(f->count, 6);
	assert_int_equal(f->elem_size, 8);
	tt_put_le64(rec + 16 + 8 * 5, 77);
	assert_int_equal(tt_tp_field_int(f, rec, sizeof(rec), 5, &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal(tt_tp_field_int(f, rec, sizeof(rec), 6, &v), -ERANGE);
	f = tt_tp_format_field(fmt, "name");
	assert_int_equal(f->kind, TT_TPF_PTR);
	assert_string_equal(f->type, "const char *");
	tt_tp_format_free(fmt);
}

TT_TEST(tp_format, rejects_malformed)
{
	static const char *bad[] = {
		"",
		"name: x\n",
		"name: x\nID: 1\n\tfield:int a;\toffset:zz;\n",
		"name: x\nID: 1\n\tfield:int;\toffset:0;\tsize:4;\tsigned:1;\n",
	};
	struct tt_tp_format *fmt = NULL;
	char err[128];

	for (size_t i = 0; i < TT_ARRAY_SIZE(bad); i++)
		assert_int_equal(tt_tp_format_parse("x", bad[i], &fmt, err, sizeof(err)), -TT_E_PARSE);
}
