#!/usr/bin/env python3
"""Tables of the scale benchmark (docs/benchmarks.md, "Scale"): what bench/scale_search measured
on one collection, and the 100 M / 1 B projection from its per-vector costs.

    python3 bench/scale/project.py out/bench/scale.jsonl --build-log out/bench/scale/synth-N.log

Projection rules (written under the table): index RAM = measured bytes/vector without the coarse
centroids x N + the centroids of N's nlist; disk = measured store + index file bytes/vector x N;
adding vectors scales with N, training with nlist^2 (k-means on 40 vectors per list); codes
scanned per query = nprobe x N / nlist.
"""
import argparse
import json
import math
import re

HNSW_M = 32


def default_nlist(n):
    """src/index/index_factory.cpp: 4 sqrt(n) rounded to a power of two, at most 65,536."""
    target = 4 * math.sqrt(n)
    return 1 if target <= 1 else 1 << min(round(math.log2(target)), 16)


def centroid_bytes(nlist, dim):
    """The coarse quantizer: nlist float32 centroids plus their HNSW32 graph (level 0 links)."""
    return nlist * (4 * dim + 4 * 2 * HNSW_M + 16)


def build_figures(path):
    text = open(path, encoding="utf-8", errors="replace").read() if path else ""
    fig = {}
    m = re.search(r"added in ([\d.]+) s, index built and saved in ([\d.]+) s", text)
    if m:
        fig["store_s"], fig["index_s"] = float(m.group(1)), float(m.group(2))
    m = re.search(r"trained in ([\d.]+) s", text)
    if m:
        fig["train_s"] = float(m.group(1))
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        fig["peak_rss_gb"] = int(m.group(1)) / 1024 / 1024
    return fig


def gb(x):
    return f"{x / 1e9:,.1f} GB" if x < 1e12 else f"{x / 1e12:,.2f} TB"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", help="JSON lines written by bench/scale_search")
    ap.add_argument("--build-log", help="synth_collection's log (build time, peak RSS)")
    ap.add_argument("--dim", type=int, default=256)
    args = ap.parse_args()
    rows = [json.loads(line) for line in open(args.results) if line.startswith("{")]
    if not rows:
        raise SystemExit(f"{args.results}: no results")
    n, factory = rows[0]["size"], rows[0]["index"]
    m = re.match(r"IVF(\d+)", factory)
    nlist = int(m.group(1)) if m else None
    fig = build_figures(args.build_log)

    print(f"Collection: {n:,} vectors, `{factory}`, {rows[0]['queries']} queries, k = 10; "
          "search on one thread through `Collection::search` (re-ranking reads the stored "
          "vectors).\n")
    print("| nprobe | k_factor | recall@10 | p50 ms | p99 ms | CPU ms/query |")
    print("|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        print(f"| {r['nprobe']} | {r['k_factor']:g} | {r['recall10']:.3f} | {r['p50_ms']:.2f} | "
              f"{r['p99_ms']:.2f} | {r['cpu_mean_ms']:.2f} |")
    r = rows[0]
    cos = r.get("neighbour_cosine_by_rank")
    if cos:
        print()
        print("Mean cosine of a query with its exact neighbour of rank "
              + ", ".join(f"{k}: {v:.4f}" for k, v in cos.items()) + ".")
    print()
    print(f"Index RAM {r['index_heap_bytes_per_vector']:.1f} B/vector (heap growth while loading "
          f"it), index file {r['index_file_bytes_per_vector']:.1f} B/vector, store "
          f"{r['store_bytes_per_vector']:.0f} B/vector on disk; opened in {r['open_s']:.1f} s.")
    if fig:
        parts = []
        if "store_s" in fig:
            parts.append(f"store written in {fig['store_s']:.0f} s, index built in "
                         f"{fig['index_s']:.0f} s")
        if "train_s" in fig:
            parts.append(f"of which training {fig['train_s']:.0f} s")
        if "peak_rss_gb" in fig:
            parts.append(f"peak RSS {fig['peak_rss_gb']:.1f} GB")
        print("Build: " + ", ".join(parts) + ".")
    if not nlist:
        return

    per_vector = r["index_heap_bytes_per_vector"] - centroid_bytes(nlist, args.dim) / n
    disk_per_vector = r["store_bytes_per_vector"] + r["index_file_bytes_per_vector"]
    print()
    print("| images | nlist | index RAM | RAM B/vector | disk (store + index) | build "
          "| codes scanned/query at nprobe 64 |")
    print("|--:|--:|--:|--:|--:|--:|--:|")
    for size in (n, 100_000_000, 1_000_000_000):
        nl = nlist if size == n else default_nlist(size)
        ram = per_vector * size + centroid_bytes(nl, args.dim)
        build = "–"
        if "index_s" in fig:
            train = fig.get("train_s", 0.0)
            add = fig["index_s"] - train
            t = train * (nl / nlist) ** 2 + add * size / n
            build = f"{t / 3600:,.1f} h" + ("" if size == n else " (projected)")
        print(f"| {size:,} | {nl:,} | {gb(ram)} | {ram / size:.1f} | {gb(disk_per_vector * size)} "
              f"| {build} | {64 * size // nl:,} |")
    print()
    print(f"Projection: {per_vector:.1f} B/vector measured without the coarse centroids (PQ "
          "codes, ids in the lists, the sorted id list), plus nlist centroids with their HNSW "
          "graph; adding scales with N, training with nlist² (k-means on 40 vectors per list); "
          "disk from the measured store and index bytes per vector.")


if __name__ == "__main__":
    main()
