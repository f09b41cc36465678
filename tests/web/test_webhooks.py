"""The webhook receiver against every captured WooCommerce 10.0.2 delivery, on a real database."""

from __future__ import annotations

import json

from sovereign_testkit.fixtures import load_deliveries, load_json
from sovereign.woo.webhooks import signature_for
from tests.web.conftest import FIXTURE_SECRET, Service


def _headers(delivery: dict) -> dict[str, str]:
    return {k: v for k, v in delivery["header_list"] if k.lower() not in ("host", "content-length", "connection")}


async def _post(service: Service, delivery: dict, *, body: bytes | None = None, store: str = "fixture"):
    return await service.client.post(
        f"/webhooks/woocommerce/{store}", content=body if body is not None else delivery["body_raw"].encode(), headers=_headers(delivery)
    )


async def _events(service: Service) -> int:
    return await service.runtime.db.fetchval("SELECT count(*) FROM sovereign_webhook_events")


async def test_every_captured_delivery_is_accepted_with_its_real_signature(service: Service) -> None:
    deliveries = load_deliveries()
    distinct = set()
    for d in deliveries:
        r = await _post(service, d)
        assert r.status_code == 200, (d["topic"], r.text)
        if d["topic"] != "ping":
            body = json.loads(d["body_raw"])
            rid = body.get("arg") if d["topic"].startswith("action.") else body.get("id")
            import hashlib

            distinct.add((d["headers"]["X-WC-Webhook-Resource"], rid, hashlib.sha256(d["body_raw"].encode()).hexdigest()))
    assert await _events(service) == len(distinct)
    # Orders that can still be held got exactly one fraud job each, whatever the number of deliveries.
    fraud = await service.jobs("fraud.score")
    assert len({j.args["order_id"] for j in fraud}) == len(fraud) > 0
    # Products without a description got a description job; variations did not.
    described = {j.args["product_id"] for j in await service.jobs("descriptions.generate")}
    products = {p["id"]: p for p in load_json("products.json")}
    assert described and all(products.get(pid, {}).get("type") != "variation" for pid in described)


async def test_one_changed_byte_or_the_wrong_secret_is_refused_and_stores_nothing(service: Service) -> None:
    for d in load_deliveries()[:60]:
        if d["topic"] == "ping":
            continue
        raw = bytearray(d["body_raw"].encode())
        raw[len(raw) // 2] ^= 0x01
        r = await _post(service, d, body=bytes(raw))
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature"
    await service.runtime.stores.upsert(
        "other", url="http://127.0.0.1:8080", consumer_key="ck", consumer_secret="cs", webhook_secret="not-the-secret"
    )
    d = load_json("webhook_order_created.json")
    assert (await _post(service, d, store="other")).status_code == 401
    unsigned = {k: v for k, v in _headers(d).items() if k.lower() != "x-wc-webhook-signature"}
    r = await service.client.post("/webhooks/woocommerce/fixture", content=d["body_raw"].encode(), headers=unsigned)
    assert r.status_code == 401
    assert await _events(service) == 0
    assert await service.jobs() == []


async def test_the_ping_gets_exactly_200(service: Service) -> None:
    ping = load_json("webhook_ping.json")
    r = await _post(service, ping)
    assert r.status_code == 200 and r.json()["ping"] is True
    assert await _events(service) == 0


async def test_paired_order_created_and_updated_schedule_one_job(service: Service) -> None:
    created = load_json("webhook_order_created.json")
    updated = load_json("webhook_order_updated_on_create.json")
    assert created["body_raw"] == updated["body_raw"]
    first = (await _post(service, created)).json()
    second = (await _post(service, updated)).json()
    assert first["outcome"] == "scheduled" and len(first["jobs"]) == 1
    assert second == {"ok": True, "duplicate": True}
    jobs = await service.jobs("fraud.score")
    assert [(j.args["order_id"], j.dedupe_key) for j in jobs] == [(85, "fraud:fixture:85")]


async def test_our_own_write_back_schedules_nothing(service: Service) -> None:
    """A real echo: the WooCommerce-shaped store fires order.updated after our PUT with our meta."""
    from sovereign_testkit.fake_woo import FakeWooStore
    from sovereign.woo.client import WooClient

    async with FakeWooStore(safe_ports="any") as woo:  # Sovereign on a random port: the filter allows it
        woo.add_webhook("order.updated", f"{service.url}/webhooks/woocommerce/fixture", FIXTURE_SECRET)
        async with WooClient(woo.url, woo.consumer_key, woo.consumer_secret) as client:
            await client.update_order(85, status="on-hold", meta_data={"_sovereign_fraud_score": "87"})
        await woo.drain()
        echoes = [d for d in woo.deliveries if d.topic == "order.updated"]
        assert echoes and all(d.status == 200 for d in echoes)
    rows = await service.runtime.db.fetch("SELECT outcome FROM sovereign_webhook_events WHERE resource_id = 85")
    assert [r["outcome"] for r in rows] == ["loop_guard"]
    assert await service.jobs() == []


async def test_malformed_json_with_a_valid_signature_is_a_clear_400(service: Service) -> None:
    d = load_json("webhook_order_created.json")
    body = b'{"id": 85, "status": '
    headers = _headers(d) | {"X-WC-Webhook-Signature": signature_for(body, FIXTURE_SECRET)}
    r = await service.client.post("/webhooks/woocommerce/fixture", content=body, headers=headers)
    assert r.status_code == 400 and "not JSON" in r.json()["error"]["message"]
    assert await _events(service) == 0


async def test_oversized_and_unknown_store_deliveries_are_refused(service: Service) -> None:
    d = load_json("webhook_order_created.json")
    huge = b"{" + b" " * (70 * 1024) + b"}"
    assert (await _post(service, d, body=huge)).status_code == 413
    assert (await _post(service, d, store="nobody")).status_code == 404
    assert await _events(service) == 0
