# SPDX-License-Identifier: MIT
"""Test plan: probes written in PHP code (sdk/php, schemas/DYNAMIC_PROBES.md), with Debian's PHP 8.2.

php-1  The extension builds with phpize from the source tree (sdk/php/config.m4) without a
       compiler warning, and PHP loads it.
php-2  examples/php-app recorded through the extension ('usdt:EXT:phpapp:*' -- php, without
       USE_ZEND_DTRACE): every probe in the app's own log is in the database exactly, in order,
       under its own view phpapp_NAME: integers, floats, UTF-8 and binary strings, a string
       longer than --strlen (cut and flagged), true/false, null (NULL, fault bit), named and
       positional values; no event is left on the carriers; spans pair by integer id
       (request), by string id (payment) and by the extension's numbering (render); the
       report groups spans under the names the PHP code used; a probe per name and value
       kinds (true and false one kind).
php-3  --preset php-app=EXT records the same events.
php-4  The API behaves the same recorded or not: return values, errors for bad calls
       (empty name, too many values, a bad span id, a bad callable), tracetape_span() ends
       its span when the callable throws and rethrows; tracetape_enabled() says which.
php-5  Not recorded, the app runs with tracetape_enabled() false and logs the same probes,
       less the one it guards with tracetape_enabled().
php-6  PHP-FPM (two workers, the extension loaded with -d extension=EXT) serving
       examples/php-app/web.php over FastCGI on a unix socket, recorded system-wide with
       --preset php-app=EXT: every request's probes, as each response lists them, are in the
       database exactly, from the worker that served it; spans pair per worker.
"""
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import time

import pytest

from conftest import (SOURCE_DIR, db_rows, need_bpf, need_program, run, start_recorder,
                      stop_recorder, tt)

APP = SOURCE_DIR / "examples" / "php-app" / "app.php"
WEB = SOURCE_DIR / "examples" / "php-app" / "web.php"
REQUESTS = 25
# the fixed columns of a probe's view, before its arguments
FIXED = ["event_id", "ts", "ts_wall", "tape", "pid", "tid", "cpu", "goid", "fault", "truncated"]


@pytest.fixture(scope="module")
def ext(tmp_path_factory):
    """tracetape.so, built as the extension's README says (phpize in a copy of the tree)."""
    need_program("php8.2")
    need_program("phpize")
    top = tmp_path_factory.mktemp("phpext")
    shutil.copytree(SOURCE_DIR / "sdk" / "php", top / "sdk" / "php")
    shutil.copytree(SOURCE_DIR / "sdk" / "include", top / "sdk" / "include")
    src = top / "sdk" / "php"
    for cmd in (["phpize"], ["./configure", "--enable-tracetape"], ["make"]):
        r = run(cmd, cwd=src, timeout=300)
        assert r.returncode == 0, f"{cmd}: {r.stdout}{r.stderr}"
        if cmd == ["make"]:
            assert "warning:" not in r.stdout + r.stderr, r.stdout + r.stderr
    so = src / "modules" / "tracetape.so"
    assert so.exists()
    return so


def php_env():
    """The environment without USE_ZEND_DTRACE: nothing here needs the engine's probes."""
    return {k: v for k, v in os.environ.items() if k != "USE_ZEND_DTRACE"}


def php(ext, *args):
    return ["php8.2", "-n", "-d", f"extension={ext}", *map(str, args)]


def test_extension_loads(ext):
    r = run(php(ext, "-m"))
    assert r.returncode == 0, r.stderr
    assert "tracetape" in r.stdout.split()
    r = run(php(ext, "-r", "echo implode(',', get_extension_funcs('tracetape'));"))
    assert r.stdout.split(",") == ["tracetape_probe", "tracetape_enabled", "tracetape_span_begin",
                                   "tracetape_span_end", "tracetape_span"]


def record_app(ext, tmp_path, *spec, strlen=None):
    tape, log = tmp_path / "app.tape", tmp_path / "app.json"
    opts = ["--strlen", str(strlen)] if strlen else []
    r = tt("record", "-o", tape, *opts, *spec, "--", *php(ext, APP, REQUESTS, log),
           env=php_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"handled {REQUESTS} requests (traced)" in r.stdout
    db = tmp_path / "app.db"
    r = tt("load", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    return tape, db, json.loads(log.read_text())


def view_rows(db, name):
    """The rows of view phpapp_NAME in event order: (arguments, fault, truncated, pid)."""
    import sqlite3

    with sqlite3.connect(db) as con:
        cur = con.execute(f'SELECT * FROM "phpapp_{name}" ORDER BY event_id')
        cols = [d[0] for d in cur.description]
        assert cols[:len(FIXED)] == FIXED, cols
        return cols[len(FIXED):], [(list(r[len(FIXED):]), r[FIXED.index("fault")],
                                    r[FIXED.index("truncated")], r[FIXED.index("pid")])
                                   for r in cur.fetchall()]


def expected(probes, strlen=256):
    """What the views must hold, from a log's probes in firing order, each with the pid that
    fired it (None: any): {name: [(columns, values, fault, trunc, pid)]}."""
    want = {}
    render = {}
    for pid, p in probes:
        name, args, named = p["probe"], p["args"], p["named"]
        if name == "render":
            # tracetape_span() numbers its spans per process and fires begin (with the
            # values) and end
            render[pid] = k = render.get(pid, 0) + 1
            want.setdefault("render__begin", []).append((["id", *named], [k, *named.values()], pid))
            want.setdefault("render__end", []).append((["id"], [k], pid))
            continue
        cols = [f"arg{i}" for i in range(len(args))]
        if name.endswith(("__begin", "__end")):
            cols = ["id"]
        want.setdefault(name, []).append((cols + list(named), args + list(named.values()), pid))
    out = {}
    for name, rows in want.items():
        out[name] = []
        for cols, vals, pid in rows:
            fault = trunc = 0
            db_vals = []
            for i, v in enumerate(vals):
                if v is None:
                    fault |= 1 << i
                elif isinstance(v, bool):
                    v = int(v)
                elif isinstance(v, str) and len(v.encode()) > strlen:
                    v = v.encode()[:strlen].decode()
                    trunc |= 1 << i
                elif isinstance(v, str) and "\0" in v:
                    v = v.encode()  # a BLOB: not text
                db_vals.append(v)
            out[name].append((cols, db_vals, fault, trunc, pid))
    return out


def check_views(db, probes):
    """The database holds exactly the probes fired ([(pid, probe)] in firing order)."""
    want = expected(probes)
    assert set(want) >= {"request__begin", "request__end", "cache_miss", "checkout",
                         "payment__begin", "payment__end", "render__begin", "render__end",
                         "request_dump"}
    for name, rows in want.items():
        got_cols, got = view_rows(db, name)
        assert len(got) == len(rows), (name, len(got), len(rows))
        for i, (w, g) in enumerate(zip(rows, got)):
            (cols, vals, fault, trunc, pid), (gvals, gfault, gtrunc, gpid) = w, g
            assert got_cols[:len(cols)] == cols, (name, got_cols, cols)
            assert gvals[:len(vals)] == vals, (name, i, gvals, vals)
            assert all(v is None for v in gvals[len(vals):]), (name, i, gvals)
            assert (gfault, gtrunc) == (fault, trunc), (name, i, gfault, gtrunc, fault, trunc)
            assert pid is None or gpid == pid, (name, i, gpid, pid)
    # no event stayed on a carrier, and nothing came from the engine's own probes
    assert db_rows(db, """SELECT count(*) FROM events e JOIN probes p ON p.id = e.probe_id
                          WHERE p.provider = 'phpapp' AND p.name IN
                          ('probe', 'span__begin', 'span__end')""") == [(0,)]
    assert db_rows(db, "SELECT count(*) FROM probes WHERE provider = 'php'") == [(0,)]
    assert db_rows(db, """SELECT count(*) FROM events e JOIN probes p ON p.id = e.probe_id
                          WHERE p.provider = 'phpapp'""")[0][0] == sum(map(len, want.values()))
    return want


def test_app_recorded_exactly(ext, tmp_path):
    need_bpf()
    tape, db, log = record_app(ext, tmp_path, f"usdt:{ext}:phpapp:*")
    assert log["traced"] is True and log["requests"] == REQUESTS
    check_views(db, [(None, p) for p in log["probes"]])
    assert "shutdown" in {p["probe"] for p in log["probes"]}
    # a probe per name and kinds: checkout's coupon is a string or null (two probes), the
    # bools of checkout and payment__end are one kind whatever their value
    per_name = dict(db_rows(db, """SELECT name, count(*) FROM probes WHERE provider = 'phpapp'
                                   AND events > 0 GROUP BY name"""))
    assert per_name == {"request__begin": 1, "request__end": 1, "cache_miss": 1, "checkout": 2,
                        "payment__begin": 1, "payment__end": 1, "render__begin": 1,
                        "render__end": 1, "request_dump": 1, "shutdown": 1}, per_name

    # spans: by integer id, by string id, by the extension's numbering; all closed
    spans = db_rows(db, """SELECT name, count(*), sum(end_ts IS NULL), min(pairing), max(pairing)
                           FROM spans WHERE provider = 'phpapp' GROUP BY name ORDER BY name""")
    assert spans == [("payment", REQUESTS, 0, "id", "id"), ("render", REQUESTS, 0, "id", "id"),
                     ("request", REQUESTS, 0, "id", "id")]
    keys = db_rows(db, "SELECT key FROM spans WHERE name = 'payment' ORDER BY start_ts")
    assert [k for (k,) in keys] == [f"pay-{i:04d}" for i in range(1, REQUESTS + 1)]
    # the payment span holds its usleep(200); each request span holds its payment
    assert db_rows(db, "SELECT min(dur) >= 200000 FROM spans WHERE name = 'payment'") == [(1,)]
    assert db_rows(db, """SELECT count(*) FROM spans p JOIN spans r ON r.name = 'request'
                          AND p.start_ts > r.start_ts AND p.end_ts < r.end_ts
                          WHERE p.name = 'payment'""") == [(REQUESTS,)]

    r = tt("report", db)
    assert r.returncode == 0, r.stderr
    for name in ("payment", "render", "request"):
        assert re.search(rf"^\s*phpapp:{name}\s+{REQUESTS}\s", r.stdout, re.M), r.stdout
    r = tt("info", tape)
    assert r.returncode == 0, r.stderr
    assert re.search(rf"phpapp:checkout\s+\d+\s+0\s+s64 arg0, f64 arg1, bytes arg2, u8 arg3, "
                     r"(any0|bytes) arg4", r.stdout), r.stdout


def test_preset_php_app(ext, tmp_path):
    need_bpf()
    _, db, log = record_app(ext, tmp_path, "--preset", f"php-app={ext}")
    check_views(db, [(None, p) for p in log["probes"]])


API = r"""<?php
$r = [];
$calls = [
    'empty name' => fn () => tracetape_probe(''),
    'eleven values' => fn () => tracetape_probe('a', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
    'ten values' => fn () => tracetape_probe('a', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
    'span ten values' => fn () => tracetape_span_begin('s', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
    'span array id' => fn () => tracetape_span_begin('s', [1]),
    'span no id' => fn () => tracetape_span_end('s'),
    'bad callable' => fn () => tracetape_span('s', 'no_such_function'),
    'array value' => fn () => tracetape_probe('odd', [1], new ArrayObject(), null),
];
foreach ($calls as $what => $f) {
    try {
        $f();
        $r[$what] = 'ok';
    } catch (Throwable $e) {
        $r[$what] = get_class($e) . ': ' . $e->getMessage();
    }
}
$r['span result'] = tracetape_span('calc', fn () => 6 * 7, unit: 'answer');
try {
    tracetape_span('calc', function () { throw new RuntimeException('boom'); });
} catch (RuntimeException $e) {
    $r['span throws'] = 'rethrown ' . $e->getMessage();
}
$r['enabled'] = tracetape_enabled();
$r['enabled name'] = tracetape_enabled('calc');
echo json_encode($r), "\n";
"""


def test_api_same_recorded_or_not(ext, tmp_path):
    need_bpf()
    script = tmp_path / "api.php"
    script.write_text(API)
    plain = run(php(ext, script), env=php_env())
    assert plain.returncode == 0, plain.stderr
    off = json.loads(plain.stdout)
    assert off == {
        "empty name": "ValueError: tracetape_probe(): Argument #1 ($name) must not be empty",
        "eleven values": "ArgumentCountError: tracetape_probe() takes at most 10 values, 11 given",
        "ten values": "ok",
        "span ten values":
            "ArgumentCountError: tracetape_span_begin() takes at most 9 values, 10 given",
        "span array id": "TypeError: tracetape_span_begin(): Argument #2 ($id) must be of type "
                         "string|int, array given",
        "span no id": "ArgumentCountError: tracetape_span_end() expects at least 2 arguments, "
                      "1 given",
        "bad callable": "TypeError: tracetape_span(): Argument #2 ($fn) must be a valid callback, "
                        "function \"no_such_function\" not found or invalid function name",
        "array value": "ok",
        "span result": 42, "span throws": "rethrown boom",
        "enabled": False, "enabled name": False,
    }, off
    tape = tmp_path / "api.tape"
    r = tt("record", "-o", tape, f"usdt:{ext}:phpapp:*", "--", *php(ext, script), env=php_env())
    assert r.returncode == 0, r.stderr
    on = json.loads(r.stdout)
    assert on == dict(off, enabled=True, **{"enabled name": True})
    db = tmp_path / "api.db"
    assert tt("load", "-o", db, tape).returncode == 0
    # what the failed calls fired: nothing; the good ones: their probes
    assert db_rows(db, """SELECT p.name, count(*) FROM events e JOIN probes p ON p.id = e.probe_id
                          WHERE p.provider = 'phpapp' GROUP BY 1 ORDER BY 1""") == [
        ("a", 1), ("calc__begin", 2), ("calc__end", 2), ("odd", 1)]
    assert db_rows(db, "SELECT arg0, arg1, arg2 FROM phpapp_odd") == [("array", "ArrayObject", None)]
    assert db_rows(db, "SELECT id, unit FROM phpapp_calc__begin ORDER BY event_id") == [
        (1, "answer"), (2, None)]
    assert db_rows(db, "SELECT count(*), sum(end_ts IS NOT NULL) FROM spans WHERE name = 'calc'") \
        == [(2, 2)]


def test_app_not_recorded(ext, tmp_path):
    log = tmp_path / "plain.json"
    r = run(php(ext, APP, REQUESTS, log), env=php_env())
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"handled {REQUESTS} requests\n"
    got = json.loads(log.read_text())
    assert got["traced"] is False
    names = [p["probe"] for p in got["probes"]]
    assert "request_dump" not in names
    assert names.count("checkout") == REQUESTS and names.count("payment__end") == REQUESTS


def fcgi_get(sock_path, script, query, timeout=30):
    """One FastCGI GET of script?query over a unix socket: (response headers, body)."""
    def rec(rtype, content):
        return struct.pack(">BBHHBx", 1, rtype, 1, len(content), 0) + content

    def pair(k, v):
        k, v = k.encode(), v.encode()
        size = lambda n: bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
        return size(len(k)) + size(len(v)) + k + v

    params = b"".join(pair(k, v) for k, v in {
        "SCRIPT_FILENAME": str(script), "SCRIPT_NAME": "/" + script.name,
        "REQUEST_METHOD": "GET", "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
        "GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_ADDR": "127.0.0.1"}.items())
    out, buf = b"", b""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(str(sock_path))
        # BEGIN_REQUEST (responder), PARAMS, end of PARAMS, end of STDIN
        s.sendall(rec(1, struct.pack(">HB5x", 1, 0)) + rec(4, params) + rec(4, b"") + rec(5, b""))
        while True:
            while len(buf) < 8 or len(buf) < 8 + sum(struct.unpack(">HB", buf[4:7])):
                chunk = s.recv(65536)
                assert chunk, "FastCGI connection closed before END_REQUEST"
                buf += chunk
            _, rtype, _, clen, plen = struct.unpack(">BBHHB", buf[:7])
            content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
            if rtype == 6:  # STDOUT
                out += content
            elif rtype == 3:  # END_REQUEST
                break
    head, _, body = out.partition(b"\r\n\r\n")
    return head.decode(), body.decode()


def test_fpm_workers_recorded(ext, tmp_path):
    need_bpf()
    fpm = need_program("php-fpm8.2")
    sock, conf = tmp_path / "fpm.sock", tmp_path / "fpm.conf"
    conf.write_text(f"[global]\nerror_log = {tmp_path}/fpm.log\n"
                    f"[www]\nlisten = {sock}\npm = static\npm.max_children = 2\n")
    log = open(tmp_path / "fpm.out", "w")
    p = subprocess.Popen([fpm, "-n", "-R", "-F", "-O", "-y", conf, "-g", tmp_path / "fpm.pid",
                          "-d", f"extension={ext}"], stdout=log, stderr=subprocess.STDOUT,
                         env=php_env())
    try:
        deadline = time.monotonic() + 30
        while not sock.exists() and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        assert sock.exists(), (tmp_path / "fpm.out").read_text()
        tape = tmp_path / "fpm.tape"
        rec = start_recorder("-o", tape, "--preset", f"php-app={ext}")
        responses = []
        for i in range(1, 21):
            head, body = fcgi_get(sock, WEB, f"i={i}")
            assert "Content-Type: application/json" in head, (head, body)
            responses.append(json.loads(body))
        status, err = stop_recorder(rec)
        assert status == 0, err
    finally:
        p.terminate()
        p.wait(timeout=30)
        log.close()
    assert all(r["traced"] for r in responses)
    workers = {r["pid"] for r in responses}
    assert p.pid not in workers
    db = tmp_path / "fpm.db"
    r = tt("load", "-o", db, tape)
    assert r.returncode == 0, r.stderr
    check_views(db, [(r["pid"], probe) for r in responses for probe in r["probes"]])
    assert {pid for (pid,) in db_rows(db, "SELECT DISTINCT pid FROM events e JOIN probes p "
                                          "ON p.id = e.probe_id WHERE p.provider = 'phpapp'")} \
        == workers
    spans = db_rows(db, """SELECT name, count(*), sum(end_ts IS NULL) FROM spans
                           WHERE provider = 'phpapp' GROUP BY name ORDER BY name""")
    assert spans == [("payment", 20, 0), ("render", 20, 0), ("request", 20, 0)]
