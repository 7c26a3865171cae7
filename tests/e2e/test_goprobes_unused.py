# SPDX-License-Identifier: MIT
"""Test plan: a Go program that calls only some of its gen-go probes (issue 23, found by
usdt_notes_fuzz).

gu-1  A probe the program never calls is left out by the linker; the probe after it, with
      fewer arguments, took over its slot with the first one's argument names still there, and
      freeing the file freed them twice (a crash of `list` and `record`). Here `ints` (8
      arguments) is never called and `floats` (3) is: list shows floats with its own three
      arguments and exits 0.
"""
import os
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run, tt

GO = Path("/usr/lib/go-1.19/bin/go")

MAIN = """package main

import "tracetape.test/probes/kinds"

func main() {
	for i := 0; i < 3; i++ {
		kinds.Floats(1.5, 2.5, int8(i))
		kinds.Nothing()
	}
}
"""


def test_unused_probe_before_a_shorter_one(tmp_path):
    if not GO.exists():
        pytest.skip("needs Debian's golang-1.19-go (scripts/deps.sh test installs it)")
    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "go" / "probes", src)
    (src / "kinds").mkdir()
    (src / "main.go").write_text(MAIN)
    r = tt("gen-go", src / "kinds.d", "-o", src / "kinds" / "kinds.go")
    assert r.returncode == 0, r.stderr
    cache = tmp_path / "gocache"
    env = dict(os.environ, HOME=str(cache), GOCACHE=str(cache / "build"),
               GOPATH=str(cache / "path"), GOFLAGS="-mod=mod", GOTOOLCHAIN="local",
               CGO_ENABLED="0")
    exe = tmp_path / "unused"
    r = run([GO, "build", "-o", exe, "."], cwd=src, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    r = tt("list", exe)
    assert r.returncode == 0, r.stderr
    assert "gokinds:floats" in r.stdout and "gokinds:ints" not in r.stdout, r.stdout
    line = next(l for l in r.stdout.splitlines() if "gokinds:floats" in l)
    assert "f32" in line and "f64" in line and "after" in line, line
    assert "i16" not in line and "u64" not in line, line
