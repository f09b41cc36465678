"""Webhook verification and parsing against every delivery captured from WooCommerce 10.0.2."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from starlette.datastructures import Headers as StarletteHeaders

from sovereign_testkit.fixtures import fixtures_dir, load_deliveries, load_json
from sovereign.woo.webhooks import (
    InvalidDelivery,
    header,
    is_ping,
    parse_delivery,
    ping_webhook_id,
    strip_autop,
    verify_signature,
)

SECRET = "fixture-secret-1"
DELIVERIES = load_deliveries()
SIGNED = [d for d in DELIVERIES if d["topic"] != "ping"]
PINGS = [d for d in DELIVERIES if d["topic"] == "ping"]
SINGLE_FILES = sorted(p.name for p in fixtures_dir().glob("webhook_*.json"))


def raw(record: dict) -> bytes:
    return record["body_raw"].encode("utf-8")


def sig(record: dict) -> str | None:
    return record["headers"].get("X-WC-Webhook-Signature")


def test_capture_counts_match_the_readme() -> None:
    topics = Counter(d["topic"] for d in DELIVERIES)
    assert len(DELIVERIES) == 164 and len(SIGNED) == 158
    assert topics["ping"] == 6 and topics["order.created"] == 41 and topics["order.updated"] == 44


def test_every_captured_delivery_verifies_with_its_real_signature() -> None:
    assert all(verify_signature(raw(d), sig(d), SECRET) for d in SIGNED)


@pytest.mark.parametrize("name", [n for n in SINGLE_FILES if n != "webhook_ping.json"])
def test_single_file_deliveries_verify(name: str) -> None:
    record = load_json(name)
    assert verify_signature(raw(record), sig(record), record["secret"])


def test_one_changed_byte_fails_everywhere() -> None:
    for d in SIGNED:
        body = bytearray(raw(d))
        middle = len(body) // 2
        body[middle] = body[middle] ^ 0x01
        assert not verify_signature(bytes(body), sig(d), SECRET)


def test_wrong_secret_missing_or_garbage_signature_fail() -> None:
    record = load_json("webhook_order_created.json")
    body = raw(record)
    assert not verify_signature(body, sig(record), "fixture-secret-2")
    assert not verify_signature(body, None, SECRET)
    assert not verify_signature(body, "", SECRET)
    assert not verify_signature(body, "sïgnature", SECRET)
    assert not verify_signature(body, sig(record), "")


def test_reserialised_body_does_not_verify() -> None:
    record = load_json("webhook_order_created.json")
    reencoded = json.dumps(json.loads(record["body_raw"])).encode("utf-8")
    assert not verify_signature(reencoded, sig(record), SECRET)


def test_ping_is_recognised_and_real_deliveries_are_not() -> None:
    record = load_json("webhook_ping.json")
    assert is_ping(record["headers"], raw(record))
    assert ping_webhook_id(record["headers"], raw(record)) == 12
    assert all(is_ping(p["headers"], raw(p)) for p in PINGS)
    assert not any(is_ping(d["headers"], raw(d)) for d in SIGNED)
    # a form body that carries WooCommerce delivery headers is not a ping
    assert not is_ping({"X-WC-Webhook-Topic": "order.created"}, b"webhook_id=12")
    assert not is_ping({}, b"webhook_id=twelve")


def test_every_captured_delivery_parses() -> None:
    for d in SIGNED:
        delivery = parse_delivery(raw(d), d["headers"])
        assert delivery.topic == d["topic"]
        assert delivery.source == "http://127.0.0.1:8080/"
        assert delivery.webhook_id == int(d["headers"]["X-WC-Webhook-ID"])
        assert delivery.resource_id is not None


def test_order_delivery_fields() -> None:
    record = load_json("webhook_order_updated_meta_data.json")
    d = parse_delivery(raw(record), record["headers"])
    assert (d.topic, d.resource, d.event, d.webhook_id) == ("order.updated", "order", "updated", 13)
    assert d.delivery_id == "2ed416d896f16abf5302a999b630cbec"
    assert d.resource_id == 85 and d.body["status"] == "on-hold"
    assert d.date_modified_gmt == "2026-11-22T16:22:34"
    assert d.meta("fraud_score") == "87"
    assert d.meta("fraud_flags") == ["billing_shipping_country_mismatch", "disposable_email_domain", "repeat_ip"]
    assert d.meta("absent", "default") == "default"
    assert d.body["billing"]["last_name"] == "Müller"  # \u00fc decoded after verification


def test_action_topics_use_the_arg_as_resource_id() -> None:
    note = load_json("webhook_action_order_note_added.json")
    d = parse_delivery(raw(note), note["headers"])
    assert d.is_action and d.resource == "action" and d.event == "woocommerce_order_note_added"
    assert d.resource_id == 40 and d.date_modified_gmt is None
    hold = load_json("webhook_action_order_status_on_hold.json")
    assert parse_delivery(raw(hold), hold["headers"]).resource_id == 85


def test_product_created_fires_for_variations() -> None:
    record = load_json("webhook_product_created_variation.json")
    d = parse_delivery(raw(record), record["headers"])
    assert d.topic == "product.created" and d.resource_id == 34
    assert d.body["type"] == "variation" and d.body["parent_id"] == 16


def test_paired_created_and_updated_share_body_hash_but_not_dedupe_key() -> None:
    created = load_json("webhook_order_created.json")
    updated = load_json("webhook_order_updated_on_create.json")
    a = parse_delivery(raw(created), created["headers"])
    b = parse_delivery(raw(updated), updated["headers"])
    assert a.body_sha256 == b.body_sha256
    assert a.content_key("shop") == b.content_key("shop")
    assert a.dedupe_key("shop") != b.dedupe_key("shop")
    assert a.dedupe_key("shop") == "shop:order.created:85:" + a.body_sha256
    assert a.dedupe_key("shop") != a.dedupe_key("other-shop")


def test_every_rest_created_order_has_an_identical_order_updated_twin() -> None:
    by_order: dict[int, dict[str, set[str]]] = {}
    for d in SIGNED:
        if d["topic"] in ("order.created", "order.updated"):
            parsed = parse_delivery(raw(d), d["headers"])
            by_order.setdefault(parsed.resource_id, {}).setdefault(parsed.topic, set()).add(parsed.body_sha256)
    twins = [o for o, t in by_order.items() if "order.created" in t and t["order.created"] & t.get("order.updated", set())]
    assert len(twins) == 41


def test_delivery_id_is_not_unique_but_dedupe_keys_are() -> None:
    ids = Counter(d["headers"]["X-WC-Webhook-Delivery-ID"] for d in SIGNED)
    assert max(ids.values()) > 1
    keys = [parse_delivery(raw(d), d["headers"]).dedupe_key("shop") for d in SIGNED]
    assert len(set(keys)) == len(keys)


def test_header_lookup_is_case_insensitive() -> None:
    record = load_json("webhook_product_updated.json")
    lower = {k.lower(): v for k, v in record["headers"].items()}
    asgi = [(k.lower().encode(), v.encode()) for k, v in record["header_list"]]
    starlette = StarletteHeaders(raw=asgi)
    parsed = [parse_delivery(raw(record), h) for h in (record["headers"], lower, asgi, starlette)]
    assert {p.dedupe_key("s") for p in parsed} == {parsed[0].dedupe_key("s")}
    assert header(asgi, "x-wc-webhook-signature") == header(record["headers"], "X-WC-WEBHOOK-SIGNATURE")


def test_malformed_json_is_an_invalid_delivery() -> None:
    record = load_json("webhook_order_created.json")
    with pytest.raises(InvalidDelivery, match="not JSON"):
        parse_delivery(raw(record)[:-10], record["headers"])
    with pytest.raises(InvalidDelivery, match="not JSON"):
        parse_delivery(b"\xff\xfe", record["headers"])
    with pytest.raises(InvalidDelivery, match="not a JSON object"):
        parse_delivery(b"[1, 2]", record["headers"])


@pytest.mark.parametrize("missing", ["X-WC-Webhook-Topic", "X-WC-Webhook-Resource", "X-WC-Webhook-ID", "X-WC-Webhook-Source"])
def test_missing_headers_are_an_invalid_delivery(missing: str) -> None:
    record = load_json("webhook_order_created.json")
    headers = {k: v for k, v in record["headers"].items() if k != missing}
    with pytest.raises(InvalidDelivery, match=missing):
        parse_delivery(raw(record), headers)


def test_inconsistent_topic_headers_are_an_invalid_delivery() -> None:
    record = load_json("webhook_order_created.json")
    with pytest.raises(InvalidDelivery, match="does not match"):
        parse_delivery(raw(record), {**record["headers"], "X-WC-Webhook-Event": "deleted"})
    with pytest.raises(InvalidDelivery, match="not a number"):
        parse_delivery(raw(record), {**record["headers"], "X-WC-Webhook-ID": "twelve"})


def test_strip_autop_matches_rest_write_text() -> None:
    hook = load_json("webhook_product_updated.json")
    wrapped = json.loads(hook["body_raw"])["description"]
    assert wrapped.startswith("<p>") and wrapped.endswith("</p>\n")
    batch = load_json("rest_products_batch_partial_error.json")["response"]["body"]["update"][0]
    cap = next(p for p in load_json("products.json") if p["id"] == 22)
    assert strip_autop(cap["description"]) == batch["description"]
    assert strip_autop(cap["short_description"]) == batch["short_description"] == "This is a simple product."
    assert strip_autop("<p>One<br />\ntwo</p>\n<p>Three</p>\n") == "One\ntwo\n\nThree"
    assert strip_autop("") == "" and strip_autop("plain text ") == "plain text"
