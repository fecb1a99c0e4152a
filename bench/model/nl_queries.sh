#!/usr/bin/env bash
# Natural-language queries on the twitter gallery (issue 11; docs/model-card.md,
# "Natural-language queries"): every query of bench/model/queries.tsv is searched with k = 10
# in a collection of the twitter images indexed with MODEL, and scored against its accepted emoji.
#   bench/model/nl_queries.sh MODEL [OUT]        e.g. bench/model/nl_queries.sh models/qiss-default.qiss
# Prints a markdown table (per language: queries, top-1 and top-10 hit rates; then all queries)
# and the misses. OUT (default out/nl_queries) keeps one collection per model, keyed by the
# model file's SHA-256, reused by the next run, and each run's answers in results.jsonl.
# Environment: QISS (binary, default build/qiss), QUERIES (default bench/model/queries.tsv),
# GALLERY (default the twitter 64 px images), THREADS (index threads, default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { sed -n 2,10p "$0" >&2; exit 2; }
model=$1
out=${2:-out/nl_queries}
qiss=${QISS:-build/qiss}
queries=${QUERIES:-bench/model/queries.tsv}
gallery=${GALLERY:-node_modules/emoji-datasource-twitter/img/twitter/64}
threads=${THREADS:-2}
[ -f "$model" ] || { echo "nl_queries: no model file $model" >&2; exit 2; }
[ -d "$gallery" ] || { echo "nl_queries: no gallery $gallery (run scripts/install-deps.sh)" >&2; exit 2; }

key=$(sha256sum "$model" | cut -c1-16)
dir="$out/$key"
coll="$dir/collection"
mkdir -p "$dir"
if [ ! -f "$dir/indexed" ]; then
  rm -rf "$coll"
  nice -n 10 "$qiss" index --data "$coll" --model "$model" --threads "$threads" "$gallery" \
    >"$dir/index.log" 2>&1
  touch "$dir/indexed"
fi

# One server on a free loopback port answers every query.
"$qiss" serve --data "$coll" --host 127.0.0.1 --port 0 --threads 2 >"$dir/serve.out" 2>"$dir/serve.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 600); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$dir/serve.out" || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$dir/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "nl_queries: the server did not start within 60 s" >&2; exit 1; }

/usr/bin/python3 - "$url" "$queries" "$gallery" "$dir/results.jsonl" "$model" <<'PY'
import collections, hashlib, json, os, sys, urllib.parse, urllib.request

sys.path.insert(0, "bench/model")
from emoji_ids import family  # noqa: E402
from nl_set import read_queries  # noqa: E402

url, queries, gallery, results_path, model = sys.argv[1:6]


# Byte-identical images are stored once (the first source wins), so a result stands for every
# gallery image with its bytes.
same_bytes = collections.defaultdict(set)
id_hash = {}
for name in os.listdir(gallery):
    if name.endswith(".png"):
        with open(os.path.join(gallery, name), "rb") as f:
            h = hashlib.sha256(f.read()).hexdigest()
        id_hash[name[:-4]] = h
        same_bytes[h].add(name[:-4])


def stands_for(source):
    emoji_id = os.path.basename(source).rsplit(".", 1)[0]
    return {family(i) for i in same_bytes.get(id_hash.get(emoji_id), {emoji_id})}


rows = read_queries(queries)

stats = collections.defaultdict(lambda: [0, 0, 0])  # queries, top-1 hits, top-10 hits
misses = []
with open(results_path, "w", encoding="utf-8") as log:
    for lang, text, accepted, names in rows:
        q = urllib.parse.urlencode({"q": text, "k": 10})
        with urllib.request.urlopen(f"{url}api/search?{q}", timeout=60) as r:
            answer = json.load(r)
        got = [stands_for(res["source"]) for res in answer["results"]]
        rank = next((i + 1 for i, ids in enumerate(got) if ids & accepted), None)
        for key in (lang, "all"):
            stats[key][0] += 1
            stats[key][1] += rank == 1
            stats[key][2] += rank is not None
        top3 = [os.path.basename(res["source"]).rsplit(".", 1)[0] for res in answer["results"][:3]]
        log.write(json.dumps({"lang": lang, "query": text, "rank": rank, "detected":
                              answer["query"].get("language", {}).get("code"),
                              "results": [os.path.basename(res["source"]) for res in
                                          answer["results"]]}, ensure_ascii=False) + "\n")
        if rank is None:
            misses.append(f"- {lang} \"{text}\": wanted {names}; got {', '.join(top3)}")

print(f"Natural-language queries ({os.path.basename(queries)}), {os.path.basename(model)}, "
      f"gallery {gallery} ({len(id_hash)} images), k = 10\n")
print("| language | queries | top-1 | top-10 |")
print("|---|---:|---:|---:|")
for lang in sorted(k for k in stats if k != "all"):
    n, h1, h10 = stats[lang]
    print(f"| {lang} | {n} | {h1 / n:.0%} | {h10 / n:.0%} |")
n, h1, h10 = stats["all"]
print(f"| **all** | **{n}** | **{h1 / n:.0%}** | **{h10 / n:.0%}** |")
print(f"\nIn the top 10: {h10}/{n} = {h10 / n:.1%} (target ≥ 60 %); "
      f"top 1: {h1}/{n} = {h1 / n:.1%}.\n")
print(f"Misses ({len(misses)}; the first 3 results):\n")
print("\n".join(misses))
PY
