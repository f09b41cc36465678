"""The composition root: builds the service's parts from settings, once per process.

Entrypoints (``web``, ``cli``, the worker) call ``open_runtime`` and get every
part wired; features receive the small interfaces they need, never settings.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sovereign.audit import AuditWriter
from sovereign.embeddings import Embedder, local_embedder
from sovereign.features import maintenance
from sovereign.features.assistants import jobs as assistants_jobs
from sovereign.features.assistants.parts import Assistants, build_assistants
from sovereign.features.descriptions import jobs as descriptions
from sovereign.features.descriptions.style import StyleExamples
from sovereign.features.forecasts import jobs as forecasts
from sovereign.features.fraud import jobs as fraud
from sovereign.features.images import jobs as images
from sovereign.features.storesync import reconcile
from sovereign.gateway import Gateway
from sovereign.jobs import JobQueue, JobRegistry, NonRetryableError, QueueInspector, Worker
from sovereign.overrides_sync import OverrideSync
from sovereign.settings import Settings
from sovereign.store.database import Database, open_database
from sovereign.store.api_keys import ApiKeyRepository, KeyRateLimiter
from sovereign.store.secrets_box import SecretBox, open_secret_box
from sovereign.store.stores import StoreRecord, StoreRepository
from sovereign.woo.client import WooClient
from sovereign.gateway_setup import build_gateway
from sovereign.metrics import EventFanout
from sovereign.woo.tls import verify_for

log = logging.getLogger("sovereign.runtime")


def build_registry() -> JobRegistry:
    """Every job handler and recurring schedule of the service."""
    registry = JobRegistry()
    for feature in (maintenance, fraud, descriptions, forecasts, reconcile, assistants_jobs, images):
        feature.register(registry)
    return registry


@dataclass
class Runtime:
    """Every part of one process, typed. Features see it through their ports
    (``features.services.FeatureServices``, ``features.assistants.parts.AssistantsServices``)."""

    settings: Settings
    db: Database
    registry: JobRegistry
    queue: JobQueue
    inspector: QueueInspector
    stores: StoreRepository
    gateway: Gateway
    api_keys: ApiKeyRepository
    key_limiter: KeyRateLimiter = field(default_factory=KeyRateLimiter)
    audit: AuditWriter | None = None  # the service's own gateway writes every call here
    override_sync: OverrideSync | None = None
    embedder: Embedder | None = None  # None: the process's local MiniLM, made on first use
    style: StyleExamples = field(init=False)  # style examples for drafts (shares the embedder)
    # web-only state (the console's login throttle and last audit check, /metrics' collector)

    _woo: dict[str, tuple[int, WooClient]] = field(default_factory=dict)
    _assistants: Assistants | None = None

    def __post_init__(self) -> None:
        self.style = StyleExamples(embedder=self.shared_embedder)

    def shared_embedder(self) -> Embedder:
        """The process's embedder (assistants and style examples share it); the model loads on first use."""
        if self.embedder is None:
            self.embedder = local_embedder()
        return self.embedder

    def assistants(self) -> Assistants:
        """The assistants (policy answers, shopper support), built on first use."""
        if self._assistants is None:
            self._assistants = build_assistants(self, self.shared_embedder())
        return self._assistants

    def woo(self, store: StoreRecord) -> WooClient:
        """The store's REST client, one per store per process (its concurrency limit is per store)."""
        fingerprint = hash((store.url, store.consumer_key, store.consumer_secret, store.ca_file, store.insecure_tls))
        entry = self._woo.get(store.id)
        if entry is None or entry[0] != fingerprint:
            if entry is not None:  # credentials changed: retire the old client
                asyncio.get_running_loop().create_task(entry[1].aclose())

            verify = verify_for(store.ca_file, insecure=store.insecure_tls, global_bundle=self.settings.woo_ca_bundle)
            client = WooClient(store.url, store.consumer_key, store.consumer_secret, timeout=30.0, max_concurrency=4,
                               verify=verify)
            entry = self._woo[store.id] = (fingerprint, client)
        return entry[1]

    async def store_or_fail(self, store_id: str) -> StoreRecord:
        store = await self.stores.get(store_id)
        if store is None:
            raise NonRetryableError(f"store {store_id!r} is not connected")
        return store

    def worker(self, **kw: Any) -> Worker:
        return Worker(self.db.pool, self.registry, self.settings, services=self, **kw)

    async def close(self) -> None:
        for _, client in self._woo.values():
            await client.aclose()
        if self.override_sync is not None:
            await self.override_sync.aclose()
        await self.gateway.aclose()
        if self.audit is not None:
            await self.audit.aclose()  # flushes what the gateway emitted last
        await self.db.close()


async def open_runtime(settings: Settings, *, migrate: bool = True, gateway: Gateway | None = None) -> Runtime:
    """Open the database and wire every part. ``gateway`` replaces the configured one (tests, drills)."""
    box = secret_box(settings)  # a malformed key fails here, before anything is opened
    db = await open_database(settings, migrate=migrate)
    stores = StoreRepository(db.pool, box=box)
    if migrate:
        try:  # plaintext secrets from before encryption are sealed; a wrong key stops the start, clearly
            sealed = await stores.seal_secrets()
        except BaseException:
            await db.close()
            raise
        if sealed:
            log.info("sealed the plaintext secrets of %d store(s) at rest", sealed)
    registry = build_registry()

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
        stores=stores,
        gateway=gateway,
        api_keys=ApiKeyRepository(db.pool),
        audit=audit,
        override_sync=sync,
    )
    await _warn_insecure_stores(rt)
    return rt


def secret_box(settings: Settings) -> SecretBox:
    """The keys sealing store secrets: ``SOVEREIGN_SECRET_KEY`` or the data dir's key file."""
    env = settings.secret_key.get_secret_value() if settings.secret_key else None
    old = settings.secret_keys_old.get_secret_value() if settings.secret_keys_old else None
    return open_secret_box(env, old, settings.secret_key_file)


async def _warn_insecure_stores(rt: Runtime) -> None:
    """Every start says which stores are talked to without checking their certificate."""
    try:
        insecure = await rt.stores.insecure()
    except Exception:  # noqa: BLE001 - an unmigrated database: nothing to warn about yet
        return
    for store_id in insecure:
        log.warning(
            "store %s: TLS certificate checks are OFF (--insecure-skip-tls-verify); anyone on the path can read "
            "and change its API traffic. Reconnect with --ca-file to fix.", store_id,
        )


def _warm_redactor(gateway: Gateway) -> None:
    """Presidio's recognizers take a second or two to build: do it off the request path, now."""
    redactor = getattr(gateway.policy, "redactor", None)
    if redactor is not None and hasattr(redactor, "warm"):
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(redactor.warm))
        task.add_done_callback(_log_warmup_failure)


def _log_warmup_failure(task: "asyncio.Task[object]") -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("redactor warm-up failed: %s", task.exception())
