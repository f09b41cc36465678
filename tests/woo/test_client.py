"""WooClient against the fake WooCommerce store, a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

import httpx
import pytest

from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fixtures import load_json
from sovereign.woo.auth import OAuth1
from sovereign.woo.client import WooClient
from sovereign.woo.errors import (
    AuthenticationError,
    InvalidParamError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnknownKeyError,
)
from sovereign.woo.retry import RetryPolicy
from sovereign.woo.webhooks import strip_autop

from .conftest import FAST_RETRY, closed_port


def list_requests(store: FakeWooStore, path: str) -> list[dict[str, str]]:
    return [r.query for r in store.requests if r.path.endswith(path) and r.method == "GET" and r.fault is None]


# -- pagination ----------------------------------------------------------------------------


async def test_paginates_to_the_last_page_ordered_by_id(store: FakeWooStore, woo: WooClient) -> None:
    orders = [o async for o in woo.list_orders(per_page=7)]
    assert len(orders) == 44 and [o["id"] for o in orders] == sorted(o["id"] for o in load_json("orders.json"))
    sent = list_requests(store, "/orders")
    assert [q["page"] for q in sent] == ["1", "2", "3", "4", "5", "6", "7"]
    assert all(q["orderby"] == "id" and q["per_page"] == "7" for q in sent)


async def test_per_page_above_100_is_never_sent(store: FakeWooStore, woo: WooClient) -> None:
    products = [p async for p in woo.list_products(per_page=500)]
    orders = [o async for o in woo.list_orders(per_page=250, status=["on-hold", "pending"])]
    assert len(products) == 21 and len(orders) == 18
    assert {o["status"] for o in orders} == {"on-hold", "pending"}
    assert {q["per_page"] for q in list_requests(store, "/products") + list_requests(store, "/orders")} == {"100"}
    with pytest.raises(InvalidParamError) as raw:  # what WooCommerce says when it is sent anyway
        await woo.get("orders", {"per_page": 500})
    assert {"code": raw.value.code, "message": raw.value.message, "data": raw.value.data} == load_json(
        "rest_error_400_per_page.json"
    )["response"]["body"]


async def test_items_shifted_by_a_concurrent_insert_are_yielded_once(store: FakeWooStore, woo: WooClient) -> None:
    seen: list[int] = []
    async for product in woo.list_products(per_page=5, order="desc"):
        seen.append(product["id"])
        if len(seen) == 5:  # a product is created between page 1 and page 2: every later item shifts by one
            store.state.create_product({"name": "Inserted meanwhile"})
    fetched = sum(1 for r in store.requests if r.path.endswith("/products"))
    assert len(seen) == len(set(seen)) == 21 and fetched == 5
    assert seen == sorted(seen, reverse=True)


async def test_modified_after_in_utc(store: FakeWooStore, woo: WooClient) -> None:
    since = datetime(2026, 11, 22, 16, 21, 54, tzinfo=timezone.utc)
    recent = [o["id"] async for o in woo.list_orders(modified_after=since)]
    assert recent == [64, 83, 85]
    assert list_requests(store, "/orders")[-1]["dates_are_gmt"] == "true"


async def test_follows_link_next_when_total_pages_is_missing() -> None:
    orders = sorted(load_json("orders.json"), key=lambda o: o["id"])
    pages: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page, per_page = int(request.url.params["page"]), int(request.url.params["per_page"])
        pages.append(request.url.params["page"])
        chunk = orders[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(orders)
        link = {"Link": f'<{request.url.copy_set_param("page", str(page + 1))}>; rel="next"'} if more else {}
        return httpx.Response(200, json=chunk, headers=link)

    async with WooClient("https://shop.test", "ck", "cs", transport=httpx.MockTransport(handler)) as woo:
        got = [o["id"] async for o in woo.paginate("orders", per_page=20)]
    assert got == [o["id"] for o in orders] and pages == ["1", "2", "3"]


# -- authentication ------------------------------------------------------------------------


async def test_oauth1_signature_is_checked_by_the_store(store: FakeWooStore, woo: WooClient) -> None:
    await woo.get("orders", {"search": "Müller & co/ä", "per_page": 1})
    assert store.requests[-1].authenticated
    async with WooClient(store.url, store.consumer_key, store.consumer_secret, signature_method="HMAC-SHA1") as sha1:
        assert (await sha1.get_order(85))["id"] == 85
    signer = OAuth1(store.consumer_key, store.consumer_secret)
    signed = signer.sign_url("GET", httpx.URL(store.url + "/wp-json/wc/v3/orders?per_page=1"))
    async with httpx.AsyncClient() as raw:
        tampered = await raw.get(signed.copy_set_param("per_page", "2"))
        first, replay = await raw.get(signed), await raw.get(signed)
    assert tampered.status_code == 401
    assert tampered.json()["message"] == "Invalid signature - provided signature does not match."
    assert first.status_code == 200
    assert replay.json()["message"] == "Invalid nonce - nonce has already been used."


async def test_oauth_unknown_key_and_wrong_secret_are_distinct(store: FakeWooStore) -> None:
    async with WooClient(store.url, "ck_unknown", store.consumer_secret) as woo:
        with pytest.raises(UnknownKeyError) as unknown:
            await woo.get_order(85)
    async with WooClient(store.url, store.consumer_key, "cs_wrong") as woo:
        with pytest.raises(AuthenticationError) as wrong:
            await woo.get_order(85)
    assert unknown.value.message == "Consumer key is invalid."
    assert wrong.value.message == "Invalid signature - provided signature does not match."


async def test_basic_auth_behind_https_gives_the_captured_401_bodies() -> None:
    async with FakeWooStore(assume_https=True) as store:
        async with WooClient(store.url, "ck_unknown", "cs_x", auth="basic") as woo:
            with pytest.raises(UnknownKeyError) as unknown:
                await woo.get("orders", {"per_page": 5})
        async with WooClient(store.url, store.consumer_key, "cs_wrong", auth="basic") as woo:
            with pytest.raises(AuthenticationError) as wrong:
                await woo.get("orders", {"per_page": 5})
        async with WooClient(store.url, store.consumer_key, store.consumer_secret, auth="basic") as woo:
            assert len([o async for o in woo.list_orders()]) == 44
    for exc, name in ((unknown.value, "rest_error_401_bad_key.json"), (wrong.value, "rest_error_401_bad_secret.json")):
        assert {"code": exc.code, "message": exc.message, "data": exc.data} == load_json(name)["response"]["body"]


async def test_basic_auth_over_plain_http_never_authenticates(store: FakeWooStore) -> None:
    async with WooClient(store.url, store.consumer_key, store.consumer_secret, auth="basic") as woo:
        with pytest.raises(UnknownKeyError):
            await woo.get_order(85)


async def test_check_credentials(store: FakeWooStore, woo: WooClient) -> None:
    full = await woo.check_credentials()
    assert full.ok and full.error is None
    async with WooClient(store.url, store.consumer_key, "cs_wrong") as bad:
        check = await bad.check_credentials()
    assert (check.read, check.write) == (False, False) and isinstance(check.error, AuthenticationError)
    store.permissions = "read"
    read_only = await woo.check_credentials()
    assert (read_only.read, read_only.write) == (True, False)
    assert isinstance(read_only.error, PermissionDeniedError)
    with pytest.raises(PermissionDeniedError):
        await woo.update_order(85, status="completed")
    assert store.order(85)["status"] == "on-hold"


async def test_secrets_stay_out_of_repr(store: FakeWooStore, woo: WooClient) -> None:
    assert store.consumer_secret not in repr(woo) and store.consumer_key not in repr(woo)


# -- retries -------------------------------------------------------------------------------


async def test_get_is_retried_on_503_and_429(store: FakeWooStore, woo: WooClient) -> None:
    store.inject_fault(503, count=2, method="GET")
    store.inject_fault(429, retry_after="0", method="GET")
    order = await woo.get_order(85)
    assert order["id"] == 85
    assert [r.fault for r in store.requests] == [503, 503, 429, None]


async def test_put_is_retried_and_applied_once(store: FakeWooStore, woo: WooClient) -> None:
    store.inject_fault(503, method="PUT")
    await woo.update_order(85, status="processing")
    assert store.order(85)["status"] == "processing"
    assert [w.method for w in store.writes] == ["PUT"]


async def test_post_is_never_retried(store: FakeWooStore, woo: WooClient) -> None:
    store.inject_fault(503, method="POST")
    with pytest.raises(ServerError) as failed:
        await woo.add_order_note(85, "never written")
    assert failed.value.status == 503 and failed.value.code == "http_503"
    assert [r.fault for r in store.requests] == [503] and store.notes(85) == []
    store.inject_fault(None, delay=0.3, method="POST")
    async with WooClient(store.url, store.consumer_key, store.consumer_secret, timeout=0.1, retry=FAST_RETRY) as slow:
        with pytest.raises(TransportError) as timed_out:
            await slow.add_order_note(85, "too slow")
    assert timed_out.value.timeout


async def test_retry_after_is_honoured(store: FakeWooStore, woo: WooClient) -> None:
    store.inject_fault(429, retry_after="1", method="GET")
    started = time.monotonic()
    await woo.get_order(85)
    assert time.monotonic() - started >= 0.95


async def test_retry_after_beyond_the_limit_is_left_to_the_caller(store: FakeWooStore, woo: WooClient) -> None:
    store.inject_fault(429, retry_after="3600", method="GET")
    with pytest.raises(RateLimitedError) as limited:
        await woo.get_order(85)
    assert limited.value.retry_after == 3600 and len(store.requests) == 1


async def test_retries_run_out(store: FakeWooStore) -> None:
    store.inject_fault(503, count=10, method="GET")
    policy = RetryPolicy(max_retries=2, backoff_base=0.01)
    async with WooClient(store.url, store.consumer_key, store.consumer_secret, retry=policy) as woo:
        with pytest.raises(ServerError):
            await woo.get_order(85)
    assert len(store.requests) == 3


async def test_timeouts_are_retried_for_get(store: FakeWooStore) -> None:
    store.inject_fault(None, delay=0.4, method="GET")
    async with WooClient(store.url, store.consumer_key, store.consumer_secret, timeout=0.15, retry=FAST_RETRY) as woo:
        assert (await woo.get_order(85))["id"] == 85


async def test_connection_refused_is_a_transport_error_after_retries() -> None:
    async with WooClient(f"http://127.0.0.1:{closed_port()}", "ck", "cs", retry=FAST_RETRY) as woo:
        with pytest.raises(TransportError) as refused:
            await woo.get_order(85)
    assert not refused.value.timeout and refused.value.status == 0


# -- writes --------------------------------------------------------------------------------


async def test_order_writes_reach_the_store(store: FakeWooStore, woo: WooClient) -> None:
    updated = await woo.update_order(85, status="processing", meta_data={"_sovereign_fraud_score": "87"})
    assert updated["status"] == "processing" and updated["date_modified"] >= "2026-11-22T16:22:34"
    await woo.update_order(85, status="on-hold", meta_data={"_sovereign_fraud_score": "91"})
    note = await woo.add_order_note(85, "Fraud check: score 91/100. Held for manual review.")
    order = store.order(85)
    assert order["status"] == "on-hold"
    assert [m["value"] for m in order["meta_data"] if m["key"] == "_sovereign_fraud_score"] == ["91"]
    assert store.notes(85)[0]["id"] == note["id"] and store.notes(85)[0]["note"] == note["note"]
    assert note["customer_note"] is False and note["_links"]["up"][0]["href"] == store.url + "/wp-json/wc/v3/orders/85"
    assert (await woo.list_order_notes(85))[0]["note"].startswith("Fraud check")
    assert store.writes[0].body == {"status": "processing", "meta_data": [{"key": "_sovereign_fraud_score", "value": "87"}]}
    with pytest.raises(NotFoundError):
        await woo.update_order(999999, status="on-hold")
    with pytest.raises(InvalidParamError):
        await woo.update_order(85, status="shipped")


async def test_customer_ip_address_is_read_only(store: FakeWooStore, woo: WooClient) -> None:
    await woo.put("orders/85", {"customer_ip_address": "198.51.100.7"})
    assert (await woo.get_order(85))["customer_ip_address"] == "203.0.113.66"


async def test_product_text_is_raw_in_write_answers_and_wrapped_in_gets(store: FakeWooStore, woo: WooClient) -> None:
    text = "Soft knitted beanie.\n\nOne size fits most."
    written = await woo.update_product(20, description=text, meta_data=[{"key": "_sovereign_described", "value": "1"}])
    fetched = await woo.get_product(20)
    assert written["description"] == text
    assert fetched["description"] == "<p>Soft knitted beanie.</p>\n<p>One size fits most.</p>\n"
    assert strip_autop(fetched["description"]) == text and store.product(20)["description"] == text


async def test_batch_reports_per_item_errors_and_splits_above_100(store: FakeWooStore, woo: WooClient) -> None:
    result = await woo.batch_products(update=[{"id": 22, "manage_stock": True, "stock_quantity": 25}, {"id": 999999}])
    assert [p["id"] for p in result.updated] == [22] and result.updated[0]["stock_quantity"] == 25
    assert [(e.op, e.index, e.item_id, e.code) for e in result.errors] == [
        ("update", 1, 999999, "woocommerce_rest_product_invalid_id")
    ]
    updates = [{"id": 20 + (i % 10), "sku": ""} for i in range(150)]
    updates[120] = {"id": 424242}
    created = [{"name": "New A", "sku": "new-a"}, {"name": "New B", "sku": "new-a"}]
    big = await woo.batch_products(create=created, update=updates)
    sizes = [sum(len(v) for v in w.body.values()) for w in store.writes[1:]]
    assert sizes == [100, 52]
    assert len(big.created) == 1 and len(big.updated) == 149
    assert sorted((e.op, e.index) for e in big.errors) == [("create", 1), ("update", 120)]


# -- limits and hygiene --------------------------------------------------------------------


async def test_concurrency_is_limited_per_store(store: FakeWooStore) -> None:
    store.inject_fault(None, count=6, delay=0.2, method="GET")  # every answer takes 0.2 s
    async with WooClient(store.url, store.consumer_key, store.consumer_secret, max_concurrency=2) as woo:
        started = time.monotonic()
        orders = await asyncio.gather(*(woo.get_order(85) for _ in range(6)))
        elapsed = time.monotonic() - started
    assert len(orders) == 6 and elapsed >= 0.55  # three waves of two, not one wave of six


async def test_nothing_logs_the_secret(store: FakeWooStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store.inject_fault(503, method="GET")
    async with WooClient(store.url, store.consumer_key, store.consumer_secret, retry=FAST_RETRY) as woo:
        await woo.get_order(85)
        with pytest.raises(NotFoundError) as missing:
            await woo.get_order(999999)
    async with FakeWooStore(assume_https=True) as tls:
        async with WooClient(tls.url, tls.consumer_key, tls.consumer_secret, auth="basic", retry=FAST_RETRY) as woo:
            await woo.get_order(85)
    assert "retry 1" in caplog.text  # the retry was logged, so logging was on
    assert store.consumer_secret not in caplog.text and store.consumer_secret not in str(missing.value)
