"""The fraud review queue: orders a fraud result holds (``sovereign_fraud_results``) and the
console's review decisions on them (``sovereign_console_fraud_reviews``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

__all__ = ["HeldOrder", "HeldOrders"]


@dataclass(frozen=True, slots=True)
class HeldOrder:
    result_id: int
    store_id: str
    order_id: int
    score: int
    band: str
    reasons: list[dict[str, Any]]
    llm: str
    detail: str | None
    held_at: datetime
    status: str | None  # the order's status in the latest body the store sent
    total: str | None
    currency: str | None


_HELD = """
WITH latest AS (
    SELECT DISTINCT ON (store_id, order_id) *
    FROM sovereign_fraud_results
    WHERE source <> 'inline' AND ($1::text IS NULL OR store_id = $1) AND ($2::bigint IS NULL OR order_id = $2)
    ORDER BY store_id, order_id, id DESC
)
SELECT l.id, l.store_id, l.order_id, l.score, l.band, l.reasons::text AS reasons, l.llm, l.detail, l.created_at,
       b.body->>'status' AS status, b.body->>'total' AS total, b.body->>'currency' AS currency
FROM latest l
LEFT JOIN LATERAL (
    SELECT body FROM sovereign_webhook_events e
    WHERE e.store_id = l.store_id AND e.resource = 'order' AND e.resource_id = l.order_id
    ORDER BY e.id DESC LIMIT 1
) b ON TRUE
WHERE l.decision = 'hold' AND l.applied
  AND NOT EXISTS (SELECT 1 FROM sovereign_console_fraud_reviews r
                  WHERE r.store_id = l.store_id AND r.order_id = l.order_id AND r.result_id >= l.id)
ORDER BY l.created_at DESC, l.id DESC
LIMIT $3
"""


class HeldOrders:
    """Orders the fraud feature put on hold whose latest result nobody has reviewed yet."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def list(self, store_id: str | None = None, *, limit: int = 100) -> list[HeldOrder]:
        return await self._fetch(store_id, None, limit)

    async def get(self, store_id: str, order_id: int) -> HeldOrder | None:
        """The order if it is on the queue (held, latest result not reviewed yet)."""
        found = await self._fetch(store_id, order_id, 1)
        return found[0] if found else None

    async def _fetch(self, store_id: str | None, order_id: int | None, limit: int) -> list[HeldOrder]:
        rows = await self.pool.fetch(_HELD, store_id, order_id, limit)
        return [
            HeldOrder(
                result_id=r["id"], store_id=r["store_id"], order_id=r["order_id"], score=r["score"], band=r["band"],
                reasons=json.loads(r["reasons"]), llm=r["llm"], detail=r["detail"], held_at=r["created_at"],
                status=r["status"], total=r["total"], currency=r["currency"],
            )
            for r in rows
        ]

    async def decide(self, held: HeldOrder, decision: str, user: str, detail: str = "") -> int:
        return await self.pool.fetchval(
            "INSERT INTO sovereign_console_fraud_reviews (store_id, order_id, result_id, decision, user_name, detail) "
            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            held.store_id, held.order_id, held.result_id, decision, user, detail or None,
        )

    async def reviews(self, store_id: str, order_id: int) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT * FROM sovereign_console_fraud_reviews WHERE store_id = $1 AND order_id = $2 ORDER BY id",
            store_id, order_id,
        )
        return [dict(r) for r in rows]
