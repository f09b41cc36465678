"""The Black-Friday burst's orders: copies of the captured WooCommerce orders with new ids. Pure.

Each copy keeps the captured customer, addresses, IP, items and totals (44
real shapes: disposable emails, reshipping, non-Latin and accented
addresses, coupons...), gets a new id and today's dates, and is a new
checkout: ``pending`` (unpaid methods) or ``processing`` (paid).

    orders = burst_orders(load_json("orders.json"), 60, first_id=200_000, now=datetime.now(timezone.utc))
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from sovereign.domain.orders import Order

__all__ = ["burst_orders", "personal_values"]

_OWN_META = "_sovereign_"


def burst_orders(
    captured: Sequence[Mapping[str, Any]], count: int, *, first_id: int, now: datetime
) -> list[dict[str, Any]]:
    """``count`` orders cycling through ``captured`` (sorted by id), ids ``first_id, first_id + 1, …``."""
    if not captured:
        raise ValueError("no captured orders to copy")
    base = sorted(captured, key=lambda o: int(o["id"]))
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S")
    out = []
    for i in range(count):
        order = copy.deepcopy(dict(base[i % len(base)]))
        oid = first_id + i
        order["id"] = oid
        order["number"] = str(oid)
        order["order_key"] = f"wc_order_drill{oid}"
        order["status"] = "pending" if order.get("status") == "pending" else "processing"
        for key in ("date_created", "date_created_gmt", "date_modified", "date_modified_gmt"):
            order[key] = stamp
        order["date_paid"] = order["date_paid_gmt"] = None if order["status"] == "pending" else stamp
        order["date_completed"] = order["date_completed_gmt"] = None
        order["meta_data"] = [m for m in order.get("meta_data") or [] if not str(m.get("key", "")).startswith(_OWN_META)]
        order["refunds"] = []
        out.append(order)
    return out


def personal_values(orders: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every distinct personal value of ``orders`` (``Order.personal_fields()``: names, email, phones,
    company, street, postcode, city, IP), the values the residency measurement looks for."""
    values: set[str] = set()
    for body in orders:
        values.update(v.strip() for v in Order.from_woo(body).personal_fields().values() if v and v.strip())
    return values
