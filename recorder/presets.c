/* SPDX-License-Identifier: MIT */
/* The preset table of `record --preset` and its expansion into probe specs (presets.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "presets.h"
#include "tt_util.h"

static const char *const cxx_probes[] = {"libstdcxx:*", NULL};
static const char *const cxx_stacks[] = {"libstdcxx:throw", "libstdcxx:rethrow", NULL};
static const char *const jvm_gc_probes[] = {"hotspot:gc__begin", "hotspot:gc__end",
					    "hotspot:mem__pool__gc__*", NULL};
static const char *const phpapp_probes[] = {"phpapp:*", NULL};
static const char *const php_probes[] = {"php:function__entry", "php:function__return",
					 "php:request__startup", "php:request__shutdown", NULL};
static const char *const php_env[] = {"USE_ZEND_DTRACE=1", NULL};
static const char *const pg_probes[] = {"postgresql:query__*", "postgresql:transaction__*",
					"postgresql:lock__wait__*", NULL};
static const char *const python_probes[] = {"python:function__return", "python:gc__*", NULL};

static const struct tt_preset presets[] = {
	{
		.name = "cxx-exceptions",
		.summary = "C++ exceptions thrown, rethrown and caught (libstdc++)",
		.path = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
		.probes = cxx_probes,
		.stacks = cxx_stacks,
	},
	{
		.name = "jvm-gc",
		.summary = "JVM garbage collections and the memory pools before and after each",
		.path = "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so",
		.path_only = 1,
		.probes = jvm_gc_probes,
		.note = "java loads libjvm.so with dlopen, so its path is needed even with -- "
			"COMMAND: give PATH for another JDK",
	},
	{
		.name = "php-app",
		.summary = "the probes and spans PHP code fires itself (tracetape_probe(), sdk/php), "
			   "one probe per name",
		.path = "/usr/lib/php/20220829/tracetape.so",
		.path_only = 1,
		.probes = phpapp_probes,
		.note = "the probes are in tracetape's PHP extension, which PHP (CLI or FPM) loads "
			"with dlopen: give PATH for an extension installed elsewhere; "
			"USE_ZEND_DTRACE is not needed",
	},
	{
		.name = "php-calls",
		.summary = "PHP requests and function calls, with function, class and file names",
		.path = "/usr/bin/php8.2",
		.probes = php_probes,
		.env = php_env,
		.note = "function probes fire only in a PHP started with USE_ZEND_DTRACE=1 "
			"(set for -- COMMAND)",
	},
	{
		.name = "postgres-queries",
		.summary = "PostgreSQL queries (and their parse, plan, execute phases), transactions "
			   "and lock waits",
		.path = "/usr/lib/postgresql/15/bin/postgres",
		.probes = pg_probes,
		.strlen = 1024,
		.note = "query__start/done fire only in the simple query protocol (pgbench -M simple)",
	},
	{
		.name = "python-calls",
		.summary = "Python function returns (one per call; 3.11's function__entry never "
			   "fires) and garbage collections",
		.path = "/usr/bin/python3.11",
		.probes = python_probes,
	},
};

const struct tt_preset *tt_presets(size_t *cnt)
{
	*cnt = TT_ARRAY_SIZE(presets);
	return presets;
}

const struct tt_preset *tt_preset_find(const char *name)
{
	for (size_t i = 0; i < TT_ARRAY_SIZE(presets); i++)
		if (!strcmp(presets[i].name, name))
			return &presets[i];
	return NULL;
}

int tt_preset_expand(const struct tt_preset *p, const char *path, int processes, char ***specs,
		     size_t *cnt)
{
	size_t n = 0;
	char **ns;

	if (!path && (!processes || p->path_only)) {
		if (access(p->path, F_OK) != 0)
			return -ENOENT;
		path = p->path;
	}
	while (p->probes[n])
		n++;
	ns = realloc(*specs, (*cnt + n) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	*specs = ns;
	for (size_t i = 0; i < n; i++) {
		char *s;

		if (asprintf(&s, "usdt:%s%s%s", path ? path : "", path ? ":" : "", p->probes[i]) < 0)
			return -ENOMEM;
		ns[(*cnt)++] = s;
	}
	return 0;
}
