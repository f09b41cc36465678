"""Amounts as the store writes them (WooCommerce's currency position, decimals and separators)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sovereign.domain.money import PriceFormat, format_price

EUR_DE = {"currency": "EUR", "currency_symbol": "€", "currency_position": "right_space", "price_decimals": 2,
          "thousand_separator": ".", "decimal_separator": ","}


@pytest.mark.parametrize(("position", "expected"), [
    ("left", "£1,234.50"), ("right", "1,234.50£"), ("left_space", "£ 1,234.50"), ("right_space", "1,234.50 £"),
])
def test_every_woocommerce_position(position: str, expected: str) -> None:
    fmt = PriceFormat.of({"currency": "GBP", "currency_symbol": "£", "currency_position": position})
    assert format_price(Decimal("1234.5"), "GBP", fmt) == expected


def test_separators_decimals_and_sign() -> None:
    assert format_price(Decimal("1234567.5"), "EUR", PriceFormat.of(EUR_DE)) == "1.234.567,50 €"
    yen = PriceFormat.of({"currency": "JPY", "currency_symbol": "¥", "price_decimals": 0})
    assert format_price(Decimal("1234.5"), "JPY", yen) == "¥1,235"
    gbp = PriceFormat.of({"currency": "GBP", "currency_symbol": "£"})
    assert format_price(Decimal("-5"), "GBP", gbp) == "-£5.00"


def test_another_currency_keeps_its_code_and_nothing_known_keeps_the_iso_form() -> None:
    assert format_price(Decimal("99"), "USD", PriceFormat.of(EUR_DE)) == "99,00 USD"  # a multi-currency order
    assert format_price(Decimal("949.9"), "USD") == "949.90 USD"
    assert format_price(Decimal("5"), None) == "5.00"


def test_malformed_settings_keep_the_defaults() -> None:
    fmt = PriceFormat.of({"currency_position": "middle", "price_decimals": "two", "thousand_separator": "1",
                          "currency_symbol": "  ", "currency": 7})
    assert fmt == PriceFormat()


def test_any_amount_formats_even_absurd_ones() -> None:
    big = Decimal("1.2138066596419286e+21") * 5  # a fuzzed order total, times the store's average multiplier
    assert format_price(big, "USD") == "6,069,033,298,209,643,000,000.00 USD"
    assert format_price(Decimal("1e40"), "USD").startswith("10,000,000,000")
    assert format_price(Decimal("0.005"), "USD") == "0.01 USD"  # half up, as WooCommerce rounds
    assert format_price(Decimal("Infinity"), "USD") == "Infinity USD"
