#!/usr/bin/env bash
# Crash loop for `qiss index` (docs/reliability.md, "Crash loop"): each trial starts an ingest
# into a fresh collection, kills it with SIGKILL after a random delay, checks what the killed
# run left, then restarts the ingest to completion and checks the result.
# bench/crash/crash_serve.sh does the same to a writing `qiss serve`.
#
# After the kill:     store count = index count (`qiss info`), no warning (the index needed no
#                     repair), `qiss search --id` works for a sample of stored ids.
# After the restart:  exit 0; images = distinct input files (by content); a second run adds
#                     nothing (every file is present, once); store count = index count; the
#                     sample of ids again.
#
#   TRIALS=200 bench/crash/crash_loop.sh        (environment: see the defaults below)
# Prints one line per trial and a summary; writes $OUT/crash_loop.jsonl. Exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
TRIALS=${TRIALS:-200}
QISS=${QISS:-build/qiss}
MODEL=${MODEL:-build/test-data/tiny.qiss}
IMAGES=${IMAGES:-node_modules/emoji-datasource-twitter/img/twitter/64}
N=${N:-400}                   # images per trial (the first N files of IMAGES, sorted)
# The kill comes uniformly in [0, MAX_KILL_MS] ms after the start. auto: 1.2 x the time of one
# uninterrupted ingest of the same files, measured first on this machine, so that kills land
# during start-up, between batches and near the end alike, whatever the machine's speed or load.
MAX_KILL_MS=${MAX_KILL_MS:-auto}
SAMPLE=${SAMPLE:-3}           # ids checked with `qiss search --id` per check
SEED=${SEED:-1}
OUT=${OUT:-out/crash}
WORK=$(mktemp -d /tmp/qiss-crash.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
RANDOM=$SEED
# shellcheck source=bench/crash/lib.sh
source bench/crash/lib.sh

copy_images "$IMAGES" "$N" "$WORK/in"
files=$(ls "$WORK/in" | wc -l)
distinct=$(sha256sum "$WORK"/in/* | cut -d' ' -f1 | sort -u | wc -l)
if [ "$MAX_KILL_MS" = auto ]; then
  t0=$(date +%s%N)
  "$QISS" index --batch 16 --data "$WORK/timing" --model "$MODEL" "$WORK/in" >"$WORK/run.log" 2>&1 ||
    { echo "the timing run failed: $(tail -3 "$WORK/run.log")" >&2; exit 1; }
  MAX_KILL_MS=$(( ($(date +%s%N) - t0) * 12 / 10 / 1000000 ))
  rm -rf "$WORK/timing"
fi
echo "crash loop: $TRIALS trials, $files files ($distinct distinct), kill in [0, $MAX_KILL_MS] ms"

killed_mid=0 finished_first=0
: >"$WORK/failures"

start=$(date +%s)
for t in $(seq 1 "$TRIALS"); do
  rm -rf "$WORK/data"
  delay=$(( (RANDOM * 32768 + RANDOM) % (MAX_KILL_MS + 1) ))
  "$QISS" index --batch 16 --data "$WORK/data" --model "$MODEL" "$WORK/in" >"$WORK/run.log" 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then killed_mid=$((killed_mid + 1)); state=killed; else finished_first=$((finished_first + 1)); state=finished; fi
  wait "$pid" 2>/dev/null
  after_kill=0
  if [ -d "$WORK/data/store" ] && [ -f "$WORK/data/model.qiss" ]; then
    after_kill=$(check_collection "$t" "after kill" "$WORK/data" | tail -1)
  fi
  # The restart is the same command the killed run was (a kill before the collection recorded its
  # model leaves nothing that names it).
  "$QISS" index --batch 16 --data "$WORK/data" --model "$MODEL" "$WORK/in" >"$WORK/run.log" 2>&1 ||
    fail "$t" "restart exited $?: $(tail -3 "$WORK/run.log")"
  grep -q "already in the index" "$WORK/run.log" && fail "$t" "restart: $(grep 'already' "$WORK/run.log")"
  final=$(check_collection "$t" "after restart" "$WORK/data" | tail -1)
  [ "$final" = "$distinct" ] || fail "$t" "$final images after restart, $distinct distinct files"
  "$QISS" index --data "$WORK/data" --model "$MODEL" "$WORK/in" >"$WORK/run.log" 2>&1
  grep -q "added 0, duplicates $files," "$WORK/run.log" ||
    fail "$t" "second run: $(head -1 "$WORK/run.log")"
  echo "trial $t: kill at ${delay} ms ($state), $after_kill images committed before the kill, $final after restart"
  echo "{\"trial\":$t,\"kill_ms\":$delay,\"state\":\"$state\",\"committed\":${after_kill:-0},\"final\":${final:-0}}" >>"$OUT/crash_loop.jsonl"
done
secs=$(( $(date +%s) - start ))
failures=$(failures)
echo "summary: $TRIALS trials in $secs s, $killed_mid killed mid-run, $finished_first finished before the kill, $failures failures"
[ "$failures" -eq 0 ]
