"""One order scored end to end, without touching WooCommerce: store settings → rules → AI review → decision.

Shared by the jobs (``fraud.score``, ``fraud.rescore``) and the inline
endpoint; they differ only in the AI review's time budget and in what they do
with the result (write back, or answer the caller).

    settings = FraudSettings.of(store.settings)            # InvalidFraudSettings on a bad config
    order, rules = await rules_for(repo, store.id, order, settings.config)
    review = await review_order(gateway, order, rules, timeout_s=60)
    scored = conclude(order, rules, review, settings.config)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping

from pydantic import ValidationError

from sovereign.domain.fraud import (
    META_REASONS,
    META_SCORE,
    Decision,
    FraudAssessment,
    FraudConfig,
    RulesResult,
    build_history,
    combine,
    decide,
    score,
)
from sovereign.domain.money import PriceFormat
from sovereign.domain.orders import Order

from sovereign.features.fraud.review import Review
from sovereign.store.fraud_results import FraudRepository, category_ids

__all__ = [
    "DEFAULT_RESCORE_DELAY_S",
    "FraudSettings",
    "InvalidFraudSettings",
    "Scored",
    "conclude",
    "rules_for",
    "score_meta",
]

log = logging.getLogger("sovereign.fraud")

DEFAULT_RESCORE_DELAY_S = 60.0

ProductFetch = Callable[[int], Awaitable[Mapping[str, Any]]]


class InvalidFraudSettings(ValueError):
    """The store's ``fraud`` settings do not validate; the message says which key and why."""


@dataclass(frozen=True, slots=True)
class FraudSettings:
    """A store's fraud settings. Store settings keys: ``fraud`` (a ``FraudConfig`` override),
    ``fraud_llm`` (bool, default true: ask the AI review), ``fraud_rescore_delay_s`` (seconds
    before a re-score after the AI review failed, default 60)."""

    config: FraudConfig
    llm: bool = True
    rescore_delay_s: float = DEFAULT_RESCORE_DELAY_S

    @classmethod
    def of(cls, store_settings: Mapping[str, Any] | None) -> "FraudSettings":
        s = store_settings or {}
        try:
            config = FraudConfig().merged(s.get("fraud") or {}).with_price_format(PriceFormat.of(s))
        except (ValidationError, TypeError, ValueError) as exc:
            raise InvalidFraudSettings(f"the store's fraud settings are invalid: {_first_error(exc)}") from None
        try:
            delay = max(0.0, float(s.get("fraud_rescore_delay_s", DEFAULT_RESCORE_DELAY_S)))
        except (TypeError, ValueError):
            raise InvalidFraudSettings("fraud_rescore_delay_s must be a number of seconds") from None
        return cls(config=config, llm=bool(s.get("fraud_llm", True)), rescore_delay_s=delay)


@dataclass(frozen=True, slots=True)
class Scored:
    order: Order
    rules: RulesResult
    review: Review
    assessment: FraudAssessment
    decision: Decision

    @property
    def decision_name(self) -> str:
        """``hold``, ``monitor`` (at/above the threshold in monitor mode) or ``none``."""
        if self.decision.hold:
            return "hold"
        return "monitor" if self.decision.note_text else "none"

    @property
    def meta(self) -> dict[str, Any]:
        return score_meta(self.assessment)


def score_meta(assessment: FraudAssessment) -> dict[str, Any]:
    """The two meta keys, written on every scored order (below the threshold too: the loop guard reads them)."""
    return {META_SCORE: str(assessment.score), META_REASONS: [r.text for r in assessment.reasons]}


async def rules_for(
    repo: FraudRepository,
    store_id: str | None,
    order: Order,
    config: FraudConfig,
    *,
    fetch_product: ProductFetch | None = None,
) -> tuple[Order, RulesResult]:
    """The rules' result for ``order`` against the store's history (none without a store).

    Category overrides need the products' categories: they come from the
    product bodies the store sent, then from ``fetch_product`` (REST) for the
    rest. Returns the order with its categories and the result.
    """
    if store_id is None:
        return order, score(order, build_history(order, (), config=config), config)
    if config.categories:
        order = order.with_categories(await _catalogue(repo, store_id, order, fetch_product))
    earlier = await repo.earlier_orders(store_id, order)
    held = await repo.flagged_ids(store_id)
    history = build_history(order, earlier, config=config, held_ids=held)
    return order, score(order, history, config)


def conclude(order: Order, rules: RulesResult, review: Review, config: FraudConfig) -> Scored:
    assessment = combine(rules, review.answer, max_raise=config.llm_max_raise)
    return Scored(order, rules, review, assessment, decide(assessment, config))


async def _catalogue(
    repo: FraudRepository, store_id: str, order: Order, fetch: ProductFetch | None
) -> dict[int, list[int]]:
    wanted = {li.product_id for li in order.line_items if li.product_id}
    found = await repo.categories(store_id, wanted)
    for pid in sorted(wanted - set(found)) if fetch is not None else ():
        try:
            found[pid] = category_ids((await fetch(pid)).get("categories"))
        except Exception as exc:  # a category override is a refinement: score without it
            log.warning("categories of product %s unavailable for fraud scoring: %s", pid, exc)
    return found


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e.get("loc", ()))
        return f"{where}: {e.get('msg')}" if where else str(e.get("msg"))
    return str(exc)
