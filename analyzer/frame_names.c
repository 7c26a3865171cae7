/* SPDX-License-Identifier: MIT */
/* Names for stack frames (frame_names.h): a cache of the files' symbol tables by (path, build id). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"
#include "elf_syms.h"
#include "frame_names.h"
#include "src_lines.h"
#include "tt_fmt.h"

struct file_ent {
	char *path, *bid;
	struct tt_elf_syms *syms; /* NULL: missing, unreadable or of another build */
	struct tt_src_lines *lines; /* its DWARF line tables, NULL: none (or not yet opened) */
	int lines_tried;
};

struct tt_frame_names {
	struct file_ent *files;
	size_t cnt, cap;
	const char **dirs; /* the debug directories: the caller's, then /usr/lib/debug */
	struct tt_elf_debug debug;
	const struct tt_out *out;
	const char *path; /* the file whose debug file is looked for */
};

/* A debug file found for n->path but not used: said once, as files are opened once. */
static void rejected(void *ctx, const char *debug_file, const char *why)
{
	struct tt_frame_names *n = ctx;

	if (n->out)
		tt_warn(n->out, "%s: not used to name the frames of %s: %s", debug_file, n->path, why);
}

struct tt_frame_names *tt_frame_names__new(const char *const *debug_dirs, size_t dir_cnt,
					   const struct tt_out *out)
{
	struct tt_frame_names *n = calloc(1, sizeof(*n));

	if (!n || !(n->dirs = calloc(dir_cnt + 1, sizeof(*n->dirs)))) {
		free(n);
		return NULL;
	}
	for (size_t i = 0; i < dir_cnt; i++)
		n->dirs[i] = debug_dirs[i];
	n->dirs[dir_cnt] = "/usr/lib/debug";
	n->debug = (struct tt_elf_debug){n->dirs, dir_cnt + 1, rejected, n};
	n->out = out;
	return n;
}

void tt_frame_names__free(struct tt_frame_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->cnt; i++) {
		free(n->files[i].path);
		free(n->files[i].bid);
		tt_elf_syms__free(n->files[i].syms);
		tt_src_lines__free(n->files[i].lines);
	}
	free(n->files);
	free(n->dirs);
	free(n);
}

static struct tt_elf_syms *open_file(struct tt_frame_names *n, const char *path,
				     const char *want)
{
	struct tt_elf_syms *s;

	n->path = path[0] ? path : want;
	s = path[0] ? tt_elf_syms__open_debug(path, &n->debug) : NULL;

	/* another build of the file (upgraded since): its offsets would name the wrong code */
	if (s && want[0] && strcmp(tt_elf_syms__build_id(s), want)) {
		tt_elf_syms__free(s);
		s = NULL;
	}
	if (!s && want[0]) /* its debug file, by build id */
		s = tt_elf_syms__open_build_id(want, &n->debug);
	return s;
}

static struct file_ent *file_for(struct tt_frame_names *n, const struct tt_stack_module *m)
{
	const char *want = m->build_id ? m->build_id : "";
	struct file_ent *f;

	for (size_t i = 0; i < n->cnt; i++) {
		f = &n->files[i];
		if (!strcmp(f->path, m->path) && !strcmp(f->bid, want))
			return f;
	}
	if (tt_grow((void **)&n->files, &n->cap, n->cnt + 1, sizeof(*n->files)))
		return NULL;
	f = &n->files[n->cnt];
	f->path = strdup(m->path);
	f->bid = strdup(want);
	if (!f->path || !f->bid) {
		free(f->path);
		free(f->bid);
		return NULL;
	}
	f->syms = NULL;
	f->lines = NULL;
	f->lines_tried = 0;
	n->cnt++;
	f->syms = open_file(n, m->path, want);
	return f;
}

static struct tt_elf_syms *syms_for(struct tt_frame_names *n, const struct tt_stack_module *m)
{
	struct file_ent *f = file_for(n, m);

	return f ? f->syms : NULL;
}

/* The tape's own symbol of module m (the kernel's) around off, or NULL. */
static const char *tape_sym(const struct tt_stack_module *m, uint64_t off, uint64_t *sym_off)
{
	size_t lo = 0, hi = m->sym_cnt;

	while (lo < hi) { /* the first symbol above off */
		size_t mid = lo + (hi - lo) / 2;

		if (m->syms[mid].offset <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || (m->syms[lo - 1].size && off - m->syms[lo - 1].offset >= m->syms[lo - 1].size))
		return NULL;
	*sym_off = off - m->syms[lo - 1].offset;
	return m->syms[lo - 1].name;
}

char *tt_frame_names__name(struct tt_frame_names *n, const struct tt_stack_module *m,
			   uint64_t off, uint32_t depth, uint64_t *sym_off)
{
	struct tt_elf_syms *s;
	const char *name;

	if (m && m->path[0] == '[') { /* the kernel's: named by the tape, no file to read */
		if (depth && !off)
			return NULL;
		name = tape_sym(m, off - (depth > 0), sym_off);
		if (!name)
			return NULL;
		*sym_off += depth > 0;
		return strdup(name);
	}
	s = m ? syms_for(n, m) : NULL;
	if (!s || (depth && !off))
		return NULL;
	name = tt_elf_syms__lookup(s, off - (depth > 0), sym_off);
	if (!name)
		return NULL;
	*sym_off += depth > 0;
	return tt_demangle(name, strlen(name), NULL);
}

int tt_frame_names__line(struct tt_frame_names *n, const struct tt_stack_module *m,
			 uint64_t off, uint32_t depth, const char **file, int *line)
{
	struct file_ent *f;
	uint64_t addr;

	if (!m || m->path[0] == '[' || (depth && !off))
		return -1;
	f = file_for(n, m);
	if (!f || !f->syms || tt_elf_syms__addr(f->syms, off - (depth > 0), &addr))
		return -1;
	if (!f->lines_tried) { /* the debug file's DWARF, else the file's own (built with -g) */
		const char *dbg = tt_elf_syms__debug_file(f->syms), *self = tt_elf_syms__path(f->syms);

		f->lines_tried = 1;
		f->lines = dbg ? tt_src_lines__open(dbg) : NULL;
		if (!f->lines && self)
			f->lines = tt_src_lines__open(self);
	}
	return tt_src_lines__lookup(f->lines, addr, file, line);
}

static int append_str(struct tt_buf *out, const char *s, int json)
{
	size_t len = strlen(s);
	int err = tt_buf_reserve(out, TT_FMT_STR_MAX(len));
	char *p;

	if (err)
		return err;
	p = (char *)out->data + out->len;
	out->len += (size_t)((json ? tt_fmt_str_json(p, (const uint8_t *)s, len)
				  : tt_fmt_str_text(p, (const uint8_t *)s, len)) - p);
	return 0;
}

static int format(struct tt_frame_names *n, struct tt_tape_reader *r, uint32_t id,
		  struct tt_buf *out, int json)
{
	const struct tt_stack_frame *f;
	uint32_t cnt;
	int err = 0;

	if (tt_tape_reader__stack(r, id, &f, &cnt))
		return -ENOENT;
	if (json)
		err = tt_buf_append(out, "[", 1);
	for (uint32_t d = 0; d < cnt && !err; d++) {
		const struct tt_stack_module *m = tt_tape_reader__stack_module(r, f[d].module);
		const char *path = m && m->path[0] ? m->path : NULL;
		uint64_t sym_off = 0;
		char *name = tt_frame_names__name(n, m, f[d].offset, d, &sym_off);
		const char *file = NULL;
		int line = 0;

		if (tt_frame_names__line(n, m, f[d].offset, d, &file, &line))
			file = NULL;
		if (json) {
			err = tt_buf_append(out, d ? ",{\"symbol\":" : "{\"symbol\":", d ? 11 : 10);
			if (!err)
				err = name ? append_str(out, name, 1) : tt_buf_append(out, "null", 4);
			if (!err)
				err = tt_buf_printf(out, ",\"offset\":%llu,\"module\":",
						    (unsigned long long)f[d].offset);
			if (!err)
				err = path ? append_str(out, path, 1) : tt_buf_append(out, "null", 4);
			if (!err)
				err = tt_buf_append(out, ",\"file\":", 8);
			if (!err)
				err = file ? append_str(out, file, 1) : tt_buf_append(out, "null", 4);
			if (!err)
				err = file ? tt_buf_printf(out, ",\"line\":%d}", line)
					   : tt_buf_append(out, ",\"line\":null}", 13);
		} else {
			if (name)
				err = tt_buf_printf(out, "\t%s+0x%llx", name,
						    (unsigned long long)sym_off);
			else
				err = tt_buf_printf(out, "\t0x%llx", (unsigned long long)f[d].offset);
			if (!err && (path || (m && m->build_id)))
				err = tt_buf_printf(out, " (%s)", path ? path : m->build_id);
			if (!err && file)
				err = tt_buf_printf(out, " %s:%d", file, line);
			if (!err)
				err = tt_buf_append(out, "\n", 1);
		}
		free(name);
	}
	if (json && !err)
		err = tt_buf_append(out, "]", 1);
	return err;
}

int tt_frame_names__text(struct tt_frame_names *n, struct tt_tape_reader *r, uint32_t id,
			 struct tt_buf *out)
{
	return format(n, r, id, out, 0);
}

int tt_frame_names__json(struct tt_frame_names *n, struct tt_tape_reader *r, uint32_t id,
			 struct tt_buf *out)
{
	return format(n, r, id, out, 1);
}
