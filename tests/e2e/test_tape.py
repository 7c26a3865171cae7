# SPDX-License-Identifier: MIT
"""Test plan: the tape through the command line (`tracetape info`, `tracetape replay`), on tapes
made by tests/tools/tt-mktape with exactly known contents. No BPF needed.

tape-1  replay text: exact lines (relative and wall-clock time, names, quoting, truncation,
        faults, pointers, floats, goroutine ids).
tape-2  replay --format json: every field of every event, in time order.
tape-3  replay --format chrome: valid JSON in the Trace Event Format, spans from load's engine:
        X__begin/X__end become async pairs keyed by the span's id, X__start/X__done and Go
        functions complete slices on their thread or goroutine track, the rest instants; times
        the capture's clock in microseconds; process and thread names once each as metadata.
tape-4  filters: --probe (repeatable glob), --pid, --from/--to (seconds and durations).
tape-5  --speed: output paced; a long pause in the capture is shortened to 1 s.
tape-6  info on a clean tape: metadata, counts per probe and CPU, losses, times; --json.
tape-7  a tape cut short: info says where (exit 0); replay prints the whole blocks and warns.
tape-8  a tape without trailer (killed recorder): info says so, replay reads everything.
tape-9  a damaged tape: replay prints what precedes the damage, warns, exits 1; with
        --skip-damaged prints everything else and exits 0; info lists the damage, exits 1.
tape-10 many events out of order across CPUs and blocks come back exactly, in time order.
tape-11 a full disk while writing is reported (exit 1), and what was written stays readable.
tape-12 not a tape, missing file, bad command lines: exit 1 / 2 with a message.
tape-13 names, metadata, command lines and grouping values holding control characters (a
        terminal escape, a newline, a C1 control) are printed escaped by info, replay, report
        and query's table format, one line per item; CSV and JSON keep them exact.
tape-14 an event released behind the first one (later than the reorder window) gets a negative
        relative time, in text and Chrome output, and the time filters still see it.
"""
import json
import os
import random
import subprocess
import time

import pytest

from conftest import BUILD_DIR, TRACETAPE, mktape, run, tt

MKTAPE = BUILD_DIR / "tests" / "tools" / "tt-mktape"

DEMO = r"""
meta host "test host"
meta tracetape.version 0.1.0
clock 1000000000 1700000000000000000
probe 0 myapp request__begin u64:id str:url
probe 1 myapp request__end u64:id s32:status
probe 2 myapp query__start str:sql
probe 3 myapp query__done
probe 4 myapp tick f64:load ptr:where any u8
probe 5 go main.handler type=go_entry u64:n
probe 6 go main.handler type=go_return
process 100 1 myapp /usr/bin/myapp "myapp --port 80"
process 200 1 worker /usr/bin/worker worker
event 1000000000 0 100 101 myapp:request__begin 7 "/index.html"
event +10us 0 100 101 myapp:query__start "SELECT 1"
event +2ms 1 100 102 myapp:request__begin 8 "/a\"b\\c\n"~
event +1ms 0 100 101 myapp:query__done
event +5ms 1 100 101 myapp:request__end 7 200
event +1ms 1 100 102 4 seq=77 goid=5 0.25 0x7fff0000 -3 255
event +1ms 1 100 102 myapp:request__end 8 !
event +1ms 0 200 201 5 goid=9 42
event +500us 0 200 201 6 goid=9
loss 0 * 1000000000 1010000000 3
loss 1 myapp:tick 1000000000 1010000000 2
"""

DEMO_TEXT = """\
     0.000000 100/101 [000] myapp:request__begin id=7 url="/index.html"
     0.000010 100/101 [000] myapp:query__start sql="SELECT 1"
     0.002010 100/102 [001] myapp:request__begin id=8 url="/a\\"b\\\\c\\n"...
     0.003010 100/101 [000] myapp:query__done
     0.008010 100/101 [001] myapp:request__end id=7 status=200
     0.009010 100/102 [001] myapp:tick goid=5 load=0.25 where=0x7fff0000 arg2=-3 arg3=255
     0.010010 100/102 [001] myapp:request__end id=8 status=<fault>
     0.011010 200/201 [000] go:main.handler goid=9 n=42
     0.011510 200/201 [000] go:main.handler:return goid=9
"""


@pytest.fixture
def tmp(tmp_path):
    return tmp_path


@pytest.fixture
def demo(tmp):
    path = tmp / "demo.tape"
    mktape(DEMO, path)
    return path


def blocks_of(description, out, *args):
    """Write a tape and return its blocks as (offset, end, type, records, seq) tuples."""
    r = mktape(description, out, "--list-blocks", *args)
    rows = []
    for line in r.stdout.splitlines():
        off, end, typ, recs, seq = line.split()
        rows.append((int(off), int(end), typ, int(recs), int(seq)))
    return rows


def test_replay_text_exact(demo):
    r = tt("replay", demo)
    assert r.returncode == 0, r.stderr
    assert r.stdout == DEMO_TEXT
    assert r.stderr == ""


def test_replay_text_wall_clock(demo):
    r = tt("replay", "--wall", demo)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # anchor: mono 1 s = 1700000000 s since the epoch, so the first event is exactly at it
    assert lines[0] == ('2023-11-14T22:13:20.000000Z 100/101 [000] myapp:request__begin '
                        'id=7 url="/index.html"')
    assert lines[-1].startswith("2023-11-14T22:13:20.011510Z 200/201 [000] go:main.handler:return")


def test_replay_json_fields(demo):
    r = tt("replay", "--format", "json", demo)
    assert r.returncode == 0, r.stderr
    evs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(evs) == 9
    assert evs[0] == {"ts": 1000000000, "pid": 100, "tid": 101, "cpu": 0, "seq": 0,
                      "probe": "myapp:request__begin", "args": {"id": 7, "url": "/index.html"}}
    assert evs[2]["args"]["url"] == '/a"b\\c\n'
    assert evs[2]["truncated"] == ["url"]
    assert evs[5] == {"ts": 1009010000, "pid": 100, "tid": 102, "cpu": 1, "seq": 77, "goid": 5,
                      "probe": "myapp:tick",
                      "args": {"load": 0.25, "where": "0x7fff0000", "arg2": -3, "arg3": 255}}
    assert evs[6]["args"] == {"id": 8, "status": None}
    assert evs[6]["faulted"] == ["status"]
    assert [e["ts"] for e in evs] == sorted(e["ts"] for e in evs)


def test_replay_chrome_trace(demo):
    r = tt("replay", "--format", "chrome", demo)
    assert r.returncode == 0, r.stderr
    trace = json.loads(r.stdout)
    evs = trace["traceEvents"]
    by_ph = {}
    for e in evs:
        assert {"ph", "pid", "name"} <= e.keys()
        by_ph.setdefault(e["ph"], []).append(e)
    # spans from load's engine: paired by id, an async pair with the span's id; timestamps are
    # the capture's clock in microseconds
    assert [(e["name"], e["cat"], e["id2"]["local"], e["ts"]) for e in by_ph["b"]] == [
        ("request", "myapp", "0x1", 1000000.0), ("request", "myapp", "0x3", 1002010.0)]
    assert [(e["name"], e["id2"]["local"], e["tid"], e["ts"]) for e in by_ph["e"]] == [
        ("request", "0x1", 101, 1008010.0), ("request", "0x3", 102, 1010010.0)]
    assert by_ph["b"][0]["args"] == {"span": 1, "begin": {"id": 7, "url": "/index.html"}}
    # thread spans: complete slices on their thread; a Go function's on its goroutine's track
    assert [(e["name"], e["tid"], e["ts"], e["dur"]) for e in by_ph["X"]] == [
        ("query", 101, 1000010.0, 3000.0), ("main.handler", 0x20000000 + 9, 1011010.0, 500.0)]
    assert [(e["name"], e["s"]) for e in by_ph["i"]] == [("myapp:tick", "t")]
    assert by_ph["i"][0]["args"] == {"load": 0.25, "where": "0x7fff0000", "arg2": -3, "arg3": 255}
    names = {e["pid"]: e["args"]["name"] for e in by_ph["M"] if e["name"] == "process_name"}
    assert names == {100: "myapp", 200: "worker"}
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in by_ph["M"] if e["name"] == "thread_name"}
    assert threads == {(100, 101): "myapp 101", (100, 102): "myapp 102", (200, 201): "worker 201",
                       (200, 0x20000000 + 9): "goroutine 9"}
    assert trace["displayTimeUnit"] == "ns"
    assert trace["metadata"] == {"clock": "CLOCK_MONOTONIC", "ts_unit": "us",
                                 "wall_offset_ns": 1699999999000000000}


def replay_probes(path, *args):
    r = tt("replay", "--format", "json", *args, path)
    assert r.returncode == 0, r.stderr
    return [(json.loads(line)["probe"], json.loads(line)["ts"]) for line in r.stdout.splitlines()]


def test_replay_filters(demo):
    assert [p for p, _ in replay_probes(demo, "--probe", "*:request__*")] == [
        "myapp:request__begin", "myapp:request__begin", "myapp:request__end",
        "myapp:request__end"]
    assert [p for p, _ in replay_probes(demo, "-P", "go:*", "-P", "myapp:tick")] == [
        "myapp:tick", "go:main.handler", "go:main.handler:return"]
    assert [p for p, _ in replay_probes(demo, "--pid", "200")] == [
        "go:main.handler", "go:main.handler:return"]
    assert replay_probes(demo, "--pid", "999") == []
    # the window is relative to the first event: [2 ms, 0.009010 s]
    assert [ts for _, ts in replay_probes(demo, "--from", "2ms", "--to", "0.009010")] == [
        1002010000, 1003010000, 1008010000, 1009010000]
    assert [ts for _, ts in replay_probes(demo, "--from", "11ms")] == [1011010000, 1011510000]


def paced_arrivals(path, *args):
    """Run a paced replay; return (exit code, stderr, [(seconds since start, line)])."""
    start = time.monotonic()
    p = subprocess.Popen([TRACETAPE, "replay", *args, path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        arrivals = [(time.monotonic() - start, line) for line in p.stdout]
        _, err = p.communicate(timeout=30)
    finally:
        p.kill()
        p.wait()
    return p.returncode, err, arrivals


def test_replay_speed_paces_and_caps_pauses(tmp):
    path = tmp / "slow.tape"
    mktape("probe 0 p n\nevent 0 0 1 1 0\nevent 200ms 0 1 1 0\nevent 100s 0 1 1 0\n", path)
    code, err, arrivals = paced_arrivals(path, "--speed", "1")
    assert code == 0, err
    assert len(arrivals) == 3
    # each event shows at its paced time, not before: 0.2 s as recorded, then a 100 s pause
    # shortened to 1 s
    t = [a for a, _ in arrivals]
    assert 0.15 < t[1] - t[0] < 5 and 0.9 < t[2] - t[1] < 10


def test_replay_speed_survives_a_huge_gap(tmp):
    # (2^63 ns) / 0.1 does not fit in 64 bits: still a pause shortened to 1 s
    path = tmp / "gap.tape"
    mktape("probe 0 p n\nevent 0 0 1 1 0\nevent 9223372036854775808 0 1 1 0\n", path)
    code, err, arrivals = paced_arrivals(path, "--speed", "0.1")
    assert code == 0, err
    assert len(arrivals) == 2
    assert 0.9 < arrivals[1][0] - arrivals[0][0] < 10


def test_info_clean(demo):
    r = tt("info", demo)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "integrity:   closed cleanly\n" in out
    assert "format:      1.1\n" in out
    assert "start:       2023-11-14T22:13:20.000000000Z\n" in out
    assert "end:         2023-11-14T22:13:20.011510000Z\n" in out
    assert "duration:    0.011510000 s\n" in out
    assert "events:      9\n" in out
    assert "lost:        5 events in 2 loss records\n" in out
    assert "  host                 test host\n" in out
    assert ("      4  myapp:tick                                          1          2 "
            " f64 load, ptr where, any64 arg2, u8 arg3\n") in out
    assert "      0            5          3\n      1            4          2\n" in out
    assert "      100       1  myapp            myapp --port 80\n" in out

    r = tt("info", "--json", demo)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["closed_cleanly"] is True and info["truncated"] is False
    assert info["damaged"] == 0 and info["damage"] == []
    assert info["events"] == 9 and info["lost"] == 5 and info["loss_records"] == 2
    assert info["trailer"] == {"events": 9, "lost": 5}
    assert info["duration_ns"] == 11510000
    assert info["start_wall"] == "2023-11-14T22:13:20.000000000Z"
    assert info["meta"] == {"host": "test host", "tracetape.version": "0.1.0"}
    assert info["file_bytes"] == os.path.getsize(demo)
    probes = {p["id"]: p for p in info["probes"]}
    assert probes[0]["provider"] == "myapp" and probes[0]["name"] == "request__begin"
    assert probes[0]["args"] == [{"name": "id", "kind": "u64"}, {"name": "url", "kind": "str"}]
    assert probes[0]["events"] == 2 and probes[4]["lost"] == 2
    assert probes[5]["type"] == "go_entry"
    assert info["cpus"] == [{"cpu": 0, "events": 5, "lost": 3}, {"cpu": 1, "events": 4, "lost": 2}]
    assert [p["pid"] for p in info["processes"]] == [100, 200]


HOSTILE = r"""
meta "k\x1bey" "v\x1b]0;title\x07al\nue"
probe 0 "ev\x1bil" "na\xc2\x9bme" u32:n str:s
process 300 1 "co\x1bmm" /bin/x "a\nb"
probe 1 app q__start str:query
probe 2 app q__done
event 1000 0 300 301 0 5 "x\x1b[2Jy"
event 2000 0 300 301 1 "SELECT 1\nFROM \x1b[2Jt"
event 3000 0 300 301 2
"""


def test_control_characters_are_escaped(tmp):
    tape = tmp / "hostile.tape"
    mktape(HOSTILE, tape)
    info = tt("info", tape)
    assert info.returncode == 0, info.stderr
    replay = tt("replay", tape)
    assert replay.returncode == 0, replay.stderr
    for out in (info.stdout, replay.stdout):
        assert not any(c in out for c in "\x1b\x07\x9b"), out
    assert "  k\\x1bey" in info.stdout
    assert "v\\x1b]0;title\\x07al\\nue\n" in info.stdout
    assert "ev\\x1bil:na\\xc2\\x9bme" in info.stdout
    assert "co\\x1bmm" in info.stdout and "a\\nb\n" in info.stdout
    assert replay.stdout.count("\n") == 3
    assert 'ev\\x1bil:na\\xc2\\x9bme n=5 s="x\\x1b[2Jy"' in replay.stdout
    report = tt("report", "--by", "query", tape)
    assert report.returncode == 0, report.stderr
    assert "\x1b" not in report.stdout
    # a statement is grouped by its normalized text, shown with an example as recorded
    assert "app:q query=SELECT $1 FROM \\x1b[$2Jt " in report.stdout
    assert "\n    e.g. SELECT 1\\nFROM \\x1b[2Jt" in report.stdout
    sql = "SELECT cmdline FROM processes"
    q = tt("query", tape, sql)
    assert q.returncode == 0, q.stderr
    assert q.stdout == "cmdline\n-------\na\\nb\n"
    q = tt("query", "--format", "csv", tape, sql)
    assert q.stdout == 'cmdline\n"a\nb"\n'
    # JSON keeps the exact strings
    meta = json.loads(tt("info", "--json", tape).stdout)["meta"]
    assert meta == {"k\x1bey": "v\x1b]0;title\x07al\nue"}


MANY = "probe 0 p n u64:i str:s\n" + "".join(
    f'event {1000 + i * 1000} {i % 2} 1 {1 + i % 2} 0 {i} "s{i % 5}"\n' for i in range(100))


def test_truncated_tape(tmp):
    path = tmp / "cut.tape"
    blocks = blocks_of(MANY, path, "--block-events", "10")
    events = [b for b in blocks if b[2] == "events"]
    assert len(events) == 10
    cut_block = events[6]
    cut = cut_block[0] + 30  # inside the 7th event block
    mktape(MANY, path, "--block-events", "10", "--cut", str(cut))
    r = tt("info", "--json", path)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["truncated"] is True and info["truncated_at"] == cut_block[0]
    assert info["closed_cleanly"] is False and info["events"] == 60
    r = tt("info", path)
    assert (f"integrity:   not closed: cut short, truncated at offset {cut_block[0]} "
            f"(30 bytes of an incomplete block)\n") in r.stdout

    r = tt("replay", "--format", "json", path)
    assert r.returncode == 0
    assert [json.loads(line)["args"]["i"] for line in r.stdout.splitlines()] == list(range(60))
    assert r.stderr == (f"tracetape replay: warning: the tape ends inside a block at offset "
                        f"{cut_block[0]}: it was not closed (the recorder stopped abruptly, or is "
                        f"still writing); 30 bytes at the end were not read\n")


def test_unclosed_tape(tmp):
    path = tmp / "crash.tape"
    mktape(MANY, path, "--block-events", "10", "--no-trailer")
    r = tt("info", path)
    assert r.returncode == 0, r.stderr
    assert ("integrity:   not closed: no trailer (the recorder stopped abruptly, or is still "
            "writing)\n") in r.stdout
    r = tt("replay", path)
    assert r.returncode == 0 and r.stderr == ""
    assert len(r.stdout.splitlines()) == 100


def test_damaged_tape(tmp):
    path = tmp / "damaged.tape"
    blocks = blocks_of(MANY, path, "--block-events", "10")
    events = [b for b in blocks if b[2] == "events"]
    bad = events[3]
    data = bytearray(path.read_bytes())
    data[bad[0] + 60] ^= 0x10  # a payload byte of the 4th event block
    path.write_bytes(bytes(data))
    size = len(data)

    r = tt("replay", "--format", "json", path)
    assert r.returncode == 1
    assert [json.loads(line)["args"]["i"] for line in r.stdout.splitlines()] == list(range(30))
    assert r.stderr == (f"tracetape replay: warning: stopped at a damaged block at offset "
                        f"{bad[0]} (checksum mismatch): the remaining {size - bad[0]} bytes were "
                        f"not read (--skip-damaged reads past damage)\n")

    r = tt("replay", "--format", "json", "--skip-damaged", path)
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["args"]["i"] for line in r.stdout.splitlines()] == (
        list(range(30)) + list(range(40, 100)))
    assert r.stderr == (f"tracetape replay: warning: skipped 1 damaged stretch: {bad[1] - bad[0]} "
                        f"bytes, 1 block lost; the first at offset {bad[0]} (checksum mismatch)\n")

    r = tt("info", "--json", path)
    assert r.returncode == 1
    info = json.loads(r.stdout)
    assert info["damaged"] == 1 and info["events"] == 90
    assert info["damage"] == [{"offset": bad[0], "bytes": bad[1] - bad[0],
                               "error": "checksum mismatch", "block_type": 16}]
    assert "is damaged: 1 stretch" in r.stderr

    # a damaged block header: the reader finds the next block by its magic
    data = bytearray(path.read_bytes())
    data[bad[0] + 60] ^= 0x10
    data[bad[0] + 9] ^= 0x01  # stored_sz: the header checksum fails
    path.write_bytes(bytes(data))
    r = tt("replay", "--format", "json", "--skip-damaged", path)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 90
    r = tt("info", path)
    assert r.returncode == 1
    assert (f"  damage:    offset {bad[0]}, {bad[1] - bad[0]} bytes: checksum mismatch "
            f"(block header unreadable)\n") in r.stdout


def test_many_events_out_of_order(tmp):
    rnd = random.Random(4)
    events = []
    ts = 10**12
    seq = [0, 0, 0, 0]
    for i in range(20000):
        ts += rnd.randrange(0, 3000)
        cpu = rnd.randrange(4)
        events.append((ts, cpu, seq[cpu], i))
        seq[cpu] += 1
    # delivery order: some events up to 300 us late, so late ones land in later blocks
    delivered = sorted(events, key=lambda e: e[0] + (rnd.randrange(300000) if rnd.random() < 0.05
                                                     else 0))
    text = "probe 0 p n u64:i\n" + "".join(
        f"event {t} {c} 7 {8 + c} 0 seq={s} {i}\n" for t, c, s, i in delivered)
    path = tmp / "many.tape"
    mktape(text, path, "--block-events", "500", timeout=120)
    r = tt("replay", "--format", "json", path, timeout=120)
    assert r.returncode == 0, r.stderr
    got = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(e["ts"], e["cpu"], e["seq"], e["args"]["i"]) for e in got] == sorted(events)


LATE = """
probe 0 p n u64:i
event 1s 0 1 1 0 1
event 1.1s 0 1 1 0 2
flush
event 0.5s 1 1 2 0 3
"""


def test_event_later_than_the_window(tmp):
    path = tmp / "late.tape"
    mktape(LATE, path)
    r = tt("replay", "--window", "1ms", path)
    assert r.returncode == 0, r.stderr
    assert [line.split()[0] for line in r.stdout.splitlines()] == [
        "0.000000", "-0.500000", "0.100000"]
    assert "1 events came out of order" in r.stderr
    r = tt("replay", "--window", "1ms", "--to", "50ms", path)
    assert [line.split()[-1] for line in r.stdout.splitlines()] == ["i=1", "i=3"]
    r = tt("replay", "--window", "1ms", "--from", "50ms", path)
    assert [line.split()[-1] for line in r.stdout.splitlines()] == ["i=2"]
    # the Chrome trace is made from the loaded capture: in time order, the capture's clock
    r = tt("replay", "--window", "1ms", "--format", "chrome", path)
    assert r.returncode == 0, r.stderr
    ts = [e["ts"] for e in json.loads(r.stdout)["traceEvents"] if e.get("ph") == "i"]
    assert ts == [500000, 1000000, 1100000]


def test_disk_full_is_reported(tmp):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    mnt = tmp / "small"
    mnt.mkdir()
    r = run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt])
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        text = "probe 0 p n str:s\n" + "".join(
            f'event {i * 1000} 0 1 1 0 "{os.urandom(40).hex()}"\n' for i in range(4000))
        r = run([MKTAPE, "-o", mnt / "full.tape", "--block-events", "100", "-"], input=text)
        assert r.returncode == 1
        assert "No space left on device" in r.stderr
        r = tt("info", "--json", mnt / "full.tape")
        assert r.returncode == 0, r.stderr
        info = json.loads(r.stdout)
        assert info["closed_cleanly"] is False and info["events"] > 0
        assert os.stat(mnt / "full.tape").st_mode & 0o777 == 0o600
    finally:
        run(["umount", mnt])


def test_errors_and_usage(tmp):
    junk = tmp / "junk"
    junk.write_bytes(b"definitely not a tape, but long enough to look like one...")
    r = tt("replay", junk)
    assert r.returncode == 1
    assert r.stderr == f"tracetape replay: error: cannot read {junk}: not a tracetape tape\n"
    r = tt("info", tmp / "missing.tape")
    assert r.returncode == 1
    assert "No such file or directory" in r.stderr
    for args, msg in [(["replay"], "which TAPE?"),
                      (["replay", "--format", "xml", "x"], "--format 'xml': expected text, json or chrome"),
                      (["replay", "--from", "soon", "x"], "--from takes seconds"),
                      (["replay", "--from", "-1s", "x"], "--from takes seconds"),
                      (["replay", "--to", "1e3", "x"], "--to takes seconds"),
                      (["replay", "--window", "0.5", "--from", "9223372037", "x"], "--from takes seconds"),
                      (["replay", "--speed", "0", "x"], "--speed takes a positive factor"),
                      (["replay", "--pid", "x1", "x"], "--pid takes a process id"),
                      (["info", "a", "b"], "one TAPE only")]:
        r = tt(*args)
        assert r.returncode == 2, args
        assert msg in r.stderr, (args, r.stderr)
