/* SPDX-License-Identifier: MIT */
/*
 * Ring record decoding (see ring_decode.h). Every record is copied into aligned locals before
 * its fields are read: the ring gives 8-byte aligned records, but a check that does not depend
 * on it costs nothing, and the copies are bounded by the sizes checked first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ring_decode.h"
#include "tt_util.h"

/* The fields every probe hit's event takes from its ring record's header. */
static void event_head(struct tt_event *ev, const struct tt_ring_hdr *h)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = h->ts_ns;
	ev->probe_id = h->probe_id;
	ev->pid = h->pid;
	ev->tid = h->tid;
	ev->cpu = h->cpu;
	ev->seq = h->seq;
}

/*
 * A process record (or an exec record: hdr.size says which) into the event of its built-in
 * probe and the process facts. The event has the record's time, thread and CPU (not its seq),
 * and belongs to the parent for a fork.
 */
static int decode_proc(const struct tt_ring_decoder *d, const struct tt_ring_hdr *hdr,
		       const void *data, size_t size, struct tt_ring_rec *rec)
{
	struct tt_ring_exec *exec = &rec->exec;
	const struct tt_ring_proc *p = &exec->proc;
	struct tt_event *ev = &rec->ev;
	int full_exec = 0;

	if (size >= sizeof(*exec) && hdr->size == sizeof(*exec)) {
		memcpy(exec, data, sizeof(*exec));
		full_exec = p->what == TT_PROC_EXEC;
	} else if (size >= sizeof(*p)) {
		memcpy(&exec->proc, data, sizeof(*p));
	} else {
		return -EBADMSG;
	}
	rec->pid = p->hdr.pid;
	rec->proc_what = p->what;
	rec->ppid = p->ppid;
	rec->comm = p->comm;
	rec->comm_len = strnlen(p->comm, sizeof(p->comm));
	if (full_exec) {
		rec->path = exec->path;
		rec->path_len = TT_MIN(exec->path_len, sizeof(exec->path));
		rec->args = exec->args;
		rec->args_len = TT_MIN(exec->args_len, sizeof(exec->args));
	}
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = p->hdr.ts_ns;
	ev->pid = p->hdr.pid;
	ev->tid = p->hdr.tid;
	ev->cpu = p->hdr.cpu;
	switch (p->what) {
	case TT_PROC_FORK:
		ev->probe_id = d->probe_fork;
		ev->pid = ev->tid = p->ppid; /* the event belongs to the parent */
		ev->argc = 2;
		ev->args[0] = p->hdr.pid;
		ev->strs[1] = (struct tt_bytes){(const uint8_t *)rec->comm, (uint32_t)rec->comm_len, 0};
		break;
	case TT_PROC_EXEC:
		ev->probe_id = d->probe_exec;
		ev->argc = 1;
		ev->strs[0] = (struct tt_bytes){(const uint8_t *)rec->comm, (uint32_t)rec->comm_len, 0};
		break;
	case TT_PROC_EXIT:
		ev->probe_id = d->probe_exit;
		ev->argc = 2;
		ev->args[0] = (uint64_t)(int64_t)((p->exit_code >> 8) & 0xff); /* status */
		ev->args[1] = (uint64_t)(p->exit_code & 0x7f);                 /* signal */
		break;
	default:
		return -EBADMSG;
	}
	rec->has_event = ev->probe_id != UINT32_MAX;
	return 0;
}

/* A tracepoint's raw record: one argument, the bytes the kernel laid out. */
static int decode_raw(const struct tt_ring_hdr *hdr, const uint8_t *data, size_t size,
		      struct tt_ring_rec *rec)
{
	struct tt_ring_raw raw;

	if (size < sizeof(raw))
		return -EBADMSG;
	memcpy(&raw, data, sizeof(raw));
	if (raw.len > size - sizeof(raw))
		return -EBADMSG;
	event_head(&rec->ev, hdr);
	rec->ev.argc = 1;
	rec->ev.strs[0] = (struct tt_bytes){data + sizeof(raw), raw.len, 0};
	return 0;
}

/*
 * A probe hit: the slots, then the strings' bytes. A slot of a string argument holds
 * len | flags << 32; a code address (sym_mask) becomes the name of its function.
 */
static int decode_args(const struct tt_ring_decoder *d, const struct tt_ring_hdr *hdr,
		       const uint8_t *data, size_t size, struct tt_ring_rec *rec)
{
	const size_t fixed = offsetof(struct tt_ring_args, args);
	const struct tt_probe_set_probe *p = &d->probes[hdr->probe_id];
	const uint8_t *strs, *end = data + size;
	struct tt_event *ev = &rec->ev;
	struct tt_ring_args ra;

	if (size < fixed)
		return -EBADMSG;
	memcpy(&ra, data, fixed);
	if (ra.argc > TT_MAX_ARGS || size < fixed + 8u * ra.argc)
		return -EBADMSG;
	memcpy(ra.args, data + fixed, 8u * ra.argc);
	strs = data + fixed + 8u * ra.argc;

	event_head(ev, hdr);
	ev->goid = ra.goid;
	ev->fault_mask = ra.fault_mask;
	ev->argc = ra.argc;
	for (unsigned i = 0; i < ra.argc; i++) {
		if (p->sym_mask & (1u << i)) {
			const char *name = d->symbolize ? d->symbolize(d->symbolize_ctx, p, ra.args[i])
							: NULL;

			if (!name) {
				snprintf(rec->hex[i], sizeof(rec->hex[i]), "0x%llx",
					 (unsigned long long)ra.args[i]);
				name = rec->hex[i];
			}
			ev->strs[i] = (struct tt_bytes){(const uint8_t *)name, (uint32_t)strlen(name), 0};
			continue;
		}
		if (!(p->str_mask & (1u << i))) {
			ev->args[i] = ra.args[i];
			continue;
		}
		uint32_t len = (uint32_t)ra.args[i], flags = (uint32_t)(ra.args[i] >> 32);

		if (len > (size_t)(end - strs)) { /* more than the record holds: keep what it does */
			len = (uint32_t)(end - strs);
			flags |= TT_STR_TRUNCATED;
		}
		ev->strs[i] = (struct tt_bytes){strs, len, flags};
		strs += len;
	}
	return 0;
}

int tt_ring_decode(const struct tt_ring_decoder *d, const void *data, size_t size,
		   struct tt_ring_rec *rec)
{
	struct tt_ring_hdr hdr;
	int err;

	rec->has_event = 0;
	rec->proc_what = 0;
	rec->ppid = 0;
	rec->comm = rec->path = rec->args = NULL;
	rec->comm_len = rec->path_len = rec->args_len = 0;
	if (size < sizeof(hdr))
		return -EBADMSG;
	memcpy(&hdr, data, sizeof(hdr));
	if (hdr.type == TT_RING_PROC)
		return decode_proc(d, &hdr, data, size, rec);
	if (hdr.type != TT_RING_ARGS && hdr.type != TT_RING_RAW)
		return -EPROTONOSUPPORT;
	if (hdr.size > size)
		return -EBADMSG;
	if (hdr.probe_id >= d->probe_cnt)
		return -ENOENT;
	if (hdr.type == TT_RING_RAW)
		err = decode_raw(&hdr, data, size, rec);
	else
		err = decode_args(d, &hdr, data, size, rec);
	if (err)
		return err;
	rec->pid = hdr.pid;
	rec->has_event = 1;
	return 0;
}
