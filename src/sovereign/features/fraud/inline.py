"""Scoring an order while the customer waits (checkout): rules always, the AI review only if it fits.

A hard budget of ``BUDGET_S`` (4 s) from the moment the request arrived: the
rules first (milliseconds), then the AI review only when the gateway is not
degraded for ``fraud``, a provider can start it at once (``Gateway.contended``:
a model on this machine's CPU that is already generating, e.g. for a flood of
``/v1`` chats, would make checkout wait; the answer is then the rules' with
``llm = "busy"``), and with what is left of the budget (at most
``LLM_BUDGET_S``, 3.5 s). Any AI failure answers with the rules' result,
``degraded`` and the reason, and schedules ``fraud.rescore`` when the order is
known (store and id). Nothing is written to WooCommerce: the store decides at
checkout. The result is recorded (``source="inline"``) when the order has an id.
While the database is unavailable (or slower than ``DB_BUDGET_S``) the order is
scored without its store history and the result is not recorded: the answer
says ``"history": false`` and checkout goes on (fail open).

    result = await score_inline(runtime, store, order_json, started=time.monotonic())
    result.as_json()
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Mapping

from sovereign.domain.orders import Order
from sovereign.gateway import CUSTOMER_PERSONAL, ChatRequest
from sovereign.store.database import CONNECTION_LOST
from sovereign.store.stores import StoreRecord

from sovereign.features.fraud.jobs import schedule_rescore
from sovereign.features.fraud.review import FEATURE as REVIEW_FEATURE, NOT_NEEDED, SKIPPED, Review, review_order
from sovereign.features.fraud.scoring import FraudSettings, Scored, conclude, rules_for
from sovereign.store.fraud_results import FraudRecord, FraudRepository
from sovereign.features.services import FeatureServices

__all__ = ["BUDGET_S", "LLM_BUDGET_S", "InlineResult", "score_inline"]

log = logging.getLogger("sovereign.fraud")

BUDGET_S = 4.0
LLM_BUDGET_S = 3.5
MIN_LLM_S = 0.2  # with less than this left, the AI review is not started
ANSWER_MARGIN_S = 0.15  # kept for recording the result and writing the answer
DB_BUDGET_S = 1.0  # reading the history, recording the result: beyond this the database is unavailable


@dataclass(frozen=True, slots=True)
class InlineResult:
    store_id: str | None
    scored: Scored
    settings: FraudSettings
    rescore_scheduled: bool
    elapsed_ms: float
    history: bool = True  # False: the database was unavailable, scored on the order alone

    @property
    def degraded(self) -> bool:
        """The AI review was wanted but could not be had: the answer stands on the rules alone."""
        return self.scored.review.state not in ("ok", "skipped", "not_needed")

    def as_json(self) -> dict[str, Any]:
        a = self.scored.assessment
        return {
            "store": self.store_id,
            "order_id": self.scored.order.id or None,
            "score": a.score,
            "rules_score": a.rules_score,
            "band": a.band,
            "threshold": a.threshold,
            "decision": "hold" if self.scored.decision.hold else "none",
            "action": self.settings.config.action,
            "reasons": [{"code": r.code, "text": r.text, "weight": r.weight} for r in a.reasons],
            "note": self.scored.decision.note_text,  # the private note to add with the hold ("" below the threshold)
            "llm": self.scored.review.state,
            "llm_risk": a.llm_risk,
            "degraded": self.degraded,
            "rescore_scheduled": self.rescore_scheduled,
            "elapsed_ms": self.elapsed_ms,
            "history": self.history,
        }


async def score_inline(
    rt: FeatureServices, store: StoreRecord | None, body: Mapping[str, Any], *, started: float | None = None,
    budget_s: float = BUDGET_S,
) -> InlineResult:
    """Score ``body`` (a WooCommerce order JSON) for ``store`` (None: default config, no history).

    Raises ``InvalidFraudSettings`` when the store's fraud settings do not validate.
    """
    started = time.monotonic() if started is None else started
    settings = FraudSettings.of(store.settings if store else None)
    order = Order.from_woo(body)
    if order.created is None:  # not created yet (checkout): it is being placed now
        order = replace(order, created=datetime.now(timezone.utc).replace(microsecond=0))
    repo = FraudRepository(rt.db.pool)
    store_id = store.id if store else None
    history = True
    try:
        async with asyncio.timeout(DB_BUDGET_S):
            order, rules = await rules_for(repo, store_id, order, settings.config)
    except (*CONNECTION_LOST, TimeoutError) as exc:  # fail open: the order's own signals still count
        log.warning("inline fraud score for order %s of %s without history: database unavailable (%s)",
                    order.id, store_id, type(exc).__name__)
        history = False
        order, rules = await rules_for(repo, None, order, settings.config)

    review: Review = SKIPPED
    if settings.llm and not settings.config.llm_review_useful(rules.score):
        review = NOT_NEEDED
    elif settings.llm:
        left = budget_s - (time.monotonic() - started) - ANSWER_MARGIN_S
        timeout = min(LLM_BUDGET_S, left)
        busy = rt.gateway.contended(ChatRequest.simple(
            "", feature=REVIEW_FEATURE, data_class=CUSTOMER_PERSONAL, lane="interactive", timeout=timeout))
        if timeout < MIN_LLM_S:
            review = Review("deadline")
        elif busy:  # checkout does not queue behind other work: rules now, the AI re-scores later
            log.info("inline fraud score for order %s: AI review skipped, %s", order.id, busy)
            review = Review("busy")
        else:
            review = await review_order(rt.gateway, order, rules, timeout_s=timeout, trial=False, lane="interactive")
    scored = conclude(order, rules, review, settings.config)

    rescore = False
    if store_id is not None and order.id > 0:
        record = FraudRecord(
            store_id=store_id, order_id=order.id, assessment=scored.assessment, llm=review.state,
            decision=scored.decision_name, applied=False, source="inline", detail="inline: nothing written",
        )
        try:
            async with asyncio.timeout(DB_BUDGET_S), rt.db.pool.acquire() as conn, conn.transaction():
                await repo.record(record, conn=conn)
                if review.retry_later:
                    job = await schedule_rescore(rt.queue, store_id, order.id, settings.rescore_delay_s, conn=conn)
                    rescore = job.job_id is not None
        except (*CONNECTION_LOST, TimeoutError) as exc:  # the answer matters more than its record
            log.warning("inline fraud result for order %s of %s not recorded: database unavailable (%s)",
                        order.id, store_id, type(exc).__name__)
    elapsed = round((time.monotonic() - started) * 1000.0, 2)
    if review.state not in ("ok", "skipped"):
        log.info("inline fraud score for order %s of %s on rules only: AI review %s", order.id, store_id, review.state)
    return InlineResult(store_id, scored, settings, rescore, elapsed, history)
