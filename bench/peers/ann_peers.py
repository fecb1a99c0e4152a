#!/usr/bin/env python3
"""The peers of the ANN benchmark (docs/benchmarks.md, "ANN quality vs speed").

Reads what bench_ann wrote in DIR (meta.json with the configurations, base.fvecs, query.fvecs,
gt.ivecs) and runs the same configurations with Debian's python3-faiss (faiss.index_factory
with METRIC_INNER_PRODUCT, efConstruction as ours, the same training vectors, the same
efSearch / nprobe / k_factor; and, when bench_ann kept its index files, also the very index
bench_ann searched) and, for the HNSW configurations, python3-hnswlib (space 'ip',
M equal to FAISS's HNSW M: both keep 2·M links per node on level 0 and M above, and draw levels
with the same 1/ln(M) multiplier). Searches run on one thread, one query per call.
Writes DIR/peers.json.

    /usr/bin/python3 bench/peers/ann_peers.py out/bench/ann
"""
import argparse
import ctypes
import json
import math
import os
import struct
import tempfile
import time

import faiss
import hnswlib
import numpy as np


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    dim = int(raw[0])
    rows = raw.reshape(-1, dim + 1)[:, 1:]
    return np.ascontiguousarray(rows).view(dtype)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


_libc = ctypes.CDLL("libc.so.6")
_libc.mallinfo2.restype = _MallInfo2


def heap_bytes():
    """Heap in use (glibc mallinfo2), as bench/ann/ann_measure.cpp measures it."""
    info = _libc.mallinfo2()
    return info.uordblks + info.hblkhd


def quantile(sorted_ms, q):
    """Nearest rank, as bench/ann/ann_measure.cpp computes it."""
    return sorted_ms[min(max(math.ceil(q * len(sorted_ms)), 1), len(sorted_ms)) - 1]


def summarize(wall_ms, cpu_ms, recall):
    wall, cpu = sorted(wall_ms), sorted(cpu_ms)
    return {"recall": recall, "mean_ms": sum(wall) / len(wall), "p50_ms": quantile(wall, 0.5),
            "p99_ms": quantile(wall, 0.99), "cpu_mean_ms": sum(cpu) / len(cpu),
            "cpu_p50_ms": quantile(cpu, 0.5)}


def recall_at_k(found, gt):
    k = gt.shape[1]
    hits = sum(len(set(f.tolist()) & set(g.tolist())) for f, g in zip(found, gt))
    return hits / (len(gt) * k)


def time_queries(search_one, xq, gt, warmup):
    """One call per query, after `warmup` untimed calls: wall-clock and thread CPU times (ms)
    and recall."""
    rows = [xq[i:i + 1] for i in range(len(xq))]
    for q in rows[:warmup]:
        search_one(q)
    found = np.full(gt.shape, -1, dtype=np.int64)
    wall, cpu = [], []
    for i, q in enumerate(rows):
        c0 = time.thread_time_ns()
        t0 = time.perf_counter_ns()
        ids = search_one(q)
        wall.append((time.perf_counter_ns() - t0) / 1e6)
        cpu.append((time.thread_time_ns() - c0) / 1e6)
        found[i, :ids.shape[1]] = ids[0]
    return summarize(wall, cpu, recall_at_k(found, gt))


def set_faiss_knobs(index, params):
    """efSearch on HNSW, nprobe on IVF (below the refine wrapper), k_factor on IndexRefine."""
    index = faiss.downcast_index(index)
    if "k_factor" in params:
        index.k_factor = params["k_factor"]
    if isinstance(index, faiss.IndexRefine):
        index = faiss.downcast_index(index.base_index)
    if "efSearch" in params:
        index.hnsw.efSearch = params["efSearch"]
    if "nprobe" in params:
        index.nprobe = params["nprobe"]


def load_qiss_index(path):
    """The FAISS index of a qiss index file (docs/format.md, "Index file": an IndexIDMap2, or an
    IVF index holding the ids itself) and the factory's index (inside the map, or itself)."""
    data = np.fromfile(path, dtype=np.uint8)
    head = data[:1 << 16].tobytes()
    pos = 8 + 4 + 4 + 8 + 4
    pos += 4 + struct.unpack_from("<I", head, pos)[0]
    pos += 8 + 8 * struct.unpack_from("<Q", head, pos)[0]
    length = struct.unpack_from("<Q", head, pos)[0]
    owner = faiss.deserialize_index(data[pos + 8:pos + 8 + length])  # keep: it owns everything
    top = faiss.downcast_index(owner)
    if isinstance(top, faiss.IndexIDMap2):
        return owner, faiss.downcast_index(top.index)
    return owner, top


def same_index_runs(cfg, meta, xq, gt, folder):
    """The index bench_ann built and searched, searched through python3-faiss."""
    id_map, index = load_qiss_index(os.path.join(folder, cfg["index_file"]))
    runs = []
    for params in cfg["runs"]:
        set_faiss_knobs(index, params)
        runs.append(time_queries(lambda q: index.search(q, meta["k"])[1], xq, gt,
                                 meta["warmup"]))
    return runs


def build_result(cfg, train_s, add_s, cpu_s, nbytes, heap_delta, n, runs):
    return {"factory": cfg["factory"], "train_n": cfg["train_n"], "train_s": train_s,
            "add_s": add_s, "build_s": train_s + add_s, "build_cpu_s": cpu_s,
            "file_bytes": nbytes,
            "bytes_per_vector": nbytes / n, "heap_bytes_per_vector": max(heap_delta, 0) / n,
            "runs": runs}


# Above this size python3-faiss does not build its own HNSW graph (about half an hour of CPU at
# 1M on the reference machine): the search comparison runs on bench_ann's graph ("same index"),
# which is FAISS's own structure, built by the same code.
OWN_HNSW_BUILD_MAX = 500_000


def same_index_only(cfg, meta, xq, gt, folder, n):
    """The faiss-py entry of a configuration searched only on bench_ann's index."""
    runs = [{"params": p, "recall": None, "cpu_mean_ms": None, "same_index": same}
            for p, same in zip(cfg["runs"], same_index_runs(cfg, meta, xq, gt, folder))]
    for r in runs:
        print(f"  {json.dumps(r['params'])} on bench_ann's index: recall "
              f"{r['same_index']['recall']:.4f}, {r['same_index']['cpu_mean_ms']:.3f} ms/query CPU",
              flush=True)
    result = build_result(cfg, 0.0, 0.0, None, 0, 0, n, runs)
    for f in ("train_s", "add_s", "build_s", "build_cpu_s", "bytes_per_vector",
              "heap_bytes_per_vector"):
        result[f] = None
    return result


def run_faiss(cfg, meta, xb, xq, gt, folder):
    n, k = len(xb), meta["k"]
    if cfg["factory"].startswith("HNSW") and n > OWN_HNSW_BUILD_MAX and cfg.get("index_file"):
        print(f"{cfg['factory']}: no own build above {OWN_HNSW_BUILD_MAX:,} vectors", flush=True)
        return same_index_only(cfg, meta, xq, gt, folder, n)
    faiss.omp_set_num_threads(meta["build_threads"])
    heap0 = heap_bytes()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    index = faiss.index_factory(meta["dim"], cfg["factory"], faiss.METRIC_INNER_PRODUCT)
    if isinstance(faiss.downcast_index(index), faiss.IndexHNSW):
        faiss.downcast_index(index).hnsw.efConstruction = meta["ef_construction"]
    if cfg["train_n"]:
        index.train(xb[:cfg["train_n"]])
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.add(xb)
    add_s = time.perf_counter() - t0
    cpu_s = time.process_time() - cpu0
    heap_delta = heap_bytes() - heap0
    nbytes = faiss.serialize_index(index).nbytes
    print(f"{cfg['factory']}: built in {train_s + add_s:.1f} s, {nbytes / n:.1f} bytes/vector",
          flush=True)

    faiss.omp_set_num_threads(1)
    runs = []
    for params in cfg["runs"]:
        set_faiss_knobs(index, params)
        r = time_queries(lambda q: index.search(q, k)[1], xq, gt, meta["warmup"])
        print(f"  {json.dumps(params)} recall {r['recall']:.4f}, {r['cpu_mean_ms']:.3f} ms/query "
              "CPU", flush=True)
        runs.append({"params": params, **r})
    index = None  # freed before bench_ann's index is loaded
    if cfg.get("index_file"):
        for run, same in zip(runs, same_index_runs(cfg, meta, xq, gt, folder)):
            run["same_index"] = same
            print(f"  {json.dumps(run['params'])} on bench_ann's index: recall "
                  f"{same['recall']:.4f}, {same['cpu_mean_ms']:.3f} ms/query CPU", flush=True)
    return build_result(cfg, train_s, add_s, cpu_s, nbytes, heap_delta, n, runs)


def run_hnswlib(cfg, meta, xb, xq, gt):
    n, k = len(xb), meta["k"]
    m = int(cfg["factory"][len("HNSW"):])
    heap0 = heap_bytes()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=meta["dim"])
    index.init_index(max_elements=n, M=m, ef_construction=meta["ef_construction"])
    index.set_num_threads(meta["build_threads"])
    index.add_items(xb, np.arange(n))
    add_s = time.perf_counter() - t0
    cpu_s = time.process_time() - cpu0
    heap_delta = heap_bytes() - heap0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "hnswlib.bin")
        index.save_index(path)
        nbytes = os.path.getsize(path)
    print(f"hnswlib M={m}: built in {add_s:.1f} s, {nbytes / n:.1f} bytes/vector", flush=True)

    index.set_num_threads(1)
    runs = []
    for params in cfg["runs"]:
        index.set_ef(params["efSearch"])
        r = time_queries(lambda q: index.knn_query(q, k=k)[0], xq, gt, meta["warmup"])
        print(f"  hnswlib {json.dumps(params)} recall {r['recall']:.4f}, "
              f"{r['cpu_mean_ms']:.3f} ms/query CPU", flush=True)
        runs.append({"params": params, **r})
    result = build_result(cfg, 0.0, add_s, cpu_s, nbytes, heap_delta, n, runs)
    result["M"] = m
    return result


def call_overhead_ms(dim, repeats=2000):
    """Mean CPU time of a search call on a one-vector index: the Python binding's own cost."""
    x = np.zeros((1, dim), dtype=np.float32)
    x[0, 0] = 1
    flat = faiss.IndexFlatIP(dim)
    flat.add(x)
    small = hnswlib.Index(space="ip", dim=dim)
    small.init_index(max_elements=1, M=16)
    small.add_items(x, [0])
    small.set_num_threads(1)
    out = {}
    for name, fn in (("faiss", lambda: flat.search(x, 1)),
                     ("hnswlib", lambda: small.knn_query(x, 1))):
        t0 = time.thread_time_ns()
        for _ in range(repeats):
            fn()
        out[name] = (time.thread_time_ns() - t0) / 1e6 / repeats
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", help="folder written by bench_ann (meta.json, *.fvecs, gt.ivecs)")
    args = parser.parse_args()
    with open(os.path.join(args.dir, "meta.json")) as f:
        meta = json.load(f)
    files = meta["files"]
    xb = read_vecs(os.path.join(args.dir, files["base"]), np.float32)
    xq = read_vecs(os.path.join(args.dir, files["queries"]), np.float32)
    gt = read_vecs(os.path.join(args.dir, files["gt"]), np.int32)[:, :meta["k"]]
    assert xb.shape == (meta["n"], meta["dim"]) and len(xq) == len(gt) == meta["queries"]

    faiss.omp_set_num_threads(1)
    out = {"faiss_python": {"version": faiss.__version__, "configs": []},
           "hnswlib": {"configs": []},
           "call_overhead_ms": call_overhead_ms(meta["dim"])}
    for cfg in meta["configs"]:
        out["faiss_python"]["configs"].append(run_faiss(cfg, meta, xb, xq, gt, args.dir))
        if cfg["factory"].startswith("HNSW"):
            out["hnswlib"]["configs"].append(run_hnswlib(cfg, meta, xb, xq, gt))
    with open(os.path.join(args.dir, "peers.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
