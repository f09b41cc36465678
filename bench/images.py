"""The image floor: how many product images per second it checks, and how well it finds the same photo twice.

Throughput: ``--images`` distinct 1000×1000 JPEG photos (made here with Pillow,
seeded; ~90 KB each) are served by the fake store's uploads folder on
127.0.0.1 (a real HTTP server, same process). The floor checks them the way
the ``images.check`` job does: ``ImageFetcher`` (allowed-host check, pinned
address, streamed read with the size cap) then ``measure`` + ``judge`` in a
worker thread, ``--concurrency`` images at a time.

* ``floor_images_per_s``: images fetched, measured and judged per second (target >= 20).
* baseline ``naive_images_per_s``: the same measurements on the same bytes
  with no fetch at all but a naive decode (full resolution, no JPEG draft
  scaling), one at a time; ``ratio_vs_naive`` = floor / naive.

Duplicates: ``--originals`` distinct photos; for half of them one copy
changed the way shops change a photo (resized to 35-90 %, re-encoded as JPEG
at quality 55-90, or as PNG or WebP, sometimes brightened by up to 8 % or
cropped by up to 3 % at one edge). Every image is measured; two images are
"the same photo" when their perceptual hashes are within ``DUPLICATE_BITS``.

* ``duplicate_precision`` / ``duplicate_recall`` over all image pairs (targets >= 0.95 each);
* baseline ``sha256_recall``: identical bytes only (what a checksum finds).

Usage: ``python bench/images.py [--images 200] [--originals 400] [--concurrency 4] [--seed 7]``
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import random
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import imagehash  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageEnhance  # noqa: E402

from sovereign.domain.images import Thresholds, judge, measure, sharpness  # noqa: E402
from sovereign.features.images.duplicates import DUPLICATE_BITS  # noqa: E402
from sovereign.domain.images import duplicates  # noqa: E402
from sovereign.features.images.fetch import FetchPolicy, ImageFetcher  # noqa: E402
from sovereign_testkit.fake_woo import FakeWooStore  # noqa: E402
from sovereign_testkit.images import jpeg, photo, png  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- throughput


def naive_measure(data: bytes) -> tuple[int, int, float, str]:
    """The baseline: decode at full resolution, Laplacian and hash on the full image."""
    im = Image.open(io.BytesIO(data))
    im.load()
    grey = im.convert("L")
    return im.width, im.height, sharpness(np.asarray(grey)), str(imagehash.phash(grey))


async def throughput(n: int, concurrency: int, seed: int) -> dict[str, Any]:
    blobs = [jpeg(photo(seed * 100_000 + i)) for i in range(n)]
    async with FakeWooStore() as shop:
        srcs = [shop.media.add(f"p{i}.jpg", b) for i, b in enumerate(blobs)]
        gate = asyncio.Semaphore(concurrency)
        t = Thresholds()
        findings = 0

        async def one(fetcher: ImageFetcher, src: str) -> None:
            nonlocal findings
            async with gate:
                got = await fetcher.fetch(src)
                facts = await asyncio.to_thread(measure, got.data)
                findings += len(judge(facts, t, src=src))

        async with ImageFetcher(FetchPolicy(shop.url)) as fetcher:
            await one(fetcher, srcs[0])  # warm: connection pool, imports
            start = time.perf_counter()
            await asyncio.gather(*(one(fetcher, s) for s in srcs))
            floor_s = time.perf_counter() - start
    start = time.perf_counter()
    for b in blobs:
        naive_measure(b)
    naive_s = time.perf_counter() - start
    return {
        "images": n,
        "image_bytes_mean": round(sum(map(len, blobs)) / n),
        "floor_images_per_s": round(n / floor_s, 1),
        "naive_images_per_s": round(n / naive_s, 1),
        "ratio_vs_naive": round(naive_s / floor_s, 2),
        "floor_findings": findings,
    }


# ---------------------------------------------------------------------- duplicates


def variant(im: Image.Image, rng: random.Random) -> bytes:
    """The same photo as a shop would re-upload it."""
    out = im
    if rng.random() < 0.3:  # crop up to 3 % at one edge
        w, h = out.size
        cut = int(w * rng.uniform(0.005, 0.03))
        out = out.crop(rng.choice([(cut, 0, w, h), (0, cut, w, h), (0, 0, w - cut, h), (0, 0, w, h - cut)]))
    scale = rng.uniform(0.35, 0.9)
    out = out.resize((max(64, int(out.width * scale)), max(64, int(out.height * scale))), Image.LANCZOS)
    if rng.random() < 0.3:
        out = ImageEnhance.Brightness(out).enhance(rng.uniform(0.92, 1.08))
    kind = rng.random()
    if kind < 0.7:
        return jpeg(out, quality=rng.randrange(55, 91))
    if kind < 0.85:
        return png(out)
    buf = io.BytesIO()
    out.save(buf, "WEBP", quality=80)
    return buf.getvalue()


def duplicate_quality(originals: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    images: list[tuple[int, bytes]] = []  # (photo id, bytes)
    for i in range(originals):
        im = photo(seed * 1_000_000 + i, (rng.choice([800, 1000, 1200]), rng.choice([800, 1000, 1200])))
        images.append((i, jpeg(im, quality=rng.randrange(75, 95))))
        if i % 2 == 0:
            images.append((i, variant(im, rng)))
    hashes = {k: measure(data).phash for k, (_, data) in enumerate(images)}
    near = duplicates(hashes, list(hashes.items()), max_distance=DUPLICATE_BITS)
    predicted = {tuple(sorted((a, b))) for a, hits in near.items() for b, _ in hits if a != b}
    truth = {(a, b) for a, b in combinations(range(len(images)), 2) if images[a][0] == images[b][0]}
    sha = [hashlib.sha256(d).hexdigest() for _, d in images]
    by_sha = {(a, b) for a, b in combinations(range(len(images)), 2) if sha[a] == sha[b]}
    tp = len(predicted & truth)
    return {
        "originals": originals,
        "images_hashed": len(images),
        "duplicate_pairs": len(truth),
        "distinct_pairs": len(images) * (len(images) - 1) // 2 - len(truth),
        "duplicate_precision": round(tp / len(predicted), 4) if predicted else 1.0,
        "duplicate_recall": round(tp / len(truth), 4) if truth else 1.0,
        "false_pairs": len(predicted - truth),
        "missed_pairs": len(truth - predicted),
        "sha256_recall": round(len(by_sha & truth) / len(truth), 4) if truth else 1.0,
        "max_distance_bits": DUPLICATE_BITS,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--originals", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    log(f"floor throughput over {args.images} 1000x1000 JPEGs served on 127.0.0.1 ...")
    speed = asyncio.run(throughput(args.images, args.concurrency, args.seed))
    log(f"duplicate detection over {args.originals} photos ...")
    dupes = duplicate_quality(args.originals, args.seed)
    out = {
        "bench": "images",
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "concurrency": args.concurrency,
        **speed,
        "target_images_per_s": 20,
        "ratio_vs_target": round(speed["floor_images_per_s"] / 20, 2),
        **dupes,
        "targets_met": speed["floor_images_per_s"] >= 20 and dupes["duplicate_precision"] >= 0.95
        and dupes["duplicate_recall"] >= 0.95,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
