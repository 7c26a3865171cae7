#!/bin/sh
# make demo: show what tracetape can do on this machine, using what is built in BUILD.
set -eu
build=${1:-build}
tt="$build/tracetape"

echo "== tracetape check: can this machine record with BPF?"
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: recording needs root; re-run as root (sudo make demo)" >&2
	exit 1
fi
"$tt" check
