/* SPDX-License-Identifier: MIT */
/* The command layer: option parsing and help from one table per command (see tt_cmd.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spans.h"
#include "tt_cmd.h"
#include "tt_error.h"

/* The options every command has, after its own. */
static const struct tt_opt common_opts[] = {
	{'v', "verbose", 'v', NULL, "more detail (repeat for more)", NULL},
	{'q', "quiet", 'q', NULL, "only errors", NULL},
	{'h', "help", 'h', NULL, "this help", NULL},
	{0},
};

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

int tt_cmd_value_arg(const char ***values, size_t *cnt, const char *text, const struct tt_out *out)
{
	const char *eq = strchr(text, '=');
	const char **n;

	if (!eq || eq == text || !eq[1])
		return tt_cmd_usage_error(out, "--value '%s': expected PROBE=ARG", text);
	n = realloc(*values, (*cnt + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	n[(*cnt)++] = text;
	*values = n;
	return 0;
}

int tt_cmd_debug_dir(const char ***dirs, size_t *cnt, const char *dir, const struct tt_out *out)
{
	struct stat st;
	const char **n;

	if (stat(dir, &st))
		return tt_cmd_usage_error(out, "--debug-dir %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return tt_cmd_usage_error(out, "--debug-dir %s: not a directory", dir);
	n = realloc(*dirs, (*cnt + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	n[(*cnt)++] = dir;
	*dirs = n;
	return 0;
}

int tt_cmd_html_name(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	return n > 5 && !strcmp(path + n - 5, ".html");
}

int tt_cmd_format(const struct tt_out *out, const char *value, const char *const *names)
{
	char list[128] = "";
	size_t n = 0;

	for (int i = 0; names[i]; i++) {
		if (!strcmp(value, names[i]))
			return i;
		n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s%s",
				      i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
		if (n >= sizeof(list))
			n = sizeof(list) - 1;
	}
	return tt_cmd_usage_error(out, "--format '%s': expected %s", value, list);
}

FILE *tt_cmd_output_open(const struct tt_out *out, const char *path)
{
	FILE *f;

	if (!path || !strcmp(path, "-"))
		return out->out;
	f = fopen(path, "w");
	if (!f)
		tt_err(out, "cannot write '%s': %s", path, strerror(errno));
	return f;
}

int tt_cmd_output_in_place(const char *path)
{
	struct stat st;

	return !stat(path, &st) && !S_ISREG(st.st_mode);
}

int tt_cmd_output_close(const struct tt_out *out, const char *path, FILE *f)
{
	int err = 0;

	if (!f)
		return 0;
	/* an earlier write that failed leaves only the error flag; a failed flush says why */
	if (fflush(f))
		err = -errno;
	else if (ferror(f))
		err = -EIO;
	if (f != out->out && fclose(f) && !err)
		err = -errno;
	if (err)
		tt_err(out, "cannot write '%s': %s", path && strcmp(path, "-") ? path : "standard output",
		       strerror(-err));
	return err;
}

/* ---- help ---- */

/* "-o, --output FILE" or "    --json": an option's left column. */
static int opt_label(const struct tt_opt *o, char *buf, size_t sz)
{
	return snprintf(buf, sz, "%c%c%c --%s%s%s", o->letter ? '-' : ' ', o->letter ? o->letter : ' ',
			o->letter ? ',' : ' ', o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

static void help_opts(const struct tt_opt *opts, int width, FILE *f)
{
	for (const struct tt_opt *o = opts; o->name; o++) {
		char label[96];
		const char *h = o->help;
		int n = opt_label(o, label, sizeof(label));

		/* a label too wide for the column takes a line of its own */
		fprintf(f, "  %s", label);
		if (n > width)
			fprintf(f, "\n  %*s", width, "");
		else
			fprintf(f, "%*s", width - n, "");
		for (int first = 1; h && *h; first = 0) {
			const char *nl = strchr(h, '\n');
			int len = nl ? (int)(nl - h) : (int)strlen(h);

			if (!first)
				fprintf(f, "  %*s", width, "");
			fprintf(f, "  %.*s\n", len, h);
			h = nl ? nl + 1 : h + len;
		}
		if (o->old_letter)
			fprintf(f, "  %*s  (formerly -%c, still accepted for now)\n", width, "",
				o->old_letter);
		if (o->old)
			fprintf(f, "  %*s  (formerly --%s, still accepted for now)\n", width, "", o->old);
	}
}

void tt_cmd_help(const struct tt_cmd_def *def, FILE *f)
{
	int width = 0;

	/* the options' column: as wide as the widest label, within reason */
	for (int k = 0; k < 2; k++)
		for (const struct tt_opt *o = k ? common_opts : def->opts; o && o->name; o++) {
			char label[96];
			int n = opt_label(o, label, sizeof(label));

			if (n > width && n <= 22)
				width = n;
		}
	fprintf(f, "usage: tracetape %s %s\n\n%s\nOptions:\n", def->name, def->usage, def->about);
	if (def->opts)
		help_opts(def->opts, width, f);
	help_opts(common_opts, width, f);
	if (def->more)
		fprintf(f, "\n%s", def->more);
}

/* ---- parsing ---- */

void tt_opts_init(struct tt_opts *p, const struct tt_cmd_def *def, int argc, char **argv,
		  struct tt_out *out)
{
	memset(p, 0, sizeof(*p));
	p->def = def;
	p->out = out;
	p->argc = argc;
	p->argv = argv;
	p->next = 1;
}

void tt_opts_free(struct tt_opts *p)
{
	free(p->args);
	p->args = NULL;
	p->arg_cnt = 0;
}

char **tt_opts_rest(const struct tt_opts *p, int *cnt)
{
	*cnt = p->dashdash ? p->argc - p->dashdash : 0;
	return p->dashdash ? p->argv + p->dashdash : NULL;
}

static int push_arg(struct tt_opts *p, char *arg)
{
	char **n = realloc(p->args, (size_t)(p->arg_cnt + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->args = n;
	p->args[p->arg_cnt++] = arg;
	return 0;
}

/* The option of def or of the common ones whose long name (or old spelling) is name[0..len). */
static const struct tt_opt *find_long(const struct tt_opts *p, const char *name, size_t len,
				      int *old)
{
	for (int k = 0; k < 2; k++)
		for (const struct tt_opt *o = k ? common_opts : p->def->opts; o && o->name; o++) {
			*old = o->old && strlen(o->old) == len && !strncmp(o->old, name, len);
			if (*old || (strlen(o->name) == len && !strncmp(o->name, name, len)))
				return o;
		}
	return NULL;
}

/* The option whose letter is c, else the one whose old letter is c (*old set). */
static const struct tt_opt *find_short(const struct tt_opts *p, char c, int *old)
{
	for (*old = 0; *old < 2; (*old)++)
		for (int k = 0; k < 2; k++)
			for (const struct tt_opt *o = k ? common_opts : p->def->opts; o && o->name; o++)
				if (*old ? o->old_letter == c : o->letter == c)
					return o;
	*old = 0;
	return NULL;
}

/*
 * The common options are handled here: 1 (taken, parse on), TT_OPTS_HELP, -TT_E_USAGE; 0 for
 * the command's own.
 */
static int took(struct tt_opts *p, const struct tt_opt *o)
{
	switch (o->id) {
	case 'v':
		if (p->out->verbosity < TT_LVL_DEBUG)
			p->out->verbosity++;
		return 1;
	case 'q':
		p->out->verbosity = TT_LVL_ERROR;
		return 1;
	case 'h':
		tt_cmd_help(p->def, p->out->out);
		return TT_OPTS_HELP;
	default:
		return 0;
	}
}

/* The file the program name cmd runs: cmd itself when it has a '/', else found on $PATH. */
static int command_path(const char *cmd, char *buf, size_t sz)
{
	const char *path = getenv("PATH"), *end;

	if (strchr(cmd, '/'))
		return snprintf(buf, sz, "%s", cmd) < (int)sz ? 0 : -1;
	for (; path && *path; path = *end ? end + 1 : end) {
		end = strchrnul(path, ':');
		if ((size_t)snprintf(buf, sz, "%.*s/%s", (int)(end - path), end == path ? "." : path,
				     cmd) < sz && !access(buf, X_OK))
			return 0;
	}
	return -1;
}

/*
 * At the end of the options: -o FILE, when FILE is an existing regular file, must not be one of
 * the inputs (the same inode under any name) nor the program after "--", which the command would
 * destroy before reading or running it. Devices and pipes are written in place: no check.
 */
static int check_output(struct tt_opts *p)
{
	struct stat o, s;
	char prog[4096];

	if (!p->output || !strcmp(p->output, "-") || stat(p->output, &o) || !S_ISREG(o.st_mode))
		return TT_OPTS_DONE;
	for (int i = 0; i < p->arg_cnt; i++)
		if (strcmp(p->args[i], "-") && !stat(p->args[i], &s) && s.st_dev == o.st_dev &&
		    s.st_ino == o.st_ino)
			return tt_cmd_usage_error(p->out, "-o %s is also the input '%s': refusing to "
						  "overwrite it (write to another file)", p->output,
						  p->args[i]);
	if (p->def->takes_command && p->dashdash && p->dashdash < p->argc &&
	    !command_path(p->argv[p->dashdash], prog, sizeof(prog)) && !stat(prog, &s) &&
	    s.st_dev == o.st_dev && s.st_ino == o.st_ino)
		return tt_cmd_usage_error(p->out, "-o %s is the program to run ('%s'): refusing to "
					  "overwrite it (write to another file)", p->output,
					  p->argv[p->dashdash]);
	return TT_OPTS_DONE;
}

int tt_opts_next(struct tt_opts *p, const char **value)
{
	*value = NULL;
	for (;;) {
		const struct tt_opt *o;
		const char *a;
		int r, old = 0;

		if (p->cluster && *p->cluster) {
			/* the next letter of "-vq" or "-ofile" */
			char c = *p->cluster++;

			o = find_short(p, c, &old);
			if (!o)
				return tt_cmd_usage_error(p->out, "unknown option '-%c'", c);
			if (old && o->letter)
				tt_warn(p->out, "'-%c' is deprecated and will go: use '-%c' (--%s)", c,
					o->letter, o->name);
			else if (old)
				tt_warn(p->out, "'-%c' is deprecated and will go: use '--%s'", c, o->name);
			if (o->arg) {
				if (*p->cluster) {
					*value = p->cluster;
				} else if (p->next < p->argc) {
					*value = p->argv[p->next++];
				} else {
					return tt_cmd_usage_error(p->out, "option '-%c' needs a value (%s)",
								  c, o->arg);
				}
				p->cluster = NULL;
				if (!strcmp(o->name, "output"))
					p->output = *value;
			}
			r = took(p, o);
			if (r == 1)
				continue;
			return r ? r : o->id;
		}
		p->cluster = NULL;
		if (p->next >= p->argc)
			return check_output(p);
		a = p->argv[p->next++];
		if (!strcmp(a, "--")) {
			p->dashdash = p->next;
			if (!p->def->takes_command)
				while (p->next < p->argc)
					if (push_arg(p, p->argv[p->next++]))
						return -ENOMEM;
			p->next = p->argc;
			return check_output(p);
		}
		if (a[0] != '-' || !a[1]) { /* a positional argument; "-" is standard input/output */
			if (push_arg(p, (char *)a))
				return -ENOMEM;
			continue;
		}
		if (a[1] != '-') {
			p->cluster = a + 1;
			continue;
		}
		/* --name or --name=value */
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);

		o = find_long(p, name, len, &old);
		if (!o)
			return tt_cmd_usage_error(p->out, "unknown option '--%.*s'", (int)len, name);
		if (old)
			tt_warn(p->out, "'--%s' is deprecated and will go: use '--%s'", o->old, o->name);
		if (o->arg) {
			if (eq) {
				*value = eq + 1;
			} else if (p->next < p->argc) {
				*value = p->argv[p->next++];
			} else {
				return tt_cmd_usage_error(p->out, "option '--%s' needs a value (%s)",
							  o->name, o->arg);
			}
			if (!strcmp(o->name, "output"))
				p->output = *value;
		} else if (eq) {
			return tt_cmd_usage_error(p->out, "option '--%s' takes no value", o->name);
		}
		r = took(p, o);
		if (r == 1)
			continue;
		return r ? r : o->id;
	}
}

/* ---- man pages and the option list ---- */

/* s as roff text: backslashes escaped, '-' as \-, a line starting with '.' or '\'' protected. */
static void roff(FILE *f, const char *s, size_t n)
{
	int bol = 1;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (bol && (c == '.' || c == '\''))
			fputs("\\&", f);
		if (c == '\\')
			fputs("\\e", f);
		else if (c == '-')
			fputs("\\-", f);
		else
			fputc(c, f);
		bol = c == '\n';
	}
}

static void roff_str(FILE *f, const char *s)
{
	roff(f, s, strlen(s));
}

/*
 * Paragraphs of help text as roff: a blank line starts a paragraph; lines indented by two
 * spaces or more (examples, tables) are kept as they are, in a no-fill block.
 */
static void roff_text(FILE *f, const char *text)
{
	int nofill = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int indented = len >= 2 && p[0] == ' ' && p[1] == ' ';

		if (!len) {
			if (nofill) {
				fputs(".fi\n", f);
				nofill = 0;
			}
			fputs(".PP\n", f);
		} else {
			if (indented != nofill) {
				fputs(indented ? ".nf\n" : ".fi\n", f);
				nofill = indented;
			}
			roff(f, p, len);
			fputc('\n', f);
		}
		p += len + (nl != NULL);
	}
	if (nofill)
		fputs(".fi\n", f);
}

static void man_opts(FILE *f, const struct tt_opt *opts)
{
	for (const struct tt_opt *o = opts; o && o->name; o++) {
		fputs(".TP\n", f);
		if (o->letter)
			fprintf(f, "\\fB\\-%c\\fR, ", o->letter);
		fputs("\\fB\\-\\-", f);
		roff_str(f, o->name);
		fputs("\\fR", f);
		if (o->arg) {
			fputs(" \\fI", f);
			roff_str(f, o->arg);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		if (o->help) {
			roff_str(f, o->help);
			fputc('\n', f);
		}
		if (o->old) {
			fputs("(Formerly \\fB\\-\\-", f);
			roff_str(f, o->old);
			fputs("\\fR, which still works for now.)\n", f);
		}
		if (o->old_letter)
			fprintf(f, "(Formerly \\fB\\-%c\\fR, which still works for now.)\n",
				o->old_letter);
	}
}

void tt_cmd_man(const struct tt_cmd_def *def, FILE *f)
{
	fputs(".TH TRACETAPE\\-", f);
	for (const char *c = def->name; *c; c++)
		fputc(*c >= 'a' && *c <= 'z' ? *c - 32 : *c == '-' ? '_' : *c, f);
	fputs(" 1 \"\" \"tracetape\" \"tracetape manual\"\n.SH NAME\ntracetape\\-", f);
	roff_str(f, def->name);
	fputs(" \\- ", f);
	roff_str(f, def->summary);
	fputs("\n.SH SYNOPSIS\n\\fBtracetape ", f);
	roff_str(f, def->name);
	fputs("\\fR ", f);
	roff_str(f, def->usage);
	fputs("\n.SH DESCRIPTION\n", f);
	roff_text(f, def->about);
	fputs(".SH OPTIONS\n", f);
	man_opts(f, def->opts);
	man_opts(f, common_opts);
	if (def->more) {
		fputs(".SH NOTES\n", f);
		roff_text(f, def->more);
	}
	fputs(".SH SEE ALSO\n\\fBtracetape\\fR(1), \\fBtracetape\\-sql\\fR(7)\n", f);
}

void tt_cmd_man_index(const struct tt_cmd_def *const *defs, size_t cnt, const char *version,
		      FILE *f)
{
	fprintf(f, ".TH TRACETAPE 1 \"\" \"tracetape %s\" \"tracetape manual\"\n", version);
	fputs(".SH NAME\ntracetape \\- record what static probes, Go functions and the kernel say, "
	      "and analyze it\n.SH SYNOPSIS\n\\fBtracetape\\fR \\fICOMMAND\\fR [\\fIARGS\\fR...]\n"
	      ".br\n\\fBtracetape\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR\n"
	      ".SH DESCRIPTION\ntracetape records USDT probes (the SDK's, and those inside "
	      "PostgreSQL, PHP, Python, the JVM and libstdc++), Go functions and kernel "
	      "tracepoints into a compressed, crash\\-safe tape, and replays it, loads it into "
	      "SQLite and reports latencies.\n.SH COMMANDS\n", f);
	for (size_t i = 0; i < cnt; i++) {
		fputs(".TP\n\\fBtracetape\\-", f);
		roff_str(f, defs[i]->name);
		fputs("\\fR(1)\n", f);
		roff_str(f, defs[i]->summary);
		fputc('\n', f);
	}
	fputs(".SH EXIT STATUS\n0 success, 1 runtime failure, 2 usage error.\n"
	      ".SH SEE ALSO\n\\fBtracetape\\-sql\\fR(7)\n", f);
}

void tt_cmd_options(const struct tt_cmd_def *def, FILE *f)
{
	for (int k = 0; k < 2; k++)
		for (const struct tt_opt *o = k ? common_opts : def->opts; o && o->name; o++) {
			const char *h = o->help ? o->help : "";
			char letter[3] = {'-', o->letter, '\0'};

			fprintf(f, "%s\t%s\t--%s\t%s\t", def->name, o->letter ? letter : "",
				o->name, o->arg ? o->arg : "");
			for (; *h; h++)
				fputc(*h == '\n' ? ' ' : *h, f);
			fputc('\t', f);
			/* the older spellings still accepted, space-separated */
			if (o->old_letter)
				fprintf(f, "-%c%s", o->old_letter, o->old ? " " : "");
			if (o->old)
				fprintf(f, "--%s", o->old);
			fputc('\n', f);
		}
}
