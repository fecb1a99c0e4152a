#!/usr/bin/env bash
# Search latency and throughput over HTTP (docs/benchmarks.md, "Search over HTTP"): for each
# collection size, a synthetic collection derived from the demo collection's real vectors
# (bench/synth_collection.cpp), `qiss serve` on 127.0.0.1 and wrk for text, image and "similar"
# queries. wrk shares the machine with the server, as the targets ask.
#   bench/http/run.sh [SIZE...]          default sizes: 10000 100000 1000000
# Environment: QISS_BUILD (build), SEED_COLLECTION (data/demo), DURATION (20s), CONNECTIONS (4),
# SERVER_THREADS (server workers, default: qiss serve's), SERVER_ARGS (more `qiss serve` options,
# e.g. "--word-weight 0"), OUT (out/bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${QISS_BUILD:-build}
SEED=${SEED_COLLECTION:-data/demo}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-4}
OUT=${OUT:-out/bench}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000 1000000)
command -v wrk >/dev/null || { echo "bench/http: wrk is missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
[ -f "$SEED/model.qiss" ] || { echo "bench/http: no seed collection at $SEED (run scripts/main.sh first)" >&2; exit 1; }
mkdir -p "$OUT"
RESULTS="$OUT/http.jsonl"
: > "$RESULTS"
IMAGES=(node_modules/emoji-datasource-google/img/google/64/1f408.png
        node_modules/emoji-datasource-google/img/google/64/2764-fe0f.png
        node_modules/emoji-datasource-google/img/google/64/1f355.png
        node_modules/emoji-datasource-google/img/google/64/1f680.png)

# shellcheck source=bench/http/serve.sh
. bench/http/serve.sh
trap stop_server EXIT

for n in "${SIZES[@]}"; do
  data="$OUT/collections/c$n"
  if [ ! -f "$data/index.qiss-index" ]; then
    echo "bench/http: building a collection of $n images in $data"
    "$BUILD/bench/synth_collection" --data "$data" --like "$SEED" --count "$n"
  fi
  log="$OUT/serve-$n.log"
  args=(--data "$data")
  [ -z "${SERVER_THREADS:-}" ] || args+=(--threads "$SERVER_THREADS")
  # shellcheck disable=SC2206 # SERVER_ARGS is a list of options
  [ -z "${SERVER_ARGS:-}" ] || args+=(${SERVER_ARGS})
  start_server "$log" "${args[@]}"
  index=$(curl -s "http://127.0.0.1:$port/api/health" | grep -oE '"index_factory": *"[^"]*"' | cut -d'"' -f4 || true)
  url="http://127.0.0.1:$port"
  for kind in text image similar; do
    case $kind in
      text) extra=() ;;
      image) extra=(-- "${IMAGES[@]}") ;;
      similar) extra=(-- "$n") ;;
    esac
    # A short warm-up (page cache, first allocations), then the measured run.
    wrk -t1 -c"$CONNECTIONS" -d3s -s "bench/http/$kind.lua" "$url" "${extra[@]}" > /dev/null
    line=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s "bench/http/$kind.lua" "$url" "${extra[@]}" | grep '^{')
    echo "{\"size\": $n, \"index\": \"$index\", \"query\": \"$kind\", \"connections\": $CONNECTIONS, \"result\": $line}" | tee -a "$RESULTS"
  done
  stop_server
done
python3 bench/http/table.py "$RESULTS" | tee "$OUT/http.md"
