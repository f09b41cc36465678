"""Daily unit sales per product, aggregated from WooCommerce order bodies.

Pure: the caller pulls the orders (``GET /orders?after=…&per_page=100``, paged)
and hands the bodies in.
"""

from __future__ import annotations

from datetime import date, datetime, timezone, tzinfo
from typing import Any, Iterable, Mapping

import numpy as np

__all__ = ["SALES_STATUSES", "daily_sales_from_orders", "order_day"]

# Orders whose goods are sold (paid or committed). Pending, failed, cancelled,
# refunded and drafts are not demand that stock must cover.
SALES_STATUSES = frozenset({"processing", "completed", "on-hold"})


def order_day(order: Mapping[str, Any], tz: tzinfo | None = None) -> date | None:
    """The calendar day an order was created, in the store's timezone ``tz`` (UTC when not given).

    From ``date_created_gmt`` (WooCommerce gives it without offset): a Los Angeles store's order at
    22:00 on a Friday is a Friday sale, not a Saturday one, which matters to weekly patterns and to
    the trading calendar (a day with no sale at all is a closed day).
    """
    raw = order.get("date_created_gmt") or ""
    if not raw:
        return None
    stamp = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone(tz or timezone.utc).date()


def daily_sales_from_orders(
    orders: Iterable[Mapping[str, Any]],
    start: date,
    end: date,
    *,
    per_variation: bool = False,
    statuses: frozenset[str] = SALES_STATUSES,
    tz: tzinfo | None = None,
) -> dict[int, np.ndarray]:
    """Units sold per product per day of the store (``tz``; UTC when not given), for ``start`` ≤ day < ``end``.

    Returns ``{product_id: array}`` where ``array[i]`` is the quantity sold on
    ``start + i days`` (float64, length ``(end - start).days``). Only orders in
    ``statuses`` count. Line items of variations count towards their parent
    product, or towards the variation id with ``per_variation=True`` (for stock
    managed per variation). Products with no sale in the window are absent: the
    caller adds zeros for the catalogue products it wants forecast.
    """
    days = (end - start).days
    if days <= 0:
        raise ValueError("end must be after start")
    out: dict[int, np.ndarray] = {}
    for order in orders:
        if order.get("status") not in statuses:
            continue
        day = order_day(order, tz)
        if day is None or not (start <= day < end):
            continue
        index = (day - start).days
        for item in order.get("line_items") or []:
            product_id = int(item.get("product_id") or 0)
            variation_id = int(item.get("variation_id") or 0)
            key = variation_id if per_variation and variation_id else product_id
            quantity = float(item.get("quantity") or 0)
            if key <= 0 or quantity <= 0:
                continue
            series = out.get(key)
            if series is None:
                series = out[key] = np.zeros(days, dtype=np.float64)
            series[index] += quantity
    return out
