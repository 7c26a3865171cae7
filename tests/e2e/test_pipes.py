# SPDX-License-Identifier: MIT
"""Test plan: tapes through pipes and tapes read while they are written (issue 17).

pipe-1  `-` is standard input for every command that reads a tape (replay, info, load, query,
        report; also a pipe named /dev/stdin): the output is that of the tape file; load -
        needs -o DB, and -o - is refused (a database is a file).
pipe-2  `-o -` is standard output (replay, query, gen-header); record -o - --rotate is a usage
        error.
pipe-3  live: `record -o - ... | replay -` of examples/c-service prints each request while the
        service runs, within a generous deadline of the probe firing (CLOCK_MONOTONIC, as the
        tape's timestamps), and the command's own output goes to stderr, not into the tape.
pipe-5  info and load on a terminal show their progress while a slow pipe brings the tape (how
        much they have read, then the line is cleared), info nothing when stderr is no terminal.
pipe-4  `replay --follow FILE` prints a tape still being written as it grows and ends with the
        recording (at the tape's footer), having printed every event once.
"""
import json
import os
import pty
import re
import select
import subprocess
import time

import pytest

from conftest import (BUILD_DIR, SMALL_TAPE_HEADER, SOURCE_DIR, mktape, need_bpf, small_tape,
                      start_recorder, stop_recorder, tt)

TT = BUILD_DIR / "tracetape"
SERVICE = BUILD_DIR / "examples" / "c-service" / "c-service"
# generous: a block is flushed into a pipe every 250 ms, a followed file is looked at every
# 100 ms and flushed every second; the deadline only has to tell "live" from "at the end"
LIVE_DEADLINE_S = 3.0

@pytest.fixture
def tape(tmp_path):
    return small_tape(tmp_path / "p.tape")


def piped(tape, *args):
    with open(tape, "rb") as f:
        return subprocess.run([TT, *args], stdin=f, capture_output=True, text=True, timeout=60)


def test_stdin_is_a_tape(tape):
    for args in (["replay"], ["replay", "--json"], ["info", "--json"]):
        want = tt(*args, tape)
        got = piped(tape, *args, "-")
        assert got.returncode == want.returncode == 0, got.stderr
        if args[0] == "info":
            a, b = json.loads(want.stdout), json.loads(got.stdout)
            assert b.pop("tape") == "-" and a.pop("tape") == str(tape)
            assert a == b
        else:
            assert got.stdout == want.stdout
    # a pipe under another name is read as it comes too (it cannot be read at an offset)
    got = piped(tape, "info", "/dev/stdin")
    assert got.returncode == 0, got.stderr
    assert "integrity:   closed cleanly" in got.stdout
    sql = "SELECT name, count(*) FROM spans GROUP BY name"
    got = piped(tape, "query", "-f", "csv", "-", sql)
    assert got.returncode == 0, got.stderr
    assert got.stdout == tt("query", "-f", "csv", tape, sql).stdout == "name,count(*)\nrequest,2\n"
    db = tape.with_suffix(".db")
    got = piped(tape, "load", "-o", db, "-")
    assert got.returncode == 0, got.stderr
    assert tt("query", "-f", "csv", db, sql).stdout == "name,count(*)\nrequest,2\n"
    got = piped(tape, "load", "-")
    assert got.returncode == 2 and "a tape from standard input ('-') needs -o DB" in got.stderr
    got = piped(tape, "load", "-o", "-", "-")
    assert got.returncode == 2 and "cannot be written to standard output" in got.stderr
    got = piped(tape, "report", "-")
    assert got.returncode == 0, got.stderr
    assert got.stdout.split("\n", 1)[1] == tt("report", tape).stdout.split("\n", 1)[1]


def test_stdout_outputs(tape, tmp_path):
    assert tt("replay", "-o", "-", tape).stdout == tt("replay", tape).stdout
    assert tt("query", "-o", "-", tape, "SELECT 1 AS x").stdout == "x\n-\n1\n"
    d = SOURCE_DIR / "tests" / "fixtures" / "gen_header.d"
    assert tt("gen-header", "-o", "-", d, cwd=tmp_path).stdout == tt("gen-header", d).stdout != ""
    assert not (tmp_path / "-").exists()
    r = tt("record", "-o", "-", "--rotate", "2", "--max-size", "1M", "usdt:x:y", "--", "true")
    assert r.returncode == 2
    assert "--rotate needs a file to rotate, not -o -" in r.stderr


def live_lines(proc):
    """(probe, seconds from the event to its line being read) for each line proc prints."""
    for line in proc.stdout:
        now = time.monotonic_ns()
        ev = json.loads(line)
        yield ev, (now - ev["ts"]) / 1e9


def test_record_into_replay_is_live():
    need_bpf()
    # 4 requests a second apart: the recording lasts about 4 s
    rec = subprocess.Popen([TT, "record", "-o", "-", f"usdt:{SERVICE}:svc:request__begin", "--",
                            SERVICE, "--requests", "4", "--sleep-us", "1000000"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    rep = subprocess.Popen([TT, "replay", "--json", "-"], stdin=rec.stdout,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rec.stdout.close()
    try:
        seen = [(ev["probe"], lag) for ev, lag in live_lines(rep)]
        assert rep.wait(timeout=60) == 0, rep.stderr.read()
        assert rec.wait(timeout=60) == 0
    finally:
        for p in (rep, rec):
            if p.poll() is None:
                p.kill()
                p.wait()
    rec_err = rec.stderr.read().decode()
    requests = [lag for probe, lag in seen if probe == "svc:request__begin"]
    assert len(requests) == 4, seen
    assert all(0 <= lag < LIVE_DEADLINE_S for lag in requests), seen
    # the service's own summary went to stderr, not into the tape
    assert "requests 4: 3 ok, 1 not found" in rec_err, rec_err
    assert "tracetape record: recording 1 probe (1 site in 1 binary) to standard output\n" in rec_err
    assert re.search(r"recorded 6 events \(0 lost\) in [0-9.]+ s: [1-9][0-9]* bytes in 1 tape", rec_err)


def test_replay_follow(tmp_path):
    need_bpf()
    tape = tmp_path / "f.tape"
    rec = start_recorder("-o", tape, f"usdt:{SERVICE}:svc:request__begin", "--", SERVICE,
                         "--requests", "4", "--sleep-us", "1000000")
    rep = subprocess.Popen([TT, "replay", "--json", "--follow", tape], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        seen = [(ev["probe"], lag) for ev, lag in live_lines(rep)]
        assert rep.wait(timeout=60) == 0, rep.stderr.read()
    finally:
        if rep.poll() is None:
            rep.kill()
            rep.wait()
        stop_recorder(rec)
    requests = [lag for probe, lag in seen if probe == "svc:request__begin"]
    assert len(requests) == 4, seen
    assert all(0 <= lag < LIVE_DEADLINE_S for lag in requests), seen
    # the same events as reading the finished tape
    assert [p for p, _ in seen] == [json.loads(x)["probe"] for x in
                                   tt("replay", "--json", tape).stdout.splitlines()]


@pytest.mark.parametrize("cmd", ["info", "load"])
def test_progress_on_a_terminal(tmp_path, cmd):
    many = tmp_path / "many.tape"
    lines = [SMALL_TAPE_HEADER]
    lines += [f"event {1000000000 + i * 1000} 0 100 101 app:request__begin {i} \"/x\"\n"
              for i in range(20000)]
    mktape("".join(lines), many)
    data = many.read_bytes()
    args = ["info", "-"] if cmd == "info" else ["load", "-o", tmp_path / "many.db", "-"]
    what = b"reading" if cmd == "info" else b"loading"
    master, slave = pty.openpty()
    p = subprocess.Popen([TT, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=slave)
    os.close(slave)
    err = b""
    try:
        # the tape in 10 pieces over 2 s: the reading lasts longer than the 1 s threshold
        for i in range(10):
            p.stdin.write(data[i * len(data) // 10:(i + 1) * len(data) // 10])
            p.stdin.flush()
            time.sleep(0.2)
            while select.select([master], [], [], 0)[0]:
                err += os.read(master, 4096)
        p.stdin.close()
        out = p.stdout.read().decode()
        assert p.wait(timeout=60) == 0
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
    finally:
        os.close(master)
        if p.poll() is None:
            p.kill()
    # a pipe has no size: how much was read so far, then the line is cleared
    assert b"\r\x1b[K" + what + b": " in err and b" read, " in err, err
    if cmd == "info":
        assert "\nevents:      20000\n" in out, out
        assert err.endswith(b"\r\x1b[K"), err
    else:
        assert b"20000 events" in err.rsplit(b"\r\x1b[K", 1)[1], err
    # not a terminal: no progress
    if cmd == "info":
        r = subprocess.run([TT, "info", "-"], input=data, capture_output=True, timeout=60)
        assert r.returncode == 0 and r.stderr == b""
