#!/bin/sh
# Run the libFuzzer targets of a -Dfuzz=true build for SECONDS each, one after the other (or only
# the ones named), niced, from their corpora: what they find goes to BUILD/fuzz-work/NAME/, the
# seeds are BUILD/fuzz-corpus/NAME/ (make-corpus.sh), tests/fuzz/corpus/NAME/ and
# tests/fuzz/regress/NAME/. A crash, a leak, a timeout (an input taking over 25 s) or an input
# needing over 2 GB fails the run: its input is BUILD/fuzz-artifacts/NAME/, its log
# BUILD/fuzz-logs/NAME.log; copy the input to tests/fuzz/regress/NAME/ with the fix.
# Prints each target's executions, wall-clock and CPU time, and coverage (libFuzzer's final
# stats; cov: code edges reached, ft: features). Exits 1 when any
# target failed. FUZZ_FORK=1 (the long runs) runs each in libFuzzer's fork mode, where a crash,
# timeout or out-of-memory input is saved and the run goes on: it fails at the end instead.
# Usage: tests/fuzz/run.sh BUILD SECONDS [NAME...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD SECONDS [NAME...]}
secs=${2:?usage: run.sh BUILD SECONDS [NAME...]}
shift 2
list="$build/tests/fuzz/targets.txt"
[ -f "$list" ] || { echo "run.sh: $list missing: is $build a make fuzz build?" >&2; exit 2; }
rc=0
for entry in $(cat "$list"); do
	name=${entry%%:*}
	corpus=${entry#*:}
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	work="$build/fuzz-work/$name"
	art="$build/fuzz-artifacts/$name"
	log="$build/fuzz-logs/$name.log"
	mkdir -p "$work" "$art" "$build/fuzz-corpus/$corpus" "$(dirname "$log")"
	dirs="$work $build/fuzz-corpus/$corpus"
	for d in "$here/corpus/$corpus" "$here/regress/$name"; do [ -d "$d" ] && dirs="$dirs $d"; done
	# libFuzzer cuts inputs to 1 MB unless told: the Go binaries are bigger
	big=$(find $dirs -type f -printf '%s\n' | sort -n | tail -n 1)
	maxlen=
	[ "${big:-0}" -gt 1048576 ] && maxlen=-max_len=$big
	stamp="$build/fuzz-logs/$name.start"
	touch "$stamp"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	/usr/bin/time -o "$build/fuzz-logs/$name.time" -f '%e %U %S' \
	nice -n 19 "$build/tests/fuzz/$name" -max_total_time="$secs" -print_final_stats=1 \
		-timeout=25 -rss_limit_mb=2048 -artifact_prefix="$art/" $maxlen \
		${FUZZ_FORK:+-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1} \
		$dirs >"$log" 2>&1
	st=$?
	found=$(find "$art" -type f -newer "$stamp" | wc -l)
	[ "$found" -gt 0 ] && [ $st -eq 0 ] && st=1
	# the final stats, or in fork mode the last status line (#EXECS: cov: ...)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1)
	if [ $st -eq 0 ]; then verdict=ok
	else verdict="FAILED (exit $st, $found inputs in $art; see $log)"; rc=1; fi
	# wall-clock and CPU seconds (user + system, fork mode's children included)
	times=$(tail -n 1 "$build/fuzz-logs/$name.time" | awk '{printf "%.0f s, CPU %.0f s", $1, $2 + $3}')
	echo "fuzz $name: ${execs:-?} executions in $times, ${cov:-cov: ?}, ${ft:-ft: ?}: $verdict"
done
exit $rc
