/* SPDX-License-Identifier: MIT */
/*
 * The inputs of query and report (loader.h, tt_input_open): an SQLite database opened as it
 * is, or a tape (also "-", standard input, or a pipe) loaded with tt_load() into a database.
 *
 * A tape file's database is kept in a cache ($XDG_CACHE_HOME/tracetape, else
 * ~/.cache/tracetape) under the tape's identity: its device, inode, size, modification and
 * change times and the first bytes of the file (its header holds the time it was created), with
 * the database schema's version. The next query or report of the same, unchanged tape opens it
 * (read-only) instead of loading the tape again. A load with custom span rules or debug
 * directories, of a pipe, of a damaged tape, or with TT_INPUT_NO_CACHE goes into a directory
 * of its own under $TMPDIR, removed again by tt_input_close(). The cache keeps the CACHE_KEEP most recent databases.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_schema.h"
#include "loader.h"
#include "tt_error.h"
#include "tt_util.h"

#define CACHE_KEEP 8        /* databases kept in the cache, the most recently used */
#define IDENTITY_HEAD 64    /* bytes of the tape's start that go into its identity */

/* FNV-1a, 64 bits: the cache's file names (not a security boundary: the directory is 0700). */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The cache directory, created (0700) if needed: malloc'd, or NULL when there is none. */
static char *cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *base = NULL, *dir = NULL;

	if (xdg && *xdg)
		base = strdup(xdg);
	else if (home && *home && asprintf(&base, "%s/.cache", home) < 0)
		base = NULL;
	if (!base)
		return NULL;
	if (asprintf(&dir, "%s/tracetape", base) < 0)
		dir = NULL;
	if (dir && ((mkdir(base, 0700) && errno != EEXIST) || (mkdir(dir, 0700) && errno != EEXIST))) {
		free(dir);
		dir = NULL;
	}
	free(base);
	return dir;
}

/* The tape's identity as a file name in dir ("DIR/HEX.db"): malloc'd, or NULL. */
static char *cache_path(const char *dir, const char *path)
{
	uint8_t head[IDENTITY_HEAD] = {0};
	uint64_t h = 0xcbf29ce484222325ULL;
	int schema = TT_DB_SCHEMA_VERSION, fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char *out = NULL;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || pread(fd, head, sizeof(head), 0) < 0) {
		close(fd);
		return NULL;
	}
	close(fd);
	h = fnv1a(h, &sb.st_dev, sizeof(sb.st_dev));
	h = fnv1a(h, &sb.st_ino, sizeof(sb.st_ino));
	h = fnv1a(h, &sb.st_size, sizeof(sb.st_size));
	h = fnv1a(h, &sb.st_mtim, sizeof(sb.st_mtim));
	h = fnv1a(h, &sb.st_ctim, sizeof(sb.st_ctim));
	h = fnv1a(h, head, sizeof(head));
	h = fnv1a(h, &schema, sizeof(schema));
	if (asprintf(&out, "%s/%016llx.db", dir, (unsigned long long)h) < 0)
		out = NULL;
	return out;
}

/* Keep the CACHE_KEEP most recently used databases of dir (by modification time). */
static void cache_trim(const char *dir)
{
	struct ent {
		char name[64];
		struct timespec t;
	} ents[64];
	size_t n = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp)) && n < TT_ARRAY_SIZE(ents)) {
		size_t len = strlen(d->d_name);
		struct stat sb;

		if (len < 4 || len >= sizeof(ents[0].name) || strcmp(d->d_name + len - 3, ".db") ||
		    fstatat(dirfd(dp), d->d_name, &sb, 0) != 0)
			continue;
		memcpy(ents[n].name, d->d_name, len + 1);
		ents[n++].t = sb.st_mtim;
	}
	while (n > CACHE_KEEP) {
		size_t oldest = 0;

		for (size_t i = 1; i < n; i++)
			if (ents[i].t.tv_sec < ents[oldest].t.tv_sec ||
			    (ents[i].t.tv_sec == ents[oldest].t.tv_sec &&
			     ents[i].t.tv_nsec < ents[oldest].t.tv_nsec))
				oldest = i;
		unlinkat(dirfd(dp), ents[oldest].name, 0);
		ents[oldest] = ents[--n];
	}
	closedir(dp);
}

/*
 * path's database from the cache (read-only), loading the tape into the cache first when it is
 * not there. Returns 0 with in->db set; 1 when the cache cannot serve (no cache directory, a
 * damaged tape: the caller loads a private copy); or a negative error (said).
 */
static int open_cached(const char *path, const struct tt_load_opts *lo, struct tt_input *in)
{
	char *dir = cache_dir(), *db = dir ? cache_path(dir, path) : NULL, *tmp = NULL;
	struct tt_load_opts tlo = *lo;
	struct tt_load_stats st;
	int err = 1;

	if (!db)
		goto cleanup;
	if (access(db, R_OK) == 0) {
		tt_info(lo->out, "%s: the database loaded from it before (%s)", path, db);
		utimensat(AT_FDCWD, db, NULL, 0); /* recently used: kept longest */
		err = tt_db_open(db, SQLITE_OPEN_READONLY, &in->db, lo->out);
		goto cleanup;
	}
	if (asprintf(&tmp, "%s.%d.tmp", db, (int)getpid()) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	tlo.force = 1;
	err = tt_load(tmp, &path, 1, &tlo, &st);
	if (err)
		goto cleanup;
	if (st.tapes_damaged) {
		/* not kept: the next reader should see the damage said again */
		in->tmpdb = tmp;
		tmp = NULL;
		err = tt_db_open(in->tmpdb, SQLITE_OPEN_READWRITE, &in->db, lo->out);
		goto cleanup;
	}
	if (rename(tmp, db) != 0) {
		err = -errno;
		tt_err(lo->out, "cannot keep '%s': %s", db, strerror(-err));
		goto cleanup;
	}
	cache_trim(dir);
	err = tt_db_open(db, SQLITE_OPEN_READONLY, &in->db, lo->out);
cleanup:
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(db);
	free(dir);
	return err;
}

int tt_input_open(const char *path, const struct tt_load_opts *lo, int flags, struct tt_input *in)
{
	int writable = flags & TT_INPUT_WRITABLE;
	struct tt_load_opts tlo = *lo;
	enum tt_file_kind kind;
	const char *tmp = getenv("TMPDIR");
	struct stat sb = {0};
	int err;

	memset(in, 0, sizeof(*in));
	/* standard input or a pipe cannot be looked at first: it is a tape (a database is a file) */
	if (!strcmp(path, "-") || (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))) {
		kind = TT_FILE_TAPE;
		err = 0;
	} else {
		err = tt_file_sniff(path, &kind);
	}
	if (err) {
		tt_err(lo->out, "cannot open '%s': %s", path, strerror(-err));
		return err;
	}
	if (kind == TT_FILE_SQLITE)
		return tt_db_open(path, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY,
				  &in->db, lo->out);
	if (kind != TT_FILE_TAPE) {
		tt_err(lo->out, "'%s' is neither a tape nor an SQLite database", path);
		return -TT_E_BAD_MAGIC;
	}
	in->from_tape = 1;
	if (!(flags & TT_INPUT_NO_CACHE) && !lo->rule_cnt && !lo->debug_dir_cnt &&
	    strcmp(path, "-") &&
	    S_ISREG(sb.st_mode)) {
		err = open_cached(path, lo, in);
		if (err <= 0) {
			if (err)
				tt_input_close(in);
			return err;
		}
	}
	if (asprintf(&in->tmpdir, "%s/tracetape-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		in->tmpdir = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(in->tmpdir)) {
		err = -errno;
		tt_err(lo->out, "cannot create a temporary directory '%s': %s", in->tmpdir, strerror(-err));
		goto cleanup;
	}
	if (asprintf(&in->tmpdb, "%s/load.db", in->tmpdir) < 0) {
		in->tmpdb = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	tlo.force = 1;
	err = tt_load(in->tmpdb, &path, 1, &tlo, NULL);
	if (!err)
		err = tt_db_open(in->tmpdb, SQLITE_OPEN_READWRITE, &in->db, lo->out);
	if (err)
		goto cleanup;
	return 0;
cleanup:
	tt_input_close(in);
	return err;
}

void tt_input_close(struct tt_input *in)
{
	if (!in)
		return;
	sqlite3_close(in->db);
	in->db = NULL;
	if (in->tmpdb) {
		unlink(in->tmpdb);
		free(in->tmpdb);
		in->tmpdb = NULL;
	}
	if (in->tmpdir) {
		rmdir(in->tmpdir);
		free(in->tmpdir);
		in->tmpdir = NULL;
	}
}
