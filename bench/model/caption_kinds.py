#!/usr/bin/python3
"""Text->image recall by kind of caption (docs/model-experiments.md, "Tone-free texts first").

The evaluation's text queries are every identity's CLDR caption in each locale. About half
are skin-tone variants ("firefighter: dark skin tone"), which the model finds almost always; the
names people type are the tone-free ones, and the shorter they are the worse they fare. This
splits R@1 and R@10 of each locale into tone variants and tone-free captions of one word, two
words and three or more (words are whitespace-separated, so a Japanese or Chinese caption is one
word).

Reads the folder written by `qiss eval --dump DIR` (docs/format.md, "Evaluation dump"), e.g.

  build/qiss eval --model M.qiss --corpus data/emoji --gallery-vendor google --locales en,fr,de \\
      --dump out/kinds
  bench/model/caption_kinds.py out/kinds [--locales en,fr,de]

and prints a Markdown table: per locale and kind, queries, R@1 and R@10, then the same over all
locales of the dump.
"""
import argparse
import collections
import glob
import os

from eval_dump import SKIN, load

KINDS = ["tone-free, 1 word", "tone-free, 2 words", "tone-free, 3+ words", "skin-tone variant"]


def kind(emoji_id, caption):
    if SKIN & set(emoji_id.split("-")):
        return KINDS[3]
    words = len(caption.split())
    return KINDS[min(words, 3) - 1] if words else KINDS[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dump", help="folder written by qiss eval --dump")
    ap.add_argument("--locales", help="comma-separated locales (default: every text_*.npy)")
    args = ap.parse_args()
    gallery, gallery_ids, _ = load(args.dump, "gallery")
    index = {emoji_id: i for i, emoji_id in enumerate(gallery_ids)}
    if args.locales:
        locales = args.locales.split(",")
    else:
        locales = sorted(os.path.basename(p)[5:-4] for p in glob.glob(os.path.join(args.dump, "text_*.npy")))
    print("| locale | kind | queries | R@1 | R@10 |")
    print("|---|---|---:|---:|---:|")
    total = collections.defaultdict(lambda: [0, 0, 0])
    for loc in locales:
        texts, ids, captions = load(args.dump, f"text_{loc}")
        per = collections.defaultdict(lambda: [0, 0, 0])
        scores = texts @ gallery.T
        for i, (emoji_id, caption) in enumerate(zip(ids, captions)):
            if emoji_id not in index:
                continue
            s = scores[i]
            rank = int((s > s[index[emoji_id]]).sum())
            for acc in (per[kind(emoji_id, caption)], total[kind(emoji_id, caption)]):
                acc[0] += 1
                acc[1] += rank < 1
                acc[2] += rank < 10
        for k in KINDS:
            n, r1, r10 = per[k]
            if n:
                print(f"| {loc} | {k} | {n} | {r1 / n:.3f} | {r10 / n:.3f} |")
    for k in KINDS:
        n, r1, r10 = total[k]
        if n:
            print(f"| **all** | {k} | {n} | {r1 / n:.3f} | {r10 / n:.3f} |")


if __name__ == "__main__":
    main()
