#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The README's flag table, made from what the binary says of its options.

`tracetape help --options` lists every option of every command (cli/tt_cmd.h); this script
turns that list into the Markdown table between the README's `<!-- flags:begin -->` and
`<!-- flags:end -->` lines. tests/e2e/test_vocabulary.py checks that the README holds exactly
this table, so --help and the README cannot disagree.

    flag_table.py TRACETAPE             print the table
    flag_table.py TRACETAPE --write README.md   replace the README's table with it
"""
import subprocess
import sys

BEGIN, END = "<!-- flags:begin -->", "<!-- flags:end -->"
COMMON = {"--verbose", "--quiet", "--help"}


def options(binary):
    out = subprocess.run([binary, "help", "--options"], check=True, capture_output=True,
                         text=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split("\t")
        rows.append({"cmd": f[0], "short": f[1], "long": f[2], "arg": f[3], "help": f[4],
                     "old": f[5] if len(f) > 5 else ""})
    return rows


def cell(s):
    return s.replace("|", "\\|")


def table(binary):
    rows = options(binary)
    lines = ["| command | option | value | what | older spelling (still accepted, with a note) |",
             "|---|---|---|---|---|"]
    last = None
    for r in rows:
        if r["long"] in COMMON:
            continue
        opt = f"`{r['short']}`, `{r['long']}`" if r["short"] else f"`{r['long']}`"
        old = ", ".join(f"`{o}`" for o in r["old"].split()) if r["old"] else ""
        cmd = f"`{r['cmd']}`" if r["cmd"] != last else ""
        last = r["cmd"]
        lines.append(f"| {cmd} | {opt} | {cell(r['arg'])} | {cell(r['help'])} | {old} |")
    lines.append("| every command | `-v`, `--verbose`; `-q`, `--quiet`; `-h`, `--help` | | "
                 "more detail; only errors; the command's help | |")
    return "\n".join(lines) + "\n"


def readme_block(text):
    """The README's table: what lies between the markers."""
    a, b = text.index(BEGIN) + len(BEGIN) + 1, text.index(END)
    return a, b


def main():
    t = table(sys.argv[1])
    if len(sys.argv) > 3 and sys.argv[2] == "--write":
        path = sys.argv[3]
        with open(path, encoding="utf-8") as f:
            text = f.read()
        a, b = readme_block(text)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text[:a] + t + text[b:])
    else:
        sys.stdout.write(t)


if __name__ == "__main__":
    main()
