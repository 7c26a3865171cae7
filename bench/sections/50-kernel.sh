#!/bin/sh
# Bench section: recording kernel tracepoints (issue #8). What `tracetape record --syscalls`
# costs the recorded program per syscall, and `--sched` per context switch, next to the same
# workload unrecorded and recorded by `perf record` on the same tracepoints. Workloads
# (bench/kbench, pinned to CPU 0 so that the tracer's own work can run on the other CPU):
#   getpid N     N getpid syscalls (two events each: raw_syscalls sys_enter and sys_exit)
#   pingpong N   two threads hand a token back and forth through pipes on one CPU: 2 N switches
# The primary metric is the workload's own CPU time per operation (CLOCK_PROCESS_CPUTIME_ID:
# the tracepoints' handlers run on its time); wall time per operation is secondary. The machine
# is a noisy shared VM: configurations are interleaved round-robin over ROUNDS rounds (order
# rotated each round); medians (min–max) are reported. Needs root (BPF, perf tracepoints).
#
#   bench/sections/50-kernel.sh BUILD_DIR WORK_DIR
#   env: BENCH_KERNEL_ROUNDS (default 7), BENCH_KERNEL_SYSCALLS (default 500000),
#        BENCH_KERNEL_PINGPONGS (default 100000 round trips)
set -u
build=$(cd "$1" && pwd) || exit 1
mkdir -p "$2" || exit 1
work=$(cd "$2" && pwd) || exit 1
tt="$build/tracetape"
kb="$build/bench/kbench"
rounds=${BENCH_KERNEL_ROUNDS:-7}
nsys=${BENCH_KERNEL_SYSCALLS:-500000}
npp=${BENCH_KERNEL_PINGPONGS:-100000}
run_to=300 # seconds: bound on any one measured command

title="## Kernel tracepoints: cost per syscall and per context switch (issue #8)"
log() { echo "kernel: $*" >&2; }
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" -eq 0 ] || fail "needs root (BPF programs, tracepoints)."
for f in "$tt" "$kb"; do
	[ -x "$f" ] || fail "\`$f\` is missing (build with \`make\` first)."
done
"$tt" check -q >/dev/null 2>&1 || fail "\`tracetape check\` fails: BPF does not work here."
have_perf=0
perf_note="perf not installed"
if command -v perf >/dev/null 2>&1; then
	if perf record -q -o "$work/perf-check.data" -e raw_syscalls:sys_enter -- true >/dev/null 2>"$work/perf-check.err"; then
		have_perf=1
		perf_note=$(perf --version 2>/dev/null)
	else
		perf_note="perf cannot record tracepoints here (see $work/perf-check.err)"
	fi
	rm -f "$work/perf-check.data"
fi
log "perf: $perf_note"

# --- one run of each configuration -------------------------------------------------------
# Each appends to $work/<config>.cpu, .wall (ns per operation), .events, .lost (per run).

# measure CONFIG OUTFILE: the workload's own numbers
measure() { # (sh has no locals: names distinct from the callers')
	m_cpu=$(get cpu_ns_per_op "$2")
	m_wall=$(get wall_ns_per_op "$2")
	[ -n "$m_cpu" ] && [ -n "$m_wall" ] || { log "error: $1: the workload printed nothing"; return 1; }
	echo "$m_cpu" >>"$work/$1.cpu"
	echo "$m_wall" >>"$work/$1.wall"
}

# the tape's events and losses
tape_counts() {
	"$tt" info --json "$2" >"$work/$1.json" 2>"$work/$1.info.err" || { cat "$work/$1.info.err" >&2; return 1; }
	jnum events "$work/$1.json" >>"$work/$1.events"
	jnum lost "$work/$1.json" >>"$work/$1.lost"
	rm -f "$2"
}

# perf.data's samples and lost samples of the tracepoints it recorded
perf_counts() {
	perf report -i "$2" --stats >"$work/$1.stats" 2>/dev/null
	awk '/^[a-z_]+:[a-z_]+ stats:$/ { on = 1; next }
	     on && /SAMPLE events:/ && !/LOST/ { s += $3 }
	     on && /LOST_SAMPLES events:/ { l += $3 }
	     END { print s + 0; print l + 0 > "/dev/stderr" }' "$work/$1.stats" >>"$work/$1.events" 2>>"$work/$1.lost"
	rm -f "$2" "$2.old"
}

run_config() {
	c=$1
	out="$work/$c.out"
	err="$work/$c.err"
	case $c in
	sys-none) timeout -k 5 $run_to "$kb" getpid "$nsys" >"$out" 2>"$err" ;;
	sys-tt) timeout -k 5 $run_to "$tt" record -q -o "$work/t.tape" --syscalls -- "$kb" getpid "$nsys" >"$out" 2>"$err" ;;
	sys-perf) timeout -k 5 $run_to perf record -q -o "$work/p.data" \
		-e raw_syscalls:sys_enter,raw_syscalls:sys_exit -- "$kb" getpid "$nsys" >"$out" 2>"$err" ;;
	pp-none) timeout -k 5 $run_to "$kb" pingpong "$npp" >"$out" 2>"$err" ;;
	pp-tt) timeout -k 5 $run_to "$tt" record -q -o "$work/t.tape" --sched -- "$kb" pingpong "$npp" >"$out" 2>"$err" ;;
	pp-tt1) timeout -k 5 $run_to "$tt" record -q -o "$work/t.tape" tracepoint:sched:sched_switch -- \
		"$kb" pingpong "$npp" >"$out" 2>"$err" ;;
	pp-perf) timeout -k 5 $run_to perf record -q -o "$work/p.data" -e sched:sched_switch -- \
		"$kb" pingpong "$npp" >"$out" 2>"$err" ;;
	esac || { log "error: $c failed:"; cat "$err" >&2; return 1; }
	measure "$c" "$out" || return 1
	case $c in
	*-tt|*-tt1) tape_counts "$c" "$work/t.tape" ;;
	*-perf) perf_counts "$c" "$work/p.data" ;;
	esac
}

rm -f "$work"/*.cpu "$work"/*.wall "$work"/*.events "$work"/*.lost
configs="sys-none sys-tt pp-none pp-tt pp-tt1"
[ $have_perf = 1 ] && configs="$configs sys-perf pp-perf"
t_start=$(date +%s)
for r in $(seq "$rounds"); do
	for c in $(rotated "$r" $configs); do
		log "round $r/$rounds: $c"
		run_config "$c" || log "error: $c failed in round $r"
	done
done
log "done in $(($(date +%s) - t_start)) s"

# --- the table --------------------------------------------------------------------------
col() { # FILE -> "median (min–max)"
	s=$(stats "$1")
	[ -n "$s" ] || { echo "failed"; return; }
	echo "$s" | awk '{ printf "%.0f (%.0f–%.0f)", $1, $2, $3 }'
}
added() { # CONFIG BASE -> median CONFIG cpu - median BASE cpu, and the ratio
	a=$(median "$work/$1.cpu")
	b=$(median "$work/$2.cpu")
	[ -n "$a" ] && [ -n "$b" ] || { echo "n/a | n/a"; return; }
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.0f | %.2f×", a - b, a / b }'
}
evcol() { # CONFIG -> "events / lost" medians per run
	e=$(median "$work/$1.events" | awk '{ if ($1 != "") printf "%.0f", $1 }')
	l=$(stats "$work/$1.lost" | awk '{ if ($3 == 0) print "0"; else printf "%d (%d–%d)", $1, $2, $3 }')
	[ -n "$e" ] || { echo "–"; return; }
	echo "$e / ${l:-?}"
}
row() { # CONFIG BASE LABEL
	if [ -s "$work/$1.cpu" ]; then
		if [ "$1" = "$2" ]; then
			printf '| %s | %s | – | – | %s | – |\n' "$3" "$(col "$work/$1.cpu")" "$(col "$work/$1.wall")"
		else
			printf '| %s | %s | %s | %s | %s |\n' "$3" "$(col "$work/$1.cpu")" "$(added "$1" "$2")" \
				"$(col "$work/$1.wall")" "$(evcol "$1")"
		fi
	else
		printf '| %s | %s | | | | |\n' "$3" "${4:-failed (see stderr)}"
	fi
}
perf_missing=""
[ $have_perf = 1 ] || perf_missing="not measured: $perf_note"
sys_tt=$(added sys-tt sys-none | cut -d' ' -f1)
sys_perf=$(added sys-perf sys-none | cut -d' ' -f1)
pp_tt=$(added pp-tt pp-none | cut -d' ' -f1)
pp_tt1=$(added pp-tt1 pp-none | cut -d' ' -f1)
pp_perf=$(added pp-perf pp-none | cut -d' ' -f1)

cat <<EOF
$title

\`bench/kbench\` (pinned to CPU 0) runs a syscall loop (\`getpid N\`: $nsys calls of getpid
through syscall(2), two events each when recorded: raw_syscalls sys_enter and sys_exit) and a
context-switch loop (\`pingpong N\`: two threads on one CPU hand a token through two pipes
$npp times, $((2 * npp)) switches), and reports its own CPU time per operation
(CLOCK_PROCESS_CPUTIME_ID: the tracepoint handlers run on the traced program's time; primary)
and wall time per operation (secondary; it also counts waiting for the CPU). Recorded by
\`tracetape record --syscalls -- …\`, \`tracetape record --sched -- …\` (six scheduler
tracepoints: switch, wakeup, wakeup_new, fork, exec, exit; the pingpong's wakeups are recorded
too), \`tracetape record tracepoint:sched:sched_switch -- …\` (the one tracepoint perf
records), and \`perf record -e raw_syscalls:sys_enter,raw_syscalls:sys_exit -- …\` / \`perf
record -e sched:sched_switch -- …\` (to perf.data; its events and LOST_SAMPLES from \`perf
report --stats\`). $rounds rounds, configurations interleaved round-robin (order rotated each
round), median (min–max); load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs at the
end. perf: $perf_note.

| configuration | CPU ns/op, median (min–max) | added CPU ns/op | × unrecorded | wall ns/op | events / lost per run |
|---|---|---|---|---|---|
$(row sys-none sys-none "getpid, unrecorded")
$(row sys-tt sys-none "getpid, \`tracetape record --syscalls\`")
$(row sys-perf sys-none "getpid, \`perf record -e raw_syscalls:sys_enter,sys_exit\`" "$perf_missing")
$(row pp-none pp-none "pingpong (per switch), unrecorded")
$(row pp-tt pp-none "pingpong, \`tracetape record --sched\`")
$(row pp-tt1 pp-none "pingpong, \`tracetape record tracepoint:sched:sched_switch\`")
$(row pp-perf pp-none "pingpong, \`perf record -e sched:sched_switch\`" "$perf_missing")

Recording costs the traced program ${sys_tt} ns of CPU per syscall with \`--syscalls\` (perf:
${sys_perf} ns) and ${pp_tt} ns per context switch with \`--sched\` (sched_switch alone: ${pp_tt1}
ns; perf: ${pp_perf} ns). Events / lost are per run: a perf run that loses events is cheaper per
operation than one that keeps them all, so compare the costs together with that column.
EOF
