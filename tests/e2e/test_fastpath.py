# SPDX-License-Identifier: MIT
"""Test plan: the trap-free path (issue 24): `record --fast -- COMMAND` with programs built
with -DTT_FASTPATH (sdk/include/tracetape/fastpath.h, recorder/fastpath.c).

fp-1  The exactness fixture through the fast path: exactgen's programs (every argument kind;
      strings in the binary, on the stack, on the heap, in file mappings, cut at the limit,
      and unreadable ones: NULL, kernel addresses, pointers to unmapped and PROT_NONE memory,
      which the process reads without a fault and records as faults, as BPF does), built with
      -DTT_FASTPATH, recorded once with --fast and once through BPF. The --fast recording
      exits 0, says every site went by the fast path, loses nothing, marks the tape
      (`fast_path`), and has recorded = fired = what the program fired for every probe; every
      event has exactly the values, strings and flags the program reports (test_exactgen's
      checks); and its database is the BPF recording's apart from the path marker: the same
      probes with their kinds, names and views, the same events per thread and probe in the
      same order with the same values and flags, the same spans, the same metadata.
fp-2  A full ring loses hits and counts every one: with the recorder stopped (SIGSTOP) a
      thread fires more than its ring holds; the program never blocks and exits 0, and
      recorded + lost = fired exactly, with loss records of that probe.
fp-3  A recorder that dies (SIGKILL) leaves the program running: it fires on into rings
      nobody drains and exits normally.
fp-4  --fast needs -- COMMAND or one -p PID (usage error, exit 2); a program built without
      -DTT_FASTPATH is recorded through uprobes as before, with a warning, and no `fast_path`
      marker.
      A binary with a probe name too long for the shared table (64 bytes) is recorded through
      uprobes, with a warning.
fp-5  The header builds without a warning (-Wall -Wextra -pedantic -Werror) in C99, C11,
      C++11 and C++17 with gcc and clang, with probes in C++ inline and template functions, and
      the program's sites keep their stapsdt notes.
fp-6  Strings anywhere: in the binary, on the stack, in the brk heap, in a thread's malloc
      arena, in an anonymous mapping, running into an unmapped page without a NUL, unmapped,
      PROT_NONE, NULL, cut at the limit: the fast path records each as the BPF path does
      (the same faults, flags and bytes), and the program lives.
fp-7  A process running before the recorder (record --fast -p PID): its probes, a guarded one
      among them, go by the fast path from their first hit with every value; the semaphore is
      set while recording and 0 after; without a recorder it runs on (probes on the USDT path,
      the shared file gone), and a second recorder meets it again.
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from conftest import SDK_INCLUDE, build_c, need_bpf, run, start_recorder, stop_recorder, tt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exactgen  # noqa: E402
from test_exactgen import (Mismatches, _seeds, check_event, db_events,  # noqa: E402
                           parse_report, site_specs)

# test_exactgen's seeds (TT_EXACTGEN_COUNT, 50 unless set): from 5 on, unreadable strings too
SEEDS = _seeds()
UNREADABLE = {"unmapped", "prot_none"}


def test_the_seeds_cover_unreadable_strings():
    """Some seeds pass pointers to unmapped and PROT_NONE memory (fp-1 covers them)."""
    locs = {a.loc for seed in SEEDS for p in exactgen.generate(seed).probes
            for st in p["sites"] for a in st["args"]}
    assert UNREADABLE <= locs


def sql(db, query, params=()):
    con = sqlite3.connect(db)
    con.text_factory = bytes
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def record(prog, exe, d, fast):
    d.mkdir(exist_ok=True)
    tape, db, report = d / "prog.tape", d / "prog.db", d / "report.txt"
    args = ["record", "-o", tape, *(["--fast"] if fast else []), *prog.record_args(), "--", exe,
            report]
    r = tt(*args, cwd=d, timeout=600)
    assert r.returncode == 0, f"seed {prog.seed}: record exited {r.returncode}:\n{r.stderr}"
    assert "prog exited with status 0" in r.stderr, r.stderr
    m = re.search(r"recorded (\d+) events \((\d+) lost\)", r.stderr)
    assert m and m.group(2) == "0", f"seed {prog.seed}:\n{r.stderr}"
    r2 = tt("load", "-q", "-o", db, tape, timeout=600)
    assert r2.returncode == 0, r2.stderr
    return r, tape, db, report


def normalized(db, report):
    """What must not depend on the path: probes, arguments, events per (thread, probe) in
    order (pointer values aside), spans, metadata (without what names the run)."""
    tids, _, _ = parse_report(report.read_text())
    thread_of = {tid: t for t, tid in tids.items()}
    probes = sorted(sql(db, "SELECT kind, provider, name, binary, build_id, arg_specs, argc, "
                            "arg_names, arg_kinds, events, view FROM probes"))
    args = sorted(sql(db, "SELECT p.provider, p.name, a.idx, a.name, a.kind, a.column_name "
                          "FROM probe_args a JOIN probes p ON p.id = a.probe_id"))
    ptrs = defaultdict(set)  # addresses differ from run to run (ASLR): checked against the report
    for name, idx in sql(db, "SELECT p.name, a.idx FROM probe_args a JOIN probes p ON "
                             "p.id = a.probe_id WHERE a.kind = 'ptr'"):
        ptrs[name.decode()].add(idx)
    events = {(thread_of.get(tid, f"tid {tid}"), name):
              [(f, t, [("ptr", typ) if i in ptrs[name] else (v, typ)
                       for i, (v, typ) in enumerate(vals)]) for f, t, vals in evs]
              for (tid, name), evs in db_events(db).items()}
    spans = sorted(Counter(sql(db, "SELECT provider, name, pairing, depth, lost, unclosed, "
                                   "end_ts IS NULL FROM spans")).items())
    meta = {k: v for k, v in sql(db, "SELECT key, value FROM meta WHERE tape IS NOT NULL")
            if k not in (b"cmdline", b"fast_path")}
    losses = sql(db, "SELECT count(*) FROM losses")
    return {"probes": probes, "probe_args": args, "events": events, "spans": spans,
            "meta": meta, "losses": losses}


@pytest.mark.parametrize("seed", SEEDS)
def test_exactness_fixture_through_the_fast_path(seed, tmp_path):
    need_bpf()
    prog = exactgen.generate(seed)
    src, exe = tmp_path / "prog.c", tmp_path / "prog"
    src.write_text(prog.source, encoding="utf-8")
    argv = prog.compile_argv(src, exe, SDK_INCLUDE)
    r = run([argv[0], "-DTT_FASTPATH", *argv[1:]], timeout=600)
    assert r.returncode == 0, f"seed {seed}: does not compile with -DTT_FASTPATH:\n{r.stderr}"

    rf, tape, db_fast, rep_fast = record(prog, exe, tmp_path / "fast", True)
    m = re.search(r"recording \d+ probes? \(([^)]*)\)", rf.stderr)
    assert m and re.fullmatch(r"\d+ sites? by the fast path", m.group(1)), rf.stderr
    info = json.loads(tt("info", "--json", tape).stdout)
    assert info["meta"].get("fast_path") == "shm"

    # test_exactgen's checks, on the fast path's database
    tids, fired, end = parse_report(rep_fast.read_text())
    assert end == len(fired)
    specs, _, _ = site_specs(exe)
    mm = Mismatches(prog, specs, "fast")
    want_total = Counter(prog.probes[k]["name"] for _, k, _, _ in fired)
    fired_by_id = dict(tuple(map(int, x.split("="))) for x in
                       info["meta"].get("probe_fired", "").split())
    for ip in info["probes"]:
        if ip["provider"] == exactgen.PROVIDER:
            want = want_total[ip["name"]]
            got = (fired_by_id.get(ip["id"], 0), ip["events"], ip["lost"])
            if got != (want, want, 0):
                mm.add("count", detail=f"{ip['name']}: fired, recorded, lost {got}, want {want}")
    got = db_events(db_fast)
    want = defaultdict(list)
    for t, k, site, toks in fired:
        want[(tids[t], prog.probes[k]["name"])].append((t, site, toks))
    for key, evs in sorted(want.items()):
        probe = prog.probes[int(key[1][1:])]
        have = got.get(key, [])
        if len(have) != len(evs):
            mm.add("thread count", probe, thread=evs[0][0], expected=len(evs), got=len(have))
            continue
        for n, ((t, site, toks), (fault, trunc, vals)) in enumerate(zip(evs, have)):
            check_event(mm, probe, site, t, n, fault, trunc, vals, toks, prog.strlen)
    mm.fail_if_any(tmp_path / "fast")

    # the same database as the BPF path's, apart from the path marker
    _, tape_bpf, db_bpf, rep_bpf = record(prog, exe, tmp_path / "bpf", False)
    fast, bpf = normalized(db_fast, rep_fast), normalized(db_bpf, rep_bpf)
    for table in fast:
        assert fast[table] == bpf[table], f"seed {seed}: {table} differs between the paths"
    assert sql(db_bpf, "SELECT count(*) FROM meta WHERE key = 'fast_path'") == [(0,)]


FLOOD = r"""
#include <tracetape/probe.h>
#include <stdio.h>
#include <unistd.h>
/* Writes argv[2].started, waits for the file argv[1], fires N hits, then writes argv[2]
 * ("done N"). */
int main(int argc, char **argv)
{
	long n = N_HITS;
	char started[4096];
	(void)argc;
	snprintf(started, sizeof(started), "%s.started", argv[2]);
	fclose(fopen(started, "w"));
	for (int i = 0; i < 3000 && access(argv[1], F_OK) != 0; i++)
		usleep(10000);
	for (long i = 0; i < n; i++)
		TT_PROBE(flood, hit, i, n);
	FILE *f = fopen(argv[2], "w");
	fprintf(f, "done %ld\n", n);
	fclose(f);
	return 0;
}
"""


def flood_program(tmp_path, hits, fast=True):
    src, exe = tmp_path / "flood.c", tmp_path / "flood"
    src.write_text(FLOOD.replace("N_HITS", str(hits)))
    return build_c(src, exe, extra=["-DTT_FASTPATH"] if fast else [])


def wait_file(path, timeout=60, whole_line=True):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and (not whole_line or path.read_text().endswith("\n")):
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def test_full_ring_counts_every_loss(tmp_path):
    need_bpf()
    hits = 200000  # 64-byte records: 12.8 MB, a ring holds 4 MiB
    exe = flood_program(tmp_path, hits)
    go, done, tape = tmp_path / "go", tmp_path / "done", tmp_path / "t.tape"
    p = start_recorder("--fast", "-o", tape, "usdt:flood:hit", "--", exe, go, done)
    wait_file(tmp_path / "done.started", timeout=60, whole_line=False)  # released: it runs
    try:
        os.kill(p.pid, signal.SIGSTOP)  # nobody drains the ring while the program fires
        go.write_text("")
        assert wait_file(done) == f"done {hits}\n"
    finally:
        os.kill(p.pid, signal.SIGCONT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    m = re.search(r"recorded (\d+) events \((\d+) lost\)", err)
    assert m and int(m.group(2)) > 0, err
    info = json.loads(tt("info", "--json", tape).stdout)
    [probe] = [ip for ip in info["probes"] if ip["name"] == "hit"]
    fired = dict(tuple(map(int, x.split("="))) for x in info["meta"]["probe_fired"].split())
    assert probe["events"] + probe["lost"] == fired[probe["id"]] == hits
    assert probe["lost"] > 0 and probe["events"] > 0
    db = tmp_path / "t.db"
    assert tt("load", "-q", "-o", db, tape).returncode == 0
    [(n, lost)] = sql(db, "SELECT count(*), sum(count) FROM losses l JOIN probes p "
                          "ON p.id = l.probe_id WHERE p.name = 'hit'")
    assert n >= 1 and lost == probe["lost"]
    assert f"lost {probe['lost']} of {hits} events of flood:hit" in err


def test_recorder_death_leaves_the_program_running(tmp_path):
    need_bpf()
    hits = 300000
    exe = flood_program(tmp_path, hits)
    go, done = tmp_path / "go", tmp_path / "done"
    p = start_recorder("--fast", "-o", tmp_path / "t.tape", "usdt:flood:hit", "--", exe, go,
                       done)
    wait_file(tmp_path / "done.started", timeout=60, whole_line=False)  # released: it runs
    p.kill()
    p.wait(timeout=30)
    go.write_text("")  # the program runs on, into rings nobody reads
    assert wait_file(done) == f"done {hits}\n"


def test_fast_needs_a_command_and_a_fast_binary(tmp_path):
    for where in ([], ["-p", "1", "-p", "2"]):
        r = tt("record", "--fast", "-o", tmp_path / "t.tape", *where, "usdt:/bin/true:x")
        assert r.returncode == 2 and "--fast needs -- COMMAND or one -p PID" in r.stderr, \
            r.stderr
    need_bpf()
    exe = flood_program(tmp_path, 10, fast=False)
    go, done, tape = tmp_path / "go", tmp_path / "done", tmp_path / "t.tape"
    go.write_text("")
    r = tt("record", "--fast", "-o", tape, "usdt:flood:hit", "--", exe, go, done, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "no binary of these probes was built with -DTT_FASTPATH" in r.stderr
    assert re.search(r"recording 1 probe \(1 site in 1 binary\)", r.stderr), r.stderr
    info = json.loads(tt("info", "--json", tape).stdout)
    assert "fast_path" not in info["meta"]
    assert [ip["events"] for ip in info["probes"] if ip["name"] == "hit"] == [10]


CXX_PROBES = r"""
#include <tracetape/probe.h>
#include <string>
inline int f(int x) { TT_PROBE(hdr, inl, x); return x + 1; }
template <typename T> T g(T x) { TT_PROBE(hdr, tmpl, x); return x; }
int main() {
	std::string s = "s";
	TT_PROBE(hdr, str, s.c_str(), 1.5, (float)2);
	TT_SPAN_BEGIN(hdr, sp, 1);
	TT_SPAN_END(hdr, sp, 1);
	return f(1) + g(2) + (int)g(3.0) - 7 + (TT_PROBE_ENABLED(hdr, str) ? 1 : 0);
}
"""

C_PROBES = r"""
#include <tracetape/probe.h>
int main(void) {
	const char *s = "s";
	TT_PROBE(hdr, none);
	TT_PROBE(hdr, str, s, 1.5, (float)2, (unsigned char)1, (long)-1);
	TT_SPAN_BEGIN(hdr, sp, 1);
	TT_SPAN_END(hdr, sp, 1);
	return TT_PROBE_ENABLED(hdr, str) ? 1 : 0;
}
"""


@pytest.mark.parametrize("cc,std", [("gcc", "c99"), ("clang", "c11"), ("g++", "c++11"),
                                    ("clang++", "c++17")])
def test_header_builds_clean(cc, std, tmp_path):
    src = tmp_path / ("p.cc" if "++" in cc else "p.c")
    src.write_text(CXX_PROBES if "++" in cc else C_PROBES)
    exe = tmp_path / "p"
    r = run([cc, f"-std={std}", "-O2", "-Wall", "-Wextra", "-pedantic", "-Werror",
             "-DTT_FASTPATH", "-I", SDK_INCLUDE, "-o", exe, src])
    assert r.returncode == 0, r.stderr
    assert run([exe]).returncode == 0  # nobody records it: every probe takes the USDT path
    notes = run(["readelf", "-n", exe]).stdout
    assert notes.count("stapsdt") >= (5 if "++" in cc else 4), notes


LONG_NAME = r"""
#include <tracetape/probe.h>
int main(void) {
	for (int i = 0; i < 10; i++)
		TT_PROBE(flood, a_probe_name_longer_than_the_sixty_four_bytes_of_the_fast_table_, i);
	return 0;
}
"""


def test_name_too_long_for_the_table_goes_by_uprobes(tmp_path):
    need_bpf()
    src = tmp_path / "long.c"
    src.write_text(LONG_NAME)
    exe = build_c(src, tmp_path / "long", extra=["-DTT_FASTPATH"])
    tape = tmp_path / "t.tape"
    r = tt("record", "--fast", "-o", tape, "usdt:flood:*", "--", exe, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "has sites only uprobes can read; attaching them" in r.stderr, r.stderr
    info = json.loads(tt("info", "--json", tape).stdout)
    assert "fast_path" not in info["meta"]
    assert [ip["events"] for ip in info["probes"] if ip["provider"] == "flood"] == [10]


STRINGS = r"""
#include <tracetape/probe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
/* One string probe per place a string can live, readable or not (see fastpath.h). */
static char *mapped, *pn;
static void *worker(void *arg)
{
	char *h = malloc(64); /* a thread's malloc arena: an anonymous mapping */
	(void)arg;
	strcpy(h, "thread-heap");
	TT_PROBE(strs, s, h, 9);
	free(h);
	return NULL;
}
int main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	char stk[32], *heap = strdup("brk-heap");
	pthread_t t;
	(void)argv;
	mapped = mmap(0, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pn = mmap(0, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mapped == MAP_FAILED || pn == MAP_FAILED || munmap(mapped + pg, pg))
		return 1;
	snprintf(stk, sizeof(stk), "stack-%d", argc);
	memset(mapped, 'x', pg);
	mapped[40] = 0;
	TT_PROBE(strs, s, "literal", 1);
	TT_PROBE(strs, s, stk, 2);
	TT_PROBE(strs, s, heap, 3);
	TT_PROBE(strs, s, mapped, 4);
	TT_PROBE(strs, s, mapped + pg - 6, 5);        /* no NUL before the unmapped page */
	TT_PROBE(strs, s, mapped + pg, 6);            /* unmapped */
	TT_PROBE(strs, s, pn, 7);                     /* PROT_NONE */
	TT_PROBE(strs, s, (char *)0, 8);
	if (pthread_create(&t, NULL, worker, NULL) || pthread_join(t, NULL))
		return 1;
	mapped[pg - 1] = 0;
	TT_PROBE(strs, s, mapped + pg - 6, 10);       /* "xxxxx", ends at the page's last byte */
	memset(mapped, 'y', pg - 1);
	TT_PROBE(strs, s, mapped + pg - 1100, 11);   /* longer than --strlen 1024: cut */
	puts("done");
	return 0;
}
"""


def test_strings_anywhere_are_read_without_a_fault(tmp_path):
    """fp-6: a string in the binary, on the stack, in the brk heap, in a thread's arena, in
    an anonymous mapping, running into an unmapped page, unmapped, PROT_NONE, NULL, cut at
    the limit: the fast path records each as the BPF path does, and the program lives."""
    need_bpf()
    src = tmp_path / "strs.c"
    src.write_text(STRINGS)
    exe = build_c(src, tmp_path / "strs", extra=["-DTT_FASTPATH", "-pthread"])
    got = {}
    for path in ("fast", "bpf"):
        tape = tmp_path / f"{path}.tape"
        r = tt("record", *(["--fast"] if path == "fast" else []), "--strlen", "1024", "-o",
               tape, "usdt:strs:*", "--", exe, timeout=120)
        assert r.returncode == 0 and "exited with status 0" in r.stderr, r.stderr
        assert ("fast_path" in json.loads(tt("info", "--json", tape).stdout)["meta"]) == \
            (path == "fast")
        db = tmp_path / f"{path}.db"
        assert tt("load", "-q", "-o", db, tape).returncode == 0
        got[path] = sql(db, "SELECT e.fault, e.truncated, e.arg0, e.arg1 FROM events e JOIN "
                            "probes p ON p.id = e.probe_id WHERE p.provider = 'strs' "
                            "ORDER BY e.arg1")
    assert got["fast"] == got["bpf"]
    evs = got["fast"]
    assert [e[3] for e in evs] == list(range(1, 12))
    assert [(e[0] != 0, e[1] != 0) for e in evs] == \
        [(False, False)] * 4 + [(True, False)] * 4 + [(False, False)] * 2 + [(False, True)]
    assert [e[2] for e in evs if not e[0]] == \
        [b"literal", b"stack-1", b"brk-heap", b"x" * 40, b"thread-heap", b"xxxxx", b"y" * 1024]


RUNNING = r"""
#include <tracetape/probe.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
/* Writes DIR/started, then three times: waits for DIR/goP, fires phase P from two threads,
 * writes DIR/doneP with whether the guarded probe is enabled now. */
#define HITS 1000
static const char *const words[3] = {"alpha", "beta", "gamma"};
static const char *dir;
static void path(char *buf, const char *name, int phase)
{
	snprintf(buf, 4096, "%s/%s%d", dir, name, phase);
}
static void *fire(void *arg)
{
	long base = (long)arg;
	for (long i = 0; i < HITS; i++) {
		TT_PROBE(pfast, hit, base + i, words[i % 3]);
		if (TT_PROBE_ENABLED(pfast, guarded))
			TT_PROBE(pfast, guarded, base + i);
	}
	return NULL;
}
int main(int argc, char **argv)
{
	char p[4096];
	FILE *f;
	(void)argc;
	dir = argv[1];
	path(p, "started", 0);
	fclose(fopen(p, "w"));
	for (int phase = 1; phase <= 3; phase++) {
		pthread_t t[2];
		int i;
		path(p, "go", phase);
		for (i = 0; i < 6000 && access(p, F_OK) != 0; i++)
			usleep(10000);
		if (i == 6000)
			return 3;
		for (long k = 0; k < 2; k++)
			if (pthread_create(&t[k], NULL, fire, (void *)(phase * 100000 + k * 10000)))
				return 1;
		pthread_join(t[0], NULL);
		pthread_join(t[1], NULL);
		path(p, "done", phase);
		f = fopen(p, "w");
		fprintf(f, "enabled=%d\n", TT_PROBE_ENABLED(pfast, guarded) ? 1 : 0);
		fclose(f);
	}
	return 0;
}
"""


@pytest.mark.unsanitized("in the ASan+UBSan build the recorder of this test exits by SIGINT after "
                         "printing its summary in about half the runs (never in the plain build, "
                         "8 of 8 here): not understood yet, RELIABILITY.md")
def test_a_running_process_by_pid(tmp_path):
    """fp-7: record --fast -p PID meets a process that was running before the recorder: its
    probes (a guarded one among them) go by the fast path from the first hit, every value is
    recorded, the semaphore is set while recording and 0 after; the process runs on without a
    recorder (probes on the USDT path, the shared file gone), and a second recorder meets it
    again."""
    need_bpf()
    src = tmp_path / "running.c"
    src.write_text(RUNNING)
    exe = build_c(src, tmp_path / "running", extra=["-DTT_FASTPATH", "-pthread"])
    prog = subprocess.Popen([str(exe), str(tmp_path)])
    try:
        wait_file(tmp_path / "started0", whole_line=False)
        shm = Path(f"/dev/shm/tracetape-fast.{prog.pid}")
        for phase in (1, 2, 3):
            rec = None
            if phase != 2:
                tape = tmp_path / f"p{phase}.tape"
                rec = start_recorder("--fast", "-p", prog.pid, "-o", tape, "usdt:pfast:*")
                assert shm.exists()
            (tmp_path / f"go{phase}").write_text("")
            assert wait_file(tmp_path / f"done{phase}") == f"enabled={int(phase != 2)}\n"
            if rec is None:
                assert not shm.exists()
                continue
            rc, err = stop_recorder(rec)
            assert rc == 0, err
            assert not shm.exists()
            assert re.search(r"--fast: 4000 of 4000 events came by the fast path", err), err
            db = tmp_path / f"p{phase}.db"
            assert tt("load", "-q", "-o", db, tape).returncode == 0
            want = sorted((name, phase * 100000 + k * 10000 + i,
                           b"alpha beta gamma".split()[i % 3] if name == b"hit" else None)
                          for k in (0, 1) for i in range(1000) for name in (b"hit", b"guarded"))
            got = sorted(sql(db, "SELECT p.name, e.arg0, e.arg1 FROM events e JOIN probes p ON "
                                 "p.id = e.probe_id WHERE p.provider = 'pfast'"))
            assert got == want
            assert sql(db, "SELECT count(*) FROM losses") == [(0,)]
        assert prog.wait(timeout=60) == 0
    finally:
        if prog.poll() is None:
            prog.kill()
            prog.wait()
