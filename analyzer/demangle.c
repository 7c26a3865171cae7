/* SPDX-License-Identifier: MIT */
/* C++ demangling through libstdc++'s __cxa_demangle() (demangle.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

/*
 * The Itanium C++ ABI's demangler, exported by libstdc++ (<cxxabi.h>, abi::__cxa_demangle).
 * status: 0 done, -1 out of memory, -2 not a valid mangled name, -3 a bad argument.
 */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

static char *copy(const char *name, size_t len)
{
	char *s = malloc(len + 1);

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(s, name, len);
	s[len] = '\0';
	return s;
}

char *tt_demangle(const char *name, size_t len, int *demangled)
{
	char *in = NULL, *out = NULL;
	int status = -2;

	if (demangled)
		*demangled = 0;
	/* a NUL inside: not one name; the demangler would read only its first part */
	if (!len || memchr(name, '\0', len))
		return copy(name, len);
	/* types of internal linkage: GCC marks their name with '*' so that they compare by address */
	if (name[0] == '*' && len > 1)
		in = copy(name + 1, len - 1);
	else
		in = copy(name, len);
	if (!in)
		return NULL;
	out = __cxa_demangle(in, NULL, NULL, &status);
	free(in);
	if (status == 0 && out) {
		if (demangled)
			*demangled = 1;
		return out;
	}
	free(out);
	if (status == -1) {
		errno = ENOMEM;
		return NULL;
	}
	return copy(name, len);
}
