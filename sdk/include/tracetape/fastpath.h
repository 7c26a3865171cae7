/* SPDX-License-Identifier: MIT */
/*
 * tracetape/fastpath.h -- the trap-free path of TT_PROBE (opt-in), and its shared-memory format.
 *
 * Overview
 * ========
 * A program compiled with -DTT_FASTPATH (defined before <tracetape/probe.h>, for every
 * translation unit with probes) gets probes that `tracetape record --fast -- COMMAND` records
 * without a trap into the kernel: the probe writes its record into a ring in shared memory that
 * the recorder created and drains, at the cost of a function call, a vDSO clock read and a copy
 * (no system call). While no recorder asks for the fast path, the site is the usual USDT site
 * (the `nop` and both notes are still emitted: bpftrace, perf and `tracetape record` without
 * --fast see the probe as before) behind one load and one branch on the site's own control word.
 * Nothing else changes for the program: no library to link, no thread, no signal, no system call
 * unless a recorder handed it a ring.
 *
 * Programs built without TT_FASTPATH never see this header: their sites are byte for byte what
 * probe.h always emitted.
 *
 * How a process and the recorder meet:
 *   1. The recorder creates a memfd (TT_FAST_ENV names its descriptor number in the command's
 *      environment), writes the header and the table of the probes it wants (provider, name,
 *      the binary's device and inode, the probe id, argument count and which arguments are
 *      strings), and starts the command.
 *   2. When a binary built with TT_FASTPATH is loaded, its constructor maps the memfd, checks
 *      the header, finds its own file (device and inode, from /proc/self/maps), and switches on
 *      each of its sites whose probe is in the table: the site's control word gets the probe id,
 *      and the probe's USDT semaphore is incremented, so TT_PROBE_ENABLED is true as with a
 *      uprobe.
 *   3. A hit takes its thread's ring (claimed at the first hit), reserves the record's bytes,
 *      writes the record (the layout of a BPF ring record: CLOCK_MONOTONIC timestamp, pid, tid,
 *      CPU, a per-ring sequence, the arguments, the strings' bytes copied in the process) and
 *      publishes the ring's head. A full ring is a counted loss (per ring and probe, with the
 *      time of the latest loss); a thread that finds no free ring counts its losses in the
 *      shared spill counters. The hit never waits.
 *   4. When the recording ends the recorder sets `stop`; the next hit of each binary switches
 *      its sites off again. A recorder that dies leaves the rings filling up: every hit is then
 *      a counted loss nobody reads, and the program runs on.
 *
 * A process already running (`record --fast -p PID`) meets the recorder the other way round:
 * the recorder creates TT_FAST_SHM_PREFIX + pid, attaches its uprobes (which hold the
 * semaphores), and writes TT_FAST_ADOPT into the `on` word of each site of the process's
 * fast binaries. The next hit of a marked site maps that file (__tt_fast_adopt) and switches
 * the sites as in step 2, semaphores aside. At `stop` the next hit is recorded, then the sites
 * go off and the memory is let go; the hits before and after go to the uprobes.
 *
 * N.B. A string argument is read by the process itself, never with a fault: NULL, addresses
 * below 4096 and outside user space, and strings with an unmapped or PROT_NONE byte before
 * their end are recorded as faults, as the BPF path records them. A string in the binary's
 * own mapped file or in the thread's stack above the hit is read directly; any other is
 * copied by the kernel (process_vm_readv on the process itself, one system call). Where a
 * sandbox refuses that call (seccomp), strings are read directly, and an unmapped one crashes
 * the program as any other read of it would.
 * N.B. In C, an argument of a fast-path probe cannot be a bit-field (cast it).
 * N.B. Probes that fire before the binary's constructors ran (in other constructors) take the
 * USDT path.
 *
 * Everything in this header is internal (tt_fast_*, __tt_fast_*) except TT_FASTPATH itself; the
 * layout is a contract between this header and recorder/fastpath.c, versioned by
 * TT_FAST_VERSION.
 */
#ifndef TRACETAPE_FASTPATH_H
#define TRACETAPE_FASTPATH_H

#include <stdint.h>

#define TT_FAST_ENV "TT_FASTPATH_FD" /* the memfd's descriptor number, in decimal */
/* A process already running (record --fast -p PID) finds its memory under this name + pid. */
#define TT_FAST_SHM_PREFIX "/dev/shm/tracetape-fast."
#define TT_FAST_ADOPT 0xffffffffu /* a site's `on`, written by the recorder: map the memory */
#define TT_FAST_MAGIC 0x3174737166747454ULL /* "Tttfqst1" little-endian */
#define TT_FAST_VERSION 1
#define TT_FAST_NAME_SZ 64   /* provider and name, NUL-terminated */
#define TT_FAST_REC_MAX 16384 /* largest record (the BPF ring's TT_RING_REC_MAX) */
#define TT_FAST_STRLEN_MAX 1024
#define TT_FAST_ARGS 12

/* Record types, as in the BPF ring (bpf/record.h); a pad fills a ring's end before a wrap. */
#define TT_FAST_REC_ARGS 1
#define TT_FAST_REC_PAD 0xffff

/* The memfd's first bytes, written by the recorder before the command starts. */
struct tt_fast_hdr {
	uint64_t magic;         /* TT_FAST_MAGIC */
	uint32_t version;       /* TT_FAST_VERSION */
	uint32_t hdr_sz;        /* sizeof(struct tt_fast_hdr) */
	uint32_t probe_cnt;     /* entries of the probe table */
	uint32_t id_limit;      /* every probe id is below it: entries of each loss array */
	uint32_t ring_cnt;
	uint32_t strlen;        /* string limit in bytes (<= TT_FAST_STRLEN_MAX) */
	uint64_t ring_data_sz;  /* bytes of records per ring: a power of two, >= 2 records */
	uint64_t ring_stride;   /* bytes from one ring to the next */
	uint64_t table_off;     /* struct tt_fast_probe[probe_cnt] */
	uint64_t spill_off;     /* struct tt_fast_loss[id_limit]: losses of threads without a ring */
	uint64_t rings_off;     /* ring i at rings_off + i * ring_stride */
	uint64_t map_sz;        /* bytes of the memfd */
	uint32_t rings_claimed; /* atomic: rings handed out so far (may exceed ring_cnt) */
	uint32_t stop;          /* set by the recorder when it is done */
	uint32_t attached;      /* atomic: binaries that switched sites on */
	uint32_t recorder_pid;  /* who created it (a TT_FAST_SHM_PREFIX file outlives a killed one) */
};

/* One probe the recorder asks for. */
struct tt_fast_probe {
	uint32_t probe_id;
	uint8_t argc;
	uint8_t pad;
	uint16_t str_mask;      /* bit i: argument i is a char * recorded as a string */
	uint32_t dev_major, dev_minor; /* the binary holding the probe's sites */
	uint64_t ino;
	char provider[TT_FAST_NAME_SZ];
	char name[TT_FAST_NAME_SZ];
};

/* A loss counter: written by one thread (a ring's) or by atomic adds (the spill array). */
struct tt_fast_loss {
	uint64_t lost;
	uint64_t last_ts_ns;    /* CLOCK_MONOTONIC of the latest loss */
};

/*
 * A ring's header; the loss array (id_limit entries) follows at byte 128, the records at
 * TT_FAST_RING_DATA_OFF(id_limit). Producer and consumer positions are byte counts that only
 * grow, on cache lines of their own. Records are 8-byte aligned and never wrap: a record that
 * does not fit before the end is preceded by a pad record to the end.
 */
struct tt_fast_ring {
	uint64_t head;          /* producer: bytes published (release store) */
	uint32_t pid, tid;      /* the owner; pid is stored last (release), 0 while unclaimed */
	uint8_t pad0[48];
	uint64_t tail;          /* consumer: bytes consumed (release store) */
	uint8_t pad1[56];
};
#define TT_FAST_RING_DATA_OFF(id_limit)                                                      \
	((128 + 16 * (uint64_t)(id_limit) + 4095) & ~(uint64_t)4095)

/* A probe hit: the layout of the BPF path's struct tt_ring_args (the recorder asserts it). */
struct tt_fast_rec {
	uint16_t type;          /* TT_FAST_REC_ARGS or TT_FAST_REC_PAD */
	uint16_t size;          /* bytes of the record, strings included, without the alignment */
	uint32_t probe_id;
	uint64_t ts_ns;         /* CLOCK_MONOTONIC */
	uint32_t pid, tid, cpu, seq;
	uint64_t goid;          /* 0 */
	uint16_t fault_mask;    /* bit i: string argument i could not be read */
	uint8_t argc;
	uint8_t pad[5];
	uint64_t args[TT_FAST_ARGS]; /* argc of them are written, then the strings' bytes */
};

#define TT_FAST_STR_TRUNCATED 0x1 /* schemas/tt_types.h's TT_STR_* */
#define TT_FAST_STR_FAULT 0x2

#endif /* TRACETAPE_FASTPATH_H */

/*
 * The runtime and the sites: only when probe.h includes this (it does so last, with
 * TT_FASTPATH defined and probes on), once.
 */
#if defined(TT_FASTPATH) && defined(TRACETAPE_PROBE_H) && !defined(TRACETAPE_FASTPATH_SITES) && \
	!defined(TT_NO_PROBES) && defined(__GNUC__) && defined(__x86_64__)
#define TRACETAPE_FASTPATH_SITES

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The POSIX and GNU functions the runtime calls, under names of its own: a program compiled
 * with -std=c99 or -std=c11 and no feature macro has no declaration of them, and a declaration
 * here under the standard name could disagree with the C library's (exception specifications
 * in C++).
 */
struct __tt_fast_ts {
	long sec, nsec;
};
extern int __tt_fast_clock_gettime(int, struct __tt_fast_ts *) __asm__("clock_gettime");
extern long __tt_fast_pread(int, void *, unsigned long, long) __asm__("pread64");
extern int __tt_fast_gettid(void) __asm__("gettid");
extern int __tt_fast_getpid(void) __asm__("getpid");
extern int __tt_fast_getcpu(void) __asm__("sched_getcpu");
extern unsigned long __tt_fast_strnlen(const char *, unsigned long) __asm__("strnlen");
extern int __tt_fast_atfork(void (*)(void), void (*)(void), void (*)(void))
	__asm__("pthread_atfork");
extern int __tt_fast_madvise(void *, unsigned long, int) __asm__("madvise");
extern int __tt_fast_open(const char *, int, ...) __asm__("open");
extern int __tt_fast_close(int) __asm__("close");
extern unsigned __tt_fast_geteuid(void) __asm__("geteuid");
struct __tt_fast_iov {
	void *base;
	unsigned long len;
};
extern long __tt_fast_vm_readv(int, const struct __tt_fast_iov *, unsigned long,
			       const struct __tt_fast_iov *, unsigned long, unsigned long)
	__asm__("process_vm_readv");
extern unsigned long __tt_fast_pthread_self(void) __asm__("pthread_self");
extern int __tt_fast_getattr(unsigned long, void *) __asm__("pthread_getattr_np");
extern int __tt_fast_attr_getstack(const void *, void **, unsigned long *)
	__asm__("pthread_attr_getstack");
extern int __tt_fast_attr_destroy(void *) __asm__("pthread_attr_destroy");
extern void *__tt_fast_sbrk(long) __asm__("sbrk");

/*
 * The control block of one site, in the section tt_fast (the linker's __start_tt_fast and
 * __stop_tt_fast bound the binary's sites; __TT_FAST_BLOCK_ASM lays it out). `on` is 0, or the
 * probe id + 1 while the fast path records the site.
 */
struct __tt_fast_site {
	uint32_t on;
	uint8_t argc;
	uint8_t pad;
	uint16_t str_mask;
	const char *provider, *name;
	volatile unsigned short *sema;
};

#define __TT_FAST_SEGS 8

/*
 * Per binary: the mapping and what this binary switched on; the address ranges where this
 * binary's file is mapped readable (merged), which a string may be read from directly.
 */
struct __tt_fast_state {
	int inited;             /* the constructor found TT_FAST_ENV (atomic) */
	int off;                /* sites switched off again (atomic) */
	int adopting;           /* a thread maps the memory of a recorder that came later (atomic) */
	int ext;                /* that memory: the recorder's uprobes hold the semaphores */
	uint32_t gen;           /* memories mapped so far: a thread's ring is of the latest */
	unsigned char *base;
	struct tt_fast_hdr *hdr;
	uint64_t data_off, mask, map_sz;
	uint32_t strlen, id_limit;
	uint32_t seg_cnt;
	int no_vm_readv;        /* process_vm_readv is refused (seccomp): strings read directly */
	uint64_t seg_lo[__TT_FAST_SEGS], seg_hi[__TT_FAST_SEGS];
	uint64_t heap_lo;       /* the brk heap's start (0: none); its end is sbrk(0) */
};

/* Per thread: its ring (NULL: none yet), whether claiming failed, its sequence, its stack. */
struct __tt_fast_thread {
	struct tt_fast_ring *ring;
	uint32_t seq;
	uint32_t noring;
	uint64_t stk_lo, stk_hi;  /* the thread's stack (0, 0: unknown) */
	uint32_t gen;             /* the memory its ring is in (__tt_fast_state.gen) */
};

extern struct __tt_fast_site __start_tt_fast[] __attribute__((__weak__, __visibility__("hidden")));
extern struct __tt_fast_site __stop_tt_fast[] __attribute__((__weak__, __visibility__("hidden")));

/* The runtime's functions (declared first for -Wmissing-prototypes). */
int __tt_fast_whoami(const void *addr, unsigned *major, unsigned *minor, unsigned long long *ino);
void __tt_fast_segments(unsigned major, unsigned minor, unsigned long long ino);
uint32_t __tt_fast_str(unsigned char *dst, uint64_t addr, uint32_t max, uint32_t pid);
void __tt_fast_release(void);
void __tt_fast_all_off(void);
void __tt_fast_child(void);
int __tt_fast_map(int fd, int ext);
void __tt_fast_init(void);
void __tt_fast_adopt(struct __tt_fast_site *s);
struct tt_fast_ring *__tt_fast_claim(void);
void __tt_fast_lose(struct tt_fast_ring *r, uint32_t id, uint64_t ts);
void __tt_fast_hit(struct __tt_fast_site *s, const uint64_t *v);

/* One copy per binary: weak and hidden, defined by every translation unit that includes this. */
__attribute__((__weak__, __visibility__("hidden"))) struct __tt_fast_state __tt_fast_st;
__attribute__((__weak__, __visibility__("hidden"))) __thread struct __tt_fast_thread __tt_fast_th;

/* The device and inode of the file mapped at addr in this process, from /proc/self/maps. */
__attribute__((__weak__, __visibility__("hidden"))) int
__tt_fast_whoami(const void *addr, unsigned *major, unsigned *minor, unsigned long long *ino)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off;

		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &lo, &hi, &off, major, minor, ino) ==
			    6 &&
		    (uintptr_t)addr >= lo && (uintptr_t)addr < hi)
			found = 1;
	}
	fclose(f);
	return found && *ino != 0;
}

/*
 * The ranges where the file (major, minor, ino) is mapped readable in this process, merged
 * when adjacent: the binary's own code and data, which stay mapped while its code runs, so a
 * string in them is read without asking the kernel. And the start of the brk heap (malloc's
 * main arena), whose end sbrk(0) tells.
 */
__attribute__((__weak__, __visibility__("hidden"))) void
__tt_fast_segments(unsigned major, unsigned minor, unsigned long long ino)
{
	struct __tt_fast_state *st = &__tt_fast_st;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, i;
		unsigned ma, mi;
		char perm[8];

		if (sscanf(line, "%llx-%llx %7s %*x %x:%x %llu", &lo, &hi, perm, &ma, &mi, &i) != 6)
			continue;
		if (strstr(line, " [heap]\n"))
			st->heap_lo = lo;
		if (ma != major || mi != minor || i != ino || perm[0] != 'r')
			continue;
		if (st->seg_cnt && st->seg_hi[st->seg_cnt - 1] == lo)
			st->seg_hi[st->seg_cnt - 1] = hi;
		else if (st->seg_cnt < __TT_FAST_SEGS) {
			st->seg_lo[st->seg_cnt] = lo;
			st->seg_hi[st->seg_cnt++] = hi;
		}
	}
	fclose(f);
}

/*
 * Let go of the memory of a recorder that met the process running (its file is freed with the
 * last mapping): replaced by empty memory rather than unmapped, so that a thread still writing
 * into its ring cannot fault. Called under the `adopting` flag.
 */
__attribute__((__weak__, __visibility__("hidden"))) void __tt_fast_release(void)
{
	struct __tt_fast_state *st = &__tt_fast_st;

	if (!st->base)
		return;
	__atomic_store_n(&st->hdr, (struct tt_fast_hdr *)0, __ATOMIC_RELEASE);
	mmap(st->base, (unsigned long)st->map_sz, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_FIXED | 0x20 /* MAP_ANONYMOUS */ | 0x4000 /* MAP_NORESERVE */, -1, 0);
	st->base = 0;
}

/* Switch every site of this binary off, once (the recorder stopped). */
__attribute__((__weak__, __visibility__("hidden"))) void __tt_fast_all_off(void)
{
	if (__atomic_exchange_n(&__tt_fast_st.off, 1, __ATOMIC_ACQ_REL))
		return;
	for (struct __tt_fast_site *s = __start_tt_fast; s < __stop_tt_fast; s++)
		if (__atomic_exchange_n(&s->on, 0, __ATOMIC_RELAXED) && s->sema && !__tt_fast_st.ext)
			__atomic_fetch_sub(s->sema, 1, __ATOMIC_RELAXED);
	if (!__tt_fast_st.ext)
		return;
	while (__atomic_exchange_n(&__tt_fast_st.adopting, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	if (__atomic_load_n(&__tt_fast_st.off, __ATOMIC_ACQUIRE)) /* not adopted again since */
		__tt_fast_release();
	__atomic_store_n(&__tt_fast_st.adopting, 0, __ATOMIC_RELEASE);
}

/* fork(): the child's thread must claim a ring of its own. */
__attribute__((__weak__, __visibility__("hidden"))) void __tt_fast_child(void)
{
	__tt_fast_th.ring = 0;
	__tt_fast_th.noring = 0;
	__tt_fast_th.seq = 0;
}

/*
 * Map the recorder's memory (fd), check it, and switch on the sites of this binary that the
 * recorder asks for; a site the recorder marked TT_FAST_ADOPT and does not ask for is switched
 * off. ext: the recorder's uprobes hold the semaphores (a process it met running), else each
 * site switched on increments its semaphore. Returns 0, or -1 with every site left as it was
 * (but the marked ones, off).
 */
__attribute__((__weak__, __visibility__("hidden"))) int __tt_fast_map(int fd, int ext)
{
	struct __tt_fast_state *st = &__tt_fast_st;
	const struct tt_fast_probe *tab;
	struct tt_fast_hdr h;
	unsigned major, minor;
	unsigned long long ino;
	unsigned char *base;
	struct stat sb;
	int on = 0;

	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size < sizeof(h) ||
	    __tt_fast_pread(fd, &h, sizeof(h), 0) != (long)sizeof(h))
		goto fail;
	if (h.magic != TT_FAST_MAGIC || h.version != TT_FAST_VERSION || h.hdr_sz != sizeof(h) ||
	    h.map_sz != (uint64_t)sb.st_size || h.strlen > TT_FAST_STRLEN_MAX ||
	    h.ring_data_sz < 2 * TT_FAST_REC_MAX || (h.ring_data_sz & (h.ring_data_sz - 1)) ||
	    h.table_off + (uint64_t)h.probe_cnt * sizeof(*tab) > h.map_sz ||
	    h.spill_off + 16ull * h.id_limit > h.map_sz ||
	    h.rings_off + (uint64_t)h.ring_cnt * h.ring_stride > h.map_sz ||
	    h.ring_stride < TT_FAST_RING_DATA_OFF(h.id_limit) + h.ring_data_sz || h.stop)
		goto fail;
	if (!__tt_fast_whoami((const void *)__start_tt_fast, &major, &minor, &ino))
		goto fail;
	base = (unsigned char *)mmap(0, h.map_sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		goto fail;
	if (!st->seg_cnt)
		__tt_fast_segments(major, minor, ino);
	st->base = base;
	st->map_sz = h.map_sz;
	__atomic_fetch_add(&st->gen, 1, __ATOMIC_RELEASE);
	st->data_off = TT_FAST_RING_DATA_OFF(h.id_limit);
	st->mask = h.ring_data_sz - 1;
	st->strlen = h.strlen;
	st->id_limit = h.id_limit;
	st->ext = ext;
	__atomic_store_n(&st->hdr, (struct tt_fast_hdr *)base, __ATOMIC_RELEASE);
	tab = (const struct tt_fast_probe *)(base + h.table_off);
	for (struct __tt_fast_site *s = __start_tt_fast; s < __stop_tt_fast; s++) {
		uint32_t i;

		for (i = 0; i < h.probe_cnt; i++) {
			const struct tt_fast_probe *p = &tab[i];

			if (p->ino != ino || p->dev_major != major || p->dev_minor != minor ||
			    p->argc != s->argc || p->probe_id >= h.id_limit ||
			    strncmp(p->provider, s->provider, TT_FAST_NAME_SZ) ||
			    strncmp(p->name, s->name, TT_FAST_NAME_SZ))
				continue;
			s->str_mask = p->str_mask;
			if (s->sema && !ext)
				__atomic_fetch_add(s->sema, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&s->on, p->probe_id + 1, __ATOMIC_RELEASE);
			on++;
			break;
		}
		if (i == h.probe_cnt)
			__atomic_store_n(&s->on, 0, __ATOMIC_RELAXED);
	}
	if (on) {
		static int atfork; /* once per binary, however many recorders come */

		if (!__atomic_exchange_n(&atfork, 1, __ATOMIC_RELAXED))
			__tt_fast_atfork(0, 0, __tt_fast_child);
		__atomic_fetch_add(&st->hdr->attached, 1, __ATOMIC_RELAXED);
	}
	return 0;
fail:
	for (struct __tt_fast_site *s = __start_tt_fast; s < __stop_tt_fast; s++) {
		uint32_t mark = TT_FAST_ADOPT;

		__atomic_compare_exchange_n(&s->on, &mark, 0, 0, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	}
	return -1;
}

/*
 * The constructor: map the recorder's memfd if the environment names one (record --fast --
 * COMMAND). Anything unexpected leaves every site on the USDT path.
 */
__attribute__((__weak__, __visibility__("hidden"), __constructor__)) void __tt_fast_init(void)
{
	const char *env = getenv(TT_FAST_ENV);
	char *end;
	long fd;

	if (!env || !*env || __atomic_exchange_n(&__tt_fast_st.inited, 1, __ATOMIC_ACQ_REL))
		return;
	if ((uintptr_t)__start_tt_fast == (uintptr_t)__stop_tt_fast) /* no site, or none linked */
		return;
	fd = strtol(env, &end, 10);
	if (*end || fd < 0 || fd > 65535)
		return;
	__tt_fast_map((int)fd, 0);
}

/*
 * A hit of a site the recorder marked TT_FAST_ADOPT (record --fast -p PID: the recorder met
 * this process running, wrote the mark into its sites and created TT_FAST_SHM_PREFIX + pid,
 * owned by the process's user or root). One thread maps it (the memory of an earlier recorder
 * is let go first); a thread that hits a marked site meanwhile waits for it, once per
 * recording. Returns with the sites switched on or off.
 */
__attribute__((__weak__, __visibility__("hidden"), __noinline__)) void
__tt_fast_adopt(struct __tt_fast_site *s)
{
	struct __tt_fast_state *st = &__tt_fast_st;
	char path[sizeof(TT_FAST_SHM_PREFIX) + 12];
	struct stat sb;
	int fd;

	if (__atomic_exchange_n(&st->adopting, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&st->adopting, __ATOMIC_ACQUIRE))
			__builtin_ia32_pause();
		return;
	}
	if (__atomic_load_n(&s->on, __ATOMIC_ACQUIRE) != TT_FAST_ADOPT)
		goto out; /* another thread was first */
	/* An earlier recording's memory (its recorder died without a word, or no hit saw it
	 * stop) goes first. */
	if (st->ext)
		__tt_fast_release();
	__atomic_store_n(&st->off, 0, __ATOMIC_RELEASE);
	snprintf(path, sizeof(path), "%s%d", TT_FAST_SHM_PREFIX, __tt_fast_getpid());
	fd = __tt_fast_open(path, 02 /* O_RDWR */ | 0400000 /* O_NOFOLLOW */ |
				      02000000 /* O_CLOEXEC */);
	if (fd < 0 || fstat(fd, &sb) || (sb.st_uid != 0 && sb.st_uid != __tt_fast_geteuid()) ||
	    __tt_fast_map(fd, 1))
		__tt_fast_map(-1, 1); /* switches the marked sites off */
	if (fd >= 0)
		__tt_fast_close(fd);
out:
	__atomic_store_n(&st->adopting, 0, __ATOMIC_RELEASE);
}

/* Claim a ring for this thread; NULL when every ring is taken. */
__attribute__((__weak__, __visibility__("hidden"), __noinline__)) struct tt_fast_ring *
__tt_fast_claim(void)
{
	struct __tt_fast_state *st = &__tt_fast_st;
	struct tt_fast_hdr *h = st->hdr;
	uint32_t i = __atomic_fetch_add(&h->rings_claimed, 1, __ATOMIC_RELAXED);
	struct tt_fast_ring *r;

	if (i >= h->ring_cnt) {
		__tt_fast_th.noring = 1;
		return 0;
	}
	r = (struct tt_fast_ring *)(st->base + h->rings_off + (uint64_t)i * h->ring_stride);
	/*
	 * Fault the ring's pages in now, once (MADV_POPULATE_WRITE, Linux 5.14; without it they
	 * fault in as the ring first fills): a page fault per 4 KiB of records would otherwise
	 * cost the hits that first write each page about as much as the rest of their work.
	 */
	__tt_fast_madvise(r, (unsigned long)h->ring_stride, 23 /* MADV_POPULATE_WRITE */);
	{ /* the thread's stack: a string above the hit's frame in it is read directly */
		union {
			char b[64]; /* pthread_attr_t */
			long align;
		} attr;
		void *lo;
		unsigned long sz;

		if (__tt_fast_getattr(__tt_fast_pthread_self(), &attr) == 0) {
			if (__tt_fast_attr_getstack(&attr, &lo, &sz) == 0) {
				__tt_fast_th.stk_lo = (uintptr_t)lo;
				__tt_fast_th.stk_hi = (uintptr_t)lo + sz;
			}
			__tt_fast_attr_destroy(&attr);
		}
	}
	r->tid = (uint32_t)__tt_fast_gettid();
	__atomic_store_n(&r->pid, (uint32_t)__tt_fast_getpid(), __ATOMIC_RELEASE);
	return __tt_fast_th.ring = r;
}

/* Count a lost hit of probe id: in the thread's ring, or in the spill array without one. */
__attribute__((__weak__, __visibility__("hidden"), __noinline__)) void
__tt_fast_lose(struct tt_fast_ring *r, uint32_t id, uint64_t ts)
{
	struct __tt_fast_state *st = &__tt_fast_st;
	struct tt_fast_loss *l;

	if (id >= st->id_limit)
		return;
	if (r) {
		l = (struct tt_fast_loss *)((unsigned char *)r + 128) + id;
		__atomic_store_n(&l->lost, l->lost + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&l->last_ts_ns, ts, __ATOMIC_RELAXED);
		return;
	}
	l = (struct tt_fast_loss *)(st->base + st->hdr->spill_off) + id;
	__atomic_fetch_add(&l->lost, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->last_ts_ns, ts, __ATOMIC_RELAXED);
}

/*
 * Copy the string at addr to dst (max + 1 bytes of room) without a fault, with the BPF path's
 * rules: its length (without the NUL), max + 1 when it is longer than max (max bytes are
 * copied), UINT32_MAX when a byte up to its NUL or its (max + 1)th is unreadable. A string in
 * this binary's mapped file, above the hit in the thread's own stack or in the brk heap is
 * read directly (they stay mapped; the heap's end moves down only over free memory, so a live
 * string is never under it); anywhere else the kernel copies it (process_vm_readv on
 * ourselves: one system call, which stops at the first unreadable page instead of faulting).
 */
__attribute__((__weak__, __visibility__("hidden"), __noinline__)) uint32_t
__tt_fast_str(unsigned char *dst, uint64_t addr, uint32_t max, uint32_t pid)
{
	struct __tt_fast_state *st = &__tt_fast_st;
	struct __tt_fast_thread *th = &__tt_fast_th;
	const char *str = (const char *)(uintptr_t)addr;
	uint64_t lim = 0, here = (uintptr_t)&lim, bound;
	struct __tt_fast_iov local, remote[2];
	unsigned long first, n;
	unsigned char *nul;
	long got;

	/* NULL, the first page and kernel addresses: what the BPF path cannot read either */
	if (addr < 4096 || addr >= 0x800000000000ull)
		return UINT32_MAX;
	for (uint32_t i = 0; i < st->seg_cnt && !lim; i++)
		if (addr >= st->seg_lo[i] && addr < st->seg_hi[i])
			lim = st->seg_hi[i] - addr;
	if (!lim && here >= th->stk_lo && here < th->stk_hi && addr >= here && addr < th->stk_hi)
		lim = th->stk_hi - addr;
	if (!lim && st->heap_lo && addr >= st->heap_lo) {
		uint64_t brk = (uintptr_t)__tt_fast_sbrk(0);

		if (addr < brk)
			lim = brk - addr;
	}
	if (lim || __atomic_load_n(&st->no_vm_readv, __ATOMIC_RELAXED)) {
		bound = lim && lim < (uint64_t)max + 1 ? lim : (uint64_t)max + 1;
		n = __tt_fast_strnlen(str, bound);
		if (n < bound || bound == (uint64_t)max + 1) {
			memcpy(dst, str, n > max ? max : n);
			return (uint32_t)n;
		}
	}
	first = 4096 - (addr & 4095);
	if (first > (unsigned long)max + 1)
		first = (unsigned long)max + 1;
	local.base = dst;
	local.len = (unsigned long)max + 1;
	remote[0].base = (void *)(uintptr_t)addr;
	remote[0].len = first;
	remote[1].base = (void *)(uintptr_t)(addr + first);
	remote[1].len = local.len - first;
	got = __tt_fast_vm_readv((int)pid, &local, 1, remote, remote[1].len ? 2 : 1, 0);
	if (got < 0 && (errno == ENOSYS || errno == EPERM)) {
		/* a sandbox refuses the call: read directly, as a program's own code would */
		__atomic_store_n(&st->no_vm_readv, 1, __ATOMIC_RELAXED);
		n = __tt_fast_strnlen(str, (unsigned long)max + 1);
		memcpy(dst, str, n > max ? max : n);
		return (uint32_t)n;
	}
	if (got <= 0)
		return UINT32_MAX;
	nul = (unsigned char *)memchr(dst, 0, (unsigned long)got);
	if (nul)
		return (uint32_t)(nul - dst);
	return (unsigned long)got == local.len ? max + 1 : UINT32_MAX;
}

/*
 * One hit of site s with argument values v[0..argc) (integers sign- or zero-extended, floats as
 * their bits, strings as their pointers). Never blocks, never calls into the kernel but to read
 * a string that is neither in this binary nor on the thread's stack (the clock and the CPU
 * come from the vDSO and rseq). Room is checked for the longest record the site can write
 * (every string at the limit); what was written is published.
 */
__attribute__((__weak__, __visibility__("hidden"), __noinline__)) void
__tt_fast_hit(struct __tt_fast_site *s, const uint64_t *v)
{
	struct __tt_fast_state *st = &__tt_fast_st;
	struct __tt_fast_thread *th = &__tt_fast_th;
	uint32_t on = __atomic_load_n(&s->on, __ATOMIC_ACQUIRE), id = on - 1;
	uint32_t argc = s->argc, size, cap, flags;
	struct tt_fast_ring *r;
	struct tt_fast_rec *rec;
	struct __tt_fast_ts ts;
	uint64_t head, tail, off, now, pad = 0;
	unsigned char *data, *p;
	int cpu, last = 0;

	if (on == TT_FAST_ADOPT) {
		__tt_fast_adopt(s);
		on = __atomic_load_n(&s->on, __ATOMIC_ACQUIRE);
		id = on - 1;
	}
	if (!on || on == TT_FAST_ADOPT || !__atomic_load_n(&st->hdr, __ATOMIC_ACQUIRE))
		return;
	if (__atomic_load_n(&st->hdr->stop, __ATOMIC_RELAXED)) {
		/* A recorder that met the process running drains until its uprobes are gone:
		 * this hit is recorded, the next ones go to the uprobes. */
		if (!st->ext) {
			__tt_fast_all_off();
			return;
		}
		last = 1;
	}
	__tt_fast_clock_gettime(1 /* CLOCK_MONOTONIC */, &ts);
	now = (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
	if (__builtin_expect(th->gen != st->gen, 0)) { /* the first hit in this memory */
		__tt_fast_child();
		th->gen = st->gen;
	}
	r = th->ring;
	if (!r && (th->noring || !(r = __tt_fast_claim()))) {
		__tt_fast_lose(0, id, now);
		goto out;
	}
	size = (uint32_t)(offsetof(struct tt_fast_rec, args) + 8 * argc);
	cap = size;
	for (uint32_t i = 0; i < argc; i++)
		if (s->str_mask & (1u << i))
			cap += st->strlen;
	if (cap != size)
		cap++; /* the byte past the limit that tells a cut string */
	cap = (cap + 7) & ~7u;
	head = r->head;
	tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	off = head & st->mask;
	if (cap > st->mask + 1 - off) /* no wrap inside a record: pad to the end */
		pad = st->mask + 1 - off;
	if (head + pad + cap - tail > st->mask + 1) {
		__tt_fast_lose(r, id, now);
		goto out;
	}
	data = (unsigned char *)r + st->data_off;
	if (pad) {
		struct tt_fast_rec *pr = (struct tt_fast_rec *)(data + off);

		pr->type = TT_FAST_REC_PAD;
		pr->size = (uint16_t)pad;
		off = 0;
	}
	rec = (struct tt_fast_rec *)(data + off);
	rec->fault_mask = 0;
	p = (unsigned char *)&rec->args[argc];
	for (uint32_t i = 0; i < argc; i++) {
		uint32_t len, n;

		if (!(s->str_mask & (1u << i))) {
			rec->args[i] = v[i];
			continue;
		}
		len = __tt_fast_str(p, v[i], st->strlen, r->pid);
		if (len == UINT32_MAX) {
			rec->args[i] = (uint64_t)TT_FAST_STR_FAULT << 32;
			rec->fault_mask |= (uint16_t)(1u << i);
			continue;
		}
		n = len > st->strlen ? st->strlen : len;
		flags = len > st->strlen ? TT_FAST_STR_TRUNCATED : 0;
		p += n;
		rec->args[i] = n | (uint64_t)flags << 32;
	}
	size = (uint32_t)(p - (unsigned char *)rec);
	rec->type = TT_FAST_REC_ARGS;
	rec->size = (uint16_t)size;
	rec->probe_id = id;
	rec->ts_ns = now;
	rec->pid = r->pid;
	rec->tid = r->tid;
	cpu = __tt_fast_getcpu();
	rec->cpu = cpu < 0 ? 0 : (uint32_t)cpu;
	rec->seq = th->seq++;
	rec->goid = 0;
	rec->argc = (uint8_t)argc;
	memset(rec->pad, 0, sizeof(rec->pad));
	__atomic_store_n(&r->head, head + pad + ((size + 7) & ~7u), __ATOMIC_RELEASE);
out:
	if (last)
		__tt_fast_all_off();
}

#ifdef __cplusplus
}
#endif

/*
 * The fast-path form of probe.h's __TT_SITE: the control block, then either the record (the
 * fast path is on for this site) or the USDT site, so that each argument is evaluated once.
 * ops is a parenthesised list `(, (1, a1), (2, a2) ...)`, see __TT_OP below.
 */
#define __TT_FOPS_0(...)
#define __TT_FOPS_1(_, t1) __TT_FOP t1
#define __TT_FOPS_2(_, t1, t2) __TT_FOP t1 __TT_FOP t2
#define __TT_FOPS_3(_, t1, t2, t3) __TT_FOPS_2(_, t1, t2) __TT_FOP t3
#define __TT_FOPS_4(_, t1, t2, t3, t4) __TT_FOPS_3(_, t1, t2, t3) __TT_FOP t4
#define __TT_FOPS_5(_, t1, t2, t3, t4, t5) __TT_FOPS_4(_, t1, t2, t3, t4) __TT_FOP t5
#define __TT_FOPS_6(_, t1, t2, t3, t4, t5, t6) __TT_FOPS_5(_, t1, t2, t3, t4, t5) __TT_FOP t6
#define __TT_FOPS_7(_, t1, t2, t3, t4, t5, t6, t7)                                           \
	__TT_FOPS_6(_, t1, t2, t3, t4, t5, t6) __TT_FOP t7
#define __TT_FOPS_8(_, t1, t2, t3, t4, t5, t6, t7, t8)                                       \
	__TT_FOPS_7(_, t1, t2, t3, t4, t5, t6, t7) __TT_FOP t8
#define __TT_FOPS_9(_, t1, t2, t3, t4, t5, t6, t7, t8, t9)                                   \
	__TT_FOPS_8(_, t1, t2, t3, t4, t5, t6, t7, t8) __TT_FOP t9
#define __TT_FOPS_10(_, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10)                             \
	__TT_FOPS_9(_, t1, t2, t3, t4, t5, t6, t7, t8, t9) __TT_FOP t10
#define __TT_FOPS_11(_, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11)                        \
	__TT_FOPS_10(_, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10) __TT_FOP t11
#define __TT_FOPS_12(_, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12)                   \
	__TT_FOPS_11(_, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11) __TT_FOP t12

#define __TT_FVALS_0(...)
#define __TT_FVALS_1(_, t1) __TT_FVAL t1
#define __TT_FVALS_2(_, t1, t2) __TT_FVAL t1 __TT_FVAL t2
#define __TT_FVALS_3(_, t1, t2, t3) __TT_FVALS_2(_, t1, t2) __TT_FVAL t3
#define __TT_FVALS_4(_, t1, t2, t3, t4) __TT_FVALS_3(_, t1, t2, t3) __TT_FVAL t4
#define __TT_FVALS_5(_, t1, t2, t3, t4, t5) __TT_FVALS_4(_, t1, t2, t3, t4) __TT_FVAL t5
#define __TT_FVALS_6(_, t1, t2, t3, t4, t5, t6) __TT_FVALS_5(_, t1, t2, t3, t4, t5) __TT_FVAL t6
#define __TT_FVALS_7(_, t1, t2, t3, t4, t5, t6, t7)                                          \
	__TT_FVALS_6(_, t1, t2, t3, t4, t5, t6) __TT_FVAL t7
#define __TT_FVALS_8(_, t1, t2, t3, t4, t5, t6, t7, t8)                                      \
	__TT_FVALS_7(_, t1, t2, t3, t4, t5, t6, t7) __TT_FVAL t8
#define __TT_FVALS_9(_, t1, t2, t3, t4, t5, t6, t7, t8, t9)                                  \
	__TT_FVALS_8(_, t1, t2, t3, t4, t5, t6, t7, t8) __TT_FVAL t9
#define __TT_FVALS_10(_, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10)                            \
	__TT_FVALS_9(_, t1, t2, t3, t4, t5, t6, t7, t8, t9) __TT_FVAL t10
#define __TT_FVALS_11(_, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11)                       \
	__TT_FVALS_10(_, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10) __TT_FVAL t11
#define __TT_FVALS_12(_, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12)                  \
	__TT_FVALS_11(_, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11) __TT_FVAL t12

/* One argument (i, x) as the asm operands of the USDT site, and as the value of a record. */
#define __TT_FOP(i, x)                                                                       \
	, [__tt_a##i] TT_PROBE_ARG_CONSTRAINT(__TT_VAL(x)), [__tt_s##i] "n"(__TT_SSIZE(x))
#define __TT_FVAL(i, x) ((uint64_t)(__TT_VAL(x))),

#define __TT_OP(i, x) , (i, x)
/*
 * The control block of a site (struct __tt_fast_site) is emitted by the asm, not as a C static:
 * the "?" flag puts it into the section group of the code around it, like the notes, so a C++
 * inline or template function's copies that the linker drops take their blocks with them (gcc
 * refuses C statics of inline and non-inline functions in one named section). The asm yields
 * the block's address; the branch tests its `on` word.
 */
#define __TT_FAST_BLOCK_ASM(provider, name, semasym, argc)                                   \
	__TT_SEMA_DEFINE_ASM(semasym)                                                        \
	".pushsection tt_fast, \"aw?\", @progbits\n"                                         \
	".balign 8\n"                                                                        \
	"987: .4byte 0\n"                                                                    \
	".byte " #argc ", 0\n"                                                               \
	".2byte 0\n"                                                                         \
	".8byte 985f, 986f, " semasym "\n"                                                   \
	".popsection\n"                                                                      \
	".pushsection .rodata.tt_fast, \"a?\", @progbits\n"                                  \
	"985: .asciz \"" #provider "\"\n"                                                    \
	"986: .asciz \"" #name "\"\n"                                                        \
	".popsection\n"                                                                      \
	"lea 987b(%%rip), %[__tt_blk]\n"

#define __TT_SITE(provider, name, sema, argc, args_text, kinds_text, names, k0, k1, k2, ops) \
	do {                                                                                 \
		struct __tt_fast_site *__tt_fs;                                              \
		__asm__ __volatile__(__TT_FAST_BLOCK_ASM(provider, name,                     \
							 __TT_SEMA_SYM(provider, sema), argc) \
				     : [__tt_blk] "=r"(__tt_fs));                           \
		if (__builtin_expect(__atomic_load_n(&__tt_fs->on, __ATOMIC_RELAXED) != 0, 0)) { \
			const uint64_t __tt_v[argc + 1] = {__TT_CAT(__TT_FVALS_, argc) ops 0}; \
			__tt_fast_hit(__tt_fs, __tt_v);                                      \
		} else {                                                                     \
			__asm__ __volatile__(                                                \
				__TT_SITE_ASM(provider, name, __TT_SEMA_SYM(provider, sema),  \
					      argc, args_text, kinds_text)                  \
				: /* no outputs */                                           \
				: [__tt_nm] "i"(names), [__tt_k0] "n"(k0), [__tt_k1] "n"(k1), \
				  [__tt_k2] "n"(k2) __TT_CAT(__TT_FOPS_, argc) ops);         \
		}                                                                            \
	} while (0)

#endif /* TT_FASTPATH on */
