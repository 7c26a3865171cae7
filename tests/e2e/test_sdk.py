# SPDX-License-Identifier: MIT
"""Test plan: the SDK header (sdk/include/tracetape/probe.h) seen by other tools.

The fixture tests/fixtures/sdk_fixture.c describes itself (--list, --bpftrace, --run); it is built
in every variant: gcc and clang, C (c99, c11) and C++ (c++11, c++17), -O0 and -O2, executable and
shared library (then tests/fixtures/sdk_fixture_host.c is the executable).

sdk-1  readelf -n shows a stapsdt note for every probe the fixture declares, with its argument
       count, and a tracetape note for each.
sdk-2  bpftrace -l lists every probe.
sdk-3  tracetape list --json reports every probe with the declared kinds, names, at least the
       declared number of sites, a semaphore, and no unparsed spec.
sdk-4  bpftrace attached to every probe prints exactly what the fixture says it fired, strings
       included (arguments 0-5: bpftrace 0.17 reads no more), and the attach enabled every
       probe's semaphore and no other.
sdk-5  the probe site is one `nop`; with TT_PROBE_NOP10 it is `nop; nop10`.
sdk-6  TT_PROBE_ENABLED compiles to `cmpw $0, sema(%rip)` and one conditional jump (gcc, clang).
sdk-7  C++ inline functions: the notes of the COMDAT copies the linker drops are dropped too;
       a semaphore checked in one translation unit and fired in another is one symbol.
sdk-8  the header compiles silently with -std=c99/c11/c2x -pedantic and C++11/14/17/20 -pedantic,
       -O0 to -O3, with TT_NO_PROBES, and without asm flag outputs (the fallback read).
sdk-9  examples/c-service: the counts it prints for N requests, its probes' kinds and names (in
       the executable and in its library), and exact per-probe counts under bpftrace.
"""
import json
import re
import subprocess

import pytest

from conftest import BUILD_DIR, FIXTURES, SDK_INCLUDE, need_bpf, need_program, run, tt

COMPILERS = {"gcc": ("gcc", "g++"), "clang": ("clang", "clang++")}
STDS = ["c99", "c11", "c++11", "c++17"]
OPTS = ["-O0", "-O2"]
KINDS = ["exe", "lib"]
VARIANTS = [(c, s, o, k) for c in COMPILERS for s in STDS for o in OPTS for k in KINDS]


def variant_id(v):
    # no '+' in ids: they name directories, and bpftrace 0.17 cannot parse '+' in a probe path
    return "-".join(x.lstrip("-").replace("+", "x") for x in v)


def compile_cmd(cc, std, opt, extra, out, src):
    is_cxx = std.startswith("c++")
    compiler = COMPILERS[cc][1 if is_cxx else 0]
    cmd = [compiler, opt, "-g", f"-std={std}", "-pedantic", "-Wall", "-Wextra", "-Werror",
           "-I", SDK_INCLUDE, *extra]
    if is_cxx:
        cmd += ["-x", "c++"]
    return cmd + ["-o", out, src]


def check_run(cmd, timeout=120):
    r = run(cmd, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build each variant once: {variant: (executable, file with the probes)}."""
    cache = {}

    def get(v):
        if v in cache:
            return cache[v]
        cc, std, opt, kind = v
        d = tmp_path_factory.mktemp(variant_id(v))
        src = FIXTURES / "sdk_fixture.c"
        if kind == "exe":
            exe = d / "sdk_fixture"
            check_run(compile_cmd(cc, std, opt, [], exe, src))
            cache[v] = (exe, exe)
        else:
            lib = d / "libsdkfx.so"
            check_run(compile_cmd(cc, std, opt, ["-DFX_LIBRARY", "-shared", "-fPIC"], lib, src))
            exe = d / "sdk_fixture_host"
            check_run([COMPILERS[cc][0], opt, "-o", exe, FIXTURES / "sdk_fixture_host.c",
                       "-L", d, "-lsdkfx", "-Wl,-rpath," + str(d)])
            cache[v] = (exe, lib)
        return cache[v]

    return get


def expected_probes(exe):
    """The fixture's own description: {name: (argc, names, kinds, min_sites)}."""
    out = check_run([exe, "--list"]).stdout
    probes = {}
    for line in out.splitlines():
        full, argc, names, kinds, min_sites = line.split()
        probes[full] = (int(argc), [] if names == "-" else names.split(","),
                        [] if kinds == "-" else kinds.split(","), int(min_sites))
    return probes


@pytest.mark.parametrize("v", VARIANTS, ids=variant_id)
def test_readelf_shows_notes(v, built):
    need_program("readelf")
    exe, probe_file = built(v)
    expect = expected_probes(exe)
    r = check_run(["readelf", "-n", "--wide", probe_file])
    seen = {}
    for m in re.finditer(r"Provider: (\S+)\n\s+Name: (\S+)\n.*\n\s+Arguments: ?(.*)\n", r.stdout):
        argc = len(m.group(3).split())
        seen.setdefault(f"{m.group(1)}:{m.group(2)}", set()).add(argc)
    for full, (argc, _, _, min_sites) in expect.items():
        assert seen.get(full) == {argc}, (full, seen.get(full), r.stdout[-2000:])
    assert set(seen) == set(expect)
    stapsdt = r.stdout.count("NT_STAPSDT")
    assert stapsdt >= len(expect)
    # one tracetape note beside every stapsdt note, owner "tracetape"
    assert len(re.findall(r"^\s+tracetape\s+0x", r.stdout, re.M)) == stapsdt


@pytest.mark.parametrize("v", VARIANTS, ids=variant_id)
def test_bpftrace_lists_probes(v, built):
    need_program("bpftrace")
    need_bpf()
    exe, probe_file = built(v)
    expect = expected_probes(exe)
    r = run(["bpftrace", "-l", f"usdt:{probe_file}:*"], timeout=60)
    assert r.returncode == 0, r.stderr
    listed = {line.split(":", 2)[2] for line in r.stdout.split() if line.startswith("usdt:")}
    assert listed == set(expect)
    assert "Parse error" not in r.stderr


@pytest.mark.parametrize("v", VARIANTS, ids=variant_id)
def test_list_reports_types_and_names(v, built):
    exe, probe_file = built(v)
    expect = expected_probes(exe)
    r = tt("list", "--json", probe_file)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    files = json.loads(r.stdout)["files"]
    assert len(files) == 1
    got = {f"{p['provider']}:{p['name']}": p for p in files[0]["probes"]}
    assert set(got) == set(expect)
    for full, (argc, names, kinds, min_sites) in expect.items():
        p = got[full]
        assert len(p["args"]) == argc, full
        assert [a["kind"] for a in p["args"]] == kinds, full
        assert [a["name"] or f"arg{i}" for i, a in enumerate(p["args"])] == names, full
        assert all(a["source"] == "note" for a in p["args"]), full
        assert len(p["sites"]) >= min_sites, full
        assert p["semaphore"] != 0, full
        for s in p["sites"]:
            assert s["error"] is None and s["typed"], (full, s)
    # spans share the semaphore of their name, TT_PROBE_SEMA probes theirs
    assert got["fx:req__begin"]["semaphore"] == got["fx:req__end"]["semaphore"]
    assert got["fx:shared_a"]["semaphore"] == got["fx:shared_b"]["semaphore"]
    assert got["fx:loop"]["semaphore"] != got["fx:noargs"]["semaphore"]


@pytest.mark.parametrize("v", VARIANTS, ids=variant_id)
def test_bpftrace_sees_exact_values(v, built, tmp_path):
    need_program("bpftrace")
    need_bpf()
    exe, probe_file = built(v)
    ready = tmp_path / "ready"
    script = tmp_path / "fx.bt"
    # relative: bpftrace 0.17 limits strings to 64 bytes; bpftrace runs in tmp_path
    script.write_text(check_run([exe, "--bpftrace", probe_file, ready.name]).stdout)
    expect_file = tmp_path / "expected.txt"
    # The fixture fires fx:ready until bpftrace, which handles events only once every probe is
    # attached, creates the file `ready`; then it fires everything once and ends with fx:done,
    # on which the script exits. Each side gives up on its own after a bounded time.
    fixture = subprocess.Popen([str(exe), "--run", str(expect_file), str(ready)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        r = run(["bpftrace", "--unsafe", script], timeout=120, cwd=tmp_path)
        out, err = fixture.communicate(timeout=60)
    finally:
        if fixture.poll() is None:
            fixture.kill()
            fixture.wait(timeout=10)
    assert r.returncode == 0, r.stderr
    assert fixture.returncode == 0, err
    expected = expect_file.read_text().splitlines()
    assert expected[0] == "# semaphores 17/17"
    got = [line for line in r.stdout.splitlines() if line and not line.startswith("Attaching ")]
    assert got == expected[1:]


def file_bytes(path, offset, count):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(count)


@pytest.mark.parametrize("nop10", [False, True], ids=["nop", "nop10"])
def test_site_is_a_single_nop(nop10, tmp_path):
    src = tmp_path / "site.c"
    src.write_text("#include <tracetape/probe.h>\n"
                   "int main(int argc, char **argv) { (void)argv; TT_PROBE(s, one, argc); return 0; }\n")
    exe = tmp_path / "site"
    check_run(["gcc", "-O2", "-I", SDK_INCLUDE, *(["-DTT_PROBE_NOP10"] if nop10 else []),
               "-o", exe, src])
    r = tt("list", "--json", exe)
    assert r.returncode == 0, r.stderr
    site = json.loads(r.stdout)["files"][0]["probes"][0]["sites"][0]
    code = file_bytes(exe, site["offset"], 11)
    if nop10:
        assert code == bytes.fromhex("90662e0f1f840000000000")
    else:
        assert code[0] == 0x90
        assert code[1:6] != bytes.fromhex("0f1f440000")


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_enabled_is_one_load_and_one_branch(cc, tmp_path):
    need_program("objdump")
    src = tmp_path / "en.c"
    src.write_text("#include <tracetape/probe.h>\n"
                   "void work(int);\n"
                   "void f(int n) { for (int i = 0; i < n; i++) if (TT_PROBE_ENABLED(e, p)) work(i); }\n")
    obj = tmp_path / "en.o"
    check_run([cc, "-O2", "-I", SDK_INCLUDE, "-c", "-o", obj, src])
    dis = check_run(["objdump", "-d", "-r", "--no-show-raw-insn", obj]).stdout
    lines = [line.split("\t", 1)[-1].strip() for line in dis.splitlines()
             if re.match(r"\s+[0-9a-f]+:", line) and "R_X86_64" not in line]
    idx = [i for i, line in enumerate(lines) if line.startswith("cmpw") and "$0x0" in line and "(%rip)" in line]
    assert len(idx) == 1, dis
    assert re.match(r"j(ne|e)\s", lines[idx[0] + 1]), dis
    assert "__tt_sema_e__p" in dis


INLINE_H = """#include <tracetape/probe.h>
inline int twice(int x) { TT_PROBE(cx, inl, x); return 2 * x; }
int a(int); int b(int);
"""


def test_cxx_comdat_notes_and_shared_semaphore(tmp_path):
    (tmp_path / "inl.h").write_text(INLINE_H)
    # a.cc fires cx:plain; b.cc only asks whether it is enabled
    (tmp_path / "a.cc").write_text('#include "inl.h"\nint a(int x) { TT_PROBE(cx, plain, x); return twice(x); }\n')
    (tmp_path / "b.cc").write_text('#include "inl.h"\nint b(int x) { return twice(x) + (TT_PROBE_ENABLED(cx, plain) ? 1 : 0); }\n'
                                   "int main(int argc, char **argv) { (void)argv; return a(argc) + b(argc) > 100; }\n")
    exe = tmp_path / "inl"
    # -O0 keeps twice() out of line: one COMDAT copy per object, the linker keeps one
    check_run(["g++", "-O0", "-I", SDK_INCLUDE, "-I", tmp_path, "-o", exe,
               tmp_path / "a.cc", tmp_path / "b.cc"])
    r = tt("list", "--json", exe)
    assert r.returncode == 0, r.stderr
    probes = json.loads(r.stdout)["files"][0]["probes"]
    assert [(p["provider"], p["name"], len(p["sites"])) for p in probes] == [("cx", "inl", 1), ("cx", "plain", 1)]
    nm = check_run(["nm", exe]).stdout
    for p in probes:
        semas = [line.split() for line in nm.splitlines() if line.endswith(f"__tt_sema_cx__{p['name']}")]
        assert len(semas) == 1, nm  # each object defined it; the linker kept one
        assert int(semas[0][0], 16) == p["semaphore"]
    # b.o defines the semaphore although it has no site of cx:plain
    check_run(["g++", "-O0", "-I", SDK_INCLUDE, "-I", tmp_path, "-c", "-o", tmp_path / "b.o", tmp_path / "b.cc"])
    assert re.search(r"^[0-9a-f]+ V __tt_sema_cx__plain$", check_run(["nm", tmp_path / "b.o"]).stdout, re.M)


COMPILE_SRC = r"""
#include <tracetape/probe.h>
enum e { E0, E1 };
struct s { int id; const char *name; };
volatile int sink;
int run(int n, const char *str, struct s *p, double d);
int run(int n, const char *str, struct s *p, double d)
{
    char buf[4] = "abc";
    long double ld = d;
    enum e ev = E1;
    TT_PROBE(c, zero);
    TT_PROBE(c, all, n, str, p->id, p->name, d, ld, buf, ev, (unsigned char)n, (short)n, 1.5, "x");
    TT_SPAN_BEGIN(c, sp, p, n);
    TT_SPAN_END(c, sp, p);
    TT_PROBE_SEMA(c, grouped, g, n);
    TT_PROBE_EXPLICIT(c, ex, ex, "a\0b", n, str);
    if (TT_PROBE_ENABLED(c, all) || TT_SPAN_ENABLED(c, sp) || TT_SEMA_ENABLED(c, g))
        sink = 1;
    return n;
}
"""


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_header_compiles_everywhere(cc, tmp_path):
    src = tmp_path / "compile.c"
    src.write_text(COMPILE_SRC)
    c_stds = ["c99", "c11", "c17", "c2x", "gnu99", "gnu11"]
    cxx_stds = ["c++11", "c++14", "c++17", "c++20"]
    for opt in ["-O0", "-O1", "-O2", "-O3", "-Os"]:
        for std in c_stds + cxx_stds:
            cmd = compile_cmd(cc, std, opt, ["-c"], tmp_path / "o.o", src)
            check_run(cmd)
    for extra in (["-DTT_NO_PROBES"], ["-U__GCC_ASM_FLAG_OUTPUTS__"], ["-DTT_PROBE_NOP10"],
                  ["-fPIC"], ["-fno-pie", "-no-pie"]):
        for std in ("c11", "c++17"):
            check_run(compile_cmd(cc, std, "-O2", ["-c", *[e for e in extra if e != "-no-pie"]],
                                  tmp_path / "o.o", src))


def example_dir():
    d = BUILD_DIR / "examples" / "c-service"
    assert (d / "c-service").exists(), f"{d}/c-service is missing: build first"
    return d


def test_example_service_counts():
    d = example_dir()
    r = check_run([d / "c-service", "--requests", "41", "--sleep-us", "0"])
    assert r.stdout == "requests 41: 31 ok, 10 not found; cache 28 hits, 3 misses\n"
    assert run([d / "c-service", "--requests", "x"]).returncode == 2
    listing = tt("list", "--json", d / "c-service", d / "libsvccache.so")
    assert listing.returncode == 0, listing.stderr
    probes = {f"{p['provider']}:{p['name']}": [(a["kind"], a["name"]) for a in p["args"]]
              for f in json.loads(listing.stdout)["files"] for p in f["probes"]}
    assert probes == {
        "svc:request__begin": [("s64", "id"), ("str", "route")],
        "svc:request__end": [("s64", "id"), ("s32", "status")],
        "svc:response": [("s64", "id"), ("s32", "status"), ("str", "route"), ("u64", "bytes"),
                         ("f64", "latency_ms")],
        "svc:request__dump": [("s64", "id"), ("str", "dump")],
        "cache:lookup": [("str", "key"), ("s32", "hit")],
        "cache:store": [("str", "key"), ("u32", "slot")],
    }


def test_example_service_under_bpftrace(tmp_path):
    need_program("bpftrace")
    need_bpf()
    d = example_dir()
    exe = d / "c-service"
    script = "".join(
        f"usdt:{exe}:svc:{p} {{ @{p}[{key}] = count(); }}\n"
        for p, key in [("request__begin", "str(arg1)"), ("request__end", "arg1"),
                       ("response", "arg1"), ("request__dump", "0")])
    (tmp_path / "svc.bt").write_text(script)
    r = run(["bpftrace", tmp_path / "svc.bt", "-c", f"{exe} --requests 40 --sleep-us 100"], timeout=120)
    assert r.returncode == 0, r.stderr
    maps = dict(re.findall(r"^(@\w+\[[^\]]*\]): (\d+)$", r.stdout, re.M))
    assert maps == {
        "@request__begin[/]": "10", "@request__begin[/users]": "10",
        "@request__begin[/orders]": "10", "@request__begin[/missing]": "10",
        "@request__end[200]": "30", "@request__end[404]": "10",
        "@response[200]": "30", "@response[404]": "10",
        "@request__dump[0]": "40",  # traced, so TT_PROBE_ENABLED let every dump through
    }


CXX_SRC = r"""
#include <tracetape/probe.h>
#include <cstdint>
#include <string>
namespace app {
enum class Color : std::uint16_t { red, green };
enum Plain { P0, P1 };
struct Req { long id; std::string url; };
template <typename T> T twice(T v) { TT_PROBE(cx, tmpl, v); return v + v; }
inline int counted(int x) { if (TT_PROBE_ENABLED(cx, inl)) TT_PROBE(cx, inl, x); return x; }
int run(const Req &r, int &ref, const char (&lit)[6]) {
    bool flag = r.id > 0;
    Color c = Color::green;
    Plain p = P1;
    char16_t c16 = u'x';
    wchar_t wc = L'y';
    auto lambda = [&](int k) { TT_PROBE(cx, lambda, k, r.url.c_str()); return k; };
    TT_PROBE(cx, types, flag, c, p, c16, wc, ref, lit, r.url.c_str(), r.id, nullptr, &r);
    return counted(twice(ref)) + static_cast<int>(twice(1.5)) + lambda(3);
}
}
int main(int argc, char **) {
    app::Req r{argc, "/x"};
    int v = argc;
    return app::run(r, v, "hello") > 1000;
}
"""


@pytest.mark.parametrize("cxx", ["g++", "clang++"])
@pytest.mark.parametrize("std", ["c++11", "c++17", "c++20"])
def test_cxx_types(cxx, std, tmp_path):
    src = tmp_path / "types.cc"
    src.write_text(CXX_SRC)
    for opt in ["-O0", "-O2"]:
        exe = tmp_path / f"types{opt}"
        check_run([cxx, opt, f"-std={std}", "-pedantic", "-Wall", "-Wextra", "-Werror", "-I", SDK_INCLUDE,
                   "-o", exe, src])
        r = tt("list", "--json", exe)
        assert r.returncode == 0, r.stderr
        got = {}
        for p in json.loads(r.stdout)["files"][0]["probes"]:
            got[p["name"]] = sorted({tuple(s["kinds"]) for s in p["sites"]})
        assert got["types"] == [("u8", "u16", "u32", "u16", "s32", "s32", "str", "str", "s64", "ptr", "ptr")]
        assert got["tmpl"] == [("f64",), ("s32",)]  # one site per instantiation
        assert got["inl"] == [("s32",)]
        assert got["lambda"] == [("s32", "str")]


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_names_survive_gc_sections_and_strip(cc, tmp_path):
    """The names are referenced only from the (non-allocated) note: --gc-sections must keep them."""
    exe = tmp_path / "fx"
    check_run([cc, "-O2", "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections", "-I", SDK_INCLUDE,
               "-o", exe, FIXTURES / "sdk_fixture.c"])
    check_run(["strip", exe])
    r = tt("list", "--json", exe)
    assert r.returncode == 0, r.stderr
    named = [p for p in json.loads(r.stdout)["files"][0]["probes"] if p["name"] == "named"][0]
    assert [a["name"] for a in named["args"]] == ["id", "url", "count", None]
