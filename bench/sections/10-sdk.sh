#!/bin/sh
# Bench section: the SDK (issue #3). What a probe costs while nobody traces it, in instructions
# counted by valgrind --tool=callgrind: the same loop with no probe, with sys/sdt.h's
# DTRACE_PROBE, with TT_PROBE (1 and 4 arguments), and with a TT_PROBE guarded by
# TT_PROBE_ENABLED, built with gcc and clang at -O2 (bench/sdk_bench.c). Instruction counts are
# exact and do not depend on the machine's load, unlike timings.
#
#   bench/sections/10-sdk.sh BUILD_DIR WORK_DIR
set -u
work=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
n=1000000

for tool in valgrind callgrind_annotate; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "## SDK: the cost of a probe nobody traces"
		echo
		echo "Not measured: $tool is missing (scripts/deps.sh bench installs valgrind)."
		exit 1
	fi
done

# per_iter COMPILER FUNCTION: instructions per iteration of FUNCTION, two decimals
per_iter() {
	awk -v f="$2" -v n=$n '$0 ~ (":" f " ") { gsub(",", "", $1); printf "%.2f", $1 / n; exit }' "$work/$1.annotate"
}

for cc in gcc clang; do
	echo "sdk: $cc" >&2
	if ! command -v $cc >/dev/null 2>&1; then
		echo "sdk: $cc missing" >&2
		continue
	fi
	$cc -O2 -g -I"$here/sdk/include" -o "$work/sdk_bench.$cc" "$here/bench/sdk_bench.c" || exit 1
	valgrind --tool=callgrind --callgrind-out-file="$work/$cc.callgrind" "$work/sdk_bench.$cc" $n \
		>/dev/null 2>"$work/$cc.valgrind.log" || exit 1
	callgrind_annotate "$work/$cc.callgrind" >"$work/$cc.annotate" 2>/dev/null || exit 1
done

row() { # label function
	line="| $1 |"
	for cc in gcc clang; do
		v=$(per_iter $cc "$2")
		b=$(per_iter $cc loop_baseline)
		if [ -z "$v" ]; then
			line="$line n/a | n/a |"
		elif [ "$2" = loop_baseline ]; then
			line="$line $v | |"
		else
			line="$line $v | $(awk -v v="$v" -v b="$b" 'BEGIN { printf "%+.2f", v - b }') |"
		fi
	done
	echo "$line"
}

added() { awk -v v="$(per_iter "$1" "$2")" -v b="$(per_iter "$1" loop_baseline)" 'BEGIN { printf "%.2f", v - b }'; }

verdict=met
for cc in gcc clang; do
	[ -f "$work/$cc.annotate" ] || { verdict="not measured ($cc missing)"; continue; }
	# TT_PROBE: one nop per pass, and never more than DTRACE_PROBE
	[ "$(added $cc loop_tt_1)" = "1.00" ] || verdict="MISSED"
	[ "$(added $cc loop_tt_4)" = "1.00" ] || verdict="MISSED"
	awk -v t="$(added $cc loop_tt_1)" -v s="$(added $cc loop_sdt_1)" 'BEGIN { exit !(t <= s) }' || verdict="MISSED"
	awk -v t="$(added $cc loop_tt_4)" -v s="$(added $cc loop_sdt_4)" 'BEGIN { exit !(t <= s) }' || verdict="MISSED"
	# guarded and disabled: the compare with the semaphore and the branch
	awk -v a="$(added $cc loop_tt_guarded)" 'BEGIN { exit !(a <= 2.0) }' || verdict="MISSED"
done

echo "## SDK: the cost of a probe nobody traces"
echo
echo "Instructions per loop iteration, counted by \`valgrind --tool=callgrind\` over $n iterations"
echo "of the same loop (a volatile store of the counter) with each body; \"added\" is the"
echo "difference to the loop without a probe. Built at -O2 with $(gcc -dumpfullversion 2>/dev/null | sed 's/^/gcc /') and"
echo "$(clang --version 2>/dev/null | head -1 | sed 's/.*clang version \([0-9.]*\).*/clang \1/') (\`bench/sdk_bench.c\`)."
echo
echo "| loop body | gcc: instr./iter. | added | clang: instr./iter. | added |"
echo "|---|---|---|---|---|"
row "no probe" loop_baseline
row "\`DTRACE_PROBE1(bench, sdt1, i)\` (sys/sdt.h)" loop_sdt_1
row "\`TT_PROBE(bench, tt1, i)\`" loop_tt_1
row "\`DTRACE_PROBE4(bench, sdt4, i, n, name, &sink)\`" loop_sdt_4
row "\`TT_PROBE(bench, tt4, i, n, name, &sink)\`" loop_tt_4
row "\`if (TT_PROBE_ENABLED(bench, guarded)) TT_PROBE(bench, guarded, i)\`" loop_tt_guarded
echo
echo "Target: \`TT_PROBE\` adds what \`DTRACE_PROBE\` adds, one \`nop\` per iteration (with clang,"
echo "sys/sdt.h's \"nor\" constraint also stores each argument to the stack; the SDK uses \"nr\" there),"
echo "and a guarded probe adds at most one load and one branch (\`cmpw \$0, sema(%rip); jne\`) while"
echo "disabled: **$verdict**."
[ "$verdict" = met ]
