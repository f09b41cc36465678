"""Housekeeping jobs: keep the queue's history bounded, and personal data only as long as its retention."""

from __future__ import annotations

from pydantic import BaseModel

from sovereign.jobs import JobContext, JobRegistry, QueueInspector
from sovereign.features.gdpr.retention import minimise_expired
from sovereign.features.services import FeatureServices


class PurgeArgs(BaseModel):
    failed_older_than_days: float = 30
    log_older_than_days: float = 14


async def purge(args: PurgeArgs, ctx: JobContext[FeatureServices]) -> None:
    inspector = QueueInspector(ctx.services.db.pool)
    await inspector.purge(
        failed_older_than_s=args.failed_older_than_days * 86400,
        log_older_than_s=args.log_older_than_days * 86400,
    )
    await minimise_expired(ctx.services.db.pool, ctx.services.settings.event_retention_days)


def register(registry: JobRegistry) -> None:
    registry.job("maintenance.purge", group="maintenance", max_attempts=3)(purge)
    registry.cron("maintenance.purge.daily", "30 3 * * *", job="maintenance.purge")
