#!/usr/bin/env bash
# Ingestion throughput (docs/benchmarks.md, "Ingestion"), side by side on the same files:
#   1. `qiss index` end to end, into a fresh collection (images/s as qiss index reports it);
#   2. each stage alone (bench/ingest_stages.cpp): read, hash, decode, thumbnail, embed;
#   3. the decoder's physical limit for JPEG: libjpeg-turbo's djpeg at 1/8 scale and at full
#      size, two processes (one per core).
# Corpora: the emoji corpus (64 px PNG) and photos derived from Debian's wallpapers (JPEG,
# 1-12 MP, bench/ingest/make_photos.py).
#   bench/ingest/run.sh            # PHOTOS=2000 photos by default
# Environment: QISS_BUILD (build), MODEL (models/qiss-default.qiss), CORPUS (data/emoji),
# PHOTOS (2000), OUT (out/bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${QISS_BUILD:-build}
MODEL=${MODEL:-models/qiss-default.qiss}
CORPUS=${CORPUS:-data/emoji}
OUT=${OUT:-out/bench}
N_PHOTOS=${PHOTOS:-2000}
JOBS=$(nproc)
mkdir -p "$OUT/ingest"
RESULTS="$OUT/ingest.jsonl"
: > "$RESULTS"

photos="$OUT/photos-$N_PHOTOS"
if [ ! -f "$photos/.complete" ]; then
  rm -rf "$photos"
  # Debian's python3 (python3-pil), whatever python3 comes first on the PATH.
  /usr/bin/python3 bench/ingest/make_photos.py --out "$photos" --count "$N_PHOTOS"
  touch "$photos/.complete"
fi

seconds() { date +%s.%N; }

for corpus in emoji photos; do
  if [ $corpus = emoji ]; then src="$CORPUS/manifest.jsonl"; else src="$photos"; fi
  data="$OUT/ingest/$corpus"
  rm -rf "$data"
  sync
  t0=$(seconds)
  line=$("$BUILD/qiss" index --data "$data" --model "$MODEL" "$src" 2>/dev/null | grep '^added')
  t1=$(seconds)
  end_to_end=$(echo "$line" | grep -oE '\(([0-9]+) images/s\)' | grep -oE '[0-9]+')
  wall=$(python3 -c "print(round($t1 - $t0, 2))")
  # The stages alone, on the very files the collection took.
  stages=$("$BUILD/bench/ingest_stages" --model "$MODEL" --json "$src")
  djpeg_scaled=null; djpeg_full=null
  if [ $corpus = photos ]; then
    n=$(find "$photos" -name '*.jpg' | wc -l)
    t0=$(seconds); find "$photos" -name '*.jpg' -print0 | xargs -0 -P "$JOBS" -n 20 sh -c 'for f; do djpeg -scale 1/8 "$f" > /dev/null; done' _; t1=$(seconds)
    djpeg_scaled=$(python3 -c "print(round($n / ($t1 - $t0), 1))")
    t0=$(seconds); find "$photos" -name '*.jpg' -print0 | xargs -0 -P "$JOBS" -n 20 sh -c 'for f; do djpeg "$f" > /dev/null; done' _; t1=$(seconds)
    djpeg_full=$(python3 -c "print(round($n / ($t1 - $t0), 1))")
  fi
  echo "{\"corpus\": \"$corpus\", \"qiss_index\": {\"images_per_s\": $end_to_end, \"wall_s\": $wall, \"summary\": \"$line\"}, \"stages\": $stages, \"djpeg_scale_1_8\": $djpeg_scaled, \"djpeg_full\": $djpeg_full}" | tee -a "$RESULTS"
done
python3 bench/ingest/table.py "$RESULTS" | tee "$OUT/ingest.md"
