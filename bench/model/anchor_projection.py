#!/usr/bin/python3
"""Identity anchors for image embeddings: does pulling each image embedding towards the
identity proxies it resembles find its emoji in an unseen drawing style more often?
(docs/model-experiments.md, "Identity anchors for image embeddings").

The joint phase learns one unit vector per training identity (the proxies, kept in the training
checkpoint's optimizer archive; the text phase freezes them and trains every text towards
them). An image embedding e becomes

    v = normalize(e + beta * normalize(softmax(e A^T / tau) A))

with A the proxies: the image's own embedding plus the attention-weighted mean of the proxies
nearest to it. Images are compared (image->image) and searched by text (text->image) with v;
text embeddings are unchanged.

  build/qiss train ... --exclude-vendors google     # keep its checkpoint's optim-N.pt
  build/qiss eval --model M.qiss --corpus CORPUS --gallery-vendor google --locales en,fr,de \\
      --dump DUMP
  bench/model/anchor_projection.py DUMP CKPT/optim-N.pt [--tau 0.02,0.03,0.05] [--beta 0.5,1]

prints a Markdown table: image->image R@1 / R@10 (exact and skin tones merged) and text->image
R@1 / R@10 of each locale of the dump, as they are and for each (tau, beta).
`--text-anchors en,fr` uses the mean embedding of each identity's captions in those locales of
the dump as anchors instead (their own locales are then left out of the text columns). Needs
/usr/bin/python3 with python3-numpy and python3-torch (to read the checkpoint).
"""
import argparse
import collections
import glob
import os

import numpy as np

from eval_dump import family, load


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def softmax(x, tau):
    x = x / tau
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def project(x, anchors, tau, beta):
    return unit(x + beta * unit(softmax(x @ anchors.T, tau) @ anchors))


def recall(scores, query_ids, gallery_ids):
    top = np.argsort(-scores, axis=1)[:, :10]
    hits = gallery_ids[top] == query_ids[:, None]
    return hits[:, 0].mean(), hits.any(axis=1).mean()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dump", help="folder written by qiss eval --dump")
    ap.add_argument("checkpoint", nargs="?", help="a training checkpoint's optim-N.pt (proxies)")
    ap.add_argument("--tau", default="0.02,0.03,0.05")
    ap.add_argument("--beta", default="0.5,1")
    ap.add_argument("--text-anchors", help="locales of the dump whose captions are the anchors")
    a = ap.parse_args()

    queries, query_ids, _ = load(a.dump, "image_queries")
    gallery, gallery_ids, _ = load(a.dump, "gallery")
    query_ids, gallery_ids = np.array(query_ids), np.array(gallery_ids)
    locales = sorted(os.path.basename(p)[5:-4] for p in glob.glob(f"{a.dump}/text_*.npy"))
    texts = {loc: load(a.dump, f"text_{loc}") for loc in locales}

    if a.text_anchors:
        chosen = a.text_anchors.split(",")
        by_id = collections.defaultdict(list)
        for loc in chosen:
            vectors, ids, _ = texts[loc]
            for v, i in zip(vectors, ids):
                by_id[i].append(v)
        anchors = unit(np.array([np.mean(by_id[i], axis=0) for i in sorted(by_id)]))
        locales = [loc for loc in locales if loc not in chosen]
        what = f"caption means of {a.text_anchors}"
    else:
        if not a.checkpoint:
            ap.error("give a checkpoint's optim-N.pt or --text-anchors")
        import torch

        anchors = unit(torch.jit.load(a.checkpoint).proxies.detach().numpy())
        what = "identity proxies"
    merged_q = np.array([family(i) for i in query_ids])
    merged_g = np.array([family(i) for i in gallery_ids])

    print(f"{len(anchors)} anchors ({what}); {len(queries)} image queries, "
          f"gallery {len(gallery)}\n")
    head = ["image embedding", "image→image R@1 / R@10", "tones merged R@1"]
    head += [f"{loc} text→image R@1 / R@10" for loc in locales]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))

    def row(name, q, g):
        s = q @ g.T
        r1, r10 = recall(s, query_ids, gallery_ids)
        m1, _ = recall(s, merged_q, merged_g)
        cells = [name, f"{r1:.3f} / {r10:.3f}", f"{m1:.3f}"]
        for loc in locales:
            vectors, ids, _ = texts[loc]
            t1, t10 = recall(vectors @ g.T, np.array(ids), gallery_ids)
            cells.append(f"{t1:.3f} / {t10:.3f}")
        print("| " + " | ".join(cells) + " |")

    row("as it is", queries, gallery)
    for tau in map(float, a.tau.split(",")):
        for beta in map(float, a.beta.split(",")):
            row(f"tau {tau:g}, beta {beta:g}", project(queries, anchors, tau, beta),
                project(gallery, anchors, tau, beta))


if __name__ == "__main__":
    main()
