"""One product's image check, end to end: the ``images.check`` job and ``sovereign images scan`` call this.

    outcome = await check_product(rt, "shop", 18)          # force=True: even if the images did not change
    outcome.status, outcome.findings, outcome.vision

1. read the product fresh; skip when its images have the signature we last saw;
2. the floor: fetch and measure each image (``inspect``), find the same photo on
   other products (perceptual hash within ``DUPLICATE_BITS``);
3. with a vision-capable provider: alt text and a match check per image
   (``alt``): a draft for review (``image_mode = review``) or written to the
   image's ``alt`` (``auto``); without one, or when it is down, the floor
   only, and the outcome says so;
4. the database first (``sovereign_image_products`` / ``_checks`` / ``_alt``),
   then the product: meta ``_sovereign_image_findings`` (and, in auto mode, the
   images' alt) in one REST write.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal

from sovereign.domain.descriptions import facts as product_facts
from sovereign.domain.images import Finding, duplicates
from sovereign.domain.products import Product
from sovereign.features.images.alt import AltAnswer, AltWriter
from sovereign.features.images.config import ImageSettings
from sovereign.features.images.duplicates import DUPLICATE_BITS, duplicate_finding, meta_value, sync_duplicates
from sovereign.features.images.fetch import FetchPolicy, ImageFetcher
from sovereign.features.images.inspect import ImageResult, inspect_images
from sovereign.features.images.trigger import FINDINGS_META, signature
from sovereign.store.images import AltRow, ImageRepository, ImageRow, ProductRow
from sovereign.woo.errors import NotFoundError
from sovereign.features.services import FeatureServices
from sovereign.features.store_port import StoreProducts

__all__ = ["CheckOutcome", "check_product", "write_alts"]

log = logging.getLogger("sovereign.images")

NO_VISION = "floor_only: no vision-capable provider is configured"


@dataclass
class CheckOutcome:
    status: Literal["checked", "skipped"]
    detail: str
    product_id: int
    findings: list[Finding] = field(default_factory=list)
    vision: str = "off"
    alts: list[AltRow] = field(default_factory=list)


def _duplicate_findings(results: list[ImageResult], others: list[Any]) -> set[int]:
    """Add a finding to each image that another product also shows; returns those other products."""
    mine = {r.position: r.facts.phash for r in results if r.facts is not None}
    partners: set[int] = set()
    for position, hits in duplicates(mine, others, max_distance=DUPLICATE_BITS).items():
        if not hits:
            continue
        r = results[position]
        products = sorted({key[0] for key, _ in hits})
        partners.update(products)
        r.findings.append(duplicate_finding(r.image_id, r.src, products, hits[0][1]))
    return partners


async def _vision(
    rt: FeatureServices, cfg: ImageSettings, store_id: str, product: Product, results: list[ImageResult]
) -> tuple[str, list[AltRow]]:
    """Alt text and match checks; returns what the step did and the alt rows to save (not yet saved)."""
    if cfg.alt == "off":
        return "off", []
    writer = AltWriter.for_gateway(rt.gateway, data_class=cfg.data_class)
    if writer is None:
        return NO_VISION, []
    f = product_facts(product)
    rows: list[AltRow] = []
    for r in results:
        if r.data is None or r.image_id is None or (cfg.alt == "missing" and r.alt):
            continue
        answer: AltAnswer = await writer.describe(f, r.data, language=cfg.language, product_id=product.id)
        if answer.status == "unavailable":
            return f"floor_only: {answer.reason}", rows  # fail open: no more calls for this product
        if answer.shows_product is False:
            r.findings.append(Finding(
                "mismatch",
                "The image may not show this product" + (f": {answer.reason}" if answer.reason else "."),
                r.image_id, r.src,
            ))
        if answer.status == "refused":
            why = "refused by the check: " + ", ".join(answer.problems)
            rows.append(AltRow(store_id, int(product.id or 0), r.image_id, r.src, answer.alt or "-", "rejected",
                               answer.shows_product, answer.reason or None, answer.model, why))
            continue
        status = "approved" if cfg.mode == "auto" else "draft"
        rows.append(AltRow(store_id, int(product.id or 0), r.image_id, r.src, answer.alt, status,
                           answer.shows_product, answer.reason or None, answer.model))
    return "ok", rows


async def write_alts(woo: StoreProducts, product_id: int, alts: dict[int, str], meta: dict[str, Any] | None = None) -> None:
    """Set the alt of some images (by id), keeping every image and its order; with ``meta``, in the same write.

    WooCommerce replaces a product's whole ``images`` list on a write, so the
    list is read fresh and sent back complete.
    """
    images = None
    if alts:
        current = (await woo.get_product(product_id)).get("images") or []
        images = [
            {"id": img["id"], "alt": alts.get(img["id"], img.get("alt") or "")} for img in current if "id" in img
        ]
    if images is not None or meta is not None:
        await woo.update_product(product_id, meta_data=meta, images=images)


async def check_product(rt: FeatureServices, store_id: str, product_id: int, *, force: bool = False) -> CheckOutcome:
    store = await rt.store_or_fail(store_id)
    cfg = ImageSettings.of(store.settings)
    if not cfg.enabled:
        return CheckOutcome("skipped", f"product {product_id}: image checks are off for store {store_id}", product_id)
    woo = rt.woo(store)
    try:
        body = await woo.get_product(product_id)
    except NotFoundError:
        return CheckOutcome("skipped", f"product {product_id} no longer exists", product_id)
    images = body.get("images") if isinstance(body.get("images"), list) else []
    sig = signature(images)
    repo = ImageRepository(rt.db.pool)
    if not force and await repo.last_signature(store_id, product_id) == sig:
        return CheckOutcome("skipped", f"product {product_id}: images unchanged since the last check", product_id)

    policy = FetchPolicy(store.url, cfg.hosts, max_bytes=cfg.max_bytes, timeout_s=cfg.timeout_s)
    async with ImageFetcher(policy) as fetcher:
        results = await inspect_images(fetcher, images, cfg.thresholds)
    others = await repo.other_hashes(store_id, product_id)
    twins = _duplicate_findings(results, others)
    twins.update(await repo.twins_of(store_id, product_id))  # products that named us as their twin before

    product = Product.from_rest(body)
    vision, alts = await _vision(rt, cfg, store_id, product, results)
    written = {a.image_id for a in alts if a.status == "approved"}  # auto mode: their alt is being written now
    for r in results:
        if r.image_id in written:
            r.findings = [f for f in r.findings if f.code != "missing_alt"]
    findings = [f for r in results for f in r.findings]

    # The rows first: if the write to WooCommerce fails for good, the findings and drafts are still ours.
    row = ProductRow(store_id, product_id, sig, len(results), [f.as_dict() for f in findings], vision)
    await repo.save_product(
        row,
        [ImageRow(r.position, r.image_id, r.src, r.sha256, r.facts.phash if r.facts else None,
                  r.facts.as_dict() if r.facts else None, [f.as_dict() for f in r.findings]) for r in results],
    )
    saved = [await repo.save_alt(a) for a in alts]
    publish = {a.image_id: a.alt for a in saved if a.status == "approved"}
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        await write_alts(woo, product_id, publish, {FINDINGS_META: meta_value(row, now)})
    except BaseException:
        await repo.forget_signature(store_id, product_id)  # the retry checks again instead of "unchanged"
        raise
    for image_id in publish:
        await repo.set_alt_status(store_id, product_id, image_id, "published")
    saved = [replace(a, status="published") if a.image_id in publish else a for a in saved]
    try:  # our twins (old and new) now name us, or no longer do; and a twin checked at the same time is seen
        await sync_duplicates(rt, store_id, only={product_id} | twins)
    except Exception as exc:  # noqa: BLE001 - this product is done; `sovereign images scan` syncs them all
        log.warning("duplicate findings of products %s not updated: %r", sorted(twins), exc)
    detail = f"product {product_id}: {len(results)} images, {len(findings)} findings, vision {vision}"
    log.info("%s (store %s)", detail, store_id)
    return CheckOutcome("checked", detail, product_id, findings, vision, saved)
