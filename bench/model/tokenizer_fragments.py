#!/usr/bin/python3
"""How a model's tokenizer cuts the names, and what that costs (docs/model-experiments.md, "Names
the tokenizer cuts into pieces").

A model file holds its SentencePiece tokenizer (docs/format.md). This takes it out and runs
Debian's `spm_encode` (package sentencepiece, `scripts/install-deps.sh --bench`) over the
tone-free captions of the corpus, the names people type ("lion", "tête de lion").

  bench/model/tokenizer_fragments.py pieces --manifest data/emoji/manifest.jsonl M1.qiss [M2.qiss]
      per locale and model: pieces per word, and the share of one-word names that are one piece
      (a model may also be a SentencePiece `.model` file, e.g. one `spm_train` wrote)
  bench/model/tokenizer_fragments.py recall --model M.qiss DUMP
      text->image R@1 / R@10 of the tone-free captions of a `qiss eval --dump DUMP`, by number
      of words and by pieces per word (whole words, at most 2, more than 2)

Words are whitespace-separated, so a Japanese or Chinese caption is one word.
"""
import argparse
import collections
import glob
import json
import os
import struct
import subprocess
import tempfile

from eval_dump import SKIN, load

LOCALES = "en,fr,de,es,it,pt,nl,pl,sv,tr,ru,ar,ja,zh"


def tokenizer_of(model_file, folder):
    """Writes the SentencePiece model of a qiss model file into `folder`; returns its path (a
    SentencePiece `.model` file, e.g. from `spm_train`, is returned as it is)."""
    with open(model_file, "rb") as f:
        data = f.read()
    if model_file.endswith(".model") and data[:8] != b"QISSMODL":
        return model_file
    assert data[:8] == b"QISSMODL", f"{model_file}: not a qiss model file"
    offset = 16
    (header,) = struct.unpack_from("<Q", data, offset)
    offset += 8 + header
    (size,) = struct.unpack_from("<Q", data, offset)
    path = os.path.join(folder, os.path.basename(model_file) + ".spm")
    with open(path, "wb") as f:
        f.write(data[offset + 8 : offset + 8 + size])
    return path


def pieces(spm, texts):
    """The pieces of each text."""
    out = subprocess.run(
        ["spm_encode", "--model", spm, "--output_format=piece"],
        input="".join(t.replace("\n", " ") + "\n" for t in texts),
        capture_output=True, text=True, check=True).stdout.split("\n")
    return [line.split() for line in out[: len(texts)]]


def tone_free(emoji_id):
    return not SKIN & set(emoji_id.split("-"))


def cmd_pieces(args):
    names = collections.defaultdict(list)
    with open(args.manifest, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            if "identity" in entry and tone_free(entry["identity"]):
                for loc, captions in entry.get("captions", {}).items():
                    if captions:
                        names[loc].append(captions[0])
    locales = args.locales.split(",")
    print("| model | " + " | ".join(locales) + " |")
    print("|---|" + "---|" * len(locales))
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            spm = tokenizer_of(model, tmp)
            cells = []
            for loc in locales:
                texts = names[loc]
                cut = pieces(spm, texts)
                words = sum(len(t.split()) for t in texts)
                one = [p for t, p in zip(texts, cut) if len(t.split()) == 1]
                whole = sum(len(p) == 1 for p in one)
                cells.append(f"{sum(map(len, cut)) / words:.2f} / {whole / len(one):.2f}")
            print(f"| {os.path.basename(model)} | " + " | ".join(cells) + " |")
    print("\n(pieces per word / share of one-word names that are one piece)")


def cmd_recall(args):
    gallery, gallery_ids, _ = load(args.dump, "gallery")
    index = {emoji_id: i for i, emoji_id in enumerate(gallery_ids)}
    files = sorted(glob.glob(os.path.join(args.dump, "text_*.npy")))
    total = collections.defaultdict(lambda: [0, 0, 0])
    with tempfile.TemporaryDirectory() as tmp:
        spm = tokenizer_of(args.model, tmp)
        for path in files:
            texts, ids, captions = load(args.dump, os.path.basename(path)[:-4])
            scores = texts @ gallery.T
            cut = pieces(spm, captions)
            for i, (emoji_id, caption) in enumerate(zip(ids, captions)):
                if emoji_id not in index or not tone_free(emoji_id):
                    continue
                words = max(1, len(caption.split()))
                per_word = len(cut[i]) / words
                frag = "whole words" if per_word <= 1 else ("≤ 2 pieces per word" if per_word <= 2
                                                            else "> 2 pieces per word")
                rank = int((scores[i] > scores[i][index[emoji_id]]).sum())
                acc = total[("1 word" if words == 1 else "2+ words", frag)]
                acc[0] += 1
                acc[1] += rank < 1
                acc[2] += rank < 10
    print("| tone-free captions | pieces | queries | R@1 | R@10 |")
    print("|---|---|---:|---:|---:|")
    order = ["whole words", "≤ 2 pieces per word", "> 2 pieces per word"]
    for (words, frag), (n, r1, r10) in sorted(total.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1]))):
        print(f"| {words} | {frag} | {n} | {r1 / n:.3f} | {r10 / n:.3f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pieces", help="pieces per word and whole one-word names, per locale")
    p.add_argument("--manifest", required=True)
    p.add_argument("--locales", default=LOCALES)
    p.add_argument("models", nargs="+")
    r = sub.add_parser("recall", help="text->image recall by pieces per word")
    r.add_argument("--model", required=True)
    r.add_argument("dump")
    args = ap.parse_args()
    (cmd_pieces if args.command == "pieces" else cmd_recall)(args)


if __name__ == "__main__":
    main()
