/* SPDX-License-Identifier: MIT */
/*
 * The fast path's shared memory, recorder side (see fastpath.h). The layout is the SDK's
 * (tracetape/fastpath.h); its record is asserted here to be the BPF ring's struct
 * tt_ring_args byte for byte, so that both paths share one decoder.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/types.h>

#include "elf_file.h"
#include "fastpath.h"
#include "record.h"
#include "tape_format.h"
#include "tracetape/fastpath.h"
#include "tt_util.h"

_Static_assert(sizeof(struct tt_fast_rec) == sizeof(struct tt_ring_args), "fast record size");
_Static_assert(offsetof(struct tt_fast_rec, ts_ns) == offsetof(struct tt_ring_args, hdr.ts_ns),
	       "fast record ts");
_Static_assert(offsetof(struct tt_fast_rec, seq) == offsetof(struct tt_ring_args, hdr.seq),
	       "fast record seq");
_Static_assert(offsetof(struct tt_fast_rec, goid) == offsetof(struct tt_ring_args, goid),
	       "fast record goid");
_Static_assert(offsetof(struct tt_fast_rec, argc) == offsetof(struct tt_ring_args, argc),
	       "fast record argc");
_Static_assert(offsetof(struct tt_fast_rec, args) == offsetof(struct tt_ring_args, args),
	       "fast record args");
_Static_assert(TT_FAST_REC_ARGS == TT_RING_ARGS && TT_FAST_REC_MAX == TT_RING_REC_MAX &&
		       TT_FAST_STRLEN_MAX == TT_STRLEN_MAX && TT_FAST_ARGS == TT_MAX_ARGS,
	       "fast path constants");
_Static_assert(TT_FAST_STR_TRUNCATED == TT_STR_TRUNCATED && TT_FAST_STR_FAULT == TT_STR_FAULT,
	       "string flags");
_Static_assert(sizeof(struct tt_fast_hdr) == 96, "fast header layout");
_Static_assert(sizeof(struct tt_fast_probe) == 152, "fast probe layout");
_Static_assert(sizeof(struct tt_fast_ring) == 128, "fast ring header layout");

/*
 * Everything the recorder needs to find its way in the memory is kept here, not read back from
 * the header, which the processes could overwrite.
 */
struct tt_fast {
	int fd;
	char *shm_path;          /* a process met running opens this (unlinked at free) */
	unsigned char *base;
	size_t map_sz;
	struct tt_fast_hdr *hdr;
	uint32_t ring_cnt, id_limit;
	uint64_t ring_data_sz, ring_stride, rings_off, spill_off, data_off;
	uint8_t *offered;        /* [id_limit]: probe ids the table offers */
	uint8_t *abandoned;      /* [ring_cnt]: framing broken, no longer read */
	uint32_t *ring_pid;      /* [ring_cnt]: the owner, as read once the ring was claimed */
	uint64_t *lost_seen;     /* [(ring_cnt + 1) * id_limit]: losses reported, the spill last */
	uint64_t rejected;
	uint32_t abandoned_cnt;
	uint8_t rec[TT_RING_REC_MAX]; /* the record being handed on, copied out */
};

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~(uint64_t)((a) - 1))

/* A provider or probe name that does not fit the table (with its NUL). */
static int name_bad(const char *name)
{
	return !name || strnlen(name, TT_FAST_NAME_SZ) >= TT_FAST_NAME_SZ;
}

static struct tt_fast_ring *ring_at(const struct tt_fast *f, uint32_t i)
{
	return (struct tt_fast_ring *)(f->base + f->rings_off + (uint64_t)i * f->ring_stride);
}

static struct tt_fast_loss *losses_of(const struct tt_fast *f, uint32_t i)
{
	if (i == f->ring_cnt) /* the spill array */
		return (struct tt_fast_loss *)(f->base + f->spill_off);
	return (struct tt_fast_loss *)((unsigned char *)ring_at(f, i) + sizeof(struct tt_fast_ring));
}

struct tt_fast *tt_fast__new(void)
{
	struct tt_fast *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return NULL;
	f->base = MAP_FAILED;
	/* Not close-on-exec: the command inherits it. */
	f->fd = memfd_create("tracetape-fastpath", 0);
	if (f->fd < 0) {
		err = errno;
		free(f);
		errno = err;
		return NULL;
	}
	return f;
}

/* A process already running: TT_FAST_SHM_PREFIX + pid, for its user alone. */
struct tt_fast *tt_fast__new_for(pid_t pid)
{
	struct tt_fast *f = calloc(1, sizeof(*f));
	char proc[32];
	struct stat st;
	int err;

	if (!f)
		return NULL;
	f->base = MAP_FAILED;
	f->fd = -1;
	snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	if (stat(proc, &st) != 0 || asprintf(&f->shm_path, "%s%d", TT_FAST_SHM_PREFIX, (int)pid) < 0) {
		err = errno;
		goto fail;
	}
	for (int tries = 0; tries < 2 && f->fd < 0; tries++) {
		struct tt_fast_hdr h;
		int fd;

		f->fd = open(f->shm_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f->fd >= 0 || errno != EEXIST || tries)
			break;
		/* one left by a recorder that was killed goes; a live recorder's stays */
		fd = open(f->shm_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			break;
		if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && h.magic == TT_FAST_MAGIC &&
		    h.recorder_pid && kill((pid_t)h.recorder_pid, 0) != 0 && errno == ESRCH)
			unlink(f->shm_path);
		close(fd);
		errno = EEXIST;
	}
	if (f->fd < 0) {
		err = errno;
		goto fail;
	}
	if (fchown(f->fd, st.st_uid, st.st_gid) != 0) {
		err = errno;
		unlink(f->shm_path);
		goto fail;
	}
	return f;
fail:
	if (f->fd >= 0)
		close(f->fd);
	free(f->shm_path);
	free(f);
	errno = err;
	return NULL;
}

const char *tt_fast__shm_path(const struct tt_fast *f)
{
	return f->shm_path;
}

int tt_fast__setup(struct tt_fast *f, const struct tt_fast_offer *offers, size_t offer_cnt,
		   uint32_t id_limit, uint32_t strlen_max, uint32_t ring_cnt, uint64_t ring_data_sz)
{
	struct tt_fast_hdr *h;
	struct tt_fast_probe *tab;
	uint64_t table_off = 4096, spill_off, rings_off, stride, total;

	if (f->base != MAP_FAILED || !id_limit || !ring_cnt || ring_cnt > 4096 ||
	    strlen_max > TT_STRLEN_MAX || ring_data_sz < 2 * TT_RING_REC_MAX ||
	    ring_data_sz > (1ull << 30) || (ring_data_sz & (ring_data_sz - 1)) ||
	    offer_cnt > id_limit || id_limit > (1u << 20))
		return -EINVAL;
	for (size_t i = 0; i < offer_cnt; i++)
		if (offers[i].probe_id >= id_limit || offers[i].argc > TT_MAX_ARGS ||
		    name_bad(offers[i].provider) || name_bad(offers[i].name))
			return -EINVAL;
	spill_off = ALIGN_UP(table_off + offer_cnt * sizeof(*tab), 4096);
	rings_off = ALIGN_UP(spill_off + (uint64_t)id_limit * sizeof(struct tt_fast_loss), 4096);
	stride = TT_FAST_RING_DATA_OFF(id_limit) + ring_data_sz;
	total = rings_off + (uint64_t)ring_cnt * stride;

	f->offered = calloc(id_limit, 1);
	f->abandoned = calloc(ring_cnt, 1);
	f->ring_pid = calloc(ring_cnt, sizeof(*f->ring_pid));
	f->lost_seen = calloc(((size_t)ring_cnt + 1) * id_limit, sizeof(*f->lost_seen));
	if (!f->offered || !f->abandoned || !f->ring_pid || !f->lost_seen)
		return -ENOMEM;
	if (ftruncate(f->fd, (off_t)total) != 0)
		return -errno;
	f->base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	if (f->base == MAP_FAILED)
		return -errno;
	f->map_sz = total;
	f->ring_cnt = ring_cnt;
	f->id_limit = id_limit;
	f->ring_data_sz = ring_data_sz;
	f->ring_stride = stride;
	f->rings_off = rings_off;
	f->spill_off = spill_off;
	f->data_off = TT_FAST_RING_DATA_OFF(id_limit);

	tab = (struct tt_fast_probe *)(f->base + table_off);
	for (size_t i = 0; i < offer_cnt; i++) {
		const struct tt_fast_offer *o = &offers[i];

		tab[i].probe_id = o->probe_id;
		tab[i].argc = o->argc;
		tab[i].str_mask = o->str_mask;
		tab[i].dev_major = o->dev_major;
		tab[i].dev_minor = o->dev_minor;
		tab[i].ino = o->ino;
		memcpy(tab[i].provider, o->provider, strlen(o->provider) + 1);
		memcpy(tab[i].name, o->name, strlen(o->name) + 1);
		f->offered[o->probe_id] = 1;
	}
	h = f->hdr = (struct tt_fast_hdr *)f->base;
	h->version = TT_FAST_VERSION;
	h->hdr_sz = sizeof(*h);
	h->probe_cnt = (uint32_t)offer_cnt;
	h->id_limit = id_limit;
	h->ring_cnt = ring_cnt;
	h->strlen = strlen_max;
	h->ring_data_sz = ring_data_sz;
	h->ring_stride = stride;
	h->table_off = table_off;
	h->spill_off = spill_off;
	h->rings_off = rings_off;
	h->map_sz = total;
	h->recorder_pid = (uint32_t)getpid();
	__atomic_store_n(&h->magic, TT_FAST_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

int tt_fast__fd(const struct tt_fast *f)
{
	return f->fd;
}

/*
 * Drain ring i. The owner's pid is read once, when the ring is first seen claimed; every
 * record must carry it. Positions are read with acquire (the producer publishes the head with
 * release after writing the record) and the tail is published once per drain.
 */
static long drain_ring(struct tt_fast *f, uint32_t i, tt_fast_rec_cb cb, void *ctx)
{
	struct tt_fast_ring *r = ring_at(f, i);
	const unsigned char *data = (const unsigned char *)r + f->data_off;
	uint64_t mask = f->ring_data_sz - 1, head, tail;
	long n = 0;

	if (f->abandoned[i])
		return 0;
	if (!f->ring_pid[i]) {
		f->ring_pid[i] = __atomic_load_n(&r->pid, __ATOMIC_ACQUIRE);
		if (!f->ring_pid[i])
			return 0;
	}
	tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED); /* only the recorder writes it */
	head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	if (head < tail || head - tail > f->ring_data_sz)
		goto broken;
	while (tail < head) {
		uint64_t off = tail & mask, room = f->ring_data_sz - off, step;
		struct tt_fast_rec h;

		memcpy(&h, data + off, 4); /* type and size: a pad has nothing more */
		if (h.type == TT_FAST_REC_PAD) {
			if (h.size != room || room > head - tail)
				goto broken;
			tail += room;
			continue;
		}
		step = ALIGN_UP((uint64_t)h.size, 8);
		if (h.size < offsetof(struct tt_fast_rec, args) || step > room ||
		    step > head - tail)
			goto broken;
		memcpy(f->rec, data + off, h.size);
		tail += step;
		memcpy(&h, f->rec, offsetof(struct tt_fast_rec, args));
		/* Only probe hits of offered probes, from the ring's own process, on a CPU the
		 * tape can name. */
		if (h.type != TT_FAST_REC_ARGS || h.probe_id >= f->id_limit ||
		    !f->offered[h.probe_id] || h.pid != f->ring_pid[i] || h.cpu >= TT_TAPE_CPU_MAX) {
			f->rejected++;
			continue;
		}
		n++;
		if (cb(ctx, f->rec, h.size))
			break;
	}
	__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
	return n;
broken:
	f->abandoned[i] = 1;
	f->abandoned_cnt++;
	return n;
}

long tt_fast__consume(struct tt_fast *f, tt_fast_rec_cb cb, void *ctx)
{
	uint32_t used = f->hdr ? tt_fast__rings_used(f) : 0;
	long n = 0;

	for (uint32_t i = 0; i < used; i++)
		n += drain_ring(f, i, cb, ctx);
	return n;
}

void tt_fast__harvest(struct tt_fast *f, tt_fast_loss_cb cb, void *ctx)
{
	uint32_t used = f->hdr ? tt_fast__rings_used(f) : 0;

	for (uint32_t i = 0; f->hdr && i <= f->ring_cnt; i++) {
		const struct tt_fast_loss *l;

		if (i < f->ring_cnt && (i >= used || f->abandoned[i]))
			continue;
		l = losses_of(f, i);
		for (uint32_t id = 0; id < f->id_limit; id++) {
			uint64_t *seen = &f->lost_seen[(size_t)i * f->id_limit + id];
			uint64_t lost = __atomic_load_n(&l[id].lost, __ATOMIC_RELAXED);

			/* A count that went down, or a probe never offered, was scribbled on. */
			if (lost <= *seen || !f->offered[id])
				continue;
			cb(ctx, id, lost - *seen, __atomic_load_n(&l[id].last_ts_ns, __ATOMIC_RELAXED));
			*seen = lost;
		}
	}
}

void tt_fast__stop(struct tt_fast *f)
{
	if (f && f->hdr)
		__atomic_store_n(&f->hdr->stop, 1, __ATOMIC_RELEASE);
}

uint32_t tt_fast__attached(const struct tt_fast *f)
{
	return f->hdr ? __atomic_load_n(&f->hdr->attached, __ATOMIC_RELAXED) : 0;
}

uint32_t tt_fast__rings_used(const struct tt_fast *f)
{
	uint32_t n = f->hdr ? __atomic_load_n(&f->hdr->rings_claimed, __ATOMIC_ACQUIRE) : 0;

	return TT_MIN(n, f->ring_cnt);
}

uint64_t tt_fast__rejected(const struct tt_fast *f)
{
	return f->rejected;
}

uint32_t tt_fast__rings_abandoned(const struct tt_fast *f)
{
	return f->abandoned_cnt;
}

void tt_fast__free(struct tt_fast *f)
{
	if (!f)
		return;
	if (f->base != MAP_FAILED)
		munmap(f->base, f->map_sz);
	if (f->fd >= 0)
		close(f->fd);
	if (f->shm_path)
		unlink(f->shm_path);
	free(f->shm_path);
	free(f->offered);
	free(f->abandoned);
	free(f->ring_pid);
	free(f->lost_seen);
	free(f);
}

int tt_fast_binary_capable(const char *path)
{
	struct tt_elf *elf = tt_elf__open(path);
	const uint8_t *data;
	size_t size;
	uint64_t addr;
	int found;

	if (!elf)
		return -errno;
	found = tt_elf__section(elf, "tt_fast", &data, &size, &addr) == 0 && size > 0;
	tt_elf__free(elf);
	return found;
}

/*
 * Where the byte at file offset off of the file (dev, ino) is mapped in pid: 0 when it is
 * not (or maps cannot be read).
 */
static uint64_t mapped_at(pid_t pid, uint64_t dev, uint64_t ino, uint64_t off)
{
	char path[64], line[1024];
	uint64_t addr = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!addr && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, pgoff, i;
		unsigned ma, mi;

		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &lo, &hi, &pgoff, &ma, &mi, &i) ==
			    6 &&
		    ma == major(dev) && mi == minor(dev) && i == ino && off >= pgoff &&
		    off - pgoff < hi - lo)
			addr = lo + (off - pgoff);
	}
	fclose(f);
	return addr;
}

int tt_fast_mark_sites(pid_t pid, const char *path, uint64_t dev, uint64_t ino, uint32_t value)
{
	struct tt_elf *elf = tt_elf__open(path);
	const uint8_t *data;
	size_t size, n = 0;
	uint64_t vaddr, off, addr;
	char mem[64];
	int fd, err = 0;

	if (!elf)
		return -errno;
	err = tt_elf__section(elf, "tt_fast", &data, &size, &vaddr);
	if (!err)
		err = tt_elf__vaddr_to_offset(elf, vaddr, &off);
	tt_elf__free(elf);
	if (err)
		return err;
	if (size % 32) /* the blocks of struct __tt_fast_site, 32 bytes each */
		return -EINVAL;
	addr = mapped_at(pid, dev, ino, off);
	if (!addr)
		return -ENOENT;
	snprintf(mem, sizeof(mem), "/proc/%d/mem", (int)pid);
	fd = open(mem, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (; n < size / 32; n++)
		if (pwrite(fd, &value, sizeof(value), (off_t)(addr + 32 * n)) != (ssize_t)sizeof(value)) {
			err = errno ? -errno : -EIO;
			break;
		}
	close(fd);
	return err ? err : (int)n;
}
