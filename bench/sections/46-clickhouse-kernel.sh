#!/bin/sh
# ClickHouse, the kernel breakdowns: `tracetape report` of a tape recorded with scheduler and
# syscall records (where each span's time went), from SQLite and from a local two-shard
# ClickHouse cluster (tests/tools/ch-cluster), the two reports compared.
#
#   bench/sections/46-clickhouse-kernel.sh BUILD_DIR WORK_DIR   (TT_BENCH_KERNEL_ROUNDS=N to resize)
#
# The tape is written by tests/tools/kernel-tape (the e2e tests' generator) through tt-mktape:
# one host, three threads, N rounds each of running, syscalls, spans and a switch-out. Its
# app:req spans last longer as the capture goes on (a queue of requests that grows), so each one
# overlaps more thread_states and syscalls rows (the worst case of a per-span scan). The servers
# are stopped by their pids when the section ends. Needs clickhouse-server (scripts/deps.sh bench).
set -eu
build=$(cd "$1" && pwd)
work=$(mkdir -p "$2" && cd "$2" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${TT_BENCH_KERNEL_ROUNDS:-10000}
tt=$build/tracetape
cluster="$work/cluster"
. "$(dirname "$0")/../lib.sh"

echo "46-clickhouse-kernel: writing the tape ($rounds rounds)" >&2
/usr/bin/python3 "$src/tests/tools/kernel-tape" bench 9 "$rounds" >"$work/k.txt"
"$build/tests/tools/tt-mktape" -o "$work/k.tape" "$work/k.txt"
rm -f "$work/k.txt"

echo "46-clickhouse-kernel: starting two shards" >&2
rm -rf "$cluster" # a fresh database: a tape written again is another tape, loaded again
/usr/bin/python3 "$src/tests/tools/ch-cluster" start "$cluster" >/dev/null
trap '/usr/bin/python3 "$src/tests/tools/ch-cluster" stop "$cluster"' EXIT INT TERM
url=$(/usr/bin/python3 "$src/tests/tools/ch-cluster" url "$cluster" kbench)

"$tt" load -q --force -o "$work/k.db" "$work/k.tape"
"$tt" load -q --into "$url" "$work/k.tape"
counts=$("$tt" query -f csv "$work/k.db" "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM spans
	WHERE dur IS NOT NULL), (SELECT count(*) FROM thread_states), (SELECT count(*) FROM syscalls),
	(SELECT max(dur) / 1000000 FROM spans)" | tail -1)
th() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
events=$(th "$(echo "$counts" | cut -d, -f1)")
spans=$(th "$(echo "$counts" | cut -d, -f2)")
states=$(th "$(echo "$counts" | cut -d, -f3)")
calls=$(th "$(echo "$counts" | cut -d, -f4)")
longest=$(echo "$counts" | cut -d, -f5 | cut -d. -f1)

echo "46-clickhouse-kernel: the report of both" >&2
report_pair "$work/k.db" "$url" 46-clickhouse-kernel
grep -q "Where the time went" "$work/report-sqlite.txt" || same="$same, **without breakdowns**"

cat <<MD
## ClickHouse: the kernel breakdowns

\`tracetape report\` of one tape with scheduler and syscall records (tests/tools/kernel-tape,
$rounds rounds: $events events, $spans closed spans, $states thread_states rows, $calls
syscalls; spans up to ${longest} ms, longer as the capture goes on), from SQLite and from a local
ClickHouse 18.16 cluster of two shards, best of two runs each. The report includes where each
span name's time went (thread states, syscalls) and each slowest span's.

| | SQLite | ClickHouse |
|---|---:|---:|
| \`tracetape report\` (text) | $r_sq s | $r_ch s ($r_bytes) |

The two reports are $same. SQLite's client loads each thread's rows once, sorted, with
cumulative sums per state and per syscall number, and answers each span by binary searches
(analyzer/report_kernel.c); ClickHouse sorts each thread's rows of one state or syscall number
with its spans' bounds once and integrates (analyzer/ch_report.c): both grow with the rows and
spans, however long the spans are. Machine: $(nproc) CPUs shared by the client and
both servers (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)).
MD
