# SPDX-License-Identifier: MIT
"""Test plan: the first real BPF test, run on every CI run.

check-1  `tracetape check` loads a program from a generated skeleton, attaches it to the
         sched:sched_process_exec tracepoint (mounting tracefs if needed), starts a child and
         sees that child's exec of a known program through the ring buffer.
check-2  a bad --exec value is a usage error (2); a program that does not exist is exit 1.
check-3  check names the attach path and the string mode, and loads the recorder's programs as
         record would, each within the verifier budget (250,000 processed instructions).
check-4  tt-bpf-budget: every program in every configuration this kernel allows (attach path,
         sleepable or not, pid filter or not, the longest strings) verifies within the budget;
         the counts are printed.
check-5  on a kernel tracetape does not support (5.10 in the kernel matrix), check and record
         exit 1 saying what the kernel lacks, and record leaves no tape behind.
"""
import json
import os
import re

import pytest

from conftest import BUILD_DIR, need_bpf, run, tt

BUDGET = 250000


@pytest.mark.kernels
def test_check_sees_child_exec():
    need_bpf()
    r = tt("check", "--exec", "/bin/true", timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [l.split()[0] for l in lines[:6]] == [
        "kernel", "privileges", "BTF", "tracefs", "BPF", "ring"]
    m = re.search(r"ring buffer\s+saw pid (\d+) exec (\S+) on cpu (\d+)", r.stdout)
    assert m, r.stdout
    assert m.group(2) == "/bin/true"
    assert int(m.group(1)) not in (0, os.getpid())
    assert lines[-1] == "ok: BPF recording works on this machine"
    assert os.path.ismount("/sys/kernel/tracing")
    assert re.search(r"^  attach\s+(uprobe-multi links|one uprobe perf event per site)", r.stdout,
                     re.M), r.stdout
    assert re.search(r"^  strings\s+(sleepable|non-sleepable) program", r.stdout, re.M), r.stdout
    line = r"^  verifier\s+(\S+)\s+(\d+) instructions, .*; budget 250000, margin (\d+)$"
    costs = {m.group(1): int(m.group(2)) for m in re.finditer(line, r.stdout, re.M)}
    assert {"usdt", "tp", "sched_process_fork", "sched_process_exec",
            "sched_process_exit"} <= set(costs), r.stdout
    assert all(0 < c <= BUDGET for c in costs.values()), costs


@pytest.mark.kernels
def test_verifier_budget_every_configuration():
    need_bpf()
    r = run([BUILD_DIR / "tests" / "tools" / "tt-bpf-budget", "--json"], timeout=600)
    report = json.loads(r.stdout)
    print(f"kernel {report['kernel']}: processed instructions per program and configuration")
    for load in report["loads"]:
        print(f"  {load['config']:<40} {load.get('program', '-'):<20} "
              f"{load.get('insns', load.get('error'))}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert all("error" not in l for l in report["loads"]), report
    configs = {l["config"] for l in report["loads"]}
    assert any("pid-filter" in c for c in configs) and any("system-wide" in c for c in configs)
    assert {l["program"] for l in report["loads"]} == {
        "usdt", "tp", "sched_process_fork", "sched_process_exec", "sched_process_exit"}
    assert all(0 < l["insns"] <= BUDGET for l in report["loads"]), report


@pytest.mark.kernels
@pytest.mark.refusal
def test_unsupported_kernel_is_refused(tmp_path):
    r = tt("check", timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"this kernel \(\S+\) lacks .+, which Linux has since \d+\.\d+: tracetape "
                     r"records on Linux 6\.1 and newer", r.stderr), r.stderr
    tape = tmp_path / "never.tape"
    r = tt("record", "-o", tape, "tracepoint:sched:sched_process_exec", "--", "/bin/true",
           timeout=300)
    assert r.returncode == 1, r.stderr
    assert "tracetape records on Linux 6.1 and newer" in r.stderr
    assert not tape.exists()


def test_check_other_program():
    need_bpf()
    r = tt("check", "--exec", "/bin/echo")
    assert r.returncode == 0, r.stderr
    assert "exec /bin/echo on cpu" in r.stdout


def test_check_bad_arguments():
    r = tt("check", "--exec", "relative/path")
    assert r.returncode == 2
    assert "--exec needs an absolute path" in r.stderr
    r = tt("check", "--exec", "/nonexistent/program")
    assert r.returncode == 1
    assert "cannot execute '/nonexistent/program'" in r.stderr
    r = tt("check", "extra")
    assert r.returncode == 2
    assert "unexpected argument 'extra'" in r.stderr
