/* SPDX-License-Identifier: MIT */
/*
 * The inputs of query and report (loader.h, tt_input_open): an SQLite database opened as it
 * is, or a tape loaded with tt_load() into a database in a directory of its own under $TMPDIR,
 * removed again by tt_input_close().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_schema.h"
#include "loader.h"
#include "tt_error.h"

int tt_input_open(const char *path, const struct tt_load_opts *lo, int writable, struct tt_input *in)
{
	struct tt_load_opts tlo = *lo;
	enum tt_file_kind kind;
	const char *tmp = getenv("TMPDIR");
	int err;

	memset(in, 0, sizeof(*in));
	err = tt_file_sniff(path, &kind);
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
	in->from_tape = 1;
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
