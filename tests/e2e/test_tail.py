# SPDX-License-Identifier: MIT
"""Test plan: tail capture, `record --keep`.

tail-1  a service that knows its slow requests (tests/fixtures/tail_fixture.c logs them itself):
        `record --keep 'tailsvc:request > 20ms' --syscalls` keeps exactly those requests'
        spans (a request the service could not tell, "borderline" because its probes' traps
        took it over the threshold on a loaded or emulated machine, may go either way), each
        with its three tailsvc:query events and nothing of the others: no tick
        (outside every window), no begin or end of a dropped request; every syscall kept lies
        in a kept window on one of its threads, and each request made slow has its sleep; the
        tape's counters (keep_spans) and the summary say 100 seen, the service's count kept,
        the rest dropped; per probe events + lost + keep_dropped = fired; report shows the
        totals and the all-spans percentiles beside the kept ones.
tail-2  a --keep-buffer too small for one request: events leave the buffer before their span
        ends, counted as losses of their probes (never silent): events + lost + keep_dropped =
        fired per probe, the summary says how many; the span counters stay exact.
tail-3  usage errors: a --keep without a duration or with one without a unit, --keep-buffer
        without --keep or out of range: exit 2 naming the option.
tail-4  the counters from a tape alone (tt-mktape): keep_spans and keep_hist rows, report's
        all-spans percentiles within 1.6 %; a line of a later version is skipped, a malformed
        one is a load warning; a tape without them has no rows and no report section.
tail-5  a Go service with generated probes (tests/fixtures/go/tail) whose requests begin on one
        goroutine and end on another, goroutines that change threads as they sleep, and a
        noise goroutine firing all along: exactly the logged slow requests are kept, each with
        its begin, end and three queries whatever threads and goroutines fired them (in some, a
        goroutine fired on a thread that neither began nor ended the request: the test says
        so when none did), no tick or noise event; the counters say the service's count.
tail-6  --sched: a kept request has the scheduler's events about its threads that others
        recorded: the slept request's worker is woken (sched_wakeup, recorded by whatever ran
        then) and switched in (sched_switch with next_pid its tid) inside the window by
        threads that are not the span's (one of the two per request: the kernel may skip a
        BPF program; both kinds in the capture), and thread_states shows it woken so; every
        scheduler event kept lies in a kept window and is one of its threads' own or about
        one of them.
"""
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, build_c, db_rows, mktape, need_bpf, run, tape_events, tt

GO = Path("/usr/lib/go-1.19/bin/go")

REQUESTS, SLOW_EVERY, SLOW_MS, THRESHOLD_MS = 100, 20, 40, 20


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    return build_c("tail_fixture.c", tmp_path_factory.mktemp("tail") / "tail_fixture")


def run_service(service, tape, *opts):
    r = tt("record", "-o", tape, *opts, "usdt:tailsvc:*", "--", service,
           "--requests", str(REQUESTS), "--slow-every", str(SLOW_EVERY), "--slow-ms",
           str(SLOW_MS), "--threshold-ms", str(THRESHOLD_MS), timeout=600)
    assert r.returncode == 0, r.stderr
    # the command's stdout goes through: its own log of slow requests
    log = r.stdout.splitlines()
    slow = {int(line.split()[1]) for line in log if line.startswith("slow ")}
    border = {int(line.split()[1]) for line in log if line.startswith("borderline ")}
    m = re.search(r"^requests (\d+) slow (\d+) borderline (\d+)$", r.stdout, re.M)
    assert m and int(m.group(1)) == REQUESTS and int(m.group(2)) == len(slow), r.stdout
    assert int(m.group(3)) == len(border), r.stdout
    return r, slow, border


def summary_counts(stderr):
    """The summary's --keep line: seen, kept, dropped, written, left out, lost to the buffer."""
    m = re.search(r"--keep: (\d+) spans seen, (\d+) kept, (\d+) dropped; (\d+) events written, "
                  r"(\d+) left out, (\d+) lost to a full --keep-buffer", stderr)
    assert m, stderr
    return [int(x) for x in m.groups()]


def check_fired(tape):
    """Per probe: events in the tape + lost + left out by --keep = fired. Returns the losses."""
    info = json.loads(tt("info", "--json", tape).stdout)
    fired = dict(map(int, x.split("=")) for x in info["meta"]["probe_fired"].split())
    dropped = dict(map(int, x.split("="))
                   for x in info["meta"].get("keep_dropped", "").split())
    lost = 0
    for p in info["probes"]:
        if p["id"] in fired:
            assert p["events"] + p["lost"] + dropped.get(p["id"], 0) == fired[p["id"]], p
            lost += p["lost"]
    return lost


@pytest.mark.kernels
def test_keep_exactly_the_slow_requests(service, tmp_path):
    need_bpf()
    tape, db = tmp_path / "t.tape", tmp_path / "t.db"
    r, slow, border = run_service(service, tape, "--keep",
                                  f"tailsvc:request > {THRESHOLD_MS}ms", "--syscalls")
    assert slow, "the service logged no slow request"
    seen, kept, dropped, written, left_out, overflow = summary_counts(r.stderr)
    assert overflow == 0
    assert check_fired(tape) == 0
    r = tt("load", "-q", "-o", db, tape, timeout=300)
    assert r.returncode == 0, r.stderr

    spans = db_rows(db, "SELECT key, start_ts, end_ts, tid, end_tid FROM spans "
                        "WHERE provider = 'tailsvc' AND name = 'request' ORDER BY key")
    keys = {s[0] for s in spans}
    # exactly the service's slow requests (a borderline one, which only a loaded or emulated
    # machine makes, may go either way: the service cannot tell; on a quiet host there is none)
    assert slow <= keys <= slow | border, (keys, slow, border)
    assert [seen, kept, dropped] == [REQUESTS, len(keys), REQUESTS - len(keys)]
    assert all(s[2] is not None and s[2] - s[1] > THRESHOLD_MS * 10**6 for s in spans)
    assert all(s[3] != s[4] for s in spans)  # begun on main, ended on a worker
    per_probe = dict(db_rows(db, "SELECT p.name, count(*) FROM events e JOIN probes p "
                                 "ON p.id = e.probe_id WHERE p.provider = 'tailsvc' "
                                 "GROUP BY p.name"))
    assert per_probe == {"request__begin": len(keys), "request__end": len(keys),
                         "query": 3 * len(keys)}
    queries = db_rows(db, "SELECT id, count(*) FROM tailsvc_query GROUP BY id")
    assert sorted(queries) == [(i, 3) for i in sorted(keys)]

    # syscalls: only in kept windows, on the span's threads; each kept request slept
    calls = db_rows(db, "SELECT tid, start_ts, end_ts, name FROM syscalls")
    assert calls
    for tid, start, end, name in calls:
        t = start if start is not None else end
        assert any(t >= s[1] and t <= s[2] and tid in (s[3], s[4]) for s in spans), (tid, t, name)
    # the requests made slow slept in their window (others may be slow too, stalled by the
    # machine: a guest under emulation; the service logged them, so they are kept as well)
    made_slow = set(range(SLOW_EVERY, REQUESTS + 1, SLOW_EVERY))
    assert made_slow <= slow
    for key, start, end, tid, end_tid in spans:
        if key not in made_slow:
            continue
        assert any(c[0] == end_tid and c[3] in ("nanosleep", "clock_nanosleep") and
                   c[1] is not None and start <= c[1] <= end for c in calls), key

    counts = db_rows(db, "SELECT provider, name, seen, kept, dropped, unclosed FROM keep_spans")
    assert counts == [("tailsvc", "request", REQUESTS, len(keys), REQUESTS - len(keys), 0)]
    assert db_rows(db, "SELECT sum(count) FROM keep_hist")[0][0] == REQUESTS

    r = tt("report", db)
    assert r.returncode == 0, r.stderr
    text = r.stdout[r.stdout.index("Tail capture"):]
    assert (f"  tailsvc:request: {REQUESTS} seen, {len(keys)} kept, {REQUESTS - len(keys)} "
            "dropped\n") in text, text
    all_row = re.search(r"\n +all +(\d+) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+)\n", text)
    kept_row = re.search(r"\n +kept +(\d+) ", text)
    assert all_row and int(all_row.group(1)) == REQUESTS, text
    assert kept_row and int(kept_row.group(1)) == len(keys), text
    # p99 of all requests is a slow one's duration: in the tens of milliseconds
    assert all_row.group(4).endswith("ms") and float(all_row.group(4)[:-2]) >= THRESHOLD_MS, text


def test_keep_buffer_overflow_is_counted(service, tmp_path):
    need_bpf()
    tape, db = tmp_path / "o.tape", tmp_path / "o.db"
    r, slow, border = run_service(service, tape, "--keep",
                                  f"tailsvc:request > {THRESHOLD_MS}ms", "--keep-buffer", "1K")
    seen, kept, dropped, written, left_out, overflow = summary_counts(r.stderr)
    assert seen == REQUESTS and len(slow) <= kept <= len(slow | border)
    assert dropped == REQUESTS - kept
    assert overflow > 0, "the buffer never overflowed: the test did not test it"
    assert check_fired(tape) == overflow
    r = tt("load", "-q", "-o", db, tape, timeout=300)
    assert r.returncode == 0, r.stderr
    assert db_rows(db, "SELECT seen, kept, dropped FROM keep_spans") == [(REQUESTS, kept, dropped)]


@pytest.mark.parametrize("args, expect", [
    (["--keep", "svc:request"], "--keep 'svc:request': expected PROVIDER:SPAN > DURATION"),
    (["--keep", "svc:request > 10"], "is not a duration with a unit"),
    (["--keep-buffer", "1M"], "--keep-buffer needs --keep"),
    (["--keep", "a > 1ms", "--keep-buffer", "12"], "--keep-buffer needs a size"),
])
def test_keep_usage_errors(args, expect, tmp_path):
    r = tt("record", "-o", tmp_path / "x.tape", *args, "usdt:x:y", "--", "true")
    assert r.returncode == 2, r.stderr
    assert expect in r.stderr, r.stderr
    assert not (tmp_path / "x.tape").exists()


def hist_line(provider, name, durs, version="v1"):
    """A keep_spans line as tape_keep.c formats it (bucket scheme of tape_keep.h)."""
    def bucket(v):
        if v < 64:
            return v
        e = v.bit_length() - 1
        return 64 + (e - 6) * 32 + ((v >> (e - 5)) - 32)
    hist = {}
    for d in durs:
        hist[bucket(d)] = hist.get(bucket(d), 0) + 1
    cells = ",".join(f"{b}:{c}" for b, c in sorted(hist.items()))
    return f"{version}\t{provider}\t{name}\t{len(durs)}\t2\t{len(durs) - 2}\t0\t{cells}"


def test_counters_from_a_tape(tmp_path):
    durs = [(i + 1) * 10**6 for i in range(1000)]  # 1 ms .. 1000 ms
    value = "\\n".join([hist_line("svc", "request", durs),
                        "v9\tsvc\tfuture\tanything at all",
                        "v1\tsvc\tbroken\t1\t1"])
    desc = f"""
meta keep "svc:request > 995000000ns"
meta keep_spans "{value.replace(chr(9), chr(92) + 't')}"
probe 1 svc request__begin u64
probe 2 svc request__end u64
event 1s 0 10 10 1 999
event +998ms 0 10 11 2 999
event 2s 0 10 10 1 1000
event +999ms 0 10 11 2 1000
"""
    tape, db = tmp_path / "k.tape", tmp_path / "k.db"
    mktape(desc, tape)
    r = tt("load", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    assert "1 keep_spans lines could not be read" in r.stderr, r.stderr
    assert db_rows(db, "SELECT provider, name, seen, kept, dropped FROM keep_spans") == \
        [("svc", "request", 1000, 2, 998)]
    assert db_rows(db, "SELECT sum(count), min(lo_ns) <= 1000000, max(hi_ns) > 1000000000 "
                       "FROM keep_hist") == [(1000, 1, 1)]
    r = tt("report", db)
    assert r.returncode == 0, r.stderr
    text = r.stdout[r.stdout.index("Tail capture"):]
    assert "  svc:request: 1,000 seen, 2 kept, 998 dropped\n" in text or \
        "  svc:request: 1000 seen, 2 kept, 998 dropped\n" in text, text
    row = re.search(r"\n +all +\S+ +(\S+) +(\S+) +(\S+) +(\S+) +(\S+)\n", text)
    assert row, text

    def ms(s):
        return float(s[:-2]) if s.endswith("ms") else float(s[:-1]) * 1000
    for got, want in zip(row.groups(), [500, 900, 990, 999, 1000]):
        assert abs(ms(got) - want) <= want / 64 + 1, (got, want)
    assert re.search(r"\n +kept +2 ", text), text

    plain = tmp_path / "p.tape"
    mktape("probe 1 svc request__begin u64\nevent 1s 0 10 10 1 1\n", plain)
    db2 = tmp_path / "p.db"
    assert tt("load", "-q", "-o", db2, plain).returncode == 0
    assert db_rows(db2, "SELECT count(*) FROM keep_spans") == [(0,)]
    assert "Tail capture" not in tt("report", db2).stdout


@pytest.fixture(scope="module")
def go_service(tmp_path_factory):
    """tests/fixtures/go/tail with its probe package generated, built."""
    if not GO.exists():
        pytest.skip("needs Debian's golang-1.19-go (scripts/deps.sh test installs it)")
    tmp = tmp_path_factory.mktemp("tailgo")
    env = dict(os.environ, HOME=str(tmp), GOCACHE=str(tmp / "cache"), GOPATH=str(tmp / "path"),
               GOFLAGS="-mod=mod", GOTOOLCHAIN="local", CGO_ENABLED="0")
    src = tmp / "src"
    shutil.copytree(FIXTURES / "go" / "tail", src)
    (src / "probes").mkdir()
    r = tt("gen-go", src / "tail.d", "-o", src / "probes" / "probes.go")
    assert r.returncode == 0, r.stderr
    r = run([GO, "build", "-o", tmp / "tail", "."], cwd=src, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    return tmp / "tail"


def test_keep_go_goroutines(go_service, tmp_path):
    need_bpf()
    requests, slow_every = 200, 10
    tape, db = tmp_path / "g.tape", tmp_path / "g.db"
    r = tt("record", "-o", tape, "--keep", f"gotail:request > {THRESHOLD_MS}ms",
           "usdt:gotail:*", "--", go_service, "-requests", str(requests), "-slow-every",
           str(slow_every), "-slow-ms", str(SLOW_MS), "-threshold-ms", str(THRESHOLD_MS),
           timeout=600)
    assert r.returncode == 0, r.stderr
    log = r.stdout.splitlines()
    slow = {int(l.split()[1]): (int(l.split()[2]), int(l.split()[3]))
            for l in log if l.startswith("slow ")}
    border = {int(l.split()[1]) for l in log if l.startswith("borderline ")}
    m = re.search(r"^requests (\d+) slow (\d+) borderline (\d+) noise (\d+) migrated (\d+)$",
                  r.stdout, re.M)
    assert m and int(m.group(1)) == requests and int(m.group(2)) == len(slow), r.stdout
    assert set(range(slow_every, requests + 1, slow_every)) <= set(slow), r.stdout
    assert int(m.group(4)) > 0, r.stdout  # the noise goroutine fired meanwhile
    seen, kept, dropped, written, left_out, overflow = summary_counts(r.stderr)
    assert overflow == 0 and check_fired(tape) == 0

    by_id = {}
    for e in tape_events(tape):
        assert e["probe"] in ("gotail:request__begin", "gotail:request__end", "gotail:query"), e
        by_id.setdefault(e["args"]["id"], []).append(e)
    # exactly the service's slow requests (borderline ones either way: see test 1)
    assert set(slow) <= set(by_id) <= set(slow) | border, (sorted(by_id), sorted(slow), border)
    assert [seen, kept, dropped] == [requests, len(by_id), requests - len(by_id)]
    assert written == 5 * len(by_id)
    third = 0
    for i, events in by_id.items():
        got = [(e["probe"].split(":")[1], e["args"].get("step")) for e in events]
        assert got == [("request__begin", None), ("query", 0), ("query", 1), ("query", 2),
                       ("request__end", None)], (i, got)
        begin, end = events[0], events[-1]
        # begun by the handler goroutine, the rest by the worker: the goroutines it logged
        assert [e["goid"] for e in events] == [begin["goid"]] * 2 + [end["goid"]] * 3, events
        assert begin["goid"] != end["goid"]
        if i in slow:
            assert (begin["goid"], end["goid"]) == slow[i], (i, events)
        third += any(e["tid"] not in (begin["tid"], end["tid"]) for e in events)
    assert third, "no kept request had an event on a third thread: the test did not test it"

    r = tt("load", "-q", "-o", db, tape, timeout=300)
    assert r.returncode == 0, r.stderr
    assert db_rows(db, "SELECT provider, name, seen, kept, dropped, unclosed FROM keep_spans") == \
        [("gotail", "request", requests, len(by_id), requests - len(by_id), 0)]
    assert db_rows(db, "SELECT count(*), sum(end_ts - start_ts > ?) FROM spans "
                       "WHERE name IN ('request', 'gotail:request')",
                   (THRESHOLD_MS * 10**6,)) == [(len(by_id), len(by_id))]


def test_keep_sched_switch_ins_and_wakeups(service, tmp_path):
    need_bpf()
    tape, db = tmp_path / "s.tape", tmp_path / "s.db"
    r, slow, border = run_service(service, tape, "--keep",
                                  f"tailsvc:request > {THRESHOLD_MS}ms", "--sched")
    assert summary_counts(r.stderr)[5] == 0 and check_fired(tape) == 0
    r = tt("load", "-q", "-o", db, tape, timeout=300)
    assert r.returncode == 0, r.stderr
    spans = db_rows(db, "SELECT key, start_ts, end_ts, tid, end_tid FROM spans "
                        "WHERE provider = 'tailsvc' AND name = 'request' ORDER BY key")
    assert slow <= {s[0] for s in spans} <= slow | border
    switches = db_rows(db, "SELECT ts, tid, prev_pid, next_pid FROM tp_sched_sched_switch")
    wakeups = db_rows(db, "SELECT ts, tid, pid_arg FROM tp_sched_sched_wakeup")
    # the processes described are those with an event in the tape: not every process the
    # scheduler's tracepoints met system-wide (the wakers of the requests left out)
    assert db_rows(db, "SELECT DISTINCT pid FROM processes ORDER BY pid") == \
        db_rows(db, "SELECT DISTINCT pid FROM events ORDER BY pid")

    def threads_at(ts):
        return [s for s in spans if s[1] <= ts <= s[2]]
    for ts, tid, prev, nxt in switches:
        assert any({tid, prev, nxt} & {s[3], s[4]} for s in threads_at(ts)), (ts, tid, prev, nxt)
    for ts, tid, woken in wakeups:
        assert any({tid, woken} & {s[3], s[4]} for s in threads_at(ts)), (ts, tid, woken)
    # the requests made slow slept in nanosleep on their worker: its timer woke it and
    # something else ran until it was switched in, none of them one of the span's threads (the
    # main thread waits). The kernel skips a BPF program, silently, on a CPU where another one
    # runs (another recorder's on a shared machine): each request needs one of the two, and
    # the capture both kinds
    woken = switched_in = 0
    for key, start, end, tid, end_tid in spans:
        if key % SLOW_EVERY:
            continue
        ours = (tid, end_tid)
        woke = [w for w in wakeups if w[2] == end_tid and w[1] not in ours and start <= w[0] <= end]
        ins = [w for w in switches if w[3] == end_tid and w[2] not in ours and start <= w[0] <= end]
        assert woke or ins, (key, start, end, ours, [w for w in wakeups + switches
                                                      if start <= w[0] <= end])
        woken += bool(woke)
        switched_in += bool(ins)
        if not woke:
            continue
        states = db_rows(db, "SELECT state, reason, waker_tid FROM thread_states WHERE tid = ? "
                             "AND start_ts BETWEEN ? AND ? ORDER BY start_ts",
                         (end_tid, start, end))
        assert any(s[:2] == ("runnable", "wakeup") and s[2] not in ours for s in states), \
            (key, states)
    assert woken and switched_in, (woken, switched_in)
