# SPDX-License-Identifier: MIT
"""Test plan: `tracetape list` and `tracetape gen-header`.

list-1  the probes of Debian's PostgreSQL 15, PHP 8.2, Python 3.11, libstdc++ and the JVM: every
        stapsdt note is reported (as many sites as readelf shows notes), no spec is unparsed,
        every symbolic operand resolves, and pc and semaphore file offsets agree with the
        program headers (the semaphore's segment is not the text segment in php and python).
list-2  bad input: a non-ELF file, a missing file, a directory, a binary without probes, a
        missing process, a bad pid, files and -p together, no argument, a malformed or missing
        provider file: exact message and exit code (1 runtime, 2 usage).
list-3  a site whose spec cannot be parsed is listed as unparsed, named on stderr, exit 1.
list-4  --schema names and types the arguments of sys/sdt.h probes; the human output is exact.
list-5  -p PID lists the probes of the executable and of the libraries the process maps.
gh-1    gen-header output equals the golden file (TT_UPDATE_GOLDEN=1 rewrites it); -o writes the
        same bytes and leaves no temporary file.
gh-2    the generated header compiles (gcc, clang; C and C++) into probes whose notes carry the
        provider file's argument names.
gh-3    gen-header bad input: malformed file (line and column), missing file, no argument, an
        unwritable output: exact message and exit code, nothing written.
"""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, IN_CI, SDK_INCLUDE, SOURCE_DIR, build_c, run, tt

GOLDEN = SOURCE_DIR / "tests" / "e2e" / "golden"
UPDATE_GOLDEN = os.environ.get("TT_UPDATE_GOLDEN") == "1"

RUNTIMES = [
    "/usr/lib/postgresql/15/bin/postgres",
    "/usr/bin/php8.2",
    "/usr/bin/python3.11",
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
    "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so",
]


def check_run(cmd, timeout=120, **kw):
    r = run(cmd, timeout=timeout, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout}\n{r.stderr}"
    return r


def need_file(path):
    if not Path(path).exists():
        pytest.skip(f"needs {path} (scripts/deps.sh test installs it)")


def load_segments(path):
    """PT_LOAD segments (vaddr, offset, filesz) from readelf, independently of tracetape."""
    out = check_run(["readelf", "-lW", path]).stdout
    segs = []
    for m in re.finditer(r"^\s+LOAD\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x[0-9a-f]+ 0x([0-9a-f]+)", out, re.M):
        segs.append((int(m.group(2), 16), int(m.group(1), 16), int(m.group(3), 16)))
    return segs


def to_offset(segs, vaddr):
    for va, off, filesz in segs:
        if va <= vaddr < va + filesz:
            return vaddr - va + off
    raise AssertionError(f"0x{vaddr:x} in no segment")


@pytest.mark.parametrize("path", RUNTIMES, ids=lambda p: Path(p).name)
def test_runtime_probes_all_parse(path):
    need_file(path)
    r = tt("list", "--json", path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    probes = json.loads(r.stdout)["files"][0]["probes"]
    sites = [s for p in probes for s in p["sites"]]
    notes = check_run(["readelf", "-n", "--wide", path]).stdout.count("NT_STAPSDT")
    assert len(sites) == notes
    assert all(s["error"] is None for s in sites)
    segs = load_segments(path)
    for s in sites:
        assert s["offset"] == to_offset(segs, s["pc"])
        if s["semaphore"]:
            assert s["semaphore_offset"] == to_offset(segs, s["semaphore"])
    text = tt("list", "-v", path)
    assert text.returncode == 0
    assert "not found" not in text.stdout  # every symbolic operand resolved
    if "postgres" in path:
        assert re.search(r"checkpoint__done .*-4@NBuffers\(%rip\)", text.stdout)
        assert re.search(r"\[arg1: NBuffers\+0 = 0x[0-9a-f]+\]", text.stdout)
        assert all(p["semaphore"] for p in probes)
    if path.endswith(("php8.2", "python3.11")):  # the data segment's delta is not the text's
        assert any(s["semaphore_offset"] != s["semaphore"] - (s["pc"] - s["offset"]) for s in sites)


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    d = tmp_path_factory.mktemp("list")
    (d / "noprobes.c").write_text("int main(void) { return 0; }\n")
    check_run(["gcc", "-O2", "-o", d / "noprobes", d / "noprobes.c"])
    check_run(["gcc", "-O2", "-o", d / "bad_spec", FIXTURES / "bad_spec.c"])
    check_run(["gcc", "-O2", "-o", d / "sdt_schema", FIXTURES / "sdt_schema.c"])
    (d / "text.txt").write_text("not an ELF file\n")
    (d / "broken.d").write_text("provider p {\n  probe x(int a\n};\n")
    return d


def err_line(cmd, msg):
    return f"tracetape {cmd}: error: {msg}\n"


def test_list_bad_input(tools):
    cases = [
        ([tools / "text.txt"], 1, err_line("list", f"{tools / 'text.txt'}: not an ELF file")),
        ([tools / "missing"], 1, err_line("list", f"{tools / 'missing'}: No such file or directory")),
        ([tools], 1, err_line("list", f"{tools}: is a directory")),
        ([tools / "noprobes"], 1,
         err_line("list", f"{tools / 'noprobes'}: no USDT probes (no .note.stapsdt notes)")),
        ([], 2, err_line("list", "name at least one binary or library, or -p PID (see 'tracetape list --help')")),
        (["-p", "abc"], 2,
         err_line("list", "-p needs a process id (a positive number), got 'abc' (see 'tracetape list --help')")),
        (["-p", "0"], 2,
         err_line("list", "-p needs a process id (a positive number), got '0' (see 'tracetape list --help')")),
        (["-p", "1", tools / "noprobes"], 2,
         err_line("list", "give either files or -p PID, not both (see 'tracetape list --help')")),
        (["--schema", tools / "broken.d", tools / "sdt_schema"], 1,
         err_line("list", f"{tools / 'broken.d'}:3:1: expected a type, a name, ',' or ')' in the "
                          "argument list, got '}'")),
        (["--schema", tools / "missing.d", tools / "sdt_schema"], 1,
         err_line("list", f"{tools / 'missing.d'}: No such file or directory")),
    ]
    for args, code, stderr in cases:
        r = tt("list", *args)
        assert (r.returncode, r.stderr) == (code, stderr), args
        assert r.stdout == ""


def test_list_missing_pid():
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())  # pids are below it
    r = tt("list", "-p", str(pid_max))
    assert r.returncode == 1
    assert r.stderr == err_line("list", f"no process with pid {pid_max}")
    assert r.stdout == ""


def test_list_one_bad_file_among_good_ones(tools):
    r = tt("list", "--json", tools / "sdt_schema", tools / "text.txt")
    assert r.returncode == 1
    assert r.stderr == err_line("list", f"{tools / 'text.txt'}: not an ELF file")
    assert [f["path"] for f in json.loads(r.stdout)["files"]] == [str(tools / "sdt_schema")]


def test_list_unparsed_spec(tools):
    exe = tools / "bad_spec"
    r = tt("list", exe)
    assert r.returncode == 1
    assert re.fullmatch(
        err_line("list", re.escape(f"{exe}: bad:xmm at 0x") + "[0-9a-f]+" + re.escape(
            ": unparsed argument spec '8@%xmm0 -4@$1': argument 1 '8@%xmm0': "
            "floating-point register '%xmm0' is not supported")), r.stderr)
    lines = r.stdout.splitlines()
    assert re.fullmatch(re.escape(f"{exe}: 2 probes, 2 sites, build id ") + "[0-9a-f]+", lines[0])
    assert lines[1:] == [
        "  PROBE     SITES  SEMAPHORE   ARGUMENTS  SPECS",
        "  bad:fine      1  -           s32        -4@$7",
        "  bad:xmm       1  -           ?          8@%xmm0 -4@$1 (unparsed)",
    ]
    j = tt("list", "--json", exe)
    assert j.returncode == 1
    xmm = [p for p in json.loads(j.stdout)["files"][0]["probes"] if p["name"] == "xmm"][0]
    assert xmm["args"] == []
    assert xmm["sites"][0]["error"] == "argument 1 '8@%xmm0': floating-point register '%xmm0' is not supported"


def test_list_schema_names_sdt_probes(tools):
    exe = tools / "sdt_schema"
    plain = tt("list", exe)
    assert plain.returncode == 0, plain.stderr
    schema = tt("list", "--schema", FIXTURES / "sdt_schema.d", exe)
    assert schema.returncode == 0, schema.stderr
    assert schema.stderr == ""

    def table(out):
        rows = {}
        for line in out.splitlines()[2:]:
            cols = re.split(r"\s{2,}", line.strip())
            rows[cols[0]] = cols[3]
        return rows

    assert table(plain.stdout) == {"db:lock__wait": "any32, any16, s32", "db:query__start": "any64, any32",
                                   "db:undeclared": "s32"}
    # the provider file's class, the note's size (the .d says unsigned int, the binary passes 2 bytes)
    assert table(schema.stdout) == {"db:lock__wait": "u32, u16 field, s32 mode",
                                    "db:query__start": "str query, any32 xid", "db:undeclared": "s32"}
    j = json.loads(tt("list", "--json", "--schema", FIXTURES / "sdt_schema.d", exe).stdout)
    q = [p for p in j["files"][0]["probes"] if p["name"] == "query__start"][0]
    assert q["args"] == [
        {"name": "query", "kind": "str", "kind_code": 0x58, "source": "schema"},
        {"name": "xid", "kind": "any32", "kind_code": 0x04, "source": "spec"},
    ]


def test_list_pid(tmp_path):
    lib = tmp_path / "libsdkfx.so"
    check_run(["gcc", "-O2", "-I", SDK_INCLUDE, "-DFX_LIBRARY", "-shared", "-fPIC", "-o", lib,
               FIXTURES / "sdk_fixture.c"])
    exe = tmp_path / "host"
    check_run(["gcc", "-O2", "-o", exe, FIXTURES / "sdk_fixture_host.c", "-L", tmp_path, "-lsdkfx",
               "-Wl,-rpath," + str(tmp_path)])
    ready = tmp_path / "ready"
    # the fixture waits (at most 30 s) for `ready`: long enough to be listed
    proc = subprocess.Popen([str(exe), "--run", str(tmp_path / "expect"), str(ready)])
    try:
        r = tt("list", "--json", "-p", str(proc.pid))
        text = tt("list", "-p", str(proc.pid))
    finally:
        ready.write_text("")
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    assert r.returncode == 0, r.stderr
    files = json.loads(r.stdout)["files"]
    assert [f["path"] for f in files] == [str(lib)]  # the host has no probes; libc neither
    assert files[0]["open_path"].startswith(f"/proc/{proc.pid}/")
    assert len(files[0]["probes"]) == 19
    assert text.returncode == 0
    assert text.stdout.startswith(f"{lib}: 19 probes, ")


def test_gen_header_golden(tmp_path):
    r = tt("gen-header", FIXTURES / "gen_header.d")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    golden = GOLDEN / "gen_header.h"
    if UPDATE_GOLDEN and not IN_CI:
        golden.write_text(r.stdout)
    assert r.stdout == golden.read_text()
    out = tmp_path / "gen_header.h"
    r = tt("gen-header", FIXTURES / "gen_header.d", "-o", out)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    # the same header, but its guard follows the output's name
    assert out.read_text() == golden.read_text().replace("TT_GEN_GEN_HEADER_D", "TT_GEN_GEN_HEADER_H")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gen_header.h"]


@pytest.mark.parametrize("cc,std", [("gcc", "c99"), ("clang", "c11"), ("g++", "c++11"), ("clang++", "c++17")])
def test_gen_header_compiles_with_names(cc, std, tmp_path):
    check_run([str(Path(os.environ.get("TT_BUILD_DIR", SOURCE_DIR / "build")) / "tracetape"),
               "gen-header", FIXTURES / "gen_header.d", "-o", tmp_path / "gen_header.h"])
    exe = tmp_path / "user"
    lang = ["-x", "c++"] if "++" in cc else []
    check_run([cc, "-O2", f"-std={std}", "-pedantic", "-Wall", "-Wextra", "-Werror", "-I", SDK_INCLUDE,
               "-I", tmp_path, *lang, "-o", exe, FIXTURES / "gen_header_user.c"])
    assert check_run([exe]).stdout == "0\n"  # nobody traces MYAPP_REQUEST_START
    r = tt("list", "--json", exe)
    assert r.returncode == 0, r.stderr
    got = {p["name"]: [(a["kind"], a["name"]) for a in p["args"]]
           for p in json.loads(r.stdout)["files"][0]["probes"]}
    assert got == {
        "request__start": [("str", "url"), ("s64", "id")],
        "request__done": [("s64", "id"), ("s32", "status"), ("f64", "seconds")],
        "cache__hit": [("str", "key")],
        "tick": [],
        "unnamed": [("u32", None), ("str", None)],
        "mixed": [("s32", "count"), ("u32", None), ("str", "name")],
        "x__y__z": [("s32", "v")],
    }


def test_gen_header_bad_input(tmp_path):
    broken = tmp_path / "broken.d"
    broken.write_text("provider p {\n  probe x(int a);\n  probe x(long b);\n};\n")
    cases = [
        ([broken], 1, err_line("gen-header", f"{broken}:3:9: probe 'x' is already declared on line 2")),
        ([tmp_path / "missing.d"], 1, err_line("gen-header", f"{tmp_path / 'missing.d'}: No such file or directory")),
        ([], 2, err_line("gen-header", "name the provider file (PROVIDER.d) (see 'tracetape gen-header --help')")),
        ([broken, "extra"], 2, err_line("gen-header", "unexpected argument 'extra' (see 'tracetape gen-header --help')")),
        ([FIXTURES / "gen_header.d", "-o", tmp_path / "no" / "dir.h"], 1,
         err_line("gen-header", f"{tmp_path / 'no' / 'dir.h'}: No such file or directory")),
    ]
    for args, code, stderr in cases:
        r = tt("gen-header", *args)
        assert (r.returncode, r.stderr, r.stdout) == (code, stderr, ""), args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.d"]


def test_list_json_is_valid_for_any_file_name(tmp_path):
    """A file name that is not UTF-8 (svc\\xffbin) still gives JSON that parses: the byte is
    escaped, not passed through."""
    src = tmp_path / "p.c"
    src.write_text("#include <tracetape/probe.h>\nint main(void) { TT_PROBE(a, b, 1); return 0; }\n")
    exe = os.fsdecode(bytes(tmp_path) + b"/svc\xffbin")
    r = run(["gcc", "-O2", "-I", SDK_INCLUDE, "-o", exe, src])
    assert r.returncode == 0, r.stderr
    r = tt("list", "--json", exe)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["files"][0]["path"].endswith("svc\u00ffbin")


LIST_SRC = r"""#include <stdint.h>
#include <tracetape/probe.h>
struct req { int64_t id; const char *url; };
int main(int argc, char **argv)
{
	struct req r = {argc, argv[0]};
	double ratio = argc / 3.0;

	TT_PROBE(gold, start, r.id, r.url);
	TT_PROBE(gold, ratio, ratio, (uint8_t)argc, (int16_t)-argc);
	if (TT_PROBE_ENABLED(gold, guarded))
		TT_PROBE(gold, guarded, argc);
	TT_PROBE(gold, none);
	return 0;
}
"""


def normalized(text, exe):
    text = text.replace(str(exe), "PROG")
    text = re.sub(r"\b[0-9a-f]{40}\b", "BUILDID", text)
    return re.sub(r"0x[0-9a-f]+", "0xADDR", text)


@pytest.mark.parametrize("name,args", [("list.txt", []), ("list.json", ["--json"])])
def test_list_output_golden(tmp_path, name, args):
    """list's text and --json for a program built from a fixed source; the addresses and the
    build id, which depend on the compiler, replaced by placeholders."""
    (tmp_path / "gold.c").write_text(LIST_SRC)
    exe = build_c(tmp_path / "gold.c", tmp_path / "gold", opt="-O2")
    r = tt("list", *args, exe)
    assert r.returncode == 0, r.stderr
    path = GOLDEN / name
    text = normalized(r.stdout, exe)
    if UPDATE_GOLDEN:
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs (TT_UPDATE_GOLDEN=1 rewrites it)"
