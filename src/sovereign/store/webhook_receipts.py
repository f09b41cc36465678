"""Proof that a store's webhooks reach us: the last ping or signed delivery received per webhook."""

from __future__ import annotations

import time
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
    """``record`` writes a ping every time, a delivery at most once per ``every_s`` per webhook in
    this process: every delivery of a webhook would otherwise update the same row (a hot lock)."""

    def __init__(self, pool: asyncpg.Pool, every_s: float = 10.0) -> None:
        self.pool = pool
        self.every_s = every_s
        self._last: dict[tuple[str, int], float] = {}  # deliveries only

    async def record(self, store_id: str, webhook_id: int, kind: str) -> None:
        if kind == "delivery":
            key, now = (store_id, webhook_id), time.monotonic()
            if now - self._last.get(key, -1e9) < self.every_s:
                return
            self._last[key] = now
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
