<?php
// SPDX-License-Identifier: MIT
//
// The shop (shop.php) under PHP-FPM: one request per hit, number ?i=N. The response is the
// list of probes the request fired (JSON) with the worker's pid, the ground truth of a
// recording.

require __DIR__ . '/shop.php';

$cache = [];
$log = [];
$status = shop_request((int)($_GET['i'] ?? 1), $cache, $log);
header('Content-Type: application/json');
echo log_json(['pid' => getmypid(), 'status' => $status, 'traced' => tracetape_enabled(),
               'probes' => $log]), "\n";
