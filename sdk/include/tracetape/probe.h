/* SPDX-License-Identifier: MIT */
/*
 * tracetape/probe.h -- static probes for C and C++ programs.
 *
 * Overview
 * ========
 * One header, no library, no dependency. It works in C99 and later and C++11 and later, with
 * gcc and clang, at every optimisation level, in executables and shared libraries (x86-64).
 *
 *     #include <tracetape/probe.h>
 *
 *     TT_PROBE(myapp, request__start, req->id, req->url, req->len);
 *
 *     if (TT_PROBE_ENABLED(myapp, request__done))     // costs one load + one branch
 *             TT_PROBE(myapp, request__done, req->id, expensive_summary(req));
 *
 *     TT_SPAN_BEGIN(myapp, request, req->id, req->url);   // fires request__begin
 *     ...                                                  // (any thread, any time later)
 *     TT_SPAN_END(myapp, request, req->id, status);        // fires request__end
 *
 * A probe site is a single 1-byte `nop` instruction. Besides evaluating the argument
 * expressions, nothing runs when nobody traces the program: the argument values are only
 * *described* (where the compiler keeps them: register, stack slot, constant), and the
 * description goes into ELF notes that are not loaded into memory. A tracer (tracetape record,
 * bpftrace, perf, BCC, gdb, SystemTap) puts a uprobe on the nop and reads the arguments there.
 *
 * Each site writes two notes:
 *   - a standard `.note.stapsdt` note (owner "stapsdt", type 3): address of the nop,
 *     `_.stapsdt.base`, address of the probe's semaphore, then "provider\0name\0args\0", where
 *     args is the usual space-separated list of `[-]SIZE@OPERAND` (for example `-4@%edi`,
 *     `8@-16(%rbp)`). Every USDT consumer reads it unchanged.
 *   - a tracetape note (`.note.tracetape`, owner "tracetape", type 1) with the same address, the
 *     kind of each argument (signed/unsigned integer and size, float, pointer, string) and the
 *     argument names. Other tools ignore it; tracetape uses it to record `char *` arguments as
 *     strings and to name columns. Its layout is specified in schemas/TRACETAPE_NOTE.md.
 *
 * Argument kinds are inferred from the C/C++ types, with no effort from the caller:
 *   - integers of 1, 2, 4 or 8 bytes, with their signedness (plain `char` follows the target;
 *     `_Bool`/`bool` is unsigned 1-byte; an enum takes its underlying type);
 *   - `float` and `double` (`long double` is converted to `double`);
 *   - `char *` and `const char *`, and char arrays (which decay): strings;
 *   - every other pointer (including `unsigned char *`, `void *`): pointers.
 *
 * Public macros (contracts below): TT_PROBE, TT_PROBE_ENABLED, TT_PROBE_SEMA, TT_SEMA_ENABLED,
 * TT_SPAN_BEGIN, TT_SPAN_END, TT_SPAN_ENABLED, TT_PROBE_EXPLICIT (for generated headers).
 *
 * Knobs, defined before the #include:
 *   - TT_PROBE_NOP10: the site becomes `nop; nop10` (11 bytes: 90 66 2e 0f 1f 84 00..00) with the
 *     probe address on the first nop, for kernels that can turn a probed 10-byte nop into a
 *     cheap call. The default single `nop` is right for every current kernel.
 *   - TT_NO_PROBES: every probe compiles to nothing, TT_*_ENABLED to 0. The same happens, with
 *     no knob, on compilers that are not gcc/clang and on targets other than x86-64; arguments
 *     are then not evaluated.
 *   - TT_FASTPATH: each site can also record without a trap, into shared memory that
 *     `tracetape record --fast -- COMMAND` hands the process (tracetape/fastpath.h: costs,
 *     caveats, how it works). Without a recorder asking for it the site stays the USDT site
 *     behind one extra load and branch; programs built without the knob are unchanged.
 *   - TT_PROBE_ARG_CONSTRAINT: the asm constraint of argument operands: "nor" (an immediate, a
 *     register or an offsettable memory operand) with gcc, "nr" with clang, which would
 *     otherwise copy every argument to the stack on every pass. If clang reports "impossible
 *     constraint" or runs out of registers on a 12-argument probe, use "nor". Never "g" or "rm":
 *     they let a string literal's address or a constant become a local label ($.LC0,
 *     .LCPI0_1(%rip)) that is in no symbol table, and no tracer can read such an argument.
 *
 * N.B. The site is never `nop; nop5`. Linux 6.18 rewrites a uprobe on a 5-byte nop into a CALL
 * to a trampoline that writes below the stack pointer, into the x86-64 red zone, and corrupts
 * the locals of leaf functions. A 1-byte nop is never rewritten.
 *
 * N.B. Provider and probe names must be C identifiers; `__` inside a probe name is shown as `-`
 * by DTrace-style tools and kept as is by tracetape (query__start).
 *
 * N.B. A float is described in the stapsdt note as an unsigned integer of its size holding its
 * IEEE 754 bits (systemtap's `8f@` suffix makes bpftrace 0.17 and libbpf refuse the whole
 * probe). tracetape, reading the tracetape note, records a float; bpftrace prints the bits.
 *
 * N.B. Arguments wider than 8 bytes (__int128, structs passed by value) do not compile; pass a
 * pointer, or the fields. C++ class types such as std::string need .c_str().
 *
 * N.B. The asm is AT&T syntax: a translation unit compiled with -masm=intel cannot use the
 * probes (as with sys/sdt.h).
 *
 * Changelog
 *   0.1.0  first version: TT_PROBE, semaphores, spans, the tracetape note (version 1).
 *   (next) TT_FASTPATH: the trap-free path (tracetape/fastpath.h).
 */
#ifndef TRACETAPE_PROBE_H
#define TRACETAPE_PROBE_H

#define TT_SDK_VERSION_MAJOR 0
#define TT_SDK_VERSION_MINOR 1
#define TT_SDK_VERSION_PATCH 0

/* ------------------------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------------------------ */

/*
 * TT_PROBE(provider, name, ...)
 *
 * A probe site named provider:name with 0 to 12 arguments (more is a compile error) of integer,
 * floating, pointer or string type. A statement (use it where a statement may go); each argument expression is
 * evaluated exactly once, before the site, whether or not the probe is traced. The names of the
 * arguments in the tracetape note are the argument expressions as written (after macro
 * expansion): `req->id` gives the column `id`, an expression that is not an identifier or a
 * member access gives `argN`.
 *
 * Every probe has a semaphore (see TT_PROBE_ENABLED); tracing the probe enables it.
 *
 * N.B. A string argument is read by the tracer from the traced process's memory when the probe
 * fires. A pointer into memory the process has never touched (a string literal on a page not yet
 * faulted in) may read as empty; a pointer that is freed right after the probe is fine.
 */
#define TT_PROBE(...) __TT_PROBE(__VA_ARGS__)

/*
 * TT_PROBE_ENABLED(provider, name)
 *
 * Nonzero while some tracer traces provider:name in this process (more exactly, while a uprobe
 * that names the probe's semaphore is attached), zero otherwise. An expression; usable in any
 * function of any translation unit, even one that has no site of that probe. It compiles to one
 * 2-byte load and one branch (`cmpw $0, sema(%rip); jne`), marked unlikely.
 *
 *     if (TT_PROBE_ENABLED(myapp, query__done))
 *             TT_PROBE(myapp, query__done, format_plan(q));    // only built when traced
 *
 * N.B. The read is racy by design: a tracer may attach or detach between the check and the
 * site. A tracer that attaches just then misses the guarded event; one that detaches just then
 * leaves the argument computed for nobody. Never rely on the guard for correctness.
 *
 * N.B. It is a GNU statement expression: usable in any function, not in a file-scope
 * initializer.
 *
 * N.B. Semaphores are hidden symbols, one per binary: a probe in a shared library and a probe
 * with the same name in the executable have separate semaphores, and TT_PROBE_ENABLED in one
 * binary tells about the probes of that binary only.
 *
 * N.B. The semaphore is the weak hidden 2-byte symbol `__tt_sema_<provider>__<name>` in section
 * `.probes`; every translation unit that uses it defines it and the linker keeps one. A provider
 * containing `__` can therefore share a symbol with another provider/name pair (a__b:c and
 * a:b__c); such probes are then enabled together, which is harmless.
 */
#define TT_PROBE_ENABLED(provider, name) TT_SEMA_ENABLED(provider, name)

/*
 * TT_PROBE_SEMA(provider, name, sema, ...)  /  TT_SEMA_ENABLED(provider, sema)
 *
 * Like TT_PROBE, but the site uses the semaphore named sema (an identifier, in the provider's
 * namespace) instead of its own. Related probes that share a semaphore are all enabled as soon
 * as any of them is traced, so one TT_SEMA_ENABLED(provider, sema) guards them all. The plain
 * TT_PROBE(provider, name) uses the semaphore named name, so TT_PROBE_SEMA(p, x, y) shares the
 * semaphore of TT_PROBE(p, y).
 */
#define TT_PROBE_SEMA(...) __TT_PROBE_SEMA(__VA_ARGS__)
#define TT_SEMA_ENABLED(provider, sema) __TT_SEMA_ENABLED(provider, sema)

/*
 * TT_SPAN_BEGIN(provider, name, id, ...)  /  TT_SPAN_END(provider, name, id, ...)
 *
 * Fire the probes provider:name__begin and provider:name__end, whose first argument is id, an
 * integer (or pointer) that identifies the span within the process: the analyzer pairs a begin
 * with the next end of the same (process, id), whatever the threads, so a span may start on one
 * thread and end on another (asynchronous work, thread pools). Up to 11 more arguments follow.
 * Both probes share the semaphore of `name`, so TT_SPAN_ENABLED(provider, name) is true while
 * either is traced.
 *
 * N.B. Ids must not be reused while a span with that id is open; a pointer to the request
 * object is a fine id as long as the object lives until TT_SPAN_END.
 */
#define TT_SPAN_BEGIN(provider, name, ...)                                                   \
	__TT_PROBE_SEMA(provider, name##__begin, name, __VA_ARGS__)
#define TT_SPAN_END(provider, name, ...) __TT_PROBE_SEMA(provider, name##__end, name, __VA_ARGS__)
#define TT_SPAN_ENABLED(provider, name) TT_SEMA_ENABLED(provider, name)

/*
 * TT_PROBE_EXPLICIT(provider, name, sema, names, ...)
 *
 * The general form behind the others, for generated code (`tracetape gen-header`): like
 * TT_PROBE_SEMA, with the argument names given as one string literal of NUL-separated names,
 * e.g. "url\0id" for two arguments. An empty name ("" between two NULs) means "unknown"; 0
 * instead of a literal means "no names".
 */
#define TT_PROBE_EXPLICIT(...) __TT_PROBE_EXPLICIT(__VA_ARGS__)

/* ------------------------------------------------------------------------------------------
 * Implementation. Everything below is internal (__tt_*, __TT_*) and may change.
 * ------------------------------------------------------------------------------------------ */

#define __TT_STR(x) #x
#define __TT_CAT(a, b) __TT_CAT_(a, b)
#define __TT_CAT_(a, b) a##b
#define __TT_UNPAREN(...) __VA_ARGS__
#define __TT_HEAD(x, ...) x

/*
 * The assembler text of n arguments: the stapsdt list "%c[s1]@%[a1] %c[s2]@%[a2] ..." (signed
 * size, then the operand as the compiler prints it), and the n kind bytes, which the assembler
 * extracts from the packed kind operands.
 */
#define __TT_AT(i) "%c[__tt_s" #i "]@%[__tt_a" #i "]"
#define __TT_KB(op, shift) ".byte ((%c[" op "] >> " #shift ") & 255)\n"
#define __TT_KPACK(k1, k2, k3, k4) ((k1) | (k2) << 8 | (k3) << 16 | (k4) << 24)
#define __TT_K(x) __TT_KIND(x)
#define __TT_Z 0ULL

#define __TT_TEXT_0 ""
#define __TT_TEXT_1 __TT_AT(1)
#define __TT_TEXT_2 __TT_TEXT_1 " " __TT_AT(2)
#define __TT_TEXT_3 __TT_TEXT_2 " " __TT_AT(3)
#define __TT_TEXT_4 __TT_TEXT_3 " " __TT_AT(4)
#define __TT_TEXT_5 __TT_TEXT_4 " " __TT_AT(5)
#define __TT_TEXT_6 __TT_TEXT_5 " " __TT_AT(6)
#define __TT_TEXT_7 __TT_TEXT_6 " " __TT_AT(7)
#define __TT_TEXT_8 __TT_TEXT_7 " " __TT_AT(8)
#define __TT_TEXT_9 __TT_TEXT_8 " " __TT_AT(9)
#define __TT_TEXT_10 __TT_TEXT_9 " " __TT_AT(10)
#define __TT_TEXT_11 __TT_TEXT_10 " " __TT_AT(11)
#define __TT_TEXT_12 __TT_TEXT_11 " " __TT_AT(12)

#define __TT_KT_0 ""
#define __TT_KT_1 __TT_KB("__tt_k0", 0)
#define __TT_KT_2 __TT_KT_1 __TT_KB("__tt_k0", 8)
#define __TT_KT_3 __TT_KT_2 __TT_KB("__tt_k0", 16)
#define __TT_KT_4 __TT_KT_3 __TT_KB("__tt_k0", 24)
#define __TT_KT_5 __TT_KT_4 __TT_KB("__tt_k1", 0)
#define __TT_KT_6 __TT_KT_5 __TT_KB("__tt_k1", 8)
#define __TT_KT_7 __TT_KT_6 __TT_KB("__tt_k1", 16)
#define __TT_KT_8 __TT_KT_7 __TT_KB("__tt_k1", 24)
#define __TT_KT_9 __TT_KT_8 __TT_KB("__tt_k2", 0)
#define __TT_KT_10 __TT_KT_9 __TT_KB("__tt_k2", 8)
#define __TT_KT_11 __TT_KT_10 __TT_KB("__tt_k2", 16)
#define __TT_KT_12 __TT_KT_11 __TT_KB("__tt_k2", 24)

/* __TT_Pn(provider, name, sema, names, a1..an): a site with n arguments. */
#define __TT_P0(p, n, s, nm)                                                                     \
	__TT_SITE(p, n, s, 0, __TT_TEXT_0, __TT_KT_0, nm, __TT_Z, __TT_Z, __TT_Z, ())
#define __TT_P1(p, n, s, nm, a1)                                                                 \
	__TT_SITE(p, n, s, 1, __TT_TEXT_1, __TT_KT_1, nm,                                        \
		  __TT_KPACK(__TT_K(a1), __TT_Z, __TT_Z, __TT_Z), __TT_Z, __TT_Z,                \
		  (__TT_OP(1, a1)))
#define __TT_P2(p, n, s, nm, a1, a2)                                                             \
	__TT_SITE(p, n, s, 2, __TT_TEXT_2, __TT_KT_2, nm,                                        \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_Z, __TT_Z), __TT_Z, __TT_Z,            \
		  (__TT_OP(1, a1) __TT_OP(2, a2)))
#define __TT_P3(p, n, s, nm, a1, a2, a3)                                                         \
	__TT_SITE(p, n, s, 3, __TT_TEXT_3, __TT_KT_3, nm,                                        \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_K(a3), __TT_Z), __TT_Z, __TT_Z,        \
		  (__TT_OP(1, a1) __TT_OP(2, a2) __TT_OP(3, a3)))
#define __TT_P4(p, n, s, nm, a1, a2, a3, a4)                                                     \
	__TT_SITE(p, n, s, 4, __TT_TEXT_4, __TT_KT_4, nm,                                        \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_K(a3), __TT_K(a4)), __TT_Z, __TT_Z,    \
		  (__TT_OP(1, a1) __TT_OP(2, a2) __TT_OP(3, a3) __TT_OP(4, a4)))
#define __TT_P5(p, n, s, nm, a1, a2, a3, a4, a5)                                                 \
	__TT_SITE(p, n, s, 5, __TT_TEXT_5, __TT_KT_5, nm,                                        \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_K(a3), __TT_K(a4)),                    \
		  __TT_KPACK(__TT_K(a5), __TT_Z, __TT_Z, __TT_Z), __TT_Z, (__TT_OP(1, a1)        \
		  __TT_OP(2, a2) __TT_OP(3, a3) __TT_OP(4, a4) __TT_OP(5, a5)))
#define __TT_P6(p, n, s, nm, a1, a2, a3, a4, a5, a6)                                             \
	__TT_SITE(p, n, s, 6, __TT_TEXT_6, __TT_KT_6, nm,                                        \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_K(a3), __TT_K(a4)),                    \
		  __TT_KPACK(__TT_K(a5), __TT_K(a6), __TT_Z, __TT_Z), __TT_Z, (__TT_OP(1, a1)    \
		  __TT_OP(2, a2) __TT_OP(3, a3) __TT_OP(4, a4) __TT_OP(5, a5) __TT_OP(6, a6)))
#define __TT_P7(p, n, s, nm, a1, a2, a3, a4, a5, a6, a7)                                         \
	__TT_SITE(p, n, s, 7, __TT_TEXT_7, __TT_KT_7, nm,                                        \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_K(a3), __TT_K(a4)),                    \
		  __TT_KPACK(__TT_K(a5), __TT_K(a6), __TT_K(a7), __TT_Z), __TT_Z,                \
		  (__TT_OP(1, a1) __TT_OP(2, a2) __TT_OP(3, a3) __TT_OP(4, a4) __TT_OP(5, a5)    \
		  __TT_OP(6, a6) __TT_OP(7, a7)))
#define __TT_P8(p, n, s, nm, a1, a2, a3, a4, a5, a6, a7, a8)                                     \
	__TT_SITE(p, n, s, 8, __TT_TEXT_8, __TT_KT_8, nm,                                        \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_K(a3), __TT_K(a4)),                    \
		  __TT_KPACK(__TT_K(a5), __TT_K(a6), __TT_K(a7), __TT_K(a8)), __TT_Z,            \
		  (__TT_OP(1, a1) __TT_OP(2, a2) __TT_OP(3, a3) __TT_OP(4, a4) __TT_OP(5, a5)    \
		  __TT_OP(6, a6) __TT_OP(7, a7) __TT_OP(8, a8)))
#define __TT_P9(p, n, s, nm, a1, a2, a3, a4, a5, a6, a7, a8, a9)                                 \
	__TT_SITE(p, n, s, 9, __TT_TEXT_9, __TT_KT_9, nm,                                        \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_K(a3), __TT_K(a4)),                    \
		  __TT_KPACK(__TT_K(a5), __TT_K(a6), __TT_K(a7), __TT_K(a8)),                    \
		  __TT_KPACK(__TT_K(a9), __TT_Z, __TT_Z, __TT_Z), (__TT_OP(1, a1) __TT_OP(2, a2) \
		  __TT_OP(3, a3) __TT_OP(4, a4) __TT_OP(5, a5) __TT_OP(6, a6) __TT_OP(7, a7)     \
		  __TT_OP(8, a8) __TT_OP(9, a9)))
#define __TT_P10(p, n, s, nm, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10)                           \
	__TT_SITE(p, n, s, 10, __TT_TEXT_10, __TT_KT_10, nm,                                     \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_K(a3), __TT_K(a4)),                    \
		  __TT_KPACK(__TT_K(a5), __TT_K(a6), __TT_K(a7), __TT_K(a8)),                    \
		  __TT_KPACK(__TT_K(a9), __TT_K(a10), __TT_Z, __TT_Z), (__TT_OP(1, a1)           \
		  __TT_OP(2, a2) __TT_OP(3, a3) __TT_OP(4, a4) __TT_OP(5, a5) __TT_OP(6, a6)     \
		  __TT_OP(7, a7) __TT_OP(8, a8) __TT_OP(9, a9) __TT_OP(10, a10)))
#define __TT_P11(p, n, s, nm, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)                      \
	__TT_SITE(p, n, s, 11, __TT_TEXT_11, __TT_KT_11, nm,                                     \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_K(a3), __TT_K(a4)),                    \
		  __TT_KPACK(__TT_K(a5), __TT_K(a6), __TT_K(a7), __TT_K(a8)),                    \
		  __TT_KPACK(__TT_K(a9), __TT_K(a10), __TT_K(a11), __TT_Z), (__TT_OP(1, a1)      \
		  __TT_OP(2, a2) __TT_OP(3, a3) __TT_OP(4, a4) __TT_OP(5, a5) __TT_OP(6, a6)     \
		  __TT_OP(7, a7) __TT_OP(8, a8) __TT_OP(9, a9) __TT_OP(10, a10)                  \
		  __TT_OP(11, a11)))
#define __TT_P12(p, n, s, nm, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12)                 \
	__TT_SITE(p, n, s, 12, __TT_TEXT_12, __TT_KT_12, nm,                                     \
		  __TT_KPACK(__TT_K(a1), __TT_K(a2), __TT_K(a3), __TT_K(a4)),                    \
		  __TT_KPACK(__TT_K(a5), __TT_K(a6), __TT_K(a7), __TT_K(a8)),                    \
		  __TT_KPACK(__TT_K(a9), __TT_K(a10), __TT_K(a11), __TT_K(a12)), (__TT_OP(1, a1) \
		  __TT_OP(2, a2) __TT_OP(3, a3) __TT_OP(4, a4) __TT_OP(5, a5) __TT_OP(6, a6)     \
		  __TT_OP(7, a7) __TT_OP(8, a8) __TT_OP(9, a9) __TT_OP(10, a10) __TT_OP(11, a11) \
		  __TT_OP(12, a12)))

/*
 * Argument names: the stringified expressions, NUL-separated, as one string literal. A literal
 * (not a static array) because a string literal's address is always a local label, which an
 * "i" operand accepts even in position-independent C++ inline functions, where a static local
 * would be a preemptible vague-linkage symbol. The linker keeps it: relocations from a SHT_NOTE
 * section mark their targets under --gc-sections.
 */
#define __TT_NM1(a1) #a1
#define __TT_NM2(a1, a2) #a1 "\0" #a2
#define __TT_NM3(a1, a2, a3) __TT_NM2(a1, a2) "\0" #a3
#define __TT_NM4(a1, a2, a3, a4) __TT_NM3(a1, a2, a3) "\0" #a4
#define __TT_NM5(a1, a2, a3, a4, a5) __TT_NM4(a1, a2, a3, a4) "\0" #a5
#define __TT_NM6(a1, a2, a3, a4, a5, a6) __TT_NM5(a1, a2, a3, a4, a5) "\0" #a6
#define __TT_NM7(a1, a2, a3, a4, a5, a6, a7) __TT_NM6(a1, a2, a3, a4, a5, a6) "\0" #a7
#define __TT_NM8(a1, a2, a3, a4, a5, a6, a7, a8) __TT_NM7(a1, a2, a3, a4, a5, a6, a7) "\0" #a8
#define __TT_NM9(a1, a2, a3, a4, a5, a6, a7, a8, a9)                                         \
	__TT_NM8(a1, a2, a3, a4, a5, a6, a7, a8) "\0" #a9
#define __TT_NM10(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10)                                   \
	__TT_NM9(a1, a2, a3, a4, a5, a6, a7, a8, a9) "\0" #a10
#define __TT_NM11(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)                              \
	__TT_NM10(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) "\0" #a11
#define __TT_NM12(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12)                         \
	__TT_NM11(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) "\0" #a12

/* __TT_Sn(provider, name, sema, a1..an): a site named by its stringified arguments. */
#define __TT_S0(p, n, s) __TT_P0(p, n, s, 0)
#define __TT_S1(p, n, s, a1) __TT_P1(p, n, s, __TT_NM1(a1), a1)
#define __TT_S2(p, n, s, a1, a2) __TT_P2(p, n, s, __TT_NM2(a1, a2), a1, a2)
#define __TT_S3(p, n, s, a1, a2, a3) __TT_P3(p, n, s, __TT_NM3(a1, a2, a3), a1, a2, a3)
#define __TT_S4(p, n, s, a1, a2, a3, a4)                                                     \
	__TT_P4(p, n, s, __TT_NM4(a1, a2, a3, a4), a1, a2, a3, a4)
#define __TT_S5(p, n, s, a1, a2, a3, a4, a5)                                                 \
	__TT_P5(p, n, s, __TT_NM5(a1, a2, a3, a4, a5), a1, a2, a3, a4, a5)
#define __TT_S6(p, n, s, a1, a2, a3, a4, a5, a6)                                             \
	__TT_P6(p, n, s, __TT_NM6(a1, a2, a3, a4, a5, a6), a1, a2, a3, a4, a5, a6)
#define __TT_S7(p, n, s, a1, a2, a3, a4, a5, a6, a7)                                         \
	__TT_P7(p, n, s, __TT_NM7(a1, a2, a3, a4, a5, a6, a7), a1, a2, a3, a4, a5, a6, a7)
#define __TT_S8(p, n, s, a1, a2, a3, a4, a5, a6, a7, a8)                                     \
	__TT_P8(p, n, s, __TT_NM8(a1, a2, a3, a4, a5, a6, a7, a8), a1, a2, a3, a4, a5, a6, a7, \
		a8)
#define __TT_S9(p, n, s, a1, a2, a3, a4, a5, a6, a7, a8, a9)                                 \
	__TT_P9(p, n, s, __TT_NM9(a1, a2, a3, a4, a5, a6, a7, a8, a9), a1, a2, a3, a4, a5, a6, \
		a7, a8, a9)
#define __TT_S10(p, n, s, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10)                           \
	__TT_P10(p, n, s, __TT_NM10(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10), a1, a2, a3, a4, \
		 a5, a6, a7, a8, a9, a10)
#define __TT_S11(p, n, s, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)                      \
	__TT_P11(p, n, s, __TT_NM11(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11), a1, a2, a3, \
		 a4, a5, a6, a7, a8, a9, a10, a11)
#define __TT_S12(p, n, s, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12)                 \
	__TT_P12(p, n, s, __TT_NM12(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12), a1, a2, \
		 a3, a4, a5, a6, a7, a8, a9, a10, a11, a12)

/*
 * Argument counting. The public macros are variadic in all their parameters so that a probe
 * without arguments never passes an empty "..." (which ISO C before C23 forbids), and the
 * counters are given a trailing dummy for the same reason.
 * __TT_NARGS3(p, n, s, a1..ak) expands to k; __TT_NARGS4(p, n, s, nm, a1..ak) too.
 */
#define __TT_NARGS3(...) __TT_NARGS3_(__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, ~)
#define __TT_NARGS3_(p, n, s, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, k, ...) k
#define __TT_NARGS4(...) __TT_NARGS4_(__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, ~)
#define __TT_NARGS4_(p, n, s, nm, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, k, ...) k

/* TT_PROBE(p, n, args...) is TT_PROBE_SEMA(p, n, n, args...). */
#define __TT_PROBE(p, ...) __TT_PROBE_SEMA(p, __TT_HEAD(__VA_ARGS__, ~), __VA_ARGS__)
#define __TT_PROBE_SEMA(...) __TT_CAT(__TT_S, __TT_NARGS3(__VA_ARGS__))(__VA_ARGS__)
#define __TT_PROBE_EXPLICIT(...) __TT_CAT(__TT_P, __TT_NARGS4(__VA_ARGS__))(__VA_ARGS__)

#if defined(TT_NO_PROBES) || !defined(__GNUC__) || !defined(__x86_64__)

/*
 * Probes off: no site, no note, no semaphore. The arguments are referenced in dead code, so
 * that variables computed only for a probe do not draw "unused" warnings, and not evaluated.
 */
#define __TT_OP(i, x) ; (void)(x)
#define __TT_SITE(provider, name, sema, argc, args_text, kinds_text, names, k0, k1, k2, ops) \
	do {                                                                                 \
		if (0) {                                                                     \
			(void)0 __TT_UNPAREN ops;                                            \
		}                                                                            \
	} while (0)
#define __TT_SEMA_ENABLED(provider, sema) 0

#else /* probes on */

/*
 * gcc gives each argument a register when one holds it already, and memory otherwise ("nor").
 * clang always picks the memory alternative when one is allowed, which stores every argument
 * to the stack on every pass through the site, traced or not; "nr" keeps it in a register, so
 * that the site costs one nop with clang too, and never leaves an argument in the red zone.
 */
#ifndef TT_PROBE_ARG_CONSTRAINT
#ifdef __clang__
#define TT_PROBE_ARG_CONSTRAINT "nr"
#else
#define TT_PROBE_ARG_CONSTRAINT "nor"
#endif
#endif

/* The probe instruction(s); label 990 marks the probe address. */
#ifdef TT_PROBE_NOP10
#define __TT_NOP_ASM                                                                          \
	"990: nop\n"                                                                         \
	".byte 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00\n"
#else
#define __TT_NOP_ASM "990: nop\n"
#endif

/* The semaphore's symbol, as a string for the assembler. */
#define __TT_SEMA_SYM(provider, sema) "__tt_sema_" #provider "__" #sema

/*
 * Define the semaphore in this object unless an earlier asm statement of this translation unit
 * did: a weak, hidden, 2-byte object in .probes. Weak so that every object file may carry one
 * and the linker keeps a single copy; hidden so that a shared library's semaphores are its own.
 */
#define __TT_SEMA_DEFINE_ASM(sym)                                                           \
	".ifndef " sym "\n"                                                                  \
	".pushsection .probes, \"aw\", \"progbits\"\n"                                       \
	".weak " sym "\n"                                                                    \
	".hidden " sym "\n"                                                                  \
	".balign 2\n"                                                                        \
	sym ":\n"                                                                            \
	".zero 2\n"                                                                          \
	".type " sym ", @object\n"                                                           \
	".size " sym ", 2\n"                                                                 \
	".popsection\n"                                                                      \
	".endif\n"

/*
 * _.stapsdt.base: one byte in a COMDAT section of that name, as every stapsdt producer emits it,
 * so that our probes and sys/sdt.h probes in one binary share it. Consumers compare its
 * link-time address (in the note) with its final address to correct for prelinking.
 */
#define __TT_BASE_ASM                                                                         \
	".ifndef _.stapsdt.base\n"                                                           \
	".pushsection .stapsdt.base, \"aG\", \"progbits\", .stapsdt.base, comdat\n"          \
	".weak _.stapsdt.base\n"                                                             \
	".hidden _.stapsdt.base\n"                                                           \
	"_.stapsdt.base:\n"                                                                  \
	".space 1\n"                                                                         \
	".size _.stapsdt.base, 1\n"                                                          \
	".popsection\n"                                                                      \
	".endif\n"

/*
 * The two notes of one site. The "?" section flag puts a note into the section group of the
 * code around it, so a C++ inline or template function's notes are discarded together with
 * the copies of the function that the linker drops (both gas and clang's assembler accept it).
 * Non-allocated notes are not relocated at run time; the consumer maps addresses through the
 * program headers itself.
 */
#define __TT_SITE_ASM(provider, name, semasym, argc, args_text, kinds_text)                   \
	__TT_NOP_ASM                                                                         \
	".pushsection .note.stapsdt, \"?\", \"note\"\n"                                      \
	".balign 4\n"                                                                        \
	".4byte 992f-991f, 994f-993f, 3\n"                                                   \
	"991: .asciz \"stapsdt\"\n"                                                          \
	"992: .balign 4\n"                                                                   \
	"993: .8byte 990b\n"                                                                 \
	".8byte _.stapsdt.base\n"                                                            \
	".8byte " semasym "\n"                                                               \
	".asciz \"" #provider "\"\n"                                                         \
	".asciz \"" #name "\"\n"                                                             \
	".asciz \"" args_text "\"\n"                                                         \
	"994: .balign 4\n"                                                                   \
	".popsection\n"                                                                      \
	".pushsection .note.tracetape, \"?\", \"note\"\n"                                    \
	".balign 4\n"                                                                        \
	".4byte 996f-995f, 998f-997f, 1\n"                                                   \
	"995: .asciz \"tracetape\"\n"                                                        \
	"996: .balign 4\n"                                                                   \
	"997: .8byte 990b\n"                                                                 \
	".8byte %c[__tt_nm]\n"                                                               \
	".byte 1, " #argc "\n"                                                               \
	kinds_text                                                                           \
	"998: .balign 4\n"                                                                   \
	".popsection\n"                                                                      \
	__TT_SEMA_DEFINE_ASM(semasym)                                                        \
	__TT_BASE_ASM

/*
 * One site. ops is a parenthesised operand list that starts with a comma (or is empty). The
 * kinds of the arguments travel as three packed immediates of four bytes each (arguments 1-4,
 * 5-8, 9-12) that the assembler unpacks, because gcc allows at most 30 asm operands and 12
 * arguments already need 24 (value and signed size each). Four bytes, not eight: gcc prints a
 * constant with %c only when it fits a 32-bit displacement.
 */
#define __TT_SITE(provider, name, sema, argc, args_text, kinds_text, names, k0, k1, k2, ops) \
	do {                                                                                 \
		__asm__ __volatile__(                                                        \
			__TT_SITE_ASM(provider, name, __TT_SEMA_SYM(provider, sema), argc,    \
				      args_text, kinds_text)                                \
			: /* no outputs */                                                   \
			: [__tt_nm] "i"(names), [__tt_k0] "n"(k0), [__tt_k1] "n"(k1),        \
			  [__tt_k2] "n"(k2) __TT_UNPAREN ops);                               \
	} while (0)

/*
 * Read a semaphore: `cmpw $0, sema(%rip)` with the result in the flags (an asm flag output), so
 * that the branch on it is the only other instruction. A C-level volatile read would cost gcc a
 * movzwl, a test and the branch, and a non-volatile one could be hoisted out of a loop, which
 * would then never see a tracer attach. The same asm statement defines the semaphore in this
 * translation unit if nothing did yet, so the check also works where the probe itself is absent.
 * Being volatile, the asm is executed each time and never merged with another check.
 */
#ifdef __GCC_ASM_FLAG_OUTPUTS__
#define __TT_SEMA_ENABLED(provider, sema)                                                    \
	(__extension__({                                                                     \
		int __tt_on;                                                                 \
		__asm__ __volatile__(__TT_SEMA_DEFINE_ASM(__TT_SEMA_SYM(provider, sema))     \
				     "cmpw $0, " __TT_SEMA_SYM(provider, sema) "(%%rip)\n"    \
				     : "=@ccne"(__tt_on));                                   \
		__builtin_expect(__tt_on, 0);                                                \
	}))
#else
/*
 * Without flag outputs: a volatile read through a declaration. Not weak (the asm defines it
 * weak), so the compiler addresses it directly; the asm label names the symbol exactly, also
 * inside C++ namespaces, where a block-scope extern would otherwise be mangled.
 */
#define __TT_SEMA_ENABLED(provider, sema)                                                    \
	(__extension__({                                                                     \
		__asm__ __volatile__(__TT_SEMA_DEFINE_ASM(__TT_SEMA_SYM(provider, sema)));   \
		extern volatile unsigned short __tt_sema_##provider##__##sema                \
			__asm__(__TT_SEMA_SYM(provider, sema))                               \
			__attribute__((__visibility__("hidden")));                           \
		__builtin_expect(__tt_sema_##provider##__##sema != 0, 0);                    \
	}))
#endif

/* ---- kinds (values of schemas/tt_types.h TT_KIND(class, size)) ---- */
#define __TT_K_U1 0x11ULL
#define __TT_K_U2 0x12ULL
#define __TT_K_U4 0x14ULL
#define __TT_K_U8 0x18ULL
#define __TT_K_S1 0x21ULL
#define __TT_K_S2 0x22ULL
#define __TT_K_S4 0x24ULL
#define __TT_K_S8 0x28ULL
#define __TT_K_F4 0x34ULL
#define __TT_K_F8 0x38ULL
#define __TT_K_PTR 0x48ULL
#define __TT_K_STR 0x58ULL
#ifdef __CHAR_UNSIGNED__
#define __TT_K_CHAR __TT_K_U1
#else
#define __TT_K_CHAR __TT_K_S1
#endif
#if __SIZEOF_LONG__ == 8
#define __TT_K_LONG __TT_K_S8
#define __TT_K_ULONG __TT_K_U8
#else
#define __TT_K_LONG __TT_K_S4
#define __TT_K_ULONG __TT_K_U4
#endif

#ifdef __cplusplus

extern "C++" {
/* Type traits without <type_traits>: the type an argument is passed as. */
template <typename T> struct __tt_rmref { typedef T type; };
template <typename T> struct __tt_rmref<T &> { typedef T type; };
template <typename T> struct __tt_rmref<T &&> { typedef T type; };
template <typename T> struct __tt_decay { typedef T type; };
template <typename T, __SIZE_TYPE__ N> struct __tt_decay<T[N]> { typedef T *type; };
template <typename T> struct __tt_decay<T[]> { typedef T *type; };
template <typename R, typename... A> struct __tt_decay<R(A...)> { typedef R (*type)(A...); };
template <typename T> struct __tt_rmcv { typedef T type; };
template <typename T> struct __tt_rmcv<const T> { typedef T type; };
template <typename T> struct __tt_rmcv<volatile T> { typedef T type; };
template <typename T> struct __tt_rmcv<const volatile T> { typedef T type; };
template <typename T, bool E = __is_enum(T)> struct __tt_unenum { typedef T type; };
template <typename T> struct __tt_unenum<T, true> { typedef __underlying_type(T) type; };
template <typename T> struct __tt_unlong { typedef T type; };
template <> struct __tt_unlong<long double> { typedef double type; };
template <typename T> struct __tt_arg {
	typedef typename __tt_unlong<typename __tt_unenum<typename __tt_rmcv<
		typename __tt_decay<typename __tt_rmref<T>::type>::type>::type>::type>::type type;
};

/* The kind byte of an argument type; anything not listed is a pointer. */
template <typename T> struct __tt_kind { static const unsigned long long value = __TT_K_PTR; };
template <typename T> struct __tt_ikind {
	static const unsigned long long value =
		(static_cast<T>(-1) < static_cast<T>(0) ? 0x20ULL : 0x10ULL) | sizeof(T);
};
template <> struct __tt_kind<bool> { static const unsigned long long value = __TT_K_U1; };
template <> struct __tt_kind<char> { static const unsigned long long value = __TT_K_CHAR; };
template <> struct __tt_kind<signed char> : __tt_ikind<signed char> {};
template <> struct __tt_kind<unsigned char> : __tt_ikind<unsigned char> {};
template <> struct __tt_kind<wchar_t> : __tt_ikind<wchar_t> {};
template <> struct __tt_kind<char16_t> : __tt_ikind<char16_t> {};
template <> struct __tt_kind<char32_t> : __tt_ikind<char32_t> {};
#if defined(__cpp_char8_t)
template <> struct __tt_kind<char8_t> : __tt_ikind<char8_t> {};
#endif
template <> struct __tt_kind<short> : __tt_ikind<short> {};
template <> struct __tt_kind<unsigned short> : __tt_ikind<unsigned short> {};
template <> struct __tt_kind<int> : __tt_ikind<int> {};
template <> struct __tt_kind<unsigned int> : __tt_ikind<unsigned int> {};
template <> struct __tt_kind<long> : __tt_ikind<long> {};
template <> struct __tt_kind<unsigned long> : __tt_ikind<unsigned long> {};
template <> struct __tt_kind<long long> : __tt_ikind<long long> {};
template <> struct __tt_kind<unsigned long long> : __tt_ikind<unsigned long long> {};
template <> struct __tt_kind<float> { static const unsigned long long value = __TT_K_F4; };
template <> struct __tt_kind<double> { static const unsigned long long value = __TT_K_F8; };
template <> struct __tt_kind<char *> { static const unsigned long long value = __TT_K_STR; };
template <> struct __tt_kind<const char *> { static const unsigned long long value = __TT_K_STR; };

/*
 * Floats travel as their IEEE bits in an integer operand: a floating constant would otherwise
 * become a reference to an unnamed constant-pool label (`8@.LC0(%rip)`) that no consumer can
 * resolve, and a general register can hold the bits anyway.
 */
template <typename T> static __inline__ __attribute__((__always_inline__)) T __tt_bits(T v)
{
	return v;
}
static __inline__ __attribute__((__always_inline__)) unsigned int __tt_bits(float v)
{
	unsigned int u;
	__builtin_memcpy(&u, &v, sizeof(u));
	return u;
}
static __inline__ __attribute__((__always_inline__)) unsigned long long __tt_bits(double v)
{
	unsigned long long u;
	__builtin_memcpy(&u, &v, sizeof(u));
	return u;
}
} /* extern "C++" */

#define __TT_TYPE(x) typename ::__tt_arg<decltype((x))>::type
#define __TT_VAL(x) ::__tt_bits(static_cast<__TT_TYPE(x)>(x))
#define __TT_KIND(x) (::__tt_kind<__TT_TYPE(x)>::value)
#define __TT_SSIZE(x) \
	((__TT_KIND(x) >> 4) == 2 ? -static_cast<int>(__TT_KIND(x) & 15)                   \
				  : static_cast<int>(__TT_KIND(x) & 15))

#else /* C */

static __inline__ __attribute__((__always_inline__, __unused__)) unsigned int
__tt_f32_bits(float v)
{
	unsigned int u;
	__builtin_memcpy(&u, &v, sizeof(u));
	return u;
}
static __inline__ __attribute__((__always_inline__, __unused__)) unsigned long long
__tt_f64_bits(double v)
{
	unsigned long long u;
	__builtin_memcpy(&u, &v, sizeof(u));
	return u;
}

/*
 * _Generic selects by the type of x after lvalue conversion (qualifiers dropped, arrays decayed).
 * Every association must be valid for every type, so the float branches re-select x through
 * __TT_AS, which yields a harmless constant for the types they do not apply to. An enum is
 * compatible with its underlying integer type and takes that branch. __extension__ keeps
 * -std=c99 -pedantic quiet about _Generic.
 */
#define __TT_AS(T, x, zero) _Generic((x), T: (x), default: (zero))
#define __TT_VAL(x)                                                                          \
	(__extension__ _Generic((x),                                                         \
		float: __tt_f32_bits(__TT_AS(float, x, 0.0f)),                               \
		double: __tt_f64_bits(__TT_AS(double, x, 0.0)),                             \
		long double: __tt_f64_bits((double)__TT_AS(long double, x, 0.0L)),           \
		default: (x)))
#define __TT_KIND(x)                                                                         \
	(__extension__ _Generic((x),                                                         \
		_Bool: __TT_K_U1, char: __TT_K_CHAR,                                         \
		signed char: __TT_K_S1, unsigned char: __TT_K_U1,                            \
		short: __TT_K_S2, unsigned short: __TT_K_U2,                                 \
		int: __TT_K_S4, unsigned int: __TT_K_U4,                                     \
		long: __TT_K_LONG, unsigned long: __TT_K_ULONG,                              \
		long long: __TT_K_S8, unsigned long long: __TT_K_U8,                         \
		float: __TT_K_F4, double: __TT_K_F8, long double: __TT_K_F8,                 \
		char *: __TT_K_STR, const char *: __TT_K_STR,                                \
		default: __TT_K_PTR))
#define __TT_SSIZE(x) \
	((__TT_KIND(x) >> 4) == 2 ? -(int)(__TT_KIND(x) & 15) : (int)(__TT_KIND(x) & 15))

#endif /* C */

/*
 * The stapsdt size is the signed size (-4 for a signed int), printed with %c so that no '$'
 * precedes it. Floats are described as unsigned integers of their size, without systemtap's
 * 'f' suffix: bpftrace 0.17 and libbpf reject "8f@..." outright, while an integer description
 * lets them read the IEEE bits; the tracetape note says "float".
 */
#define __TT_OP(i, x)                                                                        \
	, [__tt_a##i] TT_PROBE_ARG_CONSTRAINT(__TT_VAL(x)), [__tt_s##i] "n"(__TT_SSIZE(x))

/* -DTT_FASTPATH: sites that can also record without a trap (tracetape/fastpath.h). */
#ifdef TT_FASTPATH
#undef __TT_OP
#undef __TT_SITE
#include "fastpath.h"
#endif

#endif /* probes on */

#endif /* TRACETAPE_PROBE_H */
