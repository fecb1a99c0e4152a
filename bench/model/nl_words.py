#!/usr/bin/python3
"""How much of the natural-language set a query's single words would find (docs/model-card.md,
"Natural-language queries: the words of a sentence").

    bench/model/nl_words.py COLLECTION GALLERY [QUERIES [MANIFEST]]

COLLECTION is a collection of GALLERY's images indexed with the model to measure (the one that
bench/model/nl_queries.sh leaves under OUT/<model hash>/collection). Every query of QUERIES
(default bench/model/queries.tsv) is searched whole and word by word (split on spaces; Japanese
and Chinese queries have no spaces and stay whole) through one `qiss serve` (QISS, default
build/qiss) on 127.0.0.1, k = 50 each, and scored three ways against its accepted emoji:
  whole        the query as the engine answers it today
  max          each image scored by its best cosine over the whole query and its words
  best word    the query or the one word whose own top 10 ranks an accepted emoji best (an
               oracle: the ceiling of any rule that picks one word)
With MANIFEST (a corpus's manifest.jsonl, e.g. data/emoji/manifest.jsonl), one more way:
  known words  the query without the words that no caption or keyword of the corpus contains
               (NFKC, case-folded; the whole query when none or all are known)
"""
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata
import urllib.parse
import urllib.request

SKIN = {"1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"}
NO_SPACES = {"ja", "zh"}


def strip_skin(emoji_id):
    return "-".join(p for p in emoji_id.split("-") if p not in SKIN)


def fold(text):
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())


def corpus_words(manifest):
    words = set()
    with open(manifest, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            for field in ("captions", "keywords"):
                for texts in entry.get(field, {}).values():
                    for t in texts:
                        words.update(fold(t))
    return words


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    collection, gallery = sys.argv[1:3]
    queries = sys.argv[3] if len(sys.argv) > 3 else "bench/model/queries.tsv"
    known = corpus_words(sys.argv[4]) if len(sys.argv) > 4 else None
    qiss = os.environ.get("QISS", "build/qiss")

    # A result stands for every gallery image with its bytes (stored once), as in nl_queries.sh.
    same_bytes, id_hash = collections.defaultdict(set), {}
    for name in os.listdir(gallery):
        if name.endswith(".png"):
            with open(os.path.join(gallery, name), "rb") as f:
                h = hashlib.sha256(f.read()).hexdigest()
            id_hash[name[:-4]] = h
            same_bytes[h].add(name[:-4])

    def stands_for(source):
        emoji_id = os.path.basename(source).rsplit(".", 1)[0]
        return {strip_skin(i) for i in same_bytes.get(id_hash.get(emoji_id), {emoji_id})}

    rows = []
    with open(queries, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            rows.append((cols[0], cols[1], {strip_skin(i) for i in cols[2].split(",")}))

    server = subprocess.Popen([qiss, "serve", "--data", collection, "--host", "127.0.0.1",
                               "--port", "0", "--threads", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = None
        for line in server.stdout:
            m = re.search(r"http://127\.0\.0\.1:\d+/", line)
            if m:
                url = m.group(0)
                break
        if url is None:
            sys.exit("nl_words: the server did not start")

        def scores(text):
            q = urllib.parse.urlencode({"q": text, "k": 50})
            with urllib.request.urlopen(f"{url}api/search?{q}", timeout=60) as r:
                return {res["source"]: res["score"] for res in json.load(r)["results"]}

        def rank(s):
            top = sorted(s, key=lambda src: -s[src])[:10]
            return next((i + 1 for i, src in enumerate(top) if stands_for(src) & accepted), None)

        hits = collections.defaultdict(lambda: [0, 0])
        for lang, text, accepted in rows:
            whole = scores(text)
            words = text.split() if lang not in NO_SPACES else []
            per_word = [scores(w) for w in words] if len(words) > 1 else []
            best = dict(whole)
            for s in per_word:
                for src, v in s.items():
                    best[src] = max(best.get(src, -2.0), v)
            ranks = [rank(s) for s in [whole] + per_word]
            found = [r for r in ranks if r is not None]
            results = [("whole", rank(whole)), ("max", rank(best)),
                       ("best word", min(found) if found else None)]
            if known is not None:
                kept = [w for w in words if any(t in known for t in fold(w))]
                short = " ".join(kept) if 0 < len(kept) < len(words) else text
                results.append(("known words", rank(scores(short)) if short != text else ranks[0]))
            for way, r in results:
                hits[way][0] += r == 1
                hits[way][1] += r is not None
    finally:
        server.terminate()
        server.wait()

    n = len(rows)
    print(f"| {os.path.basename(queries)}, {n} queries, gallery {gallery} | top 1 | top 10 |")
    print("|---|---:|---:|")
    for way in [w for w in ("whole", "max", "best word", "known words") if w in hits]:
        h1, h10 = hits[way]
        print(f"| {way} | {h1 / n:.1%} | {h10 / n:.1%} |")


if __name__ == "__main__":
    main()
