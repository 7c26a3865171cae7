#!/bin/sh
# Bench section: static probes in Go code (issue #19, `tracetape gen-go`). While nothing
# traces: a loop with `if probes.QueryEnabled() { probes.Query(i, sql) }` against the same loop
# without it (ns per iteration, process CPU time; the probe package is generated from
# bench/goprobes/bench.d). While recording, the cost of one hit with an int64 and a string
# argument: the generated Go probe, the same probe fired from C with TT_PROBE
# (bench/goprobes/cprobe.c), the same C probe with a 5-byte nop for a site (built with
# -mno-red-zone, so that the kernel may turn it into a call as it does the Go probe's), and
# tracing an equivalent Go function from outside (go: spec, entry and return) — each as
# traced minus untraced time per iteration of the same program.
# Rounds rotate the configurations; medians.
#
#   bench/sections/62-goprobes.sh BUILD_DIR WORK_DIR  (BENCH_GP_ITERS, BENCH_GP_HITS,
#                                                      BENCH_GP_ROUNDS to resize)
set -u
build=$1
work=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
tt="$build/tracetape"
go=/usr/lib/go-1.19/bin/go
iters=${BENCH_GP_ITERS:-500000000} # untraced loops
hits=${BENCH_GP_HITS:-200000}      # traced loops: every iteration is an event
rounds=${BENCH_GP_ROUNDS:-5}
title="## Go: static probes in Go code (issue #19)"
log() { echo "62-goprobes: $*" >&2; }
. "$here/bench/lib.sh"

[ -x "$go" ] || fail "Debian's golang-1.19-go is missing (scripts/deps.sh bench installs it)"
export HOME="$work/home" GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$HOME"
log "building bench/goprobes"
rm -rf "$work/src"
cp -r "$here/bench/goprobes" "$work/src"
mkdir "$work/src/probes"
"$tt" gen-go "$work/src/bench.d" -o "$work/src/probes/probes.go" || fail "gen-go failed"
(cd "$work/src" && "$go" build -o "$work/gpbench" .) >"$work/build.log" 2>&1 ||
	fail "building bench/goprobes failed (see $work/build.log)"
cc -O2 -I"$here/sdk/include" -o "$work/cprobe" "$here/bench/goprobes/cprobe.c" ||
	fail "building cprobe.c failed"
# The 5-byte-nop variant: probe.h's site instruction replaced (never do this with a red zone).
mkdir -p "$work/inc5/tracetape"
cp "$here"/sdk/include/tracetape/*.h "$work/inc5/tracetape/"
sed -i 's|^#define __TT_NOP_ASM "990: nop\\n"$|#define __TT_NOP_ASM "990: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\\n"|' \
	"$work/inc5/tracetape/probe.h"
grep -q '0x0f, 0x1f, 0x44' "$work/inc5/tracetape/probe.h" || fail "probe.h's site instruction not found"
cc -O2 -mno-red-zone -I"$work/inc5" -o "$work/cprobe5" "$here/bench/goprobes/cprobe.c" ||
	fail "building cprobe.c with a 5-byte nop failed"

# one CONFIG N: one run of CONFIG, its CPU ns per iteration appended to $work/CONFIG
one() {
	case "$1" in
	empty | guarded) "$work/gpbench" "$1" "$2" >"$work/run.out" ;;
	go-plain) "$work/gpbench" probe "$2" >"$work/run.out" ;;
	go-probe) timeout 300 "$tt" record -q -o "$work/t.tape" 'usdt:gpbench:*' -- "$work/gpbench" probe "$2" >"$work/run.out" ;;
	c-plain) "$work/cprobe" "$2" >"$work/run.out" ;;
	c-probe) timeout 300 "$tt" record -q -o "$work/t.tape" 'usdt:gpbench:*' -- "$work/cprobe" "$2" >"$work/run.out" ;;
	c5-plain) "$work/cprobe5" "$2" >"$work/run.out" ;;
	c5-probe) timeout 300 "$tt" record -q -o "$work/t.tape" 'usdt:gpbench:*' -- "$work/cprobe5" "$2" >"$work/run.out" ;;
	func-plain) "$work/gpbench" func "$2" >"$work/run.out" ;;
	func-traced) timeout 600 "$tt" record -q -o "$work/t.tape" "go:$work/gpbench:main.query" -- "$work/gpbench" func "$2" >"$work/run.out" ;;
	esac || fail "$1 failed"
	get ns_per_iter "$work/run.out" >>"$work/$1"
	case "$1" in
	*-probe | func-traced)
		"$tt" info --json "$work/t.tape" >"$work/info.json" || fail "info of $1's tape failed"
		[ "$(jnum lost "$work/info.json")" = 0 ] || fail "$1 lost events"
		;;
	esac
}

configs="empty guarded go-plain go-probe c-plain c-probe c5-plain c5-probe func-plain func-traced"
for c in $configs; do : >"$work/$c"; done
for r in $(seq "$rounds"); do
	for c in $(rotated "$r" $configs); do
		log "round $r of $rounds: $c"
		case "$c" in
		empty | guarded) one "$c" "$iters" ;;
		*) one "$c" "$hits" ;;
		esac
	done
done

diff_of() { awk -v a="$(median "$work/$1")" -v b="$(median "$work/$2")" 'BEGIN { printf "%.2f", a - b }'; }
go_hit=$(diff_of go-probe go-plain)
c_hit=$(diff_of c-probe c-plain)
c5_hit=$(diff_of c5-probe c5-plain)
func_hit=$(diff_of func-traced func-plain)

echo "$title"
echo
echo "Load average when measured: $(cut -d' ' -f1-3 /proc/loadavg) (numbers taken above 1.5 are provisional)."
echo
echo "**While nothing traces** ($iters iterations a run; process CPU ns per iteration, median of $rounds):"
echo
echo "| loop | ns/iteration |"
echo "|---|---|"
echo "| \`sink += i\` | $(median "$work/empty") |"
echo "| the same, with \`if probes.QueryEnabled() { probes.Query(i, sql) }\` | $(median "$work/guarded") |"
echo "| **disabled probe's cost** | **$(diff_of guarded empty)** |"
echo
echo "The guard compiles to \`CMPW \$0, ttDesc+off(SB); JEQ\`: one load of the probe's semaphore"
echo "and one branch (the generated functions are inlined; the arguments are not passed)."
echo
echo "**While recording** ($hits hits a run, one event each; CPU ns per iteration of the traced"
echo "program, traced minus untraced, median of $rounds):"
echo
echo "| probe: \`(int64 id, string sql)\`, one event per hit | untraced | traced | **cost of a hit** | vs C |"
echo "|---|---|---|---|---|"
row() {
	echo "| $1 | $(median "$work/$2") | $(median "$work/$3") | **$4** | $(awk -v a="$4" -v b="$c_hit" 'BEGIN { printf "%.2fx", a / b }') |"
}
row "C: \`TT_PROBE(gpbench, query, i, sql)\` (1-byte nop)" c-plain c-probe "$c_hit"
row "C: the same, its site a 5-byte nop (\`-mno-red-zone\`)" c5-plain c5-probe "$c5_hit"
row "Go: generated \`probes.Query(i, sql)\` (5-byte nop, goroutine id)" go-plain go-probe "$go_hit"
row "Go: \`go:main.query\` traced from outside (entry and return)" func-plain func-traced "$func_hit"
echo
echo "The Go probe's site ends an assembly function with no frame, after it loaded the arguments"
echo "into registers (the BPF program reads no stack for them): a 5-byte nop, which a 6.18 kernel"
echo "turns into a call to its uprobe trampoline after the first hit (Go keeps nothing below the"
echo "stack pointer, so the call's push harms nothing); older kernels single-step it. The"
echo "goroutine id costs no read of memory: the probe function loads it from runtime.g into R15"
echo "before the nop. The second row is the C probe with the Go probe's kind of site: what the"
echo "Go probe costs beyond the C one is mostly what the kernel's path from a 5-byte nop costs"
echo "here beyond its path from a 1-byte one (the BPF program is the same, argument for argument)."
