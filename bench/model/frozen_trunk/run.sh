#!/usr/bin/env bash
# Does an ImageNet-initialised MobileNetV2 trunk, frozen, carry an emoji's identity across
# drawing styles better than qiss's own CNN? (docs/model-experiments.md, "A frozen pretrained trunk")
# Features: nsfwjs's MobileNetV2 (npm, TF.js, WASM backend), output of `out_relu` (7x7x1280)
# at 224 px, mean- and GeM-pooled. Task: apple image -> google gallery (3,786 images), as
# `qiss eval --gallery-vendor google` scores image->image; google is never used for fitting.
# Scored three ways: raw features; PCA-whitened (fitted on the apple queries); a linear head
# trained on apple, facebook and emojione with identity proxies (python3-torch).
#   bench/model/frozen_trunk/run.sh [OUT]       (OUT: out/frozen_trunk)
# Needs node, /usr/bin/python3 with python3-pil, python3-numpy, python3-torch. Fetches nsfwjs,
# @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm into OUT/npm (not the project's packages).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=$(mkdir -p "${1:-$root/out/frozen_trunk}" && cd "${1:-$root/out/frozen_trunk}" && pwd)
py=/usr/bin/python3
if [ ! -d "$out/npm/node_modules/nsfwjs" ]; then
  npm install --prefix "$out/npm" --no-audit --no-fund --ignore-scripts \
    nsfwjs@4.4.0 @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 >/dev/null
fi
cd "$out"
"$py" "$here/prep.py" "$root/node_modules" 128
for set in q g apple facebook emojione; do
  [ -f "$set.f32" ] && continue
  NODE_PATH="$out/npm/node_modules" node "$here/features.cjs" "$set.u8" "$(wc -l <"$set.txt")" 128 "$set.f32"
done
"$py" "$here/score.py"
"$py" "$here/head.py"
