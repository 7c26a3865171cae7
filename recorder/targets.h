/* SPDX-License-Identifier: MIT */
/*
 * Which binaries a traced process runs: the ELF files a live process maps executable (from
 * /proc/PID/maps), and the libraries an executable not yet started will load (from its
 * dynamic loader's --list, which applies the real search rules: RUNPATH, LD_LIBRARY_PATH,
 * ld.so.cache).
 */
#ifndef TT_TARGETS_H
#define TT_TARGETS_H

#include <stddef.h>
#include <sys/types.h>

struct tt_target_file {
	char *path;      /* the path the process knows the file by (owned) */
	char *open_path; /* a path this process can open the same file by: /proc/PID/root/...
			    or /proc/PID/map_files/... (owned) */
};

struct tt_target_files {
	struct tt_target_file *files;
	size_t cnt;
};

/*
 * The distinct files process pid maps with execute permission, executable first. Returns 0,
 * -ESRCH when the process does not exist, or another negative errno (out is then empty).
 * Free out with tt_target_files_free().
 */
int tt_targets_of_pid(pid_t pid, struct tt_target_files *out);

/*
 * The executable at exe_path and the shared libraries its dynamic loader would load for it,
 * resolved in this process's environment. Returns 0 or a negative errno (-TT_E_NOT_ELF and
 * the like when exe_path is not a readable ELF file; out is then empty); a static executable
 * yields only itself. Free out with tt_target_files_free().
 */
int tt_targets_of_exe(const char *exe_path, struct tt_target_files *out);

/* Resolve a command name the way execvp() does; returns a malloc'd absolute path or NULL. */
char *tt_which(const char *cmd);

/* Free what files holds and leave it empty (so a second call is harmless). */
void tt_target_files_free(struct tt_target_files *files);

#endif /* TT_TARGETS_H */
