#!/bin/sh
# Build the fuzz targets' seed corpora from real files into OUT/NAME/ (one directory per corpus,
# named as in tests/fuzz/meson.build); the committed seeds in tests/fuzz/corpus/ come on top.
#   tape        tapes made by tt-mktape from seeds/*.txt (plain, zstd, crashed, cut)
#   tape_block  the blocks of those tapes, decompressed, in tape_block_fuzz's chunk form
#   provider    the shipped provider files and every .d file of the tree
#   tp_format   this kernel's tracepoint formats (a sample of systems), each with a record
#   usdt_args   the argument strings of the stapsdt notes of Debian's PostgreSQL, PHP, Python,
#               libjvm and libstdc++ (and the fixtures')
#   usdt_notes  the same binaries cut down to their notes and headers (objcopy), a few KB each,
#               and a Go program with static probes made by gen-go (its probe descriptors)
#   go_binary   the Go fixtures (tests/fixtures/go) built by Debian's Go 1.19: default,
#               -gcflags=all=-l, -ldflags=-w (no DWARF), -ldflags='-s -w'
#   options     values of every option parser, valid and not
#   keep        --keep rules and keep_spans lines, valid and not
#   sqlfuncs    rows for sqlfuncs_fuzz (groups, NULLs, specials, a repeated row)
# What is not installed is skipped with a line on stderr (scripts/deps.sh test installs it all).
# Usage: tests/fuzz/make-corpus.sh BUILD_DIR OUT_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: make-corpus.sh BUILD_DIR OUT_DIR}" && pwd)
out=${2:?usage: make-corpus.sh BUILD_DIR OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for c in tape tape_block provider tp_format usdt_args usdt_notes go_binary options keep sqlfuncs; do
	mkdir -p "$out/$c"
done

# ---- tapes and their blocks ----
mk="$build/tests/tools/tt-mktape"
"$mk" -o "$out/tape/kinds.tape" "$here/seeds/kinds.txt"
"$mk" -o "$out/tape/blocks.tape" --block-events 3 "$here/seeds/blocks.txt"
"$mk" -o "$out/tape/zstd.tape" "$here/seeds/zstd.txt"
"$mk" -o "$out/tape/crashed.tape" --block-events 3 --no-trailer "$here/seeds/blocks.txt"
"$mk" -o "$out/tape/cut.tape" --block-events 3 --cut -40 "$here/seeds/blocks.txt"
python3 "$here/tape_blocks.py" "$out/tape_block" "$out"/tape/*.tape

# ---- provider files ----
(cd "$src" && git ls-files '*.d') | while read -r f; do
	cp "$src/$f" "$out/provider/$(echo "$f" | tr / _)"
done

# ---- tracepoint formats: a record after the NUL, its bytes a fixed pattern ----
tracefs=/sys/kernel/tracing
[ -d "$tracefs/events" ] || tracefs=/sys/kernel/debug/tracing
if [ -d "$tracefs/events" ]; then
	for sys in sched syscalls irq signal task block net skb timer workqueue kmem writeback \
		   raw_syscalls module power; do
		[ -d "$tracefs/events/$sys" ] || continue
		ls "$tracefs/events/$sys" | grep -v '^enable$\|^filter$' | head -8 | while read -r ev; do
			f="$tracefs/events/$sys/$ev/format"
			[ -f "$f" ] || continue
			{ cat "$f"; printf '\0'; head -c 96 /dev/zero | tr '\0' '\101'; } \
				> "$out/tp_format/${sys}_$ev"
		done
	done
else
	echo "make-corpus.sh: no tracefs: tp_format has only the committed seeds" >&2
fi

# ---- stapsdt notes: the argument strings, and the binaries cut down to their notes ----
for bin in /usr/lib/postgresql/*/bin/postgres /usr/bin/php8.2 /usr/sbin/php-fpm8.2 \
	   /usr/bin/python3.11 /usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so \
	   /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/x86_64-linux-gnu/libc.so.6; do
	if [ ! -f "$bin" ]; then
		echo "make-corpus.sh: $bin is not installed or built: skipped" >&2
		continue
	fi
	name=$(basename "$bin")
	readelf -n "$bin" 2>/dev/null | sed -n 's/^ *Arguments: //p' | sort -u | head -400 |
		while IFS= read -r args; do
			printf '%s' "$args" > "$out/usdt_args/$(printf '%s' "$args" | md5sum | cut -c1-16)"
		done
	# the section and program headers stay, the contents of all but the notes go
	objcopy --only-keep-debug -R '.debug*' "$bin" "$out/usdt_notes/$name" 2>/dev/null ||
		echo "make-corpus.sh: objcopy failed on $bin: skipped" >&2
	# a big symbol table (libjvm's: 4 MB) would make every run slow: without it
	if [ "$(stat -c %s "$out/usdt_notes/$name")" -gt 524288 ]; then
		strip -s "$out/usdt_notes/$name"
	fi
done

# ---- Go binaries ----
go=/usr/lib/go-1.19/bin/go
if [ -x "$go" ]; then
	cache=$(mktemp -d)
	trap 'rm -rf "$cache"' EXIT
	for prog in args methods recursive; do
		for v in default nolinline nodwarf stripped; do
			case $v in
			default) flags= ;;
			nolinline) flags=-gcflags=all=-l ;;
			nodwarf) flags=-ldflags=-w ;;
			stripped) flags='-ldflags=-s -w' ;;
			esac
			(cd "$src/tests/fixtures/go/$prog" && HOME=$cache GOCACHE=$cache/build \
				GOPATH=$cache/path GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
				timeout 600 "$go" build ${flags:+"$flags"} -o "$out/go_binary/${prog}_$v" .)
		done
	done
	# a Go program with static probes (gen-go): its probe descriptors are read with the notes
	cp -r "$src/tests/fixtures/go/probes" "$cache/probes"
	mkdir -p "$cache/probes/kinds"
	"$build/tracetape" gen-go "$cache/probes/kinds.d" -o "$cache/probes/kinds/kinds.go"
	(cd "$cache/probes" && HOME=$cache GOCACHE=$cache/build GOPATH=$cache/path GOFLAGS=-mod=mod \
		GOTOOLCHAIN=local CGO_ENABLED=0 timeout 600 "$go" build -o "$out/usdt_notes/go_probes" .)
	cp "$out/usdt_notes/go_probes" "$out/go_binary/go_probes"
else
	echo "make-corpus.sh: no $go (golang-1.19-go): go_binary has only the committed seeds" >&2
fi

# ---- option values and SQL rows ----
python3 "$here/seeds.py" "$out"
