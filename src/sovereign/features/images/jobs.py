"""The ``images.check`` job (group ``images``) and scheduling a whole catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from pydantic import BaseModel

from sovereign.features.images.check import check_product
from sovereign.features.images.trigger import JOB, dedupe_key
from sovereign.jobs import BulkItem, JobContext, JobRegistry, Scheduled
from sovereign.features.services import FeatureServices


__all__ = ["CheckArgs", "register", "schedule_checks"]


class CheckArgs(BaseModel):
    store: str
    product_id: int
    force: bool = False


async def _check_job(args: CheckArgs, ctx: JobContext[FeatureServices]) -> None:
    await check_product(ctx.services, args.store, args.product_id, force=args.force)


async def schedule_checks(
    rt: FeatureServices, store_id: str, product_ids: Iterable[int], *, interval_s: float = 0.0,
    start: datetime | None = None, force: bool = False,
) -> list[Scheduled]:
    """One durable check per product (a product already waiting is not scheduled twice)."""
    ids = list(dict.fromkeys(int(p) for p in product_ids))
    items = [BulkItem({"store": store_id, "product_id": p, "force": force}, dedupe_key(store_id, p)) for p in ids]
    return await rt.queue.schedule_many(JOB, items, start=start, interval=interval_s)


def register(registry: JobRegistry) -> None:
    registry.job(JOB, group="images", max_attempts=5, backoff_base_s=5.0, timeout_s=600.0)(_check_job)
