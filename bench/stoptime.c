/* SPDX-License-Identifier: MIT */
/*
 * bench/stoptime [--timeout SECS] [--detach-timeout SECS] -- tracetape record ARGS...
 *
 * Times how long a recording takes to end and to let go of the kernel (bench/sections/
 * 35-kernels.sh). Runs the command with its stderr through a pipe (copied to this program's
 * stderr as it comes) and, as soon as the ready line ("tracetape record: recording ...")
 * arrives, sends it SIGINT. Then it waits for the command to exit and, when the recorder said
 * "detaching N probes in the background (pid P)", for that tt-detach process to exit too: this
 * program is a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so P, orphaned when the
 * recorder exits, becomes its child and is waited for by its pid (a pidfd taken while the
 * recorder still runs and P is checked to be its child, so that the pid cannot be another
 * process's). Every wait is bounded: the
 * command gets --timeout SECS (default 120) to get ready and as many to exit after SIGINT,
 * after which it is sent SIGKILL (it is our child); P gets --detach-timeout SECS (default 600)
 * and is never signalled: when the time runs out, this program says so and leaves it running.
 *
 * Prints KEY=VALUE lines, times in milliseconds of CLOCK_MONOTONIC:
 *   ready_ms      start of the command to its ready line (-1: none came)
 *   exit_ms       SIGINT to the command's exit
 *   status        the command's exit status (128+N: killed by signal N)
 *   detach_pid    P, or 0 when the recorder detached everything itself
 *   detach_ms     the command's exit to P's exit (-1: still running at --detach-timeout)
 *   stop_to_detached_ms   SIGINT to P's exit (or to the command's exit, without a P)
 * Exit status: 0 when the command got ready, exited 0, and P (if any) ended in time; 1 otherwise;
 * 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY "tracetape record: recording "
#define DETACHING "tracetape record: detaching "

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int parse_secs(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || *v <= 0 || *v > 86400 ? -1 : 0;
}

/*
 * The pid in "... (pid P) ..." of a DETACHING line, when P is a child of the recorder (it may
 * not have taken its name tt-detach yet when the line is read); else 0.
 */
static pid_t detach_pid_of(const char *line, pid_t recorder)
{
	const char *p = strstr(line, "(pid ");
	char path[64], row[256];
	long pid, ppid = 0;
	char *end;
	FILE *f;

	if (!p)
		return 0;
	pid = strtol(p + 5, &end, 10);
	if (end == p + 5 || *end != ')' || pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(row, sizeof(row), f))
		if (sscanf(row, "PPid: %ld", &ppid) == 1)
			break;
	fclose(f);
	return ppid == recorder ? (pid_t)pid : 0;
}

int main(int argc, char **argv)
{
	double timeout_s = 120, detach_timeout_s = 600, t0, t_ready = -1, t_int = -1, t_exit = -1,
	       t_detached = -1, deadline;
	int pipefd[2], cmd_fd = -1, det_fd = -1, status = -1, rc = 0, argi = 1, eof = 0;
	pid_t cmd, det = 0;
	char buf[8192];
	size_t used = 0;

	for (; argi < argc && strcmp(argv[argi], "--"); argi += 2) {
		double *v = !strcmp(argv[argi], "--timeout")	    ? &timeout_s :
			    !strcmp(argv[argi], "--detach-timeout") ? &detach_timeout_s : NULL;

		if (!v || argi + 1 >= argc || parse_secs(argv[argi + 1], v))
			goto usage;
	}
	if (argi + 1 >= argc)
		goto usage;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) || pipe2(pipefd, O_CLOEXEC)) {
		perror("stoptime");
		return 1;
	}
	t0 = now_ms();
	cmd = fork();
	if (cmd < 0) {
		perror("stoptime: fork");
		return 1;
	}
	if (cmd == 0) {
		dup2(pipefd[1], 2);
		execvp(argv[argi + 1], argv + argi + 1);
		fprintf(stderr, "stoptime: %s: %s\n", argv[argi + 1], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	cmd_fd = pidfd_open(cmd);
	if (cmd_fd < 0) {
		perror("stoptime: pidfd_open");
		kill(cmd, SIGKILL);
		waitpid(cmd, NULL, 0);
		return 1;
	}
	deadline = t0 + timeout_s * 1e3;
	/* The command's stderr, line by line, until it exits (or the time runs out). */
	while (t_exit < 0) {
		struct pollfd pfd[2] = {{.fd = eof ? -1 : pipefd[0], .events = POLLIN},
					{.fd = cmd_fd, .events = POLLIN}};
		double left = deadline - now_ms();

		if (left <= 0) {
			if (t_int < 0) {
				fprintf(stderr, "stoptime: no ready line after %g s: SIGINT\n", timeout_s);
				t_int = now_ms();
				kill(cmd, SIGINT);
				deadline = t_int + timeout_s * 1e3;
				rc = 1;
				continue;
			}
			fprintf(stderr, "stoptime: still running %g s after SIGINT: SIGKILL\n",
				timeout_s);
			kill(cmd, SIGKILL);
			deadline = now_ms() + 60e3;
			rc = 1;
			continue;
		}
		if (poll(pfd, 2, (int)(left < 1000 ? left + 1 : 1000)) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			ssize_t k = read(pipefd[0], buf + used, sizeof(buf) - 1 - used);
			char *line, *nl;

			if (k <= 0) {
				eof = 1;
			} else {
				used += (size_t)k;
				buf[used] = '\0';
				line = buf;
				while ((nl = strchr(line, '\n')) || used == sizeof(buf) - 1) {
					if (nl)
						*nl = '\0';
					fprintf(stderr, "%s\n", line);
					if (t_ready < 0 && !strncmp(line, READY, strlen(READY))) {
						t_ready = now_ms();
						t_int = t_ready;
						kill(cmd, SIGINT);
						deadline = t_int + timeout_s * 1e3;
					}
					if (!det && !strncmp(line, DETACHING, strlen(DETACHING))) {
						det = detach_pid_of(line, cmd);
						if (det)
							det_fd = pidfd_open(det);
					}
					if (!nl) {
						line = buf + used;
						break;
					}
					line = nl + 1;
				}
				used -= (size_t)(line - buf);
				memmove(buf, line, used);
			}
		}
		if (pfd[1].revents) {
			int ws;

			if (waitpid(cmd, &ws, 0) == cmd) {
				t_exit = now_ms();
				status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			}
		}
	}
	/* Whatever the pipe still holds (the summary, written before exit). */
	while (!eof) {
		ssize_t k = read(pipefd[0], buf, sizeof(buf));

		if (k <= 0)
			break;
		fwrite(buf, 1, (size_t)k, stderr);
	}
	if (used)
		fprintf(stderr, "%.*s\n", (int)used, buf);
	if (det > 0 && det_fd >= 0) {
		struct pollfd pfd = {.fd = det_fd, .events = POLLIN};
		double end = t_exit + detach_timeout_s * 1e3;

		while (t_detached < 0 && now_ms() < end) {
			double left = end - now_ms();

			if (poll(&pfd, 1, (int)(left < 1000 ? left + 1 : 1000)) > 0)
				t_detached = now_ms();
		}
		if (t_detached >= 0)
			waitpid(det, NULL, WNOHANG); /* reparented here when the recorder exited */
		else {
			fprintf(stderr, "stoptime: tt-detach (pid %d) still running %g s after the "
					"recorder exited; left running\n", (int)det, detach_timeout_s);
			rc = 1;
		}
	} else if (det > 0) {
		rc = 1; /* said it detached in the background, but the pid could not be followed */
	}
	while (waitpid(-1, NULL, WNOHANG) > 0) /* other orphans that ended */
		;
	printf("ready_ms=%.1f\n", t_ready < 0 ? -1.0 : t_ready - t0);
	printf("exit_ms=%.1f\n", t_exit < 0 || t_int < 0 ? -1.0 : t_exit - t_int);
	printf("status=%d\n", status);
	printf("detach_pid=%d\n", (int)det);
	printf("detach_ms=%.1f\n", !det ? 0.0 : t_detached < 0 ? -1.0 : t_detached - t_exit);
	printf("stop_to_detached_ms=%.1f\n",
	       t_int < 0 ? -1.0 : !det ? t_exit - t_int : t_detached < 0 ? -1.0 : t_detached - t_int);
	return rc || t_ready < 0 || status != 0;

usage:
	fprintf(stderr, "usage: stoptime [--timeout SECS] [--detach-timeout SECS] -- COMMAND...\n");
	return 2;
}
