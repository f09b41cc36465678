"""One store's stock forecast: 90 days of sales over REST → forecasts to month end → product meta and rows.

    run = await run_forecast(rt, "shop")                     # today: the store's current day
    run.forecasts[22].needed, run.forecasts[22].model

Days are the store's own (its ``timezone`` setting, read from WooCommerce at
connect; UTC when unknown). History is the 90 complete days before ``today``
(orders paged with ``after``/``before`` on ``date_created_gmt``, the window's
local midnights given in UTC, sales statuses only). The
products forecast are those that sold in the window plus those forecast
before, so a product whose sales stopped gets its meta brought down to 0
rather than left stale. Results go to WooCommerce in ``products/batch`` calls
(at most 100 items each) as ``_sovereign_stock_needed_month_end`` (for the mean
demand), ``_sovereign_stock_needed_month_end_service`` (for the service level, the
setting ``forecast_service_level`` or the store setting of that name, 95 % by default),
``_sovereign_forecast_service_level`` and ``_sovereign_forecast_model``, and to
``sovereign_forecasts``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from sovereign.domain.forecast import (
    Forecast,
    NarrativeItem,
    days_to_month_end,
    forecast_many,
    forecast_meta,
    month_end,
    stock_for_service_month_end,
)
from sovereign.domain.products import Product
from sovereign.domain.sales import SALES_STATUSES, daily_sales_from_orders
from sovereign.store.forecasts import ForecastRepository, ForecastRow
from sovereign.store.forecast_series import ForecastSeries, ForecastSeriesRepository
from sovereign.features.store_port import WooStore
from sovereign.features.services import FeatureServices


__all__ = ["HISTORY_DAYS", "ForecastRun", "ProductForecast", "fetch_sales", "run_forecast", "store_zone"]

log = logging.getLogger("sovereign.forecasts")

HISTORY_DAYS = 90
_INCLUDE_CHUNK = 100


def store_zone(name: Any) -> tzinfo:
    """The store's timezone from its ``timezone`` setting: an IANA name (``Europe/Berlin``), ``UTC`` or a
    WordPress offset (``+05:30``); UTC when unknown or unreadable (logged)."""
    if not isinstance(name, str) or not name.strip() or name.strip().upper() == "UTC":
        return timezone.utc
    text = name.strip()
    offset = re.fullmatch(r"(?:UTC)?([+-])(\d{1,2})(?::?(\d{2}))?", text)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        delta = timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0))
        if delta < timedelta(hours=15):
            return timezone(sign * delta)
    else:
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    log.warning("store timezone %r is not known here; forecasting on UTC days", text)
    return timezone.utc


@dataclass(frozen=True, slots=True)
class ProductForecast:
    product_id: int
    name: str
    sku: str
    category: str  # the product's first category ("Uncategorized" if none)
    model: str
    demand_class: str
    stock_quantity: int | None
    needed: int  # units to add to cover the mean demand to month end
    needed_service: int  # units to add to cover demand to month end at the service level
    service_level: float
    forecast_total: float  # mean demand to month end
    narrative: NarrativeItem


@dataclass(frozen=True, slots=True)
class ForecastRun:
    store_id: str
    as_of: date  # the first forecast day; history ends the day before
    horizon_end: date
    forecasts: dict[int, ProductForecast] = field(default_factory=dict)
    write_errors: tuple[str, ...] = ()


async def fetch_sales(woo: WooStore, start: date, end: date, tz: tzinfo = timezone.utc) -> dict[int, np.ndarray]:
    """Daily units per product for the store's days ``start`` ≤ day < ``end``, from the orders created then."""
    orders = woo.list_orders(
        status=sorted(SALES_STATUSES),
        after=_gmt_midnight(start, tz),
        before=_gmt_midnight(end, tz),
        dates_are_gmt=True,
    )
    return daily_sales_from_orders([o async for o in orders], start, end, tz=tz)


def _gmt_midnight(day: date, tz: tzinfo) -> str:
    """The store's midnight starting ``day``, in UTC as WooCommerce's ``after``/``before`` take it."""
    local = datetime.combine(day, time(0), tzinfo=tz)
    return local.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


async def _products(woo: WooStore, ids: list[int]) -> dict[int, dict[str, Any]]:
    wanted = set(ids)
    found: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), _INCLUDE_CHUNK):
        chunk = ids[i : i + _INCLUDE_CHUNK]
        async for body in woo.list_products(include=chunk, per_page=len(chunk)):
            if body.get("id") in wanted:
                found[int(body["id"])] = body
    return found


def _category(body: Mapping[str, Any]) -> str:
    names = [str(c.get("name")) for c in body.get("categories") or [] if c.get("name")]
    return names[0] if names else "Uncategorized"


def _build(
    body: Mapping[str, Any], history: np.ndarray, fc: Forecast, today: date
) -> ProductForecast:
    product = Product.from_rest(body)
    item = NarrativeItem.build(
        name=product.name, sku=product.sku, history=history, forecast=fc,
        stock_quantity=product.stock_quantity, today=today,
    )
    return ProductForecast(
        product_id=int(body["id"]),
        name=product.name,
        sku=product.sku,
        category=_category(body),
        model=fc.model,
        demand_class=fc.demand_class,
        stock_quantity=product.stock_quantity,
        needed=item.stock_needed_month_end,
        needed_service=stock_for_service_month_end(fc, product.stock_quantity, today),
        service_level=float(fc.service_level or 0.0),
        forecast_total=item.forecast_to_month_end,
        narrative=item,
    )


async def run_forecast(rt: FeatureServices, store_id: str, *, today: date | None = None) -> ForecastRun:
    store = await rt.store_or_fail(store_id)
    woo = rt.woo(store)
    tz = store_zone(store.settings.get("timezone"))
    today = today or datetime.now(tz).date()
    start = today - timedelta(days=HISTORY_DAYS)
    sales = await fetch_sales(woo, start, today, tz)
    repo = ForecastRepository(rt.db.pool)
    previous = await repo.product_ids(store_id)
    bodies = await _products(woo, sorted(set(sales) | previous))
    horizon_end = month_end(today)
    gone = previous - bodies.keys()
    if gone:
        await repo.forget(store_id, gone)
        await ForecastSeriesRepository(rt.db.pool).forget(store_id, gone)
    if not bodies:
        log.info("forecast for %s: no product sold in the last %d days", store_id, HISTORY_DAYS)
        return ForecastRun(store_id, today, horizon_end)

    series = {pid: sales.get(pid, np.zeros(HISTORY_DAYS)) for pid in sorted(bodies)}
    # CPU work off the event loop, so the worker keeps heart-beating; n_jobs=1: no forked pools in a worker.
    level = float(store.settings.get("forecast_service_level", rt.settings.forecast_service_level))
    forecasts = await asyncio.to_thread(
        forecast_many, series, days_to_month_end(today), n_jobs=1, service_level=level
    )
    results = {pid: _build(bodies[pid], series[pid], fc, today) for pid, fc in forecasts.items()}

    updates = [{"id": pid, "meta_data": forecast_meta(forecasts[pid], r.needed, r.needed_service)} for pid, r in results.items()]
    batch = await woo.batch_products(update=updates)
    failed = {int(updates[e.index]["id"]) for e in batch.errors if e.op == "update"}
    errors = tuple(f"product {updates[e.index]['id']}: {e.code} {e.message}" for e in batch.errors)
    for message in errors:
        log.warning("forecast for %s: meta not written for %s", store_id, message)
    written = {pid: r for pid, r in results.items() if pid not in failed}

    await repo.save(store_id, (
        ForecastRow(pid, r.model, r.demand_class, float(r.needed), horizon_end, r.forecast_total,
                    float(r.needed_service), r.service_level)
        for pid, r in written.items()
    ))
    await ForecastSeriesRepository(rt.db.pool).save(  # the numbers behind it, for the console's charts
        ForecastSeries(store_id, pid, r.name, today, [float(v) for v in series[pid]],
                       [float(v) for v in forecasts[pid].daily[: days_to_month_end(today)]], r.stock_quantity,
                       float(r.needed), r.model,
                       demand_at_service=forecasts[pid].total_at_service(days_to_month_end(today)),
                       needed_service=float(r.needed_service), service_level=r.service_level or None)
        for pid, r in written.items()
    )
    log.info("forecast for %s: %d products to %s, %d write errors", store_id, len(written), horizon_end, len(errors))
    return ForecastRun(store_id, today, horizon_end, written, errors)
