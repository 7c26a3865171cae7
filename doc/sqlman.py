#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write tracetape-sql(7), the man page of the database schema, from schemas/tracetape.sql.

The schema file is the contract and its comments are the documentation of every table and
column: the page is that file, shown as it is, under a short introduction.

    sqlman.py TRACETAPE_SQL VERSION OUTPUT
"""
import sys


def roff(text):
    out = []
    for line in text.splitlines():
        line = line.replace("\\", "\\e").replace("-", "\\-")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out) + "\n"


def main():
    sql_path, version, out_path = sys.argv[1:4]
    with open(sql_path, encoding="utf-8") as f:
        sql = f.read()
    page = f""".TH TRACETAPE\\-SQL 7 "" "tracetape {version}" "tracetape manual"
.SH NAME
tracetape\\-sql \\- the SQLite database of tracetape load: tables, views and functions
.SH DESCRIPTION
\\fBtracetape load\\fR writes tapes into an SQLite database that any SQLite client reads
without tracetape. \\fBtracetape query\\fR runs SQL on it (or on a tape, loaded first), and the
sqlite3 shell gets tracetape's SQL functions with \\fB.load\\fR of the extension
\\fItracetape_sqlite\\fR, installed in the library directory.
.PP
The schema below is the contract, executed as written by every load; its comments document
every table and column, the per\\-probe views and the tracepoint tables, and the functions
percentile(x, p), percentile_cont(x, p), median(x), log2_bucket(x) and log2_hist(x).
.SH SCHEMA
.nf
{roff(sql)}.fi
.SH SEE ALSO
\\fBtracetape\\fR(1), \\fBtracetape\\-load\\fR(1), \\fBtracetape\\-query\\fR(1), \\fBsqlite3\\fR(1)
"""
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(page)


if __name__ == "__main__":
    main()
