"""Description drafts: the review queue (``sovereign_description_drafts``) and the merchant's decisions.

A draft row is the record of what Sovereign wrote for a product and what became
of it: ``draft`` (waiting for review), ``approved`` (decided, being written),
``published`` (in the product's description), ``rejected``. The product
itself mirrors it in meta (``_sovereign_description_draft`` /
``_sovereign_description_status``), which is also the webhook loop guard.

Console and CLI call::

    await approve_draft(rt, "shop", 18)                     # publish the draft as is
    await approve_draft(rt, "shop", 18, text="Edited ...")  # or the merchant's edit
    await reject_draft(rt, "shop", 21, reason="too bland")
    await DraftRepository(rt.db.pool).list("shop", status="draft")
"""

from __future__ import annotations

from typing import Any, Mapping

from sovereign.domain.descriptions import clean
from sovereign.domain.safe_text import unsafe_fragments
from sovereign.features.descriptions.describe import to_html
from sovereign.features.storesync.routing import DESCRIPTION_STATUS_META, DRAFT_META
from sovereign.store.drafts import Draft, DraftError, DraftNotFound, DraftRepository
from sovereign.features.store_port import WooStore
from sovereign.features.services import FeatureServices


__all__ = [
    "Draft",
    "DraftError",
    "DraftNotFound",
    "DraftRepository",
    "approve_draft",
    "UnsafeDescription",
    "require_safe",
    "put_product",
    "reject_draft",
]


class UnsafeDescription(DraftError):
    """The text carries a link, email, phone number, shortcode, markup or instructions: never written."""


def require_safe(text: str, what: str = "the description") -> str:
    problems = unsafe_fragments(text)
    if problems:
        raise UnsafeDescription(f"{what} was not written: it contains {', '.join(problems)}; remove it and approve again")
    return text


async def put_product(
    woo: WooStore,
    product_id: int,
    *,
    parent_id: int | None = None,
    description: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write a product's (or, with ``parent_id``, a variation's) description and meta.

    Every path that writes a description (auto-publish, approve, a draft in meta) goes through here,
    so unsafe text is refused here (``UnsafeDescription``) whatever produced it.
    """
    if description is not None:
        require_safe(description)
    for value in (meta or {}).values():
        if isinstance(value, str):
            require_safe(value, "the description draft")
    if parent_id is None:
        return await woo.update_product(product_id, description=description, meta_data=meta)
    return await woo.update_variation(parent_id, product_id, description=description, meta_data=meta)


async def _draft_and_client(rt: FeatureServices, store_id: str, product_id: int) -> tuple[Draft, WooStore]:
    store = await rt.stores.get(store_id)
    if store is None:
        raise DraftNotFound(f"store {store_id!r} is not connected")
    draft = await DraftRepository(rt.db.pool).get(store_id, product_id)
    if draft is None:
        raise DraftNotFound(f"no description draft for product {product_id} of store {store_id!r}")
    return draft, rt.woo(store)


async def approve_draft(rt: FeatureServices, store_id: str, product_id: int, text: str | None = None) -> Draft:
    """Publish the draft, or the merchant's edit of it (``text``), as the product's description.

    The text is cleaned like a model answer (markup stripped, paragraphs
    normalised) and written as escaped ``<p>`` paragraphs with status
    ``published``. The row is ``approved`` while the write is under way, so a
    failed write leaves it there, retryable by approving again.
    """
    draft, woo = await _draft_and_client(rt, store_id, product_id)
    final = clean(text) if text is not None else draft.draft
    if not final:
        raise DraftError("the approved description is empty")
    require_safe(final)
    repo = DraftRepository(rt.db.pool)
    await repo.set_status(store_id, product_id, "approved", draft=final)
    meta = {DRAFT_META: final, DESCRIPTION_STATUS_META: "published"}
    await put_product(woo, product_id, parent_id=draft.parent_id, description=to_html(final), meta=meta)
    return await repo.set_status(store_id, product_id, "published")


async def reject_draft(rt: FeatureServices, store_id: str, product_id: int, reason: str | None = None) -> Draft:
    """Turn the draft down: the product keeps its (empty) description and is not described again on its own."""
    draft, woo = await _draft_and_client(rt, store_id, product_id)
    if draft.status == "published":
        raise DraftError(f"the description of product {product_id} is already published; edit it in WooCommerce")
    await put_product(woo, product_id, parent_id=draft.parent_id, meta={DESCRIPTION_STATUS_META: "rejected"})
    return await DraftRepository(rt.db.pool).set_status(store_id, product_id, "rejected", reason=reason or "rejected")
