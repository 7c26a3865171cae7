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

void tt_progress_done(const struct tt_out *out)
{
	if (!out || !out->err || !out->err_is_tty || out->verbosity < TT_LVL_NOTICE)
		return;
	fputs("\r\033[K", out->err);
	fflush(out->err);
}
