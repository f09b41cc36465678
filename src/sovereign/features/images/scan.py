"""The whole catalogue's images: checked now with progress (``sovereign images scan``) or queued as jobs.

    report = await scan_catalogue(rt, "shop", progress=lambda done, total, pid: ...)
    report.checked, report.skipped, report.failed, report.codes     # codes: finding code -> count
    await queue_catalogue(rt, "shop")                                 # durable images.check jobs instead
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional

from sovereign.features.images.check import check_product
from sovereign.features.images.duplicates import sync_duplicates
from sovereign.store.images import ImageRepository
from sovereign.features.images.jobs import schedule_checks
from sovereign.features.services import FeatureServices


__all__ = ["ScanReport", "catalogue_ids", "queue_catalogue", "scan_catalogue"]

log = logging.getLogger("sovereign.images")

Progress = Callable[[int, int, Optional[int]], None]


@dataclass
class ScanReport:
    products: int = 0
    checked: int = 0
    skipped: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    codes: Counter[str] = field(default_factory=Counter)  # the catalogue's findings after the scan, by code
    vision: Counter[str] = field(default_factory=Counter)


async def catalogue_ids(rt: FeatureServices, store_id: str) -> list[int]:
    store = await rt.store_or_fail(store_id)
    return [int(p["id"]) async for p in rt.woo(store).list_products() if isinstance(p.get("id"), int)]


async def scan_catalogue(
    rt: FeatureServices, store_id: str, *, force: bool = False, concurrency: int = 2, progress: Progress | None = None
) -> ScanReport:
    """Check every product now, ``concurrency`` at a time; one product's failure is reported, not raised."""
    ids = await catalogue_ids(rt, store_id)
    report = ScanReport(products=len(ids))
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0
    if progress:
        progress(0, len(ids), None)

    async def one(pid: int) -> None:
        nonlocal done
        async with gate:
            try:
                out = await check_product(rt, store_id, pid, force=force)
            except Exception as exc:  # noqa: BLE001 - the scan goes on; the product is listed as failed
                log.warning("image check of product %s failed: %r", pid, exc)
                report.failed[pid] = f"{type(exc).__name__}: {exc}"[:200]
            else:
                if out.status == "checked":
                    report.checked += 1
                    report.vision[out.vision.split(":")[0]] += 1
                else:
                    report.skipped += 1
            done += 1
            if progress:
                progress(done, len(ids), pid)

    await asyncio.gather(*(one(pid) for pid in ids))
    # products checked side by side could not see each other: settle the catalogue's duplicates once
    await sync_duplicates(rt, store_id)
    report.codes = Counter(await ImageRepository(rt.db.pool).finding_counts(store_id))
    return report


async def queue_catalogue(rt: FeatureServices, store_id: str, *, force: bool = False, interval_s: float = 0.0) -> int:
    """One durable ``images.check`` per product (group ``images``, capped by its concurrency); returns how many."""
    ids = await catalogue_ids(rt, store_id)
    scheduled = await schedule_checks(rt, store_id, ids, interval_s=interval_s, force=force)
    return sum(1 for s in scheduled if s.created)
