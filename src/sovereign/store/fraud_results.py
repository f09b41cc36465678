"""What the fraud feature reads and writes in PostgreSQL: order bodies, history, flagged orders, results.

Every order the store told us about is in ``sovereign_webhook_events`` (the
receiver stores each distinct body). The latest body per order id is the
order's current state as far as we know; history for the rules is built from
those, projected in SQL to the fields the rules read (not the 5 KB bodies).

    repo = FraudRepository(pool)
    body = await repo.order_body("shop", 85)                 # dict | None
    earlier = await repo.earlier_orders("shop", order)       # list[Order], created before ``order``
    held = await repo.flagged_ids("shop")                     # set[int]
    await repo.record(FraudRecord(...))
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import asyncpg

from sovereign.domain.fraud import FraudAssessment
from sovereign.domain.orders import Order

__all__ = ["FraudRecord", "FraudRepository", "HISTORY_LIMIT"]

# The most recent orders (by id) that history is built from. At a few hundred bytes each
# this bounds one scoring's memory; older orders only matter for "first order" counts.
HISTORY_LIMIT = 20_000

_HISTORY_SQL = """
SELECT DISTINCT ON (resource_id) jsonb_build_object(
    'id', body->'id', 'status', body->'status', 'currency', body->'currency', 'total', body->'total',
    'customer_id', body->'customer_id', 'billing', body->'billing', 'shipping', body->'shipping',
    'customer_ip_address', body->'customer_ip_address', 'date_created_gmt', body->'date_created_gmt'
)::text AS doc
FROM sovereign_webhook_events
WHERE store_id = $1 AND resource = 'order' AND resource_id IS NOT NULL AND resource_id <> $2
  AND ($3::text IS NULL OR coalesce(body->>'date_created_gmt', '') <= $3)
ORDER BY resource_id DESC, id DESC
LIMIT $4
"""


@dataclass(frozen=True, slots=True)
class FraudRecord:
    """One row of ``sovereign_fraud_results``."""

    store_id: str
    order_id: int
    assessment: FraudAssessment
    llm: str  # ok | skipped | degraded | unavailable | deadline | invalid_output | policy | error
    decision: str  # hold | monitor | none
    applied: bool
    source: str  # webhook | rescore | inline | reconcile
    detail: str = ""


class FraudRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def order_body(self, store_id: str, order_id: int) -> dict[str, Any] | None:
        """The latest body the store sent for this order, or None if it never did."""
        raw = await self.pool.fetchval(
            "SELECT body::text FROM sovereign_webhook_events WHERE store_id = $1 AND resource = 'order' "
            "AND resource_id = $2 ORDER BY id DESC LIMIT 1",
            store_id,
            order_id,
        )
        return json.loads(raw) if raw else None

    async def earlier_orders(self, store_id: str, order: Order, *, limit: int = HISTORY_LIMIT) -> list[Order]:
        """The store's other orders created no later than ``order`` (latest known state of each)."""
        created = order.created.strftime("%Y-%m-%dT%H:%M:%S") if order.created else None
        rows = await self.pool.fetch(_HISTORY_SQL, store_id, order.id, created, limit)
        return [Order.from_woo(json.loads(r["doc"])) for r in rows]

    async def flagged_ids(self, store_id: str) -> set[int]:
        """Orders this service put on hold (or would have, in monitor mode): the "held" links."""
        rows = await self.pool.fetch(
            "SELECT DISTINCT order_id FROM sovereign_fraud_results WHERE store_id = $1 AND source <> 'inline' "
            "AND decision IN ('hold', 'monitor') AND (applied OR decision = 'monitor')",
            store_id,
        )
        return {int(r["order_id"]) for r in rows}

    async def was_held(self, store_id: str, order_id: int) -> bool:
        """True when this service already put the order on hold (a person may have released it since)."""
        return bool(
            await self.pool.fetchval(
                "SELECT EXISTS (SELECT 1 FROM sovereign_fraud_results WHERE store_id = $1 AND order_id = $2 "
                "AND decision = 'hold' AND applied AND source <> 'inline')",
                store_id,
                order_id,
            )
        )

    async def latest_llm_state(self, store_id: str, order_id: int) -> str | None:
        """The AI review state of the order's latest result (``"ok"`` once a review answered)."""
        return await self.pool.fetchval(
            "SELECT llm FROM sovereign_fraud_results WHERE store_id = $1 AND order_id = $2 ORDER BY id DESC LIMIT 1",
            store_id,
            order_id,
        )

    async def categories(self, store_id: str, product_ids: Iterable[int]) -> dict[int, list[int]]:
        """Category ids of the given products, from the latest product bodies the store sent."""
        ids = sorted({int(p) for p in product_ids if p})
        if not ids:
            return {}
        rows = await self.pool.fetch(
            "SELECT DISTINCT ON (resource_id) resource_id, (body->'categories')::text AS cats "
            "FROM sovereign_webhook_events WHERE store_id = $1 AND resource = 'product' "
            "AND resource_id = ANY($2::bigint[]) ORDER BY resource_id, id DESC",
            store_id,
            ids,
        )
        return {int(r["resource_id"]): category_ids(json.loads(r["cats"] or "null")) for r in rows}

    async def record(self, rec: FraudRecord, *, conn: asyncpg.Connection | None = None) -> int:
        """Insert one result; pass ``conn`` to write it inside the caller's transaction."""
        a = rec.assessment
        reasons = [{"code": r.code, "text": r.text, "weight": r.weight} for r in a.reasons]
        return await (conn or self.pool).fetchval(
            """
            INSERT INTO sovereign_fraud_results
                (store_id, order_id, score, rules_score, band, reasons, llm, decision, applied, source, detail,
                 llm_risk)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12) RETURNING id
            """,
            rec.store_id,
            rec.order_id,
            a.score,
            a.rules_score,
            a.band,
            json.dumps(reasons),
            rec.llm,
            rec.decision,
            rec.applied,
            rec.source,
            rec.detail or None,
            a.llm_risk,
        )


def category_ids(categories: Any) -> list[int]:
    """Ids from a WooCommerce ``categories`` list (``[{"id": 17, ...}, ...]``)."""
    if not isinstance(categories, list):
        return []
    out = []
    for c in categories:
        if isinstance(c, Mapping):
            try:
                out.append(int(c.get("id")))
            except (TypeError, ValueError):
                continue
    return out
