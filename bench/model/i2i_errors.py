#!/usr/bin/python3
"""Where image->image retrieval fails on an unseen drawing style, and what two retrieval-side
remedies do (docs/model-experiments.md, "Image->image on an unseen style").

Reads the folder written by `qiss eval --dump DIR` (docs/format.md, "Evaluation dump"), e.g.

  build/qiss train --corpus data/emoji --out J.qiss --config default --seed 1 --threads 2 \\
      --exclude-vendors google --set text_epochs=0
  build/qiss eval --model J.qiss --corpus data/emoji --gallery-vendor google --locales en \\
      --dump out/i2i
  bench/model/i2i_errors.py out/i2i

and prints Markdown: R@1 per kind of emoji (flags, keycaps, skin-tone variants, other ZWJ
sequences, single code points), the most frequent confusions, then R@1/R@10 with alpha query
expansion (the query plus its top-k gallery neighbours, weighted by similarity^alpha, searched
again) and with mean-centred embeddings. Emoji ids are code points in hex joined by '-'.
"""
import collections
import sys

import numpy as np

from eval_dump import SKIN, family, load

def kind(emoji_id):
    parts = emoji_id.split("-")
    try:
        cps = [int(p, 16) for p in parts]
    except ValueError:
        return "other"
    if len(cps) >= 2 and all(0x1F1E6 <= c <= 0x1F1FF for c in cps[:2]) or cps[0] == 0x1F3F4 and len(cps) > 2:
        return "flag"
    if any(p in SKIN for p in parts):
        return "skin-tone variant"
    if "20e3" in parts:
        return "keycap"
    if "200d" in parts:
        return "other ZWJ sequence"
    return "single code point"


# man / woman / person, boy / girl / child, old man / old woman / older person.
PEOPLE = {"1f468", "1f469", "1f9d1", "1f466", "1f467", "1f9d2", "1f474", "1f475", "1f9d3"}


def person_family(emoji_id):
    """The id without skin tones, gender signs and which person (man, woman, person...)."""
    parts = [p for p in emoji_id.split("-") if p not in SKIN and p not in ("2640", "2642", "fe0f", "200d")]
    return "-".join("person" if p in PEOPLE else p for p in parts)


def tones(emoji_id):
    return [p for p in emoji_id.split("-") if p in SKIN]


def glyph(emoji_id):
    try:
        return "".join(chr(int(p, 16)) for p in emoji_id.split("-"))
    except ValueError:
        return emoji_id


def main(folder):
    gallery, gallery_ids, _ = load(folder, "gallery")
    queries, query_ids, _ = load(folder, "image_queries")
    gallery_ids = np.array(gallery_ids)
    query_ids = np.array(query_ids)
    sims = queries @ gallery.T

    relevant = gallery_ids[None, :] == query_ids[:, None]

    def ranks(s, rel=relevant):
        # As `qiss eval`: 1 + the gallery rows scored above the best relevant one (ties count
        # for the query).
        best = np.where(rel, s, -np.inf).max(1)
        return (s > best[:, None]).sum(1) + 1

    def recall(s):
        r = ranks(s)
        return (r == 1).mean(), (r <= 10).mean()

    best = gallery_ids[sims.argmax(1)]
    print(f"{len(query_ids)} queries, {len(gallery_ids)} gallery images\n")
    print("| kind of emoji | queries | R@1 | share of all errors |\n|---|---|---|---|")
    kinds = np.array([kind(i) for i in query_ids])
    errors = ranks(sims) > 1
    for k in sorted(set(kinds), key=lambda k: -np.sum(kinds == k)):
        m = kinds == k
        print(f"| {k} | {m.sum()} | {(~errors[m]).mean():.3f} | {errors[m].sum() / errors.sum():.0%} |")
    same_family = sum(family(a) == family(b) for a, b in zip(query_ids[errors], best[errors]))
    print(f"\nErrors whose first result is another skin tone of the same emoji: {same_family} of "
          f"{errors.sum()}.")
    toned = [(a, b) for a, b in zip(query_ids[errors], best[errors])
             if kind(a) == "skin-tone variant" and family(a) != family(b)]
    same_tone = sum(tones(a) == tones(b) for a, b in toned)
    print(f"Errors of skin-tone variants whose first result is another emoji: {len(toned)}, of "
          f"which {same_tone} in the same skin tone(s).\n")
    pairs = collections.Counter((family(a), family(b)) for a, b in zip(query_ids[errors], best[errors])
                                if family(a) != family(b))
    print("Most frequent confusions (skin tones merged): " + ", ".join(
        f"{glyph(a)}→{glyph(b)} {n}" for (a, b), n in pairs.most_common(12)) + "\n")

    def unit(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    print("| retrieval | R@1 | R@10 |\n|---|---|---|")
    r1, r10 = recall(sims)
    print(f"| plain (the engine's) | {r1:.3f} | {r10:.3f} |")
    for name, key in (("skin tones merged", family),
                      ("skin tones and man / woman / person (boy / girl / child, old) merged",
                       person_family)):
        g = np.array([key(i) for i in gallery_ids])
        q = np.array([key(i) for i in query_ids])
        r = ranks(sims, g[None, :] == q[:, None])
        print(f"| plain, {name} | {(r == 1).mean():.3f} | {(r <= 10).mean():.3f} |")
    order = np.argsort(-sims, axis=1)
    for k in (1, 3, 10):
        for alpha in (0, 3):
            idx = order[:, :k]
            w = np.take_along_axis(sims, idx, 1).clip(0) ** alpha
            expanded = unit(queries + (w[:, :, None] * gallery[idx]).sum(1))
            r1, r10 = recall(expanded @ gallery.T)
            print(f"| alpha query expansion, k = {k}, alpha = {alpha} | {r1:.3f} | {r10:.3f} |")
    centred = unit(queries - queries.mean(0)) @ unit(gallery - gallery.mean(0)).T
    r1, r10 = recall(centred)
    print(f"| queries and gallery each centred on their own mean | {r1:.3f} | {r10:.3f} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
