"""Product images measured and judged without any model: size, shape, weight, format, sharpness, sameness.

The flow the image feature runs::

    facts = measure(data)                      # bytes -> ImageFacts (Pillow, numpy, imagehash); raises NotAnImage
    problems = judge(facts, thresholds)        # -> [Finding]: too_small, blurry, heavy_file, ...
    dupes = duplicates(mine, others, max_distance=8)   # same photo on another product (perceptual hash)

``measure`` decodes bytes it is given; nothing here fetches, stores or logs.
Every finding carries a plain-language reason a shop owner can act on.

Pure: no I/O.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import imagehash
import numpy as np
from PIL import Image, UnidentifiedImageError

__all__ = [
    "ImageFacts",
    "Finding",
    "NotAnImage",
    "Thresholds",
    "WEB_FORMATS",
    "duplicates",
    "hamming",
    "judge",
    "measure",
    "sharpness",
]

# What browsers show everywhere; anything else is flagged (it may not display for every shopper).
WEB_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "AVIF"})
MAX_PIXELS = 50_000_000  # images larger than this are not decoded (decompression bombs)
SHARPNESS_SIDE = 512  # sharpness is measured on the image scaled to this longest side, so sizes compare


class NotAnImage(ValueError):
    """The bytes are not an image Pillow can read (whatever the Content-Type header said)."""


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What the bytes of one image are."""

    width: int
    height: int
    format: str  # Pillow's name for the decoded format: JPEG, PNG, WEBP, GIF, ...
    bytes: int
    sharpness: float  # variance of the Laplacian of the grey image at SHARPNESS_SIDE
    phash: str  # 64-bit perceptual hash, 16 hex digits

    @property
    def aspect(self) -> float:
        return self.width / self.height if self.height else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "width": self.width, "height": self.height, "format": self.format, "bytes": self.bytes,
            "sharpness": round(self.sharpness, 1), "phash": self.phash, "aspect": round(self.aspect, 3),
        }


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When an image is worth a finding. Defaults follow WooCommerce's own advice (800 px for zoom)."""

    min_side: int = 800  # shortest side in pixels; below: too small to zoom or to look sharp on large screens
    max_aspect: float = 2.0  # wider (or taller) than 2:1 gets cropped badly in square product grids
    max_bytes: int = 1_500_000  # heavier than this slows the product page for little visible gain
    min_sharpness: float = 20.0  # variance of the Laplacian below this: the photo looks blurred
    max_pixels: int = MAX_PIXELS

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> "Thresholds":
        d = cls()
        return cls(
            min_side=int(settings.get("image_min_side", d.min_side)),
            max_aspect=float(settings.get("image_max_aspect", d.max_aspect)),
            max_bytes=int(settings.get("image_max_file_bytes", d.max_bytes)),
            min_sharpness=float(settings.get("image_min_sharpness", d.min_sharpness)),
        )


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with one image (or with fetching it), said plainly."""

    code: str  # too_small | odd_aspect | heavy_file | blurry | unusual_format | duplicate | missing_alt | not_an_image | refused | unreachable
    reason: str
    image_id: int | None = None
    src: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "reason": self.reason, "image_id": self.image_id, "src": self.src}
        if self.detail:
            out["detail"] = dict(self.detail)
        return out


# ---------------------------------------------------------------------- measuring


def sharpness(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of a 2-D grey array: low means few edges, i.e. blurred."""
    a = grey.astype(np.float32, copy=False)
    if a.shape[0] < 3 or a.shape[1] < 3:
        return 0.0
    lap = a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:] - 4.0 * a[1:-1, 1:-1]
    return float(lap.var())


def measure(data: bytes, *, max_pixels: int = MAX_PIXELS) -> ImageFacts:
    """Decode ``data`` and measure it. The format comes from the bytes, never from a header or file name."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            fmt = str(im.format or "")
            width, height = im.size
            if width * height > max_pixels:
                raise NotAnImage(f"{width}×{height} pixels is more than the {max_pixels:,} allowed")
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
            im.draft("L", (SHARPNESS_SIDE, SHARPNESS_SIDE))  # JPEG: decode already scaled down (much faster)
            grey = im.convert("L")
    except NotAnImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise NotAnImage(f"not a readable image ({type(exc).__name__})") from None
    grey.thumbnail((SHARPNESS_SIDE, SHARPNESS_SIDE))
    return ImageFacts(
        width=width,
        height=height,
        format=fmt,
        bytes=len(data),
        sharpness=sharpness(np.asarray(grey)),
        phash=str(imagehash.phash(grey)),
    )


# ---------------------------------------------------------------------- judging


def _kb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{max(1, round(n / 1000))} KB"


def judge(facts: ImageFacts, t: Thresholds = Thresholds(), *, image_id: int | None = None, src: str = "") -> list[Finding]:
    """Everything about one measured image a shop owner should fix, each with a plain reason."""
    out: list[Finding] = []

    def add(code: str, reason: str, **detail: Any) -> None:
        out.append(Finding(code, reason, image_id, src, detail))

    short = min(facts.width, facts.height)
    if short < t.min_side:
        add("too_small", f"The image is only {facts.width}×{facts.height} pixels; use at least {t.min_side} pixels "
            "on the shorter side so it stays sharp when shoppers zoom in.", width=facts.width, height=facts.height)
    ratio = max(facts.aspect, 1 / facts.aspect) if facts.aspect else 0.0
    if ratio > t.max_aspect:
        add("odd_aspect", f"The image is {ratio:.1f} times wider than tall (or taller than wide); product grids "
            "crop it badly. A square or near-square photo works best.", aspect=round(facts.aspect, 3))
    if facts.bytes > t.max_bytes:
        add("heavy_file", f"The file weighs {_kb(facts.bytes)}; above {_kb(t.max_bytes)} it slows the product "
            "page. Save it as JPEG or WebP at about 80% quality.", bytes=facts.bytes)
    if facts.sharpness < t.min_sharpness:
        add("blurry", "The image looks blurred or out of focus (few sharp edges); shoppers trust sharp photos "
            "more. Replace it with a focused shot.", sharpness=round(facts.sharpness, 1))
    if facts.format not in WEB_FORMATS:
        add("unusual_format", f"The image is a {facts.format or 'unknown'} file, which not every browser shows; "
            "use JPEG, PNG or WebP.", format=facts.format)
    return out


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex perceptual hashes."""
    return int(int(a, 16) ^ int(b, 16)).bit_count()


def duplicates(
    mine: Mapping[Any, str], others: Iterable[tuple[Any, str]], *, max_distance: int = 8
) -> dict[Any, list[tuple[Any, int]]]:
    """For each of ``mine`` (key -> phash), the ``others`` (key, phash) within ``max_distance`` bits.

    Vectorised: one XOR and popcount over all others per image, so a catalogue
    of tens of thousands of images is compared in milliseconds.
    """
    others_list: Sequence[tuple[Any, str]] = list(others)
    if not mine or not others_list:
        return {k: [] for k in mine}
    keys = [k for k, _ in others_list]
    hashes = np.array([int(h, 16) for _, h in others_list], dtype=np.uint64)
    out: dict[Any, list[tuple[Any, int]]] = {}
    for key, h in mine.items():
        dist = np.bitwise_count(hashes ^ np.uint64(int(h, 16)))
        close = np.nonzero(dist <= max_distance)[0]
        out[key] = sorted(((keys[i], int(dist[i])) for i in close), key=lambda kv: kv[1])
    return out
