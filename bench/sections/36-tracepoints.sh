#!/bin/sh
# Bench section: attaching and detaching hundreds of kernel tracepoints (issue 23, problem 3).
# `tracetape record -v GLOB` is run by bench/stoptime, which sends SIGINT at the ready line and
# times: the start to the ready line (reading every format, loading BPF and attaching one perf
# event and link per tracepoint), SIGINT to the recorder's exit, and the background detach (the
# tt-detach processes, waited for by pid). The kernel makes each perf-event tracepoint wait for
# two RCU tasks-trace grace periods when it is detached, each under a global mutex; tt-detach
# overlaps the two waits of successive tracepoints in two processes. Globs: the 720 syscall
# tracepoints and every tracepoint tracefs can enable. Needs root. The machine is shared: load
# at the start is printed with the table.
#
#   bench/sections/36-tracepoints.sh BUILD_DIR WORK_DIR
#   env: BENCH_TP_ROUNDS (default 2)
set -u
title="## Tracepoints: attaching and detaching hundreds (issue 23)"
log() { echo "36-tracepoints: $*" >&2; }
. "$(dirname "$0")/../lib.sh"

build=$(cd "$1" && pwd) || exit 1
mkdir -p "$2" || exit 1
work=$(cd "$2" && pwd) || exit 1
rounds=${BENCH_TP_ROUNDS:-2}
[ "$(id -u)" -eq 0 ] || fail "needs root (BPF programs, tracepoints)."
for f in "$build/tracetape" "$build/bench/stoptime"; do
	[ -x "$f" ] || fail "\`$f\` is missing (build with \`make\` first)."
done
load=$(cut -d' ' -f1 /proc/loadavg)

for r in $(seq "$rounds"); do
	for g in syscalls all; do
		glob='tracepoint:syscalls:*'
		[ "$g" = all ] && glob='tracepoint:*:*'
		# an earlier recording's detach holds the same kernel mutexes: wait it out (bounded)
		i=0
		while [ $i -lt 900 ] && pgrep -x tt-detach >/dev/null; do
			sleep 1
			i=$((i + 1))
		done
		log "round $r/$rounds: $glob"
		"$build/bench/stoptime" --timeout 300 --detach-timeout 900 -- "$build/tracetape" \
			record -v -o "$work/tp.tape" "$glob" >"$work/$g-$r.out" 2>"$work/$g-$r.err"
		echo $? >"$work/$g-$r.rc"
		sed -n 's/.*recording [0-9]* probes (\([0-9]*\) tracepoints.*/\1/p' "$work/$g-$r.err" \
			| head -1 >"$work/$g-$r.n"
		rm -f "$work/tp.tape"
	done
done

echo "$title"
echo
echo "Load average at the start: $load (provisional above 1.5). Medians of $rounds rounds (min-max)."
echo
echo "| glob | tracepoints | start to ready (s) | SIGINT to exit (s) | background detach (s) | per tracepoint (ms) |"
echo "|---|---:|---:|---:|---:|---:|"
for g in syscalls all; do
	glob='tracepoint:syscalls:*'
	[ "$g" = all ] && glob='tracepoint:*:*'
	: >"$work/$g.ready"; : >"$work/$g.exit"; : >"$work/$g.detach"; : >"$work/$g.per"
	n=""
	for r in $(seq "$rounds"); do
		[ "$(cat "$work/$g-$r.rc")" = 0 ] || continue
		n=$(cat "$work/$g-$r.n")
		get ready_ms "$work/$g-$r.out" >>"$work/$g.ready"
		get exit_ms "$work/$g-$r.out" >>"$work/$g.exit"
		d=$(get detach_ms "$work/$g-$r.out")
		echo "$d" >>"$work/$g.detach"
		[ -n "$n" ] && awk -v d="$d" -v n="$n" 'BEGIN { printf "%.1f\n", d / n }' >>"$work/$g.per"
	done
	fmt() { stats "$1" | awk -v k="$2" '{ printf "%.*f (%.*f-%.*f)", k ? 1 : 2, $1 / (k ? 1 : 1000), k ? 1 : 2, $2 / (k ? 1 : 1000), k ? 1 : 2, $3 / (k ? 1 : 1000) }'; }
	if [ ! -s "$work/$g.ready" ]; then
		echo "| \`$glob\` | | failed: see $work/$g-1.err | | | |"
		continue
	fi
	echo "| \`$glob\` | $n | $(fmt "$work/$g.ready" 0) | $(fmt "$work/$g.exit" 0) | $(fmt "$work/$g.detach" 0) | $(fmt "$work/$g.per" 1) |"
done
echo
echo "Attach and stop take seconds; the kernel's detach cost (two grace periods per tracepoint,"
echo "serialized by global mutexes) is paid by tt-detach after the recording has ended."
