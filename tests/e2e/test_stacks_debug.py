# SPDX-License-Identifier: MIT
"""Test plan: the stacks of a stripped binary, named from its separate debug file.

The stack fixture (tests/fixtures/stack_fixture.c, frame pointers, -g) is split as packagers
do: `objcopy --only-keep-debug` into stack_fixture.debug, `strip --strip-all`, then
`objcopy --add-gnu-debuglink`. It is recorded once with --stack (one module-scoped recording);
each test then loads that tape with the debug file in another place, since where the debug
file is, not the recording, is what differs. Nothing is written into /usr/lib/debug: the
debug directories are temporary ones given with --debug-dir.

dbg-1  no debug file anywhere: the fixture's frames stay addresses in its file (no symbol, no
       source file or line), the load succeeds and warns of nothing.
dbg-2  DIR/.build-id/xx/rest.debug with --debug-dir DIR (load and replay): the frames table is
       exactly the one the unstripped binary gives (same stacks, depths, files, offsets,
       names, source files and lines), stk_inner, stk_middle, stk_outer, main first. (Also on
       the kernel matrix.)
dbg-10 source lines from DWARF: each frame of the chain has the fixture's source file and the
       line of the probe site (depth 0) or of its call (the return address's call): from the
       unstripped -g binary and from the stripped one with its debug file, in the frames table,
       replay's text (" FILE:LINE" after the module) and replay -f json ("file", "line").
dbg-3  by .gnu_debuglink: the debug file next to the binary, in its .debug/ directory, and
       under DIR/BINARY'S-DIRECTORY/ of a --debug-dir DIR: named the same.
dbg-4  the debug file of another build (the fixture built with -O1) under the right build-id
       name, or the right name for the debug link: not used, the frames stay addresses, and
       stderr says once which file was not used and why (its build id).
dbg-5  the right build's debug file changed after the debug link was made (its CRC-32 differs
       from the link's): not used, with a warning naming the CRC.
dbg-6  a build-id debug file is preferred to the debug link's (gdb's order): with the right one
       by build id and another build's by debug link, frames are named and nothing is said.
dbg-7  --debug-dir naming no directory: exit 2 with the name.
dbg-9  the binary gone from its path (another machine): found by build id in a build-id tree,
       D/.build-id/xx/rest (Fedora's layout; stripped, its debug file rest.debug beside it) or
       D/.build-id/xx/rest/elf (perf's buildid-cache): named the same; the debug file alone
       (no binary) does not say where the code was in the file: addresses, no error; another
       build's binary there is not used, with one warning.
dbg-8  query and report of the tape take --debug-dir too: a load of the tape without it is
       cached first, and with it the frames are named (not the cached database's addresses).
"""
import contextlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, build_c, db_rows, need_bpf, tt

HITS = 5
CHAIN = ["stk_inner", "stk_middle", "stk_outer", "main"]
FLAGS = ["-fno-omit-frame-pointer", "-fno-optimize-sibling-calls"]
FRAMES = "SELECT stack_id, depth, module, build_id, offset, symbol, sym_offset, file, line " \
         "FROM frames ORDER BY stack_id, depth"
SOURCE = FIXTURES / "stack_fixture.c"


def source_lines():
    """The lines of the chain's frames in the fixture's source, innermost first: the probe site
    in stk_inner, then the call in each caller."""
    lines = SOURCE.read_text().splitlines()

    def after(start, text):
        i = next(i for i, line in enumerate(lines) if start in line)
        return next(j for j in range(i, len(lines)) if text in lines[j]) + 1

    return [after("void stk_inner(", "TT_PROBE(stk, leaf"),
            after("void stk_middle(", "stk_inner(i);"),
            after("void stk_outer(", "stk_middle(i);"),
            after("int main(", "stk_outer(i);")]


def build_id(path):
    r = subprocess.run(["readelf", "-n", str(path)], capture_output=True, text=True, check=True)
    for line in r.stdout.splitlines():
        if "Build ID:" in line:
            return line.split("Build ID:")[1].strip()
    raise AssertionError(f"{path}: no build id")


def sh(*cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{cmd}: {r.stderr}"


class Split:
    """The fixture built once, split into a stripped binary (bin/stack_fixture, with a debug
    link to stack_fixture.debug) and its debug file, recorded once."""

    def __init__(self, root):
        self.root = root
        self.full = build_c("stack_fixture.c", root / "full", extra=FLAGS)
        self.debug = root / "stack_fixture.debug"
        sh("objcopy", "--only-keep-debug", self.full, self.debug)
        self.bindir = root / "bin"
        self.bindir.mkdir()
        self.bin = self.bindir / "stack_fixture"
        sh("strip", "--strip-all", "-o", self.bin, self.full)
        # the link's CRC is of the debug file as it is now; objcopy finds it by the given path
        sh("objcopy", f"--add-gnu-debuglink={self.debug}", self.bin)
        self.bid = build_id(self.bin)
        assert self.bid == build_id(self.full) == build_id(self.debug)
        self.tape = root / "s.tape"
        self.recorded = None
        self._other = None

    @property
    def other_debug(self):
        """The debug file of another build (-O1), made when first asked for."""
        if self._other is None:
            other = build_c("stack_fixture.c", self.root / "other", opt="-O1", extra=FLAGS)
            assert build_id(other) != self.bid
            self._other = self.root / "other.debug"
            sh("objcopy", "--only-keep-debug", other, self._other)
        return self._other

    def record(self):
        if self.recorded is None:
            need_bpf()
            r = tt("record", "-o", self.tape, "--stack", "stk:leaf", "usdt:stk:*", "--", self.bin,
                   str(HITS), timeout=300)
            assert r.returncode == 0 and "(0 lost)" in r.stderr, r.stderr
            self.recorded = True
        return self.tape

    def build_id_path(self, d):
        return Path(d) / ".build-id" / self.bid[:2] / (self.bid[2:] + ".debug")


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    return Split(tmp_path_factory.mktemp("dbg"))


@pytest.fixture
def placed(split):
    """Put a debug file somewhere (copied); everything put is removed after the test."""
    made = []

    def put(src, dest):
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        made.append(dest)
        return dest

    yield put
    for p in made:
        p.unlink()
    shutil.rmtree(split.bindir / ".debug", ignore_errors=True)


def load(split, tmp_path, *opts, name="s.db"):
    db = tmp_path / name
    r = tt("load", "-o", db, *opts, split.record())
    assert r.returncode == 0, r.stderr
    return db, r.stderr


def fixture_frames(split, db):
    """The frames of the fixture's own file, innermost first, of the one stack of stk:leaf."""
    rows = db_rows(db, "SELECT module, build_id, symbol FROM frames ORDER BY stack_id, depth")
    assert db_rows(db, "SELECT count(*) FROM stacks") == [(1,)]
    mine = [r for r in rows if r[0] == str(split.bin)]
    assert len(mine) == len(CHAIN) and all(r[1] == split.bid for r in mine), rows
    return [r[2] for r in mine]


def warnings(stderr):
    return [line for line in stderr.splitlines() if "warning" in line]


def test_no_debug_file_leaves_addresses(split, tmp_path):
    db, err = load(split, tmp_path)
    assert fixture_frames(split, db) == [None] * len(CHAIN)
    assert db_rows(db, "SELECT file, line FROM frames WHERE module = ?", (str(split.bin),)) == \
        [(None, None)] * len(CHAIN)
    assert not warnings(err), err
    # the flame graph's labels are the offsets
    folded = db_rows(db, "SELECT folded FROM stacks")[0][0].split(";")
    assert all(f.startswith("0x") for f in folded[-len(CHAIN):]), folded
    r = tt("replay", split.tape)
    assert r.returncode == 0 and not warnings(r.stderr), r.stderr
    assert f"\t0x{db_rows(db, 'SELECT offset FROM frames WHERE depth = 0')[0][0]:x} " \
           f"({split.bin})\n" in r.stdout, r.stdout


@pytest.mark.kernels
def test_build_id_dir_names_exactly_as_unstripped(split, tmp_path, placed):
    d = tmp_path / "debug"
    placed(split.debug, split.build_id_path(d))
    db, err = load(split, tmp_path, "--debug-dir", d)
    assert fixture_frames(split, db) == CHAIN
    assert not warnings(err), err
    named = db_rows(db, FRAMES)
    # the unstripped binary at the recorded path (strip keeps the build id and the layout)
    saved = split.root / "stripped"
    shutil.move(split.bin, saved)
    try:
        shutil.copyfile(split.full, split.bin)
        want, _ = load(split, tmp_path, name="full.db")
    finally:
        shutil.move(saved, split.bin)
    assert named == db_rows(want, FRAMES)
    # replay names the frames the same way, from the same option
    r = tt("replay", "-f", "json", "--debug-dir", d, split.tape)
    assert r.returncode == 0, r.stderr
    leaf = [json.loads(line) for line in r.stdout.splitlines() if '"stk:leaf"' in line]
    assert len(leaf) == HITS
    for e in leaf:
        assert [f["symbol"] for f in e["stack"][:4]] == CHAIN
    r = tt("replay", split.tape)
    assert r.returncode == 0 and "\tstk_inner+" not in r.stdout, r.stdout


@pytest.mark.parametrize("how", ["unstripped", "debug-file"])
def test_source_lines(split, tmp_path, placed, how):
    d = tmp_path / "debug"
    d.mkdir()
    split.record()
    saved = split.root / "stripped"
    if how == "unstripped":
        shutil.move(split.bin, saved)
        shutil.copyfile(split.full, split.bin)
    else:
        placed(split.debug, split.build_id_path(d))
    try:
        db, err = load(split, tmp_path, "--debug-dir", d)
        r = tt("replay", "--debug-dir", d, split.tape)
        rj = tt("replay", "-f", "json", "--debug-dir", d, split.tape)
    finally:
        if how == "unstripped":
            shutil.move(saved, split.bin)
    want = [(n, str(SOURCE.resolve()), line) for n, line in zip(CHAIN, source_lines())]
    got = db_rows(db, "SELECT symbol, file, line FROM frames WHERE module = ? ORDER BY depth",
                  (str(split.bin),))
    assert [(n, str(Path(f).resolve()), line) for n, f, line in got] == want, got
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    leaf = [i for i, line in enumerate(lines) if " stk:leaf " in line]
    assert len(leaf) == HITS
    for i in leaf:
        got = [re.match(rf"\t(\w+)\+0x[0-9a-f]+ \({re.escape(str(split.bin))}\) (\S+):(\d+)$", line)
               for line in lines[i + 1:i + 5]]
        assert all(got), lines[i + 1:i + 5]
        assert [(m.group(1), str(Path(m.group(2)).resolve()), int(m.group(3))) for m in got] == want
    assert rj.returncode == 0, rj.stderr
    events = [json.loads(line) for line in rj.stdout.splitlines() if '"stk:leaf"' in line]
    assert len(events) == HITS
    for e in events:
        assert [(f["symbol"], str(Path(f["file"]).resolve()), f["line"]) for f in e["stack"][:4]] \
            == want, e


@pytest.mark.parametrize("where", ["next", ".debug", "debug-dir"])
def test_debuglink_names(split, tmp_path, placed, where):
    d = tmp_path / "debug"
    d.mkdir()
    dest = {"next": split.bindir / split.debug.name,
            ".debug": split.bindir / ".debug" / split.debug.name,
            "debug-dir": Path(str(d) + str(split.bindir)) / split.debug.name}[where]
    placed(split.debug, dest)
    db, err = load(split, tmp_path, "--debug-dir", d)
    assert fixture_frames(split, db) == CHAIN
    assert not warnings(err), err


@pytest.mark.parametrize("how", ["build-id", "debuglink"])
def test_other_build_not_used(split, tmp_path, placed, how):
    d = tmp_path / "debug"
    d.mkdir()
    dest = split.build_id_path(d) if how == "build-id" else split.bindir / split.debug.name
    placed(split.other_debug, dest)
    db, err = load(split, tmp_path, "--debug-dir", d)
    assert fixture_frames(split, db) == [None] * len(CHAIN)
    w = warnings(err)
    assert len(w) == 1, err  # once, not per frame or per hit
    assert f"{dest}: not used to name the frames of {split.bin}" in w[0], w
    assert f"build id {build_id(split.other_debug)}, the binary's is {split.bid}" in w[0], w
    r = tt("replay", "--debug-dir", d, split.tape)
    assert r.returncode == 0 and "\tstk_inner+" not in r.stdout, r.stdout
    assert len(warnings(r.stderr)) == 1, r.stderr


def test_debuglink_crc_differs_not_used(split, tmp_path, placed):
    changed = tmp_path / "changed.debug"
    sh("objcopy", f"--add-section=.tt_extra={split.tape}", split.debug, changed)
    assert build_id(changed) == split.bid  # the same build: only the CRC tells
    dest = placed(changed, split.bindir / ".debug" / split.debug.name)
    db, err = load(split, tmp_path)
    assert fixture_frames(split, db) == [None] * len(CHAIN)
    w = warnings(err)
    assert len(w) == 1 and f"{dest}: not used" in w[0] and "CRC-32" in w[0], err


def test_build_id_before_debuglink(split, tmp_path, placed):
    d = tmp_path / "debug"
    placed(split.debug, split.build_id_path(d))
    placed(split.other_debug, split.bindir / split.debug.name)
    db, err = load(split, tmp_path, "--debug-dir", d)
    assert fixture_frames(split, db) == CHAIN
    assert not warnings(err), err


def test_debug_dir_missing_is_usage_error(split, tmp_path):
    for cmd in (["load", "-o", tmp_path / "x.db"], ["replay"]):
        r = tt(*cmd, "--debug-dir", tmp_path / "nowhere", tmp_path / "x.tape")
        assert r.returncode == 2, r.stderr
        assert f"--debug-dir {tmp_path / 'nowhere'}: No such file or directory" in r.stderr
    assert not (tmp_path / "x.db").exists()


def test_query_and_report_of_tape(split, tmp_path, placed):
    d = tmp_path / "debug"
    placed(split.debug, split.build_id_path(d))
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    sql = "SELECT symbol FROM frames ORDER BY depth LIMIT 4"
    r = tt("query", "-f", "csv", split.record(), sql, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["symbol"] + [""] * len(CHAIN), r.stdout
    r = tt("query", "-f", "csv", "--debug-dir", d, split.tape, sql, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["symbol"] + CHAIN, r.stdout
    r = tt("report", "--debug-dir", d, split.tape, env=env)
    assert r.returncode == 0, r.stderr
    text = r.stdout[r.stdout.index("Call stacks"):]
    assert " > ".join(reversed(CHAIN)) in text, text


@contextlib.contextmanager
def binary_gone(split):
    saved = split.root / "away"
    shutil.move(split.bin, saved)
    try:
        yield
    finally:
        shutil.move(saved, split.bin)


@pytest.mark.parametrize("layout", ["fedora", "perf", "debug-only", "other-build"])
def test_binary_gone_found_by_build_id(split, tmp_path, placed, layout):
    d = tmp_path / "debug"
    rest = split.build_id_path(d).with_suffix("")
    split.record()
    with binary_gone(split):
        if layout == "fedora":
            placed(split.root / "away", rest)
            placed(split.debug, split.build_id_path(d))
        elif layout == "perf":
            placed(split.full, rest / "elf")
        elif layout == "other-build":
            split.other_debug  # builds it
            placed(split.root / "other", rest)
        else:
            placed(split.debug, split.build_id_path(d))
        db, err = load(split, tmp_path, "--debug-dir", d)
    named = layout in ("fedora", "perf")
    assert fixture_frames(split, db) == (CHAIN if named else [None] * len(CHAIN))
    w = warnings(err)
    if layout == "other-build":
        assert len(w) == 1 and f"{rest}: not used to name the frames of {split.bin}" in w[0], err
    else:
        assert not w, err
