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
