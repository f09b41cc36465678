"""The fake store speaks like the captured WooCommerce: headers, bodies, webhooks it sends."""

from __future__ import annotations

import json

import httpx

from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fake_woo_php import php_json, unautop, wpautop
from sovereign_testkit.fixtures import load_json
from sovereign.woo.client import WooClient
from sovereign.woo.webhooks import is_ping, parse_delivery, verify_signature

from .conftest import Receiver

SECRET = "s3cret-for-tests"


async def test_list_headers_and_link_are_like_the_captured_page_2() -> None:
    captured = load_json("rest_products_list_page2.json")["response"]
    async with FakeWooStore(assume_https=True) as store:
        async with WooClient(store.url, store.consumer_key, store.consumer_secret, auth="basic") as woo:
            response = await woo.request("GET", "products", params={"per_page": 5, "page": 2})
    for name in ("X-WP-Total", "X-WP-TotalPages", "Content-Type", "Allow", "Access-Control-Expose-Headers"):
        assert response.headers[name] == captured["headers"][name]
    assert response.headers["Link"] == captured["headers"]["Link"].replace("https://127.0.0.1:8443", store.url)
    items = response.json()
    assert len(items) == 5 and all(p["description"] == "" or p["description"].startswith("<p>") for p in items)


async def test_single_resources_carry_the_api_link_and_error_bodies_are_captured(store: FakeWooStore, woo: WooClient) -> None:
    response = await woo.request("GET", "orders/85")
    assert response.headers["Link"] == f'<{store.url}/wp-json/>; rel="https://api.w.org/"'
    assert "X-WP-Total" not in response.headers
    async with httpx.AsyncClient() as raw:
        missing = await raw.get(store.url + "/wp-json/wc/v3/orders/999999")
        anonymous = await raw.get(store.url + "/wp-json/wc/v3/orders", params={"per_page": 5})
    assert missing.status_code == 401  # anonymous first: WooCommerce checks permissions before the id
    assert anonymous.json() == load_json("rest_error_401_bad_key.json")["response"]["body"]


async def test_bodies_are_php_encoded_ascii(store: FakeWooStore, woo: WooClient) -> None:
    response = await woo.request("GET", "orders/85")
    assert response.content.isascii()
    assert b"M\\u00fcller" in response.content and b'http:\\/\\/127.0.0.1' in response.content
    assert response.json()["billing"]["last_name"] == "Müller"


def test_php_json_reproduces_every_captured_body_byte_for_byte() -> None:
    from sovereign_testkit.fixtures import load_deliveries

    for record in load_deliveries():
        if record["topic"] != "ping":
            assert php_json(json.loads(record["body_raw"])) == record["body_raw"]


def test_wpautop_round_trips_the_captured_product_texts() -> None:
    for product in load_json("products.json"):
        for key in ("description", "short_description"):
            assert wpautop(unautop(product[key])) == product[key]


async def test_deliver_signs_like_woocommerce(store: FakeWooStore, receiver: Receiver) -> None:
    store.add_webhook("order.updated", receiver.url + "/webhooks/woocommerce/shop", SECRET)
    store.add_webhook("order.created", receiver.url + "/other-topic", SECRET)
    sent = await store.deliver("order.updated", 85)
    assert [d.status for d in sent] == [200] and len(receiver.received) == 1
    got = receiver.received[0]
    assert got.path == "/webhooks/woocommerce/shop" and got.body.isascii() and b"\\/" in got.body
    assert verify_signature(got.body, got.header("X-WC-Webhook-Signature"), SECRET)
    assert not verify_signature(got.body, got.header("X-WC-Webhook-Signature"), "fixture-secret-1")
    names = [k for k, _ in got.headers if k.lower().startswith("x-wc-")]
    captured = [k.lower() for k, _ in load_json("webhook_order_created.json")["header_list"] if k.startswith("X-WC-")]
    assert [n.lower() for n in names] == captured
    delivery = parse_delivery(got.body, got.headers)
    assert (delivery.topic, delivery.resource_id, delivery.source) == ("order.updated", 85, store.url + "/")
    assert delivery.meta("fraud_score") == "87"


async def test_writes_echo_back_as_webhooks(store: FakeWooStore, woo: WooClient, receiver: Receiver) -> None:
    for topic in ("order.updated", "action.woocommerce_order_status_on-hold", "action.woocommerce_order_note_added", "product.updated"):
        store.add_webhook(topic, f"{receiver.url}/{topic}", SECRET)
    await woo.update_order(85, status="pending")
    await store.drain()  # WooCommerce delivers each request's webhooks in order; so does the fake, per write
    await woo.update_order(85, status="on-hold", meta_data={"_sovereign_fraud_score": "87"})
    await store.drain()
    await woo.add_order_note(85, "Held for review.")
    await store.drain()
    await woo.update_product(23, description="Plain text.")
    await store.drain()
    got = [parse_delivery(r.body, r.headers) for r in receiver.received]
    assert [(d.topic, d.resource_id) for d in got][:4] == [
        ("order.updated", 85),
        ("action.woocommerce_order_note_added", 41),
        ("order.updated", 85),
        ("action.woocommerce_order_status_on-hold", 85),
    ]
    assert got[2].meta("_sovereign_fraud_score") == "87" and got[2].body["status"] == "on-hold"
    assert [d.topic for d in got[4:]] == ["action.woocommerce_order_note_added", "action.woocommerce_order_note_added", "product.updated"]
    assert got[-1].body["description"] == "<p>Plain text.</p>\n"
    assert all(verify_signature(r.body, r.header("X-WC-Webhook-Signature"), SECRET) for r in receiver.received)


async def test_echo_can_be_turned_off(receiver: Receiver) -> None:
    async with FakeWooStore(echo_writes=False, safe_ports="any") as store:
        store.add_webhook("order.updated", receiver.url, SECRET)
        async with WooClient(store.url, store.consumer_key, store.consumer_secret) as woo:
            await woo.update_order(85, status="completed")
        await store.drain()
    assert receiver.received == [] and store.writes[0].body == {"status": "completed"}


async def test_webhook_crud_pings_and_never_echoes_the_secret(store: FakeWooStore, woo: WooClient, receiver: Receiver) -> None:
    created = await woo.create_webhook("Sovereign order.updated", "order.updated", receiver.url + "/hook", SECRET)
    captured = load_json("rest_webhook_create.json")["response"]["body"]
    assert set(created) == set(captured) and "secret" not in created
    assert created["resource"] == "order" and created["event"] == "updated" and created["status"] == "active"
    ping = receiver.received[0]
    assert is_ping(ping.headers, ping.body) and ping.body == f"webhook_id={created['id']}".encode()
    assert [w["id"] for w in await woo.list_webhooks()] == [created["id"]]
    paused = await woo.update_webhook(created["id"], status="paused")
    assert paused["status"] == "paused" and await store.deliver("order.updated", 85) == []
    single = await woo.request("GET", f"webhooks/{created['id']}")
    assert single.json()["delivery_url"] == receiver.url + "/hook" and SECRET not in single.text
    deleted = await woo.delete_webhook(created["id"])
    assert deleted["id"] == created["id"] and await woo.list_webhooks() == []


async def test_replay_captured_posts_the_capture_verbatim(store: FakeWooStore, receiver: Receiver) -> None:
    sent = await store.replay_captured(receiver.url + "/replay")
    assert len(sent) == len(receiver.received) == 164 and {d.status for d in sent} == {200}
    pings = [r for r in receiver.received if is_ping(r.headers, r.body)]
    signed = [r for r in receiver.received if not is_ping(r.headers, r.body)]
    assert len(pings) == 6 and len(signed) == 158
    assert all(verify_signature(r.body, r.header("x-wc-webhook-signature"), "fixture-secret-1") for r in signed)
    assert all(r.header("User-Agent") == "WooCommerce/10.0.2 Hookshot (WordPress/6.8.8)" for r in receiver.received)
