<?php
// SPDX-License-Identifier: MIT
//
// A shop backend in miniature: shop_request() handles one request and fires tracetape probes
// at the points that matter: a span per request, a cache miss marker, a checkout marker, a
// payment span with a string id, and the page rendering in tracetape_span(). It also notes
// every probe it fires in $log, so a recording can be checked against what the code passed.
// app.php drives it from the command line, web.php under PHP-FPM.
//
// Without the extension loaded it still runs (the probes are then the no-ops defined below), so
// the same code ships whether or not the extension is installed.

if (!function_exists('tracetape_probe')) {
    function tracetape_probe(string $name, ...$args): void {}
    function tracetape_enabled(?string $name = null): bool { return false; }
    function tracetape_span_begin(string $name, int|string $id, ...$args): void {}
    function tracetape_span_end(string $name, int|string $id, ...$args): void {}
    function tracetape_span(string $name, callable $fn, ...$args): mixed { return $fn(); }
}

// Note a probe fired: its name, its positional values, then its named ones.
function fired(array &$log, string $probe, array $args, array $named = []): void
{
    $log[] = ['probe' => $probe, 'args' => array_values($args), 'named' => (object)$named];
}

// Request $i: returns the HTTP status; $cache lives as long as the caller keeps it.
function shop_request(int $i, array &$cache, array &$log): int
{
    static $catalogue = ['book', 'lamp', "caf\u{e9}", 'mug'];
    $item = $catalogue[$i % count($catalogue)];
    $path = "/item/$item?page=$i";

    tracetape_span_begin('request', $i, method: 'GET', path: $path);
    fired($log, 'request__begin', [$i], ['method' => 'GET', 'path' => $path]);

    if (!isset($cache[$item])) {
        // a cache miss: the key and how many bytes the fill will cost
        $bytes = 1000 + 10 * $i;
        tracetape_probe('cache_miss', $item, $bytes);
        fired($log, 'cache_miss', [$item, $bytes]);
        $cache[$item] = str_repeat('x', 10);
    }

    // every kind of value: int, float, string, true/false, null
    $total = round(9.99 * $i, 2);
    $express = $i % 2 === 0;
    $coupon = $i % 3 === 0 ? "SAVE$i" : null;
    tracetape_probe('checkout', $i, $total, $item, $express, $coupon);
    fired($log, 'checkout', [$i, $total, $item, $express, $coupon]);

    // a span whose id is a string, begun and ended with different values
    $pay_id = sprintf('pay-%04d', $i);
    tracetape_span_begin('payment', $pay_id, provider: 'acme', amount: $total);
    fired($log, 'payment__begin', [$pay_id], ['provider' => 'acme', 'amount' => $total]);
    $ok = $i % 5 !== 0;
    usleep(200);
    tracetape_span_end('payment', $pay_id, ok: $ok, code: $ok ? 0 : 402);
    fired($log, 'payment__end', [$pay_id], ['ok' => $ok, 'code' => $ok ? 0 : 402]);

    // the rendering, as a span the extension numbers itself
    $html = tracetape_span('render', fn () => "<h1>$item</h1>" . str_repeat(' ', $i), template: 'item');
    fired($log, 'render', [], ['template' => 'item']);

    // something costly to describe: only built while someone records
    if (tracetape_enabled('request_dump')) {
        $dump = json_encode(['i' => $i, 'cache' => array_keys($cache)]);
        tracetape_probe('request_dump', $dump);
        fired($log, 'request_dump', [$dump]);
    }

    $status = $ok ? 200 : 402;
    tracetape_span_end('request', $i, status: $status, bytes: strlen($html));
    fired($log, 'request__end', [$i], ['status' => $status, 'bytes' => strlen($html)]);
    return $status;
}

// The log as JSON: floats keep their fraction, a string that is not UTF-8 cannot spoil it.
function log_json(array $doc): string
{
    return json_encode($doc, JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE);
}
