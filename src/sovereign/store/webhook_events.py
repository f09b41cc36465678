"""The resource changes a store sent or reconciliation found (``sovereign_webhook_events``).

``WebhookEvents.unit_of_work()`` is the one transaction in which an event row and
the jobs it schedules commit together or not at all::

    async with WebhookEvents(pool).unit_of_work() as uow:
        event_id = await uow.add(event)          # None: this content was already taken in
        ... await queue.schedule(..., conn=uow.conn)
        await uow.link_jobs(event_id, job_ids)
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterable

import asyncpg

__all__ = ["EventRecord", "EventUnit", "WebhookEvents", "product_names"]


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
class EventRecord:
    store_id: str
    topic: str
    resource: str
    resource_id: int | None
    body_sha256: str
    webhook_id: int
    delivery_id: str
    outcome: str
    detail: str
    body: Any


class EventUnit:
    """One open transaction; ``conn`` is handed to the job queue so jobs commit with the event."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, e: EventRecord) -> int | None:
        """The new event's id, or None when the same content (store, resource, id, body hash) is already here."""
        event_id: int | None = await self.conn.fetchval(
            """
            INSERT INTO sovereign_webhook_events
                (store_id, topic, resource, resource_id, body_sha256, webhook_id, delivery_id, outcome, detail, body)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
            ON CONFLICT DO NOTHING RETURNING id
            """,
            e.store_id, e.topic, e.resource, e.resource_id, e.body_sha256, e.webhook_id, e.delivery_id, e.outcome,
            e.detail, json.dumps(e.body),
        )
        return event_id

    async def link_jobs(self, event_id: int, job_ids: Iterable[int]) -> None:
        await self.conn.execute("UPDATE sovereign_webhook_events SET job_ids = $2 WHERE id = $1", event_id, list(job_ids))


class WebhookEvents:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[EventUnit]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield EventUnit(conn)
