# SPDX-License-Identifier: MIT
"""Test plan: the recorder and the loader under stress and faults (issue 23, problems 3 and 4,
faults and security).

flt-1  record 'tracepoint:*:*' stopped by SIGTERM while it attaches (as soon as its first
       link exists): exit 0, "stopped by signal 15 while attaching", no ready line, a tape
       closed cleanly. SIGTERM before any link exists stops it too (no hang).
flt-2  A tracepoint glob attaches every event tracefs can enable and nothing else: the ready
       line's count and the tape's probes are exactly the event directories of sched with an
       enable file; ftrace's own formats (no enable file) match nothing, with a clear error.
flt-3  A full disk (a 2 MiB tmpfs in the test's directory) while recording a process that
       fires a known number of probes (the recorder is stopped with SIGSTOP while they fire, so
       that every one is counted by BPF before the disk fills): exit 1 with "No space left on
       device; stopping", the summary's recorded count is what the tape holds (read back to its
       last whole block), and recorded + lost = fired exactly.
flt-4  load never lets a half-written database replace a good one: a full disk (a 4 MiB tmpfs)
       and an I/O error on every write after the first 20 (an LD_PRELOAD shim,
       tests/fixtures/fault_shim.c) fail with exit 1 and the reason; the good database is
       unchanged byte for byte and no temporary file is left.
flt-5  A file system without RENAME_NOREPLACE (9p, NFS, FUSE: EINVAL; the shim) takes a new
       database through a hard link, and without hard links either through a rename after a
       last look; an existing one is still refused without --force. Databases and their side
       files are created 0600 whatever the umask.
flt-6  Security: without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (setpriv drops them from the
       bounding set) record refuses with exit 1, a message naming what is missing, and no
       tape; a tape is created 0600 whatever the umask; the --sched and --syscalls
       tracepoints carry no kernel address: their formats have no pointer field and no hole
       (stale bytes) in the fixed part, and no recorded integer (raw_syscalls' arguments, the
       program's own values, aside) is in the kernel's half of the address space.
flt-7  A traced process that exits while the recorder attaches (720 syscall tracepoints, -p)
       ends the recording cleanly (exit 0, a tape closed cleanly); -p of a process already gone
       is refused with exit 1, "no such process".
flt-8  A binary replaced on disk (renamed over: a new inode, as package managers do) while it
       is recorded by path: the process started from the old file stays traced (all its hits),
       one started from the new file is not (uprobes belong to an inode); documented.
flt-9  A PID reused during a -p recording: of two traced processes, one exits; a new process
       given its PID (through /proc/sys/kernel/ns_last_pid) fires the same probe and is not
       recorded: the recorder follows processes by pidfd and by the kernel's fork and exit
       events, never by number.
flt-10 Files crafted to exhaust memory or time, under RLIMIT_AS = 1 GiB and a time bound: a
       100 KiB tape of zstd bombs (20 PROCESSES blocks, each 16 MiB of records once inflated)
       is read with its descriptions capped at 256 MiB (the later blocks are damage "beyond the
       limits a reader keeps to"; info exits 1, load loads it with a warning); a provider file
       with more than 16,384 probes in one provider is refused at the first one too many (its
       duplicate check is linear).
flt-11 The analyzer commands under valgrind (memcheck; definite and indirect leaks are errors) on a small
       tape: info, replay, load, query and report exit as without it, with no error.
"""
import json
import os
import re
import resource
import struct
import zlib
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (FIXTURES, READY, TRACETAPE, build_c, host_env, mktape, need_bpf, need_program,
                      run, small_tape, start_recorder, stop_recorder, tt)

EVENTS = Path("/sys/kernel/tracing/events")


def info_of(tape):
    r = tt("info", "--json", tape, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


def link_count(pid):
    """How many BPF links process pid holds (0 when it is gone)."""
    n = 0
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    for fd in fds:
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:bpf_link"
        except OSError:
            pass
    return n


def traceable(system):
    """The events of a tracefs system that can be enabled (and so attached to)."""
    return sorted(d.name for d in (EVENTS / system).iterdir()
                  if (d / "enable").exists() and (d / "format").exists())


def test_sigterm_while_attaching_hundreds_of_tracepoints(tmp_path):
    need_bpf()
    tape = tmp_path / "all.tape"
    p = subprocess.Popen([str(TRACETAPE), "record", "-v", "-d", "300s", "-o", str(tape),
                          "tracepoint:*:*"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        deadline = time.monotonic() + 120
        while p.poll() is None and time.monotonic() < deadline and not link_count(p.pid):
            time.sleep(0.001)
        assert p.poll() is None, p.communicate()[1]
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert "stopped by signal 15 while attaching" in err, err
    assert not READY.search(err), err
    info = info_of(tape)
    assert info["closed_cleanly"], info

    # Before anything is attached (the formats of every tracepoint being read), SIGTERM ends
    # it as well: by the default action, or by the handler once it is installed.
    p = subprocess.Popen([str(TRACETAPE), "record", "-d", "300s", "-o", str(tmp_path / "b.tape"),
                          "tracepoint:*:*"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(0.05)
    p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode in (0, -signal.SIGTERM), err
    assert not READY.search(err), err


def test_a_tracepoint_glob_attaches_every_traceable_event(tmp_path):
    need_bpf()
    want = traceable("sched")
    assert len(want) > 10
    tape = tmp_path / "sched.tape"
    rec = start_recorder("-o", tape, "tracepoint:sched:*")
    rc, err = stop_recorder(rec)
    assert rc == 0, err
    info = info_of(tape)
    got = sorted(pr["name"] for pr in info["probes"] if pr["type"] == "tracepoint")
    assert all(pr["provider"] == "sched" for pr in info["probes"] if pr["type"] == "tracepoint")
    assert got == want

    r = tt("record", "-d", "1s", "-o", tmp_path / "f.tape", "tracepoint:ftrace:*")
    assert r.returncode == 1
    assert "no tracepoint matched 'tracepoint:ftrace:*'" in r.stderr
    assert not (tmp_path / "f.tape").exists()


class SmallFs:
    """tmpfs mounts in a test's own directory, all unmounted at its end."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.mounts = []

    def __call__(self, size):
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        d = self.tmp_path / f"fs{len(self.mounts)}"
        d.mkdir()
        r = run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tt-small", d])
        assert r.returncode == 0, r.stderr
        self.mounts.append(d)
        return d

    def close(self):
        for d in self.mounts:
            if run(["umount", d]).returncode != 0:
                run(["umount", "-l", d])


@pytest.fixture
def small_fs(tmp_path):
    fs = SmallFs(tmp_path)
    try:
        yield fs
    finally:
        fs.close()


BURST_SRC = r"""#include <stdio.h>
#include <stdlib.h>
#include <tracetape/probe.h>
/* burst N: print ready, wait for a line on stdin, fire burst:hit N times, print done. */
int main(int argc, char **argv) {
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	char line[16];
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	unsigned long x = 88172645463325252UL; /* xorshift: values that do not compress */
	for (long i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		TT_PROBE(burst, hit, x);
	}
	printf("done\n");
	fflush(stdout);
	return 0;
}
"""

SUMMARY = re.compile(r"recorded (\d+) events \((\d+) lost\)")


def test_a_full_disk_counts_every_event_that_missed_the_tape(tmp_path, small_fs, burst):
    need_bpf()
    fired = 400000
    prog = burst_proc(burst, fired)
    rec = None
    try:
        tape = small_fs("2m") / "t.tape"
        rec = start_recorder("-p", prog.pid, "-o", tape, f"usdt:{burst}:burst:hit")
        rec.send_signal(signal.SIGSTOP)
        go(prog)
        rec.send_signal(signal.SIGCONT)
        _, err = rec.communicate(timeout=120)
    finally:
        for p in (prog, rec):
            if p and p.poll() is None:
                p.kill()
                p.wait()
    assert rec.returncode == 1, err
    assert "writing the tape failed: No space left on device; stopping" in err
    m = SUMMARY.search(err)
    assert m, err
    recorded, lost = int(m.group(1)), int(m.group(2))
    r = tt("info", "--json", tape)
    assert r.returncode == 0, r.stderr  # cut short is not damage
    info = json.loads(r.stdout)
    assert info["truncated"] and not info["closed_cleanly"]
    assert 0 < info["events"] < fired
    assert recorded == info["events"]
    assert recorded + lost == fired + 1  # and the process's exit, an event of the recorder's
    m = re.search(r"lost (\d+) events that could not be written to the tape", err)
    assert m and 0 < int(m.group(1)) <= lost, err
    r = tt("replay", "--format", "json", tape)
    assert len(r.stdout.splitlines()) == recorded


def big_tape(path, events):
    lines = ["meta host h", "clock 1000000000 1700000000000000000",
             "probe 0 app req u64:id str:url", "process 100 1 app /usr/bin/app app",
             "event 1000000000 0 100 101 app:req 0 \"/a\""]
    lines += [f"event +1us 0 100 101 app:req {i} \"/url/{i}\"" for i in range(1, events)]
    mktape("\n".join(lines) + "\n", path, timeout=300)
    return path


@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    d = tmp_path_factory.mktemp("shim")
    return build_c(FIXTURES / "fault_shim.c", d / "fault_shim.so",
                   extra=("-shared", "-fPIC", "-ldl"))


def test_a_failed_load_never_replaces_a_good_database(tmp_path, small_fs, shim):
    small = big_tape(tmp_path / "small.tape", 10)
    big = big_tape(tmp_path / "big.tape", 60000)
    d = small_fs("4m")
    db = d / "t.db"
    r = tt("load", "-o", db, small)
    assert r.returncode == 0, r.stderr
    good = db.read_bytes()

    r = tt("load", "--force", "-o", db, big, timeout=300)
    assert r.returncode == 1, r.stderr
    assert "No space left on device" in r.stderr or "database or disk is full" in r.stderr, \
        r.stderr
    assert db.read_bytes() == good
    assert sorted(p.name for p in d.iterdir()) == ["t.db"]

    r = tt("load", "--force", "-o", db, big, timeout=300,
           env=host_env(shim, TT_SHIM_EIO=".tmp-", TT_SHIM_EIO_AFTER=20))
    assert r.returncode == 1, r.stderr
    assert "I/O error" in r.stderr, r.stderr
    assert db.read_bytes() == good
    assert sorted(p.name for p in d.iterdir()) == ["t.db"]


def test_a_file_system_without_rename_noreplace(tmp_path, shim):
    tape = big_tape(tmp_path / "s.tape", 10)
    old = os.umask(0)
    try:
        for faults in ({"TT_SHIM_NO_NOREPLACE": 1},
                       {"TT_SHIM_NO_NOREPLACE": 1, "TT_SHIM_NO_LINK": 1}):
            d = tmp_path / ("nolink" if "TT_SHIM_NO_LINK" in faults else "link")
            d.mkdir()
            db = d / "t.db"
            env = host_env(shim, **faults)
            r = tt("load", "-o", db, tape, env=env)
            assert r.returncode == 0, r.stderr
            assert os.stat(db).st_mode & 0o777 == 0o600
            assert sorted(p.name for p in d.iterdir()) == ["t.db"]
            before = db.read_bytes()
            r = tt("load", "-o", db, tape, env=env)
            assert r.returncode == 1
            assert f"'{db}' already exists; use --force to replace it" in r.stderr
            assert db.read_bytes() == before
            assert sorted(p.name for p in d.iterdir()) == ["t.db"]
    finally:
        os.umask(old)


def test_record_refuses_without_bpf_capabilities(tmp_path):
    need_bpf()
    setpriv = run(["sh", "-c", "command -v setpriv"]).stdout.strip()
    if not setpriv:
        pytest.skip("needs setpriv (util-linux)")
    tape = tmp_path / "c.tape"
    r = run([setpriv, "--bounding-set=-bpf,-perfmon,-sys_admin", "--inh-caps=-all",
             TRACETAPE, "record", "-d", "1s", "-o", tape, "tracepoint:sched:sched_switch"])
    assert r.returncode == 1, r.stderr
    assert ("recording needs root, or CAP_BPF and CAP_PERFMON (missing: CAP_BPF CAP_PERFMON)"
            in r.stderr), r.stderr
    assert not tape.exists()


KERNEL_HALF = (0xffff800000000000, 0xfffffffffffff000)  # above: -4095..-1, errno values


def fixed_fields(fmt_text):
    """(name, type, offset, size) of the fields of a tracefs format, common ones included."""
    out = []
    for line in fmt_text.splitlines():
        m = re.match(r"\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);", line)
        if m:
            decl = m.group(1).strip()
            name = re.sub(r"\[.*\]$", "", decl.split()[-1]).lstrip("*")
            out.append((name, decl, int(m.group(2)), int(m.group(3))))
    return out


def test_tapes_are_private_and_tracepoints_carry_no_kernel_address(tmp_path):
    need_bpf()
    tape = tmp_path / "ss.tape"
    old = os.umask(0)
    try:
        r = tt("record", "-q", "--sched", "--syscalls", "-o", tape, "--", "sh", "-c",
               "for i in 1 2 3; do ls / >/dev/null; sleep 0.05; done", timeout=120)
    finally:
        os.umask(old)
    assert r.returncode == 0, r.stderr
    assert os.stat(tape).st_mode & 0o777 == 0o600
    db = tmp_path / "ss.db"
    r = tt("load", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    assert os.stat(db).st_mode & 0o777 == 0o600

    tps = {"sched": ["sched_switch", "sched_wakeup", "sched_wakeup_new", "sched_process_fork",
                     "sched_process_exec", "sched_process_exit"],
           "raw_syscalls": ["sys_enter", "sys_exit"]}
    con = sqlite3.connect(db)
    seen = 0
    for system, names in tps.items():
        for name in names:
            fields = fixed_fields((EVENTS / system / name / "format").read_text())
            assert fields, name
            covered = set()
            for fname, decl, off, size in fields:
                assert "*" not in decl, f"{system}:{name}: pointer field {decl}"
                covered.update(range(off, off + size))
            end = max(off + size for _, _, off, size in fields)
            holes = sorted(set(range(end)) - covered)
            assert not holes, f"{system}:{name}: bytes {holes} belong to no field"
            table = f"tp_{system}_{name}"
            if not con.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                               (table,)).fetchone():
                continue
            cols = [c[1] for c in con.execute(f"PRAGMA table_info({table})")]
            user_values = {"args"} if name == "sys_enter" else set()
            for row in con.execute(f"SELECT * FROM {table}"):
                seen += 1
                for col, v in zip(cols, row):
                    if col in user_values or not isinstance(v, int):
                        continue
                    assert not KERNEL_HALF[0] <= v % (1 << 64) < KERNEL_HALF[1], \
                        f"{table}.{col} = {v:#x}"
    assert seen > 0


def test_a_process_that_exits_while_the_recorder_attaches(tmp_path):
    need_bpf()
    short = subprocess.Popen(["sleep", "0.3"])
    tape = tmp_path / "x.tape"
    r = tt("record", "-o", tape, "-p", short.pid, "tracepoint:syscalls:*", timeout=300)
    short.wait()
    assert r.returncode == 0, r.stderr
    assert info_of(tape)["closed_cleanly"]
    r = tt("record", "-o", tmp_path / "y.tape", "-p", short.pid, "tracepoint:sched:sched_switch")
    assert r.returncode == 1
    assert f"process {short.pid}: no such process" in r.stderr
    assert not (tmp_path / "y.tape").exists()


def burst_proc(path, n):
    p = subprocess.Popen([str(path), str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline() == "ready\n"
    return p


def go(p):
    p.stdin.write("go\n")
    p.stdin.flush()
    assert p.stdout.readline() == "done\n"
    assert p.wait(timeout=60) == 0


def hits_by_pid(tape):
    r = tt("query", "--format", "csv", tape,
           "SELECT pid, count(*) FROM events_named WHERE provider = 'burst' AND name = 'hit' "
           "GROUP BY pid")
    assert r.returncode == 0, r.stderr
    return {int(a): int(b) for a, b in (line.split(",") for line in r.stdout.splitlines()[1:])}


@pytest.fixture
def burst(tmp_path):
    src = tmp_path / "burst.c"
    src.write_text(BURST_SRC)
    return build_c(src, tmp_path / "burst")


def test_a_binary_replaced_on_disk_while_recorded(tmp_path, burst):
    need_bpf()
    old = burst_proc(burst, 100)
    procs = [old]
    try:
        tape = tmp_path / "r.tape"
        rec = start_recorder("-o", tape, f"usdt:{burst}:burst:hit")
        procs.append(rec)
        new_file = tmp_path / "burst.new"
        new_file.write_bytes(burst.read_bytes())
        new_file.chmod(0o755)
        os.rename(new_file, burst)
        new = burst_proc(burst, 100)
        procs.append(new)
        go(old)
        go(new)
        rc, err = stop_recorder(rec)
        assert rc == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert hits_by_pid(tape) == {old.pid: 100}


def test_a_reused_pid_is_not_traced(tmp_path, burst):
    need_bpf()
    a, b = burst_proc(burst, 50), burst_proc(burst, 70)
    procs = [a, b]
    try:
        tape = tmp_path / "p.tape"
        rec = start_recorder("-o", tape, "-p", a.pid, "-p", b.pid, "usdt:burst:hit")
        procs.append(rec)
        go(a)
        c = None
        for _ in range(100):  # other processes may take the number first: try again
            with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                f.write(str(a.pid - 1))
            c = burst_proc(burst, 30)
            procs.append(c)
            if c.pid == a.pid:
                break
            c.kill()
            c.wait()
        assert c.pid == a.pid, "could not get the exited process's pid again"
        go(c)
        go(b)
        _, err = rec.communicate(timeout=120)
        assert rec.returncode == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert hits_by_pid(tape) == {a.pid: 50, b.pid: 70}


def varint(v):
    out = bytearray()
    while True:
        b, v = v & 0x7F, v >> 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def tlv(tag, val):
    return varint(tag) + varint(len(val)) + val


def tape_block(btype, raw, cnt, seq, stored, flags):
    """A block of schemas/TAPE_FORMAT.md 2.2 holding stored (raw, compressed when flags & 1)."""
    payload = stored + b"\0" * ((8 - len(stored) % 8) % 8)
    h = bytearray(48)
    h[0:4], h[4], h[5] = b"TTBK", btype, flags
    struct.pack_into("<HIIII", h, 6, 48, len(stored), len(raw), cnt, seq)
    struct.pack_into("<I", h, 40, zlib.crc32(payload))
    struct.pack_into("<I", h, 44, zlib.crc32(bytes(h[:44])))
    return bytes(h) + payload


def zstd_bomb_tape(path, blocks):
    """A tape of PROCESSES blocks, each 16 MiB of records that compress a thousandfold."""
    hdr = bytearray(32)
    hdr[0:8] = b"\x89TTAPE\r\n"
    struct.pack_into("<HHIQI", hdr, 8, 1, 1, 32, 0, 0)
    struct.pack_into("<I", hdr, 28, zlib.crc32(bytes(hdr[:28])))
    raw, cnt, cmd = bytearray(), 0, b"A" * 16000
    while len(raw) < (16 << 20) - 17000:
        body = tlv(1, varint(cnt + 1)) + tlv(5, cmd)
        raw += varint(len(body)) + body
        cnt += 1
    z = run(["zstd", "-q", "-c"], input=bytes(raw), text=False)
    assert z.returncode == 0, z.stderr
    with open(path, "wb") as f:
        f.write(hdr)
        for seq in range(blocks):
            f.write(tape_block(4, bytes(raw), cnt, seq, z.stdout, 1))
    return path


def limited(gib=1):
    """preexec_fn: an address-space limit for the child."""
    def set_limit():
        resource.setrlimit(resource.RLIMIT_AS, (gib << 30, gib << 30))
    return set_limit


@pytest.mark.unsanitized("AddressSanitizer reserves terabytes of address space for its shadow "
                          "memory: no run fits under the test's RLIMIT_AS of 1 GiB")
def test_crafted_files_are_refused_within_bounds(tmp_path):
    need_program("zstd")
    tape = zstd_bomb_tape(tmp_path / "bomb.tape", 20)
    assert tape.stat().st_size < 200 << 10
    r = tt("info", "--json", tape, timeout=300, preexec_fn=limited())
    assert r.returncode == 1, r.stderr
    info = json.loads(r.stdout)
    assert info["damaged"]
    assert {d["error"] for d in info["damage"]} == {"beyond the limits a reader keeps to"}
    r = tt("load", "-o", tmp_path / "b.db", tape, timeout=600, preexec_fn=limited())
    assert r.returncode == 0, r.stderr
    assert "beyond the limits a reader keeps to" in r.stderr

    d = tmp_path / "many.d"
    d.write_text("provider p {\n" + "".join(f"  probe p{i}(int);\n" for i in range(16385)) +
                 "};\n")
    r = tt("gen-header", d, "-o", tmp_path / "many.h", timeout=300, preexec_fn=limited())
    assert r.returncode == 1
    assert f"{d}:16386:9: more than 16384 probes in provider 'p'" in r.stderr
    assert not (tmp_path / "many.h").exists()


@pytest.mark.unsanitized("valgrind cannot run a program built with AddressSanitizer (its shadow "
                          "memory and interceptors); this build checks memory itself")
def test_analyzer_commands_under_valgrind(tmp_path):
    valgrind = need_program("valgrind")
    tape = small_tape(tmp_path / "v.tape")
    vg = [valgrind, "-q", "--error-exitcode=99", "--leak-check=full",
          "--errors-for-leak-kinds=definite,indirect", TRACETAPE]
    for args in (["info", tape], ["replay", "--format", "json", tape],
                 ["load", "-o", tmp_path / "v.db", tape],
                 ["query", "--no-cache", "--format", "csv", tape,
                  "SELECT probe_id, count(*), median(arg0) FROM events GROUP BY 1"],
                 ["report", "--json", tmp_path / "v.db"]):
        r = run([*vg, *args], timeout=600)
        assert r.returncode == 0, (args[0], r.stderr[-3000:])
