"""Taking in a resource change (a webhook delivery, or what reconciliation found): store it, schedule its jobs.

One transaction: the event row and its jobs commit together or not at all.
A change whose content was already taken in (same store, resource, id and body
hash) stores and schedules nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from sovereign.features.storesync.routing import Plan, plan_delivery
from sovereign.jobs import JobQueue
from sovereign.store.stores import StoreRecord
from sovereign.store.webhook_events import EventRecord, WebhookEvents
from sovereign.woo.webhooks import WebhookDelivery


@dataclass(frozen=True)
class Ingested:
    event_id: int | None  # None: a duplicate of content already taken in
    plan: Plan
    job_ids: tuple[int, ...] = ()

    @property
    def duplicate(self) -> bool:
        return self.event_id is None


def synthetic_delivery(store: StoreRecord, resource: str, body: dict[str, Any], *, source: str = "reconcile") -> WebhookDelivery:
    """A REST body seen by reconciliation, shaped like an `<resource>.updated` delivery."""
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    modified = body.get("date_modified_gmt")
    return WebhookDelivery(
        topic=f"{resource}.updated",
        resource=resource,
        event="updated",
        webhook_id=0,
        delivery_id=source,
        source=store.url,
        resource_id=int(body["id"]) if isinstance(body.get("id"), int) else None,
        body=body,
        body_sha256=hashlib.sha256(raw).hexdigest(),
        date_modified_gmt=modified if isinstance(modified, str) else None,
    )


async def ingest(pool: asyncpg.Pool, queue: JobQueue, store: StoreRecord, delivery: WebhookDelivery) -> Ingested:
    plan = plan_delivery(store.id, delivery, store.settings)
    event = EventRecord(
        store.id, delivery.topic, delivery.resource, delivery.resource_id, delivery.body_sha256, delivery.webhook_id,
        delivery.delivery_id, plan.outcome, plan.detail, delivery.body,
    )
    async with WebhookEvents(pool).unit_of_work() as uow:
        event_id = await uow.add(event)
        if event_id is None:
            return Ingested(None, plan)
        job_ids: list[int] = []
        for job in plan.jobs:
            res = await queue.schedule(
                job.name, job.args, dedupe_key=job.dedupe_key, delay=job.delay_s, conn=uow.conn, follow_running=True
            )
            if res.job_id is not None:
                job_ids.append(res.job_id)
        if job_ids:
            await uow.link_jobs(event_id, job_ids)
    return Ingested(event_id, plan, tuple(job_ids))
