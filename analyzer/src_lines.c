/* SPDX-License-Identifier: MIT */
/* Source lines of code addresses through libdw (src_lines.h). */
#include <stdlib.h>

#include "src_lines.h"

#ifdef TT_HAVE_LIBDW
#include <fcntl.h>
#include <unistd.h>

#include <elfutils/libdw.h>

struct tt_src_lines {
	int fd;
	Dwarf *dw;
};

struct tt_src_lines *tt_src_lines__open(const char *path)
{
	struct tt_src_lines *s = calloc(1, sizeof(*s));
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (!s)
		return NULL;
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd >= 0)
		s->dw = dwarf_begin(s->fd, DWARF_C_READ);
	/* a file with no compilation unit (stripped, or never built with -g) has no lines */
	if (!s->dw || dwarf_nextcu(s->dw, off, &next, &hsize, NULL, NULL, NULL) != 0) {
		tt_src_lines__free(s);
		return NULL;
	}
	return s;
}

void tt_src_lines__free(struct tt_src_lines *s)
{
	if (!s)
		return;
	if (s->dw)
		dwarf_end(s->dw);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

/* The compilation unit of addr: by .debug_aranges, else each unit's address ranges. */
static int cu_of(Dwarf *dw, uint64_t addr, Dwarf_Die *cu)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (dwarf_addrdie(dw, addr, cu))
		return 0;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dw, off + hsize, cu) && dwarf_haspc(cu, addr) > 0)
			return 0;
		off = next;
	}
	return -1;
}

int tt_src_lines__lookup(struct tt_src_lines *s, uint64_t addr, const char **file, int *line)
{
	Dwarf_Die cu;
	Dwarf_Line *l;

	if (!s || cu_of(s->dw, addr, &cu) || !(l = dwarf_getsrc_die(&cu, addr)))
		return -1;
	*file = dwarf_linesrc(l, NULL, NULL);
	if (!*file || dwarf_lineno(l, line) || *line <= 0)
		return -1;
	return 0;
}

#else /* without libdw: no lines */

struct tt_src_lines *tt_src_lines__open(const char *path)
{
	(void)path;
	return NULL;
}

void tt_src_lines__free(struct tt_src_lines *s)
{
	(void)s;
}

int tt_src_lines__lookup(struct tt_src_lines *s, uint64_t addr, const char **file, int *line)
{
	(void)s, (void)addr, (void)file, (void)line;
	return -1;
}
#endif
