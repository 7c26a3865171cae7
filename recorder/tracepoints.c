/* SPDX-License-Identifier: MIT */
/* Kernel tracepoints from tracefs (see tracepoints.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracepoints.h"
#include "tt_error.h"
#include "tt_util.h"

int tt_tracepoints_each(const char *tracefs, const char *sys_glob, const char *name_glob,
			int (*fn)(const char *system, const char *name, void *ctx), void *ctx,
			const struct tt_out *out)
{
	char path[PATH_MAX];
	struct dirent *sys, *ev;
	DIR *events, *dir;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/events", tracefs);
	events = opendir(path);
	if (!events) {
		ret = -errno;
		tt_err(out, "cannot list %s: %s", path, strerror(errno));
		return ret;
	}
	while (!ret && (sys = readdir(events))) {
		if (sys->d_name[0] == '.' || !tt_glob_match(sys_glob, sys->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/events/%s", tracefs, sys->d_name);
		dir = opendir(path);
		if (!dir)
			continue;
		while (!ret && (ev = readdir(dir))) {
			char fmt_path[PATH_MAX + NAME_MAX + 16];

			if (ev->d_name[0] == '.' || !tt_glob_match(name_glob, ev->d_name))
				continue;
			snprintf(fmt_path, sizeof(fmt_path), "%s/%s/format", path, ev->d_name);
			if (access(fmt_path, R_OK) != 0)
				continue;
			/* ftrace's own record formats (ftrace:print, ftrace:function, ...) have a
			 * format but no enable file: perf and BPF cannot attach to them. */
			snprintf(fmt_path, sizeof(fmt_path), "%s/%s/enable", path, ev->d_name);
			if (access(fmt_path, R_OK) != 0)
				continue;
			ret = fn(sys->d_name, ev->d_name, ctx);
		}
		closedir(dir);
	}
	closedir(events);
	return ret;
}

/* The whole file at path, NUL-terminated, into *text. 0 or -errno. */
static int read_file(const char *path, char **text)
{
	struct tt_buf b = {0};
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		err = tt_buf_append(&b, chunk, (size_t)n);
		if (err)
			break;
	}
	if (n < 0)
		err = -errno;
	close(fd);
	if (!err)
		err = tt_buf_append(&b, "", 1);
	if (err) {
		tt_buf_free(&b);
		return err;
	}
	*text = (char *)b.data;
	return 0;
}

int tt_tracepoint_load(const char *tracefs, const char *system, const char *name, char **text,
		       struct tt_tp_format **fmt, const struct tt_out *out)
{
	char path[PATH_MAX], msg[256];
	int err;

	*text = NULL;
	*fmt = NULL;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracefs, system, name);
	err = read_file(path, text);
	if (err) {
		tt_err(out, "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	err = tt_tp_format_parse(system, *text, fmt, msg, sizeof(msg));
	if (err) {
		tt_err(out, "%s: %s", path, err == -TT_E_PARSE ? msg : tt_strerror(err));
		free(*text);
		*text = NULL;
		*fmt = NULL;
	}
	return err;
}

/* The thread a scheduler event is about besides the current one, or NULL. */
static const struct tt_tp_field *filter_field(const struct tt_tp_format *fmt)
{
	const struct tt_tp_field *f = tt_tp_format_field(fmt, "next_pid");

	if (!f && !strncmp(fmt->name, "sched_wakeup", 12))
		f = tt_tp_format_field(fmt, "pid");
	return f && f->kind == TT_TPF_INT && f->size == 4 ? f : NULL;
}

void tt_tracepoint_bpf_cfg(const struct tt_tp_format *fmt, uint32_t probe_id, struct tt_bpf_tp *cfg,
			   const struct tt_out *out)
{
	const struct tt_tp_field *f;

	memset(cfg, 0, sizeof(*cfg));
	cfg->probe_id = probe_id;
	cfg->tp_id = fmt->id;
	cfg->fixed_size = (uint16_t)TT_MIN(fmt->fixed_size, TT_TP_REC_MAX - 1);
	f = filter_field(fmt);
	cfg->filter_off = f ? (uint16_t)f->offset : 0;
	for (size_t i = 0; i < fmt->field_cnt; i++) {
		f = &fmt->fields[i];
		if (!f->dyn)
			continue;
		if (cfg->dyn_cnt == TT_TP_MAX_DYN) {
			tt_warn(out, "%s:%s has more than %d dynamic fields; the rest may be cut",
				fmt->system, fmt->name, TT_TP_MAX_DYN);
			break;
		}
		if (f->dyn == 2)
			cfg->dyn_rel_mask |= (uint8_t)(1u << cfg->dyn_cnt);
		cfg->dyn_off[cfg->dyn_cnt++] = (uint16_t)f->offset;
	}
}
