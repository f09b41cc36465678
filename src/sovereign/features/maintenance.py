"""Housekeeping jobs: keep the queue's history bounded."""

from __future__ import annotations

from pydantic import BaseModel

from sovereign.jobs import JobContext, JobRegistry, QueueInspector
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


def register(registry: JobRegistry) -> None:
    registry.job("maintenance.purge", group="maintenance", max_attempts=3)(purge)
    registry.cron("maintenance.purge.daily", "30 3 * * *", job="maintenance.purge")
