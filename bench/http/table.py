#!/usr/bin/env python3
"""Markdown table of bench/http/run.sh's results (one JSON object per line)."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| images | index | query | connections | QPS | p50 ms | p90 ms | p99 ms | errors |")
print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    x = r["result"]
    print(f"| {r['size']:,} | {r['index']} | {r['query']} | {r['connections']} | {x['qps']:,.0f} "
          f"| {x['p50_us'] / 1000:.2f} | {x['p90_us'] / 1000:.2f} | {x['p99_us'] / 1000:.2f} "
          f"| {x['errors']} |")
