# The markdown table of bench/photo/run.sh's results (one JSON object per model, written by
# build/bench/copy_detection): recall@1 / recall@10 per edit, embedding throughput.
#   /usr/bin/python3 bench/photo/report.py out/photo/results.jsonl
import json, os, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
edits = sorted({e for r in rows for e in r['edits']})
print('| model | dim | ' + ' | '.join(f'{e}: R@1 / R@10' for e in edits) +
      ' | images/s (model) | images/s (decoding) |')
print('|---|---:|' + '---|' * len(edits) + '---:|---:|')
for r in rows:
    cells = [f"{r['edits'][e]['recall_at_1']:.3f} / {r['edits'][e]['recall_at_10']:.3f}"
             for e in edits]
    print(f"| {os.path.basename(r['model'])} ({r['kind']}, {r['input_size']} px) | {r['dim']} | " +
          ' | '.join(cells) +
          f" | {r['embed_images_per_s']:.1f} | {r['decode_images_per_s']:.0f} |")
queries = {r['edits'][e]['queries'] for r in rows for e in r['edits']}
print(f"\n{rows[0]['gallery']} gallery images; {', '.join(map(str, sorted(queries)))} queries per "
      f"edit; {rows[0]['threads']} threads.")
