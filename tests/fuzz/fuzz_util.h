/* SPDX-License-Identifier: MIT */
/*
 * Helpers the fuzz targets share: the input as a file that a parser opens by path (a memfd,
 * reached through /proc/self/fd/N, so that no disk is touched) and as a NUL-terminated string.
 * Header-only so that each target stays one source file.
 */
#ifndef TT_FUZZ_UTIL_H
#define TT_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a target adds up from the parser's results: stored, so that no read is optimized away. */
static volatile uint64_t tt_fuzz_sink;

/*
 * Make the one memfd of this process hold exactly data[0..size) and return its path, or NULL
 * when that fails (the input is then skipped). The path stays valid for the process's life.
 */
static inline const char *tt_fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	size_t off = 0;

	if (fd < 0) {
		fd = memfd_create("tt-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0))
		return NULL;
	while (off < size) {
		ssize_t n = pwrite(fd, data + off, size - off, (off_t)off);

		if (n <= 0)
			return NULL;
		off += (size_t)n;
	}
	return path;
}

/* data as a NUL-terminated string in malloc'd memory (an inner NUL ends it early), or NULL. */
static inline char *tt_fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
	}
	return s;
}

#endif /* TT_FUZZ_UTIL_H */
