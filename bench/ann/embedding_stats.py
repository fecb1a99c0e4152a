#!/usr/bin/env python3
"""Geometry of a set of unit vectors, to compare the ANN benchmark's synthetic data with real
embeddings (docs/benchmarks.md, "ANN quality vs speed").

FILE is a qiss index file with a Flat index (e.g. a collection's DATADIR/index.qiss-index, whose
vectors are the model's image embeddings) or an .fvecs file (e.g. the base.fvecs bench_ann
writes). For 1,000 vectors drawn at random (seed 0), prints the mean cosine with their 1st, 10th
and 100th nearest other vector and with all vectors (mean and sd), and how many principal
components hold 50/80/90/95 % of the variance.

    /usr/bin/python3 bench/ann/embedding_stats.py data/demo/index.qiss-index
"""
import argparse
import os
import sys

import faiss
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
from ann_peers import load_qiss_index, read_vecs  # noqa: E402


def load(path):
    if path.endswith(".fvecs"):
        return read_vecs(path, np.float32)
    id_map, index = load_qiss_index(path)
    if not isinstance(index, faiss.IndexFlat):
        sys.exit(f"{path}: not a Flat index ({type(index).__name__})")
    return faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(-1, index.d).copy()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", help="a qiss index file (Flat) or an .fvecs file")
    args = parser.parse_args()
    x = load(args.file)
    rng = np.random.default_rng(0)
    sample = rng.choice(len(x), min(1000, len(x)), replace=False)
    sims = x[sample] @ x.T
    sims[np.arange(len(sample)), sample] = -np.inf
    ranked = -np.sort(-sims, axis=1)
    others = sims[np.isfinite(sims)]
    centred = x - x.mean(axis=0)
    var = np.linalg.svd(centred, compute_uv=False) ** 2
    cum = np.cumsum(var) / var.sum()
    pcs = [int(np.searchsorted(cum, t)) + 1 for t in (0.5, 0.8, 0.9, 0.95)]
    print(f"{args.file}: {len(x):,} vectors of dimension {x.shape[1]}")
    print(f"cosine with nearest: 1st {ranked[:, 0].mean():.3f}, 10th {ranked[:, 9].mean():.3f}, "
          f"100th {ranked[:, 99].mean():.3f}; with all: {others.mean():.3f} "
          f"(sd {others.std():.3f})")
    print(f"principal components for 50/80/90/95 % of the variance: {pcs}")


if __name__ == "__main__":
    main()
