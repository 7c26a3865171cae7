/* SPDX-License-Identifier: MIT */
/*
 * `tracetape info`: what a tape holds and whether it is whole. It reads the entire tape, skipping
 * (and recording) damage rather than stopping at it, so that one run reports every damaged
 * stretch, and prints the capture's metadata, time range, events and losses per probe and per
 * CPU, processes, and integrity, as text or as one JSON object.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_fmt.h"
#include "tt_names.h"
#include "tape_format.h"
#include "tape_reader.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"

enum { OPT_JSON = TT_OPT_FIRST };

#define PROGRESS_AFTER_NS 1000000000ULL /* a read shorter than this shows no progress */
#define PROGRESS_EVERY_NS 250000000ULL

static const char *const fmt_names[] = {"text", "json", NULL};

static const struct tt_opt opts[] = {
	{'f', "format", 'f', "FMT", "text (default) or json (one JSON object)", NULL},
	{OPT_JSON, "json", 0, NULL, "the same as --format json", NULL},
	{'o', "output", 'o', "FILE", "write to FILE instead of standard output ('-')", NULL},
	{0},
};

const struct tt_cmd_def tt_cmd_def_info = {
	.summary = "describe a tape: metadata, counts per probe and CPU, integrity",
	.name = "info",
	.usage = "[-f text|json] [-o FILE] TAPE",
	.about = "Describe a tape: capture metadata, start and end (wall clock), duration, events and\n"
		 "losses per probe and per CPU, processes, file size and bytes per event, and integrity:\n"
		 "closed cleanly, cut short (truncated at an offset: the recorder did not close it), or\n"
		 "damaged (blocks whose checksum or contents are wrong). Reads the whole tape (on a\n"
		 "terminal, a reading that lasts more than a second shows how far it is and how long\n"
		 "it still needs); TAPE '-' is standard input.\n",
	.opts = opts,
	.more = "Exit status: 0 the tape was read (cut short or not closed is reported, not an error);\n"
		"1 the tape is damaged or cannot be read; 2 bad command line.\n",
};

struct counts {
	uint64_t *probe_events, *probe_lost;
	uint32_t probe_cap;
	uint64_t cpu_events[TT_TAPE_CPU_MAX], cpu_lost[TT_TAPE_CPU_MAX];
	uint64_t lost, any_probe_lost;
};

static int grow_probes(struct counts *c, uint32_t id)
{
	uint32_t cap = c->probe_cap ? c->probe_cap : 64, old = c->probe_cap;
	uint64_t *e, *l;

	if (id < c->probe_cap)
		return 0;
	while (cap <= id)
		cap *= 2;
	e = realloc(c->probe_events, cap * sizeof(*e));
	if (!e)
		return -ENOMEM;
	c->probe_events = e;
	l = realloc(c->probe_lost, cap * sizeof(*l));
	if (!l)
		return -ENOMEM;
	c->probe_lost = l;
	memset(e + old, 0, (cap - old) * sizeof(*e));
	memset(l + old, 0, (cap - old) * sizeof(*l));
	c->probe_cap = cap;
	return 0;
}

static const char *block_type_name(int type)
{
	switch (type) {
	case TT_BLOCK_META: return "a meta block";
	case TT_BLOCK_CLOCK: return "a clock block";
	case TT_BLOCK_PROBES: return "a probes block";
	case TT_BLOCK_PROCESSES: return "a processes block";
	case TT_BLOCK_TP_FORMATS: return "a tracepoint formats block";
	case TT_BLOCK_EVENTS: return "an events block";
	case TT_BLOCK_LOSSES: return "a losses block";
	case TT_BLOCK_STACKS: return "a stacks block";
	case TT_BLOCK_TRAILER: return "the trailer";
	case -1: return "block header unreadable";
	default: return "a block of unknown type";
	}
}

/* A string as JSON, or null. */
static void json_str(FILE *f, const char *s)
{
	tt_json_fputs(f, s, s ? strlen(s) : 0);
}

/* s as bare text (control characters escaped), left-justified in width columns. */
static void bare(FILE *f, const char *s, int width)
{
	char *d = tt_bare_dup(s);

	fprintf(f, "%-*s", width, d ? d : "?");
	free(d);
}

static void wall_str(char *buf, uint64_t wall_ns)
{
	if (!wall_ns) {
		strcpy(buf, "?");
		return;
	}
	*tt_fmt_wall(buf, wall_ns, 9) = '\0';
}

static void print_text(FILE *f, const char *path, struct tt_tape_reader *r,
		       const struct tt_tape_status *st, const struct counts *c, size_t loss_cnt)
{
	char wall0[64], wall1[64], kbuf[16], nbuf[16];
	uint64_t dur = st->ts_last_ns - st->ts_first_ns;
	const char *key, *value;
	struct tt_tape_damage d;

	wall_str(wall0, st->events ? tt_tape_reader__wall_ns(r, st->ts_first_ns) : 0);
	wall_str(wall1, st->events ? tt_tape_reader__wall_ns(r, st->ts_last_ns) : 0);
	fprintf(f, "tape:        %s\n", path);
	fprintf(f, "format:      %u.%u\n", st->version_major, st->version_minor);
	fprintf(f, "size:        %llu bytes", (unsigned long long)st->file_bytes);
	if (st->events)
		fprintf(f, ", %.2f bytes/event", (double)st->file_bytes / (double)st->events);
	fputc('\n', f);
	fprintf(f, "integrity:   %s", st->closed_cleanly ? "closed cleanly"
				      : st->truncated ? "not closed: cut short"
						      : "not closed: no trailer (the recorder stopped "
							"abruptly, or is still writing)");
	if (st->truncated)
		fprintf(f, ", truncated at offset %llu (%llu bytes of an incomplete block)",
			(unsigned long long)st->truncated_at,
			(unsigned long long)(st->file_bytes - st->truncated_at));
	if (st->damaged_blocks)
		fprintf(f, "; DAMAGED: %u stretch%s, %llu bytes skipped, %llu blocks lost",
			st->damaged_blocks, st->damaged_blocks == 1 ? "" : "es",
			(unsigned long long)st->bytes_skipped, (unsigned long long)st->blocks_missing);
	fputc('\n', f);
	for (size_t i = 0; tt_tape_reader__damage(r, i, &d) == 0; i++)
		fprintf(f, "  damage:    offset %llu, %llu bytes: %s (%s)\n", (unsigned long long)d.offset,
			(unsigned long long)d.bytes, tt_strerror(d.err), block_type_name(d.block_type));
	if (st->closed_cleanly && st->trailer_events != st->events && !st->damaged_blocks)
		fprintf(f, "  note:      the trailer counts %llu events, %llu were read\n",
			(unsigned long long)st->trailer_events, (unsigned long long)st->events);
	if (st->unknown_blocks)
		fprintf(f, "  note:      %llu blocks of a newer format were skipped\n",
			(unsigned long long)st->unknown_blocks);
	fprintf(f, "start:       %s\n", wall0);
	fprintf(f, "end:         %s\n", wall1);
	fprintf(f, "duration:    %llu.%09llu s\n", (unsigned long long)(dur / 1000000000ULL),
		(unsigned long long)(dur % 1000000000ULL));
	fprintf(f, "events:      %llu\n", (unsigned long long)st->events);
	fprintf(f, "blocks:      %llu\n", (unsigned long long)st->blocks);
	fprintf(f, "lost:        %llu events in %zu loss records\n", (unsigned long long)c->lost,
		loss_cnt);

	fprintf(f, "\nmeta:\n");
	for (size_t i = 0; tt_tape_reader__meta_at(r, i, &key, &value) == 0; i++) {
		fputs("  ", f);
		bare(f, key, 20);
		fputc(' ', f);
		bare(f, value, 0);
		fputc('\n', f);
	}

	fprintf(f, "\nprobes:\n  %5s  %-40s %12s %10s  %s\n", "ID", "PROBE", "EVENTS", "LOST",
		"ARGUMENTS");
	for (uint32_t id = 0; id < tt_tape_reader__probe_cnt(r); id++) {
		const struct tt_probe_desc *p = tt_tape_reader__probe(r, id);
		char *label;

		if (!p)
			continue;
		/* "go:F" and "go:F:return" for a Go function's entries and returns, as replay says */
		label = tt_probe_label(p->provider, p->name, p->type);
		fprintf(f, "  %5u  ", id);
		bare(f, label ? label : "?", 40);
		free(label);
		fprintf(f, " %12llu %10llu ",
			(unsigned long long)(id < c->probe_cap ? c->probe_events[id] : 0),
			(unsigned long long)(id < c->probe_cap ? c->probe_lost[id] : 0));
		for (int a = 0; a < p->argc; a++)
			fprintf(f, "%s%s %s", a ? ", " : " ", tt_kind_name(p->kinds[a], kbuf),
				tt_arg_name(p, a, nbuf));
		fputc('\n', f);
	}
	if (c->any_probe_lost)
		fprintf(f, "  %5s  %-40s %12s %10llu\n", "", "(any probe)", "",
			(unsigned long long)c->any_probe_lost);

	fprintf(f, "\ncpus:\n  %5s %12s %10s\n", "CPU", "EVENTS", "LOST");
	for (uint32_t cpu = 0; cpu < TT_TAPE_CPU_MAX; cpu++)
		if (c->cpu_events[cpu] || c->cpu_lost[cpu])
			fprintf(f, "  %5u %12llu %10llu\n", cpu, (unsigned long long)c->cpu_events[cpu],
				(unsigned long long)c->cpu_lost[cpu]);

	const struct tt_process *pr = tt_tape_reader__process(r, 0);

	if (pr) {
		fprintf(f, "\nprocesses:\n  %7s %7s  %-16s %s\n", "PID", "PPID", "COMM", "COMMAND");
		for (size_t i = 0; (pr = tt_tape_reader__process(r, i)); i++) {
			fprintf(f, "  %7u %7u  ", pr->pid, pr->ppid);
			bare(f, pr->comm ? pr->comm : "?", 16);
			fputc(' ', f);
			bare(f, pr->cmdline ? pr->cmdline : pr->exe ? pr->exe : "", 0);
			fputc('\n', f);
		}
	}
}

static void print_json(FILE *f, const char *path, struct tt_tape_reader *r,
		       const struct tt_tape_status *st, const struct counts *c, size_t loss_cnt)
{
	char wall[64], kbuf[16], nbuf[16];
	const char *key, *value;
	struct tt_tape_damage d;
	const struct tt_process *pr;
	int first = 1;

	fputs("{\"tape\":", f);
	json_str(f, path);
	fprintf(f, ",\"format\":\"%u.%u\",\"file_bytes\":%llu,\"bytes_per_event\":", st->version_major,
		st->version_minor, (unsigned long long)st->file_bytes);
	if (st->events)
		fprintf(f, "%.3f", (double)st->file_bytes / (double)st->events);
	else
		fputs("null", f);
	fprintf(f, ",\"closed_cleanly\":%s,\"truncated\":%s,\"truncated_at\":",
		st->closed_cleanly ? "true" : "false", st->truncated ? "true" : "false");
	if (st->truncated)
		fprintf(f, "%llu", (unsigned long long)st->truncated_at);
	else
		fputs("null", f);
	fprintf(f, ",\"damaged\":%u,\"bytes_skipped\":%llu,\"blocks_missing\":%llu,\"damage\":[",
		st->damaged_blocks, (unsigned long long)st->bytes_skipped,
		(unsigned long long)st->blocks_missing);
	for (size_t i = 0; tt_tape_reader__damage(r, i, &d) == 0; i++) {
		fprintf(f, "%s{\"offset\":%llu,\"bytes\":%llu,\"error\":", i ? "," : "",
			(unsigned long long)d.offset, (unsigned long long)d.bytes);
		json_str(f, tt_strerror(d.err));
		fprintf(f, ",\"block_type\":%d}", d.block_type);
	}
	fprintf(f, "],\"unknown_blocks\":%llu,\"blocks\":%llu,\"events\":%llu,\"lost\":%llu,"
		   "\"loss_records\":%zu",
		(unsigned long long)st->unknown_blocks, (unsigned long long)st->blocks,
		(unsigned long long)st->events, (unsigned long long)c->lost, loss_cnt);
	if (st->closed_cleanly)
		fprintf(f, ",\"trailer\":{\"events\":%llu,\"lost\":%llu}",
			(unsigned long long)st->trailer_events, (unsigned long long)st->trailer_losses);
	if (st->events) {
		fprintf(f, ",\"start_ns\":%llu,\"end_ns\":%llu,\"duration_ns\":%llu",
			(unsigned long long)st->ts_first_ns, (unsigned long long)st->ts_last_ns,
			(unsigned long long)(st->ts_last_ns - st->ts_first_ns));
		wall_str(wall, tt_tape_reader__wall_ns(r, st->ts_first_ns));
		fprintf(f, ",\"start_wall\":\"%s\"", wall);
		wall_str(wall, tt_tape_reader__wall_ns(r, st->ts_last_ns));
		fprintf(f, ",\"end_wall\":\"%s\"", wall);
	}
	fputs(",\"meta\":{", f);
	for (size_t i = 0; tt_tape_reader__meta_at(r, i, &key, &value) == 0; i++) {
		/* a repeated key: only its last value, as tt_tape_reader__meta() gives it */
		if (tt_tape_reader__meta(r, key) != value)
			continue;
		fputs(first ? "" : ",", f);
		first = 0;
		json_str(f, key);
		fputc(':', f);
		json_str(f, value);
	}
	fputs("},\"probes\":[", f);
	first = 1;
	for (uint32_t id = 0; id < tt_tape_reader__probe_cnt(r); id++) {
		const struct tt_probe_desc *p = tt_tape_reader__probe(r, id);

		if (!p)
			continue;
		fprintf(f, "%s{\"id\":%u,\"type\":\"%s\",\"provider\":", first ? "" : ",", id,
			tt_probe_type_name(p->type));
		first = 0;
		json_str(f, p->provider);
		fputs(",\"name\":", f);
		json_str(f, p->name);
		fputs(",\"binary\":", f);
		json_str(f, p->binary);
		fputs(",\"args\":[", f);
		for (int a = 0; a < p->argc; a++) {
			fprintf(f, "%s{\"name\":", a ? "," : "");
			json_str(f, tt_arg_name(p, a, nbuf));
			fprintf(f, ",\"kind\":\"%s\"}", tt_kind_name(p->kinds[a], kbuf));
		}
		fprintf(f, "],\"events\":%llu,\"lost\":%llu}",
			(unsigned long long)(id < c->probe_cap ? c->probe_events[id] : 0),
			(unsigned long long)(id < c->probe_cap ? c->probe_lost[id] : 0));
	}
	fputs("],\"cpus\":[", f);
	first = 1;
	for (uint32_t cpu = 0; cpu < TT_TAPE_CPU_MAX; cpu++) {
		if (!c->cpu_events[cpu] && !c->cpu_lost[cpu])
			continue;
		fprintf(f, "%s{\"cpu\":%u,\"events\":%llu,\"lost\":%llu}", first ? "" : ",", cpu,
			(unsigned long long)c->cpu_events[cpu], (unsigned long long)c->cpu_lost[cpu]);
		first = 0;
	}
	fputs("],\"processes\":[", f);
	for (size_t i = 0; (pr = tt_tape_reader__process(r, i)); i++) {
		fprintf(f, "%s{\"pid\":%u,\"ppid\":%u,\"comm\":", i ? "," : "", pr->pid, pr->ppid);
		json_str(f, pr->comm);
		fputs(",\"exe\":", f);
		json_str(f, pr->exe);
		fputs(",\"cmdline\":", f);
		json_str(f, pr->cmdline);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

/* The progress of reading a whole tape (on a terminal, once it lasts more than a second). */
struct progress {
	const struct tt_out *out;
	struct tt_tape_reader *r; /* NULL while it opens */
	uint64_t start_ns, last_ns;
	int shown;
};

/* Show how far reading is, at most every PROGRESS_EVERY_NS; also the reader's idle callback. */
static void show_progress(void *ctx)
{
	struct progress *pg = ctx;
	uint64_t now = tt_now_mono_ns(), done = 0, total = 0;

	if (!pg->out->err_is_tty || now - pg->start_ns < PROGRESS_AFTER_NS ||
	    now - pg->last_ns < PROGRESS_EVERY_NS)
		return;
	if (pg->r)
		tt_tape_reader__position(pg->r, &done, &total);
	tt_progress_bytes(pg->out, "reading", done, total, now - pg->start_ns, NULL);
	pg->last_ns = now;
	pg->shown = 1;
}

int tt_cmd_info(int argc, char **argv, struct tt_out *out)
{
	struct tt_tape_reader_opts ro = {.skip_damaged = 1, .out = out, .idle = show_progress};
	struct tt_tape_reader *r = NULL;
	struct counts *c = NULL;
	struct tt_tape_status st;
	const struct tt_event *ev;
	const struct tt_loss *losses;
	size_t loss_cnt;
	struct progress pg = {.out = out, .start_ns = tt_now_mono_ns()};
	uint64_t n = 0;
	int json = 0, ch, err = 0, k;
	const char *v, *path, *output = NULL;
	FILE *f = NULL;
	struct tt_opts p;

	tt_opts_init(&p, &tt_cmd_def_info, argc, argv, out);
	while ((ch = tt_opts_next(&p, &v)) > 0) {
		if (ch == OPT_JSON)
			json = 1;
		else if (ch == 'o')
			output = v;
		else if (ch == 'f' && (json = tt_cmd_format(out, v, fmt_names)) < 0)
			ch = json;
		if (ch < 0)
			break;
	}
	if (ch < 0 || p.arg_cnt != 1) {
		err = ch < 0 ? ch : tt_cmd_usage_error(out, "%s", p.arg_cnt ? "one TAPE only" :
									   "which TAPE?");
		tt_opts_free(&p);
		return err == TT_OPTS_HELP ? 0 : err;
	}
	path = p.args[0];
	tt_opts_free(&p);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pg.start_ns = pg.last_ns = tt_now_mono_ns();
	ro.idle_ctx = &pg;
	r = tt_tape_reader__open(path, &ro);
	if (!r) {
		err = -errno;
		tt_err(out, "cannot read %s: %s", path, tt_strerror(err));
		goto cleanup;
	}
	pg.r = r;
	while ((k = tt_tape_reader__next(r, &ev)) == 1) {
		if ((err = grow_probes(c, ev->probe_id)))
			goto cleanup;
		c->probe_events[ev->probe_id]++;
		c->cpu_events[ev->cpu]++;
		if (!(++n & 0x3ff) && out->err_is_tty) /* the clock every 1024 events */
			show_progress(&pg);
	}
	if (pg.shown)
		tt_progress_done(out);
	if (k < 0) {
		err = k;
		tt_err(out, "reading %s: %s", path, tt_strerror(err));
		goto cleanup;
	}
	losses = tt_tape_reader__losses(r, &loss_cnt);
	for (size_t i = 0; i < loss_cnt; i++) {
		const struct tt_loss *l = &losses[i];

		c->lost += l->count;
		if (l->cpu < TT_TAPE_CPU_MAX)
			c->cpu_lost[l->cpu] += l->count;
		if (l->probe_id == TT_LOSS_ANY_PROBE || l->probe_id >= TT_TAPE_PROBE_ID_MAX) {
			c->any_probe_lost += l->count;
		} else {
			if ((err = grow_probes(c, l->probe_id)))
				goto cleanup;
			c->probe_lost[l->probe_id] += l->count;
		}
	}
	tt_tape_reader__status(r, &st);
	f = tt_cmd_output_open(out, output);
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	if (json)
		print_json(f, path, r, &st, c, loss_cnt);
	else
		print_text(f, path, r, &st, c, loss_cnt);
	err = tt_cmd_output_close(out, output, f);
	if (err)
		goto cleanup;
	if (st.damaged_blocks) {
		tt_warn(out, "%s is damaged: %u stretch%s, %llu bytes could not be read", path,
			st.damaged_blocks, st.damaged_blocks == 1 ? "" : "es",
			(unsigned long long)st.bytes_skipped);
		err = -TT_E_CORRUPT;
	}
cleanup:
	tt_tape_reader__free(r);
	if (c) {
		free(c->probe_events);
		free(c->probe_lost);
		free(c);
	}
	return err;
}
