#!/bin/sh
# make demo: record the bundled C service under the recorder and show what the tape holds.
#
#   scripts/demo.sh [BUILD_DIR]
#
# 1. tracetape check: can this machine record (privileges, BTF, tracefs, a real BPF program)?
# 2. tracetape record: the example service (examples/c-service), every probe of it and of the
#    shared library it uses, from the first line of main to its exit.
# 3. tracetape replay: the first events, in time order.
# 4. tracetape report: request latency (spans paired across threads by id), per probe counts.
set -eu
build=${1:-build}
tt="$build/tracetape"
svc="$build/examples/c-service/c-service"
out="$build/demo"

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: recording needs root (BPF); run: sudo make demo" >&2
	exit 1
fi
mkdir -p "$out"
tape="$out/c-service.tape"

echo "== tracetape check"
"$tt" check

echo
echo "== tracetape record -o $tape 'usdt:svc:*' 'usdt:cache:*' -- $svc --requests 300"
"$tt" record -o "$tape" 'usdt:svc:*' 'usdt:cache:*' -- "$svc" --requests 300

echo
echo "== tracetape replay $tape | head -12"
"$tt" replay "$tape" | head -12

echo
echo "== tracetape report $tape"
"$tt" report "$tape"
echo
echo "demo: the tape is $tape; try: $tt query $tape 'SELECT route, count(*) FROM svc_response GROUP BY route'"
