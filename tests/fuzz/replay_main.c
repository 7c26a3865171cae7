/* SPDX-License-Identifier: MIT */
/*
 * The fuzz targets without libFuzzer: a main that feeds every file named on the command line (or
 * found in a directory named there) to LLVMFuzzerTestOneInput once. The unit suite runs each
 * target this way over its committed seeds and the inputs of crashes found before
 * (tests/fuzz/regress/TARGET/), so that a bug the fuzzer found stays fixed in every build, the
 * ASan one included. A crash is the test's failure; no input at all is one too.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* A custom mutator's call into libFuzzer: never made when replaying. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
	(void)data;
	(void)max_size;
	return size;
}

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	/* a copy of exactly len bytes, so that ASan sees a read past the input's end */
	uint8_t *exact = malloc(len ? len : 1);

	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	unsigned long done = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;

		if (stat(argv[i], &st)) {
			if (errno == ENOENT)
				continue; /* a target without regressions yet */
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[i]))
				return 1;
			done++;
			continue;
		}
		d = opendir(argv[i]);
		if (!d) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		char **names = NULL;
		size_t cnt = 0;
		struct dirent *e;

		while ((e = readdir(d))) {
			char **nn;

			if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
				continue;
			nn = realloc(names, (cnt + 1) * sizeof(*names));
			if (!nn)
				return 1;
			names = nn;
			if (asprintf(&names[cnt++], "%s/%s", argv[i], e->d_name) < 0)
				return 1;
		}
		closedir(d);
		qsort(names, cnt, sizeof(*names), by_name);
		for (size_t k = 0; k < cnt; k++) {
			if (replay_file(names[k]))
				return 1;
			printf("replayed %s\n", names[k]);
			free(names[k]);
			done++;
		}
		free(names);
	}
	if (!done) {
		fprintf(stderr, "replay: no input found\n");
		return 1;
	}
	printf("replay: %lu inputs, no crash\n", done);
	return 0;
}
