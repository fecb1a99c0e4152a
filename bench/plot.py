#!/usr/bin/python3
"""Plots of the benchmark results (docs/benchmarks.md, "Plots"): PNG files for the docs.

    /usr/bin/python3 bench/plot.py --out docs/img [--http FILE...] [--ann DIR...] [--scale FILE...]

Needs matplotlib and numpy (Debian: python3-matplotlib), hence Debian's /usr/bin/python3.
Writes, into --out:
  http-latency-vs-size.png  p50/p99 latency and QPS over HTTP vs collection size, per query kind
                            (bench/http/run.sh's http.jsonl; several files are merged by size)
  memory-vs-size.png        index RAM per vector vs collection size, per index type (the ANN
                            benchmark's heap bytes/vector, bench/scale's scale.jsonl), with the
                            64 B/vector budget of a 100M collection
  ann-recall-vs-ms.png      recall@10 vs CPU ms per query, one marker per parameter setting, for
                            our VectorIndex and the peers' own builds (python3-faiss, hnswlib),
                            with the target region (recall >= 0.95 at <= 0.5 ms)
A missing input skips its plot (or its part of a plot) with a warning; the exit status is
non-zero only when no plot at all could be made.
"""
import argparse
import json
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "ann"))
import report  # noqa: E402  (bench/ann/report.py: the machine description)

TARGET_BYTES_PER_VECTOR = 64      # the 100M-image target: index RAM per vector
TARGET_RECALL, TARGET_MS = 0.95, 0.5
QUERY_COLORS = {"text": "tab:blue", "image": "tab:orange", "similar": "tab:green"}
DPI = 110


def warn(msg):
    print(f"bench/plot: warning: {msg}", file=sys.stderr)


def read_jsonl(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                warn(f"{path}:{n}: not JSON ({e}), line skipped")
    return rows


def size_label(n):
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            v = n / div
            return f"{v:g}{suffix}" if v == int(v) else f"{v:.1f}{suffix}"
    return f"{n:g}"


def log_size_axis(ax, sizes):
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: size_label(x)))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda x, _: ""))
    lo, hi = min(sizes), max(sizes)
    ax.set_xlim(lo / 2.5, hi * 2.5)


def describe(m):
    return f"{m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']:g} GiB"


def machine_text(ann_dirs, override):
    """The benchmark machine: --machine, else the one bench/ann/report.py recorded next to the
    ANN results (DIR/../ann.json), else this host (plots are made where the benchmarks ran)."""
    if override:
        return override
    for d in ann_dirs:
        path = os.path.join(os.path.dirname(os.path.normpath(d)), "ann.json")
        try:
            with open(path) as f:
                return describe(json.load(f)["machine"])
        except (OSError, KeyError, ValueError):
            continue
    return describe(report.machine())


def save(fig, out, name):
    path = os.path.join(out, name)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    print(f"bench/plot: wrote {path}")
    return path


# --- 1. HTTP latency and throughput vs collection size --------------------------------------

def load_http(files):
    merged = {}  # (size, query) -> row; a later file replaces an earlier one
    for path in files:
        if not os.path.isfile(path):
            warn(f"{path}: no such file, left out of the HTTP plot")
            continue
        for r in read_jsonl(path):
            try:
                k = (int(r["size"]), r["query"])
                _ = r["result"]["p50_us"], r["result"]["p99_us"], r["result"]["qps"]
            except (KeyError, TypeError, ValueError):
                warn(f"{path}: a line without size/query/result.p50_us/p99_us/qps, skipped")
                continue
            if k in merged:
                warn(f"{path}: size {k[0]:,} {k[1]} given twice, the later one kept")
            merged[k] = r
    return merged


def plot_http(files, out, machine):
    rows = load_http(files)
    if not rows:
        warn("no HTTP results (bench/http/run.sh writes out/bench/http.jsonl): "
             "http-latency-vs-size.png skipped")
        return None
    sizes = sorted({s for s, _ in rows})
    kinds = [q for q in QUERY_COLORS if any(k == q for _, k in rows)]
    kinds += sorted({k for _, k in rows} - set(kinds))
    index_at = {s: r["index"] for (s, _), r in rows.items() if r.get("index")}
    conns = sorted({r.get("connections") for r in rows.values() if r.get("connections")})

    fig, (ax_lat, ax_qps) = plt.subplots(1, 2, figsize=(11.5, 4.8))
    for i, q in enumerate(kinds):
        color = QUERY_COLORS.get(q, f"C{i + 3}")
        xs = [s for s in sizes if (s, q) in rows]
        res = [rows[(s, q)]["result"] for s in xs]
        ax_lat.plot(xs, [r["p50_us"] / 1000 for r in res], "o-", color=color, label=f"{q} p50")
        ax_lat.plot(xs, [r["p99_us"] / 1000 for r in res], "s--", color=color, alpha=0.8,
                    mfc="white", label=f"{q} p99")
        ax_qps.plot(xs, [r["qps"] for r in res], "o-", color=color, label=q)
    for ax in (ax_lat, ax_qps):
        log_size_axis(ax, sizes)
        ax.set_xticks(sizes)
        ax.set_xticklabels([f"{size_label(s)}\n{index_at.get(s, '')}" for s in sizes])
        ax.set_xlabel("collection size (images, log scale) / index")
        ax.grid(True, which="major", alpha=0.3)
        ax.set_ylim(bottom=0)
    ax_lat.set_ylabel("latency per request (ms)")
    ax_lat.set_title("Latency: p50 (solid) and p99 (dashed)")
    ax_lat.legend(ncol=len(kinds), fontsize=8, loc="upper center", columnspacing=1.0)
    ax_lat.set_ylim(top=ax_lat.get_ylim()[1] * 1.18)  # room for the legend
    ax_qps.set_ylabel("throughput (requests/s)")
    ax_qps.set_title("Throughput")
    ax_qps.legend(fontsize=8)
    c = "/".join(str(x) for x in conns) or "?"
    secs = sorted({round(r["result"].get("seconds", 0)) for r in rows.values()} - {0})
    runs = f", {'/'.join(str(x) for x in secs)} s per run" if secs else ""
    fig.suptitle(f"Search over HTTP: qiss serve, wrk -t1 -c{c} on the same machine{runs}\n"
                 f"{machine}", fontsize=11)
    fig.tight_layout()
    return save(fig, out, "http-latency-vs-size.png")


# --- ANN results -----------------------------------------------------------------------------

def load_ann(d):
    """meta, ours and peers of one ANN results folder, or None with a warning."""
    loaded = {}
    for name in ("meta", "ours", "peers"):
        path = os.path.join(d, name + ".json")
        try:
            with open(path) as f:
                loaded[name] = json.load(f)
        except OSError:
            if name == "peers":
                warn(f"{path}: missing, the peers are left out")
                loaded[name] = {}
                continue
            warn(f"{path}: missing, {d} left out")
            return None
        except ValueError as e:
            warn(f"{path}: not JSON ({e}), {d} left out")
            return None
    n = loaded["meta"].get("n")
    if not n:
        warn(f"{d}/meta.json: no vector count 'n', {d} left out")
        return None
    return loaded


def family(factory):
    """The factory string without the list count and coarse quantizer (IVF2048,PQ32x8np and
    IVF16384_HNSW32,PQ32x8np -> IVF,PQ32x8np): the same kind of index at different sizes shares
    a colour and a line."""
    return re.sub(r"IVF\d+(_HNSW\d+)?", "IVF", factory)


FAMILY_COLORS = {"Flat": "tab:gray", "HNSW32": "tab:blue", "IVF,Flat": "tab:orange",
                 "IVF,PQ32x8np": "tab:green", "IVF,PQ32x8np,RFlat": "tab:red"}


def family_color(fam, seen):
    if fam in FAMILY_COLORS:
        return FAMILY_COLORS[fam]
    seen.setdefault(fam, f"C{4 + len(seen)}")
    return seen[fam]


# --- 2. index memory vs collection size ------------------------------------------------------

def scale_ram(r):
    for k in ("ram_bytes_per_vector", "index_heap_bytes_per_vector"):
        if r.get(k) is not None:
            return float(r[k])
    return None


def spread_labels(items, min_gap):
    """items: [(y, ...)] at one x; returns the y positions (log10) for their labels, in the same
    order, at least min_gap apart and as close to their points as that allows."""
    order = sorted(range(len(items)), key=lambda i: items[i][0])
    ys = [math.log10(items[i][0]) for i in order]
    for _ in range(50):  # push neighbours apart until nothing overlaps
        moved = False
        for j in range(1, len(ys)):
            gap = ys[j] - ys[j - 1]
            if gap < min_gap - 1e-9:
                shift = (min_gap - gap) / 2
                ys[j - 1] -= shift
                ys[j] += shift
                moved = True
        if not moved:
            break
    placed = [0.0] * len(items)
    for k, i in enumerate(order):
        placed[i] = ys[k]
    return placed


def plot_memory(anns, scale_files, out, machine):
    # {family: {size: bytes/vector}} for each source
    ours, bare, scale = {}, {}, {}
    scale_index = {}
    for d, a in anns:
        n = int(a["meta"]["n"])
        for c in a["ours"].get("configs", []):
            if c.get("heap_bytes_per_vector") is not None:
                ours.setdefault(family(c["factory"]), {})[n] = c["heap_bytes_per_vector"]
        for c in a["peers"].get("faiss_python", {}).get("configs", []):
            if c.get("heap_bytes_per_vector") is not None:
                bare.setdefault(family(c["factory"]), {})[n] = c["heap_bytes_per_vector"]
    for path in scale_files:
        if not os.path.isfile(path):
            warn(f"{path}: no such file (bench/scale/run.sh writes it), left out of the memory plot")
            continue
        for r in read_jsonl(path):
            ram = scale_ram(r)
            if ram is None or "size" not in r or "index" not in r:
                warn(f"{path}: a line without size/index/RAM bytes per vector, skipped")
                continue
            # One line per search setting of the same index: one value per (index, size).
            scale.setdefault(family(r["index"]), {})[int(r["size"])] = ram
            scale_index[(family(r["index"]), int(r["size"]))] = r["index"]
    if not (ours or scale):
        warn("no index memory figures (ANN results or scale.jsonl): memory-vs-size.png skipped")
        return None

    fig, ax = plt.subplots(figsize=(10, 5.6))
    extra = {}
    families = list(dict.fromkeys(list(ours) + list(scale)))
    values = [v for s in (ours, bare, scale) for pts in s.values() for v in pts.values()]
    sizes = [x for s in (ours, bare, scale) for pts in s.values() for x in pts]
    dodge = 1.12  # python3-faiss's points sit just right of ours at the same size
    for fam in families:
        color = family_color(fam, extra)
        for series, style, kw in ((ours, "o-", {"ms": 7}), (scale, "D-", {"ms": 8})):
            pts = sorted(series.get(fam, {}).items())
            if pts:
                ax.plot(*zip(*pts), style, color=color, zorder=3, **kw)
        pts = sorted(bare.get(fam, {}).items())
        if pts:
            ax.plot([x * dodge for x, _ in pts], [y for _, y in pts], "s:", color=color,
                    mfc="white", ms=6, zorder=2)
    # Labels (index type and value) right of our points, spread apart where they would collide.
    by_x = {}
    for series, kind in ((ours, "ann"), (scale, "scale")):
        for fam, pts in series.items():
            for x, v in pts.items():
                name = scale_index.get((fam, x), fam) if kind == "scale" else fam
                by_x.setdefault(x, []).append((v, f"{name}: {v:,.0f}", family_color(fam, extra)))
    for x, items in by_x.items():
        for (v, text, color), ly in zip(items, spread_labels(items, 0.075)):
            ax.annotate(text, (x * dodge, v), xytext=(x * 1.35, 10 ** ly), fontsize=8,
                        color=color, va="center",
                        arrowprops={"arrowstyle": "-", "color": color, "lw": 0.6, "alpha": 0.6})
    ax.axhline(TARGET_BYTES_PER_VECTOR, color="black", lw=1.2, ls="--")
    ax.axvline(1e8, color="black", lw=0.8, ls=":", alpha=0.6)
    ax.text(1e8 / 1.1, TARGET_BYTES_PER_VECTOR / 1.06,
            f"target at 100M images: ≤ {TARGET_BYTES_PER_VECTOR} B/vector",
            ha="right", va="top", fontsize=9)
    log_size_axis(ax, sizes + [1e8])
    ax.set_xlim(min(sizes) / 2, max(sizes + [1e8]) * 2)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(
        lambda y, _: f"{y:,.0f}" if round(y / 10 ** math.floor(math.log10(y))) in (2, 5) else ""))
    ax.tick_params(axis="y", which="minor", labelsize=8)
    ax.set_ylim(min(values + [TARGET_BYTES_PER_VECTOR]) / 1.5, max(values) * 1.5)
    ax.set_xlabel("collection size (vectors, log scale)")
    ax.set_ylabel("index RAM per vector (bytes, log scale)")
    ax.grid(True, which="major", alpha=0.3)
    handles = [Line2D([], [], color="0.3", marker="o", ls="-", label="ours: ANN benchmark")]
    if scale:
        handles.append(Line2D([], [], color="0.3", marker="D", ls="-",
                              label="ours: scale benchmark"))
    if bare:
        handles.append(Line2D([], [], color="0.3", marker="s", mfc="white", ls=":",
                              label="python3-faiss, own build (drawn just right of ours)"))
    ax.legend(handles=handles, fontsize=8.5, loc="upper right")
    ax.set_title("Index RAM per vector (heap growth while building or loading the index), "
                 f"dimension 256\n{machine}", fontsize=10.5)
    fig.tight_layout()
    return save(fig, out, "memory-vs-size.png")


# --- 3. recall vs CPU time per query ---------------------------------------------------------

def params_label(params):
    short = {"efSearch": "ef", "nprobe": "np", "k_factor": "×"}
    parts = []
    for k in ("efSearch", "nprobe", "k_factor"):
        if k in params:
            v = params[k]
            parts.append(f"{short[k]}{v:g}" if k != "k_factor" else f"×{v:g}")
    return " ".join(parts)


def knob_lines(pts):
    """[(ms, recall, params)] of one index -> one line per value of the secondary knobs (e.g.
    k_factor), each along its main knob (efSearch or nprobe)."""
    lines = {}
    for p in pts:
        params = p[2]
        main = next((k for k in ("efSearch", "nprobe") if k in params), None)
        rest = json.dumps({k: v for k, v in params.items() if k != main}, sort_keys=True)
        lines.setdefault(rest, []).append((params.get(main, 0), p))
    return [[p for _, p in sorted(line, key=lambda t: t[0])] for line in lines.values()]


def plot_recall(anns, out, machine):
    if not anns:
        warn("no ANN results (bench/ann/run.sh writes out/bench/ann/): ann-recall-vs-ms.png skipped")
        return None
    # One figure for the largest run: recall at different N on one plot would mislead.
    d, a = max(anns, key=lambda da: da[1]["meta"]["n"])
    meta = a["meta"]
    if len(anns) > 1:
        warn(f"ann-recall-vs-ms.png shows the largest ANN run only ({d}, {meta['n']:,} vectors)")
    impls = []  # (name, marker, style, {factory: [(ms, recall, params)]})
    ours = {}
    for c in a["ours"].get("configs", []):
        for r in c.get("runs", []):
            o = r.get("ours") or {}
            if o.get("cpu_mean_ms") is not None and o.get("recall") is not None:
                ours.setdefault(c["factory"], []).append((o["cpu_mean_ms"], o["recall"], r["params"]))
    impls.append(("ours (qiss VectorIndex)", "o", "-", "full", ours))
    for key, name, marker in (("faiss_python", "python3-faiss, own build", "s"),
                              ("hnswlib", "hnswlib, own build (M 32)", "^")):
        pts = {}
        for c in a["peers"].get(key, {}).get("configs", []):
            for r in c.get("runs", []):
                if r.get("cpu_mean_ms") is not None and r.get("recall") is not None:
                    fam = "hnswlib" if key == "hnswlib" else c["factory"]
                    pts.setdefault(fam, []).append((r["cpu_mean_ms"], r["recall"], r["params"]))
        if pts:
            impls.append((name, marker, ":" if key == "faiss_python" else "--", "none", pts))
    if not any(p for *_, p in impls):
        warn(f"{d}: no search results: ann-recall-vs-ms.png skipped")
        return None

    extra = {}
    colors = {"hnswlib": "tab:purple"}

    def color_of(factory):
        return colors.get(factory) or family_color(family(factory), extra)

    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(13, 5.6),
                                   gridspec_kw={"width_ratios": [1.15, 1]})
    all_pts = [p for *_, series in impls for pts in series.values() for p in pts]
    for axis in (ax, zoom):
        axis.add_patch(plt.Rectangle((1e-3, TARGET_RECALL), TARGET_MS - 1e-3, 1,
                                     color="gold", alpha=0.25, lw=0, zorder=0))
        axis.axhline(TARGET_RECALL, color="goldenrod", lw=0.8, ls="--", zorder=1)
        axis.axvline(TARGET_MS, color="goldenrod", lw=0.8, ls="--", zorder=1)
        for name, marker, ls, fill, series in impls:
            for factory, pts in series.items():
                for line in knob_lines(pts):
                    xs, ys = [p[0] for p in line], [p[1] for p in line]
                    axis.plot(xs, ys, marker=marker, ls=ls, color=color_of(factory),
                              fillstyle=fill, mfc="white" if fill == "none" else None, ms=6,
                              lw=1.1, alpha=1 if fill == "full" else 0.85,
                              zorder=3 if fill == "full" else 2)
        axis.set_xscale("log")
        axis.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        axis.grid(True, which="both", alpha=0.25)
        axis.set_xlabel("CPU time per query (ms, one thread, log scale)")
    xs = [p[0] for p in all_pts]
    ys = [p[1] for p in all_pts]
    ax.set_xlim(min(xs) / 1.5, max(xs) * 1.5)
    ax.set_ylim(min(ys) - 0.02, 1.01)
    ax.set_ylabel(f"recall@{meta.get('k', 10)}")
    ax.set_title("All configurations")
    ax.text(TARGET_MS / 1.05, TARGET_RECALL - 0.005, f"target: recall ≥ {TARGET_RECALL}\n"
            f"at ≤ {TARGET_MS} ms", ha="right", va="top", fontsize=8, color="darkgoldenrod")
    # The zoom: the high-recall corner, with each of our settings named.
    zx = [p[0] for p in all_pts if p[1] >= 0.9 and p[0] <= 5]
    zoom_lo = min(zx) / 1.3 if zx else 0.1
    zoom_hi = max(zx) * 1.3 if zx else 5
    zoom.set_xlim(zoom_lo, zoom_hi)
    zoom.set_ylim(0.9, 1.0025)
    zoom.set_title("Zoom: recall ≥ 0.9 (labels: our settings)")
    for factory, pts in ours.items():
        for ms, rec, params in pts:
            if rec >= 0.9 and zoom_lo <= ms <= zoom_hi:
                zoom.annotate(params_label(params), (ms, rec), xytext=(5, -9),
                              textcoords="offset points", fontsize=7, color=color_of(factory))
    handles = [Patch(color=color_of(f), label=f) for f in
               dict.fromkeys(f for *_, s in impls for f in s if f != "hnswlib")]
    handles += [Line2D([], [], color="k", marker=m, ls=ls, fillstyle=fill,
                       mfc="white" if fill == "none" else None, label=name)
                for name, m, ls, fill, _ in impls if name.startswith(("ours", "python3"))]
    if any(name.startswith("hnswlib") for name, *_ in impls):
        handles.append(Line2D([], [], color=colors["hnswlib"], marker="^", ls="--",
                              mfc="white", label="hnswlib, own build (M 32)"))
    handles.append(Patch(color="gold", alpha=0.4, label="target region"))
    ax.legend(handles=handles, fontsize=7.5, loc="lower right")
    fig.suptitle(f"ANN recall vs CPU time: {meta['n']:,} vectors, dimension {meta.get('dim', '?')}, "
                 f"{meta.get('queries', '?'):,} queries, one query per call on one thread\n"
                 f"{machine}", fontsize=11)
    fig.tight_layout()
    return save(fig, out, "ann-recall-vs-ms.png")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ob = os.path.join(root, "out", "bench")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(root, "docs", "img"),
                    help="folder for the PNG files (default: docs/img)")
    ap.add_argument("--http", nargs="+", metavar="FILE",
                    help="bench/http/run.sh results, merged by size (default: out/bench/http.jsonl "
                         "and out/bench-1m/http.jsonl where it exists)")
    ap.add_argument("--ann", nargs="+", metavar="DIR",
                    help="ANN results folders with meta.json, ours.json, peers.json "
                         "(default: out/bench/ann and out/bench-1m/ann where it exists)")
    ap.add_argument("--scale", nargs="+", metavar="FILE",
                    help="bench/scale results (default: out/bench/scale.jsonl)")
    ap.add_argument("--machine", help="the benchmark machine, for the titles "
                                      "(default: from DIR/../ann.json, else this host)")
    args = ap.parse_args()

    def defaults(main_path, optional_path):
        return [main_path] + ([optional_path] if os.path.exists(optional_path) else [])

    http = args.http or defaults(os.path.join(ob, "http.jsonl"),
                                 os.path.join(root, "out", "bench-1m", "http.jsonl"))
    ann_dirs = args.ann or defaults(os.path.join(ob, "ann"),
                                    os.path.join(root, "out", "bench-1m", "ann"))
    scale = args.scale or [os.path.join(ob, "scale.jsonl")]
    os.makedirs(args.out, exist_ok=True)
    machine = machine_text(ann_dirs, args.machine)

    anns = []
    for d in ann_dirs:
        if not os.path.isdir(d):
            warn(f"{d}: no such folder (bench/ann/run.sh writes it), left out")
            continue
        a = load_ann(d)
        if a:
            anns.append((d, a))
    made = []
    for name, make in (("http-latency-vs-size.png", lambda: plot_http(http, args.out, machine)),
                       ("memory-vs-size.png", lambda: plot_memory(anns, scale, args.out, machine)),
                       ("ann-recall-vs-ms.png", lambda: plot_recall(anns, args.out, machine))):
        try:
            path = make()
        except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as e:
            # An input in an unexpected shape: say which, make the other plots.
            warn(f"{name} skipped: unexpected input ({type(e).__name__}: {e})")
            plt.close("all")
            path = None
        if path:
            made.append(path)
    if not made:
        print("bench/plot: no plot could be made", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
