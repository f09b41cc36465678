"""The forecasts page: per product, sales history and forecast with a band, demand against stock, run-outs. Pure.

The forecast stores a point forecast per day and, since migration 0019, its own
figure at the service level: the demand to month end that stock must cover
(``demand_at_service``, the conformal upper figure) and the units to add for it
(``needed_service``). The cumulative band's upper edge and the run-out list's
"at the service level" use that figure. Rows written before it (and the daily
chart) use the history's own spread: daily ``forecast ± z·σ`` and cumulative
``Σforecast ± z·σ·√k`` (σ: standard deviation of the last 28 days of sales).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from statistics import NormalDist, pstdev
from typing import Sequence

from sovereign.store.forecast_series import ForecastSeries

from .charts import Chart, Series, time_chart

__all__ = ["RunOut", "product_charts", "run_outs", "z_for"]

SERVICE_LEVEL = 0.95


def z_for(level: float) -> float:
    return NormalDist().inv_cdf(level)


def _sigma(history: Sequence[float]) -> float:
    recent = list(history[-28:])
    return pstdev(recent) if len(recent) > 1 else 0.0


@dataclass(frozen=True, slots=True)
class RunOut:
    series: ForecastSeries
    days_left: float  # days of stock at the forecast rate (fractional: part of the day it runs out)
    runs_out: date
    demand: float  # forecast demand to month end
    high: float  # the band's upper edge of that demand


def run_outs(items: Sequence[ForecastSeries], level: float = SERVICE_LEVEL) -> list[RunOut]:
    """Products whose stock on hand does not cover the forecast to month end, fewest days left first."""
    out = []
    z = z_for(level)
    for s in items:
        demand = sum(s.forecast)
        on_hand = float(s.stock_quantity or 0)
        if demand <= on_hand or not s.forecast:
            continue
        left, cumulative = 0.0, 0.0
        for day in s.forecast:
            if cumulative + day > on_hand:
                left += (on_hand - cumulative) / day if day > 0 else 0.0
                break
            cumulative += day
            left += 1
        high = s.demand_at_service if s.demand_at_service is not None else (
            demand + z * _sigma(s.history) * math.sqrt(len(s.forecast)))
        out.append(RunOut(s, round(max(left, 0.0), 1), s.as_of + timedelta(days=int(max(left, 0.0))), demand, high))
    out.sort(key=lambda r: (r.days_left, r.series.store_id, r.series.product_id))
    return out


def _day(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time(), timezone.utc)


def product_charts(s: ForecastSeries, level: float = SERVICE_LEVEL) -> list[Chart]:
    z, sigma = z_for(level), _sigma(s.history)
    first = s.as_of - timedelta(days=len(s.history))
    end = s.as_of + timedelta(days=len(s.forecast))
    history = [(_day(first + timedelta(days=i)), float(v)) for i, v in enumerate(s.history)]
    ahead = [(_day(s.as_of + timedelta(days=i)), float(v)) for i, v in enumerate(s.forecast)]
    low = [(t, max(0.0, v - z * sigma)) for t, v in ahead]
    high = [(t, v + z * sigma) for t, v in ahead]
    pct = f"{level:.0%}"
    label = f"{s.name or 'product'} #{s.product_id}"
    daily = time_chart(
        f"sales-{s.store_id}-{s.product_id}", f"{label}: units sold per day, last {len(s.history)} days, and forecast "
        f"to {(end - timedelta(days=1)).isoformat()}",
        [Series("sold", history), Series("forecast", ahead, style="dashed"),
         Series(f"{pct} band", low, style="band", upper=high)],
        start=_day(first), end=_day(end), unit="units/day", marker=_day(s.as_of), marker_label="today",
    )
    cum, total = [], 0.0
    for i, (t, v) in enumerate(ahead):
        total += v
        cum.append((t + timedelta(days=1), round(total, 2), math.sqrt(i + 1)))
    stock = float(s.stock_quantity or 0)
    lower = [(t, max(0.0, v - z * sigma * k)) for t, v, k in cum]
    upper = [(t, v + z * sigma * k) for t, v, k in cum]
    needed = f"needed: {s.needed:g}"
    if s.demand_at_service is not None and cum:
        # the forecaster's own figure: its margin over the mean grows like the Poisson spread, √(mean + 1)
        at = s.service_level or level
        pct = f"{at:.0%}"
        end_margin = max(0.0, s.demand_at_service - total)
        scale = math.sqrt(total + 1.0)
        upper = [(t, v + end_margin * math.sqrt(v + 1.0) / scale) for t, v, _ in cum]
        needed += f"; {s.needed_service:g} to cover {s.demand_at_service:.1f} at {pct}"
    demand = time_chart(
        f"demand-{s.store_id}-{s.product_id}",
        f"{label}: forecast demand to month end against {stock:g} on hand ({needed})",
        [Series("demand so far", [(t, v) for t, v, _ in cum], style="area"),
         Series(f"{pct} band", lower, style="band", upper=upper)],
        start=_day(s.as_of), end=_day(end), unit="units", threshold=stock, threshold_label=f"on hand {stock:g}",
    )
    return [daily, demand]
