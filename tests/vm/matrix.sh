#!/bin/sh
# SPDX-License-Identifier: MIT
# The kernel matrix (`make test-kernels`): boots each kernel users run under qemu (run-vm) and
# runs tests/vm/guest-suite.sh inside it against an existing build, then prints a table.
#
#   tests/vm/matrix.sh [BUILD_DIR]      default $TT_BUILD_DIR, else build; inside the checkout
#
# Kernels: 6.1 (Debian 12) and 6.12 (Debian 13), where tracetape must record (TT_KERNEL_EXPECT=
# full), and 5.10 (Debian 11), which it must refuse, saying what the kernel lacks (refuse).
# TT_VM_KERNELS picks a subset ("6.12 5.10"). CI is passed on, so that under CI=true a skipped
# test fails in the guests too.
#
# The guests run at the same time (a guest keeps about one host CPU busy, and the matrix takes
# as long as its slowest kernel instead of the sum), each console going to
# BUILD_DIR/vm-matrix/KERNEL.log, printed whole when that guest ends, with a line a minute on
# how far each guest got. TT_VM_PARALLEL=0 runs them one after the other, consoles streamed.
# TT_VM_TIMEOUT (default 3000) bounds each guest's seconds, TT_VM_BUDGET (default 3100) the
# whole matrix's, so that slow or hung guests cannot push CI past its limit; a guest killed for
# time still reports how many tests it finished, and which one it was in (vm_progress.py).
# A guest whose kernel oopses (seen once: 6.12's maple tree, NULL dereference in mmap under
# TCG) cannot finish its suite: it is stopped at once and run again, once, when 600 s or more
# are left; the table names the oops and keeps its console (KERNEL.oops.log).
# (Parallel mode only.)
# Exit 0 when every kernel met its expectation, 1 otherwise, 2 on a usage error.
set -u
cd "$(dirname "$0")/../.." || exit 1
src=$(pwd)
build=${1:-${TT_BUILD_DIR:-build}}
kernels=${TT_VM_KERNELS:-6.1 6.12 5.10}
timeout=${TT_VM_TIMEOUT:-3000}
budget=${TT_VM_BUDGET:-3100}
parallel=${TT_VM_PARALLEL:-1}
for n in "$timeout" "$budget"; do
	case "$n" in
	'' | *[!0-9]*) echo "matrix.sh: TT_VM_TIMEOUT and TT_VM_BUDGET are seconds, not '$n'" >&2; exit 2 ;;
	esac
done
for k in $kernels; do
	case "$k" in
	6.1 | 6.12 | 5.10) ;;
	*) echo "matrix.sh: TT_VM_KERNELS: unknown kernel '$k' (expected 6.1, 6.12, 5.10)" >&2; exit 2 ;;
	esac
done
if [ ! -x "$build/tracetape" ]; then
	echo "matrix.sh: $build/tracetape does not exist: build first (make)" >&2
	exit 2
fi
build=$(cd "$build" && pwd)
case "$build/" in
"$src"/*) ;;
*) echo "matrix.sh: $build is outside $src, which is what the guests can write to" >&2; exit 2 ;;
esac
out=$build/vm-matrix
mkdir -p "$out" || exit 1

# Download what is missing once, up front, so that a network failure says so once and the
# per-kernel times below are the guests' own. Without --refresh this reads no network when
# the kernels are in the cache already.
# shellcheck disable=SC2086
tests/vm/fetch-kernels $kernels || exit 1

t0=$(date +%s)
elapsed() { echo $(( $(date +%s) - t0 )); }
get() { sed -n "s/^$3=//p" "$out/$1.$2" 2>/dev/null | head -n 1; }

# run_kernel K SECONDS: boot K, run guest-suite.sh in it, leave K.rc (run-vm's exit status).
run_kernel() {
	case "$1" in
	5.10) expect=refuse ;;
	*) expect=full ;;
	esac
	echo "==== kernel $1: tests/vm/guest-suite.sh (TT_KERNEL_EXPECT=$expect, at most $2 s)"
	tests/vm/run-vm "$1" --timeout "$2" --stats "$out/$1.stats" \
		--env "TT_BUILD_DIR=$build" --env "TT_SOURCE_DIR=$src" \
		--env "TT_KERNEL_EXPECT=$expect" --env "TT_VM_RESULT=$out/$1.result" \
		--env "TT_VM_PROGRESS=$out/$1.progress" \
		${CI:+--env "CI=$CI"} \
		-- /bin/sh tests/vm/guest-suite.sh &
	echo $! > "$out/$1.pid"
	wait $!
	echo $? > "$out/$1.rc"
}

# oops_line K: the first line of a kernel oops on K's console, if there is one.
oops_line() {
	grep -m 1 -E '\[ *[0-9]+\.[0-9]+\] (BUG: |Oops: |general protection fault|Kernel panic)' \
		"$out/$1.log" 2>/dev/null | sed 's/^.*\] //' | grep .
}
oopsed=""

# progress K: "P/F/S" of the tests K's guest finished; current K: the test it is in, if any.
progress() {
	awk '$1 != "start" { n[$1]++ } END { printf "%d/%d/%d", n["passed"], n["failed"], n["skipped"] }' \
		"$out/$1.progress" 2>/dev/null || echo "0/0/0"
}
current() {
	awk '$1 == "start" { cur = $2 } $1 != "start" { cur = "" } END { print cur }' \
		"$out/$1.progress" 2>/dev/null
}

for k in $kernels; do
	rm -f "$out/$k.stats" "$out/$k.result" "$out/$k.progress" "$out/$k.rc" "$out/$k.pid" \
		"$out/$k.log" "$out/$k.oops.log" "$out/$k.oops.progress"
done
limit=$timeout
[ "$budget" -lt "$limit" ] && limit=$budget
if [ "$parallel" = 0 ]; then
	for k in $kernels; do
		left=$(( budget - $(elapsed) ))
		[ "$left" -lt "$limit" ] && limit=$left
		if [ "$limit" -lt 60 ]; then
			echo "matrix.sh: $k not run: only $left s left of TT_VM_BUDGET=$budget s" >&2
			continue
		fi
		echo
		run_kernel "$k" "$limit"
	done
else
	for k in $kernels; do
		run_kernel "$k" "$limit" > "$out/$k.log" 2>&1 &
	done
	echo "matrix.sh: $kernels started together, at most $limit s each; consoles in $out/KERNEL.log"
	# Each run-vm ends by itself within $limit s; past that and a minute, it is stopped here.
	running=$kernels
	beat=0
	while [ -n "$running" ]; do
		sleep 5
		still=""
		for k in $running; do
			if [ -f "$out/$k.rc" ]; then
				echo
				cat "$out/$k.log"
			elif oops=$(oops_line "$k") && ! case " $oopsed " in *" $k "*) true ;; *) false ;; esac; then
				# A guest kernel that oopsed has a process stuck in the kernel: its suite
				# cannot finish. Stop it, keep its console, and run it again once if time
				# is left; the table says so either way.
				oopsed="$oopsed $k"
				echo "matrix.sh: $k: the guest kernel oopsed ($oops); console kept as $out/$k.oops.log"
				kill -TERM "$(cat "$out/$k.pid")" 2>/dev/null
				n=0
				while [ ! -f "$out/$k.rc" ] && [ "$n" -lt 60 ]; do sleep 1; n=$((n + 1)); done
				mv "$out/$k.log" "$out/$k.oops.log"
				cp "$out/$k.progress" "$out/$k.oops.progress" 2>/dev/null
				rm -f "$out/$k.stats" "$out/$k.result" "$out/$k.progress" "$out/$k.rc" "$out/$k.pid"
				left=$(( limit - $(elapsed) ))
				if [ "$left" -ge 600 ]; then
					echo "matrix.sh: $k: running its suite again, at most $left s"
					run_kernel "$k" "$left" > "$out/$k.log" 2>&1 &
					still="$still $k"
				else
					echo "matrix.sh: $k: only $left s left: not run again"
					echo 125 > "$out/$k.rc"
				fi
			elif [ "$(elapsed)" -gt $(( limit + 60 )) ]; then
				echo "matrix.sh: $k still running $(elapsed) s after the start: stopping its run-vm"
				kill -TERM "$(cat "$out/$k.pid")" 2>/dev/null
				echo 125 > "$out/$k.rc"
				cat "$out/$k.log"
			else
				still="$still $k"
			fi
		done
		running=$still
		if [ -n "$running" ] && [ $(( $(elapsed) - beat )) -ge 60 ]; then
			beat=$(elapsed)
			line="matrix.sh: $beat s, tests passed/failed/skipped:"
			for k in $running; do
				line="$line $k $(progress "$k")"
				[ -n "$(current "$k")" ] && line="$line in $(current "$k")"
				line="$line;"
			done
			echo "$line"
		fi
	done
	wait
fi

rows=""
failed=0
for k in $kernels; do
	rc=$(cat "$out/$k.rc" 2>/dev/null || echo "-")
	booted="-"
	[ -f "$out/$k.stats" ] && booted="$(get "$k" stats release) ($(get "$k" stats version))"
	result=$(get "$k" result result)
	if [ -z "$result" ]; then
		ran="pytest $(progress "$k") so far"
		case "$rc" in
		-) result="FAIL (not run: the matrix's $budget s were used up)" ;;
		124) result="FAIL (timeout)" ;;
		*) result="FAIL (exit $rc, no result)" ;;
		esac
		[ -n "$(current "$k")" ] && result="$result in $(current "$k")"
	else
		ran="check $(get "$k" result check_rc), pytest $(get "$k" result passed)/$(get "$k" result failed)/$(get "$k" result skipped)"
		[ "$(get "$k" result errors)" != 0 ] && ran="$ran +$(get "$k" result errors) errors"
		case "$result" in
		ok) ;;
		warn) result="WARN: $(get "$k" result reason)" ;;
		*) result="FAIL: $(get "$k" result reason)" ;;
		esac
	fi
	if [ -f "$out/$k.oops.log" ]; then
		result="$result (after a kernel oops in the first run: $(oops_line "$k.oops"), $k.oops.log)"
	fi
	[ "$rc" = 0 ] || failed=1
	case "$result" in FAIL*) failed=1 ;; esac
	row=$(printf '%-6s %-36s %-26s %5s %6s  %s' "$k" "$booted" "$ran" \
		"$(get "$k" stats boot_s)" "$(get "$k" stats total_s)" "$result")
	rows="$rows$row
"
done

echo
echo "kernel matrix ($(elapsed) s; what ran: check's exit status, pytest passed/failed/skipped):"
printf '%-6s %-36s %-26s %5s %6s  %s\n' kernel "booted" "what ran" "boot s" "total" result
printf '%s' "$rows"
for k in $kernels; do
	msg=$(get "$k" result check_msg)
	[ -n "$msg" ] && echo "  $k check: $msg"
done
exit $failed
