/* SPDX-License-Identifier: MIT */
/*
 * The held command (see held_cmd.h). The child blocks reading a close-on-exec pipe; one byte
 * written releases it into execve(), and end of file (the recorder closed the pipe or died)
 * makes it exit 127 without running anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "held_cmd.h"

/*
 * The command's environment: ours, with the variables of add replacing any of the same name.
 * Built before fork, so that the child only calls execve. NULL with errno set.
 */
static char **command_environ(const char *const *add)
{
	extern char **environ;
	size_t n = 0, k = 0, a = 0;
	char **env;

	while (environ[n])
		n++;
	while (add && add[a])
		a++;
	env = calloc(n + a + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int replaced = 0;

		for (size_t j = 0; j < a && !replaced; j++) {
			size_t l = strcspn(add[j], "=");

			replaced = !strncmp(environ[i], add[j], l) && environ[i][l] == '=';
		}
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < a; j++)
		env[k++] = (char *)add[j];
	return env;
}

int tt_held_cmd__start(struct tt_held_cmd *c, const char *exe, char *const *argv,
		       const char *const *env_add)
{
	char **env = NULL;
	int go[2];

	if (env_add) {
		env = command_environ(env_add);
		if (!env)
			return -errno;
	}
	if (pipe2(go, O_CLOEXEC) != 0) {
		int err = -errno;

		free(env);
		return err;
	}
	c->pid = fork();
	if (c->pid < 0) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		free(env);
		return err;
	}
	if (c->pid == 0) {
		char b;

		close(go[1]);
		/* Wait until every probe is attached; a closed pipe means the recorder gave up. */
		if (read(go[0], &b, 1) != 1)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (env)
			execve(exe, argv, env);
		else
			execv(exe, argv);
		/* the child's own stderr: the recorder cannot be told anymore */
		fprintf(stderr, "tracetape record: cannot run %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	free(env);
	close(go[0]);
	c->go_fd = go[1];
	c->done = 0;
	return 0;
}

int tt_held_cmd__release(struct tt_held_cmd *c)
{
	int err = 0;

	if (c->go_fd < 0)
		return 0;
	if (write(c->go_fd, "g", 1) != 1)
		err = -errno;
	close(c->go_fd);
	c->go_fd = -1;
	return err;
}

void tt_held_cmd__reap(struct tt_held_cmd *c, int block_ms)
{
	int status;

	if (c->pid <= 0 || c->done)
		return;
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(c->pid, &status, WNOHANG);

		if (r == c->pid) {
			c->done = 1;
			c->status = status;
			return;
		}
		if (r < 0 || waited >= block_ms)
			return;
		usleep(10000);
	}
}

void tt_held_cmd__end(struct tt_held_cmd *c, int wait_ms)
{
	if (c->pid <= 0 || c->done)
		return;
	kill(c->pid, SIGTERM);
	tt_held_cmd__reap(c, wait_ms);
	if (!c->done) {
		kill(c->pid, SIGKILL);
		tt_held_cmd__reap(c, wait_ms);
	}
}

void tt_held_cmd__abandon(struct tt_held_cmd *c, int wait_ms)
{
	if (c->go_fd >= 0) { /* never released: it exits when the pipe closes */
		close(c->go_fd);
		c->go_fd = -1;
	}
	tt_held_cmd__reap(c, wait_ms);
}
