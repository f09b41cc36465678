"""One product's images fetched and measured: the deterministic floor, no model involved.

    results = await inspect_images(fetcher, product_body["images"], thresholds)
    # one ImageResult per image, in order: facts (None when not fetched or not an image), findings, bytes

A refused or failed fetch, or bytes that are not an image, is a finding of its
own; nothing here raises for one bad image, so the other images of the
product are still checked.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from sovereign.domain.images import Finding, ImageFacts, NotAnImage, Thresholds, judge, measure
from sovereign.features.images.fetch import FetchFailed, FetchRefused, ImageFetcher

__all__ = ["ImageResult", "inspect_images", "missing_alt"]

CONCURRENCY = 4  # images of one product fetched at once


@dataclass
class ImageResult:
    position: int
    image_id: int | None
    src: str
    alt: str
    facts: ImageFacts | None = None
    sha256: str | None = None
    findings: list[Finding] = field(default_factory=list)
    data: bytes | None = field(default=None, repr=False)  # kept for the vision step, never stored


def missing_alt(image_id: int | None, src: str) -> Finding:
    return Finding(
        "missing_alt",
        "The image has no alt text, so shoppers who use a screen reader do not know what it shows "
        "(the European Accessibility Act requires it).",
        image_id, src,
    )


async def _inspect(fetcher: ImageFetcher, position: int, image: Mapping[str, Any], t: Thresholds) -> ImageResult:
    image_id = image.get("id") if isinstance(image.get("id"), int) else None
    src = str(image.get("src") or "")
    result = ImageResult(position, image_id, src, str(image.get("alt") or "").strip())
    if not result.alt:
        result.findings.append(missing_alt(image_id, src))
    try:
        fetched = await fetcher.fetch(src)
    except FetchRefused as exc:
        result.findings.append(Finding("refused", f"The image was not fetched: {exc}.", image_id, src))
        return result
    except FetchFailed as exc:
        result.findings.append(Finding("unreachable", f"The image could not be loaded: {exc}.", image_id, src))
        return result
    result.sha256 = hashlib.sha256(fetched.data).hexdigest()
    try:
        result.facts = await asyncio.to_thread(measure, fetched.data, max_pixels=t.max_pixels)
    except NotAnImage as exc:
        said = fetched.content_type.split(";")[0].strip() or "no type"
        result.findings.append(Finding(
            "not_an_image",
            f"The file at this address is not an image ({exc}), although the server calls it {said}; "
            "shoppers see a broken picture.",
            image_id, src, {"content_type": said, "bytes": len(fetched.data)},
        ))
        return result
    result.data = fetched.data
    result.findings.extend(judge(result.facts, t, image_id=image_id, src=src))
    return result


async def inspect_images(fetcher: ImageFetcher, images: Sequence[Any], t: Thresholds) -> list[ImageResult]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(position: int, image: Any) -> ImageResult:
        async with gate:
            return await _inspect(fetcher, position, image if isinstance(image, Mapping) else {}, t)

    return list(await asyncio.gather(*(one(i, img) for i, img in enumerate(images))))
