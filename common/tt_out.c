/* SPDX-License-Identifier: MIT */
/* Diagnostics and progress through an injected output object (see tt_out.h). */
#include "tt_out.h"

void tt_vlog(const struct tt_out *out, enum tt_level level, const char *fmt, va_list ap)
{
	static const char *const tags[] = {
		[TT_LVL_ERROR] = "error: ",
		[TT_LVL_WARN] = "warning: ",
	};

	if (!out || !out->err || (int)level > out->verbosity)
		return;
	if (out->prog)
		fprintf(out->err, "%s: ", out->prog);
	if (level <= TT_LVL_WARN)
		fputs(tags[level], out->err);
	vfprintf(out->err, fmt, ap);
	fputc('\n', out->err);
	fflush(out->err);
}

void tt_log(const struct tt_out *out, enum tt_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tt_vlog(out, level, fmt, ap);
	va_end(ap);
}

void tt_progress(const struct tt_out *out, const char *fmt, ...)
{
	va_list ap;

	if (!out || !out->err || !out->err_is_tty || out->verbosity < TT_LVL_NOTICE)
		return;
	fputs("\r\033[K", out->err);
	va_start(ap, fmt);
	vfprintf(out->err, fmt, ap);
	va_end(ap);
	fflush(out->err);
}

/* bytes as "512 B", "12.5 KiB", "3.0 MiB" or "1.2 GiB" into buf */
static const char *size_str(char *buf, size_t sz, uint64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB"};
	double v = (double)bytes;
	int u = -1;

	while (u < 2 && v >= 1024) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, sz, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, sz, "%.1f %s", v, units[u]);
	return buf;
}

void tt_progress_bytes(const struct tt_out *out, const char *what, uint64_t done, uint64_t total,
		       uint64_t elapsed_ns, const char *more)
{
	double secs = (double)elapsed_ns / 1e9;
	char a[32], b[32];

	if (!total) {
		tt_progress(out, "%s: %s read, %.1f s%s%s", what, size_str(a, sizeof(a), done), secs,
			    more ? "; " : "", more ? more : "");
		return;
	}
	if (done > total)
		done = total;
	if (done)
		tt_progress(out, "%s: %3.0f%% of %s, %.1f s left%s%s", what,
			    100.0 * (double)done / (double)total, size_str(b, sizeof(b), total),
			    secs * (double)(total - done) / (double)done, more ? "; " : "",
			    more ? more : "");
	else
		tt_progress(out, "%s: 0%% of %s%s%s", what, size_str(b, sizeof(b), total),
			    more ? "; " : "", more ? more : "");
}

void tt_progress_done(const struct tt_out *out)
{
	if (!out || !out->err || !out->err_is_tty || out->verbosity < TT_LVL_NOTICE)
		return;
	fputs("\r\033[K", out->err);
	fflush(out->err);
}
