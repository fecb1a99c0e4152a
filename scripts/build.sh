#!/usr/bin/env bash
# Configures and builds qiss (Release) into build/. Used by main.sh and test.sh.
# QISS_TEST_MODEL_SEED / QISS_TEST_MODEL_THREADS: how the tests' tiny model is trained.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DQISS_BUILD_TESTS=ON -DQISS_BUILD_BENCH=ON \
  -DQISS_TEST_MODEL_SEED="${QISS_TEST_MODEL_SEED:-1}" \
  -DQISS_TEST_MODEL_THREADS="${QISS_TEST_MODEL_THREADS:-0}" >/dev/null
cmake --build build -j"$jobs"
