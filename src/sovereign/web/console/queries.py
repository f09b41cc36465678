"""What the console reads beside the features' own service functions.

* ``HeldOrders``: the fraud review queue, read from ``sovereign_fraud_results``
  (the fraud feature has no listing function yet) and the console's own
  review decisions (``sovereign_console_fraud_reviews``).
* ``product_names``: names for the description drafts page, from the product
  bodies the store sent (``sovereign_webhook_events``).
* ``AuditRows``: a filtered page of ``sovereign_audit_log`` (the audit package
  has verify and export, no listing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

import asyncpg

__all__ = ["AuditFilter", "AuditRows", "HeldOrder", "HeldOrders", "product_names"]


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


async def product_names(pool: asyncpg.Pool, store_id: str, product_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted({int(p) for p in product_ids})
    if not ids:
        return {}
    rows = await pool.fetch(
        "SELECT DISTINCT ON (resource_id) resource_id, body->>'name' AS name FROM sovereign_webhook_events "
        "WHERE store_id = $1 AND resource = 'product' AND resource_id = ANY($2::bigint[]) "
        "ORDER BY resource_id, id DESC",
        store_id, ids,
    )
    return {int(r["resource_id"]): r["name"] for r in rows if r["name"]}


@dataclass(frozen=True, slots=True)
class AuditFilter:
    kind: str | None = None
    feature: str | None = None
    provider: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def args(self) -> list[Any]:
        return [self.kind, self.feature, self.provider, self.outcome, self.since, self.until]


_AUDIT = """
SELECT id, at, kind, feature, data_class, provider, jurisdiction, model, model_version, outcome, latency_ms,
       input_tokens, output_tokens, cached, attempts, redactions::text AS redactions, flags, detail::text AS detail,
       hash
FROM sovereign_audit_log
WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR feature = $2)
  AND ($3::text IS NULL OR provider = $3) AND ($4::text IS NULL OR outcome = $4)
  AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
  AND ($7::bigint IS NULL OR id < $7)
ORDER BY id DESC
LIMIT $8
"""


class AuditRows:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def page(self, f: AuditFilter, *, before_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first; ``before_id`` continues a previous page."""
        rows = await self.pool.fetch(_AUDIT, *f.args(), before_id, limit)
        out = []
        for r in rows:
            row = dict(r)
            row["redactions"] = json.loads(row["redactions"] or "{}")
            row["detail"] = json.loads(row["detail"] or "{}")
            row["flags"] = list(row["flags"] or ())
            out.append(row)
        return out

    async def choices(self) -> dict[str, list[str]]:
        """The kinds, features, providers and outcomes of recent rows, for the filter's menus."""
        out: dict[str, list[str]] = {}
        for column in ("kind", "feature", "provider", "outcome"):
            rows = await self.pool.fetch(  # the recent rows only: a full scan of a large log is not a menu's job
                f"SELECT DISTINCT v FROM (SELECT {column} AS v FROM sovereign_audit_log ORDER BY id DESC LIMIT 5000) t "
                "WHERE v <> '' ORDER BY 1 LIMIT 100"
            )
            out[column] = [r["v"] for r in rows]
        return out
