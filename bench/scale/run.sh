#!/usr/bin/env bash
# Scale (docs/benchmarks.md, "Scale"): a synthetic collection of N images (default 10 million)
# with the default index for its size (IVF-PQ beyond 5 M), its build time and peak memory, then
# recall@10, latency and memory through the engine's search path (bench/scale_search.cpp), and
# the 100 M / 1 B projection from the measured per-vector costs (bench/scale/project.py).
#   bench/scale/run.sh [N]
# Environment: QISS_BUILD (build), SEED_COLLECTION (data/demo), QUERIES (300), OUT (out/bench).
# Disk: about 2.4 KB per image for the store (24 GB at 10 M), plus the index.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${QISS_BUILD:-build}
SEED=${SEED_COLLECTION:-data/demo}
OUT=${OUT:-out/bench}
N=${1:-10000000}
[ -f "$SEED/model.qiss" ] || { echo "bench/scale: no seed collection at $SEED (run scripts/main.sh first)" >&2; exit 1; }
mkdir -p "$OUT/scale"
data="$OUT/collections/c$N"
log="$OUT/scale/synth-$N.log"
if [ ! -f "$data/index.qiss-index" ]; then
  echo "bench/scale: building a collection of $N images in $data (log: $log)"
  /usr/bin/time -v "$BUILD/bench/synth_collection" --data "$data" --like "$SEED" --count "$N" > "$log" 2>&1
fi
"$BUILD/bench/scale_search" --data "$data" --like "$SEED" --queries "${QUERIES:-300}" | tee "$OUT/scale.jsonl"
/usr/bin/python3 bench/scale/project.py "$OUT/scale.jsonl" --build-log "$log" | tee "$OUT/scale.md"
