/* SPDX-License-Identifier: MIT */
/*
 * The files a running process maps: its executable and every file-backed mapping (shared
 * libraries, dlopen()ed plugins), each once, with a path that opens the very file the process
 * maps even from another mount namespace or after the file was replaced on disk:
 * /proc/PID/map_files/START-END when we may open it (CAP_SYS_ADMIN), else /proc/PID/root/PATH.
 * Used by `list -p` and `record -p` to find the probes of a process.
 */
#ifndef TT_PROC_MAPS_H
#define TT_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tt_mapped_file {
	char *path;      /* as the process sees it, from /proc/PID/maps (owned) */
	char *open_path; /* where we open it (owned) */
	uint64_t dev;    /* device and inode: what the kernel's uprobes are keyed by */
	uint64_t ino;
	bool is_exe;     /* the process's executable (/proc/PID/exe) */
	bool deleted;    /* the mapping says "(deleted)": replaced or removed on disk */
};

/*
 * List the files mapped by pid: the executable first, then the others in address order, each
 * (dev, inode) once. Returns 0 with *files (free with tt_mapped_files_free()) and *cnt, or
 * -ESRCH when there is no such process, or another -errno (-EACCES without permission).
 */
int tt_proc_mapped_files(pid_t pid, struct tt_mapped_file **files, size_t *cnt);
/* Free files[0, cnt) and the array; accepts NULL. */
void tt_mapped_files_free(struct tt_mapped_file *files, size_t cnt);

#endif /* TT_PROC_MAPS_H */
