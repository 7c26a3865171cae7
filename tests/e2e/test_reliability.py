# SPDX-License-Identifier: MIT
"""Test plan: outputs that never destroy what they should not, output that is never lost
silently, damage read past alike by every command (issue 23, problems 1, 2 and 5).

rel-1  -o onto a device or a pipe writes in place: gen-header and gen-go onto a null device,
       a full device (exit 1, the reason) and a fifo; the device node stays a device.
       load's database cannot live on a device: -o DEVICE is refused with exit 2, even with
       --force, and the node is untouched.
rel-2  -o naming an input (the same inode under any name) or the program after -- is refused
       with exit 2 before anything is touched: gen-header self.d -o self.d, load --force -o
       x.tape x.tape (and through a hard link), query/info -o INPUT, record -o prog -- ./prog
       (and prog found on $PATH). The files are unchanged byte for byte.
rel-3  Standard output on a full device (/dev/full): query (every format), report, info,
       replay, diff, list, help and --version exit 1 and say why on standard error.
rel-4  One flipped byte in the header of the first events block: load, query and report load
       the events before the damage with a warning; with --skip-damaged, like replay, every
       other event, and the tapes row says damaged with what was skipped.
rel-5  A footer whose checksum is right but whose trailer offset points elsewhere is damage,
       not a clean close: info reports it (exit 1), replay reads every event and warns.
"""
import json
import os
import sqlite3
import stat
import struct
import threading
import zlib

import pytest

from conftest import BUILD_DIR, build_c, mktape, run, small_tape, tt

PROVIDER = "provider app { probe x(int); };\n"
NOSPACE = "No space left on device"


def device(path, minor):
    """A character device node of the mem driver (3 null, 7 full), made for the test: a bug
    that replaces it with a file destroys only this copy, never /dev/null."""
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    return path


def is_chr(path):
    return stat.S_ISCHR(os.lstat(path).st_mode)


def read_fifo(path, into):
    """Read the fifo at path to its end in a thread (the writer blocks until it is opened)."""
    def reader():
        with open(path, "rb") as f:
            into.append(f.read())
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    return t


def test_outputs_on_devices_and_pipes_are_written_in_place(tmp_path):
    d = tmp_path / "p.d"
    d.write_text(PROVIDER)
    null, full = device(tmp_path / "null", 3), device(tmp_path / "full", 7)
    r = tt("gen-header", d, "-o", null)
    assert r.returncode == 0, r.stderr
    assert is_chr(null)
    r = tt("gen-header", d, "-o", full)
    assert r.returncode == 1
    assert r.stderr == f"tracetape gen-header: error: {full}: {NOSPACE}\n"
    assert is_chr(full)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    t = read_fifo(fifo, got)
    r = tt("gen-header", d, "-o", fifo)
    t.join(10)
    assert r.returncode == 0, r.stderr
    assert b"#define" in got[0]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert not list(tmp_path.glob("*.tmp.*"))

    # gen-go: FILE.go on a null device, its assembly on a full one
    go, asm = device(tmp_path / "g.go", 3), device(tmp_path / "g_amd64.s", 7)
    r = tt("gen-go", d, "--package", "g", "-o", go)
    assert r.returncode == 1
    assert r.stderr == f"tracetape gen-go: error: {asm}: {NOSPACE}\n"
    assert is_chr(go) and is_chr(asm)
    assert not (tmp_path / "g_other.go").exists()  # nothing renamed when one output failed

    tape = tmp_path / "p.tape"
    small_tape(tape)
    for force in ([], ["--force"]):
        r = tt("load", *force, "-o", null, tape)
        assert r.returncode == 2
        assert f"error: -o {null}: not a regular file (a database must be one)" in r.stderr
        assert is_chr(null)


def test_an_output_that_is_an_input_or_the_program_is_refused(tmp_path):
    d = tmp_path / "self.d"
    d.write_text(PROVIDER)
    r = tt("gen-header", d, "-o", d)
    assert r.returncode == 2
    assert r.stderr == (f"tracetape gen-header: error: -o {d} is also the input '{d}': refusing "
                        "to overwrite it (write to another file) (see 'tracetape gen-header "
                        "--help')\n")
    assert d.read_text() == PROVIDER

    tape, link = tmp_path / "x.tape", tmp_path / "y.tape"
    small_tape(tape)
    before = tape.read_bytes()
    os.link(tape, link)
    for out in (tape, link):
        r = tt("load", "--force", "-o", out, tape)
        assert r.returncode == 2
        assert f"error: -o {out} is also the input '{tape}'" in r.stderr
    db = tmp_path / "x.db"
    assert tt("load", "-q", "-o", db, tape).returncode == 0
    db_before = db.read_bytes()
    r = tt("query", "-o", db, db, "SELECT 1")
    assert r.returncode == 2 and f"-o {db} is also the input '{db}'" in r.stderr
    r = tt("info", f"--output={link}", tape)
    assert r.returncode == 2 and f"-o {link} is also the input '{tape}'" in r.stderr
    assert tape.read_bytes() == before and db.read_bytes() == db_before

    # the traced program, named by its path or found on $PATH; refused before any BPF work
    bindir = tmp_path / "bin"
    bindir.mkdir()
    prog = bindir / "prog"
    prog.write_bytes(open("/bin/true", "rb").read())
    prog.chmod(0o755)
    body = prog.read_bytes()
    r = tt("record", "-o", prog, "usdt:x:y", "--", prog)
    assert r.returncode == 2
    assert (f"error: -o {prog} is the program to run ('{prog}'): refusing to overwrite it"
            in r.stderr)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    r = tt("record", "-o", prog, "usdt:x:y", "--", "prog", env=env)
    assert r.returncode == 2
    assert f"error: -o {prog} is the program to run ('prog')" in r.stderr
    assert prog.read_bytes() == body


def full_stdout(*args):
    with open("/dev/full", "w") as f:
        return run([BUILD_DIR / "tracetape", *args], stdout=f, timeout=120)


def test_standard_output_on_a_full_device(tmp_path):
    tape = tmp_path / "p.tape"
    small_tape(tape)
    db = tmp_path / "p.db"
    assert tt("load", "-q", "-o", db, tape).returncode == 0
    cases = [["query", "--format", f, db, "SELECT * FROM events"] for f in ("table", "csv", "json")]
    cases += [["report", db], ["info", tape], ["replay", tape], ["diff", db, db],
              ["help", "query"], ["query", "--help"], ["--version"], ["--help"]]
    exe = tmp_path / "sdk_fixture"
    build_c("sdk_fixture.c", exe)
    cases.append(["list", exe])
    for args in cases:
        r = full_stdout(*args)
        assert r.returncode == 1, (args, r.stderr)
        assert NOSPACE in r.stderr, (args, r.stderr)


MANY = "probe 0 p n u64:i str:s\n" + "".join(
    f'event {1000 + i * 1000} {i % 2} 1 {1 + i % 2} 0 {i} "s{i % 5}"\n' for i in range(100))


def test_skip_damaged_in_load_query_and_report(tmp_path):
    tape = tmp_path / "d.tape"
    r = mktape(MANY, tape, "--list-blocks", "--block-events", "10")
    blocks = [line.split() for line in r.stdout.splitlines()]
    first = next(b for b in blocks if b[2] == "events")
    off, end = int(first[0]), int(first[1])
    data = bytearray(tape.read_bytes())
    data[off + 9] ^= 0x01  # the block header's stored size: its checksum fails
    tape.write_bytes(bytes(data))

    r = tt("replay", "--format", "json", "--skip-damaged", tape)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 90

    db = tmp_path / "d.db"
    r = tt("load", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    assert "0 events" in r.stderr and "is damaged at offset" in r.stderr
    r = tt("load", "--force", "--skip-damaged", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    warning = (f"tape '{tape}' is damaged: skipped 1 damaged stretch ({end - off} bytes, 1 block "
               f"lost), the first at offset {off}; loaded the 90 events around them")
    assert warning in r.stderr
    assert "90 events" in r.stderr
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT status, warning, events FROM tapes").fetchall() == [
            ("damaged", warning, 90)]
        assert con.execute("SELECT min(arg0), max(arg0) FROM events").fetchone() == (10, 99)

    for cache in ([], ["--no-cache"]):
        r = tt("query", *cache, "--format", "csv", tape, "SELECT count(*) FROM events")
        assert r.returncode == 0 and r.stdout == "count(*)\n0\n", r.stderr
        r = tt("query", *cache, "--skip-damaged", "--format", "csv", tape,
               "SELECT count(*) FROM events")
        assert r.returncode == 0 and r.stdout == "count(*)\n90\n", r.stderr
        assert warning in r.stderr
    r = tt("report", "--json", "--skip-damaged", tape)
    assert r.returncode == 0, r.stderr
    assert warning in r.stderr


def test_a_footer_pointing_elsewhere_is_not_a_clean_close(tmp_path):
    tape = tmp_path / "f.tape"
    mktape(MANY, tape)
    data = bytearray(tape.read_bytes())
    footer = data[-16:]
    assert footer[8:12] == b"TTND"
    footer[:8] = struct.pack("<Q", 12345)  # a trailer offset pointing nowhere, checksum redone
    footer[12:16] = struct.pack("<I", zlib.crc32(bytes(footer[:12])))
    data[-16:] = footer
    tape.write_bytes(bytes(data))
    size = len(data)

    r = tt("info", "--json", tape)
    assert r.returncode == 1
    info = json.loads(r.stdout)
    assert info["damaged"] == 1 and info["events"] == 100
    assert info["damage"] == [{"offset": size - 16, "bytes": 16, "error": "corrupt data",
                               "block_type": -1}]
    r = tt("replay", "--format", "json", tape)
    assert r.returncode == 1
    assert len(r.stdout.splitlines()) == 100
    assert f"damaged block at offset {size - 16}" in r.stderr
