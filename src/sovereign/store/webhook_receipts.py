"""Proof that a store's webhooks reach us: the last ping or signed delivery received per webhook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True, slots=True)
class Receipt:
    webhook_id: int
    kind: str  # ping | delivery (the last one received)
    count: int
    first_at: datetime
    last_at: datetime


class WebhookReceipts:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record(self, store_id: str, webhook_id: int, kind: str) -> None:
        await self.pool.execute(
            """
            INSERT INTO sovereign_webhook_receipts (store_id, webhook_id, kind) VALUES ($1, $2, $3)
            ON CONFLICT (store_id, webhook_id) DO UPDATE
                SET kind = EXCLUDED.kind, count = sovereign_webhook_receipts.count + 1, last_at = now()
            """,
            store_id,
            webhook_id,
            kind,
        )

    async def since(self, store_id: str, webhook_ids: list[int], after: datetime) -> dict[int, Receipt]:
        """The receipts of these webhooks whose last arrival is after ``after`` (database clock)."""
        rows = await self.pool.fetch(
            "SELECT webhook_id, kind, count, first_at, last_at FROM sovereign_webhook_receipts "
            "WHERE store_id = $1 AND webhook_id = ANY($2::bigint[]) AND last_at >= $3",
            store_id,
            webhook_ids,
            after,
        )
        return {r["webhook_id"]: Receipt(r["webhook_id"], r["kind"], r["count"], r["first_at"], r["last_at"]) for r in rows}

    async def all(self, store_id: str) -> dict[int, Receipt]:
        rows = await self.pool.fetch(
            "SELECT webhook_id, kind, count, first_at, last_at FROM sovereign_webhook_receipts WHERE store_id = $1",
            store_id,
        )
        return {r["webhook_id"]: Receipt(r["webhook_id"], r["kind"], r["count"], r["first_at"], r["last_at"]) for r in rows}

    async def now(self) -> datetime:
        """The database's clock, so a CLI on another machine compares like with like."""
        return await self.pool.fetchval("SELECT now()")
