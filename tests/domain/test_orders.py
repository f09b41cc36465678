"""Parsing WooCommerce order JSON (REST and webhook bodies) into ``Order``."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from sovereign.domain.orders import Address, Order, address_key, normalize_email
from sovereign_testkit.fixtures import load_json

RAW_ORDERS = {o["id"]: o for o in load_json("orders.json")}


def parsed(order_id: int) -> Order:
    return Order.from_woo(RAW_ORDERS[order_id])


@pytest.mark.parametrize("order_id", sorted(RAW_ORDERS))
def test_every_captured_order_parses(order_id: int) -> None:
    raw = RAW_ORDERS[order_id]
    order = Order.from_woo(raw)
    assert order.id == order_id
    assert order.number == raw["number"]
    assert order.status == raw["status"]
    assert order.currency == raw["currency"]
    assert order.total == Decimal(raw["total"])
    assert order.customer_id == raw["customer_id"]
    assert order.email == raw["billing"]["email"].strip().lower()
    assert order.created is not None and order.created.tzinfo is not None
    assert order.created == datetime.fromisoformat(raw["date_created_gmt"]).replace(tzinfo=timezone.utc)
    assert order.billing.country == raw["billing"]["country"]
    assert len(order.line_items) == len(raw["line_items"])
    assert sum(li.quantity for li in order.line_items) == sum(li["quantity"] for li in raw["line_items"])
    assert order.payment_method == raw["payment_method"]


def test_showcase_order_single_fields() -> None:
    order = Order.from_woo(load_json("order_single.json"))
    assert (order.id, order.status, order.currency, order.total) == (85, "on-hold", "USD", Decimal("949.90"))
    assert order.email == "klaus.m.1987@mailinator.com"
    assert order.billing.full_name == "Klaus Müller"
    assert order.billing.city == "Düsseldorf"
    assert order.shipping is not None and order.shipping.country == "NG"
    assert order.phone == "+49 211 5555 0199"
    assert order.ip == "203.0.113.66"
    assert "HeadlessChrome" in order.user_agent
    assert order.created == datetime(2026, 11, 22, 16, 22, 23, tzinfo=timezone.utc)
    assert [(li.product_id, li.quantity, li.total) for li in order.line_items] == [
        (23, 8, Decimal("720.00")), (18, 4, Decimal("180.00"))]
    assert order.shipping_methods == ("flat_rate",)
    assert order.customer_note == "Please ship ASAP, it is a gift."
    assert order.meta["fraud_score"] == "87"
    assert order.meta["fraud_flags"] == ["billing_shipping_country_mismatch", "disposable_email_domain", "repeat_ip"]
    assert order.is_guest


def test_webhook_body_parses_like_the_rest_body() -> None:
    delivery = load_json("webhook_order_created.json")
    hook = Order.from_woo(json.loads(delivery["body_raw"]))
    rest = Order.from_woo(load_json("order_single.json"))
    assert hook.status == "pending"
    for name in ("id", "total", "email", "billing", "shipping", "ip", "user_agent", "created", "line_items"):
        assert getattr(hook, name) == getattr(rest, name), name


def test_virtual_order_has_no_shipping_address() -> None:
    order = parsed(65)
    assert order.shipping is None
    assert order.shipping_methods == ()
    assert order.billing.country == "NG"


def test_ipv6_address_is_kept_in_canonical_form() -> None:
    assert parsed(62).ip == "2001:db8:85a3::8a2e:370:7334"


def test_smoke_orders_have_no_ip() -> None:
    assert parsed(11).ip is None and parsed(11).user_agent == ""


def test_non_latin_and_accented_text_is_preserved() -> None:
    order = parsed(79)
    assert order.shipping is not None
    assert (order.shipping.first_name, order.shipping.last_name, order.shipping.city) == ("伟", "王", "上海市")
    assert parsed(58).billing.full_name == "José Araújo"


def test_coupons_are_lower_case_codes() -> None:
    assert parsed(49).coupons == ("welcome10",)
    assert parsed(74).coupons == ("bigsale50",)
    assert parsed(44).coupons == ()


def test_missing_and_malformed_fields_do_not_raise() -> None:
    empty = Order.from_woo({})
    assert (empty.id, empty.total, empty.email, empty.created, empty.shipping, empty.ip) == (
        0, Decimal("0"), "", None, None, None)
    weird = Order.from_woo({
        "id": "12", "total": "abc", "customer_id": None, "billing": None, "shipping": [],
        "customer_ip_address": "999.1.1.1", "date_created_gmt": "not a date",
        "line_items": [{"product_id": "7", "quantity": None, "total": "NaN"}, "junk"],
        "meta_data": [{"key": "", "value": 1}, "junk", {"key": "k", "value": {"a": 1}}],
        "coupon_lines": [{"code": "SAVE"}, None],
        "shipping_lines": None,
    })
    assert weird.id == 12 and weird.total == Decimal("0") and weird.ip is None and weird.created is None
    assert weird.line_items[0].product_id == 7 and weird.line_items[0].total == Decimal("0")
    assert len(weird.line_items) == 1
    assert weird.meta == {"k": {"a": 1}}
    assert weird.coupons == ("save",)


def test_dates_with_offsets_are_converted_to_utc() -> None:
    order = Order.from_woo({"id": 1, "date_created_gmt": "2026-11-22T18:00:00+02:00"})
    assert order.created == datetime(2026, 11, 22, 16, 0, tzinfo=timezone.utc)


def test_email_is_normalised() -> None:
    assert normalize_email("  Klaus.M@Example.COM ") == "klaus.m@example.com"
    assert normalize_email("no-at-sign") == ""
    assert normalize_email(None) == ""


def test_address_key_ignores_case_and_punctuation_and_needs_a_street() -> None:
    a = Address(address_1="8200 NW 41st St", postcode="33166", country="US")
    b = Address(address_1="8200 nw 41st st.", postcode="33166", country="US")
    assert address_key(a) == address_key(b) != ""
    assert address_key(Address(country="US")) == ""
    assert address_key(None) == ""


def test_with_categories_sets_line_item_categories() -> None:
    order = parsed(85).with_categories({23: [18, 17, 18], 18: [21]})
    assert [li.category_ids for li in order.line_items] == [(17, 18), (21,)]
    assert order.category_ids == frozenset({17, 18, 21})
    assert parsed(85).with_categories({}).category_ids == frozenset()


def test_personal_fields_cover_names_email_phone_street_postcode_ip() -> None:
    fields = Order.from_woo(load_json("order_single.json")).personal_fields()
    values = set(fields.values())
    for expected in ("Klaus", "Müller", "Klaus Müller", "klaus.m.1987@mailinator.com", "+49 211 5555 0199",
                     "Königsallee 27", "40212", "Düsseldorf", "203.0.113.66",
                     "Tunde", "Bakare", "3 Marina Road", "102273", "Lagos Island"):
        assert expected in values, expected
    assert all(fields.values()), "empty values are left out"


@pytest.mark.parametrize("order_id", sorted(RAW_ORDERS))
def test_personal_fields_include_every_personal_value_of_every_order(order_id: int) -> None:
    raw = RAW_ORDERS[order_id]
    values = set(Order.from_woo(raw).personal_fields().values())
    for part in ("billing", "shipping"):
        for key in ("first_name", "last_name", "address_1", "address_2", "postcode", "city", "phone", "company"):
            if raw[part].get(key):
                assert raw[part][key] in values, (part, key)
    assert raw["billing"]["email"] in values
    if raw["customer_ip_address"]:
        assert raw["customer_ip_address"] in values


def test_personal_fields_of_virtual_order_have_no_shipping_keys() -> None:
    assert not any(k.startswith("shipping.") for k in parsed(65).personal_fields())
