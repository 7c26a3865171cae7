# SPDX-License-Identifier: MIT
"""Test plan: what `meson install` puts on a system, used as a user would, from a scratch prefix.

inst-1  the install holds the binary, the SDK header, tracetape.pc, the SQLite extension, the
        man pages (tracetape(1), one per command, tracetape-sql(7)) and bash completion.
inst-2  examples/c-service compiles against the installed header found through pkg-config.
inst-3  the sqlite3 shell loads the installed extension and its functions work.
inst-4  every man page renders without a roff warning; `man tracetape-record` shows its options.
inst-5  bash completion completes `tracetape rec<TAB>`, an option of a command, a preset, and
        the probe names of a binary after `usdt:PATH:`.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, host_env, run

PREFIX = "/usr/local"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    d = tmp_path_factory.mktemp("inst")
    r = run(["meson", "install", "-C", BUILD_DIR, "--destdir", d, "--no-rebuild", "--quiet"],
            timeout=300)
    assert r.returncode == 0, r.stderr
    return d / PREFIX.lstrip("/")


def libdir(root):
    return next(p.parent for p in root.rglob("tracetape.pc")).parent


def test_installed_files(root):
    names = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    lib = libdir(root).relative_to(root).as_posix()
    for want in ["bin/tracetape", "include/tracetape/probe.h", "include/tracetape/dynamic.h",
                 f"{lib}/pkgconfig/tracetape.pc",
                 f"{lib}/tracetape_sqlite.so", "share/man/man1/tracetape.1",
                 "share/man/man1/tracetape-record.1", "share/man/man1/tracetape-report.1",
                 "share/man/man7/tracetape-sql.7",
                 "share/bash-completion/completions/tracetape"]:
        assert want in names, (want, sorted(names))
    cmds = run([root / "bin" / "tracetape", "help", "--options"]).stdout
    for cmd in {line.split("\t")[0] for line in cmds.splitlines()}:
        assert f"share/man/man1/tracetape-{cmd}.1" in names, cmd


def test_example_builds_against_installed_header(root, tmp_path):
    pc = libdir(root) / "pkgconfig"
    r = run(["pkg-config", f"--define-variable=prefix={root}", "--cflags", "tracetape"],
            env=dict(os.environ, PKG_CONFIG_PATH=str(pc)))
    assert r.returncode == 0, r.stderr
    cflags = r.stdout.split()
    assert f"-I{root}/include" in cflags, cflags
    src = SOURCE_DIR / "examples" / "c-service"
    exe = tmp_path / "svc"
    # only the installed SDK on the include path: the source tree's is not reachable
    r = run(["gcc", "-O2", *cflags, "-o", exe, src / "service.c", src / "cache.c", "-lpthread"])
    assert r.returncode == 0, r.stderr
    r = run([root / "bin" / "tracetape", "list", exe])
    assert r.returncode == 0 and "svc:request__begin" in r.stdout, r.stdout + r.stderr


def test_sqlite_shell_loads_installed_extension(root):
    if not shutil.which("sqlite3"):
        pytest.skip("needs the sqlite3 shell (scripts/deps.sh test installs it)")
    ext = libdir(root) / "tracetape_sqlite"
    r = run(["sqlite3", ":memory:", f".load {ext}",
             "SELECT median(x), percentile(x, 90), log2_bucket(1000) FROM "
             "(SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 10);"],
            env=host_env())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "2.5|10|512", r.stdout


def test_man_pages_render(root):
    pages = sorted((root / "share" / "man").rglob("*.[17]"))
    assert len(pages) >= 8
    for page in pages:
        # every warning but "cannot break/adjust a line" (a long JSON example line)
        r = run(["groff", "-man", "-Tutf8", "-ww", "-Wbreak", "-z", page])
        assert r.returncode == 0 and r.stderr == "", (page, r.stderr)
    r = run(["man", "-P", "cat", "tracetape-record"],
            env=dict(os.environ, MANPATH=str(root / "share" / "man"), MANWIDTH="100"))
    assert r.returncode == 0, r.stderr
    assert "TRACETAPE-RECORD(1)" in r.stdout and "--output" in r.stdout.replace("‐", "-")
    r = run(["man", "-P", "cat", "7", "tracetape-sql"],
            env=dict(os.environ, MANPATH=str(root / "share" / "man")))
    assert "CREATE TABLE events" in r.stdout, r.stdout[:500]


def complete(root, *words):
    """COMPREPLY of the installed completion for the command line words (the last one is the
    word being completed)."""
    script = (f'source {root}/share/bash-completion/completions/tracetape\n'
              f'COMP_WORDS=({" ".join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n'
              '_tracetape; printf "%s\\n" "${COMPREPLY[@]}"\n')
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PATH=f"{root}/bin:{os.environ['PATH']}"))
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_bash_completion(root, tmp_path):
    assert complete(root, "tracetape", "rec") == ["record"]
    assert "--format" in complete(root, "tracetape", "replay", "--for")
    assert "cxx-exceptions" in complete(root, "tracetape", "record", "--preset", "cxx")
    src = tmp_path / "p.c"
    src.write_text("#include <tracetape/probe.h>\n"
                   "int main(int c, char **v) { (void)v; TT_PROBE(shop, checkout, c);\n"
                   "  TT_PROBE(shop, cart, c); return 0; }\n")
    exe = tmp_path / "shop"
    r = run(["gcc", "-O2", f"-I{root}/include", "-o", exe, src])
    assert r.returncode == 0, r.stderr
    assert complete(root, "tracetape", "record", f"usdt:{exe}:shop:c") == [
        f"usdt:{exe}:shop:cart", f"usdt:{exe}:shop:checkout"]
