# SPDX-License-Identifier: MIT
"""Test plan: the first real BPF test, run on every CI run.

check-1  `tracetape check` loads a program from a generated skeleton, attaches it to the
         sched:sched_process_exec tracepoint (mounting tracefs if needed), starts a child and
         sees that child's exec of a known program through the ring buffer.
check-2  a bad --exec value is a usage error (2); a program that does not exist is exit 1.
"""
import os
import re

from conftest import need_bpf, tt


def test_check_sees_child_exec():
    need_bpf()
    r = tt("check", "--exec", "/bin/true")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [l.split()[0] for l in lines[:-1]] == [
        "kernel", "privileges", "BTF", "tracefs", "BPF", "ring"]
    m = re.search(r"ring buffer\s+saw pid (\d+) exec (\S+) on cpu (\d+)", r.stdout)
    assert m, r.stdout
    assert m.group(2) == "/bin/true"
    assert int(m.group(1)) not in (0, os.getpid())
    assert lines[-1] == "ok: BPF recording works on this machine"
    assert os.path.ismount("/sys/kernel/tracing")


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
