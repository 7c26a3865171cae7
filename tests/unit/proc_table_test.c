/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/proc_table: process descriptions from a /proc-like directory made by
 * the test, and from fork and exec records when the process is no longer there (a short-lived
 * process the recorder met only through the ring).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_table.h"
#include "tt_test.h"

static void write_file(const char *dir, unsigned pid, const char *name, const char *text, size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u", dir, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/%s", dir, pid, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
}

/* A fake /proc with process 100 (child of 1) running /usr/bin/app --serve. */
static char *fake_proc(void)
{
	char tmpl[] = "/tmp/tt-proc-XXXXXX", path[PATH_MAX], *dir = mkdtemp(tmpl);
	static const char cmdline[] = "/usr/bin/app\0--serve\0";

	assert_non_null(dir);
	write_file(dir, 100, "comm", "app\n", 4);
	write_file(dir, 100, "cmdline", cmdline, sizeof(cmdline) - 1);
	write_file(dir, 100, "status", "Name:\tapp\nPPid:\t1\n", 18);
	snprintf(path, sizeof(path), "%s/100/exe", dir);
	assert_int_equal(symlink("/usr/bin/app", path), 0);
	return strdup(dir);
}

static void rm_fake_proc(char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

TT_TEST(proc_table, live_process_from_proc_once)
{
	char *dir = fake_proc();
	struct tt_proc_table *t = tt_proc_table__new(dir);
	const struct tt_proc_info *p;
	int err;

	p = tt_proc_table__see(t, 100, 0, &err);
	assert_non_null(p);
	assert_int_equal(err, 0);
	assert_int_equal(p->ppid, 1);
	assert_string_equal(p->comm, "app");
	assert_string_equal(p->exe, "/usr/bin/app");
	assert_string_equal(p->cmdline, "/usr/bin/app --serve");
	/* described once: the next records of the process add nothing */
	assert_null(tt_proc_table__see(t, 100, 0, &err));
	assert_int_equal(err, 0);
	/* a process that is gone: its pid, and the parent the caller knows */
	p = tt_proc_table__see(t, 4242, 100, &err);
	assert_non_null(p);
	assert_int_equal(p->ppid, 100);
	assert_string_equal(p->comm, "");
	assert_null(p->exe);
	assert_null(p->cmdline);
	assert_int_equal(tt_proc_table__cnt(t), 2);
	tt_proc_table__free(t);
	rm_fake_proc(dir);
}

TT_TEST(proc_table, short_lived_child_from_records)
{
	static const char args[] = "./worker\0-n\0003\0";
	char *dir = fake_proc();
	struct tt_proc_table *t = tt_proc_table__new(dir);
	const struct tt_proc_info *p;
	int err;

	assert_non_null(tt_proc_table__see(t, 100, 0, &err));
	/* 101 forked and exited before /proc was read: it starts as its parent's copy */
	p = tt_proc_table__fork(t, 101, 100, "app", &err);
	assert_non_null(p);
	assert_int_equal(p->ppid, 100);
	assert_string_equal(p->comm, "app");
	assert_string_equal(p->exe, "/usr/bin/app");
	assert_string_equal(p->cmdline, "/usr/bin/app --serve");
	assert_null(tt_proc_table__fork(t, 101, 100, "app", &err)); /* known */
	/* then exec'd ./worker -n 3: what the exec record said, trailing NULs dropped */
	p = tt_proc_table__exec(t, 101, 100, "worker", "./worker", 8, args, sizeof(args) - 1, &err);
	assert_non_null(p);
	assert_int_equal(err, 0);
	assert_string_equal(p->comm, "worker");
	assert_string_equal(p->exe, "./worker");
	assert_string_equal(p->cmdline, "./worker -n 3");
	/* a later record of 101 describes nothing new; a rotated tape gets it from the table */
	assert_null(tt_proc_table__see(t, 101, 0, &err));
	p = tt_proc_table__at(t, 1);
	assert_int_equal(p->pid, 101);
	assert_string_equal(p->cmdline, "./worker -n 3");
	assert_null(tt_proc_table__at(t, 2));
	/* an exec of a process never met before, without arguments */
	p = tt_proc_table__exec(t, 300, 0, "sh", "/bin/sh", 7, NULL, 0, &err);
	assert_non_null(p);
	assert_string_equal(p->exe, "/bin/sh");
	assert_null(p->cmdline);
	tt_proc_table__free(t);
	rm_fake_proc(dir);
}

TT_TEST(proc_table, many_processes)
{
	struct tt_proc_table *t = tt_proc_table__new("/nonexistent");
	int err;

	for (uint32_t pid = 1; pid <= 5000; pid++)
		assert_non_null(tt_proc_table__see(t, pid * 7, pid, &err));
	for (uint32_t pid = 1; pid <= 5000; pid++)
		assert_null(tt_proc_table__see(t, pid * 7, 0, &err));
	assert_int_equal(tt_proc_table__cnt(t), 5000);
	assert_int_equal(tt_proc_table__at(t, 4999)->ppid, 5000);
	tt_proc_table__free(t);
}

TT_TEST(proc_table, described_once_per_tape_and_again_after_exec)
{
	struct tt_proc_table *t = tt_proc_table__new("/nonexistent");
	const struct tt_proc_info *p;
	int err;

	assert_null(tt_proc_table__describe_in(t, 42, 1)); /* not met: nothing to describe */
	assert_non_null(tt_proc_table__see(t, 42, 1, &err));
	p = tt_proc_table__describe_in(t, 42, 1);
	assert_non_null(p);
	assert_int_equal(p->pid, 42);
	assert_null(tt_proc_table__describe_in(t, 42, 1)); /* tape 1 holds it */
	assert_non_null(tt_proc_table__describe_in(t, 42, 2)); /* a rotated tape does not */
	assert_null(tt_proc_table__describe_in(t, 42, 2));
	/* an exec changes the description: the tape gets the new one */
	assert_non_null(tt_proc_table__exec(t, 42, 1, "sh", "/bin/sh", 7, "sh\0-c\0", 6, &err));
	p = tt_proc_table__describe_in(t, 42, 2);
	assert_non_null(p);
	assert_string_equal(p->comm, "sh");
	assert_string_equal(p->cmdline, "sh -c");
	assert_null(tt_proc_table__describe_in(t, 42, 2));
	/* a forked child is new: described with its first event */
	assert_non_null(tt_proc_table__fork(t, 43, 42, "sh", &err));
	assert_non_null(tt_proc_table__describe_in(t, 43, 2));
	tt_proc_table__free(t);
}
