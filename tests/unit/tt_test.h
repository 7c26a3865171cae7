/* SPDX-License-Identifier: MIT */
/*
 * cmocka with self-registration. A test file defines its cases with
 *
 *     TT_TEST(util, parse_size_suffixes) { ... }
 *
 * which registers the case util_parse_size_suffixes under module "util" through a constructor.
 * tests/unit/main.c runs the cases of the modules named on its command line (all by default);
 * meson registers one test per module so that failures are reported by module.
 */
#ifndef TT_TEST_H
#define TT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

void tt_test_register(const char *module, const char *name, void (*fn)(void **state));

/* The file offset of code address addr of this process (from /proc/self/maps; fails the test
 * when addr is in no file mapping). */
uint64_t tt_test_self_offset(uintptr_t addr);

#define TT_TEST(module, name)                                                          \
	static void module##_##name(void **state);                                     \
	__attribute__((constructor)) static void register_##module##_##name(void)      \
	{                                                                              \
		tt_test_register(#module, #module "_" #name, module##_##name);         \
	}                                                                              \
	static void module##_##name(void **state __attribute__((unused)))

#endif /* TT_TEST_H */
