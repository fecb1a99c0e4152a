#!/usr/bin/env python3
"""Markdown table of bench/ingest/run.sh's results (one JSON object per line)."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| corpus | files | MP | `qiss index` images/s | read | hash | decode | thumbnail + input "
      "| embed | djpeg 1/8 | djpeg full | bound by |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for r in rows:
    s = r["stages"]
    stages = {k: s[k] for k in ("read", "hash", "decode", "thumbnail_and_input", "embed")}
    bound = min(stages, key=stages.get)
    dj = lambda v: "–" if v is None else f"{v:,.0f}"
    print(f"| {r['corpus']} | {s['files']:,} | {s['mean_megapixels']:.2f} "
          f"| **{r['qiss_index']['images_per_s']:,}** | {s['read']:,.0f} | {s['hash']:,.0f} "
          f"| {s['decode']:,.0f} | {s['thumbnail_and_input']:,.0f} | {s['embed']:,.0f} "
          f"| {dj(r['djpeg_scale_1_8'])} | {dj(r['djpeg_full'])} | {bound} |")
