"""Reconciliation, because WooCommerce drops failed deliveries for good.

Every 15 minutes (and on demand): page orders and products modified since the
last sync and take them in like deliveries (what a webhook already brought is a
no-op, what it missed gets its jobs); then check the store's webhooks and
re-enable any that WooCommerce disabled after failed deliveries, loudly.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from pydantic import BaseModel

from sovereign.features.storesync.connect import TOPICS, delivery_url
from sovereign.features.storesync.ingest import ingest, synthetic_delivery
from sovereign.jobs import JobContext, JobRegistry
from sovereign.features.services import FeatureServices

log = logging.getLogger("sovereign.reconcile")

FIRST_SYNC_LOOKBACK = timedelta(days=1)
OVERLAP = timedelta(minutes=2)  # clock skew and in-flight saves


class StoreArgs(BaseModel):
    store: str


class AllArgs(BaseModel):
    pass


async def reconcile_store(args: StoreArgs, ctx: JobContext[FeatureServices]) -> None:
    rt = ctx.services
    store = await rt.store_or_fail(args.store)
    woo = rt.woo(store)
    started = datetime.now(timezone.utc)
    since = (store.last_sync_at or started - FIRST_SYNC_LOOKBACK) - OVERLAP
    counts = {"orders": 0, "products": 0, "new_jobs": 0}
    for resource, pages in (("order", woo.list_orders(modified_after=since)), ("product", woo.list_products(modified_after=since))):
        async for body in pages:
            result = await ingest(rt.db.pool, rt.queue, store, synthetic_delivery(store, resource, body))
            counts[resource + "s"] += 1
            counts["new_jobs"] += len(result.job_ids)
    repaired = await _repair_webhooks(rt, store)
    await rt.stores.mark_synced(store.id, started)
    log.info("reconciled store %s since %s: %s; webhooks re-enabled: %s", store.id, since.isoformat(), counts, repaired)


async def _repair_webhooks(rt, store) -> list[int]:  # noqa: ANN001
    woo = rt.woo(store)
    public_url = rt.settings.public_url or f"http://{rt.settings.host}:{rt.settings.port}"
    target = delivery_url(public_url, store.id)
    hooks = [h for h in await woo.list_webhooks() if h.get("delivery_url") == target]
    repaired: list[int] = []
    for hook in hooks:
        if hook.get("status") != "active":
            log.error(
                "store %s: webhook %s (%s) was %s, most likely after failed deliveries; re-enabling it. "
                "Changes in between are picked up by this reconciliation.",
                store.id, hook.get("id"), hook.get("topic"), hook.get("status"),
            )
            await woo.update_webhook(int(hook["id"]), status="active")
            repaired.append(int(hook["id"]))
    present = {h.get("topic") for h in hooks}
    for topic in TOPICS:
        if topic not in present:
            log.error("store %s: webhook for %s is missing; creating it again", store.id, topic)
            created = await woo.create_webhook(f"Sovereign {topic}", topic, target, store.webhook_secret)
            repaired.append(int(created["id"]))
    return repaired


async def reconcile_all(args: AllArgs, ctx: JobContext[FeatureServices]) -> None:
    rt = ctx.services
    minute = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M")
    for store in await rt.stores.list():
        await rt.queue.schedule("reconcile.store", {"store": store.id}, dedupe_key=f"reconcile:{store.id}:{minute}")


def register(registry: JobRegistry) -> None:
    registry.job("reconcile.store", group="maintenance", max_attempts=5, backoff_base_s=30)(reconcile_store)
    registry.job("reconcile.all", group="maintenance", max_attempts=3)(reconcile_all)
    registry.cron("reconcile.every-15-min", "*/15 * * * *", job="reconcile.all")
