"""The series behind each product's latest forecast (``sovereign_forecast_series``), for the console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

import asyncpg

__all__ = ["ForecastSeries", "ForecastSeriesRepository"]


@dataclass(frozen=True, slots=True)
class ForecastSeries:
    store_id: str
    product_id: int
    name: str
    as_of: date
    history: list[float]
    forecast: list[float]
    stock_quantity: int | None
    needed: float
    model: str
    demand_at_service: float | None = None  # demand to month end at the service level (the forecaster's figure)
    needed_service: float | None = None  # units to add to cover it
    service_level: float | None = None


class ForecastSeriesRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def save(self, rows: Iterable[ForecastSeries], *, conn: asyncpg.Connection | None = None) -> None:
        await (conn or self.pool).executemany(
            """
            INSERT INTO sovereign_forecast_series
                (store_id, product_id, name, as_of, history, forecast, stock_quantity, needed, model,
                 demand_at_service, needed_service, service_level)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (store_id, product_id) DO UPDATE SET name = EXCLUDED.name, as_of = EXCLUDED.as_of,
                history = EXCLUDED.history, forecast = EXCLUDED.forecast, stock_quantity = EXCLUDED.stock_quantity,
                needed = EXCLUDED.needed, model = EXCLUDED.model, demand_at_service = EXCLUDED.demand_at_service,
                needed_service = EXCLUDED.needed_service, service_level = EXCLUDED.service_level, created_at = now()
            """,
            [(r.store_id, r.product_id, r.name, r.as_of, list(r.history), list(r.forecast), r.stock_quantity,
              float(r.needed), r.model, r.demand_at_service, r.needed_service, r.service_level) for r in rows],
        )

    async def forget(self, store_id: str, product_ids: Iterable[int]) -> None:
        await self.pool.execute(
            "DELETE FROM sovereign_forecast_series WHERE store_id = $1 AND product_id = ANY($2::bigint[])",
            store_id, sorted(product_ids),
        )

    async def list(self, store_id: str | None = None) -> list[ForecastSeries]:
        rows = await self.pool.fetch(
            "SELECT * FROM sovereign_forecast_series WHERE $1::text IS NULL OR store_id = $1 "
            "ORDER BY store_id, product_id", store_id,
        )
        return [
            ForecastSeries(r["store_id"], r["product_id"], r["name"], r["as_of"], list(r["history"]),
                           list(r["forecast"]), r["stock_quantity"], r["needed"], r["model"], r["demand_at_service"],
                           r["needed_service"], r["service_level"])
            for r in rows
        ]
