# SPDX-License-Identifier: MIT
"""Test plan: the generated exactness test (issue 15): every value, count and string byte.

exactgen.py writes, from a seed, a C program with random probe signatures (1-12 arguments of
every kind, extreme values, every operand form, strings in every kind of memory, NULL and other
invalid pointers) that reports what it fired. Seeds 1..50 (TT_EXACTGEN_COUNT=N: 1..N;
TT_EXACTGEN_SEED=N or N,M,...: those only) each give one program, built with gcc or clang at
-O0, -O2 or -O3 (varying with the seed; some -no-pie, -funsigned-char, or the SDK's "nor" operand
constraint with clang), recorded with `tracetape record --attach A -o T [--strlen N] 'usdt:eg:*' -- ./prog
REPORT` once per attach path A of the kernel (conftest's `attach`), loaded with `tracetape load`,
and compared with the report. Marked `kernels`: the kernel-matrix guests run it too (under
qemu's emulation, with a smaller TT_EXACTGEN_COUNT).

gen-1  per program: the recording exits 0 with 0 lost; for every probe, recorded + lost = fired
       = what the program fired (`info`, meta probe_fired), and its view has that many rows;
       every argument kind in the database is the one the C type implies.
gen-2  per program, per thread and probe, event by event in order: every integer and pointer
       is exact (an unsigned 64-bit value above 2^63-1 as its two's complement, as the schema
       says); every float and double has exactly the IEEE bits fired (-0.0, infinities and
       denormals included; a NaN, which SQLite cannot store, is NULL without a fault); every
       string has exactly the bytes fired, cut to --strlen with the truncated bit set when
       longer, TEXT when they are UTF-8 and a BLOB otherwise; the fault bit is clear for every
       valid pointer, wherever its string lives (never-touched pages included), and set, with
       NULL in SQL, for NULL, unmapped, PROT_NONE and kernel pointers.
gen-3  the generator is deterministic, and seeds 1..50 together use every argument kind, C type,
       string location and value form it knows; their binaries contain every operand form
       (immediate, register, rbp and rsp stack slots, the red zone below rsp, rip-relative,
       base+displacement, base+index) -- so that a pass means these were all checked.

Every failure message starts with the seed and the commands that reproduce it. With
TT_EXACTGEN_REPORT=FILE every mismatch is also appended to FILE as a JSON line (with the
argument's C type, value form, string location and operand specs), for classification.
"""
import concurrent.futures
import json
import os
import re
import sqlite3
import struct
import sys
import threading
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from conftest import BUILD_DIR, SDK_INCLUDE, SOURCE_DIR, need_bpf, run, tt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exactgen  # noqa: E402

pytestmark = pytest.mark.kernels

DEFAULT_COUNT = 50


def _seeds():
    one = os.environ.get("TT_EXACTGEN_SEED", "").strip()
    if one:
        return [int(s) for s in one.split(",")]
    return list(range(1, int(os.environ.get("TT_EXACTGEN_COUNT", DEFAULT_COUNT)) + 1))


SEEDS = _seeds()
DEFAULT_SET = SEEDS == list(range(1, DEFAULT_COUNT + 1))
MAX_SHOWN = 40  # mismatch lines in one failure message


def repro(prog, workdir=None, attach="auto"):
    """How to reproduce a seed's run by hand, for every failure message (workdir: where the
    recording's files are, the program one level up)."""
    strlen = f" --strlen {prog.strlen_opt}" if prog.strlen_opt else ""
    flags = "".join(f" '{f}'" if '"' in f else f" {f}" for f in prog.flags)
    lines = [
        f"seed {prog.seed}: {prog.cc} {prog.opt}{flags}, --strlen {prog.strlen}, "
        f"{prog.threads} thread(s), {len(prog.probes)} probes, record --attach {attach}",
        f"  replay:  cd {SOURCE_DIR} && TT_EXACTGEN_SEED={prog.seed} TT_BUILD_DIR={BUILD_DIR} "
        f"CI=true /usr/bin/python3 -m pytest -q tests/e2e/test_exactgen.py",
        f"  by hand: mkdir -p /tmp/exactgen-{prog.seed} && cd /tmp/exactgen-{prog.seed} && "
        f"/usr/bin/python3 {SOURCE_DIR}/tests/e2e/exactgen.py {prog.seed} -o prog.c && "
        f"{prog.compile_cmd('prog.c', 'prog', SDK_INCLUDE)} && "
        f"{BUILD_DIR}/tracetape record --attach {attach} -o prog.tape{strlen} "
        f"'usdt:{exactgen.PROVIDER}:*' -- "
        f"./prog report.txt && {BUILD_DIR}/tracetape load -o prog.db prog.tape",
    ]
    if workdir:
        lines.append(f"  files:   {workdir} (prog.tape, prog.db, report.txt; ../prog.c, ../prog)")
    return "\n".join(lines)


# ---- building, ahead of the recordings -------------------------------------------------------

class Builds:
    """Generates and compiles the programs of SEEDS in the background (one job per CPU), in
    seed order, so that compiling the next programs overlaps recording this one."""

    def __init__(self, root):
        self.root = root
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
        self.jobs = {}
        self.lock = threading.Lock()

    def _build(self, seed):
        prog = exactgen.generate(seed)
        d = self.root / f"seed-{seed}"
        d.mkdir(exist_ok=True)
        (d / "prog.c").write_text(prog.source, encoding="utf-8")
        r = run(prog.compile_argv(d / "prog.c", d / "prog", SDK_INCLUDE), timeout=600)
        err = None if r.returncode == 0 else r.stderr[-4000:]
        return prog, d, err

    def submit(self, seeds):
        with self.lock:
            for s in seeds:
                if s not in self.jobs:
                    self.jobs[s] = self.pool.submit(self._build, s)

    def get(self, seed):
        self.submit([seed])
        return self.jobs[seed].result(timeout=1800)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    b = Builds(tmp_path_factory.mktemp("exactgen"))
    b.submit(SEEDS)
    yield b
    b.pool.shutdown(wait=True, cancel_futures=True)


# ---- reading what the program says it fired, and what the database holds ----------------------

def parse_report(text):
    """{thread: tid}, [(thread, probe index, site, [token, ...])] and the final event count."""
    tids, events, end = {}, [], None
    for line in text.splitlines():
        f = line.split(" ")
        if f[0] == "thread":
            tids[int(f[1])] = int(f[2])
        elif f[0] == "e":
            events.append((int(f[1]), int(f[2]), int(f[3]), f[4:]))
        elif f[0] == "end":
            end = int(f[1])
    return tids, events, end


def operand_form(token):
    """The operand form of one stapsdt argument ("-4@-20(%rbp)" -> "stack-rbp")."""
    op = token.split("@", 1)[1] if "@" in token else token
    if op.startswith("$"):
        return "imm"
    if op.startswith("%"):
        return "tls-seg" if ":" in op else "reg"
    m = re.fullmatch(r"(.*?)\((.*)\)", op)
    if not m:
        return "abs-sym" if re.search(r"[A-Za-z_.]", op) else "abs"
    disp, regs = m.group(1), m.group(2).split(",")
    if regs[0] == "%rip":
        form = "rip"
    elif len(regs) > 1:
        form = "base+index" if regs[0] else "index"
    elif regs[0] == "%rbp" and disp.startswith("-"):
        form = "stack-rbp"
    elif regs[0] == "%rsp":
        form = "red-zone" if disp.startswith("-") else "stack-rsp"  # below %rsp: a leaf's
    else:
        form = "base+disp"
    if form != "rip" and re.search(r"[A-Za-z_.]", disp):
        form = "sym+" + form
    return form


def site_specs(exe):
    """{probe name: [per site: [argument token, ...]]}, the listing's errors, and the names of
    the probes with a site whose spec the recorder cannot parse."""
    r = tt("list", "--json", exe, timeout=120)
    specs, errors, unparsed = defaultdict(list), r.stderr.strip(), set()
    try:
        files = json.loads(r.stdout)["files"]
    except ValueError:
        return specs, f"list exited {r.returncode}: {r.stderr.strip()}", unparsed
    for f in files:
        for p in f["probes"]:
            if p["provider"] != exactgen.PROVIDER:
                continue
            for s in p["sites"]:
                specs[p["name"]].append(s["spec"].split(" ") if s["spec"] else [])
                if s.get("error"):
                    unparsed.add(p["name"])
    return specs, errors, unparsed


def is_nan(bits, kind):
    if kind == "f32":
        return (bits >> 23) & 0xff == 0xff and bits & 0x7fffff
    return (bits >> 52) & 0x7ff == 0x7ff and bits & 0xfffffffffffff


def expected_value(arg, token, strlen):
    """(SQL value, fault bit, truncated bit, SQL type) that a reported token must give."""
    if arg.cls == "str":
        if token == "F":
            return None, 1, 0, "null"
        b = bytes.fromhex(token[1:])
        cut = b[:strlen]
        try:
            cut.decode("utf-8")
            typ = "text"
        except UnicodeDecodeError:
            typ = "blob"
        return cut, 0, int(len(b) > strlen), typ
    bits = int(token[1:], 16)
    if arg.kind in ("f32", "f64"):
        if is_nan(bits, arg.kind):
            return None, 0, 0, "null"  # SQLite stores a NaN as NULL
        if arg.kind == "f32":
            return struct.unpack("<f", struct.pack("<I", bits))[0], 0, 0, "real"
        return struct.unpack("<d", struct.pack("<Q", bits))[0], 0, 0, "real"
    return (bits - (1 << 64) if bits >> 63 else bits), 0, 0, "integer"


def same(a, b):
    """Equal, bit for bit for floats (-0.0 is not 0.0)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, float) and isinstance(b, float) and \
            struct.pack("<d", a) == struct.pack("<d", b)
    return type(a) is type(b) and a == b


def show(v, limit=80):
    if isinstance(v, bytes):
        h = v.hex()
        return f"{len(v)} bytes {h[:limit]}{'...' if len(h) > limit else ''}"
    if isinstance(v, float):
        return f"{v!r} ({struct.pack('>d', v).hex()})"
    if isinstance(v, int):
        return f"{v} (0x{v & 0xffffffffffffffff:x})"
    return repr(v)


# ---- the test --------------------------------------------------------------------------------

class Mismatches:
    def __init__(self, prog, specs, attach):
        self.prog, self.specs, self.attach, self.items = prog, specs, attach, []

    def add(self, what, probe=None, arg=None, **detail):
        m = {"seed": self.prog.seed, "cc": self.prog.cc, "opt": self.prog.opt,
             "flags": self.prog.flags, "strlen": self.prog.strlen, "attach": self.attach,
             "what": what}
        if probe is not None:
            m["probe"] = f"{exactgen.PROVIDER}:{probe['name']}"
        if arg is not None:
            toks = [s[arg.idx] for s in self.specs.get(probe["name"], []) if len(s) > arg.idx]
            m.update(arg=arg.idx, kind=arg.kind, ctype=arg.ctype, form=arg.form, loc=arg.loc,
                     specs=sorted(set(toks)), operand=sorted({operand_form(t) for t in toks}))
        m.update(detail)
        self.items.append(m)

    def line(self, m):
        where = m.get("probe", "")
        if "arg" in m:
            loc = f", {m['loc']}" if m["loc"] else ""
            specs = " | ".join(m["specs"]) or "?"
            where += f" arg{m['arg']} {m['kind']} ({m['ctype']}, {m['form']}{loc}; spec {specs})"
        rest = ", ".join(f"{k}={v}" for k, v in m.items() if k in (
            "thread", "site", "event", "expected", "got", "detail"))
        return f"  {m['what']}: {where}: {rest}"

    def fail_if_any(self, workdir):
        path = os.environ.get("TT_EXACTGEN_REPORT")
        if path and self.items:
            with open(path, "a") as f:
                for m in self.items:
                    f.write(json.dumps(m) + "\n")
        if not self.items:
            return
        by_class = Counter((m["what"], m.get("kind", ""), m.get("loc") or m.get("form", ""))
                           for m in self.items)
        msg = [repro(self.prog, workdir, self.attach),
               f"{len(self.items)} mismatches; by (what, kind, where):"]
        msg += [f"  {n:4d}  {c}" for c, n in by_class.most_common()]
        msg.append("first ones:")
        msg += [self.line(m) for m in self.items[:MAX_SHOWN]]
        pytest.fail("\n".join(msg), pytrace=False)


def db_events(db):
    """{(tid, probe name): [(fault, truncated, [(value, sql type), ...]), ...]} in event order."""
    cols = ", ".join(f"e.arg{i}, typeof(e.arg{i})" for i in range(12))
    con = sqlite3.connect(db)
    con.text_factory = bytes
    try:
        rows = con.execute(
            f"SELECT p.name, e.tid, e.fault, e.truncated, {cols} FROM events e "
            "JOIN probes p ON p.id = e.probe_id WHERE p.provider = ? ORDER BY e.id",
            (exactgen.PROVIDER,)).fetchall()
    finally:
        con.close()
    out = defaultdict(list)
    for r in rows:
        vals = [(r[4 + 2 * i], r[5 + 2 * i].decode()) for i in range(12)]
        out[(r[1], r[0].decode())].append((r[2], r[3], vals))
    return out


def sql(db, query, params=()):
    con = sqlite3.connect(db)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def check_event(mm, probe, site, t, n, fault, trunc, vals, tokens, strlen):
    """One mismatch per wrong argument, the most telling one."""
    args = probe["sites"][site]["args"]
    where = {"thread": t, "site": site, "event": n}
    extra = [i for i in range(len(args), 12) if vals[i][0] is not None]
    if extra or fault >> len(args) or trunc >> len(args):
        mm.add("past argc", probe, detail=f"arg{extra} not NULL, fault 0x{fault:x}, truncated "
               f"0x{trunc:x} with {len(args)} arguments", **where)
    for a in args:
        exp, efault, etrunc, etype = expected_value(a, tokens[a.idx], strlen)
        got, gtype = vals[a.idx]
        gfault, gtrunc = (fault >> a.idx) & 1, (trunc >> a.idx) & 1
        if gtrunc and a.cls != "str":
            mm.add("truncated bit", probe, a, expected=0, got=1, **where)
        if efault:
            if not gfault:
                mm.add("not faulted", probe, a, got=show(got), **where)
            elif got is not None:
                mm.add("fault not NULL", probe, a, got=show(got), **where)
        elif gfault:
            mm.add("faulted", probe, a, expected=show(exp), got=show(got), **where)
        elif exp is None:  # a NaN
            if got is not None:
                mm.add("value", probe, a, expected="NULL (NaN)", got=show(got), **where)
        elif isinstance(exp, bytes):
            if not isinstance(got, bytes) or got != exp:
                mm.add("string", probe, a, expected=show(exp), got=show(got), **where)
            elif gtrunc != etrunc:
                mm.add("truncated bit", probe, a, expected=etrunc, got=gtrunc,
                       detail=f"{len(bytes.fromhex(tokens[a.idx][1:]))} bytes, strlen {strlen}",
                       **where)
            elif gtype != etype:
                mm.add("sql type", probe, a, expected=etype, got=gtype, **where)
        elif not same(exp, got):
            mm.add("value", probe, a, expected=show(exp), got=show(got), **where)


MEMBER = re.compile(r"[A-Za-z_]\w*(?:\[[^\]]*\]|(?:\.|->)[A-Za-z_]\w*)*(?:\.|->)([A-Za-z_]\w*)")


def expected_names(exprs):
    """The argument names of one site: an identifier is its own name, a member access (after
    identifiers, member accesses and subscripts) the member's, anything else none (the SDK's
    rule); a name already taken by an earlier argument, or argM of another position, is
    dropped, so that the view's columns stay unique (the recorder's rule)."""
    names = []
    for i, expr in enumerate(exprs):
        expr = expr.strip()
        m = MEMBER.fullmatch(expr)
        name = expr if re.fullmatch(r"[A-Za-z_]\w*", expr) else m.group(1) if m else None
        if name in names or (re.fullmatch(r"arg\d+", name or "") and name != f"arg{i}"):
            name = None
        names.append(name)
    return names


def check_views(mm, db, prog, want_total, skip):
    """Each probe's view: one row per event, argument names as the SDK documents them, and
    each argument column holding exactly the event's argument (skip: probes already found
    wrong, whose views say nothing more)."""
    views = dict(sql(db, "SELECT name, view FROM probes WHERE provider = ?", (exactgen.PROVIDER,)))
    args = defaultdict(dict)
    for name, idx, aname, col in sql(db, "SELECT p.name, a.idx, a.name, a.column_name FROM "
                                     "probe_args a JOIN probes p ON p.id = a.probe_id "
                                     "WHERE p.provider = ?", (exactgen.PROVIDER,)):
        args[name][idx] = (aname, col)
    for p in prog.probes:
        if p["name"] not in views or p["name"] in skip:
            continue
        view = views[p["name"]]
        site_names = [expected_names(st["exprs"]) for st in p["sites"]]
        n = sql(db, f'SELECT count(*) FROM "{view}"')[0][0]
        if n != want_total[p["name"]]:
            mm.add("view rows", p, expected=want_total[p["name"]], got=n)
        cols = [args[p["name"]].get(a.idx, (None, None))[1] for a in p["args"]]
        if len(set(cols)) != len(cols) or None in cols:
            mm.add("view columns", p, detail=f"columns {cols}")
            continue
        for a in p["args"]:
            aname, col = args[p["name"]][a.idx]
            want = {names[a.idx] for names in site_names}  # the names of one of the sites
            if aname not in want or not (col == (aname or f"arg{a.idx}") or
                                         col.startswith(f"{aname}_arg")):
                mm.add("name", p, a, expected=" or ".join(map(str, want)),
                       got=f"name {aname}, column {col}")
            diff = sql(db, f'SELECT count(*) FROM "{view}" v JOIN events e ON e.id = v.event_id '
                       f'WHERE v."{col}" IS NOT e.arg{a.idx}')[0][0]
            if diff:
                mm.add("view column", p, a, detail=f"{diff} rows of {view}.{col} differ from "
                       f"events.arg{a.idx}")


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_program_recorded_exactly(seed, attach, builds):
    """Once per attach path of this kernel (conftest's attach)."""
    need_bpf()
    prog, bd, err = builds.get(seed)
    assert err is None, f"{repro(prog, bd, attach)}\nthe program does not compile:\n{err}"
    d = bd / attach
    d.mkdir(exist_ok=True)
    how = repro(prog, d, attach)
    specs, list_err, unparsed = site_specs(bd / "prog")
    mm = Mismatches(prog, specs, attach)
    for line in list_err.splitlines():  # one per site the recorder cannot use
        mm.add("list", detail=line.replace(str(bd), ".")[:400])
    tape, db, report = d / "prog.tape", d / "prog.db", d / "report.txt"
    r = tt("record", "--attach", attach, "-o", tape, *prog.record_args(), "--", bd / "prog",
           report, cwd=d, timeout=600)
    assert r.returncode == 0, f"{how}\nrecord exited {r.returncode}:\n{r.stderr}"
    assert re.search(r"prog exited with status 0", r.stderr), f"{how}\n{r.stderr}"
    m = re.search(r"recorded (\d+) events \((\d+) lost\)", r.stderr)
    assert m, f"{how}\nno summary:\n{r.stderr}"
    if m.group(2) != "0":
        mm.add("lost", detail=m.group(0))
    tids, fired, end = parse_report(report.read_text())
    assert end == len(fired) and sorted(tids) == list(range(prog.threads)), \
        f"{how}\nthe program's report is incomplete"

    # gen-1: counts, kinds, fired = recorded + lost
    want_total = Counter(prog.probes[k]["name"] for _, k, _, _ in fired)
    for p in prog.probes:
        assert want_total[p["name"]] == p["count"] * prog.threads, how
    r = tt("info", "--json", tape, timeout=120)
    assert r.returncode == 0, f"{how}\n{r.stderr}"
    info = json.loads(r.stdout)
    fired_by_id = dict(tuple(map(int, x.split("="))) for x in
                       info["meta"].get("probe_fired", "").split())
    seen = {}
    for ip in info["probes"]:
        if ip["provider"] == exactgen.PROVIDER:
            seen[ip["name"]] = (fired_by_id.get(ip["id"], 0), ip["events"], ip["lost"])
    miscounted = set()
    for p in prog.probes:
        want = want_total[p["name"]]
        f, e, lost = seen.get(p["name"], (0, 0, 0))
        if (f, e, lost) != (want, want, 0):
            miscounted.add(p["name"])
            mm.add("count", p, expected=f"fired {want}, recorded {want}, lost 0",
                   got=f"fired {f}, recorded {e}, lost {lost}",
                   detail=f"sites {len(specs.get(p['name'], []))}")
    r = tt("load", "-q", "-o", db, tape, timeout=600)
    assert r.returncode == 0, f"{how}\nload exited {r.returncode}:\n{r.stderr}"
    kinds = defaultdict(dict)
    for name, idx, kind in sql(db, "SELECT p.name, a.idx, a.kind FROM probe_args a JOIN probes p "
                               "ON p.id = a.probe_id WHERE p.provider = ?", (exactgen.PROVIDER,)):
        kinds[name][idx] = kind
    for p in prog.probes:
        for a in p["args"]:
            if p["name"] in kinds and kinds[p["name"]].get(a.idx) != a.kind:
                mm.add("kind", p, a, expected=a.kind, got=kinds[p["name"]].get(a.idx))
    check_views(mm, db, prog, want_total, miscounted | unparsed)
    others = sql(db, "SELECT DISTINCT p.provider || ':' || p.name FROM events e JOIN probes p "
                 "ON p.id = e.probe_id WHERE p.provider NOT IN (?, 'tracetape')",
                 (exactgen.PROVIDER,))
    if others:
        mm.add("foreign events", detail=others)

    # gen-2: every event, every argument
    got = db_events(db)
    want = defaultdict(list)
    for t, k, site, toks in fired:
        want[(tids[t], prog.probes[k]["name"])].append((t, site, toks))
    for key, evs in sorted(want.items()):
        probe = prog.probes[int(key[1][1:])]
        have = got.get(key, [])
        if len(have) != len(evs):
            if probe["name"] not in miscounted:
                mm.add("thread count", probe, thread=evs[0][0], expected=len(evs), got=len(have))
            continue
        for n, ((t, site, toks), (fault, trunc, vals)) in enumerate(zip(evs, have)):
            check_event(mm, probe, site, t, n, fault, trunc, vals, toks, prog.strlen)
    for key in sorted(set(got) - set(want)):
        mm.add("unexpected events", detail=f"{len(got[key])} of {key[1]} on tid {key[0]}")
    mm.fail_if_any(d)


# ---- gen-3: what the generator covers --------------------------------------------------------

def test_generator_is_deterministic():
    for seed in (1, 2, 50):
        assert exactgen.generate(seed).source == exactgen.generate(seed).source


def test_generator_covers_every_kind_location_and_form():
    progs = [exactgen.generate(s) for s in range(1, DEFAULT_COUNT + 1)]
    args = [a for p in progs for pr in p.probes for st in pr["sites"] for a in st["args"]]
    ctypes = {a.ctype for a in args}
    all_ctypes = {c for c, _ in exactgen.INT_TYPES + exactgen.FLOAT_TYPES} | \
        set(exactgen.PTR_TYPES) | set(exactgen.STR_TYPES)
    assert ctypes == all_ctypes, sorted(all_ctypes - ctypes)
    assert {a.kind for a in args} == {"s8", "s16", "s32", "s64", "u8", "u16", "u32", "u64",
                                      "f32", "f64", "ptr", "str"}
    assert {a.loc for a in args if a.cls == "str"} == set(exactgen.STR_LOCS)
    assert {a.form for a in args if a.cls == "str"} == set(exactgen.STR_FORMS)
    assert {a.form for a in args if a.cls != "str"} == set(exactgen.NUM_FORMS)
    # the extremes of every integer kind, and the special floats
    for kind in ("s8", "s16", "s32", "s64", "u8", "u16", "u32", "u64"):
        vals = {v for a in args if a.kind == kind and a.ctype != "_Bool" for v in a.vals}
        lo, hi = exactgen.int_range(kind)
        assert {lo, hi, 0} <= vals, kind
    f64 = {v for a in args if a.kind == "f64" for v in a.vals}
    assert {0x8000000000000000, 0x7ff0000000000000, 0xfff0000000000000, 1, exactgen.NAN_MARK} <= f64
    f32 = {v for a in args if a.kind == "f32" for v in a.vals}
    assert {0x80000000, 0x7f800000, 0xff800000, 1, exactgen.NAN_MARK} <= f32
    strs = [v for a in args if a.cls == "str" for v in a.vals if v is not None]
    assert b"" in strs
    # strings just above the limit (and so, with eg_fill's -1/0/+1, at and below it)
    assert any(len(v) == p.strlen + 1 for p in progs for pr in p.probes for st in pr["sites"]
               for a in st["args"] if a.cls == "str" for v in a.vals if v is not None)
    # the largest record: twelve strings beyond a limit of 1024
    assert any(p.strlen == 1024 and len(st["args"]) == 12 and
               all(a.cls == "str" and a.vals[0] is not None and len(a.vals[0]) > 1024
                   for a in st["args"]) for p in progs for pr in p.probes for st in pr["sites"])
    assert {p.cc for p in progs} == set(exactgen.COMPILERS)
    assert {p.opt for p in progs} == set(exactgen.OPTS)
    assert {p.threads for p in progs} == {1, 2, 3, 4, 8}
    assert {p.strlen for p in progs} >= {1, 256, 1024}


if DEFAULT_SET:
    def test_programs_cover_every_operand_form(builds):
        """The default seeds' binaries, together, hold every operand form (from their notes)."""
        forms = Counter()
        for seed in SEEDS:
            prog, d, err = builds.get(seed)
            assert err is None, repro(prog, d)
            specs, _, _ = site_specs(d / "prog")
            forms.update(operand_form(tok) for sites in specs.values() for s in sites for tok in s)
        for f in ("imm", "reg", "stack-rbp", "stack-rsp", "red-zone", "rip", "base+disp",
                  "base+index"):
            assert forms[f] > 0, f"no {f} operand in {dict(forms)}"
