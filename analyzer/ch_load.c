/* SPDX-License-Identifier: MIT */
/*
 * Copying a temporary SQLite load into ClickHouse (ch_load.h): schema mirroring, id offsets,
 * load-once by identity and the cleanup of failed loads. events gets one column more per
 * argument, argf<i> (Nullable(Float64)): a float argument's double, sent as its bits, since
 * ClickHouse 18.16 parses some %.17g texts of arg<i> into a neighbouring double.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ch_http.h"
#include "ch_load.h"
#include "tt_error.h"
#include "tt_hash.h"

#define PART_BYTES (1u << 20) /* RowBinary bytes made at a time while an INSERT is sent */
#define MAX_COLS 128

/* Tables written whole to every shard; the rest are sharded by tape. */
static const char *const small_tables[] = {"meta", "tapes", "probes", "probe_args"};

enum ctype { C_INT, C_FLOAT, C_STR };

/* What a column's value is moved by: nothing, a table's highest id, or the highest capture. */
#define REF_NONE (-1)
#define REF_CAPTURE (-2)

struct col {
	char *name;
	enum ctype type;
	int nullable;
	int ref; /* REF_*, or the index of the table whose ids it holds (tables[]) */
};

struct table {
	char *name;
	struct col cols[MAX_COLS];
	int col_cnt;
	int small;
	int has_id, has_tape;
	int64_t off;      /* the highest id of this table in ClickHouse before the load */
	int tape_via;     /* no tape column: the column whose table gives the tape (-1: none) */
	int fcols[MAX_COLS]; /* events: the untyped arg<i> columns, each also sent as argf<i> */
	int fcol_cnt;
};

struct ch {
	const struct tt_ch_url *u;
	const struct tt_out *out;
	struct tt_ch_conn *entry;          /* inserts into sharded tables go here */
	struct tt_ch_conn **shards;        /* DDL, cleanup, small tables */
	struct tt_ch_endpoint *eps;        /* owned when found from system.clusters */
	size_t shard_cnt;
	int owns_eps;
	struct table *tabs;                /* the temporary database's tables */
	size_t tab_cnt;
	int tapes_idx;                     /* tabs[] index of tapes */
	int64_t capture_off;
	struct tt_ch_load_stats *st;
};

static int is_small(const char *t)
{
	for (size_t i = 0; i < TT_ARRAY_SIZE(small_tables); i++)
		if (!strcmp(t, small_tables[i]))
			return 1;
	return 0;
}

static int find_table(const struct ch *x, const char *name, size_t n)
{
	for (size_t i = 0; i < x->tab_cnt; i++)
		if (strlen(x->tabs[i].name) == n && !strncmp(x->tabs[i].name, name, n))
			return (int)i;
	return -1;
}

/*
 * Which ids column c of table t holds, by the schema's naming: id (the table's own), tape
 * (tapes.id), capture (tapes.capture), parent_id (spans.id), and [..._]WORD_id: the ids of the
 * table WORDs (probe_id, begin_event_id, stack_id). A tracepoint's own fields are never ids.
 */
static int col_ref(const struct ch *x, const struct table *t, const char *c)
{
	size_t n = strlen(c);
	const char *w;
	char plural[64];
	int k;

	if (!strncmp(t->name, "tp_", 3))
		return !strcmp(c, "event_id") ? find_table(x, "events", 6) :
		       !strcmp(c, "tape") ? x->tapes_idx : REF_NONE;
	if (!strcmp(c, "id"))
		return (int)(t - x->tabs);
	if (!strcmp(c, "tape"))
		return x->tapes_idx;
	if (!strcmp(t->name, "tapes") && !strcmp(c, "capture"))
		return REF_CAPTURE;
	if (!strcmp(t->name, "spans") && !strcmp(c, "parent_id"))
		return (int)(t - x->tabs);
	if (n < 4 || strcmp(c + n - 3, "_id"))
		return REF_NONE;
	for (w = c + n - 3; w > c && w[-1] != '_'; w--)
		;
	snprintf(plural, sizeof(plural), "%.*ss", (int)(c + n - 3 - w), w);
	k = find_table(x, plural, strlen(plural));
	return k >= 0 && x->tabs[k].has_id ? k : REF_NONE;
}

/*
 * The ids each column holds, and for a table without a tape column the column through which
 * its rows have one (probe_args.probe_id, a stack's frames by stack_id): ClickHouse keeps every
 * table partitioned by tape. A table with neither cannot be loaded: said, -ENOTSUP.
 */
static int resolve_refs(struct ch *x)
{
	x->tapes_idx = find_table(x, "tapes", 5);
	if (x->tapes_idx < 0) {
		tt_err(x->out, "the temporary database has no tapes table");
		return -EINVAL;
	}
	for (size_t i = 0; i < x->tab_cnt; i++) {
		struct table *t = &x->tabs[i];

		for (int j = 0; j < t->col_cnt; j++)
			t->cols[j].ref = t->cols[j].type == C_INT ? col_ref(x, t, t->cols[j].name)
								  : REF_NONE;
	}
	for (size_t i = 0; i < x->tab_cnt; i++) {
		struct table *t = &x->tabs[i];

		t->tape_via = -1;
		if (t->has_tape || !strcmp(t->name, "tapes"))
			continue;
		for (int j = 0; j < t->col_cnt && t->tape_via < 0; j++)
			if (t->cols[j].ref >= 0 && t->cols[j].ref != (int)i &&
			    x->tabs[t->cols[j].ref].has_tape)
				t->tape_via = j;
		if (t->tape_via < 0) {
			tt_err(x->out, "table %s has no tape column and refers to no table with one: "
			       "it cannot be partitioned by tape in ClickHouse", t->name);
			return -ENOTSUP;
		}
	}
	return 0;
}

static const char *ch_type(enum ctype t)
{
	return t == C_INT ? "Int64" : t == C_FLOAT ? "Float64" : "String";
}

/* The identity of a tape file: a hash of its bytes and its size, as hex text in id[33]. */
static int tape_identity(const char *path, char id[33], const struct tt_out *out)
{
	static char buf[1 << 20];
	uint64_t h = 0x7474, total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0) {
		err = -errno;
		tt_err(out, "%s: %s", path, strerror(-err));
		return err;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		h = tt_hash_bytes(buf, (size_t)n, h);
		total += (uint64_t)n;
	}
	if (n < 0) {
		err = -errno;
		tt_err(out, "%s: %s", path, strerror(-err));
	}
	close(fd);
	snprintf(id, 33, "%016llx%016llx", (unsigned long long)h, (unsigned long long)total);
	return err;
}

/* Run sql (a printf format) on connection c. */
static int execf(struct ch *x, struct tt_ch_conn *c, struct tt_buf *res, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int execf(struct ch *x, struct tt_ch_conn *c, struct tt_buf *res, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int err;

	va_start(ap, fmt);
	err = vasprintf(&s, fmt, ap) < 0 ? -ENOMEM : 0;
	va_end(ap);
	if (!err)
		err = tt_ch_exec(c, s, res, x->out);
	free(s);
	return err;
}

static int connect_all(struct ch *x)
{
	const struct tt_ch_url *u = x->u;
	int err = 0;

	x->entry = tt_ch_conn__new(u, &u->entry, u->cluster ? "insert_distributed_sync=1" : NULL);
	if (!x->entry)
		return -ENOMEM;
	if (u->shard_cnt) {
		x->eps = u->shards;
		x->shard_cnt = u->shard_cnt;
	} else if (u->cluster) {
		/* the cluster's shards, each at the URL's HTTP port */
		struct tt_buf res = {0};

		err = execf(x, x->entry, &res, "SELECT host_address FROM system.clusters WHERE cluster = "
			    "'%s' AND replica_num = 1 ORDER BY shard_num FORMAT TSV", u->cluster);
		for (size_t i = 0; !err && i < res.len; i++)
			x->shard_cnt += res.data[i] == '\n';
		if (!err && !x->shard_cnt) {
			tt_err(x->out, "ClickHouse at %s has no cluster '%s' (system.clusters)",
			       tt_ch_conn__name(x->entry), u->cluster);
			err = -TT_E_SERVER;
		}
		if (!err)
			err = tt_buf_append(&res, "", 1); /* NUL-terminated for strchr */
		if (!err) {
			char *p = (char *)res.data, *nl;
			size_t i = 0;

			x->eps = calloc(x->shard_cnt, sizeof(*x->eps));
			x->owns_eps = 1;
			for (; x->eps && i < x->shard_cnt; i++, p = nl + 1) {
				nl = strchr(p, '\n');
				x->eps[i].host = strndup(p, (size_t)(nl - p));
				x->eps[i].port = u->entry.port;
				if (!x->eps[i].host)
					break;
			}
			if (i < x->shard_cnt)
				err = -ENOMEM;
		}
		tt_buf_free(&res);
	} else {
		x->eps = (struct tt_ch_endpoint *)&u->entry;
		x->shard_cnt = 1;
	}
	if (err)
		return err;
	x->shards = calloc(x->shard_cnt, sizeof(*x->shards));
	if (!x->shards)
		return -ENOMEM;
	for (size_t i = 0; i < x->shard_cnt; i++) {
		x->shards[i] = tt_ch_conn__new(u, &x->eps[i], NULL);
		if (!x->shards[i])
			return -ENOMEM;
	}
	return 0;
}

static void disconnect_all(struct ch *x)
{
	for (size_t i = 0; x->shards && i < x->shard_cnt; i++)
		tt_ch_conn__free(x->shards[i]);
	free(x->shards);
	if (x->owns_eps) {
		for (size_t i = 0; x->eps && i < x->shard_cnt; i++)
			free(x->eps[i].host);
		free(x->eps);
	}
	tt_ch_conn__free(x->entry);
}

/* Lines of a TSV result as NUL-terminated strings in place; returns the count. */
static size_t tsv_lines(struct tt_buf *res, char ***lines)
{
	size_t cnt = 0, cap = 0;
	char *p;

	*lines = NULL;
	if (tt_buf_append(res, "", 1))
		return 0;
	for (p = (char *)res->data; *p;) {
		char *nl = strchr(p, '\n');

		if (tt_grow((void **)lines, &cap, cnt + 1, sizeof(char *)))
			break;
		(*lines)[cnt++] = p;
		if (!nl)
			break;
		*nl = 0;
		p = nl + 1;
	}
	return cnt;
}

/* Does the NUL-terminated TSV text hay have the line line? */
static int has_line(const char *hay, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = hay; (p = strstr(p, line)); p++)
		if ((p == hay || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return 1;
	return 0;
}

/*
 * Tapes committed on every shard, as "ID\tIDENTITY" lines (NUL-terminated text, caller frees):
 * a tapes row that some shard lacks is of a load that failed while writing them.
 */
static int committed_tapes(struct ch *x, char **text)
{
	struct tt_buf *res = calloc(x->shard_cnt, sizeof(*res)), all = {0};
	int err = res ? 0 : -ENOMEM;

	*text = NULL;
	for (size_t i = 0; !err && i < x->shard_cnt; i++) {
		struct tt_buf ex = {0};

		err = execf(x, x->shards[i], &ex, "EXISTS TABLE `%s`.tapes FORMAT TSV", x->u->database);
		if (!err && ex.len && ex.data[0] == '1')
			err = execf(x, x->shards[i], &res[i], "SELECT id, identity FROM `%s`.tapes "
				    "ORDER BY id FORMAT TSV", x->u->database);
		if (!err)
			err = tt_buf_append(&res[i], "", 1);
		tt_buf_free(&ex);
	}
	if (!err) {
		char **lines;
		size_t cnt = tsv_lines(&res[0], &lines);

		for (size_t k = 0; !err && k < cnt; k++) {
			size_t i = 1;

			while (i < x->shard_cnt && has_line((const char *)res[i].data, lines[k]))
				i++;
			if (i == x->shard_cnt && *lines[k])
				err = tt_buf_printf(&all, "%s\n", lines[k]);
		}
		free(lines);
	}
	if (!err)
		err = tt_buf_append(&all, "", 1);
	for (size_t i = 0; res && i < x->shard_cnt; i++)
		tt_buf_free(&res[i]);
	free(res);
	if (err)
		tt_buf_free(&all);
	else
		*text = (char *)all.data;
	return err;
}

/* The columns of SQLite table name into t. */
static int read_table(sqlite3 *db, const char *name, struct table *t)
{
	sqlite3_stmt *st;
	char *sql = sqlite3_mprintf("PRAGMA table_info(\"%w\")", name);
	int rc;

	memset(t, 0, sizeof(*t));
	if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		return -TT_E_SQL;
	}
	sqlite3_free(sql);
	t->name = strdup(name);
	t->small = is_small(name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && t->col_cnt < MAX_COLS) {
		struct col *c = &t->cols[t->col_cnt++];
		const char *decl = (const char *)sqlite3_column_text(st, 2);

		c->name = strdup((const char *)sqlite3_column_text(st, 1));
		c->nullable = !sqlite3_column_int(st, 3) && !sqlite3_column_int(st, 5);
		c->type = C_STR; /* TEXT, BLOB and untyped: SQLite's text of the value */
		if (decl && strcasestr(decl, "INT"))
			c->type = C_INT;
		else if (decl && (strcasestr(decl, "REAL") || strcasestr(decl, "FLOA") ||
				  strcasestr(decl, "DOUB")))
			c->type = C_FLOAT;
		if (!c->name) {
			rc = SQLITE_NOMEM;
			break;
		}
		/* a tracepoint's field called id is not one */
		t->has_id |= !strcmp(c->name, "id") && c->type == C_INT && strncmp(name, "tp_", 3);
		if (!strcmp(name, "events") && c->type == C_STR && !strncmp(c->name, "arg", 3) &&
		    c->name[3] >= '0' && c->name[3] <= '9' && strspn(c->name + 3, "0123456789") ==
		    strlen(c->name + 3))
			t->fcols[t->fcol_cnt++] = t->col_cnt - 1;
		t->has_tape |= !strcmp(c->name, "tape") && c->type == C_INT;
	}
	sqlite3_finalize(st);
	if (!t->name || (rc != SQLITE_DONE && rc != SQLITE_ROW))
		return -ENOMEM;
	return t->col_cnt == MAX_COLS ? -E2BIG : 0;
}

static void free_table(struct table *t)
{
	for (int i = 0; i < t->col_cnt; i++)
		free(t->cols[i].name);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

/* The extra ClickHouse column of a table: tapes.identity, or the tape of a table without one. */
static const char *extra_col(const struct table *t)
{
	return !strcmp(t->name, "tapes") ? "identity" : t->tape_via >= 0 ? "tape" : NULL;
}

static int append_ident(struct tt_buf *b, const char *name)
{
	int err = tt_buf_append(b, "`", 1);

	for (; !err && *name; name++)
		err = *name == '`' ? tt_buf_append(b, "\\`", 2) : tt_buf_append(b, name, 1);
	return err ? err : tt_buf_append(b, "`", 1);
}

/*
 * The argf<i> columns of t on every shard, added to a table an older tracetape created without
 * them (its rows get NULL there; readers fall back to the text).
 */
static int add_float_cols(struct ch *x, const struct table *t, int sharded)
{
	const char *db = x->u->database;
	int err = 0;

	for (size_t i = 0; !err && i < x->shard_cnt; i++) {
		for (int local = sharded; !err && local >= 0; local--) {
			struct tt_buf q = {0};
			uint64_t have = 0;
			char *sql;

			if (asprintf(&sql, "SELECT count() FROM system.columns WHERE database = '%s' AND "
				     "table = '%s%s' AND name = 'argf%s' FORMAT TSV", db, t->name,
				     local ? "_local" : "", t->cols[t->fcols[0]].name + 3) < 0)
				return -ENOMEM;
			err = tt_ch_query_u64(x->shards[i], sql, &have, x->out);
			free(sql);
			if (err || have)
				continue;
			err = tt_buf_printf(&q, "ALTER TABLE `%s`.`%s%s`", db, t->name, local ? "_local" : "");
			for (int k = 0; !err && k < t->fcol_cnt; k++)
				err = tt_buf_printf(&q, "%s ADD COLUMN `argf%s` Nullable(Float64)", k ? "," : "",
						    t->cols[t->fcols[k]].name + 3);
			if (!err)
				err = tt_buf_append(&q, "", 1);
			if (!err)
				err = tt_ch_exec(x->shards[i], (const char *)q.data, NULL, x->out);
			tt_buf_free(&q);
		}
	}
	return err;
}

/*
 * Columns the schema gained after tables were first made in ClickHouse (schemas/tracetape.sql):
 * added to such a table, on every shard, on the next load; its older rows get NULL there.
 */
static const struct {
	const char *table, *col;
} later_cols[] = {{"frames", "file"}, {"frames", "line"}};

static int add_later_cols(struct ch *x, const struct table *t, int sharded)
{
	const char *db = x->u->database;
	int err = 0;

	for (size_t k = 0; !err && k < TT_ARRAY_SIZE(later_cols); k++) {
		const struct col *c = NULL;

		for (int j = 0; j < t->col_cnt && !strcmp(t->name, later_cols[k].table); j++)
			if (!strcmp(t->cols[j].name, later_cols[k].col))
				c = &t->cols[j];
		for (size_t i = 0; c && !err && i < x->shard_cnt; i++) {
			for (int local = sharded; !err && local >= 0; local--) {
				uint64_t have = 0;
				char *sql;

				if (asprintf(&sql, "SELECT count() FROM system.columns WHERE database = '%s' "
					     "AND table = '%s%s' AND name = '%s' FORMAT TSV", db, t->name,
					     local ? "_local" : "", c->name) < 0)
					return -ENOMEM;
				err = tt_ch_query_u64(x->shards[i], sql, &have, x->out);
				free(sql);
				if (!err && !have)
					err = execf(x, x->shards[i], NULL, "ALTER TABLE `%s`.`%s%s` ADD COLUMN "
						    "`%s` Nullable(%s)", db, t->name, local ? "_local" : "",
						    c->name, ch_type(c->type));
			}
		}
	}
	return err;
}

/* Create table t (and its Distributed table) on every shard, if missing. */
static int create_table(struct ch *x, const struct table *t)
{
	const char *db = x->u->database, *extra = extra_col(t);
	const char *order = "tuple()", *part = "tape";
	int sharded = x->u->cluster && !t->small;
	struct tt_buf q = {0};
	int err = 0;

	if (!strcmp(t->name, "events"))
		order = "(probe_id, ts)";
	else if (!strcmp(t->name, "spans"))
		order = "(name, start_ts)";
	else if (!strcmp(t->name, "tapes") || !strcmp(t->name, "probes"))
		order = "id";
	if (!strcmp(t->name, "tapes"))
		part = "id";
	else if (!strcmp(t->name, "meta"))
		part = "ifNull(tape, 0)";
	err = tt_buf_printf(&q, "CREATE TABLE IF NOT EXISTS `%s`.`%s%s`", db, t->name,
			    sharded ? "_local" : "");
	if (!err)
		err = tt_buf_printf(&q, " (");
	for (int i = 0; !err && i < t->col_cnt; i++) {
		const struct col *c = &t->cols[i];

		err = append_ident(&q, c->name);
		if (!err)
			err = tt_buf_printf(&q, c->nullable ? " Nullable(%s), " : " %s, ", ch_type(c->type));
	}
	if (!err && extra)
		err = tt_buf_printf(&q, "%s %s, ", extra, !strcmp(extra, "tape") ? "Int64" : "String");
	for (int i = 0; !err && i < t->fcol_cnt; i++)
		err = tt_buf_printf(&q, "`argf%s` Nullable(Float64), ", t->cols[t->fcols[i]].name + 3);
	if (!err) {
		q.len -= 2;
		err = tt_buf_printf(&q, ") ENGINE = MergeTree PARTITION BY %s ORDER BY %s", part, order);
	}
	for (size_t i = 0; !err && i < x->shard_cnt; i++) {
		err = tt_ch_exec(x->shards[i], (const char *)q.data, NULL, x->out);
		if (!err && sharded)
			err = execf(x, x->shards[i], NULL, "CREATE TABLE IF NOT EXISTS `%s`.`%s` AS "
				    "`%s`.`%s_local` ENGINE = Distributed(%s, %s, %s_local, tape)", db,
				    t->name, db, t->name, x->u->cluster, db, t->name);
	}
	tt_buf_free(&q);
	if (!err && t->fcol_cnt)
		err = add_float_cols(x, t, sharded);
	if (!err)
		err = add_later_cols(x, t, sharded);
	return err;
}

/* Is there a line of committed ("ID\tIDENTITY" lines) starting with prefix? */
static int is_committed(const char *committed, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = committed; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, prefix, n))
			return 1;
	return 0;
}

/* Drop, on every shard, the partitions of tapes that are not committed (a failed load's). */
static int drop_uncommitted(struct ch *x, const char *committed)
{
	int err = 0;

	for (size_t i = 0; !err && i < x->shard_cnt; i++) {
		struct tt_buf res = {0};
		char **lines = NULL;
		size_t cnt;

		err = execf(x, x->shards[i], &res, "SELECT DISTINCT table, partition FROM system.parts "
			    "WHERE database = '%s' AND active FORMAT TSV", x->u->database);
		cnt = err ? 0 : tsv_lines(&res, &lines);
		for (size_t k = 0; !err && k < cnt; k++) {
			char *tab = strchr(lines[k], '\t'), *part, pat[64];

			if (!tab)
				continue;
			*tab = 0;
			part = tab + 1;
			snprintf(pat, sizeof(pat), "%s\t", part);
			if (!strcmp(part, "0") || is_committed(committed, pat))
				continue;
			tt_info(x->out, "dropping partition %s of %s.%s on %s (an earlier load that did "
				"not complete)", part, x->u->database, lines[k],
				tt_ch_conn__name(x->shards[i]));
			err = execf(x, x->shards[i], NULL, "ALTER TABLE `%s`.`%s` DROP PARTITION %s",
				    x->u->database, lines[k], part);
			if (!err)
				x->st->dropped++;
		}
		free(lines);
		tt_buf_free(&res);
	}
	return err;
}

/* The highest id of each kind in ClickHouse (0 for none): the offsets of this load's ids. */
static int read_offsets(struct ch *x)
{
	int err = 0;

	for (size_t i = 0; !err && i <= x->tab_cnt; i++) {
		const struct table *t = &x->tabs[i < x->tab_cnt ? i : (size_t)x->tapes_idx];
		uint64_t v = 0;
		char *sql;

		if (i < x->tab_cnt && !t->has_id)
			continue;
		/* the last round: the highest capture number */
		if (asprintf(&sql, "SELECT max(%s) FROM `%s`.`%s` FORMAT TSV",
			     i < x->tab_cnt ? "id" : "capture", x->u->database, t->name) < 0)
			return -ENOMEM;
		err = tt_ch_query_u64(t->small ? x->shards[0] : x->entry, sql, &v, x->out);
		free(sql);
		if (i < x->tab_cnt)
			x->tabs[i].off = (int64_t)v;
		else
			x->capture_off = (int64_t)v;
	}
	return err;
}

/* How much a value of column c moves. */
static int64_t col_off(const struct ch *x, const struct col *c)
{
	return c->ref == REF_CAPTURE ? x->capture_off : c->ref >= 0 ? x->tabs[c->ref].off : 0;
}

/* The text SQLite gives a value, for a String column. */
static int put_text(struct tt_buf *b, sqlite3_stmt *st, int i)
{
	char num[40];

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(st, i));
		return tt_rb_str(b, num, strlen(num));
	case SQLITE_FLOAT:
		snprintf(num, sizeof(num), "%.17g", sqlite3_column_double(st, i));
		return tt_rb_str(b, num, strlen(num));
	case SQLITE_BLOB:
		return tt_rb_str(b, sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
	default:
		return tt_rb_str(b, sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i));
	}
}

/* Rows of one table being sent: the SQLite statement that reads them. */
struct rowsrc {
	struct ch *x;
	const struct table *t;
	sqlite3 *db;
	sqlite3_stmt *st;
	char (*ids)[33];
	size_t id_cnt;
	uint64_t n;
};

/* Encode the current row of r->st into b. */
static int encode_row(struct rowsrc *r, struct tt_buf *b)
{
	const struct table *t = r->t;
	const char *extra = extra_col(t);
	sqlite3_stmt *st = r->st;
	int err = 0;

	for (int i = 0; !err && i < t->col_cnt; i++) {
		const struct col *c = &t->cols[i];
		int null = sqlite3_column_type(st, i) == SQLITE_NULL;

		if (c->nullable)
			err = tt_rb_u8(b, null);
		else if (null) /* a NOT NULL column of SQLite: cannot be */
			err = -EINVAL;
		if (err || null)
			continue;
		if (c->type == C_INT)
			err = tt_rb_i64(b, sqlite3_column_int64(st, i) + col_off(r->x, c));
		else if (c->type == C_FLOAT)
			err = tt_rb_f64(b, sqlite3_column_double(st, i));
		else
			err = put_text(b, st, i);
	}
	if (!err && extra && !strcmp(extra, "tape")) {
		err = tt_rb_i64(b, sqlite3_column_int64(st, t->col_cnt) + r->x->tabs[r->x->tapes_idx].off);
	} else if (!err && extra) {
		int64_t id = sqlite3_column_int64(st, t->col_cnt);

		err = id >= 1 && (size_t)id <= r->id_cnt ? tt_rb_str(b, r->ids[id - 1], 32) : -EINVAL;
	}
	/* a float argument as its double too: ClickHouse 18.16 reads some back from text a bit off */
	for (int i = 0; !err && i < t->fcol_cnt; i++) {
		int real = sqlite3_column_type(st, t->fcols[i]) == SQLITE_FLOAT;

		err = tt_rb_u8(b, !real);
		if (!err && real)
			err = tt_rb_f64(b, sqlite3_column_double(st, t->fcols[i]));
	}
	return err;
}

/* tt_ch_fill_fn: the next rows of the table, PART_BYTES at a time. */
static int fill_rows(void *ctx, struct tt_buf *b)
{
	struct rowsrc *r = ctx;
	int rc = SQLITE_ROW, err = 0;

	while (!err && b->len < PART_BYTES && (rc = sqlite3_step(r->st)) == SQLITE_ROW) {
		err = encode_row(r, b);
		r->n++;
	}
	r->x->st->bytes += b->len;
	if (err == -EINVAL)
		tt_err(r->x->out, "%s: a row of the temporary database does not fit its columns",
		       r->t->name);
	if (err)
		return err;
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE) {
		tt_err(r->x->out, "reading %s from the temporary database: %s", r->t->name,
		       sqlite3_errmsg(r->db));
		return -TT_E_SQL;
	}
	return 0;
}

/*
 * Copy the rows of t selected by where (SQL, may be "") to ClickHouse. ids: the identities of
 * the temporary database's tapes 1..n (for tapes.identity).
 */
static int copy_table(struct ch *x, sqlite3 *db, const struct table *t, const char *where,
		      char (*ids)[33], size_t id_cnt)
{
	struct rowsrc r = {.x = x, .t = t, .db = db, .ids = ids, .id_cnt = id_cnt};
	struct tt_buf sel = {0}, cols = {0};
	const char *extra = extra_col(t);
	char target[300];
	int err = 0;

	snprintf(target, sizeof(target), "`%s`.`%s`", x->u->database, t->name);
	err = tt_buf_printf(&sel, "SELECT ");
	for (int i = 0; !err && i < t->col_cnt; i++) {
		err = tt_buf_printf(&sel, "%s\"%s\"", i ? ", " : "", t->cols[i].name);
		if (!err)
			err = append_ident(&cols, t->cols[i].name);
		if (!err)
			err = tt_buf_append(&cols, ", ", 2);
	}
	if (!err && extra && t->tape_via >= 0) {
		const char *via = t->cols[t->tape_via].name;
		const char *parent = x->tabs[t->cols[t->tape_via].ref].name;

		err = tt_buf_printf(&sel, ", (SELECT tape FROM \"%s\" WHERE \"%s\".id = \"%s\")",
				    parent, parent, via);
	} else if (!err && extra) {
		err = tt_buf_printf(&sel, ", id");
	}
	if (!err && extra)
		err = tt_buf_printf(&cols, "%s, ", extra);
	for (int i = 0; !err && i < t->fcol_cnt; i++)
		err = tt_buf_printf(&cols, "`argf%s`, ", t->cols[t->fcols[i]].name + 3);
	if (!err) {
		cols.len -= 2;
		err = tt_buf_append(&cols, "", 1);
	}
	if (!err)
		err = tt_buf_printf(&sel, " FROM \"%s\" %s", t->name, where);
	if (err)
		goto cleanup;
	/* small tables whole on every shard; the others through the entry (Distributed) */
	for (size_t i = 0; !err && i < (t->small ? x->shard_cnt : 1); i++) {
		struct tt_ch_conn *c = t->small ? x->shards[i] : x->u->cluster ? x->entry : x->shards[0];

		if (sqlite3_prepare_v2(db, (const char *)sel.data, -1, &r.st, NULL) != SQLITE_OK) {
			tt_err(x->out, "reading %s from the temporary database: %s", t->name,
			       sqlite3_errmsg(db));
			err = -TT_E_SQL;
			break;
		}
		r.n = 0;
		err = tt_ch_insert(c, target, (const char *)cols.data, fill_rows, &r, x->out);
		sqlite3_finalize(r.st);
		r.st = NULL;
	}
	x->st->rows += r.n;
	if (!strcmp(t->name, "events"))
		x->st->events += r.n;
	else if (!strcmp(t->name, "spans"))
		x->st->spans += r.n;
	tt_info(x->out, "%s: %llu rows", t->name, (unsigned long long)r.n);
cleanup:
	tt_buf_free(&sel);
	tt_buf_free(&cols);
	return err;
}

/* events.arg<i> as a column of a probe argument's kind: appended to q. */
static int arg_cast(struct tt_buf *q, const char *kind, int i)
{
	if (!strcmp(kind, "str") || !strcmp(kind, "bytes") || !strcmp(kind, "cxxname"))
		return tt_buf_printf(q, "arg%d", i);
	if (!strcmp(kind, "f32") || !strcmp(kind, "f64")) /* the double (text: an older load's) */
		return tt_buf_printf(q, "ifNull(argf%d, toFloat64OrNull(arg%d))", i, i);
	return tt_buf_printf(q, "toInt64OrNull(arg%d)", i); /* u8..u64, s8..s64, any8..any64, ptr */
}

/*
 * One view per probe name and events_named, on every shard, when missing (see
 * schemas/tracetape.sql; their argument columns are cast back from text by the probe's kinds).
 */
static int create_views(struct ch *x, sqlite3 *db)
{
	const char *d = x->u->database;
	sqlite3_stmt *vs = NULL, *as = NULL;
	int err = 0;

	if (sqlite3_prepare_v2(db, "SELECT view, min(id) FROM probes WHERE view IS NOT NULL AND "
			       "kind != 'tracepoint' GROUP BY view ORDER BY view", -1, &vs, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT idx, column_name, kind FROM probe_args WHERE probe_id = ? "
			       "ORDER BY idx", -1, &as, NULL)) {
		tt_err(x->out, "reading views from the temporary database: %s", sqlite3_errmsg(db));
		err = -TT_E_SQL;
		goto cleanup;
	}
	while (!err && sqlite3_step(vs) == SQLITE_ROW) {
		const char *view = (const char *)sqlite3_column_text(vs, 0);
		struct tt_buf q = {0};

		err = tt_buf_printf(&q, "CREATE VIEW IF NOT EXISTS `%s`.", d);
		if (!err)
			err = append_ident(&q, view);
		if (!err)
			err = tt_buf_printf(&q, " AS SELECT id AS event_id, ts, ts + wall_offset_ns AS "
					    "ts_wall, tape, pid, tid, cpu, goid, fault, truncated");
		sqlite3_reset(as);
		sqlite3_bind_int64(as, 1, sqlite3_column_int64(vs, 1));
		while (!err && sqlite3_step(as) == SQLITE_ROW) {
			err = tt_buf_printf(&q, ", ");
			if (!err)
				err = arg_cast(&q, (const char *)sqlite3_column_text(as, 2), sqlite3_column_int(as, 0));
			if (!err)
				err = tt_buf_printf(&q, " AS ");
			if (!err)
				err = append_ident(&q, (const char *)sqlite3_column_text(as, 1));
		}
		if (!err)
			err = tt_buf_printf(&q, " FROM (SELECT * FROM `%s`.events WHERE probe_id IN "
					    "(SELECT id FROM `%s`.probes WHERE view = ", d, d);
		if (!err)
			err = tt_ch_quote(&q, view);
		if (!err)
			err = tt_buf_printf(&q, ")) ANY LEFT JOIN (SELECT id AS tape, wall_offset_ns FROM "
					    "`%s`.tapes) USING tape", d);
		if (!err)
			err = tt_buf_append(&q, "", 1);
		for (size_t i = 0; !err && i < x->shard_cnt; i++)
			err = tt_ch_exec(x->shards[i], (const char *)q.data, NULL, x->out);
		tt_buf_free(&q);
	}
	/* events_named: the events with their probe's names and wall-clock time */
	for (size_t i = 0; !err && i < x->shard_cnt; i++)
		err = execf(x, x->shards[i], NULL, "CREATE VIEW IF NOT EXISTS `%s`.events_named AS "
			    "SELECT id, ts, ts + wall_offset_ns AS ts_wall, tape, provider, name, pid, tid, "
			    "cpu, goid, fault, truncated, arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, "
			    "arg8, arg9, arg10, arg11 FROM (SELECT * FROM `%s`.events ANY LEFT JOIN "
			    "(SELECT id AS probe_id, provider, name FROM `%s`.probes) USING probe_id) "
			    "ANY LEFT JOIN (SELECT id AS tape, wall_offset_ns FROM `%s`.tapes) USING tape",
			    d, d, d, d);
cleanup:
	sqlite3_finalize(vs);
	sqlite3_finalize(as);
	return err;
}

/* The temporary directory of the SQLite load, and its database's path. */
static int make_tmp(char **dir, char **db)
{
	const char *tmp = getenv("TMPDIR");

	*db = NULL;
	if (asprintf(dir, "%s/tracetape-ch-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		*dir = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(*dir))
		return -errno;
	if (asprintf(db, "%s/load.db", *dir) < 0) {
		*db = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Create the tables of the temporary database db where missing, drop what a failed load left
 * (committed: see committed_tapes()), then copy every table and create the views.
 */
static int send_all(struct ch *x, sqlite3 *db, const char *committed, char (*ids)[33],
		    size_t id_cnt)
{
	struct table *tabs = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *st;
	int err = 0;

	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
			       "LIKE 'sqlite%' ORDER BY name", -1, &st, NULL)) {
		tt_err(x->out, "the temporary database: %s", sqlite3_errmsg(db));
		return -TT_E_SQL;
	}
	while (!err && sqlite3_step(st) == SQLITE_ROW) {
		err = tt_grow((void **)&tabs, &cap, cnt + 1, sizeof(*tabs));
		if (!err)
			err = read_table(db, (const char *)sqlite3_column_text(st, 0), &tabs[cnt++]);
		if (err == -TT_E_SQL)
			tt_err(x->out, "the temporary database: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	x->tabs = tabs;
	x->tab_cnt = cnt;
	if (!err)
		err = resolve_refs(x);
	for (size_t i = 0; !err && i < cnt; i++)
		err = create_table(x, &tabs[i]);
	if (!err)
		err = drop_uncommitted(x, committed);
	if (!err)
		err = read_offsets(x);
	/* every row but the tapes rows (which complete the load) and the database's own facts */
	for (size_t i = 0; !err && i < cnt; i++)
		if (strcmp(tabs[i].name, "tapes"))
			err = copy_table(x, db, &tabs[i], !strcmp(tabs[i].name, "meta") ?
					 "WHERE tape IS NOT NULL" : "", ids, id_cnt);
	if (!err)
		err = create_views(x, db);
	for (size_t i = 0; !err && i < cnt; i++)
		if (!strcmp(tabs[i].name, "tapes"))
			err = copy_table(x, db, &tabs[i], "", ids, id_cnt);
	for (size_t i = 0; !err && i < cnt; i++)
		if (!strcmp(tabs[i].name, "meta"))
			err = copy_table(x, db, &tabs[i], "WHERE tape IS NULL", ids, id_cnt);
	for (size_t i = 0; i < cnt; i++)
		free_table(&tabs[i]);
	free(tabs);
	x->tabs = NULL;
	x->tab_cnt = 0;
	return err;
}

int tt_ch_load(const struct tt_ch_url *u, const char *const *tapes, size_t tape_cnt,
	       const struct tt_load_opts *lo, struct tt_ch_load_stats *st)
{
	struct tt_ch_load_stats dummy;
	struct ch x = {.u = u, .out = lo->out, .st = st ? st : &dummy};
	char (*ids)[33] = calloc(tape_cnt ? tape_cnt : 1, 33);
	const char **todo = calloc(tape_cnt ? tape_cnt : 1, sizeof(*todo));
	char *committed = NULL, *tmpdir = NULL, *tmpdb = NULL;
	struct tt_load_opts sqlo = *lo;
	size_t todo_cnt = 0;
	sqlite3 *db = NULL;
	uint64_t t0;
	int err = 0;

	memset(x.st, 0, sizeof(*x.st));
	if (!ids || !todo) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = connect_all(&x);
	for (size_t i = 0; !err && i < x.shard_cnt; i++)
		err = execf(&x, x.shards[i], NULL, "CREATE DATABASE IF NOT EXISTS `%s`", u->database);
	if (!err)
		err = committed_tapes(&x, &committed);
	/* the tapes not yet in the database */
	for (size_t i = 0; !err && i < tape_cnt; i++) {
		char pat[40];
		const char *hit = NULL;

		err = tape_identity(tapes[i], ids[todo_cnt], lo->out);
		snprintf(pat, sizeof(pat), "\t%s\n", ids[todo_cnt]);
		for (size_t j = 0; !err && j < todo_cnt && !hit; j++)
			if (!strcmp(ids[j], ids[todo_cnt]))
				hit = "given twice (the same tape)";
		if (!err && !hit && strstr(committed, pat))
			hit = "already loaded into";
		if (err)
			break;
		if (hit) {
			tt_notice(lo->out, "%s: %s%s%s; skipped", tapes[i], hit, hit[0] == 'a' ? " " : "",
				  hit[0] == 'a' ? u->database : "");
			x.st->skipped++;
			continue;
		}
		todo[todo_cnt++] = tapes[i];
	}
	if (err || !todo_cnt)
		goto cleanup;
	t0 = tt_now_mono_ns();
	err = make_tmp(&tmpdir, &tmpdb);
	if (err) {
		tt_err(lo->out, "a temporary directory for the load: %s", strerror(-err));
		goto cleanup;
	}
	sqlo.force = 0;
	err = tt_load(tmpdb, todo, todo_cnt, &sqlo, NULL);
	if (err)
		goto cleanup;
	x.st->sqlite_ns = tt_now_mono_ns() - t0;
	t0 = tt_now_mono_ns();
	if (sqlite3_open_v2(tmpdb, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		tt_err(lo->out, "%s: %s", tmpdb, sqlite3_errmsg(db));
		err = -TT_E_SQL;
		goto cleanup;
	}
	err = send_all(&x, db, committed, ids, todo_cnt);
	x.st->tapes = err ? 0 : todo_cnt;
	x.st->send_ns = tt_now_mono_ns() - t0;
	if (err == -TT_E_SERVER)
		tt_err(lo->out, "the load into %s did not complete: its rows are dropped by the next "
		       "load of these tapes, which loads them again", u->database);
cleanup:
	sqlite3_close(db);
	if (tmpdb)
		unlink(tmpdb);
	if (tmpdir)
		rmdir(tmpdir);
	free(tmpdb);
	free(tmpdir);
	free(committed);
	free(ids);
	free(todo);
	disconnect_all(&x);
	return err;
}
