"""Daily sales aggregated from the captured orders.json (44 orders, all created 2026-11-22 UTC)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from sovereign.domain.forecast import forecast_many
from sovereign.domain.sales import SALES_STATUSES, daily_sales_from_orders, order_day
from sovereign_testkit.fixtures import load_json

DAY = date(2026, 11, 22)


def test_only_sales_statuses_count() -> None:
    orders = load_json("orders.json")
    sales = daily_sales_from_orders(orders, date(2026, 11, 20), date(2026, 11, 23))
    # Sunglasses (23): on-hold 85 (8), 83 (25), 79 (2), 71 (3), 55 (6), 52 (5) and processing 46 (1).
    # Pending 76, 59, 50 and refunded 64 do not count.
    assert sales[23].tolist() == [0.0, 0.0, 50.0]
    # Album (28) only sold in on-hold 65; Single (29) in on-hold 65 (40), but 67/68 failed and 69 pending.
    assert sales[28][2] == 30 and sales[29][2] == 40
    # Hoodie (17, variable): variations 37 (on-hold, 100), 39 and 38 (processing, 1 each), 40 (completed, 1).
    assert sales[17][2] == 103
    # Belt (21): on-hold 45 (1); pending 53 and refunded 64 do not count.
    assert sales[21][2] == 1
    # Every product absent from a counted order is absent from the result.
    counted = {
        item["product_id"] for o in orders if o["status"] in SALES_STATUSES for item in o["line_items"]
    }
    assert set(sales) == counted


def test_per_variation_keys_and_totals() -> None:
    orders = load_json("orders.json")
    by_product = daily_sales_from_orders(orders, DAY, date(2026, 11, 23))
    by_variation = daily_sales_from_orders(orders, DAY, date(2026, 11, 23), per_variation=True)
    assert {k: v[0] for k, v in by_variation.items() if k in (37, 38, 39, 40)} == {37: 100, 38: 1, 39: 1, 40: 1}
    assert 17 not in by_variation  # every Hoodie sale names its variation
    assert sum(v.sum() for v in by_product.values()) == sum(v.sum() for v in by_variation.values())


def test_window_is_half_open_and_shapes_match() -> None:
    orders = load_json("orders.json")
    assert daily_sales_from_orders(orders, date(2026, 11, 23), date(2026, 12, 1)) == {}
    assert daily_sales_from_orders(orders, date(2026, 11, 1), DAY) == {}
    sales = daily_sales_from_orders(orders, date(2026, 8, 25), date(2026, 11, 23))  # 90 days
    assert all(v.shape == (90,) and v.dtype == np.float64 for v in sales.values())
    assert all(v[:-1].sum() == 0 for v in sales.values())
    assert order_day({"date_created_gmt": "2026-11-22T23:59:59"}) == DAY
    assert order_day({"date_created_gmt": "2026-11-22T23:30:00+00:00"}) == DAY
    with pytest.raises(ValueError):
        daily_sales_from_orders(orders, DAY, DAY)


def test_aggregated_history_feeds_the_forecaster() -> None:
    sales = daily_sales_from_orders(load_json("orders.json"), date(2026, 8, 25), date(2026, 11, 23))
    result = forecast_many(sales, 8)
    assert set(result) == set(sales)
    # One day of sales in 90 is intermittent demand: a flat combined rate, not a spike repeated.
    assert {f.model for f in result.values()} == {"Combination"}
    assert all(np.allclose(f.daily, f.daily[0]) for f in result.values())
    assert all(0 < f.daily[0] < sales[k].sum() for k, f in result.items())


def test_sales_fall_on_the_stores_own_day() -> None:
    from datetime import timedelta, timezone
    from zoneinfo import ZoneInfo

    late_friday_in_la = {"status": "processing", "date_created_gmt": "2026-06-06T04:30:00",  # Fri 5 June, 21:30 PDT
                         "line_items": [{"product_id": 7, "quantity": 2}]}
    assert order_day(late_friday_in_la) == date(2026, 6, 6)  # UTC: already Saturday
    assert order_day(late_friday_in_la, ZoneInfo("America/Los_Angeles")) == date(2026, 6, 5)
    assert order_day(late_friday_in_la, timezone(timedelta(hours=9))) == date(2026, 6, 6)
    sales = daily_sales_from_orders([late_friday_in_la], date(2026, 6, 5), date(2026, 6, 7),
                                    tz=ZoneInfo("America/Los_Angeles"))
    assert sales[7].tolist() == [2.0, 0.0]  # a Friday sale: the Saturday stays a day without sales
