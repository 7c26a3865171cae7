#!/bin/sh
# make bench: run the bench/sections/*.sh in order and assemble bench/RESULTS.md.
#
# Each section is an executable script called as `SECTION BUILD_DIR WORK_DIR`; it prints a
# markdown fragment (a "## Title" heading, how it was measured, a table against its anchors)
# on stdout and its progress on stderr. A failing section is reported in RESULTS.md and makes
# this script exit 1, after the other sections ran.
#
#   bench/run.sh [BUILD_DIR] [SECTION-GLOB]     e.g. bench/run.sh build '3[37]-*'
#
# With a glob, only the matching sections run; every other section keeps what RESULTS.md
# already says of it (each fragment there follows a `<!-- bench: NAME -->` line, and says when
# it was measured), so one section can be measured again without the others.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
glob=${2:-*}
work="$here/out"
mkdir -p "$work"
out="$here/RESULTS.md"
status=0

# The fragment RESULTS.md holds for section $1, without its marker line.
previous() {
	[ -f "$out" ] || return 0
	awk -v m="<!-- bench: $1 -->" '
		index($0, "<!-- bench: ") == 1 { on = ($0 == m); next }
		on' "$out"
}

now=$(date -u '+%Y-%m-%d %H:%M UTC')
machine="$(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
# This run's fragments; RESULTS.md is assembled only at the end, under a lock, from what it
# says then, so two runs measuring different sections at once keep each other's results.
frags=$(mktemp -d "$work/run.XXXXXX")
for s in "$here"/sections/*.sh; do
	[ -x "$s" ] || continue
	name=$(basename "$s" .sh)
	# shellcheck disable=SC2254 # the glob is the caller's pattern
	case "$name" in
	$glob) ;;
	*) continue ;;
	esac
	echo "bench: $name" >&2
	mkdir -p "$work/$name"
	load=$(cut -d' ' -f1 /proc/loadavg)
	if ! "$s" "$build" "$work/$name" >"$frags/$name"; then
		status=1
		{ echo; echo "**Section $name failed** (see its stderr)."; } >>"$frags/$name"
	fi
	{ echo; echo "_Measured $now on $machine; load average $load at the start._"; echo; } >>"$frags/$name"
done

exec 9>"$work/RESULTS.lock"
flock 9
tmp="$frags/RESULTS.md"
{
	echo "# tracetape benchmarks"
	echo
	echo "Written by \`make bench\`. Each section says when and on what it was measured;"
	echo "\`bench/run.sh build 'NN-*'\` measures one again and keeps the others."
	echo
	for s in "$here"/sections/*.sh; do
		[ -x "$s" ] || continue
		name=$(basename "$s" .sh)
		echo "<!-- bench: $name -->"
		if [ -f "$frags/$name" ]; then cat "$frags/$name"; else previous "$name"; fi
	done
} >"$tmp"
mv "$tmp" "$out"
rm -rf "$frags"
echo "bench: wrote $out" >&2
exit $status
