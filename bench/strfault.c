/* SPDX-License-Identifier: MIT */
/*
 * bench/strfault: string arguments in pages the process has never touched, for measuring how
 * many string hits the recorder cannot read (faults) and what reading them costs
 * (bench/sections/35-kernels.sh). Every probe has two arguments: the string and the hit's
 * index. Pages are 4 KiB; "present" means present in this process's page tables, read from
 * /proc/self/pagemap (bit 63), which reading does not change.
 *
 *   strfault faults DIR N
 *     Fires N hits of each probe below, in this order, and prints what it fired and which
 *     pages were present (KEY=VALUE lines):
 *       sf:lit_plain   four plain string literals ("", "alpha", a 64-byte one, "Jürgen M",
 *                      round robin), as in issue 15's example, fired first thing in main,
 *                      before the program reads anything in its .rodata;
 *       sf:file_cold   one string per page of a read-only (MAP_PRIVATE, PROT_READ) mapping of
 *                      a sparse file this program wrote into DIR, one distinct untouched page
 *                      per hit, 64 KiB apart (the kernel's fault-around maps at most the
 *                      64 KiB-aligned window of a faulting page, and MADV_RANDOM turns it off
 *                      where the kernel honours that);
 *       sf:lit_cold    the same four literals, as char arrays in .rodata on a page with 2 MiB
 *                      of padding on either side, which nothing in the program reads (a fault
 *                      on a file page may map its whole folio, up to 2 MiB, and the
 *                      fault-around window: 64 KiB of padding were not enough on 6.18);
 *       sf:file_warm, sf:lit_warm   the same pointers as file_cold and lit_cold after the
 *                      program read a byte of each page;
 *       sf:heap        four heap strings the program wrote (the same texts).
 *     The pages of file_cold and lit_cold are checked before their hits (present_before, to be
 *     0: the measurement is of untouched pages) and after them (present_after: pages the
 *     tracer faulted in); those of file_warm, lit_warm and heap before theirs (the four heap
 *     strings' pages counted once each, whether or not they share one).
 *
 *   strfault cost DIR N BLOCK COLD
 *     Steady state: fires sf:warm_s, sf:warm_n and sf:ref with the same string (in a page this
 *     program read first), N times each, in alternating blocks of BLOCK hits, and prints the
 *     thread CPU time per hit of each (ns, user + system: the trap and the BPF program run on
 *     the thread's own time). The benchmark traces the *_s probes with one recorder (default:
 *     sleepable program, faults pages in), the *_n probes with another (--no-fault-in) and
 *     sf:ref with the empty BPF program (bench/bpf_empty), so that the costs come from the same
 *     seconds of the same process.
 *     Pages to fault in: then fires COLD hits each of sf:cold_s and sf:cold_n (each on a
 *     distinct untouched page of a sparse file as above) and of sf:touch_s (on a distinct
 *     untouched page that the program reads a byte of right before the hit: a page fault the
 *     process takes itself, then a hit on a present page), in alternating blocks of 100, and
 *     prints the CPU time per hit of each (the touch included), and how many of each probe's
 *     pages were present afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <tracetape/probe.h>

#define PAGE_SZ 4096
#define STRIDE_SZ 65536 /* the fault-around window: one page per window */
#define COLD_BLOCK 100

#define LONG_LITERAL "a string literal of sixty-four bytes, counting its NUL: 0123456"

#define COLD_PAD_SZ (2 << 20) /* the largest folio, and fault-around window, of x86-64 */

/* The four literals of issue 15's example, kept apart from the program's other .rodata. */
static const struct {
	char pad0[COLD_PAD_SZ];
	char s[4][128]; /* the first bytes of a page of its own */
	char pad1[COLD_PAD_SZ - 4 * 128];
} cold_lits __attribute__((aligned(PAGE_SZ))) = {
	.s = {"", "alpha", LONG_LITERAL, "J\xc3\xbcrgen M"},
};

static volatile unsigned sink;

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* 1 when the page holding p is present in this process's page tables, 0 when not, -1 on error */
static int present(const void *p)
{
	static int fd = -1;
	uint64_t e;

	if (fd < 0)
		fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / PAGE_SZ * sizeof(e))) !=
			      (ssize_t)sizeof(e))
		return -1;
	return (int)(e >> 63);
}

static long present_cnt(char *const *ptrs, long n)
{
	long cnt = 0;

	for (long i = 0; i < n; i++) {
		int r = present(ptrs[i]);

		if (r < 0)
			return -1;
		cnt += r;
	}
	return cnt;
}

/*
 * Map a sparse file of n pages 64 KiB apart, written by this program into dir, each page
 * starting with its own string; ptrs[i] points at page i. Returns 0 or -1 (with a message).
 */
static int map_pages(const char *dir, long n, char **ptrs)
{
	char path[4096], text[64];
	size_t len = (size_t)n * STRIDE_SZ;
	char *map;
	int fd;

	snprintf(path, sizeof(path), "%s/strfault.%ld.pages", dir, (long)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "strfault: %s: %s\n", path, strerror(errno));
		return -1;
	}
	unlink(path); /* the mapping keeps it */
	for (long i = 0; i < n; i++) {
		int k = snprintf(text, sizeof(text), "file page %06ld of a sparse file", i);

		if (pwrite(fd, text, (size_t)k + 1, (off_t)i * STRIDE_SZ) != k + 1) {
			fprintf(stderr, "strfault: writing %s: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "strfault: mmap: %s\n", strerror(errno));
		return -1;
	}
	madvise(map, len, MADV_RANDOM); /* no fault-around, where the kernel honours it */
	for (long i = 0; i < n; i++)
		ptrs[i] = map + (size_t)i * STRIDE_SZ;
	return 0;
}

static long parse(const char *s, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno || end == s || *end || v < min ? -1 : v;
}

static int faults(const char *dir, long n)
{
	char **file = calloc((size_t)n, sizeof(*file)), *lits[4], *heap[4];
	long before_file, before_lit, after_file, after_lit, warm_file, warm_lit, before_heap;

	if (!file || map_pages(dir, n, file))
		return 1;
	for (int k = 0; k < 4; k++)
		lits[k] = (char *)cold_lits.s[k];
	before_file = present_cnt(file, n);
	before_lit = present_cnt(lits, 1);
	for (long i = 0; i < n; i++)
		TT_PROBE(sf, file_cold, file[i], i);
	for (long i = 0; i < n; i++)
		TT_PROBE(sf, lit_cold, lits[i % 4], i);
	after_file = present_cnt(file, n);
	after_lit = present_cnt(lits, 1);
	for (long i = 0; i < n; i++)
		sink += (unsigned char)file[i][0];
	for (int k = 0; k < 4; k++)
		sink += (unsigned char)lits[k][0];
	warm_file = present_cnt(file, n);
	warm_lit = present_cnt(lits, 1);
	for (long i = 0; i < n; i++)
		TT_PROBE(sf, file_warm, file[i], i);
	for (long i = 0; i < n; i++)
		TT_PROBE(sf, lit_warm, lits[i % 4], i);
	for (int k = 0; k < 4; k++) {
		heap[k] = malloc(128);
		if (!heap[k])
			return 1;
		memcpy(heap[k], cold_lits.s[k], 128);
	}
	before_heap = present_cnt(heap, 4);
	for (long i = 0; i < n; i++)
		TT_PROBE(sf, heap, heap[i % 4], i);
	printf("hits=%ld\nfile_cold_present_before=%ld\nlit_cold_present_before=%ld\n"
	       "file_cold_present_after=%ld\nlit_cold_present_after=%ld\n"
	       "file_warm_present_before=%ld\nlit_warm_present_before=%ld\n"
	       "heap_present_before=%ld\n", n, before_file, before_lit, after_file, after_lit,
	       warm_file, warm_lit, before_heap);
	return 0;
}

static int cost(const char *dir, long n, long block, long cold)
{
	static const char warm_str[] = "GET /index.html HTTP/1.1";
	double warm_s = 0, warm_n = 0, ref = 0, cold_s = 0, cold_n = 0, touch_s = 0, c0;
	long pages = 3 * ((cold + COLD_BLOCK - 1) / COLD_BLOCK) * COLD_BLOCK;
	char **p = calloc((size_t)pages, sizeof(*p));
	long present_after[3] = {0};
	const char *w = warm_str;
	long done_cold = 0;

	sink += (unsigned)strlen(w); /* present from here on */
	for (long done = 0; done < n; done += block) {
		long k = n - done < block ? n - done : block;

		c0 = cpu_ns();
		for (long i = done; i < done + k; i++)
			TT_PROBE(sf, warm_s, w, i);
		warm_s += cpu_ns() - c0;
		c0 = cpu_ns();
		for (long i = done; i < done + k; i++)
			TT_PROBE(sf, warm_n, w, i);
		warm_n += cpu_ns() - c0;
		c0 = cpu_ns();
		for (long i = done; i < done + k; i++)
			TT_PROBE(sf, ref, w, i);
		ref += cpu_ns() - c0;
	}
	printf("warm_s_ns=%.1f\nwarm_n_ns=%.1f\nref_ns=%.1f\nwarm_ratio=%.4f\n", warm_s / (double)n,
	       warm_n / (double)n, ref / (double)n, warm_s / warm_n);
	if (cold <= 0)
		return 0;
	if (!p || map_pages(dir, pages, p))
		return 1;
	if (present_cnt(p, pages) != 0) {
		fprintf(stderr, "strfault: the file's pages are present before any hit\n");
		return 1;
	}
	/* page 3i + 0: cold_s, 3i + 1: cold_n, 3i + 2: touch_s; blocks alternate */
	for (long b = 0; done_cold < cold; b++, done_cold += COLD_BLOCK) {
		long i0 = b * COLD_BLOCK;

		c0 = cpu_ns();
		for (long i = i0; i < i0 + COLD_BLOCK; i++)
			TT_PROBE(sf, cold_s, p[3 * i], i);
		cold_s += cpu_ns() - c0;
		c0 = cpu_ns();
		for (long i = i0; i < i0 + COLD_BLOCK; i++)
			TT_PROBE(sf, cold_n, p[3 * i + 1], i);
		cold_n += cpu_ns() - c0;
		c0 = cpu_ns();
		for (long i = i0; i < i0 + COLD_BLOCK; i++) {
			sink += (unsigned char)*(volatile char *)p[3 * i + 2];
			TT_PROBE(sf, touch_s, p[3 * i + 2], i);
		}
		touch_s += cpu_ns() - c0;
	}
	for (int t = 0; t < 3; t++)
		for (long i = 0; i < done_cold; i++)
			present_after[t] += present(p[3 * i + t]) > 0;
	printf("cold_hits=%ld\ncold_s_ns=%.1f\ncold_n_ns=%.1f\ntouch_s_ns=%.1f\n"
	       "cold_s_present_after=%ld\ncold_n_present_after=%ld\ntouch_s_present_after=%ld\n",
	       done_cold, cold_s / (double)done_cold, cold_n / (double)done_cold,
	       touch_s / (double)done_cold, present_after[0], present_after[1], present_after[2]);
	return 0;
}

int main(int argc, char **argv)
{
	/* Plain literals, first thing: nothing before this reads the program's .rodata (no string
	 * comparison, no format), so their page is as the loader left it. */
	static const char *const names[] = {"", "alpha", LONG_LITERAL, "J\xc3\xbcrgen M"};
	long n = argc > 3 ? parse(argv[3], 1) : -1;

	if (argc == 4 && argv[1][0] == 'f' && n > 0) {
		for (long i = 0; i < n; i++)
			TT_PROBE(sf, lit_plain, names[i % 4], i);
		return faults(argv[2], n);
	}
	if (argc == 6 && !strcmp(argv[1], "cost") && n > 0 && parse(argv[4], 1) > 0 &&
	    parse(argv[5], 0) >= 0)
		return cost(argv[2], n, parse(argv[4], 1), parse(argv[5], 0));
	fprintf(stderr, "usage: strfault faults DIR N | strfault cost DIR N BLOCK COLD\n");
	return 2;
}
