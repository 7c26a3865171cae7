#!/bin/sh
# Bench section: the trap-free path (issue #24). What one recorded event costs the thread that
# fires it, for a probe with two integers and a probe with a string and an integer
# (bench/fastpath_bench.c), side by side in one run: tracetape's fast path (`record --fast`, a
# program built with -DTT_FASTPATH), tracetape's BPF path (the same binary, `record` without
# --fast: a uprobe trap per hit), LTTng-UST (tracepoints of the same payloads, an lttng session
# recording them), and the fast-path binary with nobody recording. Cost is the firing thread's
# CPU time per hit (user and kernel: a trap and its BPF program run on the thread's time);
# configurations are interleaved round-robin over ROUNDS rounds and reported as median
# (min–max), with the events each tool lost. Then what the string costs by where it lives (the
# binary, malloc's brk heap, an anonymous mapping: the fast path copies the last through the
# kernel), fast path against BPF path. Then the zero-loss rate of the fast path from one
# thread: paced rates, the highest one with nothing lost.
#
#   bench/sections/37-fastpath.sh BUILD_DIR WORK_DIR
#   env: BENCH_FAST_ROUNDS (default 5), BENCH_FAST_HITS (default 800000, at most that: the fast
#        path's rings hold that many; the BPF path gets a tenth), BENCH_FAST_SWEEP_SECONDS
#        (default 2)
set -u
build=$(cd "$1" && pwd) || exit 1
mkdir -p "$2" || exit 1
work=$(cd "$2" && pwd) || exit 1
here=$(cd "$(dirname "$0")/../.." && pwd)
tt="$build/tracetape"
rounds=${BENCH_FAST_ROUNDS:-5}
n=${BENCH_FAST_HITS:-800000}
n_bpf=$((n / 10))
sweep_s=${BENCH_FAST_SWEEP_SECONDS:-2}
sweep_rates="250000 500000 1000000 2000000 4000000 8000000 max"
run_to=300 # seconds: bound on any one measured command
. "$(dirname "$0")/../lib.sh"

title="## Fast path: cost per event against the BPF path and LTTng-UST (issue #24)"
log() { echo "fastpath: $*" >&2; }

sessiond=""
cleanup() {
	[ -n "$sessiond" ] && kill "$sessiond" 2>/dev/null && wait "$sessiond" 2>/dev/null
	sessiond=""
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

[ "$(id -u)" -eq 0 ] || fail "needs root (BPF programs, uprobes)."
[ -x "$tt" ] || fail "\`$tt\` is missing (build with \`make\` first)."
fb="$work/fastpath_bench"
fbl="$work/fastpath_bench_lttng"
gcc -O2 -g -DTT_FASTPATH -I"$here/sdk/include" -o "$fb" "$here/bench/fastpath_bench.c" ||
	fail "bench/fastpath_bench.c does not build."

# LTTng-UST: the tracepoints built in, and a session daemon (ours unless one runs already)
lttng_note=""
if ! gcc -O2 -g -DWITH_LTTNG -I"$here/bench" -o "$fbl" "$here/bench/fastpath_bench.c" \
	-llttng-ust -ldl 2>"$work/lttng-build.err"; then
	lttng_note="LTTng-UST not installed (scripts/deps.sh bench installs liblttng-ust-dev)"
elif ! command -v lttng >/dev/null 2>&1 || ! command -v lttng-sessiond >/dev/null 2>&1; then
	lttng_note="lttng-tools not installed (scripts/deps.sh bench installs it)"
elif ! lttng list >/dev/null 2>&1; then
	lttng-sessiond --no-kernel >"$work/sessiond.log" 2>&1 &
	sessiond=$!
	i=0
	while [ $i -lt 100 ] && ! lttng list >/dev/null 2>&1; do
		sleep 0.1
		i=$((i + 1))
	done
	lttng list >/dev/null 2>&1 || lttng_note="lttng-sessiond did not start (see $work/sessiond.log)"
fi
[ -z "$lttng_note" ] && lttng_note="LTTng-UST $(lttng --version 2>/dev/null | sed 's/^lttng //')"
log "$lttng_note"

# tt_run PREFIX HITS PAYLOAD [--fast] [RATE]: the workload under tracetape record -- CMD;
# appends ns (CPU per hit), wall, lost, and events to PREFIX.* ($bufsz: record's buffer option)
bufsz=""
tt_run() {
	pfx=$1 hits=$2 pay=$3 fast=${4:-} rate=${5:-}
	set -- "$fb" "$hits" "$pay"
	[ -n "$rate" ] && set -- "$@" --rate "$rate"
	probe=$pay
	case $pay in heap | mapped) probe=str ;; esac
	timeout -k 5 $run_to "$tt" record $fast $bufsz -o "$work/t.tape" "usdt:ttbench:$probe" -- "$@" \
		>"$work/t.out" 2>"$work/t.err" || { cat "$work/t.err" >&2; return 1; }
	m=$(sed -n 's/.*recorded \([0-9]*\) events (\([0-9]*\) lost).*/\1 \2/p' "$work/t.err")
	[ -n "$m" ] && [ -n "$(get ns_per_hit "$work/t.out")" ] || { cat "$work/t.err" >&2; return 1; }
	get ns_per_hit "$work/t.out" >>"$pfx.ns"
	get wall_ns_per_hit "$work/t.out" >>"$pfx.wall"
	get rate "$work/t.out" >>"$pfx.rate"
	echo "$m" | cut -d' ' -f2 >>"$pfx.lost"
	# events recorded, less the process records (exec, exit) and the warm-up hit
	echo "$m" | awk '{ print $1 - 3 }' >>"$pfx.events"
}

lt_run() {
	pfx=$1 pay=$2
	lttng create ttbench --output="$work/lttng-trace" >/dev/null 2>&1 &&
		lttng enable-event -u "ttbench:$pay" >/dev/null 2>&1 &&
		lttng start >/dev/null 2>&1 || { log "error: lttng session setup failed"; return 1; }
	timeout -k 5 $run_to "$fbl" "$n" "$pay" >"$work/l.out"
	st=$?
	lttng stop >"$work/l.stop" 2>&1
	lttng destroy >/dev/null 2>&1
	rm -rf "$work/lttng-trace"
	[ $st -eq 0 ] || return 1
	get ns_per_hit "$work/l.out" >>"$pfx.ns"
	get wall_ns_per_hit "$work/l.out" >>"$pfx.wall"
	d=$(sed -n 's/.* \([0-9]*\) events were discarded.*/\1/p' "$work/l.stop")
	echo "${d:-0}" >>"$pfx.lost"
}

none_run() {
	timeout -k 5 $run_to "$fb" "$n" "$1" >"$work/n.out" || return 1
	get ns_per_hit "$work/n.out" >>"$work/none.$1.ns"
	get wall_ns_per_hit "$work/n.out" >>"$work/none.$1.wall"
	echo 0 >>"$work/none.$1.lost"
}

rm -f "$work"/*.ns "$work"/*.wall "$work"/*.lost "$work"/*.rate "$work"/*.events
configs="none fast bpf"
case $lttng_note in LTTng-UST*) configs="$configs lttng" ;; esac
load0=$(cut -d' ' -f1 /proc/loadavg)
r=1
while [ $r -le "$rounds" ]; do
	for c in $(rotated "$r" $configs); do
		pays="two str"
		case $c in fast | bpf) pays="two str heap mapped" ;; esac
		for pay in $pays; do
			log "round $r/$rounds: $c $pay"
			case $c in
			none) none_run "$pay" ;;
			# rings of 64 MiB: every event of a run fits, so the cost is that of
			# recorded events, whatever the recorder's share of the CPU
			fast) bufsz="--buffer-size 256M" && tt_run "$work/fast.$pay" "$n" "$pay" --fast ;;
			bpf) bufsz="" && tt_run "$work/bpf.$pay" "$n_bpf" "$pay" ;;
			lttng) lt_run "$work/lttng.$pay" "$pay" ;;
			esac || fail "the $c run of the $pay probe failed (see the log above)."
		done
	done
	r=$((r + 1))
done

# zero-loss rate of the fast path, one thread
bufsz=""
for rate in $sweep_rates; do
	hits=$((${rate#max} + 0))
	[ "$rate" = max ] && hits=$((n * 5))
	[ "$rate" != max ] && hits=$((rate * sweep_s))
	log "sweep: $rate/s"
	tt_run "$work/sweep.$rate" "$hits" two --fast "$rate" || fail "the sweep at $rate/s failed."
done
load1=$(cut -d' ' -f1 /proc/loadavg)

# cell FILE: "median (min–max)" of FILE's numbers
cell() {
	s=$(stats "$1")
	[ -n "$s" ] || { echo "n/a"; return; }
	echo "$s" | awk '{ if ($2 == $3) printf "%s", $1; else printf "%s (%s–%s)", $1, $2, $3 }'
}
total() { [ -s "$1" ] && awk '{ s += $1 } END { print s }' "$1" || echo "n/a"; }

label() {
	case $1 in
	none) echo "-DTT_FASTPATH build, not recorded" ;;
	fast) echo "tracetape fast path (\`record --fast\`)" ;;
	bpf) echo "tracetape BPF path (\`record\`, uprobe trap)" ;;
	lttng) echo "LTTng-UST" ;;
	esac
}

echo "$title"
echo
echo "One thread fires a probe in a tight loop (bench/fastpath_bench.c): \`two\` has two integer"
echo "arguments, \`str\` a string (4–11 bytes) and an integer. Cost is the thread's CPU time per"
echo "hit, median (min–max) of $rounds rounds, the configurations interleaved; $n hits a run"
echo "($n_bpf for the BPF path); the fast path runs with \`--buffer-size 256M\` (64 MiB rings: a"
echo "run fits). Lost: events the tool dropped, all rounds together. $lttng_note."
echo "Load average $load0 at the start, $load1 at the end: numbers taken with a load above 1.5"
echo "are provisional."
echo
echo "| configuration | two integers: ns/event | wall ns | lost | string + integer: ns/event | wall ns | lost |"
echo "|---|---|---|---|---|---|---|"
for c in none fast bpf lttng; do
	[ -s "$work/$c.two.ns" ] || [ -s "$work/none.two.ns" -a $c = none ] || continue
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$(label $c)" \
		"$(cell "$work/$c.two.ns")" "$(median "$work/$c.two.wall")" "$(total "$work/$c.two.lost")" \
		"$(cell "$work/$c.str.ns")" "$(median "$work/$c.str.wall")" "$(total "$work/$c.str.lost")"
done
echo
echo "The string probe by where its string lives: in the binary (\`str\` above), in malloc's brk"
echo "heap, in an anonymous mapping (where a thread's malloc arena is). The fast path reads the"
echo "first two directly and asks the kernel for the third (process_vm_readv, which faults"
echo "safely); the BPF path reads all three alike. ns/event, median (min–max):"
echo
echo "| configuration | binary | brk heap | mapping |"
echo "|---|---|---|---|"
for c in fast bpf; do
	printf '| %s | %s | %s | %s |\n' "$(label $c)" "$(cell "$work/$c.str.ns")" \
		"$(cell "$work/$c.heap.ns")" "$(cell "$work/$c.mapped.ns")"
done
echo
echo "Zero-loss rate of the fast path from one thread (\`two\`, default 4 MiB rings, paced, ${sweep_s} s a rate; \`max\`:"
echo "$((n * 5)) hits unpaced):"
echo
echo "| asked | achieved events/s | recorded | lost |"
echo "|---|---|---|---|"
best=0
for rate in $sweep_rates; do
	ach=$(median "$work/sweep.$rate.rate")
	lost=$(total "$work/sweep.$rate.lost")
	printf '| %s | %s | %s | %s |\n' "$rate" "$ach" "$(total "$work/sweep.$rate.events")" "$lost"
	[ "$lost" = 0 ] && best=$ach
done
echo
echo "Highest rate with nothing lost: $best events/s."
