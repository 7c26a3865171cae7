#!/bin/sh
# SPDX-License-Identifier: MIT
# The kernel matrix (`make test-kernels`): boots each kernel users run under qemu (run-vm) and
# runs tests/vm/guest-suite.sh inside it against an existing build, then prints a table.
#
#   tests/vm/matrix.sh [BUILD_DIR]      default $TT_BUILD_DIR, else build; inside the checkout
#
# Kernels: 6.1 (Debian 12) and 6.12 (Debian 13), where tracetape must record (TT_KERNEL_EXPECT=
# full), and 5.10 (Debian 11), which it must refuse, saying what the kernel lacks (refuse).
# TT_VM_KERNELS picks a subset ("6.12 5.10"). TT_VM_TIMEOUT is the seconds one guest may take
# (default 1200), TT_VM_BUDGET those the whole matrix may (default 2700): each guest gets what
# is left of it at most, so that hung guests cannot push CI past its limit. CI is passed on, so
# that under CI=true a skipped test fails in the guests too.
# Per kernel, BUILD_DIR/vm-matrix/ keeps run-vm's stats and guest-suite's result.
# Exit 0 when every kernel met its expectation, 1 otherwise, 2 on a usage error.
set -u
cd "$(dirname "$0")/../.." || exit 1
src=$(pwd)
build=${1:-${TT_BUILD_DIR:-build}}
kernels=${TT_VM_KERNELS:-6.1 6.12 5.10}
timeout=${TT_VM_TIMEOUT:-1200}
budget=${TT_VM_BUDGET:-2700}
for n in "$timeout" "$budget"; do
	case "$n" in
	'' | *[!0-9]*) echo "matrix.sh: TT_VM_TIMEOUT and TT_VM_BUDGET are seconds, not '$n'" >&2; exit 2 ;;
	esac
done

if [ ! -x "$build/tracetape" ]; then
	echo "matrix.sh: $build/tracetape does not exist: build first (make)" >&2
	exit 2
fi
build=$(cd "$build" && pwd)
case "$build/" in
"$src"/*) ;;
*) echo "matrix.sh: $build is outside $src, which is what the guests can write to" >&2; exit 2 ;;
esac
out=$build/vm-matrix
mkdir -p "$out" || exit 1

# Download what is missing once, up front, so that a network failure says so once and the
# per-kernel times below are the guests' own. Without --refresh this reads no network when
# the kernels are in the cache already.
# shellcheck disable=SC2086
tests/vm/fetch-kernels $kernels || exit 1

rows=""
failed=0
t0=$(date +%s)
for k in $kernels; do
	case "$k" in
	5.10) expect=refuse ;;
	*) expect=full ;;
	esac
	rm -f "$out/$k.stats" "$out/$k.result"
	left=$(( budget - ($(date +%s) - t0) ))
	limit=$timeout
	[ "$left" -lt "$limit" ] && limit=$left
	echo
	echo "==== kernel $k: tests/vm/guest-suite.sh (TT_KERNEL_EXPECT=$expect, at most $limit s)"
	if [ "$limit" -lt 60 ]; then
		echo "matrix.sh: $k not run: only $left s left of TT_VM_BUDGET=$budget s" >&2
		rows="$rows$(printf '%-6s %-36s %-26s %5s %6s  %s' "$k" - - - - \
			"FAIL (not run: the matrix's $budget s were used up)")
"
		failed=1
		continue
	fi
	tests/vm/run-vm "$k" --timeout "$limit" --stats "$out/$k.stats" \
		--env "TT_BUILD_DIR=$build" --env "TT_SOURCE_DIR=$src" \
		--env "TT_KERNEL_EXPECT=$expect" --env "TT_VM_RESULT=$out/$k.result" \
		${CI:+--env "CI=$CI"} \
		-- /bin/sh tests/vm/guest-suite.sh
	rc=$?
	get() { sed -n "s/^$2=//p" "$out/$k.$1" 2>/dev/null | head -n 1; }
	booted="$(get stats release) ($(get stats version))"
	result=$(get result result)
	if [ -z "$result" ]; then
		ran="-"
		result="FAIL (exit $rc, no result)"
		[ "$rc" -eq 124 ] && result="FAIL (timeout after $limit s)"
	else
		ran="check $(get result check_rc), pytest $(get result passed)/$(get result failed)/$(get result skipped)"
		[ "$(get result errors)" != 0 ] && ran="$ran +$(get result errors) errors"
		case "$result" in
		ok) ;;
		warn) result="WARN: $(get result reason)" ;;
		*) result="FAIL: $(get result reason)" ;;
		esac
	fi
	[ "$rc" -eq 0 ] || failed=1
	case "$result" in FAIL*) failed=1 ;; esac
	row=$(printf '%-6s %-36s %-26s %5s %6s  %s' "$k" "$booted" "$ran" \
		"$(get stats boot_s)" "$(get stats total_s)" "$result")
	rows="$rows$row
"
done

echo
echo "kernel matrix ($(( $(date +%s) - t0 )) s; what ran: check's exit status, pytest passed/failed/skipped):"
printf '%-6s %-36s %-26s %5s %6s  %s\n' kernel "booted" "what ran" "boot" "total" result
printf '%s' "$rows"
for k in $kernels; do
	msg=$(sed -n 's/^check_msg=//p' "$out/$k.result" 2>/dev/null)
	[ -n "$msg" ] && echo "  $k check: $msg"
done
exit $failed
