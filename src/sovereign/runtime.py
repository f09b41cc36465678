"""The composition root: builds the service's parts from settings, once per process.

Entrypoints (``web``, ``cli``, the worker) call ``open_runtime`` and get every
part wired; features receive the small interfaces they need, never settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sovereign.jobs import JobQueue, JobRegistry, QueueInspector, Worker
from sovereign.settings import Settings
from sovereign.store.database import Database, open_database

log = logging.getLogger("sovereign.runtime")


def build_registry() -> JobRegistry:
    """Every job handler and recurring schedule of the service."""
    registry = JobRegistry()
    from sovereign.features import maintenance

    maintenance.register(registry)
    return registry


@dataclass
class Runtime:
    settings: Settings
    db: Database
    registry: JobRegistry
    queue: JobQueue
    inspector: QueueInspector
    resources: dict[str, Any] = field(default_factory=dict)

    def worker(self, **kw: Any) -> Worker:
        return Worker(self.db.pool, self.registry, self.settings, resources=self.resources, **kw)

    async def close(self) -> None:
        await self.db.close()


async def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    db = await open_database(settings, migrate=migrate)
    registry = build_registry()
    rt = Runtime(
        settings=settings,
        db=db,
        registry=registry,
        queue=JobQueue(db.pool, registry),
        inspector=QueueInspector(db.pool, settings.past_due_after_s),
    )
    rt.resources.update({"pool": db.pool, "queue": rt.queue, "settings": settings, "runtime": rt})
    return rt
