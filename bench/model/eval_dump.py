"""Reading the folder written by `qiss eval --dump DIR` (docs/format.md, "Evaluation dump"),
shared by the scripts of bench/model that analyse it. Emoji ids are code points in hex joined
by '-'."""
import os

import numpy as np

from emoji_ids import SKIN, family  # noqa: F401 (the scripts import them from here too)


def load(folder, name):
    """NAME.npy's vectors, and for each row of NAME.tsv its emoji id and the rest of the line
    (a text query's caption; empty for images)."""
    vectors = np.load(os.path.join(folder, f"{name}.npy"))
    ids, texts = [], []
    with open(os.path.join(folder, f"{name}.tsv"), encoding="utf-8") as f:
        for line in f:
            emoji_id, _, rest = line.rstrip("\n").partition("\t")
            ids.append(emoji_id)
            texts.append(rest)
    assert len(ids) == len(vectors), name
    return vectors, ids, texts
