#!/bin/sh
# SPDX-License-Identifier: MIT
# What the kernel matrix runs inside each guest (tests/vm/matrix.sh starts it through run-vm),
# from the source directory:
#   1. uname -r;
#   2. $TT_BUILD_DIR/tracetape check (default build/), which must exit 0 where
#      TT_KERNEL_EXPECT=full (default) and exit 1 saying what the kernel lacks where it is refuse;
#   3. the e2e tests marked `kernels`: /usr/bin/python3 -m pytest -m kernels tests/e2e, with
#      TT_BUILD_DIR, TT_SOURCE_DIR and TT_KERNEL_EXPECT set (conftest.py keeps only the tests
#      marked `refusal` where the expectation is refuse), and TT_TIME_SLACK=5 (unless set):
#      test_kernel.py multiplies its wall-clock tolerances by it, since a syscall or a wakeup
#      under qemu's software emulation takes many times longer. pytest must pass. When it collects
#      nothing (exit 5), that is a failure once some test carries the marker, a warning before.
# Prints its verdict last; with TT_VM_RESULT=FILE also writes it there as NAME=VALUE lines
# (release, expect, check_rc, check_msg, pytest_rc, passed, failed, skipped, errors, result,
# reason), for matrix.sh's table. Exit 0 for ok or warn, 1 for fail.
set -u

src=${TT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${TT_BUILD_DIR:-$src/build}
case "$build" in /*) ;; *) build=$src/$build ;; esac
expect=${TT_KERNEL_EXPECT:-full}
case "$expect" in
full | refuse) ;;
*) echo "guest-suite: TT_KERNEL_EXPECT=$expect: expected full or refuse" >&2; exit 2 ;;
esac
cd "$src" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

release=$(uname -r)
echo "guest-suite: kernel $release, expecting '$expect'"

echo "guest-suite: $build/tracetape check"
"$build/tracetape" check > "$tmp/check.out" 2> "$tmp/check.err"
check_rc=$?
cat "$tmp/check.out" "$tmp/check.err"
# The message to report: the error check gave, or its verdict line.
check_msg=$(grep -m 1 'error:' "$tmp/check.err" || tail -n 1 "$tmp/check.out")

echo "guest-suite: pytest -m kernels tests/e2e"
# vm_progress (tests/vm/vm_progress.py) logs each test to $TT_VM_PROGRESS, when that is set.
PYTHONDONTWRITEBYTECODE=1 TT_BUILD_DIR=$build TT_SOURCE_DIR=$src TT_KERNEL_EXPECT=$expect \
	TT_TIME_SLACK=${TT_TIME_SLACK:-5} \
	PYTHONPATH=$src/tests/vm${PYTHONPATH:+:$PYTHONPATH} \
	/usr/bin/python3 -m pytest -p no:cacheprovider -p vm_progress -q -rs -m kernels \
	--durations=5 --junitxml="$tmp/junit.xml" tests/e2e
pytest_rc=$?
# passed failed skipped errors, from the JUnit report (absent when pytest did not get that far)
counts=$(/usr/bin/python3 - "$tmp/junit.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 0 0 0")
    sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
n = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "skipped", "errors")}
print(n["tests"] - n["failures"] - n["skipped"] - n["errors"], n["failures"], n["skipped"],
      n["errors"])
EOF
)
# shellcheck disable=SC2086 # four numbers, split on purpose
set -- $counts
passed=$1 failed=$2 skipped=$3 errors=$4

result=ok
reason=""
fail() { result=fail; reason="${reason:+$reason; }$*"; }
if [ "$expect" = full ]; then
	[ "$check_rc" -eq 0 ] || fail "check exited $check_rc, expected 0"
else
	if [ "$check_rc" -ne 1 ]; then
		fail "check exited $check_rc, expected 1 (a refusal saying what the kernel lacks)"
	elif [ ! -s "$tmp/check.err" ]; then
		fail "check exited 1 without saying why"
	fi
fi
case "$pytest_rc" in
0) ;;
5)
	marker=kernels
	[ "$expect" = refuse ] && marker=refusal
	marked=$(grep -l "mark\.$marker\b" tests/e2e/*.py 2>/dev/null | wc -l)
	if [ "$marked" -gt 0 ]; then
		fail "pytest collected no test, although $marked files have tests marked $marker"
	else
		[ "$result" = ok ] && result=warn
		reason="${reason:+$reason; }no e2e test is marked $marker yet: nothing ran"
	fi
	;;
*) fail "pytest exited $pytest_rc" ;;
esac

echo "guest-suite: kernel $release ($expect): check exit $check_rc: $check_msg"
echo "guest-suite: pytest exit $pytest_rc: $passed passed, $failed failed, $skipped skipped, $errors errors"
[ "$result" = warn ] && echo "guest-suite: WARNING: $reason"
echo "guest-suite: $result${reason:+: $reason}"
if [ -n "${TT_VM_RESULT:-}" ]; then
	{
		echo "release=$release"
		echo "expect=$expect"
		echo "check_rc=$check_rc"
		echo "check_msg=$check_msg"
		echo "pytest_rc=$pytest_rc"
		echo "passed=$passed"
		echo "failed=$failed"
		echo "skipped=$skipped"
		echo "errors=$errors"
		echo "result=$result"
		echo "reason=$reason"
	} > "$TT_VM_RESULT"
fi
[ "$result" != fail ]
