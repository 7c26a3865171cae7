#!/bin/sh
# Bench section: call stacks (issue #22). What `record --stack` costs the traced program per
# probe hit, in both modes (fp: frame-pointer walk; dwarf: a copy of 8 KiB of stack and the
# registers), against the same recording without stacks, no tracer, bpftrace's ustack
# (aggregated in the kernel: `@[ustack] = count()`, the cheapest way bpftrace has) and
# `perf record --call-graph fp` and `dwarf,8192` on the same probe (perf probe sdt_stk:leaf).
# The program is tests/fixtures/stack_fixture.c built with frame pointers: stk:leaf fires N
# times five frames deep (main, stk_outer, stk_middle, stk_inner, the C library's start); every
# tool traces stk:leaf only. The cost is the fixture's own CPU time (user + system: the trap and
# the BPF program run on it) per stk:leaf hit, measured by /usr/bin/time, medians (min-max) of
# ROUNDS interleaved rounds. Needs root; perf's rows need perf (scripts/deps.sh bench).
#
#   bench/sections/33-stacks.sh BUILD_DIR WORK_DIR
#   env: BENCH_STACK_ROUNDS (default 5), BENCH_STACK_HITS (default 1000000), BENCH_STACK_COPY_HITS
#   (default 100000: the runs that copy 8 KiB a hit, perf's dwarf mode writing it all to disk),
#   BENCH_KSTACK_HITS (default 1000000: system calls of the kernel-stack rows)
#
# Kernel stacks (record --stack tracepoint:...): a loop of N getppid() system calls recorded
# through raw_syscalls:sys_enter, without and with its kernel stack, against no tracer: the
# loop's CPU time per call, as above.
set -u
build=$(cd "$1" && pwd) || exit 1
mkdir -p "$2" || exit 1
work=$(cd "$2" && pwd) || exit 1
here=$(cd "$(dirname "$0")/../.." && pwd)
tt="$build/tracetape"
rounds=${BENCH_STACK_ROUNDS:-5}
n=${BENCH_STACK_HITS:-1000000}
mc=${BENCH_STACK_COPY_HITS:-100000}
kn=${BENCH_KSTACK_HITS:-1000000}
. "$(dirname "$0")/../lib.sh"

title="## Call stacks: cost per probe hit with record --stack (issue #22)"
log() { echo "stacks: $*" >&2; }

[ "$(id -u)" = 0 ] || fail "needs root (BPF)"
[ -x /usr/bin/time ] || fail "/usr/bin/time is missing (scripts/deps.sh bench installs time)"
fix="$work/stack_fixture"
gcc -O2 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls -I"$here/sdk/include" \
	-o "$fix" "$here/tests/fixtures/stack_fixture.c" || fail "cannot build the fixture"
have_bpftrace=0
command -v bpftrace >/dev/null 2>&1 && have_bpftrace=1
# perf: the fixture's USDT probe as an event (sdt_stk:leaf), removed again at the end
have_perf=0
perf_off() {
	perf probe -q -d sdt_stk:leaf >/dev/null 2>&1
	perf buildid-cache --purge "$fix" >/dev/null 2>&1
}
if command -v perf >/dev/null 2>&1; then
	perf_off
	perf buildid-cache --add "$fix" >/dev/null 2>&1 &&
		perf probe -q -x "$fix" sdt_stk:leaf >/dev/null 2>&1 && have_perf=1
fi
# the kernel-stack rows' program: N system calls, nothing else
sys="$work/syscall_loop"
printf '%s\n' '#include <stdlib.h>' '#include <sys/syscall.h>' '#include <unistd.h>' \
	'int main(int c, char **v) { long n = c > 1 ? atol(v[1]) : 0;' \
	'for (long i = 0; i < n; i++) syscall(SYS_getppid); return 0; }' >"$work/syscall_loop.c"
gcc -O2 -o "$sys" "$work/syscall_loop.c" || fail "cannot build the system-call loop"
hits() { case $1 in stackdw|perfdw) echo $mc ;; k*) echo $kn ;; *) echo $n ;; esac; }

# one CONFIG ROUND: run the fixture under CONFIG, append its CPU ns per hit to $work/CONFIG
one() {
	t="$work/$1.$2.time"
	k=$(hits "$1")
	timed="/usr/bin/time -f %U_%S -o $t $fix $k"
	ktimed="/usr/bin/time -f %U_%S -o $t $sys $k"
	case $1 in
	none) $timed >/dev/null ;;
	knone) $ktimed ;;
	krecord) timeout 300 "$tt" record -q -o "$work/kr.tape" tracepoint:raw_syscalls:sys_enter \
		-- $ktimed ;;
	kstack) timeout 300 "$tt" record -o "$work/ks.tape" --stack tracepoint:raw_syscalls:sys_enter \
		tracepoint:raw_syscalls:sys_enter -- $ktimed 2>"$work/ks.err" ;;
	record) timeout 300 "$tt" record -q -o "$work/r.tape" "usdt:$fix:stk:leaf" -- $timed ;;
	stack) timeout 300 "$tt" record -q -o "$work/s.tape" --stack stk:leaf "usdt:$fix:stk:leaf" \
		-- $timed ;;
	stackdw) timeout 300 "$tt" record -o "$work/d.tape" --stack-mode dwarf --stack stk:leaf \
		"usdt:$fix:stk:leaf" -- $timed 2>"$work/d.err" ;;
	perffp|perfdw)
		cg=fp
		[ "$1" = perfdw ] && cg=dwarf,8192
		timeout 600 perf record -q -e sdt_stk:leaf --call-graph $cg -o "$work/p.data" -- $timed \
			>/dev/null 2>&1
		perf_bytes=$(stat -c %s "$work/p.data" 2>/dev/null)
		echo "${perf_bytes:-0}" >"$work/$1.bytes"
		rm -f "$work/p.data" ;;
	bpftrace)
		# attached system-wide (with -c it would look for the probe in /usr/bin/time);
		# bpftrace says "Attaching" before it has attached: give it time
		timeout 300 bpftrace -e "usdt:$fix:stk:leaf { @[ustack] = count(); }" \
			>"$work/bt.out" 2>&1 &
		bt=$!
		i=0
		while [ $i -lt 100 ] && ! grep -q Attaching "$work/bt.out" 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
		sleep 3
		$timed
		kill -INT $bt 2>/dev/null
		wait $bt
		grep -q "]: [0-9]" "$work/bt.out" || { log "bpftrace saw no stack"; rm -f "$t"; } ;;
	esac || { log "$1 round $2 failed"; return; }
	[ -s "$t" ] && tr _ ' ' <"$t" | awk -v n=$k '{ printf "%.0f\n", ($1 + $2) * 1e9 / n }' \
		>>"$work/$1"
}

configs="none record stack stackdw knone krecord kstack"
[ $have_bpftrace = 1 ] && configs="$configs bpftrace"
[ $have_perf = 1 ] && configs="$configs perffp perfdw"
for c in $configs; do : >"$work/$c"; done
r=1
while [ $r -le "$rounds" ]; do
	for c in $(rotated $r $configs); do
		log "round $r: $c"
		one "$c" $r
	done
	r=$((r + 1))
done
[ $have_perf = 1 ] && perf_off

cell() { s=$(stats "$work/$1"); [ -n "$s" ] && echo "$s" | awk '{ printf "%s (%s-%s)", $1, $2, $3 }' || echo "n/a"; }
base=$(median "$work/none")
added() {
	b=$base
	case $1 in k*) b=$(median "$work/knone") ;; esac
	m=$(median "$work/$1")
	[ -n "$m" ] && [ -n "$b" ] && awk -v m="$m" -v b="$b" 'BEGIN { printf "%+.0f", m - b }' || echo "n/a"
}
bytes() { [ -f "$1" ] && stat -c %s "$1" || echo "n/a"; }

echo "$title"
echo
echo "stack_fixture (tests/fixtures), built with frame pointers: $n hits of stk:leaf ($mc for the"
echo "rows that copy 8 KiB of stack a hit), 5 frames deep, the only probe traced; the fixture's CPU"
echo "time (user + system) per hit, in ns, median"
echo "(min-max) of $rounds interleaved rounds (/usr/bin/time: 10 ms resolution); load average at the end:"
echo "$(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (numbers above 1.5 per CPU are noisy)."
echo
echo "| configuration | ns per hit | added to no tracer |"
echo "|---|---|---|"
echo "| no tracer | $(cell none) | |"
echo "| tracetape record (no stacks) | $(cell record) | $(added record) |"
echo "| tracetape record --stack stk:leaf (fp) | $(cell stack) | $(added stack) |"
echo "| tracetape record --stack stk:leaf --stack-mode dwarf | $(cell stackdw) | $(added stackdw) |"
if [ $have_bpftrace = 1 ]; then
	echo "| bpftrace \`@[ustack] = count()\` | $(cell bpftrace) | $(added bpftrace) |"
else
	echo "| bpftrace | not installed | |"
fi
if [ $have_perf = 1 ]; then
	echo "| perf record -e sdt_stk:leaf --call-graph fp | $(cell perffp) | $(added perffp) |"
	echo "| perf record -e sdt_stk:leaf --call-graph dwarf,8192 | $(cell perfdw) | $(added perfdw) |"
else
	echo "| perf | not installed, or perf probe failed | |"
fi
echo
echo "Both recordings hold $n events; tape bytes without stacks $(bytes "$work/r.tape"), with"
echo "them $(bytes "$work/s.tape") (each distinct stack is stored once; an event's reference to it"
echo "costs a few bytes). The time per hit counts the trap and the BPF program on the traced"
echo "thread. The recorder reads the fixture's maps within its first ~0.1 s: from then on its"
echo "stacks come as bare addresses; before, the kernel places each frame (build id + offset),"
echo "which costs several microseconds a hit more. bpftrace keeps counts per stack in the kernel and"
echo "names the frames when it prints, from the live process: of a process gone by then it prints"
echo "bare addresses (as here); tracetape's stacks are named by load from the files."
echo
dw_lost=$(grep -o 'warning: [0-9]* of [0-9]* hits of stk:leaf have no stack' "$work/d.err" 2>/dev/null |
	awk '{ print $2 " of " $4 }')
echo "--stack-mode dwarf copies 8 KiB of stack into the ring buffer per hit and the recorder unwinds"
echo "each copy with libdw (tape: $(bytes "$work/d.tape") bytes, frames only); the cost on the traced"
echo "thread is the copy. A recorder that cannot keep up drops stacks, counted (last round:"
echo "${dw_lost:-no} hits without a stack), never the hits. perf writes every sample to perf.data"
echo "(last round: fp $(cat "$work/perffp.bytes" 2>/dev/null || echo n/a) bytes, dwarf"
echo "$(cat "$work/perfdw.bytes" 2>/dev/null || echo n/a) bytes) and unwinds at perf report time."
echo
ks_lost=$(grep -o 'warning: [0-9]* of [0-9]* hits of [^ ]* have no stack' "$work/ks.err" 2>/dev/null |
	awk '{ print $2 " of " $4 }')
echo "Kernel stacks (\`record --stack tracepoint:raw_syscalls:sys_enter\`): a loop of $kn getppid()"
echo "system calls, each a raw_syscalls:sys_enter hit; the loop's CPU time per call, in ns, as above."
echo
echo "| configuration | ns per system call | added to no tracer |"
echo "|---|---|---|"
echo "| no tracer | $(cell knone) | |"
echo "| tracetape record tracepoint:raw_syscalls:sys_enter | $(cell krecord) | $(added krecord) |"
echo "| the same with --stack tracepoint:raw_syscalls:sys_enter | $(cell kstack) | $(added kstack) |"
echo
echo "The kernel's unwinder runs on the calling thread (bpf_get_stack); the recorder turns each"
echo "address into an offset from _text and a name from /proc/kallsyms, off the traced thread"
echo "(tapes: $(bytes "$work/kr.tape") bytes without stacks, $(bytes "$work/ks.tape") with them;"
echo "last round: ${ks_lost:-no} hits without a stack)."
