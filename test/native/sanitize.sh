#!/usr/bin/env bash
# The native kernel tests (CTest, test/native) under AddressSanitizer + UndefinedBehaviorSanitizer, in a build
# folder of their own (target/cmake-sanitize) so the shipped libjrnn.so is never the instrumented one.
#
#   bash test/native/sanitize.sh            # after mvn has unpacked OpenBLAS (any mvn run past 'initialize')
#
# Env: JRNN_SANITIZE_TIMEOUT (seconds per test, default 600), JRNN_SANITIZE_JOBS (build jobs, default nproc).
# Any sanitizer report fails the test that triggered it: UBSan does not recover (-fno-sanitize-recover in
# CMakeLists.txt) and ASan aborts on the first error, leaks included.
set -euo pipefail
cd "$(dirname "$0")/../.."

OPENBLAS_ROOT="${OPENBLAS_ROOT:-$PWD/target/openblas/org/bytedeco/openblas/linux-x86_64}"
BUILD="$PWD/target/cmake-sanitize"
TIMEOUT="${JRNN_SANITIZE_TIMEOUT:-600}"
JOBS="${JRNN_SANITIZE_JOBS:-$(nproc)}"

if [[ ! -f "$OPENBLAS_ROOT/libopenblas.so.0" ]]; then
  echo "sanitize.sh: no OpenBLAS at $OPENBLAS_ROOT; run mvn (e.g. 'mvn -B -Djavacpp.platform=linux-x86_64 initialize') first" >&2
  exit 2
fi

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJRNN_SANITIZE=ON -DJRNN_BUILD_TESTS=ON \
  -DOPENBLAS_ROOT="$OPENBLAS_ROOT" -DCMAKE_RULE_MESSAGES=OFF --log-level=WARNING
cmake --build "$BUILD" --parallel "$JOBS"

# detect_leaks: LeakSanitizer too. strict_string_checks/check_initialization_order: stricter ASan checks.
# halt_on_error + print_stacktrace: a UBSan finding stops the test with a stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir "$BUILD" --output-on-failure --timeout "$TIMEOUT"
