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
# shellcheck source=bench/http/serve.sh
. bench/http/serve.sh
trap 'stop_server; rm -f "$log"' EXIT
# shellcheck disable=SC2086 # SERVER_ARGS is a list of options
start_server "$log" --data "$DATA" ${SERVER_ARGS:-}
echo "baseline:"
python3 bench/http/hostile.py --port "$port" --idle 0 --slow 0 --requests "$REQUESTS"
echo "with $IDLE idle and $SLOW slowloris connections:"
python3 bench/http/hostile.py --port "$port" --idle "$IDLE" --slow "$SLOW" --requests "$REQUESTS"
echo "server RSS: $(grep VmRSS /proc/$server_pid/status)"
