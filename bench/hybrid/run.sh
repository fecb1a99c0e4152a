#!/usr/bin/env bash
# What hybrid search adds (docs/model-eval.md, "Hybrid search"): indexes the test gallery (the
# twitter images of the emoji corpus, each with its identity's English caption) into a
# collection, then measures text→image recall@10 of semantic, hybrid and keyword search per
# query set with build/bench/hybrid.
#   bench/hybrid/run.sh [CORPUS] [MODEL] [EXTRA ARGS FOR build/bench/hybrid]
# CORPUS defaults to the test suite's emoji corpus (build/test-data/emoji), MODEL to the
# committed model. Output: out/bench/hybrid/results.jsonl (one JSON object per query set).
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${1:-build/test-data/emoji}
model=${2:-models/qiss-default.qiss}
shift $(( $# > 2 ? 2 : $# )) || true
out=out/bench/hybrid
mkdir -p "$out"
manifest=$corpus
[ -d "$corpus" ] && manifest=$corpus/manifest.jsonl
# The gallery: identity lines (their captions become each image's caption) and the test split's
# images, whose paths are made absolute so that the new manifest can live elsewhere.
/usr/bin/python3 - "$manifest" "$out/gallery.jsonl" <<'PY'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
base = os.path.dirname(os.path.abspath(src))
with open(src) as f, open(dst, "w") as out:
    for line in f:
        j = json.loads(line)
        if "path" not in j:
            out.write(line)
        elif j.get("split") == "test":
            j["path"] = os.path.join(base, j["path"])
            out.write(json.dumps(j, ensure_ascii=False) + "\n")
PY
rm -rf "$out/gallery"
build/qiss index --data "$out/gallery" --model "$model" "$out/gallery.jsonl"
build/bench/hybrid --data "$out/gallery" --corpus "$manifest" "$@" | tee "$out/results.jsonl"
