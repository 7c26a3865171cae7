#!/bin/sh
# Bench section: Go function tracing (issue #7). The cost of one call of a traced Go function
# (an entry probe after the prologue and an exit probe on its RET, with an int and a string
# argument and the goroutine id) against the same call untraced, measured on bench/go: the
# process's CPU time per call is the primary figure (the uprobe traps run on the traced
# thread), wall time the secondary one. Rounds alternate the two configurations; medians.
#
#   bench/sections/60-go.sh BUILD_DIR WORK_DIR     (BENCH_GO_CALLS, BENCH_GO_ROUNDS to resize)
set -u
build=$1
work=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
tt="$build/tracetape"
go=/usr/lib/go-1.19/bin/go
calls=${BENCH_GO_CALLS:-200000}
rounds=${BENCH_GO_ROUNDS:-5}

echo "## Go functions (issue #7)"
echo
if [ ! -x "$go" ]; then
	echo "Not measured: Debian's golang-1.19-go is missing (scripts/deps.sh bench installs it)."
	exit 0
fi
export HOME="$work/home" GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$HOME"
echo "60-go: building bench/go" >&2
(cd "$here/bench/go" && "$go" build -o "$work/gobench" .) || exit 1

get() { sed -n "s/^$1=//p" "$2"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

row() { # FUNC KIND LABEL: measure FUNC (work|leaf) untraced and traced, print a table row
	: >"$work/$1.plain.cpu"; : >"$work/$1.plain.wall"; : >"$work/$1.traced.cpu"; : >"$work/$1.traced.wall"
	for r in $(seq "$rounds"); do
		echo "60-go: $1, round $r of $rounds" >&2
		timeout 120 "$work/gobench" "$1" "$calls" >"$work/plain.out" || return 1
		get ns_per_call "$work/plain.out" >>"$work/$1.plain.cpu"
		get wall_ns_per_call "$work/plain.out" >>"$work/$1.plain.wall"
		timeout 300 "$tt" record -q -o "$work/go.tape" "go:$work/gobench:$2" -- \
			"$work/gobench" "$1" "$calls" >"$work/traced.out" || return 1
		get ns_per_call "$work/traced.out" >>"$work/$1.traced.cpu"
		get wall_ns_per_call "$work/traced.out" >>"$work/$1.traced.wall"
	done
	pc=$(median <"$work/$1.plain.cpu"); tc=$(median <"$work/$1.traced.cpu")
	pw=$(median <"$work/$1.plain.wall"); tw=$(median <"$work/$1.traced.wall")
	lost=$("$tt" info --json "$work/go.tape" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lost"])')
	echo "| \`$2\` ($3) | $pc | $tc | **$(echo "$tc - $pc" | bc -l | xargs printf '%.0f')** | $(echo "$tw - $pw" | bc -l | xargs printf '%.0f') | $lost |"
}

echo "bench/go calls the function $calls times per run, $rounds rounds alternating untraced and"
echo "\`tracetape record 'go:BIN:FUNC' -- BIN\` (entry and exit probes, the int and string arguments,"
echo "the result, the goroutine id); medians of the process's CPU time per call, in ns."
echo
echo "| function | untraced | traced | **cost of tracing a call** | (wall clock) | lost |"
echo "|---|---|---|---|---|---|"
row work main.Work "entry on the stack check's jbe: emulated" || exit 1
row leaf main.Leaf "leaf, entry single-stepped" || exit 1
echo
echo "Each traced call takes two uprobe traps. The kernel emulates a conditional jump, so the"
echo "entry probe on Go's stack check costs about what a USDT hit costs; a leaf function's first"
echo "instruction and every RET are single-stepped out of line (a second trap), which this"
echo "virtual machine makes expensive. A call whose stack must grow hits the jbe twice; the"
echo "BPF program ignores the hit whose branch goes to morestack, so entries are never doubled."
