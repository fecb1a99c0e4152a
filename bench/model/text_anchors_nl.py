#!/usr/bin/python3
"""Identity anchors for text queries too? Scores the natural-language set (queries.tsv) on an
evaluation dump's gallery with each query's text embedding as it is, and pulled towards the
identity proxies it resembles (the projection that identity anchors apply to images):

    t' = normalize(t + beta * normalize(softmax(t A^T / tau) A))

  build/qiss eval --model M.qiss --corpus CORPUS --gallery-vendor google --locales en --dump DUMP
  bench/model/text_anchors_nl.py M.qiss DUMP CKPT/optim-N.pt [--tau 0.02,0.05] [--beta 0.5,1]

The query embeddings come from `qiss embed --text` (QISS, default build/qiss), cached in
DUMP/nl_queries.npy. A query hits when an accepted emoji (skin tones merged) is among the top
10 gallery images. Prints a Markdown table of top-1 and top-10 hits, as it is and for each
(tau, beta). Needs /usr/bin/python3 with python3-numpy and python3-torch (to read the
checkpoint).
"""
import argparse
import json
import os
import subprocess

import numpy as np
import torch

from eval_dump import family, load
from nl_set import read_queries

HERE = os.path.dirname(os.path.abspath(__file__))


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def project(x, anchors, tau, beta):
    s = x @ anchors.T / tau
    s = np.exp(s - s.max(axis=1, keepdims=True))
    att = s / s.sum(axis=1, keepdims=True)
    return unit(x + beta * unit(att @ anchors))


def embed(model, texts, cache):
    if os.path.exists(cache):
        x = np.load(cache)
        if len(x) == len(texts):
            return x
    qiss = os.environ.get("QISS", "build/qiss")
    out = []
    for t in texts:
        r = subprocess.run([qiss, "embed", "--model", model, "--text", t], check=True,
                           capture_output=True, text=True)
        out.append(json.loads(r.stdout))
    x = unit(np.array(out, dtype=np.float32))
    np.save(cache, x)
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("dump")
    ap.add_argument("checkpoint", help="the run's optim-N.pt (its proxies)")
    ap.add_argument("--queries", default=os.path.join(HERE, "queries.tsv"))
    ap.add_argument("--tau", default="0.02,0.05")
    ap.add_argument("--beta", default="0.5,1")
    a = ap.parse_args()

    gallery, gallery_ids, _ = load(a.dump, "gallery")
    gallery_fam = np.array([family(i) for i in gallery_ids])
    rows = read_queries(a.queries)
    q = embed(a.model, [r[1] for r in rows], os.path.join(a.dump, "nl_queries.npy"))
    anchors = unit(torch.jit.load(a.checkpoint).proxies.detach().numpy())

    def score(x):
        top = np.argsort(-(x @ gallery.T), axis=1)[:, :10]
        h1 = h10 = 0
        for (_, _, accepted, _), t in zip(rows, top):
            fams = gallery_fam[t]
            h1 += fams[0] in accepted
            h10 += any(f in accepted for f in fams)
        return h1, h10

    n = len(rows)
    print(f"{n} queries, gallery {len(gallery_ids)} images ({a.dump})\n")
    print("| text query | top 1 | top 10 |")
    print("|---|---:|---:|")
    h1, h10 = score(q)
    print(f"| as it is | {h1} ({h1 / n:.1%}) | {h10} ({h10 / n:.1%}) |")
    for tau in (float(v) for v in a.tau.split(",")):
        for beta in (float(v) for v in a.beta.split(",")):
            h1, h10 = score(project(q, anchors, tau, beta))
            print(f"| pulled, tau {tau}, beta {beta} | {h1} ({h1 / n:.1%}) | {h10} ({h10 / n:.1%}) |")


if __name__ == "__main__":
    main()
