# SPDX-License-Identifier: MIT
"""Test plan: `tracetape record` with real BPF, checked event by event.

rec-1  -- COMMAND: every event of the argument matrix (all integer sizes and signs, extremes,
       a float and a double, a pointer, empty, short, non-ASCII and over-limit strings, 12
       arguments) is in the tape with exactly the fixture's values, in order per thread;
       rec:first, fired by the first line of main, is there.
rec-2  probes in a shared library found through the executable's DT_NEEDED (no path given),
       and through an explicit library path.
rec-3  semaphore-guarded probes: the guarded code runs exactly as often as the probe is
       recorded while recording, and never without a recording; a running process's
       semaphore goes up when the recording attaches and down when it ends.
rec-4  -p PID of an already running process; a path capture (no -p) catches a process that
       starts after the recording began; other processes are not recorded under -p.
rec-5  overload: a producer that outruns a small ring: recorded + lost == fired, exactly,
       and the summary and `info` report the losses.
rec-6  kill -9 of the recorder: the tape reads back with every event of its whole blocks,
       at most about a second is lost, and `info` says it was not closed cleanly.
rec-7  third-party probes: PHP 8.2 function__entry counts per function (USE_ZEND_DTRACE=1,
       semaphore-guarded), libstdc++ throw/catch counts.
rec-8  failures: no spec, bad spec, a spec matching nothing, a binary without notes, a
       missing PID, a missing command, not root: messages and exit codes.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from conftest import (FIXTURES, SDK_INCLUDE, SOURCE_DIR, TRACETAPE, build_c, db_rows, need_bpf,
                      need_program, run, start_recorder, stop_recorder, tt, wait_for_detach)



@pytest.fixture(scope="module")
def fixture_bin(tmp_path_factory):
    d = tmp_path_factory.mktemp("rec")
    lib = d / "libreclib.so"
    r = run(["gcc", "-O2", "-g", "-fPIC", "-shared", "-I", SDK_INCLUDE, "-o", lib,
             FIXTURES / "reclib.c"])
    assert r.returncode == 0, r.stderr
    exe = d / "rec_fixture"
    r = run(["gcc", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-I", SDK_INCLUDE, "-o", exe,
             FIXTURES / "rec_fixture.c", f"-L{d}", "-lreclib", f"-Wl,-rpath,{d}", "-lpthread"])
    assert r.returncode == 0, r.stderr
    return exe


def events_of(tape):
    r = tt("replay", "--format", "json", tape, timeout=120)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def info_of(tape):
    r = tt("info", "--json", tape, timeout=60)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


def expected(fixture_bin, *args):
    r = run([fixture_bin, "--expect", *args])
    assert r.returncode == 0
    return [json.loads(line) for line in r.stdout.splitlines()]


def by_thread(events, probes):
    """Events of the given probes grouped per fixture thread (via rec:thread), in order."""
    index = {e["tid"]: e["args"]["t"] for e in events if e["probe"] == "rec:thread"}
    out = defaultdict(list)
    for e in events:
        if e["probe"] in probes and e["tid"] in index:
            out[index[e["tid"]]].append(e)
    return out


def normalize(e):
    n = {"probe": e["probe"], "args": dict(e["args"])}
    for k, v in n["args"].items():
        if isinstance(v, str) and v.startswith("0x"):
            n["args"][k] = int(v, 16)
    if e.get("truncated"):
        n["truncated"] = e["truncated"]
    return n


@pytest.mark.kernels
def test_argument_matrix_exact(fixture_bin, tmp_path, attach):
    need_bpf()
    tape = tmp_path / "m.tape"
    r = tt("record", "--attach", attach, "-o", tape, "usdt:rec:*", "usdt:reclib:*", "--",
           fixture_bin, "--threads", "3", "--iters", "40", timeout=300)
    assert r.returncode == 0, r.stderr
    assert "guard_hits 120" in r.stdout
    m = re.search(r"recorded (\d+) events \((\d+) lost\)", r.stderr)
    assert m and m.group(2) == "0", r.stderr
    assert re.search(r"rec_fixture exited with status 0", r.stderr)
    meta = info_of(tape)["meta"]
    assert meta["attach"] in (["uprobe-multi", "uprobe-perf"] if attach == "auto" else
                              ["uprobe-" + attach])
    assert meta["strings"] in ("sleepable", "nofault")
    events = events_of(tape)
    first = [e for e in events if e["probe"] == "rec:first"]
    assert len(first) == 1 and first[0]["args"]["arg0"] == first[0]["pid"]
    want = defaultdict(list)
    for e in expected(fixture_bin, "--threads", "3", "--iters", "40"):
        want[e.pop("thread")].append(e)
    probes = {"rec:thread", "rec:ints", "rec:mixed", "rec:twelve", "rec:guarded", "reclib:call"}
    got = by_thread(events, probes)
    assert sorted(got) == [0, 1, 2]
    for t in range(3):
        g = [normalize(e) for e in got[t]]
        w = [normalize(e) for e in want[t]]
        assert len(g) == len(w) == 1 + 40 * 5
        for i, (a, b) in enumerate(zip(g, w)):
            assert a == b, f"thread {t} event {i}"
    # every event of a thread is in timestamp order and nothing else came from the fixture
    assert {e["probe"] for e in events} <= probes | {"rec:first", "tracetape:process__exec",
                                                       "tracetape:process__exit"}


def test_guard_runs_only_while_traced(fixture_bin):
    wait_for_detach()  # an earlier recording's probes may still be detaching
    r = run([fixture_bin, "--threads", "2", "--iters", "10"])
    assert r.returncode == 0 and "guard_hits 0" in r.stdout


@pytest.mark.kernels
def test_semaphore_follows_the_recording(fixture_bin, tmp_path, attach):
    """The kernel raises a running process's semaphore at attach and lowers it at detach."""
    need_bpf()
    wait_for_detach()  # an earlier recording's probes may still be detaching
    watcher = subprocess.Popen([fixture_bin, "--watch-guard", "20"], stdout=subprocess.PIPE,
                               text=True)
    try:
        assert watcher.stdout.readline() == "watching\n"
        rec = start_recorder("--attach", attach, "-o", tmp_path / "g.tape",
                             f"usdt:{fixture_bin}:rec:guarded")
        assert watcher.stdout.readline() == "guard on\n"
        rc, err = stop_recorder(rec)
        assert rc == 0, err
        assert watcher.stdout.readline() == "guard off\n"
    finally:
        watcher.kill()
        watcher.wait()


def test_not_root_is_a_clear_failure(fixture_bin, tmp_path):
    need_bpf()  # root is needed to drop to another user
    # copies that nobody can reach: the build and temporary directories may be private (0700)
    shared = Path(tempfile.mkdtemp(prefix="tt-nobody-"))
    try:
        shared.chmod(0o755)
        for f in (TRACETAPE, fixture_bin):
            shutil.copy(f, shared)
        r = run(["runuser", "-u", "nobody", "--", shared / Path(TRACETAPE).name, "record",
                 "-o", shared / "never.tape", f"usdt:{shared / Path(fixture_bin).name}:rec:first"])
        assert not (shared / "never.tape").exists()
    finally:
        shutil.rmtree(shared)
    assert r.returncode == 1
    assert "recording needs root, or CAP_BPF and CAP_PERFMON" in r.stderr


@pytest.mark.kernels
def test_shared_library_by_path(fixture_bin, tmp_path, attach):
    need_bpf()
    tape = tmp_path / "lib.tape"
    lib = fixture_bin.parent / "libreclib.so"
    r = tt("record", "--attach", attach, "-o", tape, f"usdt:{lib}:reclib:call", "--",
           fixture_bin, "--threads", "2", "--iters", "7", timeout=300)
    assert r.returncode == 0, r.stderr
    calls = [e["args"]["i"] for e in events_of(tape) if e["probe"] == "reclib:call"]
    assert sorted(calls) == sorted(t * 1000 + i for t in range(2) for i in range(7))


@pytest.mark.kernels
def test_pid_capture_of_running_process(fixture_bin, tmp_path, attach):
    need_bpf()
    tape = tmp_path / "p.tape"
    target = subprocess.Popen([fixture_bin, "--wait-signal", "--threads", "2", "--iters", "5"],
                              stdout=subprocess.PIPE, text=True)
    other = subprocess.Popen([fixture_bin, "--wait-signal", "--threads", "1", "--iters", "5"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert target.stdout.readline() == "ready\n"
        assert other.stdout.readline() == "ready\n"
        rec = start_recorder("--attach", attach, "-o", tape, "-p", target.pid, "usdt:rec:ints",
                             "usdt:rec:guarded")
        other.send_signal(signal.SIGUSR1)
        other.wait(timeout=30)
        target.send_signal(signal.SIGUSR1)
        out, _ = target.communicate(timeout=30)
        assert "guard_hits 10" in out
        rc, err = stop_recorder(rec)
        assert rc == 0, err
        assert "every traced process exited" in err or "recorded" in err
    finally:
        for p in (target, other):
            if p.poll() is None:
                p.kill()
                p.wait()
    events = events_of(tape)
    pids = {e["pid"] for e in events if e["probe"].startswith("rec:")}
    assert pids == {target.pid}
    assert Counter(e["probe"] for e in events if e["probe"].startswith("rec:")) == {
        "rec:ints": 10, "rec:guarded": 10}


@pytest.mark.kernels
def test_pid_capture_follows_children(fixture_bin, tmp_path, attach):
    need_bpf()
    tape = tmp_path / "f.tape"
    target = subprocess.Popen([fixture_bin, "--wait-signal", "--fork", "4"], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert target.stdout.readline() == "ready\n"
        rec = start_recorder("--attach", attach, "-o", tape, "-p", target.pid, "usdt:rec:child")
        target.send_signal(signal.SIGUSR1)
        out, _ = target.communicate(timeout=30)
        assert "forked 4" in out
        rc, err = stop_recorder(rec)
        assert rc == 0, err
    finally:
        if target.poll() is None:
            target.kill()
            target.wait()
    events = events_of(tape)
    children = [e for e in events if e["probe"] == "rec:child"]
    assert sorted(e["args"]["c"] for e in children) == [0, 1, 2, 3]
    assert all(e["args"]["arg1"] == target.pid and e["pid"] != target.pid for e in children)
    forks = [e for e in events if e["probe"] == "tracetape:process__fork"]
    assert sorted(e["args"]["child"] for e in forks) == sorted(e["pid"] for e in children)
    exits = [e for e in events if e["probe"] == "tracetape:process__exit"]
    assert {e["pid"] for e in exits} >= {e["pid"] for e in children}


@pytest.mark.kernels
def test_short_lived_processes_are_described(fixture_bin, tmp_path, attach):
    """Processes that fork, exec, fire and exit within milliseconds, gone before the recorder
    could read their /proc: their parent, name, executable and command line come from the
    fork and exec records."""
    need_bpf()
    tape, db = tmp_path / "s.tape", tmp_path / "s.db"
    script = f"for i in 1 2 3 4 5 6; do {fixture_bin} --threads 1 --iters 1 --tag $i; done"
    r = tt("record", "--attach", attach, "-o", tape, f"usdt:{fixture_bin}:rec:first", "--",
           "sh", "-c", script, timeout=300)
    assert r.returncode == 0, r.stderr
    assert tt("load", "-o", db, tape, timeout=120).returncode == 0
    shell = db_rows(db, "SELECT pid FROM processes WHERE comm IN ('sh', 'dash')")
    assert len(shell) == 1, db_rows(db, "SELECT * FROM processes")
    rows = db_rows(db, """SELECT p.ppid, p.comm, p.exe, p.cmdline FROM processes p
                          WHERE p.pid IN (SELECT pid FROM rec_first) ORDER BY p.cmdline""")
    assert rows == [(shell[0][0], "rec_fixture", str(fixture_bin),
                     f"{fixture_bin} --threads 1 --iters 1 --tag {i}") for i in range(1, 7)], rows


@pytest.mark.kernels
def test_rotation_keeps_standalone_tapes(fixture_bin, tmp_path, attach):
    need_bpf()
    tape = tmp_path / "r.tape"
    r = tt("record", "--attach", attach, "-o", tape, "--rotate", "3", "--max-size", "4K",
           "usdt:rec:tick", "--", fixture_bin, "--ticks", "6", timeout=300)
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["r.tape", "r.tape.1", "r.tape.2"], names
    seen = []
    for name in ["r.tape.2", "r.tape.1", "r.tape"]:
        info = info_of(tmp_path / name)
        assert info["closed_cleanly"]
        assert any(p["name"] == "tick" for p in info["probes"])  # each tape describes itself
        seen += [e["args"]["i"] for e in events_of(tmp_path / name) if e["probe"] == "rec:tick"]
    # the three newest tapes hold the last ticks, in order, without gaps between them
    assert seen == list(range(seen[0], seen[0] + len(seen)))
    assert re.search(r"in [3-9]\d* tapes", r.stderr)


@pytest.mark.kernels
def test_path_capture_catches_later_process(fixture_bin, tmp_path, attach):
    need_bpf()
    tape = tmp_path / "w.tape"
    rec = start_recorder("--attach", attach, "-o", tape, f"usdt:{fixture_bin}:rec:first")
    procs = [run([fixture_bin, "--threads", "1", "--iters", "1"]) for _ in range(3)]
    assert all(p.returncode == 0 for p in procs)
    rc, err = stop_recorder(rec)
    assert rc == 0, err
    firsts = [e for e in events_of(tape) if e["probe"] == "rec:first"]
    assert len(firsts) == 3
    assert all(e["args"]["arg0"] == e["pid"] for e in firsts)


@pytest.mark.kernels
def test_overload_accounts_every_event(fixture_bin, tmp_path, attach):
    need_bpf()
    tape = tmp_path / "o.tape"
    n = 400000
    r = tt("record", "--attach", attach, "-o", tape, "--buffer-size", "16K", "usdt:rec:flood",
           "--", fixture_bin, "--flood", str(n), timeout=600)
    assert r.returncode == 0, r.stderr
    assert f"fired {n}" in r.stdout
    m = re.search(rf"lost (\d+) of {n} events of rec:flood", r.stderr)
    assert m, r.stderr
    lost = int(m.group(1))
    assert lost > 0, "the ring never overflowed: the test did not test losses"
    recorded = sum(1 for e in events_of(tape) if e["probe"] == "rec:flood")
    assert recorded + lost == n
    info = info_of(tape)
    flood_id = next(p["id"] for p in info["probes"] if p["name"] == "flood")
    assert f"{flood_id}={n}" in info["meta"]["probe_fired"].split()
    flood = next(p for p in info["probes"] if p["name"] == "flood")
    assert (flood["events"], flood["lost"]) == (recorded, lost)


@pytest.mark.kernels
def test_every_loss_reaches_the_tape(tmp_path):
    """System-wide scheduler and syscall tracepoints under a syscall-heavy load: whatever is lost
    (ring full, or hits the kernel ran no BPF program for while a preempted syscall program held
    the CPU) is in the tape as loss records, and the summary says the same."""
    need_bpf()
    tape = tmp_path / "l.tape"
    load = subprocess.Popen(["sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"])
    try:
        r = tt("record", "-o", tape, "-d", "3", "--buffer-size", "64K", "--sched", "--syscalls",
               timeout=120)
    finally:
        load.kill()
        load.wait()
    assert r.returncode == 0, r.stderr
    m = re.search(r"recorded (\d+) events \((\d+) lost\)", r.stderr)
    assert m, r.stderr
    info = info_of(tape)
    assert info["lost"] == int(m.group(2))
    assert info["events"] == int(m.group(1))
    missed = re.search(r"lost (\d+) hits the kernel ran no BPF program for", r.stderr)
    of_known_probes = sum(p.get("lost", 0) for p in info["probes"])
    assert info["lost"] - of_known_probes == (int(missed.group(1)) if missed else 0)


@pytest.mark.kernels
def test_kill_9_keeps_whole_blocks(fixture_bin, tmp_path):
    need_bpf()
    tape = tmp_path / "k.tape"
    rec = start_recorder("-o", tape, "usdt:rec:tick", "--", fixture_bin, "--ticks", "8")
    time.sleep(4)
    kill_ns = time.monotonic_ns()
    rec.kill()
    rec.wait(timeout=30)
    ticks = [e for e in events_of(tape) if e["probe"] == "rec:tick"]
    assert ticks, "nothing survived"
    assert [e["args"]["i"] for e in ticks] == list(range(len(ticks)))
    # blocks are flushed at least every second: at most about a second (plus slack) is lost
    assert kill_ns - ticks[-1]["ts"] < 2.0e9
    assert len(ticks) > 1000
    r = tt("info", tape)
    assert r.returncode in (0, 1)
    assert "integrity:   not closed: no trailer" in r.stdout


def test_php_function_calls(tmp_path):
    need_bpf()
    php = need_program("php8.2")
    script = tmp_path / "calls.php"
    script.write_text("<?php\n"
                      "function leaf($i) { return $i * 2; }\n"
                      "function mid($n) { $s = 0; for ($i = 0; $i < $n; $i++) $s += leaf($i); return $s; }\n"
                      "class Greeter { function hello($x) { return mid($x); } }\n"
                      "$g = new Greeter();\n"
                      "for ($k = 0; $k < 7; $k++) $g->hello(3);\n"
                      "echo \"done\\n\";\n")
    tape = tmp_path / "php.tape"
    env = dict(os.environ, USE_ZEND_DTRACE="1")
    r = tt("record", "-o", tape, "--schema", SOURCE_DIR / "schemas" / "providers" / "php.d",
           f"usdt:{php}:php:function__entry", "--", php, script, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "done" in r.stdout
    calls = Counter((e["args"]["classname"], e["args"]["function_name"])
                    for e in events_of(tape) if e["probe"] == "php:function__entry")
    assert calls[("Greeter", "hello")] == 7
    assert calls[("", "mid")] == 7
    assert calls[("", "leaf")] == 21


@pytest.mark.kernels
def test_libstdcxx_exceptions(tmp_path):
    """throw/rethrow/catch counts, and each exception's type name read through its type_info
    (two pointers away from the probe's argument) and shown demangled."""
    need_bpf()
    src = tmp_path / "throw.cc"
    src.write_text("#include <stdexcept>\n#include <cstdio>\n#include <vector>\n"
                   "namespace app { template <class T> struct Oops { T v; }; }\n"
                   "int main() { int caught = 0; std::vector<int> v;\n"
                   "  for (int i = 0; i < 13; i++) { try { throw std::runtime_error(\"x\"); }\n"
                   "    catch (const std::exception &) { caught++; }\n"
                   "    try { v.at(3); } catch (const std::out_of_range &) { caught++; }\n"
                   "    try { throw app::Oops<long>{1}; } catch (...) { caught++; }\n"
                   "    try { try { throw 7; } catch (int) { throw; } } catch (int) { caught++; }\n"
                   "  }\n"
                   "  std::printf(\"caught %d\\n\", caught); return 0; }\n")
    exe = tmp_path / "throw"
    r = run(["g++", "-O1", "-o", exe, src])
    assert r.returncode == 0, r.stderr
    tape = tmp_path / "x.tape"
    r = tt("record", "-o", tape, "usdt:libstdcxx:*", "--", exe, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "caught 52" in r.stdout
    events = [e for e in events_of(tape) if e["probe"].startswith("libstdcxx:")]
    n = Counter((e["probe"], e["args"]["tinfo"]) for e in events)
    assert n == {
        ("libstdcxx:throw", "std::runtime_error"): 13, ("libstdcxx:catch", "std::runtime_error"): 13,
        ("libstdcxx:throw", "std::out_of_range"): 13, ("libstdcxx:catch", "std::out_of_range"): 13,
        ("libstdcxx:throw", "app::Oops<long>"): 13, ("libstdcxx:catch", "app::Oops<long>"): 13,
        ("libstdcxx:throw", "int"): 13, ("libstdcxx:rethrow", "int"): 13,
        ("libstdcxx:catch", "int"): 26}, n
    assert all(not e.get("fault") for e in events)
    r = tt("replay", tape)
    assert 'libstdcxx:throw' in r.stdout and 'tinfo="std::out_of_range"' in r.stdout, r.stdout


@pytest.mark.parametrize("args,rc,msg", [
    ([], 2, "no probe spec given"),
    (["foo:bar"], 2, "probe spec 'foo:bar' has no known type"),
    (["usdt:prov:name"], 2, "'usdt:prov:name' names no binary"),
    (["-p", "abc", "usdt:x:y"], 2, "-p needs a process id, got 'abc'"),
    (["-d", "soon", "usdt:/bin/true"], 2, "-d needs a duration"),
    (["--strlen", "5000", "usdt:/bin/true"], 2, "--strlen needs a byte count from 1 to 1024"),
    (["--rotate", "3", "usdt:/bin/true"], 2, "--rotate needs --max-size"),
    (["usdt:/bin/true", "--"], 2, "'--' must be followed by a command"),
    # options among the specs are parsed; what follows "--" is the command's, never record's
    (["usdt:x:y", "-p", "abc", "--", "/bin/true"], 2, "-p needs a process id, got 'abc'"),
    (["--", "/bin/true", "--bogus", "--help"], 2, "no probe spec given"),
    (["--bogus"], 2, "unknown option '--bogus' (see 'tracetape record --help')"),
    (["-o"], 2, "option '-o' needs a value (FILE) (see 'tracetape record --help')"),
    (["--sync=yes", "usdt:/bin/true"], 2, "option '--sync' takes no value"),
])
def test_usage_errors(args, rc, msg):
    r = tt("record", *args)
    assert r.returncode == rc, r.stderr
    assert msg in r.stderr
    assert r.stdout == ""


def test_command_keeps_its_options(tmp_path):
    """Options before "--", even among the specs, are record's; after it, the command's."""
    need_bpf()
    tape = tmp_path / "a.tape"
    r = tt("record", "tracepoint:sched:sched_process_exit", "-o", tape, "-q", "--",
           "/bin/echo", "-o", "x", "--bogus", "-p", "1", "--help", "--", "y")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert r.stdout == "-o x --bogus -p 1 --help -- y\n"
    assert tape.exists()


def test_runtime_errors(fixture_bin, tmp_path):
    need_bpf()
    r = tt("record", "-o", tmp_path / "a.tape", "usdt:/bin/true")
    assert r.returncode == 1
    assert "/bin/true has no USDT probes" in r.stderr
    r = tt("record", "-o", tmp_path / "a.tape", f"usdt:{fixture_bin}:nope:*")
    assert r.returncode == 1
    assert f"no probe matched 'usdt:{fixture_bin}:nope:*'" in r.stderr
    r = tt("record", "-o", tmp_path / "a.tape", "-p", "999999999", "usdt:rec:*")
    assert r.returncode == 1
    assert "process 999999999: no such process" in r.stderr
    r = tt("record", "-o", tmp_path / "a.tape", "usdt:rec:*", "--", "/nonexistent/cmd")
    assert r.returncode == 1
    assert "command not found: /nonexistent/cmd" in r.stderr
    r = tt("record", "-o", tmp_path / "a.tape", "usdt:/etc/passwd:x:y")
    assert r.returncode == 1
    assert "not an ELF file" in r.stderr
    r = tt("record", "-o", tmp_path / "a.tape", "tracetape:sched:nope")
    assert r.returncode == 2


MANY_SITES = 20


@pytest.fixture(scope="module")
def many_sites(tmp_path_factory):
    """A program with MANY_SITES semaphore-guarded probes; on each SIGUSR1 (at most 10, within
    60 s) it prints how many of their semaphores are up."""
    d = tmp_path_factory.mktemp("many")
    checks = " + ".join(f"!!TT_PROBE_ENABLED(many, p{i})" for i in range(MANY_SITES))
    fires = "\n".join(f"\tif (argc > 9) TT_PROBE(many, p{i}, argc);" for i in range(MANY_SITES))
    src = d / "many.c"
    src.write_text(f"""#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <tracetape/probe.h>
static volatile sig_atomic_t asked;
static void on_usr1(int sig) {{ (void)sig; asked = 1; }}
int main(int argc, char **argv) {{
\t(void)argv;
\tsignal(SIGUSR1, on_usr1);
{fires}
\tprintf("ready\\n");
\tfflush(stdout);
\tfor (int n = 0, waited = 0; n < 10 && waited < 60000; waited++) {{
\t\tstruct timespec ms = {{0, 1000000}};
\t\tif (asked) {{
\t\t\tasked = 0;
\t\t\tn++;
\t\t\tprintf("up %d\\n", {checks});
\t\t\tfflush(stdout);
\t\t}}
\t\tnanosleep(&ms, NULL);
\t}}
\treturn 0;
}}
""")
    return build_c(src, d / "many")


@pytest.mark.kernels
def test_many_slow_links_detach_in_the_background(many_sites, tmp_path, attach):
    """Closing a perf-event link costs the kernel ~0.1 s: a recording with many of them (here
    uprobes on the per-site path and tracepoints) ends at once, its tape complete, while a
    tt-detach process closes them; once it is gone every semaphore is down again."""
    need_bpf()
    prog = subprocess.Popen([many_sites], stdout=subprocess.PIPE, text=True)
    try:
        assert prog.stdout.readline() == "ready\n"
        rec = start_recorder("--attach", attach, "-o", tmp_path / "m.tape",
                             f"usdt:{many_sites}:many:*", "tracepoint:syscalls:sys_enter_[a-c]*")
        prog.send_signal(signal.SIGUSR1)
        assert prog.stdout.readline() == f"up {MANY_SITES}\n"
        t0 = time.monotonic()
        rc, err = stop_recorder(rec)
        stop_s = time.monotonic() - t0
        assert rc == 0, err
        # not a benchmark: a foreground detach would take over a minute here
        assert stop_s < 30, f"stopping took {stop_s:.1f} s"
        m = re.search(r"detaching (\d+) probes in the background \(pid (\d+)\)", err)
        assert m, err
        child = int(m.group(2))
        deadline = time.monotonic() + 600
        while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not Path(f"/proc/{child}").exists(), "tt-detach is still running"
        prog.send_signal(signal.SIGUSR1)
        assert prog.stdout.readline() == "up 0\n"
    finally:
        if prog.poll() is None:
            prog.kill()
        prog.wait()
    info = info_of(tmp_path / "m.tape")
    assert info["closed_cleanly"]


TLS_SRC = r"""#include <pthread.h>
#include <stdio.h>
#include <tracetape/probe.h>
__thread int tls_int = 41;
__thread long tls_arr[4] = {1, 2, 3, 4};
void lib_fire(int t, int i);   /* libtlsfix.so, initial-exec TLS: %fs:(%reg) operands */
void lib_set(int t, int i);
int counter = 5;               /* -no-pie, "g": $counter, an address as an immediate */
__attribute__((noinline)) static void set(int t, int i)
{
	tls_int = 100 * t + i;
	tls_arr[i] = 1000 * t + i;
	__asm__ volatile("" ::: "memory");
}
/* reads the thread-locals in the probe's operands: %fs:sym@tpoff, with an index */
__attribute__((noinline)) static void fire(int i)
{
	TT_PROBE(tls, exe, i, tls_int, tls_arr[i], &counter);
}
static void *run(void *a)
{
	int t = (int)(long)a;

	for (int i = 0; i < 4; i++) {
		set(t, i);
		fire(i);
		lib_set(t, i);
		lib_fire(t, i);
	}
	return NULL;
}
int main(void)
{
	pthread_t th[3];

	for (long t = 0; t < 3; t++)
		pthread_create(&th[t], NULL, run, (void *)t);
	for (int t = 0; t < 3; t++)
		pthread_join(th[t], NULL);
	printf("%p\n", (void *)&counter);
	return 0;
}
"""

TLS_LIB = r"""#include <tracetape/probe.h>
__thread int lib_int = 7;
__thread long lib_arr[4];
void lib_set(int t, int i)
{
	lib_int = t + i;
	lib_arr[i] = 10 * t + i;
	__asm__ volatile("" ::: "memory");
}
void lib_fire(int t, int i)
{
	TT_PROBE(tls, lib, t, lib_int, lib_arr[i]);
}
"""


@pytest.mark.kernels
def test_thread_locals_and_symbol_addresses(tmp_path, attach):
    """Arguments in thread-local storage (the executable's %fs:sym@tpoff, a library's
    %fs:(%reg) with an index), each thread its own value, and a symbol's address passed as an
    immediate ($counter, non-PIC code built with the "g" constraint)."""
    need_bpf()
    (tmp_path / "tls.c").write_text(TLS_SRC)
    (tmp_path / "lib.c").write_text(TLS_LIB)
    lib = tmp_path / "libtlsfix.so"
    r = run(["gcc", "-O2", "-fPIC", "-shared", "-ftls-model=initial-exec", "-I", SDK_INCLUDE,
             "-o", lib, tmp_path / "lib.c"])
    assert r.returncode == 0, r.stderr
    exe = tmp_path / "tls"
    r = run(["gcc", "-O2", "-no-pie", "-DTT_PROBE_ARG_CONSTRAINT=\"g\"", "-I", SDK_INCLUDE, "-o",
             exe, tmp_path / "tls.c", f"-L{tmp_path}", "-ltlsfix", f"-Wl,-rpath,{tmp_path}",
             "-lpthread"])
    assert r.returncode == 0, r.stderr
    specs = run(["readelf", "-n", exe]).stdout + run(["readelf", "-n", lib]).stdout
    assert "@tpoff" in specs and "%fs:(" in specs and "@$counter" in specs, specs
    tape = tmp_path / "t.tape"
    r = tt("record", "--attach", attach, "-o", tape, "usdt:tls:*", "--", exe, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "lost" not in r.stderr.replace("(0 lost)", "")
    events = [e for e in events_of(tape) if e["probe"].startswith("tls:")]
    tids = sorted({e["tid"] for e in events})
    assert len(tids) == 3
    out = r.stdout.strip()
    exe_ev = [tuple(e["args"].values()) for e in events if e["probe"] == "tls:exe"]
    lib_ev = [tuple(e["args"].values()) for e in events if e["probe"] == "tls:lib"]
    # per thread, in order: the values it set in its own thread-locals
    for tid in tids:
        mine = [tuple(e["args"].values()) for e in events if e["tid"] == tid and
                e["probe"] == "tls:exe"]
        t = mine[0][1] // 100
        assert mine == [(i, 100 * t + i, 1000 * t + i, out) for i in range(4)], mine
    assert sorted(lib_ev) == sorted((t, t + i, 10 * t + i) for t in range(3) for i in range(4))
    assert len(exe_ev) == 12


def test_unreadable_sites_are_named_in_the_tape(tmp_path):
    """A site whose arguments the recorder cannot read (here a string literal passed as the
    address of a local label, $.LC0, which the "g" constraint allows) is skipped with the
    reason, counted in the ready line and named in the tape's skipped_sites; with nothing
    left to record, record fails and writes no tape."""
    need_bpf()
    src = tmp_path / "skip.c"
    src.write_text('#define TT_PROBE_ARG_CONSTRAINT "g"\n#include <tracetape/probe.h>\n'
                   'int main(int argc, char **argv) { (void)argv;\n'
                   '  TT_PROBE(sk, lit, "hello"); TT_PROBE(sk, n, argc); return 0; }\n')
    exe = build_c(src, tmp_path / "skip", opt="-O2")
    assert "$.L" in run(["readelf", "-n", exe]).stdout
    tape = tmp_path / "s.tape"
    r = tt("record", "-o", tape, f"usdt:{exe}:sk:*", "--", exe)
    assert r.returncode == 0, r.stderr
    assert re.search(r"recording 2 probes \(1 site in 1 binary, 1 site skipped\)", r.stderr), r.stderr
    assert "skipping the site of sk:lit" in r.stderr and "local label" in r.stderr
    skipped = info_of(tape)["meta"]["skipped_sites"]
    assert re.fullmatch(rf"{re.escape(str(exe))} sk:lit at 0x[0-9a-f]+: it passes the address of "
                        r"a symbol .*\n", skipped), skipped
    r = tt("record", "-o", tmp_path / "none.tape", f"usdt:{exe}:sk:lit", "--", exe)
    assert r.returncode == 1
    assert "nothing to record: no site of the matching probes can be read" in r.stderr
    assert not (tmp_path / "none.tape").exists()


HX_SRC = r"""#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <tracetape/probe.h>
static char longstr[300];
static void *run(void *arg)
{
	/* string literals in pages nothing touched before the probe reads them */
	const char *names[4] = {"", "alpha", longstr, "J\xc3\xbcrgen M"};
	long t = (long)arg;

	for (int i = 0; i < 500; i++) {
		TT_PROBE(hx, ints, (int8_t)-5, (uint8_t)250, (int16_t)-30000, (uint16_t)65000,
			 (int32_t)-2000000000, (uint32_t)4000000000u, (int64_t)INT64_MIN,
			 (uint64_t)UINT64_MAX);
		if (i < 400)
			TT_PROBE(hx, str, names[i % 4], t);
	}
	return NULL;
}
int main(void)
{
	pthread_t th[3];

	memset(longstr, 'x', sizeof(longstr) - 1);
	for (long t = 0; t < 3; t++)
		pthread_create(&th[t], NULL, run, (void *)t);
	for (int t = 0; t < 3; t++)
		pthread_join(th[t], NULL);
	return 0;
}
"""


@pytest.mark.kernels
def test_constants_and_literals_exact(tmp_path, attach):
    """Issue 15's program: unsigned constants (immediates gcc writes as negative numbers) keep
    their values, and string literals in pages the process never touched are read, 0 faults:
    1500 ints events and 300 of each string."""
    need_bpf()
    (tmp_path / "hx.c").write_text(HX_SRC)
    exe = build_c(tmp_path / "hx.c", tmp_path / "hx", opt="-O2")
    specs = run(["readelf", "-n", exe]).stdout
    assert "1@$-6" in specs and "4@$-294967296" in specs, specs  # the immediates of the issue
    tape, db = tmp_path / "hx.tape", tmp_path / "hx.db"
    r = tt("record", "--attach", attach, "-o", tape, "usdt:hx:*", "--", exe, timeout=300)
    assert r.returncode == 0, r.stderr
    assert tt("load", "-o", db, tape, timeout=300).returncode == 0
    ints = db_rows(db, "SELECT arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, count(*), "
                       "sum(fault) FROM hx_ints GROUP BY 1, 2, 3, 4, 5, 6, 7, 8")
    assert ints == [(-5, 250, -30000, 65000, -2000000000, 4000000000, -2**63, 2**64 - 1 - 2**64,
                     1500, 0)], ints
    strs = dict((s, (n, f)) for s, n, f in db_rows(
        db, "SELECT arg0, count(*), sum(fault) FROM hx_str GROUP BY 1"))
    assert strs == {"": (300, 0), "alpha": (300, 0), "x" * 256: (300, 0),
                    "J\u00fcrgen M": (300, 0)}, strs
