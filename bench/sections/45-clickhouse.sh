#!/bin/sh
# ClickHouse: `tracetape load --into clickhouse://...` of a 10-million-event tape into a local
# two-shard cluster (tests/tools/ch-cluster, loopback), against `tracetape load` into SQLite of
# the same tape, the same percentile query on both, and the report of both (`tracetape report DB`
# against `tracetape report clickhouse://...`, whose statistics the servers compute).
#
#   bench/sections/45-clickhouse.sh BUILD_DIR WORK_DIR    (TT_BENCH_ANALYZER_EVENTS=N to resize)
#
# The tape is the analyzer section's (bench/analyzer_bench.c gen), written again when that
# section did not run. The servers are started under WORK_DIR/cluster and stopped by their pids
# when the section ends, whatever happens. Needs clickhouse-server (scripts/deps.sh bench).
set -eu
build=$(cd "$1" && pwd)
work=$(mkdir -p "$2" && cd "$2" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
n=${TT_BENCH_ANALYZER_EVENTS:-10000000}
tt=$build/tracetape
. "$(dirname "$0")/../lib.sh"
cluster="$work/cluster"

tape="$work/../40-analyzer/a.tape"
if [ ! -f "$tape" ] || [ "$("$tt" info "$tape" 2>/dev/null | sed -n 's/^events: *\([0-9]*\).*/\1/p')" != "$n" ]; then
	echo "45-clickhouse: writing a tape of $n events" >&2
	tape="$work/a.tape"
	rm -f "$tape"
	"$build/bench/analyzer_bench" gen "$tape" "$n"
fi

echo "45-clickhouse: starting two shards" >&2
rm -rf "$cluster" # a fresh database: a tape written again is another tape, loaded again
/usr/bin/python3 "$src/tests/tools/ch-cluster" start "$cluster" >/dev/null
trap '/usr/bin/python3 "$src/tests/tools/ch-cluster" stop "$cluster"' EXIT INT TERM
url=$(/usr/bin/python3 "$src/tests/tools/ch-cluster" url "$cluster" bench)

echo "45-clickhouse: load into SQLite" >&2
/usr/bin/time -f "%e %M" -o "$work/sqlite.time" "$tt" load -q --force -o "$work/a.db" "$tape"
echo "45-clickhouse: load into ClickHouse" >&2
/usr/bin/time -f "%e %M" -o "$work/ch.time" "$tt" load --into "$url" "$tape" 2>"$work/ch.err" ||
	{ cat "$work/ch.err" >&2; exit 1; }
sq_s=$(cut -d' ' -f1 "$work/sqlite.time")
ch_s=$(cut -d' ' -f1 "$work/ch.time")
ch_kb=$(cut -d' ' -f2 "$work/ch.time")
sqlite_phase=$(sed -n 's/.*(SQLite \([0-9.]*\) s, sending.*/\1/p' "$work/ch.err")
send_s=$(sed -n 's/.*sending \([0-9.]*\) s:.*/\1/p' "$work/ch.err")
send_rate=$(sed -n 's/.*sending [0-9.]* s: \([0-9]*\) events\/s.*/\1/p' "$work/ch.err")
mib=$(sed -n 's/.* events\/s, \([0-9.]*\) MiB).*/\1/p' "$work/ch.err")

q="SELECT name, count(*), percentile(dur, 50), percentile(dur, 99), percentile_cont(dur, 99.9) FROM spans GROUP BY name ORDER BY name"
best() { # best of two runs of: tracetape query DB SQL
	b=""
	for run in 1 2; do
		/usr/bin/time -f "%e" -o "$work/q.time" "$tt" query -f csv "$1" "$q" >"$work/q$run.csv"
		t=$(cat "$work/q.time")
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}
echo "45-clickhouse: the same query on both" >&2
q_sq=$(best "$work/a.db")
q_ch=$(best "$url")

# the report of both (report_pair: lib.sh); the client's bytes received from ClickHouse say
# what was pulled
echo "45-clickhouse: the report of both" >&2
report_pair "$work/a.db" "$url" 45-clickhouse
spans=$(sed -n 's/.* \([0-9,]*\) spans.*/\1/p' "$work/report-sqlite.txt" | head -1)
rate() { echo "$n / $1" | bc; }
th() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

cat <<MD
## ClickHouse: load and query

One tape of $(th "$n") events (bench/analyzer_bench.c, as in the analyzer section) loaded by
one client into a local ClickHouse 18.16 cluster of two shards on loopback
(tests/tools/ch-cluster), against \`tracetape load\` into SQLite of the same tape. The ClickHouse
load is the SQLite load into a temporary file followed by sending every table as RowBinary over
HTTP (one chunked INSERT per table, its rows made while the server parses them); the query
is a per-name percentile query over the spans
(\`$q\`), best of two runs each.

| measure | SQLite | ClickHouse |
|---|---:|---:|
| load, end to end | $sq_s s ($(th "$(rate "$sq_s")") events/s) | $ch_s s ($(th "$(rate "$ch_s")") events/s) |
| of which: the temporary SQLite load / sending | | $sqlite_phase s / $send_s s ($(th "$send_rate") events/s, $mib MiB sent) |
| peak memory of the client (max RSS) | | $((ch_kb / 1024)) MiB |
| the percentile query | $q_sq s | $q_ch s |
| \`tracetape report\` (text) | $r_sq s | $r_ch s ($r_bytes) |

The two reports of the $spans spans are $same.
ClickHouse's is computed by the servers: each distribution is two queries (the values at the
nearest ranks picked from the server's sorted array of them, then the counts per histogram
bucket, each shard counting its part), and the client receives only the results (above), not
the spans; its queries run one after the other.

A tape's rows live on one shard (the sharding key is the tape), so one tape's load and its
queries run on one server; several tapes spread over the shards, and each shard then sorts
and scans its part: with more shards, queries over many hosts' tapes scale with the shard count,
while one client's load stays bound by its one HTTP stream and the temporary SQLite load (several
clients loading different hosts' tapes at once would each get that rate). Machine: $(nproc)
CPUs shared by the client and both servers (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)).
MD
