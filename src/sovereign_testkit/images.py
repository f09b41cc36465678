"""Product photos made on the spot (Pillow) for the image tests and the benchmark: no files, no network.

    im = photo(7)                        # 1000×1000, a "product" of overlapping shapes on a background
    jpeg(im), png(im)                    # encoded bytes
    jpeg(blurred(im)), jpeg(im.resize((400, 400)))
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

__all__ = ["blurred", "jpeg", "photo", "png"]


def photo(seed: int, size: tuple[int, int] = (1000, 1000)) -> Image.Image:
    """A deterministic, detailed picture: a background, shapes, and a fine stripe texture (sharp edges)."""
    rng = random.Random(seed)
    w, h = size
    im = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))  # type: ignore[arg-type]
    d = ImageDraw.Draw(im)
    for _ in range(24):
        x, y = rng.randrange(w), rng.randrange(h)
        box = [x, y, x + rng.randrange(w // 20, w // 2), y + rng.randrange(h // 20, h // 2)]
        colour = tuple(rng.randrange(256) for _ in range(3))
        (d.rectangle if rng.random() < 0.5 else d.ellipse)(box, fill=colour)  # type: ignore[operator]
    step = max(2, w // 100)
    for x in range(rng.randrange(step), w, step * 2):  # a fine texture, like fabric or print
        d.line([(x, 0), (x, h // 3)], fill=(0, 0, 0), width=1)
    for _ in range(6):
        d.text((rng.randrange(w), rng.randrange(h)), "SOVEREIGN", fill=(255, 255, 255))
    return im


def blurred(im: Image.Image, radius: float = 6.0) -> Image.Image:
    return im.filter(ImageFilter.GaussianBlur(radius))


def jpeg(im: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    im.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()
