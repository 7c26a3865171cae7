/* SPDX-License-Identifier: MIT */
/*
 * The recorder's side of the trap-free path (`record --fast`; the process's side and the memory
 * layout are sdk/include/tracetape/fastpath.h). A struct tt_fast owns a memfd that holds a
 * header, the table of the probes offered to the fast path, spill loss counters, and one ring
 * per thread of the traced processes. The session creates it before the command starts (the
 * descriptor is inherited, its number passed in TT_FASTPATH_FD), drains the rings alongside
 * the BPF ring, turns the loss counters into loss records, and sets `stop` when it ends.
 *
 * The memory is written by the traced processes, so nothing read from it is trusted: each
 * record is copied out before it is looked at, its framing is checked against the ring (size,
 * alignment, no wrap, no more than was published), and only probe hits of a probe the table
 * offered, from the process that claimed the ring, are handed on, where the ring decoder
 * checks them as it checks BPF records. A ring whose framing is broken is abandoned (counted);
 * the others go on.
 */
#ifndef TT_FASTPATH_H
#define TT_FASTPATH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracetape/fastpath.h" /* the layout, TT_FAST_ENV */

struct tt_fast;

/* A probe offered to the fast path (strings borrowed). */
struct tt_fast_offer {
	uint32_t probe_id;
	uint8_t argc;
	uint16_t str_mask;
	uint32_t dev_major, dev_minor; /* the binary with its sites */
	uint64_t ino;
	const char *provider, *name;
};

/* Rings: one per thread of the traced processes, claimed at its first hit, never reused. */
#define TT_FAST_RINGS 64

/*
 * Create the memfd (inheritable, not close-on-exec), empty: created before the command is
 * forked, so that the command has it, and set up once the probes are known. Returns the
 * object, or NULL with errno set.
 */
struct tt_fast *tt_fast__new(void);

/*
 * For a process already running (record --fast -p PID): the memory is the file
 * TT_FAST_SHM_PREFIX + pid, created exclusively (one left by a recorder that died is replaced),
 * owned by the process's user, mode 0600, unlinked by tt_fast__free(). The process opens it
 * when a site the recorder marked (tt_fast_mark_sites) is hit. NULL with errno set (EEXIST:
 * another recorder's).
 */
struct tt_fast *tt_fast__new_for(pid_t pid);
/* That file's name (NULL for a memfd). */
const char *tt_fast__shm_path(const struct tt_fast *f);

/*
 * Size, map and fill the memfd: probes [0, id_limit), the offers (the probes the fast path
 * records), the string limit, ring_cnt rings of ring_data_sz bytes (a power of two, at least
 * two of the largest records). Call once. Returns 0, -EINVAL (a bad size, a probe id >=
 * id_limit, a name that does not fit the table) or -errno.
 */
int tt_fast__setup(struct tt_fast *f, const struct tt_fast_offer *offers, size_t offer_cnt,
		   uint32_t id_limit, uint32_t strlen_max, uint32_t ring_cnt, uint64_t ring_data_sz);

/* The memfd's descriptor, for the command's environment (owned by f). */
int tt_fast__fd(const struct tt_fast *f);

/*
 * One record handed on by tt_fast__consume(): size bytes at data (a copy, valid during the
 * call), a probe hit of an offered probe. Nonzero stops the drain.
 */
typedef int (*tt_fast_rec_cb)(void *ctx, void *data, size_t size);

/* Hand on every published record of every ring. Returns the records handed on. */
long tt_fast__consume(struct tt_fast *f, tt_fast_rec_cb cb, void *ctx);

/* One loss delta: count more hits of probe_id lost, the latest at last_ts_ns. */
typedef void (*tt_fast_loss_cb)(void *ctx, uint32_t probe_id, uint64_t count,
				uint64_t last_ts_ns);

/* Report the losses counted since the last call (per ring and probe, and spilled). */
void tt_fast__harvest(struct tt_fast *f, tt_fast_loss_cb cb, void *ctx);

/* Tell the processes that the recording is over: their next hits switch the sites off. */
void tt_fast__stop(struct tt_fast *f);

/* Binaries that switched sites on; rings claimed; records and rings rejected as malformed. */
uint32_t tt_fast__attached(const struct tt_fast *f);
uint32_t tt_fast__rings_used(const struct tt_fast *f);
uint64_t tt_fast__rejected(const struct tt_fast *f);
uint32_t tt_fast__rings_abandoned(const struct tt_fast *f);

/* Unmap and close; accepts NULL. */
void tt_fast__free(struct tt_fast *f);

/*
 * Whether the ELF file at path was built with -DTT_FASTPATH (it has a tt_fast section).
 * Returns 1, 0, or -errno when it cannot be read.
 */
int tt_fast_binary_capable(const char *path);

/*
 * Write value into the `on` word of every fast-path site of the binary at path (dev, ino) as
 * process pid maps it, through /proc/PID/mem: TT_FAST_ADOPT asks the process to map the
 * memory of tt_fast__new_for() at the site's next hit, 0 switches the sites off. Returns the
 * sites written, or -errno (-ENOENT: the binary has no sites or is not mapped there).
 */
int tt_fast_mark_sites(pid_t pid, const char *path, uint64_t dev, uint64_t ino, uint32_t value);

#endif /* TT_FASTPATH_H */
