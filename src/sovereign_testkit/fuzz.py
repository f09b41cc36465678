"""Odd bodies a client can sign or send: hypothesis strategies for the webhook receiver and the fraud API.

Each strategy draws raw bytes (what goes on the wire), built from captured
WooCommerce bodies with fields replaced by odd values, or from raw
constructions no JSON encoder makes: NUL characters (as in PHP-serialised
``meta_data``), lone surrogates, integers past 64 bits, floats beyond the double
range, ``NaN``, nesting far past any limit, huge arrays, invalid UTF-8,
duplicate keys, truncation.

    from sovereign_testkit.fuzz import order_bodies, delivery_templates
    @given(order_bodies())
    def test(raw: bytes): ...
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from sovereign_testkit.fixtures import load_deliveries, load_json

__all__ = ["odd_values", "order_bodies", "product_bodies", "fraud_bodies", "delivery_templates", "mutate_raw"]

_ORDER_FIELDS = (
    "id", "status", "billing", "shipping", "meta_data", "line_items", "total", "customer_id", "customer_note",
    "date_created_gmt", "date_modified_gmt", "payment_method", "currency", "customer_ip_address",
    "shipping_lines", "coupon_lines", "fee_lines", "customer_user_agent", "discount_total", "number",
)
_NESTED = (("billing", "email"), ("billing", "country"), ("billing", "phone"), ("billing", "first_name"),
           ("shipping", "country"), ("billing", "address_1"))
_PRODUCT_FIELDS = ("id", "name", "type", "description", "short_description", "meta_data", "price",
                   "categories", "attributes", "sku", "regular_price", "tags", "images")


def _text() -> st.SearchStrategy[str]:
    # every code point, lone surrogates included (json.dumps escapes them as \udXXX)
    return st.one_of(
        st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None), max_size=20),
        st.sampled_from(["\u0000", "a\u0000b", "O:8:\"stdClass\":1:{s:4:\"\u0000*\u0000a\";i:1;}", "\ud800",
                         "\udfff x", "\ufeff", "%00", "1e30", "-1e30", "9999999999999999999999", "-5", "0x10", " 12 ", "1e-30", "' OR 1=1 --", "<script>x</script>", "[gallery/]"]),
    )


def odd_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        _text(), st.none(), st.booleans(),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.sampled_from([0, -1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, -(10**30)]),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([1e308, -1e308, 5e-324, 1.7976931348623157e308]),
    )
    return st.recursive(
        scalars,
        lambda kids: st.lists(kids, max_size=6) | st.dictionaries(_text(), kids, max_size=6),
        max_leaves=25,
    )


@st.composite
def _replaced(draw: st.DrawFn, base: dict[str, Any], fields: tuple[str, ...], nested: tuple[tuple[str, str], ...]) -> dict:
    body = json.loads(json.dumps(base))
    for name in draw(st.lists(st.sampled_from(fields), max_size=5, unique=True)) if fields else ():
        body[name] = draw(odd_values())
    for outer, inner in draw(st.lists(st.sampled_from(nested or (("x", "y"),)), max_size=3, unique=True)):
        if isinstance(body.get(outer), dict):
            body[outer][inner] = draw(odd_values())
    if draw(st.booleans()) and isinstance(body.get("meta_data"), list):
        body["meta_data"].append({"id": draw(odd_values()), "key": draw(_text()), "value": draw(odd_values())})
    return body


def _structural() -> st.SearchStrategy[bytes]:
    """Raw bodies no encoder makes."""
    return st.one_of(
        st.integers(min_value=1, max_value=200_000).map(lambda n: b"[" * n),
        st.integers(min_value=1, max_value=5_000).map(lambda n: b'{"id":85,"x":' + b"[" * n + b"]" * n + b"}"),
        st.integers(min_value=1, max_value=5_000).map(lambda n: b'{"id":85,"x":' + b'{"a":' * n + b"1" + b"}" * n + b"}"),
        st.integers(min_value=0, max_value=20_000).map(lambda n: b'{"id":85,"status":"pending","line_items":[' + b",".join([b"0"] * n) + b"]}"),
        st.sampled_from([
            b'{"id":85,"status":"pending","x":"\\u0000"}',
            b'{"id":1000000000000000000000000000000,"status":"pending"}',
            b'{"id":85,"id":86,"status":"pending"}',
            b'{"id":85,"status":"pending","total":NaN}',
            b'{"id":85,"status":"pending","total":Infinity}',
            b'{"id":85,"status":"pending","total":1e400}',
            b'{"id":85,"status":"pending","x":"\\ud800"}',
            b'{"id":85,"status":"pending","x":"\xff\xfe"}',
            b'{"id":85,"status":"pending","x":"\xed\xa0\x80"}',
            b'\xef\xbb\xbf{"id":85,"status":"pending"}',
            b'{"id":' + b"9" * 5000 + b"}",
            b'{"id":85,"status":"pending","meta_data":7}',
            b'{"id":85,"status":"pending","meta_data":"x","billing":[]}',
            b'"just a string"', b"null", b"", b"{", b"[1,2]", b"{}", b'{"":""}',
        ]),
        st.binary(max_size=200),
    )


def mutate_raw(raw: bytes) -> st.SearchStrategy[bytes]:
    """``raw`` cut short, with bytes flipped or inserted, or a duplicate key put first."""
    n = len(raw)
    return st.one_of(
        st.integers(min_value=0, max_value=n).map(lambda i: raw[:i]),
        st.tuples(st.integers(min_value=0, max_value=n), st.binary(min_size=1, max_size=4)).map(
            lambda t: raw[: t[0]] + t[1] + raw[t[0]:]),
        st.sampled_from([b'"id":1,', b'"status":"x",', b'"meta_data":null,']).map(lambda k: raw[:1] + k + raw[1:]),
    )


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()  # ensure_ascii: NUL and lone surrogates travel as \u escapes


def _bodies(base: dict[str, Any], fields: tuple[str, ...], nested: tuple[tuple[str, str], ...]) -> st.SearchStrategy[bytes]:
    clean = _dumps(base)
    return st.one_of(
        _replaced(base, fields, nested).map(_dumps),
        _replaced(base, fields, nested).map(_dumps).flatmap(mutate_raw),
        mutate_raw(clean),
        _structural(),
        odd_values().map(_dumps),
    )


def _order() -> dict[str, Any]:
    return next(o for o in load_json("orders.json") if o["id"] == 85) | {"status": "pending"}


def order_bodies() -> st.SearchStrategy[bytes]:
    return _bodies(_order(), _ORDER_FIELDS, _NESTED)


def product_bodies() -> st.SearchStrategy[bytes]:
    product = load_json("webhook_product_created.json")
    return _bodies(json.loads(product["body_raw"]), _PRODUCT_FIELDS, ())


def fraud_bodies() -> st.SearchStrategy[bytes]:
    """``/v1/fraud/score`` bodies: ``{"store": …, "order": <odd order>}`` and raw oddities."""
    order = _order()
    scalar_fields = ("id", "status", "total", "customer_id", "customer_note", "date_created_gmt", "payment_method",
                     "currency", "customer_ip_address", "customer_user_agent", "discount_total", "number")
    shaped = st.one_of(  # keeps the shape order_problem checks, so most of these get scored
        _replaced(order, (), _NESTED),
        st.tuples(_replaced(order, (), _NESTED), st.sampled_from(scalar_fields), _text()).map(
            lambda t: t[0] | {t[1]: t[2]}),
        st.tuples(_replaced(order, (), _NESTED), st.lists(st.dictionaries(_text(), odd_values(), max_size=4),
                                                              max_size=4)).map(lambda t: t[0] | {"line_items": t[1]}),
    )
    wrapped = st.one_of(shaped, _replaced(order, _ORDER_FIELDS, _NESTED)).map(lambda o: {"order": o})
    return st.one_of(
        wrapped.map(_dumps),
        st.tuples(wrapped, st.one_of(st.just("shop"), _text(), odd_values())).map(lambda t: _dumps(t[0] | {"store": t[1]})),
        wrapped.map(_dumps).flatmap(mutate_raw),
        _structural(),
        _structural().map(lambda raw: b'{"order":' + raw + b"}"),
        odd_values().map(lambda v: _dumps({"order": v})),
    )


def delivery_templates(resource: str) -> list[dict[str, Any]]:
    """Captured deliveries for ``resource`` (order, product, action): their headers are reused, bodies replaced."""
    return [d for d in load_deliveries() if d["topic"] != "ping" and d["headers"].get("X-WC-Webhook-Resource") == resource]
