/* SPDX-License-Identifier: MIT */
/*
 * tt_demangle(): type names as std::type_info::name() gives them, nested and template names,
 * _Z symbols, GCC's '*' on internal-linkage types, and everything that is not a whole mangled
 * name (garbage, C names, cut names, NULs inside, not NUL-terminated input) coming back as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "demangle.h"
#include "tt_test.h"
#include "tt_util.h"

struct dm_case {
	const char *in;
	size_t len;      /* 0: strlen(in) */
	const char *want;
	int demangled;
};

static void run_cases(const struct dm_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = c[i].len ? c[i].len : strlen(c[i].in);
		int dm = -1;
		char *got = tt_demangle(c[i].in, len, &dm);

		assert_non_null(got);
		if (strcmp(got, c[i].want) || dm != c[i].demangled)
			fail_msg("tt_demangle(\"%s\", %zu) = \"%s\" (demangled %d), want \"%s\" (%d)",
				 c[i].in, len, got, dm, c[i].want, c[i].demangled);
		free(got);
	}
}

TT_TEST(demangle, type_names)
{
	static const struct dm_case c[] = {
		{"St12out_of_range", 0, "std::out_of_range", 1},
		{"St9exception", 0, "std::exception", 1},
		{"i", 0, "int", 1},
		{"PKc", 0, "char const*", 1},
		{"12out_of_range", 0, "out_of_range", 1},
		/* internal linkage: the '*' that type_info::name() skips */
		{"*N12_GLOBAL__N_13FooE", 0, "(anonymous namespace)::Foo", 1},
		/* a local class */
		{"Z4mainE5Local", 0, "main::Local", 1},
	};

	run_cases(c, TT_ARRAY_SIZE(c));
}

TT_TEST(demangle, nested_and_template_names)
{
	static const struct dm_case c[] = {
		{"N5boost10wrapexceptISt13runtime_errorEE", 0, "boost::wrapexcept<std::runtime_error>", 1},
		{"NSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE", 0,
		 "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >", 1},
		{"N3app2db5ErrorE", 0, "app::db::Error", 1},
		{"St6vectorIiSaIiEE", 0, "std::vector<int, std::allocator<int> >", 1},
	};

	run_cases(c, TT_ARRAY_SIZE(c));
}

TT_TEST(demangle, symbols)
{
	static const struct dm_case c[] = {
		{"_Z3fooi", 0, "foo(int)", 1},
		{"_ZNSt6vectorIiSaIiEE9push_backEOi", 0,
		 "std::vector<int, std::allocator<int> >::push_back(int&&)", 1},
		{"_ZTISt12out_of_range", 0, "typeinfo for std::out_of_range", 1},
		{"_ZN3app6Server6handleERKNS_7RequestE", 0, "app::Server::handle(app::Request const&)", 1},
	};

	run_cases(c, TT_ARRAY_SIZE(c));
}

TT_TEST(demangle, anything_else_comes_back_unchanged)
{
	static const struct dm_case c[] = {
		{"", 0, "", 0},
		{"main", 0, "main", 0},
		{"malloc", 0, "malloc", 0},
		{"hello world", 0, "hello world", 0},
		{"_Z", 0, "_Z", 0},
		{"*", 0, "*", 0},
		{"\xff\xfe", 0, "\xff\xfe", 0},
		/* cut at the string limit: the raw prefix, never a wrong name */
		{"St12out_of_ra", 0, "St12out_of_ra", 0},
		{"_ZNSt6vectorIiSaIiEE9push_ba", 0, "_ZNSt6vectorIiSaIiEE9push_ba", 0},
		{"N5boost10wrapexceptISt13runtime_errorE", 0, "N5boost10wrapexceptISt13runtime_errorE", 0},
	};

	run_cases(c, TT_ARRAY_SIZE(c));
}

TT_TEST(demangle, reads_only_len_bytes)
{
	static const char buf[] = "St12out_of_rangeXYZ";
	static const char nul[] = "St9exception\0St12out_of_range";
	int dm = -1;
	char *s;

	/* not NUL-terminated at len */
	s = tt_demangle(buf, 16, &dm);
	assert_string_equal(s, "std::out_of_range");
	assert_int_equal(dm, 1);
	free(s);
	/* with the bytes after it: not a whole name */
	s = tt_demangle(buf, strlen(buf), &dm);
	assert_string_equal(s, buf);
	assert_int_equal(dm, 0);
	free(s);
	/* a NUL inside: returned whole, NUL included, not demangled in part */
	s = tt_demangle(nul, sizeof(nul) - 1, NULL);
	assert_memory_equal(s, nul, sizeof(nul));
	free(s);
}
