#!/usr/bin/python3
"""Rewrites bench/model/queries.tsv with stop words struck from each query (docs/model-experiments.md,
"Stop words struck from the query"), for bench/model/nl_queries.sh (QUERIES=...).

  bench/model/strip_stopwords.py MODE [CORPUS] > OUT.tsv      (changed queries on stderr)

Stop words are the corpus's fillers.tsv (stopwords-iso, written by `qiss corpus emoji`) of the
query's language. MODE: `all` strikes every one; `name-words` keeps those that are a word of a CLDR
caption or keyword of the locale; `whole-names` keeps those that are a whole caption or keyword.
A query that would lose every word is kept as it is. CORPUS defaults to build/test-data/emoji.
"""
import json
import re
import sys

if len(sys.argv) < 2 or sys.argv[1] not in ("all", "name-words", "whole-names"):
    sys.exit(__doc__)
mode = sys.argv[1]
corpus = sys.argv[2] if len(sys.argv) > 2 else "build/test-data/emoji"

stop = {}
with open(f"{corpus}/fillers.tsv", encoding="utf-8") as f:
    for line in f:
        if line.startswith("#"):
            continue
        lang, word = line.rstrip("\n").split("\t")
        stop.setdefault(lang, set()).add(word.lower())

kept_words = {}  # locale -> words (or whole texts) of its names that are never struck
if mode != "all":
    with open(f"{corpus}/manifest.jsonl", encoding="utf-8") as f:
        for line in f:
            if not line.startswith('{"identity"'):
                continue
            j = json.loads(line)
            for field in ("captions", "keywords"):
                for loc, texts in j.get(field, {}).items():
                    words = kept_words.setdefault(loc, set())
                    for t in texts:
                        if mode == "whole-names":
                            words.add(t.lower().strip())
                        else:
                            words.update(w for w in re.split(r"[\s:,.!?;]+", t.lower()) if w)

for line in open("bench/model/queries.tsv", encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        sys.stdout.write(line)
        continue
    cols = line.rstrip("\n").split("\t")
    lang, query = cols[0], cols[1]
    struck = stop.get(lang, set()) - kept_words.get(lang, set())
    words = query.split(" ")
    kept = [w for w in words
            if w.lower() not in struck and re.sub(r"[^\w']", "", w.lower()) not in struck]
    cols[1] = " ".join(kept or words)
    if cols[1] != query:
        print(f"{lang}\t{query}\t->\t{cols[1]}", file=sys.stderr)
    sys.stdout.write("\t".join(cols) + "\n")
