#!/usr/bin/env bash
# Search latency under hostile connections (docs/reliability.md, "Slow and idle clients"):
# `qiss serve` on 127.0.0.1 over DATA, then bench/http/hostile.py times sequential searches
# with no other connection, then with IDLE idle and SLOW slowloris connections open.
#   bench/http/hostile.sh [DATA]      DATA: a collection (default: built from the twitter emoji
#                                     with the tests' tiny model into out/bench/hostile-data)
# Environment: QISS_BUILD (build), IDLE (1000), SLOW (100), REQUESTS (2000), SERVER_ARGS.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${QISS_BUILD:-build}
DATA=${1:-out/bench/hostile-data}
IDLE=${IDLE:-1000}
SLOW=${SLOW:-100}
REQUESTS=${REQUESTS:-2000}
ulimit -n "$(ulimit -Hn)"  # the client side holds IDLE + SLOW sockets too
if [ ! -d "$DATA/store" ]; then
  "$BUILD/qiss" index --data "$DATA" --model "$BUILD/test-data/tiny.qiss" \
    node_modules/emoji-datasource-twitter/img/twitter/64 > /dev/null
fi
log=$(mktemp)
# shellcheck disable=SC2086
"$BUILD/qiss" serve --data "$DATA" --port 0 ${SERVER_ARGS:-} > "$log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -f "$log"' EXIT
port=""
for _ in $(seq 600); do
  port=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/' "$log" | grep -oE '[0-9]+/$' | tr -d / || true)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.5
done
[ -n "$port" ] || { echo "bench/http/hostile: the server did not start" >&2; exit 1; }
echo "baseline:"
python3 bench/http/hostile.py --port "$port" --idle 0 --slow 0 --requests "$REQUESTS"
echo "with $IDLE idle and $SLOW slowloris connections:"
python3 bench/http/hostile.py --port "$port" --idle "$IDLE" --slow "$SLOW" --requests "$REQUESTS"
echo "server RSS: $(grep VmRSS /proc/$server_pid/status)"
