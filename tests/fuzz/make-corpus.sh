#!/bin/sh
# Regenerate the fuzzer's seed corpus (tests/fuzz/corpus/) from the descriptions in seeds/ with
# tt-mktape. Usage: tests/fuzz/make-corpus.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mk="${1:-build}/tests/tools/tt-mktape"
out="$here/corpus"
mkdir -p "$out"
"$mk" -o "$out/kinds.tape" "$here/seeds/kinds.txt"
"$mk" -o "$out/blocks.tape" --block-events 3 "$here/seeds/blocks.txt"
"$mk" -o "$out/zstd.tape" "$here/seeds/zstd.txt"
"$mk" -o "$out/crashed.tape" --block-events 3 --no-trailer "$here/seeds/blocks.txt"
"$mk" -o "$out/cut.tape" --block-events 3 --cut -40 "$here/seeds/blocks.txt"
