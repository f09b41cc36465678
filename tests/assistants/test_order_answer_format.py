"""The shopper's order-status answer writes the total the way the store writes prices."""

from __future__ import annotations

from sovereign.domain.money import PriceFormat
from sovereign.domain.orders import Order
from sovereign.features.assistants.support_orders import describe
from sovereign_testkit.fixtures import load_json


def test_the_total_uses_the_stores_symbol_position_and_separators() -> None:
    raw = next(o for o in load_json("orders.json") if o["id"] == 85)
    order = Order.from_woo(raw)
    assert "Total: 949.90 USD." in describe(order)  # no store format known: the ISO form
    fmt = PriceFormat.of({"currency": "USD", "currency_symbol": raw["currency_symbol"], "currency_position": "left"})
    assert f"Total: {raw['currency_symbol']}949.90." in describe(order, fmt)
    euro_store = PriceFormat.of({"currency": "EUR", "currency_symbol": "€", "currency_position": "right_space"})
    assert "Total: 949.90 USD." in describe(order, euro_store)  # an order in another currency keeps its code
