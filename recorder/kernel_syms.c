/* SPDX-License-Identifier: MIT */
/* The running kernel's function symbols (kernel_syms.h): /proc/kallsyms sorted by address. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel_syms.h"
#include "tt_util.h"

#define OWNERS_MAX 4096 /* kernel modules named (a kernel has a few hundred at most) */

struct ent {
	uint64_t addr;
	uint32_t name;  /* into names */
	uint32_t owner; /* 0: vmlinux, else owners[owner - 1] */
};

struct tt_ksyms {
	struct ent *ents;
	size_t cnt, cap;
	struct tt_buf names;
	char *owners[OWNERS_MAX];
	uint32_t owner_cnt;
	uint64_t text;
	char vmlinux_bid[41];
};

/* The GNU build id note in a notes file (ELF note records back to back), as hex. */
static int read_build_id(const char *path, char *out, size_t sz)
{
	uint8_t buf[4096];
	ssize_t n;
	size_t at = 0;
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	while (n > 0 && at + 12 <= (size_t)n) {
		uint32_t namesz, descsz, type;
		size_t name_at = at + 12, desc_at, next;

		memcpy(&namesz, buf + at, 4);
		memcpy(&descsz, buf + at + 4, 4);
		memcpy(&type, buf + at + 8, 4);
		desc_at = name_at + ((namesz + 3) & ~3u);
		next = desc_at + ((descsz + 3) & ~3u);
		if (namesz > sizeof(buf) || descsz > sizeof(buf) || next > (size_t)n)
			break;
		if (type == 3 && namesz == 4 && !memcmp(buf + name_at, "GNU", 4) && descsz &&
		    descsz <= 20 && sz >= 2 * descsz + 1) {
			for (uint32_t i = 0; i < descsz; i++)
				snprintf(out + 2 * i, 3, "%02x", buf[desc_at + i]);
			return 0;
		}
		at = next;
	}
	return -1;
}

static uint32_t owner_id(struct tt_ksyms *k, const char *name, size_t len)
{
	for (uint32_t i = k->owner_cnt; i-- > 0;) /* a module's symbols come together */
		if (strlen(k->owners[i]) == len && !memcmp(k->owners[i], name, len))
			return i + 1;
	if (k->owner_cnt == OWNERS_MAX || !(k->owners[k->owner_cnt] = strndup(name, len)))
		return UINT32_MAX;
	return ++k->owner_cnt;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* One line "ADDR TYPE NAME[\t[MODULE]]": functions only (types t T w W). 0, or -ENOMEM. */
static int add_line(struct tt_ksyms *k, char *line, int *nonzero)
{
	char *end, *name, *mod;
	unsigned long long addr = strtoull(line, &end, 16);
	size_t name_len;
	uint32_t owner = 0;
	int err;

	if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ' || !strchr("tTwW", end[1]))
		return 0;
	name = end + 3;
	name_len = strcspn(name, " \t\n");
	mod = name + name_len;
	mod += strspn(mod, " \t");
	if (addr)
		*nonzero = 1;
	if (name_len == 5 && !memcmp(name, "_text", 5) && mod[0] != '[' && !k->text)
		k->text = addr;
	if (mod[0] == '[') {
		size_t len = strcspn(mod + 1, "]");

		owner = owner_id(k, mod + 1, len);
		if (owner == UINT32_MAX)
			return -ENOMEM;
	}
	if (k->names.len > UINT32_MAX - name_len - 1)
		return -ENOMEM;
	err = tt_grow((void **)&k->ents, &k->cap, k->cnt + 1, sizeof(*k->ents));
	if (!err)
		err = tt_buf_append(&k->names, name, name_len);
	if (!err)
		err = tt_buf_append(&k->names, "", 1);
	if (err)
		return err;
	k->ents[k->cnt++] = (struct ent){.addr = addr,
					 .name = (uint32_t)(k->names.len - name_len - 1),
					 .owner = owner};
	return 0;
}

struct tt_ksyms *tt_ksyms__load(const char *kallsyms, const char *notes)
{
	struct tt_ksyms *k = calloc(1, sizeof(*k));
	FILE *f = k ? fopen(kallsyms, "re") : NULL;
	char *line = NULL;
	size_t line_cap = 0;
	int err = 0, nonzero = 0;

	if (!f) {
		err = errno;
		goto fail;
	}
	while (!err && getline(&line, &line_cap, f) > 0)
		err = -add_line(k, line, &nonzero);
	free(line);
	fclose(f);
	if (err)
		goto fail;
	if (!nonzero) {
		err = EPERM;
		goto fail;
	}
	if (!k->text) {
		err = ENOENT;
		goto fail;
	}
	qsort(k->ents, k->cnt, sizeof(*k->ents), ent_cmp);
	if (read_build_id(notes, k->vmlinux_bid, sizeof(k->vmlinux_bid)))
		k->vmlinux_bid[0] = 0;
	return k;
fail:
	tt_ksyms__free(k);
	errno = err;
	return NULL;
}

void tt_ksyms__free(struct tt_ksyms *k)
{
	if (!k)
		return;
	for (uint32_t i = 0; i < k->owner_cnt; i++)
		free(k->owners[i]);
	free(k->ents);
	tt_buf_free(&k->names);
	free(k);
}

int64_t tt_ksyms__find(const struct tt_ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi = k->cnt;

	while (lo < hi) { /* the first entry above addr */
		size_t mid = lo + (hi - lo) / 2;

		if (k->ents[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	/* past the last function of a module (its data, or a gap before the next module) */
	if ((lo == k->cnt || k->ents[lo].owner != k->ents[lo - 1].owner) &&
	    addr - k->ents[lo - 1].addr >= (1u << 20))
		return -1;
	return (int64_t)(lo - 1);
}

void tt_ksyms__sym(const struct tt_ksyms *k, size_t idx, struct tt_ksym *out)
{
	const struct ent *e = &k->ents[idx];

	*out = (struct tt_ksym){
		.addr = e->addr,
		.size = idx + 1 < k->cnt && k->ents[idx + 1].owner == e->owner ?
				k->ents[idx + 1].addr - e->addr : 0,
		.name = (const char *)k->names.data + e->name,
		.owner = e->owner ? k->owners[e->owner - 1] : NULL,
	};
}

size_t tt_ksyms__cnt(const struct tt_ksyms *k)
{
	return k->cnt;
}

uint64_t tt_ksyms__text(const struct tt_ksyms *k)
{
	return k->text;
}

int tt_ksyms__build_id(const struct tt_ksyms *k, const char *owner, char *out, size_t sz)
{
	char path[320];

	if (!owner) {
		if (!k->vmlinux_bid[0] || sz < sizeof(k->vmlinux_bid))
			return -1;
		memcpy(out, k->vmlinux_bid, sizeof(k->vmlinux_bid));
		return 0;
	}
	if (strchr(owner, '/'))
		return -1;
	snprintf(path, sizeof(path), "/sys/module/%s/notes/.note.gnu.build-id", owner);
	return read_build_id(path, out, sz);
}
