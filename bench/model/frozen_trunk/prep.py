# Images as raw uint8 RGB (composited on white, resized to S px): 1,000 apple queries (seeded),
# the google gallery, and the training styles apple, facebook and emojione.
import os, random, sys
import numpy as np
from PIL import Image

nm, S = sys.argv[1], int(sys.argv[2])
def folder(v): return f'{nm}/emoji-datasource-{v}/img/{v}/64'
def load(p):
    im = Image.open(p).convert('RGBA')
    bg = Image.new('RGBA', im.size, (255, 255, 255, 255))
    bg.alpha_composite(im)
    return np.asarray(bg.convert('RGB').resize((S, S), Image.BILINEAR), dtype=np.uint8)
def pngs(v): return sorted(f for f in os.listdir(folder(v)) if f.endswith('.png'))
random.seed(1)
sets = {'q': ('apple', random.sample(sorted(set(pngs('apple')) & set(pngs('google'))), 1000)),
        'g': ('google', pngs('google'))}
for v in ('apple', 'facebook', 'emojione'): sets[v] = (v, pngs(v))
for name, (v, files) in sets.items():
    if os.path.exists(f'{name}.u8'): continue
    np.stack([load(os.path.join(folder(v), f)) for f in files]).tofile(f'{name}.u8')
    open(f'{name}.txt', 'w').write('\n'.join(files) + '\n')
