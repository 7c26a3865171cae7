/* SPDX-License-Identifier: MIT */
/*
 * /proc/PID/maps walker (see proc_maps.h). A maps line is
 * "START-END PERMS OFFSET MAJOR:MINOR INODE   PATH"; the path may contain spaces and may end in
 * " (deleted)". Anonymous and pseudo mappings ([heap], [vdso]) have inode 0 and are skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "proc_maps.h"

#define DELETED_SUFFIX " (deleted)"

void tt_mapped_files_free(struct tt_mapped_file *files, size_t cnt)
{
	if (!files)
		return;
	for (size_t i = 0; i < cnt; i++) {
		free(files[i].path);
		free(files[i].open_path);
	}
	free(files);
}

/* Where to open a mapping: map_files when it opens (it needs CAP_SYS_ADMIN), else the root. */
static char *open_path_for(pid_t pid, const char *range, const char *path)
{
	char *p = NULL;

	if (asprintf(&p, "/proc/%d/map_files/%s", (int)pid, range) < 0)
		return NULL;
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	if (asprintf(&p, "/proc/%d/root%s", (int)pid, path) < 0)
		return NULL;
	return p;
}

int tt_proc_mapped_files(pid_t pid, struct tt_mapped_file **files, size_t *cnt)
{
	struct tt_mapped_file *v = NULL;
	size_t n = 0, cap = 0;
	char maps_path[64], exe_path[64];
	struct stat exe_st;
	bool have_exe;
	char *line = NULL;
	size_t line_cap = 0;
	FILE *f;
	int err = 0;

	*files = NULL;
	*cnt = 0;
	snprintf(maps_path, sizeof(maps_path), "/proc/%d/maps", (int)pid);
	snprintf(exe_path, sizeof(exe_path), "/proc/%d/exe", (int)pid);
	f = fopen(maps_path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	have_exe = stat(exe_path, &exe_st) == 0;

	while (getline(&line, &line_cap, f) > 0) {
		char range[64], perms[8], devs[16];
		unsigned long long offset, ino;
		unsigned maj, min;
		int path_at = -1;
		char *path, *nl;
		bool dup = false, deleted = false;
		uint64_t dev;

		if (sscanf(line, "%63s %7s %llx %15s %llu %n", range, perms, &offset, devs, &ino,
			   &path_at) < 5 || path_at < 0)
			continue;
		path = line + path_at;
		nl = strchr(path, '\n');
		if (nl)
			*nl = '\0';
		if (ino == 0 || path[0] != '/' || sscanf(devs, "%x:%x", &maj, &min) != 2)
			continue;
		dev = makedev(maj, min);
		for (size_t i = 0; i < n && !dup; i++)
			dup = v[i].dev == dev && v[i].ino == ino;
		if (dup)
			continue;
		if (strlen(path) > strlen(DELETED_SUFFIX) &&
		    !strcmp(path + strlen(path) - strlen(DELETED_SUFFIX), DELETED_SUFFIX)) {
			deleted = true;
			path[strlen(path) - strlen(DELETED_SUFFIX)] = '\0';
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			struct tt_mapped_file *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				err = -ENOMEM;
				goto cleanup;
			}
			v = nv;
			cap = nc;
		}
		v[n] = (struct tt_mapped_file){.dev = dev, .ino = ino, .deleted = deleted};
		v[n].is_exe = have_exe && exe_st.st_dev == dev && exe_st.st_ino == ino;
		v[n].path = strdup(path);
		v[n].open_path = v[n].is_exe ? strdup(exe_path) : open_path_for(pid, range, path);
		n++;
		if (!v[n - 1].path || !v[n - 1].open_path) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	if (ferror(f)) {
		err = -EIO;
		goto cleanup;
	}
	/* The executable first. */
	for (size_t i = 1; i < n; i++)
		if (v[i].is_exe) {
			struct tt_mapped_file exe = v[i];

			memmove(&v[1], &v[0], i * sizeof(*v));
			v[0] = exe;
			break;
		}
	*files = v;
	*cnt = n;
	v = NULL;
	n = 0;
cleanup:
	free(line);
	fclose(f);
	tt_mapped_files_free(v, n);
	return err;
}
