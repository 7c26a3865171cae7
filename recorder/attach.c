/* SPDX-License-Identifier: MIT */
/* uprobe-multi links and BPF argument specs for USDT sites (see attach.h). */
#include <asm/ptrace.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>

#include "attach.h"
#include "tt_error.h"

/*
 * BPF_LINK_CREATE's attr for uprobe-multi as the kernel defines it (6.6+); Debian's UAPI headers
 * predate the member, so it is spelled out here. Unused trailing bytes must be zero.
 */
struct uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
	__u32 pad;
};

_Static_assert(offsetof(struct uprobe_multi_attr, cnt) == 48, "uprobe_multi attr layout");

int tt_attach_uprobe_multi(int prog_fd, const char *path, const uint64_t *offsets,
			   const uint64_t *ref_ctr_offsets, const uint64_t *cookies, uint32_t cnt,
			   uint32_t pid)
{
	struct uprobe_multi_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (__u32)prog_fd;
	attr.attach_type = TT_BPF_TRACE_UPROBE_MULTI;
	attr.path = (__u64)(unsigned long)path;
	attr.offsets = (__u64)(unsigned long)offsets;
	attr.ref_ctr_offsets = (__u64)(unsigned long)ref_ctr_offsets;
	attr.cookies = (__u64)(unsigned long)cookies;
	attr.cnt = cnt;
	attr.pid = pid;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* ---- the per-site way: perf events ---- */

#define UPROBE_PMU_DIR "/sys/bus/event_source/devices/uprobe/"

/* A small decimal number from a sysfs file, or a negative errno. */
static long read_sysfs_num(const char *path, const char *prefix)
{
	char buf[64], *end;
	size_t plen = strlen(prefix);
	FILE *f = fopen(path, "re");
	long v;

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f) || strncmp(buf, prefix, plen)) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	errno = 0;
	v = strtol(buf + plen, &end, 10);
	if (errno || end == buf + plen || v < 0)
		return -EINVAL;
	return v;
}

int tt_uprobe_perf_open(const char *path, uint64_t offset, uint64_t ref_ctr_off)
{
	static long type = -1, ref_shift = -1;
	struct perf_event_attr attr;
	int fd;

	if (type < 0)
		type = read_sysfs_num(UPROBE_PMU_DIR "type", "");
	if (type < 0)
		return (int)type;
	if (ref_ctr_off && ref_shift < 0) {
		/* "config:32-63": the bit where config takes the semaphore's offset. */
		ref_shift = read_sysfs_num(UPROBE_PMU_DIR "format/ref_ctr_offset", "config:");
		if (ref_shift < 0)
			return (int)ref_shift;
	}
	if (ref_ctr_off && (ref_shift >= 64 || ref_ctr_off >> (64 - ref_shift)))
		return -E2BIG;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = (__u32)type;
	attr.config1 = (__u64)(unsigned long)path; /* uprobe_path */
	attr.config2 = offset;                     /* probe_offset */
	attr.config = ref_ctr_off ? ref_ctr_off << ref_shift : 0;
	/* pid -1 with cpu 0: every process; a BPF program runs on every CPU regardless. */
	fd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int tt_attach_perf_link(int prog_fd, int perf_fd, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .perf_event.bpf_cookie = cookie);
	int fd = bpf_link_create(prog_fd, perf_fd, BPF_PERF_EVENT, &o);

	return fd < 0 ? -errno : fd;
}

/* Room for n more descriptors: raise the soft RLIMIT_NOFILE toward the hard one if needed. */
static int ensure_fds(size_t n)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	/* The recorder's other descriptors (binaries, maps, tape, tracepoint links) fit in the
	 * 1024 that every default limit allows; these come on top. */
	want = (rlim_t)n + 1024;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
			return -EMFILE;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
	}
	return 0;
}

/* Keep link fd and the perf event pfd under it (-1: none) in l. */
static int links_push(struct tt_links *l, int fd, int pfd)
{
	if (l->perf_cnt == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		int *n = realloc(l->fds, cap * sizeof(*n)), *p;

		if (!n)
			return -ENOMEM;
		l->fds = n;
		p = realloc(l->perf_fds, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->perf_fds = p;
		l->cap = cap;
	}
	if (l->cnt != l->perf_cnt) /* links were dropped: l is being closed */
		return -EINVAL;
	l->fds[l->cnt++] = fd;
	l->perf_fds[l->perf_cnt++] = pfd;
	return 0;
}

int tt_links__add_uprobes(struct tt_links *l, int multi, int prog_fd, const char *path,
			  const uint64_t *offsets, const uint64_t *ref_ctr_offsets,
			  const uint64_t *cookies, size_t cnt)
{
	int fd, err;

	if (multi) {
		fd = tt_attach_uprobe_multi(prog_fd, path, offsets, ref_ctr_offsets, cookies,
					    (uint32_t)cnt, 0);
		if (fd < 0)
			return fd;
		err = links_push(l, fd, -1);
		if (err)
			close(fd);
		return err;
	}
	err = ensure_fds(2 * (l->cnt + cnt));
	if (err)
		return err;
	for (size_t i = 0; i < cnt; i++) {
		int pfd = tt_uprobe_perf_open(path, offsets[i], ref_ctr_offsets ? ref_ctr_offsets[i] : 0);

		if (pfd < 0)
			return pfd;
		fd = tt_attach_perf_link(prog_fd, pfd, cookies[i]);
		if (fd < 0) {
			close(pfd);
			return fd;
		}
		err = links_push(l, fd, pfd);
		if (err) {
			close(fd);
			close(pfd);
			return err;
		}
		l->slow_cnt++;
	}
	return 0;
}

int tt_links__add_tracepoint(struct tt_links *l, int prog_fd, uint32_t tp_id, uint64_t cookie)
{
	struct perf_event_attr attr;
	int pfd, fd, err;

	err = ensure_fds(2 * (l->cnt + 1));
	if (err)
		return err;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = tp_id;
	pfd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	fd = tt_attach_perf_link(prog_fd, pfd, cookie);
	if (fd < 0) {
		close(pfd);
		return fd;
	}
	err = links_push(l, fd, pfd);
	if (err) {
		close(fd);
		close(pfd);
		return err;
	}
	l->slow_cnt++;
	return 0;
}

void tt_links__close(struct tt_links *l)
{
	for (size_t i = 0; i < l->perf_cnt; i++) {
		if (i < l->cnt)
			close(l->fds[i]);
		if (l->perf_fds[i] >= 0)
			close(l->perf_fds[i]);
	}
	free(l->fds);
	free(l->perf_fds);
	memset(l, 0, sizeof(*l));
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Close every descriptor but the n in keep (negative ones are no descriptors): standard
 * output and error too, so that nobody reading them waits for this process. */
static void close_all_but(int *keep, size_t n)
{
	unsigned next = 0;

	qsort(keep, n, sizeof(*keep), cmp_int);
	for (size_t i = 0; i <= n; i++) {
		unsigned upto = i < n ? (unsigned)keep[i] : ~0U;

		if (i < n && keep[i] < 0)
			continue;
		if (upto > next)
			close_range(next, upto - 1, 0);
		if (i < n && upto + 1 > next)
			next = upto + 1;
	}
}

/* The process-wide part of becoming a tt-detach child. */
static void become_detacher(void)
{
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "tt-detach", 0, 0, 0);
}

/*
 * The second tt-detach: for each link the first one reports closed (one byte on from), close
 * the perf event under it, which is then the last reference: its unregistering wait happens
 * here while the first child already waits on the next link. When from reaches its end (the
 * first child is done or gone), close the rest at once.
 */
static void close_perf_events(const struct tt_links *l, int from)
{
	char c;

	for (size_t i = 0; i < l->perf_cnt; i++) {
		if (i < l->cnt && read(from, &c, 1) != 1)
			from = -1; /* nothing more will come: stop waiting */
		if (l->perf_fds[i] >= 0)
			close(l->perf_fds[i]);
	}
}

int tt_links__close_in_background(struct tt_links *l)
{
	size_t n = l->cnt + l->perf_cnt;
	int *keep = malloc((n + 1) * sizeof(*keep));
	int pipe_fd[2];
	pid_t child, second;

	if (!keep)
		return -ENOMEM;
	child = fork();
	if (child < 0) {
		free(keep);
		return -errno;
	}
	if (child == 0) {
		/* Keep the links and events only: the caller's files (a tape, a pipe) must not
		 * stay open. */
		memcpy(keep, l->fds, l->cnt * sizeof(*keep));
		memcpy(keep + l->cnt, l->perf_fds, l->perf_cnt * sizeof(*keep));
		close_all_but(keep, n);
		setsid();
		become_detacher();
		second = pipe2(pipe_fd, O_CLOEXEC) == 0 ? fork() : -1;
		if (second == 0) {
			for (size_t i = 0; i < l->cnt; i++)
				close(l->fds[i]); /* the first child holds them */
			close(pipe_fd[1]);
			close_perf_events(l, pipe_fd[0]);
			_exit(0);
		}
		if (second > 0) {
			close(pipe_fd[0]);
			for (size_t i = 0; i < l->perf_cnt; i++)
				if (l->perf_fds[i] >= 0)
					close(l->perf_fds[i]); /* the second child holds them */
		}
		for (size_t i = 0; i < l->cnt; i++) {
			close(l->fds[i]);
			if (second > 0 && write(pipe_fd[1], "", 1) != 1)
				second = -1; /* it is gone: its events were closed as it exited */
		}
		if (second > 0) { /* done when the last event is: whoever waits for us waits for it */
			close(pipe_fd[1]);
			waitpid(second, NULL, 0);
		}
		_exit(0); /* without a second child, the events are closed here */
	}
	free(keep);
	/* Ours are copies now: closing them releases nothing until the children close theirs. */
	tt_links__close(l);
	return child;
}

uint64_t tt_extend_value(uint64_t v, unsigned size, int is_signed)
{
	unsigned shift;

	if (size == 0 || size >= 8)
		return v;
	shift = 64 - 8 * size;
	if (is_signed)
		return (uint64_t)((int64_t)(v << shift) >> shift);
	return (v << shift) >> shift;
}

uint16_t tt_reg_pt_regs_off(enum tt_reg r)
{
	static const uint16_t offs[TT_REG_CNT] = {
		[TT_REG_RAX] = offsetof(struct pt_regs, rax),
		[TT_REG_RBX] = offsetof(struct pt_regs, rbx),
		[TT_REG_RCX] = offsetof(struct pt_regs, rcx),
		[TT_REG_RDX] = offsetof(struct pt_regs, rdx),
		[TT_REG_RSI] = offsetof(struct pt_regs, rsi),
		[TT_REG_RDI] = offsetof(struct pt_regs, rdi),
		[TT_REG_RBP] = offsetof(struct pt_regs, rbp),
		[TT_REG_RSP] = offsetof(struct pt_regs, rsp),
		[TT_REG_R8] = offsetof(struct pt_regs, r8),
		[TT_REG_R9] = offsetof(struct pt_regs, r9),
		[TT_REG_R10] = offsetof(struct pt_regs, r10),
		[TT_REG_R11] = offsetof(struct pt_regs, r11),
		[TT_REG_R12] = offsetof(struct pt_regs, r12),
		[TT_REG_R13] = offsetof(struct pt_regs, r13),
		[TT_REG_R14] = offsetof(struct pt_regs, r14),
		[TT_REG_R15] = offsetof(struct pt_regs, r15),
		[TT_REG_RIP] = offsetof(struct pt_regs, rip),
	};

	return (unsigned)r < TT_REG_CNT ? offs[r] : 0;
}

int tt_bpf_site_from_usdt(const struct tt_usdt_site *site, uint32_t probe_id,
			  const uint8_t kinds[TT_MAX_ARGS], struct tt_bpf_site *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	out->probe_id = probe_id;
	out->argc = site->argc;
	if (site->spec_err) {
		*why = "its argument string could not be parsed";
		return -TT_E_BAD_SPEC;
	}
	for (unsigned i = 0; i < site->argc; i++) {
		const struct tt_usdt_arg *u = &site->args[i];
		struct tt_bpf_arg *a = &out->args[i];

		unsigned cls = TT_KIND_CLASS(kinds[i]);
		/* The kind's sign where it has one (a provider file may declare what the spec
		 * leaves open), else the spec's. */
		int is_signed = cls == TT_CLASS_SINT || (cls != TT_CLASS_UINT && u->is_signed);

		a->size = u->size;
		a->scale = u->scale ? u->scale : 1;
		a->disp = u->value;
		if (is_signed)
			a->flags |= TT_BPF_ARG_SIGNED;
		if (cls == TT_CLASS_STR || cls == TT_CLASS_CXXNAME) {
			a->flags |= TT_BPF_ARG_STR;
			out->flags |= TT_BPF_SITE_STRS;
		}
		switch (u->loc) {
		case TT_LOC_CONST:
			/* gcc writes an unsigned constant's bit pattern as a signed number
			 * (`1@$-6` for (uint8_t)250): truncate and extend it by the spec's size
			 * and sign, as every other location is. */
			a->loc = TT_BPF_LOC_CONST;
			a->disp = (int64_t)tt_extend_value((uint64_t)u->value, u->size, is_signed);
			break;
		case TT_LOC_REG:
			a->loc = TT_BPF_LOC_REG;
			a->base_off = tt_reg_pt_regs_off(u->base);
			break;
		case TT_LOC_MEM:
			a->loc = TT_BPF_LOC_MEM;
			if (u->base == TT_REG_RIP) {
				/* disp(%rip) is relative to the next instruction; the probe site is a
				 * 1-byte nop and regs->ip holds the site's address at the handler
				 * (verified on 6.18). */
				a->disp = u->value + 1;
			}
			if (u->sym) {
				/* sym(%reg) in code that is not PIC: the symbol's link-time address;
				 * %fs:sym@tpoff: the thread-local variable's offset */
				if (!u->sym_found) {
					*why = u->tpoff ? "it reads a thread-local variable that is not in "
							  "the file's symbol tables" :
							  "it reads a symbol that is not in the file's symbol "
							  "tables";
					return -TT_E_BAD_SPEC;
				}
				a->disp = (int64_t)u->sym_vaddr;
			}
			if (u->fs) {
				a->flags |= TT_BPF_ARG_FS;
				out->flags |= TT_BPF_SITE_TLS;
			}
			if (u->base != TT_REG_NONE) {
				a->flags |= TT_BPF_ARG_BASE;
				a->base_off = tt_reg_pt_regs_off(u->base);
			}
			if (u->index != TT_REG_NONE) {
				a->flags |= TT_BPF_ARG_INDEX;
				a->index_off = tt_reg_pt_regs_off(u->index);
			}
			break;
		case TT_LOC_SYM_ADDR:
			if (!u->sym_found) {
				*why = "it passes the address of a symbol that is not in the file's "
				       "symbol tables (a local label such as .LC0: build the probe with "
				       "TT_PROBE_ARG_CONSTRAINT \"nor\" or \"nr\", not \"g\")";
				return -TT_E_BAD_SPEC;
			}
			/* The symbol's runtime address: the site's (regs->ip) plus their distance. */
			a->loc = TT_BPF_LOC_REG;
			a->base_off = tt_reg_pt_regs_off(TT_REG_RIP);
			a->disp = (int64_t)(u->sym_vaddr - site->pc_vaddr);
			break;
		case TT_LOC_RIP_SYM:
			if (!u->sym_found) {
				*why = strncmp(u->sym, ".L", 2) ?
					       "it reads a symbol that is not in the file's symbol tables" :
					       "it reads a local label (a constant the compiler put in "
					       "memory), which is in no symbol table: build the probe with "
					       "TT_PROBE_ARG_CONSTRAINT \"nor\" or \"nr\", not \"rm\"";
				return -TT_E_BAD_SPEC;
			}
			/* The symbol's runtime address is the site's runtime address (regs->ip)
			 * plus their distance in the file. */
			a->loc = TT_BPF_LOC_MEM;
			a->flags |= TT_BPF_ARG_BASE;
			a->base_off = tt_reg_pt_regs_off(TT_REG_RIP);
			a->disp = (int64_t)(u->sym_vaddr - site->pc_vaddr);
			break;
		default:
			*why = "an argument has an unknown location";
			return -TT_E_BAD_SPEC;
		}
	}
	return 0;
}

int tt_bpf_site_set_bytes(const struct tt_usdt_site *site, unsigned arg,
			  const struct tt_provider_str *str, struct tt_bpf_site *out, const char **why)
{
	struct tt_bpf_arg *a;
	const struct tt_usdt_arg *len;

	if (arg >= out->argc || arg >= site->argc) {
		*why = "the string argument is not in the note";
		return -TT_E_BAD_SPEC;
	}
	a = &out->args[arg];
	if (str->form == TT_PROVIDER_STR_DEREF) {
		/* A NUL-terminated string, found by following one or two pointers. */
		if (a->loc == TT_BPF_LOC_CONST) {
			*why = "the object pointer is a constant";
			return -TT_E_BAD_SPEC;
		}
		a->flags |= TT_BPF_ARG_STR | TT_BPF_ARG_DEREF1;
		a->deref_off[0] = str->deref_off[0];
		if (str->deref_cnt > 1) {
			a->flags |= TT_BPF_ARG_DEREF2;
			a->deref_off[1] = str->deref_off[1];
		}
		out->flags |= TT_BPF_SITE_STRS;
		return 0;
	}
	a->flags &= (uint8_t)~TT_BPF_ARG_STR;
	if (str->form == TT_PROVIDER_STR_IN_OBJ) {
		a->len_loc = TT_BPF_LOC_OBJ;
		a->len_disp = str->len_off;
		a->len_size = str->len_size;
		a->len_off = str->data_off;
	} else if (str->form == TT_PROVIDER_STR_LEN_ARG) {
		if (str->len_arg >= site->argc || str->len_arg == arg) {
			*why = "the length argument is not in the note";
			return -TT_E_BAD_SPEC;
		}
		len = &site->args[str->len_arg];
		if (len->is_float || len->reg_shift) {
			*why = "the length argument is a float or a high-byte register";
			return -TT_E_BAD_SPEC;
		}
		a->len_size = len->size;
		switch (len->loc) {
		case TT_LOC_CONST:
			if (len->value < 0 || len->value > INT32_MAX) {
				*why = "the length argument is a negative or huge constant";
				return -TT_E_BAD_SPEC;
			}
			a->len_loc = TT_BPF_LOC_CONST;
			a->len_disp = (int32_t)len->value;
			break;
		case TT_LOC_REG:
			a->len_loc = TT_BPF_LOC_REG;
			a->len_off = tt_reg_pt_regs_off(len->base);
			break;
		case TT_LOC_MEM:
			/* Only base + displacement: BPF reads the length with one register. */
			if (len->base == TT_REG_NONE || len->index != TT_REG_NONE ||
			    len->value < INT32_MIN || len->value > INT32_MAX) {
				*why = "the length argument's location is not a register plus a displacement";
				return -TT_E_BAD_SPEC;
			}
			a->len_loc = TT_BPF_LOC_MEM;
			a->len_off = tt_reg_pt_regs_off(len->base);
			/* As for arguments: disp(%rip) counts from the next instruction, one byte on. */
			a->len_disp = (int32_t)(len->value + (len->base == TT_REG_RIP));
			break;
		case TT_LOC_RIP_SYM:
			if (!len->sym_found) {
				*why = "the length argument reads a symbol that is not in the file";
				return -TT_E_BAD_SPEC;
			}
			a->len_loc = TT_BPF_LOC_MEM;
			a->len_off = tt_reg_pt_regs_off(TT_REG_RIP);
			a->len_disp = (int32_t)(len->sym_vaddr - site->pc_vaddr);
			break;
		default:
			*why = "the length argument has an unknown location";
			return -TT_E_BAD_SPEC;
		}
	} else {
		*why = "no string layout";
		return -TT_E_BAD_SPEC;
	}
	a->flags |= TT_BPF_ARG_BYTES;
	out->flags |= TT_BPF_SITE_STRS;
	return 0;
}

void tt_bpf_site_native_entry(uint32_t probe_id, struct tt_bpf_site *out)
{
	static const enum tt_reg abi[] = {TT_REG_RDI, TT_REG_RSI, TT_REG_RDX,
					  TT_REG_RCX, TT_REG_R8, TT_REG_R9};

	memset(out, 0, sizeof(*out));
	out->probe_id = probe_id;
	out->argc = 6;
	for (unsigned i = 0; i < 6; i++) {
		out->args[i].loc = TT_BPF_LOC_REG;
		out->args[i].size = 8;
		out->args[i].scale = 1;
		out->args[i].base_off = tt_reg_pt_regs_off(abi[i]);
	}
}
