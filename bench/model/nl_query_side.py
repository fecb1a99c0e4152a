#!/usr/bin/python3
"""Query-side handling of sentences, tried without changing qiss (docs/model-experiments.md, "Why a
training caption misses"): scores the natural-language set against a running `qiss serve` four
ways and prints the share of queries with an accepted emoji in the top 10.

    bench/model/nl_query_side.py URL [QUERIES] [MANIFEST] [--word-weight 0.85,0.8]
                                 [--captions en,fr --every 8]
    e.g. build/qiss serve --data out/nl_queries/<key>/collection --port 18556 &
         bench/model/nl_query_side.py http://127.0.0.1:18556/

  full        the query as typed
  known       only its words that occur in some training caption or keyword (any locale)
  mean_terms  the mean of the query's and its known words' embeddings (query arithmetic, `terms`)
  max         each image's best score over the query and its known words (top 100 of each)
  best_word   the query or the one word (known or not) whose own top 10 holds an accepted
              emoji: an oracle that knows the answer, the ceiling of any rule that keeps one word
  words_W     each image's best score over the query and W x the score of each of its words
              (every word, known or not; top 100 of each), one row per --word-weight
Words are `\\w+` runs, so a Chinese or Japanese query without spaces is one word.

--captions LOCALES also scores the CLDR captions of every --every-th identity of MANIFEST in
those locales (R@1 and R@10 of the identity's own image, its skin-tone variants counted as it;
the collection must hold the identities' images under their emoji ids), as typed and with each
word weight: what a query-side rule costs the queries the model was trained on.
"""
import argparse
import collections
import json
import os
import re
import sys
import urllib.request

from emoji_ids import family
from nl_set import read_queries

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("url")
ap.add_argument("queries", nargs="?", default="bench/model/queries.tsv")
ap.add_argument("manifest", nargs="?", default="data/emoji/manifest.jsonl")
ap.add_argument("--word-weight", default="", help="comma-separated weights W of words_W")
ap.add_argument("--captions", default="", help="comma-separated locales")
ap.add_argument("--every", type=int, default=8)
args = ap.parse_args()
url = args.url.rstrip("/") + "/"
queries, manifest = args.queries, args.manifest
word_weights = [float(w) for w in args.word_weight.split(",") if w]


known = set()
identities = []
with open(manifest, encoding="utf-8") as f:
    for line in f:
        entry = json.loads(line)
        if "identity" in entry:
            identities.append(entry)
        for field in ("captions", "keywords"):
            for texts in entry.get(field, {}).values():
                for text in texts:
                    known.update(re.findall(r"\w+", text.lower()))


def search(body):
    req = urllib.request.Request(url + "api/search", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        answer = json.load(r)
    return [(family(os.path.basename(x["source"]).rsplit(".", 1)[0]), x["score"])
            for x in answer["results"]]


cache = {}


def search_text(text, k):
    if (text, k) not in cache:
        cache[text, k] = search({"text": text, "k": k})
    return cache[text, k]


def best_of(texts, word_weight=1.0):
    """Each image's best score over texts[0] and word_weight x its score for texts[1:]."""
    score = collections.defaultdict(lambda: -9.0)
    for i, text in enumerate(texts):
        for emoji, s in search_text(text, 100):
            score[emoji] = max(score[emoji], s * (word_weight if i else 1.0))
    return sorted(score.items(), key=lambda x: -x[1])


def with_words(query, word_weight):
    words = re.findall(r"\w+", query.lower())
    return best_of([query] + words, word_weight) if len(words) > 1 else search_text(query, 10)


hits, n = collections.Counter(), 0
for _, query, accepted, _ in read_queries(queries):
    words = [w for w in re.findall(r"\w+", query.lower()) if w in known]
    answers = {"full": search_text(query, 10)}
    for w in word_weights:
        answers[f"words_{w}"] = with_words(query, w)
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
        [search_text(w, 10) for w in re.findall(r"\w+", query.lower())])
for way in ["full", "known", "mean_terms", "max", "best_word"] + [f"words_{w}" for w in word_weights]:
    print(f"{way:11s} {hits[way] / n:.1%} of {n} queries in the top 10")

for locale in (x for x in args.captions.split(",") if x):
    recall, m = collections.Counter(), 0
    for entry in identities[::args.every]:
        captions = entry.get("captions", {}).get(locale)
        if not captions:
            continue
        m += 1
        target = family(entry["identity"])
        for way, results in [("as typed", search_text(captions[0], 10))] + [
                (f"words_{w}", with_words(captions[0], w)) for w in word_weights]:
            ranked = [emoji for emoji, _ in results[:10]]
            recall[way, 1] += ranked[:1] == [target]
            recall[way, 10] += target in ranked
    print(f"{locale} captions ({m}): " + ", ".join(
        f"{way} R@1 {recall[way, 1] / m:.3f} R@10 {recall[way, 10] / m:.3f}"
        for way in ["as typed"] + [f"words_{w}" for w in word_weights]))
