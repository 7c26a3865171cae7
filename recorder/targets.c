/* SPDX-License-Identifier: MIT */
/* The binaries of a process, running or about to start (see targets.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_file.h"
#include "targets.h"

void tt_target_files_free(struct tt_target_files *f)
{
	for (size_t i = 0; i < f->cnt; i++) {
		free(f->files[i].path);
		free(f->files[i].open_path);
	}
	free(f->files);
	f->files = NULL;
	f->cnt = 0;
}

static int add_file(struct tt_target_files *f, const char *path, const char *open_path)
{
	struct tt_target_file *n;

	for (size_t i = 0; i < f->cnt; i++)
		if (!strcmp(f->files[i].path, path))
			return 0;
	n = realloc(f->files, (f->cnt + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	f->files = n;
	n[f->cnt].path = strdup(path);
	n[f->cnt].open_path = strdup(open_path);
	if (!n[f->cnt].path || !n[f->cnt].open_path) {
		free(n[f->cnt].path);
		free(n[f->cnt].open_path);
		return -ENOMEM;
	}
	f->cnt++;
	return 0;
}

static int is_elf(const char *path)
{
	unsigned char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	ok = read(fd, magic, 4) == 4 && !memcmp(magic, "\177ELF", 4);
	close(fd);
	return ok;
}

int tt_targets_of_pid(pid_t pid, struct tt_target_files *out)
{
	char maps_path[64], line[PATH_MAX + 256], exe[PATH_MAX], open_path[PATH_MAX + 64];
	ssize_t n;
	FILE *f;
	int err = 0;

	memset(out, 0, sizeof(*out));
	snprintf(maps_path, sizeof(maps_path), "/proc/%d/exe", (int)pid);
	n = readlink(maps_path, exe, sizeof(exe) - 1);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	exe[n] = '\0';
	snprintf(maps_path, sizeof(maps_path), "/proc/%d/maps", (int)pid);
	f = fopen(maps_path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	/* The executable first, so that it gets the first probe ids. */
	snprintf(open_path, sizeof(open_path), "/proc/%d/exe", (int)pid);
	if (strstr(exe, " (deleted)") == NULL)
		err = add_file(out, exe, open_path);
	while (!err && fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char perms[8], *path;
		int pos = 0;

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &pos) < 3 || !pos)
			continue;
		path = line + pos;
		path[strcspn(path, "\n")] = '\0';
		if (perms[2] != 'x' || path[0] != '/')
			continue;
		/* A path in the process's own mount namespace, opened through its root; a deleted
		 * or replaced file through the mapping itself. */
		if (strstr(path, " (deleted)"))
			snprintf(open_path, sizeof(open_path), "/proc/%d/map_files/%lx-%lx", (int)pid,
				 start, end);
		else
			snprintf(open_path, sizeof(open_path), "/proc/%d/root%s", (int)pid, path);
		if (!is_elf(open_path))
			continue;
		err = add_file(out, path, open_path);
	}
	fclose(f);
	if (err)
		tt_target_files_free(out);
	return err;
}

char *tt_which(const char *cmd)
{
	char buf[PATH_MAX];
	const char *path;

	if (strchr(cmd, '/'))
		return realpath(cmd, NULL);
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		if (len && len + strlen(cmd) + 2 <= sizeof(buf)) {
			memcpy(buf, path, len);
			buf[len] = '/';
			strcpy(buf + len + 1, cmd);
			if (access(buf, X_OK) == 0)
				return realpath(buf, NULL);
		}
		path += len;
		if (*path == ':')
			path++;
	}
	return NULL;
}

/* The PT_INTERP of exe, or "" for a static executable. */
static int interpreter(const char *exe, char *buf, size_t buf_sz)
{
	const uint8_t *data;
	size_t size;
	struct tt_elf *elf = tt_elf__open(exe);
	int err;

	if (!elf)
		return -errno;
	buf[0] = '\0';
	err = tt_elf__section(elf, ".interp", &data, &size, NULL);
	if (!err && size && size < buf_sz) {
		memcpy(buf, data, size);
		buf[size] = '\0';
	}
	tt_elf__free(elf);
	return 0;
}

int tt_targets_of_exe(const char *exe_path, struct tt_target_files *out)
{
	char interp[PATH_MAX], line[PATH_MAX + 128];
	int pipefd[2] = {-1, -1}, err;
	FILE *f = NULL;
	pid_t pid = -1;

	memset(out, 0, sizeof(*out));
	err = add_file(out, exe_path, exe_path);
	if (!err)
		err = interpreter(exe_path, interp, sizeof(interp));
	if (err || !interp[0])
		goto cleanup;
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		err = -errno;
		goto cleanup;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto cleanup;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(pipefd[1], STDOUT_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		/* glibc's loader lists the libraries it would map, with their resolved paths. */
		execl(interp, interp, "--list", exe_path, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	f = fdopen(pipefd[0], "r");
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	pipefd[0] = -1; /* f owns it now */
	/* Lines look like "\tlibfoo.so.1 => /usr/lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" or
	 * "\t/lib64/ld-linux-x86-64.so.2 (0x...)". */
	while (!err && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "=> "), *end;

		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/')
			continue;
		end = strstr(p, " (0x");
		if (end)
			*end = '\0';
		p[strcspn(p, "\n")] = '\0';
		if (is_elf(p))
			err = add_file(out, p, p);
	}
cleanup:
	if (f)
		fclose(f); /* before waiting: a loader still writing gets EPIPE, not a full pipe */
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (err)
		tt_target_files_free(out);
	return err;
}
