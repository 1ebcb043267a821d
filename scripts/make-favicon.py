#!/usr/bin/python3
"""Draws apps/web/public/favicon.ico (16, 32 and 48 px) as apps/web/public/favicon.svg draws it: a blue rounded
square with three white bars. Browsers ask for /favicon.ico on pages that name no icon (JSON, CSV)."""
from pathlib import Path

from PIL import Image, ImageDraw

out = Path(__file__).resolve().parent.parent / 'apps/web/public/favicon.ico'
scale = 8  # draw at 256 px, then shrink: smooth edges
size = 32 * scale
img = Image.new('RGBA', (size, size), (0, 0, 0, 0))
d = ImageDraw.Draw(img)
d.rounded_rectangle([0, 0, size - 1, size - 1], radius=7 * scale, fill=(0x2B, 0x5F, 0xD9, 255))
for x, y, h in [(7, 17, 8), (14, 11, 14), (21, 7, 18)]:
    d.rounded_rectangle([x * scale, y * scale, (x + 4) * scale - 1, (y + h) * scale - 1], radius=scale, fill=(255, 255, 255, 255))
img.save(out, format='ICO', sizes=[(16, 16), (32, 32), (48, 48)])
print(f'wrote {out} ({out.stat().st_size} bytes)')
