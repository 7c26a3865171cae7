<?php
// SPDX-License-Identifier: MIT
//
// The shop (shop.php) handling simulated requests from the command line, then a last probe
// with a string longer than the recorder keeps by default, a binary string and extreme numbers.
// With LOG, writes every probe it fired (JSON), the ground truth of a recording.
//
//     php -d extension=tracetape.so app.php [REQUESTS [LOG]]
//     tracetape record -o shop.tape --preset php-app -- php -d extension=tracetape.so app.php

require __DIR__ . '/shop.php';

$requests = (int)($argv[1] ?? 20);
$log_path = $argv[2] ?? null;
$log = [];
$cache = [];
$traced = tracetape_enabled();

for ($i = 1; $i <= $requests; $i++) {
    shop_request($i, $cache, $log);
}

$long = str_repeat('0123456789', 40);
tracetape_probe('shutdown', $long, "bin\0ary", -1, PHP_INT_MAX, 1.0e-300);
fired($log, 'shutdown', [$long, "bin\0ary", -1, PHP_INT_MAX, 1.0e-300]);

if ($log_path !== null) {
    file_put_contents($log_path, log_json(['traced' => $traced, 'requests' => $requests,
                                          'probes' => $log]) . "\n");
}
printf("handled %d requests%s\n", $requests, $traced ? ' (traced)' : '');
