#!/usr/bin/python3
"""Seeds that no file on the machine holds: option values for options_fuzz (the first byte
chooses the parser: 0 size, 1 duration, 2 --span rule, 3 decimal fraction, 4 integer), --keep
rules and keep_spans lines for keep_fuzz (first byte even: a rule, odd: a line) and rows for
sqlfuncs_fuzz (see its header comment). Usage: seeds.py OUT_DIR (writes OUT/options/,
OUT/keep/, OUT/sqlfuncs/)."""
import hashlib
import struct
import sys
from pathlib import Path

OPTIONS = {
    0: ["64M", "1G", "4K", "0", "17", "16E", "1.5M", "18446744073709551615", "9999999999999G",
        "-1M", " 1M", "1m", "0x10M", "M", ""],
    1: ["30", "1.5s", "250ms", "0.5h", "10m", "1ns", "999us", "9223372036.854775807s",
        "9223372036.854775808s", "292y", "1.", ".5s", "1e3", "-1s", "1.0000000005s",
        "106751d", "2562047h", "153722867m", "0.0000000001s", "00000000000000000001ns"],
    2: ["req=http:request__start,http:request__done", "q=pg:query__start,pg:query__done,key=arg0",
        "x=a*|b?,c[0-9],key=tid", "=a,b", "n=a", "n=a,b,key=", "n=a,b,key=pid,extra",
        "n=:,:", "a=b,c,key=arg999999999999"],
    3: ["0.5", "10", "1e9", "1000000000.0000001", "0.", ".", "nan", "inf", "1e-400"],
    4: ["1", "1000000", "1000001", "0x10", "0", "-1", "18446744073709551616", "0x", "007"],
}


KEEP_RULES = ["svc:request > 10ms", "request >= 1.5ms", "a*|b? > 0ns", "x > 1s", "p:s>2us",
              "svc:request > ", "> 10ms", "svc:request 10ms", "x > 18446744073709551616ns",
              "x > 9223372036.854775808s", "x >= -1ms", "x > 1h", "x > 0.0000000001s"]
KEEP_LINES = ["v1\tsvc\trequest\t10\t2\t8\t1\t64:3,100:5,1919:1",
              "v1\t\tjob\t0\t0\t0\t0\t", "v2\tfuture\tline", "v1\tp\tn\t1\t1\t0\t2\t",
              "v1\tp\tn\t3\t1\t2\t0\t1920:1", "v1\tp\tn\t3\t1\t2\t0\t5:1,5:2",
              "v1\tp\tn\t18446744073709551615\t18446744073709551615\t0\t0\t0:18446744073709551615"]


def write(d, data):
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def row(op, group, value=b"", p=0):
    return bytes([op | group << 3]) + value + bytes([p])


def main():
    out = Path(sys.argv[1])
    for sel, values in OPTIONS.items():
        for v in values:
            write(out / "options", bytes([sel]) + v.encode())
    for v in KEEP_RULES:
        write(out / "keep", b"\0" + v.encode())
    for v in KEEP_LINES:
        write(out / "keep", b"\1" + v.encode())
    i64 = lambda v: struct.pack("<q", v)
    f64 = lambda v: struct.pack("<d", v)
    rows = [
        # integers in two groups, percentiles at 50 and 99.9, both formats
        b"".join(row(1, k % 2, i64(k * 1000), 1 | (k % 2) << 4) for k in range(40)),
        # reals, NULLs and the special reals (inf, NaN, -0.0, 1e19, ...)
        b"".join(row(2, 0, f64(k / 3.0), 4) for k in range(10)) + row(0, 0, b"\0", 5) +
        b"".join(row(3, 1, bytes([k]), 5) for k in range(16)),
        # text and blobs, some of them SQL to normalize
        row(4, 0, bytes([25]) + b"SELECT * FROM t WHERE a=1", 0) +
        row(4, 1, bytes([30]) + b"insert into x values (1,'a',$1)", 11) +
        row(5, 2, bytes([3]) + b"\xff\x00\x01", 12) + row(4, 3, bytes([6]) + b"12.5ms", 13),
        # a huge group: one row repeated 10,000 times, then p outside [0, 100]
        row(7, 0, i64(123456789) + struct.pack("<H", 10000), 2) + row(6, 0, b"\x80", 9) +
        row(7, 1, i64(-1) + struct.pack("<H", 1000), 8),
        # small signed integers with every p choice
        b"".join(row(6, k % 4, bytes([k * 7 % 256]), k) for k in range(64)),
    ]
    for r in rows:
        write(out / "sqlfuncs", r)


if __name__ == "__main__":
    main()
