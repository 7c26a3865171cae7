#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""How many tests the last `meson test` in BUILD ran, per suite, from BUILD/meson-logs/testlog.json:
meson's tests (unit: one per module; e2e: one per pytest file), the cmocka cases the unit tests
ran, and pytest's own counts of the e2e files. `make test` prints it after each meson test.

    tests/summary.py BUILD [--require SUITE]...

--require SUITE: exit 1 when no test of SUITE ran (make test requires e2e: a build directory
configured without pytest would otherwise run the unit tests alone and look green).
"""
import argparse
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")


def pytest_counts(out):
    """pytest's closing line ('3 passed, 1 skipped in 2.1s'), as a Counter."""
    for line in reversed(out.splitlines()):
        if re.search(r" in [\d.]+s", line) and PYTEST_COUNT.search(line):
            return Counter({k.rstrip("s") if k.startswith("error") else k: int(n)
                            for n, k in PYTEST_COUNT.findall(line)})
    return Counter()


def cmocka_counts(out):
    return Counter(ran=out.count("[ RUN      ]"), passed=out.count("[       OK ]"),
                   skipped=out.count("[  SKIPPED ]"))


def suites_of(build):
    """{test name: its first suite} from meson's own list of BUILD's tests."""
    r = subprocess.run(["meson", "introspect", build, "--tests"], capture_output=True, text=True)
    if r.returncode:
        return {}
    return {t["name"]: (t["suite"] or ["?"])[0].split(":")[-1] for t in json.loads(r.stdout)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--require", action="append", default=[], metavar="SUITE")
    args = ap.parse_args()
    log = Path(args.build) / "meson-logs" / "testlog.json"
    if not log.exists():
        print(f"tests: {log} is missing: meson test did not run", file=sys.stderr)
        return 1
    results = defaultdict(Counter)  # suite -> meson results
    inner = defaultdict(Counter)    # suite -> cmocka or pytest counts
    suites = None
    for line in log.read_text().splitlines():
        t = json.loads(line)
        # "project:suite / name", or "name" alone when the project has a single suite
        if " / " in t["name"]:
            suite = t["name"].split(" / ")[0].split(":")[-1]
        else:
            suites = suites if suites is not None else suites_of(args.build)
            suite = suites.get(t["name"], "?")
        results[suite][t["result"]] += 1
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        inner[suite] += pytest_counts(out) if suite == "e2e" else cmocka_counts(out)
    for suite in results:  # in the order they ran
        r = results[suite]
        what = ", ".join(f"{n} {k.lower()}" for k, n in sorted(r.items()))
        if suite == "e2e":
            detail = "pytest: " + (", ".join(f"{n} {k}" for k, n in sorted(inner[suite].items()))
                                   or "no count found")
        else:
            c = inner[suite]
            detail = f"cmocka: {c['ran']} cases, {c['passed']} passed" + \
                (f", {c['skipped']} skipped" if c["skipped"] else "")
        print(f"tests in {args.build}: {suite}: {sum(r.values())} ({what}); {detail}")
    missing = [s for s in args.require if not results.get(s)]
    for s in missing:
        print(f"tests in {args.build}: no {s} test ran: is the {s} suite registered? "
              f"(meson configure {args.build} -D{s}=enabled)", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
