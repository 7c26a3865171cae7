/* SPDX-License-Identifier: MIT */
/*
 * tt_elf_syms: where a stripped file's symbols come from. This test binary is split as
 * packagers do (objcopy --only-keep-debug, strip --strip-all, objcopy --add-gnu-debuglink) in a
 * temporary directory, and one of its functions is looked up with the debug file in each place
 * gdb looks (by build id in a debug directory; by the debug link next to the file, in .debug/
 * there, under DIR/FILE'S-DIRECTORY/), with a debug file of another build (another build id
 * note) and with one whose CRC-32 is not the link's: those two are not used, and said once.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_syms.h"
#include "src_lines.h"
#include "tt_test.h"

void es_marker(void);
__attribute__((noinline)) void es_marker(void)
{
	__asm__ volatile("nop; nop; nop; nop" ::: "memory");
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	char cmd[3 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

struct split {
	char dir[64], bin[PATH_MAX], debug[PATH_MAX], other[PATH_MAX], crc[PATH_MAX];
	char ddir[128], bid_path[PATH_MAX];
	char bid[41];
	uint64_t off;
};

struct seen {
	int cnt;
	char file[PATH_MAX], why[256];
};

static void on_reject(void *ctx, const char *file, const char *why)
{
	struct seen *s = ctx;

	s->cnt++;
	snprintf(s->file, sizeof(s->file), "%s", file);
	snprintf(s->why, sizeof(s->why), "%s", why);
}

static void split_self(struct split *sp)
{
	char exe[PATH_MAX], note[PATH_MAX];
	struct tt_elf_syms *s;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	uint8_t nb[36] = {4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0};
	FILE *f;

	assert_true(n > 0);
	exe[n] = 0;
	snprintf(sp->dir, sizeof(sp->dir), "/tmp/tt-elfsyms-XXXXXX");
	assert_non_null(mkdtemp(sp->dir));
	snprintf(sp->bin, sizeof(sp->bin), "%s/bin/t", sp->dir);
	snprintf(sp->debug, sizeof(sp->debug), "%s/t.debug", sp->dir);
	snprintf(sp->other, sizeof(sp->other), "%s/other.debug", sp->dir);
	snprintf(sp->crc, sizeof(sp->crc), "%s/crc.debug", sp->dir);
	snprintf(sp->ddir, sizeof(sp->ddir), "%s/dd", sp->dir);
	snprintf(note, sizeof(note), "%s/note", sp->dir);
	sh("mkdir -p %s/bin %s && objcopy --only-keep-debug %s %s && strip --strip-all -o %s %s && "
	   "objcopy --add-gnu-debuglink=%s %s", sp->dir, sp->ddir, exe, sp->debug, sp->bin, exe,
	   sp->debug, sp->bin);
	/* another build: the same debug file with another build id note */
	for (int i = 0; i < 20; i++)
		nb[16 + i] = (uint8_t)(0xa0 + i);
	f = fopen(note, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(nb, 1, sizeof(nb), f), sizeof(nb));
	assert_int_equal(fclose(f), 0);
	sh("objcopy --update-section .note.gnu.build-id=%s %s %s", note, sp->debug, sp->other);
	/* the same build, changed after the link was made: its CRC-32 differs */
	sh("objcopy --add-section .tt_extra=%s %s %s", note, sp->debug, sp->crc);

	s = tt_elf_syms__open(exe);
	assert_non_null(s);
	snprintf(sp->bid, sizeof(sp->bid), "%s", tt_elf_syms__build_id(s));
	tt_elf_syms__free(s);
	assert_true(strlen(sp->bid) > 16);
	snprintf(sp->bid_path, sizeof(sp->bid_path), "%s/.build-id/%.2s/%s.debug", sp->ddir,
		 sp->bid, sp->bid + 2);
	sp->off = tt_test_self_offset((uintptr_t)es_marker) + 2;
}

/* The name es_marker's offset gets in sp->bin with debug directory sp->ddir (NULL: none). */
static const char *name_of(struct split *sp, struct seen *seen, const char **debug_file)
{
	static char name[64];
	const char *dirs[] = {sp->ddir};
	struct tt_elf_debug d = {dirs, 1, on_reject, seen};
	struct tt_elf_syms *s;
	uint64_t sym_off = 0;
	const char *got;
	static char used[PATH_MAX];

	memset(seen, 0, sizeof(*seen));
	s = tt_elf_syms__open_debug(sp->bin, &d);
	assert_non_null(s);
	assert_string_equal(tt_elf_syms__build_id(s), sp->bid);
	got = tt_elf_syms__lookup(s, sp->off, &sym_off);
	snprintf(name, sizeof(name), "%s", got ? got : "");
	snprintf(used, sizeof(used), "%s",
		 tt_elf_syms__debug_file(s) ? tt_elf_syms__debug_file(s) : "");
	if (got)
		assert_int_equal(sym_off, 2);
	tt_elf_syms__free(s);
	*debug_file = used;
	return name;
}

static void put(const char *src, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(const char *src, const char *fmt, ...)
{
	char dest[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dest, sizeof(dest), fmt, ap);
	va_end(ap);
	sh("mkdir -p \"$(dirname %s)\" && cp %s %s", dest, src, dest);
}

static void clear(struct split *sp)
{
	sh("rm -rf %s %s/bin/.debug %s/bin/t.debug && mkdir %s", sp->ddir, sp->dir, sp->dir,
	   sp->ddir);
}

TT_TEST(elf_syms, debug_file_places_and_order)
{
	struct split sp;
	struct seen seen;
	const char *used, *name;
	char want[PATH_MAX];

	split_self(&sp);

	/* no debug file: not named (.dynsym does not have it), nothing said */
	name = name_of(&sp, &seen, &used);
	assert_string_not_equal(name, "es_marker");
	assert_string_equal(used, "");
	assert_int_equal(seen.cnt, 0);

	/* by build id in the debug directory */
	put(sp.debug, "%s", sp.bid_path);
	assert_string_equal(name_of(&sp, &seen, &used), "es_marker");
	assert_string_equal(used, sp.bid_path);
	assert_int_equal(seen.cnt, 0);
	/* ... before the debug link (another build's there is not even opened) */
	put(sp.other, "%s/bin/t.debug", sp.dir);
	assert_string_equal(name_of(&sp, &seen, &used), "es_marker");
	assert_string_equal(used, sp.bid_path);
	assert_int_equal(seen.cnt, 0);
	clear(&sp);

	/* by the debug link: next to the file, in .debug/, under DIR/FILE'S-DIRECTORY/ */
	snprintf(want, sizeof(want), "%s/bin/t.debug", sp.dir);
	put(sp.debug, "%s", want);
	assert_string_equal(name_of(&sp, &seen, &used), "es_marker");
	assert_string_equal(used, want);
	clear(&sp);
	snprintf(want, sizeof(want), "%s/bin/.debug/t.debug", sp.dir);
	put(sp.debug, "%s", want);
	assert_string_equal(name_of(&sp, &seen, &used), "es_marker");
	assert_string_equal(used, want);
	clear(&sp);
	snprintf(want, sizeof(want), "%s%s/bin/t.debug", sp.ddir, sp.dir);
	put(sp.debug, "%s", want);
	assert_string_equal(name_of(&sp, &seen, &used), "es_marker");
	assert_string_equal(used, want);
	assert_int_equal(seen.cnt, 0);
	clear(&sp);

	/* another build by build id: not used, said; the link's place is tried next */
	put(sp.other, "%s", sp.bid_path);
	assert_string_not_equal(name_of(&sp, &seen, &used), "es_marker");
	assert_string_equal(used, "");
	assert_int_equal(seen.cnt, 1);
	assert_string_equal(seen.file, sp.bid_path);
	assert_non_null(strstr(seen.why, "of another build (build id a0a1a2"));
	snprintf(want, sizeof(want), "%s/bin/.debug/t.debug", sp.dir);
	put(sp.debug, "%s", want);
	assert_string_equal(name_of(&sp, &seen, &used), "es_marker");
	assert_string_equal(used, want);
	assert_int_equal(seen.cnt, 1);
	clear(&sp);

	/* the link's name, the same build id, another CRC-32: not used, said */
	snprintf(want, sizeof(want), "%s/bin/t.debug", sp.dir);
	put(sp.crc, "%s", want);
	assert_string_not_equal(name_of(&sp, &seen, &used), "es_marker");
	assert_string_equal(used, "");
	assert_int_equal(seen.cnt, 1);
	assert_string_equal(seen.file, want);
	assert_non_null(strstr(seen.why, "CRC-32"));
	clear(&sp);

	/* the file itself gone: by build id only; a debug file of another build is not taken */
	{
		const char *dirs[] = {sp.ddir};
		struct tt_elf_debug d = {dirs, 1, on_reject, &seen};

		memset(&seen, 0, sizeof(seen));
		assert_null(tt_elf_syms__open_build_id(sp.bid, &d));
		put(sp.other, "%s", sp.bid_path);
		assert_null(tt_elf_syms__open_build_id(sp.bid, &d));
		assert_int_equal(seen.cnt, 1);
	}
	sh("rm -rf %s", sp.dir);
}

/* The line of sl_marker's entry, from this test binary's own DWARF (built with -g): the
 * function is defined on one line, so that its every row has that line. */
/* clang-format off */
__attribute__((noinline)) int sl_marker(int x); int sl_marker(int x) { return x * 3 + 1; } static const int sl_marker_line = __LINE__;
/* clang-format on */

TT_TEST(elf_syms, source_lines)
{
	struct tt_elf_syms *s = tt_elf_syms__open("/proc/self/exe");
	struct tt_src_lines *l = tt_src_lines__open("/proc/self/exe");
	uint64_t addr = 0;
	const char *file = NULL;
	int line = 0;

	assert_non_null(s);
	assert_int_equal(tt_elf_syms__addr(s, tt_test_self_offset((uintptr_t)sl_marker), &addr), 0);
#ifdef TT_HAVE_LIBDW
	assert_non_null(l);
	assert_int_equal(tt_src_lines__lookup(l, addr, &file, &line), 0);
	assert_non_null(strstr(file, "elf_syms_test.c"));
	assert_int_equal(line, sl_marker_line);
	/* no line-table row covers an address outside the code */
	assert_int_equal(tt_src_lines__lookup(l, 1, &file, &line), -1);
#else
	assert_null(l); /* built without libdw: lines are unknown */
#endif
	/* an offset in no loaded segment has no address; a file without DWARF no lines */
	assert_int_equal(tt_elf_syms__addr(s, UINT64_MAX - 1, &addr), -1);
	assert_null(tt_src_lines__open("/dev/null"));
	assert_int_equal(tt_src_lines__lookup(NULL, addr, &file, &line), -1);
	tt_src_lines__free(l);
	tt_elf_syms__free(s);
}
