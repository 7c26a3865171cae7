# SPDX-License-Identifier: MIT
"""Test plan: kernel tracepoints recorded with real BPF, and where span time went (issue #8).

k-1  `record --sched --syscalls usdt:kfix:* -- kernel_fixture`: per span, `report --raw` puts
     the busy loop's time in running (within 2 ms + 2 % of the CPU time the fixture measured
     itself with CLOCK_THREAD_CPUTIME_ID), the nanosleep's in sleeping (within 1 ms of the
     100 ms asked for, never more than the wall time the fixture measured around the call,
     which is the sleep plus the runnable wait after it within 1 ms), and counts the syscalls
     exactly (write N, getpid M, one clock_nanosleep, nothing else in the calls span); the
     id-keyed span handed to another thread is shown on both threads (the one that began it
     sleeps, the one that ended it runs); the per-name section sums the same numbers.
k-2  the tables themselves: a thread's thread_states rows are back to back (each ends where the
     next begins), every state is one of the four, the syscalls inside each span counted by
     SQL match the fixture, execve pairs, exit_group has no exit.
k-3  `record tracepoint:sched:sched_process_exec -- sh -c 'ls >/dev/null'`: the tp_ table
     decodes the __data_loc `filename` of both execs (sh as the recorder resolved it, ls as sh
     found it in PATH).
k-4  system-wide sched:sched_switch under load (ping-pong pairs and a spinner started here, a
     4 KiB ring, -d 2s): events in the tape + losses = the recorder's BPF count (meta
     probe_fired), exactly, from `info --json` and from the database; losses did happen.
k-5  only --syscalls: the report says thread states were not recorded, and still counts.
k-6  the HTML report draws a state bar per span name and per slow span's thread.
"""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import build_c, db_rows, need_bpf, tt

ROUNDS, BUSY_MS, NAP_MS, WRITES, GETPIDS, HANDOFF_MS = 3, 50, 100, 40, 25, 20
MS = 1_000_000
# Tolerances below that are wall-clock overheads (a syscall's entry and exit, a wakeup) are
# multiplied by this: a guest under qemu's software emulation is tens of times slower
# (tests/vm sets it). The exact identities (states summing to the span, no unknown time)
# are never relaxed.
SLACK = float(os.environ.get("TT_TIME_SLACK", "1"))


@pytest.fixture(scope="module")
def kfix(tmp_path_factory):
    d = tmp_path_factory.mktemp("kfix")
    return build_c("kernel_fixture.c", d / "kernel_fixture")


@pytest.fixture(scope="module")
def capture(kfix, tmp_path_factory):
    """One recording of the fixture with --sched --syscalls: (fixture rounds, tape, db)."""
    need_bpf()
    d = tmp_path_factory.mktemp("kcap")
    tape, db = d / "k.tape", d / "k.db"
    r = tt("record", "-o", tape, "--sched", "--syscalls", "usdt:kfix:*", "--", kfix,
           "--rounds", ROUNDS, "--busy-ms", BUSY_MS, "--nap-ms", NAP_MS, "--writes", WRITES,
           "--getpids", GETPIDS, "--handoff-ms", HANDOFF_MS, timeout=120)
    assert r.returncode == 0, r.stderr
    m = re.search(r"recorded (\d+) events \((\d+) lost\)", r.stderr)
    assert m, r.stderr
    # No event of a known probe may be lost. The kernel skips a tracepoint program that fires
    # while another BPF program runs on the CPU (a wakeup from a timer interrupt, say); such
    # hits are counted and reported as losses of an unknown probe, and the analyzer repairs the
    # scheduler states around them, so they may occur without spoiling the checks below.
    missed = re.search(r"lost (\d+) hits the kernel ran no BPF program for", r.stderr)
    assert int(m.group(2)) == (int(missed.group(1)) if missed else 0), r.stderr
    rounds = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["round"] for x in rounds] == list(range(ROUNDS))
    r = tt("load", "-o", db, tape, timeout=120)
    assert r.returncode == 0, r.stderr
    return rounds, tape, db


def parse_breakdown(lines, i):
    """The states and syscalls lines at lines[i:]: (dict, index after them)."""
    states = {k: int(v) for k, v in re.findall(r"(\w+) (\d+) \(", lines[i])}
    m = re.match(r"\s+syscalls (\d+) calls?, (\d+) \([\d.]+%\)(?:: (.*))?$", lines[i + 1])
    assert m, lines[i + 1]
    calls = {n: (int(c), int(t)) for n, c, t in re.findall(r"(\S+) (\d+) calls? (\d+) \(", m.group(3) or "")}
    return dict(states=states, sys_count=int(m.group(1)), sys_ns=int(m.group(2)), calls=calls), i + 2


def slowest(text):
    """{span id: {"dur", "name", "threads": {tid: (role, breakdown)}}} of `report --raw`."""
    lines = text.split("\nSlowest spans\n")[1].split("\n\n")[0].splitlines()
    spans, cur, i = {}, None, 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^\s+(\d+)\s+(\S+)\s+span (\d+)\s", line)
        t = re.match(r"^    thread (\d+)(?: \((began|ended) it\))?:$", line)
        if m:
            cur = spans[int(m.group(3))] = dict(dur=int(m.group(1)), name=m.group(2), threads={})
            i += 1
        elif t:
            b, i = parse_breakdown(lines, i + 1)
            cur["threads"][int(t.group(1))] = (t.group(2), b)
        else:
            i += 1
    return spans


def per_name(text):
    """{name: (spans, total_ns, breakdown)} of the 'Where the time went' section."""
    sec = text.split("\nWhere the time went")[1].split("\n\n")[0].splitlines()[1:]
    out, i = {}, 0
    while i < len(sec):
        m = re.match(r"^  (\S+): (\d+) spans.*, (\d+) of thread time$", sec[i])
        assert m, sec[i]
        b, i = parse_breakdown(sec, i + 1)
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)), b)
    return out


def spans_of(db, name):
    return db_rows(db, "SELECT id, tid, end_tid, start_ts, end_ts, dur FROM spans WHERE name = ? "
                       "ORDER BY start_ts", (name,))


@pytest.mark.kernels
def test_breakdown_per_span(capture):
    rounds, _, db = capture
    r = tt("report", "--raw", "--top", "100", db)
    assert r.returncode == 0, r.stderr
    slow = slowest(r.stdout)
    by_name = {n: spans_of(db, n) for n in ("work", "busy", "nap", "calls", "handoff")}
    assert all(len(v) == ROUNDS for v in by_name.values())
    for rd in rounds:
        k, tid = rd["round"], rd["tid"]
        for name, (sid, s_tid, end_tid, _, _, dur) in ((n, by_name[n][k]) for n in by_name):
            s = slow[sid]
            assert s["dur"] == dur and s["name"] == "kfix:" + name
            for _, b in s["threads"].values():
                assert sum(b["states"].values()) == dur, (name, b)
                assert b["states"]["unknown"] == 0, (name, b)
        # the busy loop: running, within 2 ms + 2 % of the CPU time the fixture measured
        sid, _, _, _, _, dur = by_name["busy"][k]
        role, b = slow[sid]["threads"][tid]
        assert role is None and list(slow[sid]["threads"]) == [tid]
        st = b["states"]
        assert abs(st["running"] - rd["busy_cpu_ns"]) <= 2 * MS * SLACK + rd["busy_cpu_ns"] // 50, (rd, st)
        assert st["sleeping"] + st["blocked"] < 1 * MS * SLACK, st
        assert set(b["calls"]) <= {"clock_gettime"}  # the thread CPU clock is a syscall
        # the nap: sleeping at least the 100 ms asked for (a timer fires late, never early: very
        # late in an emulated guest), never more than the wall time the fixture measured around
        # nanosleep; that wall time is the sleep plus the wait for a CPU after the wakeup
        # (runnable), give or take 1 ms of running
        sid, _, _, _, _, dur = by_name["nap"][k]
        _, b = slow[sid]["threads"][tid]
        st = b["states"]
        assert st["sleeping"] >= NAP_MS * MS - 1 * MS, (rd, st)  # never less than asked
        assert st["sleeping"] <= rd["nap_ns"], (rd, st)
        assert abs(rd["nap_ns"] - st["sleeping"] - st["runnable"]) <= 1 * MS * SLACK, (rd, st)
        assert st["blocked"] == 0 and st["running"] < 1 * MS * SLACK, st
        # one nanosleep; clock_gettime too where the vDSO cannot read the clock (a guest whose
        # clocksource is not the TSC makes it a syscall)
        assert b["calls"]["clock_nanosleep"][0] == 1 and set(b["calls"]) <= {
            "clock_nanosleep", "clock_gettime"}, b
        assert b["sys_count"] == sum(n for n, _ in b["calls"].values()), b
        assert b["calls"]["clock_nanosleep"][0] == 1
        assert NAP_MS * MS <= b["calls"]["clock_nanosleep"][1] <= dur
        # the calls: exactly N writes and M getpids, nothing else
        sid = by_name["calls"][k][0]
        _, b = slow[sid]["threads"][tid]
        assert {n: c for n, (c, _) in b["calls"].items()} == {"write": WRITES, "getpid": GETPIDS}
        assert b["sys_count"] == WRITES + GETPIDS
        assert b["states"]["sleeping"] == b["states"]["blocked"] == 0
        # the whole round
        sid = by_name["work"][k][0]
        _, b = slow[sid]["threads"][tid]
        counts = {n: c for n, (c, _) in b["calls"].items()}
        gettimes = sum(slow[by_name[n][k][0]]["threads"][tid][1]["calls"].get(
            "clock_gettime", (0, 0))[0] for n in ("busy", "nap"))
        assert counts == {"write": WRITES, "getpid": GETPIDS, "clock_nanosleep": 1,
                          "clock_gettime": gettimes}
        assert b["states"]["sleeping"] >= NAP_MS * MS - 1 * MS * SLACK
        assert b["states"]["running"] >= rd["busy_cpu_ns"] - 2 * MS * SLACK
        # the handoff: begun here, ended by the helper: both threads, over the whole window
        sid, s_tid, end_tid, _, _, dur = by_name["handoff"][k]
        assert (s_tid, end_tid) == (tid, rd["helper_tid"])
        th = slow[sid]["threads"]
        assert set(th) == {tid, rd["helper_tid"]}
        role, b = th[tid]
        assert role == "began" and b["states"]["sleeping"] >= dur - 2 * MS * SLACK, b
        assert "futex" in b["calls"]
        role, b = th[rd["helper_tid"]]
        assert role == "ended"
        assert abs(b["states"]["running"] - rd["helper_cpu_ns"]) <= 2 * MS * SLACK + rd["helper_cpu_ns"] // 50, (rd, b)

    # the per-name section sums the spans' own breakdowns
    names = per_name(r.stdout)
    calls = names["kfix:calls"]
    assert calls[0] == ROUNDS
    assert {n: c for n, (c, _) in calls[2]["calls"].items()} == {"write": ROUNDS * WRITES,
                                                                 "getpid": ROUNDS * GETPIDS}
    for name in ("busy", "nap", "calls", "work"):
        spans, total, b = names["kfix:" + name]
        assert total == sum(s[5] for s in by_name[name])
        mine = [slow[s[0]]["threads"][s[1]][1] for s in by_name[name]]
        for state in ("running", "runnable", "sleeping", "blocked", "unknown"):
            assert b["states"][state] == sum(m["states"][state] for m in mine)
        assert b["sys_count"] == sum(m["sys_count"] for m in mine)
    spans, total, b = names["kfix:handoff"]
    assert total == 2 * sum(s[5] for s in by_name["handoff"])  # both threads counted
    assert "(3 ended on another thread: both threads counted)" in r.stdout


@pytest.mark.kernels
def test_tables(capture):
    rounds, _, db = capture
    tid = rounds[0]["tid"]
    assert db_rows(db, "SELECT DISTINCT state FROM thread_states WHERE state NOT IN "
                       "('running', 'runnable', 'sleeping', 'blocked')") == []
    for t in [tid] + [r["helper_tid"] for r in rounds]:
        rows = db_rows(db, "SELECT start_ts, end_ts, dur, pid FROM thread_states WHERE tid = ? "
                           "ORDER BY start_ts", (t,))
        assert len(rows) >= 2
        for a, b in zip(rows, rows[1:]):
            assert a[1] == b[0], (t, a, b)   # back to back
            assert a[2] == a[1] - a[0] > 0
        assert {r[3] for r in rows} == {tid}  # every row knows its process
    # syscalls inside the calls spans, by SQL
    got = db_rows(db, "SELECT sp.id, c.name, count(*) FROM spans sp JOIN syscalls c ON c.tid = sp.tid "
                      "AND c.start_ts >= sp.start_ts AND c.end_ts <= sp.end_ts WHERE sp.name = 'calls' "
                      "GROUP BY sp.id, c.name ORDER BY sp.id, c.name")
    ids = [s[0] for s in spans_of(db, "calls")]
    assert got == [x for i in ids for x in ((i, "getpid", GETPIDS), (i, "write", WRITES))]
    # the write calls: fd of /dev/null, one byte, returned 1
    w = db_rows(db, "SELECT DISTINCT arg2, ret, nr FROM syscalls c JOIN spans sp ON c.tid = sp.tid AND "
                    "c.start_ts >= sp.start_ts AND c.end_ts <= sp.end_ts WHERE sp.name = 'calls' "
                    "AND c.name = 'write'")
    assert w == [(1, 1, 1)]
    # getpid returns the process id
    assert db_rows(db, "SELECT DISTINCT ret FROM syscalls WHERE name = 'getpid'") == [(tid,)]
    # execve of the fixture pairs (its exit comes from the new image); exit_group never returns
    ex = db_rows(db, "SELECT ret, start_ts IS NOT NULL, end_ts IS NOT NULL FROM syscalls "
                     "WHERE name = 'execve' AND tid = ?", (tid,))
    assert ex == [(0, 1, 1)]
    eg = db_rows(db, "SELECT start_ts IS NOT NULL, end_ts, ret FROM syscalls WHERE name = 'exit_group'")
    assert eg == [(1, None, None)]
    # the scheduler tables the states come from are there too
    n = db_rows(db, "SELECT count(*) FROM tp_sched_sched_switch WHERE prev_pid = ? OR next_pid = ?",
                (tid, tid))
    assert n[0][0] > 0


def test_exec_filename(tmp_path):
    need_bpf()
    tape = tmp_path / "e.tape"
    r = tt("record", "-o", tape, "tracepoint:sched:sched_process_exec", "--", "sh", "-c",
           "ls >/dev/null", timeout=60)
    assert r.returncode == 0, r.stderr
    db = tmp_path / "e.db"
    r = tt("load", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    rows = db_rows(db, "SELECT filename, pid_arg, old_pid, pid FROM tp_sched_sched_process_exec "
                       "ORDER BY ts")
    # sh: the recorder runs the command's real path; ls: found by sh through PATH
    sh = os.path.realpath(shutil.which("sh"))
    ls = shutil.which("ls", path=os.environ.get("PATH", os.defpath))
    assert [x[0] for x in rows] == [sh, ls], rows
    assert all(x[1] == x[2] == x[3] for x in rows)


@pytest.mark.kernels
def test_system_wide_losses_exact(kfix, tmp_path):
    need_bpf()
    load = [subprocess.Popen([str(kfix), "--pingpong", "6"], stdout=subprocess.DEVNULL)
            for _ in range(2)]
    load.append(subprocess.Popen([str(kfix), "--spin", "6"]))
    try:
        time.sleep(0.5)
        tape = tmp_path / "sw.tape"
        r = tt("record", "-o", tape, "-d", "2s", "--buffer-size", "4K",
               "tracepoint:sched:sched_switch", timeout=60)
        assert r.returncode == 0, r.stderr
        summary = r.stderr
    finally:
        for p in load:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=30)
    r = tt("info", "--json", tape)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    (probe,) = [p for p in info["probes"] if p["name"] == "sched_switch"]
    fired = dict(x.split("=") for x in info["meta"]["probe_fired"].split())
    assert probe["lost"] > 0, "the ring never overflowed: the test did not test losses"
    assert probe["events"] + probe["lost"] == int(fired[str(probe["id"])])
    assert f"lost {probe['lost']} of {fired[str(probe['id'])]} events of sched:sched_switch" in summary
    # the same from the database
    db = tmp_path / "sw.db"
    r = tt("load", "-o", db, tape, timeout=300)
    assert r.returncode == 0, r.stderr
    (pid, tp_probe, events), = db_rows(db, "SELECT id, tape_probe_id, events FROM probes "
                                          "WHERE name = 'sched_switch'")
    lost = db_rows(db, "SELECT sum(count) FROM losses WHERE probe_id = ?", (pid,))[0][0]
    fired_meta = db_rows(db, "SELECT value FROM meta WHERE tape = 1 AND key = 'probe_fired'")[0][0]
    fired_db = int(dict(x.split("=") for x in fired_meta.split())[str(tp_probe)])
    rows = db_rows(db, "SELECT count(*) FROM tp_sched_sched_switch")[0][0]
    assert rows == events == probe["events"]
    assert rows + lost == fired_db
    # the loaded states cover the load's threads
    assert db_rows(db, "SELECT count(*) > 0 FROM thread_states WHERE state = 'running'") == [(1,)]


@pytest.mark.kernels
def test_syscalls_only(kfix, tmp_path):
    need_bpf()
    tape = tmp_path / "s.tape"
    r = tt("record", "-o", tape, "--syscalls", "usdt:kfix:calls__*", "--", kfix, "--rounds", "1",
           "--busy-ms", "1", "--nap-ms", "1", "--handoff-ms", "1", timeout=60)
    assert r.returncode == 0, r.stderr
    r = tt("report", "--raw", tape)
    assert r.returncode == 0, r.stderr
    assert "Where the time went (thread states: not recorded, see record --sched; syscalls: " \
           "raw_syscalls)" in r.stdout
    sec = r.stdout.split("\nWhere the time went")[1].split("\n\n")[0].splitlines()
    assert sec[1].startswith("  kfix:calls: 1 spans, ")
    m = re.match(r"\s+syscalls (\d+) calls, \d+ \([\d.]+%\): (.*)$", sec[2])
    assert m and int(m.group(1)) == WRITES + GETPIDS, sec
    assert {n: int(c) for n, c in re.findall(r"(\w+) (\d+) calls", m.group(2))} == {
        "write": WRITES, "getpid": GETPIDS}
    assert len(sec) == 3  # no states line


def test_html_kernel_section(capture, tmp_path):
    _, _, db = capture
    html = tmp_path / "k.html"
    r = tt("report", "--html", html, db)
    assert r.returncode == 0, r.stderr
    page = html.read_text()
    assert "<h2>Where the time went</h2>" in page
    # one bar per span name (5), one per slow span's thread (10 spans, handoffs on 2 threads)
    n_handoff_slow = page.count("(began it): ")
    assert page.count('<svg class="kbar"') == 5 + 10 + n_handoff_slow
    assert "<script" not in page
