"""Each product's latest stock forecast (``sovereign_forecasts``) and the narratives written about
them (``sovereign_forecast_narratives``). The series behind a forecast: ``forecast_series``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

import asyncpg

__all__ = ["ForecastRepository", "ForecastRow", "NarrativeRecord"]


@dataclass(frozen=True, slots=True)
class ForecastRow:
    product_id: int
    model: str
    demand_class: str
    needed: float
    horizon_end: date
    forecast_total: float
    needed_service: float
    service_level: float


@dataclass(frozen=True, slots=True)
class NarrativeRecord:
    store_id: str
    as_of: date
    category: str
    batch: int
    product_ids: list[int]
    narrative: str | None
    status: str
    reason: str | None
    model: str | None


class ForecastRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def product_ids(self, store_id: str) -> set[int]:
        rows = await self.pool.fetch("SELECT product_id FROM sovereign_forecasts WHERE store_id = $1", store_id)
        return {int(r["product_id"]) for r in rows}

    async def forget(self, store_id: str, product_ids: Iterable[int]) -> None:
        await self.pool.execute(
            "DELETE FROM sovereign_forecasts WHERE store_id = $1 AND product_id = ANY($2::bigint[])",
            store_id, sorted(product_ids),
        )

    async def save(self, store_id: str, rows: Iterable[ForecastRow]) -> None:
        await self.pool.executemany(
            """
            INSERT INTO sovereign_forecasts (store_id, product_id, model, demand_class, needed, horizon_end,
                                             forecast_total, needed_service, service_level)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (store_id, product_id) DO UPDATE SET model = EXCLUDED.model,
                demand_class = EXCLUDED.demand_class, needed = EXCLUDED.needed,
                horizon_end = EXCLUDED.horizon_end, forecast_total = EXCLUDED.forecast_total,
                needed_service = EXCLUDED.needed_service, service_level = EXCLUDED.service_level, created_at = now()
            """,
            [(store_id, r.product_id, r.model, r.demand_class, r.needed, r.horizon_end, r.forecast_total,
              r.needed_service, r.service_level) for r in rows],
        )

    async def save_narrative(self, n: NarrativeRecord) -> None:
        await self.pool.execute(
            """
            INSERT INTO sovereign_forecast_narratives
                (store_id, as_of, category, batch, product_ids, narrative, status, reason, model)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (store_id, as_of, category, batch) DO UPDATE SET product_ids = EXCLUDED.product_ids,
                narrative = EXCLUDED.narrative, status = EXCLUDED.status, reason = EXCLUDED.reason,
                model = EXCLUDED.model, created_at = now()
            """,
            n.store_id, n.as_of, n.category, n.batch, n.product_ids, n.narrative, n.status, n.reason, n.model,
        )
