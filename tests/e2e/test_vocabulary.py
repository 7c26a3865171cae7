# SPDX-License-Identifier: MIT
"""Test plan: one flag vocabulary across the commands (issue 17). No BPF needed.

voc-1  the README's flag table is exactly what scripts/flag_table.py makes of
       `tracetape help --options`, so the README and every command's --help agree.
voc-2  the rules hold for every command: -p is --pid, -P is --probe, -o is --output, -f is
       --format, a command whose --format has json also takes --json; no -f means --force.
voc-3  the new spellings work: --format/--json/-o on info, list, query, replay and report
       (report -o FILE.html writes the HTML page, -o - prints to standard output).
voc-4  the old spellings still work, each with a deprecation note on stderr: query -F,
       load -f, replay -p GLOB, report --html FILE.
voc-5  a --format value a command does not take is a usage error (exit 2) naming the values.
"""
import json
import sqlite3
import subprocess

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, mktape, tt

TAPE = """\
meta host h
clock 1000000000 1700000000000000000
probe 0 myapp request__begin u64:id str:url
probe 1 myapp request__end u64:id s32:status
probe 2 myapp tick u64:n
process 100 1 myapp /usr/bin/myapp myapp
process 200 1 other /usr/bin/other other
event 1000000000 0 100 101 myapp:request__begin 7 "/a"
event +1ms 0 100 101 myapp:request__end 7 200
event +1ms 0 200 201 myapp:tick 1
event +1ms 0 100 101 myapp:request__begin 8 "/b"
event +3ms 0 100 101 myapp:request__end 8 404
"""


@pytest.fixture
def tape(tmp_path):
    path = tmp_path / "v.tape"
    mktape(TAPE, path)
    return path


def options():
    r = tt("help", "--options")
    assert r.returncode == 0, r.stderr
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert rows and all(len(f) == 6 for f in rows), rows[:3]
    return rows


def test_readme_table_matches_help():
    r = subprocess.run(["/usr/bin/python3", SOURCE_DIR / "scripts" / "flag_table.py",
                        BUILD_DIR / "tracetape"], capture_output=True, text=True, check=True)
    readme = (SOURCE_DIR / "README.md").read_text()
    begin, end = "<!-- flags:begin -->\n", "<!-- flags:end -->"
    assert begin in readme and end in readme
    table = readme.split(begin, 1)[1].split(end, 1)[0]
    assert table == r.stdout, ("README.md's flag table is stale: run "
                               "scripts/flag_table.py BUILD/tracetape --write README.md")


def test_vocabulary_rules():
    rows = options()
    meaning = {"-p": "--pid", "-P": "--probe", "-o": "--output", "-f": "--format"}
    by_cmd = {}
    for cmd, short, long_, arg, help_, old in rows:
        by_cmd.setdefault(cmd, {})[long_] = (short, help_, old)
        if short in meaning:
            assert long_ == meaning[short], (cmd, short, long_)
        if long_ in meaning.values() and long_ != "--probe" or long_ == "--probe" and short:
            assert short == next(k for k, v in meaning.items() if v == long_), (cmd, long_)
        assert long_ != "--force" or short == "", (cmd, "-f is --format, never --force")
    for cmd, opts in by_cmd.items():
        fmt = opts.get("--format")
        if fmt and "json" in fmt[1]:
            assert "--json" in opts, (cmd, "--format json without --json")
        if "--json" in opts:
            assert "--format" in opts, (cmd, "--json without --format")
    # the commands that select probes do it with --probe; the ones that take a pid with --pid
    assert "--probe" in by_cmd["replay"] and "--probe" in by_cmd["record"]
    assert all("--pid" in by_cmd[c] for c in ("record", "replay", "list"))
    assert all("--output" in by_cmd[c] for c in ("record", "load", "query", "report", "info",
                                                  "replay", "list", "gen-header"))


def test_help_shows_old_spellings():
    r = tt("query", "--help")
    assert r.returncode == 0
    assert "(formerly -F, still accepted for now)" in r.stdout
    r = tt("help", "--man", "load")
    assert "(Formerly \\fB\\-f\\fR, which still works for now.)" in r.stdout


def test_formats_and_outputs(tape, tmp_path):
    # info
    text = tt("info", tape)
    as_json = tt("info", "--format", "json", tape)
    short = tt("info", "--json", tape)
    assert text.returncode == as_json.returncode == short.returncode == 0
    assert as_json.stdout == short.stdout
    assert json.loads(as_json.stdout)["events"] == 5
    out = tmp_path / "info.txt"
    r = tt("info", "-o", out, tape)
    assert r.returncode == 0 and r.stdout == ""
    assert out.read_text() == text.stdout
    # replay
    lines = tt("replay", "-f", "json", tape).stdout
    assert tt("replay", "--json", tape).stdout == lines
    assert tt("replay", "-o", "-", "-f", "json", tape).stdout == lines
    assert [json.loads(x)["probe"] for x in tt("replay", "--json", "-P", "*:tick", tape)
            .stdout.splitlines()] == ["myapp:tick"]
    assert [json.loads(x)["pid"] for x in tt("replay", "--json", "-p", "200", tape)
            .stdout.splitlines()] == [200]
    # query
    sql = "SELECT count(*) AS n FROM events"
    r = tt("query", "-f", "json", tape, sql)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"n": 5}]
    assert tt("query", "--json", tape, sql).stdout == r.stdout
    assert tt("query", "-f", "text", tape, sql).stdout == tt("query", tape, sql).stdout
    out = tmp_path / "q.csv"
    r = tt("query", "-f", "csv", "-o", out, tape, sql)
    assert r.returncode == 0 and r.stdout == ""
    assert out.read_text() == "n\n5\n"
    # report: text on stdout with -o -, HTML by -o FILE.html or --format html
    db = tmp_path / "v.db"
    assert tt("load", "-o", db, tape).returncode == 0
    text = tt("report", db)
    assert text.returncode == 0 and "request" in text.stdout
    assert tt("report", "-o", "-", db).stdout == text.stdout
    html = tmp_path / "r.html"
    r = tt("report", "-o", html, db)
    assert r.returncode == 0 and r.stdout == "", r.stderr
    assert html.read_text().startswith("<!DOCTYPE html>")
    r = tt("report", "--format", "html", "-o", "-", db)
    assert r.returncode == 0 and r.stdout.startswith("<!DOCTYPE html>")
    # list
    r = tt("list", "--format", "json", BUILD_DIR / "tracetape")
    assert r.returncode in (0, 1)
    assert r.stdout == tt("list", "--json", BUILD_DIR / "tracetape").stdout


def test_old_spellings_still_work(tape, tmp_path):
    sql = "SELECT count(*) AS n FROM events"
    r = tt("query", "-F", "csv", tape, sql)
    assert r.returncode == 0
    assert r.stdout == tt("query", "-f", "csv", tape, sql).stdout
    assert "'-F' is deprecated and will go: use '-f' (--format)" in r.stderr

    db = tmp_path / "v.db"
    assert tt("load", "-o", db, tape).returncode == 0
    r = tt("load", "-f", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    assert "'-f' is deprecated and will go: use '--force'" in r.stderr
    assert sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone() == (5,)

    r = tt("replay", "--json", "-p", "*:tick", tape)
    assert r.returncode == 0
    assert [json.loads(x)["probe"] for x in r.stdout.splitlines()] == ["myapp:tick"]
    assert "'-p GLOB' is deprecated" in r.stderr and "-P GLOB" in r.stderr

    html = tmp_path / "old.html"
    r = tt("report", "--html", html, db)
    assert r.returncode == 0, r.stderr
    assert "'--html FILE' is deprecated and will go: use '-o FILE'" in r.stderr
    assert html.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("cmd,values", [
    ("info", "text or json"),
    ("list", "text or json"),
    ("replay", "text, json or chrome"),
    ("query", "table, csv, json or text"),
    ("report", "text, html or json"),
])
def test_bad_format_is_usage_error(cmd, values, tape):
    args = [cmd, "--format", "yaml", tape] + (["SELECT 1"] if cmd == "query" else [])
    r = tt(*args)
    assert r.returncode == 2
    assert f"--format 'yaml': expected {values}" in r.stderr
