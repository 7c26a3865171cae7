/* SPDX-License-Identifier: MIT */
/*
 * The probe part of the report's model (report_model.h): per probe its count, rate and losses,
 * the distribution of the argument that looks like a value (chosen by the words of its name,
 * or named by --value), and the values of its first C++ name argument by count. A distribution
 * reads that probe's events through the events_probe index into one array, sorted once.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_model.h"
#include "tt_error.h"
#include "tt_util.h"

/* ---- probes ---- */

/* u8..u64, s8..s64, i8..i64, f32, f64: not ptr, str or bytes. */
/* An integer or float kind: u8..u64, s8..s64, any8..any64 (sign unknown), f32, f64. */
static int numeric_kind(const char *k)
{
	if (!k)
		return 0;
	if (!strncmp(k, "any", 3))
		return isdigit((unsigned char)k[3]);
	return (k[0] == 'u' || k[0] == 's' || k[0] == 'f') && isdigit((unsigned char)k[1]);
}

/* The lower-case alphanumeric words of name ("req_bytes" -> "req", "bytes"); returns the count. */
static size_t name_words(const char *name, char (*w)[32], size_t max)
{
	size_t n = 0, len = 0;

	for (const char *p = name; n < max; p++) {
		if (*p && isalnum((unsigned char)*p)) {
			if (len < 31)
				w[n][len++] = (char)tolower((unsigned char)*p);
			continue;
		}
		if (len) {
			w[n++][len] = 0;
			len = 0;
		}
		if (!*p)
			break;
	}
	return n;
}

static int word_in(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(w, list[i]))
			return 1;
	return 0;
}

/*
 * What a name says: 2 a time ("latency_ms", "dur", "elapsed"), 1 another quantity worth a
 * distribution ("bytes", "rows"), -1 an identifier (its last word is one: the noun of "req_id",
 * "conn_fd", "start_ts"), 0 nothing.
 */
static int name_hint(const char *name)
{
	static const char *const ids[] = {
		"id", "ids", "pid", "tid", "tgid", "ppid", "uid", "gid", "fd", "ptr", "pointer", "addr",
		"address", "handle", "key", "hash", "idx", "index", "seq", "ts", "timestamp", "tstamp",
		"cookie", "ctx", "ip", "pc", "port", "errno", "code", "status", "type", "flags", "mode",
		"kind", "op", "state", "tag", "slot", "cpu", "goid",
	};
	static const char *const time_words[] = {
		"lat", "dur", "ms", "us", "ns", "usec", "msec", "nsec", "sec", "secs", "seconds",
		"rtt", "wait", "delay", "took", "spent",
	};
	static const char *const qty_words[] = {"sz", "cnt", "n", "num", "total", "amount", "bytes"};
	/* also inside a word: "waittime", "nbytes", "rowcount", "qlen" */
	static const char *const time_parts[] = {"latency", "duration", "elapsed", "time"};
	static const char *const qty_parts[] = {"byte", "size", "len", "count", "rows"};
	int hint = 0;
	char w[16][32];
	size_t n = name_words(name, w, TT_ARRAY_SIZE(w));

	if (!n)
		return 0;
	if (word_in(w[n - 1], ids, TT_ARRAY_SIZE(ids)) ||
	    (strlen(w[n - 1]) <= 5 && strlen(w[n - 1]) > 2 && !strcmp(w[n - 1] + strlen(w[n - 1]) - 2, "id")))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (word_in(w[i], time_words, TT_ARRAY_SIZE(time_words)))
			return 2;
		for (size_t k = 0; k < TT_ARRAY_SIZE(time_parts); k++)
			if (strstr(w[i], time_parts[k]))
				return 2;
		if (word_in(w[i], qty_words, TT_ARRAY_SIZE(qty_words)))
			hint = 1;
		for (size_t k = 0; k < TT_ARRAY_SIZE(qty_parts); k++)
			if (strstr(w[i], qty_parts[k]))
				hint = 1;
	}
	return hint;
}

/*
 * The argument of probe p whose distribution is worth showing (report.h, struct tt_report_probe),
 * or TT_REPORT_VALUE_NONE.
 */
int tt_report_value_arg(const struct tt_report_pdesc *p)
{
	int cand = -1, cand_cnt = 0, first_float = -1, qty = -1;

	for (int a = 0; a < p->argc; a++) {
		int h;

		if (!numeric_kind(p->kinds[a]))
			continue;
		h = p->arg_names[a] ? name_hint(p->arg_names[a]) : 0;
		if (h == 2) /* a time wins over any other quantity */
			return a;
		if (h == 1 && qty < 0)
			qty = a;
		if (h)
			continue;
		cand = cand < 0 ? a : cand;
		cand_cnt++;
		if (first_float < 0 && p->kinds[a][0] == 'f')
			first_float = a;
	}
	if (qty >= 0)
		return qty;
	/* "rows(n)", "bytes_sent(conn, v)": the probe's name says what its one number is */
	if (cand_cnt == 1 && name_hint(p->name) > 0)
		return cand;
	return first_float >= 0 ? first_float : TT_REPORT_VALUE_NONE;
}

/* The --value options, checked against the probes: c->value_arg. */
int tt_report_builder__values(struct tt_report_builder *c)
{
	c->value_arg = malloc(c->probe_cap ? c->probe_cap : 1);
	if (!c->value_arg)
		return -ENOMEM;
	memset(c->value_arg, TT_REPORT_VALUE_AUTO, c->probe_cap ? c->probe_cap : 1);
	for (size_t i = 0; i < c->o->value_cnt; i++) {
		const char *opt = c->o->values[i], *eq = strchr(opt, '=');
		char glob[256];
		int matched = 0, found = 0;

		if (!eq || eq == opt || !eq[1] || (size_t)(eq - opt) >= sizeof(glob)) {
			tt_err(c->out, "--value %s: expected PROBE=ARG", opt);
			return -TT_E_USAGE;
		}
		memcpy(glob, opt, (size_t)(eq - opt));
		glob[eq - opt] = 0;
		for (size_t id = 1; id < c->probe_cap; id++) {
			const struct tt_report_pdesc *p = &c->probes[id];

			if (!p->label || !tt_glob_match(glob, p->label))
				continue;
			matched++;
			if (!strcmp(eq + 1, "none")) {
				c->value_arg[id] = TT_REPORT_VALUE_NONE;
				found++;
				continue;
			}
			for (int a = 0; a < p->argc; a++) {
				char fallback[8];

				snprintf(fallback, sizeof(fallback), "arg%d", a);
				if (strcmp(eq + 1, fallback) && (!p->arg_names[a] || strcmp(eq + 1, p->arg_names[a])))
					continue;
				if (!numeric_kind(p->kinds[a])) {
					tt_err(c->out, "--value %s: argument '%s' of %s is a %s, not a number", opt,
					       eq + 1, p->label, p->kinds[a] ? p->kinds[a] : "?");
					return -TT_E_USAGE;
				}
				c->value_arg[id] = (int8_t)a;
				found++;
				break;
			}
		}
		if (!matched) {
			tt_err(c->out, "--value %s: no probe matches '%s'", opt, glob);
			return -TT_E_USAGE;
		}
		if (!found) {
			tt_err(c->out, "--value %s: no probe matching '%s' has an argument '%s' (see the "
			       "probe_args table)", opt, glob, eq + 1);
			return -TT_E_USAGE;
		}
	}
	return 0;
}

/*
 * q's names: the values of p's first cxxname argument by count (struct tt_report_probe). They are
 * what a report can say of instants such as libstdc++'s throw and catch, which no span shows.
 */
static int load_probe_names(struct tt_report_builder *c, int64_t id, const struct tt_report_pdesc *p,
			    struct tt_report_probe *q)
{
	sqlite3_stmt *st = NULL;
	char sql[200];
	int a, err, rc;

	for (a = 0; a < p->argc && !(p->kinds[a] && !strcmp(p->kinds[a], "cxxname")); a++)
		;
	if (a == p->argc)
		return 0;
	q->names_arg = p->arg_names[a] ? tt_report_strdup(p->arg_names[a]) : tt_report_asprintf("arg%d", a);
	if (!q->names_arg)
		return -ENOMEM;
	snprintf(sql, sizeof(sql), "SELECT CASE WHEN fault >> %d & 1 THEN '<fault>' ELSE arg%d END "
		 "AS v, count(*) FROM events WHERE probe_id = ? GROUP BY v ORDER BY 2 DESC, v", a, a);
	err = tt_report_builder__prep(c, sql, &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);

		if (q->name_cnt == c->o->top) {
			q->names_other += n;
			continue;
		}
		err = tt_grow((void **)&q->names, &(size_t){q->name_cnt}, q->name_cnt + 1, sizeof(*q->names));
		if (err)
			break;
		q->names[q->name_cnt].value = tt_report_strdup(v ? v : "");
		q->names[q->name_cnt].count = n;
		if (!q->names[q->name_cnt++].value) {
			err = -ENOMEM;
			break;
		}
	}
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	sqlite3_finalize(st);
	return err;
}

int tt_report_builder__probe_add(struct tt_report_builder *c, int64_t id, uint64_t count, uint64_t lost,
				  int *arg)
{
	const struct tt_report_pdesc *p = tt_report_builder__probe(c, id);
	struct tt_report *r = c->r;
	struct tt_report_probe *q;
	int err = tt_grow((void **)&r->probes, &(size_t){r->probe_cnt}, r->probe_cnt + 1, sizeof(*q));

	*arg = TT_REPORT_VALUE_NONE;
	if (err)
		return err;
	q = &r->probes[r->probe_cnt++];
	memset(q, 0, sizeof(*q));
	q->provider = tt_report_strdup(p->provider);
	q->name = tt_report_strdup(p->name);
	q->label = tt_report_strdup(p->label);
	if (!q->provider || !q->name || !q->label)
		return -ENOMEM;
	q->count = count;
	q->lost = lost;
	q->rate = tt_report_per_s(r, count);
	if (!count)
		return 0;
	*arg = c->value_arg[id];
	if (*arg == TT_REPORT_VALUE_AUTO)
		*arg = p->span_probe ? TT_REPORT_VALUE_NONE : tt_report_value_arg(p);
	if (*arg < 0)
		return 0;
	q->arg = tt_report_strdup(p->arg_names[*arg] ? p->arg_names[*arg] : "arg");
	q->arg_is_real = p->kinds[*arg][0] == 'f';
	return q->arg ? 0 : -ENOMEM;
}

void tt_report_probe_dist(struct tt_report_probe *q, struct tt_report_dist *d)
{
	q->arg_n = d->st.n;
	q->min = d->min;
	q->max = d->max;
	memcpy(q->pct, d->pct, sizeof(q->pct));
	q->hist = d->hist;
	q->curve = d->curve;
	d->hist.b = NULL;
	d->curve.pct = NULL;
	d->curve.v = NULL;
}

int tt_report_builder__probes(struct tt_report_builder *c)
{
	struct tt_report *r = c->r;
	sqlite3_stmt *st = NULL, *vs = NULL;
	double *v = NULL;
	size_t vcap = 0;
	int err, rc;

	err = tt_report_builder__prep(c, "SELECT p.id, p.events, (SELECT sum(count) FROM losses l WHERE l.probe_id = p.id) "
		   "FROM probes p ORDER BY p.provider, p.name, p.id", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const struct tt_report_pdesc *p = tt_report_builder__probe(c, id);
		struct tt_report_probe *q;
		int arg = -1;
		size_t n = 0;

		if (!p)
			continue;
		err = tt_report_builder__probe_add(c, id, (uint64_t)sqlite3_column_int64(st, 1),
						   (uint64_t)sqlite3_column_int64(st, 2), &arg);
		q = err ? NULL : &r->probes[r->probe_cnt - 1];
		if (err)
			break;
		if (!q->count)
			continue;
		err = load_probe_names(c, id, p, q);
		if (err)
			break;
		if (arg < 0)
			continue;
		/* the values through events_probe; one array, sorted once */
		{
			char sql[96];

			snprintf(sql, sizeof(sql), "SELECT arg%d FROM events WHERE probe_id = ?", arg);
			err = tt_report_builder__prep(c, sql, &vs);
			if (err)
				break;
		}
		sqlite3_bind_int64(vs, 1, id);
		while ((rc = sqlite3_step(vs)) == SQLITE_ROW) {
			int t = sqlite3_column_type(vs, 0);

			if (t != SQLITE_INTEGER && t != SQLITE_FLOAT)
				continue;
			err = tt_grow((void **)&v, &vcap, n + 1, sizeof(*v));
			if (err)
				break;
			v[n++] = t == SQLITE_INTEGER ? (double)sqlite3_column_int64(vs, 0)
						     : sqlite3_column_double(vs, 0);
		}
		if (!err && rc != SQLITE_DONE)
			err = tt_report_builder__sql_err(c);
		sqlite3_finalize(vs);
		vs = NULL;
		if (err)
			break;
		if (!n)
			continue;
		{
			struct tt_report_dist d;

			err = tt_report_dist(v, n, c->o->buckets, &d);
			if (err)
				break;
			tt_report_probe_dist(q, &d);
		}
	}
	if (!err && rc != SQLITE_DONE)
		err = tt_report_builder__sql_err(c);
	sqlite3_finalize(st);
	free(v);
	return err;
}
