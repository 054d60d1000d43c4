#!/usr/bin/env bash
# Builds Ringfence and runs every test: unit, end-to-end (real servers on 127.0.0.1) and
# statistical. Then builds a second tree with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DRINGFENCE_SANITIZE=ON) and runs the unit and end-to-end tests in it. This is the command CI
# runs (.ci/run); it exits non-zero if any test fails or any sanitizer reports anything.
#
# Environment:
#   RINGFENCE_ASAN_BUILD_DIR  sanitizer build tree (default: build-asan next to build/)
#   RINGFENCE_SKIP_SANITIZERS=1  skip the sanitizer phase (quick local runs only; CI never sets it)
#
# The sanitizer tree is compiled at -O0 -g rather than RelWithDebInfo's -O2: the quickest to
# compile (this phase dominated CI time at -O1), and stack traces stay exact; the tests run
# slower under it but are the smaller part of the phase. Benchmarks are not built there.
# Statistical tests (label "statistical") are not run under sanitizers: they check output
# distributions, not memory or UB, they are the slowest tests, and they run in the normal phase.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

phase_start=$SECONDS
phase() {  # phase NAME: prints how long the phase that just finished took
  echo "test.sh: $1 took $((SECONDS - phase_start)) s"
  phase_start=$SECONDS
}

"$root/scripts/build.sh"
phase "build"
(cd "$root/build" && ctest --output-on-failure -j"$jobs")
phase "tests"

if [ "${RINGFENCE_SKIP_SANITIZERS:-0}" = 1 ]; then
  echo "test.sh: RINGFENCE_SKIP_SANITIZERS=1, sanitizer build and tests skipped"
  exit 0
fi

asan_dir=${RINGFENCE_ASAN_BUILD_DIR:-$root/build-asan}
RINGFENCE_BUILD_DIR="$asan_dir" "$root/scripts/build.sh" -DRINGFENCE_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g -DNDEBUG" -DRINGFENCE_BUILD_BENCHMARKS=OFF
phase "sanitizer build"

# ASan/LSan reports from every process -- the tests and the servers and tools they start, whose
# stderr goes to log files the tests may not read -- land in $report_dir, so a report fails the
# run even if the process that made it was being killed or its exit code was ignored. UBSan is
# built with -fno-sanitize-recover, so any UB report also aborts the process that hit it.
# scripts/lsan.supp is for known third-party leaks only (none needed so far).
report_dir="$asan_dir/sanitizer-reports"
rm -rf "$report_dir"
mkdir -p "$report_dir"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1:log_path=$report_dir/asan"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$report_dir/ubsan"
# Some tests write under fixed names in ::testing::TempDir(); give this tree its own directory
# so it cannot collide with the normal tree's run or another checkout's.
export TEST_TMPDIR="$asan_dir/test-tmp"
rm -rf "$TEST_TMPDIR"
mkdir -p "$TEST_TMPDIR"
status=0
(cd "$asan_dir" && ctest --output-on-failure -j"$jobs" -L "unit|e2e") || status=$?
phase "sanitizer tests"

# UBSan in a combined ASan+UBSan binary (GCC 12) ignores log_path and writes to stderr, so also
# look for reports in the tests' output and in the logs left by the servers they started.
leftover=$(grep -rlE "runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer" \
  "$TEST_TMPDIR" "$asan_dir/Testing/Temporary/LastTest.log" 2>/dev/null || true)
if [ -n "$leftover" ]; then
  echo "test.sh: sanitizer reports in: $leftover" >&2
  status=1
fi
reports=$(find "$report_dir" -type f | sort)
if [ -n "$reports" ]; then
  for f in $reports; do
    echo "==== $f"
    cat "$f"
  done
  echo "test.sh: sanitizer reports above ($(echo "$reports" | wc -l) file(s) in $report_dir)" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "test.sh: sanitizer phase failed" >&2
fi
exit "$status"
