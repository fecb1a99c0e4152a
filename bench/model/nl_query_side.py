#!/usr/bin/python3
"""Query-side handling of sentences, tried without changing qiss (docs/model-experiments.md, "Why a
training caption misses"): scores the natural-language set against a running `qiss serve` four
ways and prints the share of queries with an accepted emoji in the top 10.

    bench/model/nl_query_side.py URL [QUERIES] [MANIFEST]
    e.g. build/qiss serve --data out/nl_queries/<key>/collection --port 18556 &
         bench/model/nl_query_side.py http://127.0.0.1:18556/

  full        the query as typed
  known       only its words that occur in some training caption or keyword (any locale)
  mean_terms  the mean of the query's and its known words' embeddings (query arithmetic, `terms`)
  max         each image's best score over the query and its known words (top 100 of each)
  best_word   the query or the one word (known or not) whose own top 10 holds an accepted
              emoji: an oracle that knows the answer, the ceiling of any rule that keeps one word
Words are `\\w+` runs, so a Chinese or Japanese query without spaces is one word.
"""
import collections
import json
import os
import re
import sys
import urllib.request

if len(sys.argv) < 2:
    sys.exit(__doc__)
url = sys.argv[1].rstrip("/") + "/"
queries = sys.argv[2] if len(sys.argv) > 2 else "bench/model/queries.tsv"
manifest = sys.argv[3] if len(sys.argv) > 3 else "data/emoji/manifest.jsonl"
SKIN = {"1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"}


def strip_skin(emoji_id):
    return "-".join(p for p in emoji_id.split("-") if p not in SKIN)


known = set()
with open(manifest, encoding="utf-8") as f:
    for line in f:
        entry = json.loads(line)
        for field in ("captions", "keywords"):
            for texts in entry.get(field, {}).values():
                for text in texts:
                    known.update(re.findall(r"\w+", text.lower()))


def search(body):
    req = urllib.request.Request(url + "api/search", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        answer = json.load(r)
    return [(strip_skin(os.path.basename(x["source"]).rsplit(".", 1)[0]), x["score"])
            for x in answer["results"]]


def best_of(texts):
    score = collections.defaultdict(lambda: -1.0)
    for text in texts:
        for emoji, s in search({"text": text, "k": 100}):
            score[emoji] = max(score[emoji], s)
    return sorted(score.items(), key=lambda x: -x[1])


hits, n = collections.Counter(), 0
with open(queries, encoding="utf-8") as f:
    for line in f:
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        _, query, accepted = line.split("\t")[:3]
        accepted = {strip_skin(a) for a in accepted.split(",")}
        words = [w for w in re.findall(r"\w+", query.lower()) if w in known]
        answers = {"full": search({"text": query, "k": 10})}
        if words:
            answers["known"] = search({"text": " ".join(words), "k": 10})
            terms = [{"text": query, "weight": 1}] + [{"text": w, "weight": 1} for w in words[:7]]
            answers["mean_terms"] = search({"terms": terms, "k": 10})
            answers["max"] = best_of([query] + words)
        else:
            answers["known"] = answers["mean_terms"] = answers["max"] = answers["full"]
        n += 1
        for way, results in answers.items():
            hits[way] += any(emoji in accepted for emoji, _ in results[:10])
        hits["best_word"] += any(
            any(emoji in accepted for emoji, _ in results[:10])
            for results in [answers["full"]] +
            [search({"text": w, "k": 10}) for w in re.findall(r"\w+", query.lower())])
for way in ("full", "known", "mean_terms", "max", "best_word"):
    print(f"{way:11s} {hits[way] / n:.1%} of {n} queries in the top 10")
