"""The composition root: builds the service's parts from settings, once per process.

Entrypoints (``web``, ``cli``, the worker) call ``open_runtime`` and get every
part wired; features receive the small interfaces they need, never settings.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sovereign.gateway import Gateway
from sovereign.jobs import JobQueue, JobRegistry, QueueInspector, Worker
from sovereign.settings import Settings
from sovereign.store.database import Database, open_database
from sovereign.store.api_keys import ApiKeyRepository, KeyRateLimiter
from sovereign.store.stores import StoreRecord, StoreRepository
from sovereign.woo.client import WooClient

log = logging.getLogger("sovereign.runtime")


def build_registry() -> JobRegistry:
    """Every job handler and recurring schedule of the service."""
    registry = JobRegistry()
    from sovereign.features import descriptions, forecasts, fraud, images, maintenance, policies, reconcile

    for feature in (maintenance, fraud, descriptions, forecasts, reconcile, policies, images):
        feature.register(registry)
    return registry


@dataclass
class Runtime:
    settings: Settings
    db: Database
    registry: JobRegistry
    queue: JobQueue
    inspector: QueueInspector
    stores: StoreRepository
    gateway: Gateway
    api_keys: ApiKeyRepository
    key_limiter: KeyRateLimiter = field(default_factory=KeyRateLimiter)
    resources: dict[str, Any] = field(default_factory=dict)

    _woo: dict[str, Any] = field(default_factory=dict)

    def woo(self, store: StoreRecord) -> WooClient:
        """The store's REST client, one per store per process (its concurrency limit is per store)."""
        fingerprint = hash((store.url, store.consumer_key, store.consumer_secret))
        entry = self._woo.get(store.id)
        if entry is None or entry[0] != fingerprint:
            if entry is not None:  # credentials changed: retire the old client
                asyncio.get_running_loop().create_task(entry[1].aclose())
            client = WooClient(store.url, store.consumer_key, store.consumer_secret, timeout=30.0, max_concurrency=4)
            entry = self._woo[store.id] = (fingerprint, client)
        return entry[1]

    async def store_or_fail(self, store_id: str) -> StoreRecord:
        from sovereign.jobs import NonRetryableError

        store = await self.stores.get(store_id)
        if store is None:
            raise NonRetryableError(f"store {store_id!r} is not connected")
        return store

    def worker(self, **kw: Any) -> Worker:
        return Worker(self.db.pool, self.registry, self.settings, resources=self.resources, **kw)

    async def close(self) -> None:
        for _, client in self._woo.values():
            await client.aclose()
        sync = self.resources.get("override_sync")
        if sync is not None:
            await sync.aclose()
        await self.gateway.aclose()
        audit = self.resources.get("audit")
        if audit is not None:
            await audit.aclose()  # flushes what the gateway emitted last
        await self.db.close()


async def open_runtime(settings: Settings, *, migrate: bool = True, gateway: Gateway | None = None) -> Runtime:
    """Open the database and wire every part. ``gateway`` replaces the configured one (tests, drills)."""
    from sovereign.gateway_setup import build_gateway

    from sovereign.audit import AuditWriter

    db = await open_database(settings, migrate=migrate)
    registry = build_registry()
    from sovereign.metrics import EventFanout
    from sovereign.overrides_sync import OverrideSync

    audit = sync = None
    if gateway is None:  # the service's own gateway: every data flow goes to the audit log
        audit = AuditWriter(db.pool)
        audit.start()
        sinks = EventFanout([audit])
        gateway = build_gateway(settings, db.pool, on_event=sinks)
        # operator overrides are fleet-wide: published on change, polled by every process
        sync = OverrideSync(db.pool, gateway, poll_s=settings.override_poll_s)
        sinks.add(sync)
        await sync.refresh()  # an incident's overrides apply from this process's first request
        sync.start()
        _warm_redactor(gateway)
    rt = Runtime(
        settings=settings,
        db=db,
        registry=registry,
        queue=JobQueue(db.pool, registry),
        inspector=QueueInspector(db.pool, settings.past_due_after_s),
        stores=StoreRepository(db.pool),
        gateway=gateway,
        api_keys=ApiKeyRepository(db.pool),
    )
    rt.resources.update(
        {"pool": db.pool, "queue": rt.queue, "settings": settings, "runtime": rt, "audit": audit, "override_sync": sync}
    )
    return rt


def _warm_redactor(gateway: Gateway) -> None:
    """Presidio's recognizers take a second or two to build: do it off the request path, now."""
    redactor = getattr(gateway.policy, "redactor", None)
    if redactor is not None and hasattr(redactor, "warm"):
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(redactor.warm))
        task.add_done_callback(_log_warmup_failure)


def _log_warmup_failure(task: "asyncio.Task[object]") -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("redactor warm-up failed: %s", task.exception())
