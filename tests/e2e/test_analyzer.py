# SPDX-License-Identifier: MIT
"""Test plan: the analyzer through the command line (`tracetape load`, `query`, `report`) on tapes
made by tests/tools/tt-mktape whose spans are known here, independently of tracetape. No BPF.

an-1  spans exact: nesting and recursion on a thread stack (depth, parent), requests paired by id
      across threads with random overlapping durations, Go functions by goroutine, a span left
      open, spans over a loss window: the spans table equals what this file computes.
an-2  report --raw: count, min, p50, p90, p99, p99.9, max per span name equal nearest-rank
      percentiles computed here; the post-mortem lists the open span and its thread's events.
an-3  report --by ARG groups by an argument of the start event, exactly.
an-4  the sqlite3 shell opens the database; `.load` of the extension gives percentile(),
      percentile_cont(), median(), log2_hist() with the documented definitions.
an-5  report --html renders in headless Chromium: no console errors, SVG charts in the DOM; a
      screenshot is kept in tests/artifacts/.
an-6  query: table, CSV and JSON output exactly; a tape is loaded on the fly.
an-7  several tapes (two hosts) into one database: tapes, events in time order, no pairing
      across hosts; a cut tape loads up to the cut with a warning in meta.
an-8  bad input: invalid SQL, missing file, not a tape, a non-tracetape database, an existing
      database without --force, bad options: exit 1 / 2 and the exact message.
an-9  --span NAME=START,END,key=ARG pairs two probes by a string argument, for load and query.
an-10 report: a probe's value statistics are those of the argument named like a quantity (or of
      its one number when the probe's name is one), else of a float, never of an id, a pointer
      or a string; --value PROBE=ARG chooses, 'none' hides; bad --value: exit 2, exact message.
an-11 what a value is: a faulted argument of any kind is NULL in events and views (the empty
      strings that were read stay ''), <fault> in replay and report; C++ mangled names (kind
      cxxname) demangled in replay (text, JSON, Chrome), report (counted by value) and the
      database, kept as recorded when cut or not a name; a Go function's entries and returns in
      two views, and told apart by info, replay and report.
an-12 query keeps SQLite's memory statistics, so a user's PRAGMA hard_heap_limit bounds a query:
      a percentile over 2 million values (16 MB) under an 8 MiB limit fails with "out of
      memory" and exit 1, on a database and on a tape loaded on the fly; without it, it answers.
"""
import json
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, db_rows, host_env, mktape, run, tt

EXT = BUILD_DIR / "analyzer" / "tracetape_sqlite.so"
ARTIFACTS = SOURCE_DIR / "tests" / "artifacts"
T0 = 1_000_000_000


def nearest_rank(values, p_num, p_den=1):
    """The p-th percentile, p = p_num / p_den, by nearest rank: sorted[ceil(p/100 * n) - 1]."""
    s = sorted(values)
    rank = -(-(p_num * len(s)) // (p_den * 100))
    return s[max(rank, 1) - 1]


class Capture:
    """Builds a tt-mktape description and, beside it, the spans it must produce."""

    def __init__(self):
        self.lines = [
            "meta host testhost",
            "meta boot_id boot-1",
            f"clock {T0} 1700000000000000000",
            "probe 0 app req__begin u64:id str:url",
            "probe 1 app req__end u64:id s32:status",
            "probe 2 app fib__entry s64:n",
            "probe 3 app fib__return s64:n",
            "probe 4 go main.work type=go_entry",
            "probe 5 go main.work type=go_return",
            "probe 6 app rows u64:n",
        ]
        self.events = []   # (ts, cpu, pid, tid, probe, extra tokens)
        self.spans = []    # dicts, completed by finish()
        self.losses = []   # (cpu, tape probe id or None, start, end, count)

    def ev(self, ts, pid, tid, probe, *args, goid=None):
        extra = ([f"goid={goid}"] if goid else []) + [str(a) for a in args]
        self.events.append((ts, tid % 4, pid, tid, probe, extra))
        return (ts, tid % 4, probe)

    def span(self, name, provider, pairing, pid, start, end, depth=0, parent=None, key=None,
             goid=None):
        s = dict(name=name, provider=provider, pairing=pairing, pid=pid, start=start, end=end,
                 depth=depth, parent=parent, key=key, goid=goid)
        self.spans.append(s)
        return s

    def text(self):
        lines = list(self.lines)
        for ts, cpu, pid, tid, probe, extra in sorted(self.events):
            lines.append(" ".join(["event", str(ts), str(cpu), str(pid), str(tid), str(probe)] + extra))
        for cpu, probe, start, end, count in self.losses:
            lines.append(f"loss {cpu} {'*' if probe is None else probe} {start} {end} {count}")
        return "\n".join(lines) + "\n"

    def finish(self):
        """Span ids in start order, parents as ids, lost flags by the documented rule."""
        order = sorted(self.spans, key=lambda s: s["start"][0])
        for i, s in enumerate(order, 1):
            s["id"] = i
        last = max(e[0] for e in self.events)
        rows = []
        for s in order:
            st_ts, st_cpu, st_probe = s["start"]
            en_ts, en_cpu, en_probe = s["end"] if s["end"] else (None, None, None)
            lost = 0
            for cpu, probe, a, b, _ in self.losses:
                hi = en_ts if en_ts is not None else last
                if a <= hi and b >= st_ts and (probe is None or cpu in (st_cpu, en_cpu)
                                                or probe in (st_probe, en_probe)):
                    lost = 1
            rows.append((s["id"], s["provider"], s["name"], s["pairing"], s["pid"], st_ts, en_ts,
                         None if en_ts is None else en_ts - st_ts, s["depth"],
                         s["parent"]["id"] if s["parent"] else None, s["key"], s["goid"], lost,
                         None if s["end"] else s.get("unclosed", "capture_end")))
        return rows


def build_capture(seed=7, requests=400):
    c = Capture()
    rnd = random.Random(seed)
    t = T0
    # thread stack: fib(3) -> fib(2) -> fib(1), recursion, on tid 101; a flat call on tid 102
    a = c.ev(t + 100, 100, 101, 2, 3)
    b = c.ev(t + 110, 100, 101, 2, 2)
    x = c.ev(t + 115, 100, 102, 2, 9)
    d = c.ev(t + 120, 100, 101, 2, 1)
    e = c.ev(t + 125, 100, 101, 3, 1)
    f = c.ev(t + 150, 100, 101, 3, 2)
    g = c.ev(t + 160, 100, 102, 3, 9)
    h = c.ev(t + 300, 100, 101, 3, 3)
    outer = c.span("fib", "app", "thread", 100, a, h)
    mid = c.span("fib", "app", "thread", 100, b, f, depth=1, parent=outer)
    c.span("fib", "app", "thread", 100, d, e, depth=2, parent=mid)
    c.span("fib", "app", "thread", 100, x, g)
    # Go: goroutine 5 migrates from thread 301 to 302 and recurses
    p = c.ev(t + 400, 300, 301, 4, goid=5)
    q = c.ev(t + 410, 300, 302, 4, goid=5)
    r = c.ev(t + 470, 300, 302, 5, goid=5)
    s = c.ev(t + 900, 300, 301, 5, goid=5)
    go_outer = c.span("main.work", "go", "goroutine", 300, p, s, goid=5)
    c.span("main.work", "go", "goroutine", 300, q, r, depth=1, parent=go_outer, goid=5)
    # requests by id across threads 201..204, overlapping; durations over several octaves
    used = {e[0] for e in c.events}
    for i in range(requests):
        while True:
            start = t + 1000 + rnd.randrange(10_000_000)
            dur = int(2 ** rnd.uniform(8, 20))
            if start not in used and start + dur not in used:
                break
        used |= {start, start + dur}
        tid_b, tid_e = 201 + rnd.randrange(4), 201 + rnd.randrange(4)
        b = c.ev(start, 200, tid_b, 0, 1000 + i, f'"/page/{i % 5}"')
        e = c.ev(start + dur, 200, tid_e, 1, 1000 + i, 200 + i % 3)
        c.span("req", "app", "id", 200, b, e, key=1000 + i)
    # one request never answered: open at the end
    o = c.ev(t + 10_500_000, 200, 201, 0, 99999, '"/hang"')
    c.span("req", "app", "id", 200, o, None, key=99999)
    # values of a plain probe, after everything else
    for i in range(50):
        c.ev(t + 10_600_000 + i, 200, 204, 6, i * 7)
    # a loss of req__end events on cpu 2 in a window inside the capture
    c.losses.append((2, 1, t + 5_000_000, t + 5_200_000, 4))
    return c


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    d = tmp_path_factory.mktemp("an")
    c = build_capture()
    mktape(c.text(), d / "cap.tape")
    r = tt("load", "-o", d / "cap.db", d / "cap.tape")
    assert r.returncode == 0, r.stderr
    return c, d / "cap.tape", d / "cap.db"


def test_spans_exact(capture):
    c, _, db = capture
    want = c.finish()
    got = db_rows(db, "SELECT id, provider, name, pairing, pid, start_ts, end_ts, dur, depth, "
                      "parent_id, key, goid, lost, unclosed FROM spans ORDER BY id")
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w
    # the loss touched some requests but not all
    assert 0 < sum(r[12] for r in want) < len(want)
    # threads of cross-thread spans come from the events
    n = db_rows(db, "SELECT count(*) FROM spans s JOIN events b ON b.id = s.begin_event_id "
                    "JOIN events e ON e.id = s.end_event_id WHERE s.tid = b.tid AND s.end_tid = e.tid "
                    "AND s.start_ts = b.ts AND s.end_ts = e.ts")
    assert n[0][0] == sum(1 for w in want if w[6] is not None)


def report_table(text, section="Spans"):
    """{label: [columns...]} of a section of `report --raw`."""
    rows, on = {}, False
    for line in text.splitlines():
        if line.startswith(section):
            on = True
            continue
        if on and not line.strip():
            break
        if on and not line.strip().startswith("name"):
            parts = line.split()
            rows[parts[0]] = parts[1:]
    return rows


def test_report_percentiles_exact(capture):
    c, tape, db = capture
    want = c.finish()
    r = tt("report", "--raw", db)
    assert r.returncode == 0, r.stderr
    rows = report_table(r.stdout)
    first = min(e[0] for e in c.events)
    last = max(e[0] for e in c.events)
    for name, label in (("req", "app:req"), ("fib", "app:fib"), ("main.work", "go:main.work")):
        durs = [w[7] for w in want if w[2] == name and w[7] is not None]
        cols = rows[label]
        assert int(cols[0]) == len(durs)
        assert float(cols[1]) == pytest.approx(len(durs) * 1e9 / (last - first), rel=1e-6)
        assert [int(x) for x in cols[2:8]] == [
            min(durs), nearest_rank(durs, 50), nearest_rank(durs, 90), nearest_rank(durs, 99),
            nearest_rank(durs, 999, 10), max(durs)]
        assert int(cols[8]) == sum(1 for w in want if w[2] == name and w[6] is None)
        assert int(cols[9]) == sum(w[12] for w in want if w[2] == name)
    # the plain probe's argument distribution
    vals = [i * 7 for i in range(50)]
    p = report_table(r.stdout, "Probes")["app:rows"]
    assert p[0] == "50" and p[3] == "n"
    assert [int(x) for x in p[4:10]] == [min(vals), nearest_rank(vals, 50), nearest_rank(vals, 90),
                                         nearest_rank(vals, 99), nearest_rank(vals, 999, 10), max(vals)]
    # the post-mortem: the open request, then its thread's last events, oldest first
    pm = r.stdout.split("Open at the end")[1]
    assert "(oldest first; 1 of 1)" in pm
    assert re.search(r'app:req span \d+: started \+\d+, open for \d+ at the end, pid 200 tid 201, '
                     r'capture_end  id=99999 url="/hang"', pm)
    thread_events = [e for e in sorted(c.events) if e[3] == 201]
    last_lines = pm.split("last events of thread 201:\n")[1].splitlines()[:5]
    assert len(last_lines) == 5
    for line, e in zip(last_lines, thread_events[-5:]):
        probe = {0: "app:req__begin id=", 1: "app:req__end id="}[e[4]]
        assert line.strip().startswith(f"+{e[0] - first}  {probe}{e[5][0]} ")
    # losses and what they touch
    assert "Losses: 4 events lost in 1 window" in r.stdout
    assert "app:req__end: 4 events lost" in r.stdout
    # the same report works on the tape directly
    r2 = tt("report", "--raw", tape)
    assert r2.returncode == 0, r2.stderr
    assert report_table(r2.stdout) == rows


def test_report_by_argument(capture):
    c, _, db = capture
    want = c.finish()
    r = tt("report", "--raw", "--by", "url", "--top", "100", db)
    assert r.returncode == 0, r.stderr
    url_of = {e[5][0]: e[5][1].strip('"') for e in c.events if e[4] == 0}
    groups = {}
    for w in want:
        if w[2] == "req" and w[7] is not None:
            groups.setdefault(url_of[str(w[10])], []).append(w[7])
    text = r.stdout.split("Spans by argument\n")[1].split("\n\n")[0]
    seen = 0
    for line in text.splitlines()[1:]:
        m = re.match(r"\s+app:req url=(\S+)\s+(\d+)\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", line)
        if not m:
            continue
        durs = groups[m.group(1)]
        assert int(m.group(2)) == len(durs)
        assert [int(m.group(i)) for i in range(3, 9)] == [
            min(durs), nearest_rank(durs, 50), nearest_rank(durs, 90), nearest_rank(durs, 99),
            nearest_rank(durs, 999, 10), max(durs)]
        seen += 1
    assert seen == len(groups) == 5


def test_sqlite3_shell_with_extension(capture):
    _, _, db = capture
    sqlite3 = shutil.which("sqlite3") or "/usr/bin/sqlite3"
    assert Path(sqlite3).exists(), "the sqlite3 shell is needed (apt-get install sqlite3)"
    assert EXT.exists()
    durs = [r[0] for r in db_rows(db, "SELECT dur FROM spans WHERE name = 'req' AND dur IS NOT NULL")]
    s = sorted(durs)
    n = len(s)
    h = (n - 1) * 0.9
    cont = s[int(h)] + (h - int(h)) * (s[int(h) + 1] - s[int(h)])
    med = (s[n // 2] + s[(n - 1) // 2]) / 2
    r = run([sqlite3, "-batch", db, f".load {EXT.with_suffix('')}",
             "SELECT percentile(dur, 50), percentile(dur, 99.9), percentile_cont(dur, 90), median(dur), "
             "log2_hist(dur) FROM spans WHERE name = 'req';"], env=host_env())
    assert r.returncode == 0, r.stderr
    p50, p999, pc90, m, hist = r.stdout.strip().split("|")
    assert int(p50) == nearest_rank(durs, 50)
    assert int(p999) == nearest_rank(durs, 999, 10)
    assert float(pc90) == pytest.approx(cont, rel=1e-12)
    assert float(m) == pytest.approx(med)
    buckets = json.loads(hist)
    assert sum(b["count"] for b in buckets) == n
    for b in buckets:
        assert b["count"] == sum(1 for d in durs if b["lo"] <= d < b["hi"])
    # the shell without the extension still reads everything
    r = run([sqlite3, "-batch", db, "SELECT count(*) FROM events; SELECT count(*) FROM app_rows;"])
    assert r.returncode == 0 and r.stdout.split() == [str(len(build_capture().events)), "50"]


def test_html_report_renders(capture, tmp_path):
    _, _, db = capture
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("headless Chromium (/usr/bin/chromium) is needed for this test")
    html = tmp_path / "report.html"
    r = tt("report", "--html", html, db)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    page = html.read_text()
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "analyzer_report.png"
    if shot.exists():
        shot.unlink()
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with tempfile.TemporaryDirectory() as prof:
        r = run(base + [f"--user-data-dir={prof}", "--enable-logging=stderr", "--v=0",
                        "--dump-dom", f"file://{html}"], timeout=120)
    assert r.returncode == 0, r.stderr
    errors = [l for l in r.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
    assert not errors, errors
    dom = r.stdout
    # a histogram and a percentile curve per span name (3) and per probe value (app:rows)
    assert dom.count('<svg class="hist"') == 4 and dom.count('<svg class="curve"') == 4
    assert dom.count('<svg class="scatter"') == 3
    assert dom.count('<svg class="timeline"') == 1
    assert dom.count('class="bar"') > 5 and dom.count('class="pt"') > 100 and dom.count('class="slow"') == 10
    with tempfile.TemporaryDirectory() as prof:
        r = run(base + [f"--user-data-dir={prof}", f"--screenshot={shot}", "--window-size=1280,2000",
                        f"file://{html}"], timeout=120)
    assert r.returncode == 0, r.stderr
    assert shot.exists() and shot.stat().st_size > 10000


def test_query_formats(capture):
    _, tape, db = capture
    sql = ("SELECT id, name, dur FROM spans WHERE name = 'fib' ORDER BY id; "
           "SELECT 'a,b' AS s, 1.5 AS x, NULL AS n, x'00ff' AS b")
    r = tt("query", db, sql)
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "id  name  dur\n"
        "--  ----  ---\n"
        " 1  fib   200\n"
        " 2  fib    40\n"
        " 3  fib    45\n"
        " 4  fib     5\n"
        "\n"
        "s    x    n     b\n"
        "---  ---  ----  -------\n"
        "a,b  1.5  NULL  x'00ff'\n")
    r = tt("query", "--format", "csv", db, sql)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("id,name,dur\n1,fib,200\n2,fib,40\n3,fib,45\n4,fib,5\n\n"
                        "s,x,n,b\n\"a,b\",1.5,,x'00ff'\n")
    r = tt("query", "--format", "json", tape, sql)   # a tape: loaded on the fly
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        '[\n{"id":1,"name":"fib","dur":200},\n{"id":2,"name":"fib","dur":40},\n'
        '{"id":3,"name":"fib","dur":45},\n{"id":4,"name":"fib","dur":5}\n]\n'
        '[\n{"s":"a,b","x":1.5,"n":null,"b":"x\'00ff\'"}\n]\n')
    r = tt("query", db, "SELECT 1 WHERE 0")
    assert r.returncode == 0 and r.stdout == "1\n-\n"


def test_query_heap_limit(capture):
    _, tape, db = capture
    values = ("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 2000000) "
              "SELECT percentile(i, 50) AS p50 FROM r")
    for src in (db, tape):
        r = tt("query", src, "PRAGMA hard_heap_limit = 8388608; " + values)
        assert r.returncode == 1, (src, r.stdout, r.stderr)
        assert r.stderr == "tracetape query: error: out of memory\n"
    r = tt("query", db, values)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "p50\n-------\n1000000\n"


def test_several_tapes_and_a_cut_one(tmp_path):
    one = ("meta host h1\nmeta boot_id b\nprobe 0 app x__begin u64:id\nprobe 1 app x__end u64:id\n"
           "event 100 0 1 1 0 7\nevent 300 0 1 1 1 7\n")
    two = ("meta host h2\nmeta boot_id b\nprobe 0 app x__begin u64:id\nprobe 1 app x__end u64:id\n"
           "event 200 0 1 1 0 7\nevent 250 0 1 1 1 8\nevent 260 0 1 1 1 7\n")
    mktape(one, tmp_path / "1.tape")
    mktape(two, tmp_path / "2.tape")
    db = tmp_path / "m.db"
    r = tt("load", "-q", "-o", db, tmp_path / "1.tape", tmp_path / "2.tape")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert db_rows(db, "SELECT id, host, capture, events, status FROM tapes") == [
        (1, "h1", 1, 2, "complete"), (2, "h2", 2, 3, "complete")]
    assert db_rows(db, "SELECT ts, tape FROM events ORDER BY id") == [
        (100, 1), (200, 2), (250, 2), (260, 2), (300, 1)]
    # same pid and id on two hosts: paired within each host only
    assert db_rows(db, "SELECT tape, start_ts, end_ts FROM spans ORDER BY id") == [
        (1, 100, 300), (2, 200, 260)]
    # a cut tape: everything before the cut, a warning kept in meta, exit 0
    many = "probe 0 a b\n" + "".join(f"event {1000 + i} 0 1 1 0\n" for i in range(100))
    mktape(many, tmp_path / "cut.tape", "--block-events", "10", "--no-trailer", "--cut", "-3")
    r = tt("load", "-o", tmp_path / "cut.db", tmp_path / "cut.tape")
    assert r.returncode == 0, r.stderr
    assert "warning: tape '" in r.stderr and "is cut inside a block" in r.stderr
    (status, events), = db_rows(tmp_path / "cut.db", "SELECT status, events FROM tapes")
    assert status == "truncated" and events == 90
    assert len(db_rows(tmp_path / "cut.db", "SELECT 1 FROM meta WHERE key = 'warning'")) == 1


def test_bad_input(capture, tmp_path):
    _, tape, db = capture
    r = tt("query", db, "SELEC 1")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", 'tracetape query: error: near "SELEC": syntax error\n')
    r = tt("query", db, "SELECT * FROM nope")
    assert (r.returncode, r.stderr) == (1, "tracetape query: error: no such table: nope\n")
    missing = tmp_path / "missing.db"
    r = tt("query", missing, "SELECT 1")
    assert (r.returncode, r.stderr) == (
        1, f"tracetape query: error: cannot open '{missing}': No such file or directory\n")
    text = tmp_path / "text.txt"
    text.write_text("hello, this is not a tape at all, only some text\n")
    r = tt("report", text)
    assert (r.returncode, r.stderr) == (
        1, f"tracetape report: error: '{text}' is neither a tape nor an SQLite database\n")
    r = tt("load", "-o", tmp_path / "x.db", text)
    assert (r.returncode, r.stderr) == (
        1, f"tracetape load: error: cannot read tape '{text}': not a tracetape tape\n")
    assert not (tmp_path / "x.db").exists()
    r = tt("load", "-o", tmp_path / "x.db", missing)
    assert (r.returncode, r.stderr) == (
        1, f"tracetape load: error: cannot read tape '{missing}': No such file or directory\n")
    r = tt("load", "-o", db, tape)
    assert (r.returncode, r.stderr) == (
        1, f"tracetape load: error: '{db}' already exists; use --force to replace it\n")
    other = tmp_path / "other.db"
    subprocess.run(["/usr/bin/python3", "-c", f"import sqlite3; sqlite3.connect('{other}').execute('CREATE TABLE t(x)')"],
                   check=True)
    r = tt("report", other)
    assert (r.returncode, r.stderr) == (
        1, f"tracetape report: error: '{other}' is not a tracetape database (no schema_version in a meta table)\n")
    assert tt("query", other, "SELECT count(*) FROM t").stdout == "count(*)\n--------\n       0\n"
    r = tt("report", "--by", "nope", db)
    assert (r.returncode, r.stderr) == (2, "tracetape report: error: --by nope: no probe has an argument named 'nope' (see the probe_args table)\n")
    for args, msg in (
            (["load"], "no tape given"),
            (["load", "--span", "x=a", tape], "--span 'x=a': expected NAME=START,END[,key=ARG]"),
            (["query", db], "expected a DB or TAPE and an SQL text"),
            (["query", "--format", "xml", db, "SELECT 1"], "--format 'xml': expected table, csv, json or text"),
            (["report", "--top", "0", db], "--top '0': expected a number from 1 to 1000"),
            (["report"], "expected a DB or TAPE")):
        r = tt(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert msg in r.stderr, (args, r.stderr)


def test_custom_span_rule(tmp_path):
    desc = ("probe 0 db send str:query u64:n\nprobe 1 db recv str:query\n"
            'event 100 0 1 1 0 "select 1" 5\nevent 110 0 1 2 0 "select 2" 6\n'
            'event 150 1 1 3 1 "select 2"\nevent 190 1 1 3 1 "select 1"\nevent 200 1 1 3 1 "select 3"\n')
    mktape(desc, tmp_path / "c.tape")
    db = tmp_path / "c.db"
    r = tt("load", "-q", "--span", "rt=db:send,recv,key=query", "-o", db, tmp_path / "c.tape")
    assert r.returncode == 0, r.stderr
    assert db_rows(db, "SELECT id, provider, name, pairing, key, tid, end_tid, dur FROM spans ORDER BY id") == [
        (1, "", "rt", "custom", "select 1", 1, 3, 90), (2, "", "rt", "custom", "select 2", 2, 3, 40)]
    assert db_rows(db, "SELECT value FROM meta WHERE key = 'span_rules'") == [("rt=db:send,recv,key=query",)]
    # options after the positional arguments, and the rule given to query for a tape
    r = tt("query", tmp_path / "c.tape", "SELECT name, dur FROM spans", "--format", "csv",
           "--span", "rt=db:send,recv,key=query")
    assert (r.returncode, r.stdout) == (0, "name,dur\nrt,90\nrt,40\n")


def test_report_value_argument(tmp_path):
    probes = [
        ("by_id", "u64:req_id"),                  # an id: no statistics
        ("query_result", "u64:query_id u64:rows"),  # rows, not the id
        ("send", "s32:conn_fd u64:nbytes"),        # a quantity inside a word
        ("sample", "ptr:buf f64:ratio"),           # no hint: the float
        ("latency", "u64:req_id u64:v"),           # the probe's name says what its one number is
        ("tick", "u64:seq u32:cpu"),               # nothing worth a histogram
        ("misc", "s32:status str:msg"),
        ("copied", "any:nbytes"),                  # a sign the note did not say: still a number
    ]
    lines = [f"probe {i} app {n} {k}" for i, (n, k) in enumerate(probes)]
    values = {"rows": [3, 1, 4, 1, 5], "nbytes": [100, 200, 300, 400, 500],
              "ratio": [0.5, 0.25, 2.0, 1.5, 1.0], "v": [7, 8, 9, 10, 11]}
    for i in range(5):
        t = 1000 + 10 * i
        lines += [f"event {t} 0 1 1 0 {900 + i}", f"event {t + 1} 0 1 1 1 {50 + i} {values['rows'][i]}",
                  f"event {t + 2} 0 1 1 2 {3 + i} {values['nbytes'][i]}",
                  f"event {t + 3} 0 1 1 3 0x1000 {values['ratio'][i]}",
                  f"event {t + 4} 0 1 1 4 {77 + i} {values['v'][i]}", f"event {t + 5} 0 1 1 5 {i} 1",
                  f'event {t + 6} 0 1 1 6 0 "m"', f"event {t + 7} 0 1 1 7 {values['nbytes'][i]}"]
    tape = tmp_path / "v.tape"
    mktape("\n".join(lines) + "\n", tape)

    def chosen(*args):
        r = tt("report", "--raw", *args, tape)
        assert r.returncode == 0, r.stderr
        return {k: v[3:] for k, v in report_table(r.stdout, "Probes").items()}

    got = chosen()
    assert {k: v[:1] for k, v in got.items()} == {
        "app:by_id": [], "app:query_result": ["rows"], "app:send": ["nbytes"], "app:sample": ["ratio"],
        "app:latency": ["v"], "app:tick": [], "app:misc": [], "app:copied": ["nbytes"]}
    for label, arg in (("app:query_result", "rows"), ("app:send", "nbytes"), ("app:latency", "v"),
                       ("app:copied", "nbytes")):
        v = values[arg]
        assert [int(x) for x in got[label][1:]] == [min(v), nearest_rank(v, 50), nearest_rank(v, 90),
                                                    nearest_rank(v, 99), nearest_rank(v, 999, 10), max(v)]
    assert [float(x) for x in got["app:sample"][1:]] == [0.25, 1.0, 2.0, 2.0, 2.0, 2.0]
    # --value forces, 'none' hides, globs match several probes
    got = chosen("--value", "app:tick=seq", "--value", "app:query_result=query_id", "--value", "app:s*=none")
    assert got["app:tick"] == ["seq", "0", "2", "4", "4", "4", "4"]
    assert got["app:query_result"][:2] == ["query_id", "50"]
    assert got["app:send"] == got["app:sample"] == []
    assert got["app:latency"][0] == "v"
    got = chosen("--value", "app:latency=arg0")
    assert got["app:latency"][:2] == ["req_id", "77"]
    for args, msg in (
            (["--value", "app:nope=x"], "--value app:nope=x: no probe matches 'app:nope'"),
            (["--value", "app:send=zzz"], "--value app:send=zzz: no probe matching 'app:send' has an "
                                          "argument 'zzz' (see the probe_args table)"),
            (["--value", "app:misc=msg"], "--value app:misc=msg: argument 'msg' of app:misc is a str, "
                                          "not a number")):
        r = tt("report", *args, tape)
        assert (r.returncode, r.stderr) == (2, f"tracetape report: error: {msg}\n"), args
    r = tt("report", "--value", "app:send", tape)
    assert r.returncode == 2 and "--value 'app:send': expected PROBE=ARG" in r.stderr


def test_faults_cxxnames_and_go_returns(tmp_path):
    lines = ["probe 0 libstdcxx throw ptr:obj cxxname:tinfo",
             "probe 1 go main.prepareAnswer type=go_entry str:name s64:year",
             "probe 2 go main.prepareAnswer type=go_return str:r0",
             "probe 3 app state str:name u32:code"]
    throws = ['"St12out_of_range"', '"St12out_of_range"', '"N5boost10wrapexceptISt13runtime_errorEE"',
              '"_ZN3app5Error4makeEv"', "!", '"St12out_of_ra"~', '"not mangled"']
    for i, t in enumerate(throws):
        lines.append(f"event {1000 + i} 0 1 1 0 {0x100 + i} {t}")
    calls = [('"Ada"', 1815), ("!", 1906), ('"Ken"', "!")]
    for i, (name, year) in enumerate(calls):
        t = 2000 + 100 * i
        lines.append(f"event {t} 1 1 2 1 goid={7 + i} {name} {year}")
        lines.append(f"event {t + 10 * (i + 1)} 1 1 2 2 goid={7 + i} " + ('!' if i == 2 else f'"r{i}"'))
    states = [('""', 1), ("!", 2), ('""', "!"), ("!", "!"), ('"up"', 5)]
    for i, (name, code) in enumerate(states):
        lines.append(f"event {3000 + i} 2 1 3 3 {name} {code}")
    tape, db = tmp_path / "x.tape", tmp_path / "x.db"
    mktape("\n".join(lines) + "\n", tape)
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr

    # faults are NULL, the fault bits stay, '' is an empty string that was read
    assert db_rows(db, "SELECT fault, name, code FROM app_state ORDER BY event_id") == [
        (0, "", 1), (1, None, 2), (2, "", None), (3, None, None), (0, "up", 5)]
    assert db_rows(db, "SELECT count(*) FROM app_state WHERE name = ''") == [(2,)]
    assert db_rows(db, "SELECT count(*) FROM events WHERE fault != 0 AND arg0 IS NOT NULL "
                       "AND fault & 1") == [(0,)]
    # C++ names demangled; cut ones and non-names as recorded
    assert db_rows(db, "SELECT tinfo, count(*) FROM libstdcxx_throw GROUP BY tinfo ORDER BY min(event_id)") == [
        ("std::out_of_range", 2), ("boost::wrapexcept<std::runtime_error>", 1), ("app::Error::make()", 1),
        (None, 1), ("St12out_of_ra", 1), ("not mangled", 1)]
    assert db_rows(db, "SELECT kind FROM probe_args WHERE name = 'tinfo'") == [("cxxname",)]
    # a Go function: one view of its calls, one of its returns
    assert db_rows(db, "SELECT count(*) FROM go_main_prepareAnswer") == [(3,)]
    assert db_rows(db, "SELECT goid, name, year FROM go_main_prepareAnswer ORDER BY ts") == [
        (7, "Ada", 1815), (8, None, 1906), (9, "Ken", None)]
    assert db_rows(db, "SELECT goid, r0 FROM go_main_prepareAnswer__return ORDER BY ts") == [
        (7, "r0"), (8, "r1"), (9, None)]
    assert db_rows(db, "SELECT kind, view FROM probes WHERE provider = 'go' ORDER BY id") == [
        ("go_entry", "go_main_prepareAnswer"), ("go_return", "go_main_prepareAnswer__return")]

    r = tt("replay", tape)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert [line.split(" [000] ")[1] for line in out[:7]] == [
        'libstdcxx:throw obj=0x100 tinfo="std::out_of_range"',
        'libstdcxx:throw obj=0x101 tinfo="std::out_of_range"',
        'libstdcxx:throw obj=0x102 tinfo="boost::wrapexcept<std::runtime_error>"',
        'libstdcxx:throw obj=0x103 tinfo="app::Error::make()"',
        "libstdcxx:throw obj=0x104 tinfo=<fault>",
        'libstdcxx:throw obj=0x105 tinfo="St12out_of_ra"...',
        'libstdcxx:throw obj=0x106 tinfo="not mangled"']
    assert [line.split(" [001] ")[1] for line in out[7:13]] == [
        'go:main.prepareAnswer goid=7 name="Ada" year=1815', 'go:main.prepareAnswer:return goid=7 r0="r0"',
        "go:main.prepareAnswer goid=8 name=<fault> year=1906", 'go:main.prepareAnswer:return goid=8 r0="r1"',
        'go:main.prepareAnswer goid=9 name="Ken" year=<fault>', "go:main.prepareAnswer:return goid=9 r0=<fault>"]
    js = [json.loads(line) for line in tt("replay", "--format", "json", tape).stdout.splitlines()]
    assert [e["args"]["tinfo"] for e in js[:7]] == [
        "std::out_of_range", "std::out_of_range", "boost::wrapexcept<std::runtime_error>",
        "app::Error::make()", None, "St12out_of_ra", "not mangled"]
    chrome = json.loads(tt("replay", "--format", "chrome", tape).stdout)["traceEvents"]
    assert [e["args"]["tinfo"] for e in chrome if e.get("name") == "libstdcxx:throw"][:3] == [
        "std::out_of_range", "std::out_of_range", "boost::wrapexcept<std::runtime_error>"]

    r = tt("info", tape)
    assert r.returncode == 0, r.stderr
    assert re.search(r"\n +1  go:main.prepareAnswer +3 +0  str name, s64 year\n", r.stdout)
    assert re.search(r"\n +2  go:main.prepareAnswer:return +3 +0  str r0\n", r.stdout)

    r = tt("report", "--raw", db)
    assert r.returncode == 0, r.stderr
    probes = report_table(r.stdout, "Probes")
    assert probes["go:main.prepareAnswer"][0] == probes["go:main.prepareAnswer:return"][0] == "3"
    assert probes["libstdcxx:throw"][0] == "7"
    # the exception types, demangled, the most frequent first
    assert r.stdout.split("libstdcxx:throw: 7 events by tinfo\n")[1].split("\n\n")[0] == (
        "           2  std::out_of_range\n"
        "           1  <fault>\n"
        "           1  St12out_of_ra\n"
        "           1  app::Error::make()\n"
        "           1  boost::wrapexcept<std::runtime_error>\n"
        "           1  not mangled")
    top = tt("report", "--raw", "--top", "2", db).stdout
    assert top.split("libstdcxx:throw: 7 events by tinfo\n")[1].split("\n\n")[0] == (
        "           2  std::out_of_range\n"
        "           1  <fault>\n"
        "           4  (others; --top N shows more)")
    slow = r.stdout.split("Slowest spans\n")[1].split("\n\n")[0].splitlines()
    assert [line.split("tid 2  ")[1] for line in slow] == [
        'name="Ken" year=<fault> | r0=<fault>', 'name=<fault> year=1906 | r0="r1"',
        'name="Ada" year=1815 | r0="r0"']
    r = tt("report", "--raw", "--by", "name", db)
    assert r.returncode == 0, r.stderr
    assert set(report_table(r.stdout, "Spans by argument")) == {
        "go:main.prepareAnswer"}  # the label column is "NAME name=VALUE": its first word
    by = r.stdout.split("Spans by argument\n")[1].split("\n\n")[0]
    for value in ('name=Ada ', 'name=<fault> ', 'name=Ken '):
        assert value in by
