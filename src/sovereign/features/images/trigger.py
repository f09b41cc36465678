"""When a product delivery should check its images: created, or updated with images we have not seen.

Pure: the webhook receiver's planner (``features.routing``) calls
``plan_images``. What we last saw travels in the product itself: the meta
``_sovereign_image_findings`` we write after each check carries the images'
``signature``; a delivery whose images have that signature (our own write
coming back, or an edit of anything but the images) schedules nothing. The
job compares again with the database (``sovereign_image_products``), which is
the authority when the meta write failed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Sequence

__all__ = ["FINDINGS_META", "JOB", "dedupe_key", "plan_images", "seen_signature", "signature"]

FINDINGS_META = "_sovereign_image_findings"
JOB = "images.check"


def signature(images: Sequence[Mapping[str, Any]]) -> str:
    """sha256 over the images' ids and URLs in order (alt text and names are not part of it)."""
    ident = [[img.get("id"), str(img.get("src") or "")] for img in images if isinstance(img, Mapping)]
    return hashlib.sha256(json.dumps(ident, separators=(",", ":")).encode()).hexdigest()


def seen_signature(meta_value: Any) -> str | None:
    """The signature in our findings meta (a JSON object, or its text), if any."""
    if isinstance(meta_value, str):
        try:
            meta_value = json.loads(meta_value)
        except ValueError:
            return None
    if isinstance(meta_value, Mapping) and isinstance(meta_value.get("signature"), str):
        return meta_value["signature"]
    return None


def dedupe_key(store_id: str, product_id: int) -> str:
    return f"images:{store_id}:{int(product_id)}"


def plan_images(
    store_id: str, product_id: int | None, body: Mapping[str, Any], meta_value: Any, settings: Mapping[str, Any]
) -> tuple[dict[str, Any], str, float, str] | None:
    """``(args, dedupe_key, delay_s, detail)`` of the check to schedule, or None when there is nothing to check."""
    if product_id is None or not settings.get("images_enabled", True):
        return None
    images = body.get("images")
    if not isinstance(images, list):  # variations carry one "image", checked with their parent
        return None
    seen = seen_signature(meta_value)
    if not images and seen is None:
        return None
    if seen == signature(images):
        return None
    delay = float(settings.get("image_delay_s", 5.0))
    args = {"store": store_id, "product_id": int(product_id)}
    return args, dedupe_key(store_id, product_id), delay, f"product {product_id} queued for an image check"
