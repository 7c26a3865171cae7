/* SPDX-License-Identifier: MIT */
/*
 * tt-mktape: writes a tape from a line-based text description, through the real tape writer, so
 * that tests can make tapes with exactly known contents (spans of known durations, damaged and
 * cut tapes) without recording anything. Built into the build directory, never installed.
 *
 *   tt-mktape -o TAPE [--block-events N] [--zstd-level N] [--no-trailer] [--cut N]
 *             [--list-blocks] [DESCRIPTION]          (default or "-": standard input)
 *
 *   --no-trailer   flush every block but write no trailer: what a killed recorder leaves
 *   --cut N        then cut the file to its first N bytes (N < 0: drop the last -N bytes)
 *   --list-blocks  then print one line per block: OFFSET END TYPE RECORDS SEQ (TYPE by name)
 *
 * The description: one statement per line; '#' starts a comment; tokens are separated by blanks;
 * a token may be a "double-quoted string" with C escapes (\n \t \\ \" \xHH).
 *
 *   meta KEY VALUE
 *   clock MONO REAL                       a clock anchor (both in ns)
 *   probe ID PROVIDER NAME [OPTION]... [KIND[:ARGNAME]]...
 *         OPTION: type=usdt|uprobe|go_entry|go_return|tracepoint|builtin binary=PATH
 *                 build_id=HEX
 *                 specs=STRING
 *         KIND:   u8 u16 u32 u64 s8 s16 s32 s64 f32 f64 ptr str bytes any
 *   process PID PPID [COMM [EXE [CMDLINE]]]
 *   tpformat PROBE_ID TEXT
 *   event TIME CPU PID TID PROBE [seq=N] [goid=N] [ARG]...
 *         TIME:  nanoseconds, or a number with a unit (1.5ms, 20us, 3s), or +DURATION after the
 *                previous event's time
 *         PROBE: an id or PROVIDER:NAME
 *         ARG:   by the probe's kind: an integer (decimal, 0x hex, negative), a number, or a
 *                "string" ("..."~ marks it truncated); ! alone: the argument faulted
 *         seq:   default: one more than the previous event's on that CPU (from 0)
 *   loss CPU PROBE|* START END COUNT      START and END are TIMEs
 *   flush                                 end the current event block here
 *
 * Exit status: 0 written, 1 I/O error, 2 bad command line or description (the message names the
 * line).
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tape_format.h"
#include "tape_writer.h"
#include "tt_error.h"
#include "tt_names.h"
#include "tt_util.h"

#define MAX_TOKENS 64
#define MAX_PROBES 4096

struct token {
	char *s;      /* NUL-terminated (a quoted string may contain NULs: use len) */
	size_t len;
	int quoted;
	int truncated; /* "..."~ */
};

struct probe {
	int defined;
	struct tt_probe_desc d;
	char *strs[8 + TT_MAX_ARGS]; /* owned copies */
};

static struct probe probes[MAX_PROBES];
static const char *input_name = "<stdin>";
static unsigned line_no;

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tt-mktape: %s:%u: ", input_name, line_no);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Split line (modified in place) into tokens; returns their count. */
static int tokenize(char *line, struct token *t)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == MAX_TOKENS)
			die(2, "more than %d tokens", MAX_TOKENS);
		t[n] = (struct token){p, 0, 0, 0};
		if (*p == '"') {
			char *o = p;

			t[n].s = o;
			t[n].quoted = 1;
			p++;
			while (*p && *p != '"') {
				if (*p != '\\') {
					*o++ = *p++;
					continue;
				}
				p++;
				switch (*p) {
				case 'n': *o++ = '\n'; p++; break;
				case 't': *o++ = '\t'; p++; break;
				case 'r': *o++ = '\r'; p++; break;
				case '0': *o++ = '\0'; p++; break;
				case '\\': case '"': *o++ = *p++; break;
				case 'x':
					if (hexval(p[1]) < 0 || hexval(p[2]) < 0)
						die(2, "bad \\x escape");
					*o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
					p += 3;
					break;
				default:
					die(2, "unknown escape '\\%c'", *p ? *p : '0');
				}
			}
			if (*p != '"')
				die(2, "unterminated string");
			p++;
			t[n].len = (size_t)(o - t[n].s);
			if (*p == '~') {
				t[n].truncated = 1;
				p++;
			}
			if (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
				die(2, "junk after a string");
			*o = '\0';
			if (*p)
				p++;
		} else {
			while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
				p++;
			t[n].len = (size_t)(p - t[n].s);
			if (*p)
				*p++ = '\0';
		}
		n++;
	}
}

static uint64_t parse_u64(const char *s, const char *what)
{
	uint64_t v;

	if (tt_parse_u64(s, 0, UINT64_MAX, &v))
		die(2, "%s: expected a number, got '%s'", what, s);
	return v;
}

/* TIME: ns, or number+unit; '+' prefix relative to prev. */
static uint64_t parse_time(const char *s, uint64_t prev)
{
	static const struct {
		const char *unit;
		double mul;
	} units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
	int rel = *s == '+';
	uint64_t v;
	double d;
	char *end;

	if (rel)
		s++;
	if (tt_parse_u64(s, 0, UINT64_MAX, &v) == 0)
		return rel ? prev + v : v;
	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || d < 0)
		die(2, "expected a time, got '%s'", s);
	for (size_t i = 0; i < TT_ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].unit)) {
			v = (uint64_t)(d * units[i].mul + 0.5);
			return rel ? prev + v : v;
		}
	die(2, "unknown time unit in '%s' (ns, us, ms, s)", s);
}

static char *dup_str(struct probe *p, int slot, const char *s)
{
	p->strs[slot] = strdup(s);
	if (!p->strs[slot])
		die(1, "out of memory");
	return p->strs[slot];
}

static void cmd_probe(struct tt_tape_writer *w, struct token *t, int n)
{
	uint64_t id;
	struct probe *p;
	int i, err;

	if (n < 4)
		die(2, "usage: probe ID PROVIDER NAME [OPTION]... [KIND[:NAME]]...");
	id = parse_u64(t[1].s, "probe id");
	if (id >= MAX_PROBES)
		die(2, "probe id %llu: this tool handles ids below %d", (unsigned long long)id,
		    MAX_PROBES);
	p = &probes[id];
	if (p->defined)
		die(2, "probe %llu defined twice", (unsigned long long)id);
	p->d.id = (uint32_t)id;
	p->d.type = TT_PROBE_USDT;
	p->d.provider = dup_str(p, 0, t[2].s);
	p->d.name = dup_str(p, 1, t[3].s);
	for (i = 4; i < n; i++) {
		char *eq = strchr(t[i].s, '=');

		if (!eq)
			break;
		*eq = '\0';
		if (!strcmp(t[i].s, "type")) {
			int type = tt_probe_type_parse(eq + 1);

			if (type < 0)
				die(2, "unknown probe type '%s'", eq + 1);
			p->d.type = (uint8_t)type;
		} else if (!strcmp(t[i].s, "binary")) {
			p->d.binary = dup_str(p, 2, eq + 1);
		} else if (!strcmp(t[i].s, "build_id")) {
			p->d.build_id = dup_str(p, 3, eq + 1);
		} else if (!strcmp(t[i].s, "specs")) {
			p->d.arg_specs = dup_str(p, 4, eq + 1);
		} else {
			die(2, "unknown probe option '%s'", t[i].s);
		}
	}
	for (; i < n; i++) {
		char *colon = strchr(t[i].s, ':');

		if (p->d.argc == TT_MAX_ARGS)
			die(2, "more than %d arguments", TT_MAX_ARGS);
		if (colon) {
			*colon = '\0';
			p->d.arg_names[p->d.argc] = dup_str(p, 8 + p->d.argc, colon + 1);
		}
		if (tt_kind_parse(t[i].s, &p->d.kinds[p->d.argc++]))
			die(2, "unknown argument kind '%s'", t[i].s);
	}
	err = tt_tape_writer__add_probe(w, &p->d);
	if (err)
		die(1, "adding probe: %s", tt_strerror(err));
	p->defined = 1;
}

static struct probe *find_probe(const char *s)
{
	uint64_t id;

	if (tt_parse_u64(s, 0, MAX_PROBES - 1, &id) == 0) {
		if (!probes[id].defined)
			die(2, "probe %s is not defined", s);
		return &probes[id];
	}
	for (int i = 0; i < MAX_PROBES; i++) {
		const struct tt_probe_desc *d = &probes[i].d;
		size_t pl;

		if (!probes[i].defined)
			continue;
		pl = strlen(d->provider);
		if (!strncmp(s, d->provider, pl) && s[pl] == ':' && !strcmp(s + pl + 1, d->name))
			return &probes[i];
	}
	die(2, "no probe '%s'", s);
}

static void cmd_event(struct tt_tape_writer *w, struct token *t, int n, uint64_t *prev_ts,
		      uint32_t *cpu_seq, uint8_t *cpu_seen)
{
	struct tt_event ev = {0};
	struct probe *p;
	int i, a = 0, seq_given = 0, err;

	if (n < 6)
		die(2, "usage: event TIME CPU PID TID PROBE [seq=N] [goid=N] [ARG]...");
	ev.ts_ns = parse_time(t[1].s, *prev_ts);
	ev.cpu = (uint32_t)parse_u64(t[2].s, "cpu");
	if (ev.cpu >= TT_TAPE_CPU_MAX)
		die(2, "cpu %u is too large", ev.cpu);
	ev.pid = (uint32_t)parse_u64(t[3].s, "pid");
	ev.tid = (uint32_t)parse_u64(t[4].s, "tid");
	p = find_probe(t[5].s);
	ev.probe_id = p->d.id;
	ev.argc = p->d.argc;
	for (i = 6; i < n && !t[i].quoted; i++) {
		if (!strncmp(t[i].s, "seq=", 4)) {
			ev.seq = (uint32_t)parse_u64(t[i].s + 4, "seq");
			seq_given = 1;
		} else if (!strncmp(t[i].s, "goid=", 5)) {
			ev.goid = parse_u64(t[i].s + 5, "goid");
		} else {
			break;
		}
	}
	for (; i < n; i++, a++) {
		uint8_t kind;

		if (a >= p->d.argc)
			die(2, "probe %s:%s takes %d arguments", p->d.provider, p->d.name, p->d.argc);
		kind = p->d.kinds[a];
		if (!t[i].quoted && !strcmp(t[i].s, "!")) {
			ev.fault_mask |= (uint16_t)(1u << a);
			if (tt_kind_col_shape(kind) == TT_COL_STR)
				ev.strs[a].flags = TT_STR_FAULT;
			continue;
		}
		switch (tt_kind_col_shape(kind)) {
		case TT_COL_STR:
			if (!t[i].quoted)
				die(2, "argument %d: expected a \"string\"", a);
			ev.strs[a] = (struct tt_bytes){(const uint8_t *)t[i].s, (uint32_t)t[i].len,
						       t[i].truncated ? TT_STR_TRUNCATED : 0};
			break;
		case TT_COL_FLOAT: {
			char *end;
			double d;

			errno = 0;
			d = strtod(t[i].s, &end);
			/* a subnormal is a value (ERANGE says it lost precision); an overflow is not */
			if (errno == ERANGE && d != 0 && fabs(d) < 1)
				errno = 0;
			if (errno || *end || end == t[i].s || t[i].quoted)
				die(2, "argument %d: expected a number, got '%s'", a, t[i].s);
			if (TT_KIND_SIZE(kind) == 4) {
				float f = (float)d;
				uint32_t bits;

				memcpy(&bits, &f, 4);
				ev.args[a] = bits;
			} else {
				memcpy(&ev.args[a], &d, 8);
			}
			break;
		}
		default: {
			int64_t sv;
			uint64_t uv;

			if (t[i].quoted)
				die(2, "argument %d: expected an integer", a);
			if (t[i].s[0] == '-') {
				if (tt_parse_i64(t[i].s, INT64_MIN, INT64_MAX, &sv))
					die(2, "argument %d: expected an integer, got '%s'", a, t[i].s);
				ev.args[a] = (uint64_t)sv;
			} else {
				uv = parse_u64(t[i].s, "argument");
				ev.args[a] = uv;
			}
		}
		}
	}
	if (!seq_given)
		ev.seq = cpu_seen[ev.cpu] ? cpu_seq[ev.cpu] + 1 : 0;
	cpu_seq[ev.cpu] = ev.seq;
	cpu_seen[ev.cpu] = 1;
	*prev_ts = ev.ts_ns;
	err = tt_tape_writer__append(w, &ev);
	if (err)
		die(1, "appending the event: %s", tt_strerror(err));
}

static const char *type_name(int type)
{
	switch (type) {
	case TT_BLOCK_META: return "meta";
	case TT_BLOCK_CLOCK: return "clock";
	case TT_BLOCK_PROBES: return "probes";
	case TT_BLOCK_PROCESSES: return "processes";
	case TT_BLOCK_TP_FORMATS: return "tp_formats";
	case TT_BLOCK_EVENTS: return "events";
	case TT_BLOCK_LOSSES: return "losses";
	case TT_BLOCK_TRAILER: return "trailer";
	default: return "unknown";
	}
}

/* Walk the block headers of the tape at path (what the writer wrote, before any cut). */
static int list_blocks(const char *path)
{
	uint8_t hb[TT_TAPE_BLOCK_HDR_SZ];
	uint64_t off = TT_TAPE_FILE_HDR_SZ;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while (pread(fd, hb, sizeof(hb), (off_t)off) == (ssize_t)sizeof(hb)) {
		struct tt_tape_block_hdr h;
		uint64_t end;

		if (tt_tape_block_hdr_unpack(hb, sizeof(hb), &h))
			break;
		end = off + h.hdr_sz + h.stored_sz + TT_TAPE_PAD(h.stored_sz);
		printf("%llu %llu %s %u %u\n", (unsigned long long)off, (unsigned long long)end,
		       type_name(h.type), h.record_cnt, h.seq);
		off = end;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"block-events", required_argument, NULL, 'b'},
		{"zstd-level", required_argument, NULL, 'z'},
		{"no-trailer", no_argument, NULL, 'n'},
		{"cut", required_argument, NULL, 'c'},
		{"list-blocks", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static uint32_t cpu_seq[TT_TAPE_CPU_MAX];
	static uint8_t cpu_seen[TT_TAPE_CPU_MAX];
	struct tt_tape_writer_opts wo = {0};
	struct token t[MAX_TOKENS];
	const char *out = NULL;
	int no_trailer = 0, list = 0, have_cut = 0, c, err;
	int64_t cut = 0;
	uint64_t v, prev_ts = 0;
	struct tt_tape_writer *w;
	char *line = NULL;
	size_t cap = 0;
	FILE *in = stdin;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'b':
			if (tt_parse_u64(optarg, 1, TT_TAPE_BLOCK_RECORDS_MAX, &v))
				goto usage;
			wo.block_events_max = (uint32_t)v;
			break;
		case 'z':
			if (tt_parse_u64(optarg, 1, 19, &v))
				goto usage;
			wo.zstd_level = (int)v;
			break;
		case 'n': no_trailer = 1; break;
		case 'c':
			if (tt_parse_i64(optarg, INT64_MIN / 2, INT64_MAX / 2, &cut))
				goto usage;
			have_cut = 1;
			break;
		case 'l': list = 1; break;
		case 'h':
			printf("usage: tt-mktape -o TAPE [--block-events N] [--zstd-level N] "
			       "[--no-trailer] [--cut N] [--list-blocks] [DESCRIPTION]\n"
			       "The description format is documented at the top of "
			       "tests/tools/tt-mktape.c.\n");
			return 0;
		default:
			goto usage;
		}
	}
	if (!out || optind + 1 < argc)
		goto usage;
	if (optind < argc && strcmp(argv[optind], "-")) {
		input_name = argv[optind];
		in = fopen(input_name, "r");
		if (!in) {
			fprintf(stderr, "tt-mktape: %s: %s\n", input_name, strerror(errno));
			return 1;
		}
	}
	w = tt_tape_writer__open(out, &wo);
	if (!w) {
		fprintf(stderr, "tt-mktape: %s: %s\n", out, tt_strerror(errno));
		return 1;
	}
	while (getline(&line, &cap, in) > 0) {
		int n;

		line_no++;
		n = tokenize(line, t);
		if (n == 0)
			continue;
		err = 0;
		if (!strcmp(t[0].s, "meta")) {
			if (n != 3)
				die(2, "usage: meta KEY VALUE");
			err = tt_tape_writer__add_meta(w, t[1].s, t[2].s);
		} else if (!strcmp(t[0].s, "clock")) {
			if (n != 3)
				die(2, "usage: clock MONO REAL");
			err = tt_tape_writer__add_clock(w, parse_u64(t[1].s, "mono"),
							parse_u64(t[2].s, "real"));
		} else if (!strcmp(t[0].s, "probe")) {
			cmd_probe(w, t, n);
		} else if (!strcmp(t[0].s, "process")) {
			if (n < 3 || n > 6)
				die(2, "usage: process PID PPID [COMM [EXE [CMDLINE]]]");
			err = tt_tape_writer__add_process(w, (uint32_t)parse_u64(t[1].s, "pid"),
							  (uint32_t)parse_u64(t[2].s, "ppid"),
							  n > 3 ? t[3].s : NULL, n > 4 ? t[4].s : NULL,
							  n > 5 ? t[5].s : NULL);
		} else if (!strcmp(t[0].s, "tpformat")) {
			if (n != 3)
				die(2, "usage: tpformat PROBE_ID TEXT");
			err = tt_tape_writer__add_tp_format(w, (uint32_t)parse_u64(t[1].s, "probe id"),
							    t[2].s);
		} else if (!strcmp(t[0].s, "event")) {
			cmd_event(w, t, n, &prev_ts, cpu_seq, cpu_seen);
		} else if (!strcmp(t[0].s, "loss")) {
			struct tt_loss l;

			if (n != 6)
				die(2, "usage: loss CPU PROBE|* START END COUNT");
			l.cpu = (uint32_t)parse_u64(t[1].s, "cpu");
			l.probe_id = strcmp(t[2].s, "*") ? find_probe(t[2].s)->d.id : TT_LOSS_ANY_PROBE;
			l.ts_start_ns = parse_time(t[3].s, prev_ts);
			l.ts_end_ns = parse_time(t[4].s, prev_ts);
			l.count = parse_u64(t[5].s, "count");
			err = tt_tape_writer__add_loss(w, &l);
		} else if (!strcmp(t[0].s, "flush")) {
			err = tt_tape_writer__flush(w);
		} else {
			die(2, "unknown statement '%s'", t[0].s);
		}
		if (err)
			die(1, "%s: %s", t[0].s, tt_strerror(err));
	}
	free(line);
	if (in != stdin)
		fclose(in);
	if (no_trailer) {
		err = tt_tape_writer__flush(w);
		tt_tape_writer__free(w);
	} else {
		err = tt_tape_writer__close(w);
	}
	if (err) {
		fprintf(stderr, "tt-mktape: writing %s: %s\n", out, tt_strerror(err));
		return 1;
	}
	if (list && list_blocks(out)) {
		fprintf(stderr, "tt-mktape: %s: %s\n", out, strerror(errno));
		return 1;
	}
	if (have_cut) {
		int fd = open(out, O_WRONLY);
		off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
		off_t len = cut >= 0 ? (off_t)cut : size + (off_t)cut;

		if (fd < 0 || size < 0 || len < 0 || len > size || ftruncate(fd, len) != 0) {
			fprintf(stderr, "tt-mktape: cannot cut %s to %lld bytes\n", out, (long long)len);
			return 1;
		}
		close(fd);
	}
	return 0;

usage:
	fprintf(stderr, "usage: tt-mktape -o TAPE [--block-events N] [--zstd-level N] [--no-trailer] "
			"[--cut N] [--list-blocks] [DESCRIPTION]\n");
	return 2;
}
