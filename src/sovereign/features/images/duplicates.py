"""The same photo on several products is a catalogue-wide fact: keep every product's ``duplicate`` findings true.

A product checked before its twin could not see it. ``sync_duplicates``
recomputes the duplicate findings from the stored perceptual hashes (no image
is fetched again) and, for each product whose findings changed, updates its
rows and its ``_sovereign_image_findings`` meta. The check of one product calls
it for the products it found twins on; ``sovereign images scan`` for all.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from sovereign.domain.images import Finding, duplicates
from sovereign.features.images.trigger import FINDINGS_META
from sovereign.store.images import ImageRepository, ImageRow, ProductRow
from sovereign.features.services import FeatureServices


__all__ = ["DUPLICATE_BITS", "duplicate_finding", "meta_value", "sync_duplicates"]

DUPLICATE_BITS = 8  # perceptual hashes this close (of 64 bits) are the same photo


def duplicate_finding(image_id: int | None, src: str, products: list[int], distance: int) -> Finding:
    named = ", ".join(str(p) for p in products[:5]) + (" …" if len(products) > 5 else "")
    return Finding(
        "duplicate",
        f"The same photo is also used on product {named}; shoppers cannot tell the products apart. "
        "Give each product its own photo.",
        image_id, src, {"products": products[:20], "distance": distance},
    )


def meta_value(row: ProductRow, checked_at: str | None = None) -> dict[str, Any]:
    """What ``_sovereign_image_findings`` holds for a product (the signature is the webhook loop guard)."""
    at = checked_at or (row.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ") if row.checked_at else "")
    return {"signature": row.signature, "checked_at": at, "images": row.images, "vision": row.vision,
            "findings": row.findings[:50]}


def _recomputed(pid: int, img: ImageRow, hits: list[tuple[tuple[int, int], int]]) -> list[dict[str, Any]]:
    kept = [f for f in img.findings if f.get("code") != "duplicate"]
    others = sorted({key[0] for key, _ in hits if key[0] != pid})
    if others:
        distance = min(d for key, d in hits if key[0] != pid)
        kept.append(duplicate_finding(img.image_id, img.src, others, distance).as_dict())
    return kept


async def sync_duplicates(rt: FeatureServices, store_id: str, only: Iterable[int] | None = None) -> list[int]:
    """Bring duplicate findings up to date (for ``only`` those products, else all); returns the products changed."""
    repo = ImageRepository(rt.db.pool)
    images = await repo.hashed_images(store_id)
    everyone = [((pid, img.position), img.phash or "") for pid, img in images]
    wanted = set(only) if only is not None else None

    def of(products: set[int] | None) -> dict[tuple[int, int], str]:
        return {(pid, img.position): img.phash or "" for pid, img in images if products is None or pid in products}

    mine = of(wanted)
    near = duplicates(mine, everyone, max_distance=DUPLICATE_BITS)
    if wanted is not None:  # their twins' findings name them too: bring those along
        more = {key[0] for hits in near.values() for key, _ in hits} - wanted
        if more:
            mine = of(wanted | more)
            near = duplicates(mine, everyone, max_distance=DUPLICATE_BITS)
    changes: dict[int, dict[int, list[dict[str, Any]]]] = defaultdict(dict)
    for pid, img in images:
        if (pid, img.position) not in mine:
            continue
        new = _recomputed(pid, img, near[(pid, img.position)])
        if new != img.findings:
            changes[pid][img.position] = new
    if not changes:
        return []
    store = await rt.store_or_fail(store_id)
    woo = rt.woo(store)
    for pid, by_position in changes.items():
        row = await repo.set_findings(store_id, pid, by_position)
        if row is not None:
            await woo.update_product(pid, meta_data={FINDINGS_META: meta_value(row)})
    return sorted(changes)
