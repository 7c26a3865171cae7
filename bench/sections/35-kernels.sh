#!/bin/sh
# Bench section: recording on the kernels users run (issues 14 and 15). Three measurements:
#   1. the verifier budget: instructions the verifier processed for each BPF program in each
#      load-time configuration (tests/tools/tt-bpf-budget --json), on this machine's kernel and
#      inside Debian's 6.1, 6.12 and 5.10 kernels under qemu (tests/vm/run-vm), against the
#      project's budget of 250,000 (a quarter of the kernel's limit);
#   2. attaching and detaching 1,000 USDT sites (bench/sites) on both attach paths: the time
#      `tracetape record -v` reports for the attach, the time from SIGINT to the recorder's exit,
#      and how long the background tt-detach process that closes per-site links takes
#      (bench/stoptime waits for it by its pid, bounded);
#   3. string arguments in pages the process never touched (bench/strfault): faults per 1,000
#      string hits with the default (sleepable program: faults pages in) and with --no-fault-in
#      (the old behaviour), on this machine and in the guests; and the CPU cost per string hit,
#      both modes side by side in one process against an empty BPF program, in steady state and
#      for a hit whose page must be faulted in.
# The machine is shared and its speed drifts: rounds interleave the configurations and the
# tables give medians (min-max). Needs root (BPF, uprobes). The guests need qemu and the kernel
# cache of tests/vm (`make test-kernels` fills it); when the harness fails, the section says so
# and measures this machine only.
#
#   bench/sections/35-kernels.sh BUILD_DIR WORK_DIR
#   env: BENCH_KERNELS (default "6.1 6.12 5.10"; "" for the host only),
#        BENCH_KERNELS_VM_TIMEOUT (seconds per guest, default 1200),
#        BENCH_ATTACH_ROUNDS (default 3), BENCH_KERNELS_GUEST_ATTACH_ROUNDS (default 1),
#        BENCH_STR_ROUNDS (default 5), BENCH_STR_HITS (default 1000),
#        BENCH_STR_COST_HITS (default 500000), BENCH_STR_COST_COLD (default 3000),
#        BENCH_KERNELS_REPORT_ONLY=1 (write the fragment again from WORK_DIR, measuring nothing)
#
# The same script runs inside each guest (called by run-vm as `35-kernels.sh --guest ...`):
# everything a kernel is measured with is in run_set below, for the host and the guests alike.
set -u

# --- what one kernel runs: the budget, the fault counts, attach rounds ------------------------
# run_set OUT BUILD ROUNDS HITS ATTACH_ROUNDS FIXTURE_DIR: results as files under OUT
run_set() {
	o=$1 b=$2 nr=$3 nh=$4 na=$5 fixdir=$6
	mkdir -p "$o" || return 1
	uname -r >"$o/release"
	"$b/tests/tools/tt-bpf-budget" --json >"$o/budget.json" 2>"$o/budget.err"
	echo $? >"$o/budget.rc"
	grep -q '"loads"' "$o/budget.json" || return 0 # refused: nothing else can load either
	for r in $(seq "$nr"); do
		for m in $(rotated "$r" default nofault); do
			opt=""
			[ "$m" = nofault ] && opt=--no-fault-in
			echo "35-kernels: $(uname -r): strings round $r/$nr: $m" >&2
			timeout -k 5 600 "$b/tracetape" record -q $opt -o "$o/f-$m-$r.tape" \
				"usdt:$b/bench/strfault:sf:*" -- "$b/bench/strfault" faults "$fixdir" "$nh" \
				>"$o/f-$m-$r.out" 2>"$o/f-$m-$r.err"
			echo $? >"$o/f-$m-$r.rc"
		done
	done
	paths=perf
	grep -q '"uprobe-multi ' "$o/budget.json" && paths="multi perf"
	for r in $(seq "$na"); do
		for a in $(rotated "$r" $paths); do
			echo "35-kernels: $(uname -r): 1,000 sites round $r/$na: --attach $a" >&2
			# An earlier recording's tt-detach (another engineer's, or one of the strings
			# recordings above) holds the kernel's uprobe mutex between its grace periods
			# and would slow the attach down: wait for it (never signal it), at most 600 s,
			# and note it (running: how many at the start; waited_s; left_running).
			n=$(pgrep -x tt-detach | wc -l)
			i=0
			while [ $i -lt 600 ] && pgrep -x tt-detach >/dev/null; do
				sleep 1
				i=$((i + 1))
			done
			if [ $i -gt 0 ]; then
				printf 'running=%s\nwaited_s=%s\n' "$n" "$i" >"$o/a-$a-$r.foreign"
				pgrep -x tt-detach >/dev/null && echo left_running=1 >>"$o/a-$a-$r.foreign"
			fi
			"$b/bench/stoptime" --timeout 300 --detach-timeout 900 -- "$b/tracetape" record -v \
				--attach "$a" -o "$o/a-$a.tape" "usdt:$b/bench/sites:*" \
				>"$o/a-$a-$r.out" 2>"$o/a-$a-$r.err"
			echo $? >"$o/a-$a-$r.rc"
			rm -f "$o/a-$a.tape"
		done
	done
}

. "$(dirname "$0")/../lib.sh" # the guest reads it from the host's root, like the build
if [ "${1:-}" = --guest ]; then
	shift
	run_set "$@" /tmp
	exit 0
fi

build=$(cd "$1" && pwd) || exit 1
mkdir -p "$2" || exit 1
work=$(cd "$2" && pwd) || exit 1
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
src=$(cd "$(dirname "$0")/../.." && pwd)
tt="$build/tracetape"
kernels=${BENCH_KERNELS-6.1 6.12 5.10}
vm_to=${BENCH_KERNELS_VM_TIMEOUT:-1200}
attach_rounds=${BENCH_ATTACH_ROUNDS:-3}
guest_attach_rounds=${BENCH_KERNELS_GUEST_ATTACH_ROUNDS:-1}
str_rounds=${BENCH_STR_ROUNDS:-5}
str_hits=${BENCH_STR_HITS:-1000}
cost_hits=${BENCH_STR_COST_HITS:-500000}
cost_cold=${BENCH_STR_COST_COLD:-3000}
budget=250000

title="## Kernels: verifier budget, attaching 1,000 sites, strings in untouched pages (issues 14, 15)"
log() { echo "35-kernels: $*" >&2; }

[ "$(id -u)" -eq 0 ] || fail "needs root (BPF programs, uprobes)."
for f in "$tt" "$build/tests/tools/tt-bpf-budget" "$build/bench/sites" "$build/bench/stoptime" \
	"$build/bench/strfault" "$build/bench/bpf_empty"; do
	[ -x "$f" ] || fail "\`$f\` is missing (build with \`make\` first)."
done

# process state letter of PID ("" when gone); our children stay zombies (Z) until waited for
pstate() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1; }
alive() { s=$(pstate "$1"); [ -n "$s" ] && [ "$s" != Z ]; }
bg_pids=""
# stop PID: SIGINT, wait up to 30 s, then SIGKILL (it is ours) and report failure
stop() {
	kill -INT "$1" 2>/dev/null
	i=0
	while [ $i -lt 300 ] && alive "$1"; do
		sleep 0.1
		i=$((i + 1))
	done
	if alive "$1"; then
		log "error: pid $1 still running 30 s after SIGINT; killing it"
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 1
	fi
	wait "$1"
}
cleanup() {
	for p in $bg_pids; do
		alive "$p" && stop "$p"
	done
	bg_pids=""
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

t_start=$(date +%s)
# BENCH_KERNELS_REPORT_ONLY=1: write the fragment again from what WORK_DIR holds, measuring nothing
report_only=${BENCH_KERNELS_REPORT_ONLY:-0}
vm_note=""
measure_all() {
rm -rf "$work"/k-* "$work"/cost-*
git -C "$src" describe --always --dirty >"$work/commit" 2>/dev/null || rm -f "$work/commit"
# --- this machine: the budget, fault counts, attach rounds -------------------------------------
log "host: budget, strings ($str_rounds rounds), 1,000 sites ($attach_rounds rounds)"
run_set "$work/k-host" "$build" "$str_rounds" "$str_hits" "$attach_rounds" "$work"

# --- the cost per string hit: two recorders and the empty program on one process ------------
# recorder S (default) traces sf:*_s, recorder N (--no-fault-in) sf:*_n, bpf_empty sf:ref
sf="$build/bench/strfault"
cost_round() {
	d="$work/cost-$1"
	mkdir -p "$d"
	: >"$d/s.err"
	: >"$d/n.err" # before the wait below reads them
	"$tt" record -o "$d/s.tape" "usdt:$sf:sf:*_s" 2>"$d/s.err" &
	ps=$!
	"$tt" record --no-fault-in -o "$d/n.tape" "usdt:$sf:sf:*_n" 2>"$d/n.err" &
	pn=$!
	bg_pids="$ps $pn"
	i=0
	while [ $i -lt 300 ] && ! { grep -q '^tracetape record: recording' "$d/s.err" &&
		grep -q '^tracetape record: recording' "$d/n.err"; } && alive "$ps" && alive "$pn"; do
		sleep 0.1
		i=$((i + 1))
	done
	ok=0
	if grep -q '^tracetape record: recording' "$d/s.err" &&
		grep -q '^tracetape record: recording' "$d/n.err"; then
		timeout -k 5 300 "$build/bench/bpf_empty" "$sf" sf:ref -- \
			"$sf" cost "$work" "$cost_hits" 10000 "$cost_cold" >"$d/out" 2>"$d/err" && ok=1
	else
		log "error: the recorders did not get ready in 30 s:"
		cat "$d/s.err" "$d/n.err" >&2
	fi
	stop "$ps" || ok=0
	stop "$pn" || ok=0
	bg_pids=""
	[ $ok = 1 ] || { cat "$d/err" >&2; return 1; }
	# what each recorder kept: every hit, and faults only where expected (checked in the table)
	for t in s n; do
		"$tt" query --format csv "$d/$t.tape" "SELECT p.name AS probe, count(*) AS hits,
			sum(e.fault & 1 != 0) AS faults FROM events e JOIN probes p ON p.id = e.probe_id
			GROUP BY p.name" \
			>"$d/$t.csv" 2>>"$d/err" || return 1
		"$tt" info --json "$d/$t.tape" >"$d/$t.json" 2>>"$d/err" || return 1
	done
	rm -f "$d/s.tape" "$d/n.tape"
	for k in warm_s_ns warm_n_ns ref_ns warm_ratio cold_s_ns cold_n_ns touch_s_ns; do
		get "$k" "$d/out" >>"$work/cost-$k"
	done
}
rm -f "$work"/cost-*_ns "$work"/cost-warm_ratio
for r in $(seq "$str_rounds"); do
	log "host: cost per string hit, round $r/$str_rounds"
	cost_round "$r" || log "error: cost round $r failed"
done

# --- the guests -------------------------------------------------------------------------------
if [ -n "$kernels" ]; then
	if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
		vm_note="the kernel matrix was not run: qemu-system-x86_64 is missing (scripts/deps.sh kernels)"
	elif ! "$src/tests/vm/fetch-kernels" $kernels >"$work/fetch.log" 2>&1; then
		vm_note="the kernel matrix was not run: tests/vm/fetch-kernels failed ($(tail -1 "$work/fetch.log"))"
	fi
fi
[ -n "$vm_note" ] && log "$vm_note"
for k in $kernels; do
	[ -z "$vm_note" ] || break
	log "guest $k: budget, strings ($str_rounds rounds), 1,000 sites ($guest_attach_rounds rounds)"
	# the work directory is the guest's writable share, at the same path
	(cd "$work" && "$src/tests/vm/run-vm" "$k" --timeout "$vm_to" --workdir "$work" \
		--stats "$work/vm-$k.stats" -- /bin/sh "$self" --guest "$work/k-$k" "$build" \
		"$str_rounds" "$str_hits" "$guest_attach_rounds") >"$work/vm-$k.console" 2>"$work/vm-$k.err"
	echo $? >"$work/vm-$k.rc"
	tail -1 "$work/vm-$k.err" | sed 's/^/    /' >&2
done
log "done in $(($(date +%s) - t_start)) s"
}
[ "$report_only" = 1 ] || measure_all

# --- analysis -----------------------------------------------------------------------------------
kcols="host"
for k in $kernels; do kcols="$kcols $k"; done

# release of a kernel column ("" when its run did not get that far)
release() { cat "$work/k-$1/release" 2>/dev/null; }
# why a guest has no numbers
vm_why() {
	[ "$1" = host ] && { echo "no result"; return; }
	[ -n "$vm_note" ] && { echo "not run"; return; }
	rc=$(cat "$work/vm-$1.rc" 2>/dev/null)
	case "$rc" in
	124) echo "guest timed out after $vm_to s" ;;
	125) echo "the guest could not run the command (run-vm exit 125)" ;;
	*) echo "guest failed (run-vm exit ${rc:-?})" ;;
	esac
}
fmtn() { awk -v n="$1" 'BEGIN { s = sprintf("%d", n); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } print s o }'; }

# 1. budget: the loads of every column, as "config|program|insns" lines
for c in $kcols; do
	j="$work/k-$c/budget.json"
	[ -s "$j" ] || continue
	tr '{' '\n' <"$j" | sed -n 's/^"config": "\([^"]*\)", "program": "\([^"]*\)", "insns": \([0-9]*\)}.*/\1|\2|\3/p' \
		>"$work/k-$c/budget.rows"
	tr '{' '\n' <"$j" | sed -n 's/^"config": "\([^"]*\)", "error": "\([^"]*\)"}.*/\1|\2/p' >"$work/k-$c/budget.refused"
done
# every (config, program) any column loaded, in the order of the longest list
order=$(for c in $kcols; do [ -s "$work/k-$c/budget.rows" ] && echo "$(wc -l <"$work/k-$c/budget.rows") $c"; done |
	sort -rn | head -1 | cut -d' ' -f2)
budget_cell() { # column config program
	f="$work/k-$1/budget.rows"
	if [ ! -s "$f" ]; then
		if [ -s "$work/k-$1/budget.err" ]; then echo "refused"; else echo "–"; fi
		return
	fi
	v=$(awk -F'|' -v c="$2" -v p="$3" '$1 == c && $2 == p { print $3 }' "$f")
	if [ -z "$v" ]; then
		if grep -q "^$2|" "$work/k-$1/budget.refused" 2>/dev/null; then echo "**refused**"
		else case $2 in uprobe-multi*) echo "– (no uprobe-multi)" ;; *) echo "–" ;; esac; fi
		return
	fi
	if [ "$v" -gt "$budget" ]; then
		echo "**$(fmtn "$v")** ($(fmtn $((v - budget))) over)"
	else
		echo "$(fmtn "$v") ($(fmtn $((budget - v))) left)"
	fi
}
budget_table() {
	h="| program | configuration |"
	s="|---|---|"
	for c in $kcols; do
		r=$(release "$c")
		[ "$c" = host ] && h="$h this machine, ${r:-?} |" || h="$h $c: ${r:-?} |"
		s="$s---|"
	done
	echo "$h"
	echo "$s"
	[ -n "$order" ] || return 0
	while IFS='|' read -r cfg prog _; do
		line="| \`$prog\` | $cfg |"
		for c in $kcols; do line="$line $(budget_cell "$c" "$cfg" "$prog") |"; done
		echo "$line"
	done <"$work/k-$order/budget.rows"
	line="| **largest** | |"
	for c in $kcols; do
		f="$work/k-$c/budget.rows"
		if [ -s "$f" ]; then
			m=$(cut -d'|' -f3 "$f" | sort -n | tail -1)
			if [ "$m" -gt "$budget" ]; then
				line="$line **$(fmtn "$m")**: $(awk -v m="$m" -v b=$budget 'BEGIN { printf "%.0f%%", 100 * m / b }') of the budget, **over** |"
			else
				line="$line $(fmtn "$m"): $(awk -v m="$m" -v b=$budget 'BEGIN { printf "%.0f%%", 100 * m / b }') of the budget |"
			fi
		else
			line="$line – |"
		fi
	done
	echo "$line"
}
budget_notes() { # what a column without numbers said
	for c in $kcols; do
		f="$work/k-$c/budget.rows"
		[ -s "$f" ] && [ "$(cat "$work/k-$c/budget.rc" 2>/dev/null)" != 1 ] && continue
		if [ -s "$f" ]; then
			echo "- $c: tt-bpf-budget exited 1 (a program over the budget)."
		elif [ -s "$work/k-$c/budget.err" ]; then
			echo "- $c ($(release "$c")): tt-bpf-budget exited $(cat "$work/k-$c/budget.rc"), printing: \`$(head -1 "$work/k-$c/budget.err")\`"
		else
			echo "- $c: not measured: $(vm_why "$c")."
		fi
	done
}

# 2. attach: per column and path, the medians of the rounds
att_val() { # column path key -> values of the rounds, one per line, into a file; echoes the file
	f="$work/k-$1/att-$2.$3"
	: >"$f"
	for out in "$work/k-$1/a-$2-"*.out; do
		[ -s "$out" ] || continue
		n=${out%.out}
		case $3 in
		attach_ms) sed -n 's/^tracetape record: attached 1000 sites to .* in \([0-9.]*\) ms$/\1/p' "$n.err" ;;
		sites) sed -n 's/^tracetape record: attached \([0-9]*\) sites .*/\1/p' "$n.err" ;;
		*) v=$(get "$3" "$out")
		   case $v in -1* | "") ;; *) echo "$v" ;; esac ;;
		esac
	done >>"$f"
	echo "$f"
}
att_fails() { # column path -> "k of n rounds failed" or ""
	n=0 bad=0
	for rc in "$work/k-$1/a-$2-"*.rc; do
		[ -f "$rc" ] || continue
		n=$((n + 1))
		[ "$(cat "$rc")" = 0 ] || bad=$((bad + 1))
	done
	[ $bad -gt 0 ] && echo "$bad of $n rounds failed (see $work/k-$1/a-$2-*.err)"
}
mcol() { # FILE SCALE FORMAT -> "median (min–max)" of the values / SCALE
	s=$(stats "$1")
	[ -n "$s" ] || { echo "–"; return; }
	echo "$s" | awk -v sc="$2" -v f="$3" '{ if ($2 == $3) printf f, $1 / sc; else printf f " (" f "–" f ")", $1 / sc, $2 / sc, $3 / sc }'
}
att_row() { # column path label
	[ -d "$work/k-$1" ] || return 0
	ls "$work/k-$1/a-$2-"*.rc >/dev/null 2>&1 || return 0
	rounds=$(ls "$work/k-$1/a-$2-"*.rc | wc -l)
	dpid=$(stats "$(att_val "$1" "$2" detach_pid)" | cut -d' ' -f3)
	if [ "${dpid:-0}" = 0 ]; then
		det="none (all links closed in the foreground)"
		all=$(mcol "$(att_val "$1" "$2" exit_ms)" 1000 %.2f)
	else
		det=$(mcol "$(att_val "$1" "$2" detach_ms)" 1000 %.1f)
		all=$(mcol "$(att_val "$1" "$2" stop_to_detached_ms)" 1000 %.1f)
	fi
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$3" "$(mcol "$(att_val "$1" "$2" sites)" 1 %d)" \
		"$(mcol "$(att_val "$1" "$2" attach_ms)" 1 %.1f)" "$(mcol "$(att_val "$1" "$2" ready_ms)" 1 %.0f)" \
		"$(mcol "$(att_val "$1" "$2" exit_ms)" 1 %.0f)" "$det" "$all" \
		"$rounds$(f=$(att_fails "$1" "$2"); [ -n "$f" ] && echo "; **$f**")"
}
attach_table() {
	echo "| kernel, path | sites | attach (ms) | start → ready line (ms) | SIGINT → recorder exited (ms) | tt-detach: recorder exit → done (s) | SIGINT → every link closed (s) | rounds |"
	echo "|---|---|---|---|---|---|---|---|"
	for c in $kcols; do
		r=$(release "$c")
		[ "$c" = host ] && lab="this machine ($r)" || lab="$c under qemu TCG ($r)"
		att_row "$c" multi "$lab, \`--attach multi\`"
		att_row "$c" perf "$lab, \`--attach perf\`"
	done
}
attach_notes() {
	for f in "$work"/k-*/a-*.foreign; do
		[ -s "$f" ] || continue
		n=$(basename "$f" .foreign)
		c=$(basename "$(dirname "$f")" | sed 's/^k-//')
		k=$(get running "$f")
		echo "- $c, round $(echo "$n" | cut -d- -f3) of \`--attach $(echo "$n" | cut -d- -f2)\`: started after waiting $(get waited_s "$f") s for the tt-detach process$( [ "${k:-0}" -gt 1 ] && echo "es ($k)") of earlier recordings to end (they would slow attaching down)$( [ -n "$(get left_running "$f")" ] && echo "; they were still running when it started")."
	done
	for c in $kcols; do
		[ "$c" = host ] && continue
		[ -s "$work/k-$c/budget.rows" ] && continue
		echo "- $c: no attach rounds ($( [ -s "$work/k-$c/budget.err" ] && echo "the kernel refuses to load the programs" || vm_why "$c"))."
	done
}

# 3. string faults: per column, mode and probe, faults per 1,000 hits in each round
lit_expect="CASE e.arg1 % 4 WHEN 0 THEN '' WHEN 1 THEN 'alpha'
	WHEN 2 THEN 'a string literal of sixty-four bytes, counting its NUL: 0123456'
	ELSE 'Jürgen M' END"
fault_counts() { # column: query each fault tape into a .csv, then per-probe files from them
	for t in "$work/k-$1"/f-*.tape; do
		[ -f "$t" ] || continue
		n=${t%.tape}
		"$tt" query --format csv "$t" "SELECT p.name AS probe, count(*) AS hits,
			sum(e.fault & 1 != 0) AS faults,
			sum(e.fault & 1 = 0 AND e.arg0 IS NOT (CASE WHEN p.name LIKE 'file%'
				THEN printf('file page %06d of a sparse file', e.arg1) ELSE $lit_expect END))
			AS wrong,
			sum(e.fault & 1 != 0 AND e.arg1 % 4 = 0) AS f0, sum(e.fault & 1 != 0 AND e.arg1 % 4 = 1) AS f1,
			sum(e.fault & 1 != 0 AND e.arg1 % 4 = 2) AS f2, sum(e.fault & 1 != 0 AND e.arg1 % 4 = 3) AS f3
			FROM events e JOIN probes p ON p.id = e.probe_id WHERE p.provider = 'sf'
			GROUP BY p.name" >"$n.csv" 2>"$n.qerr" || { log "error: query of $t failed"; rm -f "$n.csv"; continue; }
		[ -s "$work/k-$1/keep" ] || echo "$t" >"$work/k-$1/keep" # keep one tape of each column
		grep -qx "$t" "$work/k-$1/keep" || rm -f "$t"
	done
	rm -f "$work/k-$1"/faults-* "$work/k-$1"/count-* "$work/k-$1"/wrong-* "$work/k-$1"/byk-*
	for csv in "$work/k-$1"/f-*.csv; do
		[ -f "$csv" ] || continue
		m=$(basename "$csv" | cut -d- -f2)
		tail -n +2 "$csv" | while IFS=, read -r probe cnt flt wrong f0 f1 f2 f3; do
			echo "$f0 $f1 $f2 $f3" >>"$work/k-$1/byk-$m-$probe"
			awk -v f="$flt" -v c="$cnt" 'BEGIN { printf "%.1f\n", c ? 1000 * f / c : -1 }' \
				>>"$work/k-$1/faults-$m-$probe"
			echo "$cnt" >>"$work/k-$1/count-$m-$probe"
			echo "$wrong" >>"$work/k-$1/wrong-$m"
		done
	done
}
fcell() { # column probe -> "nofault → default" medians (min–max when they differ)
	a=$(mcol "$work/k-$1/faults-nofault-$2" 1 %.0f)
	b=$(mcol "$work/k-$1/faults-default-$2" 1 %.0f)
	[ "$a$b" = "––" ] && { echo "$(vm_why "$1")"; return; }
	echo "$a → $b"
}
present_cell() { # column mode key -> median of the fixture's KEY over the rounds of MODE
	for o in "$work/k-$1/f-$2-"*.out; do [ -s "$o" ] && get "$3" "$o"; done >"$work/k-$1/pres-$2-$3"
	median "$work/k-$1/pres-$2-$3"
}
present_all() { # key of -> "V of N" when every column (both modes) says V, else per column
	all=""
	for c in $fcols; do
		for m in nofault default; do
			v=$(present_cell "$c" "$m" "$1")
			all="$all $c:${v:-?}"
		done
	done
	if [ "$(echo "$all" | tr ' ' '\n' | sed -n 's/^[^:]*://p' | sort -u | wc -l)" = 1 ]; then
		echo "$(echo "$all" | sed 's/.*://') of $2"
	else
		echo "$all of $2 (column:value, --no-fault-in then default)" | sed 's/^ //'
	fi
}
fault_table() {
	h="| string argument ($str_hits hits of one probe) | pages present before its hits |"
	s="|---|---|"
	fcols=""
	for c in $kcols; do
		ls "$work/k-$c"/f-*.rc >/dev/null 2>&1 || continue
		fcols="$fcols $c"
		r=$(release "$c")
		[ "$c" = host ] && h="$h this machine ($r) |" || h="$h $c ($r) |"
		s="$s---|"
	done
	echo "$h"
	echo "$s"
	pb_file=$(present_all file_cold_present_before "$str_hits")
	pb_lit=$(present_all lit_cold_present_before 1)
	pw_file=$(present_all file_warm_present_before "$str_hits")
	pw_lit=$(present_all lit_warm_present_before 1)
	pb_heap=$(present_all heap_present_before "4 (the heap strings' pages, one per string)")
	while IFS='|' read -r probe label pres; do
		line="| $label | $pres |"
		for c in $fcols; do line="$line $(fcell "$c" "$probe") |"; done
		echo "$line"
	done <<EOF
lit_plain|(a) plain literals \`"", "alpha", 64-byte, "Jürgen M"\` in .rodata, first thing in main (issue 15's example)|not read (reading pagemap would touch .rodata first)
file_cold|(a) read-only file mapping, one distinct untouched page per hit|$pb_file
lit_cold|(a) the same four literals on a .rodata page nothing reads|$pb_lit
file_warm|(b) the file pages of (a), after the program read them|$pw_file
lit_warm|(b) the .rodata page of (a), after the program read it|$pw_lit
heap|(c) heap strings the program wrote|$pb_heap
EOF
}
fault_notes() {
	bad=""
	for c in $kcols; do
		for rc in "$work/k-$c"/f-*.rc; do
			[ -f "$rc" ] || continue
			[ "$(cat "$rc")" = 0 ] || bad="$bad $c:$(basename "$rc" .rc)"
		done
		for cf in "$work/k-$c"/count-*; do
			[ -f "$cf" ] || continue
			awk -v n="$str_hits" '$1 != n { bad = 1 } END { exit bad }' "$cf" ||
				bad="$bad $c:$(basename "$cf")(events≠hits)"
		done
	done
	[ -n "$bad" ] && echo "**Runs that failed or lost events:**$bad (their files are in \`$work\`)."
	# faults where none should be: any with the default, on present pages with --no-fault-in;
	# one line per column and mode, with the faults of the literal and heap probes by string
	unexpected=0
	for c in $kcols; do
		for m in default nofault; do
			list=""
			: >"$work/k-$c/byk-$m-unexpected"
			for probe in lit_plain file_cold lit_cold file_warm lit_warm heap; do
				f="$work/k-$c/faults-$m-$probe"
				[ -s "$f" ] || continue
				case $m/$probe in nofault/lit_plain | nofault/*_cold) continue ;; esac
				[ "$(stats "$f" | cut -d' ' -f3)" = 0.0 ] && continue
				list="$list, \`$probe\` $(mcol "$f" 1 %.0f)"
				case $probe in file*) ;; *) cat "$work/k-$c/byk-$m-$probe" >>"$work/k-$c/byk-$m-unexpected" ;; esac
			done
			[ -n "$list" ] || continue
			by=""
			[ -s "$work/k-$c/byk-$m-unexpected" ] && by="; the literal and heap ones by string, over all their rounds: $(awk -v h="$str_hits" '
				{ for (i = 1; i <= 4; i++) s[i] += $i }
				END { split("\"\"|\"alpha\"|the 64-byte literal|\"Jürgen M\"", t, "|")
				      for (i = 1; i <= 4; i++) printf "%s%s %d of %d", (i > 1 ? ", " : ""), t[i], s[i], NR * h / 4 }' \
				"$work/k-$c/byk-$m-unexpected")"
			unexpected=1
			echo "- **Unexpected faults** on $c ($(release "$c")), $( [ $m = default ] && echo default || echo "\`--no-fault-in\`"), per 1,000 hits:$(echo "$list" | sed 's/^,//')$by."
		done
	done
	[ $unexpected = 1 ] && echo
	w=$(cat "$work"/k-*/wrong-* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
	nw=$(cat "$work"/k-*/wrong-* 2>/dev/null | wc -l)
	echo "Strings read with a wrong value (not a fault, but not what the program fired), over all $nw probe × run pairs: $w."
	pa=$(present_cell host default file_cold_present_after)
	pn=$(present_cell host nofault file_cold_present_after)
	echo "File pages of (a) present after their hits on this machine: $pa of $str_hits with the default, $pn with \`--no-fault-in\` (the default's program faulted them into the process, as the process's own read would have)."
}

# 4. cost
cost_col() { mcol "$work/cost-$1" 1 %.0f; }
cost_checks() { # every cost round: S recorded every hit with no fault, N faulted exactly the cold ones
	bad=0 n=0
	for d in "$work"/cost-[0-9]*; do
		[ -f "$d/s.csv" ] || continue
		n=$((n + 1))
		c=$(get cold_hits "$d/out")
		awk -F, -v h="$cost_hits" -v c="$c" 'FNR > 1 {
			want = ($1 ~ /^warm/) ? h : c
			if ($2 != want) bad = 1
			if ($1 == "cold_n" ? $3 != c : $3 != 0) bad = 1 }
			END { exit bad }' "$d/s.csv" "$d/n.csv" || bad=$((bad + 1))
	done
	echo "$bad $n"
}

for c in $kcols; do fault_counts "$c"; done
# shellcheck disable=SC2046 # two numbers, split on purpose
set -- $(cost_checks)
cost_bad=$1 cost_n=$2
warm_s=$(median "$work/cost-warm_s_ns")
warm_n=$(median "$work/cost-warm_n_ns")
cold_s=$(median "$work/cost-cold_s_ns")
cold_n=$(median "$work/cost-cold_n_ns")
touch=$(median "$work/cost-touch_s_ns")
ref=$(median "$work/cost-ref_ns")
d() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.0f", a - b }'; }
dn() { d "$@" | sed 's/^+//'; }
perf_det=$(median "$(att_val host perf detach_ms)")

measured_at=""
[ -s "$work/commit" ] && measured_at=" Measured at commit $(cat "$work/commit")$(date -r "$work/commit" -u '+, %Y-%m-%d %H:%M UTC')."
cat <<EOF
$title

**Verifier budget.** \`tests/tools/tt-bpf-budget --json\` loads the recorder's programs in every
load-time configuration the kernel allows (attach path × sleepable or not × pid filter, the longest
strings; the verifier cannot know what the \`sites\` map will hold, so every argument kind, count,
string and Go site is verified at once) and reports \`verified_insns\` per program. Run here and,
through \`tests/vm/run-vm KERNEL\` (qemu, software emulation, the host's root read-only), inside
Debian's kernels$( [ -n "$kernels" ] && echo " $kernels" ). Cells: processed instructions (what is left of the
budget of $(fmtn $budget), a quarter of the kernel's 1,000,000, or how far over it it is).$measured_at

$(budget_table)
$(budget_notes)

**Attaching 1,000 sites.** \`bench/sites\` carries 1,000 one-argument USDT probes (\`many:p000\` ..
\`many:p999\`, one site and one semaphore each) behind a condition that is never true. \`tracetape
record -v --attach multi|perf -o T 'usdt:SITES:*'\` (a path spec: no process runs the binary) runs
under \`bench/stoptime\`, which sends SIGINT as soon as the ready line is out, then waits for the
recorder to exit and, when the recorder handed its links to a background \`tt-detach\` process,
for that process too, by its pid (a pidfd; bounded at 900 s, never signalled). Attach = what
\`-v\` prints ("attached 1000 sites to … in X ms"); start → ready includes loading and verifying
the programs. $attach_rounds rounds on this machine, $guest_attach_rounds in each guest (under emulation: compare
paths within a row's kernel, not with this machine), paths interleaved; median (min–max).

$(attach_table)
$(attach_notes)

**Strings in pages never touched.** \`bench/strfault faults DIR $str_hits\` fires $str_hits hits of each
probe below (the string and the hit's index), recorded with \`tracetape record -o T
'usdt:STRFAULT:sf:*' -- STRFAULT faults …\`, once with the default (the \`usdt\` program is
sleepable and faults pages in) and once with \`--no-fault-in\` (the behaviour before issue 15);
the tape is loaded and a hit counts as a fault when its \`events.fault\` bit 0 is set (\`arg0\` is
then NULL). The file is a sparse file the program wrote (pages 64 KiB apart, MADV_RANDOM, so that
the kernel's fault-around maps none of them along); the .rodata page has 2 MiB of padding on each
side. Page presence is read from /proc/self/pagemap by the fixture itself. Cells: faults per 1,000
hits, \`--no-fault-in\` → default, median (min–max) of $str_rounds rounds; guests write the fixture's
file into their tmpfs /tmp.

$(fault_table)

$(fault_notes)

**Cost per string hit** (this machine, $(release host)). \`bench/strfault cost\` fires three probes with
the same 24-byte string in a page it has read, $cost_hits times each in alternating blocks of
10,000, and reports each one's thread CPU time per hit: \`sf:warm_s\` is recorded by one \`tracetape
record\` (default), \`sf:warm_n\` by a second one running at the same time with \`--no-fault-in\`, and
\`sf:ref\` carries the empty BPF program (\`bench/bpf_empty\`), so all three come from the same
seconds of one process. Then $cost_cold hits each, in alternating blocks of 100, on distinct untouched
file pages (as above): \`sf:cold_s\` (default recorder: the read fails, the program faults the
page in with \`bpf_copy_from_user()\` and reads again), \`sf:cold_n\` (\`--no-fault-in\` recorder:
the read fails, the hit is recorded as a fault), and \`sf:touch_s\` (the program reads a byte of
the page itself, a minor fault of its own, then the default recorder's hit finds the page). $str_rounds
rounds, median (min–max); every round checked that the tapes hold every hit, with faults exactly
on \`cold_n\` ($( [ "$cost_bad" = 0 ] && echo "all $cost_n rounds did" || echo "**$cost_bad of $cost_n rounds did not**")).

| hit | CPU ns per hit | − the hit it compares with |
|---|---|---|
| \`sf:ref\`, empty BPF program, page present | $(cost_col ref_ns) | |
| \`sf:warm_n\`, \`--no-fault-in\`, page present | $(cost_col warm_n_ns) | $(d "$warm_n" "$ref") vs empty program |
| \`sf:warm_s\`, default (sleepable), page present | $(cost_col warm_s_ns) | $(d "$warm_s" "$warm_n") vs \`--no-fault-in\`; ratio in the same blocks: $(mcol "$work/cost-warm_ratio" 1 %.3f)× |
| \`sf:cold_n\`, \`--no-fault-in\`, page absent: recorded as a fault | $(cost_col cold_n_ns) | $(d "$cold_n" "$warm_n") vs a present page |
| \`sf:cold_s\`, default, page absent: faulted in and read | $(cost_col cold_s_ns) | $(d "$cold_s" "$warm_s") vs a present page |
| program reads the absent page itself, then \`sf:touch_s\` (default) | $(cost_col touch_s_ns) | $(d "$touch" "$warm_s") vs a present page |

What the numbers mean. A string in a page the process has not touched (a literal in \`.rodata\`,
a file mapping) is not unreadable, only absent from the page tables: the non-sleepable program
runs with page faults disabled and can only give up, so \`--no-fault-in\` loses such a hit every
time, however often it repeats (a page the process never reads never appears). The sleepable
program takes the fault the process would have taken on its first read, and the page stays
mapped: later hits find it (rows (b)). On a present page the default costs $(mcol "$work/cost-warm_ratio" 1 %.3f)× what
\`--no-fault-in\` costs in the same blocks (a difference of $(d "$warm_s" "$warm_n") ns per hit): the sleepable program differs only
after a failed read. A hit whose page is absent costs $(dn "$cold_s" "$warm_s") ns more than one on a present page
with the default (the failed read, the fault, the second read), against $(dn "$touch" "$warm_s") ns for the process's
own first read of such a page (last row), and $(dn "$cold_n" "$warm_n") ns more with \`--no-fault-in\`, which
records a fault for it. Each page is paid for once per process.
On the per-site path (\`--attach perf\`, the only one before Linux 6.6) attaching is one
\`perf_event_open\` and one link per site, and detaching is the kernel's work: every closed uprobe
perf event waits for RCU grace periods under a global mutex, one link after another (${perf_det:+here
$(awk -v m="$perf_det" 'BEGIN { printf "%.0f", m / 1000 }') s for 1,000 links on this machine, }about 0.1 s each), so the recorder closes one link, hands
the rest to \`tt-detach\` and exits at once with a complete tape; the tt-detach column is that
work, done after the recording ended.
The uprobe-multi path attaches and detaches all sites of a binary with one link.
The budget table shows how much the same program's verification differs between kernels (and
between the configurations of one kernel): the verifier's state pruning, more than the program,
decides the count.
EOF
