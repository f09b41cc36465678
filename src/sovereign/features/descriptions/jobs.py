"""Product descriptions: the ``descriptions.generate`` job, bulk scheduling and the review actions.

The webhook receiver schedules ``descriptions.generate`` for a product created
or updated with an empty description (``features/routing``). The job reads the
product fresh, describes it (``Describer``: the model through the gateway,
checked, or the template) and writes back according to the store's
``description_mode``:

* ``review`` (default): meta ``_sovereign_description_draft`` = the text and
  ``_sovereign_description_status`` = ``draft``; the merchant approves or
  rejects it (``approve_draft`` / ``reject_draft``);
* ``auto_publish``: the ``description`` itself (escaped ``<p>`` paragraphs) and
  status ``published``.

Either way the product then carries our meta, so the ``product.updated``
WooCommerce fires for our own write is loop-guarded by the receiver.

Store settings read (``StoreRecord.settings``): ``descriptions_enabled``,
``description_mode``, ``tone``, ``currency``, ``describe_variations``,
``description_max_tokens``, ``description_timeout_s``, ``description_grounded``,
``description_style_examples`` (0 to 3, default 2: the store's own descriptions
of similar products shown to the model for style, ``features.descriptions.style``),
``description_language`` (the shop's language: ``de_DE``, ``fr``, ``German``; default: the
store's own ``language``, read from WooCommerce at connect, else English;
``domain.shop_language`` lists those supported).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Literal, Mapping

from pydantic import BaseModel

from sovereign.domain.products import Product
from sovereign.domain.shop_language import LANGUAGES, is_supported
from sovereign.features.descriptions.describe import Described, Describer, drift_outcome, to_html
from sovereign.features.descriptions.drafts import (
    Draft,
    DraftError,
    DraftNotFound,
    DraftRepository,
    approve_draft,
    put_product,
    reject_draft,
)
from sovereign.features.storesync.routing import DESCRIPTION_STATUS_META, DRAFT_META
from sovereign.jobs import BulkItem, JobContext, JobRegistry, Scheduled
from sovereign.woo.errors import NotFoundError
from sovereign.features.services import FeatureServices
from sovereign.features.drift import DRIFT


__all__ = [
    "Described",
    "Describer",
    "DescriptionSettings",
    "Draft",
    "DraftError",
    "DraftNotFound",
    "DraftRepository",
    "GenerateArgs",
    "Outcome",
    "approve_draft",
    "dedupe_key",
    "generate_description",
    "register",
    "reject_draft",
    "schedule_bulk",
    "to_html",
]

log = logging.getLogger("sovereign.descriptions")

JOB = "descriptions.generate"
Mode = Literal["review", "auto_publish"]


@dataclass(frozen=True, slots=True)
class DescriptionSettings:
    """The store's description settings, typed, with their defaults."""

    enabled: bool = True
    mode: Mode = "review"
    tone: str | None = None
    currency: str | None = None
    describe_variations: bool = False
    max_tokens: int = 400
    timeout_s: float = 300.0  # background: may wait behind other requests on the local model
    grounded: bool = True  # sentences that name their facts (domain.grounded); False: free text, checked
    style_examples: int = 2  # the store's own descriptions shown for style (grounded mode); 0: none
    language: str = "en"  # the shop's language (domain.shop_language); unsupported ones are written in English

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> "DescriptionSettings":
        mode = settings.get("description_mode", "review")
        if mode not in ("review", "auto_publish"):
            log.warning("unknown description_mode %r: using review", mode)
            mode = "review"
        return cls(
            enabled=bool(settings.get("descriptions_enabled", True)),
            mode=mode,
            tone=settings.get("tone") or None,
            currency=settings.get("currency") or None,
            describe_variations=bool(settings.get("describe_variations", False)),
            max_tokens=int(settings.get("description_max_tokens", 400)),
            timeout_s=float(settings.get("description_timeout_s", 300.0)),
            grounded=bool(settings.get("description_grounded", True)),
            style_examples=max(0, min(3, int(settings.get("description_style_examples", 2)))),
            language=_language(settings.get("description_language") or settings.get("language")),
        )


_warned_languages: set[str] = set()


def _language(value: Any) -> str:
    code = str(value or "en")
    if not is_supported(code):
        if code not in _warned_languages:  # once per process and value, not once per product
            _warned_languages.add(code)
            log.warning("description_language %r is not supported (%s): descriptions are written in English",
                        code, ", ".join(sorted(LANGUAGES)))
        return "en"
    return code


class GenerateArgs(BaseModel):
    store: str
    product_id: int
    force: bool = False  # describe even if the product already carries a Sovereign draft or status


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Literal["drafted", "published", "skipped"]
    detail: str
    described: Described | None = None


def dedupe_key(store_id: str, product_id: int) -> str:
    """The key the webhook receiver uses too: one pending description job per product."""
    return f"describe:{store_id}:{int(product_id)}"


def _skip_reason(product: Product, cfg: DescriptionSettings, force: bool) -> str | None:
    if not force and (product.meta.get(DESCRIPTION_STATUS_META) or product.meta.get(DRAFT_META)):
        status = product.meta.get(DESCRIPTION_STATUS_META) or "draft"
        return f"already has a Sovereign description ({status})"
    if not product.needs_description:
        return "already has a description"
    if product.is_variation and not cfg.describe_variations:
        return "is a variation (describe_variations is off)"
    return None


async def generate_description(rt: FeatureServices, store_id: str, product_id: int, *, force: bool = False) -> Outcome:
    """Describe one product now and write the result back (review draft or published)."""
    store = await rt.store_or_fail(store_id)
    cfg = DescriptionSettings.of(store.settings)
    if not cfg.enabled:
        return Outcome("skipped", f"product {product_id}: descriptions are off for store {store_id}")
    woo = rt.woo(store)
    try:
        body = await woo.get_product(product_id)
    except NotFoundError:
        return Outcome("skipped", f"product {product_id} no longer exists")
    product = Product.from_rest(body, currency=cfg.currency)
    reason = _skip_reason(product, cfg, force)
    if reason is not None:
        log.info("product %s of %s skipped: %s", product_id, store_id, reason)
        return Outcome("skipped", f"product {product_id} {reason}")

    describer = Describer(rt.gateway, max_tokens=cfg.max_tokens, timeout_s=cfg.timeout_s, grounded=cfg.grounded)
    started = time.monotonic()
    examples = (
        await rt.style.for_product(store_id, woo, product, k=cfg.style_examples, currency=cfg.currency)
        if cfg.grounded and cfg.style_examples
        else []
    )
    described = await describer.describe(product, tone=cfg.tone, examples=examples, language=cfg.language)
    DRIFT.observe("descriptions", described.model or "none", drift_outcome(described), time.monotonic() - started)
    repo = DraftRepository(rt.db.pool)
    parent = product.parent_id if product.is_variation else None
    # The row first: if the write to WooCommerce fails for good, the draft still waits for review.
    if cfg.mode == "auto_publish":
        await repo.save(store_id, product_id, described, status="approved", parent_id=parent)
        meta = {DESCRIPTION_STATUS_META: "published"}
        await put_product(woo, product_id, parent_id=parent, description=to_html(described.text), meta=meta)
        await repo.set_status(store_id, product_id, "published")
        status: Literal["drafted", "published"] = "published"
    else:
        await repo.save(store_id, product_id, described, status="draft", parent_id=parent)
        meta = {DRAFT_META: described.text, DESCRIPTION_STATUS_META: "draft"}
        await put_product(woo, product_id, parent_id=parent, meta=meta)
        status = "drafted"
    detail = f"product {product_id} {status} from the {described.source}" + (
        f" ({described.reason})" if described.reason else ""
    )
    log.info("%s (store %s)", detail, store_id)
    return Outcome(status, detail, described)


async def schedule_bulk(
    rt: FeatureServices,
    store_id: str,
    product_ids: Iterable[int],
    interval_s: float,
    *,
    start: datetime | None = None,
    force: bool = False,
) -> list[Scheduled]:
    """Schedule descriptions for many products (a bulk import), staggered: product i at ``start + i × interval_s``.

    Each product gets the receiver's dedupe key, so a product already waiting
    (from a webhook or an earlier bulk call) is not scheduled twice; repeated
    ids are scheduled once.
    """
    if interval_s < 0:
        raise ValueError("interval_s must not be negative")
    ids = list(dict.fromkeys(int(p) for p in product_ids))
    items = [BulkItem({"store": store_id, "product_id": p, "force": force}, dedupe_key(store_id, p)) for p in ids]
    return await rt.queue.schedule_many(JOB, items, start=start, interval=interval_s)


async def _generate_job(args: GenerateArgs, ctx: JobContext[FeatureServices]) -> None:
    await generate_description(ctx.services, args.store, args.product_id, force=args.force)


def register(registry: JobRegistry) -> None:
    """Register this feature's jobs and schedules."""
    registry.job(JOB, group="descriptions", max_attempts=5, backoff_base_s=5.0, timeout_s=600.0)(_generate_job)
