#!/usr/bin/env bash
# Every figure of docs/benchmarks.md with one command, on this machine.
#   bench/run.sh           the full run (hours on 2 cores: 1M-vector indexes, a 10M collection)
#   bench/run.sh --smoke   small sizes: checks that every tool works (minutes; not a measurement)
# Results: out/bench/*.json(l) and *.md tables. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
scripts/build.sh
export QISS_BUILD=build BUILD_DIR=build OUT=${OUT:-out/bench}
mkdir -p "$OUT"
MODEL=${MODEL:-models/qiss-default.qiss}
# The corpus, and the demo collection whose real vectors seed the synthetic ones.
[ -f data/emoji/manifest.jsonl ] || build/qiss corpus emoji --out data/emoji
[ -f data/demo/index.qiss-index ] || build/qiss index --data data/demo --model "$MODEL" data/emoji/manifest.jsonl

if [ "${1:-}" = "--smoke" ]; then
  build/bench/bench_model --model "$MODEL" --benchmark_min_time=0.05 > "$OUT/model.txt"
  PHOTOS=40 bench/ingest/run.sh
  DURATION=2s bench/http/run.sh 2000
  QUERIES=100 bench/ann/run.sh 20000
  QUERIES=50 bench/scale/run.sh 20000
  /usr/bin/python3 bench/plot.py --out "$OUT/img" --http "$OUT/http.jsonl" --ann "$OUT/ann" \
    --scale "$OUT/scale.jsonl"
else
  build/bench/bench_model --model "$MODEL" --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true | tee "$OUT/model.txt"
  bench/ingest/run.sh
  bench/http/run.sh 10000 100000 1000000
  bench/ann/run.sh 1000000
  bench/scale/run.sh 10000000   # 24 GB of disk, about 1 h 10 min on 2 cores
  # The figures of docs/benchmarks.md ("Plots").
  /usr/bin/python3 bench/plot.py --out docs/img --http "$OUT/http.jsonl" --ann "$OUT/ann" \
    --scale "$OUT/scale.jsonl"
fi
echo "bench: results in $OUT/"
