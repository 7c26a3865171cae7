#!/bin/sh
# Bench section: tail capture (issue #22). Bytes written by `record --keep` against a full
# recording of the same run of the example service (examples/c-service) with 1 % slow requests
# (--slow-every 100): every probe of the service and its cache library, then the same with the
# scheduler and syscalls. The service's pacing keeps requests from queueing behind a slow one
# (one every 20 ms, 10 ms of work, 10 ms more when slow), so the requests over the 15 ms
# threshold are the slow ones, unless the machine stalls the service by 5 ms. Needs root.
#
#   bench/sections/34-tail.sh BUILD_DIR WORK_DIR
#   env: BENCH_TAIL_REQUESTS (default 1000)
set -u
build=$(cd "$1" && pwd) || exit 1
mkdir -p "$2" || exit 1
work=$(cd "$2" && pwd) || exit 1
tt="$build/tracetape"
n=${BENCH_TAIL_REQUESTS:-1000}
svc="$build/examples/c-service/c-service"
. "$(dirname "$0")/../lib.sh"

title="## Tail capture: bytes written by record --keep against a full recording (issue #22)"
log() { echo "tail: $*" >&2; }

[ "$(id -u)" = 0 ] || fail "needs root (BPF)"
[ -x "$svc" ] || fail "$svc is missing (built with the tree)"

# one NAME [record options...]: record a run of the service, keep the summary
one() {
	name=$1
	shift
	log "$name"
	timeout 600 "$tt" record -o "$work/$name.tape" "$@" 'usdt:svc:*' 'usdt:cache:*' -- \
		"$svc" --requests "$n" --sleep-us 20000 --slow-every 100 --slow-us 10000 \
		>"$work/$name.out" 2>"$work/$name.err" || fail "record $name failed: $(tail -3 "$work/$name.err")"
}
keep="svc:request > 15ms"
one full
one keep --keep "$keep"
one full_k --sched --syscalls
one keep_k --sched --syscalls --keep "$keep"
one none --keep "svc:nothing > 1ms" # no span kept: the tape's fixed part (description, counters)

bytes() { stat -c %s "$work/$1.tape"; }
events() { sed -n 's/.*recorded \([0-9]*\) events.*/\1/p' "$work/$1.err" | head -1; }
written() { sed -n 's/.*; \([0-9]*\) events written.*/\1/p' "$work/$1.err" | head -1; }
kept() { sed -n 's/.*--keep: \([0-9]*\) spans seen, \([0-9]*\) kept.*/\2 of \1/p' "$work/$1.err"; }
lost() { sed -n 's/.*events (\([0-9]*\) lost).*/\1/p' "$work/$1.err" | head -1; }
ratio() { awk -v a="$(bytes "$1")" -v b="$(bytes "$2")" 'BEGIN { printf "%.1f %%", 100 * a / b }'; }
# the same above the fixed part of a tape
ratio2() { awk -v a="$(bytes "$1")" -v b="$(bytes "$2")" -v z="$(bytes none)" \
	'BEGIN { printf "%.1f %%", 100 * (a - z) / (b - z) }'; }

echo "$title"
echo
awk '$1 > 1.5 { exit 1 }' /proc/loadavg ||
	{ echo "**Provisional**: measured with a load average above 1.5; measure again on a quiet machine."; echo; }
echo "examples/c-service, $n requests, every 100th slow (1 %); \`--keep '$keep'\`. Tape bytes of"
echo "one run each (the same program, the same requests); load average at the end:"
echo "$(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (the counts do not depend on it; the slow"
echo "requests over the threshold do, if the machine stalls the service by milliseconds)."
echo
echo "| recording | events recorded | events written | spans kept | lost | tape bytes | of full | of full, above the fixed part |"
echo "|---|---|---|---|---|---|---|---|"
echo "| full, service probes | $(events full) | $(events full) | all | $(lost full) | $(bytes full) | 100 % | 100 % |"
echo "| --keep, service probes | $(events keep) | $(written keep) | $(kept keep) | $(lost keep) | $(bytes keep) | $(ratio keep full) | $(ratio2 keep full) |"
echo "| full, + --sched --syscalls | $(events full_k) | $(events full_k) | all | $(lost full_k) | $(bytes full_k) | 100 % | 100 % |"
echo "| --keep, + --sched --syscalls | $(events keep_k) | $(written keep_k) | $(kept keep_k) | $(lost keep_k) | $(bytes keep_k) | $(ratio keep_k full_k) | $(ratio2 keep_k full_k) |"
echo "| --keep of no span: the fixed part | $(events none) | $(written none) | 0 | $(lost none) | $(bytes none) | | |"
echo
echo "A kept request brings every event its two threads recorded in its window (the main thread"
echo "that began it, the worker that ended it) and, with --sched, the switch-ins and wakeups of those"
echo "threads that others recorded in it; every other event, scheduler and syscall events"
echo "included, is left out and counted. The fixed part of a tape (the capture's description, the"
echo "processes, clock anchors) does not shrink: the last column compares what is above it, the"
echo "counters of all requests (seen, kept, dropped, a duration histogram) included. Requests over the"
echo "threshold besides the 1 % slow ones were stalled by the machine (see the load)."
