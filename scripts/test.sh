#!/usr/bin/env bash
# The full test suite: dependencies, build, then every test (unit, CLI, API and browser tests)
# through CTest. Extra arguments go to ctest.
#   scripts/test.sh [CTEST ARGS]              the Release build in build/
#   scripts/test.sh --sanitize [CTEST ARGS]   the same suite built with AddressSanitizer and
#                                             UndefinedBehaviorSanitizer in build-sanitize/
#                                             (docs/reliability.md, "Sanitizers")
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ "${1:-}" != "--sanitize" ]; then
  scripts/build.sh
  cd build
  exec ctest --output-on-failure -j"$(nproc)" "$@"
fi
shift
# The tiny model: the Release build's when it has one (training it instrumented takes about an
# hour of CPU; the TrainCli tests still train under the sanitizers), else trained here.
test_model=""
[ -f build/test-data/tiny.qiss ] && test_model=$PWD/build/test-data/tiny.qiss
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQISS_SANITIZE=ON \
  -DQISS_BUILD_TESTS=ON -DQISS_BUILD_BENCH=OFF -DQISS_TEST_MODEL_TIMEOUT=7200 \
  -DQISS_TEST_MODEL="$test_model" >/dev/null
cmake --build build-sanitize -j"$(nproc)"
# The fixture corpus rasterizes the SVG styles into a cache; reuse the Release build's.
if [ -d build/test-data/emoji/cache ] && [ ! -d build-sanitize/test-data/emoji/cache ]; then
  mkdir -p build-sanitize/test-data/emoji
  cp -r build/test-data/emoji/cache build-sanitize/test-data/emoji/
fi
# Any report fails the test that caused it. Leaks are checked, except in the libraries named
# in tests/sanitizer/lsan.supp (one-time allocations of OpenMP, libtorch, fontconfig).
# allocator_may_return_null: an impossible allocation fails as with glibc (std::bad_alloc), which
# the code under test handles (fuzz finding 5), instead of ending the test.
export ASAN_OPTIONS="allocator_may_return_null=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0"
cd build-sanitize
exec ctest --output-on-failure -j"$(nproc)" "$@"
