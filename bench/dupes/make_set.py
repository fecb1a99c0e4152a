# The near-duplicate benchmark's images: one picture per wallpaper of Debian's wallpaper packages
# (scaled to at most 1600 px, saved as JPEG q95: the "original"), and four edits of each:
# half size, JPEG re-encoded at quality 40, a 10 % crop (5 % off each side), a colour shift
# (saturation x0.75, brightness x1.12). Writes OUT/images/<n>-<edit>.jpg and OUT/truth.tsv.
import glob, os, sys
from PIL import Image, ImageEnhance

out = sys.argv[1]
os.makedirs(f'{out}/images', exist_ok=True)
sources = []
for d in sorted(glob.glob('/usr/share/wallpapers/*/contents/images')):  # plasma-workspace-wallpapers
    files = sorted(glob.glob(f'{d}/*.jpg') + glob.glob(f'{d}/*.png'), key=os.path.getsize)
    if files: sources.append(files[-1])  # the largest size of each wallpaper
sources += sorted(glob.glob('/usr/share/backgrounds/gnome/*-l.webp'))  # gnome-backgrounds, light
sources += sorted(glob.glob('/usr/share/desktop-base/*-theme/grub/grub-16x9.png'))  # desktop-base
with open(f'{out}/truth.tsv', 'w') as truth:
    for n, src in enumerate(sources):
        im = Image.open(src).convert('RGB')
        im.thumbnail((1600, 1600))
        w, h = im.size
        edits = {
            'original': im,
            'half': im.resize((w // 2, h // 2), Image.BILINEAR),
            'crop': im.crop((w // 20, h // 20, w - w // 20, h - h // 20)),
            'colour': ImageEnhance.Brightness(ImageEnhance.Color(im).enhance(0.75)).enhance(1.12),
        }
        for edit, e in edits.items():
            e.save(f'{out}/images/{n:03d}-{edit}.jpg', quality=95)
        im.save(f'{out}/images/{n:03d}-jpeg40.jpg', quality=40)
        truth.write(f'{n:03d}\t{src}\n')
print(f'{len(sources)} pictures, {5 * len(sources)} images')
