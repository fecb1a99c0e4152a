#!/usr/bin/env python3
"""Derives distinct photo-like JPEGs of 1-12 megapixels from Debian's wallpaper packages
(plasma-workspace-wallpapers, gnome-backgrounds) for the ingestion benchmark: random crops,
scales and JPEG qualities of every large source image. Seeded, so a re-run makes the same files.

    python3 bench/ingest/make_photos.py --out out/bench/photos --count 2000
"""
import argparse
import glob
import os
import random
import sys

from PIL import Image

SOURCES = ["/usr/share/wallpapers/*/contents/images*/*", "/usr/share/backgrounds/gnome/*"]
EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


def sources():
    found = []
    for pattern in SOURCES:
        for path in glob.glob(pattern):
            if path.lower().endswith(EXTENSIONS) and os.path.getsize(path) > 200_000:
                found.append(path)
    return sorted(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    paths = sources()
    if not paths:
        sys.exit("make_photos: no wallpapers found; install plasma-workspace-wallpapers and "
                 "gnome-backgrounds (scripts/install-deps.sh --bench)")
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    per_source = [args.count // len(paths) + (i < args.count % len(paths)) for i in range(len(paths))]
    n = 0
    for path, k in zip(paths, per_source):
        with Image.open(path) as im:
            src = im.convert("RGB")
        w, h = src.size
        for _ in range(k):
            megapixels = rng.uniform(1.0, 12.0)
            # A crop of 30-100 % of each side, then scaled to the wanted pixel count.
            cw = max(64, int(w * rng.uniform(0.3, 1.0)))
            ch = max(64, int(h * rng.uniform(0.3, 1.0)))
            x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
            scale = (megapixels * 1e6 / (cw * ch)) ** 0.5
            size = (max(64, int(cw * scale)), max(64, int(ch * scale)))
            img = src.crop((x, y, x + cw, y + ch)).resize(size, Image.BILINEAR)
            img.save(os.path.join(args.out, f"photo-{n:05d}.jpg"), "JPEG",
                     quality=rng.randint(70, 95))
            n += 1
        print(f"\r{n} / {args.count} photos", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"make_photos: {n} JPEGs from {len(paths)} wallpapers in {args.out} "
          f"({total / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()
