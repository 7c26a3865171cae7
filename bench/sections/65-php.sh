#!/bin/sh
# Bench section: probes written in PHP code (issue #20). What one call of the extension's
# functions costs while nothing records (instructions counted by callgrind, exact whatever the
# machine's load, and time per call) and while `tracetape record` records it (time per call,
# the BPF program included), side by side with an empty userland function, an empty internal
# function, and an empty userland function under USE_ZEND_DTRACE=1, unrecorded and with the
# engine's php:function__entry probe recorded. bench/php/calls.php times each call against an
# empty loop in the same process; rounds alternate the configurations; medians.
#
#   bench/sections/65-php.sh BUILD_DIR WORK_DIR   (BENCH_PHP_CALLS, BENCH_PHP_ROUNDS to resize)
set -u
build=$1
work=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
tt="$build/tracetape"
php=/usr/bin/php8.2
calls=${BENCH_PHP_CALLS:-1000000}
rcalls=$((calls / 5))   # recorded runs: every call is an event in the tape
icalls=200000           # under callgrind
rounds=${BENCH_PHP_ROUNDS:-5}
script="$here/bench/php/calls.php"
title="## PHP: probes written in PHP code (issue #20)"
log() { echo "65-php: $*" >&2; }
. "$here/bench/lib.sh"

[ -x "$php" ] || fail "Debian's php8.2-cli is missing (scripts/deps.sh bench installs it)"
command -v phpize >/dev/null 2>&1 || fail "phpize is missing (php8.2-dev; scripts/deps.sh bench)"
command -v valgrind >/dev/null 2>&1 || fail "valgrind is missing (scripts/deps.sh bench)"

log "building the extension"
rm -rf "$work/src"
mkdir -p "$work/src/sdk"
cp -r "$here/sdk/php" "$here/sdk/include" "$work/src/sdk/"
(cd "$work/src/sdk/php" && phpize && ./configure --enable-tracetape && make) >"$work/build.log" 2>&1 ||
	fail "building the extension failed (see $work/build.log)"
so="$work/src/sdk/php/modules/tracetape.so"

# instr ENV MODE: instructions of `calls.php MODE icalls once` under callgrind (ENV: env(1) args)
instr() {
	env $1 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		"$php" -n -d "extension=$so" "$script" "$2" $icalls once >/dev/null 2>"$work/cg.log" ||
		fail "callgrind of $2 failed (see $work/cg.log)"
	sed -n 's/^summary: //p' "$work/cg.out"
}

# per_call ENV MODE: instructions per call, over the empty loop's
per_call() {
	a=$(instr "$1" "$2")
	b=$(instr "$1" none)
	awk -v a="$a" -v b="$b" -v n=$icalls 'BEGIN { printf "%.1f", (a - b) / n }'
}

# timed ENV MODE SPEC OUT: one run of calls.php (recorded when SPEC is not -); ns per call >> OUT
timed() {
	if [ "$3" = - ]; then
		env $1 "$php" -n -d "extension=$so" "$script" "$2" $calls >"$work/run.out" ||
			fail "calls.php $2 failed"
	else
		rm -f "$work/php.tape"
		timeout 300 "$tt" record -q -o "$work/php.tape" "$3" -- env $1 "$php" -n \
			-d "extension=$so" "$script" "$2" $rcalls >"$work/run.out" ||
			fail "recording calls.php $2 failed"
		"$tt" info --json "$work/php.tape" >"$work/info.json" || fail "info failed"
		echo "$(jnum lost "$work/info.json")" >>"$4.lost"
	fi
	get ns_per_call "$work/run.out" >>"$4"
}

off="-u USE_ZEND_DTRACE"
dtrace="USE_ZEND_DTRACE=1"
app="usdt:$so:phpapp:*"
entry="usdt:$php:php:function__entry"

# row LABEL ENV MODE SPEC: a table row; SPEC - for no recorded column
row() {
	key=$(echo "$2$3" | tr -c 'a-zA-Z0-9\n' _)
	: >"$work/$key.off"
	: >"$work/$key.on"
	: >"$work/$key.on.lost"
	for r in $(seq "$rounds"); do
		log "$3 ($2), round $r of $rounds"
		timed "$2" "$3" - "$work/$key.off"
		[ "$4" = - ] || timed "$2" "$3" "$4" "$work/$key.on"
	done
	i=$(per_call "$2" "$3")
	on="—"
	if [ "$4" != - ]; then
		lost=$(awk '{ s += $1 } END { print s + 0 }' "$work/$key.on.lost")
		on="$(median "$work/$key.on")"
		[ "$lost" = 0 ] || on="$on ($lost lost)"
	fi
	echo "| $1 | $i | $(median "$work/$key.off") | $on |"
}

echo "$title"
echo
echo "\`bench/php/calls.php\` calls one function in a loop ($calls calls; $rcalls while recorded,"
echo "each call then an event in the tape) and subtracts the same loop's empty body, timed in the"
echo "same process: a column is the call alone. PHP 8.2 CLI without opcache (\`php -n\`);"
echo "instructions by callgrind ($icalls calls); times are medians of $rounds rounds, in ns."
echo "Recorded: \`tracetape record 'usdt:EXT:phpapp:*' -- php ...\`, and for the engine's probe"
echo "\`tracetape record 'usdt:/usr/bin/php8.2:php:function__entry'\` (its class, function and"
echo "file names read as strings)."
echo
echo "| call | instructions, not recorded | ns, not recorded | ns, recorded |"
echo "|---|---|---|---|"
row "empty userland function \`f(\$i)\`" "$off" user -
row "the same under USE_ZEND_DTRACE=1 (recorded: \`php:function__entry\`)" "$dtrace" user "$entry"
row "empty internal function \`gc_enabled()\`" "$off" internal -
row "\`tracetape_probe('checkout', \$i)\`" "$off" probe1 "$app"
row "\`tracetape_probe('checkout', \$i, 9.99, 'book', true)\`" "$off" probe4 "$app"
row "\`if (tracetape_enabled()) ...\` (the guard alone)" "$off" guard -
row "\`tracetape_span_begin()\` + \`tracetape_span_end()\` (two calls)" "$off" span "$app"
echo
echo "Load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs at the end of the runs: times"
echo "drift with the machine's load, instruction counts do not."
echo
echo "Not recorded, a tracetape call is PHP's call of an internal function plus the extension's"
echo "semaphore check and a look at the argument count and the name's type: the values are not"
echo "touched. USE_ZEND_DTRACE=1 moves every PHP call onto the engine's slower, probed path whether"
echo "or not anything records, and its probe fires on every call of every function; tracetape's"
echo "probes fire only where the code names them, and need no USE_ZEND_DTRACE."
