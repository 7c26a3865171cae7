# SPDX-License-Identifier: MIT
"""Test plan: the recorder and the loader under stress and faults (issue 23, problems 3 and 4,
faults and security).

flt-1  record 'tracepoint:*:*' stopped by SIGTERM while it attaches (as soon as its first
       link exists): exit 0, "stopped by signal 15 while attaching", no ready line, a tape
       closed cleanly. SIGTERM before any link exists stops it too (no hang).
flt-2  A tracepoint glob attaches every event tracefs can enable and nothing else: the ready
       line's count and the tape's probes are exactly the event directories of sched with an
       enable file; ftrace's own formats (no enable file) match nothing, with a clear error.
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import READY, TRACETAPE, need_bpf, start_recorder, stop_recorder, tt

EVENTS = Path("/sys/kernel/tracing/events")


def info_of(tape):
    r = tt("info", "--json", tape, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


def link_count(pid):
    """How many BPF links process pid holds (0 when it is gone)."""
    n = 0
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    for fd in fds:
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:bpf_link"
        except OSError:
            pass
    return n


def traceable(system):
    """The events of a tracefs system that can be enabled (and so attached to)."""
    return sorted(d.name for d in (EVENTS / system).iterdir()
                  if (d / "enable").exists() and (d / "format").exists())


def test_sigterm_while_attaching_hundreds_of_tracepoints(tmp_path):
    need_bpf()
    tape = tmp_path / "all.tape"
    p = subprocess.Popen([str(TRACETAPE), "record", "-v", "-d", "300s", "-o", str(tape),
                          "tracepoint:*:*"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        deadline = time.monotonic() + 120
        while p.poll() is None and time.monotonic() < deadline and not link_count(p.pid):
            time.sleep(0.001)
        assert p.poll() is None, p.communicate()[1]
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert "stopped by signal 15 while attaching" in err, err
    assert not READY.search(err), err
    info = info_of(tape)
    assert info["closed_cleanly"], info

    # Before anything is attached (the formats of every tracepoint being read), SIGTERM ends
    # it as well: by the default action, or by the handler once it is installed.
    p = subprocess.Popen([str(TRACETAPE), "record", "-d", "300s", "-o", str(tmp_path / "b.tape"),
                          "tracepoint:*:*"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(0.05)
    p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode in (0, -signal.SIGTERM), err
    assert not READY.search(err), err


def test_a_tracepoint_glob_attaches_every_traceable_event(tmp_path):
    need_bpf()
    want = traceable("sched")
    assert len(want) > 10
    tape = tmp_path / "sched.tape"
    rec = start_recorder("-o", tape, "tracepoint:sched:*")
    rc, err = stop_recorder(rec)
    assert rc == 0, err
    info = info_of(tape)
    got = sorted(pr["name"] for pr in info["probes"] if pr["type"] == "tracepoint")
    assert all(pr["provider"] == "sched" for pr in info["probes"] if pr["type"] == "tracepoint")
    assert got == want

    r = tt("record", "-d", "1s", "-o", tmp_path / "f.tape", "tracepoint:ftrace:*")
    assert r.returncode == 1
    assert "no tracepoint matched 'tracepoint:ftrace:*'" in r.stderr
    assert not (tmp_path / "f.tape").exists()
