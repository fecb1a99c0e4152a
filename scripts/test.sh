#!/usr/bin/env bash
# The full test suite: dependencies, build, then every test (unit, CLI, and later API and
# browser tests) through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
