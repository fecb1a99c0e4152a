#!/usr/bin/env bash
# Crash loop for a writing `qiss serve` (docs/reliability.md, "Crash loop"): a server with a token
# over a collection of SEED_IMAGES emoji on 127.0.0.1; each trial lets WRITERS clients add
# (multipart uploads, each made unique) and delete (ids whose add was acknowledged) for a random
# time in [0, MAX_KILL_MS] ms, kills the server with SIGKILL, stops the clients, restarts the
# server on the same folder (which must not warn: the index needed no repair) and checks it
# against the clients' journal (bench/crash/writers.py check): every acknowledged add present with its content hash, every
# acknowledged delete absent, no phantom or duplicate ids, /api/health's images = index vectors
# = ids found, /similar answers for every id, no 5xx. An add or delete whose answer never came
# may or may not have been applied. At the end the server is stopped (SIGTERM) and `qiss info`
# must agree without repairing anything.
#
#   TRIALS=200 bench/crash/crash_serve.sh        (environment: see the defaults below)
# Prints one line per trial and a summary; writes $OUT/crash_serve.jsonl. Exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
TRIALS=${TRIALS:-200}
QISS=${QISS:-build/qiss}
MODEL=${MODEL:-build/test-data/tiny.qiss}
IMAGES=${IMAGES:-node_modules/emoji-datasource-twitter/img/twitter/64}
SEED_IMAGES=${SEED_IMAGES:-100}  # images indexed before the server starts
WRITERS=${WRITERS:-3}            # concurrent writing clients
LIVE=${LIVE:-40}                 # each client keeps about this many of its adds, deleting the rest
MAX_KILL_MS=${MAX_KILL_MS:-3000} # the kill comes uniformly in [0, MAX_KILL_MS] ms after the clients start
SEED=${SEED:-1}
OUT=${OUT:-out/crash}
WORK=$(mktemp -d /tmp/qiss-crash-serve.XXXXXX)
server_pid="" writers_pid=""
cleanup() {
  [ -z "$writers_pid" ] || kill "$writers_pid" 2>/dev/null
  [ -z "$server_pid" ] || kill -9 "$server_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$OUT"
RANDOM=$SEED
# shellcheck source=bench/crash/lib.sh
source bench/crash/lib.sh
: >"$WORK/failures"
: >"$OUT/crash_serve.jsonl"

seed_collection "$IMAGES" "$SEED_IMAGES" "$MODEL" qiss-crash-serve-token
port=$(free_port)
url="http://127.0.0.1:$port"
serve_args=(--token-file "$WORK/token" --threads 4)
journal="$WORK/journal.jsonl"
start_server "$WORK/data" "$port" "$WORK/serve.log" "${serve_args[@]}" || exit 1
"$PYTHON" bench/crash/writers.py seed --url "$url" --journal "$journal" || exit 1
echo "crash loop (serve): $TRIALS trials, $WRITERS writers, kill in [0, $MAX_KILL_MS] ms, port $port"

start=$(date +%s)
for t in $(seq 1 "$TRIALS"); do
  before=$(wc -l <"$journal")
  "$PYTHON" bench/crash/writers.py run --url "$url" --journal "$journal" --token-file "$WORK/token" \
    --images "$IMAGES" --writers "$WRITERS" --live "$LIVE" --seed "$((SEED * 100000 + t))" \
    --duration 120 &
  writers_pid=$!
  # The delay runs from the first request sent (the clients' start-up is not counted).
  for _ in $(seq 300); do [ "$(wc -l <"$journal")" -gt "$before" ] && break; sleep 0.02; done
  delay=$(( (RANDOM * 32768 + RANDOM) % (MAX_KILL_MS + 1) ))
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  stop_server KILL
  kill "$writers_pid"
  wait "$writers_pid"
  writers_pid=""
  ops=$(tail -n +"$((before + 1))" "$journal" | "$PYTHON" -c '
import json, sys
n = {"ack": 0, "lost": 0}
for line in sys.stdin:
    r = json.loads(line)
    if r.get("state") == "answer" and r.get("status") in (200, 201): n["ack"] += 1
    elif r.get("state") == "lost": n["lost"] += 1
print(n["ack"], n["lost"])')
  log_mark=$(wc -l <"$WORK/serve.log")
  start_server "$WORK/data" "$port" "$WORK/serve.log" "${serve_args[@]}" ||
    { fail "$t" "the server did not restart: $(tail -3 "$WORK/serve.log")"; break; }
  tail -n +"$((log_mark + 1))" "$WORK/serve.log" | grep -i warn >"$WORK/warn" &&
    fail "$t" "the restarted server repaired something: $(head -3 "$WORK/warn")"
  result=$("$PYTHON" bench/crash/writers.py check --url "$url" --journal "$journal" 2>"$WORK/err")
  rc=$?
  [ "$rc" -eq 0 ] || fail "$t" "check: $(head -5 "$WORK/err") $result"
  read -r acked lost <<<"$ops"
  echo "trial $t: kill at ${delay} ms, $acked writes acknowledged, $lost without an answer; after restart: $result"
  echo "{\"trial\":$t,\"kill_ms\":$delay,\"acked\":$acked,\"lost\":$lost,\"check\":${result:-null}}" >>"$OUT/crash_serve.jsonl"
done
stop_server TERM
[ "$server_status" = 0 ] || fail end "the server exited $server_status on SIGTERM"
check_collection end "after the last stop" "$WORK/data" >/dev/null
secs=$(( $(date +%s) - start ))
echo "writes: $("$PYTHON" bench/crash/writers.py stats --journal "$journal")"
echo "summary: $TRIALS trials in $secs s, $(failures) failures"
[ "$(failures)" -eq 0 ]
