#!/usr/bin/env bash
# Soak (docs/reliability.md, "Soak"): DURATION seconds of mixed load on one writing `qiss serve`
# on 127.0.0.1, over a collection of SEED_IMAGES emoji indexed with the tests' tiny model:
#   - text, image and "similar" searches, each from its own wrk (CONNECTIONS connections;
#     bench/http's scripts through bench/soak/counted.lua, which counts the answers by status);
#   - WRITERS clients adding and deleting (bench/crash/writers.py, journaled);
#   - a restart of the server every RESTART_EVERY seconds with RESTART_SIGNAL (TERM: a graceful
#     stop, which must exit 0 and answer every write it applied; KILL: kill -9). The searches
#     run within each server lifetime (wrk stops before the restart and starts again after it);
#     the writers run through the restarts and retry what could not connect.
# The server's RSS is sampled every SAMPLE_EVERY seconds (rss.csv). At the end the writers stop,
# the server is restarted once more and checked against the journal (every acknowledged add
# present with its content, every acknowledged delete absent, no phantom or duplicate, index =
# store, /similar for every id), and bench/soak/report.py writes the summary (soak.md), the RSS
# curve (soak-rss.png) and fails on any 5xx or 503.
#
#   bench/soak/soak.sh                        (30 minutes; environment: see the defaults below)
#   DURATION=120 RESTART_EVERY=40 bench/soak/soak.sh      (the short run)
# Writes into OUT: rss.csv, lifetimes.csv, wrk-LIFE-KIND.txt, journal.jsonl, check.json, soak.md,
# soak-rss.png, serve.log. Exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
DURATION=${DURATION:-1800}
RESTART_EVERY=${RESTART_EVERY:-300}
RESTART_SIGNAL=${RESTART_SIGNAL:-TERM}
QISS=${QISS:-build/qiss}
MODEL=${MODEL:-build/test-data/tiny.qiss}
IMAGES=${IMAGES:-node_modules/emoji-datasource-twitter/img/twitter/64}
QUERY_IMAGES=${QUERY_IMAGES:-node_modules/emoji-datasource-google/img/google/64}
SEED_IMAGES=${SEED_IMAGES:-1000}  # images indexed before the server starts
CONNECTIONS=${CONNECTIONS:-2}     # connections of each of the three wrk (text, image, similar)
THINK_MS=${THINK_MS:-0}           # pause of a search connection between an answer and its next request
WRITERS=${WRITERS:-2}             # adding and deleting clients
WRITE_PAUSE=${WRITE_PAUSE:-0.05}  # seconds between two requests of a writer
LIVE=${LIVE:-200}                 # each writer keeps about this many of its adds
SAMPLE_EVERY=${SAMPLE_EVERY:-2}   # seconds between two RSS samples
SERVER_ARGS=${SERVER_ARGS:-}      # more `qiss serve` options
OUT=${OUT:-out/soak}
case $RESTART_SIGNAL in TERM | KILL) ;; *) echo "RESTART_SIGNAL: TERM or KILL" >&2; exit 2 ;; esac
if [ "$DURATION" -lt 10 ] || [ "$RESTART_EVERY" -lt 10 ]; then
  echo "DURATION and RESTART_EVERY: at least 10 s" >&2
  exit 2
fi
command -v wrk >/dev/null || { echo "bench/soak: wrk is missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/qiss-soak.XXXXXX)
server_pid="" writers_pid="" sampler_pid=""
wrk_pids=()
cleanup() {
  for p in $writers_pid $sampler_pid "${wrk_pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -z "$server_pid" ] || kill -9 "$server_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=bench/crash/lib.sh
source bench/crash/lib.sh
mkdir -p "$OUT"
rm -f "$OUT"/wrk-*.txt "$OUT"/rss.csv "$OUT"/lifetimes.csv "$OUT"/journal.jsonl "$OUT"/serve.log
: >"$WORK/failures"
journal="$OUT/journal.jsonl"
log="$OUT/serve.log"

seed_collection "$IMAGES" "$SEED_IMAGES" "$MODEL" qiss-soak-token
port=$(free_port)
url="http://127.0.0.1:$port"
# shellcheck disable=SC2206
serve_args=(--token-file "$WORK/token" $SERVER_ARGS)
check_args=()
[ "$RESTART_SIGNAL" = KILL ] || check_args=(--graceful)
mapfile -t queries < <(find "$QUERY_IMAGES" -maxdepth 1 -name '*.png' | sort | head -n 8)
[ ${#queries[@]} -gt 0 ] || { echo "bench/soak: no query images in $QUERY_IMAGES" >&2; exit 1; }

t0=$(date +%s)
life=0
begin_lifetime() {
  life=$((life + 1))
  start_server "$WORK/data" "$port" "$log" "${serve_args[@]}" || { fail "$life" "the server did not start"; return 1; }
  echo "$server_pid $life" >"$WORK/server"
}
end_lifetime() {  # SIGNAL
  stop_server "$1"
  echo "$life,$(( $(date +%s) - t0 )),$1,$server_status" >>"$OUT/lifetimes.csv"
  if [ "$1" = TERM ] && [ "$server_status" != 0 ]; then
    fail "$life" "the server exited $server_status on SIGTERM (or did not stop within 30 s)"
  fi
}
echo "life,end_s,signal,exit_status" >"$OUT/lifetimes.csv"

begin_lifetime || exit 1
"$PYTHON" bench/crash/writers.py seed --url "$url" --journal "$journal" || exit 1
seeded=$(grep -c '"op":"seed"' "$journal")
echo "soak: ${DURATION} s, restart every ${RESTART_EVERY} s with SIG$RESTART_SIGNAL, $seeded images, port $port"

# RSS of the current server every SAMPLE_EVERY seconds.
echo "elapsed_s,life,pid,rss_kb" >"$OUT/rss.csv"
(
  while [ ! -f "$WORK/stop" ]; do
    read -r pid l <"$WORK/server"
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    [ -z "$rss" ] || echo "$(( $(date +%s) - t0 )),$l,$pid,$rss" >>"$OUT/rss.csv"
    sleep "$SAMPLE_EVERY"
  done
) &
sampler_pid=$!

"$PYTHON" bench/crash/writers.py run --url "$url" --journal "$journal" --token-file "$WORK/token" \
  --images "$IMAGES" --writers "$WRITERS" --live "$LIVE" --pause "$WRITE_PAUSE" \
  --duration "$((DURATION + 120))" >"$WORK/writers.log" 2>&1 &
writers_pid=$!

while :; do
  left=$(( DURATION - ($(date +%s) - t0) ))
  span=$(( left - RESTART_EVERY < 10 ? left : RESTART_EVERY ))  # no lifetime of a few seconds at the end
  [ "$span" -ge 1 ] || break
  wrk_pids=()
  for kind in text image similar; do
    case $kind in
      text) extra=() ;;
      image) extra=(-- "${queries[@]}") ;;
      similar) extra=(-- "$seeded") ;;
    esac
    SOAK_KIND=$kind SOAK_THINK_MS=$THINK_MS wrk -t1 -c"$CONNECTIONS" -d"${span}s" --timeout 10s -s bench/soak/counted.lua \
      "$url" "${extra[@]}" >"$OUT/wrk-$life-$kind.txt" 2>&1 &
    wrk_pids+=($!)
  done
  wait "${wrk_pids[@]}"
  wrk_pids=()
  left=$(( DURATION - ($(date +%s) - t0) ))
  [ "$left" -ge 1 ] || break
  end_lifetime "$RESTART_SIGNAL"
  echo "  $(( $(date +%s) - t0 )) s: restarted (SIG$RESTART_SIGNAL), lifetime $((life + 1))"
  begin_lifetime || break
done

kill "$writers_pid"
wait "$writers_pid"
writers_pid=""
touch "$WORK/stop"
wait "$sampler_pid"
sampler_pid=""
"$PYTHON" bench/crash/writers.py check --url "$url" --journal "$journal" "${check_args[@]}" >"$OUT/check-live.json" 2>"$WORK/err" ||
  fail end "check on the running server: $(head -5 "$WORK/err")"
end_lifetime TERM
check_collection end "after the soak" "$WORK/data" >/dev/null
start_server "$WORK/data" "$port" "$log" "${serve_args[@]}" || fail end "the server did not restart"
"$PYTHON" bench/crash/writers.py check --url "$url" --journal "$journal" "${check_args[@]}" >"$OUT/check.json" 2>"$WORK/err" ||
  fail end "check after a restart: $(head -5 "$WORK/err")"
stop_server TERM
"$PYTHON" bench/crash/writers.py stats --journal "$journal" >"$OUT/writes.json"
"$PYTHON" bench/soak/report.py "$OUT" | tee "$OUT/soak.md" || fail end "report: 5xx or 503 answers, or the journal check failed"
echo "summary: $(( $(date +%s) - t0 )) s, $life server lifetimes, $(failures) failures"
[ "$(failures)" -eq 0 ]
