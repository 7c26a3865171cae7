# SPDX-License-Identifier: MIT
"""ClickHouse: tapes of three simulated hosts into a real two-shard cluster on loopback.

tests/tools/ch-cluster starts two clickhouse-server processes (shards of the cluster "tt") under
a scratch directory and stops them by pid. The tapes are written by tt-mktape (no BPF). The same
tapes also go into one SQLite database, and every query here must give the same rows from both:
counts, span counts, and each percentile (exact nearest rank, percentile_cont, median,
log2_bucket), which ClickHouse computes with the expressions `query` rewrites them into. Then:
a tape loaded again is not doubled; a shard that is down fails a load clearly and a rerun
completes; a shard killed in the middle of a load leaves nothing that a rerun doubles. The
report (text, HTML, JSON) of ClickHouse is SQLite's, kernel breakdowns included: tapes with
scheduler and syscall records written by tt-mktape (a capture split over two shards), checked
against the overlaps summed by SQL too, and a real recording with --sched --syscalls (BPF).

Skipped (a failure under CI=true) only when clickhouse-server is not installed or tracetape was
built without libcurl; scripts/deps.sh test installs both.
"""
import csv
import html
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import SOURCE_DIR, TRACETAPE, mktape, need_bpf, run, tt

CH_CLUSTER = SOURCE_DIR / "tests" / "tools" / "ch-cluster"
T0 = 1_000_000_000
HOSTS = ("alpha", "beta", "gamma")


STATEMENTS = ("SELECT * FROM t WHERE id = {}", "UPDATE t SET n = n + {} WHERE k = 'x{}'",
              "DELETE FROM t WHERE id IN ({}, {})")


def host_tape(host, seed, requests, out):
    """A tape of one host: request spans of random durations, rows events with an int and a
    float argument, a database statement span every fifth request, and (on one host) a loss
    window."""
    rnd = random.Random(seed)
    lines = [f"meta host {host}", f"meta boot_id boot-{host}", f"clock {T0} 1700000000000000000",
             "probe 0 app req__begin u64:id str:url", "probe 1 app req__end u64:id s32:status",
             "probe 2 app rows u64:n f64:ratio", "probe 3 app db__begin str:query",
             "probe 4 app db__end"]
    t = T0
    for i in range(requests):
        t += rnd.randint(1, 5000)
        lines.append(f'event {t} 0 100 100 0 {i} "/u/{i % 7}"')
        lines.append(f"event {t + 1} 1 100 101 2 {rnd.randint(0, 10**9)} {rnd.random()!r}")
        if i % 5 == 0:
            sql = rnd.choice(STATEMENTS).format(i, rnd.randint(1, 9))
            lines.append(f'event {t + 2} 1 100 101 3 "{sql}"')
            lines.append(f"event {t + 2 + rnd.randint(1, 10**6)} 1 100 101 4")
        t += rnd.choice([rnd.randint(1, 1000), rnd.randint(1, 10**6), rnd.randint(1, 10**9)])
        lines.append(f"event {t} 0 100 100 1 {i} {rnd.choice([200, 404, 500])}")
    # requests that never end: spans with a NULL dur, ignored by the percentiles
    lines.append(f'event {t + 10} 2 100 102 0 {requests} "/open"')
    if host == "beta":
        lines.append(f"loss 0 * {T0} {T0 + 5000} 3")
    mktape("\n".join(lines) + "\n", out)
    return out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not shutil.which("clickhouse-server"):
        pytest.skip("needs clickhouse-server (scripts/deps.sh test installs it)")
    r = tt("query", "clickhouse://127.0.0.1:1/x", "SELECT 1")
    if "built without ClickHouse" in r.stderr:
        pytest.skip("tracetape was built without libcurl (scripts/deps.sh installs "
                    "libcurl4-openssl-dev)")
    d = tmp_path_factory.mktemp("ch")
    r = run(["/usr/bin/python3", CH_CLUSTER, "start", d / "cluster"], timeout=300)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    info["dir"] = d / "cluster"
    try:
        yield info
    finally:
        run(["/usr/bin/python3", CH_CLUSTER, "stop", d / "cluster"], timeout=120)


def url(cluster, db):
    shards = ",".join(f"127.0.0.1:{s['http']}" for s in cluster["shards"])
    return (f"clickhouse://127.0.0.1:{cluster['shards'][0]['http']}/{db}"
            f"?cluster={cluster['cluster']}&shards={shards}")


def ch_http(cluster, shard, sql):
    port = cluster["shards"][shard]["http"]
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=sql.encode())
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read().decode()


def value(s):
    if s in ("", "\\N"):
        return None
    for conv in (int, float):
        try:
            return conv(s)
        except ValueError:
            pass
    return s


def rows(db, sql):
    """The rows of `tracetape query --format csv` (header dropped), values as numbers."""
    r = tt("query", "--format", "csv", db, sql, timeout=300)
    assert r.returncode == 0, f"{db}: {sql}: {r.stderr}"
    return [[value(v) for v in row] for row in list(csv.reader(io.StringIO(r.stdout)))[1:]]


@pytest.fixture(scope="module")
def tapes(tmp_path_factory):
    d = tmp_path_factory.mktemp("tapes")
    return [host_tape(h, seed, n, d / f"{h}.tape")
            for h, seed, n in zip(HOSTS, (11, 22, 33), (3000, 2000, 2500))]


@pytest.fixture(scope="module")
def loaded(cluster, tapes, tmp_path_factory):
    """The three tapes in SQLite (one load) and in ClickHouse (two loads: hosts accumulate)."""
    db = tmp_path_factory.mktemp("sqlite") / "all.db"
    r = tt("load", "-o", db, *tapes, timeout=300)
    assert r.returncode == 0, r.stderr
    u = url(cluster, "cmp")
    r = tt("load", "--into", u, tapes[0], tapes[1], timeout=300)
    assert r.returncode == 0, r.stderr
    assert "2 tapes" in r.stderr
    r = tt("load", "--into", u, tapes[2], timeout=300)
    assert r.returncode == 0, r.stderr
    return db, u


# The same questions, asked of both: SQLite's text, then ClickHouse's where its dialect differs.
QUERIES = [
    ("SELECT count(*) FROM events", None),
    ("SELECT tape, count(*) FROM events GROUP BY tape ORDER BY tape", None),
    ("SELECT id, host, boot_id, events, lost, status FROM tapes ORDER BY id", None),
    ("SELECT count(*), count(dur), sum(lost) FROM spans", None),
    ("SELECT name, tape, count(*), percentile(dur, 50), percentile(dur, 99), percentile(dur, 99.9),"
     " percentile(dur, 0), percentile(dur, 100), percentile_cont(dur, 95), percentile_cont(dur, 12.5),"
     " median(dur), min(dur), max(dur) FROM spans GROUP BY name, tape ORDER BY name, tape", None),
    ("SELECT percentile(dur, 90), percentile_cont(dur, 90), median(dur) FROM spans", None),
    ("SELECT log2_bucket(dur) AS b, count(*) FROM spans WHERE dur IS NOT NULL GROUP BY b ORDER BY b",
     None),
    ("SELECT log2_bucket(0), log2_bucket(1), log2_bucket(3), log2_bucket(4), log2_bucket(1023),"
     " log2_bucket(1024), log2_bucket(9223372036854775807), log2_bucket(-5), log2_bucket(2.5)",
     None),
    ("SELECT percentile(dur, 50), median(dur) FROM spans WHERE dur IS NULL", None),
    ("SELECT count(*), sum(n), percentile(n, 90), percentile(ratio, 50), min(ratio), max(ratio),"
     " percentile_cont(ratio, 33) FROM app_rows", None),
    ("SELECT tape, url, count(*), percentile(id, 75) FROM app_req__begin GROUP BY tape, url"
     " ORDER BY tape, url", None),
    ("SELECT status, count(*) FROM app_req__end GROUP BY status ORDER BY status", None),
    ("SELECT max(ts_wall) - min(ts_wall) FROM app_req__end", None),
    ("SELECT count(*), sum(count) FROM losses", None),
    ("SELECT provider, name, count(*), min(ts_wall) FROM events_named GROUP BY provider, name"
     " ORDER BY provider, name", None),
    ("SELECT name, count(*), percentile(dur, 99) FROM spans GROUP BY name", None),  # README
    ("SELECT t.host, count(*), percentile(s.dur, 99) FROM spans s JOIN tapes t ON t.id = s.tape"
     " GROUP BY t.host ORDER BY t.host",
     "SELECT host, count(*), percentile(dur, 99) FROM spans ANY INNER JOIN"
     " (SELECT id AS tape, host FROM cmp.tapes) USING tape GROUP BY host ORDER BY host"),
]


@pytest.mark.parametrize("sqlite_sql,ch_sql", QUERIES)
def test_same_answers(loaded, sqlite_sql, ch_sql):
    db, u = loaded
    want = rows(db, sqlite_sql)
    got = rows(u, ch_sql or sqlite_sql)
    assert want, sqlite_sql
    if "ORDER BY" not in sqlite_sql:  # rows in any order
        want, got = sorted(want), sorted(got)
    assert got == want


def test_result_columns_keep_their_names(loaded):
    _, u = loaded
    r = tt("query", "--format", "csv", u, "SELECT percentile(dur, 99), median(dur) AS m FROM spans")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == '"percentile(dur, 99)","m"'


def test_sharded(loaded, cluster):
    """The events are spread over both shards by tape; the small tables are whole on each."""
    per_shard = [int(ch_http(cluster, k, "SELECT count() FROM cmp.events_local")) for k in (0, 1)]
    assert all(per_shard) and sum(per_shard) == rows(loaded[0], "SELECT count(*) FROM events")[0][0]
    for k in (0, 1):
        assert int(ch_http(cluster, k, "SELECT count() FROM cmp.tapes")) == 3


def test_reload_is_a_noop(loaded, tapes):
    db, u = loaded
    before = rows(u, "SELECT count(), sum(tape) FROM events")
    r = tt("load", "--into", u, tapes[1], timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{tapes[1]}: already loaded into cmp; skipped" in r.stderr
    assert "nothing to load" in r.stderr
    assert rows(u, "SELECT count(), sum(tape) FROM events") == before
    assert rows(u, "SELECT count() FROM tapes") == [[3]]
    r = tt("load", "--into", u.replace("/cmp?", "/cmp2?"), tapes[0], tapes[0], timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{tapes[0]}: given twice (the same tape); skipped" in r.stderr
    assert rows(u.replace("/cmp?", "/cmp2?"), "SELECT count() FROM tapes") == [[1]]


def test_one_server_without_a_cluster(cluster, tapes, loaded):
    """A URL without cluster=: plain MergeTree tables on that one server, the same answers."""
    db, _ = loaded
    u = f"clickhouse://127.0.0.1:{cluster['shards'][1]['http']}/single"
    r = tt("load", "--into", u, *tapes, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "3 tapes" in r.stderr
    assert ch_http(cluster, 1, "EXISTS TABLE single.events_local").strip() == "0"
    q = "SELECT tape, count(*), percentile(dur, 99), median(dur) FROM spans GROUP BY tape ORDER BY tape"
    assert rows(u, q) == rows(db, q)


def test_json_and_table_output(loaded):
    db, u = loaded
    r = tt("query", "--json", u, "SELECT tape, count() AS n, median(dur) AS m FROM spans"
           " GROUP BY tape ORDER BY tape")
    assert r.returncode == 0, r.stderr
    got = [json.loads(line) for line in r.stdout.splitlines()]
    want = rows(db, "SELECT tape, count(*), median(dur) FROM spans GROUP BY tape ORDER BY tape")
    assert [[o["tape"], o["n"], o["m"]] for o in got] == want
    r = tt("query", u, "SELECT tape, count() AS n FROM spans GROUP BY tape ORDER BY tape")
    assert r.returncode == 0, r.stderr
    assert "\u2502    1 \u2502" in r.stdout and "\u2502    3 \u2502" in r.stdout


def test_log2_hist_is_refused_with_the_equivalent(loaded):
    _, u = loaded
    r = tt("query", u, "SELECT log2_hist(dur) FROM spans")
    assert r.returncode == 1
    assert "log2_hist() has no ClickHouse equivalent" in r.stderr
    assert "GROUP BY lo" in r.stderr


def test_server_errors_are_shown(loaded):
    _, u = loaded
    r = tt("query", u, "SELECT nosuchcolumn FROM spans")
    assert r.returncode == 1
    assert "Unknown identifier: nosuchcolumn" in r.stderr


@pytest.mark.parametrize("bad,why", [
    ("clickhouse://", "no host"),
    ("clickhouse://h:99999/db", "port '99999' is not a number from 1 to 65535"),
    ("clickhouse://h/bad-name", "database 'bad-name': expected a name"),
    ("clickhouse://h/db?replicas=2", "unknown parameter 'replicas'"),
])
def test_bad_urls_are_usage_errors(tmp_path, bad, why):
    r = tt("load", "--into", bad, tmp_path / "x.tape")
    assert r.returncode == 2
    assert why in r.stderr


@pytest.fixture(scope="module")
def report_dbs(cluster, tapes, loaded):
    """The three tapes in ClickHouse by one load, as into SQLite: the same span and event ids,
    which the report lists (two loads number them otherwise)."""
    u = url(cluster, "rep")
    r = tt("load", "--into", u, *tapes, timeout=300)
    assert r.returncode == 0, r.stderr
    return loaded[0], u


def reports(db, u, *opts):
    """`report OPTS` of the SQLite database and of ClickHouse, the source named SOURCE in both."""
    out = []
    for src in (db, u):
        r = tt("report", *opts, src, timeout=300)
        assert r.returncode == 0, f"{src}: {r.stderr}"
        text = r.stdout
        for form in (str(src), html.escape(str(src))):
            text = text.replace(form, "SOURCE")
        out.append(text)
    return out


@pytest.mark.parametrize("opts", [
    (), ("--by", "url"), ("--by", "status"), ("--by", "url,status", "--top", "5"),
    ("--by", "query"), ("--by", "key"), ("--by", "ratio"), ("--buckets", "linear"),
    ("--buckets", "log2", "--raw"), ("--value", "app:rows=ratio", "--top", "3", "--last", "2"),
    ("--json",), ("--format", "html"), ("--format", "html", "--heatmap", "--by", "status"),
])
def test_same_report(report_dbs, opts):
    """The report of ClickHouse is the SQLite one, apart from the source it names."""
    want, got = reports(*report_dbs, *opts)
    assert "SOURCE" in want and "app:req" in want
    assert got == want


@pytest.mark.parametrize("opts", [("--host", "beta"), ("--host", "alpha,gamma", "--by", "status"),
                                  ("--host", "gamma", "--format", "html")])
def test_same_report_of_some_hosts(report_dbs, opts):
    want, got = reports(*report_dbs, *opts)
    assert got == want


def test_report_of_one_host_is_that_hosts_tape(report_dbs, tapes, tmp_path):
    """--host beta reports what a database of beta's tape alone holds (span ids aside)."""
    db, u = report_dbs
    alone = tmp_path / "beta.db"
    r = tt("load", "-o", alone, tapes[1], timeout=300)
    assert r.returncode == 0, r.stderr

    def numbers(text):
        # the capture line and the tables, without the source and the spans' ids
        return [re.sub(r"(span|tape) \d+ *", r"\1 N ", line) for line in text.splitlines()[1:]]
    want = reports(alone, u, "--host", "beta")
    assert "host beta," in want[1] and "alpha" not in want[1]
    assert numbers(want[1]) == numbers(want[0])


def test_report_of_a_host_without_tapes(report_dbs):
    for src in report_dbs:
        r = tt("report", "--host", "delta", src)
        assert r.returncode == 2, r.stderr
        assert "--host delta: no tape of host 'delta'" in r.stderr
        assert "alpha, beta, gamma" in r.stderr


WINDOWS = [("--from", "+10s", "--to", "+60s"), ("--from", "0.5", "--host", "beta", "--by", "status"),
           ("--to", "100ms", "--raw"), ("--from", "+250s", "--by", "query", "--json"),
           ("--from", "2023-11-14T22:13:20.5Z", "--to", "2023-11-14 22:13:30", "--format", "html")]


@pytest.mark.parametrize("opts", WINDOWS)
def test_same_report_of_a_window(report_dbs, opts):
    """--from/--to: the same window gives the same report from both."""
    want, got = reports(*report_dbs, *opts)
    assert "window" in want and opts[1] in want
    assert got == want


def window_numbers(text, name):
    """From a --raw text report: the capture's events and lost events, and name's row of the
    spans table (count, min, p50, p90, p99, p99.9, max)."""
    cap = re.search(r"^capture: .*, (\d+) events, (\d+) spans, (\d+) events lost$", text, re.M)
    row = re.search(rf"^  {re.escape(name)} +(\d+) +\S+ +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) ",
                    text, re.M)
    assert cap and row, text
    return int(cap.group(1)), int(cap.group(3)), [int(v) for v in row.groups()]


@pytest.mark.parametrize("lo, hi", [(10, 60), (0, 0.1)])
def test_window_holds_the_events_in_it(report_dbs, lo, hi):
    """The numbers of a window are those of its events, computed directly in SQL on both: the
    events with ts in [first + lo, first + hi) of their tape, the spans that start there (with
    their whole durations), the losses overlapping it."""
    lo_ns, hi_ns = int(lo * 1e9), int(hi * 1e9)
    cond = f"{{c}} >= t.ts_first + {lo_ns} AND {{c}} < t.ts_first + {hi_ns}"
    sq = (f"SELECT (SELECT count(*) FROM events e JOIN tapes t ON t.id = e.tape WHERE "
          f"{cond.format(c='e.ts')}), (SELECT coalesce(sum(l.count), 0) FROM losses l JOIN tapes t ON "
          f"t.id = l.tape WHERE l.ts_end >= t.ts_first + {lo_ns} AND l.ts_start < t.ts_first + {hi_ns}), "
          f"count(s.dur), min(s.dur), percentile(s.dur, 50), percentile(s.dur, 90), "
          f"percentile(s.dur, 99), percentile(s.dur, 99.9), max(s.dur) FROM spans s JOIN tapes t ON "
          f"t.id = s.tape WHERE s.name = 'req' AND {cond.format(c='s.start_ts')}")
    cq = (f"SELECT (SELECT count() FROM events ANY INNER JOIN (SELECT id AS tape, ts_first FROM rep.tapes) "
          f"USING tape WHERE {cond.format(c='ts').replace('t.', '')}), "
          f"(SELECT sum(count) FROM losses ANY INNER JOIN (SELECT id AS tape, ts_first FROM rep.tapes) "
          f"USING tape WHERE ts_end >= ts_first + {lo_ns} AND ts_start < ts_first + {hi_ns}), "
          f"count(dur), min(dur), percentile(dur, 50), percentile(dur, 90), percentile(dur, 99), "
          f"percentile(dur, 99.9), max(dur) FROM spans ANY INNER JOIN (SELECT id AS tape, ts_first "
          f"FROM rep.tapes) USING tape WHERE name = 'req' AND {cond.format(c='start_ts').replace('t.', '')}")
    db, u = report_dbs
    direct = rows(db, sq)[0]
    assert rows(u, cq)[0] == direct
    assert direct[2] > 5
    for src in (db, u):
        r = tt("report", "--raw", "--from", f"+{lo}s", "--to", f"+{hi}s", src, timeout=300)
        assert r.returncode == 0, r.stderr
        events, lost, req = window_numbers(r.stdout, "app:req")
        assert [events, lost, *req] == direct, (src, r.stdout)
    assert (direct[1] > 0) == (lo == 0)  # beta's loss window is at its start


@pytest.mark.parametrize("opts, why", [
    (("--from", "xyz"), "--from 'xyz': expected an offset from each tape's start"),
    (("--to", "2026-02-30T00:00:00Z"), "--to '2026-02-30T00:00:00Z': expected an offset"),
    (("--from", "-1s"), "--from '-1s': expected"),
    (("--from", "+5s", "--to", "+1s"), "--to +1s is not after --from +5s"),
    (("--from", "+1s", "--to", "2023-11-14T22:13:30Z"), "both as offsets from the start or both as UTC"),
    (("--from", "+10000s",), "holds nothing of the capture (its longest tape runs 505."),
    (("--to", "2020-01-01T00:00:00Z",), "holds nothing of the capture, which runs from 2023-11-14 22:13:20."),
])
def test_window_errors(report_dbs, opts, why):
    for src in report_dbs:
        r = tt("report", *opts, src)
        assert r.returncode == 2, r.stderr
        assert why in r.stderr
        assert r.stdout == ""


def test_report_groups_statements(report_dbs):
    """--by query groups statements by their normalized text in both, with an example."""
    want, got = reports(*report_dbs, "--by", "query")
    assert "app:db query=SELECT * FROM t WHERE id = $1" in want
    assert "e.g. SELECT * FROM t WHERE id = " in want
    assert got == want


def test_report_is_computed_by_the_server(report_dbs):
    """The report's statistics come from queries that aggregate on the server: the client
    receives far fewer bytes than the spans' durations alone would take (8 bytes a span)."""
    db, u = report_dbs
    closed = rows(db, "SELECT count(dur) FROM spans")[0][0]
    r = tt("report", "-v", u, timeout=300)
    assert r.returncode == 0, r.stderr
    m = re.search(r": (\d+) queries, (\d+) bytes received", r.stderr)
    assert m, r.stderr
    assert int(m.group(2)) < 8 * closed / 3, (m.group(0), closed)


def test_diff_of_sqlite_and_clickhouse(report_dbs):
    """diff takes a clickhouse:// URL as either side: the same tapes show no change at all."""
    r = tt("diff", *report_dbs, timeout=300)
    assert r.returncode == 0, r.stderr
    measures = [line for line in r.stdout.splitlines() if line.startswith("    ")]
    assert len(measures) > 20
    assert all(line.endswith(" =") for line in measures), r.stdout


# Doubles that ClickHouse 18.16 reads one bit off from their shortest round-trip text (%.17g):
# float arguments go into typed Float64 columns (events.argf<i>) instead. NaN is NULL, as in SQLite.
FLOATS = [0.1, 1.290020686065361e+240, -4.380158146343906e+73, 1.6959812925717818e-171,
          9.069145794121011e+105, 5e-324, -0.0, float("nan")]


def load_both(cluster, tape, db, name):
    """tape into the SQLite database db and into the ClickHouse database name: (db, its URL)."""
    r = tt("load", "-o", db, tape, timeout=300)
    assert r.returncode == 0, r.stderr
    u = url(cluster, name)
    r = tt("load", "--into", u, tape, timeout=300)
    assert r.returncode == 0, r.stderr
    return db, u


def edge_vals():
    return [0.0, -0.0, -1.5, 1e-310, 2.2250738585072014e-308, 0.5, 0.75, 1.0, 1.5, 2.0,
            3.0, 4.0, 1023.0, 1024.0, 1025.0, 2.0**52, 2.0**53 + 2, 1.7976931348623157e308,
            float("inf")] * 3 + [7.0] * 40 + FLOATS


def edge_tape(out):
    """Values at the edges of the bucket and percentile definitions: exact powers of two and
    their neighbours, ties, zero, negatives, subnormals, infinity, NaN, integers past 2^53, and
    doubles that ClickHouse 18.16 would read back a bit off from text (FLOATS)."""
    vals = edge_vals()
    durs = [1, 2, 3, 4, 4, 4, 7, 8, 1023, 1024, 1025, 2**20, 2**20, 2**40, 2**40 + 1, 5, 6] * 7
    ints = [0, 1, 2**53, 2**53 + 1, 2**62, 2**63 - 1, 2**64 - 1, 12345] * 5
    lines = ["meta host edge", f"clock {T0} 1700000000000000000", "probe 0 app op__begin",
             "probe 1 app op__end", "probe 2 app val f64:x", "probe 3 app bytes u64:n"]
    t = T0
    for i, d in enumerate(durs):
        lines += [f"event {t} 0 1 1 0", f"event {t + d} 0 1 1 1"]
        t += d + 1
    for i, v in enumerate(vals):
        lines.append(f"event {t + i} 0 1 2 2 {v!r}")
    for i, v in enumerate(ints):
        lines.append(f"event {t + 1000 + i} 0 1 3 3 {v}")
    mktape("\n".join(lines) + "\n", out)
    return out


@pytest.fixture(scope="module")
def edge_dbs(cluster, tmp_path_factory):
    d = tmp_path_factory.mktemp("edge")
    return load_both(cluster, edge_tape(d / "edge.tape"), d / "edge.db", "edge")


@pytest.mark.parametrize("opts", [(), ("--buckets", "log2"), ("--buckets", "linear"), ("--raw",),
                                  ("--json",)])
def test_same_report_at_the_edges(edge_dbs, opts):
    want, got = reports(*edge_dbs, *opts)
    assert "app:val" in want and "app:bytes" in want
    assert got == want


def test_float_arguments_are_exact(edge_dbs):
    """A float argument comes back from ClickHouse as the very double recorded (its bits), in
    the per-probe view and in events.argf<i>; NaN is NULL there as in SQLite."""
    import struct
    want = [None if v != v else struct.unpack("<q", struct.pack("<d", v))[0]
            for v in edge_vals()]
    _, u = edge_dbs
    for sql in ("SELECT reinterpretAsInt64(reinterpretAsString(x)) FROM app_val ORDER BY event_id",
                "SELECT reinterpretAsInt64(reinterpretAsString(argf0)) FROM events WHERE probe_id IN "
                "(SELECT id FROM edge.probes WHERE name = 'val') ORDER BY id"):
        assert [r[0] for r in rows(u, sql)] == want


def test_float_columns_added_to_an_older_database(cluster, tapes):
    """A database an older tracetape made (events without argf<i>) gets the columns on the next
    load; its older rows are read from their text, the new ones exactly."""
    u = url(cluster, "older")
    r = tt("load", "--into", u, tapes[0], timeout=300)
    assert r.returncode == 0, r.stderr
    drop = ", ".join(f"DROP COLUMN argf{i}" for i in range(12))
    for shard in (0, 1):
        for table in ("events", "events_local"):
            ch_http(cluster, shard, f"ALTER TABLE older.{table} {drop}")
    r = tt("report", u, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "app:rows" in r.stdout
    r = tt("load", "--into", u, tapes[1], timeout=300)
    assert r.returncode == 0, r.stderr
    assert rows(u, "SELECT tape, count(argf1), count(arg1) FROM events WHERE probe_id IN (SELECT id "
                   "FROM older.probes WHERE name = 'rows') GROUP BY tape ORDER BY tape") == \
        [[1, 0, 3000], [2, 2000, 2000]]
    r = tt("report", u, timeout=300)
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def tail_dbs(cluster, tmp_path_factory):
    """A tail-capture tape (record --keep's counters, written by tt-mktape): two span names
    watched, a few of their spans kept."""
    from test_tail import hist_line
    durs = [(i + 1) * 10**6 for i in range(1000)]
    value = "\\n".join([hist_line("svc", "query", [d // 7 + 3 for d in durs[:300]]),
                         hist_line("svc", "request", durs)])
    lines = ['meta host tail', 'meta keep "svc:request > 995000000ns"',
             f'meta keep_spans "{value.replace(chr(9), chr(92) + "t")}"',
             "probe 1 svc request__begin u64", "probe 2 svc request__end u64",
             "probe 3 svc query__begin u64", "probe 4 svc query__end u64"]
    for k, (ms, q) in enumerate([(998, 141), (999, 142), (1000, 140)]):
        lines += [f"event {k + 1}s 0 10 10 1 {k}", f"event +{q}ms 0 10 10 3 {k}",
                  f"event +1ms 0 10 10 4 {k}", f"event +{ms - q - 1}ms 0 10 11 2 {k}"]
    d = tmp_path_factory.mktemp("tail")
    mktape("\n".join(lines) + "\n", d / "t.tape")
    return load_both(cluster, d / "t.tape", d / "t.db", "tail")


@pytest.mark.parametrize("opts", [(), ("--raw",), ("--json",), ("--format", "html"),
                                  ("--host", "tail")])
def test_same_tail_capture_section(tail_dbs, opts):
    """record --keep's section (every span's counters and percentiles from the tape's
    histogram, the kept ones' exact) is the same from ClickHouse."""
    want, got = reports(*tail_dbs, *opts)
    assert "1,000 seen" in want or "1000 seen" in want or '"seen":1000' in want, want
    assert got == want


def test_tail_capture_left_out_of_a_window(tail_dbs):
    for src in tail_dbs:
        r = tt("report", "--from", "0", src)
        assert r.returncode == 0, r.stderr
        assert "Tail capture" not in r.stdout
        assert "a report of a --from/--to window leaves them out" in r.stderr
    want, got = reports(*tail_dbs, "--from", "0")
    assert got == want


@pytest.fixture(scope="module")
def stack_dbs(cluster, tmp_path_factory):
    """The example service recorded with the stacks of its svc probes (record --stack)."""
    need_bpf()
    d = tmp_path_factory.mktemp("stk")
    svc = TRACETAPE.parent / "examples" / "c-service" / "c-service"
    r = tt("record", "-q", "-o", d / "s.tape", "--stack", "svc:*", "usdt:svc:*", "usdt:cache:*", "--",
           svc, "--requests", "100", "--sleep-us", "1000", timeout=300)
    assert r.returncode == 0, r.stderr
    return load_both(cluster, d / "s.tape", d / "s.db", "stk")


@pytest.mark.parametrize("opts", [(), ("--top", "3"), ("--format", "html"), ("--raw",),
                                  ("--from", "+20ms")])
def test_same_stacks_section(stack_dbs, opts):
    """record --stack's section (each probe's stacks by hits, each span name's slowest spans'
    stacks) and flame graphs are the same from ClickHouse."""
    want, got = reports(*stack_dbs, *opts)
    assert "svc:request__begin" in want and ("Call stacks" in want or "flame" in want), want
    assert got == want


def test_same_frame_lines(stack_dbs):
    """The frames' source files and lines (DWARF: the example is built with -g) are the same in
    ClickHouse."""
    sql = "SELECT stack_id, depth, symbol, file, line FROM frames ORDER BY stack_id, depth"
    want = rows(stack_dbs[0], sql)
    assert any(r[3] and r[3].endswith(".c") and r[4] for r in want), want
    assert rows(stack_dbs[1], sql) == want


def test_frame_lines_added_to_an_older_database(cluster, tapes):
    """A database an older tracetape made (frames without file and line) gets the columns on
    the next load, on every shard."""
    u = url(cluster, "olderframes")
    r = tt("load", "--into", u, tapes[0], timeout=300)
    assert r.returncode == 0, r.stderr
    have = "SELECT table, name FROM system.columns WHERE database = 'olderframes' AND " \
           "table LIKE 'frames%' AND name IN ('file', 'line') ORDER BY table, name FORMAT TSV"
    both = "frames\tfile\nframes\tline\nframes_local\tfile\nframes_local\tline\n"
    for shard in (0, 1):
        assert ch_http(cluster, shard, have) == both
        for table in ("frames", "frames_local"):
            ch_http(cluster, shard,
                    f"ALTER TABLE olderframes.{table} DROP COLUMN file, DROP COLUMN line")
        assert ch_http(cluster, shard, have) == ""
    r = tt("load", "--into", u, tapes[1], timeout=300)
    assert r.returncode == 0, r.stderr
    for shard in (0, 1):
        assert ch_http(cluster, shard, have) == both


def test_report_errors(cluster, report_dbs):
    _, u = report_dbs
    r = tt("report", "--by", "nosuch", u)
    assert r.returncode == 2
    assert "no probe has an argument named 'nosuch'" in r.stderr
    r = tt("report", "--value", "nosuch:*=x", u)
    assert r.returncode == 2
    r = tt("report", url(cluster, "nosuchdb"))
    assert r.returncode == 1
    assert "nosuchdb" in r.stderr
    r = tt("report", "clickhouse://127.0.0.1:1/x")
    assert r.returncode == 1
    assert "127.0.0.1:1" in r.stderr


def counts(u):
    return rows(u, "SELECT tape, count() FROM events GROUP BY tape ORDER BY tape")


def test_shard_down_fails_clearly_and_a_rerun_completes(cluster, tapes):
    u = url(cluster, "down")
    r = tt("load", "--into", u, tapes[0], timeout=300)
    assert r.returncode == 0, r.stderr
    dead = cluster["shards"][1]["http"]
    assert run(["/usr/bin/python3", CH_CLUSTER, "kill", cluster["dir"], "2"]).returncode == 0
    try:
        r = tt("load", "--into", u, tapes[1], tapes[2], timeout=300)
        assert r.returncode == 1
        assert f"ClickHouse at 127.0.0.1:{dead}" in r.stderr
        assert "Couldn't connect to server" in r.stderr
    finally:
        r2 = run(["/usr/bin/python3", CH_CLUSTER, "revive", cluster["dir"], "2"], timeout=300)
        assert r2.returncode == 0, r2.stderr
    r = tt("load", "--into", u, tapes[0], tapes[1], tapes[2], timeout=300)
    assert r.returncode == 0, r.stderr
    assert "already loaded" in r.stderr
    sq = rows(tt_sqlite(tapes, "down"), "SELECT tape, count(*) FROM events GROUP BY tape ORDER BY tape")
    assert counts(u) == sq


_sqlite_dbs = {}


def tt_sqlite(tapes, name):
    if name not in _sqlite_dbs:
        db = tapes[0].parent / f"{name}.db"
        r = tt("load", "-f", "-o", db, *tapes, timeout=300)
        assert r.returncode == 0, r.stderr
        _sqlite_dbs[name] = db
    return _sqlite_dbs[name]


def test_shard_killed_mid_load(cluster, tapes, tmp_path):
    """A shard dies while a load sends its rows: the load fails saying so; the rows it had sent
    are dropped by the rerun, which loads each tape once."""
    big = [host_tape(f"big{k}", 100 + k, 60000, tmp_path / f"big{k}.tape") for k in (1, 2)]
    u = url(cluster, "mid")
    p = subprocess.Popen([str(TRACETAPE), "load", "--into", u, *map(str, big)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped = False
    try:
        # wait until the first events are in a shard, then hold the load there
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and p.poll() is None:
            try:
                n = sum(int(ch_http(cluster, k, "SELECT count() FROM system.parts WHERE "
                                    "database = 'mid' AND table = 'events_local' AND active"))
                        for k in (0, 1))
            except OSError:
                n = 0
            if n:
                p.send_signal(signal.SIGSTOP)
                stopped = True
                break
            time.sleep(0.01)
        assert stopped, "the load finished before any of its events were seen: make it bigger"
        assert run(["/usr/bin/python3", CH_CLUSTER, "kill", cluster["dir"], "2"]).returncode == 0
        p.send_signal(signal.SIGCONT)
        _, err = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.kill()
            p.wait(timeout=60)
        r2 = run(["/usr/bin/python3", CH_CLUSTER, "revive", cluster["dir"], "2"], timeout=300)
        assert r2.returncode == 0, r2.stderr
    assert p.returncode == 1, err
    assert "did not complete" in err
    # nothing is committed: the tapes rows are written last
    assert rows(u, "SELECT count() FROM tapes") == [[0]]
    r = tt("load", "--into", u, *big, timeout=600)
    assert r.returncode == 0, r.stderr
    want = rows(tt_sqlite(big, "mid"), "SELECT tape, count(*) FROM events GROUP BY tape ORDER BY tape")
    assert counts(u) == want
    assert rows(u, "SELECT count(), count(DISTINCT identity) FROM tapes") == [[2, 2]]


def test_kernel_tables(cluster, tmp_path):
    """A recording with scheduler and syscall tracepoints: the tp_ tables and the tables load
    derives from them (syscalls, thread_states) hold the same rows in ClickHouse."""
    need_bpf()
    tape = tmp_path / "k.tape"
    r = tt("record", "--sched", "--syscalls", "-o", tape, "--", "sh", "-c",
           "ls / >/dev/null; sleep 0.2", timeout=120)
    assert r.returncode == 0, r.stderr
    db = tmp_path / "k.db"
    r = tt("load", "-o", db, tape, timeout=300)
    assert r.returncode == 0, r.stderr
    u = url(cluster, "kern")
    r = tt("load", "--into", u, tape, timeout=300)
    assert r.returncode == 0, r.stderr
    for q in ("SELECT count(*), sum(dur), sum(nr), sum(ret) FROM syscalls",
              "SELECT name, count(*) FROM syscalls WHERE name IS NOT NULL GROUP BY name ORDER BY name",
              "SELECT state, count(*), sum(dur), percentile(dur, 90) FROM thread_states"
              " GROUP BY state ORDER BY state",
              "SELECT count(*), sum(next_pid), sum(prev_pid) FROM tp_sched_sched_switch"):
        want = rows(db, q)
        assert want and want[0][-1], q
        assert rows(u, q) == want, q


# ---- where span time went: thread_states and syscalls, from tt-mktape's tracepoint records ----

KERNEL_TAPE = SOURCE_DIR / "tests" / "tools" / "kernel-tape"
SYSCALL_NRS = {0: "read", 1: "write", 7: "poll", 35: "nanosleep", 202: "futex", 500: "#500"}  # kernel-tape's


@pytest.fixture(scope="module")
def kernel_dbs(cluster, tmp_path_factory):
    """Three hosts' recordings with scheduler and syscall records; alpha's in two rotated files
    of one capture, which go to different shards (tapes are sharded by id): a thread's rows and
    spans of one capture are on both. Loaded into SQLite and into ClickHouse by one load each."""
    d = tmp_path_factory.mktemp("kern3")
    tapes = []
    for host, seed in (("alpha", 5), ("beta", 6), ("gamma", 7)):
        for part in (("1/2", "2/2") if host == "alpha" else ("1/1",)):
            r = run(["/usr/bin/python3", KERNEL_TAPE, host, str(seed), "150", part])
            assert r.returncode == 0, r.stderr
            tapes.append(d / f"{host}{part[0]}.tape")
            mktape(r.stdout, tapes[-1])
    db, u = d / "k.db", url(cluster, "kern3")
    r = tt("load", "-o", db, *tapes, timeout=300)
    assert r.returncode == 0, r.stderr
    r = tt("load", "--into", u, *tapes, timeout=300)
    assert r.returncode == 0, r.stderr
    return db, u


@pytest.mark.parametrize("opts", [(), ("--raw",), ("--json",), ("--format", "html"), ("--top", "40", "--raw"),
                                  ("--host", "alpha", "--raw"), ("--host", "beta,gamma", "--format", "html"),
                                  ("--from", "+40ms", "--to", "+120ms", "--raw"),
                                  ("--host", "alpha", "--from", "+60ms", "--top", "30")])
def test_same_kernel_breakdowns(kernel_dbs, opts):
    """Where span time went, per span name and per slow span's threads (both threads of one
    ended on another), is the same from ClickHouse: states, unknown time, syscalls."""
    want, got = reports(*kernel_dbs, *opts)
    assert "unknown" in want and "futex" in want, want
    if "--top" in opts:
        assert "(began it)" in want and "(ended it)" in want
    assert got == want


def test_kernel_breakdowns_are_the_tables_overlaps(cluster, kernel_dbs):
    """The numbers themselves: each span name's time per state and its syscalls from
    ClickHouse are the overlaps of its spans (on both threads of one ended on another) with
    the rows of their threads in their capture, summed by SQL on the SQLite database."""
    db, u = kernel_dbs
    r = tt("report", "--json", u, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "not computed" not in r.stderr and "leaves them out" not in r.stderr
    kernel = {k["name"]: k for k in json.loads(r.stdout)["kernel"]}
    assert set(kernel) == {"app:req", "app:db"}
    windows = ("(SELECT s.provider || ':' || s.name AS label, s.tid AS tid, s.start_ts AS s, "
               "s.end_ts AS e, t.capture AS cap FROM spans s JOIN tapes t ON t.id = s.tape "
               "WHERE s.end_ts IS NOT NULL UNION ALL SELECT s.provider || ':' || s.name, s.end_tid, "
               "s.start_ts, s.end_ts, t.capture FROM spans s JOIN tapes t ON t.id = s.tape "
               "WHERE s.end_ts IS NOT NULL AND s.end_tid != s.tid)")
    states = rows(db, "SELECT w.label, k.state, sum(max(0, min(coalesce(k.end_ts, w.e), w.e) - "
                      f"max(k.start_ts, w.s))) FROM {windows} w JOIN thread_states k ON k.tid = w.tid "
                      "AND k.start_ts < w.e AND (k.end_ts IS NULL OR k.end_ts > w.s) JOIN tapes t "
                      "ON t.id = k.tape AND t.capture = w.cap GROUP BY 1, 2")
    calls = rows(db, "SELECT w.label, c.nr, count(*), sum(min(coalesce(c.end_ts, c.start_ts), w.e) - "
                     f"max(c.start_ts, w.s)) FROM {windows} w JOIN syscalls c ON c.tid = w.tid "
                     "AND c.start_ts < w.e AND (coalesce(c.end_ts, c.start_ts) > w.s OR c.start_ts = w.s) "
                     "JOIN tapes t ON t.id = c.tape AND t.capture = w.cap GROUP BY 1, 2")
    total = rows(db, f"SELECT label, sum(e - s) FROM {windows} GROUP BY 1")
    assert len(states) == 8 and len(calls) == 2 * len(SYSCALL_NRS)
    for label, state, ns in states:
        assert kernel[label]["time"][f"{state}_ns"] == ns, (label, state)
    for label in kernel:
        t = kernel[label]["time"]
        mine = sorted(([-ns, -n, nr] for lb, nr, n, ns in calls if lb == label))
        assert [(s["name"], s["count"], s["ns"]) for s in t["syscalls"]] == \
            [(SYSCALL_NRS[nr], -n, -ns) for ns, n, nr in mine[:5]]
        assert t["syscalls_more"] == len(mine) - 5 == 1
        assert (t["syscall_count"], t["syscall_ns"]) == (-sum(c[1] for c in mine), -sum(c[0] for c in mine))
    for label, ns in total:
        t = kernel[label]["time"]
        assert t["total_ns"] == ns
        assert t["unknown_ns"] == ns - sum(t[f"{s}_ns"] for s in ("running", "runnable", "sleeping",
                                                                   "blocked"))
        assert t["unknown_ns"] > 0
    assert kernel["app:req"]["cross_thread"] > 0
    # alpha's two files (tapes 1 and 2) are on different shards, each with rows of the capture
    on = [ch_http(cluster, k, "SELECT arraySort(groupUniqArray(tape)) FROM kern3.thread_states_local")
          for k in (0, 1)]
    assert sorted(x.strip() for x in on) == ["[1,3]", "[2,4]"], on


def test_same_kernel_breakdowns_of_a_real_recording(cluster, tmp_path):
    """The example service recorded with --sched --syscalls (the kernel's own records, with the
    repairs load makes): the same breakdowns from ClickHouse."""
    need_bpf()
    svc = TRACETAPE.parent / "examples" / "c-service" / "c-service"
    tape = tmp_path / "svc.tape"
    r = tt("record", "-q", "-o", tape, "--sched", "--syscalls", "usdt:svc:*", "usdt:cache:*", "--", svc,
           "--requests", "100", "--sleep-us", "1000", timeout=300)
    assert r.returncode == 0, r.stderr
    dbs = load_both(cluster, tape, tmp_path / "svc.db", "ksvc")
    for opts in ((), ("--top", "20", "--raw"), ("--format", "html")):
        want, got = reports(*dbs, *opts)
        assert "svc:request" in want and ("Where the time went" in want or "running" in want)
        assert got == want, opts
