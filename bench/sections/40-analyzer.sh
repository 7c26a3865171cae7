#!/bin/sh
# Analyzer: `tracetape load` and `tracetape report` on a 10-million-event tape, against the plain
# C insert rate of the same rows into SQLite measured in the same run.
#
#   bench/sections/40-analyzer.sh BUILD_DIR WORK_DIR      (TT_BENCH_ANALYZER_EVENTS=N to resize)
#
# The tape comes from bench/analyzer_bench.c (the tape writer API): four threads of one process
# doing app:query__begin(id, op) / app:rows(n) / app:query__end(id, status), interleaved, so
# two thirds of the events pair into spans across the threads. The same program, in "limit"
# mode, inserts the same event rows with one prepared single-row INSERT and the loader's
# settings: the reference of the issue; "limit16" does the same through 16-row INSERTs, as the
# loader does, for context. Each side runs twice and the faster run counts, because other work on
# the machine makes single runs noisy.
set -eu
build=$(cd "$1" && pwd)
work=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
n=${TT_BENCH_ANALYZER_EVENTS:-10000000}
tt=$build/tracetape
mkdir -p "$work"

echo "40-analyzer: writing a tape of $n events" >&2
rm -f "$work/a.tape"
"$build/bench/analyzer_bench" gen "$work/a.tape" "$n"
tape_bytes=$(stat -c %s "$work/a.tape")

best_limit=0
best_limit16=0
best_load=""
for run in 1 2; do
	echo "40-analyzer: run $run: plain SQLite insert" >&2
	l=$("$build/bench/analyzer_bench" limit "$work/limit.db" "$n" | cut -d' ' -f1)
	[ "$l" -gt "$best_limit" ] && best_limit=$l
	l=$("$build/bench/analyzer_bench" limit16 "$work/limit.db" "$n" | cut -d' ' -f1)
	[ "$l" -gt "$best_limit16" ] && best_limit16=$l
	rm -f "$work/limit.db"
	echo "40-analyzer: run $run: tracetape load" >&2
	/usr/bin/time -v "$tt" load -v --force -o "$work/a.db" "$work/a.tape" 2>"$work/load$run.err" ||
		{ cat "$work/load$run.err" >&2; exit 1; }
	total=$(sed -n 's/.* in \([0-9.]*\) s (.*/\1/p' "$work/load$run.err")
	if [ -z "$best_load" ] || [ "$(echo "$total < $best_total" | bc)" = 1 ]; then
		best_load=$run
		best_total=$total
		cp "$work/load$run.err" "$work/load.err"
	fi
done

# the best load's figures
ins_s=$(sed -n 's/.*phases: insert \([0-9.]*\) s.*/\1/p' "$work/load.err")
ev_rate=$(sed -n 's/.*phases: insert [0-9.]* s (\([0-9]*\) events\/s.*/\1/p' "$work/load.err")
row_rate=$(sed -n 's/.*events\/s, \([0-9]*\) rows\/s.*/\1/p' "$work/load.err")
idx_s=$(sed -n 's/.*indexes \([0-9.]*\) s.*/\1/p' "$work/load.err")
fin_s=$(sed -n 's/.*finish \([0-9.]*\) s,.*/\1/p' "$work/load.err")
spans=$(sed -n 's/.* events, \([0-9]*\) spans.*/\1/p' "$work/load.err")
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$work/load.err")
db_bytes=$(stat -c %s "$work/a.db")

echo "40-analyzer: tracetape report" >&2
rep_best=""
for run in 1 2; do
	/usr/bin/time -f "%e %M" -o "$work/report$run.time" "$tt" report "$work/a.db" >"$work/report.txt"
	t=$(cut -d' ' -f1 "$work/report$run.time")
	if [ -z "$rep_best" ] || [ "$(echo "$t < $rep_best" | bc)" = 1 ]; then
		rep_best=$t
		rep_kb=$(cut -d' ' -f2 "$work/report$run.time")
	fi
done
/usr/bin/time -f "%e" -o "$work/html.time" "$tt" report --html "$work/report.html" "$work/a.db" 2>/dev/null
html_s=$(cat "$work/html.time")

pct() { echo "scale=1; 100 * $1 / $2" | bc; }
th() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
ok() { [ "$(echo "$1" | bc)" = 1 ] && echo "yes" || echo "**no**"; }
ev_pct=$(pct "$ev_rate" "$best_limit")
ev16_pct=$(pct "$ev_rate" "$best_limit16")
row_pct=$(pct "$row_rate" "$best_limit")
bpe=$(echo "scale=1; $db_bytes / $n" | bc)
tape_bpe=$(echo "scale=1; $tape_bytes / $n" | bc)

# perf script's decoding rate, measured by the tape section of this run (20-tape.sh)
perf_rate=$(cat "$work/../20-tape/perf_script.rate" 2>/dev/null || true)
if [ -n "$perf_rate" ]; then
	perf_row="| \`perf script\` decoding a perf recording (a 2-argument USDT probe, 1 M hits; tape section of this run) | $(th "$perf_rate") events/s | tracetape load: $(echo "$ev_rate / $perf_rate" | bc -l | xargs printf '%.1f')× its rate in the insert phase, $(echo "$n / $best_total / $perf_rate" | bc -l | xargs printf '%.1f')× end to end (spans, indexes) | |"
else
	perf_row="| \`perf script\` decoding a perf recording of such a workload | ≈ 0.5 M events/s | quoted from the issue: perf was not measured in this run | |"
fi

cat <<MD
## Analyzer: load and report

\`tracetape load\` of a tape of $(th "$n") events (bench/analyzer_bench.c: 4 threads,
\`app:query__begin(id, op)\` / \`app:rows(n)\` / \`app:query__end(id, status)\`, giving
$(th "$spans") spans paired by id), then \`tracetape report\` on the database. The limit
is the same event rows inserted by plain C with one prepared statement and the loader's SQLite
settings (page size 16 KiB, journal off, synchronous off, exclusive lock, 64 MiB cache), measured
in the same run; each side ran twice, the faster run counts. Tape: $(th "$tape_bytes")
bytes ($tape_bpe bytes/event).

| measure | tracetape | limit / target | met |
|---|---:|---:|:---:|
| bulk insert, events/s (insert phase: read, spans, insert) | $(th "$ev_rate") | plain C insert $(th "$best_limit") rows/s ($ev_pct %) | $(ok "$ev_pct >= 90") |
| bulk insert, rows/s (events + spans rows) | $(th "$row_rate") | $row_pct % of the plain C rate | $(ok "$row_pct >= 90") |
| the same events through 16-row INSERTs (what the loader does), plain C | | $(th "$best_limit16") rows/s (loader: $ev16_pct %) | |
| end-to-end load (events, spans, indexes, file closed) | $best_total s | ≤ 25 s | $(ok "$best_total <= 25") |
| phases: insert / small tables, views / indexes, span transfer, flags | $ins_s s / $fin_s s / $idx_s s | | |
| peak memory of load (max RSS) | $((rss_kb / 1024)) MiB | < 256 MiB | $(ok "$rss_kb < 262144") |
| database size | $(th "$db_bytes") bytes, $bpe bytes/event | | |
| \`tracetape report\` (text) | $rep_best s, $((rep_kb / 1024)) MiB | ≤ 5 s | $(ok "$rep_best <= 5") |
| \`tracetape report --html\` (same pass, plus the SVG charts) | $html_s s | | |
$perf_row

Machine: $(nproc) CPUs; the run shares them with whatever else runs (load average at the end:
$(cut -d' ' -f1-3 /proc/loadavg)). The loader runs three threads (tape reading and span pairing;
events insert; spans insert into a side database that is copied in at the end with SQLite's
transfer optimisation) and inserts 16 rows per statement execution, which is why its event rate
can exceed the single-row reference; with fewer than three free CPUs the threads compete.
MD
