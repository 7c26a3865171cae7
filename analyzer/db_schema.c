/* SPDX-License-Identifier: MIT */
/*
 * The embedded schema and small SQLite helpers (db_schema.h). The schema text is generated at
 * build time from schemas/tracetape.sql (schemas/embed.py writes tracetape_sql.h in the build
 * directory), so the database is created from the very file that documents it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_schema.h"
#include "sqlfuncs.h"
#include "tape_format.h"
#include "tracetape_sql.h"
#include "tt_error.h"
#include "tt_util.h"

#define INDEX_MARK "-- @@indexes"
#define SQLITE_MAGIC "SQLite format 3"

static size_t split_at(void)
{
	const char *m = strstr(tt_schema_sql, INDEX_MARK);

	return m ? (size_t)(m - tt_schema_sql) : sizeof(tt_schema_sql) - 1;
}

void tt_db_schema_tables(const char **sql, size_t *len)
{
	*sql = tt_schema_sql;
	*len = split_at();
}

void tt_db_schema_indexes(const char **sql, size_t *len)
{
	size_t at = split_at();

	*sql = tt_schema_sql + at;
	*len = sizeof(tt_schema_sql) - 1 - at;
}

int tt_db_schema_indexes_split(struct tt_buf *spans, struct tt_buf *others)
{
	const char *sql, *p, *end;
	size_t len;

	tt_db_schema_indexes(&sql, &len);
	/* the section holds one statement per line */
	for (p = sql, end = sql + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (!strncmp(p, "CREATE ", 7)) {
			const char *on = strstr(p, " ON spans ");
			struct tt_buf *to = on && on < p + n ? spans : others;

			if (to && tt_buf_append(to, p, n))
				return -ENOMEM;
		}
		p += n;
	}
	if ((spans && tt_buf_append(spans, "", 1)) || (others && tt_buf_append(others, "", 1)))
		return -ENOMEM;
	return 0;
}

void tt_db_bulk_mode(void)
{
	/* Only possible before SQLite initialises; a later call fails harmlessly. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int tt_db_open(const char *path, int flags, sqlite3 **db, const struct tt_out *out)
{
	int err;

	*db = NULL;
	/* NOMUTEX: each connection is used by one thread; skips SQLite's per-call mutexes */
	if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		tt_err(out, "cannot open database '%s': %s", path,
		       *db ? sqlite3_errmsg(*db) : "out of memory");
		err = -TT_E_SQL;
		goto cleanup;
	}
	sqlite3_extended_result_codes(*db, 1);
	sqlite3_busy_timeout(*db, 5000);
	err = tt_sqlfuncs_register(*db);
	if (err) {
		tt_err(out, "cannot register SQL functions: %s", sqlite3_errmsg(*db));
		goto cleanup;
	}
	return 0;
cleanup:
	sqlite3_close(*db);
	*db = NULL;
	return err;
}

int tt_db_exec(sqlite3 *db, const char *sql, int len, const struct tt_out *out)
{
	const char *p = sql, *end = len < 0 ? sql + strlen(sql) : sql + len;

	while (p < end) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(db, p, (int)(end - p), &st, &tail);

		if (rc != SQLITE_OK) {
			tt_err(out, "SQL error: %s", sqlite3_errmsg(db));
			return -TT_E_SQL;
		}
		if (!st) /* whitespace or comments only */
			break;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			tt_err(out, "SQL error: %s", sqlite3_errmsg(db));
			sqlite3_finalize(st);
			return -TT_E_SQL;
		}
		sqlite3_finalize(st);
		p = tail;
	}
	return 0;
}

int tt_db_prepare(sqlite3 *db, const char *sql, int persistent, sqlite3_stmt **st,
		  const struct tt_out *out)
{
	if (sqlite3_prepare_v3(db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, st,
			       NULL) != SQLITE_OK) {
		tt_err(out, "SQL error: %s", sqlite3_errmsg(db));
		*st = NULL;
		return -TT_E_SQL;
	}
	return 0;
}

int tt_db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, const struct tt_out *out)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		/* the message before the reset, which may replace it */
		tt_err(out, "%s: %s", what, sqlite3_errmsg(db));
		sqlite3_reset(st);
		return -TT_E_SQL;
	}
	sqlite3_reset(st);
	return 0;
}

int tt_db_utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t len;
		uint32_t cp;

		if (c >= 0x01 && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += len;
	}
	return 1;
}

void tt_db_bind_bytes(sqlite3_stmt *st, int col, const uint8_t *p, size_t n)
{
	if (tt_db_utf8_ok(p, n))
		sqlite3_bind_text(st, col, (const char *)p, (int)n, SQLITE_STATIC);
	else
		sqlite3_bind_blob(st, col, p, (int)n, SQLITE_STATIC);
}

int tt_file_sniff(const char *path, enum tt_file_kind *kind)
{
	char buf[16];
	struct stat sb;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) != 0) {
		err = -errno;
		goto cleanup;
	}
	if (S_ISDIR(sb.st_mode)) {
		err = -EISDIR;
		goto cleanup;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	*kind = TT_FILE_OTHER;
	if (n >= TT_TAPE_MAGIC_SZ && !memcmp(buf, TT_TAPE_MAGIC, TT_TAPE_MAGIC_SZ))
		*kind = TT_FILE_TAPE;
	else if (n == (ssize_t)sizeof(buf) && !memcmp(buf, SQLITE_MAGIC, sizeof(SQLITE_MAGIC)))
		*kind = TT_FILE_SQLITE;
cleanup:
	close(fd);
	return err;
}

void tt_db_ident(const char *name, char *buf, size_t buf_sz)
{
	size_t o = 0;

	if (buf_sz < 2) {
		if (buf_sz)
			buf[0] = 0;
		return;
	}
	if ((name[0] >= '0' && name[0] <= '9') || !name[0])
		buf[o++] = '_';
	for (const char *p = name; *p && o + 1 < buf_sz; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';

		buf[o++] = ok ? c : '_';
	}
	buf[o] = 0;
}
