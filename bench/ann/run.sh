#!/usr/bin/env bash
# ANN quality vs speed (docs/benchmarks.md): qiss's VectorIndex, the bare FAISS index it wraps,
# python3-faiss and python3-hnswlib on the same vectors, parameters and ground truth, in one run.
#   bench/ann/run.sh [N] [bench_ann options...]   N defaults to 1,000,000; 20000 is a smoke run
# Environment: QUERIES (1000, or 200 below 100,000 vectors); BUILD_THREADS (threads to build the indexes, default all cores;
# also OpenBLAS's unless OPENBLAS_NUM_THREADS is set; use 1 on a shared machine, where FAISS's
# OpenMP barriers stall on busy cores); BUILD_DIR (build-bench); OUT (out/bench); PYTHON (a
# python3 that imports faiss, hnswlib and numpy; Debian's /usr/bin/python3 when the first on
# PATH does not). Searches always run on one thread.
# Writes $OUT/ann.json and $OUT/ann.md; the vectors and raw results stay in $OUT/ann/.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${1:-1000000}
shift $(($# > 0 ? 1 : 0))
QUERIES=${QUERIES:-$(( N < 100000 ? 200 : 1000 ))}
BUILD_DIR=${BUILD_DIR:-build-bench}
OUT=${OUT:-out/bench}
BUILD_THREADS=${BUILD_THREADS:-0}
if [ "$BUILD_THREADS" -gt 0 ]; then export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-$BUILD_THREADS}; fi
if [ -z "${PYTHON:-}" ]; then
  PYTHON=python3
  "$PYTHON" -c 'import faiss, hnswlib, numpy' 2>/dev/null || PYTHON=/usr/bin/python3
fi

start=$(date +%s)
[ -f "$BUILD_DIR/CMakeCache.txt" ] ||
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DQISS_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target bench_ann >/dev/null
mkdir -p "$OUT/ann"
"$BUILD_DIR/bench/bench_ann" --n "$N" --queries "$QUERIES" --build-threads "$BUILD_THREADS" \
  --keep-indexes --out "$OUT/ann" "$@"
"$PYTHON" bench/peers/ann_peers.py "$OUT/ann"
rm -f "$OUT"/ann/index-*.qiss-index
"$PYTHON" bench/ann/report.py "$OUT/ann" --json "$OUT/ann.json" --markdown "$OUT/ann.md"
echo "bench/ann/run.sh $N: $(($(date +%s) - start)) s"
