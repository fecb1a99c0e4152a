#!/usr/bin/env bash
# Near-duplicate threshold benchmark (docs/dupes.md): Debian's wallpapers and four edits of each
# (half size, JPEG quality 40, 10 % crop, colour shift), indexed with a model; `qiss dupes` at
# several thresholds; precision and recall over image pairs.
#   bench/dupes/run.sh [MODEL] [OUT]     (models/qiss-default.qiss, out/dupes)
# Needs the packages plasma-workspace-wallpapers, gnome-backgrounds and desktop-base
# (apt-get install --no-install-recommends ...) and /usr/bin/python3 with python3-pil.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-models/qiss-default.qiss}
out=${2:-out/dupes}
qiss=${QISS:-build/qiss}
rm -rf "$out" && mkdir -p "$out"
/usr/bin/python3 bench/dupes/make_set.py "$out"
"$qiss" index --data "$out/data" --model "$model" "$out/images" >"$out/index.log" 2>&1 ||
  { cat "$out/index.log" >&2; exit 1; }
args=()
for t in 0.80 0.85 0.90 0.93 0.95 0.97 0.98 0.99; do
  "$qiss" dupes --json --threshold "$t" --data "$out/data" >"$out/dupes-$t.json"
  args+=("$t=$out/dupes-$t.json")
done
/usr/bin/python3 bench/dupes/score.py "${args[@]}"
