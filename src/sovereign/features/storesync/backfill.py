"""A first backfill: the store's open orders and its products without a description, however old.

Reconciliation only looks back to the last sync (a day for a new store); this takes in what was
already waiting when the store was connected. Each item goes through ``ingest`` like a delivery,
so what was already taken in schedules nothing, and running it twice is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sovereign.features.services import FeatureServices
from sovereign.features.storesync.ingest import ingest, synthetic_delivery
from sovereign.features.storesync.routing import SCORABLE_STATUSES
from sovereign.store.stores import StoreRecord
from sovereign.woo.webhooks import strip_autop

Progress = Callable[[str, int, int | None], None]  # (what, done, total or None)


@dataclass
class Backfill:
    orders: int = 0
    products: int = 0
    jobs: int = 0


def _no_description(body: dict[str, Any]) -> bool:
    return not strip_autop(str(body.get("description") or "")).strip()


async def backfill_store(rt: FeatureServices, store: StoreRecord, progress: Progress | None = None) -> Backfill:
    woo = rt.woo(store)
    out = Backfill()
    tick = progress or (lambda *_: None)
    orders = [o async for o in woo.list_orders(status=sorted(SCORABLE_STATUSES))]
    out.orders, jobs = await _take_in(rt, store, "order", "orders", orders, tick)
    out.jobs += jobs
    products = [p async for p in woo.list_products() if _no_description(p)]
    out.products, jobs = await _take_in(rt, store, "product", "products", products, tick)
    out.jobs += jobs
    return out


async def _take_in(rt: FeatureServices, store: StoreRecord, resource: str, what: str, bodies: list[dict[str, Any]],
                   tick: Progress) -> tuple[int, int]:
    """Ingest each body like a delivery; returns (taken in, jobs scheduled)."""
    tick(what, 0, len(bodies))
    jobs = 0
    for i, body in enumerate(bodies, 1):
        res = await ingest(rt.db.pool, rt.queue, store, synthetic_delivery(store, resource, body, source="backfill"))
        jobs += len(res.job_ids)
        tick(what, i, len(bodies))
    return len(bodies), jobs
