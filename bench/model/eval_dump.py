"""Reading the folder written by `qiss eval --dump DIR` (docs/format.md, "Evaluation dump"),
shared by the scripts of bench/model that analyse it. Emoji ids are code points in hex joined
by '-'."""
import os

import numpy as np

SKIN = {"1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"}  # the five skin-tone modifiers


def family(emoji_id):
    """The id without its skin-tone modifiers: one id per skin-tone family."""
    return "-".join(p for p in emoji_id.split("-") if p not in SKIN)


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
