#!/usr/bin/python3
"""Writes the tokenizer's "distinct" text sample of a corpus (every distinct caption of each
locale 4 times, then its keywords that are not captions, shuffled with seed 1, at most 3,000,000
texts: what `qiss train --set tokenizer_sampling=distinct` draws, over every identity of the
manifest) to a file, one text per line, so that tokenizers can be compared without training a
model (docs/model-experiments.md, "A larger vocabulary in float16"):

  bench/model/tokenizer_sample.py build/test-data/emoji/manifest.jsonl distinct.txt
  spm_train --input=distinct.txt --model_prefix=d128 --model_type=unigram --vocab_size=128000 \\
      --character_coverage=1.0 --normalization_rule_name=nfkc_cf --pad_id=0 --unk_id=1 \\
      --bos_id=-1 --eos_id=-1 --hard_vocab_limit=false --shuffle_input_sentence=false \\
      --input_sentence_size=0 --max_sentence_length=2048 --num_threads=1 --byte_fallback=true
  bench/model/tokenizer_fragments.py pieces --manifest build/test-data/emoji/manifest.jsonl d128.model
"""
import collections
import json
import random
import sys

COPIES, MAX_TEXTS = 4, 3000000


def main(manifest, out):
    captions, keywords = collections.defaultdict(set), collections.defaultdict(set)
    with open(manifest, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            if "identity" not in entry:
                continue
            for loc, texts in entry.get("captions", {}).items():
                captions[loc].update(texts)
            for loc, texts in entry.get("keywords", {}).items():
                keywords[loc].update(texts)
    texts = []
    for loc in sorted(captions.keys() | keywords.keys()):
        for c in sorted(captions[loc]):
            texts += [c] * COPIES
        texts += [k for k in sorted(keywords[loc]) if k not in captions[loc]]
    random.seed(1)
    random.shuffle(texts)
    texts = texts[:MAX_TEXTS]
    with open(out, "w", encoding="utf-8") as f:
        f.writelines(t.replace("\n", " ") + "\n" for t in texts)
    print(f"{len(texts)} texts", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
