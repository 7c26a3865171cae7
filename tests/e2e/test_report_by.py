# SPDX-License-Identifier: MIT
"""Test plan: report --by with several keys, and statements grouped like pg_stat_statements
(issue 17). No BPF needed: tapes from tt-mktape with known durations.

by-1  --by class,method groups by both values: Shape::make and Tree::make apart, with their
      exact counts and durations; a span without the arguments is one "(none), (none)" group.
by-2  --by query groups PostgreSQL statements by their normalized text (constants as $1, $2...),
      with the first statement of each group as its example, in text and in HTML.
by-3  a key no probe has is a usage error naming it.
by-4  report --format json (and --json): the same groups, values, examples and durations as
      numbers, the totals of the capture.
"""
import json

import pytest

from conftest import mktape, tt

TAPE = """\
probe 0 postgresql query__start str:query
probe 1 postgresql query__done str:query
probe 2 jvm method__entry str:class str:method
probe 3 jvm method__return str:class str:method
process 100 1 pg /usr/bin/pg pg
event 1000000000 0 100 101 postgresql:query__start "SELECT abalance FROM pgbench_accounts WHERE aid = 5;"
event +1ms 0 100 101 postgresql:query__done "SELECT abalance FROM pgbench_accounts WHERE aid = 5;"
event +1ms 0 100 101 postgresql:query__start "SELECT abalance FROM pgbench_accounts WHERE aid = 77;"
event +2ms 0 100 101 postgresql:query__done "SELECT abalance FROM pgbench_accounts WHERE aid = 77;"
event +1ms 0 100 101 postgresql:query__start "UPDATE pgbench_tellers SET tbalance = tbalance + -12 WHERE tid = 3;"
event +3ms 0 100 101 postgresql:query__done "UPDATE pgbench_tellers SET tbalance = tbalance + -12 WHERE tid = 3;"
event +1ms 0 100 102 jvm:method__entry "Shape" "make"
event +1ms 0 100 102 jvm:method__return "Shape" "make"
event +1ms 0 100 102 jvm:method__entry "Tree" "make"
event +2ms 0 100 102 jvm:method__return "Tree" "make"
event +1ms 0 100 102 jvm:method__entry "Tree" "make"
event +4ms 0 100 102 jvm:method__return "Tree" "make"
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    d = tmp_path_factory.mktemp("by")
    mktape(TAPE, d / "by.tape")
    r = tt("load", "-o", d / "by.db", d / "by.tape")
    assert r.returncode == 0, r.stderr
    return d / "by.db"


def spans_rows(text):
    block = text.split("\nSpans by argument\n", 1)[1].split("\n\n", 1)[0]
    return [line for line in block.splitlines()[1:]]


def test_two_keys(db):
    r = tt("report", "--raw", "--by", "class,method", db)
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in spans_rows(r.stdout)]
    # name, "class,method=V1,", "V2", count, rate, min, p50 ...
    got = {(x[1], x[2]): (x[3], x[5], x[-3]) for x in rows if x[0] == "jvm:method"}
    assert got == {("class,method=Shape,", "make"): ("1", "1000000", "1000000"),
                   ("class,method=Tree,", "make"): ("2", "2000000", "4000000")}
    none = [x for x in rows if x[0] == "postgresql:query"]
    assert [(x[1], x[2], x[3]) for x in none] == [("class,method=(none),", "(none)", "3")]


def test_query_normalized_with_an_example(db):
    r = tt("report", "--raw", "--by", "query", db)
    assert r.returncode == 0, r.stderr
    rows = spans_rows(r.stdout)
    text = "\n".join(rows)
    assert ("postgresql:query query=SELECT abalance FROM pgbench_accounts WHERE aid = $1;"
            in text)
    assert ("postgresql:query query=UPDATE pgbench_tellers SET tbalance = tbalance + $1 "
            "WHERE tid = $2;" in text)
    sel = next(i for i, line in enumerate(rows) if "aid = $1;" in line)
    assert rows[sel].split()[-10] == "2"  # two statements, one group
    assert rows[sel + 1].strip() == "e.g. SELECT abalance FROM pgbench_accounts WHERE aid = 5;"
    html = tt("report", "--format", "html", "--by", "query", db).stdout
    assert "WHERE aid = $1;" in html
    assert "e.g. SELECT abalance FROM pgbench_accounts WHERE aid = 5;" in html


def test_unknown_key(db):
    r = tt("report", "--by", "class,nope", db)
    assert r.returncode == 2
    assert "--by class,nope: no probe has an argument named 'nope'" in r.stderr


def test_json(db):
    r = tt("report", "--format", "json", "--by", "query", db)
    assert r.returncode == 0, r.stderr
    assert tt("report", "--json", "--by", "query", db).stdout == r.stdout
    doc = json.loads(r.stdout)
    assert (doc["events"], doc["spans"], doc["open_spans"], doc["by"]) == (12, 6, 0, "query")
    groups = {(g["provider"], g["name"], g["value"]): g for g in doc["groups"]}
    sel = groups[("postgresql", "query", "SELECT abalance FROM pgbench_accounts WHERE aid = $1;")]
    assert sel["example"] == "SELECT abalance FROM pgbench_accounts WHERE aid = 5;"
    assert (sel["count"], sel["min_ns"], sel["p50_ns"], sel["max_ns"]) == (2, 1000000, 1000000,
                                                                          2000000)
    assert groups[("jvm", "method", "(none)")]["example"] is None
    assert [s["dur_ns"] for s in doc["slowest"]][:2] == [4000000, 3000000]
