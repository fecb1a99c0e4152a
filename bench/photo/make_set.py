# The photo copy-detection set (docs/benchmarks.md, "Photos: copy detection"), from the images of
# Debian packages unpacked under ROOT (bench/photo/run.sh does the unpacking):
#   /usr/bin/python3 bench/photo/make_set.py ROOT OUT [DISTRACTORS] [WHITEN]
# Every picture of at least 300 px on its shorter side is read (alpha composited onto white,
# scaled to at most 1024 px); near-duplicates (another size or a dark variant of the same
# wallpaper, a mirrored stamp: 64-bit difference hash within 10 bits, mirrored too) keep their
# largest copy. Pictures are grouped by what they show (a wallpaper's folder, a stamp's name
# without _mirror/_flip, a sample's stereo pair or series, one group per desktop-base theme). A
# group is photo-like when its picture has at least 500 distinct colours (5 bits a channel, in a
# 128 px thumbnail) and is not a drawing (Tux Paint's cartoon/ folders). The photo-like groups
# are split by the hash of their names, so that two versions of one scene never fall on both
# sides:
# - two thirds give one original each: OUT/gallery/o-NNNN.jpg, and five edits of it in
#   OUT/queries/EDIT/o-NNNN.jpg (resize to 40 %, JPEG quality 25, crop 20 % of each side's
#   length away at a random place, rotation by 5 degrees either way with black corners,
#   colour shift: saturation x0.7, brightness x1.15, red x1.08, blue x0.92);
# - the other third, the drawings and the flat artwork only give distractors: DISTRACTORS
#   random crops (15-60 % of the area, aspect 3:4 to 4:3, mirrored half the time, at most
#   384 px) in OUT/gallery/d-NNNNN.jpg, and WHITEN other crops in OUT/whiten/ for fitting a
#   model's whitening (never the originals' pictures).
# Seeded: the same packages give the same set. Writes OUT/sources.tsv (name, source path).
import hashlib, os, random, re, sys
from PIL import Image, ImageEnhance

root, out = sys.argv[1], sys.argv[2]
n_distractors = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
n_whiten = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
Image.MAX_IMAGE_PIXELS = 200_000_000
SKIP = ('/icons/', '/plymouth/', '/doc/HTML/', '/look-and-feel/', '/mypaint/', '/images_dark/')


def dhash(im):
    g = im.convert('L').resize((9, 8), Image.BILINEAR)
    p = list(g.getdata())
    return sum(1 << i for i in range(64) if p[(i // 8) * 9 + i % 8] > p[(i // 8) * 9 + i % 8 + 1])


def load(path):
    im = Image.open(path)
    if im.mode in ('RGBA', 'LA', 'P'):
        im = im.convert('RGBA')
        white = Image.new('RGBA', im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    im = im.convert('RGB')
    im.thumbnail((1024, 1024), Image.LANCZOS)
    return im


pictures = []  # (pixels, dhash, sha, path, image, dhash of the mirror image)
for base, _, files in sorted(os.walk(root)):
    for f in sorted(files):
        path = os.path.join(base, f)
        if not f.lower().endswith(('.jpg', '.jpeg', '.png', '.webp')) or any(s in path for s in SKIP):
            continue
        if '/opencv-doc/' in path and '/examples/data/' not in path:  # only the sample pictures
            continue
        if f.endswith('-d.webp'):  # gnome-backgrounds' dark variants
            continue
        try:
            with Image.open(path) as probe:
                w, h = probe.size
            if min(w, h) < 300:
                continue
            im = load(path)
        except Exception as e:  # a file PIL cannot read is not a photo for this set
            print(f'skipped {path}: {e}', file=sys.stderr)
            continue
        sha = hashlib.sha256(open(path, 'rb').read()).hexdigest()
        pictures.append((w * h, dhash(im), sha, path, im, dhash(im.transpose(Image.FLIP_LEFT_RIGHT))))

def photo_like(path, im):
    small = im.copy()
    small.thumbnail((128, 128))
    return '/cartoon/' not in path and len(set(small.point(lambda v: v >> 3).getdata())) >= 500


def group(path):
    rel = os.path.relpath(path, root)
    for pattern in (r'wallpapers/([^/]+)/', r'desktop-base/([^/]+)/', r'backgrounds/(sway)/'):
        m = re.search(pattern, rel)
        if m:
            return m.group(1)
    # A stamp and its mirror image; a sample's stereo pair or series (aloeL/aloeR, graf1/graf3,
    # box/box_in_scene).
    return re.sub(r'([_-]?(mirror|flip|in_scene|left|right|tmpl|mask|[lrLR]|\d+))+$', '',
                  os.path.splitext(rel)[0])


pictures.sort(key=lambda p: (-p[0], p[2]))
distinct = []
for p in pictures:
    if all(min(bin(p[1] ^ q[1]).count('1'), bin(p[1] ^ q[5]).count('1')) > 10 for q in distinct):
        distinct.append(p)
groups = {}
for p in distinct:
    groups.setdefault(group(p[3]), []).append(p)
originals, sources = [], []
for key in sorted(groups, key=lambda k: hashlib.sha256(k.encode()).hexdigest()):
    side = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 3
    if side != 0 and photo_like(groups[key][0][3], groups[key][0][4]):
        originals.append(groups[key][0])
    else:
        sources.extend(groups[key])
print(f'{len(pictures)} pictures, {len(distinct)} distinct in {len(groups)} groups: '
      f'{len(originals)} originals, {len(sources)} distractor sources', file=sys.stderr)

rng = random.Random(1)
edits = ['resize', 'jpeg', 'crop', 'rotate', 'colour']
for d in ['gallery', 'whiten'] + [f'queries/{e}' for e in edits]:
    os.makedirs(f'{out}/{d}', exist_ok=True)
with open(f'{out}/sources.tsv', 'w') as listing:
    for n, (_, _, _, path, im, _) in enumerate(originals):
        name = f'o-{n:04d}.jpg'
        listing.write(f'{name}\t{path}\n')
        im.save(f'{out}/gallery/{name}', quality=95)
        w, h = im.size
        im.resize((max(1, w * 2 // 5), max(1, h * 2 // 5)), Image.BOX).save(
            f'{out}/queries/resize/{name}', quality=95)
        im.save(f'{out}/queries/jpeg/{name}', quality=25)
        cw, ch = w * 4 // 5, h * 4 // 5
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        im.crop((x, y, x + cw, y + ch)).save(f'{out}/queries/crop/{name}', quality=95)
        im.rotate(rng.choice([-5, 5]), resample=Image.BILINEAR).save(
            f'{out}/queries/rotate/{name}', quality=95)
        c = ImageEnhance.Brightness(ImageEnhance.Color(im).enhance(0.7)).enhance(1.15)
        r, g, b = c.split()
        c = Image.merge('RGB', (r.point(lambda v: min(255, int(v * 1.08))), g,
                                b.point(lambda v: int(v * 0.92))))
        c.save(f'{out}/queries/colour/{name}', quality=95)
    for n, (_, _, _, path, _, _) in enumerate(sources):
        listing.write(f'source-{n:04d}\t{path}\n')


def crop(im):
    w, h = im.size
    for _ in range(20):
        area = rng.uniform(0.15, 0.6) * w * h
        aspect = rng.uniform(0.75, 4 / 3)
        cw, ch = int(round((area * aspect) ** 0.5)), int(round((area / aspect) ** 0.5))
        if cw <= w and ch <= h:
            break
    else:
        cw, ch = w, h
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    c = im.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.5:
        c = c.transpose(Image.FLIP_LEFT_RIGHT)
    c.thumbnail((384, 384), Image.LANCZOS)
    return c


for n in range(n_distractors):
    crop(sources[rng.randrange(len(sources))][4]).save(f'{out}/gallery/d-{n:05d}.jpg', quality=90)
for n in range(n_whiten):
    crop(sources[rng.randrange(len(sources))][4]).save(f'{out}/whiten/w-{n:05d}.jpg', quality=90)
print(f'{len(originals)} originals x {len(edits)} edits, {n_distractors} distractors, '
      f'{n_whiten} whitening crops in {out}', file=sys.stderr)
