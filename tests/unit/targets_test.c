/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/targets: the binaries of a running process (this one) and of an
 * executable about to start (/bin/true, through its dynamic loader's --list), and the error
 * contract: a failure leaves the result empty, so that a caller owes nothing after an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "targets.h"
#include "tt_error.h"
#include "tt_test.h"

static int has_libc(const struct tt_target_files *t)
{
	for (size_t i = 0; i < t->cnt; i++)
		if (strstr(t->files[i].path, "/libc.so"))
			return 1;
	return 0;
}

TT_TEST(targets, of_exe_lists_the_loaded_libraries)
{
	struct tt_target_files t = {0};
	char *exe = tt_which("true");

	assert_non_null(exe);
	assert_int_equal(tt_targets_of_exe(exe, &t), 0);
	assert_true(t.cnt >= 2);
	assert_string_equal(t.files[0].path, exe);
	assert_true(has_libc(&t));
	tt_target_files_free(&t);
	assert_int_equal(t.cnt, 0);
	tt_target_files_free(&t); /* empty: harmless */
	free(exe);
}

/* A file that is not ELF, or is missing: an error, and nothing left to free. */
TT_TEST(targets, of_exe_error_leaves_nothing)
{
	char path[] = "/tmp/tt-targets-XXXXXX";
	struct tt_target_files t = {0};
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
	close(fd);
	assert_int_equal(tt_targets_of_exe(path, &t), -TT_E_NOT_ELF);
	assert_int_equal(t.cnt, 0);
	assert_null(t.files);
	unlink(path);
	assert_true(tt_targets_of_exe(path, &t) < 0);
	assert_int_equal(t.cnt, 0);
	assert_null(t.files);
}

TT_TEST(targets, of_pid_lists_this_process)
{
	struct tt_target_files t = {0};
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	assert_int_equal(tt_targets_of_pid(getpid(), &t), 0);
	assert_true(t.cnt >= 2);
	assert_string_equal(t.files[0].path, exe); /* the executable first */
	assert_true(has_libc(&t));
	tt_target_files_free(&t);
}

TT_TEST(targets, of_pid_of_no_process)
{
	struct tt_target_files t = {0};
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child); /* reaped: the pid is free */
	assert_int_equal(tt_targets_of_pid(child, &t), -ESRCH);
	assert_int_equal(t.cnt, 0);
	assert_null(t.files);
}
