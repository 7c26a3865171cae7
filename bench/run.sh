#!/bin/sh
# make bench: run every bench/sections/*.sh in order and assemble bench/RESULTS.md.
#
# Each section is an executable script called as `SECTION BUILD_DIR WORK_DIR`; it prints a
# markdown fragment (a "## Title" heading, how it was measured, a table against its anchors)
# on stdout and its progress on stderr. A failing section is reported in RESULTS.md and makes
# this script exit 1, after the other sections ran.
#
#   bench/run.sh [BUILD_DIR] [SECTION-GLOB]     e.g. bench/run.sh build 'tape*'
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
glob=${2:-*}
work="$here/out"
mkdir -p "$work"
out="$here/RESULTS.md"
tmp="$work/RESULTS.md.tmp"
status=0

{
	echo "# tracetape benchmarks"
	echo
	echo "Written by \`make bench\` ($(date -u '+%Y-%m-%d %H:%M UTC')) on $(uname -r), $(nproc) CPUs,"
	echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'). Sections: $(ls "$here"/sections/$glob.sh 2>/dev/null | wc -l)."
	echo
} >"$tmp"

for s in "$here"/sections/$glob.sh; do
	[ -x "$s" ] || continue
	name=$(basename "$s" .sh)
	echo "bench: $name" >&2
	mkdir -p "$work/$name"
	if "$s" "$build" "$work/$name" >"$work/$name.md"; then
		cat "$work/$name.md" >>"$tmp"
	else
		status=1
		{ cat "$work/$name.md"; echo; echo "**Section $name failed** (see its stderr)."; } >>"$tmp"
	fi
	echo >>"$tmp"
done
mv "$tmp" "$out"
echo "bench: wrote $out" >&2
exit $status
