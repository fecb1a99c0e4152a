#!/usr/bin/python3
"""Queries typed without ligatures ("coeur rouge" for "cœur rouge"; docs/model-experiments.md,
"Spellings that keyboards force"): how far text->image recall falls when the CLDR captions that
hold œ or æ are typed with oe / ae, and how much of it `known_spelling` (src/text/spelling.h)
wins back.

    bench/model/typed_spelling.py fold MANIFEST OUT.jsonl
        writes MANIFEST with every caption and keyword spelled with oe / ae / OE / AE
    bench/model/typed_spelling.py score DUMP_AS_WRITTEN DUMP_TYPED [DUMP_TYPED_BEFORE]
        text->image R@1 / R@10 per locale over the queries whose caption holds a ligature, from
        `qiss eval --dump` folders of the same model and gallery: the captions as CLDR writes
        them, the typed ones, and (optionally) the typed ones embedded by a qiss without
        known_spelling.

E.g. (google gallery: a style the committed model never trained on; twitter not read):
    L=fr,fr-CA,da,no,nn,is,fo,kl,lij
    bench/model/typed_spelling.py fold data/emoji/manifest.jsonl out/typed/manifest.jsonl
    build/qiss eval --model M --corpus data/emoji --gallery-vendor google --locales $L --dump out/typed/written
    build/qiss eval --model M --corpus out/typed/manifest.jsonl --gallery-vendor google --locales $L --dump out/typed/typed
    bench/model/typed_spelling.py score out/typed/written out/typed/typed
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_dump import load  # noqa: E402

FOLD = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"}


def fold_text(text):
    return "".join(FOLD.get(ch, ch) for ch in text)


def fold(manifest, out):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    base = os.path.dirname(os.path.abspath(manifest))
    changed = 0
    with open(manifest, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as g:
        for line in f:
            entry = json.loads(line)
            path = entry.get("path")
            if path is not None and not os.path.isabs(path):
                entry["path"] = os.path.join(base, path)
            for field in ("captions", "keywords"):
                for texts in entry.get(field, {}).values():
                    for i, text in enumerate(texts):
                        texts[i] = fold_text(text)
                        changed += texts[i] != text
            g.write(json.dumps(entry, ensure_ascii=False) + "\n")
    print(f"wrote {out}: {changed} texts spelled without ligatures")


def ranks_of(dump, name):
    """Rank (0 = first) of each text query's own emoji in the gallery, and the captions."""
    gallery, gallery_ids, _ = load(dump, "gallery")
    vectors, ids, texts = load(dump, name)
    index = {e: i for i, e in enumerate(gallery_ids)}
    scores = vectors @ gallery.T
    own = np.array([scores[r, index[e]] for r, e in enumerate(ids)])
    return (scores > own[:, None]).sum(axis=1), texts


def score(written, typed, before=None):
    names = sorted(f[5:-4] for f in os.listdir(written) if f.startswith("text_") and f.endswith(".tsv"))
    cols = ["as written", "typed, with known_spelling"] + (["typed, before"] if before else [])
    print("| locale | queries with œ / æ | " + " | ".join(f"{c} R@1 / R@10" for c in cols) + " |")
    print("|---|---:|" + "---|" * len(cols))
    total = {c: [] for c in cols}
    for loc in names:
        rank_w, texts = ranks_of(written, f"text_{loc}")
        pick = np.array([any(ch in t for ch in FOLD) for t in texts])
        if not pick.any():
            continue
        runs = [rank_w]
        for other in [typed] + ([before] if before else []):
            rank, other_texts = ranks_of(other, f"text_{loc}")
            assert [fold_text(t) for t in texts] == other_texts, f"{other}: other queries"
            runs.append(rank)
        cells = []
        for c, r in zip(cols, runs):
            r = r[pick]
            total[c].append(r)
            cells.append(f"{(r < 1).mean():.3f} / {(r < 10).mean():.3f}")
        print(f"| {loc} | {pick.sum()} | " + " | ".join(cells) + " |")
    cells = []
    for c in cols:
        r = np.concatenate(total[c])
        cells.append(f"**{(r < 1).mean():.3f} / {(r < 10).mean():.3f}**")
    print(f"| **all** | **{len(np.concatenate(total[cols[0]]))}** | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "fold":
        fold(sys.argv[2], sys.argv[3])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "score":
        score(*sys.argv[2:])
    else:
        sys.exit(__doc__)
