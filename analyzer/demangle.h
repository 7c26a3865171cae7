/* SPDX-License-Identifier: MIT */
/*
 * C++ names as people read them. An argument of kind TT_CLASS_CXXNAME holds a mangled name, as
 * recorded from a running program: a type's name as std::type_info::name() gives it
 * ("St12out_of_range"), or a symbol ("_ZNSt6vectorIiSaIiEE9push_backEOi"). replay, report and
 * the database show it demangled ("std::out_of_range"), through libstdc++'s __cxa_demangle():
 * the demangler of the ABI the traced programs were built for (the same code as libiberty's,
 * without another library to install), which reads both forms.
 */
#ifndef TT_DEMANGLE_H
#define TT_DEMANGLE_H

#include <stddef.h>

/*
 * Demangle name[0..len) (not necessarily NUL-terminated). GCC's '*' in front of the names of
 * types with internal linkage (std::type_info::name() skips it, the raw field has it) is
 * skipped. Returns a malloc'd, NUL-terminated string owned by the caller: the demangled name,
 * or a copy of name[0..len) when it is not a whole mangled name (garbage, a C name, a name cut
 * short, one with a NUL inside); NULL with errno ENOMEM when out of memory. *demangled (may be
 * NULL) is set to 1 when the result is demangled, 0 when it is the copy.
 */
char *tt_demangle(const char *name, size_t len, int *demangled);

#endif /* TT_DEMANGLE_H */
