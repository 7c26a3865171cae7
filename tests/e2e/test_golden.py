# SPDX-License-Identifier: MIT
"""Test plan: the exact text of what the analyzer and list print, against golden files.

gold-1  a fixed tape (tests/e2e/golden/capture.txt through tt-mktape: metadata, clock anchors,
        every argument kind, a fault, invalid UTF-8, a Go entry and return, spans nested, across
        threads, left open, a loss window): `info` (text and --json), `replay` (text, JSON
        lines, Chrome trace), `report` (text and --raw) print exactly what the golden files in
        tests/e2e/golden/ hold.
(list's golden files are checked by test_list.py: list is the recorder's.)

TT_UPDATE_GOLDEN=1 rewrites the golden files from what the commands print; review the diff.
"""
import os

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, run, tt

GOLDEN = SOURCE_DIR / "tests" / "e2e" / "golden"
UPDATE = os.environ.get("TT_UPDATE_GOLDEN") == "1"


def check_golden(name, text):
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
        return
    assert path.exists(), f"{path} is missing: run with TT_UPDATE_GOLDEN=1 to create it"
    want = path.read_text()
    assert text == want, f"{name} differs from its golden file (TT_UPDATE_GOLDEN=1 rewrites it)"


@pytest.fixture(scope="module")
def tape(tmp_path_factory):
    d = tmp_path_factory.mktemp("gold")
    r = run([BUILD_DIR / "tests" / "tools" / "tt-mktape", "-o", d / "g.tape",
             GOLDEN / "capture.txt"])
    assert r.returncode == 0, r.stderr
    return d


@pytest.mark.parametrize("name,args", [
    ("info.txt", ["info", "g.tape"]),
    ("info.json", ["info", "--json", "g.tape"]),
    ("replay.txt", ["replay", "g.tape"]),
    ("replay.jsonl", ["replay", "--format", "json", "g.tape"]),
    ("replay.chrome.json", ["replay", "--format", "chrome", "g.tape"]),
    ("report.txt", ["report", "g.tape"]),
    ("report.raw.txt", ["report", "--raw", "g.tape"]),
])
def test_analyzer_outputs(tape, name, args):
    # run where the tape is, so that its relative name is what the outputs show
    r = tt(*args, cwd=tape, timeout=120)
    assert r.returncode == 0, r.stderr
    check_golden(name, r.stdout)
