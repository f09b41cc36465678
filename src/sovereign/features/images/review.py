"""The merchant's decisions on alt text drafts: approve (as written or edited) or reject.

    await approve_alt(rt, "shop", 18, 301)                       # write the draft to image 301's alt
    await approve_alt(rt, "shop", 18, 301, text="Hoodie, front")  # or the merchant's edit
    await reject_alt(rt, "shop", 18, 301, reason="too vague")
"""

from __future__ import annotations


from sovereign.domain.descriptions import clean
from sovereign.features.images.check import write_alts
from sovereign.store.images import AltRow, ImageRepository
from sovereign.features.services import FeatureServices


__all__ = ["AltError", "AltNotFound", "approve_alt", "reject_alt"]

MAX_ALT = 250


class AltError(Exception):
    """A review action that cannot be done (see the message)."""


class AltNotFound(AltError, LookupError):
    pass


async def _row(rt: FeatureServices, store_id: str, product_id: int, image_id: int) -> AltRow:
    if await rt.stores.get(store_id) is None:
        raise AltNotFound(f"store {store_id!r} is not connected")
    row = await ImageRepository(rt.db.pool).get_alt(store_id, product_id, image_id)
    if row is None:
        raise AltNotFound(f"no alt text for image {image_id} of product {product_id} in store {store_id!r}")
    return row


async def approve_alt(rt: FeatureServices, store_id: str, product_id: int, image_id: int, text: str | None = None) -> AltRow:
    """Write the draft (or the merchant's edit) to the image's ``alt``; ``approved`` while the write is under way."""
    row = await _row(rt, store_id, product_id, image_id)
    final = " ".join(clean(text).split()) if text is not None else row.alt
    if not final:
        raise AltError("the approved alt text is empty")
    if len(final) > MAX_ALT:
        raise AltError(f"alt text is at most {MAX_ALT} characters")
    if text is None and row.status == "rejected":
        raise AltError("this alt text was refused; write your own text to approve it")
    store = await rt.store_or_fail(store_id)
    woo = rt.woo(store)
    current = (await woo.get_product(product_id)).get("images") or []
    if not any(img.get("id") == image_id for img in current):
        raise AltError(f"image {image_id} is no longer on product {product_id}; nothing was written")
    repo = ImageRepository(rt.db.pool)
    await repo.set_alt_status(store_id, product_id, image_id, "approved", alt=final)
    await write_alts(woo, product_id, {image_id: final})
    published = await repo.set_alt_status(store_id, product_id, image_id, "published")
    assert published is not None
    return published


async def reject_alt(rt: FeatureServices, store_id: str, product_id: int, image_id: int, reason: str | None = None) -> AltRow:
    row = await _row(rt, store_id, product_id, image_id)
    if row.status == "published":
        raise AltError("this alt text is already on the image; change it in WooCommerce")
    rejected = await ImageRepository(rt.db.pool).set_alt_status(
        store_id, product_id, image_id, "rejected", reason=reason or "rejected"
    )
    assert rejected is not None
    return rejected
