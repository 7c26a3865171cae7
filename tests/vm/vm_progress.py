# SPDX-License-Identifier: MIT
"""pytest plugin of the kernel matrix: each test's start and outcome, as they happen, into a file.

guest-suite.sh loads it (`-p vm_progress`) when TT_VM_PROGRESS names a file. A guest that runs
out of time is killed with its pytest, before any report is written; this file, synced to the
host after every line, still says how many tests passed, failed and were skipped, and which test
was running. Lines: `start NODEID`, then `OUTCOME SECONDS NODEID` with OUTCOME passed, failed or
skipped (failed when any phase failed, so a failed teardown counts).
"""
import os
import time

_out = None
_phases = {}


def _write(line):
    _out.write(line + "\n")
    _out.flush()
    os.fsync(_out.fileno())   # through the guest's page cache to the host, now


def pytest_configure(config):
    global _out
    path = os.environ.get("TT_VM_PROGRESS")
    if path:
        _out = open(path, "a", encoding="utf-8")


def pytest_unconfigure(config):
    global _out
    if _out:
        _out.close()
        _out = None


def pytest_runtest_logstart(nodeid, location):
    if _out:
        _phases[nodeid] = (time.monotonic(), [])
        _write(f"start {nodeid}")


def pytest_runtest_logreport(report):
    if _out and report.nodeid in _phases:
        _phases[report.nodeid][1].append((report.when, report.outcome))


def pytest_runtest_logfinish(nodeid, location):
    if not _out or nodeid not in _phases:
        return
    start, phases = _phases.pop(nodeid)
    outcomes = {o for _, o in phases}
    outcome = "failed" if "failed" in outcomes else "skipped" if "skipped" in outcomes else "passed"
    _write(f"{outcome} {time.monotonic() - start:.1f} {nodeid}")
