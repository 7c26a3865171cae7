/* SPDX-License-Identifier: MIT */
/*
 * The command of `record -- COMMAND ARGS`: forked at once but held before exec, so that its pid
 * can be put into the BPF pid filter and every probe attached before its first instruction;
 * released when the recording is ready; reaped without blocking while the recording runs; and
 * ended (SIGTERM, then SIGKILL) if it outlives the recording. A held command that is never
 * released exits by itself when its pipe closes, without running anything.
 */
#ifndef TT_HELD_CMD_H
#define TT_HELD_CMD_H

#include <sys/types.h>

struct tt_held_cmd {
	pid_t pid;   /* the child, or -1 before __start() */
	int go_fd;   /* write end of the pipe it waits on, -1 once released or abandoned */
	int done;    /* reaped: status is its wait status */
	int status;
};

/* An empty command (nothing started); what every other call accepts. */
#define TT_HELD_CMD_INIT {.pid = -1, .go_fd = -1}

/*
 * Fork the child that will exec exe with argv, held until __release(). env_add (NULL-terminated
 * "NAME=VALUE" strings, or NULL) replaces or adds those variables in its environment; the
 * environment is built before the fork, so that the child only calls execve. The child resets
 * SIGINT and SIGTERM to their defaults, and if exec fails prints why on stderr and exits 127.
 * Returns 0 or -errno.
 */
int tt_held_cmd__start(struct tt_held_cmd *c, const char *exe, char *const *argv,
		       const char *const *env_add);

/* Let the child exec. Returns 0 (also when there is nothing to release) or -errno. */
int tt_held_cmd__release(struct tt_held_cmd *c);

/* Reap the child if it exited, waiting up to block_ms for it (0: just look). */
void tt_held_cmd__reap(struct tt_held_cmd *c, int block_ms);

/*
 * The recording is over and so is the command: SIGTERM, up to wait_ms for it to exit, then
 * SIGKILL and up to wait_ms again. Nothing happens for a command not started or already reaped.
 */
void tt_held_cmd__end(struct tt_held_cmd *c, int wait_ms);

/*
 * Give up on a command never released (the recording failed before it was ready): close its
 * pipe, so that it exits without running anything, and reap it (up to wait_ms).
 */
void tt_held_cmd__abandon(struct tt_held_cmd *c, int wait_ms);

#endif /* TT_HELD_CMD_H */
