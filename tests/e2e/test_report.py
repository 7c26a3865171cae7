"""Test plan: the report's distributions and `tracetape diff` (issue 18).

rp-1  buckets fitted to the data: request spans spread over 584..737 us get linear 5 us buckets,
      text and HTML, with >= 8 populated buckets between 580 and 740 us, every span counted once,
      the percentiles marked in the bucket that holds them; --buckets log2 puts them in one
      bucket; a spread over decades gets log-linear buckets, empty runs folded; --buckets
      rejects a bad mode.
rp-2  the value rule: svc:response(id, status, route, bytes, latency_ms) shows latency_ms.
rp-3  diff on two fixed tapes: every statistic of both and its change, exactly; names only in one
      side are 'new' or 'gone'; HTML overlays both distributions; usage errors.
rp-4  (BPF) the bundled example recorded twice, the second with a larger --sleep-us: diff shows
      every percentile of svc:request and of svc:response's latency_ms grow; the report shows
      latency_ms for svc:response and a histogram with buckets across the spread.
rp-5  (BPF) headless Chromium renders the report (with --heatmap) of the example recorded with
      --sched --syscalls, and the diff page: every chart has titled axes, the histograms have more
      than one bar, no console errors; the screenshots are kept in tests/artifacts/.
rp-6  an argument named like an SQL keyword (`where`, `order`) loads: its view column is quoted.
rp-7  replay --format chrome follows the Trace Event Format rules Perfetto relies on (a validator:
      metadata once per process and thread, every async begin matched by one end after it,
      complete slices nested on every track): on a fixed tape whose thread spans cross (one
      becomes an async pair) and (BPF) on the example recorded with --sched --syscalls, where
      thread states are slices beside each thread and syscalls slices on it.
"""
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, mktape, need_bpf, run, tt

ARTIFACTS = SOURCE_DIR / "tests" / "artifacts"
SVC = BUILD_DIR / "examples" / "c-service" / "c-service"

HEAD = """meta host reporthost
clock 1000000000 1700000000000000000
probe 0 svc request__begin u64:id str:route
probe 1 svc request__end u64:id s32:status
probe 2 svc response u64:id s32:status str:route u64:bytes f64:latency_ms
process 100 1 svc /usr/local/bin/svc "svc"
"""


def capture(durs_ns, extra=""):
    """A tt-mktape description: one request span per duration, a response event with each."""
    lines = [HEAD, extra]
    t = 1000000000
    for i, d in enumerate(durs_ns, 1):
        lines.append(f'event {t} 0 100 101 0 {i} "/r"')
        lines.append(f'event {t + d - 1} 1 100 102 2 {i} 200 "/r" {1000 + i} {d / 1e6!r}')
        lines.append(f"event {t + d} 1 100 102 1 {i} 200")
        t += 1000000
    return "\n".join(lines) + "\n"


def nearest(v, pct):
    """Nearest-rank percentile (pct in percent), as sqlfuncs.h's tt_pct_rank()."""
    s = sorted(v)
    micro = round(pct * 1000000)
    return s[max(1, (micro * len(s) + 10 ** 8 - 1) // 10 ** 8) - 1]


# 300 spans spread over 584..737 us, as the example's on a quiet machine
SPREAD = [584000 + (i * 7919) % 153001 for i in range(300)]


def hist_rows(text, title):
    """[(lo, hi, count, marks)] of the histogram under the line starting with title (--raw)."""
    lines = text.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith(title))
    assert lines[i + 1].startswith("  buckets: "), lines[i + 1]
    rows = []
    for l in lines[i + 2:]:
        m = re.match(r"  \[(-?[\d.]+|-inf), (-?[\d.]+)\)\s+(\d+|~)", l)
        if not m:
            break
        count = 0 if m.group(3) == "~" else int(m.group(3))
        marks = l.split("<- ")[1].split() if "<- " in l else []
        rows.append((float(m.group(1)), float(m.group(2)), count, marks))
    return lines[i + 1], rows


@pytest.fixture(scope="module")
def tapes(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    mktape(capture(SPREAD), d / "spread.tape")
    # B: every span 1.5 times as long, and a probe of its own
    mktape(capture([d * 3 // 2 for d in SPREAD],
                   "probe 3 svc extra u32:n\n"), d / "slower.tape")
    # over decades: 1 us .. 100 ms
    mktape(capture([int(1000 * 1.05 ** i) for i in range(236)]), d / "decades.tape")
    return d


def test_buckets_fit_the_data(tapes):
    r = tt("report", "--raw", tapes / "spread.tape")
    assert r.returncode == 0, r.stderr
    head, rows = hist_rows(r.stdout, "svc:request: 300 spans, duration")
    assert head == "  buckets: linear, 5000 wide; spans per bucket, bars scaled to the fullest (%d)" % max(
        c for _, _, c, _ in rows)
    assert sum(c for _, _, c, _ in rows) == 300
    for lo, hi, c, _ in rows:
        assert hi - lo == 5000 and c == sum(1 for d in SPREAD if lo <= d < hi)
    assert sum(1 for lo, hi, c, _ in rows if c and lo >= 580000 and hi <= 740000) >= 8
    for name, pct in (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)):
        v = nearest(SPREAD, pct)
        assert [name in m for lo, hi, _, m in rows if lo <= v < hi] == [True], name
    # the human units say the same
    h = tt("report", tapes / "spread.tape").stdout
    assert "  buckets: linear, 5.00us wide;" in h and "[580us, 585us)" in h
    # log2: one bucket [524288, 1048576)
    r = tt("report", "--raw", "--buckets", "log2", tapes / "spread.tape")
    head, rows = hist_rows(r.stdout, "svc:request: 300 spans, duration")
    assert head.startswith("  buckets: log2;") and [(lo, hi, c) for lo, hi, c, _ in rows] == [(524288, 1048576, 300)]
    # over decades: log-linear, empty runs folded, still every span
    r = tt("report", "--raw", tapes / "decades.tape")
    head, rows = hist_rows(r.stdout, "svc:request: 236 spans, duration")
    assert head.startswith("  buckets: log-linear, ") and sum(c for _, _, c, _ in rows) == 236
    assert len(rows) <= 48 and sum(1 for r_ in rows if r_[2]) > 24
    r = tt("report", "--buckets", "hdr", tapes / "spread.tape")
    assert (r.returncode, r.stderr) == (2, "tracetape report: error: --buckets 'hdr': expected auto, log2 or "
                                           "linear (see 'tracetape report --help')\n")


def test_value_rule_prefers_a_time(tapes):
    r = tt("report", "--raw", tapes / "spread.tape")
    row = next(l for l in r.stdout.splitlines() if l.startswith("  svc:response "))
    assert row.split()[4] == "latency_ms"
    assert float(row.split()[6]) == pytest.approx(nearest(SPREAD, 50) / 1e6, rel=1e-3)  # %.4g
    # --value still decides
    r = tt("report", "--raw", "--value", "svc:response=bytes", tapes / "spread.tape")
    row = next(l for l in r.stdout.splitlines() if l.startswith("  svc:response "))
    assert row.split()[4:6] == ["bytes", "1001"]


def test_diff_side_by_side(tapes, tmp_path):
    a, b = tapes / "spread.tape", tapes / "slower.tape"
    r = tt("diff", "--raw", a, b)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "tracetape diff: A is the baseline, B is compared with it"
    i = lines.index("  svc:request")
    got = {l.split()[0]: l.split()[1:] for l in lines[i + 1:i + 9]}
    slower = [d * 3 // 2 for d in SPREAD]
    assert got["count"] == ["300", "300", "="]
    for name, pct in (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)):
        x, y = nearest(SPREAD, pct), nearest(slower, pct)
        assert got[name] == [str(x), str(y), "%+.1f%%" % ((y - x) / x * 100)], name
    assert got["min"][:2] == [str(min(SPREAD)), str(min(slower))]
    assert got["max"][:2] == [str(max(SPREAD)), str(max(slower))]
    # a probe only B has
    k = lines.index("  svc:extra")
    assert lines[k + 1].split() == ["count", "-", "0", "new"]
    # the value compared is latency_ms, on both sides
    assert "  svc:response (latency_ms)" in lines
    # HTML: both distributions overlaid, per span name and probe value
    html = tmp_path / "d.html"
    r = tt("diff", "-o", html, a, b)
    assert r.returncode == 0 and r.stderr == f"tracetape diff: wrote {html}\n"
    page = html.read_text()
    assert page.count('<svg class="density"') == 2 and page.count('<svg class="curve"') == 2
    assert page.count('class="dens a"') == 2 and page.count('class="dens b"') == 2
    for args, msg in ((["diff", a], "expected two captures, A and B (tapes or databases)"),
                      (["diff", a, b, a], f"unexpected argument '{a}'"),
                      (["diff", "-f", "pdf", a, b], "--format 'pdf': expected text or html")):
        r = tt(*args)
        assert (r.returncode, r.stderr) == (2, f"tracetape diff: error: {msg} (see 'tracetape diff --help')\n")


def record_example(tape, *args, sleep_us=1000, requests=300):
    r = tt("record", "-q", "-o", tape, *args, "usdt:svc:*", "usdt:cache:*", "--", SVC,
           "--requests", str(requests), "--sleep-us", str(sleep_us), timeout=300)
    assert r.returncode == 0, r.stderr


def test_diff_of_the_example(tmp_path):
    need_bpf()
    a, b = tmp_path / "a.tape", tmp_path / "b.tape"
    record_example(a, requests=100)
    # requests ten times as long as anything the first run can see from a busy machine
    record_example(b, requests=100, sleep_us=30000)
    r = tt("report", "--raw", a)
    row = next(l for l in r.stdout.splitlines() if l.startswith("  svc:response "))
    assert row.split()[4] == "latency_ms"
    _, rows = hist_rows(r.stdout, "svc:request: 100 spans, duration")
    assert sum(c for _, _, c, _ in rows) == 100 and sum(1 for r_ in rows if r_[2]) >= 5
    r = tt("diff", "--raw", a, b)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    for title in ("  svc:request", "  svc:response (latency_ms)"):
        i = lines.index(title)
        got = {l.split()[0]: l.split()[1:] for l in lines[i + 1:i + 9]}
        assert got["count"] == ["100", "100", "="]
        for name in ("min", "p50", "p90", "p99", "p99.9", "max"):
            x, y, change = got[name]
            assert float(y) > float(x) and change.startswith("+"), (title, name, got[name])


def render(html, shot):
    """Headless Chromium: the DOM of html, and a screenshot kept as an artifact."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("headless Chromium (/usr/bin/chromium) is needed for this test")
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with tempfile.TemporaryDirectory() as prof:
        r = run(base + [f"--user-data-dir={prof}", "--enable-logging=stderr", "--v=0", "--dump-dom",
                        f"file://{html}"], timeout=120)
    assert r.returncode == 0, r.stderr
    errors = [l for l in r.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
    assert not errors, errors
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if shot.exists():
        shot.unlink()
    with tempfile.TemporaryDirectory() as prof:
        s = run(base + [f"--user-data-dir={prof}", f"--screenshot={shot}", "--window-size=1280,4000",
                        f"file://{html}"], timeout=120)
    assert s.returncode == 0 and shot.exists() and shot.stat().st_size > 10000, s.stderr
    return r.stdout


def svgs(dom, cls):
    return re.findall(r'<svg class="%s".*?</svg>' % cls, dom, re.S)


def test_browser_renders_report_and_diff(tmp_path):
    need_bpf()
    tape = tmp_path / "k.tape"
    record_example(tape, "--sched", "--syscalls")
    html = tmp_path / "report.html"
    r = tt("report", "--heatmap", "-o", html, tape)
    assert r.returncode == 0, r.stderr
    dom = render(html, ARTIFACTS / "report_example_sched.png")
    assert "Where the time went" in dom
    # every chart has both axes titled; histograms and curves per span name and probe value
    for cls, n in (("hist", 2), ("curve", 2), ("scatter", 1), ("heat", 1)):
        charts = svgs(dom, cls)
        assert len(charts) == n, cls
        for c in charts:
            assert c.count('class="atitle"') == 2 and c.count('class="axis"') >= 2, cls
    req = svgs(dom, "hist")[0]
    assert req.count('class="bar"') > 1 and "duration (" in req and ">spans<" in req
    assert all(f">{p}<" in req for p in ("p50", "p90", "p99", "p99.9"))
    assert svgs(dom, "heat")[0].count('class="cell"') > 10
    # the diff page of the example and the same run again
    b = tmp_path / "b.tape"
    record_example(b, sleep_us=2000)
    html = tmp_path / "diff.html"
    r = tt("diff", "-o", html, tape, b)
    assert r.returncode == 0, r.stderr
    dom = render(html, ARTIFACTS / "diff_example.png")
    for c in svgs(dom, "density") + svgs(dom, "curve"):
        assert c.count('class="atitle"') == 2
    assert len(svgs(dom, "density")) == 2


def test_argument_named_like_a_keyword(tmp_path):
    mktape(HEAD + "probe 3 app tick u32:where s32:order\nevent 1000000000 0 100 101 3 7 -1\n",
           tmp_path / "kw.tape")
    r = tt("query", tmp_path / "kw.tape", 'SELECT "where", "order" FROM app_tick')
    assert (r.returncode, r.stdout.split()[-2:]) == (0, ["7", "-1"]), r.stderr


def check_trace_events(trace):
    """The Trace Event Format rules Perfetto relies on; returns the events by phase."""
    by_ph, meta, open_async, tracks = {}, set(), {}, {}
    for e in trace["traceEvents"]:
        ph = e["ph"]
        by_ph.setdefault(ph, []).append(e)
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int) and e["name"], e
        if ph == "M":
            key = (e["name"], e["pid"], 0 if e["name"] == "process_name" else e["tid"])
            assert key not in meta, f"metadata given twice: {key}"
            meta.add(key)
            continue
        ns = round(e["ts"] * 1000)
        assert ns >= 0, e
        if ph == "X":
            assert e["dur"] >= 0, e
            tracks.setdefault((e["pid"], e["tid"]), []).append((ns, round(e["dur"] * 1000), e["name"]))
        elif ph in ("b", "e"):
            key = (e["pid"], e["cat"], e["id2"]["local"], e["name"])
            if ph == "b":
                assert key not in open_async, f"async begun twice: {key}"
                open_async[key] = ns
            else:
                assert key in open_async and ns >= open_async.pop(key), f"async end without begin: {key}"
        else:
            assert ph == "i" and e["s"] in ("t", "p", "g"), e
    assert not open_async, f"async begins never ended: {list(open_async)[:3]}"
    for track, slices in tracks.items():
        stack = []
        for ts, dur, name in sorted(slices, key=lambda s: (s[0], -s[1])):
            while stack and stack[-1] <= ts:
                stack.pop()
            assert not stack or ts + dur <= stack[-1], f"{name} at {ts} crosses its parent on {track}"
            stack.append(ts + dur)
    # every process and thread with events has its name
    for e in trace["traceEvents"]:
        if e["ph"] != "M":
            assert ("process_name", e["pid"], 0) in meta and ("thread_name", e["pid"], e["tid"]) in meta, e
    return by_ph


CROSSING = HEAD + """probe 3 app a__start
probe 4 app a__done
probe 5 app b__start
probe 6 app b__done
event 1000000000 0 100 101 3
event 1000001000 0 100 101 5
event 1000002000 0 100 101 4
event 1000003000 0 100 101 6
event 1000004000 0 100 101 3
event 1000005000 0 100 101 5
event 1000006000 0 100 101 6
event 1000007000 0 100 101 4
"""


def test_chrome_export_follows_the_format(tmp_path):
    mktape(CROSSING, tmp_path / "x.tape")
    r = tt("replay", "-f", "chrome", tmp_path / "x.tape")
    assert r.returncode == 0, r.stderr
    by_ph = check_trace_events(json.loads(r.stdout))
    # a and b cross the first time: b becomes an async pair; the second time they nest
    assert [(e["name"], e["ts"], e["dur"]) for e in by_ph["X"]] == [
        ("a", 1000000.0, 2.0), ("a", 1000004.0, 3.0), ("b", 1000005.0, 1.0)]
    assert [(e["name"], e["ph"], e["ts"]) for e in by_ph["b"] + by_ph["e"]] == [
        ("b", "b", 1000001.0), ("b", "e", 1000003.0)]


def test_chrome_export_of_a_kernel_capture(tmp_path):
    need_bpf()
    tape = tmp_path / "k.tape"
    record_example(tape, "--sched", "--syscalls", requests=50)
    r = tt("replay", "-f", "chrome", "-o", tmp_path / "k.json", tape)
    assert r.returncode == 0, r.stderr
    trace = json.loads((tmp_path / "k.json").read_text())
    by_ph = check_trace_events(trace)
    # the recorded service's process, by its requests: a wakeup by another process of that name
    # (another test's service on a shared machine) is recorded too, and named
    pids = {e["pid"] for e in by_ph["b"] if e["name"] == "request"}
    assert len(pids) == 1, pids
    pid = pids.pop()
    assert any(e["name"] == "process_name" and e["args"]["name"] == "c-service" and e["pid"] == pid
               for e in by_ph["M"])
    cats = {(e["cat"], e["pid"]) for e in by_ph["X"]}
    assert ("sched", pid) in cats and ("syscall", pid) in cats
    states = {e["name"] for e in by_ph["X"] if e["cat"] == "sched"}
    assert states <= {"running", "runnable", "sleeping", "blocked"} and "running" in states
    assert sum(1 for e in by_ph["b"] if e["name"] == "request") == 50
    assert trace["metadata"]["clock"] == "CLOCK_MONOTONIC" and trace["metadata"]["wall_offset_ns"] > 0

