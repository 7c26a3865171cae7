/* SPDX-License-Identifier: MIT */
/* Runs the registered cmocka cases of the modules named in argv (every module when none is). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_test.h"

#define MAX_TESTS 1024

static struct {
	const char *module;
	struct CMUnitTest test;
} registry[MAX_TESTS];
static size_t registry_cnt;

void tt_test_register(const char *module, const char *name, void (*fn)(void **state))
{
	if (registry_cnt == MAX_TESTS) {
		fprintf(stderr, "too many unit tests; raise MAX_TESTS\n");
		abort();
	}
	registry[registry_cnt].module = module;
	registry[registry_cnt].test = (struct CMUnitTest){.name = name, .test_func = fn};
	registry_cnt++;
}

uint64_t tt_test_self_offset(uintptr_t addr)
{
	unsigned long long start, end, off;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	uint64_t r = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx %*s %llx", &start, &end, &off) == 3 && addr >= start &&
		    addr < end)
			r = addr - start + off;
	fclose(f);
	assert_true(r != 0);
	return r;
}

static int run_module(const char *module)
{
	static struct CMUnitTest tests[MAX_TESTS];
	size_t n = 0;

	for (size_t i = 0; i < registry_cnt; i++)
		if (!module || !strcmp(registry[i].module, module))
			tests[n++] = registry[i].test;
	if (n == 0) {
		fprintf(stderr, "no unit tests in module '%s'\n", module ? module : "(any)");
		return 1;
	}
	return _cmocka_run_group_tests(module ? module : "all", tests, n, NULL, NULL);
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 2)
		return run_module(NULL) != 0;
	for (int i = 1; i < argc; i++)
		failed |= run_module(argv[i]) != 0;
	return failed;
}
