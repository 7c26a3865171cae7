/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/tracepoints, on a tracefs tree made up in a temporary directory:
 * matching categories and names by globs, reading and parsing a format (and the messages when
 * that fails), and the BPF configuration derived from a format: the id, the fixed part, the
 * dynamic fields (__data_loc and __rel_loc, and more of them than the program copies) and the
 * field naming a second thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracepoints.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

#define HDR(name, id)                                                                 \
	"name: " name "\nID: " #id "\nformat:\n"                                       \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"         \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"         \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

static const char switch_fmt[] = HDR("sched_switch", 372)
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n\n"
	"print fmt: \"prev_pid=%d\", REC->prev_pid\n";
static const char wakeup_fmt[] = HDR("sched_wakeup", 374)
	"\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;\n";
static const char irq_fmt[] = HDR("irq_handler_entry", 120)
	"\tfield:int irq;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:__data_loc char[] name;\toffset:12;\tsize:4;\tsigned:0;\n"
	"\tfield:__rel_loc char[] extra;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:20;\tsize:4;\tsigned:1;\n";

static char root[64];

static void put_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0700), 0);
}

/*
 * root/events/{sched/{sched_switch,sched_wakeup,no_format,no_enable},irq/{irq_handler_entry,bad}}:
 * an event has a format and an enable file; no_enable has a format only, like ftrace's own
 * record formats (ftrace:print), which nothing can attach to.
 */
static void make_tree(void)
{
	snprintf(root, sizeof(root), "/tmp/tt-tracefs-XXXXXX");
	assert_non_null(mkdtemp(root));
	put_dir("events");
	put_dir("events/sched");
	put_dir("events/sched/sched_switch");
	put_file("events/sched/sched_switch/format", switch_fmt);
	put_file("events/sched/sched_switch/enable", "0\n");
	put_dir("events/sched/sched_wakeup");
	put_file("events/sched/sched_wakeup/format", wakeup_fmt);
	put_file("events/sched/sched_wakeup/enable", "0\n");
	put_dir("events/sched/no_format");
	put_file("events/sched/no_format/enable", "0\n");
	put_dir("events/sched/no_enable");
	put_file("events/sched/no_enable/format", wakeup_fmt);
	put_file("events/sched/enable", "0\n");
	put_dir("events/irq");
	put_dir("events/irq/irq_handler_entry");
	put_file("events/irq/irq_handler_entry/format", irq_fmt);
	put_file("events/irq/irq_handler_entry/enable", "0\n");
	put_dir("events/irq/bad");
	put_file("events/irq/bad/format", "this is not a format\n");
	put_file("events/irq/bad/enable", "0\n");
}

static void remove_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

struct seen {
	char names[8][64];
	int cnt;
	int stop_at; /* return 1 at this call (1-based), 0: never */
};

static int seen_cb(const char *system, const char *name, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->cnt < 8);
	snprintf(s->names[s->cnt++], sizeof(s->names[0]), "%s:%s", system, name);
	return s->cnt == s->stop_at;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Messages written through a tt_out. */
static struct tt_out msgs_out(FILE *f)
{
	return (struct tt_out){.out = f, .err = f, .verbosity = TT_LVL_DEBUG, .prog = "t"};
}

TT_TEST(tracepoints, globs_match_categories_and_names)
{
	struct seen s = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct tt_out out = msgs_out(f);

	make_tree();
	assert_int_equal(tt_tracepoints_each(root, "sched", "*", seen_cb, &s, &out), 0);
	qsort(s.names, (size_t)s.cnt, sizeof(s.names[0]), cmp_name);
	/* no_format has no format, no_enable no enable file, enable is no directory */
	assert_int_equal(s.cnt, 2);
	assert_string_equal(s.names[0], "sched:sched_switch");
	assert_string_equal(s.names[1], "sched:sched_wakeup");

	memset(&s, 0, sizeof(s));
	assert_int_equal(tt_tracepoints_each(root, "*", "*_entry", seen_cb, &s, &out), 0);
	assert_int_equal(s.cnt, 1);
	assert_string_equal(s.names[0], "irq:irq_handler_entry");

	memset(&s, 0, sizeof(s));
	assert_int_equal(tt_tracepoints_each(root, "nope", "*", seen_cb, &s, &out), 0);
	assert_int_equal(s.cnt, 0);

	/* a nonzero return stops the walk and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(tt_tracepoints_each(root, "*", "*", seen_cb, &s, &out), 1);
	assert_int_equal(s.cnt, 1);
	remove_tree();

	assert_int_equal(tt_tracepoints_each(root, "*", "*", seen_cb, &s, &out), -ENOENT);
	fflush(f);
	assert_non_null(strstr(buf, "t: error: cannot list "));
	fclose(f);
	free(buf);
}

TT_TEST(tracepoints, load_reads_and_parses_formats)
{
	struct tt_tp_format *fmt;
	char *text, *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct tt_out out = msgs_out(f);

	make_tree();
	assert_int_equal(tt_tracepoint_load(root, "sched", "sched_switch", &text, &fmt, &out), 0);
	assert_string_equal(text, switch_fmt); /* verbatim, for the tape */
	assert_string_equal(fmt->system, "sched");
	assert_string_equal(fmt->name, "sched_switch");
	assert_int_equal(fmt->id, 372);
	free(text);
	tt_tp_format_free(fmt);

	assert_int_equal(tt_tracepoint_load(root, "sched", "gone", &text, &fmt, &out), -ENOENT);
	assert_null(text);
	assert_null(fmt);
	assert_int_equal(tt_tracepoint_load(root, "irq", "bad", &text, &fmt, &out), -TT_E_PARSE);
	assert_null(text);
	assert_null(fmt);
	fflush(f);
	assert_non_null(strstr(buf, "/events/sched/gone/format: No such file or directory"));
	assert_non_null(strstr(buf, "/events/irq/bad/format: "));
	remove_tree();
	fclose(f);
	free(buf);
}

TT_TEST(tracepoints, bpf_config_from_formats)
{
	struct tt_tp_format *fmt;
	struct tt_bpf_tp cfg;
	char msg[128];

	/* sched_switch: the second thread is next_pid */
	assert_int_equal(tt_tp_format_parse("sched", switch_fmt, &fmt, msg, sizeof(msg)), 0);
	memset(&cfg, 0xff, sizeof(cfg));
	tt_tracepoint_bpf_cfg(fmt, 7, &cfg, NULL);
	assert_int_equal(cfg.probe_id, 7);
	assert_int_equal(cfg.tp_id, 372);
	assert_int_equal(cfg.fixed_size, 64);
	assert_int_equal(cfg.filter_off, 56);
	assert_int_equal(cfg.dyn_cnt, 0);
	assert_int_equal(cfg.dyn_rel_mask, 0);
	tt_tp_format_free(fmt);

	/* sched_wakeup*: the thread woken, pid */
	assert_int_equal(tt_tp_format_parse("sched", wakeup_fmt, &fmt, msg, sizeof(msg)), 0);
	tt_tracepoint_bpf_cfg(fmt, 8, &cfg, NULL);
	assert_int_equal(cfg.filter_off, 24);
	tt_tp_format_free(fmt);

	/* dynamic fields; a "pid" outside the scheduler's wakeups is no second thread */
	assert_int_equal(tt_tp_format_parse("irq", irq_fmt, &fmt, msg, sizeof(msg)), 0);
	tt_tracepoint_bpf_cfg(fmt, 9, &cfg, NULL);
	assert_int_equal(cfg.filter_off, 0);
	assert_int_equal(cfg.dyn_cnt, 2);
	assert_int_equal(cfg.dyn_off[0], 12);
	assert_int_equal(cfg.dyn_off[1], 16);
	assert_int_equal(cfg.dyn_rel_mask, 0x2);
	assert_int_equal(cfg.fixed_size, 24);
	tt_tp_format_free(fmt);
}

TT_TEST(tracepoints, more_dynamic_fields_than_copied)
{
	struct tt_buf b = {0};
	struct tt_tp_format *fmt;
	struct tt_bpf_tp cfg;
	char msg[128], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct tt_out out = msgs_out(f);

	assert_int_equal(tt_buf_printf(&b, "%s", HDR("many", 9)), 0);
	for (int i = 0; i < TT_TP_MAX_DYN + 2; i++)
		assert_int_equal(tt_buf_printf(&b, "\tfield:__data_loc char[] s%d;\toffset:%d;\tsize:4;"
					      "\tsigned:0;\n", i, 8 + 4 * i), 0);
	assert_int_equal(tt_buf_append(&b, "", 1), 0);
	assert_int_equal(tt_tp_format_parse("test", (const char *)b.data, &fmt, msg, sizeof(msg)), 0);
	tt_tracepoint_bpf_cfg(fmt, 1, &cfg, &out);
	assert_int_equal(cfg.dyn_cnt, TT_TP_MAX_DYN);
	assert_int_equal(cfg.dyn_off[TT_TP_MAX_DYN - 1], 8 + 4 * (TT_TP_MAX_DYN - 1));
	fflush(f);
	assert_non_null(strstr(buf, "t: warning: test:many has more than 8 dynamic fields; the rest "
				     "may be cut"));
	tt_tp_format_free(fmt);
	tt_buf_free(&b);
	fclose(f);
	free(buf);
}
