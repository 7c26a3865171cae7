# SPDX-License-Identifier: MIT
"""Test plan: static probes in Go code (`tracetape gen-go`, schemas/GO_PROBES.md), Debian's Go 1.19.

gp-1  gen-go: the example's committed package is exactly what gen-go makes of its probes.d;
      the generated package passes go vet and gofmt, and builds for another architecture
      (arm64: probes that do nothing); -o, --package and bad input are errors with exit codes.
gp-2  Every argument kind (int8..int64, uint8..uint64 at their limits, float32, float64,
      string with NUL and UTF-8 bytes, an empty string, []byte with NULs, uintptr) recorded
      exactly, with the goroutine id the program saw, in an ordinary build and a stripped PIE
      build, from registers and (past the twelfth word) from the stack; list shows the probes
      with names, kinds and semaphores. The ordinary build also in the kernel matrix: the
      program sees its semaphores raised (...Enabled() is true) on every kernel.
gp-3  list --json gives the source of the probes' kinds and names as "gen-go". The
      semaphore is a real USDT semaphore: 0 before the recorder attaches to a running
      process, 1 while it records (the generated ...Enabled() says true), 0 after; the probes
      fired while recording are in the tape, exactly, and none of the others.
gp-4  examples/go-service: requests with known routes, recorded from the first line of main
      (stripped PIE build), loaded: request spans, routes, statuses and query strings equal
      the service's own log, with goroutine ids; spans pair by id (the query's end runs on
      another thread than its begin at times).
gp-5  The goroutine id comes from R15, where each probe function loads it from g at the offset
      of its Go version's runtime.g (build-constrained files), only when the descriptor's
      offset is the binary's: a function made to load a constant there records that constant;
      a package whose recorded offset is not the binary's (its function then loads something
      else) is read through g as for go: probes, and its goroutine ids are still exact.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import (FIXTURES, SOURCE_DIR, TRACETAPE, db_rows, need_bpf, run, start_recorder,
                      stop_recorder, tape_events, tt)

GO = Path("/usr/lib/go-1.19/bin/go")
GOFMT = Path("/usr/lib/go-1.19/bin/gofmt")
EXAMPLE = SOURCE_DIR / "examples" / "go-service"


@pytest.fixture(scope="module")
def goenv(tmp_path_factory):
    if not GO.exists():
        pytest.skip("needs Debian's golang-1.19-go (scripts/deps.sh test installs it)")
    cache = tmp_path_factory.mktemp("gocache")
    return dict(os.environ, HOME=str(cache), GOCACHE=str(cache / "build"),
                GOPATH=str(cache / "path"), GOFLAGS="-mod=mod", GOTOOLCHAIN="local",
                CGO_ENABLED="0")


def gobuild(env, src, out, *flags):
    r = run([GO, "build", *flags, "-o", out, "."], cwd=src, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    return Path(out)


@pytest.fixture(scope="module")
def kinds_src(goenv, tmp_path_factory):
    """The fixture program with its probe package generated."""
    src = tmp_path_factory.mktemp("kinds") / "src"
    shutil.copytree(FIXTURES / "go" / "probes", src)
    (src / "kinds").mkdir()
    r = tt("gen-go", src / "kinds.d", "-o", src / "kinds" / "kinds.go")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stderr
    return src


def test_gen_go_example_vet_other_arch(goenv, tmp_path, kinds_src):
    out = tmp_path / "probes"
    out.mkdir()
    r = tt("gen-go", EXAMPLE / "probes" / "probes.d", "-o", out / "probes.go")
    assert r.returncode == 0, r.stderr
    names = ["probes.go", "probes_amd64.s", "probes_goid123_amd64.go", "probes_goid_amd64.go",
             "probes_other.go"]
    for name in names:
        assert (out / name).read_text() == (EXAMPLE / "probes" / name).read_text(), \
            f"examples/go-service/probes/{name} is stale: regenerate it with gen-go"
    assert sorted(p.name for p in out.iterdir()) == names
    assert "const ttGoidOff_" in (out / "probes_goid_amd64.go").read_text()
    r = run([GOFMT, "-l", "kinds"], cwd=kinds_src)
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr
    for arch in ("amd64", "arm64"):
        r = run([GO, "vet", "./..."], cwd=kinds_src, env=dict(goenv, GOARCH=arch), timeout=600)
        assert r.returncode == 0, (arch, r.stderr)
    r = run([GO, "build", "-o", os.devnull, "."], cwd=kinds_src, env=dict(goenv, GOARCH="arm64"),
            timeout=600)
    assert r.returncode == 0, r.stderr


def test_gen_go_errors(tmp_path):
    bad = tmp_path / "bad.d"
    bad.write_text("provider app {\n  probe x(my_t v);\n};\n")
    good = EXAMPLE / "probes" / "probes.d"
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    cases = [
        ([good], 2, "name the Go file to write (-o FILE.go)"),
        ([good, "-o", pkg / "p.txt"], 2, f"-o '{pkg / 'p.txt'}': expected a file name ending in .go"),
        ([good, "-o", pkg / "p.go", "--package", "func"], 2, "'func' is not a Go package name"),
        ([good, "-o", tmp_path / "a-b" / "p.go"], 2,
         "the directory name 'a-b' is not a Go package name: give one with --package"),
        ([bad, "-o", pkg / "p.go"], 1,
         f"{bad}: app:x (line 2): argument 0 (my_t v) has no Go type"),
        ([tmp_path / "missing.d", "-o", pkg / "p.go"], 1,
         f"{tmp_path / 'missing.d'}: No such file or directory"),
        ([good, "-o", tmp_path / "nodir" / "p.go", "--package", "p"], 1,
         f"{tmp_path / 'nodir' / 'p.go'}: No such file or directory"),
    ]
    for args, code, msg in cases:
        r = tt("gen-go", *args)
        assert r.returncode == code, (args, r.stderr)
        assert msg in r.stderr, (args, r.stderr)
    assert list(pkg.iterdir()) == []  # nothing half-written
    assert not (tmp_path / "nodir").exists()


def expected(printed):
    """The events one printed round stands for: [(probe, args)], in firing order."""
    ints = dict(printed["ints"], u64=int(printed["ints"]["u64"]))
    return [("gokinds:ints", ints), ("gokinds:floats", printed["floats"]),
            ("gokinds:text", printed["text"]), ("gokinds:job__begin", printed["job__begin"]),
            ("gokinds:job__end", printed["job__end"]), ("gokinds:nothing", printed["nothing"]),
            ("gokinds:many", printed["many"])]


def check_rounds(events, printed):
    got = [e for e in events if e["probe"].startswith("gokinds:")]
    want = [(p, a, r["goid"]) for r in printed for p, a in expected(r)]
    assert [(e["probe"], e["args"], e["goid"]) for e in got] == want


# In the kernel matrix only the ordinary build: a PIE build recompiles the standard library,
# which takes over ten minutes in a guest under qemu's emulation.
@pytest.mark.parametrize("build", [pytest.param("exec", marks=pytest.mark.kernels),
                                   "pie-stripped"])
def test_every_kind_exact(goenv, kinds_src, tmp_path, build, attach):
    need_bpf()
    flags = ["-buildmode=pie", "-ldflags=-s -w"] if build != "exec" else []
    exe = kinds_src.parent / f"probes-{build}"  # built once per flavor (slow in the VM guests)
    if not exe.exists():
        gobuild(goenv, kinds_src, exe, *flags)
    if build != "exec":
        assert "] .symtab" not in run(["readelf", "-S", exe]).stdout
        assert "DYN" in run(["readelf", "-h", exe]).stdout
    r = tt("list", exe)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^  gokinds:ints +1  0x[0-9a-f]+ +s8 i8, s16 i16, s32 i32, s64 i64, u8 u8, "
                     r"u16 u16, u32 u32, u64 u64 ", r.stdout, re.M), r.stdout
    assert re.search(r"^  gokinds:text +1  0x[0-9a-f]+ +bytes s, bytes raw, bytes empty, ptr p ",
                     r.stdout, re.M), r.stdout
    assert re.search(r"^  gokinds:many +1  0x[0-9a-f]+ +bytes s0, .* 8@96\(%rsp\) -8@112\(%rsp\)$",
                     r.stdout, re.M), r.stdout  # past the registers: on the stack
    assert r.stdout.startswith(f"{exe}: 7 probes, 7 sites\n")
    tape = tmp_path / "k.tape"
    r = tt("record", "--attach", attach, "-o", tape, "usdt:gokinds:*", "--", exe, "-rounds", "3",
           timeout=300)
    assert r.returncode == 0, r.stderr
    assert "recording 7 probes (7 sites in 1 binary)" in r.stderr
    printed = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(printed) == 3 and all(p["enabled"] for p in printed)
    check_rounds(tape_events(tape), printed)


@pytest.mark.parametrize("tamper", ["r15-constant", "offset-not-the-binarys"])
def test_goid_r15_or_fallback(goenv, kinds_src, tmp_path, tamper):
    need_bpf()
    src = tmp_path / "src"
    shutil.copytree(kinds_src, src)
    if tamper == "r15-constant":
        # the descriptor's offset is Go 1.19's (152): R15 is taken as the goroutine id
        asm = src / "kinds" / "kinds_amd64.s"
        text, n = re.subn(r"MOVQ const_ttGoidOff_[0-9a-f]+\(R14\), R15", "MOVQ $7777, R15",
                          asm.read_text())
        assert n == 7
        asm.write_text(text)
    else:
        # the functions load g+8 (the stack's end) and the descriptor says 8, which is not
        # where Go 1.19 keeps the id: the recorder reads it from g at 152 instead
        const = src / "kinds" / "kinds_goid_amd64.go"
        text, n = re.subn(r"(const ttGoidOff_[0-9a-f]+ =) 152\n", r"\1 8\n", const.read_text())
        assert n == 1
        const.write_text(text)
    exe = gobuild(goenv, src, tmp_path / "probes")
    tape = tmp_path / "g.tape"
    r = tt("record", "-o", tape, "usdt:gokinds:*", "--", exe, "-rounds", "2", timeout=300)
    assert r.returncode == 0, r.stderr
    printed = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(printed) == 2
    if tamper == "r15-constant":
        events = [e for e in tape_events(tape) if e["probe"].startswith("gokinds:")]
        assert len(events) == 2 * len(expected(printed[0]))
        assert {e["goid"] for e in events} == {7777}
    else:
        check_rounds(tape_events(tape), printed)


def read_sema(pid, addr):
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as f:
        f.seek(addr)
        return struct.unpack("<H", f.read(2))[0]


def test_semaphore_attach_detach(goenv, kinds_src, tmp_path):
    need_bpf()
    exe = gobuild(goenv, kinds_src, tmp_path / "probes")
    r = tt("list", "--json", exe)
    assert r.returncode == 0, r.stderr
    probes = json.loads(r.stdout)["files"][0]["probes"]
    semas = {p["name"]: p["semaphore"] for p in probes}
    # kinds and names from the package's descriptor, not from a note
    assert {a["source"] for p in probes for a in p["args"]} == {"gen-go"}
    assert len(semas) == 7 and len(set(semas.values())) == 7
    prog = subprocess.Popen([exe, "-stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    rec = None
    try:
        def fire():
            prog.stdin.write("fire\n")
            prog.stdin.flush()
            return json.loads(prog.stdout.readline())

        # a round first: Popen returns once exec began, maybe before the file is mapped
        before = fire()
        assert before["enabled"] is False
        assert {n: read_sema(prog.pid, a) for n, a in semas.items()} == dict.fromkeys(semas, 0)
        tape = tmp_path / "s.tape"
        rec = start_recorder("-o", tape, "-p", prog.pid, "usdt:gokinds:*")
        assert {n: read_sema(prog.pid, a) for n, a in semas.items()} == dict.fromkeys(semas, 1)
        during = fire()
        assert during["enabled"] is True
        code, err = stop_recorder(rec)
        rec = None
        assert code == 0, err
        assert {n: read_sema(prog.pid, a) for n, a in semas.items()} == dict.fromkeys(semas, 0)
        after = fire()
        assert after["enabled"] is False
        check_rounds(tape_events(tape), [during])
    finally:
        if rec:
            rec.kill()
            rec.communicate(timeout=30)
        prog.stdin.close()
        prog.wait(timeout=30)
    assert prog.returncode == 0


def test_go_service(goenv, tmp_path):
    need_bpf()
    exe = gobuild(goenv, EXAMPLE, tmp_path / "go-service", "-buildmode=pie", "-ldflags=-s -w")
    port = 18900 + os.getpid() % 500
    tape = tmp_path / "svc.tape"
    rec = subprocess.Popen([str(TRACETAPE), "record", "-o", str(tape), "usdt:goservice:*", "--", str(exe),
                            "-addr", f"127.0.0.1:{port}"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = rec.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "go-service: listening on" in line:
            break
    else:
        rec.kill()
    assert lines and "go-service: listening on" in lines[-1], "".join(lines)
    routes = ["/hello", "/items/5", "/items/200", "/items/x", "/nope", "/items/13", "/items/0",
              "/hello", "/quit"]
    for route in routes:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{route}", timeout=30) as resp:
                resp.read()
        except urllib.error.HTTPError as e:
            e.read()
    out, err = rec.communicate(timeout=60)
    assert rec.returncode == 0, err
    log = [dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line)) | {"kind": line.split()[0]}
           for line in out.splitlines()]
    requests = [l for l in log if l["kind"] == "request"]
    queries = [l for l in log if l["kind"] == "query"]
    assert [json.loads(r["route"]) for r in requests] == routes
    assert len(queries) == 3
    events = tape_events(tape)
    begins = {e["args"]["id"]: e for e in events if e["probe"] == "goservice:request__begin"}
    ends = {e["args"]["id"]: e for e in events if e["probe"] == "goservice:request__end"}
    assert len(begins) == len(ends) == len(routes)
    for r in requests:
        i = int(r["id"])
        assert begins[i]["args"] == {"id": i, "method": r["method"], "route": json.loads(r["route"])}
        assert ends[i]["args"] == {"id": i, "status": int(r["status"]), "bytes": int(r["bytes"])}
        assert begins[i]["goid"] == ends[i]["goid"] == int(r["goid"])
    qb = {e["args"]["id"]: e for e in events if e["probe"] == "goservice:query__begin"}
    qe = {e["args"]["id"]: e for e in events if e["probe"] == "goservice:query__end"}
    for q in queries:
        i = int(q["id"])
        assert qb[i]["args"] == {"id": i, "sql": json.loads(q["sql"])}
        assert qe[i]["args"] == {"id": i, "rows": int(q["rows"]), "ms": float(q["ms"])}
        assert qb[i]["goid"] == qe[i]["goid"] == int(q["goid"])
    db = tmp_path / "svc.db"
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    rows = db_rows(db, "SELECT name, goid, end_ts - start_ts FROM spans WHERE name IN "
                       "('goservice:request', 'goservice:query', 'request', 'query') "
                       "ORDER BY start_ts")
    assert sorted((n.split(":")[-1], g) for n, g, _ in rows) == sorted(
        [("request", int(r["goid"])) for r in requests] + [("query", int(q["goid"])) for q in queries])
    assert all(d is not None and d >= 0 for _, _, d in rows)
    assert db_rows(db, "SELECT route FROM goservice_request__begin ORDER BY ts") == [
        (r,) for r in routes]
