#!/usr/bin/env bash
# Photo copy detection (docs/benchmarks.md, "Photos: copy detection"): the photographs of
# Debian's wallpaper packages, OpenCV's and scikit-image's sample pictures and Tux Paint's photo
# stamps, five edits of each original among 10,000 distractors (crops of other pictures), searched
# with the photo model imported from nsfwjs's MobileNetV2 (whitened and not) and with the emoji
# model; recall@1 and @10 per edit and embedding throughput (images/s) at each model's size.
#   bench/photo/run.sh [OUT]          (out/photo; THREADS=2, DISTRACTORS=10000)
# Needs apt-get (it downloads the packages below into OUT/debs and unpacks them there without
# installing), dpkg-deb, node with the npm packages of package.json, and /usr/bin/python3 with
# python3-pil (scripts/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-out/photo}
qiss=${QISS:-build/qiss}
tool=${TOOL:-build/bench/copy_detection}
threads=${THREADS:-2}
distractors=${DISTRACTORS:-10000}
packages=(gnome-backgrounds plasma-workspace-wallpapers desktop-base ukui-wallpapers opencv-doc python3-skimage
  lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds sway-backgrounds
  tuxpaint-stamps-default)
mkdir -p "$out/debs"
for p in "${packages[@]}"; do
  ls "$out/debs/${p}_"*.deb >/dev/null 2>&1 || (cd "$out/debs" && apt-get download "$p")
done
rm -rf "$out/root" "$out/set" && mkdir -p "$out/root"
for deb in "$out"/debs/*.deb; do dpkg-deb -x "$deb" "$out/root"; done
/usr/bin/python3 bench/photo/make_set.py "$out/root" "$out/set" "$distractors" 2000

node scripts/tfjs_unwrap.cjs node_modules/nsfwjs/dist/models/mobilenet_v2 "$out/mobilenet_v2"
"$qiss" model import --tfjs "$out/mobilenet_v2" --out "$out/photo-1280.qiss"
# Whitened on 2,000 crops of the distractors' source pictures, never an original's.
"$qiss" model import --tfjs "$out/mobilenet_v2" --out "$out/photo-256.qiss" \
  --whiten-on "$out/set/whiten" --dim 256
: >"$out/results.jsonl"
for model in "$out/photo-256.qiss" "$out/photo-1280.qiss" models/qiss-default.qiss; do
  "$tool" --model "$model" --gallery "$out/set/gallery" --queries "$out/set/queries" \
    --threads "$threads" | tee -a "$out/results.jsonl"
done
/usr/bin/python3 bench/photo/report.py "$out/results.jsonl"
