# SPDX-License-Identifier: MIT
"""Test plan: failures that say what to do (issue 17).

fail-1  record --preset NAME -- CMD, where CMD on PATH is a wrapper script: an error naming the
        script and its interpreter, and what to do (run the program itself, or NAME=PATH).
fail-2  record --preset NAME=PATH -- CMD, CMD a wrapper script: a warning before recording, and
        when the script ran something else (nothing recorded) a second one at the end; a PATH
        that is itself a script (a pyenv shim) is an error saying what to name instead.
fail-3  record --help documents go: specs.
"""
import os

from conftest import need_bpf, need_program, tt


def wrapper(tmp_path, target):
    d = tmp_path / "bin"
    d.mkdir()
    w = d / "python3.11"
    w.write_text(f'#!/bin/sh\nexec {target} "$@"\n')
    w.chmod(0o755)
    return d


def test_preset_with_a_wrapper_script(tmp_path):
    d = wrapper(tmp_path, "/usr/bin/python3.11")
    env = dict(os.environ, PATH=f"{d}:{os.environ['PATH']}")
    r = tt("record", "--preset", "python-calls", "-o", tmp_path / "x.tape", "--", "python3.11",
           "-c", "pass", env=env)
    assert r.returncode == 1
    assert r.stderr == (
        f"tracetape record: error: 'python3.11' is a script ({d}/python3.11 starts with "
        "#!/bin/sh), not the program whose probes 'python-calls' looks for: run that program "
        "itself after -- (e.g. -- /usr/bin/python3.11 app.py instead of a wrapper), or name its "
        "binary (--preset python-calls=PATH)\n")
    assert not (tmp_path / "x.tape").exists()


def test_preset_path_with_a_wrapper_that_runs_something_else(tmp_path):
    need_bpf()
    python = "/usr/bin/python3.11"  # Debian's, with its probes (not a pyenv shim on PATH)
    if not os.path.exists(python):
        need_program("/usr/bin/python3.11")
    d = wrapper(tmp_path, "/bin/true")
    r = tt("record", "--preset", f"python-calls={d}/python3.11", "-o", tmp_path / "z.tape",
           "--", python, "-c", "pass")
    assert r.returncode == 1
    assert (f"error: --preset python-calls={d}/python3.11: {d}/python3.11 is a script "
            "(#!/bin/sh), not the binary with the probes") in r.stderr
    env = dict(os.environ, PATH=f"{d}:{os.environ['PATH']}")
    r = tt("record", "--preset", f"python-calls={os.path.realpath(python)}", "-o",
           tmp_path / "y.tape", "--", "python3.11", "-c", "pass", env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (f"warning: 'python3.11' is a script ({d}/python3.11 starts with #!/bin/sh): "
            f"'--preset python-calls={os.path.realpath(python)}' probes that binary only") in r.stderr
    assert ("warning: no event was recorded: 'python3.11' is a script that did not run the "
            "binary the preset probes (see the warning above)") in r.stderr


def test_record_help_has_go_specs():
    r = tt("record", "--help")
    assert "  go:PATH:FUNC " in r.stdout and "  go:FUNC " in r.stdout
    assert ("a function the compiler inlined everywhere has no entry to probe and is reported"
            in " ".join(r.stdout.split()))
