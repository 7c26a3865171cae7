<?php
// SPDX-License-Identifier: MIT
//
// The cost of one call, for bench/sections/65-php.sh: `php calls.php MODE N` runs N calls of
// MODE in a loop and prints ns_per_call=X, the loop's time per pass less that of the same loop
// with an empty body (timed in the same process, just before), so X is the call alone.
//
// `php calls.php MODE N once` runs the N calls only and prints nothing: for counting the
// instructions of a run (callgrind) against those of `none`, an empty loop.
//
// Modes: user (an empty userland function), internal (an empty internal function: gc_enabled),
// probe1 (tracetape_probe with 1 value), probe4 (4 values of 4 kinds), guard (the
// tracetape_enabled() check), span (tracetape_span_begin + _end: two calls).

function empty_user($i) {}

$mode = $argv[1] ?? 'user';
$n = (int)($argv[2] ?? 1000000);

function run_mode(string $mode, int $n): int
{
    $t = hrtime(true);
    switch ($mode) {
    case 'none':
        for ($i = 0; $i < $n; $i++) {
        }
        break;
    case 'user':
        for ($i = 0; $i < $n; $i++) {
            empty_user($i);
        }
        break;
    case 'internal':
        for ($i = 0; $i < $n; $i++) {
            gc_enabled();
        }
        break;
    case 'probe1':
        for ($i = 0; $i < $n; $i++) {
            tracetape_probe('checkout', $i);
        }
        break;
    case 'probe4':
        for ($i = 0; $i < $n; $i++) {
            tracetape_probe('checkout', $i, 9.99, 'book', true);
        }
        break;
    case 'guard':
        for ($i = 0; $i < $n; $i++) {
            if (tracetape_enabled()) {
                tracetape_probe('dump', json_encode([$i]));
            }
        }
        break;
    case 'span':
        for ($i = 0; $i < $n; $i++) {
            tracetape_span_begin('payment', $i);
            tracetape_span_end('payment', $i);
        }
        break;
    default:
        fwrite(STDERR, "calls.php: unknown mode '$mode'\n");
        exit(2);
    }
    return hrtime(true) - $t;
}

if (($argv[3] ?? '') === 'once') {
    run_mode($mode, $n);
    exit(0);
}
run_mode($mode, intdiv($n, 10)); // warm up
$base = min(run_mode('none', $n), run_mode('none', $n));
$t = run_mode($mode, $n);
printf("ns_per_call=%.2f\n", ($t - $base) / $n);
