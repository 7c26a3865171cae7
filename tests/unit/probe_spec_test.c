/* SPDX-License-Identifier: MIT */
/* Unit tests of recorder/probe_spec: the spec forms of `tracetape record`. */
#include <string.h>

#include "probe_spec.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

TT_TEST(probe_spec, forms)
{
	static const struct {
		const char *text;
		enum tt_spec_type type;
		const char *path, *provider, *name;
	} cases[] = {
		{"usdt:/usr/bin/app", TT_SPEC_USDT, "/usr/bin/app", "*", "*"},
		{"usdt:/usr/bin/app:svc", TT_SPEC_USDT, "/usr/bin/app", "svc", "*"},
		{"usdt:./app:svc:request__*", TT_SPEC_USDT, "./app", "svc", "request__*"},
		{"usdt:/usr/lib/x86_64-linux-gnu/libstdc++.so.6:libstdcxx:throw", TT_SPEC_USDT,
		 "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "libstdcxx", "throw"},
		{"usdt:postgresql:query__start", TT_SPEC_USDT, NULL, "postgresql", "query__start"},
		{"usdt:php", TT_SPEC_USDT, NULL, "php", "*"},
		{"uprobe:/lib/libc.so.6:malloc", TT_SPEC_UPROBE, "/lib/libc.so.6", "*", "malloc"},
		{"tracepoint:sched:sched_*", TT_SPEC_TRACEPOINT, NULL, "sched", "sched_*"},
		{"go:main.*", TT_SPEC_GO, NULL, "go", "main.*"},
		{"go:net/http.(*Client).Do", TT_SPEC_GO, NULL, "go", "net/http.(*Client).Do"},
		{"go:./server:main.prepareAnswer", TT_SPEC_GO, "./server", "go", "main.prepareAnswer"},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		struct tt_probe_spec spec;
		char err[256] = "";

		assert_int_equal(tt_probe_spec_parse(cases[i].text, &spec, err, sizeof(err)), 0);
		assert_int_equal(spec.type, cases[i].type);
		assert_string_equal(spec.text, cases[i].text);
		if (cases[i].path)
			assert_string_equal(spec.path, cases[i].path);
		else
			assert_null(spec.path);
		assert_string_equal(spec.provider, cases[i].provider);
		assert_string_equal(spec.name, cases[i].name);
		tt_probe_spec_free(&spec);
	}
}

TT_TEST(probe_spec, rejects_with_a_reason)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"foo:bar", "has no known type"},
		{"usdt:", "is empty after the type"},
		{"usdt:a:b:c", "expected usdt:PROVIDER[:NAME]"},
		{"usdt:/bin/x:a:b:c", "expected usdt:PATH[:PROVIDER[:NAME]]"},
		{"uprobe:malloc", "expected uprobe:PATH:SYMBOL"},
		{"uprobe:/lib/libc.so.6:", "expected uprobe:PATH:SYMBOL"},
		{"tracepoint:sched", "expected tracepoint:CATEGORY:NAME"},
		{"go:", "expected go:FUNC or go:PATH:FUNC"},
		{"go:/bin/x:", "expected go:FUNC or go:PATH:FUNC"},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		struct tt_probe_spec spec;
		char err[256] = "";

		assert_int_equal(tt_probe_spec_parse(cases[i].text, &spec, err, sizeof(err)), -TT_E_USAGE);
		if (!strstr(err, cases[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", cases[i].text, err, cases[i].msg);
		assert_null(spec.text); /* nothing left to free */
	}
}
