"""The fraud feature's jobs: ``fraud.score`` (every new order) and ``fraud.rescore`` (when the AI was away).

``fraud.score`` (scheduled by the webhook receiver, args ``{"store", "order_id"}``):
load the order (latest webhook body, else REST), run the rules against the
store's history, ask the AI review (60 s), combine (the AI can only raise the
score), write back (``fraud_writeback``), record the result. If the AI review
was degraded, unavailable, too slow or unusable, the rules' result stands and
is written back at once, and ``fraud.rescore`` is scheduled for the order.

``fraud.rescore`` asks the AI review again. While the feature is degraded or
the call fails it raises ``AiReviewUnavailable``, so the queue retries it with
backoff (30 s doubling to 15 min, ``RESCORE_MAX_ATTEMPTS`` tries, about 9
hours). Each try goes through the gateway, which refuses at once while
degraded, or admits it as the trial call that ends degraded mode. When the AI
answers: re-assess, hold if the combined score now crosses the threshold and
the order can still be held, update the metas and record (``source="rescore"``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Awaitable, TypeVar

import asyncpg
from prometheus_client import Counter
from pydantic import BaseModel

from sovereign.domain.fraud import RulesResult
from sovereign.domain.orders import Order
from sovereign.jobs import JobContext, JobQueue, JobRegistry, NonRetryableError, Scheduled
from sovereign.store.stores import StoreRecord
from sovereign.woo.errors import CredentialsError, NotFoundError, PermissionDeniedError

from sovereign.features.fraud.review import NOT_NEEDED, SKIPPED, review_order
from sovereign.features.fraud.scoring import FraudSettings, InvalidFraudSettings, Scored, conclude, rules_for
from sovereign.store.fraud_results import FraudRecord, FraudRepository
from sovereign.features.services import FeatureServices
from sovereign.features.fraud.writeback import write_back

__all__ = [
    "AiReviewUnavailable",
    "JOB_LLM_TIMEOUT_S",
    "RESCORE_BACKOFF_BASE_S",
    "RESCORE_BACKOFF_MAX_S",
    "RESCORE_MAX_ATTEMPTS",
    "OrderArgs",
    "ScoreArgs",
    "register",
    "rescore_key",
    "schedule_rescore",
]

log = logging.getLogger("sovereign.fraud")

JOB_LLM_TIMEOUT_S = 180.0  # background: the local model may have a queue of requests ahead of this one
RESCORE_MAX_ATTEMPTS = 40
RESCORE_BACKOFF_BASE_S = 30.0
RESCORE_BACKOFF_MAX_S = 900.0

T = TypeVar("T")

SCORED = Counter("sovereign_fraud_scored_total", "Orders scored for fraud", ["source", "decision", "llm"])


class OrderArgs(BaseModel):
    store: str
    order_id: int


class ScoreArgs(OrderArgs):
    source: str = "webhook"  # who asked: webhook | reconcile, recorded with the result


class AiReviewUnavailable(Exception):
    """The AI review could not answer yet; the queue retries the re-score later."""


def rescore_key(store_id: str, order_id: int) -> str:
    return f"fraud-rescore:{store_id}:{order_id}"


async def schedule_rescore(
    queue: JobQueue, store_id: str, order_id: int, delay_s: float, *, conn: asyncpg.Connection | None = None
) -> Scheduled:
    """Schedule (once per order while one is pending) the AI re-score of an order scored on its rules."""
    return await queue.schedule(
        "fraud.rescore", {"store": store_id, "order_id": order_id},
        delay=delay_s, dedupe_key=rescore_key(store_id, order_id), conn=conn,
    )


async def score_order(args: ScoreArgs, ctx: JobContext[FeatureServices]) -> None:
    rt = ctx.services
    run = await _Run.open(rt, args)
    review = SKIPPED
    if run.settings.llm:
        review = NOT_NEEDED
        if run.settings.config.llm_review_useful(run.rules.score):
            review = await review_order(rt.gateway, run.order, run.rules, timeout_s=JOB_LLM_TIMEOUT_S)
    scored = conclude(run.order, run.rules, review, run.settings.config)
    await run.apply(scored, source=args.source, rescore=review.retry_later)


async def rescore_order(args: OrderArgs, ctx: JobContext[FeatureServices]) -> None:
    rt = ctx.services
    repo = FraudRepository(rt.db.pool)
    if await repo.latest_llm_state(args.store, args.order_id) == "ok":
        log.info("order %s of %s already has an AI review: re-score not needed", args.order_id, args.store)
        return
    run = await _Run.open(rt, args, repo)
    if not run.settings.llm:
        log.info("AI review turned off for store %s: re-score of order %s dropped", args.store, args.order_id)
        return
    if not run.settings.config.llm_review_useful(run.rules.score):
        log.info("order %s of %s: an AI review can no longer change the decision; re-score dropped", args.order_id, args.store)
        return
    review = await review_order(rt.gateway, run.order, run.rules, timeout_s=JOB_LLM_TIMEOUT_S)
    if not review.ok:
        msg = f"AI review of order {args.order_id} still unavailable ({review.state})"
        if not review.retry_later:
            raise NonRetryableError(msg)
        raise AiReviewUnavailable(msg + f"; try {ctx.attempt} of {ctx.max_attempts}")
    await run.apply(conclude(run.order, run.rules, review, run.settings.config), source="rescore")


@dataclass
class _Run:
    """One job run's loaded state: the store, its settings, the parsed order and the rules' result."""

    rt: FeatureServices
    store: StoreRecord
    settings: FraudSettings
    repo: FraudRepository
    order: Order
    rules: RulesResult

    @classmethod
    async def open(cls, rt: FeatureServices, args: OrderArgs, repo: FraudRepository | None = None) -> "_Run":
        store = await rt.store_or_fail(args.store)
        try:
            settings = FraudSettings.of(store.settings)
        except InvalidFraudSettings as exc:
            raise NonRetryableError(str(exc)) from None
        repo = repo or FraudRepository(rt.db.pool)
        woo = rt.woo(store)
        body = await repo.order_body(store.id, args.order_id)
        if body is None:
            body = await _woo_call(woo.get_order(args.order_id), store.id, args.order_id)
        order = Order.from_woo(body)
        if order.id != args.order_id:
            raise NonRetryableError(f"the body of order {args.order_id} carries id {order.id}")
        order, rules = await rules_for(repo, store.id, order, settings.config, fetch_product=woo.get_product)
        return cls(rt, store, settings, repo, order, rules)

    async def apply(self, scored: Scored, *, source: str, rescore: bool = False) -> None:
        """Write back, then record the result and (``rescore``) schedule the re-score in one transaction."""
        store_id, order_id = self.store.id, self.order.id
        held_before = await self.repo.was_held(store_id, order_id)
        wb = await _woo_call(write_back(self.rt.woo(self.store), scored, held_before=held_before), store_id, order_id)
        record = FraudRecord(
            store_id=store_id, order_id=order_id, assessment=scored.assessment, llm=scored.review.state,
            decision=scored.decision_name, applied=wb.applied, source=source, detail=wb.detail,
        )
        async with self.rt.db.pool.acquire() as conn, conn.transaction():
            await self.repo.record(record, conn=conn)
            if rescore:
                await schedule_rescore(self.rt.queue, store_id, order_id, self.settings.rescore_delay_s, conn=conn)
        SCORED.labels(source, scored.decision_name, scored.review.state).inc()
        log.info("order %s of %s: score %d (rules %d, AI review %s), %s: %s", order_id, store_id,
                 scored.assessment.score, scored.assessment.rules_score, scored.review.state,
                 scored.decision_name, wb.detail)


async def _woo_call(awaitable: Awaitable[T], store_id: str, order_id: int) -> T:
    """WooCommerce errors no retry can fix fail the job at once; the others are retried with backoff."""
    try:
        return await awaitable
    except NotFoundError:
        raise NonRetryableError(f"order {order_id} does not exist in store {store_id}") from None
    except (CredentialsError, PermissionDeniedError) as exc:
        raise NonRetryableError(f"store {store_id} refused our API key: {exc}") from None


def register(registry: JobRegistry) -> None:
    """Register ``fraud.score`` and ``fraud.rescore`` in the ``fraud`` group."""
    registry.job("fraud.score", group="fraud", max_attempts=5, backoff_base_s=10.0, backoff_max_s=300.0,
                 timeout_s=300.0)(score_order)
    registry.job("fraud.rescore", group="fraud", max_attempts=RESCORE_MAX_ATTEMPTS,
                 backoff_base_s=RESCORE_BACKOFF_BASE_S, backoff_max_s=RESCORE_BACKOFF_MAX_S,
                 timeout_s=300.0)(rescore_order)
