#!/usr/bin/env python3
"""Merges the ANN benchmark's results (docs/benchmarks.md, "ANN quality vs speed").

Reads DIR/meta.json, DIR/ours.json (bench_ann) and DIR/peers.json (bench/peers/ann_peers.py)
and writes one JSON file and a markdown report with two tables: search (recall@k and time per
query for each configuration and parameters, with the ratios of our CPU time per query to the
bare FAISS index's, in C++ and through python3-faiss) and build (time, bytes per vector on disk and in RAM).

    python3 bench/ann/report.py out/bench/ann --json out/bench/ann.json --markdown out/bench/ann.md
"""
import argparse
import json
import os
import platform


def machine():
    model = platform.processor() or "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(mem_kib / 2**20, 1)}


def key(factory, params):
    return factory, json.dumps(params, sort_keys=True)


def by_run(configs):
    return {key(c["factory"], r["params"]): r for c in configs for r in c["runs"]}


def fmt(x, digits=3):
    return "–" if x is None else f"{x:.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def params_text(params):
    return ", ".join(f"{k} {v:g}" for k, v in params.items()) or "–"


def merge(meta, ours, peers):
    py = by_run(peers["faiss_python"]["configs"])
    hl = by_run(peers["hnswlib"]["configs"])
    rows = []
    for c in ours["configs"]:
        for r in c["runs"]:
            k = key(c["factory"], r["params"])
            row = {"factory": c["factory"], "params": r["params"], "ours": r["ours"],
                   "faiss_cpp": r["faiss_cpp"], "faiss_python": py.get(k), "hnswlib": hl.get(k)}
            row["ratio_cpp"] = ratio(r["ours"]["cpu_mean_ms"], r["faiss_cpp"]["cpu_mean_ms"])
            same = py[k].get("same_index") if k in py else None
            row["faiss_python_same_index"] = same
            row["ratio_python"] = ratio(r["ours"]["cpu_mean_ms"], same and same["cpu_mean_ms"])
            row["ratio_python_own_build"] = ratio(r["ours"]["cpu_mean_ms"],
                                                  py[k]["cpu_mean_ms"] if k in py else None)
            rows.append(row)
    builds = []
    peer_builds = {c["factory"]: c for c in peers["faiss_python"]["configs"]}
    hnsw_builds = {c["factory"]: c for c in peers["hnswlib"]["configs"]}
    for c in ours["configs"]:
        entry = {"factory": c["factory"], "train_n": c["train_n"]}
        for name, src in (("ours", c), ("faiss_python", peer_builds.get(c["factory"])),
                          ("hnswlib", hnsw_builds.get(c["factory"]))):
            entry[name] = None if src is None else {
                f: src[f] for f in ("build_s", "build_cpu_s", "train_s", "add_s",
                                    "bytes_per_vector", "heap_bytes_per_vector")}
        builds.append(entry)
    return {"machine": machine(), "meta": {k: v for k, v in meta.items() if k != "configs"},
            "call_overhead_ms": peers["call_overhead_ms"],
            "faiss_version": peers["faiss_python"]["version"], "search": rows, "build": builds}


def markdown(report):
    m, meta = report["machine"], report["meta"]
    k = meta["k"]
    s = meta["stats"]
    out = [
        f"ANN benchmark: {meta['n']:,} vectors, {meta['queries']:,} queries, dimension "
        f"{meta['dim']}, k = {k}; {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB; "
        f"FAISS {report['faiss_version']}; build threads: {meta['build_threads']}; search on "
        "1 thread, one query per call.",
        "",
        f"Data: cosine of a query with its nearest neighbour {s['nn1_cosine']:.3f}, with its "
        f"10th {s['nn10_cosine']:.3f}, with a random vector {s['random_cosine']:.3f} "
        f"(sd {s['random_cosine_sd']:.3f}). Python call overhead per search (CPU, one-vector "
        f"index): faiss {report['call_overhead_ms']['faiss']:.4f} ms, hnswlib "
        f"{report['call_overhead_ms']['hnswlib']:.4f} ms.",
        "",
        f"| index | params | recall@{k} | CPU ms/query | wall p50 | wall p99 "
        f"| bare FAISS C++ | ours/C++ | faiss-py, same index | ours/py "
        f"| faiss-py own build: recall@{k} | CPU ms | hnswlib: recall@{k} | CPU ms |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in report["search"]:
        py, same, hl, o = r["faiss_python"], r["faiss_python_same_index"], r["hnswlib"], r["ours"]
        out.append("| " + " | ".join([
            f"`{r['factory']}`", params_text(r["params"]), fmt(o["recall"], 4),
            fmt(o["cpu_mean_ms"]), fmt(o["p50_ms"]), fmt(o["p99_ms"]),
            fmt(r["faiss_cpp"]["cpu_mean_ms"]), fmt(r["ratio_cpp"], 2),
            fmt(same and same["cpu_mean_ms"]), fmt(r["ratio_python"], 2),
            fmt(py and py["recall"], 4), fmt(py and py["cpu_mean_ms"]),
            fmt(hl and hl["recall"], 4), fmt(hl and hl["cpu_mean_ms"]),
        ]) + " |")
    out += [
        "",
        "| index | training vectors | build wall s: ours | faiss-py | hnswlib | build CPU s: ours "
        "| faiss-py | hnswlib | bytes/vector on disk: ours | faiss-py | hnswlib "
        "| heap bytes/vector: ours | faiss-py | hnswlib |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for b in report["build"]:
        def field(name, f, digits):
            return fmt(b[name] and b[name][f], digits)
        out.append("| " + " | ".join(
            [f"`{b['factory']}`", f"{b['train_n']:,}"]
            + [field(n, "build_s", 1) for n in ("ours", "faiss_python", "hnswlib")]
            + [field(n, "build_cpu_s", 1) for n in ("ours", "faiss_python", "hnswlib")]
            + [field(n, "bytes_per_vector", 1) for n in ("ours", "faiss_python", "hnswlib")]
            + [field(n, "heap_bytes_per_vector", 0) for n in ("ours", "faiss_python", "hnswlib")]
        ) + " |")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", help="folder with meta.json, ours.json and peers.json")
    parser.add_argument("--json", required=True, help="merged JSON to write")
    parser.add_argument("--markdown", required=True, help="markdown tables to write")
    args = parser.parse_args()
    loaded = []
    for name in ("meta.json", "ours.json", "peers.json"):
        with open(os.path.join(args.dir, name)) as f:
            loaded.append(json.load(f))
    report = merge(*loaded)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    text = markdown(report)
    with open(args.markdown, "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
