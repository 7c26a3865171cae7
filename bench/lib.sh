# Shell helpers shared by the bench sections that measure configurations side by side
# (sourced, not run: run.sh runs bench/sections/*.sh only).

# fail WHY: the section's fragment when it cannot measure (its $title heading, then WHY), a log
# line (the section's log()), and exit 1
fail() {
	printf '%s\n\nNot measured: %s\n' "$title" "$1"
	log "error: $1"
	exit 1
}

# get KEY FILE: the value of the first KEY=VALUE line of FILE
get() { sed -n "s/^$1=//p" "$2" | head -1; }

# jnum KEY FILE: a top-level number of `tracetape info --json`
jnum() {
	if command -v jq >/dev/null 2>&1; then
		jq -r ".$1" "$2" 2>/dev/null
	else
		grep -o "\"$1\": *[0-9.]*" "$2" | head -1 | sed 's/.*: *//'
	fi
}

# stats FILE -> "median min max" of the numbers in FILE (one per line), or "" when empty
stats() {
	[ -s "$1" ] || return 0
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s %s %s\n", m, v[1], v[NR] }'
}
median() { stats "$1" | cut -d' ' -f1; }

# rotated ROUND CONFIG...: the configurations in the order of round ROUND (1-based), rotated
# by one more place each round so that no configuration always follows the same one
rotated() {
	k=$((($1 - 1) % ($# - 1)))
	shift
	while [ "$k" -gt 0 ]; do
		first=$1
		shift
		set -- "$@" "$first"
		k=$((k - 1))
	done
	echo "$@"
}

# report_pair DB URL NAME: `tracetape report -v` of the SQLite database DB and of the ClickHouse
# URL, best of two runs each (one when a run takes over a minute), into $work/report-*.txt;
# sets r_sq and r_ch (seconds), same (whether the two are identical apart from their first
# line, the source; bench/out/NAME has them when not) and r_bytes (what the ClickHouse report
# pulled to the client: queries and bytes received). Uses $tt and $work.
# shellcheck disable=SC2034 # the caller's variables
report_pair() {
	r_sq=$(report_best "$1" report-sqlite)
	r_ch=$(report_best "$2" report-ch)
	tail -n +2 "$work/report-sqlite.txt" >"$work/report-sqlite.body"
	tail -n +2 "$work/report-ch.txt" >"$work/report-ch.body"
	if cmp -s "$work/report-sqlite.body" "$work/report-ch.body"; then
		same="identical apart from the source line"
	else
		same="**different** (bench/out/$3/report-*.txt)"
	fi
	r_bytes=$(sed -n 's/.*: \([0-9]*\) queries, \([0-9]*\) bytes received.*/\1 queries, \2 bytes received/p' \
		"$work/report-ch.err")
}
report_best() {
	b=""
	for _ in 1 2; do
		/usr/bin/time -f "%e" -o "$work/r.time" "$tt" report -v "$1" >"$work/$2.txt" 2>"$work/$2.err" ||
			{ cat "$work/$2.err" >&2; exit 1; }
		t=$(cat "$work/r.time")
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
		[ "$(echo "$t > 60" | bc)" = 1 ] && break
	done
	echo "$b"
}
