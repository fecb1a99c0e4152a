#!/usr/bin/python3
"""Compares two recipes, A and B, over one or more seeds (docs/model-experiments.md, "A longer joint
phase"): the mean of each score over the seeds, B - A, and for the natural-language set the
queries that only one of the two finds, with an exact McNemar test. A run is a pair
GOOGLE_JSON:RESULTS_JSONL (the output of `qiss eval --json` and the results.jsonl that
bench/model/nl_queries.sh keeps); give A's and B's runs in the same seed order.

  bench/model/compare_runs.py --a M1.google.json:nlM1/KEY/results.jsonl \\
                              --b S1.google.json:nlS1/KEY/results.jsonl [--a ... --b ...]
"""
import argparse
import json
import math
import sys


def load_run(spec):
    if ":" not in spec:
        sys.exit(f"compare_runs: {spec!r} is not GOOGLE_JSON:RESULTS_JSONL")
    scores_path, results_path = spec.split(":", 1)
    with open(scores_path, encoding="utf-8") as f:
        j = json.load(f)
    hits10, hits1 = {}, {}
    with open(results_path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            key = (r["lang"], r["query"])
            hits10[key] = r["rank"] is not None
            hits1[key] = r["rank"] == 1
    return {
        "en R@10": j["text_to_image"]["en"]["r10"],
        "mean R@10": j["text_to_image_mean"]["r10"],
        "image→image R@1": j["image_to_image"]["r1"],
        "image→image R@1, merged": j["image_to_image_skin_tones_merged"]["r1"],
        "NL top 10": sum(hits10.values()) / len(hits10),
        "NL top 1": sum(hits1.values()) / len(hits1),
        "_hits": hits10,
    }


def mcnemar_p(only_a, only_b):
    """Exact two-sided McNemar test: binomial(n, 1/2) on the discordant queries."""
    n, k = only_a + only_b, min(only_a, only_b)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", action="append", required=True, metavar="GOOGLE_JSON:RESULTS_JSONL")
    ap.add_argument("--b", action="append", required=True, metavar="GOOGLE_JSON:RESULTS_JSONL")
    args = ap.parse_args()
    if len(args.a) != len(args.b):
        sys.exit("compare_runs: give as many --a runs as --b runs (one per seed, same order)")
    a = [load_run(s) for s in args.a]
    b = [load_run(s) for s in args.b]
    for x, y in zip(a, b):
        if x["_hits"].keys() != y["_hits"].keys():
            sys.exit("compare_runs: the two runs of a seed answered different query sets")

    print(f"| over {len(a)} seed(s) | A | B | B − A |")
    print("|---|---|---|---|")
    for metric in (k for k in a[0] if not k.startswith("_")):
        ma = sum(r[metric] for r in a) / len(a)
        mb = sum(r[metric] for r in b) / len(b)
        pct = metric.startswith("NL")
        fmt = (lambda v: f"{v * 100:.1f} %") if pct else (lambda v: f"{v:.3f}")
        diff = f"{(mb - ma) * 100:+.1f} points" if pct else f"{mb - ma:+.3f}"
        print(f"| {metric} | {fmt(ma)} | {fmt(mb)} | {diff} |")

    print()
    total_a = total_b = 0
    for seed, (x, y) in enumerate(zip(a, b), 1):
        only_a = sum(x["_hits"][q] and not y["_hits"][q] for q in x["_hits"])
        only_b = sum(y["_hits"][q] and not x["_hits"][q] for q in x["_hits"])
        total_a, total_b = total_a + only_a, total_b + only_b
        print(f"NL top 10, run {seed}: found only by A {only_a}, only by B {only_b} "
              f"(McNemar p = {mcnemar_p(only_a, only_b):.2f})")
    if len(a) > 1:
        print(f"NL top 10, pooled: found only by A {total_a}, only by B {total_b} "
              f"(McNemar p = {mcnemar_p(total_a, total_b):.2f})")


if __name__ == "__main__":
    main()
