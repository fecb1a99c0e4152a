#!/usr/bin/env bash
# Configures and builds qiss (Release) into build/. Used by main.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DQISS_BUILD_TESTS=ON -DQISS_BUILD_BENCH=ON >/dev/null
cmake --build build -j"$jobs"
