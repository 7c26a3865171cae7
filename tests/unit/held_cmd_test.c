/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/held_cmd with /bin/sh commands that leave a mark in a temporary
 * directory: nothing runs before the release; the exit status is reaped; variables are
 * replaced and added in the command's environment; an abandoned command exits without running;
 * a command that outlives the recording is ended.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "held_cmd.h"
#include "tt_test.h"

static char dir[64];
static char mark[128];

static void setup_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tt-held-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(mark, sizeof(mark), "%s/mark", dir);
}

static void remove_dir(void)
{
	unlink(mark);
	assert_int_equal(rmdir(dir), 0);
}

/* The mark file's contents ("" when it does not exist). */
static const char *read_mark(void)
{
	static char buf[256];
	FILE *f = fopen(mark, "r");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

TT_TEST(held_cmd, runs_only_once_released)
{
	struct tt_held_cmd c = TT_HELD_CMD_INIT;
	char script[256];
	char *argv[] = {"sh", "-c", script, NULL};

	setup_dir();
	snprintf(script, sizeof(script), "echo ran > %s; exit 3", mark);
	assert_int_equal(tt_held_cmd__start(&c, "/bin/sh", argv, NULL), 0);
	assert_true(c.pid > 0);
	assert_true(c.go_fd >= 0);
	usleep(100000);
	tt_held_cmd__reap(&c, 0);
	assert_false(c.done); /* held */
	assert_string_equal(read_mark(), "");
	assert_int_equal(tt_held_cmd__release(&c), 0);
	assert_int_equal(c.go_fd, -1);
	assert_int_equal(tt_held_cmd__release(&c), 0); /* nothing more to release */
	tt_held_cmd__reap(&c, 5000);
	assert_true(c.done);
	assert_true(WIFEXITED(c.status));
	assert_int_equal(WEXITSTATUS(c.status), 3);
	assert_string_equal(read_mark(), "ran\n");
	tt_held_cmd__end(&c, 1000); /* reaped already: nothing to do */
	remove_dir();
}

TT_TEST(held_cmd, environment_replaced_and_added)
{
	struct tt_held_cmd c = TT_HELD_CMD_INIT;
	const char *env[] = {"HOME=/tt-home", "TT_HELD_TEST=yes", NULL};
	char script[256];
	char *argv[] = {"sh", "-c", script, NULL};

	setup_dir();
	snprintf(script, sizeof(script), "echo \"$HOME $TT_HELD_TEST ${PATH:+path}\" > %s", mark);
	assert_int_equal(tt_held_cmd__start(&c, "/bin/sh", argv, env), 0);
	assert_int_equal(tt_held_cmd__release(&c), 0);
	tt_held_cmd__reap(&c, 5000);
	assert_true(c.done);
	assert_string_equal(read_mark(), "/tt-home yes path\n"); /* the rest is inherited */
	remove_dir();
}

TT_TEST(held_cmd, abandoned_never_runs)
{
	struct tt_held_cmd c = TT_HELD_CMD_INIT;
	char script[256];
	char *argv[] = {"sh", "-c", script, NULL};

	setup_dir();
	snprintf(script, sizeof(script), "echo ran > %s", mark);
	assert_int_equal(tt_held_cmd__start(&c, "/bin/sh", argv, NULL), 0);
	tt_held_cmd__abandon(&c, 5000);
	assert_int_equal(c.go_fd, -1);
	assert_true(c.done);
	assert_true(WIFEXITED(c.status));
	assert_int_equal(WEXITSTATUS(c.status), 127);
	assert_string_equal(read_mark(), "");
	remove_dir();

	/* nothing started: every call is harmless */
	c = (struct tt_held_cmd)TT_HELD_CMD_INIT;
	assert_int_equal(tt_held_cmd__release(&c), 0);
	tt_held_cmd__reap(&c, 0);
	tt_held_cmd__end(&c, 0);
	tt_held_cmd__abandon(&c, 0);
	assert_false(c.done);
}

TT_TEST(held_cmd, outliving_the_recording_is_ended)
{
	struct tt_held_cmd c = TT_HELD_CMD_INIT;
	char *argv[] = {"sleep", "30", NULL};
	char *trap_argv[] = {"sh", "-c", "trap '' TERM; exec sleep 30", NULL};

	assert_int_equal(tt_held_cmd__start(&c, "/bin/sleep", argv, NULL), 0);
	assert_int_equal(tt_held_cmd__release(&c), 0);
	tt_held_cmd__end(&c, 5000);
	assert_true(c.done);
	assert_true(WIFSIGNALED(c.status));
	assert_int_equal(WTERMSIG(c.status), SIGTERM);

	/* one that ignores SIGTERM gets SIGKILL */
	c = (struct tt_held_cmd)TT_HELD_CMD_INIT;
	assert_int_equal(tt_held_cmd__start(&c, "/bin/sh", trap_argv, NULL), 0);
	assert_int_equal(tt_held_cmd__release(&c), 0);
	usleep(200000); /* let it set its trap */
	tt_held_cmd__end(&c, 300);
	assert_true(c.done);
	assert_true(WIFSIGNALED(c.status));
	assert_int_equal(WTERMSIG(c.status), SIGKILL);
}

TT_TEST(held_cmd, a_command_that_cannot_run_exits_127)
{
	struct tt_held_cmd c = TT_HELD_CMD_INIT;
	char *argv[] = {"nope", NULL};

	assert_int_equal(tt_held_cmd__start(&c, "/nonexistent/tt-nope", argv, NULL), 0);
	assert_int_equal(tt_held_cmd__release(&c), 0);
	tt_held_cmd__reap(&c, 5000);
	assert_true(c.done);
	assert_int_equal(WEXITSTATUS(c.status), 127);
}
