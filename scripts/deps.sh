#!/bin/sh
# Installs the Debian packages tracetape needs, and only those that are missing.
#
#   scripts/deps.sh [GROUP...]     GROUP: build (default), test, kernels, demo, bench, all
#
# kernels: what `make test-kernels` needs to boot Debian's kernels under qemu (tests/vm/): the
# emulator, a static busybox and cpio for the initramfs, zstd for zstd-compressed modules, and the
# pytest that the guests run from the host's root filesystem. The test group includes it.
#
# libcurl4-openssl-dev lets the build include ClickHouse (load --into, query on clickhouse://);
# clickhouse-server and clickhouse-client are what tests/e2e/test_clickhouse.py and the bench's
# ClickHouse section start their local cluster with.
#
# liblttng-ust-dev and lttng-tools: the bench's fast-path section measures LTTng-UST's cost per
# event beside tracetape's fast path and BPF path.
#
# Idempotent: a package already installed is left alone, and when nothing is missing the script
# neither calls apt-get nor needs the network. Runs apt-get directly as root, through sudo otherwise.
set -eu

build="meson ninja-build pkg-config gcc g++ clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
       libzstd-dev libsqlite3-dev libcmocka-dev libcapstone-dev libdw-dev libcurl4-openssl-dev"
test="python3 python3-pytest bpftrace systemtap-sdt-dev valgrind zstd sqlite3 linux-perf
      libclang-rt-14-dev chromium php8.2-cli php8.2-dev php8.2-fpm postgresql-15 postgresql-client-15 python3.11
      openjdk-17-jdk-headless golang-1.19-go binutils
      man-db groff-base clickhouse-server clickhouse-client"
kernels="qemu-system-x86 busybox-static cpio zstd python3 python3-pytest"
demo=""
bench="valgrind zstd linux-perf bpftrace systemtap-sdt-dev hyperfine clickhouse-server
       liblttng-ust-dev lttng-tools"

want=""
[ $# -eq 0 ] && set -- build
for group in "$@"; do
	case "$group" in
	build) want="$want $build" ;;
	test) want="$want $build $test $kernels" ;;
	kernels) want="$want $build $kernels" ;;
	demo) want="$want $build $demo" ;;
	bench) want="$want $build $test $bench" ;;
	all) want="$want $build $test $kernels $demo $bench" ;;
	*) echo "deps.sh: unknown group '$group' (expected build, test, kernels, demo, bench or all)" >&2; exit 2 ;;
	esac
done

missing=""
for pkg in $(printf '%s\n' $want | sort -u); do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "deps.sh: missing packages:$missing; run as root or install sudo" >&2
	exit 1
fi

echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists when they are absent or older than a day; a fresh machine has none.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mtime -1 2>/dev/null | head -n 1)" ]; then
	$sudo apt-get update -q
fi
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
