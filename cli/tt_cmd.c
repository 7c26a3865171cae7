/* SPDX-License-Identifier: MIT */
/* Option-parsing helpers shared by the subcommands (see tt_cmd.h). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "spans.h"
#include "tt_cmd.h"
#include "tt_error.h"

int tt_cmd_bad_option(const struct tt_out *out, int c, char *const argv[])
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		tt_err(out, "option '%s' needs a value (see '%s --help')", arg, out->prog);
	else if (optopt)
		tt_err(out, "unknown option '-%c' (see '%s --help')", optopt, out->prog);
	else
		tt_err(out, "unknown option '%s' (see '%s --help')", arg, out->prog);
	return -TT_E_USAGE;
}

int tt_cmd_usage_error(const struct tt_out *out, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tt_err(out, "%s (see '%s --help')", msg, out->prog);
	return -TT_E_USAGE;
}

int tt_cmd_span_rule(struct tt_span_rules *rules, const char *text, const struct tt_out *out)
{
	char msg[256];
	int err = tt_span_rules_add(rules, text, msg, sizeof(msg));

	return err == -TT_E_USAGE ? tt_cmd_usage_error(out, "--span %s", msg) : err;
}

void tt_cmd_verbosity(struct tt_out *out, int c)
{
	if (c == 'v' && out->verbosity < TT_LVL_DEBUG)
		out->verbosity++;
	else if (c == 'q')
		out->verbosity = TT_LVL_ERROR;
}
