#!/usr/bin/python3
"""Summary of a soak run (bench/soak/soak.sh): Markdown tables on stdout and the RSS curve.

    /usr/bin/python3 bench/soak/report.py OUT

Reads OUT/wrk-LIFE-KIND.txt (bench/soak/counted.lua's two JSON lines), OUT/rss.csv,
OUT/lifetimes.csv, OUT/writes.json (bench/crash/writers.py stats) and OUT/check.json
(writers.py check after the last restart); writes OUT/soak-rss.png (needs matplotlib: Debian's
python3-matplotlib, hence /usr/bin/python3). Exit 1 if any answer was a 5xx or a 503, or the
check failed.
"""
import csv
import glob
import json
import os
import re
import sys


def json_lines(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def load_wrk(out):
    """{kind: [(life, latency_json, status_json)]}"""
    runs = {}
    for path in sorted(glob.glob(os.path.join(out, "wrk-*-*.txt"))):
        m = re.match(r"wrk-(\d+)-(\w+)\.txt$", os.path.basename(path))
        rows = json_lines(path)
        if not m or len(rows) != 2:
            print(f"bench/soak/report: {path}: no result (wrk failed?)", file=sys.stderr)
            continue
        runs.setdefault(m.group(2), []).append((int(m.group(1)), rows[0], rows[1]))
    return runs


def load_rss(out):
    """{life: [(elapsed_s, rss_mb)]}"""
    lives = {}
    with open(os.path.join(out, "rss.csv")) as f:
        for r in csv.DictReader(f):
            lives.setdefault(int(r["life"]), []).append(
                (int(r["elapsed_s"]), int(r["rss_kb"]) / 1024))
    return lives


def plot_rss(lives, restarts, out, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6))
    for life, pts in sorted(lives.items()):
        ax.plot([p[0] / 60 for p in pts], [p[1] for p in pts], lw=1.2, color="tab:blue")
    for i, (t, sig) in enumerate(restarts):
        ax.axvline(t / 60, color="0.5", lw=0.8, ls=":",
                   label=f"restart (SIG{sig})" if i == 0 else None)
    ax.set_xlabel("minutes")
    ax.set_ylabel("qiss serve RSS (MiB)")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    if restarts:
        ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path = os.path.join(out, "soak-rss.png")
    fig.savefig(path, dpi=110)
    return path


def main():
    out = sys.argv[1]
    runs = load_wrk(out)
    lives = load_rss(out)
    with open(os.path.join(out, "lifetimes.csv")) as f:
        ends = list(csv.DictReader(f))
    writes = json.load(open(os.path.join(out, "writes.json")))
    check_path = os.path.join(out, "check.json")
    check = json_lines(check_path) if os.path.exists(check_path) else []
    check = check[0] if check else {"failures": "no result"}

    bad = 0
    print("| queries | requests | QPS | p50 ms | p99 ms (worst lifetime) | 4xx | 5xx | 503 "
          "| socket errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in ("text", "image", "similar"):
        rs = runs.get(kind, [])
        if not rs:
            continue
        n = sum(r[1]["requests"] for r in rs)
        secs = sum(r[1]["seconds"] for r in rs)
        # Percentiles of the whole run cannot be merged from per-lifetime runs: the median of
        # the lifetimes' p50 (weighted by requests) and the worst p99.
        p50s = sorted((r[1]["p50_us"], r[1]["requests"]) for r in rs)
        half, acc, p50 = n / 2, 0, p50s[-1][0]
        for v, w in p50s:
            acc += w
            if acc >= half:
                p50 = v
                break
        p99 = max(r[1]["p99_us"] for r in rs)
        s4 = sum(r[2]["status_4xx"] for r in rs)
        s5 = sum(r[2]["status_5xx"] for r in rs)
        s503 = sum(r[2]["status_503"] for r in rs)
        sock = sum(r[1]["errors"] - r[1]["non_2xx"] for r in rs)
        bad += s5 + s503
        print(f"| {kind} | {n:,} | {n / secs:,.1f} | {p50 / 1000:.2f} | {p99 / 1000:.2f} | {s4} "
              f"| {s5} | {s503} | {sock} |")
    print()
    print("| writes | answered | ok | p50 ms | p99 ms | 5xx | 503 | refused (restarting) "
          "| no answer (at a restart) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for op in ("add", "delete"):
        w = writes[op]
        bad += w["5xx"] + w["503"]
        p50 = "–" if w["p50_ms"] is None else f"{w['p50_ms']:.1f}"
        p99 = "–" if w["p99_ms"] is None else f"{w['p99_ms']:.1f}"
        print(f"| {op} | {w['answered']:,} | {w['ok']:,} | {p50} | {p99} | {w['5xx']} "
              f"| {w['503']} | {w['refused']} | {w['lost']} |")
    print()
    print("| server lifetime | from–to (s) | ended by | exit | RSS start MiB | RSS end MiB "
          "| RSS max MiB |")
    print("|---:|---|---|---:|---:|---:|---:|")
    restarts = []
    for e in ends:
        life = int(e["life"])
        pts = lives.get(life, [])
        if not pts:
            continue
        restarts.append((int(e["end_s"]), e["signal"]))
        print(f"| {life} | {pts[0][0]}–{e['end_s']} | SIG{e['signal']} | {e['exit_status']} "
              f"| {pts[0][1]:.0f} | {pts[-1][1]:.0f} | {max(p[1] for p in pts):.0f} |")
    print()
    ok = check.get("failures") == 0
    print(f"Journal check after the last restart: {check.get('stored', '?')} images stored, "
          f"{check.get('acked_adds', '?')} acknowledged adds, {check.get('acked_deletes', '?')} "
          f"acknowledged deletes, {check.get('lost_adds', '?')} adds and "
          f"{check.get('ambiguous_deletes', '?')} deletes without an answer; failures: "
          f"{check.get('failures')}.")
    all_pts = [p for pts in lives.values() for p in pts]
    if all_pts:
        minutes = max(p[0] for p in all_pts) / 60
        png = plot_rss(lives, restarts[:-1], out,
                       f"qiss serve RSS during a {minutes:.0f}-minute soak "
                       f"({len(ends)} server lifetimes)")
        print(f"\nRSS curve: {png}")
    sys.exit(0 if bad == 0 and ok else 1)


if __name__ == "__main__":
    main()
