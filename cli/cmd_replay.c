/* SPDX-License-Identifier: MIT */
/*
 * `tracetape replay`: the events of a tape in time order, as text lines, JSON lines or a Chrome
 * trace (Perfetto UI, chrome://tracing), filtered by probe, process and time window, optionally
 * paced like the original capture. What a probe looks like in the output (its label, escaped
 * names, span role) is computed once per probe; each event is then formatted straight into a
 * large buffer that is written out in big chunks, which is what makes replay several times faster
 * than printf-based tools. Damage is reported on stderr after everything readable was printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demangle.h"
#include "frame_names.h"
#include "loader.h"
#include "trace_chrome.h"
#include "tt_fmt.h"
#include "tt_names.h"
#include "tape_format.h"
#include "tape_reader.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"

enum { OPT_WALL = TT_OPT_FIRST, OPT_JSON, OPT_FOLLOW, OPT_FROM, OPT_TO, OPT_SPEED, OPT_SKIP_DAMAGED, OPT_WINDOW,
       OPT_DEBUG_DIR };

static const struct tt_opt opts[] = {
	{'f', "format", 'f', "FMT",
	 "text (default), json (one JSON object per line) or chrome\n"
	 "(Chrome trace JSON for Perfetto UI or chrome://tracing, made\n"
	 "from the capture loaded as 'load' would: spans by its rules,\n"
	 "thread states and syscalls as slices, the capture's clock)",
	 NULL},
	{OPT_JSON, "json", 0, NULL, "the same as --format json", NULL},
	{OPT_WALL, "wall", 0, NULL,
	 "text: wall-clock time (UTC) instead of seconds since the first event", NULL},
	{'P', "probe", 'P', "GLOB", "only probes whose PROVIDER:NAME matches GLOB (repeatable)", NULL,
	 'p'},
	{'p', "pid", 'p', "PID", "only events of process PID (repeatable)", NULL},
	{OPT_FROM, "from", 0, "TIME", "only events at or after TIME, and", NULL},
	{OPT_TO, "to", 0, "TIME",
	 "at or before TIME; TIME is seconds since the first event of the\n"
	 "tape (1.5) or a duration (250ms, 2s, 1m)",
	 NULL},
	{OPT_SPEED, "speed", 0, "X",
	 "pace the output at X times the recorded rate (a pause longer than\n"
	 "1 s is shortened to 1 s)",
	 NULL},
	{OPT_SKIP_DAMAGED, "skip-damaged", 0, NULL,
	 "read past damaged blocks instead of stopping at the first one", NULL},
	{OPT_WINDOW, "window", 0, "DUR", "reorder window (default 100ms)", NULL},
	{OPT_FOLLOW, "follow", 0, NULL,
	 "a tape still being written: print events as they are written,\n"
	 "like tail -f, until the recording ends (its footer) or Ctrl-C", NULL},
	{'o', "output", 'o', "FILE", "write to FILE instead of standard output ('-')", NULL},
	{OPT_DEBUG_DIR, "debug-dir", 0, "DIR",
	 "record --stack: look for the debug files of stripped binaries\n"
	 "in DIR before /usr/lib/debug (repeatable; see 'load --help')",
	 NULL},
	{0},
};

const struct tt_cmd_def tt_cmd_def_replay = {
	.summary = "print the events of a tape in time order (text, JSON, Chrome trace)",
	.name = "replay",
	.usage = "[OPTIONS] TAPE",
	.about = "Print the events of a tape in time order. TAPE '-' is standard input: a tape\n"
		 "arriving through a pipe is printed block by block as it comes, so\n"
		 "  tracetape record -o - ... | tracetape replay -\n"
		 "shows a recording live (the recorder flushes a block into a pipe every 250 ms\n"
		 "at least); --follow does the same for a tape file still being written.\n",
	.opts = opts,
	.more = "Text: one line per event: TIME PID/TID [CPU] PROVIDER:NAME [goid=G] NAME=VALUE...\n"
		"(a Go function's returns are PROVIDER:NAME:return).\n"
		"Argument names come from the probe (arg0, arg1... when unnamed); strings are quoted\n"
		"with C escapes and followed by ... when truncated; C++ mangled names (kind cxxname)\n"
		"are shown demangled; <fault> marks an argument that could not be read; pointers are\n"
		"hex; floats are floats. An event recorded with record --stack is followed by its\n"
		"call stack, one line per frame after a tab, innermost first: SYMBOL+0xOFF (FILE), or\n"
		"0xOFFSET (FILE) where the file or its symbols are missing, then SOURCE:LINE where\n"
		"the file's DWARF (its debug file's) tells (the line of the call for callers).\n"
		"JSON: {\"ts\":NS,\"pid\":P,\"tid\":T,\"cpu\":C,\"seq\":S,\"goid\":G,\"probe\":\"PROVIDER:NAME\",\n"
		"\"args\":{NAME:VALUE,...},\"truncated\":[NAME...],\"faulted\":[NAME...]} (goid, truncated\n"
		"and faulted only when present; a faulted value is null; pointers are \"0x...\" strings;\n"
		"with record --stack, \"stack\":[{\"symbol\":S,\"offset\":N,\"module\":FILE,\"file\":SOURCE,\n"
		"\"line\":LINE},...]; null where unknown).\n"
		"Chrome: probes X__begin/X__end whose first argument is an id become async spans keyed by\n"
		"(process, id); X__entry/X__return and X__start/X__done become spans on their thread;\n"
		"other probes are instant events. Times are microseconds since the first event.\n"
		"\n"
		"Exit status: 0 success (a tape cut short, e.g. by a crash, is read up to its last whole\n"
		"block, with a warning); 1 the tape is damaged: everything before the damage is printed,\n"
		"then a warning says what was not read (with --skip-damaged, everything readable is\n"
		"printed, the warning says what was skipped, and the status is 0), or it cannot be read;\n"
		"2 bad command line.\n",
};

enum fmt { FMT_TEXT, FMT_JSON, FMT_CHROME };
static const char *const fmt_names[] = {"text", "json", "chrome", NULL};
enum role { ROLE_INSTANT, ROLE_ASYNC_BEGIN, ROLE_ASYNC_END, ROLE_BEGIN, ROLE_END };

/* How a probe is printed, computed once. */
struct view {
	int8_t state; /* 0 not computed, 1 shown, -1 filtered out */
	uint8_t role;
	char *label;     /* text: PROVIDER:NAME; json/chrome: its JSON string (quoted) */
	size_t label_len;
	char *chrome;    /* chrome: "name":...,"cat":...  */
	size_t chrome_len;
	char *argn[TT_MAX_ARGS]; /* text: " NAME="; json: "NAME": (quoted) */
	size_t argn_len[TT_MAX_ARGS];
	size_t names_len;
};

struct replay {
	enum fmt fmt;
	int wall;
	const char **globs; /* into argv */
	int glob_cnt;
	const char **debug_dirs; /* --debug-dir, into argv */
	size_t debug_dir_cnt;
	const struct tt_out *out;
	uint32_t *pids;
	int pid_cnt;
	uint64_t from_ns, to_ns;
	int have_from, have_to;
	double speed;
	struct tt_tape_reader *r;
	struct view *views;
	uint32_t view_cap;
	struct tt_buf line; /* pending output */
	FILE *f;
	uint64_t t0;
	int have_t0;
	int chrome_first;
	uint64_t pace_base_ts, pace_base_mono;
	int paced;
	struct tt_event dm_ev; /* the event being printed, its C++ names demangled into dm */
	struct tt_buf dm;
	struct tt_frame_names *names; /* record --stack: names of the frames printed */
};

static int add_string(const char ***arr, int *cnt, const char *s)
{
	const char **p = realloc(*arr, (size_t)(*cnt + 1) * sizeof(**arr));

	if (!p)
		return -ENOMEM;
	p[(*cnt)++] = s;
	*arr = p;
	return 0;
}

static int ends_with(const char *s, const char *suffix, size_t *base_len)
{
	size_t n = strlen(s), k = strlen(suffix);

	if (n <= k || strcmp(s + n - k, suffix))
		return 0;
	*base_len = n - k;
	return 1;
}

/* A malloc'd copy of the n bytes at s formatted by fn (a JSON string, or bare text). */
static char *fmt_dup(const char *s, size_t n, char *(*fn)(char *, const uint8_t *, size_t),
		     size_t *len)
{
	char *p = malloc(TT_FMT_STR_MAX(n) + 1), *e;

	if (!p)
		return NULL;
	e = fn(p, (const uint8_t *)s, n);
	*e = '\0';
	*len = (size_t)(e - p);
	return p;
}

static int build_view(struct replay *rp, struct view *v, uint32_t id)
{
	const struct tt_probe_desc *d = tt_tape_reader__probe(rp->r, id);
	const char *provider = d && d->provider ? d->provider : "?";
	const char *name = d && d->name ? d->name : "?";
	char *full = NULL, nbuf[16];
	size_t full_len, base_len = strlen(name);
	int json = rp->fmt != FMT_TEXT, err = -ENOMEM;

	/* A Go function's entry and return are two probes of one name: the label tells them apart. */
	full = tt_probe_label(provider, name, d ? d->type : 0);
	if (!full)
		goto cleanup;
	full_len = strlen(full);
	v->state = 1;
	for (int i = 0; i < rp->glob_cnt; i++) {
		v->state = -1;
		if (tt_glob_match(rp->globs[i], full)) {
			v->state = 1;
			break;
		}
	}
	v->label = fmt_dup(full, full_len, json ? tt_fmt_str_json : tt_fmt_str_bare, &v->label_len);
	if (!v->label)
		goto cleanup;
	/* span roles: X__begin/X__end with an id first, X__entry/X__return, X__start/X__done */
	v->role = ROLE_INSTANT;
	int idlike = d && d->argc >= 1 && tt_kind_col_shape(d->kinds[0]) == TT_COL_INT;

	if (d && d->type == TT_PROBE_GO_ENTRY)
		v->role = ROLE_BEGIN; /* Chrome tracks of goroutines: see the tid of Go events */
	else if (d && d->type == TT_PROBE_GO_RETURN)
		v->role = ROLE_END;
	else if (ends_with(name, "__begin", &base_len) && idlike)
		v->role = ROLE_ASYNC_BEGIN;
	else if (ends_with(name, "__end", &base_len) && idlike)
		v->role = ROLE_ASYNC_END;
	else if (ends_with(name, "__entry", &base_len) || ends_with(name, "__start", &base_len))
		v->role = ROLE_BEGIN;
	else if (ends_with(name, "__return", &base_len) || ends_with(name, "__done", &base_len))
		v->role = ROLE_END;
	else
		base_len = strlen(name);
	if (rp->fmt == FMT_CHROME) {
		char *p = malloc(TT_FMT_STR_MAX(base_len) + TT_FMT_STR_MAX(strlen(provider)) + 32);

		if (!p)
			goto cleanup;
		v->chrome = p;
		memcpy(p, "\"name\":", 7);
		p = tt_fmt_str_json(p + 7, (const uint8_t *)name, base_len);
		memcpy(p, ",\"cat\":", 7);
		p = tt_fmt_str_json(p + 7, (const uint8_t *)provider, strlen(provider));
		v->chrome_len = (size_t)(p - v->chrome);
	}
	for (int i = 0; d && i < d->argc; i++) {
		const char *an = tt_arg_name(d, i, nbuf);
		size_t n = strlen(an);
		char *p = malloc(TT_FMT_STR_MAX(n) + 4), *e;

		if (!p)
			goto cleanup;
		if (json) {
			e = tt_fmt_str_json(p, (const uint8_t *)an, n);
			*e++ = ':';
		} else {
			p[0] = ' ';
			e = tt_fmt_str_bare(p + 1, (const uint8_t *)an, n);
			*e++ = '=';
		}
		v->argn[i] = p;
		v->argn_len[i] = (size_t)(e - p);
		v->names_len += v->argn_len[i];
	}
	err = 0;
cleanup:
	free(full);
	return err;
}

static void views_free(struct replay *rp)
{
	for (uint32_t i = 0; i < rp->view_cap; i++) {
		free(rp->views[i].label);
		free(rp->views[i].chrome);
		for (int a = 0; a < TT_MAX_ARGS; a++)
			free(rp->views[i].argn[a]);
	}
	free(rp->views);
}

static struct view *view_of(struct replay *rp, uint32_t id, int *err)
{
	struct view *v;

	*err = 0;
	if (id >= rp->view_cap) {
		uint32_t cap = rp->view_cap ? rp->view_cap : 64;

		while (cap <= id)
			cap *= 2;
		v = realloc(rp->views, cap * sizeof(*v));
		if (!v) {
			*err = -ENOMEM;
			return NULL;
		}
		memset(v + rp->view_cap, 0, (cap - rp->view_cap) * sizeof(*v));
		rp->views = v;
		rp->view_cap = cap;
	}
	v = &rp->views[id];
	if (!v->state)
		*err = build_view(rp, v, id);
	return v;
}

/* Argument a of ev, as text (json 0) or JSON. An argument argument beyond the names is argN. */
static char *fmt_value(char *p, const struct tt_event *ev, const uint8_t *kinds, int a, int json)
{
	uint8_t kind = kinds[a];
	const struct tt_bytes *s = &ev->strs[a];

	if ((ev->fault_mask >> a & 1) ||
	    (tt_kind_col_shape(kind) == TT_COL_STR && (s->flags & TT_STR_FAULT))) {
		memcpy(p, json ? "null" : "<fault>", json ? 4 : 7);
		return p + (json ? 4 : 7);
	}
	switch (TT_KIND_CLASS(kind)) {
	case TT_CLASS_UINT:
		return tt_fmt_u64(p, ev->args[a]);
	case TT_CLASS_FLOAT:
		if (TT_KIND_SIZE(kind) == 4) {
			uint32_t bits = (uint32_t)ev->args[a];
			float f;

			memcpy(&f, &bits, 4);
			return tt_fmt_double(p, f, json);
		} else {
			double d;

			memcpy(&d, &ev->args[a], 8);
			return tt_fmt_double(p, d, json);
		}
	case TT_CLASS_PTR:
		if (json)
			*p++ = '"';
		p = tt_fmt_hex(p, ev->args[a]);
		if (json)
			*p++ = '"';
		return p;
	case TT_CLASS_STR:
	case TT_CLASS_BYTES:
	case TT_CLASS_CXXNAME:
		if (json)
			return tt_fmt_str_json(p, s->ptr, s->len);
		p = tt_fmt_str_text(p, s->ptr, s->len);
		if (s->flags & TT_STR_TRUNCATED) {
			memcpy(p, "...", 3);
			p += 3;
		}
		return p;
	default: /* signed, and unknown integers (the recorder sign-extends signed ones) */
		return tt_fmt_i64(p, (int64_t)ev->args[a]);
	}
}

/*
 * ev with its cxxname arguments demangled (demangle.h): ev itself when it has none, else a copy
 * in rp whose strings point into rp->dm, valid until the next call. Faulted names, and names cut
 * at the string limit (a prefix would demangle wrong or not at all), are left as recorded.
 */
static const struct tt_event *demangle_event(struct replay *rp, const struct tt_event *ev, int *err)
{
	const uint8_t *kinds = tt_tape_reader__event_kinds(rp->r);
	uint32_t off[TT_MAX_ARGS] = {0}, len[TT_MAX_ARGS] = {0};
	uint16_t todo = 0;

	*err = 0;
	for (int a = 0; a < ev->argc; a++)
		if (TT_KIND_CLASS(kinds[a]) == TT_CLASS_CXXNAME && ev->strs[a].len &&
		    !(ev->fault_mask >> a & 1) && !(ev->strs[a].flags & (TT_STR_FAULT | TT_STR_TRUNCATED)))
			todo |= (uint16_t)(1u << a);
	if (!todo)
		return ev;
	rp->dm.len = 0;
	for (int a = 0; a < ev->argc; a++) {
		int demangled;
		char *s;

		if (!(todo >> a & 1))
			continue;
		s = tt_demangle((const char *)ev->strs[a].ptr, ev->strs[a].len, &demangled);
		if (!s) {
			*err = -ENOMEM;
			return NULL;
		}
		off[a] = (uint32_t)rp->dm.len;
		len[a] = demangled ? (uint32_t)strlen(s) : ev->strs[a].len;
		*err = tt_buf_append(&rp->dm, demangled ? s : (const char *)ev->strs[a].ptr, len[a]);
		free(s);
		if (*err)
			return NULL;
	}
	/* the pointers once the buffer has stopped moving */
	rp->dm_ev = *ev;
	for (int a = 0; a < ev->argc; a++)
		if (todo >> a & 1)
			rp->dm_ev.strs[a] = (struct tt_bytes){rp->dm.data + off[a], len[a], ev->strs[a].flags};
	return &rp->dm_ev;
}

/* Room for one formatted event. */
static size_t event_bound(const struct view *v, const struct tt_event *ev)
{
	size_t n = 256 + v->label_len + v->chrome_len + v->names_len;

	for (int a = 0; a < ev->argc; a++)
		n += 64 + TT_FMT_STR_MAX(ev->strs[a].len) + 2 * v->argn_len[a];
	return n;
}

static char *fmt_args_json(char *p, const struct view *v, const struct tt_event *ev,
			   const uint8_t *kinds)
{
	char nbuf[16];

	*p++ = '{';
	for (int a = 0; a < ev->argc; a++) {
		if (a)
			*p++ = ',';
		if (v->argn[a]) {
			memcpy(p, v->argn[a], v->argn_len[a]);
			p += v->argn_len[a];
		} else { /* more arguments than the probe table says */
			p += sprintf(p, "\"%s\":", tt_arg_name(NULL, a, nbuf));
		}
		p = fmt_value(p, ev, kinds, a, 1);
	}
	*p++ = '}';
	return p;
}

/* A JSON list of the names of the arguments with a flag ("truncated", "faulted"). */
static char *fmt_flag_list(char *p, const struct view *v, const struct tt_event *ev,
			   const uint8_t *kinds, int faulted)
{
	int any = 0;

	for (int a = 0; a < ev->argc; a++) {
		int is_str = tt_kind_col_shape(kinds[a]) == TT_COL_STR;
		int hit = faulted ? ((ev->fault_mask >> a & 1) || (is_str && (ev->strs[a].flags & TT_STR_FAULT)))
				  : is_str && (ev->strs[a].flags & TT_STR_TRUNCATED);
		char nbuf[16];

		if (!hit)
			continue;
		p += sprintf(p, any ? "," : (faulted ? ",\"faulted\":[" : ",\"truncated\":["));
		any = 1;
		if (v->argn[a]) {
			memcpy(p, v->argn[a], v->argn_len[a] - 1); /* without the ':' */
			p += v->argn_len[a] - 1;
		} else {
			p += sprintf(p, "\"%s\"", tt_arg_name(NULL, a, nbuf));
		}
	}
	if (any)
		*p++ = ']';
	return p;
}

/* ts - t0 by fn, with a '-' when ts is earlier: the reorder window released it late. */
static char *fmt_rel(char *p, uint64_t ts, uint64_t t0, char *(*fn)(char *, uint64_t))
{
	if (ts >= t0)
		return fn(p, ts - t0);
	*p++ = '-';
	return fn(p, t0 - ts);
}

static char *fmt_event(struct replay *rp, char *p, const struct view *v, const struct tt_event *ev)
{
	const uint8_t *kinds = tt_tape_reader__event_kinds(rp->r);
	char nbuf[16];

	switch (rp->fmt) {
	case FMT_TEXT:
		if (rp->wall) {
			p = tt_fmt_wall(p, tt_tape_reader__wall_ns(rp->r, ev->ts_ns), 6);
		} else {
			char tbuf[TT_FMT_NUM_MAX + 1];
			char *e = fmt_rel(tbuf, ev->ts_ns, rp->t0, tt_fmt_seconds_us);
			size_t n = (size_t)(e - tbuf);

			for (; n < 13; n++) /* right-aligned, like perf script */
				*p++ = ' ';
			memcpy(p, tbuf, (size_t)(e - tbuf));
			p += e - tbuf;
		}
		*p++ = ' ';
		p = tt_fmt_u64(p, ev->pid);
		*p++ = '/';
		p = tt_fmt_u64(p, ev->tid);
		*p++ = ' ';
		*p++ = '[';
		if (ev->cpu < 100)
			*p++ = '0';
		if (ev->cpu < 10)
			*p++ = '0';
		p = tt_fmt_u64(p, ev->cpu);
		*p++ = ']';
		*p++ = ' ';
		memcpy(p, v->label, v->label_len);
		p += v->label_len;
		if (ev->goid) {
			memcpy(p, " goid=", 6);
			p = tt_fmt_u64(p + 6, ev->goid);
		}
		for (int a = 0; a < ev->argc; a++) {
			if (v->argn[a]) {
				memcpy(p, v->argn[a], v->argn_len[a]);
				p += v->argn_len[a];
			} else {
				p += sprintf(p, " %s=", tt_arg_name(NULL, a, nbuf));
			}
			p = fmt_value(p, ev, kinds, a, 0);
		}
		*p++ = '\n';
		return p;
	case FMT_JSON:
		memcpy(p, "{\"ts\":", 6);
		p = tt_fmt_u64(p + 6, ev->ts_ns);
		memcpy(p, ",\"pid\":", 7);
		p = tt_fmt_u64(p + 7, ev->pid);
		memcpy(p, ",\"tid\":", 7);
		p = tt_fmt_u64(p + 7, ev->tid);
		memcpy(p, ",\"cpu\":", 7);
		p = tt_fmt_u64(p + 7, ev->cpu);
		memcpy(p, ",\"seq\":", 7);
		p = tt_fmt_u64(p + 7, ev->seq);
		if (ev->goid) {
			memcpy(p, ",\"goid\":", 8);
			p = tt_fmt_u64(p + 8, ev->goid);
		}
		memcpy(p, ",\"probe\":", 9);
		memcpy(p + 9, v->label, v->label_len);
		p += 9 + v->label_len;
		memcpy(p, ",\"args\":", 8);
		p = fmt_args_json(p + 8, v, ev, kinds);
		p = fmt_flag_list(p, v, ev, kinds, 0);
		p = fmt_flag_list(p, v, ev, kinds, 1);
		*p++ = '}';
		*p++ = '\n';
		return p;
	case FMT_CHROME:
		if (!rp->chrome_first)
			*p++ = ',';
		rp->chrome_first = 0;
		*p++ = '\n';
		*p++ = '{';
		if (v->role == ROLE_INSTANT) {
			/* instants keep the full PROVIDER:NAME as their name */
			memcpy(p, "\"name\":", 7);
			memcpy(p + 7, v->label, v->label_len);
			p += 7 + v->label_len;
			p += sprintf(p, ",\"cat\":\"probe\",\"ph\":\"i\",\"s\":\"t\"");
		} else {
			static const char *const ph[] = {"", "b", "e", "B", "E"};

			memcpy(p, v->chrome, v->chrome_len);
			p += v->chrome_len;
			p += sprintf(p, ",\"ph\":\"%s\"", ph[v->role]);
			if (v->role == ROLE_ASYNC_BEGIN || v->role == ROLE_ASYNC_END) {
				/* ids are per process, as the analyzer pairs them */
				memcpy(p, ",\"id2\":{\"local\":\"", 17);
				p = tt_fmt_hex(p + 17, ev->args[0]);
				*p++ = '"';
				*p++ = '}';
			}
		}
		memcpy(p, ",\"pid\":", 7);
		p = tt_fmt_u64(p + 7, ev->pid);
		/* A goroutine moves between threads: its calls nest on a track of its own, whose
		 * number is the goroutine id. */
		memcpy(p, ",\"tid\":", 7);
		p = tt_fmt_u64(p + 7, ev->goid ? ev->goid : ev->tid);
		memcpy(p, ",\"ts\":", 6);
		p = fmt_rel(p + 6, ev->ts_ns, rp->t0, tt_fmt_us3);
		memcpy(p, ",\"args\":", 8);
		p = fmt_args_json(p + 8, v, ev, kinds);
		*p++ = '}';
		return p;
	}
	return p;
}

/* record --stack: the event's call stack after its line (text) or in it (JSON "stack"). */
static int add_stack(struct replay *rp, uint32_t id)
{
	int err;

	if (!rp->names && !(rp->names = tt_frame_names__new(rp->debug_dirs,
							     rp->debug_dir_cnt, rp->out)))
		return -ENOMEM;
	if (rp->fmt == FMT_TEXT) {
		err = tt_frame_names__text(rp->names, rp->r, id, &rp->line);
		return err == -ENOENT ? 0 : err; /* its description was lost: no frames */
	}
	rp->line.len -= 2; /* the object's "}\n" moves after the stack */
	err = tt_buf_append(&rp->line, ",\"stack\":", 9);
	if (!err) {
		err = tt_frame_names__json(rp->names, rp->r, id, &rp->line);
		if (err == -ENOENT)
			err = tt_buf_append(&rp->line, "null", 4);
	}
	return err ? err : tt_buf_append(&rp->line, "}\n", 2);
}

static int flush_line(struct replay *rp)
{
	errno = 0;
	if (rp->line.len && fwrite(rp->line.data, 1, rp->line.len, rp->f) != rp->line.len)
		return errno ? -errno : -EIO;
	rp->line.len = 0;
	return 0;
}

/* The reader waits for more of a live tape: show what is ready (a failure is seen at the end). */
static void live_flush(void *ctx)
{
	struct replay *rp = ctx;

	if (rp->f && !flush_line(rp))
		fflush(rp->f);
}

/*
 * Sleep until the paced time of an event at ts: the first event sets the timeline's origin,
 * later ones come (ts - origin) / speed after it. A pause longer than 1 s is shortened to 1 s
 * by moving the origin, so the gap is computed in floating point and never converted back
 * when it is that long (a tape may span up to 2^64 ns; speed may be 1e-6). Events earlier
 * than the origin (released out of order) do not wait.
 */
static void pace(struct replay *rp, uint64_t ts)
{
	uint64_t now = tt_now_mono_ns(), limit = now + 1000000000ULL, want;
	struct timespec t;
	double gap_ns;

	if (!rp->paced) {
		rp->paced = 1;
		rp->pace_base_ts = ts;
		rp->pace_base_mono = now;
		return;
	}
	if (ts <= rp->pace_base_ts)
		return;
	gap_ns = (double)(ts - rp->pace_base_ts) / rp->speed;
	if (rp->pace_base_mono > limit || gap_ns > (double)(limit - rp->pace_base_mono)) {
		rp->pace_base_ts = ts;
		rp->pace_base_mono = limit;
		want = limit;
	} else {
		want = rp->pace_base_mono + (uint64_t)gap_ns;
	}
	if (want <= now)
		return;
	t.tv_sec = (time_t)(want / 1000000000ULL);
	t.tv_nsec = (long)(want % 1000000000ULL);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

/*
 * The Chrome trace: the tape loaded (as `load` would, into a temporary database) and written
 * from there (trace_chrome.h), so that spans come from load's engine and the kernel's records
 * become thread-state and syscall slices. A database is taken as it is.
 */
static int replay_chrome(struct replay *rp, const char *path, const char *output, struct tt_out *out)
{
	struct tt_load_opts lo = {.out = out, .debug_dirs = rp->debug_dirs,
				  .debug_dir_cnt = rp->debug_dir_cnt};
	struct tt_chrome_opts co = {.globs = (const char *const *)rp->globs, .glob_cnt = rp->glob_cnt,
				    .pids = rp->pids, .pid_cnt = rp->pid_cnt, .out = out};
	struct tt_input in = {0};
	FILE *f;
	int err, e;

	co.from_ns = rp->have_from ? rp->from_ns : 0;
	co.to_ns = rp->to_ns;
	co.have_to = rp->have_to;
	err = tt_input_open(path, &lo, 0, &in);
	if (err)
		return err;
	f = tt_cmd_output_open(out, output);
	if (!f) {
		tt_input_close(&in);
		return -errno;
	}
	err = tt_trace_chrome(in.db, &co, f);
	e = tt_cmd_output_close(out, output, f);
	tt_input_close(&in);
	return err ? err : e;
}

/* Close the Chrome trace: process names (track titles) as metadata events, then the end. */
static int chrome_end(struct replay *rp)
{
	int err = 0;

	for (size_t i = 0; !err; i++) {
		const struct tt_process *pr = tt_tape_reader__process(rp->r, i);
		size_t n;
		char *p;

		if (!pr)
			break;
		if (!pr->comm)
			continue;
		n = strlen(pr->comm);
		err = tt_buf_reserve(&rp->line, TT_FMT_STR_MAX(n) + 128);
		if (err)
			break;
		p = (char *)rp->line.data + rp->line.len;
		p += sprintf(p, "%s\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,"
			     "\"tid\":%u,\"args\":{\"name\":",
			     rp->chrome_first ? "" : ",", pr->pid, pr->pid);
		p = tt_fmt_str_json(p, (const uint8_t *)pr->comm, n);
		*p++ = '}';
		*p++ = '}';
		rp->line.len = (size_t)(p - (char *)rp->line.data);
		rp->chrome_first = 0;
	}
	return err ? err : tt_buf_printf(&rp->line, "\n],\"displayTimeUnit\":\"ns\"}\n");
}

/* Say what was skipped, cut or lost; returns the error that ends the command, or 0. */
static int report_integrity(const struct tt_out *out, struct tt_tape_reader *r, int end)
{
	struct tt_tape_status st;
	struct tt_tape_damage d;

	tt_tape_reader__status(r, &st);
	if (end < 0) {
		tt_warn(out, "stopped at a damaged block at offset %llu (%s): the remaining %llu bytes "
			     "were not read (--skip-damaged reads past damage)",
			(unsigned long long)st.stopped_at, tt_strerror(end),
			(unsigned long long)(st.file_bytes - st.stopped_at));
		return end;
	}
	if (st.damaged_blocks && tt_tape_reader__damage(r, 0, &d) == 0)
		tt_warn(out, "skipped %u damaged stretch%s: %llu bytes, %llu block%s lost; the first at "
			     "offset %llu (%s)",
			st.damaged_blocks, st.damaged_blocks == 1 ? "" : "es",
			(unsigned long long)st.bytes_skipped, (unsigned long long)st.blocks_missing,
			st.blocks_missing == 1 ? "" : "s", (unsigned long long)d.offset,
			tt_strerror(d.err));
	if (st.truncated)
		tt_warn(out, "the tape ends inside a block at offset %llu: it was not closed (the "
			     "recorder stopped abruptly, or is still writing); %llu bytes at the end "
			     "were not read",
			(unsigned long long)st.truncated_at,
			(unsigned long long)(st.file_bytes - st.truncated_at));
	if (st.out_of_order)
		tt_warn(out, "%llu events came out of order: the reorder window hit its memory caps",
			(unsigned long long)st.out_of_order);
	return 0;
}

int tt_cmd_replay(int argc, char **argv, struct tt_out *out)
{
	struct replay rp = {.fmt = FMT_TEXT, .chrome_first = 1, .out = out};
	struct tt_tape_reader_opts ro = {.out = out};
	const struct tt_event *ev;
	const char *output = NULL, *path, *val;
	struct tt_opts p;
	uint64_t v;
	int c, err = 0, end = 0;

	tt_opts_init(&p, &tt_cmd_def_replay, argc, argv, out);
	while ((c = tt_opts_next(&p, &val)) > 0) {
		switch (c) {
		case 'f':
			err = tt_cmd_format(out, val, fmt_names);
			rp.fmt = err < 0 ? FMT_TEXT : (enum fmt)err;
			err = err < 0 ? err : 0;
			break;
		case OPT_JSON: rp.fmt = FMT_JSON; break;
		case OPT_WALL: rp.wall = 1; break;
		case 'P':
			if (add_string(&rp.globs, &rp.glob_cnt, val))
				err = -ENOMEM;
			break;
		case 'p': {
			uint32_t *pids;

			if (tt_parse_u64(val, 0, UINT32_MAX, &v) && !strchr(val, '/') &&
			    strpbrk(val, ":*?[")) {
				/* replay's -p was a probe glob before -p meant a pid everywhere */
				tt_warn(out, "'-p GLOB' is deprecated and will go: -p is a process id "
					     "everywhere; use '-P GLOB' (--probe)");
				if (add_string(&rp.globs, &rp.glob_cnt, val))
					err = -ENOMEM;
				break;
			}
			if (tt_parse_u64(val, 0, UINT32_MAX, &v)) {
				err = tt_cmd_usage_error(out, "--pid takes a process id, not '%s' "
							      "(probes: -P/--probe GLOB)", val);
				break;
			}
			pids = realloc(rp.pids, (size_t)(rp.pid_cnt + 1) * sizeof(*pids));
			if (!pids) {
				err = -ENOMEM;
				break;
			}
			pids[rp.pid_cnt++] = (uint32_t)v;
			rp.pids = pids;
			break;
		}
		case OPT_FROM:
		case OPT_TO:
			if (tt_parse_duration(val, c == OPT_FROM ? &rp.from_ns : &rp.to_ns)) {
				err = tt_cmd_usage_error(out, "--%s takes seconds (1.5) or a duration "
							      "(250ms), not '%s'",
							 c == OPT_FROM ? "from" : "to", val);
				break;
			}
			if (c == OPT_FROM)
				rp.have_from = 1;
			else
				rp.have_to = 1;
			break;
		case OPT_SPEED:
			if (tt_parse_double(val, 1e-6, 1e9, &rp.speed))
				err = tt_cmd_usage_error(out, "--speed takes a positive factor, not '%s'",
							 val);
			break;
		case OPT_SKIP_DAMAGED: ro.skip_damaged = 1; break;
		case OPT_FOLLOW: ro.follow = 1; break;
		case OPT_WINDOW:
			if (tt_parse_duration(val, &ro.reorder_window_ns) || !ro.reorder_window_ns)
				err = tt_cmd_usage_error(out, "--window takes a duration (100ms), not '%s'",
							 val);
			break;
		case 'o': output = val; break;
		case OPT_DEBUG_DIR:
			err = tt_cmd_debug_dir(&rp.debug_dirs, &rp.debug_dir_cnt, val, out);
			break;
		}
		if (err)
			goto cleanup;
	}
	if (c < 0) {
		err = c == TT_OPTS_HELP ? 0 : c;
		goto cleanup;
	}
	if (p.arg_cnt != 1) {
		err = tt_cmd_usage_error(out, "%s", p.arg_cnt ? "one TAPE only" : "which TAPE?");
		goto cleanup;
	}
	path = p.args[0];
	if (rp.have_from && rp.have_to && rp.from_ns > rp.to_ns) {
		err = tt_cmd_usage_error(out, "--from is after --to");
		goto cleanup;
	}
	if (rp.fmt == FMT_CHROME) {
		if (ro.follow) {
			err = tt_cmd_usage_error(out, "--follow does not go with --format chrome: the trace is "
						      "made from the whole capture");
			goto cleanup;
		}
		err = replay_chrome(&rp, path, output, out);
		goto cleanup;
	}
	ro.idle = live_flush;
	ro.idle_ctx = &rp;
	ro.live = 1; /* a pipe or --follow: each event as soon as its block is there */
	rp.r = tt_tape_reader__open(path, &ro);
	if (!rp.r) {
		err = -errno;
		tt_err(out, "cannot read %s: %s", path, tt_strerror(err));
		goto cleanup;
	}
	rp.f = tt_cmd_output_open(out, output);
	if (!rp.f) {
		err = -errno;
		goto cleanup;
	}
	if (rp.fmt == FMT_CHROME && (err = tt_buf_printf(&rp.line, "{\"traceEvents\":[")))
		goto cleanup;

	while ((end = tt_tape_reader__next(rp.r, &ev)) == 1) {
		struct view *vw;
		int64_t rel; /* negative for an event released late (tt_tape_status.out_of_order) */
		size_t need;
		int i;

		if (!rp.have_t0) {
			rp.t0 = ev->ts_ns;
			rp.have_t0 = 1;
		}
		rel = (int64_t)(ev->ts_ns - rp.t0);
		if (rp.have_from && rel < (int64_t)rp.from_ns)
			continue;
		if (rp.have_to && rel > (int64_t)rp.to_ns)
			break; /* events come in time order: nothing later can match */
		for (i = 0; i < rp.pid_cnt && rp.pids[i] != ev->pid; i++)
			;
		if (rp.pid_cnt && i == rp.pid_cnt)
			continue;
		vw = view_of(&rp, ev->probe_id, &err);
		if (err)
			goto cleanup;
		if (vw->state < 0)
			continue;
		/* paced: wait for the event's time, then show it at once */
		if (rp.speed > 0)
			pace(&rp, ev->ts_ns);
		ev = demangle_event(&rp, ev, &err);
		if (err)
			goto cleanup;
		need = event_bound(vw, ev);
		if ((err = tt_buf_reserve(&rp.line, need)))
			goto cleanup;
		rp.line.len = (size_t)(fmt_event(&rp, (char *)rp.line.data + rp.line.len, vw, ev) -
				       (char *)rp.line.data);
		if (ev->stack_id && rp.fmt != FMT_CHROME && (err = add_stack(&rp, ev->stack_id)))
			goto cleanup;
		if ((rp.speed > 0 || rp.line.len >= (64u << 10)) && (err = flush_line(&rp)))
			goto write_error;
		if (rp.speed > 0 && fflush(rp.f)) {
			err = errno ? -errno : -EIO;
			goto write_error;
		}
	}
	if (rp.fmt == FMT_CHROME && (err = chrome_end(&rp)))
		goto cleanup;
	if (!(err = flush_line(&rp)) && (fflush(rp.f) || ferror(rp.f)))
		err = errno ? -errno : -EIO;
	if (!err && rp.f != out->out) {
		FILE *f = rp.f;

		rp.f = NULL;
		if (fclose(f))
			err = -errno;
	}
	if (err)
		goto write_error;
	err = report_integrity(out, rp.r, end < 0 ? end : 0);
	goto cleanup;

write_error:
	tt_err(out, "cannot write '%s': %s", output && strcmp(output, "-") ? output : "standard output",
	       strerror(-err));
cleanup:
	tt_opts_free(&p);
	if (rp.f && rp.f != out->out)
		fclose(rp.f);
	tt_tape_reader__free(rp.r);
	views_free(&rp);
	tt_buf_free(&rp.line);
	tt_buf_free(&rp.dm);
	tt_frame_names__free(rp.names);
	free(rp.globs);
	free(rp.debug_dirs);
	free(rp.pids);
	return err;
}
