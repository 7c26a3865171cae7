# SPDX-License-Identifier: MIT
"""Test plan: Go functions under the recorder (go: specs), with Debian's Go 1.19.

go-1  The example web server (default build and -gcflags=all=-l): N requests with known
      parameters give exactly N entries and N returns of main.prepareAnswer with the exact
      name, year and status and the exact returned string, each return on the goroutine of
      its entry; main.checkSite's entries and returns pair by goroutine, with the 2 ms its
      helper goroutine sleeps inside every pair; runtime.newproc1 shows, symbolized, the N
      helper goroutines checkSite started. Loaded, the view go_main_prepareAnswer has N rows
      (one per call, its arguments) and go_main_prepareAnswer__return N rows (its result);
      info and report name the entry go:F and the return go:F:return.
go-2  A recursive function 10,000 levels deep, called 100,000 times in all while its stack
      grows: exactly 100,000 entries and returns, the program's own result, no crash.
go-3  A stripped binary (-ldflags='-s -w'): functions are still found by name (pclntab).
go-4  Errors: a go: spec on a non-Go binary; an inlined function is named as such, and a glob
      says how many functions it matched only inlined (once).
"""
import os
import re
import subprocess
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from conftest import FIXTURES, SOURCE_DIR, TRACETAPE, db_rows, need_bpf, run, tape_events, tt

GO = Path("/usr/lib/go-1.19/bin/go")


@pytest.fixture(scope="module")
def gobuild(tmp_path_factory):
    if not GO.exists():
        pytest.skip("needs Debian's golang-1.19-go (scripts/deps.sh test installs it)")
    cache = tmp_path_factory.mktemp("gocache")
    env = dict(os.environ, HOME=str(cache), GOCACHE=str(cache / "build"),
               GOPATH=str(cache / "path"), GOFLAGS="-mod=mod", GOTOOLCHAIN="local",
               CGO_ENABLED="0")

    def build(src, out, *flags):
        r = run([GO, "build", *flags, "-o", out, "."], cwd=src, env=env, timeout=600)
        assert r.returncode == 0, r.stderr
        return Path(out)
    return build


def start(args):
    p = subprocess.Popen([str(TRACETAPE), "record", *map(str, args)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "go-server: listening on" in line:
            return p, lines
    p.kill()
    p.communicate(timeout=30)
    pytest.fail("server never listened:\n" + "".join(lines))


def pair_by_goroutine(events, func):
    """Entries and returns of func paired per goroutine (a stack each): [(entry, return)]."""
    open_ = defaultdict(list)
    pairs = []
    for e in events:
        if e["probe"] == f"go:{func}":
            open_[e["goid"]].append(e)
        elif e["probe"] == f"go:{func}:return":
            assert open_[e["goid"]], f"a return of {func} without an entry on goroutine {e['goid']}"
            pairs.append((open_[e["goid"]].pop(), e))
    assert not any(open_.values()), f"entries of {func} without a return"
    return pairs


@pytest.mark.kernels
@pytest.mark.parametrize("flags", [[], ["-gcflags=all=-l"]], ids=["optimized", "noinline"])
def test_server_arguments_results_goroutines(gobuild, tmp_path, flags, attach):
    need_bpf()
    server = gobuild(SOURCE_DIR / "examples" / "go-server", tmp_path / "server", *flags)
    tape = tmp_path / "go.tape"
    port = 18400 + (os.getpid() % 500) + (7 if flags else 0)
    people = [("Ada", 1815), ("Grace", 1906), ("Alan", 1912), ("Barbara", 1939), ("Ken", 1943)]
    n = 2 * len(people)
    rec, _ = start(["--attach", attach, "-o", tape, "go:main.*", "go:runtime.newproc1", "--",
                    server, "-addr", f"127.0.0.1:{port}", "-requests", n])
    answers = []
    for k in range(n):
        name, year = people[k % len(people)]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?name={name}&year={year}",
                                    timeout=30) as resp:
            answers.append(resp.read().decode().strip())
    _, err = rec.communicate(timeout=60)
    assert rec.returncode == 0, err
    assert "server exited with status 0" in err
    events = tape_events(tape)
    pairs = pair_by_goroutine(events, "main.prepareAnswer")
    assert len(pairs) == n
    for k, (entry, ret) in enumerate(pairs):
        name, year = people[k % len(people)]
        assert entry["args"] == {"name": name, "year": year, "status": 200}
        assert ret["args"] == {"r0": answers[k]}
        assert entry["goid"] == ret["goid"] and entry["goid"] > 0
    checks = pair_by_goroutine(events, "main.checkSite")
    assert len(checks) == n
    for entry, ret in checks:
        assert ret["args"] == {"r0": 200}
        assert ret["ts"] - entry["ts"] >= 2_000_000  # the helper goroutine sleeps 2 ms
    # the helper goroutines are different goroutines, entered and left on their own
    helpers = pair_by_goroutine(events, "main.checkSite.func1")
    assert len(helpers) == n
    assert not {e["goid"] for e, _ in helpers} & {e["goid"] for e, _ in checks}
    # goroutine creation, symbolized: each checkSite started its helper goroutine
    created = Counter((e["args"]["fn"], e["args"]["callerpc"]) for e in events
                      if e["probe"] == "go:runtime.newproc1")
    assert created[("main.checkSite.func1", "main.checkSite")] == n
    assert created[("main.main.func1", "main.main")] == 1
    # the database: one view of the calls (arguments), one of the returns (results)
    db = tmp_path / "go.db"
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    assert db_rows(db, "SELECT count(*) FROM go_main_prepareAnswer") == [(n,)]
    assert db_rows(db, "SELECT count(*) FROM go_main_prepareAnswer__return") == [(n,)]
    assert db_rows(db, "SELECT name, year, status FROM go_main_prepareAnswer ORDER BY ts") == [
        (*people[k % len(people)], 200) for k in range(n)]
    assert db_rows(db, "SELECT r0 FROM go_main_prepareAnswer__return ORDER BY ts") == [
        (a,) for a in answers]
    assert db_rows(db, "SELECT count(*), sum(r0 = 200) FROM go_main_checkSite__return") == [(n, n)]
    assert db_rows(db, "SELECT count(*) FROM spans WHERE name = 'main.prepareAnswer'") == [(n,)]
    # info and report tell the entry from the return
    for cmd in (["info", tape], ["report", "--raw", db]):
        r = tt(*cmd)
        assert r.returncode == 0, r.stderr
        for label in ("go:main.checkSite", "go:main.checkSite:return"):
            assert re.search(rf"^ +(\d+  )?{re.escape(label)} +{n} ", r.stdout, re.M), (label, r.stdout)


@pytest.mark.kernels
def test_deep_recursion_exact_counts(gobuild, tmp_path, attach):
    need_bpf()
    exe = gobuild(FIXTURES / "go" / "deep", tmp_path / "deep")
    tape = tmp_path / "deep.tape"
    r = tt("record", "--attach", attach, "-o", tape, "go:main.Walk", "--", exe, timeout=1200)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "100000"
    assert re.search(r"recorded \d+ events \(0 lost\)", r.stderr), r.stderr
    counts = Counter(e["probe"] for e in tape_events(tape))
    assert counts["go:main.Walk"] == 100000
    assert counts["go:main.Walk:return"] == 100000


@pytest.mark.kernels
def test_stripped_binary(gobuild, tmp_path, attach):
    need_bpf()
    exe = gobuild(FIXTURES / "go" / "recursive", tmp_path / "stripped", "-ldflags=-s -w")
    assert "] .symtab" not in run(["readelf", "-S", exe]).stdout
    tape = tmp_path / "s.tape"
    r = tt("record", "--attach", attach, "-o", tape, f"go:{exe}:main.Fib", "--", exe,
           timeout=900)
    assert r.returncode == 0, r.stderr
    counts = Counter(e["probe"] for e in tape_events(tape))
    assert counts["go:main.Fib"] == 21891      # Fib(20) makes 21891 calls
    assert counts["go:main.Fib:return"] == 21891


def test_errors(gobuild, tmp_path):
    need_bpf()
    r = tt("record", "-o", tmp_path / "x.tape", "go:/bin/true:main.main")
    assert r.returncode == 1
    assert r.stderr == "tracetape record: error: /bin/true: not a Go binary\n"
    exe = gobuild(FIXTURES / "go" / "args", tmp_path / "args")
    r = tt("record", "-o", tmp_path / "y.tape", f"go:{exe}:main.Small")
    assert r.returncode == 1
    assert f"{exe}: main.Small is inlined into its callers and has no code of its own; " \
           "rebuild with -gcflags=all=-l to trace it" in r.stderr
    assert f"no probe matched 'go:{exe}:main.Small'" in r.stderr
    # a glob says what it missed because it was inlined: once, with the count
    r = tt("record", "-o", tmp_path / "z.tape", f"go:{exe}:main.Sm*")
    assert r.returncode == 1
    assert (f"{exe}: 1 function matching 'main.Sm*' was inlined into its callers and has no code "
            "of its own (such as main.Small); rebuild with -gcflags=all=-l to trace it") in r.stderr
    assert r.stderr.count("inlined") == 1
