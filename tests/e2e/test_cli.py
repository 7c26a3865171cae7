# SPDX-License-Identifier: MIT
"""Test plan: the command-line contract of the tracetape binary.

cli-1  --help lists every subcommand and exits 0; --version prints the version.
cli-2  unknown subcommands and options exit 2 with a message naming them (exactly, for an
       unknown long or short option of every subcommand).
cli-3  every subcommand has --help (exit 0, starts with "usage: tracetape NAME").
cli-4  every subcommand's --help lists -v/--verbose, -q/--quiet and -h/--help.
"""
import re

from conftest import tt


def subcommands():
    r = tt("--help")
    assert r.returncode == 0
    block = r.stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def test_help_lists_commands():
    r = tt("--help")
    assert r.returncode == 0
    assert r.stdout.startswith("usage: tracetape COMMAND")
    assert "check" in subcommands()


def test_version():
    r = tt("--version")
    assert r.returncode == 0
    assert re.fullmatch(r"tracetape \d+\.\d+\.\d+\n", r.stdout)


def test_no_arguments_is_usage_error():
    r = tt()
    assert r.returncode == 2
    assert "usage: tracetape" in r.stderr


def test_unknown_command():
    r = tt("frobnicate")
    assert r.returncode == 2
    assert r.stderr == "tracetape: unknown command 'frobnicate' (see 'tracetape --help')\n"


def test_unknown_global_option():
    r = tt("--frob")
    assert r.returncode == 2
    assert "unknown option '--frob'" in r.stderr


def test_unknown_subcommand_option():
    for cmd in subcommands():
        r = tt(cmd, "--no-such-option")
        assert r.returncode == 2, cmd
        assert f"tracetape {cmd}: error: unknown option '--no-such-option'" in r.stderr, r.stderr


def test_unknown_option_is_named_exactly():
    for cmd in subcommands():
        for opt in ("--bogus", "-Z"):
            r = tt(cmd, opt)
            assert (r.returncode, r.stdout, r.stderr) == (
                2, "", f"tracetape {cmd}: error: unknown option '{opt}' (see 'tracetape {cmd} --help')\n"
            ), (cmd, opt)


def test_every_subcommand_help_lists_common_options():
    """Every command is described by a table (cli/tt_cmd.h): its help lists the common options."""
    lacking = set()
    for cmd in subcommands():
        r = tt(cmd, "--help")
        assert r.returncode == 0, cmd
        for line in ("  -v, --verbose ", "  -q, --quiet ", "  -h, --help "):
            if f"\n{line}" not in r.stdout:
                lacking.add(cmd)
    assert not lacking, lacking


def test_every_subcommand_has_help():
    for cmd in subcommands():
        r = tt(cmd, "--help")
        assert r.returncode == 0, cmd
        assert r.stdout.startswith(f"usage: tracetape {cmd}"), r.stdout
        h = tt("help", cmd)
        assert h.returncode == 0 and h.stdout == r.stdout
