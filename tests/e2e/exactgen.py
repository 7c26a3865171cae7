#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generate a C program with random probe signatures that reports exactly what it fired.

Used by test_exactgen.py (the generated exactness test). From a seed, it writes one C program
whose probes (provider `eg`, probes p0, p1, ...) take 1 to 12 arguments of every kind the SDK
knows -- signed and unsigned 8/16/32/64-bit integers (through every C spelling: int8_t, char,
_Bool, short, long, size_t, an enum...), pointers (void *, unsigned char *, volatile char *,
function pointers...), float, double and long double, and strings -- with values that include
each type's extremes (INT8_MIN, UINT64_MAX, 0, -1, the high bit alone, NaN, infinities, -0.0,
denormals), passed in forms chosen so that the compiler emits every operand form: immediates,
registers, stack slots, rip-relative globals, base+index from array indexing, base+displacement
through a pointer, thread-local variables.

Strings live everywhere a string can live: literals in .rodata; constant data alone in its own
64 KiB-aligned window of .rodata that nothing touches before the probe (a 64 KiB window is what
the kernel's fault-around maps at once), or touched first, or straddling from a touched window
into an untouched one; initialised .data never touched; the heap (small and mmap-sized
mallocs), the stack, thread-local buffers; a read-only mapping of a file the program wrote
(untouched, touched, straddling); NULL, an unmapped page, a PROT_NONE page and a kernel address
(these must be recorded as faults). Contents: empty, ASCII, control characters, UTF-8, invalid
UTF-8, and lengths around and far beyond the recorder's --strlen.

The program fires each probe a known number of times per thread (1 to 3 threads; some probes
never fire) and, after every thread has finished, writes what it fired into the file named by
its first argument, one line per event in each thread's order:

    seed N
    thread T TID
    e T K S TOKEN...      (event of probe pK, its site S, on thread T; one TOKEN per argument:)
        xHHHHHHHHHHHHHHHH   the 64-bit value: integers sign- or zero-extended by their kind,
                            pointers, and the IEEE bits of floats (long double: of the double)
        sHEX                the string's bytes in hex (empty: "s")
        F                   an invalid pointer: the recording must say it faulted
    end EVENTS

Values are taken from the very expressions passed to the probe: right after the site, behind a
compiler barrier, the same expression is evaluated again into the log. Strings in buffers the
program rewrites are copied then; strings in memory it must not touch (.rodata, .data, the file
mapping) are only read when it writes the report, after every probe has fired.

Command line (Debian's /usr/bin/python3, standard library only):
    exactgen.py SEED [-o FILE.c]    the program's source (stdout by default)
    exactgen.py SEED --info         JSON: compiler, flags, --strlen, probes, arguments, forms
"""
import json
import random
import struct
import sys

PROVIDER = "eg"
WINDOW = 65536  # the kernel's fault-around unit (fault_around_bytes): one window per cold string
UNCACHED_PAGES = 8  # copies of an uncached string, a page apart: each hit of a thread waits for I/O
COMPILERS = ("gcc", "clang")
OPTS = ("-O0", "-O2", "-O3")


class Rng:
    """A seeded generator that only uses getrandbits, whose output is the same in every Python 3."""

    def __init__(self, seed):
        self._r = random.Random(seed)

    def below(self, n):
        assert n > 0
        if n == 1:
            return 0
        k = n.bit_length()
        while True:  # rejection sampling: at most a few rounds on average
            v = self._r.getrandbits(k)
            if v < n:
                return v

    def between(self, lo, hi):
        """An integer in [lo, hi]."""
        return lo + self.below(hi - lo + 1)

    def chance(self, p):
        return self._r.getrandbits(30) < int(p * (1 << 30))

    def choice(self, seq):
        return seq[self.below(len(seq))]

    def bits(self, n):
        return self._r.getrandbits(n)

    def shuffle(self, seq):
        for i in range(len(seq) - 1, 0, -1):
            j = self.below(i + 1)
            seq[i], seq[j] = seq[j], seq[i]


# ---- kinds and C types -------------------------------------------------------------------------

# (C type, kind). char is signed on x86-64 unless -funsigned-char (then fixed up per program).
INT_TYPES = [
    ("int8_t", "s8"), ("signed char", "s8"), ("char", "s8"),
    ("uint8_t", "u8"), ("unsigned char", "u8"), ("_Bool", "u8"),
    ("int16_t", "s16"), ("short", "s16"),
    ("uint16_t", "u16"), ("unsigned short", "u16"),
    ("int32_t", "s32"), ("int", "s32"), ("enum eg_signed", "s32"),
    ("uint32_t", "u32"), ("unsigned", "u32"),
    ("int64_t", "s64"), ("long", "s64"), ("long long", "s64"), ("ssize_t", "s64"),
    ("uint64_t", "u64"), ("unsigned long", "u64"), ("size_t", "u64"), ("uintptr_t", "u64"),
]
FLOAT_TYPES = [("float", "f32"), ("double", "f64"), ("long double", "f64")]
PTR_TYPES = ["void *", "const void *", "int *", "unsigned char *", "const uint8_t *",
             "signed char *", "volatile char *", "char **", "eg_fn", "struct eg_obj *"]
STR_TYPES = ["const char *", "char *"]

# Where the bytes of a string are. Classes whose pointer is invalid must be recorded as faults.
STR_LOCS = {
    "lit": "a string literal (.rodata), maybe touched by the program before",
    "rodata_cold": "const data alone in a 64 KiB window of .rodata that nothing touched",
    "rodata_touched": "const data in a 64 KiB window of .rodata the program read first",
    "rodata_straddle": "const data crossing from a touched .rodata window into an untouched one",
    "data_cold": "initialised .data (char array) that nothing touched",
    "fmap_cold": "a read-only mapping of a file the program wrote, never touched",
    "fmap_touched": "a read-only file mapping, window read by the program first",
    "fmap_straddle": "a read-only file mapping, from a touched window into an untouched one",
    "fmap_end": "the last bytes of a read-only file mapping (a PROT_NONE page after it), untouched",
    "fmap_uncached": "a read-only mapping of a file dropped from the page cache, no read-ahead, a"
                     " copy per thread: each hit waits for the disk",
    "heap": "malloc'd buffer rewritten before each hit",
    "heap_big": "inside a 256 KiB malloc (mmap'd), rewritten before each hit",
    "heap_edge": "ending where a PROT_NONE page begins, rewritten before each hit",
    "stack": "a local char array rewritten before each hit",
    "tls": "a __thread char array rewritten before each hit",
    "null": "NULL (fault expected)",
    "unmapped": "a page unmapped by munmap (fault expected)",
    "prot_none": "a PROT_NONE page (fault expected)",
    "kernel": "a kernel address (fault expected)",
}
FAULT_LOCS = {"null", "unmapped", "prot_none", "kernel"}
DYNAMIC_LOCS = {"heap", "heap_big", "heap_edge", "stack", "tls"}  # rewritten per hit: copied
COLD_LOCS = {"rodata_cold", "rodata_touched", "rodata_straddle"}
FMAP_LOCS = {"fmap_cold", "fmap_touched", "fmap_straddle", "fmap_end", "fmap_uncached"}

# How a number reaches the probe (the operand form the compiler is likely to pick varies with
# the compiler and level; the test reads the real one from `tracetape list`).
# The *_cold forms keep the value in a 64 KiB window of .data of its own that nothing touched
# before the probe; global_straddle puts it across two windows, the first one touched.
NUM_FORMS = ["lit", "const_local", "param", "arr", "arr_const", "arr_escaped", "volatile_local",
             "global", "static_global", "field", "deref", "tls", "expr", "global_cold",
             "arr_cold", "global_straddle"]
# How a string pointer reaches the probe (gptr_cold: a pointer variable in a window of its own).
STR_FORMS = ["direct", "gptr", "gptr_cold", "table", "field", "param", "local_escaped"]


# ---- values ------------------------------------------------------------------------------------

def int_range(kind):
    bits = int(kind[1:])
    if kind[0] == "s":
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def int_value(rng, kind, ctype):
    if ctype == "_Bool":
        return rng.below(2)
    lo, hi = int_range(kind)
    bits = int(kind[1:])
    if kind[0] == "s":
        special = [lo, lo + 1, -1, 0, 1, hi - 1, hi, -2, 1 << (bits - 2), -(1 << (bits - 2)),
                   0x55 if bits == 8 else int("55" * (bits // 8), 16) >> 1]
    else:
        special = [0, 1, hi, hi - 1, 1 << (bits - 1), (1 << (bits - 1)) - 1, (1 << (bits - 1)) + 1,
                   0x80, 0xff & hi, int("a5" * (bits // 8), 16)]
    if rng.chance(0.7):
        return rng.choice(special)
    v = rng.bits(bits)
    return v - (1 << bits) if kind[0] == "s" and v > hi else v


F32_SPECIAL = [0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x7f7fffff, 0xff7fffff, 0x00800000,
               0x00000001, 0x807fffff, 0x7f800000, 0xff800000, 0x3eaaaaab, 0x4b000001, 0xc0490fdb]
F64_SPECIAL = [0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff8000000000000,
               0x7fefffffffffffff, 0xffefffffffffffff, 0x0010000000000000, 0x0000000000000001,
               0x800fffffffffffff, 0x7ff0000000000000, 0xfff0000000000000, 0x3fd5555555555555,
               0x4340000000000001, 0x400921fb54442d18, 0x3fb999999999999a]
NAN_MARK = "nan"  # a float value that is a NaN (its bits are not checked: SQL has no NaN)


def float_value(rng, kind):
    """IEEE bits of a float of this kind, or NAN_MARK (rarely: SQLite stores a NaN as NULL)."""
    if rng.chance(0.06):
        return NAN_MARK
    if kind == "f32":
        if rng.chance(0.75):
            return rng.choice(F32_SPECIAL)
        while True:
            b = rng.bits(32)
            if (b >> 23) & 0xff != 0xff:
                return b
    if rng.chance(0.75):
        return rng.choice(F64_SPECIAL)
    while True:
        b = rng.bits(64)
        if (b >> 52) & 0x7ff != 0x7ff:
            return b


PTR_SPECIAL = [0, 1, 0xffffffffffffffff, 0x8000000000000000, 0x00007ffff7dd0000, 0xffffffffff600000,
               0xdeadbeef, 0x0000000100000000, 0x7fffffffffffffff]


def ptr_value(rng):
    if rng.chance(0.2):
        return "&eg_anchor"  # an address only known at run time
    if rng.chance(0.7):
        return rng.choice(PTR_SPECIAL)
    return rng.bits(48) if rng.chance(0.7) else rng.bits(64)


# ---- C spelling --------------------------------------------------------------------------------

def c_int(v, ctype, kind):
    """An integer constant expression of type ctype with value v."""
    if kind[0] == "s":
        if v == -(1 << 63):
            text = "(-9223372036854775807LL - 1)"
        elif v < 0:
            text = f"(-{-v}LL)"
        else:
            text = f"{v}LL"
    else:
        text = f"{v}ULL"
    return f"(({ctype}){text})"


def c_float_bits(bits, ctype):
    """A constant expression of type ctype whose value has these IEEE bits (of float/double)."""
    if ctype == "float":
        f = struct.unpack("<f", struct.pack("<I", bits))[0]
        suffix = "f"
        inf = "((float)INFINITY)"  # never a bare macro: argument names are taken after expansion
    else:
        f = struct.unpack("<d", struct.pack("<Q", bits))[0]
        suffix = "L" if ctype == "long double" else ""
        inf = f"(({ctype})INFINITY)"
    if f != f:
        raise ValueError("NaN has no literal")
    if f == float("inf"):
        return inf
    if f == float("-inf"):
        return f"(-{inf})"
    if f == 0.0:
        return f"(({ctype})-0.0)" if bits >> (31 if ctype == "float" else 63) else f"(({ctype})0.0)"
    return f"(({ctype}){f.hex()}{suffix})"


def c_float(v, ctype, rng):
    if v == NAN_MARK:
        nan = rng.choice(["NAN", "(-NAN)", '__builtin_nanf("0x123")'])
        return f"(({ctype}){nan})"
    return c_float_bits(v, ctype)


def c_ptr(v, ctype):
    if isinstance(v, str):
        return f"(({ctype})(uintptr_t){v})"
    return f"(({ctype})(uintptr_t)0x{v:x}ULL)"


def c_bytes(b, indent="\t\t"):
    """A C string literal (several adjacent ones when long) with exactly the bytes b."""
    if not b:
        return '""'
    parts, cur = [], ""
    for i, c in enumerate(b):
        if c in (0x22, 0x5c):
            cur += "\\" + chr(c)
        elif 0x20 <= c < 0x7f and c != 0x3f:
            cur += chr(c)
        else:
            cur += f"\\{c:03o}"
        if len(cur) >= 72 and i + 1 < len(b):
            parts.append(f'"{cur}"')
            cur = ""
    parts.append(f'"{cur}"')
    return f"\n{indent}".join(parts)


UTF8 = ["Jürgen M", "épsilon ünïcode", "日本語のテキスト", "emoji 🎉🚀", "Ω≈ç√∫˜µ≤≥÷",
        "a\u0301 combining", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "Ελληνικά", "кириллица"]
ASCII = [b"alpha", b"beta", b"x", b"hello, world", b"tab\there", b"nl\nline", b'quote"back\\slash',
         b"\x01\x02\x7f ctl", b" lead and trail ", b"%s %d %n", b"?? trigraph ??="]
INVALID = [b"\xff\xfe bad", b"trunc \xc3", b"\x80 lone continuation", b"ok then \xf8\x88\x80\x80"]


def str_value(rng, strlen, long=False):
    """The bytes of one string: empty, short, UTF-8, invalid UTF-8, or long around strlen
    (long: longer than strlen)."""
    r = 100 if long else rng.below(100)
    if r < 10:
        return b""
    if r < 35:
        return rng.choice(ASCII)
    if r < 55:
        return rng.choice(UTF8).encode()
    if r < 62:
        return rng.choice(INVALID)
    # long: around the limit and far beyond it (the record holds at most 1024 bytes per string)
    if long:
        n = rng.choice([strlen + 1, strlen + 2, 2 * strlen + 3, max(strlen + 1, 1100), 2000])
    else:
        n = rng.choice([strlen - 1, strlen, strlen + 1, strlen + 2, 2 * strlen + 3, strlen + 100,
                        1100, 1500, 3])
    n = max(0, min(n, 2000))
    unit = rng.choice([b"abcdefghijklmnopqrstuvwxyz0123456789", "é日x".encode(), b"-=#"])
    return (unit * (n // len(unit) + 1))[:n]


# ---- the program model -------------------------------------------------------------------------

class Arg:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def info(self):
        def plain(v):
            if isinstance(v, bytes):
                return v.hex()
            return [plain(x) for x in v] if isinstance(v, list) else v
        return {k: plain(v) for k, v in self.__dict__.items() if not k.startswith("_")}


class Program:
    """A generated program: source text, how to build and record it, what it declares."""

    def __init__(self, seed):
        self.seed = seed
        rng = self.rng = Rng(seed)
        # every compiler x level in each run of six seeds, whatever the count
        self.cc = COMPILERS[seed % 2]
        self.opt = OPTS[(seed // 2) % 3]
        self.flags = []
        if seed % 7 == 3:
            self.flags.append("-no-pie")
        if seed % 11 == 5:
            self.flags.append("-funsigned-char")
        # the header's knob, TT_PROBE_ARG_CONSTRAINT: clang with gcc's "nor" (the fallback the
        # header recommends) gives memory operands too. Not "g" or "rm": they turn constants
        # and literals into local labels ($.LC0, .LCPI0_1(%rip)) that no tracer can resolve,
        # and such sites are skipped by design (test_record covers that)
        r = rng.below(100)
        if self.cc == "clang" and r < 30:
            self.flags.append('-DTT_PROBE_ARG_CONSTRAINT="nor"')
        self.strlen_opt = rng.choice([None, None, None, 1, 17, 64, 100, 255, 1024])
        self.strlen = self.strlen_opt or 256
        self.threads = rng.choice([1, 2, 2, 3, 4, 4, 8])
        self.cold = []        # strings in eg_cold: (field, bytes, loc)
        self.fmaps = []       # strings in the mapped files: (index, bytes, loc)
        self.globals = []     # file-scope declarations
        self.setup = []       # statements of eg_setup(), before the threads start
        self.fields = []      # members of struct eg_obj
        self.field_init = []  # statements of eg_setup() that fill eg_obj
        self.tls = []         # statements each thread runs first (thread-local values)
        self.probes = []
        nprobes = rng.between(8, 14)
        for k in range(nprobes):
            self.probes.append(self._probe(k))
        self.source = self._render()

    # -- arguments

    def _name(self, k, j, what):
        return f"{what}{k}_{j}"

    def _num_arg(self, k, j, like=None):
        """A number argument; like: an argument of another site of the probe, whose C type
        this one keeps."""
        rng = self.rng
        r = rng.below(100)
        if like:
            ctype, kind, cls = like.ctype, like.kind, like.cls
        elif r < 55:
            ctype, kind = rng.choice(INT_TYPES)
            if ctype == "char" and "-funsigned-char" in self.flags:
                kind = "u8"
            cls = "int"
        elif r < 75:
            ctype, kind = rng.choice(FLOAT_TYPES)
            cls = "float"
        else:
            ctype, kind, cls = rng.choice(PTR_TYPES), "ptr", "ptr"
        form = rng.choice(NUM_FORMS)
        if ctype == "_Bool" and form == "expr":
            form = "arr"
        nvals = 1 if form in ("lit", "const_local", "param", "global", "static_global", "field",
                              "deref", "tls", "global_cold") else rng.between(2, 5)
        vals = []
        for _ in range(nvals):
            if cls == "int":
                vals.append(int_value(rng, kind, ctype))
            elif cls == "float":
                vals.append(float_value(rng, kind))
            else:
                vals.append(ptr_value(rng))
        return Arg(idx=j, cls=cls, ctype=ctype, kind=kind, form=form, vals=vals, loc=None)

    def _const(self, a, v):
        if a.cls == "int":
            if a.ctype == "enum eg_signed":
                return c_int(v, "int", "s32").replace("((int)", "((enum eg_signed)", 1)
            return c_int(v, a.ctype, a.kind)
        if a.cls == "float":
            return c_float(v, a.ctype, self.rng)
        return c_ptr(v, a.ctype)

    def _str_arg(self, k, j, long=False):
        rng = self.rng
        r = rng.below(100)
        if r < 14:
            loc = "lit"
        elif r < 26:
            loc = rng.choice(["rodata_cold", "rodata_cold", "rodata_touched", "rodata_straddle"])
        elif r < 32:
            loc = "data_cold"
        elif r < 46:
            loc = rng.choice(["fmap_cold", "fmap_cold", "fmap_touched", "fmap_straddle",
                              "fmap_end", "fmap_uncached"])
        elif r < 78:
            loc = rng.choice(["heap", "heap", "heap_big", "heap_edge", "stack", "stack", "tls"])
        else:
            loc = rng.choice(["null", "null", "unmapped", "prot_none", "kernel"])
        if long and loc in FAULT_LOCS:  # the largest record has no room for a fault
            loc = "lit"
        ctype = "char *" if loc in DYNAMIC_LOCS or loc == "data_cold" else rng.choice(STR_TYPES)
        forms = STR_FORMS
        if loc in DYNAMIC_LOCS:
            forms = ["direct", "local_escaped"]  # heap: direct is the global pointer itself
        elif loc == "fmap_uncached":  # a copy per thread: the pointer depends on t
            forms = ["direct", "param", "local_escaped"]
        elif loc in FMAP_LOCS or loc in ("unmapped", "prot_none"):
            forms = [f for f in STR_FORMS if f != "gptr_cold"]  # set at run time: touched
        form = rng.choice(forms)
        if loc in DYNAMIC_LOCS:
            vals = [str_value(rng, self.strlen, long)]
        elif form == "table":
            vals = [str_value(rng, self.strlen, long) for _ in range(rng.between(2, 4))]
        else:
            vals = [None if loc in FAULT_LOCS else str_value(rng, self.strlen, long)]
        if loc in ("rodata_straddle", "fmap_straddle"):
            vals = [v if len(v) >= 2 else b"straddling" for v in vals]
        return Arg(idx=j, cls="str", ctype=ctype, kind="str", form=form, vals=vals, loc=loc,
                   pretouch=(loc == "lit" and rng.chance(0.4)))

    def _probe(self, k):
        """Probe pK: one site, sometimes two (a second function with the same C types but other
        forms, values and string locations), each fired a number of times per thread."""
        rng = self.rng
        argc = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 12])
        if (self.strlen == 1024 and k == 0) or rng.chance(0.08):
            # the largest record: twelve strings beyond the limit
            args = [self._str_arg(k, j, long=True) for j in range(12)]
        else:
            args = [self._str_arg(k, j) if rng.chance(0.3) else self._num_arg(k, j)
                    for j in range(argc)]
        sites = [args]
        if rng.chance(0.2):
            sites.append([self._str_arg(f"{k}b", a.idx) if a.cls == "str" else
                          self._num_arg(f"{k}b", a.idx, like=a) for a in args])
        never = rng.chance(0.07)
        p = {"k": k, "name": f"p{k}", "sites": []}
        for n, sargs in enumerate(sites):
            site = {"k": k, "n": n, "label": f"{k}{'ab'[n] if len(sites) > 1 else ''}",
                    "args": sargs, "count": 0 if never else rng.between(1, 5),
                    "inline": rng.choice(["", "", "__attribute__((noinline))",
                                          "__attribute__((always_inline)) inline"])}
            self._lower(site)
            p["sites"].append(site)
        p["args"] = args  # the kinds, shared by the sites
        p["count"] = sum(s["count"] for s in p["sites"])
        return p

    # -- lowering an argument into declarations, setup code, the expression and the log

    def _lower(self, p):
        p["params"], p["callargs"], p["locals"], p["exprs"] = [], [], [], []
        for a in p["args"]:
            if a.cls == "str":
                self._lower_str(p, a)
            else:
                self._lower_num(p, a)
            p["exprs"].append(a.expr)

    def _idx(self, n):
        return f"(unsigned)(i + t) % {n}u"

    def _lower_num(self, p, a):
        k, j = p["label"], a.idx
        T = a.ctype
        v0 = a.vals[0]
        lit = self._const(a, v0)
        if a.form == "lit":
            a.expr = lit
        elif a.form == "const_local":
            n = self._name(k, j, "c")
            p["locals"].append(f"{T} const {n} = {lit};")
            a.expr = n
        elif a.form == "param":
            n = self._name(k, j, "p")
            p["params"].append(f"{T} {n}")
            p["callargs"].append(lit)
            a.expr = n
        elif a.form in ("arr", "arr_escaped", "volatile_local", "expr"):
            n = self._name(k, j, "vt")
            init = ", ".join(self._const(a, v) for v in a.vals)
            # not static, not const: the compiler cannot fold the values
            self.globals.append(f"{T} {n}[{len(a.vals)}] = {{{init}}};")
            elem = f"{n}[{self._idx(len(a.vals))}]"
            if a.form == "arr":
                a.expr = elem
            elif a.form == "arr_escaped":
                ln = self._name(k, j, "l")
                p["locals"].append(f"{T} {ln} = {elem};")
                p["locals"].append(f"eg_escape(&{ln});")
                a.expr = ln
            elif a.form == "volatile_local":
                ln = self._name(k, j, "v")
                p["locals"].append(f"{T} volatile {ln} = {elem};")
                a.expr = ln
            else:
                a.expr = self._derived(a, elem)
        elif a.form == "arr_const":
            n = self._name(k, j, "vt")
            init = ", ".join(self._const(a, v) for v in a.vals)
            self.globals.append(f"{T} {n}[{len(a.vals)}] = {{{init}}};")
            a.at = self.rng.below(len(a.vals))  # the value fired: a.vals[a.at]
            a.expr = f"{n}[{a.at}]"
        elif a.form == "global_cold":
            n = self._name(k, j, "gc")
            self.globals.append(f"struct {{ {T} v; char pad[{WINDOW} - sizeof({T})]; }} {n} "
                                f"__attribute__((aligned({WINDOW}))) = {{ .v = {lit} }};")
            a.expr = f"{n}.v"
        elif a.form == "arr_cold":
            n = self._name(k, j, "vc")
            init = ", ".join(self._const(a, v) for v in a.vals)
            self.globals.append(f"struct {{ {T} v[{len(a.vals)}]; char pad[{WINDOW} - "
                                f"{len(a.vals)} * sizeof({T})]; }} {n} "
                                f"__attribute__((aligned({WINDOW}))) = {{ .v = {{{init}}} }};")
            a.expr = f"{n}.v[{self._idx(len(a.vals))}]"
        elif a.form == "global_straddle":
            # packed: the value starts 1..size-1 bytes before a window boundary; setup touches
            # the first window only
            n = self._name(k, j, "gs")
            size = self._sizeof(a)
            cut = self.rng.between(1, size - 1) if size > 1 else 0
            self.globals.append(f"struct __attribute__((packed)) {{ char pad[{WINDOW - cut}]; "
                                f"{T} v; char tail[{WINDOW - size + cut}]; }} {n} "
                                f"__attribute__((aligned({WINDOW}))) = {{ .v = {lit} }};")
            self.setup.append(f"eg_touch({n}.pad, 1); /* the first window only */")
            a.expr = f"{n}.v"
        elif a.form == "global":
            n = self._name(k, j, "g")
            self.globals.append(f"{T} {n} = {lit};")
            a.expr = n
        elif a.form == "static_global":
            n = self._name(k, j, "sg")
            self.globals.append(f"static {T} {n};")
            self.setup.append(f"{n} = {lit};")
            a.expr = n
        elif a.form == "field":
            n = self._name(k, j, "f")
            self.fields.append(f"{T} {n};")
            self.field_init.append(f"eg_obj.{n} = {lit};")
            a.expr = f"eg_objp->{n}"
        elif a.form == "deref":
            n = self._name(k, j, "d")
            self.globals.append(f"{T} {n} = {lit};")
            self.globals.append(f"{T} *{n}p = &{n};")
            a.expr = f"*{n}p"
        elif a.form == "tls":
            n = self._name(k, j, "tl")
            if a.cls == "ptr" and isinstance(v0, str):  # an address is no TLS initialiser
                self.globals.append(f"__thread {T} {n};")
                self.tls.append(f"{n} = {lit};")
            else:
                self.globals.append(f"__thread {T} {n} = {lit};")
            a.expr = n
        else:
            raise AssertionError(a.form)
        a.log = self._num_log(a)

    @staticmethod
    def _sizeof(a):
        if a.ctype == "long double":
            return 16
        if a.cls in ("ptr",) or a.kind in ("f64",):
            return 8
        return int(a.kind[1:]) // 8

    def _derived(self, a, elem):
        """An expression computed from elem whose result has the argument's type (a register
        that may hold more bits than the argument's size)."""
        T = a.ctype
        if a.cls == "int":
            return f"({T})({elem} ^ ({T})t)"
        if a.cls == "float":
            return f"({T})({elem} * ({T})1)"
        return f"({T})((uintptr_t){elem} + (uintptr_t)(t - t))"  # arithmetic, same value

    def _num_log(self, a):
        e = a.expr
        if a.cls == "int":
            return f"(uint64_t)(int64_t)({e})" if a.kind[0] == "s" else f"(uint64_t)({e})"
        if a.cls == "float":
            if a.ctype == "float":
                return f"eg_f32bits({e})"
            return f"eg_f64bits((double)({e}))"
        return f"(uint64_t)(uintptr_t)({e})"

    def _str_ptr(self, p, a, v, slot):
        """An expression (constant or set up before the threads start) pointing at v, stored
        where a.loc says."""
        k, j = p["label"], a.idx
        loc = a.loc
        if loc == "lit":
            # now and then non-ASCII text written as such in the source, as people write it
            if self.rng.chance(0.3) and not v.isascii() and len(v) < 80:
                try:
                    raw = v.decode()
                except UnicodeDecodeError:
                    raw = None
                if raw and all(c >= " " and c != "\x7f" for c in raw):
                    return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'
            return c_bytes(v)
        if loc in COLD_LOCS:
            f = f"c{len(self.cold)}"
            self.cold.append((f, v, loc))
            return f"eg_cold.{f}"
        if loc == "data_cold":
            n = self._name(k, j, f"dat{slot}_")
            # a window of its own, so that reading other .data never maps its page
            self.globals.append(f"struct {{ char s[{len(v) + 1}]; char pad[{WINDOW - len(v) - 1}]; "
                                f"}} {n} __attribute__((aligned({WINDOW}))) = "
                                f"{{ .s = {c_bytes(v)} }};")
            return f"{n}.s"
        if loc in FMAP_LOCS:
            self.fmaps.append((len(self.fmaps), v, loc))
            return f"EG_FMAP_STR_{len(self.fmaps) - 1}"
        if loc == "null":
            return "(char *)0"
        if loc == "unmapped":
            return f"(eg_unmapped + {self.rng.below(16 * 4096)})"
        if loc == "prot_none":
            return f"(eg_prot_none + {self.rng.below(4000)})"
        if loc == "kernel":
            return "((char *)(uintptr_t)0xffffffff81000000ULL)"
        raise AssertionError(loc)

    def _lower_str(self, p, a):
        k, j = p["label"], a.idx
        T = a.ctype
        a.runtime = a.loc in FMAP_LOCS or a.loc in ("unmapped", "prot_none")
        if a.loc in DYNAMIC_LOCS:
            self._lower_dynamic(p, a)
            return
        ptrs = [self._str_ptr(p, a, v, s) for s, v in enumerate(a.vals)]
        if a.form == "table":
            n = self._name(k, j, "st")
            if a.runtime:
                self.globals.append(f"{T} {n}[{len(ptrs)}];")
                for s, e in enumerate(ptrs):
                    self.setup.append(f"{n}[{s}] = ({T}){e};")
            else:
                init = ", ".join(f"({T}){e}" for e in ptrs)
                self.globals.append(f"{T} const {n}[{len(ptrs)}] = {{{init}}};")
            a.expr = f"{n}[{self._idx(len(ptrs))}]"
            a.log = a.expr
            return
        e = f"({T}){ptrs[0]}"
        if a.form == "direct":
            a.expr = e
        elif a.form == "gptr":
            n = self._name(k, j, "gp")
            if a.runtime:
                self.globals.append(f"{T} {n};")
                self.setup.append(f"{n} = {e};")
            else:
                self.globals.append(f"{T} {n} = {e};")
            a.expr = n
        elif a.form == "gptr_cold":
            n = self._name(k, j, "gpc")
            self.globals.append(f"struct {{ {T} p; char pad[{WINDOW} - sizeof({T})]; }} {n} "
                                f"__attribute__((aligned({WINDOW}))) = {{ .p = {e} }};")
            a.expr = f"{n}.p"
        elif a.form == "field":
            n = self._name(k, j, "fs")
            self.fields.append(f"{T} {n};")
            self.field_init.append(f"eg_obj.{n} = {e};")
            a.expr = f"eg_objp->{n}"
        elif a.form == "param":
            n = self._name(k, j, "ps")
            p["params"].append(f"{T} {n}")
            p["callargs"].append(e)
            a.expr = n
        elif a.form == "local_escaped":
            n = self._name(k, j, "ls")
            p["locals"].append(f"{T} {n} = {e};")
            p["locals"].append(f"eg_escape(&{n});")
            a.expr = n
        else:
            raise AssertionError(a.form)
        a.log = a.expr

    def _lower_dynamic(self, p, a):
        """A buffer the program rewrites before each hit: pattern a.vals[0], length varied by
        -1/0/+1 and the first byte by (t, i) (see eg_fill)."""
        k, j = p["label"], a.idx
        pat = self._name(k, j, "pat")
        v = a.vals[0]
        cap = len(v) + 2
        self.globals.append(f"char {pat}[] = {c_bytes(v)};")  # .data: not .rodata
        fill = f"eg_fill(%s, {pat}, sizeof({pat}) - 1, t, i);"
        if a.loc == "stack":
            buf = self._name(k, j, "sb")
            p["locals"].append(f"char {buf}[{cap}];")
            p["locals"].append(fill % buf)
            ptr = buf
        elif a.loc == "tls":
            buf = self._name(k, j, "tb")
            self.globals.append(f"static __thread char {buf}[{cap}];")
            p["locals"].append(fill % buf)
            ptr = buf
        else:
            buf = self._name(k, j, "hb")
            self.globals.append(f"char *{buf}[EG_THREADS]; /* one buffer per thread */")
            if a.loc == "heap":
                alloc = f"eg_malloc({cap})"
            elif a.loc == "heap_edge":
                alloc = f"eg_edge({cap})"
            else:
                alloc = f"eg_malloc({256 * 1024}) + {self.rng.between(0, 256 * 1024 - cap - 1)}"
            self.setup.append(f"for (int t = 0; t < EG_THREADS; t++) {buf}[t] = {alloc};")
            p["locals"].append(fill % f"{buf}[t]")
            ptr = f"{buf}[t]"
        if a.form == "local_escaped":
            n = self._name(k, j, "lp")
            p["locals"].append(f"char *{n} = {ptr};")
            p["locals"].append(f"eg_escape(&{n});")
            a.expr = n
        else:
            a.expr = ptr
        a.log = a.expr

    # -- rendering

    def _cold_struct(self):
        """The cold strings, each placed in a 64 KiB window of its own at a chosen offset."""
        rng = self.rng
        members, inits, off = [], [], 0
        placed = []
        for f, v, loc in self.cold:
            size = len(v) + 1
            base = off
            if loc == "rodata_straddle":
                # start 1..size-1 bytes before a window boundary, in a window of its own
                cut = rng.between(1, size - 1) if size > 1 else 1
                start = base + WINDOW - cut
                end_window = base + 2 * WINDOW
            else:
                where = rng.choice(["start", "random", "page_cross"])
                if where == "start":
                    start = base
                elif where == "page_cross" and size > 1:
                    start = base + 4096 * rng.between(1, 14) - rng.between(1, size - 1)
                else:
                    start = base + rng.between(0, WINDOW - size - 1)
                start = max(base, min(start, base + WINDOW - size))
                end_window = base + WINDOW
            if start > off:
                members.append(f"char pad_{f}[{start - off}];")
            members.append(f"char {f}[{size}];")
            inits.append(f".{f} = {c_bytes(v)},")
            placed.append((f, start, v, loc))
            off = start + size
            if end_window > off:
                members.append(f"char tail_{f}[{end_window - off}];")
                off = end_window
        self.cold_placed = placed
        return members, inits

    def _fmap_layout(self):
        """The mapped files: file 0 holds the cached strings, each in a window of its own (two
        for straddling ones); file 1 the uncached ones; each fmap_end string has a file of its
        own that it ends. Returns [(file index, uncached, size, [(string, offset, bytes, loc)])]."""
        rng = self.rng
        files = {0: (False, []), 1: (True, [])}
        sizes = {0: 0, 1: 0}
        for i, v, loc in self.fmaps:
            size = len(v) + 1
            if loc == "fmap_end":
                f = len(files)
                sizes[f] = (size + 4095) // 4096 * 4096
                files[f] = (False, [(i, sizes[f] - size, v, loc)])
                continue
            f = 1 if loc == "fmap_uncached" else 0
            off = sizes[f]
            if loc == "fmap_uncached":
                # UNCACHED_PAGES copies, a page apart: hit i reads copy i % UNCACHED_PAGES
                files[f][1].append((i, off + rng.between(0, 4096 - 1), v, loc))
                sizes[f] += WINDOW
            elif loc == "fmap_straddle":
                cut = rng.between(1, size - 1)
                files[f][1].append((i, off + WINDOW - cut, v, loc))
                sizes[f] += 2 * WINDOW
            else:
                files[f][1].append((i, off + rng.between(0, WINDOW - size - 1), v, loc))
                sizes[f] += WINDOW
        return [(f, unc, sizes[f], strs) for f, (unc, strs) in sorted(files.items()) if strs]

    def _render(self):
        L = []
        w = L.append
        maxev = sum(p["count"] for p in self.probes)
        strlen = f" --strlen {self.strlen_opt}" if self.strlen_opt else ""
        w(f"/* Generated by tests/e2e/exactgen.py from seed {self.seed}: do not edit, regenerate.")
        w(f" *   {self.compile_cmd('PROG.c', 'prog')}")
        w(f" *   tracetape record -o prog.tape{strlen} 'usdt:{PROVIDER}:*' -- ./prog report.txt")
        w(" * The program writes what it fired into report.txt (format: tests/e2e/exactgen.py). */")
        w("#define _GNU_SOURCE")
        for h in ["fcntl.h", "float.h", "inttypes.h", "math.h", "pthread.h", "stdint.h", "stdio.h",
                  "stdlib.h", "string.h", "sys/mman.h", "sys/syscall.h", "sys/types.h", "unistd.h"]:
            w(f"#include <{h}>")
        w("#include <tracetape/probe.h>")
        w("")
        w("#define EG_UNUSED __attribute__((unused))")
        w("#define EG_INLINE EG_UNUSED __attribute__((always_inline)) inline")
        w(f"#define EG_THREADS {self.threads}")
        w(f"#define EG_MAXEV {max(maxev, 1)}")
        w("")
        w("enum eg_signed { EG_SIGNED_MIN = -2147483647 - 1, EG_SIGNED_MAX = 2147483647 };")
        w("typedef void (*eg_fn)(void);")
        w("struct eg_ev { int probe, site, argc; uint64_t v[12]; const char *s[12]; };")
        w("static struct eg_ev eg_log[EG_THREADS][EG_MAXEV];")
        w("static int eg_nev[EG_THREADS];")
        w("static pid_t eg_tid[EG_THREADS];")
        w("static volatile int eg_never EG_UNUSED; /* 0: the probes behind it never fire */")
        w("int eg_anchor;")
        w("static char *eg_unmapped EG_UNUSED, *eg_prot_none EG_UNUSED;")
        w("")
        w("#define EG_BARRIER() __asm__ __volatile__(\"\" ::: \"memory\")")
        w("/* The compiler must assume *p is read and written here: p's object stays in memory. */")
        w("/* Inline, like the log's helpers: a fire function without strings to copy calls")
        w(" * nothing, and a leaf may keep its locals in the red zone below %rsp. */")
        w("static EG_INLINE void eg_escape(void *p)")
        w("{")
        w("\t__asm__ __volatile__(\"\" : : \"r\"(p) : \"memory\");")
        w("}")
        w("static EG_INLINE uint64_t eg_f32bits(float f)")
        w("{")
        w("\tuint32_t u;")
        w("")
        w("\tmemcpy(&u, &f, 4);")
        w("\treturn u;")
        w("}")
        w("static EG_INLINE uint64_t eg_f64bits(double d)")
        w("{")
        w("\tuint64_t u;")
        w("")
        w("\tmemcpy(&u, &d, 8);")
        w("\treturn u;")
        w("}")
        w("static EG_UNUSED char *eg_malloc(size_t n)")
        w("{")
        w("\tchar *p = malloc(n);")
        w("")
        w("\tif (!p)")
        w("\t\tabort();")
        w("\treturn p;")
        w("}")
        w("")
        w("/* n bytes that end where a PROT_NONE page begins. */")
        w("static EG_UNUSED char *eg_edge(size_t n)")
        w("{")
        w("\tlong pg = sysconf(_SC_PAGESIZE);")
        w("\tchar *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,")
        w("\t\t       -1, 0);")
        w("")
        w("\tif (m == MAP_FAILED || mprotect(m + pg, pg, PROT_NONE))")
        w("\t\tabort();")
        w("\treturn m + pg - n;")
        w("}")
        w("")
        w("/* pat (n bytes), shortened or lengthened by one, its first byte varied by (t, i). */")
        w("static EG_UNUSED void eg_fill(char *dst, const char *pat, size_t n, int t, int i)")
        w("{")
        w("\tint d = (i + t) % 3 - 1;")
        w("\tsize_t len = d < 0 && n > 0 ? n - 1 : d > 0 ? n + 1 : n;")
        w("")
        w("\tmemcpy(dst, pat, n < len ? n : len);")
        w("\tif (len > n)")
        w("\t\tdst[n] = 'z';")
        w("\tif (len > 0)")
        w("\t\tdst[0] = (char)('a' + (i + 3 * t) % 26);")
        w("\tdst[len] = 0;")
        w("}")
        w("")
        w("static EG_INLINE struct eg_ev *eg_next(int t, int probe, int site, int argc)")
        w("{")
        w("\tstruct eg_ev *e;")
        w("")
        w("\tif (eg_nev[t] >= EG_MAXEV)")
        w("\t\t__builtin_trap(); /* no call: a fire function may be a leaf */")
        w("\te = &eg_log[t][eg_nev[t]++];")
        w("\te->probe = probe;")
        w("\te->site = site;")
        w("\te->argc = argc;")
        w("\treturn e;")
        w("}")
        w("")
        # the cold strings
        members, inits = self._cold_struct()
        if members:
            w("/* Cold strings: each in a 64 KiB window of .rodata of its own. */")
            w("static const struct {")
            for m in members:
                w(f"\t{m}")
            w(f"}} eg_cold __attribute__((aligned({WINDOW}))) = {{")
            for i in inits:
                w(f"\t{i}")
            w("};")
            w("")
        files = self.fmap_files = self._fmap_layout()
        if files:
            w("/* The mapped files: where each string is, and its bytes (in .data, so that writing")
            w(" * the files reads nothing in .rodata). */")
            for f, uncached, size, strs in files:
                # the uncached file: one copy per thread, so that every thread's first hit
                # has to wait for the disk (t is the thread of the function using it)
                w(f"static const char *eg_fmap{f}[EG_THREADS];")
                w(f"static char eg_fmap_path{f}[] = \"exactgen{f}-0.map\";")
                for i, off, v, loc in strs:
                    if uncached:
                        w(f"#define EG_FMAP_STR_{i} (eg_fmap{f}[t] + {off} + "
                          f"(i % {UNCACHED_PAGES}) * 4096) /* {loc} */")
                    else:
                        w(f"#define EG_FMAP_STR_{i} (eg_fmap{f}[0] + {off}) /* {loc} */")
                    w(f"static char eg_fmap_src{i}[] = {c_bytes(v)};")
            w("")
            w("/* Write size bytes of img into a new file, drop its pages from the page cache if")
            w(" * uncached, and map it read-only at an address aligned to the fault-around window")
            w(" * (so that the file's windows are the kernel's), a PROT_NONE page after it. */")
            w("static const char *eg_map_file(const char *path, const char *img, size_t size,")
            w("\t\t\t       int uncached, int flags)")
            w("{")
            w("\tint fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);")
            w("\tchar *res, *at, *p;")
            w("")
            w("\tif (fd < 0 || write(fd, img, size) != (ssize_t)size)")
            w("\t\tabort();")
            w("\tif (uncached && (fdatasync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)))")
            w("\t\tabort();")
            w("\t/* no read-ahead either: each page is read when it is first touched */")
            w("\tif (uncached && posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM))")
            w("\t\tabort();")
            w(f"\tres = mmap(NULL, size + {2 * WINDOW}, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,")
            w("\t\t   -1, 0);")
            w("\tif (res == MAP_FAILED)")
            w("\t\tabort();")
            w(f"\tat = (char *)(((uintptr_t)res + {WINDOW - 1}) & ~(uintptr_t){WINDOW - 1});")
            w("\tp = mmap(at, size, PROT_READ, flags | MAP_FIXED, fd, 0);")
            w("\tif (p == MAP_FAILED)")
            w("\t\tabort();")
            w("\tif (uncached && madvise(p, size, MADV_RANDOM))")
            w("\t\tabort();")
            w("\tclose(fd);")
            w("\treturn p;")
            w("}")
            w("")
        if self.fields:
            w("struct eg_obj {")
            for f in self.fields:
                w(f"\t{f}")
            w("};")
            w("static struct eg_obj eg_obj;")
            w("static struct eg_obj *volatile eg_objp = &eg_obj;")
        else:
            w("struct eg_obj { int unused; };")
        w("")
        for g in self.globals:
            w(g)
        w("")
        # the probe functions
        for p in (site for probe in self.probes for site in probe["sites"]):
            params = "".join(f", {x}" for x in p["params"])
            attr = p["inline"] + " " if p["inline"] else ""
            w(f"static {attr}void fire{p['label']}(int t, int i{params})")
            w("{")
            w("\tstruct eg_ev *e;")
            for loc in p["locals"]:
                w(f"\t{loc}")
            w("")
            exprs = ",\n\t\t ".join(x.replace("\n", "\n\t\t ") for x in p["exprs"])
            w(f"\tTT_PROBE({PROVIDER}, p{p['k']}, {exprs});")
            w("\tEG_BARRIER();")
            w(f"\te = eg_next(t, {p['k']}, {p['n']}, {len(p['args'])});")
            for a in p["args"]:
                if a.cls != "str":
                    w(f"\te->v[{a.idx}] = {a.log};")
                elif a.loc in FAULT_LOCS:
                    w(f"\te->v[{a.idx}] = 1; /* fault expected */")
                elif a.loc in DYNAMIC_LOCS:
                    w(f"\te->s[{a.idx}] = strdup({a.log});")
                else:
                    w(f"\te->s[{a.idx}] = {a.log}; /* read after the last hit */")
            w("\t(void)t;")
            w("\t(void)i;")
            w("}")
            w("")
        # the run of one thread
        w("static void eg_run(int t)")
        w("{")
        w("\teg_tid[t] = (pid_t)syscall(SYS_gettid);")
        for stmt in self.tls:
            w(f"\t{stmt}")
        for p in (site for probe in self.probes for site in probe["sites"]):
            args = "".join(", " + c.replace("\n", " ") for c in p["callargs"])
            call = f"fire{p['label']}(t, i{args})"
            if p["count"] == 0:
                w("\tif (eg_never)")
                w("\t\tfor (int i = 0; i < 3; i++)")
                w(f"\t\t\t{call};")
            else:
                w(f"\tfor (int i = 0; i < {p['count']}; i++)")
                w(f"\t\t{call};")
        w("}")
        w("")
        w("static void *eg_thread(void *arg)")
        w("{")
        w("\teg_run((int)(intptr_t)arg);")
        w("\treturn NULL;")
        w("}")
        w("")
        # setup
        w("static EG_UNUSED void eg_touch(const volatile char *s, long n)")
        w("{")
        w("\tfor (long k = 0; k < n; k++)")
        w("\t\t(void)s[k];")
        w("}")
        w("")
        w("static void eg_setup(void)")
        w("{")
        w("\tlong pg = sysconf(_SC_PAGESIZE);")
        w("\tchar *m;")
        w("")
        w("\tm = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);")
        w("\tif (m == MAP_FAILED)")
        w("\t\tabort();")
        w("\teg_prot_none = m;")
        for f, uncached, size, strs in files:
            flags = "MAP_SHARED" if self.rng.chance(0.5) else "MAP_PRIVATE"
            w("\t{")
            w(f"\t\tchar *img = calloc({size}, 1);")
            w("")
            w("\t\tif (!img)")
            w("\t\t\tabort();")
            for i, off, v, loc in strs:
                if uncached:
                    w(f"\t\tfor (int m = 0; m < {UNCACHED_PAGES}; m++)")
                    w(f"\t\t\tstrcpy(img + {off} + m * 4096, eg_fmap_src{i});")
                else:
                    w(f"\t\tstrcpy(img + {off}, eg_fmap_src{i});")
            copies = "EG_THREADS" if uncached else "1"
            at = len(f"exactgen{f}-")
            w(f"\t\tfor (int t = 0; t < {copies}; t++) {{")
            w(f"\t\t\teg_fmap_path{f}[{at}] = (char)('0' + t);")
            w(f"\t\t\teg_fmap{f}[t] = eg_map_file(eg_fmap_path{f}, img, {size}, "
              f"{int(uncached)}, {flags});")
            w("\t\t}")
            w("\t\tfree(img);")
            w("\t}")
            for i, off, v, loc in strs:
                if loc == "fmap_touched":
                    w(f"\teg_touch(EG_FMAP_STR_{i}, {len(v) + 1});")
                elif loc == "fmap_straddle":
                    w(f"\teg_touch(EG_FMAP_STR_{i}, 1); /* its first window only */")
        for f, start, v, loc in self.cold_placed:
            if loc == "rodata_touched":
                w(f"\teg_touch(eg_cold.{f}, {len(v) + 1});")
            elif loc == "rodata_straddle":
                w(f"\teg_touch(eg_cold.{f}, 1); /* its first window only */")
        for p in self.probes:
            for a in (a for st in p["sites"] for a in st["args"]):
                if a.cls == "str" and a.loc == "lit" and a.pretouch:
                    for v in a.vals:
                        w(f"\teg_touch({c_bytes(v)}, {len(v) + 1});")
        for s in self.setup:
            w(f"\t{s}")
        for s in self.field_init:
            w(f"\t{s}")
        w("\t/* A hole of 16 pages between two guard pages: no later mapping of this program is")
        w("\t * small enough to fill it (main checks at the end that it is still a hole). */")
        w("\tm = mmap(NULL, 18 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);")
        w("\tif (m == MAP_FAILED)")
        w("\t\tabort();")
        w("\tmunmap(m + pg, 16 * pg);")
        w("\teg_unmapped = m + pg;")
        w("}")
        w("")
        # the report
        w("static void eg_hex(FILE *f, const char *s)")
        w("{")
        w("\tfor (; *s; s++)")
        w("\t\tfprintf(f, \"%02x\", (unsigned char)*s);")
        w("}")
        w("")
        w("int main(int argc, char **argv)")
        w("{")
        w("\tpthread_t th[EG_THREADS];")
        w("\tlong total = 0;")
        w("\tFILE *f;")
        w("")
        w("\tif (argc != 2) {")
        w("\t\tfputs(\"usage: prog REPORT\\n\", stderr);")
        w("\t\treturn 2;")
        w("\t}")
        w("\teg_setup();")
        w("\tfor (int t = 1; t < EG_THREADS; t++)")
        w("\t\tif (pthread_create(&th[t], NULL, eg_thread, (void *)(intptr_t)t))")
        w("\t\t\tabort();")
        w("\teg_run(0);")
        w("\tfor (int t = 1; t < EG_THREADS; t++)")
        w("\t\tpthread_join(th[t], NULL);")
        w("\tfor (int pg = 0; pg < 16; pg++) {")
        w("\t\tif (msync(eg_unmapped + pg * sysconf(_SC_PAGESIZE), 1, MS_ASYNC) == 0) {")
        w("\t\t\tfputs(\"exactgen: the unmapped hole was mapped again\\n\", stderr);")
        w("\t\t\treturn 3;")
        w("\t\t}")
        w("\t}")
        w("\tf = fopen(argv[1], \"w\");")
        w("\tif (!f)")
        w("\t\treturn 1;")
        w(f"\tfprintf(f, \"seed {self.seed}\\n\");")
        w("\tfor (int t = 0; t < EG_THREADS; t++) {")
        w("\t\tfprintf(f, \"thread %d %d\\n\", t, (int)eg_tid[t]);")
        w("\t\tfor (int n = 0; n < eg_nev[t]; n++) {")
        w("\t\t\tstruct eg_ev *e = &eg_log[t][n];")
        w("")
        w("\t\t\tfprintf(f, \"e %d %d %d\", t, e->probe, e->site);")
        w("\t\t\tfor (int a = 0; a < e->argc; a++) {")
        w("\t\t\t\tif (e->s[a]) {")
        w("\t\t\t\t\tfputs(\" s\", f);")
        w("\t\t\t\t\teg_hex(f, e->s[a]);")
        w("\t\t\t\t} else if (eg_kinds[e->probe][a] == 's') {")
        w("\t\t\t\t\tfputs(\" F\", f);")
        w("\t\t\t\t} else {")
        w("\t\t\t\t\tfprintf(f, \" x%016\" PRIx64, e->v[a]);")
        w("\t\t\t\t}")
        w("\t\t\t}")
        w("\t\t\tfputc('\\n', f);")
        w("\t\t\ttotal++;")
        w("\t\t}")
        w("\t}")
        w("\tfprintf(f, \"end %ld\\n\", total);")
        w("\treturn fclose(f) ? 1 : 0;")
        w("}")
        # the kinds table goes before main: insert it
        kinds = ", ".join(
            '"' + "".join("s" if a.cls == "str" else "x" for a in p["args"]) + '"'
            for p in self.probes)
        table = [f"static const char *const eg_kinds[] = {{{kinds}}};", ""]
        at = L.index("static void eg_hex(FILE *f, const char *s)")
        L[at:at] = table
        return "\n".join(L) + "\n"

    # -- what the test needs

    def compile_cmd(self, src, out, include="sdk/include"):
        return " ".join([self.cc, self.opt, "-g", "-Wall", "-Wextra", "-Werror", "-I", str(include),
                         *(f"'{f}'" if '"' in f else f for f in self.flags), "-o", out, src,
                         "-lpthread", "-lm"])

    def compile_argv(self, src, out, include):
        return [self.cc, self.opt, "-g", "-Wall", "-Wextra", "-Werror", "-I", str(include),
                *self.flags, "-o", str(out), str(src), "-lpthread", "-lm"]

    def record_args(self):
        return (["--strlen", str(self.strlen_opt)] if self.strlen_opt else []) + \
            [f"usdt:{PROVIDER}:*"]

    def info(self):
        return {
            "seed": self.seed, "cc": self.cc, "opt": self.opt, "flags": self.flags,
            "strlen": self.strlen, "strlen_opt": self.strlen_opt, "threads": self.threads,
            "probes": [{"name": p["name"], "count": p["count"], "sites": [
                {"count": st["count"], "inline": st["inline"],
                 "args": [a.info() for a in st["args"]]}
                for st in p["sites"]]} for p in self.probes],
        }


def generate(seed):
    return Program(seed)


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("seed", type=int)
    ap.add_argument("-o", "--output", help="write the C source here (default: stdout)")
    ap.add_argument("--info", action="store_true", help="print the program's description (JSON)")
    a = ap.parse_args(argv)
    prog = generate(a.seed)
    if a.info:
        print(json.dumps(prog.info(), indent=1))
        return 0
    if a.output:
        with open(a.output, "w", encoding="utf-8") as f:
            f.write(prog.source)
        print(prog.compile_cmd(a.output, a.output.rsplit(".", 1)[0]), file=sys.stderr)
    else:
        sys.stdout.buffer.write(prog.source.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
