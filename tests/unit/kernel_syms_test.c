/* SPDX-License-Identifier: MIT */
/* Unit tests of the kernel's symbol table (recorder/kernel_syms.h) on crafted kallsyms files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel_syms.h"
#include "tt_test.h"

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Functions of vmlinux and of a module, out of order, with data symbols between them: each
 * address is placed in its function, the module's functions are owned by it, the build id is
 * read from the notes. */
TT_TEST(kernel_syms, places_addresses_in_functions)
{
	const char *ks = "ffffffff81000000 T _text\n"
			 "ffffffff81000000 T startup_64\n"
			 "ffffffffc0002000 t xfs_iread\t[xfs]\n"
			 "ffffffff81001000 t do_syscall_64\n"
			 "ffffffff81002000 D some_data\n"
			 "ffffffff81003000 W weak_fn\n"
			 "ffffffffc0001000 T xfs_open\t[xfs]\n";
	/* a note that is not the build id, then the GNU build id note (4 bytes) */
	const unsigned char notes[] = {6, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 'L', 'i', 'n', 'u', 'x', 0, 0, 0,
				       1, 2, 3, 4,
				       4, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0,
				       0xde, 0xad, 0xbe, 0xef};
	char kpath[64], npath[64], bid[64];
	struct tt_ksyms *k;
	struct tt_ksym sym;
	int64_t i;

	snprintf(kpath, sizeof(kpath), "/tmp/tt-ksyms-%d", (int)getpid());
	snprintf(npath, sizeof(npath), "/tmp/tt-knotes-%d", (int)getpid());
	write_file(kpath, ks, strlen(ks));
	write_file(npath, notes, sizeof(notes));
	k = tt_ksyms__load(kpath, npath);
	assert_non_null(k);
	assert_int_equal(tt_ksyms__text(k), 0xffffffff81000000ull);
	assert_int_equal(tt_ksyms__cnt(k), 6); /* the data symbol is left out */
	assert_int_equal(tt_ksyms__build_id(k, NULL, bid, sizeof(bid)), 0);
	assert_string_equal(bid, "deadbeef");

	i = tt_ksyms__find(k, 0xffffffff81001234ull);
	assert_true(i >= 0);
	tt_ksyms__sym(k, (size_t)i, &sym);
	assert_string_equal(sym.name, "do_syscall_64");
	assert_null(sym.owner);
	assert_int_equal(sym.addr, 0xffffffff81001000ull);
	assert_int_equal(sym.size, 0x2000); /* to weak_fn: the data symbol is no function */
	i = tt_ksyms__find(k, 0xffffffffc0001010ull);
	assert_true(i >= 0);
	tt_ksyms__sym(k, (size_t)i, &sym);
	assert_string_equal(sym.name, "xfs_open");
	assert_string_equal(sym.owner, "xfs");
	assert_int_equal(sym.size, 0x1000);
	/* below the first function; far past the last function of vmlinux */
	assert_int_equal(tt_ksyms__find(k, 0xffffffff80000000ull), -1);
	assert_int_equal(tt_ksyms__find(k, 0xffffffff90000000ull), -1);
	tt_ksyms__free(k);

	/* addresses hidden (kptr_restrict): refused, not a table of zeros */
	write_file(kpath, "0000000000000000 T _text\n0000000000000000 t f\n", 46);
	assert_null(tt_ksyms__load(kpath, npath));
	assert_int_equal(errno, EPERM);
	/* no _text */
	write_file(kpath, "ffffffff81000000 t f\n", 21);
	assert_null(tt_ksyms__load(kpath, NULL));
	assert_int_equal(errno, ENOENT);
	unlink(kpath);
	unlink(npath);
}
