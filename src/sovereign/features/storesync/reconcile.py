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

from sovereign.features.storesync.ingest import ingest, synthetic_delivery
from sovereign.features.storesync import webhooks
from sovereign.features.storesync.woo_settings import read_store_settings
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
    repair = await repair_store_webhooks(rt, store)
    fresh = await read_store_settings(woo)
    if fresh and fresh != store.woo_settings:
        await rt.stores.set_woo_settings(store.id, {**store.woo_settings, **fresh})
    await rt.stores.mark_synced(store.id, started)
    log.info("reconciled store %s since %s: %s; webhooks %s", store.id, since.isoformat(), counts, repair)


def store_public_url(rt, store) -> str:  # noqa: ANN001
    """The one truth for where the store delivers: the store record; the service's own URL only for
    a store connected before the record held it."""
    return store.webhook_url or rt.settings.public_url or f"http://{rt.settings.host}:{rt.settings.port}"


async def repair_store_webhooks(rt, store) -> webhooks.Repair:  # noqa: ANN001
    public_url = store_public_url(rt, store)
    repair = await webhooks.repair(rt.woo(store), store, public_url)
    if not store.webhook_url:
        await rt.stores.set_webhook_url(store.id, public_url)
    if sorted(store.webhook_ids) != repair.ids:
        await rt.stores.set_webhooks(store.id, repair.ids)
    return repair


async def reconcile_all(args: AllArgs, ctx: JobContext[FeatureServices]) -> None:
    rt = ctx.services
    minute = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M")
    for store in await rt.stores.list():
        await rt.queue.schedule("reconcile.store", {"store": store.id}, dedupe_key=f"reconcile:{store.id}:{minute}")


def register(registry: JobRegistry) -> None:
    registry.job("reconcile.store", group="maintenance", max_attempts=5, backoff_base_s=30)(reconcile_store)
    registry.job("reconcile.all", group="maintenance", max_attempts=3)(reconcile_all)
    registry.cron("reconcile.every-15-min", "*/15 * * * *", job="reconcile.all")
