# SPDX-License-Identifier: MIT
"""Test plan: `record --stack` and the stacks of `load`.

stk-1  a chain of functions known exactly (tests/fixtures/stack_fixture.c, frame pointers, no
       inlining, no tail calls), a process gone at once and one that lives on: every hit of
       the probe asked for has its stack, the stack is stored once, and its innermost frames are stk_inner, stk_middle, stk_outer, main, in
       the fixture's file with its build id; the probe not asked for has no stacks.
       replay prints the frames under each hit (text) and in it (JSON).
       report: the probe's stacks in text, a flame graph of its frames in HTML, and the
       stacks of the slowest spans of a span name.
stk-2  the binary gone when the tape is loaded: the frames keep file and offset, unnamed.
stk-3  --stack matching no probe of a program: a clear error, exit 1.
stk-4  a uprobe at a function's entry, where the frame pointer is still the caller's: the
       caller is not skipped (its return address is read at the stack pointer).
stk-5  stacks that cannot be sent (deeper than a 4 KiB ring buffer can hold) are counted per
       probe: the summary says how many hits of which probe have no stack, the tape's meta
       probe_stack_lost holds the count, every hit is recorded, none with a stack; a recording
       without such drops has no such meta (stk-1).
stk-6  C++ exceptions (tests/fixtures/cxx_throw_fixture.cc, frame pointers; libstdc++'s
       __cxa_throw has none, its CFI says where its caller's frame is): --preset
       cxx-exceptions records the stack of every throw by default; the frames are __cxa_throw,
       app::fail_stock(int), app::check_stock(int), app::Shop::order(int), main; the HTML
       report's flame graph of libstdcxx:throw has those frames, demangled, outermost on top,
       one row each. --no-stack records none.
stk-7  --stack-mode dwarf: the fixture built with -fomit-frame-pointer; the copy of the stack
       top is unwound by the recorder with the binary's CFI: stk_inner, stk_middle, stk_outer,
       main, exactly, then the C library's start-up; the same binary in fp mode loses the chain
       after stk_middle (its functions keep no frame pointer). The tape says stack_mode.
stk-8  usage: --stack-mode other than fp or dwarf, --stack with --no-stack: exit 2.
stk-9  a tracepoint's kernel stack (--stack tracepoint:sched:sched_process_exec, and
       syscalls:sys_enter_openat, whose stack 6.1 does not give BPF: walked from the program,
       its own callers left out) of a shell running two commands: every hit has a stack, its frames are in module [kernel] with the running
       kernel's build id (/sys/kernel/notes), named by functions of /proc/kallsyms, the syscall
       entry path among them (do_syscall_64); no frame is unnamed; replay prints them, the HTML
       report's flame graph has them. Security (issue 23): the tape, every block decompressed,
       holds no kernel text address, neither as a 64-bit word nor as a varint. A tracepoint
       glob matching no recorded tracepoint is an error (exit 1).
stk-10 Go (tests/fixtures/go/stack, Debian's Go 1.19): main.main -> main.outer -> main.middle ->
       main.inner -> the generated probe gostk:leaf, N times: every hit of the probe and of
       go:main.inner (entry and return) has its stack, and each is exactly, frame by frame,
       the probe's function (gen-go's, of no frame: its caller is not skipped), main.inner,
       main.middle, main.outer, main.main, runtime.main, runtime.goexit, every frame in the
       binary (its path and build id); replay prints the same under each hit.
       Go 1.19's binaries have no build id the kernel sees: a process gone before the recorder
       read its maps has its frames placed in the binary (ET_EXEC: fixed addresses); one that
       lives on, through its maps; the default and a stripped build (-s -w: no .symtab, the
       frames named from the pclntab) give the same names.
stk-11 The chain run by a goroutine of its own (a WaitGroup waits for it): its stack ends in
       the goroutine's function (main.main.func1) and runtime.goexit.
"""
import hashlib
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, build_c, db_rows, need_bpf, need_program, run, tt
from test_goprobes import gobuild, goenv  # noqa: F401 (goenv: a fixture)

HITS = 20
CHAIN = ["stk_inner", "stk_middle", "stk_outer", "main"]


@pytest.fixture(scope="module")
def stack_bin(tmp_path_factory):
    out = tmp_path_factory.mktemp("stk") / "stack_fixture"
    return build_c("stack_fixture.c", out,
                   extra=["-fno-omit-frame-pointer", "-fno-optimize-sibling-calls"])


def build_id(path):
    r = subprocess.run(["readelf", "-n", str(path)], capture_output=True, text=True, check=True)
    for line in r.stdout.splitlines():
        if "Build ID:" in line:
            return line.split("Build ID:")[1].strip()
    raise AssertionError("no build id")


def record_and_load(binary, tmp_path, attach="auto", pause_ms=0):
    tape, db = tmp_path / "s.tape", tmp_path / "s.db"
    r = tt("record", "--attach", attach, "-o", tape, "--stack", "stk:leaf", "usdt:stk:*", "--",
           binary, str(HITS), str(pause_ms), timeout=300)
    assert r.returncode == 0, r.stderr
    assert "(0 lost)" in r.stderr, r.stderr
    return tape, db


@pytest.mark.kernels
@pytest.mark.parametrize("pause_ms", [0, 25])
def test_stack_frames_exact(stack_bin, tmp_path, attach, pause_ms):
    # no pause: the process is gone before the recorder reads its maps, the kernel places
    # every frame; 25 ms between hits: once the recorder has read them, stacks come as bare
    # addresses placed by the recorder. Either way: the same frames, one stack.
    need_bpf()
    tape, db = record_and_load(stack_bin, tmp_path, attach, pause_ms)
    info = json.loads(tt("info", "--json", tape).stdout)
    assert "probe_stack_lost" not in info["meta"], info["meta"]
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    counts = dict(db_rows(db, "SELECT p.name, count(s.stack_id) FROM events e "
                              "JOIN probes p ON p.id = e.probe_id "
                              "LEFT JOIN event_stacks s ON s.event_id = e.id "
                              "WHERE p.provider = 'stk' GROUP BY p.name"))
    assert counts == {"leaf": HITS, "plain": 0}
    # every hit came the same way: one stack, stored once
    stacks = db_rows(db, "SELECT DISTINCT stack_id FROM event_stacks")
    assert len(stacks) == 1 and db_rows(db, "SELECT count(*) FROM stacks") == [(1,)]
    frames = db_rows(db, "SELECT depth, module, build_id, symbol FROM frames WHERE stack_id = ? "
                         "ORDER BY depth", stacks[0])
    assert len(frames) > len(CHAIN)  # and beyond main: the C library's start-up
    bid = build_id(stack_bin)
    for depth, name in enumerate(CHAIN):
        assert frames[depth] == (depth, str(stack_bin), bid, name), frames
    folded = db_rows(db, "SELECT folded FROM stacks")[0][0]
    assert folded.endswith(";main;stk_outer;stk_middle;stk_inner"), folded

    # replay: each stk:leaf line is followed by its frames, stk:plain by none
    r = tt("replay", tape)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    leaf = [i for i, line in enumerate(lines) if " stk:leaf " in line]
    assert len(leaf) == HITS
    for i in leaf:
        got = [re.match(r"\t(\w+)\+0x[0-9a-f]+ \((.*?)\)(?: \S+:\d+)?$", line)
               for line in lines[i + 1:i + 5]]
        assert [(m.group(1), m.group(2)) for m in got] == [(n, str(stack_bin)) for n in CHAIN]
    for i, line in enumerate(lines):
        if " stk:plain " in line and i + 1 < len(lines):
            assert not lines[i + 1].startswith("\t"), lines[i + 1]
    r = tt("replay", "-f", "json", tape)
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    for e in events:
        if e["probe"] == "stk:leaf":
            assert [f["symbol"] for f in e["stack"][:4]] == CHAIN
            assert all(f["module"] == str(stack_bin) for f in e["stack"][:4])
        else:
            assert "stack" not in e

    # report: spans from stk:leaf to stk:plain on each thread; their start events have stacks
    db2 = tmp_path / "spans.db"
    r = tt("load", "-q", "-o", db2, "--span", "work=stk:leaf,stk:plain", tape)
    assert r.returncode == 0, r.stderr
    r = tt("report", "--top", "5", db2)
    assert r.returncode == 0, r.stderr
    text = r.stdout[r.stdout.index("Call stacks"):]
    chain = " > ".join(reversed(CHAIN))
    assert f"  probe stk:leaf: {HITS} hits with a stack, 1 distinct\n" in text
    assert re.search(rf"\n +{HITS} 100.0%  .*{chain}\n", text), text
    assert "  span work: the 5 slowest with a stack, 1 distinct\n" in text
    assert re.search(rf"\n +5 100.0%  max +\S+ .*{chain}\n", text), text
    html = tmp_path / "r.html"
    r = tt("report", "-o", html, db2)
    assert r.returncode == 0, r.stderr
    page = html.read_text()
    assert page.count('<svg class="flame"') == 2
    for name in CHAIN:
        assert f"<title>{name} ({HITS}, 100.0%)</title>" in page


@pytest.mark.kernels
def test_missing_binary_leaves_addresses(stack_bin, tmp_path):
    need_bpf()
    binary = tmp_path / "gone"
    shutil.copy(stack_bin, binary)
    tape, db = record_and_load(binary, tmp_path)
    binary.unlink()
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    rows = db_rows(db, "SELECT depth, symbol, offset FROM frames WHERE module = ? ORDER BY depth",
                   (str(binary),))
    assert [d for d, _, _ in rows] == [0, 1, 2, 3]
    assert all(sym is None and off > 0 for _, sym, off in rows), rows
    folded = db_rows(db, "SELECT folded FROM stacks")[0][0]
    assert folded.endswith(";".join(f"0x{off:x}" for _, _, off in reversed(rows))), folded


def test_stack_glob_matching_nothing(stack_bin, tmp_path):
    need_bpf()
    r = tt("record", "-o", tmp_path / "x.tape", "--stack", "nosuch:*", "usdt:stk:*", "--",
           stack_bin, "1", timeout=120)
    assert r.returncode == 1, r.stderr
    assert "--stack 'nosuch:*': no recorded probe of a program matches it" in r.stderr


@pytest.mark.kernels
def test_uprobe_entry_keeps_the_caller(stack_bin, tmp_path):
    need_bpf()
    tape, db = tmp_path / "u.tape", tmp_path / "u.db"
    r = tt("record", "-o", tape, "--stack", "stk_inner", f"uprobe:{stack_bin}:stk_inner", "--",
           stack_bin, str(HITS), "25", timeout=300)
    assert r.returncode == 0, r.stderr
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    assert db_rows(db, "SELECT count(*) FROM event_stacks") == [(HITS,)]
    for (sid,) in db_rows(db, "SELECT DISTINCT stack_id FROM event_stacks"):
        names = [n for (n,) in db_rows(db, "SELECT symbol FROM frames WHERE stack_id = ? "
                                            "ORDER BY depth", (sid,))]
        assert names[:4] == CHAIN, names


def test_stack_drops_are_counted(stack_bin, tmp_path):
    # 150 frames deep: the kernel's walk gives 127 frames, each placed by build id (32 bytes):
    # a record of 4,112 bytes that a ring buffer of 4 KiB can never hold. Every stack is
    # dropped, so none reaches the recorder, which therefore never asks for bare addresses.
    need_bpf()
    tape, db = tmp_path / "d.tape", tmp_path / "d.db"
    r = tt("record", "--buffer-size", "4K", "-o", tape, "--stack", "stk:leaf", "usdt:stk:*", "--",
           stack_bin, str(HITS), "5", "150", timeout=300)
    assert r.returncode == 0, r.stderr
    assert "(0 lost)" in r.stderr, r.stderr
    assert f"warning: {HITS} of {HITS} hits of stk:leaf have no stack (" in r.stderr, r.stderr
    assert "hits of stk:plain have no stack" not in r.stderr
    info = json.loads(tt("info", "--json", tape).stdout)
    leaf = [p["id"] for p in info["probes"] if (p["provider"], p["name"]) == ("stk", "leaf")]
    assert info["meta"]["probe_stack_lost"] == f"{leaf[0]}={HITS}", info["meta"]
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    assert db_rows(db, "SELECT count(*) FROM events e JOIN probes p ON p.id = e.probe_id "
                       "WHERE p.provider = 'stk' AND p.name = 'leaf'") == [(HITS,)]
    assert db_rows(db, "SELECT count(*) FROM event_stacks") == [(0,)]


CXX_CHAIN = ["__cxa_throw", "app::fail_stock(int)", "app::check_stock(int)",
             "app::Shop::order(int)", "main"]


@pytest.fixture(scope="module")
def cxx_bin(tmp_path_factory):
    out = tmp_path_factory.mktemp("cxx") / "cxx_throw_fixture"
    # -fno-reorder-blocks-and-partition: the throw stays in fail_stock, not a .cold part
    return build_c("cxx_throw_fixture.cc", out, cc="g++",
                   extra=["-fno-omit-frame-pointer", "-fno-optimize-sibling-calls",
                          "-fno-reorder-blocks-and-partition"])


@pytest.mark.kernels
def test_cxx_exceptions_flame_graph(cxx_bin, tmp_path):
    need_bpf()
    tape, db, html, n = tmp_path / "x.tape", tmp_path / "x.db", tmp_path / "x.html", 6
    r = tt("record", "--preset", "cxx-exceptions", "-o", tape, "--", cxx_bin, str(n), "25",
           timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"caught {n}" in r.stdout and "(0 lost)" in r.stderr, r.stderr
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    rows = db_rows(db, "SELECT p.name, count(s.stack_id) FROM events e "
                       "JOIN probes p ON p.id = e.probe_id "
                       "LEFT JOIN event_stacks s ON s.event_id = e.id "
                       "WHERE p.provider = 'libstdcxx' GROUP BY p.name")
    assert dict(rows) == {"throw": n, "catch": 0}, rows
    for (sid,) in db_rows(db, "SELECT DISTINCT stack_id FROM event_stacks"):
        frames = db_rows(db, "SELECT symbol, module FROM frames WHERE stack_id = ? "
                             "ORDER BY depth", (sid,))
        assert [f for f, _ in frames[:5]] == CXX_CHAIN, frames
        assert [m for _, m in frames[1:5]] == [str(cxx_bin)] * 4, frames
    r = tt("report", "-o", html, db)
    assert r.returncode == 0, r.stderr
    page = html.read_text()
    svg = page[page.index("<h3>probe libstdcxx:throw "):]
    svg = svg[svg.index('<svg class="flame"'):svg.index("</svg>")]
    boxes = re.findall(r'<title>([^<]*) \((\d+), [0-9.]+%\)</title><rect x="[0-9.]+" y="(\d+)"',
                       svg)
    by_row = sorted((int(y), name, int(hits)) for name, hits, y in boxes)
    names = [name for _, name, _ in by_row]
    # outermost on top: main, then each callee one row below, __cxa_throw innermost
    top = names.index("main")
    assert names[top:top + 5] == list(reversed(CXX_CHAIN)), names
    rows_y = [y for y, _, _ in by_row[top:top + 5]]
    assert len(set(rows_y)) == 5 and rows_y == sorted(rows_y), by_row
    assert all(hits == n for _, _, hits in by_row[top:top + 5]), by_row


def test_cxx_preset_without_stacks(cxx_bin, tmp_path):
    need_bpf()
    tape = tmp_path / "n.tape"
    r = tt("record", "--preset", "cxx-exceptions", "--no-stack", "-o", tape, "--", cxx_bin, "2",
           timeout=300)
    assert r.returncode == 0, r.stderr
    info = json.loads(tt("info", "--json", tape).stdout)
    assert "stack" not in info["meta"] and info["events"] >= 4, info


@pytest.fixture(scope="module")
def nofp_bin(tmp_path_factory):
    out = tmp_path_factory.mktemp("nofp") / "stack_fixture_nofp"
    return build_c("stack_fixture.c", out,
                   extra=["-fomit-frame-pointer", "-fno-optimize-sibling-calls"])


def leaf_stacks(tmp_path, binary, mode):
    tape, db = tmp_path / f"{mode}.tape", tmp_path / f"{mode}.db"
    # 5 ms between hits: the recorder places the addresses of a copy (or of its own walk)
    # through the process's maps, which it must read while the process lives
    r = tt("record", "--stack-mode", mode, "-o", tape, "--stack", "stk:leaf", "usdt:stk:*", "--",
           binary, str(HITS), "5", timeout=300)
    assert r.returncode == 0, r.stderr
    assert "(0 lost)" in r.stderr and "have no stack" not in r.stderr, r.stderr
    info = json.loads(tt("info", "--json", tape).stdout)
    assert info["meta"]["stack_mode"] == mode, info["meta"]
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    assert db_rows(db, "SELECT count(*) FROM event_stacks") == [(HITS,)]
    return [[(sym, mod) for sym, mod in db_rows(db, "SELECT symbol, module FROM frames "
                                                    "WHERE stack_id = ? ORDER BY depth", (sid,))]
            for (sid,) in db_rows(db, "SELECT DISTINCT stack_id FROM event_stacks")]


@pytest.mark.kernels
def test_dwarf_mode_unwinds_code_without_frame_pointers(nofp_bin, tmp_path):
    need_bpf()
    stacks = leaf_stacks(tmp_path, nofp_bin, "dwarf")
    assert len(stacks) == 1, stacks
    assert stacks[0][:4] == [(n, str(nofp_bin)) for n in CHAIN], stacks
    # past main, the C library's start-up, unwound by its CFI (no frame pointers either)
    assert [s.split("@")[0] for s, _ in stacks[0][4:6]] == ["__libc_start_call_main",
                                                          "__libc_start_main"], stacks
    # frame pointers: the walk starts right (CFI of the probe's function), then finds none
    for frames in leaf_stacks(tmp_path, nofp_bin, "fp"):
        assert [s for s, _ in frames][:2] == CHAIN[:2] and len(frames) < 4, frames


@pytest.mark.parametrize("args,msg", [
    (["--stack-mode", "lbr"], "--stack-mode needs fp or dwarf, got 'lbr'"),
    (["--stack", "stk:leaf", "--no-stack"], "--stack and --no-stack contradict each other"),
])
def test_stack_usage_errors(args, msg):
    r = tt("record", *args, "usdt:/bin/true")
    assert r.returncode == 2 and msg in r.stderr, r.stderr


def kernel_text():
    """/proc/kallsyms, and the range of the kernel's addresses: _text to its highest symbol."""
    text = Path("/proc/kallsyms").read_text()
    m = re.search(r"^([0-9a-f]+) T _text$", text, re.M)
    assert m and int(m.group(1), 16), "kallsyms shows no addresses"
    # fixed-width hex: the greatest string is the greatest address
    return text, int(m.group(1), 16), int(max(line[:16] for line in text.splitlines()), 16)


def is_kernel_function(kallsyms, name):
    return any(f" {kind} {name}{end}" in kallsyms for kind in "tTwW" for end in "\n\t")


def kernel_build_id():
    data, at = Path("/sys/kernel/notes").read_bytes(), 0
    while at + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from("<III", data, at)
        desc = at + 12 + (namesz + 3) // 4 * 4
        if ntype == 3 and data[at + 12:at + 15] == b"GNU":
            return data[desc:desc + descsz].hex()
        at = desc + (descsz + 3) // 4 * 4
    raise AssertionError("no build id in /sys/kernel/notes")


def tape_payloads(path):
    """Every block's payload of a tape (schemas/TAPE_FORMAT.md 2), decompressed."""
    data = Path(path).read_bytes()
    at = struct.unpack_from("<I", data, 12)[0]
    while at + 48 <= len(data) and data[at:at + 4] == b"TTBK":
        flags, hdr_sz, stored = data[at + 5], *struct.unpack_from("<HI", data, at + 6)
        payload = data[at + hdr_sz:at + hdr_sz + stored]
        if flags & 1:
            payload = run(["zstd", "-q", "-d", "-c"], input=payload, text=False).stdout
        yield payload
        at += hdr_sz + stored + (8 - stored % 8) % 8


def varints(b):
    for i in range(len(b)):
        v, shift = 0, 0
        for k in range(i, min(i + 10, len(b))):
            v |= (b[k] & 0x7F) << shift
            shift += 7
            if not b[k] & 0x80:
                yield v
                break


@pytest.mark.kernels
def test_tracepoint_kernel_stack(tmp_path):
    need_bpf()
    need_program("zstd")
    tape, db, html = tmp_path / "k.tape", tmp_path / "k.db", tmp_path / "k.html"
    # an exec: a stack through the execve system call; openat: syscalls:sys_enter_* hand BPF
    # the user registers on 6.1, its stack is walked from the program (DESIGN.md)
    tp, op = "tracepoint:sched:sched_process_exec", "tracepoint:syscalls:sys_enter_openat"
    r = tt("record", "-o", tape, "--stack", tp, "--stack", op, tp, op, "--", "sh", "-c",
           "cat /etc/hostname; cat /etc/hostname", timeout=120)
    assert r.returncode == 0, r.stderr
    assert "(0 lost)" in r.stderr and "have no stack" not in r.stderr, r.stderr
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    hits = dict((name, (n, with_stack)) for name, n, with_stack in db_rows(
        db, "SELECT p.name, count(*), count(s.stack_id) FROM events e "
            "JOIN probes p ON p.id = e.probe_id LEFT JOIN event_stacks s ON s.event_id = e.id "
            "WHERE p.provider IN ('sched', 'syscalls') GROUP BY p.name"))
    assert hits["sched_process_exec"] == (3, 3), hits  # sh and its two cats
    opens = hits["sys_enter_openat"]
    assert opens[0] >= 2 and opens[0] == opens[1], hits
    kallsyms, lo, hi = kernel_text()
    bid = kernel_build_id()
    for (sid,) in db_rows(db, "SELECT DISTINCT stack_id FROM event_stacks"):
        frames = db_rows(db, "SELECT module, build_id, symbol, offset FROM frames "
                             "WHERE stack_id = ? ORDER BY depth", (sid,))
        assert all(m == "[kernel]" and b == bid for m, b, _, _ in frames), frames
        assert all(is_kernel_function(kallsyms, sym) for _, _, sym, _ in frames), frames
        assert "do_syscall_64" in [sym for _, _, sym, _ in frames], frames
        # none of the BPF program's own callers
        assert not {"trace_call_bpf", "bpf_get_task_stack"} & {f[2] for f in frames}, frames
        assert all(0 <= off < hi - lo + (1 << 20) for _, _, _, off in frames), frames
    r = tt("replay", tape)
    assert r.returncode == 0, r.stderr
    assert re.search(r"\n\tdo_syscall_64\+0x[0-9a-f]+ \(\[kernel\]\)\n", r.stdout), r.stdout
    r = tt("report", "-o", html, db)
    assert r.returncode == 0, r.stderr
    page = html.read_text()
    for name, (n, _) in hits.items():
        assert re.search(rf"<title>do_syscall_64 \({n}, 100.0%\)</title>", page), name
    # no kernel address anywhere in the tape: raw 64-bit words or varints (TLV, columns)
    for payload in tape_payloads(tape):
        words = [struct.unpack_from("<Q", payload, i)[0] for i in range(len(payload) - 7)]
        for v in words + list(varints(payload)):
            assert not lo <= v <= hi + (1 << 20), f"{v:#x} is in the kernel's text"

    r = tt("record", "-o", tmp_path / "n.tape", "--stack", "tracepoint:nosuch:*", tp, "--",
           "true", timeout=120)
    assert r.returncode == 1, r.stderr
    assert "--stack 'tracepoint:nosuch:*': no recorded tracepoint matches it" in r.stderr


# ---- Go (tests/fixtures/go/stack): the same exactness, Go's frames by name ----

@pytest.fixture(scope="module")
def go_stack(goenv, tmp_path_factory):
    """The Go fixture with its probe package generated; builds it as asked."""
    src = tmp_path_factory.mktemp("gostk") / "src"
    shutil.copytree(FIXTURES / "go" / "stack", src)
    (src / "probes").mkdir()
    r = tt("gen-go", src / "stack.d", "-o", src / "probes" / "probes.go")
    assert r.returncode == 0, r.stderr
    token = re.search(r"^func (ttprobe_[0-9a-f]+_Leaf)\(", (src / "probes" / "probes.go")
                      .read_text(), re.M).group(1)
    built = {}

    def build(kind):
        if kind not in built:
            # stripped: no .symtab, named from the pclntab; with a GNU build id (-B), which
            # Go 1.19 writes only when asked (and outside its PT_NOTE: the kernel sees none)
            bid = hashlib.sha1(b"tracetape go stack fixture").hexdigest()
            flags = {"default": [], "stripped": [f"-ldflags=-s -w -B 0x{bid}"]}[kind]
            built[kind] = gobuild(goenv, src, src.parent / f"stack-{kind}", *flags)
        return built[kind]
    build.probe_fn = f"tracetape.test/stack/probes.{token}"
    return build


def go_frames(db, where):
    """{stack_id: [(module, build_id, symbol), ...]} of the events matching where."""
    ids = db_rows(db, "SELECT DISTINCT s.stack_id FROM event_stacks s JOIN events e ON "
                      "e.id = s.event_id JOIN probes p ON p.id = e.probe_id WHERE " + where)
    return {sid: db_rows(db, "SELECT module, build_id, symbol FROM frames WHERE stack_id = ? "
                             "ORDER BY depth", (sid,)) for (sid,) in ids}


def record_go(binary, tmp_path, *args):
    tape, db = tmp_path / "g.tape", tmp_path / "g.db"
    r = tt("record", "-o", tape, "--stack", "gostk:leaf", "--stack", "go:main.inner",
           "usdt:gostk:*", "go:main.inner", "--", binary, *args, str(HITS), timeout=300)
    assert r.returncode == 0, r.stderr
    assert "(0 lost)" in r.stderr and "have no stack" not in r.stderr, r.stderr
    assert f"hits {HITS} " in r.stdout, r.stdout
    r = tt("load", "-q", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    # every hit has its stack: the probe's, and main.inner's entry and return
    counts = db_rows(db, "SELECT p.provider, p.name, count(*), count(s.stack_id) FROM events e "
                         "JOIN probes p ON p.id = e.probe_id LEFT JOIN event_stacks s ON "
                         "s.event_id = e.id WHERE p.provider IN ('gostk', 'go') GROUP BY p.id "
                         "ORDER BY p.id")
    assert counts == [("gostk", "leaf", HITS, HITS), ("go", "main.inner", HITS, HITS),
                      ("go", "main.inner", HITS, HITS)], counts
    return tape, db


GO_CHAIN = ["main.inner", "main.middle", "main.outer"]


@pytest.mark.parametrize("build,pause", [
    ("default", "0"), ("default", "25"), pytest.param("stripped", "0", marks=pytest.mark.kernels)])
def test_go_stack_frames_exact(go_stack, tmp_path, build, pause):
    # Go keeps frame pointers: the whole stack, exactly, down to the goroutine's first frame.
    # The probe's function (gen-go's, of no frame) and main.inner's entry and RET are sites
    # where the frame pointer is still the caller's: main.inner and main.middle are not
    # skipped. The kernel sees no build id in a Go binary to place frames by: 25 ms between
    # hits, the recorder places them through the process's maps; with none, the process is
    # gone first, and they are placed in the binary, linked at fixed addresses. Either way:
    # the same frames, one stack per probe.
    need_bpf()
    binary = go_stack(build)
    tape, db = record_go(binary, tmp_path, "-pause", pause)
    bid = build_id(binary) if build == "stripped" else None
    if build == "stripped":
        assert " .symtab " not in run(["readelf", "-SW", binary]).stdout
    outer = ["main.main", "runtime.main", "runtime.goexit"]
    leaf = go_frames(db, "p.provider = 'gostk'")
    assert len(leaf) == 1, leaf
    want = [go_stack.probe_fn] + GO_CHAIN + outer
    assert list(leaf.values())[0] == [(str(binary), bid, n) for n in want], leaf
    inner = go_frames(db, "p.provider = 'go'")
    assert len(inner) == 2, inner  # the entry's and the return's
    for frames in inner.values():
        assert frames == [(str(binary), bid, n) for n in GO_CHAIN + outer], frames
    # replay: the same frames under each hit
    r = tt("replay", tape)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    hits = [i for i, line in enumerate(lines) if " gostk:leaf " in line]
    assert len(hits) == HITS
    for i in hits:
        got = [re.match(r"\t(\S+)\+0x[0-9a-f]+ \((.*?)\)(?: \S+:\d+)?$", line) for line in
               lines[i + 1:i + 1 + len(want)]]
        assert [(m.group(1), m.group(2)) for m in got] == [(n, str(binary)) for n in want]
        assert i + 1 + len(want) == len(lines) or not lines[i + 1 + len(want)].startswith("\t")


def test_go_stack_goroutine(go_stack, tmp_path):
    # the chain run by a goroutine of its own: it ends in the goroutine's function and
    # runtime.goexit, not in runtime.main
    need_bpf()
    binary = go_stack("default")
    _, db = record_go(binary, tmp_path, "-go")
    tail = ["main.main.func1", "runtime.goexit"]
    leaf = go_frames(db, "p.provider = 'gostk'")
    want = [go_stack.probe_fn] + GO_CHAIN + tail
    assert list(leaf.values()) == [[(str(binary), None, n) for n in want]], leaf
    inner = go_frames(db, "p.provider = 'go'")
    assert [[n for _, _, n in f] for f in inner.values()] == [GO_CHAIN + tail] * 2, inner
