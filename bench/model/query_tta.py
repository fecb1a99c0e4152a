#!/usr/bin/python3
"""Test-time augmentation of image queries: does averaging a query's embedding over rescaled
(or mirrored) copies of it find its emoji in an unseen drawing style more often?
(docs/model-experiments.md, "Test-time augmentation of image queries").

  bench/model/query_tta.py make CORPUS OUT [VENDOR]
      writes, for each variant (s085, s115, s070: the image scaled to 85/115/70 % and centred
      on 64x64; flip: mirrored), OUT/VARIANT/img/*.png and a corpus OUT/VARIANT whose manifest
      points VENDOR's (default apple) images at them; then, for each variant,
        build/qiss eval --model M --corpus OUT/VARIANT --gallery-vendor google --locales en \\
            --dump OUT/VARIANT/dump
  bench/model/query_tta.py score BASE_DUMP OUT
      image->image R@1 / R@10 of each variant alone and of the mean of the base query's
      embedding with the variants' (BASE_DUMP: the same eval on CORPUS itself).
"""
import itertools
import json
import os
import sys

import numpy as np

from eval_dump import load

VARIANTS = {"s085": 0.85, "s115": 1.15, "s070": 0.70, "flip": None}


def make(corpus, out, vendor):
    from PIL import Image

    lines = open(os.path.join(corpus, "manifest.jsonl"), encoding="utf-8").read().splitlines()
    for name, scale in VARIANTS.items():
        folder = os.path.join(out, name)
        os.makedirs(os.path.join(folder, "img"), exist_ok=True)
        with open(os.path.join(folder, "manifest.jsonl"), "w", encoding="utf-8") as manifest:
            for line in lines:
                entry = json.loads(line)
                if entry.get("vendor") == vendor:
                    image = Image.open(entry["path"]).convert("RGBA")
                    if scale is None:
                        variant = image.transpose(Image.FLIP_LEFT_RIGHT)
                    else:
                        side = round(image.width * scale)
                        scaled = image.resize((side, side), Image.LANCZOS)
                        offset = (image.width - side) // 2
                        if offset >= 0:
                            variant = Image.new("RGBA", image.size, (0, 0, 0, 0))
                            variant.paste(scaled, (offset, offset))
                        else:
                            variant = scaled.crop((-offset, -offset, -offset + image.width,
                                                   -offset + image.height))
                    path = os.path.abspath(os.path.join(folder, "img", entry["id"] + ".png"))
                    variant.save(path)
                    entry["path"] = path
                    line = json.dumps(entry)
                manifest.write(line + "\n")
        for extra in ("fillers.tsv", "cache"):  # relative paths of the corpus resolve here
            link = os.path.join(folder, extra)
            if not os.path.lexists(link) and os.path.exists(os.path.join(corpus, extra)):
                os.symlink(os.path.abspath(os.path.join(corpus, extra)), link)


def score(base, out):
    gallery, gallery_ids, _ = load(base, "gallery")
    queries = {"base": load(base, "image_queries")}
    for name in VARIANTS:
        queries[name] = load(os.path.join(out, name, "dump"), "image_queries")
    ids = queries["base"][1]
    for name, (_, variant_ids, _) in queries.items():
        assert variant_ids == ids, name
    row = {emoji_id: i for i, emoji_id in enumerate(gallery_ids)}
    target = np.array([row[emoji_id] for emoji_id in ids])

    def recall(q, k):
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        s = q @ gallery.T
        right = s[np.arange(len(q)), target]
        return float(((s > right[:, None]).sum(1) < k).mean())  # ties count for the query

    print("| image queries | R@1 | R@10 |\n|---|---:|---:|")
    for name, (q, _, _) in queries.items():
        print(f"| {name} alone | {recall(q, 1):.3f} | {recall(q, 10):.3f} |")
    for n in range(1, len(VARIANTS) + 1):
        for combo in itertools.combinations(VARIANTS, n):
            q = queries["base"][0] + sum(queries[name][0] for name in combo)
            print(f"| mean of base, {', '.join(combo)} | {recall(q, 1):.3f} | {recall(q, 10):.3f} |")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "apple")
    elif len(sys.argv) == 4 and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
