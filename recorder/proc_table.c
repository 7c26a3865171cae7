/* SPDX-License-Identifier: MIT */
/* Process descriptions from /proc and from the BPF program's records (see proc_table.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_table.h"
#include "tt_hash.h"
#include "tt_util.h"

struct tt_proc_table {
	char *root;
	struct tt_proc_info *procs; /* in the order met */
	size_t cnt, cap;
	struct tt_hidx index;       /* pid -> position in procs */
};

struct tt_proc_table *tt_proc_table__new(const char *proc_root)
{
	struct tt_proc_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->root = strdup(proc_root);
	if (!t->root) {
		free(t);
		return NULL;
	}
	return t;
}

void tt_proc_table__free(struct tt_proc_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->cnt; i++) {
		free(t->procs[i].exe);
		free(t->procs[i].cmdline);
	}
	free(t->procs);
	tt_hidx_free(&t->index);
	free(t->root);
	free(t);
}

static uint32_t pid_hash(uint32_t pid)
{
	return (uint32_t)tt_hash_u64(pid);
}

static bool pid_eq(const void *ctx, uint32_t idx)
{
	const struct { const struct tt_proc_table *t; uint32_t pid; } *k = ctx;

	return k->t->procs[idx].pid == k->pid;
}

static struct tt_proc_info *find(struct tt_proc_table *t, uint32_t pid)
{
	struct { const struct tt_proc_table *t; uint32_t pid; } k = {t, pid};
	int64_t i = tt_hidx_find(&t->index, pid_hash(pid), pid_eq, &k);

	return i < 0 ? NULL : &t->procs[i];
}

static struct tt_proc_info *add(struct tt_proc_table *t, uint32_t pid)
{
	struct tt_proc_info *p;

	if (t->cnt == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;

		p = realloc(t->procs, cap * sizeof(*p));
		if (!p)
			return NULL;
		t->procs = p;
		t->cap = cap;
	}
	if (tt_hidx_add(&t->index, pid_hash(pid), (uint32_t)t->cnt))
		return NULL;
	p = &t->procs[t->cnt++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

/* Replace *slot with a copy of n bytes of s (NULL, or n == 0: none). -ENOMEM. */
static int set_str(char **slot, const char *s, size_t n)
{
	char *c = NULL;

	if (s && n) {
		c = strndup(s, n);
		if (!c)
			return -ENOMEM;
	}
	free(*slot);
	*slot = c;
	return 0;
}

/* Fill what /proc still says of p (all of it, or nothing for a process that is gone). */
static int from_proc(const struct tt_proc_table *t, struct tt_proc_info *p)
{
	char path[PATH_MAX], comm[64], exe[PATH_MAX], cmdline[4096], status[4096], *pp;
	ssize_t n;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%u/comm", t->root, p->pid);
	if (tt_read_small_file(path, comm, sizeof(comm), 0))
		return 0; /* gone */
	snprintf(p->comm, sizeof(p->comm), "%.16s", comm);
	snprintf(path, sizeof(path), "%s/%u/exe", t->root, p->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0)
		err |= set_str(&p->exe, exe, (size_t)n);
	snprintf(path, sizeof(path), "%s/%u/cmdline", t->root, p->pid);
	if (!tt_read_small_file(path, cmdline, sizeof(cmdline), 1) && cmdline[0])
		err |= set_str(&p->cmdline, cmdline, strlen(cmdline));
	snprintf(path, sizeof(path), "%s/%u/status", t->root, p->pid);
	if (!tt_read_small_file(path, status, sizeof(status), 0) && (pp = strstr(status, "\nPPid:")))
		p->ppid = (uint32_t)strtoul(pp + 6, NULL, 10);
	return err ? -ENOMEM : 0;
}

const struct tt_proc_info *tt_proc_table__see(struct tt_proc_table *t, uint32_t pid,
					      uint32_t ppid_hint, int *err)
{
	struct tt_proc_info *p;

	*err = 0;
	if (find(t, pid))
		return NULL;
	p = add(t, pid);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	p->ppid = ppid_hint;
	*err = from_proc(t, p);
	return *err ? NULL : p;
}

const struct tt_proc_info *tt_proc_table__fork(struct tt_proc_table *t, uint32_t child,
					       uint32_t parent, const char *comm, int *err)
{
	const struct tt_proc_info *par;
	struct tt_proc_info *p;

	*err = 0;
	if (find(t, child))
		return NULL;
	p = add(t, child);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	p->ppid = parent;
	snprintf(p->comm, sizeof(p->comm), "%.16s", comm);
	par = find(t, parent); /* after add(): procs may have moved */
	if (par && (set_str(&p->exe, par->exe, par->exe ? strlen(par->exe) : 0) ||
		    set_str(&p->cmdline, par->cmdline, par->cmdline ? strlen(par->cmdline) : 0))) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = from_proc(t, p);
	p->ppid = parent; /* the record's parent, whatever /proc says after a reparenting */
	return *err ? NULL : p;
}

const struct tt_proc_info *tt_proc_table__exec(struct tt_proc_table *t, uint32_t pid,
					       uint32_t ppid, const char *comm, const char *path,
					       size_t path_len, const char *args, size_t args_len,
					       int *err)
{
	struct tt_proc_info *p = find(t, pid);
	char *joined = NULL;
	char exe[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	*err = 0;
	if (!p && !(p = add(t, pid)))
		goto nomem;
	if (ppid)
		p->ppid = ppid;
	p->tape = 0;
	snprintf(p->comm, sizeof(p->comm), "%.16s", comm);
	while (args_len && !args[args_len - 1])
		args_len--;
	if (args_len) {
		joined = malloc(args_len + 1);
		if (!joined)
			goto nomem;
		for (size_t i = 0; i < args_len; i++)
			joined[i] = args[i] ? args[i] : ' ';
		joined[args_len] = '\0';
	}
	free(p->cmdline);
	p->cmdline = joined;
	/*
	 * The path as exec'd may be relative. The live process's link is absolute; once it is
	 * gone, the parent's working directory (a shell that is still there) usually was the
	 * child's at the exec.
	 */
	snprintf(link, sizeof(link), "%s/%u/exe", t->root, pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0 && path_len && path[0] != '/' && p->ppid) {
		char cwd[PATH_MAX], full[PATH_MAX], *real;

		snprintf(link, sizeof(link), "%s/%u/cwd", t->root, p->ppid);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n > 0 && (size_t)n + 1 + path_len < sizeof(full)) {
			memcpy(full, cwd, (size_t)n);
			full[n] = '/';
			memcpy(full + n + 1, path, path_len);
			full[(size_t)n + 1 + path_len] = '\0';
			real = realpath(full, NULL);
			n = real && strlen(real) < sizeof(exe) ? (ssize_t)strlen(real) : 0;
			if (n)
				memcpy(exe, real, (size_t)n);
			free(real);
		} else {
			n = 0;
		}
	}
	if (n > 0 ? set_str(&p->exe, exe, (size_t)n) : set_str(&p->exe, path, path_len))
		goto nomem;
	return p;
nomem:
	*err = -ENOMEM;
	return NULL;
}

const struct tt_proc_info *tt_proc_table__describe_in(struct tt_proc_table *t, uint32_t pid,
						     uint32_t tape)
{
	struct tt_proc_info *p = find(t, pid);

	if (!p || p->tape == tape)
		return NULL;
	p->tape = tape;
	return p;
}

size_t tt_proc_table__cnt(const struct tt_proc_table *t)
{
	return t->cnt;
}

const struct tt_proc_info *tt_proc_table__at(const struct tt_proc_table *t, size_t i)
{
	return i < t->cnt ? &t->procs[i] : NULL;
}
