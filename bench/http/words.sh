#!/usr/bin/env bash
# What searching the words of a query on their own costs (docs/benchmarks.md, "The words of a
# query"): six-word text queries (bench/http/sentence.lua) against `qiss serve` on a collection,
# with --word-weight 0 (the query alone) and W, alternately, one connection at a time so that
# the figures are latencies, not queueing.
#   bench/http/words.sh DATADIR [W]          e.g. bench/http/words.sh out/demo 0.85
# Environment: QISS_BUILD (build), DURATION (10s), ROUNDS (2). Prints one JSON line per run
# (p50_us is the median).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { sed -n 2,8p "$0" >&2; exit 2; }
data=$1
weight=${2:-0.85}
BUILD=${QISS_BUILD:-build}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
command -v wrk >/dev/null || { echo "bench/http: wrk is missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
[ -f "$data/model.qiss" ] || { echo "bench/http/words: no collection at $data" >&2; exit 2; }
log=$(mktemp)
# shellcheck source=bench/http/serve.sh
. bench/http/serve.sh
trap 'stop_server; rm -f "$log"' EXIT
for round in $(seq "$ROUNDS"); do
  for w in 0 "$weight"; do
    start_server "$log" --data "$data" --word-weight "$w"
    url="http://127.0.0.1:$port"
    wrk -t1 -c1 -d3s -s bench/http/sentence.lua "$url" > /dev/null
    line=$(wrk -t1 -c1 -d"$DURATION" -s bench/http/sentence.lua "$url" | grep '^{')
    echo "{\"round\": $round, \"word_weight\": $w, \"result\": $line}"
    stop_server
  done
done
