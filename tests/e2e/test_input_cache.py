# SPDX-License-Identifier: MIT
"""Test plan: query and report on a tape reuse the database loaded from it before (issue 17).

cache-1  the second query of an unchanged tape opens the cached database (-v says so) and gives
         the same rows; report uses the same entry.
cache-2  a tape rewritten at the same path (other contents) is loaded again: its rows, not the
         cached ones.
cache-3  --no-cache, custom --span rules and a tape from a pipe load into a private temporary
         database and leave the cache alone.
cache-4  the cache keeps at most 8 databases (the most recently used).
"""
import os
import subprocess

import pytest

from conftest import BUILD_DIR, mktape, run

TT = BUILD_DIR / "tracetape"


def tape_of(n):
    body = "".join(f"event +1ms 0 100 101 app:tick {i}\n" for i in range(n))
    return ("probe 0 app tick u64:n\nprocess 100 1 app /usr/bin/app app\n"
            "event 1000000000 0 100 101 app:tick 0\n" + body)


@pytest.fixture
def env(tmp_path):
    return dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))


def tt(env, *args, stdin=None):
    return run([TT, *map(str, args)], env=env, stdin=stdin)


def cached(tmp_path):
    d = tmp_path / "cache" / "tracetape"
    return sorted(p.name for p in d.glob("*.db")) if d.exists() else []


SQL = "SELECT count(*) AS n FROM events"
REUSED = "the database loaded from it before"


def test_second_query_reuses_the_database(tmp_path, env):
    tape = tmp_path / "a.tape"
    mktape(tape_of(9), tape)
    first = tt(env, "query", "-v", tape, SQL)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "n\n--\n10\n" and REUSED not in first.stderr
    assert len(cached(tmp_path)) == 1
    second = tt(env, "query", "-v", tape, SQL)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert REUSED in second.stderr
    r = tt(env, "report", "-v", tape)
    assert r.returncode == 0 and REUSED in r.stderr
    assert len(cached(tmp_path)) == 1
    # cache-2: other contents at the same path
    mktape(tape_of(4), tape)
    r = tt(env, "query", "-v", tape, SQL)
    assert r.stdout == "n\n-\n5\n" and REUSED not in r.stderr
    assert len(cached(tmp_path)) == 2


def test_what_is_not_cached(tmp_path, env):
    tape = tmp_path / "b.tape"
    mktape(tape_of(3), tape)
    r = tt(env, "query", "--no-cache", "-v", tape, SQL)
    assert r.returncode == 0 and r.stdout == "n\n-\n4\n" and REUSED not in r.stderr
    r = tt(env, "report", "--no-cache", tape)
    assert r.returncode == 0
    r = tt(env, "query", "--span", "t=app:tick,app:tick", tape, SQL)
    assert r.returncode == 0 and r.stdout == "n\n-\n4\n"
    with open(tape, "rb") as f:
        r = subprocess.run([TT, "query", "-", SQL], stdin=f, env=env, capture_output=True,
                           text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == "n\n-\n4\n"
    assert cached(tmp_path) == []


def test_cache_is_bounded(tmp_path, env):
    for i in range(10):
        tape = tmp_path / f"t{i}.tape"
        mktape(tape_of(i), tape)
        r = tt(env, "query", tape, SQL)
        assert r.returncode == 0 and r.stdout.endswith(f"\n{i + 1}\n"), r.stdout
    assert len(cached(tmp_path)) == 8
    # the most recent ones stay: t9's database answers without a load
    r = tt(env, "query", "-v", tmp_path / "t9.tape", SQL)
    assert REUSED in r.stderr
