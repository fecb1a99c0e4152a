# Precision and recall of `qiss dupes` groups over pairs of images: a pair is a true
# near-duplicate when both images are edits of the same picture (the file name's prefix).
# Reads one `qiss dupes --json` output per threshold: score.py T1=FILE1 T2=FILE2 ...
import itertools, json, os, sys
from collections import Counter

print('| threshold | groups | precision (pairs) | recall (pairs) | pictures found whole |')
print('|---|---|---|---|---|')
for arg in sys.argv[1:]:
    t, path = arg.split('=', 1)
    groups = json.load(open(path))
    found = set()
    for g in groups:
        names = sorted(os.path.basename(r['source']) for r in g)
        found.update(itertools.combinations(names, 2))
    pictures = Counter(n.split('-')[0] for n in os.listdir(os.path.join(os.path.dirname(path), 'images')))
    truth = {p for pic, count in pictures.items()
             for p in itertools.combinations(sorted(f'{pic}-{e}.jpg' for e in
                                                    ('colour', 'crop', 'half', 'jpeg40', 'original')), 2)}
    tp = len(found & truth)
    whole = sum(1 for g in groups if len({os.path.basename(r['source']).split('-')[0] for r in g}) == 1
                and len(g) == 5)
    precision = tp / len(found) if found else 1.0
    print(f'| {float(t):.2f} | {len(groups)} | {precision:.3f} ({tp}/{len(found)}) | '
          f'{tp / len(truth):.3f} ({tp}/{len(truth)}) | {whole}/{len(pictures)} |')
