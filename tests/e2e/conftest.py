# SPDX-License-Identifier: MIT
"""Shared fixtures of the end-to-end suite.

The suite drives the real `tracetape` binary (from $TT_BUILD_DIR, default ./build) and, for the
recording tests, real BPF. Helpers:

  tt(*args, timeout=...)       run tracetape, return a CompletedProcess with text stdout/stderr
  run(cmd, timeout=...)        run any command the same way (never without a timeout)
  build_c(src, ...)            compile a probe fixture program against the SDK header
  need_bpf()                   skip (fail under CI=true) unless root with working BPF
  host_env(*preload, **vars)   the environment for a program that loads a shared object built
                               here (the sqlite3 shell and the SQLite extension, an LD_PRELOAD
                               shim): with sanitizers, their runtime is preloaded first
  mktape(text, out, *args)     write a tape from a tt-mktape description (tests/tools/tt-mktape.c)
  small_tape(out)              write SMALL_TAPE (two requests of app: begin and end) to out
  tape_events(path)            the events of a tape, via `tracetape replay --format json`
  db_rows(db, sql)             rows of an SQLite query
  start_recorder(*args)        `tracetape record` in the background, once its ready line is out
  stop_recorder(p)             SIGINT it (or sig), wait: (exit status, stderr)
  wait_for_detach()            wait (bounded) until no tt-detach process of an earlier recording
                               is left: until then its probes are still attached
  kernel_expect()              "full", or "refuse" in a kernel-matrix guest of a kernel that
                               tracetape must refuse (TT_KERNEL_EXPECT, set by tests/vm); only
                               tests marked `refusal` run there, and only there
  attach                       a test argument: the test runs once per attach path this kernel
                               has ("auto", plus "perf" where auto is uprobe-multi), for
                               `record --attach ATTACH`

Tests marked `kernels` also run inside the kernel-matrix guests (`make test-kernels`).

In a build with sanitizers (meson's b_sanitize, e.g. `make test-asan`'s build-asan), every
tracetape process the tests start writes its AddressSanitizer and LeakSanitizer reports into
BUILD/meson-logs/sanitizer-*/ (ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS are set here, leaks
detected), and a test after which a report appeared fails with it; a report that appears after
the last test (a background process) fails the session. GCC's UndefinedBehaviorSanitizer,
linked beside ASan, writes to standard error whatever log_path says: a process it reports on
exits 86 (no tracetape exit code), and a "runtime error:" in the standard error that run(),
tt() or stop_recorder() return fails the test too. Tests marked `unsanitized(reason)` cannot
run under the sanitizers and are deselected there, each with its reason in the summary.

Under CI=true a skipped test is reported as a failure: CI runs as root with BPF available, so a
skip there means the test did not test what it claims.
"""
import functools
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("TT_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD_DIR = Path(os.environ.get("TT_BUILD_DIR", SOURCE_DIR / "build"))
TRACETAPE = BUILD_DIR / "tracetape"
SDK_INCLUDE = SOURCE_DIR / "sdk" / "include"
FIXTURES = SOURCE_DIR / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"
# the recorder's documented ready line (groups: probe count, sites/binaries)
READY = re.compile(r"tracetape record: recording (\d+) probes? \(([^)]*)\) to ")


def run(cmd, timeout=60, **kw):
    """Run cmd (a list) with a timeout; never raises on a non-zero exit."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    r = subprocess.run([str(c) for c in cmd], timeout=timeout, **kw)
    _note_stderr(r.stderr)
    return r


def tt(*args, timeout=60, **kw):
    """Run the tracetape binary under test."""
    return run([TRACETAPE, *args], timeout=timeout, **kw)


def build_c(src, out, cc="gcc", std=None, opt="-O2", extra=(), timeout=120):
    """Compile a C or C++ fixture (src relative to tests/fixtures unless absolute)."""
    src = Path(src)
    if not src.is_absolute():
        src = FIXTURES / src
    cmd = [cc, opt, "-g", "-Wall", "-Wextra", "-Werror", "-I", SDK_INCLUDE]
    if std:
        cmd.append(f"-std={std}")
    cmd += [*extra, "-o", out, src]
    if "-shared" not in extra:
        cmd.append("-lpthread")
    r = run(cmd, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stderr}"
    return Path(out)


def wait_for_detach(timeout=300):
    """Wait until no tt-detach process (a recording's probes being detached in the background)
    is left; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = []
        for d in Path("/proc").iterdir():
            try:
                if d.name.isdigit() and (d / "comm").read_text().strip() == "tt-detach":
                    left.append(d.name)
            except OSError:
                pass
        if not left:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"tt-detach still running after {timeout} s: pids {left}")
        time.sleep(0.2)


def _sanitizers():
    """The build's b_sanitize option ("none", "address,undefined", ...), from meson's files."""
    try:
        opts = json.loads((BUILD_DIR / "meson-info" / "intro-buildoptions.json").read_text())
    except (OSError, ValueError):
        return "none"
    return next((o["value"] for o in opts if o["name"] == "b_sanitize"), "none")


SANITIZED = _sanitizers() not in ("none", "")
SANITIZER_LOGS = None
if SANITIZED:
    (BUILD_DIR / "meson-logs").mkdir(exist_ok=True)
    SANITIZER_LOGS = Path(tempfile.mkdtemp(prefix="sanitizer-", dir=BUILD_DIR / "meson-logs"))
    # every report goes to SANITIZER_LOGS/report.PID and is checked after each test; the
    # process also exits 86 (no tracetape exit code), so that a test sees it failed at once
    _log = f"log_path={SANITIZER_LOGS}/report"
    _supp = SOURCE_DIR / "tests" / "sanitizer" / "lsan.supp"
    os.environ["ASAN_OPTIONS"] = f"detect_leaks=1:exitcode=86:abort_on_error=0:{_log}"
    os.environ["UBSAN_OPTIONS"] = f"halt_on_error=1:print_stacktrace=1:exitcode=86:{_log}"
    os.environ["LSAN_OPTIONS"] = (f"exitcode=86:{_log}" +
                                  (f":suppressions={_supp}" if _supp.exists() else ""))


@functools.lru_cache(maxsize=None)
def sanitizer_runtime():
    """The AddressSanitizer runtime tracetape is linked with (a sanitized build), or None."""
    if not SANITIZED:
        return None
    r = subprocess.run(["ldd", str(TRACETAPE)], capture_output=True, text=True)
    return next((line.split()[2] for line in r.stdout.splitlines()
                 if line.split() and line.split()[0].startswith("libasan.so")), None)


def host_env(*preload, **variables):
    """os.environ with variables, for a program that loads a shared object built here (the
    sqlite3 shell and the SQLite extension) or is given one to preload: in a sanitized build the
    ASan runtime comes first in LD_PRELOAD, as it must."""
    env = dict(os.environ, **{k: str(v) for k, v in variables.items()})
    libs = [str(p) for p in (sanitizer_runtime(), *preload) if p]
    if libs:
        env["LD_PRELOAD"] = " ".join(libs)
    return env


_SEEN_REPORTS = set()
_UBSAN_STDERR = []  # standard error with a UBSan report, seen by run() or stop_recorder()


def _note_stderr(err):
    """Keep a process's standard error that holds a UBSan report (sanitized builds only)."""
    if SANITIZED and err:
        text = err.decode(errors="replace") if isinstance(err, bytes) else err
        if "runtime error:" in text:
            _UBSAN_STDERR.append(text[-8000:])


def _new_sanitizer_reports():
    """Reports written or seen since the last look, as one text."""
    if SANITIZER_LOGS is None:
        return ""
    new = [p for p in sorted(SANITIZER_LOGS.iterdir()) if p not in _SEEN_REPORTS]
    _SEEN_REPORTS.update(new)
    text = "".join(f"--- {p}\n{p.read_text(errors='replace')[:8000]}\n" for p in new)
    text += "".join(f"--- standard error\n{e}\n" for e in _UBSAN_STDERR)
    _UBSAN_STDERR.clear()
    return text


@pytest.fixture(autouse=True)
def _no_sanitizer_report():
    """In a sanitized build: fail the test after which a sanitizer report appeared."""
    yield
    reports = _new_sanitizer_reports()
    if reports:
        pytest.fail("a sanitizer reported an error in a process of this test:\n" + reports,
                    pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    """A report written after the last test (by a process still running then) fails the run;
    the directory of the reports is kept only when it has some."""
    if SANITIZER_LOGS is None:
        return
    wait_for_detach()
    reports = _new_sanitizer_reports()
    if reports:
        print("\na sanitizer reported an error after the last test:\n" + reports)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif not any(SANITIZER_LOGS.iterdir()):
        SANITIZER_LOGS.rmdir()


def kernel_expect():
    """What the kernel under test should do: "full" (record) or "refuse" (a clear refusal)."""
    return os.environ.get("TT_KERNEL_EXPECT", "full")


@functools.lru_cache(maxsize=None)
def attach_modes():
    """The attach paths this kernel has: the default ("auto"), and the per-site perf-event path
    ("perf") where the default is uprobe-multi. Without BPF, just the default."""
    if _bpf_status():
        return ["auto"]
    r = tt("check", timeout=120)
    return ["auto", "perf"] if "uprobe-multi links" in r.stdout else ["auto"]


def pytest_configure(config):
    config.addinivalue_line("markers", "kernels: also runs in the kernel-matrix guests "
                            "(make test-kernels)")
    config.addinivalue_line("markers", "refusal: runs only where the kernel must be refused")
    config.addinivalue_line("markers", "unsanitized(reason): cannot run in a build with "
                            "sanitizers (deselected there, with its reason)")


_UNSANITIZED = []  # (test id, reason) of the tests deselected in a sanitized build


def pytest_collection_modifyitems(config, items):
    """Tests marked `refusal` run only where the kernel is expected to refuse recording, and
    only they run there."""
    refuse = kernel_expect() == "refuse"
    keep = [i for i in items if (i.get_closest_marker("refusal") is not None) == refuse]
    if SANITIZED:
        for i in keep:
            m = i.get_closest_marker("unsanitized")
            if m is not None:
                _UNSANITIZED.append((i.nodeid, m.args[0]))
        keep = [i for i in keep if i.get_closest_marker("unsanitized") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def pytest_terminal_summary(terminalreporter):
    for nodeid, reason in _UNSANITIZED:
        terminalreporter.write_line(f"DESELECTED in a build with sanitizers: {nodeid}: {reason}")


def pytest_generate_tests(metafunc):
    if "attach" in metafunc.fixturenames:
        metafunc.parametrize("attach", attach_modes())


@functools.lru_cache(maxsize=None)
def _bpf_status():
    if os.geteuid() != 0:
        return "needs root (BPF, uprobes and tracepoints)"
    r = tt("check", "-q", timeout=60)
    if r.returncode != 0:
        return "BPF does not work here: " + r.stderr.strip()
    return None


def need_bpf():
    """Skip the calling test unless BPF recording works (a failure under CI=true)."""
    reason = _bpf_status()
    if reason:
        pytest.skip(reason)


def need_program(name):
    path = shutil.which(name)
    if not path:
        pytest.skip(f"needs {name} (scripts/deps.sh test installs it)")
    return path


def mktape(description, out, *args, timeout=60):
    """Write the tape out from a tt-mktape description (a string); extra args go to tt-mktape."""
    r = run([BUILD_DIR / "tests" / "tools" / "tt-mktape", "-o", out, *args, "-"],
            input=description, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return r


# A tape of two requests (app:request__begin u64:id str:url, app:request__end u64:id s32:status)
# from one process: what a test that only needs some tape reads. SMALL_TAPE_HEADER is its part
# before the events, for tests that add their own.
SMALL_TAPE_HEADER = """\
meta host h
clock 1000000000 1700000000000000000
probe 0 app request__begin u64:id str:url
probe 1 app request__end u64:id s32:status
process 100 1 app /usr/bin/app app
"""
SMALL_TAPE = SMALL_TAPE_HEADER + """\
event 1000000000 0 100 101 app:request__begin 1 "/a"
event +2ms 1 100 102 app:request__begin 2 "/b"
event +1ms 0 100 101 app:request__end 1 200
event +4ms 1 100 102 app:request__end 2 500
"""


def small_tape(out):
    """Write SMALL_TAPE to out; return out as a Path."""
    mktape(SMALL_TAPE, out)
    return Path(out)


def tape_events(path):
    r = tt("replay", "--format", "json", path, timeout=300)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def db_rows(db, sql, params=()):
    with sqlite3.connect(db) as con:
        return con.execute(sql, params).fetchall()


def start_recorder(*args, env=None):
    """Start tracetape record in the background; return it once its ready line is printed."""
    p = subprocess.Popen([str(TRACETAPE), "record", *map(str, args)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    line = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = p.stderr.readline()
        if not line or READY.search(line):
            break
    if not READY.search(line or ""):
        p.kill()
        _, err = p.communicate(timeout=30)
        pytest.fail(f"recorder never got ready: {line}{err}")
    return p


def stop_recorder(p, sig=signal.SIGINT, timeout=120):
    """Send sig to a recorder from start_recorder and wait: (exit status, rest of its stderr)."""
    p.send_signal(sig)
    _, err = p.communicate(timeout=timeout)
    _note_stderr(err)
    return p.returncode, err


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {reason}"


@pytest.fixture(scope="session", autouse=True)
def _binary_exists():
    assert TRACETAPE.exists(), f"{TRACETAPE} is missing: build first (make)"
